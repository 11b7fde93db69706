// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target "config": tlsod's configuration parser
 * (userspace/tlsod/config*.c, with libinih), loaded as config_test and
 * tlsod load it: from a file.
 *
 * The input is the text of tlsod.conf.  It is written to one file in a
 * directory made at start-up, where the files profiles
 * name are made once: a CA, a server chain and key, a key of another
 * pair, an RSA pair, a key open to others, an empty and a broken PEM,
 * under the names config_test uses (ca.pem, srv.pem, srv.key,
 * other.key, ...), so that relative paths in the seeds load for real
 * and the fuzzer reaches the chain and key checks; a file that does not
 * exist is just another error.  The directory ($TMPDIR, else /dev/shm,
 * else /tmp) goes at exit.
 *
 * Users and groups come from a database of this file's own (as in
 * config_test), so that what resolves is the same on every machine and
 * costs no NSS lookup.  The system trust store is not loaded: parsing
 * its hundred-odd CAs, the same bytes for every input, would take most
 * of each run and tell nothing about the parser.
 *
 * The parser must then keep its promises: a failure is EINVAL (or
 * ENOMEM) with a message that names the file; a success has a default
 * profile, each profile's values within their bounds and consistent,
 * every key where cfg->keys says.  Everything is freed after each
 * input, and LeakSanitizer checks that it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "fuzz.h"
#include "config.h"

#define ERR_SIZE	160	/* short: long messages are cut, never spilt */

static char dir[256];
static char conf[300];
static int conf_fd = -1;

/* ---- the user and group database ---- */

/*
 * member0 ... member1024: "horde" lists them all, one more than a
 * profile may bring in; "crowd" the first hundred.  Every member is a
 * lookup and an allocation in config_access.c, so the seeds name the
 * small group, and the fuzzer finds the big one when it looks.
 */
#define HORDE		(TLSOD_MEMBERS_MAX + 1)
#define CROWD		100
#define MEMBER_UID	20000

static const struct {
	const char *name;
	uid_t uid;
	gid_t gid;
} users[] = {
	{ "root", 0, 0 }, { "tlsod", 990, 990 }, { "www-data", 33, 33 },
	{ "alice", 1001, 1001 }, { "bob", 1002, 1002 },
	{ "sensord", 1003, 2001 },
};

/*
 * The database is the harness's, not code under test: its comparisons
 * stay out of libFuzzer's coverage and string hooks, which took a fifth
 * of the time when a group brought in its hundred members.
 */
__attribute__((no_sanitize("coverage")))
static bool same(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* "member" and a number below HORDE, without leading zeros. */
__attribute__((no_sanitize("coverage")))
static bool member_no(const char *name, unsigned int *n)
{
	const char *p = name + 6;
	unsigned int i;

	for (i = 0; i < 6; i++)
		if (name[i] != "member"[i])
			return false;
	if (*p < '0' || *p > '9' || (*p == '0' && p[1]))
		return false;
	for (*n = 0; *p >= '0' && *p <= '9' && *n < HORDE; p++)
		*n = *n * 10 + (unsigned int)(*p - '0');
	return !*p && *n < HORDE;
}

static struct passwd *fake_user(const char *name, uid_t uid)
{
	static struct passwd pw;
	static char buf[32];
	unsigned int i, n;

	if (name ? member_no(name, &n) :
		   uid >= MEMBER_UID && uid - MEMBER_UID < HORDE) {
		if (!name)
			n = uid - MEMBER_UID;
		snprintf(buf, sizeof(buf), "member%u", n);
		pw = (struct passwd){ .pw_name = buf,
				      .pw_uid = MEMBER_UID + n,
				      .pw_gid = 2002 };
		return &pw;
	}
	for (i = 0; i < ARRAY_SIZE(users); i++) {
		if (name ? same(name, users[i].name) : uid == users[i].uid) {
			snprintf(buf, sizeof(buf), "%s", users[i].name);
			pw = (struct passwd){ .pw_name = buf,
					      .pw_uid = users[i].uid,
					      .pw_gid = users[i].gid };
			return &pw;
		}
	}
	return NULL;
}

struct passwd *getpwnam(const char *name)
{
	return fake_user(name, 0);
}

struct passwd *getpwuid(uid_t uid)
{
	return fake_user(NULL, uid);
}

static struct group *fake_group(const char *name, gid_t gid)
{
	static char *staff[] = { "alice", "ghost", "bob", NULL };
	static char *none[] = { NULL };
	static char *crowd[CROWD + 1], *horde[HORDE + 1];
	static char names[HORDE][16];
	static const struct {
		const char *name;
		gid_t gid;
		char **mem;
	} groups[] = {
		{ "root", 0, none }, { "tlsod", 990, none },
		{ "staff", 2001, staff }, { "crowd", 2002, crowd },
		{ "backend", 2003, none }, { "horde", 2004, horde },
	};
	static struct group gr;
	unsigned int i;

	if (!horde[0])
		for (i = 0; i < HORDE; i++) {
			snprintf(names[i], sizeof(names[i]), "member%u", i);
			horde[i] = names[i];
			if (i < CROWD)
				crowd[i] = names[i];
		}
	for (i = 0; i < ARRAY_SIZE(groups); i++) {
		if (name ? same(name, groups[i].name) :
			   gid == groups[i].gid) {
			gr = (struct group){ .gr_name = (char *)groups[i].name,
					     .gr_gid = groups[i].gid,
					     .gr_mem = groups[i].mem };
			return &gr;
		}
	}
	return NULL;
}

struct group *getgrnam(const char *name)
{
	return fake_group(name, 0);
}

struct group *getgrgid(gid_t gid)
{
	return fake_group(NULL, gid);
}

/* A stand-in for the system's CAs: a count, and nothing parsed. */
int gnutls_certificate_set_x509_system_trust(
	gnutls_certificate_credentials_t cred)
{
	(void)cred;
	return 3;
}

/* ---- the files profiles name ---- */

static void put(const char *name, const void *data, size_t len, mode_t mode)
{
	char path[400];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len ||
	    fchmod(fd, mode) < 0) {
		perror(path);
		abort();
	}
	close(fd);
}

