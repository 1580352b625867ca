/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/ingest/header.c: an offences file's header row. It maps the
 * header's names to the roles the loader reads (offence_id, offender_id,
 * ...) and to the columns filters name, and gives library callers a look
 * at the header alone (harm_ingest_has_column), to learn whether a column
 * exists without reading the whole file. */
#include <string.h>

#include "core/csvread.h"
#include "core/internal.h"
#include "harmrank/ingest.h"
#include "ingest/loader.h"

typedef struct look {
  const char *column;
  bool has;
  bool seen;
} look;

static bool on_header(void *ctx, const harm__csv_record *rec) {
  look *l = ctx;
  for (size_t i = 0; !rec->error && i < rec->n_fields; i++) {
    const char *p = rec->fields[i].p;
    size_t len = rec->fields[i].len;
    harm__trim(&p, &len);
    l->has = l->has || harm__ieq(p, len, l->column);
  }
  l->seen = true;
  return false; /* the header is all we need */
}

harm_status harm_ingest_has_column(const char *path, const char *column,
                                   bool *has, harm_error *err) {
  *has = false;
  if (!path || !column || !*column) {
    return HARM_OK;
  }
  look l = {.column = column};
  harm_status st =
      harm__csv_read_file(path, (size_t)1 << 20, on_header, &l, "ingest", err);
  if (l.seen) {
    harm_error_clear(err);
    *has = l.has;
    return HARM_OK;
  }
  return st;
}

/* Column name for a role; a NULL name in opts means the default. */
const char *harm__ingest_role_name(const loader *ld, int role) {
  const harm_columns *c = &ld->opts->columns;
  const char *name = NULL, *def = NULL;
  switch (role) {
  case COL_OID:
    name = c->offence_id, def = "offence_id";
    break;
  case COL_SUBJECT:
    if (ld->opts->group_by) {
      return ld->opts->group_by;
    }
    name = c->offender_id, def = "offender_id";
    break;
  case COL_CODE:
    name = c->offence_code, def = "offence_code";
    break;
  case COL_DATE:
    name = c->offence_date, def = "offence_date";
    break;
  case COL_OFFENDER:
    name = c->offender_id, def = "offender_id";
    break;
  case COL_VICTIM:
    name = c->victim_id, def = "victim_id";
    break;
  case COL_DOMESTIC:
    name = c->domestic, def = "domestic";
    break;
  case COL_PLACE:
    name = c->place, def = "place";
    break;
  case COL_PLACE_TYPE:
    name = c->place_type, def = "place_type";
    break;
  case COL_AREA:
  default:
    name = c->area, def = "area";
    break;
  }
  return name ? name : def;
}

static size_t find_col(const loader *ld, const char *name) {
  if (!name) {
    return ABSENT;
  }
  for (size_t i = 0; i < ld->n_cols; i++) {
    if (harm__ieq(ld->names[i], strlen(ld->names[i]), name)) {
      return i;
    }
  }
  return ABSENT;
}

/* The column a filter names. A filter names a role (the logical column
 * name, e.g. `domestic`), so `[filter] domestic = yes` keeps working when
 * `[columns] domestic = DA_FLAG` maps the role to another header; any
 * other name is a header name. The role wins when both exist. */
static size_t filter_col(const loader *ld, const char *name) {
  static const struct {
    int role;
    const char *name;
  } roles[] = {{COL_OID, "offence_id"},
               {COL_OFFENDER, "offender_id"},
               {COL_CODE, "offence_code"},
               {COL_DATE, "offence_date"},
               {COL_VICTIM, "victim_id"},
               {COL_DOMESTIC, "domestic"},
               {COL_AREA, "area"},
               {COL_PLACE, "place"},
               {COL_PLACE_TYPE, "place_type"}};
  for (size_t k = 0; name && k < sizeof roles / sizeof roles[0]; k++) {
    int role = roles[k].role;
    /* The place roles name the same column whether or not this run reads
     * places, so a filter on them means one thing in every command. */
    size_t col = role == COL_PLACE || role == COL_PLACE_TYPE
                     ? find_col(ld, harm__ingest_role_name(ld, role))
                     : ld->col[role];
    if (col != ABSENT && harm__ieq(name, strlen(name), roles[k].name)) {
      return col;
    }
  }
  return find_col(ld, name);
}

