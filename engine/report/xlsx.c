/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/report/xlsx.c: cohort.xlsx, the meeting pack, with
 * libxlsxwriter: a Summary a panel chair reads in a minute, the list (one
 * sheet and one chart per area when partitioned), movers, a per-member
 * breakdown, who was not selected and why, and run details. Every sheet
 * prints A4 landscape, one page wide, with the protective marking.
 * Text cells are written as strings (never formulas) and values starting
 * with = + - @ get a leading quote, as in the CSV outputs. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <xlsxwriter.h>

#include "report/xlsx_cells.h"

#include "core/internal.h"
#include "harmrank/report.h"

typedef struct pack {
  lxw_workbook *wb;
  harm__xlsx_formats f;
  harm__xlsx_page pg;
  const harm_manifest *m;
  const harm_cohort *c;
  const harm_scores *s;
  const harm_matrix *mx;
  const harm_dataset *ds;
  const char *name;    /* [cohort] name */
  size_t id_width;     /* widest offender id, characters */
  lxw_format *section; /* Summary headings: bold, underlined, unwrapped */
  harm_error *err;
  harm_status st; /* first failure while filling the sheets */
} pack;

static void text(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s,
                 lxw_format *f) {
  harm__xlsx_text(ws, r, c, s, f);
}

static void number(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, double v,
                   lxw_format *f) {
  worksheet_write_number(ws, r, c, v, f);
}

/* Writes wrapped text in a column `width` wide and keeps in *lines the
 * most lines a cell of the row needs. */
static void wrapped(pack *p, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c,
                    const char *s, double width, size_t *lines) {
  harm__xlsx_text(ws, r, c, s, p->f.wrap);
  size_t l = harm__xlsx_lines(s, width);
  *lines = l > *lines ? l : *lines;
}

/* Days with thousands separators and one decimal, as the cells show
 * them: "53,647.2". */
static void days_text(double v, char out[40]) {
  char raw[40];
  snprintf(raw, sizeof raw, "%.1f", v < 0 ? -v : v);
  size_t len = strlen(raw), intlen = len - 2, k = 0;
  if (v < 0) {
    out[k++] = '-';
  }
  for (size_t i = 0; i < len && k + 1 < 40; i++) {
    out[k++] = raw[i];
    if (i + 1 < intlen && (intlen - i - 1) % 3 == 0) {
      out[k++] = ',';
    }
  }
  out[k] = '\0';
}

/* A width that holds the header line `min` and an id column's ids. */
static double id_col(const pack *p, double min) {
  double w = (double)p->id_width + 2.0; /* and the indent */
  return w < min ? min : w > 30 ? 30 : w;
}

static const char *description_of(const pack *p, const char *code) {
  const harm_weight *wt =
      p->m->weights ? harm_weights_find(p->m->weights, code) : NULL;
  return wt ? wt->description : "(not in the weights table)";
}

/* Appends to buf (cap bytes) with snprintf semantics; stops quietly when
 * full (the caller's cell is then cut). */
static void append(char *buf, size_t cap, size_t *used, const char *fmt, ...)
    HARM__PRINTF(4, 5);

