// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: tlsod, the handshake daemon, end to end (tlsod_env.h says
 * how a case goes and what every teardown checks), the fault group:
 * no daemon, the daemon killed or stopped mid-handshake, a stuck worker,
 * a silent peer, garbage, a peer that closes, the application closing or
 * writing mid-handshake, SIGHUP, fifty handshakes at once.
 */
#include <pthread.h>

#include "tlsod_env.h"

TENV_FIXTURE(fault)

/* A peer that accepts and never answers: the test holds its end. */
struct silent {
	int lfd, port;
};

static int silent_conn(struct tenv *e, struct silent *s, int *peer)
{
	int fd;

	if (!s->lfd)
		s->lfd = tenv_listen(e, &s->port);
	fd = tenv_tlso_client(e, s->port);
	*peer = tenv_accept(e, s->lfd, 5000);
	ASSERT_GE(*peer, 0);
	return fd;
}

/* Whether the peer's end sees the connection go (EOF or reset) within ms. */
static bool peer_sees_end(int peer, int ms)
{
	double end = tenv_now() + ms / 1000.0;
	char buf[4096];

	for (;;) {
		ssize_t n = tenv_recv_wait(peer, buf, sizeof(buf), 200);

		if (n == 0 || (n < 0 && n != -2 && errno != EAGAIN))
			return true;
		if (tenv_now() > end)
			return false;
	}
}

/* A GnuTLS peer that pings and pongs; the pid to wait for. */
static pid_t ping_peer(struct tenv *e, int lfd, int nconn, int gate)
{
	struct gpeer g = {
		.prio = tver_tls13.prio, .nconn = nconn, .gate = gate,
		.expect = "ping\n", .reply = "pong\n", .end = GPEER_WAIT_EOF,
	};

	return gpeer_start(e, &g, lfd);
}

/*
 * A gate for a gpeer: the read end, for struct gpeer; *release gets the
 * write end, one byte of which lets one connection's handshake go on.
 */
static int make_gate(struct tenv *e, int *release)
{
	int p[2];

	ASSERT_OK(pipe2(p, O_CLOEXEC));
	tenv_track(e, p[0]);
	*release = tenv_track(e, p[1]);
	return p[0];
}

static void open_gate(int release, int n)
{
	while (n-- > 0)
		ASSERT_EQ(write(release, "g", 1), 1);
}

static void ping_pong(int fd)
{
	ASSERT_OK(tlso_write_all(fd, "ping\n", 5));
	EXPECT_READ(fd, "pong\n");
}

/* A handshake that works, to show the daemon still serves. */
static void still_serves(struct tenv *e)
{
	int lfd, port, fd;
	pid_t peer;

	lfd = tenv_listen(e, &port);
	peer = ping_peer(e, lfd, 1, 0);
	fd = tenv_tlso_client(e, port);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", TENV_HS_MS));
	ping_pong(fd);
	tenv_close(e, fd);
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
}

/* Two handshakes and a ping each, one after the other. */
static void two_handshakes(struct tenv *e)
{
	int lfd, port, fd, i;
	pid_t peer;

	lfd = tenv_listen(e, &port);
	peer = ping_peer(e, lfd, 2, 0);
	for (i = 0; i < 2; i++) {
		fd = tenv_tlso_client(e, port);
		ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
				   TENV_HS_MS));
		ping_pong(fd);
		tenv_close(e, fd);
	}
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
}

/*
 * Handshakes one after another: the worker of the first serves the
 * second instead of a new process (tlsod -v logs it), then leaves once
 * idle (the teardown finds no worker left).
 */
TEST_F(fault, worker_serves_the_next_handshake)
{
	struct tenv *e = &self->e;
	off_t from = tenv_file_size(e->log);

	two_handshakes(e);
	EXPECT_TRUE(tenv_file_has(e->log, "takes another request", from));
}

/*
 * --worker-idle 0: a worker per handshake, as before workers waited for
 * more; a value that is not a number of milliseconds: exit 2.
 */
