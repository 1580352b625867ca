/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/ingest/source.h: where the loader's records come from. Not
 * installed. */
#ifndef HARMRANK_INGEST_SOURCE_H
#define HARMRANK_INGEST_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/csvread.h"
#include "ingest/loader.h"

enum { SRC_BLOCK = 1 << 20 };

/* CSV text with random access, for the parallel reader. */
typedef struct csv_bytes {
  const char *mem; /* whole input in memory, or NULL */
  int fd;          /* regular file read with pread */
  size_t len;
} csv_bytes;

/* Feeds bytes [from, to) to the reader; buf is SRC_BLOCK bytes of scratch
 * (NULL when the input is in memory). */
harm_status harm__ingest_bytes_feed(const csv_bytes *src, harm__csv_reader *r,
                                    size_t from, size_t to, char *buf);
/* Offset just after the first line end at or after `at`, or src->len. */
size_t harm__ingest_next_line(const csv_bytes *src, size_t at, char *buf);

/* Reads the input in parallel when it is large enough and the header ends
 * at a '\n'. Returns HARM_OK with *done = false to ask for the sequential
 * reader instead. */
harm_status harm__ingest_parallel(loader *master, const csv_bytes *src,
                                  bool *done);

harm_status harm__ingest_feed_file(loader *ld, const void *arg, size_t len);
harm_status harm__ingest_feed_buffer(loader *ld, const void *arg, size_t len);

#endif /* HARMRANK_INGEST_SOURCE_H */
