// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod's configuration: the lines of the file as inih gets them.  inih
 * does not tell a handler which line it is on, so this reader counts
 * them, for messages that name "file:line".
 */
#include <stdbool.h>
#include <stdio.h>

#include "config_priv.h"

/* inih's reader: fgets that counts lines and refuses truncated ones. */
char *tlsod_conf_read_line(char *buf, int size, void *stream)
{
	struct parse *ps = stream;
	bool nul = false, longer = false;
	int c, n = 0;

	c = getc(ps->f);
	if (c == EOF)
		return NULL;
	ps->line++;
	/*
	 * One character at a time, not fgets(): a NUL would end the line
	 * early for inih and for the length check, and the rest of the line
	 * would be taken for the next one.
	 */
	for (; c != EOF; c = getc(ps->f)) {
		if (!c)
			nul = true;
		else if (n < size - 1)
			buf[n++] = (char)c;
		else
			longer = true;
		if (c == '\n')
			break;
	}
	buf[n] = '\0';
	if (nul)
		tlsod_conf_err(ps, ps->line, "NUL byte in the line");
	/*
	 * inih would take the first part for the whole line, and a path cut
	 * short is worse than an error.
	 */
	else if (longer)
		tlsod_conf_err(ps, ps->line, "line longer than %d characters",
			       size - 3);
	return buf;
}
