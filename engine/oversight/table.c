/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/oversight/table.c: reads the small CSV files oversight works
 * from (a past run's cohort.csv and movers.csv, groups.csv, a reference
 * population) whole into memory with libcsv, and the notes list. */
#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/digest.h"
#include "core/internal.h"
#include "oversight/internal.h"

enum { MAX_TABLE_BYTES = 64 << 20, MAX_COLS = 256 };

typedef struct loader {
  harm__table *t;
  char *row[MAX_COLS];
  size_t n_fields;
  size_t line; /* physical line where the record started */
  size_t cur_line;
  bool header_done;
  bool nomem;
  bool too_wide;
  size_t bad_line;
  char **cells;
  size_t cap_cells;
} loader;

static void on_field(void *s, size_t len, void *ctx) {
  loader *l = ctx;
  if (l->nomem || l->bad_line) {
    return;
  }
  if (l->n_fields == MAX_COLS ||
      (l->header_done && l->n_fields == l->t->n_cols)) {
    l->bad_line = l->line ? l->line : 1;
    return;
  }
  const char *p = s ? s : "";
  harm__trim(&p, &len);
  char *c = harm__strndup(p, len);
  if (!c) {
    l->nomem = true;
    return;
  }
  l->row[l->n_fields++] = c;
}

static void drop_row(loader *l) {
  for (size_t i = 0; i < l->n_fields; i++) {
    harm__free(l->row[i]);
  }
  l->n_fields = 0;
}

static void on_row(int c, void *ctx) {
  (void)c;
  loader *l = ctx;
  if (l->nomem || l->bad_line) {
    drop_row(l);
    return;
  }
  harm__table *t = l->t;
  if (!l->header_done) {
    t->header = harm__calloc(l->n_fields ? l->n_fields : 1, sizeof *t->header);
    if (!t->header) {
      l->nomem = true;
      drop_row(l);
      return;
    }
    memcpy(t->header, l->row, l->n_fields * sizeof *l->row);
    t->n_cols = l->n_fields;
    l->n_fields = 0;
    l->header_done = true;
    return;
  }
  if (l->n_fields == 1 && l->row[0][0] == '\0' && t->n_cols > 1) {
    drop_row(l); /* a blank line */
    return;
  }
  size_t need = (t->n_rows + 1) * t->n_cols;
  if (need > l->cap_cells) {
    size_t cap = l->cap_cells ? l->cap_cells * 2 : 64 * t->n_cols;
    while (cap < need) {
      cap *= 2;
    }
    char **grown = harm__reallocarray(l->cells, cap, sizeof *grown);
    if (!grown) {
      l->nomem = true;
      drop_row(l);
      return;
    }
    l->cells = grown;
    l->cap_cells = cap;
  }
  char **dst = l->cells + t->n_rows * t->n_cols;
  for (size_t i = 0; i < t->n_cols; i++) {
    dst[i] = i < l->n_fields ? l->row[i] : harm__strdup("");
    if (!dst[i]) {
      l->nomem = true;
    }
  }
  l->n_fields = 0;
  t->n_rows++;
  t->cells = l->cells;
}

/* Feeds the file to the parser a byte at a time (line numbers follow the
 * records) and to the digest, skipping a UTF-8 byte order mark; stops past
 * MAX_TABLE_BYTES, on a parse error, or when the loader failed. Returns
 * true on a parse error; *total_out is the bytes read. */
static bool parse_file(FILE *fp, struct csv_parser *p, loader *l,
                       harm__digest *d, size_t *total_out) {
  char buf[1 << 16];
  size_t n, total = 0;
  bool first = true, parse_error = false;
  while ((n = fread(buf, 1, sizeof buf, fp)) > 0) {
    harm__digest_update(d, buf, n);
    total += n;
    if (total > MAX_TABLE_BYTES) {
      break;
    }
    const char *b = buf;
    size_t len = n;
    if (first && len >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0) {
      b += 3; /* a UTF-8 byte order mark */
      len -= 3;
    }
    first = false;
    for (size_t i = 0; i < len; i++) {
      /* One byte at a time so line numbers follow the records. */
      if (csv_parse(p, b + i, 1, on_field, on_row, l) != 1) {
        parse_error = true;
        break;
      }
      if (b[i] == '\n') {
        l->cur_line++;
        if (l->n_fields == 0) {
          l->line = l->cur_line + 1;
        }
      }
    }
    if (parse_error || l->nomem || l->bad_line) {
      break;
    }
  }
  *total_out = total;
  return parse_error;
}

