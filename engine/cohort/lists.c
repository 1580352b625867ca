/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cohort/lists.c: loads the small CSV lists a cohort run takes:
 * partner referrals, exclusions and last month's cohort. These lists are
 * short and decisions rest on every row, so any bad row stops the load
 * with file, line and column instead of being skipped. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/csvread.h"
#include "core/internal.h"
#include "core/strpool.h"
#include "harmrank/cohort.h"

struct harm_list {
  harm_list_kind kind;
  char *source;
  harm_referral *ref;
  harm_exclusion *exc;
  harm_previous_member *prev;
  size_t n;
  size_t cap;
  harm__strpool text;   /* every string of the list */
  char *pseudonyms;     /* n ids of HARM_PSEUDONYM_LEN + 1 bytes, or NULL */
  harm__strpool ids;    /* ids seen, for duplicate checks */
  harm_input_hash hash; /* of the bytes read from the file */
};

enum { L_ID, L_AGENCY, L_DATE, L_REASON, L_PRIORITY, L_RANK, L_MONTHS, L_N };

#define ABSENT SIZE_MAX

typedef struct lload {
  harm_list *l;
  harm_error *err;
  bool have_header;
  size_t n_cols;
  size_t col[L_N];
  harm_status status;
  /* Pool offsets are stable only as indices: strings are resolved to
   * pointers after the whole file is read. */
  uint32_t (*idx)[4];
} lload;

static const char *const col_names[L_N] = {
    "offender_id", "agency",     "referred_on",  "reason",
    "priority",    "score_rank", "months_served"};

static bool required(harm_list_kind kind, int c) {
  switch (kind) {
  case HARM_LIST_REFERRALS:
    return c == L_ID || c == L_AGENCY || c == L_DATE || c == L_REASON;
  case HARM_LIST_EXCLUSIONS:
    return c == L_ID || c == L_REASON;
  default:
    return c == L_ID || c == L_RANK || c == L_MONTHS;
  }
}

static harm_status lfail(lload *ld, size_t line, const char *column,
                         const char *fmt, ...) HARM__PRINTF(4, 5);

