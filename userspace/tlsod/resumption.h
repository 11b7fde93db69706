/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Resumption, the worker's side.  A server issues tickets by itself
 * (handshake.c gives GnuTLS the profile's ticket key).  A client asks
 * the parent for a session to offer before its handshake, and gives the
 * parent what it can resume after: a TLS 1.2 ticket comes within the
 * handshake, a TLS 1.3 one only after the keys are in the kernel, which
 * multicasts it (TLSO_CMD_TICKET) to the parent, which passes it to the
 * worker that holds the session it belongs to.
 */
#ifndef TLSOD_RESUMPTION_H
#define TLSOD_RESUMPTION_H

#include <stdint.h>
#include <gnutls/gnutls.h>

#include "keyproxy.h"
#include "netlink.h"
#include "session_cache.h"

/* TLS 1.3 client sessions one worker keeps for their tickets. */
#define TLSOD_HELD_MAX		8
/* How long one is kept after DONE: a server sends its tickets at once. */
#define TLSOD_TICKET_WAIT_MS	3000
/* and after its first ticket, for more */
#define TLSOD_TICKET_MORE_MS	200

/* key for a client request on fd with the profile named profile. */
void tlsod_peer_key_of(struct tlsod_peer_key *key,
		       const struct tlsod_request *req, const char *profile,
		       int fd);

/* A session from the parent's cache set on s, if it has one. */
void tlsod_resume_offer(gnutls_session_t s, const struct tlsod_peer_key *key);

/* After a TLS 1.2 handshake: the session, if the server gave a ticket. */
void tlsod_resume_save(gnutls_session_t s, const struct tlsod_peer_key *key);

/*
 * After DONE of a TLS 1.3 client: keep s (and psk, which it uses) for
 * the tickets of request id, and tell the parent.  Takes both.
 */
void tlsod_resume_hold(uint64_t id, gnutls_session_t s,
		       gnutls_psk_client_credentials_t psk,
		       const struct tlsod_peer_key *key);

/* The parent's TICKET word. */
void tlsod_resume_ticket(const struct tlsod_msg *m);

/* Milliseconds until the last held session is given up; -1: none held. */
int tlsod_resume_wait_ms(void);

#endif /* TLSOD_RESUMPTION_H */
