/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/test_weights.c: unit tests of weight tables: the native
 * layout and its validation, the CCHI values-sheet export with its
 * duplicate rules, alias files, the shipped tables and allocation failure. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <harmrank.h>

#include "core/internal.h"
#include "support.h"

#define NATIVE_HDR "offence_code,description,harm,category,proactive,source\n"

#define CCHI_HDR                                                               \
  "ATHENA URN,FULL_OFFENCE_TITLE,CCHI Score,Starting Point,GROUP,SUB_GROUP,"   \
  "SUB_SUB_GROUP,HOME_OFFICE_CLASSIFICATION,HO_CODE,HO_SUB_CODE,"              \
  "HO_SUB_SUB_CODE\n"

static harm_status load(const char *csv, const harm_weights_opts *o,
                        harm_weights **w, harm_error *err) {
  return harm_weights_load_buffer("w.csv", csv, strlen(csv), o, w, err);
}

/* Writes text to a new temporary file; path must hold 32 bytes. */
static void write_temp(const char *text, char *path) {
  strcpy(path, "/tmp/harm_weights_XXXXXX");
  int fd = mkstemp(path);
  cr_assert_neq(fd, -1);
  FILE *fp = fdopen(fd, "wb");
  cr_assert_not_null(fp);
  fputs(text, fp);
  fclose(fp);
}

/* ---- native layout ------------------------------------------------------ */

static const char native_table[] = NATIVE_HDR
    "008/06,Assault occasioning actual bodily harm,17.25,Violence with "
    "injury,0,estimate: ABH lowest category\n"
    "034/01,\"Robbery, personal property\",365,Robbery,0,anchor: CCHI "
    "robbery rows\n"
    "092/00,Possession of a controlled drug,2.385,Drug offences,1,official "
    "CCHI 2020\n"
    " 001/01 ,Murder,5475,Homicide,0,anchor: 15-year minimum term x 365\n"
    "28E,Burglary in a dwelling,0,Burglary,0,estimate: zero is allowed\n";

Test(weights, native_table_values_in_code_order) {
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(load(native_table, NULL, &w, &err), HARM_OK, "%s", err.message);
  cr_assert_eq(harm_weights_layout(w), HARM_WEIGHTS_NATIVE);
  cr_assert_eq(harm_weights_count(w), 5u);
  cr_assert_eq(harm_weights_n_merged(w), 0u);
  cr_assert_eq(harm_weights_n_aliases(w), 0u);
  cr_assert_str_eq(harm_weights_source(w), "w.csv");
  /* Bytewise: "001/01" < "008/06" < "034/01" < "092/00" < "28E". */
  const char *codes[] = {"001/01", "008/06", "034/01", "092/00", "28E"};
  const double harm[] = {5475.0, 17.25, 365.0, 2.385, 0.0};
  const bool proactive[] = {false, false, false, true, false};
  const bool estimate[] = {false, true, false, false, true};
  for (size_t i = 0; i < 5; i++) {
    const harm_weight *e = harm_weights_at(w, i);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->code, codes[i]);
    cr_assert_float_eq(e->harm, harm[i], 1e-12, "%s", codes[i]);
    cr_assert_eq(e->proactive, proactive[i], "%s proactive", codes[i]);
    cr_assert_eq(e->estimate, estimate[i], "%s estimate", codes[i]);
    cr_assert_eq(harm_weights_find(w, codes[i]), e, "find(%s)", codes[i]);
  }
  cr_assert_null(harm_weights_at(w, 5));
  const harm_weight *rob = harm_weights_find(w, "034/01");
  cr_assert_str_eq(rob->description, "Robbery, personal property");
  cr_assert_str_eq(rob->category, "Robbery");
  cr_assert_str_eq(rob->source, "anchor: CCHI robbery rows");
  cr_assert_str_eq(harm_weights_find(w, "092/00")->category, "Drug offences");
  cr_assert_null(harm_weights_find(w, "034/02"));
  cr_assert_null(harm_weights_find(w, " 001/01 "), "codes are trimmed");
  cr_assert_eq(harm_weights_n_estimates(w), 2u);
  /* No alias table: a code maps to itself. */
  const char *c = "8N";
  cr_assert_eq(harm_weights_canonical(w, c), c);
  harm_weights_free(w);
  harm_weights_free(NULL);
}

