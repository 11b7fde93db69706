// SPDX-License-Identifier: GPL-2.0
/*
 * tlsoctl: status and control of tlso.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/tlso.h>

#include "libtlso.h"

#define TLSO_STAT_FILE "/proc/net/tlso_stat"

static const char *progname = "tlsoctl";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-h|--help] COMMAND [ARGS]\n"
		"\n"
		"Commands:\n"
		"  status             whether tlso is loaded, the TCP ULP name it\n"
		"                     answers to, and the counters of %s\n"
		"                     for this network namespace\n"
		"  probe [--hold S]   open a TCP connection over loopback, attach\n"
		"                     tlso to both ends, pass a line through it and\n"
		"                     report; with --hold, keep the connection open\n"
		"                     S seconds first (the module stays pinned)\n"
		"\n"
		"Exit status: 0 on success, 1 on failure, 2 on bad usage.\n",
		progname, TLSO_STAT_FILE);
}

static int cmd_status(void)
{
	char name[16], line[256];
	FILE *f;

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

static int loopback_pair(int *cli, int *srv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l, c = -1, s = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		return -1;
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) < 0)
		goto err;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto err;
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		goto err;
	close(l);
	*cli = c;
	*srv = s;
	return 0;
err:
	if (c >= 0)
		close(c);
	close(l);
	return -1;
}

static int cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hold", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	const char msg[] = "hello through tlso\n";
	char buf[sizeof(msg)], *end;
	long hold = 0;
	int c, cli, srv, rc = 1;
	ssize_t n;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'H') {
			usage(stderr);
			return 2;
		}
		hold = strtol(optarg, &end, 10);
		if (*end || hold < 0) {
			fprintf(stderr, "%s: --hold wants seconds, not '%s'\n",
				progname, optarg);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: probe: unexpected argument '%s'\n",
			progname, argv[optind]);
		return 2;
	}

	if (loopback_pair(&cli, &srv) < 0) {
		fprintf(stderr, "%s: loopback connection: %s\n", progname,
			strerror(errno));
		return 1;
	}
	if (tlso_attach(cli) < 0 || tlso_attach(srv) < 0) {
		fprintf(stderr, "%s: attach: %s%s\n", progname,
			strerror(errno),
			errno == ENOENT ? " (is tlso.ko loaded?)" : "");
		goto out;
	}
	printf("attached tlso to both ends of a loopback TCP connection\n");
	if (hold) {
		printf("holding the connection for %ld s\n", hold);
		fflush(stdout);
		sleep(hold);
	}
	if (send(cli, msg, sizeof(msg) - 1, MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(msg) - 1) {
		fprintf(stderr, "%s: send: %s\n", progname, strerror(errno));
		goto out;
	}
	n = recv(srv, buf, sizeof(buf) - 1, MSG_WAITALL);
	if (n != (ssize_t)sizeof(msg) - 1 || memcmp(buf, msg, n)) {
		fprintf(stderr, "%s: the line did not come through intact\n",
			progname);
		goto out;
	}
	printf("passed %zd bytes through it\n", n);
	rc = 0;
out:
	close(cli);
	close(srv);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "status") && argc == 2)
		return cmd_status();
	if (!strcmp(argv[1], "probe"))
		return cmd_probe(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n", progname, argv[1]);
	usage(stderr);
	return 2;
}
