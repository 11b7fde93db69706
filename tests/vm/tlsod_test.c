// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: tlsod, the handshake daemon, end to end.  Each case starts
 * the real tlsod with a configuration of its own over a test PKI
 * (tlsod_env.h), asks for handshakes with setsockopt(TLSO_HANDSHAKE) and
 * then uses plain send/recv on the socket, against independent TLS
 * implementations:
 *
 *   interop	a tlso client against openssl s_server and gnutls-serv, a
 *		tlso server against openssl s_client, gnutls-cli and curl
 *		(HTTPS, the certificate verified), TLS 1.3 and 1.2, data
 *		both ways and compared; mutual authentication both ways
 *   verify	a wrong name, an untrusted CA, an expired certificate, a
 *		client without certificate where one is required: each
 *		fails with EACCES (or as tlsod(8) says for TLS 1.3) and
 *		no data passes
 *   fault	no daemon, the daemon killed or stopped mid-handshake, a
 *		stuck worker, a silent peer, garbage, a peer that closes,
 *		the application closing or writing mid-handshake, SIGHUP,
 *		fifty handshakes at once
 *   post	what the peer sends after the handshake: NewSessionTicket,
 *		close_notify both ways, a fatal alert
 *
 * Every case ends (tenv_teardown) by checking that tlsod has no worker
 * left and holds no more descriptors than when it started, that it exits
 * 0 on SIGTERM, and that the module has no tlso socket left over.
 */
#include <pthread.h>
#include <strings.h>

#include "tlsod_env.h"

struct tver {
	uint16_t version;
	const char *ossl;	/* openssl s_server / s_client */
	const char *prio;	/* GnuTLS priority: this version only */
	const char *curl;	/* --tlsvX --tls-max X */
};

static const struct tver tls12 = {
	TLS_1_2_VERSION, "-tls1_2", "NORMAL:-VERS-ALL:+VERS-TLS1.2", "1.2",
};
static const struct tver tls13 = {
	TLS_1_3_VERSION, "-tls1_3", "NORMAL:-VERS-ALL:+VERS-TLS1.3", "1.3",
};

/* ---- helpers ---- */

/* len bytes of printable lines (no CR: gnutls-serv's echo rewrites CRLF). */
static char *make_text(size_t len, unsigned int seed)
{
	char *p = malloc(len + 1), line[96];
	unsigned int no = 0;
	size_t i = 0;

	if (!p)
		abort();
	while (i < len) {
		int n = snprintf(line, sizeof(line),
				 "tlso %u line %05u the quick brown fox jumps over the lazy dog\n",
				 seed, no++);
		size_t k = (size_t)n < len - i ? (size_t)n : len - i;

		memcpy(p + i, line, k);
		i += k;
	}
	if (len)
		p[len - 1] = '\n';
	p[len] = 0;
	return p;
}

static const char *cipher_name(uint16_t cipher)
{
	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128:
		return "AES-128-GCM";
	case TLS_CIPHER_AES_GCM_256:
		return "AES-256-GCM";
	case TLS_CIPHER_CHACHA20_POLY1305:
		return "CHACHA20-POLY1305";
	case TLS_CIPHER_AES_CCM_128:
		return "AES-128-CCM";
	default:
		return "?";
	}
}

/* The handshake ended well, with this version and identity. */
#define EXPECT_DONE(fd, ver, ident) do {				\
	struct tlso_handshake_status _st = hs_get(fd);			\
	TH_LOG("handshake: state %u, TLS %s, %s, peer '%s'", _st.state,	\
	       _st.version == TLS_1_3_VERSION ? "1.3" :			\
	       _st.version == TLS_1_2_VERSION ? "1.2" : "?",		\
	       cipher_name(_st.cipher), _st.peer_identity);		\
	EXPECT_EQ(_st.state, TLSO_HS_DONE);				\
	EXPECT_EQ(_st.status, 0);					\
	EXPECT_EQ(_st.version, ver);					\
	EXPECT_STRNE(cipher_name(_st.cipher), "?");			\
	EXPECT_STREQ(_st.peer_identity, ident);				\
} while (0)

/* It failed with err, and the socket is of no use: nothing passes. */
#define EXPECT_FAILED(fd, err) do {					\
	struct tlso_handshake_status _st = hs_get(fd);			\
	char _b[16];							\
	EXPECT_EQ(_st.state, TLSO_HS_FAILED);				\
	EXPECT_EQ(_st.status, err);					\
	EXPECT_ERRNO(send(fd, "leak\n", 5, MSG_NOSIGNAL | MSG_DONTWAIT), \
		     err);						\
	EXPECT_ERRNO(recv(fd, _b, sizeof(_b), MSG_DONTWAIT), err);	\
} while (0)

/* A tlso client socket to 127.0.0.1:port, attached, nothing asked yet. */
static int tlso_client(struct tenv *e, int port)
{
	int fd = tenv_connect(e, port);

	ASSERT_OK(tenv_attach(e, fd));
	return fd;
}

/* The next connection on lfd, attached: the tlso server's socket. */
static int tlso_accept(struct tenv *e, int lfd)
{
	int fd = tenv_accept(e, lfd, TENV_HS_MS);

	ASSERT_GE(fd, 0);
	ASSERT_OK(tenv_attach(e, fd));
	return fd;
}

/* Start a server whose argv holds portbuf; retried on another port. */
static struct tproc *spawn_server(struct tenv *e, const char *name,
				  const char *const argv[], char *portbuf,
				  int *port)
{
	struct tproc *p;
	int i;

	for (i = 0; i < 3; i++) {
		*port = tenv_free_port();
		ASSERT_GT(*port, 0);
		snprintf(portbuf, 16, "%d", *port);
		p = tenv_spawn(e, name, true, argv);
		if (tenv_wait_listen(p, *port, 20000))
			return p;
		tenv_show(p);
		tproc_kill(p);
	}
	ASSERT_TRUE(!"the server did not come up on any of 3 ports");
	return NULL;
}

