// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of userspace/tlsod/stats.c, tlsod's counters: each
 * outcome counted under its errno's name, the histogram cumulative with
 * every handshake in +Inf, a worker's out-of-range word refused, and the
 * file written whole, readable by all, at most every
 * TLSOD_STATS_PERIOD_MS, and taken whole by tlsoctl stats -p.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "stats.h"
#include "tlsod.h"
#include "tlsoctl.h"

static char *text_of(const struct tlsod_stats *s)
{
	static char out[16384];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	tlsod_stats_print(s, f);
	fclose(f);
	snprintf(out, sizeof(out), "%s", buf);
	free(buf);
	return out;
}

#define EXPECT_HAS(text, part) do {					\
	if (!strstr(text, part))					\
		th_fail(__FILE__, __LINE__, "no '%s' in:\n%s", part, text); \
} while (0)

TEST(outcomes_by_errno_name)
{
	static struct tlsod_stats s;
	char *t;

	EXPECT_EQ(tlsod_stats_outcome(&s, 0, false, 1500), 0);
	EXPECT_EQ(tlsod_stats_outcome(&s, 0, true, 800), 0);
	EXPECT_EQ(tlsod_stats_outcome(&s, 13, false, 40000), 0);	/* EACCES */
	EXPECT_EQ(tlsod_stats_outcome(&s, 110, false, 30000000), 0);	/* ETIMEDOUT */
	EXPECT_EQ(tlsod_stats_outcome(&s, 110, false, 20000000), 0);
	tlsod_stats_workers(&s, 3, 1);
	t = text_of(&s);
	EXPECT_HAS(t, "# TYPE tlsod_handshakes_total counter\n");
	EXPECT_HAS(t, "tlsod_handshakes_total{outcome=\"ok\"} 2\n");
	EXPECT_HAS(t, "tlsod_handshakes_total{outcome=\"EACCES\"} 1\n");
	EXPECT_HAS(t, "tlsod_handshakes_total{outcome=\"ETIMEDOUT\"} 2\n");
	EXPECT_HAS(t, "tlsod_handshakes_resumed_total 1\n");
	EXPECT_HAS(t, "tlsod_workers 3\n");
	EXPECT_HAS(t, "tlsod_workers_busy 1\n");
	EXPECT_EQ(strstr(t, "ENOENT"), NULL);
}

TEST(histogram_is_cumulative)
{
	static struct tlsod_stats s;
	char *t;

	tlsod_stats_outcome(&s, 0, false, 1000);	/* on the bound: le 0.001 */
	tlsod_stats_outcome(&s, 0, false, 1001);
	tlsod_stats_outcome(&s, 0, false, 2000000);
	tlsod_stats_outcome(&s, 0, false, 11000000);	/* past 10 s */
	t = text_of(&s);
	EXPECT_HAS(t, "# TYPE tlsod_handshake_seconds histogram\n");
	EXPECT_HAS(t, "tlsod_handshake_seconds_bucket{le=\"0.001\"} 1\n");
	EXPECT_HAS(t, "tlsod_handshake_seconds_bucket{le=\"0.0025\"} 2\n");
	EXPECT_HAS(t, "tlsod_handshake_seconds_bucket{le=\"1\"} 2\n");
	EXPECT_HAS(t, "tlsod_handshake_seconds_bucket{le=\"2.5\"} 3\n");
	EXPECT_HAS(t, "tlsod_handshake_seconds_bucket{le=\"10\"} 3\n");
	EXPECT_HAS(t, "tlsod_handshake_seconds_bucket{le=\"+Inf\"} 4\n");
	EXPECT_HAS(t, "tlsod_handshake_seconds_count 4\n");
	EXPECT_HAS(t, "tlsod_handshake_seconds_sum 13.002001\n");
}

/* What a worker may not say: the parent counts none of it. */
TEST(out_of_range_is_refused)
{
	static struct tlsod_stats s;

	EXPECT_EQ(tlsod_stats_outcome(&s, TLSOD_STATS_ERRNO_MAX + 1, false,
				      10), -1);
	EXPECT_EQ(tlsod_stats_outcome(&s, 0xffffffffu, false, 10), -1);
	EXPECT_EQ(tlsod_stats_outcome(&s, 0, false, -1), -1);
	EXPECT_EQ(tlsod_stats_outcome(&s, TLSOD_STATS_ERRNO_MAX, false, 10),
		  0);
	EXPECT_HAS(text_of(&s), "{outcome=\"errno_4095\"} 1\n");
	EXPECT_HAS(text_of(&s), "tlsod_handshake_seconds_count 1\n");
}

TEST(file_written_whole_and_not_too_often)
{
	static struct tlsod_stats s;
	char dir[] = "/tmp/tlsod-stats-XXXXXX", path[64], cmd[256];
	struct stat st;
	FILE *p;
	char out[8192];
	size_t n;
	int due;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/stats.prom", dir);
	umask(077);
	EXPECT_EQ(tlsod_stats_flush(&s, path, true), -1);
	ASSERT_EQ(stat(path, &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0644);
	/* A change right after: due later, not written now. */
	tlsod_stats_outcome(&s, 0, false, 5000);
	due = tlsod_stats_flush(&s, path, false);
	EXPECT_GT(due, 0);
	EXPECT_TRUE(due <= TLSOD_STATS_PERIOD_MS);
	usleep((due + 5) * 1000);
	EXPECT_EQ(tlsod_stats_flush(&s, path, false), -1);
	/* Nothing changed: nothing due. */
	EXPECT_EQ(tlsod_stats_flush(&s, path, false), -1);
	/* tlsoctl takes every line of it (exit 0: none left out). */
	snprintf(cmd, sizeof(cmd), "build/bin/tlsoctl stats -p --tlsod %s",
		 path);
	p = popen(cmd, "r");
	ASSERT_TRUE(p != NULL);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	EXPECT_EQ(pclose(p), 0);
	EXPECT_HAS(out, text_of(&s));
	/* no file: a directory that is not there, said once, no crash */
	snprintf(path, sizeof(path), "%s/gone/stats.prom", dir);
	EXPECT_EQ(tlsod_stats_flush(&s, path, true), -1);
	EXPECT_TRUE(s.warned);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	EXPECT_EQ(system(cmd), 0);
}

/* tlsoctl looks where tlsod writes by default. */
TEST(tlsoctl_default_is_tlsods)
{
	EXPECT_STREQ(TLSOCTL_TLSOD_STATS, TLSOD_DEFAULT_STATS);
}

TEST_HARNESS_MAIN
