// SPDX-License-Identifier: GPL-2.0
/*
 * tlsoctl stats: the module's counters for this network namespace
 * (/proc/net/tlso_stat) and tlsod's own (the file tlsod --stats
 * writes), as name and value, or in Prometheus' text format for
 * node_exporter's textfile collector.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "libtlso.h"
#include "tlsoctl.h"

#define TLSO_STAT_FILE	"/proc/net/tlso_stat"
/* The longest line either file has any business holding. */
#define STATS_LINE_MAX	512

/*
 * What a line of tlsod's file may be: its own metrics, each with at
 * most one label.  Anything else is left out, so that what this prints
 * is Prometheus text whatever the file holds.
 */
static const char *const tlsod_line_re =
	"^(# HELP tlsod_[a-z_]+ [ -~]*"
	"|# TYPE tlsod_[a-z_]+ (counter|gauge|histogram)"
	"|tlsod_[a-z_]+(\\{[a-z_]+=\"[A-Za-z0-9_.+]*\"\\})? "
	"[0-9]+(\\.[0-9]+)?)$";

/* TlsoCurrAttached -> curr_attached; false if name is not tlso's. */
static bool metric_name(const char *name, char *out, size_t size)
{
	size_t n = 0;

	if (strncmp(name, "Tlso", 4) || !isupper((unsigned char)name[4]))
		return false;
	for (name += 4; *name && n + 3 < size; name++) {
		if (!isalnum((unsigned char)*name))
			return false;
		if (isupper((unsigned char)*name) && n)
			out[n++] = '_';
		out[n++] = (char)tolower((unsigned char)*name);
	}
	out[n] = 0;
	return !*name && n;
}

/* The module's counters; 1 when they could not be read. */
static int module_stats(bool prom)
{
	char line[STATS_LINE_MAX], name[128], metric[128];
	bool loaded = tlso_ulp_name(name, sizeof(name)) == 0;
	long long value;
	FILE *f;

	if (prom)
		printf("# HELP tlso_module_loaded Whether the tlso module is loaded.\n"
		       "# TYPE tlso_module_loaded gauge\n"
		       "tlso_module_loaded %d\n", loaded);
	else
		printf("tlso: %s\n", loaded ? "loaded" : "not loaded");
	if (!loaded)
		return 0;
	f = fopen(TLSO_STAT_FILE, "re");
	if (!f) {
		fprintf(stderr, "%s: stats: %s: %s\n", progname,
			TLSO_STAT_FILE, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld", name, &value) != 2 ||
		    !metric_name(name, metric, sizeof(metric))) {
			fprintf(stderr, "%s: stats: %s: a line not understood: %s",
				progname, TLSO_STAT_FILE, line);
			continue;
		}
		if (!prom) {
			printf("  %s %lld\n", name, value);
		} else if (!strncmp(metric, "curr_", 5)) {
			printf("# HELP tlso_%s %s of %s.\n# TYPE tlso_%s gauge\n"
			       "tlso_%s %lld\n", metric, name, TLSO_STAT_FILE,
			       metric, metric, value);
		} else {
			printf("# HELP tlso_%s_total %s of %s.\n"
			       "# TYPE tlso_%s_total counter\ntlso_%s_total %lld\n",
			       metric, name, TLSO_STAT_FILE, metric, metric,
			       value);
		}
	}
	fclose(f);
	return 0;
}

/* tlsod's file; 1 when a line of it had to be left out. */
static int tlsod_stats(const char *path, bool prom)
{
	char line[STATS_LINE_MAX];
	unsigned int n = 0, bad = 0;
	regex_t re;
	int c;
	size_t len;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		/* No file: tlsod is not running, or not as its unit runs it. */
		if (prom)
			printf("# tlsod: no %s (%s)\n", path, strerror(errno));
		else
			printf("tlsod: no %s (%s)\n", path, strerror(errno));
		return 0;
	}
	if (regcomp(&re, tlsod_line_re, REG_EXTENDED | REG_NOSUB)) {
		fclose(f);
		fprintf(stderr, "%s: stats: out of memory\n", progname);
		return 1;
	}
	if (!prom)
		printf("tlsod: %s\n", path);
	while (fgets(line, sizeof(line), f)) {
		n++;
		len = strlen(line);
		if (len && line[len - 1] == '\n') {
			line[len - 1] = 0;
		} else if (!feof(f)) {
			/* Too long for any line of ours: skip the rest of it. */
			while ((c = getc(f)) != EOF && c != '\n')
				;
			bad++;
			continue;
		}
		if (regexec(&re, line, 0, NULL, 0)) {
			bad++;
			continue;
		}
		if (prom)
			printf("%s\n", line);
		else if (line[0] != '#')
			printf("  %s\n", line);
	}
	regfree(&re);
	fclose(f);
	if (bad)
		fprintf(stderr, "%s: stats: %s: %u of %u lines were not tlsod's metrics and were left out\n",
			progname, path, bad, n);
	return bad ? 1 : 0;
}

static void stats_usage(FILE *f)
{
	fprintf(f,
		"usage: %s stats [-p|--prometheus] [--tlsod FILE]\n"
		"\n"
		"The module's counters for this network namespace (%s)\n"
		"and tlsod's (handshakes by outcome, their latency, workers),\n"
		"as names and values.\n"
		"\n"
		"  -p, --prometheus  in Prometheus' text format, for\n"
		"                    node_exporter's textfile collector\n"
		"      --tlsod FILE  tlsod's file (default %s,\n"
		"                    where tlsod writes it under its unit)\n"
		"  -h, --help        show this help\n",
		progname, TLSO_STAT_FILE, TLSOCTL_TLSOD_STATS);
}

int cmd_stats(int argc, char **argv)
{
	enum { OPT_TLSOD = 256 };
	static const struct option longopts[] = {
		{ "prometheus", no_argument, NULL, 'p' },
		{ "tlsod", required_argument, NULL, OPT_TLSOD },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = TLSOCTL_TLSOD_STATS;
	bool prom = false;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "ph", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			prom = true;
			break;
		case OPT_TLSOD:
			path = optarg;
			break;
		case 'h':
			stats_usage(stdout);
			return 0;
		default:
			stats_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: stats: unexpected argument '%s'\n",
			progname, argv[optind]);
		stats_usage(stderr);
		return 2;
	}
	ret = module_stats(prom);
	ret |= tlsod_stats(path, prom);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: stats: writing: %s\n", progname,
			strerror(errno));
		return 1;
	}
	return ret;
}