/* The one error a load raises, in order of precedence, or HARM_OK. */
static harm_status load_status(const loader *l, const char *path,
                               bool read_error, size_t total, bool parse_error,
                               harm_error *err) {
  harm_status st = HARM_OK;
  if (l->nomem) {
    st = harm__fail(err, HARM_ERR_NOMEM, "oversight", path, 0, NULL,
                    "out of memory");
  } else if (read_error) {
    st = harm__fail(err, HARM_ERR_IO, "oversight", path, 0, NULL, "read error");
  } else if (total > MAX_TABLE_BYTES) {
    st = harm__fail(err, HARM_ERR_LIMIT, "oversight", path, 0, NULL,
                    "larger than 64 MiB");
  } else if (parse_error) {
    st = harm__fail(err, HARM_ERR_DATA, "oversight", path, l->cur_line + 1,
                    NULL, "not valid CSV (a quote out of place)");
  } else if (l->bad_line) {
    st = harm__fail(err, HARM_ERR_DATA, "oversight", path, l->bad_line, NULL,
                    "more fields than the header has");
  } else if (!l->header_done) {
    st = harm__fail(err, HARM_ERR_DATA, "oversight", path, 1, NULL,
                    "empty file: a header row is required");
  }
  return st;
}

harm_status harm__table_load(const char *path, harm__table *t,
                             harm_error *err) {
  memset(t, 0, sizeof *t);
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    return harm__fail(err, HARM_ERR_IO, "oversight", path, 0, NULL,
                      "cannot open: %s", strerror(errno));
  }
  t->source = harm__strdup(path);
  struct csv_parser p;
  harm__digest d = {0};
  if (!t->source || csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
    harm__free(t->source);
    t->source = NULL;
    fclose(fp);
    return harm__fail(err, HARM_ERR_NOMEM, "oversight", path, 0, NULL,
                      "out of memory");
  }
  harm__digest_begin(&d);
  loader l;
  memset(&l, 0, sizeof l);
  l.t = t;
  l.line = 1;
  size_t total = 0;
  bool parse_error = parse_file(fp, &p, &l, &d, &total);
  bool read_error = ferror(fp) != 0;
  fclose(fp);
  if (!parse_error && !l.nomem && !l.bad_line &&
      csv_fini(&p, on_field, on_row, &l) != 0) {
    parse_error = true;
  }
  csv_free(&p);
  drop_row(&l);
  t->cells = l.cells;
  harm_status st = load_status(&l, path, read_error, total, parse_error, err);
  if (st == HARM_OK && !harm__digest_end(&d, &t->hash)) {
    st = harm__fail(err, HARM_ERR_NOMEM, "oversight", path, 0, NULL,
                    "out of memory");
  } else if (st != HARM_OK) {
    harm__digest_free(&d);
  }
  if (st != HARM_OK) {
    harm__table_free(t);
  }
  return st;
}

void harm__table_free(harm__table *t) {
  if (!t) {
    return;
  }
  for (size_t i = 0; t->cells && i < t->n_rows * t->n_cols; i++) {
    harm__free(t->cells[i]);
  }
  harm__free(t->cells);
  for (size_t i = 0; t->header && i < t->n_cols; i++) {
    harm__free(t->header[i]);
  }
  harm__free(t->header);
  harm__free(t->source);
  memset(t, 0, sizeof *t);
}

int harm__table_col(const harm__table *t, const char *name) {
  for (size_t i = 0; i < t->n_cols; i++) {
    if (strcmp(t->header[i], name) == 0) {
      return (int)i;
    }
  }
  return -1;
}

const char *harm__table_cell(const harm__table *t, size_t row, int col) {
  if (col < 0 || (size_t)col >= t->n_cols || row >= t->n_rows) {
    return "";
  }
  return t->cells[row * t->n_cols + (size_t)col];
}

void harm__join(char *buf, size_t cap, const char *dir, const char *name) {
  size_t n = strlen(dir);
  snprintf(buf, cap, "%s%s%s", dir, n && dir[n - 1] != '/' ? "/" : "", name);
}

void harm__notes_add(void *ctx, const char *text) {
  harm__notes *n = ctx;
  if (n->n == n->cap) {
    size_t cap = n->cap ? n->cap * 2 : 8;
    char **grown = harm__reallocarray(n->text, cap, sizeof *grown);
    if (!grown) {
      n->failed = true;
      return;
    }
    n->text = grown;
    n->cap = cap;
  }
  char *c = harm__strdup(text);
  if (!c) {
    n->failed = true;
    return;
  }
  n->text[n->n++] = c;
}

void harm__notes_free(harm__notes *n) {
  for (size_t i = 0; i < n->n; i++) {
    harm__free(n->text[i]);
  }
  harm__free(n->text);
  memset(n, 0, sizeof *n);
}
