/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/test_pseudonym.c: keyed pseudonyms of offender ids, checked
 * against HMAC-SHA-256 values computed independently with
 * `printf ID | openssl dgst -sha256 -hmac KEY`. */
#include <criterion/criterion.h>
#include <string.h>

#include <harmrank.h>

static const unsigned char key[] = "0123456789abcdef"; /* 16 bytes used */

Test(pseudonym, matches_hmac_sha256_computed_by_openssl_cli) {
  char out[HARM_PSEUDONYM_LEN + 1];
  /* printf 'N0001234' | openssl dgst -sha256 -hmac '0123456789abcdef'
   * -> 456671ff1492bdd14969... (first 20 hex digits kept) */
  cr_assert_eq(harm_pseudonym(key, 16, "N0001234", 8, out), HARM_OK);
  cr_assert_str_eq(out, "PS-456671ff1492bdd14969");
  cr_assert_eq(harm_pseudonym(key, 16, "N0005678", 8, out), HARM_OK);
  cr_assert_str_eq(out, "PS-a38f3ded433cc113981d");
}

Test(pseudonym, short_key_is_refused) {
  char out[HARM_PSEUDONYM_LEN + 1];
  cr_assert_eq(harm_pseudonym(key, 15, "N1", 2, out), HARM_ERR_USAGE);
  cr_assert_eq(harm_pseudonym(NULL, 0, "N1", 2, out), HARM_ERR_USAGE);
}

static const char csv[] = "offence_id,offender_id,offence_code,offence_date\n"
                          "C1,N0001234,34B,2026-10-01\n"
                          "C2,N0005678,8N,2026-10-02\n"
                          "C3,N0001234,8N,2026-10-03\n";

Test(pseudonym, ingest_replaces_offender_ids_and_keeps_the_grouping) {
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.pseudonym_key = key;
  o.pseudonym_key_len = 16;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_ingest_buffer("t.csv", csv, sizeof csv - 1, &o, &ds, &err),
               HARM_OK);
  cr_assert_eq(harm_dataset_n_subjects(ds), 2);
  /* Subjects are numbered in bytewise order of the pseudonyms:
   * PS-4566... < PS-a38f... */
  cr_assert_str_eq(harm_dataset_subject_id(ds, 0, NULL),
                   "PS-456671ff1492bdd14969");
  cr_assert_str_eq(harm_dataset_subject_id(ds, 1, NULL),
                   "PS-a38f3ded433cc113981d");
  size_t idx;
  cr_assert(!harm_dataset_find_subject(ds, "N0001234", &idx));
  harm_dataset_free(ds);
}

Test(pseudonym, lists_are_pseudonymised_with_the_same_key) {
  static const char refs[] = "offender_id,agency,referred_on,reason\n"
                             "N0005678,Probation,2026-10-05,licence\n";
  harm_list *l = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_list_load_buffer(HARM_LIST_REFERRALS, "r.csv", refs,
                                     sizeof refs - 1, &l, &err),
               HARM_OK);
  cr_assert_eq(harm_list_pseudonymise(l, key, 16, &err), HARM_OK);
  cr_assert_str_eq(harm_list_referral(l, 0)->offender_id,
                   "PS-a38f3ded433cc113981d");
  harm_list_free(l);
}
