/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cmd_score.c: `harmrank score`: rank offenders by harm and
 * write scores.csv. */
#include <stdlib.h>
#include <string.h>

#include "cli_internal.h"

/* Folder part of a path plus "/name" (or just name for bare files). */
static void beside(char *buf, size_t cap, const char *path, const char *name) {
  const char *slash = strrchr(path, '/');
  if (!slash) {
    snprintf(buf, cap, "%s", name);
  } else {
    snprintf(buf, cap, "%.*s/%s", (int)(slash - path), path, name);
  }
}

int cli_cmd_score(int argc, char **argv) {
  cli_opts o;
  int rc = cli_start("score", argc, argv, &o, false);
  if (rc >= 0) {
    cli_opts_free(&o);
    return rc;
  }
  rc = 0;
  const char *output = o.output ? o.output : "-";
  char rejects[4096];
  if (o.rejects) {
    snprintf(rejects, sizeof rejects, "%s", o.rejects);
  } else {
    beside(rejects, sizeof rejects, strcmp(output, "-") ? output : "x",
           "rejects.csv");
  }
  cli_pipeline p;
  memset(&p, 0, sizeof p);
  const char *outs[2] = {output, rejects};
  rc = cli_check_paths("score", &o, outs, 2, false);
  /* scores.csv lists the first `top` ranks: the run ranks no further. */
  size_t top = harm_config_output_top(o.cfg);
  if (!rc) {
    rc = cli_pipeline_run_top(&o, rejects, top, &p);
  }
  harm_outfile *out = NULL;
  harm_error err = HARM_ERROR_INIT;
  if (!rc && harm_outfile_open(output, o.file_mode, &out, &err) != HARM_OK) {
    rc = cli_fail(&err);
  }
  if (!rc) {
    harm_status st = p.people
                         ? harm_report_people_scores(harm_outfile_stream(out),
                                                     p.people, top, &err)
                         : harm_report_scores(harm_outfile_stream(out), p.run,
                                              cli_top_places(&p), top, &err);
    if (st != HARM_OK) {
      rc = cli_fail(&err);
    }
  }
  if (!rc) {
    rc = cli_pipeline_commit(&p);
  }
  if (!rc) {
    if (harm_outfile_commit(out, &err) != HARM_OK) {
      rc = cli_fail(&err);
    }
    out = NULL;
  }
  harm_outfile_abort(out);
  cli_pipeline_free(&p);
  cli_opts_free(&o);
  return rc;
}
