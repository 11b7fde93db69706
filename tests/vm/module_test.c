// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: loading and unloading tlso.ko, its ulp_name parameter, its
 * counters, and the module being pinned by the sockets that use it.
 */
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <net/if.h>

#include "harness.h"
#include "kmod.h"
#include "sock.h"

#include <linux/tlso.h>

static void unload_all(void)
{
	if (kmod_loaded("tlso"))
		kmod_unload_wait("tlso", 5000);
}

/*
 * A closed socket pins the module until TCP destroys it (as any ULP's
 * does).  With its peer still open that can take tcp_fin_timeout, 60 s
 * by default: when the ACK of our FIN comes while the socket is owned,
 * or with the peer's FIN, TCP keeps it in FIN_WAIT2 on that timer
 * (tcp_rcv_state_process(), its "Bad case").  A CI run on 6.12 once
 * waited 5 s in vain here.  The tests set it to FIN_TIMEOUT_S, well
 * within their wait, and put it back after.
 */
#define FIN_TIMEOUT_PATH	"/proc/sys/net/ipv4/tcp_fin_timeout"
#define FIN_TIMEOUT_S		"1"

FIXTURE(mod) {
	int cli, srv;
	char fin_timeout[16];
};

FIXTURE_SETUP(mod)
{
	self->cli = self->srv = -1;
	unload_all();
	ASSERT_FALSE(kmod_loaded("tlso"));
	ASSERT_EQ(kmod_read_file(FIN_TIMEOUT_PATH, self->fin_timeout,
				 sizeof(self->fin_timeout)), 0);
	ASSERT_EQ(kmod_write_file(FIN_TIMEOUT_PATH, FIN_TIMEOUT_S), 0);
}

FIXTURE_TEARDOWN(mod)
{
	if (self->cli >= 0)
		close(self->cli);
	if (self->srv >= 0)
		close(self->srv);
	unload_all();
	if (self->fin_timeout[0])
		kmod_write_file(FIN_TIMEOUT_PATH, self->fin_timeout);
}

TEST_F(mod, load_registers_ulp_and_unload_removes_it)
{
	ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);
	EXPECT_TRUE(kmod_ulp_available("tlso"));
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED), 0);
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_ATTACHED), 0);
	ASSERT_EQ(kmod_unload("tlso"), 0);
	EXPECT_FALSE(kmod_ulp_available("tlso"));
	EXPECT_EQ(access("/proc/self/net/tlso_stat", F_OK), -1);
}

TEST_F(mod, load_twice_is_eexist)
{
	ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);
	EXPECT_EQ(kmod_load(kmod_tlso_path(), NULL), -EEXIST);
}

TEST_F(mod, rmmod_refused_while_attached)
{
	char refcnt[32];

	ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);
	ASSERT_OK(sock_pair(AF_INET, &self->cli, &self->srv));
	ASSERT_OK(sock_attach(self->cli, "tlso"));
	ASSERT_EQ(kmod_read_file("/sys/module/tlso/refcnt", refcnt,
				 sizeof(refcnt)), 0);
	EXPECT_EQ(atoi(refcnt), 1);
	EXPECT_EQ(kmod_unload("tlso"), -EWOULDBLOCK);
	EXPECT_TRUE(kmod_loaded("tlso"));
	EXPECT_TRUE(kmod_ulp_available("tlso"));

	/* The peer still open: the socket lingers in TCP, and so does tlso. */
	close(self->cli);
	self->cli = -1;
	close(self->srv);
	self->srv = -1;
	EXPECT_EQ(kmod_unload_wait("tlso", 5000), 0);
	EXPECT_FALSE(kmod_loaded("tlso"));
}

TEST_F(mod, rmmod_refused_until_every_socket_closed)
{
	int c2, s2;

	ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);
	ASSERT_OK(sock_pair(AF_INET6, &self->cli, &self->srv));
	ASSERT_OK(sock_pair(AF_INET, &c2, &s2));
	ASSERT_OK(sock_attach(self->srv, "tlso"));
	ASSERT_OK(sock_attach(s2, "tlso"));
	close(s2);
	close(c2);
	/* One attached socket remains. */
	usleep(200 * 1000);
	EXPECT_EQ(kmod_unload("tlso"), -EWOULDBLOCK);
	close(self->srv);
	self->srv = -1;
	EXPECT_EQ(kmod_unload_wait("tlso", 5000), 0);
}

