// SPDX-License-Identifier: GPL-2.0
/*
 * Test library: the real tlsod of a case, with its configuration, from
 * the case's setup to the checks of its teardown.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>

#include <seccomp.h>

#include "kmod.h"
#include "tenv.h"

void tenv_write_conf(struct tenv *e, const char *extra)
{
	char ca[PATH_MAX], scrt[PATH_MAX], skey[PATH_MAX], ccrt[PATH_MAX],
	     ckey[PATH_MAX];
	FILE *f;
	int fd;

	tenv_pki(e, ca, sizeof(ca), PKI_CA, "pem");
	tenv_pki(e, scrt, sizeof(scrt), PKI_SERVER, "pem");
	tenv_pki(e, skey, sizeof(skey), PKI_SERVER, "key");
	tenv_pki(e, ccrt, sizeof(ccrt), PKI_CLIENT, "pem");
	tenv_pki(e, ckey, sizeof(ckey), PKI_CLIENT, "key");
	/* it holds a PSK: tlsod wants it for its owner alone */
	TCASE_ASSERT_OK(fd = open(e->conf, O_WRONLY | O_CREAT | O_TRUNC |
				  O_CLOEXEC, 0600));
	f = fdopen(fd, "w");
	TCASE_ASSERT(f != NULL);
	fprintf(f, "; written by tlsod_test\n%s",
		e->conf_global ? e->conf_global : "");
	fprintf(f,
		"[default]\n"
		"trust_store = %s\n"
		"versions = 1.3 1.2\n"
		"\n[server]\n"
		"certificate = %s\nprivate_key = %s\n"
		"\n[server_require]\n"
		"certificate = %s\nprivate_key = %s\n"
		"trust_store = %s\nclient_auth = require\n"
		"\n[server_optional]\n"
		"certificate = %s\nprivate_key = %s\n"
		"trust_store = %s\nclient_auth = optional\n"
		"\n[client_cert]\n"
		"certificate = %s\nprivate_key = %s\ntrust_store = %s\n"
		"\n[psk]\n"
		"psk_identity = " TENV_PSK_IDENTITY "\n"
		"psk_key = " TENV_PSK_KEY "\n"
		"\n[short]\n"
		"trust_store = %s\ntimeout_ms = 1000\n"
		"%s",
		ca, scrt, skey, scrt, skey, ca, scrt, skey, ca, ccrt, ckey, ca,
		ca,
		extra ? extra : "");
	TCASE_ASSERT(fclose(f) == 0);
	tenv_give_tlsod(e->conf);
}

void tenv_give_tlsod(const char *path)
{
	/* a host test without root starts no tlsod */
	if (geteuid() != 0)
		return;
	TCASE_ASSERT_OK(chown(path, TENV_TLSOD_UID, TENV_TLSOD_GID));
}

/*
 * In tlsod's child before exec: what systemd does for the unit.  The
 * bounding set first, while CAP_SETPCAP is there; the capability kept
 * across the change of user, then made ambient so that it survives exec.
 */
static int tenv_unit_creds(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	gid_t gid = TENV_TLSOD_GID;
	unsigned int c;

	for (c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
		if (c != CAP_NET_ADMIN &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return -1;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	    setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(TENV_TLSOD_UID, TENV_TLSOD_UID, TENV_TLSOD_UID) < 0)
		return -1;
	memset(d, 0, sizeof(d));
	d[CAP_TO_INDEX(CAP_NET_ADMIN)].permitted = CAP_TO_MASK(CAP_NET_ADMIN);
	d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective = CAP_TO_MASK(CAP_NET_ADMIN);
	d[CAP_TO_INDEX(CAP_NET_ADMIN)].inheritable =
		CAP_TO_MASK(CAP_NET_ADMIN);
	if (syscall(SYS_capset, &h, d) < 0)
		return -1;
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0,
		     0);
}

/*
 * The unit's SystemCallFilter=~@privileged @resources with
 * SystemCallErrorNumber=EPERM and NoNewPrivileges=yes: the groups as
 * systemd 252 (Debian 12) expands them.  The unit's allow list,
 * @system-service, is wider than what tlsod calls and is left out.
 */
