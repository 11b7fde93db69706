// SPDX-License-Identifier: GPL-2.0
/*
 * tlso: alerts on sockets tlsod set up, which are whole TLS endpoints
 * (RFC 8446 6, RFC 5246 7.2).  A fatal error the receive path finds ends
 * the stream for readers at once; the alert that names it goes out from
 * the send side, which owns the send sequence and its lock, and only then
 * does the stream get its error: TCP queues nothing once sk_err is set.
 * Sockets whose application set the keys keep kTLS's way: no alert, the
 * error at once.
 */
#include <net/sock.h>

#include "tlso.h"

/*
 * A sender may sleep on a full send buffer holding the send lock, and the
 * alert waits for that lock: let TCP take what that sender has left of
 * its record, so that it wakes, finds the stream failing and lets go.
 * Bounded: once per connection, the queue's size and two records more.
 */
static void tlso_alert_wake_sender(struct sock *sk)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sk);
	int need = 2 * READ_ONCE(sk->sk_wmem_queued) + 64 * 1024;

	if (need > READ_ONCE(sk->sk_sndbuf))
		WRITE_ONCE(sk->sk_sndbuf, need);
	ctx->tx.saved_write_space(sk);
}

/*
 * The receive path found err (negative): readers get it from now on.  On
 * a socket tlsod set up, desc (an alert description, 0 for none) goes to
 * the peer first.  Runs with the socket locked: under lock_sock, or from
 * sk_data_ready in softirq.
 */
void tlso_alert_fail(struct sock *sk, struct tlso_ctx *ctx, int err, u8 desc)
{
	struct tlso_tx *tx = &ctx->tx;

	WRITE_ONCE(ctx->rx.err, err);
	if (tx->alert)
		return;		/* the first error names the alert */
	if (!ctx->daemon_mode || !ctx->tx_ready || !desc || tx->err ||
	    tx->closing) {
		tlso_abort(sk, err);
		return;
	}
	WRITE_ONCE(tx->alert_err, err);
	/* Paired with READ_ONCE() in tlso_tx_unlock(). */
	WRITE_ONCE(tx->alert, desc);
	mod_delayed_work(system_wq, &tx->work, 0);
	tlso_alert_wake_sender(sk);
	/* Readers see rx.err now; the stream's error follows the alert. */
	ctx->rx.saved_data_ready(sk);
}

/*
 * An alert record from the peer, len bytes, the first two level and desc.
 * Returns 1 for the end of the stream (close_notify), 0 for an alert that
 * ends nothing, or the error it means, with *reply the alert to send back
 * (0: none, the peer has already ended the connection).
 */
int tlso_alert_read(struct tlso_ctx *ctx, u8 level, u8 desc, u32 len,
		    u8 *reply)
{
	*reply = 0;
	/* One alert per record, never cut or coalesced (RFC 8446 5.1). */
	if (len != 2) {
		*reply = TLSO_ALERT_DECODE_ERROR;
		return -EBADMSG;
	}
	if (desc == TLSO_ALERT_CLOSE_NOTIFY)
		return 1;
	/*
	 * user_canceled announces a close_notify; in TLS 1.2 any warning
	 * may be ignored, while TLS 1.3 makes every other alert fatal.
	 */
	if (desc == TLSO_ALERT_USER_CANCELED ||
	    (ctx->prot.version == TLS_1_2_VERSION &&
	     level == TLSO_ALERT_WARNING))
		return 0;
	return -ECONNRESET;
}
