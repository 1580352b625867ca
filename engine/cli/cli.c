/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cli.c: the subcommand table, common flag parsing, error
 * rendering and exit codes. The only code that reads argv or prints. */
#define _POSIX_C_SOURCE 200809L
#include <gsl/gsl_errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>

#include "cli_internal.h"

static const cli_command commands[] = {
    {"score", cli_cmd_score, "rank offenders by harm and write scores.csv",
     "harmrank score [-c run.ini] --offences FILE --weights FILE\n"
     "               [--as-of YYYY-MM-DD] [--lookback-days N] [--top N]\n"
     "               [-o scores.csv] [--rejects rejects.csv] [options]\n",
     CLI_SCORE},
    {"cohort", cli_cmd_cohort,
     "select a cohort (core + referral slots) and write the meeting pack",
     "harmrank cohort -c config/cohorts/perpetrator-panel.ini --offences FILE\n"
     "               [--weights FILE] [--referrals FILE] [--exclusions FILE]\n"
     "               [--previous last-month/cohort.csv] --out DIR [options]\n",
     CLI_COHORT},
    {"explain", cli_cmd_explain,
     "list each offence behind offenders' scores, step by step",
     "harmrank explain --offences FILE --weights FILE [options] ID...\n",
     CLI_EXPLAIN},
    {"compare", cli_cmd_compare,
     "compare weightings: rank correlation, top-K overlap, who moves",
     "harmrank compare --offences FILE --weights A --weights B [...]\n"
     "               [-c cohort.ini] [--top-k K] [--out DIR] [options]\n",
     CLI_COMPARE},
    {"concentration", cli_cmd_concentration,
     "how concentrated harm is: Lorenz curve, Gini, power few",
     "harmrank concentration --offences FILE --weights FILE [--by area]\n"
     "               [--group-by COLUMN] [--out DIR] [options]\n",
     CLI_CONCENTRATION},
    {"sweep", cli_cmd_sweep,
     "how robust the cohort core is to perturbed weights",
     "harmrank sweep -c cohort.ini --offences FILE [--weights FILE]\n"
     "               --perturb P --draws N [--seed S] [--exclusions FILE]\n"
     "               [--out DIR] [options]\n",
     CLI_SWEEP},
    /* Oversight: evidence about past runs (engine/oversight). */
    {"evaluate", cli_cmd_evaluate,
     "did harm fall more than it would have anyway? cohort vs near miss",
     "harmrank evaluate --run PAST_OUT_DIR [--run ...] --offences FILE\n"
     "               [--as-of YYYY-MM-DD] [--comparison-ranks A-B]\n"
     "               [--seed S] --out DIR [options]\n",
     CLI_EVALUATE},
    {"verify", cli_cmd_verify,
     "re-run a past run from its manifest and compare every output's hash",
     "harmrank verify OUT_DIR/manifest.json [--out KEEP_DIR]\n", CLI_VERIFY},
    {"history", cli_cmd_history, "one person, or everyone, across monthly runs",
     "harmrank history RUN_DIR... [ID...] --out DIR\n", CLI_HISTORY},
    {"monitor", cli_cmd_monitor,
     "selection rates by group, from a file never used in scoring",
     "harmrank monitor --run OUT_DIR --groups groups.csv --by COLUMN\n"
     "               [--reference ref.csv] --out DIR [options]\n",
     CLI_MONITOR},
    {"transparency", cli_cmd_transparency,
     "an Algorithmic Transparency Recording Standard record (Markdown, JSON)",
     "harmrank transparency -c config.ini [--weights FILE] --out DIR\n",
     CLI_TRANSPARENCY},
    {"places", cli_cmd_places,
     "rank places by harm: harm spots, their offenders, persistence",
     "harmrank places --offences FILE --weights FILE [--as-of YYYY-MM-DD]\n"
     "               [-c FILE] [--filter place_type=hotel,taxi] --out DIR\n"
     "               [options]\n",
     CLI_PLACES},
};

static const size_t n_commands = sizeof commands / sizeof commands[0];

/* Every option: the flag (and a second spelling), the configuration key
 * it sets (every option can also be set in an INI file; no key for -c,
 * --set, --filter's section and --help), the value of a switch (NULL when
 * the flag takes an argument), the commands it belongs to, a heading for
 * --help, the argument's name and the help text. An option used with a
 * command it does not belong to is a usage error naming its commands. */
typedef struct cli_option {
  const char *flag;
  const char *alt_flag;
  const char *section;
  const char *key;
  const char *fixed;
  unsigned cmds;
  const char *group;
  const char *arg;
  const char *help;
} cli_option;

