/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/people/people.c: the people table. Harm caused comes from the
 * offender scoring and harm suffered from the victim scoring (the same
 * pipeline with the victim column as the subject, full attribution), so
 * both are the per-offence kernel's units; this module only joins them
 * by person id, merges duplicate records, decides role, balance and age,
 * and makes the people an aggregate of their own (engine/score/
 * people_matrix.c) so that the shared scoring, ranking order and cohort
 * selection apply to them unchanged. */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "harmrank/people.h"
#include "ingest/dataset.h"
#include "ingest/subjects.h"
#include "score/people_matrix.h"

harm_date harm__people_register_dob(const harm_people_register *g,
                                    const char *id);

enum { R_CAUSED = 0, R_SUFFERED = 1 };

struct harm_people {
  harm_roles roles;
  harm_rank_by rank_by;
  harm_person *persons;
  size_t n;
  char **ids; /* master ids, ascending bytewise */
  /* Per role: the subject indices of each person's records (CSR). */
  size_t *rec_at[2];
  size_t *rec[2];
  const harm_people_register *reg;
  harm_dataset *ds;
  harm_matrix *matrix;
  harm_scores *scores;
  harm_ranking *ranking;
  size_t merged_ids;
};

const char *harm_people_role_name(harm_person_role r) {
  switch (r) {
  case HARM_ROLE_OFFENDER:
    return "offender";
  case HARM_ROLE_VICTIM:
    return "victim";
  case HARM_ROLE_BOTH:
    return "both";
  case HARM_ROLE_SAME_CRIME:
  default:
    return "same crime";
  }
}

const char *harm_people_balance_name(harm_role_balance b) {
  switch (b) {
  case HARM_BALANCE_PREDOMINANTLY_VICTIM:
    return "predominantly victim";
  case HARM_BALANCE_BALANCED:
    return "balanced";
  case HARM_BALANCE_PREDOMINANTLY_OFFENDER:
    return "predominantly offender";
  case HARM_BALANCE_NONE:
  default:
    return "";
  }
}

const char *harm_people_rank_by_name(harm_rank_by b) {
  switch (b) {
  case HARM_RANK_BY_CAUSED:
    return "caused";
  case HARM_RANK_BY_SUFFERED:
    return "suffered";
  case HARM_RANK_BY_COMBINED:
    return "combined";
  case HARM_RANK_BY_ROLES:
  default:
    return "";
  }
}

int32_t harm_people_age(harm_date born, harm_date on) {
  if (born == HARM_DATE_NONE || on == HARM_DATE_NONE || born > on) {
    return -1;
  }
  char a[11], b[11];
  harm_date_format_iso(born, a);
  harm_date_format_iso(on, b);
  int ya = (a[0] - '0') * 1000 + (a[1] - '0') * 100 + (a[2] - '0') * 10 +
           (a[3] - '0');
  int yb = (b[0] - '0') * 1000 + (b[1] - '0') * 100 + (b[2] - '0') * 10 +
           (b[3] - '0');
  /* "MM-DD" compares bytewise as the day of the year does: the birthday
   * itself counts, and 29 February counts from 1 March. */
  int age = yb - ya - (strcmp(b + 5, a + 5) < 0);
  return (int32_t)age;
}

static harm_rank_by resolve_rank_by(harm_roles roles, harm_rank_by b) {
  if (b != HARM_RANK_BY_ROLES) {
    return b;
  }
  return roles == HARM_ROLES_OFFENDER ? HARM_RANK_BY_CAUSED
         : roles == HARM_ROLES_VICTIM ? HARM_RANK_BY_SUFFERED
                                      : HARM_RANK_BY_COMBINED;
}

static int cmp_str(const void *a, const void *b, void *ctx) {
  (void)ctx;
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Index of id among ids[0..n) (sorted), or SIZE_MAX. */
static size_t find_id(char *const *ids, size_t n, const char *id) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(ids[mid], id);
    if (c == 0) {
      return mid;
    }
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return SIZE_MAX;
}

typedef struct crime {
  size_t person;
  uint64_t offence;
} crime;

static int cmp_crime(const void *pa, const void *pb, void *ctx) {
  (void)ctx;
  const crime *a = pa, *b = pb;
  if (a->person != b->person) {
    return a->person < b->person ? -1 : 1;
  }
  return a->offence < b->offence ? -1 : a->offence > b->offence;
}

