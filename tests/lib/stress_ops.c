// SPDX-License-Identifier: GPL-2.0
/*
 * Test library, the stress test: what the tlso ends of a connection do,
 * each way of sending and of reading, and the check of every read
 * against what the sender did (stress_conn.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/tls.h>

#include "sock.h"
#include "stress_conn.h"

/*
 * The next thing a blocking read gets, and the data bytes before it: in
 * all (*limit, a send under way counted) and surely on the way (*sure).
 * Under d's lock.
 */
int st_next_thing(const struct st_dir *d, uint64_t *limit, uint64_t *sure)
{
	const struct st_event *ev = d->ev_n ? &d->ev[d->ev_head] : NULL;
	uint64_t end = ev ? ev->off : d->bad ? d->bad_off : d->sending;
	uint64_t fl = d->flushed < end ? d->flushed : end;

	*limit = end - d->rcvd;
	*sure = fl > d->rcvd ? fl - d->rcvd : 0;
	if (d->key_deferred || d->key_wait)
		return ST_N_KEY;
	if (*limit)
		return *sure ? ST_N_DATA : ST_N_NONE;
	if (ev)
		return ev->committed ? ST_N_EVENT : ST_N_NONE;
	if (d->bad)
		return d->bad_sent ? ST_N_BAD : ST_N_NONE;
	if (d->shut || d->eof)
		return ST_N_EOF;
	return ST_N_NONE;
}

int st_next(struct st_dir *d, uint64_t *limit, uint64_t *sure)
{
	int next;

	st_lock(d);
	next = st_next_thing(d, limit, sure);
	st_unlock(d);
	return next;
}

/*
 * An event at the stream's end, before its record is sent: a receiver
 * in another thread may get it as soon as it is.  Under d's lock.
 */
struct st_event *st_event_push(struct st_conn *c, struct st_dir *d,
			       uint8_t type, const uint8_t *data, size_t len)
{
	struct st_event *ev;

	if (d->ev_n == ST_EVENTS)
		return NULL;
	ev = &d->ev[(d->ev_head + d->ev_n++) % ST_EVENTS];
	memset(ev, 0, sizeof(*ev));
	ev->off = d->sent;
	ev->type = type;
	ev->len = (uint8_t)len;
	memcpy(ev->data, data, len);
	ev->ku = c->version == TLS_1_3_VERSION && type == 22 && len == 5 &&
		 data[0] == 24;
	d->content += len;
	return ev;
}

static const char *st_res(ssize_t n, int err, char *buf, size_t size)
{
	if (n < 0)
		snprintf(buf, size, "%s", st_errname(err));
	else if (n == 0)
		snprintf(buf, size, "the end of the stream");
	else
		snprintf(buf, size, "%zd bytes", n);
	return buf;
}

static const char *st_via_name(enum st_via via)
{
	return via == ST_VIA_MSG ? "recvmsg" : via == ST_VIA_RECV ? "recv" :
				   "splice";
}

static int st_got_event(struct st_conn *c, struct st_dir *d, ssize_t n,
			int err, const uint8_t *buf, uint8_t type,
			enum st_via via, bool peek)
{
	struct st_event *ev = &d->ev[d->ev_head];
	char res[64];
	int want;

	if (via != ST_VIA_MSG) {
		/* No room for the type: kTLS's errors, and it stays. */
		want = via == ST_VIA_SPLICE ? EINVAL : EIO;
		if (n < 0 && err == want)
			return 0;
		return st_fail(c, "%s at a record of type %u: %s, expected %s",
			       st_via_name(via), ev->type,
			       st_res(n, err, res, sizeof(res)),
			       st_errname(want));
	}
	if (n <= 0 || n > ev->len - ev->used || type != ev->type ||
	    memcmp(buf, ev->data + ev->used, n))
		return st_fail(c, "%s of type %u, where a record of type %u and %u bytes (%u read) is next",
			       st_res(n, err, res, sizeof(res)), type,
			       ev->type, ev->len, ev->used);
	if (peek)
		return 0;
	ev->used += n;
	d->consumed += n;
	if (ev->used < ev->len)
		return 0;
	d->ev_head = (d->ev_head + 1) % ST_EVENTS;
	d->ev_n--;
	if (ev->ku) {
		d->key_wait = true;
		st_count(&st_run.stats.ku, 1);
	} else {
		st_count(&st_run.stats.ctrl, 1);
	}
	return 0;
}

static int st_got_locked(struct st_conn *c, struct st_dir *d, ssize_t n,
			 int err, const uint8_t *buf, uint8_t type,
			 enum st_via via, bool peek, bool blocking)
{
	uint64_t limit, sure;
	const uint8_t *p;
	char res[64];
	ssize_t i;
	int want;

