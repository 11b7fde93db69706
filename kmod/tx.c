// SPDX-License-Identifier: GPL-2.0
/*
 * tlso: the send path.  Plaintext from sendmsg, sendfile or splice is cut
 * into records of at most 2^14 bytes, sealed with the direction's AEAD
 * into page fragments, and handed to TCP by reference, so the ciphertext
 * is never copied again.  A whole record is encrypted straight from the
 * caller's pages; only a record built across calls (MSG_MORE) or from
 * small pieces is copied in first.
 */
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "tlso.h"

static u32 tlso_rec_hdr_len(const struct tlso_prot *p)
{
	return TLSO_HDR_LEN + p->nonce_len;
}

static void tlso_txrec_free(struct tlso_txrec *rec)
{
	int i;

	if (!rec)
		return;
	for (i = 0; i < rec->nfrags; i++)
		put_page(rec->frags[i].page);
	kfree(rec);
}

/*
 * Reserve cap bytes of page fragments from the socket's page_frag, as TCP
 * does for its own sendmsg; each fragment holds a page reference that TCP
 * adds to when it takes the record.
 */
static struct tlso_txrec *tlso_txrec_new(struct sock *sk, u32 cap, u8 type)
{
	struct page_frag *pfrag = sk_page_frag(sk);
	struct tlso_txrec *rec;

	rec = kzalloc(sizeof(*rec), sk->sk_allocation);
	if (!rec)
		return NULL;
	rec->type = type;
	while (rec->cap < cap) {
		struct tlso_frag *f;
		u32 n;

		if (rec->nfrags == TLSO_TX_FRAGS ||
		    !sk_page_frag_refill(sk, pfrag)) {
			tlso_txrec_free(rec);
			return NULL;
		}
		n = min_t(u32, pfrag->size - pfrag->offset, cap - rec->cap);
		f = &rec->frags[rec->nfrags++];
		f->page = pfrag->page;
		f->off = pfrag->offset;
		f->len = n;
		get_page(pfrag->page);
		pfrag->offset += n;
		rec->cap += n;
	}
	return rec;
}

/*
 * Fragment pages come from the page allocator without __GFP_HIGHMEM, and
 * tlso builds for x86_64 only, so page_address() reaches every byte of a
 * (possibly compound) fragment page.
 */
static u8 *tlso_txrec_ptr(struct tlso_txrec *rec, u32 pos, u32 *avail)
{
	int i;

	for (i = 0; i < rec->nfrags; i++) {
		struct tlso_frag *f = &rec->frags[i];

		if (pos < f->len) {
			*avail = f->len - pos;
			return (u8 *)page_address(f->page) + f->off + pos;
		}
		pos -= f->len;
	}
	*avail = 0;
	return NULL;
}

static void tlso_txrec_write(struct tlso_txrec *rec, u32 pos, const void *src,
			     u32 len)
{
	while (len) {
		u32 avail, n;
		u8 *p = tlso_txrec_ptr(rec, pos, &avail);

		n = min(avail, len);
		memcpy(p, src, n);
		src += n;
		pos += n;
		len -= n;
	}
}

static size_t tlso_txrec_copy_in(struct tlso_txrec *rec, u32 pos,
				 struct iov_iter *from, u32 len)
{
	size_t done = 0;

	while (done < len) {
		u32 avail, n;
		u8 *p = tlso_txrec_ptr(rec, pos + done, &avail);
		size_t got;

		n = min_t(u32, avail, len - done);
		got = copy_from_iter(p, n, from);
		done += got;
		if (got < n)
			break;
	}
	return done;
}

/* Scatterlist entries for bytes [pos, pos + len) of the record. */
static int tlso_txrec_sg(struct tlso_txrec *rec, u32 pos, u32 len,
			 struct scatterlist *sg)
{
	int i, n = 0;

	for (i = 0; i < rec->nfrags && len; i++) {
		struct tlso_frag *f = &rec->frags[i];
		u32 take;

		if (pos >= f->len) {
			pos -= f->len;
			continue;
		}
		take = min(f->len - pos, len);
		sg_set_page(&sg[n++], f->page, take, f->off + pos);
		len -= take;
		pos = 0;
	}
	return n;
}

/* Drop the fragment bytes past the sealed record's end. */
static void tlso_txrec_trim(struct tlso_txrec *rec, u32 size)
{
	int i;

	for (i = 0; i < rec->nfrags; i++) {
		if (size >= rec->frags[i].len) {
			size -= rec->frags[i].len;
			continue;
		}
		rec->frags[i].len = size;
		if (size)
			i++;
		break;
	}
	while (rec->nfrags > i)
		put_page(rec->frags[--rec->nfrags].page);
}

