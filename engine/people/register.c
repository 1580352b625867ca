/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/people/register.c: the people file (person_id,date_of_birth
 * [,same_as]): dates of birth for age limits, and duplicate person
 * records merged into their master. Chains are followed to their end;
 * a cycle, a repeated id or two dates of birth for one merged person stop
 * the load with file, line and column, because a wrong merge puts harm on
 * the wrong person. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/csvread.h"
#include "core/internal.h"
#include "core/strpool.h"
#include "harmrank/people.h"

struct harm_people_register {
  char *source;
  harm__strpool ids; /* every person_id and same_as value */
  /* Per pool index: */
  bool *is_record;  /* a row of the file has this person_id */
  size_t *line;     /* its line */
  harm_date *dob;   /* its date of birth, HARM_DATE_NONE = unknown */
  uint32_t *same;   /* pool index of its same_as, UINT32_MAX = none */
  uint32_t *master; /* pool index of its master */
  size_t cap;
  size_t n_records;
  size_t n_merged;
  harm_input_hash hash;
};

enum { P_ID, P_DOB, P_SAME, P_N };
#define ABSENT SIZE_MAX

typedef struct pload {
  harm_people_register *g;
  harm_error *err;
  const unsigned char *key;
  size_t key_len;
  bool have_header;
  size_t col[P_N];
  harm_status status;
} pload;

static bool fail(pload *ld, harm_status st, size_t line, const char *column,
                 const char *fmt, ...) HARM__PRINTF(5, 6);
static bool fail(pload *ld, harm_status st, size_t line, const char *column,
                 const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  ld->status =
      harm__fail(ld->err, st, "people", ld->g->source, line, column, "%s", msg);
  return false;
}

static bool grow(harm_people_register *g, uint32_t need) {
  if (need < g->cap) {
    return true;
  }
  size_t cap = g->cap ? g->cap * 2 : 64;
  while (cap <= need) {
    cap *= 2;
  }
  bool *r = harm__reallocarray(g->is_record, cap, sizeof *r);
  if (r) {
    g->is_record = r;
  }
  size_t *l = r ? harm__reallocarray(g->line, cap, sizeof *l) : NULL;
  if (l) {
    g->line = l;
  }
  harm_date *d = l ? harm__reallocarray(g->dob, cap, sizeof *d) : NULL;
  if (d) {
    g->dob = d;
  }
  uint32_t *s = d ? harm__reallocarray(g->same, cap, sizeof *s) : NULL;
  if (s) {
    g->same = s;
  }
  uint32_t *m = s ? harm__reallocarray(g->master, cap, sizeof *m) : NULL;
  if (!m) {
    return false;
  }
  g->master = m;
  for (size_t i = g->cap; i < cap; i++) {
    g->is_record[i] = false;
    g->line[i] = 0;
    g->dob[i] = HARM_DATE_NONE;
    g->same[i] = UINT32_MAX;
    g->master[i] = (uint32_t)i;
  }
  g->cap = cap;
  return true;
}

/* Interns an id (its pseudonym under a key). */
static uint32_t intern(pload *ld, const char *p, size_t len) {
  char ps[HARM_PSEUDONYM_LEN + 1];
  if (ld->key) {
    if (harm_pseudonym(ld->key, ld->key_len, p, len, ps) != HARM_OK) {
      return HARM__STRPOOL_FAIL;
    }
    p = ps;
    len = HARM_PSEUDONYM_LEN;
  }
  uint32_t i = harm__strpool_intern(&ld->g->ids, p, len, NULL);
  if (i != HARM__STRPOOL_FAIL && !grow(ld->g, i)) {
    return HARM__STRPOOL_FAIL;
  }
  return i;
}

static harm__csv_field field(const harm__csv_record *rec, size_t col) {
  harm__csv_field f = {"", 0};
  if (col != ABSENT && col < rec->n_fields) {
    f = rec->fields[col];
    harm__trim(&f.p, &f.len);
  }
  return f;
}

static const char *const col_names[P_N] = {"person_id", "date_of_birth",
                                           "same_as"};

