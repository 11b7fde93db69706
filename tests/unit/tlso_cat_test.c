// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of tlso-cat's session: copying both ways at once, the
 * end of input (shutdown), the peer's end, resets, a standard output that
 * goes away, what reaches the handshake request, and what -v tells.
 *
 * The session (userspace/tlso-cat, all of it but main.c) is linked in
 * here with libtlso's four functions replaced by stand-ins that record
 * what they were asked and make the handshake succeed at once, so that it
 * runs over plain TCP: the host has no tlso, and the copying does not
 * care what carries the bytes.  The command line, run as built, and what
 * libtlso itself does are libtlso_test's business; the real thing, with
 * tlsod, is the in-VM suite's.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "harness.h"
#include "child.h"
#include "sock.h"
#include "libtlso.h"
#include "tlso-cat.h"

/* What the stand-ins were asked: shared, as tlso-cat runs in a child. */
struct stub {
	int attached, handshakes, statuses;
	int role, name_null;
	unsigned int timeout_ms;
	char peer_name[256], profile[64];
};

static struct stub *stub;

/*
 * How they answer: set before cat_start(), inherited by the child.  After
 * a handshake that says EINTR, the status is PENDING hs_pending times,
 * then DONE, or FAILED with hs_final when that is set.  DONE says TLS 1.3
 * and AES-GCM-256 unless hs_version and hs_cipher say otherwise.
 */
static int attach_errno, hs_errno, hs_pending, hs_final;
static unsigned int hs_version, hs_cipher;

