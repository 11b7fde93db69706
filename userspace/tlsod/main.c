// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod: the handshake daemon of tlso.
 *
 * One single-threaded parent waits on the generic netlink socket that
 * hears READY from the tlso module, a signalfd, and a socket pair to
 * each worker.  Each READY goes to a worker process (worker.h), an idle
 * one or a new one.  A worker keeps the configuration it was forked
 * with; a reload lets the old ones finish and go.
 *
 * The parent alone holds the private keys (config.c): workers ask it to
 * sign (keyproxy.h), which it does in this loop, for the configuration
 * the worker was forked with, kept until the last such worker is gone.
 * Once the group is joined, the parent drops its privileges
 * (privilege.h): a reload reads the files as tlsod's user.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "handshake.h"
#include "keyproxy.h"
#include "log.h"
#include "netlink.h"
#include "notify.h"
#include "priority.h"
#include "privilege.h"
#include "resumption.h"
#include "session_cache.h"
#include "stats.h"
#include "tlsod.h"
#include "worker.h"

/* Beyond this many handshakes at once, READYs wait for a free slot. */
#define TLSOD_MAX_WORKERS	256
/* Session tickets waiting for their busy worker to listen again. */
#define TLSOD_TICKETS_QUEUED_MAX	32

struct daemon {
	struct tlsod_config *cfg;
	struct tlsod_listener *nl;
	int sfd;
	sigset_t sigs;		/* blocked, for sfd */
	struct worker {
		pid_t pid;	/* 0: a free slot */
		int sock;	/* to the worker; -1 once it has hung up */
		unsigned int gen;	/* the configuration it runs */
		struct tlsod_config *cfg;	/* that one, for its keys */
		bool idle;	/* waiting for a TAKE */
		bool probing;	/* its last take was a probe: TOOK may come */
		/* between handshakes (HOLD or IDLE): tickets may go to it */
		bool listening;
		/* the requests whose sessions it holds (resumption.h) */
		uint64_t held[TLSOD_HELD_MAX];
		unsigned int held_next;
	} w[TLSOD_MAX_WORKERS];
	/*
	 * Tickets for a worker in a handshake, or for a request no worker
	 * has claimed yet: on loopback a server's tickets reach the parent
	 * before the worker's HOLD.
	 */
	struct queued_ticket {
		pid_t pid;	/* 0: a free slot; -1: not claimed yet */
		uint64_t id;
		int64_t since_ms;
		struct tlsod_msg m;
	} *tickets;		/* TLSOD_TICKETS_QUEUED_MAX of them */
	struct tlsod_session_cache *sessions;
	/* Configurations replaced by a reload that workers still run. */
	struct tlsod_config *retired[TLSOD_MAX_WORKERS];
	unsigned int workers;	/* running */
	unsigned int gen;	/* bumped at each reload */
	unsigned int waiting;	/* READYs not yet given a worker */
	unsigned int probes;	/* PROBEs to send: READYs were lost */
	bool stopping;
	struct tlsod_stats stats;
};

/*
 * The default file may be absent (a client-only machine needs none);
 * one named with -c must be there.
 */
static struct tlsod_config *read_config(void)
{
	struct tlsod_config *cfg;
	char err[768];

	cfg = tlsod_config_load(tlsod_opts.config, err, sizeof(err));
	if (!cfg && errno == ENOENT && !tlsod_opts.config_given) {
		log_notice("no %s: built-in defaults (profile 'default': client, system trust store)",
			   tlsod_opts.config);
		cfg = tlsod_config_builtin(err, sizeof(err));
	}
	if (!cfg)
		log_err("%s", err);
	else
		tlsod_priority_prepare(cfg);
	return cfg;
}

static void log_profiles(const struct tlsod_config *cfg, const char *what)
{
	const struct tlsod_profile *p;
	char names[512] = "";
	size_t len = 0;

	for (p = cfg->profiles; p && len < sizeof(names); p = p->next)
		len += snprintf(names + len, sizeof(names) - len, "%s%s",
				len ? ", " : "", p->name);
	log_info("%s %s: profiles %s", what,
		 cfg->path ? cfg->path : "(built in)", names);
}

static void tell(struct worker *w, enum tlsod_msg_type word)
{
	if (w->sock >= 0 && tlsod_msg_send_word(w->sock, word) < 0)
		log_warn("worker %d: %s", (int)w->pid, strerror(errno));
}

