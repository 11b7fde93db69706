// SPDX-License-Identifier: GPL-2.0
/*
 * --handshakes: connections that only shake hands, counted and timed.
 * The server's end sends one byte through the new TLS; the client's
 * handshake has ended when that byte has come.
 */
#include <errno.h>
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
	ssize_t r;
	bool ok = false;

	if (conn_setup(&c, &t->p, false, err, sizeof(err)) ||
	    check_negotiated(&c, &t->p, err, sizeof(err))) {
		test_fail_fmt(t, "a handshake on the server: %s", err);
	} else {
		test_negotiated(t, &c);
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
	pthread_t tid;
};

static void *hs_thread(void *arg)
{
	struct hs_job *j = arg;
	struct test *t = j->t;
	char err[384], b;
	unsigned int k;
	double t0;
	ssize_t r;
	int gerr;

	for (k = 0; k < j->count; k++) {
		struct conn c = { .client = true };

		t0 = now();
		c.fd = connect_to(opt.host, opt.port, err, sizeof(err));
		if (c.fd < 0)
			goto failed;
		if (send_line(c.fd, "%s -1", t->p.cookie)) {
			snprintf(err, sizeof(err), "sending the cookie: %s",
				 strerror(errno));
			goto failed;
		}
		set_timeout(c.fd, SO_RCVTIMEO, SETUP_SECONDS);
		if (conn_setup(&c, &t->p, false, err, sizeof(err)) ||
		    check_negotiated(&c, &t->p, err, sizeof(err)))
			goto failed;
		test_negotiated(t, &c);
		r = c.io->recv(&c, &b, 1, &gerr);
		if (r != 1) {
			snprintf(err, sizeof(err), "no byte from the server after the handshake: %s",
				 r == 0 ? "end of stream" : gerr ?
				 gnutls_strerror(gerr) : strerror(errno));
			goto failed;
		}
		t->lat[j->first + k] = (now() - t0) * 1000;
		test_handshake_done(t, true);
		conn_close(&c);
		continue;
failed:
		test_fail_fmt(t, "handshake %u: %s", j->first + k + 1, err);
		test_handshake_done(t, false);
		conn_close(&c);
	}
	return NULL;
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
	double start;

	t->lat = calloc(n, sizeof(double));
	if (!t->lat) {
		report_error("out of memory");
		return -1;
	}
	test_go(t);
	start = now();
	for (i = 0; i < t->p.streams; i++) {
		jobs[i] = (struct hs_job){ .t = t, .first = first,
					   .count = n / t->p.streams +
						    (i < n % t->p.streams) };
		first += jobs[i].count;
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
	return 0;
}