static bool on_row(void *ctx, const harm__csv_record *rec) {
  pload *ld = ctx;
  harm_people_register *g = ld->g;
  if (rec->error) {
    return fail(ld, HARM_ERR_DATA, rec->line, NULL, "%s", rec->error);
  }
  if (!ld->have_header) {
    for (int c = 0; c < P_N; c++) {
      ld->col[c] = ABSENT;
      for (size_t i = 0; i < rec->n_fields; i++) {
        harm__csv_field f = field(rec, i);
        if (harm__ieq(f.p, f.len, col_names[c])) {
          ld->col[c] = i;
        }
      }
      if (c != P_SAME && ld->col[c] == ABSENT) {
        return fail(ld, HARM_ERR_DATA, rec->line, col_names[c],
                    "required column missing from the header");
      }
    }
    ld->have_header = true;
    return true;
  }
  if (rec->n_fields == 1 && rec->fields[0].len == 0) {
    return true; /* a blank line */
  }
  harm__csv_field id = field(rec, ld->col[P_ID]);
  harm__csv_field dob = field(rec, ld->col[P_DOB]);
  harm__csv_field same = field(rec, ld->col[P_SAME]);
  if (id.len == 0) {
    return fail(ld, HARM_ERR_DATA, rec->line, "person_id", "empty value");
  }
  harm_date d = HARM_DATE_NONE;
  if (dob.len && !harm_date_parse(dob.p, dob.len, HARM_DATE_YMD, &d)) {
    return fail(ld, HARM_ERR_DATA, rec->line, "date_of_birth",
                "not a date \"%.*s\" (expected YYYY-MM-DD, or empty when "
                "unknown)",
                (int)(dob.len > 40 ? 40 : dob.len), dob.p);
  }
  uint32_t i = intern(ld, id.p, id.len);
  uint32_t s = same.len ? intern(ld, same.p, same.len) : UINT32_MAX;
  if (i == HARM__STRPOOL_FAIL || (same.len && s == HARM__STRPOOL_FAIL)) {
    return fail(ld, HARM_ERR_NOMEM, rec->line, NULL, "out of memory");
  }
  if (g->is_record[i]) {
    return fail(ld, HARM_ERR_DATA, rec->line, "person_id",
                "person \"%.*s\" appears twice (first on line %zu)",
                (int)(id.len > 60 ? 60 : id.len), id.p, g->line[i]);
  }
  if (s == i) {
    return fail(ld, HARM_ERR_DATA, rec->line, "same_as",
                "same_as names the record itself (a cycle)");
  }
  g->is_record[i] = true;
  g->line[i] = rec->line;
  g->dob[i] = d;
  g->same[i] = s;
  g->n_records++;
  g->n_merged += s != UINT32_MAX;
  return true;
}

static int cmp_line(const void *pa, const void *pb, void *ctx) {
  const harm_people_register *g = ctx;
  size_t a = g->line[*(const uint32_t *)pa], b = g->line[*(const uint32_t *)pb];
  return a < b ? -1 : a > b;
}

/* Follows every same_as chain to its master; refuses cycles and two
 * dates of birth for one merged person. */
static harm_status resolve(pload *ld) {
  harm_people_register *g = ld->g;
  uint32_t n = g->ids.n;
  uint8_t *state = harm__calloc((size_t)n + 1, 1);
  uint32_t *path = harm__malloc(((size_t)n + 1) * sizeof *path);
  harm_date *group_dob = harm__malloc(((size_t)n + 1) * sizeof *group_dob);
  size_t *group_line = harm__calloc((size_t)n + 1, sizeof *group_line);
  if (!state || !path || !group_dob || !group_line) {
    harm__free(state);
    harm__free(path);
    harm__free(group_dob);
    harm__free(group_line);
    return harm__fail(ld->err, HARM_ERR_NOMEM, "people", g->source, 0, NULL,
                      "out of memory");
  }
  harm_status st = HARM_OK;
  for (uint32_t i = 0; i < n && st == HARM_OK; i++) {
    size_t np = 0;
    uint32_t at = i;
    /* state: 0 unseen, 1 on the current path, 2 resolved. */
    while (state[at] == 0 && g->same[at] != UINT32_MAX) {
      state[at] = 1;
      path[np++] = at;
      at = g->same[at];
    }
    if (state[at] == 1) {
      st = harm__fail(ld->err, HARM_ERR_DATA, "people", g->source, g->line[at],
                      "same_as", "same_as cycle: \"%s\" leads back to itself",
                      harm__strpool_get(&g->ids, at, NULL));
      break;
    }
    uint32_t master = state[at] == 2 ? g->master[at] : at;
    state[at] = 2;
    g->master[at] = master;
    for (size_t k = 0; k < np; k++) {
      state[path[k]] = 2;
      g->master[path[k]] = master;
    }
  }
  for (uint32_t i = 0; i < n; i++) {
    group_dob[i] = HARM_DATE_NONE;
  }
  /* In file order, so the error names the later of two lines. */
  uint32_t *by_line = path;
  size_t nr = 0;
  for (uint32_t i = 0; i < n && st == HARM_OK; i++) {
    if (g->is_record[i]) {
      by_line[nr++] = i;
    }
  }
  if (st == HARM_OK && !harm__sort(by_line, nr, sizeof *by_line, cmp_line, g)) {
    st = harm__fail(ld->err, HARM_ERR_NOMEM, "people", g->source, 0, NULL,
                    "out of memory");
  }
  for (size_t k = 0; k < nr && st == HARM_OK; k++) {
    uint32_t i = by_line[k];
    uint32_t m = g->master[i];
    if (g->dob[i] == HARM_DATE_NONE) {
      continue;
    }
    if (group_dob[m] == HARM_DATE_NONE) {
      group_dob[m] = g->dob[i];
      group_line[m] = g->line[i];
    } else if (group_dob[m] != g->dob[i]) {
      char a[11], b[11];
      harm_date_format_iso(group_dob[m], a);
      harm_date_format_iso(g->dob[i], b);
      st = harm__fail(ld->err, HARM_ERR_DATA, "people", g->source, g->line[i],
                      "date_of_birth",
                      "two dates of birth for one person (merged into "
                      "\"%s\"): %s on line %zu and %s here",
                      harm__strpool_get(&g->ids, m, NULL), a, group_line[m], b);
    }
  }
  /* Every id carries its group's date of birth. */
  for (uint32_t i = 0; i < n && st == HARM_OK; i++) {
    g->dob[i] = group_dob[g->master[i]];
  }
  harm__free(state);
  harm__free(path);
  harm__free(group_dob);
  harm__free(group_line);
  return st;
}

