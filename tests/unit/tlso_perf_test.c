// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of tlso-perf, run as built (build/bin/tlso-perf, from the
 * top of the tree, or $TLSO_PERF): its command line, its JSON and its
 * errors as tlso-perf(1) specifies them, never its speed.  Modes plain
 * and gnutls need no module, so they run here over loopback, a server
 * (-s -1) and a client per case; the JSON is read with jq.  Modes tlso
 * and ktls are the in-VM test's (tests/vm/perf_test.c).
 *
 *   cli	--help, every bad command line (exit 2 and a message that
 *		names the problem), a server that is not there and modes
 *		tlso and ktls without the kernel's side (exit 1)
 *   plain	-n and -t runs, -P, -R, -i, --sendfile, text output, one
 *		test at a time, -B: the parameters echoed, bytes sent ==
 *		bytes received, gbps == bytes * 8 / seconds / 1e9, sums
 *		that add up, CPU figures from both ends, no records
 *   gnutls	each version and cipher: negotiated as asked, records
 *		counted, -R, --rx-only, --handshakes, --handshakes --resume
 *   tls	the defaults, --handshakes with -P (full and resumed), a
 *		wrong name and an untrusted CA, a server without a
 *		certificate (exit 1)
 *
 * The processes, ports and files come from tlsod_env.h (tenv_*), whose
 * GnuTLS parts are not used here; the certificates are made with
 * certtool under the same names (tenv_pki()).
 */
#include <strings.h>

#include "tlsod_env.h"

#define RUN_MS		60000	/* a client run, start to end */
#define SERVER_MS	10000	/* the server, once its client is done */

/* ---- running tlso-perf ---- */

static const char *perf_bin(void)
{
	const char *env = getenv("TLSO_PERF");

	return env && *env ? env : "build/bin/tlso-perf";
}

/* The lists a and b (NULL-terminated, either NULL) in argv, in order. */
static void args_cat(const char **argv, size_t max, const char *const a[],
		     const char *const b[])
{
	size_t n = 0;

	for (; a && *a; a++) {
		ASSERT_LT(n, max - 1);
		argv[n++] = *a;
	}
	for (; b && *b; b++) {
		ASSERT_LT(n, max - 1);
		argv[n++] = *b;
	}
	argv[n] = NULL;
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static struct tproc *perf_start(struct tenv *e, const char *name,
				const char *const a[], const char *const b[])
{
	const char *argv[64] = { perf_bin() };

	args_cat(argv + 1, 63, a, b);
	return tenv_spawn(e, name, false, argv);
}

/* Wait for its end (ms at most); a run that does not end fails. */
static struct tproc *perf_wait(struct tproc *p, int ms)
{
	if (tproc_wait(p, ms) == -1) {
		tproc_kill(p);
		tenv_show(p);
		ASSERT_TRUE(!"tlso-perf ended in time");
	}
	return p;
}

static struct tproc *perf_run(struct tenv *e, const char *name,
			      const char *const a[], const char *const b[])
{
	return perf_wait(perf_start(e, name, a, b), RUN_MS);
}

/*
 * Give back the slot of p, which has ended, when it is e's last, so that
 * a case can run many (the next run of the same name overwrites its
 * files): p is not to be used after.
 */
static void perf_forget(struct tenv *e, struct tproc *p)
{
	if (p == &e->procs[e->nprocs - 1] && !p->pid)
		e->nprocs--;
}

static int exit_code(const struct tproc *p)
{
	return WIFEXITED(p->status) ? WEXITSTATUS(p->status) :
	       128 + WTERMSIG(p->status);
}

/* The first line of a file, in buf. */
static void first_line(const char *path, char *buf, size_t size)
{
	char *all = tenv_slurp(path, NULL);

	snprintf(buf, size, "%.*s", (int)strcspn(all, "\n"), all);
	free(all);
}

static bool file_empty(const char *path)
{
	return tenv_file_size(path) == 0;
}

/* The file has one of the words (NULL-terminated). */
static bool file_says(const char *path, const char *const words[])
{
	for (; *words; words++)
		if (tenv_file_has(path, *words, 0))
			return true;
	return false;
}

#define WORDS(...) ((const char *const[]){ __VA_ARGS__, NULL })

#define EXPECT_SAYS(p, words) do {					\
	if (!file_says((p)->err, words)) {				\
		th_fail(__FILE__, __LINE__, "%s's stderr names the problem", \
			(p)->name);					\
		tenv_show(p);						\
	}								\
} while (0)

/* ---- the fixture: a directory of its own, the PKI when asked ---- */

static void perf_dir(struct tenv *e)
{
	int i;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < TENV_MAX_FDS; i++)
		e->fds[i] = -1;
	e->attached0 = -1;		/* no module here */
	signal(SIGPIPE, SIG_IGN);
	TENV_NEED("jq");
	if (access(perf_bin(), X_OK)) {
		TH_LOG("%s: %s; build it first (make userspace) and run from the top of the tree",
		       perf_bin(), strerror(errno));
		ASSERT_EQ(access(perf_bin(), X_OK), 0);
	}
	tenv_run_dir(e->run, sizeof(e->run));
	if (mkdir(e->run, 0700) && errno != EEXIST)
		ASSERT_OK(-1);
	snprintf(e->dir, sizeof(e->dir), "%s/case.%d", e->run, (int)getpid());
	ASSERT_OK(mkdir(e->dir, 0700));
}

