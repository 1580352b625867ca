/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/pipeline.c: runs the library's pipeline (harm_run) for a
 * subcommand: the rejects file, the progress line, and the warnings and
 * accounting line a user needs. */
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <string.h>

#include "cli_internal.h"

static bool write_reject(void *ctx, const harm_reject *r) {
  cli_pipeline *p = ctx;
  FILE *fp = harm_outfile_stream(p->rejects);
  if (p->withhold_raw) {
    /* A pseudonymised run must not copy ids into any output. */
    harm_reject w = *r;
    w.raw = "(withheld: pseudonymised run)";
    w.raw_len = strlen(w.raw);
    harm_report_reject(fp, &w);
  } else {
    harm_report_reject(fp, r);
  }
  p->n_rejects++;
  return !ferror(fp);
}

/* A one-line progress report on standard error for long runs, when a
 * person is watching (stderr is a terminal) and the input is large. */
typedef struct progress {
  bool on;
} progress;

static void progress_start(progress *pr, const cli_opts *o) {
  struct stat sb;
  pr->on = !o->quiet && isatty(STDERR_FILENO) &&
           strcmp(o->offences, "-") != 0 && stat(o->offences, &sb) == 0 &&
           sb.st_size >= ((off_t)64 << 20);
  if (pr->on) {
    fprintf(stderr, "harmrank: reading %s (%lld MiB)...", o->offences,
            (long long)(sb.st_size >> 20));
    fflush(stderr);
  }
}

static void progress_step(const progress *pr, const char *what) {
  if (pr->on) {
    fprintf(stderr, "\r\033[Kharmrank: %s...", what);
    fflush(stderr);
  }
}

static void progress_end(const progress *pr) {
  if (pr->on) {
    fputs("\r\033[K", stderr);
    fflush(stderr);
  }
}

/* The run's date on the local clock, for the as_of check (ingest.h
 * today); HARM_DATE_NONE when the clock cannot be read. */
static harm_date today(void) {
  time_t t = time(NULL);
  struct tm tm;
  char buf[16];
  harm_date d;
  if (t == (time_t)-1 || !localtime_r(&t, &tm) ||
      strftime(buf, sizeof buf, "%Y-%m-%d", &tm) != 10 ||
      !harm_date_parse(buf, 10, HARM_DATE_YMD, &d)) {
    return HARM_DATE_NONE;
  }
  return d;
}

static void on_stage(void *ctx, const char *name) { progress_step(ctx, name); }

/* The run's warnings and the window and accounting lines, on stderr. */
static void print_summary(const cli_pipeline *p, const char *rejects_path) {
  char e[1024];
  for (size_t i = 0; i < harm_run_n_warnings(p->run); i++) {
    const harm_warning *w = harm_run_warning(p->run, i);
    if (w->kind == HARM_WARN_REJECTED) {
      continue; /* said below, with where the rows went */
    }
    fprintf(stderr, "harmrank: warning: %s\n", cli_esc(w->text, e, sizeof e));
  }
  harm_accounting a = harm_run_accounting(p->run);
  harm_window win = harm_run_window(p->run);
  char as_of[11];
  harm_date_format_iso(win.as_of, as_of);
  fprintf(stderr, "window: %s, %" PRIu32 " days back%s; %zu subjects scored\n",
          as_of[0] ? as_of : "(no valid rows)", win.lookback_days,
          win.lookback_days ? "" : " (unlimited)",
          harm_scores_count(p->scores));
  cli_print_accounting(&a);
  if (p->people) {
    size_t roles[4] = {0};
    for (size_t i = 0; i < harm_people_count(p->people); i++) {
      roles[harm_people_at(p->people, i)->role]++;
    }
    fprintf(stderr,
            "people: %zu (offender %zu, victim %zu, both %zu, both roles on "
            "one crime only %zu), ranked by harm %s; %zu people-file "
            "record%s merged by same_as, %zu id%s in the data merged into "
            "another person\n",
            harm_people_count(p->people), roles[HARM_ROLE_OFFENDER],
            roles[HARM_ROLE_VICTIM], roles[HARM_ROLE_BOTH],
            roles[HARM_ROLE_SAME_CRIME],
            harm_people_rank_by_name(harm_people_rank_by(p->people)),
            harm_people_merged_records(p->people),
            harm_people_merged_records(p->people) == 1 ? "" : "s",
            harm_people_merged_ids(p->people),
            harm_people_merged_ids(p->people) == 1 ? "" : "s");
  }
  if (a.rejected) {
    fprintf(stderr, "harmrank: warning: %" PRIu64 " rejected row%s %s%s\n",
            a.rejected, a.rejected == 1 ? "" : "s",
            rejects_path ? "written to "
                         : "(explain writes no rejects file; "
                           "run score to list them)",
            cli_esc(rejects_path ? rejects_path : "", e, sizeof e));
  }
}

