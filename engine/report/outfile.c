/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/report/outfile.c: atomic output files. Bytes go to a temporary
 * file in the target's folder (same file system, so rename is atomic);
 * commit flushes, fsyncs and renames; abort unlinks. A failed run never
 * leaves a half-written output. A destination that is not a regular file
 * (a device, a FIFO, standard output under another name) is written
 * directly and never replaced. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/internal.h"
#include "harmrank/report.h"

struct harm_outfile {
  FILE *fp;
  char *path;  /* the file that is replaced (a symlink's target) */
  char *tmp;   /* NULL when writing directly (stdout, a device, a FIFO) */
  bool own_fp; /* direct write to a file we opened (close on finish) */
  int slot;    /* index in the temporary-file registry, or -1 */
  unsigned mode;
};

/* ---- The registry of temporary files -----------------------------------
 * The one piece of process-wide state in the library, on purpose: a
 * temporary file belongs to the process, and a signal handler (installed
 * by the CLI, never by the library) must be able to remove every one of
 * them with nothing but unlink(). Slots hold fixed buffers so the handler
 * reads no heap; a slot's path is complete before its state says so. */
enum { N_SLOTS = 64, SLOT_PATH = 4096 };
static char slot_path[N_SLOTS][SLOT_PATH];
static atomic_int slot_used[N_SLOTS];

static int slot_take(const char *tmp) {
  if (strlen(tmp) >= SLOT_PATH) {
    return -1;
  }
  for (int i = 0; i < N_SLOTS; i++) {
    int expect = 0;
    /* 2 = being filled: the handler skips it. */
    if (atomic_compare_exchange_strong(&slot_used[i], &expect, 2)) {
      memcpy(slot_path[i], tmp, strlen(tmp) + 1);
      atomic_store(&slot_used[i], 1);
      return i;
    }
  }
  return -1;
}

static void slot_release(int i) {
  if (i >= 0) {
    atomic_store(&slot_used[i], 0);
  }
}

size_t harm_outfile_remove_temps(void) {
  size_t n = 0;
  for (int i = 0; i < N_SLOTS; i++) {
    int expect = 1;
    if (atomic_compare_exchange_strong(&slot_used[i], &expect, 2)) {
      if (unlink(slot_path[i]) == 0) {
        n++;
      }
      atomic_store(&slot_used[i], 0);
    }
  }
  return n;
}

size_t harm_outfile_n_temps(void) {
  size_t n = 0;
  for (int i = 0; i < N_SLOTS; i++) {
    n += atomic_load(&slot_used[i]) == 1;
  }
  return n;
}

/* ---- Stale temporary files ---------------------------------------------
 * A run killed with SIGKILL (or a power cut) cannot clean up. The next
 * run that writes the same output removes what such a run left: only
 * names this code creates for that output (".NAME.tmp-PID-XXXXXX"), and
 * only when process PID no longer exists on this machine. */
static void remove_stale(const char *dir, const char *base) {
  DIR *d = opendir(*dir ? dir : ".");
  if (!d) {
    return;
  }
  char prefix[NAME_MAX + 16];
  int pl = snprintf(prefix, sizeof prefix, ".%s.tmp-", base);
  if (pl <= 0 || (size_t)pl >= sizeof prefix) {
    closedir(d);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, prefix, (size_t)pl) != 0) {
      continue;
    }
    const char *p = e->d_name + pl;
    char *end = NULL;
    errno = 0;
    long pid = strtol(p, &end, 10);
    if (errno || end == p || *end != '-' || strlen(end + 1) != 6 || pid <= 0 ||
        pid == (long)getpid()) {
      continue;
    }
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) {
      continue; /* its owner is alive (or not ours to ask about) */
    }
    char full[PATH_MAX];
    int n = snprintf(full, sizeof full, "%s%s", dir, e->d_name);
    struct stat sb;
    if (n > 0 && (size_t)n < sizeof full && lstat(full, &sb) == 0 &&
        S_ISREG(sb.st_mode) && sb.st_uid == geteuid()) {
      unlink(full);
    }
  }
  closedir(d);
}

/* True for names whose "regular file" is really an open descriptor of the
 * caller (/dev/stdout, /dev/fd/N, /proc/self/fd/N). */
static bool descriptor_path(const char *path) {
  return strncmp(path, "/dev/", 5) == 0 || strncmp(path, "/proc/", 6) == 0;
}

static harm_status open_direct(harm_outfile *f, const char *path,
                               harm_error *err) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY, 0600);
  if (fd < 0 || !(f->fp = fdopen(fd, "wb"))) {
    int e = errno;
    if (fd >= 0) {
      close(fd);
    }
    return harm__fail(err, HARM_ERR_IO, "report", path, 0, NULL,
                      "cannot open: %s", strerror(e));
  }
  f->own_fp = true;
  return HARM_OK;
}

static void outfile_release(harm_outfile *f) {
  slot_release(f->slot);
  harm__free(f->tmp);
  harm__free(f->path);
  harm__free(f);
}

/* Opens f on what `path` names when it is not replaced through a
 * temporary file: standard output, a non-regular file, or what a link
 * into /dev or /proc points at (*done set). A link to a regular file
 * leaves f->path naming its target. On failure f is released. */
