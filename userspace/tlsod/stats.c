// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod: its counters, in Prometheus' text format (stats.h).  Only the
 * parent counts: workers report each handshake's end with an OUTCOME
 * word, and a worker's word is checked like any other (main.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "stats.h"

/* Upper bounds, microseconds: 1 ms to 10 s, a handshake's range. */
static const int64_t bucket_us[TLSOD_STATS_BUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 10000000,
};

int tlsod_stats_outcome(struct tlsod_stats *s, uint32_t status, bool resumed,
			int64_t us)
{
	int i;

	if (status > TLSOD_STATS_ERRNO_MAX || us < 0)
		return -1;
	if (status)
		s->failed[status]++;
	else
		s->ok++;
	if (!status && resumed)
		s->resumed++;
	for (i = 0; i < TLSOD_STATS_BUCKETS && us > bucket_us[i]; i++)
		;
	if (i < TLSOD_STATS_BUCKETS)
		s->bucket[i]++;
	else
		s->over++;
	s->sum_us += (uint64_t)us;
	s->dirty = true;
	return 0;
}

void tlsod_stats_workers(struct tlsod_stats *s, unsigned int workers,
			 unsigned int busy)
{
	if (s->workers != workers || s->busy != busy)
		s->dirty = true;
	s->workers = workers;
	s->busy = busy;
}

static void head(FILE *f, const char *name, const char *type,
		 const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void tlsod_stats_print(const struct tlsod_stats *s, FILE *f)
{
	uint64_t n = 0;
	const char *name;
	int i;

	head(f, "tlsod_handshakes_total", "counter",
	     "Handshakes tlsod ended, by outcome: ok, or the errno the application got.");
	fprintf(f, "tlsod_handshakes_total{outcome=\"ok\"} %" PRIu64 "\n",
		s->ok);
	for (i = 1; i <= TLSOD_STATS_ERRNO_MAX; i++) {
		if (!s->failed[i])
			continue;
		name = strerrorname_np(i);
		if (name)
			fprintf(f, "tlsod_handshakes_total{outcome=\"%s\"} %" PRIu64 "\n",
				name, s->failed[i]);
		else
			fprintf(f, "tlsod_handshakes_total{outcome=\"errno_%d\"} %" PRIu64 "\n",
				i, s->failed[i]);
	}
	head(f, "tlsod_handshakes_resumed_total", "counter",
	     "Handshakes that ended well by resuming a session.");
	fprintf(f, "tlsod_handshakes_resumed_total %" PRIu64 "\n", s->resumed);
	head(f, "tlsod_handshake_seconds", "histogram",
	     "Time from the application's TLSO_HANDSHAKE to tlsod's DONE.");
	for (i = 0; i < TLSOD_STATS_BUCKETS; i++) {
		n += s->bucket[i];
		fprintf(f, "tlsod_handshake_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
			bucket_us[i] / 1e6, n);
	}
	n += s->over;
	fprintf(f, "tlsod_handshake_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", n);
	fprintf(f, "tlsod_handshake_seconds_sum %.6f\n", s->sum_us / 1e6);
	fprintf(f, "tlsod_handshake_seconds_count %" PRIu64 "\n", n);
	head(f, "tlsod_workers", "gauge", "Worker processes tlsod has.");
	fprintf(f, "tlsod_workers %u\n", s->workers);
	head(f, "tlsod_workers_busy", "gauge",
	     "Worker processes serving a handshake now.");
	fprintf(f, "tlsod_workers_busy %u\n", s->busy);
}

/* The whole file or nothing: readers never see half of one. */
static int write_file(const struct tlsod_stats *s, const char *path)
{
	char tmp[4096];
	FILE *f;
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0)
		return -1;
	/* The unit's UMask=0077 would leave it to tlsod alone. */
	if (fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
		err = errno;
		close(fd);
		unlink(tmp);
		errno = err;
		return -1;
	}
	tlsod_stats_print(s, f);
	if (fflush(f) || ferror(f)) {
		err = errno ? errno : EIO;
		fclose(f);
		unlink(tmp);
		errno = err;
		return -1;
	}
	if (fclose(f) || rename(tmp, path) < 0) {
		err = errno;
		unlink(tmp);
		errno = err;
		return -1;
	}
	return 0;
}

int tlsod_stats_flush(struct tlsod_stats *s, const char *path, bool force)
{
	int64_t now = tlsod_now_ms(), due;

	if (!path || !*path || (!s->dirty && !force))
		return -1;
	due = s->written_ms + TLSOD_STATS_PERIOD_MS - now;
	if (!force && s->written_ms && due > 0)
		return (int)due;
	s->written_ms = now;
	s->dirty = false;
	if (write_file(s, path) < 0) {
		if (!s->warned)
			log_warn("cannot write the statistics to %s: %s (tlsod goes on without them)",
				 path, strerror(errno));
		s->warned = true;
	} else if (s->warned) {
		log_notice("statistics written to %s again", path);
		s->warned = false;
	}
	return -1;
}
