/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _POSIX_C_SOURCE 200809L
/* engine/ingest/source.c: the two row sources (source.h) of today: a CSV
 * file (read in parallel chunks when it is a regular file, sequentially
 * from a pipe or standard input, with the manifest's hash of the bytes
 * read) and a CSV buffer in memory; and the byte access the parallel
 * reader cuts CSV text with. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest/loader.h"
#include "ingest/source.h"

harm_status harm__ingest_bytes_feed(const csv_bytes *src, harm__csv_reader *r,
                                    size_t from, size_t to, char *buf) {
  if (src->mem) {
    return harm__csv_feed(r, src->mem + from, to - from);
  }
  while (from < to) {
    size_t want = to - from < SRC_BLOCK ? to - from : SRC_BLOCK;
    ssize_t got = pread(src->fd, buf, want, (off_t)from);
    if (got <= 0) {
      return HARM_ERR_IO;
    }
    harm_status st = harm__csv_feed(r, buf, (size_t)got);
    if (st != HARM_OK) {
      return st;
    }
    from += (size_t)got;
  }
  return HARM_OK;
}

/* The byte at `at` (which is < src->len). */
static char source_byte(const csv_bytes *src, size_t at) {
  char c = '\0';
  if (src->mem) {
    c = src->mem[at];
  } else if (pread(src->fd, &c, 1, (off_t)at) != 1) {
    c = '\0';
  }
  return c;
}

/* Offset just after the first line end at or after `at`, or src->len. A
 * line ends at '\n', at "\r\n" (never split) or at a lone '\r', exactly
 * as the reader counts lines, so a chunk of a lone-CR file still starts
 * on a line and every chunk's line count adds up. */
size_t harm__ingest_next_line(const csv_bytes *src, size_t at, char *buf) {
  while (at < src->len) {
    size_t want = src->len - at < 65536 ? src->len - at : 65536;
    const char *p;
    if (src->mem) {
      p = src->mem + at;
    } else {
      ssize_t got = pread(src->fd, buf, want, (off_t)at);
      if (got <= 0) {
        return src->len;
      }
      want = (size_t)got;
      p = buf;
    }
    for (size_t i = 0; i < want; i++) {
      if (p[i] == '\n') {
        return at + i + 1;
      }
      if (p[i] == '\r') {
        size_t end = at + i + 1;
        return end < src->len && source_byte(src, end) == '\n' ? end + 1 : end;
      }
    }
    at += want;
  }
  return src->len;
}

/* The manifest's hash of a regular file the parallel reader consumes:
 * the same open descriptor, bytes [0, len), read once more in order (on
 * a thread of its own, beside the chunks' readers). */
static harm_status csv_file_hash_bytes(const csv_bytes *bytes,
                                       harm_input_hash *out) {
  harm__digest dg;
  char *buf = harm__malloc(SRC_BLOCK);
  if (!buf || !harm__digest_begin(&dg)) {
    harm__free(buf);
    return HARM_ERR_NOMEM;
  }
  bool ok = true;
  for (size_t at = 0; ok && at < bytes->len;) {
    size_t want = bytes->len - at < SRC_BLOCK ? bytes->len - at : SRC_BLOCK;
    ssize_t got = pread(bytes->fd, buf, want, (off_t)at);
    ok = got > 0;
    if (ok) {
      harm__digest_update(&dg, buf, (size_t)got);
      at += (size_t)got;
    }
  }
  harm__free(buf);
  if (!ok) {
    harm__digest_free(&dg);
    return HARM_ERR_IO;
  }
  return harm__digest_end(&dg, out) ? HARM_OK : HARM_ERR_NOMEM;
}

/* Whether the file is as it was opened (size, modification and change
 * times): checked once the chunks and the hash are both read, so the
 * hash is of the bytes the chunks parsed. */
