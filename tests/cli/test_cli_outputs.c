/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/cli/test_cli_outputs.c: what a run does with the files it is
 * given (issue 11, items 8, 9, 15-18): pseudonymised runs refuse to group
 * by a person column, data printed to a terminal is escaped, outputs
 * never replace devices, FIFOs or links, no output may name an input or
 * another output, the manifest hashes the bytes read (a pipe included),
 * and signals, SIGKILL leftovers and --strict failures leave no stray or
 * changed files. Every expected value is worked out by hand (hashes with
 * sha256sum on the literal text). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include <harmrank.h>
#include "support.h"

static char dir[256];

static const char weights_text[] =
    "offence_code,description,harm,category,proactive,source\n"
    "34B,Robbery,365,Robbery,0,anchor: t\n"
    "8N,Assault with injury,10,Violence,0,estimate: t\n";
/* printf '%s' "$weights_text" | sha256sum; 141 bytes. */
static const char weights_sha[] =
    "228694e874a23e2875f7e4009fae8378677512a0736ffd905e7394ce02d6bbd8";
static const char cohort_ini[] = "[cohort]\nsize = 2\n";
/* printf '[cohort]\nsize = 2\n' | sha256sum; 18 bytes. */
static const char cohort_ini_sha[] =
    "927b2e2a728f1ba3b7af6d69d9ae43190a7182069c5efeb43416f2410a38bc2b";

static const char offences_text[] =
    "offence_id,offender_id,offence_code,offence_date,victim_id,area\n"
    "C1,SMITHJ71,34B,2026-10-01,VIC-ONE,North\n"
    "C2,JONESA80,8N,2026-09-12,VIC-TWO,South\n"
    "C3,SMITHJ71,8N,2026-13-01,VIC-ONE,North\n";

static char *at(const char *name) {
  static char buf[16][600];
  static int i;
  i = (i + 1) % 16;
  snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
  return buf[i];
}

static void put(const char *name, const char *text) {
  FILE *fp = fopen(at(name), "w");
  cr_assert_not_null(fp, "%s", name);
  fputs(text, fp);
  fclose(fp);
}

static void scenario(void) {
  snprintf(dir, sizeof dir, "/tmp/harm-outputs-XXXXXX");
  test_mkdtemp(dir);
  put("offences.csv", offences_text);
  put("weights.csv", weights_text);
  put("cohort.ini", cohort_ini);
  put("key", "KEYBYTES-0123456789abcdefghijklm");
  FILE *f = freopen("/dev/null", "w", stderr);
  (void)f;
}

static int cli(char **argv) {
  int argc = 0;
  while (argv[argc]) {
    argc++;
  }
  return harm_cli_main(argc, argv);
}

static size_t count_tmp(const char *folder) {
  DIR *d = opendir(folder);
  cr_assert_not_null(d, "%s", folder);
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    n += strstr(e->d_name, ".tmp-") != NULL;
  }
  closedir(d);
  return n;
}

/* ---- 8: pseudonymise with group-by ------------------------------------- */

Test(outputs, pseudonymise_with_group_by_a_person_column_exits_2) {
  scenario();
  char *a[] = {"harmrank",
               "score",
               "--offences",
               at("offences.csv"),
               "--weights",
               at("weights.csv"),
               "--pseudonymise",
               at("key"),
               "--group-by",
               "victim_id",
               "-o",
               at("s.csv"),
               NULL};
  cr_assert_eq(cli(a), HARM_EXIT_USAGE);
  cr_assert_neq(access(at("s.csv"), F_OK), 0, "no scores.csv written");
  /* offender_id remapped to another column, then grouped by the original
   * offender_id column: its raw ids would be the subjects. */
  char *b[] = {"harmrank",
               "score",
               "--offences",
               at("offences.csv"),
               "--weights",
               at("weights.csv"),
               "--pseudonymise",
               at("key"),
               "--set",
               "columns.offender_id=victim_id",
               "--group-by",
               "offender_id",
               "-o",
               at("s.csv"),
               NULL};
  cr_assert_eq(cli(b), HARM_EXIT_USAGE);
  cr_assert_neq(access(at("s.csv"), F_OK), 0);
  /* Places are not people: grouping by area stays allowed. */
  char *c[] = {"harmrank",
               "score",
               "--offences",
               at("offences.csv"),
               "--weights",
               at("weights.csv"),
               "--pseudonymise",
               at("key"),
               "--group-by",
               "area",
               "-o",
               at("s.csv"),
               NULL};
  cr_assert_eq(cli(c), 0);
  char *text = test_slurp_must(at("s.csv"));
  cr_assert_not_null(strstr(text, ",North,"));
  cr_assert_null(strstr(text, "VIC-"));
  free(text);
}

