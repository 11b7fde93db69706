// SPDX-License-Identifier: GPL-2.0
/*
 * tlso-perf: TLS throughput and handshake rate, iperf3-style, in four
 * modes (plain TCP, tlso, the kernel's kTLS, GnuTLS in userspace) so that
 * tlso can be measured beside its references.  See tlso-perf(1).
 *
 * A test: the client opens a control connection and sends the
 * parameters; the server answers "ok"; the client opens the data
 * connections (each starts with the test's cookie and its stream index,
 * in the clear), both ends set up TLS on each, the server says "ready"
 * and the client "go" once every stream is set up on its side (so that
 * no record reaches a socket before its keys do, and all streams start
 * together), the data flows, and both ends swap their figures.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/tls.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "cipher.h"
#include "keys.h"
#include "libtlso.h"
#include "record.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#define PERF_PROTO	"tlso-perf 1"
#define DEFAULT_PORT	"5301"
#define MAX_STREAMS	64
#define MAX_LEN		(16u << 20)
#define READ_LEN	(128u << 10)	/* the receiving end's read size */
#define IDLE_SECONDS	30		/* a silent peer fails the stream */
#define SETUP_SECONDS	120		/* handshakes under emulation are slow */
#define LINE_MAX_LEN	512

enum mode { MODE_PLAIN, MODE_TLSO, MODE_KTLS, MODE_GNUTLS };
enum keys { KEYS_HANDSHAKE, KEYS_STATIC };

static const char *const mode_names[] = { "plain", "tlso", "ktls", "gnutls" };
static const char *const keys_names[] = { "handshake", "static" };

static const struct perf_cipher {
	const char *name;
	uint16_t type;
	gnutls_cipher_algorithm_t gnutls;
	const char *priority;
} ciphers[] = {
	{ "aes-gcm-128", TLS_CIPHER_AES_GCM_128, GNUTLS_CIPHER_AES_128_GCM,
	  "AES-128-GCM" },
	{ "aes-gcm-256", TLS_CIPHER_AES_GCM_256, GNUTLS_CIPHER_AES_256_GCM,
	  "AES-256-GCM" },
	{ "chacha20-poly1305", TLS_CIPHER_CHACHA20_POLY1305,
	  GNUTLS_CIPHER_CHACHA20_POLY1305, "CHACHA20-POLY1305" },
	{ "aes-ccm-128", TLS_CIPHER_AES_CCM_128, GNUTLS_CIPHER_AES_128_CCM,
	  "AES-128-CCM" },
};
#define NCIPHERS (sizeof(ciphers) / sizeof(ciphers[0]))

/* What a test is: chosen by the client, sent to the server. */
struct perf_params {
	enum mode mode;
	int tls;		/* 12 or 13 */
	unsigned int cipher;	/* index into ciphers[] */
	bool tls_set, cipher_set;
	enum keys keys;
	unsigned int streams;
	bool reverse, rx_only;
	uint64_t len;
	double seconds;
	uint64_t bytes;		/* 0: for a time */
	unsigned int handshakes;
	char sendfile[256];
	char name[256];		/* the server name the client checks */
	char profile[64];
	char cookie[33];
	/* static keys, as the kernel takes them */
	union tlso_crypto_info key_c2s, key_s2c;
};

/* Local settings, never sent. */
static struct {
	bool server, one_off, json;
	const char *host, *port, *bind;
	double interval;
	const char *cert, *key, *ca, *profile;
} opt = { .port = DEFAULT_PORT, .interval = 1.0 };

static const char *prog = "tlso-perf";

/* ---- small things ---- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

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
static void __attribute__((format(printf, 1, 2)))
report_error(const char *fmt, ...)
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

static void __attribute__((format(printf, 1, 2), noreturn))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see %s --help)\n", prog);
	exit(2);
}

/* A failure inside a test: its text, kept for the one who reports it. */
struct failure {
	pthread_mutex_t lock;
	char msg[512];
};

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

