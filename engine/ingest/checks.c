/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/ingest/checks.c: the checks that stop a wrong list: what the
 * rows show about rejects per column, the latest dates and the filter
 * values, gathered per loader, folded across parallel chunks in file
 * order, and judged once every row has been read. */
#include <stdio.h>
#include <string.h>

#include "ingest/loader.h"

/* ---- Checks that stop a wrong list ------------------------------------
 * An input mistake that would empty or gut a list must not pass as a
 * normal run (DESIGN.md section 5, README "Checks that stop a wrong
 * list"). Ingest stops with HARM_ERR_DATA when:
 *  - more than max_reject_share of the data rows (default 0.5) are
 *    rejected for one fault, counted per column at fault (whole-row faults
 *    such as a wrong field count are one more "column"), and that is at
 *    least CHECK_MIN_REJECTS rows or every row. Dates that fail as
 *    YYYY-MM-DD but read as DD/MM/YYYY are named as such;
 *  - as_of is the latest date (the default) and that date is far beyond
 *    the data: after opts->today, or more than CHECK_GAP_DAYS after every
 *    other date while the rows above the gap are at most 1% of the valid
 *    rows (and on fewer than CHECK_TOP distinct dates);
 *  - a filter value matches no valid row of the file.
 * Each verdict names the file, a line and a column, and the fix. */
enum { CHECK_MIN_REJECTS = 10, CHECK_GAP_DAYS = 366 };

void harm__ingest_check_free(loader *ld) {
  checks *c = &ld->chk;
  harm__free(c->rej_col);
  harm__free(c->rej_line);
  harm__free(c->hit);
  if (c->seen) {
    for (size_t k = 0; k < ld->opts->n_filters; k++) {
      for (size_t i = 0; i < c->seen[k].n; i++) {
        harm__free(c->seen[k].v[i]);
      }
    }
  }
  harm__free(c->seen);
  memset(c, 0, sizeof *c);
}

static bool check_reject_n(loader *ld, size_t col, size_t line, uint64_t n) {
  checks *c = &ld->chk;
  if (!c->rej_col) {
    c->rej_col = harm__calloc(ld->n_cols + 1, sizeof *c->rej_col);
    c->rej_line = harm__calloc(ld->n_cols + 1, sizeof *c->rej_line);
    if (!c->rej_col || !c->rej_line) {
      return false;
    }
  }
  size_t k = col < ld->n_cols ? col : ld->n_cols;
  c->rej_col[k] += n;
  if (!c->rej_line[k] || line < c->rej_line[k]) {
    c->rej_line[k] = line;
  }
  return true;
}

bool harm__ingest_check_reject(loader *ld, size_t col, size_t line) {
  return check_reject_n(ld, col, line, 1);
}

/* Counts n rows dated d (first seen on `line`) among the latest dates. */
static void check_date(checks *c, harm_date d, uint64_t n, size_t line) {
  if (c->n_top == CHECK_TOP && d < c->top[CHECK_TOP - 1].d) {
    return;
  }
  size_t i = 0;
  while (i < c->n_top && c->top[i].d > d) {
    i++;
  }
  if (i < c->n_top && c->top[i].d == d) {
    c->top[i].n += n;
    if (line < c->top[i].line) {
      c->top[i].line = line;
    }
    return;
  }
  if (i == CHECK_TOP) {
    return;
  }
  size_t last = c->n_top < CHECK_TOP ? c->n_top : CHECK_TOP - 1;
  memmove(&c->top[i + 1], &c->top[i], (last - i) * sizeof c->top[0]);
  c->top[i].d = d;
  c->top[i].n = n;
  c->top[i].line = line;
  if (c->n_top < CHECK_TOP) {
    c->n_top++;
  }
}

/* Keeps the CHECK_SEEN smallest distinct values of a filter's column. */
static bool check_see(check_seen *s, const char *p, size_t len) {
  size_t i = 0;
  int cmp = 1;
  while (i < s->n) {
    size_t vl = strlen(s->v[i]);
    cmp = memcmp(s->v[i], p, vl < len ? vl : len);
    if (cmp == 0) {
      cmp = vl < len ? -1 : vl > len ? 1 : 0;
    }
    if (cmp >= 0) {
      break;
    }
    i++;
  }
  if ((i < s->n && cmp == 0) || i == CHECK_SEEN || memchr(p, '\0', len)) {
    return true;
  }
  char *v = harm__strndup(p, len);
  if (!v) {
    return false;
  }
  if (s->n == CHECK_SEEN) {
    harm__free(s->v[CHECK_SEEN - 1]);
    s->n--;
  }
  memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof s->v[0]);
  s->v[i] = v;
  s->n++;
  return true;
}

