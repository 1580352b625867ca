/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/test_config.c: unit tests of run configuration: documented
 * defaults, INI loading with its errors and relative paths, flag-style
 * overrides, filters, the options structs the config implies, writing and
 * re-reading, validation and allocation failure. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <harmrank.h>

#include "core/internal.h"

/* 2026-11-23 is day 20780: $(( $(date -u -d 2026-11-23 +%s) / 86400 )). */
enum { D_2026_11_23 = 20780 };

static harm_config *new_config(void) {
  harm_config *cfg = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_new(&cfg, &err), HARM_OK, "%s", err.message);
  cr_assert_not_null(cfg);
  return cfg;
}

/* A scratch folder per test, removed with its files at the end. */
typedef struct scratch {
  char dir[64];
  char files[8][128];
  size_t n;
} scratch;

static void scratch_init(scratch *s) {
  strcpy(s->dir, "/tmp/harm_cfg_XXXXXX");
  cr_assert_not_null(mkdtemp(s->dir));
  s->n = 0;
}

static const char *scratch_write(scratch *s, const char *name,
                                 const char *text) {
  cr_assert_lt(s->n, 8u);
  char buf[128];
  snprintf(buf, sizeof buf, "%s/%s", s->dir, name);
  char *path = s->files[s->n++];
  memcpy(path, buf, sizeof buf);
  FILE *fp = fopen(path, "w");
  cr_assert_not_null(fp);
  fputs(text, fp);
  fclose(fp);
  return path;
}

/* As scratch_write, for text holding NUL bytes. */
static const char *scratch_write_bytes(scratch *s, const char *name,
                                       const char *data, size_t len) {
  const char *path = scratch_write(s, name, "");
  FILE *fp = fopen(path, "wb");
  cr_assert_not_null(fp);
  cr_assert_eq(fwrite(data, 1, len, fp), len);
  fclose(fp);
  return path;
}

static void scratch_done(scratch *s) {
  for (size_t i = 0; i < s->n; i++) {
    unlink(s->files[i]);
  }
  rmdir(s->dir);
}

static void assert_get(const harm_config *cfg, const char *section,
                       const char *key, const char *want) {
  const char *got = harm_config_get(cfg, section, key);
  cr_assert_not_null(got, "[%s] %s missing", section, key);
  cr_assert_str_eq(got, want, "[%s] %s", section, key);
}

/* ---- defaults ----------------------------------------------------------- */

Test(config, new_holds_the_documented_defaults) {
  harm_config *cfg = new_config();
  /* DESIGN.md §3 column names; ingest.h defaults. */
  assert_get(cfg, "columns", "offence_id", "offence_id");
  assert_get(cfg, "columns", "offender_id", "offender_id");
  assert_get(cfg, "columns", "offence_code", "offence_code");
  assert_get(cfg, "columns", "offence_date", "offence_date");
  assert_get(cfg, "columns", "victim_id", "victim_id");
  assert_get(cfg, "columns", "domestic", "domestic");
  assert_get(cfg, "columns", "area", "area");
  assert_get(cfg, "input", "date_format", "ymd");
  assert_get(cfg, "input", "strict", "false");
  assert_get(cfg, "input", "max_field_bytes", "1048576"); /* 1 MiB */
  assert_get(cfg, "input", "group_by", "");
  /* DESIGN.md §4: as_of = latest date, exclude_proactive = true, every
   * option off by default. */
  assert_get(cfg, "scoring", "as_of", "latest");
  assert_get(cfg, "scoring", "lookback_days", "365");
  assert_get(cfg, "scoring", "exclude_proactive", "true");
  assert_get(cfg, "scoring", "strict_codes", "false");
  assert_get(cfg, "scoring", "half_life_days", "0");
  assert_get(cfg, "scoring", "cap", "0");
  assert_get(cfg, "scoring", "transform", "none");
  assert_get(cfg, "scoring", "attribution", "full");
  assert_get(cfg, "scoring", "categories", "");
  /* weights.h: AUTO layout, MAX rule, HO class key, no file, no aliases. */
  assert_get(cfg, "weights", "file", "");
  assert_get(cfg, "weights", "format", "auto");
  assert_get(cfg, "weights", "duplicate_rule", "max");
  assert_get(cfg, "weights", "key", "ho_class");
  assert_get(cfg, "weights", "aliases", "");
  assert_get(cfg, "run", "threads", "0");
  /* DESIGN.md §5: 15 core slots plus 5 referral slots, no backfill. */
  assert_get(cfg, "cohort", "size", "15");
  assert_get(cfg, "cohort", "referral_slots", "5");
  assert_get(cfg, "cohort", "backfill", "false");
  assert_get(cfg, "cohort", "min_tenure_months", "0");
  /* DESIGN.md §4 RFGV defaults: R 0-1:5 1-3:4 3-6:3 6-12:2 12-24:1 else 0;
   * F 1:1 2:2 3-4:3 5-7:4 8+:5; V 1:1 2:3 3+:5; G quintiles 1-5. */
  assert_get(cfg, "rfgv", "recency_months", "1,3,6,12,24");
  assert_get(cfg, "rfgv", "recency_points", "5,4,3,2,1,0");
  assert_get(cfg, "rfgv", "frequency_min", "1,2,3,5,8");
  assert_get(cfg, "rfgv", "frequency_points", "1,2,3,4,5");
  assert_get(cfg, "rfgv", "victims_min", "1,2,3");
  assert_get(cfg, "rfgv", "victims_points", "1,3,5");
  assert_get(cfg, "rfgv", "gravity_points", "1,2,3,4,5");
  cr_assert_null(harm_config_get(cfg, "scoring", "no_such_key"));
  cr_assert_null(harm_config_get(cfg, "nowhere", "as_of"));
  cr_assert_null(harm_config_get(cfg, "filter", "status"));
  cr_assert_null(harm_config_weights_path(cfg), "no weights file by default");
  harm_config_free(cfg);
  harm_config_free(NULL);
}

