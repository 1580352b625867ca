/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/oversight/manifest_read.c: reads a past run's manifest.json
 * back (command, working folder, arguments, inputs and outputs with their
 * SHA-256, window, configuration as applied), compares files with their
 * recorded hashes, and rebuilds the run's pipeline from it. */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "oversight/internal.h"

typedef struct kv {
  char *section, *key, *value;
} kv;

struct harm_oversight_manifest {
  char *command, *version, *cwd, *dir;
  bool pseudonymised;
  harm_date as_of;
  uint32_t lookback;
  harm_oversight_file *inputs, *outputs;
  size_t n_inputs, n_outputs;
  char **args;
  size_t n_args;
  kv *keys;
  size_t n_keys;
};

static harm_status nomem(harm_error *err) {
  return harm__fail(err, HARM_ERR_NOMEM, "oversight", NULL, 0, NULL,
                    "out of memory");
}

static char *dup_str(json_t *j) {
  const char *s = json_is_string(j) ? json_string_value(j) : "";
  return harm__strdup(s);
}

/* `path` made absolute against `cwd` when it is relative. */
static char *resolve(const char *cwd, const char *path) {
  if (!path[0] || path[0] == '/' || strcmp(path, "-") == 0 || !cwd[0]) {
    return harm__strdup(path);
  }
  size_t n = strlen(cwd) + strlen(path) + 2;
  char *r = harm__malloc(n);
  if (r) {
    harm__join(r, n, cwd, path);
  }
  return r;
}

static bool read_files(json_t *arr, bool outputs, const char *cwd,
                       const char *dir, harm_oversight_file **out,
                       size_t *n_out) {
  size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
  *n_out = 0;
  *out = harm__calloc(n ? n : 1, sizeof **out);
  if (!*out) {
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    json_t *o = json_array_get(arr, i);
    harm_oversight_file *f = &(*out)[i];
    f->role = dup_str(json_object_get(o, outputs ? "name" : "role"));
    f->path = dup_str(json_object_get(o, "path"));
    (*n_out)++;
    if (!f->role || !f->path) {
      return false;
    }
    if (outputs) {
      size_t len = strlen(dir) + strlen(f->role) + 2;
      char *r = harm__malloc(len);
      if (r) {
        harm__join(r, len, dir, f->role);
      }
      f->resolved = r;
    } else {
      f->resolved = resolve(cwd, f->path);
    }
    if (!f->resolved) {
      return false;
    }
    json_t *h = json_object_get(o, "sha256");
    if (json_is_string(h) && strlen(json_string_value(h)) == 64) {
      memcpy(f->sha256, json_string_value(h), 65);
    }
    json_t *b = json_object_get(o, "bytes");
    f->bytes = json_is_integer(b) ? (uint64_t)json_integer_value(b) : 0;
  }
  return true;
}

static void free_files(harm_oversight_file *f, size_t n) {
  for (size_t i = 0; f && i < n; i++) {
    harm__free((char *)f[i].role);
    harm__free((char *)f[i].path);
    harm__free((char *)f[i].resolved);
  }
  harm__free(f);
}

void harm_oversight_manifest_free(harm_oversight_manifest *m) {
  if (!m) {
    return;
  }
  harm__free(m->command);
  harm__free(m->version);
  harm__free(m->cwd);
  harm__free(m->dir);
  free_files(m->inputs, m->n_inputs);
  free_files(m->outputs, m->n_outputs);
  for (size_t i = 0; i < m->n_args; i++) {
    harm__free(m->args[i]);
  }
  harm__free(m->args);
  for (size_t i = 0; i < m->n_keys; i++) {
    harm__free(m->keys[i].section);
    harm__free(m->keys[i].key);
    harm__free(m->keys[i].value);
  }
  harm__free(m->keys);
  harm__free(m);
}

static bool read_config(harm_oversight_manifest *m, json_t *cfg) {
  size_t total = 0;
  const char *section;
  json_t *sec;
  json_object_foreach(cfg, section, sec) {
    total += json_is_object(sec) ? json_object_size(sec) : 0;
  }
  m->keys = harm__calloc(total ? total : 1, sizeof *m->keys);
  if (!m->keys) {
    return false;
  }
  json_object_foreach(cfg, section, sec) {
    const char *key;
    json_t *v;
    if (!json_is_object(sec)) {
      continue;
    }
    json_object_foreach(sec, key, v) {
      kv *e = &m->keys[m->n_keys++];
      e->section = harm__strdup(section);
      e->key = harm__strdup(key);
      e->value = dup_str(v);
      if (!e->section || !e->key || !e->value) {
        return false;
      }
    }
  }
  return true;
}