static const char *const tenv_unit_denied[] = {
	/* @privileged */
	"_sysctl", "acct", "bpf", "capset", "chroot", "fanotify_init",
	"fanotify_mark", "nfsservctl", "open_by_handle_at", "pivot_root",
	"quotactl", "quotactl_fd", "setdomainname", "setfsuid", "setfsuid32",
	"setgroups", "setgroups32", "sethostname", "setresuid", "setresuid32",
	"setreuid", "setreuid32", "setuid", "setuid32", "vhangup",
	/* @privileged's own groups: @chown @clock @module @raw-io @reboot @swap */
	"chown", "chown32", "fchown", "fchown32", "fchownat", "lchown",
	"lchown32", "adjtimex", "clock_adjtime", "clock_adjtime64",
	"clock_settime", "clock_settime64", "settimeofday", "delete_module",
	"finit_module", "init_module", "ioperm", "iopl", "kexec_file_load",
	"kexec_load", "reboot", "swapoff", "swapon",
	/* @resources */
	"ioprio_set", "mbind", "migrate_pages", "move_pages", "nice",
	"sched_setaffinity", "sched_setattr", "sched_setparam",
	"sched_setscheduler", "set_mempolicy", "set_mempolicy_home_node",
	"setpriority", "setrlimit",
};

static int tenv_unit_filter(void)
{
	scmp_filter_ctx ctx;
	size_t i;
	int ret = 0;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -1;
	for (i = 0; i < sizeof(tenv_unit_denied) / sizeof(tenv_unit_denied[0]) &&
		    !ret; i++) {
		int nr = seccomp_syscall_resolve_name(tenv_unit_denied[i]);

		if (nr != __NR_SCMP_ERROR)
			ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr,
					       0);
	}
	if (!ret)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}

void tenv_reload_conf(struct tenv *e, const char *extra)
{
	off_t from = tenv_file_size(e->log);

	tenv_write_conf(e, extra);
	TCASE_ASSERT_OK(kill(e->tlsod, SIGHUP));
	/* each profile without a trust_store reads the system's, slowly */
	if (!tenv_wait_file_has(e->log, "reloaded", from, 30000)) {
		tenv_show_file("tlsod log", e->log);
		TCASE_ASSERT(!"tlsod took the new configuration");
	}
}

bool tenv_log_line_has(const struct tenv *e, const char *a, const char *b,
		       int ms)
{
	double end = tenv_now() + ms / 1000.0;
	char *buf, *line, *save;
	bool found = false;

	do {
		buf = tenv_slurp(e->log, NULL);
		for (line = strtok_r(buf, "\n", &save); line && !found;
		     line = strtok_r(NULL, "\n", &save))
			found = strstr(line, a) && strstr(line, b);
		free(buf);
		if (!found)
			tenv_msleep(20);
	} while (!found && tenv_now() < end);
	return found;
}

/* Another tlsod in this network namespace would take our requests. */
static pid_t tenv_other_tlsod(void)
{
	struct dirent *d;
	pid_t found = 0;
	DIR *dir = opendir("/proc");

	if (!dir)
		return 0;
	while (!found && (d = readdir(dir))) {
		char path[64], comm[32] = "";
		char *end;
		long pid = strtol(d->d_name, &end, 10);
		FILE *f;

		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, "tlsod\n"))
			found = (pid_t)pid;
		fclose(f);
	}
	closedir(dir);
	return found;
}

void tenv_start_tlsod(struct tenv *e)
{
	off_t from = tenv_file_size(e->log);
	double end;
	int log, null;

	TCASE_ASSERT(access(TENV_TLSOD, X_OK) == 0);
	TCASE_ASSERT_OK(log = open(e->log, O_WRONLY | O_CREAT | O_APPEND |
				   O_CLOEXEC, 0600));
	TCASE_ASSERT_OK(null = open("/dev/null", O_RDONLY | O_CLOEXEC));
	fflush(NULL);
	e->tlsod = fork();
	TCASE_ASSERT_OK(e->tlsod);
	if (e->tlsod == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
			_exit(126);
		const char *argv[] = { "tlsod", "-f", "-v", "-c", e->conf,
				       e->tlsod_opt[0], e->tlsod_opt[1],
				       e->tlsod_opt[2], NULL };

		tenv_child_fds(NULL, 0);
		if (!e->tlsod_as_root &&
		    (tenv_unit_creds() < 0 || tenv_unit_filter() < 0)) {
			fprintf(stderr, "tenv: becoming tlsod's user: %s\n",
				strerror(errno));
			_exit(125);
		}
		if (e->tlsod_env)
			execve(TENV_TLSOD, (char *const *)argv, e->tlsod_env);
		else
			execv(TENV_TLSOD, (char *const *)argv);
		_exit(127);
	}
	close(log);
	close(null);
	if (e->tlsod_no_wait)
		return;
	end = tenv_now() + 15;
	while (!tenv_file_has(e->log, " listening; using", from)) {
		pid_t r = waitpid(e->tlsod, &e->tlsod_status, WNOHANG);

		if (r == e->tlsod) {
			e->tlsod = 0;
			tenv_show_file("tlsod log", e->log);
			TCASE_ASSERT(!"tlsod exited while starting");
		}
		if (tenv_now() > end) {
			tenv_show_file("tlsod log", e->log);
			TCASE_ASSERT(!"tlsod did not start listening within 15 s");
		}
		tenv_msleep(20);
	}
	tenv_tlsod_ready(e);
}

