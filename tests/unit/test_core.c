/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/test_core.c: unit tests of the core helpers every module
 * shares: the string pool, trimming and small parsers, and the status
 * names, messages and error record. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <harmrank.h>

#include "core/internal.h"
#include "core/strpool.h"

/* ---- string pool -------------------------------------------------------- */

static uint32_t intern_z(harm__strpool *sp, const char *s, bool *added) {
  return harm__strpool_intern(sp, s, strlen(s), added);
}

Test(core, strpool_intern_gives_dense_indices_and_reuses_them) {
  harm__strpool sp = HARM__STRPOOL_INIT;
  bool added = false;
  cr_assert_eq(intern_z(&sp, "N0004123", &added), 0u);
  cr_assert(added);
  cr_assert_eq(intern_z(&sp, "N0000496", &added), 1u);
  cr_assert(added);
  cr_assert_eq(intern_z(&sp, "N0004123", &added), 0u);
  cr_assert_not(added, "a repeated string is not new");
  /* A prefix and an extension of an existing string are distinct. */
  cr_assert_eq(intern_z(&sp, "N000412", &added), 2u);
  cr_assert(added);
  cr_assert_eq(intern_z(&sp, "N00041234", &added), 3u);
  cr_assert(added);
  /* added may be NULL. */
  cr_assert_eq(intern_z(&sp, "N0000496", NULL), 1u);
  cr_assert_eq(sp.n, 4u);
  harm__strpool_free(&sp);
}

Test(core, strpool_intern_uses_the_counted_length_not_the_nul) {
  harm__strpool sp = HARM__STRPOOL_INIT;
  const char *line = "008/06,2024-03-01";
  uint32_t a = harm__strpool_intern(&sp, line, 6, NULL); /* "008/06" */
  uint32_t b = harm__strpool_intern(&sp, "008/06", 6, NULL);
  cr_assert_eq(a, b);
  size_t len = 99;
  const char *s = harm__strpool_get(&sp, a, &len);
  cr_assert_eq(len, 6u);
  cr_assert_str_eq(s, "008/06", "stored strings are NUL-terminated");
  harm__strpool_free(&sp);
}

Test(core, strpool_find_and_get) {
  harm__strpool sp = HARM__STRPOOL_INIT;
  cr_assert_eq(harm__strpool_find(&sp, "x", 1), HARM__STRPOOL_FAIL,
               "an empty pool finds nothing");
  intern_z(&sp, "28E", NULL);
  intern_z(&sp, "", NULL); /* the empty string is a string like any other */
  intern_z(&sp, "105A", NULL);
  cr_assert_eq(harm__strpool_find(&sp, "105A", 4), 2u);
  cr_assert_eq(harm__strpool_find(&sp, "28E", 3), 0u);
  cr_assert_eq(harm__strpool_find(&sp, "", 0), 1u);
  cr_assert_eq(harm__strpool_find(&sp, "28", 2), HARM__STRPOOL_FAIL);
  cr_assert_eq(harm__strpool_find(&sp, "28e", 3), HARM__STRPOOL_FAIL,
               "lookups are case-sensitive");
  size_t len = 99;
  cr_assert_str_eq(harm__strpool_get(&sp, 1, &len), "");
  cr_assert_eq(len, 0u);
  cr_assert_str_eq(harm__strpool_get(&sp, 2, NULL), "105A");
  harm__strpool_free(&sp);
}

Test(core, strpool_keeps_every_string_through_growth) {
  /* 5000 strings force several rehashes of the slot table and regrowth of
   * the byte buffer; each must still be found at its own index. */
  harm__strpool sp = HARM__STRPOOL_INIT;
  char buf[32];
  for (unsigned i = 0; i < 5000; i++) {
    snprintf(buf, sizeof buf, "CR/2024/%07u", i * 7u);
    cr_assert_eq(intern_z(&sp, buf, NULL), i);
  }
  for (unsigned i = 0; i < 5000; i++) {
    snprintf(buf, sizeof buf, "CR/2024/%07u", i * 7u);
    cr_assert_eq(harm__strpool_find(&sp, buf, strlen(buf)), i);
    cr_assert_str_eq(harm__strpool_get(&sp, i, NULL), buf);
  }
  /* i * 7 + 1 is never a multiple of 7, so never interned. */
  snprintf(buf, sizeof buf, "CR/2024/%07u", 701u);
  cr_assert_eq(harm__strpool_find(&sp, buf, strlen(buf)), HARM__STRPOOL_FAIL);
  harm__strpool_free(&sp);
}

