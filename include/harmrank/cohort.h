/* SPDX-License-Identifier: GPL-3.0-or-later */
/* include/harmrank/cohort.h: cohort selection (core slots per partition,
 * partner-referral slots, exclusions, tenure) and movers against last
 * month's cohort, with the reason every member is on the list. */
#ifndef HARMRANK_COHORT_H
#define HARMRANK_COHORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest.h"
#include "people.h"
#include "rank.h"
#include "score.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One partner-agency referral (a row of the referrals CSV). */
typedef struct harm_referral {
  const char *offender_id;
  const char *agency;
  harm_date referred_on;
  const char *reason; /* may be "" */
  int32_t priority;   /* 1 = most urgent; INT32_MAX when not given */
  size_t line;        /* line in the referrals file */
} harm_referral;

/* One exclusion (a row of the exclusions CSV). */
typedef struct harm_exclusion {
  const char *offender_id;
  const char *reason; /* e.g. "in custody", "deceased" */
  size_t line;
} harm_exclusion;

/* One member of the previous cohort (a row of last month's cohort.csv). */
typedef struct harm_previous_member {
  const char *offender_id;
  size_t score_rank;      /* 0 when unranked (referral without offences) */
  uint32_t months_served; /* consecutive months on the cohort so far */
  bool referral_route;    /* came in through a referral place: its
                             `reason` starts with "referral" (false when
                             the file has no reason column) */
  size_t line;
} harm_previous_member;

/* A list loaded from CSV: referrals, exclusions or the previous cohort.
 * Opaque; entries are in file order. */
typedef struct harm_list harm_list;

/* Loads `offender_id,agency,referred_on,reason[,priority]` (header
 * required; referred_on YYYY-MM-DD). Every row must be valid: a bad row
 * is HARM_ERR_DATA naming file, line and column. Also HARM_ERR_IO,
 * HARM_ERR_NOMEM. Ownership: *out is new (harm_list_free). */
harm_status harm_referrals_load(const char *path, harm_list **out,
                                harm_error *err);

/* Loads `offender_id,reason`. A repeated id is HARM_ERR_DATA. */
harm_status harm_exclusions_load(const char *path, harm_list **out,
                                 harm_error *err);

/* Loads a cohort.csv written by an earlier run (needs its offender_id,
 * score_rank and months_served columns). */
harm_status harm_previous_load(const char *path, harm_list **out,
                               harm_error *err);

/* Which list a file holds. */
typedef enum harm_list_kind {
  HARM_LIST_REFERRALS = 0,  /* offender_id,agency,referred_on,reason[,..] */
  HARM_LIST_EXCLUSIONS = 1, /* offender_id,reason */
  HARM_LIST_PREVIOUS = 2    /* last month's cohort.csv */
} harm_list_kind;

/* As the loaders above over bytes in memory. HARM_ERR_USAGE for an
 * unknown kind. */
harm_status harm_list_load_buffer(harm_list_kind kind, const char *name,
                                  const void *data, size_t len, harm_list **out,
                                  harm_error *err);

/* Which list l holds. */
harm_list_kind harm_list_kind_of(const harm_list *l);

/* Replaces every offender id in the list by harm_pseudonym() of it, so
 * lists match a dataset ingested with the same key. Returns HARM_OK,
 * HARM_ERR_USAGE (key shorter than 16 bytes), HARM_ERR_NOMEM. */
harm_status harm_list_pseudonymise(harm_list *l, const unsigned char *key,
                                   size_t key_len, harm_error *err);

/* Checks that a list's ids can match the data (README "Checks that stop
 * a wrong list"). Without a key (pseudonymised false) an id shaped like a
 * pseudonym ("PS-" and 20 hex digits) is HARM_ERR_CONFIG naming its line:
 * a list written by a pseudonymised run would match no one. With a key,
 * when ds is given, HARM_ERR_CONFIG also when the list held at least 3
 * pseudonyms itself and none is a subject of ds (made with another key).
 * Raw ids under a key are fine: harm_list_pseudonymise maps them. l NULL
 * is HARM_OK. Ownership: borrows l and ds for the call. */
harm_status harm_list_check_ids(const harm_list *l, const harm_dataset *ds,
                                bool pseudonymised, harm_error *err);

void harm_list_free(harm_list *l);
size_t harm_list_count(const harm_list *l);
const harm_referral *harm_list_referral(const harm_list *l, size_t i);
const harm_exclusion *harm_list_exclusion(const harm_list *l, size_t i);
const harm_previous_member *harm_list_previous(const harm_list *l, size_t i);
const char *harm_list_source(const harm_list *l);

/* SHA-256 and size of the bytes read from the list's file (sha256 ""
 * when loaded from a buffer). Borrowed: lives as long as l. */
const harm_input_hash *harm_list_input_hash(const harm_list *l);

