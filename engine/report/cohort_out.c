/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/report/cohort_out.c: cohort.csv, movers.csv and notes.csv, plus
 * the text of a member's reason and score breakdown. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "report/csv_internal.h"
#include "harmrank/report.h"

static void field(FILE *fp, const char *s) {
  harm_report_csv_field(fp, s, strlen(s), true);
}

const char *harm_report_move_name(harm_move_kind k) {
  switch (k) {
  case HARM_MOVE_NEW:
    return "new";
  case HARM_MOVE_RETAINED:
    return "retained";
  case HARM_MOVE_EXITED:
  default:
    return "exited";
  }
}

const char *harm_report_note_name(harm_note_kind k) {
  static const char *const names[] = {"excluded_would_qualify",
                                      "referral_already_selected",
                                      "referral_excluded",
                                      "referral_no_slot",
                                      "referral_merged",
                                      "tie_at_cut",
                                      "tenure_cap",
                                      "over_capacity",
                                      "no_date_of_birth"};
  return (size_t)k < sizeof names / sizeof *names ? names[k] : "note";
}

void harm_report_member_reason(const harm_member *m, char *buf, size_t cap) {
  switch (m->kind) {
  case HARM_MEMBER_CORE:
    if (m->partition[0]) {
      snprintf(buf, cap, "core rank %zu in %s", m->pool_rank, m->partition);
    } else {
      snprintf(buf, cap, "core rank %zu", m->pool_rank);
    }
    break;
  case HARM_MEMBER_TENURE:
    snprintf(buf, cap, "retained by tenure (month %" PRIu32 ", pool rank %zu)",
             m->months_served, m->pool_rank);
    break;
  case HARM_MEMBER_REFERRAL_TENURE:
    /* Starts with "referral" so next month's run knows the route. */
    snprintf(buf, cap, "referral place kept by tenure (month %" PRIu32 ")",
             m->months_served);
    break;
  case HARM_MEMBER_REFERRAL:
    snprintf(buf, cap, "referral: %s", m->agencies);
    break;
  case HARM_MEMBER_BACKFILL:
  default:
    snprintf(buf, cap, "backfilled referral slot (rank %zu)", m->score_rank);
    break;
  }
}

harm_status harm_report_breakdown(const harm_matrix *m, const harm_scores *s,
                                  const harm_score *sc, size_t max_codes,
                                  char *buf, size_t cap, harm_error *err) {
  buf[0] = '\0';
  harm_score_part *p;
  size_t n;
  harm_status st = harm_score_parts(s, sc, &p, &n, err);
  if (st != HARM_OK) {
    return st;
  }
  size_t used = 0;
  for (size_t k = 0; k < n && k < max_codes; k++) {
    int wrote = snprintf(buf + used, cap - used, "%s%s %.4f (%" PRIu32 ")",
                         k ? "; " : "", harm_matrix_code(m, p[k].code),
                         p[k].harm, p[k].offences);
    if (wrote < 0 || (size_t)wrote >= cap - used) {
      if (cap > 4) {
        strcpy(buf + cap - 4, "...");
      }
      harm__free(p);
      return HARM_OK;
    }
    used += (size_t)wrote;
  }
  if (n > max_codes && cap - used > 5) {
    strcpy(buf + used, "; ...");
  }
  harm__free(p);
  return HARM_OK;
}

static harm_status io_check(FILE *fp, harm_error *err) {
  if (ferror(fp)) {
    return harm__fail(err, HARM_ERR_IO, "report", NULL, 0, NULL, "write error");
  }
  return HARM_OK;
}

/* cohort.csv's header row. */
static void cohort_header(FILE *fp, const harm_people *people,
                          const harm_report_column *extra) {
  fputs("slot,offender_id,reason,partition,score_rank,pool_rank,harm,"
        "offences,victims,first_offence,last_offence,max_offence_harm,"
        "top_code,breakdown,agencies,referral_reason,referred_on,"
        "months_served,rfgv_r,rfgv_f,rfgv_g,rfgv_v,rfgv_total",
        fp);
  fputs(people ? ",harm_caused,harm_suffered,role,role_balance,age" : "", fp);
  if (extra) {
    fputc(',', fp);
    field(fp, extra->name);
  }
  fputc('\n', fp);
}

/* The score columns of a member's row (harm to top_code) and the
 * breakdown text (left empty for a member without a score). */
static harm_status score_cells(FILE *fp, const harm_matrix *m,
                               const harm_scores *s, const harm_score *sc,
                               char *breakdown, size_t cap, harm_error *err) {
  if (!sc) {
    fputs(",0.0000,0,0,,,0.0000,", fp);
    return HARM_OK;
  }
  char first[11], last[11];
  harm_subject_facts f = harm_score_facts(s, sc);
  harm_date_format_iso(f.first, first);
  harm_date_format_iso(f.last, last);
  fprintf(fp, ",%.4f,%" PRIu32 ",%" PRIu32 ",%s,%s,%.4f,", sc->harm, f.offences,
          f.victims, first, last, sc->max_offence_harm);
  if (sc->top_code >= 0) {
    field(fp, harm_matrix_code(m, (size_t)sc->top_code));
  }
  return harm_report_breakdown(m, s, sc, 3, breakdown, cap, err);
}

