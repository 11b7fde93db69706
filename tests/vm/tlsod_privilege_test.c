// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: what tlsod may do once it runs (tlsod(8), PRIVILEGES),
 * seen from outside through /proc, with handshakes to show that it
 * still works:
 *
 *   - started as root with user = nobody: uid 65534 all four ways, and
 *     CAP_NET_ADMIN alone, in the effective, permitted and bounding sets;
 *   - started the way its systemd unit starts it (nobody, CAP_NET_ADMIN
 *     ambient and alone in the bounding set): the same;
 *   - a worker: no new privileges, a seccomp filter, not dumpable (its
 *     /proc files root's while it runs as nobody), CAP_NET_ADMIN alone;
 *   - the server's private key: in the parent's memory (which shows the
 *     search works), not in a worker's, after the worker's handshake,
 *     with the server and with a client certificate;
 *   - a reload after the drop, reading the files as nobody;
 *   - a worker's socket to the parent, taken over (pidfd_getfd) as a
 *     subverted worker would use it: a key it has not, refused; a
 *     signature with a key it has, made; a malformed message, the worker
 *     ended; the parent serves on;
 *   - sd_notify: READY=1 (and MAINPID) once tlsod takes requests,
 *     RELOADING=1 and READY=1 around a reload, STOPPING=1 on SIGTERM.
 *
 * The cases start tlsod themselves, each its own way.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "keyproxy.h"
#include "tlsod_env.h"

#define NET_ADMIN_ONLY	0x1000ULL	/* 1 << CAP_NET_ADMIN */
/* a worker that waits this long stays for the checks */
#define IDLE_LONG	"600000"

FIXTURE(priv) {
	struct tenv e;
};

FIXTURE_SETUP(priv)
{
	tenv_setup(&self->e, false);
}

FIXTURE_TEARDOWN(priv)
{
	tenv_teardown(&self->e);
}

/* The value of "Key:" in /proc/PID/status, or "" when absent. */
static void status_of(pid_t pid, const char *key, char *out, size_t size)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			snprintf(out, size, "%s", line + klen + 1 +
				 strspn(line + klen + 1, " \t"));
			out[strcspn(out, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
}

static unsigned long long status_hex(pid_t pid, const char *key)
{
	char v[64];

	status_of(pid, key, v, sizeof(v));
	return v[0] ? strtoull(v, NULL, 16) : ~0ULL;
}

static long status_num(pid_t pid, const char *key)
{
	char v[64];

	status_of(pid, key, v, sizeof(v));
	return v[0] ? strtol(v, NULL, 10) : -1;
}

/* Real, effective, saved and filesystem ids, all id. */
static void expect_ids(pid_t pid, const char *key, unsigned int id)
{
	unsigned int a = 1, b = 1, c = 1, d = 1;
	char v[64];

	status_of(pid, key, v, sizeof(v));
	TH_LOG("%d %s: %s", (int)pid, key, v);
	ASSERT_EQ(sscanf(v, "%u %u %u %u", &a, &b, &c, &d), 4);
	EXPECT_EQ(a, id);
	EXPECT_EQ(b, id);
	EXPECT_EQ(c, id);
	EXPECT_EQ(d, id);
}

/*
 * What tlsod(8) says any tlsod process keeps: CAP_NET_ADMIN alone.  The
 * inheritable set is inh: empty when tlsod could clear it, CAP_NET_ADMIN
 * when it runs the unit's way, whose filter refuses capset (the
 * environment sets that filter up as the unit does).
 */
static void expect_net_admin_only(pid_t pid, unsigned long long inh)
{
	TH_LOG("%d: CapEff %llx CapPrm %llx CapBnd %llx", (int)pid,
	       status_hex(pid, "CapEff"), status_hex(pid, "CapPrm"),
	       status_hex(pid, "CapBnd"));
	EXPECT_EQ(status_hex(pid, "CapEff"), NET_ADMIN_ONLY);
	EXPECT_EQ(status_hex(pid, "CapPrm"), NET_ADMIN_ONLY);
	EXPECT_EQ(status_hex(pid, "CapBnd"), NET_ADMIN_ONLY);
	EXPECT_EQ(status_hex(pid, "CapInh"), inh);
	EXPECT_EQ(status_hex(pid, "CapAmb"), 0ULL);
}

/* The parent after the drop: nobody, CAP_NET_ADMIN alone. */
static void expect_dropped(pid_t pid, unsigned long long inh)
{
	expect_ids(pid, "Uid", TENV_TLSOD_UID);
	expect_ids(pid, "Gid", TENV_TLSOD_GID);
	expect_net_admin_only(pid, inh);
}

/* A tlso server handshake with profile "server" against s_client. */
static void serve_one(struct tenv *e)
{
	struct tproc *cli;
	int port, lfd, fd;

	lfd = tenv_listen(e, &port);
	cli = tenv_s_client(e, port, &tver_tls13, false);
	tproc_close_stdin(cli);
	fd = tenv_tlso_accept(e, lfd);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_SERVER, "server", "", TENV_HS_MS));
	EXPECT_DONE(fd, tver_tls13.version, TLSO_AUTH_NONE, "");
	tenv_close(e, fd);
	tenv_close(e, lfd);
	tproc_kill(cli);
}

