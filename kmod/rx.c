// SPDX-License-Identifier: GPL-2.0
/*
 * tlso: the receive path.  Bytes are taken from TCP's receive queue one
 * record at a time, as they arrive (from sk_data_ready) or when a reader
 * asks; a whole record wakes readers and makes poll report input.  The
 * reader decrypts it straight into its own buffer when the whole content
 * fits and is application data; otherwise in place, keeping what it does
 * not read (MSG_PEEK, a short buffer, a control record) for the next call.
 */
#include <linux/highmem.h>
#include <linux/poll.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "tlso.h"

/*
 * Records one read may take from TCP before it returns what it has, or
 * lets go of the socket and the CPU a moment: a peer may send records of
 * no content without end.
 */
#define TLSO_RX_RECS_PER_CALL	64

/* Record pages are order-0 and not highmem (x86_64): see tx.c. */
static u8 *tlso_page_ptr(struct page **pages, u32 pos)
{
	return (u8 *)page_address(pages[pos >> PAGE_SHIFT]) +
	       (pos & ~PAGE_MASK);
}

static void tlso_pages_free(struct page **pages)
{
	int i;

	for (i = 0; i < TLSO_REC_PAGES; i++) {
		if (pages[i])
			__free_page(pages[i]);
		pages[i] = NULL;
	}
}

/*
 * Give every slot a page, keeping those already there (the pages a spare
 * record brought); on failure none is left, so that pages[0] tells
 * whether the buffer is whole.
 */
static int tlso_pages_fill(struct page **pages, gfp_t gfp)
{
	int i;

	for (i = 0; i < TLSO_REC_PAGES; i++) {
		if (pages[i])
			continue;
		pages[i] = alloc_page(gfp);
		if (!pages[i]) {
			tlso_pages_free(pages);
			return -ENOMEM;
		}
	}
	return 0;
}

static int tlso_pages_sg(struct page **pages, u32 pos, u32 len,
			 struct scatterlist *sg)
{
	int n = 0;

	while (len) {
		u32 off = pos & ~PAGE_MASK;
		u32 take = min_t(u32, PAGE_SIZE - off, len);

		sg_set_page(&sg[n++], pages[pos >> PAGE_SHIFT], take, off);
		pos += take;
		len -= take;
	}
	return n;
}

/*
 * Also without a buffer for the next record (its allocation after the
 * last record failed): nothing else would gather it, so the reader must
 * come and refill it, or see ENOMEM.
 */
static bool tlso_rx_readable(const struct tlso_ctx *ctx)
{
	const struct tlso_rx *rx = &ctx->rx;

	return READ_ONCE(rx->err) || READ_ONCE(rx->eof) ||
	       !list_empty(&rx->recs) || !READ_ONCE(rx->in[0]) ||
	       (READ_ONCE(rx->ready) && !READ_ONCE(rx->key_update));
}

/*
 * A record header, as kTLS checks it; on a socket tlsod set up, also its
 * type, as a TLS library would: in TLS 1.3 every record after the
 * handshake shows application data outside (a plaintext
 * ChangeCipherSpec or alert has no place), in TLS 1.2 there is no
 * ChangeCipherSpec without renegotiation.
 */
static int tlso_rx_header(const struct tlso_ctx *ctx, const u8 *hdr,
			  unsigned int *len)
{
	/* The type first: a plaintext alert is short, but not malformed. */
	if (ctx->daemon_mode &&
	    (ctx->prot.version == TLS_1_3_VERSION ? hdr[0] != TLSO_TYPE_DATA :
	     hdr[0] < TLSO_TYPE_ALERT || hdr[0] > TLSO_TYPE_DATA))
		return -EPROTO;
	return tlso_record_parse(hdr, &ctx->prot, len);
}

/* The alert for an error of tlso_rx_header(). */
static u8 tlso_rx_header_alert(int err)
{
	switch (err) {
	case -EMSGSIZE:
		return TLSO_ALERT_RECORD_OVERFLOW;
	case -EPROTO:
		return TLSO_ALERT_UNEXPECTED_MESSAGE;
	case -EBADMSG:
	case -EINVAL:
		return TLSO_ALERT_DECODE_ERROR;
	}
	return TLSO_ALERT_INTERNAL_ERROR;
}

