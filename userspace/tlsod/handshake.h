/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One handshake, in a worker process (worker.h): GnuTLS, then the keys
 * installed.
 */
#ifndef TLSOD_HANDSHAKE_H
#define TLSOD_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "netlink.h"
#include "session_cache.h"

struct tlsod_outcome {
	uint32_t status;		/* 0 or a positive errno */
	char reason[640];		/* why it failed */
	const char *profile;		/* the profile used, for the log */
	char version[16];		/* "TLS1.3" */
	char cipher[32];		/* "AES-128-GCM" */
	uint32_t peer_auth;		/* TLSO_AUTH_*: what peer_identity is */
	char peer_identity[TLSO_IDENTITY_SIZE];	/* identity.h */
	unsigned char *rx;		/* read past Finished */
	size_t rx_len;
	/*
	 * TLS 1.3: the application traffic secrets of the keys installed,
	 * for the kernel's KeyUpdates; secret_len 0 when there are none.
	 */
	uint32_t hash;			/* TLSO_HASH_* */
	uint32_t ku_records;		/* the profile's; 0: the module's */
	/* the peer's record_size_limit (RFC 8449), if both sent one */
	uint32_t record_size_limit;
	size_t secret_len;
	unsigned char tx_secret[TLSO_SECRET_MAX];
	unsigned char rx_secret[TLSO_SECRET_MAX];
	bool resumed;			/* no full handshake */
	/* where the time went, microseconds, for the debug log */
	int64_t setup_us, handshake_us, keys_us;
	/*
	 * A TLS 1.3 client's session, kept for the tickets that come after
	 * DONE (resumption.h), with the credentials it uses; NULL: none.
	 */
	gnutls_session_t held;
	gnutls_psk_client_credentials_t held_psk;
	struct tlsod_peer_key peer_key;
};

/*
 * The handshake for req on req->fd, with the keys installed at the end.
 * Fills out; out->status says how it went.  Free out with
 * tlsod_outcome_release().
 */
void tlsod_handshake(const struct tlsod_config *cfg,
		     const struct tlsod_request *req,
		     struct tlsod_outcome *out);
void tlsod_outcome_release(struct tlsod_outcome *out);

/* "client", "server" or "unknown", for the log. */
const char *tlsod_role_name(uint32_t role);

#endif /* TLSOD_HANDSHAKE_H */
