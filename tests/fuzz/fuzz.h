/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz.h - what the libFuzzer targets in tests/fuzz/ share: reading the
 * fuzzer's bytes as fields, and a check that stops the run.
 *
 * A field asked for past the end of the input reads as zeros, so that
 * every input is valid and a short one simply means "the rest is 0":
 * the fuzzer then spends no time on inputs a harness would throw away.
 */
#ifndef TLSO_FUZZ_H
#define TLSO_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

struct fz {
	const uint8_t *p;
	size_t n;		/* bytes left */
};

static inline uint32_t fz_uint(struct fz *f, size_t width)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; i < width; i++) {
		v = v << 8 | (f->n ? *f->p : 0);
		if (f->n) {
			f->p++;
			f->n--;
		}
	}
	return v;
}

/* len bytes into out, zeros past the end of the input. */
static inline void fz_bytes(struct fz *f, void *out, size_t len)
{
	size_t k = len < f->n ? len : f->n;

	memcpy(out, f->p, k);
	memset((uint8_t *)out + k, 0, len - k);
	f->p += k;
	f->n -= k;
}

/*
 * A heap buffer of exactly len bytes (one byte allocated for none, never
 * read), so that AddressSanitizer sees the code under test touch one
 * byte past what it was given.  Caller frees.
 */
static inline uint8_t *fz_alloc(size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (!p)
		abort();
	return p;
}

static inline uint8_t *fz_dup(const void *src, size_t len)
{
	uint8_t *p = fz_alloc(len);

	if (len)
		memcpy(p, src, len);
	return p;
}

/*
 * A broken promise of the code under test: abort(), so that libFuzzer
 * keeps the input as a crash artifact and the run fails.
 */
#define FUZZ_CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s: ",	\
				__FILE__, __LINE__, #cond);		\
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
			abort();					\
		}							\
	} while (0)

#endif /* TLSO_FUZZ_H */
