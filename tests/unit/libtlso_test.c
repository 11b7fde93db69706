// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of libtlso, and of tlso-cat's command line: what can be
 * checked without the module.  The host kernel has neither tlso nor kTLS,
 * so a handshake can only fail here; the cases that need the module to be
 * absent skip when it is loaded.
 */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netdb.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <linux/tlso.h>

#include "harness.h"
#include "sock.h"
#include "libtlso.h"

#define REQ_FIELD_SIZE(field) sizeof(((struct tlso_handshake_req *)0)->field)

static const struct tlso_handshake_opts client = {
	.role = TLSO_ROLE_CLIENT,
};

static bool module_loaded(void)
{
	return access("/sys/module/tlso", F_OK) == 0;
}

static void need_no_module(void)
{
	if (module_loaded())
		SKIP("tlso is loaded here; this case needs it absent");
}

/*
 * The descriptor the next open() would get: equal before and after a
 * call means the call left nothing open.
 */
static int next_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	close(fd);
	return fd;
}

/* A string of n 'a's (freed with free()). */
static char *name_of(size_t n)
{
	char *s = malloc(n + 1);

	ASSERT_TRUE(s != NULL);
	memset(s, 'a', n);
	s[n] = 0;
	return s;
}

/* A loopback listener and its port as text. */
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

/* A port on loopback that nothing listens on, just now. */
static void closed_port(char *port, size_t size)
{
	close(listener(port, size));
}

/* ---- tlso_handshake: what it checks before the kernel sees anything ---- */

/* fd -1 throughout: EBADF proves a request got as far as the kernel. */
TEST(handshake_rejects_a_bad_role)
{
	static const int bad[] = { 0, 3, -1, TLSO_ROLE_SERVER + 1, INT_MAX };
	struct tlso_handshake_opts o = client;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.role = bad[i];
		EXPECT_ERRNO(tlso_handshake(-1, &o), EINVAL);
	}
	EXPECT_ERRNO(tlso_handshake(-1, NULL), EINVAL);
	o.role = TLSO_ROLE_CLIENT;
	EXPECT_ERRNO(tlso_handshake(-1, &o), EBADF);
	o.role = TLSO_ROLE_SERVER;
	EXPECT_ERRNO(tlso_handshake(-1, &o), EBADF);
}

TEST(handshake_rejects_names_that_do_not_fit)
{
	char *longest = name_of(REQ_FIELD_SIZE(peer_name) - 1);
	char *too_long = name_of(REQ_FIELD_SIZE(peer_name));
	struct tlso_handshake_opts o = client;

	o.peer_name = too_long;
	EXPECT_ERRNO(tlso_handshake(-1, &o), ENAMETOOLONG);
	o.peer_name = longest;
	EXPECT_ERRNO(tlso_handshake(-1, &o), EBADF);
	free(longest);
	free(too_long);

	longest = name_of(REQ_FIELD_SIZE(profile) - 1);
	too_long = name_of(REQ_FIELD_SIZE(profile));
	o.peer_name = "example.com";
	o.profile = too_long;
	EXPECT_ERRNO(tlso_handshake(-1, &o), ENAMETOOLONG);
	o.profile = longest;
	EXPECT_ERRNO(tlso_handshake(-1, &o), EBADF);
	free(longest);
	free(too_long);
}

TEST(handshake_takes_no_names)
{
	struct tlso_handshake_opts o = {
		.role = TLSO_ROLE_SERVER,
		.timeout_ms = UINT_MAX,
	};

	EXPECT_ERRNO(tlso_handshake(-1, &o), EBADF);
	o.peer_name = "";
	o.profile = "";
	EXPECT_ERRNO(tlso_handshake(-1, &o), EBADF);
}

/*
 * Without a ULP, level SOL_TLS is nobody's: TCP hands it to IP, whose
 * setsockopt says ENOPROTOOPT and getsockopt EOPNOTSUPP.  The socket must
 * come out of it as it went in.
 */
