/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlsod: its name and the options, which cmdline.c sets from the command
 * line and every part of the daemon reads.  They live in log.c, with the
 * log that reads them first, so that any file links without main.c.
 */
#ifndef TLSOD_H
#define TLSOD_H

#include <stdbool.h>

#define TLSOD_PROGNAME		"tlsod"
#define TLSOD_VERSION		"0.1"
#define TLSOD_DEFAULT_CONFIG	"/etc/tlso/tlsod.conf"
#define TLSOD_WORKER_IDLE_MS	500
/* In the unit's RuntimeDirectory; tlsoctl stats reads it there. */
#define TLSOD_STATS_DIR		"/run/tlsod"
#define TLSOD_DEFAULT_STATS	TLSOD_STATS_DIR "/stats.prom"

struct tlsod_options {
	const char *config;	/* the file given with -c, or the default */
	bool config_given;	/* -c: a missing file is an error */
	bool foreground;	/* log to stderr instead of syslog */
	bool trace;		/* print every handshake as it goes */
	bool verbose;		/* LOG_DEBUG messages too */
	/* how long a worker waits for another request; 0: one each */
	unsigned int worker_idle_ms;
	const char *stats;	/* where the counters go; "" for nowhere */
};

extern struct tlsod_options tlsod_opts;

int tlsod_parse_args(int argc, char **argv);

#endif /* TLSOD_H */
