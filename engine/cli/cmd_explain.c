/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cmd_explain.c: `harmrank explain ID...`: every in-window
 * offence behind each named offender's score, with its weight, cap,
 * transform, decay, split and share, so anyone can check a score by hand. */
#include <inttypes.h>
#include <string.h>

#include "cli_internal.h"

static const char *status_name(harm_offence_status s) {
  switch (s) {
  case HARM_OFFENCE_SCORED:
    return "scored";
  case HARM_OFFENCE_DUPLICATE:
    return "duplicate";
  case HARM_OFFENCE_PROACTIVE:
    return "proactive (left out)";
  case HARM_OFFENCE_FILTERED:
  default:
    return "filtered (category)";
  }
}

static const char *fate_name(harm_trace_fate f) {
  switch (f) {
  case HARM_TRACE_OUTSIDE_WINDOW:
    return "before the window";
  case HARM_TRACE_FUTURE:
    return "after as_of";
  case HARM_TRACE_FILTERED:
    return "filtered out by";
  case HARM_TRACE_COUNTED:
  default:
    return "counted";
  }
}

/* A person with no row in the window: say whether the file has them at
 * all, and if so list each of their rows with what left it out. */
static int explain_absent(const cli_opts *o, const cli_pipeline *p,
                          const char *id, const char *as_of) {
  harm_window win = harm_run_window(p->run);
  harm_ingest_opts io = harm_config_ingest_opts(o->cfg);
  io.pseudonym_key = o->key_len ? o->key : NULL;
  io.pseudonym_key_len = o->key_len;
  harm_trace_row *rows = NULL;
  size_t n = 0;
  harm_error err = HARM_ERROR_INIT;
  if (harm_explain_trace(o->offences, &io, win.as_of, win.lookback_days, id,
                         &rows, &n, &err) != HARM_OK) {
    return cli_fail(&err);
  }
  char e[512], f[256];
  if (n == 0) {
    printf("  not in %s: no row has this %s (check the id%s)\n",
           cli_esc(o->offences, e, sizeof e),
           harm_config_get(o->cfg, "input", "group_by")[0] ? "value"
                                                           : "offender id",
           o->key_len ? "; a pseudonym must come from a run with this key"
                      : "");
    return HARM_EXIT_OK;
  }
  printf("  no offences count in the window ending %s (%" PRIu32
         " days): score 0, unranked. Its %zu row%s in the file:\n",
         as_of, win.lookback_days, n, n == 1 ? "" : "s");
  for (size_t k = 0; k < n; k++) {
    char d[11];
    harm_date_format_iso(rows[k].date, d);
    printf("  %-10s %-18.18s %-8s %s%s%s\n", d,
           cli_esc(rows[k].offence_id, e, sizeof e),
           cli_esc(rows[k].code, f, sizeof f), fate_name(rows[k].fate),
           rows[k].fate == HARM_TRACE_FILTERED ? " the filter on " : "",
           rows[k].filter);
  }
  harm_trace_rows_free(rows);
  return HARM_EXIT_OK;
}

static void print_lines(const harm_offence_line *lines, size_t n) {
  char e1[256], e2[256];
  printf("  %-10s %-18s %-8s %10s %10s %8s %7s %10s %7s  %s\n", "date",
         "offence_id", "code", "weight", "offence", "decay", "split", "harm",
         "share", "status");
  for (size_t i = 0; i < n; i++) {
    const harm_offence_line *l = &lines[i];
    char d[11];
    harm_date_format_iso(l->date, d);
    char code[256];
    if (strcmp(l->code, l->canonical) != 0) {
      snprintf(code, sizeof code, "%s>%s", cli_esc(l->code, e1, sizeof e1),
               cli_esc(l->canonical, e2, sizeof e2));
    } else {
      cli_esc(l->code, code, sizeof code);
    }
    printf("  %-10s %-18.18s %-8s %10.4f %10.4f %8.4f %7.4f %10.4f %6.1f%%  "
           "%s%s\n",
           d, cli_esc(l->offence_id, e1, sizeof e1), code, l->weight,
           l->offence_harm, l->decay, l->split, l->harm, 100.0 * l->share,
           status_name(l->status),
           l->known ? "" : ", code not in weights (scores 0)");
  }
}

