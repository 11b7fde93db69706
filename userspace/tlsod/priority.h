/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TLSOD_PRIORITY_H
#define TLSOD_PRIORITY_H

#include <stdbool.h>
#include <stddef.h>

struct tlsod_config;
struct tlsod_profile;

/* PSK alone in this role: no certificate to offer or to check with. */
bool tlsod_psk_only(const struct tlsod_profile *p, bool server);
void tlsod_priority_text(const struct tlsod_profile *p, bool server,
			 char *buf, size_t size);
void tlsod_priority_prepare(struct tlsod_config *cfg);

#endif /* TLSOD_PRIORITY_H */