/* Free cfg once it is neither the current one nor any worker's. */
static void release_config(struct daemon *d, struct tlsod_config *cfg)
{
	unsigned int i;

	if (!cfg || cfg == d->cfg)
		return;
	for (i = 0; i < TLSOD_MAX_WORKERS; i++)
		if (d->w[i].pid && d->w[i].cfg == cfg)
			return;
	for (i = 0; i < TLSOD_MAX_WORKERS; i++)
		if (d->retired[i] == cfg)
			d->retired[i] = NULL;
	tlsod_config_free(cfg);
}

static void retire_config(struct daemon *d, struct tlsod_config *cfg)
{
	unsigned int i;

	/* as many slots as workers: one is free while any worker runs cfg */
	for (i = 0; i < TLSOD_MAX_WORKERS; i++) {
		if (!d->retired[i]) {
			d->retired[i] = cfg;
			break;
		}
	}
	release_config(d, cfg);
}

/* CLOCK_MONOTONIC in microseconds, as systemd's RELOADING=1 wants it. */
static void notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL +
		 (unsigned long long)ts.tv_nsec / 1000);
	tlsod_notify(msg);
}

/* Idle workers go; busy ones keep their configuration until done. */
static void dismiss_idle(struct daemon *d)
{
	unsigned int i;

	for (i = 0; i < TLSOD_MAX_WORKERS; i++) {
		if (d->w[i].pid && d->w[i].idle) {
			d->w[i].idle = false;
			tell(&d->w[i], TLSOD_MSG_QUIT);
		}
	}
}

static void reload(struct daemon *d)
{
	struct tlsod_config *cfg, *old = d->cfg;

	notify_reloading();
	cfg = read_config();
	if (!cfg) {
		log_err("reload failed; keeping the configuration in use");
		tlsod_notify("READY=1");
		return;
	}
	/* who tlsod is was settled at startup */
	if (cfg->has_user != old->has_user || cfg->uid != old->uid)
		log_warn("user = takes effect when tlsod starts, not at a reload");
	d->cfg = cfg;
	d->gen++;
	/* sessions made under the old trust are not resumed under the new */
	tlsod_scache_clear(d->sessions);
	retire_config(d, old);
	dismiss_idle(d);
	log_profiles(cfg, "reloaded");
	tlsod_notify("READY=1");
}

static int block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGCHLD);
	return sigprocmask(SIG_BLOCK, set, NULL);
}

/*
 * A worker keeps nothing of the parent's but the configuration, and of
 * that no private key: not of the configuration it runs, nor of those
 * retired ones that its memory holds too.  (It keeps the profiles'
 * ticket keys: GnuTLS seals and opens tickets in the worker.)
 */
static void leave_parent(struct daemon *d)
{
	unsigned int i;

	close(d->sfd);
	tlsod_listener_free(d->nl);
	for (i = 0; i < TLSOD_MAX_WORKERS; i++)
		if (d->w[i].pid && d->w[i].sock >= 0)
			close(d->w[i].sock);
	tlsod_config_drop_keys(d->cfg);
	for (i = 0; i < TLSOD_MAX_WORKERS; i++)
		if (d->retired[i])
			tlsod_config_drop_keys(d->retired[i]);
	/* Other peers' sessions, and other workers' tickets. */
	tlsod_scache_free(d->sessions);
	d->sessions = NULL;
	explicit_bzero(d->tickets, TLSOD_TICKETS_QUEUED_MAX *
				   sizeof(*d->tickets));
}

static struct worker *worker_of(struct daemon *d, pid_t pid)
{
	unsigned int i;

	for (i = 0; i < TLSOD_MAX_WORKERS; i++)
		if (d->w[i].pid == pid)
			return &d->w[i];
	return NULL;
}

static void fork_worker(struct daemon *d, bool probe)
{
	struct worker *w = worker_of(d, 0);
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_err("socketpair: %s; %u requests wait", strerror(errno),
			d->waiting);
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		log_err("fork: %s; %u requests wait", strerror(errno),
			d->waiting);
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (pid == 0) {
		close(sv[0]);
		leave_parent(d);
		if (tlsod_sandbox_worker())
			_exit(1);
		tlsod_kp_worker(sv[1]);
		tlsod_worker_run(d->cfg, sv[1], &d->sigs, probe);
	}
	close(sv[1]);
	*w = (struct worker){ .pid = pid, .sock = sv[0], .gen = d->gen,
			      .cfg = d->cfg, .probing = probe };
	d->workers++;
	log_debug("worker %d started", (int)pid);
}

