// SPDX-License-Identifier: GPL-2.0
/*
 * tlso: the TCP upper-layer protocol, attaching to and detaching from a
 * socket.
 *
 * Attaching swaps the socket's struct proto for tlso's copy of it, as the
 * in-tree tls module does, so that tlso sees the socket options, the
 * disconnect and the close of that socket and everything else stays TCP's.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <net/tcp.h>

#include "compat.h"
#include "tlso.h"

enum {
	TLSO_V4,
	TLSO_V6,
	TLSO_NUM_FAMILIES
};

/*
 * One proto and one proto_ops per address family, built from the first
 * TCP socket of that family to attach: tcpv6_prot and inet6_stream_ops
 * live in the ipv6 code and are not exported, so the socket is the only
 * place to learn their addresses from.
 */
static struct proto tlso_prots[TLSO_NUM_FAMILIES];
static struct proto_ops tlso_ops[TLSO_NUM_FAMILIES];
static const struct proto *tlso_base_prots[TLSO_NUM_FAMILIES];
static const struct proto_ops *tlso_base_ops[TLSO_NUM_FAMILIES];
static DEFINE_MUTEX(tlso_proto_mutex);

static struct tcp_ulp_ops tlso_ulp_ops;

static void tlso_ctx_free(struct sock *sk, struct tlso_ctx *ctx)
{
	struct net *net = sock_net(sk);

	tlso_ku_free(ctx);
	if (ctx->tx_ready)
		tlso_stat_dec(net, TLSO_MIB_CURR_TX);
	if (ctx->rx_ready)
		tlso_stat_dec(net, TLSO_MIB_CURR_RX);
	tlso_stat_dec(net, TLSO_MIB_CURR_ATTACHED);
	tlso_diag_del(ctx);
	/* Readers such as diag look at the context under RCU. */
	kfree_rcu(ctx, rcu);
}

/* Give the socket back to TCP (on close, or as TCP destroys it). */
static void tlso_detach(struct sock *sk, struct tlso_ctx *ctx)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	sock_owned_by_me(sk);
	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_pointer(icsk->icsk_ulp_data, NULL);
	WRITE_ONCE(sk->sk_prot, ctx->sk_proto);
	if (sk->sk_socket && (sk->sk_socket->ops == &tlso_ops[TLSO_V4] ||
			      sk->sk_socket->ops == &tlso_ops[TLSO_V6]))
		WRITE_ONCE(sk->sk_socket->ops, ctx->sk_ops);
	write_unlock_bh(&sk->sk_callback_lock);
}

/*
 * Close: records already sent go out first (pushing may wait for send
 * space, so no lock is held across it), a handshake request still
 * waiting ends (nobody is left to wait for it), then the socket is given
 * back to TCP, which closes it.  The module stays pinned until TCP destroys the
 * socket and calls tcp_cleanup_ulp(), which runs tlso_ulp_release() and
 * drops the reference.
 */
static void tlso_close(struct sock *sk, long timeout)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sk);
	struct proto *base = ctx->sk_proto;

	if (ctx->tx_ready)
		tlso_tx_release(sk, ctx);
	lock_sock(sk);
	tlso_hs_close(sk, ctx);
	if (ctx->rx_ready)
		tlso_rx_release(sk, ctx);
	tlso_detach(sk, ctx);
	release_sock(sk);

	tlso_ctx_free(sk, ctx);
	base->close(sk, timeout);
}

/* As kTLS: a TLS session cannot survive connect(AF_UNSPEC). */
static int tlso_disconnect(struct sock *sk, int flags)
{
	return -EOPNOTSUPP;
}

/*
 * Only plain TCP is accepted underneath: a socket whose proto was already
 * replaced (a BPF sockmap, say) has hooks tlso does not know how to stack
 * on.
 */
static bool tlso_base_is_tcp(const struct proto *base)
{
	return base->close == tcp_close && base->sendmsg == tcp_sendmsg;
}

static void tlso_fill_proto(struct proto *p, const struct proto *base)
{
	*p = *base;
	p->setsockopt = tlso_setsockopt;
	p->getsockopt = tlso_getsockopt;
	p->disconnect = tlso_disconnect;
	p->close = tlso_close;
	p->sendmsg = tlso_sendmsg;
	p->recvmsg = tlso_recvmsg;
	p->splice_eof = tlso_splice_eof;
	p->sock_is_readable = tlso_sock_is_readable;
	p->shutdown = tlso_shutdown;
#ifdef TLSO_HAVE_SENDPAGE
	p->sendpage = tlso_sendpage;
#endif
}

