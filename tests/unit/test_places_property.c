/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/test_places_property.c: a property test of `harmrank places`
 * after the one read. 150 seeded random offence files (a handful of places,
 * blank places, place types, two offenders on one offence, duplicate rows,
 * dates in the window, the previous period, before it and after as_of,
 * filters on place_type or area) go through the public API as the places
 * command runs it (harm_run_new with read_places and previous_days =
 * lookback, then harm_places_new), at 1 and 2 threads, and are compared
 * with a slow reference written here: per place, harm = the sum of the
 * table weight over distinct (offence id, code) at the place (the random
 * configuration has no cap, transform or decay), crimes and offenders
 * distinct ids, the previous period likewise, harm spots by mean + 2
 * population SD (exact integer arithmetic), persistence, the rank order
 * and the row accounting. The same files are also read with tiny chunks
 * at 2 threads, whose accounting must match the reference. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <harmrank.h>
#include "support.h"

enum {
  N_CASES = 150,
  MAX_ROWS = 400,
  MAX_CSV = 1 << 16,
  UNITS_PER_MILLI = 1000 /* engine units (1e-6 day) per 1e-3 day */
};

/* ---- PRNG: splitmix64 (Steele, Lea, Flood 2014), fixed seed ---------- */

static uint64_t rng_state;