/* A tlso client with profile "client_cert", which s_server asks for. */
static void client_with_cert(struct tenv *e)
{
	struct tproc *srv;
	int fd;

	fd = tenv_s_server_client(e, &srv, PKI_SERVER, &tver_tls13,
				  "-Verify", "1", NULL);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "client_cert", "localhost",
			   TENV_HS_MS));
	EXPECT_DONE(fd, tver_tls13.version, TLSO_AUTH_X509, TENV_ID_SERVER);
	tenv_close(e, fd);
	tproc_kill(srv);
}

/* The one worker tlsod has (idle, with IDLE_LONG), or fail. */
static pid_t the_worker(struct tenv *e)
{
	pid_t pids[4];
	int n = 0, i;

	for (i = 0; i < 100; i++) {
		n = tenv_workers(e, pids, 4);
		if (n == 1)
			return pids[0];
		tenv_msleep(50);
	}
	TH_LOG("tlsod has %d workers, not one", n);
	ASSERT_EQ(n, 1);
	return -1;
}

/* tlsod with workers that stay, after one handshake: its worker. */
static pid_t served_worker(struct tenv *e)
{
	e->tlsod_opt[0] = "--worker-idle";
	e->tlsod_opt[1] = IDLE_LONG;
	tenv_start_tlsod(e);
	serve_one(e);
	return the_worker(e);
}

/* No worker went for a system call the sandbox does not allow. */
static void expect_no_sandbox_kill(struct tenv *e)
{
	EXPECT_FALSE(tenv_file_has(e->log, "killed by signal 31", 0));
	EXPECT_FALSE(tenv_file_has(e->log, "exited with status", 0));
}

/*
 * A reload sends waiting workers away: the teardown finds tlsod at rest
 * without waiting IDLE_LONG.
 */
static void dismiss_workers(struct tenv *e)
{
	pid_t pids[4];
	int i;

	tenv_reload_conf(e, NULL);
	for (i = 0; i < 200 && tenv_workers(e, pids, 4); i++)
		tenv_msleep(50);
	EXPECT_EQ(tenv_workers(e, pids, 4), 0);
}

/* (a) Started as root with user = nobody. */
TEST_F(priv, root_drops_to_its_user)
{
	struct tenv *e = &self->e;

	e->tlsod_as_root = true;
	e->conf_global = "user = nobody\n";
	tenv_write_conf(e, NULL);
	tenv_start_tlsod(e);
	expect_dropped(e->tlsod, 0);
	EXPECT_TRUE(tenv_file_has(e->log, "running as uid 65534 gid 65534 with CAP_NET_ADMIN alone", 0));
	serve_one(e);
	client_with_cert(e);
	expect_no_sandbox_kill(e);
}