TEST(handshake_on_plain_tcp_fails)
{
	struct tlso_handshake_status st;
	int cli, srv;
	char c = 0;

	ASSERT_OK(sock_pair(AF_INET, &cli, &srv));
	EXPECT_ERRNO(tlso_handshake(cli, &client), ENOPROTOOPT);
	EXPECT_ERRNO(tlso_handshake_status(cli, &st), EOPNOTSUPP);
	ASSERT_EQ(send(cli, "x", 1, MSG_NOSIGNAL), 1);
	ASSERT_EQ(recv(srv, &c, 1, 0), 1);
	EXPECT_EQ(c, 'x');
	close(cli);
	close(srv);
}

TEST(status_wants_somewhere_to_put_it)
{
	int cli, srv;

	ASSERT_OK(sock_pair(AF_INET, &cli, &srv));
	EXPECT_ERRNO(tlso_handshake_status(cli, NULL), EINVAL);
	close(cli);
	close(srv);
}

TEST(attach_without_the_module_is_enoent)
{
	int cli, srv;

	need_no_module();
	ASSERT_OK(sock_pair(AF_INET, &cli, &srv));
	EXPECT_ERRNO(tlso_attach(cli), ENOENT);
	close(cli);
	close(srv);
}

/* ---- tlso_strerror ---- */

TEST(strerror_says_what_tlso_means)
{
	/* Every errno of <linux/tlso.h>, tlsod(8) and this library. */
	static const int errs[] = {
		ESRCH, EALREADY, EISCONN, EINVAL, EACCES, ETIMEDOUT,
		ECONNABORTED, EPROTO, EINTR, EINPROGRESS, ENOPROTOOPT,
		ECONNRESET, EIO, ENOENT, EEXIST, ENOTCONN, ENAMETOOLONG,
		ENXIO, EBADMSG, EKEYEXPIRED,
	};
	size_t i;

	EXPECT_STREQ(tlso_strerror(ESRCH), "no tlsod is running");
	EXPECT_STREQ(tlso_strerror(ENOENT), "tlso.ko is not loaded");
	EXPECT_STREQ(tlso_strerror(EACCES),
		     "the peer's certificate did not verify, or the peer refused ours");
	EXPECT_STREQ(tlso_strerror(ECONNABORTED),
		     "tlsod went away during the handshake");
	EXPECT_STREQ(tlso_strerror(ETIMEDOUT),
		     "the handshake did not end in time");
	EXPECT_TRUE(strstr(tlso_strerror(EPROTO), "protocol") != NULL);
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		const char *s = tlso_strerror(errs[i]);

		EXPECT_TRUE(s && *s);
		EXPECT_STRNE(s, strerror(errs[i]));
	}
}

TEST(strerror_falls_back_to_the_system)
{
	static const int errs[] = { 0, ENOMEM, EBADF, EPIPE, 4095, 123456 };
	size_t i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		char want[256];

		/* Copied first: strerror may reuse its buffer. */
		snprintf(want, sizeof(want), "%s", strerror(errs[i]));
		EXPECT_STREQ(tlso_strerror(errs[i]), want);
	}
}

/* ---- tlso_connect ---- */

TEST(connect_to_a_closed_port_is_refused)
{
	char port[8];
	int before = next_fd();

	closed_port(port, sizeof(port));
	EXPECT_ERRNO(tlso_connect("127.0.0.1", port, &client), ECONNREFUSED);
	/* localhost may be ::1 and 127.0.0.1: every address is tried. */
	EXPECT_ERRNO(tlso_connect("localhost", port, &client), ECONNREFUSED);
	EXPECT_EQ(next_fd(), before);
}

