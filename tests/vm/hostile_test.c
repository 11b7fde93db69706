// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: what a hostile application or peer may do to the module.
 * A second thread rewrites the crypto_info header while setsockopt reads
 * it; a peer floods empty records while the application peeks with a
 * large buffer; a sender holds the send lock while its peer reads slowly
 * and TCP keeps calling write_space.  Each must leave the kernel bounded
 * and consistent, and the data intact -- checked by the in-tree kTLS
 * module or against records sealed in userspace with GnuTLS.
 *
 * The hostile neighbour: the cases named neighbour_* are what any local
 * user may try, and they run as one.  hostile_neighbour_as_uid_1000 (as
 * root) loads the modules, plays a daemon that never accepts, lowers the
 * per-user cap, and runs this program again under setpriv as uid 1000
 * with no capability and the filter "neighbour_*"; each of those cases
 * first checks that it is that user.  In the ordinary run they are left
 * out, never run as root.  tlsod_access_test's
 * user_may_not_serve_with_roots_key is the same neighbour at tlsod.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <linux/sock_diag.h>
#include <linux/tls.h>

#include "harness.h"
#include "kmod.h"
#include "ktls_keys.h"
#include "net.h"
#include "sock.h"
#include "upcall.h"
#include "wire.h"

#include <linux/tlso.h>

static void load_modules(void)
{
	if (kmod_modprobe("tls"))
		SKIP("the in-tree tls module cannot be loaded here");
	if (!kmod_loaded("tlso"))
		ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);
}

/* ---- the hostile neighbour: who runs the neighbour_* cases ---- */

#define NEIGHBOUR_UID		1000
#define NEIGHBOUR_ENV		"TLSO_HOSTILE_NEIGHBOUR"
/* The per-user cap the neighbour meets, set by the root case. */
#define NEIGHBOUR_CAP		8

/* Outside the neighbour's own run, its cases are not there at all. */
static void __attribute__((constructor)) neighbour_cases(void)
{
	if (!getenv(NEIGHBOUR_ENV))
		th_exclude("neighbour_*");
}

