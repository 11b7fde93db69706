// SPDX-License-Identifier: GPL-2.0
/*
 * The peer's identity (identity.h).  For a certificate:
 *
 *	subject=<DN>; issuer=<DN>; san=<TYPE:value>,<TYPE:value>...
 *
 * the DNs as GnuTLS writes them (RFC 4514), the subject alternative names
 * in their order; when that is longer than TLSOD_IDENTITY_MAX, the leaf's
 * SHA-256 fingerprint and as much of it as fits, then "...":
 *
 *	sha256=<64 hex digits>; subject=<DN>; iss...
 *
 * so the application either has it all, or knows that it has not and has
 * what names the certificate exactly.  The identity is printable ASCII,
 * one line whatever a certificate holds: any other byte is written \NN
 * (RFC 4514's hex pair), and in a name's value ',', ';' and '\' get a
 * backslash.  A cut never splits an escape.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/x509.h>

#include "identity.h"

#define SHA256_LEN	32
#define CUT_HEAD	"sha256="
#define CUT_SEP		"; "
/* Of the cut form, what is left for the start of the whole one. */
#define CUT_ROOM	(TLSOD_IDENTITY_MAX - (sizeof(CUT_HEAD) - 1) - \
			 2 * SHA256_LEN - (sizeof(CUT_SEP) - 1) -	\
			 (sizeof(TLSOD_IDENTITY_CUT) - 1))

struct idb {
	char s[TLSO_IDENTITY_SIZE];
	size_t len;
	size_t cut;	/* where the last piece within CUT_ROOM ends */
	bool over;	/* it does not fit, or is not all there */
};

/* One piece, an escape or a character: all of it or nothing. */
static void put(struct idb *b, const char *p, size_t n)
{
	if (b->over)
		return;
	if (b->len + n > TLSOD_IDENTITY_MAX) {
		b->over = true;
		return;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	if (b->len <= CUT_ROOM)
		b->cut = b->len;
}

static void put_str(struct idb *b, const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		put(b, s + i, 1);
}

/* Printable ASCII as it is, but for those in quote; \NN for the rest. */
static void put_byte(struct idb *b, unsigned char c, const char *quote)
{
	char e[4];

	if (c < 0x20 || c >= 0x7f) {
		snprintf(e, sizeof(e), "\\%02x", c);
		put(b, e, 3);
	} else if (strchr(quote, c)) {
		e[0] = '\\';
		e[1] = (char)c;
		put(b, e, 2);
	} else {
		put(b, (const char *)&c, 1);
	}
}

/* A name's value: the format's own separators escaped. */
static void put_value(struct idb *b, const unsigned char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		put_byte(b, v[i], ",;\\");
}

/* A DN that GnuTLS has escaped already: its escapes kept whole. */
static void put_dn(struct idb *b, const unsigned char *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (d[i] == '\\' && i + 1 < n && d[i + 1] >= 0x20 &&
		    d[i + 1] < 0x7f) {
			put(b, (const char *)d + i, 2);
			i++;
		} else {
			put_byte(b, d[i], "\\");
		}
	}
}

static void put_dn_of(struct idb *b, gnutls_x509_crt_t crt, bool issuer)
{
	gnutls_datum_t dn = { NULL, 0 };
	int ret = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) :
			   gnutls_x509_crt_get_dn3(crt, &dn, 0);

	/* an empty DN: a certificate named by its SANs alone */
	if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return;
	if (ret < 0) {
		b->over = true;
		return;
	}
	put_dn(b, dn.data, dn.size);
	gnutls_free(dn.data);
}

static void put_ip(struct idb *b, const unsigned char *a, size_t n)
{
	char txt[INET6_ADDRSTRLEN];

	if ((n == 4 && inet_ntop(AF_INET, a, txt, sizeof(txt))) ||
	    (n == 16 && inet_ntop(AF_INET6, a, txt, sizeof(txt)))) {
		put_str(b, txt);
		return;
	}
	/* not an address: the bytes */
	put_value(b, a, n);
}

static const struct {
	unsigned int type;
	const char *prefix;
} san_prefixes[] = {
	{ GNUTLS_SAN_DNSNAME, "DNS:" },
	{ GNUTLS_SAN_RFC822NAME, "email:" },
	{ GNUTLS_SAN_URI, "URI:" },
	{ GNUTLS_SAN_IPADDRESS, "IP:" },
	{ GNUTLS_SAN_DN, "DirName:" },
	{ GNUTLS_SAN_REGISTERED_ID, "RID:" },
	{ GNUTLS_SAN_OTHERNAME_XMPP, "XMPP:" },
	{ GNUTLS_SAN_OTHERNAME, "othername:" },
};

/*
 * Name seq of the SANs: 0, or -1 after the last.  An othername's value
 * can be any ASN.1: its OID stands for it.
 */