enum {
  CLI_ALL = CLI_SCORE | CLI_COHORT | CLI_EXPLAIN | CLI_COMPARE |
            CLI_CONCENTRATION | CLI_SWEEP | CLI_PLACES,
  CLI_ANALYSIS = CLI_COMPARE | CLI_CONCENTRATION | CLI_SWEEP,
  CLI_OVERSIGHT =
      CLI_EVALUATE | CLI_VERIFY | CLI_HISTORY | CLI_MONITOR | CLI_TRANSPARENCY
};

static const char G_IN[] = "Input and window", G_SC[] = "Scoring",
                  G_LIST[] = "Cohort lists", G_AN[] = "Analysis",
                  G_OUT[] = "Output", G_OV[] = "Oversight";

static const cli_option options[] = {
    {"--config", "-c", NULL, NULL, NULL,
     CLI_ALL | CLI_EVALUATE | CLI_MONITOR | CLI_TRANSPARENCY, G_IN, "FILE",
     "read settings from an INI file (repeatable; later files and flags "
     "win)"},
    {"--offences", NULL, "input", "offences", NULL, CLI_ALL | CLI_EVALUATE,
     G_IN, "FILE", "offences CSV (\"-\" = standard input)"},
    {"--weights", NULL, "weights", "file", NULL, CLI_ALL | CLI_TRANSPARENCY,
     G_IN, "FILE",
     "harm weights CSV (native or CCHI export); compare takes 2 to 16"},
    {"--aliases", NULL, "weights", "aliases", NULL, CLI_ALL | CLI_TRANSPARENCY,
     G_IN, "FILE", "old_code,new_code alias table"},
    {"--weights-format", NULL, "weights", "format", NULL, CLI_ALL, G_IN,
     "auto|native|cchi", "layout of the weights file"},
    {"--as-of", NULL, "scoring", "as_of", NULL, CLI_ALL, G_IN, "YYYY-MM-DD",
     "window end (latest = the latest offence date)"},
    {"--lookback-days", NULL, "scoring", "lookback_days", NULL, CLI_ALL, G_IN,
     "N", "window length in days (0 = all)"},
    {"--date-format", NULL, "input", "date_format", NULL, CLI_ALL, G_IN,
     "ymd|dmy", "layout of offence_date"},
    {"--group-by", NULL, "input", "group_by", NULL,
     CLI_SCORE | CLI_EXPLAIN | CLI_COMPARE | CLI_CONCENTRATION, G_IN, "COLUMN",
     "score by this column instead of offender_id (area: harm by place)"},
    {"--filter", NULL, "filter", NULL, NULL, CLI_ALL, G_IN, "COLUMN=V1,V2",
     "keep rows whose COLUMN (or role) is one of the values [filter]"},
    {"--categories", NULL, "scoring", "categories", NULL, CLI_ALL, G_IN,
     "C1,C2", "keep offences whose weight category is listed"},
    {"--strict", NULL, "input", "strict", "true", CLI_ALL, G_IN, NULL,
     "the first bad row stops the run (exit 1)"},
    {"--allow-rejects", NULL, "input", "max_reject_share", "1", CLI_ALL, G_IN,
     NULL, "go on when most rows are rejected for one fault"},
    {"--half-life-days", NULL, "scoring", "half_life_days", NULL, CLI_ALL, G_SC,
     "D", "decay: weight x 0.5^(age/D) (0 = off)"},
    {"--cap", NULL, "scoring", "cap", NULL, CLI_ALL, G_SC, "D",
     "cap a single offence's harm at D days (0 = off)"},
    {"--transform", NULL, "scoring", "transform", NULL, CLI_ALL, G_SC,
     "none|sqrt|log1p", "per-offence transform"},
    {"--attribution", NULL, "scoring", "attribution", NULL, CLI_ALL, G_SC,
     "full|split", "split a crime's harm among its distinct offenders"},
    {"--include-proactive", NULL, "scoring", "exclude_proactive", "false",
     CLI_ALL, G_SC, NULL, "keep proactive (police-generated) codes"},
    {"--strict-codes", NULL, "scoring", "strict_codes", "true", CLI_ALL, G_SC,
     NULL, "an offence code missing from the weights is an error"},
    {"--roles", NULL, "scoring", "roles", NULL,
     CLI_SCORE | CLI_COHORT | CLI_EXPLAIN, G_SC, "offender|victim|both",
     "score people as offenders, victims or both (victim_id holds person "
     "ids)"},
    {"--people", NULL, "people", "file", NULL,
     CLI_SCORE | CLI_COHORT | CLI_EXPLAIN, G_SC, "FILE",
     "person_id,date_of_birth[,same_as]: ages and merged records"},
    {"--set", NULL, NULL, NULL, NULL,
     CLI_ALL | CLI_EVALUATE | CLI_MONITOR | CLI_TRANSPARENCY, G_SC,
     "SECTION.KEY=VALUE", "set any configuration key"},
    {"--referrals", NULL, "cohort", "referrals", NULL, CLI_COHORT, G_LIST,
     "FILE", "offender_id,agency,referred_on,reason[,priority]"},
    {"--exclusions", NULL, "cohort", "exclusions", NULL, CLI_COHORT | CLI_SWEEP,
     G_LIST, "FILE", "offender_id,reason"},
    {"--previous", NULL, "cohort", "previous", NULL, CLI_COHORT, G_LIST, "FILE",
     "last month's cohort.csv (for movers and tenure)"},
    {"--top-k", NULL, "compare", "top_k", NULL, CLI_COMPARE, G_AN, "K",
     "size of the top lists compared (empty = [cohort] size)"},
    {"--by", NULL, "concentration", "by", NULL, CLI_CONCENTRATION, G_AN,
     "none|area", "also per area (each subject's latest offence)"},
    {"--perturb", NULL, "sweep", "perturb", NULL, CLI_SWEEP, G_AN, "P",
     "weights x U[1-P, 1+P], 0 <= P < 1"},
    {"--draws", NULL, "sweep", "draws", NULL, CLI_SWEEP, G_AN, "N",
     "perturbed draws, 1 to 1000000"},
    {"--seed", NULL, "sweep", "seed", NULL, CLI_SWEEP, G_AN, "S",
     "random seed"},
    {"--place-column", NULL, "columns", "place", NULL, CLI_PLACES, G_IN,
     "COLUMN", "the place column (premises, street segment, area)"},
    {"--place-type-column", NULL, "columns", "place_type", NULL, CLI_PLACES,
     G_IN, "COLUMN", "the place type column (hotel, pub, taxi, ...)"},
    {"--pseudonymise-places", NULL, "output", "pseudonymise_places", "true",
     CLI_PLACES, G_OUT, NULL,
     "also pseudonymise place ids (addresses); needs --pseudonymise"},
    {"--output", "-o", "output", "file", NULL, CLI_SCORE, G_OUT, "FILE",
     "scores file (\"-\" = standard output)"},
    {"--out", NULL, "output", "dir", NULL,
     CLI_COHORT | CLI_ANALYSIS | CLI_OVERSIGHT | CLI_PLACES, G_OUT, "DIR",
     "folder for the outputs (created with its parents)"},
    {"--rejects", NULL, "output", "rejects", NULL,
     CLI_SCORE | CLI_ANALYSIS | CLI_PLACES, G_OUT, "FILE",
     "rejected rows (default: rejects.csv beside the output)"},
    {"--top", NULL, "output", "top", NULL, CLI_SCORE | CLI_PLACES, G_OUT, "N",
     "write only the top N rows (0 = all)"},
    {"--top-per-area", NULL, "output", "top_per_area", NULL, CLI_PLACES, G_OUT,
     "N",
     "places: also list the top N places of each area in "
     "places_by_area.csv (0 = no list)"},
    {"--pseudonymise", "--pseudonymize", "privacy", "pseudonymise", NULL,
     CLI_SCORE | CLI_COHORT | CLI_EXPLAIN | CLI_EVALUATE | CLI_MONITOR |
         CLI_PLACES,
     G_OUT, "KEYFILE",
     "replace person ids (offenders; victims too with --roles) in every "
     "output by a keyed hash (HMAC-SHA-256)"},
    {"--threads", NULL, "run", "threads", NULL,
     CLI_ALL | CLI_EVALUATE | CLI_MONITOR, G_OUT, "N",
     "worker threads (0 = all cores)"},
    {"--quiet", "-q", "output", "quiet", "true", CLI_ALL | CLI_OVERSIGHT, G_OUT,
     NULL, "no summary on standard error"},
    {"--help", "-h", NULL, NULL, "true", CLI_ALL | CLI_OVERSIGHT, G_OUT, NULL,
     "this help"},
    /* Oversight. A flag that another command also has (--run, --as-of,
     * --seed, --draws, --by) is a row of its own here: the row of the
     * command being run wins. */
    {"--run", NULL, "evaluate", "runs", NULL, CLI_EVALUATE, G_OV, "DIR",
     "a past cohort output folder (repeatable: months are pooled)"},
    {"--run", NULL, "monitor", "run", NULL, CLI_MONITOR, G_OV, "DIR",
     "the cohort output folder to monitor"},
    {"--as-of", NULL, "evaluate", "as_of", NULL, CLI_EVALUATE, G_OV,
     "YYYY-MM-DD",
     "end of the after window (empty = each run's as_of + its window)"},
    {"--comparison-ranks", NULL, "evaluate", "comparison_ranks", NULL,
     CLI_EVALUATE, G_OV, "A-B",
     "pool ranks of the near-miss group (empty = size+1 to 2 x size)"},
    {"--seed", NULL, "evaluate", "seed", NULL, CLI_EVALUATE, G_OV, "S",
     "bootstrap seed (GSL mt19937)"},
    {"--draws", NULL, "evaluate", "draws", NULL, CLI_EVALUATE, G_OV, "N",
     "bootstrap resamples, 100 to 1000000"},
    {"--groups", NULL, "monitor", "groups", NULL, CLI_MONITOR, G_OV, "FILE",
     "offender_id,<group columns...>: read here only, never by scoring"},
    {"--by", NULL, "monitor", "by", NULL, CLI_MONITOR, G_OV, "COLUMN",
     "the column of --groups to count by"},
    {"--reference", NULL, "monitor", "reference", NULL, CLI_MONITOR, G_OV,
     "FILE", "group,count of a reference population (a second ratio)"},
};

