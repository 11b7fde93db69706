// SPDX-License-Identifier: GPL-2.0
/*
 * tlso: the cipher table.  Sizes and offsets come from the kTLS UAPI
 * structs themselves, so the table cannot drift from <linux/tls.h>.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/stddef.h>
#else
#include <errno.h>
#include <stddef.h>
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#include "cipher.h"

#define TLSO_CIPHER(_type, _struct, _aead)				\
	{								\
		.type = _type,						\
		.info_size = sizeof(struct _struct),			\
		.key_size = sizeof(((struct _struct *)0)->key),		\
		.iv_size = sizeof(((struct _struct *)0)->iv),		\
		.salt_size = sizeof(((struct _struct *)0)->salt),	\
		.tag_size = 16,						\
		.rec_seq_size = sizeof(((struct _struct *)0)->rec_seq),	\
		.key_off = offsetof(struct _struct, key),		\
		.iv_off = offsetof(struct _struct, iv),			\
		.salt_off = offsetof(struct _struct, salt),		\
		.rec_seq_off = offsetof(struct _struct, rec_seq),	\
		.aead_name = _aead,					\
	}

static const struct tlso_cipher tlso_ciphers[] = {
	TLSO_CIPHER(TLS_CIPHER_AES_GCM_128, tls12_crypto_info_aes_gcm_128,
		    "gcm(aes)"),
	TLSO_CIPHER(TLS_CIPHER_AES_GCM_256, tls12_crypto_info_aes_gcm_256,
		    "gcm(aes)"),
	TLSO_CIPHER(TLS_CIPHER_AES_CCM_128, tls12_crypto_info_aes_ccm_128,
		    "ccm(aes)"),
	TLSO_CIPHER(TLS_CIPHER_CHACHA20_POLY1305,
		    tls12_crypto_info_chacha20_poly1305,
		    "rfc7539(chacha20,poly1305)"),
};

const struct tlso_cipher *tlso_cipher_find(__u16 type)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tlso_ciphers); i++)
		if (tlso_ciphers[i].type == type)
			return &tlso_ciphers[i];
	return NULL;
}

int tlso_crypto_info_check(const struct tls_crypto_info *info,
			   unsigned int optlen,
			   const struct tls_crypto_info *other)
{
	const struct tlso_cipher *c;

	if (optlen < sizeof(*info))
		return -EINVAL;
	if (info->version != TLS_1_2_VERSION &&
	    info->version != TLS_1_3_VERSION)
		return -EINVAL;
	/* Both directions of one session share version and cipher. */
	if (other && (other->version != info->version ||
		      other->cipher_type != info->cipher_type))
		return -EINVAL;
	c = tlso_cipher_find(info->cipher_type);
	if (!c)
		return -EINVAL;
	if (optlen != c->info_size)
		return -EINVAL;
	return 0;
}
