// SPDX-License-Identifier: GPL-2.0
/*
 * Self-test of tests/lib/harness.h.
 *
 * The normal run holds only passing tests. The bad_* tests fail, crash,
 * hang or skip on purpose; they are hidden unless TLSO_HARNESS_SELFTEST_BAD=1,
 * and the meta.* tests re-run this binary in that mode and check that the
 * runner reports every one of them correctly.
 */
#include "harness.h"

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

static bool bad_mode(void)
{
	const char *s = getenv("TLSO_HARNESS_SELFTEST_BAD");

	return s && !strcmp(s, "1");
}

static void __attribute__((constructor)) hide_bad_tests(void)
{
	if (!bad_mode())
		th_exclude("bad_*");
}

/* Each case runs in its own process, so the order of events is recorded
 * in a file the meta tests read afterwards. */
static void note(const char *what)
{
	const char *dir = getenv("TLSO_HARNESS_SELFTEST_DIR");
	char path[PATH_MAX];
	int fd;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/log", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0)
		return;
	if (write(fd, what, strlen(what)) < 0 || write(fd, "\n", 1) < 0)
		TH_LOG("writing %s failed", path);
	close(fd);
}

/* ---- passing tests ---- */

TEST(cmp_integers)
{
	int i = -1;
	unsigned int u = 1;
	size_t sz = 5;
	ssize_t ss = -5;
	char c = 'a';
	unsigned char uc = 200;
	long long big = LLONG_MIN;
	unsigned long long ubig = ULLONG_MAX;
	bool b = true;
	enum { E_THREE = 3 } e = E_THREE;
	struct { unsigned int bits : 3; int sbits : 4; } bf = { 5, -2 };

	ASSERT_EQ(i, -1);
	/* Mixed signedness compares mathematically, unlike plain C. */
	ASSERT_NE(i, u);
	ASSERT_LT(i, u);
	ASSERT_LT(ss, sz);
	ASSERT_GT(sz, ss);
	ASSERT_NE(ubig, -1);
	ASSERT_GT(ubig, big);
	ASSERT_LE(sz, 5);
	ASSERT_GE(sz, 5);
	ASSERT_LE(big, LLONG_MIN);
	ASSERT_EQ(c, 'a');
	ASSERT_EQ(uc, 200);
	ASSERT_GT(uc, 127);
	ASSERT_EQ(b, 1);
	ASSERT_EQ(e, 3);
	ASSERT_EQ(bf.bits, 5);
	ASSERT_EQ(bf.sbits, -2);
}

TEST(cmp_pointers_floats)
{
	int arr[2] = { 0 };
	int *p = arr, *null = NULL;

	ASSERT_NE(p, NULL);
	ASSERT_EQ(null, NULL);
	ASSERT_EQ(null, 0);
	ASSERT_EQ(arr, &arr[0]);
	ASSERT_LT(&arr[0], &arr[1]);
	ASSERT_LT(0.5, 1);
	ASSERT_EQ(1.0f, 1);
	ASSERT_GT(-0.5, -1);
	ASSERT_TRUE(p);
	ASSERT_FALSE(null);
}

TEST(args_evaluated_once)
{
	int n = 0;
	char buf[4] = "abc";

	ASSERT_EQ(n++, 0);
	ASSERT_TRUE(++n == 2);
	ASSERT_STREQ(&buf[n++ - 2], "abc");
	ASSERT_MEMEQ(&buf[n++ - 3], "abc", 3);
	ASSERT_OK(n++);
	ASSERT_ERRNO((n++, close(-1)), EBADF);
	ASSERT_EQ(n, 6);
}

TEST(strings_and_memory)
{
	unsigned char a[32], b[32];

	memset(a, 0x5a, sizeof(a));
	memcpy(b, a, sizeof(b));
	ASSERT_STREQ("tls", "tls");
	ASSERT_STRNE("tls", "tlso");
	ASSERT_STREQ(NULL, NULL);
	ASSERT_STRNE("tls", NULL);
	ASSERT_STRNE(NULL, "tls");
	ASSERT_MEMEQ(a, b, sizeof(a));
	b[20] ^= 1;
	ASSERT_MEMEQ(a, b, 20);
	ASSERT_MEMEQ(NULL, NULL, 0);
}

