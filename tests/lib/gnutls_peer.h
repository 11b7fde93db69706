/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helpers: a real TLS peer, GnuTLS, for the socket under test.
 *
 * Both ends of a loopback connection run a GnuTLS handshake (PSK, so that
 * it is cheap on an emulated CPU, except where GnuTLS cannot: see
 * gp_needs_cert()).  One end then hands its keys to the
 * kernel (gp_export()) and goes on with plain send/recv; the other end is
 * the peer, a child process that stays GnuTLS throughout and does what it
 * is told over a control socket: send, receive and check, echo, update its
 * keys.  Every byte it sends or expects is the pattern of sock.h, so both
 * ends know the data without shipping it around.
 *
 * For TLS 1.3 rekeying, gp_secrets_track() keeps the traffic secrets the
 * handshake produced and gp_next_keys() derives the next generation of
 * keys as RFC 8446 7.2 and 7.3 say, with GnuTLS's HKDF.
 */
#ifndef TLSO_TEST_GNUTLS_PEER_H
#define TLSO_TEST_GNUTLS_PEER_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "ktls_keys.h"
#include "sock.h"

/* The pre-shared key both ends use; any 32 bytes would do. */
static const unsigned char gp_psk[32] = {
	0x74, 0x6c, 0x73, 0x6f, 0x20, 0x70, 0x73, 0x6b,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
	0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
};

/* What both ends are limited to, so that the handshake cannot pick
 * anything but the version and cipher under test. */
struct gp_suite {
	uint16_t version;	/* TLS_1_2_VERSION or TLS_1_3_VERSION */
	uint16_t cipher;	/* TLS_CIPHER_* */
};

/* ---- sessions ---- */

static int gp_psk_lookup(gnutls_session_t s, const char *user,
			 gnutls_datum_t *key)
{
	(void)s;
	(void)user;
	/* GnuTLS frees the key with gnutls_free(). */
	key->data = gnutls_malloc(sizeof(gp_psk));
	if (!key->data)
		return -1;
	memcpy(key->data, gp_psk, sizeof(gp_psk));
	key->size = sizeof(gp_psk);
	return 0;
}

struct gp_session {
	gnutls_session_t s;
	gnutls_psk_client_credentials_t ccred;
	gnutls_psk_server_credentials_t scred;
	gnutls_certificate_credentials_t xcred;
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
};

static inline void gp_session_free(struct gp_session *g)
{
	if (g->s)
		gnutls_deinit(g->s);
	if (g->ccred)
		gnutls_psk_free_client_credentials(g->ccred);
	if (g->scred)
		gnutls_psk_free_server_credentials(g->scred);
	if (g->xcred)
		gnutls_certificate_free_credentials(g->xcred);
	if (g->crt)
		gnutls_x509_crt_deinit(g->crt);
	if (g->key)
		gnutls_x509_privkey_deinit(g->key);
	memset(g, 0, sizeof(*g));
}

/*
 * GnuTLS 3.7 ties an external PSK to SHA-256 in TLS 1.3, so a suite with
 * another hash (TLS_AES_256_GCM_SHA384) can only be reached with a
 * certificate: ECDHE and a throw-away ECDSA key, which the client takes
 * without verifying (there is nothing to trust here anyway).
 */
static inline bool gp_needs_cert(const struct gp_suite *su)
{
	return su->version == TLS_1_3_VERSION &&
	       su->cipher == TLS_CIPHER_AES_GCM_256;
}

