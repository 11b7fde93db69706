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

#include "tlso.h"

enum {
	TLSO_V4,
	TLSO_V6,
	TLSO_NUM_FAMILIES
};

/*
 * One proto per address family, built from the first TCP socket of that
 * family to attach: tcpv6_prot lives in the ipv6 code and is not exported,
 * so the socket is the only place to learn its address from.
 */
static struct proto tlso_prots[TLSO_NUM_FAMILIES];
static const struct proto *tlso_base_prots[TLSO_NUM_FAMILIES];
static DEFINE_MUTEX(tlso_proto_mutex);

static struct tcp_ulp_ops tlso_ulp_ops;

static void tlso_ctx_free(struct sock *sk, struct tlso_ctx *ctx)
{
	tlso_stat_dec(sock_net(sk), TLSO_MIB_CURR_ATTACHED);
	/* Readers such as diag look at the context under RCU. */
	kfree_rcu(ctx, rcu);
}

/*
 * Detach on close: give the socket back to TCP and let TCP close it.  The
 * module stays pinned until TCP destroys the socket and calls
 * tcp_cleanup_ulp(), which runs tlso_ulp_release() and drops the reference.
 */
static void tlso_close(struct sock *sk, long timeout)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tlso_ctx *ctx;
	struct proto *base;

	lock_sock(sk);
	ctx = tlso_get_ctx(sk);
	base = ctx->sk_proto;
	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_pointer(icsk->icsk_ulp_data, NULL);
	WRITE_ONCE(sk->sk_prot, base);
	write_unlock_bh(&sk->sk_callback_lock);
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

static int tlso_build_proto(struct sock *sk, int family)
{
	const struct proto *base = READ_ONCE(sk->sk_prot);
	struct proto *p = &tlso_prots[family];
	int err = 0;

	/* Pairs with the smp_store_release() below. */
	if (likely(smp_load_acquire(&tlso_base_prots[family]) == base))
		return 0;

	if (!tlso_base_is_tcp(base))
		return -EOPNOTSUPP;

	mutex_lock(&tlso_proto_mutex);
	if (!tlso_base_prots[family]) {
		*p = *base;
		p->setsockopt = tlso_setsockopt;
		p->getsockopt = tlso_getsockopt;
		p->disconnect = tlso_disconnect;
		p->close = tlso_close;
		smp_store_release(&tlso_base_prots[family], base);
	} else if (tlso_base_prots[family] != base) {
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

	err = tlso_build_proto(sk, family);
	if (err)
		return err;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->sk = sk;
	ctx->sk_proto = READ_ONCE(sk->sk_prot);

	write_lock_bh(&sk->sk_callback_lock);
	/*
	 * The release in rcu_assign_pointer() publishes ctx->sk_proto before
	 * sk_prot points at hooks that read it.
	 */
	rcu_assign_pointer(icsk->icsk_ulp_data, ctx);
	WRITE_ONCE(sk->sk_prot, &tlso_prots[family]);
	write_unlock_bh(&sk->sk_callback_lock);

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
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tlso_ctx *ctx = tlso_get_ctx(sk);

	if (!ctx)
		return;
	rcu_assign_pointer(icsk->icsk_ulp_data, NULL);
	if (sk->sk_prot == &tlso_prots[TLSO_V4] ||
	    sk->sk_prot == &tlso_prots[TLSO_V6])
		WRITE_ONCE(sk->sk_prot, ctx->sk_proto);
	tlso_ctx_free(sk, ctx);
}

int tlso_ulp_register(const char *name)
{
	int err;

	strscpy(tlso_ulp_ops.name, name, sizeof(tlso_ulp_ops.name));
	tlso_ulp_ops.owner = THIS_MODULE;
	tlso_ulp_ops.init = tlso_ulp_init;
	tlso_ulp_ops.release = tlso_ulp_release;

	err = tcp_register_ulp(&tlso_ulp_ops);
	if (err == -EEXIST)
		pr_err("tlso: TCP ULP \"%s\" is already registered%s\n", name,
		       strcmp(name, "tls") ? "" :
		       " by the in-tree tls module; rmmod tls first");
	else if (err)
		pr_err("tlso: cannot register TCP ULP \"%s\": %d\n", name, err);
	return err;
}

void tlso_ulp_unregister(void)
{
	tcp_unregister_ulp(&tlso_ulp_ops);
}
