/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlsod: what every part of the daemon shares, the log and the options.
 */
#ifndef TLSOD_H
#define TLSOD_H

#include <stdbool.h>
#include <syslog.h>

#define TLSOD_VERSION		"0.1"
#define TLSOD_DEFAULT_CONFIG	"/etc/tlso/tlsod.conf"

struct tlsod_options {
	const char *config;	/* the file given with -c, or the default */
	bool config_given;	/* -c: a missing file is an error */
	bool foreground;	/* log to stderr instead of syslog */
	bool trace;		/* print every handshake as it goes */
	bool verbose;		/* LOG_DEBUG messages too */
	/* how long a worker waits for another request; 0: one each */
	unsigned int worker_idle_ms;
};

extern struct tlsod_options tlsod_opts;

/* syslog priorities; LOG_DEBUG only with --verbose. */
void tlsod_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)	tlsod_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	tlsod_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	tlsod_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	tlsod_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	tlsod_log(LOG_DEBUG, __VA_ARGS__)

#endif /* TLSOD_H */
