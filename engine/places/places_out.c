/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/places/places_out.c: the places outputs (places.csv,
 * place_offenders.csv, quality.csv and places.xlsx with a chart). Text
 * from the data goes through the one formula guard, as in every other
 * output. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <xlsxwriter.h>

#include "core/internal.h"
#include "harmrank/places.h"
#include "report/xlsx_cells.h"
#include "score/kernel.h"

static void field(FILE *fp, const char *s) {
  harm_report_csv_field(fp, s ? s : "", s ? strlen(s) : 0, true);
}

static size_t shown(const harm_places *p, size_t top_n) {
  size_t n = harm_places_count(p);
  return top_n && top_n < n ? top_n : n;
}

/* "a; b; c": the place's top offenders. */
static void top_offenders(const harm_places *p, const harm_place *pl, size_t k,
                          char *buf, size_t cap) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t j = 0; j < pl->n_links && j < k; j++) {
    const harm_place_link *l = harm_places_link(p, pl->first_link + j);
    int w =
        snprintf(buf + used, cap - used, "%s%s", j ? "; " : "", l->offender_id);
    if (w < 0 || (size_t)w >= cap - used) {
      break;
    }
    used += (size_t)w;
  }
}

static harm_status io_status(FILE *fp, harm_error *err) {
  if (ferror(fp)) {
    return harm__fail(err, HARM_ERR_IO, "report", NULL, 0, NULL,
                      "cannot write the places output");
  }
  return HARM_OK;
}

harm_status harm_places_write_csv(FILE *fp, const harm_places *p, size_t top_n,
                                  size_t k, harm_error *err) {
  fputs("rank,place,place_type,harm,crimes,offenders,victims,share_of_harm,"
        "harm_spot,persistent,harm_previous_period,top_offenders\n",
        fp);
  char buf[4096];
  for (size_t i = 0; i < shown(p, top_n); i++) {
    const harm_place *pl = harm_places_at(p, i);
    fprintf(fp, "%zu,", pl->rank);
    field(fp, pl->place);
    fputc(',', fp);
    field(fp, pl->place_type);
    fprintf(fp, ",%.4f,%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%.6f,%d,", pl->harm,
            pl->crimes, pl->offenders, pl->victims, pl->share_of_harm,
            pl->harm_spot ? 1 : 0);
    if (pl->has_previous) {
      fprintf(fp, "%d,%.4f,", pl->persistent ? 1 : 0, pl->harm_previous);
    } else {
      fputs(",,", fp);
    }
    top_offenders(p, pl, k, buf, sizeof buf);
    field(fp, buf);
    fputc('\n', fp);
  }
  return io_status(fp, err);
}

harm_status harm_places_write_links(FILE *fp, const harm_places *p,
                                    size_t top_n, harm_error *err) {
  fputs("place,offender_id,harm,crimes\n", fp);
  for (size_t i = 0; i < shown(p, top_n); i++) {
    const harm_place *pl = harm_places_at(p, i);
    for (size_t j = 0; j < pl->n_links; j++) {
      const harm_place_link *l = harm_places_link(p, pl->first_link + j);
      field(fp, pl->place);
      fputc(',', fp);
      field(fp, l->offender_id);
      fprintf(fp, ",%.4f,%" PRIu32 "\n", l->harm, l->crimes);
    }
  }
  return io_status(fp, err);
}

harm_status harm_places_write_by_area(FILE *fp, const harm_places *p,
                                      size_t per_area, size_t k,
                                      harm_error *err) {
  /* An empty list would read as "no place in any area": stop instead. */
  if (per_area && harm_places_count(p) && !harm_places_n_by_area(p)) {
    return harm__fail(err, HARM_ERR_DATA, "places", NULL, 0, "area",
                      "top_per_area needs each place's area, but no scored "
                      "row at a place has one: the offences have no area "
                      "column (set [columns] area) or it is empty");
  }
  fputs("area,area_rank,rank,place,place_type,harm,crimes,offenders,"
        "harm_spot,persistent,top_offenders\n",
        fp);
  char buf[4096];
  for (size_t i = 0; i < harm_places_n_by_area(p); i++) {
    const harm_place *pl = harm_places_at(p, harm_places_by_area(p, i));
    if (pl->area_rank > per_area) {
      continue;
    }
    field(fp, pl->area);
    fprintf(fp, ",%zu,%zu,", pl->area_rank, pl->rank);
    field(fp, pl->place);
    fputc(',', fp);
    field(fp, pl->place_type);
    fprintf(fp, ",%.4f,%" PRIu32 ",%" PRIu32 ",%d,", pl->harm, pl->crimes,
            pl->offenders, pl->harm_spot ? 1 : 0);
    if (pl->has_previous) {
      fprintf(fp, "%d,", pl->persistent ? 1 : 0);
    } else {
      fputc(',', fp);
    }
    top_offenders(p, pl, k, buf, sizeof buf);
    field(fp, buf);
    fputc('\n', fp);
  }
  return io_status(fp, err);
}

