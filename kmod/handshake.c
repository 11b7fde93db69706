// SPDX-License-Identifier: GPL-2.0
/*
 * tlso: handshake requests -- TLSO_HANDSHAKE on a socket queues one for
 * tlsod, which takes it (genl.c: ACCEPT), performs the handshake on the
 * socket, installs the keys and reports (DONE).  Until then the
 * application's own reads and writes wait, so they never interleave with
 * the daemon's bytes.
 *
 * A request ends exactly once, by whoever takes it off the lists first
 * under tlso_hs_lock: DONE, the timeout, or the daemon's netlink socket
 * going away.  A request holds the socket and its file, so the socket
 * cannot close under it; after it ends, tlsod closes its descriptor and
 * the application's close() is the last.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sockptr.h>
#include <linux/uaccess.h>
#include <net/sock.h>

#include "tlso.h"
#include <uapi/linux/tlso.h>

/* Beyond the daemon's own timeout: a daemon that hangs is given up. */
#define TLSO_REQ_DEFAULT_MS	60000
#define TLSO_REQ_GRACE_MS	5000

static DEFINE_SPINLOCK(tlso_hs_lock);
static LIST_HEAD(tlso_hs_pending);
static LIST_HEAD(tlso_hs_taken);
static atomic64_t tlso_hs_next_id;

static void tlso_hs_wake(struct sock *sk)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLIN | EPOLLRDNORM |
					   EPOLLOUT | EPOLLWRNORM);
	rcu_read_unlock();
}

static void tlso_hs_rx_data(struct sock *sk, struct tlso_ctx *ctx,
			    const u8 *data, u32 len)
{
	struct list_head *at = &ctx->rx.recs;

	/* In order, ahead of anything decrypted later. */
	while (len) {
		u32 n = min_t(u32, len, TLSO_MAX_PLAIN);

		if (tlso_rx_inject(ctx, at, data, n))
			break;
		at = at->next;
		data += n;
		len -= n;
	}
}

/*
 * Settle the socket's side of an ended request.  Runs in process context
 * with the request already off the lists.
 */
static void tlso_hs_finish(struct tlso_hs *hs, int status,
			   const char *identity, const u8 *data, u32 len)
{
	struct sock *sk = hs->sk;
	struct tlso_ctx *ctx;

	lock_sock(sk);
	ctx = tlso_get_ctx(sk);
	if (ctx && ctx->hs == hs) {
		/* A daemon that says "done" must have left keys behind. */
		if (!status && !(ctx->tx_ready && ctx->rx_ready))
			status = EIO;
		if (!status) {
			if (identity)
				strscpy(ctx->hs_identity, identity,
					sizeof(ctx->hs_identity));
			if (len)
				tlso_hs_rx_data(sk, ctx, data, len);
			ctx->daemon_mode = 1;
		}
		ctx->hs_status = status;
		WRITE_ONCE(ctx->hs_state, status ? TLSO_HS_FAILED :
						   TLSO_HS_DONE);
		ctx->hs = NULL;
		put_pid(ctx->hs_owner);
		ctx->hs_owner = NULL;
	}
	release_sock(sk);
	tlso_hs_wake(sk);
}

static void tlso_hs_free(struct tlso_hs *hs)
{
	sock_put(hs->sk);
	fput(hs->file);
	kfree(hs);
}

/* Take hs off the lists; false when someone else ended it first. */
static bool tlso_hs_claim(struct tlso_hs *hs)
{
	bool mine;

	spin_lock_bh(&tlso_hs_lock);
	mine = !hs->ended;
	hs->ended = true;
	list_del_init(&hs->list);
	spin_unlock_bh(&tlso_hs_lock);
	return mine;
}

/* End a request from anywhere but its own timeout work. */
void tlso_hs_end(struct tlso_hs *hs, int status, const char *identity,
		 const u8 *data, u32 len)
{
	cancel_delayed_work_sync(&hs->timeout);
	tlso_hs_finish(hs, status, identity, data, len);
	tlso_hs_free(hs);
}

static void tlso_hs_timeout(struct work_struct *work)
{
	struct tlso_hs *hs = container_of(to_delayed_work(work),
					  struct tlso_hs, timeout);

	/* Freed by whoever claims it; the others cancel this work first. */
	if (!tlso_hs_claim(hs))
		return;
	tlso_hs_finish(hs, ETIMEDOUT, NULL, NULL, 0);
	tlso_hs_free(hs);
}

/*
 * The next request of net, for tlsod, moved to the taken list under the
 * caller's portid.  What ACCEPT needs is copied out with references of its
 * own, since the request may end (time out) the moment the lock drops.
 * 0, or -EAGAIN when nothing is queued.
 */
int tlso_hs_take(const struct net *net, u32 portid,
		 struct tlso_hs_ticket *t)
{
	struct tlso_hs *hs;

