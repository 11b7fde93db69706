/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlsod's side of the handshake upcall: generic netlink family "tlso"
 * (kmod/include/uapi/linux/tlso.h), through libnl-genl-3.
 */
#ifndef TLSOD_NETLINK_H
#define TLSOD_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/tlso.h>

/* The parent's socket: READY notifications from the group. */
struct tlsod_listener;

/*
 * Join TLSO_GENL_MCGRP, which is what the kernel takes as "tlsod is
 * running".  -ENOENT: the family does not exist (module not loaded).
 */
int tlsod_listen(struct tlsod_listener **out);
int tlsod_listener_fd(const struct tlsod_listener *l);

/*
 * Read what is queued, without blocking.  Adds to *ready one per READY,
 * and to *probes a few when the socket overran and READYs were lost: an
 * unknown number of requests wait, which workers look for until one
 * finds none.  Follows the family when the module is unloaded and loaded
 * again.
 */
int tlsod_listener_read(struct tlsod_listener *l, unsigned int *ready,
			unsigned int *probes);

/* Called from tlsod_listener_read() for each TLSO_CMD_TICKET. */
typedef void (*tlsod_ticket_fn)(void *arg, uint64_t id, const void *msg,
				size_t len);
void tlsod_listener_on_ticket(struct tlsod_listener *l, tlsod_ticket_fn fn,
			      void *arg);

/*
 * Close this copy of the socket.  The group is left when the last copy
 * goes, so a child closing the one it inherited leaves the parent's
 * membership alone.
 */
void tlsod_listener_free(struct tlsod_listener *l);

/* One request, as the reply to ACCEPT carried it. */
struct tlsod_request {
	int fd;			/* TLSO_A_SOCKFD, -1 if absent */
	uint64_t id;		/* TLSO_A_REQ_ID */
	int have_id;
	uint32_t role;
	uint32_t timeout_ms;
	uint32_t flags;
	char peer_name[TLSO_PEER_NAME_SIZE];
	char profile[TLSO_PROFILE_SIZE];
	/*
	 * Who asked (TLSO_A_UID, _GID, _PID, _SOCK_UID), in tlsod's own
	 * namespaces: 65534 for a uid or gid that does not map there, pid
	 * 0 for a process tlsod cannot see or that has exited.  have_creds
	 * is 0 when the module sent none (then the four are 0).
	 */
	int have_creds;
	uint32_t uid;
	uint32_t gid;
	uint32_t pid;
	uint32_t sock_uid;
	/* TLSO_A_QUEUED_US: how long it waited for ACCEPT; 0 if not said */
	uint32_t queued_us;
};

/*
 * A worker's own socket, for one ACCEPT and its DONE: the module takes
 * DONE only from the socket that sent the ACCEPT, and takes that socket's
 * closing for the daemon's end.
 */
struct tlsod_worker_nl;

int tlsod_worker_connect(struct tlsod_worker_nl **out);
void tlsod_worker_free(struct tlsod_worker_nl *w);

/*
 * ACCEPT the next request.  Returns 0, or a negative errno: the one the
 * kernel answered with (-EAGAIN: another worker took it), -EBADMSG for a
 * reply that does not parse.
 */
int tlsod_accept(struct tlsod_worker_nl *w, struct tlsod_request *req);

struct tlsod_result {
	uint32_t status;		/* 0 or a positive errno */
	uint32_t peer_auth;		/* TLSO_AUTH_*, sent with status 0 */
	const char *peer_identity;	/* NULL or "" for none */
	const void *rx_data;		/* read past Finished */
	size_t rx_len;
	/* TLS 1.3 traffic secrets, secret_len bytes each, 0: none */
	uint32_t hash;			/* TLSO_HASH_* */
	uint32_t ku_records;		/* 0: not sent */
	uint32_t record_size_limit;	/* the peer's, RFC 8449; 0: none */
	bool tickets;			/* pass TLS 1.3 tickets up */
	bool resumed;
	size_t secret_len;
	const void *tx_secret;
	const void *rx_secret;
};

/* DONE for req.  Returns 0 or the negative errno of the kernel's answer. */
int tlsod_done(struct tlsod_worker_nl *w, const struct tlsod_request *req,
	       const struct tlsod_result *res);

#endif /* TLSOD_NETLINK_H */