/*
 * ca, rogue-ca and server (for localhost and 127.0.0.1, from ca) as
 * tlsod_env.h names them, made once per run with certtool.
 */
static void perf_pki(struct tenv *e)
{
	static const char script[] =
		"set -e; cd \"$1\"\n"
		"key() { certtool --generate-privkey --key-type ecdsa --curve secp256r1 --outfile $1.key; }\n"
		"tmpl() { printf '%s\\n' \"$@\" >t.tmpl; }\n"
		"for ca in ca rogue-ca; do\n"
		"  key $ca; tmpl \"cn = \\\"tlso test $ca\\\"\" ca cert_signing_key 'expiration_days = 30'\n"
		"  certtool --generate-self-signed --load-privkey $ca.key --template t.tmpl --outfile $ca.pem\n"
		"done\n"
		"key server; tmpl 'cn = \"localhost\"' 'dns_name = \"localhost\"' 'ip_address = \"127.0.0.1\"' \\\n"
		"  tls_www_server signing_key 'expiration_days = 7'\n"
		"certtool --generate-certificate --load-privkey server.key --load-ca-certificate ca.pem \\\n"
		"  --load-ca-privkey ca.key --template t.tmpl --outfile server.pem\n"
		"touch pki-done\n";
	const char *argv[] = { "sh", "-c", script, "sh", e->run, NULL };
	char marker[PATH_MAX];
	struct tproc *p;

	snprintf(marker, sizeof(marker), "%s/pki-done", e->run);
	if (!access(marker, F_OK))
		return;
	TENV_NEED("certtool");
	p = tenv_spawn(e, "certtool", false, argv);
	EXPECT_EXIT(p, 0, 60000);
	ASSERT_EQ(access(marker, F_OK), 0);
}

struct perf_env {
	struct tenv e;
	const char *srv[5];	/* the server's --cert and --key */
	char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX], rogue_ca[PATH_MAX];
};

static void perf_setup(struct perf_env *t, bool with_pki)
{
	perf_dir(&t->e);
	if (!with_pki)
		return;
	perf_pki(&t->e);
	tenv_pki(&t->e, t->cert, PATH_MAX, PKI_SERVER, "pem");
	tenv_pki(&t->e, t->key, PATH_MAX, PKI_SERVER, "key");
	tenv_pki(&t->e, t->ca, PATH_MAX, PKI_CA, "pem");
	tenv_pki(&t->e, t->rogue_ca, PATH_MAX, PKI_ROGUE_CA, "pem");
	t->srv[0] = "--cert";
	t->srv[1] = t->cert;
	t->srv[2] = "--key";
	t->srv[3] = t->key;
}

/* A fixture of cases that run tlso-perf, with the PKI or without. */
#define PERF_FIXTURE(name, with_pki)					\
	FIXTURE(name) {							\
		struct perf_env t;					\
	};								\
	FIXTURE_SETUP(name)						\
	{								\
		perf_setup(&self->t, with_pki);				\
	}								\
	FIXTURE_TEARDOWN(name)						\
	{								\
		tenv_teardown(&self->t.e);				\
	}

/* ---- JSON, through jq ---- */

/*
 * jq definitions for the checks.  Figures are printed rounded: seconds
 * and Gbit/s to a thousandth or better, hence the slack in rate_ok.
 */
static const char jq_defs[] =
	"def num: type == \"number\";\n"
	"def near($x): (. - $x) as $d | ($d < 0.0011 and $d > -0.0011);\n"
	"def rate_ok: (.bytes | num) and .bytes > 0 and .seconds > 0 and .gbps > 0\n"
	"  and .gbps >= .bytes * 8 / (.seconds + 0.0005) / 1e9 * 0.995 - 0.0005\n"
	"  and (.seconds <= 0.0005 or\n"
	"       .gbps <= .bytes * 8 / (.seconds - 0.0005) / 1e9 * 1.005 + 0.0005);\n"
	"def cpu_ok: (.user | num) and (.system | num) and (.percent | num)\n"
	"  and .user >= 0 and .system >= 0 and .percent >= 0;\n"
	/* a sum: the streams' bytes added, their longest seconds */
	"def sum_ok($way): .end as $e | $e[\"sum_\" + $way] as $s\n"
	"  | ($e.streams | map(.[$way].bytes) | add) == $s.bytes\n"
	"  and ($s.seconds | near($e.streams | map(.[$way].seconds) | max))\n"
	"  and ($s | rate_ok);\n"
	"def streams_ok: all(.end.streams[]; .sent.bytes == .received.bytes\n"
	"  and (.sent | rate_ok) and (.received | rate_ok));\n"
	"def intervals_ok: (.intervals | length) > 0 and all(.intervals[];\n"
	"  .end > .start and (.streams | map(.bytes) | add) == .sum.bytes);\n";

/*
 * Each check (a jq expression, true when it holds) on the one JSON object
 * the file must hold; a failed check is shown with its value.
 */
