/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who the peer of a handshake is, as the application reads it in
 * struct tlso_handshake_status (peer_auth, peer_identity), in the form
 * tlsod(8) defines under PEER IDENTITY.
 */
#ifndef TLSOD_IDENTITY_H
#define TLSOD_IDENTITY_H

#include <stdint.h>
#include <gnutls/gnutls.h>

#include <linux/tlso.h>

/* What the kernel keeps of an identity, the NUL aside. */
#define TLSOD_IDENTITY_MAX	(TLSO_IDENTITY_SIZE - 1)
/* An identity cut to fit ends with this. */
#define TLSOD_IDENTITY_CUT	"..."

/*
 * After a handshake that succeeded: what authenticated the peer
 * (TLSO_AUTH_*), and who it is in out.  psk_name: the PSK identity the
 * handshake used, for TLSO_AUTH_PSK.
 */
uint32_t tlsod_peer_identity(gnutls_session_t s, const char *psk_name,
			     char out[TLSO_IDENTITY_SIZE]);

#endif /* TLSOD_IDENTITY_H */
