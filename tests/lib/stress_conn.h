/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test library: the connections of the stress test (tests/vm/stress_test.c).
 *
 * Worker threads each run one connection at a time: a loopback TCP pair
 * with tlso on both ends, or (one in eight) a tlso end facing a raw peer
 * that seals its records in userspace with GnuTLS (wire.h), and may end
 * them with a damaged, truncated or oversized one.  The worker drives
 * both ends itself, or (a quarter of the tlso pairs) starts a thread for
 * each end of each direction.  Every choice a connection makes comes
 * from its own generator, seeded from the run's seed and the
 * connection's number, so that one connection of a failed run can be
 * run again alone (TLSO_STRESS_CONN).
 *
 * Each direction is a stream of bytes whose value is a function of the
 * direction and the offset (st_pattern()), so the receiver checks each
 * byte it gets, in order.  Control records and KeyUpdates are events
 * queued at the stream offset they were sent at: no read may cross one,
 * and the next read at that offset must return it.
 *
 *   stress_core.c	the run, the generator, keys, the log; a connection
 *			from start to end (st_conn_run())
 *   stress_ops.c	what the two tlso ends do: send, sendfile, splice,
 *			recv, poll, rekey...; st_got() checks each read
 *   stress_raw.c	the raw peer: its records, good and bad, and its
 *			reading of tlso's
 *   stress_duplex.c	the four threads of a duplex connection
 */
#ifndef TLSO_TEST_STRESS_CONN_H
#define TLSO_TEST_STRESS_CONN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ktls_keys.h"
#include "wire.h"

#define ST_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* A blocking call that waits this long has hung (SO_RCVTIMEO...). */
#define ST_TIMEO_S	10
/* Bytes of the largest read or write; most are 4 KB at most. */
#define ST_BIG		20000
/* Room for a read's content, and for the raw peer's bytes either way. */
#define ST_BUF		(ST_BIG + 4096)
#define ST_RAW_BUF	(128 * 1024)
/* Unread bytes a blocking send may leave, and past which none is sent. */
#define ST_BLOCK_MAX	(24 * 1024)
#define ST_HIGH		(64 * 1024)
#define ST_CTRL_MAX	64
#define ST_EVENTS	16
#define ST_RAW_RECS	256
#define ST_TRACE	24
#define ST_OPLEN	160
#define ST_LINE		(ST_OPLEN + 64)	/* with its result */

enum st_op {
	ST_SEND, ST_SENDMSG, ST_SENDFILE, ST_SPLICE_IN, ST_FLUSH, ST_CTRL,
	ST_REKEY, ST_BADKEY, ST_SHUT,
	ST_RECV, ST_PEEK, ST_SPLICE_OUT, ST_POLL, ST_RXKEY, ST_INFO,
	ST_RAW_DATA, ST_RAW_CTRL, ST_RAW_KU, ST_RAW_WRITE, ST_RAW_BAD,
	ST_RAW_READ,
	ST_CLOSE,
	ST_NOPS
};

/* What a raw peer's bad record is. */
enum st_bad {
	ST_BAD_NONE,
	ST_BAD_FLIP,	/* a byte of the ciphertext or tag flipped */
	ST_BAD_SEQ,	/* sealed with a sequence number skipped */
	ST_BAD_OVERSIZE,	/* a length past 2^14 plus overhead */
	ST_BAD_SHORT,	/* a length too short for nonce and tag */
	ST_BAD_VERSION,	/* version bytes other than 3,3 */
	ST_BAD_TRUNC,	/* cut short, then the peer's FIN */
	ST_BAD_NOTYPE,	/* TLS 1.3: nothing but zeros inside */
	ST_NBAD
};

/* How a read was made: what a control record gives each way. */
enum st_via { ST_VIA_MSG, ST_VIA_RECV, ST_VIA_SPLICE };

/* Errnos are counted up to this; 0 is the end of a stream. */
#define ST_NERR		160

struct st_stats {
	uint64_t conns, hostile, duplex, ops[ST_NOPS], bytes, ctrl, ku;
	uint64_t raw_records, bad[ST_NBAD], err[ST_NERR];
	/* what /proc/net/tlso_stat must have counted meanwhile */
	uint64_t tx_rekey_ok, rx_rekey_ok, tx_rekey_err, rx_rekey_err;
	uint64_t decrypt_err;
};

/* One worker thread, as the watchdog sees it. */
struct st_worker {
	pthread_t thread;
	pid_t tid;
	pthread_mutex_t lock;
	double since;		/* when its operation started; 0: none */
	uint64_t conn;
	char op[ST_OPLEN];
	uint8_t *buf;		/* ST_BUF */
	uint8_t *raw[2];	/* ST_RAW_BUF each: out, in */
};

struct st_run {
	uint64_t seed;
	int threads, seconds;
	long long only;		/* TLSO_STRESS_CONN, or -1 */
	bool verbose;
	double deadline;
	int stop, failed;
	uint64_t next_conn;
	char why[1024];
	pthread_mutex_t lock;
	int file;		/* sendfile's source: the pattern */
	struct st_stats stats;
};

extern struct st_run st_run;

/* A failure anywhere stops every connection. */
static inline bool st_stopped(void)
{
	return __atomic_load_n(&st_run.stop, __ATOMIC_RELAXED);
}

struct st_event {
	uint64_t off;		/* the stream offset it was sent at */
	uint8_t type;
	bool ku;		/* a KeyUpdate: the next key follows */
	bool committed;		/* on its way: a blocking read will get it */
	uint8_t len, used;	/* content bytes, and those read */
	uint8_t data[ST_CTRL_MAX];
};

