// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink side of tlsod: the parent's multicast listener and
 * each worker's ACCEPT and DONE.  libnl does the encoding and parsing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "log.h"
#include "netlink.h"

/* Workers to start when the socket overran and READYs were lost. */
#define TLSOD_OVERRUN_WORKERS	8
#define TLSOD_LISTEN_RCVBUF	(256 * 1024)
/* Room for TLSO_A_RX_DATA in one DONE. */
#define TLSOD_WORKER_SNDBUF	(256 * 1024)

struct tlsod_listener {
	struct nl_sock *sk;
	int family;		/* -1 while the module is away */
	int grp;
	bool follow;		/* subscribed to nlctrl's notifications */
	bool reresolve;		/* the family came back: join again */
	unsigned int ready;
	unsigned int probes;
	tlsod_ticket_fn on_ticket;
	void *ticket_arg;
};

struct tlsod_worker_nl {
	struct nl_sock *sk;
	int family;
};

static int nle_errno(int nle)
{
	switch (abs(nle)) {
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_AGAIN:
		return EAGAIN;
	case NLE_OBJ_NOTFOUND:
		return ENOENT;
	case NLE_PERM:
		return EPERM;
	case NLE_NOACCESS:
		return EACCES;
	case NLE_INVAL:
		return EINVAL;
	default:
		return EIO;
	}
}

/* A fresh, blocking genl socket with the family (and group) resolved. */
static int genl_open(struct nl_sock **out, int *family, int *grp,
		     int sndbuf)
{
	struct nl_sock *sk = nl_socket_alloc();
	int ret;

	if (!sk)
		return -ENOMEM;
	ret = genl_connect(sk);
	if (ret < 0)
		goto err;
	if (sndbuf) {
		ret = nl_socket_set_buffer_size(sk, 0, sndbuf);
		if (ret < 0)
			goto err;
	}
	ret = genl_ctrl_resolve(sk, TLSO_GENL_NAME);
	if (ret < 0)
		goto err;
	*family = ret;
	if (grp) {
		ret = genl_ctrl_resolve_grp(sk, TLSO_GENL_NAME,
					    TLSO_GENL_MCGRP);
		if (ret < 0)
			goto err;
		*grp = ret;
	}
	*out = sk;
	return 0;
err:
	log_debug("generic netlink: %s", nl_geterror(ret));
	nl_socket_free(sk);
	return -nle_errno(ret);
}

/* ---- the parent's listener ---- */

static void on_ctrl(struct tlsod_listener *l, struct nlmsghdr *nlh,
		    uint8_t cmd)
{
	static struct nla_policy policy[CTRL_ATTR_MAX + 1] = {
		[CTRL_ATTR_FAMILY_NAME] = { .type = NLA_STRING },
	};
	struct nlattr *tb[CTRL_ATTR_MAX + 1];

	if (cmd != CTRL_CMD_NEWFAMILY && cmd != CTRL_CMD_DELFAMILY)
		return;
	if (genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, policy) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_NAME] ||
	    strcmp(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]), TLSO_GENL_NAME))
		return;
	if (cmd == CTRL_CMD_DELFAMILY) {
		log_warn("tlso module unloaded; waiting for it to come back");
		l->family = -1;
		l->reresolve = false;
	} else {
		l->reresolve = true;
	}
}

/*
 * A session ticket for a client's worker: one whole NewSessionTicket,
 * as the kernel bounds it.  Checked again here all the same: the parent
 * hands it on to a worker.
 */
static void on_ticket(struct tlsod_listener *l, struct nlmsghdr *nlh)
{
	static struct nla_policy policy[TLSO_A_MAX + 1] = {
		[TLSO_A_REQ_ID] = { .type = NLA_U64 },
		[TLSO_A_TICKET] = { .type = NLA_UNSPEC,
				    .maxlen = TLSO_TICKET_MSG_MAX },
	};
	struct nlattr *tb[TLSO_A_MAX + 1];
	const unsigned char *m;
	size_t len;

	if (!l->on_ticket ||
	    genlmsg_parse(nlh, 0, tb, TLSO_A_MAX, policy) < 0 ||
	    !tb[TLSO_A_REQ_ID] || !tb[TLSO_A_TICKET])
		return;
	m = nla_data(tb[TLSO_A_TICKET]);
	len = nla_len(tb[TLSO_A_TICKET]);
	if (len < 4 || len > TLSO_TICKET_MSG_MAX || m[0] != 4 ||
	    ((size_t)m[1] << 16 | m[2] << 8 | m[3]) != len - 4) {
		log_warn("a malformed session ticket from the kernel (%zu bytes)",
			 len);
		return;
	}
	l->on_ticket(l->ticket_arg, nla_get_u64(tb[TLSO_A_REQ_ID]), m, len);
}

