/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helpers: the real tlsod, with a test PKI, a configuration, the
 * programs it talks to, and a look into the daemon from outside.
 *
 *   the PKI		made once per run of the test program, with GnuTLS,
 *			in /tmp/tlsod_test.PID (PID: the harness's main
 *			process), removed when that process exits: a CA, a
 *			server certificate for "localhost" and 127.0.0.1,
 *			one for a wrong name, an expired one, one from a
 *			second CA nobody trusts, a client certificate.  EC
 *			P-256 throughout: the VM's CPU is emulated.
 *   struct tenv	one case's world: its directory, tlsod.conf, the
 *			running tlsod (its log, its descriptors when idle),
 *			the programs and processes the case started and the
 *			sockets it opened, all ended by tenv_teardown().
 *   tenv_spawn()	an external program (openssl, gnutls-cli, curl...)
 *			with stdin from a pipe or /dev/null and stdout and
 *			stderr in files of the case's directory.
 *   gpeer_*		a TLS server of our own in a child process, GnuTLS
 *			with the test PKI, for what no command-line peer
 *			does on demand: wait before its handshake, send a
 *			fatal alert, check that a close_notify came.
 *   tenv_workers() ...	tlsod's workers (its child processes), the ones
 *			holding a given socket, the daemon's descriptors.
 *
 * Everything a case starts is in its own process group, which the harness
 * kills when the case times out.
 */
#ifndef TLSO_TEST_TLSOD_ENV_H
#define TLSO_TEST_TLSOD_ENV_H

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <linux/tls.h>

#include <linux/tlso.h>

#include "harness.h"
#include "kmod.h"
#include "sock.h"

#define TENV_TLSOD	"build/bin/tlsod"
#define TENV_MAX_PROCS	16
#define TENV_MAX_KIDS	8
#define TENV_MAX_FDS	256

/* Handshakes against a working peer: generous, the CPU is emulated. */
#define TENV_HS_MS	30000

/* ---- time ---- */

static inline double tenv_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void tenv_msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- files ---- */

/* The whole file, NUL-terminated (malloc'd; "" when absent). */
static inline char *tenv_slurp(const char *path, size_t *lenp)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	if (!buf)
		abort();
	buf[0] = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		for (;;) {
			if (cap - len < 2048) {
				cap *= 2;
				buf = realloc(buf, cap);
				if (!buf)
					abort();
			}
			n = read(fd, buf + len, cap - len - 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += n;
		}
		close(fd);
	}
	buf[len] = 0;
	if (lenp)
		*lenp = len;
	return buf;
}

/* Whether the file holds text (from byte from on). */
static inline bool tenv_file_has(const char *path, const char *text,
				 size_t from)
{
	size_t len;
	char *buf = tenv_slurp(path, &len);
	bool has = from <= len && memmem(buf + from, len - from, text,
					 strlen(text)) != NULL;

	free(buf);
	return has;
}

static inline bool tenv_wait_file_has(const char *path, const char *text,
				      size_t from, int ms)
{
	double end = tenv_now() + ms / 1000.0;

	for (;;) {
		if (tenv_file_has(path, text, from))
			return true;
		if (tenv_now() > end)
			return false;
		tenv_msleep(20);
	}
}

static inline off_t tenv_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_size;
}

static inline int tenv_write_file(const char *path, const void *data,
				  size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ret = 0;

	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len)
		ret = -1;
	if (close(fd))
		ret = -1;
	return ret;
}

/* ---- the PKI ---- */

enum {
	PKI_CA, PKI_ROGUE_CA, PKI_SERVER, PKI_WRONG_NAME, PKI_EXPIRED,
	PKI_UNTRUSTED, PKI_CLIENT, PKI_N
};

enum { PKI_KIND_CA, PKI_KIND_SERVER, PKI_KIND_CLIENT };

struct pki_spec {
	const char *file;	/* FILE.pem, FILE.key */
	const char *cn;
	const char *dns;	/* subjectAltName, or NULL */
	bool ip;		/* subjectAltName 127.0.0.1 too */
	int issuer;		/* itself for a root */
	int kind;
	long from, to;		/* validity, in seconds from now */
};

#define PKI_DAY 86400L
static const struct pki_spec pki_specs[PKI_N] = {
	[PKI_CA] = { "ca", "tlso test CA", NULL, false, PKI_CA,
		     PKI_KIND_CA, -PKI_DAY, 30 * PKI_DAY },
	[PKI_ROGUE_CA] = { "rogue-ca", "tlso rogue CA", NULL, false,
			   PKI_ROGUE_CA, PKI_KIND_CA, -PKI_DAY, 30 * PKI_DAY },
	[PKI_SERVER] = { "server", "localhost", "localhost", true, PKI_CA,
			 PKI_KIND_SERVER, -3600, 7 * PKI_DAY },
	[PKI_WRONG_NAME] = { "wrong-name", "wrong.example", "wrong.example",
			     false, PKI_CA, PKI_KIND_SERVER, -3600,
			     7 * PKI_DAY },
	/* Signed by the trusted CA, valid once, a month ago. */
	[PKI_EXPIRED] = { "expired", "localhost", "localhost", true, PKI_CA,
			  PKI_KIND_SERVER, -60 * PKI_DAY, -30 * PKI_DAY },
	/* Right name, right dates, the wrong CA. */
	[PKI_UNTRUSTED] = { "untrusted", "localhost", "localhost", true,
			    PKI_ROGUE_CA, PKI_KIND_SERVER, -3600,
			    7 * PKI_DAY },
	[PKI_CLIENT] = { "client", "tlso test client", NULL, false, PKI_CA,
			 PKI_KIND_CLIENT, -3600, 7 * PKI_DAY },
};

