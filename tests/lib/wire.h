/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helpers: TLS records as bytes on the wire.  Records are made by the
 * in-tree kTLS module (an independent implementation) on a throw-away
 * connection and read back raw, so that tests can take them apart, damage
 * them, or deliver them a byte at a time to the socket under test.
 */
#ifndef TLSO_TEST_WIRE_H
#define TLSO_TEST_WIRE_H

#include <poll.h>
#include <stdint.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "ktls_keys.h"
#include "sock.h"

#ifndef TLS_SET_RECORD_TYPE
#define TLS_SET_RECORD_TYPE 1
#endif
#ifndef TLS_GET_RECORD_TYPE
#define TLS_GET_RECORD_TYPE 2
#endif

/* Send len bytes as one record of the given type (cmsg when not data). */
static inline ssize_t wire_send_type(int fd, const void *buf, size_t len,
				     uint8_t type, int flags)
{
	char cbuf[CMSG_SPACE(1)] = { 0 };
	struct iovec iov = { (void *)buf, len };
	struct msghdr msg = { 0 };
	struct cmsghdr *cmsg;

	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (type != 23) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_TLS;
		cmsg->cmsg_type = TLS_SET_RECORD_TYPE;
		cmsg->cmsg_len = CMSG_LEN(1);
		*CMSG_DATA(cmsg) = type;
	}
	return sendmsg(fd, &msg, flags);
}

/*
 * recvmsg with room for the record-type cmsg; *type is set from it (0
 * when none came).
 */
static inline ssize_t wire_recv_type(int fd, void *buf, size_t len,
				     uint8_t *type, int flags)
{
	char cbuf[CMSG_SPACE(1)] = { 0 };
	struct iovec iov = { buf, len };
	struct msghdr msg = { 0 };
	struct cmsghdr *cmsg;
	ssize_t n;

	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	*type = 0;
	n = recvmsg(fd, &msg, flags);
	if (n < 0)
		return n;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg))
		if (cmsg->cmsg_level == SOL_TLS &&
		    cmsg->cmsg_type == TLS_GET_RECORD_TYPE)
			*type = *CMSG_DATA(cmsg);
	return n;
}

/* Read whatever arrives on a raw socket within ms, up to size bytes. */
static inline ssize_t wire_read_raw(int fd, void *buf, size_t size, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	size_t got = 0;

	while (got < size && poll(&p, 1, ms) > 0) {
		ssize_t n = recv(fd, (char *)buf + got, size - got, 0);

		if (n <= 0)
			break;
		got += n;
		ms = 200;
	}
	return got;
}

/*
 * A record encrypter: kTLS sending with keys k on one end, the other end
 * raw.  wire_seal() returns the bytes kTLS put on the wire.
 */
struct wire_sealer {
	int tls, raw;
};

static inline int wire_sealer_open(struct wire_sealer *w,
				   const union keys_info *k)
{
	if (sock_pair(AF_INET, &w->tls, &w->raw))
		return -1;
	if (sock_attach(w->tls, "tls") || keys_install(w->tls, TLS_TX, k))
		return -1;
	return 0;
}

static inline void wire_sealer_close(struct wire_sealer *w)
{
	close(w->tls);
	close(w->raw);
}

static inline ssize_t wire_seal(struct wire_sealer *w, const void *data,
				size_t len, uint8_t type, void *out,
				size_t size)
{
	if (wire_send_type(w->tls, data, len, type, 0) != (ssize_t)len)
		return -1;
	return wire_read_raw(w->raw, out, size, 2000);
}

/* Number of records in a byte stream that holds whole records. */
static inline int wire_count_records(const uint8_t *p, size_t len)
{
	int n = 0;

	while (len >= 5) {
		size_t rl = 5 + ((size_t)p[3] << 8 | p[4]);

		if (rl > len)
			return -1;
		p += rl;
		len -= rl;
		n++;
	}
	return len ? -1 : n;
}

/*
 * A record sealer in userspace, with GnuTLS's AEAD and the keys of a
 * struct from keys_make(): for records kTLS will not make on request
 * (empty data records, many at once without a syscall each).  The
 * explicit nonce of a TLS 1.2 GCM or CCM record is its sequence number.
 */
