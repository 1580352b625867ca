/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/report/analysis_out.c: the analysis commands' outputs: one CSV
 * per table (concentration, power few, Lorenz, deciles, comparisons, who
 * moves, sweep) and analysis.xlsx with native charts (a square Lorenz
 * curve with the line of equality and harm by decile, one page per group;
 * rank under A against rank under B for each comparison; sweep
 * membership naming every person shown), printed A4 landscape. Text cells are
 * strings, never formulas, and values starting with = + - @ get a leading
 * quote, as in every other output. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <xlsxwriter.h>

#include "report/xlsx_cells.h"

#include "core/internal.h"
#include "harmrank/report.h"

static const char *const table_names[] = {
    "concentration.csv", "power_few.csv",    "lorenz.csv", "deciles.csv",
    "compare.csv",       "compare_topk.csv", "sweep.csv"};

const char *harm_report_analysis_table_name(harm_analysis_table t) {
  return (size_t)t < sizeof table_names / sizeof *table_names ? table_names[t]
                                                              : "unknown.csv";
}

static void field(FILE *fp, const char *s) {
  harm_report_csv_field(fp, s ? s : "", s ? strlen(s) : 0, true);
}

/* A number, or an empty field for NaN (an undefined correlation). */
static void num(FILE *fp, const char *fmt, double v) {
  if (isnan(v)) {
    return;
  }
  fprintf(fp, fmt, v);
}

static const char *topk_name(harm_topk_status s) {
  return s == HARM_TOPK_STAYED    ? "stayed"
         : s == HARM_TOPK_ENTERED ? "entered"
                                  : "left";
}

static const char *partition_name(const harm_dataset *ds, int32_t area) {
  return area >= 0 ? harm_dataset_area(ds, (size_t)area) : "";
}

static void write_concentration(FILE *fp, const harm_analysis_pack *p) {
  fputs("group,subjects,total_harm,gini\n", fp);
  for (size_t g = 0; g < p->n_groups; g++) {
    const harm_analysis_concentration *c = p->groups[g];
    field(fp, p->group_names[g]);
    fprintf(fp, ",%zu,%.4f,%.6f\n", harm_analysis_concentration_count(c),
            harm_analysis_concentration_total(c),
            harm_analysis_concentration_gini(c));
  }
}

static void write_power_few(FILE *fp, const harm_analysis_pack *p) {
  fputs("group,measure,subjects,subject_share,harm_share\n", fp);
  for (size_t g = 0; g < p->n_groups; g++) {
    const harm_power_few *pf =
        harm_analysis_concentration_power_few(p->groups[g]);
    for (size_t t = 0; t < HARM_POWER_FEW_N_TOP; t++) {
      field(fp, p->group_names[g]);
      fprintf(fp, ",top %g%% of subjects,%zu,%.6f,%.6f\n",
              pf->top_fraction[t] * 100, pf->top_count[t],
              pf->n ? (double)pf->top_count[t] / (double)pf->n : 0.0,
              pf->top_share[t]);
    }
    for (size_t h = 0; h < HARM_POWER_FEW_N_HARM; h++) {
      field(fp, p->group_names[g]);
      fprintf(fp, ",subjects causing %g%% of harm,%zu,%.6f,%.6f\n",
              pf->harm_fraction[h] * 100, pf->harm_count[h],
              pf->harm_offender_share[h], pf->harm_fraction[h]);
    }
  }
}

static void write_lorenz(FILE *fp, const harm_analysis_pack *p) {
  fputs("group,percentile,subject_share,harm_share\n", fp);
  for (size_t g = 0; g < p->n_groups; g++) {
    for (size_t k = 0; k <= 100; k++) {
      field(fp, p->group_names[g]);
      fprintf(fp, ",%zu,%.2f,%.6f\n", k, (double)k / 100.0,
              harm_analysis_concentration_lorenz(p->groups[g], k));
    }
  }
}

static void write_deciles(FILE *fp, const harm_analysis_pack *p) {
  fputs("group,decile,harm,harm_share\n", fp);
  for (size_t g = 0; g < p->n_groups; g++) {
    const harm_analysis_concentration *c = p->groups[g];
    for (size_t d = 1; d <= 10; d++) {
      double share = harm_analysis_concentration_decile(c, d);
      field(fp, p->group_names[g]);
      fprintf(fp, ",%zu,%.4f,%.6f\n", d,
              share * harm_analysis_concentration_total(c), share);
    }
  }
}