enum { N_OPTIONS = sizeof options / sizeof options[0] };

/* The row of flag `a` for the command with bit `cmd` (a flag two
 * commands spell alike can set different keys), else its first row. */
static const cli_option *find_option(const char *a, unsigned cmd) {
  const cli_option *first = NULL;
  for (size_t k = 0; k < N_OPTIONS; k++) {
    if (strcmp(a, options[k].flag) == 0 ||
        (options[k].alt_flag && strcmp(a, options[k].alt_flag) == 0)) {
      if (options[k].cmds & cmd) {
        return &options[k];
      }
      first = first ? first : &options[k];
    }
  }
  return first;
}

/* "score, cohort" for an option's commands. */
static void command_names(unsigned cmds, char *buf, size_t cap) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n_commands && used < cap; i++) {
    if (cmds & commands[i].bit) {
      int n = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "",
                       commands[i].name);
      used += n > 0 ? (size_t)n : 0;
    }
  }
}

static void print_usage(FILE *fp) {
  fprintf(fp,
          "harmrank %s: offender harm scoring and cohort selection\n\n"
          "usage: harmrank COMMAND [options]\n\ncommands:\n",
          harm_version());
  for (size_t i = 0; i < n_commands; i++) {
    fprintf(fp, "  %-14s %s\n", commands[i].name, commands[i].summary);
  }
  fputs("\nRun 'harmrank COMMAND --help' for a command's options.\n"
        "'harmrank --version' prints the version.\n",
        fp);
}

