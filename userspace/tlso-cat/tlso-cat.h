/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlso-cat: what its parts share, the options and the messages, and the
 * session that main() runs and tlso_cat_test runs without main().
 */
#ifndef TLSO_CAT_H
#define TLSO_CAT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <netdb.h>

/* Big enough for "[IPv6 address]:port" and for "host:port". */
#define WHO_SIZE (NI_MAXHOST + NI_MAXSERV + 4)

enum { QUIET, NORMAL, VERBOSE };

struct cat_opts {
	bool listen;
	const char *host;	/* client */
	const char *port;
	const char *listen_addr;
	const char *name;	/* NULL: host */
	const char *profile;
	unsigned int timeout_ms;
	int family;
};

extern const char progname[];
extern int verbosity;

/*
 * "tlso-cat: MESSAGE" on standard error when verbosity is level or more;
 * with why, ": WHY (ENAME)" after it.
 */
void cat_vmsg(int level, const char *why, int err, const char *fmt,
	      va_list ap) __attribute__((format(printf, 4, 0)));
void cat_msg(int level, const char *why, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* What -v adds: the connection, the handshake, the ends. */
#define say(...) cat_msg(VERBOSE, NULL, 0, __VA_ARGS__)

/*
 * "tlso-cat: WHAT: WHY (ENAME)".  WHY is tlso_strerror()'s for what tlso
 * did, strerror()'s for the rest: ETIMEDOUT from connect() is not a
 * handshake that took too long.
 */
#define fail(why, err, ...) cat_msg(NORMAL, why, err, __VA_ARGS__)

/*
 * The connection o asks for: a client's, or the one a server accepts.
 * Its descriptor, with whom it is in who; -1 when there is none (and that
 * has been said).
 */
int cat_connect(const struct cat_opts *o, char *who, size_t size);

/* Attach tlso to fd and have tlsod run the handshake: 0, or -1 (said). */
int cat_secure(int fd, const struct cat_opts *o, const char *who);

/*
 * All of it: connect, handshake, copy until the peer closes.  The exit
 * status: 0 after a clean session, 1 when anything failed.
 */
int cat_run(const struct cat_opts *o);

#endif /* TLSO_CAT_H */