/*
 * Errors after which a sealed record stays pending and goes out before
 * anything else: a full send buffer (non-blocking, or SO_SNDTIMEO), or a
 * signal.  Any other error of TCP's means the stream will never carry it.
 */
static bool tlso_tx_later(int err)
{
	return err == -EAGAIN || err == -EINTR || err == -ERESTARTSYS;
}

/*
 * The stream has lost what send() may have reported sent: it fails for
 * good, and close() resets it (SO_LINGER with no time), so that the peer
 * never takes its end for a clean one.
 */
static void tlso_tx_fail(struct sock *sk, struct tlso_ctx *ctx, int err)
{
	ctx->tx.err = err;
	tlso_abort(sk, err);
	sock_set_flag(sk, SOCK_LINGER);
	WRITE_ONCE(sk->sk_lingertime, 0);
}

/*
 * Whether a record may be sealed now: not when the stream cannot carry
 * it (a sequence number would wrap, an error, shutdown for sending), so
 * that no record is counted or reported sent that never leaves.
 */
static int tlso_tx_may_seal(struct sock *sk, struct tlso_ctx *ctx)
{
	if (ctx->tx.err)
		return ctx->tx.err;
	/* Nothing more after a fatal error but its alert (tlso_tx_alert). */
	if (ctx->tx.alert)
		return ctx->tx.alert_err;
	if (sk->sk_err)
		return -sk->sk_err;
	if (sk->sk_shutdown & SEND_SHUTDOWN)
		return -EPIPE;
	return 0;
}

/*
 * Encrypt the record and advance the sequence.  The plaintext is either
 * already in the record (src == NULL) or in the caller's pages (src, with
 * nsrc entries to which the AAD and TLS 1.3 type entries are added here).
 */
static int tlso_tx_seal(struct sock *sk, struct tlso_ctx *ctx,
			struct tlso_txrec *rec, struct scatterlist *src,
			int nsrc)
{
	const struct tlso_prot *p = &ctx->prot;
	struct tlso_dir *d = &ctx->tx.dir;
	struct scatterlist sg_out[TLSO_TX_FRAGS + 1];
	u32 hlen = tlso_rec_hdr_len(p);
	u8 hdr[TLSO_HDR_LEN + TLSO_SEQ_LEN];
	u8 *aad = ctx->tx.aad, *type = &ctx->tx.tail;
	u8 iv[TLSO_MAX_IV_LEN];
	unsigned int aad_len;
	int n, err;

	err = tlso_tx_may_seal(sk, ctx);
	if (err)
		return err;
	tlso_record_build(hdr, p, rec->type, rec->plain, d->iv + p->salt_len);
	tlso_txrec_write(rec, 0, hdr, hlen);
	*type = rec->type;
	if (p->tail_len)
		tlso_txrec_write(rec, hlen + rec->plain, type, 1);
	aad_len = tlso_record_aad(aad, p, d->seq, rec->type, rec->plain);
	tlso_record_iv(iv, p, d->iv, d->seq, NULL);

	sg_init_table(sg_out, TLSO_TX_FRAGS + 1);
	sg_set_buf(&sg_out[0], aad, aad_len);
	n = tlso_txrec_sg(rec, hlen, rec->plain + p->tail_len + TLSO_TAG_LEN,
			  sg_out + 1);
	sg_mark_end(&sg_out[n]);
	if (src) {
		sg_set_buf(&src[0], aad, aad_len);
		if (p->tail_len)
			sg_set_buf(&src[nsrc++], type, 1);
		sg_mark_end(&src[nsrc - 1]);
	}
	err = tlso_aead_run(d, true, src ? src : sg_out, sg_out,
			    rec->plain + p->tail_len, aad_len, iv);
	memzero_explicit(iv, sizeof(iv));
	if (err) {
		/*
		 * Out of place (src), the caller's pages are intact, and it
		 * seals a copy instead.  In place, as kTLS, the stream ends:
		 * the record may be half encrypted, and send() may have
		 * reported part of it sent (MSG_MORE).
		 */
		if (!src)
			tlso_tx_fail(sk, ctx, err);
		return err;
	}

	tlso_txrec_trim(rec, hlen + rec->plain + p->tail_len + TLSO_TAG_LEN);
	if (p->nonce_len)
		tlso_seq_inc(d->iv + p->salt_len, p->iv_len);
	/*
	 * As kTLS: a record that would leave the sequence number wrapped is
	 * not sent, and the stream is dead for good -- a wrapped counter
	 * would reuse a nonce.
	 */
	if (tlso_seq_inc(d->seq, TLSO_SEQ_LEN)) {
		ctx->tx.err = -EBADMSG;
		tlso_abort(sk, -EBADMSG);
		return -EBADMSG;
	}
	tlso_stat_record(sk, true, rec->plain);
	tlso_ku_sealed(ctx);
	return 0;
}