/* A fresh key and a self-signed certificate for it. */
static inline int gp_make_cert(struct gp_session *g)
{
	unsigned char serial = 1;
	time_t now = time(NULL);
	int ret;

	ret = gnutls_x509_privkey_init(&g->key);
	if (ret < 0)
		return ret;
	ret = gnutls_x509_privkey_generate(g->key, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	if (ret < 0)
		return ret;
	ret = gnutls_x509_crt_init(&g->crt);
	if (ret < 0)
		return ret;
	if ((ret = gnutls_x509_crt_set_version(g->crt, 3)) < 0 ||
	    (ret = gnutls_x509_crt_set_serial(g->crt, &serial, 1)) < 0 ||
	    (ret = gnutls_x509_crt_set_activation_time(g->crt,
						       now - 3600)) < 0 ||
	    (ret = gnutls_x509_crt_set_expiration_time(g->crt,
						       now + 86400)) < 0 ||
	    (ret = gnutls_x509_crt_set_dn_by_oid(g->crt,
						 GNUTLS_OID_X520_COMMON_NAME,
						 0, "tlso", 4)) < 0 ||
	    (ret = gnutls_x509_crt_set_key(g->crt, g->key)) < 0 ||
	    (ret = gnutls_x509_crt_sign2(g->crt, g->crt, g->key,
					 GNUTLS_DIG_SHA256, 0)) < 0)
		return ret;
	ret = gnutls_certificate_set_x509_key(g->xcred, &g->crt, 1, g->key);
	return ret < 0 ? ret : 0;
}

/*
 * A session on fd, ready for gnutls_handshake(): 0, or a GnuTLS error.
 * No session tickets, so that nothing arrives after the handshake that
 * the kernel, once it owns the receive side, would have to make sense of.
 */
static inline int gp_session_new(struct gp_session *g, bool server, int fd,
				 const struct gp_suite *su)
{
	const struct keys_cipher *c = keys_cipher(su->cipher);
	gnutls_datum_t key = { (unsigned char *)gp_psk, sizeof(gp_psk) };
	char prio[256];
	int ret;

	memset(g, 0, sizeof(*g));
	if (!c)
		return GNUTLS_E_INVALID_REQUEST;
	snprintf(prio, sizeof(prio),
		 "NORMAL:-VERS-ALL:+VERS-TLS1.%d:-CIPHER-ALL:+%s:%s%%NO_TICKETS",
		 su->version == TLS_1_3_VERSION ? 3 : 2, c->gnutls,
		 gp_needs_cert(su) ? "" : "-KX-ALL:+PSK:");

	ret = gnutls_init(&g->s, server ? GNUTLS_SERVER : GNUTLS_CLIENT);
	if (ret < 0)
		return ret;
	if (gp_needs_cert(su)) {
		ret = gnutls_certificate_allocate_credentials(&g->xcred);
		if (ret < 0)
			goto err;
		if (server) {
			ret = gp_make_cert(g);
			if (ret < 0)
				goto err;
		}
		ret = gnutls_credentials_set(g->s, GNUTLS_CRD_CERTIFICATE,
					     g->xcred);
	} else if (server) {
		ret = gnutls_psk_allocate_server_credentials(&g->scred);
		if (ret < 0)
			goto err;
		gnutls_psk_set_server_credentials_function(g->scred,
							   gp_psk_lookup);
		ret = gnutls_credentials_set(g->s, GNUTLS_CRD_PSK, g->scred);
	} else {
		ret = gnutls_psk_allocate_client_credentials(&g->ccred);
		if (ret < 0)
			goto err;
		ret = gnutls_psk_set_client_credentials(g->ccred, "tlso", &key,
							GNUTLS_PSK_KEY_RAW);
		if (ret < 0)
			goto err;
		ret = gnutls_credentials_set(g->s, GNUTLS_CRD_PSK, g->ccred);
	}
	if (ret < 0)
		goto err;
	ret = gnutls_priority_set_direct(g->s, prio, NULL);
	if (ret < 0)
		goto err;
	gnutls_transport_set_int(g->s, fd);
	gnutls_handshake_set_timeout(g->s, 30 * 1000);
	return 0;
err:
	gp_session_free(g);
	return ret;
}

/* Handshake, then check that the version and cipher are the wanted ones:
 * 0, a GnuTLS error, or GNUTLS_E_INTERNAL_ERROR on a mismatch. */
static inline int gp_handshake(struct gp_session *g, const struct gp_suite *su)
{
	gnutls_protocol_t want_v = su->version == TLS_1_3_VERSION ?
				   GNUTLS_TLS1_3 : GNUTLS_TLS1_2;
	int ret;

	do {
		ret = gnutls_handshake(g->s);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0)
		return ret;
	if (gnutls_protocol_get_version(g->s) != want_v ||
	    gnutls_cipher_get(g->s) !=
	    gnutls_cipher_get_id(keys_cipher(su->cipher)->gnutls))
		return GNUTLS_E_INTERNAL_ERROR;
	return 0;
}

/*
 * The current keys of one direction (read: what this end receives) as a
 * kTLS crypto_info.  GnuTLS gives the IV the record layer keeps: for TLS
 * 1.3 the whole 12-byte per-record nonce base, which kTLS splits into salt
 * and iv; for TLS 1.2 AES-GCM/CCM only the 4-byte implicit part (the
 * salt), the explicit part being the sequence number GnuTLS sends; for
 * ChaCha20-Poly1305 (either version) the 12 bytes kTLS takes as iv.
 * Returns 0, or -1 when GnuTLS's sizes are not what the cipher needs.
 */
static inline int gp_export(gnutls_session_t s, bool read,
			    const struct gp_suite *su, union keys_info *k)
{
	const struct keys_cipher *c = keys_cipher(su->cipher);
	gnutls_datum_t iv, key;
	unsigned char seq[8];
	uint8_t *p = (uint8_t *)k;

	memset(k, 0, sizeof(*k));
	if (gnutls_record_get_state(s, read, NULL, &iv, &key, seq) < 0)
		return -1;
	if (key.size != c->key)
		return -1;
	k->info.version = su->version;
	k->info.cipher_type = su->cipher;
	memcpy(p + c->key_off, key.data, c->key);
	memcpy(p + c->seq_off, seq, 8);
	if (iv.size == c->salt + c->iv) {
		memcpy(p + c->salt_off, iv.data, c->salt);
		memcpy(p + c->iv_off, iv.data + c->salt, c->iv);
	} else if (su->version == TLS_1_2_VERSION && iv.size == c->salt &&
		   c->iv == 8) {
		memcpy(p + c->salt_off, iv.data, c->salt);
		memcpy(p + c->iv_off, seq, 8);
	} else {
		return -1;
	}
	return 0;
}

/* ---- TLS 1.3 traffic secrets and the next keys ---- */

struct gp_secrets {
	unsigned char client[64], server[64];	/* *_TRAFFIC_SECRET_0 */
	size_t client_len, server_len;
};

/* GnuTLS calls this for each secret it derives; keep the two that the
 * key updates start from. */
static int gp_keylog(gnutls_session_t s, const char *label,
		     const gnutls_datum_t *secret)
{
	struct gp_secrets *sec = gnutls_session_get_ptr(s);
	unsigned char *dst = NULL;
	size_t *len = NULL;

	if (!strcmp(label, "CLIENT_TRAFFIC_SECRET_0"))
		dst = sec->client, len = &sec->client_len;
	else if (!strcmp(label, "SERVER_TRAFFIC_SECRET_0"))
		dst = sec->server, len = &sec->server_len;
	if (dst && secret->size <= sizeof(sec->client)) {
		memcpy(dst, secret->data, secret->size);
		*len = secret->size;
	}
	return 0;
}

static inline void gp_secrets_track(struct gp_session *g,
				    struct gp_secrets *sec)
{
	memset(sec, 0, sizeof(*sec));
	gnutls_session_set_ptr(g->s, sec);
	gnutls_session_set_keylog_function(g->s, gp_keylog);
}

/* HKDF-Expand-Label(secret, label, "", len) of RFC 8446 7.1. */
static inline int gp_expand_label(gnutls_mac_algorithm_t mac,
				  const unsigned char *secret, size_t slen,
				  const char *label, void *out, size_t len)
{
	gnutls_datum_t key = { (unsigned char *)secret, slen };
	unsigned char info[2 + 1 + 255 + 1];
	size_t llen = strlen(label), n = 0;
	gnutls_datum_t in;

	if (6 + llen > 255)
		return -1;
	info[n++] = (unsigned char)(len >> 8);
	info[n++] = (unsigned char)len;
	info[n++] = (unsigned char)(6 + llen);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, llen);
	n += llen;
	info[n++] = 0;		/* no context */
	in.data = info;
	in.size = n;
	return gnutls_hkdf_expand(mac, &key, &in, out, len) < 0 ? -1 : 0;
}