/* One role of a person: every record merged into them, offence by
 * offence. Returns an exit code. */
static int explain_role(const cli_pipeline *p, const harm_dataset *ds,
                        const harm_scores *s, const harm_score_opts *so,
                        size_t person, int role, const char *title,
                        double total) {
  size_t n_rec;
  const size_t *rec = harm_people_records(p->people, person, role, &n_rec);
  if (!s) {
    return HARM_EXIT_OK;
  }
  char e1[256];
  printf("  %s: %.4f days\n", title, total);
  if (!n_rec) {
    printf("    none in the window\n");
  }
  for (size_t k = 0; k < n_rec; k++) {
    harm_offence_line *lines = NULL;
    size_t n = 0;
    harm_error err = HARM_ERROR_INIT;
    if (harm_explain_subject(s, p->weights, so, rec[k], &lines, &n, &err) !=
        HARM_OK) {
      return cli_fail(&err);
    }
    if (n_rec > 1) {
      printf("  record %s (merged by same_as)\n",
             cli_esc(harm_dataset_subject_id(ds, rec[k], NULL), e1, sizeof e1));
    }
    print_lines(lines, n);
    harm_offence_lines_free(lines);
  }
  return HARM_EXIT_OK;
}

/* Explain in people mode: offences committed and offences suffered, each
 * with its harm, adding up to harm_caused and harm_suffered. */
static int explain_person(const cli_pipeline *p, const harm_score_opts *so,
                          const char *id) {
  size_t k;
  char as_of[11];
  harm_date_format_iso(harm_dataset_as_of(p->ds), as_of);
  if (!harm_people_find(p->people, id, &k)) {
    printf("  not an offender or victim in the window ending %s (%" PRIu32
           " days): unranked\n",
           as_of, harm_dataset_lookback_days(p->ds));
    return HARM_EXIT_OK;
  }
  const harm_person *ps = harm_people_at(p->people, k);
  const harm_ranking *rk = harm_people_ranking(p->people);
  char e1[256];
  if (strcmp(ps->person_id, id) != 0) {
    printf("  merged into %s (same_as)\n",
           cli_esc(ps->person_id, e1, sizeof e1));
  }
  char dob[11] = "", age[64] = "unknown (no date of birth)";
  harm_date_format_iso(ps->date_of_birth, dob);
  if (ps->age >= 0) {
    snprintf(age, sizeof age, "%" PRId32 " (born %s)", ps->age, dob);
  }
  printf("  rank %zu of %zu by harm %s; role %s%s%s%s; harm caused %.4f days "
         "(%" PRIu32 " offence(s) committed), harm suffered %.4f days (%" PRIu32
         " offence(s) suffered), combined %.4f; age %s (window ending %s, "
         "%" PRIu32 " days)\n",
         harm_ranking_rank_of(rk, k), harm_ranking_count(rk),
         harm_people_rank_by_name(harm_people_rank_by(p->people)),
         harm_people_role_name(ps->role), ps->balance ? " (" : "",
         harm_people_balance_name(ps->balance), ps->balance ? ")" : "",
         ps->harm_caused, ps->offences_committed, ps->harm_suffered,
         ps->offences_suffered,
         (double)(ps->caused_units + ps->suffered_units) / HARM_UNITS_PER_DAY,
         age, as_of, harm_dataset_lookback_days(p->ds));
  int rc = explain_role(p, p->ds, p->scores, so, k, 0, "offences committed",
                        ps->harm_caused);
  if (!rc) {
    rc = explain_role(p, harm_run_victim_dataset(p->run),
                      harm_run_victim_scores(p->run), so, k, 1,
                      "offences suffered", ps->harm_suffered);
  }
  return rc;
}