static int tlso_tcp_send_page(struct sock *sk, struct page *page, u32 off,
			      u32 len, int flags)
{
#ifdef TLSO_HAVE_SENDPAGE
	return do_tcp_sendpages(sk, page, off, len, flags);
#else
	struct msghdr msg = { .msg_flags = flags | MSG_SPLICE_PAGES };
	struct bio_vec bvec;

	bvec_set_page(&bvec, page, len, off);
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, &bvec, 1, len);
	return tcp_sendmsg_locked(sk, &msg, len);
#endif
}

/*
 * TCP had no memory for a pending record, and no ACK is due to call
 * write_space when it has: send() reported the record sent, so nobody
 * else would push it.
 */
static void tlso_tx_retry_later(struct tlso_ctx *ctx)
{
	unsigned long delay = msecs_to_jiffies(TLSO_TX_RETRY_MS);

	schedule_delayed_work(&ctx->tx.work, delay);
}

/*
 * Hand the sealed record to TCP, which takes its own page references.
 * Returns 0 once TCP has all of it, an error tlso_tx_later() accepts
 * (the rest goes when TCP has room), or TCP's error for good, and then
 * the record is dropped.  SIGPIPE is the caller's to raise: TCP's error
 * may not be what the caller reports.
 */
static int tlso_tx_push(struct sock *sk, struct tlso_ctx *ctx, int flags)
{
	struct tlso_txrec *rec = ctx->tx.pend;

	flags &= MSG_DONTWAIT | MSG_MORE;
	flags |= MSG_NOSIGNAL;
	while (rec->push_frag < rec->nfrags) {
		struct tlso_frag *f = &rec->frags[rec->push_frag];
		bool last = rec->push_frag == rec->nfrags - 1;
		int ret;

		ret = tlso_tcp_send_page(sk, f->page, f->off + rec->push_off,
					 f->len - rec->push_off,
					 last ? flags : flags | MSG_MORE |
						MSG_SENDPAGE_NOTLAST);
		if (ret <= 0) {
			ret = ret ? ret : -EAGAIN;
			/*
			 * shutdown(SHUT_WR) from another thread refuses it
			 * too (EPIPE): but it is reported sent, and goes
			 * before the FIN (tlso_tx_last()).
			 */
			if (!tlso_tx_later(ret) &&
			    (ret != -EPIPE || READ_ONCE(sk->sk_err))) {
				ctx->tx.pend = NULL;
				tlso_txrec_free(rec);
			} else if (!READ_ONCE(sk->sk_wmem_queued) &&
				   !ctx->tx.closing) {
				tlso_tx_retry_later(ctx);
			}
			return ret;
		}
		rec->push_off += ret;
		if (rec->push_off == f->len) {
			rec->push_frag++;
			rec->push_off = 0;
		}
	}
	ctx->tx.pend = NULL;
	tlso_txrec_free(rec);
	return 0;
}

/* Seal the open record and send it. */
static int tlso_tx_close_open(struct sock *sk, struct tlso_ctx *ctx,
			      int flags)
{
	struct tlso_txrec *rec = ctx->tx.open;
	int err;

	ctx->tx.open = NULL;
	err = tlso_tx_seal(sk, ctx, rec, NULL, 0);
	if (err) {
		tlso_txrec_free(rec);
		return err;
	}
	ctx->tx.pend = rec;
	return tlso_tx_push(sk, ctx, flags);
}

/*
 * Push what is pending, then the open record: what a caller wants before
 * anything new goes out (another record type, splice_eof, close).
 */
int tlso_tx_flush(struct sock *sk, struct tlso_ctx *ctx, int flags)
{
	int err;

	if (ctx->tx.pend) {
		err = tlso_tx_push(sk, ctx, flags);
		if (err)
			return err;
	}
	if (ctx->tx.open)
		return tlso_tx_close_open(sk, ctx, flags);
	return 0;
}

/*
 * Encrypt a whole record straight from the caller's pages.  Returns the
 * bytes consumed; 0 with the iterator untouched when the pages cannot be
 * had that way, and the caller copies instead; or an error of the seal.
 */