/* openssl s_server -quiet: stdin goes to the client, what it gets to stdout. */
static struct tproc *s_server(struct tenv *e, int *port, int cert,
			      const struct tver *v, const char *x1,
			      const char *x2, const char *x3)
{
	static char portbuf[16], crt[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
	const char *argv[] = {
		"openssl", "s_server", "-quiet", "-naccept", "1",
		"-accept", portbuf, "-cert", crt, "-key", key, "-CAfile", ca,
		v->ossl, x1, x2, x3, NULL,
	};

	TENV_NEED("openssl");
	tenv_pki(e, crt, sizeof(crt), cert, "pem");
	tenv_pki(e, key, sizeof(key), cert, "key");
	tenv_pki(e, ca, sizeof(ca), PKI_CA, "pem");
	return spawn_server(e, "s_server", argv, portbuf, port);
}

/* gnutls-serv --echo: every record back as it came. */
static struct tproc *gnutls_serv(struct tenv *e, int *port,
				 const struct tver *v, const char *x1,
				 const char *x2, const char *x3)
{
	static char portbuf[16], crt[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
	const char *argv[] = {
		"gnutls-serv", "--echo", "-p", portbuf,
		"--x509certfile", crt, "--x509keyfile", key,
		"--x509cafile", ca, "--priority", v->prio, x1, x2, x3, NULL,
	};

	TENV_NEED("gnutls-serv");
	tenv_pki(e, crt, sizeof(crt), PKI_SERVER, "pem");
	tenv_pki(e, key, sizeof(key), PKI_SERVER, "key");
	tenv_pki(e, ca, sizeof(ca), PKI_CA, "pem");
	return spawn_server(e, "gnutls-serv", argv, portbuf, port);
}

/* openssl s_client -quiet to our port, checking our certificate. */
static struct tproc *s_client(struct tenv *e, int port, const struct tver *v,
			      bool with_cert)
{
	static char conn[32], ca[PATH_MAX], crt[PATH_MAX], key[PATH_MAX];
	const char *argv[] = {
		"openssl", "s_client", "-connect", conn, "-CAfile", ca,
		"-verify_return_error", "-verify_hostname", "localhost",
		"-quiet", v->ossl,
		with_cert ? "-cert" : NULL, crt, "-key", key, NULL,
	};

	TENV_NEED("openssl");
	snprintf(conn, sizeof(conn), "127.0.0.1:%d", port);
	tenv_pki(e, ca, sizeof(ca), PKI_CA, "pem");
	tenv_pki(e, crt, sizeof(crt), PKI_CLIENT, "pem");
	tenv_pki(e, key, sizeof(key), PKI_CLIENT, "key");
	return tenv_spawn(e, "s_client", true, argv);
}

/* The file holds exactly want, within ms. */
static bool file_is(const char *path, const char *want, int ms)
{
	double end = tenv_now() + ms / 1000.0;
	size_t len, wlen = strlen(want);
	char *got;
	bool same;

	for (;;) {
		got = tenv_slurp(path, &len);
		same = len == wlen && !memcmp(got, want, len);
		free(got);
		if (same || len > wlen || tenv_now() > end)
			break;
		tenv_msleep(30);
	}
	if (!same)
		TH_LOG("%s: %zu bytes, wanted %zu", path, len, wlen);
	return same;
}

/* Send text, and check that exactly it comes back (an echo). */
static void echo_check(int fd, const char *text)
{
	size_t len = strlen(text);
	char *buf = malloc(len + 1);

	ASSERT_TRUE(buf != NULL);
	ASSERT_OK(sock_write_all(fd, text, len));
	ASSERT_OK(tenv_read_exact(fd, buf, len, TENV_HS_MS));
	buf[len] = 0;
	EXPECT_MEMEQ(buf, text, len);
	free(buf);
}

/* Read len bytes and compare them with want. */
static void read_check(int fd, const char *want)
{
	size_t len = strlen(want);
	char *buf = malloc(len + 1);

	ASSERT_TRUE(buf != NULL);
	if (tenv_read_exact(fd, buf, len, TENV_HS_MS)) {
		TH_LOG("reading %zu bytes: %s", len,
		       errno ? strerror(errno) : "end of stream");
		ASSERT_TRUE(!"the data came");
	}
	EXPECT_MEMEQ(buf, want, len);
	free(buf);
}

/* ---- interop ---- */

FIXTURE(interop) {
	struct tenv e;
};

FIXTURE_VARIANT(interop) {
	const struct tver *v;
};

FIXTURE_VARIANT_ADD(interop, tls13) { &tls13 };
FIXTURE_VARIANT_ADD(interop, tls12) { &tls12 };

FIXTURE_SETUP(interop)
{
	tenv_setup(&self->e, true);
}

FIXTURE_TEARDOWN(interop)
{
	tenv_teardown(&self->e);
}

/*
 * 32 KiB each way, then s_server, at the end of its input, closes with
 * close_notify: end of file for the application.
 */
TEST_F(interop, client_vs_openssl_s_server)
{
	struct tenv *e = &self->e;
	char *up = make_text(32768, 1), *down = make_text(32768, 2), c;
	struct tproc *srv;
	int port, fd;

	srv = s_server(e, &port, PKI_SERVER, variant->v, NULL, NULL, NULL);
	fd = tlso_client(e, port);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", TENV_HS_MS));
	EXPECT_DONE(fd, variant->v->version, "CN=localhost");

	ASSERT_OK(sock_write_all(fd, up, strlen(up)));
	ASSERT_OK(tproc_write(srv, down));
	read_check(fd, down);
	EXPECT_TRUE(file_is(srv->out, up, TENV_HS_MS));

	tproc_close_stdin(srv);
	EXPECT_EQ(tenv_recv_wait(fd, &c, 1, TENV_HS_MS), 0);
	EXPECT_EXIT(srv, 0, TENV_HS_MS);
	free(up);
	free(down);
}

/* gnutls-serv asks for a client certificate (optional); we have none. */
TEST_F(interop, client_vs_gnutls_serv)
{
	struct tenv *e = &self->e;
	char *text = make_text(32768, 3);
	int port, fd;

	gnutls_serv(e, &port, variant->v, NULL, NULL, NULL);
	fd = tlso_client(e, port);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, NULL, "localhost",
			   TENV_HS_MS));
	EXPECT_DONE(fd, variant->v->version, "CN=localhost");
	echo_check(fd, text);
	free(text);
}

/*
 * s_client sends its input and prints what it gets; shutdown(SHUT_WR)
 * sends close_notify, to which s_client answers with its own and exits 0
 * (a bare FIN would be "unexpected eof" and exit 1).
 */
TEST_F(interop, server_vs_openssl_s_client)
{
	struct tenv *e = &self->e;
	char *up = make_text(32768, 4), *down = make_text(32768, 5), c;
	struct tproc *cli;
	int port, lfd, fd;

	lfd = tenv_listen(e, &port);
	cli = s_client(e, port, variant->v, false);
	ASSERT_OK(tproc_write(cli, up));
	tproc_close_stdin(cli);		/* -quiet: it goes on regardless */
	fd = tlso_accept(e, lfd);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_SERVER, "server", "", TENV_HS_MS));
	EXPECT_DONE(fd, variant->v->version, "");

	read_check(fd, up);
	ASSERT_OK(sock_write_all(fd, down, strlen(down)));
	ASSERT_OK(shutdown(fd, SHUT_WR));
	EXPECT_EQ(tenv_recv_wait(fd, &c, 1, TENV_HS_MS), 0);
	EXPECT_EXIT(cli, 0, TENV_HS_MS);
	EXPECT_TRUE(file_is(cli->out, down, 0));
	EXPECT_FALSE(tenv_file_has(cli->err, "unexpected eof", 0));
	free(up);
	free(down);
}

/* gnutls-cli verifies the name; close() sends close_notify. */
TEST_F(interop, server_vs_gnutls_cli)
{
	struct tenv *e = &self->e;
	char *up = make_text(20000, 6), *down = make_text(30000, 7);
	char ca[PATH_MAX], portbuf[16], log[PATH_MAX];
	struct tproc *cli;
	int port, lfd, fd;
	const char *argv[] = {
		"gnutls-cli", "--logfile", log, "--x509cafile", ca,
		"--verify-hostname", "localhost", "--priority",
		variant->v->prio, "-p", portbuf, "127.0.0.1", NULL,
	};

	TENV_NEED("gnutls-cli");
	lfd = tenv_listen(e, &port);
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	tenv_pki(e, ca, sizeof(ca), PKI_CA, "pem");
	snprintf(log, sizeof(log), "%s/gnutls-cli.log", e->dir);
	cli = tenv_spawn(e, "gnutls-cli", true, argv);
	ASSERT_OK(tproc_write(cli, up));
	fd = tlso_accept(e, lfd);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_SERVER, "server", "", TENV_HS_MS));
	EXPECT_DONE(fd, variant->v->version, "");

	read_check(fd, up);
	ASSERT_OK(sock_write_all(fd, down, strlen(down)));
	tenv_close(e, fd);
	EXPECT_TRUE(tenv_wait_file_has(log, "Peer has closed the GnuTLS connection",
				       0, TENV_HS_MS));
	tproc_close_stdin(cli);
	EXPECT_EXIT(cli, 0, TENV_HS_MS);
	EXPECT_TRUE(file_is(cli->out, down, 0));
	if (th_res->nfail)
		tenv_show_file("gnutls-cli log", log);
	free(up);
	free(down);
}

