/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/oversight/evaluate.c: `harmrank evaluate`. For each past cohort
 * run it rebuilds the pool at selection (the recorded configuration over
 * today's offences, the run's own window), takes the core members from
 * its cohort.csv and the near-miss group from the pool ranks just below
 * the cut, and measures each person's harm in an equal window after
 * selection by re-running the pipeline there. Runs pool; a seeded
 * bootstrap (GSL mt19937) resamples people within each group for 95%
 * intervals of the changes and of the difference-in-differences. */
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "oversight/internal.h"

enum { GROUP_COHORT = 0, GROUP_COMPARISON = 1, GROUP_DID = 2, N_GROUPS = 3 };

static const char *const group_names[N_GROUPS] = {"cohort", "comparison",
                                                  "difference-in-differences"};

struct harm_evaluation {
  harm_evaluate_group groups[N_GROUPS];
  harm_evaluate_person *people;
  size_t n_people, cap_people;
  harm_evaluate_run *runs;
  size_t n_runs;
  char **folders; /* run folder names, owned */
  char **ids;     /* person ids, owned (people[i].person points here) */
  harm__notes notes;
  uint64_t seed;
  size_t draws;
};

static harm_status nomem(harm_error *err) {
  return harm__fail(err, HARM_ERR_NOMEM, "evaluate", NULL, 0, NULL,
                    "out of memory");
}

void harm_evaluation_free(harm_evaluation *e) {
  if (!e) {
    return;
  }
  for (size_t i = 0; i < e->n_people; i++) {
    harm__free(e->ids[i]);
  }
  harm__free(e->ids);
  harm__free(e->people);
  for (size_t i = 0; i < e->n_runs; i++) {
    harm__free(e->folders[i]);
  }
  harm__free(e->folders);
  harm__free(e->runs);
  harm__notes_free(&e->notes);
  harm__free(e);
}

/* Harm in days of `id` in a rebuilt run (0 when it has no offence in the
 * window). */
static double harm_of(const harm_run *run, const char *id) {
  const harm_dataset *ds = harm_run_dataset(run);
  const harm_scores *s = harm_run_scores(run, 0);
  size_t subject;
  if (!harm_dataset_find_subject(ds, id, &subject)) {
    return 0.0;
  }
  /* Scores are held in subject order when every subject is scored; look
   * there first, then search. */
  size_t n = harm_scores_count(s);
  if (subject < n && harm_scores_at(s, subject)->subject == subject) {
    return harm_scores_at(s, subject)->harm;
  }
  for (size_t i = 0; i < n; i++) {
    if (harm_scores_at(s, i)->subject == subject) {
      return harm_scores_at(s, i)->harm;
    }
  }
  return 0.0;
}

static harm_status add_person(harm_evaluation *e, harm_date as_of,
                              const char *id, int group, size_t rank,
                              double before, double after, harm_error *err) {
  if (e->n_people == e->cap_people) {
    size_t cap = e->cap_people ? e->cap_people * 2 : 64;
    harm_evaluate_person *p = harm__reallocarray(e->people, cap, sizeof *p);
    if (!p) {
      return nomem(err);
    }
    e->people = p;
    char **ids = harm__reallocarray(e->ids, cap, sizeof *ids);
    if (!ids) {
      return nomem(err);
    }
    e->ids = ids;
    e->cap_people = cap;
  }
  char *copy = harm__strdup(id);
  if (!copy) {
    return nomem(err);
  }
  e->ids[e->n_people] = copy;
  e->people[e->n_people++] = (harm_evaluate_person){
      as_of, copy, group_names[group], rank, before, after};
  return HARM_OK;
}

static void note(harm_evaluation *e, const char *fmt, const char *a,
                 const char *b) {
  char text[1400];
  snprintf(text, sizeof text, fmt, a, b);
  harm__notes_add(&e->notes, text);
}

/* The latest offence date the offences file holds for this run's
 * configuration: a run with as_of = latest. */
