// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod's configuration, read with libinih.
 *
 * inih does not tell a handler which line it is on, so the file is fed
 * through a reader of our own that counts lines; every message names
 * "file:line".  A first pass collects the values, a second one (after the
 * whole file, since keys of one profile may come in any order) checks the
 * profiles as a whole and loads their files into GnuTLS credentials.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>
#include <gnutls/gnutls.h>

#include "config.h"

enum key {
	K_CERTIFICATE,
	K_PRIVATE_KEY,
	K_TRUST_STORE,
	K_CLIENT_AUTH,
	K_VERSIONS,
	K_PSK_IDENTITY,
	K_PSK_KEY,
	K_TIMEOUT_MS,
	NKEYS
};

/* A profile while the file is read: where each of its keys was. */
struct pprofile {
	struct tlsod_profile *p;
	int line[NKEYS];	/* 0: not given */
	struct pprofile *next;
};

struct parse {
	const char *path;
	char *dir;		/* of the file, for relative paths */
	FILE *f;
	int line;		/* the line the reader handed out last */
	bool line_start;	/* the next read starts a new line */
	int err_line;		/* of the first error, 0 when none */
	int nerr;
	int err_no;		/* errno for the caller */
	char *err;
	size_t errsize;
	struct pprofile *profiles, **tail;
};

/*
 * inih cuts section names to MAX_SECTION - 1 (49) characters without a
 * word; a name that long may have been longer.
 */
#define INIH_SECTION_CUT	49

struct key_def {
	const char *name;
	int (*set)(struct parse *ps, struct tlsod_profile *p, const char *v);
};

static void __attribute__((format(printf, 3, 4)))
perr(struct parse *ps, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	ps->nerr++;
	if (ps->err_line)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps->err_line = line;
	ps->err_no = EINVAL;
	if (line > 0)
		snprintf(ps->err, ps->errsize, "%s:%d: %s", ps->path, line,
			 msg);
	else
		snprintf(ps->err, ps->errsize, "%s: %s", ps->path, msg);
}

/* inih's reader: fgets that counts lines and refuses truncated ones. */
static char *read_line(char *buf, int size, void *stream)
{
	struct parse *ps = stream;
	size_t len;
	int c;

	if (!fgets(buf, size, ps->f))
		return NULL;
	ps->line++;
	len = strlen(buf);
	if (len && buf[len - 1] == '\n')
		return buf;
	if (feof(ps->f))
		return buf;
	/*
	 * inih would take the first part for the whole line, and a path cut
	 * short is worse than an error.
	 */
	perr(ps, ps->line, "line longer than %d characters", size - 3);
	while ((c = fgetc(ps->f)) != EOF && c != '\n')
		;
	return buf;
}

static int set_string(struct parse *ps, char **dst, const char *v)
{
	*dst = strdup(v);
	if (!*dst) {
		perr(ps, ps->line, "out of memory");
		ps->err_no = ENOMEM;
		return -1;
	}
	return 0;
}

/* Relative paths are taken from the directory of the file. */
static int set_path(struct parse *ps, char **dst, const char *v)
{
	if (v[0] == '/' || !ps->dir)
		return set_string(ps, dst, v);
	if (asprintf(dst, "%s/%s", ps->dir, v) < 0) {
		*dst = NULL;
		perr(ps, ps->line, "out of memory");
		ps->err_no = ENOMEM;
		return -1;
	}
	return 0;
}

static int set_certificate(struct parse *ps, struct tlsod_profile *p,
			   const char *v)
{
	return set_path(ps, &p->certificate, v);
}

static int set_private_key(struct parse *ps, struct tlsod_profile *p,
			   const char *v)
{
	return set_path(ps, &p->private_key, v);
}

static int set_trust_store(struct parse *ps, struct tlsod_profile *p,
			   const char *v)
{
	p->trust_explicit = true;
	if (!strcmp(v, "system"))
		return 0;
	return set_path(ps, &p->trust_store, v);
}