	st_next_thing(d, &limit, &sure);
	st_count_err(n < 0 ? err : n == 0 ? 0 : -1);
	if (d->eof) {
		if (n == 0 || (d->lenient && n < 0 &&
			       (err == ECONNRESET || err == EPIPE)))
			return 0;
		return st_fail(c, "after the end of the stream: %s",
			       st_res(n, err, res, sizeof(res)));
	}
	if (d->key_wait) {
		/* As kTLS: at once, even when blocking; splice EINVAL. */
		want = via == ST_VIA_SPLICE ? EINVAL : EKEYEXPIRED;
		if (n < 0 && err == want)
			return 0;
		return st_fail(c, "before the next key is set: %s, expected %s",
			       st_res(n, err, res, sizeof(res)),
			       st_errname(want));
	}
	if (n < 0 && err == EAGAIN) {
		if (!blocking)
			return 0;
		return st_fail(c, "EAGAIN after %.1f s of a blocking read, with %llu bytes (%llu sure) and %u records to come; stream at %llu, sent %llu, flushed %llu",
			       c->took, (unsigned long long)limit,
			       (unsigned long long)sure, d->ev_n,
			       (unsigned long long)d->rcvd,
			       (unsigned long long)d->sent,
			       (unsigned long long)d->flushed);
	}
	if (d->lenient && (n == 0 || (n < 0 && (err == ECONNRESET ||
						 err == EPIPE)))) {
		d->eof = true;
		d->reset = n < 0;
		return 0;
	}
	if (!limit && d->ev_n)
		return st_got_event(c, d, n, err, buf, type, via, peek);
	if (!limit && d->bad) {
		if (d->bad_err ? n < 0 && err == d->bad_err : n == 0) {
			d->dead = true;
			if (d->bad_auth)
				st_count(&st_run.stats.decrypt_err, 1);
			return 0;
		}
		return st_fail(c, "at the bad record (kind %d): %s, expected %s",
			       d->bad, st_res(n, err, res, sizeof(res)),
			       d->bad_err ? st_errname(d->bad_err) :
					    "the end of the stream");
	}
	if (n == 0) {
		if (!limit && d->shut) {
			d->eof = true;
			return 0;
		}
		return st_fail(c, "the end of the stream, with %llu bytes to come",
			       (unsigned long long)limit);
	}
	if (n < 0)
		return st_fail(c, "%s, with %llu bytes (%llu sure) to come",
			       st_errname(err), (unsigned long long)limit,
			       (unsigned long long)sure);
	if ((uint64_t)n > limit)
		return st_fail(c, "%zd bytes of data, where %llu come before %s",
			       n, (unsigned long long)limit,
			       d->ev_n ? "a control record" :
			       d->bad ? "the bad record" : "the last byte sent");
	if (via == ST_VIA_MSG && type != 23)
		return st_fail(c, "data with record type %u", type);
	p = st_pattern(d->base, d->rcvd);
	if (memcmp(buf, p, n)) {
		for (i = 0; buf[i] == p[i]; i++)
			;
		return st_fail(c, "wrong data at stream offset %llu (byte %zd of %zd): %02x, expected %02x",
			       (unsigned long long)(d->rcvd + i), i, n, buf[i],
			       p[i]);
	}
	if (peek)
		return 0;
	d->rcvd += n;
	d->consumed += n;
	st_count(&st_run.stats.bytes, n);
	return 0;
}

/*
 * Check what one read from d's receiver gave: n bytes in buf, of the
 * record type in type, or -1 with err.  blocking: it could wait ST_TIMEO_S.
 * Returns 0, or -1 when it is not what the sender's calls allow.
 */
int st_got(struct st_conn *c, struct st_dir *d, ssize_t n, int err,
	   const uint8_t *buf, uint8_t type, enum st_via via, bool peek,
	   bool blocking)
{
	int ret;

	st_lock(d);
	ret = st_got_locked(c, d, n, err, buf, type, via, peek, blocking);
	st_unlock(d);
	return ret;
}

/*
 * O_NONBLOCK for one call, the only way to make sendfile and splice not
 * wait; never in a duplex connection, whose other thread on the socket
 * would find its own calls made non-blocking too.
 */
static int st_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* Mostly up to small bytes, now and then a read or write past 2^14. */
static size_t st_len(struct st_conn *c, size_t small)
{
	return 1 + st_rnd(c, st_rnd(c, 16) ? small : ST_BIG);
}

static const char *st_flags(int flags, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s",
		 flags & MSG_MORE ? " MORE" : "",
		 flags & MSG_EOR ? " EOR" : "",
		 flags & MSG_DONTWAIT ? " DONTWAIT" : "",
		 flags & MSG_PEEK ? " PEEK" : "",
		 flags & MSG_WAITALL ? " WAITALL" : "");
	return buf;
}

