/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/cli/test_places.c: `harmrank places` on the hand-worked cases in
 * fixtures/places/ (places.csv, place_offenders.csv and quality.csv byte
 * for byte; fixtures/places/README.md works each number out), and the
 * library's promise that an offender's place links plus their no-place
 * harm add up to their score exactly. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <harmrank.h>

#include "cli/args_file.h"
#include "cli/cli.h"
#include "support.h"

#define PLACES_DIR HARM_FIXTURES "/places"

enum { MAX_ARGS = 64 };

static void run_case(const char *name) {
  char dir[512], path[700];
  snprintf(dir, sizeof dir, "%s/%s", PLACES_DIR, name);
  snprintf(path, sizeof path, "%s/args", dir);
  size_t len;
  char *args = test_slurp(path, &len);
  cr_assert_not_null(args, "missing %s", path);
  char tmp[64];
  snprintf(tmp, sizeof tmp, "/tmp/harmrank-places-XXXXXX");
  test_mkdtemp(tmp);
  char *argv[MAX_ARGS + 1];
  int argc = 0;
  argv[argc++] = "harmrank";
  cr_assert(args_file_split(args, len, argv, &argc, MAX_ARGS, 6));
  argv[argc++] = "--out";
  argv[argc++] = tmp;
  argv[argc++] = "--threads";
  argv[argc++] = "1";
  argv[argc++] = "-q";
  argv[argc] = NULL;
  cr_assert_eq(chdir(dir), 0, "chdir %s: %s", dir, strerror(errno));
  int rc = harm_cli_main(argc, argv);
  snprintf(path, sizeof path, "%s/expected/exit", dir);
  char *exit_text = test_slurp_must(path);
  cr_expect_eq(rc, atoi(exit_text), "%s: exit %d", name, rc);
  free(exit_text);
  static const char *const outs[] = {"places.csv", "place_offenders.csv",
                                     "quality.csv"};
  /* A case checks the files it has worked out in expected/. */
  static const char *const opt[] = {"places_by_area.csv"};
  for (size_t k = 0; k < 4; k++) {
    const char *f = k < 3 ? outs[k] : opt[k - 3];
    char got[128], want[800];
    snprintf(got, sizeof got, "%s/%s", tmp, f);
    snprintf(want, sizeof want, "%s/expected/%s", dir, f);
    if (access(want, R_OK) == 0) {
      test_expect_same_file(name, got, want);
    }
    if (k == 3) {
      remove(got);
    }
  }
  static const char *const all[] = {"places.csv",    "place_offenders.csv",
                                    "quality.csv",   "places.xlsx",
                                    "manifest.json", "rejects.csv"};
  for (size_t k = 0; k < 6; k++) {
    char got[128];
    snprintf(got, sizeof got, "%s/%s", tmp, all[k]);
    cr_expect_eq(access(got, R_OK), 0, "%s: %s missing", name, all[k]);
    remove(got);
  }
  rmdir(tmp);
  free(args);
}

/* Place harm and ranks, offender links, the harm spot threshold, rows
 * with no place in the accounting, and both default-place rules. */
Test(places, harm_spots_links_no_place_and_default_places) {
  run_case("harm_spots_links_no_place_default");
}

/* A harm spot in both periods is persistent; one new this period is not. */
Test(places, persistence_across_two_periods) {
  run_case("persistence_two_periods");
}

/* A filter that removes a previous-period row: the row is counted outside
 * the window (not filtered) and leaves A Hotel's previous harm at 0, so
 * the spot is not persistent; E Garage, seen only in the previous period
 * (a harm spot there), is not ranked. Boundary dates on both period
 * edges. */
Test(places, filtered_previous_row_and_previous_only_place) {
  run_case("filter_previous_row_previous_only_place");
}

/* The top 2 places of each area (places_by_area.csv): Pub B's rows are
 * one in North and one in South, and the tie goes to North (bytewise);
 * Flat E is North's third; Flat F has no area and is left out. */
Test(places, top_places_per_area) { run_case("per_area_top"); }

/* Through the library: every offender's links plus their harm on rows
 * with no place equal their score in units, and the no-place rows are a
 * split of the scored rows. */
Test(places, offender_links_add_up_to_scores) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/harm_spots_links_no_place_default", PLACES_DIR);
  cr_assert_eq(chdir(dir), 0);
  harm_config *cfg = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_new(&cfg, &err), HARM_OK);
  cr_assert_eq(harm_config_set(cfg, "scoring", "as_of", "2026-06-30", &err),
               HARM_OK);
  const char *w[] = {"weights.csv"};
  harm_run_opts ro = HARM_RUN_OPTS_INIT;
  ro.offences = "offences.csv";
  ro.weights = w;
  ro.n_weights = 1;
  ro.read_places = true;
  ro.previous_days = 365;
  harm_run *r = NULL;
  cr_assert_eq(harm_run_new(cfg, &ro, &r, &err), HARM_OK, "%s", err.message);
  harm_places_opts po = HARM_PLACES_OPTS_INIT;
  harm_places *pl = NULL;
  cr_assert_eq(harm_places_new(r, cfg, &po, &pl, &err), HARM_OK, "%s",
               err.message);
  const harm_scores *s = harm_run_scores(r, 0);
  int64_t no_place_total = 0;
  for (size_t i = 0; i < harm_scores_count(s); i++) {
    const harm_score *sc = harm_scores_at(s, i);
    size_t idx[64];
    size_t n = harm_places_of_offender(pl, sc->subject, idx, 64);
    int64_t sum = 0;
    for (size_t k = 0; k < n && k < 64; k++) {
      sum += harm_places_link(pl, idx[k])->harm_units;
    }
    no_place_total += sc->harm_units - sum;
  }
  const harm_places_summary *sum = harm_places_summary_get(pl);
  /* O1 2.385 (CR6) and O2 17.25 (CR7) are the only rows with no place. */
  cr_expect_eq(no_place_total, 19635000);
  cr_expect_eq(sum->harm_no_place_units, 19635000);
  harm_accounting a = harm_run_accounting(r);
  cr_expect_eq(sum->rows_scored, a.scored);
  cr_expect_eq(sum->rows_no_place, 2);
  harm_places_free(pl);
  harm_run_free(r);
  harm_config_free(cfg);
}

