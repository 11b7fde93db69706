// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests: attaching the ULP and the SOL_TLS options before keys.
 *
 * Every case runs twice per address family: once on the in-tree kTLS
 * module ("tls") and once on tlso.  Both must give the same result, and
 * the result asserted is kTLS's, so the in-tree module is the reference
 * that keeps these expectations honest.
 */
#include <linux/tls.h>

#include "harness.h"
#include "kmod.h"
#include "net.h"
#include "sock.h"

FIXTURE(ulp) {
	int cli, srv;
};

FIXTURE_VARIANT(ulp) {
	const char *ulp;
	int family;
};

FIXTURE_VARIANT_ADD(ulp, ktls_v4) { .ulp = "tls", .family = AF_INET };
FIXTURE_VARIANT_ADD(ulp, ktls_v6) { .ulp = "tls", .family = AF_INET6 };
FIXTURE_VARIANT_ADD(ulp, tlso_v4) { .ulp = "tlso", .family = AF_INET };
FIXTURE_VARIANT_ADD(ulp, tlso_v6) { .ulp = "tlso", .family = AF_INET6 };

FIXTURE_SETUP(ulp)
{
	self->cli = self->srv = -1;
	if (!strcmp(variant->ulp, "tls")) {
		if (kmod_modprobe("tls"))
			SKIP("the in-tree tls module cannot be loaded here");
	} else if (!kmod_loaded("tlso")) {
		ASSERT_EQ(kmod_load(kmod_tlso_path(), NULL), 0);
	}
	ASSERT_OK(sock_pair(variant->family, &self->cli, &self->srv));
}

FIXTURE_TEARDOWN(ulp)
{
	if (self->cli >= 0)
		close(self->cli);
	if (self->srv >= 0)
		close(self->srv);
}

TEST_F(ulp, attach_connected_socket)
{
	char name[16];

	ASSERT_OK(sock_attach(self->cli, variant->ulp));
	ASSERT_OK(sock_ulp(self->cli, name, sizeof(name)));
	EXPECT_STREQ(name, variant->ulp);
}

TEST_F(ulp, attach_accepted_socket)
{
	char name[16];

	ASSERT_OK(sock_attach(self->srv, variant->ulp));
	ASSERT_OK(sock_ulp(self->srv, name, sizeof(name)));
	EXPECT_STREQ(name, variant->ulp);
}

TEST_F(ulp, attach_twice_is_eexist)
{
	ASSERT_OK(sock_attach(self->cli, variant->ulp));
	EXPECT_ERRNO(sock_attach(self->cli, variant->ulp), EEXIST);
}

TEST_F(ulp, attach_unconnected_is_enotconn)
{
	int fd = socket(variant->family, SOCK_STREAM, 0);

	ASSERT_OK(fd);
	EXPECT_ERRNO(sock_attach(fd, variant->ulp), ENOTCONN);
	close(fd);
}

TEST_F(ulp, attach_listening_is_enotconn)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = sock_listen(variant->family, &ss, &len);

	ASSERT_OK(fd);
	EXPECT_ERRNO(sock_attach(fd, variant->ulp), ENOTCONN);
	close(fd);
}

TEST_F(ulp, attach_after_peer_closed_is_enotconn)
{
	char c;

	close(self->srv);
	self->srv = -1;
	/* Wait for the FIN: the socket is then in CLOSE_WAIT. */
	ASSERT_EQ(recv(self->cli, &c, 1, 0), 0);
	EXPECT_ERRNO(sock_attach(self->cli, variant->ulp), ENOTCONN);
}

TEST_F(ulp, unknown_ulp_is_enoent)
{
	EXPECT_ERRNO(sock_attach(self->cli, "tlso-no-such"), ENOENT);
}

/*
 * Without a ULP the level is unknown to TCP, which hands it to IP: IPv4's
 * getsockopt answers EOPNOTSUPP, everything else ENOPROTOOPT.
 */
TEST_F(ulp, sol_tls_before_ulp_is_refused_by_tcp)
{
	struct tls_crypto_info info;
	socklen_t len = sizeof(info);

	EXPECT_ERRNO(getsockopt(self->cli, SOL_TLS, TLS_TX, &info, &len),
		     variant->family == AF_INET ? EOPNOTSUPP : ENOPROTOOPT);
	memset(&info, 0, sizeof(info));
	EXPECT_ERRNO(setsockopt(self->cli, SOL_TLS, TLS_TX, &info,
				sizeof(info)), ENOPROTOOPT);
}

