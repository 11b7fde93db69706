// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: the kernel side of the handshake upcall, with a stand-in
 * for tlsod (upcall.h) that takes a request and ends it as each test
 * needs: every outcome the application can see, the gate on its reads
 * and writes while the handshake runs, and the daemon going away; the
 * limits on requests, who may be the daemon, and what it is told.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/tls.h>

#include "harness.h"
#include "kmod.h"
#include "ktls_keys.h"
#include "sock.h"
#include "upcall.h"
#include "wire.h"

enum act {
	ACT_STATUS,	/* DONE with the given status */
	ACT_VANISH,	/* take it and exit without DONE */
	ACT_SIT,	/* take it and wait for the parent */
	ACT_KEYS,	/* install keys, DONE 0 with identity and early data */
	ACT_NOKEYS,	/* DONE 0 without keys */
};

FIXTURE(up) {
	int cli, srv;
	pid_t daemon;
	int go[2];	/* parent -> daemon: may end now */
};

FIXTURE_SETUP(up)
{
	self->cli = self->srv = -1;
	self->daemon = -1;
	self->go[0] = self->go[1] = -1;
	if (!kmod_loaded("tlso"))
		ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);
	ASSERT_OK(sock_pair(AF_INET, &self->cli, &self->srv));
	ASSERT_OK(sock_attach(self->cli, "tlso"));
}

FIXTURE_TEARDOWN(up)
{
	/* The caps as a test may have left them. */
	if (kmod_loaded("tlso")) {
		kmod_param_set("max_pending", TLSO_PENDING_MAX);
		kmod_param_set("max_pending_per_user", TLSO_PENDING_USER_MAX);
	}
	if (self->go[1] >= 0)
		close(self->go[1]);
	if (self->daemon > 0) {
		kill(self->daemon, SIGKILL);
		waitpid(self->daemon, NULL, 0);
	}
	if (self->cli >= 0)
		close(self->cli);
	if (self->srv >= 0)
		close(self->srv);
}

static struct tlso_handshake_req req(uint32_t role, uint32_t ms)
{
	struct tlso_handshake_req r;

	memset(&r, 0, sizeof(r));
	r.role = role;
	r.timeout_ms = ms;
	strcpy(r.peer_name, "example.test");
	strcpy(r.profile, "p1");
	return r;
}

/* The daemon's script, in its own process: exit 0 when it went as told. */
static void daemon_main(int ready_fd, int go_fd, enum act act,
			uint32_t status)
{
	struct upcall u;
	union keys_info k;
	char c;

	if (upcall_open(&u, 1))
		_exit(10);
	if (write(ready_fd, "r", 1) != 1)
		_exit(11);
	if (upcall_wait_ready(&u, 10000))
		_exit(12);
	if (upcall_accept(&u))
		_exit(13);
	if (u.role != TLSO_ROLE_CLIENT || strcmp(u.peer, "example.test") ||
	    strcmp(u.profile, "p1"))
		_exit(14);
	switch (act) {
	case ACT_VANISH:
		_exit(0);
	case ACT_SIT:
		if (read(go_fd, &c, 1) < 0)
			_exit(15);
		_exit(0);
	case ACT_KEYS:
		/* The daemon's own I/O passes the gate while it runs. */
		if (send(u.fd, "hi", 2, MSG_DONTWAIT) != 2)
			_exit(16);
		keys_make(&k, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 1, 0);
		if (keys_install(u.fd, TLS_TX, &k))
			_exit(17);
		keys_make(&k, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 2, 0);
		if (keys_install(u.fd, TLS_RX, &k))
			_exit(18);
		if (upcall_done_auth(&u, u.id, u.fd, 0, TLSO_AUTH_X509,
				     "CN=peer.example.test", "early", 5))
			_exit(19);
		_exit(0);
	case ACT_NOKEYS:
		status = 0;
		/* fall through */
	case ACT_STATUS:
		if (read(go_fd, &c, 1) < 0)
			_exit(15);
		if (upcall_done(&u, u.id, u.fd, status, NULL, NULL, 0))
			_exit(20);
		/* The same request cannot end twice. */
		if (upcall_done(&u, u.id, u.fd, status, NULL, NULL, 0) == 0)
			_exit(21);
		_exit(0);
	}
	_exit(22);
}

/* Start the stand-in daemon; returns once it listens. */
static void start_daemon(struct _th_data_up *self,
			 enum act act, uint32_t status)
{
	int ready[2];
	char c;

	if (pipe(ready) || pipe(self->go))
		abort();
	fflush(NULL);
	self->daemon = fork();
	if (self->daemon == 0) {
		close(ready[0]);
		close(self->go[1]);
		daemon_main(ready[1], self->go[0], act, status);
	}
	close(ready[1]);
	close(self->go[0]);
	self->go[0] = -1;
	if (read(ready[0], &c, 1) != 1)
		abort();
	close(ready[0]);
}

static void let_daemon_end(struct _th_data_up *self)
{
	if (write(self->go[1], "g", 1) != 1)
		abort();
}

static int daemon_exit(struct _th_data_up *self)
{
	int status;

	if (waitpid(self->daemon, &status, 0) != self->daemon)
		return -1;
	self->daemon = -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

static int hs_start(int fd, struct tlso_handshake_req *r)
{
	return setsockopt(fd, SOL_TLS, TLSO_HANDSHAKE, r, sizeof(*r));
}

static struct tlso_handshake_status hs_get(int fd)
{
	struct tlso_handshake_status st;
	socklen_t len = sizeof(st);

	memset(&st, 0xff, sizeof(st));
	if (getsockopt(fd, SOL_TLS, TLSO_HANDSHAKE, &st, &len))
		st.state = 0xdead;
	return st;
}

#define START_DAEMON(act, status) start_daemon(self, act, status)

TEST_F(up, no_daemon_is_esrch)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);

	EXPECT_ERRNO(hs_start(self->cli, &r), ESRCH);
	EXPECT_EQ(hs_get(self->cli).state, TLSO_HS_NONE);
}

