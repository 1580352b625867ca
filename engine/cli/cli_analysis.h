/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cli_analysis.h: what the analysis subcommands (compare,
 * concentration, sweep) share: number flags, the output folder and
 * writing their tables, analysis.xlsx and manifest.json atomically. */
#ifndef HARMRANK_CLI_ANALYSIS_H
#define HARMRANK_CLI_ANALYSIS_H

#include "cli_internal.h"

/* Parses flag's value v as a whole number >= min into *out (unchanged when
 * v is NULL). Prints a usage error and returns HARM_EXIT_USAGE when bad. */
int cli_analysis_size(const char *cmd, const char *flag, const char *v,
                      size_t min, size_t *out);

/* As cli_analysis_size for a finite real number in [lo, hi). */
int cli_analysis_real(const char *cmd, const char *flag, const char *v,
                      double lo, double hi, double *out);

/* Creates --out (when given) and chooses the rejects path: --rejects,
 * else DIR/rejects.csv, else rejects.csv in the current folder (as
 * `score` does). Returns an exit code. */
int cli_analysis_prepare(const cli_opts *o, const char *cmd, char *rejects,
                         size_t cap);

/* Writes the tables, analysis.xlsx and manifest.json into o->out_dir
 * (all to temporary files, renamed only when every one was written) and
 * commits the rejects file. Without --out only the rejects file is
 * committed. `weights` lists every weights file used (for the manifest).
 * Returns an exit code. */
int cli_analysis_write(const cli_opts *o, const char *cmd, cli_pipeline *p,
                       const harm_analysis_pack *pack,
                       const harm_analysis_table *tables, size_t n_tables,
                       const harm_list *exclusions);

#endif /* HARMRANK_CLI_ANALYSIS_H */
