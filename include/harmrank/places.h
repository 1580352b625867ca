/* SPDX-License-Identifier: GPL-3.0-or-later */
/* include/harmrank/places.h: places as subjects beside people. From a run
 * that read the place column (harm_run_opts.read_places), it ranks places by
 * the CCHI harm of the crimes recorded there, links each place to the offenders
 * who caused that harm, flags harm spots (Weinborn et al. 2017: harm at least
 * the mean plus 2 standard deviations of the places with any harm) and
 * whether they persist from the previous period of equal length, and
 * reports rows with no place and places that look like default
 * locations. */
#ifndef HARMRANK_PLACES_H
#define HARMRANK_PLACES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include <stdio.h>

#include "ingest.h"
#include "report.h"
#include "run.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Places with fewer crimes than this are marked "small numbers", so that
 * one serious crime is not read as a pattern (issue 14). */
#define HARM_PLACES_SMALL_CRIMES 5

/* Default-place heuristic (README "Places"): a place looks like a default
 * location (a police station address, "unknown") when its name reads as a
 * placeholder, or when it holds at least HARM_PLACES_DEFAULT_SHARE of the
 * scored rows that have a place, at least HARM_PLACES_DEFAULT_MEDIANS times
 * the median rows per place, and at least HARM_PLACES_DEFAULT_MIN_ROWS
 * rows. */
#define HARM_PLACES_DEFAULT_SHARE 0.02
#define HARM_PLACES_DEFAULT_MEDIANS 20.0
#define HARM_PLACES_DEFAULT_MIN_ROWS 20

/* Options; use HARM_PLACES_OPTS_INIT. */
typedef struct harm_places_opts {
  const char *place_column;       /* its name, for messages; default
                                     "place" */
  bool previous_period;           /* compute the previous period of equal
                                     length (persistence); needs a run read
                                     with previous_days = lookback_days;
                                     default true; lookback 0 = none */
  const unsigned char *place_key; /* when set, place ids are replaced by
                                     harm_pseudonym() of them in every
                                     output ([output] pseudonymise_places);
                                     default NULL. Borrowed for the call. */
  size_t place_key_len;           /* at least 16 bytes */
} harm_places_opts;

#define HARM_PLACES_OPTS_INIT                                                  \
  {                                                                            \
    .place_column = "place", .previous_period = true, .place_key = NULL,       \
    .place_key_len = 0                                                         \
  }

/* One ranked place. */
typedef struct harm_place {
  size_t rank;            /* 1..n, total order as harm_rank_key_compare */
  const char *place;      /* place id (borrowed from the places) */
  const char *place_type; /* most frequent type of the place's rows in
                             both periods (ties: bytewise smallest); ""
                             when none */
  int64_t harm_units;     /* whole-crime harm, HARM_UNITS_PER_DAY-ths */
  double harm;            /* days */
  uint32_t crimes;        /* distinct offence ids scored at the place */
  uint32_t offenders;     /* distinct offenders linked to the place */
  uint32_t victims;       /* distinct non-empty victim ids */
  harm_date last;         /* latest scored offence date */
  double share_of_harm;   /* harm / harm of all places */
  bool harm_spot;         /* harm > 0 and >= mean + 2 SD */
  bool small_numbers;     /* crimes < HARM_PLACES_SMALL_CRIMES */
  bool looks_default;     /* the default-place heuristic */
  bool has_previous;      /* a previous period was computed */
  bool persistent;        /* harm spot now and in the previous period */
  double harm_previous;   /* days, in the previous period */
  size_t first_link;      /* links of this place: [first_link, +n_links),
                             most harm first */
  size_t n_links;
  uint64_t rows;    /* scored rows at the place (heuristic input) */
  const char *area; /* the most frequent area of its scored rows (ties:
                       bytewise smallest); "" when none has an area */
  size_t area_rank; /* 1.. within its area, in rank order; 0 when no
                       area */
} harm_place;

/* An offender's harm at one place: the offender's own offences there,
 * with the offender's rule (dedupe per offender, split attribution when
 * on), so an offender's links plus their no-place harm add up to their
 * score exactly. */
typedef struct harm_place_link {
  size_t place;            /* index into the ranked places (0-based rank - 1) */
  size_t subject;          /* the run's dataset subject (offender) index */
  const char *offender_id; /* borrowed */
  int64_t harm_units;
  double harm;     /* days */
  uint32_t crimes; /* distinct offence ids */
} harm_place_link;

/* The whole picture, for summaries and quality.csv. */
typedef struct harm_places_summary {
  size_t n_places;    /* ranked places */
  size_t n_with_harm; /* places with harm > 0 */
  double mean, sd;    /* of harm over places with harm > 0 (days;
                         population SD) */
  double threshold;   /* harm spot threshold, days */
  size_t n_spots;
  bool has_previous;
  harm_date previous_as_of; /* end of the previous period */
  double previous_threshold;
  size_t previous_n_spots;
  size_t n_persistent;
  double top_share[3];         /* share of harm in the top 1%, 5%, 10% */
  size_t top_count[3];         /* ceil(p x n_places), at least 1 */
  uint64_t rows_scored;        /* = the run's accounting.scored */
  uint64_t rows_no_place;      /* of rows_scored: blank place */
  int64_t harm_no_place_units; /* offenders' harm of those rows */
  size_t n_small;              /* places with small numbers */
  size_t n_default;            /* places that look like defaults */
} harm_places_summary;

typedef struct harm_places harm_places;

