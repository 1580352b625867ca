/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/score/matrix.c: builds the window aggregate from a dataset:
 * alias and proactive/category filtering per code, dedupe, split
 * attribution, decay, and per-subject facts. Every step works on records
 * sorted by a total key, so the result never depends on input order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "core/internal.h"
#include "ingest/dataset.h"
#include "score/kernel.h"
#include "score/matrix.h"

#define DROP UINT32_MAX
/* A working record past the end of its subject's records after dedupe
 * (subject numbers are below UINT32_MAX). */
#define GONE UINT32_MAX

size_t harm__agg_bucket_recs = 16384;

/* Working record: a dataset record with its matrix column in place of
 * its code (columns are some of the dataset's codes: 16 bits), the same
 * 28 bytes (the split factor k, needed only under split attribution, is
 * a side array), so the working copy costs no more than the records it
 * is made from. */
typedef struct wrec {
  uint32_t subject;
  int32_t date;
  uint16_t col;
  uint16_t area; /* HARM__REC_NO_AREA: none */
  harm__hash64 offence;
  harm__hash64 victim;
} wrec;
_Static_assert(sizeof(wrec) == sizeof(harm__rec), "wrec is a harm__rec");

/* The working record made from dataset record r in column col. */
static inline wrec make_wrec(uint32_t subject, uint32_t col,
                             const harm__rec *r) {
  return (wrec){.subject = subject,
                .date = r->date,
                .col = (uint16_t)col, /* col < codes.n <= 65535 */
                .area = r->area,
                .offence = r->offence,
                .victim = r->victim};
}

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

/* Order for split attribution: offence, then subject, so the distinct
 * offenders of one offence id are adjacent whatever their codes. */
static int cmp_crime(const void *pa, const void *pb) {
  const wrec *a = *(const wrec *const *)pa, *b = *(const wrec *const *)pb;
  int c;
  if ((c = cmp_u64(a->offence, b->offence))) {
    return c;
  }
  return cmp_u64(a->subject, b->subject);
}