static void put_datum(const char *name, gnutls_datum_t *d, mode_t mode)
{
	put(name, d->data, d->size, mode);
	gnutls_free(d->data);
	d->data = NULL;
}

static gnutls_x509_privkey_t make_key(gnutls_pk_algorithm_t pk,
				      unsigned int bits)
{
	gnutls_x509_privkey_t k;

	if (gnutls_x509_privkey_init(&k) < 0 ||
	    gnutls_x509_privkey_generate(k, pk, bits, 0) < 0)
		abort();
	return k;
}

/* A certificate for key, signed by ca (NULL: by itself). */
static gnutls_x509_crt_t make_crt(gnutls_x509_privkey_t key, const char *cn,
				  gnutls_x509_crt_t ca,
				  gnutls_x509_privkey_t ca_key)
{
	static unsigned char serial;
	time_t now = time(NULL);
	gnutls_x509_crt_t crt;

	serial++;
	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(crt, &serial, 1) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - 3600) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now + 30 * 86400) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
					  cn, strlen(cn)) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, !ca, -1) < 0 ||
	    gnutls_x509_crt_set_key(crt, key) < 0 ||
	    gnutls_x509_crt_sign2(crt, ca ? ca : crt, ca ? ca_key : key,
				  GNUTLS_DIG_SHA256, 0) < 0)
		abort();
	return crt;
}

static void put_crts(const char *name, gnutls_x509_crt_t a,
		     gnutls_x509_crt_t b)
{
	gnutls_datum_t da, db;
	char *both;

	if (gnutls_x509_crt_export2(a, GNUTLS_X509_FMT_PEM, &da) < 0)
		abort();
	if (!b) {
		put_datum(name, &da, 0644);
		return;
	}
	if (gnutls_x509_crt_export2(b, GNUTLS_X509_FMT_PEM, &db) < 0)
		abort();
	both = malloc(da.size + db.size);
	if (!both)
		abort();
	memcpy(both, da.data, da.size);
	memcpy(both + da.size, db.data, db.size);
	put(name, both, da.size + db.size, 0644);
	free(both);
	gnutls_free(da.data);
	gnutls_free(db.data);
}

static void put_key(const char *name, gnutls_x509_privkey_t k, mode_t mode)
{
	gnutls_datum_t d;

	if (gnutls_x509_privkey_export2(k, GNUTLS_X509_FMT_PEM, &d) < 0)
		abort();
	put_datum(name, &d, mode);
}

