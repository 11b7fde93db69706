/* SPDX-License-Identifier: GPL-2.0 */
/*
 * harness.h - single-header test harness for tlso userspace tests.
 *
 * Include in exactly one translation unit per test binary, then:
 *
 *   TEST(name) { ... }                      plain test, 120 s timeout
 *   TEST_TIMEOUT(name, secs) { ... }        plain test with its own timeout
 *   FIXTURE(f) { members; };                per-case data, zeroed, as `self`
 *   FIXTURE_VARIANT(f) { const members; };  optional parameter block
 *   FIXTURE_VARIANT_ADD(f, v) { .member = value, ... };
 *   FIXTURE_SETUP(f) { ... }                optional; sees self, variant
 *   FIXTURE_TEARDOWN(f) { ... }             optional; sees self, variant
 *   TEST_F(f, t) { ... }                    one case per variant: "f.v.t",
 *                                           or "f.t" with variant == NULL
 *   TEST_F_TIMEOUT(f, t, secs) { ... }      same, with its own timeout
 *   TEST_HARNESS_MAIN                       defines main()
 *
 * Checks: ASSERT_/EXPECT_ + EQ NE LT LE GT GE (integers, pointers, floats;
 * mixed signedness compares mathematically), TRUE FALSE, STREQ STRNE
 * (NULL-safe), MEMEQ(a, b, len), ERRNO(expr, E) (expr must return -1 with
 * errno E), OK(expr) (expr >= 0). ASSERT_* ends the current phase, EXPECT_*
 * records the failure and continues. Both work from helper functions; in a
 * process forked by the test or in another thread, ASSERT_* records the
 * failure and _exit()s that process. SKIP(fmt, ...) ends the test as skipped;
 * TH_LOG(fmt, ...) prints "# ..." diagnostics; th_test_name() is the case name.
 *
 * Teardown runs when setup completed or SKIPped, never after an ASSERT failure
 * inside setup. Every case runs in a forked child in its own process group,
 * which is SIGKILLed on timeout. Timeouts are multiplied by the environment
 * variable TLSO_TEST_TIMEOUT_SCALE (default 1). Cases run in declaration order
 * (variants in the order they were added, per test).
 *
 * Usage: prog [-l] [FILTER...]; a FILTER selects names containing it, or
 * matching it as a whole if it has glob characters. th_exclude(pattern),
 * called from a constructor, drops matching cases entirely. Output lines:
 * "PASS: prog: name", "FAIL: prog: name: reason", "SKIP: prog: name: reason",
 * "# ..." diagnostics and "# prog: totals pass=P fail=F skip=S". Exit status
 * is 1 if anything failed, 2 on usage errors, 0 otherwise.
 */
#ifndef TLSO_TESTS_HARNESS_H
#define TLSO_TESTS_HARNESS_H

#include <errno.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef TH_DEFAULT_TIMEOUT
#define TH_DEFAULT_TIMEOUT 120
#endif

#define TH_FN static __attribute__((unused))
#define TH_UNUSED __attribute__((unused))
#define TH_PRINTF(f, a) __attribute__((format(printf, f, a)))

typedef void (*th_hook_fn)(void *self, const void *variant);

struct th_variant {
	const char *variant_name;
	const void *data;
	int order;
	struct th_variant *next;
};

struct th_fixture {
	th_hook_fn setup, teardown;
	struct th_variant *variants;
};

struct th_test {
	const char *fixture_name, *test_name;
	struct th_fixture *fixture;
	size_t self_size;
	th_hook_fn body;
	double timeout;
	int order;
	struct th_test *next;
};

struct th_case {
	struct th_test *test;
	const struct th_variant *variant;
	char *name;
	int selected;
};

/* Lives in a shared mapping so that the parent, and failures from processes
 * the test forks, all see the same verdict. */
struct th_result {
	int nfail, skipped, done, exit_code;
	char reason[384], skip_reason[256];
};

enum { TH_PASS, TH_FAIL, TH_SKIP };

static struct th_test *th_tests;
static const char *th_excludes[16];
static int th_nexcludes;
static const char *th_prog = "test";
static struct th_result *th_res;
static sigset_t th_orig_mask;
static const int th_fatal_sigs[3] = { SIGINT, SIGTERM, SIGHUP };
static struct sigaction th_orig_act[3];
static volatile sig_atomic_t th_cur_child;

