// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: tlso seen from outside.  ss reads the TCP ULP's diag info
 * and must print a tlso socket as it prints a kTLS one -- with
 * ulp_name=tls, the very same line as for the in-tree module, which is
 * the independent check of what tlso reports.  tlsoctl show reads the
 * module's netlink dump of the namespace's tlso sockets: every state,
 * the counters TLSO_INFO reports, tlsod's handshake (peer, duration),
 * only your own sockets unless you are root, only your namespace, and
 * all of them when they take many messages.
 */
#include <grp.h>
#include <linux/inet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ktls_keys.h"
#include "tlsod_env.h"

#define TLSOCTL		"build/bin/tlsoctl"
#define OUT_SIZE	(256 * 1024)
/* Sockets for the dump that must take several messages and rounds. */
#define MANY_PAIRS	100
#define USER_UID	1000


static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	return ntohs(ss.ss_family == AF_INET6 ?
		     ((struct sockaddr_in6 *)&ss)->sin6_port :
		     ((struct sockaddr_in *)&ss)->sin_port);
}

static unsigned long inode_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long)st.st_ino;
}

/*
 * The line of tlsoctl show -j's output (one object a line) for the
 * socket with inode ino, copied into line; false if there is none.
 */
static bool json_line(const char *out, unsigned long ino, char *line,
		      size_t size)
{
	char key[48];
	const char *p, *end;

	snprintf(key, sizeof(key), "{\"inode\": %lu,", ino);
	p = strstr(out, key);
	if (!p)
		return false;
	end = strchr(p, '\n');
	if (!end)
		end = p + strlen(p);
	snprintf(line, size, "%.*s", (int)(end - p), p);
	return true;
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay++;
	}
	return n;
}

#define EXPECT_HAS(text, part) do {					\
	if (!strstr(text, part))					\
		th_fail(__FILE__, __LINE__, "no '%s' in: %s", part, text); \
} while (0)

#define EXPECT_HASNT(text, part) do {					\
	if (strstr(text, part))						\
		th_fail(__FILE__, __LINE__, "'%s' in: %s", part, text);	\
} while (0)


/* Keys on both directions of fd, made up from seed (ktls_keys.h). */
static int app_keys(int fd, uint16_t version, uint16_t cipher,
		    unsigned int tx_seed, unsigned int rx_seed)
{
	union keys_info k;

	keys_make(&k, version, cipher, tx_seed, 0);
	if (keys_install(fd, TLS_TX, &k))
		return -1;
	keys_make(&k, version, cipher, rx_seed, 0);
	return keys_install(fd, TLS_RX, &k);
}

/*
 * The raw INET_DIAG_ULP_INFO of the established TCP socket whose local
 * port is port, as inet_diag hands it to ss: what ss leaves unprinted
 * (a cipher it has no name for, TLS_INFO_RX_NO_PAD) is compared too.
 * Its length, or -1.
 */
static int ulp_info_raw(int port, unsigned char *out, size_t size)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		},
		.r = {
			.sdiag_family = AF_INET,
			.sdiag_protocol = IPPROTO_TCP,
			.idiag_ext = 1 << (INET_DIAG_INFO - 1),
			.idiag_states = 1 << 1,	/* TCP_ESTABLISHED */
		},
	};
	static unsigned char buf[65536];
	int fd, found = -1;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0 || send(fd, &req, sizeof(req), 0) != sizeof(req))
		goto out;
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		for (; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			struct inet_diag_msg *m = NLMSG_DATA(h);
			struct rtattr *a;
			int len;

			if (h->nlmsg_type == NLMSG_DONE ||
			    h->nlmsg_type == NLMSG_ERROR)
				goto out;
			if (ntohs(m->id.idiag_sport) != port)
				continue;
			len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
			for (a = (struct rtattr *)(m + 1); RTA_OK(a, len);
			     a = RTA_NEXT(a, len)) {
				if (a->rta_type != INET_DIAG_ULP_INFO ||
				    RTA_PAYLOAD(a) > size)
					continue;
				memcpy(out, RTA_DATA(a), RTA_PAYLOAD(a));
				found = RTA_PAYLOAD(a);
			}
		}
	}
