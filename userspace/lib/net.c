// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Socket helpers that libtlso and the tools share: writing a whole
 * buffer, and connecting to the first address that takes.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

int tlso_write_all(int fd, const void *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	const char *p = buf;
	bool sock = true;
	ssize_t n;

	while (len) {
		n = sock ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
		if (n < 0 && errno == ENOTSOCK && sock) {
			sock = false;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -1;
			continue;
		}
		if (n < 0)
			return -1;
		if (n == 0) {
			/* no progress and no error: do not spin */
			errno = EIO;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

int tlso_dial(const struct addrinfo *res, tlso_dial_fail_fn *on_fail,
	      void *arg)
{
	const struct addrinfo *ai;
	int fd = -1, err = ENXIO;

	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			return fd;
		err = errno;
		if (fd >= 0)
			close(fd);
		fd = -1;
		if (on_fail)
			on_fail(ai, err, arg);
		if (err == EINTR)
			break;
	}
	errno = err;
	return -1;
}