/* CapEff of this process from /proc, or -1. */
static long long cap_eff(void)
{
	char line[256];
	long long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Each neighbour case: it is uid 1000 with nothing, and tlso is there. */
static void neighbour_check(void)
{
	uid_t r, e, s;

	ASSERT_OK(getresuid(&r, &e, &s));
	ASSERT_TRUE(r == NEIGHBOUR_UID && e == NEIGHBOUR_UID &&
		    s == NEIGHBOUR_UID);
	ASSERT_EQ(cap_eff(), 0);
	ASSERT_TRUE(kmod_loaded("tlso"));
	ASSERT_TRUE(kmod_loaded("tls") || kmod_builtin("tls"));
}

/* ---- the crypto_info header changed while setsockopt reads it ---- */

/* Tries: rekeys of one socket, and first installs on fresh sockets. */
#define RACE_REKEYS		20000
#define RACE_FRESH		1500
/* Attempts at one first install before the flipper is blamed. */
#define RACE_TRIES		200
#define RACE_OPTLEN		sizeof(struct tls12_crypto_info_aes_gcm_128)

/* The struct, with its header readable and writable as one word. */
union race_buf {
	union keys_info k;
	uint32_t word;
};

static uint32_t hdr_word(uint16_t version, uint16_t cipher)
{
	struct tls_crypto_info h = { version, cipher };
	uint32_t w;

	memcpy(&w, &h, sizeof(w));
	return w;
}

static const char *hdr_name(uint32_t w, char *buf, size_t size)
{
	struct tls_crypto_info h;

	memcpy(&h, &w, sizeof(h));
	snprintf(buf, size, "version %#x cipher %u", h.version,
		 h.cipher_type);
	return buf;
}

/*
 * A thread that rewrites the headers of the buffers without pause:
 * every other store the header setsockopt accepts at this length
 * (TLS 1.3, AES-GCM-128), in between one it refuses (AES-GCM-256 or
 * ChaCha20-Poly1305: another struct size) or one that is valid on its
 * own but not beside TLS 1.3 (TLS 1.2).
 */
struct flipper {
	union race_buf *bufs[2];
	int nbufs;
	uint32_t good, other[3];
	int stop;
	pthread_t thread;
};

static void *flip_loop(void *arg)
{
	struct flipper *f = arg;
	unsigned long i;
	int b;

	for (i = 0; !__atomic_load_n(&f->stop, __ATOMIC_RELAXED); i++) {
		uint32_t v = i & 1 ? f->good : f->other[(i >> 1) % 3];

		for (b = 0; b < f->nbufs; b++)
			__atomic_store_n(&f->bufs[b]->word, v,
					 __ATOMIC_RELAXED);
	}
	return NULL;
}

static int flipper_start(struct flipper *f, union race_buf *a,
			 union race_buf *b)
{
	memset(f, 0, sizeof(*f));
	f->bufs[0] = a;
	f->bufs[1] = b;
	f->nbufs = b ? 2 : 1;
	f->good = hdr_word(TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128);
	f->other[0] = hdr_word(TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256);
	f->other[1] = hdr_word(TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128);
	f->other[2] = hdr_word(TLS_1_3_VERSION, TLS_CIPHER_CHACHA20_POLY1305);
	return pthread_create(&f->thread, NULL, flip_loop, f) ? -1 : 0;
}

static void flipper_stop(struct flipper *f)
{
	__atomic_store_n(&f->stop, 1, __ATOMIC_RELAXED);
	pthread_join(f->thread, NULL);
}

/* The {version, cipher} getsockopt reports for a direction, as a word. */
static int get_hdr(int fd, int dir, uint32_t *w)
{
	struct tls_crypto_info h;
	socklen_t len = sizeof(h);

	if (getsockopt(fd, SOL_TLS, dir, &h, &len) || len != sizeof(h))
		return -1;
	memcpy(w, &h, sizeof(*w));
	return 0;
}

/*
 * TLS 1.3 rekeys on one socket, both directions, with the same keys each
 * time: a rekey that succeeds must have installed what was checked, TLS
 * 1.3 with AES-GCM-128, and the keys and sequence numbers as given, so
 * that kTLS still reads what tlso sends and the other way round.
 */
TEST_TIMEOUT(neighbour_key_header_flipped_during_rekey, 300)
{
	uint32_t good = hdr_word(TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128);
	union race_buf tx, rx;
	union keys_info ktx, krx, got;
	struct flipper f;
	int a, b, i, taken = 0, bad = 0, other_err = 0;
	socklen_t len;
	char n1[64], n2[64];

	neighbour_check();
	ASSERT_OK(sock_pair(AF_INET, &a, &b));
	ASSERT_OK(sock_attach(a, "tlso"));
	ASSERT_OK(sock_attach(b, "tls"));
	keys_make(&tx.k, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 21, 7);
	keys_make(&rx.k, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 22, 9);
	ktx = tx.k;
	krx = rx.k;
	ASSERT_OK(keys_install(a, TLS_TX, &ktx));
	ASSERT_OK(keys_install(a, TLS_RX, &krx));

	ASSERT_OK(flipper_start(&f, &tx, &rx));
	for (i = 0; i < RACE_REKEYS; i++) {
		int dir = i & 1 ? TLS_RX : TLS_TX;
		uint32_t wt = 0, wr = 0;

		if (setsockopt(a, SOL_TLS, dir, dir == TLS_TX ? &tx.k : &rx.k,
			       RACE_OPTLEN)) {
			if (errno != EINVAL && !other_err++)
				TH_LOG("rekey %d: %s", i, strerror(errno));
			continue;
		}
		taken++;
		if (get_hdr(a, TLS_TX, &wt) || get_hdr(a, TLS_RX, &wr) ||
		    wt != good || wr != good) {
			if (!bad++)
				TH_LOG("rekey %d left TX %s, RX %s", i,
				       hdr_name(wt, n1, sizeof(n1)),
				       hdr_name(wr, n2, sizeof(n2)));
		}
	}
	flipper_stop(&f);
	TH_LOG("%d of %d rekeys taken", taken, RACE_REKEYS);
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(other_err, 0);
	EXPECT_GT(taken, 0);

	/* The keys as given, and no record sent yet: the sequence as set. */
	len = RACE_OPTLEN;
	ASSERT_OK(getsockopt(a, SOL_TLS, TLS_TX, &got, &len));
	EXPECT_MEMEQ(&got, &ktx, RACE_OPTLEN);
	len = RACE_OPTLEN;
	ASSERT_OK(getsockopt(a, SOL_TLS, TLS_RX, &got, &len));
	EXPECT_MEMEQ(&got, &krx, RACE_OPTLEN);

	ASSERT_OK(keys_install(b, TLS_RX, &ktx));
	ASSERT_OK(keys_install(b, TLS_TX, &krx));
	EXPECT_OK(sock_xfer(a, b, 200000, 16384, 1));
	EXPECT_OK(sock_xfer(b, a, 200000, 16384, 2));
	close(a);
	close(b);
}

/*
 * Set keys until the header read is one setsockopt accepts: 1 and the
 * {version, cipher} getsockopt then reports; 0 when no try did (the
 * flipper's timing may keep one value in view a while); or -1.
 */
static int install_racing(int fd, int dir, union race_buf *buf, uint32_t *w,
			  int *tries)
{
	int i;

	for (i = 0; i < RACE_TRIES; i++) {
		++*tries;
		if (!setsockopt(fd, SOL_TLS, dir, &buf->k, RACE_OPTLEN))
			return get_hdr(fd, dir, w) ? -1 : 1;
		if (errno != EINVAL) {
			TH_LOG("setsockopt: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * First installs on fresh sockets, TX then RX from one buffer under the
 * flipper: what getsockopt reports must be what some successful call
 * asked for at this length (TLS 1.3 or 1.2 with AES-GCM-128), the same
 * for both directions.  The last socket then talks to kTLS.
 */
TEST_TIMEOUT(neighbour_key_header_flipped_during_first_install, 300)
{
	uint32_t v13 = hdr_word(TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128);
	uint32_t v12 = hdr_word(TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128);
	int n, c = -1, s = -1, tries = 0, bad = 0, n12 = 0, both = 0, r;
	union race_buf buf;
	union keys_info k, peer;
	struct flipper f;
	uint32_t wt = 0, wr = 0;
	char n1[64], n2[64];

	neighbour_check();
	keys_make(&buf.k, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 23, 11);
	k = buf.k;
	ASSERT_OK(flipper_start(&f, &buf, NULL));
	for (n = 0; n < RACE_FRESH; n++) {
		if (c >= 0) {
			close(c);
			close(s);
		}
		ASSERT_OK(sock_pair(AF_INET, &c, &s));
		ASSERT_OK(sock_attach(c, "tlso"));
		r = install_racing(c, TLS_TX, &buf, &wt, &tries);
		ASSERT_GE(r, 0);
		if (r)
			r = install_racing(c, TLS_RX, &buf, &wr, &tries);
		ASSERT_GE(r, 0);
		if (!r)
			continue;
		both++;
		n12 += wt == v12;
		if ((wt != v13 && wt != v12) || wr != wt) {
			if (!bad++)
				TH_LOG("socket %d: TX %s, RX %s", n,
				       hdr_name(wt, n1, sizeof(n1)),
				       hdr_name(wr, n2, sizeof(n2)));
		}
	}
	flipper_stop(&f);
	TH_LOG("%d sockets, %d tries, %d with both keys, %d of them TLS 1.2",
	       RACE_FRESH, tries, both, n12);
	EXPECT_EQ(bad, 0);
	ASSERT_GT(both, 0);

	/* A socket that took both keys carries what getsockopt says. */
	buf.word = v13;
	while (!r) {
		close(c);
		close(s);
		ASSERT_OK(sock_pair(AF_INET, &c, &s));
		ASSERT_OK(sock_attach(c, "tlso"));
		r = install_racing(c, TLS_TX, &buf, &wt, &tries);
		ASSERT_GE(r, 0);
		if (r)
			r = install_racing(c, TLS_RX, &buf, &wr, &tries);
		ASSERT_GE(r, 0);
	}
	ASSERT_EQ(wr, wt);
	ASSERT_OK(sock_attach(s, "tls"));
	peer = k;
	memcpy(&peer.info, &wt, sizeof(wt));
	ASSERT_OK(keys_install(s, TLS_RX, &peer));
	ASSERT_OK(keys_install(s, TLS_TX, &peer));
	EXPECT_OK(sock_xfer(c, s, 200000, 16384, 3));
	EXPECT_OK(sock_xfer(s, c, 200000, 16384, 4));
	close(c);
	close(s);
}

/* ---- empty records and peeks ---- */

#define FLOOD_GROUPS	10000
/* Empty data records before each one of FLOOD_DATA bytes. */
#define FLOOD_EMPTY	10
#define FLOOD_DATA	1024
#define FLOOD_BYTES	((size_t)FLOOD_GROUPS * FLOOD_DATA)
#define FLOOD_RECORDS	(FLOOD_GROUPS * (FLOOD_EMPTY + 1))
#define FLOOD_PEEK	(2 << 20)	/* the peek buffer */
#define FLOOD_PEEK_MS	2500	/* how long the application peeks */
/* Memory the other sockets and the guest may take meanwhile. */
#define FLOOD_SLACK	(16 << 20)
/* What rmem_alloc may be past rcvbuf: a record, a TCP segment. */
#define FLOOD_RMEM_SLACK	(256 << 10)

FIXTURE(neighbour_flood) {
	int ra, rb;	/* ra: tlso receiving; rb: raw, the peer */
	uint8_t *stream, *plain, *buf;
	size_t len;
	pid_t writer;
};

FIXTURE_VARIANT(neighbour_flood) {
	uint16_t version;
	int rcvbuf;	/* SO_RCVBUF to set, 0 to leave it to TCP */
};

FIXTURE_VARIANT_ADD(neighbour_flood, tls12_autotuned) { TLS_1_2_VERSION, 0 };
FIXTURE_VARIANT_ADD(neighbour_flood, tls13_rcvbuf_64k) { TLS_1_3_VERSION, 65536 };

FIXTURE_SETUP(neighbour_flood)
{
	struct wire_usealer w;
	union keys_info k;
	size_t i, cap;
	int g, e, sndbuf = 256 << 10;

	self->ra = self->rb = -1;
	neighbour_check();
	ASSERT_OK(sock_pair(AF_INET, &self->ra, &self->rb));
	if (variant->rcvbuf)
		ASSERT_OK(setsockopt(self->ra, SOL_SOCKET, SO_RCVBUF,
				     &variant->rcvbuf, sizeof(int)));
	/* The peer's own queue stays small: it is not what is measured. */
	ASSERT_OK(setsockopt(self->rb, SOL_SOCKET, SO_SNDBUF, &sndbuf,
			     sizeof(sndbuf)));
	ASSERT_OK(sock_attach(self->ra, "tlso"));
	keys_make(&k, variant->version, TLS_CIPHER_AES_GCM_128, 31, 5);
	ASSERT_OK(keys_install(self->ra, TLS_RX, &k));

	self->plain = malloc(FLOOD_BYTES);
	self->buf = malloc(FLOOD_PEEK);
	cap = (size_t)FLOOD_GROUPS * (FLOOD_DATA + 64 + FLOOD_EMPTY * 64);
	self->stream = malloc(cap);
	ASSERT_TRUE(self->plain && self->buf && self->stream);
	memset(self->buf, 0, FLOOD_PEEK);
	for (i = 0; i < FLOOD_BYTES; i++)
		self->plain[i] = sock_pattern(i, 77);
	ASSERT_OK(wire_useal_open(&w, &k));
	for (g = 0; g < FLOOD_GROUPS; g++) {
		ssize_t n;

		for (e = 0; e < FLOOD_EMPTY; e++) {
			n = wire_useal(&w, 23, NULL, 0,
				       self->stream + self->len,
				       cap - self->len);
			ASSERT_GT(n, 0);
			self->len += n;
		}
		n = wire_useal(&w, 23, self->plain + (size_t)g * FLOOD_DATA,
			       FLOOD_DATA, self->stream + self->len,
			       cap - self->len);
		ASSERT_GT(n, 0);
		self->len += n;
	}
	wire_useal_close(&w);
}

FIXTURE_TEARDOWN(neighbour_flood)
{
	int status;

	if (self->writer > 0) {
		kill(self->writer, SIGKILL);
		waitpid(self->writer, &status, 0);
	}
	if (self->ra >= 0)
		close(self->ra);
	if (self->rb >= 0)
		close(self->rb);
	free(self->stream);
	free(self->plain);
	free(self->buf);
}

/* Memory in use in the guest, in bytes: MemTotal - MemAvailable. */
static long long mem_used(void)
{
	long long total = -1, avail = -1, v;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %lld kB", &v) == 1)
			total = v;
		else if (sscanf(line, "MemAvailable: %lld kB", &v) == 1)
			avail = v;
	}
	fclose(f);
	return total < 0 || avail < 0 ? -1 : (total - avail) * 1024;
}

/* SO_MEMINFO's receive figures: 0, or -1. */
static int rmem_info(int fd, uint32_t *rmem, uint32_t *rcvbuf)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len))
		return -1;
	*rmem = mem[SK_MEMINFO_RMEM_ALLOC];
	*rcvbuf = mem[SK_MEMINFO_RCVBUF];
	return 0;
}

/*
 * The peer sends 100 000 empty data records among 10 000 records of
 * 1 KiB while the application peeks with a 2 MiB buffer, again and
 * again: the records kept for the peeks are charged to the socket
 * (SO_MEMINFO's rmem_alloc covers them, and stays near rcvbuf), the
 * kernel's memory grows by a few receive buffers at most, and then every
 * byte reads in order.
 */
TEST_F_TIMEOUT(neighbour_flood, empty_records_under_peek, 300)
{
	long long base, used, grown = 0, limit = 0;
	uint32_t rmem, rcvbuf, max_rcvbuf = 0;
	size_t got = 0, max_peek = 0;
	int peeks = 0, under = 0, over = 0, status;
	struct tlso_info info;
	long long end;

	base = mem_used();
	ASSERT_GT(base, 0);
	fflush(NULL);
	self->writer = fork();
	ASSERT_GE(self->writer, 0);
	if (self->writer == 0)
		_exit(tlso_write_all(self->rb, self->stream, self->len) ?
		      1 : 0);

	end = sock_ms() + FLOOD_PEEK_MS;
	while (sock_ms() < end) {
		ssize_t n = recv(self->ra, self->buf, FLOOD_PEEK,
				 MSG_PEEK | MSG_DONTWAIT);

		if (n < 0) {
			ASSERT_EQ(errno, EAGAIN);
			usleep(5000);
			continue;
		}
		ASSERT_GT(n, 0);
		ASSERT_MEMEQ(self->buf, self->plain, n);
		peeks++;
		if ((size_t)n > max_peek)
			max_peek = n;
		ASSERT_OK(rmem_info(self->ra, &rmem, &rcvbuf));
		if (rcvbuf > max_rcvbuf)
			max_rcvbuf = rcvbuf;
		/* What is kept for the next peek is charged for. */
		if (rmem < (size_t)n && !under++)
			TH_LOG("peek of %zd bytes, rmem_alloc %u", n, rmem);
		if (rmem > rcvbuf + FLOOD_RMEM_SLACK && !over++)
			TH_LOG("rmem_alloc %u past rcvbuf %u", rmem, rcvbuf);
		used = mem_used();
		limit = 4LL * max_rcvbuf + FLOOD_SLACK;
		if (used - base > grown)
			grown = used - base;
		/* Stop before the guest runs out of memory. */
		ASSERT_LE(grown, limit);
		usleep(5000);
	}
	TH_LOG("%d peeks, the largest %zu bytes; rcvbuf up to %u; memory "
	       "grew by %lld KiB (limit %lld KiB)", peeks, max_peek,
	       max_rcvbuf, grown >> 10, limit >> 10);
	EXPECT_GT(peeks, 0);
	EXPECT_EQ(under, 0);
	EXPECT_EQ(over, 0);

	while (got < FLOOD_BYTES) {
		ssize_t n = recv(self->ra, self->buf, 65536, 0);

		ASSERT_GT(n, 0);
		ASSERT_LE(got + n, FLOOD_BYTES);
		ASSERT_MEMEQ(self->buf, self->plain + got, n);
		got += n;
	}
	ASSERT_EQ(waitpid(self->writer, &status, 0), self->writer);
	self->writer = 0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_ERRNO(recv(self->ra, self->buf, 1, MSG_DONTWAIT), EAGAIN);

	/* Every record was decrypted, the empty ones too; nothing charged. */
	ASSERT_OK(sock_tlso_info(self->ra, &info));
	EXPECT_EQ(info.rx_records, FLOOD_RECORDS);
	EXPECT_EQ(info.rx_bytes, FLOOD_BYTES);
	ASSERT_OK(rmem_info(self->ra, &rmem, &rcvbuf));
	EXPECT_EQ(rmem, 0);
}

/* ---- the deferred send work and a blocked sender ---- */

#define TXW_BYTES	(4 << 20)
#define TXW_SLOW_MS	2500	/* the reader's slow start */
#define TXW_SLOW_READ	16384
#define TXW_SCANS	10
/* The sender's send buffer and the reader's receive buffer. */
#define TXW_BUF		65536

/* Whether a file holds text; -1 when it cannot be read. */
static int file_has(const char *path, const char *text)
{
	char buf[8192];

	if (kmod_read_file(path, buf, sizeof(buf)))
		return -1;
	return strstr(buf, text) != NULL;
}

/* Longest /proc/PID/task/TID/FILE we build (ids are short numbers). */
#define TXW_PATH	96

/* A task's state letter from its stat line, or 0. */
static char task_state(const char *pid, const char *tid)
{
	char path[TXW_PATH], buf[1024], *p;

	snprintf(path, sizeof(path), "/proc/%.16s/task/%.16s/stat", pid, tid);
	if (kmod_read_file(path, buf, sizeof(buf)))
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Tasks asleep uninterruptibly (D) with fn on their kernel stack. */
static int tasks_blocked_in(const char *fn)
{
	DIR *proc = opendir("/proc");
	struct dirent *p, *t;
	int found = 0;

	if (!proc)
		return -1;
	while ((p = readdir(proc))) {
		char tdir[TXW_PATH];
		DIR *tasks;

		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(tdir, sizeof(tdir), "/proc/%.16s/task", p->d_name);
		tasks = opendir(tdir);
		if (!tasks)
			continue;
		while ((t = readdir(tasks))) {
			char stack[TXW_PATH];

			if (t->d_name[0] < '0' || t->d_name[0] > '9')
				continue;
			if (task_state(p->d_name, t->d_name) != 'D')
				continue;
			snprintf(stack, sizeof(stack),
				 "/proc/%.16s/task/%.16s/stack", p->d_name,
				 t->d_name);
			if (file_has(stack, fn) == 1) {
				TH_LOG("task %s is blocked in %s", t->d_name,
				       fn);
				found++;
			}
		}
		closedir(tasks);
	}
	closedir(proc);
	return found;
}

/*
 * A sender blocked in one large send() to a peer that reads slowly:
 * TCP calls write_space as the peer reads, with the sender holding the
 * send lock all along.  No kernel thread may wait for it in tlso's send
 * work, and every byte arrives.
 */
TEST_TIMEOUT(tx_work_never_waits_for_the_sender, 300)
{
	int a, b, bufsize = TXW_BUF, scans = 0, found = 0, status, i;
	union keys_info k;
	pid_t sender, reader;

	load_modules();
	if (file_has("/proc/self/stack", "") != 1)
		SKIP("kernel stacks cannot be read here");
	ASSERT_OK(sock_pair(AF_INET, &a, &b));
	ASSERT_OK(setsockopt(a, SOL_SOCKET, SO_SNDBUF, &bufsize,
			     sizeof(bufsize)));
	ASSERT_OK(setsockopt(b, SOL_SOCKET, SO_RCVBUF, &bufsize,
			     sizeof(bufsize)));
	ASSERT_OK(sock_attach(a, "tlso"));
	ASSERT_OK(sock_attach(b, "tls"));
	keys_make(&k, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 41, 0);
	ASSERT_OK(keys_install(a, TLS_TX, &k));
	ASSERT_OK(keys_install(b, TLS_RX, &k));

	fflush(NULL);
	sender = fork();
	ASSERT_GE(sender, 0);
	if (sender == 0) {
		uint8_t *buf = malloc(TXW_BYTES);
		size_t j;

		if (!buf)
			_exit(2);
		for (j = 0; j < TXW_BYTES; j++)
			buf[j] = sock_pattern(j, 41);
		/* One call: the send lock is held until all is in TCP. */
		_exit(send(a, buf, TXW_BYTES, 0) == TXW_BYTES ? 0 : 1);
	}
	reader = fork();
	ASSERT_GE(reader, 0);
	if (reader == 0) {
		uint8_t *buf = malloc(65536);
		long long slow_end = sock_ms() + TXW_SLOW_MS;
		size_t got = 0;

		if (!buf)
			_exit(2);
		while (got < TXW_BYTES) {
			bool slow = sock_ms() < slow_end;
			ssize_t n = recv(b, buf, slow ? TXW_SLOW_READ : 65536,
					 0);
			ssize_t j;

			if (n <= 0)
				_exit(3);
			for (j = 0; j < n; j++)
				if (buf[j] != sock_pattern(got + j, 41))
					_exit(4);
			got += n;
			if (slow)
				usleep(20 * 1000);
		}
		_exit(0);
	}

	usleep(300 * 1000);
	for (i = 0; i < TXW_SCANS; i++) {
		int n;

		if (waitpid(sender, &status, WNOHANG) == sender) {
			sender = 0;
			break;
		}
		n = tasks_blocked_in("tlso_tx_work");
		ASSERT_GE(n, 0);
		found += n;
		scans++;
		usleep(150 * 1000);
	}
	TH_LOG("%d scans while the sender was blocked", scans);
	if (sender)
		ASSERT_EQ(waitpid(sender, &status, 0), sender);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(waitpid(reader, &status, 0), reader);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_GE(scans, 3);
	EXPECT_EQ(found, 0);
	close(a);
	close(b);
}

/* ---- the hostile neighbour: tlso's handshake upcall ---- */

/*
 * Joining the handshake group would make the module believe a daemon
 * runs; taking or ending requests would be worse.  All need
 * CAP_NET_ADMIN.
 */
TEST(neighbour_cannot_be_the_daemon)
{
	struct upcall u;

	neighbour_check();
	ASSERT_OK(upcall_open(&u, 0));
	EXPECT_EQ(upcall_join(&u), -EPERM);
	EXPECT_EQ(upcall_accept(&u), -EPERM);
	EXPECT_EQ(upcall_done(&u, 1, 0, 0, NULL, NULL, 0), -EPERM);
	upcall_close(&u);
}

/*
 * Requests queue for a daemon that does not take them (the root case is
 * one): the neighbour gets NEIGHBOUR_CAP of them and then EAGAIN, however
 * many sockets it opens; each refused socket stays as it was.
 */
TEST(neighbour_cannot_pass_its_pending_cap)
{
	struct tlso_handshake_req r = { .role = TLSO_ROLE_CLIENT };
	struct tlso_handshake_status st;
	int cli[NEIGHBOUR_CAP + 4], srv[NEIGHBOUR_CAP + 4];
	socklen_t len;
	int i;

	neighbour_check();
	ASSERT_EQ(kmod_param_get("max_pending_per_user"), NEIGHBOUR_CAP);
	for (i = 0; i < NEIGHBOUR_CAP + 4; i++) {
		ASSERT_OK(sock_pair(AF_INET, &cli[i], &srv[i]));
		ASSERT_OK(sock_attach(cli[i], "tlso"));
		ASSERT_OK(fcntl(cli[i], F_SETFL, O_NONBLOCK));
		errno = 0;
		EXPECT_EQ(setsockopt(cli[i], SOL_TLS, TLSO_HANDSHAKE, &r,
				     sizeof(r)), -1);
		EXPECT_EQ(errno, i < NEIGHBOUR_CAP ? EINPROGRESS : EAGAIN);
		len = sizeof(st);
		ASSERT_OK(getsockopt(cli[i], SOL_TLS, TLSO_HANDSHAKE, &st,
				     &len));
		EXPECT_EQ(st.state, i < NEIGHBOUR_CAP ? TLSO_HS_PENDING :
							TLSO_HS_NONE);
	}
	for (i = 0; i < NEIGHBOUR_CAP + 4; i++) {
		close(cli[i]);
		close(srv[i]);
	}
}

/*
 * The section itself: this program again, as uid 1000 through setpriv,
 * with no capability left and no way to gain one; its cases report as
 * this run's.  It must have run every neighbour case, and all passed.
 */
TEST_TIMEOUT(hostile_neighbour_as_uid_1000, 900)
{
	char self_exe[PATH_MAX], uid[16], line[512];
	long saved;
	int out[2], status, pass = 0, fail = 0, skip = 0;
	struct upcall u;
	ssize_t n;
	pid_t pid;
	FILE *f;

	load_modules();
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	ASSERT_GT(n, 0);
	self_exe[n] = 0;
	/* A daemon that takes nothing, so that requests queue. */
	ASSERT_OK(upcall_open(&u, 1));
	saved = kmod_param_get("max_pending_per_user");
	ASSERT_GT(saved, 0);
	ASSERT_OK(kmod_param_set("max_pending_per_user", NEIGHBOUR_CAP));
	snprintf(uid, sizeof(uid), "%d", NEIGHBOUR_UID);
	ASSERT_OK(pipe(out));
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(out[1], 2);
		close(out[0]);
		close(out[1]);
		setenv(NEIGHBOUR_ENV, "1", 1);
		execlp("setpriv", "setpriv", "--reuid", uid, "--regid", uid,
		       "--clear-groups", "--inh-caps=-all",
		       "--bounding-set=-all", "--no-new-privs", self_exe,
		       "neighbour_*", (char *)NULL);
		printf("exec setpriv: %s\n", strerror(errno));
		_exit(127);
	}
	ASSERT_GT(pid, 0);
	close(out[1]);
	f = fdopen(out[0], "r");
	ASSERT_TRUE(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		/* Its verdicts are this program's own: pass them on. */
		fputs(line, stdout);
		pass += !strncmp(line, "PASS: ", 6);
		fail += !strncmp(line, "FAIL: ", 6);
		skip += !strncmp(line, "SKIP: ", 6);
	}
	fclose(f);
	fflush(stdout);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	upcall_close(&u);
	EXPECT_OK(kmod_param_set("max_pending_per_user", saved));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Its cases: 2 races, 2 floods, 2 at the upcall. */
	EXPECT_EQ(pass, 6);
	EXPECT_EQ(fail, 0);
	EXPECT_EQ(skip, 0);
}

TEST_HARNESS_MAIN
