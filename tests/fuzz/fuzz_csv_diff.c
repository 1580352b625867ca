/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/fuzz/fuzz_csv_diff.c: libFuzzer target for the CSV reader's
 * differential property (DESIGN.md §9): the input, fed in blocks chosen
 * from its first bytes, must give identical records with the quote-free
 * fast path on and off. Aborts on any mismatch. Build with
 * -DFUZZ_SKIP_LONE_CR to skip inputs holding a CR not followed by LF, so
 * fuzzing can look past the known lone-CR line-count fault. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz/csv_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Byte 0: field limit; bytes 1-4: block cut points; the rest is CSV. */
  if (size < 5) {
    return 0;
  }
  size_t max_field = data[0] < 16 ? 0 : (size_t)data[0];
  const char *csv = (const char *)data + 5;
  size_t len = size - 5;
#ifdef FUZZ_SKIP_LONE_CR
  for (size_t i = 0; i < len; i++) {
    if (csv[i] == '\r' && (i + 1 == len || csv[i + 1] != '\n')) {
      return 0;
    }
  }
#endif
  size_t cuts[4], n = 0;
  for (int i = 0; i < 4 && len > 1; i++) {
    size_t c = 1 + (size_t)data[1 + i] * (len - 1) / 256;
    if (n == 0 || c > cuts[n - 1]) {
      cuts[n++] = c;
    }
  }
  csvd_log a, b;
  int ra = csvd_read(csv, len, true, max_field, cuts, n, false, &a);
  int rb = csvd_read(csv, len, false, max_field, cuts, n, false, &b);
  if (ra != rb || (ra == 0 && csvd_diff(&a, &b) != SIZE_MAX)) {
    fprintf(stderr, "fast path and libcsv differ on: ");
    csvd_print_input(stderr, csv, len);
    csvd_dump(stderr, "fast path", &a);
    csvd_dump(stderr, "libcsv", &b);
    abort();
  }
  csvd_log_free(&a);
  csvd_log_free(&b);
  return 0;
}