/* The people columns of a member's row (empty without a person). */
static void person_cells(FILE *fp, const harm_people *people,
                         const harm_score *sc) {
  const harm_person *p = sc ? harm_people_at(people, sc->subject) : NULL;
  if (p) {
    harm__report_person_cols(fp, p);
    fputc(',', fp);
    if (p->age >= 0) {
      fprintf(fp, "%" PRId32, p->age);
    }
  } else {
    fputs(",,,,,", fp);
  }
}

/* One member's row of cohort.csv. */
static harm_status member_row(FILE *fp, const harm_cohort *c,
                              const harm_member *mb,
                              const harm_report_column *extra,
                              harm_error *err) {
  const harm_scores *s = harm_cohort_input_used(c)->scores;
  const harm_matrix *m = harm_cohort_input_used(c)->matrix;
  bool rfgv = harm_cohort_rules_used(c)->rfgv;
  const harm_people *people = harm_cohort_input_used(c)->people;
  char reason[512], breakdown[512] = "", ref_on[11] = "";
  harm_report_member_reason(mb, reason, sizeof reason);
  harm_date_format_iso(mb->referred_on, ref_on);
  fprintf(fp, "%zu,", mb->slot);
  field(fp, mb->offender_id);
  fputc(',', fp);
  field(fp, reason);
  fputc(',', fp);
  field(fp, mb->partition);
  fputc(',', fp);
  if (mb->score_rank) {
    fprintf(fp, "%zu", mb->score_rank);
  }
  fputc(',', fp);
  if (mb->pool_rank) {
    fprintf(fp, "%zu", mb->pool_rank);
  }
  const harm_score *sc = mb->score;
  harm_status st = score_cells(fp, m, s, sc, breakdown, sizeof breakdown, err);
  if (st != HARM_OK) {
    return st;
  }
  fputc(',', fp);
  field(fp, breakdown);
  fputc(',', fp);
  field(fp, mb->agencies);
  fputc(',', fp);
  field(fp, mb->referral_reason);
  fprintf(fp, ",%s,%" PRIu32, ref_on, mb->months_served);
  if (rfgv && sc) {
    fprintf(fp, ",%g,%g,%g,%g,%g", mb->rfgv.r, mb->rfgv.f, mb->rfgv.g,
            mb->rfgv.v, mb->rfgv.total);
  } else {
    fputs(",,,,,", fp);
  }
  if (people) {
    person_cells(fp, people, sc);
  }
  harm__report_extra_cell(fp, extra, mb->offender_id,
                          mb->score ? mb->score->subject : SIZE_MAX);
  fputc('\n', fp);
  return HARM_OK;
}

harm_status harm_report_cohort(FILE *fp, const harm_cohort *c,
                               const harm_report_column *extra,
                               harm_error *err) {
  cohort_header(fp, harm_cohort_input_used(c)->people, extra);
  for (size_t i = 0; i < harm_cohort_count(c); i++) {
    harm_status st = member_row(fp, c, harm_cohort_member(c, i), extra, err);
    if (st != HARM_OK) {
      return st;
    }
  }
  return io_check(fp, err);
}

harm_status harm_report_movers(FILE *fp, const harm_cohort *c,
                               harm_error *err) {
  fputs("status,offender_id,previous_rank,current_rank,detail\n", fp);
  for (size_t i = 0; i < harm_cohort_n_moves(c); i++) {
    const harm_move *mv = harm_cohort_move(c, i);
    fprintf(fp, "%s,", harm_report_move_name(mv->kind));
    field(fp, mv->offender_id);
    fputc(',', fp);
    if (mv->previous_rank) {
      fprintf(fp, "%zu", mv->previous_rank);
    }
    fputc(',', fp);
    if (mv->current_rank) {
      fprintf(fp, "%zu", mv->current_rank);
    }
    fputc(',', fp);
    field(fp, mv->detail);
    fputc('\n', fp);
  }
  return io_check(fp, err);
}

harm_status harm_report_notes(FILE *fp, const harm_cohort *c, harm_error *err) {
  fputs("note,offender_id,score_rank,partition,detail\n", fp);
  for (size_t i = 0; i < harm_cohort_n_notes(c); i++) {
    const harm_note *n = harm_cohort_note(c, i);
    fprintf(fp, "%s,", harm_report_note_name(n->kind));
    field(fp, n->offender_id);
    fputc(',', fp);
    if (n->score_rank) {
      fprintf(fp, "%zu", n->score_rank);
    }
    fputc(',', fp);
    field(fp, n->partition);
    fputc(',', fp);
    field(fp, n->detail);
    fputc('\n', fp);
  }
  return io_check(fp, err);
}