/* The hash of a TLS 1.3 cipher suite: SHA-384 for AES-256-GCM only. */
static inline gnutls_mac_algorithm_t gp_suite_mac(uint16_t cipher)
{
	return cipher == TLS_CIPHER_AES_GCM_256 ? GNUTLS_MAC_SHA384 :
						  GNUTLS_MAC_SHA256;
}

/* The kTLS crypto_info for a TLS 1.3 traffic secret, sequence 0. */
static inline int gp_keys_from_secret(uint16_t cipher,
				      const unsigned char *secret, size_t slen,
				      union keys_info *k)
{
	const struct keys_cipher *c = keys_cipher(cipher);
	gnutls_mac_algorithm_t mac = gp_suite_mac(cipher);
	unsigned char iv[12];
	uint8_t *p = (uint8_t *)k;

	memset(k, 0, sizeof(*k));
	k->info.version = TLS_1_3_VERSION;
	k->info.cipher_type = cipher;
	if (c->salt + c->iv != sizeof(iv) ||
	    gp_expand_label(mac, secret, slen, "key", p + c->key_off, c->key) ||
	    gp_expand_label(mac, secret, slen, "iv", iv, sizeof(iv)))
		return -1;
	memcpy(p + c->salt_off, iv, c->salt);
	memcpy(p + c->iv_off, iv + c->salt, c->iv);
	return 0;
}

