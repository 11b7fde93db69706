// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM test: the soak.  Many connections through tlsod, tlso at both
 * ends over loopback, each end's handshake done by tlsod, of four kinds:
 *
 *   full		both handshakes, a few hundred bytes each way,
 *			checked, and the client closes;
 *   peer-closed	the same, but the server end closes first: the
 *			client reads the end (close_notify: end of file);
 *   mid-handshake	the client's handshake is under way and the server
 *			end, which never asked for one, closes (at once, or
 *			once the ClientHello is there): ECONNRESET;
 *   closed-while-pending  the client closes its socket while its own
 *			handshake is pending: at once (queued or just
 *			taken), or once tlsod's worker holds the socket, when
 *			the handshake must go on to its end without it.
 *
 * Half the connections are full ones.  Afterwards the kernel's slab, tlsod's
 * memory and descriptors, the module's current counters and the TCP
 * sockets are back where they were.  kmemleak is scanned by the debug lane
 * (scripts/debug/guest) after the whole suite.
 *
 * TLSO_SOAK_CONNECTIONS sets how many (default SOAK_DEFAULT_N; the debug
 * lane runs 10000), TLSO_SOAK_PARALLEL how many at a time, TLSO_SOAK_SEED
 * the seed of the plan (printed, so that a run can be repeated).
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "tlsod_env.h"

/* Enough to find a gross leak in `make check` within a minute or so. */
#define SOAK_DEFAULT_N		200
#define SOAK_MAX_N		10000000
/* Keeps 8 handshakes in flight on the VM's 2 vCPUs, as a busy host would. */
#define SOAK_DEFAULT_PARALLEL	4
#define SOAK_MAX_PARALLEL	16

/*
 * Connections run before the "before" figures: the first handshakes grow
 * tlsod's heap, its pool of workers and the session cache, and the
 * kernel's caches, once and for good; the soak is about what grows with
 * the count.  Four of each kind, both credentials and both variants.
 */
#define SOAK_WARMUP		16

/*
 * The request's timeout.  A handshake that works takes well under a
 * second even on the debug kernel; the module ends a request 5 s after
 * its timeout, so a wait of SOAK_WAIT_MS always sees the end.
 */
#define SOAK_HS_TIMEOUT_MS	TENV_HS_MS
#define SOAK_WAIT_MS		(SOAK_HS_TIMEOUT_MS + 10000)
/* Reading a few hundred bytes, or the end of the stream. */
#define SOAK_IO_MS		30000

/*
 * The run's own deadline, so that a soak that has gone slow fails with
 * the count it reached instead of being killed by the harness: many times
 * what a connection costs under TCG (the bench makes some 30 a second
 * through tlsod on Debian's kernels), the debug kernel's slowness and a
 * loaded host included.
 */
#define SOAK_BUDGET_BASE_S	120
#define SOAK_BUDGET_PER_CONN_MS	500
/*
 * The harness's limit is a backstop only (the budget above ends a run
 * first): three hours, the debug lane's whole VM.
 */
#define SOAK_CASE_TIMEOUT_S	10800

/* Workers stay 3.5 s for tickets and the next request (tlsod(8)). */
#define SOAK_IDLE_MS		30000
/* Closed sockets leave the module and TCP a moment after close(). */
#define SOAK_DRAIN_S		30
/* RCU callbacks (sockets, kmemleak's metadata) run within this. */
#define SOAK_SETTLE_MS		2000

/*
 * Margins.  Unreclaimable slab: the kernel's caches grow for reasons of
 * their own (per-CPU partial slabs, the debug objects pool, the sockets
 * still in TIME_WAIT, a few hundred bytes each), up to a few MiB.  A tlso
 * context leaked per connection, with its AEADs and pages (kilobytes),
 * is tens of MiB over 10000 connections; smaller leaks are kmemleak's.
 */
#define SOAK_SUNRECLAIM_SLACK_KIB	4096
/*
 * tlsod's RSS: glibc's malloc keeps what was freed in its arenas, and the
 * session cache fills up to its bound (256 sessions); 200 bytes kept per
 * handshake over 10000 connections (20000 handshakes) is 4 MiB, over.
 * 2 MiB or 10 %, whichever is larger.
 */
#define SOAK_RSS_SLACK_KIB	2048
#define SOAK_RSS_SLACK_PCT	10

/* Failures shown in full; the rest are counted. */
#define SOAK_SHOW_BAD		20

#define SOAK_DATA_MIN		100
#define SOAK_DATA_MAX		600

enum soak_kind {
	SOAK_FULL,
	SOAK_PEER_CLOSED,
	SOAK_MID_HANDSHAKE,
	SOAK_CLOSED_PENDING,
	SOAK_KINDS
};

static const char *const soak_kind_name[SOAK_KINDS] = {
	[SOAK_FULL] = "full",
	[SOAK_PEER_CLOSED] = "peer-closed",
	[SOAK_MID_HANDSHAKE] = "mid-handshake",
	[SOAK_CLOSED_PENDING] = "closed-while-pending",
};

