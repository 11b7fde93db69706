// SPDX-License-Identifier: GPL-2.0
/*
 * Test library: gpeer, a TLS server of our own in child processes,
 * GnuTLS with the test PKI, for what no command-line peer does on
 * demand.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gnutls/gnutls.h>

#include "tenv.h"

/* Read exactly what want says, record by record, and check it. */
static void gpeer_expect(gnutls_session_t s, int n, const char *want)
{
	size_t got = 0, len = strlen(want);
	char buf[4096];
	ssize_t r;

	TCASE_ASSERT(len < sizeof(buf));
	while (got < len) {
		r = gnutls_record_recv(s, buf + got, len - got);
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r <= 0)
			tcase_log("gpeer %d: receiving: %s", n, r ?
				  gnutls_strerror((int)r) : "end of stream");
		TCASE_ASSERT(r > 0);
		got += r;
	}
	buf[len] = 0;
	TCASE_CHECK(false, !strcmp(buf, want),
		    "gpeer %d: got \"%s\", not \"%s\"", n, buf, want);
}

/* g->key_updates rounds of KeyUpdate, "ku N" out, "ok N" back (tenv.h). */
static void gpeer_key_updates(gnutls_session_t s, const struct gpeer *g, int n)
{
	char line[32];
	ssize_t r;
	int i, ret;

	for (i = 0; i < g->key_updates; i++) {
		ret = gnutls_session_key_update(s, i % 2 &&
						!g->key_updates_one_way ?
						GNUTLS_KU_PEER : 0);
		if (ret < 0)
			tcase_log("gpeer %d: key update %d: %s", n, i,
				  gnutls_strerror(ret));
		TCASE_ASSERT(ret == 0);
		snprintf(line, sizeof(line), "ku %d\n", i);
		r = gnutls_record_send(s, line, strlen(line));
		TCASE_ASSERT(r == (ssize_t)strlen(line));
		if (g->key_updates_one_way)
			continue;
		snprintf(line, sizeof(line), "ok %d\n", i);
		gpeer_expect(s, n, line);
	}
	if (g->key_updates && g->key_updates_one_way)
		gpeer_expect(s, n, "ok\n");
}

/* One key for all of a gpeer's connections, made before they fork. */
static gnutls_datum_t gpeer_ticket_key;

/* Whether connection n resumed as the case says; its tickets, if due. */
static void gpeer_tickets(gnutls_session_t s, const struct gpeer *g, int n)
{
	bool resumed = gnutls_session_is_resumed(s);
	bool want = g->resumed & (1u << n);

	if (resumed != want)
		tcase_log("gpeer %d: %s session, the case wants %s", n,
			  resumed ? "a resumed" : "a new",
			  want ? "a resumed one" : "a new one");
	TCASE_EXPECT(resumed == want);
	if (gnutls_protocol_get_version(s) == GNUTLS_TLS1_3 &&
	    (n == 0 || g->tickets_every))
		TCASE_ASSERT(gnutls_session_ticket_send(s, g->tickets, 0) ==
			     0);
}

