/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/ingest/rows.c: validates each offences row, classifies it for
 * the row accounting (rejected, future-dated, outside the window, filtered
 * or kept) and keeps the in-window rows as compact records. The date is
 * parsed and the window checked before any hash table is touched, so rows
 * outside the window cost almost nothing. Every row source delivers its
 * records here (harm__ingest_on_record), whatever the bytes came from. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ingest/loader.h"

/* Copies up to 60 printable bytes of a value for a message. */
static void quote_value(char *buf, size_t cap, const char *s, size_t len) {
  size_t j = 0;
  for (size_t i = 0; i < len && j + 4 < cap; i++) {
    unsigned char c = (unsigned char)s[i];
    buf[j++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    if (i == 59 && len > 60) {
      buf[j++] = '.';
      buf[j++] = '.';
      buf[j++] = '.';
      break;
    }
  }
  buf[j] = '\0';
}

/* Accounts for one rejected row: counts it, hands it to on_reject, and in
 * strict mode fails the run naming line and column. */
static void reject(loader *ld, const harm__csv_record *rec, size_t col,
                   harm_status strict_status, const char *fmt, ...)
    HARM__PRINTF(5, 6);

static void reject(loader *ld, const harm__csv_record *rec, size_t col,
                   harm_status strict_status, const char *fmt, ...) {
  char reason[HARM_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  const char *column = col < ld->n_cols ? ld->names[col] : "";
  ld->ds->acct.rejected++;
  if (!harm__ingest_check_reject(ld, col, rec->line)) {
    ld->status = HARM_ERR_NOMEM;
    return;
  }
  if (ld->buffer_rejects) {
    rej_entry e = {rec->line, col < ld->n_cols ? col : ABSENT, strlen(reason),
                   rec->raw_len, (int)strict_status};
    if (!harm__buf_append(&ld->rej_buf, &e, sizeof e) ||
        !harm__buf_append(&ld->rej_buf, reason, e.reason_len) ||
        !harm__buf_append(&ld->rej_buf, rec->raw, rec->raw_len)) {
      ld->status = HARM_ERR_NOMEM;
      return;
    }
    if (ld->opts->strict) {
      ld->status = strict_status;
    }
    return;
  }
  if (ld->opts->on_reject) {
    harm_reject r = {rec->line, rec->raw, rec->raw_len, column, reason};
    if (!ld->opts->on_reject(ld->opts->reject_ctx, &r)) {
      ld->status = harm__fail(ld->err, HARM_ERR_IO, "ingest", ld->name,
                              rec->line, column, "writing rejects failed");
      return;
    }
  }
  if (ld->opts->strict) {
    ld->status = harm__fail(ld->err, strict_status, "ingest", ld->name,
                            rec->line, column, "%s", reason);
  }
}

static bool field_ok_text(const harm__csv_record *rec,
                          const harm__csv_field *f) {
  return rec->no_nul || memchr(f->p, '\0', f->len) == NULL;
}

static bool passes_filters(const loader *ld, const harm__csv_record *rec) {
  for (size_t k = 0; k < ld->opts->n_filters; k++) {
    const col_filter *cf = &ld->filters[k];
    const harm_filter *f = &ld->opts->filters[k];
    const char *p = rec->fields[cf->col].p;
    size_t len = rec->fields[cf->col].len;
    harm__trim(&p, &len);
    bool ok = false;
    if (cf->boolean) {
      bool b = false;
      /* An empty domestic flag means "not flagged". */
      if (len == 0 || harm__parse_bool(p, len, &b)) {
        ok = b ? cf->want_true : cf->want_false;
      }
    } else {
      for (size_t v = 0; v < f->n_values && !ok; v++) {
        ok = harm__ieq(p, len, f->values[v]);
      }
    }
    if (!ok) {
      return false;
    }
  }
  return true;
}

/* Bytes of room per subject id that a chunk's row pool reserves at
 * most (see push_rec). */
enum { ROW_ID_ROOM = 32 };

/* Stores a kept record, its subject (s, len) kept as a key in the record
 * and subject_hi (see harm_dataset.subjects_split) or appended to the row
 * pool.
 * With as_of = latest, records (and their subject strings) that fell out
 * of the window are dropped whenever the count has grown by half since
 * the last compaction (each record is moved about three times at most),
 * so memory follows the rows in the window (1.5 times them at most), not
 * the rows read, whatever the file's order. */
static bool push_rec(loader *ld, harm__rec *r, uint32_t oid, harm__place_ref pr,
                     const char *s, size_t len) {
  harm_dataset *ds = ld->ds;
  if (ds->n_recs == ds->cap_recs ||
      (ld->deferred && ds->n_recs >= ld->compact_at)) {
    if (ld->deferred) {
      harm__ingest_compact(
          ds, harm__ingest_window_start(harm__ingest_latest_seen(ld),
                                        ds->lookback_days));
      size_t grow = ds->n_recs / 2 > ((size_t)1 << 16) ? ds->n_recs / 2
                                                       : ((size_t)1 << 16);
      ld->compact_at = ds->n_recs + grow;
    }
    if (ds->n_recs == ds->cap_recs || ds->n_recs * 4 >= ds->cap_recs * 3) {
      /* Growth is by 4x from a size hinted by the chunk length: every
       * realloc of a large block is an mremap, and in a threaded process
       * each costs a TLB shootdown on every core. */
      size_t cap = ds->cap_recs   ? ds->cap_recs * 4
                   : ld->rec_hint ? ld->rec_hint
                                  : 4096;
      /* The row pool's first room alongside: one id per record, each
       * about as long as this first one, counted as at most 32 bytes (a
       * long first id must not ask for a huge block), and no bytes when
       * it has at most 16 (the pool then keeps keys, not bytes). The room
       * only saves copies: without it the pool grows as before, so a
       * failure here is not one of the run's. */
      if (!ds->cap_recs && ds->subjects_rows && !ds->subjects_split &&
          cap < UINT32_MAX) {
        size_t per_id = len <= 16               ? 0
                        : len + 2 < ROW_ID_ROOM ? len + 2
                                                : ROW_ID_ROOM;
        (void)harm__strpool_reserve_rows(&ds->subjects, (uint32_t)cap,
                                         cap * per_id);
      }
      harm__rec *recs = harm__reallocarray(ds->recs, cap, sizeof *recs);
      if (!recs) {
        return false;
      }
      ds->recs = recs;
      if (ds->subjects_split) {
        uint32_t *hi = harm__reallocarray(ds->subject_hi, cap, sizeof *hi);
        if (!hi) {
          return false;
        }
        ds->subject_hi = hi;
      }
      if (ld->opts->keep_offence_ids) {
        uint32_t *o = harm__reallocarray(ds->oid, cap, sizeof *o);
        if (!o) {
          return false;
        }
        ds->oid = o;
      }
      if (ds->has_place || ds->has_place_type) {
        harm__place_ref *pp = harm__reallocarray(ds->pref, cap, sizeof *pp);
        if (!pp) {
          return false;
        }
        ds->pref = pp;
      }
      ds->cap_recs = cap;
    }
  }
  if (ds->subjects_split && len <= 8) {
    uint64_t k = harm__strpool_key(s, len);
    r->subject = (uint32_t)k;
    ds->subject_hi[ds->n_recs] = (uint32_t)(k >> 32);
  } else {
    if (!harm__ingest_unsplit(ds)) {
      return false;
    }
    r->subject = harm__strpool_append(&ds->subjects, s, len);
    if (r->subject == HARM__STRPOOL_FAIL) {
      return false;
    }
  }
  if (ds->oid) {
    ds->oid[ds->n_recs] = oid;
  }
  if (ds->pref) {
    ds->pref[ds->n_recs] = pr;
  }
  if (ds->n_recs == 0 || r->date < ds->min_date) {
    ds->min_date = r->date;
  }
  ds->recs[ds->n_recs++] = *r;
  return true;
}

/* The intern caches: per dictionary, 256 slots of a value of up to 16
 * bytes (len + 1, 0 = empty) and its index. Codes and areas are a few
 * hundred distinct values over millions of rows. */
enum { INTERN_SLOTS = 256, INTERN_KEY = 16 };

struct intern_slot {
  uint64_t k[2];
  uint32_t len1;
  uint32_t idx;
};

/* The bytes s[0..len), len <= 16, as two words zero-padded (byte i at bit
 * 8 * (i % 8) of word i / 8): as memcpy into zeroed words would give on a
 * little-endian machine, with fixed-size loads that stay inside the
 * value. */
static inline void key16(const char *s, size_t len, uint64_t k[2]) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint64_t a = 0, b = 0;
  if (len >= 8) {
    memcpy(&a, s, 8);
    if (len > 8) {
      uint64_t t;
      memcpy(&t, s + len - 8, 8); /* bytes len-8 .. len-1 */
      b = t >> (8 * (16 - len));
    }
  } else if (len >= 4) {
    uint32_t x, y; /* bytes 0-3 and len-4 .. len-1: overlaps agree */
    memcpy(&x, s, 4);
    memcpy(&y, s + len - 4, 4);
    a = (uint64_t)x | (uint64_t)y << (8 * (len - 4));
  } else if (len) {
    a = (uint64_t)(unsigned char)s[0] |
        (uint64_t)(unsigned char)s[len / 2] << (8 * (len / 2)) |
        (uint64_t)(unsigned char)s[len - 1] << (8 * (len - 1));
  }
  k[0] = a;
  k[1] = b;
#else
  k[0] = k[1] = 0;
  memcpy(k, s, len);
#endif
}

/* harm__strpool_intern(sp, s, len) through *cache (allocated on first
 * use; without it, or for a longer value, straight to the pool). A hit is
 * an exact match of the bytes and length of a value interned before in
 * this pool, so the index is the same. */
static uint32_t intern_cached(struct intern_slot **cache, harm__strpool *sp,
                              const char *s, size_t len) {
  if (len > INTERN_KEY) {
    return harm__strpool_intern(sp, s, len, NULL);
  }
  if (!*cache) {
    *cache = harm__calloc(INTERN_SLOTS, sizeof **cache);
    if (!*cache) {
      return harm__strpool_intern(sp, s, len, NULL);
    }
  }
  uint64_t k[2];
  key16(s, len, k);
  uint64_t h =
      (k[0] * 0x9E3779B97F4A7C15u) ^ (k[1] * 0xC2B2AE3D27D4EB4Fu) ^ len;
  h ^= h >> 29;
  h *= 0x94D049BB133111EBu;
  struct intern_slot *slot = &(*cache)[h >> (64 - 8)];
  if (slot->len1 == len + 1 && slot->k[0] == k[0] && slot->k[1] == k[1]) {
    return slot->idx;
  }
  uint32_t idx = harm__strpool_intern(sp, s, len, NULL);
  if (idx != HARM__STRPOOL_FAIL) {
    *slot = (struct intern_slot){{k[0], k[1]}, (uint32_t)len + 1, idx};
  }
  return idx;
}

/* The date cache: 4096 slots of a 10-byte date text and its day. */
enum { DATE_SLOTS = 4096, DATE_KEY = 10 };

struct date_slot {
  char key[DATE_KEY];
  bool used;
  harm_date day;
};

/* harm_date_parse in the loader's date format, through the cache for a
 * date text of exactly DATE_KEY bytes (YYYY-MM-DD, DD/MM/YYYY): a hit is
 * an exact byte match of a text that parsed before, so the answer is the
 * same; only successful parses are cached. */
static bool parse_date(loader *ld, const char *s, size_t len, harm_date *out) {
  harm_date_format fmt = ld->opts->date_format;
  if (len != DATE_KEY) {
    return harm_date_parse(s, len, fmt, out);
  }
  if (!ld->date_cache) {
    ld->date_cache = harm__calloc(DATE_SLOTS, sizeof *ld->date_cache);
    if (!ld->date_cache) {
      return harm_date_parse(s, len, fmt, out);
    }
  }
  uint64_t a;
  uint16_t b;
  memcpy(&a, s, 8);
  memcpy(&b, s + 8, 2);
  /* Mixed so that every byte reaches the slot bits (dates differ mostly
   * in their last bytes). */
  uint64_t h = (a * 0x9E3779B97F4A7C15u) ^ ((uint64_t)b * 0xC2B2AE3D27D4EB4Fu);
  h ^= h >> 31;
  h *= 0x94D049BB133111EBu;
  /* Two slots per key (its own and the next), so two dates that meet on
   * a slot do not evict each other on every row. */
  size_t at = (size_t)(h >> (64 - 12));
  struct date_slot *slot = &ld->date_cache[at];
  for (int k = 0; k < 2; k++) {
    struct date_slot *t = &ld->date_cache[(at + (size_t)k) % DATE_SLOTS];
    if (t->used && memcmp(t->key, s, DATE_KEY) == 0) {
      *out = t->day;
      return true;
    }
    if (!t->used) {
      slot = t;
      break;
    }
  }
  if (!harm_date_parse(s, len, fmt, out)) {
    return false;
  }
  memcpy(slot->key, s, DATE_KEY);
  slot->used = true;
  slot->day = *out;
  return true;
}

bool harm__ingest_on_record(void *ctx, const harm__csv_record *rec) {
  loader *ld = ctx;
  if (!ld->have_header) {
    ld->status = harm__ingest_setup_header(ld, rec);
    if (ld->status == HARM_ERR_NOMEM) {
      harm__fail(ld->err, HARM_ERR_NOMEM, "ingest", ld->name, rec->line, NULL,
                 "out of memory reading the header");
    }
    return ld->status == HARM_OK && !ld->header_only;
  }
  harm_dataset *ds = ld->ds;
  const harm_ingest_opts *o = ld->opts;
  ds->acct.read++;
  if (rec->error) {
    harm_status st = rec->over_limit ? HARM_ERR_LIMIT : HARM_ERR_DATA;
    reject(ld, rec, rec->error_field, st, "%s", rec->error);
    return ld->status == HARM_OK;
  }
  if (rec->n_fields < ld->n_cols || rec->n_fields > ld->n_cols + ld->n_extra) {
    reject(ld, rec, ABSENT, HARM_ERR_DATA, "expected %zu fields, found %zu",
           ld->n_cols + ld->n_extra, rec->n_fields);
    return ld->status == HARM_OK;
  }
  for (size_t i = ld->n_cols; i < rec->n_fields; i++) {
    const char *p = rec->fields[i].p;
    size_t len = rec->fields[i].len;
    harm__trim(&p, &len);
    if (len) {
      reject(ld, rec, ABSENT, HARM_ERR_DATA,
             "a value in column %zu, which has no name in the header", i + 1);
      return ld->status == HARM_OK;
    }
  }
  /* Required text fields: present, non-empty, no NUL bytes. */
  static const int text_roles[] = {COL_OID, COL_OFFENDER, COL_SUBJECT,
                                   COL_CODE};
  /* Absent roles read as empty; present ones from their column. */
  harm__csv_field val[N_ROLES];
  for (size_t k = 0; k < ld->n_absent; k++) {
    val[ld->absent[k]].p = "";
    val[ld->absent[k]].len = 0;
  }
  /* Through locals: copying the field struct and trimming it in place
   * stalled on store forwarding (a sixth of on_record's samples). */
  const harm__csv_field *fields = rec->fields;
  if (rec->trimmed) {
    for (size_t k = 0; k < ld->n_present; k++) {
      size_t c = ld->present_col[k];
      const char *p = fields[c].p;
      size_t len = fields[c].len;
      val[ld->present[k]].p = p;
      val[ld->present[k]].len = len;
    }
  } else {
    for (size_t k = 0; k < ld->n_present; k++) {
      size_t c = ld->present_col[k];
      const char *p = fields[c].p;
      size_t len = fields[c].len;
      harm__trim(&p, &len);
      val[ld->present[k]].p = p;
      val[ld->present[k]].len = len;
    }
  }
  /* With victims as the subjects, an offence with no victim is filtered
   * out below, not rejected. */
  bool no_subject = o->victims_as_subjects && val[COL_SUBJECT].len == 0;
  for (size_t k = 0; k < sizeof text_roles / sizeof *text_roles; k++) {
    int role = text_roles[k];
    if (val[role].len == 0 && !(role == COL_SUBJECT && no_subject)) {
      reject(ld, rec, ld->col[role], HARM_ERR_DATA, "empty value");
      return ld->status == HARM_OK;
    }
    if (!field_ok_text(rec, &val[role])) {
      reject(ld, rec, ld->col[role], HARM_ERR_DATA, "contains a NUL byte");
      return ld->status == HARM_OK;
    }
  }
  harm_date date;
  if (!parse_date(ld, val[COL_DATE].p, val[COL_DATE].len, &date)) {
    harm_date dmy;
    if (o->date_format == HARM_DATE_YMD &&
        harm_date_parse(val[COL_DATE].p, val[COL_DATE].len, HARM_DATE_DMY,
                        &dmy)) {
      ld->chk.dmy_dates++;
    }
    char shown[80];
    quote_value(shown, sizeof shown, val[COL_DATE].p, val[COL_DATE].len);
    reject(ld, rec, ld->col[COL_DATE], HARM_ERR_DATA, "not a date \"%s\"%s",
           shown,
           o->date_format == HARM_DATE_DMY ? " (expected DD/MM/YYYY)"
                                           : " (expected YYYY-MM-DD)");
    return ld->status == HARM_OK;
  }
  if (ld->col[COL_DOMESTIC] != ABSENT && val[COL_DOMESTIC].len) {
    bool b;
    /* The usual one-letter flags without a call; the rest as parsed. */
    const char *dp = val[COL_DOMESTIC].p;
    bool one = val[COL_DOMESTIC].len == 1 &&
               (dp[0] == 'N' || dp[0] == 'Y' || dp[0] == 'n' || dp[0] == 'y');
    if (!one &&
        !harm__parse_bool(val[COL_DOMESTIC].p, val[COL_DOMESTIC].len, &b)) {
      char shown[80];
      quote_value(shown, sizeof shown, val[COL_DOMESTIC].p,
                  val[COL_DOMESTIC].len);
      reject(ld, rec, ld->col[COL_DOMESTIC], HARM_ERR_DATA,
             "not a yes/no value \"%s\"", shown);
      return ld->status == HARM_OK;
    }
  }
  /* Dictionaries assume text without NUL bytes (see strpool_unify). */
  static const int opt_roles[] = {COL_VICTIM, COL_AREA, COL_PLACE,
                                  COL_PLACE_TYPE};
  for (size_t k = 0; !rec->no_nul && k < sizeof opt_roles / sizeof *opt_roles;
       k++) {
    int role = opt_roles[k];
    if (ld->col[role] != ABSENT && !field_ok_text(rec, &val[role]) &&
        role == COL_PLACE && o->place_optional) {
      val[role].len = 0; /* side information: no place, the row stays */
    } else if (ld->col[role] != ABSENT && !field_ok_text(rec, &val[role])) {
      reject(ld, rec, ld->col[role], HARM_ERR_DATA, "contains a NUL byte");
      return ld->status == HARM_OK;
    }
  }

  if (!harm__ingest_check_row(ld, rec, date)) {
    ld->status = HARM_ERR_NOMEM;
    return false;
  }
  /* Classify by date before touching any hash table. */
  if (ld->deferred) {
    if (ld->runmax == HARM_DATE_NONE || date > ld->runmax) {
      ld->runmax = date;
      harm__ingest_publish_max(ld, date);
    }
    if (no_subject || (ld->opts->n_filters && !passes_filters(ld, rec))) {
      if (!harm__ingest_hist_add(ld, date)) {
        ld->status = HARM_ERR_NOMEM;
      }
      return ld->status == HARM_OK;
    }
    if (date < harm__ingest_window_start(harm__ingest_latest_seen(ld),
                                         ds->lookback_days)) {
      ds->acct.outside_window++;
      return true;
    }
  } else {
    if (date > o->as_of) {
      ds->acct.future_dated++;
      return true;
    }
    if (date < harm__ingest_window_start(o->as_of, ds->lookback_days)) {
      ds->acct.outside_window++;
      return true;
    }
    if (no_subject || (ld->opts->n_filters && !passes_filters(ld, rec))) {
      /* A filtered row of the previous period is outside the window. */
      if (ds->previous_days &&
          date < harm__ingest_window_start(o->as_of, ds->lookback_days -
                                                         ds->previous_days)) {
        ds->acct.outside_window++;
      } else {
        ds->acct.filtered++;
      }
      return true;
    }
  }

  harm__rec r;
  r.date = date;
  r.subject = 0;
  uint32_t code = intern_cached(&ld->code_cache, &ds->codes, val[COL_CODE].p,
                                val[COL_CODE].len);
  uint32_t area = 0;
  if (ds->has_area) {
    area = intern_cached(&ld->area_cache, &ds->areas, val[COL_AREA].p,
                         val[COL_AREA].len);
  }
  if (code == HARM__STRPOOL_FAIL || area == HARM__STRPOOL_FAIL) {
    ld->status = HARM_ERR_NOMEM;
    return false;
  }
  if (code >= HARM__REC_MAX_INDEX || area >= HARM__REC_MAX_INDEX) {
    /* (Indices from 0: the limit's own value is the first one over.) */
    bool c = code >= HARM__REC_MAX_INDEX;
    ld->status = harm__ingest_too_many(
        ld, rec->line, ld->names[ld->col[c ? COL_CODE : COL_AREA]],
        c ? "offence codes" : "areas");
    return false;
  }
  r.code = (uint16_t)code;
  r.area = ds->has_area ? (uint16_t)area : HARM__REC_NO_AREA;
  r.offence = harm__hash(val[COL_OID].p, val[COL_OID].len);
  r.victim = 0;
  if (val[COL_VICTIM].len) {
    r.victim = harm__hash(val[COL_VICTIM].p, val[COL_VICTIM].len);
    if (r.victim == 0) {
      r.victim = 1; /* 0 means "no victim" */
    }
  }
  /* Places: the record's place and type, blank = none. */
  harm__place_ref pr = {HARM__NO_PLACE, HARM__NO_PLACE};
  bool pr_ok = true;
  if (ds->has_place && val[COL_PLACE].len) {
    pr.place = harm__strpool_intern(&ds->places, val[COL_PLACE].p,
                                    val[COL_PLACE].len, NULL);
    pr_ok = pr.place != HARM__STRPOOL_FAIL;
  }
  if (ds->has_place_type && val[COL_PLACE_TYPE].len) {
    pr.type = harm__strpool_intern(&ds->place_types, val[COL_PLACE_TYPE].p,
                                   val[COL_PLACE_TYPE].len, NULL);
    pr_ok = pr_ok && pr.type != HARM__STRPOOL_FAIL;
  }
  if (!pr_ok) {
    ld->status = HARM_ERR_NOMEM;
    return false;
  }
  uint32_t oid = 0;
  if (o->keep_offence_ids) {
    oid =
        harm__strpool_intern(&ds->oids, val[COL_OID].p, val[COL_OID].len, NULL);
    if (oid == HARM__STRPOOL_FAIL) {
      ld->status = HARM_ERR_NOMEM;
      return false;
    }
  }
  if (!push_rec(ld, &r, oid, pr, val[COL_SUBJECT].p, val[COL_SUBJECT].len)) {
    ld->status = HARM_ERR_NOMEM;
    return false;
  }
  return true;
}

/* Maps the reader's status to the loader's: a stop requested by the
 * record callback carries the loader's own status. */
harm_status harm__ingest_reader_status(loader *ld, harm_status st) {
  if (st == HARM_ERR_USAGE && ld->status != HARM_OK) {
    return ld->status;
  }
  if (st == HARM_OK && ld->status != HARM_OK) {
    return ld->status;
  }
  return st;
}
