// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod --trace: the handshake messages, by type, and
 * tlsod_trace_decode(), which picks the one to show.
 */
#include <string.h>
#include <gnutls/gnutls.h>

#include "trace.h"
#include "trace_priv.h"

/* RFC 8446 4.1.3: SHA-256 of "HelloRetryRequest" */
static const unsigned char hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11,
	0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static bool show_version(struct tr *t, struct rd *r)
{
	char buf[32];
	uint32_t v;

	if (!tlsod_need(t, tlsod_rd_uint(r, 2, &v), "legacy_version"))
		return false;
	tlsod_say(t, IND, "legacy_version %s",
		  tlsod_version_name(v, buf, sizeof(buf)));
	return true;
}

/* A server's random also tells of a retry, or (RFC 8446 4.1.3) of a
 * TLS 1.3 server that was talked down to an older version. */
static bool show_random(struct tr *t, struct rd *r, bool server)
{
	const char *note = "";
	struct rd rnd;
	char buf[80];

	if (!tlsod_need(t, tlsod_rd_take(r, 32, &rnd), "random"))
		return false;
	if (server && !memcmp(rnd.p, hrr_random, 32))
		note = " (HelloRetryRequest)";
	else if (server && !memcmp(rnd.p + 24, "DOWNGRD\1", 8))
		note = " (downgrade sentinel: TLS 1.2)";
	else if (server && !memcmp(rnd.p + 24, "DOWNGRD\0", 8))
		note = " (downgrade sentinel: TLS 1.1 or older)";
	tlsod_say(t, IND, "random %s%s", tlsod_hex(buf, sizeof(buf), &rnd, 32),
		  note);
	return true;
}

static bool show_session_id(struct tr *t, struct rd *r)
{
	struct rd id;
	char buf[80];

	if (!tlsod_need(t, tlsod_rd_vec(r, 1, &id), "session id"))
		return false;
	if (id.n)
		tlsod_say(t, IND, "session id (%zu bytes) %s", id.n,
			  tlsod_hex(buf, sizeof(buf), &id, 32));
	else
		tlsod_say(t, IND, "session id: empty");
	return true;
}

static bool show_suites(struct tr *t, struct rd *r)
{
	struct line l;
	struct rd v;
	bool whole = tlsod_rd_vec(r, 2, &v);
	char buf[48];
	uint32_t c;

	tlsod_line_start(&l, t, IND, "cipher suites (%zu)", v.n / 2);
	while (tlsod_rd_uint(&v, 2, &c))
		tlsod_line_add(&l, "%s",
			       tlsod_suite_name(c, buf, sizeof(buf)));
	if (!whole || v.n)
		tlsod_line_cut(&l);
	tlsod_line_end(&l);
	return whole && !v.n;
}

static void show_client_hello(struct tr *t, struct rd *r)
{
	if (show_version(t, r) && show_random(t, r, false) &&
	    show_session_id(t, r) && show_suites(t, r) &&
	    tlsod_code_line(t, "compression methods", r, 1, 1,
			    tlsod_compression_name))
		tlsod_show_exts(t, r, C_CH, IND, EXT_OPTIONAL);
}

static void show_hello(struct tr *t, struct rd *r, enum ctx c)
{
	char buf[48];
	uint32_t v;

	if (!show_version(t, r) || !show_random(t, r, true) ||
	    !show_session_id(t, r))
		return;
	if (!tlsod_need(t, tlsod_rd_uint(r, 2, &v), "cipher suite"))
		return;
	tlsod_say(t, IND, "cipher suite %s",
		  tlsod_suite_name(v, buf, sizeof(buf)));
	if (!tlsod_need(t, tlsod_rd_uint(r, 1, &v), "compression method"))
		return;
	tlsod_say(t, IND, "compression method %s",
		  tlsod_compression_name(v, buf, sizeof(buf)));
	tlsod_show_exts(t, r, c, IND, EXT_OPTIONAL);
}

static void show_server_hello(struct tr *t, struct rd *r)
{
	show_hello(t, r, C_SH);
}

static void show_hello_retry(struct tr *t, struct rd *r)
{
	show_hello(t, r, C_HRR);
}

static void show_hello_verify(struct tr *t, struct rd *r)
{
	struct rd cookie;

	if (show_version(t, r) &&
	    tlsod_need(t, tlsod_rd_vec(r, 1, &cookie), "cookie"))
		tlsod_say(t, IND, "cookie %zu bytes", cookie.n);
}

static void show_encrypted_extensions(struct tr *t, struct rd *r)
{
	tlsod_show_exts(t, r, C_EE, IND, 0);
}

/* ---- key exchange, TLS 1.2 ---- */

/*
 * ServerKeyExchange does not say which key exchange it is for: that was
 * settled by the cipher suite.  The layout that accounts for every byte
 * is taken (RFC 4492 5.4, RFC 5246 7.4.3, RFC 4279 and RFC 5489).
 */
