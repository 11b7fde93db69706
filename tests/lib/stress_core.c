// SPDX-License-Identifier: GPL-2.0
/*
 * Test library, the stress test: the run's state, the generator, the
 * keys, the log of what each connection did, and a connection from its
 * set-up to its close (stress_conn.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/tls.h>

#include "sock.h"
#include "stress_conn.h"

/*
 * The pattern repeats with a prime period, so that no record size or
 * page size divides it: a chunk delivered twice, or skipped, shows.
 * The table holds a whole read past any offset, so that every slice of
 * the stream is one pointer into it.
 */
#define ST_PERIOD	65521
#define ST_PAT_LEN	(ST_PERIOD + ST_BUF)

struct st_run st_run = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.file = -1,
	.only = -1,
};

static uint8_t *st_pat;

uint64_t st_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Uniform in [0, n): each connection's one source of choices. */
uint32_t st_rnd(struct st_conn *c, uint32_t n)
{
	uint64_t v = st_mix(c->rng++);

	return (uint32_t)(((v >> 32) * n) >> 32);
}

const uint8_t *st_pattern(uint32_t base, uint64_t off)
{
	return st_pat + (base + off % ST_PERIOD) % ST_PERIOD;
}

double st_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The pattern, and a file of it for sendfile (gone from /tmp at once). */
int st_setup(void)
{
	char path[] = "/tmp/tlso-stress-XXXXXX";
	uint64_t x = 0x746c736f;
	size_t i, done = 0;

	st_pat = malloc(ST_PAT_LEN);
	if (!st_pat)
		return -1;
	for (i = 0; i < ST_PERIOD; i++)
		st_pat[i] = (uint8_t)(st_mix(x + i) >> 24);
	memcpy(st_pat + ST_PERIOD, st_pat, ST_PAT_LEN - ST_PERIOD);

	st_run.file = mkstemp(path);
	if (st_run.file < 0)
		return -1;
	unlink(path);
	while (done < ST_PAT_LEN) {
		ssize_t n = write(st_run.file, st_pat + done, ST_PAT_LEN - done);

		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

void st_cleanup(void)
{
	if (st_run.file >= 0)
		close(st_run.file);
	st_run.file = -1;
	free(st_pat);
	st_pat = NULL;
}

/*
 * The keys of one direction's generation gen: from the run's seed, so
 * that the two ends (and the raw peer) agree, and every generation's
 * differ.  The first record number is anywhere but near the end.
 */
size_t st_keys(union keys_info *k, const struct st_conn *c, int dir,
	       unsigned int gen)
{
	const struct keys_cipher *ci = keys_cipher(c->cipher);
	uint64_t h = st_mix(st_mix(st_run.seed ^ st_mix(c->id)) ^
			    (uint64_t)dir << 32 ^ gen);
	uint8_t *p = (uint8_t *)k;
	size_t size, i;
	uint64_t seq;

	size = keys_make(k, c->version, c->cipher, 0, 0);
	for (i = 0; i < ci->key; i++)
		p[ci->key_off + i] = (uint8_t)st_mix(h + i);
	for (i = 0; i < ci->iv; i++)
		p[ci->iv_off + i] = (uint8_t)st_mix(h + 100 + i);
	for (i = 0; i < ci->salt; i++)
		p[ci->salt_off + i] = (uint8_t)st_mix(h + 200 + i);
	seq = st_mix(h + 300) >> (gen ? 40 : 24);
	for (i = 0; i < 8; i++)
		p[ci->seq_off + i] = (uint8_t)(seq >> (56 - 8 * i));
	return size;
}

void st_count(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

void st_count_err(int err)
{
	if (err >= 0 && err < ST_NERR)
		st_count(&st_run.stats.err[err], 1);
}

const char *st_errname(int err)
{
	static const struct { int e; const char *name; } tab[] = {
		{ 0, "end" }, { EIO, "EIO" }, { EAGAIN, "EAGAIN" },
		{ EINVAL, "EINVAL" }, { EPIPE, "EPIPE" },
		{ EBADMSG, "EBADMSG" }, { EMSGSIZE, "EMSGSIZE" },
		{ EBUSY, "EBUSY" }, { ECONNRESET, "ECONNRESET" },
		{ EKEYEXPIRED, "EKEYEXPIRED" }, { EPROTO, "EPROTO" },
		{ ENOTCONN, "ENOTCONN" }, { ETIMEDOUT, "ETIMEDOUT" },
		{ EFAULT, "EFAULT" }, { ENOMEM, "ENOMEM" },
	};
	size_t i;

	for (i = 0; i < ST_NELEM(tab); i++)
		if (tab[i].e == err)
			return tab[i].name;
	return strerror(err);
}

static const char *st_version_name(uint16_t v)
{
	return v == TLS_1_3_VERSION ? "TLS 1.3" : "TLS 1.2";
}

/*
 * An operation starts: what it is, for the log and for the watchdog,
 * which names it if it never returns.
 */
void st_begin(struct st_conn *c, const char *fmt, ...)
{
	int n = snprintf(c->op, sizeof(c->op), "#%lu ", c->nops);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->op + n, sizeof(c->op) - n, fmt, ap);
	va_end(ap);
	c->since = st_now();
	pthread_mutex_lock(&c->w->lock);
	c->w->since = c->since;
	c->w->conn = c->id;
	memcpy(c->w->op, c->op, sizeof(c->op));
	pthread_mutex_unlock(&c->w->lock);
}

/* ...and ends: its result goes to the connection's last few. */
void st_end(struct st_conn *c, ssize_t ret, int err)
{
	char *t = c->trace[c->ntrace++ % ST_TRACE];
	double took = st_now() - c->since;
	int n;

	c->took = took;
	if (ret < 0)
		n = snprintf(t, ST_LINE, "%s = %s", c->op, st_errname(err));
	else
		n = snprintf(t, ST_LINE, "%s = %zd", c->op, ret);
	/* What waited, and how long: a slow path shows. */
	if (took >= 0.5 && n < ST_LINE)
		snprintf(t + n, ST_LINE - n, " (%.1f s)", took);
	pthread_mutex_lock(&c->w->lock);
	c->w->since = 0;
	pthread_mutex_unlock(&c->w->lock);
	if (st_run.verbose)
		printf("# conn %llu: %s\n", (unsigned long long)c->id, t);
}

/*
 * A failure: everything needed to run the connection again alone, and
 * what it did last.  The run stops; returns -1.
 */
int st_fail(struct st_conn *c, const char *fmt, ...)
{
	unsigned int i, n = c->ntrace < ST_TRACE ? c->ntrace : ST_TRACE;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	__atomic_store_n(&c->failed, true, __ATOMIC_RELAXED);
	pthread_mutex_lock(&st_run.lock);
	__atomic_store_n(&st_run.stop, 1, __ATOMIC_RELAXED);
	if (st_run.failed++ < 3) {
		if (st_run.failed == 1)
			snprintf(st_run.why, sizeof(st_run.why),
				 "seed %llu conn %llu %s: %s",
				 (unsigned long long)st_run.seed,
				 (unsigned long long)c->id, c->op, msg);
		flockfile(stdout);
		printf("# stress: FAIL: seed=%llu threads=%d conn=%llu, in %s: %s\n",
		       (unsigned long long)st_run.seed, st_run.threads,
		       (unsigned long long)c->id, c->op, msg);
		printf("# stress: conn %llu: %s %s%s, fd[0] %s, fd[1] tlso%s; replay it alone: TLSO_STRESS_SEED=%llu TLSO_STRESS_CONN=%llu\n",
		       (unsigned long long)c->id, st_version_name(c->version),
		       keys_cipher(c->cipher)->name,
		       c->family == AF_INET6 ? " IPv6" : "",
		       c->hostile ? "raw" : "tlso",
		       c->duplex ? ", a thread for each end of each direction" :
				   "",
		       (unsigned long long)st_run.seed,
		       (unsigned long long)c->id);
		printf("# stress: its last operations (fd 0>1 is direction 0):\n");
		for (i = c->ntrace - n; i < c->ntrace; i++)
			printf("#   %s\n", c->trace[i % ST_TRACE]);
		fflush(stdout);
		funlockfile(stdout);
	}
	pthread_mutex_unlock(&st_run.lock);
	return -1;
}

static int st_timeouts(int fd)
{
	struct timeval tv = { ST_TIMEO_S, 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -1;
	return 0;
}

/* Loopback ports run short when TIME_WAIT holds many: wait for some. */
static int st_pair(struct st_conn *c)
{
	int tries;

	for (tries = 0; tries < 100; tries++) {
		if (!sock_pair(c->family, &c->fd[0], &c->fd[1]))
			return 0;
		if (errno != EADDRNOTAVAIL && errno != EADDRINUSE)
			break;
		usleep(100 * 1000);
	}
	return -1;
}

static int st_set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v));
}