static void set_timeout(int fd, int optname, double seconds)
{
	struct timeval tv = { (time_t)seconds,
			      (suseconds_t)((seconds - (time_t)seconds) * 1e6) };

	setsockopt(fd, SOL_SOCKET, optname, &tv, sizeof(tv));
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * One line from fd, a byte at a time so that nothing past it is taken
 * (on a data connection, TLS follows).  0, or -1 with errno (EPROTO for
 * a line too long, ECONNRESET for end of stream).
 */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;
	char c;

	for (;;) {
		r = recv(fd, &c, 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (c == '\n')
			break;
		if (n + 1 >= size) {
			errno = EPROTO;
			return -1;
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	return 0;
}

static int __attribute__((format(printf, 2, 3))) send_line(int fd, const char *fmt, ...)
{
	char buf[2 * LINE_MAX_LEN];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf) - 1) {
		errno = EMSGSIZE;
		return -1;
	}
	buf[n++] = '\n';
	return write_all(fd, buf, n);
}

static void hex_encode(char *out, const void *in, size_t len)
{
	const unsigned char *p = in;
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static int hex_decode(void *out, size_t size, const char *in)
{
	unsigned char *p = out;
	size_t i, len = strlen(in);
	unsigned int b;

	if (len % 2 || len / 2 > size)
		return -1;
	for (i = 0; i < len / 2; i++) {
		if (sscanf(in + 2 * i, "%2x", &b) != 1)
			return -1;
		p[i] = b;
	}
	return len / 2;
}

static double cpu_seconds(const struct timeval *tv)
{
	return tv->tv_sec + tv->tv_usec / 1e6;
}

/* CPU time of this process: user, system. */
struct cpu {
	double user, sys, wall;
};

static void cpu_now(struct cpu *c)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	c->user = cpu_seconds(&ru.ru_utime);
	c->sys = cpu_seconds(&ru.ru_stime);
	c->wall = now();
}

static void cpu_since(struct cpu *c, const struct cpu *start)
{
	cpu_now(c);
	c->user -= start->user;
	c->sys -= start->sys;
	c->wall -= start->wall;
}

/* ---- parameters on the control connection ---- */

static const char *tls_name(int tls)
{
	return tls == 12 ? "1.2" : "1.3";
}

static uint16_t tls_version(int tls)
{
	return tls == 12 ? TLS_1_2_VERSION : TLS_1_3_VERSION;
}

static int send_params(int fd, const struct perf_params *p)
{
	char k1[2 * sizeof(p->key_c2s) + 1], k2[2 * sizeof(p->key_s2c) + 1];
	int ret;

	hex_encode(k1, &p->key_c2s, sizeof(p->key_c2s));
	hex_encode(k2, &p->key_s2c, sizeof(p->key_s2c));
	ret = send_line(fd, PERF_PROTO) ||
	      send_line(fd, "mode %s", mode_names[p->mode]) ||
	      send_line(fd, "tls %d %d", p->tls, p->tls_set) ||
	      send_line(fd, "cipher %u %d", p->cipher, p->cipher_set) ||
	      send_line(fd, "keys %s", keys_names[p->keys]) ||
	      send_line(fd, "streams %u", p->streams) ||
	      send_line(fd, "reverse %d", p->reverse) ||
	      send_line(fd, "rx_only %d", p->rx_only) ||
	      send_line(fd, "len %llu", (unsigned long long)p->len) ||
	      send_line(fd, "seconds %.6f", p->seconds) ||
	      send_line(fd, "bytes %llu", (unsigned long long)p->bytes) ||
	      send_line(fd, "handshakes %u", p->handshakes) ||
	      send_line(fd, "sendfile %s", p->sendfile) ||
	      send_line(fd, "profile %s", p->profile) ||
	      send_line(fd, "cookie %s", p->cookie) ||
	      send_line(fd, "key_c2s %s", k1) ||
	      send_line(fd, "key_s2c %s", k2) ||
	      send_line(fd, "end");
	explicit_bzero(k1, sizeof(k1));
	explicit_bzero(k2, sizeof(k2));
	return ret ? -1 : 0;
}

static int find_name(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

/* The server's side: after the first line.  NULL, or what is wrong. */
static const char *recv_params(int fd, struct perf_params *p)
{
	char line[LINE_MAX_LEN], *val;
	unsigned long long u;
	int i, a, b;

	memset(p, 0, sizeof(*p));
	for (;;) {
		if (read_line(fd, line, sizeof(line)))
			return "the client went away while sending its parameters";
		if (!strcmp(line, "end"))
			break;
		val = strchr(line, ' ');
		if (!val)
			val = line + strlen(line);
		else
			*val++ = '\0';
		if (!strcmp(line, "mode")) {
			i = find_name(mode_names, 4, val);
			if (i < 0)
				return "unknown mode";
			p->mode = i;
		} else if (!strcmp(line, "tls") &&
			   sscanf(val, "%d %d", &a, &b) == 2 &&
			   (a == 12 || a == 13)) {
			p->tls = a;
			p->tls_set = b;
		} else if (!strcmp(line, "cipher") &&
			   sscanf(val, "%d %d", &a, &b) == 2 &&
			   a >= 0 && (size_t)a < NCIPHERS) {
			p->cipher = a;
			p->cipher_set = b;
		} else if (!strcmp(line, "keys")) {
			i = find_name(keys_names, 2, val);
			if (i < 0)
				return "unknown keys";
			p->keys = i;
		} else if (!strcmp(line, "streams") && sscanf(val, "%llu", &u) == 1 &&
			   u >= 1 && u <= MAX_STREAMS) {
			p->streams = u;
		} else if (!strcmp(line, "reverse")) {
			p->reverse = atoi(val);
		} else if (!strcmp(line, "rx_only")) {
			p->rx_only = atoi(val);
		} else if (!strcmp(line, "len") && sscanf(val, "%llu", &u) == 1 &&
			   u >= 1 && u <= MAX_LEN) {
			p->len = u;
		} else if (!strcmp(line, "seconds")) {
			p->seconds = atof(val);
		} else if (!strcmp(line, "bytes") && sscanf(val, "%llu", &u) == 1) {
			p->bytes = u;
		} else if (!strcmp(line, "handshakes") && sscanf(val, "%llu", &u) == 1) {
			p->handshakes = u;
		} else if (!strcmp(line, "sendfile")) {
			snprintf(p->sendfile, sizeof(p->sendfile), "%s", val);
		} else if (!strcmp(line, "profile")) {
			snprintf(p->profile, sizeof(p->profile), "%s", val);
		} else if (!strcmp(line, "cookie")) {
			snprintf(p->cookie, sizeof(p->cookie), "%s", val);
		} else if (!strcmp(line, "key_c2s")) {
			if (hex_decode(&p->key_c2s, sizeof(p->key_c2s), val) < 0)
				return "bad key_c2s";
		} else if (!strcmp(line, "key_s2c")) {
			if (hex_decode(&p->key_s2c, sizeof(p->key_s2c), val) < 0)
				return "bad key_s2c";
		} else {
			return "a parameter this server does not understand";
		}
		explicit_bzero(line, sizeof(line));
	}
	if (!p->streams || !p->len || !p->cookie[0] || !p->tls)
		return "parameters missing";
	return NULL;
}

/* ---- TLS on one connection ---- */

/*
 * What the in-process handshakes share, made once per process and test
 * as tlsod makes its own once per start: reading certificates and
 * compiling priorities on every connection would charge the in-process
 * side with work that tlsod does not do per handshake.
 */
static struct {
	pthread_mutex_t lock;
	gnutls_certificate_credentials_t cred;
	char priority_text[256];
	gnutls_priority_t priority;
} gtls = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int gtls_load(char *err, size_t errlen)
{
	int ret;

	if (gtls.cred)
		return 0;
	ret = gnutls_certificate_allocate_credentials(&gtls.cred);
	if (ret < 0)
		goto fail;
	if (opt.server) {
		if (!opt.cert)
			return 0;
		ret = gnutls_certificate_set_x509_key_file(gtls.cred, opt.cert,
							   opt.key,
							   GNUTLS_X509_FMT_PEM);
		if (ret < 0) {
			snprintf(err, errlen, "--cert %s / --key %s: %s",
				 opt.cert, opt.key, gnutls_strerror(ret));
			return -1;
		}
		return 0;
	}
	ret = opt.ca ? gnutls_certificate_set_x509_trust_file(gtls.cred, opt.ca,
							      GNUTLS_X509_FMT_PEM) :
		       gnutls_certificate_set_x509_system_trust(gtls.cred);
	if (ret <= 0) {
		snprintf(err, errlen, "%s: %s",
			 opt.ca ? opt.ca : "the system's trusted CAs",
			 ret ? gnutls_strerror(ret) : "no certificate in it");
		return -1;
	}
	return 0;
fail:
	snprintf(err, errlen, "GnuTLS: %s", gnutls_strerror(ret));
	return -1;
}

static gnutls_priority_t gtls_priority(const struct perf_params *p, char *err,
				       size_t errlen)
{
	char text[sizeof(gtls.priority_text)];
	const char *where;
	int ret;

	snprintf(text, sizeof(text),
		 "NORMAL:-VERS-ALL:+VERS-TLS%s:-CIPHER-ALL:+%s",
		 tls_name(p->tls), ciphers[p->cipher].priority);
	pthread_mutex_lock(&gtls.lock);
	if (!gtls.priority || strcmp(text, gtls.priority_text)) {
		if (gtls.priority)
			gnutls_priority_deinit(gtls.priority);
		gtls.priority = NULL;
		ret = gnutls_priority_init(&gtls.priority, text, &where);
		if (ret < 0)
			snprintf(err, errlen, "GnuTLS priority \"%s\": %s",
				 text, gnutls_strerror(ret));
		else
			strcpy(gtls.priority_text, text);
	}
	pthread_mutex_unlock(&gtls.lock);
	return gtls.priority;
}

struct conn {
	int fd;
	bool client;		/* the TLS role */
	gnutls_session_t s;	/* mode gnutls only, after set-up */
	/* the version and cipher in use (TLS_*_VERSION, TLS_CIPHER_*) */
	uint16_t version, cipher;
	/* records counted here, in mode gnutls and by a raw sender */
	uint64_t rec_tx, rec_rx;
	/* --rx-only's sending end: its keys, to build records with */
	bool raw;
	union tlso_crypto_info tx;
};

static bool is_ip_literal(const char *name)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, buf) == 1 ||
	       inet_pton(AF_INET6, name, buf) == 1;
}

static int gtls_handshake(struct conn *c, const struct perf_params *p, char *err,
			  size_t errlen)
{
	gnutls_priority_t prio;
	int ret, one = 1, zero = 0;

	if (gtls_load(err, errlen))
		return -1;
	if (!c->client && !opt.cert) {
		snprintf(err, errlen,
			 "the server has no certificate for an in-process handshake (start it with --cert and --key)");
		return -1;
	}
	prio = gtls_priority(p, err, errlen);
	if (!prio)
		return -1;
	ret = gnutls_init(&c->s, (c->client ? GNUTLS_CLIENT : GNUTLS_SERVER) |
				 GNUTLS_NO_TICKETS);
	if (ret < 0)
		goto fail;
	ret = gnutls_priority_set(c->s, prio);
	if (ret >= 0)
		ret = gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE,
					     gtls.cred);
	if (ret < 0)
		goto fail;
	if (c->client) {
		if (p->name[0] && !is_ip_literal(p->name))
			gnutls_server_name_set(c->s, GNUTLS_NAME_DNS, p->name,
					       strlen(p->name));
		gnutls_session_set_verify_cert(c->s, p->name[0] ? p->name : NULL,
					       0);
	}
	gnutls_transport_set_int(c->s, c->fd);
	gnutls_handshake_set_timeout(c->s, SETUP_SECONDS * 1000);
	/* as tlsod does: small flights must not wait for Nagle */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	do {
		ret = gnutls_handshake(c->s);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &zero, sizeof(zero));
	if (ret < 0)
		goto fail;
	return 0;
fail:
	if (ret == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR && c->s) {
		gnutls_datum_t out = { 0 };

		gnutls_certificate_verification_status_print(
			gnutls_session_get_verify_cert_status(c->s),
			GNUTLS_CRT_X509, &out, 0);
		snprintf(err, errlen, "handshake: %s",
			 out.data ? (char *)out.data : gnutls_strerror(ret));
		gnutls_free(out.data);
	} else {
		snprintf(err, errlen, "handshake: %s", gnutls_strerror(ret));
	}
	if (c->s)
		gnutls_deinit(c->s);
	c->s = NULL;
	return -1;
}

static void gtls_negotiated(struct conn *c)
{
	size_t i;

	c->version = gnutls_protocol_get_version(c->s) == GNUTLS_TLS1_2 ?
		     TLS_1_2_VERSION : TLS_1_3_VERSION;
	for (i = 0; i < NCIPHERS; i++)
		if (ciphers[i].gnutls == gnutls_cipher_get(c->s))
			c->cipher = ciphers[i].type;
}

