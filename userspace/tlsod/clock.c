// SPDX-License-Identifier: GPL-2.0
#include <time.h>

#include "clock.h"

int64_t tlsod_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
