/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/score/coverage.c: checks that a weight table fits the data and
 * the options before a ranking is trusted: a table that weighs none of the
 * data's codes (every harm 0) and a category filter naming no category of
 * the table (an empty or narrowed list) stop the run; a table that misses
 * many scored offences is reported for a warning. README "Checks that
 * stop a wrong list". */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "harmrank/score.h"

/* Appends up to `max` items (and ", ..." when there are more) to buf. */
static void list_items(char *buf, size_t cap, const char *const *items,
                       size_t n, size_t max) {
  size_t used = strlen(buf);
  for (size_t i = 0; i < n && i < max; i++) {
    int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", items[i]);
    if (w < 0 || (size_t)w >= cap - used) {
      buf[used] = '\0';
      return;
    }
    used += (size_t)w;
  }
  if (n > max && cap - used > 5) {
    memcpy(buf + used, ", ...", 6);
  }
}

harm_status harm_score_coverage(const harm_scores *s, const harm_weights *w,
                                harm_coverage *out, harm_error *err) {
  harm_coverage c = {0, 0, 0, 0};
  if (out) {
    *out = c;
  }
  if (!s || !w) {
    return harm__fail(err, HARM_ERR_USAGE, "score", NULL, 0, NULL,
                      "coverage needs scores and weights");
  }
  const harm_matrix *m = harm_scores_matrix(s);
  size_t n_unknown;
  const harm_unknown_code *u = harm_scores_unknown(s, &n_unknown);
  for (size_t j = 0; j < harm_matrix_n_codes(m); j++) {
    uint64_t n = harm_matrix_code_count(m, j);
    if (n) {
      c.n_codes++;
      c.n_offences += n;
    }
  }
  for (size_t i = 0; i < n_unknown; i++) {
    if (u[i].count) {
      c.n_unknown_codes++;
      c.n_unknown += u[i].count;
    }
  }
  if (out) {
    *out = c;
  }
  if (c.n_offences == 0 || c.n_unknown < c.n_offences) {
    return HARM_OK;
  }
  const char *data_codes[3], *table_codes[3];
  size_t nd = 0, nt = 0;
  for (size_t i = 0; i < n_unknown && nd < 3; i++) {
    if (u[i].count) {
      data_codes[nd++] = u[i].code;
    }
  }
  for (size_t i = 0; i < harm_weights_count(w) && nt < 3; i++) {
    table_codes[nt++] = harm_weights_at(w, i)->code;
  }
  char data[96] = "", table[96] = "";
  list_items(data, sizeof data, data_codes, nd, 3);
  list_items(table, sizeof table, table_codes, nt, 3);
  return harm__fail(
      err, HARM_ERR_DATA, "score", harm_weights_source(w), 0, NULL,
      "none of the %zu offence codes in %s is in this table, so every harm "
      "would be 0: the data use codes like %s, the table codes like %s; "
      "check [weights] key (ho_class, ho_code, athena) or the table",
      c.n_codes, harm_dataset_source(harm_matrix_dataset(m)), data,
      nt ? table : "(none)");
}

harm_status harm_score_check_categories(const harm_weights *w,
                                        const char *const *categories,
                                        size_t n_categories, harm_error *err) {
  if (!w || (n_categories && !categories)) {
    return harm__fail(err, HARM_ERR_USAGE, "score", NULL, 0, NULL,
                      "category check needs weights and categories");
  }
  for (size_t k = 0; k < n_categories; k++) {
    const char *want = categories[k];
    bool found = false;
    for (size_t i = 0; i < harm_weights_count(w) && !found; i++) {
      const char *cat = harm_weights_at(w, i)->category;
      found = harm__ieq(cat, strlen(cat), want);
    }
    if (found) {
      continue;
    }
    /* The distinct categories of the table, first-seen order. */
    enum { SHOW = 20 };
    const char *have[SHOW + 1];
    size_t n_have = 0;
    for (size_t i = 0; i < harm_weights_count(w) && n_have <= SHOW; i++) {
      const char *cat = harm_weights_at(w, i)->category;
      bool dup = !*cat;
      for (size_t j = 0; j < n_have && !dup; j++) {
        dup = harm__ieq(cat, strlen(cat), have[j]);
      }
      if (!dup) {
        have[n_have++] = cat;
      }
    }
    char list[240] = "";
    list_items(list, sizeof list, have, n_have, SHOW);
    return harm__fail(err, HARM_ERR_CONFIG, "score", harm_weights_source(w), 0,
                      "categories",
                      "category \"%s\" is not a category of this table, so "
                      "the list would be narrowed or empty; categories: %s",
                      want, n_have ? list : "(none)");
  }
  return HARM_OK;
}
