/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/test_ingest.c: unit tests of offences ingest: CSV dialect
 * (BOM, line ends, quoting, blank lines), header mapping, row validation
 * and rejects, the window and filters, subject numbering and the row
 * accounting identity, file input and allocation failure. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <harmrank.h>

#include "core/internal.h"
#include "ingest/dataset.h"
#include "ingest/loader.h"

/* Day numbers used below, each checked with GNU date
 * ($(( $(date -u -d D +%s) / 86400 ))):
 *   2023-03-02 19418   2023-03-03 19419   2024-01-31 19753
 *   2024-02-01 19754   2024-02-29 19782   2024-03-01 19783
 *   2024-03-02 19784   2024-03-10 19792 */
enum {
  D_2023_03_02 = 19418,
  D_2024_01_31 = 19753,
  D_2024_02_01 = 19754,
  D_2024_02_29 = 19782,
  D_2024_03_01 = 19783,
  D_2024_03_10 = 19792,
};

#define HDR "offence_id,offender_id,offence_code,offence_date\n"
#define HDR6 "offence_id,offender_id,offence_code,offence_date,domestic,area\n"

/* ---- helpers ------------------------------------------------------------ */

enum { MAX_REJ = 16 };

/* Records what on_reject saw. */
typedef struct rej_log {
  size_t n;
  size_t line[MAX_REJ];
  char raw[MAX_REJ][256];
  size_t raw_len[MAX_REJ];
  char column[MAX_REJ][64];
  bool reason_set[MAX_REJ];
  bool answer; /* what the callback returns */
} rej_log;

static bool collect(void *ctx, const harm_reject *r) {
  rej_log *log = ctx;
  if (log->n < MAX_REJ) {
    size_t i = log->n;
    log->line[i] = r->line;
    size_t n = r->raw_len < 255 ? r->raw_len : 255;
    memcpy(log->raw[i], r->raw, n);
    log->raw[i][n] = '\0';
    log->raw_len[i] = r->raw_len;
    snprintf(log->column[i], sizeof log->column[i], "%s",
             r->column ? r->column : "(null)");
    log->reason_set[i] = r->reason && r->reason[0];
  }
  log->n++;
  return log->answer;
}

static harm_ingest_opts opts_with_log(rej_log *log) {
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  memset(log, 0, sizeof *log);
  log->answer = true;
  o.on_reject = collect;
  o.reject_ctx = log;
  return o;
}

static harm_status ingest(const char *csv, const harm_ingest_opts *o,
                          harm_dataset **ds, harm_error *err) {
  return harm_ingest_buffer("test.csv", csv, strlen(csv), o, ds, err);
}

/* read = outside_window + future_dated + filtered + rejected + kept, with
 * scored and duplicates still 0 straight after ingest (ingest.h). */
static void assert_identity(const harm_dataset *ds) {
  harm_accounting a = harm_dataset_accounting(ds);
  cr_assert_eq(a.scored, 0u);
  cr_assert_eq(a.duplicates, 0u);
  cr_assert_eq(
      a.read,
      a.outside_window + a.future_dated + a.filtered + a.rejected + a.kept,
      "read %llu != outside %llu + future %llu + filtered %llu + "
      "rejected %llu + kept %llu",
      (unsigned long long)a.read, (unsigned long long)a.outside_window,
      (unsigned long long)a.future_dated, (unsigned long long)a.filtered,
      (unsigned long long)a.rejected, (unsigned long long)a.kept);
}

static void assert_counts(const harm_dataset *ds, uint64_t read,
                          uint64_t rejected, uint64_t future, uint64_t outside,
                          uint64_t filtered, uint64_t kept) {
  harm_accounting a = harm_dataset_accounting(ds);
  cr_assert_eq(a.read, read, "read %llu, want %llu", (unsigned long long)a.read,
               (unsigned long long)read);
  cr_assert_eq(a.rejected, rejected, "rejected %llu, want %llu",
               (unsigned long long)a.rejected, (unsigned long long)rejected);
  cr_assert_eq(a.future_dated, future, "future %llu, want %llu",
               (unsigned long long)a.future_dated, (unsigned long long)future);
  cr_assert_eq(a.outside_window, outside, "outside %llu, want %llu",
               (unsigned long long)a.outside_window,
               (unsigned long long)outside);
  cr_assert_eq(a.filtered, filtered, "filtered %llu, want %llu",
               (unsigned long long)a.filtered, (unsigned long long)filtered);
  cr_assert_eq(a.kept, kept, "kept %llu, want %llu", (unsigned long long)a.kept,
               (unsigned long long)kept);
  assert_identity(ds);
}

static bool ieq_z(const char *a, const char *b) {
  return harm__ieq(a, strlen(a), b);
}

/* ---- basics ------------------------------------------------------------- */

Test(ingest, reads_a_small_file_and_accounts_for_every_row) {
  const char *csv = HDR "CR1,N0004123,008/06,2024-03-01\n"
                        "CR2,N0000496,034/01,2024-02-20\n"
                        "CR3,N0004123,28E,2024-02-21\n";
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_OK, "%s", err.message);
  cr_assert_not_null(ds);
  assert_counts(ds, 3, 0, 0, 0, 0, 3);
  cr_assert_eq(harm_dataset_as_of(ds), D_2024_03_01,
               "as_of defaults to the latest date");
  cr_assert_eq(harm_dataset_lookback_days(ds), 365u);
  cr_assert_eq(harm_dataset_n_subjects(ds), 2u);
  cr_assert_eq(harm_dataset_n_codes(ds), 3u);
  cr_assert_eq(harm_dataset_n_areas(ds), 0u, "no area column");
  cr_assert_str_eq(harm_dataset_source(ds), "test.csv");
  harm_dataset_free(ds);
  harm_dataset_free(NULL); /* no-op */
}

Test(ingest, null_opts_mean_the_defaults) {
  /* Default window: 365 days back from the latest date 2024-03-01, so
   * 2023-03-02 (= 19783 - 365) is out and 2023-03-03 is in. */
  const char *csv = HDR "CR1,N1,8N,2024-03-01\n"
                        "CR2,N2,8N,2023-03-02\n"
                        "CR3,N3,8N,2023-03-03\n";
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, NULL, &ds, NULL), HARM_OK);
  assert_counts(ds, 3, 0, 0, 1, 0, 2);
  cr_assert_eq(harm_dataset_as_of(ds), D_2024_03_01);
  harm_dataset_free(ds);
}

Test(ingest, trims_ids_and_codes) {
  const char *csv = HDR "CR1, N1 ,\t8N ,2024-03-01\n"
                        "CR2,N1,8N, 2024-03-01 \n";
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, NULL, &ds, NULL), HARM_OK);
  assert_counts(ds, 2, 0, 0, 0, 0, 2);
  cr_assert_eq(harm_dataset_n_subjects(ds), 1u);
  cr_assert_str_eq(harm_dataset_subject_id(ds, 0, NULL), "N1");
  cr_assert_eq(harm_dataset_n_codes(ds), 1u);
  cr_assert_str_eq(harm_dataset_code(ds, 0), "8N");
  harm_dataset_free(ds);
}

/* ---- CSV dialect -------------------------------------------------------- */

Test(ingest, utf8_bom_before_the_header_is_ignored) {
  const char *csv = "\xEF\xBB\xBF" HDR "CR1,N1,8N,2024-03-01\n";
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, NULL, &ds, &err), HARM_OK, "%s", err.message);
  assert_counts(ds, 1, 0, 0, 0, 0, 1);
  harm_dataset_free(ds);
}

Test(ingest, utf8_bom_before_a_quoted_header_is_ignored) {
  /* Spreadsheet tools that quote every field still write the BOM first. */
  const char *csv = "\xEF\xBB\xBF\"offence_id\",\"offender_id\","
                    "\"offence_code\",\"offence_date\"\r\n"
                    "\"CR1\",\"N1\",\"8N\",\"2024-03-01\"\r\n";
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, NULL, &ds, &err), HARM_OK,
               "status %s, record %zu: %s", harm_status_name(err.status),
               err.record, err.message);
  assert_counts(ds, 1, 0, 0, 0, 0, 1);
  harm_dataset_free(ds);
}

/* The same file with three kinds of line end, including inside quotes.
 * Physical lines:
 *   1 header
 *   2 CR1,"Smith, J",...          comma inside quotes
 *   3 CR2,"O""Neil",...           doubled quote
 *   4 CR3,"multi                  newline inside quotes: lines 4-5
 *   5 line",...
 *   6 CR4,N1,28E,2024-02-30       bad date: reject on line 6
 *   7 "CR5","N2","105A","2024-01-15"
 *   8 CR6,"x                      record on lines 8-9, bad date: reject 8
 *   9 y",28E,not-a-date
 *  10 CR7,N3,28E,2024-01-16 */
/* Parameter structs hold text by value: Criterion runs each case in a
 * fresh process, where pointers into the parent's memory are not valid. */
typedef struct eol_case {
  char eol[3];
  char name[5];
} eol_case;

ParameterizedTestParameters(ingest,
                            quoted_fields_and_line_numbers_for_each_line_end) {
  static eol_case cases[] = {{"\n", "LF"}, {"\r\n", "CRLF"}, {"\r", "CR"}};
  return cr_make_param_array(eol_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(eol_case *c, ingest,
                  quoted_fields_and_line_numbers_for_each_line_end) {
  const char *lines[] = {
      "offence_id,offender_id,offence_code,offence_date",
      "CR1,\"Smith, J\",008/06,2024-03-01",
      "CR2,\"O\"\"Neil\",034/01,2024-02-20",
      "CR3,\"multi",
      "line\",8N,2024-02-21",
      "CR4,N1,28E,2024-02-30",
      "\"CR5\",\"N2\",\"105A\",\"2024-01-15\"",
      "CR6,\"x",
      "y\",28E,not-a-date",
      "CR7,N3,28E,2024-01-16",
  };
  char csv[1024] = "";
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    strcat(csv, lines[i]);
    strcat(csv, c->eol);
  }
  rej_log log;
  harm_ingest_opts o = opts_with_log(&log);
  o.lookback_days = 0; /* unlimited: only parsing matters here */
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_OK, "%s: %s", c->name,
               err.message);
  /* Records: CR1..CR7 = 7 rows; CR4 and CR6 rejected. */
  assert_counts(ds, 7, 2, 0, 0, 0, 5);
  cr_assert_eq(log.n, 2u);
  cr_assert_eq(log.line[0], 6u, "%s: first reject line", c->name);
  cr_assert_str_eq(log.column[0], "offence_date");
  cr_assert_eq(log.line[1], 8u, "%s: a multi-line record starts on line 8",
               c->name);
  char want_raw[64];
  snprintf(want_raw, sizeof want_raw, "CR6,\"x%sy\",28E,not-a-date", c->eol);
  cr_assert_str_eq(log.raw[1], want_raw, "%s: raw bytes verbatim", c->name);
  cr_assert_eq(log.raw_len[1], strlen(want_raw));
  /* Subjects in bytewise order: "N2" < "N3" < "O\"Neil" < "Smith, J" <
   * "multi<eol>line" (0x4E.. < 0x4F < 0x53 < 0x6D). */
  cr_assert_eq(harm_dataset_n_subjects(ds), 5u);
  char multi[32];
  snprintf(multi, sizeof multi, "multi%sline", c->eol);
  const char *want[5] = {"N2", "N3", "O\"Neil", "Smith, J", multi};
  for (size_t i = 0; i < 5; i++) {
    size_t len = 0;
    cr_assert_str_eq(harm_dataset_subject_id(ds, i, &len), want[i]);
    cr_assert_eq(len, strlen(want[i]));
  }
  harm_dataset_free(ds);
}

