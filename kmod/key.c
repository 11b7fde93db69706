// SPDX-License-Identifier: GPL-2.0
/*
 * tlso: installing and reading the session keys, TLS_TX and TLS_RX at
 * level SOL_TLS, with kTLS's structs and errno -- including TLS 1.3 rekey
 * (setting a direction's keys again) as Linux 6.14 defines it.
 */
#include <linux/sockptr.h>
#include <linux/uaccess.h>
#include <net/sock.h>

#include "cipher.h"
#include "tlso.h"

int tlso_key_set(struct sock *sk, sockptr_t optval, unsigned int optlen,
		 bool tx)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sk);
	struct tlso_dir *d = tx ? &ctx->tx.dir : &ctx->rx.dir;
	bool ready = tx ? ctx->tx_ready : ctx->rx_ready;
	bool other = tx ? ctx->rx_ready : ctx->tx_ready;
	enum tlso_mib_field rekey_error = tx ? TLSO_MIB_TX_REKEY_ERROR :
					       TLSO_MIB_RX_REKEY_ERROR;
	struct net *net = sock_net(sk);
	union tlso_crypto_info ci = {};
	struct tlso_prot prot;
	int err;

	if (sockptr_is_null(optval) || optlen < sizeof(ci.info))
		return -EINVAL;
	err = tlso_hs_key_gate(ctx);
	if (err)
		return err;
	if (ready && ctx->prot.version != TLS_1_3_VERSION) {
		/* TLS 1.2 has no rekey: a second key is refused. */
		tlso_stat_inc(net, rekey_error);
		return -EBUSY;
	}
	if (copy_from_sockptr(&ci.info, optval, sizeof(ci.info)))
		return -EFAULT;

	/* Both directions, and every key of a direction, share the shape. */
	err = tlso_crypto_info_check(&ci.info, optlen,
				     ready || other ? &ctx->prot_info : NULL);
	if (err)
		goto err_wipe;
	/*
	 * Only what follows the header: the caller may rewrite the header
	 * meanwhile, and a second copy of it would install what nobody
	 * checked (another version, or another cipher's layout).
	 */
	if (copy_from_sockptr_offset((u8 *)&ci + sizeof(ci.info), optval,
				     sizeof(ci.info),
				     optlen - sizeof(ci.info))) {
		err = -EFAULT;
		goto err_wipe;
	}
	err = tlso_prot_init(&prot, ci.info.version, ci.info.cipher_type);
	if (err)
		goto err_wipe;

	err = tlso_dir_keys(d, &ci);
	if (err)
		goto err_wipe;
	memzero_explicit(&ci, sizeof(ci));

	if (ready) {
		if (tx) {
			tlso_stat_inc(net, TLSO_MIB_TX_REKEY_OK);
		} else {
			ctx->rx.key_update = false;
			tlso_stat_inc(net, TLSO_MIB_RX_REKEY_OK);
			/* Records waiting for this key can be read now. */
			ctx->rx.saved_data_ready(sk);
		}
		return 0;
	}

	ctx->prot = prot;
	ctx->prot_info = d->info.info;
	if (tx) {
		err = tlso_tx_init(sk, ctx);
		if (err)
			goto err_free;
		ctx->tx_ready = 1;
		tlso_stat_inc(net, TLSO_MIB_TX);
		tlso_stat_inc(net, TLSO_MIB_CURR_TX);
	} else {
		err = tlso_rx_init(sk, ctx);
		if (err)
			goto err_free;
		tlso_stat_inc(net, TLSO_MIB_RX);
		tlso_stat_inc(net, TLSO_MIB_CURR_RX);
	}
	return 0;

err_free:
	tlso_dir_free(d);
	return err;
err_wipe:
	memzero_explicit(&ci, sizeof(ci));
	if (ready)
		tlso_stat_inc(net, rekey_error);
	return err;
}

int tlso_key_get(struct sock *sk, char __user *optval, int __user *optlen,
		 bool tx)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sk);
	struct tlso_dir *d = tx ? &ctx->tx.dir : &ctx->rx.dir;
	bool ready = tx ? ctx->tx_ready : ctx->rx_ready;
	const struct tlso_cipher *c;
	union tlso_crypto_info ci;
	int len, err = 0;

	if (get_user(len, optlen))
		return -EFAULT;
	if (!optval || len < (int)sizeof(ci.info))
		return -EINVAL;
	if (!ready)
		return -EBUSY;
	if (len == sizeof(ci.info))
		return copy_to_user(optval, &d->info.info, sizeof(ci.info)) ?
		       -EFAULT : 0;

	c = tlso_cipher_find(d->info.info.cipher_type);
	if (len != c->info_size)
		return -EINVAL;
	/* The key as set; the nonce and sequence as they stand now. */
	ci = d->info;
	memcpy((u8 *)&ci + c->iv_off, d->iv + c->salt_size, c->iv_size);
	memcpy((u8 *)&ci + c->rec_seq_off, d->seq, TLSO_SEQ_LEN);
	if (copy_to_user(optval, &ci, c->info_size))
		err = -EFAULT;
	memzero_explicit(&ci, sizeof(ci));
	return err;
}
