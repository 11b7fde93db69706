// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: tlsod, the handshake daemon, end to end (tlsod_env.h says
 * how a case goes and what every teardown checks), the post group:
 * what the peer sends after the handshake: NewSessionTicket,
 * close_notify both ways, a fatal alert, a request to renegotiate; and
 * the peer's record_size_limit, both roles.
 */
#include <gnutls/gnutls.h>

#include "tlsod_env.h"

TENV_FIXTURE_TLS(post)

/*
 * A gpeer of version v that wants "hello\n" first, answers reply and
 * ends as end says, and a tlso client to it, its handshake done: the
 * client's socket, the gpeer's pid in *peer.
 */
static int to_gpeer(struct tenv *e, const struct tver *v, const char *reply,
		    enum gpeer_end end, pid_t *peer)
{
	struct gpeer g = {
		.prio = v->prio, .expect = "hello\n", .reply = reply,
		.end = end,
	};
	int lfd, port, fd;

	lfd = tenv_listen(e, &port);
	*peer = gpeer_start(e, &g, lfd);
	fd = tenv_tlso_client(e, port);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", TENV_HS_MS));
	return fd;
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
	char buf[64];
	int fd;

	fd = tenv_s_server_client(e, &srv, PKI_SERVER, variant->v,
				  "-num_tickets", "2", NULL);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", TENV_HS_MS));
	EXPECT_DONE(fd, variant->v->version, TLSO_AUTH_X509, TENV_ID_SERVER);
	tenv_msleep(1000);	/* the tickets are in */
	EXPECT_ERRNO(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	ASSERT_OK(tproc_write(srv, "data after the tickets\n"));
	EXPECT_READ(fd, "data after the tickets\n");
	recs = kmod_tlso_stat(TLSO_STAT_RX_RECORDS) - rec0;
	TH_LOG("records received: %ld", recs);
	/* Two tickets and the data (TLS 1.3), or the data alone. */
	EXPECT_GE(recs, variant->v->version == TLS_1_3_VERSION ? 3 : 1);
	ASSERT_OK(tlso_write_all(fd, "and back\n", 9));
	EXPECT_TRUE(tenv_wait_file_has(srv->out, "and back\n", 0, TENV_HS_MS));
}

/* The peer's close_notify is the end of the stream, for good. */
TEST_F(post, close_notify_from_peer)
{
	struct tenv *e = &self->e;
	pid_t peer;
	int fd = to_gpeer(e, variant->v, "goodbye\n", GPEER_BYE, &peer);
	char c;

	EXPECT_DONE(fd, variant->v->version, TLSO_AUTH_X509, TENV_ID_SERVER);
	ASSERT_OK(tlso_write_all(fd, "hello\n", 6));
	EXPECT_READ(fd, "goodbye\n");
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
	pid_t peer;
	int fd = to_gpeer(e, variant->v, "goodbye\n",
			  GPEER_WANT_CLOSE_NOTIFY, &peer);
	char c;

	ASSERT_OK(tlso_write_all(fd, "hello\n", 6));
	EXPECT_READ(fd, "goodbye\n");
	ASSERT_OK(shutdown(fd, SHUT_WR));
	EXPECT_EQ(tenv_recv_wait(fd, &c, 1, TENV_HS_MS), 0);
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
}

/* A fatal alert after data: the data, then ECONNRESET, for good. */
TEST_F(post, fatal_alert_from_peer)
{
	struct tenv *e = &self->e;
	pid_t peer;
	int fd = to_gpeer(e, variant->v, "bad news\n", GPEER_ALERT, &peer);
	ssize_t n;
	char c;

	ASSERT_OK(tlso_write_all(fd, "hello\n", 6));
	EXPECT_READ(fd, "bad news\n");
	EXPECT_ERRNO(tenv_recv_wait(fd, &c, 1, TENV_HS_MS), ECONNRESET);
	EXPECT_ERRNO(recv(fd, &c, 1, MSG_DONTWAIT), ECONNRESET);
	n = send(fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	TH_LOG("send after the alert: %zd (%s)", n, n < 0 ? strerror(errno) : "sent");
	tenv_close(e, fd);
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
}

/* size - 1 letters, a to z over and over, and a NUL. */
static void alphabet(char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < size - 1; i++)
		buf[i] = 'a' + i % 26;
	buf[size - 1] = 0;
}

/*
 * A GnuTLS server that takes records of 600 bytes at most (its
 * record_size_limit): tlsod hands the limit to the kernel, and tlso's
 * records keep to it, else GnuTLS would fail with record_overflow.
 */
TEST_F(post, client_keeps_to_record_size_limit)
{
	struct tenv *e = &self->e;
	char want[3001];
	struct gpeer g = {
		.prio = variant->v->prio, .expect = want, .reply = "ok\n",
		.end = GPEER_WAIT_EOF, .max_recv = 600,
	};
	struct tlso_info info = { 0 };
	int lfd, port, fd;
	pid_t peer;

	alphabet(want, sizeof(want));
	lfd = tenv_listen(e, &port);
	peer = gpeer_start(e, &g, lfd);
	fd = tenv_tlso_client(e, port);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", TENV_HS_MS));
	ASSERT_OK(tlso_write_all(fd, want, sizeof(want) - 1));
	EXPECT_READ(fd, "ok\n");
	ASSERT_OK(sock_tlso_info(fd, &info));
	TH_LOG("%llu records for 3000 bytes",
	       (unsigned long long)info.tx_records);
	EXPECT_GE(info.tx_records, 3000 / 599);
	tenv_close(e, fd);
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
}

/*
 * A GnuTLS client of this process's own that takes records of 600 bytes
 * at most (its record_size_limit), connected to port: it reads len bytes
 * of the pattern ('a' + i % 26) and exits 0 when they were all there and
 * no record held more than the limit.  GnuTLS itself would fail a larger
 * one with record_overflow; the child checks the sizes too.
 */
#define POST_RSL	600

static pid_t rsl_client(struct tenv *e, const struct tver *v, int port,
			size_t len)
{
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	char ca[PATH_MAX], buf[4096];
	size_t got = 0, biggest = 0, i;
	pid_t pid;
	int fd, ret;

	tenv_pki(e, ca, sizeof(ca), PKI_CA, "pem");
	pid = tenv_fork(e);
	if (pid)
		return pid;
	fd = tenv_connect(e, port);
	if (fd < 0 || gnutls_certificate_allocate_credentials(&cred) < 0 ||
	    gnutls_certificate_set_x509_trust_file(cred, ca,
						   GNUTLS_X509_FMT_PEM) < 1 ||
	    gnutls_init(&s, GNUTLS_CLIENT) < 0 ||
	    gnutls_priority_set_direct(s, v->prio, NULL) < 0 ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred) < 0 ||
	    gnutls_record_set_max_recv_size(s, POST_RSL) < 0)
		_exit(2);
	gnutls_session_set_verify_cert(s, "localhost", 0);
	gnutls_transport_set_int(s, fd);
	do {
		ret = gnutls_handshake(s);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0) {
		fprintf(stderr, "rsl client: handshake: %s\n",
			gnutls_strerror(ret));
		_exit(3);
	}
	while (got < len) {
		ret = gnutls_record_recv(s, buf, sizeof(buf));
		if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
			continue;
		if (ret <= 0) {
			fprintf(stderr, "rsl client: after %zu bytes: %s\n",
				got, ret ? gnutls_strerror(ret) : "EOF");
			_exit(4);
		}
		for (i = 0; i < (size_t)ret; i++)
			if (buf[i] != (char)('a' + (got + i) % 26))
				_exit(5);
		got += ret;
		if ((size_t)ret > biggest)
			biggest = ret;
	}
	fprintf(stderr, "rsl client: %zu bytes, records of %zu at most\n",
		got, biggest);
	gnutls_bye(s, GNUTLS_SHUT_WR);
	_exit(biggest <= POST_RSL ? 0 : 6);
}

