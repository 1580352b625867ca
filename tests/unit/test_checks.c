/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/test_checks.c: the checks that stop a wrong list (README
 * "Checks that stop a wrong list"): most rows rejected for one column, an
 * as_of = latest far beyond the data, a filter value or category matching
 * nothing, a weights table matching no code, list ids that cannot match;
 * plus the CCHI export's HO_CODE key and thousands separators. Expected
 * lines, counts and columns are worked out by hand from the inputs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <harmrank.h>

#define HDR "offence_id,offender_id,offence_code,offence_date\n"

/* 2024-01-01 as days since 1970-01-01. */
#define D_2024_01_01 19723

static harm_status ingest(const char *csv, const harm_ingest_opts *o,
                          harm_dataset **ds, harm_error *err) {
  return harm_ingest_buffer("t.csv", csv, strlen(csv), o, ds, err);
}

/* n rows "CRi,Ni%5,8N,<date i>" where date i comes from fmt. */
static char *rows(size_t n, const char *fmt) {
  size_t cap = n * 48 + 64;
  char *csv = malloc(cap);
  cr_assert_not_null(csv);
  size_t len = (size_t)snprintf(csv, cap, HDR);
  for (size_t i = 0; i < n; i++) {
    len += (size_t)snprintf(csv + len, cap - len, "CR%zu,N%zu,8N,", i, i % 5);
    len += (size_t)snprintf(csv + len, cap - len, fmt, 1 + i % 28,
                            1 + (i / 28) % 12);
    csv[len++] = '\n';
    csv[len] = '\0';
  }
  return csv;
}

/* Every thread count gives the same verdict and location: the sequential
 * reader (1) and the parallel one with tiny chunks (2, 4). */
static void expect_stop(const char *csv, harm_ingest_opts o, size_t line,
                        const char *column) {
  unsigned threads[3] = {1, 2, 4};
  for (size_t k = 0; k < 3; k++) {
    o.threads = threads[k];
    o.min_chunk_bytes = 64;
    harm_dataset *ds = (harm_dataset *)1;
    harm_error err = HARM_ERROR_INIT;
    cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_ERR_DATA, "threads %u",
                 threads[k]);
    cr_assert_null(ds);
    cr_assert_eq(err.record, line, "threads %u: line %zu", threads[k],
                 err.record);
    cr_assert_str_eq(err.column, column);
  }
}

Test(checks, dmy_dates_without_date_format_stop_at_the_first_line) {
  /* 40 rows of "dd/mm/2024": all rejected for offence_date (40 > 20). */
  char *csv = rows(40, "%02zu/%02zu/2024");
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  expect_stop(csv, o, 2, "offence_date");
  harm_error err = HARM_ERROR_INIT;
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_ERR_DATA);
  cr_assert(strstr(err.message, "--date-format dmy") != NULL, "%s",
            err.message);
  o.date_format = HARM_DATE_DMY;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  cr_assert_eq(harm_dataset_accounting(ds).rejected, 0u);
  harm_dataset_free(ds);
  free(csv);
}

Test(checks, rejects_at_or_under_the_share_or_under_ten_rows_go_on) {
  /* 9 of 12 rows rejected (75%) but fewer than 10 and not every row. */
  const char *csv = HDR "A,N1,8N,2024-01-02\nB,N1,8N,2024-01-03\n"
                        "C,N1,8N,2024-01-04\n"
                        "D,N1,8N,x\nE,N1,8N,x\nF,N1,8N,x\nG,N1,8N,x\n"
                        "H,N1,8N,x\nI,N1,8N,x\nJ,N1,8N,x\nK,N1,8N,x\n"
                        "L,N1,8N,x\n";
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, NULL, &ds, NULL), HARM_OK);
  cr_assert_eq(harm_dataset_accounting(ds).rejected, 9u);
  harm_dataset_free(ds);
  /* 20 of 40 (exactly half): not more than the share. */
  char *half = rows(40, "%02zu/%02zu/2024");
  char *p = half;
  for (size_t i = 0; i < 20; i++) {
    p = strchr(p, '\n') + 1;
    p = strstr(p, "8N,") + 3;
    /* "dd/mm/2024" -> "2024-mm-dd"-shaped valid date: rewrite in place. */
    char d[3] = {p[0], p[1], 0}, m[3] = {p[3], p[4], 0};
    memcpy(p, "2024-", 5);
    memcpy(p + 5, m, 2);
    p[7] = '-';
    memcpy(p + 8, d, 2);
  }
  cr_assert_eq(ingest(half, NULL, &ds, NULL), HARM_OK);
  cr_assert_eq(harm_dataset_accounting(ds).rejected, 20u);
  harm_dataset_free(ds);
  free(half);
}

