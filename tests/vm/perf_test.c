// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests of tlso-perf (build/bin/tlso-perf) in the modes that need
 * the kernel: tlso and the in-tree kTLS, as tlso-perf(1) specifies them.
 * Its flags, its JSON and its errors; never its speed, and little data
 * (TCG is slow): a megabyte a run at the most.
 *
 *   static	--keys static in modes tlso and ktls, both directions, -P 2,
 *		-l 1K, --sendfile, --rx-only: the bytes, the version and
 *		cipher, and the records the module counted for the sockets
 *		(TLSO_INFO), as many as the writes imply; none (null) from
 *		kTLS
 *   tlsod	--keys handshake in mode tlso through the real tlsod
 *		(tlsod_env.h), a version that the profiles do not agree on,
 *		--handshakes 3; a server uses its own --profile, never the
 *		one a client names
 *   missing	mode tlso without tlsod, without the module: exit 1 and
 *		a message naming the cause
 *
 * Each run is a one-off server (-s -1 -J) and a client (-J) over
 * loopback; a table row says what to run and what its JSON must hold,
 * checked with jq.
 */
#include "tlsod_env.h"

#define PERF		"build/bin/tlso-perf"
#define RUN_MS		60000

/* A run: the server's and the client's options, and what must come of it. */
struct run {
	const char *what;
	const char *srv[6];
	const char *cli[20];	/* "FILE": a file of 100000 bytes */
	int status;		/* the client's exit, and the server's */
	const char *json;	/* status 0: true of the client's object */
	const char *says[4];	/* else: stderr has one of these */
};

/* jq: what every run that ended well holds.  Figures are rounded. */
static const char jq_defs[] =
	"def rate($x): ($x.bytes * 8 / $x.seconds / 1e9) as $g\n"
	"  | $x.gbps > 0 and $x.gbps >= $g * 0.99 - 0.001\n"
	"  and $x.gbps <= $g * 1.01 + 0.001;\n"
	"def cpu($x): [$x.user, $x.system, $x.percent]\n"
	"  | all(type == \"number\" and . >= 0);\n"
	"def throughput_done: .version == \"tlso-perf 1\"\n"
	"  and (.end.streams | length) == .params.streams\n"
	"  and all(.end.streams[]; .sent.bytes == .received.bytes\n"
	"          and rate(.sent) and rate(.received))\n"
	"  and .end.sum_sent.bytes == (.end.streams | map(.sent.bytes) | add)\n"
	"  and .end.sum_received.bytes == .end.sum_sent.bytes\n"
	"  and cpu(.end.cpu.client) and cpu(.end.cpu.server);\n"
	"def handshakes_done: .version == \"tlso-perf 1\" and .intervals == []\n"
	"  and .end.failed == 0 and .end.per_second > 0\n"
	"  and (.end.latency_ms | .min > 0 and .min <= .p50 and .p50 <= .p99\n"
	"       and .p99 <= .max)\n"
	"  and cpu(.end.cpu.client) and cpu(.end.cpu.server);\n"
	"def done: if .params.handshakes > 0 then handshakes_done\n"
	"  else throughput_done end;\n";

static struct tproc *start_server(struct tenv *e, const char **argv,
				  char *port)
{
	int n;

	return tenv_spawn_listener(e, "server", false, argv, port, 16, "%d",
				   &n);
}