struct wire_usealer {
	gnutls_aead_cipher_hd_t h;
	uint16_t version;
	size_t salt, iv;	/* nonce = salt || iv, 12 bytes */
	uint8_t nonce[12];
	uint64_t seq;
};

static inline int wire_useal_open(struct wire_usealer *w,
				  const union keys_info *k)
{
	const struct keys_cipher *c = keys_cipher(k->info.cipher_type);
	const uint8_t *p = (const uint8_t *)k;
	gnutls_cipher_algorithm_t alg;
	gnutls_datum_t key;
	size_t i;

	if (!c)
		return -1;
	switch (c->type) {
	case TLS_CIPHER_AES_GCM_128:
		alg = GNUTLS_CIPHER_AES_128_GCM;
		break;
	case TLS_CIPHER_AES_GCM_256:
		alg = GNUTLS_CIPHER_AES_256_GCM;
		break;
	case TLS_CIPHER_AES_CCM_128:
		alg = GNUTLS_CIPHER_AES_128_CCM;
		break;
	default:
		alg = GNUTLS_CIPHER_CHACHA20_POLY1305;
		break;
	}
	memset(w, 0, sizeof(*w));
	w->version = k->info.version;
	w->salt = c->salt;
	w->iv = c->iv;
	memcpy(w->nonce, p + c->salt_off, c->salt);
	memcpy(w->nonce + c->salt, p + c->iv_off, c->iv);
	for (i = 0; i < 8; i++)
		w->seq = w->seq << 8 | p[c->seq_off + i];
	key.data = (unsigned char *)p + c->key_off;
	key.size = c->key;
	return gnutls_aead_cipher_init(&w->h, alg, &key) ? -1 : 0;
}

static inline void wire_useal_close(struct wire_usealer *w)
{
	gnutls_aead_cipher_deinit(w->h);
}

/*
 * Seal len bytes as the next record of the given type into out (size
 * bytes), with pad zero bytes after the TLS 1.3 inner type: the record's
 * length, or -1.  Nothing stops a record past the RFC's limits.
 */
static inline ssize_t wire_useal_padded(struct wire_usealer *w, uint8_t type,
					const void *data, size_t len,
					size_t pad, uint8_t *out, size_t size)
{
	bool tls13 = w->version == TLS_1_3_VERSION;
	bool explicit_nonce = !tls13 && w->salt == 4;
	size_t hlen = 5 + (explicit_nonce ? 8 : 0);
	size_t inner = len + (tls13 ? 1 + pad : 0);
	size_t clen = inner + 16, ctext = clen, i;
	uint8_t nonce[12], aad[13], *plain;
	size_t aad_len;
	int err;

	if (hlen + clen > size || hlen + clen > 5 + 0xffff || (pad && !tls13))
		return -1;
	memcpy(nonce, w->nonce, sizeof(nonce));
	if (explicit_nonce) {
		/* The record carries the nonce's iv part: the counter. */
		for (i = 0; i < 8; i++)
			nonce[4 + i] = (uint8_t)(w->seq >> (56 - 8 * i));
		memcpy(out + 5, nonce + 4, 8);
	} else {
		for (i = 0; i < 8; i++)
			nonce[4 + i] ^= (uint8_t)(w->seq >> (56 - 8 * i));
	}
	out[0] = tls13 ? 23 : type;
	out[1] = 3;
	out[2] = 3;
	out[3] = (uint8_t)((hlen - 5 + clen) >> 8);
	out[4] = (uint8_t)(hlen - 5 + clen);
	if (tls13) {
		memcpy(aad, out, 5);
		aad_len = 5;
	} else {
		for (i = 0; i < 8; i++)
			aad[i] = (uint8_t)(w->seq >> (56 - 8 * i));
		aad[8] = type;
		aad[9] = 3;
		aad[10] = 3;
		aad[11] = (uint8_t)(len >> 8);
		aad[12] = (uint8_t)len;
		aad_len = 13;
	}
	plain = calloc(1, inner + 1);
	if (!plain)
		return -1;
	if (len)
		memcpy(plain, data, len);
	plain[len] = type;	/* TLS 1.3's inner type; unused for 1.2 */
	err = gnutls_aead_cipher_encrypt(w->h, nonce, sizeof(nonce), aad,
					 aad_len, 16, plain, inner,
					 out + hlen, &ctext);
	free(plain);
	if (err || ctext != clen)
		return -1;
	w->seq++;
	return hlen + clen;
}