Test(ingest, reject_line_numbers_count_lines_before_the_header) {
  const char *csv = "\n\n" HDR "CR1,N1,8N,2024-03-01\n"
                    "CR2,N2,8N,2024-13-01\n";
  rej_log log;
  harm_ingest_opts o = opts_with_log(&log);
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  assert_counts(ds, 2, 1, 0, 0, 0, 1);
  cr_assert_eq(log.n, 1u);
  cr_assert_eq(log.line[0], 5u); /* 2 blank lines + header + 2 rows */
  harm_dataset_free(ds);
}

Test(ingest, blank_and_all_space_lines_are_not_rows) {
  const char *csv = HDR "CR1,N1,8N,2024-03-01\n"
                        "\n"
                        "   \n"
                        "\t\n"
                        "CR2,N2,8N,2024-02-30\n" /* line 6 */
                        "\n"
                        "CR3,N3,8N,2024-02-29"; /* line 8, no final EOL */
  rej_log log;
  harm_ingest_opts o = opts_with_log(&log);
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  assert_counts(ds, 3, 1, 0, 0, 0, 2);
  cr_assert_eq(log.n, 1u);
  cr_assert_eq(log.line[0], 6u);
  harm_dataset_free(ds);
}

Test(ingest, blank_lines_with_crlf_are_not_rows) {
  const char *csv = "offence_id,offender_id,offence_code,offence_date\r\n"
                    "\r\n"
                    "CR1,N1,8N,2024-03-01\r\n"
                    "  \r\n"
                    "\r\n";
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, NULL, &ds, NULL), HARM_OK);
  assert_counts(ds, 1, 0, 0, 0, 0, 1);
  harm_dataset_free(ds);
}

typedef struct malformed_case {
  char row[40]; /* the bad row, on line 3 */
} malformed_case;

ParameterizedTestParameters(ingest,
                            malformed_quoting_rejects_one_line_and_reads_on) {
  static malformed_case cases[] = {
      {"CR2,\"N2\"x,8N,2024-03-01"},
      {"CR2,N\"2,8N,2024-03-01"},
      {"CR2,\"N2\" \"y\",8N,2024-03-01"},
  };
  return cr_make_param_array(malformed_case, cases,
                             sizeof cases / sizeof cases[0]);
}

ParameterizedTest(malformed_case *c, ingest,
                  malformed_quoting_rejects_one_line_and_reads_on) {
  char csv[512];
  snprintf(csv, sizeof csv,
           HDR "CR1,N1,8N,2024-03-01\n%s\nCR3,N3,8N,2024-03-01\n"
               "CR4,N4,8N,2024-02-30\n",
           c->row);
  rej_log log;
  harm_ingest_opts o = opts_with_log(&log);
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_OK, "%s", err.message);
  assert_counts(ds, 4, 2, 0, 0, 0, 2);
  cr_assert_eq(log.n, 2u);
  cr_assert_eq(log.line[0], 3u);
  cr_assert_str_eq(log.raw[0], c->row, "raw copy of the bad line");
  cr_assert_eq(log.line[1], 5u, "the line after the bad one is line 4");
  size_t i;
  cr_assert(harm_dataset_find_subject(ds, "N3", &i),
            "the row after the malformed one is read");
  cr_assert(harm_dataset_find_subject(ds, "N1", &i));
  harm_dataset_free(ds);
}

Test(ingest, unterminated_quote_at_eof_is_one_rejected_row) {
  const char *csv = HDR "CR1,N1,8N,2024-03-01\n"
                        "CR2,\"N2,8N,2024-03-01\n" /* line 3, never closed */
                        "CR3,N3,8N,2024-03-01\n";
  rej_log log;
  harm_ingest_opts o = opts_with_log(&log);
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  /* The open quote swallows the rest of the file into one record. */
  assert_counts(ds, 2, 1, 0, 0, 0, 1);
  cr_assert_eq(log.n, 1u);
  cr_assert_eq(log.line[0], 3u);
  cr_assert(log.reason_set[0]);
  harm_dataset_free(ds);
}

Test(ingest, unterminated_quote_in_strict_mode_fails_on_its_line) {
  const char *csv = HDR "CR1,N1,8N,2024-03-01\n"
                        "CR2,N2,8N,\"2024-03-01\n";
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.strict = true;
  harm_dataset *ds = (harm_dataset *)&o; /* must be reset to NULL */
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_ERR_DATA);
  cr_assert_null(ds);
  cr_assert_eq(err.status, HARM_ERR_DATA);
  cr_assert_eq(err.record, 3u);
}

/* ---- header ------------------------------------------------------------- */

Test(ingest, header_match_is_case_insensitive) {
  const char *csv = "Offence_ID,OFFENDER_ID,offence_Code, Offence_Date \n"
                    "CR1,N1,8N,2024-03-01\n";
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, NULL, &ds, &err), HARM_OK, "%s", err.message);
  assert_counts(ds, 1, 0, 0, 0, 0, 1);
  harm_dataset_free(ds);
}

Test(ingest, columns_can_be_renamed) {
  /* An export with its own names, in its own order, with an extra column. */
  const char *csv = "Committed,HO_Code,Notes,Nominal_Ref,CRN,DA_Flag,Beat\n"
                    "2024-03-01,008/06,first,N7,CR1,Y,Beat 12\n"
                    "2024-02-01,034/01,second,N3,CR2,maybe,Beat 3\n";
  rej_log log;
  harm_ingest_opts o = opts_with_log(&log);
  o.columns.offence_id = "crn";
  o.columns.offender_id = "NOMINAL_REF";
  o.columns.offence_code = "ho_code";
  o.columns.offence_date = "committed";
  o.columns.domestic = "da_flag";
  o.columns.area = "BEAT";
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_OK, "%s", err.message);
  /* Row 2's DA_Flag "maybe" is not yes/no: rejected under its header name. */
  assert_counts(ds, 2, 1, 0, 0, 0, 1);
  cr_assert_eq(log.n, 1u);
  cr_assert_str_eq(log.column[0], "DA_Flag");
  cr_assert_eq(harm_dataset_n_subjects(ds), 1u);
  cr_assert_str_eq(harm_dataset_subject_id(ds, 0, NULL), "N7");
  cr_assert_str_eq(harm_dataset_code(ds, 0), "008/06");
  cr_assert_eq(harm_dataset_n_areas(ds), 1u);
  cr_assert_str_eq(harm_dataset_area(ds, 0), "Beat 12");
  harm_dataset_free(ds);
}

Test(ingest, null_optional_column_uses_the_default_name) {
  /* ingest.h: "a NULL optional column means use the default name if the
   * header has it". */
  const char *csv = "offence_id,offender_id,offence_code,offence_date,area\n"
                    "CR1,N1,8N,2024-03-01,North\n"
                    "CR2,N2,8N,2024-03-01,East\n";
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.columns.area = NULL;
  o.columns.victim_id = NULL;
  o.columns.domestic = NULL;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_OK, "%s", err.message);
  cr_assert_eq(harm_dataset_n_areas(ds), 2u,
               "the header's \"area\" column is used");
  harm_dataset_free(ds);
}

typedef struct missing_case {
  char header[64];
  char renamed_date[16]; /* "" = keep the default */
  char column[16];
} missing_case;

ParameterizedTestParameters(ingest, missing_required_column_is_a_data_error) {
  static missing_case cases[] = {
      {"offender_id,offence_code,offence_date\n", "", "offence_id"},
      {"offence_id,offence_code,offence_date\n", "", "offender_id"},
      {"offence_id,offender_id,offence_date\n", "", "offence_code"},
      {"offence_id,offender_id,offence_code,victim_id\n", "", "offence_date"},
      {"offence_id,offender_id,offence_code,offence_date\n", "Committed",
       "Committed"},
  };
  return cr_make_param_array(missing_case, cases,
                             sizeof cases / sizeof cases[0]);
}

ParameterizedTest(missing_case *c, ingest,
                  missing_required_column_is_a_data_error) {
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  if (c->renamed_date[0]) {
    o.columns.offence_date = c->renamed_date;
  }
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(c->header, &o, &ds, &err), HARM_ERR_DATA);
  cr_assert_null(ds);
  cr_assert_eq(err.status, HARM_ERR_DATA);
  cr_assert_str_eq(err.column, c->column);
  cr_assert_eq(err.record, 1u);
  cr_assert_str_eq(err.file, "test.csv");
}

Test(ingest, duplicate_header_column_is_a_data_error) {
  const char *csv = "offence_id,offender_id,offence_code,offence_date,"
                    "Offender_ID\nCR1,N1,8N,2024-03-01,N2\n";
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, NULL, &ds, &err), HARM_ERR_DATA);
  cr_assert_null(ds);
  cr_assert_eq(err.record, 1u);
  cr_assert(ieq_z(err.column, "offender_id"), "column \"%s\"", err.column);
}

Test(ingest, empty_input_is_a_data_error) {
  const char *inputs[] = {"", "\n\n", "   \r\n\t\n"};
  for (size_t i = 0; i < 3; i++) {
    harm_dataset *ds = NULL;
    harm_error err = HARM_ERROR_INIT;
    cr_assert_eq(ingest(inputs[i], NULL, &ds, &err), HARM_ERR_DATA, "input %zu",
                 i);
    cr_assert_null(ds);
    cr_assert_eq(err.status, HARM_ERR_DATA);
  }
}

Test(ingest, header_only_reads_zero_rows) {
  const char *inputs[] = {
      HDR, "offence_id,offender_id,offence_code,offence_date", HDR "\n\n"};
  for (size_t i = 0; i < 3; i++) {
    harm_dataset *ds = NULL;
    cr_assert_eq(ingest(inputs[i], NULL, &ds, NULL), HARM_OK, "input %zu", i);
    assert_counts(ds, 0, 0, 0, 0, 0, 0);
    cr_assert_eq(harm_dataset_n_subjects(ds), 0u);
    cr_assert_eq(harm_dataset_n_codes(ds), 0u);
    cr_assert_eq(harm_dataset_as_of(ds), HARM_DATE_NONE,
                 "no valid row: no as_of");
    size_t idx;
    cr_assert_not(harm_dataset_find_subject(ds, "N1", &idx));
    harm_dataset_free(ds);
  }
}

/* ---- row validation ----------------------------------------------------- */

typedef struct bad_row_case {
  char row[40];    /* on line 3, after one good row */
  char column[16]; /* expected reject column ("" = whole row) */
} bad_row_case;

