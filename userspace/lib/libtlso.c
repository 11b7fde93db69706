// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtlso: attach the ULP, read what the module says of itself, and ask
 * tlsod for handshakes.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/tlso.h>

#include "libtlso.h"
#include "net.h"

#define TLSO_PARAM_ULP_NAME "/sys/module/tlso/parameters/ulp_name"

int tlso_ulp_name(char *buf, size_t size)
{
	ssize_t n;
	int fd;

	if (size == 0) {
		errno = EINVAL;
		return -1;
	}
	fd = open(TLSO_PARAM_ULP_NAME, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (access("/sys/module/tlso", F_OK) < 0) {
			errno = ENOENT;
			return -1;
		}
		/* Loaded, but sysfs does not show the parameter. */
		strncpy(buf, TLSO_ULP_NAME, size - 1);
		buf[size - 1] = 0;
		return 0;
	}
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = 0;
	return 0;
}

int tlso_attach(int fd)
{
	char name[16];

	if (tlso_ulp_name(name, sizeof(name)) < 0)
		return -1;
	return setsockopt(fd, SOL_TCP, TCP_ULP, name, strlen(name));
}

/* NULL and "" both mean "none"; the kernel wants the terminator inside. */
static int copy_name(char *dst, size_t size, const char *src)
{
	size_t len = src ? strlen(src) : 0;

	if (len >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dst, src ? src : "", len);
	dst[len] = 0;
	return 0;
}

/*
 * Checked here, not only in the kernel, so that a name too long is told
 * apart from the kernel's EINVAL, and so that tlso_connect() fails before
 * it connects anywhere.
 */
static int fill_req(struct tlso_handshake_req *req,
		    const struct tlso_handshake_opts *o)
{
	memset(req, 0, sizeof(*req));
	if (!o || (o->role != TLSO_ROLE_CLIENT &&
		   o->role != TLSO_ROLE_SERVER)) {
		errno = EINVAL;
		return -1;
	}
	req->role = o->role;
	req->timeout_ms = o->timeout_ms;
	if (copy_name(req->peer_name, sizeof(req->peer_name), o->peer_name) ||
	    copy_name(req->profile, sizeof(req->profile), o->profile))
		return -1;
	return 0;
}

static int send_req(int fd, const struct tlso_handshake_req *req)
{
	return setsockopt(fd, SOL_TLS, TLSO_HANDSHAKE, req, sizeof(*req));
}

int tlso_handshake(int fd, const struct tlso_handshake_opts *o)
{
	struct tlso_handshake_req req;

	if (fill_req(&req, o) < 0)
		return -1;
	return send_req(fd, &req);
}

int tlso_handshake_status(int fd, struct tlso_handshake_status *st)
{
	socklen_t len = sizeof(*st);

	if (!st) {
		errno = EINVAL;
		return -1;
	}
	memset(st, 0, sizeof(*st));
	return getsockopt(fd, SOL_TLS, TLSO_HANDSHAKE, st, &len);
}

/* getaddrinfo() has its own error space; the API promises errno. */
static int gai_errno(int eai)
{
	switch (eai) {
	case EAI_SYSTEM:
		return errno ? errno : EIO;
	case EAI_MEMORY:
		return ENOMEM;
	case EAI_AGAIN:
		return EAGAIN;
	case EAI_SERVICE:
	case EAI_BADFLAGS:
	case EAI_FAMILY:
	case EAI_SOCKTYPE:
		return EINVAL;
	default:
		return ENXIO;
	}
}

/* The first address that accepts; errno from the last one tried. */
static int dial(const char *host, const char *port)
{
	const struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
	};
	struct addrinfo *res;
	int fd, err, ret;

	ret = getaddrinfo(host, port, &hints, &res);
	if (ret) {
		errno = gai_errno(ret);
		return -1;
	}
	fd = tlso_dial(res, NULL, NULL);
	err = errno;
	freeaddrinfo(res);
	errno = err;
	return fd;
}

int tlso_connect(const char *host, const char *port,
		 const struct tlso_handshake_opts *o)
{
	struct tlso_handshake_opts co;
	struct tlso_handshake_req req;
	int fd, err;

	if (!host || !port || !o) {
		errno = EINVAL;
		return -1;
	}
	co = *o;
	if (co.role == TLSO_ROLE_CLIENT && !co.peer_name)
		co.peer_name = host;
	if (fill_req(&req, &co) < 0)
		return -1;
	fd = dial(host, port);
	if (fd < 0)
		return -1;
	if (tlso_attach(fd) < 0 || send_req(fd, &req) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static const struct {
	int err;
	const char *text;
} tlso_errors[] = {
	/* TLSO_HANDSHAKE, from the module */
	{ ESRCH, "no tlsod is running" },
	{ EALREADY, "a handshake is already running on this socket" },
	{ EBUSY,
	  "too many handshakes are waiting for tlsod in this network namespace" },
	{ EAGAIN,
	  "too many of this user's handshakes are waiting for tlsod (or the name could not be resolved for now); try again later" },
	{ EISCONN, "the socket already carries TLS keys" },
	{ ECONNABORTED, "tlsod went away during the handshake" },
	{ ETIMEDOUT, "the handshake did not end in time" },
	{ EINTR, "a signal interrupted the wait; the handshake goes on" },
	{ EINPROGRESS, "the handshake is running (non-blocking socket)" },
	{ ENOPROTOOPT, "tlso is not attached to the socket" },
	/* from tlsod, see tlsod(8) */
	{ EACCES,
	  "the peer's certificate did not verify, the peer refused ours, or this user may not use the profile" },
	{ EPROTO,
	  "the peer broke the protocol, or the two sides share no version, cipher or kind of credentials" },
	{ ECONNRESET, "the peer closed or reset the connection" },
	{ EINVAL,
	  "invalid request, tlsod has no usable profile of that name, or a client gave no peer name to verify" },
	{ EIO, "tlsod could not complete the handshake (its log says why)" },
	/* attaching */
	{ ENOENT, "tlso.ko is not loaded" },
	{ EEXIST,
	  "another TCP upper-layer protocol is attached to the socket" },
	{ ENOTCONN, "the socket is not an established TCP connection" },
	/* from the library itself */
	{ ENAMETOOLONG, "the peer name or the profile name is too long" },
	{ ENXIO, "the host name has no address" },
	/* the records after the handshake */
	{ EBADMSG, "a record from the peer failed authentication" },
	{ EKEYEXPIRED,
	  "the peer sent a TLS 1.3 KeyUpdate and no new key was installed" },
};

const char *tlso_strerror(int err)
{
	size_t i;

	for (i = 0; i < sizeof(tlso_errors) / sizeof(tlso_errors[0]); i++)
		if (tlso_errors[i].err == err)
			return tlso_errors[i].text;
	return strerror(err);
}
