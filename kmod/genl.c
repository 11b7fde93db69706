// SPDX-License-Identifier: GPL-2.0
/*
 * tlso: the generic netlink family "tlso" through which tlsod takes
 * handshake requests (ACCEPT) and reports their end (DONE); the module
 * multicasts READY to the "handshake" group when one is queued.
 */
#include <linux/file.h>
#include <linux/net.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <net/genetlink.h>
#include <net/sock.h>

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
	[TLSO_A_STATUS] = NLA_POLICY_MAX(NLA_U32, 4095),
	[TLSO_A_PEER_IDENTITY] = { .type = NLA_NUL_STRING,
				   .len = TLSO_IDENTITY_SIZE - 1 },
	[TLSO_A_RX_DATA] = { .type = NLA_BINARY, .len = TLSO_RX_DATA_MAX },
	[TLSO_A_REQ_ID] = { .type = NLA_U64 },
};

static const struct genl_multicast_group tlso_genl_mcgrps[] = {
	{ .name = TLSO_GENL_MCGRP },
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

static int tlso_genl_accept_reply(struct genl_info *info,
				  const struct tlso_hs_ticket *t, int fd,
				  struct sk_buff **out)
{
	const struct tlso_handshake_req *req = &t->req;
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put_reply(skb, info, &tlso_genl_family, 0,
				TLSO_CMD_ACCEPT);
	if (!hdr ||
	    nla_put_u32(skb, TLSO_A_SOCKFD, fd) ||
	    nla_put_u64_64bit(skb, TLSO_A_REQ_ID, t->id, TLSO_A_UNSPEC) ||
	    nla_put_u32(skb, TLSO_A_ROLE, req->role) ||
	    nla_put_u32(skb, TLSO_A_TIMEOUT, req->timeout_ms) ||
	    nla_put_u32(skb, TLSO_A_FLAGS, req->flags) ||
	    nla_put_string(skb, TLSO_A_PEERNAME, req->peer_name) ||
	    nla_put_string(skb, TLSO_A_PROFILE, req->profile)) {
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
 * reply carries the descriptor and the request.  The netlink socket that
 * sent ACCEPT must stay open until DONE: its closing means the daemon is
 * gone.
 */
static int tlso_genl_accept(struct sk_buff *skb, struct genl_info *info)
{
	struct tlso_hs_ticket t;
	struct sk_buff *reply;
	int fd, err;

	err = tlso_hs_take(genl_info_net(info), info->snd_portid, &t);
	if (err)
		return err;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		err = fd;
		goto err_untake;
	}
	err = tlso_genl_accept_reply(info, &t, fd, &reply);
	if (err)
		goto err_fd;
	fd_install(fd, t.file);
	tlso_hs_handed_out(&t);
	return genlmsg_reply(reply, info);

err_fd:
	put_unused_fd(fd);
err_untake:
	tlso_hs_untake(&t);
	return err;
}

static int tlso_genl_done(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	const char *identity = NULL;
	const u8 *data = NULL;
	struct tlso_hs *hs;
	struct socket *sock;
	u32 status, len = 0;
	int err;

	if (!a[TLSO_A_REQ_ID] || !a[TLSO_A_SOCKFD] || !a[TLSO_A_STATUS])
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

	status = nla_get_u32(a[TLSO_A_STATUS]);
	if (a[TLSO_A_PEER_IDENTITY])
		identity = nla_data(a[TLSO_A_PEER_IDENTITY]);
	if (a[TLSO_A_RX_DATA]) {
		data = nla_data(a[TLSO_A_RX_DATA]);
		len = nla_len(a[TLSO_A_RX_DATA]);
	}
	tlso_hs_end(hs, status, identity, data, len);
	return 0;
}

static const struct genl_small_ops tlso_genl_ops[] = {
	{
		.cmd = TLSO_CMD_ACCEPT,
		.doit = tlso_genl_accept,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = TLSO_CMD_DONE,
		.doit = tlso_genl_done,
		.flags = GENL_ADMIN_PERM,
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
