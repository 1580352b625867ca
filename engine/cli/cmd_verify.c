/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cmd_verify.c: `harmrank verify OUT_DIR/manifest.json`:
 * re-hashes every input the manifest records, re-runs the recorded
 * command with the recorded configuration (the same command handler, from
 * the recorded working folder, into a temporary folder) and compares the
 * SHA-256 of every output the manifest lists. "Identical" means every
 * listed output (everything but manifest.json itself, which records a
 * working folder and hashes of its own) has the recorded hash, both in
 * OUT_DIR and in the re-run. Exit 0 identical, 1 a difference (each named),
 * 3 an input missing. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_internal.h"

enum { MAX_ARGV = 512 };

/* Removes the files of a folder verify made, then the folder. */
static void remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    char path[PATH_MAX + NAME_MAX + 2];
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
        cli_join(path, sizeof path, dir, e->d_name);
        unlink(path);
      }
    }
    closedir(d);
  }
  rmdir(dir);
}

/* argv for the re-run: the command, its config files (so the inputs it
 * records match), every recorded key but the output place ones, its
 * positional arguments, then --out and --quiet. Strings live in pool. */
typedef struct argv_buf {
  char *argv[MAX_ARGV];
  int argc;
  char *owned[MAX_ARGV];
  size_t n_owned;
} argv_buf;

static bool push(argv_buf *a, const char *s, bool copy) {
  if (a->argc + 1 >= MAX_ARGV) {
    return false;
  }
  char *p = copy ? strdup(s) : (char *)s;
  if (!p) {
    return false;
  }
  if (copy) {
    a->owned[a->n_owned++] = p;
  }
  a->argv[a->argc++] = p;
  a->argv[a->argc] = NULL;
  return true;
}

static void argv_free(argv_buf *a) {
  for (size_t i = 0; i < a->n_owned; i++) {
    free(a->owned[i]);
  }
}

static bool build_argv(const harm_oversight_manifest *m, const char *out_dir,
                       argv_buf *a) {
  memset(a, 0, sizeof *a);
  bool ok = push(a, harm_oversight_manifest_command(m), true);
  for (size_t i = 0; ok && i < harm_oversight_manifest_n_inputs(m); i++) {
    const harm_oversight_file *f = harm_oversight_manifest_input(m, i);
    if (strcmp(f->role, "config") == 0) {
      ok = push(a, "-c", false) && push(a, f->path, true);
    }
  }
  /* With config files every key is set again (a flag may have overridden
   * a file back to its default); without, only keys off their default, so
   * a command without --set (history) gets none. */
  bool all = a->argc > 1;
  harm_config *defaults = NULL;
  if (harm_config_new(&defaults, NULL) != HARM_OK) {
    return false;
  }
  for (size_t i = 0; ok && i < harm_oversight_manifest_n_keys(m); i++) {
    const char *section, *key, *value;
    harm_oversight_manifest_key(m, i, &section, &key, &value);
    const char *def = harm_config_get(defaults, section, key);
    if (harm_config_is_output_key(section, key) ||
        (!all && def && strcmp(def, value) == 0)) {
      continue;
    }
    size_t n = strlen(section) + strlen(key) + strlen(value) + 3;
    char *kv = malloc(n);
    if (!kv) {
      harm_config_free(defaults);
      return false;
    }
    snprintf(kv, n, "%s.%s=%s", section, key, value);
    ok = push(a, "--set", false) && push(a, kv, false);
    if (ok) {
      a->owned[a->n_owned++] = kv;
    } else {
      free(kv);
    }
  }
  harm_config_free(defaults);
  ok = ok && push(a, "--out", false) && push(a, out_dir, true) &&
       push(a, "--quiet", false);
  if (ok && harm_oversight_manifest_n_args(m)) {
    ok = push(a, "--", false);
  }
  for (size_t i = 0; ok && i < harm_oversight_manifest_n_args(m); i++) {
    ok = push(a, harm_oversight_manifest_arg(m, i), true);
  }
  return ok;
}

