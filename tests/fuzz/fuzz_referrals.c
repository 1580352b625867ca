/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/fuzz/fuzz_referrals.c: libFuzzer target for
 * harm_list_load_buffer: the input is read as a referrals list, an
 * exclusions list and a previous cohort, and every entry is touched. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <harmrank.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const harm_list_kind kinds[] = {
      HARM_LIST_REFERRALS, HARM_LIST_EXCLUSIONS, HARM_LIST_PREVIOUS};
  for (size_t k = 0; k < 3; k++) {
    harm_list *l = NULL;
    harm_error err = HARM_ERROR_INIT;
    harm_status st =
        harm_list_load_buffer(kinds[k], "fuzz.csv", data, size, &l, &err);
    if ((st == HARM_OK) != (l != NULL)) {
      abort();
    }
    for (size_t i = 0; l && i < harm_list_count(l); i++) {
      size_t n = 0;
      if (kinds[k] == HARM_LIST_REFERRALS) {
        const harm_referral *r = harm_list_referral(l, i);
        n = strlen(r->offender_id) + strlen(r->agency) + strlen(r->reason);
        if (!*r->offender_id || !*r->agency || r->priority < 1) {
          abort();
        }
      } else if (kinds[k] == HARM_LIST_EXCLUSIONS) {
        const harm_exclusion *e = harm_list_exclusion(l, i);
        n = strlen(e->offender_id) + strlen(e->reason);
      } else {
        const harm_previous_member *p = harm_list_previous(l, i);
        n = strlen(p->offender_id);
      }
      (void)n;
    }
    harm_list_free(l);
  }
  return 0;
}
