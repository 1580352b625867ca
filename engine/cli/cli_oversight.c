/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cli_oversight.c: what the oversight commands (evaluate,
 * verify, history, monitor, transparency) share: committing an output
 * set with its manifest last. */
#include <string.h>

#include "cli_internal.h"

int cli_oversight_open(const cli_opts *o, char (*paths)[4096],
                       harm_outfile **out, size_t n) {
  harm_error err = HARM_ERROR_INIT;
  for (size_t k = 0; k < n; k++) {
    if (harm_outfile_open(paths[k], o->file_mode, &out[k], &err) != HARM_OK) {
      return cli_fail(&err);
    }
  }
  return HARM_EXIT_OK;
}

int cli_oversight_commit(const cli_opts *o, const char *cmd,
                         const harm_manifest_input *inputs, size_t n_inputs,
                         const char *const *names, harm_outfile **out,
                         size_t n_out, int rc) {
  harm_error err = HARM_ERROR_INIT;
  harm_outset *set = NULL;
  harm_status st = HARM_OK;
  if (!rc) {
    st = harm_outset_new(o->out_dir, o->file_mode, &set, &err);
  }
  /* The members go to the library's output set, which writes the manifest
   * itself: the last file opened here (manifest.json) is not used. */
  for (size_t k = 0; k < n_out; k++) {
    if (!rc && st == HARM_OK && k + 1 < n_out) {
      st = harm_outset_adopt(set, names[k], out[k], &err);
    } else {
      harm_outfile_abort(out[k]);
    }
    out[k] = NULL;
  }
  harm_manifest man = {.command = cmd,
                       .inputs = inputs,
                       .n_inputs = n_inputs,
                       .config = o->cfg,
                       .pseudonymised = o->key_len > 0,
                       .args = o->positional,
                       .n_args = o->n_positional};
  if (!rc && st == HARM_OK) {
    st = harm_outset_commit(set, &man, &err);
  }
  harm_outset_free(set);
  if (!rc && st != HARM_OK) {
    rc = cli_fail(&err);
  }
  return rc;
}