/* tcp_read_sock() actor: gather the bytes of one record, no more. */
static int tlso_rx_actor(read_descriptor_t *desc, struct sk_buff *skb,
			 unsigned int offset, size_t len)
{
	struct tlso_ctx *ctx = desc->arg.data;
	struct tlso_rx *rx = &ctx->rx;
	size_t used = 0;

	while (used < len && !rx->ready && !rx->err) {
		u32 pos = rx->in_have;
		u32 n = min_t(size_t, len - used, rx->in_need - pos);

		n = min_t(u32, n, PAGE_SIZE - (pos & ~PAGE_MASK));
		if (skb_copy_bits(skb, offset + used, tlso_page_ptr(rx->in, pos),
				  n)) {
			rx->err = -EFAULT;
			break;
		}
		rx->in_have += n;
		used += n;

		if (rx->in_have == TLSO_HDR_LEN &&
		    rx->in_need == TLSO_HDR_LEN) {
			unsigned int plen;

			rx->err = tlso_rx_header(ctx,
						 tlso_page_ptr(rx->in, 0),
						 &plen);
			if (rx->err)
				break;
			rx->in_need = TLSO_HDR_LEN + plen;
		}
		if (rx->in_have == rx->in_need)
			rx->ready = true;
	}
	if (rx->ready || rx->err)
		desc->count = 0;
	return used;
}

/*
 * Take bytes from TCP towards the next record.  Runs with the socket
 * owned: from a reader holding lock_sock, or from sk_data_ready in softirq
 * (socket not owned by user) or while the owner processes its backlog.
 */
static void tlso_rx_pull(struct sock *sk, struct tlso_ctx *ctx)
{
	struct tlso_rx *rx = &ctx->rx;
	read_descriptor_t desc;

	if (rx->ready || rx->err || rx->halted || !rx->in[0])
		return;
	desc.arg.data = ctx;
	desc.error = 0;
	desc.count = 1;
	tcp_read_sock(sk, &desc, tlso_rx_actor);
	if (!rx->err)
		return;
	if (ctx->daemon_mode) {
		tlso_alert_fail(sk, ctx, rx->err, tlso_rx_header_alert(rx->err));
		return;
	}
	/*
	 * As kTLS: the error is the stream's, reported once; after it the
	 * socket reads nothing more, as if no more bytes came.
	 */
	rx->halted = true;
	tlso_abort(sk, rx->err);
	rx->err = 0;
}

static void tlso_data_ready(struct sock *sk)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sk);

	tlso_rx_pull(sk, ctx);
	/* Readers and pollers care about whole records only. */
	if (tlso_rx_readable(ctx))
		ctx->rx.saved_data_ready(sk);
}

static void tlso_rx_reset_in(struct tlso_rx *rx)
{
	rx->in_have = 0;
	rx->in_need = TLSO_HDR_LEN;
	rx->ready = false;
}

/* TLS 1.3: the content type is the last non-zero byte (RFC 8446 5.4). */
static int tlso_rx_unpad(struct page **pages, u32 start, u32 end, u8 *type,
			 u32 *len)
{
	while (end > start) {
		u8 b = *tlso_page_ptr(pages, end - 1);

		end--;
		if (b) {
			*type = b;
			*len = end - start;
			return 0;
		}
	}
	return -EBADMSG;
}

/* A record to fill: the spare one, or a new one without pages. */
static struct tlso_rxrec *tlso_rxrec_get(struct tlso_rx *rx)
{
	struct tlso_rxrec *rec = rx->spare;

	if (!rec)
		return kzalloc(sizeof(*rec), GFP_KERNEL);
	rx->spare = NULL;
	return rec;
}

static void tlso_rxrec_destroy(struct tlso_rxrec *rec)
{
	tlso_pages_free(rec->pages);
	kfree(rec);
}

/* What a record takes of the machine's memory, as TCP counts an skb. */
static u32 tlso_rxrec_truesize(const struct tlso_rxrec *rec)
{
	u32 size = sizeof(*rec);
	int i;

	for (i = 0; i < TLSO_REC_PAGES; i++)
		if (rec->pages[i])
			size += PAGE_SIZE;
	return size;
}

/*
 * A listed record is charged to the socket's receive memory, as the
 * segments it came from were until tlso took them out of TCP: so TCP's
 * window shrinks while records wait to be read, and a peek stops
 * decrypting ahead at sk_rcvbuf.
 */
static void tlso_rxrec_charge(struct sock *sk, struct tlso_rxrec *rec)
{
	rec->truesize = tlso_rxrec_truesize(rec);
	atomic_add(rec->truesize, &sk->sk_rmem_alloc);
}

/*
 * A record that stays listed past this read (a peek's) keeps only the
 * pages its content uses: a record of one byte must not hold five.
 */
