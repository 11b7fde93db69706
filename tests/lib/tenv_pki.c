// SPDX-License-Identifier: GPL-2.0
/*
 * Test library: the test PKI, made with GnuTLS once per run of a test
 * program in the run's directory, which goes when the program ends.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/x509-ext.h>

#include "tenv.h"

enum { PKI_KIND_CA, PKI_KIND_SERVER, PKI_KIND_CLIENT };

struct pki_spec {
	const char *file;	/* FILE.pem, FILE.key */
	const char *cn;		/* NULL: an empty subject */
	/* subjectAltNames, "DNS:...", "IP:..." or "URI:...", NULL-ended */
	const char *san[8];
	int issuer;		/* itself for a root */
	int kind;
	long from, to;		/* validity, in seconds from now */
	bool rsa;		/* RSA 2048, else EC P-256 */
	bool lazy;		/* made when a case first asks for it */
};

#define PKI_DAY 86400L
#define PKI_LOCAL { "DNS:localhost", "IP:127.0.0.1" }
static const struct pki_spec pki_specs[PKI_N] = {
	[PKI_CA] = { "ca", "tlso test CA", { NULL }, PKI_CA,
		     PKI_KIND_CA, -PKI_DAY, 30 * PKI_DAY },
	[PKI_ROGUE_CA] = { "rogue-ca", "tlso rogue CA", { NULL },
			   PKI_ROGUE_CA, PKI_KIND_CA, -PKI_DAY, 30 * PKI_DAY },
	[PKI_SERVER] = { "server", "localhost", PKI_LOCAL, PKI_CA,
			 PKI_KIND_SERVER, -3600, 7 * PKI_DAY },
	[PKI_WRONG_NAME] = { "wrong-name", "wrong.example",
			     { "DNS:wrong.example" }, PKI_CA, PKI_KIND_SERVER,
			     -3600, 7 * PKI_DAY },
	/* Signed by the trusted CA, valid once, a month ago. */
	[PKI_EXPIRED] = { "expired", "localhost", PKI_LOCAL, PKI_CA,
			  PKI_KIND_SERVER, -60 * PKI_DAY, -30 * PKI_DAY },
	/* Right name, right dates, the wrong CA. */
	[PKI_UNTRUSTED] = { "untrusted", "localhost", PKI_LOCAL, PKI_ROGUE_CA,
			    PKI_KIND_SERVER, -3600, 7 * PKI_DAY },
	[PKI_CLIENT] = { "client", "tlso test client", { NULL }, PKI_CA,
			 PKI_KIND_CLIENT, -3600, 7 * PKI_DAY },
	/* Named by its SANs alone (TENV_ID_SAN_ONLY). */
	[PKI_SAN_ONLY] = { "san-only", NULL,
			   { "DNS:localhost", "IP:127.0.0.1", "IP:::1",
			     "URI:" TENV_SAN_URI }, PKI_CA, PKI_KIND_SERVER,
			   -3600, 7 * PKI_DAY },
	/* More names than an identity holds. */
	[PKI_LONG_NAMES] = { "long-names", "localhost",
			     { "DNS:localhost", "IP:127.0.0.1",
			       "DNS:" TENV_LONG_NAME(1), "DNS:" TENV_LONG_NAME(2),
			       "DNS:" TENV_LONG_NAME(3), "DNS:" TENV_LONG_NAME(4) },
			     PKI_CA, PKI_KIND_SERVER, -3600, 7 * PKI_DAY },
	/* For TLS 1.2's RSA key transport; slow to make under emulation. */
	[PKI_RSA_SERVER] = { "rsa-server", "localhost", PKI_LOCAL, PKI_CA,
			     PKI_KIND_SERVER, -3600, 7 * PKI_DAY, true, true },
};

static int pki_export(const char *dir, const char *file, const char *ext,
		      const gnutls_datum_t *d)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.%s", dir, file, ext);
	return tenv_write_file(path, d->data, d->size) ? GNUTLS_E_FILE_ERROR : 0;
}

#define PKI_TRY(x) do { if ((ret = (x)) < 0) { what = #x; goto out; } } while (0)

/*
 * s's names as one subjectAltName extension: critical when the subject
 * is empty, as RFC 5280 wants.
 */
