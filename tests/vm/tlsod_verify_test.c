// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: tlsod, the handshake daemon, end to end (tlsod_env.h says
 * how a case goes and what every teardown checks), the verify group:
 * a wrong name, an untrusted CA, an expired certificate, a client without
 * certificate where one is required: each fails with EACCES (or as
 * tlsod(8) says for TLS 1.3) and no data passes.
 */
#include "tlsod_env.h"

TENV_FIXTURE_TLS(verify)

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
	int fd;

	fd = tenv_s_server_client(e, &srv, cert, v, NULL, NULL, NULL);
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
	cli = tenv_s_client(e, port, variant->v, false);
	ASSERT_OK(tproc_write(cli, "client secret\n"));
	fd = tenv_tlso_accept(e, lfd);
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
	char buf[64];
	int fd;

	fd = tenv_s_server_client(e, &srv, PKI_SERVER, variant->v, "-Verify",
				  "1", NULL);
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

TEST_HARNESS_MAIN
