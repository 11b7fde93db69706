// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of libtlso, of the helpers it shares with the tools
 * (the names of versions and ciphers, writing all of a buffer, dialling
 * a list of addresses), and of tlso-cat's command line: what can be
 * checked without the module.  The host kernel has neither tlso nor kTLS,
 * so a handshake can only fail here; the cases that need the module to be
 * absent skip when it is loaded.
 */
#include <ctype.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netdb.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <linux/tls.h>
#include <linux/tlso.h>

#include "harness.h"
#include "child.h"
#include "sock.h"
#include "libtlso.h"
#include "net.h"

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

/* A port on loopback that nothing listens on, just now. */
static void closed_port(char *port, size_t size)
{
	close(child_listener(port, size));
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

/*
 * o's name *field: the longest that the request holds (size - 1) gets as
 * far as the kernel, one byte more does not; then the field is NULL.
 */
static void expect_name_limit(struct tlso_handshake_opts *o,
			      const char **field, size_t size)
{
	char *longest = name_of(size - 1);
	char *too_long = name_of(size);

	*field = too_long;
	EXPECT_ERRNO(tlso_handshake(-1, o), ENAMETOOLONG);
	*field = longest;
	EXPECT_ERRNO(tlso_handshake(-1, o), EBADF);
	*field = NULL;
	free(longest);
	free(too_long);
}

TEST(handshake_rejects_names_that_do_not_fit)
{
	struct tlso_handshake_opts o = client;

	expect_name_limit(&o, &o.peer_name, REQ_FIELD_SIZE(peer_name));
	o.peer_name = "example.com";
	expect_name_limit(&o, &o.profile, REQ_FIELD_SIZE(profile));
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
		     "the peer's certificate did not verify, the peer refused ours, or this user may not use the profile");
	EXPECT_TRUE(strstr(tlso_strerror(EBUSY), "network namespace") != NULL);
	EXPECT_TRUE(strstr(tlso_strerror(EAGAIN), "this user's handshakes") !=
		    NULL);
	EXPECT_TRUE(strstr(tlso_strerror(EINVAL), "gave no peer name") != NULL);
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

	lfd = child_listener(port, sizeof(port));
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
	lfd = child_listener(port, sizeof(port));
	before = next_fd();
	EXPECT_ERRNO(tlso_connect("127.0.0.1", port, &client), ENOENT);
	EXPECT_EQ(next_fd(), before);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(recv(fd, &c, 1, 0), 0);
	close(fd);
	close(lfd);
}

/* ---- the names of versions and ciphers ---- */

TEST(cipher_names_both_ways_in_any_case)
{
	/* The name, and the name in a mixed case of its own. */
	static const struct {
		unsigned int cipher;
		const char *name, *mixed;
	} known[] = {
		{ TLS_CIPHER_AES_GCM_128, "AES-GCM-128", "aes-GCM-128" },
		{ TLS_CIPHER_AES_GCM_256, "AES-GCM-256", "Aes-Gcm-256" },
		{ TLS_CIPHER_AES_CCM_128, "AES-CCM-128", "aEs-cCm-128" },
		{ TLS_CIPHER_CHACHA20_POLY1305, "ChaCha20-Poly1305",
		  "cHAcHA20-pOLY1305" },
	};
	char lower[32], upper[32];
	size_t i, j;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		for (j = 0; known[i].name[j] && j < sizeof(lower) - 1; j++) {
			lower[j] = tolower((unsigned char)known[i].name[j]);
			upper[j] = toupper((unsigned char)known[i].name[j]);
		}
		lower[j] = 0;
		upper[j] = 0;
		EXPECT_STREQ(tlso_cipher_name(known[i].cipher), known[i].name);
		EXPECT_EQ(tlso_cipher_by_name(known[i].name), known[i].cipher);
		EXPECT_EQ(tlso_cipher_by_name(known[i].mixed), known[i].cipher);
		EXPECT_EQ(tlso_cipher_by_name(lower), known[i].cipher);
		EXPECT_EQ(tlso_cipher_by_name(upper), known[i].cipher);
	}
}

TEST(cipher_names_know_no_other)
{
	/* 55 and up are kTLS's SM4 and ARIA, which tlso does not do. */
	static const unsigned int ciphers[] = { 0, 50, 55, 57, UINT_MAX };
	static const char *const names[] = {
		"", "AES", "AES-GCM", "AES_GCM_128", "AES-GCM-128 ",
		" AES-GCM-128", "AES-GCM-1280", "ChaCha20", "SM4-GCM",
	};
	size_t i;

	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
		EXPECT_TRUE(tlso_cipher_name(ciphers[i]) == NULL);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		EXPECT_ERRNO(tlso_cipher_by_name(names[i]), EINVAL);
	EXPECT_ERRNO(tlso_cipher_by_name(NULL), EINVAL);
}