out:
	if (fd >= 0)
		close(fd);
	return found;
}

/* ---- ss: the ULP's diag info ---- */

FIXTURE(ss) {
	int cli, srv;
};

FIXTURE_VARIANT(ss) {
	uint16_t version;
	uint16_t cipher;
	bool tx, rx, no_pad;
	const char *want;	/* what ss says after "tcp-ulp-NAME" */
};

FIXTURE_VARIANT_ADD(ss, attached) {
	0, 0, false, false, false, " rxconf: none txconf: none",
};
FIXTURE_VARIANT_ADD(ss, tls12_gcm128_tx) {
	TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, true, false, false,
	" version: 1.2 cipher: aes-gcm-128 rxconf: none txconf: sw",
};
FIXTURE_VARIANT_ADD(ss, tls13_gcm256_both_no_pad) {
	TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256, true, true, true,
	" version: 1.3 cipher: aes-gcm-256 rxconf: sw txconf: sw",
};
/* iproute2 6.1's ss has no name for ChaCha20-Poly1305 and prints none. */
FIXTURE_VARIANT_ADD(ss, tls13_chacha_rx) {
	TLS_1_3_VERSION, TLS_CIPHER_CHACHA20_POLY1305, false, true, false,
	" version: 1.3 rxconf: sw txconf: none",
};

FIXTURE_SETUP(ss)
{
	self->cli = self->srv = -1;
	if (!kmod_loaded("tlso"))
		ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);
}

FIXTURE_TEARDOWN(ss)
{
	if (self->cli >= 0)
		close(self->cli);
	if (self->srv >= 0)
		close(self->srv);
	/* The next program finds tlso as it is normally loaded. */
	if (kmod_loaded("tls"))
		kmod_unload_wait("tls", 5000);
	if (!kmod_ulp_available("tlso")) {
		kmod_unload_wait("tlso", 5000);
		kmod_load(kmod_tlso_path(), NULL);
	}
}

/*
 * A pair over loopback, ulp attached to the client and the variant's
 * keys on it; what ss -tie says of it from "tcp-ulp-" to the end of its
 * line, into buf.
 */
static void ss_of(struct _th_data_ss *self,
		  const struct _th_variant_ss *variant, const char *ulp,
		  char *buf, size_t size, unsigned char *raw, int *raw_len)
{
	union keys_info k;
	char *out, *p, *end;

	ASSERT_OK(sock_pair(AF_INET, &self->cli, &self->srv));
	ASSERT_OK(sock_attach(self->cli, ulp));
	if (variant->tx) {
		keys_make(&k, variant->version, variant->cipher, 1, 0);
		ASSERT_OK(keys_install(self->cli, TLS_TX, &k));
	}
	if (variant->rx) {
		keys_make(&k, variant->version, variant->cipher, 2, 0);
		ASSERT_OK(keys_install(self->cli, TLS_RX, &k));
	}
	if (variant->no_pad) {
		int one = 1;

		ASSERT_OK(setsockopt(self->cli, SOL_TLS, TLS_RX_EXPECT_NO_PAD,
				     &one, sizeof(one)));
	}
	*raw_len = ulp_info_raw(local_port(self->cli), raw, 512);
	out = malloc(OUT_SIZE);
	ASSERT_TRUE(out != NULL);
	EXPECT_EQ(tenv_capture(out, OUT_SIZE, "ss -tieHnO state established "
			  "'sport = :%d'", local_port(self->cli)), 0);
	p = strstr(out, "tcp-ulp-");
	if (!p) {
		free(out);
		snprintf(buf, size, "(no tcp-ulp- in ss's output)");
		return;
	}
	end = strchr(p, '\n');
	if (end)
		*end = 0;
	snprintf(buf, size, "%s", p);
	free(out);
	close(self->cli);
	close(self->srv);
	self->cli = self->srv = -1;
}

