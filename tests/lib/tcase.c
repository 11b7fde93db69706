// SPDX-License-Identifier: GPL-2.0
/*
 * Test library: reports to the running case, through the functions the
 * test program put in struct tcase (tcase.h says why).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "tcase.h"

struct tcase tcase;

enum tcase_kind { TCASE_FAIL, TCASE_SKIP, TCASE_LOG };

static void tcase_say(enum tcase_kind kind, const char *file, int line,
		      const char *fmt, va_list ap)
{
	char text[4096];

	vsnprintf(text, sizeof(text), fmt, ap);
	switch (kind) {
	case TCASE_FAIL:
		tcase.fail(file, line, text);
		break;
	case TCASE_SKIP:
		tcase.skip(text);
		break;
	case TCASE_LOG:
		tcase.log(text);
		break;
	}
}

void tcase_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tcase_say(TCASE_FAIL, file, line, fmt, ap);
	va_end(ap);
}

void tcase_bail(void)
{
	tcase.bail();
	abort();
}

void tcase_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tcase_say(TCASE_SKIP, NULL, 0, fmt, ap);
	va_end(ap);
	abort();	/* a skip that came back: nobody to tell */
}

bool tcase_failed(void)
{
	return tcase.failed();
}

void tcase_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tcase_say(TCASE_LOG, NULL, 0, fmt, ap);
	va_end(ap);
}
