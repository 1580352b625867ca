/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/report/manifest.c: manifest.json, the audit record of a run:
 * what went in (with SHA-256), the configuration as applied, the weights'
 * provenance, the window and where every row went. JSON via jansson,
 * hashes via core/digest.h. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/internal.h"
#include "harmrank/report.h"

harm_status harm_report_sha256_file(const char *path, char hex[65],
                                    uint64_t *bytes, harm_error *err) {
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    return harm__fail(err, HARM_ERR_IO, "report", path, 0, NULL,
                      "cannot open to hash: %s", strerror(errno));
  }
  harm__digest dg;
  unsigned char buf[1 << 16];
  bool ok = harm__digest_begin(&dg);
  size_t n;
  while (ok && (n = fread(buf, 1, sizeof buf, fp)) > 0) {
    harm__digest_update(&dg, buf, n);
  }
  ok = ok && !ferror(fp);
  harm_input_hash h;
  if (ok) {
    ok = harm__digest_end(&dg, &h);
  } else {
    harm__digest_free(&dg);
  }
  fclose(fp);
  if (!ok) {
    return harm__fail(err, HARM_ERR_IO, "report", path, 0, NULL,
                      "cannot hash the file");
  }
  memcpy(hex, h.sha256, 65);
  if (bytes) {
    *bytes = h.bytes;
  }
  return HARM_OK;
}

/* jansson returns NULL on allocation failure; json_object_set_new then
 * fails too, and the final dump reports it. */
static void set(json_t *obj, const char *key, json_t *v) {
  json_object_set_new(obj, key, v);
}

/* A JSON string of any bytes: jansson refuses invalid UTF-8, so such text
 * (an odd offence code, a path) is written with each byte outside
 * printable ASCII as "?" rather than lost. */
static json_t *text(const char *s) {
  json_t *j = json_string(s);
  if (j) {
    return j;
  }
  size_t n = strlen(s);
  char *c = harm__malloc(n + 1);
  if (!c) {
    return NULL;
  }
  for (size_t i = 0; i <= n; i++) {
    unsigned char b = (unsigned char)s[i];
    c[i] = (b == 0 || (b >= 0x20 && b < 0x7f)) ? (char)b : '?';
  }
  j = json_string(c);
  harm__free(c);
  return j;
}

static json_t *date_json(harm_date d) {
  char buf[11];
  harm_date_format_iso(d, buf);
  return buf[0] ? json_string(buf) : json_null();
}

static json_t *accounting_json(const harm_accounting *a) {
  json_t *o = json_object();
  set(o, "read", json_integer((json_int_t)a->read));
  set(o, "scored", json_integer((json_int_t)a->scored));
  set(o, "outside_window", json_integer((json_int_t)a->outside_window));
  set(o, "future_dated", json_integer((json_int_t)a->future_dated));
  set(o, "filtered", json_integer((json_int_t)a->filtered));
  set(o, "filtered_proactive", json_integer((json_int_t)a->proactive));
  set(o, "duplicates", json_integer((json_int_t)a->duplicates));
  set(o, "rejected", json_integer((json_int_t)a->rejected));
  bool adds_up = a->read == a->scored + a->outside_window + a->future_dated +
                                a->filtered + a->duplicates + a->rejected;
  set(o, "adds_up", json_boolean(adds_up));
  return o;
}

/* "inputs": each input's role, path and SHA-256, as it was read or, for
 * an input read without hashing, hashed now. */
static harm_status inputs_json(const harm_manifest *m, json_t **out,
                               harm_error *err) {
  *out = NULL;
  json_t *inputs = json_array();
  for (size_t i = 0; i < m->n_inputs; i++) {
    const harm_manifest_input *in = &m->inputs[i];
    json_t *o = json_object();
    set(o, "role", text(in->role));
    set(o, "path", text(in->path));
    if (in->hash && in->hash->sha256[0]) {
      /* Taken from the bytes as they were read. */
      set(o, "sha256", text(in->hash->sha256));
      set(o, "bytes", json_integer((json_int_t)in->hash->bytes));
    } else if (strcmp(in->path, "-") == 0) {
      set(o, "sha256", json_null());
      set(o, "note", text("read from standard input: not hashed"));
    } else {
      char hex[65];
      uint64_t bytes;
      harm_status st = harm_report_sha256_file(in->path, hex, &bytes, err);
      if (st != HARM_OK) {
        json_decref(o);
        json_decref(inputs);
        return st;
      }
      set(o, "sha256", text(hex));
      set(o, "bytes", json_integer((json_int_t)bytes));
    }
    json_array_append_new(inputs, o);
  }
  *out = inputs;
  return HARM_OK;
}

