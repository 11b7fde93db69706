/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlso: internal declarations shared by the module's source files.
 */
#ifndef _TLSO_H
#define _TLSO_H

#include <linux/mutex.h>
#include <linux/tls.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>

#include "record.h"
#include <uapi/linux/tlso.h>

/* Pages of one record: header, 2^14 + 256 bytes and the tag fit in 5. */
#define TLSO_REC_PAGES	5
/* Page fragments of one outgoing record; 32 KiB frag pages give 1 or 2. */
#define TLSO_TX_FRAGS	8
/* User pages one record's content may span, encrypted or decrypted there. */
#define TLSO_ZC_PAGES	16

union tlso_crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes_gcm_128;
	struct tls12_crypto_info_aes_gcm_256 aes_gcm_256;
	struct tls12_crypto_info_aes_ccm_128 aes_ccm_128;
	struct tls12_crypto_info_chacha20_poly1305 chacha20_poly1305;
};

/* One direction's keys and counters. */
struct tlso_dir {
	struct crypto_aead *aead;
	struct aead_request *req;	/* used under the direction's lock */
	union tlso_crypto_info info;	/* as set; key and salt from here */
	u8 iv[TLSO_NONCE_LEN];		/* salt, then iv (TLS 1.2: counter) */
	u8 seq[TLSO_SEQ_LEN];		/* next record's sequence number */
};

struct tlso_frag {
	struct page *page;
	u32 off;
	u32 len;
};

/* An outgoing record, in page fragments that TCP will reference. */
struct tlso_txrec {
	struct tlso_frag frags[TLSO_TX_FRAGS];
	int nfrags;
	u32 cap;	/* bytes reserved in frags */
	u32 plain;	/* content bytes so far */
	u8 type;
	/* once sealed: how far TCP has taken it */
	int push_frag;
	u32 push_off;
};

/* tlso_tx.flags: the work found the send lock held, and left the push. */
#define TLSO_TX_WORK_DEFERRED	0
/*
 * A push TCP refused for want of memory, with nothing of its own in
 * flight whose ACK would call write_space, is tried again this much
 * later (TCP's own senders wait 2 jiffies to HZ/5 for memory).
 */
#define TLSO_TX_RETRY_MS	20
/* Tries of the last push at shutdown or close before the stream is reset. */
#define TLSO_TX_LAST_TRIES	10

struct tlso_tx {
	struct mutex lock;	/* one sender at a time, outside lock_sock */
	struct tlso_dir dir;
	struct tlso_txrec *open;	/* filling (MSG_MORE) */
	struct tlso_txrec *pend;	/* sealed, not all in TCP yet */
	int pend_flags;
	struct delayed_work work;	/* pushes pend when TCP has room */
	unsigned long flags;	/* TLSO_TX_* bits */
	void (*saved_write_space)(struct sock *sk);
	int err;	/* sticky: sequence numbers used up, or alert sent */
	u32 max_plain;	/* content bytes per record: 2^14, or the peer's */
	/*
	 * A fatal alert the receive path asked for (alert.c), not sent yet:
	 * its description, and the errno the stream gets once it is out.
	 */
	u8 alert;
	int alert_err;
	bool closing;
	/* scatterlist data must not live on a (vmapped) stack */
	u8 aad[TLSO_MAX_AAD_LEN];
	u8 tail;
};

/* A decrypted record waiting to be read (peeked, or read in part). */
struct tlso_rxrec {
	struct list_head list;
	struct page *pages[TLSO_REC_PAGES];
	u32 off;	/* where the unread content starts */
	u32 len;	/* content bytes left */
	u32 truesize;	/* charged to sk_rmem_alloc while listed */
	u8 type;
};

struct tlso_rx {
	struct tlso_dir dir;
	/* the record being gathered from TCP, ciphertext */
	struct page *in[TLSO_REC_PAGES];
	u32 in_have;
	u32 in_need;	/* TLSO_HDR_LEN until the header is known */
	bool ready;	/* in[] holds one whole record */
	bool no_pad;	/* TLS_RX_EXPECT_NO_PAD */
	bool key_update;	/* peer's KeyUpdate seen, new key awaited */
	bool eof;	/* close_notify read (sockets set up by tlsod) */
	bool halted;	/* a bad header was reported once: read no more */
	struct task_struct *splicer;	/* in tlso_splice_read(), if any */
	int err;	/* sticky: the stream is broken */
	struct list_head recs;	/* struct tlso_rxrec */
	/*
	 * The last record read, pages and all, kept for the next one: with
	 * init_on_alloc (Debian's default) every fresh page is cleared, and
	 * that cost more than decrypting a 1 KiB record.
	 */
	struct tlso_rxrec *spare;
	void (*saved_data_ready)(struct sock *sk);
	u8 aad[TLSO_MAX_AAD_LEN];
	u8 tail;
};