static void write_compare(FILE *fp, const harm_analysis_pack *p) {
  fputs("weights_a,weights_b,subjects,spearman,kendall_tau_b,k,common,"
        "jaccard\n",
        fp);
  for (size_t i = 0; i < p->n_comparisons; i++) {
    const harm_analysis_comparison *c = p->comparisons[i];
    harm_rank_correlation rc = harm_analysis_comparison_correlation(c);
    field(fp, p->labels_a[i]);
    fputc(',', fp);
    field(fp, p->labels_b[i]);
    fprintf(fp, ",%zu,", rc.n);
    num(fp, "%.6f", rc.spearman);
    fputc(',', fp);
    num(fp, "%.6f", rc.kendall);
    fprintf(fp, ",%zu,%zu,%.6f\n", harm_analysis_comparison_k(c),
            harm_analysis_comparison_common(c),
            harm_analysis_comparison_jaccard(c));
  }
}

static void write_compare_topk(FILE *fp, const harm_analysis_pack *p) {
  fputs("weights_a,weights_b,status,offender_id,rank_a,rank_b,rank_change,"
        "harm_a,harm_b\n",
        fp);
  for (size_t i = 0; i < p->n_comparisons; i++) {
    const harm_analysis_comparison *c = p->comparisons[i];
    const harm_dataset *ds = p->dataset;
    for (size_t k = 0; k < harm_analysis_comparison_n_moves(c); k++) {
      const harm_topk_move *mv = harm_analysis_comparison_move(c, k);
      field(fp, p->labels_a[i]);
      fputc(',', fp);
      field(fp, p->labels_b[i]);
      fprintf(fp, ",%s,", topk_name(mv->status));
      field(fp, harm_dataset_subject_id(ds, mv->subject, NULL));
      fprintf(fp, ",%zu,%zu,%ld,%.4f,%.4f\n", mv->rank_a, mv->rank_b,
              mv->rank_change, mv->harm_a, mv->harm_b);
    }
  }
}

static void write_sweep(FILE *fp, const harm_analysis_pack *p) {
  fputs("offender_id,draws_in,draws,share,wilson_low,wilson_high,base_rank,"
        "base_core,partition\n",
        fp);
  const harm_analysis_sweep *s = p->sweep;
  if (!s) {
    return;
  }
  const harm_dataset *ds = p->dataset;
  for (size_t i = 0; i < harm_analysis_sweep_count(s); i++) {
    const harm_sweep_row *r = harm_analysis_sweep_row(s, i);
    field(fp, harm_dataset_subject_id(ds, r->subject, NULL));
    fprintf(fp, ",%zu,%zu,%.6f,%.6f,%.6f,%zu,%d,", r->draws_in,
            harm_analysis_sweep_draws(s), r->share, r->wilson_lo, r->wilson_hi,
            r->base_rank, r->base_core ? 1 : 0);
    field(fp, partition_name(ds, r->area));
    fputc('\n', fp);
  }
}

harm_status harm_report_analysis_csv(FILE *fp, const harm_analysis_pack *p,
                                     harm_analysis_table t, harm_error *err) {
  if (!fp || !p) {
    return harm__fail(err, HARM_ERR_USAGE, "report", NULL, 0, NULL,
                      "NULL argument");
  }
  switch (t) {
  case HARM_TABLE_CONCENTRATION:
    write_concentration(fp, p);
    break;
  case HARM_TABLE_POWER_FEW:
    write_power_few(fp, p);
    break;
  case HARM_TABLE_LORENZ:
    write_lorenz(fp, p);
    break;
  case HARM_TABLE_DECILES:
    write_deciles(fp, p);
    break;
  case HARM_TABLE_COMPARE:
    write_compare(fp, p);
    break;
  case HARM_TABLE_COMPARE_TOPK:
    write_compare_topk(fp, p);
    break;
  case HARM_TABLE_SWEEP:
    write_sweep(fp, p);
    break;
  default:
    return harm__fail(err, HARM_ERR_USAGE, "report", NULL, 0, NULL,
                      "unknown analysis table %d", (int)t);
  }
  if (ferror(fp)) {
    return harm__fail(err, HARM_ERR_IO, "report", NULL, 0, NULL, "write error");
  }
  return HARM_OK;
}

/* ---- analysis.xlsx --------------------------------------------------- */

typedef struct book {
  lxw_workbook *wb;
  harm__xlsx_formats f;
  harm__xlsx_page pg;
  lxw_format *ratio;
  lxw_format *note;
  int n_sheets;
} book;

static void text(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s,
                 lxw_format *f) {
  harm__xlsx_text(ws, r, c, s, f);
}

