// SPDX-License-Identifier: GPL-2.0
/*
 * A worker: ACCEPT, the handshake, DONE, and the worker's side of the
 * words it exchanges with the parent (worker.h).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "handshake.h"
#include "keyproxy.h"
#include "log.h"
#include "resumption.h"
#include "tlsod.h"
#include "worker.h"

/* For the netlink exchanges before and after the handshake. */
#define TLSOD_NL_ALARM_S	30

static const char *auth_name(uint32_t auth)
{
	switch (auth) {
	case TLSO_AUTH_X509:
		return "x509";
	case TLSO_AUTH_PSK:
		return "psk";
	default:
		return "none";
	}
}

/* The parent counts it (stats.h); a lost word costs a count, nothing more. */
static void tell_outcome(const struct tlsod_outcome *out, int64_t us)
{
	struct tlsod_msg m = {
		.h = {
			.type = TLSOD_MSG_OUTCOME,
			.status = (int32_t)out->status,
			.flags = out->resumed ? 1 : 0,
			.len = sizeof(us),
		},
	};

	memcpy(m.data, &us, sizeof(us));
	tlsod_parent_send(&m);
}

/*
 * One line a handshake.  The peer and profile names are the
 * application's and go in escaped; the identity is printable already
 * (identity.c).
 */
static void log_outcome(const struct tlsod_request *req,
			const struct tlsod_outcome *out)
{
	const char *profile = out->profile ? out->profile :
			      req->profile[0] ? req->profile :
			      TLSOD_PROFILE_DEFAULT;
	char peer[TLSOD_ESC_SIZE(TLSO_PEER_NAME_SIZE)];
	char prof[TLSOD_ESC_SIZE(TLSO_PROFILE_SIZE)];

	tlsod_esc(peer, sizeof(peer), (const unsigned char *)req->peer_name,
		  strnlen(req->peer_name, sizeof(req->peer_name)));
	tlsod_esc(prof, sizeof(prof), (const unsigned char *)profile,
		  strnlen(profile, TLSO_PROFILE_SIZE));
	if (out->status == 0) {
		log_info("handshake fd %d role %s peer '%s' profile '%s': ok, %s %s%s, peer %s '%s'%s",
			 req->fd, tlsod_role_name(req->role), peer, prof,
			 out->version, out->cipher,
			 out->resumed ? ", resumed" : "",
			 auth_name(out->peer_auth), out->peer_identity,
			 out->rx_len ? ", data read ahead" : "");
		return;
	}
	log_notice("handshake fd %d role %s peer '%s' profile '%s': failed: %s (%s)",
		   req->fd, tlsod_role_name(req->role), peer, prof,
		   out->reason, strerrorname_np(out->status) ?: "?");
}

enum take { TAKE_OK, TAKE_BAD, TAKE_NONE, TAKE_ERROR };

/*
 * TAKE_BAD: the reply did not parse, but it did hand us a descriptor, so
 * the kernel must still hear about it.
 */
static enum take take_request(struct tlsod_worker_nl *w,
			      struct tlsod_request *req)
{
	int ret = tlsod_accept(w, req);

	if (ret == 0)
		return TAKE_OK;
	if (ret == -EAGAIN) {
		log_debug("nothing to accept: another worker took it");
		return TAKE_NONE;
	}
	if (req->fd >= 0) {
		log_err("ACCEPT: malformed reply for fd %d", req->fd);
		return TAKE_BAD;
	}
	log_err("ACCEPT: %s%s", strerror(-ret),
		ret == -EPERM ? " (tlsod needs CAP_NET_ADMIN)" : "");
	return TAKE_ERROR;
}

int tlsod_serve_one(const struct tlsod_config *cfg,
		    struct tlsod_worker_nl **wp, int took)
{
	struct tlsod_outcome out = { 0 };
	struct tlsod_worker_nl *w = *wp;
	struct tlsod_request req;
	struct tlsod_result res;
	int64_t t0, t1, t2, sign_us = 0;
	int ret;

