// SPDX-License-Identifier: GPL-2.0
/*
 * Records built ahead, for --rx-only: the sending end encrypts the whole
 * transfer before the clock starts, so that only the receiver is
 * measured.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "cipher.h"
#include "net.h"
#include "perf.h"
#include "record.h"

/* What one record needs: the cipher, its nonce material, its sequence. */
struct sealer {
	gnutls_aead_cipher_hd_t h;
	struct tlso_prot prot;
	uint16_t type;
	unsigned char ivmat[TLSO_NONCE_LEN], seq[TLSO_SEQ_LEN];
};

/*
 * One record of type rtype around plain[0..n) at out; plain has room for
 * TLS 1.3's inner type byte after the content.  Its length, or -1.
 */
static ssize_t seal_record(struct sealer *sl, unsigned char *out,
			   unsigned char rtype, unsigned char *plain, size_t n)
{
	unsigned char nonce[TLSO_MAX_IV_LEN], aad[TLSO_MAX_AAD_LEN];
	const struct tlso_prot *prot = &sl->prot;
	size_t ctext_len = n + prot->tail_len + TLSO_TAG_LEN;
	unsigned int aad_len;

	plain[n] = rtype;
	tlso_record_build(out, prot, rtype, n, sl->seq);
	tlso_record_iv(nonce, prot, sl->ivmat, sl->seq, sl->seq);
	aad_len = tlso_record_aad(aad, prot, sl->seq, rtype, n);
	if (gnutls_aead_cipher_encrypt(sl->h,
			sl->type == TLS_CIPHER_AES_CCM_128 ? nonce + 1 : nonce,
			TLSO_NONCE_LEN, aad, aad_len, TLSO_TAG_LEN, plain,
			n + prot->tail_len, out + TLSO_HDR_LEN + prot->nonce_len,
			&ctext_len) < 0)
		return -1;
	tlso_seq_inc(sl->seq, TLSO_SEQ_LEN);
	return TLSO_HDR_LEN + prot->nonce_len + ctext_len;
}

/*
 * The whole transfer as records, ending with a close_notify alert when
 * the receiver is GnuTLS (which calls a bare end of stream an attack);
 * a kernel receiver in kTLS mode would fail its read on an alert.
 */
int seal_all(struct prebuilt *pb, const union tlso_crypto_info *ci,
	     uint64_t content, size_t payload, bool close_notify,
	     char *err, size_t errlen)
{
	const struct tlso_cipher *tc = tlso_cipher_find(ci->info.cipher_type);
	const struct perf_cipher *pc = cipher_by_type(ci->info.cipher_type);
	const unsigned char *raw = (const unsigned char *)ci;
	unsigned char *plain = NULL, *out;
	struct sealer sl = { 0 };
	gnutls_datum_t key;
	uint64_t done = 0;
	size_t size;
	ssize_t n;
	int ret = -1, r;

	if (!tc || !pc ||
	    tlso_prot_init(&sl.prot, ci->info.version, tc->type)) {
		snprintf(err, errlen, "no such version or cipher");
		return -1;
	}
	sl.type = tc->type;
	key.data = (unsigned char *)raw + tc->key_off;
	key.size = tc->key_size;
	r = gnutls_aead_cipher_init(&sl.h, pc->gnutls, &key);
	if (r < 0) {
		snprintf(err, errlen, "GnuTLS AEAD: %s", gnutls_strerror(r));
		return -1;
	}
	memcpy(sl.ivmat, raw + tc->salt_off, tc->salt_size);
	memcpy(sl.ivmat + tc->salt_size, raw + tc->iv_off, tc->iv_size);
	memcpy(sl.seq, raw + tc->rec_seq_off, TLSO_SEQ_LEN);

	pb->payload = payload;
	pb->rec_len = payload + sl.prot.overhead;
	pb->records = (content + payload - 1) / payload + close_notify;
	pb->content = content;
	size = pb->records * pb->rec_len + (2 + sl.prot.overhead);
	pb->buf = malloc(size);
	plain = malloc(payload + 1);
	if (!pb->buf || !plain) {
		snprintf(err, errlen, "%zu bytes for --rx-only: out of memory",
			 size);
		goto out;
	}
	memset(plain, 'x', payload);
	out = pb->buf;
	while (done < content) {
		size_t len = content - done < payload ? content - done : payload;

		n = seal_record(&sl, out, TLSO_TYPE_DATA, plain, len);
		if (n < 0)
			goto fail;
		out += n;
		done += len;
	}
	if (close_notify) {
		plain[0] = 1;	/* warning */
		plain[1] = 0;	/* close_notify */
		n = seal_record(&sl, out, TLSO_TYPE_ALERT, plain, 2);
		if (n < 0)
			goto fail;
		out += n;
	}
	pb->len = out - pb->buf;
	ret = 0;
	goto out;
fail:
	snprintf(err, errlen, "GnuTLS could not encrypt a record");
out:
	gnutls_aead_cipher_deinit(sl.h);
	explicit_bzero(&sl, sizeof(sl));
	free(plain);
	return ret;
}

int send_prebuilt(struct conn *c, struct stream *st,
		  const struct prebuilt *pb, char *err, size_t errlen)
{
	size_t off = 0, n;
	uint64_t content;

	while (off < pb->len) {
		n = pb->len - off < pb->rec_len ? pb->len - off : pb->rec_len;
		if (tlso_write_all(c->fd, pb->buf + off, n)) {
			snprintf(err, errlen, "sending: %s", strerror(errno));
			return -1;
		}
		off += n;
		content = off / pb->rec_len * pb->payload;
		atomic_store(&st->live, content < pb->content ? content :
							    pb->content);
	}
	atomic_store(&st->live, pb->content);
	c->rec_tx = pb->records;
	return 0;
}