/*
 * Each READY to an idle worker of the current configuration, or a new
 * one; then each probe the same way, as PROBE.
 */
static void start_workers(struct daemon *d)
{
	unsigned int i, before;

	while ((d->waiting || d->probes) && !d->stopping) {
		bool probe = !d->waiting;

		for (i = 0; i < TLSOD_MAX_WORKERS; i++)
			if (d->w[i].pid && d->w[i].idle &&
			    d->w[i].gen == d->gen)
				break;
		if (i < TLSOD_MAX_WORKERS) {
			d->w[i].idle = false;
			d->w[i].listening = false;
			d->w[i].probing = probe;
			tell(&d->w[i], probe ? TLSOD_MSG_PROBE :
					       TLSOD_MSG_TAKE);
		} else {
			if (d->workers >= TLSOD_MAX_WORKERS)
				break;
			before = d->workers;
			fork_worker(d, probe);
			if (d->workers == before)
				return;
		}
		if (probe)
			d->probes--;
		else
			d->waiting--;
	}
	if ((d->waiting || d->probes) && !d->stopping)
		log_debug("%u workers busy, %u requests and %u probes wait",
			  d->workers, d->waiting, d->probes);
}

/* ---- resumption: tickets to their workers, and the session cache ---- */

static struct worker *holder_of(struct daemon *d, uint64_t id)
{
	unsigned int i, j;

	for (i = 0; i < TLSOD_MAX_WORKERS; i++) {
		if (!d->w[i].pid || d->w[i].sock < 0)
			continue;
		for (j = 0; j < TLSOD_HELD_MAX; j++)
			if (d->w[i].held[j] == id)
				return &d->w[i];
	}
	return NULL;
}

/* Never blocks the parent: a worker that does not read loses it. */
static void send_ticket(struct worker *w, const struct tlsod_msg *m)
{
	size_t len = sizeof(m->h) + m->h.len;

	if (send(w->sock, m, len, MSG_NOSIGNAL | MSG_DONTWAIT) !=
	    (ssize_t)len)
		log_debug("worker %d: a session ticket: %s", (int)w->pid,
			  strerror(errno));
}

static void on_ticket(void *arg, uint64_t id, const void *msg, size_t len)
{
	struct daemon *d = arg;
	struct worker *w = id ? holder_of(d, id) : NULL;
	int64_t now = tlsod_now_ms();
	struct queued_ticket *q = NULL;
	struct tlsod_msg m;
	unsigned int i;

	m.h = (struct tlsod_msg_hdr){ .type = TLSOD_MSG_TICKET,
				      .len = sizeof(id) + len };
	memcpy(m.data, &id, sizeof(id));
	memcpy(m.data + sizeof(id), msg, len);
	if (w && w->listening) {
		send_ticket(w, &m);
		return;
	}
	/*
	 * A worker in a handshake hears only the answers it waits for; a
	 * claim may be on its way.  Unclaimed ones wait as long as a
	 * worker keeps a session for its tickets.
	 */
	for (i = 0; i < TLSOD_TICKETS_QUEUED_MAX && !q; i++) {
		struct queued_ticket *t = &d->tickets[i];

		if (t->pid == -1 && now - t->since_ms > TLSOD_TICKET_WAIT_MS)
			t->pid = 0;
		if (!t->pid)
			q = t;
	}
	if (!q) {
		log_debug("a session ticket for request %llu dropped: %d wait already",
			  (unsigned long long)id, TLSOD_TICKETS_QUEUED_MAX);
		return;
	}
	*q = (struct queued_ticket){ .pid = w ? w->pid : -1, .id = id,
				     .since_ms = now, .m = m };
}

/* A worker listens again (or is gone, send false): its tickets now. */
static void flush_tickets(struct daemon *d, struct worker *w, bool send)
{
	unsigned int i;

	for (i = 0; i < TLSOD_TICKETS_QUEUED_MAX; i++) {
		if (d->tickets[i].pid != w->pid)
			continue;
		if (send)
			send_ticket(w, &d->tickets[i].m);
		d->tickets[i].pid = 0;
	}
}