/* A sheet name: Excel allows 31 characters and forbids []:*?/\ ; names
 * must be unique, so each carries its number. */
static lxw_worksheet *add_sheet(book *b, const char *base, const char *group,
                                char *name, size_t cap) {
  char clean[64];
  size_t k = 0;
  for (const char *s = group; s && *s && k + 1 < sizeof clean; s++) {
    clean[k++] = strchr("[]:*?/\\'", *s) ? '_' : *s;
  }
  clean[k] = '\0';
  b->n_sheets++;
  if (group) {
    snprintf(name, cap, "%d %s %.18s", b->n_sheets, base, clean);
  } else {
    snprintf(name, cap, "%.28s", base);
  }
  return workbook_add_worksheet(b->wb, name);
}

/* Width of a text column: its longest entry (and header line `min`),
 * at most `max` (longer entries wrap). */
static double fit_width(size_t longest, double min, double max) {
  double w = (double)longest + 1.0;
  return w < min ? min : w > max ? max : w;
}

/* Shares on a chart axis as whole percentages from 0 to 100%. */
static void percent_axis(lxw_chart_axis *a) {
  chart_axis_set_num_format(a, "0%");
  chart_axis_set_min(a, 0);
  chart_axis_set_max(a, 1);
  chart_axis_set_major_unit(a, 0.2);
}

static void sheet_concentration(book *b, const harm_analysis_pack *p) {
  lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Concentration");
  text(ws, 0, 0, "How concentrated harm is", b->f.title);
  size_t longest = 5;
  for (size_t g = 0; g < p->n_groups; g++) {
    size_t l = strlen(p->group_names[g]);
    longest = l > longest ? l : longest;
  }
  const harm__xlsx_col cols[] = {{"Group", fit_width(longest, 8, 24), false},
                                 {"Subjects", 9, true},
                                 {"Total harm\n(days)", 11, true},
                                 {"Gini", 7, true},
                                 {"Harm of\ntop 1%", 8, true},
                                 {"Harm of\ntop 2%", 8, true},
                                 {"Harm of\ntop 5%", 8, true},
                                 {"Harm of\ntop 10%", 8, true},
                                 {"Subjects\nfor 50%\nof harm", 9, true},
                                 {"Subjects\nfor 80%\nof harm", 9, true},
                                 {"Subjects\nfor 90%\nof harm", 9, true}};
  const lxw_row_t h = 2;
  harm__xlsx_columns(ws, h, cols, sizeof cols / sizeof *cols, &b->f);
  for (size_t g = 0; g < p->n_groups; g++) {
    const harm_analysis_concentration *c = p->groups[g];
    const harm_power_few *pf = harm_analysis_concentration_power_few(c);
    lxw_row_t r = (lxw_row_t)(h + 1 + g);
    text(ws, r, 0, p->group_names[g], b->f.wrap);
    worksheet_write_number(ws, r, 1, (double)pf->n, b->f.count);
    worksheet_write_number(ws, r, 2, pf->total, b->f.days);
    worksheet_write_number(ws, r, 3, harm_analysis_concentration_gini(c),
                           b->ratio);
    for (size_t t = 0; t < HARM_POWER_FEW_N_TOP; t++) {
      worksheet_write_number(ws, r, (lxw_col_t)(4 + t), pf->top_share[t],
                             b->f.pct);
    }
    for (size_t k = 0; k < HARM_POWER_FEW_N_HARM; k++) {
      worksheet_write_number(ws, r, (lxw_col_t)(8 + k),
                             pf->harm_offender_share[k], b->f.pct);
    }
  }
  lxw_row_t r = (lxw_row_t)(h + 2 + p->n_groups);
  worksheet_merge_range(ws, r, 0, r, 10,
                        "Harm of top q%: share of harm caused by the "
                        "ceil(q% x n) most harmful subjects. Subjects for X% "
                        "of harm: the fewest subjects, most harmful first, "
                        "whose harm reaches X% of the total, as a share of "
                        "all subjects. Each group's curve and deciles are on "
                        "the sheets that follow.",
                        b->note);
  worksheet_set_row(ws, r, 45, NULL);
  harm__xlsx_print_setup(ws, h, 0, &b->pg);
}

/* A group's small tables under the header row h: the Lorenz curve every
 * 10% and harm by decile. */
