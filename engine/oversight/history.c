/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/oversight/history.c: `harmrank history`: people across a series
 * of monthly output folders, from their manifests (as_of) and cohort.csv
 * (and movers.csv for the rank of those who left), with history.csv and a
 * sheet of each person's months on the list. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "core/internal.h"
#include "oversight/internal.h"
#include "report/xlsx_cells.h"

typedef struct run_data {
  char *folder;
  harm_date as_of;
  harm__table cohort, movers;
  bool has_movers;
  int c_id, c_reason, c_rank, c_harm, c_months;
  int m_status, m_id, m_rank;
} run_data;

struct harm_history {
  run_data *runs;
  size_t n_runs;
  char **people;
  size_t n_people;
  harm_history_row *rows;
  size_t n_rows;
  char **unknown;
  size_t n_unknown;
};

static harm_status nomem(harm_error *err) {
  return harm__fail(err, HARM_ERR_NOMEM, "history", NULL, 0, NULL,
                    "out of memory");
}

void harm_history_free(harm_history *h) {
  if (!h) {
    return;
  }
  for (size_t i = 0; i < h->n_runs; i++) {
    harm__free(h->runs[i].folder);
    harm__table_free(&h->runs[i].cohort);
    harm__table_free(&h->runs[i].movers);
  }
  harm__free(h->runs);
  for (size_t i = 0; i < h->n_people; i++) {
    harm__free(h->people[i]);
  }
  harm__free(h->people);
  harm__free(h->rows);
  for (size_t i = 0; i < h->n_unknown; i++) {
    harm__free(h->unknown[i]);
  }
  harm__free(h->unknown);
  harm__free(h);
}

static harm_status load_run(const char *folder, run_data *r, harm_error *err) {
  char path[4096];
  harm__join(path, sizeof path, folder, "manifest.json");
  harm_oversight_manifest *m = NULL;
  harm_status st = harm_oversight_manifest_load(path, &m, err);
  if (st != HARM_OK) {
    return st;
  }
  r->as_of = harm_oversight_manifest_as_of(m);
  bool cohort = strcmp(harm_oversight_manifest_command(m), "cohort") == 0;
  harm_oversight_manifest_free(m);
  if (!cohort || r->as_of == HARM_DATE_NONE) {
    return harm__fail(err, HARM_ERR_DATA, "history", path, 0, NULL,
                      "not a cohort run with an as_of date");
  }
  r->folder = harm__strdup(folder);
  if (!r->folder) {
    return nomem(err);
  }
  harm__join(path, sizeof path, folder, "cohort.csv");
  st = harm__table_load(path, &r->cohort, err);
  if (st != HARM_OK) {
    return st;
  }
  r->c_id = harm__table_col(&r->cohort, "offender_id");
  r->c_reason = harm__table_col(&r->cohort, "reason");
  r->c_rank = harm__table_col(&r->cohort, "score_rank");
  r->c_harm = harm__table_col(&r->cohort, "harm");
  r->c_months = harm__table_col(&r->cohort, "months_served");
  if (r->c_id < 0 || r->c_reason < 0) {
    return harm__fail(err, HARM_ERR_DATA, "history", path, 1, NULL,
                      "not a cohort.csv written by harmrank (needs "
                      "offender_id and reason)");
  }
  harm__join(path, sizeof path, folder, "movers.csv");
  harm_error ignored = HARM_ERROR_INIT;
  if (harm__table_load(path, &r->movers, &ignored) == HARM_OK) {
    r->has_movers = true;
    r->m_status = harm__table_col(&r->movers, "status");
    r->m_id = harm__table_col(&r->movers, "offender_id");
    r->m_rank = harm__table_col(&r->movers, "current_rank");
  }
  return HARM_OK;
}

/* Row of `id` in a run's cohort.csv, or SIZE_MAX. */
static size_t member_row(const run_data *r, const char *id) {
  for (size_t i = 0; i < r->cohort.n_rows; i++) {
    if (strcmp(harm__table_cell(&r->cohort, i, r->c_id), id) == 0) {
      return i;
    }
  }
  return SIZE_MAX;
}

static const char *route_of(const char *reason) {
  if (strncmp(reason, "core", 4) == 0) {
    return "core";
  }
  if (strncmp(reason, "retained by tenure", 18) == 0) {
    return "tenure";
  }
  if (strncmp(reason, "referral place kept", 19) == 0) {
    return "referral tenure";
  }
  if (strncmp(reason, "referral", 8) == 0) {
    return "referral";
  }
  if (strncmp(reason, "backfill", 8) == 0) {
    return "backfill";
  }
  return "other";
}