TEST_F(fault, worker_idle_zero_is_a_worker_each)
{
	static const char *const bad[] = { TENV_TLSOD, "--worker-idle",
					   "5s", NULL };
	struct tenv *e = &self->e;
	struct tproc *p;
	off_t from;

	p = tenv_spawn(e, "tlsod-bad", false, bad);
	EXPECT_EXIT(p, 2, 10000);
	EXPECT_TRUE(tenv_file_has(p->err, "--worker-idle", 0));

	EXPECT_EQ(tenv_stop_tlsod(e, 10000), 0);
	e->tlsod_opt[0] = "--worker-idle";
	e->tlsod_opt[1] = "0";
	from = tenv_file_size(e->log);
	tenv_start_tlsod(e);
	two_handshakes(e);
	EXPECT_TRUE(tenv_file_has(e->log, "started", from));
	EXPECT_FALSE(tenv_file_has(e->log, "takes another request", from));
}

/* tlsod stopped: ESRCH at once, nothing queued; later, the same socket. */
TEST_F(fault, no_daemon)
{
	struct tenv *e = &self->e;
	int lfd, port, fd;
	double t0;
	pid_t peer;

	EXPECT_EQ(tenv_stop_tlsod(e, 10000), 0);
	lfd = tenv_listen(e, &port);
	peer = ping_peer(e, lfd, 1, 0);
	fd = tenv_tlso_client(e, port);
	t0 = tenv_now();
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
			      TENV_HS_MS), ESRCH);
	EXPECT_LT(tenv_now() - t0, 1.0);
	EXPECT_EQ(hs_get(fd).state, TLSO_HS_NONE);
	tenv_set_nonblock(fd, true);
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
			      TENV_HS_MS), ESRCH);
	tenv_set_nonblock(fd, false);

	/* ESRCH left the socket as it was: a daemon that comes now serves it. */
	tenv_start_tlsod(e);
	ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", TENV_HS_MS));
	EXPECT_DONE(fd, TLS_1_3_VERSION, TLSO_AUTH_X509, TENV_ID_SERVER);
	ping_pong(fd);
	tenv_close(e, fd);
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
}

/*
 * Start a handshake to a silent peer on a non-blocking socket and return
 * the worker that took it.
 */
static pid_t start_silent(struct tenv *e, struct silent *s, int *fd,
			  int *peer, uint32_t ms)
{
	pid_t w;

	*fd = silent_conn(e, s, peer);
	ASSERT_OK(tenv_set_nonblock(*fd, true));
	ASSERT_ERRNO(hs_start(*fd, TLSO_ROLE_CLIENT, "", "localhost", ms),
		     EINPROGRESS);
	EXPECT_EQ(hs_get(*fd).state, TLSO_HS_PENDING);
	w = tenv_worker_holding(e, *fd, 10000);
	ASSERT_GT(w, 0);
	return w;
}

/* The worker of a handshake killed: ECONNABORTED, and tlsod goes on. */
TEST_F(fault, worker_killed_mid_handshake)
{
	struct tenv *e = &self->e;
	struct silent s = { 0 };
	int fd, peer;
	pid_t w;

	w = start_silent(e, &s, &fd, &peer, 20000);
	ASSERT_OK(kill(w, SIGKILL));
	EXPECT_EQ(hs_wait(fd, 10000), TLSO_HS_FAILED);
	EXPECT_FAILED(fd, ECONNABORTED);
	EXPECT_TRUE(tenv_wait_file_has(e->log, "killed by signal 9", 0, 5000));
	EXPECT_EQ(kill(e->tlsod, 0), 0);	/* tlsod itself goes on */
	still_serves(e);
}

/* The whole daemon killed (as a service manager would): ECONNABORTED. */
TEST_F(fault, daemon_killed_mid_handshake)
{
	struct tenv *e = &self->e;
	struct silent s = { 0 };
	pid_t w, pids[8];
	int i, n, fd, peer, st;

	w = start_silent(e, &s, &fd, &peer, 20000);
	n = tenv_workers(e, pids, 8);
	EXPECT_EQ(n, 1);
	ASSERT_OK(kill(e->tlsod, SIGKILL));
	for (i = 0; i < n && i < 8; i++)
		kill(pids[i], SIGKILL);
	kill(w, SIGKILL);
	st = tenv_reap_tlsod(e, 5000);
	EXPECT_TRUE(st != -1 && WIFSIGNALED(st));
	EXPECT_EQ(hs_wait(fd, 10000), TLSO_HS_FAILED);
	EXPECT_FAILED(fd, ECONNABORTED);
	/* Nobody listens any more. */
	fd = silent_conn(e, &s, &peer);
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", 1000),
		     ESRCH);
}