static void group_tables(book *b, lxw_worksheet *ws,
                         const harm_analysis_concentration *c, lxw_row_t h) {
  const harm__xlsx_col cols[] = {{"Share of\nsubjects", 10, true},
                                 {"Share of\nharm", 9, true},
                                 {"", 3, false},
                                 {"Decile of subjects", 19, false},
                                 {"Harm\n(days)", 11, true},
                                 {"Share of\nharm", 9, true}};
  harm__xlsx_columns(ws, h, cols, sizeof cols / sizeof *cols, &b->f);
  for (size_t k = 0; k <= 10; k++) {
    lxw_row_t r = (lxw_row_t)(h + 1 + k);
    worksheet_write_number(ws, r, 0, (double)k / 10.0, b->f.pct);
    worksheet_write_number(
        ws, r, 1, harm_analysis_concentration_lorenz(c, k * 10), b->f.pct);
  }
  for (size_t d = 1; d <= 10; d++) {
    lxw_row_t r = (lxw_row_t)(h + d);
    double share = harm_analysis_concentration_decile(c, d);
    char label[32];
    snprintf(label, sizeof label, "D%zu%s", d,
             d == 1    ? " (most harmful)"
             : d == 10 ? " (least)"
                       : "");
    text(ws, r, 3, label, NULL);
    worksheet_write_number(
        ws, r, 4, share * harm_analysis_concentration_total(c), b->f.days);
    worksheet_write_number(ws, r, 5, share, b->f.pct);
  }
}

/* The chart data from column dc: every percentile, and the line of
 * equality. */
static void group_chart_data(book *b, lxw_worksheet *ws,
                             const harm_analysis_concentration *c, lxw_row_t h,
                             lxw_col_t dc) {
  text(ws, h, dc, "Chart data: share of subjects", b->f.head_num);
  text(ws, h, dc + 1, "Share of harm", b->f.head_num);
  text(ws, h, dc + 2, "Equality", b->f.head_num);
  worksheet_set_column(ws, dc, dc, 28, NULL);
  worksheet_set_column(ws, dc + 1, dc + 2, 14, NULL);
  for (size_t k = 0; k <= 100; k++) {
    lxw_row_t r = (lxw_row_t)(h + 1 + k);
    worksheet_write_number(ws, r, dc, (double)k / 100.0, b->f.pct);
    worksheet_write_number(ws, r, dc + 1,
                           harm_analysis_concentration_lorenz(c, k), b->f.pct);
    worksheet_write_number(ws, r, dc + 2, (double)k / 100.0, b->f.pct);
  }
}

/* The Lorenz curve with the line of equality, from the chart data of
 * sheet `name`. */
static lxw_chart *lorenz_chart(book *b, const char *name, lxw_row_t h,
                               lxw_col_t dc) {
  lxw_chart *chart = workbook_add_chart(b->wb, LXW_CHART_SCATTER_STRAIGHT);
  lxw_chart_series *s = chart_add_series(chart, NULL, NULL);
  chart_series_set_categories(s, name, h + 1, dc, h + 101, dc);
  chart_series_set_values(s, name, h + 1, dc + 1, h + 101, dc + 1);
  chart_series_set_name(s, "Lorenz curve");
  lxw_chart_line curve = {0};
  curve.color = 0x1F4E79;
  curve.width = 2.25;
  chart_series_set_line(s, &curve);
  lxw_chart_series *e = chart_add_series(chart, NULL, NULL);
  chart_series_set_categories(e, name, h + 1, dc, h + 101, dc);
  chart_series_set_values(e, name, h + 1, dc + 2, h + 101, dc + 2);
  chart_series_set_name(e, "Equality (everyone the same)");
  lxw_chart_line eq = {0};
  eq.color = 0x808080;
  eq.width = 1.25;
  eq.dash_type = LXW_CHART_LINE_DASH_DASH;
  chart_series_set_line(e, &eq);
  chart_title_set_name(chart, "Lorenz curve of harm");
  chart_axis_set_name(chart->x_axis, "Share of subjects, least harmful first");
  chart_axis_set_name(chart->y_axis, "Share of harm");
  percent_axis(chart->x_axis);
  percent_axis(chart->y_axis);
  chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
  return chart;
}

/* The share of harm by decile, from the decile table of sheet `name`. */
static lxw_chart *decile_chart(book *b, const char *name, lxw_row_t h) {
  lxw_chart *dec = workbook_add_chart(b->wb, LXW_CHART_COLUMN);
  lxw_chart_series *ds = chart_add_series(dec, NULL, NULL);
  chart_series_set_categories(ds, name, h + 1, 3, h + 10, 3);
  chart_series_set_values(ds, name, h + 1, 5, h + 10, 5);
  chart_series_set_name(ds, "Share of harm");
  chart_title_set_name(dec, "Share of harm by decile of subjects");
  chart_axis_set_num_format(dec->y_axis, "0%");
  chart_axis_set_min(dec->y_axis, 0);
  chart_axis_set_max(dec->y_axis, 1);
  chart_legend_set_position(dec, LXW_CHART_LEGEND_NONE);
  return dec;
}

