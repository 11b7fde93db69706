// SPDX-License-Identifier: GPL-2.0
/*
 * The modes tlso-perf measures, by name, and the operations several of
 * them share: data straight on the socket, keys into the kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cipher.h"
#include "perf.h"

static const struct perf_mode *const modes[] = {
	&mode_plain, &mode_tlso, &mode_ktls, &mode_gnutls,
};

const struct perf_mode *mode_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(modes[i]->name, name))
			return modes[i];
	return NULL;
}

static ssize_t sock_send(struct conn *c, const void *buf, size_t n)
{
	return send(c->fd, buf, n, MSG_NOSIGNAL);
}

static ssize_t sock_recv(struct conn *c, void *buf, size_t n, int *gerr)
{
	ssize_t r;

	*gerr = 0;
	do {
		r = recv(c->fd, buf, n, 0);
	} while (r < 0 && errno == EINTR);
	return r;
}

static void sock_shut_wr(struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
}

const struct perf_io sock_io = {
	.sendfile = true,
	.send = sock_send,
	.recv = sock_recv,
	.shut_wr = sock_shut_wr,
};

static socklen_t info_size(const union tlso_crypto_info *ci)
{
	const struct tlso_cipher *c = tlso_cipher_find(ci->info.cipher_type);

	return c ? c->info_size : 0;
}

/* Both directions' keys into the kernel's TLS on c's socket. */
int kernel_install(struct conn *c, const union tlso_crypto_info *tx,
		   const union tlso_crypto_info *rx, char *err, size_t errlen)
{
	if (setsockopt(c->fd, SOL_TLS, TLS_TX, tx, info_size(tx)) ||
	    setsockopt(c->fd, SOL_TLS, TLS_RX, rx, info_size(rx))) {
		snprintf(err, errlen, "installing keys: %s", strerror(errno));
		return -1;
	}
	return 0;
}