TEST_F(ss, shows_version_cipher_and_each_direction)
{
	char got[512], want[256];
	unsigned char raw[512];
	int raw_len;

	TENV_NEED("ss");
	ss_of(self, variant, "tlso", got, sizeof(got), raw, &raw_len);
	EXPECT_GT(raw_len, 0);
	TH_LOG("ss: %s", got);
	snprintf(want, sizeof(want), "tcp-ulp-tlso%s", variant->want);
	EXPECT_HAS(got, want);
}

/*
 * With ulp_name=tls, what ss says of a tlso socket is what it says of
 * a kTLS one with the same keys, to the byte.
 */
TEST_F(ss, cannot_tell_tlso_from_ktls)
{
	char ktls[512], tlso[512];
	unsigned char kraw[512], traw[512];
	int klen, tlen;

	TENV_NEED("ss");
	ASSERT_EQ(kmod_unload_wait("tlso", 5000), 0);
	if (!kmod_loaded("tls") && kmod_modprobe("tls"))
		SKIP("no in-tree tls module to compare with");
	if (kmod_builtin("tls"))
		SKIP("tls is built into this kernel and holds the name for good");
	ss_of(self, variant, "tls", ktls, sizeof(ktls), kraw, &klen);
	ASSERT_EQ(kmod_unload_wait("tls", 5000), 0);
	ASSERT_EQ(kmod_load(kmod_tlso_path(), "ulp_name=tls"), 0);
	ss_of(self, variant, "tls", tlso, sizeof(tlso), traw, &tlen);
	TH_LOG("kTLS: %s", ktls);
	TH_LOG("tlso: %s", tlso);
	EXPECT_HAS(ktls, "tcp-ulp-tls");
	EXPECT_STREQ(tlso, ktls);
	/* and inet_diag's attributes, byte for byte */
	TH_LOG("INET_DIAG_ULP_INFO: %d bytes from kTLS, %d from tlso", klen,
	       tlen);
	EXPECT_GT(klen, 0);
	EXPECT_EQ(tlen, klen);
	if (tlen == klen && klen > 0)
		EXPECT_MEMEQ(traw, kraw, (size_t)klen);
}

/* ---- tlsoctl show ---- */

TENV_FIXTURE(show)

/* tlsoctl show -j as it is run here; its output in out, checked as JSON. */
static void show_json(char *out, size_t size)
{
	char path[] = "/tmp/tlso-show-XXXXXX";
	char check[64];
	int fd;

	EXPECT_EQ(tenv_capture(out, size, TLSOCTL " show -j"), 0);
	/* Whatever the identities hold, the output is JSON. */
	fd = mkstemp(path);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, out, strlen(out)), (ssize_t)strlen(out));
	close(fd);
	EXPECT_EQ(tenv_capture(check, sizeof(check), "python3 -c 'import json, sys;"
			  " d = json.load(open(sys.argv[1]));"
			  " print(\"ok\" if isinstance(d, list) else \"no\")'"
			  " %s", path), 0);
	EXPECT_STREQ(check, "ok\n");
	unlink(path);
}

/*
 * One socket in each state, and what tlsoctl show -j says of each:
 * attached; keys from the application; tlsod's handshake done, with the
 * peer it verified; a handshake pending (a server that never answers);
 * one that failed (a certificate for another name).
 */
