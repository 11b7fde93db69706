/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helpers: kTLS crypto_info structs for every version and cipher,
 * from given or made-up key material.
 */
#ifndef TLSO_TEST_KTLS_KEYS_H
#define TLSO_TEST_KTLS_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/tls.h>
#include <sys/socket.h>

union keys_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 gcm128;
	struct tls12_crypto_info_aes_gcm_256 gcm256;
	struct tls12_crypto_info_aes_ccm_128 ccm128;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
};

struct keys_cipher {
	const char *name;	/* as tlso-perf and GnuTLS spell it */
	const char *gnutls;	/* GnuTLS priority keyword */
	uint16_t type;
	size_t size, key, iv, salt;
	size_t key_off, iv_off, salt_off, seq_off;
};

#define KEYS_CIPHER(n, g, t, s) { n, g, t, sizeof(struct s),		\
	sizeof(((struct s *)0)->key), sizeof(((struct s *)0)->iv),	\
	sizeof(((struct s *)0)->salt), offsetof(struct s, key),		\
	offsetof(struct s, iv), offsetof(struct s, salt),		\
	offsetof(struct s, rec_seq) }

static const struct keys_cipher keys_ciphers[] = {
	KEYS_CIPHER("aes-gcm-128", "AES-128-GCM", TLS_CIPHER_AES_GCM_128,
		    tls12_crypto_info_aes_gcm_128),
	KEYS_CIPHER("aes-gcm-256", "AES-256-GCM", TLS_CIPHER_AES_GCM_256,
		    tls12_crypto_info_aes_gcm_256),
	KEYS_CIPHER("chacha20-poly1305", "CHACHA20-POLY1305",
		    TLS_CIPHER_CHACHA20_POLY1305,
		    tls12_crypto_info_chacha20_poly1305),
	KEYS_CIPHER("aes-ccm-128", "AES-128-CCM", TLS_CIPHER_AES_CCM_128,
		    tls12_crypto_info_aes_ccm_128),
};

static inline const struct keys_cipher *keys_cipher(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(keys_ciphers) / sizeof(keys_ciphers[0]); i++)
		if (keys_ciphers[i].type == type)
			return &keys_ciphers[i];
	return NULL;
}

/*
 * Made-up keys for one direction: every byte derived from seed, so two
 * ends that agree on the seed agree on the keys.  seq is the first record
 * sequence number.
 */
static inline size_t keys_make(union keys_info *k, uint16_t version,
			       uint16_t type, unsigned int seed, uint64_t seq)
{
	const struct keys_cipher *c = keys_cipher(type);
	uint8_t *p = (uint8_t *)k;
	size_t i;

	memset(k, 0, sizeof(*k));
	k->info.version = version;
	k->info.cipher_type = type;
	for (i = 0; i < c->key; i++)
		p[c->key_off + i] = (uint8_t)(seed * 31 + i * 7 + 1);
	for (i = 0; i < c->iv; i++)
		p[c->iv_off + i] = (uint8_t)(seed * 17 + i * 3 + 2);
	for (i = 0; i < c->salt; i++)
		p[c->salt_off + i] = (uint8_t)(seed * 13 + i * 5 + 3);
	for (i = 0; i < 8; i++)
		p[c->seq_off + i] = (uint8_t)(seq >> (56 - 8 * i));
	return c->size;
}

/* Install keys on fd for one direction (TLS_TX or TLS_RX). */
static inline int keys_install(int fd, int dir, const union keys_info *k)
{
	return setsockopt(fd, SOL_TLS, dir, k,
			  keys_cipher(k->info.cipher_type)->size);
}

#endif /* TLSO_TEST_KTLS_KEYS_H */
