/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/oversight/internal.h: what the oversight files share: a small
 * CSV table reader (cohort.csv, movers.csv, groups.csv), the paths of a
 * past output folder, and rebuilding a past run's pipeline. Not
 * installed. */
#ifndef HARMRANK_OVERSIGHT_INTERNAL_H
#define HARMRANK_OVERSIGHT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "harmrank.h"

/* A whole small CSV file: header and rows of NUL-terminated fields. */
typedef struct harm__table {
  char **cells;  /* n_rows x n_cols, row-major (header not included) */
  char **header; /* n_cols names */
  size_t n_rows, n_cols;
  char *source;         /* the file name */
  harm_input_hash hash; /* SHA-256 of the bytes read */
} harm__table;

/* Reads `path` (RFC 4180, header row required, at most 64 MiB). Rows
 * shorter than the header are padded with "", longer ones are
 * HARM_ERR_DATA naming the line. Returns HARM_OK, HARM_ERR_IO,
 * HARM_ERR_DATA, HARM_ERR_NOMEM. */
harm_status harm__table_load(const char *path, harm__table *t, harm_error *err);
void harm__table_free(harm__table *t);
/* Column index of `name` (exact, after trimming), or -1. */
int harm__table_col(const harm__table *t, const char *name);
const char *harm__table_cell(const harm__table *t, size_t row, int col);

/* "dir/name" into buf. */
void harm__join(char *buf, size_t cap, const char *dir, const char *name);

/* A past run rebuilt from its manifest: its configuration with the
 * window set to (as_of - lookback, as_of], run over `offences` (NULL = the
 * recorded offences file). */
typedef struct harm__rebuilt {
  harm_config *cfg;
  harm_run *run;
  harm_list *exclusions; /* the recorded exclusions, when still readable */
} harm__rebuilt;

/* notes: called with each sentence a reader should see (may be NULL). */
typedef void (*harm__note_fn)(void *ctx, const char *text);

harm_status harm__rebuild(const harm_oversight_manifest *m,
                          const char *offences, harm_date as_of,
                          uint32_t lookback, const unsigned char *key,
                          size_t key_len, unsigned threads, bool hash_input,
                          harm__note_fn note, void *note_ctx,
                          harm__rebuilt *out, harm_error *err);
void harm__rebuilt_free(harm__rebuilt *r);

/* The pool of a rebuilt run as the cohort selection sees it: a selection
 * with `size` core places per list and no referral places, tenure or
 * previous list, whose core members carry their pool ranks. Owned by the
 * run (harm_run_select). */
harm_status harm__pool(harm__rebuilt *r, size_t size, const harm_cohort **out,
                       harm_error *err);

/* Growable list of owned strings (notes). */
typedef struct harm__notes {
  char **text;
  size_t n, cap;
  bool failed; /* an allocation failed */
} harm__notes;
void harm__notes_add(void *notes, const char *text);
void harm__notes_free(harm__notes *n);

#endif /* HARMRANK_OVERSIGHT_INTERNAL_H */
