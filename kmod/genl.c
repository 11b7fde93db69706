// SPDX-License-Identifier: GPL-2.0
/*
 * tlso: the generic netlink family "tlso" through which tlsod takes
 * handshake requests (ACCEPT) and reports their end (DONE); the module
 * multicasts READY to the "handshake" group when one is queued.
 */
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/net.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/pid.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "compat.h"
#include "tlso.h"
#include <uapi/linux/tlso.h>

static const struct nla_policy tlso_genl_policy[TLSO_A_MAX + 1] = {
	[TLSO_A_SOCKFD] = { .type = NLA_U32 },
	[TLSO_A_ROLE] = { .type = NLA_U32 },
	[TLSO_A_TIMEOUT] = { .type = NLA_U32 },
	[TLSO_A_FLAGS] = { .type = NLA_U32 },
	[TLSO_A_PEERNAME] = { .type = NLA_NUL_STRING,
			      .len = TLSO_PEER_NAME_SIZE - 1 },
	[TLSO_A_PROFILE] = { .type = NLA_NUL_STRING,
			     .len = TLSO_PROFILE_SIZE - 1 },
	[TLSO_A_STATUS] = NLA_POLICY_MAX(NLA_U32, TLSO_DONE_STATUS_MAX),
	[TLSO_A_PEER_IDENTITY] = { .type = NLA_NUL_STRING,
				   .len = TLSO_IDENTITY_SIZE - 1 },
	[TLSO_A_RX_DATA] = { .type = NLA_BINARY, .len = TLSO_RX_DATA_MAX },
	[TLSO_A_REQ_ID] = { .type = NLA_U64 },
	[TLSO_A_UID] = { .type = NLA_U32 },
	[TLSO_A_GID] = { .type = NLA_U32 },
	[TLSO_A_PID] = { .type = NLA_U32 },
	[TLSO_A_SOCK_UID] = { .type = NLA_U32 },
	[TLSO_A_PEER_AUTH] = NLA_POLICY_MAX(NLA_U32, TLSO_AUTH_PSK),
	[TLSO_A_TX_SECRET] = { .type = NLA_BINARY, .len = TLSO_SECRET_MAX },
	[TLSO_A_RX_SECRET] = { .type = NLA_BINARY, .len = TLSO_SECRET_MAX },
	[TLSO_A_HASH] = NLA_POLICY_RANGE(NLA_U32, TLSO_HASH_SHA256,
					 TLSO_HASH_SHA384),
	[TLSO_A_KU_RECORDS] = NLA_POLICY_MIN(NLA_U32, 1),
	[TLSO_A_RECORD_SIZE_LIMIT] =
		NLA_POLICY_RANGE(NLA_U32, TLSO_RECORD_SIZE_LIMIT_MIN,
				 TLSO_RECORD_SIZE_LIMIT_MAX),
	[TLSO_A_TICKETS] = { .type = NLA_FLAG },
	[TLSO_A_TICKET] = { .type = NLA_REJECT },	/* ours to send */
	[TLSO_A_RESUMED] = { .type = NLA_FLAG },
	[TLSO_A_QUEUED_US] = { .type = NLA_REJECT },	/* ours to send */
	/* SOCK_GET's answer, ours to send */
	[TLSO_A_INODE ... TLSO_A_HS_US] = { .type = NLA_REJECT },
};

/* Being in the group is what makes a daemon: only for CAP_NET_ADMIN. */
static const struct genl_multicast_group tlso_genl_mcgrps[] = {
	{ .name = TLSO_GENL_MCGRP, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family tlso_genl_family;

bool tlso_genl_has_daemon(struct net *net)
{
	return genl_has_listeners(&tlso_genl_family, net, 0) > 0;
}

int tlso_genl_ready(struct net *net)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(0, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put(skb, 0, 0, &tlso_genl_family, 0, TLSO_CMD_READY);
	if (!hdr) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return genlmsg_multicast_netns(&tlso_genl_family, net, skb, 0, 0,
				       GFP_KERNEL);
}

/*
 * A session ticket for the daemons: the group is CAP_NET_ADMIN's alone,
 * like the requests themselves.  Sleeps (lock_sock's caller).
 */
int tlso_genl_ticket(struct net *net, u64 id, const u8 *msg, u32 len)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(nla_total_size_64bit(sizeof(u64)) +
			  nla_total_size(len), GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put(skb, 0, 0, &tlso_genl_family, 0, TLSO_CMD_TICKET);
	if (!hdr ||
	    nla_put_u64_64bit(skb, TLSO_A_REQ_ID, id, TLSO_A_UNSPEC) ||
	    nla_put(skb, TLSO_A_TICKET, len, msg)) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return genlmsg_multicast_netns(&tlso_genl_family, net, skb, 0, 0,
				       GFP_KERNEL);
}

/* One message of a dump, answering the request in cb. */
void *tlso_genl_dump_put(struct sk_buff *skb, struct netlink_callback *cb,
			 u8 cmd)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
			   cb->nlh->nlmsg_seq, &tlso_genl_family, NLM_F_MULTI,
			   cmd);
}

