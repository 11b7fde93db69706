// SPDX-License-Identifier: GPL-2.0
/*
 * tlsoctl: status and control of tlso.  A table of subcommands, each in a
 * file of its own; see tlsoctl(8).
 */
#include <stdio.h>
#include <string.h>

#include "tlsoctl.h"

const char progname[] = "tlsoctl";

static int cmd_help(int argc, char **argv);

static const struct {
	const char *name;
	const char *args;
	int (*run)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "status", "", cmd_status,
	  "whether tlso is loaded, its TCP ULP name and counters" },
	{ "show", "[-j]", cmd_show,
	  "the sockets tlso is attached to, one entry each" },
	{ "stats", "[-p] [--tlsod F]", cmd_stats,
	  "the module's and tlsod's counters; -p: for Prometheus" },
	{ "probe", "[--hold S]", cmd_probe,
	  "pass a line through tlso over a loopback connection" },
	{ "help", "", cmd_help, "show this list" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

void usage(FILE *f)
{
	char head[40];
	size_t i;

	fprintf(f, "usage: %s [-h|--help] COMMAND [ARGS]\n\nCommands:\n",
		progname);
	for (i = 0; i < NCMDS; i++) {
		snprintf(head, sizeof(head), "%s %s", cmds[i].name,
			 cmds[i].args);
		fprintf(f, "  %-22s %s\n", head, cmds[i].help);
	}
	fprintf(f,
		"\n"
		"Exit status: 0 on success, 1 on failure, 2 on bad usage.\n"
		"See tlsoctl(8).\n");
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return cmd_help(argc - 1, argv + 1);
	for (i = 0; i < NCMDS; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n", progname, argv[1]);
	usage(stderr);
	return 2;
}
