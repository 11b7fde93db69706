// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod --trace: the printer, lines of a message's facts under the
 * trace's prefix (trace_priv.h).
 */
#include <stdarg.h>
#include <string.h>

#include "trace_priv.h"

#define WRAP		100	/* lists wrap past this column */

void tlsod_line_start(struct line *l, struct tr *t, int indent,
		      const char *fmt, ...)
{
	va_list ap;
	int n;

	l->t = t;
	l->indent = indent;
	l->wrap = WRAP;
	l->items = 0;
	fprintf(t->out, "%s%*s", t->prefix, indent, "");
	va_start(ap, fmt);
	n = vfprintf(t->out, fmt, ap);
	va_end(ap);
	l->col = (size_t)indent + (n > 0 ? (size_t)n : 0);
}

void tlsod_line_add(struct line *l, const char *fmt, ...)
{
	FILE *out = l->t->out;
	char item[512];
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(item, sizeof(item), fmt, ap);
	va_end(ap);
	len = strlen(item);
	if (l->items && l->col + 2 + len > l->wrap) {
		fprintf(out, ",\n%s%*s", l->t->prefix, l->indent + IND, "");
		l->col = (size_t)l->indent + IND;
	} else {
		fputs(l->items ? ", " : ": ", out);
		l->col += 2;
	}
	fputs(item, out);
	l->col += len;
	l->items++;
}

void tlsod_line_end(struct line *l)
{
	fputc('\n', l->t->out);
}

void tlsod_line_cut(struct line *l)
{
	l->t->bad = true;
	tlsod_line_add(l, "(truncated)");
}

void tlsod_line_extra(struct line *l, size_t n)
{
	l->t->bad = true;
	tlsod_line_add(l, "(%zu unexpected trailing bytes)", n);
}

void tlsod_say(struct tr *t, int indent, const char *fmt, ...)
{
	va_list ap;

	fprintf(t->out, "%s%*s", t->prefix, indent, "");
	va_start(ap, fmt);
	vfprintf(t->out, fmt, ap);
	va_end(ap);
	fputc('\n', t->out);
}

bool tlsod_need(struct tr *t, bool ok, const char *what)
{
	if (!ok) {
		tlsod_say(t, IND, "%s (truncated)", what);
		t->bad = true;
	}
	return ok;
}

const char *tlsod_hex(char *buf, size_t size, const struct rd *r,
		      size_t max)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < r->n && i < max && o + 3 < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%02x", r->p[i]);
	if (i < r->n && o + 4 <= size)
		memcpy(buf + o, "...", 4);
	return buf;
}

const char *tlsod_esc(char *buf, size_t size, const unsigned char *s,
		      size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (size - o < 8) {
			memcpy(buf + o, "...", 4);
			return buf;
		}
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\' &&
		    s[i] != '\'')
			buf[o++] = (char)s[i];
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x",
					      s[i]);
	}
	buf[o] = '\0';
	return buf;
}

