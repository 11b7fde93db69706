// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of userspace/tlso-wrap/rules.c: the rules tlso-wrap
 * passes its preloaded library in the environment, written and read back
 * whole, matched as connect() and accept() see addresses (IPv4-mapped
 * IPv6 as IPv4), and refused when the environment holds anything else
 * -- it is the user's to change.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "tlso-wrap.h"

static struct wrap_rule connect_rule(int family, const char *addr,
				     uint16_t port, const char *name)
{
	struct wrap_rule r = { .kind = WRAP_CONNECT, .family = family,
			       .port = port };

	inet_pton(family, addr, r.addr);
	snprintf(r.name, sizeof(r.name), "%s", name);
	return r;
}

TEST(format_and_parse_round_trip)
{
	static struct wrap_conf c, back;
	struct wrap_rule r;
	char buf[4096], err[256];

	snprintf(c.profile, sizeof(c.profile), "server");
	c.timeout_ms = 5000;
	r = connect_rule(AF_INET, "10.1.2.3", 443, "example.org");
	ASSERT_EQ(wrap_conf_add(&c, &r), 0);
	r = connect_rule(AF_INET6, "2001:db8::1", 8443, "2001:db8::1");
	ASSERT_EQ(wrap_conf_add(&c, &r), 0);
	r = (struct wrap_rule){ .kind = WRAP_ACCEPT, .port = 993 };
	ASSERT_EQ(wrap_conf_add(&c, &r), 0);
	ASSERT_EQ(wrap_conf_format(&c, buf, sizeof(buf)), 0);
	EXPECT_STREQ(buf, "p=server;t=5000;c=10.1.2.3,443,example.org;"
			  "c=2001:db8::1,8443,2001:db8::1;a=993");
	ASSERT_EQ(wrap_conf_parse(buf, &back, err, sizeof(err)), 0);
	EXPECT_EQ(memcmp(&c, &back, sizeof(c)), 0);
	/* too small a buffer is refused, not cut */
	EXPECT_EQ(wrap_conf_format(&c, buf, 20), -1);
}

TEST(parse_refuses_what_is_not_ours)
{
	static const char *const bad[] = {
		"x=1", "p=a,b", "p=a b", "p=0123456789012345678901234567890123456789012345678901234567890123",
		"t=-1", "t=120001", "t=1x", "c=1.2.3.4,443", "c=1.2.3.4,0,n",
		"c=1.2.3.4,65536,n", "c=1.2.3.4,443,a;b", "c=host,443,n",
		"c=1.2.3.4,443,na me", "a=0", "a=-1", "a=+5", "a=65536", "a=",
	};
	static struct wrap_conf c;
	char err[256], many[8192];
	size_t i, off = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(wrap_conf_parse(bad[i], &c, err, sizeof(err)), -1);
		EXPECT_NE(strstr(err, "TLSO_WRAP"), NULL);
	}
	/* TLSO_WRAP_RULES_MAX rules, and one more */
	for (i = 0; i < TLSO_WRAP_RULES_MAX; i++)
		off += snprintf(many + off, sizeof(many) - off, "a=%zu;",
				i + 1);
	EXPECT_EQ(wrap_conf_parse(many, &c, err, sizeof(err)), 0);
	EXPECT_EQ(c.n, TLSO_WRAP_RULES_MAX);
	snprintf(many + off, sizeof(many) - off, "a=9999");
	EXPECT_EQ(wrap_conf_parse(many, &c, err, sizeof(err)), -1);
}

TEST(connect_matches_address_and_port)
{
	static struct wrap_conf c;
	struct wrap_rule r = connect_rule(AF_INET, "127.0.0.1", 8080, "n");
	struct sockaddr_in in = { .sin_family = AF_INET,
				  .sin_port = htons(8080) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6,
				    .sin6_port = htons(8080) };
	struct sockaddr sa = { .sa_family = AF_UNIX };

	ASSERT_EQ(wrap_conf_add(&c, &r), 0);
	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	EXPECT_TRUE(wrap_match_connect(&c, (void *)&in, sizeof(in)) == &c.rule[0]);
	/* a short address is no address */
	EXPECT_TRUE(wrap_match_connect(&c, (void *)&in, sizeof(in) - 1) == NULL);
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &in6.sin6_addr);
	EXPECT_TRUE(wrap_match_connect(&c, (void *)&in6, sizeof(in6)) == &c.rule[0]);
	inet_pton(AF_INET6, "::1", &in6.sin6_addr);
	EXPECT_TRUE(wrap_match_connect(&c, (void *)&in6, sizeof(in6)) == NULL);
	in.sin_port = htons(8081);
	EXPECT_TRUE(wrap_match_connect(&c, (void *)&in, sizeof(in)) == NULL);
	inet_pton(AF_INET, "127.0.0.2", &in.sin_addr);
	in.sin_port = htons(8080);
	EXPECT_TRUE(wrap_match_connect(&c, (void *)&in, sizeof(in)) == NULL);
	EXPECT_TRUE(wrap_match_connect(&c, &sa, sizeof(sa)) == NULL);
	EXPECT_FALSE(wrap_match_accept(&c, 8080));
	r = (struct wrap_rule){ .kind = WRAP_ACCEPT, .port = 8080 };
	ASSERT_EQ(wrap_conf_add(&c, &r), 0);
	EXPECT_TRUE(wrap_match_accept(&c, 8080));
	EXPECT_FALSE(wrap_match_accept(&c, 80));
}

TEST_HARNESS_MAIN