static void json_expect(struct tenv *e, const char *file, int line,
			const char *const checks[])
{
	char prog[PATH_MAX], *out, *cur, *nl;
	const char *argv[] = { "jq", "-r", "-s", "-f", prog, file, NULL };
	struct tproc *p;
	int i, bad = 0;
	FILE *f;

	snprintf(prog, sizeof(prog), "%s/check.jq", e->dir);
	f = fopen(prog, "we");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "%s[ length == 1", jq_defs);
	for (i = 0; checks[i]; i++)
		fprintf(f, ",\n  (.[0] | try (%s) catch \"error: \\(.)\")",
			checks[i]);
	fprintf(f, " ] | .[] | tojson\n");
	ASSERT_EQ(fclose(f), 0);
	p = tenv_spawn(e, "jq", false, argv);
	if (tproc_wait(p, 30000) != 0) {
		th_fail(__FILE__, line, "jq reads %s", file);
		tenv_show(p);
		tenv_show_file(file, file);
		return;
	}
	out = tenv_slurp(p->out, NULL);
	perf_forget(e, p);
	for (i = -1, cur = out; i < 0 || checks[i]; i++) {
		nl = cur ? strchr(cur, '\n') : NULL;
		if (nl)
			*nl = 0;
		if (!cur || strcmp(cur, "true")) {
			th_fail(__FILE__, line, "%s", i < 0 ?
				"one JSON value" : checks[i]);
			TH_LOG("  is %s", cur ? cur : "(nothing)");
			bad = 1;
		}
		cur = nl ? nl + 1 : NULL;
	}
	if (bad)
		tenv_show_file(file, file);
	free(out);
}

#define EXPECT_JSON(e, file, ...)					\
	json_expect(e, file, __LINE__, (const char *const[]){ __VA_ARGS__, NULL })

/* What every finished throughput test's object holds, at each end. */
#define THROUGHPUT_OK							\
	".version == \"tlso-perf 1\"", "streams_ok",			\
	"sum_ok(\"sent\")", "sum_ok(\"received\")",			\
	".end.sum_sent.bytes == .end.sum_received.bytes",		\
	".end.cpu.client | cpu_ok", ".end.cpu.server | cpu_ok",		\
	".params.streams as $n | [.end.streams[].id] | sort == [range(1; $n + 1)]"

/* ---- a server and a client ---- */

/*
 * tlso-perf -s -p PORT plus a, retried on another port if it does not
 * come up; the port as text in port.
 */
static struct tproc *perf_server(struct tenv *e, char *port,
				 const char *const a[])
{
	const char *head[] = { "-s", "-p", port, NULL };
	const char *argv[64] = { perf_bin() };
	int n;

	args_cat(argv + 1, 63, head, a);
	return tenv_spawn_listener(e, "server", false, argv, port, 8, "%d",
				   &n);
}

static struct tproc *perf_client(struct tenv *e, const char *name,
				 const char *port, const char *const a[])
{
	const char *head[] = { "-c", "127.0.0.1", "-p", port, NULL };

	return perf_run(e, name, head, a);
}

struct pair {
	struct tproc *srv, *cli;
};

/*
 * One test: a one-off server with srv's options, a client with cli's;
 * both with -J.  The client's status is left to the case; the server
 * must end with it.
 */
static struct pair perf_pair(struct tenv *e, const char *const srv[],
			     const char *const cli[])
{
	const char *sargs[32], *cargs[48];
	char port[8];
	struct pair r;

	args_cat(sargs, 32, ARGS("-1", "-J"), srv);
	args_cat(cargs, 48, ARGS("-J"), cli);
	r.srv = perf_server(e, port, sargs);
	r.cli = perf_client(e, "client", port, cargs);
	EXPECT_EXIT(r.srv, exit_code(r.cli), SERVER_MS);
	return r;
}

/* A test that must succeed: exit 0 at both ends. */
static struct pair perf_ok(struct tenv *e, const char *const srv[],
			   const char *const cli[])
{
	struct pair r = perf_pair(e, srv, cli);

	EXPECT_EXIT(r.cli, 0, 0);
	return r;
}

static struct pair plain_ok(struct tenv *e, const char *const cli[])
{
	const char *args[32];

	args_cat(args, 32, ARGS("--mode", "plain"), cli);
	return perf_ok(e, NULL, args);
}

PERF_FIXTURE(cli, false)

/* ---- the command line ---- */

TEST_F(cli, help_lists_every_option)
{
	static const char *const opts[] = {
		"-s", "--server", "-c", "--client", "-p", "--port", "-B",
		"--bind", "-1", "--one-off", "-t", "--time", "-n", "--bytes",
		"-l", "--length", "-P", "--parallel", "-R", "--reverse", "-J",
		"--json", "-i", "--interval", "--mode", "--tls", "--cipher",
		"--keys", "--sendfile", "--rx-only", "--handshakes", "--resume",
		"--cert",
		"--key", "--ca", "--name", "--profile", "-h", "--help",
		"plain", "tlso", "ktls", "gnutls", "static", "handshake",
		"aes-gcm-128", "aes-gcm-256", "chacha20-poly1305",
		"aes-ccm-128", "1.2", "1.3",
	};
	struct tproc *p;
	char *out;
	size_t i;

	p = perf_run(&self->t.e, "help", ARGS("--help"), NULL);
	EXPECT_EXIT(p, 0, 0);
	out = tenv_slurp(p->out, NULL);
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (!strstr(out, opts[i]))
			TH_LOG("--help does not mention %s", opts[i]);
		EXPECT_TRUE(strstr(out, opts[i]) != NULL);
	}
	free(out);
	EXPECT_TRUE(file_empty(p->err));
	p = perf_run(&self->t.e, "help", ARGS("-h"), NULL);
	EXPECT_EXIT(p, 0, 0);
	EXPECT_FALSE(file_empty(p->out));
}

struct bad_line {
	const char *args[12];	/* "PORT": a port where nothing listens */
	const char *says[4];	/* the message has one of these */
};

#define CLIENT "-c", "127.0.0.1", "-p", "PORT"

