/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/report/xlsx_cells.c: cell helpers shared by the workbooks:
 * formats, header rows, dates, print set-up and Run details. */
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

size_t harm__xlsx_lines(const char *s, double width) {
  /* Characters of the default font that fit a line: a width unit is one
   * digit '0', a little wider than the average letter; less a character
   * for the cell's padding and indent. */
  size_t cap = width > 3 ? (size_t)(width * 1.1) - 1 : 1;
  size_t lines = 1, col = 0;
  while (s && *s) {
    if (*s == '\n') {
      lines++;
      col = 0;
      s++;
      continue;
    }
    size_t word = 0; /* a word and the one blank after it */
    while (s[word] && s[word] != ' ' && s[word] != '\n') {
      word++;
    }
    size_t chars = 0; /* characters, not bytes, of UTF-8 */
    for (size_t k = 0; k < word; k++) {
      chars += ((unsigned char)s[k] & 0xC0) != 0x80;
    }
    if (col && col + chars > cap) {
      lines++;
      col = 0;
    }
    while (chars > cap) { /* a word longer than a line breaks anywhere */
      lines++;
      chars -= cap;
    }
    col += chars + 1;
    s += word;
    if (*s == ' ') {
      s++;
    }
  }
  return lines;
}

void harm__xlsx_row_height(lxw_worksheet *ws, lxw_row_t r, size_t lines) {
  if (lines > 1) {
    worksheet_set_row(ws, r, 15.0 * (double)lines, NULL);
  }
}

void harm__xlsx_columns(lxw_worksheet *ws, lxw_row_t r,
                        const harm__xlsx_col *cols, size_t n,
                        const harm__xlsx_formats *f) {
  size_t lines = 1;
  for (size_t i = 0; i < n; i++) {
    harm__xlsx_text(ws, r, (lxw_col_t)i, cols[i].head,
                    cols[i].num ? f->head_num : f->head);
    worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, cols[i].width, NULL);
    size_t l = 1;
    for (const char *s = cols[i].head; (s = strchr(s, '\n')) != NULL; s++) {
      l++;
    }
    lines = l > lines ? l : lines;
  }
  /* Row heights of wrapped text are not computed by every reader: a
   * header of several lines gets its height here. */
  worksheet_set_row(ws, r, 15.0 * (double)lines, NULL);
  worksheet_freeze_panes(ws, r + 1, 0);
}

void harm__xlsx_date(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, harm_date d,
                     lxw_format *fmt) {
  if (d == HARM_DATE_NONE) {
    return;
  }
  /* Excel's serial 25569 is 1970-01-01 (harm_date 0); serials are sound
   * from 61 (1900-03-01) on, after Excel's phantom 1900-02-29. */
  double serial = (double)d + 25569.0;
  if (serial < 61.0) {
    char buf[11];
    harm_date_format_iso(d, buf);
    harm__xlsx_text(ws, r, c, buf, NULL);
    return;
  }
  worksheet_write_number(ws, r, c, serial, fmt);
}

/* Copies s into out for a page header or footer: '&' starts a field code
 * there, so it is doubled; control bytes are dropped; at most `room`
 * bytes are written (cut on a whole byte sequence of UTF-8). */
static void header_text(char *out, size_t room, const char *s) {
  size_t k = 0;
  for (; s && *s && k + 2 < room; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch < 0x20 || ch == 0x7f) {
      continue;
    }
    if (ch == '&') {
      out[k++] = '&';
    }
    out[k++] = (char)ch;
  }
  /* Do not end inside a UTF-8 sequence. */
  while (k && ((unsigned char)out[k - 1] & 0xC0) == 0x80 && *s) {
    k--;
  }
  if (k && (unsigned char)out[k - 1] >= 0xC0 && *s) {
    k--;
  }
  out[k] = '\0';
}

harm_date harm__xlsx_manifest_as_of(const harm_manifest *m) {
  return m && m->run ? harm_run_window(m->run).as_of : HARM_DATE_NONE;
}

harm__xlsx_page harm__xlsx_page_of(const harm_config *cfg, const char *title,
                                   harm_date as_of) {
  harm__xlsx_page pg;
  memset(&pg, 0, sizeof pg);
  pg.marking = harm_config_marking(cfg);
  pg.title = title ? title : "";
  if (as_of != HARM_DATE_NONE) {
    harm_date_format_iso(as_of, pg.as_of);
  }
  return pg;
}

