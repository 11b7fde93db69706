// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod's configuration: the kinds of value a key takes (lists of words,
 * sets of named bits, yes or no, numbers in a range), each checked whole,
 * with an error that names the key.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

/*
 * fn on each word of v, words split at any of sep, until one fails; more
 * than max words (0: any number) is an error of key.
 */
int tlsod_conf_words(struct parse *ps, const char *key, const char *v,
		     const char *sep, unsigned int max,
		     int (*fn)(struct parse *ps, void *arg, const char *w),
		     void *arg, unsigned int *n)
{
	char *copy, *w, *save = NULL;
	int ret = 0;

	*n = 0;
	if (tlsod_conf_strdup(ps, &copy, v))
		return -1;
	for (w = strtok_r(copy, sep, &save); w && !ret;
	     w = strtok_r(NULL, sep, &save)) {
		if (max && *n == max) {
			tlsod_conf_err(ps, ps->line, "%s: more than %u names", key, max);
			ret = -1;
			break;
		}
		(*n)++;
		ret = fn(ps, arg, w);
	}
	free(copy);
	if (!ret && !*n) {
		tlsod_conf_err(ps, ps->line, "%s: '%s' names nothing", key, v);
		ret = -1;
	}
	return ret;
}

/* yes or no, and nothing else. */
int tlsod_conf_yes_no(struct parse *ps, const char *key, const char *v,
		      bool *out)
{
	if (!strcmp(v, "yes")) {
		*out = true;
	} else if (!strcmp(v, "no")) {
		*out = false;
	} else {
		tlsod_conf_err(ps, ps->line, "%s: '%s' is not yes or no", key,
			       v);
		return -1;
	}
	return 0;
}

/* A whole decimal number from min to max, or an error naming key. */
int tlsod_conf_number(struct parse *ps, const char *key, const char *v,
		      unsigned long min, unsigned long max, const char *what,
		      unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end || errno || *out < min ||
	    *out > max) {
		tlsod_conf_err(ps, ps->line, "%s: '%s' is not a number of %s from %lu to %lu",
			       key, v, what, min, max);
		return -1;
	}
	return 0;
}

struct bits_arg {
	const char *key;
	const char *what;	/* "is not ..." */
	const struct word_bit *words;
	size_t nwords;
	unsigned int seen;
};

static int bit_word(struct parse *ps, void *arg, const char *w)
{
	struct bits_arg *a = arg;
	size_t i;

	for (i = 0; i < a->nwords; i++)
		if (!strcmp(w, a->words[i].word))
			break;
	if (i == a->nwords) {
		tlsod_conf_err(ps, ps->line, "%s: '%s' is not %s", a->key, w, a->what);
		return -1;
	}
	if (a->seen & a->words[i].bit) {
		tlsod_conf_err(ps, ps->line, "%s: %s given twice", a->key, w);
		return -1;
	}
	a->seen |= a->words[i].bit;
	return 0;
}

/* v as a set of words, each of words once, into *bits. */
int tlsod_conf_bits(struct parse *ps, const char *key, const char *what,
		    const struct word_bit *words, size_t nwords,
		    const char *sep, const char *v, unsigned int *bits)
{
	struct bits_arg a = { key, what, words, nwords, 0 };
	unsigned int n;

	if (tlsod_conf_words(ps, key, v, sep, 0, bit_word, &a, &n))
		return -1;
	*bits = a.seen;
	return 0;
}