/* The keys of a tlso end: what it sends with, and what it reads with. */
static int st_end_keys(struct st_conn *c, int i)
{
	struct st_dir *out = c->dir[i], *in = c->dir[1 - i];
	bool rx_first = st_rnd(c, 2);
	union keys_info k;
	int step;

	/* Sometimes records come before the key to read them. */
	in->key_deferred = !st_rnd(c, 4);
	for (step = 0; step < 2; step++) {
		bool rx = (step == 0) == rx_first;
		int err;

		if (rx && in->key_deferred)
			continue;
		st_keys(&k, c, rx ? in->index : out->index, 0);
		st_begin(c, "fd %d: %s key", i, rx ? "TLS_RX" : "TLS_TX");
		err = keys_install(c->fd[i], rx ? TLS_RX : TLS_TX, &k);
		st_end(c, err, errno);
		if (err)
			return st_fail(c, "installing the key: %s",
				       st_errname(errno));
	}
	if (!st_rnd(c, 4) &&
	    st_set_int(c->fd[i], SOL_TLS, TLS_TX_ZEROCOPY_RO, 1))
		return st_fail(c, "TLS_TX_ZEROCOPY_RO: %s", st_errname(errno));
	if (c->version == TLS_1_3_VERSION && !in->key_deferred &&
	    !st_rnd(c, 3) &&
	    st_set_int(c->fd[i], SOL_TLS, TLS_RX_EXPECT_NO_PAD, 1))
		return st_fail(c, "TLS_RX_EXPECT_NO_PAD: %s",
			       st_errname(errno));
	/* A small send buffer: records wait for TCP, and are pushed later. */
	if (!st_rnd(c, 4) &&
	    st_set_int(c->fd[i], SOL_SOCKET, SO_SNDBUF, 4096))
		return st_fail(c, "SO_SNDBUF: %s", st_errname(errno));
	return 0;
}