static const char *check_word(harm_oversight_check c) {
  switch (c) {
  case HARM_CHECK_SAME:
    return "unchanged";
  case HARM_CHECK_CHANGED:
    return "CHANGED (its SHA-256 differs from the manifest's)";
  case HARM_CHECK_MISSING:
    return "MISSING";
  default:
    return "not hashed (read from standard input): cannot be re-run";
  }
}

/* Re-runs the recorded command into `out_dir` from the recorded working
 * folder. Returns the command's exit code. */
static int rerun(const harm_oversight_manifest *m, const char *out_dir) {
  const cli_command *cmd = cli_find_command(harm_oversight_manifest_command(m));
  if (!cmd || cmd->bit == CLI_VERIFY) {
    fprintf(stderr, "harmrank: verify: cannot re-run command \"%s\"\n",
            harm_oversight_manifest_command(m));
    return HARM_EXIT_USAGE;
  }
  argv_buf a;
  if (!build_argv(m, out_dir, &a)) {
    argv_free(&a);
    fprintf(stderr, "harmrank: verify: the manifest holds too many keys\n");
    return HARM_EXIT_INTERNAL;
  }
  int here = open(".", O_RDONLY | O_DIRECTORY);
  const char *cwd = harm_oversight_manifest_cwd(m);
  if (cwd[0] && chdir(cwd) != 0) {
    char e[1024];
    fprintf(stderr,
            "harmrank: verify: cannot enter the run's working folder %s: "
            "%s; relative paths are read from here\n",
            cli_esc(cwd, e, sizeof e), strerror(errno));
  }
  int rc = cmd->run(a.argc, a.argv);
  if (here >= 0) {
    if (fchdir(here) != 0) {
      rc = rc ? rc : HARM_EXIT_IO;
    }
    close(here);
  }
  argv_free(&a);
  return rc;
}

/* Loads the manifest at `path` (or in the folder `path`), noting when a
 * different version made the run. */
static int load_manifest(const char *path, bool quiet,
                         harm_oversight_manifest **m) {
  char e1[1024];
  struct stat sb;
  char joined[4096];
  if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    cli_join(joined, sizeof joined, path, "manifest.json");
    path = joined;
  }
  harm_error err = HARM_ERROR_INIT;
  if (harm_oversight_manifest_load(path, m, &err) != HARM_OK) {
    return cli_fail(&err);
  }
  if (strcmp(harm_oversight_manifest_version(*m), harm_version()) != 0 &&
      !quiet) {
    fprintf(stderr,
            "harmrank: verify: note: the run was made by harmrank %s; this "
            "is %s\n",
            cli_esc(harm_oversight_manifest_version(*m), e1, sizeof e1),
            harm_version());
  }
  return HARM_EXIT_OK;
}

/* 1. The inputs, re-hashed, one line each (only the changed ones when
 * quiet). Sets *missing and *differs. */
static void check_inputs(const harm_oversight_manifest *m, bool quiet,
                         bool *missing, bool *differs) {
  char e1[1024];
  for (size_t i = 0; i < harm_oversight_manifest_n_inputs(m); i++) {
    const harm_oversight_file *f = harm_oversight_manifest_input(m, i);
    harm_oversight_check c =
        strcmp(f->path, "-") == 0
            ? HARM_CHECK_NOT_HASHED
            : harm_oversight_check_file(f->resolved, f->sha256, NULL);
    *missing |= c == HARM_CHECK_MISSING || c == HARM_CHECK_NOT_HASHED;
    *differs |= c == HARM_CHECK_CHANGED;
    if (!quiet || c != HARM_CHECK_SAME) {
      printf("input  %-11s %s: %s\n", f->role, cli_esc(f->path, e1, sizeof e1),
             check_word(c));
    }
  }
}

/* The folder for the re-run in tmp: --out (made, absolute) or a new
 * temporary folder (*made_tmp). */
