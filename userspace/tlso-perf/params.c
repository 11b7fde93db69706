// SPDX-License-Identifier: GPL-2.0
/*
 * A test's parameters: the names of what it can choose, and the lines
 * that carry them from the client to the server.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/tls.h>

#include "libtlso.h"
#include "perf.h"

const struct perf_cipher ciphers[] = {
	{ TLS_CIPHER_AES_GCM_128, GNUTLS_CIPHER_AES_128_GCM, "AES-128-GCM" },
	{ TLS_CIPHER_AES_GCM_256, GNUTLS_CIPHER_AES_256_GCM, "AES-256-GCM" },
	{ TLS_CIPHER_CHACHA20_POLY1305, GNUTLS_CIPHER_CHACHA20_POLY1305,
	  "CHACHA20-POLY1305" },
	{ TLS_CIPHER_AES_CCM_128, GNUTLS_CIPHER_AES_128_CCM, "AES-128-CCM" },
};
#define NCIPHERS (sizeof(ciphers) / sizeof(ciphers[0]))

const char *const keys_names[2] = { "handshake", "static" };

const char *tls_name(int tls)
{
	return tls == 12 ? "1.2" : "1.3";
}

uint16_t tls_version(int tls)
{
	return tls == 12 ? TLS_1_2_VERSION : TLS_1_3_VERSION;
}

/* A version a handshake agreed on, as tls_name() says it. */
const char *version_name(uint16_t version)
{
	return version == TLS_1_2_VERSION ? "1.2" : "1.3";
}

struct cipher_label cipher_label(uint16_t type)
{
	const char *name = tlso_cipher_name(type);
	struct cipher_label l;
	size_t i;

	snprintf(l.s, sizeof(l.s), "%s", name ? name : "unknown");
	for (i = 0; l.s[i]; i++)
		l.s[i] = tolower((unsigned char)l.s[i]);
	return l;
}

/* The index in ciphers[] of the one cipher_label() calls label, or -1. */
int cipher_index(const char *label)
{
	size_t i;

	for (i = 0; i < NCIPHERS; i++)
		if (!strcmp(cipher_label(ciphers[i].type).s, label))
			return i;
	return -1;
}

const struct perf_cipher *cipher_by_type(uint16_t type)
{
	size_t i;

	for (i = 0; i < NCIPHERS; i++)
		if (ciphers[i].type == type)
			return &ciphers[i];
	return NULL;
}

/* The TLS_CIPHER_* of GnuTLS's alg, 0 for one tlso-perf does not offer. */
uint16_t cipher_from_gnutls(gnutls_cipher_algorithm_t alg)
{
	size_t i;

	for (i = 0; i < NCIPHERS; i++)
		if (ciphers[i].gnutls == alg)
			return ciphers[i].type;
	return 0;
}

