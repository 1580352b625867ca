/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/report/xlsx.c: cohort.xlsx, the meeting pack, with
 * libxlsxwriter: the list with a chart of harm by member, movers, a
 * per-member breakdown, who was not selected and why, and run details.
 * Text cells are written as strings (never formulas) and values starting
 * with = + - @ get a leading quote, as in the CSV outputs. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <xlsxwriter.h>

#include "report/xlsx_cells.h"

#include "core/internal.h"
#include "harmrank/report.h"

typedef struct pack {
  lxw_workbook *wb;
  lxw_format *bold;
  lxw_format *title;
  lxw_format *days;
  lxw_format *pct;
  lxw_format *wrap;
  harm_error *err;
  harm_status st; /* first failure while filling the sheets */
} pack;

static void text(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s,
                 lxw_format *f) {
  harm__xlsx_text(ws, r, c, s, f);
}

static void header(pack *p, lxw_worksheet *ws, lxw_row_t r,
                   const char *const *names, size_t n) {
  harm__xlsx_header(ws, r, names, n, p->bold);
  harm__xlsx_print_setup(ws, r);
}

static void date_cell(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c,
                      harm_date d) {
  char buf[11];
  harm_date_format_iso(d, buf);
  text(ws, r, c, buf, NULL);
}

static void sheet_cohort(pack *p, const harm_manifest *m) {
  const harm_cohort *c = m->cohort;
  const harm_scores *s = harm_ranking_scores(harm_cohort_ranking(c));
  const harm_matrix *mx = harm_scores_matrix(s);
  const harm_dataset *ds = harm_matrix_dataset(mx);
  lxw_worksheet *ws = workbook_add_worksheet(p->wb, "Cohort");
  char buf[1024];
  const char *name =
      m->config ? harm_config_get(m->config, "cohort", "name") : "cohort";
  char as_of[11];
  harm_date_format_iso(harm_dataset_as_of(ds), as_of);
  snprintf(buf, sizeof buf, "%s: cohort as of %s (%" PRIu32 "-day window)",
           name, as_of, harm_dataset_lookback_days(ds));
  text(ws, 0, 0, buf, p->title);
  if (m->weights) {
    size_t est = harm_weights_n_estimates(m->weights);
    snprintf(buf, sizeof buf, "Weights: %s%s", harm_weights_source(m->weights),
             est ? " (includes estimates: NOT official CCHI values)" : "");
    text(ws, 1, 0, buf, NULL);
  }
  static const char *const cols[] = {
      "Slot",         "Offender",    "Why on the list", "Partition",
      "Score rank",   "Harm (days)", "Offences",        "Victims",
      "Last offence", "Top code",    "Breakdown",       "Referred by",
      "Months on",    "RFGV total"};
  const lxw_row_t h = 3;
  header(p, ws, h, cols, sizeof cols / sizeof *cols);
  size_t n = harm_cohort_count(c);
  for (size_t i = 0; i < n; i++) {
    const harm_member *mb = harm_cohort_member(c, i);
    lxw_row_t r = (lxw_row_t)(h + 1 + i);
    worksheet_write_number(ws, r, 0, (double)mb->slot, NULL);
    text(ws, r, 1, mb->offender_id, NULL);
    harm_report_member_reason(mb, buf, sizeof buf);
    text(ws, r, 2, buf, NULL);
    text(ws, r, 3, mb->partition, NULL);
    if (mb->score_rank) {
      worksheet_write_number(ws, r, 4, (double)mb->score_rank, NULL);
    }
    const harm_score *sc = mb->score;
    worksheet_write_number(ws, r, 5, sc ? sc->harm : 0.0, p->days);
    worksheet_write_number(ws, r, 6, sc ? sc->facts.offences : 0, NULL);
    worksheet_write_number(ws, r, 7, sc ? sc->facts.victims : 0, NULL);
    if (sc) {
      date_cell(ws, r, 8, sc->facts.last);
      if (sc->top_code >= 0) {
        text(ws, r, 9, harm_matrix_code(mx, (size_t)sc->top_code), NULL);
      }
      if (p->st == HARM_OK) {
        p->st = harm_report_breakdown(s, sc, 3, buf, sizeof buf, p->err);
        text(ws, r, 10, buf, NULL);
      }
    }
    text(ws, r, 11, mb->agencies, NULL);
    worksheet_write_number(ws, r, 12, mb->months_served, NULL);
    if (harm_cohort_rules_used(c)->rfgv && sc) {
      worksheet_write_number(ws, r, 13, mb->rfgv.total, NULL);
    }
  }
  worksheet_set_column(ws, 0, 0, 6, NULL);
  worksheet_set_column(ws, 1, 1, 14, NULL);
  worksheet_set_column(ws, 2, 2, 30, NULL);
  worksheet_set_column(ws, 3, 9, 12, NULL);
  worksheet_set_column(ws, 10, 10, 48, NULL);
  worksheet_set_column(ws, 11, 11, 28, NULL);
  if (n) {
    lxw_chart *chart = workbook_add_chart(p->wb, LXW_CHART_BAR);
    lxw_chart_series *series = chart_add_series(chart, NULL, NULL);
    chart_series_set_categories(series, "Cohort", h + 1, 1, (lxw_row_t)(h + n),
                                1);
    chart_series_set_values(series, "Cohort", h + 1, 5, (lxw_row_t)(h + n), 5);
    chart_series_set_name(series, "Harm (days)");
    chart_title_set_name(chart, "Harm by member (CCHI days in window)");
    chart_axis_set_reverse(chart->y_axis);
    chart_axis_set_interval_unit(chart->y_axis, 1); /* every member named */
    chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
    lxw_chart_options opt = {0};
    opt.x_scale = 1.6;
    opt.y_scale = n > 12 ? (double)n / 12.0 : 1.0; /* room for each name */
    worksheet_insert_chart_opt(ws, (lxw_row_t)(h + n + 3), 1, chart, &opt);
  }
}

