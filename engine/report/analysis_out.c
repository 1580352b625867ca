/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/report/analysis_out.c: the analysis commands' outputs: one CSV
 * per table (concentration, power few, Lorenz, deciles, comparisons, who
 * moves, sweep) and analysis.xlsx with native charts (Lorenz curve as a
 * scatter chart, harm by decile as a column chart, sweep membership as a
 * bar chart). Text cells are strings, never formulas, and values starting
 * with = + - @ get a leading quote, as in every other output. */
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

static const harm_dataset *
comparison_dataset(const harm_analysis_comparison *c) {
  return harm_matrix_dataset(
      harm_scores_matrix(harm_ranking_scores(harm_analysis_comparison_a(c))));
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
    const harm_dataset *ds = comparison_dataset(c);
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
  const harm_dataset *ds = harm_matrix_dataset(harm_analysis_sweep_matrix(s));
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
  lxw_format *bold;
  lxw_format *title;
  lxw_format *days;
  lxw_format *pct;
  lxw_format *ratio;
  int n_sheets;
} book;

static void text(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s,
                 lxw_format *f) {
  harm__xlsx_text(ws, r, c, s, f);
}

static void header(book *b, lxw_worksheet *ws, lxw_row_t r,
                   const char *const *names, size_t n) {
  harm__xlsx_header(ws, r, names, n, b->bold);
  harm__xlsx_print_setup(ws, r);
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

static void sheet_concentration(book *b, const harm_analysis_pack *p) {
  lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Concentration");
  text(ws, 0, 0, "How concentrated harm is", b->title);
  static const char *const cols[] = {
      "Group",   "Subjects", "Total harm (days)",
      "Gini",    "Top 1%",   "Top 2%",
      "Top 5%",  "Top 10%",  "Subjects for 50% of harm",
      "for 80%", "for 90%"};
  header(b, ws, 2, cols, sizeof cols / sizeof *cols);
  for (size_t g = 0; g < p->n_groups; g++) {
    const harm_analysis_concentration *c = p->groups[g];
    const harm_power_few *pf = harm_analysis_concentration_power_few(c);
    lxw_row_t r = (lxw_row_t)(3 + g);
    text(ws, r, 0, p->group_names[g], NULL);
    worksheet_write_number(ws, r, 1, (double)pf->n, NULL);
    worksheet_write_number(ws, r, 2, pf->total, b->days);
    worksheet_write_number(ws, r, 3, harm_analysis_concentration_gini(c),
                           b->ratio);
    for (size_t t = 0; t < HARM_POWER_FEW_N_TOP; t++) {
      worksheet_write_number(ws, r, (lxw_col_t)(4 + t), pf->top_share[t],
                             b->pct);
    }
    for (size_t h = 0; h < HARM_POWER_FEW_N_HARM; h++) {
      worksheet_write_number(ws, r, (lxw_col_t)(8 + h),
                             pf->harm_offender_share[h], b->pct);
    }
  }
  lxw_row_t r = (lxw_row_t)(5 + p->n_groups);
  text(ws, r, 0,
       "Top q%: share of harm caused by the ceil(q% x n) most harmful "
       "subjects. Subjects for X%: the fewest subjects, most harmful first, "
       "whose harm reaches X% of the total, as a share of all subjects.",
       NULL);
  worksheet_set_column(ws, 0, 0, 22, NULL);
  worksheet_set_column(ws, 1, 10, 14, NULL);
}

static void sheet_lorenz(book *b, const harm_analysis_pack *p, size_t g) {
  char name[40];
  lxw_worksheet *ws =
      add_sheet(b, "Lorenz", p->group_names[g], name, sizeof name);
  const harm_analysis_concentration *c = p->groups[g];
  static const char *const cols[] = {"Percentile", "Share of subjects",
                                     "Share of harm", "Equality"};
  header(b, ws, 0, cols, 4);
  for (size_t k = 0; k <= 100; k++) {
    lxw_row_t r = (lxw_row_t)(k + 1);
    worksheet_write_number(ws, r, 0, (double)k, NULL);
    worksheet_write_number(ws, r, 1, (double)k / 100.0, b->pct);
    worksheet_write_number(ws, r, 2, harm_analysis_concentration_lorenz(c, k),
                           b->pct);
    worksheet_write_number(ws, r, 3, (double)k / 100.0, b->pct);
  }
  lxw_chart *chart = workbook_add_chart(b->wb, LXW_CHART_SCATTER_STRAIGHT);
  lxw_chart_series *s = chart_add_series(chart, NULL, NULL);
  chart_series_set_categories(s, name, 1, 1, 101, 1);
  chart_series_set_values(s, name, 1, 2, 101, 2);
  chart_series_set_name(s, "Lorenz curve");
  lxw_chart_series *e = chart_add_series(chart, NULL, NULL);
  chart_series_set_categories(e, name, 1, 1, 101, 1);
  chart_series_set_values(e, name, 1, 3, 101, 3);
  chart_series_set_name(e, "Equality");
  char title[160];
  snprintf(title, sizeof title, "Lorenz curve of harm: %s (Gini %.3f)",
           p->group_names[g], harm_analysis_concentration_gini(c));
  chart_title_set_name(chart, title);
  chart_axis_set_name(chart->x_axis, "Share of subjects (least harmful first)");
  chart_axis_set_name(chart->y_axis, "Share of harm");
  chart_axis_set_min(chart->x_axis, 0);
  chart_axis_set_max(chart->x_axis, 1);
  chart_axis_set_min(chart->y_axis, 0);
  chart_axis_set_max(chart->y_axis, 1);
  worksheet_insert_chart(ws, 1, 5, chart);
  worksheet_set_column(ws, 0, 3, 16, NULL);
}

static void sheet_deciles(book *b, const harm_analysis_pack *p, size_t g) {
  char name[40];
  lxw_worksheet *ws =
      add_sheet(b, "Deciles", p->group_names[g], name, sizeof name);
  const harm_analysis_concentration *c = p->groups[g];
  static const char *const cols[] = {"Decile", "Harm (days)", "Share of harm"};
  header(b, ws, 0, cols, 3);
  for (size_t d = 1; d <= 10; d++) {
    lxw_row_t r = (lxw_row_t)d;
    double share = harm_analysis_concentration_decile(c, d);
    char label[32];
    snprintf(label, sizeof label, "D%zu%s", d,
             d == 1    ? " (most harmful)"
             : d == 10 ? " (least)"
                       : "");
    text(ws, r, 0, label, NULL);
    worksheet_write_number(
        ws, r, 1, share * harm_analysis_concentration_total(c), b->days);
    worksheet_write_number(ws, r, 2, share, b->pct);
  }
  lxw_chart *chart = workbook_add_chart(b->wb, LXW_CHART_COLUMN);
  lxw_chart_series *s = chart_add_series(chart, NULL, NULL);
  chart_series_set_categories(s, name, 1, 0, 10, 0);
  chart_series_set_values(s, name, 1, 2, 10, 2);
  chart_series_set_name(s, "Share of harm");
  char title[160];
  snprintf(title, sizeof title, "Harm by decile of subjects: %s",
           p->group_names[g]);
  chart_title_set_name(chart, title);
  chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
  worksheet_insert_chart(ws, 1, 4, chart);
  worksheet_set_column(ws, 0, 0, 20, NULL);
  worksheet_set_column(ws, 1, 2, 14, NULL);
}

static void sheet_compare(book *b, const harm_analysis_pack *p) {
  lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Compare");
  static const char *const cols[] = {
      "Weights A",     "Weights B", "Subjects",      "Spearman",
      "Kendall tau-b", "K",         "In both top K", "Jaccard"};
  header(b, ws, 0, cols, 8);
  for (size_t i = 0; i < p->n_comparisons; i++) {
    const harm_analysis_comparison *c = p->comparisons[i];
    harm_rank_correlation rc = harm_analysis_comparison_correlation(c);
    lxw_row_t r = (lxw_row_t)(i + 1);
    text(ws, r, 0, p->labels_a[i], NULL);
    text(ws, r, 1, p->labels_b[i], NULL);
    worksheet_write_number(ws, r, 2, (double)rc.n, NULL);
    if (!isnan(rc.spearman)) {
      worksheet_write_number(ws, r, 3, rc.spearman, b->ratio);
    }
    if (!isnan(rc.kendall)) {
      worksheet_write_number(ws, r, 4, rc.kendall, b->ratio);
    }
    worksheet_write_number(ws, r, 5, (double)harm_analysis_comparison_k(c),
                           NULL);
    worksheet_write_number(ws, r, 6, (double)harm_analysis_comparison_common(c),
                           NULL);
    worksheet_write_number(ws, r, 7, harm_analysis_comparison_jaccard(c),
                           b->ratio);
  }
  worksheet_set_column(ws, 0, 1, 40, NULL);
  worksheet_set_column(ws, 2, 7, 13, NULL);

  lxw_worksheet *mv = workbook_add_worksheet(b->wb, "Top K moves");
  static const char *const mcols[] = {
      "Weights A", "Weights B",          "Status", "Offender", "Rank A",
      "Rank B",    "Rank change (up +)", "Harm A", "Harm B"};
  header(b, mv, 0, mcols, 9);
  lxw_row_t r = 1;
  for (size_t i = 0; i < p->n_comparisons; i++) {
    const harm_analysis_comparison *c = p->comparisons[i];
    const harm_dataset *ds = comparison_dataset(c);
    for (size_t k = 0; k < harm_analysis_comparison_n_moves(c); k++, r++) {
      const harm_topk_move *m = harm_analysis_comparison_move(c, k);
      text(mv, r, 0, p->labels_a[i], NULL);
      text(mv, r, 1, p->labels_b[i], NULL);
      text(mv, r, 2, topk_name(m->status), NULL);
      text(mv, r, 3, harm_dataset_subject_id(ds, m->subject, NULL), NULL);
      worksheet_write_number(mv, r, 4, (double)m->rank_a, NULL);
      worksheet_write_number(mv, r, 5, (double)m->rank_b, NULL);
      worksheet_write_number(mv, r, 6, (double)m->rank_change, NULL);
      worksheet_write_number(mv, r, 7, m->harm_a, b->days);
      worksheet_write_number(mv, r, 8, m->harm_b, b->days);
    }
  }
  worksheet_set_column(mv, 0, 1, 30, NULL);
  worksheet_set_column(mv, 2, 8, 13, NULL);
}

static void sheet_sweep(book *b, const harm_analysis_pack *p) {
  const harm_analysis_sweep *s = p->sweep;
  const harm_sweep_opts *o = harm_analysis_sweep_opts_used(s);
  const harm_dataset *ds = harm_matrix_dataset(harm_analysis_sweep_matrix(s));
  lxw_worksheet *ws = workbook_add_worksheet(b->wb, "Sweep");
  char buf[256];
  snprintf(buf, sizeof buf,
           "Core membership over %zu draws, weights x U[%.3g, %.3g], seed "
           "%" PRIu64 "; core = top %zu%s",
           o->draws, 1.0 - o->perturb, 1.0 + o->perturb, o->seed, o->rules.size,
           o->rules.partition_by_area ? " per area" : "");
  text(ws, 0, 0, buf, b->title);
  text(ws, 1, 0,
       "Referral slots, backfill and tenure are not perturbed and not "
       "shown.",
       NULL);
  static const char *const cols[] = {
      "Offender", "Share of draws",   "Wilson low",          "Wilson high",
      "Draws in", "Unperturbed rank", "In unperturbed core", "Partition"};
  const lxw_row_t h = 3;
  header(b, ws, h, cols, 8);
  size_t n = harm_analysis_sweep_count(s);
  for (size_t i = 0; i < n; i++) {
    const harm_sweep_row *r = harm_analysis_sweep_row(s, i);
    lxw_row_t row = (lxw_row_t)(h + 1 + i);
    text(ws, row, 0, harm_dataset_subject_id(ds, r->subject, NULL), NULL);
    worksheet_write_number(ws, row, 1, r->share, b->pct);
    worksheet_write_number(ws, row, 2, r->wilson_lo, b->pct);
    worksheet_write_number(ws, row, 3, r->wilson_hi, b->pct);
    worksheet_write_number(ws, row, 4, (double)r->draws_in, NULL);
    worksheet_write_number(ws, row, 5, (double)r->base_rank, NULL);
    text(ws, row, 6, r->base_core ? "yes" : "no", NULL);
    text(ws, row, 7, partition_name(ds, r->area), NULL);
  }
  worksheet_set_column(ws, 0, 0, 14, NULL);
  worksheet_set_column(ws, 1, 7, 14, NULL);
  if (n) {
    /* The chart shows at most the 40 most frequent members. */
    size_t shown = n < 40 ? n : 40;
    lxw_chart *chart = workbook_add_chart(b->wb, LXW_CHART_BAR);
    lxw_chart_series *se = chart_add_series(chart, NULL, NULL);
    chart_series_set_categories(se, "Sweep", h + 1, 0, (lxw_row_t)(h + shown),
                                0);
    chart_series_set_values(se, "Sweep", h + 1, 1, (lxw_row_t)(h + shown), 1);
    chart_series_set_name(se, "Share of draws in the core");
    chart_title_set_name(chart, "How often each person is in the core");
    chart_axis_set_reverse(chart->y_axis);
    chart_axis_set_min(chart->x_axis, 0);
    chart_axis_set_max(chart->x_axis, 1);
    chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
    lxw_chart_options opt = {0};
    opt.x_scale = 1.5;
    opt.y_scale = shown > 15 ? 1.0 + (double)(shown - 15) / 15.0 : 1.0;
    worksheet_insert_chart_opt(ws, h, 9, chart, &opt);
  }
}

static void sheet_run(book *b, const harm_analysis_pack *p) {
  harm__xlsx_run_details(b->wb, p->command, p->manifest, b->bold);
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
  harm__xlsx_formats fmt = harm__xlsx_add_formats(b.wb);
  b.bold = fmt.bold;
  b.title = fmt.title;
  b.days = fmt.days;
  b.pct = fmt.pct;
  b.ratio = workbook_add_format(b.wb);
  format_set_num_format(b.ratio, "0.000");
  if (p->n_groups) {
    sheet_concentration(&b, p);
    for (size_t g = 0; g < p->n_groups; g++) {
      sheet_lorenz(&b, p, g);
      sheet_deciles(&b, p, g);
    }
  }
  if (p->n_comparisons) {
    sheet_compare(&b, p);
  }
  if (p->sweep) {
    sheet_sweep(&b, p);
  }
  sheet_run(&b, p);
  lxw_error e = workbook_close(b.wb);
  if (e != LXW_NO_ERROR) {
    return harm__fail(err, HARM_ERR_IO, "report", path, 0, NULL,
                      "cannot write the workbook: %s", lxw_strerror(e));
  }
  return HARM_OK;
}
