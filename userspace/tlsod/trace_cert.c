// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod --trace: the messages about certificates.  The certificates and
 * the names in them are parsed by GnuTLS, never here.
 */
#include <string.h>
#include <time.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "trace_priv.h"

/* A DistinguishedName as it is on the wire, DER, made readable by GnuTLS. */
static void dn_item(struct line *l, const struct rd *dn)
{
	gnutls_datum_t der = { (unsigned char *)dn->p, (unsigned int)dn->n };
	gnutls_datum_t str = { NULL, 0 };
	char buf[400];

	if (gnutls_x509_rdn_get2(&der, &str, 0) < 0) {
		tlsod_line_add(l, "unparsable name of %zu bytes", dn->n);
		return;
	}
	tlsod_line_add(l, "%s", tlsod_esc(buf, sizeof(buf), str.data,
					  str.size));
	gnutls_free(str.data);
}

bool tlsod_dn_list(struct line *l, struct rd *r)
{
	struct rd list, dn;
	bool whole = tlsod_rd_vec(r, 2, &list);

	while (list.n) {
		if (!tlsod_rd_vec(&list, 2, &dn))
			return false;
		dn_item(l, &dn);
	}
	return whole;
}

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
		tlsod_say(t, IND2, "%s unreadable: %s", what,
			  gnutls_strerror(ret));
		return;
	}
	tlsod_say(t, IND2, "%s %s", what,
		  tlsod_esc(buf, sizeof(buf), dn->data, dn->size));
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
	tlsod_say(t, IND2, "valid %s to %s",
		  utc(from, sizeof(from),
		      gnutls_x509_crt_get_activation_time(crt)),
		  utc(to, sizeof(to),
		      gnutls_x509_crt_get_expiration_time(crt)));
	alg = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
	pk = alg < 0 ? NULL : gnutls_pk_get_name((gnutls_pk_algorithm_t)alg);
	alg = gnutls_x509_crt_get_signature_algorithm(crt);
	sign = alg < 0 ? NULL :
	       gnutls_sign_get_name((gnutls_sign_algorithm_t)alg);
	tlsod_say(t, IND2, "key %s, %u bits, signed with %s",
		  pk ? pk : "unknown", bits, sign ? sign : "unknown");
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
		tlsod_say(t, IND2, "not an X.509 certificate: %s",
			  gnutls_strerror(ret));
	else
		show_crt(t, crt);
	gnutls_x509_crt_deinit(crt);
}

/* RFC 8446 4.4.2 gives each entry extensions; RFC 5246 7.4.2 has none. */
static bool show_cert_entry(struct tr *t, struct rd *list, unsigned int i)
{
	struct rd der;

	if (!tlsod_rd_vec(list, 3, &der)) {
		tlsod_say(t, IND, "certificate %u: %zu bytes (truncated)", i,
			  der.n);
		t->bad = true;
		return false;
	}
	tlsod_say(t, IND, "certificate %u: %zu bytes", i, der.n);
	show_der(t, &der);
	if (t->version != TLS13_VERSION)
		return true;
	return tlsod_show_exts(t, list, C_CERT, IND2, EXT_QUIET);
}

void tlsod_show_certificate(struct tr *t, struct rd *r)
{
	struct rd ctx, list;
	unsigned int i;
	bool whole;

	if (t->version == TLS13_VERSION) {
		if (!tlsod_need(t, tlsod_rd_vec(r, 1, &ctx),
				"request context"))
			return;
		if (ctx.n)
			tlsod_say(t, IND, "request context %zu bytes", ctx.n);
	}
	whole = tlsod_rd_vec(r, 3, &list);
	if (whole && !list.n)
		tlsod_say(t, IND, "no certificates");
	for (i = 0; list.n; i++)
		if (!show_cert_entry(t, &list, i))
			return;
	tlsod_need(t, whole, "certificate_list");
}

static void show_cert_request12(struct tr *t, struct rd *r)
{
	struct line l;

	if (!tlsod_code_line(t, "certificate types", r, 1, 1,
			     tlsod_client_cert_type_name) ||
	    !tlsod_code_line(t, "signature algorithms", r, 2, 2,
			     tlsod_scheme_name))
		return;
	tlsod_line_start(&l, t, IND, "certificate authorities");
	if (!tlsod_dn_list(&l, r))
		tlsod_line_cut(&l);
	tlsod_line_end(&l);
}

void tlsod_show_cert_request(struct tr *t, struct rd *r)
{
	struct rd ctx;

	if (t->version != TLS13_VERSION) {
		show_cert_request12(t, r);
		return;
	}
	if (!tlsod_need(t, tlsod_rd_vec(r, 1, &ctx), "request context"))
		return;
	tlsod_say(t, IND, "request context %zu bytes", ctx.n);
	tlsod_show_exts(t, r, C_CR, IND, 0);
}

void tlsod_show_cert_verify(struct tr *t, struct rd *r)
{
	struct line l;
	struct rd sig;
	char buf[48];
	uint32_t s;
	bool whole;

	if (!tlsod_need(t, tlsod_rd_uint(r, 2, &s), "signature scheme"))
		return;
	whole = tlsod_rd_vec(r, 2, &sig);
	tlsod_line_start(&l, t, IND, "signature");
	tlsod_line_add(&l, "%s", tlsod_scheme_name(s, buf, sizeof(buf)));
	tlsod_line_add(&l, "%zu bytes", sig.n);
	if (!whole)
		tlsod_line_cut(&l);
	tlsod_line_end(&l);
}

void tlsod_show_cert_status(struct tr *t, struct rd *r)
{
	struct rd resp;
	uint32_t type;
	bool whole;

	if (!tlsod_need(t, tlsod_rd_uint(r, 1, &type), "status type"))
		return;
	whole = tlsod_rd_vec(r, 3, &resp);
	tlsod_say(t, IND, "%s response %zu bytes%s",
		  type == 1 ? "OCSP" : "unknown", resp.n,
		  whole ? "" : " (truncated)");
	t->bad |= !whole;
}

/* RFC 8879 */
void tlsod_show_compressed_cert(struct tr *t, struct rd *r)
{
	uint32_t alg, len;
	struct rd data;
	char buf[16];
	bool whole;

	if (!tlsod_need(t, tlsod_rd_uint(r, 2, &alg), "algorithm") ||
	    !tlsod_need(t, tlsod_rd_uint(r, 3, &len), "uncompressed_length"))
		return;
	whole = tlsod_rd_vec(r, 3, &data);
	tlsod_say(t, IND, "%s, %u bytes compressed to %zu%s",
		  tlsod_cert_compression_name(alg, buf, sizeof(buf)), len,
		  data.n, whole ? "" : " (truncated)");
	t->bad |= !whole;
}