int cli_exit_code(harm_status st) {
  switch (st) {
  case HARM_OK:
    return HARM_EXIT_OK;
  case HARM_ERR_DATA:
  case HARM_ERR_LIMIT:
    return HARM_EXIT_DATA;
  case HARM_ERR_USAGE:
  case HARM_ERR_CONFIG:
    return HARM_EXIT_USAGE;
  case HARM_ERR_IO:
    return HARM_EXIT_IO;
  case HARM_ERR_NOMEM:
  case HARM_ERR_INTERNAL:
  default:
    return HARM_EXIT_INTERNAL;
  }
}

int cli_fail(const harm_error *err) {
  /* File names, columns and messages can carry bytes from the data (a
   * header name, a code quoted in the message): escaped for the
   * terminal. */
  char e[HARM_ERROR_MESSAGE_MAX * 4];
  fprintf(stderr, "harmrank: %s: ", err->stage[0] ? err->stage : "error");
  if (err->file[0]) {
    fputs(cli_esc(err->file, e, sizeof e), stderr);
    if (err->record) {
      fprintf(stderr, ":%zu", err->record);
    }
    fputs(": ", stderr);
  }
  if (err->column[0]) {
    fprintf(stderr, "column \"%s\": ", cli_esc(err->column, e, sizeof e));
  }
  fprintf(
      stderr, "%s\n",
      cli_esc(err->message[0] ? err->message : harm_status_message(err->status),
              e, sizeof e));
  return cli_exit_code(err->status);
}

/* ASCII case-insensitive equality, as column names are matched. */
static bool ieq(const char *a, const char *b) {
  if (!a || !b) {
    return false;
  }
  for (; *a && *b; a++, b++) {
    char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
    char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
    if (x != y) {
      return false;
    }
  }
  return *a == *b;
}

static int usage_error(const char *cmd, const char *fmt, const char *arg) {
  fprintf(stderr, "harmrank: %s: ", cmd);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nRun 'harmrank %s --help' for the options.\n", cmd);
  return HARM_EXIT_USAGE;
}

static int set_or_fail(harm_config *cfg, const char *section, const char *key,
                       const char *value) {
  harm_error err = HARM_ERROR_INIT;
  if (harm_config_set(cfg, section, key, value, &err) != HARM_OK) {
    return cli_fail(&err);
  }
  return HARM_EXIT_OK;
}

