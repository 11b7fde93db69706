/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test library: the real tlsod, with a test PKI, a configuration, the
 * programs it talks to, and a look into the daemon from outside.  Test
 * programs include tlsod_env.h, which includes this; the library's own
 * files include this alone.
 *
 *   the PKI		made once per run of the test program, with GnuTLS,
 *   (tenv_pki.c)	in /tmp/tlsod_test.PID (PID: the harness's main
 *			process), removed when that process exits: a CA, a
 *			server certificate for "localhost" and 127.0.0.1,
 *			one for a wrong name, an expired one, one from a
 *			second CA nobody trusts, a client certificate, one
 *			named by its SANs alone, one with more names than
 *			an identity holds.  EC P-256, the VM's CPU being
 *			emulated; an RSA one, for RSA key transport, only
 *			when a case asks for it.
 *   struct tenv	one case's world: its directory, tlsod.conf, the
 *   (tenv_tlsod.c)	running tlsod (its log, its descriptors when idle;
 *			started as its systemd unit starts it: nobody, with
 *			CAP_NET_ADMIN alone, the files given to nobody),
 *			the programs and processes the case started and the
 *			sockets it opened, all ended by tenv_teardown().
 *   tenv_spawn()	an external program (openssl, gnutls-cli, curl...)
 *   (tenv_proc.c)	with stdin from a pipe or /dev/null and stdout and
 *			stderr in files of the case's directory.
 *   tenv_s_client() ...	openssl as the peer, each TLS version as the
 *   (tenv_tools.c)	programs spell it (struct tver).
 *   gpeer_*		a TLS server of our own in a child process, GnuTLS
 *   (tenv_gpeer.c)	with the test PKI, for what no command-line peer
 *			does on demand: wait before its handshake, send a
 *			fatal alert, check that a close_notify came.
 *   tenv_listen() ...	sockets over loopback, closed at teardown
 *   (tenv_sock.c)	(tenv_track()), and reads with a deadline.
 *   hs_start() ...	TLSO_HANDSHAKE on them (tenv_hs.c).
 *   tenv_workers() ...	tlsod's workers (its child processes), the ones
 *   (tenv_inspect.c)	holding a given socket, the daemon's descriptors.
 *   tenv_slurp() ...	the case's files (tenv_file.c), the clock
 *			(tenv_clock.c).
 *
 * Everything a case starts is in its own process group, which the harness
 * kills when the case times out.  What fails in here is the case's
 * failure, reported through tcase.h.
 */
#ifndef TLSO_TEST_TENV_H
#define TLSO_TEST_TENV_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/tls.h>

#include <linux/tlso.h>

#include "sock.h"
#include "tcase.h"

#define TENV_TLSOD	"build/bin/tlsod"
/*
 * The user tlsod runs as, the way its systemd unit starts it (User=,
 * AmbientCapabilities=CAP_NET_ADMIN, CapabilityBoundingSet=CAP_NET_ADMIN):
 * nobody, whom the configuration and the PKI's files belong to.
 */
#define TENV_TLSOD_UID	65534
#define TENV_TLSOD_GID	65534
#define TENV_MAX_PROCS	16
#define TENV_MAX_KIDS	8
#define TENV_MAX_FDS	256

/* Handshakes against a working peer: generous, the CPU is emulated. */
#define TENV_HS_MS	30000
/*
 * How long a server may take to listen.  Only a slow start waits it out
 * (one that dies, say on a port taken meanwhile, is retried at once):
 * on the debug lane's kernel, under TCG, python3 -m http.server needs
 * 28 s, 18 of them importing its modules.
 */
#define TENV_SERVER_UP_MS	60000

/* ---- the clock (tenv_clock.c) ---- */

double tenv_now(void);
void tenv_msleep(int ms);

/* ---- files (tenv_file.c) ---- */

/* The whole file, NUL-terminated (malloc'd; "" when absent). */
char *tenv_slurp(const char *path, size_t *lenp);
/* Whether the file holds text (from byte from on). */
bool tenv_file_has(const char *path, const char *text, size_t from);
bool tenv_wait_file_has(const char *path, const char *text, size_t from,
			int ms);
off_t tenv_file_size(const char *path);
int tenv_write_file(const char *path, const void *data, size_t len);
/* The file in the case's output, its last 6000 bytes at most. */
void tenv_show_file(const char *title, const char *path);

/* ---- the case's world ---- */

struct tproc {
	pid_t pid;		/* 0 once reaped */
	int status;		/* wait status, once reaped */
	int in;			/* write end of its stdin, or -1 */
	char name[32];
	char out[256], err[256];
};

