/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlso: what differs between the kernels tlso builds for (Debian's 6.1
 * and 6.12).  Linux 6.5 removed ->sendpage: splice and sendfile reach a
 * socket as sendmsg(MSG_SPLICE_PAGES), and TCP takes page references the
 * same way.  Everything else is common to both.
 */
#ifndef _TLSO_COMPAT_H
#define _TLSO_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
#define TLSO_HAVE_SENDPAGE 1
#else
#define TLSO_HAVE_SPLICE_PAGES 1
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

#endif /* _TLSO_COMPAT_H */