static inline int pki_export(const char *dir, const char *file,
			     const char *ext, const gnutls_datum_t *d)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.%s", dir, file, ext);
	return tenv_write_file(path, d->data, d->size) ? GNUTLS_E_FILE_ERROR : 0;
}

#define PKI_TRY(x) do { if ((ret = (x)) < 0) { what = #x; goto out; } } while (0)

/* Certificate i, its issuer's already made: 0 or a GnuTLS error. */
static inline int pki_one(const char *dir, int i, gnutls_x509_privkey_t *key,
			  gnutls_x509_crt_t *crt, time_t now)
{
	static const unsigned char lo[4] = { 127, 0, 0, 1 };
	const struct pki_spec *s = &pki_specs[i];
	unsigned char serial[9], id[64];
	gnutls_datum_t d = { NULL, 0 };
	const char *what = "";
	size_t idlen;
	int ret;

	PKI_TRY(gnutls_x509_privkey_init(&key[i]));
	PKI_TRY(gnutls_x509_privkey_generate(key[i], GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
	PKI_TRY(gnutls_x509_crt_init(&crt[i]));
	PKI_TRY(gnutls_x509_crt_set_version(crt[i], 3));
	PKI_TRY(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)));
	serial[0] = (serial[0] & 0x3f) | 0x10;	/* positive, not zero */
	PKI_TRY(gnutls_x509_crt_set_serial(crt[i], serial, sizeof(serial)));
	PKI_TRY(gnutls_x509_crt_set_activation_time(crt[i], now + s->from));
	PKI_TRY(gnutls_x509_crt_set_expiration_time(crt[i], now + s->to));
	PKI_TRY(gnutls_x509_crt_set_dn_by_oid(crt[i],
		GNUTLS_OID_X520_COMMON_NAME, 0, s->cn, strlen(s->cn)));
	PKI_TRY(gnutls_x509_crt_set_key(crt[i], key[i]));
	PKI_TRY(gnutls_x509_crt_set_basic_constraints(crt[i],
		s->kind == PKI_KIND_CA, -1));
	PKI_TRY(gnutls_x509_crt_set_key_usage(crt[i],
		s->kind == PKI_KIND_CA ?
		GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN :
		GNUTLS_KEY_DIGITAL_SIGNATURE));
	if (s->kind != PKI_KIND_CA)
		PKI_TRY(gnutls_x509_crt_set_key_purpose_oid(crt[i],
			s->kind == PKI_KIND_SERVER ? GNUTLS_KP_TLS_WWW_SERVER :
			GNUTLS_KP_TLS_WWW_CLIENT, 0));
	if (s->dns)
		PKI_TRY(gnutls_x509_crt_set_subject_alt_name(crt[i],
			GNUTLS_SAN_DNSNAME, s->dns, strlen(s->dns),
			GNUTLS_FSAN_APPEND));
	if (s->ip)
		PKI_TRY(gnutls_x509_crt_set_subject_alt_name(crt[i],
			GNUTLS_SAN_IPADDRESS, lo, sizeof(lo),
			GNUTLS_FSAN_APPEND));
	idlen = sizeof(id);
	PKI_TRY(gnutls_x509_crt_get_key_id(crt[i], 0, id, &idlen));
	PKI_TRY(gnutls_x509_crt_set_subject_key_id(crt[i], id, idlen));
	if (s->issuer != i) {
		idlen = sizeof(id);
		PKI_TRY(gnutls_x509_crt_get_subject_key_id(crt[s->issuer], id,
							   &idlen, NULL));
		PKI_TRY(gnutls_x509_crt_set_authority_key_id(crt[i], id,
							     idlen));
	}
	PKI_TRY(gnutls_x509_crt_sign2(crt[i], crt[s->issuer], key[s->issuer],
				      GNUTLS_DIG_SHA256, 0));
	PKI_TRY(gnutls_x509_crt_export2(crt[i], GNUTLS_X509_FMT_PEM, &d));
	PKI_TRY(pki_export(dir, s->file, "pem", &d));
	gnutls_free(d.data);
	d.data = NULL;
	PKI_TRY(gnutls_x509_privkey_export2(key[i], GNUTLS_X509_FMT_PEM, &d));
	PKI_TRY(pki_export(dir, s->file, "key", &d));
out:
	if (ret < 0)
		TH_LOG("making %s.pem: %s: %s", s->file, what,
		       gnutls_strerror(ret));
	gnutls_free(d.data);
	return ret < 0 ? ret : 0;
}

static inline int pki_make(const char *dir)
{
	gnutls_x509_privkey_t key[PKI_N] = { 0 };
	gnutls_x509_crt_t crt[PKI_N] = { 0 };
	time_t now = time(NULL);
	int i, ret = 0;

	for (i = 0; i < PKI_N && !ret; i++)
		ret = pki_one(dir, i, key, crt, now);
	for (i = 0; i < PKI_N; i++) {
		if (crt[i])
			gnutls_x509_crt_deinit(crt[i]);
		if (key[i])
			gnutls_x509_privkey_deinit(key[i]);
	}
	return ret;
}

