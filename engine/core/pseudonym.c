/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/core/pseudonym.c: keyed pseudonyms for offender ids
 * (HMAC-SHA-256 via OpenSSL), so results can be shared with researchers
 * without the ids, stable across runs with the same key. */
#include <openssl/evp.h>
#include <string.h>

#include "core/internal.h"
#include "harmrank/pseudonym.h"

harm_status harm_pseudonym(const unsigned char *key, size_t key_len,
                           const char *id, size_t id_len,
                           char out[HARM_PSEUDONYM_LEN + 1]) {
  if (!key || key_len < 16) {
    return HARM_ERR_USAGE;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_len,
                 (const unsigned char *)id, id_len, mac, sizeof mac,
                 &mac_len) ||
      mac_len < 10) {
    return HARM_ERR_INTERNAL;
  }
  static const char digits[] = "0123456789abcdef";
  memcpy(out, "PS-", 3);
  for (size_t i = 0; i < 10; i++) {
    out[3 + 2 * i] = digits[mac[i] >> 4];
    out[4 + 2 * i] = digits[mac[i] & 15];
  }
  out[HARM_PSEUDONYM_LEN] = '\0';
  return HARM_OK;
}

bool harm_pseudonym_shaped(const char *id) {
  if (strlen(id) != HARM_PSEUDONYM_LEN || strncmp(id, "PS-", 3) != 0) {
    return false;
  }
  for (size_t i = 3; i < HARM_PSEUDONYM_LEN; i++) {
    char c = id[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}