static void gpeer_conn(const struct tenv *e, const struct gpeer *g, int fd,
		       int n)
{
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	char crt[PATH_MAX], key[PATH_MAX], buf[4096];
	ssize_t r;
	int ret;

	tenv_pki(e, crt, sizeof(crt), PKI_SERVER, "pem");
	tenv_pki(e, key, sizeof(key), PKI_SERVER, "key");
	TCASE_ASSERT(gnutls_certificate_allocate_credentials(&cred) == 0);
	TCASE_ASSERT(gnutls_certificate_set_x509_key_file(cred, crt, key,
			GNUTLS_X509_FMT_PEM) == 0);
	TCASE_ASSERT(gnutls_init(&s, GNUTLS_SERVER | (g->tickets ?
				 GNUTLS_NO_AUTO_SEND_TICKET : 0)) == 0);
	if (g->tickets)
		TCASE_ASSERT(gnutls_session_ticket_enable_server(s,
					&gpeer_ticket_key) == 0);
	TCASE_ASSERT(gnutls_priority_set_direct(s, g->prio, NULL) == 0);
	TCASE_ASSERT(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE,
					    cred) == 0);
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, TENV_HS_MS);
	if (g->max_recv)
		TCASE_ASSERT(gnutls_record_set_max_recv_size(s, g->max_recv) ==
			     0);
	if (g->delay_ms)
		tenv_msleep(g->delay_ms);
	if (g->gate > 0 && read(g->gate, buf, 1) != 1)
		_exit(2);	/* the case is over */
	do {
		ret = gnutls_handshake(s);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0)
		tcase_log("gpeer %d: handshake: %s", n, gnutls_strerror(ret));
	TCASE_ASSERT(ret == 0);
	if (g->tickets)
		gpeer_tickets(s, g, n);

	/* Bytes the client wrote during the handshake would have broken
	 * it; these come after, as records. */
	if (g->expect)
		gpeer_expect(s, n, g->expect);
	if (g->reply) {
		r = gnutls_record_send(s, g->reply, strlen(g->reply));
		TCASE_ASSERT(r == (ssize_t)strlen(g->reply));
	}
	gpeer_key_updates(s, g, n);
	switch (g->end) {
	case GPEER_BYE:
		TCASE_ASSERT(gnutls_bye(s, GNUTLS_SHUT_WR) == 0);
		/* fall through */
	case GPEER_WAIT_EOF:
		while (recv(fd, buf, sizeof(buf), 0) > 0)
			;
		break;
	case GPEER_ALERT:
		TCASE_ASSERT(gnutls_alert_send(s, GNUTLS_AL_FATAL,
					       GNUTLS_A_ACCESS_DENIED) == 0);
		while (recv(fd, buf, sizeof(buf), 0) > 0)
			;
		break;
	case GPEER_WANT_CLOSE_NOTIFY:
		/* 0 is close_notify; a bare FIN is PREMATURE_TERMINATION. */
		do {
			r = gnutls_record_recv(s, buf, sizeof(buf));
		} while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
		if (r)
			tcase_log("gpeer %d: wanted close_notify, got %zd (%s)",
				  n, r,
				  r < 0 ? gnutls_strerror((int)r) : "data");
		TCASE_EXPECT(r == 0);
		gnutls_bye(s, GNUTLS_SHUT_WR);
		break;
	case GPEER_RENEGOTIATE:
		TCASE_ASSERT(gnutls_rehandshake(s) == 0);
		do {
			r = gnutls_record_recv(s, buf, sizeof(buf));
		} while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
		tcase_log("gpeer %d: after HelloRequest: %s, alert %s", n,
			  r < 0 ? gnutls_strerror((int)r) : "data",
			  gnutls_alert_get_name(gnutls_alert_get(s)));
		TCASE_EXPECT(r == GNUTLS_E_FATAL_ALERT_RECEIVED &&
			     gnutls_alert_get(s) == GNUTLS_A_UNEXPECTED_MESSAGE);
		break;
	}
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(cred);
}

pid_t gpeer_start(struct tenv *e, const struct gpeer *g, int lfd)
{
	int i, n = g->nconn ? g->nconn : 1, bad = 0, st, keep[2] = { lfd, 0 };
	struct gpeer mine = *g;
	pid_t pid = tenv_fork(e), kid;

	if (pid > 0)
		return pid;
	if (g->tickets)
		TCASE_ASSERT(gnutls_session_ticket_key_generate(
					&gpeer_ticket_key) == 0);
	keep[1] = g->gate;
	tenv_child_fds(keep, g->gate > 0 ? 2 : 1);
	lfd = keep[0];
	if (g->gate > 0)
		mine.gate = keep[1];
	g = &mine;
	for (i = 0; i < n; i++) {
		struct pollfd p = { lfd, POLLIN, 0 };
		int fd;

		if (poll(&p, 1, 60000) != 1) {
			tcase_log("gpeer: connection %d of %d did not come",
				  i + 1, n);
			_exit(1);
		}
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			_exit(1);
		kid = fork();
		if (kid < 0)
			_exit(1);
		if (kid == 0) {
			close(lfd);
			gpeer_conn(e, g, fd, i);
			_exit(0);
		}
		close(fd);
	}
	close(lfd);
	while ((kid = wait(&st)) > 0 || (kid < 0 && errno == EINTR))
		if (kid > 0 && (!WIFEXITED(st) || WEXITSTATUS(st)))
			bad = 1;
	_exit(bad);
}
