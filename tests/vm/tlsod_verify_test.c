// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: tlsod, the handshake daemon, end to end (tlsod_env.h says
 * how a case goes and what every teardown checks), the verify group:
 * a wrong name, an untrusted CA, an expired certificate, a client without
 * certificate where one is required: each fails with EACCES (or as
 * tlsod(8) says for TLS 1.3) and no data passes.  A client request
 * without a peer name: EINVAL, unless the profile says verify_name = no,
 * and then the chain is still checked.  The legacy group: RSA key
 * transport, SHA-1 signatures and a PSK without (EC)DHE are refused
 * (EPROTO) unless a profile's legacy takes them back.
 */
#include "tlsod_env.h"

TENV_FIXTURE_TLS(verify)
TENV_FIXTURE(legacy)

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

/*
 * No peer name on a profile that checks certificates: any certificate of
 * any of the trusted CAs would do, so tlsod refuses before a byte goes.
 */
TEST_F(verify, client_without_peer_name)
{
	struct tenv *e = &self->e;
	struct tproc *srv;
	int fd;

	fd = tenv_s_server_client(e, &srv, PKI_SERVER, variant->v, NULL, NULL,
				  NULL);
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "", TENV_HS_MS),
		     EINVAL);
	EXPECT_FAILED(fd, EINVAL);
	EXPECT_TRUE(tenv_log_line_has(e, "profile 'default': failed",
				      "without a peer name", 5000));
	tenv_show_outcomes(e);
}

/* verify_name = no with a store of its own: the chain alone, and still. */
TEST_F(verify, verify_name_no_checks_the_chain)
{
	struct tenv *e = &self->e;
	char extra[PATH_MAX + 64], ca[PATH_MAX];
	struct tproc *srv;
	int fd;

	tenv_pki(e, ca, sizeof(ca), PKI_CA, "pem");
	snprintf(extra, sizeof(extra),
		 "\n[chain_only]\ntrust_store = %s\nverify_name = no\n", ca);
	tenv_reload_conf(e, extra);
	fd = tenv_s_server_client(e, &srv, PKI_SERVER, variant->v, NULL, NULL,
				  NULL);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "chain_only", "",
			   TENV_HS_MS));
	EXPECT_DONE(fd, variant->v->version, TLSO_AUTH_X509, TENV_ID_SERVER);

	fd = tenv_s_server_client(e, &srv, PKI_UNTRUSTED, variant->v, NULL,
				  NULL, NULL);
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "chain_only", "",
			      TENV_HS_MS), EACCES);
	EXPECT_FAILED(fd, EACCES);
	tenv_show_outcomes(e);
}

/* Profiles that take back what is off, for the cases below. */
static void legacy_profiles(struct tenv *e)
{
	char extra[2 * PATH_MAX + 512], ca[PATH_MAX];

	tenv_pki(e, ca, sizeof(ca), PKI_CA, "pem");
	snprintf(extra, sizeof(extra),
		 "\n[rsa_kx]\ntrust_store = %s\nlegacy = rsa-kx\n"
		 "\n[sha1]\ntrust_store = %s\nlegacy = sha1\n"
		 "\n[psk_no_dhe]\npsk_identity = " TENV_PSK_IDENTITY "\n"
		 "psk_key = " TENV_PSK_KEY "\nlegacy = psk-no-dhe\n",
		 ca, ca);
	tenv_reload_conf(e, extra);
}

/* TLS 1.2 with RSA key transport only: refused, unless rsa-kx. */
TEST_F(legacy, rsa_key_transport)
{
	struct tenv *e = &self->e;
	struct tproc *srv;
	int fd;

	legacy_profiles(e);
	fd = tenv_s_server_client(e, &srv, PKI_RSA_SERVER, &tver_tls12,
				  "-cipher", "AES128-GCM-SHA256", NULL);
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
			      TENV_HS_MS), EPROTO);
	fd = tenv_s_server_client(e, &srv, PKI_RSA_SERVER, &tver_tls12,
				  "-cipher", "AES128-GCM-SHA256", NULL);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "rsa_kx", "localhost",
			   TENV_HS_MS));
	EXPECT_DONE(fd, TLS_1_2_VERSION, TLSO_AUTH_X509, TENV_ID_SERVER);
	tenv_show_outcomes(e);
}

