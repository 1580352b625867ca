/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/score/explain.c: re-derives one subject's score offence by
 * offence from the dataset, independently of the aggregate, so that
 * `harmrank explain` shows each step (weight, cap, transform, decay,
 * split) and its share of the total. */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "ingest/dataset.h"
#include "score/matrix.h"

typedef struct cand {
  size_t rec; /* index into ds->recs */
  const char *canonical;
  harm_offence_line line;
} cand;

static bool dropped(const harm_matrix_opts *mo, const harm_weight *wt,
                    harm_offence_status *why) {
  if (mo->exclude_proactive && wt && wt->proactive) {
    *why = HARM_OFFENCE_PROACTIVE;
    return true;
  }
  if (mo->n_categories) {
    bool in = false;
    for (size_t i = 0; wt && i < mo->n_categories && !in; i++) {
      in = harm__ieq(wt->category, strlen(wt->category), mo->categories[i]);
    }
    if (!in) {
      *why = HARM_OFFENCE_FILTERED;
      return true;
    }
  }
  return false;
}

/* Order of the engine's dedupe: the copy kept for one (code, offence) is
 * the one with the earliest date, then smallest victim hash and area. */
static int cmp_keep(const void *pa, const void *pb, void *ctx) {
  const cand *a = pa, *b = pb;
  const harm_dataset *ds = ctx;
  const harm__rec *x = &ds->recs[a->rec], *y = &ds->recs[b->rec];
  int c = strcmp(a->canonical, b->canonical);
  if (c) {
    return c;
  }
  if (x->offence != y->offence) {
    return x->offence < y->offence ? -1 : 1;
  }
  if (x->date != y->date) {
    return x->date < y->date ? -1 : 1;
  }
  if (x->victim != y->victim) {
    return x->victim < y->victim ? -1 : 1;
  }
  return x->area < y->area ? -1 : x->area > y->area;
}

static int cmp_date(const void *pa, const void *pb, void *ctx) {
  (void)ctx;
  const harm_offence_line *a = pa, *b = pb;
  if (a->date != b->date) {
    return a->date < b->date ? -1 : 1;
  }
  int c = strcmp(a->canonical, b->canonical);
  return c ? c : strcmp(a->offence_id, b->offence_id);
}

static const char *canonical_of(const harm_matrix_opts *mo, const char *code) {
  return mo->weights ? harm_weights_canonical(mo->weights, code) : code;
}

/* Distinct subjects sharing (offence, canonical code), among kept codes. */
static size_t co_offenders(const harm_dataset *ds, const harm_matrix_opts *mo,
                           uint64_t offence, const char *canonical,
                           uint32_t *seen) {
  size_t n = 0;
  for (size_t i = 0; i < ds->n_recs; i++) {
    const harm__rec *r = &ds->recs[i];
    if (r->offence != offence) {
      continue;
    }
    const char *c =
        canonical_of(mo, harm__strpool_get(&ds->codes, r->code, NULL));
    harm_offence_status why;
    const harm_weight *wt =
        mo->weights ? harm_weights_find(mo->weights, c) : NULL;
    if (strcmp(c, canonical) != 0 || dropped(mo, wt, &why)) {
      continue;
    }
    bool dup = false;
    for (size_t k = 0; k < n && !dup; k++) {
      dup = seen[k] == r->subject;
    }
    if (!dup) {
      seen[n++] = r->subject;
    }
  }
  return n;
}