/* The run's directory: the PKI, and one directory per case inside. */
static pid_t tenv_main_pid;

static void __attribute__((constructor)) tenv_init(void)
{
	tenv_main_pid = getpid();
}

static inline void tenv_run_dir(char *buf, size_t size)
{
	snprintf(buf, size, "/tmp/tlsod_test.%d", (int)tenv_main_pid);
}

/* Cases run in children of the main process; it cleans up at exit. */
static void __attribute__((destructor)) tenv_fini(void)
{
	char dir[64], cmd[128];
	struct stat st;

	if (getpid() != tenv_main_pid)
		return;
	tenv_run_dir(dir, sizeof(dir));
	if (stat(dir, &st) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", dir);
	}
}

/* ---- processes ---- */

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

static inline void tenv_pki(const struct tenv *e, char *buf, size_t size,
			    int which, const char *ext)
{
	snprintf(buf, size, "%s/%s.%s", e->run, pki_specs[which].file, ext);
}

/*
 * In a child about to exec or to serve: besides 0, 1 and 2 only the n
 * descriptors of keep stay open, renumbered 3, 4, ... (keep is updated),
 * so that no socket of the case stays open in a process that does not
 * use it.
 */
static inline void tenv_child_fds(int *keep, int n)
{
	int tmp[4], i;

	if (n > 4)
		_exit(126);
	for (i = 0; i < n; i++) {
		tmp[i] = fcntl(keep[i], F_DUPFD, 100);
		if (tmp[i] < 0)
			_exit(126);
	}
	for (i = 0; i < n; i++) {
		if (dup2(tmp[i], 3 + i) < 0)
			_exit(126);
		keep[i] = 3 + i;
	}
	close_range(3 + n, ~0U, 0);
}

static inline bool tenv_have(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX], *copy, *dir, *save = NULL;
	bool found = false;

	copy = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof(buf), "%s/%s", dir, prog);
		found = access(buf, X_OK) == 0;
	}
	free(copy);
	return found;
}

#define TENV_NEED(prog) do {						\
	if (!tenv_have(prog))						\
		SKIP("%s is not installed (scripts/deps installs it)", prog); \
} while (0)

/*
 * Start argv[0] from PATH; stdin a pipe (p->in) when pipe_in, else
 * /dev/null; stdout and stderr into DIR/NAME.out and .err.
 */
static inline struct tproc *tenv_spawn(struct tenv *e, const char *name,
				       bool pipe_in, const char *const argv[])
{
	struct tproc *p;
	int in[2] = { -1, -1 }, out, err, i;
	char cmd[1024] = "";
	size_t len = 0;

	ASSERT_LT(e->nprocs, TENV_MAX_PROCS);
	p = &e->procs[e->nprocs];
	memset(p, 0, sizeof(*p));
	p->in = -1;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->out, sizeof(p->out), "%s/%s.out", e->dir, name);
	snprintf(p->err, sizeof(p->err), "%s/%s.err", e->dir, name);
	if (pipe_in)
		ASSERT_OK(pipe2(in, O_CLOEXEC));
	else
		ASSERT_OK(in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC));
	ASSERT_OK(out = open(p->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0600));
	ASSERT_OK(err = open(p->err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0600));
	for (i = 0; argv[i] && len < sizeof(cmd); i++)
		len += snprintf(cmd + len, sizeof(cmd) - len, "%s%s",
				i ? " " : "", argv[i]);
	TH_LOG("%s: %s", name, cmd);
	fflush(NULL);
	p->pid = fork();
	ASSERT_GE(p->pid, 0);
	if (p->pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in[0], 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		tenv_child_fds(NULL, 0);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out);
	close(err);
	p->in = in[1];
	e->nprocs++;
	return p;
}

static inline void tproc_close_stdin(struct tproc *p)
{
	if (p->in >= 0)
		close(p->in);
	p->in = -1;
}

static inline int tproc_write(struct tproc *p, const char *text)
{
	size_t len = strlen(text);

	return p->in >= 0 && write(p->in, text, len) == (ssize_t)len ? 0 : -1;
}

/* Its wait status once it has exited, or -1 if it still runs after ms. */
static inline int tproc_wait(struct tproc *p, int ms)
{
	double end = tenv_now() + ms / 1000.0;
	pid_t r;

	while (p->pid > 0) {
		r = waitpid(p->pid, &p->status, WNOHANG);
		if (r == p->pid || (r < 0 && errno != EINTR)) {
			p->pid = 0;
			break;
		}
		if (tenv_now() > end)
			return -1;
		tenv_msleep(20);
	}
	return p->status;
}

static inline bool tproc_running(struct tproc *p)
{
	return tproc_wait(p, 0) == -1;
}

static inline void tproc_kill(struct tproc *p)
{
	tproc_close_stdin(p);
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
			;
		p->pid = 0;
	}
}

