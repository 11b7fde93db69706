/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parent's cache of client sessions to resume (resumption.h): what
 * a worker made of a server's session ticket, kept for the next
 * handshake to the same peer with the same profile.  Bounded in entries,
 * per peer and in time; each session is handed out once.
 */
#ifndef TLSOD_SESSION_CACHE_H
#define TLSOD_SESSION_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <linux/tlso.h>

/* Sessions kept in all; the oldest goes first. */
#define TLSOD_SESSION_CACHE_MAX		256
/* Sessions kept for one peer: servers send two tickets a connection. */
#define TLSOD_SESSIONS_PER_PEER		4
/* The longest a session is kept, whatever its ticket's lifetime says. */
#define TLSOD_SESSION_TTL_MAX_S		7200

/*
 * Who a session is for: compared byte for byte, so zero it first.  The
 * address is the socket's peer (IPv4 as ::ffff:a.b.c.d).
 */
struct tlsod_peer_key {
	char profile[TLSO_PROFILE_SIZE];
	char peer_name[TLSO_PEER_NAME_SIZE];
	uint8_t addr[16];
	uint16_t port;
	uint16_t pad;
};

struct tlsod_session_cache;

struct tlsod_session_cache *tlsod_scache_new(void);
void tlsod_scache_free(struct tlsod_session_cache *c);
/* Every session dropped: a reload may have changed whom to trust. */
void tlsod_scache_clear(struct tlsod_session_cache *c);

/*
 * Keep len bytes of session for key until now + ttl_s (at most
 * TLSOD_SESSION_TTL_MAX_S).  0, or -1 (out of memory, len 0, ttl 0).
 */
int tlsod_scache_put(struct tlsod_session_cache *c,
		     const struct tlsod_peer_key *key, const void *data,
		     size_t len, uint32_t ttl_s, int64_t now_s);

/*
 * The newest live session for key, taken out of the cache: its length,
 * copied into buf (and wiped from the cache), or 0 when there is none
 * that fits in size.
 */
size_t tlsod_scache_take(struct tlsod_session_cache *c,
			 const struct tlsod_peer_key *key, void *buf,
			 size_t size, int64_t now_s);

unsigned int tlsod_scache_count(const struct tlsod_session_cache *c);

#endif /* TLSOD_SESSION_CACHE_H */