/* A request that cannot be made must not cost the peer a connection. */
TEST(connect_checks_the_request_before_connecting)
{
	struct tlso_handshake_opts o = client;
	char port[8], *big;
	int lfd, before = next_fd();

	lfd = listener(port, sizeof(port));
	o.role = 0;
	EXPECT_ERRNO(tlso_connect("127.0.0.1", port, &o), EINVAL);
	o.role = TLSO_ROLE_CLIENT;
	big = name_of(REQ_FIELD_SIZE(profile));
	o.profile = big;
	EXPECT_ERRNO(tlso_connect("127.0.0.1", port, &o), ENAMETOOLONG);
	free(big);
	EXPECT_ERRNO(tlso_connect("127.0.0.1", port, NULL), EINVAL);
	EXPECT_ERRNO(tlso_connect(NULL, port, &client), EINVAL);
	EXPECT_ERRNO(tlso_connect("127.0.0.1", NULL, &client), EINVAL);
	/* With no peer_name the host is the name, and it must fit too. */
	big = name_of(REQ_FIELD_SIZE(peer_name));
	EXPECT_ERRNO(tlso_connect(big, port, &client), ENAMETOOLONG);
	free(big);
	ASSERT_OK(fcntl(lfd, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(accept(lfd, NULL, NULL), EAGAIN);
	close(lfd);
	EXPECT_EQ(next_fd(), before);
}

TEST(connect_reports_bad_names_as_errno)
{
	char port[8];

	closed_port(port, sizeof(port));
	/* getaddrinfo() fails "" at once, without asking a DNS server. */
	EXPECT_ERRNO(tlso_connect("", port, &client), ENXIO);
	EXPECT_ERRNO(tlso_connect("127.0.0.1", "no-such-service-here",
				  &client), EINVAL);
}

/* The peer sees the connection, then its end: nothing is left open. */
TEST(connect_without_the_module_closes_what_it_opened)
{
	int lfd, fd, before;
	char port[8], c;

	need_no_module();
	lfd = listener(port, sizeof(port));
	before = next_fd();
	EXPECT_ERRNO(tlso_connect("127.0.0.1", port, &client), ENOENT);
	EXPECT_EQ(next_fd(), before);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(recv(fd, &c, 1, 0), 0);
	close(fd);
	close(lfd);
}

/* ---- tlso-cat's command line, run as built ---- */

struct run {
	int status;		/* exit status, or 128 + signal */
	char out[8192], err[8192];
};

/* build/bin/tlso-cat next to this test, or $TLSO_CAT. */
static const char *cat_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("TLSO_CAT");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ASSERT_GT(n, 0);
	self[n] = 0;
	/* build/tests/unit/libtlso_test -> build/bin/tlso-cat */
	snprintf(path, sizeof(path), "%s/../../bin/tlso-cat",
		 dirname(self));
	if (access(path, X_OK) < 0) {
		TH_LOG("%s: %s; build it first (make userspace)", path,
		       strerror(errno));
		ASSERT_TRUE(access(path, X_OK) == 0);
	}
	return path;
}

static void slurp(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	buf[len] = 0;
}

static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		ASSERT_EQ(errno, EINTR);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* In the child: stdin from /dev/null, stdout and stderr to out and err. */
static void __attribute__((noreturn)) exec_cat(char *const argv[], int out,
					       int err)
{
	int in = open("/dev/null", O_RDONLY);

	if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	execv(cat_path(), argv);
	_exit(127);
}

/* argv without argv[0]; NULL-terminated. */
static void run_cat(const char *const args[], struct run *r)
{
	char *argv[32] = { "tlso-cat" };
	int out, err, i;
	pid_t pid;

	for (i = 0; args[i]; i++) {
		ASSERT_LT(i, 30);
		argv[i + 1] = (char *)args[i];
	}
	out = memfd_create("out", MFD_CLOEXEC);
	err = memfd_create("err", MFD_CLOEXEC);
	ASSERT_GE(out, 0);
	ASSERT_GE(err, 0);
	cat_path();	/* a missing binary fails here, not in the child */
	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		exec_cat(argv, out, err);
	r->status = wait_status(pid);
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
	close(out);
	close(err);
}

/* The checks on a run say what tlso-cat printed when they fail. */
#define CONTAINS(hay, needle) do {					\
	if (!strstr(hay, needle))					\
		TH_LOG("'%s' is not in:\n%s", needle, hay);		\
	EXPECT_TRUE(strstr(hay, needle) != NULL);			\
} while (0)

#define EXPECT_STATUS(r, n) do {					\
	if ((r).status != (n))						\
		TH_LOG("stdout:\n%s\nstderr:\n%s", (r).out, (r).err);	\
	EXPECT_EQ((r).status, n);					\
} while (0)

TEST(cat_without_arguments_shows_usage)
{
	static const char *const args[] = { NULL };
	struct run r;

	run_cat(args, &r);
	EXPECT_STATUS(r, 2);
	CONTAINS(r.err, "usage: tlso-cat [options] HOST PORT");
	CONTAINS(r.err, "tlso-cat -l [options] PORT");
	EXPECT_STREQ(r.out, "");
}