TEST(errno_checks)
{
	int fd;

	ASSERT_ERRNO(close(-1), EBADF);
	ASSERT_ERRNO(open("/nonexistent-tlso/x", O_RDONLY), ENOENT);
	fd = open("/dev/null", O_RDONLY);
	ASSERT_OK(fd);
	ASSERT_OK(close(fd));
	ASSERT_OK(0);
}

TEST(errno_names)
{
#define CHECK_NAME(e) ASSERT_STREQ(th_errno_name(e), #e)
	CHECK_NAME(EINVAL);
	CHECK_NAME(ENOENT);
	CHECK_NAME(ENOTCONN);
	CHECK_NAME(EEXIST);
	CHECK_NAME(EBUSY);
	CHECK_NAME(ENOPROTOOPT);
	CHECK_NAME(EOPNOTSUPP);
	CHECK_NAME(EBADMSG);
	CHECK_NAME(EMSGSIZE);
	CHECK_NAME(EIO);
	CHECK_NAME(EAGAIN);
	CHECK_NAME(EACCES);
	CHECK_NAME(ETIMEDOUT);
	CHECK_NAME(EKEYEXPIRED);
	CHECK_NAME(EPERM);
	CHECK_NAME(ENOSPC);
	CHECK_NAME(EFAULT);
	CHECK_NAME(ESRCH);
	CHECK_NAME(EINPROGRESS);
#undef CHECK_NAME
}

TEST(expects_pass)
{
	char s[] = "x";

	EXPECT_EQ(1, 1);
	EXPECT_NE(1, 2);
	EXPECT_LT(1, 2);
	EXPECT_LE(2, 2);
	EXPECT_GT(3, 2);
	EXPECT_GE(3, 3);
	EXPECT_TRUE(1);
	EXPECT_FALSE(0);
	EXPECT_STREQ(s, "x");
	EXPECT_STRNE(s, "y");
	EXPECT_MEMEQ(s, "x", 2);
	EXPECT_ERRNO(close(-1), EBADF);
	EXPECT_OK(0);
	ASSERT_STREQ(th_test_name(), "expects_pass");
}

FIXTURE(order) {
	int stage;
	char pad[64];
};

FIXTURE_SETUP(order)
{
	static const char zero[sizeof(*self)];

	ASSERT_MEMEQ(self, zero, sizeof(*self));
	ASSERT_EQ(variant, NULL);
	self->stage = 1;
}

FIXTURE_TEARDOWN(order)
{
	ASSERT_EQ(self->stage, 2);
}

TEST_F(order, setup_then_body)
{
	ASSERT_EQ(self->stage, 1);
	ASSERT_STREQ(th_test_name(), "order.setup_then_body");
	self->stage = 2;
}

FIXTURE(var) {
	int seen;
};

FIXTURE_VARIANT(var) {
	int value;
	const char *label;
};

FIXTURE_VARIANT_ADD(var, one) {
	.value = 1,
	.label = "one",
};

FIXTURE_VARIANT_ADD(var, two) {
	.value = 2,
	.label = "two",
};

FIXTURE_SETUP(var)
{
	ASSERT_NE(variant, NULL);
	self->seen = variant->value;
}

FIXTURE_TEARDOWN(var)
{
}

TEST_F(var, sees_variant)
{
	char want[64];

	snprintf(want, sizeof(want), "var.%s.sees_variant", variant->label);
	ASSERT_STREQ(th_test_name(), want);
	ASSERT_EQ(self->seen, variant->value);
}

TEST_F_TIMEOUT(var, own_timeout, 30)
{
	ASSERT_EQ(self->seen, variant->value);
}

/* ---- deliberately bad tests, run only by meta.bad_tests ---- */

TEST(bad_sanity)
{
	TH_LOG("sanity-marker %d", 7);
	note("sanity");
}

TEST(bad_assert_eq)
{
	note("assert-eq");
	ASSERT_EQ(1 + 1, 3);
	note("after-assert");
}

TEST(bad_expect_continue)
{
	unsigned char a[40] = { 0 }, b[40] = { 0 };

	b[33] = 7;
	EXPECT_EQ(2, 3);
	EXPECT_STREQ("a", "b");
	EXPECT_MEMEQ(a, b, sizeof(a));
	note("expect-continued");
}

TEST(bad_segv)
{
	/* Both volatile, or an optimising compiler may drop the store. */
	volatile int *volatile p = NULL;

	*p = 1;
}

TEST(bad_abort)
{
	abort();
}

TEST(bad_signal)
{
	raise(SIGUSR1);
	note("after-signal");
}

