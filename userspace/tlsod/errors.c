// SPDX-License-Identifier: GPL-2.0
/*
 * GnuTLS's verdicts as errnos; tlsod(8) lists them, and
 * tests/unit/tlsod_errors_test.c checks the one against the other.
 */
#include <errno.h>

#include "errors.h"

uint32_t tlsod_tls_errno(int err, int sys_errno)
{
	switch (err) {
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
	case GNUTLS_E_CERTIFICATE_ERROR:
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_CERTIFICATE_REQUIRED:
	case GNUTLS_E_PK_SIG_VERIFY_FAILED:
	case GNUTLS_E_KEY_USAGE_VIOLATION:
	case GNUTLS_E_SESSION_USER_ID_CHANGED:
	case GNUTLS_E_RECEIVED_DISALLOWED_NAME:
	case GNUTLS_E_SRP_PWD_ERROR:	/* PSK identity not ours */
		return EACCES;
	case GNUTLS_E_TIMEDOUT:
		return ETIMEDOUT;
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_SESSION_EOF:
		return ECONNRESET;
	case GNUTLS_E_PUSH_ERROR:
	case GNUTLS_E_PULL_ERROR:
		if (sys_errno == ECONNRESET || sys_errno == EPIPE ||
		    sys_errno == ECONNABORTED)
			return ECONNRESET;
		if (sys_errno == ETIMEDOUT)
			return ETIMEDOUT;
		return EIO;
	/* Nothing in common: versions, ciphers, groups, credentials. */
	case GNUTLS_E_NO_CIPHER_SUITES:
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
	case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
	case GNUTLS_E_INSUFFICIENT_SECURITY:
	case GNUTLS_E_NO_COMMON_KEY_SHARE:
	case GNUTLS_E_UNSUPPORTED_SIGNATURE_ALGORITHM:
	case GNUTLS_E_ECC_UNSUPPORTED_CURVE:
	case GNUTLS_E_DH_PRIME_UNACCEPTABLE:
	case GNUTLS_E_INAPPROPRIATE_FALLBACK:
	case GNUTLS_E_NO_APPLICATION_PROTOCOL:
	/* Garbage from the peer. */
	case GNUTLS_E_UNEXPECTED_PACKET:
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
	case GNUTLS_E_UNEXPECTED_HANDSHAKE_PACKET:
	case GNUTLS_E_DECRYPTION_FAILED:
	case GNUTLS_E_RECORD_OVERFLOW:
	case GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER:
	case GNUTLS_E_RECEIVED_ILLEGAL_EXTENSION:
	case GNUTLS_E_ILLEGAL_PARAMETER:
	case GNUTLS_E_UNEXPECTED_EXTENSIONS_LENGTH:
	case GNUTLS_E_MISSING_EXTENSION:
	case GNUTLS_E_ERROR_IN_FINISHED_PACKET:
	case GNUTLS_E_HANDSHAKE_TOO_LARGE:
	case GNUTLS_E_TOO_MANY_EMPTY_PACKETS:
	case GNUTLS_E_TOO_MANY_HANDSHAKE_PACKETS:
	case GNUTLS_E_SAFE_RENEGOTIATION_FAILED:
	case GNUTLS_E_UNKNOWN_PK_ALGORITHM:
	case GNUTLS_E_ASN1_DER_ERROR:
		return EPROTO;
	case GNUTLS_E_MEMORY_ERROR:
		return ENOMEM;
	default:
		return EIO;
	}
}

/*
 * handshake_failure is what a peer says both when nothing is in common
 * and when it rejects our credentials.  Before the server's first answer
 * it can only be the former.
 */
uint32_t tlsod_alert_errno(gnutls_alert_description_t a, bool server,
			   bool answered)
{
	switch (a) {
	case GNUTLS_A_BAD_CERTIFICATE:
	case GNUTLS_A_UNSUPPORTED_CERTIFICATE:
	case GNUTLS_A_CERTIFICATE_REVOKED:
	case GNUTLS_A_CERTIFICATE_EXPIRED:
	case GNUTLS_A_CERTIFICATE_UNKNOWN:
	case GNUTLS_A_UNKNOWN_CA:
	case GNUTLS_A_ACCESS_DENIED:
	case GNUTLS_A_CERTIFICATE_REQUIRED:
	case GNUTLS_A_DECRYPT_ERROR:
	case GNUTLS_A_UNKNOWN_PSK_IDENTITY:
		return EACCES;
	case GNUTLS_A_HANDSHAKE_FAILURE:
		return !server && !answered ? EPROTO : EACCES;
	case GNUTLS_A_CLOSE_NOTIFY:
	case GNUTLS_A_USER_CANCELED:
		return ECONNRESET;
	case GNUTLS_A_INTERNAL_ERROR:
		return EIO;
	default:
		/* protocol_version, insufficient_security, decode_error... */
		return EPROTO;
	}
}

/*
 * With a known PSK identity, a failed binder (TLS 1.3) or Finished
 * (TLS 1.2) means the two sides hold different keys.
 */
bool tlsod_psk_mismatch(int err, bool psk_known)
{
	return psk_known &&
	       (err == GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER ||
		err == GNUTLS_E_DECRYPTION_FAILED ||
		err == GNUTLS_E_ERROR_IN_FINISHED_PACKET);
}

uint32_t tlsod_failure_errno(const struct tlsod_failure *f)
{
	if (f->err == GNUTLS_E_FATAL_ALERT_RECEIVED) {
		/* Whatever alert a server picks for it, this is why. */
		if (f->cert_wanted)
			return EACCES;
		return tlsod_alert_errno(f->alert, f->server, f->answered);
	}
	if (tlsod_psk_mismatch(f->err, f->psk_known))
		return EACCES;
	return tlsod_tls_errno(f->err, f->sys_errno);
}
