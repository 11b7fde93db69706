// SPDX-License-Identifier: GPL-2.0
/*
 * Mode tlso: tlso attached to the socket, the handshake done by tlsod
 * (or the keys given), the records made by the module.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>

#include "libtlso.h"
#include "perf.h"

static int attach(struct conn *c, char *err, size_t errlen)
{
	if (!tlso_attach(c->fd))
		return 0;
	snprintf(err, errlen, "attaching tlso: %s", tlso_strerror(errno));
	return -1;
}

static int handshake(struct conn *c, const struct perf_params *p, char *err,
		     size_t errlen)
{
	struct tlso_handshake_opts o = {
		.role = c->client ? TLSO_ROLE_CLIENT : TLSO_ROLE_SERVER,
		.peer_name = c->client ? p->name : NULL,
		.profile = p->profile,
	};
	struct tlso_handshake_status st;

	if (tlso_handshake(c->fd, &o) || tlso_handshake_status(c->fd, &st)) {
		snprintf(err, errlen, "handshake through tlsod: %s",
			 tlso_strerror(errno));
		return -1;
	}
	c->version = st.version;
	c->cipher = st.cipher;
	/*
	 * tlsod resumes on its own whenever its profile and ticket cache
	 * allow, asked or not: only the flag tells which kind this was.  A
	 * module from before the flag writes none, and a zero reads as a
	 * full handshake, so that --resume then fails rather than guess.
	 */
	c->resumed = st.flags & TLSO_HS_F_RESUMED;
	return 0;
}

/* The module's own count; left uncounted when it will not say. */
static void records(const struct conn *c, int64_t *tx, int64_t *rx)
{
	struct tlso_info info;
	socklen_t len = sizeof(info);

	if (!getsockopt(c->fd, SOL_TLS, TLSO_INFO, &info, &len) &&
	    len == sizeof(info)) {
		*tx = info.tx_records;
		*rx = info.rx_records;
	}
}

const struct perf_mode mode_tlso = {
	.name = "tlso",
	.tls = true,
	.attach = attach,
	.install = kernel_install,
	.handshake = handshake,
	.io = &sock_io,
	.records = records,
};