harm_status harm_explain_subject(const harm_matrix *m,
                                 const harm_matrix_opts *mo,
                                 const harm_weights *w,
                                 const harm_score_opts *so, size_t subject,
                                 harm_offence_line **lines, size_t *n_out,
                                 harm_error *err) {
  *lines = NULL;
  *n_out = 0;
  harm_matrix_opts mdef = HARM_MATRIX_OPTS_INIT;
  harm_score_opts sdef = HARM_SCORE_OPTS_INIT;
  mo = mo ? mo : &mdef;
  so = so ? so : &sdef;
  const harm_dataset *ds = m ? m->ds : NULL;
  if (!ds || !w || subject >= ds->subjects.n) {
    return harm__fail(err, HARM_ERR_USAGE, "explain", NULL, 0, NULL,
                      "no such subject");
  }
  size_t n = 0;
  for (size_t i = 0; i < ds->n_recs; i++) {
    n += ds->recs[i].subject == subject;
  }
  cand *c = harm__calloc(n + 1, sizeof *c);
  uint32_t *seen = harm__malloc((ds->n_recs + 1) * sizeof *seen);
  harm_offence_line *out = harm__calloc(n + 1, sizeof *out);
  if (!c || !seen || !out) {
    harm__free(c);
    harm__free(seen);
    harm__free(out);
    return harm__fail(err, HARM_ERR_NOMEM, "explain", NULL, 0, NULL,
                      "out of memory");
  }
  size_t k = 0;
  for (size_t i = 0; i < ds->n_recs; i++) {
    const harm__rec *r = &ds->recs[i];
    if (r->subject != subject) {
      continue;
    }
    harm_offence_line *l = &c[k].line;
    c[k].rec = i;
    l->code = harm__strpool_get(&ds->codes, r->code, NULL);
    l->canonical = c[k].canonical = canonical_of(mo, l->code);
    l->offence_id =
        ds->oid ? harm__strpool_get(&ds->oids, ds->oid[i], NULL) : "";
    l->date = r->date;
    const harm_weight *wt = harm_weights_find(w, l->canonical);
    const harm_weight *mw =
        mo->weights ? harm_weights_find(mo->weights, l->canonical) : NULL;
    l->known = wt != NULL;
    l->weight = wt ? wt->harm : 0.0;
    l->offence_harm = wt ? harm__score_transform(wt->harm, so) : 0.0;
    l->decay = mo->half_life_days > 0
                   ? pow(0.5, (double)((int64_t)ds->as_of - r->date) /
                                  mo->half_life_days)
                   : 1.0;
    l->split = 1.0;
    l->status = HARM_OFFENCE_SCORED;
    harm_offence_status why;
    if (dropped(mo, mw, &why)) {
      l->status = why;
    }
    k++;
  }
  harm__sort(c, n, sizeof *c, cmp_keep, (void *)ds);
  double total = 0;
  for (size_t i = 0; i < n; i++) {
    harm_offence_line *l = &c[i].line;
    if (l->status != HARM_OFFENCE_SCORED) {
      continue;
    }
    /* A repeat of the previous kept (code, offence) is a duplicate. */
    for (size_t j = i; j-- > 0;) {
      if (strcmp(c[j].canonical, c[i].canonical) != 0 ||
          ds->recs[c[j].rec].offence != ds->recs[c[i].rec].offence) {
        break;
      }
      if (c[j].line.status == HARM_OFFENCE_SCORED) {
        l->status = HARM_OFFENCE_DUPLICATE;
        break;
      }
    }
    if (l->status != HARM_OFFENCE_SCORED) {
      continue;
    }
    if (mo->attribution == HARM_ATTR_SPLIT) {
      size_t co = co_offenders(ds, mo, ds->recs[c[i].rec].offence,
                               c[i].canonical, seen);
      l->split = co ? 1.0 / (double)co : 1.0;
    }
    l->harm = l->offence_harm * l->decay * l->split;
    total += l->harm;
  }
  for (size_t i = 0; i < n; i++) {
    out[i] = c[i].line;
    out[i].share = total > 0 ? out[i].harm / total : 0.0;
  }
  harm__sort(out, n, sizeof *out, cmp_date, NULL);
  harm__free(c);
  harm__free(seen);
  *lines = out;
  *n_out = n;
  return HARM_OK;
}

void harm_offence_lines_free(harm_offence_line *lines) { harm__free(lines); }