struct tenv {
	char run[64];		/* the run's directory, with the PKI */
	char dir[128];		/* this case's */
	char conf[256], log[256];
	char ulp[16];
	pid_t tlsod;		/* 0 when not running */
	const char *tlsod_opt[3];	/* more options for it, NULL-ended */
	/*
	 * tlsod started as root (it drops privileges itself), not as
	 * TENV_TLSOD_UID with CAP_NET_ADMIN alone.
	 */
	bool tlsod_as_root;
	const char *conf_global;	/* lines before the first profile */
	/* the environment tlsod starts with, NULL-ended, NULL: ours */
	char *const *tlsod_env;
	/*
	 * tenv_start_tlsod() returns at once; the case sees it ready its
	 * own way and then calls tenv_tlsod_ready().
	 */
	bool tlsod_no_wait;
	int tlsod_status;
	int tlsod_fds;		/* its descriptors when idle */
	long attached0;		/* TlsoCurrAttached before the case */
	struct tproc procs[TENV_MAX_PROCS];
	int nprocs;
	pid_t kids[TENV_MAX_KIDS];
	int nkids;
	int fds[TENV_MAX_FDS];
	int nfds;
};

/* ---- the PKI (tenv_pki.c) ---- */

enum {
	PKI_CA, PKI_ROGUE_CA, PKI_SERVER, PKI_WRONG_NAME, PKI_EXPIRED,
	PKI_UNTRUSTED, PKI_CLIENT, PKI_SAN_ONLY, PKI_LONG_NAMES,
	PKI_RSA_SERVER, PKI_N
};

/* PKI_SAN_ONLY's URI, with the separators of an identity in it. */
#define TENV_SAN_URI	"https://tlso.test/a,b;c"
/* PKI_LONG_NAMES's DNS names after localhost: four do not fit. */
#define TENV_LONG_NAME(n) \
	"a-name-long-enough-that-four-of-them-cannot-fit-" #n ".tlso.test"

/* The identities tlsod reports for them (tlsod(8), PEER IDENTITY). */
#define TENV_ID_SERVER	"subject=CN=localhost; issuer=CN=tlso test CA; " \
			"san=DNS:localhost,IP:127.0.0.1"
#define TENV_ID_CLIENT	"subject=CN=tlso test client; " \
			"issuer=CN=tlso test CA; san="
#define TENV_ID_SAN_ONLY "subject=; issuer=CN=tlso test CA; " \
			 "san=DNS:localhost,IP:127.0.0.1,IP:::1," \
			 "URI:https://tlso.test/a\\,b\\;c"
#define TENV_ID_LONG_NAMES TENV_ID_SERVER ",DNS:" TENV_LONG_NAME(1) \
	",DNS:" TENV_LONG_NAME(2) ",DNS:" TENV_LONG_NAME(3) \
	",DNS:" TENV_LONG_NAME(4)

/*
 * The file of certificate which ("pem") or of its key ("key"); one made
 * on demand (RSA: slow under emulation) is made now.
 */
void tenv_pki(const struct tenv *e, char *buf, size_t size, int which,
	      const char *ext);
/* Its SHA-256 fingerprint, in lower-case hex. */
void tenv_pki_sha256(const struct tenv *e, int which, char hex[65]);
/* The PKI in the run's directory run, made by the first case that asks. */
void pki_once(const char *run);
/* The run's directory: the PKI, and one directory per case inside. */
void tenv_run_dir(char *buf, size_t size);

/* ---- processes (tenv_proc.c) ---- */

/*
 * In a child about to exec or to serve: besides 0, 1 and 2 only the n
 * descriptors of keep stay open, renumbered 3, 4, ... (keep is updated),
 * so that no socket of the case stays open in a process that does not
 * use it.
 */
void tenv_child_fds(int *keep, int n);
/* SKIP the case unless prog is on PATH. */
void tenv_need(const char *prog);
/*
 * Start argv[0] from PATH; stdin a pipe (p->in) when pipe_in, else
 * /dev/null; stdout and stderr into DIR/NAME.out and .err.
 */
struct tproc *tenv_spawn(struct tenv *e, const char *name, bool pipe_in,
			 const char *const argv[]);
void tproc_close_stdin(struct tproc *p);
int tproc_write(struct tproc *p, const char *text);
/*
 * Wait up to ms for *pid to end and reap it, *pid then 0: its wait
 * status (in *status too), or -1 while it runs.  For what is no child of
 * ours (any more), *status as it was.
 */
int tenv_waitpid(pid_t *pid, int *status, int ms);
/* Its wait status once it has exited, or -1 if it still runs after ms. */
int tproc_wait(struct tproc *p, int ms);
bool tproc_running(struct tproc *p);
void tproc_kill(struct tproc *p);
/* "exit 0", "killed by signal 9", for messages. */
const char *tenv_status_str(int st, char *buf, size_t size);
/* Its stdout and stderr in the case's output. */
void tenv_show(const struct tproc *p);
/*
 * Run a shell command (printf-style) and wait for it: its standard output
 * into out, NUL-ended, cut at size - 1; its wait status, or -1.
 */