/* The helper stays in the test's process group; the runner must kill it
 * too, or the meta test would wait for its stdout to close. */
TEST_TIMEOUT(bad_timeout, 1)
{
	const char *dir = getenv("TLSO_HARNESS_SELFTEST_DIR");
	char path[PATH_MAX], c = 0;
	int p[2];
	pid_t pid;

	ASSERT_OK(pipe(p));
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/helper.pid", dir ? dir : "/tmp");
		f = fopen(path, "w");
		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
		if (write(p[1], &c, 1) < 0)
			_exit(1);
		sleep(30);
		_exit(0);
	}
	ASSERT_EQ(read(p[0], &c, 1), 1);
	sleep(30);
}

TEST(bad_skip)
{
	SKIP("skipping on purpose %d", 42);
	note("after-skip");
}

TEST(bad_errno_success)
{
	int fd = open("/dev/null", O_RDONLY);

	ASSERT_ERRNO(close(fd), EBADF);
}

TEST(bad_errno_wrong)
{
	ASSERT_ERRNO(close(-1), EINVAL);
}

TEST(bad_ok)
{
	ASSERT_OK(open("/nonexistent-tlso/x", O_RDONLY));
}

TEST(bad_exit)
{
	exit(0);
}

FIXTURE(bad_fix) {
	int unused;
};

FIXTURE_SETUP(bad_fix)
{
	note("fix-setup");
}

FIXTURE_TEARDOWN(bad_fix)
{
	note("fix-teardown");
}

TEST_F(bad_fix, assert_fails)
{
	note("fix-body");
	ASSERT_TRUE(0);
	note("fix-after");
}

FIXTURE(bad_skipfix) {
	int unused;
};

FIXTURE_SETUP(bad_skipfix)
{
	note("skipfix-setup");
	SKIP("no such feature");
}

FIXTURE_TEARDOWN(bad_skipfix)
{
	note("skipfix-teardown");
}

TEST_F(bad_skipfix, skipped)
{
	note("skipfix-body");
}

FIXTURE(bad_setupfail) {
	int unused;
};

FIXTURE_SETUP(bad_setupfail)
{
	note("setupfail-setup");
	ASSERT_EQ(0, 1);
}

FIXTURE_TEARDOWN(bad_setupfail)
{
	note("setupfail-teardown");
}

TEST_F(bad_setupfail, never)
{
	note("setupfail-body");
}

/* ---- meta tests: run this binary again and check what it reports ---- */

struct run {
	int status;
	size_t len;
	char out[65536];
};

FIXTURE(meta) {
	char dir[64];
	struct run r;
};

FIXTURE_SETUP(meta)
{
	char tmpl[] = "/tmp/tlso-harness-XXXXXX";

	ASSERT_NE(mkdtemp(tmpl), NULL);
	strcpy(self->dir, tmpl);
}

FIXTURE_TEARDOWN(meta)
{
	static const char *const files[] = { "log", "stderr", "helper.pid" };
	char path[128];
	size_t i;

	if (!self->dir[0])
		return;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", self->dir, files[i]);
		unlink(path);
	}
	EXPECT_OK(rmdir(self->dir));
}

static void run_self(struct run *r, const char *dir, bool bad, char *arg1,
		     char *arg2)
{
	char *argv[] = { "harness_test", arg1, arg2, NULL };
	char path[128], buf[4096];
	ssize_t n;
	pid_t pid;
	int p[2];

	r->len = 0;
	ASSERT_OK(pipe(p));
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		/* Sanitizer reports from the crash tests go to a file. */
		snprintf(path, sizeof(path), "%s/stderr", dir);
		dup2(open(path, O_WRONLY | O_CREAT | O_APPEND, 0600), 2);
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		if (bad)
			setenv("TLSO_HARNESS_SELFTEST_BAD", "1", 1);
		else
			unsetenv("TLSO_HARNESS_SELFTEST_BAD");
		setenv("TLSO_HARNESS_SELFTEST_DIR", dir, 1);
		setenv("TLSO_TEST_TIMEOUT_SCALE", "1", 1);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0) {
		size_t room = sizeof(r->out) - 1 - r->len;

		memcpy(r->out + r->len, buf, (size_t)n < room ? (size_t)n : room);
		r->len += (size_t)n < room ? (size_t)n : room;
	}
	r->out[r->len] = '\0';
	close(p[0]);
	ASSERT_EQ(waitpid(pid, &r->status, 0), pid);
	ASSERT_TRUE(WIFEXITED(r->status));
}