ParameterizedTestParameters(ingest, bad_rows_are_rejected_and_counted) {
  static bad_row_case cases[] = {
      {"CR2,N2,8N", ""},                  /* too few fields */
      {"CR2,N2,8N,2024-03-01,extra", ""}, /* too many fields */
      {"CR2", ""},
      {"CR2,,8N,2024-03-01", "offender_id"},    /* empty offender */
      {"CR2,   ,8N,2024-03-01", "offender_id"}, /* blank offender */
      {",N2,8N,2024-03-01", "offence_id"},
      {"CR2,N2,,2024-03-01", "offence_code"},
      {"CR2,N2,8N,", "offence_date"},
      {"CR2,N2,8N,2019-02-30", "offence_date"},
      {"CR2,N2,8N,2023-02-29", "offence_date"},
      {"CR2,N2,8N,01/03/2024", "offence_date"}, /* DMY under YMD */
      {"CR2,N2,8N,yesterday", "offence_date"},
      {"CR2,N2,8N,2024-03-01x", "offence_date"},
  };
  return cr_make_param_array(bad_row_case, cases,
                             sizeof cases / sizeof cases[0]);
}

ParameterizedTest(bad_row_case *c, ingest, bad_rows_are_rejected_and_counted) {
  char csv[256];
  snprintf(csv, sizeof csv,
           HDR "CR1,N1,8N,2024-03-01\n%s\nCR3,N3,8N,2024-03-01\n", c->row);
  rej_log log;
  harm_ingest_opts o = opts_with_log(&log);
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_OK, "%s", err.message);
  assert_counts(ds, 3, 1, 0, 0, 0, 2);
  cr_assert_eq(log.n, 1u);
  cr_assert_eq(log.line[0], 3u);
  cr_assert_str_eq(log.column[0], c->column, "row \"%s\"", c->row);
  cr_assert_str_eq(log.raw[0], c->row);
  cr_assert(log.reason_set[0], "a reason is given");
  cr_assert_eq(harm_dataset_n_subjects(ds), 2u);
  harm_dataset_free(ds);
}

Test(ingest, domestic_flag_must_be_yes_or_no) {
  const char *csv = HDR6 "CR1,N1,8N,2024-03-01,Y,North\n"
                         "CR2,N2,8N,2024-03-01,no,North\n"
                         "CR3,N3,8N,2024-03-01,TRUE,North\n"
                         "CR4,N4,8N,2024-03-01,0,North\n"
                         "CR5,N5,8N,2024-03-01,,North\n" /* optional */
                         "CR6,N6,8N,2024-03-01,maybe,North\n"
                         "CR7,N7,8N,2024-03-01,2,North\n";
  rej_log log;
  harm_ingest_opts o = opts_with_log(&log);
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  assert_counts(ds, 7, 2, 0, 0, 0, 5);
  cr_assert_eq(log.n, 2u);
  cr_assert_eq(log.line[0], 7u);
  cr_assert_str_eq(log.column[0], "domestic");
  cr_assert_eq(log.line[1], 8u);
  harm_dataset_free(ds);
}

Test(ingest, nul_byte_in_an_id_is_rejected) {
  static const char csv[] = HDR "CR1,N1,8N,2024-03-01\n"
                                "CR2,N\0X,8N,2024-03-01\n";
  rej_log log;
  harm_ingest_opts o = opts_with_log(&log);
  harm_dataset *ds = NULL;
  cr_assert_eq(
      harm_ingest_buffer("test.csv", csv, sizeof csv - 1, &o, &ds, NULL),
      HARM_OK);
  assert_counts(ds, 2, 1, 0, 0, 0, 1);
  cr_assert_eq(log.n, 1u);
  cr_assert_str_eq(log.column[0], "offender_id");
  harm_dataset_free(ds);
}

Test(ingest, field_longer_than_max_field_bytes_is_rejected) {
  char id64[65], id65[66];
  memset(id64, 'a', 64);
  id64[64] = '\0';
  memset(id65, 'b', 65);
  id65[65] = '\0';
  char csv[512];
  snprintf(csv, sizeof csv,
           HDR "CR1,%s,8N,2024-03-01\nCR2,%s,8N,2024-03-01\n"
               "CR3,N3,8N,2024-03-01\n",
           id64, id65);
  rej_log log;
  harm_ingest_opts o = opts_with_log(&log);
  o.max_field_bytes = 64;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_OK, "%s", err.message);
  /* 64 bytes is the limit itself and is accepted; 65 is not. */
  assert_counts(ds, 3, 1, 0, 0, 0, 2);
  cr_assert_eq(log.n, 1u);
  cr_assert_eq(log.line[0], 3u);
  cr_assert_str_eq(log.column[0], "offender_id");
  size_t idx;
  cr_assert(harm_dataset_find_subject(ds, id64, &idx));
  cr_assert_not(harm_dataset_find_subject(ds, id65, &idx));
  harm_dataset_free(ds);
}

Test(ingest,
     field_longer_than_max_field_bytes_in_strict_mode_is_a_limit_error) {
  char id65[66];
  memset(id65, 'b', 65);
  id65[65] = '\0';
  char csv[512];
  snprintf(csv, sizeof csv, HDR "CR1,N1,8N,2024-03-01\nCR2,%s,8N,2024-03-01\n",
           id65);
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.max_field_bytes = 64;
  o.strict = true;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_ERR_LIMIT);
  cr_assert_null(ds);
  cr_assert_eq(err.status, HARM_ERR_LIMIT);
  cr_assert_eq(err.record, 3u);
  cr_assert_str_eq(err.column, "offender_id");
}

/* ---- strict mode and the reject callback -------------------------------- */

Test(ingest, strict_mode_fails_on_the_first_bad_row) {
  const char *csv = HDR "CR1,N1,8N,2024-03-01\n"
                        "CR2,N2,8N,2024-02-30\n" /* line 3: first bad row */
                        "CR3,,8N,2024-03-01\n";  /* line 4: never reached */
  rej_log log;
  harm_ingest_opts o = opts_with_log(&log);
  o.strict = true;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_ERR_DATA);
  cr_assert_null(ds);
  cr_assert_eq(err.status, HARM_ERR_DATA);
  cr_assert_eq(err.record, 3u);
  cr_assert_str_eq(err.column, "offence_date");
  cr_assert_str_eq(err.file, "test.csv");
  cr_assert_str_eq(err.stage, "ingest");
  cr_assert_eq(log.n, 1u, "on_reject is called once, for that row");
  cr_assert_eq(log.line[0], 3u);
}

Test(ingest, strict_mode_on_a_ragged_row_names_no_column) {
  const char *csv = "\n" HDR "CR1,N1,8N,2024-03-01\n"
                    "CR2,N2,8N\n"; /* line 4 */
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.strict = true;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_ERR_DATA);
  cr_assert_null(ds);
  cr_assert_eq(err.record, 4u);
  cr_assert_str_eq(err.column, "");
}

Test(ingest, strict_mode_passes_a_clean_file) {
  const char *csv = HDR "CR1,N1,8N,2024-03-01\nCR2,N2,8N,2024-02-01\n";
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.strict = true;
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  assert_counts(ds, 2, 0, 0, 0, 0, 2);
  harm_dataset_free(ds);
}

Test(ingest, on_reject_receives_raw_bytes_verbatim) {
  /* Leading blanks, quotes and a trailing tab are kept in the raw copy;
   * the CRLF terminator is not. */
  const char *bad = "  CR2,\"Smith, J\",\"008/06\",2024-02-30\t";
  char csv[256];
  snprintf(csv, sizeof csv, HDR "CR1,N1,8N,2024-03-01\r\n%s\r\n", bad);
  rej_log log;
  harm_ingest_opts o = opts_with_log(&log);
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  cr_assert_eq(log.n, 1u);
  cr_assert_eq(log.line[0], 3u);
  cr_assert_eq(log.raw_len[0], strlen(bad));
  cr_assert_str_eq(log.raw[0], bad);
  harm_dataset_free(ds);
}

Test(ingest, on_reject_returning_false_stops_with_an_io_error) {
  const char *csv = HDR "CR1,N1,8N,2024-03-01\n"
                        "CR2,N2,8N\n"             /* line 3 */
                        "CR3,N3,8N,2024-02-30\n"; /* line 4 */
  rej_log log;
  harm_ingest_opts o = opts_with_log(&log);
  log.answer = false;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_ERR_IO);
  cr_assert_null(ds);
  cr_assert_eq(err.status, HARM_ERR_IO);
  cr_assert_eq(err.record, 3u);
  cr_assert_eq(log.n, 1u, "no more rejects after the callback said stop");
}

/* ---- window ------------------------------------------------------------- */

Test(ingest, explicit_as_of_window_edges) {
  /* as_of 2024-03-01 (19783), lookback 30: a row counts when
   * 19753 < date <= 19783, i.e. 2024-02-01 .. 2024-03-01. */
  const char *csv = HDR "CR1,N1,8N,2024-03-01\n"  /* == as_of: in */
                        "CR2,N2,8N,2024-03-02\n"  /* as_of + 1: future */
                        "CR3,N3,8N,2024-02-01\n"  /* first day in */
                        "CR4,N4,8N,2024-01-31\n"  /* == as_of - 30: out */
                        "CR5,N5,8N,2031-07-09\n"; /* future */
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.as_of = D_2024_03_01;
  o.lookback_days = 30;
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  assert_counts(ds, 5, 0, 2, 1, 0, 2);
  cr_assert_eq(harm_dataset_as_of(ds), D_2024_03_01);
  cr_assert_eq(harm_dataset_lookback_days(ds), 30u);
  /* Only subjects with kept records exist. */
  cr_assert_eq(harm_dataset_n_subjects(ds), 2u);
  size_t i;
  cr_assert(harm_dataset_find_subject(ds, "N1", &i));
  cr_assert_eq(i, 0u);
  cr_assert(harm_dataset_find_subject(ds, "N3", &i));
  cr_assert_eq(i, 1u);
  cr_assert_not(harm_dataset_find_subject(ds, "N2", &i));
  cr_assert_not(harm_dataset_find_subject(ds, "N4", &i));
  harm_dataset_free(ds);
}

Test(ingest, default_lookback_over_a_leap_day) {
  /* 365 days before 2024-03-01 (19783) is 2023-03-02 (19418), not
   * 2023-03-01, because 2024-02-29 lies between. */
  const char *csv = HDR "CR1,N1,8N,2023-03-02\n"
                        "CR2,N2,8N,2023-03-03\n"
                        "CR3,N3,8N,2023-03-01\n";
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.as_of = D_2024_03_01;
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  assert_counts(ds, 3, 0, 0, 2, 0, 1);
  cr_assert_str_eq(harm_dataset_subject_id(ds, 0, NULL), "N2");
  cr_assert_eq(D_2024_03_01 - 365, D_2023_03_02);
  harm_dataset_free(ds);
}

Test(ingest, unlimited_lookback_keeps_old_rows) {
  const char *csv = HDR "CR1,N1,8N,1987-06-15\n"
                        "CR2,N2,8N,2024-03-01\n"
                        "CR3,N3,8N,2024-03-02\n";
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.as_of = D_2024_03_01;
  o.lookback_days = 0;
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  assert_counts(ds, 3, 0, 1, 0, 0, 2);
  harm_dataset_free(ds);
}