/*
 * A send to a stream that cannot block: too much is unread, and only
 * this thread reads it.
 */
static bool st_must_not_block(const struct st_conn *c, struct st_dir *d,
			      size_t len)
{
	bool full;

	if (c->duplex)
		return false;
	st_lock(d);
	full = d->sent - d->rcvd + len > ST_BLOCK_MAX;
	st_unlock(d);
	return full;
}

/* A send of len bytes is about to start: the reader may get them now. */
static void st_sending(struct st_dir *d, size_t len)
{
	st_lock(d);
	d->sending = d->sent + len;
	st_unlock(d);
}

/*
 * What a send of len bytes that returned n (-1: err) did to d.  open:
 * its last record may still be open, waiting for more.
 */
static int st_sent_locked(struct st_conn *c, struct st_dir *d, ssize_t n,
			  int err, size_t len, bool open, bool blocking)
{
	char res[64];

	if (d->shut) {
		if (n < 0 && err == EPIPE)
			return 0;
		return st_fail(c, "after shutdown: %s, expected EPIPE",
			       st_res(n, err, res, sizeof(res)));
	}
	if (n < 0 && err == EAGAIN && !blocking)
		return 0;
	if (n < 0)
		return st_fail(c, "%s after %.1f s", st_errname(err), c->took);
	if (n == 0 || (size_t)n > len || (blocking && (size_t)n < len))
		return st_fail(c, "took %zd of %zu bytes in %.1f s", n, len,
			       c->took);
	d->sent += n;
	d->content += n;
	if (!open)
		d->flushed = d->sent;
	return 0;
}

static int st_sent(struct st_conn *c, struct st_dir *d, ssize_t n, int err,
		   size_t len, bool open, bool blocking)
{
	int ret;

	st_lock(d);
	ret = st_sent_locked(c, d, n, err, len, open, blocking);
	d->sending = d->sent;
	st_unlock(d);
	return ret;
}

static int st_op_send(struct st_conn *c, struct st_dir *d, bool iov)
{
	size_t len = st_len(c, 4096), cut[2];
	const uint8_t *p = st_pattern(d->base, d->sent);
	int fd = c->fd[d->tx], flags = MSG_NOSIGNAL, err;
	struct msghdr msg = { 0 };
	struct iovec v[3];
	bool more = !st_rnd(c, 3);
	char fl[64];
	ssize_t n;

	if (more)
		flags |= MSG_MORE;
	else if (!st_rnd(c, 8))
		flags |= MSG_EOR;
	if (!st_rnd(c, 4) || st_must_not_block(c, d, len))
		flags |= MSG_DONTWAIT;
	if (!st_rnd(c, 32)) {
		st_begin(c, "fd %d: send %zu MORE EOR", d->tx, len);
		n = send(fd, p, len, flags | MSG_MORE | MSG_EOR);
		st_end(c, n, errno);
		if (n < 0 && errno == EINVAL)
			return 0;
		return st_fail(c, "MSG_MORE with MSG_EOR: not EINVAL");
	}
	st_begin(c, "fd %d: %s %zu%s", d->tx, iov ? "sendmsg" : "send", len,
		 st_flags(flags, fl, sizeof(fl)));
	st_sending(d, len);
	if (iov) {
		cut[0] = st_rnd(c, len + 1);
		cut[1] = cut[0] + st_rnd(c, len - cut[0] + 1);
		v[0] = (struct iovec){ (void *)p, cut[0] };
		v[1] = (struct iovec){ (void *)(p + cut[0]), cut[1] - cut[0] };
		v[2] = (struct iovec){ (void *)(p + cut[1]), len - cut[1] };
		msg.msg_iov = v;
		msg.msg_iovlen = 3;
		n = sendmsg(fd, &msg, flags);
	} else {
		n = send(fd, p, len, flags);
	}
	err = errno;
	st_end(c, n, err);
	return st_sent(c, d, n, err, len, more, !(flags & MSG_DONTWAIT));
}

/*
 * An empty send without MSG_MORE ends an open record; it pushes a
 * record TCP had no room for first, so it may have to wait too.
 */
static int st_op_flush(struct st_conn *c, struct st_dir *d)
{
	bool nb = st_must_not_block(c, d, 0);
	ssize_t n;
	int err;

	st_begin(c, "fd %d: send 0%s", d->tx, nb ? " DONTWAIT" : "");
	n = send(c->fd[d->tx], NULL, 0, MSG_NOSIGNAL | (nb ? MSG_DONTWAIT : 0));
	err = errno;
	st_end(c, n, err);
	if (d->shut)
		return st_sent(c, d, n, err, 0, false, true);
	if (n < 0 && err == EAGAIN && nb)
		return 0;
	if (n)
		return st_fail(c, "an empty send: %zd (%s)", n,
			       n < 0 ? st_errname(err) : "-");
	st_lock(d);
	d->flushed = d->sent;
	st_unlock(d);
	return 0;
}