Test(checks, a_whole_row_fault_counts_as_one_reason) {
  /* 12 rows with 3 fields instead of 4, 2 good rows: 12 > 7 rejected. */
  char csv[1024];
  size_t len = (size_t)snprintf(csv, sizeof csv,
                                HDR "A,N1,8N,2024-01-02\nB,N1,8N,2024-01-03\n");
  for (int i = 0; i < 12; i++) {
    len += (size_t)snprintf(csv + len, sizeof csv - len, "R%d,N1,8N\n", i);
  }
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  expect_stop(csv, o, 4, "");
  o.max_reject_share = 1.0; /* --allow-rejects */
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  cr_assert_eq(harm_dataset_accounting(ds).rejected, 12u);
  harm_dataset_free(ds);
}

Test(checks, latest_date_after_today_names_its_line) {
  /* 60 rows in 2024, one typo 2062-10-31 on line 40. */
  char *csv = rows(60, "2024-%2$02zu-%1$02zu");
  char *line40 = csv;
  for (int i = 1; i < 40; i++) {
    line40 = strchr(line40, '\n') + 1;
  }
  memcpy(strstr(line40, "2024-"), "2062-10-31", 10);
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.today = D_2024_01_01 + 700; /* late 2025 */
  expect_stop(csv, o, 40, "offence_date");
  /* Without today the gap rule still sees it: 1 row of 60 (<= 1%? no:
   * 1.7%), so it passes; with 120 rows it is 0.8% and stops. */
  o.today = HARM_DATE_NONE;
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  harm_dataset_free(ds);
  /* A given as_of turns the check off: the typo is future-dated. */
  o.today = D_2024_01_01 + 700;
  o.as_of = D_2024_01_01 + 200;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  cr_assert_eq(harm_dataset_accounting(ds).future_dated, 1u);
  harm_dataset_free(ds);
  free(csv);
}

Test(checks, latest_date_far_beyond_the_rest_without_today) {
  /* 120 rows in 2024, typo 2034-03-05 on line 100: 3,600+ days after the
   * next latest date, 1 of 120 rows (0.8% <= 1%) above the gap. */
  char *csv = rows(120, "2024-%2$02zu-%1$02zu");
  char *line100 = csv;
  for (int i = 1; i < 100; i++) {
    line100 = strchr(line100, '\n') + 1;
  }
  memcpy(strstr(line100, "2024-"), "2034-03-05", 10);
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  expect_stop(csv, o, 100, "offence_date");
  free(csv);
}

Test(checks, a_late_but_continuous_tail_is_not_an_outlier) {
  /* Dates spread over 2024 then one row in each month of 2025: no gap of
   * more than 366 days anywhere. */
  char *csv = rows(200, "2024-%2$02zu-%1$02zu");
  size_t len = strlen(csv);
  csv = realloc(csv, len + 12 * 32);
  for (int m = 1; m <= 12; m++) {
    len += (size_t)sprintf(csv + len, "T%d,N1,8N,2025-%02d-15\n", m, m);
  }
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.today = D_2024_01_01 + 800;
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  harm_dataset_free(ds);
  free(csv);
}