/* The requester's thread group in the caller's pid namespace; 0 if gone. */
static u32 tlso_genl_pid(struct pid *pid)
{
	return pid_has_task(pid, PIDTYPE_TGID) ? pid_vnr(pid) : 0;
}

static int tlso_genl_accept_reply(struct genl_info *info,
				  const struct tlso_hs *hs, int fd,
				  struct sk_buff **out)
{
	/* Who asked, as the daemon (the caller) names users and processes. */
	struct user_namespace *ns = current_user_ns();
	const struct tlso_handshake_req *req = &hs->req;
	s64 us = ktime_us_delta(ktime_get(), hs->queued);
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put_reply(skb, info, &tlso_genl_family, 0,
				TLSO_CMD_ACCEPT);
	if (!hdr ||
	    nla_put_u32(skb, TLSO_A_QUEUED_US, min_t(s64, us, U32_MAX)) ||
	    nla_put_u32(skb, TLSO_A_SOCKFD, fd) ||
	    nla_put_u64_64bit(skb, TLSO_A_REQ_ID, hs->id, TLSO_A_UNSPEC) ||
	    nla_put_u32(skb, TLSO_A_ROLE, req->role) ||
	    nla_put_u32(skb, TLSO_A_TIMEOUT, req->timeout_ms) ||
	    nla_put_u32(skb, TLSO_A_FLAGS, req->flags) ||
	    nla_put_string(skb, TLSO_A_PEERNAME, req->peer_name) ||
	    nla_put_string(skb, TLSO_A_PROFILE, req->profile) ||
	    nla_put_u32(skb, TLSO_A_UID, from_kuid_munged(ns, hs->uid)) ||
	    nla_put_u32(skb, TLSO_A_GID, from_kgid_munged(ns, hs->gid)) ||
	    nla_put_u32(skb, TLSO_A_PID, tlso_genl_pid(hs->pid)) ||
	    nla_put_u32(skb, TLSO_A_SOCK_UID,
			from_kuid_munged(ns, hs->sock_uid))) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	*out = skb;
	return 0;
}

/*
 * Hand the oldest request to the caller: the socket's file goes into the
 * caller's descriptor table, as net/handshake does for tlshd, and the
 * reply carries the descriptor and the request.  The reply goes first,
 * so that a daemon that cannot receive it is left with no descriptor it
 * does not know of; the request then waits for the next ACCEPT.  The
 * netlink socket that sent ACCEPT must stay open until DONE: its closing
 * means the daemon is gone.
 */
static int tlso_genl_accept(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct sk_buff *reply;
	struct tlso_hs *hs;
	struct file *file;
	int fd, err;

	hs = tlso_hs_take(net, info->snd_portid);
	if (!hs)
		return -EAGAIN;
	file = tlso_hs_file(hs);
	if (!file) {
		/* Ended meanwhile, or the application is closing it. */
		tlso_hs_untake(hs);
		return -EAGAIN;
	}
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		err = fd;
		goto err_file;
	}
	err = tlso_genl_accept_reply(info, hs, fd, &reply);
	if (err)
		goto err_fd;
	err = genlmsg_reply(reply, info);
	if (err)
		goto err_fd;
	fd_install(fd, file);
	tlso_hs_handed_out(hs);
	return 0;

err_fd:
	put_unused_fd(fd);
err_file:
	fput(file);
	/* Queued again: say so, as for a new one. */
	if (tlso_hs_untake(hs))
		tlso_genl_ready(net);
	return err;
}