Test(ingest, accounting_order_with_explicit_as_of) {
  /* rejected -> future -> outside window -> filtered. as_of 2024-03-01,
   * lookback 30 (window 2024-02-01 .. 2024-03-01), filter area = north. */
  const char *csv =
      HDR6 "A,N1,8N,2024-03-01,,north\n"   /* kept */
           "B,N2,8N,2024-02-01,,north\n"   /* kept */
           "C,N3,8N,2024-01-31,,north\n"   /* outside */
           "D,N4,8N,2024-03-02,,north\n"   /* future */
           "E,N5,8N,2024-03-02,,south\n"   /* future, not filtered */
           "F,N6,8N,2024-01-31,,south\n"   /* outside, not filtered */
           "G,N7,8N,2024-02-15,,south\n"   /* filtered */
           "H,N8,8N,2024-02-30,,south\n"   /* rejected: date */
           "I,,8N,2024-03-01,,north\n"     /* rejected: offender */
           "J,N9,8N,2024-03-02,x,south\n"; /* rejected, not future */
  const char *north[] = {"north"};
  harm_filter f = {"area", north, 1};
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.as_of = D_2024_03_01;
  o.lookback_days = 30;
  o.filters = &f;
  o.n_filters = 1;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_OK, "%s", err.message);
  assert_counts(ds, 10, 3, 2, 2, 1, 2);
  harm_dataset_free(ds);
}

Test(ingest, default_as_of_is_the_latest_valid_date_out_of_order) {
  /* Latest valid date 2024-03-10 (19792); lookback 10, so the window is
   * 19782 < date <= 19792: 2024-03-01 .. 2024-03-10. Filter area = north.
   * The accounting order is the same as with an explicit as_of, so a
   * filtered row outside the final window is outside_window. */
  const char *csv =
      HDR6 "R2,N2,8N,2024-02-20,,north\n"       /* kept first, out at the end */
           "R3,N3,8N,2024-03-05,,north\n"       /* in */
           "R4,N4,8N,2024-03-10,,north\n"       /* latest: in */
           "R5,N5,8N,2024-02-29,,north\n"       /* == as_of - 10: out */
           "R6,N6,8N,2024-03-01,,north\n"       /* first day in */
           "R7,N7,8N,2024-02-10,,south\n"       /* filtered but outside */
           "R8,N8,8N,2024-03-08,,south\n"       /* filtered */
           "R9,N9,8N,2024-12-25,maybe,north\n"; /* rejected: no as_of */
  const char *north[] = {"north"};
  harm_filter f = {"area", north, 1};
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.lookback_days = 10;
  o.filters = &f;
  o.n_filters = 1;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_OK, "%s", err.message);
  cr_assert_eq(harm_dataset_as_of(ds), D_2024_03_10);
  /* read 8 = rejected 1 + future 0 + outside 3 (R2 R5 R7) + filtered 1
   * (R8) + kept 3 (R3 R4 R6). */
  assert_counts(ds, 8, 1, 0, 3, 1, 3);
  cr_assert_eq(harm_dataset_n_subjects(ds), 3u);
  size_t i;
  cr_assert_not(harm_dataset_find_subject(ds, "N2", &i),
                "a record dropped by the final window leaves no subject");
  cr_assert(harm_dataset_find_subject(ds, "N6", &i));
  cr_assert_eq(i, 2u); /* N3 N4 N6 */
  harm_dataset_free(ds);
}

Test(ingest, default_as_of_keeps_a_large_out_of_order_file_consistent) {
  /* 6000 rows, dates cycling backwards and forwards over 2024-01-01 +
   * (i * 37) % 400 days, so the running latest date moves many times and
   * records already kept fall out of the window. Reference count by a
   * direct loop: the latest date is 19723 + 399 = 20122 when some i has
   * (i * 37) % 400 == 399 (37 is invertible mod 400, so yes); a row is in
   * when (i * 37) % 400 > 399 - 90. */
  enum { N = 6000 };
  size_t cap = (size_t)N * 48 + 64;
  char *csv = malloc(cap);
  cr_assert_not_null(csv);
  size_t len = (size_t)snprintf(csv, cap, HDR);
  uint64_t want_in = 0;
  for (unsigned i = 0; i < N; i++) {
    unsigned off = (i * 37u) % 400u;
    /* Day 19723 (2024-01-01) + off, written via a small calendar. */
    unsigned y = 2024, m = 1, d = 1 + off;
    static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30,
                                       31, 31, 30, 31, 30, 31}; /* 2024 */
    while (y == 2024 && d > mdays[m - 1]) {
      d -= mdays[m - 1];
      if (++m == 13) {
        m = 1;
        y = 2025;
      }
    }
    if (y == 2025) {
      static const unsigned mdays25[12] = {31, 28, 31, 30, 31, 30,
                                           31, 31, 30, 31, 30, 31};
      while (d > mdays25[m - 1]) {
        d -= mdays25[m - 1];
        m++;
      }
    }
    len +=
        (size_t)snprintf(csv + len, cap - len, "CR%u,N%u,%s,%04u-%02u-%02u\n",
                         i, i % 97, i % 3 ? "8N" : "28E", y, m, d);
    if (off > 399 - 90) {
      want_in++;
    }
  }
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.lookback_days = 90;
  harm_dataset *ds = NULL;
  cr_assert_eq(harm_ingest_buffer("big.csv", csv, len, &o, &ds, NULL), HARM_OK);
  cr_assert_eq(harm_dataset_as_of(ds), 19723 + 399);
  assert_counts(ds, N, 0, 0, N - want_in, 0, want_in);
  harm_dataset_free(ds);
  free(csv);
}

Test(ingest, no_valid_row_leaves_as_of_unset) {
  const char *csv = HDR "CR1,N1,8N,2024-02-30\n";
  harm_dataset *ds = NULL;
  /* Every row rejected for one column stops ingest by default (see the
   * reject_share tests); switched off here to see the as_of. */
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.max_reject_share = 1.0;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  assert_counts(ds, 1, 1, 0, 0, 0, 0);
  cr_assert_eq(harm_dataset_as_of(ds), HARM_DATE_NONE);
  harm_dataset_free(ds);
}

Test(ingest, dmy_dates) {
  const char *csv = HDR "CR1,N1,8N,01/03/2024\n"
                        "CR2,N2,8N,31/01/2024 23:15\n"
                        "CR3,N3,8N,2024-03-01\n"; /* YMD under DMY: bad */
  rej_log log;
  harm_ingest_opts o = opts_with_log(&log);
  o.date_format = HARM_DATE_DMY;
  o.lookback_days = 30;
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  /* as_of = 01/03/2024; 31/01/2024 = as_of - 30: outside. */
  assert_counts(ds, 3, 1, 0, 1, 0, 1);
  cr_assert_eq(harm_dataset_as_of(ds), D_2024_03_01);
  cr_assert_eq(log.line[0], 4u);
  harm_dataset_free(ds);
}

/* ---- filters ------------------------------------------------------------ */

Test(ingest, filter_values_are_case_insensitive_and_trimmed) {
  const char *csv = "offence_id,offender_id,offence_code,offence_date,status\n"
                    "CR1,N1,8N,2024-03-01,charged\n"
                    "CR2,N2,8N,2024-03-01,CONVICTED\n"
                    "CR3,N3,8N,2024-03-01, Charged \n"
                    "CR4,N4,8N,2024-03-01,suspect\n"
                    "CR5,N5,8N,2024-03-01,\n"
                    "CR6,N6,8N,2024-03-01,charged later\n";
  const char *values[] = {"Charged", "convicted"};
  harm_filter f = {"STATUS", values, 2};
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.filters = &f;
  o.n_filters = 1;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_OK, "%s", err.message);
  assert_counts(ds, 6, 0, 0, 0, 3, 3);
  size_t i;
  cr_assert(harm_dataset_find_subject(ds, "N3", &i));
  cr_assert_not(harm_dataset_find_subject(ds, "N6", &i));
  harm_dataset_free(ds);
}

Test(ingest, domestic_filter_compares_booleans) {
  const char *csv = HDR6 "CR1,N1,8N,2024-03-01,yes,A\n"
                         "CR2,N2,8N,2024-03-01,1,A\n"
                         "CR3,N3,8N,2024-03-01,TRUE,A\n"
                         "CR4,N4,8N,2024-03-01,y,A\n"
                         "CR5,N5,8N,2024-03-01,n,A\n"
                         "CR6,N6,8N,2024-03-01,0,A\n"
                         "CR7,N7,8N,2024-03-01,False,A\n";
  const char *yes[] = {"Y"};
  harm_filter f = {"domestic", yes, 1};
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.filters = &f;
  o.n_filters = 1;
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  assert_counts(ds, 7, 0, 0, 0, 3, 4);

  const char *no[] = {"false"};
  harm_filter g = {"Domestic", no, 1};
  o.filters = &g;
  harm_dataset *ds2 = NULL;
  cr_assert_eq(ingest(csv, &o, &ds2, NULL), HARM_OK);
  assert_counts(ds2, 7, 0, 0, 0, 4, 3);
  size_t i;
  cr_assert(harm_dataset_find_subject(ds2, "N7", &i));
  harm_dataset_free(ds);
  harm_dataset_free(ds2);
}

Test(ingest, all_filters_must_pass) {
  const char *csv = HDR6 "CR1,N1,8N,2024-03-01,Y,North\n"
                         "CR2,N2,8N,2024-03-01,N,North\n"
                         "CR3,N3,8N,2024-03-01,Y,South\n"
                         "CR4,N4,8N,2024-03-01,Y,East\n";
  const char *yes[] = {"1"};
  const char *areas[] = {"north", "east"};
  harm_filter f[2] = {{"domestic", yes, 1}, {"area", areas, 2}};
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.filters = f;
  o.n_filters = 2;
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  assert_counts(ds, 4, 0, 0, 0, 2, 2);
  cr_assert_str_eq(harm_dataset_subject_id(ds, 0, NULL), "N1");
  cr_assert_str_eq(harm_dataset_subject_id(ds, 1, NULL), "N4");
  harm_dataset_free(ds);
}

Test(ingest, filter_on_a_missing_column_is_a_config_error) {
  const char *csv = HDR "CR1,N1,8N,2024-03-01\n";
  const char *values[] = {"charged"};
  harm_filter f = {"status", values, 1};
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.filters = &f;
  o.n_filters = 1;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_ERR_CONFIG);
  cr_assert_null(ds);
  cr_assert_eq(err.status, HARM_ERR_CONFIG);
  cr_assert_str_eq(err.column, "status");
}

Test(ingest, domestic_filter_value_that_is_not_yes_or_no_is_a_config_error) {
  const char *values[] = {"sometimes"};
  harm_filter f = {"domestic", values, 1};
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.filters = &f;
  o.n_filters = 1;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(HDR6 "CR1,N1,8N,2024-03-01,Y,A\n", &o, &ds, &err),
               HARM_ERR_CONFIG);
  cr_assert_null(ds);
  cr_assert_str_eq(err.column, "domestic");
}

/* ---- grouping and numbering --------------------------------------------- */

