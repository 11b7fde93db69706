/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of tlso-perf share: a test's parameters and state, a
 * data connection, and the table of operations each mode fills in.
 */
#ifndef TLSO_PERF_H
#define TLSO_PERF_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <gnutls/gnutls.h>

#include "keys.h"

#define PERF_PROTO	"tlso-perf 1"
#define DEFAULT_PORT	"5301"
#define MAX_STREAMS	64
#define MAX_LEN		(16u << 20)
#define READ_LEN	(128u << 10)	/* the receiving end's read size */
#define IDLE_SECONDS	30		/* a silent peer fails the stream */
#define SETUP_SECONDS	120		/* handshakes under emulation are slow */
#define LINE_MAX_LEN	512
#define MAX_CONNS	256	/* data connections open at once, per test */

struct perf_mode;
struct perf_io;

enum keys { KEYS_HANDSHAKE, KEYS_STATIC };

/* ---- what a test is: params.c ---- */

/* What tlso-perf needs of a cipher beyond tlso's name for it. */
struct perf_cipher {
	uint16_t type;			/* TLS_CIPHER_* */
	gnutls_cipher_algorithm_t gnutls;
	const char *priority;		/* in a GnuTLS priority string */
};

/* In the order the control connection numbers them: do not reorder. */
extern const struct perf_cipher ciphers[];
extern const char *const keys_names[2];

/* What a test is: chosen by the client, sent to the server. */
struct perf_params {
	const struct perf_mode *mode;
	int tls;		/* 12 or 13 */
	unsigned int cipher;	/* index into ciphers[] */
	bool tls_set, cipher_set;
	enum keys keys;
	unsigned int streams;
	bool reverse, rx_only;
	uint64_t len;
	double seconds;
	uint64_t bytes;		/* 0: for a time */
	unsigned int handshakes;
	bool resume;		/* --handshakes: resumed ones, not full */
	char sendfile[256];
	char name[256];		/* the server name the client checks */
	char profile[64];	/* this end's tlsod profile, never sent */
	char cookie[33];
	/* static keys, as the kernel takes them */
	union tlso_crypto_info key_c2s, key_s2c;
};

const char *tls_name(int tls);
uint16_t tls_version(int tls);
const char *version_name(uint16_t version);

/*
 * tlso's name for a cipher in the lower case tlso-perf prints and parses
 * ("aes-gcm-128"), "unknown" for one tlso does not name.  A struct, so
 * that cipher_label(type).s can stand in an argument list.
 */
struct cipher_label {
	char s[24];
};

struct cipher_label cipher_label(uint16_t type);
int cipher_index(const char *label);
const struct perf_cipher *cipher_by_type(uint16_t type);
uint16_t cipher_from_gnutls(gnutls_cipher_algorithm_t alg);

int find_name(const char *const *names, size_t n, const char *s);
void hex_encode(char *out, const void *in, size_t len);
int send_params(int fd, const struct perf_params *p);
const char *recv_params(int fd, struct perf_params *p);

/* ---- this process: main.c ---- */

/* Local settings, never sent. */
struct perf_opts {
	bool server, one_off, json;
	const char *host, *port, *bind;
	double interval;
	const char *cert, *key, *ca, *profile;
};

extern struct perf_opts opt;
extern const char *const prog;

/* cmdline.c: the options into opt and *p; exits on bad usage and --help. */
void parse_cmdline(int argc, char **argv, struct perf_params *p);

/* ---- clock.c ---- */

/* CPU time of this process: user, system. */
struct cpu {
	double user, sys, wall;
};

double now(void);
void cpu_now(struct cpu *c);
void cpu_since(struct cpu *c, const struct cpu *start);

/* ---- socket.c ---- */

void set_timeout(int fd, int optname, double seconds);
int read_line(int fd, char *buf, size_t size);
int __attribute__((format(printf, 2, 3)))
send_line(int fd, const char *fmt, ...);
int connect_to(const char *host, const char *port, char *err,
	       size_t errlen);
int listen_on(const char *host, const char *port, char *err, size_t errlen);

