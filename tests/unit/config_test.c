// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of tlsod's configuration parser, userspace/tlsod/config.c:
 * good files, every kind of bad value (each message must name file:line),
 * and the files a profile names, loaded for real; who may use a profile,
 * with a user and group database of the test's own (below).  Certificates
 * are made with certtool (gnutls-bin) in a fresh directory per case.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "config.h"

/*
 * The user and group database as config.c sees it: this test's own
 * getpwnam(), getgrnam() and getgrgid() stand in for the C library's, so
 * that names resolve the same on every machine.  Users: alice, bob and
 * carol (1001, 1002, 1003), member0... (20000 up).  Groups: staff (2001:
 * alice, carol, and ghost, who is no user), crowd (2002: as many members
 * as a profile may bring in, and one more), nobody-in (2003: none).
 */
#define FAKE_CROWD	(TLSOD_MEMBERS_MAX + 1)
#define FAKE_MEMBER_UID	20000

struct passwd *getpwnam(const char *name)
{
	static const struct {
		const char *name;
		uid_t uid;
	} users[] = { { "alice", 1001 }, { "bob", 1002 }, { "carol", 1003 } };
	static struct passwd pw;
	static char buf[32];
	unsigned int i, n;
	char end;

	pw = (struct passwd){ .pw_name = buf, .pw_uid = (uid_t)-1 };
	snprintf(buf, sizeof(buf), "%s", name);
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		if (!strcmp(name, users[i].name))
			pw.pw_uid = users[i].uid;
	if (sscanf(name, "member%u%c", &n, &end) == 1 && n < FAKE_CROWD)
		pw.pw_uid = FAKE_MEMBER_UID + n;
	return pw.pw_uid == (uid_t)-1 ? NULL : &pw;
}

static struct group *fake_group(const char *name, gid_t gid)
{
	static char *staff[] = { "alice", "ghost", "carol", NULL };
	static char *none[] = { NULL };
	static char *crowd[FAKE_CROWD + 1];
	static char names[FAKE_CROWD][16];
	static struct group gr;
	unsigned int i;

	if (!crowd[0])
		for (i = 0; i < FAKE_CROWD; i++) {
			snprintf(names[i], sizeof(names[i]), "member%u", i);
			crowd[i] = names[i];
		}
	if ((name && !strcmp(name, "staff")) || gid == 2001)
		gr = (struct group){ .gr_name = "staff", .gr_gid = 2001,
				     .gr_mem = staff };
	else if ((name && !strcmp(name, "crowd")) || gid == 2002)
		gr = (struct group){ .gr_name = "crowd", .gr_gid = 2002,
				     .gr_mem = crowd };
	else if ((name && !strcmp(name, "nobody-in")) || gid == 2003)
		gr = (struct group){ .gr_name = "nobody-in", .gr_gid = 2003,
				     .gr_mem = none };
	else
		return NULL;
	return &gr;
}

struct group *getgrnam(const char *name)
{
	return fake_group(name, (gid_t)-1);
}

struct group *getgrgid(gid_t gid)
{
	return fake_group(NULL, gid);
}

FIXTURE(cfg) {
	char dir[64];
	char path[128];
	char err[1024];
	int err_no;
	struct tlsod_config *c;
};

static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* For its owner alone, as a file with a PSK in it must be. */
static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_TRUE(fd >= 0);
	f = fdopen(fd, "w");
	ASSERT_TRUE(f != NULL);
	fputs(text, f);
	fclose(f);
}

/* A CA, a server and a client certificate signed by it, and a stray key. */
static void make_certs(const char *dir)
{
	write_file(dir, "ca.tmpl", "cn = \"test CA\"\nca\ncert_signing_key\n"
		   "expiration_days = 2\n");
	write_file(dir, "srv.tmpl", "cn = \"server.example\"\n"
		   "dns_name = \"server.example\"\ntls_www_server\n"
		   "signing_key\nexpiration_days = 2\n");
	ASSERT_EQ(sh("(cd %s && "
		     "certtool -p --key-type=ecdsa --outfile ca.key && "
		     "certtool -s --load-privkey ca.key --template ca.tmpl --outfile ca.pem && "
		     "certtool -p --key-type=ecdsa --outfile srv.key && "
		     "certtool -c --load-privkey srv.key --load-ca-certificate ca.pem "
		     "--load-ca-privkey ca.key --template srv.tmpl --outfile srv.pem && "
		     "certtool -p --key-type=ecdsa --outfile other.key) >/dev/null 2>&1",
		     dir), 0);
}

FIXTURE_SETUP(cfg)
{
	if (sh("command -v certtool >/dev/null") != 0)
		SKIP("certtool (gnutls-bin) is not installed");
	strcpy(self->dir, "/tmp/tlsod-config-test.XXXXXX");
	ASSERT_TRUE(mkdtemp(self->dir) != NULL);
	snprintf(self->path, sizeof(self->path), "%s/tlsod.conf", self->dir);
	make_certs(self->dir);
}

FIXTURE_TEARDOWN(cfg)
{
	tlsod_config_free(self->c);
	if (self->dir[0])
		sh("rm -rf %s", self->dir);
}

