/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tlso: TLS offload for Linux -- the kernel interface.
 *
 * This header is the one specification of what the tlso module offers to
 * userspace.  Everything that is not defined here is the kernel's own kTLS
 * interface from <linux/tls.h>, which tlso serves unchanged once the "tlso"
 * TCP upper-layer protocol is attached to a socket:
 *
 *	setsockopt(fd, SOL_TCP, TCP_ULP, TLSO_ULP_NAME, sizeof(TLSO_ULP_NAME));
 *
 * After that, socket-option level SOL_TLS (282) answers the option numbers
 * of <linux/tls.h> (TLS_TX, TLS_RX, TLS_TX_ZEROCOPY_RO,
 * TLS_RX_EXPECT_NO_PAD) with the same structs and errno conventions, so a
 * program written for kTLS runs on tlso by changing only the ULP name (or
 * none at all, when the module is loaded with ulp_name=tls).
 *
 * Attaching follows kTLS:
 *	ENOTCONN	the socket is not an established TCP connection
 *	EEXIST		an upper-layer protocol is already attached
 *	ENOENT		no ULP of that name is registered (module not loaded)
 *
 * Before keys are installed, SOL_TLS options behave as kTLS's do:
 * getsockopt(TLS_TX/TLS_RX) fails with EBUSY, a short optlen with EINVAL,
 * TLS_RX_EXPECT_NO_PAD with EINVAL, an unknown option with ENOPROTOOPT.
 *
 * Per-namespace counters are in /proc/net/tlso_stat, one "Name value" pair
 * per line; the names are listed below so that tools can rely on them.
 */
#ifndef _UAPI_LINUX_TLSO_H
#define _UAPI_LINUX_TLSO_H

#include <linux/types.h>
#include <linux/tls.h>

/* The default TCP ULP name; the module parameter ulp_name overrides it. */
#define TLSO_ULP_NAME		"tlso"

/*
 * tlso-specific options at level SOL_TLS are numbered from here upward, so
 * that they never collide with upstream kTLS options (1, 2, 3, ...).
 */
#define TLSO_SOL_TLS_BASE	100

/*
 * TLSO_HANDSHAKE, level SOL_TLS, on a connected socket with tlso attached
 * and no keys yet.
 *
 * setsockopt(fd, SOL_TLS, TLSO_HANDSHAKE, &req, sizeof(req)) asks tlsod
 * for a handshake on this socket and waits for it: 0 when the socket now
 * carries TLS, or the error the handshake ended with.  On a non-blocking
 * socket it returns EINPROGRESS at once, and the socket polls writable
 * when the handshake has ended; getsockopt then tells how.  While it runs,
 * the application's own reads and writes wait (EAGAIN when non-blocking).
 *
 *	ESRCH		no tlsod is listening in this network namespace
 *			(only a process with CAP_NET_ADMIN there can)
 *	EALREADY	a handshake is already running on this socket
 *	EISCONN		the socket already has keys
 *	ENOTCONN	the connection is not established (or the peer
 *			has already closed it)
 *	EINVAL		bad request (role, flags or reserved not as
 *			above, a string without its NUL); from tlsod: no
 *			such profile, or a client request with no
 *			peer_name on a certificate profile that does not
 *			say verify_name = no
 *	EBUSY		TLSO_PENDING_MAX requests of this network namespace
 *			wait already (module parameter max_pending)
 *	EAGAIN		TLSO_PENDING_USER_MAX requests of this user wait
 *			already (module parameter max_pending_per_user);
 *			on a non-blocking socket EAGAIN is only this,
 *			since the handshake itself answers EINPROGRESS
 *	EACCES		the peer's certificate did not verify, or the peer
 *			refused ours; or tlsod refused the profile to the
 *			task that asked (its uid and gid, as the request
 *			carries them: tlsod(8), ACCESS)
 *	ETIMEDOUT	the handshake did not end in time: the request's
 *			timeout_ms (at most TLSO_HANDSHAKE_TIMEOUT_MAX_MS;
 *			60000 for 0) and 5 s of grace for tlsod
 *	ECONNABORTED	tlsod went away during the handshake
 *	EPROTO		the peer broke the protocol, or shares no version,
 *			cipher or key exchange with the profile
 *	ECONNRESET	the peer closed or reset the connection mid-way
 *	EIO		tlsod reported success without installing keys, or
 *			failed in a way it could not name
 *	ENOMEM		the module could not keep the application data
 *			tlsod had read past the handshake, or the state a
 *			KeyUpdate needs
 *	(and the errno of TLS_TX/TLS_RX if the daemon could not install
 *	the keys; tlsod(8) lists which handshake failure maps to which)
 *	EINTR		a signal interrupted the wait (the handshake goes on)
 *
 * getsockopt(fd, SOL_TLS, TLSO_HANDSHAKE, &st, &len) returns struct
 * tlso_handshake_status.
 *
 * The module records who asked (the calling task's effective uid and gid,
 * its process id, and the uid that owns the socket) and tells tlsod in
 * ACCEPT, so that tlsod can decide who may use which profile.
 *
 * Closing the socket: while the request is queued, the application's
 * last close() ends it at once (the socket closes as any other).  Once
 * tlsod has taken it, tlsod holds a descriptor of its own: the handshake
 * goes on until DONE or the timeout, and the socket closes when tlsod
 * has closed that descriptor too.
 */
