/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/score/people_matrix.c: the aggregate of people in either role,
 * merged from the offender and victim aggregates' own entries and factor
 * runs (so the per-offence kernel gives the same units), and each
 * subject's scored crimes (for the "different crimes" rule). */
#include "score/people_matrix.h"

#include <string.h>

#include "core/internal.h"
#include "ingest/dataset.h"
#include "score/matrix.h"

/* One run of one source entry, placed in the people matrix. */
typedef struct trip {
  size_t person;
  uint32_t col;
  double factor;
  uint32_t count;
} trip;

static int cmp_trip(const void *pa, const void *pb, void *ctx) {
  (void)ctx;
  const trip *a = pa, *b = pb;
  if (a->person != b->person) {
    return a->person < b->person ? -1 : 1;
  }
  if (a->col != b->col) {
    return a->col < b->col ? -1 : 1;
  }
  return a->factor < b->factor ? -1 : a->factor > b->factor;
}

static int cmp_str(const void *a, const void *b, void *ctx) {
  (void)ctx;
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef struct gather {
  trip *t;
  size_t n, cap;
  size_t person;
  uint32_t col;
  bool failed;
} gather;

static void on_run(void *ctx, double factor, uint32_t count) {
  gather *g = ctx;
  if (g->n == g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 256;
    trip *t = harm__reallocarray(g->t, cap, sizeof *t);
    if (!t) {
      g->failed = true;
      return;
    }
    g->t = t;
    g->cap = cap;
  }
  g->t[g->n++] = (trip){g->person, g->col, factor, count};
}

/* Distinct source matrices of the rows (at most a few). */
enum { MAX_SOURCES = 8 };

/* Distinct source matrices of the rows (at most a few), into src. */
static harm_status find_sources(const harm__people_row *rows, size_t n_rows,
                                const harm_matrix **src, size_t *n_src_out) {
  size_t n_src = 0;
  for (size_t r = 0; r < n_rows; r++) {
    size_t k = 0;
    while (k < n_src && src[k] != rows[r].m) {
      k++;
    }
    if (k == n_src) {
      if (n_src == MAX_SOURCES) {
        return HARM_ERR_LIMIT;
      }
      src[n_src++] = rows[r].m;
    }
  }
  *n_src_out = n_src;
  return HARM_OK;
}

/* The union of the sources' codes, in bytewise order, into m->codes, and
 * each source's map of its code to m's column (colmap[k]). Returns false
 * on allocation failure. */
static bool union_codes(const harm_matrix **src, size_t n_src, harm_matrix *m,
                        uint32_t **colmap) {
  size_t n_names = 0;
  for (size_t k = 0; k < n_src; k++) {
    n_names += src[k]->codes.n;
  }
  const char **names = harm__malloc((n_names + 1) * sizeof *names);
  if (!names) {
    return false;
  }
  bool ok = false;
  n_names = 0;
  for (size_t k = 0; k < n_src; k++) {
    for (uint32_t j = 0; j < src[k]->codes.n; j++) {
      names[n_names++] = harm__strpool_get(&src[k]->codes, j, NULL);
    }
  }
  if (!harm__sort(names, n_names, sizeof *names, cmp_str, NULL)) {
    goto done;
  }
  for (size_t j = 0; j < n_names; j++) {
    if ((j == 0 || strcmp(names[j], names[j - 1]) != 0) &&
        harm__strpool_intern(&m->codes, names[j], strlen(names[j]), NULL) ==
            HARM__STRPOOL_FAIL) {
      goto done;
    }
  }
  for (size_t k = 0; k < n_src; k++) {
    colmap[k] = harm__malloc(((size_t)src[k]->codes.n + 1) * sizeof **colmap);
    if (!colmap[k]) {
      goto done;
    }
    for (uint32_t j = 0; j < src[k]->codes.n; j++) {
      size_t len;
      const char *c = harm__strpool_get(&src[k]->codes, j, &len);
      colmap[k][j] = harm__strpool_find(&m->codes, c, len);
    }
  }
  ok = true;
done:
  harm__free(names);
  return ok;
}

/* Every run of every source entry, then sorted by person, column and
 * factor (equal factors then merge into one run). Returns false on
 * allocation failure. */
static bool gather_runs(const harm__people_row *rows, size_t n_rows,
                        const harm_matrix **src, uint32_t *const *colmap,
                        gather *g) {
  for (size_t r = 0; r < n_rows && !g->failed; r++) {
    const harm_matrix *s = rows[r].m;
    size_t k = 0;
    while (src[k] != s) {
      k++;
    }
    g->person = rows[r].person;
    for (size_t e = s->row[rows[r].subject];
         e < s->row[rows[r].subject + 1] && !g->failed; e++) {
      g->col = colmap[k][s->col[e]];
      harm__matrix_runs(s, e, on_run, g);
    }
  }
  return !g->failed && harm__sort(g->t, g->n, sizeof *g->t, cmp_trip, NULL);
}

/* m's settings from `like` and its arrays sized for n_people people and at
 * most n_trips entries and runs; the facts copied. Returns false on
 * allocation failure. */
static bool alloc_people_matrix(harm_matrix *m, const harm_dataset *people_ds,
                                size_t n_people,
                                const harm_subject_facts *facts,
                                const harm_matrix *like, size_t n_trips) {
  size_t nc = m->codes.n;
  m->ds = people_ds;
  m->acct = like->acct;
  m->n_subjects = n_people;
  m->as_of = like->as_of;
  m->half_life_days = like->half_life_days;
  m->attribution = like->attribution;
  m->threads = like->threads;
  m->uniform = false;
  m->code_count = harm__calloc(nc + 1, sizeof *m->code_count);
  m->row = harm__calloc(n_people + 1, sizeof *m->row);
  m->col = harm__malloc((n_trips + 1) * sizeof *m->col);
  m->cnt = harm__malloc((n_trips + 1) * sizeof *m->cnt);
  m->run_at = harm__malloc((n_trips + 1) * sizeof *m->run_at);
  m->run_n = harm__malloc((n_trips + 1) * sizeof *m->run_n);
  m->run_f = harm__malloc((n_trips + 1) * sizeof *m->run_f);
  m->run_c = harm__malloc((n_trips + 1) * sizeof *m->run_c);
  m->code_map = harm__calloc(1, sizeof *m->code_map);
  m->code_proactive = harm__calloc(1, sizeof *m->code_proactive);
  m->facts = harm__malloc((n_people + 1) * sizeof *m->facts);
  if (!m->code_count || !m->row || !m->col || !m->cnt || !m->run_at ||
      !m->run_n || !m->run_f || !m->run_c || !m->code_map ||
      !m->code_proactive || !m->facts) {
    return false;
  }
  memcpy(m->facts, facts, n_people * sizeof *m->facts);
  return true;
}

/* The sorted runs into m's entries: one entry per (person, column), equal
 * factors merged into one run; the row starts summed. HARM_ERR_LIMIT when a
 * count passes 32 bits. */
static harm_status merge_runs(harm_matrix *m, const gather *g,
                              size_t n_people) {
  size_t n_runs = 0, nnz = 0;
  for (size_t i = 0; i < g->n;) {
    const trip *t = &g->t[i];
    /* A new entry for each (person, column). */
    m->col[nnz] = (uint16_t)t->col; /* (at most HARM__REC_MAX_INDEX) */
    m->run_at[nnz] = n_runs;
    m->run_n[nnz] = 0;
    uint64_t cnt = 0;
    size_t j = i;
    while (j < g->n && g->t[j].person == t->person && g->t[j].col == t->col) {
      double f = g->t[j].factor;
      uint64_t c = 0;
      while (j < g->n && g->t[j].person == t->person && g->t[j].col == t->col &&
             g->t[j].factor == f) {
        c += g->t[j].count;
        j++;
      }
      if (c > UINT32_MAX) {
        return HARM_ERR_LIMIT;
      }
      m->run_f[n_runs] = f;
      m->run_c[n_runs++] = (uint32_t)c;
      m->run_n[nnz]++;
      cnt += c;
    }
    if (cnt > UINT32_MAX) {
      return HARM_ERR_LIMIT;
    }
    m->cnt[nnz] = (uint32_t)cnt;
    m->code_count[t->col] += cnt;
    m->row[t->person + 1]++;
    nnz++;
    i = j;
  }
  for (size_t p = 0; p < n_people; p++) {
    m->row[p + 1] += m->row[p];
  }
  m->nnz = nnz;
  return HARM_OK;
}

harm_status harm__matrix_people(const harm_dataset *people_ds, size_t n_people,
                                const harm__people_row *rows, size_t n_rows,
                                const harm_subject_facts *facts,
                                const harm_matrix *like, harm_matrix **out,
                                const char **over) {
  *out = NULL;
  *over = NULL;
  const harm_matrix *src[MAX_SOURCES];
  uint32_t *colmap[MAX_SOURCES] = {NULL};
  size_t n_src = 0;
  harm_status st = find_sources(rows, n_rows, src, &n_src);
  if (st != HARM_OK) {
    return st;
  }
  st = HARM_ERR_NOMEM;
  harm_matrix *m = harm__calloc(1, sizeof *m);
  gather g = {0};
  bool codes = m && union_codes(src, n_src, m, colmap);
  if (codes && m->codes.n > HARM__REC_MAX_INDEX) {
    st = HARM_ERR_LIMIT; /* (a column is 16 bits: harm_matrix.col) */
    *over = "offence codes";
  } else if (codes && gather_runs(rows, n_rows, src, colmap, &g) &&
             alloc_people_matrix(m, people_ds, n_people, facts, like, g.n)) {
    /* Row offsets are 32-bit (harm_matrix.row): at most g.n entries. */
    st = g.n < UINT32_MAX ? merge_runs(m, &g, n_people) : HARM_ERR_LIMIT;
    *over = st == HARM_ERR_LIMIT ? "offences" : NULL;
  }
  for (size_t k = 0; k < n_src; k++) {
    harm__free(colmap[k]);
  }
  harm__free(g.t);
  if (st != HARM_OK) {
    harm_matrix_free(m);
    return st;
  }
  *out = m;
  return HARM_OK;
}

typedef struct pair {
  uint32_t subject;
  uint64_t offence;
} pair;

static int cmp_pair(const void *pa, const void *pb, void *ctx) {
  (void)ctx;
  const pair *a = pa, *b = pb;
  if (a->subject != b->subject) {
    return a->subject < b->subject ? -1 : 1;
  }
  return a->offence < b->offence ? -1 : a->offence > b->offence;
}

harm_status harm__matrix_crimes(const harm_matrix *m, uint32_t **subject,
                                uint64_t **offence, size_t *n) {
  *subject = NULL;
  *offence = NULL;
  *n = 0;
  const harm_dataset *ds = m->ds;
  size_t ns = m->n_subjects, nr = ds->n_recs;
  size_t *start = harm__calloc(ns + 2, sizeof *start);
  size_t *recs = harm__malloc((nr + 1) * sizeof *recs);
  bool *kept = harm__malloc((nr + 1) * sizeof *kept);
  pair *pairs = harm__malloc((nr + 1) * sizeof *pairs);
  harm_status st = HARM_ERR_NOMEM;
  if (!start || !recs || !kept || !pairs) {
    goto done;
  }
  /* Records grouped by subject (a counting sort). */
  for (size_t i = 0; i < nr; i++) {
    start[ds->recs[i].subject + 2]++;
  }
  for (size_t s = 0; s < ns; s++) {
    start[s + 2] += start[s + 1];
  }
  for (size_t i = 0; i < nr; i++) {
    recs[start[ds->recs[i].subject + 1]++] = i;
  }
  size_t np = 0;
  for (size_t s = 0; s < ns; s++) {
    size_t a = start[s], b = start[s + 1];
    if (b > a && harm__matrix_kept(m, s, recs + a, b - a, kept) != HARM_OK) {
      goto done;
    }
    for (size_t k = a; k < b; k++) {
      if (kept[k - a]) {
        pairs[np++] = (pair){(uint32_t)s, ds->recs[recs[k]].offence};
      }
    }
  }
  if (!harm__sort(pairs, np, sizeof *pairs, cmp_pair, NULL)) {
    goto done;
  }
  size_t nd = 0;
  for (size_t i = 0; i < np; i++) {
    if (nd == 0 || cmp_pair(&pairs[i], &pairs[nd - 1], NULL) != 0) {
      pairs[nd++] = pairs[i];
    }
  }
  *subject = harm__malloc((nd + 1) * sizeof **subject);
  *offence = harm__malloc((nd + 1) * sizeof **offence);
  if (!*subject || !*offence) {
    harm__free(*subject);
    harm__free(*offence);
    *subject = NULL;
    *offence = NULL;
    goto done;
  }
  for (size_t i = 0; i < nd; i++) {
    (*subject)[i] = pairs[i].subject;
    (*offence)[i] = pairs[i].offence;
  }
  *n = nd;
  st = HARM_OK;
done:
  harm__free(start);
  harm__free(recs);
  harm__free(kept);
  harm__free(pairs);
  return st;
}