/* "config": every key of the configuration, by section. */
static json_t *config_json(const harm_config *config) {
  json_t *cfg = json_object();
  for (size_t i = 0; i < harm_config_n_keys(config); i++) {
    const char *section, *key, *value;
    harm_config_key(config, i, &section, &key, &value);
    json_t *sec = json_object_get(cfg, section);
    if (!sec) {
      sec = json_object();
      json_object_set_new(cfg, section, sec);
    }
    set(sec, key, text(value));
  }
  return cfg;
}

/* "weights": the table's source, layout and how many are estimates. */
static json_t *weights_json(const harm_weights *w) {
  json_t *o = json_object();
  size_t est = harm_weights_n_estimates(w);
  set(o, "source", text(harm_weights_source(w)));
  set(o, "layout",
      text(harm_weights_layout(w) == HARM_WEIGHTS_CCHI ? "cchi values sheet"
                                                       : "native"));
  set(o, "entries", json_integer((json_int_t)harm_weights_count(w)));
  set(o, "estimates", json_integer((json_int_t)est));
  set(o, "aliases", json_integer((json_int_t)harm_weights_n_aliases(w)));
  set(o, "rows_merged_by_duplicate_rule",
      json_integer((json_int_t)harm_weights_n_merged(w)));
  set(o, "all_official", json_boolean(est == 0));
  if (est) {
    set(o, "warning",
        text("some weights are estimates, not official CCHI values"));
  }
  return o;
}

/* "people": the roles ranked and how many people hold each. */
static json_t *people_json(const harm_people *pp) {
  size_t roles[4] = {0};
  for (size_t i = 0; i < harm_people_count(pp); i++) {
    roles[harm_people_at(pp, i)->role]++;
  }
  json_t *o = json_object();
  harm_roles r = harm_people_roles(pp);
  set(o, "roles",
      text(r == HARM_ROLES_OFFENDER ? "offender"
           : r == HARM_ROLES_VICTIM ? "victim"
                                    : "both"));
  set(o, "rank_by", text(harm_people_rank_by_name(harm_people_rank_by(pp))));
  set(o, "people", json_integer((json_int_t)harm_people_count(pp)));
  set(o, "offender", json_integer((json_int_t)roles[HARM_ROLE_OFFENDER]));
  set(o, "victim", json_integer((json_int_t)roles[HARM_ROLE_VICTIM]));
  set(o, "both", json_integer((json_int_t)roles[HARM_ROLE_BOTH]));
  set(o, "same_crime", json_integer((json_int_t)roles[HARM_ROLE_SAME_CRIME]));
  set(o, "records_merged",
      json_integer((json_int_t)harm_people_merged_records(pp)));
  set(o, "ids_merged_in_data",
      json_integer((json_int_t)harm_people_merged_ids(pp)));
  return o;
}

/* "cohort": the list's members by route, notes and movers. */
static json_t *cohort_json(const harm_cohort *c) {
  size_t kinds[HARM_MEMBER_KIND_COUNT] = {0};
  for (size_t i = 0; i < harm_cohort_count(c); i++) {
    kinds[harm_cohort_member(c, i)->kind]++;
  }
  json_t *o = json_object();
  set(o, "members", json_integer((json_int_t)harm_cohort_count(c)));
  set(o, "core", json_integer((json_int_t)kinds[HARM_MEMBER_CORE]));
  set(o, "tenure", json_integer((json_int_t)kinds[HARM_MEMBER_TENURE]));
  set(o, "referral", json_integer((json_int_t)kinds[HARM_MEMBER_REFERRAL]));
  set(o, "backfill", json_integer((json_int_t)kinds[HARM_MEMBER_BACKFILL]));
  set(o, "referral_tenure",
      json_integer((json_int_t)kinds[HARM_MEMBER_REFERRAL_TENURE]));
  set(o, "over_capacity",
      json_integer((json_int_t)harm_cohort_over_capacity(c)));
  set(o, "empty_referral_slots",
      json_integer((json_int_t)harm_cohort_empty_slots(c)));
  set(o, "notes", json_integer((json_int_t)harm_cohort_n_notes(c)));
  set(o, "movers", json_integer((json_int_t)harm_cohort_n_moves(c)));
  return o;
}