/* The head of an HTTP request on fd: its body length, the rest in *body. */
static long http_request(int fd, char *buf, size_t size, size_t *have,
			 char **body)
{
	char *end = NULL, *cl;
	size_t len = 0;

	while (!end) {
		ssize_t n;

		ASSERT_LT(len, size - 1);
		n = tenv_recv_wait(fd, buf + len, size - 1 - len, TENV_HS_MS);
		if (n <= 0)
			TH_LOG("reading the request: %s",
			       n == 0 ? "end of stream" : strerror(errno));
		ASSERT_GT(n, 0);
		len += n;
		buf[len] = 0;
		end = strstr(buf, "\r\n\r\n");
	}
	*body = end + 4;
	*have = len - (size_t)(*body - buf);
	end[2] = 0;
	TH_LOG("request: %.*s", (int)strcspn(buf, "\r"), buf);
	EXPECT_EQ(strncmp(buf, "POST /tlso HTTP/1.1\r\n", 21), 0);
	for (cl = buf; cl && strncasecmp(cl, "content-length:", 15);
	     cl = strstr(cl, "\r\n") ? strstr(cl, "\r\n") + 2 : NULL)
		;
	ASSERT_TRUE(cl != NULL);
	return strtol(cl + 15, NULL, 10);
}

/* curl POSTs a body over HTTPS and gets one back; both compared. */
TEST_F(interop, server_vs_curl)
{
	struct tenv *e = &self->e;
	char *up = make_text(20000, 8), *down = make_text(50000, 9);
	char ca[PATH_MAX], url[64], resolve[64], upf[PATH_MAX + 1],
	     downf[PATH_MAX], head[8192], *got, *body;
	const struct tver *v = variant->v;
	char tlsv[16];
	size_t have;
	struct tproc *cli;
	int port, lfd, fd;
	long clen;
	const char *argv[] = {
		"curl", "-sS", "--fail", "--max-time", "60", "--http1.1",
		"--cacert", ca, "--resolve", resolve, tlsv, "--tls-max",
		v->curl, "-H", "Expect:", "--data-binary", upf, "-o", downf,
		url, NULL,
	};

	TENV_NEED("curl");
	lfd = tenv_listen(e, &port);
	tenv_pki(e, ca, sizeof(ca), PKI_CA, "pem");
	snprintf(resolve, sizeof(resolve), "localhost:%d:127.0.0.1", port);
	snprintf(url, sizeof(url), "https://localhost:%d/tlso", port);
	snprintf(tlsv, sizeof(tlsv), "--tlsv%s", v->curl);
	snprintf(upf, sizeof(upf), "@%s/up.txt", e->dir);
	snprintf(downf, sizeof(downf), "%s/down.txt", e->dir);
	ASSERT_OK(tenv_write_file(upf + 1, up, strlen(up)));
	cli = tenv_spawn(e, "curl", false, argv);
	fd = tlso_accept(e, lfd);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_SERVER, "server", NULL, TENV_HS_MS));
	EXPECT_DONE(fd, v->version, "");

	clen = http_request(fd, head, sizeof(head), &have, &body);
	ASSERT_EQ(clen, (long)strlen(up));
	got = malloc(clen + 1);
	ASSERT_TRUE(got != NULL);
	ASSERT_LE(have, (size_t)clen);
	memcpy(got, body, have);
	ASSERT_OK(tenv_read_exact(fd, got + have, clen - have, TENV_HS_MS));
	EXPECT_MEMEQ(got, up, clen);
	snprintf(head, sizeof(head),
		 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		 strlen(down));
	ASSERT_OK(sock_write_all(fd, head, strlen(head)));
	ASSERT_OK(sock_write_all(fd, down, strlen(down)));
	tenv_close(e, fd);
	EXPECT_EXIT(cli, 0, TENV_HS_MS);
	EXPECT_TRUE(file_is(downf, down, 0));
	free(got);
	free(up);
	free(down);
}

/* Profile client_cert: gnutls-serv requires and verifies our certificate. */
TEST_F(interop, client_cert_vs_gnutls_serv)
{
	struct tenv *e = &self->e;
	char *text = make_text(5000, 10);
	struct tproc *srv;
	int port, fd;

	srv = gnutls_serv(e, &port, variant->v, "--require-client-cert",
			  "--verify-client-cert", NULL);
	fd = tlso_client(e, port);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "client_cert", "localhost",
			   TENV_HS_MS));
	EXPECT_DONE(fd, variant->v->version, "CN=localhost");
	echo_check(fd, text);
	/* It printed the certificate it got from us. */
	EXPECT_TRUE(tenv_wait_file_has(srv->out, "CN=tlso test client", 0,
				       5000));
	free(text);
}

/* Profile server_require: s_client shows its certificate, we see who. */
TEST_F(interop, server_require_vs_s_client_with_cert)
{
	struct tenv *e = &self->e;
	struct tproc *cli;
	int port, lfd, fd;
	char c;

	lfd = tenv_listen(e, &port);
	cli = s_client(e, port, variant->v, true);
	ASSERT_OK(tproc_write(cli, "mutual\n"));
	tproc_close_stdin(cli);
	fd = tlso_accept(e, lfd);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_SERVER, "server_require", "",
			   TENV_HS_MS));
	EXPECT_DONE(fd, variant->v->version, "CN=tlso test client");
	read_check(fd, "mutual\n");
	ASSERT_OK(sock_write_all(fd, "authenticated\n", 14));
	ASSERT_OK(shutdown(fd, SHUT_WR));
	EXPECT_EQ(tenv_recv_wait(fd, &c, 1, TENV_HS_MS), 0);
	EXPECT_EXIT(cli, 0, TENV_HS_MS);
	EXPECT_TRUE(file_is(cli->out, "authenticated\n", 0));
}

/* ---- verification ---- */

FIXTURE(verify) {
	struct tenv e;
};

FIXTURE_VARIANT(verify) {
	const struct tver *v;
};

FIXTURE_VARIANT_ADD(verify, tls13) { &tls13 };
FIXTURE_VARIANT_ADD(verify, tls12) { &tls12 };

FIXTURE_SETUP(verify)
{
	tenv_setup(&self->e, true);
}

FIXTURE_TEARDOWN(verify)
{
	tenv_teardown(&self->e);
}

/*
 * s_server shows cert; the tlso client must refuse it with EACCES, for
 * the reason GnuTLS gives (tlsod logs it), and nothing may pass: our
 * socket fails every read and write, s_server prints nothing it got.
 */
static void client_refuses(struct tenv *e, const struct tver *v, int cert,
			   const char *why)
{
	struct tproc *srv;
	double t0;
	int port, fd;

	srv = s_server(e, &port, cert, v, NULL, NULL, NULL);
	fd = tlso_client(e, port);
	t0 = tenv_now();
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
			      TENV_HS_MS), EACCES);
	TH_LOG("refused after %.2f s", tenv_now() - t0);
	EXPECT_FAILED(fd, EACCES);
	EXPECT_TRUE(tenv_wait_file_has(e->log, why, 0, 5000));
	tenv_show_outcomes(e);
	/* Nothing it sends now reaches us either (it may be gone: EPIPE). */
	tproc_write(srv, "server secret\n");
	tproc_wait(srv, 3000);
	EXPECT_FALSE(tenv_file_has(srv->out, "leak", 0));
}

