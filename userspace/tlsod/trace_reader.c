// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod --trace: the bounds-checked reader every field of a message goes
 * through (trace_priv.h).
 */
#include "trace_priv.h"

bool tlsod_rd_uint(struct rd *r, size_t width, uint32_t *v)
{
	size_t i;

	if (r->n < width)
		return false;
	*v = 0;
	for (i = 0; i < width; i++)
		*v = *v << 8 | r->p[i];
	r->p += width;
	r->n -= width;
	return true;
}

bool tlsod_rd_take(struct rd *r, size_t len, struct rd *sub)
{
	if (r->n < len)
		return false;
	sub->p = r->p;
	sub->n = len;
	r->p += len;
	r->n -= len;
	return true;
}

void tlsod_rd_skip_all(struct rd *r)
{
	r->p += r->n;
	r->n = 0;
}

bool tlsod_rd_vec(struct rd *r, size_t width, struct rd *sub)
{
	uint32_t len;

	sub->p = r->p;
	sub->n = 0;
	if (!tlsod_rd_uint(r, width, &len)) {
		tlsod_rd_skip_all(r);
		return false;
	}
	if (len <= r->n)
		return tlsod_rd_take(r, len, sub);
	sub->p = r->p;
	sub->n = r->n;
	tlsod_rd_skip_all(r);
	return false;
}