/*
 * KeyUpdate on a socket tlsod set up (keyupdate.c): the traffic secrets
 * of both directions, and the post-handshake message being read, which
 * may come in pieces across records.  Under lock_sock.
 */
struct tlso_ku {
	struct crypto_shash *hmac;	/* hmac(the suite's hash) */
	u32 hash_len;
	u8 secret[2][TLSO_SECRET_MAX];	/* [0] send, [1] receive */
	u8 msg_hdr[4];		/* type, 24-bit length */
	u8 msg_have;		/* of msg_hdr */
	u32 msg_left;		/* body bytes still to come */
	bool tx_pending;	/* a KeyUpdate to send before the next record */
	u8 tx_request;		/* its request_update */
	u64 tx_records;		/* sealed under the send key */
	u64 tx_limit;		/* then a KeyUpdate of our own */
	/* TLSO_A_TICKETS: NewSessionTickets go up to tlsod */
	u64 ticket_id;		/* the request's, for tlsod */
	u8 tickets_left;	/* of TLSO_TICKETS_MAX */
	u8 *ticket;		/* the one coming in; NULL: skip it */
	u32 ticket_len;		/* in ticket so far */
};

struct tlso_hs_user;

/*
 * A handshake request for tlsod (handshake.c).  Fields from id to
 * sock_uid are set before it is queued and never change after.
 */
struct tlso_hs {
	struct list_head list;	/* queued or taken, under the netns lock */
	refcount_t ref;		/* the lists' (then its ender's), ACCEPT's */
	u64 id;
	struct sock *sk;	/* held; its file is not */
	struct tlso_handshake_req req;	/* timeout_ms clamped */
	/* who asked, at TLSO_HANDSHAKE */
	kuid_t uid;		/* effective */
	kgid_t gid;
	struct pid *pid;	/* held: the requester's thread group */
	kuid_t sock_uid;	/* the socket's owner */
	ktime_t queued;		/* when TLSO_HANDSHAKE asked */
	/* under the netns lock */
	struct tlso_hs_user *user;	/* its count against the user cap */
	u32 portid;		/* tlsod's netlink socket, once taken */
	bool ended;		/* off the lists: its ender has it */
	struct delayed_work timeout;
};

/* How a request ended, for tlso_hs_end(). */
struct tlso_hs_outcome {
	u32 status;		/* 0 or positive errno */
	u32 peer_auth;		/* TLSO_AUTH_*, on success */
	const char *identity;	/* NULL for none */
	const u8 *data;		/* read past Finished */
	u32 len;
	/* TLS 1.3 traffic secrets, secret_len bytes each, or NULL */
	const u8 *tx_secret;
	const u8 *rx_secret;
	u32 secret_len;
	u32 hash;		/* TLSO_HASH_* */
	u32 ku_records;		/* 0: the module's limit */
	u32 record_size_limit;	/* the peer's, RFC 8449; 0: none */
	bool tickets;		/* pass session tickets up (client) */
	bool resumed;		/* no full handshake */
};

/* Per-socket state, hung off icsk_ulp_data while tlso is attached. */
struct tlso_ctx {
	/* What tlso stands in front of, restored on close. */
	struct proto *sk_proto;
	const struct proto_ops *sk_ops;
	struct sock *sk;
	struct rcu_head rcu;
	struct tlso_prot prot;	/* valid once either direction has keys */
	struct tls_crypto_info prot_info;	/* its version and cipher */
	struct tlso_tx tx;
	struct tlso_rx rx;
	struct tlso_ku *ku;	/* tlsod gave the traffic secrets */
	u8 tx_ready:1;
	u8 rx_ready:1;
	u8 zerocopy_sendfile:1;
	/* set up by tlsod: post-handshake messages handled here */
	u8 daemon_mode:1;
	u8 close_notify_sent:1;
	/* TLSO_INFO: changed and read under lock_sock */
	struct tlso_info info;
	/* handshake.c */
	struct tlso_hs *hs;
	u32 hs_state;		/* TLSO_HS_* */
	u32 hs_status;		/* positive errno */
	struct pid *hs_owner;	/* tlsod's process while it runs */
	u32 hs_peer_auth;	/* TLSO_AUTH_* */
	u32 hs_flags;		/* TLSO_HS_F_* */
	char hs_identity[TLSO_IDENTITY_SIZE];
	s64 hs_us;		/* how long the last one took */
	/* diag.c: on the namespace's list, under RCU and its lock */
	struct list_head diag_node;
	u64 diag_id;		/* order of attaching, for resuming dumps */
	struct pid *owner;	/* the process that attached tlso */
	char owner_comm[TASK_COMM_LEN];
};