/* The distinct crimes of each person in one role, sorted by person. */
static harm_status person_crimes(const harm_matrix *m, const size_t *person_of,
                                 crime **out, size_t *n_out) {
  *out = NULL;
  *n_out = 0;
  uint32_t *subj;
  uint64_t *off;
  size_t n;
  harm_status st = harm__matrix_crimes(m, &subj, &off, &n);
  if (st != HARM_OK) {
    return st;
  }
  crime *c = harm__malloc((n + 1) * sizeof *c);
  size_t k = 0;
  if (c) {
    for (size_t i = 0; i < n; i++) {
      if (person_of[subj[i]] != SIZE_MAX) {
        c[k++] = (crime){person_of[subj[i]], off[i]};
      }
    }
  }
  harm__free(subj);
  harm__free(off);
  if (!c || !harm__sort(c, k, sizeof *c, cmp_crime, NULL)) {
    harm__free(c);
    return HARM_ERR_NOMEM;
  }
  size_t nd = 0;
  for (size_t i = 0; i < k; i++) {
    if (nd == 0 || cmp_crime(&c[i], &c[nd - 1], NULL) != 0) {
      c[nd++] = c[i];
    }
  }
  *out = c;
  *n_out = nd;
  return HARM_OK;
}

static harm_status nomem(harm_error *err) {
  return harm__fail(err, HARM_ERR_NOMEM, "people", NULL, 0, NULL,
                    "out of memory");
}

/* What harm_people_build works on, step by step; freed by pb_free. */
typedef struct pbuild {
  const harm_people_input *in;
  harm_error *err;
  double ratio;
  harm_rank_by rank_by;
  /* Per role (R_CAUSED, R_SUFFERED): its scores, aggregate and offences,
   * all NULL when the role is not counted. */
  const harm_scores *src[2];
  const harm_matrix *sm[2];
  const harm_dataset *sds[2];
  harm_people *p;
  size_t *person_of[2]; /* per role: person of each subject, SIZE_MAX */
  crime *cr[2];         /* per role: each person's distinct crimes */
  size_t n_cr[2];
  harm_subject_facts *facts; /* per person, over both roles */
  int32_t *area_at;          /* per person: role * 2^30 + area, -1 none */
  harm_date *area_date;      /* per person: date of that area's offence */
  const char **areas;        /* the union of the roles' areas, sorted */
  size_t n_areas;
} pbuild;

static void pb_free(pbuild *b) {
  for (int r = 0; r < 2; r++) {
    harm__free(b->person_of[r]);
    harm__free(b->cr[r]);
  }
  harm__free(b->facts);
  harm__free(b->areas);
  harm__free(b->area_at);
  harm__free(b->area_date);
}

/* The input is complete and its options make sense. */
static harm_status pb_check(pbuild *b) {
  const harm_people_input *in = b->in;
  if (!in || !in->weights || (in->roles != HARM_ROLES_VICTIM && !in->caused) ||
      (in->roles != HARM_ROLES_OFFENDER && !in->suffered)) {
    return harm__fail(b->err, HARM_ERR_USAGE, "people", NULL, 0, NULL,
                      "a people table needs the scoring of each role it "
                      "counts");
  }
  b->ratio = in->balance_ratio;
  if (!(b->ratio > 1) || !isfinite(b->ratio)) {
    return harm__fail(b->err, HARM_ERR_CONFIG, "people", NULL, 0,
                      "balance_ratio",
                      "balance_ratio must be a number above 1");
  }
  b->rank_by = resolve_rank_by(in->roles, in->rank_by);
  if ((b->rank_by == HARM_RANK_BY_CAUSED && in->roles == HARM_ROLES_VICTIM) ||
      (b->rank_by == HARM_RANK_BY_SUFFERED &&
       in->roles == HARM_ROLES_OFFENDER)) {
    return harm__fail(b->err, HARM_ERR_CONFIG, "people", NULL, 0, "rank_by",
                      "rank_by = %s needs roles = %s or both",
                      harm_people_rank_by_name(b->rank_by),
                      b->rank_by == HARM_RANK_BY_CAUSED ? "offender"
                                                        : "victim");
  }
  bool caused = in->roles != HARM_ROLES_VICTIM;
  bool suffered = in->roles != HARM_ROLES_OFFENDER;
  b->src[R_CAUSED] = caused ? in->caused : NULL;
  b->sm[R_CAUSED] = caused ? in->caused_matrix : NULL;
  b->sds[R_CAUSED] = caused ? in->caused_dataset : NULL;
  b->src[R_SUFFERED] = suffered ? in->suffered : NULL;
  b->sm[R_SUFFERED] = suffered ? in->suffered_matrix : NULL;
  b->sds[R_SUFFERED] = suffered ? in->suffered_dataset : NULL;
  for (int r = 0; r < 2; r++) {
    if (b->src[r] && (!b->sm[r] || !b->sds[r])) {
      return harm__fail(b->err, HARM_ERR_USAGE, "people", NULL, 0, NULL,
                        "a people table needs each role's aggregate and "
                        "offences beside its scores");
    }
  }
  return HARM_OK;
}