TEST_F(ulp, get_keys_before_set_is_ebusy)
{
	struct tls12_crypto_info_aes_gcm_128 full;
	struct tls_crypto_info info;
	socklen_t len;

	ASSERT_OK(sock_attach(self->cli, variant->ulp));
	len = sizeof(info);
	EXPECT_ERRNO(getsockopt(self->cli, SOL_TLS, TLS_TX, &info, &len),
		     EBUSY);
	len = sizeof(info);
	EXPECT_ERRNO(getsockopt(self->cli, SOL_TLS, TLS_RX, &info, &len),
		     EBUSY);
	len = sizeof(full);
	EXPECT_ERRNO(getsockopt(self->cli, SOL_TLS, TLS_TX, &full, &len),
		     EBUSY);
}

TEST_F(ulp, get_keys_short_optlen_is_einval)
{
	struct tls_crypto_info info;
	socklen_t len = sizeof(info) - 1;

	ASSERT_OK(sock_attach(self->cli, variant->ulp));
	EXPECT_ERRNO(getsockopt(self->cli, SOL_TLS, TLS_TX, &info, &len),
		     EINVAL);
	len = 0;
	EXPECT_ERRNO(getsockopt(self->cli, SOL_TLS, TLS_RX, &info, &len),
		     EINVAL);
}

TEST_F(ulp, set_keys_bad_input_is_einval)
{
	struct tls12_crypto_info_aes_gcm_128 k = { 0 };

	ASSERT_OK(sock_attach(self->cli, variant->ulp));
	k.info.version = TLS_1_3_VERSION;
	k.info.cipher_type = TLS_CIPHER_AES_GCM_128;
	/* optlen one byte short of the header, and NULL */
	EXPECT_ERRNO(setsockopt(self->cli, SOL_TLS, TLS_TX, &k, 3), EINVAL);
	EXPECT_ERRNO(setsockopt(self->cli, SOL_TLS, TLS_TX, NULL, sizeof(k)),
		     EINVAL);
	/* one byte short of and past the struct */
	EXPECT_ERRNO(setsockopt(self->cli, SOL_TLS, TLS_TX, &k,
				sizeof(k) - 1), EINVAL);
	EXPECT_ERRNO(setsockopt(self->cli, SOL_TLS, TLS_RX, &k,
				sizeof(k) + 1), EINVAL);
	/* TLS 1.1 */
	k.info.version = 0x0302;
	EXPECT_ERRNO(setsockopt(self->cli, SOL_TLS, TLS_TX, &k, sizeof(k)),
		     EINVAL);
	/* a cipher kTLS does not know */
	k.info.version = TLS_1_2_VERSION;
	k.info.cipher_type = 9999;
	EXPECT_ERRNO(setsockopt(self->cli, SOL_TLS, TLS_RX, &k, sizeof(k)),
		     EINVAL);
}

TEST_F(ulp, zerocopy_ro_option)
{
	unsigned int v = 1, out = 7;
	socklen_t len = sizeof(out);
	unsigned long long wide = 1;

	ASSERT_OK(sock_attach(self->cli, variant->ulp));
	ASSERT_OK(getsockopt(self->cli, SOL_TLS, TLS_TX_ZEROCOPY_RO, &out,
			     &len));
	EXPECT_EQ(out, 0);
	ASSERT_OK(setsockopt(self->cli, SOL_TLS, TLS_TX_ZEROCOPY_RO, &v,
			     sizeof(v)));
	len = sizeof(out);
	ASSERT_OK(getsockopt(self->cli, SOL_TLS, TLS_TX_ZEROCOPY_RO, &out,
			     &len));
	EXPECT_EQ(out, 1);
	v = 2;
	EXPECT_ERRNO(setsockopt(self->cli, SOL_TLS, TLS_TX_ZEROCOPY_RO, &v,
				sizeof(v)), EINVAL);
	EXPECT_ERRNO(setsockopt(self->cli, SOL_TLS, TLS_TX_ZEROCOPY_RO,
				&wide, sizeof(wide)), EINVAL);
	len = sizeof(wide);
	EXPECT_ERRNO(getsockopt(self->cli, SOL_TLS, TLS_TX_ZEROCOPY_RO,
				&wide, &len), EINVAL);
}

TEST_F(ulp, rx_no_pad_before_keys_is_einval)
{
	unsigned int v = 1;
	socklen_t len = sizeof(v);

	ASSERT_OK(sock_attach(self->cli, variant->ulp));
	EXPECT_ERRNO(setsockopt(self->cli, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v,
				sizeof(v)), EINVAL);
	EXPECT_ERRNO(getsockopt(self->cli, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &v,
				&len), EINVAL);
}

