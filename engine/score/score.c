/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/score/score.c: turns the aggregate into harm scores for a weight
 * table: per-offence harm h = transform(min(weight, cap)), subject harm =
 * sum over codes of h x factor sum, in ascending column order. */
#include <math.h>
#include <string.h>
#include <threads.h>

#include "core/internal.h"
#include "score/matrix.h"

struct harm_scores {
  const harm_matrix *m;
  harm_score *items;
  size_t n;
  harm_unknown_code *unknown;
  size_t n_unknown;
};

double harm__score_transform(double days, const harm_score_opts *o) {
  if (o->cap > 0 && days > o->cap) {
    days = o->cap;
  }
  switch (o->transform) {
  case HARM_TRANSFORM_SQRT:
    return sqrt(days);
  case HARM_TRANSFORM_LOG1P:
    return log1p(days);
  case HARM_TRANSFORM_NONE:
  default:
    return days;
  }
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
    vec[j] = wt ? harm__score_transform(wt->harm, opts) : 0.0;
  }
  return HARM_OK;
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
  harm_scores *s = harm__calloc(1, sizeof *s);
  if (s) {
    s->m = m;
    s->items = harm__malloc((m->n_subjects + 1) * sizeof *s->items);
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
      vec[j] = harm__score_transform(wt->harm, opts);
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
  for (size_t i = 0; i < m->n_subjects; i++) {
    if (m->facts[i].offences == 0) {
      continue;
    }
    harm_score *sc = &s->items[s->n++];
    sc->subject = i;
    sc->harm = 0;
    sc->max_offence_harm = 0;
    sc->top_code = -1;
    sc->facts = m->facts[i];
    double top = 0;
    for (size_t e = m->row[i]; e < m->row[i + 1]; e++) {
      double h = vec[m->col[e]];
      double part = h * m->sum[e];
      sc->harm += part;
      if (part > top) {
        top = part;
        sc->top_code = (int32_t)m->col[e];
      }
      if (h * m->maxf[e] > sc->max_offence_harm) {
        sc->max_offence_harm = h * m->maxf[e];
      }
    }
  }
  harm__free(vec);
  *out = s;
  return HARM_OK;
fail:
  harm__free(vec);
  harm_scores_free(s);
  return st;
}

void harm_scores_free(harm_scores *s) {
  if (!s) {
    return;
  }
  harm__free(s->items);
  harm__free(s->unknown);
  harm__free(s);
}

size_t harm_scores_count(const harm_scores *s) { return s->n; }
const harm_score *harm_scores_at(const harm_scores *s, size_t i) {
  return i < s->n ? &s->items[i] : NULL;
}
const harm_matrix *harm_scores_matrix(const harm_scores *s) { return s->m; }
const harm_unknown_code *harm_scores_unknown(const harm_scores *s, size_t *n) {
  *n = s->n_unknown;
  return s->unknown;
}

typedef struct many_job {
  const harm_matrix *m;
  const double *vectors;
  size_t n_vectors;
  double *out;
  size_t i0, i1; /* subjects */
} many_job;

/* Blocks of subjects: a block's matrix rows stay in cache while every
 * vector is applied, four vectors per pass over the rows (the column and
 * factor of an entry are loaded once for four sums). Each subject's sum
 * for one vector still runs over its codes in column order, exactly as in
 * harm_score_compute, so results are bit-identical whatever the split. */
static int many_run(void *arg) {
  const many_job *j = arg;
  const harm_matrix *m = j->m;
  size_t ns = m->n_subjects, nc = m->codes.n;
  enum { BLOCK = 512 };
  for (size_t b0 = j->i0; b0 < j->i1; b0 += BLOCK) {
    size_t b1 = b0 + BLOCK < j->i1 ? b0 + BLOCK : j->i1;
    size_t k = 0;
    for (; k + 4 <= j->n_vectors; k += 4) {
      const double *v0 = j->vectors + k * nc, *v1 = v0 + nc, *v2 = v1 + nc,
                   *v3 = v2 + nc;
      for (size_t i = b0; i < b1; i++) {
        double h0 = 0, h1 = 0, h2 = 0, h3 = 0;
        for (size_t e = m->row[i]; e < m->row[i + 1]; e++) {
          uint32_t c = m->col[e];
          double f = m->sum[e];
          h0 += v0[c] * f;
          h1 += v1[c] * f;
          h2 += v2[c] * f;
          h3 += v3[c] * f;
        }
        j->out[k * ns + i] = h0;
        j->out[(k + 1) * ns + i] = h1;
        j->out[(k + 2) * ns + i] = h2;
        j->out[(k + 3) * ns + i] = h3;
      }
    }
    for (; k < j->n_vectors; k++) {
      const double *vec = j->vectors + k * nc;
      for (size_t i = b0; i < b1; i++) {
        double h = 0;
        for (size_t e = m->row[i]; e < m->row[i + 1]; e++) {
          h += vec[m->col[e]] * m->sum[e];
        }
        j->out[k * ns + i] = h;
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
  size_t ns = m->n_subjects;
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
    jobs[t] =
        (many_job){m, vectors, n_vectors, out, ns * t / T, ns * (t + 1) / T};
  }
  for (unsigned t = 1; t < T; t++) {
    started[t] = thrd_create(&tid[t], many_run, &jobs[t]) == thrd_success;
  }
  many_run(&jobs[0]);
  for (unsigned t = 1; t < T; t++) {
    if (started[t]) {
      thrd_join(tid[t], NULL);
    } else {
      many_run(&jobs[t]);
    }
  }
  return HARM_OK;
}
