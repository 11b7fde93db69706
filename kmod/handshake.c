// SPDX-License-Identifier: GPL-2.0
/*
 * tlso: handshake requests -- TLSO_HANDSHAKE on a socket queues one for
 * tlsod, which takes it (genl.c: ACCEPT), performs the handshake on the
 * socket, installs the keys and reports (DONE).  Until then the
 * application's own reads and writes wait, so they never interleave with
 * the daemon's bytes.
 *
 * Requests live with their socket's network namespace, and tlsod sees
 * only those of its own.  Each one pins a socket until it ends, so they
 * are capped per namespace and per requesting user, and each ends in a
 * bounded time.
 *
 * A request ends exactly once, by whoever takes it off its namespace's
 * lists first (tlso_hs_claim(), tlso_hs_unlink()): DONE, the timeout, the
 * daemon's netlink socket going away, or the application's last close().
 * A request holds the socket but not its file, so that close reaches
 * tlso_close() and ends a request tlsod has not taken.  ACCEPT takes the
 * file reference that goes into tlsod's descriptor table; from then the
 * socket stays open until tlsod closes that descriptor too.
 */
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sockptr.h>
#include <linux/uaccess.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "compat.h"
#include "tlso.h"
#include <uapi/linux/tlso.h>

/* Beyond the daemon's own timeout: a daemon that hangs is given up. */
#define TLSO_REQ_DEFAULT_MS	60000
#define TLSO_REQ_GRACE_MS	5000
/* Buckets of a namespace's table of users with requests: 2^6. */
#define TLSO_HS_USER_BITS	6

static_assert(TLSO_REQ_DEFAULT_MS <= TLSO_HANDSHAKE_TIMEOUT_MAX_MS);
/* The deadline, clamped timeout plus grace, cannot wrap. */
static_assert(TLSO_HANDSHAKE_TIMEOUT_MAX_MS <= U32_MAX - TLSO_REQ_GRACE_MS);

static unsigned int tlso_max_pending = TLSO_PENDING_MAX;
static unsigned int tlso_max_pending_per_user = TLSO_PENDING_USER_MAX;

/* At least 1: a cap of 0 would turn every request away. */
static int tlso_pending_param_set(const char *val,
				  const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, UINT_MAX);
}

static const struct kernel_param_ops tlso_pending_param_ops = {
	.set = tlso_pending_param_set,
	.get = param_get_uint,
};

module_param_cb(max_pending, &tlso_pending_param_ops, &tlso_max_pending,
		0644);
MODULE_PARM_DESC(max_pending,
		 "Handshake requests waiting for tlsod per network namespace (EBUSY beyond)");
module_param_cb(max_pending_per_user, &tlso_pending_param_ops,
		&tlso_max_pending_per_user, 0644);
MODULE_PARM_DESC(max_pending_per_user,
		 "Handshake requests waiting for tlsod per user and network namespace (EAGAIN beyond)");

/* One user's requests in one namespace, while it has any. */
struct tlso_hs_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int pending;
};

struct tlso_hs_net {
	/* guards what follows, and each request's list, user, portid, ended */
	spinlock_t lock;
	struct list_head queued;	/* for ACCEPT, oldest first */
	struct list_head taken;		/* by tlsod, waiting for DONE */
	unsigned int pending;		/* on either list */
	DECLARE_HASHTABLE(users, TLSO_HS_USER_BITS);
};

static unsigned int tlso_hs_net_id __read_mostly;
static atomic64_t tlso_hs_next_id;
/* The timeouts: destroyed at unload, so that none runs module code after. */
static struct workqueue_struct *tlso_hs_wq;

static struct tlso_hs_net *tlso_hs_net(const struct net *net)
{
	return net_generic(net, tlso_hs_net_id);
}

static void tlso_hs_put(struct tlso_hs *hs)
{
	if (!refcount_dec_and_test(&hs->ref))
		return;
	put_pid(hs->pid);
	sock_put(hs->sk);
	kfree(hs);
}

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

/* In order, ahead of anything decrypted later; -ENOMEM if not all fit. */
static int tlso_hs_rx_data(struct tlso_ctx *ctx, const u8 *data, u32 len)
{
	struct list_head *at = &ctx->rx.recs;
	int err;

	while (len) {
		u32 n = min_t(u32, len, TLSO_MAX_PLAIN);

		err = tlso_rx_inject(ctx, at, data, n);
		if (err)
			return err;
		at = at->next;
		data += n;
		len -= n;
	}
	return 0;
}

