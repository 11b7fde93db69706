/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test library: how the library's own files (tests/lib, not the test
 * programs) report to the case that runs them.
 *
 * The harness keeps its state in statics of the test program's own file,
 * the one that includes harness.h: from another file an ASSERT would
 * find no case running and only exit.  So the library reports through
 * struct tcase, which the test program fills with its harness's own
 * functions (tlsod_env.h does, before main()):
 *
 *   TCASE_ASSERT(cond)	  cond must hold, else the case fails here and
 *			  goes no further (in a forked helper: it exits)
 *   TCASE_ASSERT_OK(x)	  the same for a call that returns -1 and errno
 *   TCASE_EXPECT(cond)	  the same, but the case goes on
 *   tcase_fail()	  a failure with a message of its own; the case
 *			  goes on unless tcase_bail() follows
 *   tcase_skip()	  the case ends as skipped
 *   tcase_failed()	  whether anything in the case has failed yet
 *   tcase_log()	  a "# " line of diagnostics, as TH_LOG()
 *
 * What the tests themselves check stays in the test programs (or in
 * macros of tlsod_env.h), at the line that checks it.
 */
#ifndef TLSO_TEST_TCASE_H
#define TLSO_TEST_TCASE_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>

struct tcase {
	void (*fail)(const char *file, int line, const char *what);
	void (*bail)(void);	/* does not return */
	void (*skip)(const char *why);	/* does not return */
	bool (*failed)(void);
	void (*log)(const char *text);
};

extern struct tcase tcase;

#define TCASE_PRINTF(f, a) __attribute__((format(printf, f, a)))

void tcase_fail(const char *file, int line, const char *fmt, ...)
	TCASE_PRINTF(3, 4);
__attribute__((noreturn)) void tcase_bail(void);
__attribute__((noreturn)) void tcase_skip(const char *fmt, ...)
	TCASE_PRINTF(1, 2);
bool tcase_failed(void);
void tcase_log(const char *fmt, ...) TCASE_PRINTF(1, 2);

#define TCASE_CHECK(fatal, cond, ...) do {				\
	if (!(cond)) {							\
		tcase_fail(__FILE__, __LINE__, __VA_ARGS__);		\
		if (fatal)						\
			tcase_bail();					\
	}								\
} while (0)

#define TCASE_ASSERT(cond) TCASE_CHECK(true, cond, "%s", #cond)
#define TCASE_EXPECT(cond) TCASE_CHECK(false, cond, "%s", #cond)
/* errno is read before anything else can change it. */
#define TCASE_ASSERT_OK(x)						\
	TCASE_CHECK(true, (x) >= 0, "%s: %s", #x, strerror(errno))

#endif /* TLSO_TEST_TCASE_H */