static void append(char *buf, size_t cap, size_t *used, const char *fmt, ...) {
  if (*used + 1 >= cap) {
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(buf + *used, cap - *used, fmt, ap);
  va_end(ap);
  if (w > 0) {
    *used += (size_t)w < cap - *used ? (size_t)w : cap - *used - 1;
  }
}

/* ---- the list ------------------------------------------------------- */

/* Members shown on one list sheet: those of partition `part` (NULL: all). */
static bool on_sheet(const harm_member *mb, const char *part) {
  return !part || strcmp(mb->partition, part) == 0;
}

/* Where every list sheet has its columns: the id and harm columns never
 * move (only columns after them are left out). */
enum { LIST_HEADER_ROW = 3, LIST_ID_COL = 1, LIST_HARM_COL = 4 };

/* A bar chart of harm by member of the list on `sheet` (n members; the
 * first 40 when longer, so each name stays readable), its height set in
 * opt->y_scale. */
static lxw_chart *harm_chart(pack *p, const char *sheet, const char *part,
                             size_t n, lxw_chart_options *opt) {
  const lxw_row_t h = LIST_HEADER_ROW;
  size_t shown = n < 40 ? n : 40;
  lxw_chart *chart = workbook_add_chart(p->wb, LXW_CHART_BAR);
  lxw_chart_series *series = chart_add_series(chart, NULL, NULL);
  chart_series_set_categories(series, sheet, h + 1, LIST_ID_COL,
                              (lxw_row_t)(h + shown), LIST_ID_COL);
  chart_series_set_values(series, sheet, h + 1, LIST_HARM_COL,
                          (lxw_row_t)(h + shown), LIST_HARM_COL);
  chart_series_set_name(series, "Harm (days)");
  char buf[256];
  snprintf(buf, sizeof buf, "Harm by member%s%s%s (CCHI days)",
           part ? ": " : "",
           !part     ? ""
           : part[0] ? part
                     : "force-wide referral places",
           n > shown ? ", first 40 on the list" : "");
  chart_title_set_name(chart, buf);
  chart_axis_set_reverse(chart->y_axis);
  chart_axis_set_interval_unit(chart->y_axis, 1); /* every member named */
  lxw_chart_font small = {0};
  small.size = 8;
  chart_axis_set_num_font(chart->y_axis, &small);
  chart_axis_set_num_format(chart->x_axis, "#,##0");
  chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
  chart_set_series_gap(chart, 50);
  /* About 20 pixels a member plus room for the title and axis: readers
   * skip names that do not fit. */
  opt->y_scale = (80.0 + 20.0 * (double)shown) / 288.0;
  opt->y_scale = opt->y_scale < 0.8 ? 0.8 : opt->y_scale;
  return chart;
}

/* The columns of a list sheet, in order. */
enum list_col {
  SLOT,
  ID,
  WHY,
  RANK,
  HARM,
  OFF,
  VIC,
  CAUSED,
  SUFFERED,
  ROLE,
  BALANCE,
  AGE,
  LAST,
  CODE,
  TOP,
  AGENCY,
  REASON,
  MONTHS,
  RFGV,
  N_COLS
};

/* What the rows of one list sheet share: its columns and which are
 * shown. */
typedef struct list_sheet {
  harm__xlsx_col all[N_COLS]; /* every column, with its width */
  lxw_col_t at[N_COLS];       /* where each shown column is */
  bool referred;              /* some member was referred by an agency */
  bool reasons;               /* some referral gives a reason */
  bool rfgv;                  /* the run ranks by RFGV points */
  const harm_people *people;  /* both roles (--roles), or NULL */
} list_sheet;

/* Finds how many members are on the sheet and what its columns need: the
 * widest top code, and whether any member was referred or has a reason. */
static size_t list_scan(const pack *p, const char *part, size_t *code_w,
                        list_sheet *ls) {
  const harm_cohort *c = p->c;
  size_t n = 0;
  for (size_t i = 0; i < harm_cohort_count(c); i++) {
    const harm_member *mb = harm_cohort_member(c, i);
    if (!on_sheet(mb, part)) {
      continue;
    }
    n++;
    ls->referred = ls->referred || mb->agencies[0];
    ls->reasons = ls->reasons || mb->referral_reason[0];
    if (mb->score && mb->score->top_code >= 0) {
      size_t l =
          strlen(harm_matrix_code(p->mx, (size_t)mb->score->top_code)) + 2;
      *code_w = l > *code_w ? l : *code_w;
    }
  }
  return n;
}

/* Chooses the sheet's columns and writes their header row: columns empty
 * for this run (referrals, RFGV, people mode) are left out. */
static void list_columns(pack *p, lxw_worksheet *ws, size_t code_w,
                         list_sheet *ls) {
  const harm_cohort *c = p->c;
  const harm__xlsx_col all[N_COLS] = {
      {"Slot", 5, true},
      {"Offender", id_col(p, 9), false},
      {"Why on the list", 24, false},
      {"Score\nrank", 7, true},
      {"Harm\n(days)", 9, true},
      {"Offences", 9, true},
      {"Victims", 8, true},
      {"Harm\ncaused", 9, true},
      {"Harm\nsuffered", 9, true},
      {"Role", 10, false},
      {"Role\nbalance", 14, false},
      {"Age", 5, true},
      {"Last\noffence", 12, true},
      {"Top\ncode", (double)(code_w < 6 ? 6 : code_w), false},
      {"Top offence", 34, false},
      {"Referred by", 16, false},
      {"Referral reason", 30, false},
      {"Months\non", 7, true},
      {"RFGV\ntotal", 7, true}};
  memcpy(ls->all, all, sizeof all);
  bool keep[N_COLS];
  for (int k = 0; k < N_COLS; k++) {
    keep[k] = true;
  }
  keep[AGENCY] = ls->referred;
  keep[REASON] = ls->reasons;
  keep[RFGV] = ls->rfgv = harm_cohort_rules_used(c)->rfgv;
  /* People mode (--roles): both roles of each member. */
  ls->people = harm_cohort_input_used(c)->people;
  keep[CAUSED] = keep[SUFFERED] = keep[ROLE] = keep[BALANCE] = keep[AGE] =
      ls->people != NULL;
  harm__xlsx_col cols[N_COLS];
  size_t nc = 0;
  for (int k = 0; k < N_COLS; k++) {
    ls->at[k] = (lxw_col_t)nc;
    if (keep[k]) {
      cols[nc++] = all[k];
    }
  }
  harm__xlsx_columns(ws, LIST_HEADER_ROW, cols, nc, &p->f);
}

/* Writes member mb's row r of a list sheet. */
static void list_row(pack *p, lxw_worksheet *ws, lxw_row_t r,
                     const harm_member *mb, const list_sheet *ls) {
  const harm__xlsx_col *all = ls->all;
  const lxw_col_t *at = ls->at;
  const harm_people *people = ls->people;
  char buf[1024];
  size_t lines = 1;
  number(ws, r, at[SLOT], (double)mb->slot, p->f.count);
  wrapped(p, ws, r, at[ID], mb->offender_id, all[ID].width, &lines);
  harm_report_member_reason(mb, buf, sizeof buf);
  wrapped(p, ws, r, at[WHY], buf, all[WHY].width, &lines);
  if (mb->score_rank) {
    number(ws, r, at[RANK], (double)mb->score_rank, p->f.count);
  }
  const harm_score *sc = mb->score;
  const harm_subject_facts f =
      sc ? harm_score_facts(p->s, sc) : (harm_subject_facts){0};
  number(ws, r, at[HARM], sc ? sc->harm : 0.0, p->f.days);
  number(ws, r, at[OFF], f.offences, p->f.count);
  number(ws, r, at[VIC], f.victims, p->f.count);
  const harm_person *ps =
      people && sc ? harm_people_at(people, sc->subject) : NULL;
  if (ps) {
    number(ws, r, at[CAUSED], ps->harm_caused, p->f.days);
    number(ws, r, at[SUFFERED], ps->harm_suffered, p->f.days);
    wrapped(p, ws, r, at[ROLE], harm_people_role_name(ps->role),
            all[ROLE].width, &lines);
    wrapped(p, ws, r, at[BALANCE], harm_people_balance_name(ps->balance),
            all[BALANCE].width, &lines);
    if (ps->age >= 0) {
      number(ws, r, at[AGE], ps->age, p->f.count);
    }
  }
  if (sc) {
    harm__xlsx_date(ws, r, at[LAST], f.last, p->f.date);
    if (sc->top_code >= 0) {
      const char *code = harm_matrix_code(p->mx, (size_t)sc->top_code);
      wrapped(p, ws, r, at[CODE], code, all[CODE].width, &lines);
      wrapped(p, ws, r, at[TOP], description_of(p, code), all[TOP].width,
              &lines);
    }
  } else {
    wrapped(p, ws, r, at[TOP], "no offences in the window", all[TOP].width,
            &lines);
  }
  if (ls->referred) {
    wrapped(p, ws, r, at[AGENCY], mb->agencies, all[AGENCY].width, &lines);
  }
  if (ls->reasons) {
    wrapped(p, ws, r, at[REASON], mb->referral_reason, all[REASON].width,
            &lines);
  }
  number(ws, r, at[MONTHS], mb->months_served, p->f.count);
  if (ls->rfgv && sc) {
    number(ws, r, at[RFGV], mb->rfgv.total, NULL);
  }
  harm__xlsx_row_height(ws, r, lines);
}

/* The list sheet `sheet`: members of partition `part` (NULL: all of
 * them), with its chart of harm by member below the table when
 * `chart_here` (a single list's chart is on the Summary instead, so the
 * table prints on one page). */
static void sheet_list(pack *p, const char *sheet, const char *part,
                       const char *heading, bool chart_here) {
  const harm_cohort *c = p->c;
  lxw_worksheet *ws = workbook_add_worksheet(p->wb, sheet);
  list_sheet ls;
  memset(&ls, 0, sizeof ls);
  size_t code_w = 4;
  size_t n = list_scan(p, part, &code_w, &ls);
  text(ws, 0, 0, heading, p->f.title);
  if (p->m->weights && harm_weights_n_estimates(p->m->weights)) {
    text(ws, 1, 0,
         "Weights include estimates: NOT official CCHI values (see Summary).",
         p->f.alert);
  }
  list_columns(p, ws, code_w, &ls);
  const lxw_row_t h = LIST_HEADER_ROW;
  lxw_row_t r = h;
  for (size_t i = 0; i < harm_cohort_count(c); i++) {
    const harm_member *mb = harm_cohort_member(c, i);
    if (!on_sheet(mb, part)) {
      continue;
    }
    list_row(p, ws, ++r, mb, &ls);
  }
  harm__xlsx_print_setup(ws, h, 0, &p->pg);
  if (n && chart_here) {
    lxw_chart_options opt = {0};
    opt.x_scale = 2.0;
    lxw_chart *chart = harm_chart(p, sheet, part, n, &opt);
    worksheet_insert_chart_opt(ws, (lxw_row_t)(h + n + 2), 1, chart, &opt);
  }
}

/* ---- Summary --------------------------------------------------------- */

typedef struct row_writer {
  pack *p;
  lxw_worksheet *ws;
  lxw_row_t r;
} row_writer;

/* A section heading, underlined across the three columns; its text
 * runs on one line. */
static void section(row_writer *w, const char *title) {
  w->r++;
  lxw_format *f = w->p->section;
  text(w->ws, w->r, 0, title, f);
  text(w->ws, w->r, 1, "", f);
  text(w->ws, w->r, 2, "", f);
  w->r++;
}

/* A labelled line: label, a count (or none when negative), and text. */
static void line(row_writer *w, const char *label, double count, lxw_format *cf,
                 const char *detail, lxw_format *df) {
  text(w->ws, w->r, 0, label, w->p->f.bold);
  if (count >= 0) {
    number(w->ws, w->r, 1, count, cf ? cf : w->p->f.count);
  }
  if (detail) {
    text(w->ws, w->r, 2, detail, df ? df : w->p->f.wrap);
    /* Bold (warnings) is wider than plain text. */
    harm__xlsx_row_height(
        w->ws, w->r, harm__xlsx_lines(detail, df == w->p->f.warn ? 58 : 64));
  }
  w->r++;
}

/* The ids of the moves of one kind, "a, b, c", with the detail of exits. */
static void mover_names(const harm_cohort *c, harm_move_kind kind, char *buf,
                        size_t cap, size_t *count) {
  size_t used = 0;
  *count = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < harm_cohort_n_moves(c); i++) {
    const harm_move *mv = harm_cohort_move(c, i);
    if (mv->kind != kind) {
      continue;
    }
    if (kind == HARM_MOVE_EXITED) {
      append(buf, cap, &used, "%s%s (%s)", *count ? "; " : "", mv->offender_id,
             mv->detail);
    } else {
      append(buf, cap, &used, "%s%s", *count ? ", " : "", mv->offender_id);
    }
    (*count)++;
  }
}

