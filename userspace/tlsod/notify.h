/* SPDX-License-Identifier: GPL-2.0 */
/*
 * systemd's readiness protocol (sd_notify(3)), written out: a datagram
 * of "VAR=value" lines to the AF_UNIX socket NOTIFY_SOCKET names ("@"
 * first: the abstract namespace).  No libsystemd for a sendto.
 */
#ifndef TLSOD_NOTIFY_H
#define TLSOD_NOTIFY_H

/*
 * Take NOTIFY_SOCKET out of the environment, so that no worker (nor
 * anything it could run) talks to the service manager; keep its address.
 */
void tlsod_notify_init(void);

/* Send state ("READY=1", ...), when there is a socket to send it to. */
void tlsod_notify(const char *state);

#endif /* TLSOD_NOTIFY_H */