/*
 * SIGTERM: new requests fail at once (ESRCH), the running one goes on to
 * its own end (here its timeout), then tlsod exits 0.
 */
TEST_F(fault, sigterm_lets_running_handshake_end)
{
	struct tenv *e = &self->e;
	struct silent s = { 0 };
	int fd, fd2, peer, peer2, st;
	double t0 = tenv_now();

	start_silent(e, &s, &fd, &peer, 3000);
	ASSERT_OK(kill(e->tlsod, SIGTERM));
	EXPECT_TRUE(tenv_wait_file_has(e->log, "waiting for 1 running handshake",
				       0, 5000));
	fd2 = silent_conn(e, &s, &peer2);
	EXPECT_ERRNO(hs_start(fd2, TLSO_ROLE_CLIENT, "", "localhost", 1000),
		     ESRCH);
	EXPECT_EQ(hs_wait(fd, 15000), TLSO_HS_FAILED);
	EXPECT_FAILED(fd, ETIMEDOUT);
	TH_LOG("the running handshake ended after %.2f s", tenv_now() - t0);
	st = tenv_reap_tlsod(e, 10000);
	EXPECT_EQ(st, 0);
}

/* A second SIGTERM ends the running handshakes: ECONNABORTED. */
TEST_F(fault, second_sigterm_aborts_handshakes)
{
	struct tenv *e = &self->e;
	struct silent s = { 0 };
	int fd, fd2, peer, peer2, st;

	start_silent(e, &s, &fd, &peer, 30000);
	start_silent(e, &s, &fd2, &peer2, 30000);
	ASSERT_OK(kill(e->tlsod, SIGTERM));
	EXPECT_TRUE(tenv_wait_file_has(e->log, "waiting for 2 running handshakes",
				       0, 5000));
	ASSERT_OK(kill(e->tlsod, SIGTERM));
	EXPECT_EQ(hs_wait(fd, 10000), TLSO_HS_FAILED);
	EXPECT_EQ(hs_wait(fd2, 10000), TLSO_HS_FAILED);
	EXPECT_FAILED(fd, ECONNABORTED);
	EXPECT_FAILED(fd2, ECONNABORTED);
	st = tenv_reap_tlsod(e, 10000);
	EXPECT_EQ(st, 0);
}

/*
 * A worker that hangs (stopped): the module gives up 5 s after the
 * request's timeout, ETIMEDOUT; the worker's late DONE is refused and
 * it still ends.
 */
TEST_F(fault, stuck_worker_module_timeout)
{
	struct tenv *e = &self->e;
	struct silent s = { 0 };
	int fd, peer;
	double t0 = tenv_now(), took;
	pid_t w;

	w = start_silent(e, &s, &fd, &peer, 2500);
	ASSERT_OK(kill(w, SIGSTOP));
	/* Stopped in time, before its own timeout. */
	ASSERT_EQ(hs_get(fd).state, TLSO_HS_PENDING);
	EXPECT_EQ(hs_wait(fd, 20000), TLSO_HS_FAILED);
	took = tenv_now() - t0;
	TH_LOG("ETIMEDOUT after %.2f s", took);
	EXPECT_GE(took, 7.0);	/* 2.5 s + 5 s */
	EXPECT_LT(took, 12.0);
	EXPECT_FAILED(fd, ETIMEDOUT);
	ASSERT_OK(kill(w, SIGCONT));
	/* tlsod's handshake.c logs this when the kernel refuses its DONE. */
	if (!tenv_wait_file_has(e->log, "had already ended", 0, 10000))
		th_fail(__FILE__, __LINE__,
			"tlsod did not notice that the kernel refused its late DONE (no \"had already ended\" in its log)");
}

