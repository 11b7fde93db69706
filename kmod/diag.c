// SPDX-License-Identifier: GPL-2.0
/*
 * tlso: what monitoring sees of a socket.  ss reads the TCP ULP's diag
 * info, in the in-tree tls module's attributes, so that ss prints tlso
 * sockets as it prints kTLS ones; tlsoctl show reads the namespace's list
 * of attached sockets through the netlink dump TLSO_CMD_SOCK_GET.
 */
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <net/genetlink.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "tlso.h"
#include <uapi/linux/tlso.h>

struct tlso_diag_net {
	spinlock_t lock;	/* writers of socks */
	struct list_head socks;	/* struct tlso_ctx, oldest first */
	u64 next_id;		/* under lock */
};

static unsigned int tlso_diag_net_id __read_mostly;

/*
 * Sockets one round of a dump takes a reference on, outside RCU, to fill
 * under their locks; the dump comes back for more.
 */
#define TLSO_DIAG_BATCH	16

void tlso_diag_add(struct tlso_ctx *ctx)
{
	struct tlso_diag_net *dn = net_generic(sock_net(ctx->sk),
					       tlso_diag_net_id);

	ctx->owner = get_pid(task_tgid(current));
	get_task_comm(ctx->owner_comm, current);
	spin_lock_bh(&dn->lock);
	ctx->diag_id = ++dn->next_id;
	list_add_tail_rcu(&ctx->diag_node, &dn->socks);
	spin_unlock_bh(&dn->lock);
}

/* Before ctx is freed (after a grace period): readers walk the list under RCU. */
void tlso_diag_del(struct tlso_ctx *ctx)
{
	struct tlso_diag_net *dn = net_generic(sock_net(ctx->sk),
					       tlso_diag_net_id);

	spin_lock_bh(&dn->lock);
	list_del_rcu(&ctx->diag_node);
	spin_unlock_bh(&dn->lock);
	put_pid(ctx->owner);
	ctx->owner = NULL;
}

/* As the in-tree module reports its TLS_CONF_* for one direction. */
static u16 tlso_diag_conf(bool ready)
{
	return ready ? TLS_CONF_SW : TLS_CONF_BASE;
}

/*
 * ss -i as root (inet_diag asks only for CAP_NET_ADMIN callers): the same
 * attributes as the in-tree module, so that ss needs no change and, with
 * ulp_name=tls, shows nothing that tells the two apart.  The socket is
 * not locked here; its context is read under RCU, as kTLS reads its own.
 */
int tlso_diag_get_info(struct sock *sk, struct sk_buff *skb)
{
	struct tlso_ctx *ctx;
	struct nlattr *start;
	u16 version, cipher;
	bool tx, rx, no_pad;
	int err = 0;

	start = nla_nest_start_noflag(skb, INET_ULP_INFO_TLS);
	if (!start)
		return -EMSGSIZE;

	rcu_read_lock();
	ctx = rcu_dereference(inet_csk(sk)->icsk_ulp_data);
	if (!ctx)
		goto cancel;
	version = READ_ONCE(ctx->prot_info.version);
	cipher = READ_ONCE(ctx->prot_info.cipher_type);
	/* Each set once under lock_sock; a stale answer is a fair one. */
	tx = data_race(!!ctx->tx_ready);
	/* as tx_ready */
	rx = data_race(!!ctx->rx_ready);
	/* as tx_ready */
	no_pad = data_race(ctx->rx.no_pad);
	if ((version && nla_put_u16(skb, TLS_INFO_VERSION, version)) ||
	    (cipher && nla_put_u16(skb, TLS_INFO_CIPHER, cipher)) ||
	    nla_put_u16(skb, TLS_INFO_TXCONF, tlso_diag_conf(tx)) ||
	    nla_put_u16(skb, TLS_INFO_RXCONF, tlso_diag_conf(rx)) ||
	    (no_pad && nla_put_flag(skb, TLS_INFO_RX_NO_PAD))) {
		err = -EMSGSIZE;
		goto cancel;
	}
	rcu_read_unlock();
	nla_nest_end(skb, start);
	return 0;

cancel:
	rcu_read_unlock();
	nla_nest_cancel(skb, start);
	return err;
}