/* What the end that stayed saw. */
enum soak_out {
	SOAK_EOF,		/* the stream ended: end of file */
	SOAK_RESET,		/* the stream ended: ECONNRESET */
	SOAK_HS_RESET,		/* its handshake failed: ECONNRESET */
	SOAK_BAD,		/* anything else: a failure */
	SOAK_OUTS
};

/* One connection, decided before the run so that a seed repeats it. */
struct soak_plan {
	unsigned char kind;	/* enum soak_kind */
	/* X.509 (tlsod's parent signs; the client may resume), else PSK */
	bool x509;
	/*
	 * mid-handshake: the server end closes once the ClientHello is
	 * there, not at once; closed-while-pending: the client closes once
	 * tlsod's worker holds its socket (its ClientHello is there), and
	 * only then does the server ask for its own handshake.
	 */
	bool variant;
	unsigned short c2s, s2c;	/* bytes each way */
	unsigned int seed;		/* of their pattern */
};

/* Counters the threads add to (__atomic). */
struct soak_tally {
	int n[SOAK_KINDS];
	int variant[SOAK_KINDS];
	int out[SOAK_KINDS][SOAK_OUTS];
	int x509, psk, resumed;
	int other_id;		/* resumed PSK handshakes naming another */
	int attached;		/* sockets tlso was attached to */
	int done;		/* connections run */
	int bad;
};

struct soak_run {
	struct tenv *e;
	const char *what;	/* "warm-up", "soak" */
	const struct soak_plan *plan;
	int n;
	int next;		/* the next connection to start */
	double deadline;
	int progress;		/* print every this many, 0: never */
	double t0;
	struct soak_tally t;
};

struct soak_thread {
	struct soak_run *r;
	pthread_t th;
	int lfd;
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

/* One connection as it runs. */
struct soak_conn {
	struct soak_run *r;
	const struct soak_plan *p;
	int i;
	int cli, srv;
};

static void soak_add(int *counter, int n)
{
	__atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

/* ---- the plan ---- */

/* splitmix64: a seed repeats the run's plan on any libc. */
static uint64_t soak_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void soak_plan_data(struct soak_plan *p, uint64_t *s)
{
	unsigned int span = SOAK_DATA_MAX - SOAK_DATA_MIN + 1;

	p->c2s = SOAK_DATA_MIN + soak_rand(s) % span;
	p->s2c = SOAK_DATA_MIN + soak_rand(s) % span;
	p->seed = (unsigned int)soak_rand(s);
}

/*
 * Each block of six is three full connections and one of each other kind
 * in an order of the seed's, so that exactly half of every six are full
 * and a kind's neighbours vary; a quarter use X.509.
 */
static void soak_make_plan(struct soak_plan *plan, int n, uint64_t seed)
{
	static const unsigned char block[6] = {
		SOAK_FULL, SOAK_FULL, SOAK_FULL, SOAK_PEER_CLOSED,
		SOAK_MID_HANDSHAKE, SOAK_CLOSED_PENDING,
	};
	unsigned char order[6];
	uint64_t s = seed;
	int i, k, j;

	for (i = 0; i < n; i++) {
		if (i % 6 == 0) {
			memcpy(order, block, sizeof(order));
			for (k = 5; k > 0; k--) {
				unsigned char tmp;

				j = soak_rand(&s) % (k + 1);
				tmp = order[k];
				order[k] = order[j];
				order[j] = tmp;
			}
		}
		plan[i].kind = order[i % 6];
		plan[i].x509 = soak_rand(&s) % 4 == 0;
		plan[i].variant = soak_rand(&s) & 1;
		soak_plan_data(&plan[i], &s);
	}
}

/* Every kind with both credentials and both variants, in turn. */
static void soak_make_warmup(struct soak_plan *plan, int n, uint64_t seed)
{
	uint64_t s = seed ^ 0x5741524dULL;
	int i;

	for (i = 0; i < n; i++) {
		plan[i].kind = i % SOAK_KINDS;
		plan[i].x509 = (i / SOAK_KINDS) % 2;
		plan[i].variant = (i / (2 * SOAK_KINDS)) % 2;
		soak_plan_data(&plan[i], &s);
	}
}

/* ---- failures ---- */

/* Count connection c as failed, and say why for the first few. */
static int __attribute__((format(printf, 2, 3)))
soak_bad(struct soak_conn *c, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	if (__atomic_add_fetch(&c->r->t.bad, 1, __ATOMIC_RELAXED) >
	    SOAK_SHOW_BAD)
		return SOAK_BAD;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	th_log("%s: connection %d (%s%s, %s): %s", c->r->what, c->i,
	       soak_kind_name[c->p->kind],
	       c->p->kind < SOAK_MID_HANDSHAKE ? "" :
	       c->p->variant ? ", after the ClientHello" : ", at once",
	       c->p->x509 ? "X.509" : "PSK", why);
	return SOAK_BAD;
}

static const char *soak_errname(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "an unknown errno";
}

/* ---- sockets ---- */

static void soak_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * The connection's two ends, tlso attached to both, non-blocking: the
 * handshakes of both ends are asked for from this one thread.  The
 * thread's listener hears only this thread's connections, but one that a
 * failed round left in its backlog must not pass for this one.
 */
static int soak_pair(struct soak_conn *c, struct soak_thread *t)
{
	struct sockaddr_in a, b;
	socklen_t la = sizeof(a), lb;
	int tries;

	c->cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->cli < 0 ||
	    connect(c->cli, (struct sockaddr *)&t->addr, t->addrlen) < 0 ||
	    getsockname(c->cli, (struct sockaddr *)&a, &la) < 0)
		return soak_bad(c, "connect: %s", strerror(errno));
	for (tries = 0;; tries++) {
		struct pollfd p = { t->lfd, POLLIN, 0 };

		if (tries == 4)
			return soak_bad(c, "accepted others, not ours");
		if (poll(&p, 1, SOAK_IO_MS) != 1)
			return soak_bad(c, "no connection to accept");
		c->srv = accept4(t->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c->srv < 0)
			return soak_bad(c, "accept: %s", strerror(errno));
		lb = sizeof(b);
		if (getpeername(c->srv, (struct sockaddr *)&b, &lb) == 0 &&
		    a.sin_port == b.sin_port)
			break;
		soak_close(&c->srv);
	}
	if (tenv_attach(c->r->e, c->cli) < 0)
		return soak_bad(c, "attaching the client: %s",
				strerror(errno));
	soak_add(&c->r->t.attached, 1);
	if (tenv_attach(c->r->e, c->srv) < 0)
		return soak_bad(c, "attaching the server: %s",
				strerror(errno));
	soak_add(&c->r->t.attached, 1);
	if (tenv_set_nonblock(c->cli, true) < 0 ||
	    tenv_set_nonblock(c->srv, true) < 0)
		return soak_bad(c, "O_NONBLOCK: %s", strerror(errno));
	return 0;
}

/* All of buf within ms, on a non-blocking socket: 0, or -1 and errno. */
static int soak_send_all(int fd, const void *buf, size_t len, int ms)
{
	double end = tenv_now() + ms / 1000.0;
	const char *p = buf;

	while (len) {
		struct pollfd pfd = { fd, POLLOUT, 0 };
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			p += n;
			len -= n;
			continue;
		}
		if (n == 0) {
			/* no progress and no error: do not spin */
			errno = EIO;
			return -1;
		}
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		if (tenv_now() > end) {
			errno = ETIMEDOUT;
			return -1;
		}
		poll(&pfd, 1, 100);
	}
	return 0;
}

