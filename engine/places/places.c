/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/places/places.c: places as subjects (harm spots, offender-place
 * links, persistence, quality checks) built from the records of a run that
 * read the place and place type roles (harm_run_opts.read_places) and, for
 * persistence, kept the previous period aside (previous_days). Every
 * offence's harm comes from the per-offence kernel and every offender
 * dedupe verdict from the aggregate's own rule, so a place's harm is the
 * exact sum of its crimes' harms and an offender's links add up to their
 * score. */
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
  size_t *by_area; /* place indices by (area, area rank) */
  size_t n_by_area;
  harm_places_summary sum;
  harm__strpool pseudonyms; /* pseudonymised place ids */
};

/* One period's records: the window's (the run's records) or the previous
 * period's (kept aside by ingest), with their places and each code's
 * matrix column (DROP = left out) and base harm. */
typedef struct period {
  const harm__rec *recs;
  const harm__place_ref *pref;
  size_t n;
  const uint32_t *col;
  const double *base;
} period;

static int cmp_u64(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }

/* Within one place: column, offence, then date, victim, offender, so the
 * copy counted for a crime is the earliest (as the aggregate keeps). */
static int cmp_crime(const void *pa, const void *pb, void *ctx) {
  const period *c = ctx;
  const harm__rec *a = &c->recs[*(const size_t *)pa];
  const harm__rec *b = &c->recs[*(const size_t *)pb];
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
  return cmp_u64(a->subject, b->subject);
}