TEST(cat_help_and_version)
{
	static const char *const help[] = { "--help", NULL };
	static const char *const h[] = { "-h", "example.com", NULL };
	static const char *const version[] = { "--version", NULL };
	struct run r;

	run_cat(help, &r);
	EXPECT_STATUS(r, 0);
	CONTAINS(r.out, "usage: tlso-cat");
	CONTAINS(r.out, "--name NAME");
	CONTAINS(r.out, "Exit status");
	EXPECT_STREQ(r.err, "");
	run_cat(h, &r);
	EXPECT_STATUS(r, 0);
	CONTAINS(r.out, "usage: tlso-cat");
	run_cat(version, &r);
	EXPECT_STATUS(r, 0);
	EXPECT_TRUE(strncmp(r.out, "tlso-cat ", 9) == 0);
	EXPECT_STREQ(r.err, "");
}

struct usage_case {
	const char *args[8];
	const char *says;
};

TEST(cat_usage_errors_exit_2)
{
	static const struct usage_case cases[] = {
		{ { "example.com" }, "give HOST and PORT" },
		{ { "a", "1", "b" }, "too many arguments" },
		{ { "-l" }, "-l needs a PORT" },
		{ { "-l", "a", "1" }, "with -l, give only PORT" },
		{ { "-l", "--name", "x", "1" }, "--name is for the client" },
		{ { "--listen-addr", "::1", "a", "1" }, "--listen-addr needs -l" },
		{ { "-4", "-6", "a", "1" }, "-4 and -6" },
		{ { "--timeout", "soon", "a", "1" }, "--timeout wants milliseconds" },
		{ { "--timeout", "-1", "a", "1" }, "--timeout wants milliseconds" },
		{ { "--timeout", "99999999999", "a", "1" }, "--timeout wants" },
		{ { "a", "0" }, "'0' is not a TCP port" },
		{ { "a", "65536" }, "'65536' is not a TCP port" },
		{ { "a", "no-such-service-here" }, "is not a TCP port" },
		{ { "--bogus", "a", "1" }, "unrecognized option" },
		{ { "--name" }, "requires an argument" },
	};
	char *profile = name_of(REQ_FIELD_SIZE(profile));
	char *name = name_of(REQ_FIELD_SIZE(peer_name));
	const char *long_profile[] = { "--profile", profile, "a", "1", NULL };
	const char *long_name[] = { "--name", name, "a", "1", NULL };
	const char *long_host[] = { name, "1", NULL };
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_cat(cases[i].args, &r);
		EXPECT_STATUS(r, 2);
		CONTAINS(r.err, cases[i].says);
		CONTAINS(r.err, "usage: tlso-cat");
	}
	run_cat(long_profile, &r);
	EXPECT_STATUS(r, 2);
	CONTAINS(r.err, "the profile name is longer than 63 bytes");
	run_cat(long_name, &r);
	EXPECT_STATUS(r, 2);
	CONTAINS(r.err, "the peer name is longer than 255 bytes");
	run_cat(long_host, &r);
	EXPECT_STATUS(r, 2);
	CONTAINS(r.err, "the peer name is longer");
	free(profile);
	free(name);
}

TEST(cat_connection_refused)
{
	const char *args[] = { "127.0.0.1", NULL, NULL };
	const char *quiet[] = { "-q", "127.0.0.1", NULL, NULL };
	char port[8], want[128];
	struct run r;

	closed_port(port, sizeof(port));
	args[1] = port;
	quiet[2] = port;
	run_cat(args, &r);
	EXPECT_STATUS(r, 1);
	snprintf(want, sizeof(want),
		 "tlso-cat: connect to 127.0.0.1:%s failed: Connection refused (ECONNREFUSED)\n",
		 port);
	EXPECT_STREQ(r.err, want);
	EXPECT_STREQ(r.out, "");
	run_cat(quiet, &r);
	EXPECT_STATUS(r, 1);
	EXPECT_STREQ(r.err, "");
}

TEST(cat_without_the_module)
{
	const char *args[] = { "127.0.0.1", NULL, NULL };
	char port[8], want[160];
	struct run r;
	int lfd;

	need_no_module();
	lfd = listener(port, sizeof(port));
	args[1] = port;
	run_cat(args, &r);
	EXPECT_STATUS(r, 1);
	snprintf(want, sizeof(want),
		 "tlso-cat: cannot attach tlso to the connection with 127.0.0.1:%s: tlso.ko is not loaded (ENOENT)\n",
		 port);
	EXPECT_STREQ(r.err, want);
	close(lfd);
}

