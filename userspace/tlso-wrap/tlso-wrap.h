/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlso-wrap: TLS through tlso for a program that cannot be changed.  The
 * launcher (main.c) turns its options into rules, passes them in the
 * environment (TLSO_WRAP_ENV) and runs the program with the preloaded
 * library (preload.c), which applies them to connect() and accept().
 * rules.c is what both read and write; see tlso-wrap(1).
 */
#ifndef TLSO_WRAP_H
#define TLSO_WRAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <linux/tlso.h>

#define TLSO_WRAP_ENV		"TLSO_WRAP"
/* Rules one program may have: --connect addresses and --accept ports. */
#define TLSO_WRAP_RULES_MAX	64
/*
 * A non-blocking connect() to a wrapped destination waits this long for
 * TCP inside connect(): tlso attaches only to an established socket.
 */
#define TLSO_WRAP_CONNECT_MS	30000

enum wrap_kind {
	WRAP_CONNECT = 1,	/* connect() to addr:port is a TLS client */
	WRAP_ACCEPT,		/* accept() on a listener on port: a server */
};

struct wrap_rule {
	enum wrap_kind kind;
	int family;		/* WRAP_CONNECT: AF_INET or AF_INET6 */
	unsigned char addr[16];	/* network order, 4 or 16 bytes */
	uint16_t port;		/* host order */
	char name[TLSO_PEER_NAME_SIZE];	/* WRAP_CONNECT: to verify */
};

struct wrap_conf {
	struct wrap_rule rule[TLSO_WRAP_RULES_MAX];
	unsigned int n;
	char profile[TLSO_PROFILE_SIZE];	/* "" for tlsod's default */
	unsigned int timeout_ms;		/* 0: the profile's */
};

/* The environment string of c into buf; -1 when it does not fit. */
int wrap_conf_format(const struct wrap_conf *c, char *buf, size_t size);
/* s into c; -1 with a reason in err when s is not one of ours. */
int wrap_conf_parse(const char *s, struct wrap_conf *c, char *err,
		    size_t errsize);
/* Add a rule; -1 when c is full. */
int wrap_conf_add(struct wrap_conf *c, const struct wrap_rule *r);
/* Whether a name or profile has only the characters rules may carry. */
bool wrap_word_ok(const char *s, bool dots_and_colons);

/* The --connect rule for a destination (IPv4-mapped counts as IPv4). */
const struct wrap_rule *wrap_match_connect(const struct wrap_conf *c,
					   const struct sockaddr *sa,
					   socklen_t len);
/* Whether accept() on a listener bound to port is to be wrapped. */
bool wrap_match_accept(const struct wrap_conf *c, uint16_t port);

#endif /* TLSO_WRAP_H */