static inline ssize_t wire_useal(struct wire_usealer *w, uint8_t type,
				 const void *data, size_t len, uint8_t *out,
				 size_t size)
{
	return wire_useal_padded(w, type, data, len, 0, out, size);
}

/*
 * Open the next record, rec[0..len) whole, with the keys of a
 * wire_useal_open()ed w: its type (TLS 1.3: the inner one) in *type and
 * content in out (size bytes), the content's length; or -1 when it does
 * not open.
 */
static inline ssize_t wire_uopen(struct wire_usealer *w, const uint8_t *rec,
				 size_t len, uint8_t *type, uint8_t *out,
				 size_t size)
{
	bool tls13 = w->version == TLS_1_3_VERSION;
	size_t hlen = 5 + (!tls13 && w->salt == 4 ? 8 : 0);
	uint8_t nonce[12], aad[13];
	size_t aad_len = 5, plen, i;

	if (len < hlen + 16 + tls13 ||
	    len != 5 + ((size_t)rec[3] << 8 | rec[4]) || size < len)
		return -1;
	memcpy(nonce, w->nonce, sizeof(nonce));
	if (hlen > 5) {
		memcpy(nonce + 4, rec + 5, 8);
	} else {
		for (i = 0; i < 8; i++)
			nonce[4 + i] ^= (uint8_t)(w->seq >> (56 - 8 * i));
	}
	if (tls13) {
		memcpy(aad, rec, 5);
	} else {
		plen = len - hlen - 16;
		for (i = 0; i < 8; i++)
			aad[i] = (uint8_t)(w->seq >> (56 - 8 * i));
		memcpy(aad + 8, rec, 3);
		aad[11] = (uint8_t)(plen >> 8);
		aad[12] = (uint8_t)plen;
		aad_len = 13;
	}
	plen = len - hlen;
	if (gnutls_aead_cipher_decrypt(w->h, nonce, sizeof(nonce), aad,
				       aad_len, 16, rec + hlen, len - hlen,
				       out, &plen))
		return -1;
	w->seq++;
	if (!tls13) {
		*type = rec[0];
		return plen;
	}
	while (plen && !out[plen - 1])
		plen--;
	if (!plen)
		return -1;
	*type = out[--plen];
	return plen;
}

/* Room for any record a peer may send, and some past the limits. */
#define WIRE_RECORD_MAX	(5 + 16384 + 2048)

/*
 * Seal one record (pad: TLS 1.3 padding; flip: damage its ciphertext)
 * and send it on fd: 0, or -1.
 */
static inline int wire_usend(int fd, struct wire_usealer *w, uint8_t type,
			     const void *data, size_t len, size_t pad,
			     bool flip)
{
	static uint8_t rec[WIRE_RECORD_MAX];
	ssize_t n = wire_useal_padded(w, type, data, len, pad, rec,
				      sizeof(rec));

	if (n < 0)
		return -1;
	if (flip)
		rec[n - 20] ^= 0x04;
	return send(fd, rec, n, 0) == n ? 0 : -1;
}

/*
 * Read the next whole record from fd within ms and open it: its content
 * length, with its type in *type, or -1 (nothing came, or it does not
 * open).
 */
static inline ssize_t wire_urecv(int fd, struct wire_usealer *w,
				 uint8_t *type, uint8_t *out, size_t size,
				 int ms)
{
	static uint8_t rec[WIRE_RECORD_MAX];
	struct pollfd p = { fd, POLLIN, 0 };
	size_t len;

	if (poll(&p, 1, ms) != 1 || recv(fd, rec, 5, MSG_WAITALL) != 5)
		return -1;
	len = (size_t)rec[3] << 8 | rec[4];
	if (5 + len > sizeof(rec) ||
	    recv(fd, rec + 5, len, MSG_WAITALL) != (ssize_t)len)
		return -1;
	return wire_uopen(w, rec, 5 + len, type, out, size);
}

#endif /* TLSO_TEST_WIRE_H */