static void tlso_rxrec_trim(struct sock *sk, struct tlso_rxrec *rec)
{
	u32 first = rec->off >> PAGE_SHIFT;
	u32 last = (rec->off + rec->len - 1) >> PAGE_SHIFT;
	u32 size;
	int i;

	for (i = 0; i < TLSO_REC_PAGES; i++) {
		if (!rec->pages[i] || (rec->len && i >= first && i <= last))
			continue;
		__free_page(rec->pages[i]);
		rec->pages[i] = NULL;
	}
	size = tlso_rxrec_truesize(rec);
	atomic_sub(rec->truesize - size, &sk->sk_rmem_alloc);
	rec->truesize = size;
}

/* A record no longer listed: the spare if there is none, else gone. */
static void tlso_rxrec_put(struct tlso_rx *rx, struct tlso_rxrec *rec)
{
	if (!rx->spare) {
		rx->spare = rec;
		return;
	}
	tlso_rxrec_destroy(rec);
}

/*
 * A handshake record on a socket with tlsod's secrets, page by page
 * through keyupdate.c; a KeyUpdate that asks for one back has the send
 * side answer it now, not only at the application's next send.
 */
static int tlso_rx_key_update(struct sock *sk, struct tlso_ctx *ctx,
			      struct tlso_rxrec *rec)
{
	u32 pos = rec->off, end = rec->off + rec->len;
	int err = 0;

	while (!err && pos < end) {
		u32 n = min_t(u32, PAGE_SIZE - (pos & ~PAGE_MASK), end - pos);

		err = tlso_ku_rx(sk, ctx, tlso_page_ptr(rec->pages, pos), n,
				 pos + n == end);
		pos += n;
	}
	if (!err && ctx->ku->tx_pending && ctx->tx_ready)
		mod_delayed_work(system_wq, &ctx->tx.work, 0);
	return err;
}

/*
 * Decrypt the whole record in rx->in.  With to != NULL, try to decrypt
 * the content straight into the reader's buffer; *zc tells whether that
 * happened (and then *len bytes went there).  Otherwise the content stays
 * in a struct tlso_rxrec appended to rx->recs and returned in *out,
 * trimmed to its content when the caller keeps it (a peek) -- unless it
 * is application data of no bytes, which nobody can read, and which goes
 * at once (*out NULL).
 */
static int tlso_rx_decrypt(struct sock *sk, struct tlso_ctx *ctx,
			   struct iov_iter *to, bool keep, bool *zc, u32 *len,
			   struct tlso_rxrec **out)
{
	const struct tlso_prot *p = &ctx->prot;
	struct tlso_rx *rx = &ctx->rx;
	struct tlso_dir *d = &rx->dir;
	u32 hlen = TLSO_HDR_LEN + p->nonce_len;
	u32 clen = rx->in_need - hlen;
	u32 plain = clen - TLSO_TAG_LEN - p->tail_len;
	struct scatterlist src[TLSO_REC_PAGES + 2];
	struct scatterlist dst[TLSO_ZC_PAGES + 3];
	struct page *upages[TLSO_ZC_PAGES];
	u8 *hdr = tlso_page_ptr(rx->in, 0);
	u8 iv[TLSO_MAX_IV_LEN], type = hdr[0];
	struct tlso_rxrec *rec;
	int nsrc, npages = -1, err, i;
	u8 alert;

	*zc = false;
	*out = NULL;
	/* As on send: the last sequence number is never used. */
	if (!memchr_inv(d->seq, 0xff, TLSO_SEQ_LEN)) {
		err = -EBADMSG;
		tlso_alert_fail(sk, ctx, err, 0);
		return err;
	}
	sg_init_table(src, TLSO_REC_PAGES + 2);
	nsrc = tlso_pages_sg(rx->in, hlen, clen, src + 1);
	sg_mark_end(&src[nsrc]);
	sg_set_buf(&src[0], rx->aad, tlso_record_aad(rx->aad, p, d->seq, type,
						     plain));
	tlso_record_iv(iv, p, d->iv, d->seq, hdr + TLSO_HDR_LEN);

