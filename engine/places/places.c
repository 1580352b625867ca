/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/places/places.c: places as subjects (harm spots, offender-place
 * links, persistence, quality checks) built from the records of a run
 * that read the place column in the area role. Every offence's harm comes
 * from the per-offence kernel and every offender dedupe verdict from the
 * aggregate's own rule, so a place's harm is the exact sum of its crimes'
 * harms and an offender's links add up to their score. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "harmrank/places.h"
#include "ingest/dataset.h"
#include "score/kernel.h"
#include "score/matrix.h"

#define DROP UINT32_MAX

/* Per-place totals of one period. */
typedef struct pstat {
  int64_t units;
  uint32_t crimes;
  uint32_t victims;
  harm_date last;
  bool seen; /* some scored record at the place */
} pstat;

struct harm_places {
  harm_place *places;
  size_t n;
  harm_place_link *links;
  size_t n_links;
  size_t *by_offender; /* link indices sorted by (subject, harm desc) */
  size_t *off_start;   /* per subject: first entry in by_offender */
  size_t n_subjects;
  harm_places_summary sum;
  harm__strpool types; /* place type strings */
};

/* Sort context: the records and the per-code columns. */
typedef struct sctx {
  const harm_dataset *ds;
  const uint32_t *col;
  bool by_subject; /* place is the record's subject (second read) */
} sctx;

static int cmp_u64(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }

/* Within one place: column, offence, then date, victim, offender, so the
 * copy counted for a crime is the earliest (as the aggregate keeps). */
static int cmp_crime(const void *pa, const void *pb, void *ctx) {
  const sctx *c = ctx;
  const harm__rec *a = &c->ds->recs[*(const size_t *)pa];
  const harm__rec *b = &c->ds->recs[*(const size_t *)pb];
  int r;
  if ((r = cmp_u64(c->col[a->code], c->col[b->code])) ||
      (r = cmp_u64(a->offence, b->offence))) {
    return r;
  }
  if (a->date != b->date) {
    return a->date < b->date ? -1 : 1;
  }
  if ((r = cmp_u64(a->victim, b->victim))) {
    return r;
  }
  uint32_t sa = c->by_subject ? (uint32_t)a->area : a->subject;
  uint32_t sb = c->by_subject ? (uint32_t)b->area : b->subject;
  return cmp_u64(sa, sb);
}

/* Within one place: offender, then offence. */
static int cmp_link(const void *pa, const void *pb, void *ctx) {
  const sctx *c = ctx;
  const harm__rec *a = &c->ds->recs[*(const size_t *)pa];
  const harm__rec *b = &c->ds->recs[*(const size_t *)pb];
  int r;
  if ((r = cmp_u64(a->subject, b->subject))) {
    return r;
  }
  return cmp_u64(a->offence, b->offence);
}

static int cmp_u64p(const void *pa, const void *pb) {
  return cmp_u64(*(const uint64_t *)pa, *(const uint64_t *)pb);
}

static uint32_t distinct(uint64_t *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_u64p);
  uint32_t d = 0;
  for (size_t i = 0; i < n; i++) {
    d += i == 0 || v[i] != v[i - 1];
  }
  return d;
}

/* Base harm of each dataset code under the matrix's code map (the same
 * lookup as explain); col[c] is the code's matrix column or DROP. */
static void code_bases(const harm_matrix *m, const harm_weights *w,
                       const harm_score_opts *so, double *base) {
  const harm_dataset *ds = m->ds;
  for (uint32_t c = 0; c < ds->codes.n; c++) {
    uint32_t col = m->code_map[c];
    base[c] = 0.0;
    if (col != DROP) {
      const harm_weight *wt = harm_weights_find(w, harm_matrix_code(m, col));
      base[c] = wt ? harm__offence_base(wt->harm, so) : 0.0;
    }
  }
}

static bool blank(const char *s) { return !s || !*s; }

/* Place index of record r, or -1 for none. */
static int64_t place_of(const harm__rec *r, bool by_subject,
                        const bool *blank_place) {
  int64_t p = by_subject ? (int64_t)r->subject : (int64_t)r->area;
  return p < 0 || blank_place[p] ? -1 : p;
}

/* Records of a period (lo < date <= hi, lo = INT64_MIN for no bound),
 * with a kept code and a place, grouped by place: idx[start[p] ..
 * start[p + 1]). Returns false on allocation failure. */
