/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/score/score.c: turns the aggregate into harm scores for a weight
 * table, by the per-offence rule of score/kernel.c: each offence's harm in
 * fixed point, summed as integers. */
#include <math.h>
#include <string.h>
#include <threads.h>

#include "core/internal.h"
#include "score/kernel.h"
#include "score/matrix.h"

struct harm_scores {
  const harm_matrix *m;
  harm_score *items;
  size_t n;
  harm_unknown_code *unknown;
  size_t n_unknown;
  double *base; /* per-offence base harm of each column */
};

static harm_status overflow(harm_error *err) {
  return harm__fail(err, HARM_ERR_LIMIT, "score", NULL, 0, NULL,
                    "a harm total exceeds 64-bit fixed point (9.2e12 days)");
}

static harm_status check_opts(const harm_score_opts *o, harm_error *err) {
  if (!(o->cap >= 0) || !isfinite(o->cap)) {
    return harm__fail(err, HARM_ERR_CONFIG, "score", NULL, 0, NULL,
                      "cap must be a finite number of days >= 0");
  }
  if (o->transform != HARM_TRANSFORM_NONE &&
      o->transform != HARM_TRANSFORM_SQRT &&
      o->transform != HARM_TRANSFORM_LOG1P) {
    return harm__fail(err, HARM_ERR_CONFIG, "score", NULL, 0, NULL,
                      "unknown transform");
  }
  return HARM_OK;
}

harm_status harm_score_vector(const harm_matrix *m, const harm_weights *w,
                              const harm_score_opts *opts, double *vec,
                              harm_error *err) {
  harm_score_opts defaults = HARM_SCORE_OPTS_INIT;
  if (!opts) {
    opts = &defaults;
  }
  if (!m || !w || !vec) {
    return harm__fail(err, HARM_ERR_USAGE, "score", NULL, 0, NULL,
                      "NULL argument");
  }
  harm_status st = check_opts(opts, err);
  if (st != HARM_OK) {
    return st;
  }
  for (uint32_t j = 0; j < m->codes.n; j++) {
    const harm_weight *wt =
        harm_weights_find(w, harm__strpool_get(&m->codes, j, NULL));
    vec[j] = wt ? harm__offence_base(wt->harm, opts) : 0.0;
  }
  return HARM_OK;
}

/* One thread's share of harm_score_compute: subjects [i0, i1), written
 * from items[at] on. */
typedef struct score_job {
  const harm_matrix *m;
  const double *vec;
  /* Uniform matrices (every factor 1): each column's one-offence units,
   * harm__offence_units(vec[c], 1), worked out once, not per entry.
   * NULL otherwise. */
  const int64_t *unit;
  harm_score *items;
  size_t i0, i1;
  size_t n;  /* subjects with a scored offence in the range */
  size_t at; /* where the range's first score goes */
  bool overflow;
} score_job;

static int score_count(void *arg) {
  score_job *j = arg;
  const harm_subject_facts *f = j->m->facts;
  size_t n = 0;
  for (size_t i = j->i0; i < j->i1; i++) {
    n += f[i].offences != 0;
  }
  j->n = n;
  return 0;
}

static int score_range(void *arg) {
  score_job *j = arg;
  const harm_matrix *m = j->m;
  harm_score *sc = j->items + j->at;
  for (size_t i = j->i0; i < j->i1; i++) {
    if (m->facts[i].offences == 0) {
      continue;
    }
    sc->subject = (uint32_t)i; /* i < n_subjects <= UINT32_MAX */
    sc->top_code = -1;
    int64_t total = 0, top = 0, max_one = 0;
    for (size_t e = m->row[i]; e < m->row[i + 1]; e++) {
      int64_t part = 0, one;
      bool ok;
      if (j->unit) {
        one = j->unit[m->col[e]];
        ok = harm__units_add(&part, m->cnt[e], one);
      } else {
        ok = harm__entry_units(m, e, j->vec[m->col[e]], &part, &one);
      }
      if (!ok || __builtin_add_overflow(total, part, &total)) {
        j->overflow = true;
        return 0;
      }
      if (part > top) {
        top = part;
        sc->top_code = (int32_t)m->col[e];
      }
      max_one = one > max_one ? one : max_one;
    }
    sc->harm_units = total;
    sc->harm = harm__units_days(total);
    sc->max_offence_harm = harm__units_days(max_one);
    sc++;
  }
  return 0;
}

