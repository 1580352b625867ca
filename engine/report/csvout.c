/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/report/csvout.c: CSV writers for scores.csv and rejects.csv, with
 * RFC 4180 quoting and spreadsheet formula neutralisation. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "report/csv_internal.h"
#include "harmrank/report.h"

bool harm_report_formula_like(const char *s, size_t len) {
  if (!s || len == 0) {
    return false;
  }
  if (s[0] == '\t' || s[0] == '\r') {
    return true;
  }
  /* Spreadsheets skip leading blanks and line breaks before reading a
   * formula: look past them. */
  size_t i = 0;
  while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
                     s[i] == '\n' || s[i] == '\v' || s[i] == '\f')) {
    i++;
  }
  return i < len && (s[i] == '=' || s[i] == '+' || s[i] == '-' || s[i] == '@');
}

void harm_report_csv_field(FILE *fp, const char *s, size_t len,
                           bool neutralise) {
  bool formula = neutralise && harm_report_formula_like(s, len);
  bool quote = false;
  for (size_t i = 0; i < len && !quote; i++) {
    quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
  }
  if (quote) {
    fputc('"', fp);
  }
  if (formula) {
    fputc('\'', fp);
  }
  /* Runs between quotes in one write each; a quote is doubled. */
  size_t from = 0;
  for (size_t i = 0; quote && i < len; i++) {
    if (s[i] == '"') {
      fwrite(s + from, 1, i + 1 - from, fp);
      from = i; /* the quote again, from the next run */
    }
  }
  fwrite(s + from, 1, len - from, fp);
  if (quote) {
    fputc('"', fp);
  }
}

static void field(FILE *fp, const char *s) {
  harm_report_csv_field(fp, s, strlen(s), true);
}

void harm__report_extra_cell(FILE *fp, const harm_report_column *extra,
                             const char *id, size_t subject) {
  if (extra) {
    char buf[1024];
    extra->text(extra->ctx, id, subject, buf, sizeof buf);
    fputc(',', fp);
    field(fp, buf);
  }
}
#define extra_cell harm__report_extra_cell

/* The people columns of a person (people mode), after a comma. */
void harm__report_person_cols(FILE *fp, const harm_person *p) {
  fprintf(fp, ",%.4f,%.4f,", p->harm_caused, p->harm_suffered);
  field(fp, harm_people_role_name(p->role));
  fputc(',', fp);
  field(fp, harm_people_balance_name(p->balance));
}

/* What a scores listing reads, each handed over by its owner. */
typedef struct ranked {
  const harm_dataset *ds; /* subject ids */
  const harm_matrix *m;   /* code names */
  const harm_ranking *r;
  const harm_people *people; /* people mode, or NULL */
  const harm_rfgv *rfgv;     /* per score index, or NULL */
} ranked;

static harm_status scores(FILE *fp, const ranked *in,
                          const harm_report_column *extra, size_t top_n,
                          harm_error *err);

harm_status harm_report_scores(FILE *fp, const harm_run *run,
                               const harm_report_column *extra, size_t top_n,
                               harm_error *err) {
  ranked in = {.ds = harm_run_dataset(run),
               .m = harm_run_matrix(run),
               .r = harm_run_model_ranking(run),
               .rfgv = harm_run_rfgv(run)};
  return scores(fp, &in, extra, top_n, err);
}

harm_status harm_report_people_scores(FILE *fp, const harm_people *p,
                                      size_t top_n, harm_error *err) {
  ranked in = {.ds = harm_people_dataset(p),
               .m = harm_people_matrix(p),
               .r = harm_people_ranking(p),
               .people = p};
  return scores(fp, &in, NULL, top_n, err);
}

static harm_status scores(FILE *fp, const ranked *in,
                          const harm_report_column *extra, size_t top_n,
                          harm_error *err) {
  const harm_matrix *m = in->m;
  const harm_dataset *ds = in->ds;
  const harm_ranking *r = in->r;
  const harm_people *people = in->people;
  const harm_rfgv *rfgv = in->rfgv;
  size_t n = harm_ranking_count(r);
  if (top_n && top_n < n) {
    n = top_n;
  }
  fputs("rank,offender_id,harm,offences,victims,first_offence,last_offence,"
        "max_offence_harm,top_code",
        fp);
  fputs(people ? ",harm_caused,harm_suffered,role,role_balance" : "", fp);
  fputs(rfgv ? ",rfgv_r,rfgv_f,rfgv_g,rfgv_v,rfgv_total" : "", fp);
  if (extra) {
    fputc(',', fp);
    field(fp, extra->name);
  }
  fputc('\n', fp);
  for (size_t k = 1; k <= n; k++) {
    const harm_score *sc = harm_ranking_at(r, k);
    char first[11], last[11];
    harm_date_format_iso(sc->facts.first, first);
    harm_date_format_iso(sc->facts.last, last);
    fprintf(fp, "%zu,", k);
    field(fp, harm_dataset_subject_id(ds, sc->subject, NULL));
    fprintf(fp, ",%.4f,%" PRIu32 ",%" PRIu32 ",%s,%s,%.4f,", sc->harm,
            sc->facts.offences, sc->facts.victims, first, last,
            sc->max_offence_harm);
    if (sc->top_code >= 0) {
      field(fp, harm_matrix_code(m, (size_t)sc->top_code));
    }
    if (people) {
      harm__report_person_cols(fp, harm_people_at(people, sc->subject));
    }
    if (rfgv) {
      const harm_rfgv *v = &rfgv[harm_ranking_index(r, k)];
      fprintf(fp, ",%g,%g,%g,%g,%g", v->r, v->f, v->g, v->v, v->total);
    }
    extra_cell(fp, extra, harm_dataset_subject_id(ds, sc->subject, NULL),
               sc->subject);
    fputc('\n', fp);
  }
  if (ferror(fp)) {
    return harm__fail(err, HARM_ERR_IO, "report", NULL, 0, NULL, "write error");
  }
  return HARM_OK;
}

void harm_report_rejects_header(FILE *fp) {
  fputs("line,column,reason,raw\n", fp);
}

void harm_report_reject(FILE *fp, const harm_reject *r) {
  fprintf(fp, "%zu,", r->line);
  field(fp, r->column);
  fputc(',', fp);
  field(fp, r->reason);
  fputc(',', fp);
  harm_report_csv_field(fp, r->raw, r->raw_len, true);
  fputc('\n', fp);
}
