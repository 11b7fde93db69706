// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: tlsod, the handshake daemon, end to end (tlsod_env.h says
 * how a case goes and what every teardown checks), the resumption group:
 * a tlso client resumes with a GnuTLS server and with openssl s_server
 * (TLS 1.3 tickets come up from the kernel), each ticket once; the
 * kernel's bound on the tickets it passes up; a tlso server's tickets
 * resume gnutls-cli and openssl s_client, on a worker other than the
 * one that issued them, and go only to a client that can resume.
 */
#include "tlsod_env.h"

TENV_FIXTURE_TLS(resume)

/* Up to 5 s for field of tlso_stat to reach want. */
static long wait_stat(const char *field, long want)
{
	double end = tenv_now() + 5;
	long v;

	while ((v = kmod_tlso_stat(field)) < want && tenv_now() < end)
		tenv_msleep(20);
	return v;
}

/*
 * One connection of a tlso client to port: its handshake, whether it was
 * resumed, "hello\n" out and "ok\n" back, and the close.
 */
static void client_round(struct tenv *e, const struct tver *v, int port,
			 bool resumed)
{
	struct tlso_handshake_status st;
	int fd = tenv_tlso_client(e, port);

	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", TENV_HS_MS));
	EXPECT_DONE(fd, v->version, TLSO_AUTH_X509, TENV_ID_SERVER);
	st = hs_get(fd);
	EXPECT_EQ(st.flags & TLSO_HS_F_RESUMED,
		  resumed ? TLSO_HS_F_RESUMED : 0U);
	ASSERT_OK(tlso_write_all(fd, "hello\n", 6));
	EXPECT_READ(fd, "ok\n");
	tenv_close(e, fd);
}

/* The n-th "kept" line of tlsod's log since from: a session reached the cache. */
static bool wait_kept(struct tenv *e, off_t from)
{
	return tenv_wait_file_has(e->log, "a session to resume kept", from,
				  TENV_HS_MS);
}

/*
 * Two connections to a GnuTLS server: the first a full handshake whose
 * tickets (TLS 1.3: after DONE, through the kernel and the parent to the
 * worker) make a session, the second resumed with it.  The server says
 * so as well as the status.
 */
TEST_F(resume, client_resumes_with_a_gnutls_server)
{
	struct tenv *e = &self->e;
	long up0 = kmod_tlso_stat(TLSO_STAT_TICKET_UP);
	struct gpeer g = {
		.prio = variant->v->prio, .nconn = 2, .expect = "hello\n",
		.reply = "ok\n", .end = GPEER_WAIT_EOF, .tickets = 2,
		.tickets_every = true, .resumed = 0x2,
	};
	off_t from = tenv_file_size(e->log);
	int lfd, port;
	pid_t peer;

	lfd = tenv_listen(e, &port);
	peer = gpeer_start(e, &g, lfd);
	client_round(e, variant->v, port, false);
	if (variant->v->version == TLS_1_3_VERSION)
		EXPECT_EQ(wait_stat(TLSO_STAT_TICKET_UP, up0 + 2), up0 + 2);
	else	/* TLS 1.2's ticket came within the handshake */
		EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_TICKET_UP), up0);
	ASSERT_TRUE(wait_kept(e, from));
	client_round(e, variant->v, port, true);
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
	EXPECT_TRUE(tenv_log_line_has(e, "role client", ", resumed",
				      TENV_HS_MS));
}

/*
 * openssl s_server -rev (each line back reversed), two connections: the
 * first a full handshake whose tickets (TLS 1.3: two, after it) tlsod
 * keeps, the second resumed with one of them.
 */
TEST_F(resume, client_resumes_with_openssl_s_server)
{
	struct tenv *e = &self->e;
	off_t from = tenv_file_size(e->log);
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	struct tproc *srv;
	int fd, round;

	fd = tenv_s_server_client(e, &srv, PKI_SERVER, variant->v, "-naccept",
				  "2", "-rev");
	ASSERT_OK(getpeername(fd, (struct sockaddr *)&peer, &len));
	for (round = 0; round < 2; round++) {
		if (round)
			fd = tenv_tlso_client(e, ntohs(peer.sin_port));
		ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
				   TENV_HS_MS));
		EXPECT_DONE(fd, variant->v->version, TLSO_AUTH_X509,
			    TENV_ID_SERVER);
		EXPECT_EQ(hs_get(fd).flags & TLSO_HS_F_RESUMED,
			  round ? TLSO_HS_F_RESUMED : 0U);
		ASSERT_OK(tlso_write_all(fd, "ko\n", 3));
		EXPECT_READ(fd, "ok\n");
		if (!round)
			ASSERT_TRUE(wait_kept(e, from));
		tenv_close(e, fd);
	}
	EXPECT_EXIT(srv, 0, TENV_HS_MS);
	EXPECT_TRUE(tenv_log_line_has(e, "role client", ", resumed",
				      TENV_HS_MS));
}