/* A peer that never answers: the daemon's timeout, ETIMEDOUT. */
TEST_F(fault, silent_peer_times_out)
{
	static const struct {
		const char *what, *profile;
		uint32_t ms;
		double min, max;	/* how long it may take, in s */
	} ways[] = {
		/* The request's timeout: tlsod's, not the module's 6.5 s ... */
		{ "request timeout 1500 ms", "", 1500, 1.4, 6.0 },
		/* ... or the profile's (short: timeout_ms = 1000); the
		 * module's would be 65 s. */
		{ "profile timeout 1000 ms", "short", 0, 0.9, 10.0 },
	};
	struct tenv *e = &self->e;
	struct silent s = { 0 };
	double t0, took;
	int fd, peer;
	size_t i;

	for (i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
		fd = silent_conn(e, &s, &peer);
		t0 = tenv_now();
		EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, ways[i].profile,
				      "localhost", ways[i].ms), ETIMEDOUT);
		took = tenv_now() - t0;
		TH_LOG("%s: ETIMEDOUT after %.2f s", ways[i].what, took);
		EXPECT_GE(took, ways[i].min);
		EXPECT_LT(took, ways[i].max);
		EXPECT_FAILED(fd, ETIMEDOUT);
	}
	EXPECT_TRUE(tenv_wait_file_has(e->log, "(ETIMEDOUT)", 0, 5000));
	tenv_show_outcomes(e);
}

/* Bytes that are no TLS: EPROTO (tlsod(8)), whatever role. */
TEST_F(fault, garbage_from_peer)
{
	static const char http[] = "HTTP/1.1 400 Bad Request\r\n"
				   "Content-Length: 0\r\n\r\n";
	/* A handshake record of an unknown message type. */
	static const unsigned char rec[5 + 40] = {
		0x16, 0x03, 0x03, 0x00, 0x28, 0xee, 0x00, 0x00, 0x24,
	};
	static const char get[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
	struct tenv *e = &self->e;
	unsigned char noise[4096];
	struct silent s = { 0 };
	const struct {
		const char *name;
		const void *data;
		size_t len;
	} kinds[] = {
		{ "an HTTP response", http, sizeof(http) - 1 },
		{ "binary noise", noise, sizeof(noise) },
		{ "a handshake record of unknown type", rec, sizeof(rec) },
	};
	int fd, peer, lfd, port;
	size_t i;

	for (i = 0; i < sizeof(noise); i++)
		noise[i] = sock_pattern(i, 0x99) ^ 0x5a;
	noise[0] = 0x99;	/* no record type */
	noise[1] = 0x99;
	noise[2] = 0x99;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		TH_LOG("client, the server sends %s", kinds[i].name);
		fd = silent_conn(e, &s, &peer);
		ASSERT_OK(tlso_write_all(peer, kinds[i].data, kinds[i].len));
		EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
				      10000), EPROTO);
		EXPECT_FAILED(fd, EPROTO);
		tenv_close(e, fd);
	}

	TH_LOG("server, the client sends an HTTP request");
	lfd = tenv_listen(e, &port);
	peer = tenv_connect(e, port);
	ASSERT_OK(tlso_write_all(peer, get, sizeof(get) - 1));
	fd = tenv_tlso_accept(e, lfd);
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_SERVER, "server", "", 10000),
		     EPROTO);
	EXPECT_FAILED(fd, EPROTO);
	tenv_show_outcomes(e);
}

/*
 * The peer closes (FIN) or resets (RST) after the ClientHello went out:
 * ECONNRESET.  One that had closed before the request is refused at once
 * (the socket is no longer established) and nothing is queued.
 */
TEST_F(fault, peer_closes_mid_handshake)
{
	struct tenv *e = &self->e;
	struct linger lg = { 1, 0 };
	struct silent s = { 0 };
	struct pollfd p;
	int i, fd, peer;

	for (i = 0; i < 2; i++) {
		TH_LOG("the peer %s", i ? "resets" : "closes");
		fd = silent_conn(e, &s, &peer);
		ASSERT_OK(tenv_set_nonblock(fd, true));
		ASSERT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
				      10000), EINPROGRESS);
		ASSERT_GT(tenv_worker_holding(e, fd, 10000), 0);
		if (i)
			ASSERT_OK(setsockopt(peer, SOL_SOCKET, SO_LINGER, &lg,
					     sizeof(lg)));
		tenv_close(e, peer);
		EXPECT_EQ(hs_wait(fd, 15000), TLSO_HS_FAILED);
		EXPECT_FAILED(fd, ECONNRESET);
	}

	TH_LOG("the peer closed before the request");
	fd = silent_conn(e, &s, &peer);
	tenv_close(e, peer);
	p = (struct pollfd){ fd, POLLRDHUP, 0 };
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", 10000),
		     ENOTCONN);
	EXPECT_EQ(hs_get(fd).state, TLSO_HS_NONE);
	tenv_show_outcomes(e);
}