TEST(version_names)
{
	/* SSL 3.0 to TLS 1.1, one past TLS 1.3, and nonsense. */
	static const unsigned int unknown[] = {
		0, 0x0300, 0x0301, 0x0302, 0x0305, 0x0403, UINT_MAX,
	};
	size_t i;

	EXPECT_STREQ(tlso_version_name(TLS_1_2_VERSION), "TLS 1.2");
	EXPECT_STREQ(tlso_version_name(TLS_1_3_VERSION), "TLS 1.3");
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		EXPECT_TRUE(tlso_version_name(unknown[i]) == NULL);
}

/* ---- tlso_write_all ---- */

/*
 * Far more than a pipe holds, into its non-blocking end, while the
 * reader takes its time: every EAGAIN is waited out, and the bytes
 * arrive all of them, in order.
 */
TEST(write_all_waits_on_a_non_blocking_pipe)
{
	const size_t size = 4 << 20;
	unsigned char *buf = malloc(size), *got = malloc(size);
	size_t done = 0, i;
	int p[2];
	pid_t pid;
	ssize_t n;
	char c;

	ASSERT_TRUE(buf && got);
	for (i = 0; i < size; i++)
		buf[i] = sock_pattern(i, 3);
	ASSERT_OK(pipe2(p, O_CLOEXEC));
	ASSERT_OK(fcntl(p[1], F_SETFL, O_NONBLOCK));
	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(p[0]);
		_exit(tlso_write_all(p[1], buf, size) < 0 ? 1 : 0);
	}
	close(p[1]);
	while (done < size) {
		usleep(100);
		n = read(p[0], got + done, size - done < 4096 ? size - done :
								 4096);
		ASSERT_GT(n, 0);
		done += n;
	}
	EXPECT_EQ(read(p[0], &c, 1), 0);
	EXPECT_EQ(child_status(pid), 0);
	EXPECT_TRUE(memcmp(got, buf, size) == 0);
	close(p[0]);
	free(buf);
	free(got);
}

/* A peer that has gone is EPIPE, not SIGPIPE: this process lives on. */
TEST(write_all_to_a_peer_that_has_gone_is_epipe)
{
	static char buf[65536];
	int cli, srv, ret, err, i;
	sigset_t pipe;
	char c;

	/* SIGPIPE as a program gets it that has not asked otherwise. */
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	ASSERT_OK(sigprocmask(SIG_UNBLOCK, &pipe, NULL));
	ASSERT_OK(sock_pair(AF_INET, &cli, &srv));
	close(srv);
	/*
	 * Its FIN first: data that meets the reset after it is EPIPE, where
	 * before it would be ECONNRESET.
	 */
	ASSERT_EQ(recv(cli, &c, 1, 0), 0);
	for (i = 0; i < 100; i++) {
		ret = tlso_write_all(cli, buf, sizeof(buf));
		err = errno;
		if (ret < 0)
			break;
		usleep(10000);
	}
	EXPECT_EQ(ret, -1);
	EXPECT_EQ(err, EPIPE);
	close(cli);
}

/* Not a socket: written all the same. */
TEST(write_all_to_a_file)
{
	static const char text[] = "not a socket\n";
	char got[64];
	int fd;

	fd = memfd_create("file", MFD_CLOEXEC);
	ASSERT_GE(fd, 0);
	EXPECT_OK(tlso_write_all(fd, text, 0));
	EXPECT_OK(tlso_write_all(fd, text, strlen(text)));
	child_slurp(fd, got, sizeof(got));
	EXPECT_STREQ(got, text);
	close(fd);
}

/* ---- tlso_dial ---- */

/* What on_fail heard, in order. */
struct heard {
	int n;
	int err[4];
	in_port_t port[4];
};

static void note_fail(const struct addrinfo *ai, int err, void *arg)
{
	struct heard *h = arg;

	if (h->n < 4) {
		h->err[h->n] = err;
		h->port[h->n] = ((struct sockaddr_in *)ai->ai_addr)->sin_port;
	}
	h->n++;
}

/* Loopback addresses as the list that tlso_dial() takes. */
struct dial_list {
	struct addrinfo ai[2];
	struct sockaddr_storage ss[2];
};

/*
 * Address i of l on loopback, listened on (the listener is returned) or
 * refused (-1), and the list up to it.
 */
