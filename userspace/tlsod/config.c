// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod's configuration, read with libinih.
 *
 * inih does not tell a handler which line it is on, so the file is fed
 * through a reader of our own that counts lines (config_reader.c); every
 * message names "file:line", and the kinds of value are checked alike
 * (config_value.c).  A first pass collects the values, a second one (after the
 * whole file, since keys of one profile may come in any order) checks the
 * profiles as a whole and loads their files into GnuTLS credentials.
 * User and group names are looked up in the first pass, so that who may
 * use a profile is settled with the rest, and a request is decided on
 * numbers alone (config_access.c); the files a profile names are opened
 * and checked in the second (config_files.c).
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#include "config.h"
#include "config_priv.h"

/*
 * inih cuts section names to MAX_SECTION - 1 (49) characters without a
 * word; a name that long may have been longer.
 */
#define INIH_SECTION_CUT	49

struct key_def {
	const char *name;
	int (*set)(struct parse *ps, struct tlsod_profile *p, const char *v);
};

void tlsod_conf_err(struct parse *ps, int line, const char *fmt, ...)
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

int tlsod_conf_strdup(struct parse *ps, char **dst, const char *v)
{
	*dst = strdup(v);
	if (!*dst) {
		tlsod_conf_err(ps, ps->line, "out of memory");
		ps->err_no = ENOMEM;
		return -1;
	}
	return 0;
}

/* Relative paths are taken from the directory of the file. */
static int set_path(struct parse *ps, char **dst, const char *v)
{
	if (v[0] == '/' || !ps->dir)
		return tlsod_conf_strdup(ps, dst, v);
	if (asprintf(dst, "%s/%s", ps->dir, v) < 0) {
		*dst = NULL;
		tlsod_conf_err(ps, ps->line, "out of memory");
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
		tlsod_conf_err(ps, ps->line,
			       "client_auth: '%s' is not none, optional or require", v);
		return -1;
	}
	return 0;
}

static int set_versions(struct parse *ps, struct tlsod_profile *p,
			const char *v)
{
	static const struct word_bit words[] = {
		{ "1.2", TLSOD_TLS12 },
		{ "1.3", TLSOD_TLS13 },
	};

	return tlsod_conf_bits(ps, "versions", "a TLS version tlso carries (1.3 1.2)",
			words, ARRAY_SIZE(words), " \t", v, &p->versions);
}

/* "none" stands for no bit; it goes alone. */
#define LEGACY_NONE	0x100

static int set_legacy(struct parse *ps, struct tlsod_profile *p,
		      const char *v)
{
	static const struct word_bit words[] = {
		{ "rsa-kx", TLSOD_LEGACY_RSA_KX },
		{ "sha1", TLSOD_LEGACY_SHA1 },
		{ "psk-no-dhe", TLSOD_LEGACY_PSK_NO_DHE },
		{ "none", LEGACY_NONE },
	};
	unsigned int bits;

	if (tlsod_conf_bits(ps, "legacy", "rsa-kx, sha1, psk-no-dhe or none", words,
		     ARRAY_SIZE(words), LIST_SEP, v, &bits))
		return -1;
	if ((bits & LEGACY_NONE) && bits != LEGACY_NONE) {
		tlsod_conf_err(ps, ps->line, "legacy: 'none' goes alone");
		return -1;
	}
	p->legacy = bits & ~LEGACY_NONE;
	return 0;
}

static int set_verify_name(struct parse *ps, struct tlsod_profile *p,
			   const char *v)
{
	return tlsod_conf_yes_no(ps, "verify_name", v, &p->verify_name);
}

static int set_session_tickets(struct parse *ps, struct tlsod_profile *p,
			       const char *v)
{
	return tlsod_conf_yes_no(ps, "session_tickets", v, &p->session_tickets);
}

/*
 * The global user = NAME (or a uid): looked up now, so that a name that
 * does not resolve is an error of its line, and the key files can be
 * checked against it in the second pass.
 */