static harm_status load(const char *name, const char *path, const void *data,
                        size_t len, const unsigned char *key, size_t key_len,
                        harm_people_register **out, harm_error *err) {
  *out = NULL;
  if (key && key_len < 16) {
    return harm__fail(err, HARM_ERR_USAGE, "people", name, 0, NULL,
                      "a pseudonym key needs at least 16 bytes");
  }
  harm_people_register *g = harm__calloc(1, sizeof *g);
  if (!g || !(g->source = harm__strdup(name))) {
    harm__free(g);
    return harm__fail(err, HARM_ERR_NOMEM, "people", name, 0, NULL,
                      "out of memory");
  }
  pload ld = {.g = g, .err = err, .key = key, .key_len = key_len};
  harm_status st;
  if (path) {
    harm_error local = HARM_ERROR_INIT;
    harm__digest dg;
    harm__digest_begin(&dg);
    st = harm__csv_read_file_hashed(path, 65536, on_row, &ld, "people", &dg,
                                    &local);
    harm__digest_end(&dg, &g->hash);
    if (ld.status != HARM_OK) {
      st = ld.status;
    } else if (st != HARM_OK && err) {
      *err = local;
    }
  } else {
    harm__csv_reader *r = NULL;
    st = harm__csv_reader_new(65536, on_row, &ld, &r);
    if (st == HARM_OK) {
      st = harm__csv_feed(r, data, len);
    }
    if (st == HARM_OK) {
      st = harm__csv_finish(r);
    }
    harm__csv_reader_free(r);
    if (ld.status != HARM_OK) {
      st = ld.status;
    } else if (st != HARM_OK) {
      st = harm__fail(err, st, "people", name, 0, NULL, "cannot read");
    }
  }
  if (st == HARM_OK && !ld.have_header) {
    st = harm__fail(err, HARM_ERR_DATA, "people", name, 0, NULL,
                    "empty file: no header row");
  }
  if (st == HARM_OK && !grow(g, g->ids.n)) {
    st = harm__fail(err, HARM_ERR_NOMEM, "people", name, 0, NULL,
                    "out of memory");
  }
  if (st == HARM_OK) {
    st = resolve(&ld);
  }
  if (st != HARM_OK) {
    harm_people_register_free(g);
    return st;
  }
  *out = g;
  return HARM_OK;
}

harm_status harm_people_register_load(const char *path,
                                      const unsigned char *key, size_t key_len,
                                      harm_people_register **out,
                                      harm_error *err) {
  return load(path, path, NULL, 0, key, key_len, out, err);
}

harm_status
harm_people_register_load_buffer(const char *name, const void *data, size_t len,
                                 const unsigned char *key, size_t key_len,
                                 harm_people_register **out, harm_error *err) {
  return load(name, NULL, data, len, key, key_len, out, err);
}

void harm_people_register_free(harm_people_register *g) {
  if (!g) {
    return;
  }
  harm__free(g->source);
  harm__strpool_free(&g->ids);
  harm__free(g->is_record);
  harm__free(g->line);
  harm__free(g->dob);
  harm__free(g->same);
  harm__free(g->master);
  harm__free(g);
}

size_t harm_people_register_count(const harm_people_register *g) {
  return g ? g->n_records : 0;
}

size_t harm_people_register_merged(const harm_people_register *g) {
  return g ? g->n_merged : 0;
}

const char *harm_people_register_master(const harm_people_register *g,
                                        const char *id) {
  if (!g) {
    return id;
  }
  uint32_t i = harm__strpool_find(&g->ids, id, strlen(id));
  return i == HARM__STRPOOL_FAIL
             ? id
             : harm__strpool_get(&g->ids, g->master[i], NULL);
}

/* The date of birth of id's merged person (HARM_DATE_NONE when unknown
 * or not in the file). */
harm_date harm__people_register_dob(const harm_people_register *g,
                                    const char *id);
harm_date harm__people_register_dob(const harm_people_register *g,
                                    const char *id) {
  if (!g) {
    return HARM_DATE_NONE;
  }
  uint32_t i = harm__strpool_find(&g->ids, id, strlen(id));
  return i == HARM__STRPOOL_FAIL ? HARM_DATE_NONE : g->dob[i];
}

const harm_input_hash *
harm_people_register_input_hash(const harm_people_register *g) {
  return &g->hash;
}
