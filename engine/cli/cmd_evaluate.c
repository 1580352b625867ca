/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cmd_evaluate.c: `harmrank evaluate`: past cohorts against
 * their near-miss groups, before and after selection. Writes
 * evaluate.csv, evaluate_people.csv, evaluate.xlsx and manifest.json into
 * --out, all renamed into place only when every one was written. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_internal.h"

enum { OUT_CSV, OUT_PEOPLE, OUT_XLSX, OUT_MANIFEST, N_OUT };
static const char *const out_names[N_OUT] = {
    "evaluate.csv", "evaluate_people.csv", "evaluate.xlsx", "manifest.json"};

enum { MAX_RUNS = 64 };

static void print_row(const harm_evaluate_group *g) {
  char c[3][32];
  const double v[3] = {g->change, g->change_low, g->change_high};
  for (int k = 0; k < 3; k++) {
    if (isnan(v[k])) {
      snprintf(c[k], sizeof c[k], "-");
    } else {
      snprintf(c[k], sizeof c[k], "%.1f", v[k]);
    }
  }
  printf("%-26s %6zu %12.1f %12.1f %10s  [%s, %s]\n", g->group, g->people,
         g->harm_before, g->harm_after, c[0], c[1], c[2]);
}

/* Refuses a run without past runs (or with too many), offences or an
 * output folder. */
static int check_options(const cli_opts *o, size_t n_runs) {
  int rc = HARM_EXIT_OK;
  if (!n_runs || n_runs > MAX_RUNS) {
    fprintf(stderr,
            "harmrank: evaluate: pass --run PAST_OUT_DIR (1 to %d "
            "folders written by harmrank cohort)\n",
            MAX_RUNS);
    rc = HARM_EXIT_USAGE;
  } else if (!o->offences) {
    fprintf(stderr, "harmrank: evaluate: no offences file: pass --offences "
                    "FILE (today's, reaching past each run's as_of)\n");
    rc = HARM_EXIT_USAGE;
  } else if (!o->out_dir) {
    fprintf(stderr, "harmrank: evaluate: no output folder: pass --out DIR\n");
    rc = HARM_EXIT_USAGE;
  }
  return rc;
}

/* The library's options from the configuration as applied. */
static void evaluate_opts(const cli_opts *o, const char **runs, size_t n_runs,
                          harm_evaluate_opts *eo) {
  const char *as_of = harm_config_get(o->cfg, "evaluate", "as_of");
  const char *ranks = harm_config_get(o->cfg, "evaluate", "comparison_ranks");
  eo->runs = runs;
  eo->n_runs = n_runs;
  eo->offences = o->offences;
  if (as_of && *as_of) {
    harm_date_parse(as_of, strlen(as_of), HARM_DATE_YMD, &eo->as_of);
  }
  if (ranks && *ranks) {
    eo->comparison_first = (size_t)strtoull(ranks, NULL, 10);
    eo->comparison_last = (size_t)strtoull(strchr(ranks, '-') + 1, NULL, 10);
  }
  eo->seed = strtoull(harm_config_get(o->cfg, "evaluate", "seed"), NULL, 10);
  eo->draws =
      (size_t)strtoull(harm_config_get(o->cfg, "evaluate", "draws"), NULL, 10);
  eo->threads =
      (unsigned)strtoul(harm_config_get(o->cfg, "run", "threads"), NULL, 10);
  eo->pseudonym_key = o->key_len ? o->key : NULL;
  eo->pseudonym_key_len = o->key_len;
}

/* Writes evaluate.csv, evaluate_people.csv and evaluate.xlsx. */
static int write_outputs(const cli_opts *o, const harm_evaluation *ev,
                         harm_outfile **out) {
  harm_error err = HARM_ERROR_INIT;
  harm_status st =
      harm_evaluate_write_csv(harm_outfile_stream(out[OUT_CSV]), ev, &err);
  if (st == HARM_OK) {
    st = harm_evaluate_write_people(harm_outfile_stream(out[OUT_PEOPLE]), ev,
                                    &err);
  }
  if (st == HARM_OK) {
    st = harm_evaluate_write_xlsx(harm_outfile_temp_path(out[OUT_XLSX]), ev,
                                  o->cfg, &err);
  }
  return st != HARM_OK ? cli_fail(&err) : HARM_EXIT_OK;
}

/* Commits the outputs (or, when rc is an error, drops them) with the
 * manifest, whose inputs are today's offences and each run's manifest
 * and cohort, hashed as they are now. */