/*
 * The application closes its socket mid-handshake: before a worker took
 * it, and after.  The handshake runs to its end (the timeout) in the
 * worker, which then lets go: the connection closes (the peer sees it),
 * no worker and no descriptor is left in tlsod, no tlso socket in the
 * module (teardown).
 */
TEST_F(fault, app_closes_mid_handshake)
{
	struct tenv *e = &self->e;
	struct silent s = { 0 };
	int fd, fd2, peer, peer2;
	double t0 = tenv_now();

	start_silent(e, &s, &fd, &peer, 2000);
	tenv_close(e, fd);

	fd2 = silent_conn(e, &s, &peer2);
	ASSERT_OK(tenv_set_nonblock(fd2, true));
	ASSERT_ERRNO(hs_start(fd2, TLSO_ROLE_CLIENT, "", "localhost", 2000),
		     EINPROGRESS);
	tenv_close(e, fd2);

	EXPECT_TRUE(peer_sees_end(peer, 20000));
	EXPECT_TRUE(peer_sees_end(peer2, 20000));
	TH_LOG("both connections closed after %.2f s", tenv_now() - t0);
	EXPECT_TRUE(tenv_daemon_idle(e, 10000));
	tenv_show_outcomes(e);
}

struct writer {
	int fd;
	uint32_t before, after;	/* handshake state around the send */
	ssize_t sent;
	int err;
	int started, finished;	/* atomics */
};

static void *writer_main(void *arg)
{
	static const char msg[] = "written during the handshake\n";
	struct writer *w = arg;
	double end = tenv_now() + 10;

	while (hs_get(w->fd).state != TLSO_HS_PENDING && tenv_now() < end)
		tenv_msleep(5);
	w->before = hs_get(w->fd).state;
	__atomic_store_n(&w->started, 1, __ATOMIC_SEQ_CST);
	w->sent = send(w->fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL);
	w->err = errno;
	w->after = hs_get(w->fd).state;
	__atomic_store_n(&w->finished, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

struct hs_thread {
	int fd, ret, err;
};

static void *hs_main(void *arg)
{
	struct hs_thread *h = arg;

	h->ret = hs_start(h->fd, TLSO_ROLE_CLIENT, "", "localhost",
			  TENV_HS_MS);
	h->err = errno;
	return NULL;
}

/*
 * The application's writes wait for the handshake: EAGAIN when
 * non-blocking (and poll shows nothing), blocked otherwise; the data goes
 * out after it, encrypted: the GnuTLS peer reads it as a record.  The
 * peer answers the ClientHello only when the case opens its gate.
 */
TEST_F(fault, app_writes_during_handshake)
{
	static const char msg[] = "written during the handshake\n";
	struct tenv *e = &self->e;
	struct gpeer g = {
		.prio = tver_tls13.prio, .nconn = 2, .expect = msg,
		.reply = "after\n", .end = GPEER_WAIT_EOF,
	};
	struct writer w = { 0 };
	struct hs_thread h = { 0 };
	struct pollfd p;
	pthread_t wt, ht;
	int lfd, port, fd, release;
	double end;
	char c;
	pid_t peer;

	lfd = tenv_listen(e, &port);
	g.gate = make_gate(e, &release);
	peer = gpeer_start(e, &g, lfd);

	/* Non-blocking. */
	fd = tenv_tlso_client(e, port);
	ASSERT_OK(tenv_set_nonblock(fd, true));
	ASSERT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
			      TENV_HS_MS), EINPROGRESS);
	EXPECT_ERRNO(send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL), EAGAIN);
	EXPECT_ERRNO(recv(fd, &c, 1, 0), EAGAIN);
	p = (struct pollfd){ fd, POLLIN | POLLOUT, 0 };
	EXPECT_EQ(poll(&p, 1, 300), 0);
	EXPECT_EQ(hs_get(fd).state, TLSO_HS_PENDING);
	open_gate(release, 1);
	EXPECT_EQ(hs_wait(fd, TENV_HS_MS), TLSO_HS_DONE);
	EXPECT_EQ(send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL),
		  (ssize_t)sizeof(msg) - 1);
	ASSERT_OK(tenv_set_nonblock(fd, false));
	EXPECT_READ(fd, "after\n");
	tenv_close(e, fd);

	/* Blocking: one thread waits for the handshake, another writes. */
	fd = tenv_tlso_client(e, port);
	w.fd = h.fd = fd;
	ASSERT_EQ(pthread_create(&ht, NULL, hs_main, &h), 0);
	ASSERT_EQ(pthread_create(&wt, NULL, writer_main, &w), 0);
	end = tenv_now() + 10;
	while (!__atomic_load_n(&w.started, __ATOMIC_SEQ_CST) &&
	       tenv_now() < end)
		tenv_msleep(5);
	tenv_msleep(500);
	/* The write has waited half a second and still waits. */
	EXPECT_EQ(__atomic_load_n(&w.finished, __ATOMIC_SEQ_CST), 0);
	EXPECT_EQ(hs_get(fd).state, TLSO_HS_PENDING);
	open_gate(release, 1);
	pthread_join(ht, NULL);
	pthread_join(wt, NULL);
	EXPECT_EQ(h.ret, 0);
	if (h.ret)
		TH_LOG("handshake: %s", strerror(h.err));
	EXPECT_EQ(w.before, TLSO_HS_PENDING);
	EXPECT_EQ(w.sent, (ssize_t)sizeof(msg) - 1);
	if (w.sent < 0)
		TH_LOG("send: %s", strerror(w.err));
	EXPECT_EQ(w.after, TLSO_HS_DONE);
	EXPECT_READ(fd, "after\n");
	tenv_close(e, fd);
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
}