void harm__xlsx_print_setup(lxw_worksheet *ws, long header_row,
                            uint16_t pages_tall, const harm__xlsx_page *pg) {
  worksheet_set_landscape(ws);
  worksheet_set_paper(ws, 9); /* A4 */
  /* Narrow margins (inches): the page is for the table, not white space. */
  worksheet_set_margins(ws, 0.4, 0.4, 0.6, 0.6);
  worksheet_fit_to_pages(ws, 1, pages_tall);
  if (header_row >= 0) {
    worksheet_repeat_rows(ws, (lxw_row_t)header_row, (lxw_row_t)header_row);
  }
  if (!pg) {
    return;
  }
  /* Field codes: &C centre, &L left, &R right, &P page, &N pages; a
   * header or footer holds at most 255 bytes. */
  char mark[80], title[120], hf[LXW_HEADER_FOOTER_MAX + 1];
  header_text(mark, sizeof mark, pg->marking);
  header_text(title, sizeof title, pg->title);
  if (mark[0]) {
    snprintf(hf, sizeof hf, "&C&\"-,Bold\"&12%s", mark);
    worksheet_set_header(ws, hf);
  }
  snprintf(hf, sizeof hf, "&L&9%s%s%s&R&9page &P of &N", title,
           pg->as_of[0] ? ", as of " : "", pg->as_of);
  worksheet_set_footer(ws, hf);
}

/* Run details rows: a label and its value; lines[r] keeps the most
 * lines any value of row r wraps to (both blocks share rows). */
enum { RUN_ROWS = 256 };

static void kv(lxw_worksheet *ws, lxw_row_t *r, lxw_col_t c, const char *k,
               const char *v, lxw_format *kf, lxw_format *vf, double width,
               size_t *lines) {
  harm__xlsx_text(ws, *r, c, k, kf);
  harm__xlsx_text(ws, *r, (lxw_col_t)(c + 1), v, vf);
  size_t l = harm__xlsx_lines(v, width);
  if (*r < RUN_ROWS && l > lines[*r]) {
    lines[*r] = l;
  }
  (*r)++;
}

/* The run's facts (version, command, inputs, weights, window, row
 * accounting) as rows from *r down. */
static void run_facts(lxw_worksheet *ws, lxw_row_t *r, const char *command,
                      const harm_manifest *m, const harm__xlsx_formats *f,
                      double vw, size_t *lines) {
  char buf[512];
  kv(ws, r, 0, "harmrank version", harm_version(), f->bold, f->wrap, vw, lines);
  kv(ws, r, 0, "command", command ? command : "", f->bold, f->wrap, vw, lines);
  for (size_t i = 0; m && i < m->n_inputs; i++) {
    snprintf(buf, sizeof buf, "input: %s", m->inputs[i].role);
    kv(ws, r, 0, buf, m->inputs[i].path, f->bold, f->wrap, vw, lines);
  }
  if (m && m->weights) {
    size_t est = harm_weights_n_estimates(m->weights);
    snprintf(buf, sizeof buf, "%zu of %zu are estimates%s", est,
             harm_weights_count(m->weights),
             est ? ": not official CCHI values" : "");
    kv(ws, r, 0, "weights", buf, f->bold, f->wrap, vw, lines);
  }
  if (m && m->run) {
    harm_window w = harm_run_window(m->run);
    char d[11];
    harm_date_format_iso(w.as_of, d);
    kv(ws, r, 0, "as of", d, f->bold, f->wrap, vw, lines);
    snprintf(buf, sizeof buf, "%" PRIu32 " days", w.lookback_days);
    kv(ws, r, 0, "window", buf, f->bold, f->wrap, vw, lines);
    harm_accounting a = harm_run_accounting(m->run);
    snprintf(buf, sizeof buf,
             "read %" PRIu64 " = scored %" PRIu64 " + outside window %" PRIu64
             " + future-dated %" PRIu64 " + filtered %" PRIu64
             " + duplicates %" PRIu64 " + rejected %" PRIu64,
             a.read, a.scored, a.outside_window, a.future_dated, a.filtered,
             a.duplicates, a.rejected);
    kv(ws, r, 0, "rows", buf, f->bold, f->wrap, vw, lines);
  }
}

/* The configuration keys that differ from their defaults, in two blocks
 * side by side (columns D and G from row 3), so the sheet prints on one
 * readable page; manifest.json keeps every key. Where the files went is
 * not part of the result. */
