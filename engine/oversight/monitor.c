/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/oversight/monitor.c: `harmrank monitor`: selection rates by
 * group. The pool is rebuilt from the run's manifest through the library
 * (the recorded configuration over the recorded offences file); the
 * groups file is read here only and never reaches scoring. Ratios of
 * proportions carry the Katz log interval (Katz, Baptista, Azen & Pike
 * 1978, "Obtaining confidence intervals for the risk ratio in cohort
 * studies", Biometrics 34:469-474): ln(RR) +- 1.96 sqrt(1/a - 1/n1 + 1/c -
 * 1/n2). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "oversight/internal.h"

#define NOT_RECORDED "(not recorded)"

struct harm_monitoring {
  harm_monitor_row *rows;
  size_t n_rows;
  char **names;
  bool has_reference;
  harm__notes notes;
};

static harm_status nomem(harm_error *err) {
  return harm__fail(err, HARM_ERR_NOMEM, "monitor", NULL, 0, NULL,
                    "out of memory");
}

void harm_monitoring_free(harm_monitoring *m) {
  if (!m) {
    return;
  }
  for (size_t i = 0; i < m->n_rows; i++) {
    harm__free(m->names[i]);
  }
  harm__free(m->names);
  harm__free(m->rows);
  harm__notes_free(&m->notes);
  harm__free(m);
}

/* Katz: the ratio (a/n1)/(c/n2) and its 95% interval. */
static void katz(double a, double n1, double c, double n2, double *ratio,
                 double *lo, double *hi) {
  *ratio = *lo = *hi = NAN;
  if (n1 <= 0 || n2 <= 0 || c <= 0) {
    return;
  }
  *ratio = (a / n1) / (c / n2);
  if (a <= 0) {
    return;
  }
  double se = sqrt(1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n2);
  *lo = exp(log(*ratio) - 1.959963984540054 * se);
  *hi = exp(log(*ratio) + 1.959963984540054 * se);
}

/* The row of `name`, made when new. */
static harm_monitor_row *row_of(harm_monitoring *m, const char *name,
                                size_t *cap) {
  for (size_t i = 0; i < m->n_rows; i++) {
    if (strcmp(m->names[i], name) == 0) {
      return &m->rows[i];
    }
  }
  if (m->n_rows == *cap) {
    size_t c = *cap ? *cap * 2 : 16;
    harm_monitor_row *r = harm__reallocarray(m->rows, c, sizeof *r);
    if (!r) {
      return NULL;
    }
    m->rows = r;
    char **n = harm__reallocarray(m->names, c, sizeof *n);
    if (!n) {
      return NULL;
    }
    m->names = n;
    *cap = c;
  }
  char *copy = harm__strdup(name);
  if (!copy) {
    return NULL;
  }
  m->names[m->n_rows] = copy;
  harm_monitor_row *r = &m->rows[m->n_rows++];
  memset(r, 0, sizeof *r);
  r->group = copy;
  return r;
}

/* An id as the rebuilt run spells it. */
static harm_status map_id(const harm_monitor_opts *o, bool already,
                          const char *id, char *buf, size_t cap) {
  if (o->pseudonym_key && !already && !harm_pseudonym_shaped(id)) {
    char ps[HARM_PSEUDONYM_LEN + 1];
    harm_status st = harm_pseudonym(o->pseudonym_key, o->pseudonym_key_len, id,
                                    strlen(id), ps);
    snprintf(buf, cap, "%s", ps);
    return st;
  }
  snprintf(buf, cap, "%s", id);
  return HARM_OK;
}

static int by_name(const void *a, const void *b, void *ctx) {
  (void)ctx;
  const harm_monitor_row *x = a, *y = b;
  bool nx = strcmp(x->group, NOT_RECORDED) == 0;
  bool ny = strcmp(y->group, NOT_RECORDED) == 0;
  if (nx != ny) {
    return nx ? 1 : -1;
  }
  return strcmp(x->group, y->group);
}

/* What the steps of harm_monitor_new share. */
typedef struct mon_ctx {
  harm_monitoring *m;
  const harm_monitor_opts *o;
  harm_error *err;
  char path[4096];                 /* the run file being read */
  harm_oversight_manifest *man;    /* the run's manifest, owned */
  harm__rebuilt rb;                /* the run rebuilt, owned */
  const harm_cohort *pool;         /* everyone scored, borrowed from rb */
  harm__table cohort, groups, ref; /* the run's list; --groups; --reference */
  int g_id, g_by, c_id;            /* columns of groups and cohort */
  int r_group, r_count;            /* columns of ref */
  char (*gid)[HARM_PSEUDONYM_LEN + 256]; /* groups' ids as the run spells
                                            them, owned */
  char (*lid)[HARM_PSEUDONYM_LEN + 256]; /* the list's ids, the same */
  size_t total_scored, total_selected;
  double ref_total; /* the reference population */
} mon_ctx;

