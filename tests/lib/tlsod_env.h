/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a test program of tlsod includes: the harness, the test library
 * (tenv.h says what it holds), and what has to be in the program's own
 * file: the library's reports routed into this program's harness, the
 * checks that report at the test's own line, and the fixtures.
 *
 * A case of TENV_FIXTURE() starts the real tlsod with a configuration of
 * its own over the test PKI, asks for handshakes with
 * setsockopt(TLSO_HANDSHAKE) and then uses plain send/recv on the socket,
 * against independent TLS implementations.  Every case ends
 * (tenv_teardown) by checking that tlsod has no worker left and holds no
 * more descriptors than when it started, that it exits 0 on SIGTERM, and
 * that the module has no tlso socket left over.
 */
#ifndef TLSO_TEST_TLSOD_ENV_H
#define TLSO_TEST_TLSOD_ENV_H

#include "harness.h"
#include "kmod.h"
#include "libtlso.h"
#include "net.h"
#include "tenv.h"

/* ---- the library's reports, into this program's harness ---- */

static void tenv_report_fail(const char *file, int line, const char *what)
{
	th_fail(file, line, "%s", what);
	fflush(stdout);
}

static void tenv_report_skip(const char *why)
{
	th_skip("%s", why);
}

static bool tenv_report_failed(void)
{
	return th_res && th_res->nfail;
}

static void tenv_report_log(const char *text)
{
	th_log("%s", text);
}

static void __attribute__((constructor)) tenv_report_here(void)
{
	tcase = (struct tcase){
		.fail = tenv_report_fail, .bail = th_bail,
		.skip = tenv_report_skip, .failed = tenv_report_failed,
		.log = tenv_report_log,
	};
}

/* ---- checks ---- */

/* SKIP the case unless prog is installed. */
#define TENV_NEED(prog) tenv_need(prog)

/* Expect an exit with status code within ms. */
#define EXPECT_EXIT(p, code, ms) do {					\
	char _st[64];							\
	int _s = tproc_wait(p, ms);					\
	if (_s == -1 || !WIFEXITED(_s) || WEXITSTATUS(_s) != (code)) {	\
		th_fail(__FILE__, __LINE__, "%s ended with %s, not exit %d", \
			(p)->name, tenv_status_str(_s, _st, sizeof(_st)), \
			code);						\
		tenv_show(p);						\
	}								\
} while (0)

/*
 * The handshake ended well, with this version, and the peer authenticated
 * by auth (TLSO_AUTH_*) as ident.
 */
#define EXPECT_DONE(fd, ver, auth, ident) do {				\
	struct tlso_handshake_status _st = hs_get(fd);			\
	const char *_cipher = tlso_cipher_name(_st.cipher);		\
	TH_LOG("handshake: state %u, %s, %s, peer %u '%s'", _st.state,	\
	       tlso_version_name(_st.version) ?: "TLS ?",		\
	       _cipher ?: "?", _st.peer_auth, _st.peer_identity);	\
	EXPECT_EQ(_st.state, TLSO_HS_DONE);				\
	EXPECT_EQ(_st.status, 0);					\
	EXPECT_EQ(_st.version, ver);					\
	EXPECT_NE(_cipher, NULL);					\
	EXPECT_EQ(_st.peer_auth, auth);					\
	EXPECT_STREQ(_st.peer_identity, ident);				\
} while (0)

/* It failed with err, and the socket is of no use: nothing passes. */
#define EXPECT_FAILED(fd, err) do {					\
	struct tlso_handshake_status _st = hs_get(fd);			\
	char _b[16];							\
	EXPECT_EQ(_st.state, TLSO_HS_FAILED);				\
	EXPECT_EQ(_st.status, err);					\
	EXPECT_ERRNO(send(fd, "leak\n", 5, MSG_NOSIGNAL | MSG_DONTWAIT), \
		     err);						\
	EXPECT_ERRNO(recv(fd, _b, sizeof(_b), MSG_DONTWAIT), err);	\
} while (0)

/* Read as many bytes as want has and compare them with it. */
#define EXPECT_READ(fd, want) do {					\
	const char *_want = (want);					\
	size_t _len = strlen(_want);					\
	char *_got = tenv_read_text(fd, _len, TENV_HS_MS);		\
	if (!_got)							\
		ASSERT_TRUE(!"the data came");				\
	EXPECT_MEMEQ(_got, _want, _len);				\
	free(_got);							\
} while (0)

/* ---- fixtures ---- */

/* Setup with tlsod started, and the teardown's checks. */
#define TENV_FIXTURE_HOOKS(name)					\
	FIXTURE_SETUP(name)						\
	{								\
		tenv_setup(&self->e, true);				\
	}								\
	FIXTURE_TEARDOWN(name)						\
	{								\
		tenv_teardown(&self->e);				\
	}

/* Cases against a running tlsod: "name.case", the world in self->e. */
#define TENV_FIXTURE(name)						\
	FIXTURE(name) {							\
		struct tenv e;						\
	};								\
	TENV_FIXTURE_HOOKS(name)

/* The same, each case once per TLS version: "name.tls13.case" first,
 * then "name.tls12.case", the version in variant->v. */
#define TENV_FIXTURE_TLS(name)						\
	FIXTURE(name) {							\
		struct tenv e;						\
	};								\
	FIXTURE_VARIANT(name) {						\
		const struct tver *v;					\
	};								\
	FIXTURE_VARIANT_ADD(name, tls13) { &tver_tls13 };		\
	FIXTURE_VARIANT_ADD(name, tls12) { &tver_tls12 };		\
	TENV_FIXTURE_HOOKS(name)

#endif /* TLSO_TEST_TLSOD_ENV_H */