/* --set SECTION.KEY=VALUE and --filter COLUMN=V1,V2. */
static int set_pair(const char *cmd, harm_config *cfg, bool is_set,
                    const char *v) {
  const char *eq = strchr(v, '=');
  const char *dot = is_set ? strchr(v, '.') : v - 1;
  if (!eq || !dot || dot >= eq || eq == v) {
    return usage_error(cmd,
                       is_set ? "--set wants SECTION.KEY=VALUE, not \"%s\""
                              : "--filter wants COLUMN=V1,V2, not \"%s\"",
                       v);
  }
  char section[64] = "filter", key[128];
  size_t sl = (size_t)(dot - v), kl = (size_t)(eq - dot - 1);
  if ((is_set && sl >= sizeof section) || kl >= sizeof key) {
    return usage_error(cmd, "name too long in \"%s\"", v);
  }
  if (is_set) {
    memcpy(section, v, sl);
    section[sl] = '\0';
  }
  memcpy(key, dot + 1, kl);
  key[kl] = '\0';
  return set_or_fail(cfg, section, key, eq + 1);
}

size_t cli_split_list(const char *list, char *buf, size_t buf_cap,
                      const char **out, size_t cap) {
  size_t n = 0;
  if (!list) {
    return 0;
  }
  snprintf(buf, buf_cap, "%s", list);
  char *p = buf;
  while (p) {
    char *comma = strchr(p, ',');
    if (comma) {
      *comma = '\0';
    }
    while (*p == ' ' || *p == '\t') {
      p++;
    }
    size_t len = strlen(p);
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) {
      p[--len] = '\0';
    }
    if (len) {
      if (n == cap) {
        return cap + 1;
      }
      out[n++] = p;
    }
    p = comma ? comma + 1 : NULL;
  }
  return n;
}

/* The weights tables of the run: compare's [compare] weights list (split
 * into o->weights, pointing into o->weights_text), else [weights] file. */
static int split_weights(cli_opts *o, const cli_command *cmd) {
  o->n_weights = 0;
  const char *list = cmd->bit == CLI_COMPARE
                         ? harm_config_path(o->cfg, "compare", "weights")
                         : NULL;
  if (!list) {
    const char *one = harm_config_weights_path(o->cfg);
    if (one) {
      o->weights[o->n_weights++] = one;
    }
    return HARM_EXIT_OK;
  }
  size_t n = cli_split_list(list, o->weights_text, sizeof o->weights_text,
                            o->weights, CLI_MAX_WEIGHTS);
  if (n > CLI_MAX_WEIGHTS) {
    return usage_error(cmd->name, "at most 16 weights tables%s", "");
  }
  o->n_weights = n;
  return HARM_EXIT_OK;
}

/* Loads every -c/--config file, in order, before any flag, so flags
 * override them wherever they appear. */
static int load_configs(int argc, char **argv, const cli_command *cmd,
                        cli_opts *o) {
  harm_error err = HARM_ERROR_INIT;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
      if (i + 1 >= argc) {
        return usage_error(cmd->name, "%s needs a file", argv[i]);
      }
      if (harm_config_load(o->cfg, argv[++i], &err) != HARM_OK) {
        return cli_fail(&err);
      }
      if (o->n_config_files <
          sizeof o->config_files / sizeof *o->config_files) {
        o->config_files[o->n_config_files++] = argv[i];
      }
    }
  }
  return HARM_EXIT_OK;
}

/* The flags that may repeat, each building one list that is set after
 * the other flags. */
typedef struct repeats {
  char weights_list[CLI_MAX_WEIGHTS * 512]; /* --weights (compare) */
  size_t n_weight_flags;
  char runs_list[CLI_MAX_WEIGHTS * 512]; /* --run (evaluate) */
  size_t n_run_flags;
} repeats;

/* Applies option `opt` with its value to the configuration, or adds a
 * repeated flag's value to its list in rep. */