static int set_client_auth(struct parse *ps, struct tlsod_profile *p,
			   const char *v)
{
	if (!strcmp(v, "none"))
		p->client_auth = TLSOD_CLIENT_AUTH_NONE;
	else if (!strcmp(v, "optional"))
		p->client_auth = TLSOD_CLIENT_AUTH_OPTIONAL;
	else if (!strcmp(v, "require"))
		p->client_auth = TLSOD_CLIENT_AUTH_REQUIRE;
	else {
		perr(ps, ps->line,
		     "client_auth: '%s' is not none, optional or require", v);
		return -1;
	}
	return 0;
}

static int set_versions(struct parse *ps, struct tlsod_profile *p,
			const char *v)
{
	char *copy, *tok, *save = NULL;
	unsigned int bit, seen = 0;
	int ret = 0;

	if (set_string(ps, &copy, v))
		return -1;
	for (tok = strtok_r(copy, " \t", &save); tok && !ret;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (!strcmp(tok, "1.2"))
			bit = TLSOD_TLS12;
		else if (!strcmp(tok, "1.3"))
			bit = TLSOD_TLS13;
		else {
			perr(ps, ps->line,
			     "versions: '%s' is not a TLS version tlso carries (1.3 1.2)",
			     tok);
			ret = -1;
			break;
		}
		if (seen & bit) {
			perr(ps, ps->line, "versions: %s given twice", tok);
			ret = -1;
		}
		seen |= bit;
	}
	free(copy);
	if (!ret && !seen) {
		perr(ps, ps->line, "versions: no version given");
		ret = -1;
	}
	if (!ret)
		p->versions = seen;
	return ret;
}

static int set_psk_identity(struct parse *ps, struct tlsod_profile *p,
			    const char *v)
{
	const unsigned char *c;

	if (strlen(v) > TLSOD_PSK_IDENTITY_MAX) {
		perr(ps, ps->line, "psk_identity: longer than %d bytes",
		     TLSOD_PSK_IDENTITY_MAX);
		return -1;
	}
	/* It goes into logs and back to the application as a string. */
	for (c = (const unsigned char *)v; *c; c++) {
		if (*c < 0x20 || *c == 0x7f) {
			perr(ps, ps->line,
			     "psk_identity: control character 0x%02x", *c);
			return -1;
		}
	}
	return set_string(ps, &p->psk_identity, v);
}

static int set_psk_key(struct parse *ps, struct tlsod_profile *p,
		       const char *v)
{
	gnutls_datum_t hex = { (unsigned char *)v, strlen(v) };
	int ret;

	ret = gnutls_hex_decode2(&hex, &p->psk_key);
	if (ret < 0) {
		p->psk_key.data = NULL;
		p->psk_key.size = 0;
		perr(ps, ps->line, "psk_key: not a hex string (%s)",
		     gnutls_strerror(ret));
		return -1;
	}
	return 0;
}

static int set_timeout_ms(struct parse *ps, struct tlsod_profile *p,
			  const char *v)
{
	unsigned long ms;
	char *end;

	errno = 0;
	ms = strtoul(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end || errno ||
	    ms < 1 || ms > TLSOD_TIMEOUT_MAX) {
		perr(ps, ps->line,
		     "timeout_ms: '%s' is not a number of milliseconds from 1 to %d",
		     v, TLSOD_TIMEOUT_MAX);
		return -1;
	}
	p->timeout_ms = ms;
	return 0;
}

static const struct key_def keys[NKEYS] = {
	[K_CERTIFICATE]	= { "certificate", set_certificate },
	[K_PRIVATE_KEY]	= { "private_key", set_private_key },
	[K_TRUST_STORE]	= { "trust_store", set_trust_store },
	[K_CLIENT_AUTH]	= { "client_auth", set_client_auth },
	[K_VERSIONS]	= { "versions", set_versions },
	[K_PSK_IDENTITY] = { "psk_identity", set_psk_identity },
	[K_PSK_KEY]	= { "psk_key", set_psk_key },
	[K_TIMEOUT_MS]	= { "timeout_ms", set_timeout_ms },
};