Test(weights, native_layout_can_be_forced_and_detected_with_crlf_and_bom) {
  const char *csv =
      "\xEF\xBB\xBF"
      "offence_code,description,harm,category,proactive,source\r\n"
      "8N,Harassment,2.385,Stalking,0,estimate: x\r\n";
  harm_weights_opts o = HARM_WEIGHTS_OPTS_INIT;
  o.format = HARM_WEIGHTS_NATIVE;
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(load(csv, &o, &w, &err), HARM_OK, "%s", err.message);
  cr_assert_eq(harm_weights_count(w), 1u);
  cr_assert_float_eq(harm_weights_find(w, "8N")->harm, 2.385, 1e-12);
  harm_weights_free(w);
}

typedef struct bad_weight_case {
  char row[80];    /* on line 3, after one good row */
  char column[16]; /* column named in the error */
} bad_weight_case;

ParameterizedTestParameters(weights, bad_native_rows_are_data_errors) {
  /* Text by value: Criterion runs each case in a fresh process. */
  static bad_weight_case cases[] = {
      {"8N,Harassment,-2.5,Stalking,0,estimate: x", "harm"},
      {"8N,Harassment,-0.001,Stalking,0,estimate: x", "harm"},
      {"8N,Harassment,two,Stalking,0,estimate: x", "harm"},
      {"8N,Harassment,,Stalking,0,estimate: x", "harm"},
      {"8N,Harassment,nan,Stalking,0,estimate: x", "harm"},
      {"8N,Harassment,NaN,Stalking,0,estimate: x", "harm"},
      {"8N,Harassment,inf,Stalking,0,estimate: x", "harm"},
      {"8N,Harassment,-inf,Stalking,0,estimate: x", "harm"},
      {"8N,Harassment,1e999,Stalking,0,estimate: x", "harm"},
      {"8N,Harassment,17.25 days,Stalking,0,estimate: x", "harm"},
      {"8N,Harassment,2,Stalking,2,estimate: x", "proactive"},
      {"8N,Harassment,2,Stalking,maybe,estimate: x", "proactive"},
      {"8N,Harassment,2,Stalking,0,guess: x", "source"},
      {"8N,Harassment,2,Stalking,0,", "source"},
      {"8N,Harassment,2,Stalking,0,CCHI official", "source"},
      {",Harassment,2,Stalking,0,estimate: x", "offence_code"},
  };
  return cr_make_param_array(bad_weight_case, cases,
                             sizeof cases / sizeof cases[0]);
}

ParameterizedTest(bad_weight_case *c, weights,
                  bad_native_rows_are_data_errors) {
  char csv[256];
  snprintf(csv, sizeof csv,
           NATIVE_HDR "28E,Burglary,273.5,Burglary,0,"
                      "anchor: y\n%s\n",
           c->row);
  harm_weights *w = (harm_weights *)csv;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(load(csv, NULL, &w, &err), HARM_ERR_DATA, "row \"%s\"", c->row);
  cr_assert_null(w);
  cr_assert_eq(err.status, HARM_ERR_DATA);
  cr_assert_eq(err.record, 3u);
  cr_assert_str_eq(err.column, c->column, "row \"%s\"", c->row);
  cr_assert_str_eq(err.file, "w.csv");
  cr_assert_str_eq(err.stage, "weights");
}

Test(weights, estimate_flag_follows_the_source_prefix) {
  const char *csv = NATIVE_HDR "A,a,1.5,x,0,anchor: one\n"
                               "B,b,2.5,x,0,estimate: two\n"
                               "C,c,3.5,x,0,official CCHI 2016\n"
                               "D,d,4.5,x,0,estimate\n"
                               "E,e,5.5,x,0,anchor\n";
  harm_weights *w = NULL;
  cr_assert_eq(load(csv, NULL, &w, NULL), HARM_OK);
  cr_assert_not(harm_weights_find(w, "A")->estimate);
  cr_assert(harm_weights_find(w, "B")->estimate);
  cr_assert_not(harm_weights_find(w, "C")->estimate);
  cr_assert(harm_weights_find(w, "D")->estimate);
  cr_assert_not(harm_weights_find(w, "E")->estimate);
  cr_assert_eq(harm_weights_n_estimates(w), 2u);
  cr_assert_str_eq(harm_weights_find(w, "C")->source, "official CCHI 2016");
  harm_weights_free(w);
}

