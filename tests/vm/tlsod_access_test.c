// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: tlsod, the handshake daemon, end to end (tlsod_env.h says
 * how a case goes and what every teardown checks), the access group: who
 * may use which profile (tlsod(8), ACCESS), decided on the uid and gid
 * that asked.  A user may not serve with a profile that holds root's key
 * (tlso-cat -l run as uid 1000 with setpriv), may use one that holds no
 * secret, or one whose allowed_users or allowed_groups name them; a
 * refusal is EACCES and one line of the log, with the uid and the
 * profile.  What an application names is escaped in that log, and the
 * longest peer name fits in its line.
 */
#include <grp.h>
#include <pwd.h>

#include "tlsod_env.h"

TENV_FIXTURE(access)

/* Nobody in particular: ids no Debian system gives out by itself. */
#define USER		1000
#define OTHER_USER	1001
#define TEAM_GID	4242

/*
 * setsockopt(TLSO_HANDSHAKE) on fd from a child that runs as uid:gid and
 * nothing else: 0, or the errno it got.
 */
static int hs_as(struct tenv *e, uid_t uid, gid_t gid, int fd, uint32_t role,
		 const char *profile, const char *peer)
{
	pid_t pid = tenv_fork(e);
	int st;

	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
		    setresuid(uid, uid, uid))
			_exit(125);
		_exit(hs_start(fd, role, profile, peer, TENV_HS_MS) ?
		      errno : 0);
	}
	st = tenv_wait_kid(e, pid, TENV_HS_MS + 5000);
	ASSERT_TRUE(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) != 125);
	return WEXITSTATUS(st);
}

/*
 * A tlso server on profile for uid:gid, s_client its peer: the errno of
 * its handshake, which must have gone as that says.
 */
static int serve_as(struct tenv *e, uid_t uid, gid_t gid, const char *profile)
{
	int port, lfd, fd, err;

	lfd = tenv_listen(e, &port);
	tenv_s_client(e, port, &tver_tls13, false);
	fd = tenv_tlso_accept(e, lfd);
	err = hs_as(e, uid, gid, fd, TLSO_ROLE_SERVER, profile, "");
	TH_LOG("uid %u gid %u, profile %s: %s", (unsigned int)uid,
	       (unsigned int)gid, profile, err ? tenv_errname(err) : "done");
	if (err)
		EXPECT_FAILED(fd, err);
	else
		EXPECT_DONE(fd, TLS_1_3_VERSION, TLSO_AUTH_NONE, "");
	tenv_close(e, fd);
	tenv_close(e, lfd);
	return err;
}

/* The refusal of uid for profile, one line of the log. */
static void expect_refusal_logged(struct tenv *e, uid_t uid,
				  const char *profile)
{
	char who[64], what[128];

	snprintf(who, sizeof(who), "failed: uid %u (gid ", (unsigned int)uid);
	snprintf(what, sizeof(what), "may not use profile '%s' (EACCES)",
		 profile);
	EXPECT_TRUE(tenv_log_line_has(e, who, what, 5000));
}

/* Profiles of the cases below, with the server's key. */
static void access_profiles(struct tenv *e)
{
	char extra[9 * PATH_MAX + 512], crt[PATH_MAX], key[PATH_MAX],
	     ca[PATH_MAX];

	/* a trust_store each, not the system's: quicker to load */
	tenv_pki(e, crt, sizeof(crt), PKI_SERVER, "pem");
	tenv_pki(e, key, sizeof(key), PKI_SERVER, "key");
	tenv_pki(e, ca, sizeof(ca), PKI_CA, "pem");
	snprintf(extra, sizeof(extra),
		 "\n[shared]\ncertificate = %s\nprivate_key = %s\n"
		 "trust_store = %s\nallowed_users = %d, daemon\n"
		 "\n[team]\ncertificate = %s\nprivate_key = %s\n"
		 "trust_store = %s\nallowed_groups = %d\n"
		 "\n[anyone]\ncertificate = %s\nprivate_key = %s\n"
		 "trust_store = %s\nallowed_users = *\n",
		 crt, key, ca, USER, crt, key, ca, TEAM_GID, crt, key, ca);
	tenv_reload_conf(e, extra);
}

/*
 * The issue's own case: a user runs tlso-cat -l with the profile that
 * holds root's key.  tlsod refuses (EACCES), so nobody gets the
 * certificate; s_client sees no handshake.
 */
TEST_F(access, user_may_not_serve_with_roots_key)
{
	struct tenv *e = &self->e;
	char portbuf[16], cat[PATH_MAX], user[16];
	struct tproc *srv, *cli;
	int port;
	const char *argv[] = {
		"setpriv", "--reuid", user, "--regid", user, "--clear-groups",
		cat, "-l", "--profile", "server", portbuf, NULL,
	};

	TENV_NEED("setpriv");
	ASSERT_TRUE(realpath("build/bin/tlso-cat", cat) != NULL);
	snprintf(user, sizeof(user), "%d", USER);
	srv = tenv_spawn_server(e, "tlso-cat", argv, portbuf, &port);
	cli = tenv_s_client(e, port, &tver_tls13, false);
	EXPECT_EXIT(srv, 1, TENV_HS_MS);
	EXPECT_NE(tproc_wait(cli, TENV_HS_MS), 0);
	expect_refusal_logged(e, USER, "server");
	tenv_show_outcomes(e);
}