/* The [filter] keys of the run as "domestic = yes; area = North", or "". */
static void filters_text(const harm_config *cfg, char *buf, size_t cap) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; cfg && i < harm_config_n_keys(cfg); i++) {
    const char *section, *key, *value;
    if (harm_config_key(cfg, i, &section, &key, &value) &&
        strcmp(section, "filter") == 0) {
      append(buf, cap, &used, "%s%s = %s", used ? "; " : "", key, value);
    }
  }
  const char *cats = cfg ? harm_config_get(cfg, "scoring", "categories") : "";
  if (cats && cats[0]) {
    append(buf, cap, &used, "%scategories %s", used ? "; " : "", cats);
  }
}

static bool has_input(const harm_manifest *m, const char *role) {
  for (size_t i = 0; i < m->n_inputs; i++) {
    if (strcmp(m->inputs[i].role, role) == 0) {
      return true;
    }
  }
  return false;
}

/* The Summary's title and the window line under it. */
static void summary_title(row_writer *w) {
  pack *p = w->p;
  lxw_worksheet *ws = w->ws;
  char buf[4096], d1[11], d2[11];
  text(ws, w->r++, 0, p->name, p->f.title);
  harm_date as_of = harm_dataset_as_of(p->ds);
  uint32_t lookback = harm_dataset_lookback_days(p->ds);
  harm_date_format_iso(as_of, d2);
  harm_date_format_iso((harm_date)(as_of - (harm_date)lookback + 1), d1);
  snprintf(buf, sizeof buf,
           "As of %s: offences from %s to %s (a %" PRIu32 "-day window)", d2,
           d1, d2, lookback);
  text(ws, w->r++, 0, buf, NULL);
}

