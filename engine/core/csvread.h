/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/core/csvread.h: an incremental CSV record reader over libcsv that
 * knows each record's starting line and raw bytes, so that every module
 * can report bad input as file:line:column and copy rejected rows
 * verbatim. libcsv stays the parser of every byte. */
#ifndef HARMRANK_CORE_CSVREAD_H
#define HARMRANK_CORE_CSVREAD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/digest.h"
#include "harmrank/status.h"

/* One field of a record: borrowed bytes, NOT NUL-terminated (use len). */
typedef struct harm__csv_field {
  const char *p;
  size_t len;
} harm__csv_field;

/* One record, handed to the record callback. */
typedef struct harm__csv_record {
  size_t line;     /* 1-based line the record starts on */
  const char *raw; /* raw bytes, terminator excluded */
  size_t raw_len;
  const harm__csv_field *fields; /* n_fields fields */
  size_t n_fields;
  const char *error;  /* non-NULL: malformed record (reason) */
  size_t error_field; /* 0-based field at fault when error */
  bool raw_truncated; /* raw longer than the limit, cut */
  bool over_limit;    /* the error is a field over max_field_bytes (a
                         documented limit: HARM_ERR_LIMIT in strict mode) */
  /* A hint: true when the reader saw that no byte of the record is NUL
   * (the quote-free fast path scans for it anyway), so a consumer may skip
   * its own search; false means not known. */
  bool no_nul;
  /* True when every field is already trimmed of leading and trailing
   * spaces and tabs (the quote-free fast path splits and trims the line
   * itself), so a consumer need not trim again; false means not known (a
   * quoted field keeps its inner blanks). */
  bool trimmed;
} harm__csv_record;

/* Returns true to continue, false to stop reading (harm__csv_feed then
 * returns HARM_ERR_USAGE; the callback keeps the real reason). */
typedef bool (*harm__csv_record_fn)(void *ctx, const harm__csv_record *rec);

typedef struct harm__csv_reader harm__csv_reader;

/* Creates a reader. Fields longer than max_field bytes mark the record as
 * malformed ("field longer than ..."). The first record may start with a
 * UTF-8 byte-order mark, which is removed. */
harm_status harm__csv_reader_new(size_t max_field, harm__csv_record_fn fn,
                                 void *ctx, harm__csv_reader **out);

/* Feeds bytes; records are delivered as they complete. Returns HARM_OK,
 * HARM_ERR_NOMEM, HARM_ERR_USAGE when the callback stopped, or
 * HARM_ERR_DATA when the input is not CSV text (harm__csv_fatal). A field
 * over max_field costs at most about max_field + 64 KiB of memory
 * whatever its length: it is never buffered whole. */
harm_status harm__csv_feed(harm__csv_reader *r, const char *data, size_t len);

/* Ends the input: delivers a last record without a terminator, or a
 * malformed one for an unterminated quote. Same returns as feed. */
harm_status harm__csv_finish(harm__csv_reader *r);

/* Current line number (1-based) of the next byte to be read. */
size_t harm__csv_line(const harm__csv_reader *r);

/* Why the input is not CSV text at all (UTF-16, or NUL bytes in the first
 * line), or NULL. Once set, feed and finish return HARM_ERR_DATA. */
const char *harm__csv_fatal(const harm__csv_reader *r);

void harm__csv_reader_free(harm__csv_reader *r);

/* Turns the quote-free fast path on or off (on by default). The
 * differential test and fuzz target compare the two. */
void harm__csv_set_fast(harm__csv_reader *r, bool on);

/* Makes the reader refuse input that is not CSV text before its first
 * record: a UTF-16 byte-order mark (FF FE or FE FF), or a NUL byte in the
 * first line ("UTF-16: save as UTF-8" when every other byte is NUL).
 * Off by default, so the reader itself stays byte-transparent for the
 * differential tests; harm__csv_read_file and the offences reader turn
 * it on. */
void harm__csv_require_text(harm__csv_reader *r);

/* True when no record is in progress (the last byte fed ended a record
 * or a blank line): a chunk that ends idle ends on a record boundary. */
bool harm__csv_idle(const harm__csv_reader *r);

/* Tells a reader that its input starts mid-file (a parallel chunk): no
 * byte-order mark is looked for. */
void harm__csv_mid_stream(harm__csv_reader *r);

/* Reads a whole file (or stdin for "-") through a reader in blocks.
 * Returns HARM_OK, HARM_ERR_IO (err names the file), HARM_ERR_NOMEM,
 * HARM_ERR_DATA when it is not CSV text (err says why), or
 * HARM_ERR_USAGE when the callback stopped. */
harm_status harm__csv_read_file(const char *path, size_t max_field,
                                harm__csv_record_fn fn, void *ctx,
                                const char *stage, harm_error *err);

/* As harm__csv_read_file, also feeding every byte read into dg (when not
 * NULL): the digest covers exactly the bytes the reader consumed, even
 * from a pipe or a file that changes afterwards. */
harm_status harm__csv_read_file_hashed(const char *path, size_t max_field,
                                       harm__csv_record_fn fn, void *ctx,
                                       const char *stage, harm__digest *dg,
                                       harm_error *err);

#endif /* HARMRANK_CORE_CSVREAD_H */
