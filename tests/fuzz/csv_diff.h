/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/fuzz/csv_diff.h: the differential property of the CSV reader,
 * shared by tests/unit/test_csv_differential.c and the fuzz target
 * fuzz_csv_diff.c: one input, fed in blocks, read with the quote-free fast
 * path on and with libcsv only, must give the same record sequence (line,
 * raw bytes, fields, error presence and field, raw cut). Header-only:
 * every function is static so each includer gets its own copy. */
#ifndef HARMRANK_TESTS_CSV_DIFF_H
#define HARMRANK_TESTS_CSV_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csvread.h"

/* A growable byte buffer holding the serialised records of one read. */
typedef struct csvd_log {
  unsigned char *p;
  size_t len, cap;
  size_t n_records;
  bool nomem;
  bool no_raw; /* leave raw bytes out of the comparison */
} csvd_log;

static void csvd_put(csvd_log *l, const void *p, size_t n) {
  if (l->nomem) {
    return;
  }
  if (l->len + n > l->cap) {
    size_t cap = l->cap ? l->cap : 1024;
    while (cap < l->len + n) {
      cap *= 2;
    }
    unsigned char *q = realloc(l->p, cap);
    if (!q) {
      l->nomem = true;
      return;
    }
    l->p = q;
    l->cap = cap;
  }
  if (n) {
    memcpy(l->p + l->len, p, n);
  }
  l->len += n;
}

static void csvd_put_size(csvd_log *l, size_t v) {
  uint64_t x = v;
  csvd_put(l, &x, sizeof x);
}

/* Record layout: line, error flag, error field, raw cut flag, raw length,
 * raw bytes, field count, then each field's length and bytes. */
static bool csvd_on_record(void *ctx, const harm__csv_record *rec) {
  csvd_log *l = ctx;
  csvd_put_size(l, rec->line);
  csvd_put_size(l, rec->error != NULL);
  csvd_put_size(l, rec->error ? rec->error_field : 0);
  csvd_put_size(l, l->no_raw ? 0 : rec->raw_truncated);
  csvd_put_size(l, l->no_raw ? 0 : rec->raw_len);
  csvd_put(l, rec->raw, l->no_raw ? 0 : rec->raw_len);
  csvd_put_size(l, rec->n_fields);
  for (size_t i = 0; i < rec->n_fields; i++) {
    csvd_put_size(l, rec->fields[i].len);
    csvd_put(l, rec->fields[i].p, rec->fields[i].len);
  }
  l->n_records++;
  return true;
}

/* Reads `data` with a fresh reader, the fast path on or off, cutting the
 * input after each offset in cuts[0..n_cuts) (ascending, < len); with
 * no_raw the raw bytes are not logged. Returns 0, or -1 when the reader
 * reported something other than HARM_OK. */
static int csvd_read(const char *data, size_t len, bool fast, size_t max_field,
                     const size_t *cuts, size_t n_cuts, bool no_raw,
                     csvd_log *log) {
  memset(log, 0, sizeof *log);
  log->no_raw = no_raw;
  harm__csv_reader *r = NULL;
  if (harm__csv_reader_new(max_field, csvd_on_record, log, &r) != HARM_OK) {
    return -1;
  }
  harm__csv_set_fast(r, fast);
  size_t at = 0;
  harm_status st = HARM_OK;
  for (size_t i = 0; i <= n_cuts && st == HARM_OK; i++) {
    size_t to = i < n_cuts ? cuts[i] : len;
    if (to < at) {
      to = at;
    }
    if (to > at) {
      st = harm__csv_feed(r, data + at, to - at);
    }
    at = to;
  }
  if (st == HARM_OK) {
    st = harm__csv_finish(r);
  }
  harm__csv_reader_free(r);
  return st == HARM_OK && !log->nomem ? 0 : -1;
}

static void csvd_log_free(csvd_log *l) {
  free(l->p);
  memset(l, 0, sizeof *l);
}

/* Offset of the first differing byte of two logs, or SIZE_MAX if equal. */
static size_t csvd_diff(const csvd_log *a, const csvd_log *b) {
  size_t n = a->len < b->len ? a->len : b->len;
  for (size_t i = 0; i < n; i++) {
    if (a->p[i] != b->p[i]) {
      return i;
    }
  }
  return a->len == b->len ? SIZE_MAX : n;
}

/* Prints a log record by record, for failure messages. */
static void csvd_dump(FILE *fp, const char *title, const csvd_log *l) {
  fprintf(fp, "--- %s (%zu records) ---\n", title, l->n_records);
  size_t at = 0;
  uint64_t v[5];
  while (at + sizeof v <= l->len) {
    memcpy(v, l->p + at, sizeof v);
    at += sizeof v;
    fprintf(fp, "line %llu err %llu@%llu cut %llu raw[%llu] \"",
            (unsigned long long)v[0], (unsigned long long)v[1],
            (unsigned long long)v[2], (unsigned long long)v[3],
            (unsigned long long)v[4]);
    for (uint64_t i = 0; i < v[4] && at + i < l->len; i++) {
      unsigned char c = l->p[at + i];
      if (i == 80) {
        fputs("...", fp);
        break;
      }
      if (c >= 0x20 && c < 0x7f && c != '\\') {
        fputc(c, fp);
      } else {
        fprintf(fp, "\\x%02x", c);
      }
    }
    at += (size_t)v[4];
    uint64_t nf;
    if (at + sizeof nf > l->len) {
      break;
    }
    memcpy(&nf, l->p + at, sizeof nf);
    at += sizeof nf;
    fprintf(fp, "\" fields %llu:", (unsigned long long)nf);
    for (uint64_t f = 0; f < nf && at + 8 <= l->len; f++) {
      uint64_t fl;
      memcpy(&fl, l->p + at, sizeof fl);
      at += sizeof fl;
      fputs(" [", fp);
      for (uint64_t i = 0; i < fl && at + i < l->len && i < 40; i++) {
        unsigned char c = l->p[at + i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
          fputc(c, fp);
        } else {
          fprintf(fp, "\\x%02x", c);
        }
      }
      fputs(fl > 40 ? "...]" : "]", fp);
      at += (size_t)fl;
    }
    fputc('\n', fp);
  }
}

/* Prints an input escaped, for failure messages. */
static void csvd_print_input(FILE *fp, const char *data, size_t len) {
  fputc('"', fp);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)data[i];
    if (i == 2000) {
      fputs("...", fp);
      break;
    }
    if (c == '\n') {
      fputs("\\n", fp);
    } else if (c == '\r') {
      fputs("\\r", fp);
    } else if (c == '"') {
      fputs("\\\"", fp);
    } else if (c >= 0x20 && c < 0x7f && c != '\\') {
      fputc(c, fp);
    } else {
      fprintf(fp, "\\x%02x", c);
    }
  }
  fprintf(fp, "\" (%zu bytes)\n", len);
}

#endif /* HARMRANK_TESTS_CSV_DIFF_H */
