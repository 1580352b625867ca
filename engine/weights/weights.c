/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/weights/weights.c: loads harm weight tables (native or the CCHI
 * values-sheet export) and alias tables. A bad weight is never skipped:
 * every fault stops the load with file, line and column. */
#include "harmrank/weights.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csvread.h"
#include "core/internal.h"
#include "core/strpool.h"

typedef struct entry {
  uint32_t code; /* index in codes pool */
  char *description;
  double harm;
  char *category;
  bool proactive;
  bool estimate;
  char *source;
  size_t line; /* where it was defined, for duplicate messages */
} entry;

struct harm_weights {
  char *name;
  harm_weights_format layout;
  harm__strpool codes; /* code strings; index = entry index */
  entry *entries;      /* by pool index */
  size_t n_entries;
  size_t cap_entries;
  harm_weight *view; /* public view, sorted by code */
  size_t *view_of;   /* view position of pool index i */
  size_t n_estimates;
  size_t n_merged;
  harm__strpool alias_from;
  char **alias_to; /* by alias_from index, final target */
  size_t n_aliases;
  harm_input_hash hash;       /* of the weights bytes read */
  harm_input_hash alias_hash; /* of the alias bytes read */
  size_t cap_aliases;         /* capacity of alias_to */
};

enum { W_CODE, W_DESC, W_HARM, W_CAT, W_PROACTIVE, W_SOURCE, W_KEY2, W_N };

typedef struct wload {
  harm_weights *w;
  const harm_weights_opts *opts;
  const char *name;
  harm_error *err;
  bool have_header;
  harm_weights_format layout;
  size_t col[W_N];
  size_t n_cols;
  harm_status status;
} wload;

#define ABSENT SIZE_MAX

static harm_status wfail(wload *ld, size_t line, size_t col,
                         const harm__csv_record *rec, const char *fmt, ...)
    HARM__PRINTF(5, 6);