static void qrow(FILE *fp, const char *check, const char *place, uint64_t count,
                 double share, const char *note) {
  field(fp, check);
  fputc(',', fp);
  field(fp, place);
  fprintf(fp, ",%" PRIu64 ",%.6f,", count, share);
  field(fp, note);
  fputc('\n', fp);
}

harm_status harm_places_write_quality(FILE *fp, const harm_places *p,
                                      const harm_accounting *a,
                                      harm_error *err) {
  const harm_places_summary *s = harm_places_summary_get(p);
  double rd = a->read ? (double)a->read : 1.0;
  char note[512];
  fputs("check,place,count,share,note\n", fp);
  qrow(fp, "rows_read", "", a->read, a->read ? 1.0 : 0.0,
       "data rows after the header; the rows_ lines below add up to it");
  qrow(fp, "rows_scored_at_a_place", "", a->scored - s->rows_no_place,
       (double)(a->scored - s->rows_no_place) / rd,
       "scored rows (offender dedupe) with a place");
  snprintf(note, sizeof note,
           "scored rows with no place: in offenders' scores (%.4f days), "
           "never ranked as a place",
           harm__units_days(s->harm_no_place_units));
  qrow(fp, "rows_scored_no_place", "", s->rows_no_place,
       (double)s->rows_no_place / rd, note);
  qrow(fp, "rows_outside_window", "", a->outside_window,
       (double)a->outside_window / rd, "");
  qrow(fp, "rows_future_dated", "", a->future_dated,
       (double)a->future_dated / rd, "");
  qrow(fp, "rows_filtered", "", a->filtered, (double)a->filtered / rd,
       "failed a filter or category, or a proactive code");
  qrow(fp, "rows_duplicates", "", a->duplicates, (double)a->duplicates / rd,
       "");
  qrow(fp, "rows_rejected", "", a->rejected, (double)a->rejected / rd,
       "see rejects.csv");
  uint64_t placed = a->scored - s->rows_no_place;
  for (size_t i = 0; i < harm_places_count(p); i++) {
    const harm_place *pl = harm_places_at(p, i);
    if (pl->looks_default) {
      snprintf(note, sizeof note,
               "looks like a default location (rank %zu): check how these "
               "rows were given this place before reading its harm",
               pl->rank);
      qrow(fp, "default_place", pl->place, pl->rows,
           placed ? (double)pl->rows / (double)placed : 0.0, note);
    }
  }
  size_t n = s->n_places;
  double dn = n ? (double)n : 1.0;
  snprintf(note, sizeof note,
           "places with fewer than %d crimes: one serious crime is not a "
           "pattern",
           HARM_PLACES_SMALL_CRIMES);
  qrow(fp, "small_numbers", "", s->n_small, (double)s->n_small / dn, note);
  snprintf(note, sizeof note,
           "harm >= mean %.4f + 2 x SD %.4f = %.4f days, over %zu places "
           "with harm",
           s->mean, s->sd, s->threshold, s->n_with_harm);
  qrow(fp, "harm_spots", "", s->n_spots, (double)s->n_spots / dn, note);
  if (s->has_previous) {
    char d[11];
    harm_date_format_iso(s->previous_as_of, d);
    snprintf(note, sizeof note,
             "previous period ending %s: threshold %.4f days, %zu harm "
             "spots; persistent = harm spot in both periods",
             d, s->previous_threshold, s->previous_n_spots);
    qrow(fp, "persistent_harm_spots", "", s->n_persistent,
         s->n_spots ? (double)s->n_persistent / (double)s->n_spots : 0.0, note);
  }
  static const char *const pf[3] = {"power_few_top_1pct", "power_few_top_5pct",
                                    "power_few_top_10pct"};
  for (size_t t = 0; t < 3; t++) {
    qrow(fp, pf[t], "", s->top_count[t], s->top_share[t],
         "places (count) and their share of all places' harm");
  }
  return io_status(fp, err);
}

