// SPDX-License-Identifier: GPL-2.0
/*
 * seeds DIR: (re)make the generated seed corpora of the fuzz targets
 * "record", "cipher" and "trace" under DIR (tests/fuzz/corpus), from
 * real sessions: GnuTLS handshakes run in this process, a client and a
 * server thread over a socketpair, whose bytes are caught as they are
 * sent; and, when openssl is installed, the ClientHello of
 * `openssl s_client`.  The "config" seeds are written by hand.
 *
 *   record  each version and cipher: the client's first records after
 *           the handshake (data of 1, 300 and 2000 bytes, then
 *           close_notify), behind the session's own nonce and sequence
 *           number (record_fuzz.c's layout)
 *   cipher  each version and cipher: the crypto_info tlsod would install
 *           (userspace/lib/keys.c), whole, cut, too long, beside a
 *           matching and a mismatched other direction; and unknown ones
 *   trace   each handshake, each side: its handshake messages as the
 *           GnuTLS hook gives them, and the records it put on the wire
 *           (for TLS 1.3 also as the hook sees them, opened)
 *
 * Keys, randoms and certificates are new on every run: the bytes change,
 * their shape does not.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "keys.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* trace_fuzz.c's first byte */
#define T_V12		0
#define T_V13		1
#define T_VUNKNOWN	2
#define T_INCOMING	0x04
#define T_RECORDS	0x08