/* 1. Every person: the master id of each scored subject's id, once,
 * ascending; their dates of birth and ages. */
static harm_status pb_persons(pbuild *b) {
  const harm_people_input *in = b->in;
  harm_people *p = b->p;
  size_t n_all = 0;
  for (int r = 0; r < 2; r++) {
    n_all += b->src[r] ? harm_scores_count(b->src[r]) : 0;
  }
  const char **all = harm__malloc((n_all + 1) * sizeof *all);
  if (!all) {
    return nomem(b->err);
  }
  n_all = 0;
  for (int r = 0; r < 2; r++) {
    for (size_t i = 0; b->src[r] && i < harm_scores_count(b->src[r]); i++) {
      const char *id = harm_dataset_subject_id(
          b->sds[r], harm_scores_at(b->src[r], i)->subject, NULL);
      all[n_all++] = harm_people_register_master(in->people, id);
    }
  }
  if (!harm__sort(all, n_all, sizeof *all, cmp_str, NULL)) {
    harm__free(all);
    return nomem(b->err);
  }
  size_t n = 0;
  for (size_t i = 0; i < n_all; i++) {
    if (n == 0 || strcmp(all[i], all[n - 1]) != 0) {
      all[n++] = all[i];
    }
  }
  p->n = n;
  p->ids = harm__calloc(n + 1, sizeof *p->ids);
  p->persons = harm__calloc(n + 1, sizeof *p->persons);
  b->facts = harm__calloc(n + 1, sizeof *b->facts);
  b->area_at = harm__malloc((n + 1) * sizeof *b->area_at);
  b->area_date = harm__malloc((n + 1) * sizeof *b->area_date);
  harm_status st =
      p->ids && p->persons && b->facts && b->area_at && b->area_date
          ? HARM_OK
          : HARM_ERR_NOMEM;
  for (size_t i = 0; st == HARM_OK && i < n; i++) {
    if (!(p->ids[i] = harm__strdup(all[i]))) {
      st = HARM_ERR_NOMEM;
      break;
    }
    harm_person *ps = &p->persons[i];
    ps->person_id = p->ids[i];
    ps->date_of_birth = harm__people_register_dob(in->people, p->ids[i]);
    ps->age = harm_people_age(ps->date_of_birth, in->as_of);
    b->facts[i].first = HARM_DATE_NONE;
    b->facts[i].last = HARM_DATE_NONE;
    b->facts[i].area = -1;
    b->area_at[i] = -1;
    b->area_date[i] = HARM_DATE_NONE;
  }
  harm__free(all);
  return st == HARM_OK ? HARM_OK : nomem(b->err);
}

/* 2. One role's subjects joined to their person: units, offences and
 * dates summed, the area of the person's latest offence, each person's
 * records (CSR) and distinct crimes. */
