// SPDX-License-Identifier: GPL-2.0
/*
 * One handshake: GnuTLS on the descriptor the kernel put into the
 * worker's table with the request (worker.c), the keys handed to tlso
 * with the ordinary kTLS options.
 *
 * The descriptor shares its open file with the application, so its
 * O_NONBLOCK is the application's: never change it, and wait with poll()
 * when GnuTLS says EAGAIN.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/tls.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "clock.h"
#include "errors.h"
#include "handshake.h"
#include "identity.h"
#include "keys.h"
#include "log.h"
#include "priority.h"
#include "resumption.h"
#include "tlsod.h"
#include "trace.h"

/* A worker that outlives its handshake timeout by this much is stuck. */
#define TLSOD_ALARM_SLACK_S	15
/*
 * TLS 1.3 tickets a server sends after its handshake, as many as GnuTLS
 * sends by itself: with one, a client that reconnects at once may find
 * it not yet cached and make a full handshake (the bench saw 1 in 60).
 */
#define TLSOD_TICKETS_SENT	2

struct hs {
	const struct tlsod_profile *p;
	const struct tlsod_request *req;
	struct tlsod_outcome *out;
	gnutls_session_t s;
	gnutls_psk_client_credentials_t psk_cli;
	gnutls_psk_server_credentials_t psk_srv;
	bool server;
	int fd;
	int sys_errno;		/* errno after the last GnuTLS call */
	unsigned int verify_status;	/* of our own check of a client */
	bool psk_known;		/* the client's PSK identity was ours */
	gnutls_typed_vdata_st vdata[2];	/* a server cert must meet */
	int nodelay;		/* TCP_NODELAY before; -1: unknown */
	/* TLS 1.3's first application traffic secrets, as GnuTLS logs them */
	unsigned char client_secret[TLSO_SECRET_MAX];
	unsigned char server_secret[TLSO_SECRET_MAX];
	size_t client_len, server_len;
	uint32_t peer_record_limit;	/* RFC 8449, from the peer's hello */
	bool psk_modes;		/* the ClientHello had psk_key_exchange_modes */
	struct tlsod_peer_key peer_key;	/* a client's, with tickets on */
};