/* The area role stays the area in a places run (the place has its own
 * role): a filter on it tests the area. Every row of the case is in North,
 * so a filter on South matches no row and stops the run (exit 1, the
 * check that stops a wrong list), and one on North filters nothing. */
Test(places, filter_on_area_role_filters_the_area) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/harm_spots_links_no_place_default", PLACES_DIR);
  cr_assert_eq(chdir(dir), 0);
  char out[] = "/tmp/harmrank-places-area-south-XXXXXX";
  test_mkdtemp(out);
  char *south[] = {"harmrank",  "places",      "--offences", "offences.csv",
                   "--weights", "weights.csv", "--as-of",    "2026-06-30",
                   "--filter",  "area=South",  "--out",      out,
                   "-q",        NULL};
  cr_expect_eq(harm_cli_main(13, south), 1);
  harm_config *cfg = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_config_new(&cfg, &err), HARM_OK);
  cr_assert_eq(harm_config_set(cfg, "scoring", "as_of", "2026-06-30", &err),
               HARM_OK);
  cr_assert_eq(harm_config_set(cfg, "filter", "area", "North", &err), HARM_OK,
               "%s", err.message);
  const char *w[] = {"weights.csv"};
  harm_run_opts ro = HARM_RUN_OPTS_INIT;
  ro.offences = "offences.csv";
  ro.weights = w;
  ro.n_weights = 1;
  ro.read_places = true;
  harm_run *r = NULL;
  cr_assert_eq(harm_run_new(cfg, &ro, &r, &err), HARM_OK, "%s", err.message);
  harm_accounting a = harm_run_accounting(r);
  /* 44 rows: CR9 (2024) outside the window, CR2's second copy a duplicate,
   * CR8 (092/07, proactive) filtered, the other 41 scored; the area filter
   * removes none. */
  cr_expect_eq(a.read, 44);
  cr_expect_eq(a.outside_window, 1);
  cr_expect_eq(a.duplicates, 1);
  cr_expect_eq(a.filtered, 1);
  cr_expect_eq(a.scored, 41);
  harm_run_free(r);
  harm_config_free(cfg);
}

/* --top-per-area on offences whose area column is missing (here renamed
 * away with [columns] area) would give an empty places_by_area.csv that
 * reads as "no place in any area": the run stops (exit 1, data) and
 * leaves no output behind. */
Test(places, top_per_area_without_any_area_stops_the_run) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/per_area_top", PLACES_DIR);
  cr_assert_eq(chdir(dir), 0);
  char out[] = "/tmp/harmrank-places-noarea-XXXXXX";
  test_mkdtemp(out);
  char *argv[] = {
      "harmrank",       "places",      "--offences", "offences.csv",
      "--weights",      "weights.csv", "--as-of",    "2026-06-30",
      "--top-per-area", "2",           "--set",      "columns.area=region",
      "--out",          out,           "-q",         NULL};
  cr_expect_eq(harm_cli_main(15, argv), 1);
  static const char *const files[] = {"places.csv", "places_by_area.csv",
                                      "places.xlsx", "manifest.json"};
  for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
    char got[128];
    snprintf(got, sizeof got, "%s/%s", out, files[k]);
    cr_expect_neq(access(got, F_OK), 0, "%s left behind", files[k]);
  }
  cr_expect_eq(rmdir(out), 0, "the output folder is not empty");
}

/* A file with a place column but no row in the window (as_of before
 * every row: all 44 future-dated). `score` writes an empty list with its
 * top_places column (exit 0, as for any empty window); `places` says no
 * place has a scored offence (exit 1). Neither may claim the file has no
 * place column (exit 2), which they did when no record was kept. */
Test(places, empty_window_with_a_place_column) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/harm_spots_links_no_place_default", PLACES_DIR);
  cr_assert_eq(chdir(dir), 0);
  char out[] = "/tmp/harmrank-places-empty-XXXXXX";
  test_mkdtemp(out);
  char scores[600];
  snprintf(scores, sizeof scores, "%s/scores.csv", out);
  char *score[] = {"harmrank",  "score",       "--offences", "offences.csv",
                   "--weights", "weights.csv", "--as-of",    "2020-01-31",
                   "-o",        scores,        "-q",         NULL};
  cr_expect_eq(harm_cli_main(11, score), 0);
  char *head = test_slurp_must(scores);
  cr_expect(strncmp(head, "rank,", 5) == 0 && strstr(head, "top_places\n"),
            "%s", head);
  cr_expect_null(strchr(strchr(head, '\n') + 1, '\n'), "no data row: %s", head);
  free(head);
  char pdir[600];
  snprintf(pdir, sizeof pdir, "%s/places", out);
  char *places[] = {"harmrank",  "places",      "--offences", "offences.csv",
                    "--weights", "weights.csv", "--as-of",    "2020-01-31",
                    "--out",     pdir,          "-q",         NULL};
  cr_expect_eq(harm_cli_main(11, places), 1);
}
