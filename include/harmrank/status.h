/* SPDX-License-Identifier: GPL-3.0-or-later */
/* include/harmrank/status.h: the one status enum every fallible harmrank
 * function returns, and the error record the caller owns. */
#ifndef HARMRANK_STATUS_H
#define HARMRANK_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "harmrank/version.h" /* harm_version(), HARMRANK_VERSION_* */

#ifdef __cplusplus
extern "C" {
#endif

/* X-macro table: name, value, one-line message. The CLI maps these to exit
 * codes (README "Exit codes"); keep values stable, they are part of the ABI. */
#define HARM_STATUS_MAP(X)                                                     \
  X(OK, 0, "success")                                                          \
  X(ERR_USAGE, 1, "invalid argument")                                          \
  X(ERR_CONFIG, 2, "invalid configuration")                                    \
  X(ERR_DATA, 3, "invalid input data")                                         \
  X(ERR_IO, 4, "input/output error")                                           \
  X(ERR_NOMEM, 5, "out of memory")                                             \
  X(ERR_LIMIT, 6, "a documented limit was exceeded")                           \
  X(ERR_INTERNAL, 7, "internal error")

typedef enum harm_status {
#define HARM_STATUS_ENUM(name, value, msg) HARM_##name = value,
  HARM_STATUS_MAP(HARM_STATUS_ENUM)
#undef HARM_STATUS_ENUM
} harm_status;

/* Sizes of the fixed buffers in harm_error; longer text is truncated. */
#define HARM_ERROR_STAGE_MAX 16
#define HARM_ERROR_FILE_MAX 256
#define HARM_ERROR_COLUMN_MAX 64
#define HARM_ERROR_MESSAGE_MAX 320

/* What went wrong and where. Owned by the caller (usually on the stack);
 * every fallible function takes a `harm_error *err` that may be NULL. */
typedef struct harm_error {
  harm_status status;                   /* HARM_OK when nothing failed */
  char stage[HARM_ERROR_STAGE_MAX];     /* "ingest", "weights", ... */
  char file[HARM_ERROR_FILE_MAX];       /* input file, "" when none */
  size_t record;                        /* 1-based line, 0 when none */
  char column[HARM_ERROR_COLUMN_MAX];   /* column name, "" when none */
  char message[HARM_ERROR_MESSAGE_MAX]; /* one line, no trailing newline */
} harm_error;

/* Initialiser for a clean error record. */
#define HARM_ERROR_INIT                                                        \
  {                                                                            \
    .status = HARM_OK, .stage = "", .file = "", .record = 0, .column = "",     \
    .message = ""                                                              \
  }

/* SHA-256 of exactly the bytes a reader consumed from one input (the
 * manifest records it). Shared by every module that reads a file. */
typedef struct harm_input_hash {
  char sha256[65]; /* 64 lowercase hex digits; "" = not hashed */
  uint64_t bytes;  /* bytes read */
} harm_input_hash;

/* Symbolic name of a status ("HARM_ERR_DATA"); "HARM_UNKNOWN" for others. */
const char *harm_status_name(harm_status status);

/* One-line description of a status; never NULL. */
const char *harm_status_message(harm_status status);

/* Resets *err to HARM_ERROR_INIT. err may be NULL. */
void harm_error_clear(harm_error *err);

#ifdef __cplusplus
}
#endif

#endif /* HARMRANK_STATUS_H */