/*
 * (b) Started as the unit starts it, its system call filter included:
 * nothing to switch, capset refused, the ambient set cleared all the same.
 */
TEST_F(priv, unit_way)
{
	struct tenv *e = &self->e;

	tenv_start_tlsod(e);
	expect_dropped(e->tlsod, NET_ADMIN_ONLY);
	serve_one(e);
	expect_no_sandbox_kill(e);
}

/* Without CAP_NET_ADMIN: a clear error, exit 1. */
TEST_F(priv, needs_net_admin)
{
	struct tenv *e = &self->e;
	char conf[PATH_MAX + 8];
	struct tproc *p;
	const char *argv[] = {
		"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
		"--inh-caps=-all", TENV_TLSOD, "-f", "-c", conf, NULL,
	};

	TENV_NEED("setpriv");
	ASSERT_TRUE(realpath(e->conf, conf) != NULL);
	argv[5] = realpath(TENV_TLSOD, NULL);
	ASSERT_TRUE(argv[5] != NULL);
	p = tenv_spawn(e, "tlsod-no-cap", false, argv);
	EXPECT_EXIT(p, 1, 20000);
	EXPECT_TRUE(tenv_file_has(p->err, "tlsod needs CAP_NET_ADMIN", 0));
	free((char *)argv[5]);
}

/* (c) A worker after its handshake, waiting for another. */
TEST_F(priv, worker_is_sandboxed)
{
	struct tenv *e = &self->e;
	char path[64];
	struct stat st;
	pid_t w;

	w = served_worker(e);
	TH_LOG("worker %d: NoNewPrivs %ld Seccomp %ld", (int)w,
	       status_num(w, "NoNewPrivs"), status_num(w, "Seccomp"));
	EXPECT_EQ(status_num(w, "NoNewPrivs"), 1);
	EXPECT_EQ(status_num(w, "Seccomp"), 2);	/* a filter */
	expect_ids(w, "Uid", TENV_TLSOD_UID);
	expect_net_admin_only(w, NET_ADMIN_ONLY);
	/* not dumpable: the kernel gives its /proc files to root */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)w);
	ASSERT_OK(stat(path, &st));
	EXPECT_EQ(st.st_uid, 0);
	/* and it still serves */
	serve_one(e);
	EXPECT_EQ(the_worker(e), w);
	expect_no_sandbox_kill(e);
	dismiss_workers(e);
}

/* --trace prints from the worker, inside its sandbox. */
TEST_F(priv, trace_in_the_sandbox)
{
	struct tenv *e = &self->e;

	e->tlsod_opt[0] = "--trace";
	tenv_start_tlsod(e);
	serve_one(e);
	client_with_cert(e);
	EXPECT_TRUE(tenv_file_has(e->log, "ClientHello", 0));
	EXPECT_TRUE(tenv_file_has(e->log, "tlso test CA", 0));
	expect_no_sandbox_kill(e);
}

/* ---- (d) the key in memory ---- */

struct needle {
	unsigned char be[24], le[24];
};

/*
 * The low 24 bytes of the server key's EC scalar, big-endian as in the
 * file and little-endian as GMP's limbs hold it on this machine.
 */