Test(config, default_options_equal_the_documented_inits) {
  harm_config *cfg = new_config();
  harm_ingest_opts io = harm_config_ingest_opts(cfg);
  harm_ingest_opts id = HARM_INGEST_OPTS_INIT;
  cr_assert_str_eq(io.columns.offence_id, id.columns.offence_id);
  cr_assert_str_eq(io.columns.offender_id, id.columns.offender_id);
  cr_assert_str_eq(io.columns.offence_code, id.columns.offence_code);
  cr_assert_str_eq(io.columns.offence_date, id.columns.offence_date);
  cr_assert_str_eq(io.columns.victim_id, id.columns.victim_id);
  cr_assert_str_eq(io.columns.domestic, id.columns.domestic);
  cr_assert_str_eq(io.columns.area, id.columns.area);
  cr_assert_eq(io.date_format, id.date_format);
  cr_assert_null(io.group_by);
  cr_assert_eq(io.n_filters, 0u);
  cr_assert_eq(io.as_of, HARM_DATE_NONE);
  cr_assert_eq(io.lookback_days, 365u);
  cr_assert_eq(io.strict, false);
  cr_assert_eq(io.max_field_bytes, (size_t)1 << 20);
  cr_assert_eq(io.threads, 0u);
  cr_assert_null(io.on_reject);

  harm_score_opts so = harm_config_score_opts(cfg);
  harm_score_opts sd = HARM_SCORE_OPTS_INIT;
  cr_assert_float_eq(so.cap, sd.cap, 0.0);
  cr_assert_eq(so.transform, sd.transform);
  cr_assert_eq(so.strict_codes, sd.strict_codes);

  harm_matrix_opts mo = harm_config_matrix_opts(cfg, NULL);
  harm_matrix_opts md = HARM_MATRIX_OPTS_INIT;
  cr_assert_eq(mo.exclude_proactive, md.exclude_proactive);
  cr_assert_eq(mo.n_categories, 0u);
  cr_assert_float_eq(mo.half_life_days, md.half_life_days, 0.0);
  cr_assert_eq(mo.attribution, md.attribution);

  harm_weights_opts wo = harm_config_weights_opts(cfg);
  harm_weights_opts wd = HARM_WEIGHTS_OPTS_INIT;
  cr_assert_eq(wo.format, wd.format);
  cr_assert_eq(wo.dup_rule, wd.dup_rule);
  cr_assert_eq(wo.key, wd.key);
  cr_assert_null(wo.aliases);
  harm_config_free(cfg);
}

/* ---- loading INI files -------------------------------------------------- */

static const char full_ini[] =
    "; A run configuration touching every section.\n"
    "[input]\n"
    "date_format = dmy\n"
    "group_by = BEAT\n"
    "strict = yes\n"
    "max_field_bytes = 4096\n"
    "\n"
    "[columns]\n"
    "offence_id = CRN\n"
    "offender_id = NOMINAL_REF\n"
    "offence_code = HO_CODE\n"
    "offence_date = COMMITTED\n"
    "victim_id = VICTIM_REF\n"
    "domestic = DA_FLAG\n"
    "area = BEAT\n"
    "\n"
    "[scoring]\n"
    "as_of = 2026-11-23\n"
    "lookback_days = 730\n"
    "exclude_proactive = false\n"
    "strict_codes = true\n"
    "half_life_days = 182.5\n"
    "cap = 3650.75\n"
    "transform = sqrt\n"
    "attribution = split\n"
    "categories = Violence with injury, Robbery ,Homicide\n"
    "\n"
    "[weights]\n"
    "file = tables/w.csv\n"
    "format = cchi\n"
    "duplicate_rule = min\n"
    "key = athena\n"
    "aliases = /srv/harm/aliases.csv\n"
    "\n"
    "[output]\n"
    "top = 20\n"
    "file_mode = 0640\n"
    "\n"
    "[run]\n"
    "threads = 3\n"
    "\n"
    "[cohort]\n"
    "size = 12\n"
    "referral_slots = 4\n"
    "\n"
    "[filter]\n"
    "status = charged, Convicted\n"
    "DA_FLAG = Y\n";

Test(config, load_reads_every_section) {
  scratch s;
  scratch_init(&s);
  const char *path = scratch_write(&s, "run.ini", full_ini);
  harm_config *cfg = new_config();
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_load(cfg, path, &err), HARM_OK, "line %zu: %s",
               err.record, err.message);

  harm_ingest_opts io = harm_config_ingest_opts(cfg);
  cr_assert_str_eq(io.columns.offence_id, "CRN");
  cr_assert_str_eq(io.columns.offender_id, "NOMINAL_REF");
  cr_assert_str_eq(io.columns.offence_code, "HO_CODE");
  cr_assert_str_eq(io.columns.offence_date, "COMMITTED");
  cr_assert_str_eq(io.columns.victim_id, "VICTIM_REF");
  cr_assert_str_eq(io.columns.domestic, "DA_FLAG");
  cr_assert_str_eq(io.columns.area, "BEAT");
  cr_assert_eq(io.date_format, HARM_DATE_DMY);
  cr_assert_str_eq(io.group_by, "BEAT");
  cr_assert_eq(io.strict, true);
  cr_assert_eq(io.max_field_bytes, 4096u);
  cr_assert_eq(io.as_of, D_2026_11_23);
  cr_assert_eq(io.lookback_days, 730u);
  cr_assert_eq(io.threads, 3u);
  /* [filter]: two filters, values split on commas and trimmed. */
  cr_assert_eq(io.n_filters, 2u);
  cr_assert_str_eq(io.filters[0].column, "status");
  cr_assert_eq(io.filters[0].n_values, 2u);
  cr_assert_str_eq(io.filters[0].values[0], "charged");
  cr_assert_str_eq(io.filters[0].values[1], "Convicted");
  cr_assert_str_eq(io.filters[1].column, "DA_FLAG");
  cr_assert_eq(io.filters[1].n_values, 1u);
  cr_assert_str_eq(io.filters[1].values[0], "Y");
  assert_get(cfg, "filter", "status", "charged, Convicted");

  harm_score_opts so = harm_config_score_opts(cfg);
  cr_assert_float_eq(so.cap, 3650.75, 1e-12);
  cr_assert_eq(so.transform, HARM_TRANSFORM_SQRT);
  cr_assert_eq(so.strict_codes, true);

  harm_matrix_opts mo = harm_config_matrix_opts(cfg, NULL);
  cr_assert_eq(mo.exclude_proactive, false);
  cr_assert_float_eq(mo.half_life_days, 182.5, 1e-12);
  cr_assert_eq(mo.attribution, HARM_ATTR_SPLIT);
  cr_assert_eq(mo.n_categories, 3u);
  cr_assert_str_eq(mo.categories[0], "Violence with injury");
  cr_assert_str_eq(mo.categories[1], "Robbery");
  cr_assert_str_eq(mo.categories[2], "Homicide");

  harm_weights_opts wo = harm_config_weights_opts(cfg);
  cr_assert_eq(wo.format, HARM_WEIGHTS_CCHI);
  cr_assert_eq(wo.dup_rule, HARM_DUP_MIN);
  cr_assert_eq(wo.key, HARM_KEY_ATHENA);
  cr_assert_str_eq(wo.aliases, "/srv/harm/aliases.csv", "absolute: as given");

  /* The relative weights path is resolved against the INI's folder. */
  char want[160];
  snprintf(want, sizeof want, "%s/tables/w.csv", s.dir);
  cr_assert_str_eq(harm_config_weights_path(cfg), want);

  assert_get(cfg, "output", "top", "20");
  assert_get(cfg, "output", "file_mode", "0640");
  assert_get(cfg, "cohort", "size", "12");
  assert_get(cfg, "cohort", "referral_slots", "4");
  harm_config_free(cfg);
  scratch_done(&s);
}