/* Both directions of an in-process handshake's keys into the kernel. */
static int gtls_to_kernel(struct conn *c, char *err, size_t errlen)
{
	union tlso_crypto_info ci;
	unsigned int read;
	socklen_t len;
	int ret;

	for (read = 0; read < 2; read++) {
		ret = tlso_keys_export(c->s, read, &ci, &len);
		if (ret < 0) {
			snprintf(err, errlen, "keys from GnuTLS: %s",
				 gnutls_strerror(ret));
			return -1;
		}
		ret = setsockopt(c->fd, SOL_TLS, read ? TLS_RX : TLS_TX, &ci,
				 len);
		explicit_bzero(&ci, sizeof(ci));
		if (ret < 0) {
			snprintf(err, errlen, "setsockopt(SOL_TLS, %s): %s",
				 read ? "TLS_RX" : "TLS_TX", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static socklen_t info_size(const union tlso_crypto_info *ci)
{
	const struct tlso_cipher *c = tlso_cipher_find(ci->info.cipher_type);

	return c ? c->info_size : 0;
}

static int attach(struct conn *c, enum mode mode, char *err, size_t errlen)
{
	if (mode == MODE_TLSO) {
		if (!tlso_attach(c->fd))
			return 0;
		snprintf(err, errlen, "attaching tlso: %s",
			 tlso_strerror(errno));
		return -1;
	}
	if (!setsockopt(c->fd, SOL_TCP, TCP_ULP, "tls", 3))
		return 0;
	snprintf(err, errlen, "attaching kTLS: %s", errno == ENOENT ?
		 "the kernel's tls module is not loaded (modprobe tls)" :
		 strerror(errno));
	return -1;
}

static int static_keys(struct conn *c, const struct perf_params *p, char *err,
		       size_t errlen)
{
	const union tlso_crypto_info *tx = c->client ? &p->key_c2s : &p->key_s2c;
	const union tlso_crypto_info *rx = c->client ? &p->key_s2c : &p->key_c2s;

	if (setsockopt(c->fd, SOL_TLS, TLS_TX, tx, info_size(tx)) ||
	    setsockopt(c->fd, SOL_TLS, TLS_RX, rx, info_size(rx))) {
		snprintf(err, errlen, "installing keys: %s", strerror(errno));
		return -1;
	}
	c->version = tx->info.version;
	c->cipher = tx->info.cipher_type;
	return 0;
}

static int tlso_daemon_handshake(struct conn *c, const struct perf_params *p,
				 char *err, size_t errlen)
{
	struct tlso_handshake_opts o = {
		.role = c->client ? TLSO_ROLE_CLIENT : TLSO_ROLE_SERVER,
		.peer_name = c->client ? p->name : NULL,
		.profile = p->profile,
	};
	struct tlso_handshake_status st;

	if (tlso_handshake(c->fd, &o) || tlso_handshake_status(c->fd, &st)) {
		snprintf(err, errlen, "handshake through tlsod: %s",
			 tlso_strerror(errno));
		return -1;
	}
	c->version = st.version;
	c->cipher = st.cipher;
	return 0;
}

/*
 * Whether this end (the client, or the server) does its handshakes with
 * GnuTLS in the process, and so needs its certificates: as conn_setup()
 * decides below.
 */
static bool in_process_handshake(const struct perf_params *p, bool client)
{
	bool sender = client != p->reverse;

	return p->keys == KEYS_HANDSHAKE &&
	       (p->mode == MODE_KTLS || p->mode == MODE_GNUTLS ||
		(p->rx_only && sender && p->mode != MODE_PLAIN));
}

/*
 * Set up TLS on a connected data socket as p's mode says; sender tells
 * whether this end sends (it matters only to --rx-only, whose sending
 * end keeps its keys to build records with instead of giving them to a
 * kernel).  0, or -1 with the reason in err.
 */
static int conn_setup(struct conn *c, const struct perf_params *p, bool sender,
		      char *err, size_t errlen)
{
	c->raw = p->rx_only && sender && p->mode != MODE_PLAIN;
	if (c->raw) {
		if (p->mode == MODE_PLAIN)
			return 0;
		if (p->keys == KEYS_STATIC) {
			c->tx = c->client ? p->key_c2s : p->key_s2c;
			return 0;
		}
		socklen_t len;
		int ret;

		if (gtls_handshake(c, p, err, errlen))
			return -1;
		gtls_negotiated(c);
		ret = tlso_keys_export(c->s, 0, &c->tx, &len);
		gnutls_deinit(c->s);
		c->s = NULL;
		if (ret < 0) {
			snprintf(err, errlen, "keys from GnuTLS: %s",
				 gnutls_strerror(ret));
			return -1;
		}
		return 0;
	}
	switch (p->mode) {
	case MODE_PLAIN:
		return 0;
	case MODE_GNUTLS:
		if (gtls_handshake(c, p, err, errlen))
			return -1;
		gtls_negotiated(c);
		return 0;
	case MODE_TLSO:
	case MODE_KTLS:
		if (attach(c, p->mode, err, errlen))
			return -1;
		if (p->keys == KEYS_STATIC)
			return static_keys(c, p, err, errlen);
		if (p->mode == MODE_TLSO)
			return tlso_daemon_handshake(c, p, err, errlen);
		if (gtls_handshake(c, p, err, errlen))
			return -1;
		gtls_negotiated(c);
		if (gtls_to_kernel(c, err, errlen))
			return -1;
		gnutls_deinit(c->s);
		c->s = NULL;
		return 0;
	}
	return 0;
}

static const char *cipher_name(uint16_t type)
{
	size_t i;

	for (i = 0; i < NCIPHERS; i++)
		if (ciphers[i].type == type)
			return ciphers[i].name;
	return "unknown";
}

/*
 * A handshake through tlsod picks what the profiles allow; measuring
 * something other than what was asked would mislead.
 */
static int check_negotiated(const struct conn *c, const struct perf_params *p,
			    char *err, size_t errlen)
{
	if (p->mode == MODE_PLAIN || (c->raw && p->keys == KEYS_STATIC))
		return 0;
	if (p->tls_set && c->version != tls_version(p->tls)) {
		snprintf(err, errlen,
			 "the handshake agreed on TLS %s, not the %s asked for",
			 c->version == TLS_1_2_VERSION ? "1.2" : "1.3",
			 tls_name(p->tls));
		return -1;
	}
	if (p->cipher_set && c->cipher != ciphers[p->cipher].type) {
		snprintf(err, errlen,
			 "the handshake agreed on %s, not the %s asked for",
			 cipher_name(c->cipher), ciphers[p->cipher].name);
		return -1;
	}
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->s)
		gnutls_deinit(c->s);
	c->s = NULL;
	explicit_bzero(&c->tx, sizeof(c->tx));
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Records this socket sent and received: -1 each when nobody counts. */
static void conn_records(const struct conn *c, enum mode mode,
			 int64_t *tx, int64_t *rx)
{
	*tx = *rx = -1;
	if (c->raw || mode == MODE_GNUTLS) {
		*tx = c->rec_tx;
		*rx = c->rec_rx;
	} else if (mode == MODE_PLAIN) {
		*tx = *rx = 0;
	} else if (mode == MODE_TLSO) {
#ifdef TLSO_INFO
		struct tlso_info info;
		socklen_t len = sizeof(info);

		if (!getsockopt(c->fd, SOL_TLS, TLSO_INFO, &info, &len) &&
		    len == sizeof(info)) {
			*tx = info.tx_records;
			*rx = info.rx_records;
		}
#endif
	}
}

/* ---- one test's shared state ---- */

#define MAX_CONNS	256	/* data connections open at once, per test */

struct stream {
	_Atomic uint64_t live;	/* bytes so far, for the intervals */
	uint64_t sent, received;
	double sent_secs, recv_secs;
	int64_t rec_tx, rec_rx;	/* -1: not counted */
};

struct interval {
	double start, end;
	uint64_t bytes[MAX_STREAMS];
};

struct test {
	struct perf_params p;
	struct failure fail;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int ready;	/* streams set up */
	unsigned int finished;	/* streams ended */
	unsigned int conns;	/* data connection threads alive */
	bool go, aborted;
	int fds[MAX_CONNS];	/* open data sockets, to abort */
	int file;		/* --sendfile's, on the sending end */
	int ctrl;		/* the control connection */
	uint16_t version, cipher;	/* what the first stream agreed on */
	struct stream st[MAX_STREAMS];
	struct cpu cpu_start, cpu;
	/* --handshakes */
	double *lat;
	unsigned int hs_ok, hs_failed;
	double hs_secs;
	/* client: the intervals */
	struct interval *iv;
	size_t niv;
	double go_time;
};

static struct test *test_new(void)
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

static void test_free(struct test *t)
{
	if (t->file >= 0)
		close(t->file);
	explicit_bzero(&t->p, sizeof(t->p));
	free(t->lat);
	free(t->iv);
	free(t);
}

static void test_fail(struct test *t, const char *msg)
{
	set_failure(&t->fail, "%s", msg);
	pthread_mutex_lock(&t->lock);
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

/* Stop every data connection: a peer went away or a stream failed. */
static void test_abort(struct test *t)
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

static int test_track(struct test *t, int fd, bool add)
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

static void test_negotiated(struct test *t, const struct conn *c)
{
	pthread_mutex_lock(&t->lock);
	if (!t->version) {
		t->version = c->version;
		t->cipher = c->cipher;
	}
	pthread_mutex_unlock(&t->lock);
}

/* A stream is set up; a sending one then waits for the word to go. */
static bool test_ready_wait(struct test *t, bool sender)
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

static void test_go(struct test *t)
{
	pthread_mutex_lock(&t->lock);
	cpu_now(&t->cpu_start);
	t->go_time = t->cpu_start.wall;
	t->go = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

/* ---- records built ahead, for --rx-only ---- */

struct prebuilt {
	unsigned char *buf;
	size_t len;		/* bytes in buf */
	size_t rec_len;		/* bytes of one full record on the wire */
	size_t payload;		/* content bytes of one full record */
	uint64_t content;	/* content bytes in all */
	uint64_t records;
};

/* What one record needs: the cipher, its nonce material, its sequence. */
struct sealer {
	gnutls_aead_cipher_hd_t h;
	struct tlso_prot prot;
	uint16_t type;
	unsigned char ivmat[TLSO_NONCE_LEN], seq[TLSO_SEQ_LEN];
};

/*
 * One record of type rtype around plain[0..n) at out; plain has room for
 * TLS 1.3's inner type byte after the content.  Its length, or -1.
 */
static ssize_t seal_record(struct sealer *sl, unsigned char *out,
			   unsigned char rtype, unsigned char *plain, size_t n)
{
	unsigned char nonce[TLSO_MAX_IV_LEN], aad[TLSO_MAX_AAD_LEN];
	const struct tlso_prot *prot = &sl->prot;
	size_t ctext_len = n + prot->tail_len + TLSO_TAG_LEN;
	unsigned int aad_len;

	plain[n] = rtype;
	tlso_record_build(out, prot, rtype, n, sl->seq);
	tlso_record_iv(nonce, prot, sl->ivmat, sl->seq, sl->seq);
	aad_len = tlso_record_aad(aad, prot, sl->seq, rtype, n);
	if (gnutls_aead_cipher_encrypt(sl->h,
			sl->type == TLS_CIPHER_AES_CCM_128 ? nonce + 1 : nonce,
			TLSO_NONCE_LEN, aad, aad_len, TLSO_TAG_LEN, plain,
			n + prot->tail_len, out + TLSO_HDR_LEN + prot->nonce_len,
			&ctext_len) < 0)
		return -1;
	tlso_seq_inc(sl->seq, TLSO_SEQ_LEN);
	return TLSO_HDR_LEN + prot->nonce_len + ctext_len;
}

/*
 * The whole transfer as records, ending with a close_notify alert when
 * the receiver is GnuTLS (which calls a bare end of stream an attack);
 * a kernel receiver in kTLS mode would fail its read on an alert.
 */
static int seal_all(struct prebuilt *pb, const union tlso_crypto_info *ci,
		    uint64_t content, size_t payload, bool close_notify,
		    char *err, size_t errlen)
{
	const struct tlso_cipher *tc = tlso_cipher_find(ci->info.cipher_type);
	const unsigned char *raw = (const unsigned char *)ci;
	unsigned char *plain = NULL, *out;
	struct sealer sl = { 0 };
	gnutls_datum_t key;
	uint64_t done = 0;
	size_t i, size;
	ssize_t n;
	int ret = -1, r;

	if (!tc || tlso_prot_init(&sl.prot, ci->info.version, tc->type)) {
		snprintf(err, errlen, "no such version or cipher");
		return -1;
	}
	for (i = 0; i < NCIPHERS; i++)
		if (ciphers[i].type == tc->type)
			break;
	sl.type = tc->type;
	key.data = (unsigned char *)raw + tc->key_off;
	key.size = tc->key_size;
	r = gnutls_aead_cipher_init(&sl.h, ciphers[i].gnutls, &key);
	if (r < 0) {
		snprintf(err, errlen, "GnuTLS AEAD: %s", gnutls_strerror(r));
		return -1;
	}
	memcpy(sl.ivmat, raw + tc->salt_off, tc->salt_size);
	memcpy(sl.ivmat + tc->salt_size, raw + tc->iv_off, tc->iv_size);
	memcpy(sl.seq, raw + tc->rec_seq_off, TLSO_SEQ_LEN);

	pb->payload = payload;
	pb->rec_len = payload + sl.prot.overhead;
	pb->records = (content + payload - 1) / payload + close_notify;
	pb->content = content;
	size = pb->records * pb->rec_len + (2 + sl.prot.overhead);
	pb->buf = malloc(size);
	plain = malloc(payload + 1);
	if (!pb->buf || !plain) {
		snprintf(err, errlen, "%zu bytes for --rx-only: out of memory",
			 size);
		goto out;
	}
	memset(plain, 'x', payload);
	out = pb->buf;
	while (done < content) {
		size_t len = content - done < payload ? content - done : payload;

		n = seal_record(&sl, out, TLSO_TYPE_DATA, plain, len);
		if (n < 0)
			goto fail;
		out += n;
		done += len;
	}
	if (close_notify) {
		plain[0] = 1;	/* warning */
		plain[1] = 0;	/* close_notify */
		n = seal_record(&sl, out, TLSO_TYPE_ALERT, plain, 2);
		if (n < 0)
			goto fail;
		out += n;
	}
	pb->len = out - pb->buf;
	ret = 0;
	goto out;
fail:
	snprintf(err, errlen, "GnuTLS could not encrypt a record");
out:
	gnutls_aead_cipher_deinit(sl.h);
	explicit_bzero(&sl, sizeof(sl));
	free(plain);
	return ret;
}

/* ---- the data ---- */

/* The bytes stream i of n sends when the test is for p->bytes in all. */
static uint64_t stream_budget(const struct perf_params *p, unsigned int i)
{
	uint64_t each = p->bytes / p->streams;

	return i + 1 == p->streams ? p->bytes - each * (p->streams - 1) : each;
}

/* After sending: wait until the receiver has closed, so it has it all. */
static void wait_peer_close(int fd)
{
	char buf[4096];
	ssize_t n;

	set_timeout(fd, SO_RCVTIMEO, IDLE_SECONDS);
	do {
		n = recv(fd, buf, sizeof(buf), 0);
	} while (n > 0 || (n < 0 && errno == EINTR));
}

static int send_prebuilt(struct conn *c, struct stream *st,
			 const struct prebuilt *pb, char *err, size_t errlen)
{
	size_t off = 0, n;
	uint64_t content;

	while (off < pb->len) {
		n = pb->len - off < pb->rec_len ? pb->len - off : pb->rec_len;
		if (write_all(c->fd, pb->buf + off, n)) {
			snprintf(err, errlen, "sending: %s", strerror(errno));
			return -1;
		}
		off += n;
		content = off / pb->rec_len * pb->payload;
		atomic_store(&st->live, content < pb->content ? content :
							    pb->content);
	}
	atomic_store(&st->live, pb->content);
	c->rec_tx = pb->records;
	return 0;
}

static ssize_t send_some(struct conn *c, int file, off_t *off, char *buf,
			 size_t n)
{
	ssize_t r;

	if (file >= 0 && !c->s) {
		r = sendfile(c->fd, file, off, n);
		if (r == 0) {
			/* the end of the file: go round again */
			*off = 0;
			r = sendfile(c->fd, file, off, n);
		}
		return r;
	}
	if (file >= 0) {
		r = pread(file, buf, n, *off);
		if (r == 0) {
			*off = 0;
			r = pread(file, buf, n, *off);
		}
		if (r <= 0)
			return r < 0 ? -1 : 0;
		n = r;
	}
	if (!c->s)
		return send(c->fd, buf, n, MSG_NOSIGNAL);
	do {
		r = gnutls_record_send(c->s, buf, n);
	} while (r == GNUTLS_E_INTERRUPTED || r == GNUTLS_E_AGAIN);
	if (r < 0) {
		errno = EPROTO;
		return -1;
	}
	c->rec_tx++;
	if (file >= 0)
		*off += r;
	return r;
}

static int send_stream(struct test *t, struct conn *c, struct stream *st,
		       uint64_t budget, const struct prebuilt *pb, char *err,
		       size_t errlen)
{
	const struct perf_params *p = &t->p;
	double start = now(), end = start + p->seconds;
	uint64_t total = 0;
	char *buf = NULL;
	off_t off = 0;
	ssize_t r;
	int ret = -1;

	if (c->raw) {
		if (send_prebuilt(c, st, pb, err, errlen))
			return -1;
		total = pb->content;
		goto sent;
	}
	buf = malloc(p->len);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(buf, 'x', p->len);
	for (;;) {
		size_t n = p->len;

		if (p->bytes) {
			if (total >= budget)
				break;
			if (budget - total < n)
				n = budget - total;
		} else if (now() >= end) {
			break;
		}
		r = send_some(c, t->file, &off, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "sending: %s",
				 r ? strerror(errno) : "the file is empty");
			goto out;
		}
		total += r;
		atomic_store(&st->live, total);
	}
sent:
	st->sent = total;
	st->sent_secs = now() - start;
	if (c->s) {
		do {
			r = gnutls_bye(c->s, GNUTLS_SHUT_WR);
		} while (r == GNUTLS_E_INTERRUPTED || r == GNUTLS_E_AGAIN);
	} else {
		shutdown(c->fd, SHUT_WR);
	}
	wait_peer_close(c->fd);
	ret = 0;
out:
	free(buf);
	return ret;
}

/* Why a read failed: gnutls, a GnuTLS error, or 0 for errno e's. */
static void recv_failed(char *err, size_t errlen, int gnutls, int e)
{
	if (gnutls == GNUTLS_E_AGAIN || (!gnutls && e == EAGAIN))
		snprintf(err, errlen, "receiving: no data for %d s",
			 IDLE_SECONDS);
	else if (gnutls)
		snprintf(err, errlen, "receiving: %s", gnutls_strerror(gnutls));
	else if (e == EBADMSG)
		snprintf(err, errlen,
			 "receiving: a record did not decrypt (EBADMSG)");
	else
		snprintf(err, errlen, "receiving: %s", strerror(e));
}

static int recv_stream(struct conn *c, struct stream *st, char *err,
		       size_t errlen)
{
	char *buf = malloc(READ_LEN);
	double first = 0;
	uint64_t total = 0;
	ssize_t r;
	int ret = -1;

	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	set_timeout(c->fd, SO_RCVTIMEO, IDLE_SECONDS);
	for (;;) {
		if (c->s) {
			r = gnutls_record_recv(c->s, buf, READ_LEN);
			if (r == GNUTLS_E_INTERRUPTED)
				continue;
			if (r < 0) {
				recv_failed(err, errlen, r, 0);
				goto out;
			}
			if (r > 0)
				c->rec_rx++;
		} else {
			r = recv(c->fd, buf, READ_LEN, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				recv_failed(err, errlen, 0, errno);
				goto out;
			}
		}
		if (r == 0)
			break;
		if (!total)
			first = now();
		total += r;
		atomic_store(&st->live, total);
	}
	ret = 0;
out:
	st->received = total;
	st->recv_secs = total ? now() - first : 0;
	free(buf);
	return ret;
}

/* ---- a stream, on either end ---- */

static size_t record_payload(const struct perf_params *p)
{
	return p->len < TLSO_MAX_PLAIN ? p->len : TLSO_MAX_PLAIN;
}

static void __attribute__((format(printf, 2, 3)))
test_fail_fmt(struct test *t, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	test_fail(t, msg);
}

static void run_stream(struct test *t, int fd, unsigned int idx, bool client)
{
	struct conn c = { .fd = fd, .client = client };
	bool sender = client != t->p.reverse;
	struct stream *st = &t->st[idx];
	struct prebuilt pb = { 0 };
	char err[384];

	if (conn_setup(&c, &t->p, sender, err, sizeof(err)) ||
	    check_negotiated(&c, &t->p, err, sizeof(err)))
		goto fail;
	test_negotiated(t, &c);
	if (c.raw && seal_all(&pb, &c.tx, stream_budget(&t->p, idx),
			      record_payload(&t->p), t->p.mode == MODE_GNUTLS,
			      err, sizeof(err)))
		goto fail;
	if (!test_ready_wait(t, sender))
		goto out;
	if (sender ? send_stream(t, &c, st, stream_budget(&t->p, idx), &pb,
				 err, sizeof(err)) :
		     recv_stream(&c, st, err, sizeof(err)))
		goto fail;
	conn_records(&c, t->p.mode, &st->rec_tx, &st->rec_rx);
	goto out;
fail:
	test_fail_fmt(t, "stream %u: %s", idx + 1, err);
	test_abort(t);
out:
	free(pb.buf);
	c.fd = -1;	/* the caller closes it */
	conn_close(&c);
	pthread_mutex_lock(&t->lock);
	t->finished++;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

/* The server's end of one --handshakes connection. */
static void serve_handshake(struct test *t, int fd)
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
		r = c.s ? gnutls_record_send(c.s, "h", 1) :
			  send(fd, "h", 1, MSG_NOSIGNAL);
		ok = r == 1;
		if (ok)
			wait_peer_close(fd);
	}
	c.fd = -1;
	conn_close(&c);
	pthread_mutex_lock(&t->lock);
	if (ok)
		t->hs_ok++;
	else
		t->hs_failed++;
	pthread_mutex_unlock(&t->lock);
}

/* ---- connections ---- */

/* fd connected to ai, or bound and listening on it; 0 or -1. */
static int use_address(int fd, const struct addrinfo *ai, bool listener)
{
	int one = 1, zero = 0;

	if (!listener)
		return connect(fd, ai->ai_addr, ai->ai_addrlen);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* the wildcard of IPv6 takes IPv4 clients too */
	if (ai->ai_family == AF_INET6 && !opt.bind)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	return bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 128) ?
	       -1 : 0;
}

/*
 * A TCP socket connected to host's first address that accepts, or, for
 * a listener, listening on host (NULL: every address) and port.
 */
static int open_socket(const char *host, const char *port, bool listener,
		       char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, ret, saved = 0;

	if (listener) {
		hints.ai_flags = AI_PASSIVE;
		hints.ai_family = host ? AF_UNSPEC : AF_INET6;
	}
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret && listener && !host) {
		hints.ai_family = AF_INET;
		ret = getaddrinfo(NULL, port, &hints, &res);
	}
	if (ret) {
		snprintf(err, errlen, "%s port %s: %s", host ? host : "*",
			 port, gai_strerror(ret));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		if (!use_address(fd, ai, listener))
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "%s %s port %s: %s",
			 listener ? "listening on" : "connecting to",
			 host ? host : "*", port, strerror(saved));
	return fd;
}

static int connect_to(const char *host, const char *port, char *err,
		      size_t errlen)
{
	return open_socket(host, port, false, err, errlen);
}

/* ---- results on the control connection ---- */

static int send_results(int fd, struct test *t)
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
	    send_line(fd, "hs %u %u %.6f", t->hs_ok, t->hs_failed, t->hs_secs))
		return -1;
	if (t->fail.msg[0] && send_line(fd, "error %s", t->fail.msg))
		return -1;
	return send_line(fd, "end");
}

