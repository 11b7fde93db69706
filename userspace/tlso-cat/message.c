// SPDX-License-Identifier: GPL-2.0
/*
 * tlso-cat's messages: one line each on standard error, as loud as -q and
 * -v say.
 */
#include <stdio.h>
#include <string.h>

#include "tlso-cat.h"

const char progname[] = "tlso-cat";
int verbosity = NORMAL;

/* The errno's name next to the text, so that a log line can be searched. */
static const char *errname(int err)
{
	static char buf[32];
	const char *name = strerrorname_np(err);

	if (name)
		return name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

void cat_vmsg(int level, const char *why, int err, const char *fmt,
	      va_list ap)
{
	if (verbosity < level)
		return;
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	if (why)
		fprintf(stderr, ": %s (%s)\n", why, errname(err));
	else
		fputc('\n', stderr);
}

void cat_msg(int level, const char *why, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cat_vmsg(level, why, err, fmt, ap);
	va_end(ap);
}