	/* Straight into the reader's pages: data, and all of it fits. */
	if (to && plain <= iov_iter_count(to) && plain <= TLSO_MAX_PLAIN &&
	    (p->version == TLS_1_3_VERSION ? rx->no_pad :
					     type == TLSO_TYPE_DATA)) {
		sg_init_table(dst, TLSO_ZC_PAGES + 3);
		npages = tlso_sg_from_iter(to, plain, upages, dst + 1);
	}
	if (npages >= 0) {
		int ndst = npages + 1;

		sg_set_buf(&dst[0], rx->aad, p->aad_len);
		if (p->tail_len)
			sg_set_buf(&dst[ndst++], &rx->tail, 1);
		sg_mark_end(&dst[ndst - 1]);
		err = tlso_aead_run(d, false, src, dst, clen, p->aad_len, iv);
		if (!err && p->tail_len && rx->tail != TLSO_TYPE_DATA)
			err = 1;	/* padded or not data: redo */
		if (!err)
			*zc = true;
		tlso_sg_put_pages(upages, npages, *zc);
		if (*zc) {
			*len = plain;
			goto done;
		}
		iov_iter_revert(to, plain);
		/*
		 * A record that does not authenticate fails either way; out
		 * of place, the ciphertext is intact for another try in
		 * place when the crypto failed on its own (no memory).
		 */
		if (err == -EBADMSG)
			goto err_decrypt;
	}

	rec = tlso_rxrec_get(rx);
	if (!rec) {
		err = -ENOMEM;
		goto out;
	}
	err = tlso_aead_run(d, false, src, src, clen, p->aad_len, iv);
	if (err) {
		tlso_rxrec_put(rx, rec);
		goto err_decrypt;
	}
	rec->off = hlen;
	if (p->tail_len) {
		err = tlso_rx_unpad(rx->in, hlen, hlen + clen - TLSO_TAG_LEN,
				    &type, &rec->len);
		if (err) {
			/* No content type: not the key's fault (5.4). */
			tlso_rxrec_put(rx, rec);
			alert = TLSO_ALERT_UNEXPECTED_MESSAGE;
			goto err_stream;
		}
	} else {
		rec->len = plain;
	}
	rec->type = type;
	*len = rec->len;
	/* Only a padded TLS 1.3 record, on a socket tlsod set up, gets here. */
	if (rec->len > TLSO_MAX_PLAIN) {
		tlso_rxrec_put(rx, rec);
		err = -EMSGSIZE;
		alert = TLSO_ALERT_RECORD_OVERFLOW;
		goto err_stream;
	}
	if (ctx->ku) {
		err = type == TLSO_TYPE_HANDSHAKE ? (rec->len ? 0 : -EPROTO) :
			tlso_ku_rx_other(ctx, type);
		if (err) {
			tlso_rxrec_put(rx, rec);
			alert = TLSO_ALERT_UNEXPECTED_MESSAGE;
			goto err_stream;
		}
	}
	if (type == TLSO_TYPE_DATA && !rec->len) {
		/* in[] keeps its pages for the next record. */
		tlso_rxrec_put(rx, rec);
		goto done;
	}
	/* The record keeps these pages; in[] gets the spare's, if any. */
	for (i = 0; i < TLSO_REC_PAGES; i++)
		swap(rec->pages[i], rx->in[i]);
	list_add_tail(&rec->list, &rx->recs);
	tlso_rxrec_charge(sk, rec);
	if (keep)
		tlso_rxrec_trim(sk, rec);
	*out = rec;

	if (p->version == TLS_1_3_VERSION && type == TLSO_TYPE_HANDSHAKE &&
	    !ctx->ku && rec->len && *tlso_page_ptr(rec->pages, rec->off) ==
			TLSO_MSG_KEY_UPDATE) {
		/* The peer's next records use keys the reader must set. */
		rx->key_update = true;
		tlso_stat_inc(sock_net(sk), TLSO_MIB_RX_REKEY_RECEIVED);
	}
	/* A buffer now, so that data_ready can gather the next record. */
	tlso_pages_fill(rx->in, GFP_KERNEL);

done:
	tlso_rx_reset_in(rx);
	tlso_seq_inc(d->seq, TLSO_SEQ_LEN);
	tlso_stat_record(sk, false, *len);
	err = 0;
	/* A KeyUpdate takes effect before the next record is decrypted. */
	if (*out && ctx->ku && type == TLSO_TYPE_HANDSHAKE) {
		err = tlso_rx_key_update(sk, ctx, *out);
		alert = err == -EBADMSG ? TLSO_ALERT_DECODE_ERROR :
			err == -EPROTO ? TLSO_ALERT_UNEXPECTED_MESSAGE :
					 TLSO_ALERT_INTERNAL_ERROR;
		if (err)
			goto err_stream;
	}
	goto out;

err_stream:
	tlso_alert_fail(sk, ctx, err, alert);
	goto out;

err_decrypt:
	/*
	 * Only a record that does not authenticate is the peer's fault; the
	 * ciphertext may be half decrypted in place, so the stream ends
	 * either way, with the error it really had.
	 */
	if (err != -EBADMSG) {
		alert = TLSO_ALERT_INTERNAL_ERROR;
		goto err_stream;
	}
	tlso_alert_fail(sk, ctx, err, TLSO_ALERT_BAD_RECORD_MAC);
	tlso_stat_inc(sock_net(sk), TLSO_MIB_DECRYPT_ERROR);
out:
	memzero_explicit(iv, sizeof(iv));
	return err;
}

