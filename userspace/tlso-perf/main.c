// SPDX-License-Identifier: GPL-2.0
/*
 * tlso-perf: TLS throughput and handshake rate, iperf3-style, in four
 * modes (plain TCP, tlso, the kernel's kTLS, GnuTLS in userspace) so that
 * tlso can be measured beside its references.  See tlso-perf(1).
 *
 * A test: the client opens a control connection and sends the
 * parameters; the server answers "ok"; the client opens the data
 * connections (each starts with the test's cookie and its stream index,
 * in the clear), both ends set up TLS on each, the server says "ready"
 * and the client "go" once every stream is set up on its side (so that
 * no record reaches a socket before its keys do, and all streams start
 * together), the data flows, and both ends swap their figures.
 */
#include <signal.h>

#include "perf.h"

struct perf_opts opt = { .port = DEFAULT_PORT, .interval = 1.0 };

const char *const prog = "tlso-perf";

int main(int argc, char **argv)
{
	struct perf_params p;

	signal(SIGPIPE, SIG_IGN);
	parse_cmdline(argc, argv, &p);
	return opt.server ? server_main() : client_main(&p);
}