TEST_F(verify, wrong_name)
{
	client_refuses(&self->e, variant->v, PKI_WRONG_NAME,
		       "does not match the expected");
}

TEST_F(verify, untrusted_ca)
{
	client_refuses(&self->e, variant->v, PKI_UNTRUSTED,
		       "issuer is unknown");
}

TEST_F(verify, expired)
{
	client_refuses(&self->e, variant->v, PKI_EXPIRED, "expired");
}

/* client_auth = require, and s_client has no certificate: EACCES. */
TEST_F(verify, missing_client_cert)
{
	struct tenv *e = &self->e;
	struct tproc *cli;
	int port, lfd, fd, st;

	lfd = tenv_listen(e, &port);
	cli = s_client(e, port, variant->v, false);
	ASSERT_OK(tproc_write(cli, "client secret\n"));
	fd = tlso_accept(e, lfd);
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_SERVER, "server_require", "",
			      TENV_HS_MS), EACCES);
	EXPECT_FAILED(fd, EACCES);
	EXPECT_TRUE(tenv_wait_file_has(e->log, "(EACCES)", 0, 5000));
	tenv_show_outcomes(e);
	/* Whatever s_client sent after its Finished is not ours to read. */
	EXPECT_FALSE(tenv_file_has(cli->out, "leak", 0));
	tenv_close(e, fd);
	tproc_close_stdin(cli);
	st = tproc_wait(cli, TENV_HS_MS);
	EXPECT_NE(st, -1);
	EXPECT_NE(st, 0);	/* s_client saw the failure too */
	EXPECT_FALSE(tenv_file_has(cli->out, "leak", 0));
}

/*
 * The other way round: s_server -Verify requires a certificate and our
 * profile "default" has none.  TLS 1.2: EACCES.  TLS 1.3: the client's
 * handshake is over before the server decides, so it succeeds, and the
 * server's alert is the first record the application reads (tlsod(8),
 * ERRORS): ECONNRESET (<linux/tlso.h>).  No data passes either way.
 */
TEST_F(verify, client_without_cert_to_requiring_server)
{
	struct tenv *e = &self->e;
	struct tproc *srv;
	int port, fd;
	char buf[64];

	srv = s_server(e, &port, PKI_SERVER, variant->v, "-Verify", "1",
		       NULL);
	fd = tlso_client(e, port);
	if (variant->v->version == TLS_1_2_VERSION) {
		EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
				      TENV_HS_MS), EACCES);
		EXPECT_FAILED(fd, EACCES);
	} else {
		ssize_t n;

		EXPECT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
				   TENV_HS_MS));
		n = send(fd, "leak\n", 5, MSG_NOSIGNAL);
		TH_LOG("send after the handshake: %zd (%s)", n,
		       n < 0 ? strerror(errno) : "sent");
		EXPECT_ERRNO(tenv_recv_wait(fd, buf, sizeof(buf), TENV_HS_MS),
			     ECONNRESET);
		EXPECT_ERRNO(recv(fd, buf, sizeof(buf), MSG_DONTWAIT),
			     ECONNRESET);
	}
	tenv_show_outcomes(e);
	tproc_wait(srv, 3000);
	EXPECT_FALSE(tenv_file_has(srv->out, "leak", 0));
}

/* ---- faults ---- */

FIXTURE(fault) {
	struct tenv e;
};

FIXTURE_SETUP(fault)
{
	tenv_setup(&self->e, true);
}

FIXTURE_TEARDOWN(fault)
{
	tenv_teardown(&self->e);
}

/* A peer that accepts and never answers: the test holds its end. */
struct silent {
	int lfd, port;
};

static int silent_conn(struct tenv *e, struct silent *s, int *peer)
{
	int fd;

	if (!s->lfd)
		s->lfd = tenv_listen(e, &s->port);
	fd = tlso_client(e, s->port);
	*peer = tenv_accept(e, s->lfd, 5000);
	ASSERT_GE(*peer, 0);
	return fd;
}

/* Whether the peer's end sees the connection go (EOF or reset) within ms. */
static bool peer_sees_end(int peer, int ms)
{
	double end = tenv_now() + ms / 1000.0;
	char buf[4096];

	for (;;) {
		ssize_t n = tenv_recv_wait(peer, buf, sizeof(buf), 200);

		if (n == 0 || (n < 0 && n != -2 && errno != EAGAIN))
			return true;
		if (tenv_now() > end)
			return false;
	}
}

/* A GnuTLS peer that pings and pongs; the pid to wait for. */
static pid_t ping_peer(struct tenv *e, int lfd, int nconn, int gate)
{
	struct gpeer g = {
		.prio = tls13.prio, .nconn = nconn, .gate = gate,
		.expect = "ping\n", .reply = "pong\n", .end = GPEER_WAIT_EOF,
	};

	return gpeer_start(e, &g, lfd);
}

/*
 * A gate for a gpeer: the read end, for struct gpeer; *release gets the
 * write end, one byte of which lets one connection's handshake go on.
 */
static int make_gate(struct tenv *e, int *release)
{
	int p[2];

	ASSERT_OK(pipe2(p, O_CLOEXEC));
	tenv_track(e, p[0]);
	*release = tenv_track(e, p[1]);
	return p[0];
}

static void open_gate(int release, int n)
{
	while (n-- > 0)
		ASSERT_EQ(write(release, "g", 1), 1);
}

static void ping_pong(int fd)
{
	ASSERT_OK(sock_write_all(fd, "ping\n", 5));
	read_check(fd, "pong\n");
}

/* A handshake that works, to show the daemon still serves. */
static void still_serves(struct tenv *e)
{
	int lfd, port, fd;
	pid_t peer;

	lfd = tenv_listen(e, &port);
	peer = ping_peer(e, lfd, 1, 0);
	fd = tlso_client(e, port);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", TENV_HS_MS));
	ping_pong(fd);
	tenv_close(e, fd);
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
}

/* Two handshakes and a ping each, one after the other. */
static void two_handshakes(struct tenv *e)
{
	int lfd, port, fd, i;
	pid_t peer;

	lfd = tenv_listen(e, &port);
	peer = ping_peer(e, lfd, 2, 0);
	for (i = 0; i < 2; i++) {
		fd = tlso_client(e, port);
		ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
				   TENV_HS_MS));
		ping_pong(fd);
		tenv_close(e, fd);
	}
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
}

/*
 * Handshakes one after another: the worker of the first serves the
 * second instead of a new process (tlsod -v logs it), then leaves once
 * idle (the teardown finds no worker left).
 */
TEST_F(fault, worker_serves_the_next_handshake)
{
	struct tenv *e = &self->e;
	off_t from = tenv_file_size(e->log);

	two_handshakes(e);
	EXPECT_TRUE(tenv_file_has(e->log, "takes another request", from));
}

/*
 * --worker-idle 0: a worker per handshake, as before workers waited for
 * more; a value that is not a number of milliseconds: exit 2.
 */
TEST_F(fault, worker_idle_zero_is_a_worker_each)
{
	static const char *const bad[] = { TENV_TLSOD, "--worker-idle",
					   "5s", NULL };
	struct tenv *e = &self->e;
	struct tproc *p;
	off_t from;

	p = tenv_spawn(e, "tlsod-bad", false, bad);
	EXPECT_EXIT(p, 2, 10000);
	EXPECT_TRUE(tenv_file_has(p->err, "--worker-idle", 0));

	EXPECT_EQ(tenv_stop_tlsod(e, 10000), 0);
	e->tlsod_opt[0] = "--worker-idle";
	e->tlsod_opt[1] = "0";
	from = tenv_file_size(e->log);
	tenv_start_tlsod(e);
	two_handshakes(e);
	EXPECT_TRUE(tenv_file_has(e->log, "started", from));
	EXPECT_FALSE(tenv_file_has(e->log, "takes another request", from));
}

