/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The keys of a GnuTLS session, as the kernel's TLS_TX and TLS_RX take
 * them: what tlsod hands to tlso, and what tlso-perf hands to kTLS.
 */
#ifndef TLSO_KEYS_H
#define TLSO_KEYS_H

#include <sys/socket.h>
#include <linux/tls.h>
#include <gnutls/gnutls.h>

union tlso_crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 gcm128;
	struct tls12_crypto_info_aes_gcm_256 gcm256;
	struct tls12_crypto_info_aes_ccm_128 ccm128;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
};

/*
 * One direction of s's current keys (read: 1 for the peer's, 0 for ours)
 * into *ci, and its size into *len.  0, or a GnuTLS error code: the
 * version or cipher has no kernel struct, or GnuTLS's key material does
 * not have the sizes the struct wants.  The caller wipes *ci after use.
 */
int tlso_keys_export(gnutls_session_t s, unsigned int read,
		     union tlso_crypto_info *ci, socklen_t *len);

#endif /* TLSO_KEYS_H */
