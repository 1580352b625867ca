/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cli_analysis.c: helpers shared by `compare`,
 * `concentration` and `sweep`: number flags, the output folder, and
 * writing every output atomically (temporary files renamed only when all
 * were written). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "cli_analysis.h"

int cli_analysis_size(const char *cmd, const char *flag, const char *v,
                      size_t min, size_t *out) {
  if (!v) {
    return HARM_EXIT_OK;
  }
  char *end = NULL;
  errno = 0;
  unsigned long long n = strtoull(v, &end, 10);
  if (!*v || *end || errno || v[0] == '-' || n < min) {
    fprintf(stderr,
            "harmrank: %s: %s wants a whole number >= %zu, not \"%s\"\n", cmd,
            flag, min, v);
    return HARM_EXIT_USAGE;
  }
  *out = (size_t)n;
  return HARM_EXIT_OK;
}

int cli_analysis_real(const char *cmd, const char *flag, const char *v,
                      double lo, double hi, double *out) {
  if (!v) {
    return HARM_EXIT_OK;
  }
  char *end = NULL;
  errno = 0;
  double d = strtod(v, &end);
  if (!*v || *end || errno || !isfinite(d) || d < lo || d >= hi) {
    fprintf(stderr, "harmrank: %s: %s wants a number in [%g, %g), not \"%s\"\n",
            cmd, flag, lo, hi, v);
    return HARM_EXIT_USAGE;
  }
  *out = d;
  return HARM_EXIT_OK;
}

int cli_analysis_prepare(const cli_opts *o, const char *cmd, char *rejects,
                         size_t cap) {
  if (o->out_dir) {
    int rc = cli_make_dirs(cmd, o->out_dir);
    if (rc) {
      return rc;
    }
  }
  if (o->rejects) {
    snprintf(rejects, cap, "%s", o->rejects);
  } else if (o->out_dir) {
    cli_join(rejects, cap, o->out_dir, "rejects.csv");
  } else {
    snprintf(rejects, cap, "rejects.csv");
  }
  /* Every name an analysis command may write into --out (a little more
   * than one command writes, which only makes the check stricter). */
  enum { N_TABLES = HARM_TABLE_SWEEP + 1 };
  char paths[N_TABLES + 2][4096];
  const char *outs[N_TABLES + 3];
  size_t n = 0;
  outs[n++] = rejects;
  for (int t = 0; o->out_dir && t < N_TABLES + 2; t++) {
    cli_join(paths[t], sizeof paths[t], o->out_dir,
             t == N_TABLES ? "analysis.xlsx"
             : t == N_TABLES + 1
                 ? "manifest.json"
                 : harm_report_analysis_table_name((harm_analysis_table)t));
    outs[n++] = paths[t];
  }
  return cli_check_paths(cmd, o, outs, n, o->out_dir != NULL);
}

int cli_analysis_write(const cli_opts *o, const char *cmd, cli_pipeline *p,
                       const harm_analysis_pack *pack,
                       const harm_analysis_table *tables, size_t n_tables,
                       const harm_list *exclusions) {
  if (!o->out_dir) {
    return cli_pipeline_commit(p);
  }
  harm_manifest_input inputs[CLI_MAX_WEIGHTS + 16];
  size_t n_in = cli_manifest_inputs(o, p, NULL, exclusions, NULL, inputs,
                                    sizeof inputs / sizeof *inputs);
  harm_manifest man = {.command = cmd,
                       .inputs = inputs,
                       .n_inputs = n_in,
                       .config = o->cfg,
                       .weights = p->weights,
                       .run = p->run,
                       .scores = p->scores,
                       .pseudonymised = o->key_len > 0};
  harm_analysis_pack pk = *pack;
  pk.manifest = &man;
  harm_error err = HARM_ERROR_INIT;
  harm_outset *set = NULL;
  harm_status st = harm_outset_new(o->out_dir, o->file_mode, &set, &err);
  for (size_t t = 0; st == HARM_OK && t < n_tables; t++) {
    harm_outfile *f;
    st = harm_outset_add(set, harm_report_analysis_table_name(tables[t]), &f,
                         &err);
    if (st == HARM_OK) {
      st = harm_report_analysis_csv(harm_outfile_stream(f), &pk, tables[t],
                                    &err);
    }
  }
  harm_outfile *xlsx = NULL;
  if (st == HARM_OK) {
    st = harm_outset_add(set, "analysis.xlsx", &xlsx, &err);
  }
  if (st == HARM_OK) {
    st = harm_report_analysis_xlsx(harm_outfile_temp_path(xlsx), &pk, &err);
  }
  if (st == HARM_OK) {
    st = harm_outset_adopt(set, "rejects.csv", p->rejects, &err);
    p->rejects = NULL;
  }
  if (st == HARM_OK) {
    st = harm_outset_commit(set, &man, &err);
  }
  int rc = st == HARM_OK ? HARM_EXIT_OK : cli_fail(&err);
  if (!rc && !o->quiet) {
    fprintf(stderr, "outputs in %s:", o->out_dir);
    for (size_t k = 0; k < harm_outset_count(set); k++) {
      fprintf(stderr, " %s", harm_outset_name(set, k));
    }
    fputc('\n', stderr);
  }
  harm_outset_free(set);
  return rc;
}