#define TLSO_HANDSHAKE		(TLSO_SOL_TLS_BASE + 0)

enum {
	TLSO_ROLE_CLIENT = 1,
	TLSO_ROLE_SERVER = 2,
};

/*
 * Sizes of the strings of a request and of its outcome, the terminating
 * NUL included; the module's netlink policy and tlsod use the same.  A
 * string that fills its array without a NUL is EINVAL.
 */
#define TLSO_PEER_NAME_SIZE	256
#define TLSO_PROFILE_SIZE	64
#define TLSO_IDENTITY_SIZE	256

/*
 * Request flags: none is defined yet, so flags must be 0; a request with
 * any bit outside TLSO_HANDSHAKE_FLAGS is EINVAL, so that a flag added
 * later is never ignored by a module that does not know it.
 */
#define TLSO_HANDSHAKE_FLAGS	0u

/*
 * A request's timeout_ms beyond this is taken as this (and tlsod is told
 * this): a request holds its socket, and must end in a bounded time.  0
 * still means tlsod's default.
 */
#define TLSO_HANDSHAKE_TIMEOUT_MAX_MS	120000

/*
 * Defaults of the module parameters that cap the requests waiting for
 * tlsod (queued or taken, not yet ended): per network namespace
 * (max_pending), and per user (the requesting task's effective uid)
 * within one (max_pending_per_user).  Both are at least 1, and root can
 * change them at any time in /sys/module/tlso/parameters/.
 */
#define TLSO_PENDING_MAX		1024
#define TLSO_PENDING_USER_MAX		128

struct tlso_handshake_req {
	__u32 role;		/* TLSO_ROLE_* */
	__u32 timeout_ms;	/* 0: the daemon's default */
	__u32 flags;		/* within TLSO_HANDSHAKE_FLAGS: today 0 */
	__u32 reserved;		/* 0 */
	/* client: SNI and the name to verify */
	char peer_name[TLSO_PEER_NAME_SIZE];
	/* tlsod's profile; "" means "default" */
	char profile[TLSO_PROFILE_SIZE];
};

/* The state of a socket's handshake: TLSO_HS_* means this and only this. */
enum {
	TLSO_HS_NONE = 0,	/* never asked */
	TLSO_HS_PENDING = 1,	/* queued or running */
	TLSO_HS_DONE = 2,	/* ended well: the socket carries TLS */
	TLSO_HS_FAILED = 3,	/* ended with the error in status */
};

/* What authenticated the peer of a handshake that is DONE. */
enum {
	TLSO_AUTH_NONE = 0,	/* nothing: the peer showed no credential */
	TLSO_AUTH_X509 = 1,	/* a certificate that verified */
	TLSO_AUTH_PSK = 2,	/* a pre-shared key */
};