static int commit_outputs(cli_opts *o, const char **runs, size_t n_runs,
                          harm_outfile **out, int rc) {
  harm_manifest_input inputs[2 * MAX_RUNS + 1];
  char run_files[MAX_RUNS][2][4096];
  size_t n_in = 0;
  inputs[n_in++] = (harm_manifest_input){"offences", o->offences, NULL};
  for (size_t i = 0; !rc && i < n_runs; i++) {
    cli_join(run_files[i][0], sizeof run_files[i][0], runs[i], "manifest.json");
    cli_join(run_files[i][1], sizeof run_files[i][1], runs[i], "cohort.csv");
    inputs[n_in++] =
        (harm_manifest_input){"run manifest", run_files[i][0], NULL};
    inputs[n_in++] = (harm_manifest_input){"run cohort", run_files[i][1], NULL};
  }
  return cli_oversight_commit(o, "evaluate", inputs, n_in, out_names, out,
                              N_OUT, rc);
}

/* The notes, each run's windows and the table of groups. */
static void print_results(const cli_opts *o, const harm_evaluation *ev) {
  char e[1400];
  for (size_t i = 0; i < harm_evaluation_n_notes(ev); i++) {
    fprintf(stderr, "harmrank: evaluate: note: %s\n",
            cli_esc(harm_evaluation_note(ev, i), e, sizeof e));
  }
  for (size_t i = 0; i < harm_evaluation_n_runs(ev); i++) {
    const harm_evaluate_run *r = harm_evaluation_run(ev, i);
    char a[11], b[11];
    harm_date_format_iso(r->as_of, a);
    harm_date_format_iso(r->after_end, b);
    printf("run %s: selected %s; before %" PRIu32 " days, after %" PRIu32
           " days to %s; comparison pool ranks %zu-%zu\n",
           cli_esc(r->folder, e, sizeof e), a, r->before_days, r->after_days, b,
           r->comparison_first, r->comparison_last);
  }
  printf("%-26s %6s %12s %12s %10s  %s\n", "group", "people", "before", "after",
         "change", "95% interval (bootstrap)");
  for (size_t i = 0; i < harm_evaluation_n_groups(ev); i++) {
    print_row(harm_evaluation_group(ev, i));
  }
  printf("mean harm per person in days; outputs in %s: evaluate.csv "
         "evaluate_people.csv evaluate.xlsx manifest.json\n",
         cli_esc(o->out_dir, e, sizeof e));
}

int cli_cmd_evaluate(int argc, char **argv) {
  cli_opts o;
  int rc = cli_start("evaluate", argc, argv, &o, false);
  if (rc >= 0) {
    cli_opts_free(&o);
    return rc;
  }
  char list_buf[CLI_MAX_WEIGHTS * 512];
  const char *runs[MAX_RUNS];
  size_t n_runs = cli_split_list(harm_config_path(o.cfg, "evaluate", "runs"),
                                 list_buf, sizeof list_buf, runs, MAX_RUNS);
  rc = check_options(&o, n_runs);
  if (rc) {
    cli_opts_free(&o);
    return rc;
  }
  harm_evaluate_opts eo = HARM_EVALUATE_OPTS_INIT;
  evaluate_opts(&o, runs, n_runs, &eo);

  char paths[N_OUT][4096];
  const char *outs[N_OUT];
  for (int k = 0; k < N_OUT; k++) {
    cli_join(paths[k], sizeof paths[k], o.out_dir, out_names[k]);
    outs[k] = paths[k];
  }
  rc = cli_check_paths("evaluate", &o, outs, N_OUT, true);
  if (!rc) {
    rc = cli_make_dirs("evaluate", o.out_dir);
  }
  harm_evaluation *ev = NULL;
  harm_error err = HARM_ERROR_INIT;
  if (!rc && harm_evaluate_new(&eo, &ev, &err) != HARM_OK) {
    rc = cli_fail(&err);
  }
  harm_outfile *out[N_OUT] = {NULL};
  if (!rc) {
    rc = cli_oversight_open(&o, paths, out, N_OUT);
  }
  if (!rc) {
    rc = write_outputs(&o, ev, out);
  }
  rc = commit_outputs(&o, runs, n_runs, out, rc);
  if (!rc && !o.quiet) {
    print_results(&o, ev);
  }
  harm_evaluation_free(ev);
  cli_opts_free(&o);
  return rc;
}
