// SPDX-License-Identifier: GPL-2.0
/*
 * tlsod's privileges (privilege.h).  glibc wraps neither capget nor
 * capset, and libcap would be a dependency for two calls: the raw
 * syscalls, with the kernel's own <linux/capability.h>.
 */
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "log.h"
#include "privilege.h"

static int cap_get(struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	memset(d, 0, sizeof(*d) * _LINUX_CAPABILITY_U32S_3);
	return syscall(SYS_capget, &h, d);
}

static bool cap_effective(unsigned int cap)
{
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (cap_get(d))
		return false;
	return d[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap);
}

/*
 * Permitted and effective: cap alone; inheritable: nothing.  Under the
 * unit the sets are already cap alone (inheritable too, which ambient
 * needs) and its system call filter refuses capset with EPERM: what is
 * left then is cap in the inheritable set, which no_new_privs keeps
 * from ever mattering, and the ambient set goes by prctl below.
 */
static int cap_keep_only(unsigned int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	bool exact = true;
	unsigned int i;

	if (cap_get(d))
		return -1;
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		__u32 want = i == CAP_TO_INDEX(cap) ? CAP_TO_MASK(cap) : 0;

		if (d[i].permitted != want || d[i].effective != want ||
		    (d[i].inheritable & ~want))
			exact = false;
	}
	memset(d, 0, sizeof(d));
	d[CAP_TO_INDEX(cap)].permitted = CAP_TO_MASK(cap);
	d[CAP_TO_INDEX(cap)].effective = CAP_TO_MASK(cap);
	if (syscall(SYS_capset, &h, d) == 0)
		return 0;
	return exact && errno == EPERM ? 0 : -1;
}

/*
 * Every capability but keep out of the bounding set, so that not even
 * an exec could bring one back.  PR_CAPBSET_READ fails past the last
 * capability the kernel knows.
 */
static int bounding_keep_only(unsigned int keep)
{
	unsigned int c;

	for (c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++) {
		if (c == keep)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return -1;
	}
	return 0;
}

int tlsod_priv_check(void)
{
	if (cap_effective(CAP_NET_ADMIN))
		return 0;
	log_err("tlsod needs CAP_NET_ADMIN, which the kernel asks of the daemon: start it as root, or as its user with the capability (systemd: AmbientCapabilities=CAP_NET_ADMIN)");
	return -1;
}

/* Root: the user's ids, the capabilities kept across the change. */
static int become(const struct tlsod_config *cfg)
{
	gid_t gid = cfg->gid;

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
		log_err("PR_SET_KEEPCAPS: %s", strerror(errno));
		return -1;
	}
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(cfg->uid, cfg->uid, cfg->uid) < 0) {
		log_err("becoming uid %u gid %u: %s", (unsigned int)cfg->uid,
			(unsigned int)gid, strerror(errno));
		return -1;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return 0;
}

int tlsod_priv_drop(const struct tlsod_config *cfg)
{
	bool root = getuid() == 0 || geteuid() == 0;

	if (root) {
		if (bounding_keep_only(CAP_NET_ADMIN) < 0) {
			log_err("dropping the bounding set's capabilities: %s",
				strerror(errno));
			return -1;
		}
		if (cfg->has_user && cfg->uid != 0) {
			if (become(cfg))
				return -1;
		} else {
			log_warn("no user '%s' on this system and no user = in the configuration: tlsod stays uid 0, with CAP_NET_ADMIN alone",
				 TLSOD_USER_DEFAULT);
		}
	} else if (cfg->user && cfg->uid != geteuid()) {
		log_notice("user = %s left aside: tlsod was started as uid %u, not as root",
			   cfg->user, (unsigned int)geteuid());
	}
	if (cap_keep_only(CAP_NET_ADMIN) < 0) {
		log_err("keeping CAP_NET_ADMIN alone: %s", strerror(errno));
		return -1;
	}
	/* Gone with the inheritable set already; older kernels lack it. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL) {
		log_err("clearing ambient capabilities: %s", strerror(errno));
		return -1;
	}
	if (!cap_effective(CAP_NET_ADMIN)) {
		log_err("CAP_NET_ADMIN was lost in changing user");
		return -1;
	}
	log_info("running as uid %u gid %u with CAP_NET_ADMIN alone",
		 (unsigned int)geteuid(), (unsigned int)getegid());
	return 0;
}