/* Explain of one offender: rank, harm and top places, then every
 * offence line. Returns an exit code. */
static int explain_subject(const cli_pipeline *p, const harm_score_opts *so,
                           size_t subject, const char *id, const char *as_of) {
  harm_offence_line *lines = NULL;
  size_t n = 0;
  harm_error err = HARM_ERROR_INIT;
  if (harm_explain_subject(p->scores, p->weights, so, subject, &lines, &n,
                           &err) != HARM_OK) {
    return cli_fail(&err);
  }
  const harm_score *sc = NULL;
  size_t rank = 0;
  for (size_t i = 0; i < harm_scores_count(p->scores); i++) {
    if (harm_scores_at(p->scores, i)->subject == subject) {
      sc = harm_scores_at(p->scores, i);
      rank = harm_ranking_rank_of(p->ranking, i);
    }
  }
  if (sc) {
    printf("  rank %zu of %zu; harm %.4f days from %" PRIu32
           " offence(s), %" PRIu32 " victim(s) (window ending %s, %" PRIu32
           " days)\n",
           rank, harm_ranking_count(p->ranking), sc->harm,
           harm_score_facts(p->scores, sc).offences,
           harm_score_facts(p->scores, sc).victims, as_of,
           harm_dataset_lookback_days(p->ds));
    const harm_report_column *tp = cli_top_places(p);
    if (tp) {
      char places[1024], e[1024];
      tp->text(tp->ctx, id, sc->subject, places, sizeof places);
      printf("  top places: %s\n",
             places[0] ? cli_esc(places, e, sizeof e) : "(none recorded)");
    }
  } else {
    printf("  no scored offences in the window ending %s\n", as_of);
  }
  print_lines(lines, n);
  harm_offence_lines_free(lines);
  return HARM_EXIT_OK;
}

/* Explain of the k-th id named on the command line, found as it is or by
 * its pseudonym. Returns an exit code. */
static int explain_id(const cli_opts *o, const cli_pipeline *p,
                      const harm_score_opts *so, size_t k, const char *as_of) {
  const char *id = o->positional[k];
  size_t subject;
  char ps[HARM_PSEUDONYM_LEN + 1];
  /* The dataset holds pseudonyms: a raw id is looked up by its own; a
   * pseudonym copied from an output is used as it is. */
  if (o->key_len && !harm_pseudonym_shaped(id) &&
      harm_pseudonym(o->key, o->key_len, id, strlen(id), ps) == HARM_OK) {
    id = ps;
  }
  char e1[256];
  printf("%s%s\n", k ? "\n" : "", cli_esc(id, e1, sizeof e1));
  if (p->people) {
    return explain_person(p, so, id);
  }
  if (!harm_dataset_find_subject(p->ds, id, &subject)) {
    return explain_absent(o, p, id, as_of);
  }
  return explain_subject(p, so, subject, id, as_of);
}

int cli_cmd_explain(int argc, char **argv) {
  cli_opts o;
  int rc = cli_start("explain", argc, argv, &o, true);
  if (rc >= 0) {
    cli_opts_free(&o);
    return rc;
  }
  if (!o.n_positional) {
    fprintf(stderr, "harmrank: explain: name at least one offender id\n");
    cli_opts_free(&o);
    return HARM_EXIT_USAGE;
  }
  /* Keep offence ids so each line can be traced to its crime record. */
  harm_config_set(o.cfg, "output", "top", "0", NULL);
  cli_pipeline p;
  rc = cli_pipeline_run_explain(&o, &p);
  if (rc) {
    cli_pipeline_free(&p);
    cli_opts_free(&o);
    return rc;
  }
  harm_score_opts so = harm_config_score_opts(o.cfg);
  char as_of[11];
  harm_date_format_iso(harm_dataset_as_of(p.ds), as_of);
  for (size_t k = 0; k < o.n_positional && !rc; k++) {
    rc = explain_id(&o, &p, &so, k, as_of);
  }
  cli_pipeline_free(&p);
  cli_opts_free(&o);
  return rc;
}