static int apply_option(const cli_command *cmd, cli_opts *o,
                        const cli_option *opt, const char *value,
                        repeats *rep) {
  int rc = HARM_EXIT_OK;
  if (opt == &options[0]) {
    return HARM_EXIT_OK; /* -c: loaded above */
  } else if (strcmp(opt->flag, "--help") == 0) {
    o->help = true;
  } else if (strcmp(opt->flag, "--set") == 0 ||
             strcmp(opt->flag, "--filter") == 0) {
    rc = set_pair(cmd->name, o->cfg, opt->flag[2] == 's', value);
  } else if (strcmp(opt->flag, "--run") == 0 && cmd->bit == CLI_EVALUATE) {
    if (strchr(value, ',')) {
      return usage_error(cmd->name, "no comma in a folder name: %s", value);
    }
    size_t used = strlen(rep->runs_list);
    if (used + strlen(value) + 3 >= sizeof rep->runs_list) {
      return usage_error(cmd->name, "too many --run folders%s", "");
    }
    snprintf(rep->runs_list + used, sizeof rep->runs_list - used, "%s%s",
             rep->n_run_flags++ ? ", " : "", value);
  } else if (strcmp(opt->flag, "--weights") == 0 && cmd->bit == CLI_COMPARE) {
    if (rep->n_weight_flags == CLI_MAX_WEIGHTS || strchr(value, ',')) {
      return usage_error(cmd->name,
                         "at most 16 --weights, and no comma in a file "
                         "name: %s",
                         value);
    }
    size_t used = strlen(rep->weights_list);
    snprintf(rep->weights_list + used, sizeof rep->weights_list - used, "%s%s",
             rep->n_weight_flags++ ? ", " : "", value);
  } else {
    rc = set_or_fail(o->cfg, opt->section, opt->key, value);
  }
  return rc;
}

/* Reads argv: positional arguments into o, every option through
 * apply_option. */
static int parse_args(int argc, char **argv, const cli_command *cmd,
                      cli_opts *o, repeats *rep) {
  bool all_positional = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (all_positional || a[0] != '-' || strcmp(a, "-") == 0 ||
        strcmp(a, "--") == 0) {
      if (!all_positional && strcmp(a, "--") == 0) {
        all_positional = true;
        continue;
      }
      if (o->n_positional == CLI_MAX_POSITIONAL) {
        return usage_error(cmd->name, "too many arguments%s", "");
      }
      o->positional[o->n_positional++] = a;
      continue;
    }
    const cli_option *opt = find_option(a, cmd->bit);
    if (!opt) {
      return usage_error(cmd->name, "unknown option: %s", a);
    }
    if (!(opt->cmds & cmd->bit)) {
      char names[128];
      command_names(opt->cmds, names, sizeof names);
      fprintf(stderr,
              "harmrank: %s: %s is an option of %s, not of %s\n"
              "Run 'harmrank %s --help' for the options.\n",
              cmd->name, a, names, cmd->name, cmd->name);
      return HARM_EXIT_USAGE;
    }
    const char *value = opt->fixed;
    if (!value) {
      if (i + 1 >= argc) {
        return usage_error(cmd->name, "%s needs a value", a);
      }
      value = argv[++i];
    }
    int rc = apply_option(cmd, o, opt, value, rep);
    if (rc) {
      return rc;
    }
  }
  return HARM_EXIT_OK;
}

/* Sets the lists the repeated flags built. */
static int apply_repeats(cli_opts *o, const repeats *rep) {
  if (rep->n_weight_flags) {
    /* compare's flags replace a configured list. */
    int rc = set_or_fail(o->cfg, "compare", "weights", rep->weights_list);
    if (rc) {
      return rc;
    }
  }
  if (rep->n_run_flags) {
    int rc = set_or_fail(o->cfg, "evaluate", "runs", rep->runs_list);
    if (rc) {
      return rc;
    }
  }
  return HARM_EXIT_OK;
}

/* Refuses --pseudonymise with a grouping that would write raw values,
 * then loads the key. */
static int check_pseudonymise(cli_opts *o, const cli_command *cmd) {
  /* Only offender ids are pseudonymised. Grouping by any other column
   * (victim_id, a remapped id, a free-text column) would write that
   * column's raw values as the subject ids, so the only groupings
   * allowed are the offender column itself and the area (a place, not
   * a person). */
  const char *g = harm_config_get(o->cfg, "input", "group_by");
  const char *who = harm_config_get(o->cfg, "columns", "offender_id");
  const char *area = harm_config_get(o->cfg, "columns", "area");
  if (g && *g && !ieq(g, who) && !ieq(g, area)) {
    char e[256];
    fprintf(stderr,
            "harmrank: %s: --pseudonymise with --group-by %s: only "
            "offender ids (column \"%s\") are pseudonymised, so grouping "
            "by another column would write its raw values; group by the "
            "area column or drop one of the two options\n",
            cmd->name, cli_esc(g, e, sizeof e), who);
    return HARM_EXIT_USAGE;
  }
  return cli_load_key(o);
}