/* w has claimed request id: the tickets that came before the claim. */
static void claim_tickets(struct daemon *d, struct worker *w, uint64_t id)
{
	unsigned int i;

	for (i = 0; i < TLSOD_TICKETS_QUEUED_MAX; i++)
		if (d->tickets[i].pid == -1 && d->tickets[i].id == id)
			d->tickets[i].pid = w->pid;
}

/*
 * HOLD, SESSION_PUT, SESSION_TAKE.  The session bytes are a worker's,
 * kept and handed back as they are: only a worker's GnuTLS reads them.
 */
static int on_resumption(struct daemon *d, struct worker *w,
			 struct tlsod_msg *m, char *why, size_t whysize)
{
	const size_t klen = sizeof(struct tlsod_peer_key);
	struct tlsod_peer_key key;
	uint64_t id;
	size_t n;

	if (m->h.key || m->h.algo || m->h.status ||
	    (m->h.type != TLSOD_MSG_SESSION_PUT && m->h.flags)) {
		snprintf(why, whysize, "word %u with fields set", m->h.type);
		return -1;
	}
	switch (m->h.type) {
	case TLSOD_MSG_HOLD:
		if (m->h.len != sizeof(id))
			break;
		memcpy(&id, m->data, sizeof(id));
		w->held[w->held_next++ % TLSOD_HELD_MAX] = id;
		w->listening = true;
		claim_tickets(d, w, id);
		flush_tickets(d, w, true);
		return 0;
	case TLSOD_MSG_SESSION_PUT:
		if (m->h.len <= klen || !m->h.flags)
			break;
		memcpy(&key, m->data, klen);
		if (w->gen == d->gen &&
		    tlsod_scache_put(d->sessions, &key, m->data + klen,
				     m->h.len - klen, m->h.flags, tlsod_now_s()))
			log_warn("session cache: out of memory");
		explicit_bzero(m->data, m->h.len);
		return 0;
	case TLSOD_MSG_SESSION_TAKE:
		if (m->h.len != klen)
			break;
		memcpy(&key, m->data, klen);
		n = tlsod_scache_take(d->sessions, &key, m->data,
				      sizeof(m->data), tlsod_now_s());
		m->h = (struct tlsod_msg_hdr){ .type = TLSOD_MSG_RESULT,
					       .len = n };
		if (send(w->sock, m, sizeof(m->h) + n, MSG_NOSIGNAL) < 0)
			log_warn("worker %d: %s", (int)w->pid,
				 strerror(errno));
		explicit_bzero(m->data, n);
		return 0;
	}
	snprintf(why, whysize, "word %u of %u bytes", m->h.type, m->h.len);
	return -1;
}

/* Its end of the pair closed; reap() frees the slot once it exits. */
static void hang_up(struct worker *w)
{
	close(w->sock);
	w->sock = -1;
	w->idle = false;
}

/*
 * A worker that says what no worker of ours says may have been taken
 * over by its peer: it gets no more answers, and goes.
 */
static void distrust(struct worker *w, const char *why)
{
	log_err("worker %d: %s; ending it", (int)w->pid, why);
	kill(w->pid, SIGKILL);
	hang_up(w);
}

/* A handshake ended: counted, if the worker says it in the shape it must. */
static void on_outcome(struct daemon *d, struct worker *w,
		       const struct tlsod_msg *m)
{
	int64_t us;

	if (m->h.len != sizeof(us) || m->h.key || m->h.algo ||
	    m->h.flags > 1 || m->h.status < 0) {
		distrust(w, "an OUTCOME out of shape");
		return;
	}
	memcpy(&us, m->data, sizeof(us));
	if (tlsod_stats_outcome(&d->stats, (uint32_t)m->h.status, m->h.flags,
				us))
		distrust(w, "an OUTCOME out of range");
}