static void __attribute__((format(printf, 3, 4)))
fail(struct tlsod_outcome *out, uint32_t status, const char *fmt, ...)
{
	va_list ap;

	out->status = status;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

const char *tlsod_role_name(uint32_t role)
{
	switch (role) {
	case TLSO_ROLE_CLIENT:
		return "client";
	case TLSO_ROLE_SERVER:
		return "server";
	default:
		return "unknown";
	}
}

/* ---- errors ---- */

static void verify_reason(struct hs *h, unsigned int status)
{
	gnutls_datum_t txt = { NULL, 0 };
	size_t len;

	if (!status ||
	    gnutls_certificate_verification_status_print(status,
							 GNUTLS_CRT_X509,
							 &txt, 0) < 0) {
		fail(h->out, EACCES, "the peer's certificate did not verify");
		return;
	}
	len = strlen((char *)txt.data);
	while (len && txt.data[len - 1] == ' ')
		txt.data[--len] = '\0';
	fail(h->out, EACCES, "the peer's certificate did not verify: %s",
	     (char *)txt.data);
	gnutls_free(txt.data);
}

/* What the session knows of why the handshake failed, for errors.c. */
static void failure_of(struct hs *h, int err, struct tlsod_failure *f)
{
	*f = (struct tlsod_failure){
		.err = err,
		.sys_errno = h->sys_errno,
		.server = h->server,
		.psk_known = h->psk_known,
	};
	if (err != GNUTLS_E_FATAL_ALERT_RECEIVED)
		return;
	f->alert = gnutls_alert_get(h->s);
	f->answered = (int)gnutls_handshake_get_last_in(h->s) != -1;
	f->cert_wanted = !h->server && !h->p->certificate &&
			 gnutls_certificate_client_get_request_status(h->s);
}

/* The errno is errors.c's choice; the reason is told here. */
static void handshake_failed(struct hs *h, int err)
{
	struct tlsod_failure f;
	const char *alert;
	uint32_t e;

	failure_of(h, err, &f);
	e = tlsod_failure_errno(&f);
	if (err == GNUTLS_E_FATAL_ALERT_RECEIVED) {
		alert = gnutls_alert_get_name(f.alert);
		if (f.cert_wanted)
			fail(h->out, e,
			     "the peer sent alert '%s' after asking for a client certificate, and profile '%s' has none",
			     alert, h->p->name);
		else
			fail(h->out, e, "the peer sent alert '%s'", alert);
		return;
	}
	if (tlsod_psk_mismatch(err, h->psk_known)) {
		fail(h->out, e, "the peer's PSK for '%s' is not ours (%s)",
		     h->p->psk_identity, gnutls_strerror(err));
		return;
	}
	if (err == GNUTLS_E_SRP_PWD_ERROR) {
		fail(h->out, e, "unknown PSK identity");
		return;
	}
	if (err == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		verify_reason(h, h->server ? h->verify_status :
				 gnutls_session_get_verify_cert_status(h->s));
		return;
	}
	if ((err == GNUTLS_E_PUSH_ERROR || err == GNUTLS_E_PULL_ERROR) &&
	    h->sys_errno) {
		fail(h->out, e, "%s: %s", gnutls_strerror(err),
		     strerror(h->sys_errno));
		return;
	}
	fail(h->out, e, "%s", gnutls_strerror(err));
}

/* Tell the peer why, where it still makes sense; best effort. */
static void send_alert(struct hs *h, int err)
{
	switch (err) {
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
	case GNUTLS_E_PUSH_ERROR:
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_TIMEDOUT:
		return;
	}
	gnutls_alert_send_appropriate(h->s, err);
}

/* ---- session set-up ---- */

static int psk_lookup(gnutls_session_t s, const char *username,
		      gnutls_datum_t *key)
{
	struct hs *h = gnutls_session_get_ptr(s);
	const struct tlsod_profile *p = h->p;

	if (strcmp(username, p->psk_identity))
		return -1;
	h->psk_known = true;
	key->data = gnutls_malloc(p->psk_key.size);
	if (!key->data)
		return -1;
	memcpy(key->data, p->psk_key.data, p->psk_key.size);
	key->size = p->psk_key.size;
	return 0;
}

/*
 * A client certificate, if one came, must chain to the trust store and
 * be meant for client authentication; with "require", one must come.
 */
static int verify_client(gnutls_session_t s)
{
	struct hs *h = gnutls_session_get_ptr(s);
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (void *)GNUTLS_KP_TLS_WWW_CLIENT,
	};
	unsigned int n = 0;
	int ret;

	if (!gnutls_certificate_get_peers(s, &n) || !n)
		return h->p->client_auth == TLSOD_CLIENT_AUTH_REQUIRE ?
		       GNUTLS_E_NO_CERTIFICATE_FOUND : 0;
	ret = gnutls_certificate_verify_peers(s, &purpose, 1,
					      &h->verify_status);
	if (ret < 0)
		return GNUTLS_E_CERTIFICATE_ERROR;
	return h->verify_status ? GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR : 0;
}

static int set_priority(struct hs *h)
{
	const struct tlsod_profile *p = h->p;
	const char *errpos = NULL;
	char prio[384];
	int ret;

	if (p->prio[h->server])
		return gnutls_priority_set(h->s, p->prio[h->server]);
	tlsod_priority_text(p, h->server, prio, sizeof(prio));
	ret = gnutls_set_default_priority_append(h->s, prio, &errpos, 0);
	if (ret < 0)
		fail(h->out, EINVAL, "priority '%s' at '%s': %s", prio,
		     errpos ? errpos : "?", gnutls_strerror(ret));
	return ret;
}