/*
 * Step a traffic secret to the next generation (RFC 8446 7.2,
 * "traffic upd") and give that generation's keys.
 */
static inline int gp_next_keys(uint16_t cipher, unsigned char *secret,
			       size_t slen, union keys_info *k)
{
	unsigned char next[64];

	if (slen > sizeof(next) ||
	    gp_expand_label(gp_suite_mac(cipher), secret, slen, "traffic upd",
			    next, slen))
		return -1;
	memcpy(secret, next, slen);
	return gp_keys_from_secret(cipher, secret, slen, k);
}

/* ---- the peer process ---- */

enum gp_op {
	GP_SEND = 1,	/* len bytes of pattern seed, writes of <= chunk,
			 * each record padded by pad (TLS 1.3); with ku,
			 * a key update after ku_at of them */
	GP_RECV,	/* len bytes, checked against pattern seed */
	GP_ECHO,	/* len bytes, each piece sent back as it comes */
	GP_KEY_UPDATE,	/* gnutls_session_key_update(flags) */
};

struct gp_cmd {
	uint32_t op;
	uint32_t seed;
	uint64_t len;
	uint32_t chunk;
	uint32_t ku;		/* GP_SEND: update keys on the way */
	uint64_t ku_at;
	uint32_t flags;		/* GNUTLS_KU_* */
	uint32_t pad;		/* GP_SEND: padding per record */
};

struct gp_reply {
	int32_t err;		/* 0, or what failed */
	char what[200];
	/* GnuTLS's next sequence numbers, once the command has run */
	uint64_t read_seq, write_seq;
};

struct gp_peer {
	pid_t pid;
	int ctl;		/* control socket to the child */
	int pending;		/* commands sent, replies not yet read */
	/* As of the last reply: the peer's own count of records, so that
	 * what the socket under test counts is checked by GnuTLS. */
	uint64_t read_seq, write_seq;
};

/* Errors of the peer: a GnuTLS code, or one of these. */
#define GP_E_DATA	(-10000)	/* a byte that is not the pattern */
#define GP_E_EOF	(-10001)	/* the stream ended early */

static inline void gp_fill(unsigned char *buf, size_t n, size_t off,
			   unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = sock_pattern(off + i, seed);
}

