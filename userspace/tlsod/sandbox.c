// SPDX-License-Identifier: GPL-2.0
/*
 * A worker's sandbox (privilege.h): what a worker does between fork and
 * exit is a handshake on a descriptor it already has, ACCEPT and DONE on
 * a netlink socket of its own, signatures asked of the parent, and log
 * lines.  The list below is that, found by running every tlsod test
 * under the filter; what is not in it ends the worker (the parent logs
 * "killed by signal 31").  Opening a file fails instead, with EACCES:
 * the C library and GnuTLS try a few files (the time zone, for one) and
 * do without.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <seccomp.h>

#include "log.h"
#include "privilege.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const allowed[] = {
	/* the handshake's socket, the pair to the parent, the log */
	"read", "write", "readv", "writev", "close",
	"sendmsg", "recvmsg", "sendto", "recvfrom",
	"poll", "ppoll", "getsockopt", "setsockopt",
	"getsockname", "getpeername", "shutdown",
	"fcntl", "fstat", "newfstatat", "lseek",
	/* netlink: a socket of its own, again after a failure */
	"bind",
	/* memory, randomness, time */
	"mmap", "munmap", "mremap", "mprotect", "brk", "madvise",
	"getrandom", "clock_gettime", "clock_getres", "gettimeofday", "time",
	"nanosleep", "clock_nanosleep", "futex", "sched_yield",
	/* signals and the handshake's alarm */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "restart_syscall",
	"alarm", "setitimer", "getitimer",
	"getpid", "gettid", "getuid", "geteuid", "getgid", "getegid",
	"exit", "exit_group",
};

/* What the C library opens by name: denied, not fatal. */
static const char *const denied[] = { "open", "openat" };

static int add(scmp_filter_ctx ctx, uint32_t action, const char *name,
	       unsigned int n, const struct scmp_arg_cmp *cmp)
{
	int nr = seccomp_syscall_resolve_name(name);

	/* a call this architecture does not have needs no rule */
	if (nr == __NR_SCMP_ERROR)
		return 0;
	return seccomp_rule_add_array(ctx, action, nr, n, cmp);
}

static int build(scmp_filter_ctx ctx)
{
	const struct scmp_arg_cmp netlink = SCMP_A0(SCMP_CMP_EQ, AF_NETLINK);
	/* syslog() connects again when its socket broke */
	const struct scmp_arg_cmp unix_dom = SCMP_A0(SCMP_CMP_EQ, AF_UNIX);
	const struct scmp_arg_cmp tcgets = SCMP_A1(SCMP_CMP_EQ, TCGETS);
	const struct scmp_arg_cmp fionread = SCMP_A1(SCMP_CMP_EQ, FIONREAD);
	/* abort() and raise(): a signal to itself alone */
	const struct scmp_arg_cmp self = SCMP_A0(SCMP_CMP_EQ, getpid());
	size_t i;
	int ret = 0;

	for (i = 0; i < ARRAY_SIZE(allowed) && !ret; i++)
		ret = add(ctx, SCMP_ACT_ALLOW, allowed[i], 0, NULL);
	for (i = 0; i < ARRAY_SIZE(denied) && !ret; i++)
		ret = add(ctx, SCMP_ACT_ERRNO(EACCES), denied[i], 0, NULL);
	if (!ret)
		ret = add(ctx, SCMP_ACT_ALLOW, "socket", 1, &netlink);
	if (!ret)
		ret = add(ctx, SCMP_ACT_ALLOW, "socket", 1, &unix_dom);
	if (!ret)
		ret = add(ctx, SCMP_ACT_ALLOW, "connect", 0, NULL);
	if (!ret)
		ret = add(ctx, SCMP_ACT_ALLOW, "ioctl", 1, &tcgets);
	if (!ret)
		ret = add(ctx, SCMP_ACT_ALLOW, "ioctl", 1, &fionread);
	if (!ret)
		ret = add(ctx, SCMP_ACT_ALLOW, "tgkill", 1, &self);
	if (!ret)
		ret = add(ctx, SCMP_ACT_ALLOW, "kill", 1, &self);
	return ret;
}

int tlsod_sandbox_worker(void)
{
	scmp_filter_ctx ctx;
	int ret;

	/* no core, no ptrace by the same user, no /proc/PID/mem for it */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_err("worker: prctl: %s", strerror(errno));
		return -1;
	}
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx) {
		log_err("worker: seccomp_init failed");
		return -1;
	}
	ret = build(ctx);
	if (!ret)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	if (ret) {
		log_err("worker: seccomp filter: %s", strerror(-ret));
		return -1;
	}
	return 0;
}
