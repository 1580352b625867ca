/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/report/csvout.c: CSV writers for scores.csv and rejects.csv, with
 * RFC 4180 quoting and spreadsheet formula neutralisation. */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "report/csv_internal.h"
#include "ingest/dataset.h"
#include "score/matrix.h"
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

/* One row of scores.csv: rank k of the listing. */
static void score_row(FILE *fp, const ranked *in,
                      const harm_report_column *extra, size_t k) {
  const harm_score *sc = harm_ranking_at(in->r, k);
  const harm_subject_facts f = harm_score_facts(harm_ranking_scores(in->r), sc);
  /* "k," then the id, then ",harm,offences,victims,first,last,max," with
   * the numbers printed by hand (printf's "%.4f" for the two harms: see
   * harm__fmt_fixed4), a third of the row's time in printf otherwise. */
  char line[2 * HARM__FIXED4_MAX + 96];
  size_t at = harm__fmt_u64(line, k);
  line[at++] = ',';
  fwrite(line, 1, at, fp);
  field(fp, harm_dataset_subject_id(in->ds, sc->subject, NULL));
  line[0] = ',';
  at = 1 + harm__fmt_fixed4(line + 1, HARM__FIXED4_MAX, sc->harm);
  line[at++] = ',';
  at += harm__fmt_u64(line + at, f.offences);
  line[at++] = ',';
  at += harm__fmt_u64(line + at, f.victims);
  line[at++] = ',';
  harm_date_format_iso(f.first, line + at);
  at += strlen(line + at);
  line[at++] = ',';
  harm_date_format_iso(f.last, line + at);
  at += strlen(line + at);
  line[at++] = ',';
  at += harm__fmt_fixed4(line + at, HARM__FIXED4_MAX, sc->max_offence_harm);
  line[at++] = ',';
  fwrite(line, 1, at, fp);
  if (sc->top_code >= 0) {
    field(fp, harm_matrix_code(in->m, (size_t)sc->top_code));
  }
  if (in->people) {
    harm__report_person_cols(fp, harm_people_at(in->people, sc->subject));
  }
  if (in->rfgv) {
    const harm_rfgv *v = &in->rfgv[harm_ranking_index(in->r, k)];
    fprintf(fp, ",%g,%g,%g,%g,%g", v->r, v->f, v->g, v->v, v->total);
  }
  extra_cell(fp, extra, harm_dataset_subject_id(in->ds, sc->subject, NULL),
             sc->subject);
  fputc('\n', fp);
}

/* Rows k0 to k1 - 1. Each row reads its score, its id's offset and the
 * id's bytes, each a cache miss in a long list (ranks are in no memory
 * order): the three are fetched ahead, 16, 8 and 4 rows before they are
 * read, each once the one before it has arrived. */
static void score_rows(FILE *fp, const ranked *in,
                       const harm_report_column *extra, size_t k0, size_t k1) {
  const harm_scores *s = harm_ranking_scores(in->r);
  const harm__strpool *ids = &in->ds->subjects;
  for (size_t k = k0; k < k1; k++) {
#if defined(__GNUC__)
    if (k + 16 < k1) {
      __builtin_prefetch(harm_scores_at(s, harm_ranking_index(in->r, k + 16)));
    }
    if (k + 8 < k1) {
      size_t subj =
          harm_scores_at(s, harm_ranking_index(in->r, k + 8))->subject;
      if (ids->offset) { /* (none for ids of one length: stride) */
        __builtin_prefetch(&ids->offset[subj]);
      }
      __builtin_prefetch(&harm_scores_matrix(s)->facts[subj]);
    }
    if (k + 4 < k1) {
      size_t subj =
          harm_scores_at(s, harm_ranking_index(in->r, k + 4))->subject;
      __builtin_prefetch(harm_dataset_subject_id(in->ds, subj, NULL));
    }
#endif
    score_row(fp, in, extra, k);
  }
}

/* ---- Long listings on several threads ---------------------------------
 * A listing of every offender (1.4 million rows for ten million offences)
 * spent 2.5 s in this writer, one row at a time, each row a few cache
 * misses (its score, id and code) and two doubles printed. Rows are
 * formatted by the same score_rows, harm__report_rows_batch ranks at a
 * time cut into one slice per thread, each thread printing its slice
 * into a memory stream of its own (reused from batch to batch), and the
 * slices are written to the file in rank order: the bytes are those of
 * one thread. */