Test(weights, duplicate_code_names_the_second_line) {
  const char *csv = NATIVE_HDR "8N,Harassment,2,x,0,estimate: a\n"
                               "28E,Burglary,273.5,x,0,estimate: b\n"
                               "\n"
                               " 8N ,Harassment again,3,x,0,estimate: c\n";
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(load(csv, NULL, &w, &err), HARM_ERR_DATA);
  cr_assert_null(w);
  cr_assert_eq(err.record, 5u, "blank line 4 still counts as a line");
  cr_assert_str_eq(err.column, "offence_code");
}

Test(weights, ragged_row_is_a_data_error) {
  const char *csv = NATIVE_HDR "8N,Harassment,2,x,0\n";
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(load(csv, NULL, &w, &err), HARM_ERR_DATA);
  cr_assert_null(w);
  cr_assert_eq(err.record, 2u);
}

Test(weights, unknown_layout_is_a_config_error) {
  const char *csv = "code,weight\n8N,2\n";
  harm_weights *w = (harm_weights *)&w;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(load(csv, NULL, &w, &err), HARM_ERR_CONFIG);
  cr_assert_null(w);
  cr_assert_eq(err.status, HARM_ERR_CONFIG);
}

Test(weights, empty_table_is_a_data_error) {
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(load("", NULL, &w, &err), HARM_ERR_DATA);
  cr_assert_null(w);
}

Test(weights, header_only_table_is_empty) {
  harm_weights *w = NULL;
  cr_assert_eq(load(NATIVE_HDR, NULL, &w, NULL), HARM_OK);
  cr_assert_eq(harm_weights_count(w), 0u);
  cr_assert_null(harm_weights_at(w, 0));
  cr_assert_null(harm_weights_find(w, "8N"));
  harm_weights_free(w);
}

Test(weights, missing_file_is_an_io_error) {
  harm_weights *w = (harm_weights *)&w;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_weights_load("/nonexistent/w.csv", NULL, &w, &err),
               HARM_ERR_IO);
  cr_assert_null(w);
  cr_assert_eq(err.status, HARM_ERR_IO);
}

Test(weights, load_reads_a_file) {
  char path[32];
  write_temp(native_table, path);
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  harm_status st = harm_weights_load(path, NULL, &w, &err);
  unlink(path);
  cr_assert_eq(st, HARM_OK, "%s", err.message);
  cr_assert_eq(harm_weights_count(w), 5u);
  cr_assert_str_eq(harm_weights_source(w), path);
  cr_assert_float_eq(harm_weights_find(w, "092/00")->harm, 2.385, 1e-12);
  harm_weights_free(w);
}

/* ---- CCHI export -------------------------------------------------------- */

/* Lines:
 *  2 A1001 008/06 17.25
 *  3 A1002 008/06 365
 *  4 A1003 008/06 2.385
 *  5 A2001 034/01 365
 *  6 A3001 039/00 2       ("Theft, from the person": quoted comma)
 *  7 A9999 (no HO class) 40
 *  8 (no ATHENA) 039/00 12.5 */
static const char cchi_table[] = CCHI_HDR
    "A1001,Assault ABH variant 1,17.25,Community order,Violence against the "
    "person,Violence with injury,,008/06,8,6,\n"
    "A1002,Assault ABH variant 2,365,1 year custody,Violence against the "
    "person,Violence with injury,,008/06,8,6,\n"
    "A1003,Assault ABH variant 3,2.385,Band B fine,Violence against the "
    "person,Violence with injury,,008/06,8,6,\n"
    "A2001,Robbery of personal property,365,1 year custody,Robbery,Robbery,,"
    "034/01,34,1,\n"
    "A3001,\"Theft, from the person\",2,Band A fine,Theft,Theft from the "
    "person,,039/00,39,0,\n"
    "A9999,Unclassified offence,40,Community order,Other,Other,,,,,\n"
    ",Theft from the person (older row),12.5,Community order,Theft,Theft "
    "from the person,,039/00,39,0,\n";

typedef struct dup_case {
  harm_dup_rule rule;
  double abh;   /* 008/06 */
  double theft; /* 039/00 */
} dup_case;