TEST_F(up, bad_requests_are_einval)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	char big[sizeof(r) + 8];
	unsigned int bit;

	r.role = 0;
	EXPECT_ERRNO(hs_start(self->cli, &r), EINVAL);
	r.role = 3;
	EXPECT_ERRNO(hs_start(self->cli, &r), EINVAL);
	r = req(TLSO_ROLE_SERVER, 0);
	r.reserved = 1;
	EXPECT_ERRNO(hs_start(self->cli, &r), EINVAL);
	/* Every bit no flag defines, one at a time. */
	for (bit = 0; bit < 32; bit++) {
		if (TLSO_HANDSHAKE_FLAGS & (1u << bit))
			continue;
		r = req(TLSO_ROLE_SERVER, 0);
		r.flags = 1u << bit;
		EXPECT_ERRNO(hs_start(self->cli, &r), EINVAL);
	}
	r = req(TLSO_ROLE_SERVER, 0);
	memset(r.peer_name, 'x', sizeof(r.peer_name));
	EXPECT_ERRNO(hs_start(self->cli, &r), EINVAL);
	r = req(TLSO_ROLE_SERVER, 0);
	memset(r.profile, 'x', sizeof(r.profile));
	EXPECT_ERRNO(hs_start(self->cli, &r), EINVAL);
	r = req(TLSO_ROLE_SERVER, 0);
	EXPECT_ERRNO(setsockopt(self->cli, SOL_TLS, TLSO_HANDSHAKE, &r,
				sizeof(r) - 1), EINVAL);
	memset(big, 0, sizeof(big));
	memcpy(big, &r, sizeof(r));
	big[sizeof(r) + 3] = 1;
	EXPECT_ERRNO(setsockopt(self->cli, SOL_TLS, TLSO_HANDSHAKE, big,
				sizeof(big)), EINVAL);
}

TEST_F(up, needs_the_ulp_and_no_keys)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	union keys_info k;

	EXPECT_ERRNO(hs_start(self->srv, &r), ENOPROTOOPT);
	keys_make(&k, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 1, 0);
	ASSERT_OK(keys_install(self->cli, TLS_TX, &k));
	EXPECT_ERRNO(hs_start(self->cli, &r), EISCONN);
}

TEST_F(up, daemon_error_reaches_the_application)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	struct tlso_handshake_status st;
	char c;

	START_DAEMON(ACT_STATUS, EACCES);
	let_daemon_end(self);
	EXPECT_ERRNO(hs_start(self->cli, &r), EACCES);
	EXPECT_EQ(daemon_exit(self), 0);
	st = hs_get(self->cli);
	EXPECT_EQ(st.state, TLSO_HS_FAILED);
	EXPECT_EQ(st.status, EACCES);
	EXPECT_EQ(st.peer_auth, TLSO_AUTH_NONE);
	/* The socket stays failed for reads and writes. */
	EXPECT_ERRNO(send(self->cli, "x", 1, 0), EACCES);
	EXPECT_ERRNO(recv(self->cli, &c, 1, MSG_DONTWAIT), EACCES);
}

TEST_F(up, success_needs_keys)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);

	START_DAEMON(ACT_NOKEYS, 0);
	let_daemon_end(self);
	EXPECT_ERRNO(hs_start(self->cli, &r), EIO);
	EXPECT_EQ(daemon_exit(self), 0);
}

TEST_F(up, daemon_killed_is_econnaborted)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);

	START_DAEMON(ACT_VANISH, 0);
	EXPECT_ERRNO(hs_start(self->cli, &r), ECONNABORTED);
	EXPECT_EQ(daemon_exit(self), 0);
	EXPECT_EQ(hs_get(self->cli).status, ECONNABORTED);
}

TEST_F_TIMEOUT(up, silent_daemon_times_out, 60)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 100);

	START_DAEMON(ACT_SIT, 0);
	/* The request's 100 ms plus the kernel's grace of 5 s. */
	EXPECT_ERRNO(hs_start(self->cli, &r), ETIMEDOUT);
	let_daemon_end(self);
	EXPECT_EQ(daemon_exit(self), 0);
}

TEST_F(up, success_installs_the_session)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	struct tlso_handshake_status st;
	union keys_info k;
	char got[16];

	START_DAEMON(ACT_KEYS, 0);
	ASSERT_OK(hs_start(self->cli, &r));
	EXPECT_EQ(daemon_exit(self), 0);
	st = hs_get(self->cli);
	EXPECT_EQ(st.state, TLSO_HS_DONE);
	EXPECT_EQ(st.status, 0);
	EXPECT_EQ(st.version, TLS_1_3_VERSION);
	EXPECT_EQ(st.cipher, TLS_CIPHER_AES_GCM_128);
	EXPECT_STREQ(st.peer_identity, "CN=peer.example.test");
	/* What tlsod said authenticated the peer. */
	EXPECT_EQ(st.peer_auth, TLSO_AUTH_X509);

	/* The daemon's own bytes went out plain, before the keys. */
	ASSERT_EQ(recv(self->srv, got, 2, MSG_WAITALL), 2);
	EXPECT_MEMEQ(got, "hi", 2);
	/* The peer, in-tree kTLS here, has the other ends of the keys. */
	if (kmod_modprobe("tls"))
		SKIP("the in-tree tls module cannot be loaded here");
	ASSERT_OK(sock_attach(self->srv, "tls"));
	keys_make(&k, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 2, 0);
	ASSERT_OK(keys_install(self->srv, TLS_TX, &k));
	keys_make(&k, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 1, 0);
	ASSERT_OK(keys_install(self->srv, TLS_RX, &k));
	ASSERT_EQ(send(self->srv, "later", 5, 0), 5);
	/* What the daemon read past Finished comes first. */
	ASSERT_EQ(recv(self->cli, got, 5, MSG_WAITALL), 5);
	EXPECT_MEMEQ(got, "early", 5);
	ASSERT_EQ(recv(self->cli, got, 5, MSG_WAITALL), 5);
	EXPECT_MEMEQ(got, "later", 5);
	ASSERT_EQ(send(self->cli, "reply", 5, 0), 5);
	ASSERT_EQ(recv(self->srv, got, 5, MSG_WAITALL), 5);
	EXPECT_MEMEQ(got, "reply", 5);
}