static int put_san(struct idb *b, gnutls_x509_crt_t crt, unsigned int seq)
{
	unsigned char v[TLSO_IDENTITY_SIZE];
	size_t n = sizeof(v), i;
	unsigned int type;
	int ret;

	ret = gnutls_x509_crt_get_subject_alt_name2(crt, seq, v, &n, &type,
						    NULL);
	if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return -1;
	if (seq)
		put(b, ",", 1);
	/* longer than a whole identity, or not to be read: it cannot fit */
	if (ret < 0) {
		b->over = true;
		return -1;
	}
	for (i = 0; i < sizeof(san_prefixes) / sizeof(san_prefixes[0]); i++)
		if (san_prefixes[i].type == type)
			break;
	if (i == sizeof(san_prefixes) / sizeof(san_prefixes[0])) {
		put_str(b, "unknown");
		return 0;
	}
	put_str(b, san_prefixes[i].prefix);
	if (type == GNUTLS_SAN_IPADDRESS) {
		put_ip(b, v, n);
		return 0;
	}
	if (type == GNUTLS_SAN_OTHERNAME) {
		n = sizeof(v);
		if (gnutls_x509_crt_get_subject_alt_othername_oid(crt, seq, v,
								  &n) < 0)
			n = 0;
	}
	if (type == GNUTLS_SAN_DN)
		put_dn(b, v, n);
	else
		put_value(b, v, n);
	return 0;
}

/* The leaf's fingerprint, then the start of the whole form, cut. */
static void cut_form(const struct idb *b, const gnutls_datum_t *der,
		     char *out)
{
	unsigned char md[SHA256_LEN];
	size_t mdlen = sizeof(md), i, o;

	if (gnutls_fingerprint(GNUTLS_DIG_SHA256, der, md, &mdlen) < 0 ||
	    mdlen != SHA256_LEN) {
		/* nothing to name it by: the application hears nothing */
		out[0] = '\0';
		return;
	}
	o = sprintf(out, CUT_HEAD);
	for (i = 0; i < mdlen; i++)
		o += sprintf(out + o, "%02x", md[i]);
	o += sprintf(out + o, CUT_SEP);
	memcpy(out + o, b->s, b->cut);
	o += b->cut;
	strcpy(out + o, TLSOD_IDENTITY_CUT);
}

static void x509_identity(const gnutls_datum_t *der, char *out)
{
	struct idb b = { .len = 0 };
	gnutls_x509_crt_t crt;
	unsigned int seq;

	out[0] = '\0';
	if (gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) < 0) {
		b.over = true;
	} else {
		put_str(&b, "subject=");
		put_dn_of(&b, crt, false);
		put_str(&b, "; issuer=");
		put_dn_of(&b, crt, true);
		put_str(&b, "; san=");
		/* past TLSOD_IDENTITY_MAX, more names change nothing */
		for (seq = 0; !b.over && !put_san(&b, crt, seq); seq++)
			;
	}
	gnutls_x509_crt_deinit(crt);
	if (!b.over) {
		memcpy(out, b.s, b.len);
		out[b.len] = '\0';
		return;
	}
	cut_form(&b, der, out);
}

/*
 * The leaves seen last and what they came to: a worker meets the same
 * peers again and again, and parsing one costs more than anything else
 * tlsod adds to a client's handshake (3 ms of 45 under the test VM's
 * emulation).  The identity is a function of the DER alone.
 */
#define TLSOD_IDENTITY_CACHE	8

static struct {
	unsigned char *der;	/* NULL: empty */
	unsigned int len;
	unsigned long used;	/* higher is more recent */
	char id[TLSO_IDENTITY_SIZE];
} seen[TLSOD_IDENTITY_CACHE];
static unsigned long seen_clock;

static void cached_identity(const gnutls_datum_t *der, char *out)
{
	unsigned int i, old = 0;

	for (i = 0; i < TLSOD_IDENTITY_CACHE; i++) {
		if (seen[i].der && seen[i].len == der->size &&
		    !memcmp(seen[i].der, der->data, der->size)) {
			seen[i].used = ++seen_clock;
			memcpy(out, seen[i].id, TLSO_IDENTITY_SIZE);
			return;
		}
		if (seen[i].used < seen[old].used)
			old = i;
	}
	x509_identity(der, out);
	free(seen[old].der);
	seen[old].der = malloc(der->size);
	if (!seen[old].der)
		return;
	memcpy(seen[old].der, der->data, der->size);
	seen[old].len = der->size;
	seen[old].used = ++seen_clock;
	memcpy(seen[old].id, out, TLSO_IDENTITY_SIZE);
}

uint32_t tlsod_peer_identity(gnutls_session_t s, const char *psk_name,
			     char out[TLSO_IDENTITY_SIZE])
{
	const gnutls_datum_t *certs;
	unsigned int n = 0;

	out[0] = '\0';
	if (gnutls_auth_get_type(s) == GNUTLS_CRD_PSK) {
		/* config.c has bounded it, and kept control characters out */
		snprintf(out, TLSO_IDENTITY_SIZE, "%s", psk_name ? psk_name : "");
		return TLSO_AUTH_PSK;
	}
	certs = gnutls_certificate_get_peers(s, &n);
	if (!certs || !n)
		return TLSO_AUTH_NONE;
	cached_identity(&certs[0], out);
	return TLSO_AUTH_X509;
}
