/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helpers: a stand-in for tlsod on the "tlso" generic netlink family,
 * so that the kernel side of the handshake upcall can be tested on its
 * own: take a request, then end it with any status.
 */
#ifndef TLSO_TEST_UPCALL_H
#define TLSO_TEST_UPCALL_H

#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include <linux/tlso.h>

struct upcall {
	struct nl_sock *sk;
	int family;
	/* from the last ACCEPT */
	int fd;
	uint64_t id;
	uint32_t role, timeout;
	char peer[TLSO_PEER_NAME_SIZE], profile[TLSO_PROFILE_SIZE];
	int ready;
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
	return NL_OK;
}

/* Connect; with listen, join the group as tlsod does. 0 or -1. */
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
	if (listen) {
		int grp = genl_ctrl_resolve_grp(u->sk, TLSO_GENL_NAME,
						TLSO_GENL_MCGRP);

		if (grp < 0 || nl_socket_add_membership(u->sk, grp))
			return -1;
	}
	nl_socket_disable_seq_check(u->sk);
	nl_socket_modify_cb(u->sk, NL_CB_VALID, NL_CB_CUSTOM, upcall_cb, u);
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

/* ACCEPT: 0 and u->fd etc. set, or libnl's negative error. */
static inline int upcall_accept(struct upcall *u)
{
	struct nl_msg *m = nlmsg_alloc();
	int err;

	if (!m)
		return -NLE_NOMEM;
	genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, u->family, 0, 0,
		    TLSO_CMD_ACCEPT, TLSO_GENL_VERSION);
	nl_socket_disable_auto_ack(u->sk);
	u->fd = -1;
	err = nl_send_auto(u->sk, m);
	nlmsg_free(m);
	if (err < 0)
		return err;
	err = nl_recvmsgs_default(u->sk);
	if (err < 0)
		return err;
	return u->fd >= 0 ? 0 : -NLE_FAILURE;
}

/* DONE: 0 or libnl's negative error. */
static inline int upcall_done(struct upcall *u, uint64_t id, int fd,
			      uint32_t status, const char *identity,
			      const void *data, size_t len)
{
	struct nl_msg *m = nlmsg_alloc();
	int err;

	if (!m)
		return -NLE_NOMEM;
	genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, u->family, 0, 0,
		    TLSO_CMD_DONE, TLSO_GENL_VERSION);
	nla_put_u64(m, TLSO_A_REQ_ID, id);
	nla_put_u32(m, TLSO_A_SOCKFD, fd);
	nla_put_u32(m, TLSO_A_STATUS, status);
	if (identity)
		nla_put_string(m, TLSO_A_PEER_IDENTITY, identity);
	if (len)
		nla_put(m, TLSO_A_RX_DATA, len, data);
	nl_socket_enable_auto_ack(u->sk);
	err = nl_send_sync(u->sk, m);
	return err;
}

#endif /* TLSO_TEST_UPCALL_H */