/* A record still open at the sender, which only it can end. */
static bool st_open_record(const struct st_conn *c, const struct st_dir *d)
{
	return !(c->hostile && d->index == 0) && !d->shut &&
	       !c->closed[d->tx] && d->flushed != d->sent;
}

/* sendfile from the pattern's file, at the stream's offset in it. */
static int st_op_sendfile(struct st_conn *c, struct st_dir *d)
{
	size_t len = 1 + st_rnd(c, 8192);
	off_t off = st_pattern(d->base, d->sent) - st_pattern(0, 0);
	bool nb = (!st_rnd(c, 4) || st_must_not_block(c, d, len)) &&
		  !c->duplex;
	int fd = c->fd[d->tx], err;
	ssize_t n;

	st_begin(c, "fd %d: sendfile %zu%s", d->tx, len,
		 nb ? " NONBLOCK" : "");
	if (nb && st_nonblock(fd, true))
		return st_fail(c, "O_NONBLOCK: %s", strerror(errno));
	st_sending(d, len);
	n = sendfile(fd, st_run.file, &off, len);
	err = errno;
	if (nb && st_nonblock(fd, false))
		return st_fail(c, "O_NONBLOCK: %s", strerror(errno));
	st_end(c, n, err);
	/* Cut short, its last record may wait for more (6.1: no splice_eof). */
	return st_sent(c, d, n, err, len, n != (ssize_t)len, !nb);
}

/* Empty the pipe of what a splice left in it. */
static void st_pipe_empty(struct st_conn *c)
{
	while (read(c->pipe[0], c->w->buf, ST_BUF) > 0)
		;
}

static int st_op_splice_in(struct st_conn *c, struct st_dir *d)
{
	size_t len = 1 + st_rnd(c, 8192);
	bool more = !st_rnd(c, 3);
	bool nb = (!st_rnd(c, 4) || st_must_not_block(c, d, len)) &&
		  !c->duplex;
	int fd = c->fd[d->tx], err;
	ssize_t n;

	st_begin(c, "fd %d: splice from a pipe %zu%s%s", d->tx, len,
		 more ? " MORE" : "", nb ? " NONBLOCK" : "");
	if (write(c->pipe[1], st_pattern(d->base, d->sent), len) !=
	    (ssize_t)len)
		return st_fail(c, "writing the pipe: %s", strerror(errno));
	if (nb && st_nonblock(fd, true))
		return st_fail(c, "O_NONBLOCK: %s", strerror(errno));
	st_sending(d, len);
	n = splice(c->pipe[0], NULL, fd, NULL, len, more ? SPLICE_F_MORE : 0);
	err = errno;
	if (nb && st_nonblock(fd, false))
		return st_fail(c, "O_NONBLOCK: %s", strerror(errno));
	st_end(c, n, err);
	if (n != (ssize_t)len)
		st_pipe_empty(c);
	return st_sent(c, d, n, err, len, more || n != (ssize_t)len, !nb);
}

/*
 * The event last pushed was sent (n bytes of len), or not: a record
 * that did not go takes its event back, which no reader can have read.
 */
static int st_event_sent(struct st_conn *c, struct st_dir *d, ssize_t n,
			 int err, size_t len, bool nb)
{
	struct st_event *ev;

	st_lock(d);
	ev = &d->ev[(d->ev_head + d->ev_n - 1) % ST_EVENTS];
	if (n == (ssize_t)len) {
		ev->committed = true;
		d->flushed = d->sent;
	} else {
		d->ev_n--;
		d->content -= len;
	}
	st_unlock(d);
	if (n == (ssize_t)len || (n < 0 && err == EAGAIN && nb))
		return 0;
	return st_fail(c, "a control record: %zd (%s)", n,
		       n < 0 ? st_errname(err) : "-");
}