/* "exit 0", "killed by signal 9", for messages. */
static inline const char *tenv_status_str(int st, char *buf, size_t size)
{
	if (st == -1)
		snprintf(buf, size, "still running");
	else if (WIFEXITED(st))
		snprintf(buf, size, "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(buf, size, "status 0x%x", st);
	return buf;
}

/* Expect an exit with status code within ms. */
#define EXPECT_EXIT(p, code, ms) do {					\
	char _st[64];							\
	int _s = tproc_wait(p, ms);					\
	if (_s == -1 || !WIFEXITED(_s) || WEXITSTATUS(_s) != (code)) {	\
		th_fail(__FILE__, __LINE__, "%s ended with %s, not exit %d", \
			(p)->name, tenv_status_str(_s, _st, sizeof(_st)), \
			code);						\
		tenv_show(p);						\
	}								\
} while (0)

static inline void tenv_show_file(const char *title, const char *path)
{
	char *buf = tenv_slurp(path, NULL);
	size_t len = strlen(buf);

	if (len > 6000) {
		TH_LOG("--- %s (last 6000 bytes) ---\n%s", title,
		       buf + len - 6000);
	} else if (len) {
		TH_LOG("--- %s ---\n%s", title, buf);
	}
	free(buf);
}

static inline void tenv_show(const struct tproc *p)
{
	char title[64];

	snprintf(title, sizeof(title), "%s stdout", p->name);
	tenv_show_file(title, p->out);
	snprintf(title, sizeof(title), "%s stderr", p->name);
	tenv_show_file(title, p->err);
}

/* A forked helper of the case, killed at teardown if still there. */
static inline pid_t tenv_fork(struct tenv *e)
{
	pid_t pid;

	ASSERT_LT(e->nkids, TENV_MAX_KIDS);
	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid > 0)
		e->kids[e->nkids++] = pid;
	return pid;
}

/* Its exit status within ms, or -1; reaped either way but for -1. */
static inline int tenv_wait_kid(struct tenv *e, pid_t pid, int ms)
{
	double end = tenv_now() + ms / 1000.0;
	int st, i;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (tenv_now() > end)
			return -1;
		tenv_msleep(20);
	}
	for (i = 0; i < e->nkids; i++)
		if (e->kids[i] == pid)
			e->kids[i] = 0;
	return st;
}

/* ---- sockets ---- */

static inline int tenv_track(struct tenv *e, int fd)
{
	if (fd >= 0 && e->nfds < TENV_MAX_FDS)
		e->fds[e->nfds++] = fd;
	return fd;
}

static inline void tenv_close(struct tenv *e, int fd)
{
	int i;

	for (i = 0; i < e->nfds; i++)
		if (e->fds[i] == fd)
			e->fds[i] = -1;
	close(fd);
}

/* A listening socket on 127.0.0.1 and a free port; the port in *port. */
static inline int tenv_listen(struct tenv *e, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(fd, 0);
	ASSERT_OK(bind(fd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_OK(listen(fd, 128));
	ASSERT_OK(getsockname(fd, (struct sockaddr *)&a, &len));
	*port = ntohs(a.sin_port);
	return tenv_track(e, fd);
}

static inline int tenv_accept(struct tenv *e, int lfd, int ms)
{
	struct pollfd p = { lfd, POLLIN, 0 };
	int fd;

	if (poll(&p, 1, ms) != 1)
		return -1;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	return tenv_track(e, fd);
}

static inline int tenv_connect(struct tenv *e, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_GE(fd, 0);
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_OK(connect(fd, (struct sockaddr *)&a, sizeof(a)));
	return tenv_track(e, fd);
}

/*
 * A port free on 0.0.0.0 and :: alike (gnutls-serv takes both): a
 * dual-stack bind to :: shows it, or a bind to 0.0.0.0 without IPv6.
 */
static inline int tenv_free_port(void)
{
	static unsigned int seed;
	int i;

	if (!seed)
		seed = (unsigned int)getpid() * 2654435761u ^
		       (unsigned int)time(NULL);
	for (i = 0; i < 200; i++) {
		int port = 20000 + (int)(rand_r(&seed) % 40000);
		struct sockaddr_in a4 = { .sin_family = AF_INET };
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
		int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int r = -1, err = EAFNOSUPPORT, off = 0;

		a4.sin_port = a6.sin6_port = htons(port);
		if (fd >= 0) {
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
				   sizeof(off));
			r = bind(fd, (struct sockaddr *)&a6, sizeof(a6));
			err = errno;
			close(fd);
		}
		if (r < 0 && err != EADDRINUSE) {
			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd < 0)
				return -1;
			r = bind(fd, (struct sockaddr *)&a4, sizeof(a4));
			close(fd);
		}
		if (r == 0)
			return port;
	}
	return -1;
}

/* Whether something listens on the TCP port (IPv4 or IPv6). */
static inline bool tenv_listening(int port)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char line[512];
	size_t i;

	for (i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "re");

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char local[64];
			unsigned int st, lport;
			char *colon;

			if (sscanf(line, " %*d: %63s %*s %x", local, &st) != 2)
				continue;
			colon = strrchr(local, ':');
			if (!colon || sscanf(colon + 1, "%x", &lport) != 1)
				continue;
			if ((int)lport == port && st == 0x0A) {
				fclose(f);
				return true;
			}
		}
		fclose(f);
	}
	return false;
}

/* Wait until p listens on port; false if it died or did not in time. */
static inline bool tenv_wait_listen(struct tproc *p, int port, int ms)
{
	double end = tenv_now() + ms / 1000.0;

	for (;;) {
		if (tenv_listening(port))
			return true;
		if (!tproc_running(p) || tenv_now() > end)
			return false;
		tenv_msleep(30);
	}
}