/*
 * Settle the socket's side of an ended request.  Runs in process context
 * with the request already off the lists.
 */
static void tlso_hs_finish(struct tlso_hs *hs,
			   const struct tlso_hs_outcome *out)
{
	struct sock *sk = hs->sk;
	u32 status = out->status;
	struct tlso_ctx *ctx;

	lock_sock(sk);
	ctx = tlso_get_ctx(sk);
	/* Cleared by tlso_hs_close() when the application went first. */
	if (ctx && ctx->hs == hs) {
		/* A daemon that says "done" must have left keys behind. */
		if (!status && !(ctx->tx_ready && ctx->rx_ready))
			status = EIO;
		/*
		 * Data the daemon read past Finished is part of the stream:
		 * losing it would corrupt what the application reads.
		 */
		if (!status && out->len &&
		    tlso_hs_rx_data(ctx, out->data, out->len))
			status = ENOMEM;
		/*
		 * Secrets that do not give the keys installed would make
		 * the first KeyUpdate garbage: the handshake failed.
		 */
		if (!status && out->tx_secret) {
			int err = tlso_ku_install(ctx, out);

			if (err)
				status = err == -ENOMEM ? ENOMEM : EIO;
		}
		if (!status) {
			if (out->identity)
				strscpy(ctx->hs_identity, out->identity,
					sizeof(ctx->hs_identity));
			ctx->hs_peer_auth = out->peer_auth;
			ctx->hs_flags = out->resumed ? TLSO_HS_F_RESUMED : 0;
			ctx->daemon_mode = 1;
			/* A server's tickets are for its clients to keep. */
			if (ctx->ku && out->tickets &&
			    hs->req.role == TLSO_ROLE_CLIENT) {
				ctx->ku->ticket_id = hs->id;
				ctx->ku->tickets_left = TLSO_TICKETS_MAX;
			}
			/* A TLS library takes what RFC 8446 5.2 allows. */
			if (ctx->prot.version == TLS_1_3_VERSION)
				ctx->prot.max_payload = TLSO_MAX_TLS13_PAYLOAD;
			tlso_tx_record_limit(ctx, out->record_size_limit);
		}
		ctx->hs_status = status;
		ctx->hs_us = ktime_us_delta(ktime_get(), hs->queued);
		WRITE_ONCE(ctx->hs_state, status ? TLSO_HS_FAILED :
						   TLSO_HS_DONE);
		ctx->hs = NULL;
		put_pid(ctx->hs_owner);
		ctx->hs_owner = NULL;
	}
	release_sock(sk);
	tlso_hs_wake(sk);
}

/* Off the lists for good, and no longer counted against the caps. */
static void tlso_hs_unlink_one(struct tlso_hs_net *tn, struct tlso_hs *hs)
{
	struct tlso_hs_user *u = hs->user;

	lockdep_assert_held(&tn->lock);
	WRITE_ONCE(hs->ended, true);
	list_del_init(&hs->list);
	hs->user = NULL;
	tn->pending--;
	if (!--u->pending) {
		hash_del(&u->node);
		kfree(u);
	}
}

/*
 * Find, mark ended and unlink: up to max requests of list that match()
 * accepts move to out, for the caller to end.
 */
static void tlso_hs_unlink(struct tlso_hs_net *tn, struct list_head *list,
			   bool (*match)(const struct tlso_hs *hs,
					 const void *arg),
			   const void *arg, struct list_head *out,
			   unsigned int max)
{
	struct tlso_hs *hs, *tmp;

	spin_lock(&tn->lock);
	list_for_each_entry_safe(hs, tmp, list, list) {
		if (!max)
			break;
		if (!match(hs, arg))
			continue;
		tlso_hs_unlink_one(tn, hs);
		list_add_tail(&hs->list, out);
		max--;
	}
	spin_unlock(&tn->lock);
}

/* Take hs off the lists; false when someone else ended it first. */
static bool tlso_hs_claim(struct tlso_hs *hs)
{
	struct tlso_hs_net *tn = tlso_hs_net(sock_net(hs->sk));
	bool mine;

	spin_lock(&tn->lock);
	mine = !hs->ended;
	if (mine)
		tlso_hs_unlink_one(tn, hs);
	spin_unlock(&tn->lock);
	return mine;
}