static bool check_alloc_filters(loader *ld) {
  checks *c = &ld->chk;
  const harm_ingest_opts *o = ld->opts;
  size_t n = 0;
  for (size_t k = 0; k < o->n_filters; k++) {
    n += o->filters[k].n_values;
  }
  c->n_hit = n;
  c->hit = harm__calloc(n + 1, sizeof *c->hit);
  c->seen = harm__calloc(o->n_filters, sizeof *c->seen);
  return c->hit && c->seen;
}

/* Notes which filter values a valid row matches (and which values its
 * filter columns hold), until every value has matched some row. */
static bool check_filters(loader *ld, const harm__csv_record *rec) {
  checks *c = &ld->chk;
  const harm_ingest_opts *o = ld->opts;
  if (!c->hit && !check_alloc_filters(ld)) {
    return false;
  }
  bool all = true;
  size_t base = 0;
  for (size_t k = 0; k < o->n_filters; k++) {
    const harm_filter *f = &o->filters[k];
    const col_filter *cf = &ld->filters[k];
    const char *p = rec->fields[cf->col].p;
    size_t len = rec->fields[cf->col].len;
    harm__trim(&p, &len);
    bool b = false;
    bool is_bool = cf->boolean && (len == 0 || harm__parse_bool(p, len, &b));
    for (size_t v = 0; v < f->n_values; v++) {
      if (!c->hit[base + v]) {
        bool want = false;
        if (is_bool) {
          (void)harm__parse_bool(f->values[v], strlen(f->values[v]), &want);
        }
        c->hit[base + v] =
            is_bool ? want == b : harm__ieq(p, len, f->values[v]);
      }
      all = all && c->hit[base + v];
    }
    if (!cf->boolean && !check_see(&c->seen[k], p, len)) {
      return false;
    }
    base += f->n_values;
  }
  c->all_hit = all;
  return true;
}

bool harm__ingest_check_row_slow(loader *ld, const harm__csv_record *rec,
                                 harm_date date) {
  checks *c = &ld->chk;
  if (ld->deferred) {
    check_date(c, date, 1, rec->line);
  }
  if (ld->opts->n_filters && !c->all_hit) {
    return check_filters(ld, rec);
  }
  return true;
}

/* Folds a loader's findings into the master's, its lines moved by base. */
bool harm__ingest_check_fold(loader *master, const loader *from, size_t base) {
  checks *m = &master->chk;
  const checks *c = &from->chk;
  m->dmy_dates += c->dmy_dates;
  m->n_dated += c->n_dated;
  for (size_t k = 0; c->rej_col && k <= master->n_cols; k++) {
    if (c->rej_col[k] &&
        !check_reject_n(master, k, c->rej_line[k] + base, c->rej_col[k])) {
      return false;
    }
  }
  for (size_t i = 0; i < c->n_top; i++) {
    check_date(m, c->top[i].d, c->top[i].n, c->top[i].line + base);
  }
  if (c->hit) {
    if (!m->hit && !check_alloc_filters(master)) {
      return false;
    }
    bool all = true;
    for (size_t i = 0; i < m->n_hit; i++) {
      m->hit[i] = m->hit[i] || c->hit[i];
      all = all && m->hit[i];
    }
    m->all_hit = all;
    for (size_t k = 0; k < master->opts->n_filters; k++) {
      for (size_t i = 0; i < c->seen[k].n; i++) {
        if (!check_see(&m->seen[k], c->seen[k].v[i], strlen(c->seen[k].v[i]))) {
          return false;
        }
      }
    }
  }
  return true;
}

