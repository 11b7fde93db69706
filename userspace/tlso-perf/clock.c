// SPDX-License-Identifier: GPL-2.0
/*
 * tlso-perf's clocks: the wall clock that times the data, and the CPU
 * time each end spends on it.
 */
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#include "perf.h"

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_seconds(const struct timeval *tv)
{
	return tv->tv_sec + tv->tv_usec / 1e6;
}

void cpu_now(struct cpu *c)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	c->user = cpu_seconds(&ru.ru_utime);
	c->sys = cpu_seconds(&ru.ru_stime);
	c->wall = now();
}

void cpu_since(struct cpu *c, const struct cpu *start)
{
	cpu_now(c);
	c->user -= start->user;
	c->sys -= start->sys;
	c->wall -= start->wall;
}
