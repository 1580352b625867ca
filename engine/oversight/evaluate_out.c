/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/oversight/evaluate_out.c: evaluate.csv, evaluate_people.csv and
 * evaluate.xlsx (a summary with a chart of mean harm before and after per
 * group, the people, and how to read it). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <xlsxwriter.h>

#include "core/internal.h"
#include "oversight/internal.h"
#include "report/xlsx_cells.h"

static void num(FILE *fp, double v, bool last) {
  if (!isnan(v)) {
    fprintf(fp, "%.4f", v);
  }
  fputc(last ? '\n' : ',', fp);
}

static harm_status io(FILE *fp, harm_error *err) {
  if (ferror(fp)) {
    return harm__fail(err, HARM_ERR_IO, "evaluate", NULL, 0, NULL,
                      "write error");
  }
  return HARM_OK;
}

harm_status harm_evaluate_write_csv(FILE *fp, const harm_evaluation *e,
                                    harm_error *err) {
  fputs("group,people,harm_before,harm_after,change,change_low,change_high\n",
        fp);
  for (size_t i = 0; i < harm_evaluation_n_groups(e); i++) {
    const harm_evaluate_group *g = harm_evaluation_group(e, i);
    fprintf(fp, "%s,%zu,", g->group, g->people);
    num(fp, g->harm_before, false);
    num(fp, g->harm_after, false);
    num(fp, g->change, false);
    num(fp, g->change_low, false);
    num(fp, g->change_high, true);
  }
  return io(fp, err);
}

harm_status harm_evaluate_write_people(FILE *fp, const harm_evaluation *e,
                                       harm_error *err) {
  fputs("run_as_of,person,group,rank,harm_before,harm_after,change\n", fp);
  for (size_t i = 0; i < harm_evaluation_n_people(e); i++) {
    const harm_evaluate_person *p = harm_evaluation_person(e, i);
    char d[11];
    harm_date_format_iso(p->run_as_of, d);
    fprintf(fp, "%s,", d);
    harm_report_csv_field(fp, p->person, strlen(p->person), true);
    fprintf(fp, ",%s,%zu,", p->group, p->rank);
    num(fp, p->harm_before, false);
    num(fp, p->harm_after, false);
    num(fp, p->harm_after - p->harm_before, true);
  }
  return io(fp, err);
}

static void cell_num(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, double v,
                     lxw_format *f) {
  if (!isnan(v)) {
    worksheet_write_number(ws, r, c, v, f);
  }
}