/* Loads the run's manifest, checks that its offences file is unchanged,
 * and rebuilds its pool of everyone scored. */
static harm_status rebuild_pool(mon_ctx *x) {
  const harm_monitor_opts *o = x->o;
  harm_error *err = x->err;
  char *path = x->path;
  harm__join(path, sizeof x->path, o->run, "manifest.json");
  harm_status st = harm_oversight_manifest_load(path, &x->man, err);
  harm_oversight_manifest *man = x->man;
  if (st == HARM_OK && strcmp(harm_oversight_manifest_command(man), "cohort")) {
    st = harm__fail(err, HARM_ERR_DATA, "monitor", path, 0, NULL,
                    "not a cohort run");
  }
  if (st == HARM_OK) {
    const harm_oversight_file *f =
        harm_oversight_manifest_find_input(man, "offences");
    harm_oversight_check c =
        f ? harm_oversight_check_file(f->resolved, f->sha256, NULL)
          : HARM_CHECK_MISSING;
    if (c == HARM_CHECK_MISSING) {
      st = harm__fail(err, HARM_ERR_IO, "monitor", f ? f->path : path, 0, NULL,
                      "the run's offences file is missing: the pool cannot "
                      "be rebuilt");
    } else if (c != HARM_CHECK_SAME) {
      st = harm__fail(err, HARM_ERR_DATA, "monitor", f->path, 0, NULL,
                      "the run's offences file has changed since the run "
                      "(harmrank verify names what changed): its pool "
                      "cannot be rebuilt");
    }
  }
  if (st == HARM_OK) {
    st = harm__rebuild(man, NULL, harm_oversight_manifest_as_of(man),
                       harm_oversight_manifest_lookback(man), o->pseudonym_key,
                       o->pseudonym_key_len, o->threads, false, harm__notes_add,
                       &x->m->notes, &x->rb, err);
  }
  if (st == HARM_OK) {
    st = harm__pool(&x->rb, harm_scores_count(harm_run_scores(x->rb.run, 0)),
                    &x->pool, err);
  }
  return st;
}

/* Loads the run's cohort.csv and the groups file and finds their
 * columns. */
static harm_status load_lists(mon_ctx *x) {
  const harm_monitor_opts *o = x->o;
  harm_error *err = x->err;
  harm__join(x->path, sizeof x->path, o->run, "cohort.csv");
  harm_status st = harm__table_load(x->path, &x->cohort, err);
  if (st == HARM_OK) {
    st = harm__table_load(o->groups, &x->groups, err);
  }
  x->g_id = st == HARM_OK ? harm__table_col(&x->groups, "offender_id") : -1;
  x->g_by = st == HARM_OK ? harm__table_col(&x->groups, o->by) : -1;
  x->c_id = st == HARM_OK ? harm__table_col(&x->cohort, "offender_id") : -1;
  if (st == HARM_OK && (x->g_id < 0 || x->g_by < 0)) {
    st = harm__fail(err, HARM_ERR_DATA, "monitor", o->groups, 1,
                    x->g_id < 0 ? "offender_id" : o->by,
                    "the groups file has no such column");
  }
  if (st == HARM_OK && x->c_id < 0) {
    st = harm__fail(err, HARM_ERR_DATA, "monitor", x->path, 1, "offender_id",
                    "not a cohort.csv written by harmrank");
  }
  return st;
}

/* The groups file's and the list's ids as the run spells them; an id
 * twice in the groups file is an error (which group would count?). */
