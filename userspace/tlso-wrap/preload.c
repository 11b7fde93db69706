// SPDX-License-Identifier: GPL-2.0
/*
 * tlso-wrap's preloaded library: connect() to a destination of a
 * --connect rule, and accept() on a listener of an --accept rule, come
 * back with tlso attached and tlsod's handshake asked for, in the
 * program's own blocking mode.  Everything else passes through.
 *
 * A socket a rule names never carries the program's bytes in the clear:
 * when tlso cannot be attached or the handshake fails, connect() fails
 * with that errno and accept() drops the connection.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libtlso.h"
#include "tlso-wrap.h"

static struct wrap_conf conf;

static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
static int (*real_getsockopt)(int, int, int, void *, socklen_t *);

static void say(const char *fmt, ...)
{
	int saved = errno;
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write: the program's own stderr buffering is not ours. */
	if (write(STDERR_FILENO, line, n) < 0)
		errno = saved;
	errno = saved;
}

/*
 * Rules that cannot be read must not leave a connection the user meant
 * to protect in the clear: the program does not start.
 */
__attribute__((constructor)) static void wrap_init(void)
{
	const char *env = getenv(TLSO_WRAP_ENV);
	char err[256];

	real_connect = dlsym(RTLD_NEXT, "connect");
	real_accept = dlsym(RTLD_NEXT, "accept");
	real_accept4 = dlsym(RTLD_NEXT, "accept4");
	real_getsockopt = dlsym(RTLD_NEXT, "getsockopt");
	if (!real_connect || !real_accept || !real_accept4 ||
	    !real_getsockopt) {
		say("tlso-wrap: cannot find the C library's socket calls");
		_exit(127);
	}
	if (!env) {
		say("tlso-wrap: preloaded without %s: use tlso-wrap(1)",
		    TLSO_WRAP_ENV);
		_exit(127);
	}
	if (wrap_conf_parse(env, &conf, err, sizeof(err))) {
		say("tlso-wrap: %s", err);
		_exit(127);
	}
}

static void handshake_opts(struct tlso_handshake_opts *o, int role,
			   const char *name)
{
	*o = (struct tlso_handshake_opts){
		.role = role,
		.peer_name = name,
		.profile = conf.profile,
		.timeout_ms = conf.timeout_ms,
	};
}

/* TCP's own outcome of a non-blocking connect, waited for here. */
static int wait_tcp(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int n, err = 0;

	do {
		n = poll(&p, 1, TLSO_WRAP_CONNECT_MS);
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return ETIMEDOUT;
	if (n < 0)
		return errno;
	if (real_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	const struct wrap_rule *r = sa ? wrap_match_connect(&conf, sa, len) :
					 NULL;
	struct tlso_handshake_opts o;
	int ret, err;

	ret = real_connect(fd, sa, len);
	if (!r || (ret < 0 && errno != EINPROGRESS))
		return ret;
	if (ret < 0) {
		err = wait_tcp(fd);
		if (err) {
			errno = err;
			return -1;
		}
	}
	if (tlso_attach(fd) < 0) {
		err = errno;
		say("tlso-wrap: %s port %u: cannot attach tlso: %s", r->name,
		    r->port, tlso_strerror(err));
		errno = err;
		return -1;
	}
	handshake_opts(&o, TLSO_ROLE_CLIENT, r->name);
	ret = tlso_handshake(fd, &o);
	if (ret < 0 && errno != EINPROGRESS && errno != EINTR) {
		err = errno;
		say("tlso-wrap: %s port %u: handshake failed: %s", r->name,
		    r->port, tlso_strerror(err));
		errno = err;
	}
	return ret;
}

static uint16_t local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

/*
 * A connection accepted on a wrapped listener: tlso on it, and the
 * handshake asked for (waited for when the socket blocks).  Returns fd,
 * or -1 after closing it: this one is lost, the caller takes the next.
 */
static int wrap_accepted(int fd, uint16_t port)
{
	struct tlso_handshake_opts o;
	int err;

	if (tlso_attach(fd) < 0) {
		err = errno;
		say("tlso-wrap: port %u: cannot attach tlso: %s", port,
		    tlso_strerror(err));
		close(fd);
		errno = err;
		return -1;
	}
	handshake_opts(&o, TLSO_ROLE_SERVER, NULL);
	if (tlso_handshake(fd, &o) < 0 && errno != EINPROGRESS &&
	    errno != EINTR) {
		err = errno;
		say("tlso-wrap: port %u: a client's handshake failed: %s",
		    port, tlso_strerror(err));
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * Connections whose handshake failed are dropped and the next one is
 * taken: to the program, they never came (the log line says why).  A
 * non-blocking listener says EAGAIN when there is no next one.
 */
static int accept_common(int lfd, struct sockaddr *sa, socklen_t *len,
			 int flags, bool four)
{
	socklen_t want = len ? *len : 0;
	uint16_t port = 0;
	int fd;

	for (;;) {
		if (len)
			*len = want;
		fd = four ? real_accept4(lfd, sa, len, flags) :
			    real_accept(lfd, sa, len);
		if (fd < 0)
			return fd;
		if (!port)
			port = local_port(lfd);
		if (!wrap_match_accept(&conf, port))
			return fd;
		if (wrap_accepted(fd, port) >= 0)
			return fd;
	}
}

int accept(int lfd, struct sockaddr *sa, socklen_t *len)
{
	return accept_common(lfd, sa, len, 0, false);
}

int accept4(int lfd, struct sockaddr *sa, socklen_t *len,
			int flags)
{
	return accept_common(lfd, sa, len, flags, true);
}

/*
 * SO_ERROR, which a program asks after its non-blocking connect polled
 * writable: a failed handshake is the connect's error.
 */
int getsockopt(int fd, int level, int name, void *val,
			   socklen_t *len)
{
	struct tlso_handshake_status st;
	int ret = real_getsockopt(fd, level, name, val, len);
	int saved = errno;

	if (ret || level != SOL_SOCKET || name != SO_ERROR || !val || !len ||
	    *len < sizeof(int) || *(int *)val)
		return ret;
	if (!tlso_handshake_status(fd, &st) && st.state == TLSO_HS_FAILED)
		*(int *)val = (int)st.status;
	errno = saved;
	return ret;
}
