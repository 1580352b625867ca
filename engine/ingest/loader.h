/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/ingest/loader.h: the offences loader's state, shared by the files
 * of engine/ingest/ that read offences (header.c, rows.c, checks.c,
 * window.c, dictionary.c, parallel.c, source.c, ingest.c), and the
 * prototypes they call across. Not installed.
 *
 * The types and constants here keep the short names they had when the
 * loader was one file: this header is included by engine/ingest/ alone
 * and types have no linkage, so only the functions, which are visible in
 * libharmrank.a, carry the harm__ingest_ prefix. */
#ifndef HARMRANK_INGEST_LOADER_H
#define HARMRANK_INGEST_LOADER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/csvread.h"
#include "core/internal.h"
#include "ingest/dataset.h"

enum {
  COL_OID,
  COL_SUBJECT,
  COL_CODE,
  COL_DATE,
  COL_OFFENDER,
  COL_VICTIM,
  COL_DOMESTIC,
  COL_AREA,
  COL_PLACE,      /* places: only with opts->read_places */
  COL_PLACE_TYPE, /* places: only with opts->read_places */
  N_ROLES
};

#define ABSENT SIZE_MAX

typedef struct col_filter {
  size_t col;
  bool boolean;    /* compare as yes/no (domestic column) */
  bool want_true;  /* boolean filter accepts true */
  bool want_false; /* boolean filter accepts false */
} col_filter;

/* What the input checks (checks.c, "Checks that stop a wrong list") need
 * from the rows, gathered per loader and folded into the first loader in
 * file order, so the verdict is the same whatever the thread split. Line
 * numbers are relative to the loader's chunk until folded. */
enum { CHECK_TOP = 16, CHECK_SEEN = 20 };

typedef struct check_seen {
  char *v[CHECK_SEEN]; /* the smallest distinct values (bytewise) */
  size_t n;
} check_seen;

typedef struct checks {
  uint64_t *rej_col;  /* rejects per column; [n_cols] = whole-row faults */
  size_t *rej_line;   /* first line rejected per column, 0 = none */
  uint64_t dmy_dates; /* offence_date rejects that read as DD/MM/YYYY */
  uint64_t n_dated;   /* valid rows seen while as_of is the latest date */
  struct check_top {
    harm_date d;
    uint64_t n;
    size_t line;    /* first line with this date */
  } top[CHECK_TOP]; /* the latest distinct dates, latest first */
  size_t n_top;
  bool *hit; /* per filter value: some valid row matched it */
  size_t n_hit;
  check_seen *seen; /* per filter: values present in its column */
  bool all_hit;     /* every filter value matched: stop looking */
} checks;

typedef struct loader {
  const harm_ingest_opts *opts;
  const char *name;
  harm_error *err;
  harm_dataset *ds;
  bool have_header;
  size_t n_cols;  /* named columns: the header less empty trailing names */
  size_t n_extra; /* empty trailing header names (Excel's "...,area,,"):
                     their cells may be present, and must be empty */
  char **names;   /* header names, trimmed copies */
  size_t col[N_ROLES];
  /* The roles present in the header (col[role] != ABSENT), in role
   * order: the only ones a row's values are taken from. */
  unsigned char present[N_ROLES];
  size_t present_col[N_ROLES]; /* col[present[k]] */
  size_t n_present;
  unsigned char absent[N_ROLES]; /* the other roles */
  size_t n_absent;
  col_filter *filters;
  bool deferred;    /* as_of is the latest date: decided at the end */
  harm_date runmax; /* latest valid date so far */
  /* Parallel shards, as_of = latest: the latest date any shard has seen,
   * so a shard drops rows that are already outside every later window
   * (the window only moves forward). NULL when reading alone. */
  _Atomic harm_date *shared_max;
  size_t compact_at; /* as_of = latest: compact when this many records */
  /* Deferred mode: rows that failed a filter, counted by date, so they
   * can be classified against the final window at the end. */
  harm_date hist_base;
  uint64_t *hist;
  size_t hist_len;
  harm_status status; /* first failure, stops the reader */
  /* Parallel shards: header fields are borrowed from the first loader,
   * rejects are buffered (see rej_buf) and replayed in file order. */
  bool borrowed_header;
  bool header_only; /* stop the reader right after the header */
  bool buffer_rejects;
  harm__buf rej_buf;
  harm_error local_err;
  size_t rec_hint; /* first record capacity (0 = small) */
  /* Datasets of the later parallel chunks, folded in by finish(). */
  harm_dataset **parts;
  size_t n_parts;
  checks chk; /* owned by each loader, shards included */
  /* Dates already parsed, keyed by their exact bytes (a file holds a few
   * thousand distinct dates over millions of rows): a direct-mapped cache
   * in front of harm_date_parse, per loader, allocated on first use; NULL
   * when that failed (every date is then parsed). */
  struct date_slot *date_cache;
  /* rows.c: caches in front of the code and area dictionaries. */
  struct intern_slot *code_cache, *area_cache;
} loader;