static void top_places_text(void *ctx, const char *id, size_t subject,
                            char *buf, size_t cap) {
  const cli_pipeline *p = ctx;
  if (subject != SIZE_MAX) {
    harm_places_subject_text(p->places, subject, 3, buf, cap);
  } else {
    harm_places_offender_text(p->places, p->run, id, 3, buf, cap);
  }
}

/* Each offender's top places ([output] top_places = auto, the default):
 * when the offences have the [columns] place column, the run read it with
 * the rest, and its records give the `top_places` column of scores.csv
 * and cohort.csv and explain's line (no second read, so standard input
 * works too). */
static int top_places(const cli_opts *o, cli_pipeline *p) {
  if (p->people || !harm_config_top_places(o->cfg)) {
    return HARM_EXIT_OK;
  }
  harm_error err = HARM_ERROR_INIT;
  harm_status st = harm_places_for_offenders(p->run, o->cfg, &p->places, &err);
  if (st != HARM_OK) {
    return cli_fail(&err);
  }
  if (p->places) {
    p->top_places = (harm_report_column){.name = "top_places",
                                         .text = top_places_text,
                                         .ctx = p,
                                         .reentrant = true};
  }
  return HARM_EXIT_OK;
}

/* What a command's run reads beyond the scoring. */
typedef enum run_kind {
  RUN_LIST,     /* score, cohort: offender lists with top_places */
  RUN_EXPLAIN,  /* explain: offence ids and top_places */
  RUN_PLACES,   /* places: the place roles and the previous period */
  RUN_ANALYSIS, /* compare, concentration, sweep: no offender list */
} run_kind;