/*
 * A server that gives one ticket, on its first connection only: the
 * second connection resumes with it, the third cannot (RFC 8446 C.4:
 * a ticket is offered once).
 */
TEST_F(resume, a_ticket_is_offered_once)
{
	struct tenv *e = &self->e;
	struct gpeer g = {
		.prio = variant->v->prio, .nconn = 3, .expect = "hello\n",
		.reply = "ok\n", .end = GPEER_WAIT_EOF, .tickets = 1,
		.resumed = 0x2,
	};
	int lfd, port;
	off_t from;
	pid_t peer;

	if (variant->v->version != TLS_1_3_VERSION)
		SKIP("a TLS 1.2 server renews its ticket at each resumption");
	from = tenv_file_size(e->log);
	lfd = tenv_listen(e, &port);
	peer = gpeer_start(e, &g, lfd);
	client_round(e, variant->v, port, false);
	ASSERT_TRUE(wait_kept(e, from));
	client_round(e, variant->v, port, true);
	client_round(e, variant->v, port, false);
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
}

/*
 * TLSO_TICKETS_MAX tickets of a connection go up to tlsod, the rest are
 * dropped and counted; the application reads its data all the same.
 */
TEST_F(resume, tickets_past_the_cap_are_dropped)
{
	struct tenv *e = &self->e;
	long up0, drop0;
	struct gpeer g = {
		.prio = variant->v->prio, .expect = "hello\n",
		.reply = "ok\n", .end = GPEER_WAIT_EOF,
		.tickets = TLSO_TICKETS_MAX + 2,
	};
	int lfd, port;
	pid_t peer;

	if (variant->v->version != TLS_1_3_VERSION)
		SKIP("TLS 1.2 tickets come within the handshake");
	up0 = kmod_tlso_stat(TLSO_STAT_TICKET_UP);
	drop0 = kmod_tlso_stat(TLSO_STAT_TICKET_DROP);
	lfd = tenv_listen(e, &port);
	peer = gpeer_start(e, &g, lfd);
	client_round(e, variant->v, port, false);
	EXPECT_EQ(wait_stat(TLSO_STAT_TICKET_DROP, drop0 + 2), drop0 + 2);
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_TICKET_UP), up0 + TLSO_TICKETS_MAX);
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
}

/* A tlso server's side of one connection: accepted, its handshake done. */
static int server_accept(struct tenv *e, int lfd, const struct tver *v,
			 bool resumed)
{
	struct tlso_handshake_status st;
	int fd = tenv_tlso_accept(e, lfd);

	ASSERT_OK(hs_start(fd, TLSO_ROLE_SERVER, "server", "", TENV_HS_MS));
	EXPECT_DONE(fd, v->version, TLSO_AUTH_NONE, "");
	st = hs_get(fd);
	EXPECT_EQ(st.flags & TLSO_HS_F_RESUMED,
		  resumed ? TLSO_HS_F_RESUMED : 0U);
	return fd;
}

/*
 * gnutls-cli --resume connects twice.  With --worker-idle 0 each
 * handshake has a worker of its own: the second opens the first's
 * ticket because both have the key the parent made.
 */
TEST_F(resume, server_resumes_gnutls_cli_on_another_worker)
{
	struct tenv *e = &self->e;
	char ca[PATH_MAX], portbuf[16];
	struct tproc *cli;
	int port, lfd, fd;
	off_t from;
	char c;
	const char *argv[] = {
		"gnutls-cli", "--resume", "--x509cafile", ca,
		"--verify-hostname", "localhost", "--priority",
		variant->v->prio, "-p", portbuf, "127.0.0.1", NULL,
	};

	TENV_NEED("gnutls-cli");
	EXPECT_EQ(tenv_stop_tlsod(e, 10000), 0);
	e->tlsod_opt[0] = "--worker-idle";
	e->tlsod_opt[1] = "0";
	from = tenv_file_size(e->log);
	tenv_start_tlsod(e);
	lfd = tenv_listen(e, &port);
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	tenv_pki(e, ca, sizeof(ca), PKI_CA, "pem");
	cli = tenv_spawn(e, "gnutls-cli", true, argv);
	fd = server_accept(e, lfd, variant->v, false);
	/* gnutls-cli ends its first connection by itself */
	EXPECT_EQ(tenv_recv_wait(fd, &c, 1, TENV_HS_MS), 0);
	tenv_close(e, fd);
	fd = server_accept(e, lfd, variant->v, true);
	ASSERT_OK(tlso_write_all(fd, "resumed\n", 8));
	EXPECT_TRUE(tenv_wait_file_has(cli->out, "resumed\n", 0, TENV_HS_MS));
	tenv_close(e, fd);
	tproc_close_stdin(cli);
	EXPECT_EXIT(cli, 0, TENV_HS_MS);
	EXPECT_TRUE(tenv_file_has(cli->out, "This is a resumed session", 0));
	EXPECT_FALSE(tenv_file_has(e->log, "takes another request", from));
	EXPECT_TRUE(tenv_log_line_has(e, "role server", ", resumed", from));
}

