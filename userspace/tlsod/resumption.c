// SPDX-License-Identifier: GPL-2.0
/*
 * Resumption, the worker's side (resumption.h).  A TLS 1.3 ticket that
 * the kernel took off the wire reaches GnuTLS through its QUIC interface
 * (gnutls_handshake_write() at the application level): the message goes
 * into the finished session as if its record layer had read it, and
 * gnutls_session_get_data2() then has a session that can be resumed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "resumption.h"

struct held {
	uint64_t id;
	gnutls_session_t s;	/* NULL: a free slot */
	gnutls_psk_client_credentials_t psk;
	struct tlsod_peer_key key;
	int64_t until_ms;
	unsigned int tickets;
};

static struct held held[TLSOD_HELD_MAX];

void tlsod_peer_key_of(struct tlsod_peer_key *key,
		       const struct tlsod_request *req, const char *profile,
		       int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(key, 0, sizeof(*key));
	strncpy(key->profile, profile, sizeof(key->profile) - 1);
	memcpy(key->peer_name, req->peer_name, sizeof(key->peer_name));
	key->peer_name[sizeof(key->peer_name) - 1] = '\0';
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&ss;

		key->addr[10] = 0xff;
		key->addr[11] = 0xff;
		memcpy(key->addr + 12, &sin->sin_addr, 4);
		key->port = ntohs(sin->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)&ss;

		memcpy(key->addr, &sin6->sin6_addr, 16);
		key->port = ntohs(sin6->sin6_port);
	}
}

void tlsod_resume_offer(gnutls_session_t s, const struct tlsod_peer_key *key)
{
	struct tlsod_msg m;
	int ret;

	m.h = (struct tlsod_msg_hdr){ .type = TLSOD_MSG_SESSION_TAKE,
				      .len = sizeof(*key) };
	memcpy(m.data, key, sizeof(*key));
	if (tlsod_parent_call(&m) || m.h.status || !m.h.len)
		return;
	ret = gnutls_session_set_data(s, m.data, m.h.len);
	explicit_bzero(m.data, m.h.len);
	if (ret < 0)
		log_debug("a cached session would not load: %s",
			  gnutls_strerror(ret));
}

/* The session as it now stands, to the parent's cache for ttl_s. */
static void save(gnutls_session_t s, const struct tlsod_peer_key *key,
		 uint32_t ttl_s)
{
	gnutls_datum_t d = { NULL, 0 };
	struct tlsod_msg m;
	int ret;

	ret = gnutls_session_get_data2(s, &d);
	if (ret < 0 || !d.size) {
		log_debug("no session to keep: %s",
			  ret < 0 ? gnutls_strerror(ret) : "no ticket");
		gnutls_free(d.data);
		return;
	}
	if (d.size > sizeof(m.data) - sizeof(*key)) {
		log_debug("a session of %u bytes is too large to keep",
			  d.size);
	} else {
		m.h = (struct tlsod_msg_hdr){
			.type = TLSOD_MSG_SESSION_PUT, .flags = ttl_s,
			.len = sizeof(*key) + d.size,
		};
		memcpy(m.data, key, sizeof(*key));
		memcpy(m.data + sizeof(*key), d.data, d.size);
		if (!tlsod_parent_send(&m))
			log_debug("a session to resume kept (%u bytes, %u s)",
				  d.size, ttl_s);
		explicit_bzero(m.data, m.h.len);
	}
	gnutls_memset(d.data, 0, d.size);
	gnutls_free(d.data);
}

void tlsod_resume_save(gnutls_session_t s, const struct tlsod_peer_key *key)
{
	/* GnuTLS keeps its own expiry in the data; this is the cache's. */
	save(s, key, TLSOD_SESSION_TTL_MAX_S);
}

static void release(struct held *h)
{
	gnutls_deinit(h->s);
	if (h->psk)
		gnutls_psk_free_client_credentials(h->psk);
	memset(h, 0, sizeof(*h));
}

