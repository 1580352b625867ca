/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/fuzz/fuzz_offences.c: libFuzzer target for harm_ingest_buffer:
 * the input is an offences CSV, read with strict off and on and with 1
 * and 2 threads; the four reads must agree with each other and the row
 * accounting must add up. */
#include <stdint.h>
#include <stdlib.h>

#include <harmrank.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  harm_accounting first;
  bool have_first = false;
  for (int strict = 0; strict < 2; strict++) {
    for (unsigned threads = 1; threads <= 2; threads++) {
      harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
      o.strict = strict != 0;
      o.threads = threads;
      o.max_field_bytes = 256;
      harm_dataset *ds = NULL;
      harm_error err = HARM_ERROR_INIT;
      harm_status st =
          harm_ingest_buffer("fuzz.csv", data, size, &o, &ds, &err);
      if (st != HARM_OK && ds != NULL) {
        abort(); /* failure must leave *out NULL */
      }
      if (st == HARM_OK) {
        harm_accounting a = harm_dataset_accounting(ds);
        if (a.read != a.kept + a.outside_window + a.future_dated + a.filtered +
                          a.rejected) {
          abort();
        }
        if (!strict) {
          if (!have_first) {
            first = a;
            have_first = true;
          } else if (a.read != first.read || a.kept != first.kept ||
                     a.rejected != first.rejected ||
                     a.outside_window != first.outside_window) {
            abort(); /* thread count changed the result */
          }
        }
        /* Touch every subject and code. */
        for (size_t i = 0; i < harm_dataset_n_subjects(ds); i++) {
          (void)harm_dataset_subject_id(ds, i, NULL);
        }
        for (size_t i = 0; i < harm_dataset_n_codes(ds); i++) {
          (void)harm_dataset_code(ds, i);
        }
      }
      harm_dataset_free(ds);
    }
  }
  return 0;
}
