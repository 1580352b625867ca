/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/ingest/source.h: the row-source seam, through which the loader
 * (loader.h) receives the offences records, whatever format they are in
 * and wherever their bytes are. Not installed.
 *
 * The loader takes records, never bytes: every source hands each record
 * to harm__ingest_on_record (rows.c), so the row checks, rejects, window,
 * filters, accounting, dictionaries and the checks that stop a wrong
 * list are one code path for every input. Today's sources (source.c) are
 * a CSV file and a CSV buffer in memory. A new input format (a second CSV
 * dialect, Parquet) is a new harm__row_source and provides:
 *
 *  - read (required): every record in input order, the header row first,
 *    to harm__ingest_on_record(ld, rec) as a harm__csv_record: the fields
 *    (pointer and length, borrowed for the call, not NUL-terminated); the
 *    1-based line of the record's first byte, which rejects and errors
 *    name; raw and raw_len, the record as read, which rejects.csv copies
 *    verbatim; for a record that cannot be parsed, error and error_field
 *    (over_limit when a field is longer than max_field_bytes); no_nul
 *    when the fields are known free of NUL bytes. It stops when the
 *    callback returns false and returns harm__ingest_reader_status(ld,
 *    st). When ld->opts->hash_input is set it fills ld->ds->hash with the
 *    digest (harm__digest) of the bytes it parsed, for the manifest.
 *  - open_bytes (optional; NULL: never read in parallel): when the input
 *    is CSV text with random access, fills a csv_bytes view of it and
 *    returns true; parallel.c then cuts it at line starts, one chunk per
 *    thread, reads each chunk into a shard with chunk-relative line
 *    numbers, and merges the shards and replays their rejects in file
 *    order. Returns false, holding nothing, when the input cannot be cut
 *    (a pipe, standard input) or the view fails; read is used then, as it
 *    is when the input is too small to be worth cutting. A format that
 *    has chunks of its own (Parquet's row groups) would give parallel.c a
 *    second way to find and feed a chunk; its shards, merge and replay
 *    need only records with chunk-relative line numbers.
 *  - hash_bytes (optional): the digest of bytes [0, len) of the view,
 *    read once more in order, into *out: HARM_OK, HARM_ERR_NOMEM, or
 *    HARM_ERR_IO when a read fails or ends early. It runs on a thread of
 *    its own while the chunks are parsed, so it only reads. NULL: the
 *    source has no input hash (the buffer: its caller holds the bytes).
 *  - unchanged (optional, with hash_bytes): after the parallel read and
 *    the hash, whether the input is still as open_bytes found it, so the
 *    hash is of the bytes the chunks parsed.
 *  - close_bytes (optional): releases what open_bytes took; called after
 *    the parallel attempt, before any sequential read. */
#ifndef HARMRANK_INGEST_SOURCE_H
#define HARMRANK_INGEST_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "core/csvread.h"
#include "ingest/loader.h"

enum { SRC_BLOCK = 1 << 20 };

/* CSV text with random access, for the parallel reader: in memory, or a
 * regular file read with pread. */
typedef struct csv_bytes {
  const char *mem; /* whole input in memory, or NULL */
  int fd;          /* regular file read with pread */
  size_t len;
  struct stat at_open; /* the file's status when opened (hash_bytes) */
} csv_bytes;

typedef struct harm__row_source harm__row_source;
struct harm__row_source {
  const void *data; /* the source's own: a path, or the bytes */
  size_t len;       /* bytes at data, for a buffer */
  harm_status (*read)(const harm__row_source *src, loader *ld);
  bool (*open_bytes)(const harm__row_source *src, csv_bytes *bytes);
  harm_status (*hash_bytes)(const csv_bytes *bytes, harm_input_hash *out);
  bool (*unchanged)(const csv_bytes *bytes);
  void (*close_bytes)(csv_bytes *bytes);
};

/* ---- source.c: today's sources ------------------------------------------ */

/* The CSV file at path ("-": standard input). Ownership: src borrows
 * path, which must outlive the read. */
void harm__ingest_csv_file(const char *path, harm__row_source *src);
/* The CSV text data[0, len). Ownership: src borrows data, which must
 * outlive the read. */
void harm__ingest_csv_buffer(const void *data, size_t len,
                             harm__row_source *src);

/* Feeds bytes [from, to) to the reader; buf is SRC_BLOCK bytes of scratch
 * (NULL when the input is in memory). */
harm_status harm__ingest_bytes_feed(const csv_bytes *src, harm__csv_reader *r,
                                    size_t from, size_t to, char *buf);
/* Offset just after the first line end at or after `at`, or src->len. */
size_t harm__ingest_next_line(const csv_bytes *src, size_t at, char *buf);

/* ---- parallel.c --------------------------------------------------------- */

/* Reads the input in parallel when it is large enough and the header ends
 * at a '\n'. Returns HARM_OK with *done = false to ask for the sequential
 * reader instead. side (or NULL): run with side_arg on a thread of its
 * own while the chunks are read (in this thread after them when that
 * thread cannot start), and done before this returns with *done true;
 * not run when *done is false. */
harm_status harm__ingest_parallel(loader *master, const csv_bytes *src,
                                  bool *done, int (*side)(void *),
                                  void *side_arg);

#endif /* HARMRANK_INGEST_SOURCE_H */