static size_t parse_size(const char *s) {
  uint64_t v = 0;
  return harm__parse_u64(s, strlen(s), &v) ? (size_t)v : 0;
}

static int by_as_of(const void *a, const void *b, void *ctx) {
  (void)ctx;
  const run_data *x = a, *y = b;
  return (x->as_of > y->as_of) - (x->as_of < y->as_of);
}

static bool known_person(const harm_history *h, const char *id) {
  for (size_t i = 0; i < h->n_people; i++) {
    if (strcmp(h->people[i], id) == 0) {
      return true;
    }
  }
  return false;
}

static harm_status add_person(harm_history *h, const char *id, size_t *cap,
                              harm_error *err) {
  if (known_person(h, id)) {
    return HARM_OK;
  }
  if (h->n_people == *cap) {
    size_t c = *cap ? *cap * 2 : 32;
    char **p = harm__reallocarray(h->people, c, sizeof *p);
    if (!p) {
      return nomem(err);
    }
    h->people = p;
    *cap = c;
  }
  h->people[h->n_people] = harm__strdup(id);
  return h->people[h->n_people++] ? HARM_OK : nomem(err);
}

static harm_status build_rows(harm_history *h, harm_error *err) {
  h->rows = harm__calloc(h->n_people * h->n_runs + 1, sizeof *h->rows);
  if (!h->rows) {
    return nomem(err);
  }
  for (size_t p = 0; p < h->n_people; p++) {
    const char *id = h->people[p];
    for (size_t k = 0; k < h->n_runs; k++) {
      const run_data *r = &h->runs[k];
      size_t row = member_row(r, id);
      bool on = row != SIZE_MAX;
      bool before;
      if (k == 0) {
        /* The first run in the series: its own count of months served
         * says whether the person was on the list the month before. */
        before = on && r->c_months >= 0 &&
                 parse_size(harm__table_cell(&r->cohort, row, r->c_months)) > 1;
      } else {
        before = member_row(&h->runs[k - 1], id) != SIZE_MAX;
      }
      harm_history_row *x = &h->rows[h->n_rows++];
      x->person = id;
      x->as_of = r->as_of;
      x->status = on ? (before ? "retained" : "new")
                     : (before ? "exited" : "not listed");
      x->route =
          on ? route_of(harm__table_cell(&r->cohort, row, r->c_reason)) : "";
      x->harm = NAN;
      if (on) {
        x->rank = parse_size(harm__table_cell(&r->cohort, row, r->c_rank));
        const char *hv = harm__table_cell(&r->cohort, row, r->c_harm);
        double d;
        if (*hv && harm__parse_double(hv, strlen(hv), &d)) {
          x->harm = d;
        }
        x->months_served = (uint32_t)parse_size(
            harm__table_cell(&r->cohort, row, r->c_months));
      } else if (before && r->has_movers) {
        for (size_t i = 0; i < r->movers.n_rows; i++) {
          if (strcmp(harm__table_cell(&r->movers, i, r->m_id), id) == 0 &&
              strcmp(harm__table_cell(&r->movers, i, r->m_status), "exited") ==
                  0) {
            x->rank = parse_size(harm__table_cell(&r->movers, i, r->m_rank));
          }
        }
      }
    }
  }
  return HARM_OK;
}

