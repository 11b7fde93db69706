// SPDX-License-Identifier: GPL-2.0
/*
 * trace.c - tlsod --trace: each handshake message, decoded, as it passes.
 *
 * Every field is read through a bounds-checked reader (struct rd): a peer
 * can send anything, and a message may be cut anywhere, so nothing is
 * ever read that the reader has not first checked is there.  Code points
 * are named after the IANA TLS registries (RFC 8446, RFC 5246 and the
 * RFCs that filled the registries since); certificates are parsed by
 * GnuTLS, never here.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "trace.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define TLS13_VERSION	0x0304
#define WRAP		100	/* lists wrap past this column */
#define IND		4	/* a message's fields */
#define IND2		6	/* what belongs to one of them */

/* ---- reading ---- */

struct rd {
	const unsigned char *p;
	size_t n;		/* bytes left */
};

/* A big-endian integer of width bytes. */
static bool rd_uint(struct rd *r, size_t width, uint32_t *v)
{
	size_t i;

	if (r->n < width)
		return false;
	*v = 0;
	for (i = 0; i < width; i++)
		*v = *v << 8 | r->p[i];
	r->p += width;
	r->n -= width;
	return true;
}

static bool rd_take(struct rd *r, size_t len, struct rd *sub)
{
	if (r->n < len)
		return false;
	sub->p = r->p;
	sub->n = len;
	r->p += len;
	r->n -= len;
	return true;
}

static void rd_skip_all(struct rd *r)
{
	r->p += r->n;
	r->n = 0;
}

/*
 * A vector with a length prefix of width bytes.  One that is cut short
 * still gives what did arrive, so that it can be shown; false says it
 * was cut, and then r is used up.
 */
static bool rd_vec(struct rd *r, size_t width, struct rd *sub)
{
	uint32_t len;

	sub->p = r->p;
	sub->n = 0;
	if (!rd_uint(r, width, &len)) {
		rd_skip_all(r);
		return false;
	}
	if (len <= r->n)
		return rd_take(r, len, sub);
	sub->p = r->p;
	sub->n = r->n;
	rd_skip_all(r);
	return false;
}

/* ---- names ---- */

struct name {
	uint16_t code;
	const char *name;
};

typedef const char *name_fn(uint32_t code, char *buf, size_t size);

/* RFC 8701: 0x0a0a, 0x1a1a ... 0xfafa are sent only to keep peers honest
 * about ignoring what they do not know. */
static bool is_grease(uint32_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static const char *lookup(const struct name *tab, size_t n, uint32_t code,
			  char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tab[i].code == code)
			return tab[i].name;
	if (is_grease(code))
		snprintf(buf, size, "GREASE(0x%04x)", code);
	else
		snprintf(buf, size, "0x%04x", code);
	return buf;
}

#define LOOKUP(tab, code, buf, size) \
	lookup(tab, ARRAY_SIZE(tab), code, buf, size)