Test(config, relative_aliases_path_is_resolved_too) {
  scratch s;
  scratch_init(&s);
  const char *path =
      scratch_write(&s, "run.ini", "[weights]\naliases = ../shared/al.csv\n");
  harm_config *cfg = new_config();
  cr_assert_eq(harm_config_load(cfg, path, NULL), HARM_OK);
  char want[160];
  snprintf(want, sizeof want, "%s/../shared/al.csv", s.dir);
  cr_assert_str_eq(harm_config_weights_opts(cfg).aliases, want);
  harm_config_free(cfg);
  scratch_done(&s);
}

Test(config, later_files_and_flags_win) {
  /* A key twice in one file is an error (issue 11: which did they mean?);
   * a later file, or a flag, overrides an earlier file as documented. */
  scratch s;
  scratch_init(&s);
  const char *a = scratch_write(&s, "a.ini",
                                "[scoring]\nlookback_days = 730\n"
                                "cap = 17.25\n[filter]\narea = North\n");
  const char *b = scratch_write(&s, "b.ini",
                                "[scoring]\ncap = 2.385\n[filter]\n"
                                "AREA = South\n");
  harm_config *cfg = new_config();
  cr_assert_eq(harm_config_load(cfg, a, NULL), HARM_OK);
  cr_assert_eq(harm_config_load(cfg, b, NULL), HARM_OK);
  cr_assert_eq(harm_config_load(cfg, b, NULL), HARM_OK, "same file again");
  cr_assert_eq(harm_config_set(cfg, "scoring", "lookback_days", "182", NULL),
               HARM_OK);
  cr_assert_eq(harm_config_ingest_opts(cfg).lookback_days, 182u);
  cr_assert_float_eq(harm_config_score_opts(cfg).cap, 2.385, 1e-12);
  harm_ingest_opts io = harm_config_ingest_opts(cfg);
  cr_assert_eq(io.n_filters, 1u);
  cr_assert_str_eq(io.filters[0].values[0], "South");
  harm_config_free(cfg);
  scratch_done(&s);
}

typedef struct ini_error_case {
  char text[96];
  harm_status status;
  size_t record;
  char column[24]; /* "" = not checked */
} ini_error_case;

ParameterizedTestParameters(config, ini_errors_name_the_line) {
  /* Text by value: Criterion runs each case in a fresh process. */
  static ini_error_case cases[] = {
      {"[scoring]\nlookback_days = 30\nlook_back = 30\n", HARM_ERR_CONFIG, 3,
       "look_back"},
      {"; c\n[scoring]\n\nhalf_life = 7\n", HARM_ERR_CONFIG, 4, "half_life"},
      /* The misspelt section header itself is named (line 3). */
      {"[input]\nstrict = true\n[scorng]\nlookback_days = 30\n",
       HARM_ERR_CONFIG, 3, ""},
      {"[input]\nstrict = perhaps\n", HARM_ERR_CONFIG, 2, "strict"},
      {"[scoring]\ncap = 1\ntransform = cube\n", HARM_ERR_CONFIG, 3,
       "transform"},
      {"[input]\nstrict = true\nthis line is not ini\n", HARM_ERR_CONFIG, 3,
       ""},
      {"lookback_days = 30\n", HARM_ERR_CONFIG, 1, ""}, /* no section */
      {"[filter]\nstatus = ,\n", HARM_ERR_CONFIG, 2, "status"},
      /* Issue 11 item 7: a key or section twice in one file. */
      {"[scoring]\nlookback_days = 90\ncap = 100\nlookback_days = 30\n",
       HARM_ERR_CONFIG, 4, "lookback_days"},
      {"[cohort]\nsize = 10\nsize: 12\n", HARM_ERR_CONFIG, 3, "size"},
      {"[filter]\nstatus = charged\nStatus = convicted\n", HARM_ERR_CONFIG, 3,
       "Status"},
      {"[scoring]\ncap = 100\n[cohort]\nsize = 9\n[scoring]\n", HARM_ERR_CONFIG,
       5, ""},
      /* A key after the header would be silently ignored. */
      {"[scoring] cap = 100\n", HARM_ERR_CONFIG, 1, ""},
      {"[scoring\ncap = 100\n", HARM_ERR_CONFIG, 1, ""},
      /* The first error wins. */
      {"[scoring]\nno equals\n[scoring]\n", HARM_ERR_CONFIG, 2, ""},
  };
  return cr_make_param_array(ini_error_case, cases,
                             sizeof cases / sizeof cases[0]);
}

ParameterizedTest(ini_error_case *c, config, ini_errors_name_the_line) {
  scratch s;
  scratch_init(&s);
  const char *path = scratch_write(&s, "bad.ini", c->text);
  harm_config *cfg = new_config();
  harm_error err = HARM_ERROR_INIT;
  harm_status st = harm_config_load(cfg, path, &err);
  cr_assert_eq(st, c->status, "ini:\n%s\ngot %s", c->text,
               harm_status_name(st));
  cr_assert_eq(err.status, c->status);
  cr_assert_eq(err.record, c->record, "ini:\n%s", c->text);
  cr_assert_str_eq(err.file, path);
  if (c->column[0]) {
    cr_assert_str_eq(err.column, c->column);
  }
  harm_config_free(cfg);
  scratch_done(&s);
}

