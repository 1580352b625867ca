/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/core/digest.c: the SHA-256 every input reader feeds with the
 * bytes it reads, so the manifest records what the run consumed rather
 * than what the file holds when the run ends.
 *
 * OpenSSL's SHA256_* functions, not EVP: the same block code (SHA
 * extensions where the CPU has them), without the provider machinery EVP
 * sets up on its first digest, which faults in 2 MiB of libcrypto and
 * heap for the whole run (measured: a program linked to libcrypto has
 * 3.0 MiB resident after one SHA256_* digest, 5.0 MiB after one EVP
 * digest). They are deprecated in OpenSSL 3 but kept, as the low-level
 * interface to the algorithm. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "core/digest.h"

#include <openssl/sha.h>
#include <string.h>
_Static_assert(sizeof(SHA256_CTX) <= sizeof(((harm__digest *)0)->ctx),
               "harm__digest holds a SHA256_CTX");

static SHA256_CTX *ctx_of(harm__digest *d) {
  return (SHA256_CTX *)(void *)d->ctx;
}

bool harm__digest_begin(harm__digest *d) {
  memset(d, 0, sizeof *d);
  d->started = SHA256_Init(ctx_of(d)) == 1;
  d->failed = !d->started;
  return d->started;
}

void harm__digest_update(harm__digest *d, const void *p, size_t n) {
  if (!d || !d->started || d->failed || !n) {
    return;
  }
  if (SHA256_Update(ctx_of(d), p, n) != 1) {
    d->failed = true;
  }
  d->bytes += n;
}

bool harm__digest_end(harm__digest *d, harm_input_hash *out) {
  memset(out, 0, sizeof *out);
  unsigned char md[SHA256_DIGEST_LENGTH];
  bool ok = d->started && !d->failed && SHA256_Final(md, ctx_of(d)) == 1;
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

void harm__digest_free(harm__digest *d) { d->started = false; }
