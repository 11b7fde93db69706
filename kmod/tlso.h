/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlso: internal declarations shared by the module's source files.
 */
#ifndef _TLSO_H
#define _TLSO_H

#include <linux/types.h>
#include <net/sock.h>
#include <net/inet_connection_sock.h>

/* Per-socket state, hung off icsk_ulp_data while tlso is attached. */
struct tlso_ctx {
	/* The protocol tlso stands in front of, restored on close. */
	struct proto *sk_proto;
	struct sock *sk;
	struct rcu_head rcu;
	u8 zerocopy_sendfile:1;
};

/*
 * icsk_ulp_data only changes under lock_sock() and sk_callback_lock, and
 * every caller holds one of them or runs from a proto hook that tlso
 * installed, so the pointer is stable here.
 */
static inline struct tlso_ctx *tlso_get_ctx(const struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);

	return (__force struct tlso_ctx *)icsk->icsk_ulp_data;
}

/* ulp.c */
int tlso_ulp_register(const char *name);
void tlso_ulp_unregister(void);

/* sockopt.c */
int tlso_setsockopt(struct sock *sk, int level, int optname,
		    sockptr_t optval, unsigned int optlen);
int tlso_getsockopt(struct sock *sk, int level, int optname,
		    char __user *optval, int __user *optlen);

/* stat.c */
enum tlso_mib_field {
	TLSO_MIB_CURR_ATTACHED,
	TLSO_MIB_ATTACHED,
	TLSO_MIB_MAX
};

int tlso_stat_init(void);
void tlso_stat_exit(void);
void tlso_stat_add(const struct net *net, enum tlso_mib_field field, long n);

static inline void tlso_stat_inc(const struct net *net,
				 enum tlso_mib_field field)
{
	tlso_stat_add(net, field, 1);
}

static inline void tlso_stat_dec(const struct net *net,
				 enum tlso_mib_field field)
{
	tlso_stat_add(net, field, -1);
}

#endif /* _TLSO_H */
