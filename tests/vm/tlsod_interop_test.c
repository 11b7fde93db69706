// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: tlsod, the handshake daemon, end to end (tlsod_env.h says
 * how a case goes and what every teardown checks), the interop group:
 * a tlso client against openssl s_server and gnutls-serv, a tlso server
 * against openssl s_client, gnutls-cli and curl (HTTPS, the certificate
 * verified), TLS 1.3 and 1.2, data both ways and compared; mutual
 * authentication both ways; what the application learns of its peer
 * (peer_auth and the identity of tlsod(8), PEER IDENTITY): a certificate
 * named by its SANs alone, one with more names than the identity holds,
 * a client without certificate where one is optional, a PSK.
 */
#include <strings.h>

#include "tlsod_env.h"

TENV_FIXTURE_TLS(interop)

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
	return tenv_spawn_server(e, "gnutls-serv", argv, portbuf, port);
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
	ASSERT_OK(tlso_write_all(fd, text, strlen(text)));
	EXPECT_READ(fd, text);
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
	int fd;

	fd = tenv_s_server_client(e, &srv, PKI_SERVER, variant->v, NULL, NULL,
				  NULL);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", TENV_HS_MS));
	EXPECT_DONE(fd, variant->v->version, TLSO_AUTH_X509, TENV_ID_SERVER);
	/* tlsod -v's steps: a client the server did not ask for a
	 * certificate signs nothing */
	EXPECT_TRUE(tenv_log_line_has(e, "role client took", "(signing 0)",
				      TENV_HS_MS));

	ASSERT_OK(tlso_write_all(fd, up, strlen(up)));
	ASSERT_OK(tproc_write(srv, down));
	EXPECT_READ(fd, down);
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
	fd = tenv_tlso_client(e, port);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, NULL, "localhost",
			   TENV_HS_MS));
	EXPECT_DONE(fd, variant->v->version, TLSO_AUTH_X509, TENV_ID_SERVER);
	echo_check(fd, text);
	free(text);
}

/*
 * openssl s_client, with our client certificate or without, sends text
 * and ends its input (-quiet: it goes on regardless); the tlso server's
 * end of its connection, the handshake done with profile.
 */
static int from_s_client(struct tenv *e, const struct tver *v, bool cert,
			 const char *text, const char *profile,
			 struct tproc **cli)
{
	int port, lfd, fd;

	lfd = tenv_listen(e, &port);
	*cli = tenv_s_client(e, port, v, cert);
	ASSERT_OK(tproc_write(*cli, text));
	tproc_close_stdin(*cli);
	fd = tenv_tlso_accept(e, lfd);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_SERVER, profile, "", TENV_HS_MS));
	return fd;
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
	int fd;

	fd = from_s_client(e, variant->v, false, up, "server", &cli);
	EXPECT_DONE(fd, variant->v->version, TLSO_AUTH_NONE, "");
	/* the server's signature came from the parent, and was timed */
	EXPECT_TRUE(tenv_log_line_has(e, "role server took", "(signing ",
				      TENV_HS_MS));
	EXPECT_FALSE(tenv_log_line_has(e, "role server took", "(signing 0)",
				       0));

	EXPECT_READ(fd, up);
	ASSERT_OK(tlso_write_all(fd, down, strlen(down)));
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
	fd = tenv_tlso_accept(e, lfd);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_SERVER, "server", "", TENV_HS_MS));
	EXPECT_DONE(fd, variant->v->version, TLSO_AUTH_NONE, "");

	EXPECT_READ(fd, up);
	ASSERT_OK(tlso_write_all(fd, down, strlen(down)));
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
	fd = tenv_tlso_accept(e, lfd);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_SERVER, "server", NULL, TENV_HS_MS));
	EXPECT_DONE(fd, v->version, TLSO_AUTH_NONE, "");

	clen = http_request(fd, head, sizeof(head), &have, &body);
	ASSERT_EQ(clen, (long)strlen(up));
	got = malloc(clen + 1);
	ASSERT_TRUE(got != NULL);
	ASSERT_LE(have, (size_t)clen);
	memcpy(got, body, have);
	ASSERT_OK(sock_read_exact(fd, got + have, clen - have, TENV_HS_MS));
	EXPECT_MEMEQ(got, up, clen);
	snprintf(head, sizeof(head),
		 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		 strlen(down));
	ASSERT_OK(tlso_write_all(fd, head, strlen(head)));
	ASSERT_OK(tlso_write_all(fd, down, strlen(down)));
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
	fd = tenv_tlso_client(e, port);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "client_cert", "localhost",
			   TENV_HS_MS));
	EXPECT_DONE(fd, variant->v->version, TLSO_AUTH_X509, TENV_ID_SERVER);
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
	int fd;
	char c;

	fd = from_s_client(e, variant->v, true, "mutual\n", "server_require",
			   &cli);
	EXPECT_DONE(fd, variant->v->version, TLSO_AUTH_X509, TENV_ID_CLIENT);
	EXPECT_READ(fd, "mutual\n");
	ASSERT_OK(tlso_write_all(fd, "authenticated\n", 14));
	ASSERT_OK(shutdown(fd, SHUT_WR));
	EXPECT_EQ(tenv_recv_wait(fd, &c, 1, TENV_HS_MS), 0);
	EXPECT_EXIT(cli, 0, TENV_HS_MS);
	EXPECT_TRUE(file_is(cli->out, "authenticated\n", 0));
}