static struct tlsod_config *load(struct _th_data_cfg *self, const char *text)
{
	write_file(self->dir, "tlsod.conf", text);
	tlsod_config_free(self->c);
	self->err[0] = '\0';
	self->c = tlsod_config_load(self->path, self->err, sizeof(self->err));
	self->err_no = errno;
	if (!self->c)
		TH_LOG("%s", self->err);
	return self->c;
}

/* The load fails, with a message that starts "path:line: " and says what. */
static void expect_error(struct _th_data_cfg *self, const char *text,
			 int line, const char *what)
{
	char prefix[192];

	ASSERT_TRUE(load(self, text) == NULL);
	EXPECT_EQ(self->err_no, EINVAL);
	snprintf(prefix, sizeof(prefix), "%s:%d: ", self->path, line);
	if (strncmp(self->err, prefix, strlen(prefix)) ||
	    !strstr(self->err, what)) {
		TH_LOG("config:\n%s", text);
		TH_LOG("wanted \"%s...%s...\"", prefix, what);
	}
	EXPECT_EQ(strncmp(self->err, prefix, strlen(prefix)), 0);
	EXPECT_TRUE(strstr(self->err, what) != NULL);
}

TEST_F(cfg, two_profiles)
{
	const struct tlsod_profile *d, *w;
	char want[256];

	ASSERT_TRUE(load(self,
		"; two profiles\n"
		"[default]\n"
		"trust_store = ca.pem\n"
		"versions = 1.3\n"
		"\n"
		"[web]\n"
		"certificate = srv.pem\n"
		"private_key = srv.key\n"
		"trust_store = system\n"
		"client_auth = require\n"
		"timeout_ms = 2500\n"
		"key_update_records = 1000\n") != NULL);
	d = tlsod_config_find(self->c, "");
	w = tlsod_config_find(self->c, "web");
	ASSERT_TRUE(d != NULL);
	ASSERT_TRUE(w != NULL);
	EXPECT_TRUE(d == tlsod_config_find(self->c, "default"));
	EXPECT_TRUE(d == tlsod_config_find(self->c, NULL));
	EXPECT_TRUE(tlsod_config_find(self->c, "nope") == NULL);
	EXPECT_STREQ(self->c->profiles->name, "default");
	EXPECT_STREQ(self->c->profiles->next->name, "web");
	EXPECT_STREQ(self->c->path, self->path);

	snprintf(want, sizeof(want), "%s/ca.pem", self->dir);
	EXPECT_STREQ(d->trust_store, want);
	EXPECT_TRUE(d->trust_explicit);
	EXPECT_EQ(d->trust_count, 1);
	EXPECT_EQ(d->versions, TLSOD_TLS13);
	EXPECT_EQ(d->client_auth, TLSOD_CLIENT_AUTH_NONE);
	EXPECT_EQ(d->timeout_ms, TLSOD_TIMEOUT_DEFAULT);
	EXPECT_TRUE(d->certificate == NULL);
	EXPECT_TRUE(d->cred != NULL);

	snprintf(want, sizeof(want), "%s/srv.pem", self->dir);
	EXPECT_STREQ(w->certificate, want);
	snprintf(want, sizeof(want), "%s/srv.key", self->dir);
	EXPECT_STREQ(w->private_key, want);
	EXPECT_EQ(w->client_auth, TLSOD_CLIENT_AUTH_REQUIRE);
	EXPECT_EQ(w->timeout_ms, 2500);
	EXPECT_EQ(w->key_update_records, 1000);
	EXPECT_EQ(d->key_update_records, 0);
	EXPECT_EQ(w->versions, TLSOD_TLS12 | TLSOD_TLS13);
	EXPECT_TRUE(w->trust_store == NULL);	/* the system's */
	EXPECT_TRUE(w->trust_explicit);
	EXPECT_TRUE(w->cred != NULL);
	EXPECT_TRUE(w->psk_identity == NULL);
}

TEST_F(cfg, longest_profile_name)
{
	const char *name = "n23456789012345678901234567890123456789012345678";
	char text[128];

	snprintf(text, sizeof(text), "[%s]\nclient_auth = none\n", name);
	ASSERT_TRUE(load(self, text) != NULL);
	EXPECT_TRUE(tlsod_config_find(self->c, name) != NULL);
}

TEST_F(cfg, absolute_paths_stay)
{
	char text[512];

	snprintf(text, sizeof(text), "[a]\ntrust_store = %s/ca.pem\n", self->dir);
	ASSERT_TRUE(load(self, text) != NULL);
	snprintf(text, sizeof(text), "%s/ca.pem", self->dir);
	EXPECT_STREQ(tlsod_config_find(self->c, "a")->trust_store, text);
}

TEST_F(cfg, default_profile_always_exists)
{
	const struct tlsod_profile *d;

	ASSERT_TRUE(load(self, "[only]\nversions = 1.3\n") != NULL);
	d = tlsod_config_find(self->c, "");
	ASSERT_TRUE(d != NULL);
	EXPECT_STREQ(d->name, "default");
	EXPECT_EQ(d->versions, TLSOD_TLS12 | TLSOD_TLS13);
	EXPECT_TRUE(d->trust_store == NULL);
	EXPECT_TRUE(d->cred != NULL);
	/* A section with no keys is the same as none. */
	ASSERT_TRUE(load(self, "[empty]\n") != NULL);
	EXPECT_TRUE(tlsod_config_find(self->c, "empty") == NULL);
	EXPECT_TRUE(tlsod_config_find(self->c, "default") != NULL);
}

