/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A worker process: it takes a request with ACCEPT, has its handshake
 * done (handshake.h) and reports it with DONE, so that no slow peer holds
 * up another; each worker has its own timeout.
 *
 * A worker that has finished says so (IDLE) to the parent, over a socket
 * pair (keyproxy.h has its messages), and waits a while for another
 * READY (TAKE from the parent), so that a steady run of handshakes does
 * not pay for a fork each (14 ms apiece measured under emulation, against
 * 0.1 ms for a GnuTLS session).  When the wait is over it asks to leave
 * (QUIT); the parent answers QUIT, unless a TAKE is already on its way,
 * which the worker then serves.  After READYs were lost (the parent's
 * netlink socket overran), the parent sends PROBE instead of TAKE, or
 * starts the worker as a probe: a worker that finds a request says TOOK
 * at once, and the parent sends another probe, until one finds none.
 * During a handshake the same pair carries
 * the worker's signing requests and the parent's answers.
 */
#ifndef TLSOD_WORKER_H
#define TLSOD_WORKER_H

#include <signal.h>
#include <stdbool.h>

#include "config.h"
#include "netlink.h"

/*
 * Be a worker, in a process just forked from the parent: serve with cfg,
 * the configuration it was forked with, and talk to the parent on sock,
 * its end of the pair.  sigs are the signals the parent blocks; the
 * worker takes them back.  Exits 1 when the kernel could not be told an
 * outcome, else 0.
 */
void tlsod_worker_run(const struct tlsod_config *cfg, int sock,
		      const sigset_t *sigs, bool probe)
	__attribute__((noreturn));

/*
 * Take one request, serve it, report it, over the worker's netlink socket
 * *wp (opened when NULL, kept for the next request, closed and NULL after
 * a failure).  With took >= 0, say TOOK there once a request is taken
 * (the parent's PROBE).  Returns 0 when there was nothing left to take or
 * the kernel was told the outcome, 1 when it could not be.
 */
int tlsod_serve_one(const struct tlsod_config *cfg,
		    struct tlsod_worker_nl **wp, int took);

#endif /* TLSOD_WORKER_H */
