// SPDX-License-Identifier: GPL-2.0
/*
 * GnuTLS in this process: the handshakes of modes ktls and gnutls and
 * of --rx-only's sender, and the credentials and priorities they share.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "perf.h"

/*
 * What the in-process handshakes share, made once per process and test
 * as tlsod makes its own once per start: reading certificates and
 * compiling priorities on every connection would charge the in-process
 * side with work that tlsod does not do per handshake.
 */
static struct {
	pthread_mutex_t lock;
	gnutls_certificate_credentials_t cred;
	char priority_text[256];
	gnutls_priority_t priority;
	/* a server's, for --resume: one for every test, as tlsod's profile */
	gnutls_datum_t ticket_key;
} gtls = { .lock = PTHREAD_MUTEX_INITIALIZER };

int gtls_load(char *err, size_t errlen)
{
	int ret;

	if (gtls.cred)
		return 0;
	ret = gnutls_certificate_allocate_credentials(&gtls.cred);
	if (ret < 0)
		goto fail;
	if (opt.server) {
		if (!opt.cert)
			return 0;
		ret = gnutls_certificate_set_x509_key_file(gtls.cred, opt.cert,
							   opt.key,
							   GNUTLS_X509_FMT_PEM);
		if (ret < 0) {
			snprintf(err, errlen, "--cert %s / --key %s: %s",
				 opt.cert, opt.key, gnutls_strerror(ret));
			return -1;
		}
		ret = gnutls_session_ticket_key_generate(&gtls.ticket_key);
		if (ret < 0)
			goto fail;
		return 0;
	}
	ret = opt.ca ? gnutls_certificate_set_x509_trust_file(gtls.cred, opt.ca,
							      GNUTLS_X509_FMT_PEM) :
		       gnutls_certificate_set_x509_system_trust(gtls.cred);
	if (ret <= 0) {
		snprintf(err, errlen, "%s: %s",
			 opt.ca ? opt.ca : "the system's trusted CAs",
			 ret ? gnutls_strerror(ret) : "no certificate in it");
		return -1;
	}
	return 0;
fail:
	snprintf(err, errlen, "GnuTLS: %s", gnutls_strerror(ret));
	return -1;
}

static gnutls_priority_t gtls_priority(const struct perf_params *p, char *err,
				       size_t errlen)
{
	char text[sizeof(gtls.priority_text)];
	const char *where;
	int ret;

	snprintf(text, sizeof(text),
		 "NORMAL:-VERS-ALL:+VERS-TLS%s:-CIPHER-ALL:+%s",
		 tls_name(p->tls), ciphers[p->cipher].priority);
	pthread_mutex_lock(&gtls.lock);
	if (!gtls.priority || strcmp(text, gtls.priority_text)) {
		if (gtls.priority)
			gnutls_priority_deinit(gtls.priority);
		gtls.priority = NULL;
		ret = gnutls_priority_init(&gtls.priority, text, &where);
		if (ret < 0)
			snprintf(err, errlen, "GnuTLS priority \"%s\": %s",
				 text, gnutls_strerror(ret));
		else
			strcpy(gtls.priority_text, text);
	}
	pthread_mutex_unlock(&gtls.lock);
	return gtls.priority;
}

static bool is_ip_literal(const char *name)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, buf) == 1 ||
	       inet_pton(AF_INET6, name, buf) == 1;
}

/*
 * --resume, a server: the one TLS 1.3 ticket, sent while the handshake's
 * TCP_NODELAY holds.  GnuTLS would send two on its own, and in mode ktls
 * the client's GnuTLS takes only the first before the kernel has the
 * socket, which then reads the second as a record it cannot give the
 * application.  (TLS 1.2 has its ticket inside the handshake.)
 */
static int send_ticket(struct conn *c)
{
	int ret;

	if (gnutls_protocol_get_version(c->s) != GNUTLS_TLS1_3)
		return 0;
	do {
		ret = gnutls_session_ticket_send(c->s, 1, 0);
	} while (ret == GNUTLS_E_INTERRUPTED || ret == GNUTLS_E_AGAIN);
	return ret;
}

/*
 * --resume, a client: the session this connection leaves, for the next
 * to resume, taken right after the handshake.  Mode ktls must take it
 * there (the kernel, once it has the socket, cannot read a ticket), and
 * mode gnutls does the same so that both are timed alike.  A TLS 1.3
 * ticket comes after the handshake, in the server's first flight, just
 * before its one byte: waiting for it costs about what waiting for the
 * byte would have.  gnutls_session_get_data2() would wait itself, but
 * only an RTT estimate plus 60 ms, which an emulated server can overrun,
 * and then it hands back no ticket: the next connection would make a
 * full handshake.  So wait as for the byte first.
 */