struct kx_params {
	bool psk, ec, dh, sig;
	size_t hint, pub, prime;
	uint32_t curve, scheme;
	size_t sig_len;
};

static bool kx_try(struct rd r, bool psk, bool ec, struct kx_params *k)
{
	struct rd v;
	uint32_t type;

	memset(k, 0, sizeof(*k));
	k->psk = psk;
	if (psk && !tlsod_rd_vec(&r, 2, &v))
		return false;
	k->hint = psk ? v.n : 0;
	if (ec) {
		/* only named curves (3) are still in use */
		if (!tlsod_rd_uint(&r, 1, &type) || type != 3 ||
		    !tlsod_rd_uint(&r, 2, &k->curve) ||
		    !tlsod_rd_vec(&r, 1, &v))
			return false;
		k->ec = true;
		k->pub = v.n;
	} else if (!psk || r.n) {
		if (!tlsod_rd_vec(&r, 2, &v))
			return false;
		k->prime = v.n;
		if (!tlsod_rd_vec(&r, 2, &v) || !tlsod_rd_vec(&r, 2, &v))
			return false;
		k->dh = true;
		k->pub = v.n;
	}
	if (!r.n)
		return true;
	/* PSK key exchanges are not signed */
	if (psk || !tlsod_rd_uint(&r, 2, &k->scheme) ||
	    !tlsod_rd_vec(&r, 2, &v) || r.n)
		return false;
	k->sig = true;
	k->sig_len = v.n;
	return true;
}

static void show_kx_params(struct tr *t, const struct kx_params *k)
{
	char buf[48];

	if (k->psk)
		tlsod_say(t, IND, "PSK identity hint %zu bytes", k->hint);
	if (k->ec)
		tlsod_say(t, IND, "ECDHE %s, public key %zu bytes",
			  tlsod_group_name(k->curve, buf, sizeof(buf)),
			  k->pub);
	if (k->dh)
		tlsod_say(t, IND, "DHE, prime %zu bits, public key %zu bytes",
			  k->prime * 8, k->pub);
	if (k->sig)
		tlsod_say(t, IND, "signature: %s, %zu bytes",
			  tlsod_scheme_name(k->scheme, buf, sizeof(buf)),
			  k->sig_len);
}

static void show_server_kx(struct tr *t, struct rd *r)
{
	static const bool tries[][2] = {	/* psk, ec */
		{ false, true }, { true, true }, { false, false },
		{ true, false },
	};
	struct kx_params k;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tries); i++) {
		if (kx_try(*r, tries[i][0], tries[i][1], &k)) {
			show_kx_params(t, &k);
			tlsod_rd_skip_all(r);
			return;
		}
	}
	tlsod_say(t, IND,
		  "parameters of no known key exchange, or (truncated)");
	t->bad = true;
	tlsod_rd_skip_all(r);
}

/* The same guesswork for the client's half (RFC 4492 5.7, RFC 5246
 * 7.4.7, RFC 4279). */
/* A vector that is all there is. */
static bool exactly(struct rd r, size_t width, struct rd *v)
{
	return tlsod_rd_vec(&r, width, v) && !r.n;
}

static void show_client_kx(struct tr *t, struct rd *r)
{
	struct rd c = *r, a, b;
	char buf[300];

	if (exactly(*r, 1, &a)) {
		tlsod_say(t, IND, "ECDH public key %zu bytes", a.n);
	} else if (tlsod_rd_vec(&c, 2, &a) && exactly(c, 1, &b)) {
		tlsod_say(t, IND,
			  "PSK identity \"%s\", ECDH public key %zu bytes",
			  tlsod_esc(buf, sizeof(buf), a.p, a.n), b.n);
	} else if (exactly(*r, 2, &a)) {
		tlsod_say(t, IND, "%zu bytes: a DH public key, an encrypted "
			  "premaster secret or a PSK identity", a.n);
	} else {
		tlsod_say(t, IND, "%zu bytes of no known key exchange, or "
			  "(truncated)", r->n);
		t->bad = true;
	}
	tlsod_rd_skip_all(r);
}

/* ---- the rest ---- */

static void show_finished(struct tr *t, struct rd *r)
{
	tlsod_say(t, IND, "verify_data %zu bytes", r->n);
	tlsod_rd_skip_all(r);
}

static void show_opaque(struct tr *t, struct rd *r)
{
	(void)t;
	tlsod_rd_skip_all(r);
}