	spin_lock_bh(&tlso_hs_lock);
	list_for_each_entry(hs, &tlso_hs_pending, list) {
		if (net_eq(sock_net(hs->sk), net)) {
			list_move_tail(&hs->list, &tlso_hs_taken);
			hs->portid = portid;
			t->id = hs->id;
			t->req = hs->req;
			t->sk = hs->sk;
			sock_hold(t->sk);
			t->file = get_file(hs->file);
			spin_unlock_bh(&tlso_hs_lock);
			return 0;
		}
	}
	spin_unlock_bh(&tlso_hs_lock);
	return -EAGAIN;
}

/* ACCEPT could not hand it out after all: back to the front, if alive. */
void tlso_hs_untake(struct tlso_hs_ticket *t)
{
	struct tlso_hs *hs;

	spin_lock_bh(&tlso_hs_lock);
	list_for_each_entry(hs, &tlso_hs_taken, list) {
		if (hs->id == t->id) {
			hs->portid = 0;
			list_move(&hs->list, &tlso_hs_pending);
			break;
		}
	}
	spin_unlock_bh(&tlso_hs_lock);
	fput(t->file);
	sock_put(t->sk);
}

/*
 * Record who took the request, so that its reads and writes pass the
 * gate, and drop the ticket's socket reference; the file reference went
 * into the daemon's descriptor table.
 */
void tlso_hs_handed_out(struct tlso_hs_ticket *t)
{
	struct sock *sk = t->sk;
	struct tlso_ctx *ctx;

	lock_sock(sk);
	ctx = tlso_get_ctx(sk);
	/* ctx->hs is cleared under this lock before a request is freed. */
	if (ctx && ctx->hs && ctx->hs->id == t->id && !ctx->hs_owner)
		ctx->hs_owner = get_pid(task_tgid(current));
	release_sock(sk);
	sock_put(sk);
}

/*
 * The accepted request with this id on sk, claimed for ending, if the
 * caller (netlink portid) is the daemon that took it.
 */
struct tlso_hs *tlso_hs_find(const struct net *net, u64 id, u32 portid,
			     const struct sock *sk)
{
	struct tlso_hs *hs, *found = NULL;

	spin_lock_bh(&tlso_hs_lock);
	list_for_each_entry(hs, &tlso_hs_taken, list) {
		if (hs->id == id && hs->portid == portid && hs->sk == sk &&
		    net_eq(sock_net(hs->sk), net)) {
			found = hs;
			hs->ended = true;
			list_del_init(&hs->list);
			break;
		}
	}
	spin_unlock_bh(&tlso_hs_lock);
	return found;
}

/* The daemon's netlink socket closed: what it held will never be done. */
void tlso_hs_daemon_gone(const struct net *net, u32 portid)
{
	struct tlso_hs *hs;

	for (;;) {
		struct tlso_hs *found = NULL;

		spin_lock_bh(&tlso_hs_lock);
		list_for_each_entry(hs, &tlso_hs_taken, list) {
			if (hs->portid == portid &&
			    net_eq(sock_net(hs->sk), net)) {
				found = hs;
				hs->ended = true;
				list_del_init(&hs->list);
				break;
			}
		}
		spin_unlock_bh(&tlso_hs_lock);
		if (!found)
			return;
		tlso_hs_end(found, ECONNABORTED, NULL, NULL, 0);
	}
}

static int tlso_hs_check_req(const struct tlso_handshake_req *req)
{
	if (req->role != TLSO_ROLE_CLIENT && req->role != TLSO_ROLE_SERVER)
		return -EINVAL;
	if ((req->flags & ~TLSO_HANDSHAKE_FLAGS) || req->reserved)
		return -EINVAL;
	if (!memchr(req->peer_name, 0, sizeof(req->peer_name)) ||
	    !memchr(req->profile, 0, sizeof(req->profile)))
		return -EINVAL;
	return 0;
}

static int tlso_hs_queue(struct sock *sk, struct tlso_ctx *ctx,
			 const struct tlso_handshake_req *req)
{
	struct tlso_hs *hs;
	u32 ms;
	int err;

	if (ctx->tx_ready || ctx->rx_ready)
		return -EISCONN;
	if (ctx->hs_state == TLSO_HS_PENDING)
		return -EALREADY;
	if (sk->sk_state != TCP_ESTABLISHED)
		return -ENOTCONN;
	if (!sk->sk_socket || !sk->sk_socket->file)
		return -EINVAL;
	if (!tlso_genl_has_daemon(sock_net(sk)))
		return -ESRCH;

	hs = kzalloc(sizeof(*hs), GFP_KERNEL);
	if (!hs)
		return -ENOMEM;
	INIT_LIST_HEAD(&hs->list);
	INIT_DELAYED_WORK(&hs->timeout, tlso_hs_timeout);
	hs->id = atomic64_inc_return(&tlso_hs_next_id);
	hs->req = *req;
	sock_hold(sk);
	hs->sk = sk;
	hs->file = get_file(sk->sk_socket->file);

	ctx->hs = hs;
	ctx->hs_status = 0;
	ctx->hs_identity[0] = 0;
	WRITE_ONCE(ctx->hs_state, TLSO_HS_PENDING);

	spin_lock_bh(&tlso_hs_lock);
	list_add_tail(&hs->list, &tlso_hs_pending);
	spin_unlock_bh(&tlso_hs_lock);
	ms = (req->timeout_ms ? req->timeout_ms : TLSO_REQ_DEFAULT_MS) +
	     TLSO_REQ_GRACE_MS;
	schedule_delayed_work(&hs->timeout, msecs_to_jiffies(ms));

	err = tlso_genl_ready(sock_net(sk));
	if (err && tlso_hs_claim(hs)) {
		/*
		 * Nobody heard.  The timeout work, if it runs now, fails to
		 * claim and never takes the socket lock, so waiting for it
		 * here is safe.
		 */
		cancel_delayed_work_sync(&hs->timeout);
		ctx->hs = NULL;
		WRITE_ONCE(ctx->hs_state, TLSO_HS_NONE);
		tlso_hs_free(hs);
		return err;
	}
	return 0;
}

