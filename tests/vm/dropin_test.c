// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: tlso standing in for the in-tree kTLS module.  With
 * ulp_name=tls, an unmodified kTLS user -- OpenSSL's own kTLS path,
 * switched on by "Options = KTLS" in its configuration -- runs on tlso:
 * openssl s_server sends a file with SSL_sendfile() through it, curl (a
 * userspace TLS stack) fetches and checks it, and tlso's counters show
 * that tlso carried the records.
 */
#include <signal.h>
#include <stdarg.h>
#include <linux/tls.h>

#include "harness.h"
#include "kmod.h"
#include "sock.h"

#include <linux/tlso.h>

FIXTURE(dropin) {
	char dir[64];
	int port;
	pid_t server;
};

FIXTURE_VARIANT(dropin) {
	const char *tls;	/* openssl/curl spelling */
	bool rx;		/* OpenSSL 3.0 receives through kTLS too */
};

FIXTURE_VARIANT_ADD(dropin, tls12) { "1.2", true };
FIXTURE_VARIANT_ADD(dropin, tls13) { "1.3", false };

static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

FIXTURE_SETUP(dropin)
{
	char path[128];
	FILE *f;
	int i;

	self->server = -1;
	/* The name "tls" must be free: neither module may hold it. */
	if (kmod_loaded("tlso"))
		ASSERT_EQ(kmod_unload_wait("tlso", 5000), 0);
	if (kmod_loaded("tls") && kmod_unload_wait("tls", 5000))
		SKIP("the in-tree tls module is in use and cannot be unloaded");
	if (kmod_builtin("tls"))
		SKIP("tls is built into this kernel and holds the name for good");
	ASSERT_EQ(kmod_load(kmod_tlso_path(), "ulp_name=tls"), 0);

	strcpy(self->dir, "/tmp/tlso-dropin-XXXXXX");
	ASSERT_TRUE(mkdtemp(self->dir) != NULL);
	snprintf(path, sizeof(path), "%s/openssl.cnf", self->dir);
	f = fopen(path, "w");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "openssl_conf = init\n[init]\nssl_conf = ssl\n"
		   "[ssl]\nsystem_default = ssl_default\n"
		   "[ssl_default]\nOptions = KTLS\n");
	fclose(f);
	ASSERT_EQ(run("cd %s && openssl req -x509 -newkey ec "
		      "-pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
		      "-subj /CN=localhost -keyout key.pem -out cert.pem "
		      ">/dev/null 2>&1", self->dir), 0);
	/* 300 KB: several records, sent by sendfile. */
	f = fopen((snprintf(path, sizeof(path), "%s/file", self->dir), path),
		  "w");
	ASSERT_TRUE(f != NULL);
	for (i = 0; i < 300000; i++)
		fputc(sock_pattern(i, 1), f);
	fclose(f);
	self->port = 20000 + getpid() % 20000;
}

FIXTURE_TEARDOWN(dropin)
{
	if (self->server > 0) {
		kill(self->server, SIGKILL);
		waitpid(self->server, NULL, 0);
	}
	if (self->dir[0])
		run("rm -rf %s", self->dir);
	if (kmod_loaded("tlso"))
		kmod_unload_wait("tlso", 5000);
}

static void wait_port(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int i;

	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < 300; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;

		close(fd);
		if (ok)
			return;
		usleep(100 * 1000);
	}
}

TEST_F(dropin, openssl_ktls_runs_on_tlso)
{
	long tx = kmod_tlso_stat(TLSO_STAT_TX);
	long rx = kmod_tlso_stat(TLSO_STAT_RX);
	long txbytes = kmod_tlso_stat(TLSO_STAT_TX_BYTES);
	char cfg[128];
	int status;

	snprintf(cfg, sizeof(cfg), "%s/openssl.cnf", self->dir);
	fflush(NULL);
	self->server = fork();
	ASSERT_GE(self->server, 0);
	if (self->server == 0) {
		char port[16];

		if (chdir(self->dir))
			_exit(127);
		setenv("OPENSSL_CONF", cfg, 1);
		snprintf(port, sizeof(port), "%d", self->port);
		/*
		 * -WWW serves files, -sendfile with SSL_sendfile(), which
		 * needs kTLS for sending; the accepting connection counts
		 * once for the probe in wait_port(), once for curl.
		 */
		execlp("openssl", "openssl", "s_server", "-quiet",
		       "-accept", port, "-naccept", "2", "-cert", "cert.pem",
		       "-key", "key.pem", "-WWW", "-sendfile",
		       !strcmp(variant->tls, "1.2") ? "-tls1_2" : "-tls1_3",
		       (char *)NULL);
		_exit(127);
	}
	wait_port(self->port);
	ASSERT_EQ(run("cd %s && curl -sS --fail --max-time 60 --cacert cert.pem "
		      "--tlsv%s --tls-max %s https://localhost:%d/file -o got "
		      "&& cmp -s file got", self->dir, variant->tls,
		      variant->tls, self->port), 0);
	ASSERT_EQ(waitpid(self->server, &status, 0), self->server);
	self->server = -1;

	/* tlso, under the name "tls", carried OpenSSL's records. */
	EXPECT_GE(kmod_tlso_stat(TLSO_STAT_TX) - tx, 1);
	EXPECT_GE(kmod_tlso_stat(TLSO_STAT_TX_BYTES) - txbytes, 300000);
	if (variant->rx)
		EXPECT_GE(kmod_tlso_stat(TLSO_STAT_RX) - rx, 1);
	TH_LOG("tlso took %ld sending and %ld receiving sessions, %ld bytes",
	       kmod_tlso_stat(TLSO_STAT_TX) - tx,
	       kmod_tlso_stat(TLSO_STAT_RX) - rx,
	       kmod_tlso_stat(TLSO_STAT_TX_BYTES) - txbytes);
}

TEST_HARNESS_MAIN