static harm_status pb_join_role(pbuild *b, int r) {
  harm_people *p = b->p;
  const harm_scores *src = b->src[r];
  const harm_dataset *ds = b->sds[r];
  size_t n = p->n, ns = harm_dataset_n_subjects(ds);
  size_t n_sc = harm_scores_count(src);
  b->person_of[r] = harm__malloc((ns + 1) * sizeof **b->person_of);
  p->rec_at[r] = harm__calloc(n + 2, sizeof **p->rec_at);
  p->rec[r] = harm__malloc((n_sc + 1) * sizeof **p->rec);
  if (!b->person_of[r] || !p->rec_at[r] || !p->rec[r]) {
    return nomem(b->err);
  }
  size_t *person_of = b->person_of[r];
  for (size_t i = 0; i < ns; i++) {
    person_of[i] = SIZE_MAX;
  }
  for (size_t i = 0; i < n_sc; i++) {
    const harm_score *sc = harm_scores_at(src, i);
    const harm_subject_facts scf = harm_score_facts(src, sc);
    const char *id = harm_people_register_master(
        b->in->people, harm_dataset_subject_id(ds, sc->subject, NULL));
    size_t k = find_id(p->ids, n, id);
    person_of[sc->subject] = k;
    p->rec_at[r][k + 2]++;
    harm_person *ps = &p->persons[k];
    harm_subject_facts *f = &b->facts[k];
    int64_t *units = r == R_CAUSED ? &ps->caused_units : &ps->suffered_units;
    uint32_t *count =
        r == R_CAUSED ? &ps->offences_committed : &ps->offences_suffered;
    if (__builtin_add_overflow(*units, sc->harm_units, units) ||
        __builtin_add_overflow(*count, scf.offences, count) ||
        __builtin_add_overflow(f->offences, scf.offences, &f->offences)) {
      return harm__fail(b->err, HARM_ERR_LIMIT, "people", NULL, 0, NULL,
                        "a person's harm or offences exceed the counters");
    }
    ps->n_records++;
    if (r == R_CAUSED) {
      f->victims += scf.victims;
    }
    if (f->first == HARM_DATE_NONE || scf.first < f->first) {
      f->first = scf.first;
    }
    if (f->last == HARM_DATE_NONE || scf.last > f->last) {
      f->last = scf.last;
    }
    /* The latest offence's area; on a tie, the offender record's (read
     * first), then the lowest area name. */
    if (scf.area >= 0 &&
        (b->area_date[k] == HARM_DATE_NONE || scf.last > b->area_date[k])) {
      b->area_date[k] = scf.last;
      b->area_at[k] = (int32_t)(r * 0x40000000 + scf.area);
    }
  }
  for (size_t k = 0; k < n; k++) {
    p->rec_at[r][k + 2] += p->rec_at[r][k + 1];
  }
  for (size_t i = 0; i < n_sc; i++) {
    size_t subj = harm_scores_at(src, i)->subject;
    p->rec[r][p->rec_at[r][person_of[subj] + 1]++] = subj;
  }
  if (person_crimes(b->sm[r], person_of, &b->cr[r], &b->n_cr[r]) != HARM_OK) {
    return nomem(b->err);
  }
  return HARM_OK;
}

/* 3. Role: `both` needs a crime committed and a different crime
 * suffered, which fails only when each role has exactly one crime and
 * it is the same one; then the balance of a person in both roles. */
static void pb_roles(pbuild *b) {
  harm_people *p = b->p;
  const crime *const *cr = (const crime *const *)b->cr;
  size_t a = 0, c = 0;
  for (size_t k = 0; k < p->n; k++) {
    harm_person *ps = &p->persons[k];
    ps->harm_caused = (double)ps->caused_units / HARM_UNITS_PER_DAY;
    ps->harm_suffered = (double)ps->suffered_units / HARM_UNITS_PER_DAY;
    size_t a0 = a, c0 = c;
    while (a < b->n_cr[0] && cr[0][a].person == k) {
      a++;
    }
    while (c < b->n_cr[1] && cr[1][c].person == k) {
      c++;
    }
    bool did = ps->offences_committed > 0, had = ps->offences_suffered > 0;
    if (did && had) {
      bool one =
          a - a0 == 1 && c - c0 == 1 && cr[0][a0].offence == cr[1][c0].offence;
      ps->role = one ? HARM_ROLE_SAME_CRIME : HARM_ROLE_BOTH;
    } else {
      ps->role = had ? HARM_ROLE_VICTIM : HARM_ROLE_OFFENDER;
    }
    if (ps->role == HARM_ROLE_BOTH) {
      /* suffered / caused against the ratio, in integers scaled by the
       * ratio (no division by a zero harm). */
      double s = (double)ps->suffered_units, u = (double)ps->caused_units;
      ps->balance = s > b->ratio * u   ? HARM_BALANCE_PREDOMINANTLY_VICTIM
                    : s * b->ratio < u ? HARM_BALANCE_PREDOMINANTLY_OFFENDER
                                       : HARM_BALANCE_BALANCED;
    }
  }
}