static int tlso_tx_zerocopy(struct sock *sk, struct tlso_ctx *ctx,
			    struct tlso_txrec *rec, struct iov_iter *from,
			    u32 len)
{
	struct scatterlist src[TLSO_ZC_PAGES + 3];
	struct page *pages[TLSO_ZC_PAGES];
	int npages, err;

	sg_init_table(src, TLSO_ZC_PAGES + 3);
	npages = tlso_sg_from_iter(from, len, pages, src + 1);
	if (npages < 0)
		return 0;

	rec->plain = len;
	err = tlso_tx_seal(sk, ctx, rec, src, npages + 1);
	tlso_sg_put_pages(pages, npages, false);
	if (err) {
		rec->plain = 0;
		iov_iter_revert(from, len);
		/* The crypto's own failure: the copy may fare better. */
		return tlso_tx_may_seal(sk, ctx);
	}
	return len;
}

/*
 * The send loop shared by sendmsg, sendpage and splice.  more: the caller
 * has more to say (MSG_MORE, or a splice that is not done), so the last
 * record stays open.
 */
static int tlso_tx_key_update(struct sock *sk, struct tlso_ctx *ctx,
			      int flags);

static int tlso_tx_send(struct sock *sk, struct tlso_ctx *ctx,
			struct iov_iter *from, int flags, u8 type, bool more)
{
	const struct tlso_prot *p = &ctx->prot;
	u32 over = tlso_rec_hdr_len(p) + p->tail_len + TLSO_TAG_LEN;
	u32 max = ctx->tx.max_plain;
	bool zc_src = user_backed_iter(from) || iov_iter_is_bvec(from);
	size_t copied = 0;
	int err;

	/* Not a byte taken, not even into an open record, for a dead stream. */
	err = tlso_tx_may_seal(sk, ctx);
	if (err)
		goto out;
	/* The peer asked for new keys: they come before any new record. */
	if (tlso_ku_tx_pending(ctx)) {
		err = tlso_tx_key_update(sk, ctx, flags);
		if (err)
			goto out;
	}
	/* A record never mixes types: close a different open one first. */
	if (ctx->tx.open && ctx->tx.open->type != type) {
		err = tlso_tx_flush(sk, ctx, flags);
		if (err)
			goto out;
	}
	if (ctx->tx.pend) {
		err = tlso_tx_push(sk, ctx, flags);
		if (err)
			goto out;
	}

	while (iov_iter_count(from)) {
		size_t left = iov_iter_count(from);
		struct tlso_txrec *rec = ctx->tx.open;
		size_t n;
		u32 chunk;

		/* TCP may have let go of the socket lock while it waited. */
		err = tlso_tx_may_seal(sk, ctx);
		if (err)
			goto out;
		/* A key past its limit seals no more (tlso_ku_sealed()). */
		if (!rec && tlso_ku_tx_pending(ctx)) {
			err = tlso_tx_key_update(sk, ctx, flags);
			if (err)
				goto out;
		}
		if (!rec) {
			u32 want = more || left > max ? max : left;

			rec = tlso_txrec_new(sk, want + over, type);
			if (!rec) {
				err = -ENOMEM;
				goto out;
			}
			ctx->tx.open = rec;
		}
		chunk = min_t(size_t, left, max - rec->plain);
		chunk = min(chunk, rec->cap - over - rec->plain);

		if (!rec->plain && zc_src &&
		    (chunk == max || (chunk == left && !more))) {
			int zn = tlso_tx_zerocopy(sk, ctx, rec, from, chunk);

			if (zn < 0) {
				err = zn;
				goto out;
			}
			if (zn > 0) {
				ctx->tx.open = NULL;
				ctx->tx.pend = rec;
				err = tlso_tx_push(sk, ctx, flags);
				if (err && !tlso_tx_later(err))
					goto out;
				copied += zn;
				if (err)
					goto out;
				continue;
			}
		}

		n = tlso_txrec_copy_in(rec, tlso_rec_hdr_len(p) + rec->plain,
				       from, chunk);
		rec->plain += n;
		copied += n;
		if (n < chunk) {
			err = -EFAULT;
			goto out;
		}
		if (rec->plain == max ||
		    rec->plain + over == rec->cap ||
		    (!iov_iter_count(from) && !more)) {
			err = tlso_tx_close_open(sk, ctx, flags);
			if (err) {
				/* Dropped, never to leave: not sent. */
				if (!tlso_tx_later(err))
					copied -= n;
				goto out;
			}
		}
	}
	/* An empty send without MSG_MORE still ends an open record. */
	if (!more && ctx->tx.open)
		err = tlso_tx_close_open(sk, ctx, flags);
out:
	/*
	 * Data taken into a record counts as sent even when TCP could not
	 * take the record yet: it is sealed, and goes out before anything
	 * else.  A record TCP refused for good, or that could not be sealed,
	 * does not count.
	 */
	if (copied)
		return copied;
	return err;
}