TEST_F(ulp, unknown_sol_tls_option_is_enoprotoopt)
{
	unsigned int v = 0;
	socklen_t len = sizeof(v);

	ASSERT_OK(sock_attach(self->cli, variant->ulp));
	EXPECT_ERRNO(setsockopt(self->cli, SOL_TLS, 99, &v, sizeof(v)),
		     ENOPROTOOPT);
	EXPECT_ERRNO(getsockopt(self->cli, SOL_TLS, 99, &v, &len),
		     ENOPROTOOPT);
}

/*
 * TLSO_INFO before keys: all zero on tlso, with TCP_INFO's optlen rules;
 * kTLS does not know the option.  Neither can set it.
 */
TEST_F(ulp, tlso_info_before_keys)
{
	struct tlso_info info;
	unsigned char buf[sizeof(info) + 8], zero[sizeof(buf)] = { 0 };
	socklen_t len = sizeof(buf);
	int bad = -1;

	ASSERT_OK(sock_attach(self->cli, variant->ulp));
	memset(&info, 0, sizeof(info));
	EXPECT_ERRNO(setsockopt(self->cli, SOL_TLS, TLSO_INFO, &info,
				sizeof(info)), ENOPROTOOPT);
	if (strcmp(variant->ulp, "tlso")) {
		EXPECT_ERRNO(getsockopt(self->cli, SOL_TLS, TLSO_INFO, buf,
					&len), ENOPROTOOPT);
		return;
	}
	/* Room to spare: the whole struct, and len says how much. */
	memset(buf, 0xa5, sizeof(buf));
	ASSERT_OK(getsockopt(self->cli, SOL_TLS, TLSO_INFO, buf, &len));
	EXPECT_EQ(len, sizeof(info));
	EXPECT_MEMEQ(buf, zero, sizeof(info));
	EXPECT_EQ(buf[sizeof(info)], 0xa5);
	/* Short: cut short, nothing written past it. */
	memset(buf, 0xa5, sizeof(buf));
	len = 5;
	ASSERT_OK(getsockopt(self->cli, SOL_TLS, TLSO_INFO, buf, &len));
	EXPECT_EQ(len, 5);
	EXPECT_MEMEQ(buf, zero, 5);
	EXPECT_EQ(buf[5], 0xa5);
	memset(buf, 0xa5, sizeof(buf));
	len = 0;
	ASSERT_OK(getsockopt(self->cli, SOL_TLS, TLSO_INFO, buf, &len));
	EXPECT_EQ(len, 0);
	EXPECT_EQ(buf[0], 0xa5);
	/* A negative optlen, as the kernel reads a socklen_t. */
	len = (socklen_t)bad;
	EXPECT_ERRNO(getsockopt(self->cli, SOL_TLS, TLSO_INFO, buf, &len),
		     EINVAL);
	/* Plain TCP before keys is no record either way. */
	ASSERT_OK(tlso_write_all(self->cli, "ping", 4));
	ASSERT_OK(sock_read_all(self->srv, buf, 4));
	ASSERT_OK(tlso_write_all(self->srv, "pong", 4));
	ASSERT_OK(sock_read_all(self->cli, buf, 4));
	ASSERT_OK(sock_tlso_info(self->cli, &info));
	EXPECT_EQ(info.tx_records + info.rx_records + info.tx_bytes +
		  info.rx_bytes, 0);
}

TEST_F(ulp, tcp_options_still_reach_tcp)
{
	int one = 1, out = 0;
	socklen_t len = sizeof(out);

	ASSERT_OK(sock_attach(self->cli, variant->ulp));
	ASSERT_OK(setsockopt(self->cli, SOL_TCP, TCP_NODELAY, &one,
			     sizeof(one)));
	ASSERT_OK(getsockopt(self->cli, SOL_TCP, TCP_NODELAY, &out, &len));
	EXPECT_NE(out, 0);
}

/* Without keys the socket still carries plain TCP both ways. */
TEST_F(ulp, data_passes_before_keys)
{
	char buf[64];

	ASSERT_OK(sock_attach(self->cli, variant->ulp));
	ASSERT_OK(sock_attach(self->srv, variant->ulp));
	ASSERT_OK(tlso_write_all(self->cli, "ping", 4));
	ASSERT_OK(sock_read_all(self->srv, buf, 4));
	EXPECT_MEMEQ(buf, "ping", 4);
	ASSERT_OK(tlso_write_all(self->srv, "pong", 4));
	ASSERT_OK(sock_read_all(self->cli, buf, 4));
	EXPECT_MEMEQ(buf, "pong", 4);
}

TEST_F(ulp, disconnect_is_eopnotsupp)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	ASSERT_OK(sock_attach(self->cli, variant->ulp));
	EXPECT_ERRNO(connect(self->cli, &sa, sizeof(sa)), EOPNOTSUPP);
}

TEST_HARNESS_MAIN
