/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Socket helpers that libtlso and the tools share.  Internal: not part of
 * libtlso's API, and not installed with it.
 */
#ifndef TLSO_NET_H
#define TLSO_NET_H

#include <stddef.h>
#include <netdb.h>

/*
 * Write all of buf to fd, a socket or not.  A non-blocking fd is waited
 * on; on a socket, a peer that has gone is EPIPE, never SIGPIPE.
 * 0, or -1 with errno; after an error, how much was written is unknown.
 */
int tlso_write_all(int fd, const void *buf, size_t len);

/* What tlso_dial() calls for each address that did not take. */
typedef void tlso_dial_fail_fn(const struct addrinfo *ai, int err,
			       void *arg);

/*
 * A TCP connection to the first address of res that accepts, close-on-exec
 * and blocking; on_fail (if not NULL) hears of each one that did not.
 * The descriptor, or -1 with the errno of the last address tried (EINTR
 * at once when a signal interrupts a connect: the caller wants out).
 */
int tlso_dial(const struct addrinfo *res, tlso_dial_fail_fn *on_fail,
	      void *arg);

#endif /* TLSO_NET_H */