static harm_status spell_ids(mon_ctx *x) {
  const harm_monitor_opts *o = x->o;
  harm_error *err = x->err;
  bool pseud = x->man && harm_oversight_manifest_pseudonymised(x->man);
  x->gid = harm__calloc(x->groups.n_rows + 1, sizeof *x->gid);
  x->lid = harm__calloc(x->cohort.n_rows + 1, sizeof *x->lid);
  harm_status st = x->gid && x->lid ? HARM_OK : nomem(err);
  char(*gid)[HARM_PSEUDONYM_LEN + 256] = x->gid;
  char(*lid)[HARM_PSEUDONYM_LEN + 256] = x->lid;
  for (size_t i = 0; st == HARM_OK && i < x->groups.n_rows; i++) {
    st = map_id(o, false, harm__table_cell(&x->groups, i, x->g_id), gid[i],
                sizeof gid[i]);
    for (size_t k = 0; st == HARM_OK && k < i; k++) {
      if (strcmp(gid[k], gid[i]) == 0) {
        st = harm__fail(err, HARM_ERR_DATA, "monitor", o->groups, i + 2,
                        "offender_id", "the id of line %zu appears again",
                        k + 2);
      }
    }
  }
  for (size_t i = 0; st == HARM_OK && i < x->cohort.n_rows; i++) {
    st = map_id(o, pseud, harm__table_cell(&x->cohort, i, x->c_id), lid[i],
                sizeof lid[i]);
  }
  return st;
}

/* Counts everyone in the pool, and anyone on the list outside it, into
 * the row of their group. */
static harm_status count_groups(mon_ctx *x) {
  harm_status st = HARM_OK;
  const harm_cohort *pool = x->pool;
  const harm__table *cohort = &x->cohort, *groups = &x->groups;
  size_t cap = 0, n_pool = harm_cohort_count(pool);
  for (size_t i = 0; st == HARM_OK && i < n_pool + cohort->n_rows; i++) {
    const char *id = i < n_pool ? harm_cohort_member(pool, i)->offender_id
                                : x->lid[i - n_pool];
    bool listed = false, in_pool = false;
    for (size_t k = 0; k < cohort->n_rows && !listed; k++) {
      listed = strcmp(x->lid[k], id) == 0;
    }
    if (i >= n_pool) {
      for (size_t k = 0; k < n_pool && !in_pool; k++) {
        in_pool = strcmp(harm_cohort_member(pool, k)->offender_id, id) == 0;
      }
      if (in_pool) {
        continue; /* counted with the pool */
      }
    }
    const char *group = NOT_RECORDED;
    for (size_t k = 0; k < groups->n_rows; k++) {
      if (strcmp(x->gid[k], id) == 0) {
        group = harm__table_cell(groups, k, x->g_by);
        group = group[0] ? group : NOT_RECORDED;
        break;
      }
    }
    harm_monitor_row *r = row_of(x->m, group, &cap);
    if (!r) {
      st = nomem(x->err);
      break;
    }
    r->scored++;
    r->selected += listed;
    x->total_scored++;
    x->total_selected += listed;
  }
  return st;
}

/* Loads the --reference file and adds up its population. */
static harm_status load_reference(mon_ctx *x) {
  const harm_monitor_opts *o = x->o;
  harm_error *err = x->err;
  harm_status st = harm__table_load(o->reference, &x->ref, err);
  x->m->has_reference = true;
  x->r_group = st == HARM_OK ? harm__table_col(&x->ref, "group") : -1;
  x->r_count = st == HARM_OK ? harm__table_col(&x->ref, "count") : -1;
  if (st == HARM_OK && (x->r_group < 0 || x->r_count < 0)) {
    st = harm__fail(err, HARM_ERR_DATA, "monitor", o->reference, 1, NULL,
                    "a reference file needs columns group,count");
  }
  for (size_t i = 0; st == HARM_OK && i < x->ref.n_rows; i++) {
    const char *v = harm__table_cell(&x->ref, i, x->r_count);
    double d;
    if (!harm__parse_double(v, strlen(v), &d) || d < 0) {
      st = harm__fail(err, HARM_ERR_DATA, "monitor", o->reference, i + 2,
                      "count", "\"%s\" is not a count", v);
    }
    x->ref_total += d;
  }
  return st;
}

/* Sorts the groups by name and fills in each one's rate, ratios and
 * note. */
