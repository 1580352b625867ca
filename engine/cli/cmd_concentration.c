/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cmd_concentration.c: `harmrank concentration`: how
 * concentrated harm is among the scored subjects (Lorenz curve, Gini,
 * harm by decile, the power-few table), for the whole force and, with
 * `--by area`, per area. With `--group-by area` the subjects are areas
 * themselves (harm spots). */
#include <stdlib.h>
#include <string.h>

#include "cli_analysis.h"

enum { MAX_GROUPS = 1024 };

static void print_group(const char *name,
                        const harm_analysis_concentration *c) {
  const harm_power_few *pf = harm_analysis_concentration_power_few(c);
  char e[256];
  printf("%s: %zu subjects, %.4f days of harm, Gini %.4f\n",
         cli_esc(name, e, sizeof e), pf->n, pf->total,
         harm_analysis_concentration_gini(c));
  for (size_t t = 0; t < HARM_POWER_FEW_N_TOP; t++) {
    printf("  top %4.0f%% of subjects (%6zu) cause %6.2f%% of harm\n",
           pf->top_fraction[t] * 100, pf->top_count[t], pf->top_share[t] * 100);
  }
  for (size_t h = 0; h < HARM_POWER_FEW_N_HARM; h++) {
    printf("  %3.0f%% of harm is caused by %6zu subjects (%6.2f%%)\n",
           pf->harm_fraction[h] * 100, pf->harm_count[h],
           pf->harm_offender_share[h] * 100);
  }
  printf("  harm by decile (most harmful first):");
  for (size_t d = 1; d <= 10; d++) {
    printf(" %.1f%%", harm_analysis_concentration_decile(c, d) * 100);
  }
  printf("\n");
}

/* The groups concentration is measured over: everyone, then each area. */
typedef struct conc_groups {
  harm_analysis_concentration *groups[MAX_GROUPS];
  const char *names[MAX_GROUPS];
  size_t n;
} conc_groups;

/* Refuses a run with no scored subject, or --by area without areas (or
 * with too many). */
static int check_scores(const char *cmd, const cli_opts *o,
                        const cli_pipeline *p, bool by_area) {
  int rc = HARM_EXIT_OK;
  size_t n = harm_scores_count(p->scores);
  const harm_dataset *ds = p->ds;
  if (n == 0) {
    fprintf(stderr,
            "harmrank: %s: no subject has a scored offence in the "
            "window\n",
            cmd);
    rc = HARM_EXIT_DATA;
  } else if (by_area && harm_dataset_n_areas(ds) == 0) {
    fprintf(stderr, "harmrank: %s: --by area needs an area column in %s\n", cmd,
            o->offences);
    rc = HARM_EXIT_USAGE;
  } else if (by_area && harm_dataset_n_areas(ds) + 2 > MAX_GROUPS) {
    fprintf(stderr, "harmrank: %s: more than %d areas\n", cmd, MAX_GROUPS - 2);
    rc = HARM_EXIT_DATA;
  }
  return rc;
}

/* Adds one group per area (and "(no area)" for subjects whose offences
 * carry none) to gs; harm holds the n scores' harms, tmp room for n. */
static int group_by_area(const cli_pipeline *p, const double *harm, double *tmp,
                         size_t n, conc_groups *gs) {
  int rc = HARM_EXIT_OK;
  harm_error err = HARM_ERROR_INIT;
  /* Group -1 collects subjects whose offences carry no area. */
  const harm_dataset *ds = p->ds;
  size_t n_areas = harm_dataset_n_areas(ds);
  for (long a = 0; !rc && a <= (long)n_areas; a++) {
    int32_t want = a == (long)n_areas ? -1 : (int32_t)a;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
      if (harm_score_facts(p->scores, harm_scores_at(p->scores, i)).area ==
          want) {
        tmp[k++] = harm[i];
      }
    }
    if (!k) {
      continue;
    }
    gs->names[gs->n] =
        want >= 0 ? harm_dataset_area(ds, (size_t)want) : "(no area)";
    if (harm_analysis_concentration_new(tmp, k, &gs->groups[gs->n], &err) !=
        HARM_OK) {
      rc = cli_fail(&err);
    }
    gs->n++;
  }
  return rc;
}

/* Prints each group and writes the tables, analysis.xlsx and the
 * manifest. */
static int write_groups(cli_opts *o, const char *cmd, cli_pipeline *p,
                        conc_groups *gs) {
  for (size_t g = 0; g < gs->n; g++) {
    print_group(gs->names[g], gs->groups[g]);
  }
  harm_analysis_pack pack;
  memset(&pack, 0, sizeof pack);
  pack.command = cmd;
  pack.dataset = p->ds;
  pack.group_names = gs->names;
  pack.groups = (const harm_analysis_concentration *const *)gs->groups;
  pack.n_groups = gs->n;
  static const harm_analysis_table tables[] = {
      HARM_TABLE_CONCENTRATION, HARM_TABLE_POWER_FEW, HARM_TABLE_LORENZ,
      HARM_TABLE_DECILES};
  return cli_analysis_write(o, cmd, p, &pack, tables,
                            sizeof tables / sizeof *tables, NULL);
}

int cli_cmd_concentration(int argc, char **argv) {
  const char *cmd = "concentration";
  cli_opts o;
  int rc = cli_start(cmd, argc, argv, &o, false);
  if (rc >= 0) {
    cli_opts_free(&o);
    return rc;
  }
  bool by_area = harm_config_by_area(o.cfg);
  char rejects[4096];
  rc = cli_analysis_prepare(&o, cmd, rejects, sizeof rejects);
  cli_pipeline p;
  memset(&p, 0, sizeof p);
  if (!rc) {
    rc = cli_pipeline_run_analysis(&o, rejects, &p);
  }
  size_t n = 0;
  double *harm = NULL, *tmp = NULL;
  conc_groups gs;
  memset(&gs, 0, sizeof gs);
  harm_error err = HARM_ERROR_INIT;
  if (!rc) {
    n = harm_scores_count(p.scores);
    rc = check_scores(cmd, &o, &p, by_area);
  }
  if (!rc) {
    harm = malloc(n * sizeof *harm);
    tmp = malloc(n * sizeof *tmp);
    if (!harm || !tmp) {
      fprintf(stderr, "harmrank: %s: out of memory\n", cmd);
      rc = HARM_EXIT_INTERNAL;
    }
  }
  if (!rc) {
    for (size_t i = 0; i < n; i++) {
      harm[i] = harm_scores_at(p.scores, i)->harm;
    }
    gs.names[gs.n] = "all";
    if (harm_analysis_concentration_new(harm, n, &gs.groups[gs.n], &err) !=
        HARM_OK) {
      rc = cli_fail(&err);
    }
    gs.n++;
  }
  if (!rc && by_area) {
    rc = group_by_area(&p, harm, tmp, n, &gs);
  }
  if (!rc) {
    rc = write_groups(&o, cmd, &p, &gs);
  }
  for (size_t g = 0; g < gs.n; g++) {
    harm_analysis_concentration_free(gs.groups[g]);
  }
  free(harm);
  free(tmp);
  cli_pipeline_free(&p);
  cli_opts_free(&o);
  return rc;
}