/* Run r: the exits, and the JSON or the message, as r says. */
static void perf_do(struct tenv *e, const struct run *r, const char *file)
{
	const char *sargv[16] = { PERF, "-s", "-1", "-J", "-p" };
	const char *cargv[40] = { PERF, "-c", "127.0.0.1", "-J", "-p" };
	char port[16], prog[4096], path[PATH_MAX];
	const char *jq[] = { "jq", "-e", "-s", "-f", path, NULL, NULL };
	struct tproc *srv, *cli, *chk;
	bool bad = false, named = false;
	double t0 = tenv_now();
	int i;

	TH_LOG("--- %s", r->what);
	sargv[5] = cargv[5] = port;
	for (i = 0; r->srv[i]; i++)
		sargv[6 + i] = r->srv[i];
	for (i = 0; r->cli[i]; i++)
		cargv[6 + i] = strcmp(r->cli[i], "FILE") ? r->cli[i] : file;
	srv = start_server(e, sargv, port);
	cli = tenv_spawn(e, "client", false, cargv);
	EXPECT_EXIT(cli, r->status, RUN_MS);
	EXPECT_EXIT(srv, r->status, 20000);
	tproc_kill(cli);
	tproc_kill(srv);
	for (i = 0; r->status && r->says[i]; i++)
		named |= tenv_file_has(cli->err, r->says[i], 0);
	if (r->status && !named) {
		th_fail(__FILE__, __LINE__, "%s: the message names the cause (%s)",
			r->what, r->says[0]);
		bad = true;
	}
	snprintf(prog, sizeof(prog),
		 "%slength == 1 and (.[0] | %s%s%s)\n", jq_defs,
		 r->status ? ".error | type == \"string\"" : "done and (",
		 r->status ? "" : r->json, r->status ? "" : ")");
	snprintf(path, sizeof(path), "%s/check.jq", e->dir);
	ASSERT_OK(tenv_write_file(path, prog, strlen(prog)));
	jq[5] = cli->out;
	chk = tenv_spawn(e, "jq", false, jq);
	if (tproc_wait(chk, 30000) != 0) {
		th_fail(__FILE__, __LINE__, "%s: the client's JSON is done and %s",
			r->what, r->status ? ".error" : r->json);
		tenv_show(chk);
		bad = true;
	}
	if (bad) {
		tenv_show(cli);
		tenv_show(srv);
	}
	TH_LOG("%s: %.1f s", r->what, tenv_now() - t0);
	/* They have all ended: their slots are free for the next run. */
	e->nprocs = 0;
}

static void perf_table(struct tenv *e, const struct run *runs, size_t n)
{
	char file[PATH_MAX];
	size_t i;
	int fd;

	/* What --sendfile sends: 100000 bytes (zeros, read from the cache). */
	snprintf(file, sizeof(file), "%s/perf.dat", e->dir);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_OK(ftruncate(fd, 100000));
	close(fd);
	for (i = 0; i < n; i++)
		perf_do(e, &runs[i], file);
}

FIXTURE(perf) {
	struct tenv e;
};

FIXTURE_SETUP(perf)
{
	tenv_setup(&self->e, false);
	TENV_NEED("jq");
	ASSERT_EQ(access(PERF, X_OK), 0);
}