/* tlsod stopped: ESRCH at once, nothing queued; later, the same socket. */
TEST_F(fault, no_daemon)
{
	struct tenv *e = &self->e;
	int lfd, port, fd;
	double t0;
	pid_t peer;

	EXPECT_EQ(tenv_stop_tlsod(e, 10000), 0);
	lfd = tenv_listen(e, &port);
	peer = ping_peer(e, lfd, 1, 0);
	fd = tlso_client(e, port);
	t0 = tenv_now();
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
			      TENV_HS_MS), ESRCH);
	EXPECT_LT(tenv_now() - t0, 1.0);
	EXPECT_EQ(hs_get(fd).state, TLSO_HS_NONE);
	tenv_set_nonblock(fd, true);
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
			      TENV_HS_MS), ESRCH);
	tenv_set_nonblock(fd, false);

	/* ESRCH left the socket as it was: a daemon that comes now serves it. */
	tenv_start_tlsod(e);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", TENV_HS_MS));
	EXPECT_DONE(fd, TLS_1_3_VERSION, "CN=localhost");
	ping_pong(fd);
	tenv_close(e, fd);
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
}

/*
 * Start a handshake to a silent peer on a non-blocking socket and return
 * the worker that took it.
 */
static pid_t start_silent(struct tenv *e, struct silent *s, int *fd,
			  int *peer, uint32_t ms)
{
	pid_t w;

	*fd = silent_conn(e, s, peer);
	ASSERT_OK(tenv_set_nonblock(*fd, true));
	ASSERT_ERRNO(hs_start(*fd, TLSO_ROLE_CLIENT, "", "localhost", ms),
		     EINPROGRESS);
	EXPECT_EQ(hs_get(*fd).state, TLSO_HS_PENDING);
	w = tenv_worker_holding(e, *fd, 10000);
	ASSERT_GT(w, 0);
	return w;
}

/* The worker of a handshake killed: ECONNABORTED, and tlsod goes on. */
TEST_F(fault, worker_killed_mid_handshake)
{
	struct tenv *e = &self->e;
	struct silent s = { 0 };
	int fd, peer;
	pid_t w;

	w = start_silent(e, &s, &fd, &peer, 20000);
	ASSERT_OK(kill(w, SIGKILL));
	EXPECT_EQ(hs_wait(fd, 10000), TLSO_HS_FAILED);
	EXPECT_FAILED(fd, ECONNABORTED);
	EXPECT_TRUE(tenv_wait_file_has(e->log, "killed by signal 9", 0, 5000));
	EXPECT_EQ(kill(e->tlsod, 0), 0);	/* tlsod itself goes on */
	still_serves(e);
}

/* The whole daemon killed (as a service manager would): ECONNABORTED. */
TEST_F(fault, daemon_killed_mid_handshake)
{
	struct tenv *e = &self->e;
	struct silent s = { 0 };
	pid_t w, pids[8];
	int i, n, fd, peer, st;

	w = start_silent(e, &s, &fd, &peer, 20000);
	n = tenv_workers(e, pids, 8);
	EXPECT_EQ(n, 1);
	ASSERT_OK(kill(e->tlsod, SIGKILL));
	for (i = 0; i < n && i < 8; i++)
		kill(pids[i], SIGKILL);
	kill(w, SIGKILL);
	st = tenv_reap_tlsod(e, 5000);
	EXPECT_TRUE(st != -1 && WIFSIGNALED(st));
	EXPECT_EQ(hs_wait(fd, 10000), TLSO_HS_FAILED);
	EXPECT_FAILED(fd, ECONNABORTED);
	/* Nobody listens any more. */
	fd = silent_conn(e, &s, &peer);
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", 1000),
		     ESRCH);
}

/*
 * SIGTERM: new requests fail at once (ESRCH), the running one goes on to
 * its own end (here its timeout), then tlsod exits 0.
 */
TEST_F(fault, sigterm_lets_running_handshake_end)
{
	struct tenv *e = &self->e;
	struct silent s = { 0 };
	int fd, fd2, peer, peer2, st;
	double t0 = tenv_now();

	start_silent(e, &s, &fd, &peer, 3000);
	ASSERT_OK(kill(e->tlsod, SIGTERM));
	EXPECT_TRUE(tenv_wait_file_has(e->log, "waiting for 1 running handshake",
				       0, 5000));
	fd2 = silent_conn(e, &s, &peer2);
	EXPECT_ERRNO(hs_start(fd2, TLSO_ROLE_CLIENT, "", "localhost", 1000),
		     ESRCH);
	EXPECT_EQ(hs_wait(fd, 15000), TLSO_HS_FAILED);
	EXPECT_FAILED(fd, ETIMEDOUT);
	TH_LOG("the running handshake ended after %.2f s", tenv_now() - t0);
	st = tenv_reap_tlsod(e, 10000);
	EXPECT_EQ(st, 0);
}

/* A second SIGTERM ends the running handshakes: ECONNABORTED. */
TEST_F(fault, second_sigterm_aborts_handshakes)
{
	struct tenv *e = &self->e;
	struct silent s = { 0 };
	int fd, fd2, peer, peer2, st;

	start_silent(e, &s, &fd, &peer, 30000);
	start_silent(e, &s, &fd2, &peer2, 30000);
	ASSERT_OK(kill(e->tlsod, SIGTERM));
	EXPECT_TRUE(tenv_wait_file_has(e->log, "waiting for 2 running handshakes",
				       0, 5000));
	ASSERT_OK(kill(e->tlsod, SIGTERM));
	EXPECT_EQ(hs_wait(fd, 10000), TLSO_HS_FAILED);
	EXPECT_EQ(hs_wait(fd2, 10000), TLSO_HS_FAILED);
	EXPECT_FAILED(fd, ECONNABORTED);
	EXPECT_FAILED(fd2, ECONNABORTED);
	st = tenv_reap_tlsod(e, 10000);
	EXPECT_EQ(st, 0);
}

/*
 * A worker that hangs (stopped): the module gives up 5 s after the
 * request's timeout, ETIMEDOUT; the worker's late DONE is refused and
 * it still ends.
 */
TEST_F(fault, stuck_worker_module_timeout)
{
	struct tenv *e = &self->e;
	struct silent s = { 0 };
	int fd, peer;
	double t0 = tenv_now(), took;
	pid_t w;

	w = start_silent(e, &s, &fd, &peer, 2500);
	ASSERT_OK(kill(w, SIGSTOP));
	/* Stopped in time, before its own timeout. */
	ASSERT_EQ(hs_get(fd).state, TLSO_HS_PENDING);
	EXPECT_EQ(hs_wait(fd, 20000), TLSO_HS_FAILED);
	took = tenv_now() - t0;
	TH_LOG("ETIMEDOUT after %.2f s", took);
	EXPECT_GE(took, 7.0);	/* 2.5 s + 5 s */
	EXPECT_LT(took, 12.0);
	EXPECT_FAILED(fd, ETIMEDOUT);
	ASSERT_OK(kill(w, SIGCONT));
	/* tlsod's handshake.c logs this when the kernel refuses its DONE. */
	if (!tenv_wait_file_has(e->log, "had already ended", 0, 10000))
		th_fail(__FILE__, __LINE__,
			"tlsod did not notice that the kernel refused its late DONE (no \"had already ended\" in its log)");
}