static void sheet_summary(lxw_workbook *wb, const harm_evaluation *e,
                          const harm_config *cfg, const harm__xlsx_formats *f) {
  lxw_worksheet *ws = workbook_add_worksheet(wb, "Summary");
  harm__xlsx_text(ws, 0, 0,
                  "Did harm fall more than it would have anyway? Cohort "
                  "against the near-miss group",
                  f->title);
  harm__xlsx_text(ws, 1, 0,
                  "Mean harm per person in days (CCHI), before and after "
                  "selection; 95% bootstrap intervals of the change",
                  NULL);
  static const harm__xlsx_col cols[] = {{"Group", 28, false},
                                        {"People", 9, true},
                                        {"Harm before\n(mean days)", 19, true},
                                        {"Harm after\n(mean days)", 19, true},
                                        {"Change", 12, true},
                                        {"95% low", 12, true},
                                        {"95% high", 12, true}};
  const lxw_row_t h = 3;
  harm__xlsx_columns(ws, h, cols, sizeof cols / sizeof *cols, f);
  harm__xlsx_page pg = harm__xlsx_page_of(cfg, "Evaluation", HARM_DATE_NONE);
  harm__xlsx_print_setup(ws, h, 0, &pg);
  for (size_t i = 0; i < harm_evaluation_n_groups(e); i++) {
    const harm_evaluate_group *g = harm_evaluation_group(e, i);
    lxw_row_t r = (lxw_row_t)(h + 1 + i);
    harm__xlsx_text(ws, r, 0, g->group, NULL);
    worksheet_write_number(ws, r, 1, (double)g->people, NULL);
    cell_num(ws, r, 2, g->harm_before, f->days);
    cell_num(ws, r, 3, g->harm_after, f->days);
    cell_num(ws, r, 4, g->change, f->days);
    cell_num(ws, r, 5, g->change_low, f->days);
    cell_num(ws, r, 6, g->change_high, f->days);
  }
  worksheet_set_column(ws, 0, 0, 28, NULL);
  worksheet_set_column(ws, 1, 1, 9, NULL);
  worksheet_set_column(ws, 2, 3, 19, NULL);
  worksheet_set_column(ws, 4, 6, 12, NULL);
  /* Before and after side by side for the two groups (rows h+1, h+2). */
  lxw_chart *ch = workbook_add_chart(wb, LXW_CHART_COLUMN);
  lxw_chart_series *s1 = chart_add_series(ch, NULL, NULL);
  chart_series_set_categories(s1, "Summary", h + 1, 0, h + 2, 0);
  chart_series_set_values(s1, "Summary", h + 1, 2, h + 2, 2);
  chart_series_set_name(s1, "Before selection");
  lxw_chart_series *s2 = chart_add_series(ch, NULL, NULL);
  chart_series_set_categories(s2, "Summary", h + 1, 0, h + 2, 0);
  chart_series_set_values(s2, "Summary", h + 1, 3, h + 2, 3);
  chart_series_set_name(s2, "After selection");
  chart_title_set_name(ch, "Mean harm per person (days)");
  chart_axis_set_name(ch->y_axis, "days");
  chart_legend_set_position(ch, LXW_CHART_LEGEND_BOTTOM);
  lxw_chart_options co = {.x_scale = 1.4, .y_scale = 1.2};
  worksheet_insert_chart_opt(ws, h + 5, 0, ch, &co);
}

static void sheet_people(lxw_workbook *wb, const harm_evaluation *e,
                         const harm_config *cfg, const harm__xlsx_formats *f) {
  lxw_worksheet *ws = workbook_add_worksheet(wb, "People");
  static const harm__xlsx_col cols[] = {
      {"Run as of", 11, false},   {"Person", 24, false},
      {"Group", 12, false},       {"Pool\nrank", 7, true},
      {"Harm\nbefore", 10, true}, {"Harm\nafter", 10, true},
      {"Change", 10, true}};
  harm__xlsx_columns(ws, 0, cols, sizeof cols / sizeof *cols, f);
  harm__xlsx_page pg =
      harm__xlsx_page_of(cfg, "Evaluation: people", HARM_DATE_NONE);
  harm__xlsx_print_setup(ws, 0, 0, &pg);
  for (size_t i = 0; i < harm_evaluation_n_people(e); i++) {
    const harm_evaluate_person *p = harm_evaluation_person(e, i);
    lxw_row_t r = (lxw_row_t)(i + 1);
    char d[11];
    harm_date_format_iso(p->run_as_of, d);
    harm__xlsx_text(ws, r, 0, d, NULL);
    harm__xlsx_text(ws, r, 1, p->person, NULL);
    harm__xlsx_text(ws, r, 2, p->group, NULL);
    worksheet_write_number(ws, r, 3, (double)p->rank, NULL);
    worksheet_write_number(ws, r, 4, p->harm_before, f->days);
    worksheet_write_number(ws, r, 5, p->harm_after, f->days);
    worksheet_write_number(ws, r, 6, p->harm_after - p->harm_before, f->days);
  }
  worksheet_set_column(ws, 0, 0, 12, NULL);
  worksheet_set_column(ws, 1, 1, 26, NULL);
  worksheet_set_column(ws, 2, 2, 13, NULL);
  worksheet_set_column(ws, 3, 6, 13, NULL);
}