size_t tlso_diag_get_info_size(const struct sock *sk)
{
	return nla_total_size(0) +		/* INET_ULP_INFO_TLS */
		nla_total_size(sizeof(u16)) +	/* TLS_INFO_VERSION */
		nla_total_size(sizeof(u16)) +	/* TLS_INFO_CIPHER */
		nla_total_size(sizeof(u16)) +	/* TLS_INFO_TXCONF */
		nla_total_size(sizeof(u16)) +	/* TLS_INFO_RXCONF */
		nla_total_size(0);		/* TLS_INFO_RX_NO_PAD */
}

static u32 tlso_diag_state(const struct tlso_ctx *ctx)
{
	if (ctx->hs_state == TLSO_HS_FAILED)
		return TLSO_SOCK_FAILED;
	if (ctx->hs_state == TLSO_HS_PENDING)
		return TLSO_SOCK_HANDSHAKE;
	if (ctx->tx_ready || ctx->rx_ready)
		return TLSO_SOCK_KEYS;
	return TLSO_SOCK_ATTACHED;
}

static int tlso_diag_put_addrs(struct sk_buff *skb, struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);

	if (nla_put_u32(skb, TLSO_A_FAMILY, sk->sk_family) ||
	    nla_put_u32(skb, TLSO_A_LOCAL_PORT, ntohs(inet->inet_sport)) ||
	    nla_put_u32(skb, TLSO_A_PEER_PORT, ntohs(inet->inet_dport)))
		return -EMSGSIZE;
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6)
		return nla_put_in6_addr(skb, TLSO_A_LOCAL_ADDR,
					&sk->sk_v6_rcv_saddr) ?:
			nla_put_in6_addr(skb, TLSO_A_PEER_ADDR,
					 &sk->sk_v6_daddr);
#endif
	return nla_put_in_addr(skb, TLSO_A_LOCAL_ADDR, inet->inet_rcv_saddr) ?:
		nla_put_in_addr(skb, TLSO_A_PEER_ADDR, inet->inet_daddr);
}

/* Under lock_sock: ctx is attached and its fields agree. */
static int tlso_diag_fill(struct sk_buff *skb, struct netlink_callback *cb,
			  struct sock *sk, struct tlso_ctx *ctx)
{
	struct user_namespace *ns = current_user_ns();
	struct pid_namespace *pns = task_active_pid_ns(current);
	u32 state = tlso_diag_state(ctx);
	void *hdr;

	hdr = tlso_genl_dump_put(skb, cb, TLSO_CMD_SOCK_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, TLSO_A_INODE, sock_i_ino(sk),
			      TLSO_A_UNSPEC) ||
	    tlso_diag_put_addrs(skb, sk) ||
	    nla_put_u32(skb, TLSO_A_PID,
			pid_has_task(ctx->owner, PIDTYPE_TGID) ?
			pid_nr_ns(ctx->owner, pns) : 0) ||
	    nla_put_string(skb, TLSO_A_COMM, ctx->owner_comm) ||
	    nla_put_u32(skb, TLSO_A_SOCK_UID,
			from_kuid_munged(ns, sock_i_uid(sk))) ||
	    nla_put_u32(skb, TLSO_A_SOCK_STATE, state) ||
	    nla_put(skb, TLSO_A_INFO, sizeof(ctx->info), &ctx->info))
		goto cancel;
	if ((ctx->tx_ready || ctx->rx_ready) &&
	    (nla_put_u32(skb, TLSO_A_VERSION, ctx->prot_info.version) ||
	     nla_put_u32(skb, TLSO_A_CIPHER, ctx->prot_info.cipher_type) ||
	     nla_put_u32(skb, TLSO_A_KEYS_BY,
			 ctx->hs_state == TLSO_HS_DONE ? TLSO_KEYS_BY_DAEMON :
							 TLSO_KEYS_BY_APP)))
		goto cancel;
	if (ctx->hs_state == TLSO_HS_FAILED &&
	    (nla_put_u64_64bit(skb, TLSO_A_HS_US, ctx->hs_us, TLSO_A_UNSPEC) ||
	     nla_put_u32(skb, TLSO_A_STATUS, ctx->hs_status)))
		goto cancel;
	if (ctx->hs_state == TLSO_HS_DONE &&
	    (nla_put_u64_64bit(skb, TLSO_A_HS_US, ctx->hs_us, TLSO_A_UNSPEC) ||
	     nla_put_u32(skb, TLSO_A_PEER_AUTH, ctx->hs_peer_auth) ||
	     (ctx->hs_identity[0] &&
	      nla_put_string(skb, TLSO_A_PEER_IDENTITY, ctx->hs_identity)) ||
	     ((ctx->hs_flags & TLSO_HS_F_RESUMED) &&
	      nla_put_flag(skb, TLSO_A_RESUMED))))
		goto cancel;
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * Fill one socket if it is still tlso's and the caller may see it.
 * Returns -EMSGSIZE when the message did not fit (the dump comes back for
 * it), else 0.
 */