harm_status harm_oversight_manifest_load(const char *path,
                                         harm_oversight_manifest **out,
                                         harm_error *err) {
  *out = NULL;
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    return harm__fail(err, HARM_ERR_IO, "oversight", path, 0, NULL,
                      "cannot open the manifest");
  }
  json_error_t je;
  json_t *root = json_loadf(fp, JSON_REJECT_DUPLICATES, &je);
  fclose(fp);
  if (!root || !json_is_object(root)) {
    json_decref(root);
    return harm__fail(err, HARM_ERR_DATA, "oversight", path,
                      root ? 0 : (size_t)je.line, NULL,
                      "not a harmrank manifest (not a JSON object)");
  }
  json_t *cmd = json_object_get(root, "command");
  json_t *inputs = json_object_get(root, "inputs");
  if (!json_is_string(cmd) || !json_is_array(inputs)) {
    json_decref(root);
    return harm__fail(err, HARM_ERR_DATA, "oversight", path, 0, NULL,
                      "not a harmrank manifest (no command or inputs)");
  }
  harm_oversight_manifest *m = harm__calloc(1, sizeof *m);
  if (!m) {
    json_decref(root);
    return nomem(err);
  }
  bool ok = true;
  m->command = dup_str(cmd);
  m->version = dup_str(json_object_get(root, "harmrank_version"));
  m->cwd = dup_str(json_object_get(root, "cwd"));
  const char *slash = strrchr(path, '/');
  /* The folder of the manifest; "/" itself when it sits in the root. */
  size_t dir_len = slash ? (size_t)(slash - path) : 0;
  m->dir =
      slash ? harm__strndup(path, dir_len ? dir_len : 1) : harm__strdup(".");
  ok = m->command && m->version && m->cwd && m->dir;
  m->pseudonymised = json_is_true(json_object_get(root, "pseudonymised"));
  m->as_of = HARM_DATE_NONE;
  json_t *win = json_object_get(root, "window");
  json_t *a = json_object_get(win, "as_of");
  if (json_is_string(a)) {
    const char *s = json_string_value(a);
    if (!harm_date_parse(s, strlen(s), HARM_DATE_YMD, &m->as_of)) {
      m->as_of = HARM_DATE_NONE;
    }
  }
  json_t *lb = json_object_get(win, "lookback_days");
  m->lookback = json_is_integer(lb) ? (uint32_t)json_integer_value(lb) : 0;
  ok =
      ok && read_files(inputs, false, m->cwd, m->dir, &m->inputs, &m->n_inputs);
  ok = ok && read_files(json_object_get(root, "outputs"), true, m->cwd, m->dir,
                        &m->outputs, &m->n_outputs);
  json_t *args = json_object_get(root, "arguments");
  size_t na = json_is_array(args) ? json_array_size(args) : 0;
  if (ok) {
    m->args = harm__calloc(na ? na : 1, sizeof *m->args);
    ok = m->args != NULL;
  }
  for (size_t i = 0; ok && i < na; i++) {
    m->args[m->n_args] = dup_str(json_array_get(args, i));
    ok = m->args[m->n_args++] != NULL;
  }
  json_t *cfg = json_object_get(root, "config");
  ok = ok && read_config(m, json_is_object(cfg) ? cfg : NULL);
  json_decref(root);
  if (!ok) {
    harm_oversight_manifest_free(m);
    return nomem(err);
  }
  *out = m;
  return HARM_OK;
}