TEST_F(up, nonblocking_is_einprogress_then_writable)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	struct pollfd p = { self->cli, POLLOUT | POLLIN, 0 };
	char c;

	START_DAEMON(ACT_STATUS, EPROTO);
	ASSERT_OK(fcntl(self->cli, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(hs_start(self->cli, &r), EINPROGRESS);
	EXPECT_EQ(hs_get(self->cli).state, TLSO_HS_PENDING);
	EXPECT_ERRNO(hs_start(self->cli, &r), EALREADY);
	/* The application waits: nothing to read or write yet. */
	EXPECT_EQ(poll(&p, 1, 300), 0);
	EXPECT_ERRNO(send(self->cli, "x", 1, 0), EAGAIN);
	EXPECT_ERRNO(recv(self->cli, &c, 1, 0), EAGAIN);
	let_daemon_end(self);
	EXPECT_EQ(poll(&p, 1, 10000), 1);
	EXPECT_TRUE(p.revents & POLLOUT);
	EXPECT_EQ(daemon_exit(self), 0);
	EXPECT_EQ(hs_get(self->cli).state, TLSO_HS_FAILED);
	EXPECT_EQ(hs_get(self->cli).status, EPROTO);
}

struct writer {
	int fd;
	ssize_t ret;
	int err;
};

static void *write_during(void *arg)
{
	struct writer *w = arg;

	w->ret = send(w->fd, "app", 3, 0);
	w->err = errno;
	return NULL;
}

/* A blocking write during the handshake waits for its end. */
TEST_F(up, write_during_handshake_waits)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	struct writer w = { self->cli, 0, 0 };
	pthread_t t;
	char c;

	START_DAEMON(ACT_STATUS, EACCES);
	ASSERT_OK(fcntl(self->cli, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(hs_start(self->cli, &r), EINPROGRESS);
	ASSERT_OK(fcntl(self->cli, F_SETFL, 0));
	ASSERT_EQ(pthread_create(&t, NULL, write_during, &w), 0);
	usleep(300 * 1000);
	/* Nothing of the application's reached the wire. */
	EXPECT_ERRNO(recv(self->srv, &c, 1, MSG_DONTWAIT), EAGAIN);
	let_daemon_end(self);
	pthread_join(t, NULL);
	EXPECT_EQ(w.ret, -1);
	EXPECT_EQ(w.err, EACCES);
	EXPECT_EQ(daemon_exit(self), 0);
	EXPECT_ERRNO(recv(self->srv, &c, 1, MSG_DONTWAIT), EAGAIN);
}

TEST_F(up, accept_with_nothing_queued_is_eagain)
{
	struct upcall u;

	ASSERT_OK(upcall_open(&u, 0));
	EXPECT_EQ(upcall_accept(&u), -EAGAIN);
	EXPECT_NE(upcall_done(&u, 12345, self->cli, 0, NULL, NULL, 0), 0);
	upcall_close(&u);
}

/*
 * A session as tlsod leaves it: the stand-in installs keys, the peer (in
 * tree kTLS) gets the other ends.  The early data is read off first.
 */
static int daemon_session(struct _th_data_up *self)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	union keys_info k;
	char got[8];

	start_daemon(self, ACT_KEYS, 0);
	if (hs_start(self->cli, &r) || daemon_exit(self))
		return -1;
	if (recv(self->srv, got, 2, MSG_WAITALL) != 2 ||
	    kmod_modprobe("tls") || sock_attach(self->srv, "tls"))
		return -1;
	keys_make(&k, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 2, 0);
	if (keys_install(self->srv, TLS_TX, &k))
		return -1;
	keys_make(&k, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 1, 0);
	if (keys_install(self->srv, TLS_RX, &k))
		return -1;
	return recv(self->cli, got, 5, MSG_WAITALL) == 5 ? 0 : -1;
}

TEST_F(up, session_tickets_are_not_for_the_application)
{
	/* Two NewSessionTicket messages, as OpenSSL sends them. */
	const uint8_t nst[] = { 4, 0, 0, 5, 0, 0, 0, 1, 0 };
	struct tlso_info info;
	char got[16];

	ASSERT_OK(daemon_session(self));
	ASSERT_EQ(wire_send_type(self->srv, nst, sizeof(nst), 22, 0),
		  (ssize_t)sizeof(nst));
	ASSERT_EQ(wire_send_type(self->srv, nst, sizeof(nst), 22, 0),
		  (ssize_t)sizeof(nst));
	ASSERT_EQ(send(self->srv, "data", 4, 0), 4);
	ASSERT_EQ(recv(self->cli, got, sizeof(got), 0), 4);
	EXPECT_MEMEQ(got, "data", 4);
	/* Decrypted, if not for the application; the early data the
	 * daemon handed over was not decrypted here. */
	ASSERT_OK(sock_tlso_info(self->cli, &info));
	EXPECT_EQ(info.rx_records, 3);
	EXPECT_EQ(info.rx_bytes, 2 * sizeof(nst) + 4);
}

TEST_F(up, close_notify_reads_as_end_of_file)
{
	char got[16];

	ASSERT_OK(daemon_session(self));
	ASSERT_EQ(send(self->srv, "last", 4, 0), 4);
	ASSERT_EQ(wire_send_type(self->srv, "\x01\x00", 2, 21, 0), 2);
	ASSERT_EQ(recv(self->cli, got, sizeof(got), 0), 4);
	EXPECT_EQ(recv(self->cli, got, sizeof(got), 0), 0);
	EXPECT_EQ(recv(self->cli, got, sizeof(got), 0), 0);
}

TEST_F(up, fatal_alert_reads_as_an_error)
{
	char got[16];

	ASSERT_OK(daemon_session(self));
	/* fatal, internal_error */
	ASSERT_EQ(wire_send_type(self->srv, "\x02\x50", 2, 21, 0), 2);
	EXPECT_ERRNO(recv(self->cli, got, sizeof(got), 0), ECONNRESET);
}

TEST_F(up, key_update_is_a_defined_error)
{
	const uint8_t ku[] = { 24, 0, 0, 1, 0 };
	char got[16];

	ASSERT_OK(daemon_session(self));
	ASSERT_EQ(wire_send_type(self->srv, ku, sizeof(ku), 22, 0),
		  (ssize_t)sizeof(ku));
	EXPECT_ERRNO(recv(self->cli, got, sizeof(got), 0), EKEYEXPIRED);
	EXPECT_ERRNO(recv(self->cli, got, sizeof(got), 0), EKEYEXPIRED);
}

TEST_F(up, shutdown_and_close_send_close_notify)
{
	uint8_t type = 0, got[16];
	struct tlso_info info;

	ASSERT_OK(daemon_session(self));
	ASSERT_EQ(send(self->cli, "bye", 3, 0), 3);
	ASSERT_OK(shutdown(self->cli, SHUT_WR));
	ASSERT_EQ(wire_recv_type(self->srv, got, sizeof(got), &type, 0), 3);
	EXPECT_EQ(type, 23);
	ASSERT_EQ(wire_recv_type(self->srv, got, sizeof(got), &type, 0), 2);
	EXPECT_EQ(type, 21);
	EXPECT_MEMEQ(got, "\x01\x00", 2);
	/* tlso's own close_notify counts as a record it sent. */
	ASSERT_OK(sock_tlso_info(self->cli, &info));
	EXPECT_EQ(info.tx_records, 2);
	EXPECT_EQ(info.tx_bytes, 3 + 2);
	/* Only once, not again at close. */
	close(self->cli);
	self->cli = -1;
	EXPECT_EQ(wire_recv_type(self->srv, got, sizeof(got), &type, 0), 0);
}

TEST_F(up, close_sends_close_notify)
{
	uint8_t type = 0, got[16];

	ASSERT_OK(daemon_session(self));
	close(self->cli);
	self->cli = -1;
	ASSERT_EQ(wire_recv_type(self->srv, got, sizeof(got), &type, 0), 2);
	EXPECT_EQ(type, 21);
	EXPECT_MEMEQ(got, "\x01\x00", 2);
}

/* ---- limits, who may be the daemon, what it is told ---- */

/* The uid and gid tests run unprivileged parts as. */
#define TEST_UID	1000
#define TEST_GID	1000

/* A connected pair with tlso on *cli, which is non-blocking. */
static int tlso_pair(int *cli, int *srv)
{
	if (sock_pair(AF_INET, cli, srv))
		return -1;
	if (sock_attach(*cli, "tlso") || fcntl(*cli, F_SETFL, O_NONBLOCK)) {
		close(*cli);
		close(*srv);
		return -1;
	}
	return 0;
}

static void close_pair(int *cli, int *srv)
{
	if (*cli >= 0)
		close(*cli);
	if (*srv >= 0)
		close(*srv);
	*cli = *srv = -1;
}

/* Drop to TEST_UID/TEST_GID, and with it every capability. */
static int become_user(void)
{
	if (setgroups(0, NULL) || setresgid(TEST_GID, TEST_GID, TEST_GID) ||
	    setresuid(TEST_UID, TEST_UID, TEST_UID))
		return -1;
	return 0;
}

/*
 * TLSO_HANDSHAKE on fd from a child running as TEST_UID: the errno it
 * got (EINPROGRESS when queued), or 100 + a step that failed.
 */
static int hs_start_as_user(int fd)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (become_user())
			_exit(101);
		_exit(hs_start(fd, &r) ? errno : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 102;
	return WEXITSTATUS(status);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	/* opendir's own */
	return n - 1;
}

static int same_file(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) || fstat(b, &sb))
		return 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Read everything queued on a netlink socket, an overrun included. */