static void show_ticket(struct tr *t, struct rd *r)
{
	uint32_t life, add;
	struct rd nonce, ticket;
	bool whole;

	if (!tlsod_need(t, tlsod_rd_uint(r, 4, &life), "lifetime"))
		return;
	if (t->version != TLS13_VERSION) {
		/* RFC 5077 3.3 */
		whole = tlsod_rd_vec(r, 2, &ticket);
		tlsod_say(t, IND, "lifetime hint %u s, ticket %zu bytes%s",
			  life, ticket.n, whole ? "" : " (truncated)");
		t->bad |= !whole;
		return;
	}
	if (!tlsod_need(t, tlsod_rd_uint(r, 4, &add), "ticket_age_add") ||
	    !tlsod_need(t, tlsod_rd_vec(r, 1, &nonce), "ticket_nonce"))
		return;
	whole = tlsod_rd_vec(r, 2, &ticket);
	tlsod_say(t, IND, "lifetime %u s, age_add 0x%08x, nonce %zu bytes, "
		  "ticket %zu bytes%s", life, add, nonce.n, ticket.n,
		  whole ? "" : " (truncated)");
	t->bad |= !whole;
	if (whole)
		tlsod_show_exts(t, r, C_NST, IND, EXT_QUIET);
}

static void show_key_update(struct tr *t, struct rd *r)
{
	uint32_t v;

	if (!tlsod_need(t, tlsod_rd_uint(r, 1, &v), "request_update"))
		return;
	if (v <= 1)
		tlsod_say(t, IND, "%s", v ? "update_requested" :
					    "update_not_requested");
	else
		tlsod_say(t, IND, "request_update %u (invalid)", v);
}

static const struct msg {
	unsigned int type;
	const char *name;
	void (*show)(struct tr *t, struct rd *r);
} msgs[] = {
	{ 0, "HelloRequest", NULL },
	{ 1, "ClientHello", show_client_hello },
	{ 2, "ServerHello", show_server_hello },
	{ 3, "HelloVerifyRequest", show_hello_verify },
	{ 4, "NewSessionTicket", show_ticket },
	{ 5, "EndOfEarlyData", NULL },
	{ 8, "EncryptedExtensions", show_encrypted_extensions },
	{ 11, "Certificate", tlsod_show_certificate },
	{ 12, "ServerKeyExchange", show_server_kx },
	{ 13, "CertificateRequest", tlsod_show_cert_request },
	{ 14, "ServerHelloDone", NULL },
	{ 15, "CertificateVerify", tlsod_show_cert_verify },
	{ 16, "ClientKeyExchange", show_client_kx },
	{ 20, "Finished", show_finished },
	{ 22, "CertificateStatus", tlsod_show_cert_status },
	{ 23, "SupplementalData", show_opaque },
	{ 24, "KeyUpdate", show_key_update },
	{ 25, "CompressedCertificate", tlsod_show_compressed_cert },
	{ GNUTLS_HANDSHAKE_CHANGE_CIPHER_SPEC, "ChangeCipherSpec",
	  show_opaque },
	{ GNUTLS_HANDSHAKE_CLIENT_HELLO_V2, "ClientHello (SSLv2)",
	  show_opaque },
	{ GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST, "HelloRetryRequest",
	  show_hello_retry },
};

static const struct msg *find_msg(unsigned int htype)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(msgs); i++)
		if (msgs[i].type == htype)
			return &msgs[i];
	return NULL;
}

/* On the wire a HelloRetryRequest is a ServerHello with a special random
 * (RFC 8446 4.1.3); GnuTLS gives it a type of its own. */
static unsigned int real_type(unsigned int htype, const unsigned char *msg,
			      size_t len)
{
	if (htype == GNUTLS_HANDSHAKE_SERVER_HELLO && len >= 34 &&
	    !memcmp(msg + 2, hrr_random, 32))
		return GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST;
	return htype;
}

static void decode(struct tr *t, unsigned int htype, struct rd *r)
{
	const struct msg *m = find_msg(real_type(htype, r->p, r->n));

	if (!m) {
		tlsod_say(t, 0, "handshake message type %u, %zu bytes", htype,
			  r->n);
		tlsod_rd_skip_all(r);
		return;
	}
	tlsod_say(t, 0, "%s, %zu bytes", m->name, r->n);
	if (m->show)
		m->show(t, r);
	if (!t->bad && r->n) {
		tlsod_say(t, IND, "(%zu unexpected trailing bytes)", r->n);
		t->bad = true;
	}
}

int tlsod_trace_decode(FILE *out, const char *prefix, unsigned int htype,
		       unsigned int tls_version, const unsigned char *msg,
		       size_t len)
{
	static const unsigned char none[1];
	struct tr t = { out, prefix ? prefix : "", tls_version, false };
	struct rd r = { msg ? msg : none, len };

	if (!out || (!msg && len))
		return -1;
	/* one message stays together when handshakes run in parallel */
	flockfile(out);
	decode(&t, htype, &r);
	funlockfile(out);
	return t.bad ? -1 : 0;
}