static harm_status latest_date(const harm_oversight_manifest *m,
                               const harm_evaluate_opts *o, harm_date *out,
                               harm_error *err) {
  harm__rebuilt r;
  harm_status st = harm__rebuild(m, o->offences, HARM_DATE_NONE, 0,
                                 o->pseudonym_key, o->pseudonym_key_len,
                                 o->threads, false, NULL, NULL, &r, err);
  if (st == HARM_OK) {
    *out = harm_run_window(r.run).as_of;
  }
  harm__rebuilt_free(&r);
  return st;
}

/* What the steps of one past run's evaluation share. */
typedef struct run_eval {
  harm_evaluation *e;
  const char *folder;
  const harm_evaluate_opts *o;
  harm_error *err;
  harm_oversight_manifest *m;  /* the run's manifest, owned */
  harm__table cohort;          /* its cohort.csv, owned */
  int c_id, c_reason, c_pool;  /* cohort.csv's columns */
  harm__rebuilt before, after; /* the pool at selection; the after window */
  harm_date as_of, end;        /* the run's as_of; the after window's end */
  uint32_t days, after_days;   /* the before and after windows, days */
  size_t size, first, last;    /* [cohort] size; comparison pool ranks */
  char (*listed)[HARM_PSEUDONYM_LEN + 256]; /* ids cohort.csv lists, owned */
  size_t n_listed;
} run_eval;

/* Loads the run's manifest and cohort.csv and checks that they are a
 * cohort run with a finite window. */
static harm_status load_run(run_eval *x) {
  harm_evaluation *e = x->e;
  const char *folder = x->folder;
  harm_error *err = x->err;
  char path[4096];
  harm__join(path, sizeof path, folder, "manifest.json");
  harm_status st = harm_oversight_manifest_load(path, &x->m, err);
  harm_oversight_manifest *m = x->m;
  if (st == HARM_OK && strcmp(harm_oversight_manifest_command(m), "cohort")) {
    st = harm__fail(err, HARM_ERR_DATA, "evaluate", path, 0, NULL,
                    "not a cohort run (command \"%s\"): evaluate needs a "
                    "folder written by harmrank cohort",
                    harm_oversight_manifest_command(m));
  }
  x->as_of = m ? harm_oversight_manifest_as_of(m) : HARM_DATE_NONE;
  x->days = m ? harm_oversight_manifest_lookback(m) : 0;
  if (st == HARM_OK && (x->as_of == HARM_DATE_NONE || x->days == 0)) {
    st = harm__fail(err, HARM_ERR_DATA, "evaluate", path, 0, NULL,
                    "the run records no finite window (as_of and "
                    "lookback_days): before and after cannot be compared");
  }
  if (st == HARM_OK) {
    harm__join(path, sizeof path, folder, "cohort.csv");
    st = harm__table_load(path, &x->cohort, err);
  }
  x->c_id = st == HARM_OK ? harm__table_col(&x->cohort, "offender_id") : -1;
  x->c_reason = st == HARM_OK ? harm__table_col(&x->cohort, "reason") : -1;
  x->c_pool = st == HARM_OK ? harm__table_col(&x->cohort, "pool_rank") : -1;
  if (st == HARM_OK && (x->c_id < 0 || x->c_reason < 0 || x->c_pool < 0)) {
    st = harm__fail(err, HARM_ERR_DATA, "evaluate", path, 1, NULL,
                    "not a cohort.csv written by harmrank (needs offender_id, "
                    "reason and pool_rank)");
  }
  for (size_t i = 0; st == HARM_OK && i < harm_oversight_manifest_n_outputs(m);
       i++) {
    const harm_oversight_file *f = harm_oversight_manifest_output(m, i);
    if (strcmp(f->role, "cohort.csv") == 0 && f->sha256[0] &&
        strcmp(f->sha256, x->cohort.hash.sha256) != 0) {
      note(e,
           "%s/cohort.csv is not the list its manifest records (edited "
           "after the run?); it is used as it is%s",
           folder, "");
    }
  }
  return st;
}

/* Rebuilds the pool as it stood at selection and settles the comparison
 * ranks. */