static int set_psk(struct hs *h)
{
	const struct tlsod_profile *p = h->p;
	int ret;

	if (h->server) {
		ret = gnutls_psk_allocate_server_credentials(&h->psk_srv);
		if (ret < 0)
			return ret;
		gnutls_psk_set_server_credentials_function(h->psk_srv,
							   psk_lookup);
		/* DHE-PSK suites need a group; the RFC 7919 ones will do. */
		ret = gnutls_psk_set_server_known_dh_params(h->psk_srv,
						GNUTLS_SEC_PARAM_MEDIUM);
		if (ret < 0)
			return ret;
		return gnutls_credentials_set(h->s, GNUTLS_CRD_PSK,
					      h->psk_srv);
	}
	ret = gnutls_psk_allocate_client_credentials(&h->psk_cli);
	if (ret < 0)
		return ret;
	ret = gnutls_psk_set_client_credentials(h->psk_cli, p->psk_identity,
						&p->psk_key,
						GNUTLS_PSK_KEY_RAW);
	if (ret < 0)
		return ret;
	return gnutls_credentials_set(h->s, GNUTLS_CRD_PSK, h->psk_cli);
}

static bool is_ip_literal(const char *name)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, buf) == 1 ||
	       inet_pton(AF_INET6, name, buf) == 1;
}

static int set_server_auth(struct hs *h)
{
	const struct tlsod_profile *p = h->p;
	int ret;

	if (!p->certificate && !p->psk_identity) {
		fail(h->out, EINVAL,
		     "profile '%s' has neither certificate nor psk to serve with",
		     p->name);
		return -1;
	}
	if (p->certificate) {
		ret = gnutls_credentials_set(h->s, GNUTLS_CRD_CERTIFICATE,
					     p->cred);
		if (ret < 0)
			return ret;
		if (p->client_auth != TLSOD_CLIENT_AUTH_NONE) {
			gnutls_certificate_server_set_request(h->s,
				p->client_auth == TLSOD_CLIENT_AUTH_REQUIRE ?
				GNUTLS_CERT_REQUIRE : GNUTLS_CERT_REQUEST);
			gnutls_session_set_verify_function(h->s,
							   verify_client);
		}
	}
	return p->psk_identity ? set_psk(h) : 0;
}

/*
 * The chain, its purpose (GnuTLS checks none unless told) and the name;
 * vdata lives as long as the session, as GnuTLS wants.
 */
static void set_verify_server(struct hs *h, const char *name)
{
	unsigned int n = 0;

	h->vdata[n++] = (gnutls_typed_vdata_st){
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (void *)GNUTLS_KP_TLS_WWW_SERVER,
	};
	if (name[0])
		h->vdata[n++] = (gnutls_typed_vdata_st){
			.type = GNUTLS_DT_DNS_HOSTNAME,
			.data = (void *)name,
		};
	gnutls_session_set_verify_cert2(h->s, h->vdata, n, 0);
}

static int set_client_auth(struct hs *h)
{
	const struct tlsod_profile *p = h->p;
	const char *name = h->req->peer_name;
	int ret;

	if (name[0] && !is_ip_literal(name)) {
		ret = gnutls_server_name_set(h->s, GNUTLS_NAME_DNS, name,
					     strlen(name));
		if (ret < 0)
			return ret;
	}
	/* Without a cred the profile is PSK alone: no certificate at all. */
	if (p->cred) {
		ret = gnutls_credentials_set(h->s, GNUTLS_CRD_CERTIFICATE,
					     p->cred);
		if (ret < 0)
			return ret;
		set_verify_server(h, name);
		if (!name[0])
			log_debug("fd %d: no peer name (verify_name = no): the server's chain is checked against %s alone",
				  h->fd, p->trust_store);
	}
	return p->psk_identity ? set_psk(h) : 0;
}