TEST_F(mod, counters_follow_attached_sockets)
{
	int c2, s2;

	ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);
	ASSERT_OK(sock_pair(AF_INET, &self->cli, &self->srv));
	ASSERT_OK(sock_pair(AF_INET6, &c2, &s2));
	ASSERT_OK(sock_attach(self->cli, "tlso"));
	ASSERT_OK(sock_attach(c2, "tlso"));
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED), 2);
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_ATTACHED), 2);
	close(c2);
	close(s2);
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED), 1);
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_ATTACHED), 2);
	/* A failed attach counts nothing. */
	EXPECT_ERRNO(sock_attach(self->cli, "tlso"), EEXIST);
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_ATTACHED), 2);
}


/* Each network namespace counts its own sockets. */
TEST_F(mod, counters_are_per_netns)
{
	int status;
	pid_t pid;

	ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int c, s;

		if (unshare(CLONE_NEWNET) || sock_lo_up() || sock_pair(AF_INET, &c, &s))
			_exit(2);
		if (sock_attach(c, "tlso"))
			_exit(3);
		_exit(kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED) == 1 ? 0 : 4);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_ATTACHED), 0);
	EXPECT_EQ(kmod_unload_wait("tlso", 5000), 0);
}

TEST_F(mod, ulp_name_parameter_renames_the_ulp)
{
	char name[16];

	ASSERT_EQ(kmod_load(kmod_tlso_path(), "ulp_name=tlsoalt"), 0);
	EXPECT_TRUE(kmod_ulp_available("tlsoalt"));
	EXPECT_FALSE(kmod_ulp_available("tlso"));
	ASSERT_OK(sock_pair(AF_INET, &self->cli, &self->srv));
	EXPECT_ERRNO(sock_attach(self->cli, "tlso"), ENOENT);
	ASSERT_OK(sock_attach(self->cli, "tlsoalt"));
	ASSERT_OK(sock_ulp(self->cli, name, sizeof(name)));
	EXPECT_STREQ(name, "tlsoalt");
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED), 1);
}

TEST_F(mod, ulp_name_bad_values_are_refused)
{
	/* TCP_ULP_NAME_MAX is 16 with the terminating NUL. */
	EXPECT_EQ(kmod_load(kmod_tlso_path(), "ulp_name="), -EINVAL);
	EXPECT_EQ(kmod_load(kmod_tlso_path(), "ulp_name=abcdefghijklmnop"),
		  -EINVAL);
	EXPECT_FALSE(kmod_loaded("tlso"));
	EXPECT_TRUE(kmod_dmesg_has("tlso: ulp_name must be 1 to 15 characters"));
	ASSERT_EQ(kmod_load(kmod_tlso_path(), "ulp_name=abcdefghijklmno"), 0);
	EXPECT_TRUE(kmod_ulp_available("abcdefghijklmno"));
}

TEST_F(mod, ulp_name_tls_refused_while_intree_tls_loaded)
{
	if (kmod_modprobe("tls"))
		SKIP("the in-tree tls module cannot be loaded here");
	EXPECT_EQ(kmod_load(kmod_tlso_path(), "ulp_name=tls"), -EEXIST);
	EXPECT_FALSE(kmod_loaded("tlso"));
	EXPECT_TRUE(kmod_dmesg_has("tlso: TCP ULP \"tls\" is already registered by the in-tree tls module; rmmod tls first"));
}

/* Runs without the in-tree module: unload it first (nothing else uses it). */
TEST_F(mod, ulp_name_tls_stands_in_for_ktls)
{
	char name[16];

	if (kmod_loaded("tls") && kmod_unload_wait("tls", 5000))
		SKIP("the in-tree tls module is loaded and cannot be unloaded");
	if (kmod_builtin("tls"))
		SKIP("tls is built into this kernel and holds the name for good");
	ASSERT_EQ(kmod_load(kmod_tlso_path(), "ulp_name=tls"), 0);
	ASSERT_OK(sock_pair(AF_INET, &self->cli, &self->srv));
	ASSERT_OK(sock_attach(self->cli, "tls"));
	ASSERT_OK(sock_ulp(self->cli, name, sizeof(name)));
	EXPECT_STREQ(name, "tls");
	/* tlso, not kTLS, took the socket. */
	EXPECT_EQ(kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED), 1);
	EXPECT_FALSE(kmod_loaded("tls"));
}

TEST_HARNESS_MAIN
