/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helpers: the TLS 1.3 key schedule after the handshake (RFC 8446
 * 7.1-7.3) with GnuTLS's HKDF, the independent side of what the kernel
 * derives on a KeyUpdate: a traffic secret's key and IV as a kTLS
 * crypto_info, and the next secret.
 */
#ifndef TLSO_TEST_KU_KEYS_H
#define TLSO_TEST_KU_KEYS_H

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "ktls_keys.h"

/* HKDF-Expand-Label(secret, label, "", len). */
static inline int ku_expand(gnutls_mac_algorithm_t mac, const uint8_t *secret,
			    size_t slen, const char *label, uint8_t *out,
			    size_t len)
{
	size_t llen = strlen(label), n = 0;
	uint8_t info[2 + 1 + 255 + 1];
	gnutls_datum_t key = { (unsigned char *)secret, (unsigned int)slen };
	gnutls_datum_t inf;

	if (6 + llen > 255)
		return -1;
	info[n++] = (uint8_t)(len >> 8);
	info[n++] = (uint8_t)len;
	info[n++] = (uint8_t)(6 + llen);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, llen);
	n += llen;
	info[n++] = 0;
	inf.data = info;
	inf.size = n;
	return gnutls_hkdf_expand(mac, &key, &inf, out, len) ? -1 : 0;
}

/* The crypto_info of a traffic secret: key, IV, sequence number 0. */
static inline int ku_keys(union keys_info *k, uint16_t cipher,
			  gnutls_mac_algorithm_t mac, const uint8_t *secret,
			  size_t slen)
{
	const struct keys_cipher *c = keys_cipher(cipher);
	uint8_t *p = (uint8_t *)k, iv[12];

	keys_make(k, TLS_1_3_VERSION, cipher, 0, 0);
	if (c->salt + c->iv != sizeof(iv) ||
	    ku_expand(mac, secret, slen, "key", p + c->key_off, c->key) ||
	    ku_expand(mac, secret, slen, "iv", iv, sizeof(iv)))
		return -1;
	memcpy(p + c->salt_off, iv, c->salt);
	memcpy(p + c->iv_off, iv + c->salt, c->iv);
	return 0;
}

/* secret becomes the next one (KeyUpdate). */
static inline int ku_next(gnutls_mac_algorithm_t mac, uint8_t *secret,
			  size_t slen)
{
	uint8_t next[64];

	if (slen > sizeof(next) ||
	    ku_expand(mac, secret, slen, "traffic upd", next, slen))
		return -1;
	memcpy(secret, next, slen);
	return 0;
}

#endif /* TLSO_TEST_KU_KEYS_H */
