/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/fuzz/fuzz_config.c: libFuzzer target for harm_config_load: the
 * input is written to a temporary INI file and loaded over the defaults,
 * then validated, turned into options and written back out. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <harmrank.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char path[64];
  if (!path[0]) {
    snprintf(path, sizeof path, "/tmp/harmrank-fuzz-config-%ld.ini",
             (long)getpid());
  }
  FILE *fp = fopen(path, "wb");
  if (!fp) {
    return 0;
  }
  if (size && fwrite(data, 1, size, fp) != size) {
    fclose(fp);
    return 0;
  }
  fclose(fp);
  harm_config *cfg = NULL;
  harm_error err = HARM_ERROR_INIT;
  if (harm_config_new(&cfg, &err) != HARM_OK) {
    abort();
  }
  harm_status st = harm_config_load(cfg, path, &err);
  if (st == HARM_OK) {
    (void)harm_config_validate(cfg, &err);
    harm_ingest_opts io = harm_config_ingest_opts(cfg);
    harm_score_opts so = harm_config_score_opts(cfg);
    harm_weights_opts wo = harm_config_weights_opts(cfg);
    harm_cohort_rules cr = harm_config_cohort_rules(cfg);
    (void)io;
    (void)so;
    (void)wo;
    (void)cr;
    (void)harm_config_weights_path(cfg);
    FILE *null = fopen("/dev/null", "w");
    if (null) {
      (void)harm_config_write(cfg, null, &err);
      fclose(null);
    }
    for (size_t i = 0; i < harm_config_n_keys(cfg); i++) {
      const char *s, *k, *v;
      if (!harm_config_key(cfg, i, &s, &k, &v) || !s || !k || !v) {
        abort();
      }
    }
  } else if (err.status != st) {
    abort(); /* the error record must carry the returned status */
  }
  harm_config_free(cfg);
  unlink(path);
  return 0;
}
