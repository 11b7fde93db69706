// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: tlso-wrap, TLS for programs nobody changed.  python3's
 * http.server behind --accept serves curl over https://; curl over
 * http:// behind --connect fetches openssl s_server -www's page; a
 * handshake that fails is connect()'s errno, blocking or not (python's
 * own sockets say which); a client that fails the handshake is dropped
 * and the next one served; connections no rule names stay plain TCP.
 * The peers on the other side are OpenSSL and curl's TLS stack.
 */
#include <stdarg.h>

#include "tlsod_env.h"

#define WRAP		"build/bin/tlso-wrap"
#define OUT_SIZE	65536

FIXTURE(wrap) {
	struct tenv e;
	char *out;	/* what a command printed */
	char ca[PATH_MAX];
	int port;	/* the server's */
};

FIXTURE_SETUP(wrap)
{
	tenv_setup(&self->e, true);
	self->out = malloc(OUT_SIZE);
	ASSERT_TRUE(self->out != NULL);
	tenv_pki(&self->e, self->ca, sizeof(self->ca), PKI_CA, "pem");
}

FIXTURE_TEARDOWN(wrap)
{
	tenv_teardown(&self->e);
	free(self->out);
}


#define EXPECT_HAS(text, part) do {					\
	if (!strstr(text, part))					\
		th_fail(__FILE__, __LINE__, "no '%s' in: %s", part, text); \
} while (0)

/* dir/page.txt, holding text, in the case's directory: dir. */
static void page_dir(struct tenv *e, const char *text, char *dir, size_t size)
{
	char path[300];
	FILE *f;

	snprintf(dir, size, "%s/www", e->dir);
	ASSERT_OK(mkdir(dir, 0755));
	snprintf(path, sizeof(path), "%s/page.txt", dir);
	f = fopen(path, "w");
	ASSERT_TRUE(f != NULL);
	fputs(text, f);
	fclose(f);
}

/*
 * python3 -m http.server serving page.txt with text, behind tlso-wrap
 * --accept when wrapped; its port.
 */
static int http_server(struct tenv *e, const char *text, bool wrapped)
{
	static char portbuf[16], dir[256];
	const char *plain[] = {
		"python3", "-m", "http.server", portbuf, "--bind", "127.0.0.1",
		"--directory", dir, NULL,
	};
	const char *wrap[] = {
		WRAP, "--accept", portbuf, "--profile", "server", "--",
		"python3", "-m", "http.server", portbuf, "--bind", "127.0.0.1",
		"--directory", dir, NULL,
	};
	int port = -1;

	TENV_NEED("python3");
	TENV_NEED("curl");
	page_dir(e, text, dir, sizeof(dir));
	TCASE_ASSERT(tenv_spawn_server(e, "http.server",
				       wrapped ? wrap : plain, portbuf,
				       &port) != NULL);
	return port;
}

/* openssl s_server -www with the test server certificate. */
static struct tproc *s_server_www(struct tenv *e, int *port)
{
	static char portbuf[16], crt[PATH_MAX], key[PATH_MAX];
	const char *argv[] = {
		"openssl", "s_server", "-www", "-accept", portbuf,
		"-cert", crt, "-key", key, NULL,
	};

	tenv_pki(e, crt, sizeof(crt), PKI_SERVER, "pem");
	tenv_pki(e, key, sizeof(key), PKI_SERVER, "key");
	return tenv_spawn_server(e, "s_server", argv, portbuf, port);
}

/*
 * The server that knows nothing of TLS serves https://: curl checks the
 * certificate against the test CA, and tlso carried the records.
 */
TEST_F(wrap, http_server_behind_accept_serves_curl_https)
{
	long tx0 = kmod_tlso_stat(TLSO_STAT_TX_RECORDS);
	int port = http_server(&self->e, "served through tlso-wrap\n", true);

	EXPECT_EQ(tenv_capture(self->out, OUT_SIZE, "curl -sS --max-time 60 "
			       "--cacert %s https://localhost:%d/page.txt 2>&1",
			       self->ca, port), 0);
	EXPECT_STREQ(self->out, "served through tlso-wrap\n");
	/* and again: each connection its own handshake */
	EXPECT_EQ(tenv_capture(self->out, OUT_SIZE, "curl -sS --max-time 60 "
			       "--cacert %s https://127.0.0.1:%d/page.txt 2>&1",
			       self->ca, port), 0);
	EXPECT_STREQ(self->out, "served through tlso-wrap\n");
	EXPECT_GE(kmod_tlso_stat(TLSO_STAT_TX_RECORDS) - tx0, 2);
}