/* "The list": places by route, tenure and capacity. */
static void summary_list(row_writer *w, size_t n_parts) {
  pack *p = w->p;
  const harm_cohort *c = p->c;
  const harm_cohort_rules *rules = harm_cohort_rules_used(c);
  char buf[4096];
  size_t kinds[HARM_MEMBER_KIND_COUNT] = {0};
  for (size_t i = 0; i < harm_cohort_count(c); i++) {
    kinds[harm_cohort_member(c, i)->kind]++;
  }
  size_t lists = rules->partition_by_area ? n_parts : 1;
  size_t places = rules->size * lists + rules->referral_slots;
  size_t tenure =
      kinds[HARM_MEMBER_TENURE] + kinds[HARM_MEMBER_REFERRAL_TENURE];
  section(w, "The list");
  line(w, "People on the list", (double)harm_cohort_count(c), NULL, NULL, NULL);
  if (rules->partition_by_area) {
    snprintf(buf, sizeof buf,
             "%zu per area in %zu area%s, and %zu partner-referral place%s "
             "force-wide",
             rules->size, lists, lists == 1 ? "" : "s", rules->referral_slots,
             rules->referral_slots == 1 ? "" : "s");
  } else {
    snprintf(buf, sizeof buf, "%zu by rank and %zu partner-referral place%s",
             rules->size, rules->referral_slots,
             rules->referral_slots == 1 ? "" : "s");
  }
  line(w, "Places", (double)places, NULL, buf, NULL);
  line(w, "By rank (core places)", (double)kinds[HARM_MEMBER_CORE], NULL,
       "the most harmful in the window, after exclusions", NULL);
  line(w, "By partner referral", (double)kinds[HARM_MEMBER_REFERRAL], NULL,
       "one place per person, however many agencies referred them", NULL);
  if (kinds[HARM_MEMBER_BACKFILL] || rules->backfill) {
    line(w, "Referral places backfilled", (double)kinds[HARM_MEMBER_BACKFILL],
         NULL, "unused referral places given to the next ranked", NULL);
  }
  snprintf(buf, sizeof buf,
           "last month's members kept until they have served %" PRIu32
           " months: %zu below the cut, %zu in a referral place",
           rules->min_tenure_months, kinds[HARM_MEMBER_TENURE],
           kinds[HARM_MEMBER_REFERRAL_TENURE]);
  line(w, "Kept by tenure", (double)tenure, NULL,
       rules->min_tenure_months ? buf : "tenure is off", NULL);
  size_t over = harm_cohort_over_capacity(c);
  if (over) {
    snprintf(buf, sizeof buf,
             "Yes: %zu more than the places, all kept by tenure "
             "([cohort] max_tenure_places caps this)",
             over);
  }
  line(w, "Over capacity", (double)over, NULL, over ? buf : "No",
       over ? p->f.warn : NULL);
  line(w, "Empty referral places", (double)harm_cohort_empty_slots(c), NULL,
       NULL, NULL);
}

/* "Since last month": who is new, retained and exited. */
static void summary_movers(row_writer *w) {
  pack *p = w->p;
  const harm_cohort *c = p->c;
  char buf[4096];
  bool prev = has_input(p->m, "previous");
  section(w, prev ? "Since last month"
                  : "Since last month (no previous "
                    "list given: everyone is new)");
  static const struct {
    harm_move_kind kind;
    const char *label;
  } mk[] = {{HARM_MOVE_NEW, "New this month"},
            {HARM_MOVE_RETAINED, "Retained"},
            {HARM_MOVE_EXITED, "Exited"}};
  for (size_t k = 0; k < 3; k++) {
    size_t count;
    mover_names(c, mk[k].kind, buf, sizeof buf, &count);
    line(w, mk[k].label, (double)count, NULL, buf, NULL);
  }
}