/*
 * How the stream ends, read within ms: 0 for end of file, else the errno
 * of the read (ETIMEDOUT when nothing came), -1 when data came instead.
 * A read can find nothing for a moment after poll said there was input:
 * a record tlso handles itself (a ticket) is no data.
 */
static int soak_read_end(int fd, int ms)
{
	double end = tenv_now() + ms / 1000.0;
	char buf[64];

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == 0)
			return 0;
		if (n > 0)
			return -1;
		if (errno != EAGAIN && errno != EINTR)
			return errno;
		if (tenv_now() > end)
			return ETIMEDOUT;
		poll(&pfd, 1, 100);
	}
}

/* ---- handshakes ---- */

/*
 * Ask tlsod for fd's handshake, as a non-blocking socket does: at once
 * EINPROGRESS.  The server's "psk" or "server" profile, the client's
 * "psk" or default one (which checks "localhost" against the test CA).
 */
static bool soak_hs_begin(struct soak_conn *c, int fd, uint32_t role)
{
	bool client = role == TLSO_ROLE_CLIENT;
	const char *profile, *peer;

	if (c->p->x509) {
		profile = client ? "" : "server";
		peer = client ? "localhost" : "";
	} else {
		profile = "psk";
		peer = "";
	}
	if (hs_start(fd, role, profile, peer, SOAK_HS_TIMEOUT_MS) == 0) {
		soak_bad(c, "the %s's TLSO_HANDSHAKE returned 0 on a non-blocking socket",
			 client ? "client" : "server");
		return false;
	}
	if (errno != EINPROGRESS) {
		soak_bad(c, "the %s's TLSO_HANDSHAKE: %s, not EINPROGRESS",
			 client ? "client" : "server", soak_errname(errno));
		return false;
	}
	return true;
}