/*
 * A client that fails the handshake (plain HTTP to the TLS port) is
 * dropped before accept() returns; the server goes on and serves the
 * next one.
 */
TEST_F(wrap, failed_client_dropped_and_next_served)
{
	int port = http_server(&self->e, "still serving\n", true);

	EXPECT_NE(tenv_capture(self->out, OUT_SIZE, "curl -sS --max-time 60 "
			       "http://127.0.0.1:%d/page.txt 2>&1", port), 0);
	TH_LOG("plain HTTP to it: %s", self->out);
	EXPECT_EQ(strstr(self->out, "still serving"), NULL);
	EXPECT_EQ(tenv_capture(self->out, OUT_SIZE, "curl -sS --max-time 60 "
			       "--cacert %s https://localhost:%d/page.txt 2>&1",
			       self->ca, port), 0);
	EXPECT_STREQ(self->out, "still serving\n");
}

/* What no rule names is left alone: plain TCP, no tlso. */
TEST_F(wrap, other_connections_stay_plain)
{
	long att0 = kmod_tlso_stat(TLSO_STAT_ATTACHED);
	int port = http_server(&self->e, "plain\n", false);

	/* a rule for another port, and one for accept that curl never does */
	EXPECT_EQ(tenv_capture(self->out, OUT_SIZE, WRAP " --connect "
			       "127.0.0.1:%d --accept %d -- curl -sS "
			       "--max-time 60 http://127.0.0.1:%d/page.txt 2>&1",
			       port == 65535 ? port - 1 : port + 1, port, port),
		  0);
	EXPECT_STREQ(self->out, "plain\n");
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_ATTACHED), att0);
}

/*
 * curl speaking plain http:// (its non-blocking connect, poll, SO_ERROR)
 * behind --connect fetches s_server -www's status page over TLS 1.3.
 */
TEST_F(wrap, curl_http_behind_connect_gets_s_server_www)
{
	int port;

	TENV_NEED("curl");
	ASSERT_TRUE(s_server_www(&self->e, &port) != NULL);
	EXPECT_EQ(tenv_capture(self->out, OUT_SIZE, WRAP " --connect "
			       "127.0.0.1:%d --name localhost -- curl -sS "
			       "--max-time 60 http://127.0.0.1:%d/ 2>&1", port,
			       port), 0);
	TH_LOG("%.300s", self->out);
	EXPECT_HAS(self->out, "s_server -www");
	EXPECT_HAS(self->out, "TLSv1.3");
}

/* Python clients, so that the errno itself can be seen. */
#define PY_BLOCKING \
	"import socket, errno\n" \
	"try:\n" \
	"    s = socket.create_connection(('127.0.0.1', %d), timeout=None)\n" \
	"    s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')\n" \
	"    print('connected', b's_server' in s.makefile('rb').read())\n" \
	"except OSError as e:\n" \
	"    print(errno.errorcode[e.errno])\n"

#define PY_NONBLOCKING \
	"import socket, errno, select\n" \
	"s = socket.socket()\n" \
	"s.setblocking(False)\n" \
	"r = s.connect_ex(('127.0.0.1', %d))\n" \
	"select.select([], [s], [], 60)\n" \
	"err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)\n" \
	"print(errno.errorcode.get(r, r), errno.errorcode.get(err, err))\n" \
	"if not err:\n" \
	"    s.setblocking(True)\n" \
	"    s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')\n" \
	"    print('page', b's_server' in s.makefile('rb').read())\n"

/*
 * code, a python client of s_server -www, behind tlso-wrap --connect
 * verifying the first name, then the second; what each printed.
 */
