/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/oversight/rebuild.c: re-runs a past run's pipeline from its
 * manifest (the recorded configuration, a window of our choosing, and
 * today's or the recorded offences file), and reads back the pool its
 * cohort was selected from through the cohort selection itself, so no
 * scoring or pool rule is repeated here. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "oversight/internal.h"

static void say(harm__note_fn note, void *ctx, const char *text) {
  if (note) {
    note(ctx, text);
  }
}

/* Says whether a recorded input still has its recorded bytes. */
static void check_input(const harm_oversight_manifest *m, const char *role,
                        harm__note_fn note, void *ctx) {
  for (size_t i = 0; i < harm_oversight_manifest_n_inputs(m); i++) {
    const harm_oversight_file *f = harm_oversight_manifest_input(m, i);
    if (strcmp(f->role, role) != 0) {
      continue;
    }
    harm_oversight_check c =
        harm_oversight_check_file(f->resolved, f->sha256, NULL);
    char text[1200];
    if (c == HARM_CHECK_CHANGED) {
      snprintf(text, sizeof text,
               "the %s file %s has changed since the run of %s (its SHA-256 "
               "differs): the recorded settings are used with its bytes as "
               "they are now",
               role, f->path, harm_oversight_manifest_dir(m));
      say(note, ctx, text);
    } else if (c == HARM_CHECK_MISSING) {
      snprintf(text, sizeof text, "the %s file %s of the run of %s is missing",
               role, f->path, harm_oversight_manifest_dir(m));
      say(note, ctx, text);
    }
  }
}

harm_status harm__rebuild(const harm_oversight_manifest *m,
                          const char *offences, harm_date as_of,
                          uint32_t lookback, const unsigned char *key,
                          size_t key_len, unsigned threads, bool hash_input,
                          harm__note_fn note, void *note_ctx,
                          harm__rebuilt *out, harm_error *err) {
  memset(out, 0, sizeof *out);
  if (harm_oversight_manifest_pseudonymised(m) && !key) {
    return harm__fail(err, HARM_ERR_USAGE, "oversight",
                      harm_oversight_manifest_dir(m), 0, NULL,
                      "the run was pseudonymised: pass the key it used "
                      "(--pseudonymise KEYFILE)");
  }
  harm_status st = harm_oversight_manifest_config(m, &out->cfg, err);
  char date[11], num[24];
  harm_date_format_iso(as_of, date);
  snprintf(num, sizeof num, "%" PRIu32, lookback);
  if (st == HARM_OK && offences) {
    st = harm_config_set(out->cfg, "input", "offences", offences, err);
  }
  if (st == HARM_OK) {
    st = harm_config_set(out->cfg, "scoring", "as_of", date, err);
  }
  if (st == HARM_OK) {
    st = harm_config_set(out->cfg, "scoring", "lookback_days", num, err);
  }
  if (st == HARM_OK) {
    snprintf(num, sizeof num, "%u", threads);
    st = harm_config_set(out->cfg, "run", "threads", num, err);
  }
  if (st == HARM_OK) {
    st = harm_config_validate(out->cfg, err);
  }
  if (st == HARM_OK) {
    check_input(m, "weights", note, note_ctx);
    check_input(m, "aliases", note, note_ctx);
    check_input(m, "config", note, note_ctx);
    harm_run_opts ro = HARM_RUN_OPTS_INIT;
    ro.pseudonym_key = key;
    ro.pseudonym_key_len = key_len;
    ro.hash_input = hash_input;
    st = harm_run_new(out->cfg, &ro, &out->run, err);
  }
  const harm_oversight_file *x =
      st == HARM_OK ? harm_oversight_manifest_find_input(m, "exclusions")
                    : NULL;
  if (x) {
    check_input(m, "exclusions", note, note_ctx);
    harm_error xe = HARM_ERROR_INIT;
    if (harm_exclusions_load(x->resolved, &out->exclusions, &xe) != HARM_OK) {
      char text[1200];
      snprintf(text, sizeof text,
               "the exclusions of the run of %s cannot be read (%s): the pool "
               "is rebuilt without them",
               harm_oversight_manifest_dir(m), xe.message);
      say(note, note_ctx, text);
    } else if (key) {
      st = harm_list_pseudonymise(out->exclusions, key, key_len, err);
    }
  }
  if (st != HARM_OK) {
    harm__rebuilt_free(out);
  }
  return st;
}

void harm__rebuilt_free(harm__rebuilt *r) {
  harm_run_free(r->run);
  harm_list_free(r->exclusions);
  harm_config_free(r->cfg);
  memset(r, 0, sizeof *r);
}

harm_status harm__pool(harm__rebuilt *r, size_t size, const harm_cohort **out,
                       harm_error *err) {
  harm_cohort_rules rules = harm_config_cohort_rules(r->cfg);
  rules.size = size ? size : 1;
  rules.referral_slots = 0;
  rules.backfill = false;
  rules.min_tenure_months = 0;
  rules.max_tenure_places = SIZE_MAX;
  return harm_run_select(r->run, &rules, NULL, r->exclusions, NULL, out, err);
}
