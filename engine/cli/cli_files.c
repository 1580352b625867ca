/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cli_files.c: what the CLI checks about the files of a run
 * before reading any of them (no output may be an input or another
 * output; an output set holds regular files only), the manifest's input
 * list with the hashes the readers took, and text from data made safe
 * for a terminal. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_internal.h"

/* ---- Terminal-safe text ------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (n bytes left) that is not a
 * C1 control (U+0080..U+009F), or 0. */
static size_t utf8_ok(const unsigned char *s, size_t n) {
  size_t need = s[0] >= 0xf0 && s[0] <= 0xf4   ? 4
                : s[0] >= 0xe0 && s[0] <= 0xef ? 3
                : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
                                               : 0;
  if (!need || need > n) {
    return 0;
  }
  for (size_t i = 1; i < need; i++) {
    if ((s[i] & 0xc0) != 0x80) {
      return 0;
    }
  }
  if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
      (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f) ||
      (s[0] == 0xc2 && s[1] <= 0x9f)) {
    return 0; /* overlong, surrogate, beyond U+10FFFF, or C1 control */
  }
  return need;
}

const char *cli_esc_n(const char *s, size_t len, char *buf, size_t cap) {
  static const char hex[] = "0123456789abcdef";
  size_t j = 0;
  if (!s) {
    s = "";
    len = 0;
  }
  for (size_t i = 0; i < len;) {
    const unsigned char *u = (const unsigned char *)s + i;
    size_t n = u[0] >= 0x20 && u[0] < 0x7f ? 1 : utf8_ok(u, len - i);
    bool esc = n == 0 || u[0] == '\\';
    size_t need = esc ? (u[0] == '\\' ? 2 : 4) : n;
    if (j + need + 4 > cap) {
      if (cap >= 4) {
        j = j + 4 > cap ? cap - 4 : j;
        memcpy(buf + j, "...", 3);
        j += 3;
      }
      break;
    }
    if (!esc) {
      memcpy(buf + j, u, n);
      j += n;
      i += n;
    } else if (u[0] == '\\') {
      buf[j++] = '\\';
      buf[j++] = '\\';
      i++;
    } else {
      buf[j++] = '\\';
      buf[j++] = 'x';
      buf[j++] = hex[u[0] >> 4];
      buf[j++] = hex[u[0] & 15];
      i++;
    }
  }
  if (cap) {
    buf[j < cap ? j : cap - 1] = '\0';
  }
  return buf;
}

const char *cli_esc(const char *s, char *buf, size_t cap) {
  return cli_esc_n(s, s ? strlen(s) : 0, buf, cap);
}

/* ---- One file, many names ---------------------------------------------- */

typedef struct ident {
  bool exists;
  struct stat sb;
  char resolved[PATH_MAX + NAME_MAX + 2]; /* "" when unknown */
} ident;

static void identify(const char *path, ident *id) {
  memset(id, 0, sizeof *id);
  id->exists = stat(path, &id->sb) == 0;
  char *r = realpath(path, NULL);
  if (r) {
    snprintf(id->resolved, sizeof id->resolved, "%s", r);
    free(r);
    return;
  }
  /* Not there yet: its folder resolved, plus its name. */
  const char *slash = strrchr(path, '/');
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1,
           slash ? (slash == path ? "/" : path) : ".");
  char *rd = realpath(dir, NULL);
  if (rd) {
    snprintf(id->resolved, sizeof id->resolved, "%s/%s",
             strcmp(rd, "/") ? rd : "", slash ? slash + 1 : path);
    free(rd);
  }
}

/* True when a and b are one file: same device and inode when both exist,
 * else the same resolved path. Character devices (/dev/null) are never
 * "the same file": writing two streams into one is harmless. */
static bool same_file(const ident *a, const ident *b) {
  if (a->exists && b->exists) {
    return !S_ISCHR(a->sb.st_mode) && a->sb.st_dev == b->sb.st_dev &&
           a->sb.st_ino == b->sb.st_ino;
  }
  return a->resolved[0] && strcmp(a->resolved, b->resolved) == 0;
}

enum { MAX_FILES = 64 };

typedef struct named {
  const char *what; /* "--offences", "output", ... */
  const char *path;
} named;

