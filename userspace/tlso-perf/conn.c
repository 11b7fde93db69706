// SPDX-License-Identifier: GPL-2.0
/*
 * One data connection: TLS set up on it as the test's mode says, checked
 * against what was asked, counted and closed.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "perf.h"

/*
 * --rx-only's sending end builds its records itself, in any mode with
 * TLS: it takes the keys and leaves the socket as it is.
 */
static bool raw_sender(const struct perf_params *p, bool sender)
{
	return p->rx_only && sender && p->mode->tls;
}

/*
 * Whether this end (the client, or the server) does its handshakes with
 * GnuTLS in the process, and so needs its certificates: as conn_setup()
 * decides below.
 */
bool in_process_handshake(const struct perf_params *p, bool client)
{
	bool sender = client != p->reverse;

	return p->keys == KEYS_HANDSHAKE &&
	       (p->mode->in_process || raw_sender(p, sender));
}

/* The keys of --keys static this end sends with, and receives with. */
static void static_keys(const struct conn *c, const struct perf_params *p,
			const union tlso_crypto_info **tx,
			const union tlso_crypto_info **rx)
{
	*tx = c->client ? &p->key_c2s : &p->key_s2c;
	*rx = c->client ? &p->key_s2c : &p->key_c2s;
}

static int raw_setup(struct conn *c, const struct perf_params *p, char *err,
		     size_t errlen)
{
	const union tlso_crypto_info *tx, *rx;
	socklen_t len;
	int ret;

	if (p->keys == KEYS_STATIC) {
		static_keys(c, p, &tx, &rx);
		c->tx = *tx;
		return 0;
	}
	if (gtls_handshake(c, p, err, errlen))
		return -1;
	ret = gtls_export(c, 0, &c->tx, &len, err, errlen);
	gnutls_deinit(c->s);
	c->s = NULL;
	return ret;
}

/*
 * Set up TLS on a connected data socket as p's mode says; sender tells
 * whether this end sends (it matters only to --rx-only, whose sending
 * end keeps its keys to build records with instead of giving them to a
 * kernel).  0, or -1 with the reason in err.
 */
int conn_setup(struct conn *c, const struct perf_params *p, bool sender,
	       char *err, size_t errlen)
{
	const struct perf_mode *m = p->mode;
	const union tlso_crypto_info *tx, *rx;

	c->raw = raw_sender(p, sender);
	/* a raw sender writes its records straight on the socket */
	c->io = c->raw ? &sock_io : m->io;
	if (c->raw)
		return raw_setup(c, p, err, errlen);
	if (m->attach && m->attach(c, err, errlen))
		return -1;
	if (p->keys == KEYS_STATIC && m->install) {
		static_keys(c, p, &tx, &rx);
		if (m->install(c, tx, rx, err, errlen))
			return -1;
		c->version = tx->info.version;
		c->cipher = tx->info.cipher_type;
		return 0;
	}
	return m->handshake ? m->handshake(c, p, err, errlen) : 0;
}

/*
 * A handshake through tlsod picks what the profiles allow; measuring
 * something other than what was asked would mislead.
 */
int check_negotiated(const struct conn *c, const struct perf_params *p,
		     char *err, size_t errlen)
{
	if (!p->mode->tls || (c->raw && p->keys == KEYS_STATIC))
		return 0;
	if (p->tls_set && c->version != tls_version(p->tls)) {
		snprintf(err, errlen,
			 "the handshake agreed on TLS %s, not the %s asked for",
			 version_name(c->version), tls_name(p->tls));
		return -1;
	}
	if (p->cipher_set && c->cipher != ciphers[p->cipher].type) {
		snprintf(err, errlen,
			 "the handshake agreed on %s, not the %s asked for",
			 cipher_label(c->cipher).s,
			 cipher_label(ciphers[p->cipher].type).s);
		return -1;
	}
	return 0;
}

/* Records this socket sent and received: -1 each when nobody counts. */
void conn_records(const struct conn *c, const struct perf_mode *m,
		  int64_t *tx, int64_t *rx)
{
	*tx = *rx = -1;
	if (c->raw) {
		*tx = c->rec_tx;
		*rx = c->rec_rx;
	} else if (m->records) {
		m->records(c, tx, rx);
	}
}

void conn_close(struct conn *c)
{
	if (c->s)
		gnutls_deinit(c->s);
	c->s = NULL;
	explicit_bzero(&c->tx, sizeof(c->tx));
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
