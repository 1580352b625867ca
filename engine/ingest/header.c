/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/ingest/header.c: a look at an offences file's header alone, for
 * work that depends on whether a column exists (a second read for each
 * offender's top places) and must not read the whole file to find out. */
#include <string.h>

#include "core/csvread.h"
#include "core/internal.h"
#include "harmrank/ingest.h"

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
  return st == HARM_OK ? HARM_OK : st;
}