Test(ingest, group_by_another_column) {
  const char *csv = HDR6 "CR1,N1,8N,2024-03-01,,South\n"
                         "CR2,N2,8N,2024-03-01,,North\n"
                         "CR3,N1,28E,2024-03-01,,South\n"
                         "CR4,N3,8N,2024-03-01,, \n"; /* empty key */
  rej_log log;
  harm_ingest_opts o = opts_with_log(&log);
  o.group_by = "AREA";
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_OK, "%s", err.message);
  assert_counts(ds, 4, 1, 0, 0, 0, 3);
  cr_assert_eq(log.n, 1u);
  cr_assert_eq(log.line[0], 5u);
  cr_assert_str_eq(log.column[0], "area");
  cr_assert_eq(harm_dataset_n_subjects(ds), 2u);
  cr_assert_str_eq(harm_dataset_subject_id(ds, 0, NULL), "North");
  cr_assert_str_eq(harm_dataset_subject_id(ds, 1, NULL), "South");
  size_t i;
  cr_assert_not(harm_dataset_find_subject(ds, "N1", &i),
                "offenders are not subjects when grouping by area");
  harm_dataset_free(ds);
}

Test(ingest, group_by_a_missing_column_fails_naming_it) {
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.group_by = "beat";
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  harm_status st = ingest(HDR "CR1,N1,8N,2024-03-01\n", &o, &ds, &err);
  cr_assert_neq(st, HARM_OK);
  cr_assert_null(ds);
  cr_assert_eq(err.status, st);
  cr_assert_str_eq(err.column, "beat");
}

Test(ingest, subjects_codes_and_areas_are_numbered_bytewise) {
  const char *csv = HDR6 "1,b,8N,2024-03-01,,West\n"
                         "2,B,28E,2024-03-01,,east\n"
                         "3,a9,105A,2024-03-01,,East\n"
                         "4,a10,034/01,2024-03-01,,West\n"
                         "5,\xc3\xa9,008/06,2024-03-01,,East\n"
                         "6,Z,8N,2024-03-01,,West\n"
                         "7,b,008/06,2024-03-01,,West\n";
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, NULL, &ds, NULL), HARM_OK);
  /* Bytewise: "B" 0x42 < "Z" 0x5A < "a10" < "a9" ('1' < '9') < "b" <
   * "\xc3\xa9" (0xC3 above every ASCII byte). */
  const char *subjects[] = {"B", "Z", "a10", "a9", "b", "\xc3\xa9"};
  cr_assert_eq(harm_dataset_n_subjects(ds), 6u);
  for (size_t i = 0; i < 6; i++) {
    cr_assert_str_eq(harm_dataset_subject_id(ds, i, NULL), subjects[i]);
    size_t idx = 99;
    cr_assert(harm_dataset_find_subject(ds, subjects[i], &idx));
    cr_assert_eq(idx, i, "find_subject(%s)", subjects[i]);
  }
  size_t idx;
  cr_assert_not(harm_dataset_find_subject(ds, "a1", &idx));
  cr_assert_not(harm_dataset_find_subject(ds, "", &idx));
  /* Codes: "008/06" < "034/01" < "105A" < "28E" < "8N". */
  const char *codes[] = {"008/06", "034/01", "105A", "28E", "8N"};
  cr_assert_eq(harm_dataset_n_codes(ds), 5u);
  for (size_t i = 0; i < 5; i++) {
    cr_assert_str_eq(harm_dataset_code(ds, i), codes[i]);
  }
  /* Areas: "East" < "West" < "east". */
  const char *areas[] = {"East", "West", "east"};
  cr_assert_eq(harm_dataset_n_areas(ds), 3u);
  for (size_t i = 0; i < 3; i++) {
    cr_assert_str_eq(harm_dataset_area(ds, i), areas[i]);
  }
  harm_dataset_free(ds);
}

Test(ingest, dictionaries_hold_only_kept_rows) {
  const char *csv = HDR6 "1,N1,8N,2024-03-01,,North\n"
                         "2,N2,28E,2024-03-02,,South\n"     /* future */
                         "3,N3,105A,2023-01-01,,East\n"     /* outside */
                         "4,N4,034/01,2024-03-01,x,West\n"; /* rejected */
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.as_of = D_2024_03_01;
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  assert_counts(ds, 4, 1, 1, 1, 0, 1);
  cr_assert_eq(harm_dataset_n_subjects(ds), 1u);
  cr_assert_eq(harm_dataset_n_codes(ds), 1u);
  cr_assert_str_eq(harm_dataset_code(ds, 0), "8N");
  cr_assert_eq(harm_dataset_n_areas(ds), 1u);
  cr_assert_str_eq(harm_dataset_area(ds, 0), "North");
  harm_dataset_free(ds);
}

Test(ingest, identity_holds_on_a_mixed_file) {
  const char *csv =
      HDR6 "1,N1,8N,2024-03-01,Y,North\n"
           "2,N1,8N,2024-03-01,Y,North\n"  /* same row again: kept twice */
           "3,N2,28E,2024-03-02,N,North\n" /* future */
           "4,N3,8N,2022-01-01,N,North\n"  /* outside */
           "5,N4,8N,2024-02-15,N,South\n"  /* filtered */
           "6,N5,8N,2024-02-15,N\n"        /* ragged */
           "\n"
           "7,N6,8N,2024-02-15,N,\"South\n" /* unterminated at EOF */
           "8,N7,8N,2024-02-15,N,North\n";
  const char *north[] = {"North"};
  harm_filter f = {"area", north, 1};
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.as_of = D_2024_03_01;
  o.filters = &f;
  o.n_filters = 1;
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  /* Rows: 1..6 and the unterminated 7-8 record = 7 read. */
  assert_counts(ds, 7, 2, 1, 1, 1, 2);
  harm_dataset_free(ds);
}

Test(ingest, thread_count_does_not_change_the_dataset) {
  enum { N = 3000 };
  size_t cap = (size_t)N * 40 + 64;
  char *csv = malloc(cap);
  cr_assert_not_null(csv);
  size_t len = (size_t)snprintf(csv, cap, HDR);
  for (unsigned i = 0; i < N; i++) {
    len += (size_t)snprintf(csv + len, cap - len,
                            "CR%u,N%u,C%u,2024-%02u-%02u\n", i, (i * 7u) % 211u,
                            i % 13u, 1u + i % 12u, 1u + i % 28u);
  }
  harm_dataset *ds[3] = {NULL, NULL, NULL};
  unsigned threads[3] = {1, 2, 0};
  for (size_t k = 0; k < 3; k++) {
    harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
    o.threads = threads[k];
    o.lookback_days = 200;
    cr_assert_eq(harm_ingest_buffer("t.csv", csv, len, &o, &ds[k], NULL),
                 HARM_OK);
  }
  for (size_t k = 1; k < 3; k++) {
    harm_accounting a = harm_dataset_accounting(ds[0]);
    harm_accounting b = harm_dataset_accounting(ds[k]);
    cr_assert(memcmp(&a, &b, sizeof a) == 0);
    cr_assert_eq(harm_dataset_n_subjects(ds[0]),
                 harm_dataset_n_subjects(ds[k]));
    for (size_t i = 0; i < harm_dataset_n_subjects(ds[0]); i++) {
      cr_assert_str_eq(harm_dataset_subject_id(ds[0], i, NULL),
                       harm_dataset_subject_id(ds[k], i, NULL));
    }
  }
  /* The latest date is 2024-12-28 (i = 11 mod 12 and 27 mod 28 occurs):
   * 2024-03-01 is 19783, and March..November hold 275 days, + 27. */
  cr_assert_eq(harm_dataset_as_of(ds[0]), 19783 + 275 + 27);
  for (size_t k = 0; k < 3; k++) {
    assert_identity(ds[k]);
    harm_dataset_free(ds[k]);
  }
  free(csv);
}

/* ---- files -------------------------------------------------------------- */

Test(ingest, reads_a_file) {
  char path[] = "/tmp/harm_ingest_XXXXXX";
  int fd = mkstemp(path);
  cr_assert_neq(fd, -1);
  FILE *fp = fdopen(fd, "wb");
  cr_assert_not_null(fp);
  fputs("\xEF\xBB\xBF" HDR "CR1,N1,8N,2024-03-01\r\n"
        "CR2,\"N2\nx\",8N,2024-02-29\r\n"
        "CR3,N3,8N,2024-02-30\r\n",
        fp);
  fclose(fp);
  rej_log log;
  harm_ingest_opts o = opts_with_log(&log);
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  harm_status st = harm_ingest_file(path, &o, &ds, &err);
  unlink(path);
  cr_assert_eq(st, HARM_OK, "%s", err.message);
  assert_counts(ds, 3, 1, 0, 0, 0, 2);
  cr_assert_eq(log.line[0], 5u); /* header 1, CR1 2, CR2 3-4, CR3 5 */
  cr_assert_str_eq(harm_dataset_source(ds), path);
  cr_assert_eq(harm_dataset_as_of(ds), D_2024_03_01);
  harm_dataset_free(ds);
}

Test(ingest, missing_file_is_an_io_error) {
  harm_dataset *ds = (harm_dataset *)&ds;
  harm_error err = HARM_ERROR_INIT;
  const char *path = "/nonexistent/harmrank/offences.csv";
  cr_assert_eq(harm_ingest_file(path, NULL, &ds, &err), HARM_ERR_IO);
  cr_assert_null(ds);
  cr_assert_eq(err.status, HARM_ERR_IO);
  cr_assert_str_eq(err.file, path);
}

/* ---- allocation failure ------------------------------------------------- */

Test(ingest, every_allocation_failure_is_reported_and_cleaned_up) {
  const char *csv =
      "\xEF\xBB\xBF" HDR6 "CR1,N1,008/06,2024-03-01,Y,North\n"
      "CR2,\"N2, x\",34B,2024-02-20,N,South\n"
      "CR3,N1,8N,2023-01-01,N,North\n" /* outside after as_of moves */
      "CR4,N3,8N,2024-02-30,N,North\n" /* rejected */
      "CR5,N4,8N,2024-02-25,N,East\n"; /* filtered */
  const char *areas[] = {"north", "south"};
  harm_filter f = {"area", areas, 2};
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.filters = &f;
  o.n_filters = 1;
  uint64_t n = 1;
  for (;; n++) {
    cr_assert_lt(n, 100000u, "no success after many allocations");
    harm_dataset *ds = (harm_dataset *)&o;
    harm_error err = HARM_ERROR_INIT;
    harm__fault_fail_after(n);
    harm_status st = ingest(csv, &o, &ds, &err);
    harm__fault_fail_after(0);
    if (st == HARM_OK) {
      /* as_of 2024-03-01; CR3 outside, CR4 rejected, CR5 filtered. */
      assert_counts(ds, 5, 1, 0, 1, 1, 2);
      harm_dataset_free(ds);
      break;
    }
    cr_assert_eq(st, HARM_ERR_NOMEM, "allocation %llu: %s",
                 (unsigned long long)n, harm_status_name(st));
    cr_assert_eq(err.status, HARM_ERR_NOMEM, "allocation %llu",
                 (unsigned long long)n);
    cr_assert_null(ds, "allocation %llu", (unsigned long long)n);
  }
  cr_assert_gt(n, 3u, "ingest allocates more than a few times");
}