/* ---- places.xlsx ---- */

enum { XLSX_MAX_PLACES = 1000 };

/* What every sheet of the places workbook reads. */
typedef struct pbook {
  lxw_workbook *wb;
  const harm_places *p;
  const harm_places_summary *s;
  const harm_accounting *a;
  harm__xlsx_formats f;
  harm__xlsx_page pg;
  size_t n;        /* places shown (at most XLSX_MAX_PLACES) */
  bool cut;        /* fewer shown than ranked */
  size_t k;        /* top offenders per place */
  size_t per_area; /* top places per area, 0 = no sheet */
} pbook;

/* Places, ranked, with their top offenders. */
static void sheet_places(pbook *b) {
  lxw_workbook *wb = b->wb;
  const harm_places *p = b->p;
  const harm_places_summary *s = b->s;
  const harm__xlsx_formats f = b->f;
  const harm__xlsx_page pg = b->pg;
  size_t n = b->n;
  bool cut = b->cut;
  size_t k = b->k;
  char buf[4096];
  lxw_worksheet *ws = workbook_add_worksheet(wb, "Places");
  char title[256];
  snprintf(title, sizeof title,
           "Places ranked by harm: %zu places, %zu harm spots (threshold "
           "%.2f days), %zu persistent%s",
           s->n_places, s->n_spots, s->threshold, s->n_persistent,
           cut ? "; the top 1000 shown, every place in places.csv" : "");
  harm__xlsx_text(ws, 0, 0, title, f.title);
  static const harm__xlsx_col cols[] = {{"Rank", 6, true},
                                        {"Place", 28, false},
                                        {"Place type", 12, false},
                                        {"Harm\n(days)", 11, true},
                                        {"Crimes", 11, true},
                                        {"Offenders", 11, true},
                                        {"Victims", 11, true},
                                        {"Share of\nharm", 14, true},
                                        {"Harm\nspot", 11, false},
                                        {"Persistent", 11, false},
                                        {"Harm, previous\nperiod", 21, true},
                                        {"Small numbers", 19, false},
                                        {"Looks like a\ndefault", 20, false},
                                        {"Top offenders", 36, false}};
  const lxw_row_t h = 2;
  harm__xlsx_columns(ws, h, cols, sizeof cols / sizeof *cols, &f);
  harm__xlsx_print_setup(ws, h, 0, &pg);
  for (size_t i = 0; i < n; i++) {
    const harm_place *pl = harm_places_at(p, i);
    lxw_row_t r = (lxw_row_t)(h + 1 + i);
    worksheet_write_number(ws, r, 0, (double)pl->rank, NULL);
    harm__xlsx_text(ws, r, 1, pl->place, f.wrap);
    harm__xlsx_text(ws, r, 2, pl->place_type, f.wrap);
    worksheet_write_number(ws, r, 3, pl->harm, f.days);
    worksheet_write_number(ws, r, 4, pl->crimes, NULL);
    worksheet_write_number(ws, r, 5, pl->offenders, NULL);
    worksheet_write_number(ws, r, 6, pl->victims, NULL);
    worksheet_write_number(ws, r, 7, pl->share_of_harm, f.pct);
    harm__xlsx_text(ws, r, 8, pl->harm_spot ? "yes" : "", f.wrap);
    harm__xlsx_text(ws, r, 9,
                    !pl->has_previous ? "n/a"
                    : pl->persistent  ? "yes"
                                      : "",
                    f.wrap);
    if (pl->has_previous) {
      worksheet_write_number(ws, r, 10, pl->harm_previous, f.days);
    }
    harm__xlsx_text(ws, r, 11, pl->small_numbers ? "fewer than 5 crimes" : "",
                    f.wrap);
    harm__xlsx_text(ws, r, 12, pl->looks_default ? "check" : "", f.wrap);
    top_offenders(p, pl, k, buf, sizeof buf);
    harm__xlsx_text(ws, r, 13, buf, f.wrap);
  }
}