TEST_F(show, lists_every_state)
{
	struct tenv *e = &self->e;
	int att, app, peer, done, pend, failed, lfd, port;
	char *out = malloc(OUT_SIZE), line[4096];
	struct tproc *srv, *bad;

	ASSERT_TRUE(out != NULL);
	TENV_NEED("python3");
	ASSERT_OK(sock_pair(AF_INET, &att, &peer));
	tenv_track(e, att);
	tenv_track(e, peer);
	ASSERT_OK(sock_attach(att, "tlso"));

	ASSERT_OK(sock_pair(AF_INET6, &app, &peer));
	tenv_track(e, app);
	tenv_track(e, peer);
	ASSERT_OK(sock_attach(app, "tlso"));
	ASSERT_OK(app_keys(app, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, 1, 2));

	done = tenv_s_server_client(e, &srv, PKI_SERVER, &tver_tls13, NULL,
				    NULL, NULL);
	ASSERT_OK(hs_start(done, TLSO_ROLE_CLIENT, "", "localhost",
			   TENV_HS_MS));
	EXPECT_EQ(hs_wait(done, TENV_HS_MS), TLSO_HS_DONE);

	failed = tenv_s_server_client(e, &bad, PKI_WRONG_NAME, &tver_tls13,
				      NULL, NULL, NULL);
	EXPECT_ERRNO(hs_start(failed, TLSO_ROLE_CLIENT, "", "localhost",
			      TENV_HS_MS), EACCES);
	EXPECT_EQ(hs_get(failed).state, TLSO_HS_FAILED);

	lfd = tenv_listen(e, &port);
	pend = tenv_tlso_client(e, port);
	ASSERT_OK(tenv_set_nonblock(pend, true));
	EXPECT_ERRNO(hs_start(pend, TLSO_ROLE_CLIENT, "", "localhost", 120000),
		     EINPROGRESS);

	show_json(out, OUT_SIZE);
	ASSERT_TRUE(json_line(out, inode_of(att), line, sizeof(line)));
	TH_LOG("attached: %s", line);
	EXPECT_HAS(line, "\"family\": \"ipv4\", \"local_address\": "
			 "\"127.0.0.1\"");
	EXPECT_HAS(line, "\"state\": \"attached\"");
	EXPECT_HAS(line, "\"uid\": 0,");
	EXPECT_HASNT(line, "keys_by");
	EXPECT_HASNT(line, "version");

	ASSERT_TRUE(json_line(out, inode_of(app), line, sizeof(line)));
	TH_LOG("application's keys: %s", line);
	EXPECT_HAS(line, "\"family\": \"ipv6\", \"local_address\": \"::1\"");
	EXPECT_HAS(line, "\"state\": \"keys\", \"keys_by\": \"application\", "
			 "\"version\": \"TLS 1.3\", \"cipher\": \"AES-GCM-128\"");
	EXPECT_HASNT(line, "handshake_us");

	ASSERT_TRUE(json_line(out, inode_of(done), line, sizeof(line)));
	TH_LOG("tlsod's handshake: %s", line);
	EXPECT_HAS(line, "\"state\": \"keys\", \"keys_by\": \"tlsod\", "
			 "\"version\": \"TLS 1.3\"");
	EXPECT_HAS(line, "\"peer_auth\": \"x509\", \"peer_identity\": \""
			 TENV_ID_SERVER "\", \"handshake_us\": ");
	EXPECT_HAS(line, "\"resumed\": false");
	EXPECT_HASNT(line, "\"handshake_us\": 0,");
	/* who attached tlso: this program */
	{
		char me[64];

		snprintf(me, sizeof(me), "\"pid\": %d, \"comm\": \"show_test\"",
			 getpid());
		EXPECT_HAS(line, me);
	}

	ASSERT_TRUE(json_line(out, inode_of(pend), line, sizeof(line)));
	TH_LOG("pending: %s", line);
	EXPECT_HAS(line, "\"state\": \"handshake\"");

	ASSERT_TRUE(json_line(out, inode_of(failed), line, sizeof(line)));
	TH_LOG("failed: %s", line);
	EXPECT_HAS(line, "\"state\": \"failed\", \"error\": \"Permission denied\"");
	EXPECT_HAS(line, "\"handshake_us\": ");

	/* The same, as text. */
	EXPECT_EQ(tenv_capture(out, OUT_SIZE, TLSOCTL " show"), 0);
	EXPECT_HAS(out, "  state: keys installed by tlsod\n  tls: TLS 1.3, ");
	EXPECT_HAS(out, "  peer identity: x509 " TENV_ID_SERVER "\n");
	EXPECT_HAS(out, "  state: keys installed by the application\n"
			"  tls: TLS 1.3, AES-GCM-128\n");
	EXPECT_HAS(out, "  state: handshake pending\n");
	EXPECT_HAS(out, "  state: attached\n");
	EXPECT_HAS(out, "  state: handshake failed: ");
	EXPECT_HAS(out, "socket: [::1]:");
	(void)srv;
	(void)bad;
	(void)lfd;
	free(out);
}