static int cmp_double(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return a < b ? -1 : a > b;
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
static harm_status map_codes(harm_matrix *m, const harm_matrix_opts *o) {
  uint32_t *map = m->code_map;
  bool *proactive = m->code_proactive;
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

enum { MAX_AGG_THREADS = 64 };

/* One worker's share of the aggregation: subjects [s0, s1), whose
 * records (w sorted by subject) are [p0, p1). */
typedef struct agg_job {
  harm_matrix *m;
  wrec *w;
  const uint32_t *wk; /* split attribution: k of each record of w, else
                         NULL (every k is 1) */
  size_t s0, s1, p0, p1;
  const harm_matrix_opts *opts;
  harm_date as_of;
  size_t dups;
  size_t kept; /* records left after dedupe (phase 1) */
  uint64_t *code_count;
  /* A release build: phase 2 hands back the pages of the working copy
   * behind it, so the copy shrinks as the matrix grows. */
  bool consume;
  bool failed;
} agg_job;

static void sort_group(wrec *g, size_t len) {
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

/* Whether record i of a subject's sorted group repeats an earlier
 * (code, offence): the dedupe rule. The copy kept is the first in
 * cmp_wrec order, i.e. the earliest dated (then smallest victim hash,
 * then lowest area index). */
static bool repeats(const wrec *prev_kept, const wrec *r) {
  return prev_kept && prev_kept->col == r->col &&
         prev_kept->offence == r->offence;
}

/* The end of the group of records that starts at p (all of one subject,
 * those dedupe dropped included: after phase 1 the first of them is
 * marked GONE and the others still name the subject), at most `end`. */
static size_t group_end(const wrec *w, size_t p, size_t end) {
  uint32_t s = w[p].subject;
  size_t q = p + 1;
  while (q < end && (w[q].subject == s || w[q].subject == GONE)) {
    q++;
  }
  return q;
}

/* The records of the group [p, q) that dedupe kept: up to the mark phase
 * 1 left (no array of lengths beside the records). */
static size_t group_kept(const wrec *w, size_t p, size_t q) {
  size_t k = p;
  while (k < q && w[k].subject != GONE) {
    k++;
  }
  return k - p;
}

/* Phase 1: sort each subject's records, drop repeats of (code, offence)
 * (the records kept move to the group's front; when some went, the first
 * record after them is marked GONE), count distinct codes into
 * m->row[s + 1]. */
static int agg_phase1(void *arg) {
  agg_job *j = arg;
  for (size_t p = j->p0, q; p < j->p1; p = q) {
    q = group_end(j->w, p, j->p1);
    wrec *g = j->w + p;
    size_t sj = g[0].subject;
    size_t len = q - p;
    sort_group(g, len);
    size_t k = 0, cols = 0;
    for (size_t i = 0; i < len; i++) {
      if (repeats(k ? &g[k - 1] : NULL, &g[i])) {
        j->dups++;
        continue;
      }
      cols += k == 0 || g[k - 1].col != g[i].col;
      g[k++] = g[i];
    }
    if (k < len) {
      g[k].subject = GONE; /* the kept records end here (group_kept) */
    }
    j->kept += k;
    j->m->row[sj + 1] = (uint32_t)cols; /* cols <= k */
  }
  return 0;
}

/* Runs of equal factors for the entry made of records r[0..n) (their
 * distinct offenders k[0..n), or NULL for 1 each): factors from the
 * kernel, sorted, then counted. */
static void entry_runs(harm_matrix *m, size_t e, const wrec *r,
                       const uint32_t *k, size_t n, size_t at, double *tmp) {
  for (size_t i = 0; i < n; i++) {
    tmp[i] = harm__offence_factor((int64_t)m->as_of - r[i].date,
                                  m->half_life_days, k ? k[i] : 1);
  }
  qsort(tmp, n, sizeof *tmp, cmp_double);
  uint32_t runs = 0;
  for (size_t i = 0; i < n; i++) {
    if (runs && m->run_f[at + runs - 1] == tmp[i]) {
      m->run_c[at + runs - 1]++;
    } else {
      m->run_f[at + runs] = tmp[i];
      m->run_c[at + runs] = 1;
      runs++;
    }
  }
  m->run_at[e] = at;
  m->run_n[e] = runs;
}

/* Phase 2: each subject's entries (offence counts and factor runs) and
 * facts. */
static int agg_phase2(void *arg) {
  agg_job *j = arg;
  harm_matrix *m = j->m;
  uint64_t vbuf[64];
  uint64_t *victims = vbuf;
  double fbuf[64];
  double *factors = fbuf;
  size_t vcap = 64;
  size_t done = j->p0; /* w before it is handed back */
  size_t p = j->p0;    /* the next subject's first record */
  for (size_t sj = j->s0; sj < j->s1; sj++) {
    if (j->consume) {
      /* Only whole pages inside [done, p) go: a page shared with the
       * previous job's records or this subject's is kept. */
      harm__shed(j->w, sizeof *j->w, &done, p);
    }
    harm_subject_facts *f = &m->facts[sj];
    f->first = f->last = HARM_DATE_NONE;
    f->area = -1;
    if (p == j->p1 || j->w[p].subject != sj) {
      continue; /* no record in the window */
    }
    size_t q = group_end(j->w, p, j->p1);
    wrec *g = j->w + p;
    const uint32_t *gk = j->wk ? j->wk + p : NULL;
    /* The records before dedupe (an upper bound for the buffers); the
     * loop below stops at the mark phase 1 left after the ones kept. */
    size_t len = q - p;
    if (len > vcap) {
      uint64_t *v = harm__malloc(len * sizeof *v);
      double *fs = harm__malloc(len * sizeof *fs);
      if (!v || !fs) {
        harm__free(v);
        harm__free(fs);
        j->failed = true;
        break;
      }
      if (victims != vbuf) {
        harm__free(victims);
        harm__free(factors);
      }
      victims = v;
      factors = fs;
      vcap = len;
    }
    size_t e = m->row[sj], n_vict = 0, first = 0;
    /* A subject's runs take at most one slot per record (its first
     * slot: its first record's position). */
    size_t at = m->uniform ? 0 : p;
    p = q;
    size_t i = 0;
    for (; i < len && g[i].subject != GONE; i++) {
      wrec *r = &g[i];
      if (i == 0 || r->col != g[i - 1].col) {
        if (i && !m->uniform) {
          entry_runs(m, e - 1, g + first, gk ? gk + first : NULL, i - first, at,
                     factors);
          at += m->run_n[e - 1];
        }
        first = i;
        m->col[e] = r->col;
        m->cnt[e] = 0;
        e++;
      }
      m->cnt[e - 1]++;
      j->code_count[r->col]++;
      f->offences++;
      if (f->first == HARM_DATE_NONE || r->date < f->first) {
        f->first = r->date;
      }
      int32_t area = harm__area_index(r->area);
      if (f->last == HARM_DATE_NONE || r->date > f->last ||
          (r->date == f->last && area < f->area)) {
        f->last = r->date;
        f->area = area;
      }
      if (r->victim) {
        victims[n_vict++] = r->victim;
      }
    }
    len = i;
    if (len && !m->uniform) {
      entry_runs(m, e - 1, g + first, gk ? gk + first : NULL, len - first, at,
                 factors);
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
  }
  if (victims != vbuf) {
    harm__free(victims);
    harm__free(factors);
  }
  return 0;
}

/* Runs fn over the jobs, one thread each (the first in this thread). */
static bool run_jobs(agg_job *jobs, unsigned n, thrd_start_t fn) {
  thrd_t tid[MAX_AGG_THREADS];
  bool started[MAX_AGG_THREADS] = {false};
  for (unsigned t = 1; t < n; t++) {
    started[t] = thrd_create(&tid[t], fn, &jobs[t]) == thrd_success;
  }
  fn(&jobs[0]);
  for (unsigned t = 1; t < n; t++) {
    if (started[t]) {
      thrd_join(tid[t], NULL);
    } else {
      fn(&jobs[t]);
    }
  }
  bool ok = true;
  for (unsigned t = 0; t < n; t++) {
    ok = ok && !jobs[t].failed;
  }
  return ok;
}

/* Frees a dataset's records once the aggregate no longer reads them. */
static void release_records(harm_dataset *ds) {
  harm__free(ds->recs);
  harm__free(ds->oid);
  harm__ds_free_segs(ds);
  ds->recs = NULL;
  ds->oid = NULL;
  ds->n_recs = ds->cap_recs = 0;
  ds->records_released = true;
}

/* One slice [i0, i1) of the dataset's records in the scatter into
 * subject buckets: counts per bucket (then write positions) and the
 * records left out. */
typedef struct scatter_job {
  const harm_dataset *ds;
  const uint32_t *map;
  const bool *proactive;
  wrec *w;
  unsigned shift;
  size_t i0, i1;
  size_t *at; /* per bucket */
  uint64_t filtered, proactive_n;
  /* The records are the caller's to consume (harm_matrix_build_release):
   * the fill hands their memory back as it goes. */
  bool consume;
} scatter_job;

/* The records [i0, i1) of ds's records in order (segment by segment when
 * it holds them in parts) as the part [*lo, *hi) of segment sg, whose
 * first record is number g0; false when the range ends before it. */
static bool seg_range(const scatter_job *j, size_t g0, size_t n, size_t *lo,
                      size_t *hi) {
  if (g0 >= j->i1) {
    return false;
  }
  *lo = j->i0 > g0 ? j->i0 - g0 : 0;
  *hi = j->i1 - g0 < n ? j->i1 - g0 : n;
  return true;
}

static int scatter_count(void *arg) {
  scatter_job *j = arg;
  size_t g0 = 0, lo, hi, n;
  for (size_t sg = 0; sg < harm__ds_nseg(j->ds); sg++, g0 += n) {
    const harm__rec *recs = harm__ds_seg(j->ds, sg, &n);
    if (!seg_range(j, g0, n, &lo, &hi)) {
      break;
    }
    for (size_t i = lo; i < hi; i++) {
      const harm__rec *r = &recs[i];
      if (j->map[r->code] == DROP) {
        j->filtered++;
        j->proactive_n += j->proactive[r->code];
        continue;
      }
      j->at[r->subject >> j->shift]++;
    }
  }
  return 0;
}

static int scatter_fill(void *arg) {
  scatter_job *j = arg;
  size_t g0 = 0, lo, hi, n;
  for (size_t sg = 0; sg < harm__ds_nseg(j->ds); sg++, g0 += n) {
    const harm__rec *recs = harm__ds_seg(j->ds, sg, &n);
    if (!seg_range(j, g0, n, &lo, &hi)) {
      break;
    }
    size_t done = lo;
    for (size_t i = lo; i < hi; i++) {
      const harm__rec *r = &recs[i];
      uint32_t col = j->map[r->code];
      if (col != DROP) {
        wrec x = make_wrec(r->subject, col, r);
        j->w[j->at[r->subject >> j->shift]++] = x;
      }
      /* The records behind are read no more: their pages go as w's pages
       * are first written (every 4,096 records, at most the tests'
       * harm__shed_step), so the two arrays are not both resident. */
      if (j->consume) {
        harm__shed_owned((void *)recs, sizeof *recs, lo, &done, i + 1,
                         harm__shed_step < 4096 ? harm__shed_step : 4096);
      }
    }
  }
  return 0;
}

/* Buckets [b0, b1): each radix sorted (stable) on the subject bits below
 * `shift`. */
typedef struct bucket_job {
  wrec *w;
  const size_t *bstart;
  size_t b0, b1;
  unsigned shift;
  bool failed;
} bucket_job;

static int bucket_sort(void *arg) {
  bucket_job *j = arg;
  size_t max_bucket = 0;
  for (size_t b = j->b0; b < j->b1; b++) {
    size_t len = j->bstart[b + 1] - j->bstart[b];
    max_bucket = len > max_bucket ? len : max_bucket;
  }
  wrec *tmp = j->shift && j->b1 > j->b0
                  ? harm__malloc((max_bucket + 1) * sizeof *tmp)
                  : NULL;
  if (j->shift && j->b1 > j->b0 && !tmp) {
    j->failed = true;
    return 0;
  }
  for (size_t b = j->b0; b < j->b1; b++) {
    wrec *g = j->w + j->bstart[b];
    size_t len = j->bstart[b + 1] - j->bstart[b];
    wrec *src = g, *dst = tmp;
    for (unsigned d = 0; d < j->shift; d += 8) {
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
  return 0;
}

static harm_status build(harm_matrix *m, const harm_matrix_opts *o,
                         harm_dataset *release) {
  const harm_dataset *ds = m->ds;
  size_t n_codes = ds->codes.n;
  m->code_map = harm__malloc((n_codes + 1) * sizeof *m->code_map);
  m->code_proactive = harm__malloc((n_codes + 1) * sizeof *m->code_proactive);
  const uint32_t *map = m->code_map;
  const bool *proactive = m->code_proactive;
  /* (The records' count is 0 once they are released: w's size is kept.) */
  const size_t w_bytes = (ds->n_recs + 1) * sizeof(wrec);
  /* A release build's copy of the records starts on the pages of the
   * ingest's spare blocks (the subjects sort's keys), grown. */
  wrec *w = release ? harm__spares_take(&release->spares, w_bytes, true) : NULL;
  w = w ? w : harm__malloc(w_bytes);
  wrec **byc = NULL;
  uint32_t *wk = NULL;   /* split attribution: k per record of w */
  size_t *ats = NULL;    /* the scatter's counts, then positions */
  size_t *bstart = NULL; /* first record of each bucket */
  harm_status st = HARM_ERR_NOMEM;
  if (!m->code_map || !m->code_proactive || !w) {
    goto done;
  }
  st = map_codes(m, o);
  if (st != HARM_OK) {
    goto done;
  }
  st = HARM_ERR_NOMEM;
  /* Records grouped by subject without random writes over the whole
   * array: a first pass scatters them into 256 to 2048 buckets by the
   * subject's top bits (as many sequential streams), then each bucket,
   * small enough to stay in cache (about 16K records: more buckets for
   * more records), is radix sorted on the remaining bits. Then each
   * subject's few records get a small sort of their own. */
  size_t n_subj = ds->subjects.n;
  unsigned bits = 1;
  while (bits < 32 && ((size_t)1 << bits) < n_subj) {
    bits++;
  }
  unsigned top = 8;
  while (top < 11 && (ds->n_recs >> top) > harm__agg_bucket_recs) {
    top++;
  }
  unsigned shift = bits > top ? bits - top : 0;
  size_t n_buckets = n_subj ? ((n_subj - 1) >> shift) + 1 : 1;
  unsigned TS = harm__par_threads(o->threads, ds->n_recs);
  ats = harm__calloc((size_t)TS * (n_buckets + 1), sizeof *ats);
  bstart = harm__calloc(n_buckets + 1, sizeof *bstart);
  if (!ats || !bstart) {
    goto done;
  }
  /* The scatter in T slices of the records: each slice's counts per
   * bucket, then each slice writes from its own offset in every bucket,
   * slice after slice, so every bucket holds its records in record order
   * exactly as one pass would leave them. */
  scatter_job sjobs[HARM__PAR_MAX];
  for (unsigned t = 0; t < TS; t++) {
    memset(&sjobs[t], 0, sizeof sjobs[t]);
    sjobs[t].at = ats + (size_t)t * (n_buckets + 1);
    sjobs[t].ds = ds;
    sjobs[t].map = map;
    sjobs[t].proactive = proactive;
    sjobs[t].w = w;
    sjobs[t].shift = shift;
    sjobs[t].i0 = ds->n_recs * t / TS;
    sjobs[t].i1 = ds->n_recs * (t + 1) / TS;
    sjobs[t].consume = release != NULL;
  }
  harm__par_run(scatter_count, sjobs, sizeof *sjobs, TS);
  for (size_t bk = 0; bk < n_buckets; bk++) {
    size_t pos = bstart[bk];
    for (unsigned t = 0; t < TS; t++) {
      size_t c = sjobs[t].at[bk];
      sjobs[t].at[bk] = pos;
      pos += c;
    }
    bstart[bk + 1] = pos;
  }
  for (unsigned t = 0; t < TS; t++) {
    m->acct.filtered += sjobs[t].filtered;
    m->acct.proactive += sjobs[t].proactive_n;
  }
  size_t n = bstart[n_buckets];
  if (n >= UINT32_MAX) {
    /* (The ingest stops a run with this many records in the window.) */
    st = HARM_ERR_LIMIT;
    goto done;
  }
  harm__par_run(scatter_fill, sjobs, sizeof *sjobs, TS);
  /* Nothing below reads the dataset's records. */
  if (release) {
    release_records(release);
  }
  /* Buckets in T ranges of about n / T records: each sorted by the
   * subject's remaining bits, its subjects' records counted. */
  bucket_job bjobs[HARM__PAR_MAX];
  unsigned TB = harm__par_threads(o->threads, n);
  size_t b0 = 0;
  for (unsigned t = 0; t < TB; t++) {
    size_t b1 = b0;
    if (t + 1 == TB) {
      b1 = n_buckets;
    } else {
      while (b1 < n_buckets && bstart[b1] < n / TB * (t + 1)) {
        b1++;
      }
    }
    bjobs[t] = (bucket_job){
        .w = w, .bstart = bstart, .b0 = b0, .b1 = b1, .shift = shift};
    b0 = b1;
  }
  harm__par_run(bucket_sort, bjobs, sizeof *bjobs, TB);
  for (unsigned t = 0; t < TB; t++) {
    if (bjobs[t].failed) {
      goto done;
    }
  }
  /* Per subject, in parallel over subject ranges: sort, dedupe, count
   * entries (phase 1); then, once offsets are known, aggregate into the
   * compressed rows (phase 2). Every subject's work is the same whatever
   * the split, so the matrix is identical at any thread count. */
  m->n_subjects = n_subj;
  m->row = harm__calloc(n_subj + 1, sizeof *m->row);
  m->facts = harm__calloc(n_subj + 1, sizeof *m->facts);
  m->code_count = harm__calloc((size_t)m->codes.n + 1, sizeof *m->code_count);
  if (!m->row || !m->facts || !m->code_count) {
    goto done;
  }
  agg_job jobs[MAX_AGG_THREADS];
  unsigned T = harm__par_threads(o->threads, n);
  /* Subject ranges with about n / T records each: each cut moved on to
   * the next subject's first record (w is sorted by subject). */
  size_t s0 = 0, p0 = 0;
  for (unsigned t = 0; t < T; t++) {
    size_t p1 = t + 1 == T ? n : n / T * (t + 1);
    p1 = p1 < p0 ? p0 : p1;
    while (p1 > 0 && p1 < n && w[p1].subject == w[p1 - 1].subject) {
      p1++;
    }
    size_t s1 = p1 < n ? w[p1].subject : n_subj;
    memset(&jobs[t], 0, sizeof jobs[t]);
    jobs[t].m = m;
    jobs[t].w = w;
    jobs[t].s0 = s0;
    jobs[t].s1 = s1;
    jobs[t].p0 = p0;
    jobs[t].p1 = p1;
    jobs[t].opts = o;
    jobs[t].as_of = ds->as_of;
    jobs[t].consume = release != NULL;
    s0 = s1;
    p0 = p1;
  }
  if (!run_jobs(jobs, T, agg_phase1)) {
    goto done;
  }
  size_t dups = 0, scored = 0;
  for (unsigned t = 0; t < T; t++) {
    dups += jobs[t].dups;
    scored += jobs[t].kept;
  }
  m->acct.duplicates += dups;
  for (size_t sj = 0; sj < n_subj; sj++) {
    m->row[sj + 1] += m->row[sj]; /* phase 1 left entry counts here */
  }
  m->acct.scored = scored;
  size_t nnz = m->row[n_subj];
  if (o->attribution == HARM_ATTR_SPLIT && scored) {
    /* Co-offenders: one sort of every kept record by (offence, subject);
     * k = the distinct subjects on the offence id, whatever their codes. */
    byc = harm__malloc(scored * sizeof *byc);
    wk = harm__malloc((n + 1) * sizeof *wk);
    if (!byc || !wk) {
      goto done;
    }
    size_t k = 0;
    for (size_t p = 0, q; p < n; p = q) {
      q = group_end(w, p, n);
      size_t len = group_kept(w, p, q);
      for (size_t i = 0; i < len; i++) {
        byc[k++] = &w[p + i];
      }
    }
    qsort(byc, scored, sizeof *byc, cmp_crime);
    size_t n_off = 0;
    for (size_t i = 0; i < scored; i++) {
      n_off += i == 0 || byc[i]->offence != byc[i - 1]->offence;
    }
    m->split_offence = harm__malloc((n_off + 1) * sizeof *m->split_offence);
    m->split_k = harm__malloc((n_off + 1) * sizeof *m->split_k);
    if (!m->split_offence || !m->split_k) {
      goto done;
    }
    for (size_t i = 0; i < scored;) {
      size_t j = i + 1;
      uint32_t distinct = 1;
      while (j < scored && byc[j]->offence == byc[i]->offence) {
        distinct += byc[j]->subject != byc[j - 1]->subject;
        j++;
      }
      for (size_t t = i; t < j; t++) {
        wk[byc[t] - w] = distinct;
      }
      m->split_offence[m->n_split] = byc[i]->offence;
      m->split_k[m->n_split++] = distinct;
      i = j;
    }
  }
  if (!m->uniform) {
    /* Runs of a subject take at most one slot per record, from its
     * first record's position (the slots of records dedupe dropped stay
     * unused). */
    m->run_at = harm__malloc((nnz + 1) * sizeof *m->run_at);
    m->run_n = harm__malloc((nnz + 1) * sizeof *m->run_n);
    m->run_f = harm__malloc((n + 1) * sizeof *m->run_f);
    m->run_c = harm__malloc((n + 1) * sizeof *m->run_c);
    if (!m->run_at || !m->run_n || !m->run_f || !m->run_c) {
      goto done;
    }
    for (unsigned t = 0; t < T; t++) {
      jobs[t].wk = wk;
    }
  }
  m->col = harm__malloc((nnz + 1) * sizeof *m->col);
  m->cnt = harm__malloc((nnz + 1) * sizeof *m->cnt);
  if (!m->col || !m->cnt) {
    goto done;
  }
  for (unsigned t = 0; t < T; t++) {
    jobs[t].code_count =
        harm__calloc((size_t)m->codes.n + 1, sizeof *jobs[t].code_count);
    if (!jobs[t].code_count) {
      for (unsigned u = 0; u < t; u++) {
        harm__free(jobs[u].code_count);
      }
      goto done;
    }
  }
  bool ok = run_jobs(jobs, T, agg_phase2);
  for (unsigned t = 0; t < T; t++) {
    for (size_t c = 0; ok && c < m->codes.n; c++) {
      m->code_count[c] += jobs[t].code_count[c];
    }
    harm__free(jobs[t].code_count);
  }
  if (!ok) {
    goto done;
  }
  m->nnz = nnz;
  st = HARM_OK;
done:
  if (st == HARM_OK && release) {
    /* Read no more: w's address space becomes a spare block for the
     * scores (phase 2 handed its pages back as it went). */
    harm__spares_put(&m->spares, w, w_bytes);
    w = NULL;
  }
  if (release) {
    /* The ingest's spares not taken above go now. */
    harm__spares_free(&release->spares);
  }
  harm__free(w);
  harm__free(wk);
  harm__free(byc);
  harm__free(ats);
  harm__free(bstart);
  return st;
}

static harm_status matrix_build(const harm_dataset *ds, harm_dataset *release,
                                const harm_matrix_opts *opts, harm_matrix **out,
                                harm_error *err);

harm_status harm_matrix_build(const harm_dataset *ds,
                              const harm_matrix_opts *opts, harm_matrix **out,
                              harm_error *err) {
  return matrix_build(ds, NULL, opts, out, err);
}

harm_status harm_matrix_build_release(harm_dataset *ds,
                                      const harm_matrix_opts *opts,
                                      harm_matrix **out, harm_error *err) {
  return matrix_build(ds, ds, opts, out, err);
}

static harm_status matrix_build(const harm_dataset *ds, harm_dataset *release,
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
  if (ds->records_released) {
    return harm__fail(err, HARM_ERR_USAGE, "aggregate", ds->source, 0, NULL,
                      "the dataset's records were released by an earlier "
                      "build");
  }
  if (ds->seg && !release) {
    return harm__fail(err, HARM_ERR_USAGE, "aggregate", ds->source, 0, NULL,
                      "the dataset's records are held in parts "
                      "(records_in_parts): only harm_matrix_build_release "
                      "reads them");
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
  m->threads = opts->threads;
  m->as_of = ds->as_of;
  m->half_life_days = opts->half_life_days;
  m->attribution = opts->attribution;
  m->uniform = opts->half_life_days == 0 && opts->attribution == HARM_ATTR_FULL;
  m->acct = ds->acct;
  m->acct.scored = 0;
  m->acct.duplicates = 0;
  harm_status st = build(m, opts, release);
  if (st != HARM_OK) {
    harm_matrix_free(m);
    return harm__fail(err, st, "aggregate", ds->source, 0, NULL,
                      st == HARM_ERR_LIMIT
                          ? "more than 4,294,967,294 records in the window"
                          : "out of memory building the aggregate");
  }
  *out = m;
  return HARM_OK;
}

void *harm__matrix_alloc(const harm_matrix *m, size_t bytes) {
  /* The spares are the one part of a matrix that its readers change (a
   * matrix is never a const object: harm_matrix_build allocates it). */
  void *p =
      m ? harm__spares_take(&((harm_matrix *)m)->spares, bytes, false) : NULL;
  return p ? p : harm__malloc(bytes);
}

void harm_matrix_free(harm_matrix *m) {
  if (!m) {
    return;
  }
  harm__spares_free(&m->spares);
  harm__strpool_free(&m->codes);
  harm__free(m->code_count);
  harm__free(m->row);
  harm__free(m->col);
  harm__free(m->cnt);
  harm__free(m->run_at);
  harm__free(m->run_n);
  harm__free(m->run_f);
  harm__free(m->run_c);
  harm__free(m->code_map);
  harm__free(m->code_proactive);
  harm__free(m->split_offence);
  harm__free(m->split_k);
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
  }
  return n;
}

uint32_t harm__matrix_offenders(const harm_matrix *m, uint64_t offence) {
  size_t lo = 0, hi = m->n_split;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (m->split_offence[mid] < offence) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < m->n_split && m->split_offence[lo] == offence ? m->split_k[lo]
                                                            : 1;
}

void harm__matrix_runs(const harm_matrix *m, size_t e, harm__run_fn fn,
                       void *ctx) {
  if (m->uniform) {
    fn(ctx, 1.0, m->cnt[e]);
    return;
  }
  for (uint32_t r = 0; r < m->run_n[e]; r++) {
    fn(ctx, m->run_f[m->run_at[e] + r], m->run_c[m->run_at[e] + r]);
  }
}

bool harm__entry_units(const harm_matrix *m, size_t e, double base,
                       int64_t *units, int64_t *max_units) {
  int64_t acc = 0, top = 0;
  if (m->uniform) {
    top = harm__offence_units(base, 1.0);
    if (!harm__units_add(&acc, m->cnt[e], top)) {
      return false;
    }
  } else {
    for (uint32_t r = 0; r < m->run_n[e]; r++) {
      size_t at = m->run_at[e] + r;
      int64_t u = harm__offence_units(base, m->run_f[at]);
      if (!harm__units_add(&acc, m->run_c[at], u)) {
        return false;
      }
      top = u > top ? u : top; /* runs ascend, so the last is the largest */
    }
  }
  *units = acc;
  if (max_units) {
    *max_units = top;
  }
  return true;
}

/* A subject's record and where it came from, for harm__matrix_kept. */
typedef struct kept_rec {
  wrec r;
  size_t at; /* index into the caller's recs */
} kept_rec;

static int cmp_kept(const void *pa, const void *pb, void *ctx) {
  (void)ctx;
  return cmp_wrec(&((const kept_rec *)pa)->r, &((const kept_rec *)pb)->r);
}

harm_status harm__matrix_kept(const harm_matrix *m, size_t subject,
                              const size_t *recs, size_t n, bool *kept) {
  kept_rec *k = harm__malloc((n + 1) * sizeof *k);
  if (!k) {
    return HARM_ERR_NOMEM;
  }
  size_t nk = 0;
  for (size_t i = 0; i < n; i++) {
    const harm__rec *r = &m->ds->recs[recs[i]];
    kept[i] = false;
    if (m->code_map[r->code] == DROP) {
      continue;
    }
    wrec x = make_wrec((uint32_t)subject, m->code_map[r->code], r);
    k[nk].r = x;
    k[nk++].at = i;
  }
  harm_status st = HARM_OK;
  if (!harm__sort(k, nk, sizeof *k, cmp_kept, NULL)) {
    st = HARM_ERR_NOMEM;
  }
  const wrec *prev = NULL;
  for (size_t i = 0; i < nk && st == HARM_OK; i++) {
    if (!repeats(prev, &k[i].r)) {
      kept[k[i].at] = true;
      prev = &k[i].r;
    }
  }
  harm__free(k);
  return st;
}

/* Places (engine/places) attribute each offender's scored offences to the
 * place recorded on the copy the aggregate kept, so it asks for the
 * dedupe verdict of every record at once: records are grouped by subject
 * and each group goes through harm__matrix_kept, the one dedupe rule. */
harm_status harm__matrix_kept_all(const harm_matrix *m, bool *kept) {
  const harm_dataset *ds = m->ds;
  size_t n = ds->n_recs, n_subj = ds->subjects.n;
  size_t *start = harm__calloc(n_subj + 2, sizeof *start);
  size_t *idx = harm__malloc((n + 1) * sizeof *idx);
  bool *k = harm__malloc((n + 1) * sizeof *k);
  harm_status st = HARM_ERR_NOMEM;
  if (!start || !idx || !k) {
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    start[ds->recs[i].subject + 2]++;
  }
  for (size_t s = 0; s < n_subj; s++) {
    start[s + 2] += start[s + 1];
  }
  for (size_t i = 0; i < n; i++) {
    idx[start[ds->recs[i].subject + 1]++] = i;
  }
  st = HARM_OK;
  for (size_t s = 0; s < n_subj && st == HARM_OK; s++) {
    size_t a = start[s], len = start[s + 1] - a;
    st = harm__matrix_kept(m, s, idx + a, len, k + a);
    for (size_t j = 0; st == HARM_OK && j < len; j++) {
      kept[idx[a + j]] = k[a + j];
    }
  }
done:
  harm__free(start);
  harm__free(idx);
  harm__free(k);
  return st;
}
