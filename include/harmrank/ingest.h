/* SPDX-License-Identifier: GPL-3.0-or-later */
/* include/harmrank/ingest.h: reads an offences CSV into a dataset of
 * in-window offence records, validating every row and accounting for it. */
#ifndef HARMRANK_INGEST_H
#define HARMRANK_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pseudonym.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A calendar date as days since 1970-01-01 (proleptic Gregorian). */
typedef int32_t harm_date;

/* "No date": used for an unset as_of and for subjects without offences. */
#define HARM_DATE_NONE INT32_MIN

/* Accepted date layouts of the offence_date column. A time part after the
 * date ("2024-03-01T10:00", "01/03/2024 10:00") is ignored. */
typedef enum harm_date_format {
  HARM_DATE_YMD = 0, /* YYYY-MM-DD (default) */
  HARM_DATE_DMY = 1  /* DD/MM/YYYY */
} harm_date_format;

/* Parses one date in the given layout (surrounding blanks ignored).
 * Returns true and sets *out on a real calendar date in years 1..9999. */
bool harm_date_parse(const char *s, size_t len, harm_date_format fmt,
                     harm_date *out);

/* Writes d as "YYYY-MM-DD" plus NUL into buf (at least 11 bytes). */
void harm_date_format_iso(harm_date d, char buf[11]);

/* Whether the header row of the offences file at `path` has a column
 * named `column` (ASCII case-insensitive, blanks trimmed); reads the header
 * only. *has is false for an empty file. Returns HARM_OK or HARM_ERR_IO. */
harm_status harm_ingest_has_column(const char *path, const char *column,
                                   bool *has, harm_error *err);

/* Names of the input columns. Defaults are the DESIGN.md §3 names; a NULL
 * optional column means "use the default name if the header has it". */
typedef struct harm_columns {
  const char *offence_id;   /* required; default "offence_id" */
  const char *offender_id;  /* required; default "offender_id" */
  const char *offence_code; /* required; default "offence_code" */
  const char *offence_date; /* required; default "offence_date" */
  const char *victim_id;    /* optional; default "victim_id" */
  const char *domestic;     /* optional; default "domestic" */
  const char *area;         /* optional; default "area" */
  const char *place;        /* optional, read only with
                               harm_ingest_opts.read_places; default
                               "place" */
  const char *place_type;   /* as place; default "place_type" */
} harm_columns;

#define HARM_COLUMNS_INIT                                                      \
  {                                                                            \
    .offence_id = "offence_id", .offender_id = "offender_id",                  \
    .offence_code = "offence_code", .offence_date = "offence_date",            \
    .victim_id = "victim_id", .domestic = "domestic", .area = "area",          \
    .place = "place", .place_type = "place_type"                               \
  }

/* One eligibility filter: a row passes when the trimmed value of `column`
 * equals one of `values` (ASCII case-insensitive). On the domestic column
 * values are compared as booleans (1/0, Y/N, yes/no, true/false). A filter
 * naming a column the header lacks is a HARM_ERR_CONFIG error. */
typedef struct harm_filter {
  const char *column;
  const char *const *values;
  size_t n_values;
} harm_filter;

/* What happened to a rejected row, handed to harm_ingest_opts.on_reject. */
typedef struct harm_reject {
  size_t line;        /* 1-based physical line where the record starts */
  const char *raw;    /* the record's bytes, verbatim (not NUL-terminated) */
  size_t raw_len;     /* length of raw, line terminator excluded */
  const char *column; /* column at fault, "" for whole-row faults */
  const char *reason; /* one line, e.g. "not a date \"31/02/2019\"" */
} harm_reject;

/* Receives each rejected row in file order. Return false to stop the run
 * (ingest then fails with HARM_ERR_IO, e.g. when writing rejects failed).
 * Ownership: every pointer in *r is valid only during the call. */
typedef bool (*harm_reject_fn)(void *ctx, const harm_reject *r);

/* Ingest options. Every field has the default shown; use
 * HARM_INGEST_OPTS_INIT. */