/* Chart: harm of the top places (at most 20) as columns, and the harm
 * spot threshold as a horizontal line across them on the same axes. The
 * threshold is a second, invisible column series over the same places
 * drawn by its linear trendline (a constant series: a flat line); this
 * libxlsxwriter has no combined charts, and a trendline renders the same
 * in Excel and LibreOffice. */
static void sheet_chart(pbook *b) {
  lxw_workbook *wb = b->wb;
  const harm_places *p = b->p;
  const harm_places_summary *s = b->s;
  const harm__xlsx_formats f = b->f;
  const harm__xlsx_page pg = b->pg;
  size_t n = b->n;
  lxw_worksheet *cs = workbook_add_worksheet(wb, "Chart");
  harm__xlsx_text(cs, 0, 0, "place", f.bold);
  harm__xlsx_text(cs, 0, 1, "harm (days)", f.bold);
  harm__xlsx_text(cs, 0, 2, "harm spot threshold", f.bold);
  size_t nc = n < 20 ? n : 20;
  for (size_t i = 0; i < nc; i++) {
    const harm_place *pl = harm_places_at(p, i);
    harm__xlsx_text(cs, (lxw_row_t)(i + 1), 0, pl->place, NULL);
    worksheet_write_number(cs, (lxw_row_t)(i + 1), 1, pl->harm, f.days);
    worksheet_write_number(cs, (lxw_row_t)(i + 1), 2, s->threshold, f.days);
  }
  if (nc) {
    lxw_chart *chart = workbook_add_chart(wb, LXW_CHART_COLUMN);
    lxw_chart_series *se = chart_add_series(chart, NULL, NULL);
    chart_series_set_categories(se, "Chart", 1, 0, (lxw_row_t)nc, 0);
    chart_series_set_values(se, "Chart", 1, 1, (lxw_row_t)nc, 1);
    chart_series_set_name(se, "Harm (days)");
    /* The threshold as a red line: the flat trendline of an invisible
     * second series, which needs two points; with one place the title
     * gives the threshold in words only. */
    bool line = nc >= 2;
    if (line) {
      lxw_chart_series *th = chart_add_series(chart, NULL, NULL);
      chart_series_set_categories(th, "Chart", 1, 0, (lxw_row_t)nc, 0);
      chart_series_set_values(th, "Chart", 1, 2, (lxw_row_t)nc, 2);
      chart_series_set_name(th, "Harm spot threshold");
      lxw_chart_fill nofill = {.none = LXW_TRUE};
      lxw_chart_line noline = {.none = LXW_TRUE};
      chart_series_set_fill(th, &nofill);
      chart_series_set_line(th, &noline);
      chart_series_set_trendline(th, LXW_CHART_TRENDLINE_TYPE_LINEAR, 0);
      chart_series_set_trendline_name(th, "Harm spot threshold");
      lxw_chart_line thl = {.color = 0xC00000, .width = 2.25};
      chart_series_set_trendline_line(th, &thl);
      chart_set_series_overlap(chart, 100);
      int16_t hide[] = {1, -1};
      chart_legend_delete_series(chart, hide);
    }
    char ct[160];
    snprintf(ct, sizeof ct,
             line ? "Harm of the top places (days); red line: harm spot "
                    "threshold %.1f days"
                  : "Harm of the top place (days); harm spot threshold "
                    "%.1f days",
             s->threshold);
    chart_title_set_name(chart, ct);
    chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
    chart_axis_set_num_font(chart->x_axis, &(lxw_chart_font){.rotation = -45});
    lxw_chart_options opt = {0};
    opt.x_scale = 1.6;
    opt.y_scale = 1.6;
    worksheet_insert_chart_opt(cs, 1, 4, chart, &opt);
  }
  worksheet_set_column(cs, 0, 0, 28, NULL);
  worksheet_set_column(cs, 1, 2, 14, NULL);
  harm__xlsx_print_setup(cs, 0, 1, &pg);
}

/* The top places of each area ([output] top_per_area; the caller adds
 * this sheet only when it is set). */
