/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/ingest/dataset.h: the dataset's layout, shared with the score
 * module that aggregates it. Not installed. */
#ifndef HARMRANK_INGEST_DATASET_H
#define HARMRANK_INGEST_DATASET_H

#include <stdint.h>

#include "core/internal.h"
#include "core/strpool.h"
#include "harmrank/ingest.h"

/* The hashes' type in records: 8 bytes aligned on 4 (GCC and Clang let
 * a typedef lower alignment), so a record packs into 28 bytes, not 32
 * with padding. */
#if defined(__GNUC__)
typedef uint64_t harm__hash64 __attribute__((aligned(4)));
#else
typedef uint64_t harm__hash64;
#endif

/* Codes and areas are 16-bit in a record: a read stops (HARM_ERR_LIMIT)
 * at more than HARM__REC_MAX_INDEX distinct codes, or areas, in the rows
 * it keeps. HARM__REC_NO_AREA: the input has no area column. */
#define HARM__REC_MAX_INDEX 65535u
#define HARM__REC_NO_AREA UINT16_MAX

/* One kept offence row, 28 bytes (3.33M of them hold the 10M-row
 * benchmark's window). Strings are interned; the offence and
 * victim ids are kept as 64-bit hashes (XXH3), which is all dedupe, split
 * attribution and distinct-victim counts need. A hash collision could only
 * merge two different offence ids of the same subject and code (or two
 * victims of one subject): with n rows per group the chance is about
 * n^2 / 2^65, below 1e-12 for any real offender history. */
typedef struct harm__rec {
  uint32_t subject;     /* index into subjects */
  int32_t date;         /* harm_date */
  uint16_t code;        /* index into codes */
  uint16_t area;        /* index into areas, HARM__REC_NO_AREA = none */
  harm__hash64 offence; /* hash of offence_id */
  harm__hash64 victim;  /* hash of victim_id, 0 = no victim */
} harm__rec;
#if defined(__GNUC__)
_Static_assert(sizeof(harm__rec) == 28, "a record packs into 28 bytes");
#endif

/* A record's 16-bit area as the public int32 index: -1 for none. */
static inline int32_t harm__area_index(uint16_t area) {
  return area == HARM__REC_NO_AREA ? -1 : (int32_t)area;
}

/* Places (harm_ingest_opts.read_places): a record's place and place type,
 * in a side array parallel to the records (most runs have no place: the
 * 28-byte record stays as it is). HARM__NO_PLACE = blank cell or no
 * column. */
#define HARM__NO_PLACE UINT32_MAX
typedef struct harm__place_ref {
  uint32_t place; /* index into places */
  uint32_t type;  /* index into place_types */
} harm__place_ref;

/* One array of a dataset's records (see harm_dataset.seg). */
typedef struct harm__rec_seg {
  harm__rec *recs;
  size_t n;
} harm__rec_seg;

struct harm_dataset {
  char *source;           /* input name */
  harm__strpool subjects; /* sorted bytewise after ingest */
  harm__strpool codes;    /* sorted bytewise after ingest */
  harm__strpool areas;    /* sorted bytewise after ingest */
  bool has_area;          /* the input has an area column */
  harm__rec *recs;        /* kept records */
  size_t n_recs;
  size_t cap_recs;
  harm_date min_date; /* while reading: no record is dated before it
                         (meaningless when n_recs is 0) */
  harm__strpool oids; /* offence_id text, when keep_offence_ids */
  uint32_t *oid;      /* per record, index into oids (or NULL) */
  harm_accounting acct;
  harm_date as_of;
  uint32_t lookback_days;
  harm_input_hash hash; /* of the bytes read, when opts.hash_input */
  /* While reading, subjects holds one string per record, appended without
   * lookup (no hash table touched per row); harm__ingest_renumber (or
   * harm__ingest_sort_subjects) turns it into a dictionary once, by
   * sorting. */
  bool subjects_rows;
  /* While reading, and while every id read has at most 8 bytes, the ids
   * are not in subjects at all: record i's id is the key
   * (subject_hi[i] << 32) | recs[i].subject (harm__strpool_key), 4 bytes a
   * row beside the record instead of the pool's 8. The first longer id
   * moves them into the pool (harm__ingest_unsplit). The dictionary is
   * then made by sorting the records themselves (harm__ingest_sort_keyed)
   * when nothing else is kept in step with them. */
  bool subjects_split;
  uint32_t *subject_hi; /* cap_recs */
  /* The records were freed by harm_matrix_build_release. */
  bool records_released;
  /* harm_ingest_opts.records_in_parts: the records are seg[0..n_seg) in
   * order (recs is NULL, n_recs their total); only the release build
   * reads them. Read them through harm__ds_seg. */
  harm__rec_seg *seg;
  size_t n_seg;
  /* records_in_parts: the subjects sort's dead arrays, kept for the
   * release build (its copy of the records and an index start there);
   * it frees what it does not take. */
  harm__spares spares;
  /* Places: read with harm_ingest_opts.read_places. */
  bool has_place, has_place_type; /* the header has the column */
  harm__strpool places;           /* sorted bytewise after ingest */
  harm__strpool place_types;      /* sorted bytewise after ingest */
  harm__place_ref *pref;          /* per record, or NULL */
  /* The previous period (harm_ingest_opts.previous_days): while reading,
   * lookback_days includes previous_days; at the end the records dated
   * before the window move here, are counted outside the window, and the
   * subject and code dictionaries shrink to the window's records. prev[i]
   * .code indexes prev_codes; prev[i].subject is not kept (0). */
  uint32_t previous_days;
  harm__rec *prev;
  harm__place_ref *prev_pref; /* or NULL */
  size_t n_prev;
  harm__strpool prev_codes;
};

/* The dataset's records as harm__ds_nseg(ds) arrays in order: segment s
 * (its records in *n), the parts when it holds them in parts, else the
 * one array. */
static inline size_t harm__ds_nseg(const harm_dataset *ds) {
  return ds->seg ? ds->n_seg : 1;
}
static inline harm__rec *harm__ds_seg(const harm_dataset *ds, size_t s,
                                      size_t *n) {
  if (ds->seg) {
    *n = ds->seg[s].n;
    return ds->seg[s].recs;
  }
  *n = ds->n_recs;
  return ds->recs;
}

/* Frees the segments of a dataset that holds its records in parts. */
static inline void harm__ds_free_segs(harm_dataset *ds) {
  for (size_t k = 0; k < ds->n_seg; k++) {
    harm__free(ds->seg[k].recs);
  }
  harm__free(ds->seg);
  ds->seg = NULL;
  ds->n_seg = 0;
}

#endif /* HARMRANK_INGEST_DATASET_H */
