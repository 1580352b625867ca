/* SPDX-License-Identifier: GPL-3.0-or-later */
/* include/harmrank/people.h: people in either role (the victim-offender
 * overlap). Harm caused and harm suffered per person, joined by person id
 * over two scorings of the same offences (the offender column and the
 * victim column as the subject), with duplicate person records merged
 * through a people file, a role, a balance, an age, and a ranking on the
 * chosen harm that cohort selection consumes like any other. */
#ifndef HARMRANK_PEOPLE_H
#define HARMRANK_PEOPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest.h"
#include "rank.h"
#include "score.h"
#include "status.h"
#include "weights.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which roles a run scores ([scoring] roles, --roles). */
typedef enum harm_roles {
  HARM_ROLES_OFFENDER = 0, /* harm caused only (default) */
  HARM_ROLES_VICTIM = 1,   /* harm suffered only */
  HARM_ROLES_BOTH = 2      /* both: the victim-offender overlap */
} harm_roles;

/* The harm a people ranking orders by ([scoring] rank_by). */
typedef enum harm_rank_by {
  HARM_RANK_BY_ROLES = 0,    /* unset: caused for offender, suffered for
                                victim, combined for both (default) */
  HARM_RANK_BY_CAUSED = 1,   /* harm of the offences they committed */
  HARM_RANK_BY_SUFFERED = 2, /* harm of the offences against them */
  HARM_RANK_BY_COMBINED = 3  /* caused + suffered */
} harm_rank_by;

/* A person's role over the window (Sandall et al. 2018, Leicestershire):
 * `both` needs a crime committed and a different crime suffered; one
 * crime in both roles (a mutual affray) counts its harm in both columns
 * but alone does not make `both`. */
typedef enum harm_person_role {
  HARM_ROLE_OFFENDER = 0,  /* committed, suffered nothing */
  HARM_ROLE_VICTIM = 1,    /* suffered, committed nothing */
  HARM_ROLE_BOTH = 2,      /* each role on different crimes */
  HARM_ROLE_SAME_CRIME = 3 /* both roles, only on one and the same crime */
} harm_person_role;

/* Balance of a person who is `both` (Peel Regional Police 2020):
 * suffered / caused above balance_ratio is predominantly victim, below
 * 1 / balance_ratio predominantly offender, otherwise (the bounds
 * included) balanced. */
typedef enum harm_role_balance {
  HARM_BALANCE_NONE = 0, /* not `both` */
  HARM_BALANCE_PREDOMINANTLY_VICTIM = 1,
  HARM_BALANCE_BALANCED = 2,
  HARM_BALANCE_PREDOMINANTLY_OFFENDER = 3
} harm_role_balance;

/* Default [people] balance_ratio: 3.5 : 1 (Peel Regional Police 2020,
 * doi 10.1007/s41887-020-00056-x). */
#define HARM_PEOPLE_BALANCE_RATIO 3.5

/* "offender", "victim", "both", "both (one crime)". */
const char *harm_people_role_name(harm_person_role r);

/* "predominantly victim", "balanced", "predominantly offender", "". */
const char *harm_people_balance_name(harm_role_balance b);

/* Whole years from `born` to `on` (a birthday on `on` counts; someone born
 * on 29 February turns a year older on 1 March in other years); -1 when
 * born is HARM_DATE_NONE or after on. */
int32_t harm_people_age(harm_date born, harm_date on);

/* The people file: person_id,date_of_birth[,same_as]. Opaque. */
typedef struct harm_people_register harm_people_register;

/* Loads the people file (header required; date_of_birth YYYY-MM-DD or
 * empty for unknown; same_as empty or the id of the master record). With
 * a key, every id and same_as is replaced by harm_pseudonym() of it, so
 * the register matches data ingested with the same key. Merges are
 * resolved here: chains (a -> b -> c) end at their master; a cycle, a
 * person id twice, or two different dates of birth in one merged person
 * is HARM_ERR_DATA naming file, line and column. Also HARM_ERR_IO,
 * HARM_ERR_USAGE (key shorter than 16 bytes), HARM_ERR_NOMEM.
 * Ownership: *out is new (harm_people_register_free). */
harm_status harm_people_register_load(const char *path,
                                      const unsigned char *key, size_t key_len,
                                      harm_people_register **out,
                                      harm_error *err);

/* As harm_people_register_load over bytes in memory (`name` in
 * messages). */
harm_status
harm_people_register_load_buffer(const char *name, const void *data, size_t len,
                                 const unsigned char *key, size_t key_len,
                                 harm_people_register **out, harm_error *err);

void harm_people_register_free(harm_people_register *g);

/* Records in the file, and how many name a master (same_as). */
size_t harm_people_register_count(const harm_people_register *g);
size_t harm_people_register_merged(const harm_people_register *g);

/* The master id of `id` after every same_as (id itself when the file
 * does not merge it). Borrowed: valid while g lives, or id. */
