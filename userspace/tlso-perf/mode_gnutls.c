// SPDX-License-Identifier: GPL-2.0
/*
 * Mode gnutls: TLS in userspace, all of it GnuTLS in this process, as
 * most programs do it today.
 */
#include <errno.h>

#include "perf.h"

static const char *refuse(const struct perf_params *p, bool keys_set)
{
	(void)keys_set;
	if (p->keys == KEYS_STATIC)
		return "--keys static: GnuTLS takes keys only from a handshake";
	return NULL;
}

static ssize_t send_records(struct conn *c, const void *buf, size_t n)
{
	ssize_t r;

	do {
		r = gnutls_record_send(c->s, buf, n);
	} while (r == GNUTLS_E_INTERRUPTED || r == GNUTLS_E_AGAIN);
	if (r < 0) {
		errno = EPROTO;
		return -1;
	}
	c->rec_tx++;
	return r;
}

static ssize_t recv_records(struct conn *c, void *buf, size_t n, int *gerr)
{
	ssize_t r;

	do {
		r = gnutls_record_recv(c->s, buf, n);
	} while (r == GNUTLS_E_INTERRUPTED);
	if (r < 0) {
		*gerr = r;
		return -1;
	}
	*gerr = 0;
	if (r > 0)
		c->rec_rx++;
	return r;
}

static void bye(struct conn *c)
{
	int r;

	do {
		r = gnutls_bye(c->s, GNUTLS_SHUT_WR);
	} while (r == GNUTLS_E_INTERRUPTED || r == GNUTLS_E_AGAIN);
}

static const struct perf_io session_io = {
	.send = send_records,
	.recv = recv_records,
	.shut_wr = bye,
};

static void records(const struct conn *c, int64_t *tx, int64_t *rx)
{
	*tx = c->rec_tx;
	*rx = c->rec_rx;
}

const struct perf_mode mode_gnutls = {
	.name = "gnutls",
	.tls = true,
	.in_process = true,
	.close_notify = true,
	.refuse = refuse,
	.handshake = gtls_handshake,
	.io = &session_io,
	.records = records,
};