/*
 * The KeyUpdate keyupdate.c asked for, sealed under the old key, then the
 * new send key for every record after it (RFC 8446 4.6.3).  Not sent
 * (TCP had no room for what was pending): asked for again, by the next
 * send or by the work once TCP has room.
 */
static int tlso_tx_key_update(struct sock *sk, struct tlso_ctx *ctx,
			      int flags)
{
	struct tlso_ku *ku = ctx->ku;
	u8 msg[5] = { TLSO_MSG_KEY_UPDATE, 0, 0, 1, ku->tx_request };
	struct kvec kv = { .iov_base = msg, .iov_len = sizeof(msg) };
	struct iov_iter from;
	int ret;

	ku->tx_pending = false;
	iov_iter_kvec(&from, ITER_SOURCE, &kv, 1, sizeof(msg));
	ret = tlso_tx_send(sk, ctx, &from, (flags & MSG_DONTWAIT) |
			   MSG_NOSIGNAL, TLSO_TYPE_HANDSHAKE, false);
	if (ret != sizeof(msg)) {
		ku->tx_pending = true;
		return ret < 0 ? ret : -EAGAIN;
	}
	ret = tlso_ku_next(ctx, true);
	/* The KeyUpdate itself counted against the old key: one is enough. */
	ku->tx_pending = false;
	if (ret) {
		/* The old key must not seal another record. */
		ctx->tx.err = ret;
		tlso_abort(sk, ret);
		return ret;
	}
	ctx->info.tx_key_updates++;
	tlso_stat_inc(sock_net(sk), TLSO_MIB_TX_KEY_UPDATE);
	return 0;
}

static int tlso_tx_cmsg(struct sock *sk, struct msghdr *msg, u8 *type)
{
	struct cmsghdr *cmsg;
	int err = -EINVAL;

	/* As kTLS: control data without a SOL_TLS message is an error. */
	for_each_cmsghdr(cmsg, msg) {
		if (!CMSG_OK(msg, cmsg))
			return -EINVAL;
		if (cmsg->cmsg_level != SOL_TLS)
			continue;
		if (cmsg->cmsg_type != TLS_SET_RECORD_TYPE ||
		    cmsg->cmsg_len < CMSG_LEN(sizeof(*type)) ||
		    (msg->msg_flags & MSG_MORE))
			return -EINVAL;
		*type = *(u8 *)CMSG_DATA(cmsg);
		err = 0;
	}
	return err;
}

int tlso_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sk);
	int flags = msg->msg_flags;
	u8 type = TLSO_TYPE_DATA;
	bool more;
	int err;

	err = tlso_hs_gate(sk, ctx, flags & MSG_DONTWAIT);
	if (err)
		return err;
	if (!ctx->tx_ready)
		return ctx->sk_proto->sendmsg(sk, msg, size);

	if (flags & ~(MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL |
		      MSG_CMSG_COMPAT | MSG_EOR | MSG_SPLICE_PAGES |
		      MSG_SENDPAGE_NOPOLICY))
		return -EOPNOTSUPP;
	if ((flags & MSG_EOR) && (flags & MSG_MORE))
		return -EINVAL;
	more = flags & MSG_MORE;

	err = mutex_lock_interruptible(&ctx->tx.lock);
	if (err)
		return err;
	lock_sock(sk);
	if (msg->msg_controllen) {
		err = tlso_tx_cmsg(sk, msg, &type);
		if (err)
			goto out;
	}
	err = tlso_tx_send(sk, ctx, &msg->msg_iter, flags, type, more);
out:
	if (err < 0)
		err = sk_stream_error(sk, flags, err);
	release_sock(sk);
	tlso_tx_unlock(ctx);
	return err;
}

