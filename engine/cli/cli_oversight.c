/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cli_oversight.c: what the oversight commands (evaluate,
 * verify, history, monitor, transparency) share: splitting a configured
 * list of folders, and committing an output set with its manifest last. */
#include <string.h>

#include "cli_internal.h"

size_t cli_split_list(const char *list, char *buf, size_t buf_cap,
                      const char **out, size_t cap) {
  size_t n = 0;
  if (!list) {
    return 0;
  }
  snprintf(buf, buf_cap, "%s", list);
  char *p = buf;
  while (p) {
    char *comma = strchr(p, ',');
    if (comma) {
      *comma = '\0';
    }
    while (*p == ' ' || *p == '\t') {
      p++;
    }
    size_t len = strlen(p);
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) {
      p[--len] = '\0';
    }
    if (len) {
      if (n == cap) {
        return cap + 1;
      }
      out[n++] = p;
    }
    p = comma ? comma + 1 : NULL;
  }
  return n;
}

int cli_oversight_commit(const cli_opts *o, const char *cmd,
                         const harm_manifest_input *inputs, size_t n_inputs,
                         const char *const *names, harm_outfile **out,
                         size_t n_out, int rc) {
  harm_error err = HARM_ERROR_INIT;
  if (!rc) {
    /* Every other output is complete: hash the temporary files. */
    harm_manifest_input outputs[16];
    size_t n_hashed = 0;
    for (size_t k = 0; k + 1 < n_out && n_hashed < 16; k++) {
      fflush(harm_outfile_stream(out[k]));
      outputs[n_hashed++] =
          (harm_manifest_input){names[k], harm_outfile_temp_path(out[k]), NULL};
    }
    harm_manifest man = {.command = cmd,
                         .inputs = inputs,
                         .n_inputs = n_inputs,
                         .config = o->cfg,
                         .outputs = outputs,
                         .n_outputs = n_hashed,
                         .pseudonymised = o->key_len > 0,
                         .args = o->positional,
                         .n_args = o->n_positional};
    if (harm_report_manifest(harm_outfile_stream(out[n_out - 1]), &man, &err) !=
        HARM_OK) {
      rc = cli_fail(&err);
    }
  }
  for (size_t k = 0; k < n_out; k++) {
    if (!rc) {
      if (harm_outfile_commit(out[k], &err) != HARM_OK) {
        rc = cli_fail(&err);
      }
    } else {
      harm_outfile_abort(out[k]);
    }
    out[k] = NULL;
  }
  return rc;
}