/* Within one place: offender, then offence. */
static int cmp_link(const void *pa, const void *pb, void *ctx) {
  const period *c = ctx;
  const harm__rec *a = &c->recs[*(const size_t *)pa];
  const harm__rec *b = &c->recs[*(const size_t *)pb];
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

/* Base harm of each of n_codes dataset codes under the matrix's code map
 * (the same lookup as explain); map[c] is the code's matrix column or
 * DROP. */
static void code_bases(const harm_matrix *m, const uint32_t *map,
                       size_t n_codes, const harm_weights *w,
                       const harm_score_opts *so, double *base) {
  for (size_t c = 0; c < n_codes; c++) {
    uint32_t col = map[c];
    base[c] = 0.0;
    if (col != DROP) {
      const harm_weight *wt = harm_weights_find(w, harm_matrix_code(m, col));
      base[c] = wt ? harm__offence_base(wt->harm, so) : 0.0;
    }
  }
}

/* Place index of record i of a period, or -1 for none. */
static int64_t place_of(const period *pd, size_t i) {
  uint32_t p = pd->pref ? pd->pref[i].place : HARM__NO_PLACE;
  return p == HARM__NO_PLACE ? -1 : (int64_t)p;
}

/* Records of a period with a kept code and a place (and only[i] when
 * given), grouped by place: idx[start[p] .. start[p + 1]). Returns false
 * on allocation failure. */
static bool group_by_place(const period *pd, size_t n_places, const bool *only,
                           size_t **start_out, size_t **idx_out) {
  size_t *start = harm__calloc(n_places + 2, sizeof *start);
  size_t n = 0;
  if (!start) {
    return false;
  }
  for (size_t i = 0; i < pd->n; i++) {
    int64_t p = place_of(pd, i);
    if (p >= 0 && pd->col[pd->recs[i].code] != DROP && (!only || only[i])) {
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
  for (size_t i = 0; i < pd->n; i++) {
    int64_t p = place_of(pd, i);
    if (p >= 0 && pd->col[pd->recs[i].code] != DROP && (!only || only[i])) {
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
static harm_status place_totals(const period *pd, double half_life,
                                size_t n_places, harm_date ref, pstat *out) {
  size_t *start = NULL, *idx = NULL;
  if (!group_by_place(pd, n_places, NULL, &start, &idx)) {
    return HARM_ERR_NOMEM;
  }
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
    if (len > 1 && !harm__sort(g, len, sizeof *g, cmp_crime, (void *)pd)) {
      st = HARM_ERR_NOMEM;
      break;
    }
    const harm__rec *prev = NULL;
    for (size_t j = 0; j < len; j++) {
      const harm__rec *r = &pd->recs[g[j]];
      if (prev && pd->col[prev->code] == pd->col[r->code] &&
          prev->offence == r->offence) {
        continue; /* the same crime and code at this place again */
      }
      prev = r;
      int64_t u = harm__offence_units(
          pd->base[r->code],
          harm__offence_factor((int64_t)ref - r->date, half_life, 1));
      if (!harm__units_add(&ps->units, 1, u)) {
        st = HARM_ERR_LIMIT;
        break;
      }
      if (ps->last == HARM_DATE_NONE || r->date > ps->last) {
        ps->last = r->date;
      }
    }
    if (len == 1) {
      ps->crimes = 1;
      ps->victims = pd->recs[g[0]].victim != 0;
      continue;
    }
    for (size_t j = 0; j < len; j++) {
      tmp[j] = pd->recs[g[j]].offence;
    }
    ps->crimes = distinct(tmp, len);
    size_t nv = 0;
    for (size_t j = 0; j < len; j++) {
      uint64_t v = pd->recs[g[j]].victim;
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
  size_t place; /* dataset place index */
} rank_item;

static int cmp_rank(const void *pa, const void *pb, void *ctx) {
  (void)ctx;
  return harm_rank_key_compare(&((const rank_item *)pa)->key,
                               &((const rank_item *)pb)->key);
}

/* Sorts idx[0..n) (indices, in order) stably by key(i) < n_keys, then
 * each run of equal keys by cmp: a counting pass instead of one
 * comparison sort over everything (the runs are short: an offender's
 * places, a place's offenders). start gets n_keys + 1 run bounds when not
 * NULL. Returns false on allocation failure. */
static bool bucket_sort(size_t *idx, size_t n, const uint32_t *key,
                        size_t n_keys,
                        int (*cmp)(const void *, const void *, void *),
                        void *ctx, size_t *start) {
  size_t *at = harm__calloc(n_keys + 2, sizeof *at);
  size_t *out = harm__malloc((n + 1) * sizeof *out);
  bool ok = at && out;
  for (size_t i = 0; ok && i < n; i++) {
    at[key[idx[i]] + 2]++;
  }
  for (size_t k = 0; ok && k < n_keys; k++) {
    at[k + 2] += at[k + 1];
  }
  for (size_t i = 0; ok && i < n; i++) {
    out[at[key[idx[i]] + 1]++] = idx[i];
  }
  for (size_t k = 0; ok && k < n_keys; k++) {
    size_t a = at[k], len = at[k + 1] - a;
    if (len > 1 && cmp) {
      ok = harm__sort(out + a, len, sizeof *out, cmp, ctx);
    }
  }
  if (ok) {
    memcpy(idx, out, n * sizeof *idx);
    for (size_t k = 0; start && k <= n_keys; k++) {
      start[k] = at[k];
    }
  }
  harm__free(at);
  harm__free(out);
  return ok;
}

/* Within one offender's links (harm_place_link indices): harm descending,
 * then place rank. */
static int cmp_offender_links(const void *pa, const void *pb, void *ctx) {
  const harm_place_link *l = ctx;
  const harm_place_link *a = &l[*(const size_t *)pa];
  const harm_place_link *b = &l[*(const size_t *)pb];
  if (a->harm_units != b->harm_units) {
    return a->harm_units > b->harm_units ? -1 : 1;
  }
  return a->place < b->place ? -1 : a->place > b->place;
}

/* Within one place's links: harm descending, then offender id. */
static int cmp_place_links(const void *pa, const void *pb, void *ctx) {
  const harm_place_link *l = ctx;
  const harm_place_link *a = &l[*(const size_t *)pa];
  const harm_place_link *b = &l[*(const size_t *)pb];
  if (a->harm_units != b->harm_units) {
    return a->harm_units > b->harm_units ? -1 : 1;
  }
  return strcmp(a->offender_id, b->offender_id);
}

/* Places by area, then by rank within it. */
static int cmp_by_area(const void *pa, const void *pb, void *ctx) {
  const harm_place *pl = ctx;
  const harm_place *a = &pl[*(const size_t *)pa];
  const harm_place *b = &pl[*(const size_t *)pb];
  int c = strcmp(a->area, b->area);
  return c ? c : a->rank < b->rank ? -1 : a->rank > b->rank;
}

/* Puts the links in place rank order, each place's links by harm
 * descending, then offender id: bucketed by place rank, each bucket
 * sorted. */
static harm_status order_links(harm_places *P) {
  size_t n = P->n_links;
  size_t *idx = harm__malloc((n + 1) * sizeof *idx);
  uint32_t *key = harm__malloc((n + 1) * sizeof *key);
  harm_place_link *sorted = harm__malloc((n + 1) * sizeof *sorted);
  bool ok = idx && key && sorted;
  for (size_t i = 0; ok && i < n; i++) {
    idx[i] = i;
    key[i] = (uint32_t)P->links[i].place;
  }
  ok = ok && bucket_sort(idx, n, key, P->n, cmp_place_links, P->links, NULL);
  for (size_t i = 0; ok && i < n; i++) {
    sorted[i] = P->links[idx[i]];
  }
  if (ok) {
    memcpy(P->links, sorted, n * sizeof *sorted);
  }
  harm__free(idx);
  harm__free(key);
  harm__free(sorted);
  return ok ? HARM_OK : HARM_ERR_NOMEM;
}

/* Offender links of the current period, from the records the aggregate
 * scored for each offender, and the rows with no place. rows[p] counts
 * the scored rows at dataset place p, and area_of[p] their most frequent
 * area (ties: bytewise smallest; -1 none). */
static harm_status build_links(harm_places *P, const harm_matrix *m,
                               const period *pd, size_t n_places,
                               const size_t *rank_of, uint64_t *rows,
                               uint32_t *offenders, int32_t *area_of) {
  const harm_dataset *ds = m->ds;
  bool *kept = harm__malloc((ds->n_recs + 1) * sizeof *kept);
  uint32_t *acnt = harm__calloc(ds->areas.n + 1, sizeof *acnt);
  size_t *start = NULL, *idx = NULL;
  harm_status st = HARM_ERR_NOMEM;
  if (!kept || !acnt) {
    harm__free(kept);
    harm__free(acnt);
    return st;
  }
  st = harm__matrix_kept_all(m, kept);
  if (st != HARM_OK) {
    harm__free(kept);
    harm__free(acnt);
    return st;
  }
  bool split = m->attribution == HARM_ATTR_SPLIT;
  for (size_t i = 0; i < ds->n_recs; i++) {
    const harm__rec *r = &ds->recs[i];
    if (!kept[i]) {
      continue;
    }
    P->sum.rows_scored++;
    if (place_of(pd, i) < 0) {
      P->sum.rows_no_place++;
      uint32_t k = split ? harm__matrix_offenders(m, r->offence) : 1;
      int64_t u = harm__offence_units(
          pd->base[r->code], harm__offence_factor((int64_t)m->as_of - r->date,
                                                  m->half_life_days, k));
      if (!harm__units_add(&P->sum.harm_no_place_units, 1, u)) {
        harm__free(kept);
        harm__free(acnt);
        return HARM_ERR_LIMIT;
      }
    }
  }
  if (!group_by_place(pd, n_places, kept, &start, &idx)) {
    harm__free(kept);
    harm__free(acnt);
    return HARM_ERR_NOMEM;
  }
  harm__free(kept);
  size_t cap = 0;
  st = HARM_OK;
  for (size_t p = 0; p < n_places && st == HARM_OK; p++) {
    size_t *g = idx + start[p], len = start[p + 1] - start[p];
    rows[p] = len;
    area_of[p] = -1;
    if (!len) {
      continue;
    }
    /* The place's area: the most frequent among its scored rows. */
    for (size_t j = 0; j < len; j++) {
      int32_t a = harm__area_index(ds->recs[g[j]].area);
      if (a >= 0 && (++acnt[a] > (area_of[p] >= 0 ? acnt[area_of[p]] : 0) ||
                     (acnt[a] == acnt[area_of[p]] && a < area_of[p]))) {
        area_of[p] = a;
      }
    }
    for (size_t j = 0; j < len; j++) {
      int32_t a = harm__area_index(ds->recs[g[j]].area);
      if (a >= 0) {
        acnt[a] = 0;
      }
    }
    if (len > 1 && !harm__sort(g, len, sizeof *g, cmp_link, (void *)pd)) {
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
          pd->base[r->code], harm__offence_factor((int64_t)m->as_of - r->date,
                                                  m->half_life_days, k));
      if (!harm__units_add(&l->harm_units, 1, u)) {
        st = HARM_ERR_LIMIT;
      }
    }
  }
  harm__free(start);
  harm__free(idx);
  harm__free(acnt);
  for (size_t i = 0; i < P->n_links; i++) {
    P->links[i].harm = harm__units_days(P->links[i].harm_units);
  }
  /* In place rank order, then harm descending, then offender id. */
  if (st == HARM_OK && P->n_links > 1) {
    st = order_links(P);
  }
  return st;
}

/* The previous period's totals, from the records ingest kept aside. Their
 * codes index the dataset's full code dictionary, mapped to matrix columns
 * by an aggregate of no records over that dictionary (the run's category,
 * proactive and alias rules). */
static harm_status previous_totals(const harm_run *r, const harm_config *cfg,
                                   const harm_score_opts *so, harm_date ref,
                                   pstat *out, harm_error *err) {
  const harm_dataset *ds = harm_run_dataset(r);
  const harm_matrix *m = harm_run_matrix(r);
  size_t n_places = ds->places.n;
  if (!ds->n_prev) {
    for (size_t p = 0; p < n_places; p++) {
      memset(&out[p], 0, sizeof out[p]);
      out[p].last = HARM_DATE_NONE;
    }
    return HARM_OK;
  }
  harm_dataset codes;
  memset(&codes, 0, sizeof codes);
  codes.source = ds->source;
  codes.codes = ds->prev_codes; /* borrowed: never freed through `codes` */
  codes.as_of = ds->as_of;
  harm_matrix_opts mo = harm_config_matrix_opts(cfg, harm_run_weights(r, 0));
  mo.threads = 1;
  harm_matrix *mc = NULL;
  harm_status st = harm_matrix_build(&codes, &mo, &mc, err);
  if (st != HARM_OK) {
    return st;
  }
  double *base = harm__calloc(ds->prev_codes.n + 1, sizeof *base);
  if (!base) {
    harm_matrix_free(mc);
    return HARM_ERR_NOMEM;
  }
  code_bases(mc, mc->code_map, ds->prev_codes.n, harm_run_weights(r, 0), so,
             base);
  period pd = {ds->prev, ds->prev_pref, ds->n_prev, mc->code_map, base};
  st = place_totals(&pd, m->half_life_days, n_places, ref, out);
  harm__free(base);
  harm_matrix_free(mc);
  return st;
}

/* Each place's type: its most frequent type over the rows of both periods
 * (any code; ties: bytewise smallest; -1 none). */
static harm_status place_types(const harm_dataset *ds, int32_t *type_of) {
  size_t n_places = ds->places.n, nt = ds->place_types.n;
  for (size_t p = 0; p < n_places; p++) {
    type_of[p] = -1;
  }
  if (!nt) {
    return HARM_OK;
  }
  /* Counts per (place, type) pair: most places have one type, so a sort
   * of the pairs is cheaper than a table of places x types. */
  size_t n = ds->n_recs + ds->n_prev;
  uint64_t *pairs = harm__malloc((n + 1) * sizeof *pairs);
  if (!pairs) {
    return HARM_ERR_NOMEM;
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    const harm__place_ref *pr =
        i < ds->n_recs
            ? (ds->pref ? &ds->pref[i] : NULL)
            : (ds->prev_pref ? &ds->prev_pref[i - ds->n_recs] : NULL);
    if (pr && pr->place != HARM__NO_PLACE && pr->type != HARM__NO_PLACE) {
      pairs[k++] = (uint64_t)pr->place << 32 | pr->type;
    }
  }
  qsort(pairs, k, sizeof *pairs, cmp_u64p);
  size_t best_n = 0;
  for (size_t i = 0; i < k;) {
    size_t j = i;
    while (j < k && pairs[j] == pairs[i]) {
      j++;
    }
    uint32_t p = (uint32_t)(pairs[i] >> 32), t = (uint32_t)pairs[i];
    /* Types come in ascending order within a place: the first of the
     * most frequent is the bytewise smallest. */
    if (type_of[p] < 0 || j - i > best_n) {
      type_of[p] = (int32_t)t;
      best_n = j - i;
    }
    i = j;
  }
  harm__free(pairs);
  return HARM_OK;
}

/* What harm_places_new shares between its steps: the run's inputs, the
 * object being built, and scratch indexed by dataset place (n_all
 * entries), freed when the constructor returns. */
typedef struct places_build {
  const harm_run *r;
  const harm_dataset *ds;
  const harm_matrix *m;
  harm_window win;
  harm_score_opts so;
  int64_t lo;          /* first day of the window (as_of - lookback) */
  harm_places *P;      /* being built */
  size_t n_all;        /* places in the dataset */
  size_t n;            /* ranked places (some scored crime) */
  period pd;           /* the window's records */
  double *base;        /* per dataset code: base harm */
  pstat *cur;          /* per place: the window's totals */
  pstat *prev;         /* per place: the previous period's, or NULL */
  size_t *rank_of;     /* per place: rank - 1 */
  uint64_t *rows;      /* per place: scored rows */
  uint32_t *offenders; /* per place: distinct offenders */
  int32_t *area_of;    /* per place: area index or -1 */
  int32_t *type_of;    /* per place: type index or -1 */
  rank_item *items;    /* ranked places, best first */
  int64_t total;       /* harm units over the places with a scored crime */
} places_build;

/* Totals of the window per place, and the ranking of the places that have
 * a scored crime; allocates P->places. */
static harm_status rank_places(places_build *b) {
  harm_places *P = b->P;
  const harm_matrix *m = b->m;
  size_t n_all = b->n_all;
  pstat *cur = b->cur;
  rank_item *items = b->items;
  code_bases(m, m->code_map, b->ds->codes.n, harm_run_weights(b->r, 0), &b->so,
             b->base);
  harm_status st =
      place_totals(&b->pd, m->half_life_days, n_all, b->win.as_of, cur);
  if (st != HARM_OK) {
    return st;
  }
  size_t n = 0;
  for (size_t p = 0; p < n_all; p++) {
    if (cur[p].seen) {
      items[n].key = (harm_rank_key){harm__units_days(cur[p].units),
                                     cur[p].last, cur[p].crimes, p};
      items[n++].place = p;
    }
  }
  if (!harm__sort(items, n, sizeof *items, cmp_rank, NULL)) {
    return HARM_ERR_NOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    b->rank_of[items[i].place] = i;
  }
  P->places = harm__calloc(n + 1, sizeof *P->places);
  if (!P->places) {
    return HARM_ERR_NOMEM;
  }
  P->n = n;
  b->n = n;
  return HARM_OK;
}

/* The previous period's totals per place, from the same read (b->prev). */
static harm_status previous_period(places_build *b, const harm_config *cfg,
                                   harm_error *err) {
  b->prev = harm__calloc(b->n_all + 1, sizeof *b->prev);
  if (!b->prev) {
    return HARM_ERR_NOMEM;
  }
  return previous_totals(b->r, cfg, &b->so, (harm_date)b->lo, b->prev, err);
}

/* The spot thresholds of both periods and the harm total, into P->sum. */
static harm_status summary_totals(places_build *b) {
  harm_places_summary *S = &b->P->sum;
  size_t n_all = b->n_all;
  const pstat *cur = b->cur, *prev = b->prev;
  S->n_places = b->n;
  S->threshold = spot_threshold(cur, n_all, &S->n_with_harm, &S->mean, &S->sd);
  for (size_t p = 0; p < n_all; p++) {
    if (cur[p].seen && !harm__units_add(&b->total, 1, cur[p].units)) {
      return HARM_ERR_LIMIT;
    }
  }
  if (prev) {
    size_t k;
    double mn, sd;
    S->has_previous = true;
    S->previous_as_of = (harm_date)b->lo;
    S->previous_threshold = spot_threshold(prev, n_all, &k, &mn, &sd);
    for (size_t q = 0; q < n_all; q++) {
      S->previous_n_spots += is_spot(&prev[q], S->previous_threshold);
    }
  }
  return HARM_OK;
}

/* Median rows per ranked place (0 when none); false on allocation
 * failure. */
static bool median_rows(const places_build *b, double *median) {
  size_t n = b->n;
  uint64_t *rv = harm__malloc((n + 1) * sizeof *rv);
  if (!rv) {
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    rv[i] = b->rows[b->items[i].place];
  }
  qsort(rv, n, sizeof *rv, cmp_u64p);
  *median = n == 0  ? 0.0
            : n % 2 ? (double)rv[n / 2]
                    : ((double)rv[n / 2 - 1] + (double)rv[n / 2]) / 2.0;
  harm__free(rv);
  return true;
}

/* Each ranked place's fields and flags, the summary's counts and the
 * shares held by the top places. */
static harm_status fill_places(places_build *b) {
  harm_places *P = b->P;
  harm_places_summary *S = &P->sum;
  const harm_dataset *ds = b->ds;
  const pstat *cur = b->cur, *prev = b->prev;
  const uint64_t *rows = b->rows;
  const int32_t *area_of = b->area_of, *type_of = b->type_of;
  size_t n = b->n, n_all = b->n_all;
  int64_t total = b->total;
  uint64_t placed_rows = 0;
  for (size_t p = 0; p < n_all; p++) {
    placed_rows += cur[p].seen ? rows[p] : 0;
  }
  double median;
  if (!median_rows(b, &median)) {
    return HARM_ERR_NOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    size_t p = b->items[i].place;
    harm_place *pl = &P->places[i];
    pl->rank = i + 1;
    pl->place = harm__strpool_get(&ds->places, (uint32_t)p, NULL);
    pl->place_type =
        type_of[p] >= 0
            ? harm__strpool_get(&ds->place_types, (uint32_t)type_of[p], NULL)
            : "";
    pl->area = area_of[p] >= 0 ? harm_dataset_area(ds, (size_t)area_of[p]) : "";
    pl->harm_units = cur[p].units;
    pl->harm = harm__units_days(cur[p].units);
    pl->crimes = cur[p].crimes;
    pl->victims = cur[p].victims;
    pl->offenders = b->offenders[p];
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
    if (prev) {
      pl->harm_previous = harm__units_days(prev[p].units);
      pl->persistent =
          pl->harm_spot && is_spot(&prev[p], S->previous_threshold);
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
  return HARM_OK;
}

/* Per area: places by area (bytewise), then rank; places whose rows have
 * no area are left out. */
static harm_status rank_by_area(harm_places *P) {
  size_t n = P->n;
  P->by_area = harm__malloc((n + 1) * sizeof *P->by_area);
  if (!P->by_area) {
    return HARM_ERR_NOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    if (*P->places[i].area) {
      P->by_area[P->n_by_area++] = i;
    }
  }
  if (!harm__sort(P->by_area, P->n_by_area, sizeof *P->by_area, cmp_by_area,
                  P->places)) {
    return HARM_ERR_NOMEM;
  }
  for (size_t j = 0; j < P->n_by_area; j++) {
    harm_place *pl = &P->places[P->by_area[j]];
    const harm_place *before = j ? &P->places[P->by_area[j - 1]] : NULL;
    pl->area_rank = before && strcmp(before->area, pl->area) == 0
                        ? before->area_rank + 1
                        : 1;
  }
  return HARM_OK;
}

/* Addresses can be personal data: each place id replaced by its
 * pseudonym under o->place_key. Raises the error when a pseudonym
 * cannot be made. */
static harm_status pseudonymise_places(harm_places *P,
                                       const harm_places_opts *o,
                                       harm_error *err) {
  size_t n = P->n;
  for (size_t i = 0; i < n; i++) {
    char ps[HARM_PSEUDONYM_LEN + 1];
    harm_place *pl = &P->places[i];
    harm_status st = harm_pseudonym(o->place_key, o->place_key_len, pl->place,
                                    strlen(pl->place), ps);
    if (st != HARM_OK) {
      return harm__fail(err, st, "places", NULL, 0, NULL,
                        "cannot pseudonymise place ids");
    }
    uint32_t k = harm__strpool_intern(&P->pseudonyms, ps, strlen(ps), NULL);
    if (k == HARM__STRPOOL_FAIL) {
      return HARM_ERR_NOMEM;
    }
  }
  /* Interning may move the pool: take the pointers once it is full. */
  for (size_t i = 0; i < n; i++) {
    char ps[HARM_PSEUDONYM_LEN + 1];
    harm_place *pl = &P->places[i];
    (void)harm_pseudonym(o->place_key, o->place_key_len, pl->place,
                         strlen(pl->place), ps);
    uint32_t k = harm__strpool_intern(&P->pseudonyms, ps, strlen(ps), NULL);
    pl->place = harm__strpool_get(&P->pseudonyms, k, NULL);
  }
  return HARM_OK;
}

/* Links: each place's range, and the per-offender index (by subject, then
 * harm descending, then place rank). */
static harm_status index_links(harm_places *P, size_t n_subjects) {
  for (size_t i = 0; i < P->n_links; i++) {
    harm_place *pl = &P->places[P->links[i].place];
    if (!pl->n_links) {
      pl->first_link = i;
    }
    pl->n_links++;
  }
  P->n_subjects = n_subjects;
  P->by_offender = harm__malloc((P->n_links + 1) * sizeof *P->by_offender);
  P->off_start = harm__calloc(P->n_subjects + 2, sizeof *P->off_start);
  if (!P->by_offender || !P->off_start) {
    return HARM_ERR_NOMEM;
  }
  uint32_t *subj = harm__malloc((P->n_links + 1) * sizeof *subj);
  if (!subj) {
    return HARM_ERR_NOMEM;
  }
  for (size_t i = 0; i < P->n_links; i++) {
    P->by_offender[i] = i;
    subj[i] = (uint32_t)P->links[i].subject;
  }
  bool sorted = bucket_sort(P->by_offender, P->n_links, subj, P->n_subjects,
                            cmp_offender_links, P->links, P->off_start);
  harm__free(subj);
  return sorted ? HARM_OK : HARM_ERR_NOMEM;
}

/* The context of harm_places_new with its object and scratch allocated
 * (any of them NULL on allocation failure: the caller checks). */
static void build_init(places_build *b, const harm_run *r,
                       const harm_dataset *ds, const harm_matrix *m,
                       harm_window win) {
  size_t n_all = ds->places.n, n_codes = ds->codes.n;
  /* Allocated one by one, in this order, for the allocation-failure
   * tests (an initialiser list's order is unspecified). */
  *b = (places_build){
      .r = r,
      .ds = ds,
      .m = m,
      .win = win,
      .so = {0},
      .lo = (int64_t)win.as_of - win.lookback_days,
      .P = NULL,
      .n_all = n_all,
      .n = 0,
      .pd = {0},
      .base = NULL,
      .cur = NULL,
      .prev = NULL,
      .rank_of = NULL,
      .rows = NULL,
      .offenders = NULL,
      .area_of = NULL,
      .type_of = NULL,
      .items = NULL,
      .total = 0,
  };
  b->P = harm__calloc(1, sizeof *b->P);
  b->base = harm__calloc(n_codes + 1, sizeof *b->base);
  b->cur = harm__calloc(n_all + 1, sizeof *b->cur);
  b->rank_of = harm__calloc(n_all + 1, sizeof *b->rank_of);
  b->rows = harm__calloc(n_all + 1, sizeof *b->rows);
  b->offenders = harm__calloc(n_all + 1, sizeof *b->offenders);
  b->area_of = harm__calloc(n_all + 1, sizeof *b->area_of);
  b->type_of = harm__calloc(n_all + 1, sizeof *b->type_of);
  b->items = harm__calloc(n_all + 1, sizeof *b->items);
  b->pd = (period){ds->recs, ds->pref, ds->n_recs, m->code_map, b->base};
}

/* Frees the scratch of harm_places_new (not the object). */
static void build_free(places_build *b) {
  harm__free(b->base);
  harm__free(b->cur);
  harm__free(b->prev);
  harm__free(b->rank_of);
  harm__free(b->rows);
  harm__free(b->offenders);
  harm__free(b->area_of);
  harm__free(b->type_of);
  harm__free(b->items);
}

harm_status harm_places_new(const harm_run *r, const harm_config *cfg,
                            const harm_places_opts *opts, harm_places **out,
                            harm_error *err) {
  *out = NULL;
  harm_places_opts def = HARM_PLACES_OPTS_INIT;
  const harm_places_opts *o = opts ? opts : &def;
  const harm_dataset *ds = harm_run_dataset(r);
  const harm_matrix *m = harm_run_matrix(r);
  const char *col = o->place_column ? o->place_column : "place";
  if (!ds->has_place) {
    return harm__fail(err, HARM_ERR_USAGE, "places", ds->source, 1, col,
                      "the offences have no place column (set [columns] "
                      "place)");
  }
  harm_window win = harm_run_window(r);
  bool want_prev = o->previous_period && win.lookback_days > 0 &&
                   win.as_of != HARM_DATE_NONE;
  if (want_prev && ds->previous_days != win.lookback_days) {
    return harm__fail(err, HARM_ERR_USAGE, "places", ds->source, 0, NULL,
                      "the run did not keep the previous period (set "
                      "harm_run_opts.previous_days to the lookback)");
  }
  size_t n_all = ds->places.n;
  places_build b;
  build_init(&b, r, ds, m, win);
  harm_places *P = b.P;
  harm_status st = HARM_ERR_NOMEM;
  if (!P || !b.base || !b.cur || !b.rank_of || !b.rows || !b.offenders ||
      !b.area_of || !b.type_of || !b.items) {
    goto fail;
  }
  b.so = harm_run_score_opts(r);
  st = rank_places(&b);
  if (st == HARM_OK) {
    st = build_links(P, m, &b.pd, n_all, b.rank_of, b.rows, b.offenders,
                     b.area_of);
  }
  if (st == HARM_OK) {
    st = place_types(ds, b.type_of);
  }
  if (st == HARM_OK && b.n && want_prev) {
    st = previous_period(&b, cfg, err);
  }
  if (st == HARM_OK) {
    st = summary_totals(&b);
  }
  if (st == HARM_OK) {
    st = fill_places(&b);
  }
  if (st == HARM_OK) {
    st = rank_by_area(P);
  }
  if (st != HARM_OK) {
    goto fail;
  }
  if (o->place_key) {
    st = pseudonymise_places(P, o, err);
  }
  if (st == HARM_OK) {
    st = index_links(P, ds->subjects.n);
  }
fail:
  if (st != HARM_OK && !(err && err->status != HARM_OK)) {
    harm__fail(err, st, "places", NULL, 0, NULL,
               st == HARM_ERR_LIMIT ? "harm beyond 64-bit fixed point"
                                    : "out of memory");
  }
  build_free(&b);
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
  harm__free(p->by_area);
  harm__strpool_free(&p->pseudonyms);
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

harm_status harm_places_for_offenders(const harm_run *r, const harm_config *cfg,
                                      harm_places **out, harm_error *err) {
  *out = NULL;
  if (!harm_run_dataset(r)->has_place) {
    return HARM_OK; /* no place column: no top places */
  }
  harm_places_opts po = HARM_PLACES_OPTS_INIT;
  po.place_column = harm_config_get(cfg, "columns", "place");
  po.previous_period = false;
  return harm_places_new(r, cfg, &po, out, err);
}

size_t harm_places_n_by_area(const harm_places *p) { return p->n_by_area; }
size_t harm_places_by_area(const harm_places *p, size_t i) {
  return i < p->n_by_area ? p->by_area[i] : SIZE_MAX;
}

void harm_places_offender_text(const harm_places *p, const harm_run *place_run,
                               const char *offender_id, size_t n, char *buf,
                               size_t cap) {
  buf[0] = '\0';
  size_t subject;
  if (p && harm_dataset_find_subject(harm_run_dataset(place_run), offender_id,
                                     &subject)) {
    harm_places_subject_text(p, subject, n, buf, cap);
  }
}

void harm_places_subject_text(const harm_places *p, size_t subject, size_t n,
                              char *buf, size_t cap) {
  buf[0] = '\0';
  if (!p) {
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
