// SPDX-License-Identifier: GPL-2.0
/*
 * Mode ktls: the kernel's own TLS, the reference tlso is held to; the
 * handshake by GnuTLS in this process (or the keys given), the records
 * by the kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "perf.h"

static int attach(struct conn *c, char *err, size_t errlen)
{
	if (!setsockopt(c->fd, SOL_TCP, TCP_ULP, "tls", 3))
		return 0;
	snprintf(err, errlen, "attaching kTLS: %s", errno == ENOENT ?
		 "the kernel's tls module is not loaded (modprobe tls)" :
		 strerror(errno));
	return -1;
}

/* A handshake in this process, then both ways' keys into the kernel. */
static int handshake(struct conn *c, const struct perf_params *p, char *err,
		     size_t errlen)
{
	union tlso_crypto_info ci;
	unsigned int read;
	socklen_t len;
	int ret;

	if (gtls_handshake(c, p, err, errlen))
		return -1;
	for (read = 0; read < 2; read++) {
		if (gtls_export(c, read, &ci, &len, err, errlen))
			return -1;
		ret = setsockopt(c->fd, SOL_TLS, read ? TLS_RX : TLS_TX, &ci,
				 len);
		explicit_bzero(&ci, sizeof(ci));
		if (ret < 0) {
			snprintf(err, errlen, "setsockopt(SOL_TLS, %s): %s",
				 read ? "TLS_RX" : "TLS_TX", strerror(errno));
			return -1;
		}
	}
	gnutls_deinit(c->s);
	c->s = NULL;
	return 0;
}

const struct perf_mode mode_ktls = {
	.name = "ktls",
	.tls = true,
	.in_process = true,
	.attach = attach,
	.install = kernel_install,
	.handshake = handshake,
	.io = &sock_io,
};
