// SPDX-License-Identifier: GPL-2.0
/*
 * --handshakes: connections that only shake hands, counted and timed.
 * The server's end sends one byte through the new TLS; the client's
 * handshake has ended when that byte has come.  With --resume each
 * resumes the session its stream's last one left.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "perf.h"

/* The server's end of one --handshakes connection. */
void serve_handshake(struct test *t, int fd)
{
	struct conn c = { .fd = fd };
	char err[384];
	int one = 1;
	ssize_t r;
	bool ok = false;

	if (conn_setup(&c, &t->p, false, err, sizeof(err)) ||
	    check_negotiated(&c, &t->p, err, sizeof(err))) {
		test_fail_fmt(t, "a handshake on the server: %s", err);
	} else {
		test_negotiated(t, &c);
		/*
		 * The byte only marks the end of the handshake: Nagle must
		 * not hold it until the client acknowledges whatever small
		 * segment went last (TLS 1.2's Finished, a TLS 1.3 ticket),
		 * which a client in delayed-ACK mode does 40 ms later.
		 */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		r = c.io->send(&c, "h", 1);
		ok = r == 1;
		if (ok)
			wait_peer_close(fd);
	}
	c.fd = -1;
	conn_close(&c);
	test_handshake_done(t, ok);
}

struct hs_job {
	struct test *t;
	unsigned int first, count;	/* its share of t->lat */
	/*
	 * --resume, in-process: what the stream's last connection left, for
	 * its next to resume; tlsod keeps its own.
	 */
	gnutls_datum_t session;
	pthread_t tid;
};

/*
 * One connection: connect, shake hands, wait for the server's byte.  0
 * with the time that took in *ms and whether the session was resumed in
 * *resumed, or -1 with the reason in err.
 */
static int shake(struct hs_job *j, double *ms, bool *resumed, char *err,
		 size_t errlen)
{
	struct test *t = j->t;
	struct conn c = { .fd = -1, .client = true,
			  .session = t->p.resume ? &j->session : NULL };
	double t0 = now();
	int gerr, ret = -1;
	ssize_t r;
	char b;

	c.fd = connect_to(opt.host, opt.port, err, errlen);
	if (c.fd < 0)
		goto out;
	if (send_line(c.fd, "%s -1", t->p.cookie)) {
		snprintf(err, errlen, "sending the cookie: %s",
			 strerror(errno));
		goto out;
	}
	set_timeout(c.fd, SO_RCVTIMEO, SETUP_SECONDS);
	if (conn_setup(&c, &t->p, false, err, errlen) ||
	    check_negotiated(&c, &t->p, err, errlen))
		goto out;
	test_negotiated(t, &c);
	r = c.io->recv(&c, &b, 1, &gerr);
	if (r != 1) {
		snprintf(err, errlen, "no byte from the server after the handshake: %s",
			 r == 0 ? "end of stream" : gerr ?
			 gnutls_strerror(gerr) : strerror(errno));
		goto out;
	}
	*ms = (now() - t0) * 1000;
	*resumed = c.resumed;
	ret = 0;
out:
	conn_close(&c);
	return ret;
}

/* What to tell the person about a handshake of the kind not asked for. */
static const char *wrong_kind(const struct perf_params *p, bool resumed)
{
	if (!resumed && p->mode->in_process)
		return "full, where resumed ones were asked for: the server did not take the session offered";
	if (!resumed)
		return "full, where resumed ones were asked for: tlsod did not resume (do the profiles at both ends have session_tickets = yes?)";
	return "resumed, where full ones were asked for: tlsod resumed on its own (measure with --resume, or give the client a profile with session_tickets = no)";
}

static void *hs_thread(void *arg)
{
	struct hs_job *j = arg;
	struct test *t = j->t;
	unsigned int k, n;
	char err[384];
	bool resumed;
	double ms;

	for (k = 0; k < j->count; k++) {
		n = j->first + k + 1;
		if (shake(j, &ms, &resumed, err, sizeof(err))) {
			test_fail_fmt(t, "handshake %u: %s", n, err);
			test_handshake_done(t, false);
		} else if (resumed != t->p.resume) {
			/*
			 * Its figure would pass for the other kind's.  The
			 * stream goes on, from this one's session.
			 */
			test_fail_fmt(t, "handshake %u: %s", n,
				      wrong_kind(&t->p, resumed));
			test_handshake_wrong_kind(t);
		} else {
			t->lat[n - 1] = ms;
			test_handshake_done(t, true);
		}
	}
	return NULL;
}

/*
 * --resume: handshakes per stream before the clock starts, so that the
 * stream's first measured connection has a session to resume.  In
 * process one gives the stream its own.  In mode tlso tlsod's cache
 * resumes: a TLS 1.3 ticket reaches it a moment after its connection
 * (through the kernel and tlsod's parent), which a reconnect at once
 * may beat, so mode tlso primes until a connection resumes, at most
 * PRIME_TRIES times (after that the measured ones say what is wrong);
 * from then on each connection leaves more tickets than it takes.
 * Then "go" on the control connection starts the server's clock and
 * CPU count.
 */
#define PRIME_TRIES	5

static int prime(struct test *t, struct hs_job *jobs)
{
	unsigned int i, k;
	char err[384];
	bool resumed;
	double ms;

	for (i = 0; i < t->p.streams; i++) {
		if (!jobs[i].count)
			continue;	/* -P beyond the handshakes */
		for (k = 0; k < PRIME_TRIES; k++) {
			if (shake(&jobs[i], &ms, &resumed, err, sizeof(err))) {
				report_error("the unmeasured handshake before stream %u's: %s",
					     i + 1, err);
				return -1;
			}
			if (t->p.mode->in_process || resumed)
				break;
		}
	}
	if (send_line(t->ctrl, "go")) {
		report_error("the server went away before the test began");
		return -1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int client_handshakes(struct test *t)
{
	struct hs_job jobs[MAX_STREAMS];
	unsigned int i, n = t->p.handshakes, first = 0, ok;
	int ret = 0;
	double start;

	t->lat = calloc(n, sizeof(double));
	if (!t->lat) {
		report_error("out of memory");
		return -1;
	}
	for (i = 0; i < t->p.streams; i++) {
		jobs[i] = (struct hs_job){ .t = t, .first = first,
					   .count = n / t->p.streams +
						    (i < n % t->p.streams) };
		first += jobs[i].count;
	}
	if (t->p.resume && prime(t, jobs)) {
		ret = -1;
		goto out;
	}
	test_go(t);
	start = now();
	for (i = 0; i < t->p.streams; i++) {
		if (pthread_create(&jobs[i].tid, NULL, hs_thread, &jobs[i])) {
			report_error("pthread_create: %s", strerror(errno));
			exit(1);
		}
	}
	for (i = 0; i < t->p.streams; i++)
		pthread_join(jobs[i].tid, NULL);
	t->hs_secs = now() - start;
	/* the successes' latencies first, sorted; failures left none */
	for (i = 0, ok = 0; i < n; i++)
		if (t->lat[i] > 0)
			t->lat[ok++] = t->lat[i];
	qsort(t->lat, ok, sizeof(double), cmp_double);
out:
	for (i = 0; i < t->p.streams; i++)
		gnutls_free(jobs[i].session.data);
	return ret;
}