static void key_needle(struct tenv *e, int which, struct needle *n)
{
	gnutls_datum_t pem = { NULL, 0 }, x, y, k;
	gnutls_x509_privkey_t key;
	gnutls_ecc_curve_t curve;
	char path[PATH_MAX];
	size_t i;

	tenv_pki(e, path, sizeof(path), which, "key");
	pem.data = (unsigned char *)tenv_slurp(path, &i);
	pem.size = i;
	ASSERT_EQ(gnutls_x509_privkey_init(&key), 0);
	ASSERT_EQ(gnutls_x509_privkey_import(key, &pem, GNUTLS_X509_FMT_PEM),
		  0);
	ASSERT_EQ(gnutls_x509_privkey_export_ecc_raw(key, &curve, &x, &y, &k),
		  0);
	ASSERT_GE(k.size, sizeof(n->be));
	memcpy(n->be, k.data + k.size - sizeof(n->be), sizeof(n->be));
	for (i = 0; i < sizeof(n->be); i++)
		n->le[i] = n->be[sizeof(n->be) - 1 - i];
	gnutls_free(x.data);
	gnutls_free(y.data);
	gnutls_free(k.data);
	gnutls_x509_privkey_deinit(key);
	free(pem.data);
}

/*
 * Where in pid's readable memory the needle is, either way round: 0 not
 * found, 1 big-endian, 2 little-endian; -1 when the memory could not be
 * read at all.
 */
static int memory_has(pid_t pid, const struct needle *n)
{
	char path[64], line[512], perms[8];
	unsigned long lo, hi;
	int found = 0, mem, regions = 0;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	maps = fopen(path, "re");
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	if (!maps || mem < 0) {
		if (maps)
			fclose(maps);
		if (mem >= 0)
			close(mem);
		return -1;
	}
	while (!found && fgets(line, sizeof(line), maps)) {
		size_t len, got = 0;
		unsigned char *buf;
		ssize_t r;

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 ||
		    perms[0] != 'r' || strstr(line, "[vvar") ||
		    strstr(line, "[vsyscall]"))
			continue;
		len = hi - lo;
		buf = malloc(len);
		if (!buf)
			continue;
		while (got < len) {
			r = pread(mem, buf + got, len - got, lo + got);
			if (r <= 0)
				break;
			got += r;
		}
		if (got)
			regions++;
		if (memmem(buf, got, n->be, sizeof(n->be)))
			found = 1;
		else if (memmem(buf, got, n->le, sizeof(n->le)))
			found = 2;
		if (found)
			TH_LOG("%d: the key's bytes (%s) at %lx-%lx %s",
			       (int)pid,
			       found == 1 ? "big-endian" : "little-endian",
			       lo, hi, strchr(line, '/') ?: "");
		free(buf);
	}
	fclose(maps);
	close(mem);
	return regions ? found : -1;
}

TEST_F(priv, worker_holds_no_private_key)
{
	struct tenv *e = &self->e;
	struct needle srv, cli;
	pid_t w;

	key_needle(e, PKI_SERVER, &srv);
	key_needle(e, PKI_CLIENT, &cli);
	e->tlsod_opt[0] = "--worker-idle";
	e->tlsod_opt[1] = IDLE_LONG;
	tenv_start_tlsod(e);
	serve_one(e);
	client_with_cert(e);
	w = the_worker(e);
	/* the search finds what is there */
	EXPECT_GT(memory_has(e->tlsod, &srv), 0);
	EXPECT_GT(memory_has(e->tlsod, &cli), 0);
	/* and the worker, which signed with both, has neither */
	EXPECT_EQ(memory_has(w, &srv), 0);
	EXPECT_EQ(memory_has(w, &cli), 0);
	expect_no_sandbox_kill(e);
	dismiss_workers(e);
}

/*
 * An RSA server key through the parent: TLS 1.3 signs (RSA-PSS), TLS 1.2
 * with RSA key transport decrypts (legacy = rsa-kx).
 */
