/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cli_internal.h: what the subcommands share: parsed common
 * options, error rendering and the load-score-rank pipeline. */
#ifndef HARMRANK_CLI_INTERNAL_H
#define HARMRANK_CLI_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include <harmrank.h>

enum { CLI_MAX_WEIGHTS = 16, CLI_MAX_POSITIONAL = 64 };

/* Options common to the subcommands, after the config file and flags. */
typedef struct cli_opts {
  harm_config *cfg;
  const char *offences;
  const char *weights[CLI_MAX_WEIGHTS]; /* compare's tables, or the one
                                          [weights] file */
  size_t n_weights;
  char weights_text[CLI_MAX_WEIGHTS * 512]; /* [compare] weights, split */
  const harm_input_hash *weights_hash[CLI_MAX_WEIGHTS]; /* of weights[i]
                             once loaded (compare fills 1..n-1) */
  const char *output;       /* -o; NULL = command default */
  const char *rejects;      /* --rejects; NULL = beside output */
  const char *out_dir;      /* --out (cohort) */
  const char *referrals;    /* --referrals */
  const char *exclusions;   /* --exclusions */
  const char *previous;     /* --previous */
  const char *pseudonymise; /* --pseudonymise KEYFILE */
  unsigned char key[4096];  /* the key's bytes, when pseudonymising */
  size_t key_len;
  const char *config_files[8]; /* -c files, in order, for manifests */
  size_t n_config_files;
  const char *positional[CLI_MAX_POSITIONAL];
  size_t n_positional;
  bool quiet;
  bool help;
  unsigned file_mode; /* permissions of written files */
} cli_opts;

/* Command bits, for the commands an option belongs to. */
enum {
  CLI_SCORE = 1u << 0,
  CLI_COHORT = 1u << 1,
  CLI_EXPLAIN = 1u << 2,
  CLI_COMPARE = 1u << 3,
  CLI_CONCENTRATION = 1u << 4,
  CLI_SWEEP = 1u << 5,
  /* Oversight (engine/oversight, cmd_evaluate.c ... cmd_transparency.c). */
  CLI_EVALUATE = 1u << 6,
  CLI_VERIFY = 1u << 7,
  CLI_HISTORY = 1u << 8,
  CLI_MONITOR = 1u << 9,
  CLI_TRANSPARENCY = 1u << 10,
  CLI_PLACES = 1u << 11
};

/* A subcommand: name, handler, one-line help, usage text, its bit. */
typedef struct cli_command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
  const char *usage;
  unsigned bit;
} cli_command;

/* Parses the common flags of argv[1..] into *o (after loading -c files).
 * Prints usage problems to stderr. Returns HARM_EXIT_OK or an exit code. */
int cli_parse(int argc, char **argv, const cli_command *cmd, cli_opts *o);

/* Frees what cli_parse allocated. */
void cli_opts_free(cli_opts *o);

/* Renders an error as "harmrank: stage: file:line: column "c": message"
 * and returns the exit code for its status. */
int cli_fail(const harm_error *err);

/* Exit code for a status. */
int cli_exit_code(harm_status st);

/* Prints the row accounting line to stderr. */
void cli_print_accounting(const harm_accounting *a);

/* The load-score-rank pipeline shared by score, cohort and explain. */
/* Loads o->pseudonymise into o->key (16 to 4096 bytes). Returns an exit
 * code. */
int cli_load_key(cli_opts *o);

typedef struct cli_pipeline {
  harm_run *run;
  /* Views of the run's first table, borrowed from the run. */
  const harm_weights *weights;
  const harm_dataset *ds;
  const harm_matrix *matrix;
  const harm_scores *scores;
  const harm_ranking *ranking;
  const harm_people *people; /* people mode (--roles, --people), or NULL */
  harm_outfile *rejects;
  size_t n_rejects;
  bool withhold_raw; /* pseudonymised: rejects.csv omits raw records */
  /* Each offender's top places, when the offences have a place column
   * (from the run's own records: the place role is read with the rest). */
  harm_places *places;
  harm_report_column top_places; /* name NULL when there are none */
} cli_pipeline;

/* The top_places column for the list writers, or NULL. */
static inline const harm_report_column *cli_top_places(const cli_pipeline *p) {
  return p->top_places.name ? &p->top_places : NULL;
}

/* Loads weights (o->weights[0] or [weights] file), ingests the offences
 * (rejects to `rejects_path`, always written), aggregates, scores and
 * ranks, printing warnings and the accounting line to stderr.
 * Returns an exit code; on failure nothing is left half-written. */
int cli_pipeline_run(const cli_opts *o, const char *rejects_path,
                     cli_pipeline *p);