const char *harm_people_register_master(const harm_people_register *g,
                                        const char *id);

/* SHA-256 of the bytes read (sha256 "" from a buffer). Borrowed. */
const harm_input_hash *
harm_people_register_input_hash(const harm_people_register *g);

/* One person of the table. */
typedef struct harm_person {
  const char *person_id;       /* master id (after same_as) */
  int64_t caused_units;        /* harm caused, HARM_UNITS_PER_DAY-ths of a day:
                                  the sum of the offender scoring's units over
                                  the person's records */
  int64_t suffered_units;      /* harm suffered, likewise (victim scoring) */
  double harm_caused;          /* days */
  double harm_suffered;        /* days */
  uint32_t offences_committed; /* scored offences as offender */
  uint32_t offences_suffered;  /* scored offences as victim */
  harm_person_role role;
  harm_role_balance balance;
  harm_date date_of_birth; /* HARM_DATE_NONE when unknown */
  int32_t age;             /* whole years at as_of; -1 when unknown */
  uint32_t n_records;      /* ids in the data merged into this person */
} harm_person;

/* What a people table is built from. Everything is borrowed for the
 * call; the two scorings must come from runs over the same offences and
 * window, with the same weights table and score options. */
typedef struct harm_people_input {
  const harm_scores *caused;          /* offender column as subject; NULL when
                                         roles = victim */
  const harm_scores *suffered;        /* victim column as subject, full
                                         attribution; NULL when roles = offender */
  const harm_matrix *caused_matrix;   /* the aggregate `caused` was scored
                                         from (its crimes) */
  const harm_dataset *caused_dataset; /* the offences read for `caused`
                                         (its subject ids and areas) */
  const harm_matrix *suffered_matrix; /* likewise for `suffered` */
  const harm_dataset *suffered_dataset;
  const harm_weights *weights;        /* the table both were scored with */
  const harm_score_opts *score_opts;  /* the options both used */
  const harm_people_register *people; /* may be NULL */
  harm_roles roles;
  harm_rank_by rank_by; /* HARM_RANK_BY_ROLES = by roles */
  double balance_ratio; /* > 1; default HARM_PEOPLE_BALANCE_RATIO */
  harm_date as_of;      /* for ages */
} harm_people_input;

/* A people table. Opaque. */
typedef struct harm_people harm_people;

/* Joins the scorings by person id (after same_as merges) into a table of
 * everyone with a scored offence in a counted role, and scores and ranks
 * it: each person's ranked harm is the kernel's units of the rank_by
 * role(s) summed exactly (so combined = caused + suffered to the
 * millionth of a day), the order is harm_rank_key_compare's (last
 * offence date and offences over both roles), and the people are the
 * subjects of a dataset of their own (ids in ascending bytewise order).
 * Returns HARM_OK, HARM_ERR_USAGE (a missing scoring), HARM_ERR_CONFIG
 * (balance_ratio not above 1), HARM_ERR_LIMIT, HARM_ERR_NOMEM.
 * Ownership: *out is new (harm_people_free); it borrows the scorings
 * (and their matrices and datasets), which must outlive it.
 * Determinism: integer sums and total orders throughout. */
harm_status harm_people_build(const harm_people_input *in, harm_people **out,
                              harm_error *err);

void harm_people_free(harm_people *p);

/* Number of people, and person i (i = subject index of
 * harm_people_dataset). */
size_t harm_people_count(const harm_people *p);
const harm_person *harm_people_at(const harm_people *p, size_t i);

/* Looks a person up by any of their ids (a merged record's id finds its
 * master). */
bool harm_people_find(const harm_people *p, const char *id, size_t *index);

/* The people as subjects: a dataset (ids, areas of the latest offence),
 * scores (harm = the rank_by harm; offences, first and last over both
 * roles) and their ranking, for cohort selection and reports. Borrowed:
 * valid while p lives. */
const harm_dataset *harm_people_dataset(const harm_people *p);
const harm_scores *harm_people_scores(const harm_people *p);
const harm_matrix *harm_people_matrix(const harm_people *p);
const harm_ranking *harm_people_ranking(const harm_people *p);

/* The rank_by in force (never HARM_RANK_BY_ROLES) and the roles. */
harm_rank_by harm_people_rank_by(const harm_people *p);
harm_roles harm_people_roles(const harm_people *p);
const char *harm_people_rank_by_name(harm_rank_by b);

/* Records of the people file merged into another (same_as), and ids in
 * the data that a merge folded into another person. */
size_t harm_people_merged_records(const harm_people *p);
size_t harm_people_merged_ids(const harm_people *p);

/* The dataset subject indices of person i's records in the offender
 * (role 0) or victim (role 1) scoring; *n receives how many. Borrowed. */
const size_t *harm_people_records(const harm_people *p, size_t i, int role,
                                  size_t *n);

#ifdef __cplusplus
}
#endif

#endif /* HARMRANK_PEOPLE_H */