static void config_blocks(lxw_worksheet *ws, const harm_config *config,
                          const harm__xlsx_formats *f, double cw,
                          size_t *lines) {
  harm_config *def = NULL;
  harm_config_new(&def, NULL);
  const char *shown[2 * RUN_ROWS][2];
  size_t n_shown = 0, n = harm_config_n_keys(config);
  char names[2 * RUN_ROWS][96];
  for (size_t i = 0; i < n && n_shown < 2 * RUN_ROWS; i++) {
    const char *section, *key, *value;
    harm_config_key(config, i, &section, &key, &value);
    const char *dv = def && strcmp(section, "filter") != 0
                         ? harm_config_get(def, section, key)
                         : NULL;
    if (harm_config_is_output_key(section, key) ||
        (dv && value && strcmp(dv, value) == 0)) {
      continue;
    }
    snprintf(names[n_shown], sizeof names[n_shown], "[%s] %s", section, key);
    shown[n_shown][0] = names[n_shown];
    shown[n_shown][1] = value ? value : "";
    n_shown++;
  }
  harm_config_free(def);
  harm__xlsx_text(ws, 2, 3,
                  "Configuration: keys not at their defaults "
                  "(manifest.json lists every key)",
                  f->bold);
  size_t half = (n_shown + 1) / 2;
  for (size_t i = 0; i < n_shown; i++) {
    lxw_row_t cr = (lxw_row_t)(3 + (i < half ? i : i - half));
    kv(ws, &cr, (lxw_col_t)(i < half ? 3 : 6), shown[i][0], shown[i][1], f->top,
       f->wrap, cw, lines);
  }
  worksheet_set_column(ws, 2, 2, 2, NULL);
  worksheet_set_column(ws, 3, 3, 27, NULL);
  worksheet_set_column(ws, 4, 4, cw, NULL);
  worksheet_set_column(ws, 5, 5, 2, NULL);
  worksheet_set_column(ws, 6, 6, 27, NULL);
  worksheet_set_column(ws, 7, 7, cw, NULL);
}

void harm__xlsx_run_details(lxw_workbook *wb, const char *command,
                            const harm_manifest *m, const harm__xlsx_formats *f,
                            const harm__xlsx_page *pg) {
  lxw_worksheet *ws = workbook_add_worksheet(wb, "Run details");
  lxw_row_t r = 0;
  size_t lines[RUN_ROWS] = {0};
  const double vw = 56, cw = 26; /* value widths: run facts, config */
  harm__xlsx_text(ws, r++, 0, "Run details", f->title);
  r++;
  run_facts(ws, &r, command, m, f, vw, lines);
  worksheet_set_column(ws, 0, 0, 16, NULL);
  worksheet_set_column(ws, 1, 1, vw, NULL);
  long header = -1;
  if (m && m->config) {
    config_blocks(ws, m->config, f, cw, lines);
  }
  for (lxw_row_t k = 0; k < RUN_ROWS; k++) {
    harm__xlsx_row_height(ws, k, lines[k]);
  }
  harm__xlsx_print_setup(ws, header, 1, pg);
}

harm__xlsx_formats harm__xlsx_add_formats(lxw_workbook *wb) {
  harm__xlsx_formats f;
  f.bold = workbook_add_format(wb);
  format_set_bold(f.bold);
  format_set_align(f.bold, LXW_ALIGN_VERTICAL_TOP);
  f.title = workbook_add_format(wb);
  format_set_bold(f.title);
  format_set_font_size(f.title, 14);
  f.days = workbook_add_format(wb);
  format_set_num_format(f.days, "#,##0.0");
  format_set_align(f.days, LXW_ALIGN_VERTICAL_TOP);
  f.pct = workbook_add_format(wb);
  format_set_num_format(f.pct, "0.0%");
  format_set_align(f.pct, LXW_ALIGN_VERTICAL_TOP);
  f.count = workbook_add_format(wb);
  format_set_num_format(f.count, "#,##0");
  format_set_align(f.count, LXW_ALIGN_VERTICAL_TOP);
  f.date = workbook_add_format(wb);
  format_set_num_format(f.date, "yyyy-mm-dd");
  format_set_align(f.date, LXW_ALIGN_VERTICAL_TOP);
  f.wrap = workbook_add_format(wb);
  format_set_text_wrap(f.wrap);
  format_set_indent(f.wrap, 1);
  format_set_align(f.wrap, LXW_ALIGN_VERTICAL_TOP);
  f.top = workbook_add_format(wb);
  format_set_align(f.top, LXW_ALIGN_VERTICAL_TOP);
  f.alert = workbook_add_format(wb);
  format_set_bold(f.alert);
  format_set_font_color(f.alert, 0x9C0006);
  f.head = workbook_add_format(wb);
  format_set_bold(f.head);
  format_set_text_wrap(f.head);
  format_set_bottom(f.head, LXW_BORDER_THIN);
  format_set_indent(f.head, 1);
  format_set_align(f.head, LXW_ALIGN_VERTICAL_BOTTOM);
  f.head_num = workbook_add_format(wb);
  format_set_bold(f.head_num);
  format_set_text_wrap(f.head_num);
  format_set_bottom(f.head_num, LXW_BORDER_THIN);
  format_set_align(f.head_num, LXW_ALIGN_RIGHT);
  format_set_align(f.head_num, LXW_ALIGN_VERTICAL_BOTTOM);
  f.warn = workbook_add_format(wb);
  format_set_bold(f.warn);
  format_set_text_wrap(f.warn);
  format_set_font_color(f.warn, 0x9C0006);
  format_set_indent(f.warn, 1);
  format_set_align(f.warn, LXW_ALIGN_VERTICAL_TOP);
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
  harm__xlsx_set_created(wb, harm__xlsx_manifest_as_of(m));
}