/*
 * Stop the timeout of a request that its caller has claimed.  Never waits
 * for the work: callers may hold the socket lock, which the work takes
 * when it claims a request.  A work already running finds the request
 * claimed and drops only the reference it holds; one still pending is
 * cancelled here, and its reference with it.
 */
static void tlso_hs_disarm(struct tlso_hs *hs)
{
	if (cancel_delayed_work(&hs->timeout))
		tlso_hs_put(hs);
}

/*
 * End a request its caller took off the lists, from anywhere but its own
 * timeout work, and drop the reference the lists held.
 */
void tlso_hs_end(struct tlso_hs *hs, const struct tlso_hs_outcome *out)
{
	tlso_hs_disarm(hs);
	tlso_hs_finish(hs, out);
	tlso_hs_put(hs);
}

static void tlso_hs_timeout(struct work_struct *work)
{
	struct tlso_hs *hs = container_of(to_delayed_work(work),
					  struct tlso_hs, timeout);
	static const struct tlso_hs_outcome out = { .status = ETIMEDOUT };

	/* The others disarm this work once they have claimed it. */
	if (tlso_hs_claim(hs)) {
		tlso_hs_finish(hs, &out);
		tlso_hs_put(hs);
	}
	tlso_hs_put(hs);	/* the work's own */
}

/*
 * The application's last descriptor is gone: tlso_close(), under the
 * socket lock.  A request still here is queued, or tlsod's descriptor is
 * gone as well (or never came to be): either way nobody is left to run
 * the handshake or to wait for it.
 */
void tlso_hs_close(struct sock *sk, struct tlso_ctx *ctx)
{
	struct tlso_hs *hs = ctx->hs;

	sock_owned_by_me(sk);
	if (!hs)
		return;
	/* An ender that claimed it first finds this and skips the socket. */
	ctx->hs = NULL;
	put_pid(ctx->hs_owner);
	ctx->hs_owner = NULL;
	if (!tlso_hs_claim(hs))
		return;
	tlso_hs_disarm(hs);
	tlso_hs_put(hs);
}

/*
 * The oldest queued request of net, moved to the taken list under the
 * caller's portid, with a reference for the caller (ACCEPT); NULL when
 * none is queued.
 */
struct tlso_hs *tlso_hs_take(const struct net *net, u32 portid)
{
	struct tlso_hs_net *tn = tlso_hs_net(net);
	struct tlso_hs *hs;

	spin_lock(&tn->lock);
	hs = list_first_entry_or_null(&tn->queued, struct tlso_hs, list);
	if (hs) {
		list_move_tail(&hs->list, &tn->taken);
		hs->portid = portid;
		refcount_inc(&hs->ref);
	}
	spin_unlock(&tn->lock);
	return hs;
}

/*
 * A reference on the socket's file, for tlsod's descriptor: NULL when the
 * request has ended, or when the application's last close() is under way
 * (the file's count is already zero, and tlso_close() will end the
 * request as soon as it has this lock).
 */
struct file *tlso_hs_file(struct tlso_hs *hs)
{
	struct sock *sk = hs->sk;
	struct file *file = NULL;
	struct tlso_ctx *ctx;

	lock_sock(sk);
	ctx = tlso_get_ctx(sk);
	/*
	 * tlso_close() detaches under this lock, and the socket and its
	 * file outlive that call: while tlso is attached, both are here.
	 */
	if (ctx && ctx->hs == hs && !READ_ONCE(hs->ended) && sk->sk_socket)
		file = tlso_get_file_live(&sk->sk_socket->file);
	release_sock(sk);
	return file;
}

/*
 * ACCEPT could not hand it out after all: back to the front of the queue
 * unless it has ended meanwhile.  Drops ACCEPT's reference; true when the
 * request waits again.
 */
bool tlso_hs_untake(struct tlso_hs *hs)
{
	struct tlso_hs_net *tn = tlso_hs_net(sock_net(hs->sk));
	bool queued;

	spin_lock(&tn->lock);
	queued = !hs->ended;
	if (queued) {
		hs->portid = 0;
		list_move(&hs->list, &tn->queued);
	}
	spin_unlock(&tn->lock);
	tlso_hs_put(hs);
	return queued;
}

/*
 * The descriptor is in tlsod's table: record whose it is, so that the
 * daemon's reads and writes pass the gate.  Drops ACCEPT's reference.
 */
