// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: the kernel side of the handshake upcall, with a stand-in
 * for tlsod (upcall.h) that takes a request and ends it as each test
 * needs: every outcome the application can see, the gate on its reads
 * and writes while the handshake runs, and the daemon going away.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
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
		if (upcall_done(&u, u.id, u.fd, 0, "CN=peer.example.test",
				"early", 5))
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
	EXPECT_EQ(upcall_accept(&u), -NLE_AGAIN);
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

TEST_HARNESS_MAIN