/* "Harm": the share of all scored harm the list holds, force-wide and per
 * area; *held and *all get the harm units behind it, for the chart. */
static void summary_harm(row_writer *w, const char *const *parts,
                         size_t n_parts, double *held_out, double *all_out) {
  pack *p = w->p;
  const harm_cohort *c = p->c;
  const harm_cohort_rules *rules = harm_cohort_rules_used(c);
  char buf[4096];
  /* Share of harm: every scored subject is of the list's kind (filters
   * apply at ingest), so the denominator is all scored harm. Sums in
   * double: a share needs no exactness beyond that. */
  double all = 0, held = 0;
  for (size_t i = 0; i < harm_scores_count(p->s); i++) {
    all += (double)harm_scores_at(p->s, i)->harm_units;
  }
  for (size_t i = 0; i < harm_cohort_count(c); i++) {
    const harm_member *mb = harm_cohort_member(c, i);
    held += mb->score ? (double)mb->score->harm_units : 0.0;
  }
  double per_day = (double)HARM_UNITS_PER_DAY;
  char filt[1024];
  filters_text(p->m->config, filt, sizeof filt);
  section(w, "Harm");
  char t1[40], t2[40];
  days_text(held / per_day, t1);
  days_text(all / per_day, t2);
  snprintf(buf, sizeof buf,
           "The %zu people on the list hold %s of the %s days of harm "
           "scored in the window, among %zu people scored%s%s%s.",
           harm_cohort_count(c), t1, t2, harm_scores_count(p->s),
           filt[0] ? " (offences with " : "", filt, filt[0] ? ")" : "");
  line(w, "Share of all harm held by the list", all > 0 ? held / all : 0.0,
       p->f.pct, buf, NULL);
  for (size_t k = 0; rules->partition_by_area && k < n_parts; k++) {
    double a_all = 0, a_held = 0;
    size_t a_n = 0;
    for (size_t i = 0; i < harm_scores_count(p->s); i++) {
      const harm_score *sc = harm_scores_at(p->s, i);
      int32_t area = harm_score_facts(p->s, sc).area;
      if (area >= 0 &&
          strcmp(harm_dataset_area(p->ds, (size_t)area), parts[k]) == 0) {
        a_all += (double)sc->harm_units;
      }
    }
    for (size_t i = 0; i < harm_cohort_count(c); i++) {
      const harm_member *mb = harm_cohort_member(c, i);
      if (mb->score && strcmp(mb->partition, parts[k]) == 0) {
        a_held += (double)mb->score->harm_units;
        a_n++;
      }
    }
    days_text(a_held / per_day, t1);
    days_text(a_all / per_day, t2);
    snprintf(buf, sizeof buf,
             "%zu people on the %s list hold %s of the %s days of harm of "
             "the people whose latest offence was in %s.",
             a_n, parts[k], t1, t2, parts[k]);
    char label[96];
    snprintf(label, sizeof label, "Share held in %.60s", parts[k]);
    line(w, label, a_all > 0 ? a_held / a_all : 0.0, p->f.pct, buf, NULL);
  }
  *held_out = held;
  *all_out = all;
}

/* The warnings about the data, in plain words: returns how many. */
static size_t summary_data_warnings(row_writer *w) {
  pack *p = w->p;
  char buf[4096];
  size_t n_warn = 0;
  if (p->m->weights && harm_weights_n_estimates(p->m->weights)) {
    snprintf(buf, sizeof buf,
             "%zu of the %zu offence weights are estimates, not official "
             "CCHI values: load the official CCHI values before using this "
             "list operationally.",
             harm_weights_n_estimates(p->m->weights),
             harm_weights_count(p->m->weights));
    line(w, "Estimated weights",
         (double)harm_weights_n_estimates(p->m->weights), NULL, buf, p->f.warn);
    n_warn++;
  }
  harm_accounting a = harm_matrix_accounting(p->mx);
  if (a.rejected) {
    snprintf(buf, sizeof buf,
             "%" PRIu64 " of the %" PRIu64 " input rows could not be read and "
             "count for no one (each is listed in rejects.csv with the "
             "reason).",
             a.rejected, a.read);
    line(w, "Rejected rows", (double)a.rejected, NULL, buf, p->f.warn);
    n_warn++;
  }
  size_t n_unknown;
  const harm_unknown_code *u = harm_scores_unknown(p->s, &n_unknown);
  if (n_unknown) {
    uint64_t offences = 0;
    char codes[512];
    size_t used = 0;
    codes[0] = '\0';
    for (size_t k = 0; k < n_unknown; k++) {
      offences += u[k].count;
      append(codes, sizeof codes, &used, "%s%s", k ? ", " : "", u[k].code);
    }
    snprintf(buf, sizeof buf,
             "%" PRIu64 " offence%s had a code missing from the weights "
             "table (%s) and count as no harm.",
             offences, offences == 1 ? "" : "s", codes);
    line(w, "Unknown offence codes", (double)offences, NULL, buf, p->f.warn);
    n_warn++;
  }
  return n_warn;
}