Test(outputs, library_refuses_a_pseudonymised_person_grouping) {
  scenario();
  harm_ingest_opts io = HARM_INGEST_OPTS_INIT;
  static const unsigned char key[] = "KEYBYTES-0123456789abcdefghijklm";
  io.pseudonym_key = key;
  io.pseudonym_key_len = 32;
  io.group_by = "victim_id";
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  cr_assert_eq(harm_ingest_file(at("offences.csv"), &io, &ds, &err),
               HARM_ERR_USAGE);
  cr_assert_null(ds);
  cr_assert_str_eq(err.column, "victim_id");
}

/* ---- 9: terminal escaping and the formula guard ------------------------ */

Test(outputs, control_bytes_from_data_never_reach_the_terminal_raw) {
  scenario();
  put("evil.csv", "offence_id,offender_id,offence_code,offence_date\n"
                  "C1,\"\x1b]0;pwned\x07N1\",34B,2026-10-01\n"
                  "C2,N2,\"X\x1b[2J\",2026-10-02\n"
                  "C3,\"\n=HYPERLINK(1)\",34B,2026-10-03\n");
  FILE *o = freopen(at("stdout.txt"), "w", stdout);
  cr_assert_not_null(o);
  FILE *e = freopen(at("stderr.txt"), "w", stderr);
  cr_assert_not_null(e);
  char *a[] = {"harmrank",     "cohort",    "--offences",
               at("evil.csv"), "--weights", at("weights.csv"),
               "--out",        at("out"),   NULL};
  cr_assert_eq(cli(a), 0);
  fflush(stdout);
  fflush(stderr);
  char *out = test_slurp_must(at("stdout.txt"));
  char *err = test_slurp_must(at("stderr.txt"));
  cr_assert_null(strchr(out, '\x1b'), "ESC on stdout");
  cr_assert_null(strchr(out, '\x07'), "BEL on stdout");
  cr_assert_null(strchr(err, '\x1b'), "ESC on stderr");
  /* The listing shows the bytes, escaped. */
  cr_assert_not_null(strstr(out, "\\x1b]0;pwned\\x07N1"));
  cr_assert_not_null(strstr(out, "\\x0a=HYPERLINK(1)"));
  /* The unknown-code warning names the code, escaped. */
  cr_assert_not_null(strstr(err, "X\\x1b[2J (1)"));
  /* In cohort.csv the id starting with a line feed then "=" is guarded:
   * quoted (it holds a line feed) and prefixed with a single quote. */
  char *csv = test_slurp_must(at("out/cohort.csv"));
  cr_assert_not_null(strstr(csv, ",\"'\n=HYPERLINK(1)\","), "%s", csv);
  free(csv);
  free(out);
  free(err);
}

Test(outputs, formula_guard_looks_past_leading_blanks_and_breaks) {
  cr_assert(harm_report_formula_like("=1", 2));
  cr_assert(harm_report_formula_like("\n=1", 3));
  cr_assert(harm_report_formula_like("  \r\n@x", 6));
  cr_assert(harm_report_formula_like(" -2", 3));
  cr_assert(harm_report_formula_like("\tA", 2));
  cr_assert_not(harm_report_formula_like("N1", 2));
  cr_assert_not(harm_report_formula_like("\nN=1", 4));
  cr_assert_not(harm_report_formula_like("   ", 3));
}

/* ---- 15: non-regular destinations and links ---------------------------- */