TEST_F(priv, rsa_key_signs_and_decrypts_through_the_parent)
{
	struct tenv *e = &self->e;
	char crt[PATH_MAX], key[PATH_MAX], ca[PATH_MAX], portbuf[32];
	char extra[2 * PATH_MAX + 64];
	const struct tver *v[] = { &tver_tls13, &tver_tls12 };
	const char *argv[] = {
		"openssl", "s_client", "-connect", portbuf, "-quiet",
		"-CAfile", ca, NULL, "-cipher", "AES128-GCM-SHA256", NULL,
	};
	struct tproc *cli;
	int port, lfd, fd;
	size_t i;

	tenv_pki(e, crt, sizeof(crt), PKI_RSA_SERVER, "pem");
	tenv_pki(e, key, sizeof(key), PKI_RSA_SERVER, "key");
	tenv_pki(e, ca, sizeof(ca), PKI_CA, "pem");
	snprintf(extra, sizeof(extra),
		 "\n[rsa]\ncertificate = %s\nprivate_key = %s\n"
		 "legacy = rsa-kx\n", crt, key);
	tenv_write_conf(e, extra);
	tenv_start_tlsod(e);
	for (i = 0; i < 2; i++) {
		lfd = tenv_listen(e, &port);
		snprintf(portbuf, sizeof(portbuf), "127.0.0.1:%d", port);
		/* TLS 1.2: a suite with RSA key transport alone */
		argv[7] = v[i] == &tver_tls12 ? "-tls1_2" : "-tls1_3";
		if (v[i] != &tver_tls12)
			argv[8] = NULL;
		cli = tenv_spawn(e, "s_client", true, argv);
		tproc_close_stdin(cli);
		fd = tenv_tlso_accept(e, lfd);
		ASSERT_OK(hs_start(fd, TLSO_ROLE_SERVER, "rsa", "",
				   TENV_HS_MS));
		EXPECT_DONE(fd, v[i]->version, TLSO_AUTH_NONE, "");
		tenv_close(e, fd);
		tenv_close(e, lfd);
		tproc_kill(cli);
	}
	expect_no_sandbox_kill(e);
}

/* (e) A reload as nobody: a new profile, and handshakes go on. */
TEST_F(priv, reload_after_the_drop)
{
	struct tenv *e = &self->e;
	char crt[PATH_MAX], key[PATH_MAX], extra[2 * PATH_MAX + 64];
	struct tproc *cli;
	int port, lfd, fd;

	e->tlsod_as_root = true;
	e->conf_global = "user = nobody\n";
	tenv_write_conf(e, NULL);
	tenv_start_tlsod(e);
	expect_dropped(e->tlsod, 0);
	tenv_pki(e, crt, sizeof(crt), PKI_SERVER, "pem");
	tenv_pki(e, key, sizeof(key), PKI_SERVER, "key");
	snprintf(extra, sizeof(extra),
		 "\n[server_again]\ncertificate = %s\nprivate_key = %s\n",
		 crt, key);
	tenv_reload_conf(e, extra);
	EXPECT_TRUE(tenv_log_line_has(e, "reloaded", "server_again", 1000));

	lfd = tenv_listen(e, &port);
	cli = tenv_s_client(e, port, &tver_tls12, false);
	tproc_close_stdin(cli);
	fd = tenv_tlso_accept(e, lfd);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_SERVER, "server_again", "",
			   TENV_HS_MS));
	EXPECT_DONE(fd, tver_tls12.version, TLSO_AUTH_NONE, "");
	tenv_close(e, fd);
	tproc_kill(cli);
	serve_one(e);

	/* a key nobody may not read: the reload fails, the old one stays */
	ASSERT_OK(chown(key, 0, 0));
	{
		off_t from = tenv_file_size(e->log);

		ASSERT_OK(kill(e->tlsod, SIGHUP));
		EXPECT_TRUE(tenv_wait_file_has(e->log, "reload failed", from,
					       30000));
	}
	tenv_give_tlsod(key);
	serve_one(e);
	expect_no_sandbox_kill(e);
}

/* ---- (f) a worker's socket in other hands ---- */