/* A buffered reject: this header, then reason and raw bytes. */
typedef struct rej_entry {
  size_t line;
  size_t col;
  size_t reason_len;
  size_t raw_len;
  int status;
} rej_entry;

/* ---- header.c: the header row ------------------------------------------ */

/* Column name for a role; a NULL name in opts means the default. */
const char *harm__ingest_role_name(const loader *ld, int role);
/* Reads the header row: names, role columns, filter columns. Returns
 * HARM_OK, HARM_ERR_DATA (a required column missing, a name twice),
 * HARM_ERR_CONFIG (a filter naming no column) or HARM_ERR_NOMEM. */
harm_status harm__ingest_setup_header(loader *ld, const harm__csv_record *rec);

/* ---- rows.c: one record at a time -------------------------------------- */

/* The one record callback every row source feeds (harm__csv_record_fn;
 * ctx is the loader): the header first, then each row checked, counted
 * and kept or rejected. Returns false to stop the reader (ld->status says
 * why). */
bool harm__ingest_on_record(void *ctx, const harm__csv_record *rec);
/* Maps the reader's status to the loader's: a stop requested by the
 * record callback carries the loader's own status. */
harm_status harm__ingest_reader_status(loader *ld, harm_status st);

/* ---- checks.c: checks that stop a wrong list --------------------------- */

/* Frees what the loader's checks gathered (ld->chk). */
void harm__ingest_check_free(loader *ld);
/* Counts a reject at column col (>= n_cols: the whole row) on line.
 * Returns false when out of memory. */
bool harm__ingest_check_reject(loader *ld, size_t col, size_t line);
/* The part of harm__ingest_check_row that keeps a date or a filter
 * value. */
bool harm__ingest_check_row_slow(loader *ld, const harm__csv_record *rec,
                                 harm_date date);
/* Notes a valid row's date and filter values. False: out of memory.
 * Inline: most rows are older than every latest date kept and no filter
 * value is still unseen, so they need nothing more than a count. */
static inline bool harm__ingest_check_row(loader *ld,
                                          const harm__csv_record *rec,
                                          harm_date date) {
  checks *c = &ld->chk;
  bool date_news = false;
  if (ld->deferred) {
    c->n_dated++;
    date_news = !(c->n_top == CHECK_TOP && date < c->top[CHECK_TOP - 1].d);
  }
  bool filter_news = ld->opts->n_filters && !c->all_hit;
  return !(date_news || filter_news) ||
         harm__ingest_check_row_slow(ld, rec, date);
}
/* Folds a shard's findings into the master's, lines moved by base. */
bool harm__ingest_check_fold(loader *master, const loader *from, size_t base);
/* Judges the input once every row is read: HARM_OK or HARM_ERR_DATA. */
harm_status harm__ingest_check_finish(loader *ld);

/* ---- window.c: the deferred as_of window ------------------------------- */