static int gp_send_all(gnutls_session_t s, const unsigned char *buf,
		       size_t len, size_t pad, struct gp_reply *r)
{
	while (len) {
		ssize_t n = gnutls_record_send2(s, buf, len, pad, 0);

		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n < 0) {
			snprintf(r->what, sizeof(r->what),
				 "gnutls_record_send: %s", gnutls_strerror(n));
			return (int)n;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/* One gnutls_record_recv() that returns data, an error, or GP_E_EOF. */
static ssize_t gp_recv_some(gnutls_session_t s, unsigned char *buf,
			    size_t size, struct gp_reply *r)
{
	ssize_t n;

	do {
		n = gnutls_record_recv(s, buf, size);
	} while (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
	if (n == 0) {
		snprintf(r->what, sizeof(r->what),
			 "gnutls_record_recv: end of stream");
		return GP_E_EOF;
	}
	if (n < 0)
		snprintf(r->what, sizeof(r->what), "gnutls_record_recv: %s",
			 gnutls_strerror(n));
	return n;
}

static int gp_do_send(gnutls_session_t s, const struct gp_cmd *c,
		      unsigned char *buf, size_t bufsz, struct gp_reply *r)
{
	size_t done = 0, chunk = c->chunk && c->chunk < bufsz ? c->chunk :
				bufsz;
	int ret;

	/* GnuTLS refuses to send no data, except as a record of nothing
	 * but padding, which only TLS 1.3 has. */
	if (!c->len && c->pad) {
		ssize_t n = gnutls_record_send2(s, buf, 0, c->pad, 0);

		if (n < 0) {
			snprintf(r->what, sizeof(r->what),
				 "gnutls_record_send2(0, pad %u): %s", c->pad,
				 gnutls_strerror(n));
			return (int)n;
		}
	}
	while (done < c->len) {
		size_t n = c->len - done < chunk ? c->len - done : chunk;

		if (c->ku && done < c->ku_at && done + n > c->ku_at)
			n = c->ku_at - done;
		if (c->ku && done == c->ku_at) {
			ret = gnutls_session_key_update(s, c->flags);
			if (ret < 0) {
				snprintf(r->what, sizeof(r->what),
					 "gnutls_session_key_update: %s",
					 gnutls_strerror(ret));
				return ret;
			}
		}
		gp_fill(buf, n, done, c->seed);
		ret = gp_send_all(s, buf, n, c->pad, r);
		if (ret)
			return ret;
		done += n;
	}
	if (c->ku && c->ku_at == c->len) {
		ret = gnutls_session_key_update(s, c->flags);
		if (ret < 0) {
			snprintf(r->what, sizeof(r->what),
				 "gnutls_session_key_update: %s",
				 gnutls_strerror(ret));
			return ret;
		}
	}
	return 0;
}

static int gp_do_recv(gnutls_session_t s, const struct gp_cmd *c, bool echo,
		      unsigned char *buf, size_t bufsz, struct gp_reply *r)
{
	size_t done = 0, i;
	int ret;

	while (done < c->len) {
		size_t want = c->len - done < bufsz ? c->len - done : bufsz;
		ssize_t n = gp_recv_some(s, buf, want, r);

		if (n < 0)
			return (int)n;
		if (echo) {
			ret = gp_send_all(s, buf, n, 0, r);
			if (ret)
				return ret;
		} else {
			for (i = 0; i < (size_t)n; i++) {
				if (buf[i] == sock_pattern(done + i, c->seed))
					continue;
				snprintf(r->what, sizeof(r->what),
					 "byte %zu of %llu is 0x%02x, not 0x%02x",
					 done + i, (unsigned long long)c->len,
					 buf[i],
					 sock_pattern(done + i, c->seed));
				return GP_E_DATA;
			}
		}
		done += n;
	}
	return 0;
}

static void gp_reply_seq(gnutls_session_t s, struct gp_reply *r)
{
	unsigned char seq[8];
	int i;

	r->read_seq = r->write_seq = 0;
	if (gnutls_record_get_state(s, 1, NULL, NULL, NULL, seq) == 0)
		for (i = 0; i < 8; i++)
			r->read_seq = r->read_seq << 8 | seq[i];
	if (gnutls_record_get_state(s, 0, NULL, NULL, NULL, seq) == 0)
		for (i = 0; i < 8; i++)
			r->write_seq = r->write_seq << 8 | seq[i];
}

/*
 * The child: handshake on fd, report it, then run commands until the
 * control socket closes.  Exits 0 only if everything succeeded; after a
 * failure it reports and exits at once, since the stream is then of no
 * further use.
 */
static void __attribute__((noreturn))
gp_peer_main(int ctl, int fd, bool server, const struct gp_suite *su)
{
	size_t bufsz = 65536;
	unsigned char *buf = malloc(bufsz);
	struct gp_session g;
	struct gp_reply r;
	struct gp_cmd c;
	ssize_t n;

	memset(&r, 0, sizeof(r));
	if (!buf) {
		r.err = GNUTLS_E_MEMORY_ERROR;
		snprintf(r.what, sizeof(r.what), "out of memory");
	} else if ((r.err = gp_session_new(&g, server, fd, su)) < 0) {
		snprintf(r.what, sizeof(r.what), "peer session: %s",
			 gnutls_strerror(r.err));
	} else if ((r.err = gp_handshake(&g, su)) < 0) {
		snprintf(r.what, sizeof(r.what), "peer handshake: %s",
			 gnutls_strerror(r.err));
	} else {
		gp_reply_seq(g.s, &r);
	}
	if (send(ctl, &r, sizeof(r), MSG_NOSIGNAL) != sizeof(r) || r.err)
		_exit(1);

	while ((n = recv(ctl, &c, sizeof(c), 0)) == sizeof(c)) {
		memset(&r, 0, sizeof(r));
		switch (c.op) {
		case GP_SEND:
			r.err = gp_do_send(g.s, &c, buf, bufsz, &r);
			break;
		case GP_RECV:
		case GP_ECHO:
			r.err = gp_do_recv(g.s, &c, c.op == GP_ECHO, buf, bufsz,
					   &r);
			break;
		case GP_KEY_UPDATE:
			r.err = gnutls_session_key_update(g.s, c.flags);
			if (r.err < 0)
				snprintf(r.what, sizeof(r.what),
					 "gnutls_session_key_update: %s",
					 gnutls_strerror(r.err));
			break;
		default:
			r.err = GNUTLS_E_INVALID_REQUEST;
			snprintf(r.what, sizeof(r.what), "unknown command %u",
				 c.op);
		}
		gp_reply_seq(g.s, &r);
		if (send(ctl, &r, sizeof(r), MSG_NOSIGNAL) != sizeof(r) ||
		    r.err)
			_exit(1);
	}
	/* No bye: the other end is a kernel socket that would take the
	 * close_notify for a control record nobody reads. */
	gp_session_free(&g);
	free(buf);
	_exit(n == 0 ? 0 : 1);
}

/* Fork the peer on fd, which this process then closes: 0 or -1. */
static inline int gp_peer_start(struct gp_peer *p, int fd, bool server,
				const struct gp_suite *su)
{
	int sv[2];

	p->pid = -1;
	p->ctl = -1;
	p->pending = 0;
	p->read_seq = p->write_seq = 0;
	/* Datagrams keep each command and reply whole. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	fflush(NULL);
	p->pid = fork();
	if (p->pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (p->pid == 0) {
		close(sv[0]);
		gp_peer_main(sv[1], fd, server, su);
	}
	close(sv[1]);
	close(fd);
	p->ctl = sv[0];
	p->pending = 1;		/* the handshake's report */
	return 0;
}

static inline int gp_start(struct gp_peer *p, const struct gp_cmd *c)
{
	if (send(p->ctl, c, sizeof(*c), MSG_NOSIGNAL) != sizeof(*c))
		return -1;
	p->pending++;
	return 0;
}

/*
 * The reply to the oldest command still running, within ms: its err, or
 * -1 when the peer died or did not answer in time.  what, if given, gets
 * the peer's explanation.
 */
static inline int gp_wait(struct gp_peer *p, int ms, char *what, size_t size)
{
	struct pollfd pfd = { p->ctl, POLLIN, 0 };
	struct gp_reply r;

	if (what && size)
		snprintf(what, size, "no reply from the peer within %d ms", ms);
	if (p->pending <= 0 || poll(&pfd, 1, ms) != 1)
		return -1;
	if (recv(p->ctl, &r, sizeof(r), 0) != sizeof(r)) {
		if (what && size)
			snprintf(what, size, "the peer died");
		return -1;
	}
	p->pending--;
	p->read_seq = r.read_seq;
	p->write_seq = r.write_seq;
	r.what[sizeof(r.what) - 1] = 0;
	if (what && size)
		snprintf(what, size, "%s", r.err ? r.what : "ok");
	return r.err;
}

/* Close the control socket, which ends the peer; its exit status. */
static inline int gp_peer_finish(struct gp_peer *p)
{
	int status;

	if (p->ctl >= 0)
		close(p->ctl);
	p->ctl = -1;
	if (p->pid <= 0)
		return -1;
	if (waitpid(p->pid, &status, 0) != p->pid)
		return -1;
	p->pid = -1;
	return status;
}

#endif /* TLSO_TEST_GNUTLS_PEER_H */