static int recv_results(int fd, struct test *r)
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
		} else if (sscanf(line, "hs %u %u %lf", &r->hs_ok,
				  &r->hs_failed, &r->hs_secs) == 3) {
		} else if (!strncmp(line, "error ", 6)) {
			snprintf(r->fail.msg, sizeof(r->fail.msg), "%s",
				 line + 6);
		} else {
			errno = EPROTO;
			return -1;
		}
	}
}

/* ---- what a test measured ---- */

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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
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
	json_string("mode", mode_names[p->mode], ", ");
	json_string("tls", tls_name(p->tls), ", ");
	json_string("cipher", ciphers[p->cipher].name, ", ");
	json_string("keys", keys_names[p->keys], ", ");
	printf("\"streams\": %u, \"reverse\": %s, \"length\": %llu, "
	       "\"seconds\": %g, \"bytes\": %llu, ", p->streams,
	       p->reverse ? "true" : "false", (unsigned long long)p->len,
	       p->bytes || p->handshakes ? 0 : p->seconds,
	       (unsigned long long)p->bytes);
	json_string("sendfile", p->sendfile[0] ? p->sendfile : NULL, ", ");
	printf("\"rx_only\": %s, \"handshakes\": %u}, ",
	       p->rx_only ? "true" : "false", p->handshakes);
	if (p->mode == MODE_PLAIN || !local->version) {
		printf("\"negotiated\": null, ");
	} else {
		printf("\"negotiated\": {");
		json_string("tls", local->version == TLS_1_2_VERSION ? "1.2" :
				   "1.3", ", ");
		json_string("cipher", cipher_name(local->cipher), "}, ");
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

		printf("\"handshakes\": %u, \"failed\": %u, \"seconds\": %.6f, "
		       "\"per_second\": %.3f, ", n, cl->hs_failed, cl->hs_secs,
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
	printf("mode %s", mode_names[p->mode]);
	if (p->mode != MODE_PLAIN && local->version)
		printf(", TLS %s, %s, keys %s",
		       local->version == TLS_1_2_VERSION ? "1.2" : "1.3",
		       cipher_name(local->cipher), keys_names[p->keys]);
	printf(", %u stream%s%s%s\n", p->streams, p->streams > 1 ? "s" : "",
	       p->reverse ? ", reverse" : "", p->rx_only ? ", rx-only" : "");
	if (p->handshakes) {
		unsigned int n = cl->hs_ok;

		printf("handshakes: %u in %.2f s, %.1f/s, %u failed\n", n,
		       cl->hs_secs, cl->hs_secs > 0 ? n / cl->hs_secs : 0.0,
		       cl->hs_failed);
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

static void print_results(const struct test *cl, const struct test *sv,
			  const struct test *local)
{
	struct figures f;

	figures_of(&f, cl, sv, &local->p);
	if (opt.json)
		print_json(cl, sv, local, &f);
	else
		print_text(cl, sv, local, &f);
}

/* ---- the server ---- */

static struct {
	pthread_mutex_t lock;
	struct test *test;	/* the one running, or NULL */
	int status;		/* of the last test, for -1 */
	bool served;
} srv = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct conn_job {
	struct test *t;
	int fd;
	int idx;		/* stream, or -1 for a handshake */
	bool client;
};

static void *conn_thread(void *arg)
{
	struct conn_job *j = arg;
	struct test *t = j->t;

	if (j->idx < 0)
		serve_handshake(t, j->fd);
	else
		run_stream(t, j->fd, j->idx, j->client);
	test_track(t, j->fd, false);
	close(j->fd);
	pthread_mutex_lock(&t->lock);
	t->conns--;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	free(j);
	return NULL;
}

/* Run fd's stream or handshake on a thread of its own. */
static int start_conn(struct test *t, int fd, int idx, bool client,
		      pthread_t *tid)
{
	struct conn_job *j = malloc(sizeof(*j));
	pthread_t local;
	int ret;

	if (!j || test_track(t, fd, true)) {
		free(j);
		return -1;
	}
	*j = (struct conn_job){ t, fd, idx, client };
	pthread_mutex_lock(&t->lock);
	t->conns++;
	pthread_mutex_unlock(&t->lock);
	ret = pthread_create(tid ? tid : &local, NULL, conn_thread, j);
	if (ret) {
		pthread_mutex_lock(&t->lock);
		t->conns--;
		pthread_mutex_unlock(&t->lock);
		test_track(t, fd, false);
		free(j);
		return -1;
	}
	if (!tid)
		pthread_detach(local);
	return 0;
}

static void wait_conns(struct test *t)
{
	pthread_mutex_lock(&t->lock);
	while (t->conns)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
}

/* Wait until every stream is set up, or one failed; false on failure. */
static bool wait_ready(struct test *t)
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

/* The server's side of one test, after "ok": on a thread of its own. */
static void *server_test(void *arg)
{
	struct test *t = arg, *peer = test_new();
	int ctrl = t->ctrl;
	char line[LINE_MAX_LEN];
	int status = 1;

	if (!peer)
		goto abort;
	set_timeout(ctrl, SO_RCVTIMEO, 0);
	if (t->p.handshakes) {
		test_go(t);
	} else {
		if (!wait_ready(t)) {
			send_line(ctrl, "error %s", t->fail.msg);
			goto abort;
		}
		if (send_line(ctrl, "ready") || read_line(ctrl, line, sizeof(line)) ||
		    strcmp(line, "go"))
			goto gone;
		test_go(t);
	}
	if (read_line(ctrl, line, sizeof(line)) || strcmp(line, "done") ||
	    recv_results(ctrl, peer))
		goto gone;
	wait_conns(t);
	cpu_since(&t->cpu, &t->cpu_start);
	if (send_results(ctrl, t))
		goto gone;
	peer->p = t->p;
	print_results(peer, t, t);
	status = t->fail.msg[0] || peer->fail.msg[0] ? 1 : 0;
	if (t->fail.msg[0])
		report_error("test failed: %s", t->fail.msg);
	goto out;
gone:
	test_fail(t, "the client went away");
	report_error("test ended early: the client went away");
abort:
	test_abort(t);
	wait_conns(t);
out:
	close(ctrl);
	if (peer)
		test_free(peer);
	pthread_mutex_lock(&srv.lock);
	srv.test = NULL;
	srv.status = status;
	srv.served = true;
	pthread_mutex_unlock(&srv.lock);
	test_free(t);
	return NULL;
}

/* The parameters are fine for this server?  NULL, or why not. */
static const char *server_check(struct test *t, char *buf, size_t size)
{
	const struct perf_params *p = &t->p;
	bool in_process = in_process_handshake(p, false);

	if (in_process && !opt.cert)
		return "this server has no certificate for an in-process handshake (start it with --cert and --key)";
	if (in_process && gtls_load(buf, size))
		return buf;
	if (p->sendfile[0] && p->reverse) {
		t->file = open(p->sendfile, O_RDONLY | O_CLOEXEC);
		if (t->file < 0) {
			snprintf(buf, size, "--sendfile %s on the server: %s",
				 p->sendfile, strerror(errno));
			return buf;
		}
	}
	return NULL;
}

static void server_control(int fd)
{
	char buf[LINE_MAX_LEN];
	const char *why;
	struct test *t;
	pthread_t tid;

	pthread_mutex_lock(&srv.lock);
	t = srv.test;
	pthread_mutex_unlock(&srv.lock);
	if (t) {
		send_line(fd, "error the server is busy with another test");
		close(fd);
		return;
	}
	t = test_new();
	if (!t) {
		close(fd);
		return;
	}
	why = recv_params(fd, &t->p);
	/* the server's own profile, when it names one, is the one it uses */
	if (!why && opt.profile)
		snprintf(t->p.profile, sizeof(t->p.profile), "%s", opt.profile);
	if (!why)
		why = server_check(t, buf, sizeof(buf));
	if (why) {
		send_line(fd, "error %s", why);
		report_error("refused a test: %s", why);
		close(fd);
		test_free(t);
		/* with -1, a refused test is the one test, and it failed */
		pthread_mutex_lock(&srv.lock);
		srv.status = 1;
		srv.served = true;
		pthread_mutex_unlock(&srv.lock);
		return;
	}
	t->ctrl = fd;
	pthread_mutex_lock(&srv.lock);
	srv.test = t;
	pthread_mutex_unlock(&srv.lock);
	if (send_line(fd, "ok") ||
	    pthread_create(&tid, NULL, server_test, t)) {
		pthread_mutex_lock(&srv.lock);
		srv.test = NULL;
		pthread_mutex_unlock(&srv.lock);
		close(fd);
		test_free(t);
		return;
	}
	pthread_detach(tid);
}

static void server_data(int fd, const char *line)
{
	char cookie[64];
	struct test *t;
	int idx;

	pthread_mutex_lock(&srv.lock);
	t = srv.test;
	if (!t || sscanf(line, "%63s %d", cookie, &idx) != 2 ||
	    strcmp(cookie, t->p.cookie) ||
	    (t->p.handshakes ? idx != -1 :
			       idx < 0 || (unsigned int)idx >= t->p.streams) ||
	    t->aborted || start_conn(t, fd, idx, false, NULL))
		close(fd);
	pthread_mutex_unlock(&srv.lock);
}

static int listen_on(void)
{
	char err[512];
	int fd = open_socket(opt.bind, opt.port, true, err, sizeof(err));

	if (fd < 0)
		report_error("%s", err);
	return fd;
}

static int server_main(void)
{
	char line[LINE_MAX_LEN];
	struct pollfd pfd;
	int lfd, fd;
	bool served;

	lfd = listen_on();
	if (lfd < 0)
		return 1;
	if (!opt.json) {
		printf("tlso-perf server listening on port %s\n", opt.port);
		fflush(stdout);
	}
	for (;;) {
		pthread_mutex_lock(&srv.lock);
		served = srv.served && !srv.test;
		pthread_mutex_unlock(&srv.lock);
		if (opt.one_off && served)
			return srv.status;
		pfd = (struct pollfd){ .fd = lfd, .events = POLLIN };
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		/* a client that connects and says nothing must not stall us */
		set_timeout(fd, SO_RCVTIMEO, 10);
		if (read_line(fd, line, sizeof(line))) {
			close(fd);
			continue;
		}
		if (!strcmp(line, PERF_PROTO)) {
			pthread_mutex_lock(&srv.lock);
			served = opt.one_off && (srv.served || srv.test);
			pthread_mutex_unlock(&srv.lock);
			if (served) {
				send_line(fd, "error the server is busy with another test");
				close(fd);
				continue;
			}
			server_control(fd);
		} else {
			set_timeout(fd, SO_RCVTIMEO, 0);
			server_data(fd, line);
		}
	}
}

/* ---- the client ---- */

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
		do {
			r = c.s ? gnutls_record_recv(c.s, &b, 1) :
				  recv(c.fd, &b, 1, 0);
		} while (c.s ? r == GNUTLS_E_INTERRUPTED : r < 0 && errno == EINTR);
		if (r != 1) {
			snprintf(err, sizeof(err), "no byte from the server after the handshake: %s",
				 r == 0 ? "end of stream" :
				 c.s ? gnutls_strerror(r) : strerror(errno));
			goto failed;
		}
		t->lat[j->first + k] = (now() - t0) * 1000;
		pthread_mutex_lock(&t->lock);
		t->hs_ok++;
		pthread_mutex_unlock(&t->lock);
		conn_close(&c);
		continue;
failed:
		test_fail_fmt(t, "handshake %u: %s", j->first + k + 1, err);
		pthread_mutex_lock(&t->lock);
		t->hs_failed++;
		pthread_mutex_unlock(&t->lock);
		conn_close(&c);
	}
	return NULL;
}

static int client_handshakes(struct test *t)
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

struct stream_job {
	struct test *t;
	unsigned int idx;
	pthread_t tid;
};

static void *client_stream(void *arg)
{
	struct stream_job *j = arg;
	struct test *t = j->t;
	char err[384];
	int fd;

	fd = connect_to(opt.host, opt.port, err, sizeof(err));
	if (fd < 0 || send_line(fd, "%s %u", t->p.cookie, j->idx)) {
		if (fd >= 0)
			snprintf(err, sizeof(err), "sending the cookie: %s",
				 strerror(errno));
		test_fail_fmt(t, "stream %u: %s", j->idx + 1, err);
		pthread_mutex_lock(&t->lock);
		t->finished++;
		pthread_cond_broadcast(&t->cond);
		pthread_mutex_unlock(&t->lock);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	test_track(t, fd, true);
	run_stream(t, fd, j->idx, true);
	test_track(t, fd, false);
	close(fd);
	return NULL;
}

static void interval_line(const struct test *t, const struct interval *iv)
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

static void take_interval(struct test *t, uint64_t *last, double end)
{
	struct interval *iv, *grown;
	unsigned int i;
	uint64_t cur;

	grown = realloc(t->iv, (t->niv + 1) * sizeof(*t->iv));
	if (!grown)
		return;
	t->iv = grown;
	iv = &t->iv[t->niv];
	iv->start = t->niv ? t->iv[t->niv - 1].end : 0;
	iv->end = end - t->go_time;
	for (i = 0; i < t->p.streams; i++) {
		cur = atomic_load(&t->st[i].live);
		iv->bytes[i] = cur - last[i];
		last[i] = cur;
	}
	t->niv++;
	if (!opt.json)
		interval_line(t, iv);
}

/* Interval reports until every stream has ended. */
static void watch_streams(struct test *t)
{
	uint64_t last[MAX_STREAMS] = { 0 };
	double next = t->go_time + opt.interval, tnow;
	bool done;

	for (;;) {
		pthread_mutex_lock(&t->lock);
		done = t->finished == t->p.streams;
		pthread_mutex_unlock(&t->lock);
		tnow = now();
		if (done) {
			/* the last piece, when it is not a sliver */
			if (opt.interval > 0 && t->niv &&
			    tnow - t->go_time - t->iv[t->niv - 1].end >
			    opt.interval / 10)
				take_interval(t, last, tnow);
			return;
		}
		if (opt.interval > 0 && tnow >= next) {
			take_interval(t, last, tnow);
			next += opt.interval;
		}
		usleep(20000);
	}
}

static int client_streams(struct test *t, int ctrl)
{
	struct stream_job jobs[MAX_STREAMS];
	char line[LINE_MAX_LEN];
	unsigned int i;

	if (t->file < 0 && t->p.sendfile[0] && !t->p.reverse) {
		t->file = open(t->p.sendfile, O_RDONLY | O_CLOEXEC);
		if (t->file < 0) {
			report_error("--sendfile %s: %s", t->p.sendfile,
				     strerror(errno));
			return -1;
		}
	}
	for (i = 0; i < t->p.streams; i++) {
		jobs[i] = (struct stream_job){ .t = t, .idx = i };
		if (pthread_create(&jobs[i].tid, NULL, client_stream, &jobs[i])) {
			report_error("pthread_create: %s", strerror(errno));
			return -1;
		}
	}
	if (!wait_ready(t)) {
		/*
		 * A stream that fails here often fails because the server's
		 * end did first (and closed): its reason comes first.
		 */
		set_timeout(ctrl, SO_RCVTIMEO, 5);
		if (!read_line(ctrl, line, sizeof(line)) &&
		    !strncmp(line, "error ", 6))
			report_error("server: %s (here: %s)", line + 6,
				     t->fail.msg);
		else
			report_error("%s", t->fail.msg);
		return -1;
	}
	set_timeout(ctrl, SO_RCVTIMEO, SETUP_SECONDS);
	if (read_line(ctrl, line, sizeof(line))) {
		report_error("the server went away before the test began");
		return -1;
	}
	if (strcmp(line, "ready")) {
		report_error("server: %s", strncmp(line, "error ", 6) ?
			     line : line + 6);
		return -1;
	}
	if (send_line(ctrl, "go")) {
		report_error("the server went away before the test began");
		return -1;
	}
	test_go(t);
	watch_streams(t);
	for (i = 0; i < t->p.streams; i++)
		pthread_join(jobs[i].tid, NULL);
	if (t->fail.msg[0]) {
		report_error("%s", t->fail.msg);
		return -1;
	}
	return 0;
}

static void random_keys(union tlso_crypto_info *ci, const struct perf_params *p)
{
	const struct tlso_cipher *c = tlso_cipher_find(ciphers[p->cipher].type);
	unsigned char *raw = (unsigned char *)ci;

	memset(ci, 0, sizeof(*ci));
	ci->info.version = tls_version(p->tls);
	ci->info.cipher_type = c->type;
	if (getrandom(raw + c->key_off, c->key_size, 0) < 0 ||
	    getrandom(raw + c->iv_off, c->iv_size, 0) < 0 ||
	    getrandom(raw + c->salt_off, c->salt_size, 0) < 0) {
		report_error("getrandom: %s", strerror(errno));
		exit(1);
	}
}

static int client_main(struct perf_params *p)
{
	struct test *t = test_new(), *sv = test_new();
	unsigned char cookie[16];
	char err[512], line[LINE_MAX_LEN];
	int ctrl, status = 1;

	if (!t || !sv) {
		report_error("out of memory");
		return 1;
	}
	if (getrandom(cookie, sizeof(cookie), 0) < 0) {
		report_error("getrandom: %s", strerror(errno));
		return 1;
	}
	hex_encode(p->cookie, cookie, sizeof(cookie));
	if (p->keys == KEYS_STATIC) {
		random_keys(&p->key_c2s, p);
		random_keys(&p->key_s2c, p);
	}
	if (!p->name[0])
		snprintf(p->name, sizeof(p->name), "%s", opt.host);
	t->p = *p;
	sv->p = *p;
	if (in_process_handshake(p, true) && gtls_load(err, sizeof(err))) {
		report_error("%s", err);
		return 1;
	}
	ctrl = connect_to(opt.host, opt.port, err, sizeof(err));
	if (ctrl < 0) {
		report_error("%s", err);
		return 1;
	}
	t->ctrl = ctrl;
	set_timeout(ctrl, SO_RCVTIMEO, 30);
	if (send_params(ctrl, p) || read_line(ctrl, line, sizeof(line))) {
		report_error("%s port %s does not answer as a tlso-perf server",
			     opt.host, opt.port);
		return 1;
	}
	if (strcmp(line, "ok")) {
		report_error("server: %s", strncmp(line, "error ", 6) ?
			     line : line + 6);
		return 1;
	}
	if (p->handshakes ? client_handshakes(t) : client_streams(t, ctrl))
		return 1;	/* closing ctrl tells the server to stop */
	cpu_since(&t->cpu, &t->cpu_start);
	set_timeout(ctrl, SO_RCVTIMEO, SETUP_SECONDS);
	if (send_line(ctrl, "done") || send_results(ctrl, t) ||
	    recv_results(ctrl, sv)) {
		report_error("the server went away before sending its figures");
		return 1;
	}
	print_results(t, sv, t);
	if (t->fail.msg[0])
		report_error("%s (%u of %u handshakes failed)", t->fail.msg,
			     t->hs_failed, p->handshakes);
	else if (sv->fail.msg[0])
		report_error("server: %s", sv->fail.msg);
	else
		status = 0;
	close(ctrl);
	test_free(t);
	test_free(sv);
	return status;
}

/* ---- the command line ---- */

static const char usage_text[] =
"usage: tlso-perf -s [-p PORT] [-B ADDR] [-1] [-J] [--cert FILE --key FILE]\n"
"       tlso-perf -c HOST [-p PORT] [-t SECONDS | -n BYTES] [-l LENGTH]\n"
"                 [-P STREAMS] [-R] [-J] [-i SECONDS] [--mode MODE]\n"
"                 [--tls VERSION] [--cipher CIPHER] [--keys KEYS]\n"
"                 [--sendfile FILE] [--rx-only] [--handshakes N]\n"
"                 [--ca FILE] [--name NAME] [--profile NAME]\n"
"\n"
"Measure TLS throughput or handshake rate between a client and a server,\n"
"with tlso, the kernel's kTLS, GnuTLS in userspace or plain TCP.\n"
"\n"
"  -s, --server           run as the server (one test at a time)\n"
"  -c, --client HOST      run as the client against HOST\n"
"  -p, --port PORT        control and data port (default " DEFAULT_PORT ")\n"
"  -B, --bind ADDR        server: listen on ADDR only\n"
"  -1, --one-off          server: serve one test, exit with its status\n"
"  -t, --time SECONDS     how long to send (default 10)\n"
"  -n, --bytes BYTES      send BYTES in all instead (suffix K, M, G)\n"
"  -l, --length LENGTH    bytes per write (default 16K; up to 16M)\n"
"  -P, --parallel N       data connections (1..64, default 1)\n"
"  -R, --reverse          the server sends, the client receives\n"
"  -J, --json             results as JSON\n"
"  -i, --interval SECONDS between interval reports (default 1; 0: none)\n"
"      --mode MODE        plain, tlso (default), ktls or gnutls\n"
"      --tls VERSION      1.3 (default) or 1.2\n"
"      --cipher CIPHER    aes-gcm-128 (default), aes-gcm-256,\n"
"                         chacha20-poly1305 or aes-ccm-128\n"
"      --keys KEYS        handshake (default: tlsod in mode tlso, GnuTLS\n"
"                         in the process otherwise) or static (fixed keys\n"
"                         sent over the control connection; not gnutls)\n"
"      --sendfile FILE    send with sendfile(2) from FILE\n"
"      --rx-only          the sender encrypts everything before the clock\n"
"                         starts: only the receiver is measured; needs -n\n"
"      --handshakes N     measure N handshakes instead: rate, p50, p99\n"
"      --cert FILE        server: certificate chain (PEM), for ktls and\n"
"                         gnutls handshakes\n"
"      --key FILE         server: its private key (PEM)\n"
"      --ca FILE          client: CAs to check the server against\n"
"                         (default: the system's)\n"
"      --name NAME        client: the server's name to check (default HOST)\n"
"      --profile NAME     mode tlso: the tlsod profile (default \"default\")\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 the test ran to its end, 1 it failed, 2 bad usage.\n"
"See tlso-perf(1).\n";

enum {
	OPT_MODE = 256, OPT_TLS, OPT_CIPHER, OPT_KEYS, OPT_SENDFILE,
	OPT_RX_ONLY, OPT_HANDSHAKES, OPT_CERT, OPT_KEY, OPT_CA, OPT_NAME,
	OPT_PROFILE,
};

static const struct option long_opts[] = {
	{ "server", no_argument, NULL, 's' },
	{ "client", required_argument, NULL, 'c' },
	{ "port", required_argument, NULL, 'p' },
	{ "bind", required_argument, NULL, 'B' },
	{ "one-off", no_argument, NULL, '1' },
	{ "time", required_argument, NULL, 't' },
	{ "bytes", required_argument, NULL, 'n' },
	{ "length", required_argument, NULL, 'l' },
	{ "parallel", required_argument, NULL, 'P' },
	{ "reverse", no_argument, NULL, 'R' },
	{ "json", no_argument, NULL, 'J' },
	{ "interval", required_argument, NULL, 'i' },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "tls", required_argument, NULL, OPT_TLS },
	{ "cipher", required_argument, NULL, OPT_CIPHER },
	{ "keys", required_argument, NULL, OPT_KEYS },
	{ "sendfile", required_argument, NULL, OPT_SENDFILE },
	{ "rx-only", no_argument, NULL, OPT_RX_ONLY },
	{ "handshakes", required_argument, NULL, OPT_HANDSHAKES },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* A size with an optional K, M or G suffix (powers of 1024). */
static uint64_t parse_size(const char *flag, const char *s, uint64_t min,
			   uint64_t max)
{
	unsigned long long v;
	uint64_t mul = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno || *s == '-')
		usage_error("%s: '%s' is not a size", flag, s);
	if (*end == 'K' || *end == 'k')
		mul = 1ull << 10;
	else if (*end == 'M' || *end == 'm')
		mul = 1ull << 20;
	else if (*end == 'G' || *end == 'g')
		mul = 1ull << 30;
	else if (*end)
		usage_error("%s: '%s' is not a size", flag, s);
	if (mul > 1 && end[1])
		usage_error("%s: '%s' is not a size", flag, s);
	if (v > max / mul || v * mul < min || v * mul > max)
		usage_error("%s: %s is out of range (%llu..%llu)", flag, s,
			    (unsigned long long)min, (unsigned long long)max);
	return v * mul;
}

static unsigned long parse_uint(const char *flag, const char *s,
				unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (end == s || *end || errno || *s == '-')
		usage_error("%s: '%s' is not a number", flag, s);
	if (v < min || v > max)
		usage_error("%s: %s is out of range (%lu..%lu)", flag, s, min,
			    max);
	return v;
}

static double parse_seconds(const char *flag, const char *s, double min,
			    double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || isnan(v))
		usage_error("%s: '%s' is not a number of seconds", flag, s);
	if (v < min || v > max)
		usage_error("%s: %s is out of range (%g..%g)", flag, s, min,
			    max);
	return v;
}

