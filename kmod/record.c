// SPDX-License-Identifier: GPL-2.0
/*
 * tlso: the TLS record format (RFC 5246 6.2, RFC 5288, RFC 7905, RFC 8446
 * 5.2) with kTLS's limits.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/tls.h>
#else
#include <errno.h>
#include <string.h>
#include <linux/tls.h>
#endif

#include "cipher.h"
#include "record.h"

int tlso_prot_init(struct tlso_prot *p, __u16 version, __u16 cipher_type)
{
	const struct tlso_cipher *c = tlso_cipher_find(cipher_type);

	if (!c || (version != TLS_1_2_VERSION && version != TLS_1_3_VERSION))
		return -EINVAL;

	memset(p, 0, sizeof(*p));
	p->version = version;
	p->cipher_type = cipher_type;
	p->salt_len = c->salt_size;
	p->iv_len = c->iv_size;
	/* Only TLS 1.2 with GCM or CCM sends part of the nonce. */
	if (version == TLS_1_2_VERSION &&
	    cipher_type != TLS_CIPHER_CHACHA20_POLY1305)
		p->nonce_len = c->iv_size;
	p->aad_len = version == TLS_1_3_VERSION ? TLSO_HDR_LEN :
						  TLSO_MAX_AAD_LEN;
	p->tail_len = version == TLS_1_3_VERSION ? 1 : 0;
	p->aead_iv_len = cipher_type == TLS_CIPHER_AES_CCM_128 ?
			 TLSO_MAX_IV_LEN : TLSO_NONCE_LEN;
	p->overhead = TLSO_HDR_LEN + p->nonce_len + c->tag_size + p->tail_len;
	p->max_payload = tlso_record_max_payload(p);
	return 0;
}

unsigned int tlso_record_max_payload(const struct tlso_prot *p)
{
	/* kTLS's bound: no room for TLS 1.3 padding beyond the type byte. */
	return TLSO_MAX_PLAIN + p->overhead - TLSO_HDR_LEN;
}

int tlso_record_parse(const __u8 *hdr, const struct tlso_prot *p,
		      unsigned int *len)
{
	unsigned int n = (hdr[3] << 8) | hdr[4];

	if (n > p->max_payload)
		return -EMSGSIZE;
	if (n < (unsigned int)p->nonce_len + TLSO_TAG_LEN)
		return -EBADMSG;
	if (hdr[1] != 3 || hdr[2] != 3)
		return -EINVAL;
	*len = n;
	return 0;
}

void tlso_record_build(__u8 *hdr, const struct tlso_prot *p, __u8 type,
		       unsigned int plain, const __u8 *explicit_nonce)
{
	unsigned int n = plain + p->overhead - TLSO_HDR_LEN;

	/* TLS 1.3 hides the real type inside and shows application data. */
	hdr[0] = p->version == TLS_1_3_VERSION ? TLSO_TYPE_DATA : type;
	hdr[1] = 3;
	hdr[2] = 3;
	hdr[3] = n >> 8;
	hdr[4] = n & 0xff;
	if (p->nonce_len)
		memcpy(hdr + TLSO_HDR_LEN, explicit_nonce, p->nonce_len);
}

void tlso_record_iv(__u8 *out, const struct tlso_prot *p, const __u8 *iv,
		    const __u8 *seq, const __u8 *explicit_nonce)
{
	__u8 *nonce = out;
	int i;

	memset(out, 0, p->aead_iv_len);
	if (p->cipher_type == TLS_CIPHER_AES_CCM_128) {
		/* Flags byte of CCM's first block: L' = 15 - 12 - 1 = 2. */
		out[0] = 2;
		nonce = out + 1;
	}
	memcpy(nonce, iv, p->salt_len + p->iv_len);
	if (p->nonce_len) {
		if (explicit_nonce)
			memcpy(nonce + p->salt_len, explicit_nonce,
			       p->nonce_len);
		return;
	}
	/* TLS 1.3 and ChaCha20: the static IV XOR the padded sequence. */
	for (i = 0; i < TLSO_SEQ_LEN; i++)
		nonce[TLSO_NONCE_LEN - TLSO_SEQ_LEN + i] ^= seq[i];
}

unsigned int tlso_record_aad(__u8 *aad, const struct tlso_prot *p,
			     const __u8 *seq, __u8 type, unsigned int plain)
{
	unsigned int n;

	if (p->version == TLS_1_3_VERSION) {
		/* The record header itself, with the ciphertext length. */
		n = plain + p->tail_len + TLSO_TAG_LEN;
		aad[0] = TLSO_TYPE_DATA;
		aad[1] = 3;
		aad[2] = 3;
		aad[3] = n >> 8;
		aad[4] = n & 0xff;
		return TLSO_HDR_LEN;
	}
	memcpy(aad, seq, TLSO_SEQ_LEN);
	aad[8] = type;
	aad[9] = 3;
	aad[10] = 3;
	aad[11] = plain >> 8;
	aad[12] = plain & 0xff;
	return TLSO_MAX_AAD_LEN;
}

bool tlso_seq_inc(__u8 *seq, unsigned int len)
{
	while (len--)
		if (++seq[len])
			return false;
	return true;
}