harm_status harm_score_compute(const harm_matrix *m, const harm_weights *w,
                               const harm_score_opts *opts, harm_scores **out,
                               harm_error *err) {
  *out = NULL;
  harm_score_opts defaults = HARM_SCORE_OPTS_INIT;
  if (!opts) {
    opts = &defaults;
  }
  if (!m || !w) {
    return harm__fail(err, HARM_ERR_USAGE, "score", NULL, 0, NULL,
                      "NULL matrix or weights");
  }
  harm_status st = check_opts(opts, err);
  if (st != HARM_OK) {
    return st;
  }
  size_t nc = m->codes.n;
  double *vec = harm__malloc((nc + 1) * sizeof *vec);
  int64_t *unit = NULL; /* uniform: one-offence units per column */
  harm_scores *s = harm__calloc(1, sizeof *s);
  if (s) {
    s->m = m;
    s->items = harm__matrix_alloc(m, (m->n_subjects + 1) * sizeof *s->items);
  }
  if (!vec || !s || !s->items) {
    st = harm__fail(err, HARM_ERR_NOMEM, "score", NULL, 0, NULL,
                    "out of memory");
    goto fail;
  }
  size_t n_unknown = 0;
  for (uint32_t j = 0; j < nc; j++) {
    const char *code = harm__strpool_get(&m->codes, j, NULL);
    const harm_weight *wt = harm_weights_find(w, code);
    if (!wt) {
      if (opts->strict_codes) {
        st = harm__fail(err, HARM_ERR_DATA, "score", harm_weights_source(w), 0,
                        "offence_code",
                        "unknown code \"%s\" (%llu offences; strict_codes is "
                        "on)",
                        code, (unsigned long long)m->code_count[j]);
        goto fail;
      }
      n_unknown++;
      vec[j] = 0.0;
    } else {
      vec[j] = harm__offence_base(wt->harm, opts);
    }
  }
  s->unknown = harm__calloc(n_unknown + 1, sizeof *s->unknown);
  if (!s->unknown) {
    st = harm__fail(err, HARM_ERR_NOMEM, "score", NULL, 0, NULL,
                    "out of memory");
    goto fail;
  }
  for (uint32_t j = 0; j < nc; j++) {
    const char *code = harm__strpool_get(&m->codes, j, NULL);
    if (!harm_weights_find(w, code)) {
      s->unknown[s->n_unknown].code = code;
      s->unknown[s->n_unknown].count = m->code_count[j];
      s->n_unknown++;
    }
  }
  /* Subjects in T ranges: each range's scored subjects are counted
   * first, so each thread writes its own slice of the items in subject
   * order; every subject's score is the same whatever the split. */
  if (m->uniform) {
    unit = harm__malloc((nc + 1) * sizeof *unit);
    if (!unit) {
      st = harm__fail(err, HARM_ERR_NOMEM, "score", NULL, 0, NULL,
                      "out of memory");
      goto fail;
    }
    for (size_t c = 0; c < nc; c++) {
      unit[c] = harm__offence_units(vec[c], 1.0);
    }
  }
  unsigned T = harm__par_threads(m->threads, m->n_subjects);
  score_job jobs[HARM__PAR_MAX];
  for (unsigned t = 0; t < T; t++) {
    jobs[t] = (score_job){.m = m,
                          .vec = vec,
                          .unit = unit,
                          .items = s->items,
                          .i0 = m->n_subjects * t / T,
                          .i1 = m->n_subjects * (t + 1) / T};
  }
  harm__par_run(score_count, jobs, sizeof *jobs, T);
  for (unsigned t = 0; t < T; t++) {
    jobs[t].at = s->n;
    s->n += jobs[t].n;
  }
  harm__par_run(score_range, jobs, sizeof *jobs, T);
  for (unsigned t = 0; t < T; t++) {
    if (jobs[t].overflow) {
      st = overflow(err);
      goto fail;
    }
  }
  harm__free(unit);
  s->base = vec;
  *out = s;
  return HARM_OK;
fail:
  harm__free(unit);
  harm__free(vec);
  harm_scores_free(s);
  return st;
}

static int cmp_part(const void *pa, const void *pb, void *ctx) {
  (void)ctx;
  const harm_score_part *a = pa, *b = pb;
  if (a->harm_units != b->harm_units) {
    return a->harm_units > b->harm_units ? -1 : 1;
  }
  return a->code < b->code ? -1 : a->code > b->code;
}

harm_status harm_score_parts(const harm_scores *s, const harm_score *sc,
                             harm_score_part **parts, size_t *n,
                             harm_error *err) {
  const harm_matrix *m = s->m;
  size_t e0 = m->row[sc->subject], e1 = m->row[sc->subject + 1];
  harm_score_part *p = harm__malloc((e1 - e0 + 1) * sizeof *p);
  *parts = NULL;
  *n = 0;
  if (!p) {
    return harm__fail(err, HARM_ERR_NOMEM, "score", NULL, 0, NULL,
                      "out of memory");
  }
  for (size_t e = e0; e < e1; e++) {
    harm_score_part *q = &p[e - e0];
    q->code = m->col[e];
    q->offences = m->cnt[e];
    /* The score was computed from these very entries without overflow. */
    harm__entry_units(m, e, s->base[m->col[e]], &q->harm_units, NULL);
    q->harm = harm__units_days(q->harm_units);
  }
  if (!harm__sort(p, e1 - e0, sizeof *p, cmp_part, NULL)) {
    harm__free(p);
    return harm__fail(err, HARM_ERR_NOMEM, "score", NULL, 0, NULL,
                      "out of memory");
  }
  *parts = p;
  *n = e1 - e0;
  return HARM_OK;
}