/* "Warnings": the data's, then the selection's from the cohort's notes. */
static void summary_warnings(row_writer *w) {
  const harm_cohort *c = w->p->c;
  char buf[4096];
  section(w, "Warnings");
  size_t n_warn = summary_data_warnings(w);
  size_t kn[8] = {0};
  for (size_t i = 0; i < harm_cohort_n_notes(c); i++) {
    harm_note_kind k = harm_cohort_note(c, i)->kind;
    kn[(size_t)k < 8 ? (size_t)k : 0]++;
  }
  if (kn[HARM_NOTE_EXCLUDED]) {
    snprintf(buf, sizeof buf,
             "%zu excluded %s would otherwise have taken a place (see Not "
             "selected).",
             kn[HARM_NOTE_EXCLUDED],
             kn[HARM_NOTE_EXCLUDED] == 1 ? "person" : "people");
    line(w, "Excluded", (double)kn[HARM_NOTE_EXCLUDED], NULL, buf, NULL);
    n_warn++;
  }
  if (kn[HARM_NOTE_TIE_AT_CUT]) {
    line(w, "Tie at the cut", (double)kn[HARM_NOTE_TIE_AT_CUT], NULL,
         "people tied on the score at the cut were separated by the "
         "tie-break (see Not selected).",
         NULL);
    n_warn++;
  }
  if (kn[HARM_NOTE_TENURE_CAP]) {
    line(w, "Tenure cap reached", (double)kn[HARM_NOTE_TENURE_CAP], NULL,
         "members within tenure left the list because max_tenure_places was "
         "reached (see Not selected).",
         NULL);
    n_warn++;
  }
  if (!n_warn) {
    line(w, "None", -1, NULL, "", NULL);
  }
}

/* The harm on and off the list (visible, so the chart can be read
 * without colour), the column widths, and the Summary's chart. */
static void summary_chart(row_writer *w, double held, double all) {
  pack *p = w->p;
  lxw_worksheet *ws = w->ws;
  const harm_cohort *c = p->c;
  const harm_cohort_rules *rules = harm_cohort_rules_used(c);
  double per_day = (double)HARM_UNITS_PER_DAY;
  section(w, "Harm in the window (days)");
  lxw_row_t d0 = w->r;
  line(w, "On the list", held / per_day, p->f.days, NULL, NULL);
  line(w, "Everyone else scored", (all - held) / per_day, p->f.days, NULL,
       NULL);
  worksheet_set_column(ws, 0, 0, 30, NULL);
  worksheet_set_column(ws, 1, 1, 10, NULL);
  worksheet_set_column(ws, 2, 2, 66, NULL);
  worksheet_set_column(ws, 3, 3, 2, NULL);
  if (!rules->partition_by_area && harm_cohort_count(c)) {
    /* A single list: who holds the harm, every member named. */
    lxw_chart_options opt = {0};
    opt.x_scale = 440.0 / 480.0;
    lxw_chart *chart =
        harm_chart(p, "Cohort", NULL, harm_cohort_count(c), &opt);
    worksheet_insert_chart_opt(ws, 3, 4, chart, &opt);
  } else {
    /* Lists per area (each with its own chart): the force-wide share. */
    lxw_chart *chart = workbook_add_chart(p->wb, LXW_CHART_PIE);
    lxw_chart_series *se = chart_add_series(chart, NULL, NULL);
    chart_series_set_categories(se, "Summary", d0, 0, d0 + 1, 0);
    chart_series_set_values(se, "Summary", d0, 1, d0 + 1, 1);
    chart_series_set_labels_options(se, LXW_FALSE, LXW_TRUE, LXW_FALSE);
    chart_series_set_labels_percentage(se);
    chart_title_set_name(chart, "Share of harm in the window held by the "
                                "lists");
    chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
    lxw_chart_options opt = {0};
    opt.x_scale = 0.75;
    worksheet_insert_chart_opt(ws, 3, 4, chart, &opt);
  }
  worksheet_set_column(ws, 4, 9, 8.43, NULL);
}

/* The Summary sheet, which a panel chair reads in a minute. */
static void sheet_summary(pack *p, const char *const *parts, size_t n_parts) {
  lxw_worksheet *ws = workbook_add_worksheet(p->wb, "Summary");
  row_writer w = {p, ws, 0};
  double held, all;
  summary_title(&w);
  summary_list(&w, n_parts);
  summary_movers(&w);
  summary_harm(&w, parts, n_parts, &held, &all);
  summary_warnings(&w);
  summary_chart(&w, held, all);
  harm__xlsx_print_setup(ws, -1, 1, &p->pg);
}

/* ---- other sheets ------------------------------------------------------ */

static void sheet_movers(pack *p) {
  const harm_cohort *c = p->c;
  lxw_worksheet *ws = workbook_add_worksheet(p->wb, "Movers");
  const harm__xlsx_col cols[] = {{"Status", 9, false},
                                 {"Offender", id_col(p, 9), false},
                                 {"Previous\nrank", 9, true},
                                 {"Current\nrank", 8, true},
                                 {"Detail", 80, false}};
  harm__xlsx_columns(ws, 0, cols, 5, &p->f);
  for (size_t i = 0; i < harm_cohort_n_moves(c); i++) {
    const harm_move *mv = harm_cohort_move(c, i);
    lxw_row_t r = (lxw_row_t)(i + 1);
    text(ws, r, 0, harm_report_move_name(mv->kind), p->f.wrap);
    text(ws, r, 1, mv->offender_id, p->f.wrap);
    if (mv->previous_rank) {
      number(ws, r, 2, (double)mv->previous_rank, p->f.count);
    }
    if (mv->current_rank) {
      number(ws, r, 3, (double)mv->current_rank, p->f.count);
    }
    size_t lines = 1;
    wrapped(p, ws, r, 4, mv->detail, 80, &lines);
    harm__xlsx_row_height(ws, r, lines);
  }
  harm__xlsx_print_setup(ws, 0, 0, &p->pg);
}