ParameterizedTestParameters(weights, cchi_rows_sharing_a_class_are_combined) {
  /* 008/06: 17.25, 365, 2.385 -> max 365, min 2.385, first 17.25.
   * 039/00: 2, 12.5           -> max 12.5, min 2, first 2. */
  static dup_case cases[] = {
      {HARM_DUP_MAX, 365.0, 12.5},
      {HARM_DUP_MIN, 2.385, 2.0},
      {HARM_DUP_FIRST, 17.25, 2.0},
  };
  return cr_make_param_array(dup_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(dup_case *c, weights,
                  cchi_rows_sharing_a_class_are_combined) {
  harm_weights_opts o = HARM_WEIGHTS_OPTS_INIT;
  o.dup_rule = c->rule;
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(load(cchi_table, &o, &w, &err), HARM_OK, "%s", err.message);
  cr_assert_eq(harm_weights_layout(w), HARM_WEIGHTS_CCHI);
  /* Classes 008/06, 034/01, 039/00; the row without a class is skipped. */
  cr_assert_eq(harm_weights_count(w), 3u);
  cr_assert_str_eq(harm_weights_at(w, 0)->code, "008/06");
  cr_assert_str_eq(harm_weights_at(w, 1)->code, "034/01");
  cr_assert_str_eq(harm_weights_at(w, 2)->code, "039/00");
  cr_assert_float_eq(harm_weights_find(w, "008/06")->harm, c->abh, 1e-12);
  cr_assert_float_eq(harm_weights_find(w, "034/01")->harm, 365.0, 1e-12);
  cr_assert_float_eq(harm_weights_find(w, "039/00")->harm, c->theft, 1e-12);
  /* Merged rows: 2 more for 008/06, 1 more for 039/00. */
  cr_assert_eq(harm_weights_n_merged(w), 3u);
  /* Every CCHI row is official. */
  cr_assert_eq(harm_weights_n_estimates(w), 0u);
  for (size_t i = 0; i < 3; i++) {
    cr_assert_not(harm_weights_at(w, i)->estimate);
    cr_assert_not(harm_weights_at(w, i)->proactive);
  }
  harm_weights_free(w);
}

Test(weights, cchi_default_rule_is_max) {
  harm_weights *w = NULL;
  cr_assert_eq(load(cchi_table, NULL, &w, NULL), HARM_OK);
  cr_assert_float_eq(harm_weights_find(w, "008/06")->harm, 365.0, 1e-12);
  harm_weights_free(w);
}

Test(weights, cchi_merge_into_an_earlier_key_keeps_later_keys) {
  /* 008/06 first, then 034/01, then 008/06 again: the merge must not lose
   * 034/01 (2 keys, 1 merged row). */
  const char *csv = CCHI_HDR "A1001,ABH 1,17.25,x,V,V,,008/06,8,6,\n"
                             "A2001,Robbery,365,x,R,R,,034/01,34,1,\n"
                             "A1002,ABH 2,2.385,x,V,V,,008/06,8,6,\n";
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(load(csv, NULL, &w, &err), HARM_OK, "%s", err.message);
  cr_assert_eq(harm_weights_n_merged(w), 1u);
  cr_assert_eq(harm_weights_count(w), 2u);
  const harm_weight *rob = harm_weights_find(w, "034/01");
  cr_assert_not_null(rob, "034/01 lost by the merge");
  cr_assert_float_eq(rob->harm, 365.0, 1e-12);
  cr_assert_float_eq(harm_weights_find(w, "008/06")->harm, 17.25, 1e-12);
  harm_weights_free(w);
}

Test(weights, cchi_keyed_on_athena) {
  harm_weights_opts o = HARM_WEIGHTS_OPTS_INIT;
  o.key = HARM_KEY_ATHENA;
  o.format = HARM_WEIGHTS_CCHI;
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(load(cchi_table, &o, &w, &err), HARM_OK, "%s", err.message);
  /* Six rows carry an ATHENA URN; the one without is skipped. */
  cr_assert_eq(harm_weights_count(w), 6u);
  cr_assert_eq(harm_weights_n_merged(w), 0u);
  const char *codes[] = {"A1001", "A1002", "A1003", "A2001", "A3001", "A9999"};
  const double harm[] = {17.25, 365.0, 2.385, 365.0, 2.0, 40.0};
  for (size_t i = 0; i < 6; i++) {
    cr_assert_str_eq(harm_weights_at(w, i)->code, codes[i]);
    cr_assert_float_eq(harm_weights_at(w, i)->harm, harm[i], 1e-12);
  }
  cr_assert_str_eq(harm_weights_find(w, "A3001")->description,
                   "Theft, from the person");
  cr_assert_null(harm_weights_find(w, "008/06"));
  harm_weights_free(w);
}

Test(weights, cchi_bad_score_is_a_data_error) {
  const char *csv = CCHI_HDR "A1001,ABH,17.25,x,V,V,,008/06,8,6,\n"
                             "A1002,ABH,n/a,x,V,V,,008/06,8,6,\n";
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(load(csv, NULL, &w, &err), HARM_ERR_DATA);
  cr_assert_null(w);
  cr_assert_eq(err.record, 3u);
  cr_assert_str_eq(err.column, "CCHI Score");
}

/* ---- aliases ------------------------------------------------------------ */

static const char letter_table[] =
    NATIVE_HDR "28E,Burglary dwelling,273.5,Burglary,0,estimate: a\n"
               "28F,Burglary dwelling (attempt),182.5,Burglary,0,estimate: b\n"
               "29A,Aggravated burglary,1460,Burglary,0,estimate: c\n"
               "8N,Harassment,2.385,Stalking,0,estimate: d\n";

Test(weights, alias_chains_are_resolved) {
  char path[32];
  write_temp("old_code,new_code\n"
             "28A,28E\n"
             "28E,28F\n" /* 28A -> 28E -> 28F */
             " 29 , 29A \n",
             path);
  harm_weights_opts o = HARM_WEIGHTS_OPTS_INIT;
  o.aliases = path;
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  harm_status st = load(letter_table, &o, &w, &err);
  unlink(path);
  cr_assert_eq(st, HARM_OK, "%s", err.message);
  cr_assert_eq(harm_weights_n_aliases(w), 3u);
  cr_assert_str_eq(harm_weights_canonical(w, "28A"), "28F");
  cr_assert_str_eq(harm_weights_canonical(w, "28E"), "28F");
  cr_assert_str_eq(harm_weights_canonical(w, "29"), "29A");
  const char *own = "8N";
  cr_assert_eq(harm_weights_canonical(w, own), own, "no alias: itself");
  cr_assert_float_eq(
      harm_weights_find(w, harm_weights_canonical(w, "28A"))->harm, 182.5,
      1e-12);
  harm_weights_free(w);
}

typedef struct alias_case {
  char text[96];
  size_t record; /* expected err.record, 0 = not checked */
} alias_case;

ParameterizedTestParameters(weights, bad_alias_files_are_data_errors) {
  static alias_case cases[] = {
      {"old_code,new_code\n28A,28B\n28B,28C\n28C,28A\n", 0}, /* cycle */
      {"old_code,new_code\n28A,28A\n", 0},                   /* self */
      {"old_code,new_code\n29,29A\n28A,28B\n28B,28A\n", 0},  /* 2-cycle */
      {"old_code,new_code\n28A,28E\n28B,28F\n28A,28G\n", 4}, /* dup old */
      {"old_code,new_code\n28A,\n", 2},                      /* empty new */
      {"old_code,new_code\n28A,28E,x\n", 2},                 /* ragged */
      {"from,to\n28A,28E\n", 1},                             /* header */
  };
  return cr_make_param_array(alias_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(alias_case *c, weights, bad_alias_files_are_data_errors) {
  char path[32];
  write_temp(c->text, path);
  harm_weights_opts o = HARM_WEIGHTS_OPTS_INIT;
  o.aliases = path;
  harm_weights *w = (harm_weights *)&o;
  harm_error err = HARM_ERROR_INIT;
  harm_status st = load(letter_table, &o, &w, &err);
  unlink(path);
  cr_assert_eq(st, HARM_ERR_DATA, "aliases:\n%s", c->text);
  cr_assert_null(w);
  cr_assert_eq(err.status, HARM_ERR_DATA);
  if (c->record) {
    cr_assert_eq(err.record, c->record);
  }
}

Test(weights, duplicate_alias_names_old_code) {
  char path[32];
  write_temp("old_code,new_code\n28A,28E\n28A,28F\n", path);
  harm_weights_opts o = HARM_WEIGHTS_OPTS_INIT;
  o.aliases = path;
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  harm_status st = load(letter_table, &o, &w, &err);
  unlink(path);
  cr_assert_eq(st, HARM_ERR_DATA);
  cr_assert_eq(err.record, 3u);
  cr_assert_str_eq(err.column, "old_code");
  cr_assert_str_eq(err.file, path);
}

Test(weights, missing_alias_file_is_an_io_error) {
  harm_weights_opts o = HARM_WEIGHTS_OPTS_INIT;
  o.aliases = "/nonexistent/aliases.csv";
  harm_weights *w = (harm_weights *)&o;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(load(letter_table, &o, &w, &err), HARM_ERR_IO);
  cr_assert_null(w);
}

/* ---- shipped tables ----------------------------------------------------- */

/* A slow RFC 4180 reader for the reference: splits text into records of
 * fields (quotes, doubled quotes, CR/LF), enough to read config/weights. */
typedef struct ref_row {
  char *f[8];
  size_t n;
} ref_row;

static size_t ref_parse(char *text, ref_row *rows, size_t max_rows) {
  size_t n_rows = 0;
  char *p = text;
  while (*p && n_rows < max_rows) {
    if (*p == '\n' || *p == '\r') {
      p++;
      continue;
    }
    ref_row *r = &rows[n_rows++];
    r->n = 0;
    for (;;) {
      char *out = p, *start = p;
      if (*p == '"') {
        p++;
        for (;;) {
          if (*p == '"' && p[1] == '"') {
            *out++ = '"';
            p += 2;
          } else if (*p == '"') {
            p++;
            break;
          } else {
            *out++ = *p++;
          }
        }
      } else {
        while (*p && *p != ',' && *p != '\n' && *p != '\r') {
          *out++ = *p++;
        }
      }
      char end = *p;
      *out = '\0';
      cr_assert_lt(r->n, 8u);
      r->f[r->n++] = start;
      if (end == ',') {
        p++;
        continue;
      }
      if (end) {
        p++;
      }
      break;
    }
  }
  return n_rows;
}

typedef struct shipped_case {
  char file[48];
  size_t rows;      /* README: rows */
  size_t anchors;   /* README: anchor */
  size_t estimates; /* README: estimate */
} shipped_case;

ParameterizedTestParameters(weights, shipped_tables_load_and_flag_estimates) {
  /* Counts from config/weights/README.md's table of files. */
  static shipped_case cases[] = {
      {"cchi-estimates-ho-class.csv", 114, 7, 107},
      {"cchi-estimates-ho-letter.csv", 139, 8, 131},
  };
  return cr_make_param_array(shipped_case, cases,
                             sizeof cases / sizeof cases[0]);
}

ParameterizedTest(shipped_case *c, weights,
                  shipped_tables_load_and_flag_estimates) {
  char path[256];
  snprintf(path, sizeof path, "%s/weights/%s", HARM_CONFIG_DIR, c->file);
  harm_weights_opts o = HARM_WEIGHTS_OPTS_INIT;
  o.aliases = HARM_CONFIG_DIR "/weights/aliases.csv";
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_weights_load(path, &o, &w, &err), HARM_OK, "%s:%zu: %s",
               c->file, err.record, err.message);
  cr_assert_eq(harm_weights_layout(w), HARM_WEIGHTS_NATIVE);

  char *text = test_slurp_must(path);
  static ref_row rows[512];
  size_t n = ref_parse(text, rows, 512);
  cr_assert_eq(n - 1, c->rows, "%s: data rows", c->file);
  cr_assert_str_eq(rows[0].f[5], "source");
  size_t anchors = 0, estimates = 0;
  for (size_t i = 1; i < n; i++) {
    const ref_row *r = &rows[i];
    cr_assert_eq(r->n, 6u, "%s row %zu", c->file, i);
    const harm_weight *e = harm_weights_find(w, r->f[0]);
    cr_assert_not_null(e, "%s: code %s", c->file, r->f[0]);
    bool est = strncmp(r->f[5], "estimate", 8) == 0;
    bool anc = strncmp(r->f[5], "anchor", 6) == 0;
    cr_assert(est || anc, "%s: source \"%s\"", c->file, r->f[5]);
    anchors += anc;
    estimates += est;
    cr_assert_eq(e->estimate, est, "%s: %s", c->file, r->f[0]);
    cr_assert_str_eq(e->source, r->f[5]);
    cr_assert_float_eq(e->harm, strtod(r->f[2], NULL), 1e-9, "%s", r->f[0]);
    cr_assert_eq(e->proactive, strcmp(r->f[4], "1") == 0, "%s", r->f[0]);
  }
  cr_assert_eq(anchors, c->anchors, "%s anchors", c->file);
  cr_assert_eq(estimates, c->estimates, "%s estimates", c->file);
  cr_assert_eq(harm_weights_count(w), c->rows);
  cr_assert_eq(harm_weights_n_estimates(w), c->estimates);
  /* README: aliases.csv has 8 rows. */
  cr_assert_eq(harm_weights_n_aliases(w), 8u);
  /* Entries are in ascending bytewise code order. */
  for (size_t i = 1; i < harm_weights_count(w); i++) {
    cr_assert_lt(
        strcmp(harm_weights_at(w, i - 1)->code, harm_weights_at(w, i)->code),
        0);
  }
  free(text);
  harm_weights_free(w);
}

Test(weights, shipped_anchor_values) {
  /* DESIGN.md §3 anchors: murder 5475, robbery 365. */
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_weights_load(HARM_CONFIG_DIR
                                 "/weights/cchi-estimates-ho-class.csv",
                                 NULL, &w, &err),
               HARM_OK, "%s", err.message);
  const harm_weight *murder = harm_weights_find(w, "001/01");
  cr_assert_not_null(murder);
  cr_assert_float_eq(murder->harm, 5475.0, 1e-9);
  cr_assert_not(murder->estimate);
  const harm_weight *robbery = harm_weights_find(w, "034/01");
  cr_assert_not_null(robbery);
  cr_assert_float_eq(robbery->harm, 365.0, 1e-9);
  cr_assert_not(robbery->estimate);
  harm_weights_free(w);

  cr_assert_eq(harm_weights_load(HARM_CONFIG_DIR
                                 "/weights/cchi-estimates-ho-letter.csv",
                                 NULL, &w, &err),
               HARM_OK, "%s", err.message);
  cr_assert_float_eq(harm_weights_find(w, "1")->harm, 5475.0, 1e-9);
  cr_assert_float_eq(harm_weights_find(w, "34B")->harm, 365.0, 1e-9);
  cr_assert_float_eq(harm_weights_find(w, "34A")->harm, 365.0, 1e-9);
  harm_weights_free(w);
}

Test(weights, shipped_aliases_point_at_letter_codes) {
  harm_weights_opts o = HARM_WEIGHTS_OPTS_INIT;
  o.aliases = HARM_CONFIG_DIR "/weights/aliases.csv";
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_weights_load(HARM_CONFIG_DIR
                                 "/weights/cchi-estimates-ho-letter.csv",
                                 &o, &w, &err),
               HARM_OK, "%s", err.message);
  char *text = test_slurp_must(HARM_CONFIG_DIR "/weights/aliases.csv");
  static ref_row rows[64];
  size_t n = ref_parse(text, rows, 64);
  for (size_t i = 1; i < n; i++) {
    const char *target = harm_weights_canonical(w, rows[i].f[0]);
    cr_assert_str_eq(target, rows[i].f[1], "%s", rows[i].f[0]);
    cr_assert_not_null(harm_weights_find(w, target),
                       "alias target %s is in the letter table", target);
  }
  free(text);
  harm_weights_free(w);
}

/* ---- allocation failure ------------------------------------------------- */

static void oom_loop(const char *csv, const harm_weights_opts *o,
                     size_t want_count) {
  uint64_t n = 1;
  for (;; n++) {
    cr_assert_lt(n, 100000u);
    harm_weights *w = (harm_weights *)&n;
    harm_error err = HARM_ERROR_INIT;
    harm__fault_fail_after(n);
    harm_status st = load(csv, o, &w, &err);
    harm__fault_fail_after(0);
    if (st == HARM_OK) {
      cr_assert_eq(harm_weights_count(w), want_count);
      harm_weights_free(w);
      break;
    }
    cr_assert_eq(st, HARM_ERR_NOMEM, "allocation %llu: %s",
                 (unsigned long long)n, harm_status_name(st));
    cr_assert_eq(err.status, HARM_ERR_NOMEM);
    cr_assert_null(w, "allocation %llu", (unsigned long long)n);
  }
  cr_assert_gt(n, 3u);
}

Test(weights, every_allocation_failure_in_a_native_load) {
  oom_loop(native_table, NULL, 5);
}

Test(weights, every_allocation_failure_in_a_cchi_load) {
  harm_weights_opts o = HARM_WEIGHTS_OPTS_INIT;
  o.dup_rule = HARM_DUP_MIN;
  oom_loop(cchi_table, &o, 3);
}

Test(weights, every_allocation_failure_with_aliases) {
  char path[32];
  write_temp("old_code,new_code\n28A,28E\n28E,28F\n29,29A\n", path);
  harm_weights_opts o = HARM_WEIGHTS_OPTS_INIT;
  o.aliases = path;
  oom_loop(letter_table, &o, 4);
  unlink(path);
}

/* A chain of 100000 aliases in file order, each code to the next, the
 * last to 28E; and the same chain closed into a cycle. Resolution walks
 * each alias once: the old walk followed the whole rest of the chain from
 * every alias (25 s for 40000), far past the timeout here. */
enum { LONG_CHAIN = 100000 };

static char *long_chain(const char *last_target) {
  size_t cap = (size_t)LONG_CHAIN * 32 + 64;
  char *text = malloc(cap);
  cr_assert_not_null(text);
  size_t len = (size_t)snprintf(text, cap, "old_code,new_code\n");
  for (size_t i = 0; i < LONG_CHAIN; i++) {
    if (i + 1 == LONG_CHAIN) {
      len +=
          (size_t)snprintf(text + len, cap - len, "X%zu,%s\n", i, last_target);
    } else {
      len += (size_t)snprintf(text + len, cap - len, "X%zu,X%zu\n", i, i + 1);
    }
  }
  return text;
}

Test(weights, a_chain_of_100000_aliases_resolves_in_linear_time,
     .timeout = 20) {
  char path[32];
  char *text = long_chain("28E");
  write_temp(text, path);
  free(text);
  harm_weights_opts o = HARM_WEIGHTS_OPTS_INIT;
  o.aliases = path;
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  harm_status st = load(letter_table, &o, &w, &err);
  unlink(path);
  cr_assert_eq(st, HARM_OK, "%s", err.message);
  cr_assert_eq(harm_weights_n_aliases(w), (size_t)LONG_CHAIN);
  cr_assert_str_eq(harm_weights_canonical(w, "X0"), "28E");
  cr_assert_str_eq(harm_weights_canonical(w, "X50000"), "28E");
  cr_assert_str_eq(harm_weights_canonical(w, "X99999"), "28E");
  harm_weights_free(w);
}

Test(weights, a_cycle_at_the_end_of_a_long_chain_is_a_data_error,
     .timeout = 20) {
  char path[32];
  char *text = long_chain("X0"); /* X99999 -> X0 closes the cycle */
  write_temp(text, path);
  free(text);
  harm_weights_opts o = HARM_WEIGHTS_OPTS_INIT;
  o.aliases = path;
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  harm_status st = load(letter_table, &o, &w, &err);
  unlink(path);
  cr_assert_eq(st, HARM_ERR_DATA);
  cr_assert_null(w);
  cr_assert_str_eq(err.column, "old_code");
}

/* ---- the harm bound ----------------------------------------------------- */

Test(weights, harm_above_100000_days_is_a_data_error_naming_line_and_column) {
  static const char *const bad[] = {"1e308", "100000.001", "1e5000", "-0.5"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char text[256];
    snprintf(text, sizeof text,
             NATIVE_HDR "28E,Burglary dwelling,273.5,Burglary,0,estimate: a\n"
                        "29A,Aggravated burglary,%s,Burglary,0,estimate: c\n",
             bad[i]);
    harm_weights *w = NULL;
    harm_error err = HARM_ERROR_INIT;
    cr_assert_eq(load(text, NULL, &w, &err), HARM_ERR_DATA, "harm %s", bad[i]);
    cr_assert_null(w);
    cr_assert_eq(err.record, 3u, "harm %s", bad[i]);
    cr_assert_str_eq(err.column, "harm", "harm %s", bad[i]);
  }
}

Test(weights, the_largest_weight_on_many_offences_keeps_totals_finite) {
  char text[256];
  snprintf(text, sizeof text,
           NATIVE_HDR "29A,Aggravated burglary,%.1f,Burglary,0,estimate: c\n",
           HARM_WEIGHT_MAX_DAYS);
  harm_weights *w = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(load(text, NULL, &w, &err), HARM_OK, "%s", err.message);
  double h = harm_weights_find(w, "29A")->harm;
  cr_assert_float_eq(h, 100000.0, 1e-9);
  /* The most offences any input can hold (2^64 rows) at the largest
   * weight: still far below the largest double. */
  double total = h * 18446744073709551616.0;
  cr_assert(isfinite(total) && total < 1e25);
  harm_weights_free(w);
}