/*
 * icsk_ulp_data only changes under lock_sock() and sk_callback_lock, and
 * every caller holds one of them or runs from a hook that tlso installed
 * and that close() removes first, so the pointer is stable here.
 */
static inline struct tlso_ctx *tlso_get_ctx(const struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);

	return (__force struct tlso_ctx *)icsk->icsk_ulp_data;
}

/* As kTLS: a broken stream reports err (negative) to every later call. */
static inline void tlso_abort(struct sock *sk, int err)
{
	WRITE_ONCE(sk->sk_err, -err);
	/* Paired with smp_rmb() in tcp_poll(). */
	smp_wmb();
	sk_error_report(sk);
}

/* ulp.c */
int tlso_ulp_register(const char *name);
void tlso_ulp_unregister(void);
void tlso_update_ops(struct sock *sk);

/* sockopt.c */
int tlso_setsockopt(struct sock *sk, int level, int optname,
		    sockptr_t optval, unsigned int optlen);
int tlso_getsockopt(struct sock *sk, int level, int optname,
		    char __user *optval, int __user *optlen);

/* key.c */
int tlso_key_set(struct sock *sk, sockptr_t optval, unsigned int optlen,
		 bool tx);
int tlso_key_get(struct sock *sk, char __user *optval, int __user *optlen,
		 bool tx);

/* crypto.c */
void tlso_dir_free(struct tlso_dir *d);
int tlso_dir_keys(struct tlso_dir *d, const union tlso_crypto_info *ci);
int tlso_aead_run(struct tlso_dir *d, bool enc, struct scatterlist *src,
		  struct scatterlist *dst, unsigned int len,
		  unsigned int aad_len, u8 *iv);
int tlso_sg_from_iter(struct iov_iter *iter, u32 len, struct page **pages,
		      struct scatterlist *sg);
void tlso_sg_put_pages(struct page **pages, int n, bool dirty);

/* tx.c */
int tlso_tx_init(struct sock *sk, struct tlso_ctx *ctx);
void tlso_tx_release(struct sock *sk, struct tlso_ctx *ctx);
int tlso_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);
void tlso_splice_eof(struct socket *sock);
int tlso_tx_flush(struct sock *sk, struct tlso_ctx *ctx, int flags);
void tlso_tx_unlock(struct tlso_ctx *ctx);
void tlso_tx_alert(struct sock *sk, struct tlso_ctx *ctx);
void tlso_tx_record_limit(struct tlso_ctx *ctx, u32 limit);
void tlso_shutdown(struct sock *sk, int how);
int tlso_sendpage(struct sock *sk, struct page *page, int offset,
		  size_t size, int flags);

/* rx.c */
int tlso_rx_init(struct sock *sk, struct tlso_ctx *ctx);
void tlso_rx_release(struct sock *sk, struct tlso_ctx *ctx);
int tlso_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		 int flags, int *addr_len);
__poll_t tlso_poll(struct file *file, struct socket *sock,
		   struct poll_table_struct *wait);
ssize_t tlso_splice_read(struct socket *sock, loff_t *ppos,
			 struct pipe_inode_info *pipe, size_t len,
			 unsigned int flags);
bool tlso_sock_is_readable(struct sock *sk);
int tlso_rx_no_pad_set(struct sock *sk, sockptr_t optval,
		       unsigned int optlen);
int tlso_rx_no_pad_get(struct sock *sk, char __user *optval,
		       int __user *optlen);
int tlso_rx_inject(struct tlso_ctx *ctx, struct list_head *after,
		   const u8 *data, u32 len);