/* A worker's word: it is idle, asks to leave, or wants a signature. */
static void on_worker(struct daemon *d, struct worker *w)
{
	struct tlsod_msg m;
	char why[256];
	int type = tlsod_msg_recv(w->sock, &m, 1);

	if (type < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (type < 0 && errno == EBADMSG) {
		distrust(w, "a malformed message");
		return;
	}
	if (type <= 0) {
		hang_up(w);	/* it has exited */
		return;
	}
	switch (type) {
	case TLSOD_MSG_IDLE:
	case TLSOD_MSG_QUIT:
	case TLSOD_MSG_TOOK:
		if (m.h.len || m.h.key || m.h.algo || m.h.flags ||
		    m.h.status) {
			distrust(w, "a word with more in it");
			return;
		}
		break;
	case TLSOD_MSG_SIGN_HASH:
	case TLSOD_MSG_SIGN_DATA:
	case TLSOD_MSG_DECRYPT:
		switch (tlsod_kp_serve(w->sock, &m, w->cfg->keys,
				       w->cfg->nkeys, why, sizeof(why))) {
		case 0:
			break;
		case 1:
			log_warn("worker %d: refused: %s", (int)w->pid, why);
			break;
		default:
			distrust(w, why);
			break;
		}
		explicit_bzero(m.data, sizeof(m.data));
		return;
	case TLSOD_MSG_HOLD:
	case TLSOD_MSG_SESSION_PUT:
	case TLSOD_MSG_SESSION_TAKE:
		if (on_resumption(d, w, &m, why, sizeof(why)))
			distrust(w, why);
		return;
	case TLSOD_MSG_OUTCOME:
		on_outcome(d, w, &m);
		return;
	default:
		snprintf(why, sizeof(why), "message type %d from a worker",
			 type);
		distrust(w, why);
		return;
	}
	if (type == TLSOD_MSG_TOOK) {
		if (!w->probing) {
			distrust(w, "TOOK without a PROBE");
			return;
		}
		w->probing = false;
		/* A lost READY's request: there may be more. */
		if (!d->stopping)
			d->probes++;
		return;
	}
	if (type == TLSOD_MSG_IDLE) {
		w->listening = true;
		flush_tickets(d, w, true);
		w->idle = !d->stopping && w->gen == d->gen;
		if (!w->idle)
			tell(w, TLSOD_MSG_QUIT);
	} else if (w->idle) {
		w->idle = false;
		tell(w, TLSOD_MSG_QUIT);
	}
	/* a QUIT from a worker that is not idle crosses our TAKE: it serves */
}

static void reap(struct daemon *d)
{
	struct worker *w;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		w = worker_of(d, pid);
		if (w) {
			struct tlsod_config *cfg = w->cfg;

			flush_tickets(d, w, false);
			if (w->sock >= 0)
				close(w->sock);
			*w = (struct worker){ .sock = -1 };
			release_config(d, cfg);
		}
		if (d->workers)
			d->workers--;
		if (WIFSIGNALED(st))
			log_err("worker %d killed by signal %d (%s)", (int)pid,
				WTERMSIG(st), strsignal(WTERMSIG(st)));
		else if (WIFEXITED(st) && WEXITSTATUS(st))
			log_warn("worker %d exited with status %d", (int)pid,
				 WEXITSTATUS(st));
	}
}

/* Leave the group first, so that new requests fail at once (ESRCH). */
static void stop(struct daemon *d, int sig)
{
	unsigned int i;

	if (d->stopping) {
		log_notice("%s again: ending %u running handshake%s",
			   strsignal(sig), d->workers,
			   d->workers == 1 ? "" : "s");
		for (i = 0; i < TLSOD_MAX_WORKERS; i++)
			if (d->w[i].pid > 0)
				kill(d->w[i].pid, SIGTERM);
		/* Nothing in a worker blocks SIGTERM: these are quick. */
		for (i = 0; i < TLSOD_MAX_WORKERS; i++) {
			if (d->w[i].pid > 0) {
				waitpid(d->w[i].pid, NULL, 0);
				if (d->w[i].sock >= 0)
					close(d->w[i].sock);
				d->w[i] = (struct worker){ .sock = -1 };
			}
		}
		for (i = 0; i < TLSOD_MAX_WORKERS; i++)
			release_config(d, d->retired[i]);
		d->workers = 0;
		return;
	}
	d->stopping = true;
	tlsod_notify("STOPPING=1");
	tlsod_listener_free(d->nl);
	d->nl = NULL;
	dismiss_idle(d);
	if (d->workers)
		log_notice("%s: waiting for %u running handshake%s",
			   strsignal(sig), d->workers,
			   d->workers == 1 ? "" : "s");
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(d);
			break;
		case SIGHUP:
			reload(d);
			break;
		default:
			stop(d, si.ssi_signo);
			break;
		}
	}
}