#ifdef TLSO_HAVE_SENDPAGE
int tlso_sendpage(struct sock *sk, struct page *page, int offset,
		  size_t size, int flags)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sk);
	struct iov_iter from;
	struct bio_vec bvec;
	int err;

	err = tlso_hs_gate(sk, ctx, flags & MSG_DONTWAIT);
	if (err)
		return err;
	if (!ctx->tx_ready)
		return ctx->sk_proto->sendpage(sk, page, offset, size, flags);
	if (flags & ~(MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL |
		      MSG_SENDPAGE_NOTLAST | MSG_SENDPAGE_NOPOLICY |
		      MSG_NO_SHARED_FRAGS))
		return -EOPNOTSUPP;

	bvec.bv_page = page;
	bvec.bv_offset = offset;
	bvec.bv_len = size;
	iov_iter_bvec(&from, WRITE, &bvec, 1, size);

	err = mutex_lock_interruptible(&ctx->tx.lock);
	if (err)
		return err;
	lock_sock(sk);
	err = tlso_tx_send(sk, ctx, &from, flags, TLSO_TYPE_DATA,
			   flags & (MSG_MORE | MSG_SENDPAGE_NOTLAST));
	if (err < 0)
		err = sk_stream_error(sk, flags, err);
	release_sock(sk);
	tlso_tx_unlock(ctx);
	return err;
}
#endif

/* The end of a splice or sendfile: what it left open goes out. */
void tlso_splice_eof(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct tlso_ctx *ctx = tlso_get_ctx(sk);

	if (!ctx->tx_ready || !ctx->tx.open)
		return;
	mutex_lock(&ctx->tx.lock);
	lock_sock(sk);
	tlso_tx_flush(sk, ctx, 0);
	release_sock(sk);
	tlso_tx_unlock(ctx);
}

/*
 * Let go of the send lock, and hand back the push that tlso_tx_work()
 * left to the holder: a record may still be pending, and no write_space
 * need come to push it (TCP's queue may be empty by now).
 */
void tlso_tx_unlock(struct tlso_ctx *ctx)
{
	mutex_unlock(&ctx->tx.lock);
	/* Fully ordered after the unlock: pairs with tlso_tx_work(). */
	if (test_and_clear_bit(TLSO_TX_WORK_DEFERRED, &ctx->tx.flags) &&
	    (READ_ONCE(ctx->tx.pend) || tlso_ku_tx_pending(ctx) ||
	     READ_ONCE(ctx->tx.alert)) &&
	    !READ_ONCE(ctx->tx.closing))
		mod_delayed_work(system_wq, &ctx->tx.work, 0);
}

/*
 * Push what TCP had no room for.  Never wait for the send lock: its
 * holder may be a sender blocked for as long as the peer keeps its
 * window shut, and a worker asleep behind it is a hung task.  The holder
 * pushes the record itself, and tlso_tx_unlock() queues this again when
 * it leaves.
 */
static void tlso_tx_work(struct work_struct *work)
{
	struct tlso_ctx *ctx = container_of(to_delayed_work(work),
					    struct tlso_ctx, tx.work);
	struct sock *sk = ctx->sk;

	set_bit(TLSO_TX_WORK_DEFERRED, &ctx->tx.flags);
	/* The bit is seen by the holder, or its unlock by the trylock. */
	smp_mb__after_atomic();
	if (!mutex_trylock(&ctx->tx.lock))
		return;
	clear_bit(TLSO_TX_WORK_DEFERRED, &ctx->tx.flags);
	lock_sock(sk);
	if (!ctx->tx.closing && ctx->tx.alert)
		tlso_tx_alert(sk, ctx);
	if (!ctx->tx.closing && ctx->tx.pend)
		tlso_tx_push(sk, ctx, MSG_DONTWAIT);
	/* After what was pending: a KeyUpdate the peer waits for. */
	if (!ctx->tx.closing && !ctx->tx.pend && tlso_ku_tx_pending(ctx))
		tlso_tx_key_update(sk, ctx, MSG_DONTWAIT);
	release_sock(sk);
	mutex_unlock(&ctx->tx.lock);
}

/*
 * TCP freed send buffer space.  A record that did not fit is pushed from
 * a work item, since this runs in softirq with the socket spinlock held.
 */
static void tlso_write_space(struct sock *sk)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sk);

	if (ctx->tx.pend && !ctx->tx.closing)
		mod_delayed_work(system_wq, &ctx->tx.work, 0);
	ctx->tx.saved_write_space(sk);
}

int tlso_tx_init(struct sock *sk, struct tlso_ctx *ctx)
{
	ctx->tx.max_plain = TLSO_MAX_PLAIN;
	INIT_DELAYED_WORK(&ctx->tx.work, tlso_tx_work);
	write_lock_bh(&sk->sk_callback_lock);
	ctx->tx.saved_write_space = sk->sk_write_space;
	sk->sk_write_space = tlso_write_space;
	write_unlock_bh(&sk->sk_callback_lock);
	return 0;
}