Test(config, unknown_section_without_keys_is_an_error) {
  /* config.h: "HARM_ERR_CONFIG (syntax error, unknown section or key ...)".
   * A misspelt section with nothing under it yet is still misspelt. */
  scratch s;
  scratch_init(&s);
  const char *path =
      scratch_write(&s, "bad.ini", "[scoring]\nlookback_days = 30\n[scorng]\n");
  harm_config *cfg = new_config();
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_load(cfg, path, &err), HARM_ERR_CONFIG);
  cr_assert_eq(err.record, 3u);
  harm_config_free(cfg);
  scratch_done(&s);
}

Test(config, missing_ini_is_an_io_error) {
  harm_config *cfg = new_config();
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_load(cfg, "/nonexistent/run.ini", &err),
               HARM_ERR_IO);
  cr_assert_eq(err.status, HARM_ERR_IO);
  cr_assert_str_eq(err.file, "/nonexistent/run.ini");
  harm_config_free(cfg);
}

/* ---- issue 11: lines inih alone would drop or misread -------------------- */

/* Loads `len` bytes of INI text; asserts success. */
static harm_config *load_text(scratch *s, const char *text, size_t len) {
  const char *path = scratch_write_bytes(s, "run.ini", text, len);
  harm_config *cfg = new_config();
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_load(cfg, path, &err), HARM_OK, "line %zu: %s",
               err.record, err.message);
  return cfg;
}

Test(config, lines_longer_than_inih_takes_are_read_whole) {
  /* Debian's inih reads 199 characters a line; these are 300 and more. */
  char text[2048], cats[512], name[400];
  size_t n = 0;
  for (int i = 1; i <= 20; i++) {
    n += (size_t)snprintf(cats + n, sizeof cats - n, "%sCategory %02d",
                          i > 1 ? ", " : "", i);
  }
  cr_assert_gt(n, 250u);
  memset(name, 'P', 350);
  name[350] = '\0';
  char comment[300];
  memset(comment, '#', sizeof comment - 1);
  comment[sizeof comment - 1] = '\0';
  int len =
      snprintf(text, sizeof text,
               ";%s\n[scoring]\ncategories = %s\nlookback_days = 30%300s\n"
               "cap = 17.25 ; %s\n[cohort]\nname = %s\nsize = 3\n",
               comment, cats, "", comment, name);
  cr_assert_lt((size_t)len, sizeof text);
  scratch s;
  scratch_init(&s);
  harm_config *cfg = load_text(&s, text, (size_t)len);
  harm_matrix_opts mo = harm_config_matrix_opts(cfg, NULL);
  cr_assert_eq(mo.n_categories, 20u);
  cr_assert_str_eq(mo.categories[0], "Category 01");
  cr_assert_str_eq(mo.categories[19], "Category 20");
  cr_assert_eq(harm_config_ingest_opts(cfg).lookback_days, 30u);
  cr_assert_float_eq(harm_config_score_opts(cfg).cap, 17.25, 1e-12);
  assert_get(cfg, "cohort", "name", name);
  cr_assert_eq(harm_config_cohort_rules(cfg).size, 3u);
  harm_config_free(cfg);
  scratch_done(&s);
}

Test(config, blanks_after_a_value_are_trimmed) {
  static const char text[] = "[scoring]\nlookback_days = 30   \n"
                             "half_life_days = 182.5\t \ncap=2.385 ; days\n"
                             "[cohort]\nname =  Panel A  \n";
  scratch s;
  scratch_init(&s);
  harm_config *cfg = load_text(&s, text, sizeof text - 1);
  cr_assert_eq(harm_config_ingest_opts(cfg).lookback_days, 30u);
  cr_assert_float_eq(harm_config_matrix_opts(cfg, NULL).half_life_days, 182.5,
                     1e-12);
  cr_assert_float_eq(harm_config_score_opts(cfg).cap, 2.385, 1e-12);
  assert_get(cfg, "cohort", "name", "Panel A");
  harm_config_free(cfg);
  scratch_done(&s);
}

Test(config, indented_lines_are_keys_of_their_own) {
  /* inih's multi-line values would make "size = 1" part of the name. */
  static const char text[] = "[cohort]\nname = Panel\n  size = 1\n"
                             "\tmin_offences = 2\n  ; an indented comment\n"
                             "   [scoring]\n    cap = 17.25\n";
  scratch s;
  scratch_init(&s);
  harm_config *cfg = load_text(&s, text, sizeof text - 1);
  assert_get(cfg, "cohort", "name", "Panel");
  cr_assert_eq(harm_config_cohort_rules(cfg).size, 1u);
  cr_assert_eq(harm_config_cohort_rules(cfg).min_offences, 2u);
  cr_assert_float_eq(harm_config_score_opts(cfg).cap, 17.25, 1e-12);
  harm_config_free(cfg);
  scratch_done(&s);
}

typedef struct line_end_case {
  char eol[3];
  bool bom;
} line_end_case;

ParameterizedTestParameters(config, lf_crlf_and_lone_cr_read_alike) {
  static line_end_case cases[] = {
      {"\n", false}, {"\r\n", false}, {"\r", false},
      {"\n", true},  {"\r\n", true},  {"\r", true},
  };
  return cr_make_param_array(line_end_case, cases,
                             sizeof cases / sizeof cases[0]);
}