static bool group_by_place(const harm_dataset *ds, const uint32_t *col,
                           bool by_subject, const bool *blank_place,
                           size_t n_places, int64_t lo, int64_t hi,
                           const bool *only, size_t **start_out,
                           size_t **idx_out) {
  size_t *start = harm__calloc(n_places + 2, sizeof *start);
  size_t n = 0;
  if (!start) {
    return false;
  }
  for (size_t i = 0; i < ds->n_recs; i++) {
    const harm__rec *r = &ds->recs[i];
    int64_t p = place_of(r, by_subject, blank_place);
    if (p >= 0 && col[r->code] != DROP && r->date > lo && r->date <= hi &&
        (!only || only[i])) {
      start[p + 2]++;
      n++;
    }
  }
  size_t *idx = harm__malloc((n + 1) * sizeof *idx);
  if (!idx) {
    harm__free(start);
    return false;
  }
  for (size_t p = 0; p < n_places; p++) {
    start[p + 2] += start[p + 1];
  }
  for (size_t i = 0; i < ds->n_recs; i++) {
    const harm__rec *r = &ds->recs[i];
    int64_t p = place_of(r, by_subject, blank_place);
    if (p >= 0 && col[r->code] != DROP && r->date > lo && r->date <= hi &&
        (!only || only[i])) {
      idx[start[p + 1]++] = i;
    }
  }
  *start_out = start;
  *idx_out = idx;
  return true;
}

/* Whole-crime harm of each place over a period: each (column, offence)
 * counted once per place, the earliest copy, with the kernel's base and
 * decay at `ref` and no split (a place is not split among offenders). */
static harm_status place_totals(const harm_matrix *m, const double *base,
                                bool by_subject, const bool *blank_place,
                                size_t n_places, int64_t lo, int64_t hi,
                                harm_date ref, pstat *out) {
  const harm_dataset *ds = m->ds;
  size_t *start = NULL, *idx = NULL;
  if (!group_by_place(ds, m->code_map, by_subject, blank_place, n_places, lo,
                      hi, NULL, &start, &idx)) {
    return HARM_ERR_NOMEM;
  }
  sctx c = {ds, m->code_map, by_subject};
  size_t most = 0;
  for (size_t p = 0; p < n_places; p++) {
    size_t len = start[p + 1] - start[p];
    most = len > most ? len : most;
  }
  uint64_t *tmp = harm__malloc((most + 1) * sizeof *tmp);
  harm_status st = tmp ? HARM_OK : HARM_ERR_NOMEM;
  for (size_t p = 0; p < n_places && st == HARM_OK; p++) {
    size_t *g = idx + start[p], len = start[p + 1] - start[p];
    pstat *ps = &out[p];
    memset(ps, 0, sizeof *ps);
    ps->last = HARM_DATE_NONE;
    if (!len) {
      continue;
    }
    ps->seen = true;
    if (!harm__sort(g, len, sizeof *g, cmp_crime, &c)) {
      st = HARM_ERR_NOMEM;
      break;
    }
    const harm__rec *prev = NULL;
    for (size_t j = 0; j < len; j++) {
      const harm__rec *r = &ds->recs[g[j]];
      if (prev && c.col[prev->code] == c.col[r->code] &&
          prev->offence == r->offence) {
        continue; /* the same crime and code at this place again */
      }
      prev = r;
      int64_t u = harm__offence_units(
          base[r->code],
          harm__offence_factor((int64_t)ref - r->date, m->half_life_days, 1));
      if (!harm__units_add(&ps->units, 1, u)) {
        st = HARM_ERR_LIMIT;
        break;
      }
      if (ps->last == HARM_DATE_NONE || r->date > ps->last) {
        ps->last = r->date;
      }
    }
    for (size_t j = 0; j < len; j++) {
      tmp[j] = ds->recs[g[j]].offence;
    }
    ps->crimes = distinct(tmp, len);
    size_t nv = 0;
    for (size_t j = 0; j < len; j++) {
      uint64_t v = ds->recs[g[j]].victim;
      if (v) {
        tmp[nv++] = v;
      }
    }
    ps->victims = distinct(tmp, nv);
  }
  harm__free(tmp);
  harm__free(start);
  harm__free(idx);
  return st;
}