/* fd's handshake ended well, and authenticated the peer as planned. */
static bool soak_hs_done(struct soak_conn *c, int fd, uint32_t role)
{
	bool client = role == TLSO_ROLE_CLIENT;
	const char *who = client ? "client" : "server";
	struct tlso_handshake_status st;
	uint32_t auth = TLSO_AUTH_PSK;
	const char *ident = TENV_PSK_IDENTITY;

	if (c->p->x509) {
		auth = client ? TLSO_AUTH_X509 : TLSO_AUTH_NONE;
		ident = client ? TENV_ID_SERVER : "";
	}
	hs_wait(fd, SOAK_WAIT_MS);
	st = hs_get(fd);
	if (st.state != TLSO_HS_DONE) {
		soak_bad(c, "the %s's handshake: state %u, %s", who, st.state,
			 st.status ? soak_errname(st.status) : "no error");
		return false;
	}
	if (st.version != TLS_1_3_VERSION) {
		soak_bad(c, "the %s's handshake: version 0x%x", who,
			 st.version);
		return false;
	}
	if (st.peer_auth != auth || strcmp(st.peer_identity, ident)) {
		/*
		 * How a session resumed from a PSK session names its peer
		 * is the resumption tests' business, not the soak's:
		 * counted and shown, not failed.
		 */
		if (!(st.flags & TLSO_HS_F_RESUMED) || c->p->x509) {
			soak_bad(c, "the %s's handshake: peer %u '%s'", who,
				 st.peer_auth, st.peer_identity);
			return false;
		}
		if (__atomic_add_fetch(&c->r->t.other_id, 1,
				       __ATOMIC_RELAXED) == 1)
			th_log("%s: connection %d: the %s's resumed PSK handshake names its peer %u '%s'",
			       c->r->what, c->i, who, st.peer_auth,
			       st.peer_identity);
	}
	if (client && (st.flags & TLSO_HS_F_RESUMED))
		soak_add(&c->r->t.resumed, 1);
	return true;
}

/*
 * fd's handshake failed with ECONNRESET, the peer having gone, and the
 * socket reports it to the application's reads and writes (tlso.h).
 */
static int soak_hs_reset(struct soak_conn *c, int fd, const char *who)
{
	struct tlso_handshake_status st;
	char b[16];
	ssize_t n;

	hs_wait(fd, SOAK_WAIT_MS);
	st = hs_get(fd);
	if (st.state != TLSO_HS_FAILED || st.status != ECONNRESET)
		return soak_bad(c, "the %s's handshake: state %u, %s, not failed with ECONNRESET",
				who, st.state, st.status ?
				soak_errname(st.status) : "no error");
	n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	if (n != -1 || errno != ECONNRESET)
		return soak_bad(c, "the %s's read after its failed handshake: %zd (%s)",
				who, n,
				n < 0 ? soak_errname(errno) : "no error");
	n = send(fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n != -1 || errno != ECONNRESET)
		return soak_bad(c, "the %s's send after its failed handshake: %zd (%s)",
				who, n,
				n < 0 ? soak_errname(errno) : "no error");
	return SOAK_HS_RESET;
}

/* Until the client's ClientHello reaches the server end: tlsod has it. */
static bool soak_hello_arrived(struct soak_conn *c)
{
	struct pollfd p = { c->srv, POLLIN, 0 };

	if (poll(&p, 1, SOAK_WAIT_MS) == 1 && (p.revents & POLLIN))
		return true;
	soak_bad(c, "no ClientHello within %d ms", SOAK_WAIT_MS);
	return false;
}

/* ---- the kinds ---- */

/* The planned bytes each way, each compared where it arrives. */
static bool soak_data(struct soak_conn *c)
{
	unsigned char out[SOAK_DATA_MAX], in[SOAK_DATA_MAX];
	const int fds[2][2] = { { c->cli, c->srv }, { c->srv, c->cli } };
	const size_t len[2] = { c->p->c2s, c->p->s2c };
	int dir;
	size_t k;

	for (dir = 0; dir < 2; dir++) {
		for (k = 0; k < len[dir]; k++)
			out[k] = sock_pattern(k, c->p->seed + dir);
		if (soak_send_all(fds[dir][0], out, len[dir], SOAK_IO_MS)) {
			soak_bad(c, "sending %zu bytes %s: %s", len[dir],
				 dir ? "to the client" : "to the server",
				 soak_errname(errno));
			return false;
		}
		if (sock_read_exact(fds[dir][1], in, len[dir], SOAK_IO_MS)) {
			soak_bad(c, "reading %zu bytes %s: %s", len[dir],
				 dir ? "from the server" : "from the client",
				 errno ? soak_errname(errno) : "end of file");
			return false;
		}
		if (memcmp(in, out, len[dir])) {
			soak_bad(c, "the %zu bytes %s arrived changed",
				 len[dir], dir ? "from the server" :
				 "from the client");
			return false;
		}
	}
	return true;
}

/*
 * The end of a stream whose other end closed after the handshake: its
 * close_notify reads as end of file, for good; ECONNRESET when TCP
 * reset the connection instead (the closing end had unread data).
 */