void tlso_hs_handed_out(struct tlso_hs *hs)
{
	struct sock *sk = hs->sk;
	struct tlso_ctx *ctx;

	lock_sock(sk);
	ctx = tlso_get_ctx(sk);
	if (ctx && ctx->hs == hs && !ctx->hs_owner)
		ctx->hs_owner = get_pid(task_tgid(current));
	release_sock(sk);
	tlso_hs_put(hs);
}

struct tlso_hs_key {
	u64 id;
	u32 portid;
	const struct sock *sk;
};

static bool tlso_hs_match_key(const struct tlso_hs *hs, const void *arg)
{
	const struct tlso_hs_key *key = arg;

	return hs->id == key->id && hs->portid == key->portid &&
	       hs->sk == key->sk;
}

/*
 * The taken request with this id on sk, claimed for ending, if the
 * caller (netlink portid) is the daemon that took it.
 */
struct tlso_hs *tlso_hs_find(const struct net *net, u64 id, u32 portid,
			     const struct sock *sk)
{
	struct tlso_hs_net *tn = tlso_hs_net(net);
	const struct tlso_hs_key key = { id, portid, sk };
	struct tlso_hs *hs;
	LIST_HEAD(found);

	tlso_hs_unlink(tn, &tn->taken, tlso_hs_match_key, &key, &found, 1);
	hs = list_first_entry_or_null(&found, struct tlso_hs, list);
	if (hs)
		list_del_init(&hs->list);
	return hs;
}

static bool tlso_hs_match_portid(const struct tlso_hs *hs, const void *arg)
{
	return hs->portid == *(const u32 *)arg;
}