static void sheet_breakdown(pack *p) {
  const harm_cohort *c = p->c;
  lxw_worksheet *ws = workbook_add_worksheet(p->wb, "Breakdown");
  size_t code_w = 7, rows = 0; /* "Code", bold, and the indent */
  for (size_t k = 0; k < harm_matrix_n_codes(p->mx); k++) {
    size_t l = strlen(harm_matrix_code(p->mx, k)) + 2;
    code_w = l > code_w && l < 16 ? l : code_w;
  }
  const harm__xlsx_col cols[] = {{"Offender", id_col(p, 9), false},
                                 {"Code", (double)code_w, false},
                                 {"Offence", 50, false},
                                 {"Offences", 9, true},
                                 {"Harm\n(days)", 9, true},
                                 {"Share of\ntheir harm", 12, true}};
  harm__xlsx_columns(ws, 0, cols, 6, &p->f);
  lxw_row_t r = 1;
  for (size_t i = 0; i < harm_cohort_count(c) && p->st == HARM_OK; i++) {
    const harm_member *mb = harm_cohort_member(c, i);
    if (!mb->score) {
      continue;
    }
    harm_score_part *parts;
    size_t n;
    p->st = harm_score_parts(p->s, mb->score, &parts, &n, p->err);
    if (p->st != HARM_OK) {
      break;
    }
    /* Every code, by the score's own per-offence rule: the rows of a
     * member add up to their harm. */
    for (size_t k = 0; k < n; k++, r++) {
      const char *code = harm_matrix_code(p->mx, parts[k].code);
      text(ws, r, 0, mb->offender_id, NULL);
      text(ws, r, 1, code, NULL);
      text(ws, r, 2, description_of(p, code), NULL);
      number(ws, r, 3, parts[k].offences, p->f.count);
      number(ws, r, 4, parts[k].harm, p->f.days);
      number(ws, r, 5,
             mb->score->harm_units > 0
                 ? (double)parts[k].harm_units / (double)mb->score->harm_units
                 : 0.0,
             p->f.pct);
    }
    rows += n;
    harm__free(parts);
  }
  /* About 40 rows a page: a short table keeps a readable size. */
  harm__xlsx_print_setup(ws, 0, (uint16_t)(rows <= 40 ? 1 : (rows + 39) / 40),
                         &p->pg);
}

static void sheet_notes(pack *p) {
  const harm_cohort *c = p->c;
  bool part = harm_cohort_rules_used(c)->partition_by_area;
  lxw_worksheet *ws = workbook_add_worksheet(p->wb, "Not selected");
  harm__xlsx_col cols[] = {{"Note", 25, false},
                           {"Offender", id_col(p, 9), false},
                           {"Score\nrank", 7, true},
                           {"Detail", 80, false},
                           {"Partition", 12, false}};
  harm__xlsx_columns(ws, 0, cols, part ? 5 : 4, &p->f);
  /* Everyone an age-limited cohort could not age is a note; on paper
   * the first few stand for the rest, and notes.csv lists them all. */
  enum { SHOWN_NO_DOB = 20 };
  size_t no_dob = 0, more = 0;
  lxw_row_t r = 0;
  for (size_t i = 0; i < harm_cohort_n_notes(c); i++) {
    const harm_note *n = harm_cohort_note(c, i);
    if (n->kind == HARM_NOTE_NO_DATE_OF_BIRTH && ++no_dob > SHOWN_NO_DOB) {
      more++;
      continue;
    }
    r++;
    text(ws, r, 0, harm_report_note_name(n->kind), p->f.wrap);
    text(ws, r, 1, n->offender_id, p->f.wrap);
    if (n->score_rank) {
      number(ws, r, 2, (double)n->score_rank, p->f.count);
    }
    size_t lines = 1;
    wrapped(p, ws, r, 3, n->detail, 80, &lines);
    harm__xlsx_row_height(ws, r, lines);
    if (part) {
      text(ws, r, 4, n->partition, p->f.wrap);
    }
  }
  if (r == 0) {
    text(ws, 1, 3,
         "nobody: no one eligible was excluded, referred, tied at the cut "
         "or held by tenure",
         p->f.wrap);
  }
  if (more) {
    char line[160];
    snprintf(line, sizeof line,
             "and %zu more people with no date of birth: notes.csv lists "
             "every one",
             more);
    text(ws, r + 1, 0, harm_report_note_name(HARM_NOTE_NO_DATE_OF_BIRTH),
         p->f.wrap);
    text(ws, r + 1, 3, line, p->f.wrap);
  }
  harm__xlsx_print_setup(ws, 0, 0, &p->pg);
}

/* A sheet name for an area's list: Excel allows 31 characters and
 * forbids []:*?/\ and names must be unique in the workbook. */