static int keep_session(struct conn *c, char *err, size_t errlen)
{
	bool tls13 = gnutls_protocol_get_version(c->s) == GNUTLS_TLS1_3;
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	gnutls_datum_t d = { NULL, 0 };
	int ret = 1;

	if (tls13 && !(gnutls_session_get_flags(c->s) &
		       GNUTLS_SFLAGS_SESSION_TICKET)) {
		do {
			ret = poll(&pfd, 1, SETUP_SECONDS * 1000);
		} while (ret < 0 && errno == EINTR);
	}
	if (ret <= 0) {
		snprintf(err, errlen,
			 "no session ticket from the server in %d s",
			 SETUP_SECONDS);
		return -1;
	}
	ret = gnutls_session_get_data2(c->s, &d);
	if (ret < 0) {
		snprintf(err, errlen, "the session to resume: %s",
			 gnutls_strerror(ret));
		return -1;
	}
	if (tls13 && !(gnutls_session_get_flags(c->s) &
		       GNUTLS_SFLAGS_SESSION_TICKET)) {
		gnutls_free(d.data);
		snprintf(err, errlen,
			 "the server's first record after the handshake was not a session ticket");
		return -1;
	}
	gnutls_free(c->session->data);
	*c->session = d;
	return 0;
}

/*
 * A handshake on c's socket in c's role, its session left in c->s and
 * what it agreed on in c->version and c->cipher.  0, or -1 with the
 * reason in err.
 */
int gtls_handshake(struct conn *c, const struct perf_params *p, char *err,
		   size_t errlen)
{
	unsigned int flags = c->client ? GNUTLS_CLIENT : GNUTLS_SERVER;
	gnutls_priority_t prio;
	int ret, one = 1, zero = 0;

	if (gtls_load(err, errlen))
		return -1;
	if (!c->client && !opt.cert) {
		snprintf(err, errlen,
			 "the server has no certificate for an in-process handshake (start it with --cert and --key)");
		return -1;
	}
	prio = gtls_priority(p, err, errlen);
	if (!prio)
		return -1;
	/* tickets only for --resume: a full handshake must stay full */
	if (!p->resume)
		flags |= GNUTLS_NO_TICKETS;
	else if (!c->client)
		flags |= GNUTLS_NO_AUTO_SEND_TICKET;
	ret = gnutls_init(&c->s, flags);
	if (ret < 0)
		goto fail;
	ret = gnutls_priority_set(c->s, prio);
	if (ret >= 0)
		ret = gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE,
					     gtls.cred);
	if (ret >= 0 && p->resume && !c->client)
		ret = gnutls_session_ticket_enable_server(c->s,
							  &gtls.ticket_key);
	if (ret >= 0 && c->client && c->session && c->session->size)
		ret = gnutls_session_set_data(c->s, c->session->data,
					      c->session->size);
	if (ret < 0)
		goto fail;
	if (c->client) {
		if (p->name[0] && !is_ip_literal(p->name))
			gnutls_server_name_set(c->s, GNUTLS_NAME_DNS, p->name,
					       strlen(p->name));
		gnutls_session_set_verify_cert(c->s, p->name[0] ? p->name : NULL,
					       0);
	}
	gnutls_transport_set_int(c->s, c->fd);
	gnutls_handshake_set_timeout(c->s, SETUP_SECONDS * 1000);
	/* as tlsod does: small flights must not wait for Nagle */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	do {
		ret = gnutls_handshake(c->s);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret >= 0 && p->resume && !c->client)
		ret = send_ticket(c);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &zero, sizeof(zero));
	if (ret < 0)
		goto fail;
	c->version = gnutls_protocol_get_version(c->s) == GNUTLS_TLS1_2 ?
		     TLS_1_2_VERSION : TLS_1_3_VERSION;
	c->cipher = cipher_from_gnutls(gnutls_cipher_get(c->s));
	c->resumed = gnutls_session_is_resumed(c->s);
	if (c->client && c->session && keep_session(c, err, errlen)) {
		gnutls_deinit(c->s);
		c->s = NULL;
		return -1;
	}
	return 0;
fail:
	if (ret == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR && c->s) {
		gnutls_datum_t out = { 0 };

		gnutls_certificate_verification_status_print(
			gnutls_session_get_verify_cert_status(c->s),
			GNUTLS_CRT_X509, &out, 0);
		snprintf(err, errlen, "handshake: %s",
			 out.data ? (char *)out.data : gnutls_strerror(ret));
		gnutls_free(out.data);
	} else {
		snprintf(err, errlen, "handshake: %s", gnutls_strerror(ret));
	}
	if (c->s)
		gnutls_deinit(c->s);
	c->s = NULL;
	return -1;
}

/* One direction of c's session's keys (read: the peer's), for a kernel. */
int gtls_export(struct conn *c, unsigned int read,
		union tlso_crypto_info *ci, socklen_t *len, char *err,
		size_t errlen)
{
	int ret = tlso_keys_export(c->s, read, ci, len);

	if (ret < 0) {
		snprintf(err, errlen, "keys from GnuTLS: %s",
			 gnutls_strerror(ret));
		return -1;
	}
	return 0;
}