/* Cohort rules; use HARM_COHORT_RULES_INIT. */
typedef struct harm_cohort_rules {
  size_t size;                /* core slots (per partition); default 15 */
  size_t referral_slots;      /* partner-referral slots, cohort-wide;
                                 default 5 */
  bool backfill;              /* unfilled referral slots go to the next
                                 ranked; default false */
  bool partition_by_area;     /* one core list per area; default false */
  double min_harm;            /* pool needs harm >= this (days); default 0 */
  uint32_t min_offences;      /* pool needs at least this many; default 1 */
  uint32_t min_tenure_months; /* last month's members stay until served
                                 this many months; default 0 = off */
  size_t max_tenure_places;   /* most members kept by tenure below the
                                 cut, per list (they lengthen it);
                                 default SIZE_MAX = no limit */
  bool rfgv;                  /* rank by RFGV total instead of harm;
                                 default false */
  bool withhold_text;         /* pseudonymised run: referral and exclusion
                                 reasons (free text that can identify
                                 people) are replaced by HARM_WITHHELD in
                                 every text the cohort holds; default
                                 false */
  harm_rfgv_bands bands;      /* RFGV bands */
  int32_t min_age;            /* people mode: youngest age admitted, whole
                                 years at as_of; -1 = no limit (default) */
  int32_t max_age;            /* oldest age admitted; -1 = no limit */
} harm_cohort_rules;

#define HARM_COHORT_RULES_INIT                                                 \
  {                                                                            \
    .size = 15, .referral_slots = 5, .backfill = false,                        \
    .partition_by_area = false, .min_harm = 0.0, .min_offences = 1,            \
    .min_tenure_months = 0, .max_tenure_places = SIZE_MAX, .rfgv = false,      \
    .withhold_text = false, .bands = HARM_RFGV_BANDS_INIT, .min_age = -1,      \
    .max_age = -1                                                              \
  }

/* What replaces free text (referral and exclusion reasons) in a
 * pseudonymised run's outputs. */
#define HARM_WITHHELD "(withheld: pseudonymised run)"

/* The pool rule (DESIGN.md section 5) on a subject's harm and offence
 * count: harm >= min_harm and offences >= min_offences (exclusions aside).
 * harm_cohort_select and the sweep both use it. */
bool harm_cohort_eligible(const harm_cohort_rules *r, double harm,
                          uint32_t offences);

/* The age rule of the pool: true when rules set no age limit, or age
 * (whole years at as_of; -1 = no known date of birth) is known and within
 * min_age..max_age. */
bool harm_cohort_age_ok(const harm_cohort_rules *r, int32_t age);

/* The core list a subject competes in: 0 when the cohort is not
 * partitioned or the subject has no area, else its area index + 1. */
size_t harm_cohort_partition(const harm_cohort_rules *r, int32_t area);

/* Why a member is on the cohort. */
typedef enum harm_member_kind {
  HARM_MEMBER_CORE = 0,            /* core rank r (in its partition): inside
                                      the top `size` of the pool */
  HARM_MEMBER_TENURE = 1,          /* below the cut, kept by
                                      min_tenure_months: an extra place */
  HARM_MEMBER_REFERRAL = 2,        /* partner referral */
  HARM_MEMBER_BACKFILL = 3,        /* unfilled referral slot, next ranked */
  HARM_MEMBER_REFERRAL_TENURE = 4, /* came in through a referral place and
                                      keeps one by min_tenure_months */
  HARM_MEMBER_KIND_COUNT = 5
} harm_member_kind;

/* A cohort member. */
typedef struct harm_member {
  const char *offender_id;
  harm_member_kind kind;
  size_t slot;                 /* 1-based position in the cohort list */
  size_t pool_rank;            /* rank among eligible subjects of its
                                  partition (0 when unscored) */
  size_t score_rank;           /* rank in the whole ranking (0 = unscored) */
  const harm_score *score;     /* NULL for a referral without offences */
  harm_rfgv rfgv;              /* when rules.rfgv */
  const char *partition;       /* area, or "" */
  const char *agencies;        /* referring agencies joined by "; ", or "" */
  const char *referral_reason; /* joined reasons, or "" */
  harm_date referred_on;       /* earliest referral, HARM_DATE_NONE if none */
  uint32_t months_served;      /* including this month */
} harm_member;

/* Someone left out of the cohort that a coordinator should see. */
typedef enum harm_note_kind {
  HARM_NOTE_EXCLUDED = 0,          /* would have made the list; excluded */
  HARM_NOTE_REFERRAL_SELECTED = 1, /* referred but already a core member */
  HARM_NOTE_REFERRAL_EXCLUDED = 2, /* referred but excluded */
  HARM_NOTE_REFERRAL_NO_SLOT = 3,  /* referred; referral slots were full */
  HARM_NOTE_REFERRAL_MERGED = 4,   /* a second referral of one person */
  HARM_NOTE_TIE_AT_CUT = 5,        /* tied on the score at the cut */
  HARM_NOTE_TENURE_CAP = 6,        /* within tenure, below the cut, but
                                      max_tenure_places was reached */
  HARM_NOTE_OVER_CAPACITY = 7,     /* the list (or its referral places)
                                      is longer than its places because
                                      of tenure; offender_id is "" */
  HARM_NOTE_NO_DATE_OF_BIRTH = 8   /* people mode, age-limited cohort: no
                                      known date of birth, so not in the
                                      pool */
} harm_note_kind;