static int set_user(struct parse *ps, const char *v)
{
	struct passwd *pw;
	uint32_t id;
	int num = tlsod_conf_id(ps, "user", v, &id);

	if (num < 0)
		return -1;
	pw = num ? getpwuid(id) : getpwnam(v);
	if (!pw) {
		tlsod_conf_err(ps, ps->line, "user: no user '%s'", v);
		return -1;
	}
	ps->has_user = true;
	ps->uid = pw->pw_uid;
	ps->gid = pw->pw_gid;
	return tlsod_conf_strdup(ps, &ps->user, v);
}

/* Keys before the first [profile]: the daemon's own. */
static int handle_global(struct parse *ps, const char *name,
			 const char *value)
{
	if (strcmp(name, "user")) {
		tlsod_conf_err(ps, ps->line, "'%s' outside a [profile] section", name);
		return 0;
	}
	if (ps->user_line) {
		tlsod_conf_err(ps, ps->line, "user given twice (first on line %d)",
			       ps->user_line);
		return 0;
	}
	ps->user_line = ps->line;
	if (!value[0]) {
		tlsod_conf_err(ps, ps->line, "user: empty value");
		return 0;
	}
	return set_user(ps, value) == 0;
}

static int set_psk_identity(struct parse *ps, struct tlsod_profile *p,
			    const char *v)
{
	const unsigned char *c;

	if (strlen(v) > TLSOD_PSK_IDENTITY_MAX) {
		tlsod_conf_err(ps, ps->line, "psk_identity: longer than %d bytes",
			       TLSOD_PSK_IDENTITY_MAX);
		return -1;
	}
	/* It goes into logs and back to the application as a string. */
	for (c = (const unsigned char *)v; *c; c++) {
		if (*c < 0x20 || *c == 0x7f) {
			tlsod_conf_err(ps, ps->line,
				       "psk_identity: control character 0x%02x", *c);
			return -1;
		}
	}
	return tlsod_conf_strdup(ps, &p->psk_identity, v);
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
		tlsod_conf_err(ps, ps->line, "psk_key: not a hex string (%s)",
			       gnutls_strerror(ret));
		return -1;
	}
	if (p->psk_key.size < TLSOD_PSK_KEY_MIN) {
		tlsod_conf_err(ps, ps->line,
			       "psk_key: %u bytes; a key has at least %d (%d hex digits)",
			       p->psk_key.size, TLSOD_PSK_KEY_MIN,
			       2 * TLSOD_PSK_KEY_MIN);
		return -1;
	}
	return 0;
}

static int set_timeout_ms(struct parse *ps, struct tlsod_profile *p,
			  const char *v)
{
	unsigned long ms;

	if (tlsod_conf_number(ps, "timeout_ms", v, 1, TLSOD_TIMEOUT_MAX, "milliseconds",
		   &ms))
		return -1;
	p->timeout_ms = ms;
	return 0;
}