/* The header look-up reads the header only: a column is found whatever
 * its case and surrounding blanks; an absent one, or an empty file, is
 * not. */
Test(ingest, has_column_reads_the_header_only) {
  char path[] = "/tmp/harm_hdr_XXXXXX";
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  const char text[] = "offence_id, Place ,offender_id\nC1,P1,N1\n";
  cr_assert_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
  close(fd);
  bool has = false;
  harm_error err = HARM_ERROR_INIT;
  cr_expect_eq(harm_ingest_has_column(path, "place", &has, &err), HARM_OK);
  cr_expect(has);
  cr_expect_eq(harm_ingest_has_column(path, "area", &has, &err), HARM_OK);
  cr_expect(!has);
  FILE *fp = fopen(path, "w"); /* now empty */
  cr_assert_not_null(fp);
  fclose(fp);
  cr_expect_eq(harm_ingest_has_column(path, "place", &has, &err), HARM_OK);
  cr_expect(!has);
  cr_expect_eq(
      harm_ingest_has_column("/nonexistent/x.csv", "place", &has, &err),
      HARM_ERR_IO);
  unlink(path);
}

/* ---- the reader's date cache ---------------------------------------------
 * The reader keeps the dates it has parsed (by their exact 10 bytes) in a
 * table of 4096 two-slot entries. 6,000 distinct days, each on two rows far
 * apart in the file, fill it past capacity, so hits, misses and slots taken
 * by another date all occur. Subject S<i> has both its offences on day
 * base + i, worked out by counting days from base, not by the parser: every
 * subject's first and last offence must be that day, in either format and
 * at any thread count. */
enum { CACHE_DAYS = 6000 };

static void date_text(harm_date_format fmt, int64_t day, char out[11]) {
  char iso[11];
  harm_date_format_iso((harm_date)day, iso);
  if (fmt == HARM_DATE_DMY) {
    snprintf(out, 11, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
  } else {
    memcpy(out, iso, 11);
  }
}

static void check_date_cache(harm_date_format fmt, unsigned threads) {
  harm_date base;
  cr_assert(harm_date_parse("2001-01-01", 10, HARM_DATE_YMD, &base));
  harm__buf csv = {0};
  cr_assert(harm__buf_append(&csv, HDR, strlen(HDR)));
  for (int copy = 0; copy < 2; copy++) {
    for (int k = 0; k < CACHE_DAYS; k++) {
      /* A stride coprime with CACHE_DAYS visits every day in a scattered
       * order, differently in each copy. */
      int i = (k * (copy ? 4801 : 7919)) % CACHE_DAYS;
      char d[11], line[96];
      date_text(fmt, (int64_t)base + i, d);
      int n = snprintf(line, sizeof line, "CR%d-%d,S%d,8N,%s\n", i, copy, i, d);
      cr_assert(harm__buf_append(&csv, line, (size_t)n));
    }
  }
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.date_format = fmt;
  o.lookback_days = 0; /* every day counts */
  o.threads = threads;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(
      harm_ingest_buffer("dates.csv", csv.data, csv.len, &o, &ds, &err),
      HARM_OK, "%s", err.message);
  harm__buf_free(&csv);
  assert_counts(ds, 2 * CACHE_DAYS, 0, 0, 0, 0, 2 * CACHE_DAYS);
  cr_assert_eq(harm_dataset_as_of(ds), base + CACHE_DAYS - 1);
  static const char W[] = "offence_code,harm\n8N,1\n";
  harm_weights *w = NULL;
  harm_weights_opts wo = HARM_WEIGHTS_OPTS_INIT;
  cr_assert_eq(harm_weights_load_buffer("w.csv", W, strlen(W), &wo, &w, &err),
               HARM_OK, "%s", err.message);
  harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
  mo.weights = w;
  harm_matrix *m = NULL;
  harm_scores *s = NULL;
  cr_assert_eq(harm_matrix_build(ds, &mo, &m, &err), HARM_OK, "%s",
               err.message);
  cr_assert_eq(harm_score_compute(m, w, NULL, &s, &err), HARM_OK, "%s",
               err.message);
  cr_assert_eq(harm_scores_count(s), (size_t)CACHE_DAYS);
  for (size_t j = 0; j < harm_scores_count(s); j++) {
    const harm_score *sc = harm_scores_at(s, j);
    const char *id = harm_dataset_subject_id(ds, sc->subject, NULL);
    int i = atoi(id + 1);
    cr_assert_eq(harm_score_facts(s, sc).first, base + i, "%s first", id);
    cr_assert_eq(harm_score_facts(s, sc).last, base + i, "%s last", id);
    cr_assert_eq(harm_score_facts(s, sc).offences, 2u, "%s offences", id);
  }
  harm_scores_free(s);
  harm_matrix_free(m);
  harm_weights_free(w);
  harm_dataset_free(ds);
}

Test(ingest, date_cache_past_capacity_gives_every_row_its_own_date_ymd) {
  check_date_cache(HARM_DATE_YMD, 1);
  check_date_cache(HARM_DATE_YMD, 3);
}

Test(ingest, date_cache_past_capacity_gives_every_row_its_own_date_dmy) {
  check_date_cache(HARM_DATE_DMY, 1);
  check_date_cache(HARM_DATE_DMY, 2);
}

/* More rows inside the window than one run can number stops the read
 * with a limit error naming the count (the real limit, 4,294,967,294,
 * lowered here to 5): 7 rows in the window, 1 outside, at one and two
 * threads. With the limit at 7 the same file reads. */
Test(ingest, more_rows_in_the_window_than_the_limit_stop_the_read) {
  static const char csv[] =
      "offence_id,offender_id,offence_code,offence_date\n"
      "C1,P1,8N,2026-10-01\nC2,P2,8N,2026-10-02\nC3,P3,8N,2026-10-03\n"
      "C4,P4,8N,2026-10-04\nC5,P5,8N,2026-10-05\nC6,P6,8N,2026-10-06\n"
      "C7,P7,8N,2026-10-07\nC8,P8,8N,2019-10-07\n";
  for (unsigned threads = 1; threads <= 2; threads++) {
    harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
    o.threads = threads;
    o.min_chunk_bytes = 64;
    harm_dataset *ds = NULL;
    harm_error err = HARM_ERROR_INIT;
    harm__ingest_max_kept = 5;
    cr_assert_eq(
        harm_ingest_buffer("test.csv", csv, sizeof csv - 1, &o, &ds, &err),
        HARM_ERR_LIMIT);
    cr_assert_null(ds);
    cr_assert(strstr(err.message, "7 rows inside the window: at most 5") !=
                  NULL,
              "%s", err.message);
    harm__ingest_max_kept = 7;
    cr_assert_eq(
        harm_ingest_buffer("test.csv", csv, sizeof csv - 1, &o, &ds, &err),
        HARM_OK, "%s", err.message);
    cr_assert_eq(harm_dataset_accounting(ds).kept, 7);
    harm_dataset_free(ds);
    harm__ingest_max_kept = (size_t)UINT32_MAX - 1;
  }
}

/* Offence ids are kept (for explain) when the first chunk of a parallel
 * read keeps no row: here its rows are all outside the window (2019),
 * and the ids of the later chunks' rows must still be there, each on its
 * own record. Worked by hand: rows C100..C139 in 2026 are kept, in order. */
Test(ingest, offence_ids_kept_when_the_first_chunk_keeps_no_row) {
  char csv[8192];
  size_t n = (size_t)snprintf(
      csv, sizeof csv, "offence_id,offender_id,offence_code,offence_date\n");
  for (int i = 0; i < 60; i++) {
    n += (size_t)snprintf(csv + n, sizeof csv - n, "X%d,P%d,8N,2019-01-01\n", i,
                          i % 7);
  }
  for (int i = 100; i < 140; i++) {
    n += (size_t)snprintf(csv + n, sizeof csv - n, "C%d,P%d,8N,2026-10-01\n", i,
                          i % 7);
  }
  for (unsigned threads = 1; threads <= 3; threads++) {
    harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
    o.threads = threads;
    o.min_chunk_bytes = 256;
    cr_assert(harm_date_parse("2026-10-31", 10, HARM_DATE_YMD, &o.as_of));
    o.keep_offence_ids = true;
    harm_dataset *ds = NULL;
    harm_error err = HARM_ERROR_INIT;
    cr_assert_eq(harm_ingest_buffer("t.csv", csv, n, &o, &ds, &err), HARM_OK,
                 "%s", err.message);
    cr_assert_eq(ds->n_recs, 40u, "%u threads", threads);
    cr_assert_not_null(ds->oid, "%u threads: offence ids lost", threads);
    for (size_t i = 0; i < ds->n_recs; i++) {
      char want[16];
      snprintf(want, sizeof want, "C%zu", 100 + i);
      cr_assert_str_eq(harm__strpool_get(&ds->oids, ds->oid[i], NULL), want,
                       "%u threads, record %zu", threads, i);
    }
    harm_dataset_free(ds);
  }
}

/* For a list's top_places the place is side information: a place holding
 * a NUL byte reads as no place and the row stays (place_optional); for
 * `places`, where the place is what is ranked, the row is rejected. */
Test(ingest, nul_in_a_side_place_keeps_the_row) {
  static const char csv[] = "offence_id,offender_id,offence_code,offence_date,"
                            "place,place_type\n"
                            "C1,A,8N,2026-10-01,P1,pub\n"
                            "C2,D,8N,2026-10-02,P\0X,pub\n"
                            "C3,B,8N,2026-10-03,P2,t\0axi\n";
  for (int optional = 0; optional <= 1; optional++) {
    harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
    o.threads = 1;
    o.read_places = true;
    o.place_optional = optional;
    harm_dataset *ds = NULL;
    harm_error err = HARM_ERROR_INIT;
    cr_assert_eq(
        harm_ingest_buffer("t.csv", csv, sizeof csv - 1, &o, &ds, &err),
        HARM_OK, "%s", err.message);
    harm_accounting a = harm_dataset_accounting(ds);
    /* Places run: C2 (place) and C3 (type) rejected. List: both kept,
     * C2 with no place; the type is not read at all. */
    cr_assert_eq(a.rejected, optional ? 0u : 2u);
    cr_assert_eq(a.kept, optional ? 3u : 1u);
    cr_assert_eq(ds->has_place_type, !optional);
    if (optional) {
      cr_assert_eq(ds->places.n, 2u, "P1 and P2, no place for C2");
      cr_assert_eq(ds->pref[1].place, HARM__NO_PLACE);
    }
    harm_dataset_free(ds);
  }
}

/* A filter on the place role names the [columns] place column whether or
 * not the run reads places: with [columns] place = LOC and a second
 * column literally called place, `place = P1` keeps the LOC = P1 row
 * (C1) in both kinds of run. */
Test(ingest, place_filter_names_the_place_role_in_every_run) {
  static const char csv[] = "offence_id,offender_id,offence_code,offence_date,"
                            "LOC,place\n"
                            "C1,A,8N,2026-10-01,P1,P9\n"
                            "C2,B,8N,2026-10-02,P2,P1\n";
  static const char *const p1[] = {"P1"};
  harm_filter f = {.column = "place", .values = p1, .n_values = 1};
  for (int read_places = 0; read_places <= 1; read_places++) {
    harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
    o.threads = 1;
    o.read_places = read_places;
    o.columns.place = "LOC";
    o.filters = &f;
    o.n_filters = 1;
    harm_dataset *ds = NULL;
    harm_error err = HARM_ERROR_INIT;
    cr_assert_eq(
        harm_ingest_buffer("t.csv", csv, sizeof csv - 1, &o, &ds, &err),
        HARM_OK, "%s", err.message);
    cr_assert_eq(harm_dataset_accounting(ds).kept, 1u, "read_places %d",
                 read_places);
    size_t len;
    cr_assert_str_eq(harm_dataset_subject_id(ds, 0, &len), "A");
    harm_dataset_free(ds);
  }
}

/* The code and area dictionaries are reached through small caches keyed
 * on a value's first 16 bytes and its length: values that share their
 * first 8 or 15 bytes, or that differ only past byte 16, must stay
 * distinct. More distinct values than a cache has slots, so values meet
 * on a slot. Each row's code and area are known here, so the counts per
 * code and each subject's area are worked out independently. */
Test(ingest, code_and_area_caches_keep_similar_values_apart) {
  /* 603 codes as before, then every length 1-17 as 'A's with one byte
   * changed to 'B' or 'C' at each position (and all 'A's): values that
   * differ in one byte anywhere, for every way the cache loads a key. */
  enum { N_LONG = 603, N_SHORT = 17 + 2 * (17 * 18 / 2) };
  enum { N_CODES = N_LONG + N_SHORT, N_AREAS = 301, ROWS = 40000 };
  static char codes[N_CODES][24], areas[N_AREAS][24];
  for (size_t c = 0; c < N_LONG; c++) {
    /* 12 bytes differing in bytes 10-12, then 16 and 17 bytes alike in
     * their first 16. */
    snprintf(codes[c], sizeof codes[c], "%s",
             c == 600   ? "ABCDEFGHIJKLMNOP"
             : c == 601 ? "ABCDEFGHIJKLMNOPQ"
             : c == 602 ? "ABCDEFGHIJKLMNOPR"
                        : "");
    /* Pairs alike past byte 8 (LONGCODE-007, SHORTCOD-007), which the
     * caches key apart only by their first 8 bytes. */
    if (c < 600) {
      snprintf(codes[c], sizeof codes[c], "%s-%03zu",
               c < 300 ? "LONGCODE" : "SHORTCOD", c % 300);
    }
  }
  size_t at = N_LONG;
  for (size_t len = 1; len <= 17; len++) {
    memset(codes[at], 'A', len);
    at++;
    for (size_t j = 0; j < len; j++) {
      for (char ch = 'B'; ch <= 'C'; ch++) {
        memset(codes[at], 'A', len);
        codes[at][j] = ch;
        at++;
      }
    }
  }
  cr_assert_eq(at, N_CODES);
  for (size_t a = 0; a < N_AREAS; a++) {
    snprintf(areas[a], sizeof areas[a], "Northumbria-%03zu", a); /* 15 */
  }
  size_t cap = (size_t)ROWS * 96 + 128, n = 0;
  char *csv = malloc(cap);
  n += (size_t)snprintf(csv, cap,
                        "offence_id,offender_id,offence_code,"
                        "offence_date,area\n");
  uint64_t want[N_CODES] = {0};
  for (size_t i = 0; i < ROWS; i++) {
    /* Codes and areas in different cycles, so neighbours differ. */
    size_t c = (i * 7) % N_CODES, a = i % N_AREAS;
    want[c]++;
    n += (size_t)snprintf(csv + n, cap - n, "C%zu,P%zu,%s,2026-03-%02zu,%s\n",
                          i, a, codes[c], 1 + i % 28, areas[a]);
  }
  for (unsigned threads = 1; threads <= 2; threads++) {
    harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
    o.threads = threads;
    o.min_chunk_bytes = 1024;
    o.lookback_days = 0;
    harm_dataset *ds = NULL;
    harm_error err = HARM_ERROR_INIT;
    cr_assert_eq(harm_ingest_buffer("t.csv", csv, n, &o, &ds, &err), HARM_OK);
    cr_assert_eq(harm_dataset_n_codes(ds), N_CODES);
    cr_assert_eq(harm_dataset_n_areas(ds), N_AREAS);
    harm_matrix *m = NULL;
    cr_assert_eq(harm_matrix_build(ds, NULL, &m, &err), HARM_OK);
    cr_assert_eq(harm_matrix_n_codes(m), N_CODES);
    for (size_t j = 0; j < harm_matrix_n_codes(m); j++) {
      size_t c = 0;
      while (c < N_CODES && strcmp(codes[c], harm_matrix_code(m, j)) != 0) {
        c++;
      }
      cr_assert_lt(c, N_CODES, "unexpected code %s", harm_matrix_code(m, j));
      cr_assert_eq(harm_matrix_code_count(m, j), want[c], "%u threads: %s",
                   threads, codes[c]);
    }
    /* Subject P<a> only ever offends in area a. */
    cr_assert_eq(harm_matrix_n_subjects(m), N_AREAS);
    for (size_t s = 0; s < N_AREAS; s++) {
      size_t len;
      const char *id = harm_dataset_subject_id(ds, s, &len);
      size_t a = (size_t)strtoul(id + 1, NULL, 10);
      harm_subject_facts f = harm_matrix_facts(m, s);
      cr_assert_str_eq(harm_dataset_area(ds, (size_t)f.area), areas[a],
                       "%u threads: subject %s", threads, id);
    }
    harm_matrix_free(m);
    harm_dataset_free(ds);
  }
  free(csv);
}

/* Places read for their own sake need the place column ([columns] place,
 * here LOC): a header without it stops the read at line 1, before any
 * row (the bad date in row 2 is never reached); for top_places
 * (place_optional) the column is side information and may be missing. */
Test(ingest, read_places_without_the_place_column_stops_at_the_header) {
  static const char csv[] = "offence_id,offender_id,offence_code,offence_date,"
                            "place\n"
                            "C1,A,8N,2026-13-01,P1\n"
                            "C2,B,8N,2026-10-02,P2\n";
  for (int optional = 0; optional <= 1; optional++) {
    harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
    o.threads = 1;
    o.read_places = true;
    o.place_optional = optional;
    o.columns.place = "LOC";
    harm_dataset *ds = NULL;
    harm_error err = HARM_ERROR_INIT;
    harm_status st =
        harm_ingest_buffer("t.csv", csv, sizeof csv - 1, &o, &ds, &err);
    if (optional) {
      cr_assert_eq(st, HARM_OK, "%s", err.message);
      cr_assert_eq(harm_dataset_accounting(ds).kept, 1u);
      cr_assert_eq(harm_dataset_accounting(ds).rejected, 1u);
      harm_dataset_free(ds);
    } else {
      cr_assert_eq(st, HARM_ERR_USAGE);
      cr_assert_null(ds);
      cr_assert_eq(err.record, 1u, "line %zu", err.record);
      cr_assert_str_eq(err.column, "LOC");
      cr_assert(strstr(err.message, "no place column") != NULL, "%s",
                err.message);
    }
  }
}

/* The manifest's hash of the offences file, taken beside the parallel
 * read (a thread of its own) and by the sequential reader: both are
 * sha256sum's for this 601,029-byte file (its rows generated as below;
 * sha256sum and Python's hashlib agree on the value), with the bytes
 * counted, and the rows read are the same. */
Test(ingest, input_hash_beside_the_parallel_read_is_sha256sum) {
  char path[] = "/tmp/harm_hash_XXXXXX";
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  FILE *fp = fdopen(fd, "w");
  fputs("offence_id,offender_id,offence_code,offence_date,victim_id\n", fp);
  for (int i = 0; i < 20000; i++) {
    fprintf(fp, "C%d,N%d,8N,2026-10-%02d,V%d\n", i, i % 397, 1 + i % 28,
            i % 991);
  }
  fclose(fp);
  uint64_t kept[2];
  for (int parallel = 0; parallel <= 1; parallel++) {
    harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
    o.hash_input = true;
    o.threads = parallel ? 3 : 1;
    o.min_chunk_bytes = parallel ? 4096 : 0; /* many chunks */
    harm_dataset *ds = NULL;
    harm_error err = HARM_ERROR_INIT;
    cr_assert_eq(harm_ingest_file(path, &o, &ds, &err), HARM_OK, "%s",
                 err.message);
    const harm_input_hash *h = harm_dataset_input_hash(ds);
    cr_assert_str_eq(
        h->sha256,
        "0b93f31e4a13dc4b30db0622f487c219efa44a390ef901b5235f445d452aeac2",
        "parallel %d", parallel);
    cr_assert_eq(h->bytes, 601029u);
    kept[parallel] = harm_dataset_accounting(ds).kept;
    harm_dataset_free(ds);
  }
  cr_assert_eq(kept[0], kept[1]);
  cr_assert_gt(kept[0], 0u);
  unlink(path);
}

static int cmp_id_bytes(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b); /* unsigned bytes */
}

