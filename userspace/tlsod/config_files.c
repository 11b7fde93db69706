// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod's configuration: the files a profile names.  Each is opened and
 * checked here, once, as tlsod starts or reloads: a secret's owner and
 * mode, the trust store, and the certificate chain with its private key,
 * whose bytes are read by hand so that they can be wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#include "config_priv.h"
#include "keyproxy.h"

/*
 * A file that holds a secret is for its owner alone, and the owner is
 * root or the user tlsod runs as, as sshd's StrictModes wants of a key:
 * whoever else may read it has the secret, whoever may write it can put
 * in one of their own.  holder: the file is not the secret's own, it
 * holds one (tlsod.conf with a psk_key).
 */
int tlsod_conf_check_private(struct parse *ps, int line, const char *key,
			 const char *path, const struct stat *st, bool holder)
{
	const char *whose = holder ? "the file that holds it, " : "";
	uid_t me = geteuid();

	/*
	 * Started as root, tlsod reads the file now as root and at a
	 * reload as its user: either may own it.
	 */
	if (ps->has_user)
		me = ps->uid;
	if (st->st_uid != 0 && st->st_uid != geteuid() &&
	    st->st_uid != me) {
		tlsod_conf_err(ps, line,
			       "%s: %s%s: owned by uid %u, and only root or tlsod's own user (uid %u) may own it; chown root %s",
			       key, whose, path, (unsigned int)st->st_uid,
			       (unsigned int)me, path);
		return -1;
	}
	if (st->st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) {
		tlsod_conf_err(ps, line,
			       "%s: %s%s: group or others may read or write it (mode %04o); chmod go-rw %s",
			       key, whose, path,
			       (unsigned int)(st->st_mode & 07777), path);
		return -1;
	}
	return 0;
}

/*
 * GnuTLS says little about a file it cannot open; open() says why.  A
 * secret is checked on the file opened, not on a name.
 */
static int check_readable(struct parse *ps, int line, const char *key,
			  const char *path, bool secret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	int ret = 0;

	if (fd < 0) {
		tlsod_conf_err(ps, line, "%s %s: %s", key, path, strerror(errno));
		return -1;
	}
	if (secret && fstat(fd, &st) < 0) {
		tlsod_conf_err(ps, line, "%s %s: %s", key, path, strerror(errno));
		ret = -1;
	} else if (secret) {
		ret = tlsod_conf_check_private(ps, line, key, path, &st, false);
	}
	close(fd);
	return ret;
}

int tlsod_conf_load_trust(struct parse *ps, struct pprofile *pp)
{
	struct tlsod_profile *p = pp->p;
	int line = tlsod_conf_line(pp, K_TRUST_STORE);
	int n;

	if (!p->trust_store) {
		n = gnutls_certificate_set_x509_system_trust(p->cred);
		if (n < 0) {
			tlsod_conf_err(ps, line, "[%s] system trust store: %s", p->name,
				       gnutls_strerror(n));
			return -1;
		}
		p->trust_count = n;
		return 0;
	}
	if (check_readable(ps, line, "trust_store", p->trust_store, false))
		return -1;
	n = gnutls_certificate_set_x509_trust_file(p->cred, p->trust_store,
						   GNUTLS_X509_FMT_PEM);
	if (n < 0) {
		tlsod_conf_err(ps, line, "trust_store %s: %s", p->trust_store,
			       gnutls_strerror(n));
		return -1;
	}
	if (n == 0) {
		tlsod_conf_err(ps, line, "trust_store %s: no PEM certificate in it",
			       p->trust_store);
		return -1;
	}
	p->trust_count = n;
	return 0;
}

/*
 * The key file's bytes, read by hand rather than by GnuTLS so that they
 * can be scrubbed once imported; checked as a secret on the file opened.
 */