/* Read exactly len bytes within ms: 0, or -1 (errno; 0 at end of stream). */
static inline int tenv_read_exact(int fd, void *buf, size_t len, int ms)
{
	double end = tenv_now() + ms / 1000.0;
	char *p = buf;

	while (len) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int left = (int)((end - tenv_now()) * 1000);
		ssize_t n;

		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (poll(&pfd, 1, left) < 0 && errno != EINTR)
			return -1;
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == 0)
			errno = 0;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* recv() after waiting up to ms for something to read (or an error). */
static inline ssize_t tenv_recv_wait(int fd, void *buf, size_t len, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };

	if (poll(&pfd, 1, ms) == 0) {
		errno = ETIMEDOUT;
		return -2;
	}
	return recv(fd, buf, len, MSG_DONTWAIT);
}

static inline int tenv_set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* ---- TLSO_HANDSHAKE ---- */

static inline int tenv_attach(struct tenv *e, int fd)
{
	return setsockopt(fd, SOL_TCP, TCP_ULP, e->ulp, strlen(e->ulp));
}

static inline struct tlso_handshake_req hs_req(uint32_t role,
					       const char *profile,
					       const char *peer, uint32_t ms)
{
	struct tlso_handshake_req r;

	memset(&r, 0, sizeof(r));
	r.role = role;
	r.timeout_ms = ms;
	snprintf(r.peer_name, sizeof(r.peer_name), "%s", peer ? peer : "");
	snprintf(r.profile, sizeof(r.profile), "%s", profile ? profile : "");
	return r;
}

/* setsockopt(TLSO_HANDSHAKE): 0, or -1 with errno. */
static inline int hs_start(int fd, uint32_t role, const char *profile,
			   const char *peer, uint32_t ms)
{
	struct tlso_handshake_req r = hs_req(role, profile, peer, ms);

	return setsockopt(fd, SOL_TLS, TLSO_HANDSHAKE, &r, sizeof(r));
}

static inline struct tlso_handshake_status hs_get(int fd)
{
	struct tlso_handshake_status st;
	socklen_t len = sizeof(st);

	memset(&st, 0, sizeof(st));
	if (getsockopt(fd, SOL_TLS, TLSO_HANDSHAKE, &st, &len)) {
		st.state = 0xdead;
		st.status = errno;
	}
	st.peer_identity[sizeof(st.peer_identity) - 1] = 0;
	return st;
}

/* Wait until fd's handshake has ended (polls writable); its state. */
static inline uint32_t hs_wait(int fd, int ms)
{
	double end = tenv_now() + ms / 1000.0;
	struct pollfd p = { fd, POLLOUT, 0 };

	for (;;) {
		uint32_t state = hs_get(fd).state;

		if (state != TLSO_HS_PENDING)
			return state;
		if (tenv_now() > end)
			return state;
		poll(&p, 1, 100);
	}
}

static inline const char *tenv_errname(int e)
{
	static char buf[64];
	const char *n = strerrorname_np(e);

	snprintf(buf, sizeof(buf), "%s", n ? n : "?");
	return buf;
}

/* ---- looking into tlsod ---- */

/* The parent pid of pid from /proc, or -1. */
static inline pid_t tenv_ppid(pid_t pid)
{
	char path[64], buf[512], *rp;
	int ppid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	rp = strrchr(buf, ')');
	if (!rp || sscanf(rp + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

/* tlsod's workers, its child processes (up to max): how many. */
static inline int tenv_workers(const struct tenv *e, pid_t *pids, int max)
{
	struct dirent *d;
	DIR *dir;
	int n = 0;

	if (e->tlsod <= 0)
		return 0;
	dir = opendir("/proc");
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		if (tenv_ppid((pid_t)pid) == e->tlsod) {
			if (n < max)
				pids[n] = (pid_t)pid;
			n++;
		}
	}
	closedir(dir);
	return n;
}

static inline int tenv_fd_count(pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

static inline void tenv_show_fds(pid_t pid)
{
	char path[300], target[256], list[2048] = "";
	size_t len = 0;
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir)) && len < sizeof(list) - 300) {
		ssize_t n;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid,
			 d->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = 0;
		len += snprintf(list + len, sizeof(list) - len, " %s->%s",
				d->d_name, target);
	}
	closedir(dir);
	TH_LOG("descriptors of %d:%s", (int)pid, list);
}

/* Whether process pid has socket fd (of ours) in its descriptor table. */
static inline bool tenv_holds(pid_t pid, int fd)
{
	char path[300], want[64], target[64];
	struct dirent *d;
	struct stat st;
	bool found = false;
	DIR *dir;

	if (fstat(fd, &st))
		return false;
	snprintf(want, sizeof(want), "socket:[%lu]", (unsigned long)st.st_ino);
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return false;
	while (!found && (d = readdir(dir))) {
		ssize_t n;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid,
			 d->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		found = !strcmp(target, want);
	}
	closedir(dir);
	return found;
}