static int soak_stream_end(struct soak_conn *c, int fd, const char *who)
{
	int err = soak_read_end(fd, SOAK_IO_MS);
	char b;

	if (err == ECONNRESET)
		return SOAK_RESET;
	if (err)
		return soak_bad(c, "the %s read %s at the end, not end of file or ECONNRESET",
				who, err < 0 ? "data" : soak_errname(err));
	if (recv(fd, &b, 1, MSG_DONTWAIT) != 0)
		return soak_bad(c, "the %s's second read after end of file: %s",
				who, soak_errname(errno));
	return SOAK_EOF;
}

/* full, and peer-closed when the server end closes first. */
static int soak_full(struct soak_conn *c, bool peer_closes)
{
	if (!soak_hs_begin(c, c->srv, TLSO_ROLE_SERVER) ||
	    !soak_hs_begin(c, c->cli, TLSO_ROLE_CLIENT) ||
	    !soak_hs_done(c, c->srv, TLSO_ROLE_SERVER) ||
	    !soak_hs_done(c, c->cli, TLSO_ROLE_CLIENT) || !soak_data(c))
		return SOAK_BAD;
	if (peer_closes) {
		soak_close(&c->srv);
		return soak_stream_end(c, c->cli, "client");
	}
	soak_close(&c->cli);
	return soak_stream_end(c, c->srv, "server");
}

/*
 * mid-handshake: the server end asks for no handshake and goes, at once
 * (its FIN may reach the client before tlsod takes the request) or with
 * the ClientHello unread (a reset).  Either way the client's handshake
 * fails with ECONNRESET (tlsod(8), ERRORS).
 */
static int soak_mid_handshake(struct soak_conn *c)
{
	if (!soak_hs_begin(c, c->cli, TLSO_ROLE_CLIENT))
		return SOAK_BAD;
	if (c->p->variant && !soak_hello_arrived(c))
		return SOAK_BAD;
	soak_close(&c->srv);
	return soak_hs_reset(c, c->cli, "client");
}

/*
 * closed-while-pending.  At once: the request may still be queued (it
 * ends, the socket closes, the server's handshake fails with
 * ECONNRESET) or just taken (it goes on, as below).  Held: tlsod's worker
 * holds the socket and has sent the ClientHello; the application's close
 * must not end the handshake (tlso.h: the socket stays open until tlsod
 * has closed its descriptor too), so the server's, asked for only now,
 * ends well, and then reads the client's close_notify.
 */
static int soak_closed_pending(struct soak_conn *c)
{
	uint32_t state;

	if (c->p->variant) {
		if (!soak_hs_begin(c, c->cli, TLSO_ROLE_CLIENT) ||
		    !soak_hello_arrived(c))
			return SOAK_BAD;
		soak_close(&c->cli);
		if (!soak_hs_begin(c, c->srv, TLSO_ROLE_SERVER))
			return SOAK_BAD;
	} else {
		if (!soak_hs_begin(c, c->srv, TLSO_ROLE_SERVER) ||
		    !soak_hs_begin(c, c->cli, TLSO_ROLE_CLIENT))
			return SOAK_BAD;
		soak_close(&c->cli);
	}
	state = hs_wait(c->srv, SOAK_WAIT_MS);
	if (state == TLSO_HS_FAILED && !c->p->variant)
		return soak_hs_reset(c, c->srv, "server");
	if (!soak_hs_done(c, c->srv, TLSO_ROLE_SERVER))
		return SOAK_BAD;
	return soak_stream_end(c, c->srv, "server");
}

static void soak_one(struct soak_run *r, struct soak_thread *t, int i)
{
	struct soak_conn c = {
		.r = r, .p = &r->plan[i], .i = i, .cli = -1, .srv = -1,
	};
	int kind = c.p->kind, out;
	int done;

	if (soak_pair(&c, t)) {
		out = SOAK_BAD;
	} else {
		switch (kind) {
		case SOAK_FULL:
			out = soak_full(&c, false);
			break;
		case SOAK_PEER_CLOSED:
			out = soak_full(&c, true);
			break;
		case SOAK_MID_HANDSHAKE:
			out = soak_mid_handshake(&c);
			break;
		default:
			out = soak_closed_pending(&c);
			break;
		}
	}
	soak_close(&c.cli);
	soak_close(&c.srv);

	soak_add(&r->t.n[kind], 1);
	soak_add(&r->t.out[kind][out], 1);
	if (c.p->variant && kind >= SOAK_MID_HANDSHAKE)
		soak_add(&r->t.variant[kind], 1);
	soak_add(c.p->x509 ? &r->t.x509 : &r->t.psk, 1);
	done = __atomic_add_fetch(&r->t.done, 1, __ATOMIC_RELAXED);
	/* Minutes pass without a line on the debug kernel otherwise. */
	if (r->progress && done % r->progress == 0)
		th_log("%s: %d of %d connections after %.0f s", r->what, done,
		       r->n, tenv_now() - r->t0);
}