struct tlso_handshake_status {
	__u32 state;		/* TLSO_HS_* */
	__u32 status;		/* positive errno when FAILED, else 0 */
	__u16 version;		/* TLS_1_2_VERSION, TLS_1_3_VERSION */
	__u16 cipher;		/* TLS_CIPHER_* */
	/* TLSO_AUTH_*: what peer_identity is (DONE only, else 0) */
	__u32 peer_auth;
	/*
	 * Who the peer is, as tlsod(8) spells it: for X.509 the leaf's
	 * subject, issuer and subject alternative names, or its SHA-256
	 * fingerprint when they do not fit; for PSK the identity.
	 */
	char peer_identity[TLSO_IDENTITY_SIZE];
	__u32 flags;		/* TLSO_HS_F_* (DONE only, else 0) */
};

/*
 * struct tlso_handshake_status's flags.  getsockopt fills as much of the
 * struct as len asks for, down to TLSO_HANDSHAKE_STATUS_SIZE_V1 (the
 * struct before flags; less is EINVAL), and sets len to what it wrote.
 */
#define TLSO_HS_F_RESUMED	0x1	/* a resumed session: no full handshake */
#define TLSO_HANDSHAKE_STATUS_SIZE_V1	272

/*
 * TLSO_INFO, level SOL_TLS, on any socket with tlso attached: this
 * socket's record counters, the per-socket share of the TlsoTxRecords,
 * TlsoRxRecords, TlsoTxBytes and TlsoRxBytes lines of /proc/net/tlso_stat.
 *
 * getsockopt(fd, SOL_TLS, TLSO_INFO, &info, &len) fills struct tlso_info.
 * As with TCP_INFO, a len shorter than the struct gets the struct cut
 * short, a longer one the whole struct, and len comes back as the bytes
 * written; a negative len is EINVAL.  Before keys every field is 0.
 * setsockopt is ENOPROTOOPT, as for TCP_INFO: the option cannot be set.
 *
 * tx_records counts the records this socket encrypted, when each is
 * sealed (even before TCP has taken all of it): data records, records
 * sent with a TLS_SET_RECORD_TYPE cmsg, and those tlso sends on its own
 * (close_notify at shutdown or close on a socket tlsod set up).  An open
 * MSG_MORE record counts when it is closed.  rx_records counts the
 * records this socket decrypted, when a read (recv, MSG_PEEK, splice)
 * first reaches each, whether or not its content has been read out yet:
 * data and control records, those tlso handles itself (session tickets,
 * close_notify on a socket tlsod set up), records of padding only.  A
 * record that has arrived but that no read has reached yet is not
 * counted, nor one that fails authentication, nor the application data
 * tlsod read past the handshake and handed over.  tx_bytes and rx_bytes
 * are those records' content bytes: no header, explicit nonce, tag, TLS
 * 1.3 content type or padding.  The counters only grow: a TLS 1.3 key
 * update does not reset them, and KeyUpdate messages count as records.
 */
#define TLSO_INFO		(TLSO_SOL_TLS_BASE + 1)

struct tlso_info {
	__u64 tx_records;	/* records encrypted */
	__u64 rx_records;	/* records decrypted */
	__u64 tx_bytes;		/* their content bytes */
	__u64 rx_bytes;
	/*
	 * TLS 1.3 KeyUpdates tlso itself sent and took in, on a socket
	 * tlsod set up with its traffic secrets (see TLSO_A_TX_SECRET).
	 */
	__u64 tx_key_updates;
	__u64 rx_key_updates;
};