/* The worker that has taken fd's handshake (holds the socket), or -1. */
static inline pid_t tenv_worker_holding(const struct tenv *e, int fd, int ms)
{
	double end = tenv_now() + ms / 1000.0;
	pid_t pids[300];
	int i, n;

	for (;;) {
		n = tenv_workers(e, pids, 300);
		for (i = 0; i < n && i < 300; i++)
			if (tenv_holds(pids[i], fd))
				return pids[i];
		if (tenv_now() > end)
			return -1;
		tenv_msleep(20);
	}
}

/*
 * tlsod back at rest within ms: no worker left and exactly the
 * descriptors it had when it started listening.  Says what is wrong.
 */
static inline bool tenv_daemon_idle(const struct tenv *e, int ms)
{
	double end = tenv_now() + ms / 1000.0;
	pid_t pids[300];
	int n, fds, i;

	for (;;) {
		n = tenv_workers(e, pids, 300);
		fds = tenv_fd_count(e->tlsod);
		if (n == 0 && fds == e->tlsod_fds)
			return true;
		if (tenv_now() > end)
			break;
		tenv_msleep(50);
	}
	TH_LOG("tlsod %d not idle after %d ms: %d workers, %d descriptors (%d when it started)",
	       (int)e->tlsod, ms, n, fds, e->tlsod_fds);
	for (i = 0; i < n && i < 300; i++)
		TH_LOG("worker %d", (int)pids[i]);
	tenv_show_fds(e->tlsod);
	return false;
}

/* ---- tlsod ---- */

/* tlsod.conf: the profiles every case may use, plus extra lines. */
static inline void tenv_write_conf(struct tenv *e, const char *extra)
{
	char ca[PATH_MAX], scrt[PATH_MAX], skey[PATH_MAX], ccrt[PATH_MAX],
	     ckey[PATH_MAX];
	FILE *f;

	tenv_pki(e, ca, sizeof(ca), PKI_CA, "pem");
	tenv_pki(e, scrt, sizeof(scrt), PKI_SERVER, "pem");
	tenv_pki(e, skey, sizeof(skey), PKI_SERVER, "key");
	tenv_pki(e, ccrt, sizeof(ccrt), PKI_CLIENT, "pem");
	tenv_pki(e, ckey, sizeof(ckey), PKI_CLIENT, "key");
	f = fopen(e->conf, "we");
	ASSERT_TRUE(f != NULL);
	fprintf(f,
		"; written by tlsod_test\n"
		"[default]\n"
		"trust_store = %s\n"
		"versions = 1.3 1.2\n"
		"\n[server]\n"
		"certificate = %s\nprivate_key = %s\n"
		"\n[server_require]\n"
		"certificate = %s\nprivate_key = %s\n"
		"trust_store = %s\nclient_auth = require\n"
		"\n[client_cert]\n"
		"certificate = %s\nprivate_key = %s\ntrust_store = %s\n"
		"\n[psk]\n"
		"psk_identity = tlso-test-psk\n"
		"psk_key = 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
		"\n[short]\n"
		"trust_store = %s\ntimeout_ms = 1000\n"
		"%s",
		ca, scrt, skey, scrt, skey, ca, ccrt, ckey, ca, ca,
		extra ? extra : "");
	ASSERT_EQ(fclose(f), 0);
}

/* Another tlsod in this network namespace would take our requests. */
static inline pid_t tenv_other_tlsod(void)
{
	struct dirent *d;
	pid_t found = 0;
	DIR *dir = opendir("/proc");

	if (!dir)
		return 0;
	while (!found && (d = readdir(dir))) {
		char path[64], comm[32] = "";
		char *end;
		long pid = strtol(d->d_name, &end, 10);
		FILE *f;

		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, "tlsod\n"))
			found = (pid_t)pid;
		fclose(f);
	}
	closedir(dir);
	return found;
}

/* Start tlsod -f -v -c CONF [tlsod_opt]; returns once it listens. */
static inline void tenv_start_tlsod(struct tenv *e)
{
	off_t from = tenv_file_size(e->log);
	double end;
	int log, null;

	ASSERT_EQ(access(TENV_TLSOD, X_OK), 0);
	ASSERT_OK(log = open(e->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			     0600));
	ASSERT_OK(null = open("/dev/null", O_RDONLY | O_CLOEXEC));
	fflush(NULL);
	e->tlsod = fork();
	ASSERT_GE(e->tlsod, 0);
	if (e->tlsod == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
			_exit(126);
		const char *argv[] = { "tlsod", "-f", "-v", "-c", e->conf,
				       e->tlsod_opt[0], e->tlsod_opt[1],
				       e->tlsod_opt[2], NULL };

		tenv_child_fds(NULL, 0);
		execv(TENV_TLSOD, (char *const *)argv);
		_exit(127);
	}
	close(log);
	close(null);
	end = tenv_now() + 15;
	while (!tenv_file_has(e->log, " listening; using", from)) {
		pid_t r = waitpid(e->tlsod, &e->tlsod_status, WNOHANG);

		if (r == e->tlsod) {
			e->tlsod = 0;
			tenv_show_file("tlsod log", e->log);
			ASSERT_TRUE(!"tlsod exited while starting");
		}
		if (tenv_now() > end) {
			tenv_show_file("tlsod log", e->log);
			ASSERT_TRUE(!"tlsod did not start listening within 15 s");
		}
		tenv_msleep(20);
	}
	/* What it holds at rest: the later checks compare with this. */
	e->tlsod_fds = tenv_fd_count(e->tlsod);
}