/* 4. The people dataset: its areas are the union of the roles' areas,
 * each person's area that of their latest offence; the window and the
 * row accounting are the first counted role's. */
static harm_status pb_dataset(pbuild *b) {
  harm_people *p = b->p;
  size_t cap = 0;
  bool has_area = false;
  for (int r = 0; r < 2; r++) {
    size_t na = b->src[r] ? harm_dataset_n_areas(b->sds[r]) : 0;
    cap += na;
    has_area = has_area || na > 0;
  }
  b->areas = harm__malloc((cap + 1) * sizeof *b->areas);
  if (!b->areas) {
    return nomem(b->err);
  }
  for (int r = 0; r < 2; r++) {
    for (size_t a = 0; b->src[r] && a < harm_dataset_n_areas(b->sds[r]); a++) {
      b->areas[b->n_areas++] = harm_dataset_area(b->sds[r], a);
    }
  }
  if (!harm__sort(b->areas, b->n_areas, sizeof *b->areas, cmp_str, NULL)) {
    return nomem(b->err);
  }
  size_t na = 0;
  for (size_t a = 0; a < b->n_areas; a++) {
    if (na == 0 || strcmp(b->areas[a], b->areas[na - 1]) != 0) {
      b->areas[na++] = b->areas[a];
    }
  }
  b->n_areas = na;
  for (size_t k = 0; k < p->n; k++) {
    if (b->area_at[k] < 0) {
      continue;
    }
    int r = b->area_at[k] >= 0x40000000;
    const char *name = harm_dataset_area(
        b->sds[r], (size_t)(b->area_at[k] - (r ? 0x40000000 : 0)));
    b->facts[k].area =
        (int32_t)find_id((char *const *)b->areas, b->n_areas, name);
  }
  const harm_dataset *like = b->src[0] ? b->sds[0] : b->sds[1];
  if (harm__dataset_of_subjects(
          harm_dataset_source(like), (const char *const *)p->ids, p->n,
          b->areas, b->n_areas, has_area, harm_dataset_as_of(like),
          harm_dataset_lookback_days(like), harm_dataset_accounting(like),
          &p->ds) != HARM_OK) {
    return nomem(b->err);
  }
  return HARM_OK;
}

/* 5. The people aggregate of the ranked role(s), scored and ranked by the
 * shared kernel and order. */
static harm_status pb_score(pbuild *b) {
  harm_people *p = b->p;
  bool use[2] = {b->rank_by != HARM_RANK_BY_SUFFERED && b->src[0],
                 b->rank_by != HARM_RANK_BY_CAUSED && b->src[1]};
  size_t n_rows = 0;
  for (int r = 0; r < 2; r++) {
    n_rows += use[r] ? harm_scores_count(b->src[r]) : 0;
  }
  harm__people_row *rows = harm__malloc((n_rows + 1) * sizeof *rows);
  if (!rows) {
    return nomem(b->err);
  }
  n_rows = 0;
  for (int r = 0; r < 2; r++) {
    for (size_t i = 0; use[r] && i < harm_scores_count(b->src[r]); i++) {
      size_t subj = harm_scores_at(b->src[r], i)->subject;
      rows[n_rows++] = (harm__people_row){
          .m = b->sm[r], .subject = subj, .person = b->person_of[r][subj]};
    }
  }
  const harm_matrix *like = b->src[0] ? b->sm[0] : b->sm[1];
  const char *over = NULL;
  harm_status st = harm__matrix_people(p->ds, p->n, rows, n_rows, b->facts,
                                       like, &p->matrix, &over);
  harm__free(rows);
  if (st == HARM_ERR_LIMIT && over && strcmp(over, "offences") != 0) {
    return harm__fail(b->err, st, "people", NULL, 0, NULL,
                      "more than %u distinct %s in the offender and victim "
                      "rows together: at most %u can be scored",
                      HARM__REC_MAX_INDEX, over, HARM__REC_MAX_INDEX);
  }
  if (st != HARM_OK) {
    return st == HARM_ERR_LIMIT
               ? harm__fail(b->err, st, "people", NULL, 0, NULL,
                            "a person has more offences than the counters "
                            "hold")
               : nomem(b->err);
  }
  st = harm_score_compute(p->matrix, b->in->weights, b->in->score_opts,
                          &p->scores, b->err);
  if (st == HARM_OK) {
    st = harm_rank_compute(p->scores, &p->ranking, b->err);
  }
  return st;
}