static harm_status rebuild_before(run_eval *x) {
  harm_evaluation *e = x->e;
  const char *folder = x->folder;
  const harm_evaluate_opts *o = x->o;
  harm_error *err = x->err;
  harm_cohort_rules rules = HARM_COHORT_RULES_INIT;
  harm_status st =
      harm__rebuild(x->m, o->offences, x->as_of, x->days, o->pseudonym_key,
                    o->pseudonym_key_len, o->threads, true, harm__notes_add,
                    &e->notes, &x->before, err);
  if (st == HARM_OK) {
    rules = harm_config_cohort_rules(x->before.cfg);
    x->size = rules.size;
    if (!x->first) {
      x->first = x->size + 1;
      x->last = 2 * x->size;
    }
    if (x->last < x->first || x->first == 0) {
      st = harm__fail(err, HARM_ERR_USAGE, "evaluate", folder, 0, NULL,
                      "the run's [cohort] size is 0: pass "
                      "--comparison-ranks A-B");
    }
    const harm_oversight_file *off =
        harm_oversight_manifest_find_input(x->m, "offences");
    const harm_input_hash *h =
        harm_dataset_input_hash(harm_run_dataset(x->before.run));
    if (off && off->sha256[0] && strcmp(off->sha256, h->sha256) != 0) {
      note(e,
           "the offences file is not the one the run of %s read (expected "
           "when it has grown since): the pool is rebuilt from it with the "
           "recorded settings, so records changed since may move ranks%s",
           folder, "");
    }
  }
  return st;
}

/* Settles the after window, checks that the data reach its end, and
 * rebuilds the run there. */
static harm_status rebuild_after(run_eval *x) {
  harm_evaluation *e = x->e;
  const char *folder = x->folder;
  const harm_evaluate_opts *o = x->o;
  harm_error *err = x->err;
  harm_status st = HARM_OK;
  harm_date as_of = x->as_of;
  x->end = o->as_of != HARM_DATE_NONE ? o->as_of
                                      : (harm_date)(as_of + (int32_t)x->days);
  char d1[11], d2[11];
  harm_date_format_iso(as_of, d1);
  harm_date_format_iso(x->end, d2);
  if (x->end <= as_of) {
    st = harm__fail(err, HARM_ERR_USAGE, "evaluate", folder, 0, NULL,
                    "--as-of %s is not after the run's as_of %s", d2, d1);
  }
  if (st == HARM_OK) {
    harm_date latest = HARM_DATE_NONE;
    st = latest_date(x->m, o, &latest, err);
    if (st == HARM_OK && (latest == HARM_DATE_NONE || latest < x->end)) {
      char d3[11];
      harm_date_format_iso(latest, d3);
      st = harm__fail(err, HARM_ERR_DATA, "evaluate", o->offences, 0, NULL,
                      "the offences end on %s, before the after window's end "
                      "%s (the run of %s as of %s): pass a later offences "
                      "file or an earlier --as-of",
                      d3[0] ? d3 : "(no valid row)", d2, folder, d1);
    }
  }
  x->after_days = (uint32_t)(x->end - as_of);
  if (st == HARM_OK) {
    st = harm__rebuild(x->m, o->offences, x->end, x->after_days,
                       o->pseudonym_key, o->pseudonym_key_len, o->threads,
                       false, NULL, NULL, &x->after, err);
  }
  if (st == HARM_OK && x->after_days != x->days) {
    char a[24], b[24];
    snprintf(a, sizeof a, "%" PRIu32, x->after_days);
    snprintf(b, sizeof b, "%" PRIu32, x->days);
    note(e,
         "the after window (%s days) is not as long as the before window "
         "(%s days): each group's change mixes the two lengths; the "
         "difference-in-differences still compares like with like",
         a, b);
  }
  return st;
}

/* Adds the cohort, the core members as cohort.csv lists them, and keeps
 * every id it lists (pseudonymised when the run was not) in x->listed. */