static void tlso_rxrec_free(struct sock *sk, struct tlso_rx *rx,
			    struct tlso_rxrec *rec)
{
	list_del(&rec->list);
	atomic_sub(rec->truesize, &sk->sk_rmem_alloc);
	rec->truesize = 0;
	tlso_rxrec_put(rx, rec);
}

/*
 * Copy len bytes of the record from skip on.  Returns how many went:
 * fewer when the destination took only part of them (a bad user address,
 * or a 6.1 pipe that could not get a page), and those count as read.
 */
static u32 tlso_rxrec_copy(struct tlso_rxrec *rec, u32 skip, u32 len,
			   struct iov_iter *to)
{
	u32 pos = rec->off + skip, done = 0;

	while (done < len) {
		u32 n = min_t(u32, PAGE_SIZE - (pos & ~PAGE_MASK), len - done);
		/*
		 * Not copy_page_to_iter(): into a 6.1 pipe that would lend
		 * the page itself, which pipe readers reject as not
		 * up to date.
		 */
		u32 got = copy_to_iter(tlso_page_ptr(rec->pages, pos), n, to);

		done += got;
		if (got < n)
			break;
		pos += n;
	}
	return done;
}

static u8 tlso_rec_byte(struct tlso_rxrec *rec, u32 i)
{
	return *tlso_page_ptr(rec->pages, rec->off + i);
}

/*
 * On sockets tlsod set up the application reads data only: what else the
 * peer sends after the handshake is dealt with here.  TLS 1.3 session
 * tickets are dropped (on a socket with tlsod's secrets keyupdate.c takes
 * them, and may pass them up to tlsod), close_notify is the end of the
 * stream, an alert that ends nothing is passed over, any other alert an
 * error, and a KeyUpdate -- when
 * tlsod gave no secrets to follow it with -- a defined error instead of
 * garbage.  Returns 0 or the error.
 */
static int tlso_rx_post_handshake(struct sock *sk, struct tlso_ctx *ctx,
				  struct tlso_rxrec *rec)
{
	u8 alert = TLSO_ALERT_UNEXPECTED_MESSAGE;
	u32 pos = 0, n = rec->len;
	int err = 0;

	/* Taken in as it was decrypted (tlso_rx_key_update()). */
	if (rec->type == TLSO_TYPE_HANDSHAKE && ctx->ku)
		return 0;
	if (rec->type == TLSO_TYPE_ALERT) {
		err = tlso_alert_read(ctx, n ? tlso_rec_byte(rec, 0) : 0,
				      n > 1 ? tlso_rec_byte(rec, 1) : 0, n,
				      &alert);
		if (err == 1)
			ctx->rx.eof = true;
		if (err >= 0)
			return 0;
	} else if (rec->type == TLSO_TYPE_HANDSHAKE &&
		   ctx->prot.version == TLS_1_3_VERSION) {
		/* Possibly several messages: type(1) length(3) body. */
		while (!err && pos + 4 <= n) {
			u8 type = tlso_rec_byte(rec, pos);
			u32 mlen = tlso_rec_byte(rec, pos + 1) << 16 |
				   tlso_rec_byte(rec, pos + 2) << 8 |
				   tlso_rec_byte(rec, pos + 3);

			if (type == TLSO_MSG_KEY_UPDATE) {
				err = -EKEYEXPIRED;
				alert = TLSO_ALERT_INTERNAL_ERROR;
			} else if (type != TLSO_MSG_NEW_SESSION_TICKET) {
				err = -EPROTO;
			}
			pos += 4 + mlen;
		}
		if (!err && pos != n) {
			err = -EPROTO;
			alert = TLSO_ALERT_DECODE_ERROR;
		}
	} else {
		/* TLS 1.2: no renegotiation; nor a type with no place. */
		err = -EPROTO;
	}
	if (err)
		tlso_alert_fail(sk, ctx, err, alert);
	return err;
}

