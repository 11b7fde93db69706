// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of tlso-cat's session: copying both ways at once, the
 * end of input (shutdown), the peer's end, resets, a standard output that
 * goes away, and what reaches the handshake request.
 *
 * tlso-cat.c is compiled in here with libtlso's four functions replaced
 * by stand-ins that record what they were asked and make the handshake
 * succeed at once, so that the program runs over plain TCP: the host has
 * no tlso, and the copying does not care what carries the bytes.  What
 * libtlso itself does is libtlso_test's business; the real thing, with
 * tlsod, is the in-VM suite's.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "harness.h"
#include "sock.h"

#define main tlso_cat_main
#include "tlso-cat.c"
#undef main

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
 * then DONE, or FAILED with hs_final when that is set.
 */
static int attach_errno, hs_errno, hs_pending, hs_final;

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
	st->version = TLS_1_3_VERSION;
	st->cipher = TLS_CIPHER_AES_GCM_256;
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
};

/*
 * No exec here, so O_CLOEXEC does nothing: every end of the pipes but the
 * three it uses is closed by hand, or its own copy of the write end of
 * its input would keep that input from ever ending.
 */
static void __attribute__((noreturn)) cat_child(const char *const args[],
						int in[2], int out[2],
						int err[2])
{
	char *argv[32] = { "tlso-cat" };
	int i;

	for (i = 0; args[i] && i < 30; i++)
		argv[i + 1] = (char *)args[i];
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
		_exit(127);
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
	close(err[0]);
	close(err[1]);
	i = tlso_cat_main(i + 1, argv);
	fflush(NULL);
	_exit(i);
}

static void cat_start(struct cat *c, const char *const args[])
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
		cat_child(args, in, out, err);
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

/* Everything left on fd, up to size - 1 bytes, as a string. */
static void slurp(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	buf[len] = 0;
}

/*
 * Wait for it to end by itself (its input stays as the test left it);
 * its exit status (128 + signal when killed), its stderr into err.
 */