static size_t collect_inputs(const cli_opts *o, named *in, size_t cap) {
  size_t n = 0;
#define ADD(w, p)                                                              \
  do {                                                                         \
    if ((p) && *(p) && strcmp((p), "-") != 0 && n < cap) {                     \
      in[n++] = (named){(w), (p)};                                             \
    }                                                                          \
  } while (0)
  ADD("--offences", o->offences);
  for (size_t i = 0; i < o->n_weights; i++) {
    ADD("--weights", o->weights[i]);
  }
  if (!o->n_weights) {
    ADD("[weights] file", harm_config_weights_path(o->cfg));
  }
  ADD("--aliases", harm_config_get(o->cfg, "weights", "aliases"));
  ADD("--referrals", o->referrals);
  ADD("--exclusions", o->exclusions);
  ADD("--previous", o->previous);
  ADD("--pseudonymise", o->pseudonymise);
  for (size_t i = 0; i < o->n_config_files; i++) {
    ADD("--config", o->config_files[i]);
  }
#undef ADD
  return n;
}

int cli_check_paths(const char *cmd, const cli_opts *o, const char *const *outs,
                    size_t n_out, bool set) {
  named in[MAX_FILES];
  size_t n_in = collect_inputs(o, in, MAX_FILES);
  ident out_id[MAX_FILES], in_id;
  if (n_out > MAX_FILES) {
    n_out = MAX_FILES;
  }
  char e1[256], e2[256];
  for (size_t k = 0; k < n_out; k++) {
    if (strcmp(outs[k], "-") == 0) {
      for (size_t j = 0; j < k; j++) {
        if (strcmp(outs[j], "-") == 0) {
          fprintf(stderr,
                  "harmrank: %s: two outputs to standard output; name a file "
                  "for one of them\n",
                  cmd);
          return HARM_EXIT_USAGE;
        }
      }
      out_id[k].resolved[0] = '\0';
      out_id[k].exists = false;
      continue;
    }
    identify(outs[k], &out_id[k]);
    if (set && out_id[k].exists && !S_ISREG(out_id[k].sb.st_mode)) {
      fprintf(stderr,
              "harmrank: %s: %s: not a regular file; an output set is "
              "replaced as a whole and hashed in its manifest, so each of "
              "its files must be a regular file\n",
              cmd, cli_esc(outs[k], e1, sizeof e1));
      return HARM_EXIT_USAGE;
    }
    for (size_t i = 0; i < n_in; i++) {
      identify(in[i].path, &in_id);
      if (same_file(&out_id[k], &in_id)) {
        fprintf(stderr,
                "harmrank: %s: %s: an output would overwrite the input "
                "given as %s %s; write the output elsewhere\n",
                cmd, cli_esc(outs[k], e1, sizeof e1), in[i].what,
                cli_esc(in[i].path, e2, sizeof e2));
        return HARM_EXIT_USAGE;
      }
    }
    for (size_t j = 0; j < k; j++) {
      if (strcmp(outs[j], "-") != 0 && same_file(&out_id[k], &out_id[j])) {
        fprintf(stderr,
                "harmrank: %s: %s and %s are one file: two outputs would "
                "overwrite each other (pass --rejects or -o to separate "
                "them)\n",
                cmd, cli_esc(outs[j], e1, sizeof e1),
                cli_esc(outs[k], e2, sizeof e2));
        return HARM_EXIT_USAGE;
      }
    }
  }
  return HARM_EXIT_OK;
}

/* ---- The manifest's inputs --------------------------------------------- */

size_t cli_manifest_inputs(const cli_opts *o, const cli_pipeline *p,
                           const harm_list *refs, const harm_list *excl,
                           const harm_list *prev, harm_manifest_input *in,
                           size_t cap) {
  size_t n = 0;
#define PUT(r, pa, h)                                                          \
  do {                                                                         \
    if (n < cap) {                                                             \
      in[n++] = (harm_manifest_input){(r), (pa), (h)};                         \
    }                                                                          \
  } while (0)
  PUT("offences", o->offences, harm_dataset_input_hash(p->ds));
  if (o->n_weights) {
    for (size_t i = 0; i < o->n_weights; i++) {
      PUT("weights", o->weights[i],
          i ? o->weights_hash[i] : harm_weights_input_hash(p->weights));
    }
  } else {
    PUT("weights", harm_weights_source(p->weights),
        harm_weights_input_hash(p->weights));
  }
  const char *aliases = harm_config_get(o->cfg, "weights", "aliases");
  if (aliases && *aliases) {
    PUT("aliases", aliases, harm_weights_aliases_hash(p->weights));
  }
  if (refs && o->referrals) {
    PUT("referrals", o->referrals, harm_list_input_hash(refs));
  }
  if (excl && o->exclusions) {
    PUT("exclusions", o->exclusions, harm_list_input_hash(excl));
  }
  if (prev && o->previous) {
    PUT("previous", o->previous, harm_list_input_hash(prev));
  }
  for (size_t i = 0; i < o->n_config_files; i++) {
    PUT("config", o->config_files[i],
        harm_config_input_hash(o->cfg, o->config_files[i]));
  }
#undef PUT
  return n;
}
