/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The words between the parent and a worker, over their SOCK_SEQPACKET
 * pair, and signing through the parent.
 *
 * A worker parses a peer's bytes, so it must not hold a long-term
 * private key: the parent keeps each profile's key (config.c), and the
 * worker's GnuTLS credentials hold an external key instead, whose
 * callbacks (here) send the data to sign or decrypt to the parent and
 * wait for the answer.  The parent answers in its poll loop
 * (tlsod_kp_serve()).  A subverted worker can have the parent sign while
 * it lives, but cannot take a key away.
 *
 * Every message is one packet: a struct tlsod_msg_hdr, then hdr.len
 * bytes (at most TLSOD_MSG_DATA_MAX).  Besides the requests, the pair
 * carries the words of worker.h: IDLE and QUIT from a worker, TAKE and
 * QUIT from the parent, all without data, and a worker's OUTCOME.
 */
#ifndef TLSOD_KEYPROXY_H
#define TLSOD_KEYPROXY_H

#include <stddef.h>
#include <stdint.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

/*
 * Room for what TLS 1.2 and 1.3 have signed or decrypted (a TLS 1.2
 * EdDSA signature covers the randoms and the key share: a few hundred
 * bytes, ffdhe8192's 1 KiB at most) and for the largest signature of an
 * RSA key (16384 bits: 2 KiB).
 */
#define TLSOD_MSG_DATA_MAX	8192

enum tlsod_msg_type {
	TLSOD_MSG_IDLE = 1,	/* worker: done, waiting for another */
	TLSOD_MSG_QUIT,		/* either way: leave / you may leave */
	TLSOD_MSG_TAKE,		/* parent: another request is there */
	TLSOD_MSG_SIGN_HASH,	/* worker: sign data, a hash, with key */
	TLSOD_MSG_SIGN_DATA,	/* worker: hash and sign data with key */
	TLSOD_MSG_DECRYPT,	/* worker: RSA-decrypt data with key */
	TLSOD_MSG_RESULT,	/* parent: status, and the bytes if 0 */
	/* resumption.h's words */
	TLSOD_MSG_HOLD,		/* worker: I keep request <id>'s session */
	TLSOD_MSG_TICKET,	/* parent: <id>, a NewSessionTicket for it */
	TLSOD_MSG_SESSION_PUT,	/* worker: <peer key> <session> to keep */
	TLSOD_MSG_SESSION_TAKE,	/* worker: <peer key>; RESULT a session */
	TLSOD_MSG_PROBE,	/* parent: TAKE, maybe nothing; say TOOK */
	TLSOD_MSG_TOOK,		/* worker: PROBE found a request */
	/*
	 * worker: a handshake ended; status its errno (0: ok), flags 1 if
	 * it resumed a session, data an int64_t: microseconds from
	 * TLSO_HANDSHAKE to DONE (stats.h)
	 */
	TLSOD_MSG_OUTCOME,
	TLSOD_MSG_TYPE_MAX = TLSOD_MSG_OUTCOME,
};

struct tlsod_msg_hdr {
	uint32_t type;		/* enum tlsod_msg_type */
	uint32_t key;		/* index into the worker's keys */
	uint32_t algo;		/* gnutls_sign_algorithm_t; 0: decrypt */
	uint32_t flags;		/* GNUTLS_PRIVKEY_SIGN_FLAG_* */
	int32_t status;		/* RESULT: 0 or a GnuTLS error; else 0 */
	uint32_t len;		/* bytes that follow */
};

struct tlsod_msg {
	struct tlsod_msg_hdr h;
	unsigned char data[TLSOD_MSG_DATA_MAX];
};

/* The flags a worker may pass through to the parent's key. */
#define TLSOD_MSG_SIGN_FLAGS	(GNUTLS_PRIVKEY_SIGN_FLAG_TLS1_RSA | \
				 GNUTLS_PRIVKEY_SIGN_FLAG_RSA_PSS)

/* A key as a worker knows it: its index, and the certificate's key. */
struct tlsod_keyref {
	unsigned int index;
	gnutls_pk_algorithm_t pk;
	unsigned int bits;
};

/* A message without data: 0, or -1 with errno. */
int tlsod_msg_send_word(int sock, enum tlsod_msg_type type);

/*
 * One message into m, without blocking when dontwait: its type, 0 when
 * the other end has gone, -1 with errno (EAGAIN, EINTR; EBADMSG for a
 * message that is not one: short, too long, or len not what came).
 */
int tlsod_msg_recv(int sock, struct tlsod_msg *m, int dontwait);

/*
 * An external key for ref, whose operations go to the parent: what
 * config.c gives GnuTLS credentials in place of the real key.
 */
int tlsod_kp_ext_key(gnutls_privkey_t *out, struct tlsod_keyref *ref);

/* In a worker: the parent is at the other end of sock. */
void tlsod_kp_worker(int sock);

/*
 * The worker's side: send m (h.len bytes of data) to the parent; with
 * tlsod_parent_call() also wait for its RESULT, into m.  0, or -1 when
 * the parent did not answer as it should (logged).
 */
int tlsod_parent_send(const struct tlsod_msg *m);
int tlsod_parent_call(struct tlsod_msg *m);
/* What signing through the parent has cost since the last call, in us. */
int64_t tlsod_kp_take_wait_us(void);

/*
 * In the parent: answer m, a worker's request, with keys (nkeys of
 * them, the worker's configuration's), on sock.  Returns 0 when the
 * worker had an answer (an error status too), -1 when m is not a request
 * a worker may make, or the answer could not be sent: the worker is not
 * to be trusted any more.  why says what was wrong.
 */
int tlsod_kp_serve(int sock, const struct tlsod_msg *m,
		   gnutls_privkey_t const *keys, unsigned int nkeys,
		   char *why, size_t whysize);

#endif /* TLSOD_KEYPROXY_H */