struct st_rawrec {
	uint64_t end;		/* raw stream offset of its last byte + 1 */
	uint64_t plain;		/* data stream offset after it */
	int ev;			/* the event slot it carries, or -1 */
};

/*
 * One direction: from fd[tx] to fd[rx].  In a duplex connection its
 * sender and its receiver are threads of their own, each the only one
 * to write its fields; lock covers what the other reads.
 */
struct st_dir {
	pthread_mutex_t lock;
	int index, tx, rx;
	uint32_t base, ctrl_base;
	uint64_t sent;		/* data bytes reported sent */
	uint64_t sending;	/* ...and those of the send under way */
	uint64_t flushed;	/* of which surely on the way */
	uint64_t rcvd;		/* data bytes read and checked */
	uint64_t content;	/* content bytes of every record sent */
	uint64_t consumed;	/* of every record read */
	unsigned int nctrl;
	struct st_event ev[ST_EVENTS];
	unsigned int ev_head, ev_n;
	unsigned int tx_gen, rx_gen;	/* key generations in use */
	bool key_deferred;	/* the receiver has no key yet */
	bool key_wait;		/* KeyUpdate read, next key not set */
	bool shut;		/* the sender shut down writing, or closed */
	bool eof;		/* the receiver saw the end */
	bool lenient;		/* the far end closed reading: a prefix */
	bool reset;		/* ...and the receiver read its reset */
	/* a raw sender's records, and its bad one */
	struct wire_usealer seal;
	bool sealer;
	uint8_t *out;
	uint64_t raw_written, raw_queued;
	struct st_rawrec recs[ST_RAW_RECS];
	unsigned int rec_head, rec_n;
	enum st_bad bad;
	int bad_err;		/* for the reader: errno, or 0 for the end */
	bool bad_auth;		/* counted as a decrypt error */
	bool bad_sticky;	/* the error stays (else: once) */
	uint64_t bad_off;
	bool bad_sent;
	bool dead;		/* the reader saw the error */
	/* a raw receiver's bytes */
	struct wire_usealer open;
	bool opener;
	uint8_t *in;
	size_t in_len;
};

/* What a thread of a duplex connection does; one-thread ones do all. */
enum st_role_kind { ST_ROLE_ALL, ST_ROLE_SEND, ST_ROLE_RECV };

struct st_conn {
	uint64_t id;
	enum st_role_kind role;
	uint64_t rng;
	struct st_worker *w;
	uint16_t version, cipher;
	int family;
	bool hostile;		/* fd[0] is a raw peer */
	bool duplex;		/* a thread for each end of each direction */
	int fd[2], pipe[2];
	bool closed[2];
	struct st_dir *dir[2];	/* shared by the threads of a duplex one */
	struct st_dir dirs[2];
	unsigned long nops;
	bool failed;		/* st_fail() was called with it */
	char op[ST_OPLEN];
	double since, took;	/* the last operation's start and length */
	char trace[ST_TRACE][ST_LINE];
	unsigned int ntrace;
};

/* stress_core.c */
int st_setup(void);
void st_cleanup(void);
uint64_t st_mix(uint64_t x);
uint32_t st_rnd(struct st_conn *c, uint32_t n);
const uint8_t *st_pattern(uint32_t base, uint64_t off);
double st_now(void);
size_t st_keys(union keys_info *k, const struct st_conn *c, int dir,
	       unsigned int gen);
void st_begin(struct st_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void st_end(struct st_conn *c, ssize_t ret, int err);
int st_fail(struct st_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *st_errname(int err);
void st_count(uint64_t *counter, uint64_t n);
void st_count_err(int err);
int st_conn_run(struct st_worker *w, uint64_t id);

static inline void st_lock(struct st_dir *d)
{
	pthread_mutex_lock(&d->lock);
}

static inline void st_unlock(struct st_dir *d)
{
	pthread_mutex_unlock(&d->lock);
}

/* stress_ops.c */
enum st_next { ST_N_NONE, ST_N_DATA, ST_N_EVENT, ST_N_KEY, ST_N_BAD,
	       ST_N_EOF };
int st_next_thing(const struct st_dir *d, uint64_t *limit, uint64_t *sure);
int st_next(struct st_dir *d, uint64_t *limit, uint64_t *sure);
struct st_event *st_event_push(struct st_conn *c, struct st_dir *d,
			       uint8_t type, const uint8_t *data, size_t len);
int st_got(struct st_conn *c, struct st_dir *d, ssize_t n, int err,
	   const uint8_t *buf, uint8_t type, enum st_via via, bool peek,
	   bool blocking);
int st_op(struct st_conn *c, struct st_dir *d, enum st_op op);
int st_drain(struct st_conn *c, struct st_dir *d, bool to_end);

/* stress_duplex.c */
#define ST_HUNG		(-2)
int st_duplex_run(struct st_conn *c);

/* stress_raw.c */
int st_raw_open(struct st_conn *c);
void st_raw_close(struct st_conn *c);
int st_raw_op(struct st_conn *c, struct st_dir *d, enum st_op op);
int st_raw_write(struct st_conn *c, struct st_dir *d, bool all);
int st_raw_shut(struct st_conn *c, struct st_dir *d);
int st_raw_read(struct st_conn *c, struct st_dir *d, bool blocking);

#endif /* TLSO_TEST_STRESS_CONN_H */
