// SPDX-License-Identifier: GPL-2.0
/*
 * tlso: /proc/net/tlso_stat, per network namespace, in the style of
 * /proc/net/tls_stat.
 */
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "tlso.h"
#include <uapi/linux/tlso.h>

struct tlso_mib {
	long mibs[TLSO_MIB_MAX];
};

struct tlso_net {
	struct tlso_mib __percpu *mib;
};

static unsigned int tlso_net_id __read_mostly;

static const char * const tlso_mib_names[TLSO_MIB_MAX] = {
	[TLSO_MIB_CURR_ATTACHED] = TLSO_STAT_CURR_ATTACHED,
	[TLSO_MIB_ATTACHED] = TLSO_STAT_ATTACHED,
	[TLSO_MIB_CURR_TX] = TLSO_STAT_CURR_TX,
	[TLSO_MIB_CURR_RX] = TLSO_STAT_CURR_RX,
	[TLSO_MIB_TX] = TLSO_STAT_TX,
	[TLSO_MIB_RX] = TLSO_STAT_RX,
	[TLSO_MIB_TX_RECORDS] = TLSO_STAT_TX_RECORDS,
	[TLSO_MIB_RX_RECORDS] = TLSO_STAT_RX_RECORDS,
	[TLSO_MIB_TX_BYTES] = TLSO_STAT_TX_BYTES,
	[TLSO_MIB_RX_BYTES] = TLSO_STAT_RX_BYTES,
	[TLSO_MIB_DECRYPT_ERROR] = TLSO_STAT_DECRYPT_ERROR,
	[TLSO_MIB_TX_REKEY_OK] = TLSO_STAT_TX_REKEY_OK,
	[TLSO_MIB_TX_REKEY_ERROR] = TLSO_STAT_TX_REKEY_ERROR,
	[TLSO_MIB_RX_REKEY_OK] = TLSO_STAT_RX_REKEY_OK,
	[TLSO_MIB_RX_REKEY_ERROR] = TLSO_STAT_RX_REKEY_ERROR,
	[TLSO_MIB_RX_REKEY_RECEIVED] = TLSO_STAT_RX_REKEY_RECEIVED,
	[TLSO_MIB_TX_KEY_UPDATE] = TLSO_STAT_TX_KEY_UPDATE,
	[TLSO_MIB_RX_KEY_UPDATE] = TLSO_STAT_RX_KEY_UPDATE,
	[TLSO_MIB_TICKET_UP] = TLSO_STAT_TICKET_UP,
	[TLSO_MIB_TICKET_DROP] = TLSO_STAT_TICKET_DROP,
};

/* Per-CPU so that the data path never bounces a shared cache line. */
void tlso_stat_add(const struct net *net, enum tlso_mib_field field, long n)
{
	struct tlso_net *tn = net_generic(net, tlso_net_id);

	this_cpu_add(tn->mib->mibs[field], n);
}

/*
 * A record sealed (tx) or opened, with len content bytes: counted for the
 * namespace and for the socket's TLSO_INFO, which lock_sock guards.
 */
void tlso_stat_record(struct sock *sk, bool tx, u32 len)
{
	struct tlso_info *info = &tlso_get_ctx(sk)->info;
	const struct net *net = sock_net(sk);

	sock_owned_by_me(sk);
	if (tx) {
		info->tx_records++;
		info->tx_bytes += len;
		tlso_stat_inc(net, TLSO_MIB_TX_RECORDS);
		tlso_stat_add(net, TLSO_MIB_TX_BYTES, len);
	} else {
		info->rx_records++;
		info->rx_bytes += len;
		tlso_stat_inc(net, TLSO_MIB_RX_RECORDS);
		tlso_stat_add(net, TLSO_MIB_RX_BYTES, len);
	}
}

static int tlso_stat_show(struct seq_file *seq, void *v)
{
	struct tlso_net *tn = net_generic(seq_file_single_net(seq),
					  tlso_net_id);
	int cpu, i;

	for (i = 0; i < TLSO_MIB_MAX; i++) {
		long sum = 0;

		for_each_possible_cpu(cpu)
			sum += per_cpu_ptr(tn->mib, cpu)->mibs[i];
		seq_printf(seq, "%-32s\t%ld\n", tlso_mib_names[i], sum);
	}
	return 0;
}

static int __net_init tlso_net_init(struct net *net)
{
	struct tlso_net *tn = net_generic(net, tlso_net_id);

	tn->mib = alloc_percpu(struct tlso_mib);
	if (!tn->mib)
		return -ENOMEM;

	if (!proc_create_net_single("tlso_stat", 0444, net->proc_net,
				    tlso_stat_show, NULL)) {
		free_percpu(tn->mib);
		return -ENOMEM;
	}
	return 0;
}

static void __net_exit tlso_net_exit(struct net *net)
{
	struct tlso_net *tn = net_generic(net, tlso_net_id);

	remove_proc_entry("tlso_stat", net->proc_net);
	free_percpu(tn->mib);
}

static struct pernet_operations tlso_net_ops = {
	.init = tlso_net_init,
	.exit = tlso_net_exit,
	.id = &tlso_net_id,
	.size = sizeof(struct tlso_net),
};

int tlso_stat_init(void)
{
	return register_pernet_subsys(&tlso_net_ops);
}

void tlso_stat_exit(void)
{
	unregister_pernet_subsys(&tlso_net_ops);
}
