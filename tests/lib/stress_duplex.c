// SPDX-License-Identifier: GPL-2.0
/*
 * Test library, the stress test: duplex connections, one in four of those
 * with tlso on both ends.  Each end of each direction is a thread of its
 * own, as in a full-duplex application: every socket is written by one
 * thread while another reads it, and rekeys, control records, refused
 * keys and shutdown meet reads and sends under way.  The checks are those
 * of the one-thread connections (stress_ops.c), on directions the two
 * threads share under the direction's lock (stress_conn.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "stress_conn.h"

#define ST_ROLES	4
/* A call that has not returned in this long has hung. */
#define ST_ROLE_HANG_S	(4 * ST_TIMEO_S)

struct st_role {
	struct st_conn c;	/* a copy: its own generator, pipe and log */
	struct st_worker w;
	struct st_dir *d;
	pthread_t thread;
	bool started;
	int err;
};

static const enum st_op st_send_ops[] = {
	ST_SEND, ST_SEND, ST_SEND, ST_SEND, ST_SENDMSG, ST_SENDMSG,
	ST_SENDFILE, ST_SENDFILE, ST_SPLICE_IN, ST_SPLICE_IN, ST_FLUSH,
	ST_CTRL, ST_REKEY, ST_BADKEY,
};

static const enum st_op st_recv_ops[] = {
	ST_RECV, ST_RECV, ST_RECV, ST_RECV, ST_PEEK, ST_PEEK, ST_SPLICE_OUT,
	ST_SPLICE_OUT, ST_POLL, ST_RXKEY, ST_RXKEY, ST_INFO,
};

/* The sender: its operations, then shutdown, which ends the stream. */
static int st_role_send(struct st_conn *c, struct st_dir *d)
{
	unsigned long nmax = 10 + st_rnd(c, 200);

	while (c->nops < nmax) {
		enum st_op op = st_send_ops[st_rnd(c, ST_NELEM(st_send_ops))];

		if (st_stopped())
			return -1;
		if (st_run.only < 0 && st_now() > st_run.deadline)
			break;
		c->nops++;
		if (st_op(c, d, op))
			return -1;
	}
	c->nops++;
	return st_op(c, d, ST_SHUT);
}

/* The receiver: reads of every kind, to the end of the stream. */
static int st_role_recv(struct st_conn *c, struct st_dir *d)
{
	uint64_t limit, sure;

	while (!d->eof) {
		enum st_op op = st_recv_ops[st_rnd(c, ST_NELEM(st_recv_ops))];

		if (st_stopped())
			return -1;
		/* Nothing sure to come yet: wait a moment, not busily. */
		if (st_next(d, &limit, &sure) == ST_N_NONE) {
			struct pollfd p = { c->fd[d->rx], POLLIN, 0 };

			poll(&p, 1, 20);
		}
		c->nops++;
		if (st_op(c, d, op))
			return -1;
	}
	return 0;
}

static void *st_role_main(void *arg)
{
	struct st_role *r = arg;

	r->w.tid = (pid_t)syscall(SYS_gettid);
	if (r->c.role == ST_ROLE_SEND)
		r->err = st_role_send(&r->c, r->d);
	else
		r->err = st_role_recv(&r->c, r->d);
	return NULL;
}

static void st_stack(pid_t tid, char *buf, size_t size)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stack", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = 0;
}

/* A role whose call has not returned: the failure, and where it sleeps. */
static bool st_role_hung(struct st_role *r)
{
	char stack[2048];
	double since;

	pthread_mutex_lock(&r->w.lock);
	since = r->w.since;
	pthread_mutex_unlock(&r->w.lock);
	if (!since || st_now() - since < ST_ROLE_HANG_S)
		return false;
	st_stack(r->w.tid, stack, sizeof(stack));
	st_fail(&r->c, "did not return in %d s; its kernel stack:\n%s",
		ST_ROLE_HANG_S, stack);
	return true;
}

static bool st_roles_failed(struct st_role *r)
{
	int i;

	for (i = 0; i < ST_ROLES; i++)
		if (__atomic_load_n(&r[i].c.failed, __ATOMIC_RELAXED))
			return true;
	return false;
}

/*
 * A thread failed: where the others are, in their calls and in
 * the kernel, and what TCP holds each way.
 */