static int cat_end(struct cat *c, char *err, size_t size)
{
	int st;

	while (waitpid(c->pid, &st, 0) < 0)
		ASSERT_EQ(errno, EINTR);
	slurp(c->err, err, size);
	close(c->err);
	close(c->out);
	if (c->in >= 0)
		close_input(c);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int listener(char *port, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	fd = sock_listen(AF_INET, &ss, &len);
	ASSERT_GE(fd, 0);
	snprintf(port, size, "%u",
		 ntohs(((struct sockaddr_in *)&ss)->sin_port));
	return fd;
}

/* tlso-cat ARGS... 127.0.0.1 PORT against our listener: our end. */
static int cat_client(struct cat *c, const char *const opts[], char *port,
		      size_t size)
{
	const char *args[24];
	int lfd, fd, i;

	lfd = listener(port, size);
	for (i = 0; opts[i]; i++)
		args[i] = opts[i];
	args[i++] = "127.0.0.1";
	args[i++] = port;
	args[i] = NULL;
	cat_start(c, args);
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

#define CONTAINS(hay, needle) do {					\
	if (!strstr(hay, needle))					\
		TH_LOG("'%s' is not in:\n%s", needle, hay);		\
	EXPECT_TRUE(strstr(hay, needle) != NULL);			\
} while (0)

/* ---- the session ---- */

/*
 * Both ways; the end of input is a shutdown the peer sees, after which
 * the peer can still talk; the peer's close ends it all, cleanly.
 */
TEST(session_both_ways_then_both_ends)
{
	static const char *const none[] = { NULL };
	char port[8], err[4096];
	struct cat c;
	int fd;

	fd = cat_client(&c, none, port, sizeof(port));
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
	EXPECT_EQ(cat_end(&c, err, sizeof(err)), 0);
	EXPECT_STREQ(err, "");
	EXPECT_EQ(stub->attached, 1);
	EXPECT_EQ(stub->handshakes, 1);
}

/* The peer's end ends the session even while standard input is open. */
TEST(session_ends_with_the_peer)
{
	static const char *const none[] = { NULL };
	char port[8], err[4096];
	struct cat c;
	int fd;

	fd = cat_client(&c, none, port, sizeof(port));
	write_str(fd, "last words\n");
	close(fd);
	read_str(c.out, "last words\n");
	expect_eof(c.out);
	/* c.in is still open, and cat_end() leaves it so while it waits. */
	EXPECT_EQ(cat_end(&c, err, sizeof(err)), 0);
	EXPECT_STREQ(err, "");
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

static int child_status(pid_t pid)
{
	int st;

	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * Much more each way than the socket buffers hold, and the peer reads
 * nothing until it has written everything: a tlso-cat that blocked on
 * sending would never read, and both would wait for ever.
 */
TEST_TIMEOUT(session_copies_both_ways_at_once, 60)
{
	static const char *const none[] = { NULL };
	const size_t size = 32 << 20;
	char port[8], err[4096];
	pid_t in_writer, peer_writer;
	struct cat c;
	int fd;

	fd = cat_client(&c, none, port, sizeof(port));
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
	EXPECT_EQ(cat_end(&c, err, sizeof(err)), 0);
	EXPECT_STREQ(err, "");
}

TEST(session_reset_by_the_peer_is_an_error)
{
	static const char *const none[] = { NULL };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char port[8], err[4096], want[160];
	struct cat c;
	int fd;

	fd = cat_client(&c, none, port, sizeof(port));
	write_str(c.in, "hello\n");
	read_str(fd, "hello\n");
	ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(fd);
	EXPECT_EQ(cat_end(&c, err, sizeof(err)), 1);
	snprintf(want, sizeof(want),
		 "tlso-cat: receive from 127.0.0.1:%s failed: %s (ECONNRESET)\n",
		 port, strerror(ECONNRESET));
	EXPECT_STREQ(err, want);
}

/* SIGPIPE is ignored: the error is told, not a death by signal. */
TEST(session_standard_output_gone_is_an_error)
{
	static const char *const none[] = { NULL };
	char port[8], err[4096];
	struct cat c;
	int fd;

	fd = cat_client(&c, none, port, sizeof(port));
	close(c.out);
	c.out = open("/dev/null", O_RDONLY | O_CLOEXEC);
	write_str(fd, "nobody reads this\n");
	EXPECT_EQ(cat_end(&c, err, sizeof(err)), 1);
	EXPECT_STREQ(err, "tlso-cat: write to standard output failed: Broken pipe (EPIPE)\n");
	close(fd);
}

/* Nothing is sent after a failed handshake, and the connection closes. */
TEST(session_handshake_failure)
{
	static const char *const none[] = { NULL };
	char port[8], err[4096], want[160];
	struct cat c;
	int fd;

	hs_errno = EACCES;
	fd = cat_client(&c, none, port, sizeof(port));
	/* It may have gone already: EPIPE then, and no signal for us. */
	signal(SIGPIPE, SIG_IGN);
	if (write(c.in, "secret\n", 7) < 0)
		EXPECT_EQ(errno, EPIPE);
	expect_eof(fd);
	EXPECT_EQ(cat_end(&c, err, sizeof(err)), 1);
	snprintf(want, sizeof(want),
		 "tlso-cat: handshake with 127.0.0.1:%s failed: %s (EACCES)\n",
		 port, strerror(EACCES));
	EXPECT_STREQ(err, want);
	close(fd);
}

/* A signal ends the kernel's wait, not the handshake: tlso-cat waits on. */
TEST(session_handshake_interrupted_then_done)
{
	static const char *const none[] = { NULL };
	char port[8], err[4096];
	struct cat c;
	int fd;

	hs_errno = EINTR;
	hs_pending = 2;
	fd = cat_client(&c, none, port, sizeof(port));
	write_str(c.in, "ping\n");
	read_str(fd, "ping\n");
	close(fd);
	EXPECT_EQ(cat_end(&c, err, sizeof(err)), 0);
	EXPECT_STREQ(err, "");
	EXPECT_EQ(stub->statuses, 3);
}

TEST(session_handshake_interrupted_then_failed)
{
	static const char *const none[] = { NULL };
	char port[8], err[4096], want[160];
	struct cat c;
	int fd;

	hs_errno = EINTR;
	hs_final = EPROTO;
	fd = cat_client(&c, none, port, sizeof(port));
	expect_eof(fd);
	EXPECT_EQ(cat_end(&c, err, sizeof(err)), 1);
	snprintf(want, sizeof(want),
		 "tlso-cat: handshake with 127.0.0.1:%s failed: %s (EPROTO)\n",
		 port, strerror(EPROTO));
	EXPECT_STREQ(err, want);
	close(fd);
}

TEST(session_attach_failure)
{
	static const char *const none[] = { NULL };
	char port[8], err[4096], want[160];
	struct cat c;
	int fd;

	attach_errno = ENOENT;
	fd = cat_client(&c, none, port, sizeof(port));
	expect_eof(fd);
	EXPECT_EQ(cat_end(&c, err, sizeof(err)), 1);
	snprintf(want, sizeof(want),
		 "tlso-cat: cannot attach tlso to the connection with 127.0.0.1:%s: %s (ENOENT)\n",
		 port, strerror(ENOENT));
	EXPECT_STREQ(err, want);
	EXPECT_EQ(stub->handshakes, 0);
	close(fd);
}

TEST(session_quiet_says_nothing)
{
	static const char *const quiet[] = { "-q", NULL };
	char port[8], err[4096];
	struct cat c;
	int fd;

	hs_errno = ETIMEDOUT;
	fd = cat_client(&c, quiet, port, sizeof(port));
	EXPECT_EQ(cat_end(&c, err, sizeof(err)), 1);
	EXPECT_STREQ(err, "");
	close(fd);
}

/* ---- what reaches the request ---- */

TEST(request_defaults_to_the_host_as_name)
{
	static const char *const none[] = { NULL };
	char port[8], err[4096];
	struct cat c;

	close(cat_client(&c, none, port, sizeof(port)));
	EXPECT_EQ(cat_end(&c, err, sizeof(err)), 0);
	EXPECT_EQ(stub->role, TLSO_ROLE_CLIENT);
	EXPECT_FALSE(stub->name_null);
	EXPECT_STREQ(stub->peer_name, "127.0.0.1");
	EXPECT_STREQ(stub->profile, "");
	EXPECT_EQ(stub->timeout_ms, 0);
}

TEST(request_carries_the_options)
{
	static const char *const opts[] = {
		"--name", "www.example", "--profile", "inner",
		"--timeout", "1500", "-v", NULL
	};
	char port[8], err[4096], want[160];
	struct cat c;

	close(cat_client(&c, opts, port, sizeof(port)));
	EXPECT_EQ(cat_end(&c, err, sizeof(err)), 0);
	EXPECT_EQ(stub->role, TLSO_ROLE_CLIENT);
	EXPECT_STREQ(stub->peer_name, "www.example");
	EXPECT_STREQ(stub->profile, "inner");
	EXPECT_EQ(stub->timeout_ms, 1500);
	CONTAINS(err, "verifying the server as 'www.example'");
	snprintf(want, sizeof(want),
		 "tlso-cat: handshake with 127.0.0.1:%s done: TLS 1.3, AES-GCM-256, peer CN=stub.example\n",
		 port);
	CONTAINS(err, want);
}

TEST(request_with_an_empty_name_checks_the_chain_only)
{
	static const char *const opts[] = { "--name", "", "-v", NULL };
	char port[8], err[4096];
	struct cat c;

	close(cat_client(&c, opts, port, sizeof(port)));
	EXPECT_EQ(cat_end(&c, err, sizeof(err)), 0);
	EXPECT_FALSE(stub->name_null);
	EXPECT_STREQ(stub->peer_name, "");
	CONTAINS(err, "checking the certificate chain only");
}

/* A line of what tlso-cat prints on fd, with its '\n'. */
static void read_line(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len < size - 1) {
		ASSERT_EQ(read(fd, buf + len, 1), 1);
		if (buf[len++] == '\n')
			break;
	}
	buf[len] = 0;
}

/* The server: one connection, served both ways, as the TLS server. */
TEST(server_serves_one_connection)
{
	static const char *const args[] = {
		"-l", "-v", "--listen-addr", "127.0.0.1", "--profile", "srv",
		"0", NULL
	};
	struct sockaddr_in a = { .sin_family = AF_INET };
	char line[256], err[4096], *colon;
	struct cat c;
	int fd;

	cat_start(&c, args);
	read_line(c.err, line, sizeof(line));
	if (strncmp(line, "tlso-cat: listening on 127.0.0.1:", 33))
		TH_LOG("tlso-cat said: %s", line);
	ASSERT_TRUE(strncmp(line, "tlso-cat: listening on 127.0.0.1:", 33) == 0);
	colon = strrchr(line, ':');
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(atoi(colon + 1));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_OK(connect(fd, (struct sockaddr *)&a, sizeof(a)));
	write_str(fd, "GET\n");
	read_str(c.out, "GET\n");
	write_str(c.in, "200\n");
	read_str(fd, "200\n");
	close(fd);
	expect_eof(c.out);
	EXPECT_EQ(cat_end(&c, err, sizeof(err)), 0);
	EXPECT_EQ(stub->role, TLSO_ROLE_SERVER);
	EXPECT_TRUE(stub->name_null);
	EXPECT_STREQ(stub->profile, "srv");
	CONTAINS(err, "tlso-cat: connection from 127.0.0.1:");
	CONTAINS(err, "peer CN=stub.example");
	/* One connection only: the listener is gone. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	EXPECT_ERRNO(connect(fd, (struct sockaddr *)&a, sizeof(a)),
		     ECONNREFUSED);
	close(fd);
}

TEST_HARNESS_MAIN