/*
 * The handshake upcall: generic netlink family TLSO_GENL_NAME, multicast
 * group TLSO_GENL_MCGRP.  The module multicasts READY when a request is
 * queued; tlsod answers ACCEPT, whose reply installs a descriptor for the
 * socket in tlsod's own table and carries the request; tlsod performs the
 * handshake on it, installs the keys with TLS_TX and TLS_RX, and sends
 * DONE with the status, from the same netlink socket: that socket closing
 * before DONE (tlsod killed) ends the handshake with ECONNABORTED.
 *
 * A daemon's listening socket sets NETLINK_BROADCAST_ERROR: when its
 * queue is full, READY is lost and the socket reports ENOBUFS once, and
 * the daemon ACCEPTs until EAGAIN; without it, netlink tells the module
 * that nobody listened, and requests fail with ESRCH while it is busy.
 *
 * Joining the group, ACCEPT and DONE need CAP_NET_ADMIN in the network
 * namespace (EPERM otherwise), and see only that namespace's requests.
 * ACCEPT with nothing queued is EAGAIN.  The descriptor is installed only
 * once the reply is sent: when it cannot be (the caller's receive queue
 * is full), ACCEPT fails, nothing is installed and the request waits for
 * the next ACCEPT.  DONE for a request that has ended, or that another
 * daemon took, is ENOENT; an attribute outside its policy is ERANGE.
 *
 * On a socket tlsod set up, what the peer sends after the handshake is
 * handled in the kernel: TLS 1.3 session tickets are dropped (or passed
 * up, TLSO_A_TICKETS), close_notify
 * reads as end of file, any other alert as ECONNRESET; shutdown(SHUT_WR)
 * and close() send close_notify.  A TLS 1.3 KeyUpdate is handled too when
 * DONE carried the traffic secrets (TLSO_A_TX_SECRET, TLSO_A_RX_SECRET,
 * TLSO_A_HASH, all three or none): the kernel derives the next secret,
 * key and IV itself (RFC 8446 7.2, HKDF-Expand-Label with "traffic upd",
 * "key" and "iv"), switches the receive key after the peer's KeyUpdate,
 * answers update_requested with a KeyUpdate of its own before its next
 * record, and reads nothing of it to the application.  A KeyUpdate that
 * is malformed (a length other than 1, a request other than 0 or 1) is
 * EBADMSG, one that does not end its record, or handshake bytes cut off
 * by another record type, EPROTO.  Without the secrets a KeyUpdate reads
 * as EKEYEXPIRED.  DONE checks the secrets against the keys installed
 * with TLS_TX and TLS_RX: secrets that do not give those keys make the
 * handshake fail with EIO.
 *
 * Alerts on a socket tlsod set up, as a TLS library sends and reads them
 * (RFC 8446 5 and 6, RFC 5246 7.2).  A fatal error tlso finds in what it
 * receives sends the peer the alert that names it, level fatal, under the
 * current send key, after the rest of any record TCP already holds part
 * of; an open MSG_MORE record is dropped.  The application's reads get
 * the errno at once; its sends, and the reads after, get it for good:
 *
 *	bad_record_mac		a record that does not authenticate	EBADMSG
 *	record_overflow		a ciphertext past 2^14 + 256 (TLS 1.3)
 *				or 2^14 + nonce + tag (TLS 1.2), or
 *				content past 2^14			EMSGSIZE
 *	unexpected_message	TLS 1.3: no content type (zeros only)	EBADMSG
 *				a record type with no place: a plaintext
 *				alert or ChangeCipherSpec in TLS 1.3, a
 *				ChangeCipherSpec or unknown type in 1.2;
 *				a handshake message other than KeyUpdate
 *				and NewSessionTicket (TLS 1.2: any, there
 *				is no renegotiation)			EPROTO
 *	decode_error		a malformed KeyUpdate or alert; a header
 *				too short for nonce and tag		EBADMSG
 *				version bytes other than 3,3		EINVAL
 *
 * The peer's close_notify reads as end of file and is answered by nothing
 * (close() or shutdown() sends tlso's own); user_canceled, and in TLS 1.2
 * any warning-level alert, ends nothing; every other alert reads as
 * ECONNRESET and is not answered.  A TLS 1.3 peer may pad records to the
 * RFC's 2^14 + 256 bytes of ciphertext.
 *
 * Sockets whose application installed the keys keep kTLS's behaviour:
 * no alert is sent, padding stops at the type byte, records of every
 * type are read with TLS_GET_RECORD_TYPE, and an error in a record's
 * header is reported once (then reads see no more records: EAGAIN on a
 * non-blocking socket), while a record that fails to decrypt fails every
 * read after it.
 */
#define TLSO_GENL_NAME		"tlso"
#define TLSO_GENL_VERSION	1
#define TLSO_GENL_MCGRP		"handshake"

