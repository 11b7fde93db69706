/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace.h - tlsod --trace: the handshake made visible.
 *
 * Every handshake message a session sends or receives is printed as it
 * passes, decoded, one fact per line:
 *
 *   fd 5: <- ClientHello, 384 bytes
 *   fd 5: <-     legacy_version TLS 1.2
 *   fd 5: <-     random 34d4e8257d39...
 *   fd 5: <-     cipher suites (17): TLS_AES_256_GCM_SHA384, ...
 *   fd 5: <-     extension server_name: example.com
 *   fd 5: <-     extension key_share: x25519 (32 bytes), secp256r1 (65 bytes)
 *   fd 5: -> ServerHello, 151 bytes
 *   ...
 *   fd 5: == handshake done: TLS1.3, TLS_AES_256_GCM_SHA384, ...
 *
 * "->" is a message this end sent, "<-" one it received.  A message that
 * ends early, or whose lengths do not add up, is decoded as far as it goes
 * and then says "(truncated)" (or "(N unexpected trailing bytes)").
 */
#ifndef TLSOD_TRACE_H
#define TLSOD_TRACE_H

#include <stddef.h>
#include <stdio.h>
#include <gnutls/gnutls.h>

/* Where the trace goes; NULL, and the default, is stderr.  Each message is
 * written whole, under the stream's lock, so that concurrent handshakes
 * do not interleave their lines. */
void tlsod_trace_set_output(FILE *f);

/*
 * Trace the handshake of session, whose transport is fd: call once, before
 * gnutls_handshake().  This takes the session's handshake hook
 * (gnutls_handshake_set_hook_function(), GNUTLS_HANDSHAKE_ANY), which
 * GnuTLS has only one of; nothing else about the session is touched, and
 * gnutls_session_set_ptr() stays the caller's.  A received message is
 * printed before GnuTLS acts on it, so the one that makes a handshake fail
 * is shown too; a sent one once it is generated.  What GnuTLS handles
 * after the handshake (TLS 1.3 tickets, KeyUpdate) is traced as well.
 */
void tlsod_trace_handshake(gnutls_session_t session, int fd);

/*
 * The hook itself, for a caller that needs the session's one hook for
 * more than the trace: it sets its own after tlsod_trace_handshake() and
 * passes every message on to this.
 */
int tlsod_trace_message(gnutls_session_t session, unsigned int htype,
			unsigned int when, unsigned int incoming,
			const gnutls_datum_t *msg);

/* After gnutls_handshake() succeeded: the outcome in one line, version,
 * cipher suite, cipher, key exchange group (or "none" for plain PSK), ALPN
 * and whether the session was resumed. */
void tlsod_trace_result(gnutls_session_t session, int fd);

/*
 * Decode one handshake message into out, every line starting with prefix
 * (for instance "fd 5: <- "); no GnuTLS session needed.
 *
 * htype is the handshake type as GnuTLS's hook names it
 * (gnutls_handshake_description_t): the wire's type, or GnuTLS's own
 * GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST (1025),
 * GNUTLS_HANDSHAKE_CHANGE_CIPHER_SPEC (254) and
 * GNUTLS_HANDSHAKE_CLIENT_HELLO_V2 (1024).  A ServerHello carrying the
 * HelloRetryRequest random is shown as one whatever htype says.
 *
 * msg, len: the message body only, without the 4-byte handshake header
 * (type and 24-bit length) - exactly what GnuTLS's hook gets in msg.
 *
 * tls_version: the session's negotiated version as on the wire (0x0304 for
 * TLS 1.3, 0x0303 for TLS 1.2, ...), or 0 if not known.  Certificate,
 * CertificateRequest and NewSessionTicket differ between TLS 1.3 and
 * earlier; they are read in the TLS 1.3 layout for 0x0304 and in the TLS
 * 1.2 one otherwise.  The hellos carry their own version.
 *
 * Reads no byte outside msg[0..len).  Returns 0 when the message decoded
 * cleanly, -1 when it was truncated or malformed (what could be decoded is
 * printed all the same) or an argument was NULL.
 */
int tlsod_trace_decode(FILE *out, const char *prefix, unsigned int htype,
		       unsigned int tls_version, const unsigned char *msg,
		       size_t len);

#endif /* TLSOD_TRACE_H */
