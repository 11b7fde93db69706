/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helpers: a stand-in for tlsod on the "tlso" generic netlink family,
 * so that the kernel side of the handshake upcall can be tested on its
 * own: take a request, then end it with any status.  Errors the kernel
 * answers come back as its own negative errno, not libnl's codes.
 */
#ifndef TLSO_TEST_UPCALL_H
#define TLSO_TEST_UPCALL_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include <linux/netlink.h>
#include <linux/tlso.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct upcall {
	struct nl_sock *sk;
	int family;
	int grp;
	/* from the last ACCEPT */
	int fd;
	uint64_t id;
	uint32_t role, timeout;
	char peer[TLSO_PEER_NAME_SIZE], profile[TLSO_PROFILE_SIZE];
	int have_creds;		/* all four of uid, gid, pid, sock_uid */
	uint32_t uid, gid, pid, sock_uid;
	int ready;
	int kerr;		/* errno of the kernel's last refusal */
};

static int upcall_cb(struct nl_msg *msg, void *arg)
{
	struct upcall *u = arg;
	struct genlmsghdr *g = genlmsg_hdr(nlmsg_hdr(msg));
	struct nlattr *a[TLSO_A_MAX + 1];

	if (g->cmd == TLSO_CMD_READY) {
		u->ready++;
		return NL_OK;
	}
	if (g->cmd != TLSO_CMD_ACCEPT ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, a, TLSO_A_MAX, NULL))
		return NL_SKIP;
	u->fd = a[TLSO_A_SOCKFD] ? (int)nla_get_u32(a[TLSO_A_SOCKFD]) : -1;
	u->id = a[TLSO_A_REQ_ID] ? nla_get_u64(a[TLSO_A_REQ_ID]) : 0;
	u->role = a[TLSO_A_ROLE] ? nla_get_u32(a[TLSO_A_ROLE]) : 0;
	u->timeout = a[TLSO_A_TIMEOUT] ? nla_get_u32(a[TLSO_A_TIMEOUT]) : 0;
	if (a[TLSO_A_PEERNAME])
		snprintf(u->peer, sizeof(u->peer), "%s",
			 nla_get_string(a[TLSO_A_PEERNAME]));
	if (a[TLSO_A_PROFILE])
		snprintf(u->profile, sizeof(u->profile), "%s",
			 nla_get_string(a[TLSO_A_PROFILE]));
	u->have_creds = a[TLSO_A_UID] && a[TLSO_A_GID] && a[TLSO_A_PID] &&
			a[TLSO_A_SOCK_UID];
	u->uid = a[TLSO_A_UID] ? nla_get_u32(a[TLSO_A_UID]) : 0;
	u->gid = a[TLSO_A_GID] ? nla_get_u32(a[TLSO_A_GID]) : 0;
	u->pid = a[TLSO_A_PID] ? nla_get_u32(a[TLSO_A_PID]) : 0;
	u->sock_uid = a[TLSO_A_SOCK_UID] ?
		      nla_get_u32(a[TLSO_A_SOCK_UID]) : 0;
	return NL_OK;
}

/* Keep the kernel's errno, which libnl would fold into its NLE_ codes. */
static int upcall_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e,
			 void *arg)
{
	struct upcall *u = arg;

	(void)nla;
	u->kerr = e->error < 0 ? -e->error : e->error;
	return NL_STOP;
}