/* Harm spot threshold over places with harm: mean + 2 population SD. */
static double spot_threshold(const pstat *ps, size_t n, size_t *n_with,
                             double *mean_out, double *sd_out) {
  double sum = 0, sq = 0;
  size_t k = 0;
  for (size_t p = 0; p < n; p++) {
    if (ps[p].seen && ps[p].units > 0) {
      double h = harm__units_days(ps[p].units);
      sum += h;
      k++;
    }
  }
  double mean = k ? sum / (double)k : 0.0;
  for (size_t p = 0; p < n; p++) {
    if (ps[p].seen && ps[p].units > 0) {
      double d = harm__units_days(ps[p].units) - mean;
      sq += d * d;
    }
  }
  double sd = k ? sqrt(sq / (double)k) : 0.0;
  *n_with = k;
  *mean_out = mean;
  *sd_out = sd;
  return mean + 2.0 * sd;
}

static bool is_spot(const pstat *ps, double threshold) {
  return ps->seen && ps->units > 0 &&
         harm__units_days(ps->units) >= threshold - 1e-9;
}

/* Names that read as placeholders rather than places. */
static bool placeholder(const char *s) {
  static const char *const names[] = {
      "unknown", "not known",      "n/a", "na", "none",         "null",
      "nfa",     "no fixed abode", "-",   "?",  "not recorded", "tbc"};
  for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
    if (harm__ieq(s, strlen(s), names[k])) {
      return true;
    }
  }
  return false;
}

typedef struct rank_item {
  harm_rank_key key;
  size_t place; /* dataset area index */
} rank_item;

static int cmp_rank(const void *pa, const void *pb, void *ctx) {
  (void)ctx;
  return harm_rank_key_compare(&((const rank_item *)pa)->key,
                               &((const rank_item *)pb)->key);
}

static int cmp_link_order(const void *pa, const void *pb, void *ctx) {
  (void)ctx;
  const harm_place_link *a = pa, *b = pb;
  if (a->place != b->place) {
    return a->place < b->place ? -1 : 1;
  }
  if (a->harm_units != b->harm_units) {
    return a->harm_units > b->harm_units ? -1 : 1;
  }
  return strcmp(a->offender_id, b->offender_id);
}

static int cmp_by_offender(const void *pa, const void *pb, void *ctx) {
  const harm_place_link *l = ctx;
  const harm_place_link *a = &l[*(const size_t *)pa];
  const harm_place_link *b = &l[*(const size_t *)pb];
  if (a->subject != b->subject) {
    return a->subject < b->subject ? -1 : 1;
  }
  if (a->harm_units != b->harm_units) {
    return a->harm_units > b->harm_units ? -1 : 1;
  }
  return a->place < b->place ? -1 : a->place > b->place;
}

/* Offender links of the current period, from the records the aggregate
 * scored for each offender, and the rows with no place. rows[p] counts
 * the scored rows at dataset place p. */
