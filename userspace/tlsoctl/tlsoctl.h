/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlsoctl: what its subcommands share.  A subcommand is called with the
 * arguments from its own name on, as main() is, and returns the exit
 * status: 0, 1 when it failed, 2 on bad usage.
 */
#ifndef TLSOCTL_H
#define TLSOCTL_H

#include <stdio.h>

extern const char progname[];

/* The subcommands, a line each: on stdout for help, stderr for misuse. */
void usage(FILE *f);

int cmd_status(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_stats(int argc, char **argv);

/* Where tlsod(8) writes its counters under its unit (TLSOD_DEFAULT_STATS). */
#define TLSOCTL_TLSOD_STATS	"/run/tlsod/stats.prom"

/* json.c: a string from elsewhere, quoted for JSON or escaped for text. */
void json_str(FILE *f, const char *s);
void text_str(FILE *f, const char *s);

#endif /* TLSOCTL_H */