static void nl_drain(int fd)
{
	char buf[8192];

	for (;;) {
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
			continue;
		if (errno != ENOBUFS && errno != EINTR)
			return;
	}
}

TEST_F(up, timeout_is_clamped_for_the_daemon)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0xffffffff);
	int cli2 = -1, srv2 = -1;
	struct upcall u;

	ASSERT_OK(upcall_open(&u, 1));
	ASSERT_OK(fcntl(self->cli, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(hs_start(self->cli, &r), EINPROGRESS);
	ASSERT_EQ(upcall_accept(&u), 0);
	EXPECT_EQ(u.timeout, TLSO_HANDSHAKE_TIMEOUT_MAX_MS);
	EXPECT_EQ(upcall_done(&u, u.id, u.fd, EPROTO, NULL, NULL, 0), 0);
	close(u.fd);
	/* Within the bound, and 0 (tlsod's default), as asked. */
	ASSERT_OK(tlso_pair(&cli2, &srv2));
	r = req(TLSO_ROLE_CLIENT, TLSO_HANDSHAKE_TIMEOUT_MAX_MS);
	EXPECT_ERRNO(hs_start(cli2, &r), EINPROGRESS);
	ASSERT_EQ(upcall_accept(&u), 0);
	EXPECT_EQ(u.timeout, TLSO_HANDSHAKE_TIMEOUT_MAX_MS);
	EXPECT_EQ(upcall_done(&u, u.id, u.fd, EPROTO, NULL, NULL, 0), 0);
	close(u.fd);
	close_pair(&cli2, &srv2);
	ASSERT_OK(tlso_pair(&cli2, &srv2));
	r = req(TLSO_ROLE_CLIENT, 0);
	EXPECT_ERRNO(hs_start(cli2, &r), EINPROGRESS);
	ASSERT_EQ(upcall_accept(&u), 0);
	EXPECT_EQ(u.timeout, 0);
	EXPECT_EQ(upcall_done(&u, u.id, u.fd, EPROTO, NULL, NULL, 0), 0);
	close(u.fd);
	close_pair(&cli2, &srv2);
	upcall_close(&u);
}

#define CAP_N	3

TEST_F(up, caps_are_module_parameters_of_at_least_one)
{
	EXPECT_EQ(kmod_param_get("max_pending"), TLSO_PENDING_MAX);
	EXPECT_EQ(kmod_param_get("max_pending_per_user"), TLSO_PENDING_USER_MAX);
	EXPECT_EQ(kmod_param_set("max_pending", 0), -EINVAL);
	EXPECT_EQ(kmod_param_set("max_pending_per_user", 0), -EINVAL);
	EXPECT_EQ(kmod_param_get("max_pending"), TLSO_PENDING_MAX);
	EXPECT_EQ(kmod_param_set("max_pending_per_user", 1), 0);
	EXPECT_EQ(kmod_param_get("max_pending_per_user"), 1);
}

/* The N+1th request of one user is EAGAIN; another user still gets in. */
TEST_F(up, user_past_its_cap_is_eagain)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	int cli[CAP_N + 2], srv[CAP_N + 2];
	struct upcall u;
	int i;

	for (i = 0; i < CAP_N + 2; i++)
		ASSERT_OK(tlso_pair(&cli[i], &srv[i]));
	ASSERT_OK(upcall_open(&u, 1));
	ASSERT_EQ(kmod_param_set("max_pending_per_user", CAP_N), 0);
	for (i = 0; i < CAP_N; i++)
		EXPECT_ERRNO(hs_start(cli[i], &r), EINPROGRESS);
	EXPECT_ERRNO(hs_start(cli[CAP_N], &r), EAGAIN);
	EXPECT_EQ(hs_get(cli[CAP_N]).state, TLSO_HS_NONE);
	/* Someone else is not held up by root's requests. */
	EXPECT_EQ(hs_start_as_user(cli[CAP_N + 1]), EINPROGRESS);
	/* A request that ends frees its place. */
	close_pair(&cli[0], &srv[0]);
	EXPECT_ERRNO(hs_start(cli[CAP_N], &r), EINPROGRESS);
	for (i = 0; i < CAP_N + 2; i++)
		close_pair(&cli[i], &srv[i]);
	upcall_close(&u);
}

