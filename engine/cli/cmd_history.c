/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cmd_history.c: `harmrank history RUN_DIR... [ID...] --out
 * DIR`: people across monthly runs. An argument that is a folder holding
 * a manifest.json is a run; any other argument is a person's id. Writes
 * history.csv, history.xlsx and manifest.json. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_internal.h"

enum { OUT_CSV, OUT_XLSX, OUT_MANIFEST, N_OUT };
static const char *const out_names[N_OUT] = {"history.csv", "history.xlsx",
                                             "manifest.json"};

/* Sorts the positional arguments: a folder holding a manifest.json is a
 * run (its manifest's path kept in manifests), anything else an id. */
static void split_args(const cli_opts *o, const char **runs, size_t *n_runs,
                       char (*manifests)[4096], const char **ids,
                       size_t *n_ids) {
  for (size_t i = 0; i < o->n_positional; i++) {
    char path[4096];
    struct stat sb;
    cli_join(path, sizeof path, o->positional[i], "manifest.json");
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
      snprintf(manifests[*n_runs], sizeof manifests[*n_runs], "%s", path);
      runs[(*n_runs)++] = o->positional[i];
    } else {
      ids[(*n_ids)++] = o->positional[i];
    }
  }
}

/* Writes history.csv and history.xlsx. */
static int write_outputs(const cli_opts *o, const harm_history *h,
                         harm_outfile **out) {
  harm_error err = HARM_ERROR_INIT;
  harm_status st =
      harm_history_write_csv(harm_outfile_stream(out[OUT_CSV]), h, &err);
  if (st == HARM_OK) {
    st = harm_history_write_xlsx(harm_outfile_temp_path(out[OUT_XLSX]), h,
                                 o->cfg, &err);
  }
  return st != HARM_OK ? cli_fail(&err) : HARM_EXIT_OK;
}

/* Warns of ids no run lists and counts the rows by status. */
static void print_summary(const cli_opts *o, const harm_history *h) {
  char e[512];
  for (size_t i = 0; i < harm_history_n_unknown(h); i++) {
    fprintf(stderr, "harmrank: history: warning: no run lists \"%s\"\n",
            cli_esc(harm_history_unknown(h, i), e, sizeof e));
  }
  size_t counts[4] = {0, 0, 0, 0};
  static const char *const words[4] = {"new", "retained", "exited",
                                       "not listed"};
  for (size_t i = 0; i < harm_history_n_rows(h); i++) {
    for (int k = 0; k < 4; k++) {
      counts[k] += strcmp(harm_history_row_at(h, i)->status, words[k]) == 0;
    }
  }
  printf("%zu runs, %zu rows: %zu new, %zu retained, %zu exited, %zu not "
         "listed; outputs in %s: history.csv history.xlsx manifest.json\n",
         harm_history_n_runs(h), harm_history_n_rows(h), counts[0], counts[1],
         counts[2], counts[3], cli_esc(o->out_dir, e, sizeof e));
}

int cli_cmd_history(int argc, char **argv) {
  cli_opts o;
  int rc = cli_start("history", argc, argv, &o, true);
  if (rc >= 0) {
    cli_opts_free(&o);
    return rc;
  }
  rc = HARM_EXIT_OK;
  const char *runs[CLI_MAX_POSITIONAL], *ids[CLI_MAX_POSITIONAL];
  size_t n_runs = 0, n_ids = 0;
  /* Each run's manifest path (64 x 4 KiB: on the heap, not the stack). */
  char(*manifests)[4096] = calloc(CLI_MAX_POSITIONAL, sizeof *manifests);
  if (!manifests) {
    fprintf(stderr, "harmrank: history: out of memory\n");
    cli_opts_free(&o);
    return HARM_EXIT_INTERNAL;
  }
  split_args(&o, runs, &n_runs, manifests, ids, &n_ids);
  if (!n_runs) {
    fprintf(stderr, "harmrank: history: no run folder (a folder with a "
                    "manifest.json): pass RUN_DIR...\n");
    rc = HARM_EXIT_USAGE;
  } else if (!o.out_dir) {
    fprintf(stderr, "harmrank: history: no output folder: pass --out DIR\n");
    rc = HARM_EXIT_USAGE;
  }
  char paths[N_OUT][4096];
  const char *outs[N_OUT];
  for (int k = 0; !rc && k < N_OUT; k++) {
    cli_join(paths[k], sizeof paths[k], o.out_dir, out_names[k]);
    outs[k] = paths[k];
  }
  if (!rc) {
    rc = cli_check_paths("history", &o, outs, N_OUT, true);
  }
  if (!rc) {
    rc = cli_make_dirs("history", o.out_dir);
  }
  harm_history *h = NULL;
  harm_error err = HARM_ERROR_INIT;
  if (!rc && harm_history_new(runs, n_runs, ids, n_ids, &h, &err) != HARM_OK) {
    rc = cli_fail(&err);
  }
  harm_outfile *out[N_OUT] = {NULL};
  if (!rc) {
    rc = cli_oversight_open(&o, paths, out, N_OUT);
  }
  if (!rc) {
    rc = write_outputs(&o, h, out);
  }
  harm_manifest_input inputs[CLI_MAX_POSITIONAL];
  for (size_t i = 0; i < n_runs; i++) {
    inputs[i] = (harm_manifest_input){"run manifest", manifests[i], NULL};
  }
  rc = cli_oversight_commit(&o, "history", inputs, rc ? 0 : n_runs, out_names,
                            out, N_OUT, rc);
  if (!rc && !o.quiet) {
    print_summary(&o, h);
  }
  harm_history_free(h);
  free(manifests);
  cli_opts_free(&o);
  return rc;
}
