/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/fuzz/fuzz_parallel.c: libFuzzer target for the parallel offences
 * reader. Fuzz inputs are far below the size at which the reader splits a
 * file (2 MiB), so min_chunk_bytes forces chunks of a few bytes and 2 to 4
 * threads; the result must be identical to one thread: status, the error's
 * line, the row accounting, as_of, every subject and code, every reject
 * (line, column, reason, raw bytes), and the aggregate built from the
 * records (each subject's facts and entries), in strict mode and not.
 * With records_in_parts the parallel read leaves its records in the
 * threads' arrays and the release build reads them there.
 * Subject ids of up to 8 bytes are sorted in the records themselves: the
 * parallel read does it in blocks of 1 to 4 records and ranges of 1 to 4
 * (every pass on every thread), the one-thread read in one block and one
 * range. Byte 0 picks the chunk size (1-64) and the block size, byte 1
 * the thread count, strict mode, records_in_parts and the range size;
 * the rest is the CSV. Aborts on any difference. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <harmrank.h>

#include "core/internal.h"
#include "ingest/loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Everything a read produced, as one byte string to compare. */
typedef struct out {
  char *p;
  size_t len, cap;
} out;

static void put(out *o, const void *s, size_t n) {
  if (o->len + n > o->cap) {
    o->cap = (o->len + n) * 2 + 256;
    o->p = realloc(o->p, o->cap);
    if (!o->p) {
      abort();
    }
  }
  memcpy(o->p + o->len, s, n);
  o->len += n;
}

static void putf(out *o, const char *fmt, unsigned long long a,
                 unsigned long long b) {
  char buf[96];
  int n = snprintf(buf, sizeof buf, fmt, a, b);
  put(o, buf, (size_t)n);
}

static bool on_reject(void *ctx, const harm_reject *r) {
  out *o = ctx;
  putf(o, "reject line %llu raw %llu:", r->line, r->raw_len);
  put(o, r->raw, r->raw_len);
  put(o, "|", 1);
  put(o, r->column, strlen(r->column));
  put(o, "|", 1);
  put(o, r->reason, strlen(r->reason));
  put(o, "\n", 1);
  return true;
}

static out read_csv(const char *csv, size_t len, unsigned threads, size_t chunk,
                    bool strict, bool in_parts) {
  out o = {NULL, 0, 0};
  harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
  io.threads = threads;
  io.min_chunk_bytes = chunk;
  io.strict = strict;
  io.max_field_bytes = 24;
  io.on_reject = on_reject;
  io.reject_ctx = &o;
  io.records_in_parts = in_parts;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  harm_status st = harm_ingest_buffer("fuzz.csv", csv, len, &io, &ds, &err);
  putf(&o, "status %llu line %llu\n", (unsigned long long)st, err.record);
  if (st != HARM_OK) {
    if (ds) {
      abort(); /* failure must leave *out NULL */
    }
    return o;
  }
  harm_accounting a = harm_dataset_accounting(ds);
  if (a.read !=
      a.kept + a.outside_window + a.future_dated + a.filtered + a.rejected) {
    abort();
  }
  putf(&o, "read %llu kept %llu\n", a.read, a.kept);
  putf(&o, "outside %llu future %llu\n", a.outside_window, a.future_dated);
  putf(&o, "filtered %llu rejected %llu\n", a.filtered, a.rejected);
  putf(&o, "as_of %llu lookback %llu\n",
       (unsigned long long)(int64_t)harm_dataset_as_of(ds),
       harm_dataset_lookback_days(ds));
  for (size_t i = 0; i < harm_dataset_n_subjects(ds); i++) {
    size_t n = 0;
    const char *id = harm_dataset_subject_id(ds, i, &n);
    putf(&o, "subject %llu len %llu:", i, n);
    put(&o, id, n);
    put(&o, "\n", 1);
  }
  for (size_t i = 0; i < harm_dataset_n_codes(ds); i++) {
    const char *c = harm_dataset_code(ds, i);
    putf(&o, "code %llu len %llu:", i, strlen(c));
    put(&o, c, strlen(c));
    put(&o, "\n", 1);
  }
  /* The aggregate of the records: records left in parts are read by the
   * release build only. */
  harm_matrix *m = NULL;
  st = in_parts ? harm_matrix_build_release(ds, NULL, &m, &err)
                : harm_matrix_build(ds, NULL, &m, &err);
  putf(&o, "matrix %llu nnz %llu\n", (unsigned long long)st,
       st == HARM_OK ? harm_matrix_nnz(m) : 0);
  for (size_t i = 0; st == HARM_OK && i < harm_matrix_n_subjects(m); i++) {
    harm_subject_facts f = harm_matrix_facts(m, i);
    putf(&o, "facts %llu %llu", f.offences, f.victims);
    putf(&o, " %llu %llu", (unsigned long long)(int64_t)f.first,
         (unsigned long long)(int64_t)f.last);
    putf(&o, " %llu %llu:", (unsigned long long)(int64_t)f.area, i);
    harm_matrix_entry e[8];
    size_t n = harm_matrix_row(m, i, e, 8);
    for (size_t k = 0; k < n && k < 8; k++) {
      putf(&o, " %llu/%llu", e[k].code, e[k].offences);
    }
    put(&o, "\n", 1);
  }
  harm_matrix_free(m);
  harm_dataset_free(ds);
  return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) {
    return 0;
  }
  size_t chunk = 1 + data[0] % 64;
  unsigned threads = 2 + data[1] % 3;
  bool strict = (data[1] & 0x80) != 0;
  bool in_parts = (data[1] & 0x40) != 0;
  const char *csv = (const char *)data + 2;
  size_t len = size - 2;
  harm__ingest_key_block = harm__ingest_key_range = (size_t)1 << 16;
  harm__par_min = 65536;
  out one = read_csv(csv, len, 1, 0, strict, false);
  harm__ingest_key_block = 1 + (size_t)(data[0] >> 6);
  harm__ingest_key_range = 1 + (size_t)((data[1] >> 2) & 3);
  harm__par_min = 1;
  out many = read_csv(csv, len, threads, chunk, strict, in_parts);
  if (one.len != many.len || memcmp(one.p, many.p, one.len) != 0) {
    fprintf(stderr,
            "parallel reader (%u threads, %zu-byte chunks%s%s) differs "
            "from one thread\n--- one thread\n%.*s\n--- parallel\n%.*s\n",
            threads, chunk, strict ? ", strict" : "",
            in_parts ? ", records in parts" : "", (int)one.len, one.p,
            (int)many.len, many.p);
    abort();
  }
  free(one.p);
  free(many.p);
  return 0;
}