static uint64_t splitmix64(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static unsigned rnd(unsigned n) { return (unsigned)(splitmix64() % n); }

/* Days since 1970-01-01 to YYYY-MM-DD (H. Hinnant's algorithm), written
 * here so the test does not use the engine's calendar. */
static void iso_date(int32_t z, char buf[11]) {
  z += 719468;
  int era = (z >= 0 ? z : z - 146096) / 146097;
  int doe = z - era * 146097;
  int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int mp = (5 * doy + 2) / 153;
  int d = doy - (153 * mp + 2) / 5 + 1;
  int m = mp + (mp < 10 ? 3 : -9);
  int y = yoe + era * 400 + (m <= 2);
  char tmp[40];
  snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", y, m, d);
  memcpy(buf, tmp, 10);
  buf[10] = '\0';
}

/* 2024-06-30 as days since the epoch: 54 years from 1970 hold 13 leap
 * days (1972 .. 2020), and 2024-01-01 .. 06-30 is day 181 of a leap
 * year: 54 x 365 + 13 + 181. */
static const int32_t AS_OF = 54 * 365 + 13 + 181;

/* ---- The weights table (days; milli-days for exact sums) ------------- */

typedef struct wdef {
  const char *code;
  const char *harm_text;
  int64_t milli; /* harm in thousandths of a day */
  bool proactive;
} wdef;

static const wdef WT[] = {
    {"008/06", "17.25", 17250, false}, {"028/01", "2.385", 2385, false},
    {"030/03", "0", 0, false},         {"034/01", "365", 365000, false},
    {"092/07", "4.5", 4500, true},     {"120/00", "34.5", 34500, false},
};
enum { N_WT = sizeof WT / sizeof WT[0] };

/* Place names (one with a comma, written quoted), their usual type, and
 * "" = a blank place cell. Bytewise order is not the array's. The flats
 * R1..R7 see burglaries only, so that the few places with violence stand
 * out as harm spots (with k places of distinct harm none can be a spot
 * unless k >= 6: the largest z-score is sqrt(k - 1)). */
static const char *const PLACES[] = {
    "A Hotel", "B Arms", "C Cafe", "D Flat", "Flat 2, Mill Lane",
    "R1",      "R2",     "R3",     "R4",     "R5",
    "R6",      "R7",     ""};
static const char *const PTYPES[] = {"hotel",
                                     "pub",
                                     "cafe",
                                     "residential",
                                     "residential",
                                     "residential",
                                     "residential",
                                     "residential",
                                     "residential",
                                     "residential",
                                     "residential",
                                     "residential",
                                     ""};
enum { FIRST_FLAT = 5 };
static const char *const OTHER_TYPES[] = {"pub", "hotel", "", "takeaway"};
enum { N_PLACES = sizeof PLACES / sizeof PLACES[0] };

/* ---- Generated cases -------------------------------------------------- */

typedef struct prow {
  char oid[16];
  char offender[8];
  const wdef *w;
  int32_t date;
  bool bad_date; /* written as 2024-02-30: rejected */
  char victim[8];
  const char *place;
  const char *ptype;
  const char *area;
} prow;

typedef enum filter_kind { F_NONE, F_TYPE, F_AREA } filter_kind;

typedef struct pcase {
  prow rows[MAX_ROWS];
  size_t n;
  uint32_t lookback;
  bool explicit_as_of;
  filter_kind filter;
  char csv[MAX_CSV];
  size_t csv_len;
} pcase;

/* A date in period k: 0 the window, 1 the previous period, 2 the period
 * before it, 3 after as_of; the edges of each period come up often. */
static int32_t date_in(int k, uint32_t L) {
  int32_t hi = k == 3 ? AS_OF + 10 : AS_OF - (int32_t)(L * (uint32_t)k);
  int32_t lo = k == 3 ? AS_OF + 1 : hi - (int32_t)L + 1;
  switch (rnd(6)) {
  case 0:
    return hi;
  case 1:
    return lo;
  default:
    return lo + (int32_t)rnd((unsigned)(hi - lo + 1));
  }
}

static void add_row(pcase *c, const char *oid, const char *offender,
                    const wdef *w, int32_t date, const char *victim,
                    const char *place, const char *ptype, const char *area) {
  cr_assert_lt(c->n, MAX_ROWS);
  prow *r = &c->rows[c->n++];
  memset(r, 0, sizeof *r);
  snprintf(r->oid, sizeof r->oid, "%s", oid);
  snprintf(r->offender, sizeof r->offender, "%s", offender);
  snprintf(r->victim, sizeof r->victim, "%s", victim);
  r->w = w;
  r->date = date;
  r->place = place;
  r->ptype = ptype;
  r->area = area;
}

static void gen_case(pcase *c) {
  memset(c, 0, sizeof *c);
  static const uint32_t lookbacks[] = {28, 61, 90};
  c->lookback = lookbacks[rnd(3)];
  c->explicit_as_of = rnd(2) == 0;
  c->filter = (filter_kind)rnd(3);
  unsigned n_off = 20 + rnd(50);
  for (unsigned o = 0; o < n_off; o++) {
    char oid[16];
    snprintf(oid, sizeof oid, "CR%u", 100 + o);
    /* The first two offences carry every filter value, so that no
     * filter value matches no row (a check that stops the run). */
    size_t pl = o == 0 ? 0 : o == 1 ? 1 : rnd(4) == 0 ? 0 : rnd(N_PLACES);
    int period = rnd(10) < 4 ? 0 : rnd(10) < 6 ? 1 : 2;
    if (c->explicit_as_of && rnd(12) == 0) {
      period = 3;
    }
    int32_t date = date_in(period, c->lookback);
    const char *area = o == 0 || rnd(3) ? "North" : rnd(2) ? "South" : "";
    char victim[8] = "";
    if (rnd(4)) {
      snprintf(victim, sizeof victim, "V%u", rnd(12));
    }
    unsigned n_offenders = rnd(4) == 0 ? 2 : 1;
    unsigned first = rnd(9);
    unsigned n_codes = rnd(5) == 0 ? 2 : 1;
    const wdef *codes[2];
    codes[0] = &WT[rnd(N_WT)];
    codes[1] = &WT[rnd(N_WT)];
    if (pl == 0 && rnd(2) == 0) {
      codes[0] = &WT[3]; /* robbery at the hotel: a spot in both periods */
    }
    if (pl >= FIRST_FLAT && PLACES[pl][0]) {
      codes[0] = &WT[1 + rnd(2)]; /* burglary, or the zero-harm code */
      n_codes = 1;
    }
    if (n_codes == 2 && codes[1] == codes[0]) {
      n_codes = 1;
    }
    for (unsigned k = 0; k < n_offenders; k++) {
      char offender[8];
      snprintf(offender, sizeof offender, "O%u", (first + k * 4) % 9 + 1);
      for (unsigned j = 0; j < n_codes; j++) {
        const char *ptype = PTYPES[pl];
        if (o > 1 && rnd(6) == 0) {
          ptype = OTHER_TYPES[rnd(4)];
        }
        add_row(c, oid, offender, codes[j], date, victim, PLACES[pl], ptype,
                area);
        /* A duplicate of the row at the same place, on the same date or
         * (to tell the earliest copy) another date of the same period;
         * never of a proactive code (filtered, not a duplicate). */
        if (!codes[j]->proactive && rnd(5) == 0) {
          int32_t d2 = rnd(3) == 0 ? date_in(period, c->lookback) : date;
          add_row(c, oid, offender, codes[j], d2, victim, PLACES[pl], ptype,
                  area);
        }
      }
    }
  }
  /* A row or two with an impossible date: rejected. */
  for (unsigned k = rnd(3); k > 0; k--) {
    add_row(c, "CR999", "O1", &WT[0], AS_OF, "", PLACES[0], "hotel", "North");
    c->rows[c->n - 1].bad_date = true;
  }
  /* Shuffle the rows (Fisher-Yates): the file is in no order. */
  for (size_t i = c->n; i > 1; i--) {
    size_t j = rnd((unsigned)i);
    prow t = c->rows[i - 1];
    c->rows[i - 1] = c->rows[j];
    c->rows[j] = t;
  }
  /* The CSV. */
  size_t len = (size_t)snprintf(c->csv, MAX_CSV,
                                "offence_id,offender_id,offence_code,"
                                "offence_date,victim_id,place,place_type,"
                                "area\n");
  for (size_t i = 0; i < c->n; i++) {
    const prow *r = &c->rows[i];
    char date[11];
    iso_date(r->date, date);
    bool quote = strchr(r->place, ',') != NULL;
    len += (size_t)snprintf(
        c->csv + len, MAX_CSV - len, "%s,%s,%s,%s,%s,%s%s%s,%s,%s\n", r->oid,
        r->offender, r->w->code, r->bad_date ? "2024-02-30" : date, r->victim,
        quote ? "\"" : "", r->place, quote ? "\"" : "", r->ptype, r->area);
    cr_assert_lt(len, MAX_CSV);
  }
  c->csv_len = len;
}

/* ---- The reference ----------------------------------------------------- */

typedef struct rplace {
  const char *name;
  int64_t milli;      /* current-period harm, thousandths of a day */
  int64_t prev_milli; /* previous period */
  bool seen, prev_seen;
  uint32_t crimes, offenders, victims;
  int32_t last;
  const char *type;
  bool spot, prev_spot;
} rplace;

typedef struct reference {
  int32_t as_of;
  harm_accounting acct;
  uint64_t rows_no_place;
  uint64_t kept; /* in window, passed ingest filters (before dedupe) */
  rplace places[N_PLACES];
  size_t order[N_PLACES]; /* ranked places (indices into places) */
  size_t n_ranked;
  size_t n_with_harm, n_spots, prev_n_spots, n_persistent;
} reference;

static bool passes(const pcase *c, const prow *r) {
  switch (c->filter) {
  case F_TYPE:
    return strcmp(r->ptype, "pub") == 0 || strcmp(r->ptype, "hotel") == 0;
  case F_AREA:
    return strcmp(r->area, "North") == 0;
  default:
    return true;
  }
}

/* Whether row i is the first of rows[0..i) with the same key; key 1:
 * (offence, code) at one place; key 2: (offence, offender, code); key 3:
 * offence at one place; key 4: offender at one place; key 5: victim at
 * one place. Only rows with in[j] count. */
static bool first_of(const pcase *c, const bool *in, size_t i, int key) {
  const prow *a = &c->rows[i];
  for (size_t j = 0; j < i; j++) {
    const prow *b = &c->rows[j];
    if (!in[j]) {
      continue;
    }
    bool same_place = strcmp(a->place, b->place) == 0;
    bool same;
    switch (key) {
    case 1:
      same = same_place && strcmp(a->oid, b->oid) == 0 && a->w == b->w;
      break;
    case 2:
      same = strcmp(a->oid, b->oid) == 0 &&
             strcmp(a->offender, b->offender) == 0 && a->w == b->w;
      break;
    case 3:
      same = same_place && strcmp(a->oid, b->oid) == 0;
      break;
    case 4:
      same = same_place && strcmp(a->offender, b->offender) == 0;
      break;
    default:
      same = same_place && strcmp(a->victim, b->victim) == 0;
    }
    if (same) {
      return false;
    }
  }
  return true;
}

/* The earliest date among rows with in[] of crime (offence, code) at the
 * place of row i. */
static int32_t earliest_copy(const pcase *c, const bool *in, size_t i) {
  const prow *a = &c->rows[i];
  int32_t d = a->date;
  for (size_t j = 0; j < c->n; j++) {
    const prow *b = &c->rows[j];
    if (in[j] && strcmp(a->place, b->place) == 0 &&
        strcmp(a->oid, b->oid) == 0 && a->w == b->w && b->date < d) {
      d = b->date;
    }
  }
  return d;
}

static size_t place_index(const char *name) {
  for (size_t p = 0; p < N_PLACES; p++) {
    if (strcmp(PLACES[p], name) == 0) {
      return p;
    }
  }
  cr_assert_fail("place %s", name);
  return 0;
}

/* Harm spot by exact integer arithmetic over thousandths of a day: with
 * k places of harm h_i > 0, S = sum h_i, Q = sum h_i^2, h is a spot when
 * h >= S/k + 2 sqrt(Q/k - (S/k)^2), i.e. kh - S >= 0 and
 * (kh - S)^2 >= 4 (kQ - S^2). */
static void mark_spots(rplace *pl, bool prev, size_t *n_with) {
  int64_t k = 0, S = 0, Q = 0;
  for (size_t p = 0; p < N_PLACES; p++) {
    int64_t h = prev ? pl[p].prev_milli : pl[p].milli;
    if (h > 0) {
      k++;
      S += h;
      Q += h * h;
    }
  }
  *n_with = (size_t)k;
  for (size_t p = 0; p < N_PLACES; p++) {
    int64_t h = prev ? pl[p].prev_milli : pl[p].milli;
    int64_t d = k * h - S;
    bool spot = h > 0 && d >= 0 && d * d >= 4 * (k * Q - S * S);
    if (prev) {
      pl[p].prev_spot = spot;
    } else {
      pl[p].spot = spot;
    }
  }
}

/* Documented total order: harm desc, latest crime date desc, crimes
 * desc, place id bytewise asc. */
static bool ranks_before(const rplace *a, const rplace *b) {
  if (a->milli != b->milli) {
    return a->milli > b->milli;
  }
  if (a->last != b->last) {
    return a->last > b->last;
  }
  if (a->crimes != b->crimes) {
    return a->crimes > b->crimes;
  }
  return strcmp(a->name, b->name) < 0;
}

static void reference_compute(const pcase *c, reference *ref) {
  memset(ref, 0, sizeof *ref);
  const uint32_t L = c->lookback;
  /* as_of: given, or the latest valid date read (filtered rows too). */
  ref->as_of = AS_OF;
  if (!c->explicit_as_of) {
    ref->as_of = INT32_MIN;
    for (size_t i = 0; i < c->n; i++) {
      if (!c->rows[i].bad_date && c->rows[i].date > ref->as_of) {
        ref->as_of = c->rows[i].date;
      }
    }
  }
  const int32_t lo = ref->as_of - (int32_t)L;      /* window: lo < d */
  const int32_t plo = ref->as_of - 2 * (int32_t)L; /* previous: plo < d */
  bool cur[MAX_ROWS], prev[MAX_ROWS], scored[MAX_ROWS], any[MAX_ROWS];
  harm_accounting *a = &ref->acct;
  for (size_t i = 0; i < c->n; i++) {
    const prow *r = &c->rows[i];
    cur[i] = prev[i] = scored[i] = any[i] = false;
    a->read++;
    if (r->bad_date) {
      a->rejected++;
    } else if (r->date > ref->as_of) {
      a->future_dated++;
    } else if (r->date <= lo) {
      /* Outside the window, the previous period's rows included, whether
       * they pass the filter or not. */
      a->outside_window++;
      prev[i] = r->date > plo && passes(c, r);
      any[i] = prev[i];
    } else if (!passes(c, r)) {
      a->filtered++;
    } else {
      ref->kept++;
      any[i] = true;
      if (r->w->proactive) {
        a->filtered++; /* exclude_proactive, on by default */
      } else {
        cur[i] = true;
      }
    }
  }
  /* Offender dedupe: (offence, offender, code) once. */
  for (size_t i = 0; i < c->n; i++) {
    if (cur[i]) {
      scored[i] = first_of(c, cur, i, 2);
      if (scored[i]) {
        a->scored++;
        ref->rows_no_place += c->rows[i].place[0] == '\0';
      } else {
        a->duplicates++;
      }
    }
  }
  /* Per place: the current period (cur), the previous period (prev,
   * proactive codes left out as in the window). */
  for (size_t p = 0; p < N_PLACES; p++) {
    rplace *pl = &ref->places[p];
    pl->name = PLACES[p];
    pl->last = INT32_MIN;
    pl->type = "";
  }
  bool prevk[MAX_ROWS];
  for (size_t i = 0; i < c->n; i++) {
    prevk[i] = prev[i] && !c->rows[i].w->proactive;
  }
  for (size_t i = 0; i < c->n; i++) {
    const prow *r = &c->rows[i];
    if (r->place[0] == '\0') {
      continue;
    }
    rplace *pl = &ref->places[place_index(r->place)];
    if (cur[i]) {
      pl->seen = true;
      if (first_of(c, cur, i, 1)) {
        pl->milli += r->w->milli;
        int32_t d = earliest_copy(c, cur, i);
        pl->last = d > pl->last ? d : pl->last;
      }
      pl->crimes += first_of(c, cur, i, 3);
      pl->offenders += first_of(c, cur, i, 4);
      pl->victims += r->victim[0] && first_of(c, cur, i, 5);
    }
    if (prevk[i]) {
      pl->prev_seen = true;
      if (first_of(c, prevk, i, 1)) {
        pl->prev_milli += r->w->milli;
      }
    }
  }
  /* Place type: most frequent over both periods' rows that passed the
   * filters (any code, duplicates too); ties bytewise smallest. */
  for (size_t p = 0; p < N_PLACES; p++) {
    size_t best = 0;
    for (size_t i = 0; i < c->n; i++) {
      const prow *r = &c->rows[i];
      if (!any[i] || strcmp(r->place, PLACES[p]) != 0 || !r->ptype[0]) {
        continue;
      }
      size_t cnt = 0;
      for (size_t j = 0; j < c->n; j++) {
        cnt += any[j] && strcmp(c->rows[j].place, PLACES[p]) == 0 &&
               strcmp(c->rows[j].ptype, r->ptype) == 0;
      }
      if (cnt > best ||
          (cnt == best && strcmp(r->ptype, ref->places[p].type) < 0)) {
        best = cnt;
        ref->places[p].type = r->ptype;
      }
    }
  }
  mark_spots(ref->places, false, &ref->n_with_harm);
  size_t unused;
  mark_spots(ref->places, true, &unused);
  for (size_t p = 0; p < N_PLACES; p++) {
    const rplace *pl = &ref->places[p];
    if (!pl->seen) {
      continue;
    }
    /* Insertion by the total order. */
    size_t j = ref->n_ranked++;
    while (j > 0 && ranks_before(pl, &ref->places[ref->order[j - 1]])) {
      ref->order[j] = ref->order[j - 1];
      j--;
    }
    ref->order[j] = p;
    ref->n_spots += pl->spot;
    ref->n_persistent += pl->spot && pl->prev_spot;
  }
  for (size_t p = 0; p < N_PLACES; p++) {
    ref->prev_n_spots += ref->places[p].prev_spot;
  }
}

/* ---- Running the engine ----------------------------------------------- */

static char tmpdir[64];

static void write_file(const char *path, const char *text, size_t len) {
  FILE *fp = fopen(path, "wb");
  cr_assert_not_null(fp, "%s: %s", path, strerror(errno));
  cr_assert_eq(fwrite(text, 1, len, fp), len);
  cr_assert_eq(fclose(fp), 0);
}

static void setup_dir(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/harmrank-placeprop-XXXXXX");
  test_mkdtemp(tmpdir);
  char text[1024], path[128];
  size_t len = (size_t)snprintf(
      text, sizeof text,
      "offence_code,description,harm,category,proactive,source\n");
  for (size_t i = 0; i < N_WT; i++) {
    len += (size_t)snprintf(text + len, sizeof text - len,
                            "%s,test code,%s,test,%d,estimate: places "
                            "property test\n",
                            WT[i].code, WT[i].harm_text, WT[i].proactive);
  }
  snprintf(path, sizeof path, "%s/weights.csv", tmpdir);
  write_file(path, text, len);
}

static void teardown_dir(void) {
  char path[128];
  snprintf(path, sizeof path, "%s/weights.csv", tmpdir);
  remove(path);
  snprintf(path, sizeof path, "%s/offences.csv", tmpdir);
  remove(path);
  rmdir(tmpdir);
}

static harm_config *case_config(const pcase *c, unsigned threads) {
  harm_config *cfg = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_new(&cfg, &err), HARM_OK);
  char v[32];
  if (c->explicit_as_of) {
    iso_date(AS_OF, v);
    cr_assert_eq(harm_config_set(cfg, "scoring", "as_of", v, &err), HARM_OK,
                 "%s", err.message);
  }
  snprintf(v, sizeof v, "%u", c->lookback);
  cr_assert_eq(harm_config_set(cfg, "scoring", "lookback_days", v, &err),
               HARM_OK, "%s", err.message);
  snprintf(v, sizeof v, "%u", threads);
  cr_assert_eq(harm_config_set(cfg, "run", "threads", v, &err), HARM_OK, "%s",
               err.message);
  if (c->filter == F_TYPE) {
    cr_assert_eq(
        harm_config_set(cfg, "filter", "place_type", "pub,hotel", &err),
        HARM_OK, "%s", err.message);
  } else if (c->filter == F_AREA) {
    cr_assert_eq(harm_config_set(cfg, "filter", "area", "North", &err), HARM_OK,
                 "%s", err.message);
  }
  return cfg;
}