Test(core, strpool_sorted_is_bytewise) {
  harm__strpool sp = HARM__STRPOOL_INIT;
  /* Insertion order (index): m 0, a 1, zz 2, ab 3, b 4, Z 5, e-acute 6.
   * Bytewise: "Z" (0x5a) < "a" < "ab" < "b" < "m" < "zz" < "\xc3\xa9". */
  const char *in[] = {"m", "a", "zz", "ab", "b", "Z", "\xc3\xa9"};
  for (size_t i = 0; i < 7; i++) {
    intern_z(&sp, in[i], NULL);
  }
  uint32_t order[7], rank[7];
  cr_assert(harm__strpool_sorted(&sp, order, rank));
  const uint32_t want_order[7] = {5, 1, 3, 4, 0, 2, 6};
  for (size_t i = 0; i < 7; i++) {
    cr_assert_eq(order[i], want_order[i], "order[%zu]", i);
    cr_assert_eq(rank[want_order[i]], (uint32_t)i, "rank of %s",
                 in[want_order[i]]);
  }
  /* Either output may be NULL. */
  uint32_t rank2[7];
  cr_assert(harm__strpool_sorted(&sp, NULL, rank2));
  cr_assert_eq(rank2[0], 4u); /* "m" is fifth */
  uint32_t order2[7];
  cr_assert(harm__strpool_sorted(&sp, order2, NULL));
  cr_assert_eq(order2[6], 6u);
  harm__strpool_free(&sp);
}

Test(core, strpool_permute_renumbers_in_sorted_order) {
  harm__strpool sp = HARM__STRPOOL_INIT;
  intern_z(&sp, "N3", NULL);
  intern_z(&sp, "N10", NULL);
  intern_z(&sp, "N1", NULL);
  uint32_t order[3];
  cr_assert(harm__strpool_sorted(&sp, order, NULL));
  cr_assert(harm__strpool_permute(&sp, order));
  /* Bytewise: "N1" < "N10" < "N3". */
  cr_assert_str_eq(harm__strpool_get(&sp, 0, NULL), "N1");
  cr_assert_str_eq(harm__strpool_get(&sp, 1, NULL), "N10");
  cr_assert_str_eq(harm__strpool_get(&sp, 2, NULL), "N3");
  cr_assert_eq(harm__strpool_find(&sp, "N3", 2), 2u);
  cr_assert_eq(harm__strpool_find(&sp, "N10", 3), 1u);
  /* The permuted pool still interns new strings after the old ones. */
  cr_assert_eq(intern_z(&sp, "N2", NULL), 3u);
  cr_assert_eq(intern_z(&sp, "N1", NULL), 0u);
  harm__strpool_free(&sp);
}

Test(core, strpool_sorted_on_an_empty_pool) {
  harm__strpool sp = HARM__STRPOOL_INIT;
  uint32_t order[1] = {77};
  cr_assert(harm__strpool_sorted(&sp, order, NULL));
  cr_assert_eq(order[0], 77u, "nothing written for an empty pool");
  harm__strpool_free(&sp);
  harm__strpool_free(&sp); /* freeing twice is safe: free zeroes it */
}

Test(core, strpool_intern_reports_allocation_failure) {
  harm__strpool sp = HARM__STRPOOL_INIT;
  harm__fault_fail_after(1);
  cr_assert_eq(intern_z(&sp, "N1", NULL), HARM__STRPOOL_FAIL);
  harm__fault_fail_after(0);
  cr_assert_eq(intern_z(&sp, "N1", NULL), 0u);
  harm__strpool_free(&sp);
}