static int tlso_diag_one(struct sk_buff *skb, struct netlink_callback *cb,
			 struct sock *sk, bool all)
{
	struct tlso_ctx *ctx;
	int err = 0;

	lock_sock(sk);
	ctx = tlso_get_ctx(sk);
	if (ctx && (all || uid_eq(sock_i_uid(sk), current_euid())))
		err = tlso_diag_fill(skb, cb, sk, ctx);
	release_sock(sk);
	return err;
}

/*
 * Up to TLSO_DIAG_BATCH sockets after id last, held.  Returns how many;
 * fewer than asked for means the list has no more.
 */
static int tlso_diag_gather(struct tlso_diag_net *dn, u64 last,
			    struct sock **batch, u64 *ids)
{
	struct tlso_ctx *ctx;
	int n = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(ctx, &dn->socks, diag_node) {
		struct sock *sk = ctx->sk;

		if (ctx->diag_id <= last)
			continue;
		/* TCP sockets are SLAB_TYPESAFE_BY_RCU: this is safe to try. */
		if (!refcount_inc_not_zero(&sk->sk_refcnt))
			continue;
		batch[n] = sk;
		ids[n++] = ctx->diag_id;
		if (n == TLSO_DIAG_BATCH)
			break;
	}
	rcu_read_unlock();
	return n;
}

/*
 * cb->args[0]: the id of the last socket dumped.  Ids grow along the
 * list, so a dump resumes after it whatever closed in between.  Fills
 * the message buffer as far as it goes; returning its length with
 * nothing in it ends the dump.
 */
int tlso_diag_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct net *net = sock_net(skb->sk);
	struct tlso_diag_net *dn = net_generic(net, tlso_diag_net_id);
	bool all = netlink_net_capable(cb->skb, CAP_NET_ADMIN);
	struct sock *batch[TLSO_DIAG_BATCH];
	u64 ids[TLSO_DIAG_BATCH];
	u64 last = cb->args[0];
	int n, i, err = 0;

	do {
		n = tlso_diag_gather(dn, last, batch, ids);
		for (i = 0; i < n; i++) {
			if (!err)
				err = tlso_diag_one(skb, cb, batch[i], all);
			if (!err)
				last = ids[i];
			sock_put(batch[i]);
		}
	} while (!err && n == TLSO_DIAG_BATCH);
	cb->args[0] = last;
	return skb->len;
}

static int __net_init tlso_diag_net_init(struct net *net)
{
	struct tlso_diag_net *dn = net_generic(net, tlso_diag_net_id);

	spin_lock_init(&dn->lock);
	INIT_LIST_HEAD(&dn->socks);
	return 0;
}

static void __net_exit tlso_diag_net_exit(struct net *net)
{
	struct tlso_diag_net *dn = net_generic(net, tlso_diag_net_id);

	/* A namespace goes only after all of its sockets. */
	WARN_ON_ONCE(!list_empty(&dn->socks));
}

static struct pernet_operations tlso_diag_net_ops = {
	.init = tlso_diag_net_init,
	.exit = tlso_diag_net_exit,
	.id = &tlso_diag_net_id,
	.size = sizeof(struct tlso_diag_net),
};

int tlso_diag_init(void)
{
	return register_pernet_subsys(&tlso_diag_net_ops);
}

void tlso_diag_exit(void)
{
	unregister_pernet_subsys(&tlso_diag_net_ops);
}
