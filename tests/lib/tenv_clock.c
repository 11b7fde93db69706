// SPDX-License-Identifier: GPL-2.0
/*
 * Test library: the clock every wait of the tlsod tests is measured on.
 */
#include <errno.h>
#include <time.h>

#include "tenv.h"

double tenv_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void tenv_msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