/* Wait for tlsod to exit within ms: its wait status, or -1. */
static inline int tenv_reap_tlsod(struct tenv *e, int ms)
{
	double end = tenv_now() + ms / 1000.0;

	while (e->tlsod > 0) {
		pid_t r = waitpid(e->tlsod, &e->tlsod_status, WNOHANG);

		if (r == e->tlsod || (r < 0 && errno != EINTR)) {
			e->tlsod = 0;
			break;
		}
		if (tenv_now() > end)
			return -1;
		tenv_msleep(20);
	}
	return e->tlsod_status;
}

/* SIGTERM, and its exit within ms: the wait status, or -1. */
static inline int tenv_stop_tlsod(struct tenv *e, int ms)
{
	if (e->tlsod <= 0)
		return e->tlsod_status;
	kill(e->tlsod, SIGTERM);
	return tenv_reap_tlsod(e, ms);
}

/* Lines of the tlsod log that tell how handshakes ended. */
static inline void tenv_show_outcomes(const struct tenv *e)
{
	char *buf = tenv_slurp(e->log, NULL), *line, *save = NULL;

	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "handshake fd"))
			TH_LOG("tlsod: %s", strchr(line, ' ') ?
			       strchr(line, ' ') + 1 : line);
	free(buf);
}

/* The ULP name the loaded module answers to. */
static inline void tenv_ulp_name(struct tenv *e)
{
	char buf[64];
	size_t n;

	snprintf(e->ulp, sizeof(e->ulp), "%s", TLSO_ULP_NAME);
	if (kmod_read_file("/sys/module/tlso/parameters/ulp_name", buf,
			   sizeof(buf)))
		return;
	n = strcspn(buf, "\n");
	buf[n] = 0;
	if (n && n < sizeof(e->ulp))
		memcpy(e->ulp, buf, n + 1);
}

/*
 * The module, the PKI (first case of the run), the case's directory and
 * configuration; tlsod itself when start.
 */
static inline void tenv_setup(struct tenv *e, bool start)
{
	char marker[PATH_MAX];
	pid_t other;
	int i;

	for (i = 0; i < TENV_MAX_FDS; i++)
		e->fds[i] = -1;
	e->attached0 = -1;
	signal(SIGPIPE, SIG_IGN);
	if (!kmod_loaded("tlso"))
		ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);
	tenv_ulp_name(e);
	other = tenv_other_tlsod();
	if (other > 0)
		SKIP("another tlsod (pid %d) is running in this network namespace",
		     (int)other);

	tenv_run_dir(e->run, sizeof(e->run));
	snprintf(marker, sizeof(marker), "%s/pki-done", e->run);
	if (access(marker, F_OK)) {
		if (mkdir(e->run, 0700) && errno != EEXIST)
			ASSERT_OK(-1);
		ASSERT_EQ(pki_make(e->run), 0);
		ASSERT_OK(tenv_write_file(marker, "", 0));
	}
	snprintf(e->dir, sizeof(e->dir), "%s/case.%d", e->run, (int)getpid());
	ASSERT_OK(mkdir(e->dir, 0700));
	snprintf(e->conf, sizeof(e->conf), "%s/tlsod.conf", e->dir);
	snprintf(e->log, sizeof(e->log), "%s/tlsod.log", e->dir);
	tenv_write_conf(e, NULL);
	e->attached0 = kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED);
	if (start)
		tenv_start_tlsod(e);
}

/*
 * Closes what the case left open and ends what it started; then, when
 * tlsod is still there, expects it idle with its starting descriptors,
 * and a clean exit on SIGTERM.  Every tlso socket of the case must be
 * gone after that: nothing stuck in the module either.
 */
static inline void tenv_teardown(struct tenv *e)
{
	double end;
	long now;
	int i, st;

	for (i = 0; i < e->nfds; i++)
		if (e->fds[i] >= 0)
			close(e->fds[i]);
	e->nfds = 0;
	for (i = 0; i < e->nprocs; i++)
		tproc_kill(&e->procs[i]);
	for (i = 0; i < e->nkids; i++) {
		if (e->kids[i] > 0) {
			kill(e->kids[i], SIGKILL);
			waitpid(e->kids[i], NULL, 0);
		}
	}
	if (e->tlsod > 0) {
		char buf[64];

		EXPECT_TRUE(tenv_daemon_idle(e, 20000));
		st = tenv_stop_tlsod(e, 20000);
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			th_fail(__FILE__, __LINE__,
				"tlsod ended with %s on SIGTERM, not exit 0",
				tenv_status_str(st, buf, sizeof(buf)));
			kill(e->tlsod, SIGKILL);
			tenv_reap_tlsod(e, 5000);
		}
	}
	if (e->attached0 >= 0) {
		end = tenv_now() + 10;
		while ((now = kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED)) >
		       e->attached0 && tenv_now() < end)
			tenv_msleep(50);
		if (now != e->attached0)
			th_fail(__FILE__, __LINE__,
				"%s is %ld after the case, %ld before",
				TLSO_STAT_CURR_ATTACHED, now, e->attached0);
	}
	if (th_res->nfail) {
		for (i = 0; i < e->nprocs; i++)
			tenv_show(&e->procs[i]);
		if (e->log[0])
			tenv_show_file("tlsod log", e->log);
	}
	if (e->dir[0] && !th_res->nfail) {
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
		if (system(cmd))
			TH_LOG("could not remove %s", e->dir);
	}
}