/* Counts a filtered row dated d, to be classified at the end. */
bool harm__ingest_hist_add(loader *ld, harm_date d);
/* First date inside the window (as_of - lookback_days + 1), or INT32_MIN
 * when the window is unlimited. Inline: every valid row asks. */
static inline int64_t harm__ingest_window_start(harm_date as_of,
                                                uint32_t lookback) {
  if (lookback == 0 || as_of == HARM_DATE_NONE) {
    return INT32_MIN;
  }
  return (int64_t)as_of - lookback + 1;
}
/* Drops records dated before start, counting them outside the window. */
void harm__ingest_compact(harm_dataset *ds, int64_t start);
/* The latest valid date seen by this loader or, in parallel, any shard.
 * Inline: every valid row asks. */
static inline harm_date harm__ingest_latest_seen(const loader *ld) {
  harm_date g = ld->shared_max
                    ? atomic_load_explicit(ld->shared_max, memory_order_relaxed)
                    : HARM_DATE_NONE;
  return g > ld->runmax ? g : ld->runmax;
}
/* places: moves the previous period's records out of the window. */
bool harm__ingest_split_previous(harm_dataset *ds);
/* Raises the shards' shared latest date to d. */
void harm__ingest_publish_max(loader *ld, harm_date d);

/* ---- dictionary.c: subjects, codes and areas as dictionaries ------------ */

/* Sorts a dataset's subjects into a dictionary and renumbers its records
 * (false: out of memory). */
bool harm__ingest_sort_subjects(harm_dataset *ds);
/* Merges the dictionaries and records of ds and parts into ds, working
 * on up to `threads` threads (0: all cores; the result is the same).
 * With in_parts (and parts, and no offence ids or places) the records
 * stay in the parts' arrays, renumbered, as ds's segments. False on
 * allocation failure, or with *over set to what there are more than
 * HARM__REC_MAX_INDEX of ("offence codes" or "areas") in all the parts
 * together. */
bool harm__ingest_renumber(harm_dataset *ds, harm_dataset **parts,
                           size_t n_parts, unsigned threads, bool in_parts,
                           const char **over);
/* The limit error for more than HARM__REC_MAX_INDEX distinct `what`
 * ("offence codes" or "areas") in the rows kept, at line `line` and
 * column `column` (0 and NULL: the whole file). */
harm_status harm__ingest_too_many(loader *ld, size_t line, const char *column,
                                  const char *what);
/* ---- keyed.c: subject ids as keys in the records (subjects_split) ------ */

/* Records put in range order per block of harm__ingest_key_block
 * (65,536; tests lower it), then sorted a range of about
 * harm__ingest_key_range records (16,384: each merge job's scratch, 32
 * bytes a record, stays near 0.5 MiB; tests lower it) at a time. */
extern size_t harm__ingest_key_block;
extern size_t harm__ingest_key_range;
/* Moves ds's ids from its records' keys into its pool of rows (one string
 * per record, record i naming string i), as if appended there; nothing
 * to do when ds is not split. False on allocation failure (ds is then
 * unchanged). */
bool harm__ingest_unsplit(harm_dataset *ds);
/* Makes out, the dictionary of the ids of every record of all[0..np)
 * (every part split), each once in bytewise order, sorting each part's
 * records (and their keys) in place by key, blocks on up to `threads`
 * threads, then merging the blocks: each record's subject becomes its
 * id's number, and the parts are split no more. Record order within a
 * part changes. False on allocation failure: the records' subjects are
 * then part numbers, part keys, and the parts are fit only to be freed
 * (the read stops). */
bool harm__ingest_sort_keyed(harm_dataset *const *all, size_t np,
                             unsigned threads, harm__strpool *out);

/* Replaces every subject id of ds by its keyed pseudonym. */
harm_status harm__ingest_pseudonymise(loader *ld, harm_dataset *ds);

/* ---- ingest.c: the loader's life ---------------------------------------- */

/* Frees what the loader owns (not ld->ds); a shard leaves the header
 * fields it borrows. */
void harm__ingest_loader_free(loader *ld);

#endif /* HARMRANK_INGEST_LOADER_H */
