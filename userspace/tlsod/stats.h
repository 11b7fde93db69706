/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlsod's own counters, kept by the parent from its workers' OUTCOME
 * words and written as a file in Prometheus' text format, which
 * tlsoctl stats --prometheus passes on (tlsod(8), METRICS).
 */
#ifndef TLSOD_STATS_H
#define TLSOD_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The largest errno an OUTCOME may carry; past it the worker is lying. */
#define TLSOD_STATS_ERRNO_MAX	4095
/* Upper bounds of the latency histogram's buckets, microseconds. */
#define TLSOD_STATS_BUCKETS	12
/* The file is rewritten at most this often (it changes per handshake). */
#define TLSOD_STATS_PERIOD_MS	250

struct tlsod_stats {
	uint64_t ok;
	uint64_t resumed;
	uint64_t failed[TLSOD_STATS_ERRNO_MAX + 1];	/* by errno */
	uint64_t bucket[TLSOD_STATS_BUCKETS];	/* not cumulative */
	uint64_t over;				/* past the last bucket */
	uint64_t sum_us;
	unsigned int workers;
	unsigned int busy;
	bool dirty;		/* changed since written */
	int64_t written_ms;	/* when it last was */
	bool warned;		/* a write failed, and the log said so */
};

/*
 * One handshake ended: status 0 or a positive errno (at most
 * TLSOD_STATS_ERRNO_MAX, else -1 and nothing counted), us from
 * TLSO_HANDSHAKE to DONE.
 */
int tlsod_stats_outcome(struct tlsod_stats *s, uint32_t status, bool resumed,
			int64_t us);
/* Workers now, and those serving a request. */
void tlsod_stats_workers(struct tlsod_stats *s, unsigned int workers,
			 unsigned int busy);
/* The Prometheus text of s. */
void tlsod_stats_print(const struct tlsod_stats *s, FILE *f);
/*
 * Write s to path (replaced whole, mode 0644) when it changed and
 * TLSOD_STATS_PERIOD_MS have passed since the last write, or when force.
 * Returns the milliseconds until it is due again (-1: nothing pending),
 * for the parent's poll.  A failure is logged once; tlsod goes on.
 */
int tlsod_stats_flush(struct tlsod_stats *s, const char *path, bool force);

#endif /* TLSOD_STATS_H */