/*
 * A daemon too busy to read: its socket's queue is full of READYs.  With
 * NETLINK_BROADCAST_ERROR set, as tlso.h asks, every request still waits
 * for it (without, netlink would say ESRCH, as for no daemon at all); it
 * hears of the overrun (ENOBUFS on its socket) and takes them all, from
 * another socket, as tlsod's workers do: a full queue has no room for
 * ACCEPT's reply either.
 */
#define FULL_N	12

TEST_F(up, daemon_with_a_full_queue_still_gets_requests)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	int cli[FULL_N], srv[FULL_N];
	int small = 1, on = 1, i, nl;
	struct upcall u, w;
	char buf[256];

	ASSERT_OK(upcall_open(&u, 1));
	ASSERT_OK(upcall_open(&w, 0));
	nl = nl_socket_get_fd(u.sk);
	ASSERT_OK(setsockopt(nl, SOL_SOCKET, SO_RCVBUF, &small,
			     sizeof(small)));
	ASSERT_OK(setsockopt(nl, SOL_NETLINK, NETLINK_BROADCAST_ERROR, &on,
			     sizeof(on)));
	for (i = 0; i < FULL_N; i++) {
		ASSERT_OK(tlso_pair(&cli[i], &srv[i]));
		EXPECT_ERRNO(hs_start(cli[i], &r), EINPROGRESS);
	}
	/* The queue did overflow, or this test tells nothing. */
	EXPECT_ERRNO(recv(nl, buf, sizeof(buf), MSG_DONTWAIT), ENOBUFS);
	for (i = 0; i < FULL_N; i++) {
		ASSERT_EQ(upcall_accept(&w), 0);
		EXPECT_EQ(upcall_done(&w, w.id, w.fd, EPROTO, NULL, NULL, 0),
			  0);
		close(w.fd);
	}
	EXPECT_EQ(upcall_accept(&w), -EAGAIN);
	for (i = 0; i < FULL_N; i++) {
		EXPECT_EQ(hs_get(cli[i]).state, TLSO_HS_FAILED);
		close_pair(&cli[i], &srv[i]);
	}
	upcall_close(&w);
	upcall_close(&u);
}

/* The M+1th request of a namespace is EBUSY, whoever asks. */
TEST_F(up, namespace_past_its_cap_is_ebusy)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	int cli[CAP_N + 2], srv[CAP_N + 2];
	struct upcall u;
	int i;

	for (i = 0; i < CAP_N + 2; i++)
		ASSERT_OK(tlso_pair(&cli[i], &srv[i]));
	ASSERT_OK(upcall_open(&u, 1));
	ASSERT_EQ(kmod_param_set("max_pending", CAP_N), 0);
	for (i = 0; i < CAP_N; i++)
		EXPECT_ERRNO(hs_start(cli[i], &r), EINPROGRESS);
	EXPECT_ERRNO(hs_start(cli[CAP_N], &r), EBUSY);
	EXPECT_EQ(hs_start_as_user(cli[CAP_N + 1]), EBUSY);
	/* Taken by tlsod counts too, until it ends. */
	ASSERT_EQ(upcall_accept(&u), 0);
	EXPECT_ERRNO(hs_start(cli[CAP_N], &r), EBUSY);
	EXPECT_EQ(upcall_done(&u, u.id, u.fd, EPROTO, NULL, NULL, 0), 0);
	close(u.fd);
	EXPECT_ERRNO(hs_start(cli[CAP_N], &r), EINPROGRESS);
	for (i = 0; i < CAP_N + 2; i++)
		close_pair(&cli[i], &srv[i]);
	upcall_close(&u);
}