Test(checks, filter_value_matching_no_row_stops_naming_the_column) {
  const char *csv = "offence_id,offender_id,offence_code,offence_date,area\n"
                    "A,N1,8N,2024-01-02,North\nB,N2,8N,2024-01-03,South\n"
                    "C,N3,8N,2024-01-04,North\n";
  const char *vals[] = {"North", "Nroth"};
  harm_filter f = {"area", vals, 2};
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.filters = &f;
  o.n_filters = 1;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(csv, &o, &ds, &err), HARM_ERR_DATA);
  cr_assert_str_eq(err.column, "area");
  cr_assert(strstr(err.message, "\"Nroth\"") && strstr(err.message, "South"),
            "%s", err.message);
  f.n_values = 1;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  cr_assert_eq(harm_dataset_accounting(ds).filtered, 1u);
  harm_dataset_free(ds);
}

Test(checks, filter_check_is_the_same_on_the_parallel_reader) {
  char *csv = rows(300, "2024-%2$02zu-%1$02zu");
  const char *vals[] = {"N1", "N9"};
  harm_filter f = {"offender_id", vals, 2};
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.filters = &f;
  o.n_filters = 1;
  expect_stop(csv, o, 0, "offender_id");
  f.n_values = 1;
  o.threads = 2;
  o.min_chunk_bytes = 64;
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  cr_assert_eq(harm_dataset_accounting(ds).filtered, 240u);
  harm_dataset_free(ds);
  free(csv);
}

Test(checks, filter_names_a_mapped_role) {
  const char *csv = "offence_id,offender_id,offence_code,offence_date,DA_FLAG\n"
                    "A,N1,8N,2024-01-02,Y\nB,N2,8N,2024-01-03,N\n"
                    "C,N3,8N,2024-01-04,yes\n";
  const char *vals[] = {"yes"};
  harm_filter f = {"domestic", vals, 1};
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.columns.domestic = "DA_FLAG";
  o.filters = &f;
  o.n_filters = 1;
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(csv, &o, &ds, NULL), HARM_OK);
  cr_assert_eq(harm_dataset_accounting(ds).kept, 2u);
  cr_assert_eq(harm_dataset_accounting(ds).filtered, 1u);
  harm_dataset_free(ds);
  /* No domestic row at all: the yes/no filter matches nothing. */
  const char *none =
      "offence_id,offender_id,offence_code,offence_date,DA_FLAG\n"
      "A,N1,8N,2024-01-02,N\n";
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(ingest(none, &o, &ds, &err), HARM_ERR_DATA);
  cr_assert_str_eq(err.column, "domestic");
}

/* ---- weights ------------------------------------------------------------ */

#define CCHI                                                                   \
  "ATHENA URN,FULL_OFFENCE_TITLE,CCHI Score,HOME_OFFICE_CLASSIFICATION,"       \
  "HO_CODE,SUB_GROUP\n"                                                        \
  "A1,Burglary dwelling,\"1,095\",028/01,28E,Burglary\n"                       \
  "A2,Murder,\"5,475.5\",001/01,1,Homicide\n"                                  \
  "A3,Assault ABH,17.25,008/06,8N,Violence\n"

Test(checks, cchi_ho_code_key_and_thousands_separators) {
  harm_weights_opts wo = HARM_WEIGHTS_OPTS_INIT;
  wo.key = HARM_KEY_HO_CODE;
  harm_weights *w = NULL;
  cr_assert_eq(
      harm_weights_load_buffer("w.csv", CCHI, strlen(CCHI), &wo, &w, NULL),
      HARM_OK);
  cr_assert_eq(harm_weights_find(w, "28E")->harm, 1095.0);
  cr_assert_eq(harm_weights_find(w, "1")->harm, 5475.5);
  cr_assert_eq(harm_weights_find(w, "8N")->harm, 17.25);
  cr_assert_null(harm_weights_find(w, "028/01"));
  harm_weights_free(w);
}

