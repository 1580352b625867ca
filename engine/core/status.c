/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/core/status.c: status names and messages from the X-macro table,
 * and the library's single error raise point. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"

const char *harm_status_name(harm_status status) {
  switch (status) {
#define HARM_STATUS_NAME(name, value, msg)                                     \
  case HARM_##name:                                                            \
    return "HARM_" #name;
    HARM_STATUS_MAP(HARM_STATUS_NAME)
#undef HARM_STATUS_NAME
  }
  return "HARM_UNKNOWN";
}

const char *harm_status_message(harm_status status) {
  switch (status) {
#define HARM_STATUS_MSG(name, value, msg)                                      \
  case HARM_##name:                                                            \
    return msg;
    HARM_STATUS_MAP(HARM_STATUS_MSG)
#undef HARM_STATUS_MSG
  }
  return "unknown status";
}

void harm_error_clear(harm_error *err) {
  if (err) {
    memset(err, 0, sizeof *err);
  }
}

static void copy_text(char *dst, size_t cap, const char *src) {
  if (!src) {
    dst[0] = '\0';
    return;
  }
  size_t n = strlen(src);
  if (n >= cap) {
    n = cap - 1;
  }
  memcpy(dst, src, n);
  dst[n] = '\0';
}

harm_status harm__fail(harm_error *err, harm_status status, const char *stage,
                       const char *file, size_t record, const char *column,
                       const char *fmt, ...) {
  if (!err) {
    return status;
  }
  err->status = status;
  copy_text(err->stage, sizeof err->stage, stage);
  copy_text(err->file, sizeof err->file, file);
  err->record = record;
  copy_text(err->column, sizeof err->column, column);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  /* Messages are one line: a newline from quoted data would break it. */
  for (char *p = err->message; *p; p++) {
    if (*p == '\n' || *p == '\r') {
      *p = ' ';
    }
  }
  return status;
}