static int st_conn_open(struct st_conn *c)
{
	int i;

	c->version = st_rnd(c, 2) ? TLS_1_3_VERSION : TLS_1_2_VERSION;
	c->cipher = keys_ciphers[st_rnd(c, 4)].type;
	c->hostile = !st_rnd(c, 8);
	c->duplex = !c->hostile && !st_rnd(c, 4);
	c->family = st_rnd(c, 4) ? AF_INET : AF_INET6;
	for (i = 0; i < 2; i++) {
		struct st_dir *d = c->dir[i];

		d->index = i;
		d->tx = i;
		d->rx = 1 - i;
		d->base = st_mix(st_run.seed ^ st_mix(c->id) ^ i) % ST_PERIOD;
		d->ctrl_base = st_mix(st_run.seed ^ st_mix(c->id) ^ (i + 2)) %
			       ST_PERIOD;
	}
	c->dir[0]->out = c->w->raw[0];
	c->dir[1]->in = c->w->raw[1];

	st_begin(c, "open %s %s%s%s", st_version_name(c->version),
		 keys_cipher(c->cipher)->name,
		 c->family == AF_INET6 ? " IPv6" : "",
		 c->hostile ? ", fd 0 raw" : c->duplex ? ", duplex" : "");
	if (st_pair(c)) {
		st_end(c, -1, errno);
		return st_fail(c, "a loopback pair: %s", strerror(errno));
	}
	if (pipe2(c->pipe, O_NONBLOCK | O_CLOEXEC)) {
		st_end(c, -1, errno);
		return st_fail(c, "pipe: %s", strerror(errno));
	}
	st_end(c, 0, 0);
	for (i = 0; i < 2; i++) {
		if (st_timeouts(c->fd[i]))
			return st_fail(c, "socket timeouts: %s",
				       strerror(errno));
		if (c->hostile && i == 0)
			continue;
		if (sock_attach(c->fd[i], "tlso"))
			return st_fail(c, "attaching tlso: %s",
				       st_errname(errno));
	}
	for (i = 0; i < 2; i++)
		if (!(c->hostile && i == 0) && st_end_keys(c, i))
			return -1;
	st_count(&st_run.stats.conns, 1);
	if (c->duplex)
		st_count(&st_run.stats.duplex, 1);
	if (!c->hostile)
		return 0;
	st_count(&st_run.stats.hostile, 1);
	return st_raw_open(c);
}