/* Child-side state; global because it must survive siglongjmp. */
static struct {
	pid_t pid;
	int armed, setup_done;
	struct th_case *c;
	void *self;
	const void *variant;
	sigjmp_buf jb;
} th_ctx;

/* Constructors do not reliably run in declaration order (LTO reverses
 * them), so each registration carries a __COUNTER__ value to sort by. */
TH_FN void th_register(struct th_test *t)
{
	struct th_test **p = &th_tests;

	while (*p && (*p)->order < t->order)
		p = &(*p)->next;
	t->next = *p;
	*p = t;
}

TH_FN void th_add_variant(struct th_fixture *f, struct th_variant *v)
{
	struct th_variant **p = &f->variants;

	while (*p && (*p)->order < v->order)
		p = &(*p)->next;
	v->next = *p;
	*p = v;
}

TH_FN void th_exclude(const char *pattern)
{
	if (th_nexcludes < 16)
		th_excludes[th_nexcludes++] = pattern;
}

TH_FN const char *th_test_name(void)
{
	return th_ctx.c ? th_ctx.c->name : NULL;
}

/* ---- registration ---- */

#define _TH_REGISTER(id, fxname, tname, fx, size, wrap, secs)		\
	static struct th_test _th_t_##id = {				\
		.fixture_name = fxname, .test_name = tname, .fixture = fx, \
		.self_size = size, .body = wrap, .timeout = (secs),	\
		.order = __COUNTER__,					\
	};								\
	static void __attribute__((constructor)) _th_r_##id(void)	\
	{								\
		th_register(&_th_t_##id);				\
	}

#define TEST(name) TEST_TIMEOUT(name, TH_DEFAULT_TIMEOUT)
#define TEST_TIMEOUT(name, secs)					\
	static void _th_b_##name(void);					\
	static void _th_w_##name(void *s TH_UNUSED, const void *v TH_UNUSED) \
	{								\
		_th_b_##name();						\
	}								\
	_TH_REGISTER(name, NULL, #name, NULL, 0, _th_w_##name, secs)	\
	static void _th_b_##name(void)

#define FIXTURE(fname)							\
	struct _th_variant_##fname;					\
	static struct th_fixture _th_fx_##fname TH_UNUSED;		\
	struct _th_data_##fname

#define FIXTURE_VARIANT(fname) struct _th_variant_##fname

#define FIXTURE_VARIANT_ADD(fname, vname)				\
	static const struct _th_variant_##fname _th_vd_##fname##__##vname; \
	static struct th_variant _th_v_##fname##__##vname = {		\
		.variant_name = #vname, .data = &_th_vd_##fname##__##vname, \
		.order = __COUNTER__,					\
	};								\
	static void __attribute__((constructor)) _th_vr_##fname##__##vname(void) \
	{								\
		th_add_variant(&_th_fx_##fname, &_th_v_##fname##__##vname); \
	}								\
	static const struct _th_variant_##fname _th_vd_##fname##__##vname =

/* A typed function plus a void * trampoline, so that nothing is ever
 * called through a function pointer of the wrong type. */
#define _TH_TYPED(fname, id)						\
	static void id(struct _th_data_##fname *self,			\
		       const struct _th_variant_##fname *variant);	\
	static void id##_w(void *self, const void *variant)		\
	{								\
		id(self, variant);					\
	}

#define _TH_TYPED_BODY(fname, id)					\
	static void id(struct _th_data_##fname *self TH_UNUSED,		\
		       const struct _th_variant_##fname *variant TH_UNUSED)

#define _TH_HOOK(fname, kind)						\
	_TH_TYPED(fname, _th_##kind##_##fname)				\
	static void __attribute__((constructor)) _th_##kind##_r_##fname(void) \
	{								\
		_th_fx_##fname.kind = _th_##kind##_##fname##_w;		\
	}								\
	_TH_TYPED_BODY(fname, _th_##kind##_##fname)

#define FIXTURE_SETUP(fname) _TH_HOOK(fname, setup)
#define FIXTURE_TEARDOWN(fname) _TH_HOOK(fname, teardown)

#define TEST_F(fname, tname) TEST_F_TIMEOUT(fname, tname, TH_DEFAULT_TIMEOUT)
#define TEST_F_TIMEOUT(fname, tname, secs)				\
	_TH_TYPED(fname, _th_f_##fname##__##tname)			\
	_TH_REGISTER(fname##__##tname, #fname, #tname, &_th_fx_##fname,	\
		     sizeof(struct _th_data_##fname),			\
		     _th_f_##fname##__##tname##_w, secs)		\
	_TH_TYPED_BODY(fname, _th_f_##fname##__##tname)

#define TEST_HARNESS_MAIN						\
	int main(int argc, char **argv)					\
	{								\
		return th_main(argc, argv);				\
	}

/* ---- reporting ---- */

TH_FN const char *th_base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

TH_FN TH_PRINTF(1, 2) void th_log(const char *fmt, ...)
{
	char buf[4096], *line, *nl;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (line = buf; line; line = nl && nl[1] ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		printf("# %s\n", line);
	}
	fflush(stdout);
}

#define TH_LOG(fmt, ...) th_log(fmt, ##__VA_ARGS__)

/* Leave the current phase: back to th_child() in the test process proper;
 * a helper process, another thread or code outside any test just exits. */
TH_FN __attribute__((noreturn)) void th_bail(void)
{
	if (th_ctx.armed && getpid() == th_ctx.pid &&
	    syscall(SYS_gettid) == th_ctx.pid)
		siglongjmp(th_ctx.jb, 1);
	fflush(stdout);
	fflush(stderr);
	_exit(TH_FAIL);
}

/* Prints the headline and keeps the first failure as the case's reason;
 * the caller adds detail lines, then _TH_END() decides whether to go on. */
TH_FN TH_PRINTF(3, 4) void th_fail(const char *file, int line,
				   const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	printf("# %s:%d: %s failed\n", th_base(file), line, what);
	if (th_ctx.pid && __atomic_fetch_add(&th_res->nfail, 1, __ATOMIC_SEQ_CST) == 0)
		snprintf(th_res->reason, sizeof(th_res->reason), "%s:%d: %s",
			 th_base(file), line, what);
}

/* Outside a test there is nobody to report to, so even EXPECT bails. */
#define _TH_END(fatal) do {						\
	fflush(stdout);							\
	if ((fatal) || !th_ctx.pid)					\
		th_bail();						\
} while (0)

TH_FN __attribute__((noreturn)) TH_PRINTF(1, 2) void th_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (th_ctx.pid && !__atomic_exchange_n(&th_res->skipped, 1, __ATOMIC_SEQ_CST))
		vsnprintf(th_res->skip_reason, sizeof(th_res->skip_reason), fmt, ap);
	va_end(ap);
	th_bail();
}

#define SKIP(fmt, ...) th_skip(fmt, ##__VA_ARGS__)

/* ---- checks ---- */

enum { TH_K_S, TH_K_U, TH_K_P, TH_K_F };	/* signed, unsigned, pointer, float */
enum { TH_EQ, TH_NE, TH_LT, TH_LE, TH_GT, TH_GE };

struct th_val {
	int kind;
	union {
		long long s;
		unsigned long long u;
		double f;
	};
};

#define _TH_VAL_CTOR(k, type, member, conv)				\
	static inline struct th_val th_val_##k(type v)			\
	{								\
		return (struct th_val){ .kind = TH_K_##k, .member = conv v }; \
	}
_TH_VAL_CTOR(S, long long, s, )
_TH_VAL_CTOR(U, unsigned long long, u, )
_TH_VAL_CTOR(P, const volatile void *, u, (uintptr_t))
_TH_VAL_CTOR(F, double, f, )

/* The unevaluated "1 ? x : x" applies integer promotions and decays arrays,
 * so the type list stays short and bit-fields work. Only the selected
 * converter is applied to x, so no cross-type casts are ever compiled. */
#define _TH_VAL(x) _Generic(1 ? (x) : (x),				\
	int: th_val_S, long: th_val_S, long long: th_val_S,		\
	unsigned int: th_val_U, unsigned long: th_val_U,		\
	unsigned long long: th_val_U, float: th_val_F, double: th_val_F, \
	default: th_val_P)(x)

TH_FN double th_as_double(struct th_val v)
{
	return v.kind == TH_K_F ? v.f : v.kind == TH_K_S ? (double)v.s : (double)v.u;
}

TH_FN int th_check(int op, struct th_val a, struct th_val b)
{
	int lt, eq, gt;

	if (a.kind == TH_K_F || b.kind == TH_K_F) {
		double x = th_as_double(a), y = th_as_double(b);

		/* NaN leaves all three false, so only NE can pass. */
		lt = x < y, eq = x == y, gt = x > y;
	} else {
		int c;

		/* A negative signed value is below every unsigned one. */
		if (a.kind == TH_K_S && b.kind == TH_K_S)
			c = (a.s > b.s) - (a.s < b.s);
		else if (a.kind == TH_K_S && a.s < 0)
			c = -1;
		else if (b.kind == TH_K_S && b.s < 0)
			c = 1;
		else
			c = (a.u > b.u) - (a.u < b.u);
		lt = c < 0, eq = c == 0, gt = c > 0;
	}
	switch (op) {
	case TH_EQ: return eq;
	case TH_NE: return !eq;
	case TH_LT: return lt;
	case TH_LE: return lt || eq;
	case TH_GT: return gt;
	default: return gt || eq;
	}
}

TH_FN void th_print_val(const char *expr, struct th_val v)
{
	switch (v.kind) {
	case TH_K_S: printf("#   %s = %lld\n", expr, v.s); break;
	case TH_K_U: printf("#   %s = %llu (0x%llx)\n", expr, v.u, v.u); break;
	case TH_K_P: printf("#   %s = %p\n", expr, (void *)(uintptr_t)v.u); break;
	default: printf("#   %s = %g\n", expr, v.f); break;
	}
}

#define _TH_CMP(fatal, mac, op, a, b, sa, sb) do {			\
	struct th_val _th_a = _TH_VAL(a), _th_b = _TH_VAL(b);		\
	if (!th_check(op, _th_a, _th_b)) {				\
		th_fail(__FILE__, __LINE__, "%s(%s, %s)", mac, sa, sb);	\
		th_print_val(sa, _th_a);				\
		th_print_val(sb, _th_b);				\
		_TH_END(fatal);						\
	}								\
} while (0)

#define _TH_BOOL(fatal, mac, want, x, sx) do {				\
	_Bool _th_v = (x);						\
	if (_th_v != (want)) {						\
		th_fail(__FILE__, __LINE__, "%s(%s)", mac, sx);		\
		_TH_END(fatal);						\
	}								\
} while (0)

TH_FN void th_print_str(const char *expr, const char *s)
{
	printf(s ? "#   %s = \"%s\"\n" : "#   %s = %s\n", expr, s ? s : "NULL");
}

#define _TH_STR(fatal, mac, want_eq, a, b, sa, sb) do {			\
	const char *_th_sa = (a), *_th_sb = (b);			\
	int _th_eq = _th_sa && _th_sb ? !strcmp(_th_sa, _th_sb) :	\
					_th_sa == _th_sb;		\
	if (_th_eq != (want_eq)) {					\
		th_fail(__FILE__, __LINE__, "%s(%s, %s)", mac, sa, sb);	\
		th_print_str(sa, _th_sa);				\
		th_print_str(sb, _th_sb);				\
		_TH_END(fatal);						\
	}								\
} while (0)

/* Shows the 16-byte row holding the first difference, from both sides. */
TH_FN void th_print_mem(const char *ea, const char *eb, const void *a,
			const void *b, size_t len)
{
	const unsigned char *p[2] = { a, b };
	const char *e[2] = { ea, eb };
	size_t off = 0, i, k;

	while (off < len && p[0][off] == p[1][off])
		off++;
	printf("#   first difference at offset %zu of %zu\n", off, len);
	for (k = 0; k < 2; k++) {
		printf("#   %s +%zu:", e[k], off & ~(size_t)15);
		for (i = off & ~(size_t)15; i < len && i < (off | 15) + 1; i++)
			printf(" %02x", p[k][i]);
		printf("\n");
	}
}

#define _TH_MEM(fatal, mac, a, b, len, sa, sb, sl) do {			\
	const void *_th_ma = (a), *_th_mb = (b);			\
	size_t _th_ml = (len);						\
	if (_th_ml && memcmp(_th_ma, _th_mb, _th_ml)) {			\
		th_fail(__FILE__, __LINE__, "%s(%s, %s, %s)", mac, sa, sb, sl); \
		th_print_mem(sa, sb, _th_ma, _th_mb, _th_ml);		\
		_TH_END(fatal);						\
	}								\
} while (0)

TH_FN const char *th_errno_name(int e)
{
#define _TH_E(x) { x, #x }
	static const struct { int e; const char *name; } tab[] = {
		_TH_E(EPERM), _TH_E(ENOENT), _TH_E(ESRCH), _TH_E(EINTR),
		_TH_E(EIO), _TH_E(EBADF), _TH_E(EAGAIN), _TH_E(ENOMEM),
		_TH_E(EACCES), _TH_E(EFAULT), _TH_E(EBUSY), _TH_E(EEXIST),
		_TH_E(ENODEV), _TH_E(EINVAL), _TH_E(ENOSPC), _TH_E(EPIPE),
		_TH_E(ENOSYS), _TH_E(EBADMSG), _TH_E(ENOTSOCK),
		_TH_E(EMSGSIZE), _TH_E(ENOPROTOOPT), _TH_E(EPROTONOSUPPORT),
		_TH_E(EOPNOTSUPP), _TH_E(EAFNOSUPPORT), _TH_E(EADDRINUSE),
		_TH_E(ECONNRESET), _TH_E(EISCONN), _TH_E(ENOTCONN),
		_TH_E(ETIMEDOUT), _TH_E(ECONNREFUSED), _TH_E(EALREADY),
		_TH_E(EINPROGRESS), _TH_E(EKEYEXPIRED),
	};
#undef _TH_E
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].e == e)
			return tab[i].name;
	return NULL;
}

/* "EINVAL (Invalid argument)", or "errno 1234 (Unknown error 1234)". */
TH_FN const char *th_errno_str(char *buf, size_t n, int e)
{
	const char *name = th_errno_name(e);

	if (name)
		snprintf(buf, n, "%s (%s)", name, strerror(e));
	else
		snprintf(buf, n, "errno %d (%s)", e, strerror(e));
	return buf;
}

TH_FN void th_print_errno(long long ret, int err, int want, int check_ok)
{
	char got[96], exp[96];

	th_errno_str(got, sizeof(got), ret == -1 ? err : (int)-ret);
	th_errno_str(exp, sizeof(exp), want);
	if (ret == -1)
		printf("#   returned -1 with %s", got);
	else if (check_ok && ret >= -4095)	/* a kernel-style -errno */
		printf("#   returned %lld, i.e. -%s", ret, got);
	else
		printf("#   returned %lld", ret);
	printf(check_ok ? "\n" : ret == -1 ? ", expected %s\n" :
	       ", expected -1 with %s\n", exp);
}

/* errno is sampled right after expr, before anything can clobber it.
 * ok: expr >= 0 passes; otherwise expr == -1 && errno == E passes. */
#define _TH_RET(fatal, mac, ok, expr, E, text) do {			\
	long long _th_r;						\
	int _th_e;							\
	errno = 0;							\
	_th_r = (long long)(expr);					\
	_th_e = errno;							\
	if ((ok) ? _th_r < 0 : _th_r != -1 || _th_e != (E)) {		\
		th_fail(__FILE__, __LINE__, "%s(%s)", mac, text);	\
		th_print_errno(_th_r, _th_e, (E), ok);			\
		_TH_END(fatal);						\
	}								\
} while (0)

/* Operands are stringified here, before they are macro-expanded. */
#define ASSERT_EQ(a, b) _TH_CMP(1, "ASSERT_EQ", TH_EQ, a, b, #a, #b)
#define ASSERT_NE(a, b) _TH_CMP(1, "ASSERT_NE", TH_NE, a, b, #a, #b)
#define ASSERT_LT(a, b) _TH_CMP(1, "ASSERT_LT", TH_LT, a, b, #a, #b)
#define ASSERT_LE(a, b) _TH_CMP(1, "ASSERT_LE", TH_LE, a, b, #a, #b)
#define ASSERT_GT(a, b) _TH_CMP(1, "ASSERT_GT", TH_GT, a, b, #a, #b)
#define ASSERT_GE(a, b) _TH_CMP(1, "ASSERT_GE", TH_GE, a, b, #a, #b)
#define ASSERT_TRUE(x) _TH_BOOL(1, "ASSERT_TRUE", 1, x, #x)
#define ASSERT_FALSE(x) _TH_BOOL(1, "ASSERT_FALSE", 0, x, #x)
#define ASSERT_STREQ(a, b) _TH_STR(1, "ASSERT_STREQ", 1, a, b, #a, #b)
#define ASSERT_STRNE(a, b) _TH_STR(1, "ASSERT_STRNE", 0, a, b, #a, #b)
#define ASSERT_MEMEQ(a, b, n) _TH_MEM(1, "ASSERT_MEMEQ", a, b, n, #a, #b, #n)
#define ASSERT_ERRNO(x, E) _TH_RET(1, "ASSERT_ERRNO", 0, x, E, #x ", " #E)
#define ASSERT_OK(x) _TH_RET(1, "ASSERT_OK", 1, x, 0, #x)

#define EXPECT_EQ(a, b) _TH_CMP(0, "EXPECT_EQ", TH_EQ, a, b, #a, #b)
#define EXPECT_NE(a, b) _TH_CMP(0, "EXPECT_NE", TH_NE, a, b, #a, #b)
#define EXPECT_LT(a, b) _TH_CMP(0, "EXPECT_LT", TH_LT, a, b, #a, #b)
#define EXPECT_LE(a, b) _TH_CMP(0, "EXPECT_LE", TH_LE, a, b, #a, #b)
#define EXPECT_GT(a, b) _TH_CMP(0, "EXPECT_GT", TH_GT, a, b, #a, #b)
#define EXPECT_GE(a, b) _TH_CMP(0, "EXPECT_GE", TH_GE, a, b, #a, #b)
#define EXPECT_TRUE(x) _TH_BOOL(0, "EXPECT_TRUE", 1, x, #x)
#define EXPECT_FALSE(x) _TH_BOOL(0, "EXPECT_FALSE", 0, x, #x)
#define EXPECT_STREQ(a, b) _TH_STR(0, "EXPECT_STREQ", 1, a, b, #a, #b)
#define EXPECT_STRNE(a, b) _TH_STR(0, "EXPECT_STRNE", 0, a, b, #a, #b)
#define EXPECT_MEMEQ(a, b, n) _TH_MEM(0, "EXPECT_MEMEQ", a, b, n, #a, #b, #n)
#define EXPECT_ERRNO(x, E) _TH_RET(0, "EXPECT_ERRNO", 0, x, E, #x ", " #E)
#define EXPECT_OK(x) _TH_RET(0, "EXPECT_OK", 1, x, 0, #x)

/* ---- runner ---- */

TH_FN __attribute__((noreturn)) void th_child(struct th_case *c)
{
	struct th_fixture *f = c->test->fixture;
	int i, code;

	for (i = 0; i < 3; i++)
		sigaction(th_fatal_sigs[i], &th_orig_act[i], NULL);
	sigprocmask(SIG_SETMASK, &th_orig_mask, NULL);
	setpgid(0, 0);

	th_ctx.pid = getpid();
	th_ctx.c = c;
	th_ctx.variant = c->variant ? c->variant->data : NULL;
	th_ctx.self = calloc(1, c->test->self_size + 1);
	if (!th_ctx.self) {
		th_fail(__FILE__, __LINE__, "allocating fixture data");
		_TH_END(1);
	}
	if (!sigsetjmp(th_ctx.jb, 1)) {
		th_ctx.armed = 1;
		if (f && f->setup)
			f->setup(th_ctx.self, th_ctx.variant);
		th_ctx.setup_done = 1;
		c->test->body(th_ctx.self, th_ctx.variant);
	}
	if (f && f->teardown && (th_ctx.setup_done || th_res->skipped) &&
	    !sigsetjmp(th_ctx.jb, 1))
		f->teardown(th_ctx.self, th_ctx.variant);
	th_ctx.armed = 0;
	free(th_ctx.self);

	code = th_res->nfail ? TH_FAIL : th_res->skipped ? TH_SKIP : TH_PASS;
	th_res->exit_code = code;
	th_res->done = 1;
	fflush(stdout);
	fflush(stderr);
	/* Only a passing test goes through exit(), so LeakSanitizer checks it;
	 * ASSERT and SKIP unwind by longjmp and leak by design. */
	if (code == TH_PASS)
		exit(code);
	_exit(code);
}

TH_FN double th_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Returns nonzero on timeout. Peeks with WNOWAIT so that the group is
 * killed while the zombie still pins its pid and process group id. */
TH_FN int th_wait(pid_t pid, double tmo, int *status)
{
	double end = th_now() + tmo, left;
	struct timespec ts;
	int timed_out = 0;
	sigset_t chld;
	siginfo_t si;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		si.si_pid = 0;
		if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 &&
		    errno != EINTR)
			break;
		if (si.si_pid == pid)
			break;
		left = end - th_now();
		if (left <= 0) {
			timed_out = 1;
			break;
		}
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		/* SIGCHLD is blocked, so an exit right after waitid() stays
		 * pending and ends this wait at once. */
		sigtimedwait(&chld, NULL, &ts);
	}
	kill(-pid, SIGKILL);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return timed_out;
}

