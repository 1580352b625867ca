/* SPDX-License-Identifier: GPL-3.0-or-later */
/* include/harmrank/pseudonym.h: keyed pseudonyms for person ids, so lists
 * can be shared with researchers without the ids. */
#ifndef HARMRANK_PSEUDONYM_H
#define HARMRANK_PSEUDONYM_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Length of a pseudonym: "PS-" and 20 hex digits (80 bits of
 * HMAC-SHA-256). */
#define HARM_PSEUDONYM_LEN 23

/* Writes the keyed pseudonym of an id: "PS-" + the first 20 hex digits of
 * HMAC-SHA-256(key, id). The same key gives the same pseudonym in every
 * run; without the key it cannot be reversed or recomputed. Returns
 * HARM_OK, HARM_ERR_USAGE (key shorter than 16 bytes) or HARM_ERR_INTERNAL
 * (the crypto library failed). */
harm_status harm_pseudonym(const unsigned char *key, size_t key_len,
                           const char *id, size_t id_len,
                           char out[HARM_PSEUDONYM_LEN + 1]);

/* True when id has the shape harm_pseudonym() writes: "PS-" and 20
 * lower-case hex digits. */
bool harm_pseudonym_shaped(const char *id);

#ifdef __cplusplus
}
#endif

#endif /* HARMRANK_PSEUDONYM_H */