void tlsod_listener_on_ticket(struct tlsod_listener *l, tlsod_ticket_fn fn,
			      void *arg)
{
	l->on_ticket = fn;
	l->ticket_arg = arg;
}

static int on_listener_msg(struct nl_msg *msg, void *arg)
{
	struct tlsod_listener *l = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh;

	if (!genlmsg_valid_hdr(nlh, 0))
		return NL_SKIP;
	gh = genlmsg_hdr(nlh);
	if (l->family >= 0 && nlh->nlmsg_type == l->family) {
		if (gh->cmd == TLSO_CMD_READY)
			l->ready++;
		else if (gh->cmd == TLSO_CMD_TICKET)
			on_ticket(l, nlh);
	} else if (nlh->nlmsg_type == GENL_ID_CTRL && l->follow) {
		on_ctrl(l, nlh, gh->cmd);
	}
	return NL_OK;
}

/*
 * nlctrl's "notify" group tells when a family comes and goes, so that an
 * rmmod/insmod of tlso does not leave tlsod deaf.  Not vital.  Resolved
 * before any membership, while no notification can get in the way.
 */
static int notify_group(struct tlsod_listener *l)
{
	int grp = genl_ctrl_resolve_grp(l->sk, "nlctrl", "notify");

	if (grp < 0)
		log_warn("cannot follow module reloads: %s", nl_geterror(grp));
	return grp;
}

int tlsod_listen(struct tlsod_listener **out)
{
	struct tlsod_listener *l = calloc(1, sizeof(*l));
	int ret, ctrl_grp, on = 1;

	if (!l)
		return -ENOMEM;
	ret = genl_open(&l->sk, &l->family, &l->grp, 0);
	if (ret)
		goto err_free;
	ctrl_grp = notify_group(l);
	ret = nl_socket_add_membership(l->sk, l->grp);
	if (ret < 0)
		goto err_nl;
	if (ctrl_grp >= 0)
		l->follow = nl_socket_add_membership(l->sk, ctrl_grp) == 0;
	/* A larger queue makes lost READYs (ENOBUFS) unlikely. */
	nl_socket_set_buffer_size(l->sk, TLSOD_LISTEN_RCVBUF, 0);
	/*
	 * Without it netlink tells the module ESRCH when this queue is
	 * full, as if nobody listened, and a busy tlsod looks like none:
	 * requests would be refused instead of waiting for the ACCEPTs
	 * that the overrun starts (tlsod_listener_read()).
	 */
	if (setsockopt(nl_socket_get_fd(l->sk), SOL_NETLINK,
		       NETLINK_BROADCAST_ERROR, &on, sizeof(on))) {
		ret = -errno;
		log_err("generic netlink: NETLINK_BROADCAST_ERROR: %s",
			strerror(errno));
		nl_socket_free(l->sk);
		goto err_free;
	}
	/* nlctrl's notifications can be larger than a page. */
	nl_socket_enable_msg_peek(l->sk);
	/* Notifications carry no sequence numbers of ours. */
	nl_socket_disable_seq_check(l->sk);
	ret = nl_socket_modify_cb(l->sk, NL_CB_VALID, NL_CB_CUSTOM,
				  on_listener_msg, l);
	if (ret < 0)
		goto err_nl;
	ret = nl_socket_set_nonblocking(l->sk);
	if (ret < 0)
		goto err_nl;
	*out = l;
	return 0;
err_nl:
	log_err("generic netlink: %s", nl_geterror(ret));
	ret = -nle_errno(ret);
	nl_socket_free(l->sk);
err_free:
	free(l);
	return ret;
}

int tlsod_listener_fd(const struct tlsod_listener *l)
{
	return nl_socket_get_fd(l->sk);
}