/* Under lock_sock: a record of len (at most 2^14) bytes of data. */
int tlso_rx_inject(struct tlso_ctx *ctx, struct list_head *after,
		   const u8 *data, u32 len)
{
	struct tlso_rxrec *rec = kzalloc(sizeof(*rec), GFP_KERNEL);
	u32 pos = 0;

	if (!rec)
		return -ENOMEM;
	while (pos < len) {
		u32 n = min_t(u32, len - pos, PAGE_SIZE - (pos & ~PAGE_MASK));
		struct page **page = &rec->pages[pos >> PAGE_SHIFT];

		if (!*page)
			*page = alloc_page(GFP_KERNEL);
		if (!*page) {
			tlso_rxrec_destroy(rec);
			return -ENOMEM;
		}
		memcpy(tlso_page_ptr(rec->pages, pos), data + pos, n);
		pos += n;
	}
	rec->len = len;
	rec->type = TLSO_TYPE_DATA;
	list_add(&rec->list, after);
	tlso_rxrec_charge(ctx->sk, rec);
	return 0;
}

/*
 * The record type of what this call returns: the first record decides,
 * and tells the caller through a TLS_GET_RECORD_TYPE cmsg; a control
 * record needs that cmsg (kTLS: EIO without room for it).  Returns 1 to
 * go on, 0 to stop before a record of another type, or an error.
 */
static int tlso_rx_type(struct msghdr *msg, u8 type, u8 *control,
			bool splicing)
{
	int err;

	if (*control)
		return *control == type;
	if (!type)
		return -EBADMSG;
	/* As kTLS: a pipe has no room for the type at all. */
	if (splicing && type != TLSO_TYPE_DATA)
		return -EINVAL;
	*control = type;
	err = put_cmsg(msg, SOL_TLS, TLS_GET_RECORD_TYPE, sizeof(type), &type);
	if (type != TLSO_TYPE_DATA && (err || (msg->msg_flags & MSG_CTRUNC)))
		return -EIO;
	return 1;
}

/* Wait for a whole record, an error or the end. */
static int tlso_rx_wait(struct sock *sk, struct tlso_ctx *ctx, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct tlso_rx *rx = &ctx->rx;

	sock_owned_by_me(sk);
	if (sk->sk_err)
		return sock_error(sk);
	if ((sk->sk_shutdown & RCV_SHUTDOWN) || sock_flag(sk, SOCK_DONE))
		return 0;
	if (!*timeo)
		return -EAGAIN;

	add_wait_queue(sk_sleep(sk), &wait);
	sk_set_bit(SOCKWQ_ASYNC_WAITDATA, sk);
	sk_wait_event(sk, timeo,
		      rx->ready || rx->err || READ_ONCE(sk->sk_err) ||
		      (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN), &wait);
	sk_clear_bit(SOCKWQ_ASYNC_WAITDATA, sk);
	remove_wait_queue(sk_sleep(sk), &wait);
	if (signal_pending(current))
		return sock_intr_errno(*timeo);
	return 1;
}

/*
 * Records read out gave their memory back to the socket: if the window
 * TCP last announced is less than half of what there is room for now,
 * tell the peer, as tcp_cleanup_rbuf() does for TCP's own readers -- a
 * peer that a shut window stopped would otherwise wait for its next
 * window probe, which backs off to minutes.
 */
static void tlso_rx_window_update(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 now = tcp_receive_window(tp);
	int room = tcp_space(sk);

	if ((sk->sk_shutdown & RCV_SHUTDOWN) ||
	    !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 |
				     TCPF_FIN_WAIT2)))
		return;
	/* TCP would offer no more than this in the ACK (tcp_select_window). */
	room = min_t(int, room, tp->rcv_ssthresh);
	if (room < (int)inet_csk(sk)->icsk_ack.rcv_mss ||
	    2 * now > tp->window_clamp || (u32)room < 2 * now)
		return;
	__tcp_send_ack(sk, tp->rcv_nxt);
}

/*
 * A call has decrypted TLSO_RX_RECS_PER_CALL records: a peer streaming
 * empty records must not hold the reader (and the socket) for ever.
 * Returns 1 to stop with what was copied, 0 to go on after giving the
 * CPU and the socket lock away a moment, or an error.
 */
static int tlso_rx_yield(struct sock *sk, size_t copied, int target,
			 bool peek, long timeo)
{
	if (copied && (copied >= target || peek || !timeo))
		return 1;
	if (!timeo)
		return -EAGAIN;
	release_sock(sk);
	cond_resched();
	lock_sock(sk);
	if (signal_pending(current))
		return sock_intr_errno(timeo);
	return 0;
}