/* libnl's answer as a negative errno, the kernel's own where it gave one. */
static inline int upcall_errno(struct upcall *u, int nle)
{
	if (nle >= 0)
		return 0;
	if (u->kerr)
		return -u->kerr;
	switch (-nle) {
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_NOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/*
 * Join the handshake group, as tlsod does: 0 or -errno (EPERM without
 * CAP_NET_ADMIN in the socket's network namespace).
 */
static inline int upcall_join(struct upcall *u)
{
	if (setsockopt(nl_socket_get_fd(u->sk), SOL_NETLINK,
		       NETLINK_ADD_MEMBERSHIP, &u->grp, sizeof(u->grp)))
		return -errno;
	return 0;
}

/* Connect; with listen, join the group as tlsod does.  0 or -1. */
static inline int upcall_open(struct upcall *u, int listen)
{
	memset(u, 0, sizeof(*u));
	u->fd = -1;
	u->sk = nl_socket_alloc();
	if (!u->sk || genl_connect(u->sk))
		return -1;
	u->family = genl_ctrl_resolve(u->sk, TLSO_GENL_NAME);
	if (u->family < 0)
		return -1;
	u->grp = genl_ctrl_resolve_grp(u->sk, TLSO_GENL_NAME, TLSO_GENL_MCGRP);
	if (u->grp < 0)
		return -1;
	if (listen && upcall_join(u))
		return -1;
	nl_socket_disable_seq_check(u->sk);
	nl_socket_modify_cb(u->sk, NL_CB_VALID, NL_CB_CUSTOM, upcall_cb, u);
	nl_socket_modify_err_cb(u->sk, NL_CB_CUSTOM, upcall_err_cb, u);
	return 0;
}

static inline void upcall_close(struct upcall *u)
{
	if (u->sk)
		nl_socket_free(u->sk);
	u->sk = NULL;
}

/* Wait for a READY notification; 0, or -1 after ms. */
static inline int upcall_wait_ready(struct upcall *u, int ms)
{
	struct pollfd p = { nl_socket_get_fd(u->sk), POLLIN, 0 };

	while (!u->ready) {
		if (poll(&p, 1, ms) <= 0)
			return -1;
		nl_recvmsgs_default(u->sk);
	}
	u->ready--;
	return 0;
}

/* Send ACCEPT and read nothing: 0 or -errno. */
static inline int upcall_send_accept(struct upcall *u)
{
	struct nl_msg *m = nlmsg_alloc();
	int err;

	if (!m)
		return -ENOMEM;
	genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, u->family, 0, 0,
		    TLSO_CMD_ACCEPT, TLSO_GENL_VERSION);
	nl_socket_disable_auto_ack(u->sk);
	err = nl_send_auto(u->sk, m);
	nlmsg_free(m);
	return err < 0 ? -EIO : 0;
}

/* ACCEPT: 0 and u->fd etc. set, or a negative errno (-EAGAIN: none). */
static inline int upcall_accept(struct upcall *u)
{
	int err;

	u->fd = -1;
	u->kerr = 0;
	err = upcall_send_accept(u);
	if (err)
		return err;
	/* A listener may read READYs first: the answer comes after them. */
	while (u->fd < 0) {
		err = nl_recvmsgs_default(u->sk);
		if (err < 0)
			return upcall_errno(u, err);
	}
	return 0;
}

/*
 * A client handshake asked for on fd and taken as tlsod takes it: 0 with
 * the daemon's descriptor in u->fd, or -1.  fd is non-blocking while it
 * asks, or the request would wait for its daemon: this very process.
 */
static inline int upcall_take_client(struct upcall *u, int fd,
				     const char *peer_name)
{
	struct tlso_handshake_req r = { .role = TLSO_ROLE_CLIENT };

	snprintf(r.peer_name, sizeof(r.peer_name), "%s", peer_name);
	if (fcntl(fd, F_SETFL, O_NONBLOCK) ||
	    setsockopt(fd, SOL_TLS, TLSO_HANDSHAKE, &r, sizeof(r)) != -1 ||
	    errno != EINPROGRESS || fcntl(fd, F_SETFL, 0) ||
	    upcall_wait_ready(u, 10000) || upcall_accept(u))
		return -1;
	return 0;
}

/* A DONE message for the request, status given, the rest to add. */
static inline struct nl_msg *upcall_done_msg(struct upcall *u, uint64_t id,
					     int fd, uint32_t status)
{
	struct nl_msg *m = nlmsg_alloc();

	if (!m)
		return NULL;
	genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, u->family, 0, 0,
		    TLSO_CMD_DONE, TLSO_GENL_VERSION);
	nla_put_u64(m, TLSO_A_REQ_ID, id);
	nla_put_u32(m, TLSO_A_SOCKFD, fd);
	nla_put_u32(m, TLSO_A_STATUS, status);
	return m;
}

/* Send it, wait for the answer: 0 or the kernel's negative errno. */
static inline int upcall_done_send(struct upcall *u, struct nl_msg *m)
{
	nl_socket_enable_auto_ack(u->sk);
	u->kerr = 0;
	return upcall_errno(u, nl_send_sync(u->sk, m));
}

/*
 * DONE with TLSO_A_PEER_AUTH when peer_auth >= 0: 0 or the kernel's
 * negative errno.
 */
static inline int upcall_done_auth(struct upcall *u, uint64_t id, int fd,
				   uint32_t status, int64_t peer_auth,
				   const char *identity, const void *data,
				   size_t len)
{
	struct nl_msg *m = upcall_done_msg(u, id, fd, status);

	if (!m)
		return -ENOMEM;
	if (peer_auth >= 0)
		nla_put_u32(m, TLSO_A_PEER_AUTH, (uint32_t)peer_auth);
	if (identity)
		nla_put_string(m, TLSO_A_PEER_IDENTITY, identity);
	if (len)
		nla_put(m, TLSO_A_RX_DATA, len, data);
	return upcall_done_send(u, m);
}

/*
 * DONE, status 0, with the TLS 1.3 traffic secrets (TLSO_A_TX_SECRET,
 * TLSO_A_RX_SECRET of tx_len and rx_len bytes, TLSO_A_HASH): 0 or the
 * kernel's negative errno.
 */
static inline int upcall_done_secrets(struct upcall *u, uint64_t id, int fd,
				      uint32_t hash, const void *tx,
				      size_t tx_len, const void *rx,
				      size_t rx_len)
{
	struct nl_msg *m = upcall_done_msg(u, id, fd, 0);

	if (!m)
		return -ENOMEM;
	nla_put(m, TLSO_A_TX_SECRET, tx_len, tx);
	nla_put(m, TLSO_A_RX_SECRET, rx_len, rx);
	nla_put_u32(m, TLSO_A_HASH, hash);
	return upcall_done_send(u, m);
}

/* DONE, status 0, with one more u32 attribute: 0 or the negative errno. */
static inline int upcall_done_u32(struct upcall *u, uint64_t id, int fd,
				  int attr, uint32_t value)
{
	struct nl_msg *m = upcall_done_msg(u, id, fd, 0);

	if (!m)
		return -ENOMEM;
	nla_put_u32(m, attr, value);
	return upcall_done_send(u, m);
}

/* DONE: 0 or the kernel's negative errno. */
static inline int upcall_done(struct upcall *u, uint64_t id, int fd,
			      uint32_t status, const char *identity,
			      const void *data, size_t len)
{
	return upcall_done_auth(u, id, fd, status, -1, identity, data, len);
}

#endif /* TLSO_TEST_UPCALL_H */
