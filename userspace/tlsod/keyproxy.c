// SPDX-License-Identifier: GPL-2.0
/*
 * Signing through the parent (keyproxy.h): the worker's external keys,
 * and the parent's answers.  Everything the parent reads here comes from
 * a worker, which parses a peer's bytes: it is checked as untrusted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "keyproxy.h"
#include "log.h"

/* The worker's end of its pair; -1 in the parent. */
static int kp_sock = -1;
/* Time spent waiting for the parent's signatures, for tlsod -v. */
static int64_t kp_wait_us;

int64_t tlsod_kp_take_wait_us(void)
{
	int64_t us = kp_wait_us;

	kp_wait_us = 0;
	return us;
}

int tlsod_msg_send_word(int sock, enum tlsod_msg_type type)
{
	struct tlsod_msg_hdr h = { .type = type };

	if (send(sock, &h, sizeof(h), MSG_NOSIGNAL) != (ssize_t)sizeof(h))
		return -1;
	return 0;
}

int tlsod_msg_recv(int sock, struct tlsod_msg *m, int dontwait)
{
	ssize_t n;

	/* MSG_TRUNC: the packet's real length, to refuse an oversized one */
	n = recv(sock, m, sizeof(*m),
		 MSG_TRUNC | (dontwait ? MSG_DONTWAIT : 0));
	if (n <= 0)
		return n;
	if ((size_t)n < sizeof(m->h) || (size_t)n > sizeof(*m) ||
	    m->h.len != (size_t)n - sizeof(m->h) || m->h.type == 0 ||
	    m->h.type > TLSOD_MSG_TYPE_MAX) {
		errno = EBADMSG;
		return -1;
	}
	return m->h.type;
}

void tlsod_kp_worker(int sock)
{
	kp_sock = sock;
}

/* ---- the worker's side ---- */