int tenv_capture(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A forked helper of the case, killed at teardown if still there. */
pid_t tenv_fork(struct tenv *e);
/* Its exit status within ms, or -1; reaped either way but for -1. */
int tenv_wait_kid(struct tenv *e, pid_t pid, int ms);

/* ---- sockets (tenv_sock.c) ---- */

/* fd, closed at teardown unless tenv_close() closes it before. */
int tenv_track(struct tenv *e, int fd);
void tenv_close(struct tenv *e, int fd);
/* A listening socket on 127.0.0.1 and a free port; the port in *port. */
int tenv_listen(struct tenv *e, int *port);
int tenv_accept(struct tenv *e, int lfd, int ms);
int tenv_connect(struct tenv *e, int port);
/*
 * A port free on 0.0.0.0 and :: alike (gnutls-serv takes both): a
 * dual-stack bind to :: shows it, or a bind to 0.0.0.0 without IPv6.
 */
int tenv_free_port(void);
/* Wait until p listens on port; false if it died or did not in time. */
bool tenv_wait_listen(struct tproc *p, int port, int ms);
/* len bytes read within ms (malloc'd, NUL-ended), or NULL, said why. */
char *tenv_read_text(int fd, size_t len, int ms);
/* recv() after waiting up to ms for something to read (or an error). */
ssize_t tenv_recv_wait(int fd, void *buf, size_t len, int ms);
int tenv_set_nonblock(int fd, bool on);

/* ---- TLSO_HANDSHAKE (tenv_hs.c) ---- */

int tenv_attach(struct tenv *e, int fd);
/* A tlso client socket to 127.0.0.1:port, attached, nothing asked yet. */
int tenv_tlso_client(struct tenv *e, int port);
/* The next connection on lfd, attached: the tlso server's socket. */
int tenv_tlso_accept(struct tenv *e, int lfd);
/* setsockopt(TLSO_HANDSHAKE): 0, or -1 with errno. */
int hs_start(int fd, uint32_t role, const char *profile, const char *peer,
	     uint32_t ms);
struct tlso_handshake_status hs_get(int fd);
/* Wait until fd's handshake has ended (polls writable); its state. */
uint32_t hs_wait(int fd, int ms);
const char *tenv_errname(int e);

/* ---- looking into tlsod (tenv_inspect.c) ---- */

/* tlsod's workers, its child processes (up to max): how many. */
int tenv_workers(const struct tenv *e, pid_t *pids, int max);
int tenv_fd_count(pid_t pid);
/* The worker that has taken fd's handshake (holds the socket), or -1. */
pid_t tenv_worker_holding(const struct tenv *e, int fd, int ms);
/*
 * tlsod back at rest within ms: no worker left and exactly the
 * descriptors it had when it started listening.  Says what is wrong.
 */
bool tenv_daemon_idle(const struct tenv *e, int ms);

/* ---- tlsod (tenv_tlsod.c) ---- */

/* Profile psk's pre-shared key. */
#define TENV_PSK_IDENTITY "tlso-test-psk"
#define TENV_PSK_KEY \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

/*
 * tlsod.conf: the profiles every case may use, plus extra lines.  Every
 * profile with a key is root's (tlsod(8), ACCESS): the cases run as root.
 */
void tenv_write_conf(struct tenv *e, const char *extra);
/* The same, and the running tlsod made to take it (SIGHUP). */
void tenv_reload_conf(struct tenv *e, const char *extra);
/* Whether one line of tlsod's log has both a and b, within ms. */
bool tenv_log_line_has(const struct tenv *e, const char *a, const char *b,
		       int ms);
/*
 * Start tlsod -f -v -c CONF [tlsod_opt], as TENV_TLSOD_UID with
 * CAP_NET_ADMIN alone and the unit's system call filter (no_new_privs,
 * ~@privileged @resources refused with EPERM) unless e->tlsod_as_root;
 * returns once it listens.
 */
void tenv_start_tlsod(struct tenv *e);
/* tlsod is up: what it holds now is what it holds at rest. */
void tenv_tlsod_ready(struct tenv *e);
/* Hand path to TENV_TLSOD_UID, as tlsod(8) wants of its files. */
void tenv_give_tlsod(const char *path);
/* Wait for tlsod to exit within ms: its wait status, or -1. */
int tenv_reap_tlsod(struct tenv *e, int ms);
/* SIGTERM, and its exit within ms: the wait status, or -1. */
int tenv_stop_tlsod(struct tenv *e, int ms);
/* Lines of the tlsod log that tell how handshakes ended. */
void tenv_show_outcomes(const struct tenv *e);
/*
 * The module, the PKI (first case of the run), the case's directory and
 * configuration; tlsod itself when start.
 */
void tenv_setup(struct tenv *e, bool start);
/*
 * Closes what the case left open and ends what it started; then, when
 * tlsod is still there, expects it idle with its starting descriptors,
 * and a clean exit on SIGTERM.  Every tlso socket of the case must be
 * gone after that: nothing stuck in the module either.
 */
void tenv_teardown(struct tenv *e);

/* ---- gpeer: a GnuTLS server of our own (tenv_gpeer.c) ---- */

enum gpeer_end {
	GPEER_WAIT_EOF,		/* read until the other end goes away */
	GPEER_BYE,		/* send close_notify, then wait for EOF */
	GPEER_ALERT,		/* send a fatal alert, then wait for EOF */
	GPEER_WANT_CLOSE_NOTIFY, /* the next record must be close_notify */
	/* TLS 1.2: send HelloRequest; the answer must be unexpected_message */
	GPEER_RENEGOTIATE,
};

struct gpeer {
	const char *prio;	/* GnuTLS priority string: the version */
	int delay_ms;		/* before answering the ClientHello */
	int nconn;		/* connections to serve, 0 meaning 1 */
	const char *expect;	/* what the client sends first, or NULL */
	const char *reply;	/* then sent back, or NULL */
	enum gpeer_end end;
	/*
	 * Read end of a pipe, or 0: then each connection waits for a byte
	 * from it before it answers the ClientHello, so that the case
	 * decides how long the handshake stays pending.
	 */
	int gate;
	/*
	 * After the reply, this many rounds of: a KeyUpdate
	 * (gnutls_session_key_update(), asking for the client's in odd
	 * rounds), "ku N\n" sent under the new key, "ok N\n" expected back.
	 */
	int key_updates;
	/*
	 * Never ask, and expect a single "ok\n" after the last round, not
	 * one each: many rounds, fast.  (GnuTLS takes no more than a few
	 * KeyUpdates a second from its peer, "Too many handshake packets",
	 * so these must not draw answers.)
	 */
	bool key_updates_one_way;
	/* gnutls_record_set_max_recv_size(), so record_size_limit; 0: none */
	int max_recv;
	/*
	 * Session tickets, 0: none.  Else every connection seals them with
	 * one key, and in TLS 1.3 connection 0 (every one with
	 * tickets_every) sends this many NewSessionTickets right after its
	 * handshake.  Then bit n of resumed says whether connection n must
	 * be a resumed session or must not.
	 */
	int tickets;
	bool tickets_every;
	unsigned int resumed;
};

/*
 * Serve g->nconn connections on listening socket lfd, each in its own
 * process, at the same time; the returned pid exits 0 when all went as
 * g says (failures are reported as the case's).
 */
pid_t gpeer_start(struct tenv *e, const struct gpeer *g, int lfd);

/* ---- command-line peers (tenv_tools.c) ---- */

/* A TLS version, as each program asks for it alone. */
struct tver {
	uint16_t version;
	const char *ossl;	/* openssl s_server / s_client */
	const char *prio;	/* GnuTLS priority: this version only */
	const char *curl;	/* --tlsvX --tls-max X */
};

extern const struct tver tver_tls12, tver_tls13;

/*
 * A server on a free port: portbuf, which argv holds, gets the port
 * through fmt (one %d) before each start; one that is not listening
 * within TENV_SERVER_UP_MS is shown, killed and started again on
 * another, TENV_SERVER_TRIES times in all.  The port in *port.
 */
#define TENV_SERVER_TRIES	3
struct tproc *tenv_spawn_listener(struct tenv *e, const char *name,
				  bool pipe_in, const char *const argv[],
				  char *portbuf, size_t size, const char *fmt,
				  int *port);
/* The same for a server whose argv has the port alone, stdin a pipe. */
struct tproc *tenv_spawn_server(struct tenv *e, const char *name,
				const char *const argv[], char *portbuf,
				int *port);
/*
 * openssl s_server -quiet with certificate cert and up to three more
 * options (stdin goes to the client, what it gets to stdout) in *srv,
 * and a tlso client socket to it, attached, nothing asked yet.
 */
int tenv_s_server_client(struct tenv *e, struct tproc **srv, int cert,
			 const struct tver *v, const char *x1, const char *x2,
			 const char *x3);
/* openssl s_client -quiet to our port, checking our certificate. */
struct tproc *tenv_s_client(struct tenv *e, int port, const struct tver *v,
			    bool with_cert);

#endif /* TLSO_TEST_TENV_H */
