// SPDX-License-Identifier: GPL-2.0
/*
 * What tlso-perf prints: a test's figures as text or JSON (-J), the
 * client's interval lines, and messages for the person.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "perf.h"

static double gbps(uint64_t bytes, double seconds)
{
	return seconds > 0 ? bytes * 8.0 / seconds / 1e9 : 0.0;
}

static void json_string(const char *name, const char *s, const char *tail)
{
	const char *c;

	if (!s) {
		printf("\"%s\": null%s", name, tail);
		return;
	}
	printf("\"%s\": \"", name);
	for (c = s; *c; c++) {
		if (*c == '"' || *c == '\\')
			putchar('\\');
		if ((unsigned char)*c < 0x20)
			printf("\\u%04x", *c);
		else
			putchar(*c);
	}
	printf("\"%s", tail);
}

/* A message for the person: on stderr, and as JSON on stdout with -J. */
void report_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", prog, msg);
	if (!opt.json)
		return;
	putchar('{');
	json_string("error", msg, "}\n");
	fflush(stdout);
}

struct sum {
	uint64_t bytes;
	double seconds;
};

static void json_sum(const char *name, const struct sum *s, const char *tail)
{
	printf("\"%s\": {\"bytes\": %llu, \"seconds\": %.6f, \"gbps\": %.6f}%s",
	       name, (unsigned long long)s->bytes, s->seconds,
	       gbps(s->bytes, s->seconds), tail);
}

static void json_cpu(const char *name, const struct cpu *c, const char *tail)
{
	printf("\"%s\": {\"user\": %.6f, \"system\": %.6f, \"percent\": %.2f}%s",
	       name, c->user, c->sys,
	       c->wall > 0 ? (c->user + c->sys) / c->wall * 100 : 0.0, tail);
}

/* Records one way: the receiving end's count, else the sender's. */
static int64_t records_way(const struct test *snd, const struct test *rcv,
			   unsigned int streams)
{
	int64_t total = 0, n;
	unsigned int i;

	for (i = 0; i < streams; i++) {
		n = rcv->st[i].rec_rx >= 0 ? rcv->st[i].rec_rx :
					     snd->st[i].rec_tx;
		if (n < 0)
			return -1;
		total += n;
	}
	return total;
}

static void json_count(const char *name, int64_t n, const char *tail)
{
	if (n < 0)
		printf("\"%s\": null%s", name, tail);
	else
		printf("\"%s\": %lld%s", name, (long long)n, tail);
}

/*
 * What every handshake counted was: what was asked, since one of the
 * other kind counts as failed.
 */
static const char *hs_kind(const struct perf_params *p)
{
	return p->resume ? "resumed" : "full";
}

/* Nearest-rank percentile of sorted v. */
static double percentile(const double *v, unsigned int n, double q)
{
	unsigned int k;

	if (!n)
		return 0;
	k = (unsigned int)ceil(q * n);
	return v[k ? k - 1 : 0];
}

/* Each stream's figures from the end that measured them, and sums. */
struct figures {
	struct sum sent[MAX_STREAMS], received[MAX_STREAMS];
	struct sum sum_sent, sum_received;
	int64_t c2s, s2c;	/* records each way, -1: not counted */
};

static void figures_of(struct figures *f, const struct test *cl,
		       const struct test *sv, const struct perf_params *p)
{
	const struct test *snd = p->reverse ? sv : cl;
	const struct test *rcv = p->reverse ? cl : sv;
	unsigned int i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < p->streams; i++) {
		f->sent[i] = (struct sum){ snd->st[i].sent,
					   snd->st[i].sent_secs };
		f->received[i] = (struct sum){ rcv->st[i].received,
					       rcv->st[i].recv_secs };
		f->sum_sent.bytes += f->sent[i].bytes;
		f->sum_received.bytes += f->received[i].bytes;
		f->sum_sent.seconds = fmax(f->sum_sent.seconds,
					   f->sent[i].seconds);
		f->sum_received.seconds = fmax(f->sum_received.seconds,
					       f->received[i].seconds);
	}
	f->c2s = records_way(cl, sv, p->streams);
	f->s2c = records_way(sv, cl, p->streams);
}

