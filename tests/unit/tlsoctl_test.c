// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of userspace/tlsoctl/json.c: strings the kernel hands
 * tlsoctl (a command name, a peer's identity: the peer chose it) printed
 * as JSON that any parser takes and as text that cannot drive a terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tlsoctl.h"

const char progname[] = "tlsoctl_test";

static char *as(void (*print)(FILE *, const char *), const char *s)
{
	static char out[1024];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	print(f, s);
	fclose(f);
	snprintf(out, sizeof(out), "%s", buf);
	free(buf);
	return out;
}

TEST(json_quotes_and_escapes)
{
	EXPECT_STREQ(as(json_str, "plain"), "\"plain\"");
	EXPECT_STREQ(as(json_str, "a\"b\\c"), "\"a\\\"b\\\\c\"");
	EXPECT_STREQ(as(json_str, "tab\there\nand\x1b[2J"),
		     "\"tab\\u0009here\\u000aand\\u001b[2J\"");
	EXPECT_STREQ(as(json_str, "del\x7f"), "\"del\\u007f\"");
	EXPECT_STREQ(as(json_str, ""), "\"\"");
}

TEST(json_keeps_utf8_and_replaces_what_is_not)
{
	/* é, €, 😀 as they are */
	EXPECT_STREQ(as(json_str, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
		     "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* a lone continuation byte, a cut sequence, an overlong '/' */
	EXPECT_STREQ(as(json_str, "a\x80z"), "\"a\\ufffdz\"");
	EXPECT_STREQ(as(json_str, "a\xe2\x82"), "\"a\\ufffd\\ufffd\"");
	EXPECT_STREQ(as(json_str, "\xc0\xaf"), "\"\\ufffd\\ufffd\"");
	/* a UTF-16 surrogate, and past U+10FFFF */
	EXPECT_STREQ(as(json_str, "\xed\xa0\x80"),
		     "\"\\ufffd\\ufffd\\ufffd\"");
	EXPECT_STREQ(as(json_str, "\xf4\x90\x80\x80"),
		     "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

TEST(text_escapes_control_bytes_and_bad_utf8)
{
	EXPECT_STREQ(as(text_str, "CN=ok, O=caf\xc3\xa9"),
		     "CN=ok, O=caf\xc3\xa9");
	EXPECT_STREQ(as(text_str, "x\x1b]0;owned\x07y"),
		     "x\\x1b]0;owned\\x07y");
	EXPECT_STREQ(as(text_str, "line\nbreak"), "line\\x0abreak");
	EXPECT_STREQ(as(text_str, "a\xff\\b"), "a\\xff\\x5cb");
}

TEST_HARNESS_MAIN
