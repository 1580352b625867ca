/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/core/digest.c: the SHA-256 every input reader feeds with the
 * bytes it reads, so the manifest records what the run consumed rather
 * than what the file holds when the run ends. */
#include "core/digest.h"

#include <openssl/evp.h>
#include <string.h>

bool harm__digest_begin(harm__digest *d) {
  memset(d, 0, sizeof *d);
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
    EVP_MD_CTX_free(c);
    d->failed = true;
    return false;
  }
  d->ctx = c;
  return true;
}

void harm__digest_update(harm__digest *d, const void *p, size_t n) {
  if (!d || !d->ctx || d->failed || !n) {
    return;
  }
  if (EVP_DigestUpdate((EVP_MD_CTX *)d->ctx, p, n) != 1) {
    d->failed = true;
  }
  d->bytes += n;
}

bool harm__digest_end(harm__digest *d, harm_input_hash *out) {
  memset(out, 0, sizeof *out);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  bool ok = d->ctx && !d->failed &&
            EVP_DigestFinal_ex((EVP_MD_CTX *)d->ctx, md, &md_len) == 1 &&
            md_len == 32;
  harm__digest_free(d);
  if (!ok) {
    return false;
  }
  static const char digits[] = "0123456789abcdef";
  for (unsigned i = 0; i < 32; i++) {
    out->sha256[2 * i] = digits[md[i] >> 4];
    out->sha256[2 * i + 1] = digits[md[i] & 15];
  }
  out->sha256[64] = '\0';
  out->bytes = d->bytes;
  return true;
}

void harm__digest_free(harm__digest *d) {
  EVP_MD_CTX_free((EVP_MD_CTX *)d->ctx);
  d->ctx = NULL;
}