static void check_case(const pcase *c, const reference *ref, unsigned threads,
                       unsigned index) {
  char path[128], wpath[128];
  snprintf(path, sizeof path, "%s/offences.csv", tmpdir);
  snprintf(wpath, sizeof wpath, "%s/weights.csv", tmpdir);
  write_file(path, c->csv, c->csv_len);
  harm_config *cfg = case_config(c, threads);
  harm_error err = HARM_ERROR_INIT;
  const char *w[] = {wpath};
  /* As cmd_places.c (through cli_pipeline_run_places) sets them. */
  harm_run_opts ro = HARM_RUN_OPTS_INIT;
  ro.offences = path;
  ro.weights = w;
  ro.n_weights = 1;
  ro.read_places = true;
  ro.previous_days = harm_config_ingest_opts(cfg).lookback_days;
  cr_assert_eq(ro.previous_days, c->lookback);
  harm_run *r = NULL;
  cr_assert_eq(harm_run_new(cfg, &ro, &r, &err), HARM_OK,
               "case %u (threads %u): %s", index, threads, err.message);
  harm_places_opts po = HARM_PLACES_OPTS_INIT;
  harm_places *pl = NULL;
  cr_assert_eq(harm_places_new(r, cfg, &po, &pl, &err), HARM_OK, "case %u: %s",
               index, err.message);

  /* The window and the accounting. */
  harm_window win = harm_run_window(r);
  cr_expect_eq(win.as_of, ref->as_of, "case %u: as_of", index);
  cr_expect_eq(win.lookback_days, c->lookback, "case %u: lookback", index);
  harm_accounting a = harm_run_accounting(r);
  const harm_accounting *e = &ref->acct;
  cr_expect_eq(a.read, e->read, "case %u: read", index);
  cr_expect_eq(a.scored, e->scored, "case %u: scored %llu, want %llu", index,
               (unsigned long long)a.scored, (unsigned long long)e->scored);
  cr_expect_eq(a.outside_window, e->outside_window,
               "case %u (threads %u): outside_window %llu, want %llu", index,
               threads, (unsigned long long)a.outside_window,
               (unsigned long long)e->outside_window);
  cr_expect_eq(a.future_dated, e->future_dated, "case %u: future", index);
  cr_expect_eq(a.filtered, e->filtered,
               "case %u (threads %u): filtered %llu, want %llu", index, threads,
               (unsigned long long)a.filtered, (unsigned long long)e->filtered);
  cr_expect_eq(a.duplicates, e->duplicates, "case %u: duplicates %llu, %llu",
               index, (unsigned long long)a.duplicates,
               (unsigned long long)e->duplicates);
  cr_expect_eq(a.rejected, e->rejected, "case %u: rejected", index);
  cr_expect_eq(a.read,
               a.scored + a.outside_window + a.future_dated + a.filtered +
                   a.duplicates + a.rejected,
               "case %u: the accounting does not add up", index);

  /* The summary. */
  const harm_places_summary *s = harm_places_summary_get(pl);
  cr_expect_eq(s->n_places, ref->n_ranked, "case %u: places %zu, want %zu",
               index, s->n_places, ref->n_ranked);
  cr_expect_eq(s->n_with_harm, ref->n_with_harm, "case %u: with harm", index);
  cr_expect_eq(s->n_spots, ref->n_spots, "case %u: spots %zu, want %zu", index,
               s->n_spots, ref->n_spots);
  /* The previous period is computed when some place is ranked (with
   * none, `harmrank places` stops: "no place has a scored offence"). */
  cr_expect_eq(s->has_previous, ref->n_ranked > 0, "case %u: has_previous",
               index);
  if (ref->n_ranked) {
    cr_expect_eq(s->previous_as_of, ref->as_of - (int32_t)c->lookback,
                 "case %u: previous_as_of", index);
    cr_expect_eq(s->previous_n_spots, ref->prev_n_spots,
                 "case %u: previous spots %zu, want %zu", index,
                 s->previous_n_spots, ref->prev_n_spots);
  }
  cr_expect_eq(s->n_persistent, ref->n_persistent,
               "case %u: persistent %zu, want %zu", index, s->n_persistent,
               ref->n_persistent);
  cr_expect_eq(s->rows_scored, e->scored, "case %u: rows_scored", index);
  cr_expect_eq(s->rows_no_place, ref->rows_no_place, "case %u: rows_no_place",
               index);

  /* Each ranked place, in rank order, by name. */
  size_t n = harm_places_count(pl);
  for (size_t i = 0; i < n && i < ref->n_ranked; i++) {
    const harm_place *got = harm_places_at(pl, i);
    const rplace *want = &ref->places[ref->order[i]];
    cr_expect_str_eq(got->place, want->name, "case %u (threads %u): rank %zu",
                     index, threads, i + 1);
    if (strcmp(got->place, want->name) != 0) {
      continue;
    }
    cr_expect_eq(got->rank, i + 1);
    cr_expect_eq(got->harm_units, want->milli * UNITS_PER_MILLI,
                 "case %u: %s harm %lld, want %lld", index, want->name,
                 (long long)got->harm_units,
                 (long long)(want->milli * UNITS_PER_MILLI));
    cr_expect_eq(got->crimes, want->crimes, "case %u: %s crimes %u, want %u",
                 index, want->name, got->crimes, want->crimes);
    cr_expect_eq(got->offenders, want->offenders,
                 "case %u: %s offenders %u, want %u", index, want->name,
                 got->offenders, want->offenders);
    cr_expect_eq(got->victims, want->victims, "case %u: %s victims", index,
                 want->name);
    cr_expect_eq(got->last, want->last, "case %u: %s last", index, want->name);
    cr_expect_str_eq(got->place_type, want->type,
                     "case %u: %s place_type \"%s\", want \"%s\"", index,
                     want->name, got->place_type, want->type);
    cr_expect_eq(got->harm_spot, want->spot, "case %u: %s harm_spot", index,
                 want->name);
    cr_expect(got->has_previous);
    double prev_units = got->harm_previous * 1e6;
    double want_prev = (double)(want->prev_milli * UNITS_PER_MILLI);
    cr_expect(prev_units > want_prev - 0.5 && prev_units < want_prev + 0.5,
              "case %u: %s previous harm %.6f, want %.6f", index, want->name,
              got->harm_previous, want_prev / 1e6);
    cr_expect_eq(got->persistent, want->spot && want->prev_spot,
                 "case %u: %s persistent", index, want->name);
  }
  harm_places_free(pl);
  harm_run_free(r);
  harm_config_free(cfg);
}