static void make_files(void)
{
	static const char junk[] = "-----BEGIN CERTIFICATE-----\n"
				   "bm90IGEgY2VydGlmaWNhdGU=\n"
				   "-----END CERTIFICATE-----\n";
	gnutls_x509_privkey_t ca_key, srv_key, other, rsa_key;
	gnutls_x509_crt_t ca, srv, rsa;
	char sub[300];

	ca_key = make_key(GNUTLS_PK_ECDSA, 256);
	srv_key = make_key(GNUTLS_PK_ECDSA, 256);
	other = make_key(GNUTLS_PK_ECDSA, 256);
	rsa_key = make_key(GNUTLS_PK_RSA, 2048);
	ca = make_crt(ca_key, "fuzz CA", NULL, NULL);
	srv = make_crt(srv_key, "server.example", ca, ca_key);
	rsa = make_crt(rsa_key, "rsa.example", ca, ca_key);

	put_crts("ca.pem", ca, NULL);
	put_key("ca.key", ca_key, 0600);
	put_crts("srv.pem", srv, ca);	/* leaf first, then its CA */
	put_key("srv.key", srv_key, 0600);
	put_crts("leaf.pem", srv, NULL);
	put_key("other.key", other, 0600);
	put_key("open.key", srv_key, 0644);
	put_crts("rsa.pem", rsa, ca);
	put_key("rsa.key", rsa_key, 0600);
	put("empty.pem", "", 0, 0644);
	put("junk.pem", junk, sizeof(junk) - 1, 0644);
	snprintf(sub, sizeof(sub), "%s/s", dir);
	if (mkdir(sub, 0700) < 0)
		abort();
	put_crts("s/ca.pem", ca, NULL);
	put_crts("s/srv.pem", srv, ca);
	put_key("s/srv.key", srv_key, 0600);

	gnutls_x509_crt_deinit(ca);
	gnutls_x509_crt_deinit(srv);
	gnutls_x509_crt_deinit(rsa);
	gnutls_x509_privkey_deinit(ca_key);
	gnutls_x509_privkey_deinit(srv_key);
	gnutls_x509_privkey_deinit(other);
	gnutls_x509_privkey_deinit(rsa_key);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	if (conf_fd >= 0)
		close(conf_fd);
	if (dir[0])
		nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * The file is rewritten for every input: on a disk filesystem each write
 * went out to the block device and the run was five times slower, so
 * tmpfs where there is one.
 */
static const char *tmp_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp && *tmp)
		return tmp;
	if (access("/dev/shm", W_OK | X_OK) == 0)
		return "/dev/shm";
	return "/tmp";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/tlso-fuzz-config.XXXXXX", tmp_dir());
	if (!mkdtemp(dir)) {
		perror(dir);
		abort();
	}
	atexit(cleanup);
	make_files();
	/* for its owner alone, as a file with a psk_key must be */
	snprintf(conf, sizeof(conf), "%s/tlsod.conf", dir);
	conf_fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (conf_fd < 0)
		abort();
	return 0;
}

/*
 * Paths a profile may name that would hang a load or feed it without
 * end (a FIFO, /dev/zero, /proc/kmsg): a real tlsod.conf that names
 * them is its author's problem, not the parser's, and a hung input only
 * wastes the run.
 */