static const struct bad_line bad_lines[] = {
	{ { NULL }, { "-s", "-c", "server", "client" } },
	{ { "-p", "PORT" }, { "-s", "-c", "server", "client" } },
	{ { "--bogus", CLIENT }, { "bogus" } },
	{ { "-x", CLIENT }, { "-x", "'x'" } },
	{ { "-c" }, { "-c", "client", "argument" } },
	{ { CLIENT, "stray" }, { "stray" } },
	{ { "-s", CLIENT }, { "-s", "-c", "server", "client" } },
	{ { CLIENT, "-t", "1", "-n", "1M" }, { "-t", "-n", "time", "bytes" } },
	{ { CLIENT, "-t", "abc" }, { "-t", "time", "abc" } },
	{ { CLIENT, "-t", "-1" }, { "-t", "time" } },
	{ { CLIENT, "-t", "1x" }, { "-t", "time", "1x" } },
	{ { CLIENT, "-t", "" }, { "-t", "time" } },
	{ { CLIENT, "-n", "abc" }, { "-n", "bytes", "abc" } },
	{ { CLIENT, "-n", "1X" }, { "-n", "bytes", "1X" } },
	{ { CLIENT, "-n", "1KB" }, { "-n", "bytes", "1KB" } },
	{ { CLIENT, "-n", "-5" }, { "-n", "bytes" } },
	{ { CLIENT, "-n", "99999999999999G" }, { "-n", "bytes" } },
	{ { CLIENT, "-l", "0" }, { "-l", "length" } },
	{ { CLIENT, "-l", "17M" }, { "-l", "length", "17M" } },
	{ { CLIENT, "-l", "16385K" }, { "-l", "length", "16385K" } },
	{ { CLIENT, "-l", "abc" }, { "-l", "length", "abc" } },
	{ { CLIENT, "-P", "0" }, { "-P", "parallel", "stream" } },
	{ { CLIENT, "-P", "65" }, { "-P", "parallel", "stream" } },
	{ { CLIENT, "-P", "abc" }, { "-P", "parallel", "stream" } },
	{ { "-c", "127.0.0.1", "-p", "0" }, { "-p", "port" } },
	{ { "-c", "127.0.0.1", "-p", "65536" }, { "-p", "port" } },
	{ { "-c", "127.0.0.1", "-p", "abc" }, { "-p", "port" } },
	{ { "-s", "-p", "-1" }, { "-p", "port" } },
	{ { CLIENT, "-i", "abc" }, { "-i", "interval" } },
	{ { CLIENT, "-i", "-1" }, { "-i", "interval" } },
	{ { CLIENT, "--mode", "bogus" }, { "mode", "bogus" } },
	{ { CLIENT, "--tls", "1.1" }, { "tls", "1.1" } },
	{ { CLIENT, "--cipher", "aes-gcm-512" }, { "cipher", "aes-gcm-512" } },
	{ { CLIENT, "--keys", "bogus" }, { "keys", "bogus" } },
	{ { CLIENT, "--mode", "gnutls", "--keys", "static" },
	  { "static", "gnutls", "keys" } },
	{ { CLIENT, "--mode", "plain", "--handshakes", "5" },
	  { "handshake", "plain" } },
	{ { CLIENT, "--keys", "static", "--handshakes", "5" },
	  { "handshake", "static" } },
	{ { CLIENT, "--mode", "gnutls", "--handshakes", "abc" },
	  { "handshake" } },
	{ { CLIENT, "--mode", "gnutls", "--handshakes", "-1" },
	  { "handshake" } },
	{ { CLIENT, "--mode", "gnutls", "--resume" },
	  { "--resume", "--handshakes" } },
	{ { CLIENT, "--mode", "gnutls", "--resume", "-n", "1M" },
	  { "--resume", "--handshakes" } },
	{ { CLIENT, "--mode", "plain", "--handshakes", "5", "--resume" },
	  { "plain" } },
	{ { "-s", "-p", "PORT", "--resume" }, { "--resume", "client" } },
	{ { CLIENT, "--mode", "gnutls", "--rx-only" }, { "rx-only", "-n" } },
	{ { CLIENT, "--mode", "gnutls", "--rx-only", "-t", "1" },
	  { "rx-only", "-n" } },
	{ { CLIENT, "--mode", "plain", "--sendfile", "/nonexistent/perf.dat" },
	  { "/nonexistent/perf.dat" } },
	{ { "-s", "-p", "PORT", "--cert", "/nonexistent/c.pem" },
	  { "--key", "key" } },
};

/* Exit 2, a message on stderr that names the problem, nothing on stdout. */
TEST_F(cli, bad_command_lines_exit_2)
{
	struct tenv *e = &self->t.e;
	char port[8], line[256];
	size_t i, k;

	snprintf(port, sizeof(port), "%d", tenv_free_port());
	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		const struct bad_line *b = &bad_lines[i];
		const char *args[16] = { NULL };
		struct tproc *p;
		bool named = false;

		for (k = 0; b->args[k]; k++)
			args[k] = strcmp(b->args[k], "PORT") ? b->args[k] : port;
		p = perf_wait(perf_start(e, "usage", args, NULL), 10000);
		EXPECT_EXIT(p, 2, 0);
		first_line(p->err, line, sizeof(line));
		for (k = 0; b->says[k]; k++)
			named |= strcasestr(line, b->says[k]) != NULL;
		if (!named) {
			th_fail(__FILE__, __LINE__,
				"bad line %zu: the first line of stderr names the problem",
				i);
			tenv_show(p);
		}
		if (!file_empty(p->out)) {
			th_fail(__FILE__, __LINE__,
				"bad line %zu: nothing on stdout", i);
			tenv_show(p);
		}
		perf_forget(e, p);
	}
}

