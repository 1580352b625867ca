/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/report/xlsx_cells.c: cell helpers shared by the workbooks. */
#include "report/xlsx_cells.h"

#include <stdio.h>

void harm__xlsx_text(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s,
                     lxw_format *f) {
  if (s && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) {
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