/* Root may; a user may use a profile without secrets, but not a key. */
TEST_F(access, root_and_open_profiles)
{
	struct tenv *e = &self->e;
	struct tproc *srv;
	int fd;

	EXPECT_EQ(serve_as(e, 0, 0, "server"), 0);
	EXPECT_EQ(serve_as(e, USER, USER, "server"), EACCES);
	expect_refusal_logged(e, USER, "server");
	/* the client certificate's key and the PSK are root's too */
	fd = tenv_s_server_client(e, &srv, PKI_SERVER, &tver_tls13, NULL,
				  NULL, NULL);
	EXPECT_EQ(hs_as(e, USER, USER, fd, TLSO_ROLE_CLIENT, "client_cert",
			"localhost"), EACCES);
	EXPECT_EQ(serve_as(e, USER, USER, "psk"), EACCES);
	/* [default] holds no key: anyone's */
	fd = tenv_s_server_client(e, &srv, PKI_SERVER, &tver_tls13, NULL,
				  NULL, NULL);
	EXPECT_EQ(hs_as(e, USER, USER, fd, TLSO_ROLE_CLIENT, "",
			"localhost"), 0);
	EXPECT_DONE(fd, TLS_1_3_VERSION, TLSO_AUTH_X509, TENV_ID_SERVER);
	tenv_show_outcomes(e);
}

/* allowed_users by number and by name; someone else is refused. */
TEST_F(access, allowed_users)
{
	struct tenv *e = &self->e;
	struct passwd *daemon = getpwnam("daemon");

	if (!daemon)
		SKIP("no user daemon here");
	access_profiles(e);
	EXPECT_EQ(serve_as(e, USER, USER, "shared"), 0);
	EXPECT_EQ(serve_as(e, daemon->pw_uid, daemon->pw_gid, "shared"), 0);
	EXPECT_EQ(serve_as(e, OTHER_USER, OTHER_USER, "shared"), EACCES);
	expect_refusal_logged(e, OTHER_USER, "shared");
	EXPECT_EQ(serve_as(e, 0, 0, "shared"), 0);
	EXPECT_EQ(serve_as(e, OTHER_USER, OTHER_USER, "anyone"), 0);
	tenv_show_outcomes(e);
}

/* allowed_groups: the requester's effective gid. */
TEST_F(access, allowed_groups)
{
	struct tenv *e = &self->e;

	access_profiles(e);
	EXPECT_EQ(serve_as(e, OTHER_USER, TEAM_GID, "team"), 0);
	EXPECT_EQ(serve_as(e, OTHER_USER, OTHER_USER, "team"), EACCES);
	expect_refusal_logged(e, OTHER_USER, "team");
	EXPECT_EQ(serve_as(e, USER, TEAM_GID, "shared"), 0);
	tenv_show_outcomes(e);
}

/*
 * A peer name and a profile name with a line break, an escape sequence
 * and quotes: in the log as \xNN, on the request's one line.
 */
TEST_F(access, application_strings_escaped_in_log)
{
	char name[TLSO_PEER_NAME_SIZE], esc[4 * TLSO_PEER_NAME_SIZE],
	     line[5 * TLSO_PEER_NAME_SIZE];
	struct tenv *e = &self->e;
	int port, fd;
	size_t i;

	/* a peer that never answers */
	tenv_listen(e, &port);
	fd = tenv_tlso_client(e, port);
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "no\nsuch' profile",
			      "localhost", TENV_HS_MS), EINVAL);
	EXPECT_TRUE(tenv_log_line_has(e, "profile 'no\\x0asuch\\x27 profile'",
				      "failed: no profile 'no\\x0asuch\\x27 profile'",
				      5000));
	fd = tenv_tlso_client(e, port);
	EXPECT_NE(hs_start(fd, TLSO_ROLE_CLIENT, "",
			   "evil\nhandshake fd 1 ok\x1b[0m'", 2000), 0);
	EXPECT_TRUE(tenv_log_line_has(e,
				      "peer 'evil\\x0ahandshake fd 1 ok\\x1b[0m\\x27'",
				      "failed", 10000));
	EXPECT_FALSE(tenv_file_has(e->log, "\x1b", 0));
	EXPECT_FALSE(tenv_file_has(e->log, "\nhandshake fd 1 ok", 0));

	/* the longest peer name, each byte four in the log: all of it */
	memset(name, '\x01', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	for (i = 0; i < sizeof(name) - 1; i++)
		memcpy(esc + 4 * i, "\\x01", 5);
	snprintf(line, sizeof(line), "peer '%s' profile 'default': failed: ",
		 esc);
	fd = tenv_tlso_client(e, port);
	EXPECT_NE(hs_start(fd, TLSO_ROLE_CLIENT, "", name, 2000), 0);
	EXPECT_TRUE(tenv_log_line_has(e, line, ")", 10000));
	tenv_show_outcomes(e);
}

TEST_HARNESS_MAIN