Test(outputs, device_link_and_fifo_destinations_are_not_replaced) {
  scenario();
  struct stat sb;
  cr_assert_eq(stat("/dev/null", &sb), 0);
  cr_assert(S_ISCHR(sb.st_mode), "this test needs /dev/null to be a device");
  cr_assert_eq(symlink("/dev/null", at("mynull")), 0);
  cr_assert_eq(mkfifo(at("myfifo"), 0600), 0);
  put("real.csv", "old\n");
  cr_assert_eq(symlink("real.csv", at("link.csv")), 0);
  /* A reader for the FIFO, so the writer does not block. */
  pid_t reader = fork();
  cr_assert_neq(reader, -1);
  if (reader == 0) {
    int fd = open(at("myfifo"), O_RDONLY);
    char buf[4096];
    size_t total = 0;
    ssize_t n;
    while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0) {
      total += (size_t)n;
    }
    /* The header line at least: "line,column,reason,raw\n" is 23. */
    _exit(total >= 23 ? 0 : 1);
  }
  char *a[] = {"harmrank",  "score",           "--offences", at("offences.csv"),
               "--weights", at("weights.csv"), "-o",         at("mynull"),
               "--rejects", at("myfifo"),      NULL};
  cr_assert_eq(cli(a), 0);
  int status;
  cr_assert_eq(waitpid(reader, &status, 0), reader);
  cr_assert_eq(stat("/dev/null", &sb), 0);
  cr_assert(S_ISCHR(sb.st_mode), "/dev/null is still a device");
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "the FIFO's reader got the rejects");
  cr_assert_eq(lstat(at("mynull"), &sb), 0);
  cr_assert(S_ISLNK(sb.st_mode), "mynull is still a link");
  cr_assert_eq(lstat(at("myfifo"), &sb), 0);
  cr_assert(S_ISFIFO(sb.st_mode), "myfifo is still a FIFO");
  /* A link to a regular file: the target gets the scores, the link
   * stays a link. */
  char *b[] = {"harmrank",  "score",           "--offences", at("offences.csv"),
               "--weights", at("weights.csv"), "-o",         at("link.csv"),
               "--rejects", at("r.csv"),       NULL};
  cr_assert_eq(cli(b), 0);
  cr_assert_eq(lstat(at("link.csv"), &sb), 0);
  cr_assert(S_ISLNK(sb.st_mode), "link.csv is still a link");
  char *t = test_slurp_must(at("real.csv"));
  cr_assert(strncmp(t, "rank,offender_id,", 17) == 0, "%s", t);
  free(t);
  cr_assert_eq(count_tmp(dir), 0);
}

Test(outputs, output_set_with_a_non_regular_member_exits_2) {
  scenario();
  cr_assert_eq(mkdir(at("out"), 0700), 0);
  cr_assert_eq(mkfifo(at("out/cohort.csv"), 0600), 0);
  char *a[] = {"harmrank",  "cohort",          "--offences", at("offences.csv"),
               "--weights", at("weights.csv"), "--out",      at("out"),
               NULL};
  cr_assert_eq(cli(a), HARM_EXIT_USAGE);
  struct stat sb;
  cr_assert_eq(lstat(at("out/cohort.csv"), &sb), 0);
  cr_assert(S_ISFIFO(sb.st_mode));
}

/* ---- 16: an output naming an input or another output ------------------- */

Test(outputs, output_naming_an_input_or_another_output_exits_2) {
  scenario();
  put("same.csv", offences_text);
  char *a[] = {"harmrank",  "score",           "--offences", at("same.csv"),
               "--weights", at("weights.csv"), "-o",         at("same.csv"),
               "--rejects", at("same.csv"),    NULL};
  cr_assert_eq(cli(a), HARM_EXIT_USAGE);
  char *t = test_slurp_must(at("same.csv"));
  cr_assert_str_eq(t, offences_text, "the input is untouched");
  free(t);
  /* Two outputs, one file not there yet, spelt differently. */
  char other[700];
  snprintf(other, sizeof other, "%s/./s.csv", dir);
  char *b[] = {"harmrank",   "score",
               "--offences", at("offences.csv"),
               "--weights",  at("weights.csv"),
               "-o",         at("s.csv"),
               "--rejects",  other,
               NULL};
  cr_assert_eq(cli(b), HARM_EXIT_USAGE);
  cr_assert_neq(access(at("s.csv"), F_OK), 0);
  /* -o rejects.csv: the default rejects file is the same file. */
  char *c[] = {"harmrank",  "score",           "--offences", at("offences.csv"),
               "--weights", at("weights.csv"), "-o",         at("rejects.csv"),
               NULL};
  cr_assert_eq(cli(c), HARM_EXIT_USAGE);
  /* A link to the weights as the output. */
  cr_assert_eq(symlink("weights.csv", at("wlink")), 0);
  char *d[] = {"harmrank",  "score",           "--offences", at("offences.csv"),
               "--weights", at("weights.csv"), "-o",         at("wlink"),
               NULL};
  cr_assert_eq(cli(d), HARM_EXIT_USAGE);
  t = test_slurp_must(at("weights.csv"));
  cr_assert_str_eq(t, weights_text);
  free(t);
}