/* A peer that never answers: the daemon's timeout, ETIMEDOUT. */
TEST_F(fault, silent_peer_times_out)
{
	struct tenv *e = &self->e;
	struct silent s = { 0 };
	double t0, took;
	int fd, peer;

	/* The request's timeout ... */
	fd = silent_conn(e, &s, &peer);
	t0 = tenv_now();
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", 1500),
		     ETIMEDOUT);
	took = tenv_now() - t0;
	TH_LOG("request timeout 1500 ms: ETIMEDOUT after %.2f s", took);
	EXPECT_GE(took, 1.4);
	EXPECT_LT(took, 6.0);	/* tlsod's, not the module's 6.5 s */
	EXPECT_FAILED(fd, ETIMEDOUT);

	/* ... or the profile's (short: timeout_ms = 1000). */
	fd = silent_conn(e, &s, &peer);
	t0 = tenv_now();
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "short", "localhost", 0),
		     ETIMEDOUT);
	took = tenv_now() - t0;
	TH_LOG("profile timeout 1000 ms: ETIMEDOUT after %.2f s", took);
	EXPECT_GE(took, 0.9);
	EXPECT_LT(took, 10.0);	/* the module's would be 65 s */
	EXPECT_FAILED(fd, ETIMEDOUT);
	EXPECT_TRUE(tenv_wait_file_has(e->log, "(ETIMEDOUT)", 0, 5000));
	tenv_show_outcomes(e);
}

/* Bytes that are no TLS: EPROTO (tlsod(8)), whatever role. */
TEST_F(fault, garbage_from_peer)
{
	static const char http[] = "HTTP/1.1 400 Bad Request\r\n"
				   "Content-Length: 0\r\n\r\n";
	/* A handshake record of an unknown message type. */
	static const unsigned char rec[5 + 40] = {
		0x16, 0x03, 0x03, 0x00, 0x28, 0xee, 0x00, 0x00, 0x24,
	};
	static const char get[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
	struct tenv *e = &self->e;
	unsigned char noise[4096];
	struct silent s = { 0 };
	const struct {
		const char *name;
		const void *data;
		size_t len;
	} kinds[] = {
		{ "an HTTP response", http, sizeof(http) - 1 },
		{ "binary noise", noise, sizeof(noise) },
		{ "a handshake record of unknown type", rec, sizeof(rec) },
	};
	int fd, peer, lfd, port;
	size_t i;

	for (i = 0; i < sizeof(noise); i++)
		noise[i] = sock_pattern(i, 0x99) ^ 0x5a;
	noise[0] = 0x99;	/* no record type */
	noise[1] = 0x99;
	noise[2] = 0x99;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		TH_LOG("client, the server sends %s", kinds[i].name);
		fd = silent_conn(e, &s, &peer);
		ASSERT_OK(sock_write_all(peer, kinds[i].data, kinds[i].len));
		EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
				      10000), EPROTO);
		EXPECT_FAILED(fd, EPROTO);
		tenv_close(e, fd);
	}

	TH_LOG("server, the client sends an HTTP request");
	lfd = tenv_listen(e, &port);
	peer = tenv_connect(e, port);
	ASSERT_OK(sock_write_all(peer, get, sizeof(get) - 1));
	fd = tlso_accept(e, lfd);
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_SERVER, "server", "", 10000),
		     EPROTO);
	EXPECT_FAILED(fd, EPROTO);
	tenv_show_outcomes(e);
}

/*
 * The peer closes (FIN) or resets (RST) after the ClientHello went out:
 * ECONNRESET.  One that had closed before the request is refused at once
 * (the socket is no longer established) and nothing is queued.
 */
TEST_F(fault, peer_closes_mid_handshake)
{
	struct tenv *e = &self->e;
	struct linger lg = { 1, 0 };
	struct silent s = { 0 };
	struct pollfd p;
	int i, fd, peer;

	for (i = 0; i < 2; i++) {
		TH_LOG("the peer %s", i ? "resets" : "closes");
		fd = silent_conn(e, &s, &peer);
		ASSERT_OK(tenv_set_nonblock(fd, true));
		ASSERT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
				      10000), EINPROGRESS);
		ASSERT_GT(tenv_worker_holding(e, fd, 10000), 0);
		if (i)
			ASSERT_OK(setsockopt(peer, SOL_SOCKET, SO_LINGER, &lg,
					     sizeof(lg)));
		tenv_close(e, peer);
		EXPECT_EQ(hs_wait(fd, 15000), TLSO_HS_FAILED);
		EXPECT_FAILED(fd, ECONNRESET);
	}

	TH_LOG("the peer closed before the request");
	fd = silent_conn(e, &s, &peer);
	tenv_close(e, peer);
	p = (struct pollfd){ fd, POLLRDHUP, 0 };
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", 10000),
		     ENOTCONN);
	EXPECT_EQ(hs_get(fd).state, TLSO_HS_NONE);
	tenv_show_outcomes(e);
}

/*
 * The application closes its socket mid-handshake: before a worker took
 * it, and after.  The handshake runs to its end (the timeout) in the
 * worker, which then lets go: the connection closes (the peer sees it),
 * no worker and no descriptor is left in tlsod, no tlso socket in the
 * module (teardown).
 */
TEST_F(fault, app_closes_mid_handshake)
{
	struct tenv *e = &self->e;
	struct silent s = { 0 };
	int fd, fd2, peer, peer2;
	double t0 = tenv_now();

	start_silent(e, &s, &fd, &peer, 2000);
	tenv_close(e, fd);

	fd2 = silent_conn(e, &s, &peer2);
	ASSERT_OK(tenv_set_nonblock(fd2, true));
	ASSERT_ERRNO(hs_start(fd2, TLSO_ROLE_CLIENT, "", "localhost", 2000),
		     EINPROGRESS);
	tenv_close(e, fd2);

	EXPECT_TRUE(peer_sees_end(peer, 20000));
	EXPECT_TRUE(peer_sees_end(peer2, 20000));
	TH_LOG("both connections closed after %.2f s", tenv_now() - t0);
	EXPECT_TRUE(tenv_daemon_idle(e, 10000));
	tenv_show_outcomes(e);
}

struct writer {
	int fd;
	uint32_t before, after;	/* handshake state around the send */
	ssize_t sent;
	int err;
	int started, finished;	/* atomics */
};