int tlso_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
		 int flags, int *addr_len)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sk);
	struct tlso_rx *rx = &ctx->rx;
	bool peek = flags & MSG_PEEK;
	bool splicing = READ_ONCE(rx->splicer) == current;
	struct tlso_rxrec *cur = NULL;
	u32 skip = 0;	/* MSG_PEEK: bytes of cur already returned */
	size_t copied = 0;
	int decrypted = 0;	/* records this call took from TCP */
	int rmem, target, err = 0;
	u8 control = 0;
	long timeo;

	if (flags & MSG_ERRQUEUE)
		return ctx->sk_proto->recvmsg(sk, msg, len, flags, addr_len);
	err = tlso_hs_gate(sk, ctx, flags & MSG_DONTWAIT);
	if (err)
		return err;
	if (!ctx->rx_ready)
		return ctx->sk_proto->recvmsg(sk, msg, len, flags, addr_len);

	lock_sock(sk);
	rmem = atomic_read(&sk->sk_rmem_alloc);
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	if (!list_empty(&rx->recs))
		cur = list_first_entry(&rx->recs, struct tlso_rxrec, list);

	while (copied < len) {
		u32 n, want;

		if (!cur) {
			bool zc, can_zc;
			u32 got;

			if (rx->eof)
				break;
			if (rx->err) {
				err = rx->err;
				break;
			}
			if (rx->key_update) {
				err = splicing ? -EINVAL : -EKEYEXPIRED;
				break;
			}
			/*
			 * A peek keeps what it decrypts: not past the receive
			 * buffer, as TCP queues no more than that either.
			 */
			if (peek && copied && atomic_read(&sk->sk_rmem_alloc) >=
					      READ_ONCE(sk->sk_rcvbuf))
				break;
			if (decrypted == TLSO_RX_RECS_PER_CALL) {
				err = tlso_rx_yield(sk, copied, target, peek,
						    timeo);
				if (err)
					break;
				decrypted = 0;
				continue;
			}
			if (!rx->in[0] && tlso_pages_fill(rx->in, GFP_KERNEL)) {
				err = -ENOMEM;
				break;
			}
			tlso_rx_pull(sk, ctx);
			if (!rx->ready) {
				if (rx->err)
					continue;
				if (copied >= target)
					break;
				err = tlso_rx_wait(sk, ctx, &timeo);
				if (err <= 0)
					break;
				err = 0;
				continue;
			}
			/* Peeked data must stay; kernel buffers are copied. */
			can_zc = !peek && user_backed_iter(&msg->msg_iter) &&
				 (!control || control == TLSO_TYPE_DATA);
			err = tlso_rx_decrypt(sk, ctx, can_zc ?
					      &msg->msg_iter : NULL, peek,
					      &zc, &got, &cur);
			if (err)
				break;
			decrypted++;
			if (zc && got) {
				/* Only data goes straight to the reader. */
				err = tlso_rx_type(msg, TLSO_TYPE_DATA,
						   &control, splicing);
				if (err < 0)
					break;
				err = 0;
				copied += got;
				msg->msg_flags |= MSG_EOR;
			}
			/* Nothing to read in an empty data record. */
			if (!cur)
				continue;
			skip = 0;
		}

		if (ctx->daemon_mode && cur->type != TLSO_TYPE_DATA) {
			struct tlso_rxrec *next = NULL;

			if (!list_is_last(&cur->list, &rx->recs))
				next = list_next_entry(cur, list);
			err = tlso_rx_post_handshake(sk, ctx, cur);
			tlso_rxrec_free(sk, rx, cur);
			cur = next;
			skip = 0;
			if (err < 0)
				break;
			err = 0;
			continue;
		}
		err = tlso_rx_type(msg, cur->type, &control, splicing);
		if (err <= 0)
			break;
		err = 0;
		want = min_t(size_t, cur->len - skip, len - copied);
		n = tlso_rxrec_copy(cur, skip, want, &msg->msg_iter);
		/*
		 * What did go is consumed like the rest: a reader that took
		 * part of a record must not be given that part again.
		 */
		if (n < want)
			err = splicing ? -ENOMEM : -EFAULT;
		copied += n;
		if (peek) {
			skip += n;
		} else {
			cur->off += n;
			cur->len -= n;
		}
		if (err)
			break;
		if (cur->len == skip) {
			struct tlso_rxrec *next = NULL;

			if (!list_is_last(&cur->list, &rx->recs))
				next = list_next_entry(cur, list);
			if (!peek) {
				tlso_rxrec_free(sk, rx, cur);
				msg->msg_flags |= MSG_EOR;
			}
			cur = next;
			skip = 0;
		}
		/* A control record comes alone. */
		if (control != TLSO_TYPE_DATA)
			break;
	}
	/*
	 * Take the next record now if TCP holds it whole: no new segment
	 * may come to call data_ready, and poll must see it.
	 */
	tlso_rx_pull(sk, ctx);
	if (atomic_read(&sk->sk_rmem_alloc) < rmem)
		tlso_rx_window_update(sk);
	release_sock(sk);
	return copied ? copied : err;
}

