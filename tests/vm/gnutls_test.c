// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: tlso against a real TLS stack, GnuTLS.  Two userspace ends
 * of a loopback TCP connection complete a GnuTLS handshake; one hands its
 * keys and sequence numbers to tlso and goes on with plain send/recv, the
 * other stays GnuTLS (a child process, gnutls_peer.h).  Whatever tlso puts
 * on the wire GnuTLS must accept, and the other way round, for every
 * version and cipher, with tlso as the client ("_client" variants) and as
 * the server ("_server").
 *
 * TLS 1.3 rekeying runs against GnuTLS's own key update: tlso derives the
 * next keys from the traffic secrets the handshake produced, installs them
 * by setting TLS_TX/TLS_RX again, and must agree with GnuTLS byte for byte
 * in both directions, including records already in flight when a key
 * changes.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/time.h>
#include <linux/tls.h>

#include "harness.h"
#include "kmod.h"
#include "ktls_keys.h"
#include "net.h"
#include "sock.h"
#include "wire.h"
#include "gnutls_peer.h"

#include <linux/tlso.h>

/* How long a peer command may take; 1 MB of emulated AES is seconds. */
#define PEER_MS		30000

struct gt_params {
	uint16_t version, cipher;
	bool server;		/* tlso is the server end */
	int family;
};

/* One connection: tlso on fd, GnuTLS in the peer process. */
struct gt_conn {
	int fd;
	bool server;
	struct gp_suite su;
	struct gp_peer peer;
	union keys_info tx, rx;		/* as installed now */
	struct gp_secrets sec;		/* TLS 1.3: current traffic secrets */
};

static void set_timeo(int fd, int opt, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	ASSERT_OK(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)));
}

static void gt_open(struct gt_conn *c, const struct gt_params *p)
{
	struct gp_session g;
	union keys_info k;
	char what[256];
	int cli, srv, ret;

	c->fd = -1;
	c->peer.pid = -1;
	c->peer.ctl = -1;
	c->server = p->server;
	c->su.version = p->version;
	c->su.cipher = p->cipher;
	if (!kmod_loaded("tlso"))
		ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);

	ASSERT_OK(sock_pair(p->family, &cli, &srv));
	c->fd = p->server ? srv : cli;
	ASSERT_OK(gp_peer_start(&c->peer, p->server ? cli : srv, !p->server,
				&c->su));

	ret = gp_session_new(&g, p->server, c->fd, &c->su);
	if (ret)
		TH_LOG("session: %s", gnutls_strerror(ret));
	ASSERT_EQ(ret, 0);
	gp_secrets_track(&g, &c->sec);
	ret = gp_handshake(&g, &c->su);
	if (ret)
		TH_LOG("handshake: %s", gnutls_strerror(ret));
	ASSERT_EQ(ret, 0);
	ret = gp_wait(&c->peer, PEER_MS, what, sizeof(what));
	if (ret)
		TH_LOG("peer: %s", what);
	ASSERT_EQ(ret, 0);

	/* Whatever GnuTLS read past the handshake would be lost to tlso. */
	ASSERT_EQ(gnutls_record_check_pending(g.s), 0);
	ASSERT_EQ(gp_export(g.s, false, &c->su, &c->tx), 0);
	ASSERT_EQ(gp_export(g.s, true, &c->su, &c->rx), 0);
	if (p->version == TLS_1_3_VERSION) {
		/* The secrets the rekey tests start from must give exactly
		 * the keys GnuTLS uses, or every later generation is off. */
		ASSERT_GT(c->sec.client_len, 0);
		ASSERT_EQ(c->sec.server_len, c->sec.client_len);
		ASSERT_EQ(gp_keys_from_secret(p->cipher, p->server ?
					      c->sec.server : c->sec.client,
					      c->sec.client_len, &k), 0);
		ASSERT_MEMEQ(&k, &c->tx, sizeof(k));
		ASSERT_EQ(gp_keys_from_secret(p->cipher, p->server ?
					      c->sec.client : c->sec.server,
					      c->sec.client_len, &k), 0);
		ASSERT_MEMEQ(&k, &c->rx, sizeof(k));
	}
	/* Sends nothing: the session only ends on this side. */
	gp_session_free(&g);

	ASSERT_OK(sock_attach(c->fd, "tlso"));
	ASSERT_OK(keys_install(c->fd, TLS_TX, &c->tx));
	ASSERT_OK(keys_install(c->fd, TLS_RX, &c->rx));
	/* A hang becomes a failure that says where. */
	set_timeo(c->fd, SO_RCVTIMEO, 15000);
	set_timeo(c->fd, SO_SNDTIMEO, 15000);
}