/* alert.c */
void tlso_alert_fail(struct sock *sk, struct tlso_ctx *ctx, int err, u8 desc);
int tlso_alert_read(struct tlso_ctx *ctx, u8 level, u8 desc, u32 len,
		    u8 *reply);

/* keyupdate.c */
int tlso_ku_install(struct tlso_ctx *ctx, const struct tlso_hs_outcome *out);
void tlso_ku_sealed(struct tlso_ctx *ctx);
void tlso_ku_free(struct tlso_ctx *ctx);
int tlso_ku_rx(struct sock *sk, struct tlso_ctx *ctx, const u8 *data,
	       u32 len, bool last);
int tlso_ku_rx_other(struct tlso_ctx *ctx, u8 type);
int tlso_ku_next(struct tlso_ctx *ctx, bool tx);

/* A KeyUpdate waits to be sent; read without lock_sock by the unlock. */
static inline bool tlso_ku_tx_pending(const struct tlso_ctx *ctx)
{
	return ctx->ku && READ_ONCE(ctx->ku->tx_pending);
}

/* handshake.c */
int tlso_hs_init(void);
void tlso_hs_exit(void);
int tlso_hs_start(struct sock *sk, sockptr_t optval, unsigned int optlen);
int tlso_hs_status(struct sock *sk, char __user *optval, int __user *optlen);
int tlso_hs_gate(struct sock *sk, struct tlso_ctx *ctx, bool nonblock);
__poll_t tlso_hs_poll_mask(struct tlso_ctx *ctx, __poll_t mask);
int tlso_hs_key_gate(struct tlso_ctx *ctx);
void tlso_hs_close(struct sock *sk, struct tlso_ctx *ctx);
struct tlso_hs *tlso_hs_take(const struct net *net, u32 portid);
struct file *tlso_hs_file(struct tlso_hs *hs);
bool tlso_hs_untake(struct tlso_hs *hs);
void tlso_hs_handed_out(struct tlso_hs *hs);
struct tlso_hs *tlso_hs_find(const struct net *net, u64 id, u32 portid,
			     const struct sock *sk);
void tlso_hs_end(struct tlso_hs *hs, const struct tlso_hs_outcome *out);
void tlso_hs_daemon_gone(const struct net *net, u32 portid);

/* genl.c */
int tlso_genl_init(void);
void tlso_genl_exit(void);
bool tlso_genl_has_daemon(struct net *net);
int tlso_genl_ready(struct net *net);
int tlso_genl_ticket(struct net *net, u64 id, const u8 *msg, u32 len);
void *tlso_genl_dump_put(struct sk_buff *skb, struct netlink_callback *cb,
			 u8 cmd);

/* diag.c */
int tlso_diag_init(void);
void tlso_diag_exit(void);
void tlso_diag_add(struct tlso_ctx *ctx);
void tlso_diag_del(struct tlso_ctx *ctx);
int tlso_diag_get_info(struct sock *sk, struct sk_buff *skb);
size_t tlso_diag_get_info_size(const struct sock *sk);
int tlso_diag_dump(struct sk_buff *skb, struct netlink_callback *cb);

/* stat.c */
enum tlso_mib_field {
	TLSO_MIB_CURR_ATTACHED,
	TLSO_MIB_ATTACHED,
	TLSO_MIB_CURR_TX,
	TLSO_MIB_CURR_RX,
	TLSO_MIB_TX,
	TLSO_MIB_RX,
	TLSO_MIB_TX_RECORDS,
	TLSO_MIB_RX_RECORDS,
	TLSO_MIB_TX_BYTES,
	TLSO_MIB_RX_BYTES,
	TLSO_MIB_DECRYPT_ERROR,
	TLSO_MIB_TX_REKEY_OK,
	TLSO_MIB_TX_REKEY_ERROR,
	TLSO_MIB_RX_REKEY_OK,
	TLSO_MIB_RX_REKEY_ERROR,
	TLSO_MIB_RX_REKEY_RECEIVED,
	TLSO_MIB_TX_KEY_UPDATE,
	TLSO_MIB_RX_KEY_UPDATE,
	TLSO_MIB_TICKET_UP,
	TLSO_MIB_TICKET_DROP,
	TLSO_MIB_MAX
};

int tlso_stat_init(void);
void tlso_stat_exit(void);
void tlso_stat_add(const struct net *net, enum tlso_mib_field field, long n);

void tlso_stat_record(struct sock *sk, bool tx, u32 len);

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
