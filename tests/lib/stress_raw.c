// SPDX-License-Identifier: GPL-2.0
/*
 * Test library, the stress test: the raw peer of a hostile connection,
 * fd[0], a TCP socket without tlso.  Its records are sealed in userspace
 * with GnuTLS (wire.h) and queued, then written in pieces of any size, so
 * that tlso meets records cut anywhere; some are padded (TLS 1.3) or
 * empty, some control records or KeyUpdates, and the last may be bad.
 * What tlso's end sends it opens the same way, record by record, as an
 * independent check of tlso's own records (stress_conn.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/tls.h>

#include "stress_conn.h"

int st_raw_open(struct st_conn *c)
{
	union keys_info k;

	st_keys(&k, c, 0, 0);
	if (wire_useal_open(&c->dir[0]->seal, &k))
		return st_fail(c, "a GnuTLS sealer");
	c->dir[0]->sealer = true;
	st_keys(&k, c, 1, 0);
	if (wire_useal_open(&c->dir[1]->open, &k))
		return st_fail(c, "a GnuTLS opener");
	c->dir[1]->opener = true;
	return 0;
}

void st_raw_close(struct st_conn *c)
{
	if (c->dir[0]->sealer)
		wire_useal_close(&c->dir[0]->seal);
	if (c->dir[1]->opener)
		wire_useal_close(&c->dir[1]->open);
	c->dir[0]->sealer = false;
	c->dir[1]->opener = false;
}

static bool st_tls13(const struct st_conn *c)
{
	return c->version == TLS_1_3_VERSION;
}

/* Bytes of a record's explicit nonce: TLS 1.2's GCM and CCM. */
static size_t st_nonce_len(const struct st_conn *c)
{
	return !st_tls13(c) && c->cipher != TLS_CIPHER_CHACHA20_POLY1305 ?
	       8 : 0;
}

/* The longest record body tlso takes (kTLS's limit). */
static size_t st_max_body(const struct st_conn *c)
{
	return 16384 + st_nonce_len(c) + 16 + (st_tls13(c) ? 1 : 0);
}

/* Room for need bytes at the end of the queue, or NULL. */
static uint8_t *st_raw_room(struct st_dir *d, size_t need)
{
	size_t used = d->raw_queued - d->raw_written;

	if (used + need > ST_RAW_BUF || d->rec_n == ST_RAW_RECS)
		return NULL;
	return d->out + used;
}

/* A record of len bytes was put at the end: what it carries. */
static void st_raw_queued(struct st_dir *d, size_t len, int ev)
{
	struct st_rawrec *r;

	r = &d->recs[(d->rec_head + d->rec_n++) % ST_RAW_RECS];
	d->raw_queued += len;
	r->end = d->raw_queued;
	r->plain = d->sent;
	r->ev = ev;
	st_count(&st_run.stats.raw_records, 1);
}

/*
 * Write some of the queue (all: as much as TCP takes), never waiting:
 * the same thread reads the other end.
 */