/* The workers for the statistics, and the file when it is due. */
static int stats_due(struct daemon *d)
{
	unsigned int i, busy = 0;

	for (i = 0; i < TLSOD_MAX_WORKERS; i++)
		if (d->w[i].pid > 0 && !d->w[i].idle)
			busy++;
	tlsod_stats_workers(&d->stats, d->workers, busy);
	return tlsod_stats_flush(&d->stats, tlsod_opts.stats, false);
}

static int loop(struct daemon *d)
{
	struct pollfd pfd[2 + TLSOD_MAX_WORKERS];
	struct worker *of[TLSOD_MAX_WORKERS];
	unsigned int i, nw;
	int n;

	while (!d->stopping || d->workers) {
		pfd[0] = (struct pollfd){ .fd = d->sfd, .events = POLLIN };
		pfd[1] = (struct pollfd){
			.fd = d->nl ? tlsod_listener_fd(d->nl) : -1,
			.events = POLLIN,
		};
		for (i = 0, nw = 0; i < TLSOD_MAX_WORKERS; i++) {
			if (!d->w[i].pid || d->w[i].sock < 0)
				continue;
			of[nw] = &d->w[i];
			pfd[2 + nw++] = (struct pollfd){ .fd = d->w[i].sock,
							 .events = POLLIN };
		}
		n = poll(pfd, 2 + nw, stats_due(d));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			return 1;
		}
		for (i = 0; i < nw; i++)
			if (pfd[2 + i].revents)
				on_worker(d, of[i]);
		if (pfd[0].revents)
			on_signal(d);
		if (d->nl && pfd[1].revents)
			tlsod_listener_read(d->nl, &d->waiting, &d->probes);
		start_workers(d);
	}
	return 0;
}

static int setup(struct daemon *d)
{
	int ret;

	if (tlsod_priv_check())
		return -1;
	if (block_signals(&d->sigs) < 0) {
		log_err("sigprocmask: %s", strerror(errno));
		return -1;
	}
	d->sfd = signalfd(-1, &d->sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		return -1;
	}
	d->tickets = calloc(TLSOD_TICKETS_QUEUED_MAX, sizeof(*d->tickets));
	d->sessions = tlsod_scache_new();
	if (!d->tickets || !d->sessions) {
		log_err("out of memory");
		return -1;
	}
	ret = tlsod_listen(&d->nl);
	if (ret == -ENOENT) {
		log_err("tlso module not loaded (no generic netlink family '%s')",
			TLSO_GENL_NAME);
		return -1;
	}
	if (ret) {
		log_err("joining the '%s' group of '%s': %s", TLSO_GENL_MCGRP,
			TLSO_GENL_NAME, strerror(-ret));
		return -1;
	}
	tlsod_listener_on_ticket(d->nl, on_ticket, d);
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d = { .sfd = -1 };
	char ready[64];
	unsigned int i;
	int ret;

	for (i = 0; i < TLSOD_MAX_WORKERS; i++)
		d.w[i].sock = -1;
	if (tlsod_parse_args(argc, argv))
		return 2;
	tlsod_log_open();
	tlsod_notify_init();
	d.cfg = read_config();
	if (!d.cfg)
		return 1;
	if (setup(&d) || tlsod_priv_drop(d.cfg)) {
		tlsod_listener_free(d.nl);
		tlsod_config_free(d.cfg);
		return 1;
	}
	/*
	 * Before the word that it is up: whoever waits for it finds the
	 * file there, and tlsod holding only what it holds at rest.
	 */
	tlsod_stats_flush(&d.stats, tlsod_opts.stats, true);
	log_profiles(d.cfg, "tlsod " TLSOD_VERSION " listening; using");
	tlsod_log_started();
	snprintf(ready, sizeof(ready), "READY=1\nMAINPID=%d", (int)getpid());
	tlsod_notify(ready);
	ret = loop(&d);
	log_info("exiting");
	/* Counters of a daemon that is gone would read as a live one's. */
	if (tlsod_opts.stats && *tlsod_opts.stats)
		unlink(tlsod_opts.stats);
	tlsod_listener_free(d.nl);
	for (i = 0; i < TLSOD_MAX_WORKERS; i++)
		release_config(&d, d.retired[i]);
	tlsod_config_free(d.cfg);
	tlsod_scache_free(d.sessions);
	free(d.tickets);
	close(d.sfd);
	return ret;
}
