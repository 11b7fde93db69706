// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: loading it logs a kernel WARNING on purpose, so that
 * the test suite can prove scripts/vm-run fails a run whose guest kernel
 * log shows one.  Never load it outside that test.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init tlso_test_warn_init(void)
{
	WARN(1, "tlso_test_warn: deliberate warning for the log check\n");
	return 0;
}

static void __exit tlso_test_warn_exit(void)
{
}

module_init(tlso_test_warn_init);
module_exit(tlso_test_warn_exit);

MODULE_DESCRIPTION("tlso test: trigger one kernel warning at load");
MODULE_LICENSE("GPL");
