// SPDX-License-Identifier: GPL-2.0
/*
 * Test library: the test PKI, made with GnuTLS once per run of a test
 * program in the run's directory, which goes when the program ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tenv.h"

enum { PKI_KIND_CA, PKI_KIND_SERVER, PKI_KIND_CLIENT };

struct pki_spec {
	const char *file;	/* FILE.pem, FILE.key */
	const char *cn;
	const char *dns;	/* subjectAltName, or NULL */
	bool ip;		/* subjectAltName 127.0.0.1 too */
	int issuer;		/* itself for a root */
	int kind;
	long from, to;		/* validity, in seconds from now */
};

#define PKI_DAY 86400L
static const struct pki_spec pki_specs[PKI_N] = {
	[PKI_CA] = { "ca", "tlso test CA", NULL, false, PKI_CA,
		     PKI_KIND_CA, -PKI_DAY, 30 * PKI_DAY },
	[PKI_ROGUE_CA] = { "rogue-ca", "tlso rogue CA", NULL, false,
			   PKI_ROGUE_CA, PKI_KIND_CA, -PKI_DAY, 30 * PKI_DAY },
	[PKI_SERVER] = { "server", "localhost", "localhost", true, PKI_CA,
			 PKI_KIND_SERVER, -3600, 7 * PKI_DAY },
	[PKI_WRONG_NAME] = { "wrong-name", "wrong.example", "wrong.example",
			     false, PKI_CA, PKI_KIND_SERVER, -3600,
			     7 * PKI_DAY },
	/* Signed by the trusted CA, valid once, a month ago. */
	[PKI_EXPIRED] = { "expired", "localhost", "localhost", true, PKI_CA,
			  PKI_KIND_SERVER, -60 * PKI_DAY, -30 * PKI_DAY },
	/* Right name, right dates, the wrong CA. */
	[PKI_UNTRUSTED] = { "untrusted", "localhost", "localhost", true,
			    PKI_ROGUE_CA, PKI_KIND_SERVER, -3600,
			    7 * PKI_DAY },
	[PKI_CLIENT] = { "client", "tlso test client", NULL, false, PKI_CA,
			 PKI_KIND_CLIENT, -3600, 7 * PKI_DAY },
};

static int pki_export(const char *dir, const char *file, const char *ext,
		      const gnutls_datum_t *d)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.%s", dir, file, ext);
	return tenv_write_file(path, d->data, d->size) ? GNUTLS_E_FILE_ERROR : 0;
}

#define PKI_TRY(x) do { if ((ret = (x)) < 0) { what = #x; goto out; } } while (0)

/* Certificate i, its issuer's already made: 0 or a GnuTLS error. */
static int pki_one(const char *dir, int i, gnutls_x509_privkey_t *key,
		   gnutls_x509_crt_t *crt, time_t now)
{
	static const unsigned char lo[4] = { 127, 0, 0, 1 };
	const struct pki_spec *s = &pki_specs[i];
	unsigned char serial[9], id[64];
	gnutls_datum_t d = { NULL, 0 };
	const char *what = "";
	size_t idlen;
	int ret;

	PKI_TRY(gnutls_x509_privkey_init(&key[i]));
	PKI_TRY(gnutls_x509_privkey_generate(key[i], GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
	PKI_TRY(gnutls_x509_crt_init(&crt[i]));
	PKI_TRY(gnutls_x509_crt_set_version(crt[i], 3));
	PKI_TRY(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)));
	serial[0] = (serial[0] & 0x3f) | 0x10;	/* positive, not zero */
	PKI_TRY(gnutls_x509_crt_set_serial(crt[i], serial, sizeof(serial)));
	PKI_TRY(gnutls_x509_crt_set_activation_time(crt[i], now + s->from));
	PKI_TRY(gnutls_x509_crt_set_expiration_time(crt[i], now + s->to));
	PKI_TRY(gnutls_x509_crt_set_dn_by_oid(crt[i],
		GNUTLS_OID_X520_COMMON_NAME, 0, s->cn, strlen(s->cn)));
	PKI_TRY(gnutls_x509_crt_set_key(crt[i], key[i]));
	PKI_TRY(gnutls_x509_crt_set_basic_constraints(crt[i],
		s->kind == PKI_KIND_CA, -1));
	PKI_TRY(gnutls_x509_crt_set_key_usage(crt[i],
		s->kind == PKI_KIND_CA ?
		GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN :
		GNUTLS_KEY_DIGITAL_SIGNATURE));
	if (s->kind != PKI_KIND_CA)
		PKI_TRY(gnutls_x509_crt_set_key_purpose_oid(crt[i],
			s->kind == PKI_KIND_SERVER ? GNUTLS_KP_TLS_WWW_SERVER :
			GNUTLS_KP_TLS_WWW_CLIENT, 0));
	if (s->dns)
		PKI_TRY(gnutls_x509_crt_set_subject_alt_name(crt[i],
			GNUTLS_SAN_DNSNAME, s->dns, strlen(s->dns),
			GNUTLS_FSAN_APPEND));
	if (s->ip)
		PKI_TRY(gnutls_x509_crt_set_subject_alt_name(crt[i],
			GNUTLS_SAN_IPADDRESS, lo, sizeof(lo),
			GNUTLS_FSAN_APPEND));
	idlen = sizeof(id);
	PKI_TRY(gnutls_x509_crt_get_key_id(crt[i], 0, id, &idlen));
	PKI_TRY(gnutls_x509_crt_set_subject_key_id(crt[i], id, idlen));
	if (s->issuer != i) {
		idlen = sizeof(id);
		PKI_TRY(gnutls_x509_crt_get_subject_key_id(crt[s->issuer], id,
							   &idlen, NULL));
		PKI_TRY(gnutls_x509_crt_set_authority_key_id(crt[i], id,
							     idlen));
	}
	PKI_TRY(gnutls_x509_crt_sign2(crt[i], crt[s->issuer], key[s->issuer],
				      GNUTLS_DIG_SHA256, 0));
	PKI_TRY(gnutls_x509_crt_export2(crt[i], GNUTLS_X509_FMT_PEM, &d));
	PKI_TRY(pki_export(dir, s->file, "pem", &d));
	gnutls_free(d.data);
	d.data = NULL;
	PKI_TRY(gnutls_x509_privkey_export2(key[i], GNUTLS_X509_FMT_PEM, &d));
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
	int i, ret = 0;

	for (i = 0; i < PKI_N && !ret; i++)
		ret = pki_one(dir, i, key, crt, now);
	for (i = 0; i < PKI_N; i++) {
		if (crt[i])
			gnutls_x509_crt_deinit(crt[i]);
		if (key[i])
			gnutls_x509_privkey_deinit(key[i]);
	}
	return ret;
}

void pki_once(const char *run)
{
	char marker[PATH_MAX];

	snprintf(marker, sizeof(marker), "%s/pki-done", run);
	if (!access(marker, F_OK))
		return;
	TCASE_ASSERT(!mkdir(run, 0700) || errno == EEXIST);
	TCASE_ASSERT(pki_make(run) == 0);
	TCASE_ASSERT_OK(tenv_write_file(marker, "", 0));
}

void tenv_pki(const struct tenv *e, char *buf, size_t size, int which,
	      const char *ext)
{
	snprintf(buf, size, "%s/%s.%s", e->run, pki_specs[which].file, ext);
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