/* One page per group: the Lorenz curve (square, with the line of
 * equality) and harm by decile, over small tables; the curve's 101
 * points sit to the right, outside the print area. */
static void sheet_group(book *b, const harm_analysis_pack *p, size_t g) {
  char name[40], title[200];
  lxw_worksheet *ws =
      add_sheet(b, "Curve", p->group_names[g], name, sizeof name);
  const harm_analysis_concentration *c = p->groups[g];
  snprintf(title, sizeof title, "How harm is spread: %.120s (Gini %.3f)",
           p->group_names[g], harm_analysis_concentration_gini(c));
  text(ws, 0, 0, title, b->f.title);
  const lxw_row_t h = 2;
  group_tables(b, ws, c, h);
  const lxw_col_t dc = 14;
  group_chart_data(b, ws, c, h, dc);
  lxw_chart *chart = lorenz_chart(b, name, h, dc);
  lxw_chart_options opt = {0};
  opt.x_scale = 400.0 / 480.0; /* 400 x 400 pixels: a square */
  opt.y_scale = 400.0 / 288.0;
  const lxw_row_t at = h + 13;
  worksheet_insert_chart_opt(ws, at, 0, chart, &opt);

  lxw_chart *dec = decile_chart(b, name, h);
  lxw_chart_options dopt = {0};
  dopt.x_offset = 420;
  dopt.x_scale = 460.0 / 480.0;
  dopt.y_scale = 400.0 / 288.0;
  worksheet_insert_chart_opt(ws, at, 0, dec, &dopt);
  /* Tables and both charts (400 pixels = 20 rows) on one page. */
  worksheet_print_area(ws, 0, 0, at + 21, 12);
  harm__xlsx_print_setup(ws, -1, 1, &b->pg);
}

/* The longest weights label and the longest id among the moves, in
 * characters, for the column widths. */
static void compare_widths(const harm_analysis_pack *p, size_t *longest_out,
                           size_t *id_len_out) {
  size_t longest = 9, id_len = 8;
  for (size_t i = 0; i < p->n_comparisons; i++) {
    size_t la = strlen(p->labels_a[i]), lb = strlen(p->labels_b[i]);
    longest = la > longest ? la : longest;
    longest = lb > longest ? lb : longest;
    const harm_dataset *ds = p->dataset;
    const harm_analysis_comparison *c = p->comparisons[i];
    for (size_t k = 0; k < harm_analysis_comparison_n_moves(c); k++) {
      size_t l = strlen(harm_dataset_subject_id(
          ds, harm_analysis_comparison_move(c, k)->subject, NULL));
      id_len = l > id_len ? l : id_len;
    }
  }
  *longest_out = longest;
  *id_len_out = id_len;
}

/* The Compare sheet's table: one row per comparison, its header at row
 * h. */
static void compare_table(book *b, lxw_worksheet *ws,
                          const harm_analysis_pack *p, double lw, lxw_row_t h) {
  text(ws, 0, 0, "Do the weightings pick the same people?", b->f.title);
  const harm__xlsx_col cols[] = {
      {"Weights A", lw, false},    {"Weights B", lw, false},
      {"Subjects", 9, true},       {"Spearman", 9, true},
      {"Kendall\ntau-b", 8, true}, {"K", 5, true},
      {"In both\ntop K", 8, true}, {"Jaccard", 8, true}};
  harm__xlsx_columns(ws, h, cols, 8, &b->f);
  for (size_t i = 0; i < p->n_comparisons; i++) {
    const harm_analysis_comparison *c = p->comparisons[i];
    harm_rank_correlation rc = harm_analysis_comparison_correlation(c);
    lxw_row_t r = (lxw_row_t)(h + 1 + i);
    text(ws, r, 0, p->labels_a[i], b->f.wrap);
    text(ws, r, 1, p->labels_b[i], b->f.wrap);
    worksheet_write_number(ws, r, 2, (double)rc.n, b->f.count);
    if (!isnan(rc.spearman)) {
      worksheet_write_number(ws, r, 3, rc.spearman, b->ratio);
    }
    if (!isnan(rc.kendall)) {
      worksheet_write_number(ws, r, 4, rc.kendall, b->ratio);
    }
    worksheet_write_number(ws, r, 5, (double)harm_analysis_comparison_k(c),
                           b->f.count);
    worksheet_write_number(ws, r, 6, (double)harm_analysis_comparison_common(c),
                           b->f.count);
    worksheet_write_number(ws, r, 7, harm_analysis_comparison_jaccard(c),
                           b->ratio);
  }
}

