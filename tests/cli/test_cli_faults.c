/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/cli/test_cli_faults.c: failure behaviour of whole commands: every
 * allocation failure ends in exit 4 with no output written, and a run
 * killed while writing leaves each output either as it was or complete,
 * with the manifest (renamed last) naming the hashes of a complete set. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "core/internal.h"
#include <harmrank.h>
#include "support.h"

/* The file's length (its text in *out, NUL-terminated), or -1. */
static long slurp_len(const char *path, char **out) {
  size_t n;
  *out = test_slurp(path, &n);
  return *out ? (long)n : -1;
}

static char dir[256];

static void write_file(const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *fp = fopen(path, "w");
  cr_assert_not_null(fp);
  fputs(text, fp);
  fclose(fp);
}

/* Counts directory entries other than . and .. */
static int count_entries(const char *sub) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, sub);
  DIR *d = opendir(path);
  if (!d) {
    return 0;
  }
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  }
  closedir(d);
  return n;
}

static void make_scenario(void) {
  snprintf(dir, sizeof dir, "/tmp/harm-faults-XXXXXX");
  test_mkdtemp(dir);
  write_file("offences.csv",
             "offence_id,offender_id,offence_code,offence_date,victim_id,"
             "domestic,area\n"
             "C1,P1,34B,2026-10-01,V1,Y,North\n"
             "C2,P2,8N,2026-09-12,V2,Y,South\n"
             "C3,P3,19C,2026-08-30,V3,Y,North\n"
             "C4,P1,8N,2026-07-01,V1,Y,North\n"
             "C5,P4,105A,2026-06-01,,Y,South\n"
             "C6,P5,bad-code,2026-05-01,V5,Y,South\n"
             "C7,P6,8N,2026-13-01,V6,Y,South\n");
  write_file("weights.csv",
             "offence_code,description,harm,category,proactive,source\n"
             "34B,Robbery of personal property,365,Robbery,0,anchor: test\n"
             "8N,Assault with injury,10,Violence with injury,0,estimate: t\n"
             "19C,Rape,1825,Rape,0,estimate: t\n"
             "105A,Common assault,1,Violence without injury,0,estimate: t\n");
  write_file("panel.ini", "[cohort]\nsize = 2\nreferral_slots = 2\n"
                          "[weights]\nfile = weights.csv\n");
  write_file("referrals.csv", "offender_id,agency,referred_on,reason,priority\n"
                              "P4,Probation,2026-10-02,licence,1\n"
                              "P4,Housing,2026-10-03,threats,\n"
                              "P9,IDVA,2026-10-04,no record,\n");
  write_file("exclusions.csv", "offender_id,reason\nP2,in custody\n");
}

static int run_cohort(const char *out, const char *as_of) {
  char ini[300], off[300], ref[300], exc[300], outdir[300];
  snprintf(ini, sizeof ini, "%s/panel.ini", dir);
  snprintf(off, sizeof off, "%s/offences.csv", dir);
  snprintf(ref, sizeof ref, "%s/referrals.csv", dir);
  snprintf(exc, sizeof exc, "%s/exclusions.csv", dir);
  snprintf(outdir, sizeof outdir, "%s/%s", dir, out);
  char *argv[] = {"harmrank",    "cohort",     "-c",
                  ini,           "--offences", off,
                  "--referrals", ref,          "--exclusions",
                  exc,           "--as-of",    (char *)as_of,
                  "--out",       outdir,       "-q",
                  "--threads",   "1",          NULL};
  return harm_cli_main((int)(sizeof argv / sizeof *argv) - 1, argv);
}

static void quiet(void) {
  /* Error messages of the failing runs are expected; keep logs short. */
  FILE *f = freopen("/dev/null", "w", stderr);
  (void)f;
}

static bool same_file(const char *a, const char *b);