TH_FN int th_run_case(struct th_case *c, double scale)
{
	double tmo = c->test->timeout * scale;
	char abn[128] = "", more[32] = "";
	int st = 0, timed_out;
	pid_t pid;

	memset(th_res, 0, sizeof(*th_res));
	/* Anything still buffered would be written again by the child. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		printf("FAIL: %s: %s: fork: %s\n", th_prog, c->name, strerror(errno));
		return TH_FAIL;
	}
	if (pid == 0)
		th_child(c);
	setpgid(pid, pid);	/* the child does it too; whoever is first wins */
	th_cur_child = pid;
	timed_out = th_wait(pid, tmo, &st);
	th_cur_child = 0;

	if (timed_out)
		snprintf(abn, sizeof(abn), "timeout after %g s", tmo);
	else if (WIFSIGNALED(st))
		snprintf(abn, sizeof(abn), "killed by signal %d (%s)",
			 WTERMSIG(st), strsignal(WTERMSIG(st)));
	else if (!th_res->done)
		snprintf(abn, sizeof(abn),
			 "exited with status %d before the test finished",
			 WEXITSTATUS(st));
	else if (WEXITSTATUS(st) != th_res->exit_code)
		snprintf(abn, sizeof(abn), "exit status %d after the test finished",
			 WEXITSTATUS(st));
	if (th_res->nfail > 1)
		snprintf(more, sizeof(more), " (+%d more)", th_res->nfail - 1);

	if (abn[0] || th_res->nfail) {
		printf("FAIL: %s: %s: %s%s%s%s\n", th_prog, c->name, abn,
		       abn[0] && th_res->nfail ? "; " : "",
		       th_res->nfail ? th_res->reason : "", more);
		return TH_FAIL;
	}
	if (th_res->skipped) {
		printf("SKIP: %s: %s: %s\n", th_prog, c->name,
		       th_res->skip_reason[0] ? th_res->skip_reason : "skipped");
		return TH_SKIP;
	}
	printf("PASS: %s: %s\n", th_prog, c->name);
	return TH_PASS;
}