typedef struct harm_ingest_opts {
  harm_columns columns;         /* column names; DESIGN.md §3 defaults */
  harm_date_format date_format; /* default HARM_DATE_YMD */
  const char *group_by;         /* subject key column; NULL = offender_id */
  const harm_filter *filters;   /* all must pass; default none */
  size_t n_filters;             /* default 0 */
  harm_date as_of;              /* window end; HARM_DATE_NONE = latest
                                   valid offence date in the input */
  uint32_t lookback_days;       /* window length in days; default 365;
                                   0 = unlimited */
  bool strict;                  /* first bad row fails the run
                                   (HARM_ERR_DATA); default false */
  size_t max_field_bytes;       /* longest accepted field; default 1 MiB */
  unsigned threads;             /* worker threads; 0 = all cores */
  harm_reject_fn on_reject;     /* default NULL (rejects only counted) */
  void *reject_ctx;             /* passed to on_reject */
  bool keep_offence_ids;        /* keep offence_id text per record, for
                                   `explain`; default false (only hashes
                                   are kept) */
  size_t min_chunk_bytes;       /* smallest chunk a thread reads; default
                                   0 = 1 MiB (tests set it tiny to force
                                   the parallel reader on small inputs) */
  const unsigned char *pseudonym_key; /* when set, offender ids are
                                   replaced by harm_pseudonym() of them;
                                   default NULL. Borrowed for the call. */
  size_t pseudonym_key_len;           /* bytes of key; at least 16 */
  double max_reject_share;            /* ingest stops (HARM_ERR_DATA) when more
                                         than this share of data rows is rejected
                                         for one column (and that is at least 10
                                         rows, or every row); default 0.5;
                                         >= 1 = never stop (README "Checks that
                                         stop a wrong list") */
  harm_date today;                    /* the run's date: with as_of = latest, a
                                         latest date after it stops ingest
                                         (HARM_ERR_DATA); default HARM_DATE_NONE
                                         = not checked (the CLI passes the
                                         clock's date) */
  bool hash_input; /* SHA-256 the bytes as they are read, for the
                      manifest (harm_dataset_input_hash); default false */
  /* People in either role (harmrank/people.h): */
  bool victims_as_subjects;   /* the subject column is the victim column
                                 and holds people (people mode's victim
                                 pass): a row with no victim is counted as
                                 filtered out, not rejected, and under a
                                 pseudonym key the victim ids are
                                 pseudonymised like offender ids; default
                                 false */
  const char *offender_alias; /* a second name for the offender column,
                                 used when the header lacks the first
                                 ("person_id" in roles mode); default
                                 NULL */
  /* Places (harmrank/places.h): */
  bool read_places;       /* read the place and place_type roles into each
                             record, beside the area; a value with a NUL
                             byte is rejected; a blank one is no place. A
                             header without the place column is refused
                             (HARM_ERR_USAGE, before any row is read)
                             unless place_optional; default false */
  bool place_optional;    /* with read_places: the place is side
                             information (a list's top_places), not what
                             is ranked, so it never removes a row: a place
                             with a NUL byte reads as no place, and
                             place_type is not read; default false */
  uint32_t previous_days; /* also keep, aside from the records, the rows
                             of this many days before the window that pass
                             the filters (the previous period of places'
                             persistence). They are counted outside the
                             window, and no subject, code or accounting of
                             the window depends on them; default 0 = none;
                             ignored when lookback_days is 0 */
  bool records_in_parts;  /* leave the kept records in the arrays the
                             threads read them into, renumbered where they
                             are, instead of copying them into one array
                             (the copy's fresh pages are never touched):
                             for a run that only scores. Such a
                             dataset serves harm_matrix_build_release
                             alone; harm_matrix_build and explain return
                             HARM_ERR_USAGE. Ignored (one array) with
                             keep_offence_ids, when read_places finds a
                             place or place type column, and with
                             previous_days; default false */
} harm_ingest_opts;

#define HARM_INGEST_OPTS_INIT                                                  \
  {                                                                            \
    .columns = HARM_COLUMNS_INIT, .date_format = HARM_DATE_YMD,                \
    .group_by = NULL, .filters = NULL, .n_filters = 0,                         \
    .as_of = HARM_DATE_NONE, .lookback_days = 365, .strict = false,            \
    .max_field_bytes = (size_t)1 << 20, .threads = 0, .on_reject = NULL,       \
    .reject_ctx = NULL, .keep_offence_ids = false, .min_chunk_bytes = 0,       \
    .pseudonym_key = NULL, .pseudonym_key_len = 0, .max_reject_share = 0.5,    \
    .today = HARM_DATE_NONE, .hash_input = false,                              \
    .victims_as_subjects = false, .offender_alias = NULL,                      \
    .read_places = false, .place_optional = false, .previous_days = 0,         \
    .records_in_parts = false                                                  \
  }

/* Where every data row of the input went. The identity
 * read = scored + outside_window + future_dated + filtered + duplicates +
 * rejected holds once a matrix has been built (harm_matrix_accounting);
 * straight after ingest, scored and duplicates are 0 and `kept` holds the
 * rows still to be deduplicated and scored. Blank lines are not rows. */