int tlsod_parent_send(const struct tlsod_msg *m)
{
	size_t len = sizeof(m->h) + m->h.len;

	if (kp_sock < 0 || m->h.len > TLSOD_MSG_DATA_MAX)
		return -1;
	if (send(kp_sock, m, len, MSG_NOSIGNAL) != (ssize_t)len) {
		log_err("worker: to the parent: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * One request and its answer.  Nothing else can come in between: the
 * parent sends a worker no word of its own while a handshake runs.
 */
int tlsod_parent_call(struct tlsod_msg *m)
{
	int ret;

	if (tlsod_parent_send(m))
		return -1;
	do {
		ret = tlsod_msg_recv(kp_sock, m, 0);
	} while (ret < 0 && errno == EINTR);
	if (ret != TLSOD_MSG_RESULT) {
		log_err("worker: no answer from the parent (%s)",
			ret < 0 ? strerror(errno) : ret ? "another word" :
			"it has gone");
		return -1;
	}
	return 0;
}

/* ---- the worker's side: an external key ---- */

static int kp_call(const struct tlsod_keyref *r, enum tlsod_msg_type type,
		   unsigned int algo, unsigned int flags,
		   const gnutls_datum_t *in, gnutls_datum_t *out)
{
	struct tlsod_msg m;
	int64_t t0 = tlsod_now_us();
	int ret;

	if (kp_sock < 0 || in->size > TLSOD_MSG_DATA_MAX)
		return GNUTLS_E_INVALID_REQUEST;
	m.h = (struct tlsod_msg_hdr){
		.type = type, .key = r->index, .algo = algo, .flags = flags,
		.len = in->size,
	};
	memcpy(m.data, in->data, in->size);
	ret = tlsod_parent_call(&m);
	kp_wait_us += tlsod_now_us() - t0;
	if (ret)
		return GNUTLS_E_PK_SIGN_FAILED;
	if (m.h.status)
		return m.h.status < 0 ? m.h.status : GNUTLS_E_PK_SIGN_FAILED;
	out->data = gnutls_malloc(m.h.len ? m.h.len : 1);
	if (!out->data)
		return GNUTLS_E_MEMORY_ERROR;
	memcpy(out->data, m.data, m.h.len);
	out->size = m.h.len;
	/* a decryption's answer is a premaster secret */
	explicit_bzero(m.data, m.h.len);
	return 0;
}

static int kp_sign_hash(gnutls_privkey_t key, gnutls_sign_algorithm_t algo,
			void *userdata, unsigned int flags,
			const gnutls_datum_t *hash, gnutls_datum_t *sig)
{
	(void)key;
	return kp_call(userdata, TLSOD_MSG_SIGN_HASH, algo, flags, hash, sig);
}

static int kp_sign_data(gnutls_privkey_t key, gnutls_sign_algorithm_t algo,
			void *userdata, unsigned int flags,
			const gnutls_datum_t *data, gnutls_datum_t *sig)
{
	(void)key;
	return kp_call(userdata, TLSOD_MSG_SIGN_DATA, algo, flags, data, sig);
}

/* TLS 1.2's RSA key transport, where a profile's legacy allows it. */
static int kp_decrypt(gnutls_privkey_t key, void *userdata,
		      const gnutls_datum_t *ct, gnutls_datum_t *pt)
{
	(void)key;
	return kp_call(userdata, TLSOD_MSG_DECRYPT, 0, 0, ct, pt);
}

/* What GnuTLS asks before it chooses a signature algorithm. */
static int kp_info(gnutls_privkey_t key, unsigned int flags, void *userdata)
{
	const struct tlsod_keyref *r = userdata;

	(void)key;
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO)
		return r->pk;
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO_BITS)
		return r->bits;
	if (flags & GNUTLS_PRIVKEY_INFO_HAVE_SIGN_ALGO)
		return gnutls_sign_supports_pk_algorithm(
			GNUTLS_FLAGS_TO_SIGN_ALGO(flags), r->pk);
	return -1;
}

int tlsod_kp_ext_key(gnutls_privkey_t *out, struct tlsod_keyref *ref)
{
	gnutls_privkey_t k;
	int ret;

	ret = gnutls_privkey_init(&k);
	if (ret < 0)
		return ret;
	ret = gnutls_privkey_import_ext4(k, ref, kp_sign_data, kp_sign_hash,
					 ref->pk == GNUTLS_PK_RSA ?
					 kp_decrypt : NULL,
					 NULL, kp_info, 0);
	if (ret < 0) {
		gnutls_privkey_deinit(k);
		return ret;
	}
	*out = k;
	return 0;
}

/* ---- the parent's side ---- */

static int kp_answer(int sock, int status, const gnutls_datum_t *d)
{
	struct tlsod_msg m;
	size_t len;

	m.h = (struct tlsod_msg_hdr){
		.type = TLSOD_MSG_RESULT, .status = status,
		.len = status ? 0 : d->size,
	};
	if (m.h.len)
		memcpy(m.data, d->data, m.h.len);
	len = sizeof(m.h) + m.h.len;
	status = send(sock, &m, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
	explicit_bzero(m.data, m.h.len);
	return status;
}

/* The operation itself, once the request is known to be well formed. */
static int kp_do(const struct tlsod_msg *m, gnutls_privkey_t key,
		 gnutls_datum_t *out, char *why, size_t whysize)
{
	const gnutls_datum_t in = { (unsigned char *)m->data, m->h.len };
	int pk = gnutls_privkey_get_pk_algorithm(key, NULL);

	if (m->h.type == TLSOD_MSG_DECRYPT) {
		if (pk != GNUTLS_PK_RSA || m->h.algo || m->h.flags) {
			snprintf(why, whysize,
				 "decryption with key %u, which is not RSA, or with an algorithm",
				 m->h.key);
			return GNUTLS_E_INVALID_REQUEST;
		}
		return gnutls_privkey_decrypt_data(key, 0, &in, out);
	}
	/* A TLS 1.0 DigestInfo for RSA PKCS#1 v1.5, GnuTLS's way. */
	if (m->h.algo == GNUTLS_SIGN_RSA_RAW) {
		if (pk != GNUTLS_PK_RSA || m->h.type != TLSOD_MSG_SIGN_HASH) {
			snprintf(why, whysize,
				 "a raw RSA signature with key %u, which is not RSA",
				 m->h.key);
			return GNUTLS_E_INVALID_REQUEST;
		}
		return gnutls_privkey_sign_hash(key, 0,
						GNUTLS_PRIVKEY_SIGN_FLAG_TLS1_RSA,
						&in, out);
	}
	if (!gnutls_sign_supports_pk_algorithm(m->h.algo, pk)) {
		snprintf(why, whysize,
			 "signature algorithm %u, which key %u (%s) does not make",
			 m->h.algo, m->h.key,
			 gnutls_pk_get_name(pk) ?: "?");
		return GNUTLS_E_INVALID_REQUEST;
	}
	if (m->h.type == TLSOD_MSG_SIGN_HASH)
		return gnutls_privkey_sign_hash2(key, m->h.algo, m->h.flags,
						 &in, out);
	return gnutls_privkey_sign_data2(key, m->h.algo, m->h.flags, &in, out);
}

int tlsod_kp_serve(int sock, const struct tlsod_msg *m,
		   gnutls_privkey_t const *keys, unsigned int nkeys,
		   char *why, size_t whysize)
{
	gnutls_datum_t out = { NULL, 0 };
	int ret, sent;

	why[0] = '\0';
	if (m->h.type != TLSOD_MSG_SIGN_HASH &&
	    m->h.type != TLSOD_MSG_SIGN_DATA &&
	    m->h.type != TLSOD_MSG_DECRYPT) {
		snprintf(why, whysize, "message type %u is not a request",
			 m->h.type);
		return -1;
	}
	if (m->h.status || (m->h.flags & ~TLSOD_MSG_SIGN_FLAGS)) {
		snprintf(why, whysize,
			 "request with status %d and flags 0x%x", m->h.status,
			 m->h.flags);
		return -1;
	}
	if (m->h.key >= nkeys || !keys[m->h.key]) {
		snprintf(why, whysize, "request for key %u, of %u", m->h.key,
			 nkeys);
		ret = GNUTLS_E_INVALID_REQUEST;
	} else {
		ret = kp_do(m, keys[m->h.key], &out, why, whysize);
		if (ret < 0 && !why[0])
			snprintf(why, whysize, "key %u: %s", m->h.key,
				 gnutls_strerror(ret));
	}
	if (ret >= 0 && out.size > TLSOD_MSG_DATA_MAX) {
		snprintf(why, whysize, "key %u: a result of %u bytes",
			 m->h.key, out.size);
		ret = GNUTLS_E_INTERNAL_ERROR;
	}
	if (ret > 0)
		ret = 0;
	sent = kp_answer(sock, ret, &out);
	if (sent < 0)
		snprintf(why, whysize, "answering: %s", strerror(errno));
	if (out.data) {
		gnutls_memset(out.data, 0, out.size);
		gnutls_free(out.data);
	}
	if (sent < 0)
		return -1;
	return ret < 0 ? 1 : 0;
}