void tenv_tlsod_ready(struct tenv *e)
{
	/* What it holds at rest: the later checks compare with this. */
	e->tlsod_fds = tenv_fd_count(e->tlsod);
}

int tenv_reap_tlsod(struct tenv *e, int ms)
{
	return tenv_waitpid(&e->tlsod, &e->tlsod_status, ms);
}

int tenv_stop_tlsod(struct tenv *e, int ms)
{
	if (e->tlsod <= 0)
		return e->tlsod_status;
	kill(e->tlsod, SIGTERM);
	return tenv_reap_tlsod(e, ms);
}

void tenv_show_outcomes(const struct tenv *e)
{
	char *buf = tenv_slurp(e->log, NULL), *line, *save = NULL;

	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "handshake fd"))
			tcase_log("tlsod: %s", strchr(line, ' ') ?
				  strchr(line, ' ') + 1 : line);
	free(buf);
}

/* The ULP name the loaded module answers to. */
static void tenv_ulp_name(struct tenv *e)
{
	char buf[64];
	size_t n;

	snprintf(e->ulp, sizeof(e->ulp), "%s", TLSO_ULP_NAME);
	if (kmod_read_file("/sys/module/tlso/parameters/ulp_name", buf,
			   sizeof(buf)))
		return;
	n = strcspn(buf, "\n");
	buf[n] = 0;
	if (n && n < sizeof(e->ulp))
		memcpy(e->ulp, buf, n + 1);
}

void tenv_setup(struct tenv *e, bool start)
{
	pid_t other;
	int i;

	for (i = 0; i < TENV_MAX_FDS; i++)
		e->fds[i] = -1;
	e->attached0 = -1;
	signal(SIGPIPE, SIG_IGN);
	if (!kmod_loaded("tlso"))
		TCASE_ASSERT(kmod_load(kmod_tlso_path(), NULL) == 0);
	tenv_ulp_name(e);
	other = tenv_other_tlsod();
	if (other > 0)
		tcase_skip("another tlsod (pid %d) is running in this network namespace",
			   (int)other);

	tenv_run_dir(e->run, sizeof(e->run));
	pki_once(e->run);
	snprintf(e->dir, sizeof(e->dir), "%s/case.%d", e->run, (int)getpid());
	TCASE_ASSERT_OK(mkdir(e->dir, 0700));
	/* tlsod's user goes through to its files, and lists nothing */
	TCASE_ASSERT_OK(chmod(e->dir, 0711));
	snprintf(e->conf, sizeof(e->conf), "%s/tlsod.conf", e->dir);
	snprintf(e->log, sizeof(e->log), "%s/tlsod.log", e->dir);
	tenv_write_conf(e, NULL);
	e->attached0 = kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED);
	if (start)
		tenv_start_tlsod(e);
}

void tenv_teardown(struct tenv *e)
{
	double end;
	long now;
	int i, st;

	for (i = 0; i < e->nfds; i++)
		if (e->fds[i] >= 0)
			close(e->fds[i]);
	e->nfds = 0;
	for (i = 0; i < e->nprocs; i++)
		tproc_kill(&e->procs[i]);
	for (i = 0; i < e->nkids; i++) {
		if (e->kids[i] > 0) {
			kill(e->kids[i], SIGKILL);
			waitpid(e->kids[i], NULL, 0);
		}
	}
	if (e->tlsod > 0) {
		char buf[64];

		TCASE_EXPECT(tenv_daemon_idle(e, 20000));
		st = tenv_stop_tlsod(e, 20000);
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			tcase_fail(__FILE__, __LINE__,
				   "tlsod ended with %s on SIGTERM, not exit 0",
				   tenv_status_str(st, buf, sizeof(buf)));
			kill(e->tlsod, SIGKILL);
			tenv_reap_tlsod(e, 5000);
		}
	}
	if (e->attached0 >= 0) {
		end = tenv_now() + 10;
		while ((now = kmod_tlso_stat(TLSO_STAT_CURR_ATTACHED)) >
		       e->attached0 && tenv_now() < end)
			tenv_msleep(50);
		if (now != e->attached0)
			tcase_fail(__FILE__, __LINE__,
				   "%s is %ld after the case, %ld before",
				   TLSO_STAT_CURR_ATTACHED, now, e->attached0);
	}
	if (tcase_failed()) {
		for (i = 0; i < e->nprocs; i++)
			tenv_show(&e->procs[i]);
		if (e->log[0])
			tenv_show_file("tlsod log", e->log);
	}
	if (e->dir[0] && !tcase_failed()) {
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
		if (system(cmd))
			tcase_log("could not remove %s", e->dir);
	}
}
