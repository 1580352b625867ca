/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/fuzz/fuzz_weights.c: libFuzzer target for
 * harm_weights_load_buffer: the input is read as a native table, a CCHI
 * export (both keys, every duplicate rule) and with layout detection; a
 * loaded table must hold only finite harms >= 0 in ascending code order. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <harmrank.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const harm_weights *w) {
  size_t n = harm_weights_count(w);
  for (size_t i = 0; i < n; i++) {
    const harm_weight *e = harm_weights_at(w, i);
    if (!e || !e->code || !isfinite(e->harm) || e->harm < 0) {
      abort();
    }
    if (i && strcmp(harm_weights_at(w, i - 1)->code, e->code) >= 0) {
      abort();
    }
    if (harm_weights_find(w, e->code) != e) {
      abort();
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const harm_weights_format formats[] = {
      HARM_WEIGHTS_AUTO, HARM_WEIGHTS_NATIVE, HARM_WEIGHTS_CCHI};
  for (size_t f = 0; f < 3; f++) {
    for (int key = 0; key < (formats[f] == HARM_WEIGHTS_NATIVE ? 1 : 2);
         key++) {
      for (int rule = 0; rule < 3; rule++) {
        harm_weights_opts o = HARM_WEIGHTS_OPTS_INIT;
        o.format = formats[f];
        o.key = key ? HARM_KEY_ATHENA : HARM_KEY_HO_CLASS;
        o.dup_rule = (harm_dup_rule)rule;
        harm_weights *w = NULL;
        harm_error err = HARM_ERROR_INIT;
        harm_status st =
            harm_weights_load_buffer("fuzz.csv", data, size, &o, &w, &err);
        if ((st == HARM_OK) != (w != NULL)) {
          abort();
        }
        if (w) {
          check(w);
        }
        harm_weights_free(w);
        if (formats[f] == HARM_WEIGHTS_NATIVE) {
          break; /* the rule does not apply */
        }
      }
    }
  }
  return 0;
}