static int pki_sans(gnutls_x509_crt_t crt, const struct pki_spec *s)
{
	unsigned char ip[sizeof(struct in6_addr)];
	gnutls_subject_alt_names_t sans;
	gnutls_datum_t d, der = { NULL, 0 };
	int i, ret = 0;

	if (!s->san[0])
		return 0;
	ret = gnutls_subject_alt_names_init(&sans);
	if (ret < 0)
		return ret;
	for (i = 0; s->san[i] && ret >= 0; i++) {
		const char *v = strchr(s->san[i], ':') + 1;
		unsigned int type = GNUTLS_SAN_DNSNAME;

		d = (gnutls_datum_t){ (unsigned char *)v, strlen(v) };
		if (!strncmp(s->san[i], "URI:", 4)) {
			type = GNUTLS_SAN_URI;
		} else if (!strncmp(s->san[i], "IP:", 3)) {
			type = GNUTLS_SAN_IPADDRESS;
			d.data = ip;
			d.size = inet_pton(AF_INET, v, ip) == 1 ? 4 : 16;
			if (d.size == 16 && inet_pton(AF_INET6, v, ip) != 1) {
				ret = GNUTLS_E_INVALID_REQUEST;
				break;
			}
		}
		ret = gnutls_subject_alt_names_set(sans, type, &d, NULL);
	}
	if (ret >= 0)
		ret = gnutls_x509_ext_export_subject_alt_names(sans, &der);
	if (ret >= 0)
		ret = gnutls_x509_crt_set_extension_by_oid(crt,
				GNUTLS_X509EXT_OID_SAN, der.data, der.size,
				s->cn == NULL);
	gnutls_free(der.data);
	gnutls_subject_alt_names_deinit(sans);
	return ret;
}

/*
 * Certificate i into *key and *crt, signed by ikey (its own key when
 * NULL, for a root): 0 or a GnuTLS error.
 */
static int pki_one(const char *dir, int i, gnutls_x509_privkey_t *key,
		   gnutls_x509_crt_t *crt, gnutls_x509_crt_t icrt,
		   gnutls_x509_privkey_t ikey, time_t now)
{
	const struct pki_spec *s = &pki_specs[i];
	unsigned char serial[9], id[64];
	gnutls_datum_t d = { NULL, 0 };
	const char *what = "";
	size_t idlen;
	int ret;

	PKI_TRY(gnutls_x509_privkey_init(key));
	PKI_TRY(gnutls_x509_privkey_generate(*key, s->rsa ? GNUTLS_PK_RSA :
		GNUTLS_PK_ECDSA, s->rsa ? 2048 :
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
	PKI_TRY(gnutls_x509_crt_init(crt));
	PKI_TRY(gnutls_x509_crt_set_version(*crt, 3));
	PKI_TRY(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)));
	serial[0] = (serial[0] & 0x3f) | 0x10;	/* positive, not zero */
	PKI_TRY(gnutls_x509_crt_set_serial(*crt, serial, sizeof(serial)));
	PKI_TRY(gnutls_x509_crt_set_activation_time(*crt, now + s->from));
	PKI_TRY(gnutls_x509_crt_set_expiration_time(*crt, now + s->to));
	if (s->cn)
		PKI_TRY(gnutls_x509_crt_set_dn_by_oid(*crt,
			GNUTLS_OID_X520_COMMON_NAME, 0, s->cn, strlen(s->cn)));
	PKI_TRY(gnutls_x509_crt_set_key(*crt, *key));
	PKI_TRY(gnutls_x509_crt_set_basic_constraints(*crt,
		s->kind == PKI_KIND_CA, -1));
	/* RSA key transport encrypts to the server's key */
	PKI_TRY(gnutls_x509_crt_set_key_usage(*crt,
		s->kind == PKI_KIND_CA ?
		GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN :
		GNUTLS_KEY_DIGITAL_SIGNATURE |
		(s->rsa ? GNUTLS_KEY_KEY_ENCIPHERMENT : 0)));
	if (s->kind != PKI_KIND_CA)
		PKI_TRY(gnutls_x509_crt_set_key_purpose_oid(*crt,
			s->kind == PKI_KIND_SERVER ? GNUTLS_KP_TLS_WWW_SERVER :
			GNUTLS_KP_TLS_WWW_CLIENT, 0));
	PKI_TRY(pki_sans(*crt, s));
	idlen = sizeof(id);
	PKI_TRY(gnutls_x509_crt_get_key_id(*crt, 0, id, &idlen));
	PKI_TRY(gnutls_x509_crt_set_subject_key_id(*crt, id, idlen));
	if (icrt) {
		idlen = sizeof(id);
		PKI_TRY(gnutls_x509_crt_get_subject_key_id(icrt, id, &idlen,
							   NULL));
		PKI_TRY(gnutls_x509_crt_set_authority_key_id(*crt, id, idlen));
	}
	PKI_TRY(gnutls_x509_crt_sign2(*crt, icrt ? icrt : *crt,
				      ikey ? ikey : *key, GNUTLS_DIG_SHA256,
				      0));
	PKI_TRY(gnutls_x509_crt_export2(*crt, GNUTLS_X509_FMT_PEM, &d));
	PKI_TRY(pki_export(dir, s->file, "pem", &d));
	gnutls_free(d.data);
	d.data = NULL;
	PKI_TRY(gnutls_x509_privkey_export2(*key, GNUTLS_X509_FMT_PEM, &d));
	/* last: the key file says the certificate is all there */
	PKI_TRY(pki_export(dir, s->file, "key", &d));
out:
	if (ret < 0)
		tcase_log("making %s.pem: %s: %s", s->file, what,
			  gnutls_strerror(ret));
	gnutls_free(d.data);
	return ret < 0 ? ret : 0;
}