static void *soak_thread_main(void *arg)
{
	struct soak_thread *t = arg;
	struct soak_run *r = t->r;
	int i;

	for (;;) {
		/* Not one more once the budget is gone: the run says so. */
		if (tenv_now() > r->deadline)
			break;
		i = __atomic_fetch_add(&r->next, 1, __ATOMIC_RELAXED);
		if (i >= r->n)
			break;
		soak_one(r, t, i);
	}
	return NULL;
}

/* Run r's plan, parallel connections at a time, each thread its listener. */
static void soak_run(struct soak_run *r, int parallel)
{
	struct soak_thread t[SOAK_MAX_PARALLEL];
	int k;

	r->t0 = tenv_now();
	r->deadline = r->t0 + SOAK_BUDGET_BASE_S +
		      (double)r->n * SOAK_BUDGET_PER_CONN_MS / 1000.0;
	for (k = 0; k < parallel; k++) {
		t[k].r = r;
		t[k].lfd = sock_listen(AF_INET, &t[k].addr, &t[k].addrlen);
		ASSERT_OK(t[k].lfd);
		ASSERT_EQ(pthread_create(&t[k].th, NULL, soak_thread_main,
					 &t[k]), 0);
	}
	for (k = 0; k < parallel; k++) {
		pthread_join(t[k].th, NULL);
		close(t[k].lfd);
	}
}

/* ---- figures ---- */

struct soak_fig {
	long slab, sunreclaim;		/* KiB, /proc/meminfo */
	long tcp_alloc, tcp_tw;		/* /proc/net/sockstat */
	long tcp_objs, tw_objs, inode_objs;	/* /proc/slabinfo */
	long rss;			/* tlsod's VmRSS, KiB */
	int fds;			/* tlsod's descriptors */
	long attached, curr_tx, curr_rx, attached_ever;	/* tlso_stat */
};

/* The "key: N kB" line of a /proc file, or -1. */
static long soak_kib(const char *path, const char *key)
{
	size_t n = strlen(key);
	char line[256];
	long v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* TCP's sockets allocated and in TIME_WAIT, from sockstat. */
static void soak_sockstat(long *alloc, long *tw)
{
	char line[256];
	FILE *f = fopen("/proc/net/sockstat", "re");

	*alloc = -1;
	*tw = -1;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "TCP: inuse %*d orphan %*d tw %ld alloc %ld",
			   tw, alloc) == 2)
			break;
	fclose(f);
}

static long soak_tcp_alloc(void)
{
	long alloc, tw;

	soak_sockstat(&alloc, &tw);
	return alloc;
}

/*
 * Active objects of the socket caches.  tlso's own memory comes from
 * kmalloc's caches, which it shares with everyone, so these are the
 * nearest thing to tlso's caches that slabinfo names.
 */
static void soak_slabinfo(struct soak_fig *f)
{
	char line[512], name[64];
	long active;
	FILE *in = fopen("/proc/slabinfo", "re");

	f->tcp_objs = -1;
	f->tw_objs = -1;
	f->inode_objs = -1;
	if (!in)
		return;
	while (fgets(line, sizeof(line), in)) {
		if (sscanf(line, "%63s %ld", name, &active) != 2)
			continue;
		if (!strcmp(name, "TCP"))
			f->tcp_objs = active;
		else if (!strcmp(name, "tw_sock_TCP"))
			f->tw_objs = active;
		else if (!strcmp(name, "sock_inode_cache"))
			f->inode_objs = active;
	}
	fclose(in);
}

/*
 * Give every slab cache's empty slabs back, and with KASAN its
 * quarantine of freed objects (up to 1/32 of memory, still counted as
 * slab), so that two measurements compare what is in use.  How many
 * caches shrank.
 */
static int soak_shrink_slabs(void)
{
	char path[PATH_MAX];
	struct dirent *d;
	struct stat st;
	DIR *dir = opendir("/sys/kernel/slab");
	int fd, shrunk = 0;

	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		/* merged caches' aliases are links to the same cache */
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s", d->d_name);
		if (lstat(path, &st) || !S_ISDIR(st.st_mode))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 d->d_name);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* one that cannot shrink is measured as it is */
		shrunk += write(fd, "1", 1) == 1;
		close(fd);
	}
	closedir(dir);
	return shrunk;
}

