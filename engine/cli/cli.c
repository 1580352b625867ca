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
     "               [-o scores.csv] [--rejects rejects.csv] [options]\n"},
    {"cohort", cli_cmd_cohort,
     "select a cohort (core + referral slots) and write the meeting pack",
     "harmrank cohort -c config/cohorts/perpetrator-panel.ini --offences FILE\n"
     "               [--weights FILE] [--referrals FILE] [--exclusions FILE]\n"
     "               [--previous last-month/cohort.csv] --out DIR [options]\n"},
    {"explain", cli_cmd_explain,
     "list each offence behind offenders' scores, step by step",
     "harmrank explain --offences FILE --weights FILE [options] ID...\n"},
    {"compare", cli_cmd_compare,
     "compare weightings: rank correlation, top-K overlap, who moves",
     "harmrank compare --offences FILE --weights A --weights B [...]\n"
     "               [-c cohort.ini] [--top-k K] [--out DIR] [options]\n"},
    {"concentration", cli_cmd_concentration,
     "how concentrated harm is: Lorenz curve, Gini, power few",
     "harmrank concentration --offences FILE --weights FILE [--by area]\n"
     "               [--group-by COLUMN] [--out DIR] [options]\n"},
    {"sweep", cli_cmd_sweep,
     "how robust the cohort core is to perturbed weights",
     "harmrank sweep -c cohort.ini --offences FILE [--weights FILE]\n"
     "               --perturb P --draws N [--seed S] [--exclusions FILE]\n"
     "               [--out DIR] [options]\n"},
};

static const size_t n_commands = sizeof commands / sizeof commands[0];

static const char common_help[] =
    "Input and window:\n"
    "  -c, --config FILE        read settings from an INI file (repeatable;\n"
    "                           later files and flags win)\n"
    "  --offences FILE          offences CSV (\"-\" = standard input)\n"
    "  --weights FILE           harm weights CSV (native or CCHI export)\n"
    "  --aliases FILE           old_code,new_code alias table\n"
    "  --as-of YYYY-MM-DD       window end (default: latest offence date)\n"
    "  --lookback-days N        window length in days (default 365; 0 = all)\n"
    "  --date-format ymd|dmy    layout of offence_date (default ymd)\n"
    "  --group-by COLUMN        score by this column instead of offender_id\n"
    "                           (--group-by area: harm spots by place)\n"
    "  --filter COLUMN=V1,V2    keep rows whose COLUMN is one of the values\n"
    "  --categories C1,C2       keep offences whose weight category is listed\n"
    "Scoring:\n"
    "  --half-life-days D       decay: weight x 0.5^(age/D) (default off)\n"
    "  --cap D                  cap a single offence's harm at D days\n"
    "  --transform none|sqrt|log1p   per-offence transform (default none)\n"
    "  --attribution full|split split a crime's harm among its offenders\n"
    "  --include-proactive      keep proactive (police-generated) codes\n"
    "  --strict-codes           an offence code missing from the weights is "
    "an error\n"
    "  --strict                 the first bad row stops the run (exit 1)\n"
    "  --allow-rejects          go on when most rows are rejected for one\n"
    "                           fault (default: stop, exit 1)\n"
    "  --set SECTION.KEY=VALUE  set any configuration key\n"
    "Analysis (compare, concentration, sweep):\n"
    "  --top-k K                compare: size of the top lists compared\n"
    "                           (default: [cohort] size, 15)\n"
    "  --by area                concentration: also per area (the area of\n"
    "                           each subject's latest offence)\n"
    "  --perturb P              sweep: weights x U[1-P, 1+P] (default 0.2)\n"
    "  --draws N                sweep: perturbed draws (default 1000, at\n"
    "                           most 1000000)\n"
    "  --seed S                 sweep: random seed (default 1)\n"
    "Output:\n"
    "Cohort lists:\n"
    "  --referrals FILE         "
    "offender_id,agency,referred_on,reason[,priority]\n"
    "  --exclusions FILE        offender_id,reason\n"
    "  --previous FILE          last month's cohort.csv (for movers, tenure)\n"
    "  --out DIR                folder for the cohort outputs\n"
    "  --pseudonymise KEYFILE   replace offender ids in every output by a "
    "keyed\n"
    "                           hash (HMAC-SHA-256; same key, same "
    "pseudonyms)\n"
    "  -o, --output FILE        output file (\"-\" = standard output)\n"
    "  --rejects FILE           rejected rows (default: rejects.csv beside\n"
    "                           the output, or in the current folder)\n"
    "  --top N                  write only the top N rows (default all)\n"
    "  --threads N              worker threads (default: all cores)\n"
    "  -q, --quiet              no summary on standard error\n"
    "  -h, --help               this help\n";

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

/* Flags that set one configuration key: flag, section, key, value (NULL =
 * the flag takes an argument). */
typedef struct flag_key {
  const char *flag;
  const char *section;
  const char *key;
  const char *fixed;
} flag_key;

static const flag_key flag_keys[] = {
    {"--aliases", "weights", "aliases", NULL},
    {"--weights-format", "weights", "format", NULL},
    {"--as-of", "scoring", "as_of", NULL},
    {"--lookback-days", "scoring", "lookback_days", NULL},
    {"--half-life-days", "scoring", "half_life_days", NULL},
    {"--cap", "scoring", "cap", NULL},
    {"--transform", "scoring", "transform", NULL},
    {"--attribution", "scoring", "attribution", NULL},
    {"--categories", "scoring", "categories", NULL},
    {"--include-proactive", "scoring", "exclude_proactive", "false"},
    {"--strict-codes", "scoring", "strict_codes", "true"},
    {"--strict", "input", "strict", "true"},
    {"--allow-rejects", "input", "max_reject_share", "1"},
    {"--date-format", "input", "date_format", NULL},
    {"--group-by", "input", "group_by", NULL},
    {"--threads", "run", "threads", NULL},
    {"--top", "output", "top", NULL},
};