/* A record of another type than data, through the kTLS cmsg. */
static int st_op_ctrl(struct st_conn *c, struct st_dir *d)
{
	static const uint8_t types[] = { 20, 21, 22, 99, 200 };
	size_t len = 1 + st_rnd(c, ST_CTRL_MAX);
	uint8_t type = types[st_rnd(c, sizeof(types))];
	uint8_t data[ST_CTRL_MAX];
	bool nb = st_must_not_block(c, d, len);
	struct st_event *ev;
	ssize_t n;
	int err;

	memcpy(data, st_pattern(d->ctrl_base, d->nctrl++ * 97ULL), len);
	/* Not a KeyUpdate: that is ST_REKEY's. */
	if (type == 22 && data[0] == 24)
		data[0] = 25;
	if (!st_rnd(c, 16)) {
		st_begin(c, "fd %d: record of type %u, %zu bytes, MORE",
			 d->tx, type, len);
		n = wire_send_type(c->fd[d->tx], data, len, type,
				   MSG_MORE | MSG_NOSIGNAL);
		st_end(c, n, errno);
		if (n < 0 && errno == EINVAL)
			return 0;
		return st_fail(c, "a control record with MSG_MORE: not EINVAL");
	}
	st_lock(d);
	ev = st_event_push(c, d, type, data, len);
	st_unlock(d);
	if (!ev)
		return st_op_send(c, d, false);
	st_begin(c, "fd %d: record of type %u, %zu bytes%s", d->tx, type, len,
		 nb ? " DONTWAIT" : "");
	n = wire_send_type(c->fd[d->tx], data, len, type,
			   MSG_NOSIGNAL | (nb ? MSG_DONTWAIT : 0));
	err = errno;
	st_end(c, n, err);
	return st_event_sent(c, d, n, err, len, nb);
}

/* A key the socket must refuse: TLS 1.2's second, 1.3's other cipher. */
static int st_op_badkey(struct st_conn *c, struct st_dir *d)
{
	int s = st_rnd(c, 2) ? d->tx : d->rx;
	bool tx = st_rnd(c, 2), deferred;
	struct st_dir *kd;
	union keys_info k;
	int r, err, want;
	uint16_t cipher;

	if (c->hostile)
		s = 1;
	kd = c->dir[1 - s];
	/* A first key is no rekey: a socket without one would take it. */
	st_lock(kd);
	deferred = kd->key_deferred;
	st_unlock(kd);
	if (tx || deferred) {
		tx = true;
		kd = c->dir[s];
	}
	if (c->version == TLS_1_2_VERSION) {
		st_keys(&k, c, kd->index, 99);
		want = EBUSY;
	} else {
		do {
			cipher = keys_ciphers[st_rnd(c, 4)].type;
		} while (cipher == c->cipher && st_rnd(c, 4));
		keys_make(&k, cipher == c->cipher ? TLS_1_2_VERSION :
			  TLS_1_3_VERSION, cipher, 5, 0);
		want = EINVAL;
	}
	st_begin(c, "fd %d: %s key of %s %s", s, tx ? "TLS_TX" : "TLS_RX",
		 k.info.version == TLS_1_3_VERSION ? "TLS 1.3" : "TLS 1.2",
		 keys_cipher(k.info.cipher_type)->name);
	r = keys_install(c->fd[s], tx ? TLS_TX : TLS_RX, &k);
	err = errno;
	st_end(c, r, err);
	if (r == 0 || err != want)
		return st_fail(c, "a key that must be refused: %s, expected %s",
			       r ? st_errname(err) : "taken",
			       st_errname(want));
	st_count(tx ? &st_run.stats.tx_rekey_err : &st_run.stats.rx_rekey_err,
		 1);
	return 0;
}

/*
 * TLS 1.3 rekey as kTLS has it: the sender's KeyUpdate under the old
 * key, then its next TLS_TX; the receiver sets its next TLS_RX when it
 * has read the KeyUpdate (st_op_rxkey()).
 */
static int st_op_rekey(struct st_conn *c, struct st_dir *d)
{
	uint8_t ku[5] = { 24, 0, 0, 1, (uint8_t)st_rnd(c, 2) };
	bool nb = st_must_not_block(c, d, sizeof(ku));
	struct st_event *ev;
	union keys_info k;
	ssize_t n;
	int err;

	if (c->version != TLS_1_3_VERSION)
		return st_op_badkey(c, d);
	st_lock(d);
	ev = st_event_push(c, d, 22, ku, sizeof(ku));
	st_unlock(d);
	if (!ev)
		return st_op_send(c, d, false);
	st_begin(c, "fd %d: KeyUpdate%s", d->tx, nb ? " DONTWAIT" : "");
	n = wire_send_type(c->fd[d->tx], ku, sizeof(ku), 22,
			   MSG_NOSIGNAL | (nb ? MSG_DONTWAIT : 0));
	err = errno;
	st_end(c, n, err);
	if (st_event_sent(c, d, n, err, sizeof(ku), nb))
		return -1;
	if (n != sizeof(ku))
		return 0;	/* no room: no KeyUpdate, no new key */

	st_keys(&k, c, d->index, d->tx_gen + 1);
	st_begin(c, "fd %d: TLS_TX key %u", d->tx, d->tx_gen + 1);
	n = keys_install(c->fd[d->tx], TLS_TX, &k);
	err = errno;
	st_end(c, n, err);
	if (n)
		return st_fail(c, "the next send key: %s", st_errname(err));
	d->tx_gen++;
	st_count(&st_run.stats.tx_rekey_ok, 1);
	return 0;
}

