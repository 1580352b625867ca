/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cohort/select.c: cohort selection and movers (DESIGN.md §5).
 * The order of work: tenure keeps, core slots per partition in ranking
 * order (noting excluded people who would have made it and ties at the
 * cut), referral slots (merged per person), backfill, then movers against
 * last month's list. */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/strpool.h"
#include "harmrank/cohort.h"

struct harm_cohort {
  harm_cohort_input in;
  const harm_ranking *ranking;
  harm_cohort_rules rules;
  harm_member *members;
  size_t n_members, cap_members;
  harm_note *notes;
  size_t n_notes, cap_notes;
  harm_move *moves;
  size_t n_moves, cap_moves;
  char **owned; /* strings the cohort allocated */
  size_t n_owned, cap_owned;
  size_t empty_slots;
  size_t over_capacity;
  bool withhold_text; /* rules.withhold_text */
};

/* Working state of one selection. */
typedef struct sel {
  harm_cohort *c;
  const harm_scores *scores;
  const harm_dataset *ds;
  size_t n;               /* scored subjects */
  size_t *order;          /* score indices in selection order */
  size_t *score_of;       /* subject index -> score index + 1 (0 = none) */
  const harm_rfgv *rfgv;  /* per score index, when rules.rfgv */
  int32_t *member_of;     /* score index -> member index, -1 */
  harm__strpool excluded; /* excluded ids; index -> exclusion entry */
  const harm_exclusion **exc_by;
  harm__strpool prev_ids; /* previous member ids */
  const harm_previous_member **prev_by;
  const harm_list *prev;             /* last month's cohort, or NULL */
  harm__strpool member_ids;          /* ids of members (incl. unscored) */
  const harm_exclusion **x_at;       /* per score index, or NULL */
  const harm_previous_member **p_at; /* per score index, or NULL */
  bool *capped; /* per score index: left out by max_tenure_places */
  bool failed;
} sel;

static const char *own(sel *s, char *str) {
  harm_cohort *c = s->c;
  if (!str) {
    s->failed = true;
    return "";
  }
  if (c->n_owned == c->cap_owned) {
    size_t cap = c->cap_owned ? c->cap_owned * 2 : 64;
    char **o = harm__reallocarray(c->owned, cap, sizeof *o);
    if (!o) {
      harm__free(str);
      s->failed = true;
      return "";
    }
    c->owned = o;
    c->cap_owned = cap;
  }
  c->owned[c->n_owned++] = str;
  return str;
}

