// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM test: stress.  Worker threads make loopback connections with tlso
 * on both ends, one after another for a fixed time, and drive each with
 * a random sequence of everything the module serves: keys of both
 * versions and every cipher, TLS 1.3 rekeys, send with and without
 * MSG_MORE, MSG_EOR, MSG_DONTWAIT, sendfile, splice both ways, recv with
 * MSG_PEEK and MSG_WAITALL, control records, poll, shutdown and close at
 * any point.  One connection in eight has a raw peer that seals its own
 * records, cut anywhere, and often ends them with a damaged, truncated or
 * oversized one; one in five has a thread for each end of each direction,
 * so that every socket is read and written at once.  Every byte read is
 * checked, and every error must be the one kTLS gives for what was sent
 * (the library: stress_conn.h).
 *
 * Settings, from the environment:
 *   TLSO_STRESS_SECONDS   how long (default 20; the debug lane: 600)
 *   TLSO_STRESS_SEED      the run's seed (default: from the clock); it is
 *                         printed first, so that a failure can be replayed
 *   TLSO_STRESS_THREADS   worker threads (default 4)
 *   TLSO_STRESS_CONN      run only this connection of the seed's run,
 *                         once, in one thread: what a failure names
 *   TLSO_STRESS_VERBOSE   1: print every operation
 *
 * A connection does the same operations, in the same order, whichever
 * thread runs it and whatever the others do; only how much a call that
 * does not wait manages to move may differ from run to run, and how the
 * threads of a duplex connection interleave.
 *
 * At the end every socket is closed, and /proc/net/tlso_stat must show
 * the sockets gone and the rekeys, refused keys and decryption errors
 * the connections saw, no more and no fewer.
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>

#include "harness.h"
#include "kmod.h"
#include "sock.h"
#include "stress_conn.h"

#include <linux/tlso.h>

/* An operation this long has hung: every blocking call has a timeout. */
#define ST_HANG_S	(4 * ST_TIMEO_S)

static const char *const st_op_names[ST_NOPS] = {
	"send", "sendmsg", "sendfile", "splice-in", "flush", "control",
	"rekey", "bad-key", "shutdown", "recv", "peek", "splice-out", "poll",
	"rx-key", "info", "raw-data", "raw-control", "raw-keyupdate",
	"raw-write", "raw-bad", "raw-read", "close",
};

static const char *const st_bad_names[ST_NBAD] = {
	"none", "flipped", "sequence", "oversized", "short", "version",
	"truncated", "no-type",
};

static long long st_env(const char *name, long long def, long long min,
			long long max)
{
	const char *s = getenv(name);
	long long v;
	char *end;

	if (!s || !*s)
		return def;
	v = strtoll(s, &end, 0);
	if (*end || v < min || v > max) {
		TH_LOG("ignoring %s=%s", name, s);
		return def;
	}
	return v;
}

static int st_done_workers;

static void *st_worker_main(void *arg)
{
	struct st_worker *w = arg;

	w->tid = (pid_t)syscall(SYS_gettid);
	while (!st_stopped()) {
		if (st_run.only >= 0) {
			st_conn_run(w, st_run.only);
			break;
		}
		if (st_now() >= st_run.deadline)
			break;
		st_conn_run(w, __atomic_fetch_add(&st_run.next_conn, 1,
						  __ATOMIC_RELAXED));
	}
	__atomic_fetch_add(&st_done_workers, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* Where a hung thread sleeps in the kernel, for the report. */
static void st_show_stack(pid_t tid)
{
	char path[64], buf[4096];

	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", tid);
	if (kmod_read_file(path, buf, sizeof(buf)) == 0)
		TH_LOG("kernel stack of thread %d:\n%s", tid, buf);
}

/* Each worker's operation: one that does not return is a hang. */
static bool st_watch(struct st_worker *w, int n)
{
	double now = st_now();
	int i;

	for (i = 0; i < n; i++) {
		double since;

		pthread_mutex_lock(&w[i].lock);
		since = w[i].since;
		if (since && now - since > ST_HANG_S) {
			pthread_mutex_lock(&st_run.lock);
			__atomic_store_n(&st_run.stop, 1, __ATOMIC_RELAXED);
			if (!st_run.failed++)
				snprintf(st_run.why, sizeof(st_run.why),
					 "seed %llu conn %llu: %s did not return in %d s",
					 (unsigned long long)st_run.seed,
					 (unsigned long long)w[i].conn,
					 w[i].op, ST_HANG_S);
			pthread_mutex_unlock(&st_run.lock);
			TH_LOG("stress: FAIL: seed=%llu threads=%d conn=%llu: %s has not returned in %.0f s; replay it alone: TLSO_STRESS_SEED=%llu TLSO_STRESS_CONN=%llu",
			       (unsigned long long)st_run.seed, st_run.threads,
			       (unsigned long long)w[i].conn, w[i].op,
			       now - since, (unsigned long long)st_run.seed,
			       (unsigned long long)w[i].conn);
			pthread_mutex_unlock(&w[i].lock);
			st_show_stack(w[i].tid);
			return true;
		}
		pthread_mutex_unlock(&w[i].lock);
	}
	return false;
}

static uint64_t st_total_ops(void)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < ST_NOPS; i++)
		n += __atomic_load_n(&st_run.stats.ops[i], __ATOMIC_RELAXED);
	return n;
}

