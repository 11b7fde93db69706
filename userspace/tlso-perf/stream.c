// SPDX-License-Identifier: GPL-2.0
/*
 * A stream, on either end: one data connection set up, then sending or
 * receiving until the test's time or bytes are done.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "perf.h"
#include "record.h"

/* The bytes stream i of n sends when the test is for p->bytes in all. */
static uint64_t stream_budget(const struct perf_params *p, unsigned int i)
{
	uint64_t each = p->bytes / p->streams;

	return i + 1 == p->streams ? p->bytes - each * (p->streams - 1) : each;
}

static size_t record_payload(const struct perf_params *p)
{
	return p->len < TLSO_MAX_PLAIN ? p->len : TLSO_MAX_PLAIN;
}

/* After sending: wait until the receiver has closed, so it has it all. */
void wait_peer_close(int fd)
{
	char buf[4096];
	ssize_t n;

	set_timeout(fd, SO_RCVTIMEO, IDLE_SECONDS);
	do {
		n = recv(fd, buf, sizeof(buf), 0);
	} while (n > 0 || (n < 0 && errno == EINTR));
}

static ssize_t send_some(struct conn *c, int file, off_t *off, char *buf,
			 size_t n)
{
	ssize_t r;

	if (file >= 0 && c->io->sendfile) {
		r = sendfile(c->fd, file, off, n);
		if (r == 0) {
			/* the end of the file: go round again */
			*off = 0;
			r = sendfile(c->fd, file, off, n);
		}
		return r;
	}
	if (file >= 0) {
		r = pread(file, buf, n, *off);
		if (r == 0) {
			*off = 0;
			r = pread(file, buf, n, *off);
		}
		if (r <= 0)
			return r < 0 ? -1 : 0;
		n = r;
	}
	r = c->io->send(c, buf, n);
	if (r > 0 && file >= 0)
		*off += r;
	return r;
}

static int send_stream(struct test *t, struct conn *c, struct stream *st,
		       uint64_t budget, const struct prebuilt *pb, char *err,
		       size_t errlen)
{
	const struct perf_params *p = &t->p;
	double start = now(), end = start + p->seconds;
	uint64_t total = 0;
	char *buf = NULL;
	off_t off = 0;
	ssize_t r;
	int ret = -1;

	if (c->raw) {
		if (send_prebuilt(c, st, pb, err, errlen))
			return -1;
		total = pb->content;
		goto sent;
	}
	buf = malloc(p->len);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(buf, 'x', p->len);
	for (;;) {
		size_t n = p->len;

		if (p->bytes) {
			if (total >= budget)
				break;
			if (budget - total < n)
				n = budget - total;
		} else if (now() >= end) {
			break;
		}
		r = send_some(c, t->file, &off, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "sending: %s",
				 r ? strerror(errno) : "the file is empty");
			goto out;
		}
		total += r;
		atomic_store(&st->live, total);
	}
sent:
	st->sent = total;
	st->sent_secs = now() - start;
	c->io->shut_wr(c);
	wait_peer_close(c->fd);
	ret = 0;
out:
	free(buf);
	return ret;
}

/* Why a read failed: gnutls, a GnuTLS error, or 0 for errno e's. */
static void recv_failed(char *err, size_t errlen, int gnutls, int e)
{
	if (gnutls == GNUTLS_E_AGAIN || (!gnutls && e == EAGAIN))
		snprintf(err, errlen, "receiving: no data for %d s",
			 IDLE_SECONDS);
	else if (gnutls)
		snprintf(err, errlen, "receiving: %s", gnutls_strerror(gnutls));
	else if (e == EBADMSG)
		snprintf(err, errlen,
			 "receiving: a record did not decrypt (EBADMSG)");
	else
		snprintf(err, errlen, "receiving: %s", strerror(e));
}

static int recv_stream(struct conn *c, struct stream *st, char *err,
		       size_t errlen)
{
	char *buf = malloc(READ_LEN);
	double first = 0;
	uint64_t total = 0;
	ssize_t r;
	int ret = -1, gerr;

	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	set_timeout(c->fd, SO_RCVTIMEO, IDLE_SECONDS);
	for (;;) {
		r = c->io->recv(c, buf, READ_LEN, &gerr);
		if (r < 0) {
			recv_failed(err, errlen, gerr, errno);
			goto out;
		}
		if (r == 0)
			break;
		if (!total)
			first = now();
		total += r;
		atomic_store(&st->live, total);
	}
	ret = 0;
out:
	st->received = total;
	st->recv_secs = total ? now() - first : 0;
	free(buf);
	return ret;
}

void run_stream(struct test *t, int fd, unsigned int idx, bool client)
{
	struct conn c = { .fd = fd, .client = client };
	bool sender = client != t->p.reverse;
	struct stream *st = &t->st[idx];
	struct prebuilt pb = { 0 };
	char err[384];

	if (conn_setup(&c, &t->p, sender, err, sizeof(err)) ||
	    check_negotiated(&c, &t->p, err, sizeof(err)))
		goto fail;
	test_negotiated(t, &c);
	if (c.raw && seal_all(&pb, &c.tx, stream_budget(&t->p, idx),
			      record_payload(&t->p), t->p.mode->close_notify,
			      err, sizeof(err)))
		goto fail;
	if (!test_ready_wait(t, sender))
		goto out;
	if (sender ? send_stream(t, &c, st, stream_budget(&t->p, idx), &pb,
				 err, sizeof(err)) :
		     recv_stream(&c, st, err, sizeof(err)))
		goto fail;
	conn_records(&c, t->p.mode, &st->rec_tx, &st->rec_rx);
	goto out;
fail:
	test_fail_fmt(t, "stream %u: %s", idx + 1, err);
	test_abort(t);
out:
	free(pb.buf);
	c.fd = -1;	/* the caller closes it */
	conn_close(&c);
	test_finished(t);
}