static void tlso_fill_ops(struct proto_ops *ops, const struct proto_ops *base)
{
	*ops = *base;
	ops->poll = tlso_poll;
	/*
	 * Paths that would read or write TCP's bytes directly, around the
	 * record layer, are closed; splice out of the socket goes the
	 * generic way through recvmsg.
	 */
	ops->splice_read = tlso_splice_read;
	ops->read_sock = NULL;
	ops->read_skb = NULL;
#ifdef TLSO_HAVE_SENDPAGE
	ops->sendpage_locked = NULL;
#endif
}

static int tlso_build_proto(struct sock *sk, int family)
{
	const struct proto *base = READ_ONCE(sk->sk_prot);
	const struct proto_ops *ops = READ_ONCE(sk->sk_socket->ops);
	int err = 0;

	/* Pairs with the smp_store_release() below. */
	if (likely(smp_load_acquire(&tlso_base_prots[family]) == base &&
		   tlso_base_ops[family] == ops))
		return 0;

	if (!tlso_base_is_tcp(base))
		return -EOPNOTSUPP;

	mutex_lock(&tlso_proto_mutex);
	if (!tlso_base_prots[family]) {
		tlso_fill_proto(&tlso_prots[family], base);
		tlso_fill_ops(&tlso_ops[family], ops);
		tlso_base_ops[family] = ops;
		/* Publish the filled tables before the fast path's check. */
		smp_store_release(&tlso_base_prots[family], base);
	} else if (tlso_base_prots[family] != base ||
		   tlso_base_ops[family] != ops) {
		err = -EOPNOTSUPP;
	}
	mutex_unlock(&tlso_proto_mutex);
	return err;
}

static int tlso_ulp_init(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	int family = sk->sk_family == AF_INET6 ? TLSO_V6 : TLSO_V4;
	struct tlso_ctx *ctx;
	int err;

	/*
	 * A listening socket would hand the context to every child; kTLS
	 * refuses anything but an established connection, and so does tlso.
	 */
	if (sk->sk_state != TCP_ESTABLISHED)
		return -ENOTCONN;
	if (!sk->sk_socket)
		return -EINVAL;

	err = tlso_build_proto(sk, family);
	if (err)
		return err;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->sk = sk;
	ctx->sk_proto = READ_ONCE(sk->sk_prot);
	ctx->sk_ops = READ_ONCE(sk->sk_socket->ops);
	mutex_init(&ctx->tx.lock);
	INIT_LIST_HEAD(&ctx->rx.recs);

	write_lock_bh(&sk->sk_callback_lock);
	/*
	 * The release in rcu_assign_pointer() publishes ctx before sk_prot
	 * and ops point at hooks that read it.
	 */
	rcu_assign_pointer(icsk->icsk_ulp_data, ctx);
	WRITE_ONCE(sk->sk_prot, &tlso_prots[family]);
	WRITE_ONCE(sk->sk_socket->ops, &tlso_ops[family]);
	write_unlock_bh(&sk->sk_callback_lock);

	tlso_diag_add(ctx);
	tlso_stat_inc(sock_net(sk), TLSO_MIB_CURR_ATTACHED);
	tlso_stat_inc(sock_net(sk), TLSO_MIB_ATTACHED);
	return 0;
}

/*
 * Called from tcp_cleanup_ulp() when TCP destroys the socket.  The context
 * is normally gone already (tlso_close() frees it); this covers a socket
 * destroyed without passing through close.
 */
static void tlso_ulp_release(struct sock *sk)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sk);

	if (!ctx)
		return;
	if (ctx->rx_ready)
		tlso_rx_release(sk, ctx);
	if (ctx->tx_ready) {
		cancel_delayed_work(&ctx->tx.work);
		tlso_dir_free(&ctx->tx.dir);
	}
	tlso_detach(sk, ctx);
	tlso_ctx_free(sk, ctx);
}

int tlso_ulp_register(const char *name)
{
	int err;

	strscpy(tlso_ulp_ops.name, name, sizeof(tlso_ulp_ops.name));
	tlso_ulp_ops.owner = THIS_MODULE;
	tlso_ulp_ops.init = tlso_ulp_init;
	tlso_ulp_ops.release = tlso_ulp_release;
	tlso_ulp_ops.get_info = tlso_diag_get_info;
	tlso_ulp_ops.get_info_size = tlso_diag_get_info_size;

	err = tcp_register_ulp(&tlso_ulp_ops);
	if (err == -EEXIST)
		pr_err("TCP ULP \"%s\" is already registered%s\n", name,
		       strcmp(name, "tls") ? "" :
		       " by the in-tree tls module; rmmod tls first");
	else if (err)
		pr_err("cannot register TCP ULP \"%s\": %d\n", name, err);
	return err;
}

void tlso_ulp_unregister(void)
{
	tcp_unregister_ulp(&tlso_ulp_ops);
}