/* The same file read by ingest alone with chunks of 7 bytes at 2
 * threads, with the options the run gives it: the accounting straight
 * after ingest (kept = rows in the window that pass the filters, before
 * dedupe and the proactive rule) must be the reference's. */
static void check_parallel_ingest(const pcase *c, const reference *ref,
                                  unsigned index) {
  harm_config *cfg = case_config(c, 2);
  harm_ingest_opts io = harm_config_ingest_opts(cfg);
  io.read_places = true;
  io.previous_days = c->lookback;
  io.threads = 2;
  io.min_chunk_bytes = 7;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(
      harm_ingest_buffer("case.csv", c->csv, c->csv_len, &io, &ds, &err),
      HARM_OK, "case %u: %s", index, err.message);
  harm_accounting a = harm_dataset_accounting(ds);
  const harm_accounting *e = &ref->acct;
  cr_expect_eq(a.read, e->read, "case %u: read", index);
  cr_expect_eq(a.kept, ref->kept, "case %u (chunks): kept %llu, want %llu",
               index, (unsigned long long)a.kept,
               (unsigned long long)ref->kept);
  cr_expect_eq(a.outside_window, e->outside_window,
               "case %u (chunks): outside_window %llu, want %llu", index,
               (unsigned long long)a.outside_window,
               (unsigned long long)e->outside_window);
  cr_expect_eq(a.future_dated, e->future_dated, "case %u: future", index);
  /* Proactive rows are filtered by the matrix, after ingest. */
  uint64_t proactive = 0;
  for (size_t i = 0; i < c->n; i++) {
    const prow *r = &c->rows[i];
    proactive += !r->bad_date && r->w->proactive && r->date <= ref->as_of &&
                 r->date > ref->as_of - (int32_t)c->lookback && passes(c, r);
  }
  cr_expect_eq(a.filtered + proactive, e->filtered,
               "case %u (chunks): filtered", index);
  cr_expect_eq(a.rejected, e->rejected, "case %u: rejected", index);
  cr_expect_eq(harm_dataset_as_of(ds), ref->as_of, "case %u: as_of", index);
  cr_expect_eq(harm_dataset_lookback_days(ds), c->lookback, "case %u: lookback",
               index);
  harm_dataset_free(ds);
  harm_config_free(cfg);
}

Test(places_property, places_match_reference_at_1_and_2_threads,
     .init = setup_dir, .fini = teardown_dir, .timeout = 300) {
  static pcase c;
  static reference ref;
  rng_state = 0x9ACE5EEDULL;
  size_t spots = 0, persistent = 0, prev_only = 0;
  for (unsigned k = 0; k < N_CASES; k++) {
    gen_case(&c);
    reference_compute(&c, &ref);
    /* The generator must produce the cases the test is for. */
    for (size_t p = 0; p < N_PLACES; p++) {
      prev_only += ref.places[p].prev_seen && !ref.places[p].seen;
    }
    spots += ref.n_spots;
    persistent += ref.n_persistent;
    check_case(&c, &ref, 1, k);
    check_case(&c, &ref, 2, k);
    check_parallel_ingest(&c, &ref, k);
  }
  cr_log_info("%zu spots, %zu persistent, %zu previous-only places", spots,
              persistent, prev_only);
  cr_expect_gt(spots, 20, "too few harm spots generated: %zu", spots);
  cr_expect_gt(persistent, 5, "too few persistent spots: %zu", persistent);
  cr_expect_gt(prev_only, 5, "too few previous-only places: %zu", prev_only);
}