/* A line of what a running tlso-cat prints, up to and with '\n'. */
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

/*
 * tlso-cat -l -v ... 0: its "listening on ADDR:PORT" line says where to
 * connect.  Returns the child; *err is the read end of its stderr.
 */
static pid_t start_server(const char *const args[], int *err,
			  char *port, size_t size)
{
	char *argv[16] = { "tlso-cat", "-l", "-v" }, line[256], *colon;
	int p[2], out, i;
	pid_t pid;

	for (i = 0; args[i]; i++)
		argv[i + 3] = (char *)args[i];
	ASSERT_OK(pipe2(p, O_CLOEXEC));
	out = memfd_create("out", MFD_CLOEXEC);
	ASSERT_GE(out, 0);
	cat_path();
	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* A failed check must not leave it waiting in accept(). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		exec_cat(argv, out, p[1]);
	}
	close(p[1]);
	close(out);
	read_line(p[0], line, sizeof(line));
	if (strncmp(line, "tlso-cat: listening on ", 23))
		TH_LOG("tlso-cat said: %s", line);
	ASSERT_TRUE(strncmp(line, "tlso-cat: listening on ", 23) == 0);
	colon = strrchr(line, ':');
	snprintf(port, size, "%.*s", (int)strcspn(colon + 1, "\n"), colon + 1);
	*err = p[0];
	return pid;
}

/*
 * Connect to the server started above at host, and watch it take the
 * connection from "from", fail to attach without the module, and close.
 */
static void check_served(pid_t pid, int err, const char *host,
			 const char *port, const char *from)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST,
	}, *ai;
	char rest[1024];
	int fd;
	char c;

	ASSERT_EQ(getaddrinfo(host, port, &hints, &ai), 0);
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(fd, 0);
	ASSERT_OK(connect(fd, ai->ai_addr, ai->ai_addrlen));
	freeaddrinfo(ai);
	EXPECT_EQ(wait_status(pid), 1);
	slurp(err, rest, sizeof(rest));
	CONTAINS(rest, from);
	CONTAINS(rest, "tlso.ko is not loaded (ENOENT)");
	EXPECT_EQ(recv(fd, &c, 1, 0), 0);
	close(fd);
	close(err);
}

/* IPv4 reaches the IPv6 socket (V6ONLY off), or the IPv4 fallback. */
TEST(cat_listens_on_both_families_by_default)
{
	static const char *const args[] = { "0", NULL };
	char port[8];
	pid_t pid;
	int err;

	need_no_module();
	pid = start_server(args, &err, port, sizeof(port));
	check_served(pid, err, "127.0.0.1", port,
		     "tlso-cat: connection from 127.0.0.1:");
}

TEST(cat_listens_on_the_address_given)
{
	static const char *const args[] = {
		"--listen-addr", "127.0.0.1", "0", NULL
	};
	char port[8];
	pid_t pid;
	int err;

	need_no_module();
	pid = start_server(args, &err, port, sizeof(port));
	check_served(pid, err, "127.0.0.1", port,
		     "tlso-cat: connection from 127.0.0.1:");
}

TEST(cat_listens_on_ipv6_only_with_6)
{
	static const char *const args[] = { "-6", "0", NULL };
	struct sockaddr_storage ss;
	socklen_t len;
	char port[8];
	int err, fd;
	pid_t pid;

	need_no_module();
	fd = sock_listen(AF_INET6, &ss, &len);
	if (fd < 0)
		SKIP("no IPv6 loopback here: %s", strerror(errno));
	close(fd);
	pid = start_server(args, &err, port, sizeof(port));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sock_loopback(AF_INET, &ss);
	((struct sockaddr_in *)&ss)->sin_port = htons(atoi(port));
	EXPECT_ERRNO(connect(fd, (struct sockaddr *)&ss,
			     sizeof(struct sockaddr_in)), ECONNREFUSED);
	close(fd);
	check_served(pid, err, "::1", port, "tlso-cat: connection from [::1]:");
}

TEST_HARNESS_MAIN