static int dial_add(struct dial_list *l, int i, bool listening)
{
	socklen_t len;
	int fd;

	fd = sock_listen(AF_INET, &l->ss[i], &len);
	ASSERT_GE(fd, 0);
	l->ai[i] = (struct addrinfo){
		.ai_family = AF_INET,
		.ai_socktype = SOCK_STREAM,
		.ai_addr = (struct sockaddr *)&l->ss[i],
		.ai_addrlen = len,
	};
	if (i > 0)
		l->ai[i - 1].ai_next = &l->ai[i];
	if (listening)
		return fd;
	close(fd);
	return -1;
}

static in_port_t dial_port(const struct dial_list *l, int i)
{
	return ((const struct sockaddr_in *)&l->ss[i])->sin_port;
}

TEST(dial_takes_the_first_address_that_accepts)
{
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	struct heard h = { 0 };
	struct dial_list l;
	int lfd, fd;

	dial_add(&l, 0, false);
	lfd = dial_add(&l, 1, true);
	fd = tlso_dial(l.ai, note_fail, &h);
	ASSERT_GE(fd, 0);
	ASSERT_OK(getpeername(fd, (struct sockaddr *)&peer, &len));
	EXPECT_EQ(peer.sin_port, dial_port(&l, 1));
	EXPECT_EQ(h.n, 1);
	EXPECT_EQ(h.err[0], ECONNREFUSED);
	EXPECT_EQ(h.port[0], dial_port(&l, 0));
	/* close-on-exec and blocking, as promised */
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_FALSE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);
	close(lfd);
}

TEST(dial_with_every_address_refused)
{
	struct heard h = { 0 };
	struct dial_list l;
	int before;

	dial_add(&l, 0, false);
	dial_add(&l, 1, false);
	before = next_fd();
	EXPECT_ERRNO(tlso_dial(l.ai, note_fail, &h), ECONNREFUSED);
	EXPECT_EQ(h.n, 2);
	EXPECT_EQ(h.err[0], ECONNREFUSED);
	EXPECT_EQ(h.err[1], ECONNREFUSED);
	EXPECT_EQ(h.port[0], dial_port(&l, 0));
	EXPECT_EQ(h.port[1], dial_port(&l, 1));
	EXPECT_ERRNO(tlso_dial(l.ai, NULL, NULL), ECONNREFUSED);
	EXPECT_EQ(next_fd(), before);
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
	r->status = child_status(pid);
	child_slurp(out, r->out, sizeof(r->out));
	child_slurp(err, r->err, sizeof(r->err));
	close(out);
	close(err);
}

/* A check on a run's status that shows what tlso-cat printed. */
#define EXPECT_STATUS(r, n) do {					\
	if ((r).status != (n))						\
		TH_LOG("stdout:\n%s\nstderr:\n%s", (r).out, (r).err);	\
	EXPECT_EQ((r).status, n);					\
} while (0)

#define WORDS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Each of words is in text; no words (NULL): text is empty. */
static void expect_words(const char *text, const char *const words[])
{
	if (!words) {
		EXPECT_STREQ(text, "");
		return;
	}
	for (; *words; words++)
		CONTAINS(text, *words);
}

/* tlso-cat ARGS: its exit status, and the words of its stdout and stderr. */
static void expect_cat(const char *const args[], int status,
		       const char *const out[], const char *const err[])
{
	struct run r;

	run_cat(args, &r);
	EXPECT_STATUS(r, status);
	expect_words(r.out, out);
	expect_words(r.err, err);
}

TEST(cat_without_arguments_shows_usage)
{
	static const char *const args[] = { NULL };

	expect_cat(args, 2, NULL, WORDS("usage: tlso-cat [options] HOST PORT",
					"tlso-cat -l [options] PORT"));
}

TEST(cat_help_and_version)
{
	static const char *const help[] = { "--help", NULL };
	static const char *const h[] = { "-h", "example.com", NULL };
	static const char *const version[] = { "--version", NULL };
	struct run r;

	expect_cat(help, 0, WORDS("usage: tlso-cat", "--name NAME",
				  "Exit status"), NULL);
	expect_cat(h, 0, WORDS("usage: tlso-cat"), NULL);
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
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_cat(cases[i].args, 2, NULL,
			   WORDS(cases[i].says, "usage: tlso-cat"));
	expect_cat(long_profile, 2, NULL,
		   WORDS("the profile name is longer than 63 bytes"));
	expect_cat(long_name, 2, NULL,
		   WORDS("the peer name is longer than 255 bytes"));
	expect_cat(long_host, 2, NULL, WORDS("the peer name is longer"));
	free(profile);
	free(name);
}

/*
 * tlso-cat 127.0.0.1 PORT fails, printing nothing but want, a format with
 * %s for PORT.
 */
