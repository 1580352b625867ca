/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/run/run.c: one run of the pipeline (DESIGN.md section 1): weights
 * tables, their checks against the configuration, the offences, the
 * window (settled once), the aggregate, scores and rankings per table,
 * the coverage check and the cohort. Stages hand their outputs forward;
 * nothing reaches back. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "harmrank/run.h"

struct harm_run {
  harm_window window;
  harm_score_opts so;
  size_t n_tables;
  harm_weights *weights[HARM_RUN_MAX_TABLES];
  harm_dataset *ds;
  harm_matrix *matrix;
  harm_scores *scores[HARM_RUN_MAX_TABLES];
  harm_ranking *ranking[HARM_RUN_MAX_TABLES];
  harm_rfgv *rfgv;        /* table 0, under model = rfgv */
  harm_ranking *by_model; /* table 0 by RFGV total, under model = rfgv */
  harm_cohort *cohort;
  /* People in either role (roles victim or both, or a people file): the
   * victim scoring (the victim column as the subject) and the table. */
  harm_people_register *reg;
  harm_dataset *v_ds;
  harm_matrix *v_matrix;
  harm_scores *v_scores;
  harm_people *people;
  harm_warning *warnings;
  size_t n_warnings, cap_warnings;
};

static harm_status warn(harm_run *r, harm_warning_kind kind, size_t table,
                        harm_error *err, const char *fmt, ...)
    HARM__PRINTF(5, 6);