static void rejoin(struct tlsod_listener *l)
{
	struct nl_sock *tmp;
	int family, grp, ret;

	l->reresolve = false;
	ret = genl_open(&tmp, &family, &grp, 0);
	if (ret) {
		log_err("tlso module is back, but resolving it failed: %s",
			strerror(-ret));
		return;
	}
	nl_socket_free(tmp);
	ret = nl_socket_add_membership(l->sk, grp);
	if (ret < 0) {
		log_err("tlso module is back, but joining %s failed: %s",
			TLSO_GENL_MCGRP, nl_geterror(ret));
		return;
	}
	l->family = family;
	l->grp = grp;
	log_notice("tlso module loaded again; listening");
}

int tlsod_listener_read(struct tlsod_listener *l, unsigned int *ready,
			unsigned int *probes)
{
	struct nl_cb *cb = nl_socket_get_cb(l->sk);
	int ret;

	/* Each call reads one datagram; 0 means the queue is empty. */
	while ((ret = nl_recvmsgs_report(l->sk, cb)) != 0) {
		if (ret > 0)
			continue;
		if (ret == -NLE_NOMEM) {
			log_warn("netlink socket overran: READY notifications lost, probing with %d workers",
				 TLSOD_OVERRUN_WORKERS);
			l->probes += TLSOD_OVERRUN_WORKERS;
			continue;
		}
		if (ret == -NLE_AGAIN || ret == -NLE_INTR)
			break;
		log_err("netlink receive: %s", nl_geterror(ret));
		break;
	}
	nl_cb_put(cb);
	if (l->reresolve)
		rejoin(l);
	*ready += l->ready;
	*probes += l->probes;
	l->ready = 0;
	l->probes = 0;
	return ret < 0 && ret != -NLE_AGAIN && ret != -NLE_INTR ?
	       -nle_errno(ret) : 0;
}

void tlsod_listener_free(struct tlsod_listener *l)
{
	if (!l)
		return;
	nl_socket_free(l->sk);
	free(l);
}

/* ---- a worker's ACCEPT and DONE ---- */

int tlsod_worker_connect(struct tlsod_worker_nl **out)
{
	struct tlsod_worker_nl *w = calloc(1, sizeof(*w));
	int ret;

	if (!w)
		return -ENOMEM;
	ret = genl_open(&w->sk, &w->family, NULL, TLSOD_WORKER_SNDBUF);
	if (ret) {
		free(w);
		return ret;
	}
	*out = w;
	return 0;
}

void tlsod_worker_free(struct tlsod_worker_nl *w)
{
	if (!w)
		return;
	nl_socket_free(w->sk);
	free(w);
}

struct accept_ctx {
	struct tlsod_request *req;
	int family;
	bool got;
	bool bad;
};

/* The kernel's own errno, which libnl would fold into its NLE_ codes. */
static int on_nl_error(struct sockaddr_nl *nla, struct nlmsgerr *e,
		       void *arg)
{
	int *err = arg;

	(void)nla;
	*err = e->error < 0 ? -e->error : e->error;
	return NL_STOP;
}

static struct nla_policy accept_policy[TLSO_A_MAX + 1] = {
	[TLSO_A_SOCKFD]		= { .type = NLA_U32 },
	[TLSO_A_ROLE]		= { .type = NLA_U32 },
	[TLSO_A_TIMEOUT]	= { .type = NLA_U32 },
	[TLSO_A_FLAGS]		= { .type = NLA_U32 },
	[TLSO_A_PEERNAME]	= { .type = NLA_STRING,
				    .maxlen = TLSO_PEER_NAME_SIZE },
	[TLSO_A_PROFILE]	= { .type = NLA_STRING,
				    .maxlen = TLSO_PROFILE_SIZE },
	[TLSO_A_REQ_ID]		= { .type = NLA_U64 },
	[TLSO_A_UID]		= { .type = NLA_U32 },
	[TLSO_A_GID]		= { .type = NLA_U32 },
	[TLSO_A_PID]		= { .type = NLA_U32 },
	[TLSO_A_SOCK_UID]	= { .type = NLA_U32 },
	[TLSO_A_QUEUED_US]	= { .type = NLA_U32 },
};

/*
 * Even a reply that fails the policy may have put a descriptor into our
 * table; take it and the id, so that DONE can still say EINVAL.
 */