/* ---- gpeer: a GnuTLS server of our own ---- */

enum gpeer_end {
	GPEER_WAIT_EOF,		/* read until the other end goes away */
	GPEER_BYE,		/* send close_notify, then wait for EOF */
	GPEER_ALERT,		/* send a fatal alert, then wait for EOF */
	GPEER_WANT_CLOSE_NOTIFY, /* the next record must be close_notify */
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
};

static inline void gpeer_conn(const struct tenv *e, const struct gpeer *g,
			      int fd, int n)
{
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	char crt[PATH_MAX], key[PATH_MAX], buf[4096];
	size_t got = 0, want = g->expect ? strlen(g->expect) : 0;
	ssize_t r;
	int ret;

	tenv_pki(e, crt, sizeof(crt), PKI_SERVER, "pem");
	tenv_pki(e, key, sizeof(key), PKI_SERVER, "key");
	ASSERT_EQ(gnutls_certificate_allocate_credentials(&cred), 0);
	ASSERT_EQ(gnutls_certificate_set_x509_key_file(cred, crt, key,
						       GNUTLS_X509_FMT_PEM), 0);
	ASSERT_EQ(gnutls_init(&s, GNUTLS_SERVER), 0);
	ASSERT_EQ(gnutls_priority_set_direct(s, g->prio, NULL), 0);
	ASSERT_EQ(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred), 0);
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, TENV_HS_MS);
	if (g->delay_ms)
		tenv_msleep(g->delay_ms);
	if (g->gate > 0 && read(g->gate, buf, 1) != 1)
		_exit(2);	/* the case is over */
	do {
		ret = gnutls_handshake(s);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0)
		TH_LOG("gpeer %d: handshake: %s", n, gnutls_strerror(ret));
	ASSERT_EQ(ret, 0);

	/* Bytes the client wrote during the handshake would have broken
	 * it; these come after, as records. */
	while (got < want) {
		r = gnutls_record_recv(s, buf + got, want - got);
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r <= 0)
			TH_LOG("gpeer %d: receiving: %s", n,
			       r ? gnutls_strerror((int)r) : "end of stream");
		ASSERT_GT(r, 0);
		got += r;
	}
	if (want) {
		buf[want] = 0;
		EXPECT_STREQ(buf, g->expect);
	}
	if (g->reply) {
		r = gnutls_record_send(s, g->reply, strlen(g->reply));
		ASSERT_EQ(r, (ssize_t)strlen(g->reply));
	}
	switch (g->end) {
	case GPEER_BYE:
		ASSERT_EQ(gnutls_bye(s, GNUTLS_SHUT_WR), 0);
		/* fall through */
	case GPEER_WAIT_EOF:
		while (recv(fd, buf, sizeof(buf), 0) > 0)
			;
		break;
	case GPEER_ALERT:
		ASSERT_EQ(gnutls_alert_send(s, GNUTLS_AL_FATAL,
					    GNUTLS_A_ACCESS_DENIED), 0);
		while (recv(fd, buf, sizeof(buf), 0) > 0)
			;
		break;
	case GPEER_WANT_CLOSE_NOTIFY:
		/* 0 is close_notify; a bare FIN is PREMATURE_TERMINATION. */
		do {
			r = gnutls_record_recv(s, buf, sizeof(buf));
		} while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
		if (r)
			TH_LOG("gpeer %d: wanted close_notify, got %zd (%s)", n,
			       r, r < 0 ? gnutls_strerror((int)r) : "data");
		EXPECT_EQ(r, 0);
		gnutls_bye(s, GNUTLS_SHUT_WR);
		break;
	}
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(cred);
}

/*
 * Serve g->nconn connections on listening socket lfd, each in its own
 * process, at the same time; the returned pid exits 0 when all went as
 * g says (failures are reported as the case's).
 */
static inline pid_t gpeer_start(struct tenv *e, const struct gpeer *g,
				int lfd)
{
	int i, n = g->nconn ? g->nconn : 1, bad = 0, st, keep[2] = { lfd, 0 };
	struct gpeer mine = *g;
	pid_t pid = tenv_fork(e), kid;

	if (pid > 0)
		return pid;
	keep[1] = g->gate;
	tenv_child_fds(keep, g->gate > 0 ? 2 : 1);
	lfd = keep[0];
	if (g->gate > 0)
		mine.gate = keep[1];
	g = &mine;
	for (i = 0; i < n; i++) {
		struct pollfd p = { lfd, POLLIN, 0 };
		int fd;

		if (poll(&p, 1, 60000) != 1) {
			TH_LOG("gpeer: connection %d of %d did not come", i + 1,
			       n);
			_exit(1);
		}
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			_exit(1);
		kid = fork();
		if (kid < 0)
			_exit(1);
		if (kid == 0) {
			close(lfd);
			gpeer_conn(e, g, fd, i);
			_exit(0);
		}
		close(fd);
	}
	close(lfd);
	while ((kid = wait(&st)) > 0 || (kid < 0 && errno == EINTR))
		if (kid > 0 && (!WIFEXITED(st) || WEXITSTATUS(st)))
			bad = 1;
	_exit(bad);
}

#endif /* TLSO_TEST_TLSOD_ENV_H */