/* The fd number of pid's end of its pair to the parent (SEQPACKET). */
static int pair_fd_of(pid_t pid)
{
	char path[300], target[64], line[512];
	unsigned long ino, want;
	unsigned int type;
	struct dirent *d;
	int found = -1;
	DIR *dir;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while (found < 0 && (d = readdir(dir))) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid,
			 d->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (sscanf(target, "socket:[%lu]", &want) != 1)
			continue;
		f = fopen("/proc/net/unix", "re");
		if (!f)
			break;
		while (fgets(line, sizeof(line), f)) {
			/* Num RefCount Protocol Flags Type St Inode Path */
			if (sscanf(line, "%*s %*s %*s %*s %x %*s %lu", &type,
				   &ino) == 2 && ino == want &&
			    type == SOCK_SEQPACKET)
				found = atoi(d->d_name);
		}
		fclose(f);
	}
	closedir(dir);
	return found;
}

static int steal_fd(pid_t pid, int fd)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), got;

	if (pidfd < 0)
		return -1;
	got = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	close(pidfd);
	return got;
}

/* A request to the parent and its answer, within 10 s. */
static int ask(int sock, uint32_t key, uint32_t algo, const void *data,
	       uint32_t len, struct tlsod_msg *answer)
{
	struct tlsod_msg m = { .h = {
		.type = TLSOD_MSG_SIGN_HASH, .key = key, .algo = algo,
		.len = len,
	} };
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	ssize_t n;

	memcpy(m.data, data, len);
	if (send(sock, &m, sizeof(m.h) + len, MSG_NOSIGNAL) < 0)
		return -1;
	if (poll(&pfd, 1, 10000) != 1)
		return -1;
	n = recv(sock, answer, sizeof(*answer), MSG_DONTWAIT);
	if (n < (ssize_t)sizeof(answer->h) ||
	    answer->h.len != (size_t)n - sizeof(answer->h))
		return -1;
	return answer->h.type;
}

TEST_F(priv, subverted_worker_cannot_take_a_key)
{
	struct tenv *e = &self->e;
	unsigned char hash[32];
	struct tlsod_msg answer;
	gnutls_pcert_st pcert;
	gnutls_datum_t h = { hash, sizeof(hash) }, sig;
	char crt[PATH_MAX];
	int sock, fd;
	pid_t w;

	w = served_worker(e);
	fd = pair_fd_of(w);
	TH_LOG("worker %d: its pair is fd %d", (int)w, fd);
	ASSERT_GE(fd, 0);
	/* stopped, so that it does not read the answers meant for us */
	ASSERT_OK(kill(w, SIGSTOP));
	sock = steal_fd(w, fd);
	ASSERT_GE(sock, 0);
	tenv_track(e, sock);
	memset(hash, 0x5a, sizeof(hash));

	/* a key its configuration has not: an error, nothing else */
	EXPECT_EQ(ask(sock, 999, GNUTLS_SIGN_ECDSA_SHA256, hash, 32, &answer),
		  TLSOD_MSG_RESULT);
	EXPECT_LT(answer.h.status, 0);
	EXPECT_EQ(answer.h.len, 0);
	EXPECT_TRUE(tenv_log_line_has(e, "refused", "key 999", 5000));
	/* an algorithm the key does not make: the same */
	EXPECT_EQ(ask(sock, 0, GNUTLS_SIGN_RSA_SHA256, hash, 32, &answer),
		  TLSOD_MSG_RESULT);
	EXPECT_LT(answer.h.status, 0);

	/* key 0, profile "server"'s: signed, as tlsod(8) says it would be */
	EXPECT_EQ(ask(sock, 0, GNUTLS_SIGN_ECDSA_SHA256, hash, 32, &answer),
		  TLSOD_MSG_RESULT);
	EXPECT_EQ(answer.h.status, 0);
	tenv_pki(e, crt, sizeof(crt), PKI_SERVER, "pem");
	{
		gnutls_datum_t pem;
		size_t len;

		pem.data = (unsigned char *)tenv_slurp(crt, &len);
		pem.size = len;
		ASSERT_EQ(gnutls_pcert_import_x509_raw(&pcert, &pem,
						       GNUTLS_X509_FMT_PEM, 0),
			  0);
		free(pem.data);
	}
	sig = (gnutls_datum_t){ answer.data, answer.h.len };
	EXPECT_GE(gnutls_pubkey_verify_hash2(pcert.pubkey,
					     GNUTLS_SIGN_ECDSA_SHA256, 0, &h,
					     &sig), 0);
	gnutls_pcert_deinit(&pcert);

	/* what no worker says: the worker is ended, the parent goes on */
	{
		struct tlsod_msg_hdr bad = { .type = TLSOD_MSG_SIGN_HASH,
					     .len = 4000 };

		ASSERT_EQ(send(sock, &bad, sizeof(bad), MSG_NOSIGNAL),
			  (ssize_t)sizeof(bad));
	}
	EXPECT_TRUE(tenv_log_line_has(e, "malformed", "ending it", 10000));
	EXPECT_TRUE(tenv_log_line_has(e, "killed by signal 9", "", 10000));
	tenv_close(e, sock);
	EXPECT_TRUE(kill(e->tlsod, 0) == 0);
	serve_one(e);
	dismiss_workers(e);
}

