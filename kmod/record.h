/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlso: the TLS record format -- headers, nonces, additional data, size
 * limits and sequence numbers.  Pure logic on byte arrays, compiled both
 * into the module and into the host unit tests.
 */
#ifndef _TLSO_RECORD_H
#define _TLSO_RECORD_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <linux/types.h>
#endif

#define TLSO_HDR_LEN		5
#define TLSO_MAX_PLAIN		16384	/* 2^14, RFC 8446 5.1 */
#define TLSO_TAG_LEN		16
#define TLSO_SEQ_LEN		8
#define TLSO_NONCE_LEN		12	/* every AEAD here takes 96 bits */
#define TLSO_MAX_IV_LEN		16	/* ccm(aes) wants a full block */
#define TLSO_MAX_AAD_LEN	13
/*
 * TLS 1.3 lets a peer pad; 2^14 + 256 bounds the ciphertext (5.2).  kTLS
 * takes no padding past the type byte, and tlso keeps its bound unless
 * the socket is a full TLS endpoint (set up by tlsod).
 */
#define TLSO_MAX_TLS13_PAYLOAD	(TLSO_MAX_PLAIN + 256)

#define TLSO_TYPE_CHANGE_CIPHER_SPEC	20
#define TLSO_TYPE_ALERT			21
#define TLSO_TYPE_HANDSHAKE		22
#define TLSO_TYPE_DATA			23

/* Alerts (RFC 8446 6, RFC 5246 7.2) that tlso sends or reads. */
#define TLSO_ALERT_WARNING		1
#define TLSO_ALERT_FATAL		2
#define TLSO_ALERT_CLOSE_NOTIFY		0
#define TLSO_ALERT_UNEXPECTED_MESSAGE	10
#define TLSO_ALERT_BAD_RECORD_MAC	20
#define TLSO_ALERT_RECORD_OVERFLOW	22
#define TLSO_ALERT_DECODE_ERROR		50
#define TLSO_ALERT_INTERNAL_ERROR	80
#define TLSO_ALERT_USER_CANCELED	90

/* Handshake message types (RFC 8446 4) that tlso meets after a handshake. */
#define TLSO_MSG_NEW_SESSION_TICKET	4
#define TLSO_MSG_KEY_UPDATE		24

/* The shape of one session's records, fixed when its keys are set. */
struct tlso_prot {
	__u16 version;		/* TLS_1_2_VERSION or TLS_1_3_VERSION */
	__u16 cipher_type;
	__u8 salt_len;		/* implicit nonce bytes kept from the keys */
	__u8 iv_len;		/* the other nonce bytes */
	__u8 nonce_len;		/* explicit nonce bytes on the wire */
	__u8 aad_len;
	__u8 tail_len;		/* TLS 1.3 inner content type */
	__u8 aead_iv_len;	/* what the crypto API takes */
	__u16 overhead;		/* header + nonce + tag + tail */
	__u16 max_payload;	/* largest ciphertext after a header */
};

/* Fill p for a version and cipher; -EINVAL when they are not supported. */
int tlso_prot_init(struct tlso_prot *p, __u16 version, __u16 cipher_type);

/* Largest ciphertext (after the header) a peer may send, as kTLS takes. */
unsigned int tlso_record_max_payload(const struct tlso_prot *p);

/*
 * Check a received header, as kTLS does: 0 with *len set to the bytes
 * after the header, -EMSGSIZE for a record longer than p->max_payload
 * (tlso_record_max_payload() unless raised), -EBADMSG for one
 * too small to hold its nonce and tag, -EINVAL for version bytes other
 * than 3,3 (TLS 1.3 keeps the 1.2 value in the header too).
 */
int tlso_record_parse(const __u8 *hdr, const struct tlso_prot *p,
		      unsigned int *len);

/* Header and explicit nonce of a record with plain bytes of content. */
void tlso_record_build(__u8 *hdr, const struct tlso_prot *p, __u8 type,
		       unsigned int plain, const __u8 *explicit_nonce);

/*
 * The IV the crypto API takes for one record.  iv holds the session's
 * salt_len + iv_len bytes (for TLS 1.2 GCM/CCM the iv part is the explicit
 * nonce, and explicit is what the record carries: pass NULL to use iv).
 */
void tlso_record_iv(__u8 *out, const struct tlso_prot *p, const __u8 *iv,
		    const __u8 *seq, const __u8 *explicit_nonce);

/* Additional data; returns its length (p->aad_len). */
unsigned int tlso_record_aad(__u8 *aad, const struct tlso_prot *p,
			     const __u8 *seq, __u8 type, unsigned int plain);

/* seq += 1, big-endian; true when it wrapped past 2^64 - 1. */
bool tlso_seq_inc(__u8 *seq, unsigned int len);

#endif /* _TLSO_RECORD_H */