static harm_status build_links(harm_places *P, const harm_matrix *m,
                               const double *base, const bool *blank_place,
                               size_t n_places, const size_t *rank_of,
                               uint64_t *rows, uint32_t *offenders) {
  const harm_dataset *ds = m->ds;
  bool *kept = harm__malloc((ds->n_recs + 1) * sizeof *kept);
  size_t *start = NULL, *idx = NULL;
  harm_status st = HARM_ERR_NOMEM;
  if (!kept) {
    return st;
  }
  st = harm__matrix_kept_all(m, kept);
  if (st != HARM_OK) {
    harm__free(kept);
    return st;
  }
  bool split = m->attribution == HARM_ATTR_SPLIT;
  for (size_t i = 0; i < ds->n_recs; i++) {
    const harm__rec *r = &ds->recs[i];
    if (!kept[i]) {
      continue;
    }
    P->sum.rows_scored++;
    if (place_of(r, false, blank_place) < 0) {
      P->sum.rows_no_place++;
      uint32_t k = split ? harm__matrix_offenders(m, r->offence) : 1;
      int64_t u = harm__offence_units(
          base[r->code], harm__offence_factor((int64_t)m->as_of - r->date,
                                              m->half_life_days, k));
      if (!harm__units_add(&P->sum.harm_no_place_units, 1, u)) {
        harm__free(kept);
        return HARM_ERR_LIMIT;
      }
    }
  }
  if (!group_by_place(ds, m->code_map, false, blank_place, n_places, INT64_MIN,
                      INT64_MAX, kept, &start, &idx)) {
    harm__free(kept);
    return HARM_ERR_NOMEM;
  }
  harm__free(kept);
  size_t cap = 0;
  sctx c = {ds, m->code_map, false};
  st = HARM_OK;
  for (size_t p = 0; p < n_places && st == HARM_OK; p++) {
    size_t *g = idx + start[p], len = start[p + 1] - start[p];
    rows[p] = len;
    if (!len) {
      continue;
    }
    if (!harm__sort(g, len, sizeof *g, cmp_link, &c)) {
      st = HARM_ERR_NOMEM;
      break;
    }
    for (size_t j = 0; j < len && st == HARM_OK; j++) {
      const harm__rec *r = &ds->recs[g[j]];
      const harm__rec *prev = j ? &ds->recs[g[j - 1]] : NULL;
      if (!prev || prev->subject != r->subject) {
        if (P->n_links == cap) {
          cap = cap ? cap * 2 : 64;
          harm_place_link *nl = harm__reallocarray(P->links, cap, sizeof *nl);
          if (!nl) {
            st = HARM_ERR_NOMEM;
            break;
          }
          P->links = nl;
        }
        harm_place_link *l = &P->links[P->n_links++];
        memset(l, 0, sizeof *l);
        l->place = rank_of[p];
        l->subject = r->subject;
        l->offender_id = harm_dataset_subject_id(ds, r->subject, NULL);
        offenders[p]++;
      }
      harm_place_link *l = &P->links[P->n_links - 1];
      if (!prev || prev->subject != r->subject || prev->offence != r->offence) {
        l->crimes++;
      }
      uint32_t k = split ? harm__matrix_offenders(m, r->offence) : 1;
      int64_t u = harm__offence_units(
          base[r->code], harm__offence_factor((int64_t)m->as_of - r->date,
                                              m->half_life_days, k));
      if (!harm__units_add(&l->harm_units, 1, u)) {
        st = HARM_ERR_LIMIT;
      }
    }
  }
  harm__free(start);
  harm__free(idx);
  for (size_t i = 0; i < P->n_links; i++) {
    P->links[i].harm = harm__units_days(P->links[i].harm_units);
  }
  if (st == HARM_OK && P->n_links &&
      !harm__sort(P->links, P->n_links, sizeof *P->links, cmp_link_order,
                  NULL)) {
    st = HARM_ERR_NOMEM;
  }
  return st;
}

/* The second read: the place as subject and its type in the area role,
 * over the previous period and the current one, with the run's filters
 * and options. Rows without a place are rejected there, silently: the
 * run's own read accounted for them. */
static harm_status second_read(const harm_run *r, const harm_config *cfg,
                               const harm_places_opts *o, bool want_prev,
                               harm_dataset **ds, harm_matrix **m,
                               harm_error *err) {
  harm_window win = harm_run_window(r);
  harm_ingest_opts io = harm_config_ingest_opts(cfg);
  io.group_by = o->place_column;
  io.columns.area = o->place_type_column;
  io.as_of = win.as_of;
  io.lookback_days = want_prev ? 2 * win.lookback_days : win.lookback_days;
  io.strict = false;
  io.max_reject_share = 2.0;
  io.on_reject = NULL;
  io.reject_ctx = NULL;
  io.pseudonym_key = NULL;
  io.pseudonym_key_len = 0;
  io.today = HARM_DATE_NONE;
  io.hash_input = false;
  io.keep_offence_ids = false;
  io.threads = o->threads;
  harm_status st = harm_ingest_file(o->offences, &io, ds, err);
  if (st == HARM_OK) {
    harm_matrix_opts mo = harm_config_matrix_opts(cfg, harm_run_weights(r, 0));
    st = harm_matrix_build(*ds, &mo, m, err);
  }
  return st;
}

