/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/score/matrix.c: builds the window aggregate from a dataset:
 * alias and proactive/category filtering per code, dedupe, split
 * attribution, decay, and per-subject facts. Every step works on records
 * sorted by a total key, so the result never depends on input order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "ingest/dataset.h"
#include "score/matrix.h"

#define DROP UINT32_MAX

/* Working record: a dataset record with its matrix column. */
typedef struct wrec {
  uint32_t subject;
  uint32_t col;
  int32_t date;
  int32_t area;
  uint64_t offence;
  uint64_t victim;
  double factor;
} wrec;

static int cmp_u64(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }

/* Total order: subject, column, offence, then date, victim, area, so the
 * copy kept by dedupe (the first) is the earliest-dated one. */
static int cmp_wrec(const void *pa, const void *pb) {
  const wrec *a = pa, *b = pb;
  int c;
  if ((c = cmp_u64(a->subject, b->subject)) || (c = cmp_u64(a->col, b->col)) ||
      (c = cmp_u64(a->offence, b->offence))) {
    return c;
  }
  if (a->date != b->date) {
    return a->date < b->date ? -1 : 1;
  }
  if ((c = cmp_u64(a->victim, b->victim))) {
    return c;
  }
  return a->area < b->area ? -1 : a->area > b->area;
}

/* Order for split attribution: offence, column. */
static int cmp_crime(const void *pa, const void *pb) {
  const wrec *a = *(const wrec *const *)pa, *b = *(const wrec *const *)pb;
  int c;
  if ((c = cmp_u64(a->offence, b->offence))) {
    return c;
  }
  return cmp_u64(a->col, b->col);
}

static int cmp_victim(const void *pa, const void *pb) {
  return cmp_u64(*(const uint64_t *)pa, *(const uint64_t *)pb);
}

static bool in_categories(const harm_matrix_opts *o, const harm_weight *wt) {
  if (!o->n_categories) {
    return true;
  }
  if (!wt) {
    return false;
  }
  for (size_t i = 0; i < o->n_categories; i++) {
    if (harm__ieq(wt->category, strlen(wt->category), o->categories[i])) {
      return true;
    }
  }
  return false;
}

/* Maps each dataset code to a matrix column (DROP for left-out codes) and
 * fills the canonical code pool in bytewise order. proactive[c] tells
 * whether a dropped code was proactive. */
static harm_status map_codes(harm_matrix *m, const harm_matrix_opts *o,
                             uint32_t *map, bool *proactive) {
  const harm_dataset *ds = m->ds;
  harm__strpool tmp = HARM__STRPOOL_INIT;
  for (uint32_t c = 0; c < ds->codes.n; c++) {
    const char *code = harm__strpool_get(&ds->codes, c, NULL);
    const char *canon =
        o->weights ? harm_weights_canonical(o->weights, code) : code;
    const harm_weight *wt =
        o->weights ? harm_weights_find(o->weights, canon) : NULL;
    proactive[c] = false;
    map[c] = DROP;
    if (o->exclude_proactive && wt && wt->proactive) {
      proactive[c] = true;
      continue;
    }
    if (!in_categories(o, wt)) {
      continue;
    }
    map[c] = harm__strpool_intern(&tmp, canon, strlen(canon), NULL);
    if (map[c] == HARM__STRPOOL_FAIL) {
      harm__strpool_free(&tmp);
      return HARM_ERR_NOMEM;
    }
  }
  uint32_t *rank = harm__malloc(((size_t)tmp.n + 1) * sizeof *rank);
  uint32_t *order = harm__malloc(((size_t)tmp.n + 1) * sizeof *order);
  if (!rank || !order || !harm__strpool_sorted(&tmp, order, rank) ||
      !harm__strpool_permute(&tmp, order)) {
    harm__free(rank);
    harm__free(order);
    harm__strpool_free(&tmp);
    return HARM_ERR_NOMEM;
  }
  for (uint32_t c = 0; c < ds->codes.n; c++) {
    if (map[c] != DROP) {
      map[c] = rank[map[c]];
    }
  }
  harm__free(rank);
  harm__free(order);
  m->codes = tmp;
  return HARM_OK;
}