/*
 * The most TLSO_A_RX_DATA one DONE may carry: application data that came
 * in behind the peer's Finished (one netlink attribute could hold 65531).
 */
#define TLSO_RX_DATA_MAX	65000

/*
 * DONE's TLSO_A_STATUS: 0 or an errno the application may see; the
 * kernel's own codes from 512 up (ERESTARTSYS...) are refused (ERANGE, by
 * the family's netlink policy) and the request stays as it was.
 */
#define TLSO_DONE_STATUS_MAX	511

/* TLSO_A_HASH: the suite's hash, which the secrets are as long as. */
enum {
	TLSO_HASH_NONE = 0,
	TLSO_HASH_SHA256 = 1,	/* 32-byte secrets */
	TLSO_HASH_SHA384 = 2,	/* 48-byte secrets */
};

/*
 * TLSO_A_RECORD_SIZE_LIMIT: records tlso sends on the socket then carry
 * at most that many bytes of plaintext (TLS 1.3: one less, the content
 * type counts), never more than 2^14.  RFC 8449's bounds.
 */
#define TLSO_RECORD_SIZE_LIMIT_MIN	64
#define TLSO_RECORD_SIZE_LIMIT_MAX	16385

/*
 * TLS 1.3 session tickets on a client socket tlsod set up with
 * TLSO_A_TICKETS: the first TLSO_TICKETS_MAX NewSessionTicket messages of
 * at most TLSO_TICKET_MSG_MAX bytes each are multicast to the daemons'
 * group in TLSO_CMD_TICKET, with the request's TLSO_A_REQ_ID, for tlsod
 * to turn into a session it can resume; the rest are dropped (counted in
 * tlso_stat).  Never read by the application.
 */
#define TLSO_TICKETS_MAX	4
#define TLSO_TICKET_MSG_MAX	4096

/* The longest traffic secret (SHA-384's). */
#define TLSO_SECRET_MAX		48

/*
 * On a socket with tlsod's secrets tlso sends a KeyUpdate of its own
 * before a send key seals more records than this (RFC 8446 5.5): 2^24 for
 * AES-GCM (the RFC's 2^24.5, rounded down), 2^23 for AES-CCM (half as
 * many, a conservative bound), 2^40 for ChaCha20-Poly1305 (which the RFC
 * leaves unbounded).  The module parameter key_update_records (0: these)
 * and DONE's TLSO_A_KU_RECORDS (a profile's key_update_records in tlsod,
 * at least 1) set a smaller limit.
 */
#define TLSO_KU_RECORDS_AES_GCM		16777216ULL	/* 2^24 */
#define TLSO_KU_RECORDS_AES_CCM		8388608ULL	/* 2^23 */
#define TLSO_KU_RECORDS_CHACHA		1099511627776ULL	/* 2^40 */

/*
 * TLSO_CMD_SOCK_GET, a dump (NLM_F_DUMP; there is no single-socket get):
 * one message per socket tlso is attached to in the caller's network
 * namespace, oldest first.  Anyone may ask; a caller without
 * CAP_NET_ADMIN in that namespace sees only the sockets it owns (the
 * socket's uid, TLSO_A_SOCK_UID, is its effective uid).  Ids are in the
 * caller's user and pid namespaces, as in ACCEPT.  Each socket is read
 * under its lock, so its fields agree with each other; a socket attached
 * or closed while the dump runs may or may not be in it.
 *
 * Always: TLSO_A_INODE, TLSO_A_FAMILY, the addresses and ports, TLSO_A_PID
 * (the process that attached tlso, 0 if gone or not in the caller's pid
 * namespace) and TLSO_A_COMM, TLSO_A_SOCK_UID, TLSO_A_SOCK_STATE and
 * TLSO_A_INFO.  With keys: TLSO_A_VERSION, TLSO_A_CIPHER, TLSO_A_KEYS_BY.
 * After a handshake through tlsod: TLSO_A_HS_US, and TLSO_A_STATUS (on
 * failure) or TLSO_A_PEER_AUTH, TLSO_A_PEER_IDENTITY (when the peer had
 * one) and TLSO_A_RESUMED (when it was resumed).
 */