static void sheet_movers(pack *p, const harm_cohort *c) {
  lxw_worksheet *ws = workbook_add_worksheet(p->wb, "Movers");
  static const char *const cols[] = {"Status", "Offender", "Previous rank",
                                     "Current rank", "Detail"};
  header(p, ws, 0, cols, 5);
  for (size_t i = 0; i < harm_cohort_n_moves(c); i++) {
    const harm_move *mv = harm_cohort_move(c, i);
    lxw_row_t r = (lxw_row_t)(i + 1);
    text(ws, r, 0, harm_report_move_name(mv->kind), NULL);
    text(ws, r, 1, mv->offender_id, NULL);
    if (mv->previous_rank) {
      worksheet_write_number(ws, r, 2, (double)mv->previous_rank, NULL);
    }
    if (mv->current_rank) {
      worksheet_write_number(ws, r, 3, (double)mv->current_rank, NULL);
    }
    text(ws, r, 4, mv->detail, NULL);
  }
  worksheet_set_column(ws, 0, 3, 14, NULL);
  worksheet_set_column(ws, 4, 4, 60, NULL);
}

static void sheet_breakdown(pack *p, const harm_manifest *m) {
  const harm_cohort *c = m->cohort;
  const harm_scores *s = harm_ranking_scores(harm_cohort_ranking(c));
  const harm_matrix *mx = harm_scores_matrix(s);
  lxw_worksheet *ws = workbook_add_worksheet(p->wb, "Breakdown");
  static const char *const cols[] = {"Offender", "Code",        "Description",
                                     "Offences", "Harm (days)", "Share"};
  header(p, ws, 0, cols, 6);
  lxw_row_t r = 1;
  for (size_t i = 0; i < harm_cohort_count(c) && p->st == HARM_OK; i++) {
    const harm_member *mb = harm_cohort_member(c, i);
    if (!mb->score) {
      continue;
    }
    harm_score_part *parts;
    size_t n;
    p->st = harm_score_parts(s, mb->score, &parts, &n, p->err);
    if (p->st != HARM_OK) {
      break;
    }
    /* Every code, by the score's own per-offence rule: the rows of a
     * member add up to their harm. */
    for (size_t k = 0; k < n; k++, r++) {
      const char *code = harm_matrix_code(mx, parts[k].code);
      const harm_weight *wt =
          m->weights ? harm_weights_find(m->weights, code) : NULL;
      text(ws, r, 0, mb->offender_id, NULL);
      text(ws, r, 1, code, NULL);
      text(ws, r, 2, wt ? wt->description : "(not in the weights table)", NULL);
      worksheet_write_number(ws, r, 3, parts[k].offences, NULL);
      worksheet_write_number(ws, r, 4, parts[k].harm, p->days);
      worksheet_write_number(ws, r, 5,
                             mb->score->harm_units > 0
                                 ? (double)parts[k].harm_units /
                                       (double)mb->score->harm_units
                                 : 0.0,
                             p->pct);
    }
    harm__free(parts);
  }
  worksheet_set_column(ws, 0, 1, 12, NULL);
  worksheet_set_column(ws, 2, 2, 50, NULL);
  worksheet_set_column(ws, 3, 5, 12, NULL);
}