	/* A peer that resets must not kill us before DONE. */
	signal(SIGPIPE, SIG_IGN);
	alarm(TLSOD_NL_ALARM_S);
	if (!w) {
		ret = tlsod_worker_connect(&w);
		if (ret) {
			log_err("worker: generic netlink: %s", strerror(-ret));
			return 1;
		}
		*wp = w;
	}
	t0 = tlsod_now_us();
	switch (take_request(w, &req)) {
	case TAKE_NONE:
		return 0;
	case TAKE_ERROR:
		tlsod_worker_free(w);
		*wp = NULL;
		return 1;
	case TAKE_BAD:
		out = (struct tlsod_outcome){
			.status = EINVAL,
			.reason = "malformed ACCEPT reply",
		};
		break;
	case TAKE_OK:
		/* Before the handshake: the next probe need not wait for it. */
		if (took >= 0 && tlsod_msg_send_word(took, TLSOD_MSG_TOOK))
			log_warn("worker: TOOK: %s", strerror(errno));
		tlsod_kp_take_wait_us();
		tlsod_handshake(cfg, &req, &out);
		sign_us = tlsod_kp_take_wait_us();
		break;
	}
	alarm(TLSOD_NL_ALARM_S);
	t1 = tlsod_now_us();
	res = (struct tlsod_result){
		.status = out.status,
		.peer_auth = out.peer_auth,
		.peer_identity = out.peer_identity,
		.rx_data = out.rx,
		.rx_len = out.rx_len,
		.hash = out.hash,
		.ku_records = out.ku_records,
		.record_size_limit = out.record_size_limit,
		.tickets = out.held != NULL,
		.resumed = out.resumed,
		.secret_len = out.secret_len,
		.tx_secret = out.tx_secret,
		.rx_secret = out.rx_secret,
	};
	ret = tlsod_done(w, &req, &res);
	t2 = tlsod_now_us();
	log_outcome(&req, &out);
	tell_outcome(&out, req.queued_us + (t2 - t0));
	log_debug("handshake fd %d role %s took %lld us: queued %u, ACCEPT %lld, set-up %lld, handshake %lld (signing %lld), keys %lld, DONE %lld",
		  req.fd, tlsod_role_name(req.role), (long long)(t2 - t0),
		  req.queued_us,
		  (long long)(t1 - t0 - out.setup_us - out.handshake_us -
			      out.keys_us),
		  (long long)out.setup_us, (long long)out.handshake_us,
		  (long long)sign_us, (long long)out.keys_us, (long long)(t2 - t1));
	if (!ret && out.held && req.have_id) {
		tlsod_resume_hold(req.id, out.held, out.held_psk,
				  &out.peer_key);
		out.held = NULL;
		out.held_psk = NULL;
	}
	if (ret == -ENOENT)
		log_warn("DONE for fd %d: the request had already ended (timed out or cancelled)",
			 req.fd);
	else if (ret)
		log_warn("DONE for fd %d: the kernel answered %s", req.fd,
			 strerror(-ret));
	tlsod_outcome_release(&out);
	close(req.fd);
	if (ret && ret != -ENOENT) {
		/*
		 * the socket may be out of step: the next request gets a new
		 * one
		 */
		tlsod_worker_free(w);
		*wp = NULL;
		return 1;
	}
	return 0;
}

/*
 * The parent's next word, within ms (-1: no limit); 0 when none came.
 * Session tickets for the sessions this worker holds are taken in on
 * the way, and are no word.
 */
static int hear(int sock, int ms)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	int64_t until = ms < 0 ? -1 : tlsod_now_ms() + ms;
	struct tlsod_msg m;
	int n, left = ms;

	for (;;) {
		do {
			n = poll(&pfd, 1, left);
		} while (n < 0 && errno == EINTR);
		if (n <= 0)
			return 0;
		n = tlsod_msg_recv(sock, &m, 0);
		if (n <= 0)
			return TLSOD_MSG_QUIT;	/* the parent is gone */
		if (n != TLSOD_MSG_TICKET)
			return n;
		tlsod_resume_ticket(&m);
		if (until >= 0) {
			left = until - tlsod_now_ms();
			if (left < 0)
				left = 0;
		}
	}
}

/*
 * A worker that is to go may still hold sessions whose tickets are on
 * their way: it waits for them first (the parent gives it no request
 * meanwhile, since it did not say IDLE), within TLSOD_TICKET_WAIT_MS.
 */
static void wait_tickets(int sock)
{
	int ms;

	while ((ms = tlsod_resume_wait_ms()) > 0)
		if (hear(sock, ms) == TLSOD_MSG_QUIT)
			break;
}

/*
 * A worker ends on SIGTERM (the parent's second stop, systemd), but not
 * on the ^C or hangup that reaches a whole foreground process group: the
 * parent decides whether running handshakes finish.
 */
void tlsod_worker_run(const struct tlsod_config *cfg, int sock,
		      const sigset_t *sigs, bool probe)
{
	struct tlsod_worker_nl *nl = NULL;
	int status = 0;
	int c;

	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	sigprocmask(SIG_UNBLOCK, sigs, NULL);
	for (;;) {
		status |= tlsod_serve_one(cfg, &nl, probe ? sock : -1);
		alarm(0);
		if (!tlsod_opts.worker_idle_ms) {
			wait_tickets(sock);
			break;
		}
		if (tlsod_msg_send_word(sock, TLSOD_MSG_IDLE))
			break;
		c = hear(sock, tlsod_opts.worker_idle_ms);
		/* still idle, for the tickets of the sessions it holds */
		while (!c && tlsod_resume_wait_ms() > 0)
			c = hear(sock, tlsod_resume_wait_ms());
		if (!c && !tlsod_msg_send_word(sock, TLSOD_MSG_QUIT))
			c = hear(sock, -1);
		if (c != TLSOD_MSG_TAKE && c != TLSOD_MSG_PROBE)
			break;
		probe = c == TLSOD_MSG_PROBE;
		log_debug("worker %d takes another request", (int)getpid());
	}
	tlsod_worker_free(nl);
	exit(status);
}
