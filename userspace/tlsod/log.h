/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlsod's log: syslog, or stderr with -f (tlsod_opts.foreground).
 */
#ifndef TLSOD_LOG_H
#define TLSOD_LOG_H

#include <stddef.h>
#include <syslog.h>

/*
 * Open syslog, unless tlsod runs in the foreground.  Until
 * tlsod_log_started(), errors, warnings and notices go to stderr as
 * well.
 */
void tlsod_log_open(void);
void tlsod_log_started(void);

/* syslog priorities; LOG_DEBUG only with --verbose. */
void tlsod_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)	tlsod_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	tlsod_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	tlsod_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	tlsod_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	tlsod_log(LOG_DEBUG, __VA_ARGS__)

/*
 * What an application or a peer chose (a peer name, a profile name, the
 * bytes of a hello) goes into the log through this: printable ASCII as
 * it is, every other byte, the backslash and the quote as \xNN, so that
 * no such string can break a line or pass for another field.  Cut with
 * "..." when buf is short: TLSOD_ESC_SIZE(n) holds n bytes whole.  It
 * lives with the trace's printer, which the trace's own test links alone.
 */
#define TLSOD_ESC_SIZE(n)	(4 * (n) + 8)
const char *tlsod_esc(char *buf, size_t size, const unsigned char *s,
		      size_t n);

#endif /* TLSOD_LOG_H */