typedef struct harm_note {
  harm_note_kind kind;
  const char *offender_id;
  const char *detail; /* human text: reason, agency, tie-break used */
  size_t score_rank;  /* 0 when unscored */
  const char *partition;
} harm_note;

/* Change against the previous cohort. */
typedef enum harm_move_kind {
  HARM_MOVE_NEW = 0,
  HARM_MOVE_RETAINED = 1,
  HARM_MOVE_EXITED = 2
} harm_move_kind;

typedef struct harm_move {
  harm_move_kind kind;
  const char *offender_id;
  size_t previous_rank; /* score rank last month (0 = unranked) */
  size_t current_rank;  /* score rank now (0 = unranked) */
  const char *detail;   /* e.g. "fell below the cut at rank 23",
                           "excluded: in custody", "no offences in
                           window", "rank 7 -> 4" */
} harm_move;

typedef struct harm_cohort harm_cohort;

/* What a selection works from, handed over explicitly (the run fills
 * it); everything is borrowed and must outlive the cohort. */
typedef struct harm_cohort_input {
  const harm_dataset *dataset; /* subjects, their ids and areas */
  const harm_matrix *matrix;   /* the aggregate `scores` came from (code
                                  names and breakdowns in the reports) */
  const harm_scores *scores;   /* the scores that were ranked */
  const harm_ranking *ranking; /* the ranking of `scores` */
  harm_date as_of;             /* the window's end */
  const harm_rfgv *rfgv;       /* per score index when rules.rfgv (the
                                  ranking is then by RFGV total, see
                                  harm_rank_compute_by), else NULL */
  const harm_people *people;   /* people in either role: dataset, scores
                                  and ranking are the people's
                                  (harm_people_dataset, ...), the pool
                                  rule counts both roles and ages apply;
                                  default NULL */
} harm_cohort_input;

/* Selects the cohort (DESIGN.md section 5): pool = scored subjects meeting
 * min_harm/min_offences (with in->people: harm and offences in either
 * role, and the age limits; people without a date of birth are noted as
 * no_date_of_birth when an age limit is set), minus exclusions; the top `size`
 * of the pool per partition take the core places; last month's members within
 * min_tenure_months below the cut stay as extra places (up to
 * max_tenure_places); referral places for referred people not selected
 * and not excluded, one per person (agencies merged), ordered by
 * priority, harm, earliest referral, id, after the referral places kept
 * by tenure; backfill if asked. Each of referrals, exclusions, previous
 * may be NULL.
 * Returns HARM_OK, HARM_ERR_USAGE (incomplete input), HARM_ERR_CONFIG
 * (size 0 with no referral slots), HARM_ERR_NOMEM.
 * Ownership: *out is new (harm_cohort_free); it borrows what `in` points
 * to and the lists, which must outlive it.
 * Determinism: every ordering is total, so the cohort is a function of
 * its inputs. */
harm_status harm_cohort_select(const harm_cohort_input *in,
                               const harm_cohort_rules *rules,
                               const harm_list *referrals,
                               const harm_list *exclusions,
                               const harm_list *previous, harm_cohort **out,
                               harm_error *err);

void harm_cohort_free(harm_cohort *c);

size_t harm_cohort_count(const harm_cohort *c);
const harm_member *harm_cohort_member(const harm_cohort *c, size_t i);
size_t harm_cohort_n_notes(const harm_cohort *c);
const harm_note *harm_cohort_note(const harm_cohort *c, size_t i);
size_t harm_cohort_n_moves(const harm_cohort *c);
const harm_move *harm_cohort_move(const harm_cohort *c, size_t i);
const harm_ranking *harm_cohort_ranking(const harm_cohort *c);
/* The input the cohort was selected from (borrowed pointers). */
const harm_cohort_input *harm_cohort_input_used(const harm_cohort *c);
const harm_cohort_rules *harm_cohort_rules_used(const harm_cohort *c);
/* Number of referral slots left empty. */
size_t harm_cohort_empty_slots(const harm_cohort *c);

/* How many members the list holds beyond its places (size per list plus
 * referral_slots), all of them kept by tenure; 0 when within capacity. */
size_t harm_cohort_over_capacity(const harm_cohort *c);

#ifdef __cplusplus
}
#endif

#endif /* HARMRANK_COHORT_H */