/*
 * The server's side of record_size_limit: tlsod reads the client's
 * limit from its hello and hands it to the kernel, whose records then
 * keep to it.
 */
TEST_F(post, server_keeps_to_record_size_limit)
{
	struct tenv *e = &self->e;
	struct tlso_info info = { 0 };
	char text[3001];
	int lfd, port, fd;
	pid_t peer;

	alphabet(text, sizeof(text));
	lfd = tenv_listen(e, &port);
	peer = rsl_client(e, variant->v, port, sizeof(text) - 1);
	fd = tenv_tlso_accept(e, lfd);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_SERVER, "server", "", TENV_HS_MS));
	EXPECT_DONE(fd, variant->v->version, TLSO_AUTH_NONE, "");
	ASSERT_OK(tlso_write_all(fd, text, sizeof(text) - 1));
	ASSERT_OK(sock_tlso_info(fd, &info));
	TH_LOG("%llu records for 3000 bytes",
	       (unsigned long long)info.tx_records);
	EXPECT_GE(info.tx_records, 3000 / (POST_RSL - 1));
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
	tenv_close(e, fd);
}

/*
 * TLS 1.2 renegotiation, which tlso does not do: the peer's HelloRequest
 * fails the read with EPROTO, and GnuTLS reads tlso's fatal
 * unexpected_message alert.
 */
TEST_F(post, renegotiation_is_unexpected_message)
{
	struct tenv *e = &self->e;
	pid_t peer;
	int fd;
	char c;

	if (variant->v->version != TLS_1_2_VERSION)
		SKIP("TLS 1.3 has no renegotiation");
	fd = to_gpeer(e, variant->v, "renegotiate\n", GPEER_RENEGOTIATE,
		      &peer);
	ASSERT_OK(tlso_write_all(fd, "hello\n", 6));
	EXPECT_READ(fd, "renegotiate\n");
	EXPECT_ERRNO(tenv_recv_wait(fd, &c, 1, TENV_HS_MS), EPROTO);
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
	tenv_close(e, fd);
}

TEST_HARNESS_MAIN