static harm_status build(harm_matrix *m, const harm_matrix_opts *o) {
  const harm_dataset *ds = m->ds;
  size_t n_codes = ds->codes.n;
  uint32_t *map = harm__malloc((n_codes + 1) * sizeof *map);
  bool *proactive = harm__malloc((n_codes + 1) * sizeof *proactive);
  wrec *w = harm__malloc((ds->n_recs + 1) * sizeof *w);
  wrec **byc = NULL;
  uint64_t *victims = NULL;
  harm_status st = HARM_ERR_NOMEM;
  if (!map || !proactive || !w) {
    goto done;
  }
  st = map_codes(m, o, map, proactive);
  if (st != HARM_OK) {
    goto done;
  }
  st = HARM_ERR_NOMEM;
  /* Records grouped by subject without random writes over the whole
   * array: a first pass scatters them into at most 256 buckets by the
   * subject's top bits (256 sequential streams), then each bucket, small
   * enough to stay in cache, is radix sorted on the remaining bits. Then
   * each subject's few records get a small sort of their own. */
  size_t n_subj = ds->subjects.n;
  unsigned bits = 1;
  while (bits < 32 && ((size_t)1 << bits) < n_subj) {
    bits++;
  }
  unsigned shift = bits > 8 ? bits - 8 : 0;
  size_t n_buckets = n_subj ? ((n_subj - 1) >> shift) + 1 : 1;
  size_t bstart[257] = {0};
  for (size_t i = 0; i < ds->n_recs; i++) {
    const harm__rec *r = &ds->recs[i];
    if (map[r->code] == DROP) {
      m->acct.filtered++;
      m->acct.proactive += proactive[r->code];
      continue;
    }
    bstart[(r->subject >> shift) + 1]++;
  }
  for (size_t b = 1; b <= n_buckets; b++) {
    bstart[b] += bstart[b - 1];
  }
  size_t n = bstart[n_buckets];
  {
    size_t fill[256];
    memcpy(fill, bstart, n_buckets * sizeof *fill);
    for (size_t i = 0; i < ds->n_recs; i++) {
      const harm__rec *r = &ds->recs[i];
      if (map[r->code] != DROP) {
        wrec x = {r->subject, map[r->code], r->date, r->area,
                  r->offence, r->victim,    1.0};
        w[fill[r->subject >> shift]++] = x;
      }
    }
  }
  size_t max_bucket = 0;
  for (size_t b = 0; b < n_buckets; b++) {
    size_t len = bstart[b + 1] - bstart[b];
    max_bucket = len > max_bucket ? len : max_bucket;
  }
  wrec *tmp = shift ? harm__malloc((max_bucket + 1) * sizeof *tmp) : NULL;
  if (shift && !tmp) {
    goto done;
  }
  for (size_t b = 0; b < n_buckets && shift; b++) {
    wrec *g = w + bstart[b];
    size_t len = bstart[b + 1] - bstart[b];
    wrec *src = g, *dst = tmp;
    for (unsigned d = 0; d < shift; d += 8) {
      size_t cnt[257] = {0};
      for (size_t i = 0; i < len; i++) {
        cnt[((src[i].subject >> d) & 0xff) + 1]++;
      }
      for (size_t c = 1; c < 257; c++) {
        cnt[c] += cnt[c - 1];
      }
      for (size_t i = 0; i < len; i++) {
        dst[cnt[(src[i].subject >> d) & 0xff]++] = src[i];
      }
      wrec *t = src;
      src = dst;
      dst = t;
    }
    if (src != g) {
      memcpy(g, src, len * sizeof *g);
    }
  }
  harm__free(tmp);
  size_t *start = harm__calloc(n_subj + 2, sizeof *start);
  if (!start) {
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    start[w[i].subject + 1]++;
  }
  for (size_t i = 1; i <= n_subj; i++) {
    start[i] += start[i - 1];
  }
  for (size_t sj = 0; sj < n_subj; sj++) {
    wrec *g = w + start[sj];
    size_t len = start[sj + 1] - start[sj];
    if (len <= 16) {
      for (size_t a = 1; a < len; a++) {
        wrec x = g[a];
        size_t b = a;
        while (b > 0 && cmp_wrec(&g[b - 1], &x) > 0) {
          g[b] = g[b - 1];
          b--;
        }
        g[b] = x;
      }
    } else {
      qsort(g, len, sizeof *g, cmp_wrec);
    }
  }
  harm__free(start);
  /* Dedupe on (subject, column, offence): keep the first of each run. */
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (k && w[k - 1].subject == w[i].subject && w[k - 1].col == w[i].col &&
        w[k - 1].offence == w[i].offence) {
      m->acct.duplicates++;
      continue;
    }
    w[k++] = w[i];
  }
  n = k;
  m->acct.scored = n;
  if (o->attribution == HARM_ATTR_SPLIT && n) {
    byc = harm__malloc(n * sizeof *byc);
    if (!byc) {
      goto done;
    }
    for (size_t i = 0; i < n; i++) {
      byc[i] = &w[i];
    }
    qsort(byc, n, sizeof *byc, cmp_crime);
    for (size_t i = 0; i < n;) {
      size_t j = i + 1;
      while (j < n && byc[j]->offence == byc[i]->offence &&
             byc[j]->col == byc[i]->col) {
        j++;
      }
      for (size_t t = i; t < j; t++) {
        byc[t]->factor = 1.0 / (double)(j - i);
      }
      i = j;
    }
  }
  if (o->half_life_days > 0) {
    for (size_t i = 0; i < n; i++) {
      double age = (double)((int64_t)ds->as_of - w[i].date);
      w[i].factor *= pow(0.5, age / o->half_life_days);
    }
  }
  /* Compressed rows. */
  m->n_subjects = ds->subjects.n;
  m->row = harm__calloc(m->n_subjects + 1, sizeof *m->row);
  m->facts = harm__calloc(m->n_subjects + 1, sizeof *m->facts);
  m->code_count = harm__calloc((size_t)m->codes.n + 1, sizeof *m->code_count);
  size_t nnz = 0;
  for (size_t i = 0; i < n; i++) {
    nnz +=
        i == 0 || w[i].subject != w[i - 1].subject || w[i].col != w[i - 1].col;
  }
  m->col = harm__malloc((nnz + 1) * sizeof *m->col);
  m->sum = harm__malloc((nnz + 1) * sizeof *m->sum);
  m->maxf = harm__malloc((nnz + 1) * sizeof *m->maxf);
  m->cnt = harm__malloc((nnz + 1) * sizeof *m->cnt);
  victims = harm__malloc((n + 1) * sizeof *victims);
  if (!m->row || !m->facts || !m->code_count || !m->col || !m->sum ||
      !m->maxf || !m->cnt || !victims) {
    goto done;
  }
  for (size_t s = 0; s < m->n_subjects; s++) {
    harm_subject_facts *f = &m->facts[s];
    f->first = f->last = HARM_DATE_NONE;
    f->area = -1;
  }
  size_t e = 0;
  for (size_t i = 0; i < n;) {
    uint32_t s = w[i].subject;
    size_t j = i;
    harm_subject_facts *f = &m->facts[s];
    size_t n_vict = 0;
    while (j < n && w[j].subject == s) {
      const wrec *r = &w[j];
      if (j == i || r->col != w[j - 1].col) {
        m->col[e] = r->col;
        m->sum[e] = 0;
        m->maxf[e] = 0;
        m->cnt[e] = 0;
        e++;
      }
      m->sum[e - 1] += r->factor;
      m->cnt[e - 1]++;
      if (r->factor > m->maxf[e - 1]) {
        m->maxf[e - 1] = r->factor;
      }
      m->code_count[r->col]++;
      f->offences++;
      if (f->first == HARM_DATE_NONE || r->date < f->first) {
        f->first = r->date;
      }
      if (f->last == HARM_DATE_NONE || r->date > f->last ||
          (r->date == f->last && r->area < f->area)) {
        f->last = r->date;
        f->area = r->area;
      }
      if (r->victim) {
        victims[n_vict++] = r->victim;
      }
      j++;
    }
    if (n_vict <= 16) {
      /* Most offenders have a handful of victims: no qsort call. */
      for (size_t a = 1; a < n_vict; a++) {
        uint64_t x = victims[a];
        size_t b = a;
        while (b > 0 && victims[b - 1] > x) {
          victims[b] = victims[b - 1];
          b--;
        }
        victims[b] = x;
      }
    } else {
      qsort(victims, n_vict, sizeof *victims, cmp_victim);
    }
    for (size_t v = 0; v < n_vict; v++) {
      f->victims += v == 0 || victims[v] != victims[v - 1];
    }
    m->row[s + 1] = e;
    i = j;
  }
  /* Fill offsets of subjects without entries. */
  for (size_t s = 1; s <= m->n_subjects; s++) {
    if (m->row[s] < m->row[s - 1]) {
      m->row[s] = m->row[s - 1];
    }
  }
  m->nnz = e;
  st = HARM_OK;