static const char *ownf(sel *s, const char *fmt, ...) HARM__PRINTF(2, 3);
static const char *ownf(sel *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *buf = n >= 0 ? harm__malloc((size_t)n + 1) : NULL;
  if (buf) {
    va_start(ap, fmt);
    vsnprintf(buf, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  return own(s, buf);
}

static const char *sid(const sel *s, size_t score_idx) {
  return harm_dataset_subject_id(
      s->ds, harm_scores_at(s->scores, score_idx)->subject, NULL);
}

static harm_subject_facts facts_of(const sel *s, const harm_score *sc) {
  return harm_score_facts(s->scores, sc);
}

static const char *partition_of(const sel *s, const harm_score *sc) {
  if (!s->c->rules.partition_by_area || !sc || facts_of(s, sc).area < 0) {
    return "";
  }
  return harm_dataset_area(s->ds, (size_t)facts_of(s, sc).area);
}

bool harm_cohort_eligible(const harm_cohort_rules *r, double harm,
                          uint32_t offences) {
  return harm >= r->min_harm && offences >= r->min_offences;
}

size_t harm_cohort_partition(const harm_cohort_rules *r, int32_t area) {
  return r->partition_by_area && area >= 0 ? (size_t)area + 1 : 0;
}

static int32_t part_index(const sel *s, const harm_score *sc) {
  return sc ? (int32_t)harm_cohort_partition(&s->c->rules, facts_of(s, sc).area)
            : 0;
}

static harm_member *add_member(sel *s) {
  harm_cohort *c = s->c;
  if (c->n_members == c->cap_members) {
    size_t cap = c->cap_members ? c->cap_members * 2 : 32;
    harm_member *m = harm__reallocarray(c->members, cap, sizeof *m);
    if (!m) {
      s->failed = true;
      return NULL;
    }
    c->members = m;
    c->cap_members = cap;
  }
  harm_member *m = &c->members[c->n_members++];
  memset(m, 0, sizeof *m);
  m->partition = "";
  m->agencies = "";
  m->referral_reason = "";
  m->referred_on = HARM_DATE_NONE;
  return m;
}

static void add_note(sel *s, harm_note_kind kind, const char *id,
                     size_t score_rank, const char *partition,
                     const char *detail) {
  harm_cohort *c = s->c;
  if (c->n_notes == c->cap_notes) {
    size_t cap = c->cap_notes ? c->cap_notes * 2 : 32;
    harm_note *n = harm__reallocarray(c->notes, cap, sizeof *n);
    if (!n) {
      s->failed = true;
      return;
    }
    c->notes = n;
    c->cap_notes = cap;
  }
  harm_note *n = &c->notes[c->n_notes++];
  n->kind = kind;
  n->offender_id = id;
  n->detail = detail;
  n->score_rank = score_rank;
  n->partition = partition ? partition : "";
}

static void add_move(sel *s, harm_move_kind kind, const char *id,
                     size_t prev_rank, size_t cur_rank, const char *detail) {
  harm_cohort *c = s->c;
  if (c->n_moves == c->cap_moves) {
    size_t cap = c->cap_moves ? c->cap_moves * 2 : 32;
    harm_move *m = harm__reallocarray(c->moves, cap, sizeof *m);
    if (!m) {
      s->failed = true;
      return;
    }
    c->moves = m;
    c->cap_moves = cap;
  }
  harm_move *m = &c->moves[c->n_moves++];
  m->kind = kind;
  m->offender_id = id;
  m->previous_rank = prev_rank;
  m->current_rank = cur_rank;
  m->detail = detail;
}

/* A list's id as a subject: with people, a merged record's id finds its
 * master (same_as). */
static bool find_subject(const sel *s, const char *id, size_t *subj) {
  if (s->c->in.people) {
    return harm_people_find(s->c->in.people, id, subj);
  }
  return harm_dataset_find_subject(s->ds, id, subj);
}

static const harm_exclusion *exclusion_of(const sel *s, const char *id) {
  uint32_t i = harm__strpool_find(&s->excluded, id, strlen(id));
  return i == HARM__STRPOOL_FAIL ? NULL : s->exc_by[i];
}

static const harm_previous_member *previous_of(const sel *s, const char *id) {
  uint32_t i = harm__strpool_find(&s->prev_ids, id, strlen(id));
  return i == HARM__STRPOOL_FAIL ? NULL : s->prev_by[i];
}

static bool is_member(const sel *s, const char *id) {
  return harm__strpool_find(&s->member_ids, id, strlen(id)) !=
         HARM__STRPOOL_FAIL;
}

/* The member with this id (members are few: a linear search). */
static harm_member *member_by_id(const sel *s, const char *id) {
  for (size_t k = 0; k < s->c->n_members; k++) {
    if (strcmp(s->c->members[k].offender_id, id) == 0) {
      return &s->c->members[k];
    }
  }
  return NULL;
}

static void mark_member(sel *s, const char *id) {
  if (harm__strpool_intern(&s->member_ids, id, strlen(id), NULL) ==
      HARM__STRPOOL_FAIL) {
    s->failed = true;
  }
}

static uint32_t months_served(const sel *s, const char *id) {
  const harm_previous_member *p = previous_of(s, id);
  return p ? p->months_served + 1 : 1;
}

static double key_score(const sel *s, size_t i) {
  return s->rfgv ? s->rfgv[i].total : harm_scores_at(s->scores, i)->harm;
}

bool harm_cohort_age_ok(const harm_cohort_rules *r, int32_t age) {
  if (r->min_age < 0 && r->max_age < 0) {
    return true;
  }
  return age >= 0 && (r->min_age < 0 || age >= r->min_age) &&
         (r->max_age < 0 || age <= r->max_age);
}

/* The pool rule without the age limits. With people, harm and offences
 * count both roles whatever the ranking orders by, so someone who has only
 * been a victim can be selected. */
static bool eligible_harm(const sel *s, const harm_score *sc) {
  const harm_person *p =
      s->c->in.people ? harm_people_at(s->c->in.people, sc->subject) : NULL;
  if (p) {
    return harm_cohort_eligible(
        &s->c->rules, (double)(p->caused_units + p->suffered_units) / 1e6,
        p->offences_committed + p->offences_suffered);
  }
  return harm_cohort_eligible(&s->c->rules, sc->harm, facts_of(s, sc).offences);
}

static bool eligible(const sel *s, const harm_score *sc) {
  const harm_person *p =
      s->c->in.people ? harm_people_at(s->c->in.people, sc->subject) : NULL;
  return eligible_harm(s, sc) &&
         harm_cohort_age_ok(&s->c->rules, p ? p->age : -1);
}

/* People without a known date of birth cannot enter an age-limited
 * cohort: each one the pool rule would otherwise admit is noted. */
static void note_no_date_of_birth(sel *s) {
  const harm_cohort_rules *r = &s->c->rules;
  if (!s->c->in.people || (r->min_age < 0 && r->max_age < 0)) {
    return;
  }
  for (size_t k = 0; k < s->n && !s->failed; k++) {
    size_t i = s->order[k];
    const harm_score *sc = harm_scores_at(s->scores, i);
    const harm_person *p = harm_people_at(s->c->in.people, sc->subject);
    if (p->age >= 0 || !eligible_harm(s, sc) || s->x_at[i]) {
      continue;
    }
    char lim[64];
    if (r->min_age >= 0 && r->max_age >= 0) {
      snprintf(lim, sizeof lim, "ages %" PRId32 " to %" PRId32, r->min_age,
               r->max_age);
    } else if (r->min_age >= 0) {
      snprintf(lim, sizeof lim, "ages %" PRId32 " and over", r->min_age);
    } else {
      snprintf(lim, sizeof lim, "ages up to %" PRId32, r->max_age);
    }
    add_note(s, HARM_NOTE_NO_DATE_OF_BIRTH, sid(s, i),
             harm_ranking_rank_of(s->c->ranking, i), partition_of(s, sc),
             ownf(s,
                  "no date of birth in the people file: cannot enter a "
                  "cohort limited to %s",
                  lim));
  }
}

/* Which criterion put a before b when their selection scores tie (for
 * tie notes): under RFGV the harm ranking decides, so harm comes first. */
static const char *tie_break(const sel *s, const harm_score *a,
                             const harm_score *b) {
  if (s->rfgv && a->harm != b->harm) {
    return "higher harm";
  }
  if (facts_of(s, a).last != facts_of(s, b).last) {
    return "later last offence date";
  }
  if (facts_of(s, a).offences != facts_of(s, b).offences) {
    return "more offences";
  }
  return "offender id order";
}

static void fill_scored(sel *s, harm_member *m, size_t i, size_t pool_rank) {
  const harm_score *sc = harm_scores_at(s->scores, i);
  m->offender_id = sid(s, i);
  m->score = sc;
  m->score_rank = harm_ranking_rank_of(s->c->ranking, i);
  m->pool_rank = pool_rank;
  m->partition = partition_of(s, sc);
  if (s->rfgv) {
    m->rfgv = s->rfgv[i];
  }
  m->months_served = months_served(s, m->offender_id);
  s->member_of[i] = (int32_t)(s->c->n_members - 1);
  mark_member(s, m->offender_id);
}

/* Tenure candidates: last month's members, not yet served
 * min_tenure_months, not excluded. A member who came in through a referral
 * place keeps a referral place instead (select_referrals). */
static bool tenure_candidate(const sel *s, size_t i) {
  const harm_cohort_rules *r = &s->c->rules;
  const harm_previous_member *p = s->p_at[i];
  return r->min_tenure_months && p && !p->referral_route &&
         p->months_served < r->min_tenure_months && !s->x_at[i];
}

/* The eligible, not excluded people of one partition, best first, into
 * pool; returns how many. */
static size_t partition_pool(const sel *s, int32_t part, size_t *pool) {
  size_t n = 0;
  for (size_t k = 0; k < s->n; k++) {
    size_t i = s->order[k];
    const harm_score *sc = harm_scores_at(s->scores, i);
    if (part_index(s, sc) != part || !eligible(s, sc) || s->x_at[i]) {
      continue;
    }
    pool[n++] = i;
  }
  return n;
}

/* Excluded people who would have taken one of the core places of one
 * partition, each noted with the place. */
static void note_excluded_in_cut(sel *s, int32_t part) {
  const harm_cohort_rules *r = &s->c->rules;
  size_t seen = 0;
  for (size_t k = 0; k < s->n && seen < r->size; k++) {
    size_t i = s->order[k];
    const harm_score *sc = harm_scores_at(s->scores, i);
    if (part_index(s, sc) != part || !eligible(s, sc)) {
      continue;
    }
    const harm_exclusion *x = s->x_at[i];
    if (x) {
      add_note(s, HARM_NOTE_EXCLUDED, sid(s, i),
               harm_ranking_rank_of(s->c->ranking, i), partition_of(s, sc),
               ownf(s, "excluded: %s (would have taken core place %zu)",
                    s->c->withhold_text ? HARM_WITHHELD : x->reason, seen + 1));
    } else {
      seen++;
    }
  }
}

/* The core places (pool[0 .. cut)) and the tenure places below the cut,
 * with tenure_cap and over_capacity notes. Returns false when a member
 * cannot be added. */
static bool take_places(sel *s, const size_t *pool, size_t n, size_t cut) {
  const harm_cohort_rules *r = &s->c->rules;
  size_t kept = 0;
  const char *part_name = "";
  for (size_t k = 0; k < n; k++) {
    size_t i = pool[k];
    bool core = k < cut;
    if (!core && !tenure_candidate(s, i)) {
      continue;
    }
    const harm_score *sc = harm_scores_at(s->scores, i);
    if (!core && kept == r->max_tenure_places) {
      const harm_previous_member *p = s->p_at[i];
      add_note(s, HARM_NOTE_TENURE_CAP, sid(s, i),
               harm_ranking_rank_of(s->c->ranking, i), partition_of(s, sc),
               ownf(s,
                    "month %" PRIu32 " of %" PRIu32
                    " of tenure, but pool rank %zu is below the cut of %zu "
                    "and all %zu tenure place%s (max_tenure_places) went "
                    "to higher-ranked members",
                    p->months_served + 1, r->min_tenure_months, k + 1, r->size,
                    r->max_tenure_places,
                    r->max_tenure_places == 1 ? "" : "s"));
      s->capped[i] = true;
      continue;
    }
    harm_member *m = add_member(s);
    if (!m) {
      return false;
    }
    m->kind = core ? HARM_MEMBER_CORE : HARM_MEMBER_TENURE;
    fill_scored(s, m, i, k + 1);
    part_name = m->partition;
    kept += !core;
  }
  if (kept) {
    s->c->over_capacity += kept;
    add_note(s, HARM_NOTE_OVER_CAPACITY, "", 0, part_name,
             ownf(s,
                  "the list%s%s is over capacity by %zu: %zu core place%s "
                  "plus %zu member%s below the cut kept by tenure "
                  "(min_tenure_months = %" PRIu32 ")",
                  part_name[0] ? " for " : "", part_name, kept, r->size,
                  r->size == 1 ? "" : "s", kept, kept == 1 ? "" : "s",
                  r->min_tenure_months));
  }
  return true;
}

/* Ties on the score at the cut: everyone past the cut who ties with the
 * last core place is reported, with the tie-break that decided. */
static void note_ties_at_cut(sel *s, const size_t *pool, size_t n, size_t cut) {
  if (cut > 0 && cut < n) {
    size_t li = pool[cut - 1];
    for (size_t k = cut; k < n && key_score(s, pool[k]) == key_score(s, li);
         k++) {
      size_t i = pool[k];
      if (s->member_of[i] >= 0) {
        continue;
      }
      const harm_score *sc = harm_scores_at(s->scores, i);
      add_note(s, HARM_NOTE_TIE_AT_CUT, sid(s, i),
               harm_ranking_rank_of(s->c->ranking, i), partition_of(s, sc),
               ownf(s, "tied at the cut with %s on %s %.4f; %s kept by %s",
                    sid(s, li), s->rfgv ? "RFGV total" : "harm",
                    key_score(s, i), sid(s, li),
                    tie_break(s, harm_scores_at(s->scores, li), sc)));
    }
  }
}

/* Core places of one partition. The top `size` of the pool always take
 * the core places: tenure never displaces them. Last month's members below
 * the cut who are still within min_tenure_months stay as extra places,
 * lengthening the list, up to max_tenure_places; the lowest-ranked beyond
 * that leave with a tenure_cap note. */
static void select_partition(sel *s, int32_t part, size_t *pool) {
  const harm_cohort_rules *r = &s->c->rules;
  size_t n = partition_pool(s, part, pool);
  size_t cut = r->size < n ? r->size : n;
  note_excluded_in_cut(s, part);
  if (!take_places(s, pool, n, cut)) {
    return;
  }
  note_ties_at_cut(s, pool, n, cut);
}

static void select_core(sel *s) {
  const harm_cohort_rules *r = &s->c->rules;
  size_t n_parts = r->partition_by_area ? harm_dataset_n_areas(s->ds) + 1 : 1;
  size_t *pool = harm__malloc((s->n + 1) * sizeof *pool);
  if (!pool) {
    s->failed = true;
  }
  for (size_t p = 0; p < n_parts && !s->failed; p++) {
    select_partition(s, (int32_t)p, pool);
  }
  harm__free(pool);
}

/* A referred person, with every referral of them merged. */
typedef struct cand {
  const char *id;
  int32_t priority;
  harm_date first;
  size_t score_idx; /* + 1, 0 = unscored */
  const char *agencies;
  const char *reasons;
} cand;

static int cmp_cand(const void *pa, const void *pb, void *ctx) {
  const cand *a = pa, *b = pb;
  if (a->priority != b->priority) {
    return a->priority < b->priority ? -1 : 1;
  }
  const sel *s = ctx;
  double ha =
      a->score_idx ? harm_scores_at(s->scores, a->score_idx - 1)->harm : 0.0;
  double hb =
      b->score_idx ? harm_scores_at(s->scores, b->score_idx - 1)->harm : 0.0;
  if (ha != hb) {
    return ha > hb ? -1 : 1;
  }
  if (a->first != b->first) {
    return a->first < b->first ? -1 : 1;
  }
  return strcmp(a->id, b->id);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Joins the distinct strings of list[0..n) in sorted order with "; ". */
static const char *join_distinct(sel *s, const char **list, size_t n) {
  qsort(list, n, sizeof *list, cmp_str);
  harm__buf b = {0};
  bool ok = harm__buf_append(&b, "", 0);
  for (size_t i = 0; i < n && ok; i++) {
    if (!*list[i] || (i && strcmp(list[i], list[i - 1]) == 0)) {
      continue;
    }
    if (b.len) {
      ok = harm__buf_append(&b, "; ", 2);
    }
    ok = ok && harm__buf_append(&b, list[i], strlen(list[i]));
  }
  if (!ok) {
    harm__buf_free(&b);
    s->failed = true;
    return "";
  }
  return own(s, b.data);
}

/* Last month's members who came in through a referral place and are still
 * within min_tenure_months keep a referral place (unless excluded or
 * already on the list on rank), whether or not they are referred again.
 * Returns the referral places they take; beyond referral_slots they
 * lengthen the list and are counted as over capacity. */
static size_t referral_tenure(sel *s) {
  const harm_cohort_rules *r = &s->c->rules;
  size_t kept = 0;
  for (size_t k = 0; r->min_tenure_months && k < harm_list_count(s->prev);
       k++) {
    const harm_previous_member *p = harm_list_previous(s->prev, k);
    if (!p->referral_route || p->months_served >= r->min_tenure_months ||
        exclusion_of(s, p->offender_id) || is_member(s, p->offender_id)) {
      continue;
    }
    harm_member *m = add_member(s);
    if (!m) {
      return kept;
    }
    size_t subj;
    if (find_subject(s, p->offender_id, &subj) && s->score_of[subj]) {
      fill_scored(s, m, s->score_of[subj] - 1, 0);
    } else {
      m->offender_id = p->offender_id;
      m->months_served = months_served(s, p->offender_id);
      mark_member(s, p->offender_id);
    }
    m->kind = HARM_MEMBER_REFERRAL_TENURE;
    kept++;
  }
  if (kept > r->referral_slots) {
    size_t over = kept - r->referral_slots;
    s->c->over_capacity += over;
    add_note(s, HARM_NOTE_OVER_CAPACITY, "", 0, "",
             ownf(s,
                  "the referral places are over capacity by %zu: %zu "
                  "referral member%s kept by tenure for %zu referral "
                  "slot%s",
                  over, kept, kept == 1 ? "" : "s", r->referral_slots,
                  r->referral_slots == 1 ? "" : "s"));
  }
  return kept;
}

/* One candidate per person referred, in order of first referral: a
 * person referred twice is merged with a note, keeping the most urgent
 * priority and the earliest date. first_row[c] is candidate c's first
 * row. Sets *n_c; false when out of memory. */
static bool collect_referrals(sel *s, const harm_list *refs, harm__strpool *ids,
                              cand *cands, size_t *first_row, size_t *n_c) {
  size_t nr = harm_list_count(refs);
  for (size_t k = 0; k < nr; k++) {
    const harm_referral *ref = harm_list_referral(refs, k);
    bool added;
    uint32_t c = harm__strpool_intern(ids, ref->offender_id,
                                      strlen(ref->offender_id), &added);
    if (c == HARM__STRPOOL_FAIL) {
      return false;
    }
    if (added) {
      cands[c].id = ref->offender_id;
      cands[c].priority = ref->priority;
      cands[c].first = ref->referred_on;
      first_row[c] = k;
      size_t subj;
      if (find_subject(s, ref->offender_id, &subj)) {
        cands[c].score_idx = s->score_of[subj];
      }
      (*n_c)++;
    } else {
      add_note(s, HARM_NOTE_REFERRAL_MERGED, ref->offender_id,
               cands[c].score_idx
                   ? harm_ranking_rank_of(s->c->ranking, cands[c].score_idx - 1)
                   : 0,
               "",
               ownf(s, "also referred by %s on line %zu; merged into one slot",
                    ref->agency, ref->line));
      if (ref->priority < cands[c].priority) {
        cands[c].priority = ref->priority;
      }
      if (ref->referred_on < cands[c].first) {
        cands[c].first = ref->referred_on;
      }
    }
  }
  return true;
}

/* Drops the excluded and those already selected from cands, with notes
 * (a member already selected takes the referral's agencies and reason);
 * returns how many candidates remain, in order. */
static size_t drop_referrals(sel *s, cand *cands, size_t n_c) {
  size_t n_ok = 0;
  for (size_t c = 0; c < n_c; c++) {
    cand *cd = &cands[c];
    size_t rank = cd->score_idx
                      ? harm_ranking_rank_of(s->c->ranking, cd->score_idx - 1)
                      : 0;
    const harm_exclusion *x = exclusion_of(s, cd->id);
    if (x) {
      add_note(s, HARM_NOTE_REFERRAL_EXCLUDED, cd->id, rank, "",
               ownf(s, "referred by %s but excluded: %s", cd->agencies,
                    s->c->withhold_text ? HARM_WITHHELD : x->reason));
      continue;
    }
    if (is_member(s, cd->id)) {
      harm_member *mm = member_by_id(s, cd->id);
      const harm_member *m = mm;
      add_note(s, HARM_NOTE_REFERRAL_SELECTED, cd->id, rank, m->partition,
               ownf(s, "referred by %s; already on the list (%s)", cd->agencies,
                    m->kind == HARM_MEMBER_TENURE ? "kept by tenure"
                    : m->kind == HARM_MEMBER_REFERRAL_TENURE
                        ? "referral place kept by tenure"
                        : "core place"));
      mm->agencies = cd->agencies;
      mm->referral_reason = cd->reasons;
      mm->referred_on = cd->first;
      continue;
    }
    cands[n_ok++] = *cd;
  }
  return n_ok;
}

/* Gives the referral places left after tenure to the sorted candidates
 * in turn, noting those who find none, and counts the empty places. */
static void place_referrals(sel *s, const cand *cands, size_t n_ok) {
  const harm_cohort_rules *r = &s->c->rules;
  size_t filled = referral_tenure(s);
  for (size_t c = 0; c < n_ok; c++) {
    const cand *cd = &cands[c];
    size_t rank = cd->score_idx
                      ? harm_ranking_rank_of(s->c->ranking, cd->score_idx - 1)
                      : 0;
    if (filled >= r->referral_slots) {
      add_note(s, HARM_NOTE_REFERRAL_NO_SLOT, cd->id, rank, "",
               ownf(s, "referred by %s; all %zu referral slots taken",
                    cd->agencies, r->referral_slots));
      continue;
    }
    harm_member *m = add_member(s);
    if (!m) {
      return;
    }
    m->kind = HARM_MEMBER_REFERRAL;
    if (cd->score_idx) {
      fill_scored(s, m, cd->score_idx - 1, 0);
    } else {
      m->offender_id = cd->id;
      m->months_served = months_served(s, cd->id);
      mark_member(s, cd->id);
    }
    m->agencies = cd->agencies;
    m->referral_reason = cd->reasons;
    m->referred_on = cd->first;
    filled++;
  }
  s->c->empty_slots =
      filled < r->referral_slots ? r->referral_slots - filled : 0;
}

static void select_referrals(sel *s, const harm_list *refs) {
  size_t nr = harm_list_count(refs);
  harm__strpool ids = HARM__STRPOOL_INIT;
  cand *cands = harm__calloc(nr + 1, sizeof *cands);
  size_t *first_row = harm__calloc(nr + 1, sizeof *first_row);
  const char **tmp = harm__calloc(nr + 1, sizeof *tmp);
  const char **tmp2 = harm__calloc(nr + 1, sizeof *tmp2);
  size_t n_c = 0;
  if (!cands || !first_row || !tmp || !tmp2 ||
      !collect_referrals(s, refs, &ids, cands, first_row, &n_c)) {
    s->failed = true;
    goto done;
  }
  /* Merge agencies and reasons per person. */
  for (size_t c = 0; c < n_c; c++) {
    size_t na = 0;
    for (size_t k = first_row[c]; k < nr; k++) {
      const harm_referral *ref = harm_list_referral(refs, k);
      if (strcmp(ref->offender_id, cands[c].id) == 0) {
        tmp[na] = ref->agency;
        tmp2[na] = ref->reason;
        na++;
      }
    }
    cands[c].agencies = join_distinct(s, tmp, na);
    cands[c].reasons =
        s->c->withhold_text ? HARM_WITHHELD : join_distinct(s, tmp2, na);
  }
  size_t n_ok = drop_referrals(s, cands, n_c);
  if (!harm__sort(cands, n_ok, sizeof *cands, cmp_cand, s)) {
    s->failed = true;
    goto done;
  }
  place_referrals(s, cands, n_ok);
done:
  harm__strpool_free(&ids);
  harm__free(cands);
  harm__free(first_row);
  harm__free(tmp);
  harm__free(tmp2);
}

static void backfill(sel *s) {
  for (size_t k = 0; k < s->n && s->c->empty_slots; k++) {
    size_t i = s->order[k];
    const harm_score *sc = harm_scores_at(s->scores, i);
    if (s->member_of[i] >= 0 || !eligible(s, sc) || s->x_at[i]) {
      continue;
    }
    harm_member *m = add_member(s);
    if (!m) {
      return;
    }
    m->kind = HARM_MEMBER_BACKFILL;
    fill_scored(s, m, i, 0);
    s->c->empty_slots--;
  }
}

/* Why a retained member stayed, for movers.csv. */
static const char *stayed_because(sel *s, const harm_member *m) {
  const harm_cohort_rules *r = &s->c->rules;
  switch (m->kind) {
  case HARM_MEMBER_CORE:
    return ownf(s, "stayed on rank: core rank %zu%s%s (month %" PRIu32 ")",
                m->pool_rank, m->partition[0] ? " in " : "", m->partition,
                m->months_served);
  case HARM_MEMBER_TENURE:
    return ownf(s,
                "kept by tenure: month %" PRIu32 " of %" PRIu32
                ", pool rank %zu is below the cut of %zu",
                m->months_served, r->min_tenure_months, m->pool_rank, r->size);
  case HARM_MEMBER_REFERRAL_TENURE:
    return ownf(s,
                "referral place kept by tenure: month %" PRIu32 " of %" PRIu32,
                m->months_served, r->min_tenure_months);
  case HARM_MEMBER_REFERRAL:
    return ownf(s, "partner referral: %s (month %" PRIu32 ")", m->agencies,
                m->months_served);
  case HARM_MEMBER_BACKFILL:
  default:
    return ownf(s, "backfilled referral slot (month %" PRIu32 ")",
                m->months_served);
  }
}

static void movers(sel *s, const harm_list *prev) {
  harm_cohort *c = s->c;
  for (size_t k = 0; k < c->n_members; k++) {
    const harm_member *m = &c->members[k];
    const harm_previous_member *p = previous_of(s, m->offender_id);
    if (!p) {
      add_move(s, HARM_MOVE_NEW, m->offender_id, 0, m->score_rank,
               m->kind == HARM_MEMBER_REFERRAL ? "new: partner referral"
               : m->kind == HARM_MEMBER_BACKFILL
                   ? "new: backfilled referral slot"
                   : "new: core place");
    } else {
      const char *d;
      const char *why = stayed_because(s, m);
      if (p->score_rank && m->score_rank) {
        long delta = (long)p->score_rank - (long)m->score_rank;
        d = delta == 0
                ? ownf(s, "%s; rank %zu -> %zu (no change)", why, p->score_rank,
                       m->score_rank)
                : ownf(s, "%s; rank %zu -> %zu (%s %ld)", why, p->score_rank,
                       m->score_rank, delta > 0 ? "up" : "down", labs(delta));
      } else {
        d = m->score_rank
                ? ownf(s, "%s; now ranked %zu", why, m->score_rank)
                : ownf(s, "%s; unranked (no offences in window)", why);
      }
      add_move(s, HARM_MOVE_RETAINED, m->offender_id, p->score_rank,
               m->score_rank, d);
    }
  }
  for (size_t k = 0; k < harm_list_count(prev); k++) {
    const harm_previous_member *p = harm_list_previous(prev, k);
    if (is_member(s, p->offender_id)) {
      continue;
    }
    const harm_exclusion *x = exclusion_of(s, p->offender_id);
    size_t subj, rank = 0, idx = 0;
    const harm_score *sc = NULL;
    if (find_subject(s, p->offender_id, &subj) && s->score_of[subj]) {
      idx = s->score_of[subj] - 1;
      rank = harm_ranking_rank_of(c->ranking, idx);
      sc = harm_scores_at(s->scores, idx);
    }
    const char *d;
    if (x) {
      d = ownf(s, "excluded: %s",
               s->c->withhold_text ? HARM_WITHHELD : x->reason);
    } else if (!sc) {
      d = "no offences in window";
    } else if (!eligible(s, sc)) {
      d = ownf(s, "below the minimum harm or offence count (rank %zu)", rank);
    } else if (s->capped[idx]) {
      d = ownf(s,
               "tenure cap: fell below the cut at rank %zu and the %zu "
               "tenure place%s (max_tenure_places) went to higher-ranked "
               "members",
               rank, c->rules.max_tenure_places,
               c->rules.max_tenure_places == 1 ? "" : "s");
    } else {
      d = ownf(s, "fell below the cut at rank %zu", rank);
    }
    add_move(s, HARM_MOVE_EXITED, p->offender_id, p->score_rank, rank, d);
  }
}

/* List groups: core and tenure by rank, then referral places (kept by
 * tenure first, then new referrals, in the order they got places), then
 * backfill. */
static int member_group(const harm_member *m) {
  switch (m->kind) {
  case HARM_MEMBER_REFERRAL_TENURE:
  case HARM_MEMBER_REFERRAL:
    return 1;
  case HARM_MEMBER_BACKFILL:
    return 2;
  default:
    return 0;
  }
}

/* Orders members for the list: partition, then tenure/core by score order,
 * then referrals in slot order, then backfill. Assigns slots. */
static int cmp_member(const void *pa, const void *pb, void *ctx) {
  const harm_member *a = pa, *b = pb;
  int ga = member_group(a), gb = member_group(b);
  if (ga != gb) {
    return ga - gb;
  }
  if (ga == 0) {
    int c = strcmp(a->partition, b->partition);
    if (c) {
      return c;
    }
    const sel *s = ctx;
    if (s->rfgv && a->rfgv.total != b->rfgv.total) {
      return a->rfgv.total > b->rfgv.total ? -1 : 1;
    }
    return harm_rank_compare(s->scores, a->score, b->score);
  }
  return a->slot < b->slot ? -1 : a->slot > b->slot;
}

static void finish_members(sel *s) {
  harm_cohort *c = s->c;
  for (size_t k = 0; k < c->n_members; k++) {
    c->members[k].slot = k; /* insertion order for referral groups */
  }
  if (!harm__sort(c->members, c->n_members, sizeof *c->members, cmp_member,
                  s)) {
    s->failed = true;
    return;
  }
  for (size_t k = 0; k < c->n_members; k++) {
    c->members[k].slot = k + 1;
  }
}

/* Refuses an incomplete input and rules that can select no one. */
static harm_status check_select(const harm_cohort_input *in,
                                const harm_cohort_rules *rules,
                                harm_error *err) {
  if (!in || !in->dataset || !in->matrix || !in->scores || !in->ranking ||
      (rules && rules->rfgv && !in->rfgv)) {
    return harm__fail(err, HARM_ERR_USAGE, "cohort", NULL, 0, NULL,
                      "incomplete cohort input");
  }
  if (harm_ranking_scores(in->ranking) != in->scores) {
    return harm__fail(err, HARM_ERR_USAGE, "cohort", NULL, 0, NULL,
                      "the ranking is not of the cohort's scores");
  }
  if (!harm_ranking_is_whole(in->ranking)) {
    return harm__fail(err, HARM_ERR_USAGE, "cohort", NULL, 0, NULL,
                      "a cohort needs the whole ranking of its scores, not "
                      "only its top ranks (rank_top)");
  }
  if (rules->size == 0 && rules->referral_slots == 0) {
    return harm__fail(err, HARM_ERR_CONFIG, "cohort", NULL, 0, "size",
                      "a cohort needs at least one core or referral slot");
  }
  if (!(rules->min_harm >= 0) || !isfinite(rules->min_harm)) {
    return harm__fail(err, HARM_ERR_CONFIG, "cohort", NULL, 0, "min_harm",
                      "min_harm must be a finite number >= 0");
  }
  return HARM_OK;
}

/* Allocates the selection's per-score and per-list arrays; false when
 * out of memory. */
static bool sel_alloc(sel *s, size_t nx, size_t np) {
  size_t n_subj = harm_dataset_n_subjects(s->ds);
  s->order = harm__malloc((s->n + 1) * sizeof *s->order);
  s->score_of = harm__calloc(n_subj + 1, sizeof *s->score_of);
  s->member_of = harm__malloc((s->n + 1) * sizeof *s->member_of);
  s->exc_by = harm__calloc(nx + 1, sizeof *s->exc_by);
  s->prev_by = harm__calloc(np + 1, sizeof *s->prev_by);
  s->x_at = harm__calloc(s->n + 1, sizeof *s->x_at);
  s->p_at = harm__calloc(s->n + 1, sizeof *s->p_at);
  s->capped = harm__calloc(s->n + 1, sizeof *s->capped);
  return s->order && s->score_of && s->member_of && s->exc_by && s->prev_by &&
         s->x_at && s->p_at && s->capped;
}

static void sel_free(sel *s) {
  harm__free(s->order);
  harm__free(s->score_of);
  harm__free(s->member_of);
  harm__free(s->exc_by);
  harm__free(s->prev_by);
  harm__free(s->x_at);
  harm__free(s->p_at);
  harm__free(s->capped);
  harm__strpool_free(&s->excluded);
  harm__strpool_free(&s->prev_ids);
  harm__strpool_free(&s->member_ids);
}

/* Indexes the exclusions by id and by score; false when out of memory. */
static bool index_exclusions(sel *s, const harm_list *exclusions) {
  size_t nx = harm_list_count(exclusions);
  for (size_t k = 0; k < nx; k++) {
    const harm_exclusion *x = harm_list_exclusion(exclusions, k);
    uint32_t i = harm__strpool_intern(&s->excluded, x->offender_id,
                                      strlen(x->offender_id), NULL);
    if (i == HARM__STRPOOL_FAIL) {
      return false;
    }
    s->exc_by[i] = x;
    size_t subj;
    if (find_subject(s, x->offender_id, &subj) && s->score_of[subj]) {
      s->x_at[s->score_of[subj] - 1] = x;
    }
  }
  return true;
}

/* Indexes last month's members by id and by score; false when out of
 * memory. */
static bool index_previous(sel *s, const harm_list *previous) {
  size_t np = harm_list_count(previous);
  for (size_t k = 0; k < np; k++) {
    const harm_previous_member *p = harm_list_previous(previous, k);
    uint32_t i = harm__strpool_intern(&s->prev_ids, p->offender_id,
                                      strlen(p->offender_id), NULL);
    if (i == HARM__STRPOOL_FAIL) {
      return false;
    }
    s->prev_by[i] = p;
    size_t subj;
    if (find_subject(s, p->offender_id, &subj) && s->score_of[subj]) {
      s->p_at[s->score_of[subj] - 1] = p;
    }
  }
  return true;
}

harm_status harm_cohort_select(const harm_cohort_input *in,
                               const harm_cohort_rules *rules,
                               const harm_list *referrals,
                               const harm_list *exclusions,
                               const harm_list *previous, harm_cohort **out,
                               harm_error *err) {
  *out = NULL;
  harm_cohort_rules defaults = HARM_COHORT_RULES_INIT;
  if (!rules) {
    rules = &defaults;
  }
  harm_status st = check_select(in, rules, err);
  if (st != HARM_OK) {
    return st;
  }
  const harm_ranking *r = in->ranking;
  harm_cohort *c = harm__calloc(1, sizeof *c);
  sel s;
  memset(&s, 0, sizeof s);
  if (!c) {
    return harm__fail(err, HARM_ERR_NOMEM, "cohort", NULL, 0, NULL,
                      "out of memory");
  }
  c->in = *in;
  c->ranking = r;
  c->rules = *rules;
  c->withhold_text = rules->withhold_text;
  s.c = c;
  s.prev = previous;
  s.scores = in->scores;
  s.ds = in->dataset;
  s.n = harm_scores_count(s.scores);
  s.rfgv = rules->rfgv ? in->rfgv : NULL;
  s.failed =
      !sel_alloc(&s, harm_list_count(exclusions), harm_list_count(previous));
  for (size_t i = 0; !s.failed && i < s.n; i++) {
    s.order[i] = i;
    s.member_of[i] = -1;
    s.score_of[harm_scores_at(s.scores, i)->subject] = i + 1;
  }
  s.failed = s.failed || !index_exclusions(&s, exclusions) ||
             !index_previous(&s, previous);
  if (!s.failed) {
    /* The selection order is the ranking handed in: by harm, or under
     * RFGV by total then harm (the run ranks with harm_rank_compute_by). */
    for (size_t k = 0; k < s.n; k++) {
      s.order[k] = harm_ranking_index(r, k + 1);
    }
    note_no_date_of_birth(&s);
    select_core(&s);
  }
  if (!s.failed) {
    select_referrals(&s, referrals);
  }
  if (!s.failed && rules->backfill) {
    backfill(&s);
  }
  if (!s.failed) {
    finish_members(&s);
  }
  if (!s.failed) {
    movers(&s, previous);
  }
  sel_free(&s);
  if (s.failed) {
    harm_cohort_free(c);
    return harm__fail(err, HARM_ERR_NOMEM, "cohort", NULL, 0, NULL,
                      "out of memory selecting the cohort");
  }
  *out = c;
  return HARM_OK;
}

void harm_cohort_free(harm_cohort *c) {
  if (!c) {
    return;
  }
  for (size_t i = 0; i < c->n_owned; i++) {
    harm__free(c->owned[i]);
  }
  harm__free(c->owned);
  harm__free(c->members);
  harm__free(c->notes);
  harm__free(c->moves);
  harm__free(c);
}

size_t harm_cohort_count(const harm_cohort *c) { return c->n_members; }
const harm_member *harm_cohort_member(const harm_cohort *c, size_t i) {
  return i < c->n_members ? &c->members[i] : NULL;
}
size_t harm_cohort_n_notes(const harm_cohort *c) { return c->n_notes; }
const harm_note *harm_cohort_note(const harm_cohort *c, size_t i) {
  return i < c->n_notes ? &c->notes[i] : NULL;
}
size_t harm_cohort_n_moves(const harm_cohort *c) { return c->n_moves; }
const harm_move *harm_cohort_move(const harm_cohort *c, size_t i) {
  return i < c->n_moves ? &c->moves[i] : NULL;
}
const harm_ranking *harm_cohort_ranking(const harm_cohort *c) {
  return c->ranking;
}
const harm_cohort_input *harm_cohort_input_used(const harm_cohort *c) {
  return &c->in;
}
const harm_cohort_rules *harm_cohort_rules_used(const harm_cohort *c) {
  return &c->rules;
}
size_t harm_cohort_empty_slots(const harm_cohort *c) { return c->empty_slots; }
size_t harm_cohort_over_capacity(const harm_cohort *c) {
  return c->over_capacity;
}