ParameterizedTest(line_end_case *c, config, lf_crlf_and_lone_cr_read_alike) {
  static const char *const lines[] = {"; every key must be read",
                                      "[scoring]",
                                      "lookback_days = 30",
                                      "",
                                      "cap = 17.25",
                                      "[cohort]",
                                      "size = 7",
                                      "name = Panel",
                                      "[filter]",
                                      "area = North, South"};
  char text[512];
  size_t n = 0;
  if (c->bom) {
    n += (size_t)snprintf(text, sizeof text, "\xEF\xBB\xBF");
  }
  for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
    n += (size_t)snprintf(text + n, sizeof text - n, "%s%s", lines[i], c->eol);
  }
  scratch s;
  scratch_init(&s);
  harm_config *cfg = load_text(&s, text, n);
  cr_assert_eq(harm_config_ingest_opts(cfg).lookback_days, 30u);
  cr_assert_float_eq(harm_config_score_opts(cfg).cap, 17.25, 1e-12);
  cr_assert_eq(harm_config_cohort_rules(cfg).size, 7u);
  assert_get(cfg, "cohort", "name", "Panel");
  harm_ingest_opts io = harm_config_ingest_opts(cfg);
  cr_assert_eq(io.n_filters, 1u);
  cr_assert_eq(io.filters[0].n_values, 2u);
  cr_assert_str_eq(io.filters[0].values[1], "South");
  harm_config_free(cfg);
  /* The line numbers count lone CRs too: an error on the 7th line. */
  memcpy(strstr(text, "size = 7"), "size = x", 8);
  const char *path = scratch_write_bytes(&s, "bad.ini", text, n);
  cfg = new_config();
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_load(cfg, path, &err), HARM_ERR_CONFIG);
  cr_assert_eq(err.record, 7u);
  cr_assert_str_eq(err.column, "size");
  harm_config_free(cfg);
  scratch_done(&s);
}

typedef struct nul_case {
  char text[48];
  size_t len;
  size_t record;
} nul_case;

#define NUL_CASE(text, record)                                                 \
  { text, sizeof text - 1, record }

ParameterizedTestParameters(config, a_nul_byte_is_an_error_naming_the_line) {
  static nul_case cases[] = {
      /* In a value, where inih would end the line early and swallow the
       * next. */
      NUL_CASE("[scoring]\nlookback_days = 30\0\ncap = 100\n", 2),
      NUL_CASE("[scoring]\ncap = 1\0 00\nlookback_days = 30\n", 2),
      /* In a comment and on a line of its own. */
      NUL_CASE("[scoring]\ncap = 100\n; a\0b\n", 3),
      NUL_CASE("\0\n[scoring]\n", 1),
      /* After a lone CR line end. */
      NUL_CASE("[scoring]\rcap = 100\r\0", 3),
  };
  return cr_make_param_array(nul_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(nul_case *c, config, a_nul_byte_is_an_error_naming_the_line) {
  scratch s;
  scratch_init(&s);
  const char *path = scratch_write_bytes(&s, "nul.ini", c->text, c->len);
  harm_config *cfg = new_config();
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_load(cfg, path, &err), HARM_ERR_CONFIG);
  cr_assert_eq(err.status, HARM_ERR_CONFIG);
  cr_assert_eq(err.record, c->record);
  cr_assert_str_eq(err.file, path);
  harm_config_free(cfg);
  scratch_done(&s);
}

Test(config, plain_decimals_and_the_two_file_modes_are_accepted) {
  static const struct {
    const char *section, *key, *value;
  } good[] = {
      {"output", "file_mode", "0600"},
      {"output", "file_mode", "600"},
      {"output", "file_mode", "0640"},
      {"output", "file_mode", "640"},
      {"scoring", "cap", "17.25"},
      {"scoring", "cap", "0"},
      {"scoring", "cap", "0.5"},
      {"scoring", "cap", "3650.75"},
      {"scoring", "half_life_days", "9999999999.123456789012345"},
      {"cohort", "min_harm", "007"},
      {"rfgv", "weight_r", "2.385"},
      {"rfgv", "recency_months", "0.5,1,6,12,24.5"},
      {"rfgv", "frequency_min", "1,2,3,5,4294967295"},
  };
  harm_config *cfg = new_config();
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    harm_error err = HARM_ERROR_INIT;
    cr_expect_eq(
        harm_config_set(cfg, good[i].section, good[i].key, good[i].value, &err),
        HARM_OK, "[%s] %s = %s: %s", good[i].section, good[i].key,
        good[i].value, err.message);
  }
  cr_assert_float_eq(harm_config_score_opts(cfg).cap, 3650.75, 1e-12);
  cr_assert_float_eq(harm_config_cohort_rules(cfg).min_harm, 7.0, 1e-12);
  cr_assert_eq(harm_config_cohort_rules(cfg).bands.frequency_min[4],
               4294967295u);
  harm_config_free(cfg);
}

Test(config, a_file_over_1_mib_is_refused) {
  scratch s;
  scratch_init(&s);
  size_t len = (1u << 20) + 2;
  char *text = malloc(len);
  cr_assert_not_null(text);
  memset(text, '\n', len);
  memcpy(text, "[scoring]", 9);
  const char *path = scratch_write_bytes(&s, "big.ini", text, len);
  free(text);
  harm_config *cfg = new_config();
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_load(cfg, path, &err), HARM_ERR_CONFIG);
  cr_assert_str_eq(err.file, path);
  harm_config_free(cfg);
  scratch_done(&s);
}

/* ---- harm_config_set ---------------------------------------------------- */

Test(config, set_overrides_and_takes_paths_as_given) {
  harm_config *cfg = new_config();
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_set(cfg, "scoring", "as_of", "2026-11-23", &err),
               HARM_OK);
  cr_assert_eq(harm_config_ingest_opts(cfg).as_of, D_2026_11_23);
  cr_assert_eq(harm_config_set(cfg, "scoring", "as_of", "latest", &err),
               HARM_OK);
  cr_assert_eq(harm_config_ingest_opts(cfg).as_of, HARM_DATE_NONE);
  cr_assert_eq(harm_config_set(cfg, "scoring", "lookback_days", "0", &err),
               HARM_OK, "0 = unlimited");
  cr_assert_eq(harm_config_ingest_opts(cfg).lookback_days, 0u);
  cr_assert_eq(harm_config_set(cfg, "weights", "file", "tables/w.csv", &err),
               HARM_OK);
  cr_assert_str_eq(harm_config_weights_path(cfg), "tables/w.csv");
  cr_assert_eq(harm_config_set(cfg, "scoring", "transform", "LOG1P", &err),
               HARM_OK);
  cr_assert_eq(harm_config_score_opts(cfg).transform, HARM_TRANSFORM_LOG1P);
  cr_assert_eq(harm_config_set(cfg, "input", "group_by", "area", &err),
               HARM_OK);
  cr_assert_str_eq(harm_config_ingest_opts(cfg).group_by, "area");
  cr_assert_eq(harm_config_set(cfg, "input", "group_by", "", &err), HARM_OK);
  cr_assert_null(harm_config_ingest_opts(cfg).group_by, "\"\" = offender");
  harm_config_free(cfg);
}