static void __attribute__((constructor)) stub_init(void)
{
	stub = mmap(NULL, sizeof(*stub), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (stub == MAP_FAILED)
		abort();
}

int tlso_attach(int fd)
{
	(void)fd;
	if (attach_errno) {
		errno = attach_errno;
		return -1;
	}
	stub->attached++;
	return 0;
}

int tlso_handshake(int fd, const struct tlso_handshake_opts *o)
{
	(void)fd;
	stub->handshakes++;
	stub->role = o->role;
	stub->name_null = !o->peer_name;
	snprintf(stub->peer_name, sizeof(stub->peer_name), "%s",
		 o->peer_name ? o->peer_name : "");
	snprintf(stub->profile, sizeof(stub->profile), "%s",
		 o->profile ? o->profile : "");
	stub->timeout_ms = o->timeout_ms;
	if (hs_errno) {
		errno = hs_errno;
		return -1;
	}
	return 0;
}

int tlso_handshake_status(int fd, struct tlso_handshake_status *st)
{
	(void)fd;
	memset(st, 0, sizeof(*st));
	if (++stub->statuses <= hs_pending) {
		st->state = TLSO_HS_PENDING;
		return 0;
	}
	if (hs_final) {
		st->state = TLSO_HS_FAILED;
		st->status = hs_final;
		return 0;
	}
	st->state = TLSO_HS_DONE;
	st->version = hs_version ? hs_version : TLS_1_3_VERSION;
	st->cipher = hs_cipher ? hs_cipher : TLS_CIPHER_AES_GCM_256;
	strcpy(st->peer_identity, "CN=stub.example");
	return 0;
}

const char *tlso_strerror(int err)
{
	return strerror(err);
}

/* ---- running it ---- */

struct cat {
	pid_t pid;
	int in;		/* its standard input, to write; -1 once closed */
	int out;	/* its standard output, to read */
	int err;	/* its standard error, to read */
	char port[8];	/* where it connects to or listens */
	char said[4096];	/* its standard error, once it has ended */
};

/* No options: a client, with the host as the name and the defaults. */
static const struct cat_opts client;

/*
 * No exec here, so O_CLOEXEC does nothing: every end of the pipes but the
 * three it uses is closed by hand, or its own copy of the write end of
 * its input would keep that input from ever ending.
 */
static void __attribute__((noreturn)) cat_child(const struct cat_opts *o,
						int level, int in[2],
						int out[2], int err[2])
{
	int ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
		_exit(127);
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
	close(err[0]);
	close(err[1]);
	verbosity = level;
	ret = cat_run(o);
	fflush(NULL);
	_exit(ret);
}

/* tlso-cat's session with the options o, at the verbosity level. */
static void cat_start(struct cat *c, const struct cat_opts *o, int level)
{
	int in[2], out[2], err[2];

	memset(stub, 0, sizeof(*stub));
	ASSERT_OK(pipe2(in, O_CLOEXEC));
	ASSERT_OK(pipe2(out, O_CLOEXEC));
	ASSERT_OK(pipe2(err, O_CLOEXEC));
	fflush(NULL);
	c->pid = fork();
	ASSERT_GE(c->pid, 0);
	if (c->pid == 0)
		cat_child(o, level, in, out, err);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	c->in = in[1];
	c->out = out[0];
	c->err = err[0];
}

static void close_input(struct cat *c)
{
	close(c->in);
	c->in = -1;
}

/*
 * Wait for it to end by itself (its input stays as the test left it);
 * its exit status (128 + signal when killed), its stderr into c->said.
 */
static int cat_end(struct cat *c)
{
	int status = child_status(c->pid);

	child_slurp(c->err, c->said, sizeof(c->said));
	close(c->err);
	close(c->out);
	if (c->in >= 0)
		close_input(c);
	return status;
}

/* tlso-cat as the client of a listener of ours on 127.0.0.1: our end. */
static int cat_client(struct cat *c, const struct cat_opts *opts, int level)
{
	struct cat_opts o = *opts;
	int lfd, fd;

	lfd = child_listener(c->port, sizeof(c->port));
	o.host = "127.0.0.1";
	o.port = c->port;
	cat_start(c, &o, level);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_GE(fd, 0);
	close(lfd);
	return fd;
}

static void write_str(int fd, const char *s)
{
	ASSERT_EQ(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Exactly strlen(want) bytes from a pipe or a socket, compared. */
static void read_str(int fd, const char *want)
{
	size_t len = strlen(want), got = 0;
	char buf[256];
	ssize_t n;

	ASSERT_LT(len, sizeof(buf));
	while (got < len) {
		n = read(fd, buf + got, len - got);
		ASSERT_GT(n, 0);
		got += n;
	}
	buf[len] = 0;
	EXPECT_STREQ(buf, want);
}

/* A pipe or socket that has ended: read gives 0 bytes. */
static void expect_eof(int fd)
{
	char c;

	EXPECT_EQ(read(fd, &c, 1), 0);
}

/*
 * It said one line: "tlso-cat: WHAT: strerror(err) (ENAME)", where WHAT
 * is what with the address it was given, 127.0.0.1:PORT, for its %s.
 */
static void expect_said(const struct cat *c, const char *what, int err)
{
	char who[32], line[256], want[512];

	snprintf(who, sizeof(who), "127.0.0.1:%s", c->port);
	snprintf(line, sizeof(line), what, who);
	snprintf(want, sizeof(want), "tlso-cat: %s: %s (%s)\n", line,
		 strerror(err), strerrorname_np(err));
	EXPECT_STREQ(c->said, want);
}

/* ---- the session ---- */

/*
 * Both ways; the end of input is a shutdown the peer sees, after which
 * the peer can still talk; the peer's close ends it all, cleanly.
 */
TEST(session_both_ways_then_both_ends)
{
	struct cat c;
	int fd;

	fd = cat_client(&c, &client, NORMAL);
	write_str(c.in, "ping\n");
	read_str(fd, "ping\n");
	write_str(fd, "pong\n");
	read_str(c.out, "pong\n");
	close_input(&c);
	expect_eof(fd);
	write_str(fd, "after your end\n");
	read_str(c.out, "after your end\n");
	close(fd);
	expect_eof(c.out);
	EXPECT_EQ(cat_end(&c), 0);
	EXPECT_STREQ(c.said, "");
	EXPECT_EQ(stub->attached, 1);
	EXPECT_EQ(stub->handshakes, 1);
}

/* The peer's end ends the session even while standard input is open. */
TEST(session_ends_with_the_peer)
{
	struct cat c;
	int fd;

	fd = cat_client(&c, &client, NORMAL);
	write_str(fd, "last words\n");
	close(fd);
	read_str(c.out, "last words\n");
	expect_eof(c.out);
	/* c.in is still open, and cat_end() leaves it so while it waits. */
	EXPECT_EQ(cat_end(&c), 0);
	EXPECT_STREQ(c.said, "");
}

/* Writer of size bytes of the pattern to fd, in a child; its pid. */
static pid_t pattern_writer(int fd, size_t size, unsigned int seed)
{
	static unsigned char buf[65536];
	size_t done = 0, n, i;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid)
		return pid;
	while (done < size) {
		n = size - done < sizeof(buf) ? size - done : sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = sock_pattern(done + i, seed);
		if (write(fd, buf, n) != (ssize_t)n)
			_exit(1);
		done += n;
	}
	_exit(0);
}

/* Read size bytes of the pattern from fd and check them. */
static void pattern_read(int fd, size_t size, unsigned int seed)
{
	static unsigned char buf[65536];
	size_t done = 0, i, bad = 0;
	ssize_t n;

	while (done < size) {
		n = read(fd, buf, sizeof(buf));
		ASSERT_GT(n, 0);
		for (i = 0; i < (size_t)n; i++)
			bad += buf[i] != sock_pattern(done + i, seed);
		done += n;
	}
	EXPECT_EQ(done, size);
	EXPECT_EQ(bad, 0);
}

/*
 * Much more each way than the socket buffers hold, and the peer reads
 * nothing until it has written everything: a tlso-cat that blocked on
 * sending would never read, and both would wait for ever.
 */
TEST_TIMEOUT(session_copies_both_ways_at_once, 60)
{
	const size_t size = 32 << 20;
	pid_t in_writer, peer_writer;
	struct cat c;
	int fd;

	fd = cat_client(&c, &client, NORMAL);
	in_writer = pattern_writer(c.in, size, 1);
	close_input(&c);
	peer_writer = pattern_writer(fd, size, 2);
	pattern_read(c.out, size, 2);
	EXPECT_EQ(child_status(peer_writer), 0);
	pattern_read(fd, size, 1);
	expect_eof(fd);
	EXPECT_EQ(child_status(in_writer), 0);
	close(fd);
	expect_eof(c.out);
	EXPECT_EQ(cat_end(&c), 0);
	EXPECT_STREQ(c.said, "");
}

TEST(session_reset_by_the_peer_is_an_error)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct cat c;
	int fd;

	fd = cat_client(&c, &client, NORMAL);
	write_str(c.in, "hello\n");
	read_str(fd, "hello\n");
	ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(fd);
	EXPECT_EQ(cat_end(&c), 1);
	expect_said(&c, "receive from %s failed", ECONNRESET);
}

/* SIGPIPE is ignored: the error is told, not a death by signal. */
TEST(session_standard_output_gone_is_an_error)
{
	struct cat c;
	int fd;

	fd = cat_client(&c, &client, NORMAL);
	close(c.out);
	c.out = open("/dev/null", O_RDONLY | O_CLOEXEC);
	write_str(fd, "nobody reads this\n");
	EXPECT_EQ(cat_end(&c), 1);
	expect_said(&c, "write to standard output failed", EPIPE);
	close(fd);
}

/*
 * A session that the stand-ins make fail before any data: nothing is
 * sent, the connection closes, and it says so as expect_said() wants, or
 * (what NULL) says nothing.
 */
static void expect_refused(int level, const char *what, int err)
{
	struct cat c;
	int fd;

	fd = cat_client(&c, &client, level);
	/* It may have gone already: EPIPE then, and no signal for us. */
	signal(SIGPIPE, SIG_IGN);
	if (write(c.in, "secret\n", 7) < 0)
		EXPECT_EQ(errno, EPIPE);
	expect_eof(fd);
	EXPECT_EQ(cat_end(&c), 1);
	if (what)
		expect_said(&c, what, err);
	else
		EXPECT_STREQ(c.said, "");
	close(fd);
}

TEST(session_handshake_failure)
{
	hs_errno = EACCES;
	expect_refused(NORMAL, "handshake with %s failed", EACCES);
}

/* A signal ends the kernel's wait, not the handshake: tlso-cat waits on. */
TEST(session_handshake_interrupted_then_done)
{
	struct cat c;
	int fd;

	hs_errno = EINTR;
	hs_pending = 2;
	fd = cat_client(&c, &client, NORMAL);
	write_str(c.in, "ping\n");
	read_str(fd, "ping\n");
	close(fd);
	EXPECT_EQ(cat_end(&c), 0);
	EXPECT_STREQ(c.said, "");
	EXPECT_EQ(stub->statuses, 3);
}

TEST(session_handshake_interrupted_then_failed)
{
	hs_errno = EINTR;
	hs_final = EPROTO;
	expect_refused(NORMAL, "handshake with %s failed", EPROTO);
}

TEST(session_attach_failure)
{
	attach_errno = ENOENT;
	expect_refused(NORMAL, "cannot attach tlso to the connection with %s",
		       ENOENT);
	EXPECT_EQ(stub->handshakes, 0);
}

TEST(session_quiet_says_nothing)
{
	hs_errno = ETIMEDOUT;
	expect_refused(QUIET, NULL, 0);
}

/* ---- the connection ---- */

/* With -v, each address that refused is told before the verdict. */
TEST(connect_refused_tells_each_address)
{
	struct cat_opts o = { .host = "127.0.0.1" };
	char want[512];
	struct cat c;

	close(child_listener(c.port, sizeof(c.port)));
	o.port = c.port;
	cat_start(&c, &o, VERBOSE);
	EXPECT_EQ(cat_end(&c), 1);
	snprintf(want, sizeof(want),
		 "tlso-cat: connect to 127.0.0.1:%s: %s\n"
		 "tlso-cat: connect to 127.0.0.1:%s failed: %s (ECONNREFUSED)\n",
		 c.port, strerror(ECONNREFUSED), c.port,
		 strerror(ECONNREFUSED));
	EXPECT_STREQ(c.said, want);
	EXPECT_EQ(stub->attached, 0);
}

/* ---- what reaches the request, and what -v tells of it ---- */

TEST(request_defaults_to_the_host_as_name)
{
	struct cat c;

	close(cat_client(&c, &client, NORMAL));
	EXPECT_EQ(cat_end(&c), 0);
	EXPECT_EQ(stub->role, TLSO_ROLE_CLIENT);
	EXPECT_FALSE(stub->name_null);
	EXPECT_STREQ(stub->peer_name, "127.0.0.1");
	EXPECT_STREQ(stub->profile, "");
	EXPECT_EQ(stub->timeout_ms, 0);
}

TEST(request_carries_the_options)
{
	static const struct cat_opts o = {
		.name = "www.example",
		.profile = "inner",
		.timeout_ms = 1500,
	};
	char want[160];
	struct cat c;

	close(cat_client(&c, &o, VERBOSE));
	EXPECT_EQ(cat_end(&c), 0);
	EXPECT_EQ(stub->role, TLSO_ROLE_CLIENT);
	EXPECT_STREQ(stub->peer_name, "www.example");
	EXPECT_STREQ(stub->profile, "inner");
	EXPECT_EQ(stub->timeout_ms, 1500);
	snprintf(want, sizeof(want),
		 "tlso-cat: connected to 127.0.0.1:%s (127.0.0.1:%s)\n",
		 c.port, c.port);
	CONTAINS(c.said, want);
	CONTAINS(c.said, "verifying the server as 'www.example'");
	snprintf(want, sizeof(want),
		 "tlso-cat: handshake with 127.0.0.1:%s done: TLS 1.3, AES-GCM-256, peer CN=stub.example\n",
		 c.port);
	CONTAINS(c.said, want);
}

TEST(request_with_an_empty_name_checks_the_chain_only)
{
	static const struct cat_opts o = { .name = "" };
	struct cat c;

	close(cat_client(&c, &o, VERBOSE));
	EXPECT_EQ(cat_end(&c), 0);
	EXPECT_FALSE(stub->name_null);
	EXPECT_STREQ(stub->peer_name, "");
	CONTAINS(c.said, "checking the certificate chain only");
}

/* What libtlso has no name for is told by its number. */
TEST(outcome_unknown_to_libtlso_is_told_by_number)
{
	struct cat c;

	hs_version = 0x0305;
	hs_cipher = 99;
	close(cat_client(&c, &client, VERBOSE));
	EXPECT_EQ(cat_end(&c), 0);
	CONTAINS(c.said,
		 " done: version 0x0305, cipher 99, peer CN=stub.example\n");
}

/* The server: one connection, served both ways, as the TLS server. */
TEST(server_serves_one_connection)
{
	static const struct cat_opts o = {
		.listen = true,
		.listen_addr = "127.0.0.1",
		.profile = "srv",
		.port = "0",
	};
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct cat c;
	int fd;

	cat_start(&c, &o, VERBOSE);
	child_listening_port(c.err, "tlso-cat: listening on 127.0.0.1:",
			     c.port, sizeof(c.port));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(atoi(c.port));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_OK(connect(fd, (struct sockaddr *)&a, sizeof(a)));
	write_str(fd, "GET\n");
	read_str(c.out, "GET\n");
	write_str(c.in, "200\n");
	read_str(fd, "200\n");
	close(fd);
	expect_eof(c.out);
	EXPECT_EQ(cat_end(&c), 0);
	EXPECT_EQ(stub->role, TLSO_ROLE_SERVER);
	EXPECT_TRUE(stub->name_null);
	EXPECT_STREQ(stub->profile, "srv");
	CONTAINS(c.said, "tlso-cat: connection from 127.0.0.1:");
	CONTAINS(c.said, "peer CN=stub.example");
	/* One connection only: the listener is gone. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	EXPECT_ERRNO(connect(fd, (struct sockaddr *)&a, sizeof(a)),
		     ECONNREFUSED);
	close(fd);
}

TEST_HARNESS_MAIN