done:
  harm__free(map);
  harm__free(proactive);
  harm__free(w);
  harm__free(byc);
  harm__free(victims);
  return st;
}

harm_status harm_matrix_build(const harm_dataset *ds,
                              const harm_matrix_opts *opts, harm_matrix **out,
                              harm_error *err) {
  *out = NULL;
  harm_matrix_opts defaults = HARM_MATRIX_OPTS_INIT;
  if (!opts) {
    opts = &defaults;
  }
  if (!ds) {
    return harm__fail(err, HARM_ERR_USAGE, "aggregate", NULL, 0, NULL,
                      "no dataset");
  }
  if (!(opts->half_life_days >= 0) || !isfinite(opts->half_life_days)) {
    return harm__fail(err, HARM_ERR_CONFIG, "aggregate", NULL, 0, NULL,
                      "half_life_days must be a finite number >= 0");
  }
  if (opts->n_categories && !opts->categories) {
    return harm__fail(err, HARM_ERR_USAGE, "aggregate", NULL, 0, NULL,
                      "n_categories set without categories");
  }
  if (opts->n_categories && !opts->weights) {
    return harm__fail(err, HARM_ERR_CONFIG, "aggregate", NULL, 0, NULL,
                      "category filters need a weights table");
  }
  harm_matrix *m = harm__calloc(1, sizeof *m);
  if (!m) {
    return harm__fail(err, HARM_ERR_NOMEM, "aggregate", NULL, 0, NULL,
                      "out of memory");
  }
  m->ds = ds;
  m->acct = ds->acct;
  m->acct.scored = 0;
  m->acct.duplicates = 0;
  harm_status st = build(m, opts);
  if (st != HARM_OK) {
    harm_matrix_free(m);
    return harm__fail(err, st, "aggregate", ds->source, 0, NULL,
                      "out of memory building the aggregate");
  }
  *out = m;
  return HARM_OK;
}