typedef struct harm_accounting {
  uint64_t read;           /* data rows after the header */
  uint64_t scored;         /* rows counted in a subject's score */
  uint64_t outside_window; /* offence_date <= as_of - lookback_days */
  uint64_t future_dated;   /* offence_date > as_of */
  uint64_t filtered;       /* failed a filter (incl. proactive codes) */
  uint64_t proactive;      /* of filtered: proactive codes left out */
  uint64_t duplicates;     /* repeated (offence_id, subject, code) */
  uint64_t rejected;       /* malformed rows (see on_reject) */
  uint64_t kept;           /* in window, passed filters, not yet deduped */
} harm_accounting;

/* The ingested input: dictionaries of subjects, codes and areas plus the
 * in-window records. Opaque. */
typedef struct harm_dataset harm_dataset;

/* Reads and validates the offences CSV at `path` ("-" reads stdin).
 * Rows outside the window are counted and dropped as they are read, so
 * memory grows with in-window rows and distinct ids, not with file size.
 * Returns HARM_OK; HARM_ERR_IO (cannot read, or on_reject asked to stop);
 * HARM_ERR_DATA (missing header column, empty file, any bad row in
 * strict mode, or an input that would gut the list: most rows rejected
 * for one column (opts->max_reject_share), a filter value matching no
 * row, or, with as_of = latest, a latest date after opts->today or more
 * than 366 days beyond all but at most 1% of the rows; err names file,
 * line and column); HARM_ERR_CONFIG (bad
 * opts, e.g. a filter on a missing column); HARM_ERR_LIMIT (a field
 * longer than max_field_bytes in strict mode); HARM_ERR_NOMEM.
 * Ownership: *out is new and owned by the caller (harm_dataset_free);
 * on failure *out is NULL.
 * Determinism: the dataset is identical whatever opts->threads is. */
harm_status harm_ingest_file(const char *path, const harm_ingest_opts *opts,
                             harm_dataset **out, harm_error *err);

/* As harm_ingest_file, over `len` bytes in memory; `name` is used in
 * messages. Ownership: data is only read during the call. */
harm_status harm_ingest_buffer(const char *name, const void *data, size_t len,
                               const harm_ingest_opts *opts, harm_dataset **out,
                               harm_error *err);

/* Frees a dataset; NULL is a no-op. */
void harm_dataset_free(harm_dataset *ds);

/* Row accounting after ingest (see harm_accounting). */
harm_accounting harm_dataset_accounting(const harm_dataset *ds);

/* The window end actually used (given, or the latest valid date read);
 * HARM_DATE_NONE when no valid row was read. */
harm_date harm_dataset_as_of(const harm_dataset *ds);

/* Window length used, in days (0 = unlimited). */
uint32_t harm_dataset_lookback_days(const harm_dataset *ds);

/* Number of distinct subjects with at least one kept record. Subjects are
 * numbered 0..n-1 in ascending bytewise order of their id. */
size_t harm_dataset_n_subjects(const harm_dataset *ds);

/* Id of subject i (NUL-terminated; *len may be NULL). Borrowed: valid
 * until harm_dataset_free. */
const char *harm_dataset_subject_id(const harm_dataset *ds, size_t i,
                                    size_t *len);

/* Looks a subject up by id; returns true and sets *index when found. */
bool harm_dataset_find_subject(const harm_dataset *ds, const char *id,
                               size_t *index);

/* Number of distinct offence codes among kept records; codes are numbered
 * 0..n-1 in ascending bytewise order. */
size_t harm_dataset_n_codes(const harm_dataset *ds);

/* Code string i (NUL-terminated). Borrowed, as for subject ids. */
const char *harm_dataset_code(const harm_dataset *ds, size_t i);

/* Number of distinct areas (area column values), numbered in bytewise
 * order; 0 when the input has no area column. */
size_t harm_dataset_n_areas(const harm_dataset *ds);
/* True when the place column was read (harm_ingest_opts.read_places and
 * the header has it): each record then carries its place. */
bool harm_dataset_has_places(const harm_dataset *ds);

/* Area string i (NUL-terminated). Borrowed, as for subject ids. */
const char *harm_dataset_area(const harm_dataset *ds, size_t i);

/* The input's name as given to ingest ("-" for stdin). Borrowed. */
const char *harm_dataset_source(const harm_dataset *ds);

/* SHA-256 and size of exactly the bytes ingest read from the offences
 * input (a pipe or standard input included), when opts.hash_input was
 * set; sha256 "" otherwise. A regular file read in parallel is hashed
 * through the same open descriptor, and a file that changed while it was
 * read fails the ingest (HARM_ERR_IO). Borrowed: lives as long as ds. */
const harm_input_hash *harm_dataset_input_hash(const harm_dataset *ds);

#ifdef __cplusplus
}
#endif

#endif /* HARMRANK_INGEST_H */