typedef struct bad_value_case {
  char section[12];
  char key[24];
  char value[40];
} bad_value_case;

ParameterizedTestParameters(config, bad_values_are_config_errors) {
  static bad_value_case cases[] = {
      {"input", "date_format", "mdy"},
      {"input", "strict", "perhaps"},
      {"input", "max_field_bytes", "abc"},
      {"input", "max_field_bytes", "-5"},
      {"input", "max_field_bytes", "12kb"},
      {"scoring", "as_of", "2019-02-30"},
      {"scoring", "as_of", "23/11/2026"},
      {"scoring", "as_of", "yesterday"},
      {"scoring", "lookback_days", "-30"},
      {"scoring", "lookback_days", "ten"},
      {"scoring", "lookback_days", "36.5"},
      {"scoring", "exclude_proactive", "2"},
      {"scoring", "strict_codes", "enabled"},
      {"scoring", "half_life_days", "-1"},
      {"scoring", "half_life_days", "nan"},
      {"scoring", "cap", "-0.5"},
      {"scoring", "cap", "lots"},
      {"scoring", "transform", "square"},
      {"scoring", "attribution", "half"},
      {"weights", "format", "xlsx"},
      {"weights", "duplicate_rule", "avg"},
      {"weights", "key", "ho"},
      {"output", "top", "-1"},
      {"output", "file_mode", "0800"},
      {"output", "file_mode", "rw-------"},
      /* Issue 11 item 7: only 0600 and 0640 (owner rw, nobody else
       * writes, nobody outside the group reads, no special bits). */
      {"output", "file_mode", "0777"},
      {"output", "file_mode", "0666"},
      {"output", "file_mode", "0000"},
      {"output", "file_mode", "0644"},
      {"output", "file_mode", "0660"},
      {"output", "file_mode", "0700"},
      {"output", "file_mode", "0400"},
      {"output", "file_mode", "4600"},
      {"output", "file_mode", "00600"},
      {"output", "file_mode", "+600"},
      {"output", "file_mode", "-0"},
      {"output", "file_mode", ""},
      /* Decimal only: no hex floats, signs, exponents, inf or nan. */
      {"scoring", "half_life_days", "0x1p4"},
      {"scoring", "half_life_days", "0x10"},
      {"scoring", "cap", "-0"},
      {"scoring", "cap", "+17.25"},
      {"scoring", "cap", "1e3"},
      {"scoring", "cap", "inf"},
      {"scoring", "cap", "17."},
      {"scoring", "cap", ".5"},
      {"scoring", "cap", "17.25.1"},
      {"scoring", "cap", "12345678901"}, /* 11 digits */
      {"cohort", "min_harm", "-0.0"},
      {"cohort", "min_harm", "NaN"},
      {"rfgv", "weight_g", "0x1p1"},
      {"rfgv", "weight_v", "1E1"},
      {"scoring", "lookback_days", "+30"},
      {"scoring", "lookback_days", "-0"},
      {"scoring", "lookback_days", "0x1e"},
      {"cohort", "size", "1e1"},
      {"cohort", "size", "+15"},
      {"run", "threads", "0x2"},
      {"output", "top", "+10"},
      {"rfgv", "recency_points", "5,4,3,2,1,-0"},
      {"rfgv", "gravity_points", "1,2,3,4,0x5"},
      {"rfgv", "recency_months", "1,3,6,12,2.4e1"},
      /* Band minimums are whole offence and victim counts. */
      {"rfgv", "frequency_min", "1,2,3,5,8.5"},
      {"rfgv", "frequency_min", "1,2,3,5,4294967296"},
      {"rfgv", "victims_min", "1,2,+3"},
      {"run", "threads", "-1"},
      {"run", "threads", "two"},
      {"cohort", "size", "-15"},
      {"cohort", "backfill", "sometimes"},
      {"cohort", "model", "gravity"},
      {"rfgv", "recency_months", "1,3,6,12"},    /* needs 5 */
      {"rfgv", "recency_months", "3,1,6,12,24"}, /* not ascending */
      {"rfgv", "victims_points", "1,3,x"},
  };
  return cr_make_param_array(bad_value_case, cases,
                             sizeof cases / sizeof cases[0]);
}

ParameterizedTest(bad_value_case *c, config, bad_values_are_config_errors) {
  harm_config *cfg = new_config();
  const char *before = harm_config_get(cfg, c->section, c->key);
  cr_assert_not_null(before);
  char kept[64];
  snprintf(kept, sizeof kept, "%s", before);
  harm_error err = HARM_ERROR_INIT;
  harm_status st = harm_config_set(cfg, c->section, c->key, c->value, &err);
  cr_assert_eq(st, HARM_ERR_CONFIG, "[%s] %s = %s gave %s", c->section, c->key,
               c->value, harm_status_name(st));
  cr_assert_eq(err.status, HARM_ERR_CONFIG);
  cr_assert_str_eq(err.column, c->key);
  assert_get(cfg, c->section, c->key, kept);
  harm_config_free(cfg);
}

Test(config, set_unknown_key_or_section_is_a_config_error) {
  harm_config *cfg = new_config();
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_set(cfg, "scoring", "lookback", "30", &err),
               HARM_ERR_CONFIG);
  cr_assert_str_eq(err.column, "lookback");
  harm_error_clear(&err);
  cr_assert_eq(harm_config_set(cfg, "score", "lookback_days", "30", &err),
               HARM_ERR_CONFIG);
  cr_assert_str_eq(err.column, "lookback_days");
  harm_config_free(cfg);
}

/* ---- filters and categories --------------------------------------------- */