TEST_F(cfg, builtin)
{
	self->c = tlsod_config_builtin(self->err, sizeof(self->err));
	ASSERT_TRUE(self->c != NULL);
	EXPECT_TRUE(self->c->path == NULL);
	ASSERT_TRUE(self->c->profiles != NULL);
	EXPECT_STREQ(self->c->profiles->name, "default");
	EXPECT_TRUE(self->c->profiles->next == NULL);
}

TEST_F(cfg, system_trust_store)
{
	const struct tlsod_profile *p;

	ASSERT_TRUE(load(self, "[s]\ntrust_store = system\n") != NULL);
	p = tlsod_config_find(self->c, "s");
	ASSERT_TRUE(p != NULL);
	EXPECT_TRUE(p->trust_store == NULL);
	EXPECT_TRUE(p->trust_explicit);
	EXPECT_TRUE(p->cred != NULL);
	if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0)
		EXPECT_GT(p->trust_count, 0);
}

TEST_F(cfg, psk)
{
	static const unsigned char key[] = {
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	};
	const struct tlsod_profile *p;

	ASSERT_TRUE(load(self, "[p]\npsk_identity = alice\n"
			 "psk_key = 00112233445566778899AABBccddeeff\n") != NULL);
	p = tlsod_config_find(self->c, "p");
	ASSERT_TRUE(p != NULL);
	EXPECT_STREQ(p->psk_identity, "alice");
	ASSERT_EQ(p->psk_key.size, sizeof(key));
	EXPECT_MEMEQ(p->psk_key.data, key, sizeof(key));
	/* PSK alone: no certificate credentials at all. */
	EXPECT_TRUE(p->cred == NULL);

	/* With a trust store written out, the server is checked too. */
	ASSERT_TRUE(load(self, "[p]\npsk_identity = alice\n"
			 "psk_key = 00112233445566778899aabbccddeeff\n"
			 "trust_store = ca.pem\n") != NULL);
	EXPECT_TRUE(tlsod_config_find(self->c, "p")->cred != NULL);
}

/* A key whose value is a set of words: what each gives, or its error. */
struct words_good {
	const char *v;
	unsigned int want;
};