/*
 * GnuTLS names each secret it derives here (its key log); the kernel
 * needs the two that the application keys come from, to derive the keys
 * after a KeyUpdate.  Nothing is written anywhere.
 */
static int keylog(gnutls_session_t s, const char *label,
		  const gnutls_datum_t *secret)
{
	struct hs *h = gnutls_session_get_ptr(s);
	unsigned char *dst = NULL;
	size_t *len = NULL;

	if (!strcmp(label, "CLIENT_TRAFFIC_SECRET_0")) {
		dst = h->client_secret;
		len = &h->client_len;
	} else if (!strcmp(label, "SERVER_TRAFFIC_SECRET_0")) {
		dst = h->server_secret;
		len = &h->server_len;
	}
	if (dst && secret->size <= TLSO_SECRET_MAX) {
		memcpy(dst, secret->data, secret->size);
		*len = secret->size;
	}
	return 0;
}

/* The secrets for DONE, ours to send with and the peer's, if TLS 1.3. */
static void hand_secrets(struct hs *h)
{
	struct tlsod_outcome *out = h->out;
	gnutls_digest_algorithm_t dig = gnutls_prf_hash_get(h->s);
	uint32_t hash = dig == GNUTLS_DIG_SHA256 ? TLSO_HASH_SHA256 :
			dig == GNUTLS_DIG_SHA384 ? TLSO_HASH_SHA384 :
						   TLSO_HASH_NONE;
	size_t want = hash == TLSO_HASH_SHA384 ? 48 : 32;

	if (gnutls_protocol_get_version(h->s) != GNUTLS_TLS1_3 || !hash ||
	    h->client_len != want || h->server_len != want)
		return;
	out->hash = hash;
	out->ku_records = h->p->key_update_records;
	out->secret_len = want;
	memcpy(out->tx_secret, h->server ? h->server_secret : h->client_secret,
	       want);
	memcpy(out->rx_secret, h->server ? h->client_secret : h->server_secret,
	       want);
}

/* The record_size_limit extension (RFC 8449), 2 bytes of limit. */
#define EXT_RECORD_SIZE_LIMIT	28
/* psk_key_exchange_modes (RFC 8446 4.2.9), only ever in a ClientHello */
#define EXT_PSK_KE_MODES	45

static int hello_ext(void *ctx, unsigned int tls_id,
		     const unsigned char *data, unsigned int size)
{
	struct hs *h = ctx;
	unsigned int v;

	if (tls_id == EXT_PSK_KE_MODES && h->server)
		h->psk_modes = true;
	if (tls_id != EXT_RECORD_SIZE_LIMIT || size != 2)
		return 0;
	v = data[0] << 8 | data[1];
	/* GnuTLS itself refuses less than the RFC's 64. */
	if (v >= TLSO_RECORD_SIZE_LIMIT_MIN)
		h->peer_record_limit = v < TLSO_RECORD_SIZE_LIMIT_MAX ?
				       v : TLSO_RECORD_SIZE_LIMIT_MAX;
	return 0;
}

/*
 * What the peer's hello says that GnuTLS keeps to itself: a client's
 * psk_key_exchange_modes, and the peer's record_size_limit, from the
 * ClientHello a server answers (GnuTLS's answer always has one too),
 * from the TLS 1.3 EncryptedExtensions or the TLS 1.2 ServerHello a
 * client reads.  The extensions of a ServerHello follow its version,
 * random, session id, suite and compression.
 */