static struct tlsod_profile *profile_new(const char *name)
{
	struct tlsod_profile *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->name = strdup(name);
	if (!p->name) {
		free(p);
		return NULL;
	}
	p->client_auth = TLSOD_CLIENT_AUTH_NONE;
	p->versions = TLSOD_TLS12 | TLSOD_TLS13;
	p->timeout_ms = TLSOD_TIMEOUT_DEFAULT;
	return p;
}

static void profile_free(struct tlsod_profile *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->certificate);
	free(p->private_key);
	free(p->trust_store);
	free(p->psk_identity);
	if (p->psk_key.data) {
		gnutls_memset(p->psk_key.data, 0, p->psk_key.size);
		gnutls_free(p->psk_key.data);
	}
	if (p->cred)
		gnutls_certificate_free_credentials(p->cred);
	free(p);
}

static struct pprofile *pprofile_find(struct parse *ps, const char *name)
{
	struct pprofile *pp;

	for (pp = ps->profiles; pp; pp = pp->next)
		if (!strcmp(pp->p->name, name))
			return pp;
	return NULL;
}

static struct pprofile *pprofile_get(struct parse *ps, const char *name)
{
	struct pprofile *pp = pprofile_find(ps, name);

	if (pp)
		return pp;
	pp = calloc(1, sizeof(*pp));
	if (pp)
		pp->p = profile_new(name);
	if (!pp || !pp->p) {
		free(pp);
		perr(ps, ps->line, "out of memory");
		ps->err_no = ENOMEM;
		return NULL;
	}
	*ps->tail = pp;
	ps->tail = &pp->next;
	return pp;
}

static int handle_key(void *user, const char *section, const char *name,
		      const char *value)
{
	struct parse *ps = user;
	struct pprofile *pp;
	int k;

	if (!section[0]) {
		perr(ps, ps->line, "'%s' outside a [profile] section", name);
		return 0;
	}
	if (strlen(section) >= INIH_SECTION_CUT ||
	    strlen(section) > TLSOD_PROFILE_MAX) {
		perr(ps, ps->line,
		     "profile name '%s...' is too long (at most %d characters)",
		     section, INIH_SECTION_CUT - 1);
		return 0;
	}
	for (k = 0; k < NKEYS; k++)
		if (!strcmp(name, keys[k].name))
			break;
	if (k == NKEYS) {
		perr(ps, ps->line, "unknown key '%s' in [%s]", name, section);
		return 0;
	}
	pp = pprofile_get(ps, section);
	if (!pp)
		return 0;
	if (pp->line[k]) {
		perr(ps, ps->line, "%s given twice in [%s] (first on line %d)",
		     name, section, pp->line[k]);
		return 0;
	}
	pp->line[k] = ps->line;
	if (!value[0]) {
		perr(ps, ps->line, "%s: empty value", name);
		return 0;
	}
	return keys[k].set(ps, pp->p, value) == 0;
}