static harm_status add_cohort(run_eval *x) {
  const harm_evaluate_opts *o = x->o;
  harm__table *cohort = &x->cohort;
  harm_status st = HARM_OK;
  size_t n_listed = x->n_listed = cohort->n_rows;
  char(*listed)[HARM_PSEUDONYM_LEN + 256] = x->listed =
      harm__calloc(n_listed ? n_listed : 1, sizeof *listed);
  if (!listed) {
    st = nomem(x->err);
  }
  bool map_ids =
      o->pseudonym_key && !harm_oversight_manifest_pseudonymised(x->m);
  for (size_t i = 0; st == HARM_OK && i < n_listed; i++) {
    const char *id = harm__table_cell(cohort, i, x->c_id);
    if (map_ids) {
      char ps[HARM_PSEUDONYM_LEN + 1];
      st = harm_pseudonym(o->pseudonym_key, o->pseudonym_key_len, id,
                          strlen(id), ps);
      snprintf(listed[i], sizeof listed[i], "%s", ps);
    } else {
      snprintf(listed[i], sizeof listed[i], "%s", id);
    }
    const char *reason = harm__table_cell(cohort, i, x->c_reason);
    if (st != HARM_OK || strncmp(reason, "core rank", 9) != 0) {
      continue;
    }
    uint64_t rank = 0;
    const char *pr = harm__table_cell(cohort, i, x->c_pool);
    harm__parse_u64(pr, strlen(pr), &rank);
    st = add_person(x->e, x->as_of, listed[i], GROUP_COHORT, (size_t)rank,
                    harm_of(x->before.run, listed[i]),
                    harm_of(x->after.run, listed[i]), x->err);
  }
  return st;
}

/* Adds the near-miss group: pool ranks first..last not on the list. */
static harm_status add_comparison(run_eval *x) {
  const harm_cohort *pool = NULL;
  harm_status st = harm__pool(&x->before, x->last, &pool, x->err);
  size_t n_comparison = 0;
  for (size_t i = 0; st == HARM_OK && i < harm_cohort_count(pool); i++) {
    const harm_member *mb = harm_cohort_member(pool, i);
    if (mb->pool_rank < x->first || mb->pool_rank > x->last) {
      continue;
    }
    bool on_list = false;
    for (size_t k = 0; k < x->n_listed && !on_list; k++) {
      on_list = strcmp(x->listed[k], mb->offender_id) == 0;
    }
    if (on_list) {
      continue;
    }
    st = add_person(x->e, x->as_of, mb->offender_id, GROUP_COMPARISON,
                    mb->pool_rank, mb->score ? mb->score->harm : 0.0,
                    harm_of(x->after.run, mb->offender_id), x->err);
    n_comparison++;
  }
  return st;
}

/* Records the run's windows and comparison ranks in e->runs. */
static harm_status record_run(run_eval *x) {
  harm_evaluation *e = x->e;
  harm_status st = HARM_OK;
  harm_evaluate_run *r = &e->runs[e->n_runs];
  e->folders[e->n_runs] = harm__strdup(x->folder);
  if (!e->folders[e->n_runs]) {
    st = nomem(x->err);
  } else {
    *r =
        (harm_evaluate_run){e->folders[e->n_runs], x->as_of, x->days,  x->end,
                            x->after_days,         x->size,  x->first, x->last};
    e->n_runs++;
  }
  return st;
}

/* One past run: its people with harm before and after. */
static harm_status evaluate_run(harm_evaluation *e, const char *folder,
                                const harm_evaluate_opts *o, harm_error *err) {
  run_eval x;
  memset(&x, 0, sizeof x);
  x.e = e;
  x.folder = folder;
  x.o = o;
  x.err = err;
  x.first = o->comparison_first;
  x.last = o->comparison_last;
  harm_status st = load_run(&x);
  if (st == HARM_OK) {
    st = rebuild_before(&x);
  }
  if (st == HARM_OK) {
    st = rebuild_after(&x);
  }
  if (st == HARM_OK) {
    st = add_cohort(&x);
  }
  if (st == HARM_OK) {
    st = add_comparison(&x);
  }
  if (st == HARM_OK) {
    st = record_run(&x);
  }
  harm__free(x.listed);
  harm__rebuilt_free(&x.before);
  harm__rebuilt_free(&x.after);
  harm__table_free(&x.cohort);
  harm_oversight_manifest_free(x.m);
  return st;
}

