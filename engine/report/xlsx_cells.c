/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/report/xlsx_cells.c: cell helpers shared by the workbooks. */
#include "report/xlsx_cells.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void harm__xlsx_text(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s,
                     lxw_format *f) {
  if (s && harm_report_formula_like(s, strlen(s))) {
    /* Cells are short (ids, codes, reasons): a bounded copy, no malloc. */
    char q[1024];
    snprintf(q, sizeof q, "'%.1020s", s);
    worksheet_write_string(ws, r, c, q, f);
    return;
  }
  worksheet_write_string(ws, r, c, s ? s : "", f);
}

void harm__xlsx_header(lxw_worksheet *ws, lxw_row_t r, const char *const *names,
                       size_t n, lxw_format *bold) {
  for (size_t i = 0; i < n; i++) {
    harm__xlsx_text(ws, r, (lxw_col_t)i, names[i], bold);
  }
  worksheet_freeze_panes(ws, r + 1, 0);
}

void harm__xlsx_print_setup(lxw_worksheet *ws, lxw_row_t header_row) {
  worksheet_set_landscape(ws);
  worksheet_set_paper(ws, 9); /* A4 */
  worksheet_fit_to_pages(ws, 1, 0);
  worksheet_repeat_rows(ws, header_row, header_row);
}

static void kv(lxw_worksheet *ws, lxw_row_t *r, const char *k, const char *v,
               lxw_format *bold) {
  harm__xlsx_text(ws, *r, 0, k, bold);
  harm__xlsx_text(ws, *r, 1, v, NULL);
  (*r)++;
}

void harm__xlsx_run_details(lxw_workbook *wb, const char *command,
                            const harm_manifest *m, lxw_format *bold) {
  lxw_worksheet *ws = workbook_add_worksheet(wb, "Run details");
  lxw_row_t r = 0;
  char buf[512];
  kv(ws, &r, "harmrank version", harm_version(), bold);
  kv(ws, &r, "command", command ? command : "", bold);
  for (size_t i = 0; m && i < m->n_inputs; i++) {
    snprintf(buf, sizeof buf, "input: %s", m->inputs[i].role);
    kv(ws, &r, buf, m->inputs[i].path, bold);
  }
  if (m && m->weights) {
    size_t est = harm_weights_n_estimates(m->weights);
    snprintf(buf, sizeof buf, "%zu of %zu are estimates%s", est,
             harm_weights_count(m->weights),
             est ? ": not official CCHI values" : "");
    kv(ws, &r, "weights", buf, bold);
  }
  if (m && m->matrix) {
    const harm_dataset *ds = harm_matrix_dataset(m->matrix);
    char d[11];
    harm_date_format_iso(harm_dataset_as_of(ds), d);
    kv(ws, &r, "as of", d, bold);
    snprintf(buf, sizeof buf, "%" PRIu32 " days",
             harm_dataset_lookback_days(ds));
    kv(ws, &r, "window", buf, bold);
    harm_accounting a = harm_matrix_accounting(m->matrix);
    snprintf(buf, sizeof buf,
             "read %" PRIu64 " = scored %" PRIu64 " + outside window %" PRIu64
             " + future-dated %" PRIu64 " + filtered %" PRIu64
             " + duplicates %" PRIu64 " + rejected %" PRIu64,
             a.read, a.scored, a.outside_window, a.future_dated, a.filtered,
             a.duplicates, a.rejected);
    kv(ws, &r, "rows", buf, bold);
  }
  if (m && m->config) {
    r++;
    harm__xlsx_text(ws, r++, 0, "Configuration as applied", bold);
    for (size_t i = 0; i < harm_config_n_keys(m->config); i++) {
      const char *section, *key, *value;
      harm_config_key(m->config, i, &section, &key, &value);
      if (harm_config_is_output_key(section, key)) {
        continue; /* where the files went: not part of the result */
      }
      snprintf(buf, sizeof buf, "[%s] %s", section, key);
      kv(ws, &r, buf, value, NULL);
    }
  }
  worksheet_set_column(ws, 0, 0, 34, NULL);
  worksheet_set_column(ws, 1, 1, 90, NULL);
}

harm__xlsx_formats harm__xlsx_add_formats(lxw_workbook *wb) {
  harm__xlsx_formats f;
  f.bold = workbook_add_format(wb);
  format_set_bold(f.bold);
  f.title = workbook_add_format(wb);
  format_set_bold(f.title);
  format_set_font_size(f.title, 14);
  f.days = workbook_add_format(wb);
  format_set_num_format(f.days, "#,##0.00");
  f.pct = workbook_add_format(wb);
  format_set_num_format(f.pct, "0.0%");
  return f;
}

void harm__xlsx_set_created(lxw_workbook *wb, harm_date as_of) {
  lxw_doc_properties props;
  memset(&props, 0, sizeof props);
  int64_t day = as_of == HARM_DATE_NONE ? 10957 : (int64_t)as_of;
  props.created = (time_t)(day * 86400);
  workbook_set_properties(wb, &props);
}

void harm__xlsx_set_created_from(lxw_workbook *wb, const harm_manifest *m) {
  harm__xlsx_set_created(
      wb, m && m->matrix ? harm_dataset_as_of(harm_matrix_dataset(m->matrix))
                         : HARM_DATE_NONE);
}