static void peer_hello(struct hs *h, unsigned int htype,
		       const gnutls_datum_t *msg)
{
	gnutls_datum_t ext = *msg;
	unsigned int skip;

	switch (htype) {
	case GNUTLS_HANDSHAKE_CLIENT_HELLO:
		if (h->server)
			gnutls_ext_raw_parse(h, hello_ext, msg,
					     GNUTLS_EXT_RAW_FLAG_TLS_CLIENT_HELLO);
		return;
	case GNUTLS_HANDSHAKE_SERVER_HELLO:
		if (h->server || msg->size < 35)
			return;
		skip = 35 + msg->data[34] + 3;
		if (msg->size <= skip)
			return;
		ext.data += skip;
		ext.size -= skip;
		break;
	case GNUTLS_HANDSHAKE_ENCRYPTED_EXTENSIONS:
		if (h->server)
			return;
		break;
	default:
		return;
	}
	gnutls_ext_raw_parse(h, hello_ext, &ext, 0);
}

/*
 * Every handshake message passes here, as GnuTLS has one hook a session:
 * the peer's hello for what GnuTLS does not tell, and all to --trace.
 */
static int hs_hook(gnutls_session_t s, unsigned int htype, unsigned int when,
		   unsigned int incoming, const gnutls_datum_t *msg)
{
	struct hs *h = gnutls_session_get_ptr(s);

	if (incoming && when == GNUTLS_HOOK_PRE && msg)
		peer_hello(h, htype, msg);
	return tlsod_opts.trace ? tlsod_trace_message(s, htype, when,
						      incoming, msg) : 0;
}

static int session_init(struct hs *h)
{
	unsigned int flags = h->server ? GNUTLS_SERVER : GNUTLS_CLIENT;
	int ret;

	/* A server's TLS 1.3 tickets go out after its handshake, if asked. */
	if (h->server && h->p->session_tickets)
		flags |= GNUTLS_NO_AUTO_SEND_TICKET;
	ret = gnutls_init(&h->s, flags | GNUTLS_NO_SIGNAL);
	if (ret < 0)
		goto err;
	gnutls_session_set_ptr(h->s, h);
	gnutls_session_set_keylog_function(h->s, keylog);
	if (set_priority(h) < 0)
		return -1;
	ret = h->server ? set_server_auth(h) : set_client_auth(h);
	if (h->out->status)
		return -1;
	if (ret < 0)
		goto err;
	if (h->server && h->p->session_tickets) {
		ret = gnutls_session_ticket_enable_server(h->s,
							  &h->p->ticket_key);
		if (ret < 0)
			goto err;
	}
	gnutls_transport_set_int(h->s, h->fd);
	return 0;
err:
	fail(h->out, ret == GNUTLS_E_MEMORY_ERROR ? ENOMEM : EIO,
	     "GnuTLS set-up: %s", gnutls_strerror(ret));
	return -1;
}

static void session_free(struct hs *h)
{
	if (h->s)
		gnutls_deinit(h->s);
	if (h->psk_cli)
		gnutls_psk_free_client_credentials(h->psk_cli);
	if (h->psk_srv)
		gnutls_psk_free_server_credentials(h->psk_srv);
}

/* ---- the handshake ---- */

/* Small handshake messages should not wait for Nagle. */
static void nodelay_on(struct hs *h)
{
	socklen_t len = sizeof(h->nodelay);
	int one = 1;

	if (getsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &h->nodelay,
		       &len) < 0)
		h->nodelay = -1;
	setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void nodelay_restore(struct hs *h)
{
	if (h->nodelay >= 0)
		setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &h->nodelay,
			   sizeof(h->nodelay));
}

/* For a non-blocking socket: 0 when it is ready, -1 at the deadline. */
static int wait_io(struct hs *h, int64_t deadline)
{
	struct pollfd pfd = { .fd = h->fd };
	int64_t left;
	int ret;

	pfd.events = gnutls_record_get_direction(h->s) ? POLLOUT : POLLIN;
	for (;;) {
		left = deadline - tlsod_now_ms();
		if (left <= 0)
			return -1;
		ret = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (ret > 0)
			return 0;
		if (ret == 0)
			return -1;
		if (errno != EINTR)
			return 0;	/* let GnuTLS meet the error */
	}
}

