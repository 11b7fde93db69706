/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libtlso: the small client library of tlso.
 *
 * Functions return 0 on success and -1 with errno set on failure, as the
 * system calls they wrap do (tlso_connect returns a descriptor instead of
 * 0).  The errno values are the kernel's own wherever the kernel decides;
 * tlso_strerror() explains the ones particular to tlso.
 *
 * A program that wants TLS on a TCP connection, with the handshake done by
 * tlsod and the records by the module, does
 *
 *	struct tlso_handshake_opts o = { .role = TLSO_ROLE_CLIENT };
 *	int fd = tlso_connect("example.com", "443", &o);
 *
 * or, on a socket it connected or accepted itself,
 *
 *	tlso_attach(fd);
 *	tlso_handshake(fd, &o);
 *
 * and then uses read/write/send/recv/sendfile on fd as on any socket.
 * shutdown(SHUT_WR) and close() send the TLS close_notify; the peer's
 * close_notify reads as end of file.
 */
#ifndef LIBTLSO_H
#define LIBTLSO_H

#include <stddef.h>

#include <linux/tlso.h>

/*
 * The TCP ULP name the loaded module answers to (its ulp_name parameter),
 * copied into buf; "tlso" when the module does not say.  -1 with ENOENT
 * when the module is not loaded.
 */
int tlso_ulp_name(char *buf, size_t size);

/*
 * Attach tlso to an established TCP socket.  Fails as kTLS's attach does:
 * ENOTCONN (not established), EEXIST (a ULP already attached), ENOENT
 * (module not loaded).
 */
int tlso_attach(int fd);

/* What to ask tlsod for; see struct tlso_handshake_req in <linux/tlso.h>. */
struct tlso_handshake_opts {
	/*
	 * TLSO_ROLE_CLIENT or TLSO_ROLE_SERVER: the TLS role, which need
	 * not match who called connect().
	 */
	int role;
	/*
	 * Client: the name sent as SNI (unless it is an IP address) and
	 * the one the server's certificate must be issued to.  NULL or ""
	 * sends none and checks only the certificate's chain, which is
	 * rarely what a client wants; tlso_connect() uses its host
	 * argument when this is NULL.  A server's is not used (yet).
	 * At most TLSO_PEER_NAME_SIZE - 1 (255) bytes.
	 */
	const char *peer_name;
	/*
	 * tlsod's profile (certificates, trust, versions); NULL or "" for
	 * the profile "default".  At most TLSO_PROFILE_SIZE - 1 (63)
	 * bytes.
	 */
	const char *profile;
	/*
	 * How long tlsod may take, in milliseconds; 0 for the profile's
	 * default.  The module gives up 5 s after this (65 s with 0).
	 */
	unsigned int timeout_ms;
};

/*
 * Ask tlsod for a TLS handshake on fd, which must be a connected TCP
 * socket with tlso attached and no keys yet, and wait for it to end.
 *
 * 0 when the socket now carries TLS.  -1 with errno:
 *	EINVAL		o is NULL, or role is neither client nor server
 *	ENAMETOOLONG	peer_name or profile does not fit the request
 *			(these two before anything reaches the kernel)
 *	EINPROGRESS	fd is non-blocking: the handshake has started and
 *			fd polls writable when it has ended; then
 *			tlso_handshake_status() says how
 *	EINTR		a signal interrupted the wait; the handshake goes
 *			on and ends as with EINPROGRESS (calling this
 *			again while it runs fails with EALREADY)
 *	ENOPROTOOPT	tlso is not attached to fd (plain TCP or kTLS)
 *	EBUSY		too many handshakes wait for tlsod in this network
 *			namespace (the module's max_pending)
 *	EAGAIN		too many of this user's handshakes wait for tlsod
 *			(max_pending_per_user); nothing was started, try
 *			again later (a non-blocking fd says EINPROGRESS
 *			when the handshake did start)
 * and the errors of TLSO_HANDSHAKE in <linux/tlso.h> (ESRCH, EALREADY,
 * EISCONN, EACCES, ETIMEDOUT, ECONNABORTED, EPROTO...) and those tlsod
 * reports (see tlsod(8): ECONNRESET, EIO, EINVAL for an unknown
 * profile...), as the kernel gave them.  Once a handshake has run and
 * failed, the socket's reads and writes return its error: close it.
 */
int tlso_handshake(int fd, const struct tlso_handshake_opts *o);

/*
 * The state of fd's handshake into *st (getsockopt TLSO_HANDSHAKE):
 * st->state is TLSO_HS_NONE, PENDING, DONE or FAILED; when FAILED,
 * st->status is the positive errno; when DONE, st->version
 * (TLS_1_2_VERSION, TLS_1_3_VERSION), st->cipher (TLS_CIPHER_*) and
 * st->peer_identity (the verified certificate's subject or the PSK
 * identity, "" when the peer showed none) say what was agreed.
 * -1 with EINVAL when st is NULL; when tlso is not attached, EOPNOTSUPP
 * (plain TCP) or ENOPROTOOPT (another ULP, such as kTLS).
 */
int tlso_handshake_status(int fd, struct tlso_handshake_status *st);

/*
 * Resolve host and port (a number or a service name) for TCP, IPv6 or
 * IPv4, connect to the first address that accepts, attach tlso and run
 * the handshake o asks for (a client with peer_name NULL verifies host).
 * The returned descriptor is blocking and close-on-exec.
 *
 * -1 with errno, nothing left open, on failure: first o's own errors as
 * for tlso_handshake(); then the name's: ENXIO when host has no address,
 * EAGAIN when the resolver failed for now, EINVAL for a bad port or
 * service; then connect()'s errno from the last address tried
 * (ECONNREFUSED, ETIMEDOUT, ENETUNREACH...); then tlso_attach()'s and
 * tlso_handshake()'s.  ETIMEDOUT may thus be TCP's or the handshake's; a
 * caller that needs to tell every step apart can call tlso_attach() and
 * tlso_handshake() on a socket it connected itself.
 */
int tlso_connect(const char *host, const char *port,
		 const struct tlso_handshake_opts *o);

/*
 * A short explanation of err for a person, for the errors of the
 * functions above: what it means when tlso is the one saying it (ESRCH:
 * "no tlsod is running", EACCES: a certificate did not verify, ENOENT:
 * "tlso.ko is not loaded", ENXIO: no address for the host name, EBUSY and
 * EAGAIN: too many handshakes waiting, ...).
 * Anything else is strerror(err).  The string is static; do not free
 * it.
 */
const char *tlso_strerror(int err);

/*
 * Names for what tlso_handshake_status() reports: "TLS 1.2" and "TLS 1.3";
 * "AES-GCM-128", "AES-GCM-256", "AES-CCM-128" and "ChaCha20-Poly1305".
 * NULL for a value tlso does not know.  The strings are static.
 */
const char *tlso_version_name(unsigned int version);
const char *tlso_cipher_name(unsigned int cipher);

/*
 * The TLS_CIPHER_* that tlso_cipher_name() calls name, in any case
 * ("aes-gcm-128" too); -1 with EINVAL for a name it does not know.
 */
int tlso_cipher_by_name(const char *name);

#endif /* LIBTLSO_H */
