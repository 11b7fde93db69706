// SPDX-License-Identifier: GPL-2.0
/*
 * tlso-cat: a netcat for TLS built on libtlso.
 *
 * It connects (or accepts one connection), attaches tlso, has tlsod do
 * the handshake, and then copies standard input to the connection and
 * the connection to standard output.  The records are the module's
 * business: this program only ever sees plaintext.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/tlso.h>

#include "libtlso.h"

#define TLSO_CAT_VERSION "0.1"

/* One record's worth of plaintext, so that each read can fill a record. */
#define CAT_BUF_SIZE 16384

/* Big enough for "[IPv6 address]:port" and for "host:port". */
#define WHO_SIZE (NI_MAXHOST + NI_MAXSERV + 4)

#define REQ_FIELD_SIZE(field) sizeof(((struct tlso_handshake_req *)0)->field)

enum { QUIET, NORMAL, VERBOSE };

struct cat_opts {
	bool listen;
	const char *host;	/* client */
	const char *port;
	const char *listen_addr;
	const char *name;	/* NULL: host */
	const char *profile;
	unsigned int timeout_ms;
	int family;
};

static const char *progname = "tlso-cat";
static int verbosity = NORMAL;

static void synopsis(FILE *f)
{
	fprintf(f,
		"usage: %s [options] HOST PORT\n"
		"       %s -l [options] PORT\n",
		progname, progname);
}

static void usage(FILE *f)
{
	synopsis(f);
	fprintf(f,
		"\n"
		"A netcat for TLS: connect to HOST PORT (or, with -l, accept one\n"
		"connection on PORT), have tlsod perform the TLS handshake, then\n"
		"copy standard input to the connection and the connection to\n"
		"standard output until the peer closes it.\n"
		"\n"
		"  -l, --listen         be the server: accept one connection on\n"
		"                       PORT (any IPv6 and IPv4 address), serve\n"
		"                       it and exit\n"
		"      --listen-addr A  with -l: listen on address A only\n"
		"      --name NAME      the name the server's certificate must be\n"
		"                       issued to, also sent as SNI (default: HOST;\n"
		"                       '' checks the certificate chain only)\n"
		"      --profile P      tlsod profile to use (default: \"default\")\n"
		"      --timeout MS     handshake timeout in milliseconds (default:\n"
		"                       the profile's)\n"
		"  -4, -6               IPv4 or IPv6 only\n"
		"  -q, --quiet          print no error messages (exit status only)\n"
		"  -v, --verbose        print the connection and the handshake's\n"
		"                       outcome (version, cipher, peer) on stderr\n"
		"  -h, --help           show this help\n"
		"      --version        show the version\n"
		"\n"
		"End of input sends the TLS close_notify (shutdown SHUT_WR); the\n"
		"program goes on printing what the peer sends until it closes.\n"
		"Exit status: 0 after a clean session, 1 on a connection, handshake\n"
		"or I/O error, 2 on bad usage.  See tlso-cat(1).\n");
}

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < VERBOSE)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* The errno's name next to the text, so that a log line can be searched. */
static const char *errname(int err)
{
	static char buf[32];
	const char *name = strerrorname_np(err);

	if (name)
		return name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

/*
 * "tlso-cat: WHAT: WHY (ENAME)".  WHY is tlso_strerror()'s for what tlso
 * did, strerror()'s for the rest: ETIMEDOUT from connect() is not a
 * handshake that took too long.
 */
static void __attribute__((format(printf, 3, 4)))
fail(const char *why, int err, const char *fmt, ...)
{
	va_list ap;

	if (verbosity < NORMAL)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s (%s)\n", why, errname(err));
	va_end(ap);
}

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

static void __attribute__((format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	synopsis(stderr);
	fprintf(stderr, "Try '%s --help' for the options.\n", progname);
}

/* ---- arguments ---- */

static int parse_ms(const char *s, unsigned int *ms)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v > UINT_MAX)
		return -1;
	*ms = v;
	return 0;
}

/* A number the kernel can bind (0: any free port, for -l) or a service. */
static bool port_ok(const char *port, bool listen)
{
	unsigned long v;
	char *end;

	if (*port >= '0' && *port <= '9') {
		v = strtoul(port, &end, 10);
		return !*end && v <= 65535 && (v > 0 || listen);
	}
	return *port && getservbyname(port, "tcp") != NULL;
}