static int pki_make(const char *dir)
{
	gnutls_x509_privkey_t key[PKI_N] = { 0 };
	gnutls_x509_crt_t crt[PKI_N] = { 0 };
	time_t now = time(NULL);
	int i, is, ret = 0;

	for (i = 0; i < PKI_N && !ret; i++) {
		is = pki_specs[i].issuer;
		if (!pki_specs[i].lazy)
			ret = pki_one(dir, i, &key[i], &crt[i],
				      is == i ? NULL : crt[is],
				      is == i ? NULL : key[is], now);
	}
	for (i = 0; i < PKI_N; i++) {
		if (crt[i])
			gnutls_x509_crt_deinit(crt[i]);
		if (key[i])
			gnutls_x509_privkey_deinit(key[i]);
	}
	return ret;
}

/* Certificate or key of the run's PKI, which, read back: 0 or an error. */
static int pki_load(const char *run, int which, gnutls_x509_crt_t *crt,
		    gnutls_x509_privkey_t *key)
{
	char path[PATH_MAX];
	gnutls_datum_t d;
	int ret;

	snprintf(path, sizeof(path), "%s/%s.%s", run, pki_specs[which].file,
		 crt ? "pem" : "key");
	d.data = (unsigned char *)tenv_slurp(path, NULL);
	d.size = strlen((char *)d.data);
	ret = crt ? gnutls_x509_crt_init(crt) : gnutls_x509_privkey_init(key);
	if (ret >= 0)
		ret = crt ?
		      gnutls_x509_crt_import(*crt, &d, GNUTLS_X509_FMT_PEM) :
		      gnutls_x509_privkey_import(*key, &d, GNUTLS_X509_FMT_PEM);
	free(d.data);
	return ret;
}

/* A lazy certificate, made by the first case that asks for it. */
static void pki_lazy(const char *run, int which)
{
	gnutls_x509_privkey_t key = NULL, ikey = NULL;
	gnutls_x509_crt_t crt = NULL, icrt = NULL;
	int is = pki_specs[which].issuer;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.key", run, pki_specs[which].file);
	if (!pki_specs[which].lazy || !access(path, F_OK))
		return;
	TCASE_ASSERT(pki_load(run, is, &icrt, NULL) >= 0);
	TCASE_ASSERT(pki_load(run, is, NULL, &ikey) >= 0);
	TCASE_ASSERT(pki_one(run, which, &key, &crt, icrt, ikey,
			     time(NULL)) == 0);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	gnutls_x509_crt_deinit(icrt);
	gnutls_x509_privkey_deinit(ikey);
}

void pki_once(const char *run)
{
	char marker[PATH_MAX];

	snprintf(marker, sizeof(marker), "%s/pki-done", run);
	if (!access(marker, F_OK))
		return;
	TCASE_ASSERT(!mkdir(run, 0700) || errno == EEXIST);
	TCASE_ASSERT_OK(chmod(run, 0711));
	TCASE_ASSERT(pki_make(run) == 0);
	TCASE_ASSERT_OK(tenv_write_file(marker, "", 0));
}

void tenv_pki(const struct tenv *e, char *buf, size_t size, int which,
	      const char *ext)
{
	pki_lazy(e->run, which);
	snprintf(buf, size, "%s/%s.%s", e->run, pki_specs[which].file, ext);
	/* the files a configuration names are tlsod's, and it runs as nobody */
	tenv_give_tlsod(buf);
}

void tenv_pki_sha256(const struct tenv *e, int which, char hex[65])
{
	gnutls_x509_crt_t crt;
	unsigned char md[32];
	size_t len = sizeof(md), i;

	pki_lazy(e->run, which);
	TCASE_ASSERT(pki_load(e->run, which, &crt, NULL) >= 0);
	TCASE_ASSERT(gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256,
						     md, &len) >= 0);
	gnutls_x509_crt_deinit(crt);
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* The harness's main process, whose run the directory is. */
static pid_t tenv_main_pid;

static void __attribute__((constructor)) tenv_init(void)
{
	tenv_main_pid = getpid();
}

void tenv_run_dir(char *buf, size_t size)
{
	snprintf(buf, size, "/tmp/tlsod_test.%d", (int)tenv_main_pid);
}

/* Cases run in children of the main process; it cleans up at exit. */
static void __attribute__((destructor)) tenv_fini(void)
{
	char dir[64], cmd[128];
	struct stat st;

	if (getpid() != tenv_main_pid)
		return;
	tenv_run_dir(dir, sizeof(dir));
	if (stat(dir, &st) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", dir);
	}
}