static int run(const cli_opts *o, const char *rejects_path, run_kind kind,
               size_t rank_top, cli_pipeline *p) {
  bool keep_ids = kind == RUN_EXPLAIN, places_cmd = kind == RUN_PLACES;
  /* Each offender's top places, only for the commands that list them. */
  bool lists = kind == RUN_LIST || kind == RUN_EXPLAIN;
  memset(p, 0, sizeof *p);
  harm_error err = HARM_ERROR_INIT;
  if (!o->offences) {
    fprintf(stderr, "harmrank: no offences file: pass --offences FILE\n");
    return HARM_EXIT_USAGE;
  }
  if (!o->n_weights) {
    fprintf(stderr, "harmrank: no weights: pass --weights FILE or set "
                    "[weights] file in the configuration\n");
    return HARM_EXIT_USAGE;
  }
  if (rejects_path) {
    if (harm_outfile_open(rejects_path, o->file_mode, &p->rejects, &err) !=
        HARM_OK) {
      return cli_fail(&err);
    }
    harm_report_rejects_header(harm_outfile_stream(p->rejects));
  }
  progress pr;
  progress_start(&pr, o);
  harm_run_opts ro = HARM_RUN_OPTS_INIT;
  ro.offences = o->offences;
  ro.weights = o->weights;
  ro.n_weights = o->n_weights;
  ro.keep_offence_ids = keep_ids;
  ro.rank_top = rank_top;
  ro.today = today();
  /* Runs that write a manifest record the hash of the bytes read. */
  ro.hash_input = o->out_dir != NULL;
  ro.pseudonym_key = o->key_len ? o->key : NULL;
  ro.pseudonym_key_len = o->key_len;
  p->withhold_raw = o->key_len > 0;
  if (p->rejects) {
    ro.on_reject = write_reject;
    ro.reject_ctx = p;
  }
  ro.on_stage = on_stage;
  ro.stage_ctx = &pr;
  /* Places: the place role for `places` and for top_places; `places`
   * also keeps the previous period of equal length (persistence). */
  ro.read_places = places_cmd || (lists && harm_config_top_places(o->cfg) &&
                                  !harm_config_people_mode(o->cfg));
  /* For a list the place only adds its top places: it never removes a
   * row from the list. */
  ro.place_optional = !places_cmd;
  ro.previous_days =
      places_cmd ? harm_config_ingest_opts(o->cfg).lookback_days : 0;
  harm_status st = harm_run_new(o->cfg, &ro, &p->run, &err);
  progress_end(&pr);
  if (st != HARM_OK) {
    /* In strict mode a lone rejects file (score, or an analysis without
     * --out) still shows the row that stopped the run. An output set
     * (--out DIR, with a manifest) is left exactly as it was: its
     * rejects.csv must keep matching its manifest. */
    if (p->rejects && !o->out_dir &&
        (st == HARM_ERR_DATA || st == HARM_ERR_LIMIT) &&
        strcmp(err.stage, "ingest") == 0) {
      harm_error werr = HARM_ERROR_INIT;
      if (harm_outfile_commit(p->rejects, &werr) != HARM_OK) {
        cli_fail(&werr);
      }
      p->rejects = NULL;
    }
    return cli_fail(&err);
  }
  p->weights = harm_run_weights(p->run, 0);
  p->ds = harm_run_dataset(p->run);
  p->matrix = harm_run_matrix(p->run);
  p->scores = harm_run_scores(p->run, 0);
  p->ranking = harm_run_ranking(p->run, 0);
  p->people = harm_run_people(p->run);
  if (!o->quiet) {
    print_summary(p, rejects_path);
  }
  return lists ? top_places(o, p) : HARM_EXIT_OK;
}

int cli_pipeline_commit(cli_pipeline *p) {
  harm_error err = HARM_ERROR_INIT;
  harm_status st = harm_outfile_commit(p->rejects, &err);
  p->rejects = NULL;
  return st == HARM_OK ? HARM_EXIT_OK : cli_fail(&err);
}

void cli_pipeline_free(cli_pipeline *p) {
  harm_outfile_abort(p->rejects);
  harm_places_free(p->places);
  harm_run_free(p->run);
  memset(p, 0, sizeof *p);
}

int cli_pipeline_run(const cli_opts *o, const char *rejects_path,
                     cli_pipeline *p) {
  return run(o, rejects_path, RUN_LIST, 0, p);
}

int cli_pipeline_run_top(const cli_opts *o, const char *rejects_path,
                         size_t top, cli_pipeline *p) {
  return run(o, rejects_path, RUN_LIST, top, p);
}

int cli_pipeline_run_explain(const cli_opts *o, cli_pipeline *p) {
  return run(o, NULL, RUN_EXPLAIN, 0, p);
}

int cli_pipeline_run_places(const cli_opts *o, const char *rejects_path,
                            cli_pipeline *p) {
  return run(o, rejects_path, RUN_PLACES, 0, p);
}

int cli_pipeline_run_analysis(const cli_opts *o, const char *rejects_path,
                              cli_pipeline *p) {
  return run(o, rejects_path, RUN_ANALYSIS, 0, p);
}