/* Nothing listens: exit 1, and a message (with -J, also as JSON). */
TEST_F(cli, no_server_is_exit_1)
{
	struct tenv *e = &self->t.e;
	struct tproc *p;
	char port[8];

	snprintf(port, sizeof(port), "%d", tenv_free_port());
	p = perf_client(e, "client", port, ARGS("--mode", "plain", "-n", "1M"));
	EXPECT_EXIT(p, 1, 0);
	EXPECT_SAYS(p, WORDS("refused"));
	EXPECT_TRUE(file_empty(p->out));
	p = perf_client(e, "client", port,
			ARGS("--mode", "plain", "-n", "1M", "-J"));
	EXPECT_EXIT(p, 1, 0);
	EXPECT_SAYS(p, WORDS("refused"));
	EXPECT_JSON(e, p->out, "keys == [\"error\"]",
		    ".error | type == \"string\" and test(\"refused\"; \"i\")");
}

/* The host has no tlso.ko and no kTLS: modes tlso and ktls say so. */
TEST_F(cli, kernel_modes_without_the_kernel_side)
{
	struct tenv *e = &self->t.e;
	struct pair r;

	if (kmod_loaded("tlso") || kmod_ulp_available("tls"))
		SKIP("tlso or kTLS is available on this host");
	r = perf_pair(e, NULL, ARGS("--mode", "tlso", "--keys", "static",
				    "-n", "1M"));
	EXPECT_EXIT(r.cli, 1, 0);
	EXPECT_SAYS(r.cli, WORDS("tlso.ko", "module"));
	EXPECT_JSON(e, r.cli->out, ".error | type == \"string\"");
	r = perf_pair(e, NULL, ARGS("--mode", "ktls", "--keys", "static",
				    "-n", "1M"));
	EXPECT_EXIT(r.cli, 1, 0);
	EXPECT_SAYS(r.cli, WORDS("ktls", "tls module", "tls.ko"));
}

/* ---- plain TCP ---- */

PERF_FIXTURE(plain, false)

TEST_F(plain, bytes)
{
	struct tenv *e = &self->t.e;
	struct pair r;

	r = plain_ok(e, ARGS("-n", "16M"));
	EXPECT_JSON(e, r.cli->out, THROUGHPUT_OK,
		    ".params.mode == \"plain\"", ".params.streams == 1",
		    ".params.reverse == false", ".params.length == 16384",
		    ".params.bytes == 16777216", ".params.sendfile == null",
		    ".params.rx_only == false", ".params.handshakes == 0",
		    ".negotiated == null",
		    ".end.sum_sent.bytes == 16777216",
		    ".end.records[] | . == null or . == 0",
		    ".intervals | type == \"array\"");
	/* The server saw the same test. */
	EXPECT_JSON(e, r.srv->out, THROUGHPUT_OK,
		    ".params.mode == \"plain\"", ".params.bytes == 16777216",
		    ".end.sum_received.bytes == 16777216");
}

TEST_F(plain, time_and_intervals)
{
	struct tenv *e = &self->t.e;
	struct pair r;

	r = plain_ok(e, ARGS("-t", "2.5", "-i", "1", "-l", "4K"));
	EXPECT_JSON(e, r.cli->out, THROUGHPUT_OK,
		    ".params.seconds == 2.5", ".params.bytes == 0",
		    ".params.length == 4096",
		    ".end.sum_sent.seconds >= 2.4 and .end.sum_sent.seconds < 5",
		    "intervals_ok", ".intervals | length >= 2",
		    ".intervals[0].start | near(0)",
		    ".intervals[0].end | . > 0.9 and . < 1.6",
		    "[.intervals[].streams[].id] | unique == [1]",
		    "([.intervals[].sum.bytes] | add) <= .end.sum_sent.bytes");
	/* -i 0: no interval reports; -t 0.5 */
	r = plain_ok(e, ARGS("-t", "0.5", "-i", "0"));
	EXPECT_JSON(e, r.cli->out, THROUGHPUT_OK, ".intervals == []",
		    ".params.seconds == 0.5",
		    ".end.sum_sent.seconds >= 0.45 and .end.sum_sent.seconds < 3");
}

/* -n is shared evenly: 1M over 3 streams. */
TEST_F(plain, parallel)
{
	struct tenv *e = &self->t.e;
	struct pair r;

	r = plain_ok(e, ARGS("-n", "1M", "-P", "3", "-l", "1000"));
	EXPECT_JSON(e, r.cli->out, THROUGHPUT_OK, ".params.streams == 3",
		    ".params.length == 1000",
		    ".end.streams | length == 3",
		    "all(.end.streams[]; .sent.bytes >= 349525 and .sent.bytes <= 349526)",
		    ".end.sum_sent.bytes == 1048576",
		    ".end.sum_received.bytes == 1048576");
	r = plain_ok(e, ARGS("-t", "1.5", "-P", "3", "-i", "1"));
	EXPECT_JSON(e, r.cli->out, THROUGHPUT_OK, ".end.streams | length == 3",
		    "intervals_ok",
		    "all(.intervals[]; [.streams[].id] | sort == [1, 2, 3])");
}