int cli_parse(int argc, char **argv, const cli_command *cmd, cli_opts *o) {
  memset(o, 0, sizeof *o);
  harm_error err = HARM_ERROR_INIT;
  if (harm_config_new(&o->cfg, &err) != HARM_OK) {
    return cli_fail(&err);
  }
  int rc = load_configs(argc, argv, cmd, o);
  if (rc) {
    return rc;
  }
  repeats rep = {"", 0, "", 0};
  rc = parse_args(argc, argv, cmd, o, &rep);
  if (rc) {
    return rc;
  }
  rc = apply_repeats(o, &rep);
  if (rc) {
    return rc;
  }
  if (harm_config_validate(o->cfg, &err) != HARM_OK) {
    return cli_fail(&err);
  }
  /* Every file name comes from the configuration as applied, so an INI
   * file can set any of them. */
  o->offences = harm_config_path(o->cfg, "input", "offences");
  o->output = harm_config_path(o->cfg, "output", "file");
  o->rejects = harm_config_path(o->cfg, "output", "rejects");
  o->out_dir = harm_config_path(o->cfg, "output", "dir");
  o->referrals = harm_config_path(o->cfg, "cohort", "referrals");
  o->exclusions = harm_config_path(o->cfg, "cohort", "exclusions");
  o->previous = harm_config_path(o->cfg, "cohort", "previous");
  o->pseudonymise = harm_config_path(o->cfg, "privacy", "pseudonymise");
  o->quiet = harm_config_quiet(o->cfg);
  rc = split_weights(o, cmd);
  if (rc) {
    return rc;
  }
  if (o->pseudonymise) {
    rc = check_pseudonymise(o, cmd);
    if (rc) {
      return rc;
    }
  }
  o->file_mode = harm_config_file_mode(o->cfg);
  return HARM_EXIT_OK;
}

void cli_opts_free(cli_opts *o) {
  harm_config_free(o->cfg);
  o->cfg = NULL;
}

void cli_print_accounting(const harm_accounting *a) {
  fprintf(stderr,
          "rows: read %" PRIu64 " = scored %" PRIu64
          " + outside window %" PRIu64 " + future-dated %" PRIu64
          " + filtered %" PRIu64 " + duplicates %" PRIu64 " + rejected %" PRIu64
          "\n",
          a->read, a->scored, a->outside_window, a->future_dated, a->filtered,
          a->duplicates, a->rejected);
}

/* SIGINT, SIGTERM and SIGHUP during a run: remove every temporary output
 * file (the library's registry; unlink() only, async-signal-safe), then
 * die of the same signal with its default action, so the shell sees the
 * conventional status (128 + signal number). */
static const int caught[] = {SIGINT, SIGTERM, SIGHUP};
enum { N_CAUGHT = sizeof caught / sizeof *caught };

static void on_signal(int sig) {
  harm_outfile_remove_temps();
  signal(sig, SIG_DFL);
  raise(sig);
}

static void catch_signals(struct sigaction old[N_CAUGHT], bool set[N_CAUGHT]) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigfillset(&sa.sa_mask);
  for (size_t i = 0; i < N_CAUGHT; i++) {
    set[i] = false;
    /* A signal the caller ignores (nohup) stays ignored. */
    if (sigaction(caught[i], NULL, &old[i]) == 0 &&
        old[i].sa_handler != SIG_IGN) {
      set[i] = sigaction(caught[i], &sa, NULL) == 0;
    }
  }
}

static void restore_signals(const struct sigaction old[N_CAUGHT],
                            const bool set[N_CAUGHT]) {
  for (size_t i = 0; i < N_CAUGHT; i++) {
    if (set[i]) {
      sigaction(caught[i], &old[i], NULL);
    }
  }
}

static int dispatch(int argc, char **argv);

int harm_cli_main(int argc, char **argv) {
  struct sigaction old[N_CAUGHT];
  bool set[N_CAUGHT];
  catch_signals(old, set);
  int rc = dispatch(argc, argv);
  restore_signals(old, set);
  return rc;
}

static int dispatch(int argc, char **argv) {
  /* GSL's default handler aborts; the library checks every return code. */
  gsl_set_error_handler_off();
  if (argc < 2) {
    print_usage(stderr);
    return HARM_EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
    printf("harmrank %s\n", harm_version());
    return HARM_EXIT_OK;
  }
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
      strcmp(name, "help") == 0) {
    print_usage(stdout);
    return HARM_EXIT_OK;
  }
  for (size_t i = 0; i < n_commands; i++) {
    if (strcmp(name, commands[i].name) == 0) {
      return commands[i].run(argc - 1, argv + 1);
    }
  }
  fprintf(stderr, "harmrank: unknown command \"%s\"\n\n", name);
  print_usage(stderr);
  return HARM_EXIT_USAGE;
}

const cli_command *cli_find_command(const char *name) {
  for (size_t i = 0; i < n_commands; i++) {
    if (strcmp(name, commands[i].name) == 0) {
      return &commands[i];
    }
  }
  return NULL;
}

/* Prints text wrapped to 79 columns, continuation lines indented to
 * `indent`, starting at column `col`. */