static void expect_client_fails(const char *port, const char *want)
{
	const char *args[] = { "127.0.0.1", port, NULL };
	char line[512];
	struct run r;

	run_cat(args, &r);
	EXPECT_STATUS(r, 1);
	snprintf(line, sizeof(line), want, port);
	EXPECT_STREQ(r.err, line);
	EXPECT_STREQ(r.out, "");
}

TEST(cat_connection_refused)
{
	const char *quiet[] = { "-q", "127.0.0.1", NULL, NULL };
	char port[8];

	closed_port(port, sizeof(port));
	expect_client_fails(port,
			    "tlso-cat: connect to 127.0.0.1:%s failed: Connection refused (ECONNREFUSED)\n");
	quiet[2] = port;
	expect_cat(quiet, 1, NULL, NULL);
}

TEST(cat_without_the_module)
{
	char port[8];
	int lfd;

	need_no_module();
	lfd = child_listener(port, sizeof(port));
	expect_client_fails(port,
			    "tlso-cat: cannot attach tlso to the connection with 127.0.0.1:%s: tlso.ko is not loaded (ENOENT)\n");
	close(lfd);
}

/* tlso-cat -l -v ..., running. */
struct server {
	pid_t pid;
	int err;	/* the read end of its standard error */
	char port[8];	/* where it listens */
};

/* tlso-cat -l -v ARGS: its "listening on ADDR:PORT" says where it is. */
static void start_server(const char *const args[], struct server *s)
{
	char *argv[16] = { "tlso-cat", "-l", "-v" };
	int p[2], out, i;

	for (i = 0; args[i]; i++)
		argv[i + 3] = (char *)args[i];
	ASSERT_OK(pipe2(p, O_CLOEXEC));
	out = memfd_create("out", MFD_CLOEXEC);
	ASSERT_GE(out, 0);
	cat_path();
	fflush(NULL);
	s->pid = fork();
	ASSERT_GE(s->pid, 0);
	if (s->pid == 0) {
		/* A failed check must not leave it waiting in accept(). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		exec_cat(argv, out, p[1]);
	}
	close(p[1]);
	close(out);
	child_listening_port(p[0], "tlso-cat: listening on ", s->port,
			     sizeof(s->port));
	s->err = p[0];
}

/*
 * Connect to the server at host, and watch it take the connection from
 * "from", fail to attach without the module, and close.
 */
static void check_served(struct server *s, const char *host,
			 const char *from)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST,
	}, *ai;
	char rest[1024];
	int fd;
	char c;

	ASSERT_EQ(getaddrinfo(host, s->port, &hints, &ai), 0);
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(fd, 0);
	ASSERT_OK(connect(fd, ai->ai_addr, ai->ai_addrlen));
	freeaddrinfo(ai);
	EXPECT_EQ(child_status(s->pid), 1);
	child_slurp(s->err, rest, sizeof(rest));
	CONTAINS(rest, from);
	CONTAINS(rest, "tlso.ko is not loaded (ENOENT)");
	EXPECT_EQ(recv(fd, &c, 1, 0), 0);
	close(fd);
	close(s->err);
}

/* A server started with args, reached at host, hears from "from". */
static void serve_once(const char *const args[], const char *host,
		       const char *from)
{
	struct server s;

	need_no_module();
	start_server(args, &s);
	check_served(&s, host, from);
}

/* IPv4 reaches the IPv6 socket (V6ONLY off), or the IPv4 fallback. */
TEST(cat_listens_on_both_families_by_default)
{
	static const char *const args[] = { "0", NULL };

	serve_once(args, "127.0.0.1", "tlso-cat: connection from 127.0.0.1:");
}

TEST(cat_listens_on_the_address_given)
{
	static const char *const args[] = {
		"--listen-addr", "127.0.0.1", "0", NULL
	};

	serve_once(args, "127.0.0.1", "tlso-cat: connection from 127.0.0.1:");
}

TEST(cat_listens_on_ipv6_only_with_6)
{
	static const char *const args[] = { "-6", "0", NULL };
	struct sockaddr_storage ss;
	struct server s;
	socklen_t len;
	int fd;

	need_no_module();
	fd = sock_listen(AF_INET6, &ss, &len);
	if (fd < 0)
		SKIP("no IPv6 loopback here: %s", strerror(errno));
	close(fd);
	start_server(args, &s);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sock_loopback(AF_INET, &ss);
	((struct sockaddr_in *)&ss)->sin_port = htons(atoi(s.port));
	EXPECT_ERRNO(connect(fd, (struct sockaddr *)&ss,
			     sizeof(struct sockaddr_in)), ECONNREFUSED);
	close(fd);
	check_served(&s, "::1", "tlso-cat: connection from [::1]:");
}

TEST_HARNESS_MAIN