static void print_json(const struct test *cl, const struct test *sv,
		       const struct test *local, const struct figures *f)
{
	const struct perf_params *p = &local->p;
	unsigned int i, j;
	size_t k;

	printf("{\"version\": \"%s\", \"params\": {", PERF_PROTO);
	json_string("mode", p->mode->name, ", ");
	json_string("tls", tls_name(p->tls), ", ");
	json_string("cipher", cipher_label(ciphers[p->cipher].type).s, ", ");
	json_string("keys", keys_names[p->keys], ", ");
	printf("\"streams\": %u, \"reverse\": %s, \"length\": %llu, "
	       "\"seconds\": %g, \"bytes\": %llu, ", p->streams,
	       p->reverse ? "true" : "false", (unsigned long long)p->len,
	       p->bytes || p->handshakes ? 0 : p->seconds,
	       (unsigned long long)p->bytes);
	json_string("sendfile", p->sendfile[0] ? p->sendfile : NULL, ", ");
	printf("\"rx_only\": %s, \"handshakes\": %u, \"resume\": %s}, ",
	       p->rx_only ? "true" : "false", p->handshakes,
	       p->resume ? "true" : "false");
	if (!p->mode->tls || !local->version) {
		printf("\"negotiated\": null, ");
	} else {
		printf("\"negotiated\": {");
		json_string("tls", version_name(local->version), ", ");
		json_string("cipher", cipher_label(local->cipher).s, "}, ");
	}
	printf("\"intervals\": [");
	for (k = 0; k < cl->niv; k++) {
		const struct interval *iv = &cl->iv[k];
		uint64_t total = 0;
		double secs = iv->end - iv->start;

		printf("%s{\"start\": %.6f, \"end\": %.6f, \"streams\": [",
		       k ? ", " : "", iv->start, iv->end);
		for (j = 0; j < p->streams; j++) {
			printf("%s{\"id\": %u, \"bytes\": %llu, \"gbps\": %.6f}",
			       j ? ", " : "", j + 1,
			       (unsigned long long)iv->bytes[j],
			       gbps(iv->bytes[j], secs));
			total += iv->bytes[j];
		}
		printf("], \"sum\": {\"bytes\": %llu, \"gbps\": %.6f}}",
		       (unsigned long long)total, gbps(total, secs));
	}
	printf("], \"end\": {");
	if (p->handshakes) {
		unsigned int n = cl->hs_ok;

		printf("\"handshakes\": %u, \"kind\": \"%s\", \"failed\": %u, "
		       "\"wrong_kind\": %u, \"seconds\": %.6f, "
		       "\"per_second\": %.3f, ", n, hs_kind(p), cl->hs_failed,
		       cl->hs_wrong_kind, cl->hs_secs,
		       cl->hs_secs > 0 ? n / cl->hs_secs : 0.0);
		if (!cl->lat || !n)
			printf("\"latency_ms\": null, ");
		else
			printf("\"latency_ms\": {\"p50\": %.3f, \"p99\": %.3f, "
			       "\"min\": %.3f, \"max\": %.3f}, ",
			       percentile(cl->lat, n, 0.5),
			       percentile(cl->lat, n, 0.99), cl->lat[0],
			       cl->lat[n - 1]);
	} else {
		printf("\"streams\": [");
		for (i = 0; i < p->streams; i++) {
			printf("%s{\"id\": %u, ", i ? ", " : "", i + 1);
			json_sum("sent", &f->sent[i], ", ");
			json_sum("received", &f->received[i], "}");
		}
		printf("], ");
		json_sum("sum_sent", &f->sum_sent, ", ");
		json_sum("sum_received", &f->sum_received, ", ");
		printf("\"records\": {");
		json_count("client_to_server", f->c2s, ", ");
		json_count("server_to_client", f->s2c, "}, ");
	}
	printf("\"cpu\": {");
	json_cpu("client", &cl->cpu, ", ");
	json_cpu("server", &sv->cpu, "}}}\n");
	fflush(stdout);
}