/* Where one comparison's moves are on the Top K moves sheet: the first
 * and last row of each status (0: none), and the largest rank. */
typedef struct move_rows {
  lxw_row_t first[3], last[3];
  size_t max_rank;
} move_rows;

/* Writes comparison i's moves from row *r of the Top K moves sheet on,
 * advancing *r, and notes in out where each status is. */
static void compare_moves(book *b, lxw_worksheet *mv,
                          const harm_analysis_pack *p, size_t i, double mw,
                          lxw_row_t *r, move_rows *out) {
  const harm_analysis_comparison *c = p->comparisons[i];
  const harm_dataset *ds = p->dataset;
  move_rows mr = {{0, 0, 0}, {0, 0, 0}, 1};
  for (size_t k = 0; k < harm_analysis_comparison_n_moves(c); k++, (*r)++) {
    const harm_topk_move *m = harm_analysis_comparison_move(c, k);
    text(mv, *r, 0, p->labels_a[i], b->f.wrap);
    text(mv, *r, 1, p->labels_b[i], b->f.wrap);
    size_t la = harm__xlsx_lines(p->labels_a[i], mw),
           lb = harm__xlsx_lines(p->labels_b[i], mw);
    harm__xlsx_row_height(mv, *r, la > lb ? la : lb);
    text(mv, *r, 2, topk_name(m->status), b->f.top);
    text(mv, *r, 3, harm_dataset_subject_id(ds, m->subject, NULL), b->f.top);
    worksheet_write_number(mv, *r, 4, (double)m->rank_a, b->f.count);
    worksheet_write_number(mv, *r, 5, (double)m->rank_b, b->f.count);
    worksheet_write_number(mv, *r, 6, (double)m->rank_change, b->f.top);
    worksheet_write_number(mv, *r, 7, m->harm_a, b->f.days);
    worksheet_write_number(mv, *r, 8, m->harm_b, b->f.days);
    size_t st = (size_t)m->status < 3 ? (size_t)m->status : 0;
    if (!mr.first[st]) {
      mr.first[st] = *r;
    }
    mr.last[st] = *r;
    mr.max_rank = m->rank_a > mr.max_rank ? m->rank_a : mr.max_rank;
    mr.max_rank = m->rank_b > mr.max_rank ? m->rank_b : mr.max_rank;
  }
  *out = mr;
}

/* Comparison i's chart on the Compare sheet: rank under B against rank
 * under A of everyone in either top K, by status, two charts a row from
 * chart_row. */
static void compare_chart(book *b, lxw_worksheet *ws,
                          const harm_analysis_comparison *c, size_t i,
                          const move_rows *mr, lxw_row_t chart_row) {
  lxw_chart *chart = workbook_add_chart(b->wb, LXW_CHART_SCATTER);
  static const struct {
    harm_topk_status st;
    const char *name;
    uint8_t marker;
    lxw_color_t color;
  } ser[] = {
      {HARM_TOPK_STAYED, "In both top K", LXW_CHART_MARKER_CIRCLE, 0x1F4E79},
      {HARM_TOPK_ENTERED, "Entered top K under B", LXW_CHART_MARKER_TRIANGLE,
       0x2E7D32},
      {HARM_TOPK_LEFT, "Left top K under B", LXW_CHART_MARKER_SQUARE,
       0xC62828}};
  for (size_t k = 0; k < 3; k++) {
    size_t st = (size_t)ser[k].st;
    if (!mr->first[st]) {
      continue;
    }
    lxw_chart_series *s = chart_add_series(chart, NULL, NULL);
    chart_series_set_categories(s, "Top K moves", mr->first[st], 4,
                                mr->last[st], 4);
    chart_series_set_values(s, "Top K moves", mr->first[st], 5, mr->last[st],
                            5);
    chart_series_set_name(s, ser[k].name);
    chart_series_set_marker_type(s, ser[k].marker);
    chart_series_set_marker_size(s, 7);
    lxw_chart_fill fill = {0};
    fill.color = ser[k].color;
    lxw_chart_line edge = {0};
    edge.color = ser[k].color;
    chart_series_set_marker_fill(s, &fill);
    chart_series_set_marker_line(s, &edge);
  }
  char title[200];
  snprintf(title, sizeof title, "Rank under A against rank under B (top %zu)",
           harm_analysis_comparison_k(c));
  chart_title_set_name(chart, title);
  chart_axis_set_name(chart->x_axis, "Rank under weights A");
  chart_axis_set_name(chart->y_axis, "Rank under weights B");
  chart_axis_set_min(chart->x_axis, 0);
  chart_axis_set_min(chart->y_axis, 0);
  chart_axis_set_max(chart->x_axis, (double)mr->max_rank + 1);
  chart_axis_set_max(chart->y_axis, (double)mr->max_rank + 1);
  chart_axis_set_reverse(chart->y_axis);
  chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
  lxw_chart_options opt = {0};
  opt.x_scale = 520.0 / 480.0;
  opt.y_scale = 440.0 / 288.0;
  opt.x_offset = (int32_t)(i % 2) * 540;
  worksheet_insert_chart_opt(ws, (lxw_row_t)(chart_row + (i / 2) * 23), 0,
                             chart, &opt);
}

