// SPDX-License-Identifier: GPL-2.0
/*
 * tlso: the AEAD of each direction, through the kernel crypto API so that
 * the CPU's accelerated implementations are used.
 */
#include <crypto/aead.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>

#include "cipher.h"
#include "tlso.h"

/*
 * Allocate an AEAD for the keys in ci and swap it into d.  On failure d is
 * left as it was, so a failed rekey keeps the old keys working.
 */
int tlso_dir_keys(struct tlso_dir *d, const union tlso_crypto_info *ci)
{
	const struct tlso_cipher *c = tlso_cipher_find(ci->info.cipher_type);
	struct aead_request *req;
	struct crypto_aead *aead;
	int err;

	if (!c)
		return -EINVAL;
	aead = crypto_alloc_aead(c->aead_name, 0, 0);
	if (IS_ERR(aead))
		return PTR_ERR(aead);
	err = crypto_aead_setkey(aead, (const u8 *)ci + c->key_off,
				 c->key_size);
	if (!err)
		err = crypto_aead_setauthsize(aead, c->tag_size);
	if (err)
		goto err_free;
	req = aead_request_alloc(aead, GFP_KERNEL);
	if (!req) {
		err = -ENOMEM;
		goto err_free;
	}

	tlso_dir_free(d);
	d->aead = aead;
	d->req = req;
	d->info = *ci;
	memcpy(d->iv, (const u8 *)ci + c->salt_off, c->salt_size);
	memcpy(d->iv + c->salt_size, (const u8 *)ci + c->iv_off, c->iv_size);
	memcpy(d->seq, (const u8 *)ci + c->rec_seq_off, TLSO_SEQ_LEN);
	return 0;

err_free:
	crypto_free_aead(aead);
	return err;
}

void tlso_dir_free(struct tlso_dir *d)
{
	if (d->req)
		aead_request_free(d->req);
	if (d->aead)
		crypto_free_aead(d->aead);
	d->req = NULL;
	d->aead = NULL;
	memzero_explicit(&d->info, sizeof(d->info));
	memzero_explicit(d->iv, sizeof(d->iv));
}

/*
 * One AEAD operation, waited for: an accelerated implementation may go
 * through cryptd when the FPU is not usable here, and then completes
 * asynchronously.  len is the plaintext (enc) or ciphertext with tag (dec)
 * length after aad_len bytes of additional data in src and dst.
 */
int tlso_aead_run(struct tlso_dir *d, bool enc, struct scatterlist *src,
		  struct scatterlist *dst, unsigned int len,
		  unsigned int aad_len, u8 *iv)
{
	struct aead_request *req = d->req;
	DECLARE_CRYPTO_WAIT(wait);
	int err;

	aead_request_set_tfm(req, d->aead);
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG,
				  crypto_req_done, &wait);
	aead_request_set_ad(req, aad_len);
	aead_request_set_crypt(req, src, dst, len, iv);
	err = enc ? crypto_aead_encrypt(req) : crypto_aead_decrypt(req);
	return crypto_wait_req(err, &wait);
}

/*
 * Pin the caller's pages behind the next len bytes of iter, so that a
 * record is encrypted from them or decrypted into them without a copy,
 * and describe them in sg[0..n), one entry a page.  Returns n, all len
 * bytes pinned in pages[0..n); or a negative errno when they cannot be
 * had that way within TLSO_ZC_PAGES pages, with nothing left pinned and
 * iter as it was, and the caller copies instead.
 */
int tlso_sg_from_iter(struct iov_iter *iter, u32 len, struct page **pages,
		      struct scatterlist *sg)
{
	int npages = 0, nsg = 0;
	u32 got = 0;

	while (got < len) {
		size_t off;
		ssize_t n;
		int k;

		if (npages == TLSO_ZC_PAGES)
			goto err_put;
		n = iov_iter_get_pages2(iter, pages + npages, len - got,
					TLSO_ZC_PAGES - npages, &off);
		if (n <= 0)
			goto err_put;
		got += n;
		for (k = 0; n > 0; k++) {
			u32 take = min_t(size_t, n, PAGE_SIZE - off);

			sg_set_page(&sg[nsg++], pages[npages + k], take, off);
			n -= take;
			off = 0;
		}
		npages += k;
	}
	return npages;

err_put:
	tlso_sg_put_pages(pages, npages, false);
	iov_iter_revert(iter, got);
	return -EFAULT;
}

/* Let go of what tlso_sg_from_iter() pinned; dirty: tlso wrote to it. */
void tlso_sg_put_pages(struct page **pages, int n, bool dirty)
{
	int i;

	for (i = 0; i < n; i++) {
		if (dirty)
			set_page_dirty_lock(pages[i]);
		put_page(pages[i]);
	}
}
