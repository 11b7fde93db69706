/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one clock tlsod measures deadlines and steps by: monotonic, so a
 * change of the wall clock neither expires nor prolongs anything.
 */
#ifndef TLSOD_CLOCK_H
#define TLSOD_CLOCK_H

#include <stdint.h>

int64_t tlsod_now_us(void);

static inline int64_t tlsod_now_ms(void)
{
	return tlsod_now_us() / 1000;
}

static inline int64_t tlsod_now_s(void)
{
	return tlsod_now_us() / 1000000;
}

#endif /* TLSOD_CLOCK_H */