/*
 * The application's close of a socket whose request is queued ends the
 * request there and then: the socket leaves tlso at once, and the module
 * can be unloaded.
 */
TEST_F(up, close_ends_a_queued_request)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	int cli2 = -1, srv2 = -1;
	struct upcall u;
	long before;

	ASSERT_OK(upcall_open(&u, 1));
	ASSERT_OK(fcntl(self->cli, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(hs_start(self->cli, &r), EINPROGRESS);
	before = kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED);
	ASSERT_GE(before, 1);
	close(self->cli);
	self->cli = -1;
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED), before - 1);
	/* Its place is free: a cap of 1 lets the next one in. */
	ASSERT_EQ(kmod_param_set("max_pending", 1), 0);
	ASSERT_OK(tlso_pair(&cli2, &srv2));
	EXPECT_ERRNO(hs_start(cli2, &r), EINPROGRESS);
	/* Nothing is left for tlsod but the new one. */
	ASSERT_EQ(upcall_accept(&u), 0);
	EXPECT_TRUE(same_file(u.fd, cli2));
	EXPECT_EQ(upcall_done(&u, u.id, u.fd, EPROTO, NULL, NULL, 0), 0);
	close(u.fd);
	EXPECT_EQ(upcall_accept(&u), -EAGAIN);
	close_pair(&cli2, &srv2);
	close(self->srv);
	self->srv = -1;
	upcall_close(&u);
	EXPECT_EQ(kmod_unload_wait("tlso", 10000), 0);
}

/*
 * A timeout's work takes the socket lock to end its request, and close()
 * ends a queued request under that lock: it must not wait for the work.
 * Both in one case, so that the debug kernel's lockdep sees the two even
 * when this case runs alone.  (It once reported a circular dependency
 * here: close() waited for the timeout work with the socket locked.)
 */
TEST_F_TIMEOUT(up, close_after_a_timeout_does_not_wait_for_it, 60)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 100);
	struct tlso_handshake_req q = req(TLSO_ROLE_CLIENT, 0);
	int cli2 = -1, srv2 = -1;
	struct upcall u;
	long before;

	START_DAEMON(ACT_SIT, 0);
	EXPECT_ERRNO(hs_start(self->cli, &r), ETIMEDOUT);
	let_daemon_end(self);
	EXPECT_EQ(daemon_exit(self), 0);

	ASSERT_OK(upcall_open(&u, 1));
	ASSERT_OK(tlso_pair(&cli2, &srv2));
	EXPECT_ERRNO(hs_start(cli2, &q), EINPROGRESS);
	before = kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED);
	ASSERT_GE(before, 1);
	close(cli2);
	cli2 = -1;
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED), before - 1);
	EXPECT_EQ(upcall_accept(&u), -EAGAIN);
	close_pair(&cli2, &srv2);
	upcall_close(&u);
}

/*
 * Once tlsod has taken it, tlsod's descriptor keeps the socket open: the
 * application's close does not end the handshake, tlsod's close does.
 */
TEST_F(up, close_after_accept_waits_for_the_daemon)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	struct upcall u;
	long before;

	ASSERT_OK(upcall_open(&u, 1));
	ASSERT_OK(fcntl(self->cli, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(hs_start(self->cli, &r), EINPROGRESS);
	ASSERT_EQ(upcall_accept(&u), 0);
	before = kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED);
	close(self->cli);
	self->cli = -1;
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED), before);
	EXPECT_EQ(hs_get(u.fd).state, TLSO_HS_PENDING);
	EXPECT_EQ(upcall_done(&u, u.id, u.fd, EPROTO, NULL, NULL, 0), 0);
	close(u.fd);
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED), before - 1);
	upcall_close(&u);
}

/*
 * Requests belong to their socket's network namespace: a daemon in
 * another sees none of them, and does not count as listening here.
 */
