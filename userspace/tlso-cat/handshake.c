// SPDX-License-Identifier: GPL-2.0
/*
 * tlso-cat's handshake: attach tlso to the connection, have tlsod run the
 * handshake, wait for its end through signals, and tell its outcome.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>

#include <linux/tlso.h>

#include "libtlso.h"
#include "tlso-cat.h"

static void show_outcome(int fd, const char *who)
{
	struct tlso_handshake_status st;
	const char *version, *cipher;
	char vbuf[24], cbuf[24];

	if (verbosity < VERBOSE)
		return;
	if (tlso_handshake_status(fd, &st) < 0) {
		say("handshake with %s done; its status is unknown: %s", who,
		    tlso_strerror(errno));
		return;
	}
	/* A value libtlso has no name for is still worth a number. */
	version = tlso_version_name(st.version);
	if (!version) {
		snprintf(vbuf, sizeof(vbuf), "version 0x%04x", st.version);
		version = vbuf;
	}
	cipher = tlso_cipher_name(st.cipher);
	if (!cipher) {
		snprintf(cbuf, sizeof(cbuf), "cipher %u", st.cipher);
		cipher = cbuf;
	}
	say("handshake with %s done: %s, %s, peer %s", who, version, cipher,
	    st.peer_identity[0] ? st.peer_identity :
				  "without an identity (no certificate or PSK)");
}

/*
 * The kernel ends its wait with EINTR on any signal, a stop and continue
 * (^Z, fg) too, but the handshake goes on: wait for its end the way a
 * non-blocking caller does.
 */
static int handshake_end(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	struct tlso_handshake_status st;

	for (;;) {
		if (tlso_handshake_status(fd, &st) < 0)
			return -1;
		if (st.state == TLSO_HS_DONE)
			return 0;
		if (st.state != TLSO_HS_PENDING) {
			errno = st.status ? (int)st.status : EIO;
			return -1;
		}
		/*
		 * Only the end makes the socket writable; a hangup may come
		 * sooner, and must not make this loop spin.
		 */
		if (poll(&p, 1, -1) > 0 && (p.revents & (POLLHUP | POLLERR)))
			poll(NULL, 0, 50);
	}
}

int cat_secure(int fd, const struct cat_opts *o, const char *who)
{
	struct tlso_handshake_opts ho = {
		.role = o->listen ? TLSO_ROLE_SERVER : TLSO_ROLE_CLIENT,
		.peer_name = o->listen ? NULL : o->name ? o->name : o->host,
		.profile = o->profile,
		.timeout_ms = o->timeout_ms,
	};

	if (tlso_attach(fd) < 0) {
		fail(tlso_strerror(errno), errno,
		     "cannot attach tlso to the connection with %s", who);
		return -1;
	}
	if (o->listen)
		say("handshake with %s as the server", who);
	else if (ho.peer_name[0])
		say("handshake with %s, verifying the server as '%s'", who,
		    ho.peer_name);
	else
		say("handshake with %s, checking the certificate chain only",
		    who);
	if (tlso_handshake(fd, &ho) < 0 &&
	    (errno != EINTR || handshake_end(fd) < 0)) {
		fail(tlso_strerror(errno), errno, "handshake with %s failed",
		     who);
		return -1;
	}
	show_outcome(fd, who);
	return 0;
}
