/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/core/digest.h: SHA-256 of an input taken from the very bytes a
 * reader consumes, for the manifest (OpenSSL EVP behind a small wrapper,
 * so no OpenSSL type reaches a header). Not installed. */
#ifndef HARMRANK_CORE_DIGEST_H
#define HARMRANK_CORE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harmrank/status.h"

/* A running SHA-256. Zero-initialise, then harm__digest_begin. */
typedef struct harm__digest {
  void *ctx; /* EVP_MD_CTX */
  uint64_t bytes;
  bool failed;
} harm__digest;

/* Starts a digest. Returns false when out of memory. */
bool harm__digest_begin(harm__digest *d);

/* Adds bytes (a NULL or failed digest ignores them). */
void harm__digest_update(harm__digest *d, const void *p, size_t n);

/* Finishes into *out (64 hex digits and the byte count) and frees the
 * context. Returns false (out cleared) when the digest failed. */
bool harm__digest_end(harm__digest *d, harm_input_hash *out);

/* Frees an unfinished digest. */
void harm__digest_free(harm__digest *d);

#endif /* HARMRANK_CORE_DIGEST_H */