/* Mean of after - before over the people of `group` picked by idx (n of
 * them; idx NULL = all in order). */
static double mean_change(const harm_evaluation *e, const size_t *members,
                          size_t n, const size_t *idx) {
  double sum = 0.0;
  for (size_t k = 0; k < n; k++) {
    const harm_evaluate_person *p = &e->people[members[idx ? idx[k] : k]];
    sum += p->harm_after - p->harm_before;
  }
  return n ? sum / (double)n : NAN;
}

/* Each group's mean harm before and after and mean change, and their
 * difference (GROUP_DID); intervals left NAN for the bootstrap. members[g]
 * holds the n[g] people of group g. */
static void group_means(harm_evaluation *e, size_t *const members[2],
                        const size_t n[2], const double before[2],
                        const double after[2]) {
  for (int g = 0; g < 2; g++) {
    harm_evaluate_group *r = &e->groups[g];
    r->group = group_names[g];
    r->people = n[g];
    r->harm_before = n[g] ? before[g] / (double)n[g] : NAN;
    r->harm_after = n[g] ? after[g] / (double)n[g] : NAN;
    r->change = mean_change(e, members[g], n[g], NULL);
    r->change_low = r->change_high = NAN;
    if (!n[g]) {
      harm__notes_add(&e->notes,
                      g ? "the comparison group is empty (no one in the pool "
                          "at those ranks): there is no difference-in-"
                          "differences, only the cohort's own change, which "
                          "regression to the mean alone would produce"
                        : "no core member of any list: nothing to evaluate");
    }
  }
  harm_evaluate_group *d = &e->groups[GROUP_DID];
  d->group = group_names[GROUP_DID];
  d->people = n[0] + n[1];
  d->harm_before = e->groups[0].harm_before - e->groups[1].harm_before;
  d->harm_after = e->groups[0].harm_after - e->groups[1].harm_after;
  d->change = e->groups[0].change - e->groups[1].change;
  d->change_low = d->change_high = NAN;
}

/* The bootstrap: resample people with replacement within each group
 * (e->draws draws, seeded with e->seed) for the intervals of the change
 * of both groups and of their difference. */
static harm_status bootstrap(harm_evaluation *e, size_t *const members[2],
                             const size_t n[2], harm_error *err) {
  harm_status st = HARM_OK;
  double *draws[3] = {NULL, NULL, NULL};
  size_t *idx[2] = {NULL, NULL};
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  for (int k = 0; k < 3; k++) {
    draws[k] = harm__calloc(e->draws, sizeof(double));
  }
  for (int g = 0; g < 2; g++) {
    idx[g] = harm__calloc(n[g] ? n[g] : 1, sizeof(size_t));
  }
  if (!rng || !draws[0] || !draws[1] || !draws[2] || !idx[0] || !idx[1]) {
    st = nomem(err);
  }
  if (st == HARM_OK) {
    gsl_rng_set(rng, (unsigned long)e->seed);
    for (size_t b = 0; b < e->draws; b++) {
      for (int g = 0; g < 2; g++) {
        for (size_t k = 0; k < n[g]; k++) {
          idx[g][k] = (size_t)gsl_rng_uniform_int(rng, (unsigned long)n[g]);
        }
        draws[g][b] = mean_change(e, members[g], n[g], idx[g]);
      }
      draws[2][b] = draws[0][b] - draws[1][b];
    }
    for (int k = 0; k < 3; k++) {
      harm_evaluate_group *r = &e->groups[k];
      if (isnan(r->change)) {
        continue;
      }
      gsl_sort(draws[k], 1, e->draws);
      r->change_low =
          gsl_stats_quantile_from_sorted_data(draws[k], 1, e->draws, 0.025);
      r->change_high =
          gsl_stats_quantile_from_sorted_data(draws[k], 1, e->draws, 0.975);
    }
  }
  gsl_rng_free(rng);
  for (int k = 0; k < 3; k++) {
    harm__free(draws[k]);
  }
  for (int g = 0; g < 2; g++) {
    harm__free(idx[g]);
  }
  return st;
}

