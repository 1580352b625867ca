/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/score/explain.c: one subject's score offence by offence, for
 * `harmrank explain`. Which records count comes from the aggregate's own
 * code map and dedupe rule (harm__matrix_kept), and each offence's harm
 * from the per-offence kernel, so the lines add up to the score exactly. */
#include <string.h>

#include "core/internal.h"
#include "ingest/dataset.h"
#include "score/kernel.h"
#include "score/matrix.h"

static int cmp_date(const void *pa, const void *pb, void *ctx) {
  (void)ctx;
  const harm_offence_line *a = pa, *b = pb;
  if (a->date != b->date) {
    return a->date < b->date ? -1 : 1;
  }
  int c = strcmp(a->canonical, b->canonical);
  if (c) {
    return c;
  }
  c = strcmp(a->offence_id, b->offence_id);
  return c ? c : (int)a->status - (int)b->status;
}

harm_status harm_explain_subject(const harm_scores *s, const harm_weights *w,
                                 const harm_score_opts *so, size_t subject,
                                 harm_offence_line **lines, size_t *n_out,
                                 harm_error *err) {
  *lines = NULL;
  *n_out = 0;
  harm_score_opts sdef = HARM_SCORE_OPTS_INIT;
  so = so ? so : &sdef;
  const harm_matrix *m = s ? harm_scores_matrix(s) : NULL;
  const harm_dataset *ds = m ? m->ds : NULL;
  if (!ds || !w || subject >= ds->subjects.n) {
    return harm__fail(err, HARM_ERR_USAGE, "explain", NULL, 0, NULL,
                      "no such subject");
  }
  if (ds->records_released) {
    return harm__fail(err, HARM_ERR_USAGE, "explain", ds->source, 0, NULL,
                      "the dataset's records were released "
                      "(harm_matrix_build_release)");
  }
  size_t n = 0;
  for (size_t i = 0; i < ds->n_recs; i++) {
    n += ds->recs[i].subject == subject;
  }
  size_t *recs = harm__malloc((n + 1) * sizeof *recs);
  bool *kept = harm__malloc((n + 1) * sizeof *kept);
  harm_offence_line *out = harm__calloc(n + 1, sizeof *out);
  harm_status st = HARM_ERR_NOMEM;
  if (!recs || !kept || !out) {
    goto fail;
  }
  for (size_t i = 0, k = 0; i < ds->n_recs; i++) {
    if (ds->recs[i].subject == subject) {
      recs[k++] = i;
    }
  }
  if (harm__matrix_kept(m, subject, recs, n, kept) != HARM_OK) {
    goto fail;
  }
  int64_t total = 0;
  for (size_t k = 0; k < n; k++) {
    const harm__rec *r = &ds->recs[recs[k]];
    harm_offence_line *l = &out[k];
    l->code = harm__strpool_get(&ds->codes, r->code, NULL);
    uint32_t col = m->code_map[r->code];
    /* The aggregate's canonical code (aliases of its weights table). */
    l->canonical = col != UINT32_MAX ? harm_matrix_code(m, col)
                                     : harm_weights_canonical(w, l->code);
    l->offence_id =
        ds->oid ? harm__strpool_get(&ds->oids, ds->oid[recs[k]], NULL) : "";
    l->date = r->date;
    const harm_weight *wt = harm_weights_find(w, l->canonical);
    l->known = wt != NULL;
    l->weight = wt ? wt->harm : 0.0;
    l->offence_harm = wt ? harm__offence_base(wt->harm, so) : 0.0;
    int64_t age = (int64_t)m->as_of - r->date;
    l->decay = harm__offence_factor(age, m->half_life_days, 1);
    l->split = 1.0;
    if (col == UINT32_MAX) {
      l->status = m->code_proactive[r->code] ? HARM_OFFENCE_PROACTIVE
                                             : HARM_OFFENCE_FILTERED;
      continue;
    }
    if (!kept[k]) {
      l->status = HARM_OFFENCE_DUPLICATE;
      continue;
    }
    l->status = HARM_OFFENCE_SCORED;
    uint32_t co = m->attribution == HARM_ATTR_SPLIT
                      ? harm__matrix_offenders(m, r->offence)
                      : 1;
    l->split = 1.0 / (double)co;
    l->harm_units = harm__offence_units(
        l->offence_harm, harm__offence_factor(age, m->half_life_days, co));
    l->harm = harm__units_days(l->harm_units);
    total += l->harm_units;
  }
  for (size_t k = 0; k < n; k++) {
    out[k].share = total > 0 ? (double)out[k].harm_units / (double)total : 0.0;
  }
  if (!harm__sort(out, n, sizeof *out, cmp_date, NULL)) {
    goto fail;
  }
  harm__free(recs);
  harm__free(kept);
  *lines = out;
  *n_out = n;
  return HARM_OK;
fail:
  harm__free(recs);
  harm__free(kept);
  harm__free(out);
  return harm__fail(err, st, "explain", NULL, 0, NULL, "out of memory");
}

void harm_offence_lines_free(harm_offence_line *lines) { harm__free(lines); }