static void gt_close(struct gt_conn *c)
{
	int status;

	/* First the TLS stream, so that a peer stuck in it gives up... */
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->peer.pid <= 0)
		return;
	/* ...then the control socket, which ends an idle peer cleanly. */
	status = gp_peer_finish(&c->peer);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
}

static void peer_start(struct gt_conn *c, const struct gp_cmd *cmd)
{
	ASSERT_OK(gp_start(&c->peer, cmd));
}

/* The oldest running peer command must have succeeded. */
static void peer_ok(struct gt_conn *c)
{
	char what[256];
	int ret = gp_wait(&c->peer, PEER_MS, what, sizeof(what));

	if (ret)
		TH_LOG("peer: %s", what);
	ASSERT_EQ(ret, 0);
}

static void peer_do(struct gt_conn *c, const struct gp_cmd *cmd)
{
	peer_start(c, cmd);
	peer_ok(c);
}

/* Bytes [off, off + len) of pattern seed, in writes of at most 64 KiB. */
static int tx_pattern(int fd, size_t off, size_t len, unsigned int seed)
{
	unsigned char buf[65536];

	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		gp_fill(buf, n, off, seed);
		if (tlso_write_all(fd, buf, n))
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

/*
 * Exactly bytes [off, off + len) of pattern seed, never asking for more,
 * so that whatever follows (a KeyUpdate, say) stays unread.
 */
static int rx_pattern(int fd, size_t off, size_t len, unsigned int seed)
{
	unsigned char buf[65536];
	size_t end = off + len, i;

	while (off < end) {
		size_t want = end - off < sizeof(buf) ? end - off : sizeof(buf);
		ssize_t n = recv(fd, buf, want, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			TH_LOG("recv at byte %zu of %zu: %zd (%s)", off, end, n,
			       n ? strerror(errno) : "end of stream");
			return -1;
		}
		for (i = 0; i < (size_t)n; i++) {
			if (buf[i] == sock_pattern(off + i, seed))
				continue;
			TH_LOG("byte %zu is 0x%02x, not 0x%02x", off + i,
			       buf[i], sock_pattern(off + i, seed));
			return -1;
		}
		off += n;
	}
	return 0;
}

static long stat_of(const char *name)
{
	long v = kmod_tlso_stat(name);

	ASSERT_GE(v, 0);
	return v;
}

/* ---- every version and cipher, both roles ---- */

FIXTURE(gt) {
	struct gt_conn c;
};

FIXTURE_VARIANT(gt) {
	struct gt_params p;
};

#define GT(name, v, c, srv, fam)					\
	FIXTURE_VARIANT_ADD(gt, name) { { v, c, srv, fam } }

GT(tls12_aes_gcm_128_client, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, false, AF_INET);
GT(tls12_aes_gcm_128_server, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, true, AF_INET);
GT(tls12_aes_gcm_256_client, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_256, false, AF_INET);
GT(tls12_aes_gcm_256_server, TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_256, true, AF_INET);
GT(tls12_chacha20_poly1305_client, TLS_1_2_VERSION, TLS_CIPHER_CHACHA20_POLY1305, false, AF_INET);
GT(tls12_chacha20_poly1305_server, TLS_1_2_VERSION, TLS_CIPHER_CHACHA20_POLY1305, true, AF_INET);
GT(tls12_aes_ccm_128_client, TLS_1_2_VERSION, TLS_CIPHER_AES_CCM_128, false, AF_INET);
GT(tls12_aes_ccm_128_server, TLS_1_2_VERSION, TLS_CIPHER_AES_CCM_128, true, AF_INET);
GT(tls13_aes_gcm_128_client, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, false, AF_INET);
GT(tls13_aes_gcm_128_server, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, true, AF_INET);
GT(tls13_aes_gcm_256_client, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256, false, AF_INET);
GT(tls13_aes_gcm_256_server, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_256, true, AF_INET);
GT(tls13_chacha20_poly1305_client, TLS_1_3_VERSION, TLS_CIPHER_CHACHA20_POLY1305, false, AF_INET);
GT(tls13_chacha20_poly1305_server, TLS_1_3_VERSION, TLS_CIPHER_CHACHA20_POLY1305, true, AF_INET);
GT(tls13_aes_ccm_128_client, TLS_1_3_VERSION, TLS_CIPHER_AES_CCM_128, false, AF_INET);
GT(tls13_aes_ccm_128_server, TLS_1_3_VERSION, TLS_CIPHER_AES_CCM_128, true, AF_INET);
GT(tls13_aes_gcm_128_server_v6, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128, true, AF_INET6);

FIXTURE_SETUP(gt)
{
	gt_open(&self->c, &variant->p);
}

FIXTURE_TEARDOWN(gt)
{
	gt_close(&self->c);
}

/* Around a record's 2^14 limit, and enough for many records. */
static const size_t sizes[] = { 0, 1, 16383, 16384, 16385, (1 << 20) + 7 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

TEST_F_TIMEOUT(gt, sizes_to_peer, 90)
{
	struct gt_conn *c = &self->c;
	size_t i;

	for (i = 0; i < NSIZES; i++) {
		peer_start(c, &(struct gp_cmd){ .op = GP_RECV,
				.len = sizes[i], .seed = i + 1 });
		if (!sizes[i]) {
			long recs = stat_of(TLSO_STAT_TX_RECORDS);

			/* Nothing to send makes no record. */
			ASSERT_EQ(send(c->fd, "", 0, 0), 0);
			EXPECT_EQ(stat_of(TLSO_STAT_TX_RECORDS) - recs, 0);
		} else {
			ASSERT_OK(tx_pattern(c->fd, 0, sizes[i], i + 1));
		}
		peer_ok(c);
	}
	/* The stream is still in step after all of them. */
	peer_start(c, &(struct gp_cmd){ .op = GP_RECV, .len = 5, .seed = 99 });
	ASSERT_OK(tx_pattern(c->fd, 0, 5, 99));
	peer_ok(c);
}

TEST_F_TIMEOUT(gt, sizes_from_peer, 90)
{
	struct gt_conn *c = &self->c;
	bool tls13 = c->su.version == TLS_1_3_VERSION;
	char byte;
	size_t i;

	for (i = 0; i < NSIZES; i++) {
		long recs = stat_of(TLSO_STAT_RX_RECORDS);

		/* Nothing is a record of padding only in TLS 1.3; in 1.2
		 * GnuTLS has no way to send it, so it sends nothing. */
		peer_do(c, &(struct gp_cmd){ .op = GP_SEND, .len = sizes[i],
				.seed = i + 1, .chunk = 65536,
				.pad = !sizes[i] && tls13 ? 16 : 0 });
		if (sizes[i]) {
			ASSERT_OK(rx_pattern(c->fd, 0, sizes[i], i + 1));
			continue;
		}
		/* Neither something to read nor the end of the stream. */
		usleep(100 * 1000);
		EXPECT_ERRNO(recv(c->fd, &byte, 1, MSG_DONTWAIT), EAGAIN);
		EXPECT_EQ(stat_of(TLSO_STAT_RX_RECORDS) - recs, tls13 ? 1 : 0);
	}
	peer_do(c, &(struct gp_cmd){ .op = GP_SEND, .len = 5, .seed = 99 });
	ASSERT_OK(rx_pattern(c->fd, 0, 5, 99));
	EXPECT_ERRNO(recv(c->fd, &byte, 1, MSG_DONTWAIT), EAGAIN);
}

struct writer {
	pthread_t th;
	int fd;
	size_t len;
	unsigned int seed;
	int (*run)(struct writer *w);
	int ret;
	volatile int done;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	w->ret = w->run(w);
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int writer_plain(struct writer *w)
{
	return tx_pattern(w->fd, 0, w->len, w->seed);
}

/* Both directions at once: GnuTLS echoes what tlso sends while tlso is
 * still sending. */
TEST_F_TIMEOUT(gt, echo_both_ways_at_once, 60)
{
	struct gt_conn *c = &self->c;
	struct writer w = { .fd = c->fd, .len = 256 * 1024, .seed = 7,
			    .run = writer_plain };

	peer_start(c, &(struct gp_cmd){ .op = GP_ECHO, .len = w.len });
	ASSERT_EQ(pthread_create(&w.th, NULL, writer_main, &w), 0);
	EXPECT_OK(rx_pattern(c->fd, 0, w.len, w.seed));
	pthread_join(w.th, NULL);
	EXPECT_EQ(w.ret, 0);
	peer_ok(c);
}

/*
 * Setting a direction's keys again: TLS 1.2 has no key update, so it is
 * EBUSY whatever the struct says; in TLS 1.3 it is a key update, which
 * must keep the version and the cipher (EINVAL).  Either way the keys in
 * use stay, and the stream goes on.
 */
TEST_F(gt, second_key_errors)
{
	struct gt_conn *c = &self->c;
	uint16_t other = c->su.cipher == TLS_CIPHER_AES_GCM_256 ?
			 TLS_CIPHER_AES_GCM_128 : TLS_CIPHER_AES_GCM_256;
	int dirs[2] = { TLS_TX, TLS_RX };
	long txerr, rxerr;
	union keys_info k;
	int d;

	txerr = stat_of(TLSO_STAT_TX_REKEY_ERROR);
	rxerr = stat_of(TLSO_STAT_RX_REKEY_ERROR);
	for (d = 0; d < 2; d++) {
		const union keys_info *cur = dirs[d] == TLS_TX ? &c->tx :
							  &c->rx;

		if (c->su.version == TLS_1_2_VERSION) {
			EXPECT_ERRNO(keys_install(c->fd, dirs[d], cur), EBUSY);
			keys_make(&k, TLS_1_3_VERSION, c->su.cipher, 1, 0);
			EXPECT_ERRNO(keys_install(c->fd, dirs[d], &k), EBUSY);
			keys_make(&k, TLS_1_2_VERSION, other, 1, 0);
			EXPECT_ERRNO(keys_install(c->fd, dirs[d], &k), EBUSY);
			continue;
		}
		keys_make(&k, TLS_1_3_VERSION, other, 1, 0);
		EXPECT_ERRNO(keys_install(c->fd, dirs[d], &k), EINVAL);
		k = *cur;
		k.info.version = TLS_1_2_VERSION;
		EXPECT_ERRNO(keys_install(c->fd, dirs[d], &k), EINVAL);
	}
	if (c->su.version == TLS_1_3_VERSION) {
		/* Failed key updates, as kTLS counts them. */
		EXPECT_EQ(stat_of(TLSO_STAT_TX_REKEY_ERROR) - txerr, 2);
		EXPECT_EQ(stat_of(TLSO_STAT_RX_REKEY_ERROR) - rxerr, 2);
	}

	peer_start(c, &(struct gp_cmd){ .op = GP_RECV, .len = 3000,
			.seed = 1 });
	ASSERT_OK(tx_pattern(c->fd, 0, 3000, 1));
	peer_ok(c);
	peer_do(c, &(struct gp_cmd){ .op = GP_SEND, .len = 3000, .seed = 2 });
	ASSERT_OK(rx_pattern(c->fd, 0, 3000, 2));
}

/* ---- TLSO_INFO against GnuTLS's own record count ---- */

FIXTURE(info) {
	struct gt_conn c;
};

FIXTURE_VARIANT(info) {
	struct gt_params p;
};

FIXTURE_VARIANT_ADD(info, tls12_aes_gcm_128_client) {
	{ TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_128, false, AF_INET }
};
FIXTURE_VARIANT_ADD(info, tls13_chacha20_poly1305_server) {
	{ TLS_1_3_VERSION, TLS_CIPHER_CHACHA20_POLY1305, true, AF_INET }
};

FIXTURE_SETUP(info)
{
	gt_open(&self->c, &variant->p);
}

FIXTURE_TEARDOWN(info)
{
	gt_close(&self->c);
}

/* Writes of sizes that make a known number of records, which GnuTLS's
 * read sequence number must have advanced by. */
TEST_F(info, tx_records_are_what_gnutls_read)
{
	static const size_t writes[] = { 1, 16383, 16384, 16385, 40000, 100 };
	struct gt_conn *c = &self->c;
	uint64_t seq = c->peer.read_seq;
	struct tlso_info info;
	size_t i, total = 0;

	for (i = 0; i < sizeof(writes) / sizeof(writes[0]); i++)
		total += writes[i];
	peer_start(c, &(struct gp_cmd){ .op = GP_RECV, .len = total,
			.seed = 1 });
	for (i = 0, total = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		ASSERT_OK(tx_pattern(c->fd, total, writes[i], 1));
		total += writes[i];
	}
	peer_ok(c);
	ASSERT_OK(sock_tlso_info(c->fd, &info));
	EXPECT_EQ(info.tx_records, 1 + 1 + 1 + 2 + 3 + 1);
	EXPECT_EQ(info.tx_records, c->peer.read_seq - seq);
	EXPECT_EQ(info.tx_bytes, total);
	EXPECT_EQ(info.rx_records, 0);
	EXPECT_EQ(info.rx_bytes, 0);
}

/* GnuTLS's records, TLS 1.3's record of padding alone among them:
 * counted once a read has reached them, as many as GnuTLS sent. */
TEST_F(info, rx_records_are_what_gnutls_sent)
{
	struct gt_conn *c = &self->c;
	bool tls13 = c->su.version == TLS_1_3_VERSION;
	uint64_t seq = c->peer.write_seq;
	struct tlso_info info;
	char byte;

	if (tls13)
		peer_do(c, &(struct gp_cmd){ .op = GP_SEND, .pad = 16 });
	peer_do(c, &(struct gp_cmd){ .op = GP_SEND, .len = 50000, .seed = 2,
			.chunk = 10000 });
	EXPECT_EQ(c->peer.write_seq - seq, tls13 ? 6 : 5);
	usleep(100 * 1000);
	ASSERT_OK(sock_tlso_info(c->fd, &info));
	EXPECT_EQ(info.rx_records, 0);

	ASSERT_OK(rx_pattern(c->fd, 0, 50000, 2));
	EXPECT_ERRNO(recv(c->fd, &byte, 1, MSG_DONTWAIT), EAGAIN);
	ASSERT_OK(sock_tlso_info(c->fd, &info));
	EXPECT_EQ(info.rx_records, c->peer.write_seq - seq);
	EXPECT_EQ(info.rx_bytes, 50000);
	EXPECT_EQ(info.tx_records, 0);
	EXPECT_EQ(info.tx_bytes, 0);
}

/* ---- TLS 1.3 only: padding, key updates; every cipher, both roles ---- */

FIXTURE(tls13) {
	struct gt_conn c;
};

FIXTURE_VARIANT(tls13) {
	struct gt_params p;
};

#define TLS13(name, c, srv)						\
	FIXTURE_VARIANT_ADD(tls13, name) {				\
		{ TLS_1_3_VERSION, c, srv, AF_INET }			\
	}

TLS13(aes_gcm_128_client, TLS_CIPHER_AES_GCM_128, false);
TLS13(aes_gcm_128_server, TLS_CIPHER_AES_GCM_128, true);
TLS13(aes_gcm_256_client, TLS_CIPHER_AES_GCM_256, false);
TLS13(aes_gcm_256_server, TLS_CIPHER_AES_GCM_256, true);
TLS13(chacha20_poly1305_client, TLS_CIPHER_CHACHA20_POLY1305, false);
TLS13(chacha20_poly1305_server, TLS_CIPHER_CHACHA20_POLY1305, true);
TLS13(aes_ccm_128_client, TLS_CIPHER_AES_CCM_128, false);
TLS13(aes_ccm_128_server, TLS_CIPHER_AES_CCM_128, true);

FIXTURE_SETUP(tls13)
{
	gt_open(&self->c, &variant->p);
}

FIXTURE_TEARDOWN(tls13)
{
	gt_close(&self->c);
}

/*
 * TLS 1.3 records with padding after the content type: tlso must strip
 * it and give back only the content: a record of padding alone, a byte
 * in 15000 bytes of padding, and a record at the 2^14 + 1 limit of
 * content, type and padding together.
 */
TEST_F(tls13, padded_records_from_peer)
{
	struct gt_conn *c = &self->c;
	long recs = stat_of(TLSO_STAT_RX_RECORDS);
	char byte;

	peer_do(c, &(struct gp_cmd){ .op = GP_SEND, .len = 5000, .seed = 1,
			.chunk = 1000, .pad = 500 });
	peer_do(c, &(struct gp_cmd){ .op = GP_SEND, .len = 0, .pad = 16 });
	peer_do(c, &(struct gp_cmd){ .op = GP_SEND, .len = 1, .seed = 2,
			.pad = 15000 });
	/* GnuTLS pads by exactly pad bytes, even past the limit. */
	peer_do(c, &(struct gp_cmd){ .op = GP_SEND, .len = 16383, .seed = 3,
			.pad = 1 });
	ASSERT_OK(rx_pattern(c->fd, 0, 5000, 1));
	ASSERT_OK(rx_pattern(c->fd, 0, 1, 2));
	ASSERT_OK(rx_pattern(c->fd, 0, 16383, 3));
	EXPECT_ERRNO(recv(c->fd, &byte, 1, MSG_DONTWAIT), EAGAIN);
	EXPECT_EQ(stat_of(TLSO_STAT_RX_RECORDS) - recs, 5 + 1 + 1 + 1);
}

static unsigned char *tx_secret(struct gt_conn *c)
{
	return c->server ? c->sec.server : c->sec.client;
}

static unsigned char *rx_secret(struct gt_conn *c)
{
	return c->server ? c->sec.client : c->sec.server;
}

/* The next record must be the peer's KeyUpdate: its request_update. */
static int read_key_update(struct gt_conn *c)
{
	uint8_t buf[64], type;
	ssize_t n;

	n = wire_recv_type(c->fd, buf, sizeof(buf), &type, 0);
	if (n < 0)
		TH_LOG("recvmsg: %s", strerror(errno));
	ASSERT_EQ(n, 5);
	ASSERT_EQ(type, 22);
	ASSERT_MEMEQ(buf, "\x18\x00\x00\x01", 4);
	return buf[4];
}

static void expect_splice_einval(int fd)
{
	int p[2];

	ASSERT_OK(pipe(p));
	EXPECT_ERRNO(splice(fd, NULL, p[1], NULL, 64, SPLICE_F_NONBLOCK),
		     EINVAL);
	close(p[0]);
	close(p[1]);
}

/*
 * After the peer's KeyUpdate and before the next key: every read fails
 * with EKEYEXPIRED at once, even a blocking one, and poll shows nothing
 * to read, whatever the peer sent meanwhile.
 */
static void expect_key_expired(struct gt_conn *c, bool with_poll)
{
	struct pollfd p = { c->fd, POLLIN, 0 };
	uint8_t buf[64], type;

	EXPECT_ERRNO(recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT), EKEYEXPIRED);
	/* Short, so that a read that blocks fails with EAGAIN quickly. */
	set_timeo(c->fd, SO_RCVTIMEO, 2000);
	EXPECT_ERRNO(recv(c->fd, buf, sizeof(buf), 0), EKEYEXPIRED);
	EXPECT_ERRNO(wire_recv_type(c->fd, buf, sizeof(buf), &type, 0),
		     EKEYEXPIRED);
	set_timeo(c->fd, SO_RCVTIMEO, 15000);
	/* As kTLS: splice says EINVAL instead. */
	expect_splice_einval(c->fd);
	if (with_poll)
		EXPECT_EQ(poll(&p, 1, 200), 0);
}

static void install_next_rx(struct gt_conn *c)
{
	ASSERT_EQ(gp_next_keys(c->su.cipher, rx_secret(c), c->sec.client_len,
			       &c->rx), 0);
	ASSERT_OK(keys_install(c->fd, TLS_RX, &c->rx));
}

/* Returns -1 instead of asserting, for use from a writer thread. */
static int own_update_ret(struct gt_conn *c, int request)
{
	uint8_t ku[5] = { 24, 0, 0, 1, (uint8_t)request };

	if (wire_send_type(c->fd, ku, sizeof(ku), 22, 0) != sizeof(ku))
		return -1;
	if (gp_next_keys(c->su.cipher, tx_secret(c), c->sec.client_len,
			 &c->tx))
		return -1;
	return keys_install(c->fd, TLS_TX, &c->tx);
}

/* Send a KeyUpdate of our own, then switch to the next send key. */
static void own_update(struct gt_conn *c, int request)
{
	ASSERT_OK(own_update_ret(c, request));
}

/* The peer updates its send key between two parts of its data. */
TEST_F(tls13, peer_updates)
{
	struct gt_conn *c = &self->c;
	long got = stat_of(TLSO_STAT_RX_REKEY_RECEIVED);
	long ok = stat_of(TLSO_STAT_RX_REKEY_OK);

	/* All of it, the part under the new key too, is waiting in the
	 * socket before tlso reads anything. */
	peer_do(c, &(struct gp_cmd){ .op = GP_SEND, .len = 40000, .seed = 1,
			.ku = 1, .ku_at = 20000 });
	ASSERT_OK(rx_pattern(c->fd, 0, 20000, 1));
	EXPECT_EQ(read_key_update(c), 0);
	EXPECT_EQ(stat_of(TLSO_STAT_RX_REKEY_RECEIVED) - got, 1);
	expect_key_expired(c, true);
	install_next_rx(c);
	ASSERT_OK(rx_pattern(c->fd, 20000, 20000, 1));
	EXPECT_EQ(stat_of(TLSO_STAT_RX_REKEY_OK) - ok, 1);

	/* Sending was never affected. */
	peer_start(c, &(struct gp_cmd){ .op = GP_RECV, .len = 1000,
			.seed = 2 });
	ASSERT_OK(tx_pattern(c->fd, 0, 1000, 2));
	peer_ok(c);
}

/* GNUTLS_KU_PEER: GnuTLS updates and asks tlso's side to update too. */
TEST_F(tls13, peer_updates_and_asks_for_ours)
{
	struct gt_conn *c = &self->c;
	long txok = stat_of(TLSO_STAT_TX_REKEY_OK);

	peer_do(c, &(struct gp_cmd){ .op = GP_SEND, .len = 2000, .seed = 3,
			.ku = 1, .ku_at = 1000, .flags = GNUTLS_KU_PEER });
	ASSERT_OK(rx_pattern(c->fd, 0, 1000, 3));
	EXPECT_EQ(read_key_update(c), 1);
	expect_key_expired(c, true);
	install_next_rx(c);
	ASSERT_OK(rx_pattern(c->fd, 1000, 1000, 3));

	/* The answer GnuTLS waits for; it must read on with our new key. */
	peer_start(c, &(struct gp_cmd){ .op = GP_RECV, .len = 3000,
			.seed = 4 });
	own_update(c, 0);
	ASSERT_OK(tx_pattern(c->fd, 0, 3000, 4));
	peer_ok(c);
	EXPECT_EQ(stat_of(TLSO_STAT_TX_REKEY_OK) - txok, 1);
}

/* tlso's side updates its send key in the middle of its data. */
TEST_F(tls13, own_update)
{
	struct gt_conn *c = &self->c;
	long txok = stat_of(TLSO_STAT_TX_REKEY_OK);

	peer_start(c, &(struct gp_cmd){ .op = GP_RECV, .len = 40000,
			.seed = 5 });
	ASSERT_OK(tx_pattern(c->fd, 0, 20000, 5));
	own_update(c, 0);
	ASSERT_OK(tx_pattern(c->fd, 20000, 20000, 5));
	peer_ok(c);
	EXPECT_EQ(stat_of(TLSO_STAT_TX_REKEY_OK) - txok, 1);

	/* Receiving was never affected. */
	peer_do(c, &(struct gp_cmd){ .op = GP_SEND, .len = 1000, .seed = 6 });
	ASSERT_OK(rx_pattern(c->fd, 0, 1000, 6));
}

/* tlso's side asks for the peer's update; GnuTLS sends it before its
 * next data. */
TEST_F(tls13, own_update_asks_for_peers)
{
	struct gt_conn *c = &self->c;

	peer_start(c, &(struct gp_cmd){ .op = GP_RECV, .len = 1000,
			.seed = 7 });
	ASSERT_OK(tx_pattern(c->fd, 0, 500, 7));
	own_update(c, 1);
	ASSERT_OK(tx_pattern(c->fd, 500, 500, 7));
	peer_ok(c);

	peer_do(c, &(struct gp_cmd){ .op = GP_SEND, .len = 1000, .seed = 8 });
	EXPECT_EQ(read_key_update(c), 0);
	expect_key_expired(c, false);
	install_next_rx(c);
	ASSERT_OK(rx_pattern(c->fd, 0, 1000, 8));
}

/*
 * Records in flight both ways while both keys change: the peer's records
 * under its new key wait in tlso's socket before the key is there, and
 * tlso switches its own send key while its records under the old one
 * are still unread by the peer.
 */
TEST_F(tls13, in_flight_both_ways)
{
	struct gt_conn *c = &self->c;

	peer_do(c, &(struct gp_cmd){ .op = GP_SEND, .len = 40000, .seed = 9,
			.ku = 1, .ku_at = 20000 });
	ASSERT_OK(tx_pattern(c->fd, 0, 20000, 10));
	own_update(c, 0);
	ASSERT_OK(tx_pattern(c->fd, 20000, 20000, 10));

	ASSERT_OK(rx_pattern(c->fd, 0, 20000, 9));
	EXPECT_EQ(read_key_update(c), 0);
	expect_key_expired(c, true);
	install_next_rx(c);
	ASSERT_OK(rx_pattern(c->fd, 20000, 20000, 9));
	peer_do(c, &(struct gp_cmd){ .op = GP_RECV, .len = 40000, .seed = 10 });
}

/* The writer thread of the next test: data, a KeyUpdate asking for the
 * peer's, the next key, more data -- while the main thread reads. */
struct ku_writer {
	struct writer w;
	struct gt_conn *c;
};

static int writer_with_update(struct writer *w)
{
	struct ku_writer *kw = (struct ku_writer *)w;
	size_t half = w->len / 2;

	if (tx_pattern(w->fd, 0, half, w->seed))
		return -1;
	if (own_update_ret(kw->c, 1))
		return -2;
	return tx_pattern(w->fd, half, w->len - half, w->seed) ? -3 : 0;
}

/*
 * Both directions streaming at once across both updates: GnuTLS echoes
 * tlso's stream, takes tlso's KeyUpdate (which asks for its own) and
 * answers it with a KeyUpdate before echoing the rest under its new key.
 */
TEST_F_TIMEOUT(tls13, echo_across_updates, 60)
{
	struct gt_conn *c = &self->c;
	struct ku_writer kw = { .w = { .fd = c->fd, .len = 256 * 1024,
				       .seed = 11, .run = writer_with_update },
				.c = c };
	long txok = stat_of(TLSO_STAT_TX_REKEY_OK);
	long rxok = stat_of(TLSO_STAT_RX_REKEY_OK);

	peer_start(c, &(struct gp_cmd){ .op = GP_ECHO, .len = kw.w.len });
	ASSERT_EQ(pthread_create(&kw.w.th, NULL, writer_main, &kw.w), 0);
	/* Everything echoed before GnuTLS saw the KeyUpdate, then its own
	 * KeyUpdate, then the rest. */
	ASSERT_OK(rx_pattern(c->fd, 0, kw.w.len / 2, kw.w.seed));
	EXPECT_EQ(read_key_update(c), 0);
	expect_key_expired(c, false);
	install_next_rx(c);
	ASSERT_OK(rx_pattern(c->fd, kw.w.len / 2, kw.w.len - kw.w.len / 2,
			     kw.w.seed));
	pthread_join(kw.w.th, NULL);
	EXPECT_EQ(kw.w.ret, 0);
	peer_ok(c);
	EXPECT_EQ(stat_of(TLSO_STAT_TX_REKEY_OK) - txok, 1);
	EXPECT_EQ(stat_of(TLSO_STAT_RX_REKEY_OK) - rxok, 1);
}

struct blocked_read {
	pthread_t th;
	int fd;
	bool use_poll;		/* poll first, then read */
	uint8_t buf[2048];
	size_t want;
	ssize_t n;
	int err, revents;
	uint8_t type;
	volatile int done;
};

static void *blocked_read_main(void *arg)
{
	struct blocked_read *b = arg;
	struct pollfd p = { b->fd, POLLIN, 0 };
	size_t got = 0;

	if (b->use_poll) {
		if (poll(&p, 1, 10000) != 1) {
			b->n = -1;
			b->err = ETIMEDOUT;
			goto out;
		}
		b->revents = p.revents;
	}
	do {
		b->n = wire_recv_type(b->fd, b->buf + got, b->want - got,
				      &b->type, 0);
		b->err = errno;
		if (b->n > 0)
			got += b->n;
	} while (b->n > 0 && got < b->want && b->type == 23);
	if (b->n > 0)
		b->n = got;
out:
	__atomic_store_n(&b->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * A reader blocked when the peer's KeyUpdate arrives is woken by it and
 * gets it; a poller blocked while the update is pending stays so even as
 * the peer's next data arrives, and wakes only when the new key is set.
 */
TEST_F(tls13, read_blocked_across_update)
{
	struct gt_conn *c = &self->c;
	struct blocked_read b = { .fd = c->fd, .want = sizeof(b.buf) };
	size_t i;

	ASSERT_EQ(pthread_create(&b.th, NULL, blocked_read_main, &b), 0);
	usleep(200 * 1000);
	EXPECT_FALSE(__atomic_load_n(&b.done, __ATOMIC_SEQ_CST));
	peer_do(c, &(struct gp_cmd){ .op = GP_KEY_UPDATE });
	pthread_join(b.th, NULL);
	ASSERT_EQ(b.n, 5);
	EXPECT_EQ(b.type, 22);
	EXPECT_MEMEQ(b.buf, "\x18\x00\x00\x01\x00", 5);

	memset(&b, 0, sizeof(b));
	b.fd = c->fd;
	b.use_poll = true;
	b.want = 1500;
	ASSERT_EQ(pthread_create(&b.th, NULL, blocked_read_main, &b), 0);
	peer_do(c, &(struct gp_cmd){ .op = GP_SEND, .len = 1500, .seed = 12 });
	usleep(300 * 1000);
	EXPECT_FALSE(__atomic_load_n(&b.done, __ATOMIC_SEQ_CST));
	expect_key_expired(c, false);
	EXPECT_FALSE(__atomic_load_n(&b.done, __ATOMIC_SEQ_CST));
	install_next_rx(c);
	pthread_join(b.th, NULL);
	EXPECT_TRUE(b.revents & POLLIN);
	if (b.n < 0)
		TH_LOG("reader: %s", strerror(b.err));
	ASSERT_EQ(b.n, 1500);
	EXPECT_EQ(b.type, 23);
	for (i = 0; i < 1500; i++)
		if (b.buf[i] != sock_pattern(i, 12))
			break;
	EXPECT_EQ(i, 1500);
}

/* Generation after generation, both ways: each next secret comes from
 * the one before, and each key starts at sequence number 0. */
TEST_F(tls13, repeated_updates)
{
	struct gt_conn *c = &self->c;
	long txok = stat_of(TLSO_STAT_TX_REKEY_OK);
	long rxok = stat_of(TLSO_STAT_RX_REKEY_OK);
	int i;

	for (i = 0; i < 3; i++) {
		peer_do(c, &(struct gp_cmd){ .op = GP_SEND, .len = 20000,
				.seed = 20 + i, .ku = 1, .ku_at = 0 });
		EXPECT_EQ(read_key_update(c), 0);
		expect_key_expired(c, false);
		install_next_rx(c);
		ASSERT_OK(rx_pattern(c->fd, 0, 20000, 20 + i));

		peer_start(c, &(struct gp_cmd){ .op = GP_RECV, .len = 20000,
				.seed = 30 + i });
		own_update(c, 0);
		ASSERT_OK(tx_pattern(c->fd, 0, 20000, 30 + i));
		peer_ok(c);
	}
	EXPECT_EQ(stat_of(TLSO_STAT_TX_REKEY_OK) - txok, 3);
	EXPECT_EQ(stat_of(TLSO_STAT_RX_REKEY_OK) - rxok, 3);
}

TEST_HARNESS_MAIN