static int st_op_shut(struct st_conn *c, struct st_dir *d)
{
	int r;

	/* Before the FIN can reach a reader in another thread. */
	st_lock(d);
	d->shut = true;
	/* What send reported sent goes out first, an open record too. */
	d->flushed = d->sent;
	st_unlock(d);
	st_begin(c, "fd %d: shutdown(SHUT_WR)", d->tx);
	r = shutdown(c->fd[d->tx], SHUT_WR);
	st_end(c, r, errno);
	if (r)
		return st_fail(c, "shutdown: %s", st_errname(errno));
	return 0;
}

/* One read from d's receiver, as via says, and its check. */
static int st_read(struct st_conn *c, struct st_dir *d, enum st_via via,
		   size_t len, int flags)
{
	int fd = c->fd[d->rx], err = 0;
	uint8_t *buf = c->w->buf, type = 0;
	bool nb = flags & MSG_DONTWAIT;
	char fl[64];
	ssize_t n, m;

	st_begin(c, "fd %d: %s %zu%s", d->rx, st_via_name(via), len,
		 st_flags(flags, fl, sizeof(fl)));
	errno = 0;
	if (via == ST_VIA_MSG) {
		n = wire_recv_type(fd, buf, len, &type, flags);
		err = errno;
	} else if (via == ST_VIA_RECV) {
		n = recv(fd, buf, len, flags);
		err = errno;
	} else {
		/* The socket's own flag makes a splice read not wait. */
		if (nb && st_nonblock(fd, true))
			return st_fail(c, "O_NONBLOCK: %s", strerror(errno));
		n = splice(fd, NULL, c->pipe[1], NULL, len, 0);
		err = errno;
		if (nb && st_nonblock(fd, false))
			return st_fail(c, "O_NONBLOCK: %s", strerror(errno));
		if (n > 0) {
			m = read(c->pipe[0], buf, len);
			if (m != n) {
				st_end(c, n, err);
				st_pipe_empty(c);
				return st_fail(c, "splice said %zd bytes, the pipe had %zd",
					       n, m);
			}
		}
	}
	st_end(c, n, err);
	if (n > (ssize_t)len)
		return st_fail(c, "%zd bytes into %zu", n, len);
	if ((flags & MSG_WAITALL) && n >= 0 && n != (ssize_t)len)
		return st_fail(c, "MSG_WAITALL: %zd of %zu bytes", n, len);
	return st_got(c, d, n, err, buf, type, via, flags & MSG_PEEK, !nb);
}

static int st_op_recv(struct st_conn *c, struct st_dir *d, bool peek)
{
	size_t len = st_len(c, 4096);
	enum st_via via = st_rnd(c, 4) ? ST_VIA_MSG : ST_VIA_RECV;
	bool waitall = !peek && !st_rnd(c, 6);
	int flags = peek ? MSG_PEEK : 0, next;
	uint64_t limit, sure;

	next = st_next(d, &limit, &sure);
	if (waitall && next == ST_N_DATA && sure >= len)
		flags |= MSG_WAITALL;
	else if (!st_rnd(c, 3) || next == ST_N_NONE)
		flags |= MSG_DONTWAIT;
	return st_read(c, d, via, len, flags);
}

static int st_op_splice_out(struct st_conn *c, struct st_dir *d)
{
	size_t len = 1 + st_rnd(c, 8192);
	uint64_t limit, sure;
	int next = st_next(d, &limit, &sure);
	bool nb = !st_rnd(c, 4) || next == ST_N_NONE;

	if (c->duplex && nb)
		return st_read(c, d, ST_VIA_MSG, len, MSG_DONTWAIT);
	return st_read(c, d, ST_VIA_SPLICE, len, nb ? MSG_DONTWAIT : 0);
}

/* The receiver's next key, once it has read the KeyUpdate; or its first. */
static int st_op_rxkey(struct st_conn *c, struct st_dir *d)
{
	int fd = c->fd[d->rx], r, err;
	bool first = d->key_deferred;
	unsigned int gen = first ? 0 : d->rx_gen + 1;
	union keys_info k;

	/* Even a blocking read fails at once before the key is set. */
	if (d->key_wait && !st_rnd(c, 3) &&
	    st_read(c, d, st_rnd(c, 2) ? ST_VIA_MSG : ST_VIA_SPLICE, 64, 0))
		return -1;
	st_keys(&k, c, d->index, gen);
	st_begin(c, "fd %d: TLS_RX key %u", d->rx, gen);
	r = keys_install(fd, TLS_RX, &k);
	err = errno;
	st_end(c, r, err);
	if (r)
		return st_fail(c, "the receive key: %s", st_errname(err));
	if (!first)
		st_count(&st_run.stats.rx_rekey_ok, 1);
	st_lock(d);
	d->rx_gen = gen;
	d->key_deferred = false;
	d->key_wait = false;
	st_unlock(d);
	if (first && c->version == TLS_1_3_VERSION && !st_rnd(c, 3)) {
		r = 1;
		if (setsockopt(fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &r,
			       sizeof(r)))
			return st_fail(c, "TLS_RX_EXPECT_NO_PAD: %s",
				       st_errname(errno));
	}
	return 0;
}