FIXTURE_TEARDOWN(perf)
{
	tenv_teardown(&self->e);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define STATIC(mode) "--mode", mode, "--keys", "static"

/*
 * 1M in writes of 16K: 64 records, one a write; nothing the other way
 * (no handshake, no close_notify with static keys).
 */
static const struct run tlso_static[] = {
	{ "tlso, TLS 1.3, AES-GCM-128", { NULL },
	  { STATIC("tlso"), "-n", "1M", "--tls", "1.3", "--cipher", "aes-gcm-128" },
	  .json = ".params.mode == \"tlso\" and .params.keys == \"static\""
	     " and .negotiated == {\"tls\": \"1.3\", \"cipher\": \"aes-gcm-128\"}"
	     " and .end.sum_received.bytes == 1048576"
	     " and .end.records == {\"client_to_server\": 64, \"server_to_client\": 0}" },
	{ "tlso -R, TLS 1.2, ChaCha20-Poly1305", { NULL },
	  { STATIC("tlso"), "-n", "1M", "-R", "--tls", "1.2", "--cipher",
	    "chacha20-poly1305" },
	  .json = ".params.reverse and .negotiated == {\"tls\": \"1.2\", \"cipher\": \"chacha20-poly1305\"}"
	     " and .end.sum_received.bytes == 1048576"
	     " and .end.records == {\"client_to_server\": 0, \"server_to_client\": 64}" },
	{ "tlso -P 2, AES-GCM-256", { NULL },
	  { STATIC("tlso"), "-n", "1M", "-P", "2", "--cipher", "aes-gcm-256" },
	  .json = ".params.streams == 2 and .negotiated.cipher == \"aes-gcm-256\""
	     " and all(.end.streams[]; .sent.bytes == 524288)"
	     " and .end.records == {\"client_to_server\": 64, \"server_to_client\": 0}" },
	{ "tlso -l 1K, AES-CCM-128", { NULL },
	  { STATIC("tlso"), "-n", "64K", "-l", "1K", "--cipher", "aes-ccm-128" },
	  .json = ".params.length == 1024 and .negotiated.cipher == \"aes-ccm-128\""
	     " and .end.sum_sent.bytes == 65536"
	     " and .end.records == {\"client_to_server\": 64, \"server_to_client\": 0}" },
	{ "tlso --sendfile", { NULL },
	  { STATIC("tlso"), "-n", "1M", "--sendfile", "FILE" },
	  .json = "(.params.sendfile | endswith(\"/perf.dat\"))"
	     " and .end.sum_received.bytes == 1048576"
	     " and .end.records.client_to_server >= 64"
	     " and .end.records.client_to_server <= 128"
	     " and .end.records.server_to_client == 0" },
	{ "tlso --rx-only", { NULL },
	  { STATIC("tlso"), "-n", "1M", "--rx-only" },
	  .json = ".params.rx_only and .end.sum_received.bytes == 1048576"
	     " and .end.records.client_to_server >= 64" },
};

TEST_F_TIMEOUT(perf, tlso_static, 300)
{
	perf_table(&self->e, tlso_static, N(tlso_static));
}

/* kTLS counts no records: null. */
static const struct run ktls_static[] = {
	{ "ktls, TLS 1.3, AES-GCM-128", { NULL },
	  { STATIC("ktls"), "-n", "1M" },
	  .json = ".params.mode == \"ktls\""
	     " and .negotiated == {\"tls\": \"1.3\", \"cipher\": \"aes-gcm-128\"}"
	     " and .end.sum_received.bytes == 1048576"
	     " and .end.records == {\"client_to_server\": null, \"server_to_client\": null}" },
	{ "ktls -R -P 2, TLS 1.2, AES-CCM-128", { NULL },
	  { STATIC("ktls"), "-n", "1M", "-R", "-P", "2", "--tls", "1.2",
	    "--cipher", "aes-ccm-128" },
	  .json = ".params.reverse and (.end.streams | length) == 2"
	     " and .negotiated == {\"tls\": \"1.2\", \"cipher\": \"aes-ccm-128\"}"
	     " and .end.sum_received.bytes == 1048576"
	     " and .end.records.server_to_client == null" },
	{ "ktls -l 1K --sendfile", { NULL },
	  { STATIC("ktls"), "-n", "64K", "-l", "1K", "--sendfile", "FILE" },
	  .json = ".params.length == 1024 and (.params.sendfile | endswith(\"/perf.dat\"))"
	     " and .end.sum_received.bytes == 65536"
	     " and .end.records.client_to_server == null" },
	{ "ktls --rx-only", { NULL },
	  { STATIC("ktls"), "-n", "1M", "--rx-only" },
	  .json = ".params.rx_only and .end.sum_received.bytes == 1048576" },
};

TEST_F_TIMEOUT(perf, ktls_static, 300)
{
	if (kmod_modprobe("tls"))
		SKIP("the in-tree tls module cannot be loaded here");
	perf_table(&self->e, ktls_static, N(ktls_static));
}

/*
 * Keys from tlsod: the server end with the profile that has the
 * certificate, the client with the default one, which trusts its CA and
 * allows TLS 1.3 and 1.2, as the server's does: they agree on 1.3.
 * After the handshake each end may send a close_notify, and TLS 1.3 a
 * session ticket: a record or two more than the writes.
 */
#define TLSOD_SRV { "--profile", "server" }
#define TLSOD_CLI "--mode", "tlso", "--name", "localhost"

static const struct run tlsod_runs[] = {
	{ "tlso through tlsod", TLSOD_SRV, { TLSOD_CLI, "-n", "1M" },
	  .json = ".params.keys == \"handshake\" and .negotiated.tls == \"1.3\""
	     " and .end.sum_received.bytes == 1048576"
	     " and .end.records.client_to_server >= 64"
	     " and .end.records.client_to_server <= 66"
	     " and .end.records.server_to_client <= 4" },
	{ "tlso through tlsod -R -P 2", TLSOD_SRV,
	  { TLSOD_CLI, "-n", "1M", "-R", "-P", "2" },
	  .json = ".negotiated.tls == \"1.3\" and .end.sum_received.bytes == 1048576"
	     " and .end.records.server_to_client >= 64"
	     " and .end.records.client_to_server <= 4" },
	{ "tlso --tls 1.2 where the profiles agree on 1.3", TLSOD_SRV,
	  { TLSOD_CLI, "-n", "256K", "--tls", "1.2" },
	  .status = 1, .says = { "1.2", "1.3", "version" } },
	{ "tlso --handshakes 3", TLSOD_SRV,
	  { TLSOD_CLI, "--profile", "full", "--handshakes", "3" },
	  .json = ".params.handshakes == 3 and .end.handshakes == 3"
	     " and .end.kind == \"full\"" },
	{ "tlso --handshakes 3 --resume", TLSOD_SRV,
	  { TLSOD_CLI, "--handshakes", "3", "--resume" },
	  .json = ".params.handshakes == 3 and .end.handshakes == 3"
	     " and .end.kind == \"resumed\" and .end.wrong_kind == 0" },
};

/* "full": the default profile with resumption off, for full handshakes. */
TEST_F_TIMEOUT(perf, tlso_through_tlsod, 300)
{
	char ca[PATH_MAX], extra[PATH_MAX + 64];

	tenv_pki(&self->e, ca, sizeof(ca), PKI_CA, "pem");
	snprintf(extra, sizeof(extra),
		 "\n[full]\ntrust_store = %s\nsession_tickets = no\n", ca);
	tenv_write_conf(&self->e, extra);
	tenv_start_tlsod(&self->e);
	perf_table(&self->e, tlsod_runs, N(tlsod_runs));
}

/*
 * The client names the profile with the server's key; the server, which
 * names none, must use its own ("default", which has no certificate to
 * serve with), and the test fails.
 */
static const struct run profile_is_the_servers[] = {
	{ "tlso, the client names the server's profile", { NULL },
	  { TLSOD_CLI, "--profile", "server", "-n", "256K" },
	  .status = 1, .says = { "handshake" } },
};

TEST_F_TIMEOUT(perf, server_uses_its_own_profile, 300)
{
	struct tenv *e = &self->e;

	tenv_start_tlsod(e);
	perf_table(e, profile_is_the_servers, N(profile_is_the_servers));
	EXPECT_TRUE(tenv_log_line_has(e, "role server peer '' profile 'default'",
				      "failed", 5000));
	EXPECT_FALSE(tenv_log_line_has(e, "role server peer '' profile 'server'",
				       "", 0));
	tenv_show_outcomes(e);
}

static const struct run no_tlsod[] = {
	{ "tlso without tlsod", TLSOD_SRV, { TLSOD_CLI, "-n", "256K" },
	  .status = 1, .says = { "tlsod" } },
};

TEST_F(perf, tlso_without_tlsod)
{
	perf_table(&self->e, no_tlsod, N(no_tlsod));
}

static const struct run no_module[] = {
	{ "tlso without the module", { NULL }, { STATIC("tlso"), "-n", "256K" },
	  .status = 1, .says = { "tlso.ko", "module", "not loaded" } },
};

/* The module goes for the run, and comes back for the cases after. */
TEST_F(perf, tlso_without_the_module)
{
	int err = kmod_unload_wait("tlso", 5000);

	if (err)
		SKIP("tlso cannot be unloaded: %s", strerror(-err));
	perf_table(&self->e, no_module, N(no_module));
	ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);
}

TEST_HARNESS_MAIN