static const char *outdir;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("seeds: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

#define OK(expr)							\
	do {								\
		int _r = (expr);					\
		if (_r < 0)						\
			die("%s: %s", #expr, gnutls_strerror(_r));	\
	} while (0)

/* ---- growing buffers ---- */

struct buf {
	unsigned char *p;
	size_t len, size;
};

static void add(struct buf *b, const void *p, size_t n)
{
	if (!n)
		return;
	if (b->len + n > b->size) {
		b->size = (b->len + n) * 2;
		b->p = realloc(b->p, b->size);
		if (!b->p)
			die("out of memory");
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void add_byte(struct buf *b, unsigned int v)
{
	unsigned char c = (unsigned char)v;

	add(b, &c, 1);
}

static void add_be(struct buf *b, uint32_t v, size_t width)
{
	while (width--)
		add_byte(b, v >> (8 * width));
}

static void put(const char *target, const char *name, const struct buf *b)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	f = fopen(path, "w");
	if (!f || fwrite(b->p, 1, b->len, f) != b->len || fclose(f))
		die("%s: %s", path, strerror(errno));
}

/* ---- a certificate of each kind ---- */

struct pair {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
};

static struct pair ecdsa, rsa;

static void make_pair(struct pair *p, gnutls_pk_algorithm_t pk,
		      unsigned int bits, const char *cn)
{
	static unsigned char serial;
	time_t now = time(NULL);

	serial++;
	OK(gnutls_x509_privkey_init(&p->key));
	OK(gnutls_x509_privkey_generate(p->key, pk, bits, 0));
	OK(gnutls_x509_crt_init(&p->crt));
	OK(gnutls_x509_crt_set_version(p->crt, 3));
	OK(gnutls_x509_crt_set_serial(p->crt, &serial, 1));
	OK(gnutls_x509_crt_set_activation_time(p->crt, now - 3600));
	OK(gnutls_x509_crt_set_expiration_time(p->crt, now + 365 * 86400));
	OK(gnutls_x509_crt_set_dn_by_oid(p->crt, GNUTLS_OID_X520_COMMON_NAME,
					 0, cn, strlen(cn)));
	OK(gnutls_x509_crt_set_subject_alt_name(p->crt, GNUTLS_SAN_DNSNAME,
						cn, strlen(cn),
						GNUTLS_FSAN_SET));
	OK(gnutls_x509_crt_set_key(p->crt, p->key));
	OK(gnutls_x509_crt_sign2(p->crt, p->crt, p->key, GNUTLS_DIG_SHA256,
				 0));
}

/* ---- one end of a session ---- */

enum {
	H_PSK = 0x01,		/* a PSK instead of certificates */
	H_RSA = 0x02,		/* the server's certificate is RSA */
	H_CLIENT_CERT = 0x04,	/* the server asks, the client has one */
	H_RESUME = 0x08,	/* a second handshake resumes the first */
	H_NAMES = 0x10,		/* SNI and ALPN */
};

struct end {
	bool server;
	int fd;
	const char *prio;
	unsigned int how;
	gnutls_datum_t *ticket_key;	/* server */
	gnutls_datum_t *session;	/* client: resume from, then save */
	/* what it sent */
	bool hs_done;
	struct buf wire, app;
	struct buf msgs;	/* type, 24-bit length, body */
	struct buf inner;	/* TLS 1.3: the messages as opened records */
	union tlso_crypto_info ci;
	socklen_t ci_len;
	unsigned int version;	/* on the wire */
	int ret;
};

static ssize_t push(gnutls_transport_ptr_t ptr, const void *data, size_t n)
{
	struct end *e = ptr;
	ssize_t w = write(e->fd, data, n);

	if (w > 0)
		add(e->hs_done ? &e->app : &e->wire, data, (size_t)w);
	return w;
}

static ssize_t pull(gnutls_transport_ptr_t ptr, void *data, size_t n)
{
	struct end *e = ptr;

	return read(e->fd, data, n);
}

/* A message as an opened TLS 1.3 record: content, then its type. */
static void add_inner(struct end *e, unsigned int htype,
		      const gnutls_datum_t *msg)
{
	bool clear = htype == GNUTLS_HANDSHAKE_CLIENT_HELLO ||
		     htype == GNUTLS_HANDSHAKE_SERVER_HELLO ||
		     htype == GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST;

	add_byte(&e->inner, clear ? 22 : 23);
	add_be(&e->inner, 0x0303, 2);
	add_be(&e->inner, 4 + msg->size + !clear, 2);
	add_byte(&e->inner, htype == GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST ?
			    GNUTLS_HANDSHAKE_SERVER_HELLO : htype);
	add_be(&e->inner, msg->size, 3);
	add(&e->inner, msg->data, msg->size);
	if (!clear)
		add_byte(&e->inner, 22);
}

static int hook(gnutls_session_t s, unsigned int htype, unsigned int when,
		unsigned int incoming, const gnutls_datum_t *msg)
{
	struct end *e = gnutls_session_get_ptr(s);

	(void)when;
	if (incoming || !msg)
		return 0;
	/* trace_fuzz.c's numbers for GnuTLS's own types */
	add_byte(&e->msgs, htype == GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST ?
			   252 : htype == GNUTLS_HANDSHAKE_CLIENT_HELLO_V2 ?
			   253 : htype);
	add_be(&e->msgs, msg->size, 3);
	add(&e->msgs, msg->data, msg->size);
	if (htype != GNUTLS_HANDSHAKE_CHANGE_CIPHER_SPEC)
		add_inner(e, htype, msg);
	return 0;
}

static const unsigned char psk_key[16] = "tlso fuzz seeds";

static int psk_lookup(gnutls_session_t s, const char *user,
		      gnutls_datum_t *k)
{
	(void)s;
	(void)user;
	k->data = gnutls_malloc(sizeof(psk_key));
	if (!k->data)
		return -1;
	memcpy(k->data, psk_key, sizeof(psk_key));
	k->size = sizeof(psk_key);
	return 0;
}

static void *credentials(struct end *e, gnutls_session_t s)
{
	gnutls_datum_t k = { (unsigned char *)psk_key, sizeof(psk_key) };
	struct pair *own = e->how & H_RSA ? &rsa : &ecdsa;
	gnutls_psk_server_credentials_t ps;
	gnutls_psk_client_credentials_t pc;
	gnutls_certificate_credentials_t cc;

	if ((e->how & H_PSK) && e->server) {
		OK(gnutls_psk_allocate_server_credentials(&ps));
		gnutls_psk_set_server_credentials_function(ps, psk_lookup);
		OK(gnutls_credentials_set(s, GNUTLS_CRD_PSK, ps));
		return ps;
	}
	if (e->how & H_PSK) {
		OK(gnutls_psk_allocate_client_credentials(&pc));
		OK(gnutls_psk_set_client_credentials(pc, "sensor-17", &k,
						     GNUTLS_PSK_KEY_RAW));
		OK(gnutls_credentials_set(s, GNUTLS_CRD_PSK, pc));
		return pc;
	}
	OK(gnutls_certificate_allocate_credentials(&cc));
	if (e->server || (e->how & H_CLIENT_CERT))
		OK(gnutls_certificate_set_x509_key(cc, &own->crt, 1,
						   own->key));
	OK(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cc));
	if (e->server && (e->how & H_CLIENT_CERT))
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
	return cc;
}

static void free_credentials(struct end *e, void *c)
{
	if ((e->how & H_PSK) && e->server)
		gnutls_psk_free_server_credentials(c);
	else if (e->how & H_PSK)
		gnutls_psk_free_client_credentials(c);
	else
		gnutls_certificate_free_credentials(c);
}

static unsigned int wire_version(gnutls_session_t s)
{
	return gnutls_protocol_get_version(s) == GNUTLS_TLS1_3 ? 0x0304 :
									 0x0303;
}

/* After the handshake: one byte from the server (which brings TLS
 * 1.3's tickets along), then the client's data and close_notify. */
static void after(struct end *e, gnutls_session_t s)
{
	static char data[2000];
	static const size_t sizes[] = { 1, 300, sizeof(data) };
	size_t i;
	ssize_t n;
	char b;

	e->version = wire_version(s);
	if (e->server) {
		if (gnutls_record_send(s, "x", 1) != 1)
			die("server send");
		/* until close_notify: the client's records must get through */
		do {
			n = gnutls_record_recv(s, data, sizeof(data));
		} while (n > 0 || n == GNUTLS_E_AGAIN ||
			 n == GNUTLS_E_INTERRUPTED);
		return;
	}
	do {
		n = gnutls_record_recv(s, &b, 1);
	} while (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
	if (n != 1)
		die("client recv: %s", gnutls_strerror((int)n));
	if (e->session) {
		gnutls_free(e->session->data);
		OK(gnutls_session_get_data2(s, e->session));
	}
	/* the keys the next record is sealed with, as tlsod takes them */
	if (tlso_keys_export(s, 0, &e->ci, &e->ci_len) < 0)
		e->ci_len = 0;
	memset(data, 'd', sizeof(data));
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		if (gnutls_record_send(s, data, sizes[i]) != (ssize_t)sizes[i])
			die("client send");
	gnutls_bye(s, GNUTLS_SHUT_WR);
}

static void *run(void *arg)
{
	struct end *e = arg;
	gnutls_datum_t protos[2] = {
		{ (unsigned char *)"h2", 2 },
		{ (unsigned char *)"http/1.1", 8 },
	};
	gnutls_session_t s;
	void *cred;
	int ret;

	OK(gnutls_init(&s, e->server ? GNUTLS_SERVER : GNUTLS_CLIENT));
	OK(gnutls_priority_set_direct(s, e->prio, NULL));
	cred = credentials(e, s);
	if (e->ticket_key)
		OK(gnutls_session_ticket_enable_server(s, e->ticket_key));
	if (e->session && e->session->size)
		OK(gnutls_session_set_data(s, e->session->data,
					   e->session->size));
	if ((e->how & H_NAMES) && !e->server)
		OK(gnutls_server_name_set(s, GNUTLS_NAME_DNS, "seed.example",
					  12));
	if (e->how & H_NAMES)
		OK(gnutls_alpn_set_protocols(s, protos, e->server ? 1 : 2, 0));
	gnutls_session_set_ptr(s, e);
	gnutls_transport_set_ptr(s, e);
	gnutls_transport_set_push_function(s, push);
	gnutls_transport_set_pull_function(s, pull);
	gnutls_handshake_set_hook_function(s, GNUTLS_HANDSHAKE_ANY,
					   GNUTLS_HOOK_POST, hook);
	do {
		ret = gnutls_handshake(s);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	e->ret = ret;
	e->hs_done = true;
	if (!ret)
		after(e, s);
	gnutls_deinit(s);
	free_credentials(e, cred);
	shutdown(e->fd, SHUT_RDWR);
	return NULL;
}

static void handshake(struct end *c, struct end *s)
{
	pthread_t tc, ts;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair: %s", strerror(errno));
	c->server = false;
	s->server = true;
	c->fd = sv[0];
	s->fd = sv[1];
	if (pthread_create(&ts, NULL, run, s) ||
	    pthread_create(&tc, NULL, run, c))
		die("pthread_create");
	pthread_join(tc, NULL);
	pthread_join(ts, NULL);
	close(sv[0]);
	close(sv[1]);
	if (c->ret || s->ret)
		die("handshake %s / %s: client %s, server %s", c->prio,
		    s->prio, gnutls_strerror(c->ret), gnutls_strerror(s->ret));
}

static void end_free(struct end *e)
{
	free(e->wire.p);
	free(e->app.p);
	free(e->msgs.p);
	free(e->inner.p);
	memset(e, 0, sizeof(*e));
}

/* ---- trace ---- */

static void trace_seed(const char *name, const char *side, const char *how,
		       unsigned int flags, const struct buf *body)
{
	struct buf b = { NULL, 0, 0 };
	char file[160];

	add_byte(&b, flags);
	add(&b, body->p, body->len);
	snprintf(file, sizeof(file), "%s-%s-%s", name, side, how);
	put("trace", file, &b);
	free(b.p);
}

static void trace_seeds(const char *name, struct end *e, bool wire)
{
	const char *side = e->server ? "server" : "client";
	unsigned int v = e->version == 0x0304 ? T_V13 : T_V12;

	/* what the peer sent: received, from this side's point of view */
	trace_seed(name, side, "msgs", v | T_INCOMING, &e->msgs);
	/* past its hellos a TLS 1.3 wire is sealed: once is enough */
	if (v == T_V12 || wire)
		trace_seed(name, side, "wire", v | T_INCOMING | T_RECORDS,
			   &e->wire);
	if (v == T_V13)
		trace_seed(name, side, "opened", v | T_INCOMING | T_RECORDS,
			   &e->inner);
}

static const struct hs_def {
	const char *name;
	const char *cprio, *sprio;
	unsigned int how;
} handshakes[] = {
	{ "tls13-ecdsa", "NORMAL", "NORMAL", H_NAMES },
	{ "tls12-ecdsa", "NORMAL:-VERS-ALL:+VERS-TLS1.2", "NORMAL", H_NAMES },
	{ "tls12-rsa-kx", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA",
	  "NORMAL:+RSA", H_RSA },
	{ "tls12-ecdhe-rsa", "NORMAL:-VERS-ALL:+VERS-TLS1.2", "NORMAL",
	  H_RSA | H_CLIENT_CERT },
	{ "tls13-rsa-client-cert", "NORMAL", "NORMAL",
	  H_RSA | H_CLIENT_CERT },
	{ "tls13-hrr", "NORMAL:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:"
		       "+GROUP-SECP384R1",
	  "NORMAL:-GROUP-ALL:+GROUP-SECP384R1", 0 },
	{ "tls13-psk", "NORMAL:+ECDHE-PSK:+PSK", "NORMAL:+ECDHE-PSK:+PSK",
	  H_PSK },
	{ "tls12-psk", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+PSK",
	  "NORMAL:+PSK", H_PSK },
	{ "tls13-resume", "NORMAL", "NORMAL", H_RESUME },
	{ "tls12-resume", "NORMAL:-VERS-ALL:+VERS-TLS1.2", "NORMAL",
	  H_RESUME },
};

static void handshake_seeds(void)
{
	gnutls_datum_t tkey = { NULL, 0 }, sess = { NULL, 0 };
	char name[80];
	size_t i;

	OK(gnutls_session_ticket_key_generate(&tkey));
	for (i = 0; i < ARRAY_SIZE(handshakes); i++) {
		const struct hs_def *h = &handshakes[i];
		struct end c = { .prio = h->cprio, .how = h->how };
		struct end s = { .prio = h->sprio, .how = h->how };

		if (h->how & H_RESUME) {
			c.session = &sess;
			s.ticket_key = &tkey;
		}
		handshake(&c, &s);
		trace_seeds(h->name, &c, i == 0);
		trace_seeds(h->name, &s, i == 0);
		if (h->how & H_RESUME) {
			end_free(&c);
			end_free(&s);
			c = (struct end){ .prio = h->cprio, .how = h->how,
					  .session = &sess };
			s = (struct end){ .prio = h->sprio, .how = h->how,
					  .ticket_key = &tkey };
			handshake(&c, &s);
			snprintf(name, sizeof(name), "%s-again", h->name);
			trace_seeds(name, &c, false);
			trace_seeds(name, &s, false);
			gnutls_free(sess.data);
			sess = (gnutls_datum_t){ NULL, 0 };
		}
		end_free(&c);
		end_free(&s);
	}
	gnutls_free(tkey.data);
}

/* openssl s_client's ClientHello, for a hello GnuTLS did not write. */
static void openssl_hello(const char *name, const char *version_opt)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct buf b = { NULL, 0, 0 }, body = { NULL, 0, 0 };
	char port[16], hostport[32], chunk[4096];
	int l, c, devnull;
	struct pollfd p;
	ssize_t n;
	pid_t pid;

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(l, 1) < 0 || getsockname(l, (struct sockaddr *)&a, &alen))
		die("listen: %s", strerror(errno));
	snprintf(port, sizeof(port), "%u", ntohs(a.sin_port));
	snprintf(hostport, sizeof(hostport), "127.0.0.1:%s", port);
	pid = fork();
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execlp("openssl", "openssl", "s_client", "-connect", hostport,
		       "-servername", "seed.example", "-alpn", "h2,http/1.1",
		       version_opt, (char *)NULL);
		_exit(127);
	}
	p.fd = l;
	p.events = POLLIN;
	c = poll(&p, 1, 10000) == 1 ? accept(l, NULL, NULL) : -1;
	if (c >= 0) {
		p.fd = c;
		/* the whole hello, then openssl waits for an answer */
		while (poll(&p, 1, 500) == 1 &&
		       (n = read(c, chunk, sizeof(chunk))) > 0)
			add(&body, chunk, (size_t)n);
		close(c);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	close(l);
	if (!body.len)
		die("no ClientHello from openssl s_client %s", version_opt);
	add_byte(&b, T_VUNKNOWN | T_INCOMING | T_RECORDS);
	add(&b, body.p, body.len);
	put("trace", name, &b);
	free(b.p);
	free(body.p);
}

/* ---- record and cipher ---- */

static const struct {
	const char *name, *prio;
	unsigned int sel;	/* record_fuzz.c's cipher index */
} ciphers[] = {
	{ "aes128gcm", "+AES-128-GCM", 0 },
	{ "aes256gcm", "+AES-256-GCM", 1 },
	{ "aes128ccm", "+AES-128-CCM", 2 },
	{ "chacha20", "+CHACHA20-POLY1305", 3 },
};

/* The session IV as record_fuzz.c takes it: salt, then the rest. */
static void add_iv(struct buf *b, const union tlso_crypto_info *ci)
{
	unsigned char iv[16] = { 0 };

	switch (ci->info.cipher_type) {
	case TLS_CIPHER_AES_GCM_128:
		memcpy(iv, ci->gcm128.salt, 4);
		memcpy(iv + 4, ci->gcm128.iv, 8);
		break;
	case TLS_CIPHER_AES_GCM_256:
		memcpy(iv, ci->gcm256.salt, 4);
		memcpy(iv + 4, ci->gcm256.iv, 8);
		break;
	case TLS_CIPHER_AES_CCM_128:
		memcpy(iv, ci->ccm128.salt, 4);
		memcpy(iv + 4, ci->ccm128.iv, 8);
		break;
	default:
		memcpy(iv, ci->chacha.iv, 12);
	}
	add(b, iv, sizeof(iv));
}

static void record_seed(const char *name, unsigned int sel,
			const struct end *c)
{
	/* rec_seq sits at the same place in every struct */
	const unsigned char *seq = c->ci.gcm128.rec_seq;
	struct buf b = { NULL, 0, 0 };

	add_byte(&b, sel);
	add_byte(&b, 23);		/* a record of data */
	add_be(&b, 1000, 2);
	add(&b, seq, 8);
	add_iv(&b, &c->ci);
	add(&b, seq, 8);		/* TLS 1.2's explicit nonce */
	add_byte(&b, 8);
	add(&b, c->app.p, c->app.len);
	put("record", name, &b);
	free(b.p);
}

static void cipher_seed(const char *name, uint32_t optlen, unsigned int how,
			const struct tls_crypto_info *other, const void *ci,
			size_t len)
{
	struct buf b = { NULL, 0, 0 };

	if (optlen < 0xff) {
		add_byte(&b, optlen);
	} else {
		add_byte(&b, 0xff);
		add_be(&b, optlen, 4);
	}
	add_byte(&b, how);
	if (other)
		add(&b, other, sizeof(*other));
	add(&b, ci, len);
	put("cipher", name, &b);
	free(b.p);
}

static void cipher_seeds(const char *name, const struct end *c)
{
	struct tls_crypto_info other = c->ci.info;
	char file[128];

	snprintf(file, sizeof(file), "%s", name);
	cipher_seed(file, c->ci_len, 0, NULL, &c->ci, c->ci_len);
	snprintf(file, sizeof(file), "%s-both", name);
	cipher_seed(file, c->ci_len, 3, NULL, &c->ci, c->ci_len);
	snprintf(file, sizeof(file), "%s-short", name);
	cipher_seed(file, c->ci_len - 1, 0, NULL, &c->ci, c->ci_len - 1);
	snprintf(file, sizeof(file), "%s-long", name);
	cipher_seed(file, 0x10000 + c->ci_len, 0, NULL, &c->ci, c->ci_len);
	other.version ^= TLS_1_2_VERSION ^ TLS_1_3_VERSION;
	snprintf(file, sizeof(file), "%s-other-version", name);
	cipher_seed(file, c->ci_len, 1, &other, &c->ci, c->ci_len);
}

static void unknown_cipher_seeds(void)
{
	struct tls12_crypto_info_sm4_gcm sm4 = {
		.info = { TLS_1_3_VERSION, TLS_CIPHER_SM4_GCM },
	};
	struct tls12_crypto_info_aes_gcm_128 tls11 = {
		.info = { 0x0302, TLS_CIPHER_AES_GCM_128 },
	};
	struct tls_crypto_info hdr = { TLS_1_2_VERSION,
				       TLS_CIPHER_AES_GCM_128 };

	cipher_seed("sm4gcm", sizeof(sm4), 0, NULL, &sm4, sizeof(sm4));
	cipher_seed("tls11", sizeof(tls11), 0, NULL, &tls11, sizeof(tls11));
	cipher_seed("header-only", sizeof(hdr), 0, NULL, &hdr, sizeof(hdr));
	cipher_seed("empty", 0, 0, NULL, &hdr, 0);
}

static void cipher_and_record_seeds(void)
{
	static const char *const versions[] = { "1.2", "1.3" };
	char prio[160], name[80];
	size_t v, i;

	for (v = 0; v < 2; v++) {
		for (i = 0; i < ARRAY_SIZE(ciphers); i++) {
			struct end c = { .prio = prio };
			struct end s = { .prio = "NORMAL:+AES-128-CCM" };

			snprintf(prio, sizeof(prio),
				 "NORMAL:-VERS-ALL:+VERS-TLS%s:-CIPHER-ALL:%s",
				 versions[v], ciphers[i].prio);
			handshake(&c, &s);
			if (!c.ci_len)
				die("no kernel keys for %s", prio);
			snprintf(name, sizeof(name), "tls%s-%s",
				 v ? "13" : "12", ciphers[i].name);
			record_seed(name, v | ciphers[i].sel << 1, &c);
			cipher_seeds(name, &c);
			/* tlsod's sockets take TLS 1.3 padding */
			if (v && i == 0) {
				snprintf(name, sizeof(name),
					 "tls13-%s-padded", ciphers[i].name);
				record_seed(name, v | 0x08, &c);
			}
			explicit_bzero(&c.ci, sizeof(c.ci));
			end_free(&c);
			end_free(&s);
		}
	}
	unknown_cipher_seeds();
}

int main(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: seeds DIR  (tests/fuzz/corpus)\n");
		return 2;
	}
	outdir = argv[1];
	signal(SIGPIPE, SIG_IGN);
	make_pair(&ecdsa, GNUTLS_PK_ECDSA,
		  GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
		  "seed.example");
	make_pair(&rsa, GNUTLS_PK_RSA, 2048, "rsa.seed.example");
	handshake_seeds();
	cipher_and_record_seeds();
	if (system("command -v openssl >/dev/null 2>&1") == 0) {
		openssl_hello("openssl-tls13-clienthello-wire", "-tls1_3");
		openssl_hello("openssl-tls12-clienthello-wire", "-tls1_2");
	}
	gnutls_x509_crt_deinit(ecdsa.crt);
	gnutls_x509_privkey_deinit(ecdsa.key);
	gnutls_x509_crt_deinit(rsa.crt);
	gnutls_x509_privkey_deinit(rsa.key);
	return 0;
}