void harm_matrix_free(harm_matrix *m) {
  if (!m) {
    return;
  }
  harm__strpool_free(&m->codes);
  harm__free(m->code_count);
  harm__free(m->row);
  harm__free(m->col);
  harm__free(m->sum);
  harm__free(m->maxf);
  harm__free(m->cnt);
  harm__free(m->facts);
  harm__free(m);
}

const harm_dataset *harm_matrix_dataset(const harm_matrix *m) { return m->ds; }
harm_accounting harm_matrix_accounting(const harm_matrix *m) { return m->acct; }
size_t harm_matrix_n_subjects(const harm_matrix *m) { return m->n_subjects; }
size_t harm_matrix_n_codes(const harm_matrix *m) { return m->codes.n; }
const char *harm_matrix_code(const harm_matrix *m, size_t j) {
  return harm__strpool_get(&m->codes, (uint32_t)j, NULL);
}
uint64_t harm_matrix_code_count(const harm_matrix *m, size_t j) {
  return m->code_count[j];
}
size_t harm_matrix_nnz(const harm_matrix *m) { return m->nnz; }
harm_subject_facts harm_matrix_facts(const harm_matrix *m, size_t i) {
  return m->facts[i];
}

size_t harm_matrix_row(const harm_matrix *m, size_t i, harm_matrix_entry *out,
                       size_t cap) {
  size_t n = m->row[i + 1] - m->row[i];
  for (size_t k = 0; k < n && k < cap; k++) {
    size_t e = m->row[i] + k;
    out[k].code = m->col[e];
    out[k].offences = m->cnt[e];
    out[k].factor_sum = m->sum[e];
    out[k].factor_max = m->maxf[e];
  }
  return n;
}