static void print_wrapped(const char *text, int col, int indent) {
  const char *p = text;
  while (*p) {
    const char *sp = strchr(p, ' ');
    int w = sp ? (int)(sp - p) : (int)strlen(p);
    if (col > indent && col + 1 + w > 79) {
      printf("\n%*s", indent, "");
      col = indent;
    } else if (col > indent) {
      putchar(' ');
      col++;
    }
    printf("%.*s", w, p);
    col += w;
    p += w;
    while (*p == ' ') {
      p++;
    }
  }
  putchar('\n');
}

void cli_print_help(const cli_command *cmd) {
  printf("usage: %s\n%s\n", cmd->usage, cmd->summary);
  harm_config *defaults = NULL;
  harm_config_new(&defaults, NULL);
  const char *group = NULL;
  enum { LEFT = 30 };
  for (size_t k = 0; k < N_OPTIONS; k++) {
    const cli_option *opt = &options[k];
    if (!(opt->cmds & cmd->bit)) {
      continue;
    }
    if (opt->group != group) {
      group = opt->group;
      printf("\n%s:\n", group);
    }
    bool short_form = opt->alt_flag && opt->alt_flag[1] != '-';
    char left[80];
    int n = snprintf(left, sizeof left, "  %s%s%s%s%s",
                     short_form ? opt->alt_flag : "", short_form ? ", " : "",
                     opt->flag, opt->arg ? " " : "", opt->arg ? opt->arg : "");
    char text[512];
    const char *def = defaults && opt->section && opt->key && !opt->fixed
                          ? harm_config_get(defaults, opt->section, opt->key)
                          : NULL;
    snprintf(text, sizeof text, "%s%s%s%s%s%s%s%s", opt->help,
             def && *def ? " (default " : "", def && *def ? def : "",
             def && *def ? ")" : "",
             opt->section && opt->key ? "; config [" : "",
             opt->section && opt->key ? opt->section : "",
             opt->section && opt->key ? "] " : "",
             opt->section && opt->key ? opt->key : "");
    if (n >= LEFT) {
      printf("%s\n%*s", left, LEFT, "");
    } else {
      printf("%-*s", LEFT, left);
    }
    print_wrapped(text, LEFT, LEFT);
  }
  harm_config_free(defaults);
}

int cli_start(const char *name, int argc, char **argv, cli_opts *o,
              bool positional_ok) {
  const cli_command *cmd = cli_find_command(name);
  int rc = cli_parse(argc, argv, cmd, o);
  if (rc) {
    return rc;
  }
  if (o->help) {
    cli_print_help(cmd);
    return HARM_EXIT_OK;
  }
  if (!positional_ok && o->n_positional) {
    fprintf(stderr, "harmrank: %s: unexpected argument \"%s\"\n", name,
            o->positional[0]);
    return HARM_EXIT_USAGE;
  }
  return -1;
}

void cli_join(char *buf, size_t cap, const char *dir, const char *name) {
  size_t n = strlen(dir);
  snprintf(buf, cap, "%s%s%s", dir, n && dir[n - 1] != '/' ? "/" : "", name);
}

int cli_make_dirs(const char *cmd, const char *dir) {
  char path[4096];
  size_t n = strlen(dir);
  if (!n || n >= sizeof path) {
    fprintf(stderr, "harmrank: %s: \"%s\": not a usable folder name\n", cmd,
            dir);
    return HARM_EXIT_USAGE;
  }
  memcpy(path, dir, n + 1);
  /* Each parent in turn, then the folder itself, like mkdir -p. */
  for (size_t i = 1; i <= n; i++) {
    if (path[i] != '/' && path[i] != '\0') {
      continue;
    }
    char c = path[i];
    path[i] = '\0';
    struct stat sb;
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
      fprintf(stderr, "harmrank: %s: %s: cannot create the folder: %s\n", cmd,
              path, strerror(errno));
      return HARM_EXIT_IO;
    }
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
      fprintf(stderr, "harmrank: %s: %s: exists and is not a folder\n", cmd,
              path);
      return HARM_EXIT_IO;
    }
    path[i] = c;
  }
  return HARM_EXIT_OK;
}

int cli_load_key(cli_opts *o) {
  FILE *fp = fopen(o->pseudonymise, "rb");
  if (!fp) {
    fprintf(stderr, "harmrank: %s: cannot open the pseudonym key\n",
            o->pseudonymise);
    return HARM_EXIT_IO;
  }
  o->key_len = fread(o->key, 1, sizeof o->key, fp);
  bool more = fgetc(fp) != EOF;
  fclose(fp);
  if (o->key_len < 16 || more) {
    fprintf(stderr,
            "harmrank: %s: a pseudonym key must be 16 to 4096 bytes (e.g. "
            "head -c 32 /dev/urandom > key)\n",
            o->pseudonymise);
    return HARM_EXIT_USAGE;
  }
  return HARM_EXIT_OK;
}
