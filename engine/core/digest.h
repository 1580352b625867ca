/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/core/digest.h: SHA-256 of an input taken from the very bytes a
 * reader consumes, for the manifest (OpenSSL's SHA-256 behind a small
 * wrapper, so no OpenSSL type reaches a header). Not installed. */
#ifndef HARMRANK_CORE_DIGEST_H
#define HARMRANK_CORE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harmrank/status.h"

/* A running SHA-256. Zero-initialise, then harm__digest_begin. */
typedef struct harm__digest {
  /* OpenSSL's SHA256_CTX (112 bytes), in place: starting a digest
   * allocates nothing. */
  _Alignas(8) unsigned char ctx[128];
  bool started;
  uint64_t bytes;
  bool failed;
} harm__digest;

/* Starts a digest. Returns false when the digest cannot start. */
bool harm__digest_begin(harm__digest *d);

/* Adds bytes (a NULL or failed digest ignores them). */
void harm__digest_update(harm__digest *d, const void *p, size_t n);

/* Finishes into *out (64 hex digits and the byte count). Returns false
 * (out cleared) when the digest failed. */
bool harm__digest_end(harm__digest *d, harm_input_hash *out);

/* Abandons an unfinished digest. */
void harm__digest_free(harm__digest *d);

#endif /* HARMRANK_CORE_DIGEST_H */
