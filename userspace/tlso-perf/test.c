// SPDX-License-Identifier: GPL-2.0
/*
 * One test's shared state: what its threads wait on and tell each
 * other, and the figures the two ends swap at its end.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "perf.h"

static void __attribute__((format(printf, 2, 3)))
set_failure(struct failure *f, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&f->lock);
	if (!f->msg[0]) {
		va_start(ap, fmt);
		vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&f->lock);
}

struct test *test_new(void)
{
	struct test *t = calloc(1, sizeof(*t));
	size_t i;

	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->fail.lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	for (i = 0; i < MAX_CONNS; i++)
		t->fds[i] = -1;
	for (i = 0; i < MAX_STREAMS; i++)
		t->st[i].rec_tx = t->st[i].rec_rx = -1;
	t->file = -1;
	t->ctrl = -1;
	return t;
}

void test_free(struct test *t)
{
	if (t->file >= 0)
		close(t->file);
	explicit_bzero(&t->p, sizeof(t->p));
	free(t->lat);
	free(t->iv);
	free(t);
}

void test_fail(struct test *t, const char *msg)
{
	set_failure(&t->fail, "%s", msg);
	pthread_mutex_lock(&t->lock);
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

void test_fail_fmt(struct test *t, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	test_fail(t, msg);
}

/* Stop every data connection: a peer went away or a stream failed. */
void test_abort(struct test *t)
{
	size_t i;

	pthread_mutex_lock(&t->lock);
	t->aborted = true;
	for (i = 0; i < MAX_CONNS; i++)
		if (t->fds[i] >= 0)
			shutdown(t->fds[i], SHUT_RDWR);
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

int test_track(struct test *t, int fd, bool add)
{
	size_t i;
	int ret = -1;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < MAX_CONNS; i++) {
		if (add ? t->fds[i] < 0 : t->fds[i] == fd) {
			t->fds[i] = add ? fd : -1;
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return ret;
}

void test_negotiated(struct test *t, const struct conn *c)
{
	pthread_mutex_lock(&t->lock);
	if (!t->version) {
		t->version = c->version;
		t->cipher = c->cipher;
	}
	pthread_mutex_unlock(&t->lock);
}

/* A stream is set up; a sending one then waits for the word to go. */
bool test_ready_wait(struct test *t, bool sender)
{
	bool go;

	pthread_mutex_lock(&t->lock);
	t->ready++;
	pthread_cond_broadcast(&t->cond);
	while (sender && !t->go && !t->aborted)
		pthread_cond_wait(&t->cond, &t->lock);
	go = !t->aborted;
	pthread_mutex_unlock(&t->lock);
	return go;
}

/* Wait until every stream is set up, or one failed; false on failure. */
bool test_wait_ready(struct test *t)
{
	struct timespec ts;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += SETUP_SECONDS;
	pthread_mutex_lock(&t->lock);
	while (t->ready < t->p.streams && !t->fail.msg[0] && !t->aborted)
		if (pthread_cond_timedwait(&t->cond, &t->lock, &ts) == ETIMEDOUT)
			break;
	ok = t->ready == t->p.streams && !t->fail.msg[0] && !t->aborted;
	pthread_mutex_unlock(&t->lock);
	if (!ok && !t->fail.msg[0])
		test_fail(t, "the streams were not set up in time");
	return ok;
}

void test_go(struct test *t)
{
	pthread_mutex_lock(&t->lock);
	cpu_now(&t->cpu_start);
	t->go_time = t->cpu_start.wall;
	t->go = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

/* A stream has ended, one way or another. */
void test_finished(struct test *t)
{
	pthread_mutex_lock(&t->lock);
	t->finished++;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

void test_handshake_done(struct test *t, bool ok)
{
	pthread_mutex_lock(&t->lock);
	if (ok)
		t->hs_ok++;
	else
		t->hs_failed++;
	pthread_mutex_unlock(&t->lock);
}

/* A handshake of the other kind than asked: a failure, and counted apart. */
void test_handshake_wrong_kind(struct test *t)
{
	pthread_mutex_lock(&t->lock);
	t->hs_wrong_kind++;
	t->hs_failed++;
	pthread_mutex_unlock(&t->lock);
}

int send_results(int fd, struct test *t)
{
	unsigned int i;

	for (i = 0; i < t->p.streams; i++) {
		const struct stream *s = &t->st[i];

		if (send_line(fd, "stream %u %llu %.6f %llu %.6f %lld %lld", i,
			      (unsigned long long)s->sent, s->sent_secs,
			      (unsigned long long)s->received, s->recv_secs,
			      (long long)s->rec_tx, (long long)s->rec_rx))
			return -1;
	}
	if (send_line(fd, "cpu %.6f %.6f %.6f", t->cpu.user, t->cpu.sys,
		      t->cpu.wall) ||
	    send_line(fd, "hs %u %u %.6f %u", t->hs_ok, t->hs_failed,
		      t->hs_secs, t->hs_wrong_kind))
		return -1;
	if (t->fail.msg[0] && send_line(fd, "error %s", t->fail.msg))
		return -1;
	return send_line(fd, "end");
}

int recv_results(int fd, struct test *r)
{
	char line[LINE_MAX_LEN];
	unsigned long long a, b;
	long long x, y;
	double s1, s2;
	unsigned int i;

	for (;;) {
		if (read_line(fd, line, sizeof(line)))
			return -1;
		if (!strcmp(line, "end"))
			return 0;
		if (sscanf(line, "stream %u %llu %lf %llu %lf %lld %lld", &i,
			   &a, &s1, &b, &s2, &x, &y) == 7 && i < MAX_STREAMS) {
			r->st[i].sent = a;
			r->st[i].sent_secs = s1;
			r->st[i].received = b;
			r->st[i].recv_secs = s2;
			r->st[i].rec_tx = x;
			r->st[i].rec_rx = y;
		} else if (sscanf(line, "cpu %lf %lf %lf", &r->cpu.user,
				  &r->cpu.sys, &r->cpu.wall) == 3) {
		} else if (sscanf(line, "hs %u %u %lf %u", &r->hs_ok,
				  &r->hs_failed, &r->hs_secs,
				  &r->hs_wrong_kind) >= 3) {
			/* a peer from before --resume sends no fourth */
		} else if (!strncmp(line, "error ", 6)) {
			snprintf(r->fail.msg, sizeof(r->fail.msg), "%s",
				 line + 6);
		} else {
			errno = EPROTO;
			return -1;
		}
	}
}