int st_raw_write(struct st_conn *c, struct st_dir *d, bool all)
{
	size_t used = d->raw_queued - d->raw_written, len = used;
	ssize_t n;
	int err;

	if (!used || c->closed[0])
		return 0;
	if (!all && st_rnd(c, 2))
		len = 1 + st_rnd(c, st_rnd(c, 2) ? 16 : used);
	if (len > used)
		len = used;
	st_begin(c, "fd 0: write %zu of %zu raw bytes", len, used);
	n = send(c->fd[0], d->out, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	err = errno;
	st_end(c, n, err);
	if (n < 0)
		return err == EAGAIN ? 0 :
		       st_fail(c, "raw write: %s", st_errname(err));
	memmove(d->out, d->out + n, used - n);
	d->raw_written += n;
	while (d->rec_n && d->recs[d->rec_head].end <= d->raw_written) {
		struct st_rawrec *r = &d->recs[d->rec_head];

		d->flushed = r->plain;
		if (r->ev >= 0)
			d->ev[r->ev].committed = true;
		d->rec_head = (d->rec_head + 1) % ST_RAW_RECS;
		d->rec_n--;
	}
	if (d->bad && !d->bad_sent && d->raw_written == d->raw_queued) {
		d->bad_sent = true;
		if (d->bad == ST_BAD_TRUNC) {
			/* Not close: unread bytes would make it a reset. */
			st_begin(c, "fd 0: shutdown(SHUT_WR) after a cut record");
			n = shutdown(c->fd[0], SHUT_WR);
			st_end(c, n, errno);
			if (n)
				return st_fail(c, "shutdown: %s",
					       st_errname(errno));
			d->shut = true;
		}
	}
	return 0;
}

/* The raw peer is done sending (its queue written): its FIN. */
int st_raw_shut(struct st_conn *c, struct st_dir *d)
{
	int r;

	st_begin(c, "fd 0: shutdown(SHUT_WR)");
	r = shutdown(c->fd[0], SHUT_WR);
	st_end(c, r, errno);
	if (r)
		return st_fail(c, "shutdown: %s", st_errname(errno));
	d->shut = true;
	d->flushed = d->sent;
	return 0;
}

/* A data record: empty, padded, or up to the 2^14 limit. */
static int st_raw_data(struct st_conn *c, struct st_dir *d)
{
	size_t len = st_rnd(c, 12) ? 1 + st_rnd(c, st_rnd(c, 16) ?
						     4096 : 16384) : 0;
	size_t pad = 0;
	uint8_t *out;
	ssize_t n;

	if (st_tls13(c) && !st_rnd(c, 4)) {
		pad = st_rnd(c, 256);
		if (len + pad > 16384)
			pad = 16384 - len;
	}
	out = st_raw_room(d, len + pad + 64);
	if (!out)
		return st_raw_write(c, d, false);
	st_begin(c, "fd 0: seal data %zu, padding %zu", len, pad);
	n = wire_useal_padded(&d->seal, 23, st_pattern(d->base, d->sent), len,
			      pad, out, len + pad + 64);
	st_end(c, n, 0);
	if (n < 0)
		return st_fail(c, "sealing with GnuTLS");
	d->sent += len;
	d->sending = d->sent;
	d->content += len;
	st_raw_queued(d, n, -1);
	return st_rnd(c, 2) ? st_raw_write(c, d, false) : 0;
}

/* A control record, or (ku) a KeyUpdate and then the next send key. */
static int st_raw_ctrl(struct st_conn *c, struct st_dir *d, bool ku)
{
	static const uint8_t types[] = { 20, 21, 22, 99, 200 };
	uint8_t data[ST_CTRL_MAX], type = 22;
	size_t len = 5;
	struct st_event *ev;
	union keys_info k;
	uint8_t *out = st_raw_room(d, ST_CTRL_MAX + 64);
	ssize_t n;

	if (!out)
		return st_raw_write(c, d, false);
	if (ku) {
		memcpy(data, "\x18\x00\x00\x01", 4);
		data[4] = (uint8_t)st_rnd(c, 2);
	} else {
		len = 1 + st_rnd(c, ST_CTRL_MAX);
		type = types[st_rnd(c, sizeof(types))];
		memcpy(data, st_pattern(d->ctrl_base, d->nctrl++ * 97ULL),
		       len);
		if (type == 22 && data[0] == 24)
			data[0] = 25;
	}
	st_begin(c, "fd 0: seal %s, type %u, %zu bytes",
		 ku ? "a KeyUpdate" : "a control record", type, len);
	n = wire_useal(&d->seal, type, data, len, out, ST_CTRL_MAX + 64);
	st_end(c, n, 0);
	if (n < 0)
		return st_fail(c, "sealing with GnuTLS");
	ev = st_event_push(c, d, type, data, len);
	st_raw_queued(d, n, (int)(ev - d->ev));
	if (ku) {
		wire_useal_close(&d->seal);
		d->sealer = false;
		st_keys(&k, c, d->index, ++d->tx_gen);
		if (wire_useal_open(&d->seal, &k))
			return st_fail(c, "a GnuTLS sealer");
		d->sealer = true;
	}
	return st_rnd(c, 2) ? st_raw_write(c, d, false) : 0;
}

/*
 * The bad record, after which the peer sends nothing: what tlso.h and
 * the README promise for it is what the reader must get, after every
 * byte before it.
 */
static int st_raw_bad(struct st_conn *c, struct st_dir *d)
{
	static const uint8_t versions[][2] = {
		{ 3, 1 }, { 3, 4 }, { 2, 0 }, { 3, 2 }, { 0xfe, 0xfd },
	};
	enum st_bad kind = 1 + st_rnd(c, ST_NBAD - 1);
	size_t len = 1 + st_rnd(c, 2048), max = st_max_body(c);
	size_t room = 16384 + 256, n = 0, i, v;
	uint8_t *out = st_raw_room(d, room);
	ssize_t r = 0;

	if (!out)
		return st_raw_write(c, d, false);
	if (kind == ST_BAD_NOTYPE && !st_tls13(c))
		kind = ST_BAD_FLIP;
	d->bad_err = EBADMSG;
	d->bad_sticky = false;
	d->bad_auth = false;
	st_begin(c, "fd 0: seal a bad record, kind %d", kind);
	switch (kind) {
	case ST_BAD_SEQ:
		d->seal.seq++;
		/* fall through */
	case ST_BAD_FLIP:
	case ST_BAD_VERSION:
	case ST_BAD_TRUNC:
		r = wire_useal(&d->seal, 23, st_pattern(d->base, d->sent), len,
			       out, room);
		if (r < 0)
			break;
		n = r;
		if (kind == ST_BAD_FLIP)
			out[5 + st_rnd(c, n - 5)] ^= 1 << st_rnd(c, 8);
		if (kind == ST_BAD_VERSION) {
			v = st_rnd(c, ST_NELEM(versions));
			out[1] = versions[v][0];
			out[2] = versions[v][1];
			d->bad_err = EINVAL;
		}
		if (kind == ST_BAD_TRUNC) {
			n = 1 + st_rnd(c, n - 1);
			d->bad_err = 0;
		}
		d->bad_sticky = d->bad_auth = kind == ST_BAD_FLIP ||
					      kind == ST_BAD_SEQ;
		break;
	case ST_BAD_OVERSIZE:
		/* At the limit, or anywhere past it. */
		len = max + 1 + (st_rnd(c, 2) ? 0 : st_rnd(c, 0xffff - max));
		n = 5 + st_rnd(c, 64);
		d->bad_err = EMSGSIZE;
		break;
	case ST_BAD_SHORT:
		if (st_tls13(c) && !st_rnd(c, 4)) {
			/* A tag alone: the header passes, it cannot open. */
			len = 16;
			d->bad_sticky = d->bad_auth = true;
		} else {
			len = st_rnd(c, st_nonce_len(c) + 16);
		}
		n = 5 + len;
		break;
	default:
		/* Zeros alone inside: no content type (RFC 8446 5.4). */
		r = wire_useal_padded(&d->seal, 0, NULL, 0, st_rnd(c, 32),
				      out, room);
		n = r;
		d->bad_sticky = true;
		break;
	}
	if (r < 0) {
		st_end(c, -1, EINVAL);
		return st_fail(c, "sealing with GnuTLS");
	}
	if (kind == ST_BAD_OVERSIZE || kind == ST_BAD_SHORT) {
		out[0] = 23;
		out[1] = 3;
		out[2] = 3;
		out[3] = (uint8_t)(len >> 8);
		out[4] = (uint8_t)len;
		for (i = 5; i < n; i++)
			out[i] = (uint8_t)st_rnd(c, 256);
	}
	st_end(c, n, 0);
	d->bad = kind;
	d->bad_off = d->sent;
	st_count(&st_run.stats.bad[kind], 1);
	st_raw_queued(d, n, -1);
	return st_raw_write(c, d, st_rnd(c, 2));
}

/*
 * Open the whole records read so far: each must be what tlso's end sent,
 * in order, under the key of the generation it was sent with.
 */
static int st_raw_parse(struct st_conn *c, struct st_dir *d)
{
	uint8_t *p = d->in, *out = c->w->buf, type;

	while (d->in_len >= 5) {
		struct st_event *ev = d->ev_n ? &d->ev[d->ev_head] : NULL;
		uint64_t limit = (ev ? ev->off : d->sent) - d->rcvd;
		size_t rl = (size_t)p[3] << 8 | p[4];
		union keys_info k;
		ssize_t n;

		if (p[1] != 3 || p[2] != 3 || rl > st_max_body(c) ||
		    (st_tls13(c) && p[0] != 23))
			return st_fail(c, "tlso's record header %02x %02x %02x %02x %02x",
				       p[0], p[1], p[2], p[3], p[4]);
		if (5 + rl > d->in_len)
			break;
		n = wire_uopen(&d->open, p, 5 + rl, &type, out, ST_BUF);
		if (n < 0)
			return st_fail(c, "tlso's record of %zu bytes does not open with key %u",
				       rl, d->rx_gen);
		if (!limit && ev) {
			if (type != ev->type || n != ev->len ||
			    memcmp(out, ev->data, n))
				return st_fail(c, "tlso's record of type %u, %zd bytes, where one of type %u, %u bytes was sent",
					       type, n, ev->type, ev->len);
			d->ev_head = (d->ev_head + 1) % ST_EVENTS;
			d->ev_n--;
			d->consumed += n;
			if (ev->ku) {
				wire_useal_close(&d->open);
				d->opener = false;
				st_keys(&k, c, d->index, ++d->rx_gen);
				if (wire_useal_open(&d->open, &k))
					return st_fail(c, "a GnuTLS opener");
				d->opener = true;
			}
			st_count(ev->ku ? &st_run.stats.ku : &st_run.stats.ctrl,
				 1);
		} else {
			if (type != 23 || n == 0 || (uint64_t)n > limit ||
			    memcmp(out, st_pattern(d->base, d->rcvd), n))
				return st_fail(c, "tlso's record of type %u, %zd bytes, is not the %llu bytes of data at %llu",
					       type, n,
					       (unsigned long long)limit,
					       (unsigned long long)d->rcvd);
			d->rcvd += n;
			d->consumed += n;
			st_count(&st_run.stats.bytes, n);
		}
		d->in_len -= 5 + rl;
		memmove(p, p + 5 + rl, d->in_len);
	}
	return 0;
}

/* The raw peer reads what tlso sent (blocking: within ST_TIMEO_S). */
int st_raw_read(struct st_conn *c, struct st_dir *d, bool blocking)
{
	struct pollfd pfd = { c->fd[0], POLLIN, 0 };
	ssize_t n;
	int err;

	if (d->eof)
		return 0;
	if (blocking) {
		st_begin(c, "fd 0: poll");
		n = poll(&pfd, 1, ST_TIMEO_S * 1000);
		st_end(c, n, errno);
		if (n == 0)
			return st_fail(c, "the raw peer: nothing in %d s, with %llu bytes and %u records to come",
				       ST_TIMEO_S,
				       (unsigned long long)(d->sent - d->rcvd),
				       d->ev_n);
	}
	st_begin(c, "fd 0: read raw");
	n = recv(c->fd[0], d->in + d->in_len, ST_RAW_BUF - d->in_len,
		 MSG_DONTWAIT);
	err = errno;
	st_end(c, n, err);
	if (n < 0) {
		if (err == EAGAIN && !blocking)
			return 0;
		if (d->lenient && (err == ECONNRESET || err == EPIPE)) {
			d->eof = true;
			return 0;
		}
		return st_fail(c, "raw read: %s", st_errname(err));
	}
	if (n == 0) {
		if (!d->lenient && (d->in_len || !d->shut ||
				    d->rcvd != d->sent || d->ev_n))
			return st_fail(c, "the end, with %zu bytes of a record, %llu bytes and %u records to come",
				       d->in_len,
				       (unsigned long long)(d->sent - d->rcvd),
				       d->ev_n);
		d->eof = true;
		return 0;
	}
	d->in_len += n;
	return st_raw_parse(c, d);
}

int st_raw_op(struct st_conn *c, struct st_dir *d, enum st_op op)
{
	/* Nothing after the bad record but the rest of its bytes. */
	if (d->index == 0 && d->bad)
		op = ST_RAW_WRITE;
	if (op == ST_RAW_KU && !st_tls13(c))
		op = ST_RAW_DATA;
	if ((op == ST_RAW_KU || op == ST_RAW_CTRL) && d->ev_n == ST_EVENTS)
		op = ST_RAW_WRITE;
	st_count(&st_run.stats.ops[op], 1);
	switch (op) {
	case ST_RAW_DATA:
		return st_raw_data(c, d);
	case ST_RAW_CTRL:
	case ST_RAW_KU:
		return st_raw_ctrl(c, d, op == ST_RAW_KU);
	case ST_RAW_BAD:
		return st_raw_bad(c, d);
	case ST_RAW_READ:
		return st_raw_read(c, d, false);
	default:
		return st_raw_write(c, d, false);
	}
}