static void *writer_main(void *arg)
{
	static const char msg[] = "written during the handshake\n";
	struct writer *w = arg;
	double end = tenv_now() + 10;

	while (hs_get(w->fd).state != TLSO_HS_PENDING && tenv_now() < end)
		tenv_msleep(5);
	w->before = hs_get(w->fd).state;
	__atomic_store_n(&w->started, 1, __ATOMIC_SEQ_CST);
	w->sent = send(w->fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL);
	w->err = errno;
	w->after = hs_get(w->fd).state;
	__atomic_store_n(&w->finished, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

struct hs_thread {
	int fd, ret, err;
};

static void *hs_main(void *arg)
{
	struct hs_thread *h = arg;

	h->ret = hs_start(h->fd, TLSO_ROLE_CLIENT, "", "localhost",
			  TENV_HS_MS);
	h->err = errno;
	return NULL;
}

/*
 * The application's writes wait for the handshake: EAGAIN when
 * non-blocking (and poll shows nothing), blocked otherwise; the data goes
 * out after it, encrypted: the GnuTLS peer reads it as a record.  The
 * peer answers the ClientHello only when the case opens its gate.
 */
TEST_F(fault, app_writes_during_handshake)
{
	static const char msg[] = "written during the handshake\n";
	struct tenv *e = &self->e;
	struct gpeer g = {
		.prio = tls13.prio, .nconn = 2, .expect = msg,
		.reply = "after\n", .end = GPEER_WAIT_EOF,
	};
	struct writer w = { 0 };
	struct hs_thread h = { 0 };
	struct pollfd p;
	pthread_t wt, ht;
	int lfd, port, fd, release;
	double end;
	char c;
	pid_t peer;

	lfd = tenv_listen(e, &port);
	g.gate = make_gate(e, &release);
	peer = gpeer_start(e, &g, lfd);

	/* Non-blocking. */
	fd = tlso_client(e, port);
	ASSERT_OK(tenv_set_nonblock(fd, true));
	ASSERT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
			      TENV_HS_MS), EINPROGRESS);
	EXPECT_ERRNO(send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL), EAGAIN);
	EXPECT_ERRNO(recv(fd, &c, 1, 0), EAGAIN);
	p = (struct pollfd){ fd, POLLIN | POLLOUT, 0 };
	EXPECT_EQ(poll(&p, 1, 300), 0);
	EXPECT_EQ(hs_get(fd).state, TLSO_HS_PENDING);
	open_gate(release, 1);
	EXPECT_EQ(hs_wait(fd, TENV_HS_MS), TLSO_HS_DONE);
	EXPECT_EQ(send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL),
		  (ssize_t)sizeof(msg) - 1);
	ASSERT_OK(tenv_set_nonblock(fd, false));
	read_check(fd, "after\n");
	tenv_close(e, fd);

	/* Blocking: one thread waits for the handshake, another writes. */
	fd = tlso_client(e, port);
	w.fd = h.fd = fd;
	ASSERT_EQ(pthread_create(&ht, NULL, hs_main, &h), 0);
	ASSERT_EQ(pthread_create(&wt, NULL, writer_main, &w), 0);
	end = tenv_now() + 10;
	while (!__atomic_load_n(&w.started, __ATOMIC_SEQ_CST) &&
	       tenv_now() < end)
		tenv_msleep(5);
	tenv_msleep(500);
	/* The write has waited half a second and still waits. */
	EXPECT_EQ(__atomic_load_n(&w.finished, __ATOMIC_SEQ_CST), 0);
	EXPECT_EQ(hs_get(fd).state, TLSO_HS_PENDING);
	open_gate(release, 1);
	pthread_join(ht, NULL);
	pthread_join(wt, NULL);
	EXPECT_EQ(h.ret, 0);
	if (h.ret)
		TH_LOG("handshake: %s", strerror(h.err));
	EXPECT_EQ(w.before, TLSO_HS_PENDING);
	EXPECT_EQ(w.sent, (ssize_t)sizeof(msg) - 1);
	if (w.sent < 0)
		TH_LOG("send: %s", strerror(w.err));
	EXPECT_EQ(w.after, TLSO_HS_DONE);
	read_check(fd, "after\n");
	tenv_close(e, fd);
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
}

/*
 * SIGHUP while handshakes run (held by the peer's gate): they all
 * complete with the configuration they started with, and the new one is
 * in force for the next request.
 */
TEST_F(fault, sighup_during_handshakes)
{
	enum { N = 4 };
	struct tenv *e = &self->e;
	int lfd, port, fd[N], i, n, release;
	char extra[128];
	pid_t peer, pids[16];
	off_t from;

	lfd = tenv_listen(e, &port);
	peer = ping_peer(e, lfd, N + 1, make_gate(e, &release));
	for (i = 0; i < N; i++) {
		fd[i] = tlso_client(e, port);
		ASSERT_OK(tenv_set_nonblock(fd[i], true));
		ASSERT_ERRNO(hs_start(fd[i], TLSO_ROLE_CLIENT, "",
				      "localhost", TENV_HS_MS), EINPROGRESS);
	}
	for (i = 0; i < N; i++)
		ASSERT_GT(tenv_worker_holding(e, fd[i], 10000), 0);

	from = tenv_file_size(e->log);
	snprintf(extra, sizeof(extra), "\n[added]\ntrust_store = %s/ca.pem\n",
		 e->run);
	tenv_write_conf(e, extra);
	ASSERT_OK(kill(e->tlsod, SIGHUP));
	EXPECT_TRUE(tenv_wait_file_has(e->log, "reloaded", from, 10000));
	n = tenv_workers(e, pids, 16);
	EXPECT_EQ(n, N);
	for (i = 0; i < N; i++)
		EXPECT_EQ(hs_get(fd[i]).state, TLSO_HS_PENDING);

	open_gate(release, N);
	for (i = 0; i < N; i++) {
		EXPECT_EQ(hs_wait(fd[i], TENV_HS_MS), TLSO_HS_DONE);
		EXPECT_DONE(fd[i], TLS_1_3_VERSION, "CN=localhost");
		ASSERT_OK(tenv_set_nonblock(fd[i], false));
		ping_pong(fd[i]);
		tenv_close(e, fd[i]);
	}

	/* [added] did not exist before (EINVAL); it serves now. */
	fd[0] = tlso_client(e, port);
	open_gate(release, 1);
	EXPECT_OK(hs_start(fd[0], TLSO_ROLE_CLIENT, "added", "localhost",
			   TENV_HS_MS));
	ping_pong(fd[0]);
	tenv_close(e, fd[0]);
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
	tenv_show_outcomes(e);
}

/* A bad configuration at SIGHUP: logged, the old one stays in force. */
TEST_F(fault, sighup_with_bad_config_keeps_old)
{
	struct tenv *e = &self->e;
	off_t from = tenv_file_size(e->log);

	tenv_write_conf(e, "\n[broken]\nno_such_key = 1\n");
	ASSERT_OK(kill(e->tlsod, SIGHUP));
	EXPECT_TRUE(tenv_wait_file_has(e->log, "keeping the configuration",
				       from, 10000));
	EXPECT_TRUE(tenv_file_has(e->log, "no_such_key", from));
	still_serves(e);
}

/*
 * Fifty connections over loopback, tlso at both ends, both handshakes
 * asked of tlsod at once (a hundred; PSK, cheap on an emulated CPU);
 * every one must succeed and carry its own data.
 */