/* Builds the places of run `r`, whose dataset must have been read with
 * the place role (harm_run_opts.read_places) and, for persistence, the
 * previous period kept aside (harm_run_opts.previous_days equal to the
 * lookback). Place harm is the sum of kernel harms of the crimes recorded
 * there (whole crime, no split), each (offence id, code) counted once per
 * place whatever the number of offenders or duplicate rows (the copy the
 * aggregate's order keeps: the earliest). The file is read once: place
 * types and the previous period come from the same records.
 * Returns HARM_OK; HARM_ERR_USAGE (no place column in the input, or a
 * previous period wanted from a run that did not keep it);
 * HARM_ERR_LIMIT; HARM_ERR_NOMEM.
 * Ownership: *out is new (harm_places_free); it borrows r, which must
 * outlive it.
 * Determinism: integer sums and a total order: identical at any thread
 * count. */
harm_status harm_places_new(const harm_run *r, const harm_config *cfg,
                            const harm_places_opts *opts, harm_places **out,
                            harm_error *err);

/* Frees; NULL is a no-op. */
void harm_places_free(harm_places *p);

/* Ranked places: i = rank - 1. */
size_t harm_places_count(const harm_places *p);
const harm_place *harm_places_at(const harm_places *p, size_t i);

/* Offender links, grouped by place in rank order, most harm first within
 * a place (ties: offender id ascending). */
size_t harm_places_n_links(const harm_places *p);
const harm_place_link *harm_places_link(const harm_places *p, size_t i);

/* Up to `cap` of an offender's (run subject index) places, most harm
 * first (ties: place rank): writes link indices into out, returns how
 * many the offender has. */
size_t harm_places_of_offender(const harm_places *p, size_t subject,
                               size_t *out, size_t cap);

const harm_places_summary *harm_places_summary_get(const harm_places *p);

/* Each offender's places, for the `top_places` column of scores.csv,
 * cohort.csv and explain, from the offenders' own run when it read the
 * place role (harm_run_opts.read_places; no second read), without a
 * previous period. *out stays NULL when the offences have no place column.
 * Returns harm_places_new's statuses.
 * Ownership: *out is new (harm_places_free) and borrows r. */
harm_status harm_places_for_offenders(const harm_run *r, const harm_config *cfg,
                                      harm_places **out, harm_error *err);

/* The `n` places where offender_id caused most harm, most first (ties:
 * place rank), as "place; place" in buf (cap bytes; "" when none or p is
 * NULL). place_run is the run p was built from. harm_places_subject_text
 * does the same for the offender's subject index in that run's dataset
 * (no lookup by id). */
void harm_places_subject_text(const harm_places *p, size_t subject, size_t n,
                              char *buf, size_t cap);
void harm_places_offender_text(const harm_places *p, const harm_run *place_run,
                               const char *offender_id, size_t n, char *buf,
                               size_t cap);

/* Writes places.csv: rank,place,place_type,harm,crimes,offenders,victims,
 * share_of_harm,harm_spot,persistent,harm_previous_period,top_offenders
 * for the top `top_n` places (0 = all). harm and harm_previous_period in
 * days with 4 decimals, share_of_harm with 6; harm_spot and persistent
 * 1/0 (persistent and harm_previous_period empty when no previous period
 * was computed); top_offenders the `top_offenders` offenders with most
 * harm there, "; "-separated. Returns HARM_OK or HARM_ERR_IO. */
harm_status harm_places_write_csv(FILE *fp, const harm_places *p, size_t top_n,
                                  size_t top_offenders, harm_error *err);

/* Writes places_by_area.csv: area,area_rank,rank,place,place_type,harm,
 * crimes,offenders,harm_spot,persistent,top_offenders: the first `per_area`
 * places of each area (harm_place.area, areas bytewise), in rank order.
 * Places with no area are left out. Returns HARM_OK, HARM_ERR_IO, or
 * HARM_ERR_DATA (writing nothing) when places were ranked but none has an
 * area (no area column, or an empty one), which would give an empty list. */
harm_status harm_places_write_by_area(FILE *fp, const harm_places *p,
                                      size_t per_area, size_t top_offenders,
                                      harm_error *err);

/* Places in area order for places_by_area: the i-th place (index into the
 * ranked places) ordered by area, then rank; n_by_area of them. */
size_t harm_places_n_by_area(const harm_places *p);
size_t harm_places_by_area(const harm_places *p, size_t i);

/* Writes place_offenders.csv: place,offender_id,harm,crimes, one row per
 * place and offender, places in rank order (top `top_n`, 0 = all),
 * offenders most harm first. Returns HARM_OK or HARM_ERR_IO. */
harm_status harm_places_write_links(FILE *fp, const harm_places *p,
                                    size_t top_n, harm_error *err);

/* Writes quality.csv: check,place,count,share,note: the row accounting
 * with the no-place split of scored rows, places that look like
 * defaults, small numbers, the harm spot thresholds and the power few.
 * Returns HARM_OK or HARM_ERR_IO. */
harm_status harm_places_write_quality(FILE *fp, const harm_places *p,
                                      const harm_accounting *a,
                                      harm_error *err);

/* Writes places.xlsx: ranked places with their top offenders, a chart of
 * harm by place with the harm spot threshold as a line, the top
 * `per_area` places of each area (0 = no such sheet), the offender links,
 * the quality checks and the run details (m may be NULL). Returns HARM_OK
 * or HARM_ERR_IO. */
harm_status harm_places_write_xlsx(const char *path, const harm_places *p,
                                   const harm_accounting *a, size_t top_n,
                                   size_t top_offenders, size_t per_area,
                                   const harm_manifest *m, harm_error *err);

#ifdef __cplusplus
}
#endif

#endif /* HARMRANK_PLACES_H */