static int parse_choice(const char *flag, const char *s,
			const char *const *names, size_t n)
{
	int i = find_name(names, n, s);

	if (i < 0)
		usage_error("%s: unknown value '%s'", flag, s);
	return i;
}

static void copy_arg(const char *flag, char *dst, size_t size)
{
	if (strlen(optarg) >= size)
		usage_error("%s: longer than %zu bytes", flag, size - 1);
	strcpy(dst, optarg);
}

int main(int argc, char **argv)
{
	static const char *const tls_names[] = { "1.2", "1.3" };
	const char *cipher_names[NCIPHERS];
	struct perf_params p = {
		.mode = MODE_TLSO, .tls = 13, .keys = KEYS_HANDSHAKE,
		.streams = 1, .len = TLSO_MAX_PLAIN, .seconds = 10,
	};
	bool set_t = false, set_keys = false;
	const char *client_flag = NULL, *server_flag = NULL;
	size_t i;
	int c;

	for (i = 0; i < NCIPHERS; i++)
		cipher_names[i] = ciphers[i].name;
	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "sc:p:B:1t:n:l:P:RJi:h", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 's':
			opt.server = true;
			break;
		case 'c':
			opt.host = optarg;
			break;
		case 'p':
			parse_uint("-p", optarg, 1, 65535);
			opt.port = optarg;
			break;
		case 'B':
			opt.bind = optarg;
			server_flag = "-B";
			break;
		case '1':
			opt.one_off = true;
			server_flag = "-1";
			break;
		case 't':
			p.seconds = parse_seconds("-t", optarg, 0.001, 86400);
			set_t = true;
			client_flag = "-t";
			break;
		case 'n':
			p.bytes = parse_size("-n", optarg, 1, 1ull << 50);
			client_flag = "-n";
			break;
		case 'l':
			p.len = parse_size("-l", optarg, 1, MAX_LEN);
			client_flag = "-l";
			break;
		case 'P':
			p.streams = parse_uint("-P", optarg, 1, MAX_STREAMS);
			client_flag = "-P";
			break;
		case 'R':
			p.reverse = true;
			client_flag = "-R";
			break;
		case 'J':
			opt.json = true;
			break;
		case 'i':
			opt.interval = parse_seconds("-i", optarg, 0, 3600);
			client_flag = "-i";
			break;
		case OPT_MODE:
			p.mode = parse_choice("--mode", optarg, mode_names, 4);
			client_flag = "--mode";
			break;
		case OPT_TLS:
			p.tls = parse_choice("--tls", optarg, tls_names, 2) ?
				13 : 12;
			p.tls_set = true;
			client_flag = "--tls";
			break;
		case OPT_CIPHER:
			p.cipher = parse_choice("--cipher", optarg, cipher_names,
						NCIPHERS);
			p.cipher_set = true;
			client_flag = "--cipher";
			break;
		case OPT_KEYS:
			p.keys = parse_choice("--keys", optarg, keys_names, 2);
			set_keys = true;
			client_flag = "--keys";
			break;
		case OPT_SENDFILE:
			copy_arg("--sendfile", p.sendfile, sizeof(p.sendfile));
			client_flag = "--sendfile";
			break;
		case OPT_RX_ONLY:
			p.rx_only = true;
			client_flag = "--rx-only";
			break;
		case OPT_HANDSHAKES:
			p.handshakes = parse_uint("--handshakes", optarg, 1,
						  1000000);
			client_flag = "--handshakes";
			break;
		case OPT_CERT:
			opt.cert = optarg;
			server_flag = "--cert";
			break;
		case OPT_KEY:
			opt.key = optarg;
			server_flag = "--key";
			break;
		case OPT_CA:
			opt.ca = optarg;
			client_flag = "--ca";
			break;
		case OPT_NAME:
			copy_arg("--name", p.name, sizeof(p.name));
			client_flag = "--name";
			break;
		case OPT_PROFILE:
			copy_arg("--profile", p.profile, sizeof(p.profile));
			opt.profile = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fprintf(stderr, "(see %s --help)\n", prog);
			return 2;
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (opt.server == !!opt.host)
		usage_error(opt.server ? "-s and -c exclude each other" :
					 "say -s (server) or -c HOST (client)");
	if (opt.server) {
		if (client_flag)
			usage_error("%s is for the client: the server follows the client's parameters",
				    client_flag);
		if (!opt.cert != !opt.key)
			usage_error("--cert and --key go together");
		return server_main();
	}
	if (server_flag)
		usage_error("%s is for the server", server_flag);
	if (set_t && p.bytes)
		usage_error("-t and -n exclude each other");
	if (p.bytes && p.bytes < p.streams)
		usage_error("-n: fewer bytes than streams");
	if (p.mode == MODE_GNUTLS && p.keys == KEYS_STATIC)
		usage_error("--keys static: GnuTLS takes keys only from a handshake");
	if (p.mode == MODE_PLAIN && set_keys)
		usage_error("--keys: mode plain has no keys");
	if (p.handshakes && p.mode == MODE_PLAIN)
		usage_error("--handshakes: mode plain has no handshake");
	if (p.handshakes && p.keys == KEYS_STATIC)
		usage_error("--handshakes needs --keys handshake");
	if (p.handshakes && (p.rx_only || p.sendfile[0] || p.bytes || set_t ||
			     p.reverse))
		usage_error("--handshakes excludes -t, -n, -R, --sendfile and --rx-only");
	if (p.rx_only && !p.bytes)
		usage_error("--rx-only needs -n: the transfer is built in memory first");
	if (p.rx_only && p.sendfile[0])
		usage_error("--rx-only and --sendfile exclude each other");
	if (p.sendfile[0] && !p.reverse) {
		struct stat sb;

		if (stat(p.sendfile, &sb))
			usage_error("--sendfile %s: %s", p.sendfile,
				    strerror(errno));
		if (!S_ISREG(sb.st_mode) || !sb.st_size)
			usage_error("--sendfile %s: not a non-empty file",
				    p.sendfile);
	}
	if (p.bytes)
		p.seconds = 0;
	return client_main(&p);
}