/*
 * The peer's record_size_limit (RFC 8449; 0: it sent none) as content
 * bytes per record: in TLS 1.3 the limit counts the content type too.
 * Set at DONE, before the application may send.
 */
void tlso_tx_record_limit(struct tlso_ctx *ctx, u32 limit)
{
	if (limit && ctx->prot.version == TLS_1_3_VERSION)
		limit--;
	ctx->tx.max_plain = limit ? min_t(u32, limit, TLSO_MAX_PLAIN) :
				    TLSO_MAX_PLAIN;
}

/*
 * Let TCP queue the last records whatever its send buffer holds: close()
 * and shutdown() must neither block on a peer that does not read nor
 * drop data the caller was told was sent.  TCP sends them before its
 * FIN, as it sends the rest of its queue.  At most two records, so the
 * excess is bounded.
 */
static void tlso_tx_room_for_last(struct sock *sk, struct tlso_ctx *ctx)
{
	int need = 64 * 1024;

	if (ctx->tx.pend)
		need += ctx->tx.pend->cap;
	if (ctx->tx.open)
		need += ctx->tx.open->cap;
	need += READ_ONCE(sk->sk_wmem_queued);
	if (need > READ_ONCE(sk->sk_sndbuf))
		WRITE_ONCE(sk->sk_sndbuf, need);
}

/*
 * One alert record of its own, whatever the send buffer holds: every
 * caller has made room with tlso_tx_room_for_last() first.
 */
static int tlso_tx_alert_record(struct sock *sk, struct tlso_ctx *ctx,
				u8 level, u8 desc)
{
	u8 alert[2] = { level, desc };
	struct kvec kv = { .iov_base = alert, .iov_len = sizeof(alert) };
	struct iov_iter from;
	int ret;

	iov_iter_kvec(&from, ITER_SOURCE, &kv, 1, sizeof(alert));
	ret = tlso_tx_send(sk, ctx, &from, MSG_DONTWAIT | MSG_NOSIGNAL,
			   TLSO_TYPE_ALERT, false);
	return ret == sizeof(alert) ? 0 : ret < 0 ? ret : -EAGAIN;
}

/*
 * The fatal alert that alert.c asked for: after the rest of a record TCP holds
 * part of (cutting it would leave the peer nothing to parse), instead of
 * an open MSG_MORE record or a KeyUpdate due, under the current key.
 * Then the stream has its error for good.  Under the send lock and
 * lock_sock.
 */
void tlso_tx_alert(struct sock *sk, struct tlso_ctx *ctx)
{
	struct tlso_tx *tx = &ctx->tx;
	int err = tx->alert_err;
	u8 desc = tx->alert;

	sock_owned_by_me(sk);
	lockdep_assert_held(&tx->lock);
	if (!desc)
		return;
	WRITE_ONCE(tx->alert, 0);
	tlso_txrec_free(tx->open);
	tx->open = NULL;
	if (ctx->ku)
		ctx->ku->tx_pending = false;
	if (!tx->err && !sk->sk_err && !(sk->sk_shutdown & SEND_SHUTDOWN)) {
		tlso_tx_room_for_last(sk, ctx);
		if (!tx->pend || !tlso_tx_push(sk, ctx, MSG_DONTWAIT))
			tlso_tx_alert_record(sk, ctx, TLSO_ALERT_FATAL, desc);
	}
	if (!tx->err)
		tx->err = err;
	if (!sk->sk_err)
		tlso_abort(sk, err);
}

/*
 * On sockets tlsod set up, the end of sending is said in TLS too, so that
 * peers such as OpenSSL see a clean end rather than a truncation; or, if
 * the stream is failing, the alert that says why.
 */
static int tlso_tx_close_notify(struct sock *sk, struct tlso_ctx *ctx)
{
	int err;

	sock_owned_by_me(sk);
	lockdep_assert_held(&ctx->tx.lock);
	if (ctx->tx.alert) {
		tlso_tx_alert(sk, ctx);
		return 0;
	}
	if (!ctx->daemon_mode || ctx->close_notify_sent || ctx->tx.err ||
	    sk->sk_err)
		return 0;
	err = tlso_tx_alert_record(sk, ctx, TLSO_ALERT_WARNING,
				   TLSO_ALERT_CLOSE_NOTIFY);
	/* Sealed is sent: a pending record goes with the rest. */
	if (!err || tlso_tx_later(err))
		ctx->close_notify_sent = 1;
	return err;
}