static int set_key_update_records(struct parse *ps, struct tlsod_profile *p,
				  const char *v)
{
	unsigned long n;

	if (tlsod_conf_number(ps, "key_update_records", v, 1, UINT32_MAX, "records", &n))
		return -1;
	p->key_update_records = n;
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
	[K_KEY_UPDATE_RECORDS] = { "key_update_records",
				   set_key_update_records },
	[K_VERIFY_NAME]	= { "verify_name", set_verify_name },
	[K_SESSION_TICKETS] = { "session_tickets", set_session_tickets },
	[K_LEGACY]	= { "legacy", set_legacy },
	[K_ALLOWED_USERS] = { "allowed_users", tlsod_conf_allowed_users },
	[K_ALLOWED_GROUPS] = { "allowed_groups", tlsod_conf_allowed_groups },
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
	p->verify_name = true;
	p->session_tickets = true;
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
	free(p->access.uids);
	free(p->access.gids);
	if (p->psk_key.data) {
		gnutls_memset(p->psk_key.data, 0, p->psk_key.size);
		gnutls_free(p->psk_key.data);
	}
	if (p->prio[0])
		gnutls_priority_deinit(p->prio[0]);
	if (p->prio[1])
		gnutls_priority_deinit(p->prio[1]);
	if (p->ticket_key.data) {
		gnutls_memset(p->ticket_key.data, 0, p->ticket_key.size);
		gnutls_free(p->ticket_key.data);
	}
	if (p->cred)
		gnutls_certificate_free_credentials(p->cred);
	if (p->key)
		gnutls_privkey_deinit(p->key);
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
		tlsod_conf_err(ps, ps->line, "out of memory");
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

	if (!section[0])
		return handle_global(ps, name, value);
	if (strlen(section) >= INIH_SECTION_CUT ||
	    strlen(section) > TLSOD_PROFILE_MAX) {
		tlsod_conf_err(ps, ps->line,
			       "profile name '%s...' is too long (at most %d characters)",
			       section, INIH_SECTION_CUT - 1);
		return 0;
	}
	for (k = 0; k < NKEYS; k++)
		if (!strcmp(name, keys[k].name))
			break;
	if (k == NKEYS && !strcmp(name, "user")) {
		tlsod_conf_err(ps, ps->line,
			       "user in [%s]: it goes before the first [profile]",
			       section);
		return 0;
	}
	if (k == NKEYS) {
		tlsod_conf_err(ps, ps->line, "unknown key '%s' in [%s]", name, section);
		return 0;
	}
	pp = pprofile_get(ps, section);
	if (!pp)
		return 0;
	if (pp->line[k]) {
		tlsod_conf_err(ps, ps->line, "%s given twice in [%s] (first on line %d)",
			       name, section, pp->line[k]);
		return 0;
	}
	pp->line[k] = ps->line;
	if (!value[0]) {
		tlsod_conf_err(ps, ps->line, "%s: empty value", name);
		return 0;
	}
	return keys[k].set(ps, pp->p, value) == 0;
}

/* A line to blame for a problem of the whole profile. */
int tlsod_conf_line(const struct pprofile *pp, enum key k)
{
	int i;

	if (pp->line[k])
		return pp->line[k];
	for (i = 0; i < NKEYS; i++)
		if (pp->line[i])
			return pp->line[i];
	return 0;
}