Test(faults, every_allocation_failure_exits_4_and_writes_nothing,
     .init = quiet) {
  make_scenario();
  cr_assert_eq(run_cohort("reference", "2026-10-31"), 0);
  /* Failing allocation n = 1, 2, ... until the run no longer reaches an
   * n-th allocation. Each run either stops with exit 4 and writes
   * nothing, or recovers (libcsv retries a failed buffer growth with a
   * smaller size) and writes exactly the reference outputs. */
  int n, recovered = 0;
  for (n = 1; n < 20000; n++) {
    char out[32];
    snprintf(out, sizeof out, "out-%d", n);
    harm__fault_fail_after((uint64_t)n);
    int rc = run_cohort(out, "2026-10-31");
    uint64_t calls = harm__fault_fail_after(0);
    if (rc == 0) {
      static const char *const names[] = {"cohort.csv", "movers.csv",
                                          "notes.csv", "rejects.csv"};
      for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        char a[600], b[600];
        snprintf(a, sizeof a, "%s/%s/%s", dir, out, names[k]);
        snprintf(b, sizeof b, "%s/reference/%s", dir, names[k]);
        cr_assert(same_file(a, b), "allocation %d: %s differs", n, names[k]);
      }
      if (calls < (uint64_t)n) {
        break; /* the n-th allocation never happened: all covered */
      }
      recovered++;
      continue;
    }
    cr_assert_eq(rc, HARM_EXIT_INTERNAL, "allocation %d: exit %d", n, rc);
    /* No output and no temporary file left behind (the folder itself may
     * exist: it is created before anything is read). */
    cr_assert_eq(count_entries(out), 0, "allocation %d left files", n);
  }
  cr_assert_gt(n, 50, "the run should allocate more than 50 times");
  cr_log_info("%d allocation points, %d recovered by a retry", n - 1,
              recovered);
}

/* Reads a whole file; returns its size or -1. */
static bool same_file(const char *a, const char *b) {
  char *x = NULL, *y = NULL;
  long nx = slurp_len(a, &x), ny = slurp_len(b, &y);
  bool same = nx >= 0 && nx == ny && memcmp(x, y, (size_t)nx) == 0;
  free(x);
  free(y);
  return same;
}

Test(faults, a_killed_run_leaves_each_output_old_or_complete, .init = quiet,
     .timeout = 60) {
  make_scenario();
  /* The previous month's outputs and, for reference, this month's. */
  cr_assert_eq(run_cohort("live", "2026-09-15"), 0);
  cr_assert_eq(run_cohort("old", "2026-09-15"), 0);
  cr_assert_eq(run_cohort("new", "2026-10-31"), 0);
  static const char *const names[] = {"cohort.csv", "movers.csv", "notes.csv",
                                      "rejects.csv"};
  srand(20261123);
  int saw_old = 0, saw_new = 0;
  for (int round = 0; round < 40; round++) {
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
      /* The child runs this month; the parent kills it after 0-30 ms, so
       * kills land before, during and after the renames. */
      _exit(run_cohort("live", "2026-10-31"));
    }
    struct timespec ts = {0, (long)(rand() % 30000) * 1000L};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
      char live[600], old[600], fresh[600];
      snprintf(live, sizeof live, "%s/live/%s", dir, names[k]);
      snprintf(old, sizeof old, "%s/old/%s", dir, names[k]);
      snprintf(fresh, sizeof fresh, "%s/new/%s", dir, names[k]);
      bool is_old = same_file(live, old), is_new = same_file(live, fresh);
      cr_assert(is_old || is_new, "round %d: %s is neither old nor new", round,
                names[k]);
      saw_old += is_old && !is_new;
      saw_new += is_new && !is_old;
    }
    /* The manifest is renamed last: once it is new, every file it lists
     * is the new one. */
    char live_m[600], new_m[600];
    snprintf(live_m, sizeof live_m, "%s/live/manifest.json", dir);
    snprintf(new_m, sizeof new_m, "%s/new/manifest.json", dir);
    char *text = NULL;
    cr_assert_geq(slurp_len(live_m, &text), 0);
    bool manifest_new = strstr(text, "\"as_of\": \"2026-10-31\"") != NULL;
    free(text);
    if (manifest_new) {
      for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        char live[600], fresh[600];
        snprintf(live, sizeof live, "%s/live/%s", dir, names[k]);
        snprintf(fresh, sizeof fresh, "%s/new/%s", dir, names[k]);
        cr_assert(same_file(live, fresh), "round %d: manifest new, %s old",
                  round, names[k]);
      }
    }
    /* Put the old month back for the next round. */
    cr_assert_eq(run_cohort("live", "2026-09-15"), 0);
  }
  cr_log_info("kept old %d times, complete new %d times", saw_old, saw_new);
}