enum {
	TLSO_SOCK_ATTACHED = 1,	/* no keys, no handshake asked */
	TLSO_SOCK_HANDSHAKE = 2,	/* TLSO_HANDSHAKE pending */
	TLSO_SOCK_KEYS = 3,	/* keys in one direction or both */
	TLSO_SOCK_FAILED = 4,	/* the handshake failed */
};

enum {
	TLSO_KEYS_BY_APP = 1,	/* TLS_TX/TLS_RX from the application */
	TLSO_KEYS_BY_DAEMON = 2,	/* tlsod's handshake */
};

enum {
	TLSO_CMD_UNSPEC,
	TLSO_CMD_READY,		/* kernel -> group: a request is queued */
	TLSO_CMD_ACCEPT,	/* daemon -> kernel: give me the next one */
	TLSO_CMD_DONE,		/* daemon -> kernel: this one has ended */
	TLSO_CMD_TICKET,	/* kernel -> group: a TLS 1.3 session ticket */
	TLSO_CMD_SOCK_GET,	/* dump: the sockets tlso is attached to */
	__TLSO_CMD_MAX
};

#define TLSO_CMD_MAX (__TLSO_CMD_MAX - 1)

enum {
	TLSO_A_UNSPEC,
	TLSO_A_SOCKFD,		/* u32: descriptor in the daemon */
	TLSO_A_ROLE,		/* u32: TLSO_ROLE_* */
	TLSO_A_TIMEOUT,		/* u32: milliseconds, 0 for the default */
	TLSO_A_FLAGS,		/* u32: the request's flags */
	TLSO_A_PEERNAME,	/* string, < TLSO_PEER_NAME_SIZE */
	TLSO_A_PROFILE,		/* string, < TLSO_PROFILE_SIZE */
	TLSO_A_STATUS,		/* u32: 0 or positive errno */
	TLSO_A_PEER_IDENTITY,	/* string, < TLSO_IDENTITY_SIZE */
	/* binary: application data read past Finished, delivered first */
	TLSO_A_RX_DATA,
	TLSO_A_REQ_ID,		/* u64: the request ACCEPT handed out */
	/*
	 * In ACCEPT: who asked, as TLSO_HANDSHAKE recorded it, in the
	 * daemon's own user and pid namespaces (the overflow uid and gid,
	 * 65534 by default, where they do not map): the requesting task's
	 * effective uid and gid, its process id (0 when that process is
	 * not in the daemon's pid namespace, or has exited), and the uid
	 * that owns the socket (who created it).
	 */
	TLSO_A_UID,		/* u32 */
	TLSO_A_GID,		/* u32 */
	TLSO_A_PID,		/* u32 */
	TLSO_A_SOCK_UID,	/* u32 */
	/* u32: TLSO_AUTH_*, in DONE (else NONE); above PSK is ERANGE */
	TLSO_A_PEER_AUTH,
	/*
	 * In DONE, TLS 1.3: the application traffic secrets of the keys
	 * installed, binary of the hash's length, and the hash, u32
	 * TLSO_HASH_* (else ERANGE).
	 */
	TLSO_A_TX_SECRET,
	TLSO_A_RX_SECRET,
	TLSO_A_HASH,
	/* u32, in DONE with the secrets: records a send key may seal */
	TLSO_A_KU_RECORDS,
	/*
	 * u32, in DONE: the peer's record_size_limit (RFC 8449), when both
	 * ends sent the extension: TLSO_RECORD_SIZE_LIMIT_MIN to
	 * TLSO_RECORD_SIZE_LIMIT_MAX (else ERANGE).
	 */
	TLSO_A_RECORD_SIZE_LIMIT,
	/*
	 * flag, in DONE with the secrets, client role: pass the server's
	 * session tickets up (TLSO_CMD_TICKET) instead of dropping them.
	 */
	TLSO_A_TICKETS,
	/*
	 * In TICKET, with TLSO_A_REQ_ID: one NewSessionTicket message,
	 * type and length bytes included, at most TLSO_TICKET_MSG_MAX.
	 */
	TLSO_A_TICKET,
	/* flag, in DONE: the session was resumed (TLSO_HS_F_RESUMED) */
	TLSO_A_RESUMED,
	/*
	 * u32, in ACCEPT's reply: microseconds from TLSO_HANDSHAKE to the
	 * ACCEPT (at most U32_MAX), so that tlsod can say where a
	 * handshake's time went.
	 */
	TLSO_A_QUEUED_US,
	/*
	 * SOCK_GET's answer, one message per socket (see there), with
	 * TLSO_A_PID, TLSO_A_SOCK_UID, TLSO_A_STATUS, TLSO_A_PEER_AUTH,
	 * TLSO_A_PEER_IDENTITY and TLSO_A_RESUMED; the kernel refuses
	 * them in a request (EINVAL).
	 */
	TLSO_A_INODE,		/* u64: the socket's inode, as ss shows it */
	TLSO_A_FAMILY,		/* u32: AF_INET or AF_INET6 */
	TLSO_A_LOCAL_ADDR,	/* binary: 4 or 16 bytes, network order */
	TLSO_A_LOCAL_PORT,	/* u32, host order */
	TLSO_A_PEER_ADDR,
	TLSO_A_PEER_PORT,
	TLSO_A_COMM,		/* string: the command that attached tlso */
	TLSO_A_SOCK_STATE,	/* u32: TLSO_SOCK_* */
	TLSO_A_KEYS_BY,		/* u32: TLSO_KEYS_BY_*, once keys are in */
	TLSO_A_VERSION,		/* u32: TLS_1_2_VERSION or TLS_1_3_VERSION */
	TLSO_A_CIPHER,		/* u32: TLS_CIPHER_* */
	TLSO_A_INFO,		/* binary: struct tlso_info, as TLSO_INFO */
	TLSO_A_HS_US,		/* u64: TLSO_HANDSHAKE to DONE, microseconds */
	__TLSO_A_MAX
};