/* client_auth = optional, and s_client has no certificate: no one. */
TEST_F(interop, server_optional_without_client_cert)
{
	struct tenv *e = &self->e;
	struct tproc *cli;
	int fd;

	fd = from_s_client(e, variant->v, false, "anonymous\n",
			   "server_optional", &cli);
	EXPECT_DONE(fd, variant->v->version, TLSO_AUTH_NONE, "");
	EXPECT_READ(fd, "anonymous\n");
}

/* A server certificate with an empty subject: known by its SANs. */
TEST_F(interop, client_vs_san_only_certificate)
{
	struct tenv *e = &self->e;
	struct tproc *srv;
	int fd;

	fd = tenv_s_server_client(e, &srv, PKI_SAN_ONLY, variant->v, NULL,
				  NULL, NULL);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", TENV_HS_MS));
	EXPECT_DONE(fd, variant->v->version, TLSO_AUTH_X509, TENV_ID_SAN_ONLY);
	ASSERT_OK(tproc_write(srv, "by its names\n"));
	EXPECT_READ(fd, "by its names\n");
}

/*
 * More names than TLSO_IDENTITY_SIZE - 1 bytes hold: the fingerprint,
 * then the whole identity as far as it fits, then "...", to the byte.
 */
TEST_F(interop, client_vs_certificate_with_too_many_names)
{
	struct tenv *e = &self->e;
	char fp[65], want[TLSO_IDENTITY_SIZE];
	struct tproc *srv;
	int fd, head;

	ASSERT_GT(strlen(TENV_ID_LONG_NAMES), TLSO_IDENTITY_SIZE - 1);
	tenv_pki_sha256(e, PKI_LONG_NAMES, fp);
	head = snprintf(want, sizeof(want), "sha256=%s; ", fp);
	snprintf(want + head, sizeof(want) - head, "%.*s...",
		 (int)(TLSO_IDENTITY_SIZE - 1 - head - 3), TENV_ID_LONG_NAMES);
	EXPECT_EQ(strlen(want), TLSO_IDENTITY_SIZE - 1);

	fd = tenv_s_server_client(e, &srv, PKI_LONG_NAMES, variant->v, NULL,
				  NULL, NULL);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", TENV_HS_MS));
	EXPECT_DONE(fd, variant->v->version, TLSO_AUTH_X509, want);
}

/*
 * openssl s_client with the PSK of profile psk: the identity is the
 * PSK's.  (gnutls-cli 3.7.9 crashes after a TLS 1.2 PSK handshake.)
 */
TEST_F(interop, psk_server_vs_s_client)
{
	struct tenv *e = &self->e;
	char conn[32];
	int port, lfd, fd;
	const char *argv[] = {
		"openssl", "s_client", "-connect", conn, "-psk", TENV_PSK_KEY,
		"-psk_identity", TENV_PSK_IDENTITY, "-quiet",
		variant->v->ossl, NULL,
	};

	TENV_NEED("openssl");
	lfd = tenv_listen(e, &port);
	snprintf(conn, sizeof(conn), "127.0.0.1:%d", port);
	ASSERT_OK(tproc_write(tenv_spawn(e, "s_client", true, argv),
			      "keyed\n"));
	fd = tenv_tlso_accept(e, lfd);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_SERVER, "psk", "", TENV_HS_MS));
	EXPECT_DONE(fd, variant->v->version, TLSO_AUTH_PSK, TENV_PSK_IDENTITY);
	EXPECT_READ(fd, "keyed\n");
}

TEST_HARNESS_MAIN
