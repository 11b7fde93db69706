/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlso: what differs between the kernels tlso builds for (Debian's 6.1
 * and 6.12).  Linux 6.5 removed ->sendpage: splice and sendfile reach a
 * socket as sendmsg(MSG_SPLICE_PAGES), and TCP takes page references the
 * same way.  Linux 6.7 made struct file SLAB_TYPESAFE_BY_RCU and gave
 * taking a reference on a file that may be going its own helper.
 */
#ifndef _TLSO_COMPAT_H
#define _TLSO_COMPAT_H

#include <linux/fs.h>
#include <linux/version.h>
#include <net/genetlink.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
#define TLSO_HAVE_SENDPAGE 1
#else
#define TLSO_HAVE_SPLICE_PAGES 1
#endif

/*
 * What sock_splice_read() falls back to for a socket without splice_read
 * of its own: Linux 6.5 replaced generic_file_splice_read() there.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
#define tlso_copy_splice_read generic_file_splice_read
#else
#define tlso_copy_splice_read copy_splice_read
#endif

#ifndef MSG_SPLICE_PAGES
#define MSG_SPLICE_PAGES 0
#endif
#ifndef MSG_SENDPAGE_NOPOLICY
#define MSG_SENDPAGE_NOPOLICY 0
#endif
#ifndef MSG_SENDPAGE_NOTLAST
#define MSG_SENDPAGE_NOTLAST 0
#endif

/*
 * Joining the handshake group is what tells the module a daemon runs, so
 * it needs CAP_NET_ADMIN.  Generic netlink checks a group's
 * GENL_MCAST_CAP_NET_ADMIN from Linux 6.7 on, and Debian's 6.1 has it
 * backported (6.1.70); 6.1's struct genl_family has no bind callback a
 * module could check it in instead, so a kernel without the flag cannot
 * keep unprivileged users from posing as tlsod.
 */
#ifndef GENL_MCAST_CAP_NET_ADMIN
#error "tlso needs GENL_MCAST_CAP_NET_ADMIN (Linux 6.7, 6.1.70 and later)"
#endif

/*
 * A reference on *f, or NULL when its count has already dropped to zero
 * (its last fput() is under way).  The caller keeps the struct file
 * itself from being freed.
 */
static inline struct file *tlso_get_file_live(struct file **f)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	return get_file_active(f);
#else
	struct file *file = READ_ONCE(*f);

	return file && get_file_rcu(file) ? file : NULL;
#endif
}

#endif /* _TLSO_COMPAT_H */