/*
 * The last records, at shutdown(SHUT_WR) or close: what send() reported
 * sent, then close_notify.  TCP takes them whatever its send buffer holds
 * (tlso_tx_room_for_last()), so only a failed allocation leaves them
 * short, and that is waited out as TCP's own senders wait for memory, a
 * bounded number of times.  A stream that still lost them fails
 * (tlso_tx_fail()).  TCP would refuse these records after
 * shutdown(SHUT_WR): its SEND_SHUTDOWN is lifted while they go, and only
 * that bit -- TCP may take a FIN in from the backlog meanwhile, and its
 * RCV_SHUTDOWN must stay -- and it is back whenever the lock is let go.
 */
static void tlso_tx_last(struct sock *sk, struct tlso_ctx *ctx)
{
	u8 shut = sk->sk_shutdown & SEND_SHUTDOWN;
	int tries = TLSO_TX_LAST_TRIES, err;

	for (;;) {
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown & ~SEND_SHUTDOWN);
		/* A failing stream says why instead (tlso_tx_alert()). */
		if (ctx->tx.alert) {
			tlso_tx_alert(sk, ctx);
			WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | shut);
			return;
		}
		if (ctx->tx.pend || ctx->tx.open || ctx->daemon_mode)
			tlso_tx_room_for_last(sk, ctx);
		err = tlso_tx_flush(sk, ctx, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (!err)
			err = tlso_tx_close_notify(sk, ctx);
		/* A pending close_notify is pushed by the next round. */
		if (!err && ctx->tx.pend)
			err = tlso_tx_push(sk, ctx, MSG_DONTWAIT | MSG_NOSIGNAL);
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | shut);
		if ((err != -ENOMEM && !tlso_tx_later(err)) || !--tries)
			break;
		release_sock(sk);
		msleep(TLSO_TX_RETRY_MS);
		lock_sock(sk);
		if (ctx->tx.err || sk->sk_err)
			return;
	}
	if (err && !ctx->tx.err && !sk->sk_err)
		tlso_tx_fail(sk, ctx, err);
}

/*
 * shutdown(SHUT_WR): what send() reported sent goes out before TCP's FIN
 * -- a record TCP had no room for yet, an open MSG_MORE record -- and on
 * sockets tlsod set up, close_notify after it.
 */
void tlso_shutdown(struct sock *sk, int how)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sk);

	sock_owned_by_me(sk);
	if (!(how & SEND_SHUTDOWN) || !ctx->tx_ready)
		goto out;
	/*
	 * The send lock ranks above lock_sock.  Its holder -- the send work
	 * with a record TCP had no room for, another thread's send -- must
	 * not be left to find TCP shut after it: what it holds would be lost
	 * behind the FIN.  inet_shutdown() has marked the socket, so a
	 * sender waiting for memory wakes to EPIPE and lets the lock go.
	 */
	if (!mutex_trylock(&ctx->tx.lock)) {
		release_sock(sk);
		sk->sk_state_change(sk);
		mutex_lock(&ctx->tx.lock);
		lock_sock(sk);
	}
	tlso_tx_last(sk, ctx);
	tlso_tx_unlock(ctx);
out:
	ctx->sk_proto->shutdown(sk, how);
}

/*
 * On close: stop the work, push what was sent but is not in TCP yet --
 * including an open MSG_MORE record, which kTLS would drop -- and free.
 */
void tlso_tx_release(struct sock *sk, struct tlso_ctx *ctx)
{
	lock_sock(sk);
	ctx->tx.closing = true;
	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_write_space == tlso_write_space)
		sk->sk_write_space = ctx->tx.saved_write_space;
	write_unlock_bh(&sk->sk_callback_lock);
	release_sock(sk);
	cancel_delayed_work_sync(&ctx->tx.work);

	mutex_lock(&ctx->tx.lock);
	lock_sock(sk);
	/* After shutdown(SHUT_WR), tlso_shutdown() sent the last records. */
	if (!sk->sk_err && !ctx->tx.err &&
	    !(sk->sk_shutdown & SEND_SHUTDOWN))
		tlso_tx_last(sk, ctx);
	tlso_txrec_free(ctx->tx.open);
	tlso_txrec_free(ctx->tx.pend);
	ctx->tx.open = NULL;
	ctx->tx.pend = NULL;
	tlso_dir_free(&ctx->tx.dir);
	release_sock(sk);
	mutex_unlock(&ctx->tx.lock);
}
