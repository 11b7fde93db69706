// SPDX-License-Identifier: GPL-2.0
/*
 * Mode plain: TCP without TLS, the floor the other modes are measured
 * against.
 */
#include "perf.h"

static const char *refuse(const struct perf_params *p, bool keys_set)
{
	if (keys_set)
		return "--keys: mode plain has no keys";
	if (p->handshakes && p->resume)
		return "--handshakes --resume: mode plain has no handshake, so no session to resume";
	if (p->handshakes)
		return "--handshakes: mode plain has no handshake";
	return NULL;
}

/* No records, and that is a count. */
static void records(const struct conn *c, int64_t *tx, int64_t *rx)
{
	(void)c;
	*tx = *rx = 0;
}

const struct perf_mode mode_plain = {
	.name = "plain",
	.refuse = refuse,
	.io = &sock_io,
	.records = records,
};
