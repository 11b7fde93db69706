/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Why a handshake failed, as the errno the application gets: the table
 * of tlsod(8), ERRORS.  Plain functions of what handshake.c read off the
 * session, so that they link, and are tested, without one.
 */
#ifndef TLSOD_ERRORS_H
#define TLSOD_ERRORS_H

#include <stdbool.h>
#include <stdint.h>
#include <gnutls/gnutls.h>

/* What is known of a failed handshake. */
struct tlsod_failure {
	int err;		/* what gnutls_handshake() returned */
	int sys_errno;		/* errno after that call */
	/* with GNUTLS_E_FATAL_ALERT_RECEIVED: */
	gnutls_alert_description_t alert;	/* the peer's alert */
	bool answered;		/* the server had answered our ClientHello */
	bool cert_wanted;	/* it asked for a certificate we do not have */
	bool server;		/* we are the server */
	bool psk_known;		/* the client's PSK identity was ours */
};

/* The errno for f: every choice between the two functions below. */
uint32_t tlsod_failure_errno(const struct tlsod_failure *f);

/* GnuTLS's error code, and errno for push and pull errors. */
uint32_t tlsod_tls_errno(int err, int sys_errno);

/* A fatal alert from the peer. */
uint32_t tlsod_alert_errno(gnutls_alert_description_t a, bool server,
			   bool answered);

/* A known PSK identity whose key did not work: the two keys differ. */
bool tlsod_psk_mismatch(int err, bool psk_known);

#endif /* TLSOD_ERRORS_H */
