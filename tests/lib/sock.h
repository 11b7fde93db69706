/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helpers: TCP sockets over loopback.
 */
#ifndef TLSO_TEST_SOCK_H
#define TLSO_TEST_SOCK_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/tlso.h>

#include "net.h"

/* Bring up lo, which a new network namespace starts with down. */
static inline int sock_lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int err;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	err = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!err) {
		ifr.ifr_flags |= IFF_UP;
		err = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return err;
}

/* A loopback address of the family and port 0, ready to bind. */
static inline socklen_t sock_loopback(int family, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		return sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*a);
	}
}

/* A listening socket on loopback; its address is left in *ss. */
static inline int sock_listen(int family, struct sockaddr_storage *ss,
			      socklen_t *len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	*len = sock_loopback(family, ss);
	if (bind(fd, (struct sockaddr *)ss, *len) < 0 ||
	    listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)ss, len) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * A connected pair: *cli from connect(), *srv from accept().  Returns 0,
 * or -1 with errno set and nothing left open.
 */
static inline int sock_pair(int family, int *cli, int *srv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd, c, s, e;

	lfd = sock_listen(family, &ss, &len);
	if (lfd < 0)
		return -1;
	c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&ss, len) < 0)
		goto err;
	s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		goto err;
	close(lfd);
	*cli = c;
	*srv = s;
	return 0;
err:
	e = errno;
	if (c >= 0)
		close(c);
	close(lfd);
	errno = e;
	return -1;
}

static inline int sock_attach(int fd, const char *ulp)
{
	return setsockopt(fd, SOL_TCP, TCP_ULP, ulp, strlen(ulp));
}

/* Name of the ULP attached to fd, "" if none; -1 on error. */
static inline int sock_ulp(int fd, char *buf, socklen_t size)
{
	socklen_t len = size;

	memset(buf, 0, size);
	if (getsockopt(fd, SOL_TCP, TCP_ULP, buf, &len) < 0)
		return -1;
	buf[size - 1] = 0;
	return 0;
}

/* The whole TLSO_INFO of fd: 0, or -1 (errno EMSGSIZE for a short one). */
static inline int sock_tlso_info(int fd, struct tlso_info *info)
{
	socklen_t len = sizeof(*info);

	memset(info, 0xa5, sizeof(*info));
	if (getsockopt(fd, SOL_TLS, TLSO_INFO, info, &len))
		return -1;
	if (len != sizeof(*info)) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* Milliseconds on the monotonic clock, for deadlines. */
static inline long long sock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Read exactly len bytes within ms milliseconds, or with ms < 0 as long
 * as it takes (blocking reads, as the socket is set up): 0, or -1 with
 * errno (0 at end of stream, ETIMEDOUT when the time is up).
 */
static inline int sock_read_exact(int fd, void *buf, size_t len, int ms)
{
	long long end = sock_ms() + ms;
	bool timed = ms >= 0;
	char *p = buf;

	while (len) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		long long left = end - sock_ms();
		ssize_t n;

		if (timed && left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (timed && poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return -1;
		n = recv(fd, p, len, timed ? MSG_DONTWAIT : 0);
		if (n < 0 && (errno == EINTR || (timed && errno == EAGAIN)))
			continue;
		if (n == 0)
			errno = 0;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* Read exactly len bytes, or fail (-1, errno 0 at end of stream). */
static inline int sock_read_all(int fd, void *buf, size_t len)
{
	return sock_read_exact(fd, buf, len, -1);
}

/* The test pattern: byte i of a transfer tagged seed. */
static inline unsigned char sock_pattern(size_t i, unsigned int seed)
{
	return (unsigned char)((i * 7 + (i >> 8) * 13 + seed) & 0xff);
}

/*
 * Move size bytes of the pattern from wfd to rfd: a child process writes
 * (in writes of at most chunk bytes), this process reads and compares.
 * Returns 0 when every byte arrived intact and the writer succeeded.
 */
static inline int sock_xfer(int wfd, int rfd, size_t size, size_t chunk,
			    unsigned int seed)
{
	unsigned char *buf = malloc(chunk > 65536 ? chunk : 65536);
	size_t done = 0;
	int status, bad = 0;
	pid_t pid;

	if (!buf)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		free(buf);
		return -1;
	}
	if (pid == 0) {
		while (done < size) {
			size_t n = size - done < chunk ? size - done : chunk;
			size_t i;

			for (i = 0; i < n; i++)
				buf[i] = sock_pattern(done + i, seed);
			if (tlso_write_all(wfd, buf, n))
				_exit(1);
			done += n;
		}
		_exit(0);
	}
	while (done < size) {
		ssize_t n = recv(rfd, buf, 65536, 0);
		ssize_t i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			bad = 1;
			break;
		}
		for (i = 0; i < n; i++)
			if (buf[i] != sock_pattern(done + i, seed))
				bad = 1;
		done += n;
		if (bad)
			break;
	}
	free(buf);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		bad = 1;
	return bad ? -1 : 0;
}

#endif /* TLSO_TEST_SOCK_H */