/* Ids in the data that a same_as merge folded into another person, each
 * counted once whichever roles it appears in. */
static void pb_count_merged(pbuild *b) {
  for (int r = 0; r < 2; r++) {
    const harm_dataset *ds = b->sds[r];
    const harm_dataset *ds0 = r && b->src[0] ? b->sds[0] : NULL;
    for (size_t i = 0; b->src[r] && i < harm_scores_count(b->src[r]); i++) {
      const char *id = harm_dataset_subject_id(
          ds, harm_scores_at(b->src[r], i)->subject, NULL);
      size_t j;
      if (strcmp(harm_people_register_master(b->in->people, id), id) != 0 &&
          !(ds0 && harm_dataset_find_subject(ds0, id, &j) &&
            b->person_of[0][j] != SIZE_MAX)) {
        b->p->merged_ids++;
      }
    }
  }
}

harm_status harm_people_build(const harm_people_input *in, harm_people **out,
                              harm_error *err) {
  *out = NULL;
  pbuild b = {.in = in, .err = err};
  harm_status st = pb_check(&b);
  if (st != HARM_OK) {
    return st;
  }
  if (!(b.p = harm__calloc(1, sizeof *b.p))) {
    return nomem(err);
  }
  b.p->roles = in->roles;
  b.p->rank_by = b.rank_by;
  b.p->reg = in->people;
  st = pb_persons(&b);
  for (int r = 0; st == HARM_OK && r < 2; r++) {
    if (b.src[r]) {
      st = pb_join_role(&b, r);
    }
  }
  if (st == HARM_OK) {
    pb_roles(&b);
    st = pb_dataset(&b);
  }
  if (st == HARM_OK) {
    st = pb_score(&b);
  }
  if (st == HARM_OK) {
    pb_count_merged(&b);
  }
  pb_free(&b);
  if (st != HARM_OK) {
    harm_people_free(b.p);
    return st;
  }
  *out = b.p;
  return HARM_OK;
}

void harm_people_free(harm_people *p) {
  if (!p) {
    return;
  }
  harm_ranking_free(p->ranking);
  harm_scores_free(p->scores);
  harm_matrix_free(p->matrix);
  harm_dataset_free(p->ds);
  for (size_t i = 0; p->ids && i < p->n; i++) {
    harm__free(p->ids[i]);
  }
  harm__free(p->ids);
  harm__free(p->persons);
  for (int r = 0; r < 2; r++) {
    harm__free(p->rec_at[r]);
    harm__free(p->rec[r]);
  }
  harm__free(p);
}

size_t harm_people_count(const harm_people *p) { return p->n; }

const harm_person *harm_people_at(const harm_people *p, size_t i) {
  return i < p->n ? &p->persons[i] : NULL;
}

bool harm_people_find(const harm_people *p, const char *id, size_t *index) {
  size_t k = find_id(p->ids, p->n, harm_people_register_master(p->reg, id));
  if (k == SIZE_MAX) {
    return false;
  }
  *index = k;
  return true;
}

const harm_dataset *harm_people_dataset(const harm_people *p) { return p->ds; }
const harm_scores *harm_people_scores(const harm_people *p) {
  return p->scores;
}
const harm_matrix *harm_people_matrix(const harm_people *p) {
  return p->matrix;
}
const harm_ranking *harm_people_ranking(const harm_people *p) {
  return p->ranking;
}
harm_rank_by harm_people_rank_by(const harm_people *p) { return p->rank_by; }
harm_roles harm_people_roles(const harm_people *p) { return p->roles; }
size_t harm_people_merged_records(const harm_people *p) {
  return harm_people_register_merged(p->reg);
}
size_t harm_people_merged_ids(const harm_people *p) { return p->merged_ids; }

const size_t *harm_people_records(const harm_people *p, size_t i, int role,
                                  size_t *n) {
  *n = 0;
  if (i >= p->n || role < 0 || role > 1 || !p->rec_at[role]) {
    return NULL;
  }
  *n = p->rec_at[role][i + 1] - p->rec_at[role][i];
  return p->rec[role] + p->rec_at[role][i];
}
