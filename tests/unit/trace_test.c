// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of tlsod --trace, userspace/tlsod/trace_*.c: the
 * decoder and the GnuTLS hook that feeds it.
 *
 * Real GnuTLS handshakes run in this process, a client and a server
 * thread over a socketpair, traced into memory; the trace must tell what
 * the two ends set up and what GnuTLS says they agreed on.  Hand-made
 * messages, whole, cut at every length and broken in known ways, check
 * the decoder itself; each is decoded from a heap buffer of exactly its
 * size, so that AddressSanitizer sees any read past the end.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "harness.h"
#include "trace.h"

#define CN "tlso trace test"

/* ---- reading a trace ---- */

struct trace {
	FILE *f;
	char *text;
	size_t len;
};

static void trace_begin(struct trace *tr)
{
	memset(tr, 0, sizeof(*tr));
	tr->f = open_memstream(&tr->text, &tr->len);
	ASSERT_TRUE(tr->f != NULL);
	tlsod_trace_set_output(tr->f);
}

static void dump(const char *text);

/* TLSO_TRACE_DUMP=1 shows every traced handshake, to read by eye. */
static void trace_end(struct trace *tr)
{
	tlsod_trace_set_output(NULL);
	fclose(tr->f);
	tr->f = NULL;
	if (getenv("TLSO_TRACE_DUMP"))
		dump(tr->text);
}

static void dump(const char *text)
{
	const char *p = text, *nl;

	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl) {
			printf("# %s\n", p);
			break;
		}
		printf("# %.*s\n", (int)(nl - p), p);
	}
}

/*
 * The lines of the nth (from 0) message called title that carry prefix:
 * from its title line to the next line that is not indented.  NULL when
 * there is no such message.
 */
static char *message(const char *text, const char *prefix, const char *title,
		     int nth)
{
	size_t plen = strlen(prefix), tlen = strlen(title), n = 0;
	char *out = calloc(1, strlen(text) + 1);
	const char *p, *nl, *rest;
	bool in = false;

	ASSERT_TRUE(out != NULL);
	for (p = text; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		if (strncmp(p, prefix, plen))
			goto next;
		rest = p + plen;
		if (*rest != ' ')
			in = !strncmp(rest, title, tlen) &&
			     (rest[tlen] == ',' || rest[tlen] == ':') &&
			     nth-- == 0;
		if (in) {
			memcpy(out + n, p, (size_t)(nl - p));
			n += (size_t)(nl - p);
			out[n++] = '\n';
		}
next:
		if (!*nl)
			break;
	}
	if (!n) {
		free(out);
		return NULL;
	}
	return out;
}

/* Fails the test, showing where it looked, when needle is not in text. */
static void expect_has(const char *where, const char *text, const char *needle)
{
	if (text && strstr(text, needle))
		return;
	printf("# no \"%s\" in %s:\n", needle, where);
	if (text)
		dump(text);
	EXPECT_TRUE(text && strstr(text, needle));
}

static void expect_lacks(const char *where, const char *text,
			 const char *needle)
{
	if (!text || !strstr(text, needle))
		return;
	printf("# unexpected \"%s\" in %s:\n", needle, where);
	dump(text);
	EXPECT_FALSE(strstr(text, needle));
}

/* The message's lines, which must be there; free() them. */
static char *get_msg(const char *text, int fd, bool sent, const char *title,
		     int nth)
{
	char prefix[32];
	char *m;

	snprintf(prefix, sizeof(prefix), "fd %d: %s ", fd, sent ? "->" : "<-");
	m = message(text, prefix, title, nth);
	if (!m) {
		printf("# no %s #%d with prefix \"%s\" in the trace:\n", title,
		       nth, prefix);
		dump(text);
	}
	ASSERT_TRUE(m != NULL);
	return m;
}

/* ---- two ends of a handshake ---- */

static const unsigned char psk_key[16] = "tlso trace psk!";

struct end {
	bool server;
	int fd;
	const char *prio;
	const char *sni;		/* client */
	const char *alpn[2];
	bool psk;			/* PSK, else a certificate */
	gnutls_datum_t *ticket_key;	/* server: hand out tickets */
	gnutls_datum_t *session;	/* client: resume from, then save */
	bool capture;			/* raw capture, not tlsod's trace */
	/* out */
	int ret;
	bool resumed;
	char suite[80];
	char group[32];		/* GnuTLS's name */
	char iana_group[32];	/* the registry's */
	unsigned int version;
};

static gnutls_x509_crt_t crt;
static gnutls_x509_privkey_t key;
static time_t crt_from, crt_to;

/* A throw-away ECDSA P-256 key and a self-signed certificate for it. */
static void make_cert(void)
{
	unsigned char serial = 7;

	if (crt)
		return;
	crt_from = time(NULL) - 3600;
	crt_to = crt_from + 2 * 86400;
	ASSERT_OK(gnutls_x509_privkey_init(&key));
	ASSERT_OK(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
	ASSERT_OK(gnutls_x509_crt_init(&crt));
	ASSERT_OK(gnutls_x509_crt_set_version(crt, 3));
	ASSERT_OK(gnutls_x509_crt_set_serial(crt, &serial, 1));
	ASSERT_OK(gnutls_x509_crt_set_activation_time(crt, crt_from));
	ASSERT_OK(gnutls_x509_crt_set_expiration_time(crt, crt_to));
	ASSERT_OK(gnutls_x509_crt_set_dn_by_oid(crt,
						GNUTLS_OID_X520_COMMON_NAME, 0,
						CN, strlen(CN)));
	ASSERT_OK(gnutls_x509_crt_set_key(crt, key));
	ASSERT_OK(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0));
}

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

static unsigned int wire_version(gnutls_session_t s)
{
	switch (gnutls_protocol_get_version(s)) {
	case GNUTLS_TLS1_2:
		return 0x0303;
	case GNUTLS_TLS1_3:
		return 0x0304;
	default:
		return 0;
	}
}

/* ---- raw capture, for the decoder's own tests ---- */

struct captured {
	unsigned int htype, version;
	unsigned char *data;
	size_t len;
};

static struct captured cap[64];
static int ncap;
static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;

/* Every message once, as its sender made it. */
static int capture_hook(gnutls_session_t s, unsigned int htype,
			unsigned int when, unsigned int incoming,
			const gnutls_datum_t *msg)
{
	struct captured *c;

	if (when != GNUTLS_HOOK_POST || incoming)
		return 0;
	pthread_mutex_lock(&cap_lock);
	if (ncap < (int)(sizeof(cap) / sizeof(cap[0]))) {
		c = &cap[ncap++];
		c->htype = htype;
		c->version = wire_version(s);
		c->len = msg->size;
		c->data = malloc(msg->size ? msg->size : 1);
		if (msg->size)
			memcpy(c->data, msg->data, msg->size);
	}
	pthread_mutex_unlock(&cap_lock);
	return 0;
}

static void free_captured(void)
{
	while (ncap > 0)
		free(cap[--ncap].data);
}

static gnutls_session_t end_session(struct end *e, void **cred)
{
	gnutls_datum_t k = { (unsigned char *)psk_key, sizeof(psk_key) };
	gnutls_datum_t protos[2];
	gnutls_session_t s;
	unsigned int n;

	ASSERT_OK(gnutls_init(&s, e->server ? GNUTLS_SERVER : GNUTLS_CLIENT));
	ASSERT_OK(gnutls_priority_set_direct(s, e->prio, NULL));
	if (e->psk && e->server) {
		gnutls_psk_server_credentials_t c;

		ASSERT_OK(gnutls_psk_allocate_server_credentials(&c));
		gnutls_psk_set_server_credentials_function(c, psk_lookup);
		ASSERT_OK(gnutls_credentials_set(s, GNUTLS_CRD_PSK, c));
		*cred = c;
	} else if (e->psk) {
		gnutls_psk_client_credentials_t c;

		ASSERT_OK(gnutls_psk_allocate_client_credentials(&c));
		ASSERT_OK(gnutls_psk_set_client_credentials(c, "tlso", &k,
						GNUTLS_PSK_KEY_RAW));
		ASSERT_OK(gnutls_credentials_set(s, GNUTLS_CRD_PSK, c));
		*cred = c;
	} else {
		gnutls_certificate_credentials_t c;

		/* the client takes the certificate unverified: there is
		 * nothing to trust here anyway */
		ASSERT_OK(gnutls_certificate_allocate_credentials(&c));
		if (e->server)
			ASSERT_OK(gnutls_certificate_set_x509_key(c, &crt, 1,
								  key));
		ASSERT_OK(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE,
						 c));
		*cred = c;
	}
	if (e->ticket_key)
		ASSERT_OK(gnutls_session_ticket_enable_server(s,
							      e->ticket_key));
	if (e->session && e->session->size)
		ASSERT_OK(gnutls_session_set_data(s, e->session->data,
						  e->session->size));
	if (e->sni)
		ASSERT_OK(gnutls_server_name_set(s, GNUTLS_NAME_DNS, e->sni,
						 strlen(e->sni)));
	for (n = 0; n < 2 && e->alpn[n]; n++) {
		protos[n].data = (unsigned char *)e->alpn[n];
		protos[n].size = strlen(e->alpn[n]);
	}
	if (n)
		ASSERT_OK(gnutls_alpn_set_protocols(s, protos, n, 0));
	gnutls_transport_set_int(s, e->fd);
	gnutls_handshake_set_timeout(s, 20 * 1000);
	return s;
}