static void soak_measure(const struct tenv *e, struct soak_fig *f,
			 const char *when)
{
	char status[64];

	snprintf(status, sizeof(status), "/proc/%d/status", (int)e->tlsod);
	f->slab = soak_kib("/proc/meminfo", "Slab");
	f->sunreclaim = soak_kib("/proc/meminfo", "SUnreclaim");
	soak_sockstat(&f->tcp_alloc, &f->tcp_tw);
	soak_slabinfo(f);
	f->rss = e->tlsod > 0 ? soak_kib(status, "VmRSS") : -1;
	f->fds = e->tlsod > 0 ? tenv_fd_count(e->tlsod) : -1;
	f->attached = kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED);
	f->curr_tx = kmod_tlso_stat(TLSO_STAT_CURR_TX);
	f->curr_rx = kmod_tlso_stat(TLSO_STAT_CURR_RX);
	f->attached_ever = kmod_tlso_stat(TLSO_STAT_ATTACHED);
	th_log("soak: %s: Slab %ld KiB, SUnreclaim %ld KiB; TCP sockets %ld, TIME_WAIT %ld; slabinfo TCP %ld tw_sock_TCP %ld sock_inode_cache %ld; tlsod RSS %ld KiB, %d fds; TlsoCurrAttached %ld TlsoCurrTx %ld TlsoCurrRx %ld (TlsoAttached %ld)",
	       when, f->slab, f->sunreclaim, f->tcp_alloc, f->tcp_tw,
	       f->tcp_objs, f->tw_objs, f->inode_objs, f->rss, f->fds,
	       f->attached, f->curr_tx, f->curr_rx, f->attached_ever);
}

/*
 * Everything at rest before a measurement: tlsod with no worker and its
 * starting descriptors, the module's sockets gone, TCP's down to
 * tcp_max (-1: no bound), frees that wait for RCU done, slabs shrunk.
 */
static void soak_quiet(struct tenv *e, long tcp_max)
{
	double end;

	EXPECT_TRUE(tenv_daemon_idle(e, SOAK_IDLE_MS));
	end = tenv_now() + SOAK_DRAIN_S;
	while (kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED) > e->attached0 &&
	       tenv_now() < end)
		tenv_msleep(50);
	while (tcp_max >= 0 && soak_tcp_alloc() > tcp_max && tenv_now() < end)
		tenv_msleep(50);
	tenv_msleep(SOAK_SETTLE_MS);
	th_log("soak: %d slab caches shrunk", soak_shrink_slabs());
}

/* ---- settings ---- */

static long soak_env(const char *name, long def, long min, long max)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max) {
		th_fail(__FILE__, __LINE__, "%s='%s': not a number from %ld to %ld",
			name, s, min, max);
		th_bail();
	}
	return v;
}

