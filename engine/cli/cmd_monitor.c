/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cmd_monitor.c: `harmrank monitor`: selection rates by group
 * for a past run, from a groups file scoring never reads. Writes
 * monitor.csv and manifest.json into --out. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_internal.h"

enum { OUT_CSV, OUT_MANIFEST, N_OUT };
static const char *const out_names[N_OUT] = {"monitor.csv", "manifest.json"};

/* The monitor options from the configuration and the pseudonym key. */
static harm_monitor_opts monitor_opts(const cli_opts *o) {
  harm_monitor_opts mo = HARM_MONITOR_OPTS_INIT;
  mo.run = harm_config_path(o->cfg, "monitor", "run");
  mo.groups = harm_config_path(o->cfg, "monitor", "groups");
  mo.by = harm_config_get(o->cfg, "monitor", "by");
  mo.reference = harm_config_path(o->cfg, "monitor", "reference");
  mo.pseudonym_key = o->key_len ? o->key : NULL;
  mo.pseudonym_key_len = o->key_len;
  mo.threads =
      (unsigned)strtoul(harm_config_get(o->cfg, "run", "threads"), NULL, 10);
  return mo;
}

/* The notes on stderr and the table of rates by group on stdout. */
static void print_monitoring(const cli_opts *o, const harm_monitoring *m) {
  char e[1024];
  for (size_t i = 0; i < harm_monitoring_n_notes(m); i++) {
    fprintf(stderr, "harmrank: monitor: note: %s\n",
            cli_esc(harm_monitoring_note(m, i), e, sizeof e));
  }
  printf("%-24s %7s %8s %7s %7s  %s\n", "group", "scored", "selected", "rate",
         "ratio", "95% interval (Katz)");
  for (size_t i = 0; i < harm_monitoring_n_rows(m); i++) {
    const harm_monitor_row *r = harm_monitoring_row(m, i);
    char lo[16] = "-", hi[16] = "-", ra[16] = "-";
    if (!isnan(r->ratio) && !isinf(r->ratio)) {
      snprintf(ra, sizeof ra, "%.2f", r->ratio);
    }
    if (!isnan(r->ratio_low)) {
      snprintf(lo, sizeof lo, "%.2f", r->ratio_low);
      snprintf(hi, sizeof hi, "%.2f", r->ratio_high);
    }
    printf("%-24.24s %7zu %8zu %6.1f%% %7s  [%s, %s] %s\n",
           cli_esc(r->group, e, sizeof e), r->scored, r->selected,
           isnan(r->rate) ? 0.0 : 100.0 * r->rate, ra, lo, hi, r->note);
  }
  printf("outputs in %s: monitor.csv manifest.json\n",
         cli_esc(o->out_dir, e, sizeof e));
}

int cli_cmd_monitor(int argc, char **argv) {
  cli_opts o;
  int rc = cli_start("monitor", argc, argv, &o, false);
  if (rc >= 0) {
    cli_opts_free(&o);
    return rc;
  }
  rc = HARM_EXIT_OK;
  harm_monitor_opts mo = monitor_opts(&o);
  if (!mo.run || !mo.groups || !mo.by || !*mo.by || !o.out_dir) {
    fprintf(stderr, "harmrank: monitor: pass --run OUT_DIR, --groups FILE, "
                    "--by COLUMN and --out DIR\n");
    cli_opts_free(&o);
    return HARM_EXIT_USAGE;
  }
  char paths[N_OUT][4096];
  const char *outs[N_OUT];
  for (int k = 0; k < N_OUT; k++) {
    cli_join(paths[k], sizeof paths[k], o.out_dir, out_names[k]);
    outs[k] = paths[k];
  }
  rc = cli_check_paths("monitor", &o, outs, N_OUT, true);
  if (!rc) {
    rc = cli_make_dirs("monitor", o.out_dir);
  }
  harm_monitoring *m = NULL;
  harm_error err = HARM_ERROR_INIT;
  if (!rc && harm_monitor_new(&mo, &m, &err) != HARM_OK) {
    rc = cli_fail(&err);
  }
  harm_outfile *out[N_OUT] = {NULL};
  if (!rc) {
    rc = cli_oversight_open(&o, paths, out, N_OUT);
  }
  if (!rc && harm_monitor_write_csv(harm_outfile_stream(out[OUT_CSV]), m,
                                    &err) != HARM_OK) {
    rc = cli_fail(&err);
  }
  char man_path[4096];
  cli_join(man_path, sizeof man_path, mo.run, "manifest.json");
  harm_manifest_input inputs[3] = {{"run manifest", man_path, NULL},
                                   {"groups", mo.groups, NULL},
                                   {"reference", mo.reference, NULL}};
  rc = cli_oversight_commit(&o, "monitor", inputs,
                            rc ? 0 : (mo.reference ? 3 : 2), out_names, out,
                            N_OUT, rc);
  if (!rc && !o.quiet) {
    print_monitoring(&o, m);
  }
  harm_monitoring_free(m);
  cli_opts_free(&o);
  return rc;
}
