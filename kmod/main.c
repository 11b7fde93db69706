// SPDX-License-Identifier: GPL-2.0
/*
 * tlso: TLS offload for Linux.
 *
 * Module entry points.  The record layer hangs off a TCP upper-layer
 * protocol (ULP); a userspace daemon performs handshakes and hands the
 * session keys to the module through the kTLS socket options.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <net/tcp.h>

#include "tlso.h"
#include <uapi/linux/tlso.h>

static char *ulp_name = TLSO_ULP_NAME;
module_param(ulp_name, charp, 0444);
MODULE_PARM_DESC(ulp_name,
		 "TCP ULP name to answer to (default \"" TLSO_ULP_NAME
		 "\"; \"tls\" to stand in for the in-tree kTLS module)");

static int __init tlso_init(void)
{
	int err;

	if (!ulp_name || !ulp_name[0] ||
	    strlen(ulp_name) >= TCP_ULP_NAME_MAX) {
		pr_err("ulp_name must be 1 to %d characters\n",
		       TCP_ULP_NAME_MAX - 1);
		return -EINVAL;
	}

	err = tlso_stat_init();
	if (err)
		return err;

	err = tlso_diag_init();
	if (err)
		goto err_stat;

	err = tlso_hs_init();
	if (err)
		goto err_diag;

	err = tlso_genl_init();
	if (err)
		goto err_hs;

	err = tlso_ulp_register(ulp_name);
	if (err)
		goto err_genl;

	pr_info("loaded, TCP ULP \"%s\"\n", ulp_name);
	return 0;

err_genl:
	tlso_genl_exit();
err_hs:
	tlso_hs_exit();
err_diag:
	tlso_diag_exit();
err_stat:
	tlso_stat_exit();
	return err;
}

static void __exit tlso_exit(void)
{
	tlso_ulp_unregister();
	tlso_genl_exit();
	tlso_hs_exit();
	tlso_diag_exit();
	tlso_stat_exit();
	pr_info("unloaded\n");
}

module_init(tlso_init);
module_exit(tlso_exit);

MODULE_DESCRIPTION("tlso: TLS record layer offload with a userspace handshake daemon");
MODULE_LICENSE("GPL");
MODULE_ALIAS_TCP_ULP(TLSO_ULP_NAME);