static void st_summary(double secs)
{
	struct st_stats *s = &st_run.stats;
	char line[1024];
	size_t n = 0;
	int i;

	TH_LOG("stress: seed=%llu threads=%d: %.0f s, %llu connections (%llu hostile, %llu duplex), %llu operations, %llu bytes checked",
	       (unsigned long long)st_run.seed, st_run.threads, secs,
	       (unsigned long long)s->conns, (unsigned long long)s->hostile,
	       (unsigned long long)s->duplex,
	       (unsigned long long)st_total_ops(),
	       (unsigned long long)s->bytes);
	for (i = 0; i < ST_NOPS; i++)
		n += snprintf(line + n, sizeof(line) - n, " %s %llu",
			      st_op_names[i], (unsigned long long)s->ops[i]);
	TH_LOG("stress: operations:%s", line);
	TH_LOG("stress: records read: control %llu, KeyUpdate %llu; rekeys %llu sent, %llu received; keys refused %llu",
	       (unsigned long long)s->ctrl, (unsigned long long)s->ku,
	       (unsigned long long)s->tx_rekey_ok,
	       (unsigned long long)s->rx_rekey_ok,
	       (unsigned long long)(s->tx_rekey_err + s->rx_rekey_err));
	n = 0;
	for (i = 1; i < ST_NBAD; i++)
		n += snprintf(line + n, sizeof(line) - n, " %s %llu",
			      st_bad_names[i], (unsigned long long)s->bad[i]);
	TH_LOG("stress: hostile peers: %llu records sealed; bad ones:%s",
	       (unsigned long long)s->raw_records, line);
	n = 0;
	for (i = 0; i < ST_NERR; i++)
		if (s->err[i])
			n += snprintf(line + n, sizeof(line) - n, " %s %llu",
				      st_errname(i),
				      (unsigned long long)s->err[i]);
	TH_LOG("stress: reads that returned no data:%s", line);
}

/*
 * A key of each cipher once, before the clock starts: the first loads
 * the crypto modules, which takes seconds under emulation.
 */
static void st_warm_up(void)
{
	union keys_info k;
	size_t i;
	int a, b;

	for (i = 0; i < ST_NELEM(keys_ciphers); i++) {
		ASSERT_OK(sock_pair(AF_INET, &a, &b));
		ASSERT_OK(sock_attach(a, "tlso"));
		keys_make(&k, TLS_1_3_VERSION, keys_ciphers[i].type, 1, 0);
		ASSERT_OK(keys_install(a, TLS_TX, &k));
		close(a);
		close(b);
	}
}

static const char *const st_counters[] = {
	TLSO_STAT_CURR_ATTACHED, TLSO_STAT_CURR_TX, TLSO_STAT_CURR_RX,
	TLSO_STAT_TX_REKEY_OK, TLSO_STAT_RX_REKEY_OK,
	TLSO_STAT_TX_REKEY_ERROR, TLSO_STAT_RX_REKEY_ERROR,
	TLSO_STAT_DECRYPT_ERROR,
};

#define ST_NCOUNTERS	ST_NELEM(st_counters)

static void st_read_counters(long *v)
{
	size_t i;

	for (i = 0; i < ST_NCOUNTERS; i++)
		v[i] = kmod_tlso_stat(st_counters[i]);
}

/*
 * The counters after the run: sockets back where they were (closed
 * sockets go when TCP destroys them, a moment later), and what the
 * connections did counted exactly.
 */