/* ---- (g) sd_notify ---- */

static int notify_socket(char *name, size_t size)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	snprintf(name, size, "@tlso-notify-test.%d", (int)getpid());
	/* the abstract name: a NUL, then the rest, no terminator */
	memcpy(a.sun_path + 1, name + 1, strlen(name) - 1);
	len = offsetof(struct sockaddr_un, sun_path) + strlen(name);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, len) < 0)
		return -1;
	return fd;
}

/* The next datagram within ms, NUL-ended; "" when none came. */
static void notice(int fd, char *buf, size_t size, int ms)
{
	ssize_t n = tenv_recv_wait(fd, buf, size - 1, ms);

	buf[n > 0 ? n : 0] = '\0';
	TH_LOG("notified: '%s'", buf);
}

TEST_F(priv, sd_notify)
{
	struct tenv *e = &self->e;
	char name[64], var[96], msg[256], want[64];
	char *env[] = { var, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	struct tproc *cli;
	int nfd, port, lfd, fd;

	nfd = notify_socket(name, sizeof(name));
	ASSERT_GE(nfd, 0);
	tenv_track(e, nfd);
	snprintf(var, sizeof(var), "NOTIFY_SOCKET=%s", name);
	e->tlsod_env = env;
	e->tlsod_no_wait = true;
	/* the client is there first: the request goes out the moment tlsod
	 * says it is ready */
	lfd = tenv_listen(e, &port);
	cli = tenv_s_client(e, port, &tver_tls13, false);
	tproc_close_stdin(cli);
	fd = tenv_tlso_accept(e, lfd);
	tenv_start_tlsod(e);
	notice(nfd, msg, sizeof(msg), 30000);
	snprintf(want, sizeof(want), "READY=1\nMAINPID=%d", (int)e->tlsod);
	EXPECT_STREQ(msg, want);
	/* ready means taking requests: no ESRCH now */
	ASSERT_OK(hs_start(fd, TLSO_ROLE_SERVER, "server", "", TENV_HS_MS));
	EXPECT_DONE(fd, tver_tls13.version, TLSO_AUTH_NONE, "");
	tenv_close(e, fd);
	tproc_kill(cli);
	tenv_tlsod_ready(e);

	ASSERT_OK(kill(e->tlsod, SIGHUP));
	notice(nfd, msg, sizeof(msg), 30000);
	EXPECT_TRUE(!strncmp(msg, "RELOADING=1\nMONOTONIC_USEC=", 27));
	notice(nfd, msg, sizeof(msg), 30000);
	EXPECT_STREQ(msg, "READY=1");

	EXPECT_EQ(tenv_stop_tlsod(e, 20000), 0);
	notice(nfd, msg, sizeof(msg), 5000);
	EXPECT_STREQ(msg, "STOPPING=1");
}

TEST_HARNESS_MAIN