static void sheet_notes(pack *p, const harm_cohort *c) {
  lxw_worksheet *ws = workbook_add_worksheet(p->wb, "Not selected");
  static const char *const cols[] = {"Note", "Offender", "Score rank",
                                     "Partition", "Detail"};
  header(p, ws, 0, cols, 5);
  for (size_t i = 0; i < harm_cohort_n_notes(c); i++) {
    const harm_note *n = harm_cohort_note(c, i);
    lxw_row_t r = (lxw_row_t)(i + 1);
    text(ws, r, 0, harm_report_note_name(n->kind), NULL);
    text(ws, r, 1, n->offender_id, NULL);
    if (n->score_rank) {
      worksheet_write_number(ws, r, 2, (double)n->score_rank, NULL);
    }
    text(ws, r, 3, n->partition, NULL);
    text(ws, r, 4, n->detail, NULL);
  }
  worksheet_set_column(ws, 0, 0, 26, NULL);
  worksheet_set_column(ws, 1, 3, 12, NULL);
  worksheet_set_column(ws, 4, 4, 70, NULL);
}

static void sheet_run(pack *p, const harm_manifest *m) {
  harm__xlsx_run_details(p->wb, m->command, m, p->bold);
}

harm_status harm_report_xlsx(const char *path, const harm_manifest *m,
                             harm_error *err) {
  if (!m || !m->cohort) {
    return harm__fail(err, HARM_ERR_USAGE, "report", path, 0, NULL,
                      "the workbook needs a cohort");
  }
  lxw_workbook_options wo = {0};
  wo.constant_memory = LXW_FALSE;
  pack p;
  memset(&p, 0, sizeof p);
  p.err = err;
  p.wb = workbook_new_opt(path, &wo);
  if (!p.wb) {
    return harm__fail(err, HARM_ERR_IO, "report", path, 0, NULL,
                      "cannot create the workbook");
  }
  harm__xlsx_set_created_from(p.wb, m);
  harm__xlsx_formats fmt = harm__xlsx_add_formats(p.wb);
  p.bold = fmt.bold;
  p.title = fmt.title;
  p.days = fmt.days;
  p.pct = fmt.pct;
  sheet_cohort(&p, m);
  sheet_movers(&p, m->cohort);
  sheet_breakdown(&p, m);
  sheet_notes(&p, m->cohort);
  sheet_run(&p, m);
  lxw_error e = workbook_close(p.wb);
  if (p.st != HARM_OK) {
    return p.st;
  }
  if (e != LXW_NO_ERROR) {
    return harm__fail(err, HARM_ERR_IO, "report", path, 0, NULL,
                      "cannot write the workbook: %s", lxw_strerror(e));
  }
  return HARM_OK;
}