/* "outputs": each output's name and SHA-256, hashed as written. */
static harm_status outputs_json(const harm_manifest *m, json_t **out,
                                harm_error *err) {
  *out = NULL;
  json_t *outs = json_array();
  for (size_t i = 0; i < m->n_outputs; i++) {
    char hex[65];
    uint64_t bytes;
    harm_status st =
        harm_report_sha256_file(m->outputs[i].path, hex, &bytes, err);
    if (st != HARM_OK) {
      json_decref(outs);
      return st;
    }
    json_t *o = json_object();
    set(o, "name", text(m->outputs[i].role));
    set(o, "sha256", text(hex));
    set(o, "bytes", json_integer((json_int_t)bytes));
    json_array_append_new(outs, o);
  }
  *out = outs;
  return HARM_OK;
}

static harm_status build(json_t *root, const harm_manifest *m,
                         harm_error *err) {
  set(root, "harmrank_version", text(harm_version()));
  set(root, "command", text(m->command ? m->command : ""));
  set(root, "pseudonymised", json_boolean(m->pseudonymised));
  /* What `harmrank verify` needs to re-run the command: the folder the
   * relative paths below are relative to, and the positional arguments
   * (every option is in "config"). */
  char cwd[4096];
  set(root, "cwd", getcwd(cwd, sizeof cwd) ? text(cwd) : json_null());
  json_t *args = json_array();
  for (size_t i = 0; i < m->n_args; i++) {
    json_array_append_new(args, text(m->args[i]));
  }
  set(root, "arguments", args);
  json_t *inputs;
  harm_status st = inputs_json(m, &inputs, err);
  if (st != HARM_OK) {
    return st;
  }
  set(root, "inputs", inputs);
  if (m->config) {
    set(root, "config", config_json(m->config));
  }
  if (m->weights) {
    set(root, "weights", weights_json(m->weights));
  }
  if (m->run) {
    harm_window w = harm_run_window(m->run);
    json_t *win = json_object();
    set(win, "as_of", date_json(w.as_of));
    set(win, "lookback_days", json_integer((json_int_t)w.lookback_days));
    set(root, "window", win);
    harm_accounting a = harm_run_accounting(m->run);
    set(root, "rows", accounting_json(&a));
  }
  if (m->scores) {
    size_t n;
    const harm_unknown_code *u = harm_scores_unknown(m->scores, &n);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
      json_t *o = json_object();
      set(o, "code", text(u[i].code));
      set(o, "offences", json_integer((json_int_t)u[i].count));
      json_array_append_new(arr, o);
    }
    set(root, "unknown_codes", arr);
    set(root, "subjects_scored",
        json_integer((json_int_t)harm_scores_count(m->scores)));
  }
  if (m->people) {
    set(root, "people", people_json(m->people));
  }
  if (m->cohort) {
    set(root, "cohort", cohort_json(m->cohort));
  }
  json_t *outs;
  st = outputs_json(m, &outs, err);
  if (st != HARM_OK) {
    return st;
  }
  set(root, "outputs", outs);
  return HARM_OK;
}

harm_status harm_report_manifest(FILE *fp, const harm_manifest *m,
                                 harm_error *err) {
  json_t *root = json_object();
  if (!root) {
    return harm__fail(err, HARM_ERR_NOMEM, "report", NULL, 0, NULL,
                      "out of memory");
  }
  harm_status st = build(root, m, err);
  if (st == HARM_OK) {
    if (json_dumpf(root, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
        fputc('\n', fp) == EOF) {
      st = harm__fail(err, HARM_ERR_IO, "report", NULL, 0, NULL,
                      "cannot write the manifest");
    }
  }
  json_decref(root);
  return st;
}