/* Number of lines starting with prefix; *line gets the last one. */
static int count_lines(const char *out, const char *prefix, const char **line)
{
	const char *s = out;
	int n = 0;

	while (*s) {
		if (!strncmp(s, prefix, strlen(prefix))) {
			n++;
			if (line)
				*line = s;
		}
		s = strchr(s, '\n');
		if (!s)
			break;
		s++;
	}
	return n;
}

static int count_result(const char *out, const char *verdict,
			const char *name, const char **line)
{
	char prefix[128];

	snprintf(prefix, sizeof(prefix), "%s: harness_test: %s%s", verdict,
		 name, strcmp(verdict, "PASS") ? ":" : "\n");
	return count_lines(out, prefix, line);
}

/* Exactly one result line for name, with the given verdict, containing
 * needle if that is non-NULL. */
static void expect_result(const char *out, const char *verdict,
			  const char *name, const char *needle)
{
	const char *line = NULL;
	char text[512];

	EXPECT_EQ(count_result(out, "PASS", name, NULL) +
		  count_result(out, "FAIL", name, NULL) +
		  count_result(out, "SKIP", name, NULL), 1);
	EXPECT_EQ(count_result(out, verdict, name, &line), 1);
	if (line && needle) {
		snprintf(text, sizeof(text), "%.*s", (int)strcspn(line, "\n"), line);
		if (!strstr(text, needle))
			TH_LOG("'%s' lacks '%s'", text, needle);
		EXPECT_TRUE(strstr(text, needle));
	}
}

static void read_file(const char *dir, const char *name, char *buf, size_t size)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	ASSERT_OK(fd);
	n = read(fd, buf, size - 1);
	close(fd);
	ASSERT_OK(n);
	buf[n] = '\0';
}

