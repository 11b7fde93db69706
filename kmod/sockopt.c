// SPDX-License-Identifier: GPL-2.0
/*
 * tlso: socket options at level SOL_TLS, with kTLS's numbers, structs and
 * errno conventions; every other level goes to TCP.
 */
#include <linux/sockptr.h>
#include <linux/uaccess.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "tlso.h"

static int tlso_set_tx_zc(struct tlso_ctx *ctx, sockptr_t optval,
			  unsigned int optlen)
{
	unsigned int value;

	if (sockptr_is_null(optval) || optlen != sizeof(value))
		return -EINVAL;
	if (copy_from_sockptr(&value, optval, sizeof(value)))
		return -EFAULT;
	if (value > 1)
		return -EINVAL;
	ctx->zerocopy_sendfile = value;
	return 0;
}

int tlso_setsockopt(struct sock *sk, int level, int optname,
		    sockptr_t optval, unsigned int optlen)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sk);
	int err;

	if (level != SOL_TLS)
		return ctx->sk_proto->setsockopt(sk, level, optname, optval,
						 optlen);

	switch (optname) {
	case TLS_TX:
	case TLS_RX:
		/* Keys change under the sender's lock too, never mid-record. */
		if (optname == TLS_TX) {
			err = mutex_lock_interruptible(&ctx->tx.lock);
			if (err)
				return err;
		}
		lock_sock(sk);
		err = tlso_key_set(sk, optval, optlen, optname == TLS_TX);
		release_sock(sk);
		if (optname == TLS_TX)
			tlso_tx_unlock(ctx);
		return err;
	case TLS_TX_ZEROCOPY_RO:
		lock_sock(sk);
		err = tlso_set_tx_zc(ctx, optval, optlen);
		release_sock(sk);
		return err;
	case TLS_RX_EXPECT_NO_PAD:
		return tlso_rx_no_pad_set(sk, optval, optlen);
	case TLSO_HANDSHAKE:
		return tlso_hs_start(sk, optval, optlen);
	case TLSO_INFO:		/* read only, as TCP_INFO */
	default:
		return -ENOPROTOOPT;
	}
}

static int tlso_get_tx_zc(struct tlso_ctx *ctx, char __user *optval,
			  int __user *optlen)
{
	unsigned int value;
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len != sizeof(value))
		return -EINVAL;
	value = ctx->zerocopy_sendfile;
	if (copy_to_user(optval, &value, sizeof(value)))
		return -EFAULT;
	return 0;
}

/* As TCP_INFO: a short optlen gets the struct cut short. */
static int tlso_get_info(struct tlso_ctx *ctx, char __user *optval,
			 int __user *optlen)
{
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	len = min_t(unsigned int, len, sizeof(ctx->info));
	if (put_user(len, optlen))
		return -EFAULT;
	if (copy_to_user(optval, &ctx->info, len))
		return -EFAULT;
	return 0;
}

int tlso_getsockopt(struct sock *sk, int level, int optname,
		    char __user *optval, int __user *optlen)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sk);
	int err;

	if (level != SOL_TLS)
		return ctx->sk_proto->getsockopt(sk, level, optname, optval,
						 optlen);

	lock_sock(sk);
	switch (optname) {
	case TLS_TX:
	case TLS_RX:
		err = tlso_key_get(sk, optval, optlen, optname == TLS_TX);
		break;
	case TLS_TX_ZEROCOPY_RO:
		err = tlso_get_tx_zc(ctx, optval, optlen);
		break;
	case TLS_RX_EXPECT_NO_PAD:
		err = tlso_rx_no_pad_get(sk, optval, optlen);
		break;
	case TLSO_HANDSHAKE:
		err = tlso_hs_status(sk, optval, optlen);
		break;
	case TLSO_INFO:
		err = tlso_get_info(ctx, optval, optlen);
		break;
	default:
		err = -ENOPROTOOPT;
		break;
	}
	release_sock(sk);
	return err;
}
