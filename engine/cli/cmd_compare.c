/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cmd_compare.c: `harmrank compare`: scores the same offenders
 * under two or more weight tables (the matrix is built once, with the
 * first table's aliases and proactive flags, and every table is scored
 * from it) and, for each pair, reports Spearman and Kendall rank
 * correlation, the overlap of their top K and who enters and leaves it. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli_analysis.h"

enum { MAX_PAIRS = CLI_MAX_WEIGHTS * (CLI_MAX_WEIGHTS - 1) / 2 };

static void print_pair(const char *la, const char *lb,
                       const harm_analysis_comparison *c,
                       const harm_dataset *ds) {
  harm_rank_correlation rc = harm_analysis_comparison_correlation(c);
  char ea[512], eb[512];
  printf("A = %s\nB = %s\n", cli_esc(la, ea, sizeof ea),
         cli_esc(lb, eb, sizeof eb));
  printf("  %zu subjects: Spearman %.4f, Kendall tau-b %.4f\n", rc.n,
         rc.spearman, rc.kendall);
  printf("  top %zu: %zu in both, Jaccard %.4f\n",
         harm_analysis_comparison_k(c), harm_analysis_comparison_common(c),
         harm_analysis_comparison_jaccard(c));
  printf("  %-8s %-14s %7s %7s %7s %12s %12s\n", "status", "offender", "rank A",
         "rank B", "move", "harm A", "harm B");
  for (size_t i = 0; i < harm_analysis_comparison_n_moves(c); i++) {
    const harm_topk_move *m = harm_analysis_comparison_move(c, i);
    printf(
        "  %-8s %-14s %7zu %7zu %+7ld %12.4f %12.4f\n",
        m->status == HARM_TOPK_STAYED    ? "stayed"
        : m->status == HARM_TOPK_ENTERED ? "entered"
                                         : "left",
        cli_esc(harm_dataset_subject_id(ds, m->subject, NULL), ea, sizeof ea),
        m->rank_a, m->rank_b, m->rank_change, m->harm_a, m->harm_b);
  }
}

int cli_cmd_compare(int argc, char **argv) {
  const char *cmd = "compare";
  cli_opts o;
  int rc = cli_start(cmd, argc, argv, &o, false);
  if (rc >= 0) {
    cli_opts_free(&o);
    return rc;
  }
  rc = HARM_EXIT_OK;
  if (o.n_weights < 2) {
    fprintf(stderr, "harmrank: %s: pass at least two --weights tables\n", cmd);
    cli_opts_free(&o);
    return HARM_EXIT_USAGE;
  }
  size_t k = harm_config_top_k(o.cfg);
  char rejects[4096];
  rc = cli_analysis_prepare(&o, cmd, rejects, sizeof rejects);
  cli_pipeline p;
  memset(&p, 0, sizeof p);
  if (!rc) {
    rc = cli_pipeline_run_analysis(&o, rejects, &p);
  }
  const harm_ranking *r[CLI_MAX_WEIGHTS] = {NULL};
  harm_analysis_comparison *cmp[MAX_PAIRS] = {NULL};
  const char *la[MAX_PAIRS], *lb[MAX_PAIRS];
  size_t n_cmp = 0;
  harm_error err = HARM_ERROR_INIT;
  /* The run scored every table from one aggregate. */
  for (size_t i = 0; !rc && i < o.n_weights; i++) {
    r[i] = harm_run_ranking(p.run, i);
    o.weights_hash[i] = harm_weights_input_hash(harm_run_weights(p.run, i));
  }
  if (!rc && harm_scores_count(p.scores) < 2) {
    fprintf(stderr,
            "harmrank: %s: fewer than 2 subjects scored; nothing to "
            "compare\n",
            cmd);
    rc = HARM_EXIT_DATA;
  }
  for (size_t i = 0; !rc && i < o.n_weights; i++) {
    for (size_t j = i + 1; !rc && j < o.n_weights; j++) {
      la[n_cmp] = o.weights[i];
      lb[n_cmp] = o.weights[j];
      if (harm_analysis_comparison_new(r[i], r[j], k, &cmp[n_cmp], &err) !=
          HARM_OK) {
        rc = cli_fail(&err);
        break;
      }
      n_cmp++;
    }
  }
  if (!rc) {
    for (size_t i = 0; i < n_cmp; i++) {
      print_pair(la[i], lb[i], cmp[i], p.ds);
    }
    harm_analysis_pack pack;
    memset(&pack, 0, sizeof pack);
    pack.command = cmd;
    pack.dataset = p.ds;
    pack.labels_a = la;
    pack.labels_b = lb;
    pack.comparisons = (const harm_analysis_comparison *const *)cmp;
    pack.n_comparisons = n_cmp;
    static const harm_analysis_table tables[] = {HARM_TABLE_COMPARE,
                                                 HARM_TABLE_COMPARE_TOPK};
    rc = cli_analysis_write(&o, cmd, &p, &pack, tables, 2, NULL);
  }
  for (size_t i = 0; i < n_cmp; i++) {
    harm_analysis_comparison_free(cmp[i]);
  }
  cli_pipeline_free(&p);
  cli_opts_free(&o);
  return rc;
}
