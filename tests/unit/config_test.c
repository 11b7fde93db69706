// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of tlsod's configuration parser, userspace/tlsod/config.c:
 * good files, every kind of bad value (each message must name file:line),
 * and the files a profile names, loaded for real.  Certificates are made
 * with certtool (gnutls-bin) in a fresh directory per case.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "config.h"

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

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
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
		"client_auth = require\n"
		"timeout_ms = 2500\n") != NULL);
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
	EXPECT_EQ(w->versions, TLSOD_TLS12 | TLSOD_TLS13);
	EXPECT_TRUE(w->trust_store == NULL);	/* the system's */
	EXPECT_FALSE(w->trust_explicit);
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

	ASSERT_TRUE(load(self, "[only]\nclient_auth = optional\n") != NULL);
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
	ASSERT_TRUE(load(self, "[p]\npsk_identity = alice\npsk_key = 0011\n"
			 "trust_store = ca.pem\n") != NULL);
	EXPECT_TRUE(tlsod_config_find(self->c, "p")->cred != NULL);
}

TEST_F(cfg, versions)
{
	static const struct {
		const char *v;
		unsigned int want;
	} good[] = {
		{ "1.3 1.2", TLSOD_TLS12 | TLSOD_TLS13 },
		{ "1.2 1.3", TLSOD_TLS12 | TLSOD_TLS13 },
		{ "1.2", TLSOD_TLS12 },
		{ "1.3", TLSOD_TLS13 },
		{ "1.3\t \t1.2", TLSOD_TLS12 | TLSOD_TLS13 },
	};
	static const struct {
		const char *v, *what;
	} bad[] = {
		{ "1.1", "'1.1' is not a TLS version" },
		{ "1.3,1.2", "'1.3,1.2' is not a TLS version" },
		{ "1.3 1.3", "1.3 given twice" },
		{ "TLS1.3", "'TLS1.3' is not a TLS version" },
		{ "1.3 1.0", "'1.0' is not a TLS version" },
	};
	char text[128];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "[v]\nversions = %s\n", good[i].v);
		ASSERT_TRUE(load(self, text) != NULL);
		EXPECT_EQ(tlsod_config_find(self->c, "v")->versions,
			  good[i].want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[v]\n\nversions = %s\n", bad[i].v);
		expect_error(self, text, 3, bad[i].what);
	}
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
	expect_error(self, "[a]\npsk_key = 0011\n", 2,
		     "[a] psk_key without psk_identity");
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

TEST_HARNESS_MAIN