Test(config, filter_keys_become_ingest_filters) {
  harm_config *cfg = new_config();
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_set(cfg, "filter", "area", "North, East ,", &err),
               HARM_OK);
  cr_assert_eq(harm_config_set(cfg, "filter", "domestic", "yes", &err),
               HARM_OK);
  /* Setting a filter again replaces its values. */
  cr_assert_eq(harm_config_set(cfg, "filter", "area", "South", &err), HARM_OK);
  harm_ingest_opts io = harm_config_ingest_opts(cfg);
  cr_assert_eq(io.n_filters, 2u);
  cr_assert_str_eq(io.filters[0].column, "area");
  cr_assert_eq(io.filters[0].n_values, 1u);
  cr_assert_str_eq(io.filters[0].values[0], "South");
  cr_assert_str_eq(io.filters[1].column, "domestic");
  cr_assert_str_eq(io.filters[1].values[0], "yes");
  assert_get(cfg, "filter", "area", "South");
  /* A filter needs at least one value. */
  cr_assert_eq(harm_config_set(cfg, "filter", "status", " , ", &err),
               HARM_ERR_CONFIG);
  cr_assert_str_eq(err.column, "status");
  cr_assert_eq(harm_config_ingest_opts(cfg).n_filters, 2u);
  harm_config_free(cfg);
}

Test(config, config_filters_drive_ingest) {
  harm_config *cfg = new_config();
  cr_assert_eq(
      harm_config_set(cfg, "filter", "status", "charged,convicted", NULL),
      HARM_OK);
  cr_assert_eq(harm_config_set(cfg, "scoring", "lookback_days", "0", NULL),
               HARM_OK);
  harm_ingest_opts io = harm_config_ingest_opts(cfg);
  const char *csv = "offence_id,offender_id,offence_code,offence_date,status\n"
                    "CR1,N1,8N,2024-03-01,Charged\n"
                    "CR2,N2,8N,2024-03-01,suspect\n"
                    "CR3,N3,8N,2024-03-01,CONVICTED\n";
  harm_dataset *ds = NULL;
  cr_assert_eq(harm_ingest_buffer("t.csv", csv, strlen(csv), &io, &ds, NULL),
               HARM_OK);
  harm_accounting a = harm_dataset_accounting(ds);
  cr_assert_eq(a.kept, 2u);
  cr_assert_eq(a.filtered, 1u);
  harm_dataset_free(ds);
  harm_config_free(cfg);
}

Test(config, categories_list_is_split_and_trimmed) {
  harm_config *cfg = new_config();
  cr_assert_eq(harm_config_set(cfg, "scoring", "categories",
                               " Stalking and harassment,,Robbery , ", NULL),
               HARM_OK);
  harm_matrix_opts mo = harm_config_matrix_opts(cfg, NULL);
  cr_assert_eq(mo.n_categories, 2u);
  cr_assert_str_eq(mo.categories[0], "Stalking and harassment");
  cr_assert_str_eq(mo.categories[1], "Robbery");
  cr_assert_eq(harm_config_set(cfg, "scoring", "categories", "", NULL),
               HARM_OK);
  cr_assert_eq(harm_config_matrix_opts(cfg, NULL).n_categories, 0u,
               "empty = all categories");
  harm_config_free(cfg);
}

/* ---- write and re-read -------------------------------------------------- */

Test(config, write_then_load_round_trips_every_key) {
  scratch s;
  scratch_init(&s);
  const char *path = scratch_write(&s, "run.ini", full_ini);
  harm_config *a = new_config();
  cr_assert_eq(harm_config_load(a, path, NULL), HARM_OK);
  cr_assert_eq(
      harm_config_set(a, "scoring", "categories", "Robbery,Homicide", NULL),
      HARM_OK);

  char out[128];
  snprintf(out, sizeof out, "%s/written.ini", s.dir);
  cr_assert_lt(s.n, 8u);
  strcpy(s.files[s.n++], out);
  FILE *fp = fopen(out, "w");
  cr_assert_not_null(fp);
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_write(a, fp, &err), HARM_OK);
  fclose(fp);

  harm_config *b = new_config();
  cr_assert_eq(harm_config_load(b, out, &err), HARM_OK, "line %zu: %s",
               err.record, err.message);
  size_t n = harm_config_n_keys(a);
  cr_assert_eq(harm_config_n_keys(b), n);
  /* Every key of the default config exists, plus 2 filters. */
  harm_config *d = new_config();
  cr_assert_eq(n, harm_config_n_keys(d) + 2);
  harm_config_free(d);
  for (size_t i = 0; i < n; i++) {
    const char *sec, *key, *val;
    cr_assert(harm_config_key(a, i, &sec, &key, &val));
    const char *got = harm_config_get(b, sec, key);
    cr_assert_not_null(got, "[%s] %s not written", sec, key);
    cr_assert_str_eq(got, val, "[%s] %s", sec, key);
  }
  const char *sec, *key, *val;
  cr_assert_not(harm_config_key(a, n, &sec, &key, &val));
  /* The parsed values agree too, not only the text. */
  cr_assert_eq(harm_config_ingest_opts(b).as_of, D_2026_11_23);
  cr_assert_float_eq(harm_config_score_opts(b).cap, 3650.75, 1e-12);
  cr_assert_eq(harm_config_matrix_opts(b, NULL).n_categories, 2u);
  harm_config_free(a);
  harm_config_free(b);
  scratch_done(&s);
}

/* ---- validation --------------------------------------------------------- */

Test(config, validate_accepts_the_defaults_and_a_full_file) {
  harm_config *cfg = new_config();
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_validate(cfg, &err), HARM_OK, "%s", err.message);
  harm_config_free(cfg);
}

typedef struct validate_case {
  char section[12];
  char key[20];
  char value[16];
  char section2[12];
  char key2[20];
  char value2[16];
  char column[20];
} validate_case;

ParameterizedTestParameters(config, validate_rejects_keys_that_disagree) {
  static validate_case cases[] = {
      /* A cap under one day with a transform leaves almost nothing. */
      {"scoring", "cap", "0.5", "scoring", "transform", "sqrt", "cap"},
      /* RFGV bands total CCHI harm; a transform would move the cuts. */
      {"cohort", "model", "rfgv", "scoring", "transform", "log1p", "model"},
      /* A 30-day window ending 0001-01-15 starts before year 1. */
      {"scoring", "lookback_days", "30", "scoring", "as_of", "0001-01-15",
       "lookback_days"},
      /* Nobody could be selected. */
      {"cohort", "size", "0", "cohort", "referral_slots", "0", "size"},
  };
  return cr_make_param_array(validate_case, cases,
                             sizeof cases / sizeof cases[0]);
}