TEST_F(plain, reverse)
{
	struct tenv *e = &self->t.e;
	struct pair r;

	r = plain_ok(e, ARGS("-n", "4M", "-R"));
	EXPECT_JSON(e, r.cli->out, THROUGHPUT_OK, ".params.reverse == true",
		    ".end.sum_received.bytes == 4194304");
	EXPECT_JSON(e, r.srv->out, ".params.reverse == true",
		    ".end.sum_sent.bytes == 4194304");
	/* Interval bytes are what the client received. */
	r = plain_ok(e, ARGS("-t", "1.5", "-R", "-i", "1"));
	EXPECT_JSON(e, r.cli->out, THROUGHPUT_OK, "intervals_ok",
		    "([.intervals[].sum.bytes] | add) <= .end.sum_received.bytes");
}

/* A file of 100000 bytes, read from again and again, both ways. */
TEST_F(plain, sendfile)
{
	struct tenv *e = &self->t.e;
	char path[PATH_MAX], *data, check[PATH_MAX + 64];
	struct pair r;
	size_t i;

	snprintf(path, sizeof(path), "%s/perf.dat", e->dir);
	data = malloc(100000);
	ASSERT_TRUE(data != NULL);
	for (i = 0; i < 100000; i++)
		data[i] = (char)sock_pattern(i, 1);
	ASSERT_OK(tenv_write_file(path, data, 100000));
	free(data);
	snprintf(check, sizeof(check), ".params.sendfile == \"%s\"", path);

	r = plain_ok(e, ARGS("-n", "1M", "--sendfile", path));
	EXPECT_JSON(e, r.cli->out, THROUGHPUT_OK, check,
		    ".end.sum_received.bytes == 1048576");
	r = plain_ok(e, ARGS("-n", "1M", "-R", "--sendfile", path,
			     "-l", "5000"));
	EXPECT_JSON(e, r.cli->out, THROUGHPUT_OK, check,
		    ".params.reverse == true", ".params.length == 5000",
		    ".end.sum_received.bytes == 1048576");
}

/* Without -J: text, with a summary in Gbit/s at both ends. */
TEST_F(plain, text_output)
{
	struct tenv *e = &self->t.e;
	struct tproc *srv, *cli;
	char port[8], line[256];

	srv = perf_server(e, port, ARGS("-1"));
	cli = perf_client(e, "client", port, ARGS("--mode", "plain", "-n",
						  "1M"));
	EXPECT_EXIT(cli, 0, 0);
	EXPECT_EXIT(srv, 0, SERVER_MS);
	first_line(cli->out, line, sizeof(line));
	EXPECT_NE(line[0], '{');
	EXPECT_TRUE(file_says(cli->out, WORDS("Gbit/s")));
	EXPECT_TRUE(file_says(srv->out, WORDS("Gbit/s")));
}

/*
 * A server without -1 serves one test after another, and refuses a
 * second client while a test runs.
 */
TEST_F(plain, one_test_at_a_time)
{
	struct tenv *e = &self->t.e;
	struct tproc *srv, *first, *busy, *next;
	char port[8];

	srv = perf_server(e, port, NULL);
	first = perf_start(e, "first", ARGS("-c", "127.0.0.1", "-p", port,
					    "--mode", "plain", "-t", "4",
					    "-i", "0", "-J"), NULL);
	tenv_msleep(1500);
	ASSERT_TRUE(tproc_running(first));
	busy = perf_client(e, "busy", port, ARGS("--mode", "plain", "-n", "1M",
						 "-J"));
	EXPECT_EXIT(busy, 1, 0);
	EXPECT_FALSE(file_empty(busy->err));
	EXPECT_JSON(e, busy->out, ".error | type == \"string\"");
	EXPECT_EXIT(first, 0, RUN_MS);
	EXPECT_JSON(e, first->out, THROUGHPUT_OK);
	next = perf_client(e, "next", port, ARGS("--mode", "plain", "-n", "1M",
						 "-J"));
	EXPECT_EXIT(next, 0, 0);
	EXPECT_JSON(e, next->out, THROUGHPUT_OK,
		    ".end.sum_received.bytes == 1048576");
	EXPECT_TRUE(tproc_running(srv));
}

/* -B: the server listens on that address only. */
TEST_F(plain, bind_address)
{
	struct tenv *e = &self->t.e;
	struct tproc *srv, *cli;
	struct sockaddr_in a = { .sin_family = AF_INET };
	char port[8];
	int fd;

	srv = perf_server(e, port, ARGS("-1", "-B", "::1"));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(fd, 0);
	a.sin_port = htons(atoi(port));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	EXPECT_ERRNO(connect(fd, (struct sockaddr *)&a, sizeof(a)),
		     ECONNREFUSED);
	close(fd);
	cli = perf_run(e, "client", ARGS("-c", "::1", "-p", port, "--mode",
					 "plain", "-n", "1M", "-J"), NULL);
	EXPECT_EXIT(cli, 0, 0);
	EXPECT_EXIT(srv, 0, SERVER_MS);
	EXPECT_JSON(e, cli->out, THROUGHPUT_OK);
}

/* ---- GnuTLS in userspace ---- */

/* The negotiated version and cipher, as asked. */
static void expect_negotiated(struct tenv *e, const char *file,
			      const char *tls, const char *cipher)
{
	char t[64], c[96], pt[64], pc[96];

	snprintf(t, sizeof(t), ".negotiated.tls == \"%s\"", tls);
	snprintf(c, sizeof(c), ".negotiated.cipher == \"%s\"", cipher);
	snprintf(pt, sizeof(pt), ".params.tls == \"%s\"", tls);
	snprintf(pc, sizeof(pc), ".params.cipher == \"%s\"", cipher);
	EXPECT_JSON(e, file, t, c, pt, pc);
}