static int check_opts(const struct cat_opts *o, int nargs)
{
	if (o->listen && nargs != 1) {
		bad_usage(nargs ? "with -l, give only PORT" :
				  "-l needs a PORT");
		return -1;
	}
	if (!o->listen && nargs != 2) {
		bad_usage(nargs < 2 ? "give HOST and PORT (or -l PORT)" :
				      "too many arguments");
		return -1;
	}
	if (o->listen && o->name) {
		bad_usage("--name is for the client: a server has no name to check");
		return -1;
	}
	if (!o->listen && o->listen_addr) {
		bad_usage("--listen-addr needs -l");
		return -1;
	}
	if (!port_ok(o->port, o->listen)) {
		bad_usage("'%s' is not a TCP port number or service name",
			  o->port);
		return -1;
	}
	return 0;
}

/* The request's own limits, checked here so that they are usage errors. */
static int check_lengths(const struct cat_opts *o)
{
	const char *name = o->name ? o->name : o->host;

	if (name && strlen(name) >= REQ_FIELD_SIZE(peer_name)) {
		bad_usage("the peer name is longer than %zu bytes",
			  REQ_FIELD_SIZE(peer_name) - 1);
		return -1;
	}
	if (o->profile && strlen(o->profile) >= REQ_FIELD_SIZE(profile)) {
		bad_usage("the profile name is longer than %zu bytes",
			  REQ_FIELD_SIZE(profile) - 1);
		return -1;
	}
	return 0;
}

static int set_family(struct cat_opts *o, int family)
{
	if (o->family && o->family != family) {
		bad_usage("-4 and -6 exclude each other");
		return -1;
	}
	o->family = family;
	return 0;
}

/* 0 to go on, 1 when --help or --version has been answered, -1 on error. */
static int parse_args(int argc, char **argv, struct cat_opts *o)
{
	enum { OPT_NAME = 256, OPT_PROFILE, OPT_TIMEOUT, OPT_LISTEN_ADDR,
	       OPT_VERSION };
	static const struct option opts[] = {
		{ "listen", no_argument, NULL, 'l' },
		{ "listen-addr", required_argument, NULL, OPT_LISTEN_ADDR },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int c, nargs;

	while ((c = getopt_long(argc, argv, "l46qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o->listen = true;
			break;
		case OPT_LISTEN_ADDR:
			o->listen_addr = optarg;
			break;
		case OPT_NAME:
			o->name = optarg;
			break;
		case OPT_PROFILE:
			o->profile = optarg;
			break;
		case OPT_TIMEOUT:
			if (parse_ms(optarg, &o->timeout_ms) < 0) {
				bad_usage("--timeout wants milliseconds, not '%s'",
					  optarg);
				return -1;
			}
			break;
		case '4':
		case '6':
			if (set_family(o, c == '4' ? AF_INET : AF_INET6) < 0)
				return -1;
			break;
		case 'q':
			verbosity = QUIET;
			break;
		case 'v':
			verbosity = VERBOSE;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case OPT_VERSION:
			printf("%s %s\n", progname, TLSO_CAT_VERSION);
			return 1;
		default:
			/* getopt has said what was wrong */
			synopsis(stderr);
			fprintf(stderr, "Try '%s --help' for the options.\n",
				progname);
			return -1;
		}
	}
	nargs = argc - optind;
	if (!o->listen && nargs == 2)
		o->host = argv[optind++];
	if (nargs >= 1)
		o->port = argv[optind];
	if (check_opts(o, nargs) < 0 || check_lengths(o) < 0)
		return -1;
	return 0;
}

/* ---- connections ---- */

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
		if (verbosity >= NORMAL)
			fprintf(stderr, "%s: %s port %s: %s\n", progname,
				node ? node : "any address", port,
				ret == EAI_SYSTEM ? strerror(errno) :
						    gai_strerror(ret));
		return NULL;
	}
	return res;
}

/*
 * The first address that accepts.  Our own loop rather than
 * tlso_connect(), for -4/-6 and so that a failure names its step.
 */
static int client_connect(const struct cat_opts *o, const char *who)
{
	struct addrinfo *res, *ai;
	char addr[WHO_SIZE];
	int fd = -1, err = 0;

	res = resolve(o->host, o->port, o->family, 0);
	if (!res)
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		sockaddr_str(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr));
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		if (fd >= 0)
			close(fd);
		fd = -1;
		say("connect to %s: %s", addr, strerror(err));
	}
	freeaddrinfo(res);
	if (fd < 0)
		fail(strerror(err), err, "connect to %s failed", who);
	else
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