static harm_status wfail(wload *ld, size_t line, size_t col,
                         const harm__csv_record *rec, const char *fmt, ...) {
  char msg[HARM_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  char column[HARM_ERROR_COLUMN_MAX] = "";
  if (rec == NULL && col != ABSENT) {
    snprintf(column, sizeof column, "%zu", col + 1);
  }
  ld->status = harm__fail(ld->err, HARM_ERR_DATA, "weights", ld->name, line,
                          column, "%s", msg);
  return ld->status;
}

static size_t header_find(const harm__csv_record *rec, const char *name) {
  for (size_t i = 0; i < rec->n_fields; i++) {
    const char *p = rec->fields[i].p;
    size_t len = rec->fields[i].len;
    harm__trim(&p, &len);
    if (harm__ieq(p, len, name)) {
      return i;
    }
  }
  return ABSENT;
}

static const char *const native_cols[W_N] = {
    "offence_code", "description", "harm", "category",
    "proactive",    "source",      NULL};

/* The CCHI export's column for each join key (weights.h). */
static const char *cchi_key_column(harm_cchi_key key) {
  switch (key) {
  case HARM_KEY_ATHENA:
    return "ATHENA URN";
  case HARM_KEY_HO_CODE:
    return "HO_CODE";
  case HARM_KEY_HO_CLASS:
  default:
    return "HOME_OFFICE_CLASSIFICATION";
  }
}

/* Parses a CCHI Score. The export writes scores of 1,000 days and more
 * with a thousands separator ("1,095", quoted in the CSV); only
 * well-formed groups are accepted: 1 to 3 leading digits, then groups of
 * exactly three, then an optional decimal part ("1,095.5"). Anything
 * else ("1,0950", "10,95") is left to the plain parser, which refuses
 * it. */
static bool parse_cchi_score(const char *p, size_t len, double *out) {
  if (harm__parse_double(p, len, out)) {
    return true;
  }
  char buf[64];
  size_t n = 0, lead = 0, i = 0;
  while (i < len && p[i] >= '0' && p[i] <= '9') {
    lead++;
    buf[n++] = p[i++];
    if (lead > 3) {
      return false;
    }
  }
  if (lead == 0 || i == len || p[i] != ',') {
    return false;
  }
  while (i < len && p[i] == ',') {
    if (len - i < 4 || n > 32) {
      return false;
    }
    for (size_t k = 1; k <= 3; k++) {
      if (p[i + k] < '0' || p[i + k] > '9') {
        return false;
      }
      buf[n++] = p[i + k];
    }
    i += 4;
  }
  if (i < len && p[i] != '.') {
    return false;
  }
  if (len - i >= sizeof buf - n) {
    return false;
  }
  memcpy(buf + n, p + i, len - i);
  n += len - i;
  return harm__parse_double(buf, n, out);
}

static harm_status setup(wload *ld, const harm__csv_record *rec) {
  if (rec->error) {
    return wfail(ld, rec->line, ABSENT, rec, "header row: %s", rec->error);
  }
  ld->n_cols = rec->n_fields;
  harm_weights_format layout = ld->opts->format;
  if (layout == HARM_WEIGHTS_AUTO) {
    if (header_find(rec, "CCHI Score") != ABSENT) {
      layout = HARM_WEIGHTS_CCHI;
    } else if (header_find(rec, "offence_code") != ABSENT &&
               header_find(rec, "harm") != ABSENT) {
      layout = HARM_WEIGHTS_NATIVE;
    } else {
      ld->status = harm__fail(
          ld->err, HARM_ERR_CONFIG, "weights", ld->name, rec->line, NULL,
          "unknown weights layout: need offence_code and harm columns, or a "
          "CCHI values-sheet export with a \"CCHI Score\" column");
      return ld->status;
    }
  }
  ld->layout = layout;
  for (int k = 0; k < W_N; k++) {
    ld->col[k] = ABSENT;
  }
  if (layout == HARM_WEIGHTS_NATIVE) {
    for (int k = 0; k < W_N; k++) {
      if (native_cols[k]) {
        ld->col[k] = header_find(rec, native_cols[k]);
      }
    }
  } else {
    ld->col[W_CODE] = header_find(rec, cchi_key_column(ld->opts->key));
    ld->col[W_DESC] = header_find(rec, "FULL_OFFENCE_TITLE");
    ld->col[W_HARM] = header_find(rec, "CCHI Score");
    ld->col[W_CAT] = header_find(rec, "SUB_GROUP");
    if (ld->col[W_CAT] == ABSENT) {
      ld->col[W_CAT] = header_find(rec, "GROUP");
    }
    ld->col[W_PROACTIVE] = header_find(rec, "proactive");
  }
  const char *need[2] = {layout == HARM_WEIGHTS_NATIVE
                             ? "offence_code"
                             : cchi_key_column(ld->opts->key),
                         layout == HARM_WEIGHTS_NATIVE ? "harm" : "CCHI Score"};
  for (int k = 0; k < 2; k++) {
    if (ld->col[k == 0 ? W_CODE : W_HARM] == ABSENT) {
      ld->status =
          harm__fail(ld->err, HARM_ERR_DATA, "weights", ld->name, rec->line,
                     need[k], "required column missing from the header");
      return ld->status;
    }
  }
  ld->w->layout = layout;
  ld->have_header = true;
  return HARM_OK;
}

static harm__csv_field get(const harm__csv_record *rec, size_t col) {
  harm__csv_field f = {"", 0};
  if (col != ABSENT && col < rec->n_fields) {
    f = rec->fields[col];
    harm__trim(&f.p, &f.len);
  }
  return f;
}

static harm_status column_fail(wload *ld, const harm__csv_record *rec, int role,
                               const char *fmt, const char *value,
                               size_t vlen) {
  char shown[64];
  size_t n = vlen < sizeof shown - 1 ? vlen : sizeof shown - 1;
  memcpy(shown, value, n);
  shown[n] = '\0';
  const char *colname = ld->layout == HARM_WEIGHTS_NATIVE ? native_cols[role]
                        : role == W_HARM                  ? "CCHI Score"
                                                          : "key";
  char msg[HARM_ERROR_MESSAGE_MAX];
  snprintf(msg, sizeof msg, fmt, shown);
  ld->status = harm__fail(ld->err, HARM_ERR_DATA, "weights", ld->name,
                          rec->line, colname, "%s", msg);
  return ld->status;
}

static bool add_entry(harm_weights *w, uint32_t code) {
  if (code >= w->cap_entries) {
    size_t cap = w->cap_entries ? w->cap_entries * 2 : 256;
    while (cap <= code) {
      cap *= 2;
    }
    entry *e = harm__reallocarray(w->entries, cap, sizeof *e);
    if (!e) {
      return false;
    }
    memset(e + w->cap_entries, 0, (cap - w->cap_entries) * sizeof *e);
    w->entries = e;
    w->cap_entries = cap;
  }
  if ((size_t)code + 1 > w->n_entries) {
    w->n_entries = (size_t)code + 1;
  }
  return true;
}

static bool set_text(char **dst, const harm__csv_field *f) {
  char *s = harm__strndup(f->p, f->len);
  if (!s) {
    return false;
  }
  harm__free(*dst);
  *dst = s;
  return true;
}

/* One data row of a weights table, read and checked. */
typedef struct wrow {
  harm__csv_field code;   /* the join key */
  double days;            /* harm */
  bool proactive;         /* left out by exclude_proactive */
  harm__csv_field source; /* where the value comes from */
  bool estimate;          /* the source says it is an estimate */
} wrow;

/* Reads the harm column into row->days: days from 0 to 100000 (a CCHI
 * export may group thousands). */
static bool read_harm(wload *ld, const harm__csv_record *rec, wrow *row) {
  harm__csv_field harm = get(rec, ld->col[W_HARM]);
  double days;
  bool parsed = ld->layout == HARM_WEIGHTS_CCHI
                    ? parse_cchi_score(harm.p, harm.len, &days)
                    : harm__parse_double(harm.p, harm.len, &days);
  if (!parsed || !(days >= 0) || days > HARM_WEIGHT_MAX_DAYS) {
    column_fail(ld, rec, W_HARM,
                "harm must be a number of days from 0 to 100000, not \"%s\"",
                harm.p, harm.len);
    return false;
  }
  row->days = days;
  return true;
}

/* Reads where the value comes from into row->source and row->estimate:
 * the CCHI sheet is official; a native table's source column must start
 * with anchor, estimate or official (no column: estimate). */
static bool read_source(wload *ld, const harm__csv_record *rec, wrow *row) {
  harm__csv_field source = get(rec, ld->col[W_SOURCE]);
  bool estimate = true;
  static const char cchi_source[] = "official CCHI values sheet";
  if (ld->layout == HARM_WEIGHTS_CCHI) {
    source.p = cchi_source;
    source.len = sizeof cchi_source - 1;
    estimate = false;
  } else if (ld->col[W_SOURCE] == ABSENT) {
    static const char none[] = "estimate: the table has no source column";
    source.p = none;
    source.len = sizeof none - 1;
  } else {
    static const char *const kinds[] = {"anchor", "estimate", "official"};
    int kind = -1;
    for (int k = 0; k < 3 && kind < 0; k++) {
      size_t kl = strlen(kinds[k]);
      if (source.len >= kl && harm__ieq(source.p, kl, kinds[k])) {
        kind = k;
      }
    }
    if (kind < 0) {
      column_fail(ld, rec, W_SOURCE,
                  "source must start with anchor, estimate or official, not "
                  "\"%s\"",
                  source.p, source.len);
      return false;
    }
    estimate = kind == 1;
  }
  row->source = source;
  row->estimate = estimate;
  return true;
}

/* Stores the row under its code: a native table defines a code once; the
 * CCHI sheet's repeats are combined by the duplicate rule. */
static bool store_weight(wload *ld, const harm__csv_record *rec,
                         const wrow *row) {
  harm__csv_field code = row->code;
  double days = row->days;
  harm_weights *w = ld->w;
  bool added;
  uint32_t idx = harm__strpool_intern(&w->codes, code.p, code.len, &added);
  if (idx == HARM__STRPOOL_FAIL || !add_entry(w, idx)) {
    ld->status = HARM_ERR_NOMEM;
    return false;
  }
  entry *e = &w->entries[idx];
  if (!added) {
    if (ld->layout == HARM_WEIGHTS_NATIVE) {
      column_fail(ld, rec, W_CODE, "code \"%s\" already defined", code.p,
                  code.len);
      char more[64];
      snprintf(more, sizeof more, " (first on line %zu)", e->line);
      if (ld->err) {
        strncat(ld->err->message, more,
                sizeof ld->err->message - strlen(ld->err->message) - 1);
      }
      return false;
    }
    w->n_merged++;
    bool take = ld->opts->dup_rule == HARM_DUP_MAX   ? days > e->harm
                : ld->opts->dup_rule == HARM_DUP_MIN ? days < e->harm
                                                     : false;
    if (!take) {
      return true;
    }
  }
  harm__csv_field desc = get(rec, ld->col[W_DESC]);
  harm__csv_field cat = get(rec, ld->col[W_CAT]);
  e->code = idx;
  e->harm = days;
  e->proactive = row->proactive;
  e->estimate = row->estimate;
  e->line = added ? rec->line : e->line;
  if (!set_text(&e->description, &desc) || !set_text(&e->category, &cat) ||
      !set_text(&e->source, &row->source)) {
    ld->status = HARM_ERR_NOMEM;
    return false;
  }
  return true;
}

static bool on_weight(void *ctx, const harm__csv_record *rec) {
  wload *ld = ctx;
  if (!ld->have_header) {
    return setup(ld, rec) == HARM_OK;
  }
  if (rec->error) {
    wfail(ld, rec->line, ABSENT, rec, "%s", rec->error);
    return false;
  }
  if (rec->n_fields != ld->n_cols) {
    wfail(ld, rec->line, ABSENT, rec, "expected %zu fields, found %zu",
          ld->n_cols, rec->n_fields);
    return false;
  }
  wrow row = {get(rec, ld->col[W_CODE]), 0.0, false, {"", 0}, true};
  harm__csv_field code = row.code;
  if (code.len == 0) {
    if (ld->layout == HARM_WEIGHTS_CCHI) {
      return true; /* rows without this key cannot be joined on it */
    }
    column_fail(ld, rec, W_CODE, "empty offence code%s", "", 0);
    return false;
  }
  if (memchr(code.p, '\0', code.len)) {
    column_fail(ld, rec, W_CODE, "code contains a NUL byte%s", "", 0);
    return false;
  }
  if (!read_harm(ld, rec, &row)) {
    return false;
  }
  harm__csv_field pro = get(rec, ld->col[W_PROACTIVE]);
  if (pro.len && !harm__parse_bool(pro.p, pro.len, &row.proactive)) {
    column_fail(ld, rec, W_PROACTIVE, "proactive must be 0 or 1, not \"%s\"",
                pro.p, pro.len);
    return false;
  }
  return read_source(ld, rec, &row) && store_weight(ld, rec, &row);
}

typedef struct aload {
  harm_weights *w;
  const char *name;
  harm_error *err;
  bool have_header;
  harm_status status;
} aload;

static bool on_alias(void *ctx, const harm__csv_record *rec) {
  aload *al = ctx;
  if (rec->error) {
    al->status = harm__fail(al->err, HARM_ERR_DATA, "weights", al->name,
                            rec->line, NULL, "%s", rec->error);
    return false;
  }
  if (!al->have_header) {
    al->have_header = true;
    if (rec->n_fields != 2 || header_find(rec, "old_code") != 0 ||
        header_find(rec, "new_code") != 1) {
      al->status =
          harm__fail(al->err, HARM_ERR_DATA, "weights", al->name, rec->line,
                     NULL, "alias header must be old_code,new_code");
      return false;
    }
    return true;
  }
  if (rec->n_fields != 2) {
    al->status =
        harm__fail(al->err, HARM_ERR_DATA, "weights", al->name, rec->line, NULL,
                   "expected 2 fields, found %zu", rec->n_fields);
    return false;
  }
  harm__csv_field from = get(rec, 0), to = get(rec, 1);
  if (!from.len || !to.len) {
    al->status =
        harm__fail(al->err, HARM_ERR_DATA, "weights", al->name, rec->line,
                   from.len ? "new_code" : "old_code", "empty code");
    return false;
  }
  harm_weights *w = al->w;
  bool added;
  uint32_t idx = harm__strpool_intern(&w->alias_from, from.p, from.len, &added);
  if (idx == HARM__STRPOOL_FAIL) {
    al->status = HARM_ERR_NOMEM;
    return false;
  }
  if (!added) {
    al->status = harm__fail(al->err, HARM_ERR_DATA, "weights", al->name,
                            rec->line, "old_code", "code \"%s\" aliased twice",
                            harm__strpool_get(&w->alias_from, idx, NULL));
    return false;
  }
  if ((size_t)idx >= w->cap_aliases) {
    /* Grown geometrically: one realloc per alias made long tables
     * quadratic wherever realloc moves the block. */
    size_t cap = w->cap_aliases ? w->cap_aliases * 2 : 64;
    char **to_arr = harm__reallocarray(w->alias_to, cap, sizeof *to_arr);
    if (!to_arr) {
      al->status = HARM_ERR_NOMEM;
      return false;
    }
    w->alias_to = to_arr;
    w->cap_aliases = cap;
  }
  w->alias_to[idx] = harm__strndup(to.p, to.len);
  w->n_aliases = (size_t)idx + 1;
  if (!w->alias_to[idx]) {
    al->status = HARM_ERR_NOMEM;
    return false;
  }
  return true;
}

/* Follows alias chains to their end so lookups take one step. Each alias
 * is walked once: a walk stops at a code that is no alias (the target) or
 * at an alias already resolved, and every alias on the path then takes
 * that target (path compression), so resolution is linear in the number
 * of aliases. Meeting an alias of the current walk again is a cycle. */
static harm_status resolve_aliases(harm_weights *w, const char *name,
                                   harm_error *err) {
  enum { TODO = 0, ON_PATH = 1, DONE = 2 };
  unsigned char *state = harm__calloc(w->n_aliases + 1, 1);
  uint32_t *path = harm__malloc((w->n_aliases + 1) * sizeof *path);
  harm_status st = HARM_OK;
  if (!state || !path) {
    st = harm__fail(err, HARM_ERR_NOMEM, "weights", name, 0, NULL,
                    "out of memory");
  }
  for (size_t i = 0; st == HARM_OK && i < w->n_aliases; i++) {
    if (state[i] != TODO) {
      continue;
    }
    size_t n = 0;
    uint32_t j = (uint32_t)i;
    const char *target = NULL;
    for (;;) {
      state[j] = ON_PATH;
      path[n++] = j;
      const char *t = w->alias_to[j];
      uint32_t k = harm__strpool_find(&w->alias_from, t, strlen(t));
      if (k == HARM__STRPOOL_FAIL) {
        target = t; /* a code that is not itself an alias */
        break;
      }
      if (state[k] == DONE) {
        target = w->alias_to[k]; /* already resolved */
        break;
      }
      if (state[k] == ON_PATH) {
        st = harm__fail(err, HARM_ERR_DATA, "weights", name, 0, "old_code",
                        "alias cycle through \"%s\"",
                        harm__strpool_get(&w->alias_from, k, NULL));
        break;
      }
      j = k;
    }
    if (st != HARM_OK) {
      break;
    }
    /* The path's own last alias may hold the target string: copy it
     * before any entry is replaced. */
    char *final = harm__strdup(target);
    if (!final) {
      st = harm__fail(err, HARM_ERR_NOMEM, "weights", name, 0, NULL,
                      "out of memory");
      break;
    }
    for (size_t m = 0; m < n; m++) {
      uint32_t a = path[m];
      state[a] = DONE;
      if (strcmp(w->alias_to[a], final) == 0) {
        continue;
      }
      char *c = m + 1 == n ? final : harm__strdup(final);
      if (!c) {
        st = harm__fail(err, HARM_ERR_NOMEM, "weights", name, 0, NULL,
                        "out of memory");
        break;
      }
      harm__free(w->alias_to[a]);
      w->alias_to[a] = c;
      if (c == final) {
        final = NULL;
      }
    }
    harm__free(final);
  }
  harm__free(state);
  harm__free(path);
  return st;
}

static int cmp_view(const void *a, const void *b) {
  return strcmp(((const harm_weight *)a)->code, ((const harm_weight *)b)->code);
}

static harm_status build_view(harm_weights *w) {
  w->view = harm__calloc(w->n_entries + 1, sizeof *w->view);
  if (!w->view) {
    return HARM_ERR_NOMEM;
  }
  for (size_t i = 0; i < w->n_entries; i++) {
    const entry *e = &w->entries[i];
    harm_weight *v = &w->view[i];
    v->code = harm__strpool_get(&w->codes, e->code, NULL);
    v->description = e->description ? e->description : "";
    v->harm = e->harm;
    v->category = e->category ? e->category : "";
    v->proactive = e->proactive;
    v->estimate = e->estimate;
    v->source = e->source ? e->source : "";
    w->n_estimates += e->estimate;
  }
  qsort(w->view, w->n_entries, sizeof *w->view, cmp_view);
  w->view_of = harm__calloc(w->n_entries + 1, sizeof *w->view_of);
  if (!w->view_of) {
    return HARM_ERR_NOMEM;
  }
  for (size_t i = 0; i < w->n_entries; i++) {
    const char *c = w->view[i].code;
    w->view_of[harm__strpool_find(&w->codes, c, strlen(c))] = i;
  }
  return HARM_OK;
}

typedef harm_status (*wfeed_fn)(wload *ld, const void *data, size_t len);

static harm_status wload_run(const char *name, const harm_weights_opts *opts,
                             wfeed_fn feed, const void *data, size_t len,
                             harm_weights **out, harm_error *err) {
  *out = NULL;
  harm_weights_opts defaults = HARM_WEIGHTS_OPTS_INIT;
  if (!opts) {
    opts = &defaults;
  }
  harm_weights *w = harm__calloc(1, sizeof *w);
  if (!w || !(w->name = harm__strdup(name))) {
    harm__free(w);
    return harm__fail(err, HARM_ERR_NOMEM, "weights", name, 0, NULL,
                      "out of memory");
  }
  wload ld;
  memset(&ld, 0, sizeof ld);
  ld.w = w;
  ld.opts = opts;
  ld.name = name;
  ld.err = err;
  harm_status st = feed(&ld, data, len);
  if (st == HARM_OK && !ld.have_header) {
    st = harm__fail(err, HARM_ERR_DATA, "weights", name, 0, NULL,
                    "empty file: no header row");
  }
  if (st == HARM_OK && opts->aliases) {
    aload al = {w, opts->aliases, err, false, HARM_OK};
    harm_error local = HARM_ERROR_INIT;
    harm__digest dg;
    harm__digest_begin(&dg);
    st = harm__csv_read_file_hashed(opts->aliases, 4096, on_alias, &al,
                                    "weights", &dg, &local);
    harm__digest_end(&dg, &w->alias_hash);
    if (al.status != HARM_OK) {
      st = al.status;
    } else if (st != HARM_OK && err) {
      *err = local;
    }
    if (st == HARM_OK) {
      st = resolve_aliases(w, opts->aliases, err);
    }
  }
  if (st == HARM_OK) {
    st = build_view(w);
  }
  if (st != HARM_OK) {
    if (st == HARM_ERR_NOMEM) {
      harm__fail(err, st, "weights", name, 0, NULL, "out of memory");
    }
    harm_weights_free(w);
    return st;
  }
  *out = w;
  return HARM_OK;
}

static harm_status wstatus(wload *ld, harm_status st) {
  if (ld->status != HARM_OK) {
    return ld->status;
  }
  return st;
}

static harm_status feed_wfile(wload *ld, const void *data, size_t len) {
  (void)len;
  harm_error local = HARM_ERROR_INIT;
  harm__digest dg;
  harm__digest_begin(&dg);
  harm_status st = harm__csv_read_file_hashed(
      (const char *)data, 4096, on_weight, ld, "weights", &dg, &local);
  harm__digest_end(&dg, &ld->w->hash);
  if (ld->status == HARM_OK && st != HARM_OK && ld->err) {
    *ld->err = local;
  }
  return wstatus(ld, st);
}

static harm_status feed_wbuf(wload *ld, const void *data, size_t len) {
  harm__csv_reader *r = NULL;
  harm_status st = harm__csv_reader_new(4096, on_weight, ld, &r);
  if (st == HARM_OK) {
    harm__csv_require_text(r);
    st = harm__csv_feed(r, data, len);
  }
  if (st == HARM_OK) {
    st = harm__csv_finish(r);
  }
  if (st == HARM_ERR_DATA && ld->status == HARM_OK && r && harm__csv_fatal(r)) {
    ld->status = harm__fail(ld->err, st, "weights", ld->name, harm__csv_line(r),
                            NULL, "%s", harm__csv_fatal(r));
  }
  harm__csv_reader_free(r);
  return wstatus(ld, st);
}

harm_status harm_weights_load(const char *path, const harm_weights_opts *opts,
                              harm_weights **out, harm_error *err) {
  return wload_run(path, opts, feed_wfile, path, 0, out, err);
}

harm_status harm_weights_load_buffer(const char *name, const void *data,
                                     size_t len, const harm_weights_opts *opts,
                                     harm_weights **out, harm_error *err) {
  return wload_run(name, opts, feed_wbuf, data ? data : "", len, out, err);
}

void harm_weights_free(harm_weights *w) {
  if (!w) {
    return;
  }
  for (size_t i = 0; i < w->n_entries; i++) {
    harm__free(w->entries[i].description);
    harm__free(w->entries[i].category);
    harm__free(w->entries[i].source);
  }
  for (size_t i = 0; i < w->n_aliases; i++) {
    harm__free(w->alias_to[i]);
  }
  harm__free(w->alias_to);
  harm__strpool_free(&w->alias_from);
  harm__strpool_free(&w->codes);
  harm__free(w->entries);
  harm__free(w->view);
  harm__free(w->view_of);
  harm__free(w->name);
  harm__free(w);
}

const char *harm_weights_canonical(const harm_weights *w, const char *code) {
  uint32_t i = harm__strpool_find(&w->alias_from, code, strlen(code));
  return i == HARM__STRPOOL_FAIL ? code : w->alias_to[i];
}

const harm_weight *harm_weights_find(const harm_weights *w, const char *code) {
  uint32_t i = harm__strpool_find(&w->codes, code, strlen(code));
  return i == HARM__STRPOOL_FAIL ? NULL : &w->view[w->view_of[i]];
}

size_t harm_weights_count(const harm_weights *w) { return w->n_entries; }
const harm_weight *harm_weights_at(const harm_weights *w, size_t i) {
  return i < w->n_entries ? &w->view[i] : NULL;
}
size_t harm_weights_n_estimates(const harm_weights *w) {
  return w->n_estimates;
}
size_t harm_weights_n_aliases(const harm_weights *w) { return w->n_aliases; }
const char *harm_weights_source(const harm_weights *w) { return w->name; }
harm_weights_format harm_weights_layout(const harm_weights *w) {
  return w->layout;
}
size_t harm_weights_n_merged(const harm_weights *w) { return w->n_merged; }

const harm_input_hash *harm_weights_input_hash(const harm_weights *w) {
  return &w->hash;
}

const harm_input_hash *harm_weights_aliases_hash(const harm_weights *w) {
  return &w->alias_hash;
}