static int set_or_fail(harm_config *cfg, const char *section, const char *key,
                       const char *value) {
  harm_error err = HARM_ERROR_INIT;
  if (harm_config_set(cfg, section, key, value, &err) != HARM_OK) {
    return cli_fail(&err);
  }
  return HARM_EXIT_OK;
}

int cli_parse(int argc, char **argv, const cli_command *cmd, cli_opts *o) {
  memset(o, 0, sizeof *o);
  harm_error err = HARM_ERROR_INIT;
  if (harm_config_new(&o->cfg, &err) != HARM_OK) {
    return cli_fail(&err);
  }
  /* Config files first, so flags override them wherever they appear. */
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
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
      i++;
      continue;
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      o->help = true;
      continue;
    }
    if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      o->quiet = true;
      continue;
    }
    if (a[0] != '-' || strcmp(a, "-") == 0 || strcmp(a, "--") == 0) {
      if (strcmp(a, "--") == 0) {
        for (i++; i < argc; i++) {
          if (o->n_positional == CLI_MAX_POSITIONAL) {
            return usage_error(cmd->name, "too many arguments%s", "");
          }
          o->positional[o->n_positional++] = argv[i];
        }
        break;
      }
      if (o->n_positional == CLI_MAX_POSITIONAL) {
        return usage_error(cmd->name, "too many arguments%s", "");
      }
      o->positional[o->n_positional++] = a;
      continue;
    }
    bool handled = false;
    for (size_t k = 0; k < sizeof flag_keys / sizeof *flag_keys; k++) {
      const flag_key *f = &flag_keys[k];
      if (strcmp(a, f->flag) != 0) {
        continue;
      }
      handled = true;
      const char *value = f->fixed;
      if (!value) {
        if (!next) {
          return usage_error(cmd->name, "%s needs a value", a);
        }
        value = next;
        i++;
      }
      int rc = set_or_fail(o->cfg, f->section, f->key, value);
      if (rc) {
        return rc;
      }
    }
    if (handled) {
      continue;
    }
    /* Flags with their own handling; all take one argument. */
    if (!next) {
      return usage_error(cmd->name, "unknown option or missing value: %s", a);
    }
    if (strcmp(a, "--offences") == 0) {
      o->offences = next;
    } else if (strcmp(a, "--weights") == 0) {
      if (o->n_weights == CLI_MAX_WEIGHTS) {
        return usage_error(cmd->name, "at most 16 --weights%s", "");
      }
      o->weights[o->n_weights++] = next;
    } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
      o->output = next;
    } else if (strcmp(a, "--rejects") == 0) {
      o->rejects = next;
    } else if (strcmp(a, "--out") == 0) {
      o->out_dir = next;
    } else if (strcmp(a, "--referrals") == 0) {
      o->referrals = next;
    } else if (strcmp(a, "--exclusions") == 0) {
      o->exclusions = next;
    } else if (strcmp(a, "--previous") == 0) {
      o->previous = next;
    } else if (strcmp(a, "--pseudonymise") == 0 ||
               strcmp(a, "--pseudonymize") == 0) {
      o->pseudonymise = next;
    } else if (strcmp(a, "--top-k") == 0) {
      o->top_k = next;
    } else if (strcmp(a, "--perturb") == 0) {
      o->perturb = next;
    } else if (strcmp(a, "--draws") == 0) {
      o->draws = next;
    } else if (strcmp(a, "--seed") == 0) {
      o->seed = next;
    } else if (strcmp(a, "--by") == 0) {
      o->by = next;
    } else if (strcmp(a, "--filter") == 0 || strcmp(a, "--set") == 0) {
      bool is_set = a[2] == 's';
      const char *eq = strchr(next, '=');
      const char *dot = is_set ? strchr(next, '.') : next - 1;
      if (!eq || !dot || dot >= eq || eq == next) {
        return usage_error(cmd->name,
                           is_set ? "--set wants SECTION.KEY=VALUE, not \"%s\""
                                  : "--filter wants COLUMN=V1,V2, not \"%s\"",
                           next);
      }
      char section[64] = "filter", key[128];
      size_t sl = (size_t)(dot - next), kl = (size_t)(eq - dot - 1);
      if ((is_set && sl >= sizeof section) || kl >= sizeof key) {
        return usage_error(cmd->name, "name too long in \"%s\"", next);
      }
      if (is_set) {
        memcpy(section, next, sl);
        section[sl] = '\0';
      }
      memcpy(key, dot + 1, kl);
      key[kl] = '\0';
      int rc = set_or_fail(o->cfg, section, key, eq + 1);
      if (rc) {
        return rc;
      }
    } else {
      return usage_error(cmd->name, "unknown option: %s", a);
    }
    i++;
  }
  if (harm_config_validate(o->cfg, &err) != HARM_OK) {
    return cli_fail(&err);
  }
  if (o->pseudonymise) {
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
    int rc = cli_load_key(o);
    if (rc) {
      return rc;
    }
  }
  o->file_mode = (unsigned)strtoul(
      harm_config_get(o->cfg, "output", "file_mode"), NULL, 8);
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

void cli_print_help(const cli_command *cmd) {
  printf("usage: %s\n%s\n%s", cmd->usage, cmd->summary, common_help);
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