size_t harm__report_rows_min = 1 << 14, harm__report_rows_batch = 1 << 16;

typedef struct rows_job {
  const ranked *in;
  const harm_report_column *extra;
  size_t k0, k1; /* ranks [k0, k1) */
  FILE *ms;      /* open_memstream over text and len */
  char *text;
  size_t len;
  bool failed;
} rows_job;

static int rows_format(void *arg) {
  rows_job *j = arg;
  /* From the start of the stream again: its length is then this batch's
   * bytes (POSIX: the smaller of the buffer and the position). */
  if (fseeko(j->ms, 0, SEEK_SET) != 0) {
    j->failed = true;
    return 0;
  }
  score_rows(j->ms, j->in, j->extra, j->k0, j->k1);
  j->failed = j->failed || fflush(j->ms) != 0 || ferror(j->ms);
  return 0;
}

/* Rows [1, n] on T threads. HARM_ERR_NOMEM when the memory streams
 * cannot be opened (nothing written: the caller writes the rows on one
 * thread) or fail on the way; HARM_ERR_IO on a write error. */
static harm_status rows_parallel(FILE *fp, const ranked *in,
                                 const harm_report_column *extra, size_t n,
                                 unsigned T, bool *started) {
  rows_job jobs[HARM__PAR_MAX];
  unsigned open = 0;
  while (open < T) {
    jobs[open] = (rows_job){.in = in, .extra = extra};
    jobs[open].ms = open_memstream(&jobs[open].text, &jobs[open].len);
    if (!jobs[open].ms) {
      break;
    }
    open++;
  }
  harm_status st = open == T ? HARM_OK : HARM_ERR_NOMEM;
  *started = st == HARM_OK;
  const size_t batch = harm__report_rows_batch ? harm__report_rows_batch : 1;
  for (size_t b = 1; st == HARM_OK && b <= n; b += batch) {
    size_t e = n - b + 1 < batch ? n + 1 : b + batch;
    for (unsigned t = 0; t < T; t++) {
      jobs[t].k0 = b + (e - b) * t / T;
      jobs[t].k1 = b + (e - b) * (t + 1) / T;
    }
    harm__par_run(rows_format, jobs, sizeof *jobs, T);
    for (unsigned t = 0; st == HARM_OK && t < T; t++) {
      if (jobs[t].failed) {
        st = HARM_ERR_NOMEM;
      } else if (fwrite(jobs[t].text, 1, jobs[t].len, fp) != jobs[t].len) {
        st = HARM_ERR_IO;
      }
    }
  }
  for (unsigned t = 0; t < open; t++) {
    fclose(jobs[t].ms);
    free(jobs[t].text); /* open_memstream's buffer: the C library's */
  }
  return st;
}

static harm_status scores(FILE *fp, const ranked *in,
                          const harm_report_column *extra, size_t top_n,
                          harm_error *err) {
  const harm_rfgv *rfgv = in->rfgv;
  size_t n = harm_ranking_count(in->r);
  if (top_n && top_n < n) {
    n = top_n;
  }
  fputs("rank,offender_id,harm,offences,victims,first_offence,last_offence,"
        "max_offence_harm,top_code",
        fp);
  fputs(in->people ? ",harm_caused,harm_suffered,role,role_balance" : "", fp);
  fputs(rfgv ? ",rfgv_r,rfgv_f,rfgv_g,rfgv_v,rfgv_total" : "", fp);
  if (extra) {
    fputc(',', fp);
    field(fp, extra->name);
  }
  fputc('\n', fp);
  /* Several threads when the list is long and its extra column (if any)
   * may be asked from several at once; one when the memory streams
   * cannot even be opened. */
  /* (SIZE_MAX: past harm__par_min, whose 65,536 items are the tail's
   * threshold, not this writer's.) */
  unsigned T = n >= harm__report_rows_min && (!extra || extra->reentrant)
                   ? harm__par_threads(in->m->threads, SIZE_MAX)
                   : 1;
  bool started = false;
  harm_status st =
      T > 1 ? rows_parallel(fp, in, extra, n, T, &started) : HARM_OK;
  if (st == HARM_ERR_NOMEM && started) {
    return harm__fail(err, HARM_ERR_NOMEM, "report", NULL, 0, NULL,
                      "out of memory writing the rows");
  }
  if (!started) {
    score_rows(fp, in, extra, 1, n + 1);
  }
  if (st == HARM_ERR_IO || ferror(fp)) {
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