Test(checks, malformed_thousands_groups_are_refused) {
  static const char *const bad[] = {"\"10,95\"", "\"1,0950\"", "\"1095,\"",
                                    "\",095\"",  "\"1,,095\"", "\"1234,567\""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char csv[256];
    snprintf(csv, sizeof csv,
             "ATHENA URN,CCHI Score,HOME_OFFICE_CLASSIFICATION\n"
             "A0,2.385,005/01\nA1,%s,028/01\n",
             bad[i]);
    harm_weights *w = NULL;
    harm_error err = HARM_ERROR_INIT;
    cr_assert_eq(
        harm_weights_load_buffer("w.csv", csv, strlen(csv), NULL, &w, &err),
        HARM_ERR_DATA, "%s", bad[i]);
    cr_assert_eq(err.record, 3u);
    cr_assert_str_eq(err.column, "CCHI Score");
  }
  /* Native tables take no separators at all. */
  const char *native = "offence_code,harm,source\n8N,\"1,095\",estimate: x\n";
  harm_weights *w = NULL;
  cr_assert_eq(
      harm_weights_load_buffer("w.csv", native, strlen(native), NULL, &w, NULL),
      HARM_ERR_DATA);
}

/* ---- coverage and categories -------------------------------------------- */

static void score_with(const char *offences, const char *weights,
                       harm_status want, harm_coverage *cov) {
  harm_dataset *ds = NULL;
  harm_weights *w = NULL;
  harm_matrix *m = NULL;
  harm_scores *s = NULL;
  cr_assert_eq(ingest(offences, NULL, &ds, NULL), HARM_OK);
  cr_assert_eq(harm_weights_load_buffer("w.csv", weights, strlen(weights), NULL,
                                        &w, NULL),
               HARM_OK);
  harm_matrix_opts mo = HARM_MATRIX_OPTS_INIT;
  mo.weights = w;
  cr_assert_eq(harm_matrix_build(ds, &mo, &m, NULL), HARM_OK);
  cr_assert_eq(harm_score_compute(m, w, NULL, &s, NULL), HARM_OK);
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_score_coverage(s, w, cov, &err), want, "%s", err.message);
  if (want != HARM_OK) {
    cr_assert_str_eq(err.file, "w.csv");
    cr_assert(strstr(err.message, "28E") && strstr(err.message, "028/01"), "%s",
              err.message);
  }
  harm_scores_free(s);
  harm_matrix_free(m);
  harm_weights_free(w);
  harm_dataset_free(ds);
}

Test(checks, weights_matching_no_code_stop) {
  const char *off = HDR "A,N1,28E,2024-01-02\nB,N2,8N,2024-01-03\n"
                        "C,N2,28E,2024-01-04\n";
  harm_coverage cov;
  score_with(off, CCHI, HARM_ERR_DATA, &cov);
  cr_assert_eq(cov.n_codes, 2u);
  cr_assert_eq(cov.n_unknown_codes, 2u);
  cr_assert_eq(cov.n_offences, 3u);
  cr_assert_eq(cov.n_unknown, 3u);
}

Test(checks, weights_matching_some_codes_report_the_share) {
  const char *off = HDR "A,N1,028/01,2024-01-02\nB,N2,8N,2024-01-03\n"
                        "C,N2,28E,2024-01-04\nD,N3,028/01,2024-01-05\n";
  harm_coverage cov;
  score_with(off, CCHI, HARM_OK, &cov);
  cr_assert_eq(cov.n_codes, 3u);
  cr_assert_eq(cov.n_unknown_codes, 2u);
  cr_assert_eq(cov.n_offences, 4u);
  cr_assert_eq(cov.n_unknown, 2u);
}

