// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM test: allocations that fail inside tlso's calls.
 *
 * The kernel's per-task fail-nth (/proc/thread-self/fail-nth, with
 * CONFIG_FAULT_INJECTION) makes the N-th fault-injectable call of the
 * thread fail: a slab allocation (failslab), a page allocation
 * (fail_page_alloc).  Each operation -- attaching, keys, send, receive,
 * sendfile and splice, the handshake request, tlsod's ACCEPT and DONE,
 * what a socket tlsod set up does on its own, shutdown and close -- is
 * stepped through its sites: a fresh socket set up with nothing injected,
 * N armed right before the one system call under test and disarmed right
 * after it, N = 1, 2, ... until the call makes fewer than N such calls.
 * The count is of everything the call does in this task: TCP's,
 * netlink's and the crypto API's allocations as much as tlso's own.
 *
 * After each step the call must have failed with an errno the interface
 * has for a lack of memory, or worked; and either way the socket goes
 * on: what send() reported sent reaches the peer with no further call, a
 * record that arrived is seen by poll() and read in order, a key that
 * failed to install is installed again, a handshake ends, every socket
 * leaves tlso at its close.  One failure may end the stream instead: a
 * record that could not be sealed or opened in place, its buffer maybe
 * half done (kTLS ends the stream there too); then every later call must
 * say ENOMEM.  Every wait is bounded.  An oops, or a
 * KASAN or lockdep report, fails the run through scripts/vm-run's look
 * at the kernel log; a leak, through the kmemleak scan that the debug
 * lane runs after the suite (scripts/debug/guest).
 *
 * The peer is a plain TCP socket whose records are sealed and opened in
 * userspace with GnuTLS (wire.h), so that it never shares tlso's fate;
 * this program plays tlsod for the upcall (upcall.h).
 *
 * Debian's kernels have no fail-nth, and every case skips there; `make
 * check-debug` runs this on the debug kernel.  The last case sums up.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <linux/tls.h>

#include "harness.h"
#include "kmod.h"
#include "gnutls_peer.h"
#include "ktls_keys.h"
#include "sock.h"
#include "upcall.h"
#include "wire.h"

/*
 * Sites stepped through per operation at most, and failed steps before
 * an operation is given up: one bug tends to fail every step after it.
 */
#define FI_STEPS_MAX	200
#define FI_FAILS_MAX	2
/* For what must arrive; for a netlink answer that may never come. */
#define FI_WAIT_MS	2000
#define FI_NL_MS	1000
/* The patterns of what cli sends and of what it receives. */
#define SEED_TX		51
#define SEED_RX		52
/* Application data "tlsod" read past Finished, handed over with DONE. */
#define FI_EARLY	64
#define FI_BUF		65536
#define FI_OPS_MAX	192
#define FI_ERRS		6

#define TYPE_ALERT	21
#define TYPE_HANDSHAKE	22
#define TYPE_DATA	23

/* ---- fail-nth ---- */

static struct {
	int fd;			/* this thread's fail-nth */
	unsigned int n;		/* the step: its n-th site fails */
	char arm[16];
	int arm_len;
	int calls;		/* FI_CALL()s in this step */
	int armerr;		/* a read or write of fail-nth that failed */
	unsigned int left;	/* fail-nth after the call: 0 once injected */
	const char *op;
	bool ended;		/* the stream failed for good (fi_ended()) */
} fi = { .fd = -1 };

static void fi_arm(void)
{
	if (write(fi.fd, fi.arm, fi.arm_len) != fi.arm_len)
		fi.armerr = errno ? errno : EIO;
}

/* Read back before disarming: writing 0 would lose what the call left. */
static void fi_disarm(void)
{
	char buf[16];
	ssize_t n = pread(fi.fd, buf, sizeof(buf) - 1, 0), i;
	unsigned int v = 0;

	if (n <= 0) {
		fi.armerr = n < 0 ? errno : EIO;
		v = UINT_MAX;
	}
	for (i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		v = v * 10 + (unsigned int)(buf[i] - '0');
	fi.left = v;
	if (write(fi.fd, "0", 1) != 1 && !fi.armerr)
		fi.armerr = errno;
	fi.calls++;
}

/*
 * The one call of a step under injection.  Nothing may run between the
 * arming and the call that allocates or faults a page in: the buffers
 * are filled before, and the memory is locked (fi_lock_memory()).
 */
#define FI_CALL(expr) ({						\
	long _fi_r;							\
	int _fi_e;							\
	fi_arm();							\
	_fi_r = (long)(expr);						\
	_fi_e = errno;							\
	fi_disarm();							\
	errno = _fi_e;							\
	_fi_r;								\
})

/* ---- what was injected, across the cases' processes ---- */

struct fi_op {
	char name[64];
	unsigned int injected;	/* steps whose failure the call consumed */
	unsigned int errnos;	/* ... that ended in an errno */
	unsigned int recovered;	/* ... after which the call worked anyway */
	unsigned int ended;	/* ... that ended the stream with ENOMEM */
	unsigned int bad;	/* ... that did neither: a failed check */
	unsigned int sites;	/* the call's sites, from the last step */
	unsigned int notes;	/* TCP's own failures, tolerated */
	unsigned int ms;	/* how long the stepping took */
	bool capped;
	int err[FI_ERRS];
	unsigned int err_n[FI_ERRS];
};

/* Each case runs in a child of its own: the counts live in shared memory. */
struct fi_stats {
	unsigned int nops;
	struct fi_op ops[FI_OPS_MAX];
};

static struct fi_stats *fi_stats;
static struct fi_op *fi_cur;

static void __attribute__((constructor)) fi_stats_map(void)
{
	void *p = mmap(NULL, sizeof(*fi_stats), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	fi_stats = p == MAP_FAILED ? NULL : p;
}

static const char *fi_errname(int e)
{
	static char buf[32];
	const char *name;

	switch (e) {
	case ENOBUFS:
		return "ENOBUFS";
	case EKEYREJECTED:
		return "EKEYREJECTED";
	case ECANCELED:
		return "ECANCELED";
	case ECONNABORTED:
		return "ECONNABORTED";
	}
	name = th_errno_name(e);
	if (name)
		return name;
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

static void __attribute__((format(printf, 2, 3)))
fi_fail_at(int line, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	th_fail(__FILE__, line, "%s, step %u: %s", fi.op ? fi.op : "setup",
		fi.n, what);
	fflush(stdout);
}

/*
 * As EXPECT: the case fails and goes on; and says whether it held.  Once
 * the stream has failed for good (fi_ended()), what was to follow holds
 * by definition.
 */
#define FI_CHECK(cond, fmt, ...) ({					\
	bool _fi_ok = (cond) || fi.ended;				\
	if (!_fi_ok)							\
		fi_fail_at(__LINE__, fmt, ##__VA_ARGS__);		\
	_fi_ok;								\
})

static void __attribute__((format(printf, 1, 2))) fi_note(const char *fmt,
							  ...)
{
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (fi_cur)
		fi_cur->notes++;
	TH_LOG("%s, step %u: %s", fi.op ? fi.op : "setup", fi.n, what);
}

/* ---- the debugfs attributes ---- */

struct fi_attr {
	const char *name;	/* under /sys/kernel/debug */
	const char *value;
	bool needed;
	bool set;
	char saved[32];
};

/*
 * fail-nth counts a site only once the attribute's own filters let it
 * through, and both pass over every allocation that may sleep by default
 * (ignore-gfp-wait): GFP_KERNEL's, most of tlso's.  fail_page_alloc also
 * passes over order 0 and highmem.  probability 0 keeps every other task
 * clear of failures; verbose 0 keeps a stack dump per failure, thousands
 * of them, out of the kernel log.
 */
#define FI_ATTR(n, v, need) { .name = n, .value = v, .needed = need }

static struct fi_attr fi_attrs[] = {
	FI_ATTR("failslab/ignore-gfp-wait", "N", true),
	FI_ATTR("failslab/cache-filter", "N", false),
	FI_ATTR("failslab/probability", "0", true),
	FI_ATTR("failslab/verbose", "0", true),
	FI_ATTR("fail_page_alloc/ignore-gfp-wait", "N", false),
	FI_ATTR("fail_page_alloc/ignore-gfp-highmem", "N", false),
	FI_ATTR("fail_page_alloc/min-order", "0", false),
	FI_ATTR("fail_page_alloc/probability", "0", false),
	FI_ATTR("fail_page_alloc/verbose", "0", false),
};

#define FI_NATTRS (sizeof(fi_attrs) / sizeof(fi_attrs[0]))

static int fi_attr_write(const char *name, const char *value)
{
	char path[128];
	ssize_t n = (ssize_t)strlen(value);
	int fd, ok;

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = write(fd, value, n) == n;
	close(fd);
	return ok ? 0 : -1;
}

static void fi_config(void)
{
	const char *dir = "/sys/kernel/debug/failslab";
	char path[128];
	size_t i;

	if (access(dir, F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (access(dir, F_OK))
		SKIP("no %s: this kernel has no CONFIG_FAILSLAB with "
		     "CONFIG_FAULT_INJECTION_DEBUG_FS", dir);
	for (i = 0; i < FI_NATTRS; i++) {
		struct fi_attr *a = &fi_attrs[i];

		snprintf(path, sizeof(path), "/sys/kernel/debug/%s", a->name);
		if (kmod_read_file(path, a->saved, sizeof(a->saved))) {
			if (a->needed)
				SKIP("no %s in debugfs", a->name);
			continue;
		}
		a->saved[strcspn(a->saved, "\n")] = 0;
		if (fi_attr_write(a->name, a->value)) {
			ASSERT_FALSE(a->needed);
			continue;
		}
		a->set = true;
	}
}

static void fi_unconfig(void)
{
	size_t i;

	for (i = 0; i < FI_NATTRS; i++) {
		if (fi_attrs[i].set)
			fi_attr_write(fi_attrs[i].name, fi_attrs[i].saved);
		fi_attrs[i].set = false;
	}
}

/* Grown once, so that no stack page faults in while a failure is armed. */
static void __attribute__((noinline)) fi_touch_stack(void)
{
	volatile uint8_t pad[128 * 1024];
	size_t i;

	for (i = 0; i < sizeof(pad); i += 4096)
		pad[i] = 0;
}

/*
 * A page fault in the copy from or to this process's memory would take
 * the injected failure: EFAULT from the copy, which says nothing of
 * tlso.  Locking populates every page, and breaks the copy-on-write
 * sharing with the harness's process that fork() left.
 */
static void fi_lock_memory(void)
{
	fi_touch_stack();
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		TH_LOG("mlockall: %s: page faults may take failures",
		       strerror(errno));
}

/* ---- the connection under test, and the stand-in for tlsod ---- */

struct fi_args {
	size_t len;		/* bytes the call is given */
	size_t rec;		/* records of the peer, in bytes */
	size_t buflen;		/* the reader's buffer */
	int flags;
	int dir;		/* TLS_TX, TLS_RX, or a getsockopt option */
	bool open_first;	/* an open MSG_MORE record before the call */
	bool nopad;		/* TLS_RX_EXPECT_NO_PAD */
};

struct fi_env {
	const char *label;	/* version and cipher, for the report */
	uint16_t version, cipher;
	struct fi_args a;
	int cli, srv;		/* tlso's socket; the raw peer */
	union keys_info ktx, krx;	/* cli's send and receive keys */
	struct wire_usealer to_cli, from_cli;
	bool to_open, from_open;
	size_t tx_sent, tx_seen;	/* from cli: reported sent; verified */
	size_t rx_sent, rx_seen;	/* to cli: sent by the peer; verified */
	struct upcall u;
	bool upcall;
	int dfd;		/* "tlsod"'s descriptor of cli */
	uint64_t req_id;
	bool hs_taken;		/* ACCEPTed, not yet DONE */
	bool daemon;		/* set up by "tlsod": tlso sends KeyUpdates */
	uint8_t c2s[48], s2c[48];
	size_t slen;
	unsigned int ku_seen;	/* tlso's KeyUpdates the peer followed */
	int p[2], memfd;
	long attached;		/* TlsoCurrAttached with none of ours open */
};

static uint8_t fi_out[FI_BUF], fi_in[FI_BUF], fi_rec[WIRE_RECORD_MAX];
static uint8_t peer_wire[4 * WIRE_RECORD_MAX];
static size_t peer_wire_len;

static const uint8_t *pat(size_t off, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		fi_out[i] = sock_pattern(off + i, seed);
	return fi_out;
}

static bool pat_ok(const uint8_t *p, size_t off, size_t len,
		   unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != sock_pattern(off + i, seed))
			return false;
	return true;
}

static long fi_attached(void)
{
	return kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED);
}

static void fi_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Everything queued on the daemon's netlink socket: READYs, TICKETs. */
static void fi_nl_drain(struct fi_env *e)
{
	int fd = nl_socket_get_fd(e->u.sk);
	char buf[8192];

	for (;;) {
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
			continue;
		if (errno != ENOBUFS && errno != EINTR)
			break;
	}
	e->u.ready = 0;
}

static void env_reset(struct fi_env *e)
{
	e->cli = e->srv = e->dfd = e->memfd = -1;
	e->p[0] = e->p[1] = -1;
	e->to_open = e->from_open = false;
	e->tx_sent = e->tx_seen = e->rx_sent = e->rx_seen = 0;
	e->hs_taken = e->daemon = false;
	e->ku_seen = 0;
	peer_wire_len = 0;
}

static void env_close(struct fi_env *e)
{
	/* A request tlsod took ends by DONE, or only at its timeout. */
	if (e->hs_taken && e->dfd >= 0)
		upcall_done(&e->u, e->req_id, e->dfd, EPROTO, NULL, NULL, 0);
	fi_close_fd(&e->dfd);
	fi_close_fd(&e->cli);
	fi_close_fd(&e->srv);
	fi_close_fd(&e->p[0]);
	fi_close_fd(&e->p[1]);
	fi_close_fd(&e->memfd);
	if (e->to_open)
		wire_useal_close(&e->to_cli);
	if (e->from_open)
		wire_useal_close(&e->from_cli);
	if (e->upcall)
		fi_nl_drain(e);
	env_reset(e);
}

/* Every wait of either end bounded; no Nagle delay between records. */
static void fi_sockopts(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	int one = 1;

	ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	ASSERT_OK(setsockopt(fd, SOL_TCP, TCP_NODELAY, &one, sizeof(one)));
}

static void env_pair(struct fi_env *e, bool attach)
{
	ASSERT_OK(sock_pair(AF_INET, &e->cli, &e->srv));
	fi_sockopts(e->cli, 5000);
	fi_sockopts(e->srv, FI_WAIT_MS);
	if (attach)
		ASSERT_OK(sock_attach(e->cli, "tlso"));
}

/* A pair with little room each way, so that TCP soon takes no more. */
static void env_pair_small(struct fi_env *e)
{
	struct sockaddr_storage ss;
	socklen_t len = sock_loopback(AF_INET, &ss);
	int small = 4096, lfd;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(lfd, 0);
	/* Before listen(): the accepted socket inherits it, window and all. */
	ASSERT_OK(setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small,
			     sizeof(small)));
	ASSERT_OK(bind(lfd, (struct sockaddr *)&ss, len));
	ASSERT_OK(listen(lfd, 1));
	ASSERT_OK(getsockname(lfd, (struct sockaddr *)&ss, &len));
	e->cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(e->cli, 0);
	ASSERT_OK(setsockopt(e->cli, SOL_SOCKET, SO_SNDBUF, &small,
			     sizeof(small)));
	ASSERT_OK(connect(e->cli, (struct sockaddr *)&ss, len));
	e->srv = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	close(lfd);
	ASSERT_GE(e->srv, 0);
	fi_sockopts(e->cli, 5000);
	fi_sockopts(e->srv, FI_WAIT_MS);
	ASSERT_OK(sock_attach(e->cli, "tlso"));
}

static void env_make_keys(struct fi_env *e)
{
	keys_make(&e->ktx, e->version, e->cipher, 1, 3);
	keys_make(&e->krx, e->version, e->cipher, 2, 5);
}

/* The peer's ends of cli's keys. */
static void env_sealers(struct fi_env *e)
{
	ASSERT_OK(wire_useal_open(&e->from_cli, &e->ktx));
	e->from_open = true;
	ASSERT_OK(wire_useal_open(&e->to_cli, &e->krx));
	e->to_open = true;
}

static void env_keys(struct fi_env *e)
{
	env_make_keys(e);
	ASSERT_OK(keys_install(e->cli, TLS_TX, &e->ktx));
	ASSERT_OK(keys_install(e->cli, TLS_RX, &e->krx));
	env_sealers(e);
}

static int peer_rekey(struct wire_usealer *w, bool *open,
		      const union keys_info *k)
{
	if (*open)
		wire_useal_close(w);
	*open = false;
	if (wire_useal_open(w, k))
		return -1;
	*open = true;
	return 0;
}

static bool fi_readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, FI_WAIT_MS) == 1;
}

static int fi_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* opendir's own */
}

static bool fi_same_file(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* ---- the peer ---- */

enum {
	PEER_OK,
	PEER_NONE,
	PEER_PART,
	PEER_EOF,
	PEER_RESET,
	PEER_BAD,
	PEER_DATA,
	PEER_TYPE,
};

static const char *const peer_str[] = {
	[PEER_OK] = "ok",
	[PEER_NONE] = "nothing came",
	[PEER_PART] = "part of a record came, then no more of it",
	[PEER_EOF] = "the stream ended",
	[PEER_RESET] = "the connection was reset",
	[PEER_BAD] = "a record that does not open",
	[PEER_DATA] = "bytes other than those sent",
	[PEER_TYPE] = "a record of another type",
};

static int peer_read_n(int fd, uint8_t *p, size_t n, long long end,
		       size_t *got)
{
	*got = 0;
	while (*got < n) {
		struct pollfd pf = { fd, POLLIN, 0 };
		long long left = end - sock_ms();
		ssize_t r;

		if (poll(&pf, 1, left > 0 ? (int)left : 0) != 1)
			return PEER_NONE;
		r = recv(fd, p + *got, n - *got, MSG_DONTWAIT);
		if (r > 0) {
			*got += r;
			continue;
		}
		if (!r)
			return PEER_EOF;
		if (errno == ECONNRESET)
			return PEER_RESET;
		if (errno != EAGAIN && errno != EINTR)
			return PEER_BAD;
	}
	return PEER_OK;
}

/* The next whole record from cli, opened into fi_rec. */
static int peer_record(struct fi_env *e, uint8_t *type, size_t *len, int ms)
{
	static uint8_t rec[WIRE_RECORD_MAX];
	long long end = sock_ms() + ms;
	size_t got, body;
	ssize_t n;
	int res;

	res = peer_read_n(e->srv, rec, 5, end, &got);
	if (res != PEER_OK)
		return got && res != PEER_RESET ? PEER_PART : res;
	body = (size_t)rec[3] << 8 | rec[4];
	if (5 + body > sizeof(rec))
		return PEER_BAD;
	res = peer_read_n(e->srv, rec + 5, body, end, &got);
	if (res != PEER_OK)
		return res == PEER_RESET ? res : PEER_PART;
	if (!e->from_open)
		return PEER_BAD;
	n = wire_uopen(&e->from_cli, rec, 5 + body, type, fi_rec,
		       sizeof(fi_rec));
	if (n < 0)
		return PEER_BAD;
	*len = n;
	return PEER_OK;
}

/* tlso's own KeyUpdate (RFC 8446 4.6.3): its next records, next key. */
static int peer_follow_update(struct fi_env *e, size_t len)
{
	union keys_info k;

	if (len != 5 || memcmp(fi_rec, "\x18\x00\x00\x01", 4) ||
	    fi_rec[4] > 1)
		return -1;
	if (gp_next_keys(e->cipher, e->c2s, e->slen, &k) ||
	    peer_rekey(&e->from_cli, &e->from_open, &k))
		return -1;
	e->ku_seen++;
	return 0;
}

/* len more bytes of cli's stream, checked. */
static int peer_expect(struct fi_env *e, size_t len, int ms)
{
	long long end = sock_ms() + ms;

	while (len) {
		long long left = end - sock_ms();
		uint8_t type;
		size_t n;
		int res;

		res = peer_record(e, &type, &n, left > 0 ? (int)left : 0);
		if (res != PEER_OK)
			return res;
		if (type == TYPE_HANDSHAKE && e->daemon) {
			if (peer_follow_update(e, n))
				return PEER_TYPE;
			continue;
		}
		if (type != TYPE_DATA)
			return PEER_TYPE;
		if (n > len || !pat_ok(fi_rec, e->tx_seen, n, SEED_TX))
			return PEER_DATA;
		e->tx_seen += n;
		len -= n;
	}
	return PEER_OK;
}

/* What follows the last record: PEER_EOF when the stream ended. */
static int peer_end(struct fi_env *e, int ms)
{
	uint8_t type;
	size_t n;
	int res = peer_record(e, &type, &n, ms);

	return res == PEER_OK ? PEER_TYPE : res;
}

/* Records are gathered, then sent in one write: they arrive together. */
static void peer_add(struct fi_env *e, uint8_t type, const void *data,
		     size_t len)
{
	ssize_t r = wire_useal(&e->to_cli, type, data, len,
			       peer_wire + peer_wire_len,
			       sizeof(peer_wire) - peer_wire_len);

	ASSERT_GT(r, 0);
	peer_wire_len += r;
}

static void peer_add_data(struct fi_env *e, size_t len, size_t rec)
{
	while (len) {
		size_t n = len < rec ? len : rec;

		peer_add(e, TYPE_DATA, pat(e->rx_sent, n, SEED_RX), n);
		e->rx_sent += n;
		len -= n;
	}
}

static void peer_flush(struct fi_env *e)
{
	ASSERT_OK(tlso_write_all(e->srv, peer_wire, peer_wire_len));
	peer_wire_len = 0;
}

static void peer_send(struct fi_env *e, size_t len)
{
	peer_add_data(e, len, 16384);
	peer_flush(e);
}

/* The peer's KeyUpdate, not asking for one back; then its next key. */
static void peer_key_update(struct fi_env *e)
{
	static const uint8_t ku[] = { 24, 0, 0, 1, 0 };
	union keys_info k;

	peer_add(e, TYPE_HANDSHAKE, ku, sizeof(ku));
	ASSERT_OK(gp_next_keys(e->cipher, e->s2c, e->slen, &k));
	ASSERT_OK(peer_rekey(&e->to_cli, &e->to_open, &k));
}

/* ---- the application ---- */

enum {
	APP_OK,
	APP_NONE,
	APP_NOPOLL,
	APP_EOF,
	APP_ERR,
	APP_DATA,
};

static const char *app_str(int res, int err)
{
	static const char *const str[] = {
		[APP_OK] = "ok",
		[APP_NONE] = "nothing came",
		[APP_NOPOLL] = "poll() reported nothing, yet a read found "
			       "bytes: a record that arrived was never seen",
		[APP_EOF] = "the stream ended",
		[APP_ERR] = "an error",
		[APP_DATA] = "bytes other than those sent",
	};

	return res == APP_ERR ? fi_errname(err) : str[res];
}

/*
 * A record that could not be sealed or opened in place ends the stream,
 * as in kTLS (its buffer may be half done, and send() may have reported
 * part of it sent): a clean failure when every later call says ENOMEM.
 * err: what the last call said; rx: it was a read.
 */
static bool fi_ended(struct fi_env *e, int err, bool rx)
{
	char c = 0;
	ssize_t r;

	if (err != ENOMEM)
		return false;
	r = rx ? recv(e->cli, &c, 1, MSG_DONTWAIT) :
		 send(e->cli, &c, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r < 0 && errno == ENOMEM)
		fi.ended = true;
	errno = err;
	return fi.ended;
}

static int app_send(struct fi_env *e, size_t len, int flags)
{
	while (len) {
		size_t n = len < FI_BUF ? len : FI_BUF;
		ssize_t r = send(e->cli, pat(e->tx_sent, n, SEED_TX), n,
				 flags);

		if (r <= 0) {
			if (r < 0)
				fi_ended(e, errno, false);
			return -1;
		}
		e->tx_sent += r;
		len -= r;
	}
	return 0;
}

/* len more bytes to cli, read as an application waits for them: poll(). */
static int app_expect(struct fi_env *e, size_t len, int ms, int *err)
{
	long long end = sock_ms() + ms;

	*err = 0;
	while (len) {
		struct pollfd p = { e->cli, POLLIN, 0 };
		long long left = end - sock_ms();
		size_t want = len < FI_BUF ? len : FI_BUF;
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) != 1) {
			r = recv(e->cli, fi_in, want, MSG_DONTWAIT);
			return r > 0 ? APP_NOPOLL : APP_NONE;
		}
		r = recv(e->cli, fi_in, want, MSG_DONTWAIT);
		if (!r)
			return APP_EOF;
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			*err = errno;
			fi_ended(e, errno, true);
			return APP_ERR;
		}
		if (!pat_ok(fi_in, e->rx_seen, r, SEED_RX))
			return APP_DATA;
		e->rx_seen += r;
		len -= r;
	}
	return APP_OK;
}

/* The stream both ways: what is left of each, then 100 bytes more. */
static bool fi_both_ways(struct fi_env *e)
{
	int res, err;

	if (!FI_CHECK(!app_send(e, 100, 0), "a send after it (%s)",
		      strerror(errno)))
		return false;
	res = peer_expect(e, e->tx_sent - e->tx_seen, FI_WAIT_MS);
	if (!FI_CHECK(res == PEER_OK, "the peer reading every byte sent (%s)",
		      peer_str[res]))
		return false;
	peer_send(e, 100);
	res = app_expect(e, e->rx_sent - e->rx_seen, FI_WAIT_MS, &err);
	return FI_CHECK(res == APP_OK, "reading every byte the peer sent (%s)",
			app_str(res, err));
}

/*
 * The rest of what the peer sent, read as an application reads it,
 * waiting with poll() (a record tlso took in but never announced would
 * leave it waiting for ever), then the stream both ways.
 */
static bool fi_read_on(struct fi_env *e, const char *what)
{
	int res, err;

	res = app_expect(e, e->rx_sent - e->rx_seen, FI_WAIT_MS, &err);
	if (!FI_CHECK(res == APP_OK, "%s, waiting with poll() (%s)", what,
		      app_str(res, err)))
		return false;
	return fi_both_ways(e);
}

/* The r > 0 bytes a recv() returned must be the stream's next. */
static bool fi_took(struct fi_env *e, long r, bool peek)
{
	if (!FI_CHECK(pat_ok(fi_in, e->rx_seen, r, SEED_RX), "the %ld bytes "
		      "recv() returned being the stream's next", r))
		return false;
	if (!peek)
		e->rx_seen += r;
	return true;
}

/* After close() or shutdown(SHUT_WR): the end of the stream. */
static void fi_end_of_stream(struct fi_env *e)
{
	int res = peer_end(e, FI_WAIT_MS);

	/* tcp_send_fin() gives up when its skb cannot be had: TCP's own. */
	if (res == PEER_NONE) {
		fi_note("TCP sent no FIN (its own allocation failed)");
		return;
	}
	FI_CHECK(res == PEER_EOF, "the end of the stream after the last "
		 "record (%s)", peer_str[res]);
}

/* ---- the stand-in for tlsod ---- */

static struct tlso_handshake_req fi_req(void)
{
	struct tlso_handshake_req r;

	memset(&r, 0, sizeof(r));
	r.role = TLSO_ROLE_CLIENT;
	strcpy(r.peer_name, "example.test");
	strcpy(r.profile, "p1");
	return r;
}

static int hs_ask(int fd)
{
	struct tlso_handshake_req r = fi_req();

	return setsockopt(fd, SOL_TLS, TLSO_HANDSHAKE, &r, sizeof(r));
}

static struct tlso_handshake_status hs_get(int fd)
{
	struct tlso_handshake_status st;
	socklen_t len = sizeof(st);

	memset(&st, 0, sizeof(st));
	if (getsockopt(fd, SOL_TLS, TLSO_HANDSHAKE, &st, &len))
		st.state = 0xdead;
	return st;
}

static void secret_fill(uint8_t *s, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		s[i] = (uint8_t)(seed * 29 + i * 11 + 5);
}

/* A client request on cli, taken as tlsod takes it. */
static void daemon_take(struct fi_env *e)
{
	fi_nl_drain(e);
	ASSERT_OK(upcall_take_client(&e->u, e->cli, "example.test"));
	e->dfd = e->u.fd;
	e->req_id = e->u.id;
	e->hs_taken = true;
}

/* The keys of the traffic secrets, installed on the daemon's descriptor. */
static void daemon_keys(struct fi_env *e)
{
	e->slen = 32;
	secret_fill(e->c2s, e->slen, 1);
	secret_fill(e->s2c, e->slen, 2);
	ASSERT_OK(gp_keys_from_secret(e->cipher, e->c2s, e->slen, &e->ktx));
	ASSERT_OK(keys_install(e->dfd, TLS_TX, &e->ktx));
	ASSERT_OK(gp_keys_from_secret(e->cipher, e->s2c, e->slen, &e->krx));
	ASSERT_OK(keys_install(e->dfd, TLS_RX, &e->krx));
}

/*
 * DONE, status 0, with everything of DONE's that the kernel keeps memory
 * for: the early data, the secrets, the identity.
 */
static struct nl_msg *daemon_done_msg(struct fi_env *e, uint32_t ku_records)
{
	struct nl_msg *m = upcall_done_msg(&e->u, e->req_id, e->dfd, 0);

	ASSERT_TRUE(m != NULL);
	ASSERT_OK(nla_put_u32(m, TLSO_A_PEER_AUTH, TLSO_AUTH_X509));
	ASSERT_OK(nla_put_string(m, TLSO_A_PEER_IDENTITY, "CN=fault.test"));
	ASSERT_OK(nla_put(m, TLSO_A_RX_DATA, FI_EARLY,
			  pat(0, FI_EARLY, SEED_RX)));
	ASSERT_OK(nla_put(m, TLSO_A_TX_SECRET, e->slen, e->c2s));
	ASSERT_OK(nla_put(m, TLSO_A_RX_SECRET, e->slen, e->s2c));
	ASSERT_OK(nla_put_u32(m, TLSO_A_HASH, TLSO_HASH_SHA256));
	if (ku_records)
		ASSERT_OK(nla_put_u32(m, TLSO_A_KU_RECORDS, ku_records));
	ASSERT_OK(nla_put_u32(m, TLSO_A_RECORD_SIZE_LIMIT,
			      TLSO_RECORD_SIZE_LIMIT_MAX));
	ASSERT_OK(nla_put_flag(m, TLSO_A_TICKETS));
	return m;
}

/* DONE took: the daemon lets go, the peer has the session's keys. */
static void daemon_done_ok(struct fi_env *e)
{
	e->hs_taken = false;
	fi_close_fd(&e->dfd);
	e->daemon = true;
	env_sealers(e);
	/* The early data is the start of the stream to cli. */
	e->rx_sent = FI_EARLY;
}

/* The session a DONE set up: as DONE said, secrets and early data kept. */
static bool fi_session_check(struct fi_env *e)
{
	struct tlso_handshake_status st = hs_get(e->cli);
	int res, err;

	if (!FI_CHECK(st.state == TLSO_HS_DONE &&
		      st.peer_auth == TLSO_AUTH_X509 &&
		      !strcmp(st.peer_identity, "CN=fault.test"),
		      "the handshake reading as DONE said (state %u, "
		      "status %s)", st.state, fi_errname(st.status)))
		return false;
	/* tlso follows it only with the secrets DONE gave. */
	peer_key_update(e);
	peer_add_data(e, 100, 100);
	peer_flush(e);
	res = app_expect(e, e->rx_sent - e->rx_seen, FI_WAIT_MS, &err);
	if (!FI_CHECK(res == APP_OK, "reading the early data, then past the "
		      "peer's KeyUpdate (%s)", app_str(res, err)))
		return false;
	return fi_both_ways(e);
}

/* DONE as tlsod sends it, and the session it sets up. */
static bool daemon_finish(struct fi_env *e)
{
	int rc = upcall_done_send(&e->u, daemon_done_msg(e, 0));

	if (!FI_CHECK(!rc, "DONE (%s)", fi_errname(-rc)))
		return false;
	daemon_done_ok(e);
	return fi_session_check(e);
}

/* A session "tlsod" set up, with nothing injected; its early data read. */
static void daemon_session(struct fi_env *e, uint32_t ku_records)
{
	int err;

	env_pair(e, true);
	daemon_take(e);
	daemon_keys(e);
	ASSERT_EQ(upcall_done_send(&e->u, daemon_done_msg(e, ku_records)), 0);
	daemon_done_ok(e);
	ASSERT_EQ(app_expect(e, FI_EARLY, FI_WAIT_MS, &err), APP_OK);
}

struct nl_answer {
	int err;	/* the kernel's: 0 (an ACK) or a positive errno; -1 */
	int fd;		/* ACCEPT's descriptor, or -1 */
	uint64_t id;
	bool nobufs;	/* the socket lost a message: ENOBUFS */
};

/*
 * The kernel's answer to what was sent raw on the daemon's socket: an
 * error or ACK, or ACCEPT's reply.  A netlink ACK that could not be
 * allocated is no answer at all, only ENOBUFS on the socket.
 */
static void nl_collect(struct fi_env *e, struct nl_answer *a)
{
	static uint8_t buf[32768] __attribute__((aligned(8)));
	int fd = nl_socket_get_fd(e->u.sk);

	a->err = -1;
	a->fd = -1;
	a->id = 0;
	a->nobufs = false;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		size_t off = 0;
		ssize_t n;

		if (poll(&p, 1, FI_NL_MS) != 1)
			return;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS)
				a->nobufs = true;
			else if (errno != EAGAIN && errno != EINTR)
				return;
			continue;
		}
		while (off + sizeof(struct nlmsghdr) <= (size_t)n) {
			struct nlmsghdr *h = (struct nlmsghdr *)(buf + off);
			struct nlattr *t[TLSO_A_MAX + 1];
			struct genlmsghdr *g = NLMSG_DATA(h);

			if (h->nlmsg_len < sizeof(*h) ||
			    off + h->nlmsg_len > (size_t)n)
				break;
			off += NLMSG_ALIGN(h->nlmsg_len);
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *me = NLMSG_DATA(h);

				a->err = -me->error;
				continue;
			}
			if (h->nlmsg_type != e->u.family ||
			    g->cmd != TLSO_CMD_ACCEPT ||
			    genlmsg_parse(h, 0, t, TLSO_A_MAX, NULL) ||
			    !t[TLSO_A_SOCKFD])
				continue;
			a->fd = (int)nla_get_u32(t[TLSO_A_SOCKFD]);
			if (t[TLSO_A_REQ_ID])
				a->id = nla_get_u64(t[TLSO_A_REQ_ID]);
		}
		if (a->err >= 0 || a->fd >= 0)
			return;
	}
}

/* ---- the runner ---- */

static struct fi_op *fi_op_new(const char *label, const char *what)
{
	static struct fi_op spare;
	struct fi_op *op = &spare;

	if (fi_stats && fi_stats->nops < FI_OPS_MAX)
		op = &fi_stats->ops[fi_stats->nops++];
	memset(op, 0, sizeof(*op));
	snprintf(op->name, sizeof(op->name), "%s%s%s", label ? label : "",
		 label ? ": " : "", what);
	return op;
}

static void fi_op_errno(struct fi_op *op, int err)
{
	int i;

	for (i = 0; i < FI_ERRS; i++) {
		if (!op->err_n[i])
			op->err[i] = err;
		if (op->err[i] == err) {
			op->err_n[i]++;
			return;
		}
	}
}

static void fi_op_errnos(const struct fi_op *op, char *buf, size_t size)
{
	size_t len = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < FI_ERRS && op->err_n[i] && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%s x%u",
				i ? ", " : "", fi_errname(op->err[i]),
				op->err_n[i]);
}

static void fi_op_log(const struct fi_op *op)
{
	char errs[160];

	fi_op_errnos(op, errs, sizeof(errs));
	TH_LOG("%s: %u failures injected (%u sites%s, %u.%u s): %u "
	       "errnos%s%s%s, %u recovered, %u ended the stream, %u neither",
	       op->name, op->injected, op->sites,
	       op->capped ? " or more" : "", op->ms / 1000,
	       op->ms % 1000 / 100, op->errnos, errs[0] ? " (" : "", errs,
	       errs[0] ? ")" : "", op->recovered, op->ended, op->bad);
}

static bool fi_listed(const int *errnos, int err)
{
	for (; *errnos; errnos++)
		if (*errnos == err)
			return true;
	return false;
}

/*
 * Step through the sites of one call.  step() sets up from nothing,
 * makes the call under FI_CALL() once, checks what follows, closes
 * everything, and returns the errno the failure came out as (0: none).
 */
static void fi_run(struct fi_env *e, const char *what, const int *errnos,
		   int (*step)(struct fi_env *e))
{
	struct fi_op *op = fi_op_new(e->label, what);
	long long start = sock_ms();
	unsigned int n;
	int fails = 0;

	fi.op = op->name;
	fi_cur = op;
	for (n = 1; n <= FI_STEPS_MAX; n++) {
		int nfail = th_res->nfail, surfaced;
		bool ended;
		long attached;

		fi.n = n;
		fi.arm_len = snprintf(fi.arm, sizeof(fi.arm), "%u", n);
		fi.calls = 0;
		fi.armerr = 0;
		fi.left = UINT_MAX;
		fi.ended = false;
		surfaced = step(e);
		ended = fi.ended;
		fi.ended = false;
		ASSERT_EQ(fi.calls, 1);
		ASSERT_EQ(fi.armerr, 0);
		attached = fi_attached();
		FI_CHECK(attached == e->attached, "every socket of the step "
			 "leaving tlso at its close (%ld attached, %ld "
			 "before)", attached, e->attached);
		if (fi.left) {
			/* Fewer sites than n: this run had no failure. */
			op->sites = n - fi.left;
			FI_CHECK(!surfaced, "the call with no failure injected "
				 "(%s)", fi_errname(surfaced));
			break;
		}
		op->injected++;
		if (th_res->nfail != nfail) {
			op->bad++;
			if (++fails < FI_FAILS_MAX)
				continue;
			TH_LOG("%s: given up after %d failed steps", op->name,
			       fails);
			break;
		}
		if (ended) {
			op->ended++;
		} else if (!surfaced) {
			op->recovered++;
		} else if (fi_listed(errnos, surfaced)) {
			op->errnos++;
			fi_op_errno(op, surfaced);
		} else {
			op->bad++;
			fi_fail_at(__LINE__, "the failure coming out as %s, "
				   "not an errno this call has for a lack of "
				   "memory", fi_errname(surfaced));
		}
	}
	if (n > FI_STEPS_MAX)
		op->capped = true;
	op->ms = (unsigned int)(sock_ms() - start);
	fi_op_log(op);
	fi.op = NULL;
	fi_cur = NULL;
}

static const int E_NONE[] = { 0 };
static const int E_NOMEM[] = { ENOMEM, 0 };
/* A non-blocking send: TCP's EAGAIN when it could not take a record. */
static const int E_NOMEM_AGAIN[] = { ENOMEM, EAGAIN, 0 };
/*
 * splice() out of a socket: generic_file_splice_read() turns a copy into
 * the pipe that found no page (EFAULT) into EAGAIN, by design.
 */
static const int E_SPLICE_OUT[] = { ENOMEM, EAGAIN, 0 };
/* Netlink: ENOBUFS for a message, or an answer, it could not allocate. */
static const int E_NETLINK[] = { ENOMEM, ENOBUFS, 0 };
/*
 * DONE: the handshake's status.  ENOMEM when tlso could not keep the
 * early data or the state for KeyUpdates (tlso_ku_install()); EIO there
 * would blame secrets that were right.
 */
static const int E_DONE[] = { ENOMEM, ENOBUFS, 0 };

/* ---- keys ---- */

/* The key as installed; the nonce and sequence number as they stand. */
static bool key_is(struct fi_env *e, int dir, const union keys_info *want)
{
	const struct keys_cipher *c = keys_cipher(e->cipher);
	socklen_t len = c->size;
	union keys_info got;

	memset(&got, 0, sizeof(got));
	return !getsockopt(e->cli, SOL_TLS, dir, &got, &len) &&
	       len == c->size && !memcmp(&got, want, c->size);
}

static bool key_unset(struct fi_env *e, int dir)
{
	struct tls_crypto_info info;
	socklen_t len = sizeof(info);

	return getsockopt(e->cli, SOL_TLS, dir, &info, &len) == -1 &&
	       errno == EBUSY;
}

static int step_key_install(struct fi_env *e)
{
	int dir = e->a.dir, other = dir == TLS_TX ? TLS_RX : TLS_TX;
	union keys_info *k = dir == TLS_TX ? &e->ktx : &e->krx;
	union keys_info *ko = dir == TLS_TX ? &e->krx : &e->ktx;
	const char *name = dir == TLS_TX ? "TLS_TX" : "TLS_RX";
	long r;
	int err;

	env_pair(e, true);
	env_make_keys(e);
	env_sealers(e);
	/* A record that came first is read with the key, however it went. */
	if (dir == TLS_RX)
		peer_send(e, 200);
	r = FI_CALL(keys_install(e->cli, dir, k));
	err = errno;
	if (r) {
		if (!FI_CHECK(key_unset(e, dir), "%s reading as not set "
			      "(EBUSY) after its install failed", name) ||
		    !FI_CHECK(!keys_install(e->cli, dir, k), "installing %s "
			      "again after the failure (%s)", name,
			      strerror(errno)))
			goto out;
	} else if (!FI_CHECK(key_is(e, dir, k), "%s reading back as "
			     "installed", name)) {
		goto out;
	}
	ASSERT_OK(keys_install(e->cli, other, ko));
	fi_both_ways(e);
out:
	env_close(e);
	return r ? err : 0;
}

/* TLS 1.3: a direction's keys set again; a failure keeps the old ones. */
static int step_key_rekey(struct fi_env *e)
{
	bool tx = e->a.dir == TLS_TX;
	union keys_info next, old;
	long r;
	int err;

	env_pair(e, true);
	env_keys(e);
	ASSERT_OK(app_send(e, 100, 0));
	ASSERT_EQ(peer_expect(e, 100, FI_WAIT_MS), PEER_OK);
	peer_send(e, 100);
	ASSERT_EQ(app_expect(e, 100, FI_WAIT_MS, &err), APP_OK);
	keys_make(&next, TLS_1_3_VERSION, e->cipher, tx ? 7 : 8, 0);
	/* The old key after one record each way (env_make_keys()). */
	keys_make(&old, TLS_1_3_VERSION, e->cipher, tx ? 1 : 2, tx ? 4 : 6);
	r = FI_CALL(keys_install(e->cli, e->a.dir, &next));
	err = errno;
	if (!r) {
		if (!FI_CHECK(key_is(e, e->a.dir, &next), "the new key reading "
			      "back as installed"))
			goto out;
		ASSERT_OK(peer_rekey(tx ? &e->from_cli : &e->to_cli,
				     tx ? &e->from_open : &e->to_open, &next));
	} else if (!FI_CHECK(key_is(e, e->a.dir, &old), "the old key, and "
			     "its sequence number, still in place after the "
			     "rekey failed")) {
		goto out;
	}
	fi_both_ways(e);
out:
	env_close(e);
	return r ? err : 0;
}

/* ---- send ---- */

static int step_send(struct fi_env *e)
{
	size_t len = e->a.len, done, owed;
	int flags = e->a.flags, err, res;
	const uint8_t *buf;
	long r;

	env_pair(e, true);
	env_keys(e);
	if (e->a.open_first)
		ASSERT_OK(app_send(e, 50, MSG_MORE));
	buf = pat(e->tx_sent, len, SEED_TX);
	r = FI_CALL(send(e->cli, buf, len, flags));
	err = errno;
	if (!FI_CHECK(r <= (long)len, "send() reporting at most what it was "
		      "given (%ld)", r))
		goto out;
	done = r > 0 ? (size_t)r : 0;
	e->tx_sent += done;
	/*
	 * What send() reported sent leaves by itself, unless the caller
	 * said more is to come: nothing else may be needed to push it.
	 */
	owed = e->tx_sent - e->tx_seen;
	if (r > 0 && !(flags & MSG_MORE)) {
		res = peer_expect(e, owed, FI_WAIT_MS);
		if (!FI_CHECK(res == PEER_OK, "the %zu bytes send() reported "
			      "sent reaching the peer with no further call "
			      "(%s)", owed, peer_str[res]))
			goto out;
	}
	if (!FI_CHECK(!app_send(e, len - done + 10, 0), "sending the rest "
		      "(%s)", strerror(errno)))
		goto out;
	fi_both_ways(e);
out:
	env_close(e);
	return r < 0 ? err : 0;
}

static int step_send_control(struct fi_env *e)
{
	static const uint8_t alert[2] = { 1, 0 };
	uint8_t type = 0;
	size_t n = 0;
	int err, res;
	long r;

	env_pair(e, true);
	env_keys(e);
	r = FI_CALL(wire_send_type(e->cli, alert, sizeof(alert), TYPE_ALERT,
				   0));
	err = errno;
	if (r >= 0) {
		if (!FI_CHECK(r == 2, "sendmsg() sending the whole alert (%ld)",
			      r))
			goto out;
		res = peer_record(e, &type, &n, FI_WAIT_MS);
		if (!FI_CHECK(res == PEER_OK && type == TYPE_ALERT && n == 2 &&
			      !memcmp(fi_rec, alert, 2), "the peer reading "
			      "the alert record sendmsg() reported sent (%s)",
			      res == PEER_OK ? "another record" :
			      peer_str[res]))
			goto out;
	}
	fi_both_ways(e);
out:
	env_close(e);
	return r < 0 ? err : 0;
}

/* ---- receive ---- */

static int step_recv(struct fi_env *e)
{
	int flags = e->a.flags, one = 1, err;
	long r;

	env_pair(e, true);
	env_keys(e);
	if (e->a.nopad)
		ASSERT_OK(setsockopt(e->cli, SOL_TLS, TLS_RX_EXPECT_NO_PAD,
				     &one, sizeof(one)));
	peer_add_data(e, e->a.len, e->a.rec);
	peer_flush(e);
	ASSERT_TRUE(fi_readable(e->cli));
	r = FI_CALL(recv(e->cli, fi_in, e->a.buflen, flags));
	err = errno;
	if (r > 0) {
		if (!FI_CHECK((size_t)r <= e->a.buflen, "recv() returning at "
			      "most the %zu bytes asked for (%ld)",
			      e->a.buflen, r) ||
		    !fi_took(e, r, flags & MSG_PEEK))
			goto out;
	} else if (!FI_CHECK(r < 0, "recv() returning data or an error, not "
			     "the end")) {
		goto out;
	}
	/* The next record comes later, while the application waits. */
	peer_send(e, 200);
	fi_read_on(e, "reading on after it");
out:
	env_close(e);
	return r < 0 ? err : 0;
}

static int step_recv_control(struct fi_env *e)
{
	static const uint8_t alert[2] = { 1, 0 };
	int err;
	uint8_t type = 0;
	long r, got;

	env_pair(e, true);
	env_keys(e);
	peer_add(e, TYPE_ALERT, alert, sizeof(alert));
	peer_flush(e);
	ASSERT_TRUE(fi_readable(e->cli));
	r = FI_CALL(wire_recv_type(e->cli, fi_in, 16, &type, 0));
	err = errno;
	got = r;
	/* Not read: the record stays for the next read. */
	if (r < 0 && fi_readable(e->cli))
		got = wire_recv_type(e->cli, fi_in, 16, &type, MSG_DONTWAIT);
	if (!FI_CHECK(got == 2 && type == TYPE_ALERT &&
		      !memcmp(fi_in, alert, 2), "the alert record read, with "
		      "its type (%ld bytes of type %u)", got, type))
		goto out;
	peer_send(e, 200);
	fi_read_on(e, "reading on after it");
out:
	env_close(e);
	return r < 0 ? err : 0;
}

/* ---- sendfile and splice ---- */

static int step_sendfile(struct fi_env *e)
{
	size_t len = 20000;
	off_t off = 0;
	int err, res;
	long r;

	env_pair(e, true);
	env_keys(e);
	e->memfd = memfd_create("fault_test", MFD_CLOEXEC);
	ASSERT_GE(e->memfd, 0);
	ASSERT_EQ(pwrite(e->memfd, pat(e->tx_sent, len, SEED_TX), len, 0),
		  (ssize_t)len);
	r = FI_CALL(sendfile(e->cli, e->memfd, &off, len));
	err = errno;
	if (!FI_CHECK(off == (r > 0 ? r : 0), "the file offset moving by "
		      "what sendfile() reported (%lld for %ld)",
		      (long long)off, r))
		goto out;
	if (r > 0)
		e->tx_sent += r;
	if (r == (long)len) {
		res = peer_expect(e, len, FI_WAIT_MS);
		if (!FI_CHECK(res == PEER_OK, "the %zu bytes sendfile() "
			      "reported sent reaching the peer with no "
			      "further call (%s)", len, peer_str[res]))
			goto out;
	}
	while ((size_t)off < len) {
		ssize_t n = sendfile(e->cli, e->memfd, &off, len - off);

		if (n < 0 && fi_ended(e, errno, false))
			goto out;
		if (!FI_CHECK(n > 0, "sending the rest of the file (%s)",
			      n < 0 ? strerror(errno) : "0"))
			goto out;
		e->tx_sent += n;
	}
	fi_both_ways(e);
out:
	env_close(e);
	return r < 0 ? err : 0;
}

static int step_splice_in(struct fi_env *e)
{
	size_t len = 20000, left;
	int err, res;
	long r;

	env_pair(e, true);
	env_keys(e);
	ASSERT_OK(pipe2(e->p, O_CLOEXEC));
	ASSERT_EQ(write(e->p[1], pat(e->tx_sent, len, SEED_TX), len),
		  (ssize_t)len);
	r = FI_CALL(splice(e->p[0], NULL, e->cli, NULL, len, 0));
	err = errno;
	left = len - (r > 0 ? (size_t)r : 0);
	if (r > 0)
		e->tx_sent += r;
	if (r == (long)len) {
		res = peer_expect(e, len, FI_WAIT_MS);
		if (!FI_CHECK(res == PEER_OK, "the %zu bytes splice() reported "
			      "sent reaching the peer with no further call "
			      "(%s)", len, peer_str[res]))
			goto out;
	}
	while (left) {
		ssize_t n = splice(e->p[0], NULL, e->cli, NULL, left, 0);

		if (n < 0 && fi_ended(e, errno, false))
			goto out;
		if (!FI_CHECK(n > 0, "splicing the rest of the pipe (%s)",
			      n < 0 ? strerror(errno) : "0"))
			goto out;
		e->tx_sent += n;
		left -= n;
	}
	fi_both_ways(e);
out:
	env_close(e);
	return r < 0 ? err : 0;
}

static int step_splice_out(struct fi_env *e)
{
	size_t held = 0;
	int err;
	ssize_t n;
	long r;

	env_pair(e, true);
	env_keys(e);
	ASSERT_OK(pipe2(e->p, O_NONBLOCK | O_CLOEXEC));
	/* Two records, so that the second can fail half copied. */
	peer_add_data(e, 6000, 3000);
	peer_flush(e);
	ASSERT_TRUE(fi_readable(e->cli));
	r = FI_CALL(splice(e->cli, NULL, e->p[1], NULL, 8192, 0));
	err = errno;
	while ((n = read(e->p[0], fi_in + held, sizeof(fi_in) - held)) > 0)
		held += n;
	/* What the pipe holds is what splice() said, and the stream's next. */
	if (!FI_CHECK(held == (r > 0 ? (size_t)r : 0), "the pipe holding what "
		      "splice() reported (%zu bytes for %ld): anything more "
		      "comes again from the socket", held, r) ||
	    !FI_CHECK(pat_ok(fi_in, e->rx_seen, held, SEED_RX), "the bytes "
		      "in the pipe being the stream's next"))
		goto out;
	e->rx_seen += held;
	fi_read_on(e, "reading on after it");
out:
	env_close(e);
	return r < 0 ? err : 0;
}

/* ---- the options that read, and attaching ---- */

static int step_getsockopt(struct fi_env *e)
{
	uint8_t want[512], got[512];
	socklen_t wlen = e->a.len, glen = e->a.len;
	int err;
	long r;

	env_pair(e, true);
	env_keys(e);
	ASSERT_OK(app_send(e, 100, 0));
	ASSERT_EQ(peer_expect(e, 100, FI_WAIT_MS), PEER_OK);
	memset(want, 0, sizeof(want));
	memset(got, 0, sizeof(got));
	ASSERT_OK(getsockopt(e->cli, SOL_TLS, e->a.dir, want, &wlen));
	r = FI_CALL(getsockopt(e->cli, SOL_TLS, e->a.dir, got, &glen));
	err = errno;
	if (!r && !FI_CHECK(glen == wlen && !memcmp(got, want, wlen),
			    "getsockopt() reading what it read before"))
		goto out;
	fi_both_ways(e);
out:
	env_close(e);
	return r ? err : 0;
}

static int step_attach(struct fi_env *e)
{
	char ulp[16];
	int err;
	long r;

	env_pair(e, false);
	r = FI_CALL(setsockopt(e->cli, SOL_TCP, TCP_ULP, "tlso", 4));
	err = errno;
	ASSERT_OK(sock_ulp(e->cli, ulp, sizeof(ulp)));
	if (r) {
		if (!FI_CHECK(!strcmp(ulp, ""), "no ULP left by the failed "
			      "attach (%s)", ulp) ||
		    !FI_CHECK(!sock_attach(e->cli, "tlso"), "attaching again "
			      "(%s)", strerror(errno)))
			goto out;
	} else if (!FI_CHECK(!strcmp(ulp, "tlso"), "the ULP reading as tlso "
			     "(%s)", ulp)) {
		goto out;
	}
	env_keys(e);
	fi_both_ways(e);
out:
	env_close(e);
	return r ? err : 0;
}

/* ---- shutdown and close ---- */

static int step_close_open(struct fi_env *e)
{
	int err, res;
	long r;

	env_pair(e, true);
	env_keys(e);
	ASSERT_OK(app_send(e, 50, MSG_MORE));
	r = FI_CALL(close(e->cli));
	err = errno;
	e->cli = -1;
	if (!FI_CHECK(!r, "close() (%s)", strerror(err)) ||
	    !FI_CHECK(fi_attached() == e->attached, "the socket leaving tlso "
		      "at close()"))
		goto out;
	/* tlso's decision: close() sends an open record, never drops it. */
	res = peer_expect(e, 50, FI_WAIT_MS);
	if (!FI_CHECK(res == PEER_OK, "the open MSG_MORE record, 50 bytes "
		      "send() reported sent, reaching the peer after close() "
		      "(%s)", peer_str[res]))
		goto out;
	fi_end_of_stream(e);
out:
	env_close(e);
	return 0;
}

/* Non-blocking records until TCP takes no more: the last one pending. */
static void fi_fill(struct fi_env *e)
{
	int i;

	for (i = 0; i < 256; i++) {
		ssize_t r = send(e->cli, pat(e->tx_sent, 4096, SEED_TX), 4096,
				 MSG_DONTWAIT);

		if (r < 0) {
			ASSERT_EQ(errno, EAGAIN);
			return;
		}
		e->tx_sent += r;
	}
	ASSERT_TRUE(!"the send buffer never filled");
}

static int step_close_pending(struct fi_env *e)
{
	size_t owed;
	int err, res;
	long r;

	env_pair_small(e);
	env_keys(e);
	fi_fill(e);
	r = FI_CALL(close(e->cli));
	err = errno;
	e->cli = -1;
	if (!FI_CHECK(!r, "close() (%s)", strerror(err)) ||
	    !FI_CHECK(fi_attached() == e->attached, "the socket leaving tlso "
		      "at close()"))
		goto out;
	/* tlso's decision: close() neither blocks nor drops a record. */
	owed = e->tx_sent - e->tx_seen;
	/* Through a window of a few KiB, as the peer reads. */
	res = peer_expect(e, owed, 3 * FI_WAIT_MS);
	if (!FI_CHECK(res == PEER_OK, "the %zu bytes send() reported sent, "
		      "the last record still pending in tlso, reaching the "
		      "peer after close() (%s after %zu)", owed, peer_str[res],
		      owed - (e->tx_sent - e->tx_seen)))
		goto out;
	fi_end_of_stream(e);
out:
	env_close(e);
	return 0;
}

static int step_shutdown_open(struct fi_env *e)
{
	int err, aerr, res;
	long r;

	env_pair(e, true);
	env_keys(e);
	ASSERT_OK(app_send(e, 50, MSG_MORE));
	r = FI_CALL(shutdown(e->cli, SHUT_WR));
	err = errno;
	if (!FI_CHECK(!r, "shutdown() (%s)", strerror(err)))
		goto out;
	res = peer_expect(e, 50, FI_WAIT_MS);
	if (!FI_CHECK(res == PEER_OK, "the open MSG_MORE record, 50 bytes "
		      "send() reported sent, going out before the end of the "
		      "stream (%s)", peer_str[res]))
		goto out;
	fi_end_of_stream(e);
	/* Only sending is shut. */
	peer_send(e, 100);
	res = app_expect(e, e->rx_sent - e->rx_seen, FI_WAIT_MS, &aerr);
	FI_CHECK(res == APP_OK, "reading after shutdown(SHUT_WR) (%s)",
		 app_str(res, aerr));
out:
	env_close(e);
	return 0;
}

/* Records decrypted and kept (a peek), and more in TCP, at close. */
static int step_close_received(struct fi_env *e)
{
	int err, res;
	long r;

	env_pair(e, true);
	env_keys(e);
	peer_add_data(e, 600, 300);
	peer_flush(e);
	ASSERT_TRUE(fi_readable(e->cli));
	ASSERT_EQ(recv(e->cli, fi_in, 100, MSG_PEEK), 100);
	r = FI_CALL(close(e->cli));
	err = errno;
	e->cli = -1;
	if (!FI_CHECK(!r, "close() (%s)", strerror(err)) ||
	    !FI_CHECK(fi_attached() == e->attached, "the socket leaving tlso "
		      "at close()"))
		goto out;
	/* Unread data: TCP resets the connection, if it has the skb. */
	res = peer_end(e, FI_WAIT_MS);
	if (res == PEER_NONE)
		fi_note("TCP sent no reset (its own allocation failed)");
	else
		FI_CHECK(res == PEER_RESET || res == PEER_EOF, "the end of "
			 "the stream (%s)", peer_str[res]);
out:
	env_close(e);
	return 0;
}

static int step_close_queued(struct fi_env *e)
{
	int err, rc;
	long r;

	env_pair(e, true);
	ASSERT_OK(fcntl(e->cli, F_SETFL, O_NONBLOCK));
	fi_nl_drain(e);
	ASSERT_TRUE(hs_ask(e->cli) == -1 && errno == EINPROGRESS);
	r = FI_CALL(close(e->cli));
	err = errno;
	e->cli = -1;
	if (!FI_CHECK(!r, "close() (%s)", strerror(err)) ||
	    !FI_CHECK(fi_attached() == e->attached, "the socket leaving tlso "
		      "at close(), and its request with it"))
		goto out;
	rc = upcall_accept(&e->u);
	if (!rc) {
		e->dfd = e->u.fd;
		e->req_id = e->u.id;
		e->hs_taken = true;
	}
	FI_CHECK(rc == -EAGAIN, "nothing left for tlsod to take (ACCEPT: %s)",
		 rc ? fi_errname(-rc) : "a request");
out:
	env_close(e);
	return 0;
}

/* ---- the handshake upcall ---- */

static int step_hs_request(struct fi_env *e)
{
	struct tlso_handshake_req req = fi_req();
	int err, rc;
	long r;

	env_pair(e, true);
	ASSERT_OK(fcntl(e->cli, F_SETFL, O_NONBLOCK));
	fi_nl_drain(e);
	r = FI_CALL(setsockopt(e->cli, SOL_TLS, TLSO_HANDSHAKE, &req,
			       sizeof(req)));
	err = errno;
	if (!FI_CHECK(r == -1, "TLSO_HANDSHAKE on a non-blocking socket "
		      "answering EINPROGRESS or an error (it returned %ld)",
		      r)) {
		err = EINPROGRESS;
		goto out;
	}
	if (err != EINPROGRESS) {
		if (!FI_CHECK(hs_get(e->cli).state == TLSO_HS_NONE, "the "
			      "socket showing no handshake after the request "
			      "failed"))
			goto out;
		rc = upcall_accept(&e->u);
		if (!rc) {
			e->dfd = e->u.fd;
			e->req_id = e->u.id;
			e->hs_taken = true;
		}
		if (!FI_CHECK(rc == -EAGAIN, "nothing queued for tlsod after "
			      "the request failed (ACCEPT: %s)",
			      rc ? fi_errname(-rc) : "a request") ||
		    !FI_CHECK(hs_ask(e->cli) == -1 && errno == EINPROGRESS,
			      "asking again (%s)", strerror(errno)))
			goto out;
	} else if (!FI_CHECK(hs_get(e->cli).state == TLSO_HS_PENDING, "the "
			     "handshake reading as pending")) {
		goto out;
	}
	rc = upcall_accept(&e->u);
	if (!FI_CHECK(!rc, "tlsod taking the request (ACCEPT: %s)",
		      fi_errname(-rc)))
		goto out;
	e->dfd = e->u.fd;
	e->req_id = e->u.id;
	e->hs_taken = true;
	if (!FI_CHECK(fi_same_file(e->dfd, e->cli), "ACCEPT's descriptor "
		      "being the socket"))
		goto out;
	ASSERT_OK(fcntl(e->cli, F_SETFL, 0));
	daemon_keys(e);
	daemon_finish(e);
out:
	env_close(e);
	return err == EINPROGRESS ? 0 : err;
}

static int step_hs_accept(struct fi_env *e)
{
	struct nl_answer a = { .err = -1, .fd = -1 };
	int before, surfaced = 0, nlfd, err, rc;
	struct nlmsghdr *h;
	struct nl_msg *m;
	long r;

	env_pair(e, true);
	ASSERT_OK(fcntl(e->cli, F_SETFL, O_NONBLOCK));
	fi_nl_drain(e);
	ASSERT_TRUE(hs_ask(e->cli) == -1 && errno == EINPROGRESS);
	ASSERT_OK(upcall_wait_ready(&e->u, FI_WAIT_MS));
	before = fi_count_fds();
	m = nlmsg_alloc();
	ASSERT_TRUE(m != NULL);
	ASSERT_TRUE(genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, e->u.family, 0,
				NLM_F_REQUEST, TLSO_CMD_ACCEPT,
				TLSO_GENL_VERSION) != NULL);
	h = nlmsg_hdr(m);
	nlfd = nl_socket_get_fd(e->u.sk);
	r = FI_CALL(send(nlfd, h, h->nlmsg_len, 0));
	err = errno;
	nlmsg_free(m);
	if (r >= 0)
		nl_collect(e, &a);
	if (a.fd >= 0) {
		e->dfd = a.fd;
		e->req_id = a.id;
		e->hs_taken = true;
		if (!FI_CHECK(fi_same_file(e->dfd, e->cli) &&
			      fi_count_fds() == before + 1, "ACCEPT's "
			      "descriptor being the socket, and the only one "
			      "installed"))
			goto out;
	} else {
		surfaced = r < 0 ? err : a.err > 0 ? a.err :
			   a.nobufs ? ENOBUFS : 0;
		if (!FI_CHECK(surfaced, "an answer to ACCEPT (%s)",
			      a.err == 0 ? "an ACK, no reply" : "none came") ||
		    !FI_CHECK(fi_count_fds() == before, "no descriptor "
			      "installed without its reply"))
			goto out;
		/* The request waits for the next ACCEPT. */
		rc = upcall_accept(&e->u);
		if (!FI_CHECK(!rc, "the request waiting for the next ACCEPT "
			      "(%s)", fi_errname(-rc)))
			goto out;
		e->dfd = e->u.fd;
		e->req_id = e->u.id;
		e->hs_taken = true;
	}
	ASSERT_OK(fcntl(e->cli, F_SETFL, 0));
	daemon_keys(e);
	daemon_finish(e);
out:
	env_close(e);
	return surfaced;
}

static int step_hs_done(struct fi_env *e)
{
	struct nl_answer a = { .err = -1, .fd = -1 };
	struct tlso_handshake_status st;
	int surfaced = 0, nlfd, err;
	struct nlmsghdr *h;
	struct nl_msg *m;
	long r;

	env_pair(e, true);
	daemon_take(e);
	daemon_keys(e);
	m = daemon_done_msg(e, 0);
	h = nlmsg_hdr(m);
	nlfd = nl_socket_get_fd(e->u.sk);
	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r = FI_CALL(send(nlfd, h, h->nlmsg_len, 0));
	err = errno;
	nlmsg_free(m);
	if (r >= 0)
		nl_collect(e, &a);
	st = hs_get(e->cli);
	switch (st.state) {
	case TLSO_HS_PENDING:
		/* DONE did not get through: tlsod sends it again. */
		surfaced = r < 0 ? err : a.err > 0 ? a.err :
			   a.nobufs ? ENOBUFS : 0;
		if (FI_CHECK(surfaced, "the handshake still pending after "
			     "DONE answered %s", a.err ? "nothing" : "0"))
			daemon_finish(e);
		break;
	case TLSO_HS_DONE:
		if (!FI_CHECK(r >= 0 && a.err <= 0, "DONE answering %s for a "
			      "handshake that ended well",
			      fi_errname(r < 0 ? err : a.err)))
			break;
		daemon_done_ok(e);
		fi_session_check(e);
		break;
	case TLSO_HS_FAILED:
		/* Failed for good, the socket's reads and writes with it. */
		surfaced = (int)st.status;
		e->hs_taken = false;
		FI_CHECK(send(e->cli, "x", 1, MSG_DONTWAIT) == -1 &&
			 errno == surfaced &&
			 recv(e->cli, fi_in, 1, MSG_DONTWAIT) == -1 &&
			 errno == surfaced, "the socket failing with the "
			 "handshake's %s", fi_errname(surfaced));
		break;
	default:
		FI_CHECK(false, "the handshake's state (%u)", st.state);
	}
	env_close(e);
	return surfaced;
}

/* ---- what a socket tlsod set up does on its own ---- */

static long fi_tickets(void)
{
	return kmod_tlso_stat(TLSO_STAT_TICKET_UP) +
	       kmod_tlso_stat(TLSO_STAT_TICKET_DROP);
}

/* A session ticket (kept, and passed up to tlsod) before the data. */
static int step_ticket(struct fi_env *e)
{
	static const uint8_t nst[] = { 4, 0, 0, 5, 0, 0, 0, 1, 0 };
	int err, aerr, res;
	long before, r;

	daemon_session(e, 0);
	before = fi_tickets();
	peer_add(e, TYPE_HANDSHAKE, nst, sizeof(nst));
	peer_add_data(e, 100, 100);
	peer_flush(e);
	ASSERT_TRUE(fi_readable(e->cli));
	r = FI_CALL(recv(e->cli, fi_in, 100, 0));
	err = errno;
	if (r > 0 && !fi_took(e, r, false))
		goto out;
	res = app_expect(e, e->rx_sent - e->rx_seen, FI_WAIT_MS, &aerr);
	if (!FI_CHECK(res == APP_OK, "reading the data after the ticket "
		      "(%s)", app_str(res, aerr)) ||
	    !FI_CHECK(fi_tickets() == before + 1, "the ticket handled once, "
		      "passed up or dropped (%ld times)",
		      fi_tickets() - before))
		goto out;
	fi_both_ways(e);
out:
	env_close(e);
	return r < 0 ? err : 0;
}

/* The peer's KeyUpdate, then data under its next key. */
static int step_ku_recv(struct fi_env *e)
{
	static const uint8_t internal_error[2] = { 2, 80 };
	int err, aerr, res;
	uint8_t type = 0;
	size_t n = 0;
	long r;

	daemon_session(e, 0);
	peer_key_update(e);
	peer_add_data(e, 100, 100);
	peer_flush(e);
	ASSERT_TRUE(fi_readable(e->cli));
	r = FI_CALL(recv(e->cli, fi_in, 100, 0));
	err = errno;
	if (r > 0 && !fi_took(e, r, false))
		goto out;
	res = app_expect(e, e->rx_sent - e->rx_seen, FI_WAIT_MS, &aerr);
	if (r < 0 && res == APP_ERR && aerr == err) {
		/*
		 * The receive key could not change: the stream is over, and
		 * the peer is told why, as a TLS library tells it.
		 */
		res = peer_record(e, &type, &n, FI_WAIT_MS);
		FI_CHECK(res == PEER_OK && type == TYPE_ALERT && n == 2 &&
			 !memcmp(fi_rec, internal_error, 2), "the peer "
			 "receiving internal_error for the stream that failed "
			 "(%s)", res == PEER_OK ? "another record" :
			 peer_str[res]);
		goto out;
	}
	if (!FI_CHECK(res == APP_OK, "reading the data after the KeyUpdate "
		      "(%s)", app_str(res, aerr)))
		goto out;
	fi_both_ways(e);
out:
	env_close(e);
	return r < 0 ? err : 0;
}

/* A send whose key is used up: tlso's KeyUpdate first, then the data. */
static int step_ku_send(struct fi_env *e)
{
	uint8_t type = 0;
	size_t n = 0;
	int err, res;
	long r;

	daemon_session(e, 1);
	/* One record and the key has sealed all it may. */
	ASSERT_OK(app_send(e, 100, 0));
	ASSERT_EQ(peer_expect(e, 100, FI_WAIT_MS), PEER_OK);
	r = FI_CALL(send(e->cli, pat(e->tx_sent, 100, SEED_TX), 100, 0));
	err = errno;
	if (r > 0) {
		e->tx_sent += r;
		res = peer_expect(e, r, FI_WAIT_MS);
		if (!FI_CHECK(res == PEER_OK && e->ku_seen == 1, "the peer "
			      "reading tlso's KeyUpdate, then the %ld bytes "
			      "under the next key (%s)", r,
			      res == PEER_OK ? "no KeyUpdate" : peer_str[res]))
			goto out;
		fi_both_ways(e);
		goto out;
	}
	/*
	 * Either the KeyUpdate never left and the next send brings it, or it
	 * left and the old key may seal no more: the stream failed for good.
	 */
	if (!app_send(e, 100, 0)) {
		res = peer_expect(e, e->tx_sent - e->tx_seen, FI_WAIT_MS);
		FI_CHECK(res == PEER_OK && e->ku_seen == 1, "the next send "
			 "bringing the KeyUpdate, then its data (%s)",
			 res == PEER_OK ? "no KeyUpdate" : peer_str[res]);
		goto out;
	}
	if (!FI_CHECK(errno == err, "the stream failing for good with the "
		      "send's %s (the next send: %s)", fi_errname(err),
		      fi_errname(errno)))
		goto out;
	res = peer_record(e, &type, &n, FI_WAIT_MS);
	FI_CHECK(res == PEER_OK && type == TYPE_HANDSHAKE && n == 5 &&
		 fi_rec[0] == 24, "the peer having the KeyUpdate that left "
		 "(%s)", res == PEER_OK ? "another record" : peer_str[res]);
out:
	env_close(e);
	return r < 0 ? err : 0;
}

/* ---- setting up a case ---- */

/*
 * Everything that the first use of a kind instantiates for good -- the
 * crypto API's algorithm instances, sendfile()'s pipe, HMAC -- is had
 * once with nothing injected, so that the steps fail what every call
 * allocates, not what only the first one does.
 */
static void fi_warm_up(struct fi_env *e, bool daemon)
{
	off_t off = 0;
	int err;

	env_pair(e, true);
	env_keys(e);
	ASSERT_OK(app_send(e, 100, 0));
	peer_send(e, 100);
	ASSERT_EQ(app_expect(e, 100, FI_WAIT_MS, &err), APP_OK);
	e->memfd = memfd_create("fault_test", MFD_CLOEXEC);
	ASSERT_GE(e->memfd, 0);
	ASSERT_EQ(pwrite(e->memfd, pat(e->tx_sent, 100, SEED_TX), 100, 0),
		  100);
	ASSERT_EQ(sendfile(e->cli, e->memfd, &off, 100), 100);
	e->tx_sent += 100;
	ASSERT_EQ(peer_expect(e, 200, FI_WAIT_MS), PEER_OK);
	env_close(e);
	if (!daemon)
		return;
	daemon_session(e, 0);
	ASSERT_TRUE(fi_session_check(e));
	env_close(e);
}

static void fi_env_setup(struct fi_env *e, const char *label,
			 uint16_t version, uint16_t cipher, bool daemon)
{
	e->label = label;
	e->version = version;
	e->cipher = cipher;
	e->upcall = false;
	env_reset(e);
	if (access("/proc/thread-self/fail-nth", F_OK))
		SKIP("this kernel has no /proc/thread-self/fail-nth "
		     "(CONFIG_FAULT_INJECTION): allocation failures are "
		     "injected on the debug kernel, make check-debug");
	fi_config();
	if (!kmod_loaded("tlso"))
		ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);
	signal(SIGPIPE, SIG_IGN);
	fi_lock_memory();
	fi.fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_GE(fi.fd, 0);
	/* Only this process, playing tlsod, takes the requests. */
	ASSERT_OK(upcall_open(&e->u, 1));
	e->upcall = true;
	fi_warm_up(e, daemon);
	e->attached = fi_attached();
	ASSERT_GE(e->attached, 0);
}

static void fi_env_teardown(struct fi_env *e)
{
	env_close(e);
	if (e->upcall)
		upcall_close(&e->u);
	e->upcall = false;
	fi_unconfig();
	fi_close_fd(&fi.fd);
}

/* ---- the record layer, per version and cipher ---- */

FIXTURE(path) {
	struct fi_env e;
};

FIXTURE_VARIANT(path) {
	const char *label;
	uint16_t version;
	uint16_t cipher;
};

FIXTURE_VARIANT_ADD(path, tls12_aes_gcm_128) {
	"tls12 aes-gcm-128", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128,
};
FIXTURE_VARIANT_ADD(path, tls12_aes_gcm_256) {
	"tls12 aes-gcm-256", TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_256,
};
FIXTURE_VARIANT_ADD(path, tls12_chacha20_poly1305) {
	"tls12 chacha20-poly1305", TLS_1_2_VERSION,
	TLS_CIPHER_CHACHA20_POLY1305,
};
FIXTURE_VARIANT_ADD(path, tls12_aes_ccm_128) {
	"tls12 aes-ccm-128", TLS_1_2_VERSION, TLS_CIPHER_AES_CCM_128,
};
FIXTURE_VARIANT_ADD(path, tls13_aes_gcm_128) {
	"tls13 aes-gcm-128", TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128,
};
FIXTURE_VARIANT_ADD(path, tls13_aes_gcm_256) {
	"tls13 aes-gcm-256", TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256,
};
FIXTURE_VARIANT_ADD(path, tls13_chacha20_poly1305) {
	"tls13 chacha20-poly1305", TLS_1_3_VERSION,
	TLS_CIPHER_CHACHA20_POLY1305,
};
FIXTURE_VARIANT_ADD(path, tls13_aes_ccm_128) {
	"tls13 aes-ccm-128", TLS_1_3_VERSION, TLS_CIPHER_AES_CCM_128,
};

FIXTURE_SETUP(path)
{
	fi_env_setup(&self->e, variant->label, variant->version,
		     variant->cipher, false);
}

FIXTURE_TEARDOWN(path)
{
	fi_env_teardown(&self->e);
}

TEST_F_TIMEOUT(path, keys, 900)
{
	struct fi_env *e = &self->e;

	e->a = (struct fi_args){ .dir = TLS_TX };
	fi_run(e, "TLS_TX", E_NOMEM, step_key_install);
	e->a = (struct fi_args){ .dir = TLS_RX };
	fi_run(e, "TLS_RX", E_NOMEM, step_key_install);
	if (e->version != TLS_1_3_VERSION)
		return;
	e->a = (struct fi_args){ .dir = TLS_TX };
	fi_run(e, "TLS_TX again (rekey)", E_NOMEM, step_key_rekey);
	e->a = (struct fi_args){ .dir = TLS_RX };
	fi_run(e, "TLS_RX again (rekey)", E_NOMEM, step_key_rekey);
}

TEST_F_TIMEOUT(path, send, 900)
{
	struct fi_env *e = &self->e;

	e->a = (struct fi_args){ .len = 100 };
	fi_run(e, "send 100 bytes", E_NOMEM, step_send);
	e->a = (struct fi_args){ .len = 40000 };
	fi_run(e, "send 40000 bytes", E_NOMEM, step_send);
	e->a = (struct fi_args){ .len = 100, .flags = MSG_DONTWAIT };
	fi_run(e, "send MSG_DONTWAIT", E_NOMEM_AGAIN, step_send);
	e->a = (struct fi_args){ .len = 50, .flags = MSG_MORE };
	fi_run(e, "send MSG_MORE", E_NOMEM, step_send);
	e->a = (struct fi_args){ .len = 50, .open_first = true };
	fi_run(e, "send closing a MSG_MORE record", E_NOMEM, step_send);
	e->a = (struct fi_args){ 0 };
	fi_run(e, "sendmsg of an alert record", E_NOMEM, step_send_control);
}

TEST_F_TIMEOUT(path, recv, 900)
{
	struct fi_env *e = &self->e;

	/* A reader that asks for exactly a record is done with it at once. */
	e->a = (struct fi_args){ .len = 300, .rec = 300, .buflen = 300 };
	fi_run(e, "recv of a whole record", E_NOMEM, step_recv);
	e->a = (struct fi_args){ .len = 300, .rec = 300, .buflen = 300,
				 .flags = MSG_PEEK };
	fi_run(e, "recv MSG_PEEK", E_NOMEM, step_recv);
	e->a = (struct fi_args){ .len = 300, .rec = 300, .buflen = 100 };
	fi_run(e, "recv of part of a record", E_NOMEM, step_recv);
	e->a = (struct fi_args){ .len = 600, .rec = 300, .buflen = 4096 };
	fi_run(e, "recv of two records", E_NOMEM, step_recv);
	if (e->version == TLS_1_3_VERSION) {
		e->a = (struct fi_args){ .len = 300, .rec = 300,
					 .buflen = 300, .nopad = true };
		fi_run(e, "recv with TLS_RX_EXPECT_NO_PAD", E_NOMEM,
		       step_recv);
	}
	e->a = (struct fi_args){ 0 };
	fi_run(e, "recvmsg of an alert record", E_NOMEM, step_recv_control);
}

TEST_F_TIMEOUT(path, splice, 900)
{
	struct fi_env *e = &self->e;

	fi_run(e, "sendfile", E_NOMEM, step_sendfile);
	fi_run(e, "splice into the socket", E_NOMEM, step_splice_in);
	fi_run(e, "splice out of the socket", E_SPLICE_OUT, step_splice_out);
}

/* ---- the socket: attaching, options, close, the upcall ---- */

FIXTURE(sock) {
	struct fi_env e;
};

FIXTURE_SETUP(sock)
{
	fi_env_setup(&self->e, NULL, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128,
		     true);
}

FIXTURE_TEARDOWN(sock)
{
	fi_env_teardown(&self->e);
}

TEST_F_TIMEOUT(sock, attach, 600)
{
	fi_run(&self->e, "attach (TCP_ULP)", E_NOMEM, step_attach);
}

TEST_F_TIMEOUT(sock, options, 600)
{
	struct fi_env *e = &self->e;

	e->a = (struct fi_args){ .dir = TLS_TX,
				 .len = keys_cipher(e->cipher)->size };
	fi_run(e, "getsockopt TLS_TX", E_NOMEM, step_getsockopt);
	e->a = (struct fi_args){ .dir = TLS_RX,
				 .len = sizeof(struct tls_crypto_info) };
	fi_run(e, "getsockopt TLS_RX", E_NOMEM, step_getsockopt);
	e->a = (struct fi_args){ .dir = TLSO_INFO,
				 .len = sizeof(struct tlso_info) };
	fi_run(e, "getsockopt TLSO_INFO", E_NOMEM, step_getsockopt);
	e->a = (struct fi_args){ .dir = TLSO_HANDSHAKE,
				 .len = sizeof(struct tlso_handshake_status) };
	fi_run(e, "getsockopt TLSO_HANDSHAKE", E_NOMEM, step_getsockopt);
}

TEST_F_TIMEOUT(sock, close, 600)
{
	struct fi_env *e = &self->e;

	fi_run(e, "close with an open MSG_MORE record", E_NONE,
	       step_close_open);
	fi_run(e, "close with a record pending in tlso", E_NONE,
	       step_close_pending);
	fi_run(e, "shutdown with an open MSG_MORE record", E_NONE,
	       step_shutdown_open);
	fi_run(e, "close with records received", E_NONE,
	       step_close_received);
	fi_run(e, "close with a handshake request queued", E_NONE,
	       step_close_queued);
}

TEST_F_TIMEOUT(sock, handshake, 900)
{
	struct fi_env *e = &self->e;

	fi_run(e, "TLSO_HANDSHAKE", E_NOMEM, step_hs_request);
	fi_run(e, "ACCEPT", E_NETLINK, step_hs_accept);
	fi_run(e, "DONE with early data and secrets", E_DONE, step_hs_done);
}

TEST_F_TIMEOUT(sock, tlsod_socket, 900)
{
	struct fi_env *e = &self->e;

	fi_run(e, "recv of a session ticket", E_NOMEM, step_ticket);
	fi_run(e, "recv of the peer's KeyUpdate", E_NOMEM, step_ku_recv);
	fi_run(e, "send with a KeyUpdate due", E_NOMEM, step_ku_send);
}

/* ---- the sum ---- */

TEST(summary)
{
	unsigned long injected = 0, errnos = 0, recovered = 0, bad = 0;
	unsigned long notes = 0, ended = 0;
	struct fi_op all;
	char errs[160];
	unsigned int i;
	int k;

	if (!fi_stats || !fi_stats->nops)
		SKIP("no fault-injection case ran");
	memset(&all, 0, sizeof(all));
	for (i = 0; i < fi_stats->nops; i++) {
		const struct fi_op *op = &fi_stats->ops[i];

		fi_op_log(op);
		injected += op->injected;
		errnos += op->errnos;
		recovered += op->recovered;
		ended += op->ended;
		bad += op->bad;
		notes += op->notes;
		for (k = 0; k < FI_ERRS && op->err_n[k]; k++) {
			unsigned int c;

			for (c = 0; c < op->err_n[k]; c++)
				fi_op_errno(&all, op->err[k]);
		}
	}
	if (!injected)
		SKIP("no allocation failure was injected");
	fi_op_errnos(&all, errs, sizeof(errs));
	if (notes)
		TH_LOG("%lu times TCP's own allocation failed after tlso's "
		       "part was done (no FIN or reset sent)", notes);
	if (bad) {
		TH_LOG("%lu allocation failures injected in %u operations: "
		       "%lu became errnos, %lu were recovered, %lu ended "
		       "the stream with ENOMEM, %lu did neither (the "
		       "failures above)", injected, fi_stats->nops, errnos,
		       recovered, ended, bad);
		EXPECT_EQ(bad, 0);
		return;
	}
	TH_LOG("%lu allocation failures injected, all became errnos, were "
	       "recovered or ended the stream with ENOMEM", injected);
	TH_LOG("in %u operations: %lu errnos (%s), %lu recovered, %lu "
	       "ended the stream (a record failed in place)", fi_stats->nops,
	       errnos, errs, recovered, ended);
}

TEST_HARNESS_MAIN
