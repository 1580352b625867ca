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

harm_status harm_people_build(const harm_people_input *in, harm_people **out,
                              harm_error *err) {
  *out = NULL;
  if (!in || !in->weights || (in->roles != HARM_ROLES_VICTIM && !in->caused) ||
      (in->roles != HARM_ROLES_OFFENDER && !in->suffered)) {
    return harm__fail(err, HARM_ERR_USAGE, "people", NULL, 0, NULL,
                      "a people table needs the scoring of each role it "
                      "counts");
  }
  double ratio = in->balance_ratio;
  if (!(ratio > 1) || !isfinite(ratio)) {
    return harm__fail(err, HARM_ERR_CONFIG, "people", NULL, 0, "balance_ratio",
                      "balance_ratio must be a number above 1");
  }
  harm_rank_by rank_by = resolve_rank_by(in->roles, in->rank_by);
  if ((rank_by == HARM_RANK_BY_CAUSED && in->roles == HARM_ROLES_VICTIM) ||
      (rank_by == HARM_RANK_BY_SUFFERED && in->roles == HARM_ROLES_OFFENDER)) {
    return harm__fail(err, HARM_ERR_CONFIG, "people", NULL, 0, "rank_by",
                      "rank_by = %s needs roles = %s or both",
                      harm_people_rank_by_name(rank_by),
                      rank_by == HARM_RANK_BY_CAUSED ? "offender" : "victim");
  }
  const harm_scores *src[2] = {
      in->roles != HARM_ROLES_VICTIM ? in->caused : NULL,
      in->roles != HARM_ROLES_OFFENDER ? in->suffered : NULL};
  const harm_matrix *sm[2] = {src[0] ? in->caused_matrix : NULL,
                              src[1] ? in->suffered_matrix : NULL};
  const harm_dataset *sds[2] = {src[0] ? in->caused_dataset : NULL,
                                src[1] ? in->suffered_dataset : NULL};
  for (int r = 0; r < 2; r++) {
    if (src[r] && (!sm[r] || !sds[r])) {
      return harm__fail(err, HARM_ERR_USAGE, "people", NULL, 0, NULL,
                        "a people table needs each role's aggregate and "
                        "offences beside its scores");
    }
  }
  harm_people *p = harm__calloc(1, sizeof *p);
  if (!p) {
    return nomem(err);
  }
  p->roles = in->roles;
  p->rank_by = rank_by;
  p->reg = in->people;
  harm_status st = HARM_OK;
  size_t *person_of[2] = {NULL, NULL};
  const char **all = NULL;
  crime *cr[2] = {NULL, NULL};
  size_t n_cr[2] = {0, 0};
  harm_subject_facts *facts = NULL;
  harm__people_row *rows = NULL;
  const char **areas = NULL;
  size_t n_areas = 0;
  int32_t *area_at = NULL; /* per person: index into areas, -1 */
  harm_date *area_date = NULL;

  /* 1. Every person: the master id of each scored subject's id. */
  size_t n_all = 0;
  for (int r = 0; r < 2; r++) {
    n_all += src[r] ? harm_scores_count(src[r]) : 0;
  }
  all = harm__malloc((n_all + 1) * sizeof *all);
  if (!all) {
    st = nomem(err);
    goto done;
  }
  n_all = 0;
  for (int r = 0; r < 2; r++) {
    if (!src[r]) {
      continue;
    }
    const harm_dataset *ds = sds[r];
    for (size_t i = 0; i < harm_scores_count(src[r]); i++) {
      const char *id =
          harm_dataset_subject_id(ds, harm_scores_at(src[r], i)->subject, NULL);
      all[n_all++] = harm_people_register_master(in->people, id);
    }
  }
  if (!harm__sort(all, n_all, sizeof *all, cmp_str, NULL)) {
    st = nomem(err);
    goto done;
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
  facts = harm__calloc(n + 1, sizeof *facts);
  area_at = harm__malloc((n + 1) * sizeof *area_at);
  area_date = harm__malloc((n + 1) * sizeof *area_date);
  if (!p->ids || !p->persons || !facts || !area_at || !area_date) {
    st = nomem(err);
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    if (!(p->ids[i] = harm__strdup(all[i]))) {
      st = nomem(err);
      goto done;
    }
    harm_person *ps = &p->persons[i];
    ps->person_id = p->ids[i];
    ps->date_of_birth = harm__people_register_dob(in->people, p->ids[i]);
    ps->age = harm_people_age(ps->date_of_birth, in->as_of);
    facts[i].first = HARM_DATE_NONE;
    facts[i].last = HARM_DATE_NONE;
    facts[i].area = -1;
    area_at[i] = -1;
    area_date[i] = HARM_DATE_NONE;
  }

  /* 2. Each role's subjects joined to their person; units, offences and
   * dates summed; the area of the person's latest offence. */
  for (int r = 0; r < 2; r++) {
    if (!src[r]) {
      continue;
    }
    const harm_dataset *ds = sds[r];
    size_t ns = harm_dataset_n_subjects(ds);
    person_of[r] = harm__malloc((ns + 1) * sizeof **person_of);
    p->rec_at[r] = harm__calloc(n + 2, sizeof **p->rec_at);
    p->rec[r] = harm__malloc((harm_scores_count(src[r]) + 1) * sizeof **p->rec);
    if (!person_of[r] || !p->rec_at[r] || !p->rec[r]) {
      st = nomem(err);
      goto done;
    }
    for (size_t i = 0; i < ns; i++) {
      person_of[r][i] = SIZE_MAX;
    }
    for (size_t i = 0; i < harm_scores_count(src[r]); i++) {
      const harm_score *sc = harm_scores_at(src[r], i);
      const char *id = harm_people_register_master(
          in->people, harm_dataset_subject_id(ds, sc->subject, NULL));
      size_t k = find_id(p->ids, n, id);
      person_of[r][sc->subject] = k;
      p->rec_at[r][k + 2]++;
      harm_person *ps = &p->persons[k];
      int64_t *units = r == R_CAUSED ? &ps->caused_units : &ps->suffered_units;
      uint32_t *count =
          r == R_CAUSED ? &ps->offences_committed : &ps->offences_suffered;
      if (__builtin_add_overflow(*units, sc->harm_units, units) ||
          __builtin_add_overflow(*count, sc->facts.offences, count) ||
          __builtin_add_overflow(facts[k].offences, sc->facts.offences,
                                 &facts[k].offences)) {
        st = harm__fail(err, HARM_ERR_LIMIT, "people", NULL, 0, NULL,
                        "a person's harm or offences exceed the counters");
        goto done;
      }
      ps->n_records++;
      if (r == R_CAUSED) {
        facts[k].victims += sc->facts.victims;
      }
      if (facts[k].first == HARM_DATE_NONE ||
          sc->facts.first < facts[k].first) {
        facts[k].first = sc->facts.first;
      }
      if (facts[k].last == HARM_DATE_NONE || sc->facts.last > facts[k].last) {
        facts[k].last = sc->facts.last;
      }
      /* The latest offence's area; on a tie, the offender record's (read
       * first), then the lowest area name. */
      if (sc->facts.area >= 0 &&
          (area_date[k] == HARM_DATE_NONE || sc->facts.last > area_date[k])) {
        area_date[k] = sc->facts.last;
        area_at[k] = (int32_t)(r * 0x40000000 + sc->facts.area);
      }
    }
    for (size_t k = 0; k < n; k++) {
      p->rec_at[r][k + 2] += p->rec_at[r][k + 1];
    }
    for (size_t i = 0; i < harm_scores_count(src[r]); i++) {
      size_t subj = harm_scores_at(src[r], i)->subject;
      p->rec[r][p->rec_at[r][person_of[r][subj] + 1]++] = subj;
    }
    st = person_crimes(sm[r], person_of[r], &cr[r], &n_cr[r]);
    if (st != HARM_OK) {
      st = nomem(err);
      goto done;
    }
  }
  for (size_t k = 0; k < n; k++) {
    harm_person *ps = &p->persons[k];
    ps->harm_caused = (double)ps->caused_units / HARM_UNITS_PER_DAY;
    ps->harm_suffered = (double)ps->suffered_units / HARM_UNITS_PER_DAY;
  }

  /* 3. Role: `both` needs a crime committed and a different crime
   * suffered, which fails only when each role has exactly one crime and
   * it is the same one. */
  {
    size_t a = 0, b = 0;
    for (size_t k = 0; k < n; k++) {
      size_t a0 = a, b0 = b;
      while (a < n_cr[0] && cr[0][a].person == k) {
        a++;
      }
      while (b < n_cr[1] && cr[1][b].person == k) {
        b++;
      }
      harm_person *ps = &p->persons[k];
      bool did = ps->offences_committed > 0, had = ps->offences_suffered > 0;
      if (did && had) {
        bool one = a - a0 == 1 && b - b0 == 1 &&
                   cr[0][a0].offence == cr[1][b0].offence;
        ps->role = one ? HARM_ROLE_SAME_CRIME : HARM_ROLE_BOTH;
      } else {
        ps->role = had ? HARM_ROLE_VICTIM : HARM_ROLE_OFFENDER;
      }
      if (ps->role == HARM_ROLE_BOTH) {
        /* suffered / caused against the ratio, in integers scaled by
         * the ratio (no division by a zero harm). */
        double s = (double)ps->suffered_units, c = (double)ps->caused_units;
        ps->balance = s > ratio * c   ? HARM_BALANCE_PREDOMINANTLY_VICTIM
                      : s * ratio < c ? HARM_BALANCE_PREDOMINANTLY_OFFENDER
                                      : HARM_BALANCE_BALANCED;
      }
    }
  }

  /* 4. Areas of the people dataset: the union of the sources' areas. */
  {
    size_t cap = 0;
    for (int r = 0; r < 2; r++) {
      if (src[r]) {
        cap += harm_dataset_n_areas(sds[r]);
      }
    }
    areas = harm__malloc((cap + 1) * sizeof *areas);
    if (!areas) {
      st = nomem(err);
      goto done;
    }
    for (int r = 0; r < 2; r++) {
      if (!src[r]) {
        continue;
      }
      const harm_dataset *ds = sds[r];
      for (size_t a = 0; a < harm_dataset_n_areas(ds); a++) {
        areas[n_areas++] = harm_dataset_area(ds, a);
      }
    }
    if (!harm__sort(areas, n_areas, sizeof *areas, cmp_str, NULL)) {
      st = nomem(err);
      goto done;
    }
    size_t na = 0;
    for (size_t a = 0; a < n_areas; a++) {
      if (na == 0 || strcmp(areas[a], areas[na - 1]) != 0) {
        areas[na++] = areas[a];
      }
    }
    n_areas = na;
    for (size_t k = 0; k < n; k++) {
      if (area_at[k] < 0) {
        continue;
      }
      int r = area_at[k] >= 0x40000000;
      const harm_dataset *ds = sds[r];
      const char *name =
          harm_dataset_area(ds, (size_t)(area_at[k] - (r ? 0x40000000 : 0)));
      facts[k].area = (int32_t)find_id((char *const *)areas, n_areas, name);
    }
  }
  const harm_matrix *like = src[0] ? sm[0] : sm[1];
  const harm_dataset *like_ds = src[0] ? sds[0] : sds[1];
  bool has_area = false;
  for (int r = 0; r < 2; r++) {
    if (src[r] && harm_dataset_n_areas(sds[r])) {
      has_area = true;
    }
  }
  if (harm__dataset_of_subjects(
          harm_dataset_source(like_ds), (const char *const *)p->ids, n, areas,
          n_areas, has_area, harm_dataset_as_of(like_ds),
          harm_dataset_lookback_days(like_ds), harm_dataset_accounting(like_ds),
          &p->ds) != HARM_OK) {
    st = nomem(err);
    goto done;
  }

  /* 5. The people aggregate of the ranked role(s), scored and ranked by
   * the shared kernel and order. */
  {
    size_t n_rows = 0;
    bool use[2] = {rank_by != HARM_RANK_BY_SUFFERED && src[0],
                   rank_by != HARM_RANK_BY_CAUSED && src[1]};
    for (int r = 0; r < 2; r++) {
      n_rows += use[r] ? harm_scores_count(src[r]) : 0;
    }
    rows = harm__malloc((n_rows + 1) * sizeof *rows);
    if (!rows) {
      st = nomem(err);
      goto done;
    }
    n_rows = 0;
    for (int r = 0; r < 2; r++) {
      if (!use[r]) {
        continue;
      }
      const harm_matrix *m = sm[r];
      for (size_t i = 0; i < harm_scores_count(src[r]); i++) {
        size_t subj = harm_scores_at(src[r], i)->subject;
        rows[n_rows++] = (harm__people_row){
            .m = m, .subject = subj, .person = person_of[r][subj]};
      }
    }
    st = harm__matrix_people(p->ds, n, rows, n_rows, facts, like, &p->matrix);
    if (st != HARM_OK) {
      st = st == HARM_ERR_LIMIT
               ? harm__fail(err, st, "people", NULL, 0, NULL,
                            "a person has more offences than the counters "
                            "hold")
               : nomem(err);
      goto done;
    }
  }
  st = harm_score_compute(p->matrix, in->weights, in->score_opts, &p->scores,
                          err);
  if (st == HARM_OK) {
    st = harm_rank_compute(p->scores, &p->ranking, err);
  }
  /* Ids in the data that a same_as merge folded into another person,
   * each counted once whichever roles it appears in. */
  for (int r = 0; st == HARM_OK && r < 2; r++) {
    if (!src[r]) {
      continue;
    }
    const harm_dataset *ds = sds[r];
    const harm_dataset *ds0 = r && src[0] ? sds[0] : NULL;
    for (size_t i = 0; i < harm_scores_count(src[r]); i++) {
      const char *id =
          harm_dataset_subject_id(ds, harm_scores_at(src[r], i)->subject, NULL);
      size_t j;
      if (strcmp(harm_people_register_master(in->people, id), id) != 0 &&
          !(ds0 && harm_dataset_find_subject(ds0, id, &j) &&
            person_of[0][j] != SIZE_MAX)) {
        p->merged_ids++;
      }
    }
  }
done:
  for (int r = 0; r < 2; r++) {
    harm__free(person_of[r]);
    harm__free(cr[r]);
  }
  harm__free(all);
  harm__free(facts);
  harm__free(rows);
  harm__free(areas);
  harm__free(area_at);
  harm__free(area_date);
  if (st != HARM_OK) {
    harm_people_free(p);
    return st;
  }
  *out = p;
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