/*
 * splice() out of the socket: the generic copy through recvmsg, told that
 * it serves a pipe, which kTLS answers differently from a read (EINVAL
 * for a control record, or while a rekey is awaited).  A second splicer
 * at the same time at worst gets a read's errors.
 */
ssize_t tlso_splice_read(struct socket *sock, loff_t *ppos,
			 struct pipe_inode_info *pipe, size_t len,
			 unsigned int flags)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sock->sk);
	ssize_t ret;

	WRITE_ONCE(ctx->rx.splicer, current);
	ret = tlso_copy_splice_read(sock->file, ppos, pipe, len, flags);
	cmpxchg(&ctx->rx.splicer, current, NULL);
	return ret;
}

__poll_t tlso_poll(struct file *file, struct socket *sock,
		   struct poll_table_struct *wait)
{
	struct sock *sk = sock->sk;
	struct tlso_ctx *ctx = tlso_get_ctx(sk);
	__poll_t mask = ctx->sk_ops->poll(file, sock, wait);

	if (ctx->rx_ready) {
		/* Input means a whole record, or an error or end to report. */
		if (tlso_rx_readable(ctx))
			mask |= EPOLLIN | EPOLLRDNORM;
		else if (!(READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) &&
			 !READ_ONCE(sk->sk_err))
			mask &= ~(EPOLLIN | EPOLLRDNORM);
	}
	return tlso_hs_poll_mask(ctx, mask);
}

bool tlso_sock_is_readable(struct sock *sk)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sk);

	return ctx && ctx->rx_ready && tlso_rx_readable(ctx);
}

int tlso_rx_init(struct sock *sk, struct tlso_ctx *ctx)
{
	struct tlso_rx *rx = &ctx->rx;
	int err;

	err = tlso_pages_fill(rx->in, GFP_KERNEL);
	if (err)
		return err;
	tlso_rx_reset_in(rx);
	ctx->rx_ready = 1;

	write_lock_bh(&sk->sk_callback_lock);
	rx->saved_data_ready = sk->sk_data_ready;
	sk->sk_data_ready = tlso_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);

	/* Records that arrived before the keys are read with them. */
	tlso_rx_pull(sk, ctx);
	if (tlso_rx_readable(ctx))
		rx->saved_data_ready(sk);
	return 0;
}

/*
 * On close, or when TCP destroys the socket (tlso_ulp_release): either
 * way the socket is locked, by its owner or in softirq.
 */
void tlso_rx_release(struct sock *sk, struct tlso_ctx *ctx)
{
	struct tlso_rx *rx = &ctx->rx;

	sock_owned_by_me(sk);
	write_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_data_ready == tlso_data_ready)
		sk->sk_data_ready = rx->saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	while (!list_empty(&rx->recs))
		tlso_rxrec_free(sk, rx, list_first_entry(&rx->recs,
							 struct tlso_rxrec,
							 list));
	if (rx->spare) {
		tlso_rxrec_destroy(rx->spare);
		rx->spare = NULL;
	}
	tlso_pages_free(rx->in);
	tlso_dir_free(&rx->dir);
}

int tlso_rx_no_pad_set(struct sock *sk, sockptr_t optval,
		       unsigned int optlen)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sk);
	u32 val;
	int err;

	if (ctx->prot.version != TLS_1_3_VERSION ||
	    sockptr_is_null(optval) || optlen < sizeof(val))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	if (val > 1)
		return -EINVAL;
	err = check_zeroed_sockptr(optval, sizeof(val), optlen - sizeof(val));
	if (err < 1)
		return err == 0 ? -EINVAL : err;

	lock_sock(sk);
	err = -EINVAL;
	if (ctx->rx_ready) {
		ctx->rx.no_pad = val;
		err = 0;
	}
	release_sock(sk);
	return err;
}

int tlso_rx_no_pad_get(struct sock *sk, char __user *optval,
		       int __user *optlen)
{
	struct tlso_ctx *ctx = tlso_get_ctx(sk);
	int value, len;

	if (ctx->prot.version != TLS_1_3_VERSION)
		return -EINVAL;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < (int)sizeof(value))
		return -EINVAL;
	if (!ctx->rx_ready)
		return -EINVAL;
	value = ctx->rx.no_pad;
	if (put_user(sizeof(value), optlen))
		return -EFAULT;
	if (copy_to_user(optval, &value, sizeof(value)))
		return -EFAULT;
	return 0;
}