static void show_listener(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[WHO_SIZE];

	if (verbosity < VERBOSE ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	sockaddr_str((struct sockaddr *)&ss, len, addr, sizeof(addr));
	say("listening on %s", addr);
}

static int server_accept(const struct cat_opts *o, char *who, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int lfd, fd;

	lfd = open_listener(o);
	if (lfd < 0)
		return -1;
	show_listener(lfd);
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

/* ---- the handshake ---- */

static const char *version_name(unsigned int v)
{
	static char buf[16];

	if (v == TLS_1_2_VERSION)
		return "TLS 1.2";
	if (v == TLS_1_3_VERSION)
		return "TLS 1.3";
	snprintf(buf, sizeof(buf), "version 0x%04x", v);
	return buf;
}

static const char *cipher_name(unsigned int c)
{
	static char buf[16];

	switch (c) {
	case TLS_CIPHER_AES_GCM_128:
		return "AES-GCM-128";
	case TLS_CIPHER_AES_GCM_256:
		return "AES-GCM-256";
	case TLS_CIPHER_AES_CCM_128:
		return "AES-CCM-128";
	case TLS_CIPHER_CHACHA20_POLY1305:
		return "ChaCha20-Poly1305";
	}
	snprintf(buf, sizeof(buf), "cipher %u", c);
	return buf;
}

static void show_outcome(int fd, const char *who)
{
	struct tlso_handshake_status st;

	if (verbosity < VERBOSE)
		return;
	if (tlso_handshake_status(fd, &st) < 0) {
		say("handshake with %s done; its status is unknown: %s", who,
		    tlso_strerror(errno));
		return;
	}
	say("handshake with %s done: %s, %s, peer %s", who,
	    version_name(st.version), cipher_name(st.cipher),
	    st.peer_identity[0] ? st.peer_identity :
				  "without an identity (no certificate or PSK)");
}

/*
 * The kernel ends its wait with EINTR on any signal, a stop and continue
 * (^Z, fg) too, but the handshake goes on: wait for its end the way a
 * non-blocking caller does.
 */
static int handshake_end(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	struct tlso_handshake_status st;

	for (;;) {
		if (tlso_handshake_status(fd, &st) < 0)
			return -1;
		if (st.state == TLSO_HS_DONE)
			return 0;
		if (st.state != TLSO_HS_PENDING) {
			errno = st.status ? (int)st.status : EIO;
			return -1;
		}
		/*
		 * Only the end makes the socket writable; a hangup may come
		 * sooner, and must not make this loop spin.
		 */
		if (poll(&p, 1, -1) > 0 && (p.revents & (POLLHUP | POLLERR)))
			poll(NULL, 0, 50);
	}
}

static int secure(int fd, const struct cat_opts *o, const char *who)
{
	struct tlso_handshake_opts ho = {
		.role = o->listen ? TLSO_ROLE_SERVER : TLSO_ROLE_CLIENT,
		.peer_name = o->listen ? NULL : o->name ? o->name : o->host,
		.profile = o->profile,
		.timeout_ms = o->timeout_ms,
	};

	if (tlso_attach(fd) < 0) {
		fail(tlso_strerror(errno), errno,
		     "cannot attach tlso to the connection with %s", who);
		return -1;
	}
	if (o->listen)
		say("handshake with %s as the server", who);
	else if (ho.peer_name[0])
		say("handshake with %s, verifying the server as '%s'", who,
		    ho.peer_name);
	else
		say("handshake with %s, checking the certificate chain only",
		    who);
	if (tlso_handshake(fd, &ho) < 0 &&
	    (errno != EINTR || handshake_end(fd) < 0)) {
		fail(tlso_strerror(errno), errno, "handshake with %s failed",
		     who);
		return -1;
	}
	show_outcome(fd, who);
	return 0;
}

/* ---- the session ---- */

struct session {
	int fd;
	const char *who;
	bool in_eof;		/* standard input has ended */
	bool shut;		/* close_notify sent */
	size_t off, len;	/* of buf, still to send */
	char buf[CAT_BUF_SIZE];
};

/* Standard output may be a non-blocking pipe we were given. */
static int write_all(int fd, const char *p, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EAGAIN) {
			poll(&pfd, 1, -1);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
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
	if (write_all(STDOUT_FILENO, buf, n) < 0) {
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

static void client_who(const struct cat_opts *o, char *who, size_t size)
{
	snprintf(who, size, strchr(o->host, ':') ? "[%s]:%s" : "%s:%s",
		 o->host, o->port);
}

int main(int argc, char **argv)
{
	struct cat_opts o = { 0 };
	char who[WHO_SIZE];
	int fd, ret;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret < 0 ? 2 : 0;
	/* A peer that goes away is an error to report, not a way to die. */
	signal(SIGPIPE, SIG_IGN);

	if (o.listen) {
		fd = server_accept(&o, who, sizeof(who));
	} else {
		client_who(&o, who, sizeof(who));
		fd = client_connect(&o, who);
	}
	if (fd < 0)
		return 1;
	if (secure(fd, &o, who) < 0) {
		close(fd);
		return 1;
	}
	ret = pump(fd, who);
	close(fd);
	return ret;
}
