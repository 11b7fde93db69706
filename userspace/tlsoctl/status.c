// SPDX-License-Identifier: GPL-2.0
/*
 * tlsoctl status: whether tlso is loaded, the TCP ULP name it answers
 * to, and its counters for this network namespace.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "libtlso.h"
#include "tlsoctl.h"

#define TLSO_STAT_FILE "/proc/net/tlso_stat"

int cmd_status(int argc, char **argv)
{
	char name[16], line[256];
	FILE *f;

	if (argc > 1) {
		fprintf(stderr, "%s: status: unexpected argument '%s'\n",
			progname, argv[1]);
		return 2;
	}
	if (tlso_ulp_name(name, sizeof(name)) < 0) {
		printf("tlso: not loaded (insmod kmod/tlso.ko)\n");
		return 1;
	}
	printf("tlso: loaded, TCP ULP \"%s\"\n", name);
	f = fopen(TLSO_STAT_FILE, "re");
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", progname, TLSO_STAT_FILE,
			strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f))
		fputs(line, stdout);
	fclose(f);
	return 0;
}
