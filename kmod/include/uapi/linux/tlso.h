/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tlso: TLS offload for Linux -- the kernel interface.
 *
 * This header is the one specification of what the tlso module offers to
 * userspace.  Everything that is not defined here is the kernel's own kTLS
 * interface from <linux/tls.h>, which tlso serves unchanged once the "tlso"
 * TCP upper-layer protocol is attached to a socket:
 *
 *	setsockopt(fd, SOL_TCP, TCP_ULP, TLSO_ULP_NAME, sizeof(TLSO_ULP_NAME));
 *
 * After that, socket-option level SOL_TLS (282) answers the option numbers
 * of <linux/tls.h> (TLS_TX, TLS_RX, TLS_TX_ZEROCOPY_RO,
 * TLS_RX_EXPECT_NO_PAD) with the same structs and errno conventions, so a
 * program written for kTLS runs on tlso by changing only the ULP name (or
 * none at all, when the module is loaded with ulp_name=tls).
 *
 * Attaching follows kTLS:
 *	ENOTCONN	the socket is not an established TCP connection
 *	EEXIST		an upper-layer protocol is already attached
 *	ENOENT		no ULP of that name is registered (module not loaded)
 *
 * Before keys are installed, SOL_TLS options behave as kTLS's do:
 * getsockopt(TLS_TX/TLS_RX) fails with EBUSY, a short optlen with EINVAL,
 * TLS_RX_EXPECT_NO_PAD with EINVAL, an unknown option with ENOPROTOOPT.
 *
 * Per-namespace counters are in /proc/net/tlso_stat, one "Name value" pair
 * per line; the names are listed below so that tools can rely on them.
 */
#ifndef _UAPI_LINUX_TLSO_H
#define _UAPI_LINUX_TLSO_H

#include <linux/types.h>
#include <linux/tls.h>

/* The default TCP ULP name; the module parameter ulp_name overrides it. */
#define TLSO_ULP_NAME		"tlso"

/*
 * tlso-specific options at level SOL_TLS are numbered from here upward, so
 * that they never collide with upstream kTLS options (1, 2, 3, ...).
 */
#define TLSO_SOL_TLS_BASE	100

/* Lines of /proc/net/tlso_stat, in the order the file prints them. */
#define TLSO_STAT_CURR_ATTACHED	"TlsoCurrAttached"	/* sockets now */
#define TLSO_STAT_ATTACHED	"TlsoAttached"		/* total ever */
#define TLSO_STAT_CURR_TX	"TlsoCurrTx"	/* sockets with send keys */
#define TLSO_STAT_CURR_RX	"TlsoCurrRx"	/* sockets with receive keys */
#define TLSO_STAT_TX		"TlsoTx"	/* send keys ever installed */
#define TLSO_STAT_RX		"TlsoRx"	/* receive keys ever installed */
#define TLSO_STAT_TX_RECORDS	"TlsoTxRecords"	/* records encrypted */
#define TLSO_STAT_RX_RECORDS	"TlsoRxRecords"	/* records decrypted */
#define TLSO_STAT_TX_BYTES	"TlsoTxBytes"	/* their content bytes */
#define TLSO_STAT_RX_BYTES	"TlsoRxBytes"
#define TLSO_STAT_DECRYPT_ERROR	"TlsoDecryptError"	/* failed auth */
#define TLSO_STAT_TX_REKEY_OK	"TlsoTxRekeyOk"	/* TLS 1.3 key updates */
#define TLSO_STAT_TX_REKEY_ERROR "TlsoTxRekeyError"
#define TLSO_STAT_RX_REKEY_OK	"TlsoRxRekeyOk"
#define TLSO_STAT_RX_REKEY_ERROR "TlsoRxRekeyError"
#define TLSO_STAT_RX_REKEY_RECEIVED "TlsoRxRekeyReceived" /* peer KeyUpdates */

#endif /* _UAPI_LINUX_TLSO_H */
