/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/analysis/sweep.c: how robust a cohort's core is to the weights.
 * Every draw perturbs each per-offence harm by a seeded uniform factor in
 * [1 - P, 1 + P], scores every subject from the one matrix with
 * harm_score_many (in batches), and picks the core as harm_cohort_select
 * does; each subject's share of draws in the core gets a Wilson interval.
 * Referral slots, backfill and tenure do not depend on the weights in a
 * way a perturbation can test, so the sweep leaves them out. */
#include <gsl/gsl_rng.h>
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "harmrank/analysis.h"

struct harm_analysis_sweep {
  const harm_matrix *m;
  harm_sweep_opts opts; /* exclusions cleared: borrowed only during _new */
  harm_sweep_row *rows;
  size_t n_rows;
};

/* The pool candidates (scored, enough offences, not excluded) and the
 * per-draw selection state. */
typedef struct pool {
  size_t n;           /* candidates */
  size_t *subject;    /* dataset subject index, ascending */
  harm_date *last;    /* last offence date */
  uint32_t *offences; /* scored offences */
  uint32_t *part;     /* partition index */
  size_t n_parts;
  size_t size;                    /* core places per partition */
  const harm_cohort_rules *rules; /* the pool rule */
  size_t *top;   /* n_parts x size candidate indices, best first */
  size_t *n_top; /* per partition */
} pool;

/* True when candidate x ranks above y under harms h, by the ranking's
 * own order. */
static bool above(const pool *p, const double *h, size_t x, size_t y) {
  harm_rank_key kx = {h[p->subject[x]], p->last[x], p->offences[x],
                      p->subject[x]};
  harm_rank_key ky = {h[p->subject[y]], p->last[y], p->offences[y],
                      p->subject[y]};
  return harm_rank_key_compare(&kx, &ky) < 0;
}

/* Fills p->top with the core under harms h (indexed by subject). Keeping
 * a sorted list of `size` per partition costs one comparison for most
 * candidates, so a draw is linear in the pool. */
static void select_core(pool *p, const double *h) {
  memset(p->n_top, 0, p->n_parts * sizeof *p->n_top);
  for (size_t c = 0; c < p->n; c++) {
    if (!harm_cohort_eligible(p->rules, h[p->subject[c]], p->offences[c])) {
      continue;
    }
    size_t *top = p->top + (size_t)p->part[c] * p->size;
    size_t *nt = &p->n_top[p->part[c]];
    if (*nt == p->size && !above(p, h, c, top[*nt - 1])) {
      continue;
    }
    size_t pos = *nt < p->size ? (*nt)++ : p->size - 1;
    while (pos > 0 && above(p, h, c, top[pos - 1])) {
      top[pos] = top[pos - 1];
      pos--;
    }
    top[pos] = c;
  }
}

static void pool_free(pool *p) {
  harm__free(p->subject);
  harm__free(p->last);
  harm__free(p->offences);
  harm__free(p->part);
  harm__free(p->top);
  harm__free(p->n_top);
}

static bool pool_init(pool *p, const harm_dataset *ds, const harm_matrix *m,
                      const harm_sweep_opts *o, const bool *excluded) {
  size_t ns = harm_matrix_n_subjects(m);
  memset(p, 0, sizeof *p);
  p->size = o->rules.size;
  p->rules = &o->rules;
  p->n_parts = o->rules.partition_by_area ? harm_dataset_n_areas(ds) + 1 : 1;
  p->subject = harm__reallocarray(NULL, ns + 1, sizeof *p->subject);
  p->last = harm__reallocarray(NULL, ns + 1, sizeof *p->last);
  p->offences = harm__reallocarray(NULL, ns + 1, sizeof *p->offences);
  p->part = harm__reallocarray(NULL, ns + 1, sizeof *p->part);
  p->top = harm__reallocarray(NULL, p->n_parts, p->size * sizeof *p->top);
  p->n_top = harm__calloc(p->n_parts, sizeof *p->n_top);
  if (!p->subject || !p->last || !p->offences || !p->part || !p->top ||
      !p->n_top) {
    return false;
  }
  for (size_t i = 0; i < ns; i++) {
    harm_subject_facts f = harm_matrix_facts(m, i);
    /* Offence counts do not change under perturbed weights; the harm
     * part of the pool rule is applied per draw (select_core). */
    if (f.offences == 0 || excluded[i]) {
      continue;
    }
    p->subject[p->n] = i;
    p->last[p->n] = f.last;
    p->offences[p->n] = f.offences;
    p->part[p->n] = (uint32_t)harm_cohort_partition(&o->rules, f.area);
    p->n++;
  }
  return true;
}