static uint64_t soak_seed(void)
{
	const char *s = getenv("TLSO_SOAK_SEED");
	struct timespec ts;
	char *end;
	uint64_t v;

	if (s && *s) {
		errno = 0;
		v = strtoull(s, &end, 0);
		if (errno || *end) {
			th_fail(__FILE__, __LINE__, "TLSO_SOAK_SEED='%s': not a number",
				s);
			th_bail();
		}
		return v;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec ^
	       (uint64_t)getpid() << 32;
}

/* ---- the test ---- */

static void soak_show_tally(const struct soak_run *r)
{
	const struct soak_tally *t = &r->t;
	const int (*o)[SOAK_OUTS] = t->out;

	th_log("%s: full %d: the server read end of file %d, ECONNRESET %d; failed %d",
	       r->what, t->n[SOAK_FULL], o[SOAK_FULL][SOAK_EOF],
	       o[SOAK_FULL][SOAK_RESET], o[SOAK_FULL][SOAK_BAD]);
	th_log("%s: peer-closed %d: the client read end of file %d, ECONNRESET %d; failed %d",
	       r->what, t->n[SOAK_PEER_CLOSED], o[SOAK_PEER_CLOSED][SOAK_EOF],
	       o[SOAK_PEER_CLOSED][SOAK_RESET], o[SOAK_PEER_CLOSED][SOAK_BAD]);
	th_log("%s: mid-handshake %d (%d after the ClientHello): the client's handshake ECONNRESET %d; failed %d",
	       r->what, t->n[SOAK_MID_HANDSHAKE],
	       t->variant[SOAK_MID_HANDSHAKE],
	       o[SOAK_MID_HANDSHAKE][SOAK_HS_RESET],
	       o[SOAK_MID_HANDSHAKE][SOAK_BAD]);
	th_log("%s: closed-while-pending %d (%d held by tlsod): the server's handshake done, then end of file %d, ECONNRESET %d; its handshake ECONNRESET %d; failed %d",
	       r->what, t->n[SOAK_CLOSED_PENDING],
	       t->variant[SOAK_CLOSED_PENDING],
	       o[SOAK_CLOSED_PENDING][SOAK_EOF],
	       o[SOAK_CLOSED_PENDING][SOAK_RESET],
	       o[SOAK_CLOSED_PENDING][SOAK_HS_RESET],
	       o[SOAK_CLOSED_PENDING][SOAK_BAD]);
	th_log("%s: X.509 %d, PSK %d; resumed client handshakes %d (resumed PSK ones naming another peer %d); sockets attached %d",
	       r->what, t->x509, t->psk, t->resumed, t->other_id,
	       t->attached);
}

/* Every connection of r ran, and ended as its kind allows. */
static void soak_check_run(const struct soak_run *r)
{
	int k, o, sum = 0;

	soak_show_tally(r);
	if (r->t.done < r->n)
		th_log("%s: out of time: %d of %d connections in %.0f s",
		       r->what, r->t.done, r->n, tenv_now() - r->t0);
	EXPECT_EQ(r->t.done, r->n);
	EXPECT_EQ(r->t.bad, 0);
	for (k = 0; k < SOAK_KINDS; k++)
		for (o = 0; o < SOAK_OUTS; o++)
			sum += r->t.out[k][o];
	EXPECT_EQ(sum, r->t.done);
}

TENV_FIXTURE(soak)

TEST_F_TIMEOUT(soak, connections, SOAK_CASE_TIMEOUT_S)
{
	struct tenv *e = &self->e;
	int n = soak_env("TLSO_SOAK_CONNECTIONS", SOAK_DEFAULT_N, 1,
			 SOAK_MAX_N);
	int parallel = soak_env("TLSO_SOAK_PARALLEL", SOAK_DEFAULT_PARALLEL,
				1, SOAK_MAX_PARALLEL);
	uint64_t seed = soak_seed();
	struct soak_plan warm_plan[SOAK_WARMUP];
	struct soak_run warm = {
		.e = e, .what = "warm-up", .plan = warm_plan,
		.n = SOAK_WARMUP,
	};
	struct soak_run run = { .e = e, .what = "soak", .n = n };
	struct soak_fig cold, before, after;
	struct soak_plan *plan;
	long rss_slack;
	double took;

	th_log("soak: %d connections, %d at a time, seed %llu (TLSO_SOAK_SEED=%llu repeats the plan)",
	       n, parallel, (unsigned long long)seed,
	       (unsigned long long)seed);
	plan = calloc(n, sizeof(*plan));
	ASSERT_NE(plan, NULL);
	soak_make_plan(plan, n, seed);
	soak_make_warmup(warm_plan, SOAK_WARMUP, seed);
	run.plan = plan;
	run.progress = n >= 1000 ? n / 10 : 0;

	soak_quiet(e, -1);
	soak_measure(e, &cold, "at the start");
	soak_run(&warm, parallel);
	soak_check_run(&warm);
	soak_quiet(e, -1);
	soak_measure(e, &before, "before");

	soak_run(&run, parallel);
	took = tenv_now() - run.t0;
	soak_check_run(&run);
	soak_quiet(e, before.tcp_alloc);
	soak_measure(e, &after, "after");
	free(plan);

	/* Every socket the soak attached was counted, none elsewhere. */
	EXPECT_EQ(after.attached_ever - before.attached_ever,
		  (long)run.t.attached);
	/* The module holds no socket, keys or request of the soak's. */
	EXPECT_EQ(after.attached, e->attached0);
	EXPECT_EQ(after.attached, before.attached);
	EXPECT_EQ(after.curr_tx, before.curr_tx);
	EXPECT_EQ(after.curr_rx, before.curr_rx);
	/* Nor does TCP: every connection's sockets are freed. */
	EXPECT_GE(before.tcp_alloc, 0);
	EXPECT_LE(after.tcp_alloc, before.tcp_alloc);
	/* tlsod: exactly its descriptors at rest, its memory within slack. */
	EXPECT_EQ(after.fds, e->tlsod_fds);
	EXPECT_EQ(after.fds, before.fds);
	EXPECT_GT(before.rss, 0);
	rss_slack = before.rss * SOAK_RSS_SLACK_PCT / 100;
	if (rss_slack < SOAK_RSS_SLACK_KIB)
		rss_slack = SOAK_RSS_SLACK_KIB;
	EXPECT_LE(after.rss, before.rss + rss_slack);
	EXPECT_GT(before.sunreclaim, 0);
	EXPECT_LE(after.sunreclaim,
		  before.sunreclaim + SOAK_SUNRECLAIM_SLACK_KIB);

	th_log("soak: %d connections (%d full, %d peer-closed, %d mid-handshake, %d closed-while-pending) in %.0f s; unreclaimable slab %ld -> %ld KiB, tlsod RSS %ld -> %ld KiB, fds %d -> %d, TlsoCurrAttached %ld -> %ld",
	       run.t.done, run.t.n[SOAK_FULL], run.t.n[SOAK_PEER_CLOSED],
	       run.t.n[SOAK_MID_HANDSHAKE], run.t.n[SOAK_CLOSED_PENDING],
	       took, before.sunreclaim, after.sunreclaim, before.rss,
	       after.rss, before.fds, after.fds, before.attached,
	       after.attached);
	th_log("soak: from the start of the case (before the warm-up): unreclaimable slab %ld -> %ld KiB, tlsod RSS %ld -> %ld KiB",
	       cold.sunreclaim, after.sunreclaim, cold.rss, after.rss);
}

TEST_HARNESS_MAIN