TEST_F(up, namespaces_do_not_share_requests)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	int cli2 = -1, srv2 = -1;
	int res[2], go[2];
	struct upcall u;
	int status = -1;
	pid_t pid;
	char c;

	ASSERT_OK(upcall_open(&u, 1));
	ASSERT_OK(fcntl(self->cli, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(hs_start(self->cli, &r), EINPROGRESS);
	ASSERT_OK(pipe(res));
	ASSERT_OK(pipe(go));
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		struct upcall v;

		close(res[0]);
		close(go[1]);
		/* The parent's listener is not this daemon's. */
		close(nl_socket_get_fd(u.sk));
		if (unshare(CLONE_NEWNET))
			c = 1;
		else if (upcall_open(&v, 1))
			c = 2;
		else
			c = upcall_accept(&v) == -EAGAIN ? 0 : 3;
		if (write(res[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	ASSERT_GT(pid, 0);
	close(res[1]);
	close(go[0]);
	ASSERT_EQ(read(res[0], &c, 1), 1);
	EXPECT_EQ(c, 0);
	/* Only the other namespace's daemon is left. */
	upcall_close(&u);
	ASSERT_OK(tlso_pair(&cli2, &srv2));
	EXPECT_ERRNO(hs_start(cli2, &r), ESRCH);
	close(go[1]);
	close(res[0]);
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_EQ(status, 0);
	close_pair(&cli2, &srv2);
}

/*
 * Without CAP_NET_ADMIN a process can neither join the group (and make
 * the module believe a daemon runs) nor take or end requests.
 */
TEST_F(up, unprivileged_cannot_be_the_daemon)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	int res[2], go[2];
	struct upcall u;
	int status = -1;
	int8_t got[3];
	pid_t pid;
	char c;

	ASSERT_OK(pipe(res));
	ASSERT_OK(pipe(go));
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		struct upcall v;
		int8_t out[3] = { -1, -1, -1 };

		close(res[0]);
		close(go[1]);
		if (!become_user() && !upcall_open(&v, 0)) {
			out[0] = -upcall_join(&v);
			out[1] = -upcall_accept(&v);
			out[2] = -upcall_done(&v, 1, 0, 0, NULL, NULL, 0);
		}
		/* Stays, socket and all, while the parent asks. */
		if (write(res[1], out, 3) != 3 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	ASSERT_GT(pid, 0);
	close(res[1]);
	close(go[0]);
	ASSERT_EQ(read(res[0], got, 3), 3);
	EXPECT_EQ(got[0], EPERM);
	EXPECT_EQ(got[1], EPERM);
	EXPECT_EQ(got[2], EPERM);
	ASSERT_OK(fcntl(self->cli, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(hs_start(self->cli, &r), ESRCH);
	close(go[1]);
	close(res[0]);
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_EQ(status, 0);
	/* Root can, of course. */
	ASSERT_OK(upcall_open(&u, 1));
	EXPECT_ERRNO(hs_start(self->cli, &r), EINPROGRESS);
	upcall_close(&u);
}

/*
 * DONE's status is 0 or an errno the application may see; a kernel code
 * (512 and up), an unknown peer_auth or a record_size_limit outside RFC
 * 8449's bounds is refused (ERANGE), as are the attributes only the
 * kernel sends (EINVAL); the request stays.
 */
TEST_F(up, done_out_of_range_is_refused)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	struct tlso_handshake_status st;
	struct upcall u;

	ASSERT_OK(upcall_open(&u, 1));
	ASSERT_OK(fcntl(self->cli, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(hs_start(self->cli, &r), EINPROGRESS);
	ASSERT_EQ(upcall_accept(&u), 0);
	EXPECT_EQ(upcall_done(&u, u.id, u.fd, TLSO_DONE_STATUS_MAX + 1, NULL,
			      NULL, 0), -ERANGE);
	EXPECT_EQ(upcall_done(&u, u.id, u.fd, 0xffffffff, NULL, NULL, 0),
		  -ERANGE);
	EXPECT_EQ(upcall_done_auth(&u, u.id, u.fd, 0, TLSO_AUTH_PSK + 1,
				   NULL, NULL, 0), -ERANGE);
	EXPECT_EQ(upcall_done_u32(&u, u.id, u.fd, TLSO_A_RECORD_SIZE_LIMIT,
				  TLSO_RECORD_SIZE_LIMIT_MIN - 1), -ERANGE);
	EXPECT_EQ(upcall_done_u32(&u, u.id, u.fd, TLSO_A_RECORD_SIZE_LIMIT,
				  TLSO_RECORD_SIZE_LIMIT_MAX + 1), -ERANGE);
	EXPECT_EQ(upcall_done_u32(&u, u.id, u.fd, TLSO_A_TICKET, 0), -EINVAL);
	EXPECT_EQ(upcall_done_u32(&u, u.id, u.fd, TLSO_A_QUEUED_US, 0),
		  -EINVAL);
	EXPECT_EQ(hs_get(self->cli).state, TLSO_HS_PENDING);
	EXPECT_EQ(upcall_done(&u, u.id, u.fd, EPROTO, NULL, NULL, 0), 0);
	st = hs_get(self->cli);
	EXPECT_EQ(st.state, TLSO_HS_FAILED);
	EXPECT_EQ(st.status, EPROTO);
	close(u.fd);
	upcall_close(&u);
}

/*
 * ACCEPT's descriptor appears in the daemon's table only with its reply:
 * when the reply cannot be delivered (the daemon's receive queue is
 * full), nothing is installed and the request waits for the next ACCEPT.
 */
TEST_F(up, accept_installs_the_fd_only_with_its_reply)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	struct upcall u, d;
	int one = 1, big = 256 * 1024;
	int i, nfd, before;

	ASSERT_OK(upcall_open(&u, 1));
	ASSERT_OK(upcall_open(&d, 0));
	ASSERT_OK(fcntl(self->cli, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(hs_start(self->cli, &r), EINPROGRESS);
	nfd = nl_socket_get_fd(d.sk);
	/* The smallest receive queue, filled with replies nobody reads. */
	ASSERT_OK(setsockopt(nfd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one)));
	for (i = 0; i < 16; i++) {
		struct nl_msg *m = nlmsg_alloc();

		ASSERT_TRUE(m != NULL);
		genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0, 0,
			    CTRL_CMD_GETFAMILY, 1);
		nla_put_string(m, CTRL_ATTR_FAMILY_NAME, TLSO_GENL_NAME);
		ASSERT_GE(nl_send_auto(d.sk, m), 0);
		nlmsg_free(m);
	}
	before = count_fds();
	ASSERT_EQ(upcall_send_accept(&d), 0);
	EXPECT_EQ(count_fds(), before);
	/* Room again: the request is still there, and comes with its fd. */
	nl_drain(nfd);
	ASSERT_OK(setsockopt(nfd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)));
	ASSERT_EQ(upcall_accept(&d), 0);
	EXPECT_EQ(count_fds(), before + 1);
	EXPECT_TRUE(same_file(d.fd, self->cli));
	EXPECT_EQ(upcall_done(&d, d.id, d.fd, EPROTO, NULL, NULL, 0), 0);
	EXPECT_EQ(hs_get(self->cli).status, EPROTO);
	close(d.fd);
	upcall_close(&d);
	upcall_close(&u);
}

/* ACCEPT tells the daemon who asked: the requester and the socket's owner. */
TEST_F(up, accept_tells_who_asked)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	int res[2], go[2];
	struct upcall u;
	int status = -1;
	pid_t pid;
	char c;

	ASSERT_OK(upcall_open(&u, 1));
	ASSERT_OK(fcntl(self->cli, F_SETFL, O_NONBLOCK));
	ASSERT_OK(pipe(res));
	ASSERT_OK(pipe(go));
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(res[0]);
		close(go[1]);
		/* root made the socket; TEST_UID asks, and stays meanwhile */
		c = become_user() ? 1 : hs_start(self->cli, &r) == -1 &&
					errno == EINPROGRESS ? 0 : 2;
		if (write(res[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	ASSERT_GT(pid, 0);
	close(res[1]);
	close(go[0]);
	ASSERT_EQ(read(res[0], &c, 1), 1);
	EXPECT_EQ(c, 0);
	ASSERT_EQ(upcall_accept(&u), 0);
	EXPECT_TRUE(u.have_creds);
	EXPECT_EQ(u.uid, TEST_UID);
	EXPECT_EQ(u.gid, TEST_GID);
	EXPECT_EQ(u.pid, (uint32_t)pid);
	EXPECT_EQ(u.sock_uid, 0);
	EXPECT_EQ(upcall_done(&u, u.id, u.fd, EPROTO, NULL, NULL, 0), 0);
	close(u.fd);
	close(go[1]);
	close(res[0]);
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_EQ(status, 0);
	upcall_close(&u);
}

/* What a daemon in its own pid namespace is told, in one child. */
struct seen {
	int err;
	uint32_t uid, gid, pid, sock_uid;
	pid_t self;
};

static void accept_in_child(int fd)
{
	struct seen s = { 0 };
	struct upcall v;

	s.self = getpid();
	if (upcall_open(&v, 0)) {
		s.err = 100;
	} else {
		s.err = -upcall_accept(&v);
		s.uid = v.uid;
		s.gid = v.gid;
		s.pid = v.pid;
		s.sock_uid = v.sock_uid;
		if (!s.err &&
		    upcall_done(&v, v.id, v.fd, EPROTO, NULL, NULL, 0))
			s.err = 101;
	}
	_exit(write(fd, &s, sizeof(s)) == sizeof(s) ? 0 : 1);
}

/*
 * A container: its own user namespace (root inside is TEST_UID outside)
 * and network namespace, with its own tlsod.  Its root is the daemon
 * there, and sees ids as the container names them: the socket made
 * before the switch to the container's root is owned by a uid that does
 * not map (the overflow uid).
 */
static void container_main(int go_fd, int res_fd)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	struct seen s = { 0 };
	struct upcall v;
	int cli, srv;
	char c;

	s.self = getpid();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
		s.err = 110;
	/* The parent writes the id maps. */
	else if (write(res_fd, &s, sizeof(s)) != sizeof(s) ||
		 read(go_fd, &c, 1) != 1)
		s.err = 111;
	else if (sock_lo_up() || tlso_pair(&cli, &srv))
		s.err = 112;
	else if (setresgid(0, 0, 0) || setresuid(0, 0, 0))
		s.err = 113;
	else if (upcall_open(&v, 1))
		s.err = 114;
	else if (hs_start(cli, &r) == 0 || errno != EINPROGRESS)
		s.err = 115;
	else
		s.err = -upcall_accept(&v);
	if (!s.err) {
		s.uid = v.uid;
		s.gid = v.gid;
		s.pid = v.pid;
		s.sock_uid = v.sock_uid;
		if (upcall_done(&v, v.id, v.fd, EPROTO, NULL, NULL, 0))
			s.err = 116;
	}
	_exit(write(res_fd, &s, sizeof(s)) == sizeof(s) ? 0 : 1);
}

/*
 * ACCEPT maps who asked into the caller's namespaces: a daemon that
 * cannot see the requester's process gets pid 0, and a container's own
 * daemon gets the container's ids (its CAP_NET_ADMIN there is enough).
 */
TEST_F(up, accept_maps_who_asked_into_the_daemons_namespaces)
{
	struct tlso_handshake_req r = req(TLSO_ROLE_CLIENT, 0);
	int res[2], go[2];
	struct upcall u;
	struct seen s;
	int status = -1;
	char path[64], map[32];
	pid_t pid;

	/* A daemon in a pid namespace of its own. */
	ASSERT_OK(upcall_open(&u, 1));
	ASSERT_OK(fcntl(self->cli, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(hs_start(self->cli, &r), EINPROGRESS);
	ASSERT_OK(pipe(res));
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		pid_t inner;

		close(res[0]);
		if (unshare(CLONE_NEWPID))
			_exit(2);
		inner = fork();
		if (inner == 0)
			accept_in_child(res[1]);
		_exit(inner > 0 && waitpid(inner, &status, 0) == inner &&
		      status == 0 ? 0 : 3);
	}
	ASSERT_GT(pid, 0);
	close(res[1]);
	ASSERT_EQ(read(res[0], &s, sizeof(s)), (ssize_t)sizeof(s));
	close(res[0]);
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_EQ(status, 0);
	EXPECT_EQ(s.self, 1);
	EXPECT_EQ(s.err, 0);
	EXPECT_EQ(s.pid, 0);
	EXPECT_EQ(s.uid, 0);
	EXPECT_EQ(s.sock_uid, 0);
	EXPECT_EQ(hs_get(self->cli).status, EPROTO);
	upcall_close(&u);

	/* A container with its own daemon. */
	ASSERT_OK(pipe(res));
	ASSERT_OK(pipe(go));
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(res[0]);
		close(go[1]);
		container_main(go[0], res[1]);
	}
	ASSERT_GT(pid, 0);
	close(res[1]);
	close(go[0]);
	ASSERT_EQ(read(res[0], &s, sizeof(s)), (ssize_t)sizeof(s));
	ASSERT_EQ(s.err, 0);
	snprintf(map, sizeof(map), "0 %d 1", TEST_UID);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	EXPECT_OK(kmod_write_file(path, map));
	snprintf(map, sizeof(map), "0 %d 1", TEST_GID);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
	EXPECT_OK(kmod_write_file(path, map));
	ASSERT_EQ(write(go[1], "g", 1), 1);
	ASSERT_EQ(read(res[0], &s, sizeof(s)), (ssize_t)sizeof(s));
	close(res[0]);
	close(go[1]);
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_EQ(status, 0);
	EXPECT_EQ(s.err, 0);
	EXPECT_EQ(s.uid, 0);
	EXPECT_EQ(s.gid, 0);
	EXPECT_EQ(s.pid, (uint32_t)pid);
	EXPECT_EQ(s.sock_uid, 65534);
}

TEST_HARNESS_MAIN