/* GnuTLS says little about a file it cannot open; open() says why. */
static int check_readable(struct parse *ps, int line, const char *key,
			  const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		perr(ps, line, "%s %s: %s", key, path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* A line to blame for a problem of the whole profile. */
static int profile_line(const struct pprofile *pp, enum key k)
{
	int i;

	if (pp->line[k])
		return pp->line[k];
	for (i = 0; i < NKEYS; i++)
		if (pp->line[i])
			return pp->line[i];
	return 0;
}

static int load_trust(struct parse *ps, struct pprofile *pp)
{
	struct tlsod_profile *p = pp->p;
	int line = profile_line(pp, K_TRUST_STORE);
	int n;

	if (!p->trust_store) {
		n = gnutls_certificate_set_x509_system_trust(p->cred);
		if (n < 0) {
			perr(ps, line, "[%s] system trust store: %s", p->name,
			     gnutls_strerror(n));
			return -1;
		}
		p->trust_count = n;
		return 0;
	}
	if (check_readable(ps, line, "trust_store", p->trust_store))
		return -1;
	n = gnutls_certificate_set_x509_trust_file(p->cred, p->trust_store,
						   GNUTLS_X509_FMT_PEM);
	if (n < 0) {
		perr(ps, line, "trust_store %s: %s", p->trust_store,
		     gnutls_strerror(n));
		return -1;
	}
	if (n == 0) {
		perr(ps, line, "trust_store %s: no PEM certificate in it",
		     p->trust_store);
		return -1;
	}
	p->trust_count = n;
	return 0;
}

static int load_chain(struct parse *ps, struct pprofile *pp)
{
	struct tlsod_profile *p = pp->p;
	int line = pp->line[K_CERTIFICATE];
	int ret;

	if (check_readable(ps, line, "certificate", p->certificate) ||
	    check_readable(ps, pp->line[K_PRIVATE_KEY], "private_key",
			   p->private_key))
		return -1;
	ret = gnutls_certificate_set_x509_key_file2(p->cred, p->certificate,
						    p->private_key,
						    GNUTLS_X509_FMT_PEM,
						    NULL, 0);
	if (ret < 0) {
		perr(ps, line, "certificate %s with private_key %s: %s",
		     p->certificate, p->private_key, gnutls_strerror(ret));
		return -1;
	}
	return 0;
}

/* Keys that only make sense together, then the files. */
static int check_profile(struct parse *ps, struct pprofile *pp)
{
	struct tlsod_profile *p = pp->p;
	int ret;

	if (!!p->certificate != !!p->private_key) {
		perr(ps, profile_line(pp, p->certificate ? K_CERTIFICATE :
							   K_PRIVATE_KEY),
		     "[%s] %s without %s", p->name,
		     p->certificate ? "certificate" : "private_key",
		     p->certificate ? "private_key" : "certificate");
		return -1;
	}
	if (!!p->psk_identity != !!p->psk_key.data) {
		perr(ps, profile_line(pp, p->psk_identity ? K_PSK_IDENTITY :
							    K_PSK_KEY),
		     "[%s] %s without %s", p->name,
		     p->psk_identity ? "psk_identity" : "psk_key",
		     p->psk_identity ? "psk_key" : "psk_identity");
		return -1;
	}
	/* PSK alone: no certificate is ever sent or checked. */
	if (p->psk_identity && !p->certificate && !p->trust_explicit)
		return 0;
	ret = gnutls_certificate_allocate_credentials(&p->cred);
	if (ret < 0) {
		perr(ps, profile_line(pp, K_CERTIFICATE), "[%s] %s", p->name,
		     gnutls_strerror(ret));
		ps->err_no = ENOMEM;
		return -1;
	}
	if (load_trust(ps, pp))
		return -1;
	if (p->certificate && load_chain(ps, pp))
		return -1;
	return 0;
}

static int check_profiles(struct parse *ps)
{
	struct pprofile *pp;

	/* The default profile always exists, if only with defaults. */
	if (!pprofile_find(ps, TLSOD_PROFILE_DEFAULT) &&
	    !pprofile_get(ps, TLSOD_PROFILE_DEFAULT))
		return -1;
	for (pp = ps->profiles; pp; pp = pp->next)
		if (check_profile(ps, pp))
			return -1;
	return 0;
}

/* Hand the profiles over to cfg, in file order. */
static void parse_finish(struct parse *ps, struct tlsod_config *cfg)
{
	struct tlsod_profile **tail = &cfg->profiles;
	struct pprofile *pp, *next;

	for (pp = ps->profiles; pp; pp = next) {
		next = pp->next;
		*tail = pp->p;
		tail = &pp->p->next;
		free(pp);
	}
	ps->profiles = NULL;
	free(ps->dir);
}

static void parse_abort(struct parse *ps)
{
	struct pprofile *pp, *next;

	for (pp = ps->profiles; pp; pp = next) {
		next = pp->next;
		profile_free(pp->p);
		free(pp);
	}
	free(ps->dir);
}

static int parse_file(struct parse *ps)
{
	int ret;

	ps->f = fopen(ps->path, "re");
	if (!ps->f) {
		ps->err_no = errno;
		snprintf(ps->err, ps->errsize, "%s: %s", ps->path,
			 strerror(errno));
		return -1;
	}
	ret = ini_parse_stream(read_line, ps, handle_key, ps);
	fclose(ps->f);
	if (ret == -2) {
		ps->err_no = ENOMEM;
		snprintf(ps->err, ps->errsize, "%s: out of memory", ps->path);
		return -1;
	}
	/* inih's own complaint comes first if it is on an earlier line. */
	if (ret > 0 && (!ps->err_line || ret < ps->err_line)) {
		ps->err_line = 0;
		perr(ps, ret,
		     "syntax error: expected [profile] or key = value");
	}
	return ps->err_line ? -1 : 0;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return NULL;
	if (slash == path)
		return strdup("/");
	return strndup(path, slash - path);
}

static struct tlsod_config *load(const char *path, char *err, size_t errsize)
{
	struct parse ps = {
		.path = path ? path : "(built in)",
		.err = err, .errsize = errsize,
	};
	struct tlsod_config *cfg;
	int ret = 0;

	ps.tail = &ps.profiles;
	err[0] = '\0';
	if (path) {
		ps.dir = dir_of(path);
		ret = parse_file(&ps);
	}
	if (!ret)
		ret = check_profiles(&ps);
	cfg = ret ? NULL : calloc(1, sizeof(*cfg));
	if (cfg && path) {
		cfg->path = strdup(path);
		if (!cfg->path) {
			free(cfg);
			cfg = NULL;
		}
	}
	if (!cfg) {
		if (!ret) {
			ps.err_no = ENOMEM;
			snprintf(err, errsize, "%s: out of memory", ps.path);
		} else if (ps.nerr > 1) {
			size_t len = strlen(err);

			snprintf(err + len, errsize - len,
				 " (and %d more error%s)", ps.nerr - 1,
				 ps.nerr > 2 ? "s" : "");
		}
		parse_abort(&ps);
		errno = ps.err_no ? ps.err_no : EINVAL;
		return NULL;
	}
	parse_finish(&ps, cfg);
	return cfg;
}

struct tlsod_config *tlsod_config_load(const char *path, char *err,
				       size_t errsize)
{
	return load(path, err, errsize);
}

struct tlsod_config *tlsod_config_builtin(char *err, size_t errsize)
{
	return load(NULL, err, errsize);
}

void tlsod_config_free(struct tlsod_config *cfg)
{
	struct tlsod_profile *p, *next;

	if (!cfg)
		return;
	for (p = cfg->profiles; p; p = next) {
		next = p->next;
		profile_free(p);
	}
	free(cfg->path);
	free(cfg);
}

const struct tlsod_profile *tlsod_config_find(const struct tlsod_config *cfg,
					      const char *name)
{
	const struct tlsod_profile *p;

	if (!name || !name[0])
		name = TLSOD_PROFILE_DEFAULT;
	for (p = cfg->profiles; p; p = p->next)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

const char *tlsod_client_auth_name(enum tlsod_client_auth ca)
{
	switch (ca) {
	case TLSOD_CLIENT_AUTH_OPTIONAL:
		return "optional";
	case TLSOD_CLIENT_AUTH_REQUIRE:
		return "require";
	default:
		return "none";
	}
}
