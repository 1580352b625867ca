/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/core/hash.h: the 64-bit hash of ids and pooled strings (XXH3),
 * inline: the reader hashes an offence id and a victim id per kept row,
 * and a call into the shared library per id cost more than short ids'
 * hashing itself. Not installed. */
#ifndef HARMRANK_CORE_HASH_H
#define HARMRANK_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* The XXH3 64-bit hash (seed 0) of [p, p + len). */
static inline uint64_t harm__hash(const void *p, size_t len) {
  return XXH3_64bits(p, len);
}

#endif /* HARMRANK_CORE_HASH_H */
