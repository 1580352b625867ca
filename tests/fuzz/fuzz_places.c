/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/fuzz/fuzz_places.c: libFuzzer target for the parallel offences
 * reader with the place roles (read_places) and the previous period kept
 * aside (previous_days). As fuzz_parallel, tiny chunks and 2 to 4 threads
 * must give what one thread gives; here the comparison also covers every
 * record (date, subject, code, area, place and place type, compared as
 * strings, offence and victim hashes), every previous-period record (its
 * code from prev_codes, its place and type), the place and place type
 * dictionaries and the row accounting. It also aborts when the dataset
 * breaks what ingest.h promises: the accounting identity, records inside
 * the window and previous-period records inside the previous period.
 * Byte 0 picks the chunk size (1-64), byte 1 the thread count and strict
 * mode, byte 2 the options (see opts_of); the rest is the CSV. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <harmrank.h>

/* The dataset's layout, for the places and the previous period, which
 * have no public accessor. */
#include "ingest/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

static void puts_pool(out *o, const char *tag, const harm__strpool *sp,
                      uint32_t i) {
  put(o, tag, strlen(tag));
  if (i == HARM__NO_PLACE) {
    put(o, "<none>", 6);
    return;
  }
  if (i >= sp->n) {
    abort(); /* an index past its dictionary */
  }
  size_t len = 0;
  const char *s = harm__strpool_get(sp, i, &len);
  putf(o, "%llu:", len, 0);
  put(o, s, len);
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

/* Options chosen by byte 2. */
typedef struct fopts {
  bool read_places;
  uint32_t lookback, previous;
  harm_date as_of;
  bool filter_type, filter_area;
} fopts;

static const char *const type_values[] = {"pub", "hotel"};
static const char *const area_values[] = {"North"};

static fopts opts_of(uint8_t b) {
  static const uint32_t lookbacks[4] = {0, 1, 30, 365};
  fopts f;
  f.read_places = (b & 1) != 0;
  f.lookback = lookbacks[(b >> 1) & 3];
  switch ((b >> 3) & 3) {
  case 0:
    f.previous = 0;
    break;
  case 1:
    f.previous = 1;
    break;
  case 2:
    f.previous = 30;
    break;
  default:
    f.previous = f.lookback; /* what `harmrank places` asks for */
  }
  /* 2024-06-30 or the latest date in the file. */
  f.as_of = (b & 0x20) ? 19904 : HARM_DATE_NONE;
  f.filter_type = (b & 0x40) != 0;
  f.filter_area = (b & 0x80) != 0;
  return f;
}

static void put_rec(out *o, const harm_dataset *ds, const char *what,
                    const harm__rec *r, const harm__place_ref *pr,
                    const harm__strpool *codes, bool subject) {
  put(o, what, strlen(what));
  putf(o, " date %llu", (unsigned long long)(int64_t)r->date, 0);
  puts_pool(o, " area=", &ds->areas,
            r->area != HARM__REC_NO_AREA ? (uint32_t)r->area : HARM__NO_PLACE);
  if (subject) {
    puts_pool(o, " subject=", &ds->subjects, r->subject);
  }
  puts_pool(o, " code=", codes, r->code);
  putf(o, " offence %llx victim %llx", r->offence, r->victim);
  if (pr) {
    puts_pool(o, " place=", &ds->places, pr->place);
    puts_pool(o, " type=", &ds->place_types, pr->type);
  }
  put(o, "\n", 1);
}

static out read_csv(const char *csv, size_t len, unsigned threads, size_t chunk,
                    bool strict, const fopts *f) {
  out o = {NULL, 0, 0};
  harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
  io.threads = threads;
  io.min_chunk_bytes = chunk;
  io.strict = strict;
  io.max_field_bytes = 24;
  io.on_reject = on_reject;
  io.reject_ctx = &o;
  io.read_places = f->read_places;
  io.lookback_days = f->lookback;
  io.previous_days = f->previous;
  io.as_of = f->as_of;
  /* Fuzz inputs are tiny: the checks that stop a wrong list would stop
   * most of them; they are fuzzed by fuzz_parallel. */
  io.max_reject_share = 2.0;
  harm_filter filters[2];
  size_t nf = 0;
  if (f->filter_type) {
    filters[nf++] = (harm_filter){"place_type", type_values, 2};
  }
  if (f->filter_area) {
    filters[nf++] = (harm_filter){"area", area_values, 1};
  }
  io.filters = nf ? filters : NULL;
  io.n_filters = nf;
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
  if (a.kept != ds->n_recs) {
    abort();
  }
  putf(&o, "read %llu kept %llu\n", a.read, a.kept);
  putf(&o, "outside %llu future %llu\n", a.outside_window, a.future_dated);
  putf(&o, "filtered %llu rejected %llu\n", a.filtered, a.rejected);
  harm_date as_of = harm_dataset_as_of(ds);
  uint32_t lb = harm_dataset_lookback_days(ds);
  putf(&o, "as_of %llu lookback %llu\n", (unsigned long long)(int64_t)as_of,
       lb);
  /* The window is the one asked for, whatever was read. */
  if (lb != f->lookback) {
    abort();
  }
  putf(&o, "has place %llu type %llu\n", ds->has_place, ds->has_place_type);
  if (!f->read_places && (ds->has_place || ds->has_place_type || ds->pref ||
                          ds->prev_pref || ds->places.n)) {
    abort();
  }
  if (ds->n_recs && (ds->has_place || ds->has_place_type) && !ds->pref) {
    abort();
  }
  for (size_t i = 0; i < harm_dataset_n_subjects(ds); i++) {
    puts_pool(&o, "subject ", &ds->subjects, (uint32_t)i);
    put(&o, "\n", 1);
  }
  for (size_t i = 0; i < harm_dataset_n_codes(ds); i++) {
    puts_pool(&o, "code ", &ds->codes, (uint32_t)i);
    put(&o, "\n", 1);
  }
  for (uint32_t i = 0; i < ds->areas.n; i++) {
    puts_pool(&o, "area ", &ds->areas, i);
    put(&o, "\n", 1);
  }
  for (uint32_t i = 0; i < ds->places.n; i++) {
    puts_pool(&o, "place ", &ds->places, i);
    put(&o, "\n", 1);
  }
  for (uint32_t i = 0; i < ds->place_types.n; i++) {
    puts_pool(&o, "place_type ", &ds->place_types, i);
    put(&o, "\n", 1);
  }
  /* Window: as_of - lookback < date <= as_of; previous period:
   * as_of - lookback - previous < date <= as_of - lookback. */
  int64_t lo = lb ? (int64_t)as_of - lb : INT64_MIN;
  int64_t plo = lb ? lo - f->previous : INT64_MIN;
  for (size_t i = 0; i < ds->n_recs; i++) {
    const harm__rec *r = &ds->recs[i];
    if (r->date > as_of || r->date <= lo) {
      abort(); /* a record outside the window */
    }
    put_rec(&o, ds, "rec", r, ds->pref ? &ds->pref[i] : NULL, &ds->codes, true);
  }
  putf(&o, "prev %llu\n", ds->n_prev, 0);
  if (ds->n_prev && (!lb || !f->previous)) {
    abort(); /* a previous period nobody asked for */
  }
  if (ds->n_prev && (ds->has_place || ds->has_place_type) && !ds->prev_pref) {
    abort();
  }
  for (size_t i = 0; i < ds->n_prev; i++) {
    const harm__rec *r = &ds->prev[i];
    if (r->date > lo || r->date <= plo) {
      abort(); /* a previous-period record outside its period */
    }
    put_rec(&o, ds, "prev", r, ds->prev_pref ? &ds->prev_pref[i] : NULL,
            &ds->prev_codes, false);
  }
  harm_dataset_free(ds);
  return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3) {
    return 0;
  }
  size_t chunk = 1 + data[0] % 64;
  unsigned threads = 2 + data[1] % 3;
  bool strict = (data[1] & 0x80) != 0;
  fopts f = opts_of(data[2]);
  const char *csv = (const char *)data + 3;
  size_t len = size - 3;
  out one = read_csv(csv, len, 1, 0, strict, &f);
  out many = read_csv(csv, len, threads, chunk, strict, &f);
  if (one.len != many.len || memcmp(one.p, many.p, one.len) != 0) {
    fprintf(stderr,
            "parallel reader (%u threads, %zu-byte chunks%s, options 0x%02x) "
            "differs from one thread\n--- one thread\n%.*s\n--- parallel\n"
            "%.*s\n",
            threads, chunk, strict ? ", strict" : "", data[2], (int)one.len,
            one.p, (int)many.len, many.p);
    abort();
  }
  free(one.p);
  free(many.p);
  return 0;
}
