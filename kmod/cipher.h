/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlso: the record-layer ciphers and the checks on the kTLS crypto_info
 * structs.  Pure logic with no kernel state, compiled both into the module
 * and into the host unit tests.
 */
#ifndef _TLSO_CIPHER_H
#define _TLSO_CIPHER_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/tls.h>
#else
#include <linux/types.h>
#include <linux/tls.h>
#endif

struct tlso_cipher {
	__u16 type;		/* TLS_CIPHER_* */
	__u16 info_size;	/* sizeof the tls12_crypto_info_* struct */
	__u8 key_size;
	__u8 iv_size;		/* explicit part of the nonce, in the struct */
	__u8 salt_size;		/* implicit part of the nonce */
	__u8 tag_size;
	__u8 rec_seq_size;
	/* where each field sits in the crypto_info struct */
	__u8 key_off;
	__u8 iv_off;
	__u8 salt_off;
	__u8 rec_seq_off;
	const char *aead_name;	/* kernel crypto API algorithm */
};

const struct tlso_cipher *tlso_cipher_find(__u16 type);

/*
 * Check a crypto_info header passed to setsockopt(SOL_TLS, TLS_TX/TLS_RX)
 * with optlen bytes, against the other direction's info if that one is
 * already installed (other may be NULL).  Returns 0 or a negative errno,
 * the one kTLS gives for the same input.
 */
int tlso_crypto_info_check(const struct tls_crypto_info *info,
			   unsigned int optlen,
			   const struct tls_crypto_info *other);

#endif /* _TLSO_CIPHER_H */