/* A row pool kept as keys through compaction: 100,000 rows sorted by
 * date (as_of = latest, 30 days back, so the read drops the old rows as
 * it goes, about every 65,536), ids of 7 bytes with bytes >= 0x80
 * ("\xc3\x89" and five digits), then longer ids: of 12 bytes from row
 * 98,500 (second keys from there on) or from row 30,000 (second keys
 * moved by the compactions after), or of 21 bytes from row 98,500 (the
 * pool, compacted, turned into strings). The dictionary is every id of
 * the window's rows once, in strcmp order, worked out here from the rows
 * as written. */
static void keyed_rows_case(int long_from, const char *long_fmt) {
  enum { ROWS = 100000 };
  const int LONG_FROM = long_from;
  size_t cap = (size_t)ROWS * 64, n = 0;
  char *csv = malloc(cap);
  n += (size_t)snprintf(csv, cap,
                        "offence_id,offender_id,offence_code,"
                        "offence_date,victim_id\n");
  char **ids = malloc(ROWS * sizeof *ids);
  int *day = malloc(ROWS * sizeof *day);
  for (int i = 0; i < ROWS; i++) {
    char id[32];
    if (i < LONG_FROM) {
      snprintf(id, sizeof id, "\xc3\x89%05d", (i * 7919) % 90000);
    } else {
      snprintf(id, sizeof id, long_fmt, i % 5000);
    }
    ids[i] = strdup(id);
    day[i] = i / 100; /* 1,000 days from 2023-01-01 */
    harm_date d0;
    cr_assert(harm_date_parse("2023-01-01", 10, HARM_DATE_YMD, &d0));
    char date[11];
    harm_date_format_iso(d0 + day[i], date);
    n += (size_t)snprintf(csv + n, cap - n, "C%d,%s,8N,%s,V%d\n", i, id, date,
                          i % 77);
  }
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.threads = 1;
  o.lookback_days = 30;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_ingest_buffer("t.csv", csv, n, &o, &ds, &err), HARM_OK,
               "%s", err.message);
  /* The window: the latest day (999) and the 29 before it. */
  char **want = malloc(ROWS * sizeof *want);
  size_t nw = 0;
  for (int i = 0; i < ROWS; i++) {
    if (day[i] >= 999 - 29) {
      want[nw++] = ids[i];
    }
  }
  qsort(want, nw, sizeof *want, cmp_id_bytes);
  size_t nu = 0;
  for (size_t i = 0; i < nw; i++) {
    if (nu == 0 || strcmp(want[i], want[nu - 1]) != 0) {
      want[nu++] = want[i];
    }
  }
  cr_assert_gt(nu, 2000u);
  cr_assert_eq(harm_dataset_n_subjects(ds), nu);
  for (size_t i = 0; i < nu; i++) {
    cr_assert_str_eq(harm_dataset_subject_id(ds, i, NULL), want[i], "%zu", i);
  }
  cr_assert_eq(harm_dataset_accounting(ds).kept, nw);
  harm_dataset_free(ds);
  for (int i = 0; i < ROWS; i++) {
    free(ids[i]);
  }
  free(ids);
  free(want);
  free(day);
  free(csv);
}

