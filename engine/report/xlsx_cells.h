/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/report/xlsx_cells.h: cell helpers shared by the two workbooks
 * (cohort.xlsx and analysis.xlsx): formats, header rows with column
 * widths, dates, print set-up and the Run details sheet. Not installed. */
#ifndef HARMRANK_REPORT_XLSX_CELLS_H
#define HARMRANK_REPORT_XLSX_CELLS_H

#include <stdbool.h>
#include <stddef.h>
#include <xlsxwriter.h>

#include "harmrank/report.h"

/* Writes a text cell. A value harm_report_formula_like calls a formula
 * gets a leading quote, as in the CSV outputs (cells here are never formulas,
 * but a copied value must not become one either). */
void harm__xlsx_text(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s,
                     lxw_format *f);

/* The formats both workbooks use. Every body format aligns to the top of
 * its cell, so a row with wrapped text still reads across. */
typedef struct harm__xlsx_formats {
  lxw_format *bold;     /* bold, top */
  lxw_format *title;    /* bold, 14 pt */
  lxw_format *days;     /* harm in days: #,##0.0 (one format everywhere) */
  lxw_format *pct;      /* 0.0% */
  lxw_format *count;    /* whole numbers, #,##0 */
  lxw_format *date;     /* a real date cell: yyyy-mm-dd */
  lxw_format *wrap;     /* text, wrapped */
  lxw_format *head;     /* header: bold, wrapped, bottom border, left */
  lxw_format *head_num; /* the same, right-aligned over numbers */
  lxw_format *warn;     /* bold dark red, wrapped: warnings */
  lxw_format *top;      /* plain text, top */
  lxw_format *alert;    /* bold dark red, one line (spills right) */
} harm__xlsx_formats;

/* Adds the shared formats to a workbook. */
harm__xlsx_formats harm__xlsx_add_formats(lxw_workbook *wb);

/* How many lines text s takes when wrapped (at blanks) in a column
 * `width` Excel character units wide: an estimate on the safe side,
 * since readers do not all size rows of wrapped text themselves. */
size_t harm__xlsx_lines(const char *s, double width);

/* Sets row r tall enough for `lines` lines (leaves a one-line row). */
void harm__xlsx_row_height(lxw_worksheet *ws, lxw_row_t r, size_t lines);

/* One column of a table: its header (lines split by '\n'; no line is
 * longer than `width` characters), its width in Excel character units,
 * and whether it holds numbers (header right-aligned over them). */
typedef struct harm__xlsx_col {
  const char *head;
  double width;
  bool num;
} harm__xlsx_col;

/* Writes a header row of n columns starting at column 0 (as many lines
 * high as its tallest name), sets the column widths, and freezes the
 * panes below it. */
void harm__xlsx_columns(lxw_worksheet *ws, lxw_row_t r,
                        const harm__xlsx_col *cols, size_t n,
                        const harm__xlsx_formats *f);

/* Writes a date as a real date cell (Excel serial number with `fmt`);
 * HARM_DATE_NONE leaves the cell empty, a date before 1900-03-01 (which
 * Excel's serials cannot hold) is written as ISO text. */
void harm__xlsx_date(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, harm_date d,
                     lxw_format *fmt);

/* What every printed page carries. */
typedef struct harm__xlsx_page {
  const char *marking; /* protective marking in the page header; "" none */
  const char *title;   /* list or command name, in the footer */
  char as_of[11];      /* window end, in the footer ("" when unknown) */
} harm__xlsx_page;

/* The page set-up of a run: marking from [output] marking (the default
 * when cfg is NULL), title, the window's end (HARM_DATE_NONE: none). */
harm__xlsx_page harm__xlsx_page_of(const harm_config *cfg, const char *title,
                                   harm_date as_of);

/* The window's end of the run a manifest describes (HARM_DATE_NONE when
 * it names no run). */
harm_date harm__xlsx_manifest_as_of(const harm_manifest *m);

/* Print set-up for a meeting pack: A4 landscape, narrow margins, one page
 * wide and `pages_tall` pages tall (0 = as many as needed), the header row
 * `header_row` repeated on every page (none when negative), the marking in
 * the page header and "title, as of date" and "page X of Y" in the footer. */
void harm__xlsx_print_setup(lxw_worksheet *ws, long header_row,
                            uint16_t pages_tall, const harm__xlsx_page *pg);

/* Adds the "Run details" sheet, printed on one page: version, command,
 * inputs, weights (with the estimates warning), window and row accounting
 * on the left, the configuration as applied in two blocks on the right.
 * m may be NULL (only version and command are written). */
void harm__xlsx_run_details(lxw_workbook *wb, const char *command,
                            const harm_manifest *m, const harm__xlsx_formats *f,
                            const harm__xlsx_page *pg);

/* Sets the workbook's creation time to midnight (UTC) of `as_of` (2000-01-01
 * when as_of is HARM_DATE_NONE) instead of the clock, so the same run
 * writes the same bytes and `harmrank verify` can compare workbooks by
 * hash. */
void harm__xlsx_set_created(lxw_workbook *wb, harm_date as_of);

/* As harm__xlsx_set_created, with the window end of the manifest's matrix
 * (none when m or its matrix is NULL). */
void harm__xlsx_set_created_from(lxw_workbook *wb, const harm_manifest *m);

#endif /* HARMRANK_REPORT_XLSX_CELLS_H */