Test(outputs, output_folder_holding_an_input_exits_2) {
  scenario();
  cr_assert_eq(mkdir(at("out"), 0700), 0);
  put("out/cohort.csv", "slot,offender_id,reason,partition,score_rank,"
                        "pool_rank,harm,offences,victims,first_offence,"
                        "last_offence,max_offence_harm,top_code,breakdown,"
                        "agencies,referral_reason,referred_on,months_served\n");
  char *before = test_slurp_must(at("out/cohort.csv"));
  char *a[] = {
      "harmrank",  "cohort",          "--offences", at("offences.csv"),
      "--weights", at("weights.csv"), "--previous", at("out/cohort.csv"),
      "--out",     at("out"),         NULL};
  cr_assert_eq(cli(a), HARM_EXIT_USAGE);
  char *after = test_slurp_must(at("out/cohort.csv"));
  cr_assert_str_eq(after, before);
  free(before);
  free(after);
  /* An analysis folder that holds the offences under a table's name. */
  cr_assert_eq(mkdir(at("an"), 0700), 0);
  put("an/lorenz.csv", offences_text);
  char *b[] = {
      "harmrank",  "concentration",   "--offences", at("an/lorenz.csv"),
      "--weights", at("weights.csv"), "--out",      at("an"),
      NULL};
  cr_assert_eq(cli(b), HARM_EXIT_USAGE);
  char *t = test_slurp_must(at("an/lorenz.csv"));
  cr_assert_str_eq(t, offences_text);
  free(t);
  /* Config files are inputs too. */
  char *c[] = {"harmrank",   "score",
               "-c",         at("cohort.ini"),
               "--offences", at("offences.csv"),
               "--weights",  at("weights.csv"),
               "--rejects",  at("cohort.ini"),
               "-o",         at("s.csv"),
               NULL};
  cr_assert_eq(cli(c), HARM_EXIT_USAGE);
  t = test_slurp_must(at("cohort.ini"));
  cr_assert_str_eq(t, cohort_ini);
  free(t);
}

/* ---- 17: the manifest hashes the bytes as read ------------------------- */

/* A pipe carrying `text`, named /dev/fd/N like a shell's <(...). */
static void pipe_of(const char *text, char *name, size_t cap) {
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  pid_t w = fork();
  cr_assert_neq(w, -1);
  if (w == 0) {
    close(fds[0]);
    size_t n = strlen(text);
    ssize_t put_n = write(fds[1], text, n);
    _exit(put_n == (ssize_t)n ? 0 : 1);
  }
  close(fds[1]);
  snprintf(name, cap, "/dev/fd/%d", fds[0]);
}

Test(outputs, manifest_hashes_pipes_as_read) {
  scenario();
  char wpipe[64], cpipe[64];
  pipe_of(weights_text, wpipe, sizeof wpipe);
  pipe_of(cohort_ini, cpipe, sizeof cpipe);
  char *a[] = {"harmrank",   "cohort",           "-c",        cpipe,
               "--offences", at("offences.csv"), "--weights", wpipe,
               "--out",      at("out"),          NULL};
  cr_assert_eq(cli(a), 0);
  char *m = test_slurp_must(at("out/manifest.json"));
  cr_assert_not_null(strstr(m, weights_sha), "weights hash:\n%s", m);
  cr_assert_not_null(strstr(m, cohort_ini_sha), "config hash:\n%s", m);
  cr_assert_not_null(strstr(m, "\"bytes\": 141"));
  cr_assert_not_null(strstr(m, "\"bytes\": 18"));
  /* Never the hash of empty input. */
  cr_assert_null(strstr(m, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c"
                           "a495991b7852b855"));
  free(m);
}

Test(outputs, manifest_hashes_offences_from_standard_input_and_files) {
  scenario();
  /* Offences from a pipe through the sequential reader. */
  char opipe[64];
  pipe_of(offences_text, opipe, sizeof opipe);
  char *a[] = {"harmrank",        "cohort", "--offences", opipe, "--weights",
               at("weights.csv"), "--out",  at("out"),    NULL};
  cr_assert_eq(cli(a), 0);
  char *m = test_slurp_must(at("out/manifest.json"));
  /* printf '%s' "$offences_text" | sha256sum; 185 bytes. */
  cr_assert_not_null(strstr(m, "21e2c76b8f6d8e1b364c54dd2d096ebd28e950e1d4"
                               "622bb5d033fff9e3d46375"),
                     "%s", m);
  cr_assert_not_null(strstr(m, "\"bytes\": 185"));
  free(m);
}

/* ---- 18: signals, SIGKILL leftovers, --strict failures ----------------- */

/* Writes n rows: enough that reading them takes a while. Line 3 is bad
 * (a date that does not exist), so rejects.csv has a row from the
 * start. */
static void big_offences(const char *name, size_t n) {
  FILE *fp = fopen(at(name), "w");
  cr_assert_not_null(fp);
  fputs("offence_id,offender_id,offence_code,offence_date\n", fp);
  for (size_t i = 0; i < n; i++) {
    fprintf(fp, "C%zu,N%zu,%s,%s\n", i, i % 50000, i % 3 ? "8N" : "34B",
            i == 1 ? "2026-02-30" : "2026-10-01");
  }
  fclose(fp);
}