harm_status harm__ingest_setup_header(loader *ld, const harm__csv_record *rec) {
  if (rec->error) {
    return harm__fail(ld->err, HARM_ERR_DATA, "ingest", ld->name, rec->line,
                      NULL, "header row: %s", rec->error);
  }
  ld->n_cols = rec->n_fields;
  ld->names = harm__calloc(rec->n_fields, sizeof *ld->names);
  if (!ld->names) {
    return HARM_ERR_NOMEM;
  }
  for (size_t i = 0; i < rec->n_fields; i++) {
    const char *p = rec->fields[i].p;
    size_t len = rec->fields[i].len;
    harm__trim(&p, &len);
    ld->names[i] = harm__strndup(p, len);
    if (!ld->names[i]) {
      return HARM_ERR_NOMEM;
    }
  }
  /* Spreadsheets save columns that were once touched as empty trailing
   * header cells: they name nothing, so they are not columns. */
  while (ld->n_cols > 0 && ld->names[ld->n_cols - 1][0] == '\0') {
    harm__free(ld->names[--ld->n_cols]);
    ld->names[ld->n_cols] = NULL;
    ld->n_extra++;
  }
  for (size_t i = 0; i < ld->n_cols; i++) {
    for (size_t j = 0; j < i; j++) {
      if (harm__ieq(ld->names[i], strlen(ld->names[i]), ld->names[j])) {
        return harm__fail(ld->err, HARM_ERR_DATA, "ingest", ld->name, rec->line,
                          ld->names[i],
                          "column appears twice in the header (columns %zu "
                          "and %zu)",
                          j + 1, i + 1);
      }
    }
  }
  for (int role = 0; role < N_ROLES; role++) {
    const char *name = harm__ingest_role_name(ld, role);
    ld->col[role] = find_col(ld, name);
    if ((role == COL_PLACE || role == COL_PLACE_TYPE) &&
        !ld->opts->read_places) {
      ld->col[role] = ABSENT; /* places: read only when asked */
    }
    if (role == COL_PLACE_TYPE && ld->opts->place_optional) {
      ld->col[role] = ABSENT; /* top_places needs no type */
    }
    /* People mode: the offender column may go by a second name. */
    if (ld->col[role] == ABSENT && ld->opts->offender_alias &&
        (role == COL_OFFENDER ||
         (role == COL_SUBJECT && !ld->opts->group_by))) {
      ld->col[role] = find_col(ld, ld->opts->offender_alias);
    }
    bool required = role <= COL_OFFENDER;
    if (required && ld->col[role] == ABSENT) {
      return harm__fail(ld->err, HARM_ERR_DATA, "ingest", ld->name, rec->line,
                        name ? name : "",
                        "required column missing from the "
                        "header");
    }
  }
  /* Places read for their own sake (not only for top_places) need the
   * column: say so at the header, not after reading every row. */
  if (ld->opts->read_places && !ld->opts->place_optional &&
      ld->col[COL_PLACE] == ABSENT) {
    const char *name = harm__ingest_role_name(ld, COL_PLACE);
    return harm__fail(ld->err, HARM_ERR_USAGE, "ingest", ld->name, rec->line,
                      name ? name : "place",
                      "the offences have no place column (set [columns] "
                      "place)");
  }
  ld->n_present = 0;
  ld->n_absent = 0;
  for (int role = 0; role < N_ROLES; role++) {
    if (ld->col[role] != ABSENT) {
      ld->present_col[ld->n_present] = ld->col[role];
      ld->present[ld->n_present++] = (unsigned char)role;
    } else {
      ld->absent[ld->n_absent++] = (unsigned char)role;
    }
  }
  ld->ds->has_area = ld->col[COL_AREA] != ABSENT;
  ld->ds->has_place = ld->col[COL_PLACE] != ABSENT;
  ld->ds->has_place_type = ld->col[COL_PLACE_TYPE] != ABSENT;
  for (size_t k = 0; k < ld->opts->n_filters; k++) {
    const harm_filter *f = &ld->opts->filters[k];
    col_filter *cf = &ld->filters[k];
    cf->col = filter_col(ld, f->column);
    if (cf->col == ABSENT) {
      return harm__fail(ld->err, HARM_ERR_CONFIG, "ingest", ld->name, rec->line,
                        f->column ? f->column : "",
                        "filter names a column the header lacks");
    }
    cf->boolean = cf->col == ld->col[COL_DOMESTIC];
    if (cf->boolean) {
      for (size_t v = 0; v < f->n_values; v++) {
        bool b;
        if (!harm__parse_bool(f->values[v], strlen(f->values[v]), &b)) {
          return harm__fail(ld->err, HARM_ERR_CONFIG, "ingest", ld->name, 0,
                            f->column, "filter value \"%s\" is not yes/no",
                            f->values[v]);
        }
        if (b) {
          cf->want_true = true;
        } else {
          cf->want_false = true;
        }
      }
    }
  }
  ld->have_header = true;
  return HARM_OK;
}
