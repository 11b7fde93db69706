// SPDX-License-Identifier: GPL-2.0
/*
 * A profile's GnuTLS priorities: what it allows in each role, as text
 * appended to the system's default, parsed once per configuration.
 */
#include <stdio.h>

#include <gnutls/gnutls.h>

#include "config.h"
#include "priority.h"

/* Only what tlso's record layer carries; AES-128-CCM-8 has a short tag. */
#define TLSOD_CIPHERS \
	"-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM"
/* A PSK with a fresh (EC)DHE share: forward secrecy. */
#define TLSOD_PSK_KX	":+ECDHE-PSK:+DHE-PSK"
/* Without certificates, a suite that needs one must not be chosen. */
#define TLSOD_PSK_ONLY	":-KX-ALL" TLSOD_PSK_KX
/*
 * What a profile's legacy takes back: RSA key transport (no forward
 * secrecy), SHA-1 signatures in the handshake, a PSK alone (a stolen key
 * opens every session it ever made).  GnuTLS refuses SHA-1 in
 * certificates by itself.
 */
#define TLSOD_NO_RSA_KX	":-RSA"
#define TLSOD_NO_SHA1	":-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1:-SIGN-DSA-SHA1"
#define TLSOD_NO_PSK_NO_DHE	":-PSK"
#define TLSOD_PSK_NO_DHE	":+PSK"

/* PSK alone in this role: a server without a chain, a client without
 * any certificate credentials (config.c leaves them out then). */
bool tlsod_psk_only(const struct tlsod_profile *p, bool server)
{
	return p->psk_identity && (server ? !p->certificate : !p->cred);
}

/* What a profile allows in a role, appended to the system's default. */
void tlsod_priority_text(const struct tlsod_profile *p, bool server,
			 char *buf, size_t size)
{
	bool plain_psk = p->psk_identity &&
			 (p->legacy & TLSOD_LEGACY_PSK_NO_DHE);

	snprintf(buf, size, "-VERS-ALL%s%s:" TLSOD_CIPHERS
		 ":-COMP-ALL:+COMP-NULL%s%s%s%s%s",
		 p->versions & TLSOD_TLS13 ? ":+VERS-TLS1.3" : "",
		 p->versions & TLSOD_TLS12 ? ":+VERS-TLS1.2" : "",
		 tlsod_psk_only(p, server) ? TLSOD_PSK_ONLY :
		 p->psk_identity ? TLSOD_PSK_KX : "",
		 plain_psk ? TLSOD_PSK_NO_DHE : TLSOD_NO_PSK_NO_DHE,
		 p->legacy & TLSOD_LEGACY_RSA_KX ? "" : TLSOD_NO_RSA_KX,
		 p->legacy & TLSOD_LEGACY_SHA1 ? "" : TLSOD_NO_SHA1,
		 p->session_tickets ? "" : ":%NO_TICKETS");
}

/*
 * Parsed once, when the configuration is read, rather than at every
 * handshake: parsing the system's default and ours costs more than
 * anything else tlsod does around GnuTLS's handshake.  A profile whose
 * text does not parse keeps NULL, and its handshakes say why.
 */
void tlsod_priority_prepare(struct tlsod_config *cfg)
{
	struct tlsod_profile *p;
	char text[384];
	int server;

	for (p = cfg->profiles; p; p = p->next) {
		for (server = 0; server < 2; server++) {
			tlsod_priority_text(p, server, text, sizeof(text));
			if (gnutls_priority_init2(&p->prio[server], text, NULL,
					GNUTLS_PRIORITY_INIT_DEF_APPEND) < 0)
				p->prio[server] = NULL;
		}
	}
}