static bool harmless(const uint8_t *data, size_t size)
{
	static const char *const bad[] = { "/dev/", "/proc/", "/sys/",
					   "/run/" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (memmem(data, size, bad[i], strlen(bad[i])))
			return false;
	return true;
}

static void check_profile(const struct tlsod_config *cfg,
			  const struct tlsod_profile *p)
{
	const struct tlsod_access *a = &p->access;

	FUZZ_CHECK(p->name && p->name[0] &&
		   strlen(p->name) <= TLSOD_PROFILE_MAX, "name");
	FUZZ_CHECK(tlsod_config_find(cfg, p->name) == p, "[%s] not found",
		   p->name);
	FUZZ_CHECK(p->versions && !(p->versions & ~(TLSOD_TLS12 |
						    TLSOD_TLS13)),
		   "[%s] versions %#x", p->name, p->versions);
	FUZZ_CHECK(!(p->legacy & ~(TLSOD_LEGACY_RSA_KX | TLSOD_LEGACY_SHA1 |
				   TLSOD_LEGACY_PSK_NO_DHE)),
		   "[%s] legacy %#x", p->name, p->legacy);
	FUZZ_CHECK(p->timeout_ms >= 1 && p->timeout_ms <= TLSOD_TIMEOUT_MAX,
		   "[%s] timeout %u", p->name, p->timeout_ms);
	FUZZ_CHECK(p->client_auth <= TLSOD_CLIENT_AUTH_REQUIRE &&
		   (p->client_auth == TLSOD_CLIENT_AUTH_NONE ||
		    p->trust_explicit),
		   "[%s] client_auth %d", p->name, p->client_auth);
	FUZZ_CHECK(!p->trust_store || p->trust_explicit, "[%s] trust",
		   p->name);
	FUZZ_CHECK(p->verify_name || p->trust_store, "[%s] verify_name",
		   p->name);
	FUZZ_CHECK(!p->psk_identity == !p->psk_key.data, "[%s] psk",
		   p->name);
	if (p->psk_identity) {
		FUZZ_CHECK(strlen(p->psk_identity) <= TLSOD_PSK_IDENTITY_MAX &&
			   p->psk_key.size >= TLSOD_PSK_KEY_MIN,
			   "[%s] psk sizes", p->name);
	}
	FUZZ_CHECK(!p->certificate == !p->private_key, "[%s] pair", p->name);
	if (p->certificate) {
		FUZZ_CHECK(p->key && p->cred && p->keyref.index < cfg->nkeys &&
			   cfg->keys[p->keyref.index] == p->key,
			   "[%s] key %u of %u", p->name, p->keyref.index,
			   cfg->nkeys);
	} else {
		FUZZ_CHECK(!p->key, "[%s] a key without a certificate",
			   p->name);
	}
	FUZZ_CHECK(!p->session_tickets || p->ticket_key.data,
		   "[%s] ticket key", p->name);
	FUZZ_CHECK(!a->everyone || a->listed, "[%s] everyone", p->name);
	FUZZ_CHECK(a->nuids <= TLSOD_ALLOWED_MAX + TLSOD_MEMBERS_MAX &&
		   a->ngids <= TLSOD_ALLOWED_MAX,
		   "[%s] %u users, %u groups", p->name, a->nuids, a->ngids);
	/* root may always; without credentials only an open profile */
	FUZZ_CHECK(tlsod_profile_allows(p, true, 0, 0), "[%s] root",
		   p->name);
	FUZZ_CHECK(tlsod_profile_allows(p, false, 1001, 1001) ==
		   tlsod_profile_open(p), "[%s] unknown requester", p->name);
	FUZZ_CHECK(!a->listed || tlsod_profile_open(p) == a->everyone,
		   "[%s] open", p->name);
}

static void check_config(struct tlsod_config *cfg)
{
	const struct tlsod_profile *p, *d = tlsod_config_find(cfg, NULL);
	unsigned int i, keys = 0;

	FUZZ_CHECK(cfg->path && !strcmp(cfg->path, conf), "path");
	FUZZ_CHECK(d && !strcmp(d->name, TLSOD_PROFILE_DEFAULT) &&
		   d == tlsod_config_find(cfg, ""), "no default profile");
	for (p = cfg->profiles; p; p = p->next) {
		check_profile(cfg, p);
		keys += p->key != NULL;
	}
	FUZZ_CHECK(keys == cfg->nkeys, "%u keys, %u listed", keys,
		   cfg->nkeys);
	FUZZ_CHECK(!cfg->user || cfg->has_user, "user %s", cfg->user);
	/* what a worker does before it reads a peer's byte */
	tlsod_config_drop_keys(cfg);
	for (p = cfg->profiles; p; p = p->next)
		FUZZ_CHECK(!p->key, "[%s] key kept", p->name);
	for (i = 0; i < cfg->nkeys; i++)
		FUZZ_CHECK(!cfg->keys[i], "key %u kept", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlsod_config *cfg;
	char *err;
	int e;

	if (!harmless(data, size))
		return -1;
	if (ftruncate(conf_fd, 0) < 0 ||
	    pwrite(conf_fd, data, size, 0) != (ssize_t)size)
		abort();
	err = (char *)fz_alloc(ERR_SIZE);
	errno = 0;
	cfg = tlsod_config_load(conf, err, ERR_SIZE);
	e = errno;
	if (!cfg) {
		FUZZ_CHECK(e == EINVAL || e == ENOMEM, "errno %d: %s", e, err);
		FUZZ_CHECK(!strncmp(err, conf, strlen(conf) < ERR_SIZE - 1 ?
					       strlen(conf) : ERR_SIZE - 1),
			   "message does not name the file: %s", err);
	} else {
		check_config(cfg);
		tlsod_config_free(cfg);
	}
	free(err);
	return 0;
}