/*
 * openssl s_client keeps the session it was given (-sess_out) and offers
 * it on its next connection (-sess_in): "Reused" on its side, the flag
 * on ours.
 */
TEST_F(resume, server_resumes_openssl_s_client)
{
	struct tenv *e = &self->e;
	char ca[PATH_MAX], addr[32], sess[PATH_MAX];
	const char *argv[] = {
		"openssl", "s_client", "-connect", addr, "-CAfile", ca,
		"-servername", "localhost", variant->v->ossl, NULL, sess,
		NULL,
	};
	struct tproc *cli;
	int port, lfd, fd, round;

	TENV_NEED("openssl");
	lfd = tenv_listen(e, &port);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	snprintf(sess, sizeof(sess), "%s/session.pem", e->dir);
	tenv_pki(e, ca, sizeof(ca), PKI_CA, "pem");
	for (round = 0; round < 2; round++) {
		argv[9] = round ? "-sess_in" : "-sess_out";
		cli = tenv_spawn(e, "openssl", true, argv);
		fd = server_accept(e, lfd, variant->v, round == 1);
		ASSERT_OK(tlso_write_all(fd, "from tlso\n", 10));
		ASSERT_TRUE(tenv_wait_file_has(cli->out, "from tlso\n", 0,
					       TENV_HS_MS));
		tenv_close(e, fd);
		tproc_close_stdin(cli);
		EXPECT_EXIT(cli, 0, TENV_HS_MS);
		EXPECT_EQ(tenv_file_has(cli->out, "Reused, TLS", 0), round == 1);
	}
}

/*
 * A tlso server sends its TLS 1.3 tickets only to a client that can
 * resume with them (RFC 8446 4.2.9): none to a client whose profile has
 * session_tickets = no, which offers no psk_key_exchange_modes (GnuTLS
 * would send two all the same), and two to one with tickets on.  The
 * client's module counts what came: dropped, or passed up to tlsod.
 */
TEST_F(resume, server_sends_tickets_only_to_a_client_that_can_resume)
{
	static const char *const profile[] = { "no_tickets", "" };
	struct tenv *e = &self->e;
	char ca[PATH_MAX], extra[PATH_MAX + 64];
	int lfd, port, cfd, sfd, i;
	long up0, drop0;

	if (variant->v->version != TLS_1_3_VERSION)
		SKIP("TLS 1.2 tickets come within the handshake");
	tenv_pki(e, ca, sizeof(ca), PKI_CA, "pem");
	snprintf(extra, sizeof(extra),
		 "\n[no_tickets]\ntrust_store = %s\nsession_tickets = no\n",
		 ca);
	tenv_reload_conf(e, extra);
	lfd = tenv_listen(e, &port);
	for (i = 0; i < 2; i++) {
		TH_LOG("client profile '%s'", profile[i]);
		up0 = kmod_tlso_stat(TLSO_STAT_TICKET_UP);
		drop0 = kmod_tlso_stat(TLSO_STAT_TICKET_DROP);
		cfd = tenv_tlso_client(e, port);
		ASSERT_OK(tenv_set_nonblock(cfd, true));
		ASSERT_ERRNO(hs_start(cfd, TLSO_ROLE_CLIENT, profile[i],
				      "localhost", TENV_HS_MS), EINPROGRESS);
		sfd = server_accept(e, lfd, variant->v, false);
		ASSERT_EQ(hs_wait(cfd, TENV_HS_MS), TLSO_HS_DONE);
		ASSERT_OK(tenv_set_nonblock(cfd, false));
		/* after the tickets on the wire: read, they have been seen */
		ASSERT_OK(tlso_write_all(sfd, "x\n", 2));
		EXPECT_READ(cfd, "x\n");
		EXPECT_EQ(wait_stat(TLSO_STAT_TICKET_UP, up0 + 2 * i),
			  up0 + 2 * i);
		EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_TICKET_DROP), drop0);
		tenv_close(e, cfd);
		tenv_close(e, sfd);
	}
}

TEST_HARNESS_MAIN