static void free_cred(struct end *e, void *cred)
{
	if (e->psk && e->server)
		gnutls_psk_free_server_credentials(cred);
	else if (e->psk)
		gnutls_psk_free_client_credentials(cred);
	else
		gnutls_certificate_free_credentials(cred);
}

/* "X25519" from GnuTLS is "x25519" in the IANA registry. */
static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* After the handshake one byte goes from the server to the client, which
 * so reads any TLS 1.3 tickets sent before it. */
static void end_after(struct end *e, gnutls_session_t s)
{
	ssize_t n;
	char b;

	e->resumed = gnutls_session_is_resumed(s);
	e->version = wire_version(s);
	snprintf(e->suite, sizeof(e->suite), "%s",
		 gnutls_ciphersuite_get(s) ? gnutls_ciphersuite_get(s) : "?");
	snprintf(e->group, sizeof(e->group), "%s",
		 gnutls_group_get_name(gnutls_group_get(s)) ?
		 gnutls_group_get_name(gnutls_group_get(s)) : "none");
	snprintf(e->iana_group, sizeof(e->iana_group), "%s", e->group);
	lower(e->iana_group);
	if (e->server) {
		ASSERT_EQ(gnutls_record_send(s, "x", 1), 1);
		return;
	}
	/* a ticket read on the way comes back as GNUTLS_E_AGAIN */
	do {
		n = gnutls_record_recv(s, &b, 1);
	} while (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
	ASSERT_EQ(n, 1);
	if (e->session) {
		gnutls_free(e->session->data);
		ASSERT_OK(gnutls_session_get_data2(s, e->session));
	}
}

static void *run_end(void *arg)
{
	struct end *e = arg;
	gnutls_session_t s;
	void *cred = NULL;
	int ret;

	s = end_session(e, &cred);
	if (e->capture)
		gnutls_handshake_set_hook_function(s, GNUTLS_HANDSHAKE_ANY,
						   GNUTLS_HOOK_POST,
						   capture_hook);
	else
		tlsod_trace_handshake(s, e->fd);
	do {
		ret = gnutls_handshake(s);
	} while (ret < 0 && !gnutls_error_is_fatal(ret));
	e->ret = ret;
	if (!ret) {
		if (!e->capture)
			tlsod_trace_result(s, e->fd);
		end_after(e, s);
	}
	gnutls_deinit(s);
	free_cred(e, cred);
	/* so that a failed end does not leave the other waiting */
	shutdown(e->fd, SHUT_RDWR);
	return NULL;
}

static void handshake(struct end *cli, struct end *srv)
{
	pthread_t tc, ts;
	int sv[2];

	make_cert();
	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	cli->server = false;
	srv->server = true;
	cli->fd = sv[0];
	srv->fd = sv[1];
	ASSERT_EQ(pthread_create(&ts, NULL, run_end, srv), 0);
	ASSERT_EQ(pthread_create(&tc, NULL, run_end, cli), 0);
	pthread_join(tc, NULL);
	pthread_join(ts, NULL);
	close(sv[0]);
	close(sv[1]);
	if (cli->ret || srv->ret)
		TH_LOG("handshake: client %s, server %s",
		       gnutls_strerror(cli->ret), gnutls_strerror(srv->ret));
	ASSERT_EQ(cli->ret, 0);
	ASSERT_EQ(srv->ret, 0);
}

static void utc(char *buf, size_t size, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* ---- handshakes ---- */

/* What every traced handshake shows, seen from both ends. */
static void expect_both_ends(const char *text, struct end *c, struct end *s)
{
	char *m, want[160];

	m = get_msg(text, c->fd, true, "ClientHello", 0);
	free(m);
	m = get_msg(text, s->fd, false, "ClientHello", 0);
	free(m);
	m = get_msg(text, s->fd, true, "ServerHello", 0);
	snprintf(want, sizeof(want), "cipher suite %s", s->suite);
	expect_has("the ServerHello", m, want);
	free(m);
	m = get_msg(text, c->fd, false, "ServerHello", 0);
	expect_has("the ServerHello", m, want);
	free(m);
	snprintf(want, sizeof(want), "fd %d: == handshake done: ", c->fd);
	expect_has("the trace", text, want);
	snprintf(want, sizeof(want), "fd %d: == handshake done: ", s->fd);
	expect_has("the trace", text, want);
}

static void expect_client_hello13(const char *text, struct end *c)
{
	char *m = get_msg(text, c->fd, true, "ClientHello", 0);

	expect_has("the ClientHello", m, "legacy_version TLS 1.2");
	expect_has("the ClientHello", m, "    random ");
	expect_has("the ClientHello", m, "session id (32 bytes) ");
	expect_has("the ClientHello", m, "cipher suites (");
	expect_has("the ClientHello", m, "TLS_AES_128_GCM_SHA256");
	expect_has("the ClientHello", m, "TLS_AES_256_GCM_SHA384");
	expect_has("the ClientHello", m, "TLS_CHACHA20_POLY1305_SHA256");
	expect_has("the ClientHello", m,
		   "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
	/* everything GnuTLS offers by default has a name */
	expect_lacks("the ClientHello", m, ": 0x");
	expect_lacks("the ClientHello", m, ", 0x");
	expect_has("the ClientHello", m, "compression methods: null");
	expect_has("the ClientHello", m,
		   "extension supported_versions: TLS 1.3, TLS 1.2");
	expect_has("the ClientHello", m, "extension supported_groups: ");
	expect_has("the ClientHello", m, "secp256r1");
	expect_has("the ClientHello", m, "x25519");
	expect_has("the ClientHello", m, "ffdhe2048");
	expect_has("the ClientHello", m, "extension key_share: ");
	expect_has("the ClientHello", m, "extension signature_algorithms: ");
	expect_has("the ClientHello", m, "ecdsa_secp256r1_sha256");
	expect_has("the ClientHello", m, "rsa_pss_rsae_sha256");
	expect_has("the ClientHello", m, "ed25519");
	expect_has("the ClientHello", m, "rsa_pkcs1_sha256");
	expect_has("the ClientHello", m, "extension psk_key_exchange_modes: ");
	expect_has("the ClientHello", m, "extension extended_master_secret");
	expect_has("the ClientHello", m, "extension renegotiation_info: "
		   "empty (initial handshake)");
	expect_has("the ClientHello", m, "extension ec_point_formats: "
		   "uncompressed");
	free(m);
}

TEST(tls13_certificate)
{
	struct end c = { .prio = "NORMAL", .sni = "trace.example",
			 .alpn = { "h2", "http/1.1" } };
	struct end s = { .prio = "NORMAL", .alpn = { "h2" } };
	char want[160], from[40], to[40], *m;
	struct trace tr;

	trace_begin(&tr);
	handshake(&c, &s);
	trace_end(&tr);
	ASSERT_EQ(c.version, 0x0304);

	expect_both_ends(tr.text, &c, &s);
	expect_client_hello13(tr.text, &c);
	m = get_msg(tr.text, c.fd, true, "ClientHello", 0);
	expect_has("the ClientHello", m,
		   "extension server_name: trace.example");
	expect_has("the ClientHello", m, "extension alpn: h2, http/1.1");
	free(m);

	m = get_msg(tr.text, c.fd, false, "ServerHello", 0);
	expect_has("the ServerHello", m,
		   "extension supported_versions: selected TLS 1.3");
	snprintf(want, sizeof(want), "extension key_share: %s (", c.iana_group);
	expect_has("the ServerHello", m, want);
	free(m);

	m = get_msg(tr.text, c.fd, false, "EncryptedExtensions", 0);
	expect_has("the EncryptedExtensions", m, "extension alpn: h2");
	free(m);

	m = get_msg(tr.text, c.fd, false, "Certificate", 0);
	expect_has("the Certificate", m, "certificate 0: ");
	expect_has("the Certificate", m, "subject CN=" CN);
	expect_has("the Certificate", m, "issuer CN=" CN);
	utc(from, sizeof(from), crt_from);
	utc(to, sizeof(to), crt_to);
	snprintf(want, sizeof(want), "valid %s to %s", from, to);
	expect_has("the Certificate", m, want);
	expect_has("the Certificate", m, "key EC/ECDSA, 256 bits");
	expect_lacks("the Certificate", m, "certificate 1:");
	free(m);

	m = get_msg(tr.text, c.fd, false, "CertificateVerify", 0);
	expect_has("the CertificateVerify", m,
		   "signature: ecdsa_secp256r1_sha256, ");
	free(m);

	snprintf(want, sizeof(want), "verify_data %d bytes",
		 strstr(c.suite, "SHA384") ? 48 : 32);
	m = get_msg(tr.text, c.fd, false, "Finished", 0);
	expect_has("the server's Finished", m, want);
	free(m);
	m = get_msg(tr.text, c.fd, true, "Finished", 0);
	expect_has("the client's Finished", m, want);
	free(m);

	snprintf(want, sizeof(want), "fd %d: == handshake done: TLS1.3, %s, "
		 "cipher ", c.fd, c.suite);
	expect_has("the trace", tr.text, want);
	snprintf(want, sizeof(want), "group %s, alpn h2, full handshake",
		 c.group);
	expect_has("the trace", tr.text, want);
	expect_lacks("the trace", tr.text, "(truncated)");
	expect_lacks("the trace", tr.text, "unexpected");
	free(tr.text);
}

TEST(tls12_ecdhe_certificate)
{
	struct end c = { .prio = "NORMAL:-VERS-ALL:+VERS-TLS1.2",
			 .sni = "twelve.example" };
	struct end s = { .prio = "NORMAL:-VERS-ALL:+VERS-TLS1.2" };
	char want[160], *m;
	struct trace tr;

	trace_begin(&tr);
	handshake(&c, &s);
	trace_end(&tr);
	ASSERT_EQ(c.version, 0x0303);
	expect_both_ends(tr.text, &c, &s);

	m = get_msg(tr.text, c.fd, true, "ClientHello", 0);
	expect_has("the ClientHello", m,
		   "extension server_name: twelve.example");
	expect_has("the ClientHello", m, "extension session_ticket");
	expect_has("the ClientHello", m, "extension extended_master_secret");
	expect_has("the ClientHello", m, "extension encrypt_then_mac");
	free(m);

	m = get_msg(tr.text, s.fd, true, "Certificate", 0);
	expect_has("the Certificate", m, "subject CN=" CN);
	free(m);

	m = get_msg(tr.text, c.fd, false, "ServerKeyExchange", 0);
	snprintf(want, sizeof(want), "ECDHE %s, public key ", c.iana_group);
	expect_has("the ServerKeyExchange", m, want);
	expect_has("the ServerKeyExchange", m,
		   "signature: ecdsa_secp256r1_sha256, ");
	free(m);

	free(get_msg(tr.text, c.fd, false, "ServerHelloDone", 0));
	m = get_msg(tr.text, s.fd, false, "ClientKeyExchange", 0);
	expect_has("the ClientKeyExchange", m, "ECDH public key ");
	free(m);
	m = get_msg(tr.text, s.fd, true, "Finished", 0);
	expect_has("the Finished", m, "verify_data 12 bytes");
	free(m);

	snprintf(want, sizeof(want), "fd %d: == handshake done: TLS1.2, %s, ",
		 s.fd, s.suite);
	expect_has("the trace", tr.text, want);
	expect_has("the trace", tr.text, "key exchange ECDHE-ECDSA");
	expect_lacks("the trace", tr.text, "(truncated)");
	expect_lacks("the trace", tr.text, "unexpected");
	free(tr.text);
}

/* PSK with (EC)DHE: the identity, the binder and the server's choice. */
TEST(tls13_psk_dhe)
{
	const char *prio = "NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+ECDHE-PSK";
	struct end c = { .prio = prio, .psk = true };
	struct end s = { .prio = prio, .psk = true };
	char want[160], *m;
	struct trace tr;

	trace_begin(&tr);
	handshake(&c, &s);
	trace_end(&tr);
	expect_both_ends(tr.text, &c, &s);

	m = get_msg(tr.text, c.fd, true, "ClientHello", 0);
	expect_has("the ClientHello", m,
		   "extension psk_key_exchange_modes: psk_dhe_ke");
	/* "tlso", an external PSK: age 0 */
	expect_has("the ClientHello", m, "extension pre_shared_key: "
		   "1 identity, 4 bytes with obfuscated age 0x00000000, "
		   "1 binder, 32 bytes\n");
	free(m);
	m = get_msg(tr.text, c.fd, false, "ServerHello", 0);
	expect_has("the ServerHello", m,
		   "extension pre_shared_key: selected identity 0");
	snprintf(want, sizeof(want), "extension key_share: %s (", c.iana_group);
	expect_has("the ServerHello", m, want);
	free(m);
	m = get_msg(tr.text, s.fd, true, "EncryptedExtensions", 0);
	free(m);
	/* no certificate when the key is shared */
	expect_lacks("the trace", tr.text, "Certificate,");
	expect_lacks("the trace", tr.text, "(truncated)");
	free(tr.text);
}

/* Plain psk_ke: no key exchange group at all. */
TEST(tls13_psk_only)
{
	const char *prio = "NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+PSK";
	struct end c = { .prio = prio, .psk = true };
	struct end s = { .prio = prio, .psk = true };
	char want[160], *m;
	struct trace tr;

	trace_begin(&tr);
	handshake(&c, &s);
	trace_end(&tr);
	expect_both_ends(tr.text, &c, &s);
	m = get_msg(tr.text, c.fd, true, "ClientHello", 0);
	expect_has("the ClientHello", m,
		   "extension psk_key_exchange_modes: psk_ke");
	free(m);
	m = get_msg(tr.text, c.fd, false, "ServerHello", 0);
	expect_lacks("the ServerHello", m, "key_share");
	free(m);
	snprintf(want, sizeof(want), "fd %d: == handshake done: TLS1.3, %s, "
		 "cipher ", c.fd, c.suite);
	expect_has("the trace", tr.text, want);
	expect_has("the trace", tr.text, "group none, full handshake");
	free(tr.text);
}

/* The client guesses x25519 and secp256r1, the server takes only
 * secp384r1. */
TEST(hello_retry_request)
{
	struct end c = { .prio = "NORMAL:-GROUP-ALL:+GROUP-X25519:"
				 "+GROUP-SECP256R1:+GROUP-SECP384R1" };
	struct end s = { .prio = "NORMAL:-GROUP-ALL:+GROUP-SECP384R1" };
	char *m;
	struct trace tr;

	trace_begin(&tr);
	handshake(&c, &s);
	trace_end(&tr);
	ASSERT_STREQ(c.group, "SECP384R1");

	m = get_msg(tr.text, c.fd, true, "ClientHello", 0);
	expect_has("the first ClientHello", m, "extension key_share: x25519 "
		   "(32 bytes), secp256r1 (65 bytes)\n");
	free(m);
	m = get_msg(tr.text, c.fd, false, "HelloRetryRequest", 0);
	expect_has("the HelloRetryRequest", m,
		   "random cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e"
		   "079e09e2c8a8339c (HelloRetryRequest)");
	expect_has("the HelloRetryRequest", m,
		   "extension key_share: wants secp384r1");
	expect_has("the HelloRetryRequest", m,
		   "extension supported_versions: selected TLS 1.3");
	free(m);
	free(get_msg(tr.text, s.fd, true, "HelloRetryRequest", 0));
	m = get_msg(tr.text, c.fd, true, "ClientHello", 1);
	/* an uncompressed P-384 point: 1 + 2 * 48 bytes */
	expect_has("the second ClientHello", m,
		   "extension key_share: secp384r1 (97 bytes)");
	free(m);
	m = get_msg(tr.text, c.fd, false, "ServerHello", 0);
	expect_has("the ServerHello", m,
		   "extension key_share: secp384r1 (97 bytes)");
	free(m);
	expect_lacks("the trace", tr.text, "(truncated)");
	free(tr.text);
}

/*
 * The message's lines with its wrapped lists joined again, to free(): a
 * line's continuation is under the same prefix, indented IND further.
 */
static char *unwrap(const char *m, int fd, bool sent)
{
	char cont[48], *out = strdup(m), *p;
	size_t clen;

	ASSERT_TRUE(out != NULL);
	snprintf(cont, sizeof(cont), ",\nfd %d: %s         ", fd,
		 sent ? "->" : "<-");
	clen = strlen(cont);
	while ((p = strstr(out, cont))) {
		memcpy(p, ", ", 2);
		memmove(p + 2, p + clen, strlen(p + clen) + 1);
	}
	return out;
}

/* The size and age_add of the last ticket the client got: the one it
 * saved, and so the one it offers next. */
static void last_ticket(const char *text, int fd, bool tls13, size_t *size,
			unsigned int *age_add)
{
	char prefix[32], *m, *last = NULL, *p;
	int i;

	snprintf(prefix, sizeof(prefix), "fd %d: <- ", fd);
	for (i = 0; (m = message(text, prefix, "NewSessionTicket", i)); i++) {
		free(last);
		last = m;
	}
	ASSERT_TRUE(last != NULL);
	p = strstr(last, tls13 ? "age_add " : "ticket ");
	ASSERT_TRUE(p != NULL);
	if (tls13)
		ASSERT_EQ(sscanf(p, "age_add 0x%x, nonce %*u bytes, "
				 "ticket %zu bytes", age_add, size), 2);
	else
		ASSERT_EQ(sscanf(p, "ticket %zu bytes", size), 1);
	free(last);
}

/*
 * A full handshake that hands out a ticket, then one that uses it: the
 * client must offer the very ticket it got, the server take it.
 */
static void resume(const char *prio, bool tls13)
{
	gnutls_datum_t tkey = { NULL, 0 }, sess = { NULL, 0 };
	struct end c = { .prio = prio, .session = &sess };
	struct end s = { .prio = prio, .ticket_key = &tkey };
	struct end c2 = { .prio = prio, .session = &sess };
	struct end s2 = { .prio = prio, .ticket_key = &tkey };
	unsigned int age_add = 0, age;
	size_t ticket, id_len, binder;
	char want[160], *m, *p;
	struct trace tr;
	int n;

	ASSERT_OK(gnutls_session_ticket_key_generate(&tkey));
	trace_begin(&tr);
	handshake(&c, &s);
	trace_end(&tr);
	m = get_msg(tr.text, c.fd, false, "NewSessionTicket", 0);
	expect_has("the NewSessionTicket", m, tls13 ? "lifetime " :
		   "lifetime hint ");
	expect_has("the NewSessionTicket", m, "ticket ");
	free(m);
	last_ticket(tr.text, c.fd, tls13, &ticket, &age_add);
	if (!tls13) {
		m = get_msg(tr.text, c.fd, true, "ClientHello", 0);
		expect_has("the first ClientHello", m, "extension "
			   "session_ticket: empty (asking for a ticket)\n");
		free(m);
		m = get_msg(tr.text, c.fd, false, "ServerHello", 0);
		expect_has("the first ServerHello", m, "extension "
			   "session_ticket: empty (a NewSessionTicket will "
			   "follow)\n");
		free(m);
	}
	free(tr.text);
	ASSERT_GT(sess.size, 0);

	trace_begin(&tr);
	handshake(&c2, &s2);
	trace_end(&tr);
	ASSERT_TRUE(c2.resumed);
	m = get_msg(tr.text, c2.fd, true, "ClientHello", 0);
	if (tls13) {
		p = unwrap(m, c2.fd, true);
		free(m);
		m = p;
		p = strstr(m, "extension pre_shared_key: ");
		ASSERT_TRUE(p != NULL);
		n = sscanf(p, "extension pre_shared_key: 1 identity, %zu bytes "
			   "with obfuscated age 0x%x, 1 binder, %zu bytes",
			   &id_len, &age, &binder);
		if (n != 3)
			dump(m);
		ASSERT_EQ(n, 3);
		EXPECT_EQ(id_len, ticket);
		/* RFC 8446 4.2.11.1: age_add plus the ticket's age in ms,
		 * here a few ms */
		EXPECT_LT(age - age_add, 10000u);
		/* the binder is an HMAC with the resumed suite's hash */
		EXPECT_EQ(binder, strstr(c.suite, "SHA384") ? 48u : 32u);
	} else {
		snprintf(want, sizeof(want), "extension session_ticket: "
			 "ticket %zu bytes (offered to resume)\n", ticket);
		expect_has("the ClientHello", m, want);
	}
	free(m);
	if (tls13) {
		m = get_msg(tr.text, c2.fd, false, "ServerHello", 0);
		expect_has("the ServerHello", m,
			   "extension pre_shared_key: selected identity 0\n");
		free(m);
	}
	snprintf(want, sizeof(want), "fd %d: == handshake done: ", c2.fd);
	expect_has("the trace", tr.text, want);
	expect_has("the trace", tr.text, ", resumed\n");
	expect_lacks("the trace", tr.text, "(truncated)");
	expect_lacks("the trace", tr.text, "unexpected");
	free(tr.text);
	gnutls_free(sess.data);
	gnutls_free(tkey.data);
}

TEST(tls13_resumption)
{
	resume("NORMAL:-VERS-ALL:+VERS-TLS1.3", true);
}

TEST(tls12_resumption)
{
	resume("NORMAL:-VERS-ALL:+VERS-TLS1.2", false);
}

/* ---- the decoder alone ---- */

/* Decoded from a heap copy of exactly len bytes; the text, to free(). */
static char *decode(unsigned int htype, unsigned int version,
		    const unsigned char *msg, size_t len, int *ret)
{
	unsigned char *copy = malloc(len ? len : 1);
	char *text = NULL;
	size_t size = 0;
	FILE *f;

	ASSERT_TRUE(copy != NULL);
	if (len)
		memcpy(copy, msg, len);
	f = open_memstream(&text, &size);
	ASSERT_TRUE(f != NULL);
	*ret = tlsod_trace_decode(f, "T ", htype, version, copy, len);
	fclose(f);
	free(copy);
	return text;
}

/*
 * Every strict prefix must decode as truncated, except where the grammar
 * really does end early: a hello may stop right after its compression
 * methods (no extensions at all, RFC 5246 7.4.1.2), and an anonymous
 * ECDH ServerKeyExchange is unsigned.
 */
static void every_prefix(unsigned int htype, unsigned int version,
			 const unsigned char *msg, size_t len, size_t ok_at)
{
	size_t i;
	char *text;
	int ret;

	text = decode(htype, version, msg, len, &ret);
	if (ret)
		dump(text);
	EXPECT_EQ(ret, 0);
	expect_lacks("the whole message", text, "(truncated)");
	free(text);
	for (i = 0; i < len; i++) {
		text = decode(htype, version, msg, i, &ret);
		if (i == ok_at) {
			EXPECT_EQ(ret, 0);
		} else {
			if (ret != -1)
				printf("# prefix %zu of %zu bytes\n", i, len);
			EXPECT_EQ(ret, -1);
			expect_has("a cut message", text, "(truncated)");
		}
		free(text);
	}
}

/* Where a hello could end: after its compression method(s). */
static size_t hello_end(const unsigned char *m, size_t len, bool client)
{
	size_t o = 2 + 32;

	if (o >= len)
		return SIZE_MAX;
	o += 1 + m[o];				/* session id */
	if (client) {
		if (o + 2 > len)
			return SIZE_MAX;
		o += 2 + (m[o] << 8 | m[o + 1]);	/* cipher suites */
		if (o >= len)
			return SIZE_MAX;
		return o + 1 + m[o];		/* compression methods */
	}
	return o + 2 + 1;
}

static void prefixes_of_captured(void)
{
	const struct captured *c;
	size_t ok_at;
	int i;

	ASSERT_GT(ncap, 4);
	for (i = 0; i < ncap; i++) {
		c = &cap[i];
		ok_at = SIZE_MAX;
		if (c->htype == GNUTLS_HANDSHAKE_FINISHED)
			continue;	/* opaque: any length is whole */
		if (c->htype == GNUTLS_HANDSHAKE_CLIENT_HELLO ||
		    c->htype == GNUTLS_HANDSHAKE_SERVER_HELLO ||
		    c->htype == GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST)
			ok_at = hello_end(c->data, c->len,
				c->htype == GNUTLS_HANDSHAKE_CLIENT_HELLO);
		if (c->htype == GNUTLS_HANDSHAKE_SERVER_KEY_EXCHANGE &&
		    c->len > 4)
			ok_at = 4 + (size_t)c->data[3];
		every_prefix(c->htype, c->version, c->data, c->len, ok_at);
	}
}

TEST(every_prefix_of_gnutls_tls13_messages)
{
	struct end c = { .prio = "NORMAL", .sni = "prefix.example",
			 .alpn = { "h2" }, .capture = true };
	struct end s = { .prio = "NORMAL", .alpn = { "h2" }, .capture = true };

	handshake(&c, &s);
	/* the hook gets the body: a ClientHello starts with its version,
	 * not with a handshake header's type (1) */
	ASSERT_EQ(cap[0].htype, GNUTLS_HANDSHAKE_CLIENT_HELLO);
	ASSERT_EQ(cap[0].data[0], 0x03);
	prefixes_of_captured();
	free_captured();
}

TEST(every_prefix_of_gnutls_tls12_messages)
{
	struct end c = { .prio = "NORMAL:-VERS-ALL:+VERS-TLS1.2",
			 .capture = true };
	struct end s = { .prio = "NORMAL:-VERS-ALL:+VERS-TLS1.2",
			 .capture = true };

	handshake(&c, &s);
	prefixes_of_captured();
	free_captured();
}

/* Written out by hand from RFC 8446 4.1.2 and 4.2. */
static const unsigned char client_hello[] = {
	0x03, 0x03,				/* legacy_version */
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,	/* random */
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x04, 0xaa, 0xbb, 0xcc, 0xdd,		/* session id */
	0x00, 0x0a,				/* cipher suites */
	0x0a, 0x0a, 0x13, 0x01, 0x13, 0x03, 0xc0, 0x2f, 0x12, 0x34,
	0x01, 0x00,				/* compression: null */
	0x00, 0x82,				/* extensions, 130 bytes */
	/* server_name: 16 bytes, list of 14: host_name, 11 */
	0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x00, 0x0b,
	'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm',
	/* supported_groups: GREASE, x25519, secp256r1 */
	0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x1a, 0x1a, 0x00, 0x1d,
	0x00, 0x17,
	/* key_share: x25519 with 32 bytes */
	0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20,
	0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
	0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
	0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57,
	0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
	/* signature_algorithms */
	0x00, 0x0d, 0x00, 0x08, 0x00, 0x06, 0x04, 0x03, 0x08, 0x04,
	0x08, 0x07,
	/* supported_versions: TLS 1.3, TLS 1.2 */
	0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03,
	/* psk_key_exchange_modes: psk_dhe_ke */
	0x00, 0x2d, 0x00, 0x02, 0x01, 0x01,
	/* ALPN: h2, http/1.1 */
	0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 'h', '2',
	0x08, 'h', 't', 't', 'p', '/', '1', '.', '1',
	/* an unassigned extension, 3 bytes */
	0x12, 0x34, 0x00, 0x03, 0xaa, 0xbb, 0xcc,
	/* extended_master_secret */
	0x00, 0x17, 0x00, 0x00,
};

TEST(hand_written_client_hello)
{
	static const char *const want[] = {
		"T ClientHello, 185 bytes\n",
		"T     legacy_version TLS 1.2\n",
		"T     random 000102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f\n",
		"T     session id (4 bytes) aabbccdd\n",
		"T     cipher suites (5): GREASE(0x0a0a), "
		"TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256,\n"
		"T         TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 0x1234\n",
		"T     compression methods: null\n",
		"T     extension server_name: example.com\n",
		"T     extension supported_groups: GREASE(0x1a1a), x25519, "
		"secp256r1\n",
		"T     extension key_share: x25519 (32 bytes)\n",
		"T     extension signature_algorithms: ecdsa_secp256r1_sha256, "
		"rsa_pss_rsae_sha256, ed25519\n",
		"T     extension supported_versions: TLS 1.3, TLS 1.2\n",
		"T     extension psk_key_exchange_modes: psk_dhe_ke\n",
		"T     extension alpn: h2, http/1.1\n",
		"T     extension 4660 (unknown): 3 bytes\n",
		"T     extension extended_master_secret\n",
	};
	size_t i;
	char *text;
	int ret;

	ASSERT_EQ(sizeof(client_hello), 185);
	text = decode(GNUTLS_HANDSHAKE_CLIENT_HELLO, 0, client_hello,
		      sizeof(client_hello), &ret);
	EXPECT_EQ(ret, 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		expect_has("the ClientHello", text, want[i]);
	free(text);
	every_prefix(GNUTLS_HANDSHAKE_CLIENT_HELLO, 0, client_hello,
		     sizeof(client_hello),
		     hello_end(client_hello, sizeof(client_hello), true));
}

struct bad_case {
	const char *what;
	unsigned int htype, version;
	const unsigned char *msg;
	size_t len;
	int ret;
	const char *want;
};

#define MSG(...) (const unsigned char[]){ __VA_ARGS__ }, \
	sizeof((const unsigned char[]){ __VA_ARGS__ })

/* A hello's fixed start: version, a random of 0x11s, no session id. */
#define R16 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, \
	    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11
#define HELLO 0x03, 0x03, R16, R16, 0x00
#define HRR_RANDOM 0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, \
	0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, \
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, \
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c
/* DER of the name CN=ca */
#define DN_CA 0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, \
	0x03, 0x0c, 0x02, 'c', 'a'

static const struct bad_case cases[] = {
	{ "odd cipher suites", 1, 0,
	  MSG(HELLO, 0x00, 0x03, 0x13, 0x01, 0x13, 0x01, 0x00), -1,
	  "cipher suites (1): TLS_AES_128_GCM_SHA256, (truncated)" },
	{ "extension past the block", 1, 0,
	  MSG(HELLO, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00,
	      0x00, 0x06, 0x00, 0x17, 0x00, 0x09, 0x00, 0x00), -1,
	  "extension extended_master_secret: 2 bytes, (truncated)" },
	{ "host name past its list", 1, 0,
	  MSG(HELLO, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00,
	      0x00, 0x0b, 0x00, 0x00, 0x00, 0x07,
	      0x00, 0x05, 0x00, 0x00, 0x09, 'a', 'b'), -1,
	  "extension server_name: (truncated)" },
	{ "bytes after the host name list", 1, 0,
	  MSG(HELLO, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00,
	      0x00, 0x0c, 0x00, 0x00, 0x00, 0x08,
	      0x00, 0x04, 0x00, 0x00, 0x01, 'a', 0xee, 0xff), -1,
	  "extension server_name: a, (2 unexpected trailing bytes)" },
	{ "a non-printable host name", 1, 0,
	  MSG(HELLO, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00,
	      0x00, 0x0a, 0x00, 0x00, 0x00, 0x06,
	      0x00, 0x04, 0x00, 0x00, 0x01, '\n'), 0,
	  "extension server_name: \\x0a\n" },
	{ "a draft version", 1, 0,
	  MSG(HELLO, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00,
	      0x00, 0x07, 0x00, 0x2b, 0x00, 0x03, 0x02, 0x7f, 0x1c), 0,
	  "extension supported_versions: TLS 1.3 draft 28\n" },
	{ "one stray byte of extensions", 1, 0,
	  MSG(HELLO, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00),
	  -1, "extension (truncated)" },
	{ "bytes after the extensions", 2, 0x0304,
	  MSG(HELLO, 0x13, 0x02, 0x00,
	      0x00, 0x06, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0xde, 0xad), -1,
	  "(2 unexpected trailing bytes)" },
	{ "a ServerHello cut in its cipher suite", 2, 0,
	  MSG(HELLO, 0x13), -1, "cipher suite (truncated)" },
	{ "a retry seen as a ServerHello", 2, 0,
	  MSG(0x03, 0x03, HRR_RANDOM, 0x00, 0x13, 0x01, 0x00,
	      0x00, 0x0c, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04,
	      0x00, 0x33, 0x00, 0x02, 0x00, 0x18), 0,
	  "T HelloRetryRequest, 52 bytes\n" },
	{ "a retry's key_share", 1025, 0,
	  MSG(0x03, 0x03, HRR_RANDOM, 0x00, 0x13, 0x01, 0x00,
	      0x00, 0x0c, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04,
	      0x00, 0x33, 0x00, 0x02, 0x00, 0x18), 0,
	  "extension key_share: wants secp384r1\n" },
	{ "a downgrade sentinel", 2, 0,
	  MSG(0x03, 0x03, R16, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	      0x11, 'D', 'O', 'W', 'N', 'G', 'R', 'D', 0x01,
	      0x00, 0xc0, 0x2f, 0x00), 0,
	  "(downgrade sentinel: TLS 1.2)\n" },
	{ "a TLS 1.3 certificate that is not X.509", 11, 0x0304,
	  MSG(0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x04, 0xde, 0xad, 0xbe,
	      0xef, 0x00, 0x00), 0,
	  "not an X.509 certificate" },
	{ "a TLS 1.3 certificate's OCSP response", 11, 0x0304,
	  MSG(0x00, 0x00, 0x00, 0x13, 0x00, 0x00, 0x01, 0x00, 0x00, 0x0d,
	      0x00, 0x05, 0x00, 0x09, 0x01, 0x00, 0x00, 0x05,
	      1, 2, 3, 4, 5), 0,
	  "      extension status_request: OCSP response 5 bytes\n" },
	{ "a certificate past its list", 11, 0x0303,
	  MSG(0x00, 0x00, 0x05, 0x00, 0x00, 0x09, 0x30), -1,
	  "certificate 0: 1 bytes (truncated)" },
	{ "an empty chain", 11, 0x0303, MSG(0x00, 0x00, 0x00), 0,
	  "no certificates" },
	{ "a TLS 1.2 CertificateRequest", 13, 0x0303,
	  MSG(0x02, 0x01, 0x40, 0x00, 0x04, 0x04, 0x03, 0x04, 0x02,
	      0x00, 0x11, 0x00, 0x0f, DN_CA), 0,
	  "certificate authorities: CN=ca\n" },
	{ "TLS 1.2 signature pairs", 13, 0x0303,
	  MSG(0x02, 0x01, 0x40, 0x00, 0x04, 0x04, 0x03, 0x04, 0x02,
	      0x00, 0x00), 0,
	  "signature algorithms: ecdsa_secp256r1_sha256, dsa_sha256\n" },
	{ "a TLS 1.3 CertificateRequest", 13, 0x0304,
	  MSG(0x00, 0x00, 0x0a, 0x00, 0x0d, 0x00, 0x06, 0x00, 0x04,
	      0x08, 0x07, 0x08, 0x08), 0,
	  "extension signature_algorithms: ed25519, ed448\n" },
	{ "a signed ECDHE ServerKeyExchange", 12, 0x0303,
	  MSG(0x03, 0x00, 0x1d, 0x04, 1, 2, 3, 4,
	      0x08, 0x04, 0x00, 0x02, 0xaa, 0xbb), 0,
	  "ECDHE x25519, public key 4 bytes\n"
	  "T     signature: rsa_pss_rsae_sha256, 2 bytes\n" },
	{ "an ECDHE_PSK ServerKeyExchange", 12, 0x0303,
	  MSG(0x00, 0x02, 'h', 'i', 0x03, 0x00, 0x17, 0x02, 1, 2), 0,
	  "PSK identity hint 2 bytes\nT     ECDHE secp256r1, public key 2 "
	  "bytes\n" },
	{ "a DHE ServerKeyExchange", 12, 0x0303,
	  MSG(0x00, 0x04, 1, 2, 3, 4, 0x00, 0x01, 2, 0x00, 0x02, 5, 6,
	      0x04, 0x01, 0x00, 0x01, 0xaa), 0,
	  "DHE, prime 32 bits, public key 2 bytes\n" },
	{ "a ServerKeyExchange of nothing known", 12, 0x0303,
	  MSG(0x09, 0x09, 0x09), -1,
	  "of no known key exchange, or (truncated)" },
	{ "a PSK ClientKeyExchange", 16, 0x0303,
	  MSG(0x00, 0x04, 't', 'l', 's', 'o'), 0,
	  "4 bytes: a DH public key, an encrypted premaster secret or a "
	  "PSK identity\n" },
	{ "an ECDHE_PSK ClientKeyExchange", 16, 0x0303,
	  MSG(0x00, 0x04, 't', 'l', 's', 'o', 0x02, 0x04, 0x05), 0,
	  "PSK identity \"tlso\", ECDH public key 2 bytes\n" },
	{ "a CertificateVerify cut in its signature", 15, 0x0304,
	  MSG(0x04, 0x03, 0x00, 0x10, 0x30), -1,
	  "signature: ecdsa_secp256r1_sha256, 1 bytes, (truncated)" },
	{ "a ServerHelloDone with a body", 14, 0x0303, MSG(0x00), -1,
	  "(1 unexpected trailing bytes)" },
	{ "a TLS 1.3 ticket", 4, 0x0304,
	  MSG(0x00, 0x00, 0x1c, 0x20, 0x01, 0x02, 0x03, 0x04, 0x01, 0x00,
	      0x00, 0x03, 0xaa, 0xbb, 0xcc,
	      0x00, 0x08, 0x00, 0x2a, 0x00, 0x04, 0x00, 0x00, 0x40, 0x00), 0,
	  "lifetime 7200 s, age_add 0x01020304, nonce 1 bytes, ticket 3 "
	  "bytes\nT     extension early_data: max_early_data_size 16384\n" },
	{ "a TLS 1.2 ticket", 4, 0x0303,
	  MSG(0x00, 0x00, 0x0e, 0x10, 0x00, 0x02, 0xaa, 0xbb), 0,
	  "lifetime hint 3600 s, ticket 2 bytes\n" },
	{ "KeyUpdate", 24, 0x0304, MSG(0x01), 0, "update_requested\n" },
	{ "an empty KeyUpdate", 24, 0x0304, NULL, 0, -1,
	  "request_update (truncated)" },
	{ "an unknown message", 99, 0, MSG(1, 2, 3), 0,
	  "T handshake message type 99, 3 bytes\n" },
	{ "EncryptedExtensions, none", 8, 0x0304, MSG(0x00, 0x00), 0,
	  "no extensions" },
	{ "a GREASE extension and an ack", 8, 0x0304,
	  MSG(0x00, 0x08, 0x3a, 0x3a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00),
	  0, "extension GREASE(0x3a3a)\nT     extension server_name\n" },
	{ "a record_size_limit", 8, 0x0304,
	  MSG(0x00, 0x06, 0x00, 0x1c, 0x00, 0x02, 0x40, 0x01), 0,
	  "extension record_size_limit: 16385\n" },
	{ "a compressed certificate", 25, 0x0304,
	  MSG(0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0xaa, 0xbb),
	  0, "brotli, 256 bytes compressed to 2\n" },
};

TEST(hand_written_messages)
{
	const struct bad_case *c;
	char *text;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		text = decode(c->htype, c->version, c->msg, c->len, &ret);
		if (ret != c->ret || !strstr(text, c->want)) {
			printf("# %s: returned %d, wanted %d and \"%s\":\n",
			       c->what, ret, c->ret, c->want);
			dump(text);
		}
		EXPECT_EQ(ret, c->ret);
		EXPECT_TRUE(strstr(text, c->want) != NULL);
		free(text);
	}
}

TEST(null_arguments)
{
	FILE *f = fopen("/dev/null", "w");

	ASSERT_TRUE(f != NULL);
	EXPECT_EQ(tlsod_trace_decode(NULL, "", 1, 0, client_hello, 10), -1);
	EXPECT_EQ(tlsod_trace_decode(f, "", 1, 0, NULL, 10), -1);
	/* GnuTLS may well hand an empty message as NULL */
	EXPECT_EQ(tlsod_trace_decode(f, NULL,
				     GNUTLS_HANDSHAKE_SERVER_HELLO_DONE, 0,
				     NULL, 0), 0);
	fclose(f);
}

/* xorshift32: the same bytes on every run */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void garble(FILE *f, unsigned int htype, unsigned int version,
		   const unsigned char *base, size_t len, uint32_t *seed)
{
	unsigned char *buf = malloc(len ? len : 1);
	size_t i, k;
	int ret;

	ASSERT_TRUE(buf != NULL);
	memcpy(buf, base, len);
	for (k = 0; len && k < 1 + rnd(seed) % 4; k++) {
		i = rnd(seed) % len;
		buf[i] = (unsigned char)rnd(seed);
	}
	ret = tlsod_trace_decode(f, "", htype, version, buf, len);
	EXPECT_TRUE(ret == 0 || ret == -1);
	free(buf);
}

/* Noise, and messages with a few bytes changed, as every type. */
TEST(garbage_does_not_crash)
{
	static const unsigned int types[] = {
		0, 1, 2, 3, 4, 5, 8, 11, 12, 13, 14, 15, 16, 20, 22, 23, 24,
		25, 254, 1024, 1025, 77,
	};
	unsigned char noise[256];
	uint32_t seed = 0x746c736f;
	FILE *f = fopen("/dev/null", "w");
	size_t t, n, i;

	ASSERT_TRUE(f != NULL);
	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		for (n = 0; n < 200; n++) {
			for (i = 0; i < sizeof(noise); i++)
				noise[i] = (unsigned char)rnd(&seed);
			garble(f, types[t], n & 1 ? 0x0304 : 0x0303, noise,
			       rnd(&seed) % sizeof(noise), &seed);
		}
	}
	for (n = 0; n < 3000; n++)
		garble(f, n % 3 ? 1 : 2, 0, client_hello,
		       sizeof(client_hello), &seed);
	fclose(f);
}

/* ---- the extensions of resumption, one at a time ---- */

/*
 * One extension, which wrap_ext() puts in the least message of htype
 * that carries extensions; the lengths around it are made to fit, so
 * that only what is wrong in the body itself shows.  cut then takes
 * bytes off the message's end, into the body.
 */
struct ext_case {
	const char *what;
	unsigned int htype;
	uint16_t type;
	const unsigned char *body;
	size_t len, cut;
	int ret;
	const char *want;	/* whole lines */
};

static size_t wrap_ext(unsigned char *buf, size_t size,
		       const struct ext_case *c)
{
	/* TLS_AES_128_GCM_SHA256 and null compression */
	static const unsigned char ch[] = {
		HELLO, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00,
	};
	static const unsigned char sh[] = { HELLO, 0x13, 0x01, 0x00 };
	/* TLS 1.3: 7200 s, its age_add, a nonce and a ticket */
	static const unsigned char nst[] = {
		0x00, 0x00, 0x1c, 0x20, 0x01, 0x02, 0x03, 0x04, 0x01, 0x00,
		0x00, 0x03, 0xaa, 0xbb, 0xcc,
	};
	const unsigned char *head = NULL;
	size_t hlen = 0, o;

	if (c->htype == GNUTLS_HANDSHAKE_CLIENT_HELLO) {
		head = ch;
		hlen = sizeof(ch);
	} else if (c->htype == GNUTLS_HANDSHAKE_SERVER_HELLO) {
		head = sh;
		hlen = sizeof(sh);
	} else if (c->htype == GNUTLS_HANDSHAKE_NEW_SESSION_TICKET) {
		head = nst;
		hlen = sizeof(nst);
	}
	ASSERT_LE(hlen + 6 + c->len, size);
	ASSERT_LE(c->cut, c->len);
	if (hlen)
		memcpy(buf, head, hlen);
	o = hlen;
	buf[o++] = (unsigned char)((4 + c->len) >> 8);
	buf[o++] = (unsigned char)(4 + c->len);
	buf[o++] = (unsigned char)(c->type >> 8);
	buf[o++] = (unsigned char)c->type;
	buf[o++] = (unsigned char)(c->len >> 8);
	buf[o++] = (unsigned char)c->len;
	if (c->len)
		memcpy(buf + o, c->body, c->len);
	return o + c->len - c->cut;
}

/* want, as whole lines, in text. */
static bool has_lines(const char *text, const char *want)
{
	const char *p;

	for (p = text; (p = strstr(p, want)); p++)
		if (p == text || p[-1] == '\n')
			return true;
	return false;
}

#define CH GNUTLS_HANDSHAKE_CLIENT_HELLO
#define SH GNUTLS_HANDSHAKE_SERVER_HELLO
#define EE GNUTLS_HANDSHAKE_ENCRYPTED_EXTENSIONS
#define NST GNUTLS_HANDSHAKE_NEW_SESSION_TICKET
#define X "T     extension "
/* an external PSK's entry: "tlso", which has no age */
#define PSK_TLSO 0x00, 0x04, 't', 'l', 's', 'o', 0x00, 0x00, 0x00, 0x00
#define BINDER32 0x20, R16, R16

static const struct ext_case ext_cases[] = {
	/* pre_shared_key, RFC 8446 4.2.11 */
	{ "an external PSK", CH, 41,
	  MSG(0x00, 0x0a, PSK_TLSO, 0x00, 0x21, BINDER32), 0, 0,
	  X "pre_shared_key: 1 identity, 4 bytes with obfuscated age "
	  "0x00000000, 1 binder, 32 bytes\n" },
	{ "two tickets offered", CH, 41,
	  MSG(0x00, 0x11, 0x00, 0x02, 'a', 'b', 0x01, 0x02, 0x03, 0x04,
	      0x00, 0x03, 'x', 'y', 'z', 0xa0, 0xb0, 0xc0, 0xd0,
	      0x00, 0x32, BINDER32, 0x10, R16), 0, 0,
	  X "pre_shared_key: 2 identities, 2 bytes with obfuscated age "
	  "0x01020304,\nT         3 bytes with obfuscated age 0xa0b0c0d0, "
	  "2 binders, 32 bytes, 16 bytes\n" },
	{ "the PSK taken", SH, 41, MSG(0x00, 0x01), 0, 0,
	  X "pre_shared_key: selected identity 1\n" },
	{ "half a selected identity", SH, 41, MSG(0x00), 0, -1,
	  X "pre_shared_key: (truncated)\n" },
	{ "a byte after the selected identity", SH, 41,
	  MSG(0x00, 0x00, 0xff), 0, -1,
	  X "pre_shared_key: selected identity 0, "
	  "(1 unexpected trailing bytes)\n" },
	{ "an identity cut in its age", CH, 41,
	  MSG(0x00, 0x05, 0x00, 0x02, 'a', 'b', 0x00, 0x00, 0x21,
	      BINDER32), 0, -1,
	  X "pre_shared_key: 0 identities, (truncated)\n" },
	{ "identities past the extension", CH, 41,
	  MSG(0x01, 0x00, 0x00, 0x02, 'a', 'b', 0x00, 0x00, 0x00, 0x07),
	  0, -1,
	  X "pre_shared_key: 1 identity, 2 bytes with obfuscated age "
	  "0x00000007, (truncated)\n" },
	{ "no binders", CH, 41, MSG(0x00, 0x0a, PSK_TLSO), 0, -1,
	  X "pre_shared_key: 1 identity, 4 bytes with obfuscated age "
	  "0x00000000, 0 binders,\nT         (truncated)\n" },
	{ "a binder past its list", CH, 41,
	  MSG(0x00, 0x0a, PSK_TLSO, 0x00, 0x05, 0x01, 0xaa, 0x20, 0xbb,
	      0xcc), 0, -1,
	  X "pre_shared_key: 1 identity, 4 bytes with obfuscated age "
	  "0x00000000, 1 binder, 1 bytes,\nT         (truncated)\n" },
	{ "a byte after the binders", CH, 41,
	  MSG(0x00, 0x0a, PSK_TLSO, 0x00, 0x21, BINDER32, 0xee), 0, -1,
	  X "pre_shared_key: 1 identity, 4 bytes with obfuscated age "
	  "0x00000000, 1 binder, 32 bytes,\nT         "
	  "(1 unexpected trailing bytes)\n" },
	{ "a message cut in the binder", CH, 41,
	  MSG(0x00, 0x0a, PSK_TLSO, 0x00, 0x21, BINDER32), 10, -1,
	  X "pre_shared_key: 1 identity, 4 bytes with obfuscated age "
	  "0x00000000, 0 binders,\nT         (truncated)\n" },
	/* psk_key_exchange_modes, RFC 8446 4.2.9 */
	{ "both modes", CH, 45, MSG(0x02, 0x00, 0x01), 0, 0,
	  X "psk_key_exchange_modes: psk_ke, psk_dhe_ke\n" },
	{ "an unknown mode", CH, 45, MSG(0x02, 0x01, 0x07), 0, 0,
	  X "psk_key_exchange_modes: psk_dhe_ke, 7\n" },
	{ "modes past the extension", CH, 45, MSG(0x03, 0x01), 0, -1,
	  X "psk_key_exchange_modes: psk_dhe_ke, (truncated)\n" },
	{ "a byte after the modes", CH, 45, MSG(0x01, 0x00, 0xff), 0, -1,
	  X "psk_key_exchange_modes: psk_ke, "
	  "(1 unexpected trailing bytes)\n" },
	/* session_ticket, RFC 5077 3.2 */
	{ "a ticket asked for", CH, 35, NULL, 0, 0, 0,
	  X "session_ticket: empty (asking for a ticket)\n" },
	{ "a ticket offered", CH, 35, MSG(1, 2, 3, 4, 5), 0, 0,
	  X "session_ticket: ticket 5 bytes (offered to resume)\n" },
	{ "a message cut in the ticket", CH, 35, MSG(1, 2, 3, 4, 5), 2, -1,
	  X "session_ticket: ticket 3 bytes (offered to resume), "
	  "(truncated)\n" },
	{ "a message cut before the ticket", CH, 35, MSG(1, 2), 2, -1,
	  X "session_ticket: (truncated)\n" },
	{ "a ticket promised", SH, 35, NULL, 0, 0, 0,
	  X "session_ticket: empty (a NewSessionTicket will follow)\n" },
	{ "a ticket from the server", SH, 35, MSG(0xaa, 0xbb), 0, -1,
	  X "session_ticket: (2 unexpected trailing bytes)\n" },
	/* early_data, RFC 8446 4.2.10 */
	{ "early data sent", CH, 42, NULL, 0, 0, 0,
	  X "early_data: empty (early data follows)\n" },
	{ "early data accepted", EE, 42, NULL, 0, 0, 0,
	  X "early_data: empty (early data accepted)\n" },
	{ "a byte in the accepting early_data", EE, 42, MSG(0x00), 0, -1,
	  X "early_data: (1 unexpected trailing bytes)\n" },
	{ "early data allowed", NST, 42, MSG(0x00, 0x00, 0x40, 0x00), 0, 0,
	  X "early_data: max_early_data_size 16384\n" },
	{ "half a max_early_data_size", NST, 42, MSG(0x00, 0x00), 0, -1,
	  X "early_data: (truncated)\n" },
	{ "a byte after max_early_data_size", NST, 42,
	  MSG(0x00, 0x00, 0x40, 0x00, 0xff), 0, -1,
	  X "early_data: max_early_data_size 16384, "
	  "(1 unexpected trailing bytes)\n" },
	{ "a message cut in max_early_data_size", NST, 42,
	  MSG(0x00, 0x00, 0x40, 0x00), 1, -1,
	  X "early_data: (truncated)\n" },
};

/*
 * Each case's exact line; then, for the well-formed, every prefix of the
 * message, and for all of them a few thousand with bytes changed.
 */
TEST(resumption_extensions)
{
	const struct ext_case *c;
	unsigned char msg[128];
	uint32_t seed = 0x70736b21;
	FILE *f = fopen("/dev/null", "w");
	size_t i, k, len, ok_at;
	char *text;
	int ret;

	ASSERT_TRUE(f != NULL);
	for (i = 0; i < sizeof(ext_cases) / sizeof(ext_cases[0]); i++) {
		c = &ext_cases[i];
		len = wrap_ext(msg, sizeof(msg), c);
		text = decode(c->htype, 0x0304, msg, len, &ret);
		if (ret != c->ret || !has_lines(text, c->want)) {
			printf("# %s: returned %d, wanted %d and:\n", c->what,
			       ret, c->ret);
			dump(c->want);
			printf("# got:\n");
			dump(text);
		}
		EXPECT_EQ(ret, c->ret);
		EXPECT_TRUE(has_lines(text, c->want));
		free(text);
		if (!c->ret) {
			ok_at = c->htype == CH || c->htype == SH ?
				hello_end(msg, len, c->htype == CH) : SIZE_MAX;
			every_prefix(c->htype, 0x0304, msg, len, ok_at);
		}
		for (k = 0; k < 200; k++)
			garble(f, c->htype, 0x0304, msg, len, &seed);
	}
	fclose(f);
}

#undef CH
#undef SH
#undef EE
#undef NST
#undef X

/*
 * The suite table against GnuTLS's own: wherever both name a code point
 * they must mean the same suite.  GnuTLS leaves out "WITH", says SHA1 for
 * SHA, and no hash after a TLS 1.2 ChaCha20 suite; IANA's names of
 * 0xc0aa and 0xc0ab put PSK before DHE.
 */
static void normalize(char *s)
{
	char *p;
	size_t n;

	p = strstr(s, "WITH_");
	if (p) {
		memmove(p, p + 5, strlen(p + 5) + 1);
		p = strstr(s, "CHACHA20_POLY1305_SHA256");
		if (p)
			p[strlen("CHACHA20_POLY1305")] = '\0';
	}
	p = strstr(s, "PSK_DHE_");
	if (p)
		memcpy(p, "DHE_PSK_", 8);
	n = strlen(s);
	if (n > 4 && !strcmp(s + n - 4, "_SHA"))
		strcat(s, "1");
}

static bool suite_named(unsigned int code, char *name, size_t size)
{
	unsigned char sh[] = { HELLO, code >> 8, code & 0xff, 0x00 };
	char *text, *p, *nl;
	int ret;

	text = decode(GNUTLS_HANDSHAKE_SERVER_HELLO, 0x0303, sh, sizeof(sh),
		      &ret);
	EXPECT_EQ(ret, 0);
	p = strstr(text, "cipher suite ");
	ASSERT_TRUE(p != NULL);
	p += strlen("cipher suite ");
	nl = strchr(p, '\n');
	snprintf(name, size, "%.*s", (int)(nl - p), p);
	free(text);
	return strncmp(name, "0x", 2) != 0;
}

TEST(suite_names_agree_with_gnutls)
{
	gnutls_cipher_algorithm_t cipher;
	gnutls_protocol_t minver;
	gnutls_mac_algorithm_t mac;
	gnutls_kx_algorithm_t kx;
	unsigned char id[2];
	char ours[96], theirs[96];
	const char *name;
	int same = 0;
	size_t i;

	for (i = 0; (name = gnutls_cipher_suite_info(i, id, &kx, &cipher, &mac,
						      &minver)); i++) {
		bool aead = cipher == GNUTLS_CIPHER_AES_128_GCM ||
			    cipher == GNUTLS_CIPHER_AES_256_GCM ||
			    cipher == GNUTLS_CIPHER_CHACHA20_POLY1305 ||
			    cipher == GNUTLS_CIPHER_AES_128_CCM ||
			    cipher == GNUTLS_CIPHER_AES_256_CCM ||
			    cipher == GNUTLS_CIPHER_AES_128_CCM_8 ||
			    cipher == GNUTLS_CIPHER_AES_256_CCM_8;
		bool wanted = minver == GNUTLS_TLS1_3 ||
			      (aead && kx != GNUTLS_KX_ANON_DH &&
			       kx != GNUTLS_KX_ANON_ECDH &&
			       kx != GNUTLS_KX_DHE_DSS);

		if (!suite_named((unsigned int)(id[0] << 8 | id[1]), ours,
				 sizeof(ours))) {
			if (wanted)
				printf("# no name for %s\n", name);
			EXPECT_FALSE(wanted);
			continue;
		}
		normalize(ours);
		snprintf(theirs, sizeof(theirs), "%s", name);
		if (strcmp(ours, theirs))
			printf("# 0x%02x%02x: ours %s, GnuTLS's %s\n", id[0],
			       id[1], ours, theirs);
		EXPECT_STREQ(ours, theirs);
		same++;
	}
	EXPECT_GT(same, 50);
}

TEST_HARNESS_MAIN
