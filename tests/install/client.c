/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/install/client.c: a program outside the tree, built by
 * .ci/install-check against an installed harmrank with nothing but
 * `pkg-config harmrank`. It prints the version and loads the installed
 * weights table through the public API, checking the murder anchor.
 * usage: client SHARE_DIR (the installed share/harmrank folder) */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <harmrank.h>

#if !defined(HARMRANK_VERSION_NUMBER) || HARMRANK_VERSION_NUMBER < 200
#error "harmrank.h does not carry the version macros"
#endif

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s SHARE_DIR\n", argv[0]);
    return 2;
  }
  const char *version = harm_version();
  printf("harm_version: %s\n", version);
  /* The header and the library linked must be the same release. */
  if (strncmp(version, HARMRANK_VERSION_STRING,
              strlen(HARMRANK_VERSION_STRING)) != 0) {
    fprintf(stderr, "client: header %s, library %s\n", HARMRANK_VERSION_STRING,
            version);
    return 1;
  }

  char path[4096];
  snprintf(path, sizeof path, "%s/weights/cchi-estimates-ho-class.csv",
           argv[1]);
  harm_weights_opts opts = HARM_WEIGHTS_OPTS_INIT;
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  if (harm_weights_load(path, &opts, &w, &err) != HARM_OK) {
    fprintf(stderr, "client: %s: %s: %s\n", path, harm_status_name(err.status),
            err.message);
    return 1;
  }
  /* 001/01, murder: the CCHI anchor of 15 years x 365 days. */
  const harm_weight *murder = harm_weights_find(w, "001/01");
  int ok = murder && fabs(murder->harm - 5475.0) < 1e-9 && !murder->estimate;
  printf("weights: %zu codes, %zu estimates; 001/01 = %.4f days\n",
         harm_weights_count(w), harm_weights_n_estimates(w),
         murder ? murder->harm : -1.0);
  harm_weights_free(w);
  if (!ok) {
    fprintf(stderr, "client: 001/01 is not the 5475-day anchor\n");
    return 1;
  }
  return 0;
}