int tlso_hs_start(struct sock *sk, sockptr_t optval, unsigned int optlen)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sk);
	struct tlso_handshake_req req;
	bool nonblock;
	int err;

	if (sockptr_is_null(optval) || optlen < sizeof(req))
		return -EINVAL;
	if (copy_from_sockptr(&req, optval, sizeof(req)))
		return -EFAULT;
	/* Room to grow: a longer struct is fine if the rest is zero. */
	err = check_zeroed_sockptr(optval, sizeof(req), optlen - sizeof(req));
	if (err < 1)
		return err == 0 ? -EINVAL : err;
	err = tlso_hs_check_req(&req);
	if (err)
		return err;

	lock_sock(sk);
	err = tlso_hs_queue(sk, ctx, &req);
	nonblock = sk->sk_socket && sk->sk_socket->file &&
		   (sk->sk_socket->file->f_flags & O_NONBLOCK);
	release_sock(sk);
	if (err)
		return err;
	if (nonblock)
		return -EINPROGRESS;

	/* A signal ends the wait, not the handshake. */
	if (wait_event_interruptible(*sk_sleep(sk),
				     READ_ONCE(ctx->hs_state) !=
				     TLSO_HS_PENDING))
		return -EINTR;
	return READ_ONCE(ctx->hs_state) == TLSO_HS_DONE ? 0 :
	       -READ_ONCE(ctx->hs_status);
}

int tlso_hs_status(struct sock *sk, char __user *optval, int __user *optlen)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sk);
	struct tlso_handshake_status st = { 0 };
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < (int)sizeof(st))
		return -EINVAL;
	st.state = ctx->hs_state;
	st.status = ctx->hs_status;
	if (ctx->hs_state == TLSO_HS_DONE) {
		st.version = ctx->prot.version;
		st.cipher = ctx->prot.cipher_type;
		strscpy(st.peer_identity, ctx->hs_identity,
			sizeof(st.peer_identity));
	}
	if (put_user(sizeof(st), optlen) ||
	    copy_to_user(optval, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

static bool tlso_hs_is_daemon(const struct tlso_ctx *ctx)
{
	return READ_ONCE(ctx->hs_owner) == task_tgid(current);
}

/*
 * The gate on the application's reads and writes: 0 to go on, or the
 * error to return.  While a handshake runs only tlsod passes; a failed
 * one leaves the socket failed for everybody.
 */
int tlso_hs_gate(struct sock *sk, struct tlso_ctx *ctx, bool nonblock)
{
	u32 state = READ_ONCE(ctx->hs_state);

	if (state == TLSO_HS_PENDING && !tlso_hs_is_daemon(ctx)) {
		if (nonblock)
			return -EAGAIN;
		if (wait_event_interruptible(*sk_sleep(sk),
					     READ_ONCE(ctx->hs_state) !=
					     TLSO_HS_PENDING))
			return -ERESTARTSYS;
		state = READ_ONCE(ctx->hs_state);
	}
	if (state == TLSO_HS_FAILED)
		return -READ_ONCE(ctx->hs_status);
	return 0;
}

/* Poll while a handshake runs: nothing for the application yet. */
__poll_t tlso_hs_poll_mask(struct tlso_ctx *ctx, __poll_t mask)
{
	if (READ_ONCE(ctx->hs_state) == TLSO_HS_PENDING &&
	    !tlso_hs_is_daemon(ctx))
		return mask & ~(EPOLLIN | EPOLLRDNORM | EPOLLOUT |
				EPOLLWRNORM);
	return mask;
}

/* Keys come from the daemon while it runs, never from anyone else. */
int tlso_hs_key_gate(struct tlso_ctx *ctx)
{
	switch (ctx->hs_state) {
	case TLSO_HS_PENDING:
		return tlso_hs_is_daemon(ctx) ? 0 : -EBUSY;
	case TLSO_HS_FAILED:
		return -ECANCELED;
	default:
		return 0;
	}
}