/* Keys that only make sense together, then the files. */
static int check_profile(struct parse *ps, struct pprofile *pp)
{
	struct tlsod_profile *p = pp->p;
	int ret;

	if (!!p->certificate != !!p->private_key) {
		tlsod_conf_err(ps, tlsod_conf_line(pp, p->certificate ?
						       K_CERTIFICATE :
						       K_PRIVATE_KEY),
			       "[%s] %s without %s", p->name,
			       p->certificate ? "certificate" : "private_key",
			       p->certificate ? "private_key" : "certificate");
		return -1;
	}
	if (!!p->psk_identity != !!p->psk_key.data) {
		tlsod_conf_err(ps, tlsod_conf_line(pp, p->psk_identity ?
						       K_PSK_IDENTITY :
						       K_PSK_KEY),
			       "[%s] %s without %s", p->name,
			       p->psk_identity ? "psk_identity" : "psk_key",
			       p->psk_identity ? "psk_key" : "psk_identity");
		return -1;
	}
	if (p->psk_key.data &&
	    tlsod_conf_check_private(ps, pp->line[K_PSK_KEY], "psk_key",
				     ps->path, &ps->st, true))
		return -1;
	/*
	 * A client certificate from any CA of the system's would do: the
	 * CAs must be chosen, if only by writing "system".
	 */
	if (p->client_auth != TLSOD_CLIENT_AUTH_NONE && !p->trust_explicit) {
		tlsod_conf_err(ps, tlsod_conf_line(pp, K_CLIENT_AUTH),
			       "[%s] client_auth = %s needs a trust_store: the CAs that client certificates must chain to",
			       p->name, tlsod_client_auth_name(p->client_auth));
		return -1;
	}
	/* The system's CAs vouch for any public name: a name must be given. */
	if (!p->verify_name && !p->trust_store) {
		tlsod_conf_err(ps, tlsod_conf_line(pp, K_VERIFY_NAME),
			       "[%s] verify_name = no needs a trust_store file of its own (not system)",
			       p->name);
		return -1;
	}
	/*
	 * Made here, in the parent, so that every worker forked with this
	 * configuration seals and opens the same tickets.
	 */
	if (p->session_tickets) {
		ret = gnutls_session_ticket_key_generate(&p->ticket_key);
		if (ret < 0) {
			tlsod_conf_err(ps, pp->line[K_SESSION_TICKETS],
				       "[%s] session ticket key: %s", p->name,
				       gnutls_strerror(ret));
			return -1;
		}
	}
	/* PSK alone: no certificate is ever sent or checked. */
	if (p->psk_identity && !p->certificate && !p->trust_explicit)
		return 0;
	ret = gnutls_certificate_allocate_credentials(&p->cred);
	if (ret < 0) {
		tlsod_conf_err(ps, tlsod_conf_line(pp, K_CERTIFICATE), "[%s] %s", p->name,
			       gnutls_strerror(ret));
		ps->err_no = ENOMEM;
		return -1;
	}
	if (tlsod_conf_load_trust(ps, pp))
		return -1;
	if (p->certificate && tlsod_conf_load_chain(ps, pp))
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

/*
 * Hand the profiles over to cfg, in file order, with the global section
 * and the keys by index.  0, or -1 out of memory (and nothing handed).
 */
static int parse_finish(struct parse *ps, struct tlsod_config *cfg)
{
	struct tlsod_profile **tail = &cfg->profiles;
	struct pprofile *pp, *next;

	if (ps->nkeys) {
		cfg->keys = calloc(ps->nkeys, sizeof(*cfg->keys));
		if (!cfg->keys)
			return -1;
	}
	cfg->nkeys = ps->nkeys;
	for (pp = ps->profiles; pp; pp = next) {
		next = pp->next;
		if (pp->p->key)
			cfg->keys[pp->p->keyref.index] = pp->p->key;
		*tail = pp->p;
		tail = &pp->p->next;
		free(pp);
	}
	ps->profiles = NULL;
	cfg->user = ps->user;
	ps->user = NULL;
	cfg->has_user = ps->has_user;
	cfg->uid = ps->uid;
	cfg->gid = ps->gid;
	free(ps->dir);
	return 0;
}

static void parse_abort(struct parse *ps)
{
	struct pprofile *pp, *next;

	for (pp = ps->profiles; pp; pp = next) {
		next = pp->next;
		profile_free(pp->p);
		free(pp);
	}
	free(ps->user);
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
	if (fstat(fileno(ps->f), &ps->st) < 0) {
		ps->err_no = errno;
		snprintf(ps->err, ps->errsize, "%s: %s", ps->path,
			 strerror(errno));
		fclose(ps->f);
		return -1;
	}
	ret = ini_parse_stream(tlsod_conf_read_line, ps, handle_key, ps);
	fclose(ps->f);
	if (ret == -2) {
		ps->err_no = ENOMEM;
		snprintf(ps->err, ps->errsize, "%s: out of memory", ps->path);
		return -1;
	}
	/* inih's own complaint comes first if it is on an earlier line. */
	if (ret > 0 && (!ps->err_line || ret < ps->err_line)) {
		ps->err_line = 0;
		tlsod_conf_err(ps, ret,
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

/* Without user =, the dedicated user if the system has one. */
static void default_user(struct parse *ps)
{
	struct passwd *pw = getpwnam(TLSOD_USER_DEFAULT);

	if (!pw)
		return;
	ps->has_user = true;
	ps->uid = pw->pw_uid;
	ps->gid = pw->pw_gid;
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
	if (!ret && !ps.has_user)
		default_user(&ps);
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
	if (cfg && parse_finish(&ps, cfg)) {
		free(cfg->path);
		free(cfg);
		cfg = NULL;
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
	free(cfg->keys);
	free(cfg->user);
	free(cfg->path);
	free(cfg);
}

void tlsod_config_drop_keys(struct tlsod_config *cfg)
{
	struct tlsod_profile *p;

	for (p = cfg->profiles; p; p = p->next) {
		if (p->key) {
			gnutls_privkey_deinit(p->key);
			p->key = NULL;
		}
	}
	if (cfg->keys)
		memset(cfg->keys, 0, cfg->nkeys * sizeof(*cfg->keys));
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