static void rescue_fd(struct nlmsghdr *nlh, struct tlsod_request *req)
{
	struct nlattr *tb[TLSO_A_MAX + 1];

	if (genlmsg_parse(nlh, 0, tb, TLSO_A_MAX, NULL) < 0)
		return;
	if (tb[TLSO_A_SOCKFD] && nla_len(tb[TLSO_A_SOCKFD]) == 4)
		req->fd = nla_get_u32(tb[TLSO_A_SOCKFD]);
	if (tb[TLSO_A_REQ_ID] && nla_len(tb[TLSO_A_REQ_ID]) == 8) {
		req->id = nla_get_u64(tb[TLSO_A_REQ_ID]);
		req->have_id = 1;
	}
}

static int on_accept_reply(struct nl_msg *msg, void *arg)
{
	struct accept_ctx *ctx = arg;
	struct tlsod_request *req = ctx->req;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[TLSO_A_MAX + 1];

	if (nlh->nlmsg_type != ctx->family || !genlmsg_valid_hdr(nlh, 0) ||
	    genlmsg_hdr(nlh)->cmd != TLSO_CMD_ACCEPT)
		return NL_SKIP;
	ctx->got = true;
	if (genlmsg_parse(nlh, 0, tb, TLSO_A_MAX, accept_policy) < 0) {
		ctx->bad = true;
		rescue_fd(nlh, req);
		return NL_SKIP;
	}
	if (tb[TLSO_A_SOCKFD])
		req->fd = nla_get_u32(tb[TLSO_A_SOCKFD]);
	if (tb[TLSO_A_REQ_ID]) {
		req->id = nla_get_u64(tb[TLSO_A_REQ_ID]);
		req->have_id = 1;
	}
	if (tb[TLSO_A_ROLE])
		req->role = nla_get_u32(tb[TLSO_A_ROLE]);
	if (tb[TLSO_A_TIMEOUT])
		req->timeout_ms = nla_get_u32(tb[TLSO_A_TIMEOUT]);
	if (tb[TLSO_A_FLAGS])
		req->flags = nla_get_u32(tb[TLSO_A_FLAGS]);
	if (tb[TLSO_A_PEERNAME])
		nla_strlcpy(req->peer_name, tb[TLSO_A_PEERNAME],
			    sizeof(req->peer_name));
	if (tb[TLSO_A_PROFILE])
		nla_strlcpy(req->profile, tb[TLSO_A_PROFILE],
			    sizeof(req->profile));
	/* All four or none: a policy must not act on half of who asked. */
	if (tb[TLSO_A_UID] && tb[TLSO_A_GID] && tb[TLSO_A_PID] &&
	    tb[TLSO_A_SOCK_UID]) {
		req->uid = nla_get_u32(tb[TLSO_A_UID]);
		req->gid = nla_get_u32(tb[TLSO_A_GID]);
		req->pid = nla_get_u32(tb[TLSO_A_PID]);
		req->sock_uid = nla_get_u32(tb[TLSO_A_SOCK_UID]);
		req->have_creds = 1;
	}
	if (tb[TLSO_A_QUEUED_US])
		req->queued_us = nla_get_u32(tb[TLSO_A_QUEUED_US]);
	if (req->fd < 0 || !req->have_id)
		ctx->bad = true;
	return NL_SKIP;
}

static struct nl_msg *worker_msg(struct tlsod_worker_nl *w, uint8_t cmd,
				 size_t payload)
{
	struct nl_msg *msg;

	msg = nlmsg_alloc_size(NLMSG_HDRLEN + GENL_HDRLEN + 512 + payload);
	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, w->family, 0, 0,
			 cmd, TLSO_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Send msg, wait for the kernel's ACK; the kernel's errno if it refused. */
static void wipe_msg(struct nl_msg *msg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);

	explicit_bzero(h, h->nlmsg_len);
}