static int tlso_genl_done(struct sk_buff *skb, struct genl_info *info)
{
	struct tlso_hs_outcome out = { .peer_auth = TLSO_AUTH_NONE };
	struct nlattr **a = info->attrs;
	struct tlso_hs *hs;
	struct socket *sock;
	int err;

	if (!a[TLSO_A_REQ_ID] || !a[TLSO_A_SOCKFD] || !a[TLSO_A_STATUS])
		return -EINVAL;
	/* The secrets come together, as long as each other, or not at all. */
	if (!!a[TLSO_A_TX_SECRET] != !!a[TLSO_A_RX_SECRET] ||
	    !!a[TLSO_A_TX_SECRET] != !!a[TLSO_A_HASH] ||
	    (a[TLSO_A_TX_SECRET] && nla_len(a[TLSO_A_TX_SECRET]) !=
				    nla_len(a[TLSO_A_RX_SECRET])))
		return -EINVAL;
	/* Only a process that holds the socket may end its handshake. */
	sock = sockfd_lookup(nla_get_u32(a[TLSO_A_SOCKFD]), &err);
	if (!sock)
		return err;
	hs = tlso_hs_find(genl_info_net(info), nla_get_u64(a[TLSO_A_REQ_ID]),
			  info->snd_portid, sock->sk);
	sockfd_put(sock);
	/* Not this daemon's, or already ended (a timeout, say). */
	if (!hs)
		return -ENOENT;

	/* The policy bounds status and peer_auth. */
	out.status = nla_get_u32(a[TLSO_A_STATUS]);
	if (a[TLSO_A_PEER_AUTH])
		out.peer_auth = nla_get_u32(a[TLSO_A_PEER_AUTH]);
	if (a[TLSO_A_PEER_IDENTITY])
		out.identity = nla_data(a[TLSO_A_PEER_IDENTITY]);
	if (a[TLSO_A_RX_DATA]) {
		out.data = nla_data(a[TLSO_A_RX_DATA]);
		out.len = nla_len(a[TLSO_A_RX_DATA]);
	}
	if (a[TLSO_A_TX_SECRET]) {
		out.tx_secret = nla_data(a[TLSO_A_TX_SECRET]);
		out.rx_secret = nla_data(a[TLSO_A_RX_SECRET]);
		out.secret_len = nla_len(a[TLSO_A_TX_SECRET]);
		out.hash = nla_get_u32(a[TLSO_A_HASH]);
		if (a[TLSO_A_KU_RECORDS])
			out.ku_records = nla_get_u32(a[TLSO_A_KU_RECORDS]);
	}
	out.tickets = a[TLSO_A_TICKETS] && a[TLSO_A_TX_SECRET];
	out.resumed = !!a[TLSO_A_RESUMED];
	if (a[TLSO_A_RECORD_SIZE_LIMIT])
		out.record_size_limit =
			nla_get_u32(a[TLSO_A_RECORD_SIZE_LIMIT]);
	tlso_hs_end(hs, &out);
	return 0;
}

static const struct genl_small_ops tlso_genl_ops[] = {
	{
		.cmd = TLSO_CMD_ACCEPT,
		.doit = tlso_genl_accept,
		/* CAP_NET_ADMIN in the namespace the requests live in */
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = TLSO_CMD_DONE,
		.doit = tlso_genl_done,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		/* Anyone: the dump shows a caller only its own sockets. */
		.cmd = TLSO_CMD_SOCK_GET,
		.dumpit = tlso_diag_dump,
	},
};

static struct genl_family tlso_genl_family = {
	.name = TLSO_GENL_NAME,
	.version = TLSO_GENL_VERSION,
	.maxattr = TLSO_A_MAX,
	.policy = tlso_genl_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.small_ops = tlso_genl_ops,
	.n_small_ops = ARRAY_SIZE(tlso_genl_ops),
	.mcgrps = tlso_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(tlso_genl_mcgrps),
};

/* tlsod killed mid-handshake: its netlink socket goes, and so do its requests. */
static int tlso_genl_notify(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event == NETLINK_URELEASE && n->protocol == NETLINK_GENERIC &&
	    n->portid)
		tlso_hs_daemon_gone(n->net, n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block tlso_genl_nb = {
	.notifier_call = tlso_genl_notify,
};

int tlso_genl_init(void)
{
	int err;

	err = genl_register_family(&tlso_genl_family);
	if (err)
		return err;
	err = netlink_register_notifier(&tlso_genl_nb);
	if (err)
		genl_unregister_family(&tlso_genl_family);
	return err;
}

void tlso_genl_exit(void)
{
	netlink_unregister_notifier(&tlso_genl_nb);
	genl_unregister_family(&tlso_genl_family);
}