static const struct name suites[] = {
	/* TLS 1.3, RFC 8446 B.4, RFC 8998 */
	{ 0x1301, "TLS_AES_128_GCM_SHA256" },
	{ 0x1302, "TLS_AES_256_GCM_SHA384" },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256" },
	{ 0x1304, "TLS_AES_128_CCM_SHA256" },
	{ 0x1305, "TLS_AES_128_CCM_8_SHA256" },
	{ 0x00c6, "TLS_SM4_GCM_SM3" },
	{ 0x00c7, "TLS_SM4_CCM_SM3" },
	/* signalling values, RFC 5746 and RFC 7507 */
	{ 0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV" },
	{ 0x5600, "TLS_FALLBACK_SCSV" },
	/* ECDHE AEAD: RFC 5289, RFC 7251, RFC 7905 */
	{ 0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ 0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM" },
	{ 0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM" },
	{ 0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8" },
	{ 0xc0af, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8" },
	/* DHE and RSA AEAD: RFC 5288, RFC 6655, RFC 7905 */
	{ 0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xc09e, "TLS_DHE_RSA_WITH_AES_128_CCM" },
	{ 0xc09f, "TLS_DHE_RSA_WITH_AES_256_CCM" },
	{ 0xc0a2, "TLS_DHE_RSA_WITH_AES_128_CCM_8" },
	{ 0xc0a3, "TLS_DHE_RSA_WITH_AES_256_CCM_8" },
	{ 0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xc09c, "TLS_RSA_WITH_AES_128_CCM" },
	{ 0xc09d, "TLS_RSA_WITH_AES_256_CCM" },
	{ 0xc0a0, "TLS_RSA_WITH_AES_128_CCM_8" },
	{ 0xc0a1, "TLS_RSA_WITH_AES_256_CCM_8" },
	/* PSK AEAD: RFC 5487, RFC 6655, RFC 7905, RFC 8442 */
	{ 0x00a8, "TLS_PSK_WITH_AES_128_GCM_SHA256" },
	{ 0x00a9, "TLS_PSK_WITH_AES_256_GCM_SHA384" },
	{ 0x00aa, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256" },
	{ 0x00ab, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384" },
	{ 0x00ac, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256" },
	{ 0x00ad, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384" },
	{ 0xccab, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xccac, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xccad, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xccae, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xc0a4, "TLS_PSK_WITH_AES_128_CCM" },
	{ 0xc0a5, "TLS_PSK_WITH_AES_256_CCM" },
	{ 0xc0a6, "TLS_DHE_PSK_WITH_AES_128_CCM" },
	{ 0xc0a7, "TLS_DHE_PSK_WITH_AES_256_CCM" },
	{ 0xc0a8, "TLS_PSK_WITH_AES_128_CCM_8" },
	{ 0xc0a9, "TLS_PSK_WITH_AES_256_CCM_8" },
	{ 0xc0aa, "TLS_PSK_DHE_WITH_AES_128_CCM_8" },
	{ 0xc0ab, "TLS_PSK_DHE_WITH_AES_256_CCM_8" },
	{ 0xd001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256" },
	{ 0xd002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384" },
	{ 0xd003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256" },
	{ 0xd005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256" },
	/* CBC, still offered by default by many (GnuTLS's NORMAL too) */
	{ 0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
	{ 0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
	{ 0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
	{ 0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" },
	{ 0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" },
	{ 0xc035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA" },
	{ 0xc036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA" },
	{ 0xc037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256" },
	{ 0xc038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384" },
	{ 0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0x008c, "TLS_PSK_WITH_AES_128_CBC_SHA" },
	{ 0x008d, "TLS_PSK_WITH_AES_256_CBC_SHA" },
	{ 0x00ae, "TLS_PSK_WITH_AES_128_CBC_SHA256" },
	{ 0x00af, "TLS_PSK_WITH_AES_256_CBC_SHA384" },
	{ 0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA" },
	{ 0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA" },
	{ 0x00b2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256" },
	{ 0x00b3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384" },
};

static const struct name groups[] = {
	{ 0x0013, "secp192r1" },
	{ 0x0015, "secp224r1" },
	{ 0x0016, "secp256k1" },
	{ 0x0017, "secp256r1" },
	{ 0x0018, "secp384r1" },
	{ 0x0019, "secp521r1" },
	{ 0x001a, "brainpoolP256r1" },
	{ 0x001b, "brainpoolP384r1" },
	{ 0x001c, "brainpoolP512r1" },
	{ 0x001d, "x25519" },
	{ 0x001e, "x448" },
	{ 0x001f, "brainpoolP256r1tls13" },
	{ 0x0020, "brainpoolP384r1tls13" },
	{ 0x0021, "brainpoolP512r1tls13" },
	{ 0x0022, "GC256A" },
	{ 0x0023, "GC256B" },
	{ 0x0024, "GC256C" },
	{ 0x0025, "GC256D" },
	{ 0x0026, "GC512A" },
	{ 0x0027, "GC512B" },
	{ 0x0028, "GC512C" },
	{ 0x0029, "curveSM2" },
	{ 0x0100, "ffdhe2048" },
	{ 0x0101, "ffdhe3072" },
	{ 0x0102, "ffdhe4096" },
	{ 0x0103, "ffdhe6144" },
	{ 0x0104, "ffdhe8192" },
	{ 0x0200, "MLKEM512" },
	{ 0x0201, "MLKEM768" },
	{ 0x0202, "MLKEM1024" },
	{ 0x11eb, "SecP256r1MLKEM768" },
	{ 0x11ec, "X25519MLKEM768" },
	{ 0x11ed, "SecP384r1MLKEM1024" },
	{ 0x6399, "X25519Kyber768Draft00" },
};

static const struct name schemes[] = {
	{ 0x0201, "rsa_pkcs1_sha1" },
	{ 0x0203, "ecdsa_sha1" },
	{ 0x0401, "rsa_pkcs1_sha256" },
	{ 0x0403, "ecdsa_secp256r1_sha256" },
	{ 0x0501, "rsa_pkcs1_sha384" },
	{ 0x0503, "ecdsa_secp384r1_sha384" },
	{ 0x0601, "rsa_pkcs1_sha512" },
	{ 0x0603, "ecdsa_secp521r1_sha512" },
	{ 0x0708, "sm2sig_sm3" },
	{ 0x0709, "gostr34102012_256a" },
	{ 0x070a, "gostr34102012_256b" },
	{ 0x070b, "gostr34102012_256c" },
	{ 0x070c, "gostr34102012_256d" },
	{ 0x070d, "gostr34102012_512a" },
	{ 0x070e, "gostr34102012_512b" },
	{ 0x070f, "gostr34102012_512c" },
	{ 0x0804, "rsa_pss_rsae_sha256" },
	{ 0x0805, "rsa_pss_rsae_sha384" },
	{ 0x0806, "rsa_pss_rsae_sha512" },
	{ 0x0807, "ed25519" },
	{ 0x0808, "ed448" },
	{ 0x0809, "rsa_pss_pss_sha256" },
	{ 0x080a, "rsa_pss_pss_sha384" },
	{ 0x080b, "rsa_pss_pss_sha512" },
	{ 0x081a, "ecdsa_brainpoolP256r1tls13_sha256" },
	{ 0x081b, "ecdsa_brainpoolP384r1tls13_sha384" },
	{ 0x081c, "ecdsa_brainpoolP512r1tls13_sha512" },
	{ 0x0904, "mldsa44" },
	{ 0x0905, "mldsa65" },
	{ 0x0906, "mldsa87" },
	/* TLS 1.2 GOST, RFC 9189 */
	{ 0xeded, "gostr34102001" },
	{ 0xeeee, "gostr34102012_256" },
	{ 0xefef, "gostr34102012_512" },
};

static const char *suite_name(uint32_t v, char *buf, size_t size)
{
	return LOOKUP(suites, v, buf, size);
}

static const char *group_name(uint32_t v, char *buf, size_t size)
{
	return LOOKUP(groups, v, buf, size);
}

/* TLS 1.2's SignatureAndHashAlgorithm pairs (RFC 5246 7.4.1.4.1) that no
 * TLS 1.3 scheme took over are named after their two halves. */
static const char *scheme_name(uint32_t v, char *buf, size_t size)
{
	static const char *const hash[] = {
		NULL, "md5", "sha1", "sha224", "sha256", "sha384", "sha512",
	};
	static const char *const sig[] = { NULL, "rsa", "dsa", "ecdsa" };
	const char *s = LOOKUP(schemes, v, buf, size);
	uint32_t h = v >> 8, a = v & 0xff;

	if (s != buf || !h || h >= ARRAY_SIZE(hash) || !a ||
	    a >= ARRAY_SIZE(sig))
		return s;
	snprintf(buf, size, "%s_%s", sig[a], hash[h]);
	return buf;
}

static const char *version_name(uint32_t v, char *buf, size_t size)
{
	static const struct name tab[] = {
		{ 0x0300, "SSL 3.0" },
		{ 0x0301, "TLS 1.0" },
		{ 0x0302, "TLS 1.1" },
		{ 0x0303, "TLS 1.2" },
		{ 0x0304, "TLS 1.3" },
		{ 0xfeff, "DTLS 1.0" },
		{ 0xfefd, "DTLS 1.2" },
		{ 0xfefc, "DTLS 1.3" },
	};

	/* what TLS 1.3 implementations sent before the RFC */
	if ((v & 0xff00) == 0x7f00) {
		snprintf(buf, size, "TLS 1.3 draft %u", v & 0xff);
		return buf;
	}
	return LOOKUP(tab, v, buf, size);
}

/* One-byte code points: a table indexed by the code. */
static const char *small_name(const char *const *tab, size_t n, uint32_t v,
			      char *buf, size_t size)
{
	if (v < n && tab[v])
		return tab[v];
	snprintf(buf, size, "%u", v);
	return buf;
}

#define SMALL(tab, v, buf, size) small_name(tab, ARRAY_SIZE(tab), v, buf, size)

static const char *compression_name(uint32_t v, char *buf, size_t size)
{
	static const char *const tab[] = { "null", "DEFLATE" };

	return SMALL(tab, v, buf, size);
}

static const char *point_format_name(uint32_t v, char *buf, size_t size)
{
	static const char *const tab[] = {
		"uncompressed", "ansiX962_compressed_prime",
		"ansiX962_compressed_char2",
	};

	return SMALL(tab, v, buf, size);
}

static const char *psk_mode_name(uint32_t v, char *buf, size_t size)
{
	static const char *const tab[] = { "psk_ke", "psk_dhe_ke" };

	return SMALL(tab, v, buf, size);
}

static const char *cert_type_name(uint32_t v, char *buf, size_t size)
{
	static const char *const tab[] = { "X.509", "OpenPGP", "RawPublicKey" };

	return SMALL(tab, v, buf, size);
}

static const char *cert_compression_name(uint32_t v, char *buf, size_t size)
{
	static const char *const tab[] = { NULL, "zlib", "brotli", "zstd" };

	return SMALL(tab, v, buf, size);
}

/* TLS 1.2 CertificateRequest's ClientCertificateType. */
static const char *client_cert_type_name(uint32_t v, char *buf, size_t size)
{
	static const char *const tab[] = {
		[1] = "rsa_sign", [2] = "dss_sign", [3] = "rsa_fixed_dh",
		[4] = "dss_fixed_dh", [5] = "rsa_ephemeral_dh",
		[6] = "dss_ephemeral_dh", [20] = "fortezza_dms",
		[64] = "ecdsa_sign", [65] = "rsa_fixed_ecdh",
		[66] = "ecdsa_fixed_ecdh",
	};

	return SMALL(tab, v, buf, size);
}

/* ---- writing ---- */

struct tr {
	FILE *out;
	const char *prefix;
	unsigned int version;
	bool bad;		/* truncated or malformed */
};

/* A line of "label: item, item, ...", wrapped when it gets long. */
struct line {
	struct tr *t;
	int indent;
	size_t col;
	size_t wrap;		/* column to wrap past */
	unsigned int items;
};

static void __attribute__((format(printf, 4, 5)))
line_start(struct line *l, struct tr *t, int indent, const char *fmt, ...)
{
	va_list ap;
	int n;

	l->t = t;
	l->indent = indent;
	l->wrap = WRAP;
	l->items = 0;
	fprintf(t->out, "%s%*s", t->prefix, indent, "");
	va_start(ap, fmt);
	n = vfprintf(t->out, fmt, ap);
	va_end(ap);
	l->col = (size_t)indent + (n > 0 ? (size_t)n : 0);
}

static void __attribute__((format(printf, 2, 3)))
line_add(struct line *l, const char *fmt, ...)
{
	FILE *out = l->t->out;
	char item[512];
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(item, sizeof(item), fmt, ap);
	va_end(ap);
	len = strlen(item);
	if (l->items && l->col + 2 + len > l->wrap) {
		fprintf(out, ",\n%s%*s", l->t->prefix, l->indent + IND, "");
		l->col = (size_t)l->indent + IND;
	} else {
		fputs(l->items ? ", " : ": ", out);
		l->col += 2;
	}
	fputs(item, out);
	l->col += len;
	l->items++;
}

static void line_end(struct line *l)
{
	fputc('\n', l->t->out);
}

/* The data ran out: say so where it happened. */
static void line_cut(struct line *l)
{
	l->t->bad = true;
	line_add(l, "(truncated)");
}

static void line_extra(struct line *l, size_t n)
{
	l->t->bad = true;
	line_add(l, "(%zu unexpected trailing bytes)", n);
}

static void __attribute__((format(printf, 3, 4)))
say(struct tr *t, int indent, const char *fmt, ...)
{
	va_list ap;

	fprintf(t->out, "%s%*s", t->prefix, indent, "");
	va_start(ap, fmt);
	vfprintf(t->out, fmt, ap);
	va_end(ap);
	fputc('\n', t->out);
}

/* For the fields a message cannot go on without. */
static bool need(struct tr *t, bool ok, const char *what)
{
	if (!ok) {
		say(t, IND, "%s (truncated)", what);
		t->bad = true;
	}
	return ok;
}

/* Up to max bytes as hex, "..." after them when there were more. */
static const char *hex(char *buf, size_t size, const struct rd *r,
		       size_t max)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < r->n && i < max && o + 3 < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%02x", r->p[i]);
	if (i < r->n && o + 4 <= size)
		memcpy(buf + o, "...", 4);
	return buf;
}

/* Printable ASCII as is, the rest as \xNN: these strings come from the
 * peer, and may be anything. */
static const char *esc(char *buf, size_t size, const unsigned char *s,
		       size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (size - o < 8) {
			memcpy(buf + o, "...", 4);
			return buf;
		}
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\')
			buf[o++] = (char)s[i];
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x",
					      s[i]);
	}
	buf[o] = '\0';
	return buf;
}

/* ---- extensions ---- */

enum ctx { C_CH, C_SH, C_HRR, C_EE, C_CERT, C_CR, C_NST };

/* Each shows a non-empty extension body on its line; false when the
 * data ran out. */
typedef bool ext_fn(struct line *l, struct rd *r, enum ctx c);

static bool x_len(struct line *l, struct rd *r, enum ctx c)
{
	(void)c;
	line_add(l, "%zu bytes", r->n);
	rd_skip_all(r);
	return true;
}

/* A vector, of a width-byte length, of cw-byte code points. */
static bool codes(struct line *l, struct rd *r, size_t width, size_t cw,
		  name_fn *name)
{
	struct rd v;
	bool whole = rd_vec(r, width, &v);
	char buf[48];
	uint32_t c;

	while (rd_uint(&v, cw, &c))
		line_add(l, "%s", name(c, buf, sizeof(buf)));
	return whole && !v.n;
}

static bool x_server_name(struct line *l, struct rd *r, enum ctx c)
{
	struct rd list, name;
	bool whole;
	char buf[300];
	uint32_t type;

	if (c != C_CH)
		return x_len(l, r, c);
	whole = rd_vec(r, 2, &list);
	while (list.n) {
		if (!rd_uint(&list, 1, &type) || !rd_vec(&list, 2, &name))
			return false;
		if (type == 0)
			line_add(l, "%s",
				 esc(buf, sizeof(buf), name.p, name.n));
		else
			line_add(l, "name type %u, %zu bytes", type, name.n);
	}
	return whole;
}

static bool x_max_fragment(struct line *l, struct rd *r, enum ctx c)
{
	uint32_t v;

	(void)c;
	if (!rd_uint(r, 1, &v))
		return false;
	if (v >= 1 && v <= 4)
		line_add(l, "%u bytes", 256u << v);
	else
		line_add(l, "code %u", v);
	return true;
}

static bool x_status_request(struct line *l, struct rd *r, enum ctx c)
{
	struct rd v;
	uint32_t type;
	bool ok;

	if (!rd_uint(r, 1, &type))
		return false;
	/* TLS 1.3 carries the OCSP response in the certificate's entry */
	if (c == C_CERT) {
		ok = rd_vec(r, 3, &v);
		line_add(l, "%s response %zu bytes",
			 type == 1 ? "OCSP" : "unknown", v.n);
		return ok;
	}
	if (type == 1)
		line_add(l, "OCSP");
	else
		line_add(l, "status type %u", type);
	/* responder ids, then request extensions */
	return rd_vec(r, 2, &v) && rd_vec(r, 2, &v);
}

static bool x_groups(struct line *l, struct rd *r, enum ctx c)
{
	(void)c;
	return codes(l, r, 2, 2, group_name);
}

static bool x_point_formats(struct line *l, struct rd *r, enum ctx c)
{
	(void)c;
	return codes(l, r, 1, 1, point_format_name);
}

static bool x_schemes(struct line *l, struct rd *r, enum ctx c)
{
	(void)c;
	return codes(l, r, 2, 2, scheme_name);
}

static bool x_heartbeat(struct line *l, struct rd *r, enum ctx c)
{
	uint32_t v;

	(void)c;
	if (!rd_uint(r, 1, &v))
		return false;
	if (v == 1 || v == 2)
		line_add(l, "%s", v == 1 ? "peer_allowed_to_send" :
					   "peer_not_allowed_to_send");
	else
		line_add(l, "mode %u", v);
	return true;
}

static bool x_alpn(struct line *l, struct rd *r, enum ctx c)
{
	struct rd list, proto;
	bool whole = rd_vec(r, 2, &list);
	char buf[300];

	(void)c;
	while (list.n) {
		if (!rd_vec(&list, 1, &proto))
			return false;
		line_add(l, "%s", esc(buf, sizeof(buf), proto.p, proto.n));
	}
	return whole;
}

/* RFC 7250: the client lists what it takes, the server names one. */
static bool x_cert_type(struct line *l, struct rd *r, enum ctx c)
{
	char buf[16];
	uint32_t v;

	if (c == C_CH)
		return codes(l, r, 1, 1, cert_type_name);
	if (!rd_uint(r, 1, &v))
		return false;
	line_add(l, "%s", cert_type_name(v, buf, sizeof(buf)));
	return true;
}

static bool x_cert_compression(struct line *l, struct rd *r, enum ctx c)
{
	(void)c;
	return codes(l, r, 1, 2, cert_compression_name);
}

static bool x_u16(struct line *l, struct rd *r, enum ctx c)
{
	uint32_t v;

	(void)c;
	if (!rd_uint(r, 2, &v))
		return false;
	line_add(l, "%u", v);
	return true;
}

static bool psk_identities(struct line *l, struct rd *r)
{
	struct rd ids, id, copy;
	unsigned int n = 0;
	uint32_t age;
	bool whole = rd_vec(r, 2, &ids);

	copy = ids;
	while (rd_vec(&copy, 2, &id) && rd_uint(&copy, 4, &age))
		n++;
	line_add(l, "%u identit%s", n, n == 1 ? "y" : "ies");
	while (ids.n) {
		if (!rd_vec(&ids, 2, &id) || !rd_uint(&ids, 4, &age))
			return false;
		line_add(l, "%zu bytes with obfuscated age 0x%08x", id.n, age);
	}
	return whole;
}

static bool x_pre_shared_key(struct line *l, struct rd *r, enum ctx c)
{
	struct rd binders, b;
	unsigned int n = 0;
	uint32_t sel;
	bool whole;

	if (c == C_SH) {
		if (!rd_uint(r, 2, &sel))
			return false;
		line_add(l, "selected identity %u", sel);
		return true;
	}
	if (c != C_CH)
		return x_len(l, r, c);
	if (!psk_identities(l, r))
		return false;
	whole = rd_vec(r, 2, &binders);
	while (binders.n) {
		if (!rd_vec(&binders, 1, &b))
			return false;
		n++;
	}
	line_add(l, "%u binder%s", n, n == 1 ? "" : "s");
	return whole;
}

static bool x_early_data(struct line *l, struct rd *r, enum ctx c)
{
	uint32_t v;

	if (c != C_NST)
		return x_len(l, r, c);
	if (!rd_uint(r, 4, &v))
		return false;
	line_add(l, "max_early_data_size %u", v);
	return true;
}

static bool x_versions(struct line *l, struct rd *r, enum ctx c)
{
	char buf[32];
	uint32_t v;

	if (c == C_CH)
		return codes(l, r, 1, 2, version_name);
	if (!rd_uint(r, 2, &v))
		return false;
	line_add(l, "selected %s", version_name(v, buf, sizeof(buf)));
	return true;
}

static bool x_vec16_len(struct line *l, struct rd *r, enum ctx c)
{
	struct rd v;
	bool whole = rd_vec(r, 2, &v);

	(void)c;
	line_add(l, "%zu bytes", v.n);
	return whole;
}

static bool x_psk_modes(struct line *l, struct rd *r, enum ctx c)
{
	(void)c;
	return codes(l, r, 1, 1, psk_mode_name);
}

/* A DistinguishedName as it is on the wire, DER, made readable by GnuTLS. */
static void dn_item(struct line *l, const struct rd *dn)
{
	gnutls_datum_t der = { (unsigned char *)dn->p, (unsigned int)dn->n };
	gnutls_datum_t str = { NULL, 0 };
	char buf[400];

	if (gnutls_x509_rdn_get2(&der, &str, 0) < 0) {
		line_add(l, "unparsable name of %zu bytes", dn->n);
		return;
	}
	line_add(l, "%s", esc(buf, sizeof(buf), str.data, str.size));
	gnutls_free(str.data);
}

static bool dn_list(struct line *l, struct rd *r)
{
	struct rd list, dn;
	bool whole = rd_vec(r, 2, &list);

	while (list.n) {
		if (!rd_vec(&list, 2, &dn))
			return false;
		dn_item(l, &dn);
	}
	return whole;
}

static bool x_cas(struct line *l, struct rd *r, enum ctx c)
{
	(void)c;
	return dn_list(l, r);
}

static bool key_share_entry(struct line *l, struct rd *r)
{
	struct rd key;
	char buf[48];
	uint32_t g;

	if (!rd_uint(r, 2, &g) || !rd_vec(r, 2, &key))
		return false;
	line_add(l, "%s (%zu bytes)", group_name(g, buf, sizeof(buf)), key.n);
	return true;
}

/* RFC 8446 4.2.8: a list from the client, the one taken from the server,
 * and in a HelloRetryRequest only the group the server wants. */
static bool x_key_share(struct line *l, struct rd *r, enum ctx c)
{
	struct rd list;
	char buf[48];
	uint32_t g;
	bool whole;

	if (c == C_SH)
		return key_share_entry(l, r);
	if (c == C_HRR) {
		if (!rd_uint(r, 2, &g))
			return false;
		line_add(l, "wants %s", group_name(g, buf, sizeof(buf)));
		return true;
	}
	if (c != C_CH)
		return x_len(l, r, c);
	whole = rd_vec(r, 2, &list);
	while (list.n)
		if (!key_share_entry(l, &list))
			return false;
	return whole;
}

static bool x_renegotiation(struct line *l, struct rd *r, enum ctx c)
{
	struct rd v;
	bool whole = rd_vec(r, 1, &v);

	(void)c;
	if (v.n)
		line_add(l, "%zu bytes of verify_data (renegotiating)", v.n);
	else if (whole)
		line_add(l, "empty (initial handshake)");
	return whole;
}

static const struct ext {
	uint16_t type;
	const char *name;
	ext_fn *show;
} exts[] = {
	{ 0, "server_name", x_server_name },
	{ 1, "max_fragment_length", x_max_fragment },
	{ 2, "client_certificate_url", NULL },
	{ 3, "trusted_ca_keys", NULL },
	{ 4, "truncated_hmac", NULL },
	{ 5, "status_request", x_status_request },
	{ 6, "user_mapping", NULL },
	{ 7, "client_authz", NULL },
	{ 8, "server_authz", NULL },
	{ 9, "cert_type", NULL },
	{ 10, "supported_groups", x_groups },
	{ 11, "ec_point_formats", x_point_formats },
	{ 12, "srp", NULL },
	{ 13, "signature_algorithms", x_schemes },
	{ 14, "use_srtp", NULL },
	{ 15, "heartbeat", x_heartbeat },
	{ 16, "alpn", x_alpn },
	{ 17, "status_request_v2", NULL },
	{ 18, "signed_certificate_timestamp", NULL },
	{ 19, "client_certificate_type", x_cert_type },
	{ 20, "server_certificate_type", x_cert_type },
	{ 21, "padding", NULL },
	{ 22, "encrypt_then_mac", NULL },
	{ 23, "extended_master_secret", NULL },
	{ 24, "token_binding", NULL },
	{ 25, "cached_info", NULL },
	{ 26, "tls_lts", NULL },
	{ 27, "compress_certificate", x_cert_compression },
	{ 28, "record_size_limit", x_u16 },
	{ 29, "pwd_protect", NULL },
	{ 30, "pwd_clear", NULL },
	{ 31, "password_salt", NULL },
	{ 32, "ticket_pinning", NULL },
	{ 33, "tls_cert_with_extern_psk", NULL },
	{ 34, "delegated_credential", NULL },
	{ 35, "session_ticket", NULL },
	{ 36, "TLMSP", NULL },
	{ 37, "TLMSP_proxying", NULL },
	{ 38, "TLMSP_delegate", NULL },
	{ 39, "supported_ekt_ciphers", NULL },
	{ 41, "pre_shared_key", x_pre_shared_key },
	{ 42, "early_data", x_early_data },
	{ 43, "supported_versions", x_versions },
	{ 44, "cookie", x_vec16_len },
	{ 45, "psk_key_exchange_modes", x_psk_modes },
	{ 47, "certificate_authorities", x_cas },
	{ 48, "oid_filters", NULL },
	{ 49, "post_handshake_auth", NULL },
	{ 50, "signature_algorithms_cert", x_schemes },
	{ 51, "key_share", x_key_share },
	{ 52, "transparency_info", NULL },
	{ 53, "connection_id_deprecated", NULL },
	{ 54, "connection_id", NULL },
	{ 55, "external_id_hash", NULL },
	{ 56, "external_session_id", NULL },
	{ 57, "quic_transport_parameters", NULL },
	{ 58, "ticket_request", NULL },
	{ 59, "dnssec_chain", NULL },
	{ 0xfe0d, "encrypted_client_hello", NULL },
	{ 0xff01, "renegotiation_info", x_renegotiation },
};

static const struct ext *find_ext(uint32_t type)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(exts); i++)
		if (exts[i].type == type)
			return &exts[i];
	return NULL;
}

static const char *ext_name(uint32_t type, char *buf, size_t size)
{
	const struct ext *e = find_ext(type);

	if (e)
		return e->name;
	if (is_grease(type))
		snprintf(buf, size, "GREASE(0x%04x)", type);
	else
		snprintf(buf, size, "%u (unknown)", type);
	return buf;
}

/* One extension on one line; false when it was cut short. */
static bool show_ext(struct tr *t, int indent, uint32_t type,
		     struct rd *body, bool whole, enum ctx c)
{
	const struct ext *e = find_ext(type);
	ext_fn *show = e && e->show ? e->show : x_len;
	struct line l;
	char buf[32];
	bool ok = true;

	line_start(&l, t, indent, "extension %s",
		   ext_name(type, buf, sizeof(buf)));
	if (body->n)
		ok = show(&l, body, c);
	if (!ok || !whole)
		line_cut(&l);
	else if (body->n)
		line_extra(&l, body->n);
	line_end(&l);
	return ok && whole;
}

enum {
	EXT_OPTIONAL = 1,	/* the block may be absent (RFC 5246 7.4.1.2) */
	EXT_QUIET = 2,		/* say nothing when there are none */
};

static bool show_exts(struct tr *t, struct rd *r, enum ctx c, int indent,
		      unsigned int flags)
{
	struct rd all, body;
	bool whole, ok = true;
	uint32_t type;

	if ((flags & EXT_OPTIONAL) && !r->n) {
		say(t, indent, "no extensions");
		return true;
	}
	whole = rd_vec(r, 2, &all);
	if (whole && !all.n && !(flags & EXT_QUIET))
		say(t, indent, "no extensions");
	while (ok && all.n) {
		if (!rd_uint(&all, 2, &type)) {
			say(t, indent, "extension (truncated)");
			t->bad = true;
			return false;
		}
		ok = rd_vec(&all, 2, &body);
		ok = show_ext(t, indent, type, &body, ok, c);
	}
	if (ok && !whole) {
		say(t, indent, "extensions (truncated)");
		t->bad = true;
	}
	return ok && whole;
}

/* ---- the hellos ---- */

/* RFC 8446 4.1.3: SHA-256 of "HelloRetryRequest" */
static const unsigned char hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11,
	0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static bool show_version(struct tr *t, struct rd *r)
{
	char buf[32];
	uint32_t v;

	if (!need(t, rd_uint(r, 2, &v), "legacy_version"))
		return false;
	say(t, IND, "legacy_version %s", version_name(v, buf, sizeof(buf)));
	return true;
}

/* A server's random also tells of a retry, or (RFC 8446 4.1.3) of a
 * TLS 1.3 server that was talked down to an older version. */
static bool show_random(struct tr *t, struct rd *r, bool server)
{
	const char *note = "";
	struct rd rnd;
	char buf[80];

	if (!need(t, rd_take(r, 32, &rnd), "random"))
		return false;
	if (server && !memcmp(rnd.p, hrr_random, 32))
		note = " (HelloRetryRequest)";
	else if (server && !memcmp(rnd.p + 24, "DOWNGRD\1", 8))
		note = " (downgrade sentinel: TLS 1.2)";
	else if (server && !memcmp(rnd.p + 24, "DOWNGRD\0", 8))
		note = " (downgrade sentinel: TLS 1.1 or older)";
	say(t, IND, "random %s%s", hex(buf, sizeof(buf), &rnd, 32), note);
	return true;
}

static bool show_session_id(struct tr *t, struct rd *r)
{
	struct rd id;
	char buf[80];

	if (!need(t, rd_vec(r, 1, &id), "session id"))
		return false;
	if (id.n)
		say(t, IND, "session id (%zu bytes) %s", id.n,
		    hex(buf, sizeof(buf), &id, 32));
	else
		say(t, IND, "session id: empty");
	return true;
}

static bool show_suites(struct tr *t, struct rd *r)
{
	struct line l;
	struct rd v;
	bool whole = rd_vec(r, 2, &v);
	char buf[48];
	uint32_t c;

	line_start(&l, t, IND, "cipher suites (%zu)", v.n / 2);
	while (rd_uint(&v, 2, &c))
		line_add(&l, "%s", suite_name(c, buf, sizeof(buf)));
	if (!whole || v.n)
		line_cut(&l);
	line_end(&l);
	return whole && !v.n;
}

static bool show_compressions(struct tr *t, struct rd *r)
{
	struct line l;
	bool ok;

	line_start(&l, t, IND, "compression methods");
	ok = codes(&l, r, 1, 1, compression_name);
	if (!ok)
		line_cut(&l);
	line_end(&l);
	return ok;
}

static void show_client_hello(struct tr *t, struct rd *r)
{
	if (show_version(t, r) && show_random(t, r, false) &&
	    show_session_id(t, r) && show_suites(t, r) &&
	    show_compressions(t, r))
		show_exts(t, r, C_CH, IND, EXT_OPTIONAL);
}

static void show_hello(struct tr *t, struct rd *r, enum ctx c)
{
	char buf[48];
	uint32_t v;

	if (!show_version(t, r) || !show_random(t, r, true) ||
	    !show_session_id(t, r))
		return;
	if (!need(t, rd_uint(r, 2, &v), "cipher suite"))
		return;
	say(t, IND, "cipher suite %s", suite_name(v, buf, sizeof(buf)));
	if (!need(t, rd_uint(r, 1, &v), "compression method"))
		return;
	say(t, IND, "compression method %s",
	    compression_name(v, buf, sizeof(buf)));
	show_exts(t, r, c, IND, EXT_OPTIONAL);
}

static void show_server_hello(struct tr *t, struct rd *r)
{
	show_hello(t, r, C_SH);
}

static void show_hello_retry(struct tr *t, struct rd *r)
{
	show_hello(t, r, C_HRR);
}

static void show_hello_verify(struct tr *t, struct rd *r)
{
	struct rd cookie;

	if (show_version(t, r) &&
	    need(t, rd_vec(r, 1, &cookie), "cookie"))
		say(t, IND, "cookie %zu bytes", cookie.n);
}

static void show_encrypted_extensions(struct tr *t, struct rd *r)
{
	show_exts(t, r, C_EE, IND, 0);
}

/* ---- certificates ---- */

static const char *utc(char *buf, size_t size, time_t when)
{
	struct tm tm;

	if (when == (time_t)-1 || !gmtime_r(&when, &tm) ||
	    !strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, size, "unknown");
	return buf;
}

static void show_dn(struct tr *t, const char *what, int ret,
		    gnutls_datum_t *dn)
{
	char buf[512];

	if (ret < 0) {
		say(t, IND2, "%s unreadable: %s", what, gnutls_strerror(ret));
		return;
	}
	say(t, IND2, "%s %s", what, esc(buf, sizeof(buf), dn->data, dn->size));
	gnutls_free(dn->data);
}

static void show_crt(struct tr *t, gnutls_x509_crt_t crt)
{
	gnutls_datum_t dn = { NULL, 0 };
	char from[40], to[40];
	unsigned int bits = 0;
	const char *pk, *sign;
	int alg;

	show_dn(t, "subject", gnutls_x509_crt_get_dn2(crt, &dn), &dn);
	show_dn(t, "issuer", gnutls_x509_crt_get_issuer_dn2(crt, &dn), &dn);
	say(t, IND2, "valid %s to %s",
	    utc(from, sizeof(from), gnutls_x509_crt_get_activation_time(crt)),
	    utc(to, sizeof(to), gnutls_x509_crt_get_expiration_time(crt)));
	alg = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
	pk = alg < 0 ? NULL : gnutls_pk_get_name((gnutls_pk_algorithm_t)alg);
	alg = gnutls_x509_crt_get_signature_algorithm(crt);
	sign = alg < 0 ? NULL :
	       gnutls_sign_get_name((gnutls_sign_algorithm_t)alg);
	say(t, IND2, "key %s, %u bits, signed with %s", pk ? pk : "unknown",
	    bits, sign ? sign : "unknown");
}

static void show_der(struct tr *t, const struct rd *der)
{
	gnutls_datum_t d = { (unsigned char *)der->p, (unsigned int)der->n };
	gnutls_x509_crt_t crt;
	int ret;

	if (gnutls_x509_crt_init(&crt) < 0)
		return;
	ret = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER);
	if (ret < 0)
		say(t, IND2, "not an X.509 certificate: %s",
		    gnutls_strerror(ret));
	else
		show_crt(t, crt);
	gnutls_x509_crt_deinit(crt);
}

/* RFC 8446 4.4.2 gives each entry extensions; RFC 5246 7.4.2 has none. */
static bool show_cert_entry(struct tr *t, struct rd *list, unsigned int i)
{
	struct rd der;

	if (!rd_vec(list, 3, &der)) {
		say(t, IND, "certificate %u: %zu bytes (truncated)", i, der.n);
		t->bad = true;
		return false;
	}
	say(t, IND, "certificate %u: %zu bytes", i, der.n);
	show_der(t, &der);
	if (t->version != TLS13_VERSION)
		return true;
	return show_exts(t, list, C_CERT, IND2, EXT_QUIET);
}

static void show_certificate(struct tr *t, struct rd *r)
{
	struct rd ctx, list;
	unsigned int i;
	bool whole;

	if (t->version == TLS13_VERSION) {
		if (!need(t, rd_vec(r, 1, &ctx), "request context"))
			return;
		if (ctx.n)
			say(t, IND, "request context %zu bytes", ctx.n);
	}
	whole = rd_vec(r, 3, &list);
	if (whole && !list.n)
		say(t, IND, "no certificates");
	for (i = 0; list.n; i++)
		if (!show_cert_entry(t, &list, i))
			return;
	need(t, whole, "certificate_list");
}

static void show_cert_request12(struct tr *t, struct rd *r)
{
	struct line l;
	bool ok;

	line_start(&l, t, IND, "certificate types");
	ok = codes(&l, r, 1, 1, client_cert_type_name);
	if (!ok)
		line_cut(&l);
	line_end(&l);
	if (!ok)
		return;
	line_start(&l, t, IND, "signature algorithms");
	ok = codes(&l, r, 2, 2, scheme_name);
	if (!ok)
		line_cut(&l);
	line_end(&l);
	if (!ok)
		return;
	line_start(&l, t, IND, "certificate authorities");
	if (!dn_list(&l, r))
		line_cut(&l);
	line_end(&l);
}

static void show_cert_request(struct tr *t, struct rd *r)
{
	struct rd ctx;

	if (t->version != TLS13_VERSION) {
		show_cert_request12(t, r);
		return;
	}
	if (!need(t, rd_vec(r, 1, &ctx), "request context"))
		return;
	say(t, IND, "request context %zu bytes", ctx.n);
	show_exts(t, r, C_CR, IND, 0);
}

static void show_cert_verify(struct tr *t, struct rd *r)
{
	struct line l;
	struct rd sig;
	char buf[48];
	uint32_t s;
	bool whole;

	if (!need(t, rd_uint(r, 2, &s), "signature scheme"))
		return;
	whole = rd_vec(r, 2, &sig);
	line_start(&l, t, IND, "signature");
	line_add(&l, "%s", scheme_name(s, buf, sizeof(buf)));
	line_add(&l, "%zu bytes", sig.n);
	if (!whole)
		line_cut(&l);
	line_end(&l);
}

static void show_cert_status(struct tr *t, struct rd *r)
{
	struct rd resp;
	uint32_t type;
	bool whole;

	if (!need(t, rd_uint(r, 1, &type), "status type"))
		return;
	whole = rd_vec(r, 3, &resp);
	say(t, IND, "%s response %zu bytes%s", type == 1 ? "OCSP" : "unknown",
	    resp.n, whole ? "" : " (truncated)");
	t->bad |= !whole;
}

/* RFC 8879 */
static void show_compressed_cert(struct tr *t, struct rd *r)
{
	uint32_t alg, len;
	struct rd data;
	char buf[16];
	bool whole;

	if (!need(t, rd_uint(r, 2, &alg), "algorithm") ||
	    !need(t, rd_uint(r, 3, &len), "uncompressed_length"))
		return;
	whole = rd_vec(r, 3, &data);
	say(t, IND, "%s, %u bytes compressed to %zu%s",
	    cert_compression_name(alg, buf, sizeof(buf)), len, data.n,
	    whole ? "" : " (truncated)");
	t->bad |= !whole;
}

/* ---- key exchange, TLS 1.2 ---- */

/*
 * ServerKeyExchange does not say which key exchange it is for: that was
 * settled by the cipher suite.  The layout that accounts for every byte
 * is taken (RFC 4492 5.4, RFC 5246 7.4.3, RFC 4279 and RFC 5489).
 */
struct kx_params {
	bool psk, ec, dh, sig;
	size_t hint, pub, prime;
	uint32_t curve, scheme;
	size_t sig_len;
};

static bool kx_try(struct rd r, bool psk, bool ec, struct kx_params *k)
{
	struct rd v;
	uint32_t type;

	memset(k, 0, sizeof(*k));
	k->psk = psk;
	if (psk && !rd_vec(&r, 2, &v))
		return false;
	k->hint = psk ? v.n : 0;
	if (ec) {
		/* only named curves (3) are still in use */
		if (!rd_uint(&r, 1, &type) || type != 3 ||
		    !rd_uint(&r, 2, &k->curve) || !rd_vec(&r, 1, &v))
			return false;
		k->ec = true;
		k->pub = v.n;
	} else if (!psk || r.n) {
		if (!rd_vec(&r, 2, &v))
			return false;
		k->prime = v.n;
		if (!rd_vec(&r, 2, &v) || !rd_vec(&r, 2, &v))
			return false;
		k->dh = true;
		k->pub = v.n;
	}
	if (!r.n)
		return true;
	/* PSK key exchanges are not signed */
	if (psk || !rd_uint(&r, 2, &k->scheme) || !rd_vec(&r, 2, &v) || r.n)
		return false;
	k->sig = true;
	k->sig_len = v.n;
	return true;
}

static void show_kx_params(struct tr *t, const struct kx_params *k)
{
	char buf[48];

	if (k->psk)
		say(t, IND, "PSK identity hint %zu bytes", k->hint);
	if (k->ec)
		say(t, IND, "ECDHE %s, public key %zu bytes",
		    group_name(k->curve, buf, sizeof(buf)), k->pub);
	if (k->dh)
		say(t, IND, "DHE, prime %zu bits, public key %zu bytes",
		    k->prime * 8, k->pub);
	if (k->sig)
		say(t, IND, "signature: %s, %zu bytes",
		    scheme_name(k->scheme, buf, sizeof(buf)), k->sig_len);
}

static void show_server_kx(struct tr *t, struct rd *r)
{
	static const bool tries[][2] = {	/* psk, ec */
		{ false, true }, { true, true }, { false, false },
		{ true, false },
	};
	struct kx_params k;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tries); i++) {
		if (kx_try(*r, tries[i][0], tries[i][1], &k)) {
			show_kx_params(t, &k);
			rd_skip_all(r);
			return;
		}
	}
	say(t, IND, "parameters of no known key exchange, or (truncated)");
	t->bad = true;
	rd_skip_all(r);
}

/* The same guesswork for the client's half (RFC 4492 5.7, RFC 5246
 * 7.4.7, RFC 4279). */
/* A vector that is all there is. */
static bool exactly(struct rd r, size_t width, struct rd *v)
{
	return rd_vec(&r, width, v) && !r.n;
}

static void show_client_kx(struct tr *t, struct rd *r)
{
	struct rd c = *r, a, b;
	char buf[300];

	if (exactly(*r, 1, &a)) {
		say(t, IND, "ECDH public key %zu bytes", a.n);
	} else if (rd_vec(&c, 2, &a) && exactly(c, 1, &b)) {
		say(t, IND, "PSK identity \"%s\", ECDH public key %zu bytes",
		    esc(buf, sizeof(buf), a.p, a.n), b.n);
	} else if (exactly(*r, 2, &a)) {
		say(t, IND, "%zu bytes: a DH public key, an encrypted "
		    "premaster secret or a PSK identity", a.n);
	} else {
		say(t, IND, "%zu bytes of no known key exchange, or "
		    "(truncated)", r->n);
		t->bad = true;
	}
	rd_skip_all(r);
}

/* ---- the rest ---- */

static void show_finished(struct tr *t, struct rd *r)
{
	say(t, IND, "verify_data %zu bytes", r->n);
	rd_skip_all(r);
}

static void show_opaque(struct tr *t, struct rd *r)
{
	(void)t;
	rd_skip_all(r);
}

static void show_ticket(struct tr *t, struct rd *r)
{
	uint32_t life, add;
	struct rd nonce, ticket;
	bool whole;

	if (!need(t, rd_uint(r, 4, &life), "lifetime"))
		return;
	if (t->version != TLS13_VERSION) {
		/* RFC 5077 3.3 */
		whole = rd_vec(r, 2, &ticket);
		say(t, IND, "lifetime hint %u s, ticket %zu bytes%s", life,
		    ticket.n, whole ? "" : " (truncated)");
		t->bad |= !whole;
		return;
	}
	if (!need(t, rd_uint(r, 4, &add), "ticket_age_add") ||
	    !need(t, rd_vec(r, 1, &nonce), "ticket_nonce"))
		return;
	whole = rd_vec(r, 2, &ticket);
	say(t, IND, "lifetime %u s, age_add 0x%08x, nonce %zu bytes, "
	    "ticket %zu bytes%s", life, add, nonce.n, ticket.n,
	    whole ? "" : " (truncated)");
	t->bad |= !whole;
	if (whole)
		show_exts(t, r, C_NST, IND, EXT_QUIET);
}

static void show_key_update(struct tr *t, struct rd *r)
{
	uint32_t v;

	if (!need(t, rd_uint(r, 1, &v), "request_update"))
		return;
	if (v <= 1)
		say(t, IND, "%s", v ? "update_requested" :
				      "update_not_requested");
	else
		say(t, IND, "request_update %u (invalid)", v);
}

static const struct msg {
	unsigned int type;
	const char *name;
	void (*show)(struct tr *t, struct rd *r);
} msgs[] = {
	{ 0, "HelloRequest", NULL },
	{ 1, "ClientHello", show_client_hello },
	{ 2, "ServerHello", show_server_hello },
	{ 3, "HelloVerifyRequest", show_hello_verify },
	{ 4, "NewSessionTicket", show_ticket },
	{ 5, "EndOfEarlyData", NULL },
	{ 8, "EncryptedExtensions", show_encrypted_extensions },
	{ 11, "Certificate", show_certificate },
	{ 12, "ServerKeyExchange", show_server_kx },
	{ 13, "CertificateRequest", show_cert_request },
	{ 14, "ServerHelloDone", NULL },
	{ 15, "CertificateVerify", show_cert_verify },
	{ 16, "ClientKeyExchange", show_client_kx },
	{ 20, "Finished", show_finished },
	{ 22, "CertificateStatus", show_cert_status },
	{ 23, "SupplementalData", show_opaque },
	{ 24, "KeyUpdate", show_key_update },
	{ 25, "CompressedCertificate", show_compressed_cert },
	{ GNUTLS_HANDSHAKE_CHANGE_CIPHER_SPEC, "ChangeCipherSpec",
	  show_opaque },
	{ GNUTLS_HANDSHAKE_CLIENT_HELLO_V2, "ClientHello (SSLv2)",
	  show_opaque },
	{ GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST, "HelloRetryRequest",
	  show_hello_retry },
};

static const struct msg *find_msg(unsigned int htype)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(msgs); i++)
		if (msgs[i].type == htype)
			return &msgs[i];
	return NULL;
}

/* On the wire a HelloRetryRequest is a ServerHello with a special random
 * (RFC 8446 4.1.3); GnuTLS gives it a type of its own. */
static unsigned int real_type(unsigned int htype, const unsigned char *msg,
			      size_t len)
{
	if (htype == GNUTLS_HANDSHAKE_SERVER_HELLO && len >= 34 &&
	    !memcmp(msg + 2, hrr_random, 32))
		return GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST;
	return htype;
}

static void decode(struct tr *t, unsigned int htype, struct rd *r)
{
	const struct msg *m = find_msg(real_type(htype, r->p, r->n));

	if (!m) {
		say(t, 0, "handshake message type %u, %zu bytes", htype, r->n);
		rd_skip_all(r);
		return;
	}
	say(t, 0, "%s, %zu bytes", m->name, r->n);
	if (m->show)
		m->show(t, r);
	if (!t->bad && r->n) {
		say(t, IND, "(%zu unexpected trailing bytes)", r->n);
		t->bad = true;
	}
}

int tlsod_trace_decode(FILE *out, const char *prefix, unsigned int htype,
		       unsigned int tls_version, const unsigned char *msg,
		       size_t len)
{
	static const unsigned char none[1];
	struct tr t = { out, prefix ? prefix : "", tls_version, false };
	struct rd r = { msg ? msg : none, len };

	if (!out || (!msg && len))
		return -1;
	/* one message stays together when handshakes run in parallel */
	flockfile(out);
	decode(&t, htype, &r);
	funlockfile(out);
	return t.bad ? -1 : 0;
}

/* ---- the live session ---- */

/*
 * GnuTLS's hook gets the session and nothing else, and the session's
 * user pointer belongs to the daemon, so the fd to print is remembered
 * here, per session.  Slots are reused round-robin; a session that lost
 * its slot to many newer ones falls back to its transport fd, the same
 * number whenever the transport was set with gnutls_transport_set_int().
 */
#define TRACE_SLOTS 64

static struct {
	gnutls_session_t session;
	int fd;
} slots[TRACE_SLOTS];
static unsigned int next_slot;
static FILE *trace_out;
static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;

void tlsod_trace_set_output(FILE *f)
{
	pthread_mutex_lock(&trace_lock);
	trace_out = f;
	pthread_mutex_unlock(&trace_lock);
}

static FILE *output(void)
{
	FILE *f;

	pthread_mutex_lock(&trace_lock);
	f = trace_out ? trace_out : stderr;
	pthread_mutex_unlock(&trace_lock);
	return f;
}

static void remember(gnutls_session_t s, int fd)
{
	unsigned int i;

	pthread_mutex_lock(&trace_lock);
	for (i = 0; i < TRACE_SLOTS && slots[i].session != s; i++)
		;
	if (i == TRACE_SLOTS)
		i = next_slot++ % TRACE_SLOTS;
	slots[i].session = s;
	slots[i].fd = fd;
	pthread_mutex_unlock(&trace_lock);
}

static int fd_of(gnutls_session_t s)
{
	unsigned int i;
	int fd = -1;

	pthread_mutex_lock(&trace_lock);
	for (i = 0; i < TRACE_SLOTS; i++)
		if (slots[i].session == s)
			fd = slots[i].fd;
	pthread_mutex_unlock(&trace_lock);
	return fd >= 0 ? fd : gnutls_transport_get_int(s);
}

static unsigned int wire_version(gnutls_session_t s)
{
	switch (gnutls_protocol_get_version(s)) {
	case GNUTLS_SSL3:
		return 0x0300;
	case GNUTLS_TLS1_0:
		return 0x0301;
	case GNUTLS_TLS1_1:
		return 0x0302;
	case GNUTLS_TLS1_2:
		return 0x0303;
	case GNUTLS_TLS1_3:
		return TLS13_VERSION;
	case GNUTLS_DTLS1_0:
		return 0xfeff;
	case GNUTLS_DTLS1_2:
		return 0xfefd;
	default:
		return 0;
	}
}

/*
 * A received message is shown before GnuTLS acts on it (PRE), so that the
 * one that fails a handshake is seen too; a sent one after GnuTLS made it
 * (POST), since before that there is nothing to show.  Never fails the
 * handshake.
 */
static int trace_hook(gnutls_session_t s, unsigned int htype,
		      unsigned int when, unsigned int incoming,
		      const gnutls_datum_t *msg)
{
	char prefix[40];

	if (when != (incoming ? GNUTLS_HOOK_PRE : GNUTLS_HOOK_POST) || !msg)
		return 0;
	snprintf(prefix, sizeof(prefix), "fd %d: %s ", fd_of(s),
		 incoming ? "<-" : "->");
	tlsod_trace_decode(output(), prefix, htype, wire_version(s), msg->data,
			   msg->size);
	return 0;
}

void tlsod_trace_handshake(gnutls_session_t session, int fd)
{
	remember(session, fd);
	gnutls_handshake_set_hook_function(session, GNUTLS_HANDSHAKE_ANY,
					   GNUTLS_HOOK_BOTH, trace_hook);
}

void tlsod_trace_result(gnutls_session_t s, int fd)
{
	gnutls_protocol_t v = gnutls_protocol_get_version(s);
	const char *suite = gnutls_ciphersuite_get(s);
	const char *cipher = gnutls_cipher_get_name(gnutls_cipher_get(s));
	const char *group = gnutls_group_get_name(gnutls_group_get(s));
	const char *version = gnutls_protocol_get_name(v);
	const char *kx = gnutls_kx_get_name(gnutls_kx_get(s));
	gnutls_datum_t alpn;
	char prefix[40], buf[300];
	struct tr t = { output(), prefix, 0, false };
	struct line l;

	snprintf(prefix, sizeof(prefix), "fd %d: == ", fd);
	flockfile(t.out);
	line_start(&l, &t, 0, "handshake done");
	l.wrap = SIZE_MAX;	/* the outcome stays one line, for grep */
	line_add(&l, "%s", version ? version : "unknown version");
	if (suite)
		line_add(&l, "%s", suite);
	line_add(&l, "cipher %s", cipher ? cipher : "unknown");
	/* in TLS 1.3 the suite has no key exchange: the group tells it */
	if (v != GNUTLS_TLS1_3 && kx)
		line_add(&l, "key exchange %s", kx);
	line_add(&l, "group %s", group ? group : "none");
	if (!gnutls_alpn_get_selected_protocol(s, &alpn))
		line_add(&l, "alpn %s", esc(buf, sizeof(buf), alpn.data,
					    alpn.size));
	line_add(&l, "%s", gnutls_session_is_resumed(s) ? "resumed" :
							  "full handshake");
	line_end(&l);
	funlockfile(t.out);
}