/*
 * SIGHUP while handshakes run (held by the peer's gate): they all
 * complete with the configuration they started with, and the new one is
 * in force for the next request.
 */
TEST_F(fault, sighup_during_handshakes)
{
	enum { N = 4 };
	struct tenv *e = &self->e;
	int lfd, port, fd[N], i, n, release;
	char extra[128];
	pid_t peer, pids[16];
	off_t from;

	lfd = tenv_listen(e, &port);
	peer = ping_peer(e, lfd, N + 1, make_gate(e, &release));
	for (i = 0; i < N; i++) {
		fd[i] = tenv_tlso_client(e, port);
		ASSERT_OK(tenv_set_nonblock(fd[i], true));
		ASSERT_ERRNO(hs_start(fd[i], TLSO_ROLE_CLIENT, "",
				      "localhost", TENV_HS_MS), EINPROGRESS);
	}
	for (i = 0; i < N; i++)
		ASSERT_GT(tenv_worker_holding(e, fd[i], 10000), 0);

	from = tenv_file_size(e->log);
	snprintf(extra, sizeof(extra), "\n[added]\ntrust_store = %s/ca.pem\n",
		 e->run);
	tenv_write_conf(e, extra);
	ASSERT_OK(kill(e->tlsod, SIGHUP));
	EXPECT_TRUE(tenv_wait_file_has(e->log, "reloaded", from, 10000));
	n = tenv_workers(e, pids, 16);
	EXPECT_EQ(n, N);
	for (i = 0; i < N; i++)
		EXPECT_EQ(hs_get(fd[i]).state, TLSO_HS_PENDING);

	open_gate(release, N);
	for (i = 0; i < N; i++) {
		EXPECT_EQ(hs_wait(fd[i], TENV_HS_MS), TLSO_HS_DONE);
		EXPECT_DONE(fd[i], TLS_1_3_VERSION, TLSO_AUTH_X509,
			    TENV_ID_SERVER);
		ASSERT_OK(tenv_set_nonblock(fd[i], false));
		ping_pong(fd[i]);
		tenv_close(e, fd[i]);
	}

	/* [added] did not exist before (EINVAL); it serves now. */
	fd[0] = tenv_tlso_client(e, port);
	open_gate(release, 1);
	EXPECT_OK(hs_start(fd[0], TLSO_ROLE_CLIENT, "added", "localhost",
			   TENV_HS_MS));
	ping_pong(fd[0]);
	tenv_close(e, fd[0]);
	EXPECT_EQ(tenv_wait_kid(e, peer, TENV_HS_MS), 0);
	tenv_show_outcomes(e);
}