/* Leaving a test's process group running after ^C would be worse. */
TH_FN void th_on_signal(int sig)
{
	if (th_cur_child > 0)
		kill(-th_cur_child, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

TH_FN int th_match(const char *pattern, const char *name)
{
	if (strpbrk(pattern, "*?["))
		return fnmatch(pattern, name, 0) == 0;
	return strstr(name, pattern) != NULL;
}

TH_FN struct th_case *th_build_cases(size_t *n)
{
	static const struct th_variant none;
	const struct th_variant *v;
	struct th_case *cases = NULL, *c;
	struct th_test *t;
	size_t cap = 0, len;
	int i, skip;

	*n = 0;
	for (t = th_tests; t; t = t->next) {
		v = t->fixture && t->fixture->variants ? t->fixture->variants : &none;
		for (; v; v = v->next) {
			if (*n == cap) {
				cap = cap ? 2 * cap : 32;
				cases = realloc(cases, cap * sizeof(*cases));
				if (!cases)
					return NULL;
			}
			c = &cases[*n];
			len = strlen(t->test_name) + 3 +
			      (t->fixture_name ? strlen(t->fixture_name) : 0) +
			      (v->variant_name ? strlen(v->variant_name) : 0);
			c->name = malloc(len);
			if (!c->name)
				return NULL;
			snprintf(c->name, len, "%s%s%s%s%s",
				 t->fixture_name ? t->fixture_name : "",
				 t->fixture_name ? "." : "",
				 v->variant_name ? v->variant_name : "",
				 v->variant_name ? "." : "", t->test_name);
			for (skip = 0, i = 0; i < th_nexcludes; i++)
				skip |= th_match(th_excludes[i], c->name);
			if (skip) {
				free(c->name);
				continue;
			}
			c->test = t;
			c->variant = v->variant_name ? v : NULL;
			c->selected = 0;
			(*n)++;
		}
	}
	return cases;
}

TH_FN int th_run_all(struct th_case *cases, size_t n, double scale)
{
	int i, cnt[3] = { 0 };
	struct sigaction sa;
	sigset_t chld;
	size_t k;

	th_res = mmap(NULL, sizeof(*th_res), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (th_res == MAP_FAILED) {
		printf("FAIL: %s: mmap: %s\n", th_prog, strerror(errno));
		return 1;
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &th_orig_mask);
	signal(SIGCHLD, SIG_DFL);	/* SIG_IGN would auto-reap our children */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = th_on_signal;
	for (i = 0; i < 3; i++) {
		sigaction(th_fatal_sigs[i], NULL, &th_orig_act[i]);
		/* An ignored signal (e.g. SIGINT in a background job) stays so. */
		if (th_orig_act[i].sa_handler != SIG_IGN)
			sigaction(th_fatal_sigs[i], &sa, NULL);
	}

	for (k = 0; k < n; k++)
		if (cases[k].selected)
			cnt[th_run_case(&cases[k], scale)]++;
	printf("# %s: totals pass=%d fail=%d skip=%d\n", th_prog,
	       cnt[TH_PASS], cnt[TH_FAIL], cnt[TH_SKIP]);
	return cnt[TH_FAIL] ? 1 : 0;
}

TH_FN void th_usage(FILE *f)
{
	fprintf(f, "usage: %s [-l] [FILTER...]\n"
		"  -l          list test names and exit\n"
		"  -h, --help  show this help\n"
		"FILTER selects tests whose name contains it, or matches it as a\n"
		"glob if it contains * ? or [. Timeouts are multiplied by\n"
		"TLSO_TEST_TIMEOUT_SCALE.\n", th_prog);
}

TH_FN int th_main(int argc, char **argv)
{
	const char *env = getenv("TLSO_TEST_TIMEOUT_SCALE");
	int i, rc = 0, nfilt = 0, list = 0, opts = 1;
	struct th_case *cases;
	double scale = 1;
	size_t n, k;

	if (argc > 0 && argv[0] && argv[0][0])
		th_prog = th_base(argv[0]);
	/* Keeps what a crashing child printed before it died, even when
	 * stdout is a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (i = 1; i < argc; i++) {
		if (opts && !strcmp(argv[i], "--")) {
			opts = 0;
		} else if (opts && !strcmp(argv[i], "-l")) {
			list = 1;
		} else if (opts && (!strcmp(argv[i], "-h") ||
				    !strcmp(argv[i], "--help"))) {
			th_usage(stdout);
			return 0;
		} else if (opts && argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "%s: unknown option '%s'\n", th_prog, argv[i]);
			th_usage(stderr);
			return 2;
		} else {
			argv[1 + nfilt++] = argv[i];	/* compact filters */
		}
	}
	if (env && *env) {
		char *end;
		double v = strtod(env, &end);

		if (*end || !(v > 0))
			printf("# %s: ignoring bad TLSO_TEST_TIMEOUT_SCALE '%s'\n",
			       th_prog, env);
		else
			scale = v;
	}

	cases = th_build_cases(&n);
	if (!cases && th_tests) {
		printf("FAIL: %s: out of memory\n", th_prog);
		return 1;
	}
	for (k = 0; k < n; k++)
		cases[k].selected = !nfilt;
	for (i = 1; i <= nfilt; i++) {
		int hit = 0;

		for (k = 0; k < n; k++)
			if (th_match(argv[i], cases[k].name))
				hit = cases[k].selected = 1;
		if (!hit) {
			printf("FAIL: %s: no test matches '%s'\n", th_prog, argv[i]);
			rc = 1;
		}
	}
	for (k = 0; !rc && list && k < n; k++)
		if (cases[k].selected)
			printf("%s\n", cases[k].name);
	if (!rc && !list)
		rc = th_run_all(cases, n, scale);
	for (k = 0; k < n; k++)
		free(cases[k].name);
	free(cases);
	fflush(stdout);
	return rc;
}

#endif /* TLSO_TESTS_HARNESS_H */