static void sheet_by_area(pbook *b) {
  lxw_workbook *wb = b->wb;
  const harm_places *p = b->p;
  const harm__xlsx_formats f = b->f;
  const harm__xlsx_page pg = b->pg;
  size_t k = b->k, per_area = b->per_area;
  char buf[4096];
  lxw_worksheet *as = workbook_add_worksheet(wb, "Top places by area");
  static const harm__xlsx_col acols[] = {
      {"Area", 20, false},         {"Rank in\narea", 9, true},
      {"Rank", 9, true},           {"Place", 28, false},
      {"Place type", 16, false},   {"Harm\n(days)", 11, true},
      {"Crimes", 11, true},        {"Offenders", 11, true},
      {"Harm\nspot", 11, false},   {"Persistent", 11, false},
      {"Top offenders", 36, false}};
  harm__xlsx_columns(as, 0, acols, sizeof acols / sizeof *acols, &f);
  harm__xlsx_print_setup(as, 0, 0, &pg);
  lxw_row_t ar = 1;
  for (size_t i = 0; i < harm_places_n_by_area(p); i++) {
    const harm_place *pl = harm_places_at(p, harm_places_by_area(p, i));
    if (pl->area_rank > per_area) {
      continue;
    }
    harm__xlsx_text(as, ar, 0, pl->area, f.wrap);
    worksheet_write_number(as, ar, 1, (double)pl->area_rank, NULL);
    worksheet_write_number(as, ar, 2, (double)pl->rank, NULL);
    harm__xlsx_text(as, ar, 3, pl->place, f.wrap);
    harm__xlsx_text(as, ar, 4, pl->place_type, f.wrap);
    worksheet_write_number(as, ar, 5, pl->harm, f.days);
    worksheet_write_number(as, ar, 6, pl->crimes, NULL);
    worksheet_write_number(as, ar, 7, pl->offenders, NULL);
    harm__xlsx_text(as, ar, 8, pl->harm_spot ? "yes" : "", f.wrap);
    harm__xlsx_text(as, ar, 9,
                    !pl->has_previous ? "n/a"
                    : pl->persistent  ? "yes"
                                      : "",
                    f.wrap);
    top_offenders(p, pl, k, buf, sizeof buf);
    harm__xlsx_text(as, ar, 10, buf, f.wrap);
    ar++;
  }
}

/* Offender links of the places shown. */
static void sheet_links(pbook *b) {
  lxw_workbook *wb = b->wb;
  const harm_places *p = b->p;
  const harm__xlsx_formats f = b->f;
  const harm__xlsx_page pg = b->pg;
  size_t n = b->n;
  lxw_worksheet *ls = workbook_add_worksheet(wb, "Offenders by place");
  static const harm__xlsx_col lcols[] = {{"Place\nrank", 10, true},
                                         {"Place", 28, false},
                                         {"Offender", 28, false},
                                         {"Harm\n(days)", 12, true},
                                         {"Crimes", 12, true}};
  harm__xlsx_columns(ls, 0, lcols, 5, &f);
  harm__xlsx_print_setup(ls, 0, 0, &pg);
  lxw_row_t r = 1;
  for (size_t i = 0; i < n; i++) {
    const harm_place *pl = harm_places_at(p, i);
    for (size_t j = 0; j < pl->n_links; j++, r++) {
      const harm_place_link *l = harm_places_link(p, pl->first_link + j);
      worksheet_write_number(ls, r, 0, (double)pl->rank, NULL);
      harm__xlsx_text(ls, r, 1, pl->place, f.wrap);
      harm__xlsx_text(ls, r, 2, l->offender_id, f.wrap);
      worksheet_write_number(ls, r, 3, l->harm, f.days);
      worksheet_write_number(ls, r, 4, l->crimes, NULL);
    }
  }
}

