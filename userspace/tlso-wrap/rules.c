// SPDX-License-Identifier: GPL-2.0
/*
 * tlso-wrap: the rules, written by the launcher into the environment and
 * read by the preloaded library, which trusts nothing it did not check:
 * the environment is the user's to change.
 *
 *	p=PROFILE;t=MS;c=ADDR,PORT,NAME;...;a=PORT;...
 *
 * ADDR numeric (inet_pton), PORT decimal, NAME and PROFILE from a small
 * alphabet, so that ';' and ',' never occur inside a field.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlso-wrap.h"

bool wrap_word_ok(const char *s, bool dots_and_colons)
{
	for (; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    *s == '.' || (dots_and_colons && *s == ':'))
			continue;
		return false;
	}
	return true;
}

int wrap_conf_add(struct wrap_conf *c, const struct wrap_rule *r)
{
	if (c->n >= TLSO_WRAP_RULES_MAX)
		return -1;
	c->rule[c->n++] = *r;
	return 0;
}

int wrap_conf_format(const struct wrap_conf *c, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];
	size_t off;
	unsigned int i;
	int n;

	n = snprintf(buf, size, "p=%s;t=%u", c->profile, c->timeout_ms);
	if (n < 0 || (size_t)n >= size)
		return -1;
	off = n;
	for (i = 0; i < c->n; i++) {
		const struct wrap_rule *r = &c->rule[i];

		if (r->kind == WRAP_CONNECT) {
			if (!inet_ntop(r->family, r->addr, a, sizeof(a)))
				return -1;
			n = snprintf(buf + off, size - off, ";c=%s,%u,%s", a,
				     r->port, r->name);
		} else {
			n = snprintf(buf + off, size - off, ";a=%u", r->port);
		}
		if (n < 0 || (size_t)n >= size - off)
			return -1;
		off += n;
	}
	return 0;
}

static int port_of(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (end == s || *end || errno || *s == '-' || *s == '+' || !v ||
	    v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* One "c=ADDR,PORT,NAME" field's value, modified in place. */
static int parse_connect(char *v, struct wrap_rule *r)
{
	char *port = strchr(v, ','), *name;

	if (!port)
		return -1;
	*port++ = 0;
	name = strchr(port, ',');
	if (!name)
		return -1;
	*name++ = 0;
	r->kind = WRAP_CONNECT;
	if (inet_pton(AF_INET, v, r->addr) == 1)
		r->family = AF_INET;
	else if (inet_pton(AF_INET6, v, r->addr) == 1)
		r->family = AF_INET6;
	else
		return -1;
	if (port_of(port, &r->port) || !wrap_word_ok(name, true) ||
	    strlen(name) >= sizeof(r->name))
		return -1;
	strcpy(r->name, name);
	return 0;
}

int wrap_conf_parse(const char *s, struct wrap_conf *c, char *err,
		    size_t errsize)
{
	char *copy = strdup(s), *field, *save = NULL, *end;
	char shown[65];		/* the field as it came, for the message */
	struct wrap_rule r;
	unsigned long t;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	if (!copy) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	for (field = strtok_r(copy, ";", &save); field;
	     field = strtok_r(NULL, ";", &save)) {
		memset(&r, 0, sizeof(r));
		snprintf(shown, sizeof(shown), "%s", field);
		if (!strncmp(field, "p=", 2)) {
			if (!wrap_word_ok(field + 2, false) ||
			    strlen(field + 2) >= sizeof(c->profile))
				goto bad;
			strcpy(c->profile, field + 2);
		} else if (!strncmp(field, "t=", 2)) {
			errno = 0;
			t = strtoul(field + 2, &end, 10);
			if (end == field + 2 || *end || errno ||
			    field[2] == '-' || t > 120000)
				goto bad;
			c->timeout_ms = t;
		} else if (!strncmp(field, "c=", 2)) {
			if (parse_connect(field + 2, &r) ||
			    wrap_conf_add(c, &r))
				goto bad;
		} else if (!strncmp(field, "a=", 2)) {
			r.kind = WRAP_ACCEPT;
			if (port_of(field + 2, &r.port) || wrap_conf_add(c, &r))
				goto bad;
		} else {
			goto bad;
		}
	}
	ret = 0;
	goto out;
bad:
	snprintf(err, errsize, "%s: a field that is not one of tlso-wrap's "
		 "(or past %d rules): '%s'", TLSO_WRAP_ENV,
		 TLSO_WRAP_RULES_MAX, shown);
out:
	free(copy);
	return ret;
}

const struct wrap_rule *wrap_match_connect(const struct wrap_conf *c,
					   const struct sockaddr *sa,
					   socklen_t len)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
	};
	const unsigned char *addr;
	unsigned int i;
	uint16_t port;
	int family;

	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		family = AF_INET;
		addr = (const unsigned char *)&in->sin_addr;
		port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6 &&
		   len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		family = AF_INET6;
		addr = in6->sin6_addr.s6_addr;
		port = ntohs(in6->sin6_port);
		if (!memcmp(addr, mapped, sizeof(mapped))) {
			family = AF_INET;
			addr += sizeof(mapped);
		}
	} else {
		return NULL;
	}
	for (i = 0; i < c->n; i++) {
		const struct wrap_rule *r = &c->rule[i];

		if (r->kind == WRAP_CONNECT && r->family == family &&
		    r->port == port &&
		    !memcmp(r->addr, addr, family == AF_INET ? 4 : 16))
			return r;
	}
	return NULL;
}

bool wrap_match_accept(const struct wrap_conf *c, uint16_t port)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		if (c->rule[i].kind == WRAP_ACCEPT && c->rule[i].port == port)
			return true;
	return false;
}