/*
 * The keys as the socket reads them back, and its TLSO_INFO against
 * what was sent and read: never more content counted than was sent
 * (an open MSG_MORE record is not counted yet), nor less read.
 */
static int st_op_info(struct st_conn *c, struct st_dir *d)
{
	int s = c->hostile ? 1 : st_rnd(c, 2) ? d->tx : d->rx;
	bool tx = st_rnd(c, 2);
	struct st_dir *kd = tx ? c->dir[s] : c->dir[1 - s];
	struct st_dir *o = c->dir[s], *i = c->dir[1 - s];
	const struct keys_cipher *ci = keys_cipher(c->cipher);
	union keys_info want, got;
	struct tls_crypto_info hdr;
	struct tlso_info info;
	socklen_t len = sizeof(hdr);
	int opt, r;

	/* A thread of a duplex connection reads back only its own key. */
	if (c->role != ST_ROLE_ALL) {
		tx = c->role == ST_ROLE_SEND;
		s = tx ? d->tx : d->rx;
		kd = d;
		o = c->dir[s];
		i = c->dir[1 - s];
	}
	opt = tx ? TLS_TX : TLS_RX;
	st_begin(c, "fd %d: %s and TLSO_INFO", s, tx ? "TLS_TX" : "TLS_RX");
	r = getsockopt(c->fd[s], SOL_TLS, opt, &hdr, &len);
	st_end(c, r, errno);
	if (!tx && kd->key_deferred) {
		if (r < 0 && errno == EBUSY)
			return 0;
		return st_fail(c, "TLS_RX before the key: not EBUSY");
	}
	if (r || hdr.version != c->version || hdr.cipher_type != c->cipher)
		return st_fail(c, "getsockopt %s: %d (%s), version %#x cipher %u",
			       tx ? "TLS_TX" : "TLS_RX", r,
			       r ? st_errname(errno) : "-", hdr.version,
			       hdr.cipher_type);
	len = st_keys(&want, c, kd->index, tx ? kd->tx_gen : kd->rx_gen);
	r = getsockopt(c->fd[s], SOL_TLS, opt, &got, &len);
	if (r || len != ci->size ||
	    memcmp((uint8_t *)&got + ci->key_off,
		   (uint8_t *)&want + ci->key_off, ci->key) ||
	    memcmp((uint8_t *)&got + ci->salt_off,
		   (uint8_t *)&want + ci->salt_off, ci->salt))
		return st_fail(c, "getsockopt %s: not the key of generation %u",
			       tx ? "TLS_TX" : "TLS_RX",
			       tx ? kd->tx_gen : kd->rx_gen);
	if (sock_tlso_info(c->fd[s], &info))
		return st_fail(c, "TLSO_INFO: %s", st_errname(errno));
	/* The other threads' counts move meanwhile. */
	if (c->duplex)
		return 0;
	if (info.tx_bytes > o->content || info.rx_bytes > i->content ||
	    info.rx_bytes < i->consumed)
		return st_fail(c, "TLSO_INFO: %llu bytes sent of %llu, %llu read of %llu (%llu taken)",
			       (unsigned long long)info.tx_bytes,
			       (unsigned long long)o->content,
			       (unsigned long long)info.rx_bytes,
			       (unsigned long long)i->content,
			       (unsigned long long)i->consumed);
	return 0;
}

/*
 * poll: input within 5 s when something was sent whole, none while the
 * next key is awaited; and a read right after input does not wait.
 */