/* A bad configuration at SIGHUP: logged, the old one stays in force. */
TEST_F(fault, sighup_with_bad_config_keeps_old)
{
	struct tenv *e = &self->e;
	off_t from = tenv_file_size(e->log);

	tenv_write_conf(e, "\n[broken]\nno_such_key = 1\n");
	ASSERT_OK(kill(e->tlsod, SIGHUP));
	EXPECT_TRUE(tenv_wait_file_has(e->log, "keeping the configuration",
				       from, 10000));
	EXPECT_TRUE(tenv_file_has(e->log, "no_such_key", from));
	still_serves(e);
}

/*
 * Fifty connections over loopback, tlso at both ends, both handshakes
 * asked of tlsod at once (a hundred; PSK, cheap on an emulated CPU);
 * every one must succeed and carry its own data.
 */
/* n connected pairs, both ends with tlso and non-blocking. */
static void nonblocking_pairs(struct tenv *e, int *cli, int *srv, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		ASSERT_OK(sock_pair(AF_INET, &cli[i], &srv[i]));
		tenv_track(e, cli[i]);
		tenv_track(e, srv[i]);
		ASSERT_OK(tenv_attach(e, cli[i]));
		ASSERT_OK(tenv_attach(e, srv[i]));
		ASSERT_OK(tenv_set_nonblock(cli[i], true));
		ASSERT_OK(tenv_set_nonblock(srv[i], true));
	}
}

TEST_F_TIMEOUT(fault, fifty_at_once, 300)
{
	enum { N = 50 };
	struct tenv *e = &self->e;
	int cli[N], srv[N], i, done = 0, failed = 0, pending;
	long tx0 = kmod_tlso_stat(TLSO_STAT_CURR_TX),
	     rx0 = kmod_tlso_stat(TLSO_STAT_CURR_RX);
	double t0, end;
	char buf[128], msg[128];

	nonblocking_pairs(e, cli, srv, N);
	t0 = tenv_now();
	for (i = 0; i < N; i++) {
		EXPECT_ERRNO(hs_start(srv[i], TLSO_ROLE_SERVER, "psk", "",
				      60000), EINPROGRESS);
		EXPECT_ERRNO(hs_start(cli[i], TLSO_ROLE_CLIENT, "psk", "",
				      60000), EINPROGRESS);
	}
	end = t0 + 200;
	do {
		struct pollfd p[2 * N];

		pending = 0;
		for (i = 0; i < 2 * N; i++) {
			p[i].fd = i < N ? cli[i] : srv[i - N];
			p[i].events = POLLOUT;
		}
		poll(p, 2 * N, 500);
		for (i = 0; i < 2 * N; i++)
			if (hs_get(p[i].fd).state == TLSO_HS_PENDING)
				pending++;
	} while (pending && tenv_now() < end);
	TH_LOG("%d handshakes ended after %.1f s, %d still pending",
	       2 * N - pending, tenv_now() - t0, pending);

	for (i = 0; i < N; i++) {
		struct tlso_handshake_status c = hs_get(cli[i]),
					     s = hs_get(srv[i]);

		if (c.state == TLSO_HS_DONE && s.state == TLSO_HS_DONE) {
			done++;
		} else {
			failed++;
			TH_LOG("pair %d: client %u/%s, server %u/%s", i,
			       c.state, tenv_errname(c.status), s.state,
			       tenv_errname(s.status));
			continue;
		}
		EXPECT_EQ(s.peer_auth, TLSO_AUTH_PSK);
		EXPECT_STREQ(s.peer_identity, TENV_PSK_IDENTITY);
		EXPECT_EQ(c.peer_auth, TLSO_AUTH_PSK);
		EXPECT_STREQ(c.peer_identity, TENV_PSK_IDENTITY);
		EXPECT_EQ(c.version, TLS_1_3_VERSION);
	}
	EXPECT_EQ(done, N);
	ASSERT_EQ(failed, 0);
	/* Keys in the module for every one of them. */
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_CURR_TX) - tx0, 2 * N);
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_CURR_RX) - rx0, 2 * N);

	for (i = 0; i < N; i++) {
		ASSERT_OK(tenv_set_nonblock(cli[i], false));
		ASSERT_OK(tenv_set_nonblock(srv[i], false));
		snprintf(msg, sizeof(msg), "pair %02d, client to server\n", i);
		ASSERT_OK(tlso_write_all(cli[i], msg, strlen(msg)));
		ASSERT_OK(sock_read_exact(srv[i], buf, strlen(msg), 10000));
		EXPECT_MEMEQ(buf, msg, strlen(msg));
		snprintf(msg, sizeof(msg), "pair %02d, server to client\n", i);
		ASSERT_OK(tlso_write_all(srv[i], msg, strlen(msg)));
		ASSERT_OK(sock_read_exact(cli[i], buf, strlen(msg), 10000));
		EXPECT_MEMEQ(buf, msg, strlen(msg));
	}
	EXPECT_TRUE(tenv_daemon_idle(e, 30000));
}