static void area_sheet_name(pack *p, const char *area, size_t k, char *name,
                            size_t cap) {
  char clean[32];
  size_t j = 0;
  for (const char *s = area; *s && j < 24; s++) {
    clean[j++] = strchr("[]:*?/\\'", *s) ? '_' : *s;
  }
  clean[j] = '\0';
  snprintf(name, cap, "%s list", clean);
  if (workbook_get_worksheet_by_name(p->wb, name) ||
      strcmp(name, "Summary") == 0) {
    snprintf(name, cap, "%zu %.18s list", (k + 1) % 1000, clean);
  }
}

/* Fills the pack from the manifest: the cohort and what it was selected
 * from, the list's name, the page setup, and the widest id. */
static void pack_init(pack *p, const harm_manifest *m, harm_error *err) {
  memset(p, 0, sizeof *p);
  p->err = err;
  p->m = m;
  p->c = m->cohort;
  /* What the cohort was selected from, handed to it explicitly. */
  const harm_cohort_input *in = harm_cohort_input_used(p->c);
  p->s = in->scores;
  p->mx = in->matrix;
  p->ds = in->dataset;
  const char *name =
      m->config ? harm_config_get(m->config, "cohort", "name") : NULL;
  p->name = name && name[0] ? name : "cohort";
  p->pg = harm__xlsx_page_of(m->config, p->name, in->as_of);
  size_t n = harm_cohort_count(p->c);
  p->id_width = 8;
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(harm_cohort_member(p->c, i)->offender_id);
    p->id_width = l > p->id_width ? l : p->id_width;
  }
  for (size_t i = 0; i < harm_cohort_n_moves(p->c); i++) {
    size_t l = strlen(harm_cohort_move(p->c, i)->offender_id);
    p->id_width = l > p->id_width ? l : p->id_width;
  }
}

/* The areas of the lists, in the order the cohort holds them, into parts
 * (room for every member); *force_wide when some member holds a
 * force-wide referral place. Returns how many. */
static size_t list_parts(const harm_cohort *c, const char **parts,
                         bool *force_wide) {
  size_t n_parts = 0;
  *force_wide = false;
  for (size_t i = 0; i < harm_cohort_count(c); i++) {
    const char *pt = harm_cohort_member(c, i)->partition;
    bool seen = !pt[0];
    *force_wide = *force_wide || !pt[0];
    for (size_t k = 0; !seen && k < n_parts; k++) {
      seen = strcmp(parts[k], pt) == 0;
    }
    if (!seen) {
      parts[n_parts++] = pt;
    }
  }
  return n_parts;
}

/* The list sheets: one per area (and one for the force-wide referral
 * places), or the one Cohort sheet. */
static void sheets_lists(pack *p, const char *const *parts, size_t n_parts,
                         bool force_wide) {
  if (harm_cohort_rules_used(p->c)->partition_by_area) {
    for (size_t k = 0; k < n_parts; k++) {
      char sheet[64], heading[256];
      area_sheet_name(p, parts[k], k, sheet, sizeof sheet);
      snprintf(heading, sizeof heading, "%s: %s", p->name, parts[k]);
      sheet_list(p, sheet, parts[k], heading, true);
    }
    if (force_wide) {
      char heading[256];
      snprintf(heading, sizeof heading, "%s: force-wide referral places",
               p->name);
      sheet_list(p, "Referral places", "", heading, false);
    }
  } else {
    sheet_list(p, "Cohort", NULL, p->name, false);
  }
}

harm_status harm_report_xlsx(const char *path, const harm_manifest *m,
                             harm_error *err) {
  if (!m || !m->cohort) {
    return harm__fail(err, HARM_ERR_USAGE, "report", path, 0, NULL,
                      "the workbook needs a cohort");
  }
  pack p;
  pack_init(&p, m, err);
  size_t n = harm_cohort_count(p.c);
  /* The lists: one per area, in the order the cohort holds them. */
  const char **parts = harm__malloc((n ? n : 1) * sizeof *parts);
  if (!parts) {
    return harm__fail(err, HARM_ERR_NOMEM, "report", path, 0, NULL,
                      "out of memory");
  }
  bool force_wide;
  size_t n_parts = list_parts(p.c, parts, &force_wide);
  lxw_workbook_options wo = {0};
  wo.constant_memory = LXW_FALSE;
  p.wb = workbook_new_opt(path, &wo);
  if (!p.wb) {
    harm__free(parts);
    return harm__fail(err, HARM_ERR_IO, "report", path, 0, NULL,
                      "cannot create the workbook");
  }
  harm__xlsx_set_created_from(p.wb, m);
  p.f = harm__xlsx_add_formats(p.wb);
  p.section = workbook_add_format(p.wb);
  format_set_bold(p.section);
  format_set_bottom(p.section, LXW_BORDER_THIN);
  sheet_summary(&p, parts, n_parts);
  sheets_lists(&p, parts, n_parts, force_wide);
  sheet_movers(&p);
  sheet_breakdown(&p);
  sheet_notes(&p);
  harm__xlsx_run_details(p.wb, m->command, m, &p.f, &p.pg);
  lxw_error e = workbook_close(p.wb);
  harm__free(parts);
  if (p.st != HARM_OK) {
    return p.st;
  }
  if (e != LXW_NO_ERROR) {
    return harm__fail(err, HARM_ERR_IO, "report", path, 0, NULL,
                      "cannot write the workbook: %s", lxw_strerror(e));
  }
  return HARM_OK;
}