static void signal_leaves_no_temporary_file(int sig) {
  scenario();
  big_offences("big.csv", 3000000);
  cr_assert_eq(mkdir(at("out"), 0700), 0);
  pid_t child = fork();
  cr_assert_neq(child, -1);
  if (child == 0) {
    char *a[] = {"harmrank",    "cohort",    "--offences",
                 at("big.csv"), "--weights", at("weights.csv"),
                 "--out",       at("out"),   "--threads",
                 "1",           NULL};
    _exit(cli(a) == 0 ? 99 : 98);
  }
  /* Wait for the run's first temporary file, then interrupt it. */
  bool seen = false;
  for (int i = 0; i < 20000 && !seen; i++) {
    seen = count_tmp(at("out")) > 0;
    if (!seen) {
      struct timespec ts = {0, 500000};
      nanosleep(&ts, NULL);
    }
  }
  cr_assert(seen, "the run never created a temporary file");
  cr_assert_eq(kill(child, sig), 0);
  int status;
  cr_assert_eq(waitpid(child, &status, 0), child);
  cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == sig,
            "ended by the signal itself (status %d)", status);
  cr_assert_eq(count_tmp(at("out")), 0, "temporary files left behind");
}

Test(outputs, sigterm_leaves_no_temporary_file, .timeout = 120) {
  signal_leaves_no_temporary_file(SIGTERM);
}

Test(outputs, sigint_leaves_no_temporary_file, .timeout = 120) {
  signal_leaves_no_temporary_file(SIGINT);
}

Test(outputs, sighup_leaves_no_temporary_file, .timeout = 120) {
  signal_leaves_no_temporary_file(SIGHUP);
}

Test(outputs, next_run_removes_a_dead_runs_temporary_files) {
  scenario();
  pid_t dead = fork();
  cr_assert_neq(dead, -1);
  if (dead == 0) {
    _exit(0);
  }
  waitpid(dead, NULL, 0);
  char name[128];
  snprintf(name, sizeof name, ".s.csv.tmp-%ld-Ab12Cd", (long)dead);
  put(name, "raw rows of a killed run\n");
  char rname[128];
  snprintf(rname, sizeof rname, ".rejects.csv.tmp-%ld-Zz9Yy8", (long)dead);
  put(rname, "line,column,reason,raw\n4,,x,SECRET\n");
  /* A live owner's file (this process), and another output's file. */
  char live[128];
  snprintf(live, sizeof live, ".s.csv.tmp-%ld-Qq1Ww2", (long)getpid());
  put(live, "in progress\n");
  char other[128];
  snprintf(other, sizeof other, ".notes.csv.tmp-%ld-Ee3Rr4", (long)dead);
  put(other, "not this run's output\n");
  char *a[] = {"harmrank",  "score",           "--offences", at("offences.csv"),
               "--weights", at("weights.csv"), "-o",         at("s.csv"),
               NULL};
  cr_assert_eq(cli(a), 0);
  cr_assert_neq(access(at(name), F_OK), 0, "dead run's scores temp removed");
  cr_assert_neq(access(at(rname), F_OK), 0, "dead run's rejects removed");
  cr_assert_eq(access(at(live), F_OK), 0, "a live run's file is kept");
  cr_assert_eq(access(at(other), F_OK), 0, "another output's file is kept");
}

Test(outputs, strict_failure_leaves_the_previous_output_set_untouched) {
  scenario();
  char *a[] = {"harmrank",  "cohort",          "--offences", at("offences.csv"),
               "--weights", at("weights.csv"), "--out",      at("out"),
               NULL};
  cr_assert_eq(cli(a), 0);
  char *rej = test_slurp_must(at("out/rejects.csv"));
  char *man = test_slurp_must(at("out/manifest.json"));
  put("worse.csv", "offence_id,offender_id,offence_code,offence_date\n"
                   "C9,N9,34B,2026-02-30\n");
  char *b[] = {
      "harmrank",        "cohort", "--offences", at("worse.csv"), "--weights",
      at("weights.csv"), "--out",  at("out"),    "--strict",      NULL};
  cr_assert_eq(cli(b), HARM_EXIT_DATA);
  char *rej2 = test_slurp_must(at("out/rejects.csv"));
  char *man2 = test_slurp_must(at("out/manifest.json"));
  cr_assert_str_eq(rej2, rej, "rejects.csv changed");
  cr_assert_str_eq(man2, man);
  cr_assert_eq(count_tmp(at("out")), 0);
  free(rej);
  free(man);
  free(rej2);
  free(man2);
}