harm_status harm_history_new(const char *const *runs, size_t n_runs,
                             const char *const *ids, size_t n_ids,
                             harm_history **out, harm_error *err) {
  *out = NULL;
  if (!n_runs) {
    return harm__fail(err, HARM_ERR_USAGE, "history", NULL, 0, NULL,
                      "no output folders: pass RUN_DIR...");
  }
  harm_history *h = harm__calloc(1, sizeof *h);
  if (!h) {
    return nomem(err);
  }
  h->runs = harm__calloc(n_runs, sizeof *h->runs);
  harm_status st = h->runs ? HARM_OK : nomem(err);
  for (size_t i = 0; st == HARM_OK && i < n_runs; i++) {
    st = load_run(runs[i], &h->runs[i], err);
    h->n_runs++;
  }
  if (st == HARM_OK &&
      !harm__sort(h->runs, h->n_runs, sizeof *h->runs, by_as_of, NULL)) {
    st = nomem(err);
  }
  for (size_t i = 1; st == HARM_OK && i < h->n_runs; i++) {
    if (h->runs[i].as_of == h->runs[i - 1].as_of) {
      char d[11];
      harm_date_format_iso(h->runs[i].as_of, d);
      st = harm__fail(err, HARM_ERR_DATA, "history", h->runs[i].folder, 0, NULL,
                      "two runs as of %s (%s and this one)", d,
                      h->runs[i - 1].folder);
    }
  }
  size_t cap = 0, cap_unknown = 0;
  if (st == HARM_OK && n_ids) {
    for (size_t i = 0; st == HARM_OK && i < n_ids; i++) {
      bool listed = false;
      for (size_t k = 0; k < h->n_runs && !listed; k++) {
        listed = member_row(&h->runs[k], ids[i]) != SIZE_MAX;
      }
      if (listed) {
        st = add_person(h, ids[i], &cap, err);
      } else {
        if (h->n_unknown == cap_unknown) {
          size_t c = cap_unknown ? cap_unknown * 2 : 8;
          char **u = harm__reallocarray(h->unknown, c, sizeof *u);
          if (!u) {
            st = nomem(err);
            break;
          }
          h->unknown = u;
          cap_unknown = c;
        }
        h->unknown[h->n_unknown] = harm__strdup(ids[i]);
        st = h->unknown[h->n_unknown++] ? HARM_OK : nomem(err);
      }
    }
  } else {
    for (size_t k = 0; st == HARM_OK && k < h->n_runs; k++) {
      const run_data *r = &h->runs[k];
      for (size_t i = 0; st == HARM_OK && i < r->cohort.n_rows; i++) {
        st = add_person(h, harm__table_cell(&r->cohort, i, r->c_id), &cap, err);
      }
    }
  }
  if (st == HARM_OK) {
    st = build_rows(h, err);
  }
  if (st != HARM_OK) {
    harm_history_free(h);
    return st;
  }
  *out = h;
  return HARM_OK;
}

size_t harm_history_n_rows(const harm_history *h) { return h->n_rows; }
const harm_history_row *harm_history_row_at(const harm_history *h, size_t i) {
  return i < h->n_rows ? &h->rows[i] : NULL;
}
size_t harm_history_n_runs(const harm_history *h) { return h->n_runs; }
harm_date harm_history_run_as_of(const harm_history *h, size_t i) {
  return i < h->n_runs ? h->runs[i].as_of : HARM_DATE_NONE;
}
const char *harm_history_run_folder(const harm_history *h, size_t i) {
  return i < h->n_runs ? h->runs[i].folder : NULL;
}
size_t harm_history_n_unknown(const harm_history *h) { return h->n_unknown; }
const char *harm_history_unknown(const harm_history *h, size_t i) {
  return i < h->n_unknown ? h->unknown[i] : NULL;
}

harm_status harm_history_write_csv(FILE *fp, const harm_history *h,
                                   harm_error *err) {
  fputs("person,as_of,status,route,rank,harm,months_served\n", fp);
  for (size_t i = 0; i < h->n_rows; i++) {
    const harm_history_row *r = &h->rows[i];
    char d[11];
    harm_date_format_iso(r->as_of, d);
    harm_report_csv_field(fp, r->person, strlen(r->person), true);
    fprintf(fp, ",%s,%s,%s,", d, r->status, r->route);
    if (r->rank) {
      fprintf(fp, "%zu", r->rank);
    }
    fputc(',', fp);
    if (!isnan(r->harm)) {
      fprintf(fp, "%.4f", r->harm);
    }
    fprintf(fp, ",%u\n", (unsigned)r->months_served);
  }
  if (ferror(fp)) {
    return harm__fail(err, HARM_ERR_IO, "history", NULL, 0, NULL,
                      "write error");
  }
  return HARM_OK;
}

/* The Months sheet: one row per person, one coloured cell per run
 * (fill[]: new, retained, exited, not listed), and months on the list. */
