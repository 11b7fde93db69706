/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libtlso: the small client library of tlso.
 *
 * Functions return 0 on success and -1 with errno set on failure, as the
 * system calls they wrap do.
 */
#ifndef LIBTLSO_H
#define LIBTLSO_H

#include <stddef.h>

/*
 * The TCP ULP name the loaded module answers to (its ulp_name parameter),
 * copied into buf; "tlso" when the module does not say.  -1 with ENOENT
 * when the module is not loaded.
 */
int tlso_ulp_name(char *buf, size_t size);

/*
 * Attach tlso to an established TCP socket.  Fails as kTLS's attach does:
 * ENOTCONN (not established), EEXIST (a ULP already attached), ENOENT
 * (module not loaded).
 */
int tlso_attach(int fd);

#endif /* LIBTLSO_H */