ParameterizedTest(validate_case *c, config,
                  validate_rejects_keys_that_disagree) {
  harm_config *cfg = new_config();
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_set(cfg, c->section, c->key, c->value, &err),
               HARM_OK, "%s", err.message);
  cr_assert_eq(harm_config_validate(cfg, &err), HARM_OK,
               "one key alone is fine");
  cr_assert_eq(harm_config_set(cfg, c->section2, c->key2, c->value2, &err),
               HARM_OK, "%s", err.message);
  cr_assert_eq(harm_config_validate(cfg, &err), HARM_ERR_CONFIG);
  cr_assert_eq(err.status, HARM_ERR_CONFIG);
  cr_assert_str_eq(err.column, c->column);
  harm_config_free(cfg);
}

/* ---- allocation failure ------------------------------------------------- */

Test(config, every_allocation_failure_in_new) {
  uint64_t n = 1;
  for (;; n++) {
    cr_assert_lt(n, 100000u);
    harm_config *cfg = (harm_config *)&n;
    harm_error err = HARM_ERROR_INIT;
    harm__fault_fail_after(n);
    harm_status st = harm_config_new(&cfg, &err);
    harm__fault_fail_after(0);
    if (st == HARM_OK) {
      assert_get(cfg, "scoring", "lookback_days", "365");
      harm_config_free(cfg);
      break;
    }
    cr_assert_eq(st, HARM_ERR_NOMEM, "allocation %llu: %s",
                 (unsigned long long)n, harm_status_name(st));
    cr_assert_eq(err.status, HARM_ERR_NOMEM);
    cr_assert_null(cfg, "allocation %llu", (unsigned long long)n);
  }
  cr_assert_gt(n, 3u);
}

Test(config, every_allocation_failure_in_load) {
  scratch s;
  scratch_init(&s);
  const char *path = scratch_write(&s, "run.ini", full_ini);
  uint64_t n = 1;
  for (;; n++) {
    cr_assert_lt(n, 100000u);
    harm_config *cfg = new_config();
    harm_error err = HARM_ERROR_INIT;
    harm__fault_fail_after(n);
    harm_status st = harm_config_load(cfg, path, &err);
    harm__fault_fail_after(0);
    if (st == HARM_OK) {
      cr_assert_eq(harm_config_ingest_opts(cfg).n_filters, 2u);
      harm_config_free(cfg);
      break;
    }
    cr_assert_eq(st, HARM_ERR_NOMEM, "allocation %llu: %s",
                 (unsigned long long)n, harm_status_name(st));
    harm_config_free(cfg);
  }
  cr_assert_gt(n, 3u);
  scratch_done(&s);
}

/* Every key of the table can be written in an INI file under its own
 * section: a key whose section the reader does not know could be set
 * with --set but never from a file. Each key is loaded alone, with its
 * default value, from a file of its own. */
Test(config, every_key_loads_from_a_file_under_its_section) {
  harm_config *all = new_config();
  size_t n = harm_config_n_keys(all);
  cr_assert_gt(n, 40u);
  for (size_t i = 0; i < n; i++) {
    const char *section, *key, *value;
    cr_assert(harm_config_key(all, i, &section, &key, &value));
    if (strcmp(section, "filter") == 0) {
      continue;
    }
    scratch s;
    scratch_init(&s);
    char text[512];
    snprintf(text, sizeof text, "[%s]\n%s = %s\n", section, key,
             value ? value : "");
    const char *path = scratch_write(&s, "one.ini", text);
    harm_config *cfg = new_config();
    harm_error err = HARM_ERROR_INIT;
    cr_expect_eq(harm_config_load(cfg, path, &err), HARM_OK, "[%s] %s: %s",
                 section, key, err.message);
    harm_config_free(cfg);
    scratch_done(&s);
  }
  harm_config_free(all);
}

/* [output] marking: OFFICIAL-SENSITIVE by default, "none" prints none, any
 * printable text up to 64 bytes; a control byte or a longer text is a
 * config error. */
Test(config, marking_defaults_and_limits) {
  harm_config *cfg = new_config();
  cr_expect_str_eq(harm_config_marking(cfg), "OFFICIAL-SENSITIVE");
  cr_expect_str_eq(harm_config_marking(NULL), "OFFICIAL-SENSITIVE");
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_set(cfg, "output", "marking", "None", &err),
               HARM_OK);
  cr_expect_str_eq(harm_config_marking(cfg), "");
  cr_assert_eq(harm_config_set(cfg, "output", "marking", "OFFICIAL", &err),
               HARM_OK);
  cr_expect_str_eq(harm_config_marking(cfg), "OFFICIAL");
  cr_expect_eq(harm_config_set(cfg, "output", "marking", "SECRET\x1b[2J", &err),
               HARM_ERR_CONFIG);
  char long_text[66];
  memset(long_text, 'X', 65);
  long_text[65] = '\0';
  cr_expect_eq(harm_config_set(cfg, "output", "marking", long_text, &err),
               HARM_ERR_CONFIG);
  cr_expect_str_eq(harm_config_marking(cfg), "OFFICIAL"); /* unchanged */
  harm_config_free(cfg);
}

/* A [columns] key names a header column: an empty name, which would
 * match an empty header cell or (for place) silently mean "place", is
 * refused for every column key alike; a name is taken. */
Test(config, empty_column_names_are_refused_for_every_column) {
  static const char *const keys[] = {
      "offence_id", "offender_id", "offence_code", "offence_date", "victim_id",
      "domestic",   "area",        "place",        "place_type"};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
    harm_config *cfg = new_config();
    harm_error err = HARM_ERROR_INIT;
    cr_assert_eq(harm_config_set(cfg, "columns", keys[i], "", &err),
                 HARM_ERR_CONFIG, "%s", keys[i]);
    cr_assert(strstr(err.message, "is empty") != NULL, "%s", err.message);
    cr_assert_eq(harm_config_set(cfg, "columns", keys[i], "MY_COL", &err),
                 HARM_OK, "%s: %s", keys[i], err.message);
    harm_config_free(cfg);
  }
}