static harm_status fill_rates(mon_ctx *x) {
  harm_monitoring *m = x->m;
  const harm_monitor_opts *o = x->o;
  const harm__table *ref = &x->ref;
  if (!harm__sort(m->rows, m->n_rows, sizeof *m->rows, by_name, NULL)) {
    return nomem(x->err);
  }
  for (size_t i = 0; i < m->n_rows; i++) {
    harm_monitor_row *r = &m->rows[i];
    r->rate = r->scored ? (double)r->selected / (double)r->scored : NAN;
    katz((double)r->selected, (double)r->scored,
         (double)(x->total_selected - r->selected),
         (double)(x->total_scored - r->scored), &r->ratio, &r->ratio_low,
         &r->ratio_high);
    r->reference = r->reference_ratio = r->reference_low = r->reference_high =
        NAN;
    if (o->reference) {
      r->reference = 0;
      for (size_t k = 0; k < ref->n_rows; k++) {
        if (strcmp(harm__table_cell(ref, k, x->r_group), r->group) == 0) {
          const char *v = harm__table_cell(ref, k, x->r_count);
          harm__parse_double(v, strlen(v), &r->reference);
        }
      }
      katz((double)r->selected, (double)x->total_selected, r->reference,
           x->ref_total, &r->reference_ratio, &r->reference_low,
           &r->reference_high);
    }
    r->note = r->selected < 5 ? "small numbers: fewer than 5 selected" : "";
  }
  return HARM_OK;
}

harm_status harm_monitor_new(const harm_monitor_opts *o, harm_monitoring **out,
                             harm_error *err) {
  *out = NULL;
  if (!o || !o->run || !o->groups || !o->by || !o->by[0]) {
    return harm__fail(err, HARM_ERR_USAGE, "monitor", NULL, 0, NULL,
                      "pass --run OUT_DIR, --groups FILE and --by COLUMN");
  }
  mon_ctx x;
  memset(&x, 0, sizeof x);
  x.o = o;
  x.err = err;
  x.r_group = x.r_count = -1;
  harm_monitoring *m = x.m = harm__calloc(1, sizeof *m);
  harm_status st = m ? rebuild_pool(&x) : nomem(err);
  if (st == HARM_OK) {
    st = load_lists(&x);
  }
  if (st == HARM_OK) {
    st = spell_ids(&x);
  }
  if (st == HARM_OK) {
    st = count_groups(&x);
  }
  harm__free(x.gid);
  harm__free(x.lid);
  if (st == HARM_OK && o->reference) {
    st = load_reference(&x);
  }
  if (st == HARM_OK) {
    st = fill_rates(&x);
  }
  if (st == HARM_OK && m->notes.failed) {
    st = nomem(err);
  }
  harm__table_free(&x.cohort);
  harm__table_free(&x.groups);
  harm__table_free(&x.ref);
  harm__rebuilt_free(&x.rb);
  harm_oversight_manifest_free(x.man);
  if (st != HARM_OK) {
    harm_monitoring_free(m);
    return st;
  }
  *out = m;
  return HARM_OK;
}

size_t harm_monitoring_n_rows(const harm_monitoring *m) { return m->n_rows; }
const harm_monitor_row *harm_monitoring_row(const harm_monitoring *m,
                                            size_t i) {
  return i < m->n_rows ? &m->rows[i] : NULL;
}
size_t harm_monitoring_n_notes(const harm_monitoring *m) { return m->notes.n; }
const char *harm_monitoring_note(const harm_monitoring *m, size_t i) {
  return i < m->notes.n ? m->notes.text[i] : NULL;
}

static void num(FILE *fp, double v, const char *fmt) {
  fputc(',', fp);
  if (!isnan(v) && !isinf(v)) {
    fprintf(fp, fmt, v);
  }
}

harm_status harm_monitor_write_csv(FILE *fp, const harm_monitoring *m,
                                   harm_error *err) {
  fputs("group,scored,selected,selection_rate,ratio,ratio_low,ratio_high", fp);
  if (m->has_reference) {
    fputs(",reference,reference_ratio,reference_low,reference_high", fp);
  }
  fputs(",note\n", fp);
  for (size_t i = 0; i < m->n_rows; i++) {
    const harm_monitor_row *r = &m->rows[i];
    harm_report_csv_field(fp, r->group, strlen(r->group), true);
    fprintf(fp, ",%zu,%zu", r->scored, r->selected);
    num(fp, r->rate, "%.4f");
    num(fp, r->ratio, "%.4f");
    num(fp, r->ratio_low, "%.4f");
    num(fp, r->ratio_high, "%.4f");
    if (m->has_reference) {
      num(fp, r->reference, "%.0f");
      num(fp, r->reference_ratio, "%.4f");
      num(fp, r->reference_low, "%.4f");
      num(fp, r->reference_high, "%.4f");
    }
    fputc(',', fp);
    fputs(r->note, fp);
    fputc('\n', fp);
  }
  if (ferror(fp)) {
    return harm__fail(err, HARM_ERR_IO, "monitor", NULL, 0, NULL,
                      "write error");
  }
  return HARM_OK;
}
