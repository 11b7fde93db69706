// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtlso: the names of the versions and ciphers a tlso socket reports,
 * one table for every tool that prints or parses them.
 */
#include <errno.h>
#include <strings.h>

#include <linux/tls.h>

#include "libtlso.h"

static const struct {
	unsigned int cipher;
	const char *name;
} tlso_ciphers[] = {
	{ TLS_CIPHER_AES_GCM_128, "AES-GCM-128" },
	{ TLS_CIPHER_AES_GCM_256, "AES-GCM-256" },
	{ TLS_CIPHER_AES_CCM_128, "AES-CCM-128" },
	{ TLS_CIPHER_CHACHA20_POLY1305, "ChaCha20-Poly1305" },
};

#define TLSO_NCIPHERS (sizeof(tlso_ciphers) / sizeof(tlso_ciphers[0]))

const char *tlso_version_name(unsigned int version)
{
	switch (version) {
	case TLS_1_2_VERSION:
		return "TLS 1.2";
	case TLS_1_3_VERSION:
		return "TLS 1.3";
	default:
		return NULL;
	}
}

const char *tlso_cipher_name(unsigned int cipher)
{
	size_t i;

	for (i = 0; i < TLSO_NCIPHERS; i++)
		if (tlso_ciphers[i].cipher == cipher)
			return tlso_ciphers[i].name;
	return NULL;
}

int tlso_cipher_by_name(const char *name)
{
	size_t i;

	for (i = 0; name && i < TLSO_NCIPHERS; i++)
		if (!strcasecmp(tlso_ciphers[i].name, name))
			return (int)tlso_ciphers[i].cipher;
	errno = EINVAL;
	return -1;
}