static void st_roles_show(struct st_role *r, struct st_conn *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char stack[2048], cmd[160];
	int i, port = 0;

	if (!getsockname(c->fd[0], (struct sockaddr *)&ss, &len))
		port = ntohs(ss.ss_family == AF_INET6 ?
			     ((struct sockaddr_in6 *)&ss)->sin6_port :
			     ((struct sockaddr_in *)&ss)->sin_port);
	flockfile(stdout);
	for (i = 0; i < ST_ROLES; i++) {
		pthread_mutex_lock(&r[i].w.lock);
		if (r[i].w.since) {
			st_stack(r[i].w.tid, stack, sizeof(stack));
			printf("# stress: conn %llu: %s, for %.1f s, in the kernel at:\n%s",
			       (unsigned long long)c->id, r[i].w.op,
			       st_now() - r[i].w.since, stack);
		}
		pthread_mutex_unlock(&r[i].w.lock);
	}
	fflush(stdout);
	funlockfile(stdout);
	snprintf(cmd, sizeof(cmd),
		 "ss -tmie state all '( sport = :%d or dport = :%d )' | sed 's/^/# /'",
		 port, port);
	if (system(cmd))
		printf("# (ss failed)\n");
}

/* After a failure, what each thread did last (they are joined). */
static void st_role_trace(struct st_role *r, int i)
{
	struct st_conn *c = &r->c;
	unsigned int k, n = c->ntrace < ST_TRACE ? c->ntrace : ST_TRACE;

	flockfile(stdout);
	printf("# stress: conn %llu, the %s of direction %d, last:\n",
	       (unsigned long long)c->id,
	       c->role == ST_ROLE_SEND ? "sender" : "receiver", i / 2);
	for (k = c->ntrace - n; k < c->ntrace; k++)
		printf("#   %s\n", c->trace[k % ST_TRACE]);
	funlockfile(stdout);
}

static void st_role_free(struct st_role *r)
{
	if (r->c.pipe[0] >= 0)
		close(r->c.pipe[0]);
	if (r->c.pipe[1] >= 0)
		close(r->c.pipe[1]);
	free(r->w.buf);
	pthread_mutex_destroy(&r->w.lock);
}

/*
 * Run the four roles to the end of both streams: 0, or -1 on a failure,
 * or ST_HUNG when a role's call did not return (its thread still uses
 * the connection).
 */
int st_duplex_run(struct st_conn *c)
{
	struct st_role *r = calloc(ST_ROLES, sizeof(*r));
	struct timespec ts;
	int i, err = 0;
	bool shown = false;

	if (!r)
		return st_fail(c, "out of memory");
	for (i = 0; i < ST_ROLES; i++) {
		struct st_role *o = &r[i];

		memcpy(&o->c, c, sizeof(*c));
		o->d = c->dir[i / 2];
		o->c.role = i % 2 ? ST_ROLE_RECV : ST_ROLE_SEND;
		o->c.rng = st_mix(c->rng ^ (0x726f6c65ULL + i));
		o->c.w = &o->w;
		o->c.nops = 0;
		o->c.ntrace = 0;
		o->c.pipe[0] = o->c.pipe[1] = -1;
		pthread_mutex_init(&o->w.lock, NULL);
		o->w.buf = malloc(ST_BUF);
		if (!o->w.buf ||
		    pipe2(o->c.pipe, O_NONBLOCK | O_CLOEXEC)) {
			err = st_fail(c, "a role: %s", strerror(errno));
			break;
		}
	}
	for (i = 0; !err && i < ST_ROLES; i++) {
		if (pthread_create(&r[i].thread, NULL, st_role_main, &r[i])) {
			err = st_fail(c, "a thread: %s", strerror(errno));
			break;
		}
		r[i].started = true;
	}
	for (i = 0; i < ST_ROLES; i++) {
		while (r[i].started) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			if (!pthread_timedjoin_np(r[i].thread, NULL, &ts)) {
				r[i].started = false;
				err |= r[i].err;
			} else if (st_role_hung(&r[i])) {
				return ST_HUNG;
			}
			if (!shown && st_roles_failed(r)) {
				st_roles_show(r, c);
				shown = true;
			}
		}
	}
	if (st_roles_failed(r))
		for (i = 0; i < ST_ROLES; i++)
			st_role_trace(&r[i], i);
	for (i = 0; i < ST_ROLES; i++) {
		c->nops += r[i].c.nops;
		st_role_free(&r[i]);
	}
	free(r);
	if (err || st_stopped())
		return -1;
	if (!c->dir[0]->eof || !c->dir[1]->eof)
		return st_fail(c, "duplex: a stream did not end");
	return 0;
}