/* Ranks of every scored subject under harms h, by the same total order. */
typedef struct rank_ctx {
  const double *h;
  const harm_matrix *m;
} rank_ctx;

static int cmp_rank(const void *pa, const void *pb, void *ctx) {
  const rank_ctx *r = ctx;
  size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
  harm_subject_facts fa = harm_matrix_facts(r->m, a),
                     fb = harm_matrix_facts(r->m, b);
  harm_rank_key ka = {r->h[a], fa.last, fa.offences, a};
  harm_rank_key kb = {r->h[b], fb.last, fb.offences, b};
  return harm_rank_key_compare(&ka, &kb);
}

static int cmp_row(const void *pa, const void *pb, void *ctx) {
  const harm_sweep_row *a = pa, *b = pb;
  (void)ctx;
  if (a->draws_in != b->draws_in) {
    return a->draws_in > b->draws_in ? -1 : 1;
  }
  return a->base_rank < b->base_rank ? -1 : a->base_rank > b->base_rank;
}

void harm_analysis_wilson(size_t k, size_t n, double *lo, double *hi) {
  if (n == 0) {
    *lo = 0.0;
    *hi = 1.0;
    return;
  }
  const double z = 1.959963984540054; /* 97.5th normal percentile */
  double nn = (double)n, p = (double)k / nn, z2 = z * z;
  double den = 1.0 + z2 / nn;
  double mid = (p + z2 / (2.0 * nn)) / den;
  double half = z * sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn)) / den;
  *lo = mid - half < 0.0 ? 0.0 : mid - half;
  *hi = mid + half > 1.0 ? 1.0 : mid + half;
  /* At the ends the interval touches 0 or 1 exactly. */
  if (k == 0) {
    *lo = 0.0;
  }
  if (k == n) {
    *hi = 1.0;
  }
}

static harm_status check_opts(const harm_matrix *m, const double *base,
                              const harm_sweep_opts *o, harm_error *err) {
  if (!m || !base || !o) {
    return harm__fail(err, HARM_ERR_USAGE, "analysis", NULL, 0, NULL,
                      "NULL argument");
  }
  if (o->draws == 0 || o->draws > HARM_SWEEP_MAX_DRAWS) {
    return harm__fail(err, HARM_ERR_USAGE, "analysis", NULL, 0, NULL,
                      "the sweep takes 1 to %d draws, not %zu",
                      HARM_SWEEP_MAX_DRAWS, o->draws);
  }
  if (!(o->perturb >= 0.0 && o->perturb < 1.0)) {
    return harm__fail(err, HARM_ERR_CONFIG, "analysis", NULL, 0, NULL,
                      "perturb must be in [0, 1), not %g", o->perturb);
  }
  if (o->rules.size == 0) {
    return harm__fail(err, HARM_ERR_CONFIG, "analysis", NULL, 0, NULL,
                      "the cohort has no core places to sweep (size 0)");
  }
  if (o->rules.rfgv) {
    return harm__fail(err, HARM_ERR_CONFIG, "analysis", NULL, 0, NULL,
                      "the sweep ranks by CCHI harm; model = rfgv is not "
                      "supported");
  }
  return HARM_OK;
}

static harm_status nomem(harm_error *err) {
  return harm__fail(err, HARM_ERR_NOMEM, "analysis", NULL, 0, NULL,
                    "out of memory");
}

/* The working state of one sweep: what its steps share. */
typedef struct sweep_work {
  const harm_matrix *m;
  const double *base; /* the unperturbed weights, per code */
  const harm_sweep_opts *opts;
  size_t ns, nc; /* subjects; codes */
  size_t batch;  /* draws scored at once */
  pool p;
  gsl_rng *rng;
  bool *excluded;  /* per subject */
  bool *base_core; /* per candidate: in the unperturbed core */
  size_t *counts;  /* per candidate: draws in the core */
  size_t *order;   /* scored subjects, best first */
  size_t *rank;    /* per subject: unperturbed rank, 1-based */
  double *vecs;    /* batch x nc perturbed weights */
  double *h;       /* batch x ns harms */
} sweep_work;