struct words_bad {
	const char *v, *what;
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* *field(profile v) after each of good; each of bad an error on line 3. */
static void words_key(struct _th_data_cfg *self, const char *key,
		      size_t field, const struct words_good *good,
		      size_t ngood, const struct words_bad *bad, size_t nbad)
{
	const struct tlsod_profile *p;
	char text[128];
	size_t i;

	for (i = 0; i < ngood; i++) {
		snprintf(text, sizeof(text), "[v]\n%s = %s\n", key, good[i].v);
		ASSERT_TRUE(load(self, text) != NULL);
		p = tlsod_config_find(self->c, "v");
		EXPECT_EQ(*(const unsigned int *)((const char *)p + field),
			  good[i].want);
	}
	for (i = 0; i < nbad; i++) {
		snprintf(text, sizeof(text), "[v]\n\n%s = %s\n", key, bad[i].v);
		expect_error(self, text, 3, bad[i].what);
	}
}

TEST_F(cfg, versions)
{
	static const struct words_good good[] = {
		{ "1.3 1.2", TLSOD_TLS12 | TLSOD_TLS13 },
		{ "1.2 1.3", TLSOD_TLS12 | TLSOD_TLS13 },
		{ "1.2", TLSOD_TLS12 },
		{ "1.3", TLSOD_TLS13 },
		{ "1.3\t \t1.2", TLSOD_TLS12 | TLSOD_TLS13 },
	};
	static const struct words_bad bad[] = {
		{ "1.1", "'1.1' is not a TLS version" },
		{ "1.3,1.2", "'1.3,1.2' is not a TLS version" },
		{ "1.3 1.3", "1.3 given twice" },
		{ "TLS1.3", "'TLS1.3' is not a TLS version" },
		{ "1.3 1.0", "'1.0' is not a TLS version" },
	};

	words_key(self, "versions", offsetof(struct tlsod_profile, versions),
		  good, N_OF(good), bad, N_OF(bad));
}

/* Each key with a value of the wrong kind, on the line it is on. */
TEST_F(cfg, bad_values_name_file_and_line)
{
	static const struct {
		const char *text;
		int line;
		const char *what;
	} cases[] = {
		{ "[a]\nclient_auth = maybe\n", 2,
		  "client_auth: 'maybe' is not none, optional or require" },
		{ "[a]\nclient_auth = REQUIRE\n", 2, "client_auth: 'REQUIRE'" },
		{ "[a]\n;c\ntimeout_ms = abc\n", 3,
		  "timeout_ms: 'abc' is not a number of milliseconds" },
		{ "[a]\ntimeout_ms = 0\n", 2, "timeout_ms: '0'" },
		{ "[a]\ntimeout_ms = -5\n", 2, "timeout_ms: '-5'" },
		{ "[a]\ntimeout_ms = 10ms\n", 2, "timeout_ms: '10ms'" },
		{ "[a]\ntimeout_ms = 3600001\n", 2, "timeout_ms: '3600001'" },
		{ "[a]\ntimeout_ms = 99999999999999999999\n", 2, "timeout_ms" },
		{ "[a]\nkey_update_records = 0\n", 2,
		  "key_update_records: '0' is not a number of records from 1" },
		{ "[a]\nkey_update_records = 4294967296\n", 2,
		  "key_update_records: '4294967296'" },
		{ "[a]\nkey_update_records = many\n", 2,
		  "key_update_records: 'many'" },
		{ "[a]\npsk_identity = x\npsk_key = xyz1\n", 3,
		  "psk_key: not a hex string" },
		{ "[a]\npsk_identity = x\npsk_key = abc\n", 3,
		  "psk_key: not a hex string" },
		{ "[a]\ncertificate =\n", 2, "certificate: empty value" },
		{ "[a]\nversions =\n", 2, "versions: empty value" },
		{ "[a]\nversions = 1.3\nversions = 1.2\n", 3,
		  "versions given twice in [a] (first on line 2)" },
		{ "[a]\nclient_auth = none\n[b]\n[a]\nclient_auth = none\n", 5,
		  "client_auth given twice in [a]" },
		{ "certificate = srv.pem\n[a]\n", 1,
		  "'certificate' outside a [profile] section" },
		{ "[a]\nthis is no key\n", 2, "syntax error" },
		{ "[a]\nclient_auth = none\n[b\n", 3, "syntax error" },
		{ "[a]\n[this_profile_name_is_far_too_long_for_the_kernel_request_field_x]\n"
		  "client_auth = none\n", 3, "is too long (at most 48 characters)" },
		{ "[a]\n[n234567890123456789012345678901234567890123456789]\n"
		  "client_auth = none\n", 3, "is too long" },
		{ "[a]\nallowed_users = alice nosuch\n", 2,
		  "allowed_users: no user 'nosuch'" },
		{ "[a]\n\nallowed_groups = staff, nosuch\n", 3,
		  "allowed_groups: no group 'nosuch'" },
		{ "[a]\nallowed_users = * alice\n", 2,
		  "allowed_users: '*' goes alone" },
		{ "[a]\nallowed_users = ,\n", 2,
		  "allowed_users: ',' names nothing" },
		{ "[a]\nlegacy = , ,\n", 2, "legacy: ', ,' names nothing" },
		{ "[a]\nallowed_users = alice\nallowed_users = bob\n", 3,
		  "allowed_users given twice in [a]" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(self, cases[i].text, cases[i].line, cases[i].what);
}

TEST_F(cfg, unknown_key)
{
	expect_error(self, "[default]\ntrust_store = system\ncolour = blue\n",
		     3, "unknown key 'colour' in [default]");
	/* Keys are case-sensitive, like every value. */
	expect_error(self, "[default]\nCertificate = srv.pem\n", 2,
		     "unknown key 'Certificate'");
}

TEST_F(cfg, missing_file)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/nope.conf", self->dir);
	self->c = tlsod_config_load(path, self->err, sizeof(self->err));
	ASSERT_TRUE(self->c == NULL);
	EXPECT_EQ(errno, ENOENT);
	snprintf(path, sizeof(path), "%s/nope.conf: No such file or directory",
		 self->dir);
	EXPECT_STREQ(self->err, path);
}

TEST_F(cfg, files_are_loaded)
{
	expect_error(self, "[a]\n\ncertificate = missing.pem\nprivate_key = srv.key\n",
		     3, "missing.pem: No such file or directory");
	expect_error(self, "[a]\ncertificate = srv.pem\nprivate_key = gone.key\n",
		     3, "private_key");
	expect_error(self, "[a]\ncertificate = srv.pem\nprivate_key = other.key\n",
		     2, "do not match");
	expect_error(self, "[a]\ntrust_store = missing.pem\n", 2,
		     "trust_store");
	/* A file with no certificate in it is no trust store. */
	expect_error(self, "[a]\ntrust_store = srv.key\n", 2,
		     "no PEM certificate");
	expect_error(self, "[a]\ntrust_store = srv.tmpl\n", 2, "trust_store");
	expect_error(self, "[a]\ncertificate = srv.key\nprivate_key = srv.key\n",
		     2, "certificate");
}

TEST_F(cfg, keys_that_go_together)
{
	expect_error(self, "[a]\ncertificate = srv.pem\n", 2,
		     "[a] certificate without private_key");
	expect_error(self, "[a]\nclient_auth = none\nprivate_key = srv.key\n", 3,
		     "[a] private_key without certificate");
	expect_error(self, "[a]\npsk_identity = bob\n", 2,
		     "[a] psk_identity without psk_key");
	expect_error(self, "[a]\npsk_key = 00112233445566778899aabbccddeeff\n",
		     2, "[a] psk_key without psk_identity");
}

TEST_F(cfg, long_lines_are_refused)
{
	char text[600];

	snprintf(text, sizeof(text), "[a]\n\ntrust_store = %0400d.pem\n", 0);
	expect_error(self, text, 3, "line longer than");
	/* The rest of the long line is not taken for more lines. */
	snprintf(text, sizeof(text), "[a]\n; %0400d\nbogus = 1\n", 0);
	expect_error(self, text, 2, "line longer than");
	EXPECT_TRUE(strstr(self->err, "(and 1 more error)") != NULL);
}

TEST_F(cfg, nul_bytes_are_refused)
{
	static const char text[] = "[a]\ntrust_store = ca\0.pem\nbogus = 1\n";
	char prefix[192];
	int fd;

	fd = open(self->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	self->c = tlsod_config_load(self->path, self->err, sizeof(self->err));
	ASSERT_TRUE(self->c == NULL);
	EXPECT_EQ(errno, EINVAL);
	snprintf(prefix, sizeof(prefix), "%s:2: NUL byte", self->path);
	if (strncmp(self->err, prefix, strlen(prefix)))
		TH_LOG("%s", self->err);
	EXPECT_EQ(strncmp(self->err, prefix, strlen(prefix)), 0);
	/* What follows the NUL is not a line of its own: line 3 is. */
	EXPECT_TRUE(strstr(self->err, "(and 1 more error)") != NULL);
}

TEST_F(cfg, first_error_and_a_count)
{
	expect_error(self, "[a]\nclient_auth = x\nversions = 2\ncolour = red\n",
		     2, "(and 2 more errors)");
	/* inih's own error on an earlier line than ours comes first */
	expect_error(self, "[a]\nnonsense\nclient_auth = x\n", 2, "syntax error");
}

TEST_F(cfg, psk_identity_checks)
{
	expect_error(self, "[a]\npsk_identity = a\tb\npsk_key = 00\n", 2,
		     "control character");
}

/* A key of n bytes, in hex. */
static const char *psk_hex(size_t n)
{
	static char hex[256];
	size_t i;

	for (i = 0; i < n && 2 * i + 2 < sizeof(hex); i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned int)(i * 37 + 5) & 0xff);
	return hex;
}

TEST_F(cfg, psk_key_has_16_bytes_at_least)
{
	char text[256];

	snprintf(text, sizeof(text), "[p]\npsk_identity = a\npsk_key = %s\n",
		 psk_hex(TLSOD_PSK_KEY_MIN));
	ASSERT_TRUE(load(self, text) != NULL);
	EXPECT_EQ(tlsod_config_find(self->c, "p")->psk_key.size,
		  TLSOD_PSK_KEY_MIN);
	snprintf(text, sizeof(text), "[p]\npsk_identity = a\npsk_key = %s\n",
		 psk_hex(TLSOD_PSK_KEY_MIN - 1));
	expect_error(self, text, 3,
		     "psk_key: 15 bytes; a key has at least 16 (32 hex digits)");
}

/* The numbers that p lets use it, in order: users, then groups. */
static void expect_ids(const uint32_t *ids, unsigned int n,
		       const uint32_t *want, unsigned int nwant)
{
	unsigned int i;

	EXPECT_EQ(n, nwant);
	for (i = 0; i < n && i < nwant; i++)
		EXPECT_EQ(ids[i], want[i]);
}

TEST_F(cfg, allowed_users_and_groups)
{
	static const uint32_t uids[] = { 1001, 1500, 1002, 1001, 1003 };
	static const uint32_t gids[] = { 2001, 3000, 2003 };
	const struct tlsod_profile *p;

	ASSERT_TRUE(load(self,
		"[web]\ncertificate = srv.pem\nprivate_key = srv.key\n"
		"allowed_users = alice, 1500 bob\n"
		"allowed_groups = staff,3000\tnobody-in\n") != NULL);
	p = tlsod_config_find(self->c, "web");
	ASSERT_TRUE(p != NULL);
	EXPECT_TRUE(p->access.listed);
	EXPECT_FALSE(p->access.everyone);
	/* staff's members come after the users named: alice, carol */
	expect_ids(p->access.uids, p->access.nuids, uids, 5);
	expect_ids(p->access.gids, p->access.ngids, gids, 3);
	EXPECT_FALSE(tlsod_profile_open(p));

	EXPECT_TRUE(tlsod_profile_allows(p, true, 0, 0));	/* root */
	EXPECT_TRUE(tlsod_profile_allows(p, true, 1500, 100));
	EXPECT_TRUE(tlsod_profile_allows(p, true, 1002, 100));
	/* carol is in staff by the database, whatever her gid now */
	EXPECT_TRUE(tlsod_profile_allows(p, true, 1003, 100));
	/* anyone whose effective gid is one of them */
	EXPECT_TRUE(tlsod_profile_allows(p, true, 4000, 3000));
	EXPECT_TRUE(tlsod_profile_allows(p, true, 4000, 2001));
	EXPECT_FALSE(tlsod_profile_allows(p, true, 4000, 4000));
	EXPECT_FALSE(tlsod_profile_allows(p, true, 1004, 1004));
	/* without credentials, nobody: not even root */
	EXPECT_FALSE(tlsod_profile_allows(p, false, 0, 0));
	EXPECT_FALSE(tlsod_profile_allows(p, false, 1001, 2001));
}

/* A profile with a key or a PSK is root's alone; one without, anyone's. */
TEST_F(cfg, who_may_use_a_profile_by_default)
{
	static const struct {
		const char *profile;
		bool open;
		bool known;		/* the request said who asked */
		uint32_t uid, gid;
		bool allowed;
	} asks[] = {
		{ "default", true, true, 1000, 1000, true },
		{ "default", true, false, 0, 0, true },
		{ "web", false, true, 0, 1000, true },
		{ "web", false, true, 1000, 0, false },
		{ "web", false, false, 0, 0, false },
		{ "psk", false, true, 0, 0, true },
		{ "psk", false, true, 1001, 1001, false },
		/* a list closes even a profile without secrets to others */
		{ "listed", false, true, 1002, 1002, true },
		{ "listed", false, true, 0, 0, true },
		{ "listed", false, true, 1001, 1001, false },
		{ "all", true, true, 1001, 1001, true },
		{ "all", true, false, 0, 0, true },
	};
	const struct tlsod_profile *p;
	char text[1024];
	size_t i;

	snprintf(text, sizeof(text),
		 "[default]\ntrust_store = ca.pem\n"
		 "[web]\ncertificate = srv.pem\nprivate_key = srv.key\n"
		 "[psk]\npsk_identity = a\npsk_key = %s\n"
		 "[listed]\ntrust_store = ca.pem\nallowed_users = bob\n"
		 "[all]\ncertificate = srv.pem\nprivate_key = srv.key\n"
		 "allowed_users = *\n", psk_hex(TLSOD_PSK_KEY_MIN));
	ASSERT_TRUE(load(self, text) != NULL);
	for (i = 0; i < N_OF(asks); i++) {
		p = tlsod_config_find(self->c, asks[i].profile);
		ASSERT_TRUE(p != NULL);
		EXPECT_EQ(tlsod_profile_open(p), asks[i].open);
		if (tlsod_profile_allows(p, asks[i].known, asks[i].uid,
					 asks[i].gid) != asks[i].allowed)
			TH_LOG("%s, uid %u gid %u%s", asks[i].profile,
			       asks[i].uid, asks[i].gid,
			       asks[i].known ? "" : " (not known)");
		EXPECT_EQ(tlsod_profile_allows(p, asks[i].known, asks[i].uid,
					       asks[i].gid), asks[i].allowed);
	}

	/* the built-in configuration is open */
	tlsod_config_free(self->c);
	self->c = tlsod_config_builtin(self->err, sizeof(self->err));
	ASSERT_TRUE(self->c != NULL);
	EXPECT_TRUE(tlsod_profile_allows(self->c->profiles, false, 0, 0));
}

TEST_F(cfg, allowed_limits)
{
	char list[256], text[512];
	int n;

	/* TLSOD_ALLOWED_MAX names, and one more */
	for (n = 0; n < TLSOD_ALLOWED_MAX; n++)
		snprintf(list + 2 * n, 3, "0 ");
	snprintf(text, sizeof(text), "[a]\nallowed_users = %s\n", list);
	ASSERT_TRUE(load(self, text) != NULL);
	EXPECT_EQ(tlsod_config_find(self->c, "a")->access.nuids,
		  TLSOD_ALLOWED_MAX);
	snprintf(text, sizeof(text), "[a]\nallowed_groups = %s7\n", list);
	expect_error(self, text, 2, "allowed_groups: more than 64 names");

	/* the largest id, and one past it ((uid_t)-1 is no id) */
	ASSERT_TRUE(load(self, "[a]\nallowed_users = 4294967294\n") != NULL);
	EXPECT_EQ(tlsod_config_find(self->c, "a")->access.uids[0],
		  TLSOD_ID_MAX);
	expect_error(self, "[a]\nallowed_users = 4294967295\n", 2,
		     "allowed_users: '4294967295' is not an id (0 to 4294967294)");
	expect_error(self, "[a]\nallowed_groups = 99999999999999999999\n", 2,
		     "allowed_groups: '99999999999999999999' is not an id");

	/* TLSOD_MEMBERS_MAX members, and one more */
	expect_error(self, "[a]\nallowed_groups = crowd\n", 2,
		     "allowed_groups: more than 1024 members in all");
	expect_error(self, "[a]\nallowed_groups = 2002\n", 2,
		     "more than 1024 members");
}

TEST_F(cfg, legacy)
{
	static const struct words_good good[] = {
		{ "rsa-kx", TLSOD_LEGACY_RSA_KX },
		{ "sha1, psk-no-dhe", TLSOD_LEGACY_SHA1 | TLSOD_LEGACY_PSK_NO_DHE },
		{ "rsa-kx sha1 psk-no-dhe", TLSOD_LEGACY_RSA_KX |
		  TLSOD_LEGACY_SHA1 | TLSOD_LEGACY_PSK_NO_DHE },
		{ "none", 0 },
	};
	static const struct words_bad bad[] = {
		{ "md5", "legacy: 'md5' is not rsa-kx, sha1, psk-no-dhe or none" },
		{ "sha1 sha1", "legacy: sha1 given twice" },
		{ "none sha1", "legacy: 'none' goes alone" },
		{ "SHA1", "legacy: 'SHA1'" },
	};

	/* off unless asked for */
	ASSERT_TRUE(load(self, "[v]\nversions = 1.2\n") != NULL);
	EXPECT_EQ(tlsod_config_find(self->c, "v")->legacy, 0);
	words_key(self, "legacy", offsetof(struct tlsod_profile, legacy),
		  good, N_OF(good), bad, N_OF(bad));
}

TEST_F(cfg, verify_name)
{
	const struct tlsod_profile *p;

	ASSERT_TRUE(load(self, "[a]\ntrust_store = ca.pem\n") != NULL);
	EXPECT_TRUE(tlsod_config_find(self->c, "a")->verify_name);
	ASSERT_TRUE(load(self, "[a]\nverify_name = no\ntrust_store = ca.pem\n")
		    != NULL);
	p = tlsod_config_find(self->c, "a");
	EXPECT_FALSE(p->verify_name);
	ASSERT_TRUE(load(self, "[a]\nverify_name = yes\n") != NULL);
	EXPECT_TRUE(tlsod_config_find(self->c, "a")->verify_name);

	/* the system's CAs, or no store at all, are any public name's */
	expect_error(self, "[a]\nversions = 1.3\nverify_name = no\n", 3,
		     "[a] verify_name = no needs a trust_store file of its own (not system)");
	expect_error(self, "[a]\nverify_name = no\ntrust_store = system\n", 2,
		     "verify_name = no needs a trust_store");
	expect_error(self, "[a]\nverify_name = maybe\n", 2,
		     "verify_name: 'maybe' is not yes or no");
}

/*
 * Tickets on by default, each profile with a ticket key of its own made
 * as it is read (so two reads of one file never share one); off, none.
 */
TEST_F(cfg, session_tickets)
{
	const struct tlsod_profile *a, *b;
	unsigned char first[64];

	ASSERT_TRUE(load(self, "[a]\ntimeout_ms = 1000\n[b]\nsession_tickets = yes\n") != NULL);
	a = tlsod_config_find(self->c, "a");
	b = tlsod_config_find(self->c, "b");
	EXPECT_TRUE(a->session_tickets);
	ASSERT_EQ(a->ticket_key.size, 64U);
	ASSERT_EQ(b->ticket_key.size, 64U);
	EXPECT_NE(memcmp(a->ticket_key.data, b->ticket_key.data, 64), 0);
	memcpy(first, a->ticket_key.data, 64);
	ASSERT_TRUE(load(self, "[a]\ntimeout_ms = 1000\n") != NULL);
	a = tlsod_config_find(self->c, "a");
	ASSERT_EQ(a->ticket_key.size, 64U);
	EXPECT_NE(memcmp(a->ticket_key.data, first, 64), 0);

	ASSERT_TRUE(load(self, "[a]\nsession_tickets = no\n") != NULL);
	a = tlsod_config_find(self->c, "a");
	EXPECT_FALSE(a->session_tickets);
	EXPECT_EQ(a->ticket_key.size, 0U);
	EXPECT_TRUE(a->ticket_key.data == NULL);
	expect_error(self, "[a]\nsession_tickets = sometimes\n", 2,
		     "session_tickets: 'sometimes' is not yes or no");
}

/* Asking for client certificates means saying which CAs they come from. */
TEST_F(cfg, client_auth_needs_a_trust_store)
{
	expect_error(self,
		     "[a]\ncertificate = srv.pem\nprivate_key = srv.key\n"
		     "client_auth = require\n", 4,
		     "[a] client_auth = require needs a trust_store");
	expect_error(self,
		     "[a]\ncertificate = srv.pem\nprivate_key = srv.key\n"
		     "client_auth = optional\n", 4,
		     "[a] client_auth = optional needs a trust_store");
	ASSERT_TRUE(load(self, "[a]\ncertificate = srv.pem\n"
			 "private_key = srv.key\nclient_auth = optional\n"
			 "trust_store = ca.pem\n") != NULL);
	ASSERT_TRUE(load(self, "[a]\ncertificate = srv.pem\n"
			 "private_key = srv.key\nclient_auth = require\n"
			 "trust_store = system\n") != NULL);
	ASSERT_TRUE(load(self, "[a]\ncertificate = srv.pem\n"
			 "private_key = srv.key\nclient_auth = none\n") != NULL);
}

static void set_mode(struct _th_data_cfg *self, const char *name, mode_t m)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", self->dir, name);
	ASSERT_OK(chmod(path, m));
}

/* A private key for its owner alone, and that owner root or us. */
TEST_F(cfg, private_key_file_is_private)
{
	static const char text[] =
		"[a]\ncertificate = srv.pem\nprivate_key = srv.key\n";
	static const mode_t open_modes[] = { 0644, 0640, 0620, 0604, 0602 };
	char what[1024], path[256];
	size_t i;

	ASSERT_TRUE(load(self, text) != NULL);
	/* execute bits let nobody read it */
	set_mode(self, "srv.key", 0711);
	ASSERT_TRUE(load(self, text) != NULL);
	snprintf(path, sizeof(path), "%s/srv.key", self->dir);
	for (i = 0; i < sizeof(open_modes) / sizeof(open_modes[0]); i++) {
		set_mode(self, "srv.key", open_modes[i]);
		snprintf(what, sizeof(what),
			 "private_key: %s: group or others may read or write it (mode %04o); chmod go-rw %s",
			 path, (unsigned int)open_modes[i], path);
		expect_error(self, text, 3, what);
	}
	set_mode(self, "srv.key", 0600);
	if (geteuid() != 0)
		SKIP("not root: cannot give the key to another user");
	ASSERT_OK(chown(path, 4242, 0));
	snprintf(what, sizeof(what),
		 "private_key: %s: owned by uid 4242, and only root or tlsod's own user (uid 0) may own it; chown root %s",
		 path, path);
	expect_error(self, text, 3, what);
}

/* A file with a psk_key in it is a key file too; one without is not. */
TEST_F(cfg, config_with_a_psk_is_private)
{
	char text[256], what[1024];

	snprintf(text, sizeof(text), "[p]\npsk_identity = a\npsk_key = %s\n",
		 psk_hex(TLSOD_PSK_KEY_MIN));
	ASSERT_TRUE(load(self, text) != NULL);
	write_file(self->dir, "tlsod.conf", text);
	set_mode(self, "tlsod.conf", 0640);
	tlsod_config_free(self->c);
	self->c = tlsod_config_load(self->path, self->err, sizeof(self->err));
	ASSERT_TRUE(self->c == NULL);
	EXPECT_EQ(errno, EINVAL);
	snprintf(what, sizeof(what),
		 "%s:3: psk_key: the file that holds it, %s: group or others may read or write it (mode 0640); chmod go-rw %s",
		 self->path, self->path, self->path);
	EXPECT_STREQ(self->err, what);

	write_file(self->dir, "tlsod.conf", "[a]\nversions = 1.3\n");
	set_mode(self, "tlsod.conf", 0644);
	self->c = tlsod_config_load(self->path, self->err, sizeof(self->err));
	EXPECT_TRUE(self->c != NULL);
}

/* The global section: user = , before the first profile. */
TEST_F(cfg, user)
{
	static const struct {
		const char *text;
		int line;
		const char *what;
	} bad[] = {
		{ "user = nosuch\n[a]\n", 1, "user: no user 'nosuch'" },
		{ "user = alice\nuser = bob\n", 2,
		  "user given twice (first on line 1)" },
		{ "[a]\nuser = alice\n", 2,
		  "user in [a]: it goes before the first [profile]" },
		{ "user =\n", 1, "user: empty value" },
		{ "; tlsod\nuser = 99999999999\n", 2,
		  "user: '99999999999' is not an id" },
		{ "group = staff\n", 1, "'group' outside a [profile] section" },
	};
	size_t i;

	ASSERT_TRUE(load(self, "user = alice\n[a]\nversions = 1.3\n") != NULL);
	EXPECT_STREQ(self->c->user, "alice");
	EXPECT_TRUE(self->c->has_user);
	EXPECT_EQ(self->c->uid, 1001);
	/* none given, and this machine's database has no user tlsod */
	ASSERT_TRUE(load(self, "[a]\nversions = 1.3\n") != NULL);
	EXPECT_TRUE(self->c->user == NULL);
	EXPECT_FALSE(self->c->has_user);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(self, bad[i].text, bad[i].line, bad[i].what);
}

/*
 * Started as root with user = alice, tlsod reads the key as root now and
 * as alice at a reload: either may own it, nobody else.
 */
TEST_F(cfg, key_owned_by_the_user)
{
	static const char text[] = "user = alice\n"
		"[a]\ncertificate = srv.pem\nprivate_key = srv.key\n";
	char what[1024], path[256];

	if (geteuid() != 0)
		SKIP("not root: cannot give the key to another user");
	snprintf(path, sizeof(path), "%s/srv.key", self->dir);
	ASSERT_OK(chown(path, 1001, 0));
	ASSERT_TRUE(load(self, text) != NULL);
	ASSERT_OK(chown(path, 1002, 0));
	snprintf(what, sizeof(what),
		 "private_key: %s: owned by uid 1002, and only root or tlsod's own user (uid 1001) may own it",
		 path);
	expect_error(self, text, 4, what);
}

/*
 * The real key stays in the profile (for the parent) until dropped (in
 * a worker); the credentials hold an external key either way.
 */
TEST_F(cfg, keys_by_index_and_dropped)
{
	static const char text[] =
		"[a]\nversions = 1.3\n"
		"[b]\ncertificate = srv.pem\nprivate_key = srv.key\n"
		"[c]\ncertificate = srv.pem\nprivate_key = srv.key\n";
	const struct tlsod_profile *b, *c;

	ASSERT_TRUE(load(self, text) != NULL);
	b = tlsod_config_find(self->c, "b");
	c = tlsod_config_find(self->c, "c");
	ASSERT_TRUE(b && c);
	EXPECT_EQ(self->c->nkeys, 2);
	EXPECT_EQ(b->keyref.index, 0);
	EXPECT_EQ(c->keyref.index, 1);
	EXPECT_EQ(b->keyref.pk, GNUTLS_PK_ECDSA);
	EXPECT_TRUE(self->c->keys[0] == b->key && b->key != NULL);
	EXPECT_TRUE(self->c->keys[1] == c->key && c->key != NULL);
	tlsod_config_drop_keys(self->c);
	EXPECT_TRUE(b->key == NULL && c->key == NULL);
	EXPECT_TRUE(self->c->keys[0] == NULL && self->c->keys[1] == NULL);
	EXPECT_TRUE(b->cred != NULL);
}

TEST_HARNESS_MAIN