/* ---- trimming and parsers ----------------------------------------------- */

/* Parameter structs hold text by value: Criterion runs each case in a
 * fresh process, where pointers into the parent's memory are not valid. */
typedef struct trim_case {
  char in[16];
  char want[16];
} trim_case;

ParameterizedTestParameters(core, trim_removes_spaces_and_tabs_only) {
  static trim_case cases[] = {
      {"  N0004123 \t", "N0004123"},
      {"\t\t008/06", "008/06"},
      {"28E   ", "28E"},
      {"a b", "a b"}, /* inner blanks stay */
      {"   ", ""},    /* all blank */
      {"", ""},
      {"\nX\n", "\nX\n"}, /* newlines are not blanks */
      {" \r ", "\r"},
  };
  return cr_make_param_array(trim_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(trim_case *c, core, trim_removes_spaces_and_tabs_only) {
  const char *s = c->in;
  size_t len = strlen(s);
  harm__trim(&s, &len);
  cr_assert_eq(len, strlen(c->want), "len for \"%s\"", c->in);
  cr_assert(memcmp(s, c->want, len) == 0);
  cr_assert(s >= c->in && s + len <= c->in + strlen(c->in),
            "trim points into the input");
}

typedef struct bool_case {
  char in[16];
  bool ok;
  bool want;
} bool_case;

ParameterizedTestParameters(core, parse_bool_accepts_the_documented_words) {
  static bool_case cases[] = {
      {"1", true, true},     {"y", true, true},       {"Y", true, true},
      {"yes", true, true},   {"YeS", true, true},     {"true", true, true},
      {"TRUE", true, true},  {" true\t", true, true}, {"0", true, false},
      {"n", true, false},    {"N", true, false},      {"no", true, false},
      {"NO", true, false},   {"false", true, false},  {"False", true, false},
      {"  0 ", true, false}, {"", false, false},      {"   ", false, false},
      {"2", false, false},   {"yess", false, false},  {"ye", false, false},
      {"on", false, false},  {"off", false, false},   {"t", false, false},
      {"01", false, false},  {"-1", false, false},    {"no way", false, false},
  };
  return cr_make_param_array(bool_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(bool_case *c, core, parse_bool_accepts_the_documented_words) {
  bool out = !c->want;
  bool ok = harm__parse_bool(c->in, strlen(c->in), &out);
  cr_assert_eq(ok, c->ok, "parse_bool(\"%s\")", c->in);
  if (c->ok) {
    cr_assert_eq(out, c->want, "value of \"%s\"", c->in);
  }
}

Test(core, parse_bool_reads_only_the_counted_bytes) {
  bool out = false;
  cr_assert(harm__parse_bool("yes,no", 3, &out));
  cr_assert(out);
  cr_assert(harm__parse_bool("no,yes", 2, &out));
  cr_assert_not(out);
}

typedef struct double_case {
  char in[24];
  bool ok;
  double want;
} double_case;

ParameterizedTestParameters(core, parse_double_reads_finite_numbers) {
  static double_case cases[] = {
      {"2.385", true, 2.385},     {" 17.25 ", true, 17.25},
      {"\t5475\t", true, 5475.0}, {"0", true, 0.0},
      {"-4.5", true, -4.5}, /* sign is the caller's business */
      {"1e3", true, 1000.0},      {"273.5", true, 273.5},
      {".5", true, 0.5},          {"", false, 0},
      {"  ", false, 0},           {"abc", false, 0},
      {"1.5x", false, 0},         {"1 5", false, 0},
      {"1,5", false, 0},          {"nan", false, 0},
      {"NaN", false, 0},          {"inf", false, 0},
      {"-inf", false, 0},         {"infinity", false, 0},
      {"1e400", false, 0}, /* overflows to infinity */
  };
  return cr_make_param_array(double_case, cases,
                             sizeof cases / sizeof cases[0]);
}

ParameterizedTest(double_case *c, core, parse_double_reads_finite_numbers) {
  double out = -123.0;
  bool ok = harm__parse_double(c->in, strlen(c->in), &out);
  cr_assert_eq(ok, c->ok, "parse_double(\"%s\")", c->in);
  if (c->ok) {
    cr_assert_float_eq(out, c->want, 1e-12, "value of \"%s\"", c->in);
  }
}

Test(core, parse_double_reads_only_the_counted_bytes) {
  double out = 0;
  /* "17.25" followed by more of the line: only 5 bytes are the number. */
  cr_assert(harm__parse_double("17.25,Robbery", 5, &out));
  cr_assert_float_eq(out, 17.25, 1e-12);
  cr_assert_not(harm__parse_double("17.25,Robbery", 6, &out));
}

typedef struct u64_case {
  char in[24];
  bool ok;
  uint64_t want;
} u64_case;

ParameterizedTestParameters(core, parse_u64_reads_whole_decimal_numbers) {
  static u64_case cases[] = {
      {"0", true, 0},
      {"365", true, 365},
      {" 730\t", true, 730},
      {"007", true, 7},
      {"18446744073709551615", true, UINT64_MAX}, /* 2^64 - 1 */
      {"18446744073709551616", false, 0},         /* 2^64 */
      {"99999999999999999999", false, 0},
      {"", false, 0},
      {"  ", false, 0},
      {"-1", false, 0},
      {"+1", false, 0},
      {"1.0", false, 0},
      {"12a", false, 0},
      {"1 2", false, 0},
      {"0x10", false, 0},
  };
  return cr_make_param_array(u64_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(u64_case *c, core, parse_u64_reads_whole_decimal_numbers) {
  uint64_t out = 4242;
  bool ok = harm__parse_u64(c->in, strlen(c->in), &out);
  cr_assert_eq(ok, c->ok, "parse_u64(\"%s\")", c->in);
  if (c->ok) {
    cr_assert_eq(out, c->want, "value of \"%s\"", c->in);
  }
}

Test(core, ieq_is_ascii_case_insensitive_and_length_exact) {
  cr_assert(harm__ieq("Offender_ID", 11, "offender_id"));
  cr_assert(harm__ieq("OFFENDER_IDxyz", 11, "offender_id"));
  cr_assert_not(harm__ieq("offender_i", 10, "offender_id"));
  cr_assert_not(harm__ieq("offender_ids", 12, "offender_id"));
  cr_assert(harm__ieq("", 0, ""));
  /* Only ASCII letters fold: 0xC9 and 0xE9 (Latin-1 E/e acute) differ. */
  cr_assert_not(harm__ieq("\xc9", 1, "\xe9"));
}

Test(core, buf_append_grows_and_keeps_a_nul) {
  harm__buf b = {0};
  cr_assert(harm__buf_append(&b, "2.385", 5));
  cr_assert(harm__buf_append(&b, ",", 1));
  char big[1000];
  memset(big, 'x', sizeof big);
  cr_assert(harm__buf_append(&b, big, sizeof big));
  cr_assert_eq(b.len, 1006u); /* 5 + 1 + 1000 */
  cr_assert_eq(b.data[b.len], '\0');
  cr_assert(memcmp(b.data, "2.385,x", 7) == 0);
  harm__buf_free(&b);
  cr_assert_null(b.data);
  cr_assert_eq(b.len, 0u);
}

/* ---- statuses and errors ------------------------------------------------ */

typedef struct status_case {
  harm_status status;
  int value;
  char name[24];
  char message[40];
} status_case;

ParameterizedTestParameters(core, status_name_and_message_for_every_status) {
  /* Names, values and messages as documented in status.h. */
  static status_case cases[] = {
      {HARM_OK, 0, "HARM_OK", "success"},
      {HARM_ERR_USAGE, 1, "HARM_ERR_USAGE", "invalid argument"},
      {HARM_ERR_CONFIG, 2, "HARM_ERR_CONFIG", "invalid configuration"},
      {HARM_ERR_DATA, 3, "HARM_ERR_DATA", "invalid input data"},
      {HARM_ERR_IO, 4, "HARM_ERR_IO", "input/output error"},
      {HARM_ERR_NOMEM, 5, "HARM_ERR_NOMEM", "out of memory"},
      {HARM_ERR_LIMIT, 6, "HARM_ERR_LIMIT", "a documented limit was exceeded"},
      {HARM_ERR_INTERNAL, 7, "HARM_ERR_INTERNAL", "internal error"},
  };
  return cr_make_param_array(status_case, cases,
                             sizeof cases / sizeof cases[0]);
}

ParameterizedTest(status_case *c, core,
                  status_name_and_message_for_every_status) {
  cr_assert_eq((int)c->status, c->value, "ABI value of %s", c->name);
  cr_assert_str_eq(harm_status_name(c->status), c->name);
  cr_assert_str_eq(harm_status_message(c->status), c->message);
}

Test(core, status_name_and_message_for_an_unknown_value) {
  harm_status odd = (harm_status)42;
  cr_assert_str_eq(harm_status_name(odd), "HARM_UNKNOWN");
  const char *m = harm_status_message(odd);
  cr_assert_not_null(m);
  cr_assert_neq(m[0], '\0');
  cr_assert_str_eq(harm_status_name((harm_status)-1), "HARM_UNKNOWN");
}

Test(core, error_clear_resets_every_field) {
  harm_error e;
  memset(&e, 0x5a, sizeof e);
  e.stage[sizeof e.stage - 1] = '\0';
  harm_error_clear(&e);
  cr_assert_eq(e.status, HARM_OK);
  cr_assert_str_eq(e.stage, "");
  cr_assert_str_eq(e.file, "");
  cr_assert_eq(e.record, 0u);
  cr_assert_str_eq(e.column, "");
  cr_assert_str_eq(e.message, "");
  harm_error_clear(NULL); /* documented no-op */
}

Test(core, error_clear_after_a_failure) {
  harm_error e = HARM_ERROR_INIT;
  harm__fail(&e, HARM_ERR_DATA, "ingest", "offences.csv", 1832, "offence_code",
             "unknown code \"%s\"", "XQ99");
  cr_assert_eq(e.status, HARM_ERR_DATA);
  harm_error_clear(&e);
  cr_assert_eq(e.status, HARM_OK);
  cr_assert_eq(e.record, 0u);
  cr_assert_str_eq(e.file, "");
  cr_assert_str_eq(e.column, "");
}

Test(core, fail_fills_the_error_and_returns_the_status) {
  harm_error e = HARM_ERROR_INIT;
  harm_status st = harm__fail(&e, HARM_ERR_DATA, "ingest", "offences.csv", 1832,
                              "offence_code", "unknown code \"%s\"", "XQ99");
  cr_assert_eq(st, HARM_ERR_DATA);
  cr_assert_eq(e.status, HARM_ERR_DATA);
  cr_assert_str_eq(e.stage, "ingest");
  cr_assert_str_eq(e.file, "offences.csv");
  cr_assert_eq(e.record, 1832u);
  cr_assert_str_eq(e.column, "offence_code");
  cr_assert_str_eq(e.message, "unknown code \"XQ99\"");
  /* NULL err only returns the status. */
  cr_assert_eq(harm__fail(NULL, HARM_ERR_IO, "x", NULL, 0, NULL, "y"),
               HARM_ERR_IO);
}

Test(core, fail_keeps_messages_on_one_line_and_truncates) {
  harm_error e = HARM_ERROR_INIT;
  char longcol[200];
  memset(longcol, 'c', sizeof longcol - 1);
  longcol[sizeof longcol - 1] = '\0';
  harm__fail(&e, HARM_ERR_DATA, "ingest", NULL, 0, longcol, "%s",
             "line one\nline two\r\nthree");
  cr_assert_str_eq(e.file, "", "NULL file is empty");
  cr_assert_eq(strlen(e.column), (size_t)HARM_ERROR_COLUMN_MAX - 1);
  cr_assert_null(strchr(e.message, '\n'));
  cr_assert_null(strchr(e.message, '\r'));
}

Test(core, version_is_the_project_version) {
  /* CMakeLists.txt: project(harmrank VERSION 0.5.0). */
  cr_assert_str_eq(HARMRANK_VERSION_STRING, "0.5.0");
  cr_assert_eq(HARMRANK_VERSION_NUMBER, 500);
  char parts[32];
  snprintf(parts, sizeof parts, "%d.%d.%d", HARMRANK_VERSION_MAJOR,
           HARMRANK_VERSION_MINOR, HARMRANK_VERSION_PATCH);
  cr_assert_str_eq(parts, HARMRANK_VERSION_STRING);
  /* "0.5.0", or "0.5.0 (git c4274e9)" in a build from a checkout. */
  const char *v = harm_version();
  size_t n = strlen(HARMRANK_VERSION_STRING);
  cr_assert_eq(strncmp(v, HARMRANK_VERSION_STRING, n), 0, "%s", v);
  cr_assert(v[n] == '\0' || strncmp(v + n, " (git ", 6) == 0, "%s", v);
  if (v[n] != '\0') {
    cr_assert_eq(v[strlen(v) - 1], ')', "%s", v);
  }
}

/* ---- harm_report_csv_field ------------------------------------------------
 * RFC 4180 quoting worked by hand: a field with a comma, quote, CR or LF is
 * quoted and its quotes doubled; a formula-like value gets a leading
 * apostrophe when neutralised. */
static char *csv_field_text(const char *s, bool neutralise) {
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&buf, &len);
  cr_assert_not_null(fp);
  harm_report_csv_field(fp, s, strlen(s), neutralise);
  cr_assert_eq(fclose(fp), 0);
  return buf;
}

Test(report, csv_field_quotes_and_doubles_as_rfc4180) {
  static const struct {
    const char *in, *want;
    bool neutralise;
  } cases[] = {
      {"", "", false},
      {"plain", "plain", false},
      {"a,b", "\"a,b\"", false},
      {"say \"hi\"", "\"say \"\"hi\"\"\"", false},
      {"\"", "\"\"\"\"", false},
      {"\"\"x", "\"\"\"\"\"x\"", false},
      {"two\nlines", "\"two\nlines\"", false},
      {"cr\r", "\"cr\r\"", false},
      {"=1+1", "'=1+1", true},
      {"=1+1", "=1+1", false},
      {"=\"a\",b", "\"'=\"\"a\"\",b\"", true},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *got = csv_field_text(cases[i].in, cases[i].neutralise);
    cr_expect_str_eq(got, cases[i].want, "case %zu: %s", i, cases[i].in);
    free(got);
  }
}

/* Spare blocks: the smallest block that holds a request is taken (its
 * first bytes kept), none when none holds it unless growing (then the
 * largest, grown, its bytes kept), each block once; a fifth block put
 * into four full slots is freed (ASan's leak check in CI would see it
 * otherwise), and what is left is freed. */
static unsigned char *filled(size_t n, unsigned char v) {
  unsigned char *p = harm__malloc(n);
  cr_assert_not_null(p);
  memset(p, v, n);
  return p;
}

Test(core, spares_take_the_smallest_that_fits_or_grow_the_largest) {
  harm__spares s;
  memset(&s, 0, sizeof s);
  harm__spares_put(&s, filled(1000, 1), 1000);
  harm__spares_put(&s, filled(300, 2), 300);
  harm__spares_put(&s, filled(600, 3), 600);
  harm__spares_put(&s, filled(50, 4), 50);
  harm__spares_put(&s, filled(70, 5), 70); /* no free slot: freed */
  harm__spares_put(&s, NULL, 10);          /* ignored */
  cr_assert_null(harm__spares_take(&s, 2000, false), "none holds 2000");
  unsigned char *a = harm__spares_take(&s, 250, false);
  cr_assert_not_null(a);
  cr_assert(a[0] == 2 && a[249] == 2, "not the 300-byte block");
  unsigned char *b = harm__spares_take(&s, 250, false);
  cr_assert(b && b[0] == 3 && b[249] == 3, "not the 600-byte block");
  unsigned char *c = harm__spares_take(&s, 5000, true);
  cr_assert(c && c[0] == 1 && c[999] == 1, "not the largest, grown");
  c[4999] = 9; /* the grown block's new end is writable */
  cr_assert_null(harm__spares_take(&s, 60, false), "the 50-byte block");
  unsigned char *d = harm__spares_take(&s, 40, false);
  cr_assert(d && d[0] == 4 && d[39] == 4, "not the 50-byte block");
  cr_assert_null(harm__spares_take(&s, 1, true), "a block taken twice");
  harm__spares_put(&s, d, 40);
  harm__free(a);
  harm__free(b);
  harm__free(c);
  harm__spares_free(&s);
  for (int k = 0; k < HARM__SPARES; k++) {
    cr_assert_null(atomic_load(&s.p[k]));
  }
}

/* The number writers of scores.csv against snprintf: harm__fmt_u64 as
 * "%" PRIu64, harm__fmt_fixed4 as "%.4f" byte for byte, on doubles of
 * every kind: random bits over the fast range and beyond, harms of whole
 * micro-days (a score's harm_units / 1e6), exact ties (odd multiples of
 * 1/32 over any whole part: x * 20000 is then an odd integer) and their
 * neighbours either side, and -0.0, negatives, huge values, NaN and
 * infinities (printed by snprintf itself). */
static void expect_fixed4(double x) {
  char want[400], got[HARM__FIXED4_MAX];
  int w = snprintf(want, sizeof want, "%.4f", x);
  memset(got, 'x', sizeof got);
  size_t n = harm__fmt_fixed4(got, sizeof got, x);
  cr_assert_eq(n, (size_t)w, "%a: length %zu, want %d (%s)", x, n, w, want);
  cr_assert_str_eq(got, want, "%a", x);
}

Test(core, fmt_fixed4_writes_what_printf_writes) {
  uint64_t st = 20261202;
  for (int i = 0; i < 300000; i++) {
    st = st * 6364136223846793005u + 1442695040888963407u;
    uint64_t r = st >> 11;
    double x;
    switch (i % 5) {
    case 0: /* random bits, exponents from 2^-30 to 2^40 */
      x = ldexp((double)(r & ((1ull << 52) - 1)) / 4503599627370496.0 + 1.0,
                (int)(r % 71) - 30);
      break;
    case 1: /* whole micro-days */
      x = (double)(int64_t)(r % 400000000000000ull) / 1e6;
      break;
    case 2: /* a tie: whole part + odd / 32 */
      x = (double)(r % 100000000) + (double)(2 * (r >> 40 & 15) + 1) / 32.0;
      break;
    case 3: /* next to a tie */
      x = (double)(r % 1000) + (double)(2 * (r >> 40 & 15) + 1) / 32.0;
      x = nextafter(x, (r >> 20) & 1 ? INFINITY : 0.0);
      break;
    default: /* small values, some of 0.00005 and around */
      x = (double)(r % 100000) * 0.00001 + ((r >> 50) & 1 ? 0.00005 : 0);
      break;
    }
    expect_fixed4(x);
  }
  static const double edge[] = {0.0,     -0.0,    -1.5,   0.00005,    0.00015,
                                0.03125, 0.09375, 1e-320, 3.99999e11, 4e11,
                                4.5e11,  1e300,   -1e-9,  2.5};
  for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
    expect_fixed4(edge[i]);
  }
  expect_fixed4(NAN);
  expect_fixed4(INFINITY);
  expect_fixed4(-INFINITY);
  expect_fixed4(1.7976931348623157e308); /* DBL_MAX: 309 digits */
  static const uint64_t ints[] = {
      0, 1, 9, 10, 99, 4294967295u, 18446744073709551615u};
  for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
    char want[32], got[32];
    snprintf(want, sizeof want, "%llu", (unsigned long long)ints[i]);
    size_t n = harm__fmt_u64(got, ints[i]);
    got[n] = '\0';
    cr_assert_str_eq(got, want);
  }
}
