/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What tlsod may do once it runs: its user, its capabilities, and the
 * sandbox of a worker.  tlsod(8), PRIVILEGES, says why each is so.
 */
#ifndef TLSOD_PRIVILEGE_H
#define TLSOD_PRIVILEGE_H

#include "config.h"

/*
 * Before anything needs it: whether tlsod has CAP_NET_ADMIN, which the
 * kernel asks of the daemon (joining the group, ACCEPT, DONE).  -1 with
 * the reason logged when it has not.
 */
int tlsod_priv_check(void);

/*
 * Once the configuration and keys are read and the group joined: as
 * root, drop every other capability from the bounding set and become
 * cfg's user (or stay uid 0 when there is none), keeping CAP_NET_ADMIN
 * alone; as another user, keep CAP_NET_ADMIN alone.  0, or -1 logged.
 */
int tlsod_priv_drop(const struct tlsod_config *cfg);

/*
 * In a worker, right after fork (its keys dropped): not dumpable, no new
 * privileges, and a seccomp allowlist of what a handshake needs; opening
 * a file fails with EACCES, anything else kills the process.  0, or -1
 * logged.
 */
int tlsod_sandbox_worker(void);

#endif /* TLSOD_PRIVILEGE_H */