TEST_F_TIMEOUT(meta, bad_tests, 60)
{
	char log[512], pidbuf[32], stat[256], sig[128];
	struct timespec t0, t1;
	const char *o = self->r.out;
	FILE *f;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_self(&self->r, self->dir, true, "bad_*", NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (WEXITSTATUS(self->r.status) != 1)
		TH_LOG("output:\n%s", o);
	ASSERT_EQ(WEXITSTATUS(self->r.status), 1);

	snprintf(sig, sizeof(sig), "killed by signal %d (%s)", SIGUSR1,
		 strsignal(SIGUSR1));
	expect_result(o, "PASS", "bad_sanity", NULL);
	expect_result(o, "FAIL", "bad_assert_eq", "ASSERT_EQ(1 + 1, 3)");
	expect_result(o, "FAIL", "bad_expect_continue", "EXPECT_EQ(2, 3) (+2 more)");
	expect_result(o, "FAIL", "bad_segv", NULL);
	expect_result(o, "FAIL", "bad_abort", NULL);
	expect_result(o, "FAIL", "bad_signal", sig);
	expect_result(o, "FAIL", "bad_timeout", ": timeout after 1 s");
	expect_result(o, "SKIP", "bad_skip", NULL);
	expect_result(o, "FAIL", "bad_errno_success", "ASSERT_ERRNO(close(fd), EBADF)");
	expect_result(o, "FAIL", "bad_errno_wrong", "ASSERT_ERRNO(close(-1), EINVAL)");
	expect_result(o, "FAIL", "bad_ok", "ASSERT_OK(open(");
	expect_result(o, "FAIL", "bad_exit",
		      "exited with status 0 before the test finished");
	expect_result(o, "FAIL", "bad_fix.assert_fails", "ASSERT_TRUE(0)");
	expect_result(o, "SKIP", "bad_skipfix.skipped", NULL);
	expect_result(o, "FAIL", "bad_setupfail.never", "ASSERT_EQ(0, 1)");
	EXPECT_EQ(count_lines(o, "SKIP: harness_test: bad_skip: "
			      "skipping on purpose 42\n", NULL), 1);
	EXPECT_EQ(count_lines(o, "SKIP: harness_test: bad_skipfix.skipped: "
			      "no such feature\n", NULL), 1);
	EXPECT_EQ(count_lines(o, "# harness_test: totals pass=1 fail=12 skip=2\n",
			      NULL), 1);
	EXPECT_EQ(count_lines(o, "# harness_test: totals", NULL), 1);

	/* Diagnostics: values, errno names, and nothing printed twice. */
	EXPECT_EQ(count_lines(o, "# sanity-marker 7\n", NULL), 1);
	EXPECT_EQ(count_lines(o, "#   1 + 1 = 2\n", NULL), 1);
	EXPECT_TRUE(strstr(o, "#   first difference at offset 33 of 40\n"
			      "#   a +32: 00 00 00 00 00 00 00 00\n"
			      "#   b +32: 00 07 00 00 00 00 00 00\n"));
	EXPECT_TRUE(strstr(o, "#   returned 0, expected -1 with "
			      "EBADF (Bad file descriptor)\n"));
	EXPECT_TRUE(strstr(o, "#   returned -1 with EBADF (Bad file descriptor), "
			      "expected EINVAL (Invalid argument)\n"));
	EXPECT_TRUE(strstr(o, "#   returned -1 with "
			      "ENOENT (No such file or directory)\n"));

	/* Teardown ran after the body's ASSERT and after setup's SKIP, not
	 * after setup's ASSERT; nothing ran past ASSERT, SKIP or a signal. */
	read_file(self->dir, "log", log, sizeof(log));
	EXPECT_STREQ(log, "sanity\nassert-eq\nexpect-continued\n"
			  "fix-setup\nfix-body\nfix-teardown\n"
			  "skipfix-setup\nskipfix-teardown\n"
			  "setupfail-setup\n");

	/* The timeout test's helper slept 30 s; stdout reaching EOF early
	 * and the helper being gone show that its process group was killed. */
	EXPECT_LT(t1.tv_sec - t0.tv_sec, 20);
	read_file(self->dir, "helper.pid", pidbuf, sizeof(pidbuf));
	snprintf(stat, sizeof(stat), "/proc/%d/stat", atoi(pidbuf));
	f = fopen(stat, "r");
	if (f) {
		/* Only a zombie nobody reaped yet is acceptable. */
		ASSERT_NE(fgets(stat, sizeof(stat), f), NULL);
		fclose(f);
		ASSERT_NE(strrchr(stat, ')'), NULL);
		EXPECT_EQ(strrchr(stat, ')')[2], 'Z');
	}
}

TEST_F(meta, list)
{
	run_self(&self->r, self->dir, false, "-l", NULL);
	ASSERT_EQ(WEXITSTATUS(self->r.status), 0);
	ASSERT_STREQ(self->r.out,
		     "cmp_integers\n"
		     "cmp_pointers_floats\n"
		     "args_evaluated_once\n"
		     "strings_and_memory\n"
		     "errno_checks\n"
		     "errno_names\n"
		     "expects_pass\n"
		     "order.setup_then_body\n"
		     "var.one.sees_variant\n"
		     "var.two.sees_variant\n"
		     "var.one.own_timeout\n"
		     "var.two.own_timeout\n"
		     "meta.bad_tests\n"
		     "meta.list\n"
		     "meta.filters\n");
}

TEST_F(meta, filters)
{
	struct run *r = &self->r;

	run_self(r, self->dir, false, "-l", "var.*.sees_variant");
	EXPECT_EQ(WEXITSTATUS(r->status), 0);
	EXPECT_STREQ(r->out, "var.one.sees_variant\nvar.two.sees_variant\n");

	run_self(r, self->dir, false, "-l", "cmp_");
	EXPECT_EQ(WEXITSTATUS(r->status), 0);
	EXPECT_STREQ(r->out, "cmp_integers\ncmp_pointers_floats\n");

	/* A real run through a pipe: stdio must not duplicate anything. */
	run_self(r, self->dir, false, "order", NULL);
	EXPECT_EQ(WEXITSTATUS(r->status), 0);
	EXPECT_STREQ(r->out, "PASS: harness_test: order.setup_then_body\n"
			     "# harness_test: totals pass=1 fail=0 skip=0\n");

	run_self(r, self->dir, false, "order", "zzz_nomatch");
	EXPECT_EQ(WEXITSTATUS(r->status), 1);
	EXPECT_STREQ(r->out, "FAIL: harness_test: no test matches 'zzz_nomatch'\n");

	run_self(r, self->dir, false, "-h", NULL);
	EXPECT_EQ(WEXITSTATUS(r->status), 0);
	EXPECT_TRUE(strstr(r->out, "usage: harness_test [-l] [FILTER...]"));

	run_self(r, self->dir, false, "--bogus", NULL);
	EXPECT_EQ(WEXITSTATUS(r->status), 2);
}

TEST_HARNESS_MAIN