/* The groups' means, their difference and bootstrap intervals, into
 * e->groups. */
static harm_status summarise(harm_evaluation *e, harm_error *err) {
  size_t *members[2] = {NULL, NULL}, n[2] = {0, 0};
  double before[2] = {0, 0}, after[2] = {0, 0};
  for (int g = 0; g < 2; g++) {
    members[g] = harm__calloc(e->n_people ? e->n_people : 1, sizeof(size_t));
    if (!members[g]) {
      harm__free(members[0]);
      return nomem(err);
    }
  }
  for (size_t i = 0; i < e->n_people; i++) {
    int g = e->people[i].group == group_names[GROUP_COHORT] ? 0 : 1;
    members[g][n[g]++] = i;
    before[g] += e->people[i].harm_before;
    after[g] += e->people[i].harm_after;
  }
  group_means(e, members, n, before, after);
  harm_status st = bootstrap(e, members, n, err);
  for (int g = 0; g < 2; g++) {
    harm__free(members[g]);
  }
  return st;
}

harm_status harm_evaluate_new(const harm_evaluate_opts *opts,
                              harm_evaluation **out, harm_error *err) {
  *out = NULL;
  if (!opts || !opts->n_runs || !opts->runs) {
    return harm__fail(err, HARM_ERR_USAGE, "evaluate", NULL, 0, NULL,
                      "no past run to evaluate: pass --run DIR");
  }
  if (!opts->offences) {
    return harm__fail(err, HARM_ERR_USAGE, "evaluate", NULL, 0, NULL,
                      "no offences file: pass --offences FILE (today's, "
                      "reaching past the run's as_of)");
  }
  harm_evaluation *e = harm__calloc(1, sizeof *e);
  if (!e) {
    return nomem(err);
  }
  e->seed = opts->seed;
  e->draws = opts->draws ? opts->draws : 2000;
  e->runs = harm__calloc(opts->n_runs, sizeof *e->runs);
  e->folders = harm__calloc(opts->n_runs, sizeof *e->folders);
  harm_status st = e->runs && e->folders ? HARM_OK : nomem(err);
  for (size_t i = 0; st == HARM_OK && i < opts->n_runs; i++) {
    st = evaluate_run(e, opts->runs[i], opts, err);
  }
  if (st == HARM_OK) {
    st = summarise(e, err);
  }
  if (st == HARM_OK && e->notes.failed) {
    st = nomem(err);
  }
  if (st != HARM_OK) {
    harm_evaluation_free(e);
    return st;
  }
  *out = e;
  return HARM_OK;
}

size_t harm_evaluation_n_groups(const harm_evaluation *e) {
  (void)e;
  return N_GROUPS;
}
const harm_evaluate_group *harm_evaluation_group(const harm_evaluation *e,
                                                 size_t i) {
  return i < N_GROUPS ? &e->groups[i] : NULL;
}
size_t harm_evaluation_n_people(const harm_evaluation *e) {
  return e->n_people;
}
const harm_evaluate_person *harm_evaluation_person(const harm_evaluation *e,
                                                   size_t i) {
  return i < e->n_people ? &e->people[i] : NULL;
}
size_t harm_evaluation_n_runs(const harm_evaluation *e) { return e->n_runs; }
const harm_evaluate_run *harm_evaluation_run(const harm_evaluation *e,
                                             size_t i) {
  return i < e->n_runs ? &e->runs[i] : NULL;
}
size_t harm_evaluation_n_notes(const harm_evaluation *e) { return e->notes.n; }
const char *harm_evaluation_note(const harm_evaluation *e, size_t i) {
  return i < e->notes.n ? e->notes.text[i] : NULL;
}
uint64_t harm_evaluation_seed(const harm_evaluation *e) { return e->seed; }
size_t harm_evaluation_draws(const harm_evaluation *e) { return e->draws; }
