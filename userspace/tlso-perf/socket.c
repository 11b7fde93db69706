// SPDX-License-Identifier: GPL-2.0
/*
 * tlso-perf's sockets: connecting and listening, the lines of text that
 * start every connection, and timeouts.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "net.h"
#include "perf.h"

void set_timeout(int fd, int optname, double seconds)
{
	struct timeval tv = { (time_t)seconds,
			      (suseconds_t)((seconds - (time_t)seconds) * 1e6) };

	setsockopt(fd, SOL_SOCKET, optname, &tv, sizeof(tv));
}

/*
 * One line from fd, a byte at a time so that nothing past it is taken
 * (on a data connection, TLS follows).  0, or -1 with errno (EPROTO for
 * a line too long, ECONNRESET for end of stream).
 */
int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;
	char c;

	for (;;) {
		r = recv(fd, &c, 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (c == '\n')
			break;
		if (n + 1 >= size) {
			errno = EPROTO;
			return -1;
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	return 0;
}

int send_line(int fd, const char *fmt, ...)
{
	char buf[2 * LINE_MAX_LEN];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf) - 1) {
		errno = EMSGSIZE;
		return -1;
	}
	buf[n++] = '\n';
	return tlso_write_all(fd, buf, n);
}

/*
 * host's TCP addresses, or for a listener the ones to listen on (host
 * NULL: every address, IPv6's wildcard first).
 */
static int resolve(const char *host, const char *port, bool listener,
		   struct addrinfo **res, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	int ret;

	if (listener) {
		hints.ai_flags = AI_PASSIVE;
		hints.ai_family = host ? AF_UNSPEC : AF_INET6;
	}
	ret = getaddrinfo(host, port, &hints, res);
	if (ret && listener && !host) {
		hints.ai_family = AF_INET;
		ret = getaddrinfo(NULL, port, &hints, res);
	}
	if (ret) {
		snprintf(err, errlen, "%s port %s: %s", host ? host : "*",
			 port, gai_strerror(ret));
		return -1;
	}
	return 0;
}

/* A TCP socket connected to host's first address that accepts. */
int connect_to(const char *host, const char *port, char *err, size_t errlen)
{
	struct addrinfo *res;
	int fd;

	if (resolve(host, port, false, &res, err, errlen))
		return -1;
	fd = tlso_dial(res, NULL, NULL);
	if (fd < 0)
		snprintf(err, errlen, "connecting to %s port %s: %s", host,
			 port, strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* A TCP socket listening on host (NULL: every address) and port. */
int listen_on(const char *host, const char *port, char *err, size_t errlen)
{
	struct addrinfo *res, *ai;
	int fd = -1, saved = 0, one = 1, zero = 0;

	if (resolve(host, port, true, &res, err, errlen))
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		/* the wildcard of IPv6 takes IPv4 clients too */
		if (ai->ai_family == AF_INET6 && !host)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				   sizeof(zero));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 128))
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "listening on %s port %s: %s",
			 host ? host : "*", port, strerror(saved));
	return fd;
}
