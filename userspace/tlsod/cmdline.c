// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod's command line: its help, and tlsod_opts from its options (the
 * rest of the daemon reads them there, tlsod.h).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlsod.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-c FILE] [-f] [--trace] [-v] [--worker-idle MS]\n"
		"       [--stats FILE] [-h] [--version]\n"
		"\n"
		"The handshake daemon of tlso: performs the TLS handshakes that\n"
		"applications request with setsockopt(SOL_TLS, TLSO_HANDSHAKE) and\n"
		"installs the keys into the tlso module.\n"
		"\n"
		"  -c, --config FILE  configuration file (default %s;\n"
		"                     if that one is missing, built-in defaults)\n"
		"  -f, --foreground   log to stderr instead of syslog\n"
		"      --trace        print each handshake as its messages go by\n"
		"  -v, --verbose      log debug messages too\n"
		"      --stats FILE   write tlsod's counters there, in Prometheus'\n"
		"                     text format (default %s, when its\n"
		"                     directory is there; '': none)\n"
		"      --worker-idle MS  how long a worker that has finished\n"
		"                     waits for another handshake (default %u;\n"
		"                     0: a new process for each)\n"
		"  -h, --help         show this help\n"
		"      --version      show the version\n"
		"\n"
		"Signals: SIGHUP reloads the configuration; SIGTERM or SIGINT\n"
		"stop taking requests and exit when running handshakes end (a\n"
		"second one ends them at once).\n"
		"\n"
		"Exit status: 0 after SIGTERM/SIGINT, 1 on errors (bad configuration,\n"
		"tlso module not loaded), 2 on bad usage.  See tlsod(8).\n",
		TLSOD_PROGNAME, TLSOD_DEFAULT_CONFIG, TLSOD_DEFAULT_STATS,
		TLSOD_WORKER_IDLE_MS);
}

/* tlsod_opts from the command line: 0, or -1 after saying what was wrong. */
int tlsod_parse_args(int argc, char **argv)
{
	enum { OPT_TRACE = 256, OPT_VERSION, OPT_WORKER_IDLE, OPT_STATS };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "trace", no_argument, NULL, OPT_TRACE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "worker-idle", required_argument, NULL, OPT_WORKER_IDLE },
		{ "stats", required_argument, NULL, OPT_STATS },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long ms;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "c:fvh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			tlsod_opts.config = optarg;
			tlsod_opts.config_given = true;
			break;
		case 'f':
			tlsod_opts.foreground = true;
			break;
		case OPT_TRACE:
			tlsod_opts.trace = true;
			break;
		case 'v':
			tlsod_opts.verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_VERSION:
			printf("tlsod %s\n", TLSOD_VERSION);
			exit(0);
		case OPT_STATS:
			if (strlen(optarg) >= PATH_MAX - 8) {
				fprintf(stderr,
					"%s: --stats: the path is too long\nTry '%s --help'.\n",
					TLSOD_PROGNAME, TLSOD_PROGNAME);
				return -1;
			}
			tlsod_opts.stats = optarg;
			break;
		case OPT_WORKER_IDLE:
			errno = 0;
			ms = strtoul(optarg, &end, 10);
			if (end == optarg || *end || errno || *optarg == '-' ||
			    ms > 3600000) {
				fprintf(stderr,
					"%s: --worker-idle: '%s' is not a number of milliseconds (0..3600000)\nTry '%s --help'.\n",
					TLSOD_PROGNAME, optarg, TLSOD_PROGNAME);
				return -1;
			}
			tlsod_opts.worker_idle_ms = ms;
			break;
		default:
			/* getopt has said what was wrong */
			fprintf(stderr, "Try '%s --help'.\n", TLSOD_PROGNAME);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"%s: unexpected argument '%s'\nTry '%s --help'.\n",
			TLSOD_PROGNAME, argv[optind], TLSOD_PROGNAME);
		return -1;
	}
	/*
	 * The default's directory is the unit's RuntimeDirectory: started
	 * some other way, tlsod has nowhere to write them, and says nothing.
	 */
	if (!tlsod_opts.stats)
		tlsod_opts.stats = access(TLSOD_STATS_DIR, W_OK) ? "" :
				   TLSOD_DEFAULT_STATS;
	return 0;
}
