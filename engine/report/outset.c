/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/report/outset.c: an output set, the files one run writes into a
 * folder, finished together: every member is written to a temporary file,
 * hashed from it, then manifest.json (which records those hashes) is
 * written, and the members are renamed into place with the manifest last.
 * A failure anywhere before the renames leaves the folder as it was. */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "harmrank/report.h"

enum { MAX_MEMBERS = 32 };

struct harm_outset {
  char *dir;
  unsigned mode;
  size_t n;
  char *names[MAX_MEMBERS];
  harm_outfile *files[MAX_MEMBERS];
};

harm_status harm_outset_new(const char *dir, unsigned mode, harm_outset **out,
                            harm_error *err) {
  *out = NULL;
  harm_outset *s = harm__calloc(1, sizeof *s);
  if (s) {
    s->dir = harm__strdup(dir);
    s->mode = mode;
  }
  if (!s || !s->dir) {
    harm__free(s);
    return harm__fail(err, HARM_ERR_NOMEM, "report", dir, 0, NULL,
                      "out of memory");
  }
  *out = s;
  return HARM_OK;
}

static harm_status put(harm_outset *s, const char *name, harm_outfile *f,
                       harm_error *err) {
  char *copy = s->n < MAX_MEMBERS ? harm__strdup(name) : NULL;
  if (!copy) {
    harm_outfile_abort(f);
    return harm__fail(err, s->n < MAX_MEMBERS ? HARM_ERR_NOMEM : HARM_ERR_USAGE,
                      "report", s->dir, 0, NULL,
                      s->n < MAX_MEMBERS ? "out of memory"
                                         : "too many outputs in one set");
  }
  s->names[s->n] = copy;
  s->files[s->n++] = f;
  return HARM_OK;
}

harm_status harm_outset_add(harm_outset *s, const char *name, harm_outfile **f,
                            harm_error *err) {
  *f = NULL;
  size_t dl = strlen(s->dir), nl = strlen(name);
  char *path = harm__malloc(dl + nl + 2);
  if (!path) {
    return harm__fail(err, HARM_ERR_NOMEM, "report", s->dir, 0, NULL,
                      "out of memory");
  }
  snprintf(path, dl + nl + 2, "%s%s%s", s->dir,
           dl && s->dir[dl - 1] != '/' ? "/" : "", name);
  harm_outfile *o = NULL;
  harm_status st = harm_outfile_open(path, s->mode, &o, err);
  harm__free(path);
  if (st == HARM_OK) {
    st = put(s, name, o, err);
  }
  if (st == HARM_OK) {
    *f = o;
  }
  return st;
}

harm_status harm_outset_adopt(harm_outset *s, const char *name, harm_outfile *f,
                              harm_error *err) {
  return f ? put(s, name, f, err) : HARM_OK;
}

harm_status harm_outset_commit(harm_outset *s, harm_manifest *m,
                               harm_error *err) {
  harm_manifest_input outputs[MAX_MEMBERS];
  size_t n_out = 0;
  harm_status st = HARM_OK;
  for (size_t k = 0; k < s->n && st == HARM_OK; k++) {
    FILE *fp = harm_outfile_stream(s->files[k]);
    if (fflush(fp) != 0 || ferror(fp)) {
      st = harm__fail(err, HARM_ERR_IO, "report", s->names[k], 0, NULL,
                      "write error");
    }
    outputs[n_out++] = (harm_manifest_input){
        .role = s->names[k], .path = harm_outfile_temp_path(s->files[k])};
  }
  harm_outfile *man = NULL;
  if (st == HARM_OK && m) {
    st = harm_outset_add(s, "manifest.json", &man, err);
  }
  if (st == HARM_OK && m) {
    m->outputs = outputs;
    m->n_outputs = n_out;
    st = harm_report_manifest(harm_outfile_stream(man), m, err);
    m->outputs = NULL;
    m->n_outputs = 0;
  }
  /* The renames, the manifest last: a set whose manifest is new is
   * complete. */
  for (size_t k = 0; k < s->n; k++) {
    if (st == HARM_OK) {
      st = harm_outfile_commit(s->files[k], err);
    } else {
      harm_outfile_abort(s->files[k]);
    }
    s->files[k] = NULL;
  }
  return st;
}

size_t harm_outset_count(const harm_outset *s) { return s->n; }

const char *harm_outset_name(const harm_outset *s, size_t i) {
  return i < s->n ? s->names[i] : NULL;
}

void harm_outset_free(harm_outset *s) {
  if (!s) {
    return;
  }
  for (size_t k = 0; k < s->n; k++) {
    harm_outfile_abort(s->files[k]);
    harm__free(s->names[k]);
  }
  harm__free(s->dir);
  harm__free(s);
}