static void work_free(sweep_work *w) {
  gsl_rng_free(w->rng);
  pool_free(&w->p);
  harm__free(w->excluded);
  harm__free(w->base_core);
  harm__free(w->counts);
  harm__free(w->order);
  harm__free(w->rank);
  harm__free(w->vecs);
  harm__free(w->h);
}

/* Allocates the working arrays, marks the excluded subjects and builds
 * the pool of candidates; false when out of memory. */
static bool work_alloc(sweep_work *w, const harm_dataset *ds) {
  const harm_sweep_opts *opts = w->opts;
  size_t ns = w->ns;
  w->excluded = harm__calloc(ns + 1, sizeof *w->excluded);
  w->vecs = harm__reallocarray(NULL, w->batch, (w->nc + 1) * sizeof *w->vecs);
  w->h = harm__reallocarray(NULL, w->batch, (ns + 1) * sizeof *w->h);
  if (!w->excluded || !w->vecs || !w->h) {
    return false;
  }
  for (size_t i = 0; opts->exclusions && i < harm_list_count(opts->exclusions);
       i++) {
    size_t subj;
    const harm_exclusion *x = harm_list_exclusion(opts->exclusions, i);
    if (x && harm_dataset_find_subject(ds, x->offender_id, &subj)) {
      w->excluded[subj] = true;
    }
  }
  if (!pool_init(&w->p, ds, w->m, opts, w->excluded)) {
    return false;
  }
  w->counts = harm__calloc(w->p.n + 1, sizeof *w->counts);
  w->base_core = harm__calloc(w->p.n + 1, sizeof *w->base_core);
  w->order = harm__reallocarray(NULL, ns + 1, sizeof *w->order);
  w->rank = harm__calloc(ns + 1, sizeof *w->rank);
  w->rng = gsl_rng_alloc(gsl_rng_mt19937);
  return w->counts && w->base_core && w->order && w->rank && w->rng;
}

/* The unperturbed core (w->base_core) and ranking (w->rank). */
static harm_status base_ranking(sweep_work *w, harm_error *err) {
  const harm_matrix *m = w->m;
  pool *p = &w->p;
  double *h = w->h;
  harm_status st = harm_score_many(m, w->base, 1, h, err);
  if (st != HARM_OK) {
    return st;
  }
  select_core(p, h);
  for (size_t q = 0; q < p->n_parts; q++) {
    for (size_t t = 0; t < p->n_top[q]; t++) {
      w->base_core[p->top[q * p->size + t]] = true;
    }
  }
  size_t n_scored = 0;
  for (size_t i = 0; i < w->ns; i++) {
    if (harm_matrix_facts(m, i).offences) {
      w->order[n_scored++] = i;
    }
  }
  rank_ctx rc = {h, m};
  if (!harm__sort(w->order, n_scored, sizeof *w->order, cmp_rank, &rc)) {
    return nomem(err);
  }
  for (size_t r = 0; r < n_scored; r++) {
    w->rank[w->order[r]] = r + 1;
  }
  return HARM_OK;
}

/* The draws, counting each candidate's draws in the core. The random
 * stream is consumed draw by draw and code by code, so the batch size
 * does not change the result. With P = 0 every factor is exactly 1.0 and
 * every draw is the unperturbed score. */
static harm_status run_draws(sweep_work *w, harm_error *err) {
  const harm_sweep_opts *opts = w->opts;
  size_t nc = w->nc, batch = w->batch;
  pool *p = &w->p;
  gsl_rng_set(w->rng, (unsigned long)opts->seed);
  double lo_f = 1.0 - opts->perturb, span = 2.0 * opts->perturb;
  for (size_t d0 = 0; d0 < opts->draws; d0 += batch) {
    size_t nb = opts->draws - d0 < batch ? opts->draws - d0 : batch;
    for (size_t b = 0; b < nb; b++) {
      for (size_t j = 0; j < nc; j++) {
        w->vecs[b * nc + j] =
            w->base[j] * (lo_f + span * gsl_rng_uniform(w->rng));
      }
    }
    harm_status st = harm_score_many(w->m, w->vecs, nb, w->h, err);
    if (st != HARM_OK) {
      return st;
    }
    for (size_t b = 0; b < nb; b++) {
      select_core(p, w->h + b * w->ns);
      for (size_t q = 0; q < p->n_parts; q++) {
        for (size_t t = 0; t < p->n_top[q]; t++) {
          w->counts[p->top[q * p->size + t]]++;
        }
      }
    }
  }
  return HARM_OK;
}