/* The Compare sheet (correlations and top-K overlap, with a chart for
 * each of the first four comparisons) and the Top K moves sheet. */
static void sheet_compare(book *b, const harm_analysis_pack *p) {
  lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Compare");
  size_t longest, id_len;
  compare_widths(p, &longest, &id_len);
  double lw = fit_width(longest, 10, 40);
  const lxw_row_t h = 2;
  compare_table(b, ws, p, lw, h);

  lxw_worksheet *mv = workbook_add_worksheet(b->wb, "Top K moves");
  double mw = fit_width(longest, 10, 44);
  const harm__xlsx_col mcols[] = {{"Weights A", mw, false},
                                  {"Weights B", mw, false},
                                  {"Status", 8, false},
                                  {"Offender", fit_width(id_len, 9, 30), false},
                                  {"Rank A", 7, true},
                                  {"Rank B", 7, true},
                                  {"Rank change\n(up +)", 11, true},
                                  {"Harm A\n(days)", 9, true},
                                  {"Harm B\n(days)", 9, true}};
  harm__xlsx_columns(mv, 0, mcols, 9, &b->f);
  lxw_row_t r = 1;
  /* One chart per comparison (the first four). */
  lxw_row_t chart_row = (lxw_row_t)(h + 2 + p->n_comparisons);
  for (size_t i = 0; i < p->n_comparisons; i++) {
    const harm_analysis_comparison *c = p->comparisons[i];
    move_rows mr;
    compare_moves(b, mv, p, i, mw, &r, &mr);
    if (i >= 4 || harm_analysis_comparison_n_moves(c) == 0) {
      continue;
    }
    compare_chart(b, ws, c, i, &mr, chart_row);
  }
  harm__xlsx_print_setup(ws, h, 0, &b->pg);
  harm__xlsx_print_setup(mv, 0, 0, &b->pg);
}