Test(checks, category_naming_nothing_is_a_config_error) {
  harm_weights *w = NULL;
  cr_assert_eq(
      harm_weights_load_buffer("w.csv", CCHI, strlen(CCHI), NULL, &w, NULL),
      HARM_OK);
  const char *good[] = {"burglary", "VIOLENCE"};
  cr_assert_eq(harm_score_check_categories(w, good, 2, NULL), HARM_OK);
  const char *bad[] = {"Violence", "Burglery"};
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_score_check_categories(w, bad, 2, &err), HARM_ERR_CONFIG);
  cr_assert_str_eq(err.column, "categories");
  cr_assert(strstr(err.message, "\"Burglery\"") &&
                strstr(err.message, "Homicide"),
            "%s", err.message);
  harm_weights_free(w);
}

/* ---- list ids ------------------------------------------------------------ */

Test(checks, pseudonym_list_without_key_is_refused) {
  const char *prev = "offender_id,score_rank,months_served\n"
                     "N1,1,1\nPS-00112233445566778899,2,1\n";
  harm_list *l = NULL;
  cr_assert_eq(harm_list_load_buffer(HARM_LIST_PREVIOUS, "prev.csv", prev,
                                     strlen(prev), &l, NULL),
               HARM_OK);
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_list_check_ids(l, NULL, false, &err), HARM_ERR_CONFIG);
  cr_assert_eq(err.record, 3u);
  cr_assert_str_eq(err.column, "offender_id");
  harm_list_free(l);
  /* "PS-" with upper-case or too few hex digits is an ordinary id. */
  const char *raw = "offender_id,score_rank,months_served\n"
                    "PS-00112233445566778899AB,1,1\nPS-ABCDEF,2,1\n";
  cr_assert_eq(harm_list_load_buffer(HARM_LIST_PREVIOUS, "prev.csv", raw,
                                     strlen(raw), &l, NULL),
               HARM_OK);
  cr_assert_eq(harm_list_check_ids(l, NULL, false, NULL), HARM_OK);
  harm_list_free(l);
}

Test(checks, pseudonyms_made_with_another_key_are_refused) {
  static const unsigned char key[] = "0123456789abcdef-key";
  const char *off = HDR "A,N1,8N,2024-01-02\nB,N2,8N,2024-01-03\n"
                        "C,N3,8N,2024-01-04\n";
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.pseudonym_key = key;
  o.pseudonym_key_len = sizeof key - 1;
  harm_dataset *ds = NULL;
  cr_assert_eq(ingest(off, &o, &ds, NULL), HARM_OK);
  /* Raw ids under the key are mapped and match. */
  const char *raw = "offender_id,score_rank,months_served\n"
                    "N1,1,1\nN2,2,1\nN3,3,1\n";
  harm_list *l = NULL;
  cr_assert_eq(harm_list_load_buffer(HARM_LIST_PREVIOUS, "prev.csv", raw,
                                     strlen(raw), &l, NULL),
               HARM_OK);
  cr_assert_eq(harm_list_pseudonymise(l, key, sizeof key - 1, NULL), HARM_OK);
  cr_assert_eq(harm_list_check_ids(l, ds, true, NULL), HARM_OK);
  size_t at;
  cr_assert(harm_dataset_find_subject(ds, harm_list_previous(l, 0)->offender_id,
                                      &at));
  harm_list_free(l);
  /* Three pseudonyms of another key: none in the data. */
  const char *other = "offender_id,score_rank,months_served\n"
                      "PS-00000000000000000001,1,1\n"
                      "PS-00000000000000000002,2,1\n"
                      "PS-00000000000000000003,3,1\n";
  cr_assert_eq(harm_list_load_buffer(HARM_LIST_PREVIOUS, "prev.csv", other,
                                     strlen(other), &l, NULL),
               HARM_OK);
  cr_assert_eq(harm_list_pseudonymise(l, key, sizeof key - 1, NULL), HARM_OK);
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_list_check_ids(l, ds, true, &err), HARM_ERR_CONFIG);
  cr_assert_eq(err.record, 2u);
  harm_list_free(l);
  harm_dataset_free(ds);
}