static void st_close_fd(struct st_conn *c, int i)
{
	if (c->fd[i] >= 0)
		close(c->fd[i]);
	c->fd[i] = -1;
	c->closed[i] = true;
}

static void st_conn_close(struct st_conn *c)
{
	st_close_fd(c, 0);
	st_close_fd(c, 1);
	if (c->pipe[0] >= 0)
		close(c->pipe[0]);
	if (c->pipe[1] >= 0)
		close(c->pipe[1]);
	st_raw_close(c);
}

static const struct {
	enum st_op op;
	unsigned int weight;
} st_table[] = {
	{ ST_SEND, 14 }, { ST_SENDMSG, 6 }, { ST_SENDFILE, 5 },
	{ ST_SPLICE_IN, 5 }, { ST_FLUSH, 2 }, { ST_CTRL, 3 },
	{ ST_REKEY, 3 }, { ST_BADKEY, 1 }, { ST_SHUT, 1 },
	{ ST_RECV, 18 }, { ST_PEEK, 6 }, { ST_SPLICE_OUT, 6 },
	{ ST_POLL, 5 }, { ST_RXKEY, 6 }, { ST_INFO, 2 },
};

static enum st_op st_pick(struct st_conn *c)
{
	unsigned int i, total = 0, r;

	for (i = 0; i < ST_NELEM(st_table); i++)
		total += st_table[i].weight;
	r = st_rnd(c, total);
	for (i = 0; r >= st_table[i].weight; i++)
		r -= st_table[i].weight;
	return st_table[i].op;
}

static bool st_is_send(enum st_op op)
{
	return op <= ST_SHUT;
}

/* What a raw sender does instead of each of tlso's ways of sending. */
static enum st_op st_raw_send_op(enum st_op op)
{
	switch (op) {
	case ST_SEND:
	case ST_SPLICE_IN:
	case ST_SENDFILE:
		return ST_RAW_DATA;
	case ST_CTRL:
		return ST_RAW_CTRL;
	case ST_REKEY:
		return ST_RAW_KU;
	default:
		return ST_RAW_WRITE;
	}
}