static void text_cpu(const char *name, const struct cpu *c)
{
	printf("cpu %s: %.2f s user, %.2f s system (%.1f%% of %.2f s)\n", name,
	       c->user, c->sys,
	       c->wall > 0 ? (c->user + c->sys) / c->wall * 100 : 0.0, c->wall);
}

static void text_line(const char *id, const struct sum *s, const char *what)
{
	printf("[%3s] %6.2f sec %10.2f MBytes %9.3f Gbit/s  %s\n", id,
	       s->seconds, s->bytes / 1048576.0, gbps(s->bytes, s->seconds),
	       what);
}

static void print_text(const struct test *cl, const struct test *sv,
		       const struct test *local, const struct figures *f)
{
	const struct perf_params *p = &local->p;
	unsigned int i;
	char id[16];

	printf("- - - - - - - - - - - - - - - - - - - - - - - - -\n");
	printf("mode %s", p->mode->name);
	if (p->mode->tls && local->version)
		printf(", TLS %s, %s, keys %s", version_name(local->version),
		       cipher_label(local->cipher).s, keys_names[p->keys]);
	printf(", %u stream%s%s%s\n", p->streams, p->streams > 1 ? "s" : "",
	       p->reverse ? ", reverse" : "", p->rx_only ? ", rx-only" : "");
	if (p->handshakes) {
		unsigned int n = cl->hs_ok;

		printf("handshakes: %u %s in %.2f s, %.1f/s, %u failed", n,
		       hs_kind(p), cl->hs_secs,
		       cl->hs_secs > 0 ? n / cl->hs_secs : 0.0, cl->hs_failed);
		if (cl->hs_wrong_kind)
			printf(" (%u of them %s)", cl->hs_wrong_kind,
			       p->resume ? "full, not resumed" :
					   "resumed, not full");
		putchar('\n');
		if (cl->lat && n)
			printf("latency ms: p50 %.2f, p99 %.2f, min %.2f, max %.2f\n",
			       percentile(cl->lat, n, 0.5),
			       percentile(cl->lat, n, 0.99), cl->lat[0],
			       cl->lat[n - 1]);
	} else {
		for (i = 0; i < p->streams; i++) {
			snprintf(id, sizeof(id), "%u", i + 1);
			text_line(id, &f->sent[i], "sender");
			text_line(id, &f->received[i], "receiver");
		}
		if (p->streams > 1) {
			text_line("SUM", &f->sum_sent, "sender");
			text_line("SUM", &f->sum_received, "receiver");
		}
		printf("records: ");
		if (f->c2s < 0)
			printf("not counted by this mode\n");
		else
			printf("client->server %lld, server->client %lld\n",
			       (long long)f->c2s, (long long)f->s2c);
	}
	text_cpu("client", &cl->cpu);
	text_cpu("server", &sv->cpu);
	fflush(stdout);
}

void print_results(const struct test *cl, const struct test *sv,
		   const struct test *local)
{
	struct figures f;

	figures_of(&f, cl, sv, &local->p);
	if (opt.json)
		print_json(cl, sv, local, &f);
	else
		print_text(cl, sv, local, &f);
}

/* The client's line for one interval, per stream and summed. */
void interval_line(const struct test *t, const struct interval *iv)
{
	uint64_t total = 0;
	unsigned int i;
	char id[16];

	for (i = 0; i < t->p.streams; i++) {
		struct sum s = { iv->bytes[i], iv->end - iv->start };

		snprintf(id, sizeof(id), "%u", i + 1);
		printf("[%3s] %6.2f-%-6.2f sec %10.2f MBytes %9.3f Gbit/s\n",
		       id, iv->start, iv->end, s.bytes / 1048576.0,
		       gbps(s.bytes, s.seconds));
		total += iv->bytes[i];
	}
	if (t->p.streams > 1)
		printf("[SUM] %6.2f-%-6.2f sec %10.2f MBytes %9.3f Gbit/s\n",
		       iv->start, iv->end, total / 1048576.0,
		       gbps(total, iv->end - iv->start));
	fflush(stdout);
}
