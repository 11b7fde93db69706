// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of userspace/tlsod/session_cache.c, tlsod's cache of
 * client sessions to resume: each session handed out once, the newest
 * first, never past its time, and the bounds (TLSOD_SESSION_CACHE_MAX,
 * TLSOD_SESSIONS_PER_PEER, TLSOD_SESSION_TTL_MAX_S) hit and held.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "session_cache.h"

static struct tlsod_peer_key key(const char *profile, const char *name,
				 unsigned int port)
{
	struct tlsod_peer_key k;

	memset(&k, 0, sizeof(k));
	snprintf(k.profile, sizeof(k.profile), "%s", profile);
	snprintf(k.peer_name, sizeof(k.peer_name), "%s", name);
	k.addr[15] = 1;
	k.port = port;
	return k;
}

/* A session whose bytes say which it is. */
static int put(struct tlsod_session_cache *c, const struct tlsod_peer_key *k,
	       unsigned int n, uint32_t ttl, int64_t now)
{
	char s[32];

	snprintf(s, sizeof(s), "session %u", n);
	return tlsod_scache_put(c, k, s, strlen(s) + 1, ttl, now);
}

/* The number in the session taken for k, or -1 for none. */
static int take(struct tlsod_session_cache *c, const struct tlsod_peer_key *k,
		int64_t now)
{
	char buf[64];
	unsigned int n;
	size_t len = tlsod_scache_take(c, k, buf, sizeof(buf), now);

	if (!len)
		return -1;
	if (sscanf(buf, "session %u", &n) != 1)
		return -2;
	return n;
}

TEST(each_session_is_taken_once_newest_first)
{
	struct tlsod_session_cache *c = tlsod_scache_new();
	struct tlsod_peer_key a = key("default", "a.test", 443);

	ASSERT_TRUE(c != NULL);
	ASSERT_EQ(put(c, &a, 1, 60, 1000), 0);
	ASSERT_EQ(put(c, &a, 2, 60, 1000), 0);
	EXPECT_EQ(tlsod_scache_count(c), 2U);
	EXPECT_EQ(take(c, &a, 1001), 2);
	EXPECT_EQ(take(c, &a, 1001), 1);
	EXPECT_EQ(take(c, &a, 1001), -1);
	EXPECT_EQ(tlsod_scache_count(c), 0U);
	tlsod_scache_free(c);
}

/* Profile, name, address and port all tell peers apart. */
TEST(sessions_are_kept_per_profile_name_and_address)
{
	struct tlsod_session_cache *c = tlsod_scache_new();
	struct tlsod_peer_key a = key("default", "a.test", 443);
	struct tlsod_peer_key other_profile = key("admin", "a.test", 443);
	struct tlsod_peer_key other_name = key("default", "b.test", 443);
	struct tlsod_peer_key other_port = key("default", "a.test", 8443);
	struct tlsod_peer_key other_addr = a;

	other_addr.addr[15] = 2;
	ASSERT_EQ(put(c, &a, 7, 60, 0), 0);
	EXPECT_EQ(take(c, &other_profile, 0), -1);
	EXPECT_EQ(take(c, &other_name, 0), -1);
	EXPECT_EQ(take(c, &other_port, 0), -1);
	EXPECT_EQ(take(c, &other_addr, 0), -1);
	EXPECT_EQ(take(c, &a, 0), 7);
	tlsod_scache_free(c);
}

TEST(a_session_is_not_given_past_its_time)
{
	struct tlsod_session_cache *c = tlsod_scache_new();
	struct tlsod_peer_key a = key("default", "a.test", 443);

	ASSERT_EQ(put(c, &a, 1, 10, 100), 0);
	EXPECT_EQ(take(c, &a, 110), -1);
	EXPECT_EQ(tlsod_scache_count(c), 0U);
	ASSERT_EQ(put(c, &a, 2, 10, 100), 0);
	EXPECT_EQ(take(c, &a, 109), 2);
	tlsod_scache_free(c);
}