/* Records, bytes and KeyUpdates: what TLSO_INFO says, both ends. */
TEST_F(show, counters_are_tlso_info)
{
	struct tenv *e = &self->e;
	char *out = malloc(OUT_SIZE), line[4096], want[256], buf[3000];
	struct tlso_info in;
	int a, b, i, fd;

	ASSERT_TRUE(out != NULL);
	TENV_NEED("python3");
	ASSERT_OK(sock_pair(AF_INET, &a, &b));
	tenv_track(e, a);
	tenv_track(e, b);
	ASSERT_OK(sock_attach(a, "tlso"));
	ASSERT_OK(sock_attach(b, "tlso"));
	ASSERT_OK(app_keys(a, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_256, 1, 2));
	ASSERT_OK(app_keys(b, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_256, 2, 1));
	memset(buf, 'x', sizeof(buf));
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(send(a, buf, 1000 * i, 0), 1000 * i);
		ASSERT_OK(sock_read_exact(b, buf, 1000 * i, 10000));
	}
	ASSERT_EQ(send(b, buf, 7, 0), 7);
	ASSERT_OK(sock_read_exact(a, buf, 7, 10000));

	show_json(out, OUT_SIZE);
	for (i = 0; i < 2; i++) {
		fd = i ? b : a;
		ASSERT_OK(sock_tlso_info(fd, &in));
		ASSERT_TRUE(json_line(out, inode_of(fd), line, sizeof(line)));
		TH_LOG("%s", line);
		snprintf(want, sizeof(want),
			 "\"tx\": {\"records\": %llu, \"bytes\": %llu, "
			 "\"key_updates\": 0}, \"rx\": {\"records\": %llu, "
			 "\"bytes\": %llu, \"key_updates\": 0}}",
			 (unsigned long long)in.tx_records,
			 (unsigned long long)in.tx_bytes,
			 (unsigned long long)in.rx_records,
			 (unsigned long long)in.rx_bytes);
		EXPECT_HAS(line, want);
	}
	EXPECT_EQ(in.rx_bytes, 6000);	/* b: what a sent */
	EXPECT_EQ(in.tx_bytes, 7);
	free(out);
}

/* For show_elsewhere(): what the child becomes first; 0 or -1. */
static int become_user(void)
{
	return setgroups(0, NULL) ||
	       setresgid(USER_UID, USER_UID, USER_UID) ||
	       setresuid(USER_UID, USER_UID, USER_UID) ? -1 : 0;
}

static int become_netns(void)
{
	return unshare(CLONE_NEWNET) || sock_lo_up() ? -1 : 0;
}

/*
 * A child that becomes someone else (become), attaches tlso to a socket
 * of its own and runs tlsoctl show -j.  Its socket's inode comes back
 * in *ino and what it saw in seen; it keeps the socket open until *go is
 * closed, then exits 0.  Its pid, or -1.
 */