/*
 * A TLS 1.3 server's tickets, still under the handshake's TCP_NODELAY
 * and before the sequence numbers go to the kernel: only to a client
 * that offered psk_key_exchange_modes, since it can resume with no
 * other (RFC 8446 4.2.9; GnuTLS by itself sends them to any client).
 */
static int send_tickets(struct hs *h, int64_t deadline)
{
	int ret;

	if (!h->server || !h->p->session_tickets || !h->psk_modes ||
	    gnutls_protocol_get_version(h->s) != GNUTLS_TLS1_3)
		return 0;
	for (;;) {
		errno = 0;
		ret = gnutls_session_ticket_send(h->s, TLSOD_TICKETS_SENT, 0);
		h->sys_errno = errno;
		if (ret != GNUTLS_E_AGAIN && ret != GNUTLS_E_INTERRUPTED)
			return ret;
		if (ret == GNUTLS_E_AGAIN && wait_io(h, deadline))
			return GNUTLS_E_TIMEDOUT;
	}
}

static int run_handshake(struct hs *h, unsigned int timeout_ms)
{
	int64_t deadline = tlsod_now_ms() + timeout_ms;
	int ret;

	gnutls_handshake_set_timeout(h->s, timeout_ms);
	for (;;) {
		errno = 0;
		ret = gnutls_handshake(h->s);
		h->sys_errno = errno;
		if (ret == 0)
			return send_tickets(h, deadline);
		if (ret == GNUTLS_E_AGAIN) {
			if (wait_io(h, deadline))
				return GNUTLS_E_TIMEDOUT;
			continue;
		}
		if (gnutls_error_is_fatal(ret))
			return ret;
		if (ret == GNUTLS_E_WARNING_ALERT_RECEIVED)
			log_debug("fd %d: warning alert '%s'", h->fd,
				  gnutls_alert_get_name(
					gnutls_alert_get(h->s)));
		/* A peer feeding warnings must not outlast the timeout. */
		if (tlsod_now_ms() >= deadline)
			return GNUTLS_E_TIMEDOUT;
	}
}

/*
 * Application data that came in behind Finished is in GnuTLS's buffer
 * and nowhere else: hand it to the kernel with DONE.  Reading it also
 * lets GnuTLS deal with anything else it has buffered, before the
 * sequence numbers are taken.
 */
static int drain(struct hs *h)
{
	struct tlsod_outcome *out = h->out;
	size_t pending;
	ssize_t n;

	while ((pending = gnutls_record_check_pending(h->s)) > 0) {
		if (!out->rx) {
			out->rx = malloc(TLSO_RX_DATA_MAX);
			if (!out->rx) {
				fail(out, ENOMEM, "out of memory");
				return -1;
			}
		}
		if (pending > TLSO_RX_DATA_MAX - out->rx_len) {
			fail(out, EIO,
			     "more than %d bytes came in with the handshake",
			     TLSO_RX_DATA_MAX);
			return -1;
		}
		/* Served from the buffer, without I/O: no EAGAIN to wait on. */
		n = gnutls_record_recv(h->s, out->rx + out->rx_len, pending);
		if (n < 0) {
			fail(out, tlsod_tls_errno(n, errno),
			     "reading past Finished: %s", gnutls_strerror(n));
			return -1;
		}
		if (n == 0)
			break;
		out->rx_len += n;
	}
	return 0;
}

/* ---- keys ---- */