/* A ticket's week-long lifetime is cut to TLSOD_SESSION_TTL_MAX_S. */
TEST(a_lifetime_past_the_cap_is_cut)
{
	struct tlsod_session_cache *c = tlsod_scache_new();
	struct tlsod_peer_key a = key("default", "a.test", 443);

	ASSERT_EQ(put(c, &a, 1, 604800, 0), 0);
	EXPECT_EQ(take(c, &a, TLSOD_SESSION_TTL_MAX_S), -1);
	ASSERT_EQ(put(c, &a, 2, 604800, 0), 0);
	EXPECT_EQ(take(c, &a, TLSOD_SESSION_TTL_MAX_S - 1), 2);
	tlsod_scache_free(c);
}

TEST(nothing_empty_or_timeless_is_kept)
{
	struct tlsod_session_cache *c = tlsod_scache_new();
	struct tlsod_peer_key a = key("default", "a.test", 443);

	EXPECT_EQ(tlsod_scache_put(c, &a, "x", 0, 60, 0), -1);
	EXPECT_EQ(put(c, &a, 1, 0, 0), -1);
	EXPECT_EQ(tlsod_scache_count(c), 0U);
	tlsod_scache_free(c);
}

/* Servers send two tickets a connection: one peer cannot crowd out all. */
TEST(one_peer_keeps_at_most_its_share)
{
	struct tlsod_session_cache *c = tlsod_scache_new();
	struct tlsod_peer_key a = key("default", "a.test", 443);
	unsigned int i;

	for (i = 0; i < TLSOD_SESSIONS_PER_PEER + 3; i++)
		ASSERT_EQ(put(c, &a, i, 60, 0), 0);
	EXPECT_EQ(tlsod_scache_count(c), (unsigned int)TLSOD_SESSIONS_PER_PEER);
	/* the newest stayed */
	for (i = TLSOD_SESSIONS_PER_PEER + 3; i-- > 3;)
		EXPECT_EQ(take(c, &a, 0), (int)i);
	EXPECT_EQ(take(c, &a, 0), -1);
	tlsod_scache_free(c);
}

TEST(the_cache_holds_its_bound_and_drops_the_oldest)
{
	struct tlsod_session_cache *c = tlsod_scache_new();
	struct tlsod_peer_key k;
	unsigned int i;

	for (i = 0; i < TLSOD_SESSION_CACHE_MAX + 10; i++) {
		k = key("default", "peer.test", i);
		ASSERT_EQ(put(c, &k, i, 7200, i), 0);
	}
	EXPECT_EQ(tlsod_scache_count(c), (unsigned int)TLSOD_SESSION_CACHE_MAX);
	for (i = 0; i < 10; i++) {
		k = key("default", "peer.test", i);
		EXPECT_EQ(take(c, &k, 40), -1);
	}
	k = key("default", "peer.test", 10);
	EXPECT_EQ(take(c, &k, 40), 10);
	k = key("default", "peer.test", TLSOD_SESSION_CACHE_MAX + 9);
	EXPECT_EQ(take(c, &k, 40), TLSOD_SESSION_CACHE_MAX + 9);
	tlsod_scache_free(c);
}

/* Too large for the caller's buffer: not handed out, and gone all the same. */
TEST(a_session_too_large_for_the_buffer_is_dropped)
{
	struct tlsod_session_cache *c = tlsod_scache_new();
	struct tlsod_peer_key a = key("default", "a.test", 443);
	char big[100], buf[10];

	memset(big, 'x', sizeof(big));
	ASSERT_EQ(tlsod_scache_put(c, &a, big, sizeof(big), 60, 0), 0);
	EXPECT_EQ(tlsod_scache_take(c, &a, buf, sizeof(buf), 0), 0U);
	EXPECT_EQ(tlsod_scache_count(c), 0U);
	tlsod_scache_free(c);
}

TEST(clear_drops_every_session)
{
	struct tlsod_session_cache *c = tlsod_scache_new();
	struct tlsod_peer_key a = key("default", "a.test", 443);
	struct tlsod_peer_key b = key("default", "b.test", 443);

	ASSERT_EQ(put(c, &a, 1, 60, 0), 0);
	ASSERT_EQ(put(c, &b, 2, 60, 0), 0);
	tlsod_scache_clear(c);
	EXPECT_EQ(tlsod_scache_count(c), 0U);
	EXPECT_EQ(take(c, &a, 0), -1);
	EXPECT_EQ(take(c, &b, 0), -1);
	tlsod_scache_free(c);
}

TEST_HARNESS_MAIN