/* Quality checks. */
static void sheet_quality(pbook *b) {
  lxw_workbook *wb = b->wb;
  const harm_places *p = b->p;
  const harm_places_summary *s = b->s;
  const harm_accounting *a = b->a;
  const harm__xlsx_formats f = b->f;
  const harm__xlsx_page pg = b->pg;
  char buf[4096];
  lxw_worksheet *qs = workbook_add_worksheet(wb, "Quality");
  static const harm__xlsx_col qcols[] = {
      {"Check", 44, false}, {"Value", 12, true}, {"Share", 12, true}};
  harm__xlsx_columns(qs, 0, qcols, 3, &f);
  harm__xlsx_print_setup(qs, 0, 1, &pg);
  double rd = a->read ? (double)a->read : 1.0;
  struct {
    const char *name;
    double v, share; /* share < 0: none */
    bool days;       /* a harm in days (4 decimals), not a count */
  } q[] = {
      {"rows read", (double)a->read, 1.0, false},
      {"rows scored at a place", (double)(a->scored - s->rows_no_place),
       (double)(a->scored - s->rows_no_place) / rd, false},
      {"rows scored with no place (never ranked)", (double)s->rows_no_place,
       (double)s->rows_no_place / rd, false},
      {"rows outside the window", (double)a->outside_window,
       (double)a->outside_window / rd, false},
      {"rows future-dated", (double)a->future_dated,
       (double)a->future_dated / rd, false},
      {"rows filtered out", (double)a->filtered, (double)a->filtered / rd,
       false},
      {"duplicate rows", (double)a->duplicates, (double)a->duplicates / rd,
       false},
      {"rows rejected", (double)a->rejected, (double)a->rejected / rd, false},
      {"places that look like defaults", (double)s->n_default, -1, false},
      {"places with fewer than 5 crimes", (double)s->n_small,
       s->n_places ? (double)s->n_small / (double)s->n_places : 0, false},
      {"harm spot threshold (days)", s->threshold, -1, true},
      {"harm of the top 1% of places", (double)s->top_count[0], s->top_share[0],
       false},
      {"harm of the top 5% of places", (double)s->top_count[1], s->top_share[1],
       false},
      {"harm of the top 10% of places", (double)s->top_count[2],
       s->top_share[2], false},
  };
  for (size_t i = 0; i < sizeof q / sizeof *q; i++) {
    harm__xlsx_text(qs, (lxw_row_t)(i + 1), 0, q[i].name, NULL);
    worksheet_write_number(qs, (lxw_row_t)(i + 1), 1, q[i].v,
                           q[i].days ? f.days : NULL);
    if (q[i].share >= 0) {
      worksheet_write_number(qs, (lxw_row_t)(i + 1), 2, q[i].share, f.pct);
    }
  }
  lxw_row_t qr = (lxw_row_t)(sizeof q / sizeof *q + 2);
  for (size_t i = 0; i < harm_places_count(p); i++) {
    const harm_place *pl = harm_places_at(p, i);
    if (pl->looks_default) {
      snprintf(buf, sizeof buf, "looks like a default: %s (%" PRIu64 " rows)",
               pl->place, pl->rows);
      harm__xlsx_text(qs, qr++, 0, buf, NULL);
    }
  }
}

harm_status harm_places_write_xlsx(const char *path, const harm_places *p,
                                   const harm_accounting *a, size_t top_n,
                                   size_t k, size_t per_area,
                                   const harm_manifest *m, harm_error *err) {
  lxw_workbook *wb = workbook_new(path);
  if (!wb) {
    return harm__fail(err, HARM_ERR_IO, "report", path, 0, NULL,
                      "cannot create the workbook");
  }
  harm__xlsx_set_created_from(wb, m);
  /* A meeting pack, not a data dump: at most XLSX_MAX_PLACES places
   * (places.csv has them all). */
  size_t n = shown(p, top_n);
  pbook b = {.wb = wb,
             .p = p,
             .s = harm_places_summary_get(p),
             .a = a,
             .f = harm__xlsx_add_formats(wb),
             .pg = harm__xlsx_page_of(m ? m->config : NULL, "Places",
                                      harm__xlsx_manifest_as_of(m)),
             .n = n > XLSX_MAX_PLACES ? XLSX_MAX_PLACES : n,
             .cut = n > XLSX_MAX_PLACES,
             .k = k,
             .per_area = per_area};
  sheet_places(&b);
  sheet_chart(&b);
  if (per_area) {
    sheet_by_area(&b);
  }
  sheet_links(&b);
  sheet_quality(&b);
  harm__xlsx_run_details(wb, "places", m, &b.f, &b.pg);
  lxw_error e = workbook_close(wb);
  if (e != LXW_NO_ERROR) {
    return harm__fail(err, HARM_ERR_IO, "report", path, 0, NULL,
                      "cannot write the workbook: %s", lxw_strerror(e));
  }
  return HARM_OK;
}