static int worker_send(struct tlsod_worker_nl *w, struct nl_msg *msg,
		       const char *what)
{
	int kerr = 0, ret;

	nl_socket_modify_err_cb(w->sk, NL_CB_CUSTOM, on_nl_error, &kerr);
	/* nl_send_sync(), but the message wiped: DONE carries secrets. */
	ret = nl_send_auto(w->sk, msg);
	wipe_msg(msg);
	nlmsg_free(msg);
	if (ret >= 0)
		ret = nl_wait_for_ack(w->sk);
	nl_socket_modify_err_cb(w->sk, NL_CB_DEFAULT, NULL, NULL);
	if (kerr)
		return -kerr;
	if (ret < 0) {
		log_err("%s: %s", what, nl_geterror(ret));
		return -nle_errno(ret);
	}
	return 0;
}

int tlsod_accept(struct tlsod_worker_nl *w, struct tlsod_request *req)
{
	struct accept_ctx ctx = { .req = req, .family = w->family };
	struct nl_msg *msg;
	int ret;

	memset(req, 0, sizeof(*req));
	req->fd = -1;
	msg = worker_msg(w, TLSO_CMD_ACCEPT, 0);
	if (!msg)
		return -ENOMEM;
	nl_socket_modify_cb(w->sk, NL_CB_VALID, NL_CB_CUSTOM,
			    on_accept_reply, &ctx);
	ret = worker_send(w, msg, "ACCEPT");
	nl_socket_modify_cb(w->sk, NL_CB_VALID, NL_CB_DEFAULT, NULL, NULL);
	if (ret)
		return ret;
	/*
	 * The kernel acknowledges after its reply, in a message of its own,
	 * and nl_send_sync() returned on the reply: take the ACK now, or
	 * DONE would read it as its own answer.
	 */
	if (ctx.got)
		nl_wait_for_ack(w->sk);
	if (!ctx.got || ctx.bad)
		return -EBADMSG;
	return 0;
}

int tlsod_done(struct tlsod_worker_nl *w, const struct tlsod_request *req,
	       const struct tlsod_result *res)
{
	bool ok = res->status == 0;
	struct nl_msg *msg;
	size_t len = 0;
	int ret = 0;

	if (ok && res->peer_identity)
		len += strlen(res->peer_identity) + 1;
	if (ok)
		len += res->rx_len + 2 * res->secret_len;
	msg = worker_msg(w, TLSO_CMD_DONE, len);
	if (!msg)
		return -ENOMEM;
	if (req->have_id)
		ret = nla_put_u64(msg, TLSO_A_REQ_ID, req->id);
	if (!ret)
		ret = nla_put_u32(msg, TLSO_A_SOCKFD, req->fd);
	if (!ret)
		ret = nla_put_u32(msg, TLSO_A_STATUS, res->status);
	/* NONE is what the kernel assumes without it. */
	if (!ret && ok && res->peer_auth != TLSO_AUTH_NONE)
		ret = nla_put_u32(msg, TLSO_A_PEER_AUTH, res->peer_auth);
	if (!ret && ok && res->peer_identity && res->peer_identity[0])
		ret = nla_put_string(msg, TLSO_A_PEER_IDENTITY,
				     res->peer_identity);
	if (!ret && ok && res->rx_len)
		ret = nla_put(msg, TLSO_A_RX_DATA, res->rx_len, res->rx_data);
	if (!ret && ok && res->record_size_limit)
		ret = nla_put_u32(msg, TLSO_A_RECORD_SIZE_LIMIT,
				  res->record_size_limit);
	if (!ret && ok && res->secret_len) {
		ret = nla_put(msg, TLSO_A_TX_SECRET, res->secret_len,
			      res->tx_secret);
		if (!ret)
			ret = nla_put(msg, TLSO_A_RX_SECRET, res->secret_len,
				      res->rx_secret);
		if (!ret)
			ret = nla_put_u32(msg, TLSO_A_HASH, res->hash);
		if (!ret && res->ku_records)
			ret = nla_put_u32(msg, TLSO_A_KU_RECORDS,
					  res->ku_records);
		if (!ret && res->tickets)
			ret = nla_put_flag(msg, TLSO_A_TICKETS);
	}
	if (!ret && ok && res->resumed)
		ret = nla_put_flag(msg, TLSO_A_RESUMED);
	ret = ret < 0 ? ret : 0;
	if (ret < 0) {
		wipe_msg(msg);
		nlmsg_free(msg);
		log_err("DONE: %s", nl_geterror(ret));
		return -nle_errno(ret);
	}
	return worker_send(w, msg, "DONE");
}