static int st_step(struct st_conn *c, struct st_dir *d, enum st_op op)
{
	if (c->hostile && c->dir[0]->bad) {
		/*
		 * Once bad bytes may be on their way, any call of tlso's
		 * end may fail with their error: only the stream to it
		 * goes on, to that error.
		 */
		d = c->dir[0];
		if (st_is_send(op))
			op = ST_RAW_WRITE;
	}
	/* Too much unread, or a stream its sender shut: read instead. */
	if (st_is_send(op) && (d->sent - d->rcvd > ST_HIGH ||
			       (d->shut && op != ST_SEND &&
				op != ST_SENDMSG)))
		op = ST_RECV;
	if (c->hostile && d->index == 0 && st_is_send(op))
		op = st_raw_send_op(op);
	if (c->hostile && d->index == 1 && !st_is_send(op))
		op = ST_RAW_READ;
	if (d->dead)
		return 0;
	if (op >= ST_RAW_DATA && op <= ST_RAW_READ)
		return st_raw_op(c, d, op);
	return st_op(c, d, op);
}

static int st_conn_loop(struct st_conn *c)
{
	unsigned long nmax = 10 + st_rnd(c, 300);
	unsigned long bad_at = ULONG_MAX;
	int err;

	if (c->hostile && st_rnd(c, 4))
		bad_at = st_rnd(c, nmax);
	while (c->nops < nmax) {
		struct st_dir *d = c->dir[st_rnd(c, 2)];
		enum st_op op = st_pick(c);

		if (st_stopped())
			return -1;
		if (st_run.only < 0 && st_now() > st_run.deadline)
			break;
		if (c->nops == bad_at) {
			d = c->dir[0];
			op = ST_RAW_BAD;
		}
		c->nops++;
		err = st_step(c, d, op);
		if (err)
			return err;
		if (c->hostile && (c->dir[0]->dead || c->dir[0]->eof))
			break;
		if (c->dir[0]->eof && c->dir[1]->eof)
			break;
	}
	return 0;
}

/* After a bad record was read: its error stays, or was said once. */
static int st_after_bad(struct st_conn *c, struct st_dir *d)
{
	uint8_t buf[64];
	ssize_t n;
	int err;

	st_begin(c, "fd 1: recv after the bad record, DONTWAIT");
	n = recv(c->fd[1], buf, sizeof(buf), MSG_DONTWAIT);
	err = errno;
	st_end(c, n, err);
	if (d->bad == ST_BAD_TRUNC ? n == 0 :
	    d->bad_sticky ? n < 0 && err == d->bad_err :
	    n == 0 || (n < 0 && err == EAGAIN))
		return 0;
	return st_fail(c, "after the bad record: %zd (%s)", n,
		       n < 0 ? st_errname(err) : "-");
}

static int st_finish_bad(struct st_conn *c)
{
	struct st_dir *d = c->dir[0];

	if (!d->dead && st_drain(c, d, true))
		return -1;
	if (!d->dead)
		return st_fail(c, "the bad record gave no error");
	if (st_rnd(c, 2) && st_after_bad(c, d))
		return -1;
	return 0;
}

/*
 * Writing to a peer that has closed: taken, or the peer's reset; once a
 * read has reported the reset, EPIPE.
 */
static int st_send_to_closed(struct st_conn *c, int i)
{
	bool reset = c->dir[1 - i]->reset;
	ssize_t n;
	int err;

	st_begin(c, "fd %d: send 100 to the closed peer", i);
	n = send(c->fd[i], st_pattern(0, 0), 100,
		 MSG_NOSIGNAL | MSG_DONTWAIT);
	err = errno;
	st_end(c, n, err);
	if (reset ? n < 0 && err == EPIPE :
	    n >= 0 || err == EPIPE || err == ECONNRESET || err == EAGAIN)
		return 0;
	return st_fail(c, "send to a closed peer%s: %s",
		       reset ? " after its reset was read" : "",
		       n < 0 ? st_errname(err) : "taken");
}

