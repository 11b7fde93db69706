// SPDX-License-Identifier: GPL-2.0
/*
 * tlso-cat's session: from the connection to its end, standard input to
 * the peer and the peer to standard output, both at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libtlso.h"
#include "net.h"
#include "tlso-cat.h"

/* One record's worth of plaintext, so that each read can fill a record. */
#define CAT_BUF_SIZE 16384

struct session {
	int fd;
	const char *who;
	bool in_eof;		/* standard input has ended */
	bool shut;		/* close_notify sent */
	size_t off, len;	/* of buf, still to send */
	char buf[CAT_BUF_SIZE];
};

/* Errors of reads and writes on a socket that carries TLS. */
static const char *io_strerror(int err)
{
	switch (err) {
	case EBADMSG:
	case EKEYEXPIRED:
	case ECONNRESET:
		return tlso_strerror(err);
	}
	return strerror(err);
}

/* 1 to go on, 0 at the peer's end of stream, -1 on error. */
static int from_peer(struct session *s)
{
	char buf[CAT_BUF_SIZE];
	ssize_t n;

	n = recv(s->fd, buf, sizeof(buf), 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 1;
		fail(io_strerror(errno), errno, "receive from %s failed",
		     s->who);
		return -1;
	}
	if (n == 0) {
		say("%s closed the connection", s->who);
		return 0;
	}
	/* Standard output may be a non-blocking pipe we were given. */
	if (tlso_write_all(STDOUT_FILENO, buf, n) < 0) {
		fail(strerror(errno), errno,
		     "write to standard output failed");
		return -1;
	}
	return 1;
}

static int to_peer(struct session *s)
{
	ssize_t n;

	while (s->off < s->len) {
		n = send(s->fd, s->buf + s->off, s->len - s->off,
			 MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;	/* poll says when there is room */
		if (n < 0) {
			fail(io_strerror(errno), errno, "send to %s failed",
			     s->who);
			return -1;
		}
		s->off += n;
	}
	s->off = 0;
	s->len = 0;
	return 0;
}

static int from_stdin(struct session *s)
{
	ssize_t n;

	n = read(STDIN_FILENO, s->buf, sizeof(s->buf));
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		fail(strerror(errno), errno,
		     "read from standard input failed");
		return -1;
	}
	if (n == 0) {
		s->in_eof = true;
		return 0;
	}
	s->off = 0;
	s->len = n;
	return to_peer(s);
}

/* All of the input is out: tell the peer, and keep listening to it. */
static int end_input(struct session *s)
{
	if (shutdown(s->fd, SHUT_WR) < 0) {
		fail(io_strerror(errno), errno,
		     "closing the sending side to %s failed", s->who);
		return -1;
	}
	s->shut = true;
	say("end of input: close_notify sent to %s", s->who);
	return 0;
}

static int pump_once(struct session *s)
{
	struct pollfd p[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = s->fd, .events = POLLIN },
	};
	int ret;

	if (s->in_eof || s->len)
		p[0].fd = -1;
	if (s->len)
		p[1].events |= POLLOUT;
	if (poll(p, 2, -1) < 0)
		return errno == EINTR ? 1 : -1;
	/* The peer first: once it has closed, our pending bytes are moot. */
	if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
		ret = from_peer(s);
		if (ret <= 0)
			return ret;
	}
	if ((p[1].revents & POLLOUT) && to_peer(s) < 0)
		return -1;
	if (p[0].revents & POLLNVAL)
		s->in_eof = true;	/* no standard input at all */
	else if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		 from_stdin(s) < 0)
		return -1;
	if (s->in_eof && !s->len && !s->shut && end_input(s) < 0)
		return -1;
	return 1;
}

static int pump(int fd, const char *who)
{
	struct session s = { .fd = fd, .who = who };
	int ret;

	/* Only the socket: stdin and stdout may be shared with others. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		fail(strerror(errno), errno,
		     "cannot make the socket non-blocking");
		return 1;
	}
	do
		ret = pump_once(&s);
	while (ret > 0);
	return ret < 0 ? 1 : 0;
}

int cat_run(const struct cat_opts *o)
{
	char who[WHO_SIZE];
	int fd, ret;

	/* A peer that goes away is an error to report, not a way to die. */
	signal(SIGPIPE, SIG_IGN);

	fd = cat_connect(o, who, sizeof(who));
	if (fd < 0)
		return 1;
	if (cat_secure(fd, o, who) < 0) {
		close(fd);
		return 1;
	}
	ret = pump(fd, who);
	close(fd);
	return ret;
}