/* The daemon's netlink socket closed: what it held will never be done. */
void tlso_hs_daemon_gone(const struct net *net, u32 portid)
{
	static const struct tlso_hs_outcome out = { .status = ECONNABORTED };
	struct tlso_hs_net *tn = tlso_hs_net(net);
	struct tlso_hs *hs, *tmp;
	LIST_HEAD(gone);

	tlso_hs_unlink(tn, &tn->taken, tlso_hs_match_portid, &portid, &gone,
		       UINT_MAX);
	list_for_each_entry_safe(hs, tmp, &gone, list) {
		list_del_init(&hs->list);
		tlso_hs_end(hs, &out);
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

/*
 * Count hs against the caps and queue it, under tn->lock: -EBUSY past
 * the namespace's cap, -EAGAIN past its user's.  *spare becomes the
 * user's entry if it is the user's first request.
 */
static int tlso_hs_admit(struct tlso_hs_net *tn, struct tlso_hs *hs,
			 struct tlso_hs_user **spare)
{
	struct tlso_hs_user *u;

	lockdep_assert_held(&tn->lock);
	if (tn->pending >= READ_ONCE(tlso_max_pending))
		return -EBUSY;
	hash_for_each_possible(tn->users, u, node, __kuid_val(hs->uid)) {
		if (uid_eq(u->uid, hs->uid))
			break;
	}
	if (u && u->pending >= READ_ONCE(tlso_max_pending_per_user))
		return -EAGAIN;
	if (!u) {
		u = *spare;
		*spare = NULL;
		u->uid = hs->uid;
		hash_add(tn->users, &u->node, __kuid_val(hs->uid));
	}
	u->pending++;
	tn->pending++;
	hs->user = u;
	WRITE_ONCE(hs->ended, false);
	list_add_tail(&hs->list, &tn->queued);
	return 0;
}

static int tlso_hs_queue(struct sock *sk, struct tlso_ctx *ctx,
			 const struct tlso_handshake_req *req)
{
	struct tlso_hs_net *tn = tlso_hs_net(sock_net(sk));
	struct tlso_hs_user *spare;
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

	hs = kzalloc(sizeof(*hs), GFP_KERNEL_ACCOUNT);
	spare = kzalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
	if (!hs || !spare) {
		err = -ENOMEM;
		goto err_free;
	}
	INIT_LIST_HEAD(&hs->list);
	INIT_DELAYED_WORK(&hs->timeout, tlso_hs_timeout);
	/* One for the lists, one for the timeout work while it is armed. */
	refcount_set(&hs->ref, 2);
	/* Not on the lists yet, so nobody may claim it. */
	hs->ended = true;
	hs->id = atomic64_inc_return(&tlso_hs_next_id);
	hs->req = *req;
	hs->req.timeout_ms = min_t(u32, req->timeout_ms,
				   TLSO_HANDSHAKE_TIMEOUT_MAX_MS);
	hs->uid = current_euid();
	hs->gid = current_egid();
	hs->pid = get_pid(task_tgid(current));
	hs->sock_uid = sk->sk_uid;
	hs->queued = ktime_get();
	sock_hold(sk);
	hs->sk = sk;

	/*
	 * Armed before the request can be seen: an ender that comes first
	 * cancels it, and must find it armed, not armed after it is gone.
	 */
	ms = (hs->req.timeout_ms ? hs->req.timeout_ms : TLSO_REQ_DEFAULT_MS) +
	     TLSO_REQ_GRACE_MS;
	queue_delayed_work(tlso_hs_wq, &hs->timeout, msecs_to_jiffies(ms));

	spin_lock(&tn->lock);
	err = tlso_hs_admit(tn, hs, &spare);
	spin_unlock(&tn->lock);
	kfree(spare);
	if (err) {
		/* Never queued: the work cannot claim it. */
		tlso_hs_disarm(hs);
		tlso_hs_put(hs);
		return err;
	}

	ctx->hs = hs;
	ctx->hs_status = 0;
	ctx->hs_peer_auth = TLSO_AUTH_NONE;
	ctx->hs_identity[0] = 0;
	WRITE_ONCE(ctx->hs_state, TLSO_HS_PENDING);

	/*
	 * -ENOBUFS: a listener's queue overflowed and it missed READY,
	 * which tlsod notices and answers with ACCEPTs anyway.  (A listener
	 * without NETLINK_BROADCAST_ERROR makes that -ESRCH, tlso.h.)
	 */
	err = tlso_genl_ready(sock_net(sk));
	if (err && err != -ENOBUFS && tlso_hs_claim(hs)) {
		/* Nobody heard; the timeout work cannot claim it now. */
		tlso_hs_disarm(hs);
		ctx->hs = NULL;
		WRITE_ONCE(ctx->hs_state, TLSO_HS_NONE);
		tlso_hs_put(hs);
		return err;
	}
	return 0;

err_free:
	kfree(spare);
	kfree(hs);
	return err;
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
	BUILD_BUG_ON(offsetof(struct tlso_handshake_status, flags) !=
		     TLSO_HANDSHAKE_STATUS_SIZE_V1);
	struct tlso_ctx *ctx = tlso_get_ctx(sk);
	struct tlso_handshake_status st = { 0 };
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < TLSO_HANDSHAKE_STATUS_SIZE_V1)
		return -EINVAL;
	len = min_t(int, len, sizeof(st));
	st.state = ctx->hs_state;
	st.status = ctx->hs_status;
	if (ctx->hs_state == TLSO_HS_DONE) {
		st.version = ctx->prot.version;
		st.cipher = ctx->prot.cipher_type;
		st.peer_auth = ctx->hs_peer_auth;
		strscpy(st.peer_identity, ctx->hs_identity,
			sizeof(st.peer_identity));
		st.flags = ctx->hs_flags;
	}
	if (put_user(len, optlen) || copy_to_user(optval, &st, len))
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

static int __net_init tlso_hs_net_init(struct net *net)
{
	struct tlso_hs_net *tn = tlso_hs_net(net);

	spin_lock_init(&tn->lock);
	INIT_LIST_HEAD(&tn->queued);
	INIT_LIST_HEAD(&tn->taken);
	hash_init(tn->users);
	return 0;
}

static void __net_exit tlso_hs_net_exit(struct net *net)
{
	struct tlso_hs_net *tn = tlso_hs_net(net);

	/* Every request holds a socket, and every socket its namespace. */
	WARN_ON_ONCE(!list_empty(&tn->queued) || !list_empty(&tn->taken));
}

static struct pernet_operations tlso_hs_net_ops = {
	.init = tlso_hs_net_init,
	.exit = tlso_hs_net_exit,
	.id = &tlso_hs_net_id,
	.size = sizeof(struct tlso_hs_net),
};

int tlso_hs_init(void)
{
	int err;

	tlso_hs_wq = alloc_workqueue("tlso_hs", 0, 0);
	if (!tlso_hs_wq)
		return -ENOMEM;
	err = register_pernet_subsys(&tlso_hs_net_ops);
	if (err)
		goto err_wq;
	return 0;

err_wq:
	destroy_workqueue(tlso_hs_wq);
	return err;
}

void tlso_hs_exit(void)
{
	unregister_pernet_subsys(&tlso_hs_net_ops);
	destroy_workqueue(tlso_hs_wq);
}
