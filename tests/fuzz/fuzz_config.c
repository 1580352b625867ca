/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/fuzz/fuzz_config.c: libFuzzer target for harm_config_load: the
 * input is written to a temporary INI file and loaded over the defaults,
 * then validated, turned into options and written back out; the text
 * written must load again and write the same text (a round trip). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <harmrank.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The configuration as INI text (caller frees), or NULL. */
static char *written(const harm_config *cfg, size_t *len) {
  char *text = NULL;
  FILE *mem = open_memstream(&text, len);
  if (!mem) {
    return NULL;
  }
  harm_error err = HARM_ERROR_INIT;
  harm_status st = harm_config_write(cfg, mem, &err);
  fclose(mem);
  if (st != HARM_OK) {
    free(text);
    return NULL;
  }
  return text;
}

/* What harm_config_write writes must load again, to the same text: the
 * manifest and --print-config rely on it. The copy is loaded from the
 * same folder, so paths already resolved stay as they are. */
static void round_trip(const harm_config *cfg, const char *path) {
  char again[80];
  snprintf(again, sizeof again, "%s.again", path);
  size_t len = 0, len2 = 0;
  char *text = written(cfg, &len);
  FILE *fp = text ? fopen(again, "wb") : NULL;
  if (!fp) {
    free(text);
    return;
  }
  size_t put = fwrite(text, 1, len, fp);
  fclose(fp);
  harm_config *cfg2 = NULL;
  harm_error err = HARM_ERROR_INIT;
  if (put != len || harm_config_new(&cfg2, &err) != HARM_OK) {
    abort();
  }
  if (harm_config_load(cfg2, again, &err) != HARM_OK) {
    fprintf(stderr, "written config does not load: line %zu: %s\n%s\n",
            err.record, err.message, text);
    abort();
  }
  char *text2 = written(cfg2, &len2);
  if (!text2 || len2 != len || memcmp(text, text2, len) != 0) {
    fprintf(stderr, "round trip changed the config:\n%s\n----\n%s\n", text,
            text2 ? text2 : "(null)");
    abort();
  }
  free(text2);
  free(text);
  harm_config_free(cfg2);
  unlink(again);
}

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
    round_trip(cfg, path);
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