static int rerun_folder(const cli_opts *o, char tmp[PATH_MAX], bool *made_tmp) {
  int rc = HARM_EXIT_OK;
  if (o->out_dir) {
    rc = cli_make_dirs("verify", o->out_dir);
    char *abs = rc ? NULL : realpath(o->out_dir, NULL);
    snprintf(tmp, PATH_MAX, "%s", abs ? abs : o->out_dir);
    free(abs);
  } else {
    const char *base = getenv("TMPDIR");
    snprintf(tmp, PATH_MAX, "%s/harmrank-verify-XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(tmp)) {
      fprintf(stderr, "harmrank: verify: cannot make a temporary folder: %s\n",
              strerror(errno));
      rc = HARM_EXIT_IO;
    }
    *made_tmp = !rc;
  }
  return rc;
}

/* 3. Every output: as it is in OUT_DIR now, and as re-run into tmp, one
 * line each (only the differing ones when quiet); true when any
 * differs. */
static bool compare_outputs(const harm_oversight_manifest *m, const char *tmp,
                            bool quiet) {
  char e1[1024];
  bool differs = false;
  for (size_t i = 0; i < harm_oversight_manifest_n_outputs(m); i++) {
    const harm_oversight_file *f = harm_oversight_manifest_output(m, i);
    char again[PATH_MAX + 256], hex[65];
    cli_join(again, sizeof again, tmp, f->role);
    harm_oversight_check now =
        harm_oversight_check_file(f->resolved, f->sha256, NULL);
    harm_oversight_check re = harm_oversight_check_file(again, f->sha256, hex);
    bool same = now == HARM_CHECK_SAME && re == HARM_CHECK_SAME;
    differs |= !same;
    if (!quiet || !same) {
      printf("output %-19s %s%s%s\n", cli_esc(f->role, e1, sizeof e1),
             re == HARM_CHECK_SAME ? "re-run identical"
             : re == HARM_CHECK_MISSING
                 ? "DIFFERS: the re-run did not write it"
                 : "DIFFERS: the re-run wrote other bytes",
             now == HARM_CHECK_SAME ? ""
             : now == HARM_CHECK_MISSING
                 ? "; MISSING from the run's folder"
                 : "; CHANGED in the run's folder since the run",
             "");
    }
  }
  return differs;
}

int cli_cmd_verify(int argc, char **argv) {
  cli_opts o;
  int rc = cli_start("verify", argc, argv, &o, true);
  if (rc >= 0) {
    cli_opts_free(&o);
    return rc;
  }
  if (o.n_positional != 1) {
    fprintf(stderr, "harmrank: verify: pass one manifest: harmrank verify "
                    "OUT_DIR/manifest.json\n");
    cli_opts_free(&o);
    return HARM_EXIT_USAGE;
  }
  harm_oversight_manifest *m = NULL;
  bool quiet = o.quiet;
  rc = load_manifest(o.positional[0], quiet, &m);
  if (rc) {
    cli_opts_free(&o);
    return rc;
  }
  bool missing = false, differs = false;
  check_inputs(m, quiet, &missing, &differs);
  if (missing) {
    fprintf(stderr, "harmrank: verify: an input is missing: the run cannot "
                    "be repeated\n");
    harm_oversight_manifest_free(m);
    cli_opts_free(&o);
    return HARM_EXIT_IO;
  }
  /* 2. The re-run, into --out or a temporary folder. */
  char tmp[PATH_MAX];
  bool made_tmp = false;
  rc = rerun_folder(&o, tmp, &made_tmp);
  if (!rc) {
    int rr = rerun(m, tmp);
    if (rr) {
      fprintf(stderr,
              "harmrank: verify: the re-run of \"%s\" failed (exit %d)\n",
              harm_oversight_manifest_command(m), rr);
      rc = rr == HARM_EXIT_IO ? HARM_EXIT_IO : HARM_EXIT_DATA;
    }
  }
  if (!rc) {
    differs |= compare_outputs(m, tmp, quiet);
  }
  if (made_tmp) {
    remove_tree(tmp);
  }
  if (!rc) {
    if (differs) {
      printf("differs\n");
      rc = HARM_EXIT_DATA;
    } else {
      printf("identical\n");
    }
  }
  harm_oversight_manifest_free(m);
  cli_opts_free(&o);
  return rc;
}