static int install_keys(struct hs *h)
{
	static const struct {
		unsigned int read;
		int opt;
		const char *name;
	} dirs[] = {
		{ 0, TLS_TX, "TLS_TX" },
		{ 1, TLS_RX, "TLS_RX" },
	};
	union tlso_crypto_info ci;
	socklen_t len = 0;
	size_t i;
	int ret, err;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		ret = tlso_keys_export(h->s, dirs[i].read, &ci, &len);
		if (ret < 0) {
			explicit_bzero(&ci, sizeof(ci));
			fail(h->out, EIO, "%s keys: %s", dirs[i].name,
			     gnutls_strerror(ret));
			return -1;
		}
		ret = setsockopt(h->fd, SOL_TLS, dirs[i].opt, &ci, len);
		err = errno;
		explicit_bzero(&ci, sizeof(ci));
		if (ret < 0) {
			fail(h->out, err, "setsockopt(SOL_TLS, %s): %s",
			     dirs[i].name, strerror(err));
			return -1;
		}
	}
	return 0;
}

/* ---- after success ---- */

static void peer_identity(struct hs *h)
{
	const char *psk = h->server ? gnutls_psk_server_get_username(h->s) :
				      h->p->psk_identity;

	h->out->peer_auth = tlsod_peer_identity(h->s, psk,
						h->out->peer_identity);
}

static void describe(struct hs *h)
{
	const char *v = gnutls_protocol_get_name(
				gnutls_protocol_get_version(h->s));
	const char *c = gnutls_cipher_get_name(gnutls_cipher_get(h->s));

	snprintf(h->out->version, sizeof(h->out->version), "%s", v ? v : "?");
	snprintf(h->out->cipher, sizeof(h->out->cipher), "%s", c ? c : "?");
}

/* Whether the requester may use the profile; says why not. */
static int check_access(struct hs *h)
{
	const struct tlsod_request *req = h->req;

	if (tlsod_profile_allows(h->p, req->have_creds, req->uid, req->gid))
		return 0;
	if (req->have_creds)
		fail(h->out, EACCES,
		     "uid %u (gid %u, pid %u) may not use profile '%s'",
		     req->uid, req->gid, req->pid, h->p->name);
	else
		fail(h->out, EACCES,
		     "the request does not say who asked (a tlso module without credentials), and profile '%s' is not open to every user",
		     h->p->name);
	return -1;
}

/*
 * The system's CAs vouch for any public name: without a name to check,
 * any of the world's certificates would do.
 */
static int check_peer_name(struct hs *h)
{
	if (h->server || !h->p->cred || h->req->peer_name[0] ||
	    !h->p->verify_name)
		return 0;
	fail(h->out, EINVAL,
	     "a client request without a peer name, and profile '%s' checks the server's name (verify_name = no, with a trust_store of its own, allows none)",
	     h->p->name);
	return -1;
}

/* The request as tlsod can serve it, or a reason why not. */
static int check_request(struct hs *h, const struct tlsod_config *cfg)
{
	const struct tlsod_request *req = h->req;
	char esc[TLSOD_ESC_SIZE(TLSO_PROFILE_SIZE)];

	h->p = tlsod_config_find(cfg, req->profile);
	h->out->profile = req->profile[0] ? req->profile :
					    TLSOD_PROFILE_DEFAULT;
	if (!h->p) {
		fail(h->out, EINVAL, "no profile '%s' in %s",
		     tlsod_esc(esc, sizeof(esc),
			       (const unsigned char *)h->out->profile,
			       strlen(h->out->profile)),
		     cfg->path ? cfg->path : "the configuration");
		return -1;
	}
	if (req->role != TLSO_ROLE_CLIENT && req->role != TLSO_ROLE_SERVER) {
		fail(h->out, EINVAL, "role %u is neither client nor server",
		     req->role);
		return -1;
	}
	/* A flag we do not know may matter: refuse, as the kernel does. */
	if (req->flags & ~TLSO_HANDSHAKE_FLAGS) {
		fail(h->out, EINVAL, "unknown request flags 0x%x", req->flags);
		return -1;
	}
	h->server = req->role == TLSO_ROLE_SERVER;
	if (check_access(h) || check_peer_name(h))
		return -1;
	return 0;
}

/*
 * A client's session for the next handshake to this peer: TLS 1.2's
 * ticket came with the handshake; TLS 1.3's come after DONE, to the
 * session the worker keeps for them.
 */