void harm_scores_free(harm_scores *s) {
  if (!s) {
    return;
  }
  harm__free(s->items);
  harm__free(s->unknown);
  harm__free(s->base);
  harm__free(s);
}

size_t harm_scores_count(const harm_scores *s) { return s->n; }
const harm_score *harm_scores_at(const harm_scores *s, size_t i) {
  return i < s->n ? &s->items[i] : NULL;
}
const harm_matrix *harm_scores_matrix(const harm_scores *s) { return s->m; }
harm_subject_facts harm_score_facts(const harm_scores *s,
                                    const harm_score *sc) {
  return s->m->facts[sc->subject];
}
const harm_unknown_code *harm_scores_unknown(const harm_scores *s, size_t *n) {
  *n = s->n_unknown;
  return s->unknown;
}

typedef struct many_job {
  const harm_matrix *m;
  const double *vectors;
  size_t n_vectors;
  double *out;
  size_t i0, i1;        /* subjects */
  const int64_t *units; /* uniform matrices: per vector, per column,
                           one offence's units */
  bool overflow;
} many_job;

/* Blocks of subjects: a block's matrix rows stay in cache while every
 * vector is applied. A uniform matrix (no decay, no split) needs one
 * integer multiply-add per entry with each column's offence units worked
 * out once per vector; otherwise each entry's factor runs go through the
 * kernel. Either way the sums are the integers harm_score_compute adds,
 * so results are bit-identical to it whatever the split. */
static int many_run(void *arg) {
  many_job *j = arg;
  const harm_matrix *m = j->m;
  size_t ns = m->n_subjects, nc = m->codes.n;
  enum { BLOCK = 512 };
  for (size_t b0 = j->i0; b0 < j->i1; b0 += BLOCK) {
    size_t b1 = b0 + BLOCK < j->i1 ? b0 + BLOCK : j->i1;
    for (size_t k = 0; k < j->n_vectors; k++) {
      const double *vec = j->vectors + k * nc;
      const int64_t *u = j->units ? j->units + k * nc : NULL;
      for (size_t i = b0; i < b1; i++) {
        int64_t h = 0;
        bool ok = true;
        for (size_t e = m->row[i]; e < m->row[i + 1] && ok; e++) {
          int64_t part;
          if (u) {
            ok = !__builtin_mul_overflow((int64_t)m->cnt[e], u[m->col[e]],
                                         &part);
          } else {
            ok = harm__entry_units(m, e, vec[m->col[e]], &part, NULL);
          }
          ok = ok && !__builtin_add_overflow(h, part, &h);
        }
        j->overflow |= !ok;
        j->out[k * ns + i] = harm__units_days(h);
      }
    }
  }
  return 0;
}

harm_status harm_score_many(const harm_matrix *m, const double *vectors,
                            size_t n_vectors, double *out, harm_error *err) {
  if (!m || (!vectors && n_vectors) || (!out && n_vectors)) {
    return harm__fail(err, HARM_ERR_USAGE, "score", NULL, 0, NULL,
                      "NULL argument");
  }
  enum { MAX_T = 64 };
  size_t ns = m->n_subjects, nc = m->codes.n;
  int64_t *units = NULL;
  if (m->uniform && n_vectors) {
    units = harm__malloc((n_vectors * nc + 1) * sizeof *units);
    if (!units) {
      return harm__fail(err, HARM_ERR_NOMEM, "score", NULL, 0, NULL,
                        "out of memory");
    }
    for (size_t k = 0; k < n_vectors * nc; k++) {
      units[k] = harm__offence_units(vectors[k], 1.0);
    }
  }
  unsigned T = m->threads ? m->threads : harm__cpu_count();
  if (T > MAX_T) {
    T = MAX_T;
  }
  if (ns * (n_vectors ? n_vectors : 1) < 262144) {
    T = 1; /* not worth a thread */
  }
  many_job jobs[MAX_T];
  thrd_t tid[MAX_T];
  bool started[MAX_T] = {false};
  for (unsigned t = 0; t < T; t++) {
    jobs[t] = (many_job){.m = m,
                         .vectors = vectors,
                         .n_vectors = n_vectors,
                         .out = out,
                         .i0 = ns * t / T,
                         .i1 = ns * (t + 1) / T,
                         .units = units};
  }
  for (unsigned t = 1; t < T; t++) {
    started[t] = thrd_create(&tid[t], many_run, &jobs[t]) == thrd_success;
  }
  many_run(&jobs[0]);
  bool over = jobs[0].overflow;
  for (unsigned t = 1; t < T; t++) {
    if (started[t]) {
      thrd_join(tid[t], NULL);
    } else {
      many_run(&jobs[t]);
    }
    over |= jobs[t].overflow;
  }
  harm__free(units);
  return over ? overflow(err) : HARM_OK;
}
