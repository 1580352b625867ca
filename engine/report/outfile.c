/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/report/outfile.c: atomic output files. Bytes go to a temporary
 * file in the target's folder (same file system, so rename is atomic);
 * commit flushes, fsyncs and renames; abort unlinks. A failed run never
 * leaves a half-written output. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"
#include "harmrank/report.h"

struct harm_outfile {
  FILE *fp;
  char *path;
  char *tmp; /* NULL when writing stdout */
  unsigned mode;
};

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
  if (strcmp(path, "-") == 0) {
    f->fp = stdout;
    *out = f;
    return HARM_OK;
  }
  size_t len = strlen(path) + 32;
  f->tmp = harm__malloc(len);
  if (!f->tmp) {
    harm__free(f->path);
    harm__free(f);
    return harm__fail(err, HARM_ERR_NOMEM, "report", path, 0, NULL,
                      "out of memory");
  }
  /* Hidden name beside the target: ".name.tmp-XXXXXX". */
  const char *slash = strrchr(path, '/');
  size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
  snprintf(f->tmp, len, "%.*s.%s.tmp-XXXXXX", (int)dir_len, path,
           path + dir_len);
  int fd = mkstemp(f->tmp);
  if (fd < 0) {
    int e = errno;
    harm__free(f->tmp);
    harm__free(f->path);
    harm__free(f);
    return harm__fail(err, HARM_ERR_IO, "report", path, 0, NULL,
                      "cannot create a temporary file beside it: %s",
                      strerror(e));
  }
  fchmod(fd, (mode_t)(mode & 07777));
  f->fp = fdopen(fd, "wb");
  if (!f->fp) {
    close(fd);
    unlink(f->tmp);
    harm__free(f->tmp);
    harm__free(f->path);
    harm__free(f);
    return harm__fail(err, HARM_ERR_IO, "report", path, 0, NULL,
                      "cannot open the temporary file");
  }
  *out = f;
  return HARM_OK;
}

FILE *harm_outfile_stream(harm_outfile *f) { return f->fp; }

static void outfile_release(harm_outfile *f) {
  harm__free(f->tmp);
  harm__free(f->path);
  harm__free(f);
}

harm_status harm_outfile_commit(harm_outfile *f, harm_error *err) {
  if (!f) {
    return HARM_OK;
  }
  harm_status st = HARM_OK;
  if (!f->tmp) {
    if (fflush(f->fp) != 0 || ferror(f->fp)) {
      st = harm__fail(err, HARM_ERR_IO, "report", "-", 0, NULL,
                      "write error on standard output");
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
  }
  outfile_release(f);
}

const char *harm_outfile_temp_path(const harm_outfile *f) { return f->tmp; }