static pid_t show_elsewhere(int (*become)(void), unsigned long *ino,
			    char *seen, size_t size, int *go)
{
	int ready[2], hold[2], c, s;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	if (pipe(ready) || pipe(hold))
		return -1;
	pid = fork();
	if (!pid) {
		char *o = malloc(OUT_SIZE);

		close(ready[0]);
		close(hold[1]);
		if (!o || become() || sock_pair(AF_INET, &c, &s) ||
		    sock_attach(c, "tlso"))
			_exit(2);
		*ino = inode_of(c);
		if (tenv_capture(o, OUT_SIZE, TLSOCTL " show -j") ||
		    write(ready[1], ino, sizeof(*ino)) != sizeof(*ino) ||
		    write(ready[1], o, strlen(o)) != (ssize_t)strlen(o))
			_exit(3);
		close(ready[1]);
		if (read(hold[0], &c, 1) < 0)
			_exit(4);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	*ino = 0;
	seen[0] = 0;
	if (pid > 0 && read(ready[0], ino, sizeof(*ino)) == sizeof(*ino)) {
		while (n + 1 < size &&
		       (r = read(ready[0], seen + n, size - 1 - n)) > 0)
			n += r;
		seen[n] = 0;
	}
	close(ready[0]);
	*go = hold[1];
	return pid;
}

/* Let show_elsewhere()'s child go; whether it exited 0. */
static bool elsewhere_done(pid_t pid, int go)
{
	int status;

	close(go);
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

/*
 * Root attaches tlso to a socket; so does a child that became someone
 * else.  Each tlsoctl show lists the child its own socket alone; root's
 * lists its own, and the child's when root_sees_it.
 */
static void only_own(struct tenv *e, int (*become)(void), bool root_sees_it)
{
	char *out = malloc(OUT_SIZE), *theirs = malloc(OUT_SIZE), line[4096];
	unsigned long their_ino;
	int mine, peer, go;
	pid_t pid;

	ASSERT_TRUE(out != NULL && theirs != NULL);
	ASSERT_OK(sock_pair(AF_INET, &mine, &peer));
	tenv_track(e, mine);
	tenv_track(e, peer);
	ASSERT_OK(sock_attach(mine, "tlso"));
	pid = show_elsewhere(become, &their_ino, theirs, OUT_SIZE, &go);
	ASSERT_TRUE(pid > 0);
	show_json(out, OUT_SIZE);
	EXPECT_TRUE(elsewhere_done(pid, go));

	TH_LOG("the other sees: %s", theirs);
	EXPECT_TRUE(json_line(theirs, their_ino, line, sizeof(line)));
	EXPECT_EQ(count_of(theirs, "{\"inode\""), 1);
	EXPECT_TRUE(json_line(out, inode_of(mine), line, sizeof(line)));
	EXPECT_EQ(json_line(out, their_ino, line, sizeof(line)), root_sees_it);
	if (root_sees_it)
		EXPECT_HAS(line, "\"uid\": 1000,");
	free(out);
	free(theirs);
}

/*
 * An unprivileged user sees their own sockets and nobody else's, root's
 * included; root sees theirs too.
 */
TEST_F(show, a_user_sees_only_their_own_sockets)
{
	only_own(&self->e, become_user, true);
}

/* A network namespace's sockets are its own: neither side sees the other's. */
TEST_F(show, each_namespace_sees_its_own)
{
	only_own(&self->e, become_netns, false);
}

/*
 * More sockets than one message and one round of the dump hold: each is
 * listed, once.
 */
TEST_F(show, many_sockets_each_listed_once)
{
	int fds[2 * MANY_PAIRS], i;
	char *out = malloc(OUT_SIZE), key[48];

	ASSERT_TRUE(out != NULL);
	for (i = 0; i < MANY_PAIRS; i++) {
		ASSERT_OK(sock_pair(AF_INET, &fds[2 * i], &fds[2 * i + 1]));
		ASSERT_OK(sock_attach(fds[2 * i], "tlso"));
		ASSERT_OK(sock_attach(fds[2 * i + 1], "tlso"));
	}
	EXPECT_EQ(tenv_capture(out, OUT_SIZE, TLSOCTL " show -j"), 0);
	TH_LOG("%zu bytes of JSON for %d sockets", strlen(out),
	       2 * MANY_PAIRS);
	for (i = 0; i < 2 * MANY_PAIRS; i++) {
		snprintf(key, sizeof(key), "{\"inode\": %lu,",
			 inode_of(fds[i]));
		EXPECT_EQ(count_of(out, key), 1);
	}
	EXPECT_EQ(count_of(out, "{\"inode\""), 2 * MANY_PAIRS);
	for (i = 0; i < 2 * MANY_PAIRS; i++)
		close(fds[i]);
	free(out);
}

/* ---- tlsoctl stats, tlsod's counters, node_exporter ---- */

FIXTURE(stats) {
	struct tenv e;
	char path[256];		/* tlsod's --stats file */
};

FIXTURE_SETUP(stats)
{
	struct tenv *e = &self->e;
	char dir[200];

	tenv_setup(e, false);
	snprintf(dir, sizeof(dir), "%s/run", e->dir);
	ASSERT_OK(mkdir(dir, 0755));
	tenv_give_tlsod(dir);
	snprintf(self->path, sizeof(self->path), "%s/stats.prom", dir);
	e->tlsod_opt[0] = "--stats";
	e->tlsod_opt[1] = self->path;
	tenv_start_tlsod(e);
}

FIXTURE_TEARDOWN(stats)
{
	tenv_teardown(&self->e);
}

/* node_exporter's textfile collector on dir, on a free port: its port. */
static int node_exporter(struct tenv *e, const char *dir)
{
	static char listen[64], textdir[400];
	const char *argv[] = {
		"prometheus-node-exporter", listen,
		"--collector.disable-defaults", "--collector.textfile",
		textdir, NULL,
	};
	int port;

	snprintf(textdir, sizeof(textdir),
		 "--collector.textfile.directory=%s", dir);
	tenv_spawn_listener(e, "node_exporter", false, argv, listen,
			    sizeof(listen), "--web.listen-address=127.0.0.1:%d",
			    &port);
	return port;
}

/*
 * tlsod counts what its handshakes came to, and tlsoctl stats -p hands
 * that and the module's counters to node_exporter, which serves them
 * as they are, with no complaint.
 */
TEST_F(stats, handshakes_counted_and_served_by_node_exporter)
{
	struct tenv *e = &self->e;
	char *out = malloc(OUT_SIZE), want[128], textdir[300];
	struct tproc *srv;
	int i, fd, port, lfd;

	ASSERT_TRUE(out != NULL);
	TENV_NEED("prometheus-node-exporter");
	TENV_NEED("curl");
	/* written as tlsod starts, readable by all */
	ASSERT_TRUE(tenv_file_has(self->path,
				  "tlsod_handshakes_total{outcome=\"ok\"} 0\n", 0));
	for (i = 0; i < 2; i++) {
		fd = tenv_s_server_client(e, &srv, PKI_SERVER, &tver_tls13,
					  NULL, NULL, NULL);
		ASSERT_OK(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
				   TENV_HS_MS));
	}
	fd = tenv_s_server_client(e, &srv, PKI_WRONG_NAME, &tver_tls13, NULL,
				  NULL, NULL);
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost",
			      TENV_HS_MS), EACCES);
	/*
	 * A worker reports its outcome before it says it is idle, and the
	 * file may be written between the two: wait for both.
	 */
	if (tenv_wait_file_has(self->path, "tlsod_handshake_seconds_count 3\n",
			       0, 10000))
		tenv_wait_file_has(self->path, "tlsod_workers_busy 0\n", 0,
				   10000);
	tenv_show_file("tlsod's statistics", self->path);

	EXPECT_EQ(tenv_capture(out, OUT_SIZE, TLSOCTL " stats -p --tlsod %s",
			  self->path), 0);
	EXPECT_HAS(out, "tlso_module_loaded 1\n");
	snprintf(want, sizeof(want), "tlso_attached_total %ld\n",
		 kmod_tlso_stat(TLSO_STAT_ATTACHED));
	EXPECT_HAS(out, want);
	EXPECT_HAS(out, "# TYPE tlso_curr_attached gauge\n");
	EXPECT_HAS(out, "tlsod_handshakes_total{outcome=\"ok\"} 2\n");
	EXPECT_HAS(out, "tlsod_handshakes_total{outcome=\"EACCES\"} 1\n");
	EXPECT_HAS(out, "tlsod_handshake_seconds_bucket{le=\"+Inf\"} 3\n");
	EXPECT_HAS(out, "tlsod_workers_busy 0\n");

	/* a handshake in progress (a server that never answers) keeps one busy */
	lfd = tenv_listen(e, &port);
	fd = tenv_tlso_client(e, port);
	ASSERT_OK(tenv_set_nonblock(fd, true));
	EXPECT_ERRNO(hs_start(fd, TLSO_ROLE_CLIENT, "", "localhost", 120000),
		     EINPROGRESS);
	EXPECT_TRUE(tenv_wait_file_has(self->path, "tlsod_workers_busy 1\n",
				       0, 10000));

	/* node_exporter's textfile collector, as an administrator sets it up */
	snprintf(textdir, sizeof(textdir), "%s/textfile", e->dir);
	ASSERT_OK(mkdir(textdir, 0755));
	EXPECT_EQ(tenv_capture(want, sizeof(want), TLSOCTL " stats -p --tlsod %s "
			  "> %s/tlso.prom.$$ && mv %s/tlso.prom.$$ %s/tlso.prom",
			  self->path, textdir, textdir, textdir), 0);
	port = node_exporter(e, textdir);
	ASSERT_GT(port, 0);
	EXPECT_EQ(tenv_capture(out, OUT_SIZE, "curl -sf http://127.0.0.1:%d/metrics",
			  port), 0);
	EXPECT_HAS(out, "node_textfile_scrape_error 0\n");
	EXPECT_HAS(out, "tlsod_handshakes_total{outcome=\"EACCES\"} 1\n");
	EXPECT_HAS(out, "tlsod_handshake_seconds_count 3\n");
	EXPECT_HAS(out, "tlso_module_loaded 1\n");
	(void)lfd;	/* closed at teardown, which ends the handshake */
	free(out);
}