/*
 * tlsod too busy to read its netlink socket: the READYs past its queue
 * are lost.  Unless tlsod set NETLINK_BROADCAST_ERROR, netlink then tells
 * the module that nobody listened, and it refused the requests with
 * ESRCH as for no daemon.  A small net.core.rmem_max gives tlsod a small
 * queue; it is stopped while the requests come, and serves them all once
 * it goes on.
 */
#define RMEM_MAX	"/proc/sys/net/core/rmem_max"

TEST_F_TIMEOUT(fault, stopped_daemon_with_a_full_queue, 300)
{
	enum { N = 16 };
	struct tenv *e = &self->e;
	int cli[N], srv[N], i, pending, refused = 0;
	char *old;
	double end;

	old = tenv_slurp(RMEM_MAX, NULL);
	ASSERT_TRUE(old != NULL);
	EXPECT_EQ(tenv_stop_tlsod(e, 10000), 0);
	ASSERT_OK(tenv_write_file(RMEM_MAX, "4096\n", 5));
	tenv_start_tlsod(e);
	ASSERT_OK(tenv_write_file(RMEM_MAX, old, strlen(old)));
	free(old);

	nonblocking_pairs(e, cli, srv, N);
	ASSERT_OK(kill(e->tlsod, SIGSTOP));
	for (i = 0; i < 2 * N; i++) {
		int fd = i < N ? srv[i] : cli[i - N];

		if (hs_start(fd, i < N ? TLSO_ROLE_SERVER : TLSO_ROLE_CLIENT,
			     "psk", "", 60000) == -1 && errno != EINPROGRESS) {
			TH_LOG("request %d: %s", i, strerror(errno));
			refused++;
		}
	}
	ASSERT_OK(kill(e->tlsod, SIGCONT));
	EXPECT_EQ(refused, 0);
	EXPECT_TRUE(tenv_wait_file_has(e->log, "netlink socket overran", 0,
				       10000));

	end = tenv_now() + 200;
	do {
		pending = 0;
		for (i = 0; i < 2 * N; i++)
			if (hs_get(i < N ? cli[i] : srv[i - N]).state ==
			    TLSO_HS_PENDING)
				pending++;
		if (pending)
			tenv_msleep(200);
	} while (pending && tenv_now() < end);
	for (i = 0; i < N; i++) {
		struct tlso_handshake_status c = hs_get(cli[i]),
					     s = hs_get(srv[i]);

		if (c.state != TLSO_HS_DONE || s.state != TLSO_HS_DONE)
			TH_LOG("pair %d: client %u/%s, server %u/%s", i,
			       c.state, tenv_errname(c.status), s.state,
			       tenv_errname(s.status));
		EXPECT_EQ(c.state, TLSO_HS_DONE);
		EXPECT_EQ(s.state, TLSO_HS_DONE);
	}
	EXPECT_TRUE(tenv_daemon_idle(e, 30000));
}

TEST_HARNESS_MAIN