const char *harm_oversight_manifest_command(const harm_oversight_manifest *m) {
  return m->command;
}
const char *harm_oversight_manifest_version(const harm_oversight_manifest *m) {
  return m->version;
}
const char *harm_oversight_manifest_cwd(const harm_oversight_manifest *m) {
  return m->cwd;
}
const char *harm_oversight_manifest_dir(const harm_oversight_manifest *m) {
  return m->dir;
}
bool harm_oversight_manifest_pseudonymised(const harm_oversight_manifest *m) {
  return m->pseudonymised;
}
harm_date harm_oversight_manifest_as_of(const harm_oversight_manifest *m) {
  return m->as_of;
}
uint32_t harm_oversight_manifest_lookback(const harm_oversight_manifest *m) {
  return m->lookback;
}
size_t harm_oversight_manifest_n_inputs(const harm_oversight_manifest *m) {
  return m->n_inputs;
}
const harm_oversight_file *
harm_oversight_manifest_input(const harm_oversight_manifest *m, size_t i) {
  return i < m->n_inputs ? &m->inputs[i] : NULL;
}
const harm_oversight_file *
harm_oversight_manifest_find_input(const harm_oversight_manifest *m,
                                   const char *role) {
  for (size_t i = 0; i < m->n_inputs; i++) {
    if (strcmp(m->inputs[i].role, role) == 0) {
      return &m->inputs[i];
    }
  }
  return NULL;
}
size_t harm_oversight_manifest_n_outputs(const harm_oversight_manifest *m) {
  return m->n_outputs;
}
const harm_oversight_file *
harm_oversight_manifest_output(const harm_oversight_manifest *m, size_t i) {
  return i < m->n_outputs ? &m->outputs[i] : NULL;
}
size_t harm_oversight_manifest_n_args(const harm_oversight_manifest *m) {
  return m->n_args;
}
const char *harm_oversight_manifest_arg(const harm_oversight_manifest *m,
                                        size_t i) {
  return i < m->n_args ? m->args[i] : NULL;
}
size_t harm_oversight_manifest_n_keys(const harm_oversight_manifest *m) {
  return m->n_keys;
}
bool harm_oversight_manifest_key(const harm_oversight_manifest *m, size_t i,
                                 const char **section, const char **key,
                                 const char **value) {
  if (i >= m->n_keys) {
    return false;
  }
  *section = m->keys[i].section;
  *key = m->keys[i].key;
  *value = m->keys[i].value;
  return true;
}

harm_status harm_oversight_manifest_config(const harm_oversight_manifest *m,
                                           harm_config **out, harm_error *err) {
  *out = NULL;
  harm_config *cfg = NULL;
  harm_status st = harm_config_new(&cfg, err);
  for (size_t i = 0; st == HARM_OK && i < m->n_keys; i++) {
    const kv *e = &m->keys[i];
    if (!harm_config_is_path_key(e->section, e->key) || !e->value[0]) {
      st = harm_config_set(cfg, e->section, e->key, e->value, err);
      continue;
    }
    /* A list of files ("a.csv, b.csv") is resolved file by file. */
    harm__buf b = {0};
    const char *p = e->value;
    bool ok = true;
    while (ok && *p) {
      const char *comma = strchr(p, ',');
      size_t len = comma ? (size_t)(comma - p) : strlen(p);
      const char *s = p;
      harm__trim(&s, &len);
      char *one = harm__strndup(s, len);
      char *r = one ? resolve(m->cwd, one) : NULL;
      ok = r && (!b.len || harm__buf_append(&b, ", ", 2)) &&
           harm__buf_append(&b, r, strlen(r));
      harm__free(one);
      harm__free(r);
      p = comma ? comma + 1 : p + strlen(p);
    }
    ok = ok && harm__buf_append(&b, "", 1);
    st =
        ok ? harm_config_set(cfg, e->section, e->key, b.data, err) : nomem(err);
    harm__buf_free(&b);
  }
  if (st != HARM_OK) {
    harm_config_free(cfg);
    return st;
  }
  *out = cfg;
  return HARM_OK;
}

harm_oversight_check harm_oversight_check_file(const char *path,
                                               const char *sha256,
                                               char actual[65]) {
  char hex[65] = "";
  uint64_t bytes = 0;
  harm_status st = harm_report_sha256_file(path, hex, &bytes, NULL);
  if (actual) {
    memcpy(actual, st == HARM_OK ? hex : "", st == HARM_OK ? 65 : 1);
  }
  if (st != HARM_OK) {
    return HARM_CHECK_MISSING;
  }
  if (!sha256 || !sha256[0]) {
    return HARM_CHECK_NOT_HASHED;
  }
  return strcmp(hex, sha256) == 0 ? HARM_CHECK_SAME : HARM_CHECK_CHANGED;
}