TEST_F_TIMEOUT(fault, fifty_at_once, 300)
{
	enum { N = 50 };
	struct tenv *e = &self->e;
	int cli[N], srv[N], i, done = 0, failed = 0, pending;
	long tx0 = kmod_tlso_stat(TLSO_STAT_CURR_TX),
	     rx0 = kmod_tlso_stat(TLSO_STAT_CURR_RX);
	double t0, end;
	char buf[128], msg[128];

	for (i = 0; i < N; i++) {
		ASSERT_OK(sock_pair(AF_INET, &cli[i], &srv[i]));
		tenv_track(e, cli[i]);
		tenv_track(e, srv[i]);
		ASSERT_OK(tenv_attach(e, cli[i]));
		ASSERT_OK(tenv_attach(e, srv[i]));
		ASSERT_OK(tenv_set_nonblock(cli[i], true));
		ASSERT_OK(tenv_set_nonblock(srv[i], true));
	}
	t0 = tenv_now();
	for (i = 0; i < N; i++) {
		EXPECT_ERRNO(hs_start(srv[i], TLSO_ROLE_SERVER, "psk", "",
				      60000), EINPROGRESS);
		EXPECT_ERRNO(hs_start(cli[i], TLSO_ROLE_CLIENT, "psk", "",
				      60000), EINPROGRESS);
	}
	end = t0 + 200;
	do {
		struct pollfd p[2 * N];

		pending = 0;
		for (i = 0; i < 2 * N; i++) {
			p[i].fd = i < N ? cli[i] : srv[i - N];
			p[i].events = POLLOUT;
		}
		poll(p, 2 * N, 500);
		for (i = 0; i < 2 * N; i++)
			if (hs_get(p[i].fd).state == TLSO_HS_PENDING)
				pending++;
	} while (pending && tenv_now() < end);
	TH_LOG("%d handshakes ended after %.1f s, %d still pending",
	       2 * N - pending, tenv_now() - t0, pending);

	for (i = 0; i < N; i++) {
		struct tlso_handshake_status c = hs_get(cli[i]),
					     s = hs_get(srv[i]);

		if (c.state == TLSO_HS_DONE && s.state == TLSO_HS_DONE) {
			done++;
		} else {
			failed++;
			TH_LOG("pair %d: client %u/%s, server %u/%s", i,
			       c.state, tenv_errname(c.status), s.state,
			       tenv_errname(s.status));
			continue;
		}
		EXPECT_STREQ(s.peer_identity, "tlso-test-psk");
		EXPECT_EQ(c.version, TLS_1_3_VERSION);
	}
	EXPECT_EQ(done, N);
	ASSERT_EQ(failed, 0);
	/* Keys in the module for every one of them. */
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_CURR_TX) - tx0, 2 * N);
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_CURR_RX) - rx0, 2 * N);

	for (i = 0; i < N; i++) {
		ASSERT_OK(tenv_set_nonblock(cli[i], false));
		ASSERT_OK(tenv_set_nonblock(srv[i], false));
		snprintf(msg, sizeof(msg), "pair %02d, client to server\n", i);
		ASSERT_OK(sock_write_all(cli[i], msg, strlen(msg)));
		ASSERT_OK(tenv_read_exact(srv[i], buf, strlen(msg), 10000));
		EXPECT_MEMEQ(buf, msg, strlen(msg));
		snprintf(msg, sizeof(msg), "pair %02d, server to client\n", i);
		ASSERT_OK(sock_write_all(srv[i], msg, strlen(msg)));
		ASSERT_OK(tenv_read_exact(cli[i], buf, strlen(msg), 10000));
		EXPECT_MEMEQ(buf, msg, strlen(msg));
	}
	EXPECT_TRUE(tenv_daemon_idle(e, 30000));
}

/* ---- after the handshake ---- */

FIXTURE(post) {
	struct tenv e;
};

FIXTURE_VARIANT(post) {
	const struct tver *v;
};

FIXTURE_VARIANT_ADD(post, tls13) { &tls13 };
FIXTURE_VARIANT_ADD(post, tls12) { &tls12 };

FIXTURE_SETUP(post)
{
	tenv_setup(&self->e, true);
}

FIXTURE_TEARDOWN(post)
{
	tenv_teardown(&self->e);
}

/*
 * openssl s_server sends two NewSessionTickets after a TLS 1.3
 * handshake; the module drops them: the application never sees one, a
 * read before any data is EAGAIN, the data after them arrives intact.
 * (TLS 1.2 tickets come within the handshake, for tlsod's GnuTLS.)
 */
TEST_F(post, session_tickets_from_openssl)
{
	struct tenv *e = &self->e;
	long rec0 = kmod_tlso_stat(TLSO_STAT_RX_RECORDS), recs;
	struct tproc *srv;
	int port, fd;
	char buf[64];

	srv = s_server(e, &port, PKI_SERVER, variant->v, "-num_tickets", "2",
		       NULL);
	fd = tlso_client(e, port);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", TENV_HS_MS));
	EXPECT_DONE(fd, variant->v->version, "CN=localhost");
	tenv_msleep(1000);	/* the tickets are in */
	EXPECT_ERRNO(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	ASSERT_OK(tproc_write(srv, "data after the tickets\n"));
	read_check(fd, "data after the tickets\n");
	recs = kmod_tlso_stat(TLSO_STAT_RX_RECORDS) - rec0;
	TH_LOG("records received: %ld", recs);
	/* Two tickets and the data (TLS 1.3), or the data alone. */
	EXPECT_GE(recs, variant->v->version == TLS_1_3_VERSION ? 3 : 1);
	ASSERT_OK(sock_write_all(fd, "and back\n", 9));
	EXPECT_TRUE(tenv_wait_file_has(srv->out, "and back\n", 0, TENV_HS_MS));
}

/* The peer's close_notify is the end of the stream, for good. */
TEST_F(post, close_notify_from_peer)
{
	struct tenv *e = &self->e;
	struct gpeer g = {
		.prio = variant->v->prio, .expect = "hello\n",
		.reply = "goodbye\n", .end = GPEER_BYE,
	};
	int lfd, port, fd;
	pid_t peer;
	char c;

	lfd = tenv_listen(e, &port);
	peer = gpeer_start(e, &g, lfd);
	fd = tlso_client(e, port);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", TENV_HS_MS));
	EXPECT_DONE(fd, variant->v->version, "CN=localhost");
	ASSERT_OK(sock_write_all(fd, "hello\n", 6));
	read_check(fd, "goodbye\n");
	EXPECT_EQ(tenv_recv_wait(fd, &c, 1, TENV_HS_MS), 0);
	EXPECT_EQ(recv(fd, &c, 1, MSG_DONTWAIT), 0);
	tenv_close(e, fd);
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
}

/*
 * shutdown(SHUT_WR) sends close_notify: the peer's GnuTLS reads a clean
 * end (0), not GNUTLS_E_PREMATURE_TERMINATION; its own close_notify
 * then reads as end of file here.
 */
TEST_F(post, close_notify_to_peer)
{
	struct tenv *e = &self->e;
	struct gpeer g = {
		.prio = variant->v->prio, .expect = "hello\n",
		.reply = "goodbye\n", .end = GPEER_WANT_CLOSE_NOTIFY,
	};
	int lfd, port, fd;
	pid_t peer;
	char c;

	lfd = tenv_listen(e, &port);
	peer = gpeer_start(e, &g, lfd);
	fd = tlso_client(e, port);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", TENV_HS_MS));
	ASSERT_OK(sock_write_all(fd, "hello\n", 6));
	read_check(fd, "goodbye\n");
	ASSERT_OK(shutdown(fd, SHUT_WR));
	EXPECT_EQ(tenv_recv_wait(fd, &c, 1, TENV_HS_MS), 0);
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
}

/* A fatal alert after data: the data, then ECONNRESET, for good. */
TEST_F(post, fatal_alert_from_peer)
{
	struct tenv *e = &self->e;
	struct gpeer g = {
		.prio = variant->v->prio, .expect = "hello\n",
		.reply = "bad news\n", .end = GPEER_ALERT,
	};
	int lfd, port, fd;
	ssize_t n;
	pid_t peer;
	char c;

	lfd = tenv_listen(e, &port);
	peer = gpeer_start(e, &g, lfd);
	fd = tlso_client(e, port);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", TENV_HS_MS));
	ASSERT_OK(sock_write_all(fd, "hello\n", 6));
	read_check(fd, "bad news\n");
	EXPECT_ERRNO(tenv_recv_wait(fd, &c, 1, TENV_HS_MS), ECONNRESET);
	EXPECT_ERRNO(recv(fd, &c, 1, MSG_DONTWAIT), ECONNRESET);
	n = send(fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	TH_LOG("send after the alert: %zd (%s)", n, n < 0 ? strerror(errno) : "sent");
	tenv_close(e, fd);
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
}

TEST_HARNESS_MAIN