/* Handshake messages GnuTLS would send: after a ticket there are none. */
static int no_output(gnutls_session_t s, gnutls_record_encryption_level_t l,
		     gnutls_handshake_description_t t, const void *d,
		     size_t n)
{
	(void)s, (void)l, (void)t, (void)d, (void)n;
	return 0;
}

static int no_keylog(gnutls_session_t s, const char *label,
		     const gnutls_datum_t *secret)
{
	(void)s, (void)label, (void)secret;
	return 0;
}

void tlsod_resume_hold(uint64_t id, gnutls_session_t s,
		       gnutls_psk_client_credentials_t psk,
		       const struct tlsod_peer_key *key)
{
	struct held *h = NULL;
	struct tlsod_msg m;
	unsigned int i;

	/* A free slot, else the oldest, which gives way. */
	for (i = 0; i < TLSOD_HELD_MAX && (!h || h->s); i++)
		if (!h || !held[i].s || held[i].until_ms < h->until_ms)
			h = &held[i];
	if (h->s)
		release(h);
	/* What pointed into the finished handshake's frame must go. */
	gnutls_session_set_ptr(s, NULL);
	gnutls_handshake_set_hook_function(s, GNUTLS_HANDSHAKE_ANY,
					   GNUTLS_HOOK_BOTH, NULL);
	gnutls_session_set_keylog_function(s, no_keylog);
	gnutls_handshake_set_read_function(s, no_output);
	gnutls_transport_set_int(s, -1);
	*h = (struct held){ .id = id, .s = s, .psk = psk, .key = *key,
			    .until_ms = tlsod_now_ms() + TLSOD_TICKET_WAIT_MS };
	m.h = (struct tlsod_msg_hdr){ .type = TLSOD_MSG_HOLD,
				      .len = sizeof(id) };
	memcpy(m.data, &id, sizeof(id));
	if (tlsod_parent_send(&m))
		release(h);
}

void tlsod_resume_ticket(const struct tlsod_msg *m)
{
	const unsigned char *msg = m->data + sizeof(uint64_t);
	size_t len = m->h.len - sizeof(uint64_t);
	struct held *h = NULL;
	uint32_t lifetime;
	uint64_t id;
	unsigned int i;
	int ret;

	/* The parent checked the kernel's message; this is the kernel's. */
	if (m->h.len < sizeof(id) + 8)
		return;
	memcpy(&id, m->data, sizeof(id));
	for (i = 0; i < TLSOD_HELD_MAX; i++)
		if (held[i].s && held[i].id == id)
			h = &held[i];
	if (!h)
		return;
	lifetime = (uint32_t)msg[4] << 24 | msg[5] << 16 | msg[6] << 8 |
		   msg[7];
	ret = gnutls_handshake_write(h->s, GNUTLS_ENCRYPTION_LEVEL_APPLICATION,
				     msg, len);
	if (ret < 0) {
		log_debug("request %llu: a session ticket GnuTLS refused: %s",
			  (unsigned long long)id, gnutls_strerror(ret));
		release(h);
		return;
	}
	if (lifetime)
		save(h->s, &h->key, lifetime);
	if (++h->tickets >= TLSO_TICKETS_MAX) {
		release(h);
		return;
	}
	/* The rest of a server's tickets come with the first. */
	if (h->until_ms > tlsod_now_ms() + TLSOD_TICKET_MORE_MS)
		h->until_ms = tlsod_now_ms() + TLSOD_TICKET_MORE_MS;
}

int tlsod_resume_wait_ms(void)
{
	int64_t now = tlsod_now_ms(), last = -1;
	unsigned int i;

	for (i = 0; i < TLSOD_HELD_MAX; i++) {
		if (!held[i].s)
			continue;
		if (held[i].until_ms <= now)
			release(&held[i]);
		else if (held[i].until_ms > last)
			last = held[i].until_ms;
	}
	return last < 0 ? -1 : (int)(last - now);
}