PERF_FIXTURE(gnutls, true)

FIXTURE_VARIANT(gnutls) {
	const char *tls, *cipher;
};

FIXTURE_VARIANT_ADD(gnutls, tls13_aes_gcm_128) { "1.3", "aes-gcm-128" };
FIXTURE_VARIANT_ADD(gnutls, tls13_aes_gcm_256) { "1.3", "aes-gcm-256" };
FIXTURE_VARIANT_ADD(gnutls, tls13_chacha20_poly1305) { "1.3", "chacha20-poly1305" };
FIXTURE_VARIANT_ADD(gnutls, tls13_aes_ccm_128) { "1.3", "aes-ccm-128" };
FIXTURE_VARIANT_ADD(gnutls, tls12_aes_gcm_128) { "1.2", "aes-gcm-128" };
FIXTURE_VARIANT_ADD(gnutls, tls12_aes_gcm_256) { "1.2", "aes-gcm-256" };
FIXTURE_VARIANT_ADD(gnutls, tls12_chacha20_poly1305) { "1.2", "chacha20-poly1305" };
FIXTURE_VARIANT_ADD(gnutls, tls12_aes_ccm_128) { "1.2", "aes-ccm-128" };


/*
 * A gnutls test that must succeed, with the version and cipher asked
 * for and the options of extra; both ends say they negotiated them.
 */
static struct pair gnutls_ok(struct perf_env *t, const char *tls,
			     const char *cipher, const char *const extra[])
{
	const char *args[32];
	struct pair r;

	args_cat(args, 32, ARGS("--mode", "gnutls", "--ca", t->ca, "--name",
				"localhost", "--tls", tls, "--cipher", cipher),
		 extra);
	r = perf_ok(&t->e, t->srv, args);
	expect_negotiated(&t->e, r.cli->out, tls, cipher);
	expect_negotiated(&t->e, r.srv->out, tls, cipher);
	return r;
}

/* 1M, 16K a write: 64 records at the least from client to server. */
TEST_F(gnutls, transfer)
{
	struct pair r = gnutls_ok(&self->t, variant->tls, variant->cipher,
				  ARGS("-n", "1M"));

	EXPECT_JSON(&self->t.e, r.cli->out, THROUGHPUT_OK,
		    ".params.mode == \"gnutls\"", ".params.keys == \"handshake\"",
		    ".end.sum_received.bytes == 1048576",
		    ".end.records.client_to_server >= 64",
		    ".end.records.server_to_client | num");
}

/* -R: the records go from the server to the client. */
TEST_F(gnutls, reverse)
{
	struct pair r = gnutls_ok(&self->t, variant->tls, variant->cipher,
				  ARGS("-n", "1M", "-R", "-P", "2"));

	EXPECT_JSON(&self->t.e, r.cli->out, THROUGHPUT_OK,
		    ".params.reverse == true", ".end.streams | length == 2",
		    ".end.sum_received.bytes == 1048576",
		    ".end.records.server_to_client >= 64",
		    ".end.records.client_to_server < 64");
}

/* --rx-only: the sender's records built ahead; the receiver decrypts. */
TEST_F(gnutls, rx_only)
{
	struct pair r = gnutls_ok(&self->t, variant->tls, variant->cipher,
				  ARGS("-n", "1M", "--rx-only"));

	EXPECT_JSON(&self->t.e, r.cli->out, ".params.rx_only == true",
		    ".end.sum_received.bytes == 1048576",
		    ".end.sum_received | rate_ok",
		    ".end.records.client_to_server >= 64");
}

/* Handshakes: the count, none failed, latencies in order. */
TEST_F(gnutls, handshakes)
{
	struct pair r = gnutls_ok(&self->t, variant->tls, variant->cipher,
				  ARGS("--handshakes", "5"));

	EXPECT_JSON(&self->t.e, r.cli->out, ".params.handshakes == 5",
		    ".params.resume == false", ".intervals == []",
		    ".end.handshakes == 5", ".end.kind == \"full\"",
		    ".end.failed == 0", ".end.wrong_kind == 0",
		    ".end.seconds > 0", ".end.per_second > 0",
		    ".end.per_second * .end.seconds | . > 4.9 and . < 5.1",
		    ".end.latency_ms | .min > 0 and .min <= .p50 and .p50 <= .p99 and .p99 <= .max",
		    ".end.cpu.client | cpu_ok", ".end.cpu.server | cpu_ok");
}

/*
 * --resume: every handshake counted resumed the session the one before
 * left (TLS 1.2's ticket, TLS 1.3's PSK), none of them full; the
 * unmeasured first one is not counted.  Both ends say so.
 */
TEST_F(gnutls, handshakes_resumed)
{
	struct pair r = gnutls_ok(&self->t, variant->tls, variant->cipher,
				  ARGS("--handshakes", "5", "--resume"));

	EXPECT_JSON(&self->t.e, r.cli->out, ".params.handshakes == 5",
		    ".params.resume == true", ".intervals == []",
		    ".end.handshakes == 5", ".end.kind == \"resumed\"",
		    ".end.failed == 0", ".end.wrong_kind == 0",
		    ".end.per_second * .end.seconds | . > 4.9 and . < 5.1",
		    ".end.latency_ms | .min > 0 and .min <= .p50 and .p50 <= .p99 and .p99 <= .max",
		    ".end.cpu.client | cpu_ok", ".end.cpu.server | cpu_ok");
	EXPECT_JSON(&self->t.e, r.srv->out, ".params.resume == true",
		    ".end.handshakes == 5", ".end.kind == \"resumed\"",
		    ".end.failed == 0");
}

