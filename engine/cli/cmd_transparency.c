/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cmd_transparency.c: `harmrank transparency -c config.ini
 * --out DIR`: an ATRS-shaped record (transparency.md, transparency.json)
 * from the configuration and its weights table. */
#include <string.h>

#include "cli_internal.h"

enum { OUT_MD, OUT_JSON, OUT_MANIFEST, N_OUT };
static const char *const out_names[N_OUT] = {
    "transparency.md", "transparency.json", "manifest.json"};

int cli_cmd_transparency(int argc, char **argv) {
  cli_opts o;
  int rc = cli_start("transparency", argc, argv, &o, false);
  if (rc >= 0) {
    cli_opts_free(&o);
    return rc;
  }
  rc = HARM_EXIT_OK;
  if (!o.out_dir) {
    fprintf(stderr,
            "harmrank: transparency: no output folder: pass --out DIR\n");
    cli_opts_free(&o);
    return HARM_EXIT_USAGE;
  }
  char paths[N_OUT][4096];
  const char *outs[N_OUT];
  for (int k = 0; k < N_OUT; k++) {
    cli_join(paths[k], sizeof paths[k], o.out_dir, out_names[k]);
    outs[k] = paths[k];
  }
  rc = cli_check_paths("transparency", &o, outs, N_OUT, true);
  if (!rc) {
    rc = cli_make_dirs("transparency", o.out_dir);
  }
  harm_error err = HARM_ERROR_INIT;
  harm_weights *w = NULL;
  const char *wpath = harm_config_weights_path(o.cfg);
  if (!rc && wpath) {
    harm_weights_opts wo = harm_config_weights_opts(o.cfg);
    if (harm_weights_load(wpath, &wo, &w, &err) != HARM_OK) {
      rc = cli_fail(&err);
    }
  }
  harm_outfile *out[N_OUT] = {NULL};
  if (!rc) {
    rc = cli_oversight_open(&o, paths, out, N_OUT);
  }
  if (!rc && harm_transparency_write(o.cfg, w, harm_outfile_stream(out[OUT_MD]),
                                     harm_outfile_stream(out[OUT_JSON]),
                                     &err) != HARM_OK) {
    rc = cli_fail(&err);
  }
  harm_manifest_input inputs[CLI_MAX_WEIGHTS + 8];
  size_t n_in = 0;
  if (wpath) {
    inputs[n_in++] = (harm_manifest_input){
        "weights", wpath, w ? harm_weights_input_hash(w) : NULL};
  }
  for (size_t i = 0; i < o.n_config_files; i++) {
    inputs[n_in++] =
        (harm_manifest_input){"config", o.config_files[i],
                              harm_config_input_hash(o.cfg, o.config_files[i])};
  }
  rc = cli_oversight_commit(&o, "transparency", inputs, rc ? 0 : n_in,
                            out_names, out, N_OUT, rc);
  if (!rc && !o.quiet) {
    char e[1024];
    printf("outputs in %s: transparency.md transparency.json manifest.json "
           "(fields marked for the force to complete are empty)\n",
           cli_esc(o.out_dir, e, sizeof e));
  }
  harm_weights_free(w);
  cli_opts_free(&o);
  return rc;
}