static harm_status lfail(lload *ld, size_t line, const char *column,
                         const char *fmt, ...) {
  char msg[HARM_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  ld->status = harm__fail(ld->err, HARM_ERR_DATA, "cohort", ld->l->source, line,
                          column, "%s", msg);
  return ld->status;
}

static harm__csv_field field(const harm__csv_record *rec, size_t col) {
  harm__csv_field f = {"", 0};
  if (col != ABSENT) {
    f = rec->fields[col];
    harm__trim(&f.p, &f.len);
  }
  return f;
}

static uint32_t keep(lload *ld, harm__csv_field f) {
  uint32_t i = harm__strpool_intern(&ld->l->text, f.p, f.len, NULL);
  if (i == HARM__STRPOOL_FAIL) {
    ld->status = HARM_ERR_NOMEM;
  }
  return i;
}

/* Finds the columns in the header row; false when a required one is
 * missing. */
static bool read_header(lload *ld, const harm__csv_record *rec) {
  harm_list *l = ld->l;
  ld->n_cols = rec->n_fields;
  for (int c = 0; c < L_N; c++) {
    ld->col[c] = ABSENT;
    for (size_t i = 0; i < rec->n_fields; i++) {
      harm__csv_field f = field(rec, i);
      if (harm__ieq(f.p, f.len, col_names[c])) {
        ld->col[c] = i;
      }
    }
    if (required(l->kind, c) && ld->col[c] == ABSENT) {
      lfail(ld, rec->line, col_names[c],
            "required column missing from the header");
      return false;
    }
  }
  ld->have_header = true;
  return true;
}

/* Checks that a row has the header's number of fields and no NUL byte. */
static bool check_fields(lload *ld, const harm__csv_record *rec) {
  if (rec->n_fields != ld->n_cols) {
    lfail(ld, rec->line, NULL, "expected %zu fields, found %zu", ld->n_cols,
          rec->n_fields);
    return false;
  }
  for (size_t i = 0; i < rec->n_fields; i++) {
    if (memchr(rec->fields[i].p, '\0', rec->fields[i].len)) {
      char col[32];
      snprintf(col, sizeof col, "%zu", i + 1);
      const char *name = col;
      for (int c = 0; c < L_N; c++) {
        if (ld->col[c] == i) {
          name = col_names[c];
        }
      }
      lfail(ld, rec->line, name, "contains a NUL byte");
      return false;
    }
  }
  return true;
}

/* Sets the list's array of its kind to p. */
static void set_array(harm_list *l, void *p) {
  if (l->kind == HARM_LIST_REFERRALS) {
    l->ref = p;
  } else if (l->kind == HARM_LIST_EXCLUSIONS) {
    l->exc = p;
  } else {
    l->prev = p;
  }
}

/* Makes room for one more row when the list is full; false when out of
 * memory. */
static bool grow(lload *ld) {
  harm_list *l = ld->l;
  if (l->n < l->cap) {
    return true;
  }
  size_t cap = l->cap ? l->cap * 2 : 64;
  void *p =
      harm__reallocarray(l->kind == HARM_LIST_REFERRALS    ? (void *)l->ref
                         : l->kind == HARM_LIST_EXCLUSIONS ? (void *)l->exc
                                                           : (void *)l->prev,
                         cap,
                         l->kind == HARM_LIST_REFERRALS    ? sizeof *l->ref
                         : l->kind == HARM_LIST_EXCLUSIONS ? sizeof *l->exc
                                                           : sizeof *l->prev);
  uint32_t(*idx)[4] =
      p ? harm__reallocarray(ld->idx, cap, sizeof *ld->idx) : NULL;
  if (!p || !idx) {
    if (p) {
      /* keep the grown array; the index array failed */
      set_array(l, p);
    }
    ld->status = HARM_ERR_NOMEM;
    return false;
  }
  set_array(l, p);
  ld->idx = idx;
  l->cap = cap;
  return true;
}

/* A referral row's agency, date, priority and reason. */
static bool read_referral(lload *ld, const harm__csv_record *rec,
                          uint32_t *ix) {
  harm_list *l = ld->l;
  harm_referral *r = &l->ref[l->n];
  harm__csv_field agency = field(rec, ld->col[L_AGENCY]);
  harm__csv_field date = field(rec, ld->col[L_DATE]);
  harm__csv_field pri = field(rec, ld->col[L_PRIORITY]);
  if (agency.len == 0) {
    lfail(ld, rec->line, "agency", "empty agency");
    return false;
  }
  if (!harm_date_parse(date.p, date.len, HARM_DATE_YMD, &r->referred_on)) {
    lfail(ld, rec->line, "referred_on", "not a date (expected YYYY-MM-DD)");
    return false;
  }
  r->priority = INT32_MAX;
  if (pri.len) {
    uint64_t v;
    if (!harm__parse_u64(pri.p, pri.len, &v) || v < 1 || v > 1000000) {
      lfail(ld, rec->line, "priority",
            "priority must be a whole number from 1 (most urgent)");
      return false;
    }
    r->priority = (int32_t)v;
  }
  r->line = rec->line;
  ix[1] = keep(ld, agency);
  ix[2] = keep(ld, field(rec, ld->col[L_REASON]));
  return true;
}

/* An exclusion row's reason. */
static bool read_exclusion(lload *ld, const harm__csv_record *rec,
                           uint32_t *ix) {
  harm_list *l = ld->l;
  harm__csv_field reason = field(rec, ld->col[L_REASON]);
  if (reason.len == 0) {
    lfail(ld, rec->line, "reason", "an exclusion needs a reason");
    return false;
  }
  l->exc[l->n].line = rec->line;
  ix[1] = keep(ld, reason);
  return true;
}

/* A previous cohort.csv row's rank, months served and route. */
static bool read_previous(lload *ld, const harm__csv_record *rec) {
  harm_list *l = ld->l;
  harm_previous_member *p = &l->prev[l->n];
  harm__csv_field rank = field(rec, ld->col[L_RANK]);
  harm__csv_field months = field(rec, ld->col[L_MONTHS]);
  uint64_t v = 0, m = 0;
  if (rank.len && !harm__parse_u64(rank.p, rank.len, &v)) {
    lfail(ld, rec->line, "score_rank", "not a rank");
    return false;
  }
  if (!harm__parse_u64(months.p, months.len, &m) || m > 100000) {
    lfail(ld, rec->line, "months_served", "not a number of months");
    return false;
  }
  p->score_rank = (size_t)v;
  p->months_served = (uint32_t)m;
  /* cohort.csv's reason says how a member came in; referral places
   * (new or kept by tenure) begin with "referral". */
  harm__csv_field why = field(rec, ld->col[L_REASON]);
  p->referral_route = why.len >= 8 && harm__ieq(why.p, 8, "referral");
  p->line = rec->line;
  return true;
}

static bool on_row(void *ctx, const harm__csv_record *rec) {
  lload *ld = ctx;
  harm_list *l = ld->l;
  if (rec->error) {
    lfail(ld, rec->line, NULL, "%s", rec->error);
    return false;
  }
  if (!ld->have_header) {
    return read_header(ld, rec);
  }
  if (!check_fields(ld, rec)) {
    return false;
  }
  harm__csv_field id = field(rec, ld->col[L_ID]);
  if (id.len == 0 || memchr(id.p, '\0', id.len)) {
    lfail(ld, rec->line, "offender_id", "empty or invalid offender id");
    return false;
  }
  if (!grow(ld)) {
    return false;
  }
  uint32_t *ix = ld->idx[l->n];
  ix[0] = keep(ld, id);
  if (l->kind != HARM_LIST_REFERRALS) {
    bool added;
    if (harm__strpool_intern(&l->ids, id.p, id.len, &added) ==
        HARM__STRPOOL_FAIL) {
      ld->status = HARM_ERR_NOMEM;
      return false;
    }
    if (!added) {
      lfail(ld, rec->line, "offender_id", "offender listed twice");
      return false;
    }
  }
  bool ok = l->kind == HARM_LIST_REFERRALS    ? read_referral(ld, rec, ix)
            : l->kind == HARM_LIST_EXCLUSIONS ? read_exclusion(ld, rec, ix)
                                              : read_previous(ld, rec);
  if (!ok) {
    return false;
  }
  l->n++;
  return ld->status == HARM_OK;
}

static void resolve(harm_list *l, uint32_t (*idx)[4]) {
  for (size_t i = 0; i < l->n; i++) {
    const char *id = harm__strpool_get(&l->text, idx[i][0], NULL);
    if (l->kind == HARM_LIST_REFERRALS) {
      l->ref[i].offender_id = id;
      l->ref[i].agency = harm__strpool_get(&l->text, idx[i][1], NULL);
      l->ref[i].reason = harm__strpool_get(&l->text, idx[i][2], NULL);
    } else if (l->kind == HARM_LIST_EXCLUSIONS) {
      l->exc[i].offender_id = id;
      l->exc[i].reason = harm__strpool_get(&l->text, idx[i][1], NULL);
    } else {
      l->prev[i].offender_id = id;
    }
  }
}

typedef harm_status (*lfeed)(lload *ld, const char *path, const void *data,
                             size_t len);

static harm_status lfeed_file(lload *ld, const char *path, const void *data,
                              size_t len) {
  (void)data;
  (void)len;
  harm_error local = HARM_ERROR_INIT;
  harm__digest dg;
  harm__digest_begin(&dg);
  harm_status st = harm__csv_read_file_hashed(path, 65536, on_row, ld, "cohort",
                                              &dg, &local);
  harm__digest_end(&dg, &ld->l->hash);
  if (ld->status != HARM_OK) {
    return ld->status;
  }
  if (st != HARM_OK && ld->err) {
    *ld->err = local;
  }
  return st;
}

static harm_status lfeed_buf(lload *ld, const char *path, const void *data,
                             size_t len) {
  (void)path;
  harm__csv_reader *r = NULL;
  harm_status st = harm__csv_reader_new(65536, on_row, ld, &r);
  if (st == HARM_OK) {
    st = harm__csv_feed(r, data, len);
  }
  if (st == HARM_OK) {
    st = harm__csv_finish(r);
  }
  harm__csv_reader_free(r);
  return ld->status != HARM_OK ? ld->status : st;
}

static harm_status load(harm_list_kind kind, const char *name, lfeed feed,
                        const void *data, size_t len, harm_list **out,
                        harm_error *err) {
  *out = NULL;
  harm_list *l = harm__calloc(1, sizeof *l);
  if (!l || !(l->source = harm__strdup(name))) {
    harm__free(l);
    return harm__fail(err, HARM_ERR_NOMEM, "cohort", name, 0, NULL,
                      "out of memory");
  }
  l->kind = kind;
  lload ld;
  memset(&ld, 0, sizeof ld);
  ld.l = l;
  ld.err = err;
  harm_status st = feed(&ld, name, data, len);
  if (st == HARM_OK && !ld.have_header) {
    st = harm__fail(err, HARM_ERR_DATA, "cohort", name, 0, NULL,
                    "empty file: no header row");
  }
  if (st == HARM_OK) {
    resolve(l, ld.idx);
  }
  harm__free(ld.idx);
  if (st != HARM_OK) {
    if (st == HARM_ERR_NOMEM) {
      harm__fail(err, st, "cohort", name, 0, NULL, "out of memory");
    }
    harm_list_free(l);
    return st;
  }
  *out = l;
  return HARM_OK;
}

harm_status harm_referrals_load(const char *path, harm_list **out,
                                harm_error *err) {
  return load(HARM_LIST_REFERRALS, path, lfeed_file, NULL, 0, out, err);
}

harm_status harm_exclusions_load(const char *path, harm_list **out,
                                 harm_error *err) {
  return load(HARM_LIST_EXCLUSIONS, path, lfeed_file, NULL, 0, out, err);
}

harm_status harm_previous_load(const char *path, harm_list **out,
                               harm_error *err) {
  return load(HARM_LIST_PREVIOUS, path, lfeed_file, NULL, 0, out, err);
}

harm_status harm_list_load_buffer(harm_list_kind kind, const char *name,
                                  const void *data, size_t len, harm_list **out,
                                  harm_error *err) {
  if (kind != HARM_LIST_REFERRALS && kind != HARM_LIST_EXCLUSIONS &&
      kind != HARM_LIST_PREVIOUS) {
    *out = NULL;
    return harm__fail(err, HARM_ERR_USAGE, "cohort", name, 0, NULL,
                      "unknown list kind");
  }
  return load(kind, name, lfeed_buf, data ? data : "", len, out, err);
}

void harm_list_free(harm_list *l) {
  if (!l) {
    return;
  }
  harm__free(l->source);
  harm__free(l->ref);
  harm__free(l->exc);
  harm__free(l->prev);
  harm__strpool_free(&l->text);
  harm__strpool_free(&l->ids);
  harm__free(l->pseudonyms);
  harm__free(l);
}

harm_status harm_list_pseudonymise(harm_list *l, const unsigned char *key,
                                   size_t key_len, harm_error *err) {
  enum { W = HARM_PSEUDONYM_LEN + 1 };
  char *ps = harm__malloc(l->n * W + 1);
  if (!ps) {
    return harm__fail(err, HARM_ERR_NOMEM, "cohort", l->source, 0, NULL,
                      "out of memory");
  }
  for (size_t i = 0; i < l->n; i++) {
    const char *id = l->kind == HARM_LIST_REFERRALS    ? l->ref[i].offender_id
                     : l->kind == HARM_LIST_EXCLUSIONS ? l->exc[i].offender_id
                                                       : l->prev[i].offender_id;
    harm_status st = harm_pseudonym(key, key_len, id, strlen(id), ps + i * W);
    if (st != HARM_OK) {
      harm__free(ps);
      return harm__fail(err, st, "cohort", l->source, 0, NULL,
                        "cannot pseudonymise (key of at least 16 bytes?)");
    }
  }
  /* Previous cohorts written by a pseudonymised run already hold
   * pseudonyms: those are kept as they are. */
  for (size_t i = 0; i < l->n; i++) {
    const char **id = l->kind == HARM_LIST_REFERRALS ? &l->ref[i].offender_id
                      : l->kind == HARM_LIST_EXCLUSIONS
                          ? &l->exc[i].offender_id
                          : &l->prev[i].offender_id;
    if (!(strncmp(*id, "PS-", 3) == 0 && strlen(*id) == HARM_PSEUDONYM_LEN)) {
      *id = ps + i * W;
    }
  }
  harm__free(l->pseudonyms);
  l->pseudonyms = ps;
  return HARM_OK;
}

size_t harm_list_count(const harm_list *l) { return l ? l->n : 0; }
const harm_referral *harm_list_referral(const harm_list *l, size_t i) {
  return l->kind == HARM_LIST_REFERRALS && i < l->n ? &l->ref[i] : NULL;
}
const harm_exclusion *harm_list_exclusion(const harm_list *l, size_t i) {
  return l->kind == HARM_LIST_EXCLUSIONS && i < l->n ? &l->exc[i] : NULL;
}
const harm_previous_member *harm_list_previous(const harm_list *l, size_t i) {
  return l->kind == HARM_LIST_PREVIOUS && i < l->n ? &l->prev[i] : NULL;
}
const char *harm_list_source(const harm_list *l) { return l->source; }

static const char *list_id(const harm_list *l, size_t i, size_t *line) {
  switch (l->kind) {
  case HARM_LIST_REFERRALS:
    *line = l->ref[i].line;
    return l->ref[i].offender_id;
  case HARM_LIST_EXCLUSIONS:
    *line = l->exc[i].line;
    return l->exc[i].offender_id;
  default:
    *line = l->prev[i].line;
    return l->prev[i].offender_id;
  }
}

harm_status harm_list_check_ids(const harm_list *l, const harm_dataset *ds,
                                bool pseudonymised, harm_error *err) {
  enum { MIN_UNMATCHED = 3 };
  if (!l) {
    return HARM_OK;
  }
  size_t n_ps = 0, n_found = 0, first_line = 0;
  const char *first = NULL;
  for (size_t i = 0; i < l->n; i++) {
    size_t line;
    const char *id = list_id(l, i, &line);
    /* After harm_list_pseudonymise, ids computed from raw ids point into
     * l->pseudonyms; the ones the file already held do not. */
    bool computed = l->pseudonyms && id >= l->pseudonyms &&
                    id < l->pseudonyms + l->n * (HARM_PSEUDONYM_LEN + 1);
    if (computed || !harm_pseudonym_shaped(id)) {
      continue;
    }
    if (!first) {
      first = id;
      first_line = line;
    }
    n_ps++;
    size_t at;
    if (ds && harm_dataset_find_subject(ds, id, &at)) {
      n_found++;
    }
  }
  if (!pseudonymised && n_ps) {
    return harm__fail(err, HARM_ERR_CONFIG, "cohort", l->source, first_line,
                      "offender_id",
                      "%zu of %zu ids here are pseudonyms (%s) but this run "
                      "has no key, so none would match the data: pass the "
                      "--pseudonymise KEYFILE of the run that wrote them",
                      n_ps, l->n, first);
  }
  if (pseudonymised && ds && harm_dataset_n_subjects(ds) &&
      n_ps >= MIN_UNMATCHED && n_found == 0) {
    return harm__fail(err, HARM_ERR_CONFIG, "cohort", l->source, first_line,
                      "offender_id",
                      "none of the %zu pseudonyms here is in the data: they "
                      "were made with another key; pass the "
                      "--pseudonymise KEYFILE of the run that wrote them",
                      n_ps);
  }
  return HARM_OK;
}

const harm_input_hash *harm_list_input_hash(const harm_list *l) {
  return &l->hash;
}

harm_list_kind harm_list_kind_of(const harm_list *l) { return l->kind; }
