/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cmd_sweep.c: `harmrank sweep`: perturbs every per-offence
 * weight by a seeded uniform factor in [1 - P, 1 + P], re-scores from the
 * one matrix and re-selects the cohort's core each draw, and reports how
 * often each person is in the core with a 95% Wilson interval. Referral
 * slots, backfill and tenure are not perturbed and are left out. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_analysis.h"

enum { PRINT_MAX = 40 };

static double seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void print_sweep(const harm_dataset *ds, const harm_analysis_sweep *s,
                        double secs) {
  const harm_sweep_opts *o = harm_analysis_sweep_opts_used(s);
  size_t n = harm_analysis_sweep_count(s), n_base = 0, n_always = 0;
  for (size_t i = 0; i < n; i++) {
    const harm_sweep_row *r = harm_analysis_sweep_row(s, i);
    n_base += r->base_core;
    n_always += r->draws_in == o->draws;
  }
  printf("sweep: %zu draws, weights x U[%.3g, %.3g], seed %llu, core = top "
         "%zu%s; %.2f s\n",
         o->draws, 1.0 - o->perturb, 1.0 + o->perturb,
         (unsigned long long)o->seed, o->rules.size,
         o->rules.partition_by_area ? " per area" : "", secs);
  printf("%zu people were in the core at least once; %zu of the %zu "
         "unperturbed core members were in it in every draw\n",
         n, n_always, n_base);
  printf("%-14s %8s %17s %9s %5s %s\n", "offender", "in core", "95% Wilson",
         "base rank", "core", "partition");
  for (size_t i = 0; i < n && i < PRINT_MAX; i++) {
    const harm_sweep_row *r = harm_analysis_sweep_row(s, i);
    char e1[256], e2[256];
    printf(
        "%-14s %7.1f%% [%6.1f%%, %6.1f%%] %9zu %5s %s\n",
        cli_esc(harm_dataset_subject_id(ds, r->subject, NULL), e1, sizeof e1),
        r->share * 100, r->wilson_lo * 100, r->wilson_hi * 100, r->base_rank,
        r->base_core ? "yes" : "no",
        cli_esc(r->area >= 0 ? harm_dataset_area(ds, (size_t)r->area) : "", e2,
                sizeof e2));
  }
  if (n > PRINT_MAX) {
    printf("... %zu more (see sweep.csv with --out)\n", n - PRINT_MAX);
  }
}

int cli_cmd_sweep(int argc, char **argv) {
  const char *cmd = "sweep";
  cli_opts o;
  int rc = cli_start(cmd, argc, argv, &o, false);
  if (rc >= 0) {
    cli_opts_free(&o);
    return rc;
  }
  harm_sweep_opts so = harm_config_sweep_opts(o.cfg);
  char rejects[4096];
  rc = cli_analysis_prepare(&o, cmd, rejects, sizeof rejects);
  harm_list *excl = NULL;
  harm_error err = HARM_ERROR_INIT;
  if (!rc && o.exclusions &&
      (harm_exclusions_load(o.exclusions, &excl, &err) != HARM_OK ||
       (o.key_len &&
        harm_list_pseudonymise(excl, o.key, o.key_len, &err) != HARM_OK))) {
    rc = cli_fail(&err);
  }
  if (!rc && (o.referrals || o.previous) && !o.quiet) {
    fprintf(stderr,
            "harmrank: %s: note: the configured referrals and previous "
            "cohort are not used: the sweep perturbs only the core places\n",
            cmd);
  }
  cli_pipeline p;
  memset(&p, 0, sizeof p);
  if (!rc) {
    rc = cli_pipeline_run_analysis(&o, rejects, &p);
  }
  double *base = NULL;
  harm_analysis_sweep *sw = NULL;
  if (!rc) {
    base = malloc((harm_matrix_n_codes(p.matrix) + 1) * sizeof *base);
    harm_score_opts sco = harm_config_score_opts(o.cfg);
    if (!base) {
      fprintf(stderr, "harmrank: %s: out of memory\n", cmd);
      rc = HARM_EXIT_INTERNAL;
    } else if (harm_score_vector(p.matrix, p.weights, &sco, base, &err) !=
               HARM_OK) {
      rc = cli_fail(&err);
    }
  }
  double t0 = seconds();
  if (!rc) {
    so.exclusions = excl;
    if (harm_analysis_sweep_new(p.ds, p.matrix, base, &so, &sw, &err) !=
        HARM_OK) {
      rc = cli_fail(&err);
    }
  }
  if (!rc) {
    print_sweep(p.ds, sw, seconds() - t0);
    harm_analysis_pack pack;
    memset(&pack, 0, sizeof pack);
    pack.command = cmd;
    pack.dataset = p.ds;
    pack.sweep = sw;
    static const harm_analysis_table tables[] = {HARM_TABLE_SWEEP};
    rc = cli_analysis_write(&o, cmd, &p, &pack, tables, 1, excl);
  }
  harm_analysis_sweep_free(sw);
  free(base);
  cli_pipeline_free(&p);
  harm_list_free(excl);
  cli_opts_free(&o);
  return rc;
}