/* As cli_pipeline_run for `score`, which lists the first `top` ranks
 * only (0 = every one): the run ranks no further (harm_run_opts
 * rank_top). */
int cli_pipeline_run_top(const cli_opts *o, const char *rejects_path,
                         size_t top, cli_pipeline *p);

/* As cli_pipeline_run for `explain`: keeps offence ids, writes no
 * rejects file. */
int cli_pipeline_run_explain(const cli_opts *o, cli_pipeline *p);

/* As cli_pipeline_run for `places`: the place and place type roles and
 * the previous period (for persistence) are read with the window, in one
 * read. */
int cli_pipeline_run_places(const cli_opts *o, const char *rejects_path,
                            cli_pipeline *p);

/* As cli_pipeline_run for the analyses (compare, concentration, sweep),
 * which list no offenders: no top_places, so the place column is not read
 * and the records are freed once aggregated. */
int cli_pipeline_run_analysis(const cli_opts *o, const char *rejects_path,
                              cli_pipeline *p);

/* Commits the rejects file. Returns an exit code. */
int cli_pipeline_commit(cli_pipeline *p);

/* Frees everything (aborting an uncommitted rejects file). */
void cli_pipeline_free(cli_pipeline *p);

/* Subcommand handlers. */
int cli_cmd_score(int argc, char **argv);
int cli_cmd_cohort(int argc, char **argv);
int cli_cmd_explain(int argc, char **argv);
int cli_cmd_compare(int argc, char **argv);
int cli_cmd_concentration(int argc, char **argv);
int cli_cmd_sweep(int argc, char **argv);
int cli_cmd_evaluate(int argc, char **argv);
int cli_cmd_verify(int argc, char **argv);
int cli_cmd_history(int argc, char **argv);
int cli_cmd_monitor(int argc, char **argv);
int cli_cmd_transparency(int argc, char **argv);

/* Splits a configured list of files ("a, b, c") into out[0..cap) pointing
 * into buf (which receives a copy). Returns how many, or cap + 1 when
 * there are more. */
size_t cli_split_list(const char *list, char *buf, size_t buf_cap,
                      const char **out, size_t cap);

/* Opens the outputs paths[0..n) as temporary files (out[k]; those opened
 * before a failure are left for cli_oversight_commit to abort). Returns an
 * exit code. */
int cli_oversight_open(const cli_opts *o, char (*paths)[4096],
                       harm_outfile **out, size_t n);

/* Writes a manifest.json for an oversight command into `man_out` after
 * hashing the other outputs (their temporary files), then commits every
 * output in order (the manifest last). Returns an exit code. */
int cli_oversight_commit(const cli_opts *o, const char *cmd,
                         const harm_manifest_input *inputs, size_t n_inputs,
                         const char *const *names, harm_outfile **out,
                         size_t n_out, int rc);
int cli_cmd_places(int argc, char **argv);

/* Looks a command up by name; prints its help. */
const cli_command *cli_find_command(const char *name);
void cli_print_help(const cli_command *cmd);

/* Parses options and handles --help / stray arguments for a command.
 * Returns -1 to continue, or an exit code to return. */
int cli_start(const char *name, int argc, char **argv, cli_opts *o,
              bool positional_ok);

/* Writes `name` as "dir/name" into buf. */
void cli_join(char *buf, size_t cap, const char *dir, const char *name);

/* Creates `dir` and any missing parent folders (like mkdir -p), mode
 * 0700. Prints the failure for command `cmd`. Returns an exit code. */
int cli_make_dirs(const char *cmd, const char *dir);
/* Text from data (ids, codes, areas, agencies, reasons, file names)
 * made safe for a terminal: control bytes, invalid UTF-8 and C1 controls
 * become \xHH, a backslash becomes \\; cut with "..." to fit cap. Every
 * value the CLI prints from data goes through it. Returns buf. */
const char *cli_esc(const char *s, char *buf, size_t cap);
const char *cli_esc_n(const char *s, size_t len, char *buf, size_t cap);

/* Before any file is read: refuses (exit 2, message on stderr) an output
 * that is one of the run's inputs or another output (same device and
 * inode, or the same resolved path when it does not exist yet). With
 * `set` (an output folder with a manifest) every existing output must be
 * a regular file. */
int cli_check_paths(const char *cmd, const cli_opts *o, const char *const *outs,
                    size_t n_out, bool set);

/* Fills the manifest's input list (offences, weights, aliases, lists,
 * config files), each with the SHA-256 its reader took. Returns the
 * count. */
size_t cli_manifest_inputs(const cli_opts *o, const cli_pipeline *p,
                           const harm_list *refs, const harm_list *excl,
                           const harm_list *prev, harm_manifest_input *in,
                           size_t cap);

#endif /* HARMRANK_CLI_INTERNAL_H */
