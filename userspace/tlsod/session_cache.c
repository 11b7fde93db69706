// SPDX-License-Identifier: GPL-2.0
/*
 * The parent's session cache (session_cache.h).  A few hundred entries
 * at most: a linear scan costs less than keeping an index right.
 */
#include <stdlib.h>
#include <string.h>

#include "session_cache.h"

struct entry {
	struct tlsod_peer_key key;
	unsigned char *data;	/* NULL: a free slot */
	size_t len;
	int64_t expires;
	uint64_t seq;		/* higher is newer */
};

struct tlsod_session_cache {
	struct entry e[TLSOD_SESSION_CACHE_MAX];
	uint64_t seq;
	unsigned int count;
};

struct tlsod_session_cache *tlsod_scache_new(void)
{
	return calloc(1, sizeof(struct tlsod_session_cache));
}

/* Session data holds the resumption secret: wiped when it goes. */
static void drop(struct tlsod_session_cache *c, struct entry *e)
{
	explicit_bzero(e->data, e->len);
	free(e->data);
	memset(e, 0, sizeof(*e));
	c->count--;
}

void tlsod_scache_clear(struct tlsod_session_cache *c)
{
	unsigned int i;

	for (i = 0; i < TLSOD_SESSION_CACHE_MAX; i++)
		if (c->e[i].data)
			drop(c, &c->e[i]);
}

void tlsod_scache_free(struct tlsod_session_cache *c)
{
	if (!c)
		return;
	tlsod_scache_clear(c);
	free(c);
}

static void expire(struct tlsod_session_cache *c, int64_t now_s)
{
	unsigned int i;

	for (i = 0; i < TLSOD_SESSION_CACHE_MAX; i++)
		if (c->e[i].data && c->e[i].expires <= now_s)
			drop(c, &c->e[i]);
}

/* The oldest entry, of key's when key is given; NULL if none. */
static struct entry *oldest(struct tlsod_session_cache *c,
			    const struct tlsod_peer_key *key,
			    unsigned int *nkey)
{
	struct entry *old = NULL;
	unsigned int i;

	*nkey = 0;
	for (i = 0; i < TLSOD_SESSION_CACHE_MAX; i++) {
		struct entry *e = &c->e[i];

		if (!e->data || (key && memcmp(&e->key, key, sizeof(*key))))
			continue;
		(*nkey)++;
		if (!old || e->seq < old->seq)
			old = e;
	}
	return old;
}

int tlsod_scache_put(struct tlsod_session_cache *c,
		     const struct tlsod_peer_key *key, const void *data,
		     size_t len, uint32_t ttl_s, int64_t now_s)
{
	struct entry *e, *old;
	unsigned int i, n;

	if (!len || !ttl_s)
		return -1;
	if (ttl_s > TLSOD_SESSION_TTL_MAX_S)
		ttl_s = TLSOD_SESSION_TTL_MAX_S;
	expire(c, now_s);
	old = oldest(c, key, &n);
	if (n >= TLSOD_SESSIONS_PER_PEER)
		drop(c, old);
	if (c->count >= TLSOD_SESSION_CACHE_MAX)
		drop(c, oldest(c, NULL, &n));
	for (i = 0, e = NULL; i < TLSOD_SESSION_CACHE_MAX && !e; i++)
		if (!c->e[i].data)
			e = &c->e[i];
	e->data = malloc(len);
	if (!e->data)
		return -1;
	memcpy(e->data, data, len);
	e->key = *key;
	e->len = len;
	e->expires = now_s + ttl_s;
	e->seq = ++c->seq;
	c->count++;
	return 0;
}

size_t tlsod_scache_take(struct tlsod_session_cache *c,
			 const struct tlsod_peer_key *key, void *buf,
			 size_t size, int64_t now_s)
{
	struct entry *best = NULL;
	unsigned int i;
	size_t len;

	expire(c, now_s);
	for (i = 0; i < TLSOD_SESSION_CACHE_MAX; i++) {
		struct entry *e = &c->e[i];

		if (e->data && !memcmp(&e->key, key, sizeof(*key)) &&
		    (!best || e->seq > best->seq))
			best = e;
	}
	if (!best)
		return 0;
	len = best->len;
	if (len <= size)
		memcpy(buf, best->data, len);
	else
		len = 0;
	/* Used or not, a ticket is offered once (RFC 8446 C.4). */
	drop(c, best);
	return len;
}

unsigned int tlsod_scache_count(const struct tlsod_session_cache *c)
{
	return c->count;
}