Test(ingest, keyed_rows_compacted_then_turned_into_strings) {
  keyed_rows_case(98500, "LONG-ID-%04d");
  keyed_rows_case(30000, "LONG-ID-%04d");
  keyed_rows_case(98500, "A-MUCH-LONGER-ID-%04d");
}

/* Subject ids of up to 8 bytes are kept as keys in the records and the
 * records themselves sorted by them (blocks bucketed by key range, then
 * each range sorted across the blocks: harm__ingest_sort_keyed). Rows
 * with ids drawn from `distinct` values (lengths 1 to 8 bytes, or all 8
 * with `fixed`; bytes >= 0x80 included) over 1,000 days, read on 1 to 3
 * threads in small chunks, in parts or in one array, with blocks and
 * ranges of every size down to 1 record: the dictionary is every id
 * once in strcmp order, and the (id, date) pairs the records name are
 * exactly the rows', both worked out here from the rows as written. */
typedef struct id_day {
  const char *id;
  harm_date day;
} id_day;

static int cmp_id_day(const void *a, const void *b) {
  const id_day *x = a, *y = b;
  int c = strcmp(x->id, y->id);
  return c ? c : (x->day > y->day) - (x->day < y->day);
}

static void keyed_sort_case(size_t rows, size_t distinct, bool fixed) {
  size_t cap = rows * 64 + 128, n = 0;
  char *csv = malloc(cap);
  n += (size_t)snprintf(csv, cap,
                        "offence_id,offender_id,offence_code,"
                        "offence_date,victim_id\n");
  char **pool = malloc(distinct * sizeof *pool);
  uint64_t x = 88172645463325252u;
  for (size_t d = 0; d < distinct; d++) {
    char id[9];
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    size_t len = fixed ? 8 : 1 + x % 8;
    for (size_t b = 0; b < len; b++) {
      /* Letters, digits and a byte >= 0x80; never a comma or quote. */
      static const char alphabet[] = "AN0179z\xc3";
      id[b] = alphabet[(x >> (8 + 3 * b)) % 8];
    }
    id[len] = '\0';
    pool[d] = strdup(id);
  }
  harm_date d0;
  cr_assert(harm_date_parse("2023-01-01", 10, HARM_DATE_YMD, &d0));
  id_day *want = malloc(rows * sizeof *want);
  for (size_t i = 0; i < rows; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    want[i] = (id_day){pool[x % distinct], d0 + (harm_date)((x >> 20) % 1000)};
    char date[11];
    harm_date_format_iso(want[i].day, date);
    n += (size_t)snprintf(csv + n, cap - n, "C%zu,%s,8N,%s,V%zu\n", i,
                          want[i].id, date, i % 77);
  }
  qsort(want, rows, sizeof *want, cmp_id_day);
  char **dict = malloc(rows * sizeof *dict);
  size_t nd = 0;
  for (size_t i = 0; i < rows; i++) {
    if (nd == 0 || strcmp(want[i].id, dict[nd - 1]) != 0) {
      dict[nd++] = (char *)want[i].id;
    }
  }
  static const size_t sizes[][2] = {{1, 5000}, {7, 5}, {64, 1}, {65536, 65536}};
  id_day *got = malloc(rows * sizeof *got);
  /* (Every pass runs on every thread asked for, however few the rows.) */
  harm__par_min = 1;
  for (unsigned threads = 1; threads <= 3; threads++) {
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
      harm__ingest_key_block = sizes[z][0];
      harm__ingest_key_range = sizes[z][1];
      harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
      o.threads = threads;
      o.min_chunk_bytes = 4096;
      o.lookback_days = 2000;
      o.records_in_parts = z % 2 == 1;
      harm_dataset *ds = NULL;
      harm_error err = HARM_ERROR_INIT;
      cr_assert_eq(harm_ingest_buffer("t.csv", csv, n, &o, &ds, &err), HARM_OK,
                   "%s", err.message);
      cr_assert_eq(harm_dataset_n_subjects(ds), nd);
      for (size_t i = 0; i < nd; i++) {
        cr_assert_str_eq(harm_dataset_subject_id(ds, i, NULL), dict[i],
                         "%u threads, sizes %zu: id %zu", threads, z, i);
      }
      size_t m = 0;
      for (size_t sg = 0; sg < harm__ds_nseg(ds); sg++) {
        size_t len;
        const harm__rec *r = harm__ds_seg(ds, sg, &len);
        cr_assert_leq(m + len, rows, "%u threads, sizes %zu: too many records",
                      threads, z);
        for (size_t i = 0; i < len; i++) {
          cr_assert_lt(r[i].subject, nd);
          got[m++] = (id_day){harm_dataset_subject_id(ds, r[i].subject, NULL),
                              r[i].date};
        }
      }
      cr_assert_eq(m, rows, "%u threads, sizes %zu", threads, z);
      qsort(got, m, sizeof *got, cmp_id_day);
      for (size_t i = 0; i < rows; i++) {
        cr_assert(strcmp(got[i].id, want[i].id) == 0 &&
                      got[i].day == want[i].day,
                  "%u threads, sizes %zu: pair %zu is (%s, %d), want (%s, %d)",
                  threads, z, i, got[i].id, (int)got[i].day, want[i].id,
                  (int)want[i].day);
      }
      harm_dataset_free(ds);
    }
  }
  harm__ingest_key_block = harm__ingest_key_range = (size_t)1 << 16;
  harm__par_min = 65536;
  for (size_t d = 0; d < distinct; d++) {
    free(pool[d]);
  }
  free(pool);
  free(dict);
  free(got);
  free(want);
  free(csv);
}

Test(ingest, records_sorted_on_their_keys_name_their_own_ids, .timeout = 120) {
  keyed_sort_case(20000, 3000, false); /* ids of 1 to 8 bytes: offsets */
  keyed_sort_case(20000, 3000, true);  /* all of 8 bytes: a stride */
  keyed_sort_case(20000, 3, false);    /* few ids: ranges of equal bounds */
  keyed_sort_case(3, 3, false);        /* fewer rows than a range */
}

/* A record holds its code and area in 16 bits: 65,535 distinct codes (or
 * areas) in the kept rows read, and each record names its own (row i has
 * offence id C<i>, code K<i> or K<i mod 7>, area A<i> or A<i mod 5>); one
 * more stops the read with a limit error naming the column, at one thread
 * (line and column of the row over) and at two with small chunks (each
 * chunk's codes fit, all of them together do not). Rows outside the
 * window are not counted. */
static char *many_values_csv(size_t rows, bool codes, bool areas,
                             size_t old_rows, size_t *len) {
  size_t cap = (rows + old_rows + 1) * 64;
  char *csv = malloc(cap);
  cr_assert_not_null(csv);
  size_t n = (size_t)snprintf(csv, cap, "%s", HDR6);
  for (size_t i = 0; i < rows + old_rows; i++) {
    bool old = i >= rows;
    n += (size_t)snprintf(csv + n, cap - n, "C%zu,P%zu,K%zu,%s,N,A%zu\n", i,
                          i % 11, codes ? i : i % 7,
                          old ? "2019-01-01" : "2026-10-01", areas ? i : i % 5);
  }
  *len = n;
  return csv;
}

static void check_many_values(bool codes, bool areas) {
  size_t len;
  /* 65,535 of them, plus 5,000 older rows with codes and areas of their
   * own that the window leaves out. */
  char *csv = many_values_csv(65535, codes, areas, 5000, &len);
  for (unsigned threads = 1; threads <= 2; threads++) {
    harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
    o.threads = threads;
    o.min_chunk_bytes = 1 << 18;
    o.keep_offence_ids = true;
    harm_dataset *ds = NULL;
    harm_error err = HARM_ERROR_INIT;
    cr_assert_eq(harm_ingest_buffer("many.csv", csv, len, &o, &ds, &err),
                 HARM_OK, "%s", err.message);
    cr_assert_eq(harm_dataset_accounting(ds).kept, 65535);
    cr_assert_eq(harm_dataset_n_codes(ds), codes ? 65535 : 7);
    cr_assert_eq(harm_dataset_n_areas(ds), areas ? 65535 : 5);
    for (size_t r = 0; r < ds->n_recs; r++) {
      size_t i = (size_t)strtoul(
          harm__strpool_get(&ds->oids, ds->oid[r], NULL) + 1, NULL, 10);
      char want[32];
      snprintf(want, sizeof want, "K%zu", codes ? i : i % 7);
      cr_assert_str_eq(harm_dataset_code(ds, ds->recs[r].code), want);
      snprintf(want, sizeof want, "A%zu", areas ? i : i % 5);
      cr_assert_str_eq(harm_dataset_area(ds, ds->recs[r].area), want);
    }
    harm_dataset_free(ds);
  }
  free(csv);
  csv = many_values_csv(65536, codes, areas, 0, &len);
  const char *what =
      codes ? "65535 distinct offence codes" : "65535 distinct areas";
  for (unsigned threads = 1; threads <= 2; threads++) {
    harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
    o.threads = threads;
    o.min_chunk_bytes = threads == 1 ? 1 << 24 : 1 << 18;
    harm_dataset *ds = NULL;
    harm_error err = HARM_ERROR_INIT;
    cr_assert_eq(harm_ingest_buffer("many.csv", csv, len, &o, &ds, &err),
                 HARM_ERR_LIMIT, "%s", err.message);
    cr_assert_null(ds);
    cr_assert(strstr(err.message, what) != NULL, "%s", err.message);
    if (threads == 1) {
      /* The 65,536th row is on line 65,537. */
      cr_assert_eq(err.record, 65537u, "%s", err.message);
      cr_assert_str_eq(err.column, codes ? "offence_code" : "area");
    }
  }
  free(csv);
}

Test(ingest, codes_past_sixteen_bits_stop_the_read, .timeout = 60) {
  check_many_values(true, false);
}

Test(ingest, areas_past_sixteen_bits_stop_the_read, .timeout = 60) {
  check_many_values(false, true);
}
