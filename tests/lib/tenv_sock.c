// SPDX-License-Identifier: GPL-2.0
/*
 * Test library: the sockets of a case over loopback, tracked so that
 * tenv_teardown() closes what the case left open, and reads with a
 * deadline.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "tenv.h"

int tenv_track(struct tenv *e, int fd)
{
	if (fd >= 0 && e->nfds < TENV_MAX_FDS)
		e->fds[e->nfds++] = fd;
	return fd;
}

void tenv_close(struct tenv *e, int fd)
{
	int i;

	for (i = 0; i < e->nfds; i++)
		if (e->fds[i] == fd)
			e->fds[i] = -1;
	close(fd);
}

int tenv_listen(struct tenv *e, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	TCASE_ASSERT_OK(fd);
	TCASE_ASSERT_OK(bind(fd, (struct sockaddr *)&a, sizeof(a)));
	TCASE_ASSERT_OK(listen(fd, 128));
	TCASE_ASSERT_OK(getsockname(fd, (struct sockaddr *)&a, &len));
	*port = ntohs(a.sin_port);
	return tenv_track(e, fd);
}

int tenv_accept(struct tenv *e, int lfd, int ms)
{
	struct pollfd p = { lfd, POLLIN, 0 };
	int fd;

	if (poll(&p, 1, ms) != 1)
		return -1;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	return tenv_track(e, fd);
}

int tenv_connect(struct tenv *e, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	TCASE_ASSERT_OK(fd);
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	TCASE_ASSERT_OK(connect(fd, (struct sockaddr *)&a, sizeof(a)));
	return tenv_track(e, fd);
}

int tenv_free_port(void)
{
	static unsigned int seed;
	int i;

	if (!seed)
		seed = (unsigned int)getpid() * 2654435761u ^
		       (unsigned int)time(NULL);
	for (i = 0; i < 200; i++) {
		int port = 20000 + (int)(rand_r(&seed) % 40000);
		struct sockaddr_in a4 = { .sin_family = AF_INET };
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
		int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int r = -1, err = EAFNOSUPPORT, off = 0;

		a4.sin_port = a6.sin6_port = htons(port);
		if (fd >= 0) {
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
				   sizeof(off));
			r = bind(fd, (struct sockaddr *)&a6, sizeof(a6));
			err = errno;
			close(fd);
		}
		if (r < 0 && err != EADDRINUSE) {
			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd < 0)
				return -1;
			r = bind(fd, (struct sockaddr *)&a4, sizeof(a4));
			close(fd);
		}
		if (r == 0)
			return port;
	}
	return -1;
}

/* Whether something listens on the TCP port (IPv4 or IPv6). */
static bool tenv_listening(int port)
{
	static const char *const files[] = {
		"/proc/net/tcp", "/proc/net/tcp6",
	};
	char line[512];
	size_t i;

	for (i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "re");

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char local[64];
			unsigned int st, lport;
			char *colon;

			if (sscanf(line, " %*d: %63s %*s %x", local, &st) != 2)
				continue;
			colon = strrchr(local, ':');
			if (!colon || sscanf(colon + 1, "%x", &lport) != 1)
				continue;
			if ((int)lport == port && st == 0x0A) {
				fclose(f);
				return true;
			}
		}
		fclose(f);
	}
	return false;
}

bool tenv_wait_listen(struct tproc *p, int port, int ms)
{
	double end = tenv_now() + ms / 1000.0;

	for (;;) {
		if (tenv_listening(port))
			return true;
		if (!tproc_running(p) || tenv_now() > end)
			return false;
		tenv_msleep(30);
	}
}

char *tenv_read_text(int fd, size_t len, int ms)
{
	char *buf = malloc(len + 1);

	if (!buf)
		abort();
	if (sock_read_exact(fd, buf, len, ms)) {
		tcase_log("reading %zu bytes: %s", len,
			  errno ? strerror(errno) : "end of stream");
		free(buf);
		return NULL;
	}
	buf[len] = 0;
	return buf;
}

ssize_t tenv_recv_wait(int fd, void *buf, size_t len, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };

	if (poll(&pfd, 1, ms) == 0) {
		errno = ETIMEDOUT;
		return -2;
	}
	return recv(fd, buf, len, MSG_DONTWAIT);
}

int tenv_set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}
