# SPDX-License-Identifier: GPL-2.0
#
# bench-steps.awk: the step lines of a tlsod -v log (tlsod(8), "where a
# handshake's time goes") as one JSON array, for scripts/bench-guest.
#
# usage: awk -f scripts/bench-steps.awk TLSOD_LOG
#
# Each element is [role, kind, total, queued, ACCEPT, set-up, handshake,
# signing, keys, DONE], the times in microseconds.  A worker logs its
# handshake's outcome just before its step line; the kind (full,
# resumed) is read from that outcome.  A step line after a failed
# handshake, or with no outcome before it, is left out: its figures are
# not those of a whole handshake.

# "tlsod[123]:" -> "123"
function pid(s) {
	sub(/^[^[]*\[/, "", s)
	sub(/\].*/, "", s)
	return s
}

BEGIN { printf "[" }

/: ok, / {
	kind[pid($1)] = /, resumed,/ ? "resumed" : "full"
	next
}

/: failed: / {
	kind[pid($1)] = ""
	next
}

/ role [a-z]+ took [0-9]+ us: / {
	k = kind[pid($1)]
	kind[pid($1)] = ""
	if (k == "")
		next
	line = $0
	gsub(/[,():]/, " ", line)
	n = split(line, f, " ")
	for (name in v)
		delete v[name]
	for (i = 1; i < n; i++) {
		if (f[i] == "role" || f[i] == "took" || f[i] == "queued" ||
		    f[i] == "ACCEPT" || f[i] == "set-up" ||
		    f[i] == "handshake" || f[i] == "signing" ||
		    f[i] == "keys" || f[i] == "DONE")
			v[f[i]] = f[i + 1]
	}
	printf "%s[\"%s\", \"%s\", %d, %d, %d, %d, %d, %d, %d, %d]", sep,
		v["role"], k, v["took"], v["queued"], v["ACCEPT"],
		v["set-up"], v["handshake"], v["signing"], v["keys"],
		v["DONE"]
	sep = ", "
}

END { print "]" }