static int st_op_poll(struct st_conn *c, struct st_dir *d)
{
	struct pollfd p = { c->fd[d->rx], POLLIN, 0 };
	uint64_t limit, sure;
	int next = st_next(d, &limit, &sure), r, ms;
	bool must = next != ST_N_NONE && next != ST_N_KEY;
	/*
	 * An error of a header after the KeyUpdate shows (POLLERR), and
	 * the FIN of a sender in another thread may come any time.
	 */
	bool must_not = d->key_wait && !d->shut && !d->lenient && !d->bad &&
			!c->duplex;

	ms = must ? ST_TIMEO_S * 1000 : must_not ? (int)st_rnd(c, 50) : 0;
	st_begin(c, "fd %d: poll %d ms", d->rx, ms);
	r = poll(&p, 1, ms);
	st_end(c, r < 0 ? -1 : p.revents, errno);
	if (r < 0)
		return st_fail(c, "poll: %s", strerror(errno));
	if (must && !(p.revents & (POLLIN | POLLERR)))
		return st_fail(c, "poll: no input in %d ms, with %llu bytes and %u records sent whole",
			       ms, (unsigned long long)sure, d->ev_n);
	if (must_not && (p.revents & POLLIN))
		return st_fail(c, "poll: input before the next key is set");
	if ((p.revents & POLLIN) && !c->hostile && !d->key_wait &&
	    !d->key_deferred && !d->eof && st_rnd(c, 2)) {
		uint8_t type = 0;
		ssize_t n;
		int err;

		st_begin(c, "fd %d: recvmsg 16384 DONTWAIT after input",
			 d->rx);
		n = wire_recv_type(c->fd[d->rx], c->w->buf, 16384, &type,
				   MSG_DONTWAIT);
		err = errno;
		st_end(c, n, err);
		if (n < 0 && err == EAGAIN)
			return st_fail(c, "poll said input, a read has none");
		return st_got(c, d, n, err, c->w->buf, type, ST_VIA_MSG,
			      false, false);
	}
	return 0;
}

int st_op(struct st_conn *c, struct st_dir *d, enum st_op op)
{
	if (op >= ST_RECV && op <= ST_SPLICE_OUT && d->key_deferred)
		op = ST_RXKEY;
	st_count(&st_run.stats.ops[op], 1);
	switch (op) {
	case ST_SEND:
		return st_op_send(c, d, false);
	case ST_SENDMSG:
		return st_op_send(c, d, true);
	case ST_SENDFILE:
		return st_op_sendfile(c, d);
	case ST_SPLICE_IN:
		return st_op_splice_in(c, d);
	case ST_FLUSH:
		return st_op_flush(c, d);
	case ST_CTRL:
		return st_op_ctrl(c, d);
	case ST_REKEY:
		return st_op_rekey(c, d);
	case ST_BADKEY:
		return st_op_badkey(c, d);
	case ST_SHUT:
		return st_op_shut(c, d);
	case ST_RECV:
	case ST_PEEK:
		return st_op_recv(c, d, op == ST_PEEK);
	case ST_SPLICE_OUT:
		return st_op_splice_out(c, d);
	case ST_POLL:
		return st_op_poll(c, d);
	case ST_RXKEY:
		if (d->key_deferred || d->key_wait)
			return st_op_rxkey(c, d);
		return st_op_info(c, d);
	default:
		return st_op_info(c, d);
	}
}

/*
 * Read d to its end (to_end), or until everything sent was read.  The
 * sender must have sent it all: flushed, shut, closed, or (a raw one)
 * with its queue written here, between reads.
 */
int st_drain(struct st_conn *c, struct st_dir *d, bool to_end)
{
	bool raw_tx = c->hostile && d->index == 0;
	bool raw_rx = c->hostile && d->index == 1;
	double end = st_now() + 6 * ST_TIMEO_S;
	uint64_t limit, sure;
	enum st_via via;
	int err = 0, next;

	while (!err && !d->dead && !d->eof) {
		bool queued = (raw_tx && d->raw_written != d->raw_queued) ||
			      st_open_record(c, d);

		if (!to_end && !queued && d->rcvd == d->sent && !d->ev_n &&
		    !d->key_wait && !d->key_deferred)
			return 0;
		if (st_stopped())
			return -1;
		if (st_now() > end)
			return st_fail(c, "draining: not done in %d s",
				       6 * ST_TIMEO_S);
		if (queued && (raw_tx ? st_raw_write(c, d, true) :
					st_op_flush(c, d)))
			return -1;
		if (raw_rx) {
			err = st_raw_read(c, d, true);
			continue;
		}
		if (d->key_deferred || d->key_wait) {
			err = st_op_rxkey(c, d);
			continue;
		}
		next = st_next(d, &limit, &sure);
		if (next == ST_N_NONE && queued) {
			/* The rest waits for room TCP makes as we read. */
			struct pollfd p = { c->fd[d->rx], POLLIN, 0 };

			poll(&p, 1, 50);
			err = st_read(c, d, ST_VIA_MSG, 16384, MSG_DONTWAIT);
			continue;
		}
		if (next == ST_N_NONE && !d->lenient)
			return st_fail(c, "draining: %llu bytes and %u records will not come",
				       (unsigned long long)limit, d->ev_n);
		via = next == ST_N_EVENT ? ST_VIA_MSG :
		      (enum st_via)(st_rnd(c, 2) ? ST_VIA_MSG :
				    st_rnd(c, 2) ? ST_VIA_RECV : ST_VIA_SPLICE);
		err = st_read(c, d, via, via == ST_VIA_SPLICE ? 8192 :
			      st_len(c, 16384), 0);
	}
	return err;
}