PERF_FIXTURE(tls, true)


/* The client's defaults: TLS 1.3, AES-GCM-128, keys from a handshake. */
TEST_F(tls, defaults)
{
	struct tenv *e = &self->t.e;
	struct pair r;

	r = perf_ok(e, self->t.srv, ARGS("--mode", "gnutls", "--ca", self->t.ca,
					 "--name", "localhost", "-n", "1M"));
	EXPECT_JSON(e, r.cli->out, THROUGHPUT_OK,
		    ".params.keys == \"handshake\"",
		    ".params.length == 16384", ".params.streams == 1");
	expect_negotiated(e, r.cli->out, "1.3", "aes-gcm-128");
}

/* n handshakes in all, shared out over the -P streams; the text summary. */
TEST_F(tls, handshakes_parallel)
{
	struct tenv *e = &self->t.e;
	struct tproc *srv, *cli;
	char port[8];

	cli = perf_pair(e, self->t.srv, ARGS("--mode", "gnutls", "--ca",
					     self->t.ca, "--name", "localhost",
					     "--handshakes", "5", "-P", "2")).cli;
	EXPECT_EXIT(cli, 0, 0);
	EXPECT_JSON(e, cli->out, ".end.handshakes == 5", ".end.failed == 0",
		    ".params.streams == 2");

	srv = perf_server(e, port, ARGS("-1", "--cert", self->t.cert,
					"--key", self->t.key));
	cli = perf_client(e, "text", port,
			  ARGS("--mode", "gnutls", "--ca", self->t.ca, "--name",
			       "localhost", "--handshakes", "3"));
	EXPECT_EXIT(cli, 0, 0);
	EXPECT_EXIT(srv, 0, SERVER_MS);
	EXPECT_TRUE(file_says(cli->out, WORDS("handshake")));
}

/*
 * --resume with -P: each stream resumes its own sessions; 7 in all over
 * 3 streams, after one unmeasured handshake each.  The text says which
 * kind was measured.
 */
TEST_F(tls, handshakes_resumed_parallel)
{
	struct tenv *e = &self->t.e;
	struct tproc *srv, *cli;
	char port[8];

	cli = perf_pair(e, self->t.srv, ARGS("--mode", "gnutls", "--ca",
					     self->t.ca, "--name", "localhost",
					     "--handshakes", "7", "-P", "3",
					     "--resume")).cli;
	EXPECT_EXIT(cli, 0, 0);
	EXPECT_JSON(e, cli->out, ".end.handshakes == 7", ".end.failed == 0",
		    ".end.kind == \"resumed\"", ".end.wrong_kind == 0",
		    ".params.streams == 3", ".params.resume == true");

	srv = perf_server(e, port, ARGS("-1", "--cert", self->t.cert,
					"--key", self->t.key));
	cli = perf_client(e, "text", port,
			  ARGS("--mode", "gnutls", "--ca", self->t.ca, "--name",
			       "localhost", "--handshakes", "3", "--resume"));
	EXPECT_EXIT(cli, 0, 0);
	EXPECT_EXIT(srv, 0, SERVER_MS);
	EXPECT_TRUE(file_says(cli->out, WORDS("3 resumed in")));
	EXPECT_TRUE(file_says(srv->out, WORDS("3 resumed in")));
}

/* The certificate is not for the name asked, or not from the CA given. */
TEST_F(tls, certificate_that_does_not_verify)
{
	static const char *const vers[] = { "1.3", "1.2" };
	struct tenv *e = &self->t.e;
	struct pair r;
	size_t i;

	for (i = 0; i < 2; i++) {
		r = perf_pair(e, self->t.srv,
			      ARGS("--mode", "gnutls", "--ca", self->t.ca,
				   "--name", "other.example", "-n", "1M",
				   "--tls", vers[i]));
		EXPECT_EXIT(r.cli, 1, 0);
		EXPECT_SAYS(r.cli, WORDS("certificate", "verif", "name"));
		EXPECT_JSON(e, r.cli->out, ".error | type == \"string\"");
		r = perf_pair(e, self->t.srv,
			      ARGS("--mode", "gnutls", "--ca",
				   self->t.rogue_ca, "--name",
				   "localhost", "-n", "1M", "--tls", vers[i]));
		EXPECT_EXIT(r.cli, 1, 0);
		EXPECT_SAYS(r.cli, WORDS("certificate", "verif", "trust",
					 "issuer"));
		EXPECT_JSON(e, r.cli->out, ".error | type == \"string\"");
	}
}

/*
 * A server without a certificate cannot take a test that needs one:
 * the client fails with a message, and the one-off server with it.
 */
TEST_F(tls, server_without_certificate)
{
	struct tenv *e = &self->t.e;
	struct pair r;

	r = perf_pair(e, NULL, ARGS("--mode", "gnutls", "--ca", self->t.ca,
				    "--name", "localhost", "-n", "1M"));
	EXPECT_EXIT(r.cli, 1, 0);
	EXPECT_SAYS(r.cli, WORDS("certificate", "--cert"));
	EXPECT_JSON(e, r.cli->out, ".error | type == \"string\"");
}

TEST_HARNESS_MAIN