/* ---- one data connection: conn.c ---- */

struct conn {
	int fd;
	bool client;		/* the TLS role */
	gnutls_session_t s;	/* mode gnutls only, after set-up */
	/* the version and cipher in use (TLS_*_VERSION, TLS_CIPHER_*) */
	uint16_t version, cipher;
	/* how the data goes, once set up: the mode's, or a raw sender's */
	const struct perf_io *io;
	/* records counted here, in mode gnutls and by a raw sender */
	uint64_t rec_tx, rec_rx;
	/* --rx-only's sending end: its keys, to build records with */
	bool raw;
	union tlso_crypto_info tx;
	/* the handshake resumed a session rather than make a new one */
	bool resumed;
	/*
	 * --resume, a client's in-process handshake: the session to resume
	 * (none while empty), replaced by the one this connection leaves.
	 */
	gnutls_datum_t *session;
};

bool in_process_handshake(const struct perf_params *p, bool client);
int conn_setup(struct conn *c, const struct perf_params *p, bool sender,
	       char *err, size_t errlen);
int check_negotiated(const struct conn *c, const struct perf_params *p,
		     char *err, size_t errlen);
void conn_records(const struct conn *c, const struct perf_mode *m,
		  int64_t *tx, int64_t *rx);
void conn_close(struct conn *c);

/* ---- the modes: mode.c, mode_*.c ---- */

/*
 * What one way of carrying the data does in its own way, as iperf3's
 * struct protocol is per transport: a test looks its mode up by name
 * once, and calls through it.  A new mode is one more of these, its
 * functions, and its name in mode.c's list.  An operation left NULL
 * says the mode has nothing to do there.
 */
struct perf_mode {
	const char *name;	/* as --mode and the control connection say */
	/* TLS at all: keys, a handshake, something negotiated to report */
	bool tls;
	/*
	 * Its handshakes (with --keys handshake) run with GnuTLS in this
	 * process, which then needs its certificates on both ends.
	 */
	bool in_process;
	/*
	 * Its receiving end calls a bare end of stream an attack: what
	 * --rx-only's sender builds ends with a close_notify.
	 */
	bool close_notify;
	/*
	 * Why the client's options do not fit the mode, as bad usage
	 * (keys_set: --keys was given); NULL when they do.
	 */
	const char *(*refuse)(const struct perf_params *p, bool keys_set);
	/* Ready a connected socket for keys: attach a ULP. */
	int (*attach)(struct conn *c, char *err, size_t errlen);
	/*
	 * Install --keys static's keys where the records are made; NULL:
	 * the mode takes none, and shakes hands whatever --keys says.
	 */
	int (*install)(struct conn *c, const union tlso_crypto_info *tx,
		       const union tlso_crypto_info *rx, char *err,
		       size_t errlen);
	/*
	 * The handshake, which leaves the keys where the records are made
	 * and c->version and c->cipher set.
	 */
	int (*handshake)(struct conn *c, const struct perf_params *p,
			 char *err, size_t errlen);
	/* How the data goes once the connection is set up. */
	const struct perf_io *io;
	/* Records sent and received; NULL: the mode does not count them. */
	void (*records)(const struct conn *c, int64_t *tx, int64_t *rx);
};

/*
 * How the data goes through a connection that is set up: straight on
 * the socket, whatever makes the records, or through a TLS session in
 * this process.
 */
struct perf_io {
	/* sendfile(2) can feed the socket: no record is made here */
	bool sendfile;
	/* Send some of buf: bytes sent, or -1 with errno. */
	ssize_t (*send)(struct conn *c, const void *buf, size_t n);
	/*
	 * Receive up to n bytes, past interruptions: bytes, 0 at the end,
	 * or -1 with *gerr a GnuTLS error, or 0 and the reason in errno.
	 */
	ssize_t (*recv)(struct conn *c, void *buf, size_t n, int *gerr);
	/* The end of this end's data, for the peer to see. */
	void (*shut_wr)(struct conn *c);
};

extern const struct perf_mode mode_plain, mode_tlso, mode_ktls, mode_gnutls;