/*
 * gnutls-serv that signs with ECDSA-SHA1 alone (TLS 1.2): refused, unless
 * sha1.  It serves both connections.
 */
TEST_F(legacy, sha1_signatures)
{
	static char portbuf[16], crt[PATH_MAX], key[PATH_MAX];
	const char *argv[] = {
		"gnutls-serv", "-p", portbuf, "--x509certfile", crt,
		"--x509keyfile", key, "--priority",
		"NORMAL:-VERS-ALL:+VERS-TLS1.2:-SIGN-ALL:+SIGN-ECDSA-SHA1",
		NULL,
	};
	struct tenv *e = &self->e;
	int port, fd;

	TENV_NEED("gnutls-serv");
	legacy_profiles(e);
	tenv_pki(e, crt, sizeof(crt), PKI_SERVER, "pem");
	tenv_pki(e, key, sizeof(key), PKI_SERVER, "key");
	tenv_spawn_server(e, "gnutls-serv", argv, portbuf, &port);
	fd = tenv_tlso_client(e, port);
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
			      TENV_HS_MS), EPROTO);
	fd = tenv_tlso_client(e, port);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "sha1", "localhost",
			   TENV_HS_MS));
	EXPECT_DONE(fd, TLS_1_2_VERSION, TLSO_AUTH_X509, TENV_ID_SERVER);
	tenv_show_outcomes(e);
}

/*
 * A client with the PSK key exchange alone, no (EC)DHE, to port: TLS 1.2,
 * openssl with a plain PSK suite (gnutls-cli 3.7.9 crashes after a TLS
 * 1.2 PSK handshake); TLS 1.3, gnutls-cli with the psk_ke mode alone
 * (openssl would offer psk_dhe_ke too).
 */
static void plain_psk_client(struct tenv *e, const struct tver *v, int port)
{
	static char conn[32], portbuf[16], prio[128];
	const char *ossl[] = {
		"openssl", "s_client", "-connect", conn, "-psk", TENV_PSK_KEY,
		"-psk_identity", TENV_PSK_IDENTITY, "-quiet", "-tls1_2",
		"-cipher", "PSK-AES256-GCM-SHA384", NULL,
	};
	const char *gtls[] = {
		"gnutls-cli", "--pskusername", TENV_PSK_IDENTITY,
		"--pskkey", TENV_PSK_KEY, "--priority", prio, "-p", portbuf,
		"127.0.0.1", NULL,
	};

	snprintf(conn, sizeof(conn), "127.0.0.1:%d", port);
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	snprintf(prio, sizeof(prio), "%s:-KX-ALL:+PSK", v->prio);
	tenv_spawn(e, v->version == TLS_1_2_VERSION ? "s_client" : "gnutls-cli",
		   true, v->version == TLS_1_2_VERSION ? ossl : gtls);
}

/* Refused by profile psk, taken by psk_no_dhe; TLS 1.2 and 1.3. */
TEST_F(legacy, psk_without_dhe)
{
	static const struct tver *const vers[] = { &tver_tls12, &tver_tls13 };
	struct tenv *e = &self->e;
	int port, lfd, fd, i;

	TENV_NEED("openssl");
	TENV_NEED("gnutls-cli");
	legacy_profiles(e);
	for (i = 0; i < 2; i++) {
		lfd = tenv_listen(e, &port);
		plain_psk_client(e, vers[i], port);
		fd = tenv_tlso_accept(e, lfd);
		EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_SERVER, "psk", "",
				      TENV_HS_MS), EPROTO);
		plain_psk_client(e, vers[i], port);
		fd = tenv_tlso_accept(e, lfd);
		ASSERT_OK(hs_start(fd, TLSO_ROLE_SERVER, "psk_no_dhe", "",
				   TENV_HS_MS));
		EXPECT_DONE(fd, vers[i]->version, TLSO_AUTH_PSK,
			    TENV_PSK_IDENTITY);
	}
	tenv_show_outcomes(e);
}

TEST_HARNESS_MAIN