static void st_check_counters(const long *before)
{
	const struct st_stats *s = &st_run.stats;
	uint64_t want[ST_NCOUNTERS] = {
		0, 0, 0, s->tx_rekey_ok, s->rx_rekey_ok, s->tx_rekey_err,
		s->rx_rekey_err, s->decrypt_err,
	};
	long after[ST_NCOUNTERS];
	size_t i;
	int tries;

	for (tries = 0; tries < 200; tries++) {
		st_read_counters(after);
		if (after[0] == before[0] && after[1] == before[1] &&
		    after[2] == before[2])
			break;
		usleep(100 * 1000);
	}
	for (i = 0; i < ST_NCOUNTERS; i++) {
		if (after[i] >= 0 && after[i] - before[i] == (long)want[i])
			continue;
		TH_LOG("%s: %ld before, %ld after, expected %+lld",
		       st_counters[i], before[i], after[i],
		       (long long)want[i]);
		EXPECT_EQ(after[i] - before[i], (long)want[i]);
	}
}

TEST_TIMEOUT(stress, 3600)
{
	long long seed = (long long)(st_mix((uint64_t)time(NULL) ^
					    ((uint64_t)getpid() << 32)) >>
				     34);
	struct st_worker *w;
	long before[ST_NCOUNTERS];
	double start, last;
	int i, n;

	if (!kmod_loaded("tlso"))
		ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);
	signal(SIGPIPE, SIG_IGN);
	st_run.seed = st_env("TLSO_STRESS_SEED", seed, 0, LLONG_MAX);
	st_run.seconds = st_env("TLSO_STRESS_SECONDS", 20, 1, 86400);
	st_run.threads = st_env("TLSO_STRESS_THREADS", 4, 1, 64);
	st_run.only = st_env("TLSO_STRESS_CONN", -1, 0, LLONG_MAX);
	st_run.verbose = st_env("TLSO_STRESS_VERBOSE", 0, 0, 1);
	if (st_run.only >= 0)
		st_run.threads = 1;
	TH_LOG("stress: seed=%llu threads=%d seconds=%d%s (replay: TLSO_STRESS_SEED=%llu TLSO_STRESS_THREADS=%d)",
	       (unsigned long long)st_run.seed, st_run.threads,
	       st_run.seconds, st_run.only >= 0 ? ", one connection" : "",
	       (unsigned long long)st_run.seed, st_run.threads);
	ASSERT_OK(st_setup());
	/* Before the warm-up's sockets, which TCP destroys a moment later. */
	st_read_counters(before);
	for (i = 0; i < (int)ST_NCOUNTERS; i++)
		ASSERT_GE(before[i], 0);
	st_warm_up();

	n = st_run.threads;
	w = calloc(n, sizeof(*w));
	ASSERT_TRUE(w != NULL);
	start = last = st_now();
	st_run.deadline = start + st_run.seconds;
	for (i = 0; i < n; i++) {
		pthread_mutex_init(&w[i].lock, NULL);
		w[i].buf = malloc(ST_BUF);
		w[i].raw[0] = malloc(ST_RAW_BUF);
		w[i].raw[1] = malloc(ST_RAW_BUF);
		ASSERT_TRUE(w[i].buf && w[i].raw[0] && w[i].raw[1]);
		ASSERT_EQ(pthread_create(&w[i].thread, NULL, st_worker_main,
					 &w[i]), 0);
	}
	while (__atomic_load_n(&st_done_workers, __ATOMIC_RELAXED) < n) {
		usleep(200 * 1000);
		if (st_watch(w, n)) {
			/* A thread stuck in the kernel cannot be joined. */
			th_fail(__FILE__, __LINE__, "%s", st_run.why);
			_TH_END(1);
		}
		if (st_now() - last >= 60) {
			last = st_now();
			TH_LOG("stress: %.0f s: %llu connections, %llu operations, %llu bytes checked",
			       last - start,
			       (unsigned long long)st_run.stats.conns,
			       (unsigned long long)st_total_ops(),
			       (unsigned long long)st_run.stats.bytes);
		}
	}
	for (i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		free(w[i].buf);
		free(w[i].raw[0]);
		free(w[i].raw[1]);
	}
	free(w);
	st_cleanup();
	st_summary(st_now() - start);
	if (st_run.failed) {
		th_fail(__FILE__, __LINE__, "%s", st_run.why);
		_TH_END(1);
	}
	st_check_counters(before);
}

TEST_HARNESS_MAIN
