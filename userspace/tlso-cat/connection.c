// SPDX-License-Identifier: GPL-2.0
/*
 * tlso-cat's connection: as the client, to the first address of the host
 * that accepts; as the server, the one connection it accepts.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "tlso-cat.h"

/* An IPv4 client of a dual-stack listener reads better as what it is. */
static bool unmap_v4(const struct sockaddr *sa, struct sockaddr_in *sin)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family != AF_INET6 ||
	    !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		return false;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = sin6->sin6_port;
	memcpy(&sin->sin_addr, &sin6->sin6_addr.s6_addr[12], 4);
	return true;
}

static void sockaddr_str(const struct sockaddr *sa, socklen_t len,
			 char *buf, size_t size)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	struct sockaddr_in sin;

	if (unmap_v4(sa, &sin)) {
		sa = (struct sockaddr *)&sin;
		len = sizeof(sin);
	}
	if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(buf, size, "(unknown address)");
		return;
	}
	snprintf(buf, size, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
		 host, serv);
}

/* fd's own address, or with peer its peer's, as text. */
static void fd_addr_str(int fd, bool peer, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int ret;

	ret = peer ? getpeername(fd, (struct sockaddr *)&ss, &len) :
		     getsockname(fd, (struct sockaddr *)&ss, &len);
	if (ret < 0)
		snprintf(buf, size, "(unknown address)");
	else
		sockaddr_str((struct sockaddr *)&ss, len, buf, size);
}

static struct addrinfo *resolve(const char *node, const char *port,
				int family, int flags)
{
	struct addrinfo hints = {
		.ai_family = family,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = flags,
	};
	struct addrinfo *res;
	int ret;

	ret = getaddrinfo(node, port, &hints, &res);
	if (ret) {
		cat_msg(NORMAL, NULL, 0, "%s port %s: %s",
			node ? node : "any address", port,
			ret == EAI_SYSTEM ? strerror(errno) :
					    gai_strerror(ret));
		return NULL;
	}
	return res;
}

/* With -v, every address that did not take, before the verdict. */
static void dial_failed(const struct addrinfo *ai, int err, void *arg)
{
	char addr[WHO_SIZE];

	(void)arg;
	sockaddr_str(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr));
	say("connect to %s: %s", addr, strerror(err));
}

/*
 * The first address that accepts.  tlso_dial() rather than
 * tlso_connect(), for -4/-6 and so that a failure names its step.
 */
static int client_connect(const struct cat_opts *o, const char *who)
{
	struct addrinfo *res;
	char addr[WHO_SIZE];
	int fd, err;

	res = resolve(o->host, o->port, o->family, 0);
	if (!res)
		return -1;
	fd = tlso_dial(res, dial_failed, NULL);
	err = errno;
	freeaddrinfo(res);
	if (fd < 0) {
		fail(strerror(err), err, "connect to %s failed", who);
		return -1;
	}
	fd_addr_str(fd, true, addr, sizeof(addr));
	say("connected to %s (%s)", who, addr);
	return fd;
}

/* v6only < 0 leaves the system's default (net.ipv6.bindv6only). */
static int listen_on(const struct addrinfo *ai, int v6only)
{
	int fd, one = 1, err;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd < 0)
		return -1;
	/* Running again at once must not wait for the last TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6 && v6only >= 0)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
			   sizeof(v6only));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * The first address of node that takes a listener: its descriptor, or -1
 * with errno and the address that failed in addr, or -2 when the address
 * did not resolve (and that has been said).
 */
static int listen_first(const char *node, const char *port, int family,
			int v6only, char *addr, size_t size)
{
	struct addrinfo *res, *ai;
	int fd = -1, err = 0;

	res = resolve(node, port, family, AI_PASSIVE);
	if (!res)
		return -2;
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = listen_on(ai, v6only);
		if (fd < 0) {
			err = errno;
			sockaddr_str(ai->ai_addr, ai->ai_addrlen, addr, size);
		}
	}
	freeaddrinfo(res);
	errno = err;
	return fd;
}

/* Could this machine do IPv6 at all?  If not, IPv4 alone is the answer. */
static bool no_ipv6(int err)
{
	return err == EAFNOSUPPORT || err == EPROTONOSUPPORT ||
	       err == EADDRNOTAVAIL;
}

static int open_listener(const struct cat_opts *o)
{
	char addr[WHO_SIZE];
	int fd;

	if (o->listen_addr) {
		fd = listen_first(o->listen_addr, o->port, o->family, -1,
				  addr, sizeof(addr));
	} else if (o->family) {
		fd = listen_first(NULL, o->port, o->family,
				  o->family == AF_INET6 ? 1 : -1,
				  addr, sizeof(addr));
	} else {
		/* One socket for both: IPv4 arrives as ::ffff:a.b.c.d. */
		fd = listen_first(NULL, o->port, AF_INET6, 0,
				  addr, sizeof(addr));
		if (fd == -1 && no_ipv6(errno))
			fd = listen_first(NULL, o->port, AF_INET, -1,
					  addr, sizeof(addr));
	}
	if (fd == -1)
		fail(strerror(errno), errno, "cannot listen on %s", addr);
	return fd < 0 ? -1 : fd;
}

static int server_accept(const struct cat_opts *o, char *who, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[WHO_SIZE];
	int lfd, fd;

	lfd = open_listener(o);
	if (lfd < 0)
		return -1;
	fd_addr_str(lfd, false, addr, sizeof(addr));
	say("listening on %s", addr);
	do
		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		fail(strerror(errno), errno, "accept failed");
	else
		sockaddr_str((struct sockaddr *)&ss, len, who, size);
	/* One connection, as promised: nobody else gets in meanwhile. */
	close(lfd);
	if (fd >= 0)
		say("connection from %s", who);
	return fd;
}

int cat_connect(const struct cat_opts *o, char *who, size_t size)
{
	if (o->listen)
		return server_accept(o, who, size);
	snprintf(who, size, strchr(o->host, ':') ? "[%s]:%s" : "%s:%s",
		 o->host, o->port);
	return client_connect(o, who);
}