static void sheet_sweep(book *b, const harm_analysis_pack *p) {
  const harm_analysis_sweep *s = p->sweep;
  const harm_sweep_opts *o = harm_analysis_sweep_opts_used(s);
  const harm_dataset *ds = p->dataset;
  lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Sweep");
  char buf[256];
  snprintf(buf, sizeof buf,
           "Core membership over %zu draws, weights x U[%.3g, %.3g], seed "
           "%" PRIu64 "; core = top %zu%s",
           o->draws, 1.0 - o->perturb, 1.0 + o->perturb, o->seed, o->rules.size,
           o->rules.partition_by_area ? " per area" : "");
  text(ws, 0, 0, buf, b->f.title);
  text(ws, 1, 0,
       "Referral slots, backfill and tenure are not perturbed and not "
       "shown.",
       NULL);
  size_t n = harm_analysis_sweep_count(s), id_len = 8;
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(harm_dataset_subject_id(
        ds, harm_analysis_sweep_row(s, i)->subject, NULL));
    id_len = l > id_len ? l : id_len;
  }
  /* The chart comes first and names every person it shows: the 40 most
   * often in the core (the table below lists everyone). */
  size_t shown = n < 40 ? n : 40;
  double height = 90.0 + 22.0 * (double)shown;
  lxw_row_t h = (lxw_row_t)(3 + (n ? (size_t)(height / 20.0) + 2 : 0));
  const harm__xlsx_col cols[] = {{"Offender", fit_width(id_len, 9, 30), false},
                                 {"Share of\ndraws", 9, true},
                                 {"Wilson\nlow", 8, true},
                                 {"Wilson\nhigh", 8, true},
                                 {"Draws in", 9, true},
                                 {"Unperturbed\nrank", 12, true},
                                 {"In unperturbed\ncore", 15, false},
                                 {"Partition", 10, false}};
  bool part = o->rules.partition_by_area;
  harm__xlsx_columns(ws, h, cols, part ? 8 : 7, &b->f);
  for (size_t i = 0; i < n; i++) {
    const harm_sweep_row *r = harm_analysis_sweep_row(s, i);
    lxw_row_t row = (lxw_row_t)(h + 1 + i);
    text(ws, row, 0, harm_dataset_subject_id(ds, r->subject, NULL), NULL);
    worksheet_write_number(ws, row, 1, r->share, b->f.pct);
    worksheet_write_number(ws, row, 2, r->wilson_lo, b->f.pct);
    worksheet_write_number(ws, row, 3, r->wilson_hi, b->f.pct);
    worksheet_write_number(ws, row, 4, (double)r->draws_in, b->f.count);
    worksheet_write_number(ws, row, 5, (double)r->base_rank, b->f.count);
    text(ws, row, 6, r->base_core ? "yes" : "no", b->f.wrap);
    if (part) {
      text(ws, row, 7, partition_name(ds, r->area), NULL);
    }
  }
  if (n) {
    lxw_chart *chart = workbook_add_chart(b->wb, LXW_CHART_BAR);
    lxw_chart_series *se = chart_add_series(chart, NULL, NULL);
    chart_series_set_categories(se, "Sweep", h + 1, 0, (lxw_row_t)(h + shown),
                                0);
    chart_series_set_values(se, "Sweep", h + 1, 1, (lxw_row_t)(h + shown), 1);
    chart_series_set_name(se, "Share of draws in the core");
    snprintf(buf, sizeof buf, "How often each person is in the core%s",
             n > shown ? " (the 40 most often)" : "");
    chart_title_set_name(chart, buf);
    chart_axis_set_reverse(chart->y_axis);
    chart_axis_set_interval_unit(chart->y_axis, 1); /* every person named */
    lxw_chart_font small = {0};
    small.size = 8;
    chart_axis_set_num_font(chart->y_axis, &small);
    percent_axis(chart->x_axis);
    chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
    chart_set_series_gap(chart, 50);
    lxw_chart_options opt = {0};
    opt.x_scale = 700.0 / 480.0;
    opt.y_scale = height / 288.0;
    worksheet_insert_chart_opt(ws, 3, 0, chart, &opt);
  }
  harm__xlsx_print_setup(ws, h, 0, &b->pg);
}

harm_status harm_report_analysis_xlsx(const char *path,
                                      const harm_analysis_pack *p,
                                      harm_error *err) {
  if (!path || !p) {
    return harm__fail(err, HARM_ERR_USAGE, "report", path, 0, NULL,
                      "NULL argument");
  }
  book b;
  memset(&b, 0, sizeof b);
  b.wb = workbook_new(path);
  if (!b.wb) {
    return harm__fail(err, HARM_ERR_IO, "report", path, 0, NULL,
                      "cannot create the workbook");
  }
  harm__xlsx_set_created_from(b.wb, p->manifest);
  b.f = harm__xlsx_add_formats(b.wb);
  b.ratio = workbook_add_format(b.wb);
  format_set_num_format(b.ratio, "0.000");
  format_set_align(b.ratio, LXW_ALIGN_VERTICAL_TOP);
  b.note = workbook_add_format(b.wb);
  format_set_text_wrap(b.note);
  format_set_italic(b.note);
  format_set_align(b.note, LXW_ALIGN_VERTICAL_TOP);
  const harm_manifest *m = p->manifest;
  char title[64];
  snprintf(title, sizeof title, "harmrank %s",
           p->command ? p->command : "analysis");
  b.pg = harm__xlsx_page_of(m ? m->config : NULL, title,
                            harm__xlsx_manifest_as_of(m));
  if (p->n_groups) {
    sheet_concentration(&b, p);
    for (size_t g = 0; g < p->n_groups; g++) {
      sheet_group(&b, p, g);
    }
  }
  if (p->n_comparisons) {
    sheet_compare(&b, p);
  }
  if (p->sweep) {
    sheet_sweep(&b, p);
  }
  harm__xlsx_run_details(b.wb, p->command, m, &b.f, &b.pg);
  lxw_error e = workbook_close(b.wb);
  if (e != LXW_NO_ERROR) {
    return harm__fail(err, HARM_ERR_IO, "report", path, 0, NULL,
                      "cannot write the workbook: %s", lxw_strerror(e));
  }
  return HARM_OK;
}