static void sheet_read(lxw_workbook *wb, const harm_evaluation *e,
                       const harm__xlsx_formats *f) {
  lxw_worksheet *ws = workbook_add_worksheet(wb, "How to read");
  lxw_format *wrap = workbook_add_format(wb);
  format_set_text_wrap(wrap);
  format_set_align(wrap, LXW_ALIGN_VERTICAL_TOP);
  lxw_row_t r = 0;
  char buf[1600];
  harm__xlsx_text(ws, r++, 0, "How to read this evaluation", f->title);
  static const char *const lines[] = {
      "Cohort: the core members of each list (referral and tenure places "
      "are left out). Comparison: the people ranked just below the cut in "
      "the same pool (the near-miss group), who were not on the list.",
      "People are selected when their harm is highest, so their harm falls "
      "afterwards whether or not the panel works (regression to the mean). "
      "The near-miss group falls for the same reason. The difference-in-"
      "differences (cohort change minus comparison change) is the part of "
      "the fall the cohort's own change does not share with people just "
      "below the cut.",
      "Not a randomised trial. The comparison is only fair if people just "
      "above and just below the cut would have changed alike; they differ "
      "in harm by construction. Read a wide interval that crosses 0 as no "
      "evidence either way.",
      "Harm counts only crimes the weights do not mark as proactive "
      "(police-generated), as the CCHI does: more police attention to "
      "listed people then shows up less as more harm. Offences recorded "
      "late, or linked to other ids, are not seen.",
      "Intervals: percentiles 2.5 and 97.5 of a bootstrap that resamples "
      "people with replacement within each group (a person in several "
      "months counts once per month)."};
  for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
    harm__xlsx_text(ws, r, 0, lines[i], wrap);
    worksheet_set_row(ws, r++, 62, NULL);
  }
  r++;
  harm__xlsx_text(ws, r++, 0, "Runs", f->bold);
  for (size_t i = 0; i < harm_evaluation_n_runs(e); i++) {
    const harm_evaluate_run *x = harm_evaluation_run(e, i);
    char a[11], b[11];
    harm_date_format_iso(x->as_of, a);
    harm_date_format_iso(x->after_end, b);
    snprintf(buf, sizeof buf,
             "%s: selected as of %s (before: %" PRIu32
             " days to then; after: %" PRIu32
             " days to %s); list size %zu; comparison pool ranks %zu-%zu",
             x->folder, a, x->before_days, x->after_days, b, x->cohort_size,
             x->comparison_first, x->comparison_last);
    harm__xlsx_text(ws, r, 0, buf, wrap);
    worksheet_set_row(ws, r++, 32, NULL);
  }
  snprintf(buf, sizeof buf, "Bootstrap: %zu draws, seed %" PRIu64,
           harm_evaluation_draws(e), harm_evaluation_seed(e));
  harm__xlsx_text(ws, r++, 0, buf, NULL);
  if (harm_evaluation_n_notes(e)) {
    r++;
    harm__xlsx_text(ws, r++, 0, "Notes", f->bold);
  }
  for (size_t i = 0; i < harm_evaluation_n_notes(e); i++) {
    harm__xlsx_text(ws, r, 0, harm_evaluation_note(e, i), wrap);
    worksheet_set_row(ws, r++, 32, NULL);
  }
  worksheet_set_column(ws, 0, 0, 110, NULL);
  worksheet_set_landscape(ws);
  worksheet_set_paper(ws, 9);
  worksheet_fit_to_pages(ws, 1, 0);
}

harm_status harm_evaluate_write_xlsx(const char *path, const harm_evaluation *e,
                                     const harm_config *cfg, harm_error *err) {
  lxw_workbook *wb = workbook_new(path);
  if (!wb) {
    return harm__fail(err, HARM_ERR_IO, "evaluate", path, 0, NULL,
                      "cannot create the workbook");
  }
  harm__xlsx_set_created(wb, harm_evaluation_n_runs(e)
                                 ? harm_evaluation_run(e, 0)->after_end
                                 : HARM_DATE_NONE);
  harm__xlsx_formats f = harm__xlsx_add_formats(wb);
  sheet_summary(wb, e, cfg, &f);
  sheet_people(wb, e, cfg, &f);
  sheet_read(wb, e, &f);
  if (workbook_close(wb) != LXW_NO_ERROR) {
    return harm__fail(err, HARM_ERR_IO, "evaluate", path, 0, NULL,
                      "cannot write the workbook");
  }
  return HARM_OK;
}
