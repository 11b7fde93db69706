// SPDX-License-Identifier: GPL-2.0
/*
 * A GnuTLS session's record keys in the kernel's crypto_info layout.
 */
#include <stdbool.h>
#include <string.h>

#include "keys.h"

/* Where the fields of one crypto_info struct are, and how long. */
struct slots {
	unsigned char *key, *iv, *salt, *rec_seq;
	size_t key_len, iv_len, salt_len;
};

#define SLOTS(st) (struct slots){ (st).key, (st).iv, (st).salt, (st).rec_seq, \
	sizeof((st).key), sizeof((st).iv), sizeof((st).salt) }

static int fill_slots(const struct slots *sl, const gnutls_datum_t *key,
		      const gnutls_datum_t *iv, const unsigned char *seq,
		      bool tls13)
{
	if (key->size != sl->key_len)
		return -1;
	if (!sl->salt_len) {
		/* ChaCha20-Poly1305: the whole 12-byte IV, in both versions */
		if (iv->size != sl->iv_len)
			return -1;
		memcpy(sl->iv, iv->data, sl->iv_len);
	} else if (tls13) {
		/* One 12-byte IV, which the kernel's struct splits 4 + 8. */
		if (iv->size != sl->salt_len + sl->iv_len)
			return -1;
		memcpy(sl->salt, iv->data, sl->salt_len);
		memcpy(sl->iv, iv->data + sl->salt_len, sl->iv_len);
	} else {
		/*
		 * TLS 1.2 GCM/CCM: GnuTLS's IV is the 4-byte implicit part;
		 * the explicit nonce carries on from the sequence number,
		 * as GnuTLS's own records did (RFC 5288).
		 */
		if (iv->size != sl->salt_len || sl->iv_len != 8)
			return -1;
		memcpy(sl->salt, iv->data, sl->salt_len);
		memcpy(sl->iv, seq, 8);
	}
	memcpy(sl->key, key->data, sl->key_len);
	memcpy(sl->rec_seq, seq, 8);
	return 0;
}

int tlso_keys_export(gnutls_session_t s, unsigned int read,
		     union tlso_crypto_info *ci, socklen_t *len)
{
	gnutls_cipher_algorithm_t cipher = gnutls_cipher_get(s);
	bool tls13 = gnutls_protocol_get_version(s) == GNUTLS_TLS1_3;
	gnutls_datum_t mac, iv, key;
	unsigned char seq[8];
	struct slots sl;
	int ret;

	ret = gnutls_record_get_state(s, read, &mac, &iv, &key, seq);
	if (ret < 0)
		return ret;
	memset(ci, 0, sizeof(*ci));
	ci->info.version = tls13 ? TLS_1_3_VERSION : TLS_1_2_VERSION;
	switch (cipher) {
	case GNUTLS_CIPHER_AES_128_GCM:
		ci->info.cipher_type = TLS_CIPHER_AES_GCM_128;
		*len = sizeof(ci->gcm128);
		sl = SLOTS(ci->gcm128);
		break;
	case GNUTLS_CIPHER_AES_256_GCM:
		ci->info.cipher_type = TLS_CIPHER_AES_GCM_256;
		*len = sizeof(ci->gcm256);
		sl = SLOTS(ci->gcm256);
		break;
	case GNUTLS_CIPHER_AES_128_CCM:
		ci->info.cipher_type = TLS_CIPHER_AES_CCM_128;
		*len = sizeof(ci->ccm128);
		sl = SLOTS(ci->ccm128);
		break;
	case GNUTLS_CIPHER_CHACHA20_POLY1305:
		ci->info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
		*len = sizeof(ci->chacha);
		sl = SLOTS(ci->chacha);
		break;
	default:
		return GNUTLS_E_UNIMPLEMENTED_FEATURE;
	}
	return fill_slots(&sl, &key, &iv, seq, tls13) ?
	       GNUTLS_E_INTERNAL_ERROR : 0;
}