/*
 * The end of a connection, at random: x closes first, after reading
 * everything (a FIN: y must read all x sent, an open MSG_MORE record
 * too, then the end), or with data unread (a reset: y reads a prefix),
 * or both at once.
 */
static int st_finish(struct st_conn *c)
{
	int how = st_rnd(c, 8), x = st_rnd(c, 2), y = 1 - x;
	struct st_dir *in = c->dir[y], *out = c->dir[x];

	if (st_stopped())
		return -1;
	if (c->hostile && c->dir[0]->bad)
		return st_finish_bad(c);
	if (st_run.only < 0 && st_now() > st_run.deadline)
		how = 0;
	st_count(&st_run.stats.ops[ST_CLOSE], 1);
	if (how == 7) {
		st_begin(c, "close both");
		st_close_fd(c, 0);
		st_close_fd(c, 1);
		st_end(c, 0, 0);
		return 0;
	}
	if (how < 5) {
		if (st_drain(c, in, in->shut))
			return -1;
		/*
		 * Empty records may follow the raw peer's last data, and
		 * would be bytes unread: its FIN, then all of it read.
		 */
		if (c->hostile && x == 1 && !in->shut &&
		    (st_raw_shut(c, in) || st_drain(c, in, true)))
			return -1;
		if (c->hostile && x == 0 && st_drain(c, out, false))
			return -1;
		if (!(c->hostile && x == 0) && !out->shut && st_rnd(c, 2)) {
			st_begin(c, "fd %d: shutdown(SHUT_WR)", x);
			if (shutdown(c->fd[x], SHUT_WR)) {
				st_end(c, -1, errno);
				return st_fail(c, "shutdown: %s",
					       st_errname(errno));
			}
			st_end(c, 0, 0);
			out->shut = true;
			out->flushed = out->sent;
			if (st_drain(c, out, true))
				return -1;
		}
	} else if (in->rcvd != in->sent || in->ev_n || in->key_deferred ||
		   c->hostile) {
		/* x's reset may beat the last of what x sent. */
		out->lenient = true;
	}
	st_begin(c, "fd %d: close%s", x, how < 5 ? "" : " with data unread");
	st_close_fd(c, x);
	st_end(c, 0, 0);
	if (!out->shut) {
		out->shut = true;
		out->flushed = out->sent;
	}
	if (!out->eof && st_drain(c, out, true))
		return -1;
	if (!(c->hostile && y == 0) && st_rnd(c, 2) &&
	    st_send_to_closed(c, y))
		return -1;
	st_begin(c, "fd %d: close", y);
	st_close_fd(c, y);
	st_end(c, 0, 0);
	return 0;
}

/* One connection, start to end: 0, or -1 when it failed or was stopped. */
int st_conn_run(struct st_worker *w, uint64_t id)
{
	struct st_conn *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -1;
	c->id = id;
	c->w = w;
	c->rng = st_mix(st_run.seed ^ st_mix(id));
	c->fd[0] = c->fd[1] = c->pipe[0] = c->pipe[1] = -1;
	c->dir[0] = &c->dirs[0];
	c->dir[1] = &c->dirs[1];
	pthread_mutex_init(&c->dirs[0].lock, NULL);
	pthread_mutex_init(&c->dirs[1].lock, NULL);
	err = st_conn_open(c);
	if (!err && c->duplex) {
		err = st_duplex_run(c);
		/* A thread that hung still uses the connection: leave it. */
		if (err == ST_HUNG)
			return -1;
		st_count(&st_run.stats.ops[ST_CLOSE], 1);
	} else {
		if (!err)
			err = st_conn_loop(c);
		if (!err)
			err = st_finish(c);
	}
	st_conn_close(c);
	pthread_mutex_destroy(&c->dirs[0].lock);
	pthread_mutex_destroy(&c->dirs[1].lock);
	pthread_mutex_lock(&w->lock);
	w->since = 0;
	pthread_mutex_unlock(&w->lock);
	free(c);
	return err;
}