#define TLSO_A_MAX (__TLSO_A_MAX - 1)

/* Lines of /proc/net/tlso_stat, in the order the file prints them. */
#define TLSO_STAT_CURR_ATTACHED	"TlsoCurrAttached"	/* sockets now */
#define TLSO_STAT_ATTACHED	"TlsoAttached"		/* total ever */
#define TLSO_STAT_CURR_TX	"TlsoCurrTx"	/* sockets with send keys */
#define TLSO_STAT_CURR_RX	"TlsoCurrRx"	/* sockets with receive keys */
#define TLSO_STAT_TX		"TlsoTx"	/* send keys ever installed */
#define TLSO_STAT_RX		"TlsoRx"	/* receive keys ever installed */
#define TLSO_STAT_TX_RECORDS	"TlsoTxRecords"	/* records encrypted */
#define TLSO_STAT_RX_RECORDS	"TlsoRxRecords"	/* records decrypted */
#define TLSO_STAT_TX_BYTES	"TlsoTxBytes"	/* their content bytes */
#define TLSO_STAT_RX_BYTES	"TlsoRxBytes"
#define TLSO_STAT_DECRYPT_ERROR	"TlsoDecryptError"	/* failed auth */
#define TLSO_STAT_TX_REKEY_OK	"TlsoTxRekeyOk"	/* TLS 1.3 key updates */
#define TLSO_STAT_TX_REKEY_ERROR "TlsoTxRekeyError"
#define TLSO_STAT_RX_REKEY_OK	"TlsoRxRekeyOk"
#define TLSO_STAT_RX_REKEY_ERROR "TlsoRxRekeyError"
#define TLSO_STAT_RX_REKEY_RECEIVED "TlsoRxRekeyReceived" /* peer KeyUpdates */
/* KeyUpdates tlso sent and took in itself (tlsod's sockets) */
#define TLSO_STAT_TX_KEY_UPDATE	"TlsoTxKeyUpdate"
#define TLSO_STAT_RX_KEY_UPDATE	"TlsoRxKeyUpdate"
/* TLS 1.3 session tickets passed up to tlsod, and those dropped */
#define TLSO_STAT_TICKET_UP	"TlsoTicketUp"
#define TLSO_STAT_TICKET_DROP	"TlsoTicketDrop"

#endif /* _UAPI_LINUX_TLSO_H */