const struct perf_mode *mode_by_name(const char *name);

/* What several modes share: data on the socket, keys into the kernel. */
extern const struct perf_io sock_io;
int kernel_install(struct conn *c, const union tlso_crypto_info *tx,
		   const union tlso_crypto_info *rx, char *err, size_t errlen);

/* ---- GnuTLS in this process: gtls.c ---- */

int gtls_load(char *err, size_t errlen);
int gtls_handshake(struct conn *c, const struct perf_params *p, char *err,
		   size_t errlen);
int gtls_export(struct conn *c, unsigned int read,
		union tlso_crypto_info *ci, socklen_t *len, char *err,
		size_t errlen);

/* ---- one test's shared state: test.c ---- */

/* A failure inside a test: its text, kept for the one who reports it. */
struct failure {
	pthread_mutex_t lock;
	char msg[512];
};

struct stream {
	_Atomic uint64_t live;	/* bytes so far, for the intervals */
	uint64_t sent, received;
	double sent_secs, recv_secs;
	int64_t rec_tx, rec_rx;	/* -1: not counted */
};

struct interval {
	double start, end;
	uint64_t bytes[MAX_STREAMS];
};

struct test {
	struct perf_params p;
	struct failure fail;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int ready;	/* streams set up */
	unsigned int finished;	/* streams ended */
	unsigned int conns;	/* data connection threads alive */
	bool go, aborted;
	int fds[MAX_CONNS];	/* open data sockets, to abort */
	int file;		/* --sendfile's, on the sending end */
	int ctrl;		/* the control connection */
	uint16_t version, cipher;	/* what the first stream agreed on */
	struct stream st[MAX_STREAMS];
	struct cpu cpu_start, cpu;
	/* --handshakes */
	double *lat;
	unsigned int hs_ok, hs_failed;
	/* of hs_failed: full where --resume was asked, or the reverse */
	unsigned int hs_wrong_kind;
	double hs_secs;
	/* client: the intervals */
	struct interval *iv;
	size_t niv;
	double go_time;
};

struct test *test_new(void);
void test_free(struct test *t);
void test_fail(struct test *t, const char *msg);
void __attribute__((format(printf, 2, 3)))
test_fail_fmt(struct test *t, const char *fmt, ...);
void test_abort(struct test *t);
int test_track(struct test *t, int fd, bool add);
void test_negotiated(struct test *t, const struct conn *c);
bool test_ready_wait(struct test *t, bool sender);
bool test_wait_ready(struct test *t);
void test_go(struct test *t);
void test_finished(struct test *t);
void test_handshake_done(struct test *t, bool ok);
void test_handshake_wrong_kind(struct test *t);
int send_results(int fd, struct test *t);
int recv_results(int fd, struct test *r);

/* ---- the data: stream.c, prebuilt.c ---- */

/* Records built ahead, for --rx-only. */
struct prebuilt {
	unsigned char *buf;
	size_t len;		/* bytes in buf */
	size_t rec_len;		/* bytes of one full record on the wire */
	size_t payload;		/* content bytes of one full record */
	uint64_t content;	/* content bytes in all */
	uint64_t records;
};

int seal_all(struct prebuilt *pb, const union tlso_crypto_info *ci,
	     uint64_t content, size_t payload, bool close_notify,
	     char *err, size_t errlen);
int send_prebuilt(struct conn *c, struct stream *st,
		  const struct prebuilt *pb, char *err, size_t errlen);

void wait_peer_close(int fd);
void run_stream(struct test *t, int fd, unsigned int idx, bool client);

/* ---- the two ends: server.c, client.c, handshakes.c ---- */

int server_main(void);
int client_main(struct perf_params *p);
void serve_handshake(struct test *t, int fd);
int client_handshakes(struct test *t);

/* ---- what a test measured: output.c ---- */

void __attribute__((format(printf, 1, 2)))
report_error(const char *fmt, ...);
void interval_line(const struct test *t, const struct interval *iv);
void print_results(const struct test *cl, const struct test *sv,
		   const struct test *local);

#endif /* TLSO_PERF_H */
