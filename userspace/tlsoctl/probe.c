// SPDX-License-Identifier: GPL-2.0
/*
 * tlsoctl probe: attach tlso to both ends of a loopback TCP connection
 * and pass a line through it; with --hold, keep the connection (and so
 * the module) for a while first.
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

#include "libtlso.h"
#include "tlsoctl.h"

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

int cmd_probe(int argc, char **argv)
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