int find_name(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

void hex_encode(char *out, const void *in, size_t len)
{
	const unsigned char *p = in;
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static int hex_decode(void *out, size_t size, const char *in)
{
	unsigned char *p = out;
	size_t i, len = strlen(in);
	unsigned int b;

	if (len % 2 || len / 2 > size)
		return -1;
	for (i = 0; i < len / 2; i++) {
		if (sscanf(in + 2 * i, "%2x", &b) != 1)
			return -1;
		p[i] = b;
	}
	return len / 2;
}

int send_params(int fd, const struct perf_params *p)
{
	char k1[2 * sizeof(p->key_c2s) + 1], k2[2 * sizeof(p->key_s2c) + 1];
	int ret;

	hex_encode(k1, &p->key_c2s, sizeof(p->key_c2s));
	hex_encode(k2, &p->key_s2c, sizeof(p->key_s2c));
	ret = send_line(fd, PERF_PROTO) ||
	      send_line(fd, "mode %s", p->mode->name) ||
	      send_line(fd, "tls %d %d", p->tls, p->tls_set) ||
	      send_line(fd, "cipher %u %d", p->cipher, p->cipher_set) ||
	      send_line(fd, "keys %s", keys_names[p->keys]) ||
	      send_line(fd, "streams %u", p->streams) ||
	      send_line(fd, "reverse %d", p->reverse) ||
	      send_line(fd, "rx_only %d", p->rx_only) ||
	      send_line(fd, "len %llu", (unsigned long long)p->len) ||
	      send_line(fd, "seconds %.6f", p->seconds) ||
	      send_line(fd, "bytes %llu", (unsigned long long)p->bytes) ||
	      send_line(fd, "handshakes %u", p->handshakes) ||
	      /* only when asked: a server from before --resume refuses it */
	      (p->resume && send_line(fd, "resume 1")) ||
	      send_line(fd, "sendfile %s", p->sendfile) ||
	      send_line(fd, "cookie %s", p->cookie) ||
	      send_line(fd, "key_c2s %s", k1) ||
	      send_line(fd, "key_s2c %s", k2) ||
	      send_line(fd, "end");
	explicit_bzero(k1, sizeof(k1));
	explicit_bzero(k2, sizeof(k2));
	return ret ? -1 : 0;
}

/* The server's side: after the first line.  NULL, or what is wrong. */
const char *recv_params(int fd, struct perf_params *p)
{
	char line[LINE_MAX_LEN], *val;
	unsigned long long u;
	int i, a, b;

	memset(p, 0, sizeof(*p));
	/* what a client that names no mode has always had */
	p->mode = &mode_plain;
	for (;;) {
		if (read_line(fd, line, sizeof(line)))
			return "the client went away while sending its parameters";
		if (!strcmp(line, "end"))
			break;
		val = strchr(line, ' ');
		if (!val)
			val = line + strlen(line);
		else
			*val++ = '\0';
		if (!strcmp(line, "mode")) {
			p->mode = mode_by_name(val);
			if (!p->mode)
				return "unknown mode";
		} else if (!strcmp(line, "tls") &&
			   sscanf(val, "%d %d", &a, &b) == 2 &&
			   (a == 12 || a == 13)) {
			p->tls = a;
			p->tls_set = b;
		} else if (!strcmp(line, "cipher") &&
			   sscanf(val, "%d %d", &a, &b) == 2 &&
			   a >= 0 && (size_t)a < NCIPHERS) {
			p->cipher = a;
			p->cipher_set = b;
		} else if (!strcmp(line, "keys")) {
			i = find_name(keys_names, 2, val);
			if (i < 0)
				return "unknown keys";
			p->keys = i;
		} else if (!strcmp(line, "streams") && sscanf(val, "%llu", &u) == 1 &&
			   u >= 1 && u <= MAX_STREAMS) {
			p->streams = u;
		} else if (!strcmp(line, "reverse")) {
			p->reverse = atoi(val);
		} else if (!strcmp(line, "rx_only")) {
			p->rx_only = atoi(val);
		} else if (!strcmp(line, "len") && sscanf(val, "%llu", &u) == 1 &&
			   u >= 1 && u <= MAX_LEN) {
			p->len = u;
		} else if (!strcmp(line, "seconds")) {
			p->seconds = atof(val);
		} else if (!strcmp(line, "bytes") && sscanf(val, "%llu", &u) == 1) {
			p->bytes = u;
		} else if (!strcmp(line, "handshakes") && sscanf(val, "%llu", &u) == 1) {
			p->handshakes = u;
		} else if (!strcmp(line, "resume")) {
			p->resume = atoi(val);
		} else if (!strcmp(line, "sendfile")) {
			snprintf(p->sendfile, sizeof(p->sendfile), "%s", val);
		} else if (!strcmp(line, "profile")) {
			/* earlier clients sent their own: not ours */
		} else if (!strcmp(line, "cookie")) {
			snprintf(p->cookie, sizeof(p->cookie), "%s", val);
		} else if (!strcmp(line, "key_c2s")) {
			if (hex_decode(&p->key_c2s, sizeof(p->key_c2s), val) < 0)
				return "bad key_c2s";
		} else if (!strcmp(line, "key_s2c")) {
			if (hex_decode(&p->key_s2c, sizeof(p->key_s2c), val) < 0)
				return "bad key_s2c";
		} else {
			return "a parameter this server does not understand";
		}
		explicit_bzero(line, sizeof(line));
	}
	if (!p->streams || !p->len || !p->cookie[0] || !p->tls)
		return "parameters missing";
	if (p->resume && !p->handshakes)
		return "resume without handshakes";
	return NULL;
}