static void python_twice(struct _th_data_wrap *self, const char *code,
			 const char *name1, char *out1, size_t size1,
			 const char *name2)
{
	const char *names[2] = { name1, name2 };
	char path[300];
	int port, i;
	FILE *f;

	TENV_NEED("python3");
	ASSERT_TRUE(s_server_www(&self->e, &port) != NULL);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/client%d.py", self->e.dir, i);
		f = fopen(path, "w");
		ASSERT_TRUE(f != NULL);
		fprintf(f, code, port);
		fclose(f);
		/* s_server -www serves one client at a time, and goes on */
		EXPECT_EQ(tenv_capture(i ? self->out : out1,
				       i ? OUT_SIZE : size1, WRAP " --connect "
				       "127.0.0.1:%d --name %s -- python3 %s "
				       "2>&1", port, names[i], path), 0);
		TH_LOG("%s: %s", names[i], i ? self->out : out1);
	}
}

/* Blocking connect(): done when it returns, or failed with the errno. */
TEST_F(wrap, blocking_connect_returns_the_handshakes_outcome)
{
	char good[4096];

	python_twice(self, PY_BLOCKING, "localhost", good, sizeof(good),
		     "wrong.example");
	EXPECT_HAS(good, "connected True\n");
	EXPECT_HAS(self->out, "EACCES\n");
	EXPECT_HAS(self->out, "tlso-wrap: wrong.example port ");
}

/*
 * Non-blocking connect(): EINPROGRESS, the socket polls writable once
 * the handshake has ended, and SO_ERROR says how it ended.
 */
TEST_F(wrap, nonblocking_connect_says_einprogress_then_so_error)
{
	char good[4096];

	python_twice(self, PY_NONBLOCKING, "localhost", good, sizeof(good),
		     "wrong.example");
	EXPECT_HAS(good, "EINPROGRESS 0\npage True\n");
	EXPECT_HAS(self->out, "EINPROGRESS EACCES\n");
}

/*
 * What tlso-wrap refuses: a statically linked program (nothing would be
 * preloaded: it would run unprotected), bad options, no rule.
 */
TEST(wrap_refuses_what_it_cannot_do)
{
	char out[4096];

	EXPECT_EQ(WEXITSTATUS(tenv_capture(out, sizeof(out), WRAP " --connect "
				      "127.0.0.1:1 -- /bin/busybox true 2>&1")),
		  127);
	EXPECT_HAS(out, "statically linked");
	EXPECT_EQ(WEXITSTATUS(tenv_capture(out, sizeof(out),
				      WRAP " -- true 2>&1")), 2);
	EXPECT_HAS(out, "nothing to wrap");
	EXPECT_EQ(WEXITSTATUS(tenv_capture(out, sizeof(out), WRAP " --connect "
				      "nocolon -- true 2>&1")), 2);
	EXPECT_EQ(WEXITSTATUS(tenv_capture(out, sizeof(out), WRAP " --accept "
				      "70000 -- true 2>&1")), 2);
	EXPECT_EQ(WEXITSTATUS(tenv_capture(out, sizeof(out), WRAP " --name x "
				      "--connect 127.0.0.1:1 -- true 2>&1")), 2);
	EXPECT_EQ(WEXITSTATUS(tenv_capture(out, sizeof(out), WRAP " --profile "
				      "'a;b' --accept 1 -- true 2>&1")), 2);
	EXPECT_EQ(WEXITSTATUS(tenv_capture(out, sizeof(out), WRAP " --accept 1 "
				      "-- /nonexistent/prog 2>&1")), 127);
	/* the library alone, without rules, runs nothing */
	EXPECT_EQ(WEXITSTATUS(tenv_capture(out, sizeof(out), "LD_PRELOAD="
				      "build/lib/tlso-wrap.so /bin/true 2>&1")),
		  127);
	EXPECT_HAS(out, "preloaded without TLSO_WRAP");
	EXPECT_EQ(WEXITSTATUS(tenv_capture(out, sizeof(out), "TLSO_WRAP='c=x' "
				      "LD_PRELOAD=build/lib/tlso-wrap.so /bin/true "
				      "2>&1")), 127);
}

TEST_HARNESS_MAIN