static void sheet_months(lxw_workbook *wb, const harm_history *h,
                         const harm__xlsx_formats *f, lxw_format *const *fill,
                         const harm__xlsx_page *pg) {
  lxw_worksheet *ws = workbook_add_worksheet(wb, "Months");
  harm__xlsx_text(ws, 0, 0, "Months on the list, person by person", f->title);
  harm__xlsx_text(ws, 1, 0,
                  "Green: new; blue: retained; grey: exited that month. Each "
                  "cell: the route onto the list and the score rank.",
                  NULL);
  const lxw_row_t hr = 3;
  harm__xlsx_text(ws, hr, 0, "Person", f->bold);
  for (size_t k = 0; k < h->n_runs; k++) {
    char d[11];
    harm_date_format_iso(h->runs[k].as_of, d);
    harm__xlsx_text(ws, hr, (lxw_col_t)(k + 1), d, f->bold);
  }
  harm__xlsx_text(ws, hr, (lxw_col_t)(h->n_runs + 1), "Months on the list",
                  f->bold);
  worksheet_freeze_panes(ws, hr + 1, 1);
  harm__xlsx_print_setup(ws, hr, 0, pg);
  for (size_t p = 0; p < h->n_people; p++) {
    lxw_row_t r = (lxw_row_t)(hr + 1 + p);
    harm__xlsx_text(ws, r, 0, h->people[p], NULL);
    size_t months = 0;
    for (size_t k = 0; k < h->n_runs; k++) {
      const harm_history_row *x = &h->rows[p * h->n_runs + k];
      int kind = strcmp(x->status, "new") == 0        ? 0
                 : strcmp(x->status, "retained") == 0 ? 1
                 : strcmp(x->status, "exited") == 0   ? 2
                                                      : 3;
      char cell[64] = "";
      if (kind < 2) {
        months++;
        snprintf(cell, sizeof cell, x->rank ? "%s %zu" : "%s", x->route,
                 x->rank);
      } else if (kind == 2) {
        snprintf(cell, sizeof cell, "exited");
      }
      harm__xlsx_text(ws, r, (lxw_col_t)(k + 1), cell, fill[kind]);
    }
    worksheet_write_number(ws, r, (lxw_col_t)(h->n_runs + 1), (double)months,
                           NULL);
  }
  worksheet_set_column(ws, 0, 0, 26, NULL);
  worksheet_set_column(ws, 1, (lxw_col_t)h->n_runs, 14, NULL);
  worksheet_set_column(ws, (lxw_col_t)(h->n_runs + 1),
                       (lxw_col_t)(h->n_runs + 1), 18, NULL);
}

/* The History sheet: history.csv's rows. */
static void sheet_history(lxw_workbook *wb, const harm_history *h,
                          const harm__xlsx_formats *f,
                          const harm__xlsx_page *pg) {
  lxw_worksheet *rows = workbook_add_worksheet(wb, "History");
  static const harm__xlsx_col cols[] = {
      {"Person", 24, false},      {"As of", 11, false}, {"Status", 12, false},
      {"Route", 16, false},       {"Rank", 7, true},    {"Harm", 10, true},
      {"Months\nserved", 8, true}};
  harm__xlsx_columns(rows, 0, cols, 7, f);
  harm__xlsx_print_setup(rows, 0, 0, pg);
  for (size_t i = 0; i < h->n_rows; i++) {
    const harm_history_row *x = &h->rows[i];
    lxw_row_t r = (lxw_row_t)(i + 1);
    char d[11];
    harm_date_format_iso(x->as_of, d);
    harm__xlsx_text(rows, r, 0, x->person, NULL);
    harm__xlsx_text(rows, r, 1, d, NULL);
    harm__xlsx_text(rows, r, 2, x->status, NULL);
    harm__xlsx_text(rows, r, 3, x->route, NULL);
    if (x->rank) {
      worksheet_write_number(rows, r, 4, (double)x->rank, NULL);
    }
    if (!isnan(x->harm)) {
      worksheet_write_number(rows, r, 5, x->harm, f->days);
    }
    worksheet_write_number(rows, r, 6, (double)x->months_served, NULL);
  }
  worksheet_set_column(rows, 0, 0, 26, NULL);
  worksheet_set_column(rows, 1, 6, 13, NULL);
}

harm_status harm_history_write_xlsx(const char *path, const harm_history *h,
                                    const harm_config *cfg, harm_error *err) {
  lxw_workbook *wb = workbook_new(path);
  if (!wb) {
    return harm__fail(err, HARM_ERR_IO, "history", path, 0, NULL,
                      "cannot create the workbook");
  }
  harm__xlsx_set_created(wb, h->n_runs ? h->runs[h->n_runs - 1].as_of
                                       : HARM_DATE_NONE);
  harm__xlsx_formats f = harm__xlsx_add_formats(wb);
  lxw_format *fill[4];
  static const uint32_t colours[4] = {0xC6EFCE, 0xBDD7EE, 0xD9D9D9, 0xFFFFFF};
  for (int k = 0; k < 4; k++) {
    fill[k] = workbook_add_format(wb);
    format_set_bg_color(fill[k], colours[k]);
    format_set_border(fill[k], LXW_BORDER_THIN);
  }
  harm__xlsx_page pg = harm__xlsx_page_of(cfg, "History", HARM_DATE_NONE);
  sheet_months(wb, h, &f, fill, &pg);
  sheet_history(wb, h, &f, &pg);
  if (workbook_close(wb) != LXW_NO_ERROR) {
    return harm__fail(err, HARM_ERR_IO, "history", path, 0, NULL,
                      "cannot write the workbook");
  }
  return HARM_OK;
}