static bool csv_file_unchanged(const csv_bytes *bytes) {
  struct stat after;
  const struct stat *before = &bytes->at_open;
  return fstat(bytes->fd, &after) == 0 && after.st_size == before->st_size &&
         after.st_mtim.tv_sec == before->st_mtim.tv_sec &&
         after.st_mtim.tv_nsec == before->st_mtim.tv_nsec &&
         after.st_ctim.tv_sec == before->st_ctim.tv_sec &&
         after.st_ctim.tv_nsec == before->st_ctim.tv_nsec;
}

/* ---- A CSV file --------------------------------------------------------
 * A regular file is opened once for the parallel reader, which reads it
 * with pread; anything else (a pipe, standard input as "-") is read from
 * start to end by the block reader. */

static bool csv_file_open_bytes(const harm__row_source *src, csv_bytes *bytes) {
  const char *path = src->data;
  if (strcmp(path, "-") != 0) {
    int fd = open(path, O_RDONLY);
    struct stat sb;
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
      *bytes = (csv_bytes){NULL, fd, (size_t)sb.st_size, sb};
      return true;
    } else if (fd >= 0) {
      close(fd);
    }
  }
  return false;
}

static void csv_file_close_bytes(csv_bytes *bytes) { close(bytes->fd); }

static harm_status csv_file_read(const harm__row_source *src, loader *ld) {
  harm_error local = HARM_ERROR_INIT;
  /* Sequential reading (pipes, standard input, small files): the digest
   * is fed by the block reader itself. */
  harm__digest dg;
  bool hashing = ld->opts->hash_input && harm__digest_begin(&dg);
  harm_status st = harm__csv_read_file_hashed(
      (const char *)src->data, ld->opts->max_field_bytes,
      harm__ingest_on_record, ld, "ingest", hashing ? &dg : NULL, &local);
  st = harm__ingest_reader_status(ld, st);
  if (hashing && !harm__digest_end(&dg, &ld->ds->hash) && st == HARM_OK) {
    st = harm__fail(&local, HARM_ERR_NOMEM, "ingest", ld->name, 0, NULL,
                    "cannot hash the input");
  }
  if (st != HARM_OK && ld->status == HARM_OK && ld->err) {
    *ld->err = local;
  }
  return st;
}

void harm__ingest_csv_file(const char *path, harm__row_source *out) {
  *out = (harm__row_source){.data = path,
                            .read = csv_file_read,
                            .open_bytes = csv_file_open_bytes,
                            .hash_bytes = csv_file_hash_bytes,
                            .unchanged = csv_file_unchanged,
                            .close_bytes = csv_file_close_bytes};
}

/* ---- A CSV buffer in memory --------------------------------------------
 * Always splittable; it has no input hash (the caller holds the bytes). */

static bool csv_buffer_open_bytes(const harm__row_source *src,
                                  csv_bytes *bytes) {
  *bytes = (csv_bytes){.mem = src->data, .fd = -1, .len = src->len};
  return true;
}

static harm_status csv_buffer_read(const harm__row_source *src, loader *ld) {
  const char *arg = src->data;
  size_t len = src->len;
  harm__csv_reader *r = NULL;
  harm_status st = harm__csv_reader_new(ld->opts->max_field_bytes,
                                        harm__ingest_on_record, ld, &r);
  if (st == HARM_OK) {
    harm__csv_require_text(r);
    st = harm__csv_feed(r, arg, len);
  }
  if (st == HARM_OK) {
    st = harm__csv_finish(r);
  }
  if (st == HARM_ERR_DATA && ld->status == HARM_OK && r && harm__csv_fatal(r)) {
    harm__fail(ld->err, st, "ingest", ld->name, harm__csv_line(r), NULL, "%s",
               harm__csv_fatal(r));
  }
  harm__csv_reader_free(r);
  return harm__ingest_reader_status(ld, st);
}

void harm__ingest_csv_buffer(const void *data, size_t len,
                             harm__row_source *out) {
  *out = (harm__row_source){.data = data,
                            .len = len,
                            .read = csv_buffer_read,
                            .open_bytes = csv_buffer_open_bytes};
}
