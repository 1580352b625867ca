/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/report/xlsx_cells.h: cell helpers shared by the two workbooks
 * (cohort.xlsx and analysis.xlsx). Not installed. */
#ifndef HARMRANK_REPORT_XLSX_CELLS_H
#define HARMRANK_REPORT_XLSX_CELLS_H

#include <stddef.h>
#include <xlsxwriter.h>

#include "harmrank/report.h"

/* Writes a text cell. A value harm_report_formula_like calls a formula
 * gets a leading quote, as in the CSV outputs (cells here are never formulas,
 * but a copied value must not become one either). */
void harm__xlsx_text(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s,
                     lxw_format *f);

/* The formats both workbooks use. */
typedef struct harm__xlsx_formats {
  lxw_format *bold;
  lxw_format *title; /* bold, 14 pt */
  lxw_format *days;  /* #,##0.00 */
  lxw_format *pct;   /* 0.0% */
} harm__xlsx_formats;

/* Adds the shared formats to a workbook. */
harm__xlsx_formats harm__xlsx_add_formats(lxw_workbook *wb);

/* Writes a header row in `bold` and freezes the panes below it. */
void harm__xlsx_header(lxw_worksheet *ws, lxw_row_t r, const char *const *names,
                       size_t n, lxw_format *bold);

/* Print set-up for a meeting pack: A4 landscape, one page wide, the
 * header row `header_row` repeated on every page. */
void harm__xlsx_print_setup(lxw_worksheet *ws, lxw_row_t header_row);

/* Adds the "Run details" sheet: version, command, inputs, weights (with
 * the estimates warning), window, row accounting and the configuration as
 * applied. m may be NULL (only version and command are written). */
void harm__xlsx_run_details(lxw_workbook *wb, const char *command,
                            const harm_manifest *m, lxw_format *bold);

/* Sets the workbook's creation time to midnight (UTC) of `as_of` (2000-01-01
 * when as_of is HARM_DATE_NONE) instead of the clock, so the same run
 * writes the same bytes and `harmrank verify` can compare workbooks by
 * hash. */
void harm__xlsx_set_created(lxw_workbook *wb, harm_date as_of);

/* As harm__xlsx_set_created, with the window end of the manifest's matrix
 * (none when m or its matrix is NULL). */
void harm__xlsx_set_created_from(lxw_workbook *wb, const harm_manifest *m);

#endif /* HARMRANK_REPORT_XLSX_CELLS_H */