static harm_status check_rejects(loader *ld) {
  const checks *c = &ld->chk;
  double share = ld->opts->max_reject_share;
  uint64_t read = ld->ds->acct.read;
  if (!c->rej_col || !(share < 1.0)) {
    return HARM_OK;
  }
  size_t worst = 0;
  for (size_t k = 1; k <= ld->n_cols; k++) {
    if (c->rej_col[k] > c->rej_col[worst]) {
      worst = k;
    }
  }
  uint64_t n = c->rej_col[worst];
  if (!((double)n > share * (double)read &&
        (n >= CHECK_MIN_REJECTS || n == read))) {
    return HARM_OK;
  }
  const char *column = worst < ld->n_cols ? ld->names[worst] : NULL;
  char hint[160] = "check the rejects file for the reason";
  if (worst == ld->col[COL_DATE] && c->dmy_dates * 2 > n) {
    snprintf(hint, sizeof hint,
             "%llu of them read as DD/MM/YYYY: pass --date-format dmy "
             "([input] date_format = dmy)",
             (unsigned long long)c->dmy_dates);
  }
  return harm__fail(
      ld->err, HARM_ERR_DATA, "ingest", ld->name, c->rej_line[worst], column,
      "%llu of %llu data rows (%.0f%%) were rejected for this "
      "%s, first on this line; %s. The list would be gutted, so "
      "the run stops (--allow-rejects goes on)",
      (unsigned long long)n, (unsigned long long)read,
      100.0 * (double)n / (double)read, column ? "column" : "row layout", hint);
}

static harm_status check_latest(loader *ld) {
  const checks *c = &ld->chk;
  if (!ld->deferred || c->n_top == 0) {
    return HARM_OK;
  }
  char latest[11], other[11];
  harm_date_format_iso(c->top[0].d, latest);
  const char *col = ld->names[ld->col[COL_DATE]];
  harm_date today = ld->opts->today;
  if (today != HARM_DATE_NONE && c->top[0].d > today) {
    harm_date_format_iso(today, other);
    return harm__fail(ld->err, HARM_ERR_DATA, "ingest", ld->name,
                      c->top[0].line, col,
                      "the latest offence date, %s, is after today (%s): "
                      "with as_of = latest the window would end there and "
                      "miss the data; correct the date or pass --as-of "
                      "YYYY-MM-DD",
                      latest, other);
  }
  uint64_t above = 0;
  for (size_t i = 0; i + 1 < c->n_top; i++) {
    above += c->top[i].n;
    if ((int64_t)c->top[i].d - c->top[i + 1].d > CHECK_GAP_DAYS) {
      if (above * 100 > c->n_dated) {
        break;
      }
      harm_date_format_iso(c->top[i + 1].d, other);
      return harm__fail(
          ld->err, HARM_ERR_DATA, "ingest", ld->name, c->top[0].line, col,
          "the latest offence date, %s, is %lld days after the rest of the "
          "data (%llu of %llu rows lie beyond %s): with as_of = latest the "
          "window would miss the data; correct the date or pass --as-of "
          "YYYY-MM-DD",
          latest, (long long)((int64_t)c->top[0].d - c->top[i + 1].d),
          (unsigned long long)above, (unsigned long long)c->n_dated, other);
    }
  }
  return HARM_OK;
}

static harm_status check_filter_values(loader *ld) {
  const checks *c = &ld->chk;
  const harm_ingest_opts *o = ld->opts;
  if (!o->n_filters || c->all_hit) {
    return HARM_OK;
  }
  size_t base = 0;
  for (size_t k = 0; k < o->n_filters; k++) {
    const harm_filter *f = &o->filters[k];
    for (size_t v = 0; v < f->n_values; v++) {
      if (c->hit && c->hit[base + v]) {
        continue;
      }
      char have[200] = "";
      size_t used = 0;
      for (size_t i = 0; c->seen && i < c->seen[k].n; i++) {
        int w = snprintf(have + used, sizeof have - used, "%s\"%s\"",
                         i ? ", " : "", c->seen[k].v[i]);
        if (w < 0 || (size_t)w >= sizeof have - used) {
          have[used] = '\0';
          break;
        }
        used += (size_t)w;
      }
      bool more = c->seen && c->seen[k].n == CHECK_SEEN;
      return harm__fail(
          ld->err, HARM_ERR_DATA, "ingest", ld->name, 0, f->column,
          "filter value \"%s\" matches no row, so the list would be narrowed "
          "or empty; %s%s%s",
          f->values[v],
          ld->filters[k].boolean ? "no row has that yes/no value"
          : used                 ? "values in the file: "
                                 : "the column is empty",
          have, more ? ", ..." : "");
    }
    base += f->n_values;
  }
  return HARM_OK;
}

/* Runs the checks once every row has been read and folded. */
harm_status harm__ingest_check_finish(loader *ld) {
  harm_status st = check_rejects(ld);
  if (st == HARM_OK) {
    st = check_filter_values(ld);
  }
  if (st == HARM_OK) {
    st = check_latest(ld);
  }
  return st;
}