static harm_status warn(harm_run *r, harm_warning_kind kind, size_t table,
                        harm_error *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *text = n >= 0 ? harm__malloc((size_t)n + 1) : NULL;
  if (text) {
    va_start(ap, fmt);
    vsnprintf(text, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  if (text && r->n_warnings == r->cap_warnings) {
    size_t cap = r->cap_warnings ? r->cap_warnings * 2 : 8;
    harm_warning *w = harm__reallocarray(r->warnings, cap, sizeof *w);
    if (w) {
      r->warnings = w;
      r->cap_warnings = cap;
    } else {
      harm__free(text);
      text = NULL;
    }
  }
  if (!text) {
    return harm__fail(err, HARM_ERR_NOMEM, "run", NULL, 0, NULL,
                      "out of memory");
  }
  r->warnings[r->n_warnings++] =
      (harm_warning){.kind = kind, .table = table, .text = text};
  return HARM_OK;
}

static void stage(const harm_run_opts *o, const char *name) {
  if (o->on_stage) {
    o->on_stage(o->stage_ctx, name);
  }
}

/* Warnings a person needs about table k's fit to the data. */
static harm_status table_warnings(harm_run *r, size_t k, harm_error *err) {
  const harm_weights *w = r->weights[k];
  harm_coverage cov;
  harm_status st = harm_score_coverage(r->scores[k], w, &cov, err);
  if (st != HARM_OK) {
    return st;
  }
  if ((double)cov.n_unknown >
      HARM_COVERAGE_WARN_SHARE * (double)cov.n_offences) {
    st = warn(r, HARM_WARN_UNKNOWN_SHARE, k, err,
              "%" PRIu64 " of %" PRIu64 " scored offences (%.0f%%) have a "
              "code that %s lacks and count 0 days, so the people who "
              "committed them rank too low; check the codes below, the "
              "table's key, or add aliases",
              cov.n_unknown, cov.n_offences,
              100.0 * (double)cov.n_unknown / (double)cov.n_offences,
              harm_weights_source(w));
  }
  size_t n_unknown;
  const harm_unknown_code *u = harm_scores_unknown(r->scores[k], &n_unknown);
  if (st == HARM_OK && n_unknown) {
    harm__buf b = {0};
    bool ok = harm__buf_append(&b, "", 0);
    for (size_t i = 0; i < n_unknown && i < 20 && ok; i++) {
      char part[160];
      snprintf(part, sizeof part, " %s (%" PRIu64 ")", u[i].code, u[i].count);
      ok = harm__buf_append(&b, part, strlen(part));
    }
    st = ok ? warn(r, HARM_WARN_UNKNOWN_CODES, k, err,
                   "%zu offence code%s not in %s, scored 0:%s%s", n_unknown,
                   n_unknown == 1 ? "" : "s", harm_weights_source(w), b.data,
                   n_unknown > 20 ? " ..." : "")
            : harm__fail(err, HARM_ERR_NOMEM, "run", NULL, 0, NULL,
                         "out of memory");
    harm__buf_free(&b);
  }
  return st;
}

static harm_status load_tables(harm_run *r, const harm_config *cfg,
                               const harm_run_opts *o, harm_error *err) {
  const char *one = harm_config_weights_path(cfg);
  const char *const *paths = o->n_weights ? o->weights : &one;
  size_t n = o->n_weights ? o->n_weights : 1;
  if (!paths[0] || n > HARM_RUN_MAX_TABLES) {
    return harm__fail(err, HARM_ERR_USAGE, "run", NULL, 0, NULL,
                      n > HARM_RUN_MAX_TABLES
                          ? "too many weights tables"
                          : "no weights: pass --weights FILE or set "
                            "[weights] file in the configuration");
  }
  harm_weights_opts wo = harm_config_weights_opts(cfg);
  for (size_t k = 0; k < n; k++) {
    harm_status st = harm_weights_load(paths[k], &wo, &r->weights[k], err);
    if (st != HARM_OK) {
      return st;
    }
    r->n_tables++;
    size_t est = harm_weights_n_estimates(r->weights[k]);
    if (est) {
      st = warn(r, HARM_WARN_ESTIMATES, k, err,
                "%zu of %zu weights in %s are estimates, not official CCHI "
                "values; load the official CCHI values sheet (exported to "
                "CSV) for operational use",
                est, harm_weights_count(r->weights[k]),
                harm_weights_source(r->weights[k]));
      if (st != HARM_OK) {
        return st;
      }
    }
  }
  return HARM_OK;
}

/* People in either role: the victim scoring is the same pipeline over
 * the same offences and window with the victim column as the subject
 * (rows without a victim filtered out, not rejected), full attribution
 * (each victim suffers the whole offence), the same table and options;
 * the dedupe key (offence_id, victim, code) counts an offence once per
 * victim. Then the people table joins the two scorings. */
static harm_status run_people(harm_run *r, const harm_config *cfg,
                              const harm_run_opts *o,
                              const harm_matrix_opts *mo, harm_error *err) {
  harm_status st = HARM_OK;
  const char *file = harm_config_path(cfg, "people", "file");
  if (file && *file) {
    st = harm_people_register_load(file, o->pseudonym_key, o->pseudonym_key_len,
                                   &r->reg, err);
  }
  harm_roles roles = harm_config_roles(cfg);
  const char *offences =
      o->offences ? o->offences : harm_config_get(cfg, "input", "offences");
  if (st == HARM_OK && roles != HARM_ROLES_OFFENDER) {
    harm_ingest_opts io = harm_config_ingest_opts(cfg);
    io.group_by = io.columns.victim_id ? io.columns.victim_id : "victim_id";
    io.victims_as_subjects = true;
    io.offender_alias = "person_id";
    io.as_of = r->window.as_of; /* the window settled by the first pass */
    io.keep_offence_ids = o->keep_offence_ids;
    io.pseudonym_key = o->pseudonym_key;
    io.pseudonym_key_len = o->pseudonym_key_len;
    st = harm_ingest_file(offences, &io, &r->v_ds, err);
    harm_matrix_opts vo = *mo;
    vo.attribution = HARM_ATTR_FULL; /* no split among victims */
    if (st == HARM_OK) {
      st = harm_matrix_build(r->v_ds, &vo, &r->v_matrix, err);
    }
    if (st == HARM_OK) {
      st = harm_score_compute(r->v_matrix, r->weights[0], &r->so, &r->v_scores,
                              err);
    }
  }
  if (st == HARM_OK) {
    harm_people_input in = {.caused = r->scores[0],
                            .suffered = r->v_scores,
                            .caused_matrix = r->matrix,
                            .caused_dataset = r->ds,
                            .suffered_matrix = r->v_matrix,
                            .suffered_dataset = r->v_ds,
                            .weights = r->weights[0],
                            .score_opts = &r->so,
                            .people = r->reg,
                            .roles = roles,
                            .rank_by = harm_config_rank_by(cfg),
                            .balance_ratio = harm_config_balance_ratio(cfg),
                            .as_of = r->window.as_of};
    st = harm_people_build(&in, &r->people, err);
  }
  return st;
}

harm_status harm_run_new(const harm_config *cfg, const harm_run_opts *opts,
                         harm_run **out, harm_error *err) {
  *out = NULL;
  harm_run_opts defaults = HARM_RUN_OPTS_INIT;
  const harm_run_opts *o = opts ? opts : &defaults;
  if (!cfg) {
    return harm__fail(err, HARM_ERR_USAGE, "run", NULL, 0, NULL,
                      "no configuration");
  }
  const char *offences =
      o->offences ? o->offences : harm_config_get(cfg, "input", "offences");
  if (!offences || !*offences) {
    return harm__fail(err, HARM_ERR_USAGE, "run", NULL, 0, NULL,
                      "no offences file: pass --offences FILE or set "
                      "[input] offences in the configuration");
  }
  harm_run *r = harm__calloc(1, sizeof *r);
  if (!r) {
    return harm__fail(err, HARM_ERR_NOMEM, "run", NULL, 0, NULL,
                      "out of memory");
  }
  harm_status st = load_tables(r, cfg, o, err);
  /* The matrix options borrow cfg's category list during this call only. */
  harm_matrix_opts mo =
      harm_config_matrix_opts(cfg, st == HARM_OK ? r->weights[0] : NULL);
  /* A category that names nothing in the table would silently narrow or
   * empty the list: stop before reading the offences. */
  if (st == HARM_OK && mo.n_categories) {
    st = harm_score_check_categories(r->weights[0], mo.categories,
                                     mo.n_categories, err);
  }
  harm_ingest_opts io = harm_config_ingest_opts(cfg);
  if (st == HARM_OK) {
    io.keep_offence_ids = o->keep_offence_ids;
    io.today = o->today;
    io.hash_input = o->hash_input;
    io.pseudonym_key = o->pseudonym_key;
    io.pseudonym_key_len = o->pseudonym_key_len;
    io.on_reject = o->on_reject;
    io.reject_ctx = o->reject_ctx;
    if (harm_config_people_mode(cfg)) {
      io.offender_alias = "person_id";
    }
    io.read_places = o->read_places;
    io.place_optional = o->place_optional;
    io.previous_days = o->read_places ? o->previous_days : 0;
    /* A run that only scores (below: the records are released once the
     * aggregate has them) leaves them in the parts the threads read; the
     * ingest keeps one array when the file has a place column to read. */
    io.records_in_parts = !(o->keep_offence_ids || o->keep_records ||
                            harm_config_people_mode(cfg));
  }
  if (st == HARM_OK) {
    st = harm_ingest_file(offences, &io, &r->ds, err);
  }
  if (st == HARM_OK) {
    /* The window is settled here, once, and handed to every stage. */
    r->window =
        (harm_window){.as_of = harm_dataset_as_of(r->ds),
                      .lookback_days = harm_dataset_lookback_days(r->ds)};
    stage(o, "aggregating");
    /* A run that only scores frees the records once the aggregate has
     * them (a third of its peak memory); explain, places (when the file
     * has a place column) and people in either role read them again. */
    bool keep = o->keep_offence_ids || o->keep_records ||
                (o->read_places && harm_dataset_has_places(r->ds)) ||
                harm_config_people_mode(cfg);
    st = keep ? harm_matrix_build(r->ds, &mo, &r->matrix, err)
              : harm_matrix_build_release(r->ds, &mo, &r->matrix, err);
  }
  r->so = harm_config_score_opts(cfg);
  if (st == HARM_OK) {
    stage(o, "scoring and ranking");
  }
  for (size_t k = 0; st == HARM_OK && k < r->n_tables; k++) {
    st = harm_score_compute(r->matrix, r->weights[k], &r->so, &r->scores[k],
                            err);
    if (st == HARM_OK) {
      st =
          harm_rank_compute_top(r->scores[k], o->rank_top, &r->ranking[k], err);
    }
    if (st == HARM_OK) {
      /* A table that weighs none of the data's codes would rank everyone
       * at 0 days: harm_score_coverage stops the run. */
      st = table_warnings(r, k, err);
    }
  }
  harm_cohort_rules rules = harm_config_cohort_rules(cfg);
  if (st == HARM_OK && rules.rfgv) {
    /* RFGV is a score model: every subject's R, F, G, V and total, and a
     * ranking by total (then the harm ranking's order). */
    st = harm_rfgv_compute(r->scores[0], &rules.bands, r->window.as_of,
                           &r->rfgv, err);
    size_t n = st == HARM_OK ? harm_scores_count(r->scores[0]) : 0;
    double *key = st == HARM_OK ? harm__malloc((n + 1) * sizeof *key) : NULL;
    if (st == HARM_OK && !key) {
      st = harm__fail(err, HARM_ERR_NOMEM, "run", NULL, 0, NULL,
                      "out of memory");
    }
    for (size_t i = 0; key && i < n; i++) {
      key[i] = r->rfgv[i].total;
    }
    if (st == HARM_OK) {
      st = harm_rank_compute_by(r->scores[0], key, &r->by_model, err);
    }
    harm__free(key);
  }
  if (st == HARM_OK && harm_config_people_mode(cfg)) {
    stage(o, "people in either role");
    st = run_people(r, cfg, o, &mo, err);
  }
  harm_accounting a =
      st == HARM_OK ? harm_matrix_accounting(r->matrix) : (harm_accounting){0};
  if (st == HARM_OK && a.rejected) {
    st = warn(r, HARM_WARN_REJECTED, 0, err, "%" PRIu64 " rejected row%s",
              a.rejected, a.rejected == 1 ? "" : "s");
  }
  if (st != HARM_OK) {
    harm_run_free(r);
    return st;
  }
  *out = r;
  return HARM_OK;
}

void harm_run_free(harm_run *r) {
  if (!r) {
    return;
  }
  harm_cohort_free(r->cohort);
  harm_ranking_free(r->by_model);
  harm__free(r->rfgv);
  harm_people_free(r->people);
  harm_scores_free(r->v_scores);
  harm_matrix_free(r->v_matrix);
  harm_dataset_free(r->v_ds);
  harm_people_register_free(r->reg);
  for (size_t k = 0; k < r->n_tables; k++) {
    harm_ranking_free(r->ranking[k]);
    harm_scores_free(r->scores[k]);
    harm_weights_free(r->weights[k]);
  }
  harm_matrix_free(r->matrix);
  harm_dataset_free(r->ds);
  for (size_t i = 0; i < r->n_warnings; i++) {
    harm__free((char *)r->warnings[i].text);
  }
  harm__free(r->warnings);
  harm__free(r);
}

harm_window harm_run_window(const harm_run *r) { return r->window; }
harm_accounting harm_run_accounting(const harm_run *r) {
  return harm_matrix_accounting(r->matrix);
}
const harm_dataset *harm_run_dataset(const harm_run *r) { return r->ds; }
const harm_matrix *harm_run_matrix(const harm_run *r) { return r->matrix; }
size_t harm_run_n_tables(const harm_run *r) { return r->n_tables; }
const harm_weights *harm_run_weights(const harm_run *r, size_t table) {
  return table < r->n_tables ? r->weights[table] : NULL;
}
const harm_scores *harm_run_scores(const harm_run *r, size_t table) {
  return table < r->n_tables ? r->scores[table] : NULL;
}
const harm_ranking *harm_run_ranking(const harm_run *r, size_t table) {
  return table < r->n_tables ? r->ranking[table] : NULL;
}
harm_score_opts harm_run_score_opts(const harm_run *r) { return r->so; }
const harm_ranking *harm_run_model_ranking(const harm_run *r) {
  return r->by_model ? r->by_model : r->ranking[0];
}
const harm_rfgv *harm_run_rfgv(const harm_run *r) { return r->rfgv; }
const harm_people *harm_run_people(const harm_run *r) { return r->people; }
const harm_scores *harm_run_victim_scores(const harm_run *r) {
  return r->v_scores;
}
const harm_dataset *harm_run_victim_dataset(const harm_run *r) {
  return r->v_ds;
}
size_t harm_run_n_warnings(const harm_run *r) { return r->n_warnings; }
const harm_warning *harm_run_warning(const harm_run *r, size_t i) {
  return i < r->n_warnings ? &r->warnings[i] : NULL;
}

harm_status harm_run_select(harm_run *r, const harm_cohort_rules *rules,
                            const harm_list *referrals,
                            const harm_list *exclusions,
                            const harm_list *previous, const harm_cohort **out,
                            harm_error *err) {
  *out = NULL;
  if (rules && rules->rfgv != (r->rfgv != NULL)) {
    return harm__fail(err, HARM_ERR_USAGE, "cohort", NULL, 0, NULL,
                      "the cohort's model differs from the run's");
  }
  harm_cohort_input in = {.dataset = r->ds,
                          .matrix = r->matrix,
                          .scores = r->scores[0],
                          .ranking = harm_run_model_ranking(r),
                          .as_of = r->window.as_of,
                          .rfgv = r->rfgv};
  if (r->people) {
    if (r->rfgv) {
      return harm__fail(err, HARM_ERR_USAGE, "cohort", NULL, 0, NULL,
                        "model = rfgv with people in either role is not "
                        "supported");
    }
    in.dataset = harm_people_dataset(r->people);
    in.matrix = harm_people_matrix(r->people);
    in.scores = harm_people_scores(r->people);
    in.ranking = harm_people_ranking(r->people);
    in.people = r->people;
  }
  harm_cohort *c = NULL;
  harm_status st =
      harm_cohort_select(&in, rules, referrals, exclusions, previous, &c, err);
  if (st == HARM_OK) {
    harm_cohort_free(r->cohort);
    r->cohort = c;
    *out = c;
  }
  return st;
}