/* tlsod gone: its file goes with it, and tlsoctl says there is none. */
TEST_F(stats, file_goes_with_tlsod)
{
	struct tenv *e = &self->e;
	char out[4096];

	ASSERT_EQ(access(self->path, R_OK), 0);
	EXPECT_EQ(tenv_stop_tlsod(e, 20000), 0);
	EXPECT_EQ(access(self->path, F_OK), -1);
	EXPECT_EQ(tenv_capture(out, sizeof(out), TLSOCTL " stats -p --tlsod %s",
			  self->path), 0);
	EXPECT_HAS(out, "# tlsod: no ");
	EXPECT_EQ(strstr(out, "tlsod_handshakes_total"), NULL);
}

/* Bad usage is exit 2 with the usage; no module is a clear exit 1. */
TEST(tlsoctl_show_usage)
{
	char out[4096];

	EXPECT_EQ(WEXITSTATUS(tenv_capture(out, sizeof(out),
				      TLSOCTL " show --bogus 2>&1")), 2);
	EXPECT_HAS(out, "usage: tlsoctl show [-j|--json]");
	EXPECT_EQ(WEXITSTATUS(tenv_capture(out, sizeof(out),
				      TLSOCTL " show extra 2>&1")), 2);
	EXPECT_EQ(tenv_capture(out, sizeof(out), TLSOCTL " show --help"), 0);
	EXPECT_HAS(out, "Without\nCAP_NET_ADMIN, only your own sockets.");
}

TEST_HARNESS_MAIN