static harm_status open_in_place(harm_outfile *f, const char *path, bool *done,
                                 harm_error *err) {
  *done = false;
  struct stat target, self, so;
  bool exists = stat(path, &target) == 0;
  if (strcmp(path, "-") == 0 ||
      (exists && fstat(STDOUT_FILENO, &so) == 0 && target.st_dev == so.st_dev &&
       target.st_ino == so.st_ino && !S_ISCHR(target.st_mode))) {
    /* "-", or a name for the file standard output already is. */
    fflush(stdout);
    f->fp = stdout;
    *done = true;
    return HARM_OK;
  }
  if (exists && (!S_ISREG(target.st_mode) || descriptor_path(path))) {
    harm_status st = open_direct(f, path, err);
    if (st != HARM_OK) {
      outfile_release(f);
      return st;
    }
    *done = true;
    return HARM_OK;
  }
  if (lstat(path, &self) == 0 && S_ISLNK(self.st_mode)) {
    /* A link to a regular file: the target is replaced and the link
     * stays. A link to nothing is refused rather than replaced. */
    char *real = exists ? realpath(path, NULL) : NULL;
    char *copy = real ? harm__strdup(real) : NULL;
    free(real);
    if (!copy) {
      outfile_release(f);
      return harm__fail(err, HARM_ERR_IO, "report", path, 0, NULL,
                        exists ? "out of memory"
                               : "a symbolic link to nothing: not replaced");
    }
    harm__free(f->path);
    f->path = copy;
    if (descriptor_path(copy)) {
      /* A link into /dev or /proc: never replace what it points at. */
      harm_status st = open_direct(f, copy, err);
      if (st != HARM_OK) {
        outfile_release(f);
        return st;
      }
      *done = true;
      return HARM_OK;
    }
  }
  return HARM_OK;
}

/* Opens f on a new hidden temporary file beside f->path, with the
 * permissions `mode`, registered for removal if the run dies. On
 * failure f is released. */
static harm_status open_temp(harm_outfile *f, unsigned mode, harm_error *err) {
  const char *path = f->path;
  size_t len = strlen(path) + 64;
  f->tmp = harm__malloc(len);
  if (!f->tmp) {
    harm_status st = harm__fail(err, HARM_ERR_NOMEM, "report", path, 0, NULL,
                                "out of memory");
    /* path may be f->path: report before releasing f. */
    outfile_release(f);
    return st;
  }
  /* Hidden name beside the target: ".name.tmp-PID-XXXXXX". The pid lets
   * a later run tell a dead run's leftovers from a live run's file. */
  const char *slash = strrchr(path, '/');
  size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%.*s", (int)dir_len, path);
  remove_stale(dir, path + dir_len);
  snprintf(f->tmp, len, "%.*s.%s.tmp-%ld-XXXXXX", (int)dir_len, path,
           path + dir_len, (long)getpid());
  /* Signals are held while the file is created and registered, so no
   * handler can run between the two and leave it behind. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int fd = mkstemp(f->tmp);
  int e = errno;
  if (fd >= 0) {
    f->slot = slot_take(f->tmp);
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (fd < 0) {
    harm_status st =
        harm__fail(err, HARM_ERR_IO, "report", path, 0, NULL,
                   "cannot create a temporary file beside it: %s", strerror(e));
    outfile_release(f);
    return st;
  }
  fchmod(fd, (mode_t)(mode & 07777));
  f->fp = fdopen(fd, "wb");
  if (!f->fp) {
    close(fd);
    unlink(f->tmp);
    harm_status st = harm__fail(err, HARM_ERR_IO, "report", path, 0, NULL,
                                "cannot open the temporary file");
    outfile_release(f);
    return st;
  }
  return HARM_OK;
}

harm_status harm_outfile_open(const char *path, unsigned mode,
                              harm_outfile **out, harm_error *err) {
  *out = NULL;
  harm_outfile *f = harm__calloc(1, sizeof *f);
  if (!f || !(f->path = harm__strdup(path))) {
    harm__free(f);
    return harm__fail(err, HARM_ERR_NOMEM, "report", path, 0, NULL,
                      "out of memory");
  }
  f->mode = mode;
  f->slot = -1;
  bool done;
  harm_status st = open_in_place(f, path, &done, err);
  if (st == HARM_OK && !done) {
    st = open_temp(f, mode, err);
  }
  if (st == HARM_OK) {
    *out = f;
  }
  return st;
}

FILE *harm_outfile_stream(harm_outfile *f) { return f->fp; }

harm_status harm_outfile_commit(harm_outfile *f, harm_error *err) {
  if (!f) {
    return HARM_OK;
  }
  harm_status st = HARM_OK;
  if (!f->tmp) {
    bool bad = fflush(f->fp) != 0 || ferror(f->fp);
    if (f->own_fp && fclose(f->fp) != 0) {
      bad = true;
    }
    if (bad) {
      st = harm__fail(err, HARM_ERR_IO, "report", f->own_fp ? f->path : "-", 0,
                      NULL, "write error");
    }
    outfile_release(f);
    return st;
  }
  int e = 0;
  if (fflush(f->fp) != 0 || ferror(f->fp)) {
    e = errno ? errno : EIO;
  } else if (fsync(fileno(f->fp)) != 0 && errno != EINVAL) {
    e = errno;
  }
  if (fclose(f->fp) != 0 && !e) {
    e = errno ? errno : EIO;
  }
  if (!e && rename(f->tmp, f->path) != 0) {
    e = errno;
  }
  if (e) {
    unlink(f->tmp);
    st = harm__fail(err, HARM_ERR_IO, "report", f->path, 0, NULL,
                    "cannot write: %s", strerror(e));
  }
  outfile_release(f);
  return st;
}

void harm_outfile_abort(harm_outfile *f) {
  if (!f) {
    return;
  }
  if (f->tmp) {
    fclose(f->fp);
    unlink(f->tmp);
  } else if (f->own_fp) {
    fclose(f->fp);
  } else {
    fflush(f->fp);
  }
  outfile_release(f);
}

const char *harm_outfile_temp_path(const harm_outfile *f) { return f->tmp; }

bool harm_outfile_is_direct(const harm_outfile *f) { return !f->tmp; }