/* One row in s for each candidate ever in the core, most often first. */
static harm_status fill_rows(const sweep_work *w, harm_analysis_sweep *s,
                             harm_error *err) {
  const harm_sweep_opts *opts = w->opts;
  const pool *p = &w->p;
  size_t n_rows = 0;
  for (size_t c = 0; c < p->n; c++) {
    n_rows += w->counts[c] || w->base_core[c];
  }
  s->rows = harm__calloc(n_rows + 1, sizeof *s->rows);
  if (!s->rows) {
    return nomem(err);
  }
  for (size_t c = 0; c < p->n; c++) {
    if (!w->counts[c] && !w->base_core[c]) {
      continue;
    }
    harm_sweep_row *row = &s->rows[s->n_rows++];
    row->subject = p->subject[c];
    row->draws_in = w->counts[c];
    row->share = (double)w->counts[c] / (double)opts->draws;
    harm_analysis_wilson(w->counts[c], opts->draws, &row->wilson_lo,
                         &row->wilson_hi);
    row->base_rank = w->rank[p->subject[c]];
    row->base_core = w->base_core[c];
    row->area = opts->rules.partition_by_area ? (int32_t)p->part[c] - 1 : -1;
  }
  if (!harm__sort(s->rows, s->n_rows, sizeof *s->rows, cmp_row, NULL)) {
    return nomem(err);
  }
  return HARM_OK;
}

harm_status harm_analysis_sweep_new(const harm_dataset *ds,
                                    const harm_matrix *m, const double *base,
                                    const harm_sweep_opts *opts,
                                    harm_analysis_sweep **out,
                                    harm_error *err) {
  if (out) {
    *out = NULL;
  }
  harm_status st = check_opts(m, base, opts, err);
  if (st != HARM_OK) {
    return st;
  }
  if (!out || !ds) {
    return harm__fail(err, HARM_ERR_USAGE, "analysis", NULL, 0, NULL,
                      "NULL argument");
  }
  sweep_work w;
  memset(&w, 0, sizeof w);
  w.m = m;
  w.base = base;
  w.opts = opts;
  w.ns = harm_matrix_n_subjects(m);
  w.nc = harm_matrix_n_codes(m);
  w.batch = opts->batch ? opts->batch : 32;
  if (w.batch > opts->draws) {
    w.batch = opts->draws;
  }
  harm_analysis_sweep *s = harm__calloc(1, sizeof *s);
  st = s && work_alloc(&w, ds) ? HARM_OK : nomem(err);
  if (st == HARM_OK) {
    st = base_ranking(&w, err);
  }
  if (st == HARM_OK) {
    st = run_draws(&w, err);
  }
  if (st == HARM_OK) {
    st = fill_rows(&w, s, err);
  }
  if (st == HARM_OK) {
    s->m = m;
    s->opts = *opts;
    s->opts.exclusions = NULL;
    s->opts.batch = w.batch;
    *out = s;
  } else {
    harm_analysis_sweep_free(s);
  }
  work_free(&w);
  return st;
}

void harm_analysis_sweep_free(harm_analysis_sweep *s) {
  if (!s) {
    return;
  }
  harm__free(s->rows);
  harm__free(s);
}

const harm_matrix *harm_analysis_sweep_matrix(const harm_analysis_sweep *s) {
  return s->m;
}

size_t harm_analysis_sweep_draws(const harm_analysis_sweep *s) {
  return s->opts.draws;
}

const harm_sweep_opts *
harm_analysis_sweep_opts_used(const harm_analysis_sweep *s) {
  return &s->opts;
}

size_t harm_analysis_sweep_count(const harm_analysis_sweep *s) {
  return s->n_rows;
}

const harm_sweep_row *harm_analysis_sweep_row(const harm_analysis_sweep *s,
                                              size_t i) {
  return i < s->n_rows ? &s->rows[i] : NULL;
}
