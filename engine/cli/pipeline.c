/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/pipeline.c: the load-score-rank pipeline the subcommands
 * share, with the warnings and the accounting line a user needs. */
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

static void warn_estimates(const harm_weights *w) {
  size_t n = harm_weights_count(w), est = harm_weights_n_estimates(w);
  char src[512];
  if (est) {
    fprintf(stderr,
            "harmrank: warning: %zu of %zu weights in %s are estimates, not "
            "official CCHI values; load the official CCHI values sheet "
            "(exported to CSV) for operational use\n",
            est, n, cli_esc(harm_weights_source(w), src, sizeof src));
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

static int run(const cli_opts *o, const char *rejects_path, bool keep_ids,
               cli_pipeline *p) {
  memset(p, 0, sizeof *p);
  harm_error err = HARM_ERROR_INIT;
  const char *wpath =
      o->n_weights ? o->weights[0] : harm_config_weights_path(o->cfg);
  if (!o->offences) {
    fprintf(stderr, "harmrank: no offences file: pass --offences FILE\n");
    return HARM_EXIT_USAGE;
  }
  if (!wpath) {
    fprintf(stderr, "harmrank: no weights: pass --weights FILE or set "
                    "[weights] file in the configuration\n");
    return HARM_EXIT_USAGE;
  }
  harm_weights_opts wo = harm_config_weights_opts(o->cfg);
  if (harm_weights_load(wpath, &wo, &p->weights, &err) != HARM_OK) {
    return cli_fail(&err);
  }
  if (!o->quiet) {
    warn_estimates(p->weights);
  }
  /* A category that names nothing in the table would silently narrow or
   * empty the list: stop before reading the offences. */
  harm_matrix_opts cats = harm_config_matrix_opts(o->cfg, p->weights);
  if (cats.n_categories &&
      harm_score_check_categories(p->weights, cats.categories,
                                  cats.n_categories, &err) != HARM_OK) {
    return cli_fail(&err);
  }
  if (rejects_path) {
    if (harm_outfile_open(rejects_path, o->file_mode, &p->rejects, &err) !=
        HARM_OK) {
      return cli_fail(&err);
    }
    harm_report_rejects_header(harm_outfile_stream(p->rejects));
  }
  harm_ingest_opts io = harm_config_ingest_opts(o->cfg);
  io.keep_offence_ids = keep_ids;
  io.today = today();
  /* Runs that write a manifest record the hash of the bytes read. */
  io.hash_input = o->out_dir != NULL;
  if (o->key_len) {
    io.pseudonym_key = o->key;
    io.pseudonym_key_len = o->key_len;
    p->withhold_raw = true;
  }
  if (p->rejects) {
    io.on_reject = write_reject;
    io.reject_ctx = p;
  }
  progress pr;
  progress_start(&pr, o);
  harm_status st = harm_ingest_file(o->offences, &io, &p->ds, &err);
  if (st != HARM_OK) {
    progress_end(&pr);
    /* In strict mode a lone rejects file (score, or an analysis without
     * --out) still shows the row that stopped the run. An output set
     * (--out DIR, with a manifest) is left exactly as it was: its
     * rejects.csv must keep matching its manifest. */
    if (p->rejects && !o->out_dir &&
        (st == HARM_ERR_DATA || st == HARM_ERR_LIMIT)) {
      harm_error werr = HARM_ERROR_INIT;
      if (harm_outfile_commit(p->rejects, &werr) != HARM_OK) {
        cli_fail(&werr);
      }
      p->rejects = NULL;
    }
    return cli_fail(&err);
  }
  progress_step(&pr, "aggregating");
  harm_matrix_opts mo = harm_config_matrix_opts(o->cfg, p->weights);
  harm_score_opts so = harm_config_score_opts(o->cfg);
  /* Only explain reads the records after aggregation: other commands free
   * them as soon as the aggregate has them (a third of the peak memory). */
  harm_status mst =
      keep_ids ? harm_matrix_build(p->ds, &mo, &p->matrix, &err)
               : harm_matrix_build_release(p->ds, &mo, &p->matrix, &err);
  if (mst == HARM_OK) {
    progress_step(&pr, "scoring and ranking");
    if (harm_score_compute(p->matrix, p->weights, &so, &p->scores, &err) ==
        HARM_OK) {
      harm_rank_compute(p->scores, &p->ranking, &err);
    }
  }
  progress_end(&pr);
  if (!p->ranking) {
    return cli_fail(&err);
  }
  /* A table that weighs none of the data's codes would rank everyone at
   * 0 days: stop. One that misses many offences is a warning. */
  harm_coverage cov;
  if (harm_score_coverage(p->scores, p->weights, &cov, &err) != HARM_OK) {
    return cli_fail(&err);
  }
  if (!o->quiet && (double)cov.n_unknown >
                       HARM_COVERAGE_WARN_SHARE * (double)cov.n_offences) {
    fprintf(stderr,
            "harmrank: warning: %" PRIu64 " of %" PRIu64
            " scored offences (%.0f%%) have a code that %s lacks and count 0 "
            "days, so the people who committed them rank too low; check the "
            "codes below, the table's key, or add aliases\n",
            cov.n_unknown, cov.n_offences,
            100.0 * (double)cov.n_unknown / (double)cov.n_offences,
            harm_weights_source(p->weights));
  }
  if (!o->quiet) {
    size_t n_unknown;
    const harm_unknown_code *u = harm_scores_unknown(p->scores, &n_unknown);
    if (n_unknown) {
      char e[256];
      fprintf(stderr,
              "harmrank: warning: %zu offence code%s not in %s, "
              "scored 0:",
              n_unknown, n_unknown == 1 ? "" : "s",
              cli_esc(harm_weights_source(p->weights), e, sizeof e));
      for (size_t i = 0; i < n_unknown && i < 20; i++) {
        fprintf(stderr, " %s (%" PRIu64 ")", cli_esc(u[i].code, e, sizeof e),
                u[i].count);
      }
      fprintf(stderr, "%s\n", n_unknown > 20 ? " ..." : "");
    }
    harm_accounting a = harm_matrix_accounting(p->matrix);
    char as_of[11];
    harm_date_format_iso(harm_dataset_as_of(p->ds), as_of);
    fprintf(
        stderr, "window: %s, %" PRIu32 " days back%s; %zu subjects scored\n",
        as_of[0] ? as_of : "(no valid rows)", harm_dataset_lookback_days(p->ds),
        harm_dataset_lookback_days(p->ds) ? "" : " (unlimited)",
        harm_scores_count(p->scores));
    cli_print_accounting(&a);
    if (a.rejected) {
      char e[512];
      fprintf(stderr, "harmrank: warning: %" PRIu64 " rejected row%s %s%s\n",
              a.rejected, a.rejected == 1 ? "" : "s",
              rejects_path ? "written to "
                           : "(explain writes no rejects file; "
                             "run score to list them)",
              cli_esc(rejects_path ? rejects_path : "", e, sizeof e));
    }
  }
  return HARM_EXIT_OK;
}

int cli_pipeline_commit(cli_pipeline *p) {
  harm_error err = HARM_ERROR_INIT;
  harm_status st = harm_outfile_commit(p->rejects, &err);
  p->rejects = NULL;
  return st == HARM_OK ? HARM_EXIT_OK : cli_fail(&err);
}

void cli_pipeline_free(cli_pipeline *p) {
  harm_outfile_abort(p->rejects);
  harm_ranking_free(p->ranking);
  harm_scores_free(p->scores);
  harm_matrix_free(p->matrix);
  harm_dataset_free(p->ds);
  harm_weights_free(p->weights);
  memset(p, 0, sizeof *p);
}

int cli_pipeline_run(const cli_opts *o, const char *rejects_path,
                     cli_pipeline *p) {
  return run(o, rejects_path, false, p);
}

int cli_pipeline_run_explain(const cli_opts *o, cli_pipeline *p) {
  return run(o, NULL, true, p);
}

int cli_commit_outputs(cli_pipeline *p, harm_outfile **out, size_t n, int rc) {
  harm_error err = HARM_ERROR_INIT;
  if (!rc) {
    rc = cli_pipeline_commit(p);
  }
  for (size_t k = 0; k < n; k++) {
    if (!rc) {
      if (harm_outfile_commit(out[k], &err) != HARM_OK) {
        rc = cli_fail(&err);
      }
    } else {
      harm_outfile_abort(out[k]);
    }
    out[k] = NULL;
  }
  return rc;
}