harm_status harm_places_new(const harm_run *r, const harm_config *cfg,
                            const harm_places_opts *opts, harm_places **out,
                            harm_error *err) {
  *out = NULL;
  harm_places_opts def = HARM_PLACES_OPTS_INIT;
  const harm_places_opts *o = opts ? opts : &def;
  const harm_dataset *ds = harm_run_dataset(r);
  const harm_matrix *m = harm_run_matrix(r);
  if (!ds->has_area) {
    return harm__fail(err, HARM_ERR_USAGE, "places", ds->source, 1,
                      o->place_column,
                      "the offences have no place column (set [columns] "
                      "place)");
  }
  if (!o->offences) {
    return harm__fail(err, HARM_ERR_USAGE, "places", NULL, 0, NULL,
                      "no offences file for the second read");
  }
  harm_places *P = harm__calloc(1, sizeof *P);
  size_t n_all = ds->areas.n, n_codes = ds->codes.n;
  double *base = harm__calloc(n_codes + 1, sizeof *base);
  bool *blank_place = harm__calloc(n_all + 1, sizeof *blank_place);
  pstat *cur = harm__calloc(n_all + 1, sizeof *cur);
  size_t *rank_of = harm__calloc(n_all + 1, sizeof *rank_of);
  uint64_t *rows = harm__calloc(n_all + 1, sizeof *rows);
  uint32_t *offenders = harm__calloc(n_all + 1, sizeof *offenders);
  rank_item *items = harm__calloc(n_all + 1, sizeof *items);
  harm_dataset *ds2 = NULL;
  harm_matrix *m2 = NULL;
  double *base2 = NULL;
  pstat *prev = NULL;
  int64_t *type_of = NULL; /* per place: index into P->types, -1 none */
  size_t *q_of = NULL;     /* per place: its second-read subject index */
  harm_status st = HARM_ERR_NOMEM;
  if (!P || !base || !blank_place || !cur || !rank_of || !rows || !offenders ||
      !items) {
    goto fail;
  }
  harm_score_opts so = harm_run_score_opts(r);
  code_bases(m, harm_run_weights(r, 0), &so, base);
  for (size_t p = 0; p < n_all; p++) {
    blank_place[p] = blank(harm_dataset_area(ds, p));
  }
  harm_window win = harm_run_window(r);
  int64_t lo =
      win.lookback_days ? (int64_t)win.as_of - win.lookback_days : INT64_MIN;
  st = place_totals(m, base, false, blank_place, n_all, lo, win.as_of,
                    win.as_of, cur);
  if (st != HARM_OK) {
    goto fail;
  }
  /* Rank the places that have a scored crime. */
  size_t n = 0;
  for (size_t p = 0; p < n_all; p++) {
    if (cur[p].seen) {
      items[n].key = (harm_rank_key){harm__units_days(cur[p].units),
                                     cur[p].last, cur[p].crimes, p};
      items[n++].place = p;
    }
  }
  if (!harm__sort(items, n, sizeof *items, cmp_rank, NULL)) {
    st = HARM_ERR_NOMEM;
    goto fail;
  }
  for (size_t i = 0; i < n; i++) {
    rank_of[items[i].place] = i;
  }
  P->places = harm__calloc(n + 1, sizeof *P->places);
  if (!P->places) {
    st = HARM_ERR_NOMEM;
    goto fail;
  }
  P->n = n;
  st = build_links(P, m, base, blank_place, n_all, rank_of, rows, offenders);
  if (st != HARM_OK) {
    goto fail;
  }

  /* Second read: place types and the previous period. */
  bool want_prev = o->previous_period && win.lookback_days > 0 &&
                   win.as_of != HARM_DATE_NONE;
  bool want_types = o->place_type_column && *o->place_type_column;
  if (n && (want_prev || want_types)) {
    st = second_read(r, cfg, o, want_prev, &ds2, &m2, err);
    if (st != HARM_OK) {
      goto fail_quiet;
    }
    st = HARM_ERR_NOMEM;
    size_t n2 = ds2->subjects.n;
    bool *blank2 = harm__calloc(n2 + 1, sizeof *blank2);
    base2 = harm__calloc(ds2->codes.n + 1, sizeof *base2);
    prev = harm__calloc(n2 + 1, sizeof *prev);
    type_of = harm__malloc((n_all + 1) * sizeof *type_of);
    q_of = harm__malloc((n_all + 1) * sizeof *q_of);
    if (!blank2 || !base2 || !prev || !type_of || !q_of) {
      harm__free(blank2);
      goto fail;
    }
    code_bases(m2, harm_run_weights(r, 0), &so, base2);
    if (want_prev) {
      int64_t plo = (int64_t)win.as_of - 2 * (int64_t)win.lookback_days;
      st = place_totals(m2, base2, true, blank2, n2, plo, lo, (harm_date)lo,
                        prev);
    } else {
      st = HARM_OK;
    }
    harm__free(blank2);
    if (st != HARM_OK) {
      goto fail;
    }
    /* Type of each place: its most frequent type over both periods. */
    size_t nt = ds2->areas.n;
    uint32_t *cnt = harm__calloc(nt + 1, sizeof *cnt);
    size_t *s2 = harm__calloc(n2 + 2, sizeof *s2);
    size_t *i2 = harm__malloc((ds2->n_recs + 1) * sizeof *i2);
    st = cnt && s2 && i2 ? HARM_OK : HARM_ERR_NOMEM;
    if (st == HARM_OK) {
      for (size_t i = 0; i < ds2->n_recs; i++) {
        s2[ds2->recs[i].subject + 2]++;
      }
      for (size_t s = 0; s < n2; s++) {
        s2[s + 2] += s2[s + 1];
      }
      for (size_t i = 0; i < ds2->n_recs; i++) {
        i2[s2[ds2->recs[i].subject + 1]++] = i;
      }
    }
    for (size_t p = 0; p < n_all; p++) {
      type_of[p] = -1;
      q_of[p] = SIZE_MAX;
    }
    for (size_t q = 0; st == HARM_OK && q < n2; q++) {
      const char *name = harm_dataset_subject_id(ds2, q, NULL);
      size_t p;
      /* Dataset areas of the run are sorted bytewise: binary search. */
      size_t a = 0, b = n_all;
      bool found = false;
      while (a < b) {
        size_t mid = a + (b - a) / 2;
        int c = strcmp(harm_dataset_area(ds, mid), name);
        if (c == 0) {
          found = true;
          a = mid;
          break;
        }
        if (c < 0) {
          a = mid + 1;
        } else {
          b = mid;
        }
      }
      p = a;
      if (!found || !cur[p].seen) {
        continue;
      }
      size_t best = SIZE_MAX;
      for (size_t j = s2[q]; j < s2[q + 1]; j++) {
        int32_t t = ds2->recs[i2[j]].area;
        if (t >= 0 && !blank(harm_dataset_area(ds2, (size_t)t))) {
          cnt[t]++;
          if (best == SIZE_MAX || cnt[t] > cnt[best] ||
              (cnt[t] == cnt[best] && (size_t)t < best)) {
            best = (size_t)t;
          }
        }
      }
      for (size_t j = s2[q]; j < s2[q + 1]; j++) {
        int32_t t = ds2->recs[i2[j]].area;
        if (t >= 0) {
          cnt[t] = 0;
        }
      }
      if (best != SIZE_MAX) {
        const char *tn = harm_dataset_area(ds2, best);
        uint32_t ti = harm__strpool_intern(&P->types, tn, strlen(tn), NULL);
        if (ti == HARM__STRPOOL_FAIL) {
          st = HARM_ERR_NOMEM;
        }
        type_of[p] = ti;
      }
      q_of[p] = q;
    }
    harm__free(cnt);
    harm__free(s2);
    harm__free(i2);
    if (st != HARM_OK) {
      goto fail;
    }
  }

  /* Thresholds, flags and the summary. */
  harm_places_summary *S = &P->sum;
  S->n_places = n;
  S->threshold = spot_threshold(cur, n_all, &S->n_with_harm, &S->mean, &S->sd);
  int64_t total = 0;
  for (size_t p = 0; p < n_all; p++) {
    if (cur[p].seen && !harm__units_add(&total, 1, cur[p].units)) {
      st = HARM_ERR_LIMIT;
      goto fail;
    }
  }
  if (prev) {
    size_t k;
    double mn, sd;
    S->has_previous = want_prev;
    S->previous_as_of = (harm_date)lo;
    S->previous_threshold = spot_threshold(prev, ds2->subjects.n, &k, &mn, &sd);
    for (size_t q = 0; q < ds2->subjects.n; q++) {
      S->previous_n_spots += is_spot(&prev[q], S->previous_threshold);
    }
  }
  uint64_t placed_rows = 0;
  for (size_t p = 0; p < n_all; p++) {
    placed_rows += cur[p].seen ? rows[p] : 0;
  }
  /* Median rows per ranked place. */
  uint64_t *rv = harm__malloc((n + 1) * sizeof *rv);
  if (!rv) {
    st = HARM_ERR_NOMEM;
    goto fail;
  }
  for (size_t i = 0; i < n; i++) {
    rv[i] = rows[items[i].place];
  }
  qsort(rv, n, sizeof *rv, cmp_u64p);
  double median = n == 0  ? 0.0
                  : n % 2 ? (double)rv[n / 2]
                          : ((double)rv[n / 2 - 1] + (double)rv[n / 2]) / 2.0;
  harm__free(rv);
  for (size_t i = 0; i < n; i++) {
    size_t p = items[i].place;
    harm_place *pl = &P->places[i];
    pl->rank = i + 1;
    pl->place = harm_dataset_area(ds, p);
    pl->place_type = "";
    if (type_of && type_of[p] >= 0) {
      pl->place_type = harm__strpool_get(&P->types, (uint32_t)type_of[p], NULL);
    }
    pl->harm_units = cur[p].units;
    pl->harm = harm__units_days(cur[p].units);
    pl->crimes = cur[p].crimes;
    pl->victims = cur[p].victims;
    pl->offenders = offenders[p];
    pl->last = cur[p].last;
    pl->rows = rows[p];
    pl->share_of_harm = total > 0 ? (double)cur[p].units / (double)total : 0.0;
    pl->harm_spot = is_spot(&cur[p], S->threshold);
    pl->small_numbers = cur[p].crimes < HARM_PLACES_SMALL_CRIMES;
    double rws = (double)rows[p];
    pl->looks_default =
        placeholder(pl->place) ||
        (rows[p] >= HARM_PLACES_DEFAULT_MIN_ROWS &&
         rws >= HARM_PLACES_DEFAULT_SHARE * (double)placed_rows &&
         rws >= HARM_PLACES_DEFAULT_MEDIANS * median);
    pl->has_previous = S->has_previous;
    if (S->has_previous && q_of && q_of[p] != SIZE_MAX) {
      size_t q = q_of[p];
      {
        pl->harm_previous = harm__units_days(prev[q].units);
        pl->persistent =
            pl->harm_spot && is_spot(&prev[q], S->previous_threshold);
      }
    }
    S->n_spots += pl->harm_spot;
    S->n_persistent += pl->persistent;
    S->n_small += pl->small_numbers;
    S->n_default += pl->looks_default;
  }
  static const double fr[3] = {0.01, 0.05, 0.10};
  for (size_t t = 0; t < 3; t++) {
    size_t k = n ? (size_t)ceil(fr[t] * (double)n) : 0;
    k = n && k < 1 ? 1 : k;
    int64_t u = 0;
    for (size_t i = 0; i < k; i++) {
      u += P->places[i].harm_units;
    }
    S->top_count[t] = k;
    S->top_share[t] = total > 0 ? (double)u / (double)total : 0.0;
  }
  /* Addresses can be personal data: pseudonymised on request. */
  for (size_t i = 0; o->place_key && i < n; i++) {
    char ps[HARM_PSEUDONYM_LEN + 1];
    harm_place *pl = &P->places[i];
    st = harm_pseudonym(o->place_key, o->place_key_len, pl->place,
                        strlen(pl->place), ps);
    if (st != HARM_OK) {
      harm__fail(err, st, "places", NULL, 0, NULL,
                 "cannot pseudonymise place ids");
      goto fail_quiet;
    }
    uint32_t k = harm__strpool_intern(&P->types, ps, strlen(ps), NULL);
    if (k == HARM__STRPOOL_FAIL) {
      st = HARM_ERR_NOMEM;
      goto fail;
    }
  }
  /* Interning may move the pool: take the pointers once it is full. */
  for (size_t i = 0; o->place_key && i < n; i++) {
    char ps[HARM_PSEUDONYM_LEN + 1];
    harm_place *pl = &P->places[i];
    (void)harm_pseudonym(o->place_key, o->place_key_len, pl->place,
                         strlen(pl->place), ps);
    uint32_t k = harm__strpool_intern(&P->types, ps, strlen(ps), NULL);
    pl->place = harm__strpool_get(&P->types, k, NULL);
  }
  for (size_t i = 0; type_of && i < n; i++) {
    size_t p = items[i].place;
    if (type_of[p] >= 0) {
      P->places[i].place_type =
          harm__strpool_get(&P->types, (uint32_t)type_of[p], NULL);
    }
  }
  /* Links: each place's range, and the per-offender index. */
  for (size_t i = 0; i < P->n_links; i++) {
    harm_place *pl = &P->places[P->links[i].place];
    if (!pl->n_links) {
      pl->first_link = i;
    }
    pl->n_links++;
  }
  P->n_subjects = ds->subjects.n;
  P->by_offender = harm__malloc((P->n_links + 1) * sizeof *P->by_offender);
  P->off_start = harm__calloc(P->n_subjects + 2, sizeof *P->off_start);
  if (!P->by_offender || !P->off_start) {
    st = HARM_ERR_NOMEM;
    goto fail;
  }
  for (size_t i = 0; i < P->n_links; i++) {
    P->by_offender[i] = i;
    P->off_start[P->links[i].subject + 1]++;
  }
  for (size_t s = 0; s < P->n_subjects; s++) {
    P->off_start[s + 1] += P->off_start[s];
  }
  if (!harm__sort(P->by_offender, P->n_links, sizeof *P->by_offender,
                  cmp_by_offender, P->links)) {
    st = HARM_ERR_NOMEM;
    goto fail;
  }
  st = HARM_OK;
fail:
  if (st != HARM_OK) {
    harm__fail(err, st, "places", NULL, 0, NULL,
               st == HARM_ERR_LIMIT ? "harm beyond 64-bit fixed point"
                                    : "out of memory");
  }
fail_quiet:
  harm__free(base);
  harm__free(base2);
  harm__free(blank_place);
  harm__free(cur);
  harm__free(prev);
  harm__free(rank_of);
  harm__free(rows);
  harm__free(offenders);
  harm__free(items);
  harm__free(type_of);
  harm__free(q_of);
  harm_matrix_free(m2);
  harm_dataset_free(ds2);
  if (st != HARM_OK) {
    harm_places_free(P);
    return st;
  }
  *out = P;
  return HARM_OK;
}