static void keep_session(struct hs *h)
{
	if (gnutls_protocol_get_version(h->s) != GNUTLS_TLS1_3) {
		tlsod_resume_save(h->s, &h->peer_key);
		return;
	}
	if (!h->out->secret_len)
		return;		/* no KeyUpdates, no tickets either */
	h->out->held = h->s;
	h->out->held_psk = h->psk_cli;
	h->out->peer_key = h->peer_key;
	h->s = NULL;
	h->psk_cli = NULL;
}

void tlsod_handshake(const struct tlsod_config *cfg,
		     const struct tlsod_request *req,
		     struct tlsod_outcome *out)
{
	struct hs h = { .req = req, .out = out, .fd = req->fd, .nodelay = -1 };
	char esc[TLSOD_ESC_SIZE(TLSO_PEER_NAME_SIZE)];
	int64_t t0 = tlsod_now_us(), t1;
	unsigned int timeout_ms;
	int ret;

	memset(out, 0, sizeof(*out));
	if (check_request(&h, cfg))
		return;
	timeout_ms = req->timeout_ms ? req->timeout_ms : h.p->timeout_ms;
	log_debug("fd %d: %s handshake with '%s', profile '%s' (client_auth %s), %u ms",
		  h.fd, tlsod_role_name(req->role),
		  tlsod_esc(esc, sizeof(esc),
			    (const unsigned char *)req->peer_name,
			    strlen(req->peer_name)),
		  h.p->name, tlsod_client_auth_name(h.p->client_auth),
		  timeout_ms);
	alarm(timeout_ms / 1000 + TLSOD_ALARM_SLACK_S);
	if (session_init(&h))
		goto out;
	if (tlsod_opts.trace)
		tlsod_trace_handshake(h.s, h.fd);
	gnutls_handshake_set_hook_function(h.s, GNUTLS_HANDSHAKE_ANY,
					   GNUTLS_HOOK_BOTH, hs_hook);
	if (!h.server && h.p->session_tickets) {
		tlsod_peer_key_of(&h.peer_key, req, h.p->name, h.fd);
		tlsod_resume_offer(h.s, &h.peer_key);
	}
	t1 = tlsod_now_us();
	out->setup_us = t1 - t0;
	nodelay_on(&h);
	ret = run_handshake(&h, timeout_ms);
	nodelay_restore(&h);
	t0 = tlsod_now_us();
	out->handshake_us = t0 - t1;
	if (ret < 0) {
		handshake_failed(&h, ret);
		send_alert(&h, ret);
		goto out;
	}
	if (tlsod_opts.trace)
		tlsod_trace_result(h.s, h.fd);
	describe(&h);
	if (drain(&h) || install_keys(&h))
		goto out;
	hand_secrets(&h);
	h.out->record_size_limit = h.peer_record_limit;
	peer_identity(&h);
	h.out->resumed = gnutls_session_is_resumed(h.s);
	if (!h.server && h.p->session_tickets)
		keep_session(&h);
	out->keys_us = tlsod_now_us() - t0;
out:
	explicit_bzero(h.client_secret, sizeof(h.client_secret));
	explicit_bzero(h.server_secret, sizeof(h.server_secret));
	session_free(&h);
}

void tlsod_outcome_release(struct tlsod_outcome *out)
{
	if (out->rx) {
		explicit_bzero(out->rx, out->rx_len);
		free(out->rx);
	}
	out->rx = NULL;
	out->rx_len = 0;
	if (out->held)
		gnutls_deinit(out->held);
	if (out->held_psk)
		gnutls_psk_free_client_credentials(out->held_psk);
	out->held = NULL;
	out->held_psk = NULL;
	explicit_bzero(out->tx_secret, sizeof(out->tx_secret));
	explicit_bzero(out->rx_secret, sizeof(out->rx_secret));
	out->secret_len = 0;
}