static int read_key_file(struct parse *ps, int line, const char *path,
			 gnutls_datum_t *d)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t got = 0;
	struct stat st;
	ssize_t n;

	if (fd < 0) {
		tlsod_conf_err(ps, line, "private_key %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		tlsod_conf_err(ps, line, "private_key %s: %s", path, strerror(errno));
		goto err;
	}
	if (tlsod_conf_check_private(ps, line, "private_key", path, &st, false))
		goto err;
	if (!S_ISREG(st.st_mode) || st.st_size > TLSOD_KEY_FILE_MAX) {
		tlsod_conf_err(ps, line, "private_key %s: not a file of at most %d bytes",
			       path, TLSOD_KEY_FILE_MAX);
		goto err;
	}
	d->data = malloc(st.st_size + 1);
	if (!d->data) {
		tlsod_conf_err(ps, line, "out of memory");
		ps->err_no = ENOMEM;
		goto err;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, d->data + got, st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	if (got != (size_t)st.st_size) {
		tlsod_conf_err(ps, line, "private_key %s: %s", path,
			       got < (size_t)st.st_size ? "it shrank as it was read" :
			       strerror(errno));
		explicit_bzero(d->data, got);
		free(d->data);
		d->data = NULL;
		goto err;
	}
	d->size = got;
	close(fd);
	return 0;
err:
	close(fd);
	return -1;
}

/* Whether key is the private half of pub: their public keys, as DER. */
static int key_matches(gnutls_privkey_t key, gnutls_pubkey_t pub)
{
	gnutls_datum_t a = { NULL, 0 }, b = { NULL, 0 };
	gnutls_pubkey_t mine;
	int ret;

	ret = gnutls_pubkey_init(&mine);
	if (ret < 0)
		return ret;
	ret = gnutls_pubkey_import_privkey(mine, key, 0, 0);
	if (ret >= 0)
		ret = gnutls_pubkey_export2(mine, GNUTLS_X509_FMT_DER, &a);
	if (ret >= 0)
		ret = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &b);
	if (ret >= 0)
		ret = a.size == b.size && !memcmp(a.data, b.data, a.size);
	gnutls_free(a.data);
	gnutls_free(b.data);
	gnutls_pubkey_deinit(mine);
	return ret;
}

/*
 * The chain as pcerts, the key as a real privkey kept in the profile for
 * the parent, and in the credentials an external key that signs through
 * the parent (keyproxy.h): what a worker keeps of it all.
 */
int tlsod_conf_load_chain(struct parse *ps, struct pprofile *pp)
{
	struct tlsod_profile *p = pp->p;
	int line = pp->line[K_CERTIFICATE];
	int kline = pp->line[K_PRIVATE_KEY];
	gnutls_pcert_st chain[TLSOD_CHAIN_MAX];
	unsigned int n = TLSOD_CHAIN_MAX, i;
	gnutls_datum_t kd = { NULL, 0 };
	gnutls_privkey_t ext = NULL;
	unsigned int bits = 0;
	int ret;

	if (check_readable(ps, line, "certificate", p->certificate, false))
		return -1;
	ret = gnutls_pcert_list_import_x509_file(chain, &n, p->certificate,
						 GNUTLS_X509_FMT_PEM, NULL,
						 NULL, 0);
	if (ret < 0) {
		if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER)
			tlsod_conf_err(ps, line, "certificate %s: more than %d certificates",
				       p->certificate, TLSOD_CHAIN_MAX);
		else
			tlsod_conf_err(ps, line, "certificate %s: %s", p->certificate,
				       gnutls_strerror(ret));
		return -1;
	}
	if (read_key_file(ps, kline, p->private_key, &kd))
		goto err;
	ret = gnutls_privkey_init(&p->key);
	if (ret >= 0)
		ret = gnutls_privkey_import_x509_raw(p->key, &kd,
						     GNUTLS_X509_FMT_PEM,
						     NULL, 0);
	explicit_bzero(kd.data, kd.size);
	free(kd.data);
	if (ret < 0) {
		tlsod_conf_err(ps, kline, "private_key %s: %s", p->private_key,
			       gnutls_strerror(ret));
		goto err;
	}
	ret = key_matches(p->key, chain[0].pubkey);
	if (ret <= 0) {
		tlsod_conf_err(ps, line,
			       "certificate %s with private_key %s: %s",
			       p->certificate, p->private_key,
			       ret ? gnutls_strerror(ret) :
			       "the key and the certificate's public key do not match");
		goto err;
	}
	ret = gnutls_pubkey_get_pk_algorithm(chain[0].pubkey, &bits);
	p->keyref = (struct tlsod_keyref){
		.index = ps->nkeys, .pk = ret, .bits = bits,
	};
	/*
	 * GnuTLS would check the pair with a signature, which the external
	 * key cannot make before there is a worker; key_matches() did.
	 */
	gnutls_certificate_set_flags(p->cred,
				     GNUTLS_CERTIFICATE_SKIP_KEY_CERT_MATCH);
	ret = tlsod_kp_ext_key(&ext, &p->keyref);
	if (ret >= 0)
		ret = gnutls_certificate_set_key(p->cred, NULL, 0, chain, n,
						 ext);
	if (ret < 0) {
		tlsod_conf_err(ps, line,
			       "certificate %s with private_key %s: %s",
			       p->certificate, p->private_key,
			       gnutls_strerror(ret));
		if (ext)
			gnutls_privkey_deinit(ext);
		goto err;
	}
	ps->nkeys++;
	return 0;
err:
	for (i = 0; i < n; i++)
		gnutls_pcert_deinit(&chain[i]);
	return -1;
}