void harm_places_free(harm_places *p) {
  if (!p) {
    return;
  }
  harm__free(p->places);
  harm__free(p->links);
  harm__free(p->by_offender);
  harm__free(p->off_start);
  harm__strpool_free(&p->types);
  harm__free(p);
}

size_t harm_places_count(const harm_places *p) { return p->n; }
const harm_place *harm_places_at(const harm_places *p, size_t i) {
  return i < p->n ? &p->places[i] : NULL;
}
size_t harm_places_n_links(const harm_places *p) { return p->n_links; }
const harm_place_link *harm_places_link(const harm_places *p, size_t i) {
  return i < p->n_links ? &p->links[i] : NULL;
}
size_t harm_places_of_offender(const harm_places *p, size_t subject,
                               size_t *out, size_t cap) {
  if (subject >= p->n_subjects) {
    return 0;
  }
  size_t a = p->off_start[subject], b = p->off_start[subject + 1];
  for (size_t i = a; i < b && i - a < cap; i++) {
    out[i - a] = p->by_offender[i];
  }
  return b - a;
}
const harm_places_summary *harm_places_summary_get(const harm_places *p) {
  return &p->sum;
}

harm_status harm_places_for_offenders(const harm_config *cfg,
                                      const harm_run_opts *base, harm_run **run,
                                      harm_places **out, harm_error *err) {
  *run = NULL;
  *out = NULL;
  const char *col = harm_config_get(cfg, "columns", "place");
  bool has = false;
  harm_status hs = harm_ingest_has_column(base->offences, col, &has, err);
  if (hs != HARM_OK || !has) {
    return hs; /* no place column: no top places, and no second read */
  }
  /* The same run, the place read in the area role; no rejects callback
   * (the offenders' run already reported them) and no progress. */
  harm_run_opts ro = *base;
  ro.area_column = col;
  ro.on_reject = NULL;
  ro.reject_ctx = NULL;
  ro.on_stage = NULL;
  ro.hash_input = false;
  ro.keep_offence_ids = false;
  harm_status st = harm_run_new(cfg, &ro, run, err);
  if (st != HARM_OK) {
    return st;
  }
  if (!harm_run_dataset(*run)->has_area) {
    return HARM_OK; /* no place column in this file: no top places */
  }
  harm_places_opts po = HARM_PLACES_OPTS_INIT;
  po.offences = base->offences;
  po.place_column = col;
  po.place_type_column = NULL; /* names only: no second read */
  po.previous_period = false;
  return harm_places_new(*run, cfg, &po, out, err);
}

void harm_places_offender_text(const harm_places *p, const harm_run *place_run,
                               const char *offender_id, size_t n, char *buf,
                               size_t cap) {
  buf[0] = '\0';
  size_t subject;
  if (!p || !harm_dataset_find_subject(harm_run_dataset(place_run), offender_id,
                                       &subject)) {
    return;
  }
  enum { MAX = 16 };
  size_t idx[MAX];
  size_t k = harm_places_of_offender(p, subject, idx, n < MAX ? n : MAX);
  size_t used = 0;
  for (size_t i = 0; i < k && i < n && i < MAX; i++) {
    const harm_place_link *l = harm_places_link(p, idx[i]);
    const char *name = harm_places_at(p, l->place)->place;
    int w = snprintf(buf + used, cap - used, "%s%s", i ? "; " : "", name);
    if (w < 0 || (size_t)w >= cap - used) {
      break;
    }
    used += (size_t)w;
  }
}
