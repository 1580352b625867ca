/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/test_ingest_large.c: generated inputs big enough (over
 * 2 MiB) for the parallel offences reader: line ends other than LF must
 * give the same rows, rejects and reject line numbers at 1, 2 and 4
 * threads, from a file and from memory; and an over-long field is
 * rejected with bounded memory. Expected counts and line numbers come
 * from how the input was generated, not from a run. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <harmrank.h>

enum { N_ROWS = 80000, BAD_EVERY = 9973, MAX_LOG = 16 };

typedef struct gen {
  char *p;
  size_t len, cap;
  size_t bad_lines[MAX_LOG]; /* physical lines of the bad rows */
  size_t n_bad;
} gen;

static void put(gen *g, const char *s) {
  size_t n = strlen(s);
  if (g->len + n > g->cap) {
    g->cap = (g->len + n) * 2;
    g->p = realloc(g->p, g->cap);
    cr_assert_not_null(g->p);
  }
  memcpy(g->p + g->len, s, n);
  g->len += n;
}

/* N_ROWS data rows, one per line; row k (1-based) is a bad date when k is
 * a multiple of BAD_EVERY, so it sits on line k + 1. The header ends in
 * hdr_end, every data row in body_end. */
static gen make(const char *hdr_end, const char *body_end) {
  gen g = {NULL, 0, 0, {0}, 0};
  put(&g, "offence_id,offender_id,offence_code,offence_date,victim_id");
  put(&g, hdr_end);
  char row[128];
  for (size_t k = 1; k <= N_ROWS; k++) {
    bool bad = k % BAD_EVERY == 0;
    snprintf(row, sizeof row, "CR%zu,N%zu,008/06,%s,V%zu%s", k, k % 731,
             bad ? "2024-02-30" : "2024-05-02", k % 7, body_end);
    put(&g, row);
    if (bad) {
      g.bad_lines[g.n_bad++] = k + 1;
    }
  }
  cr_assert_gt(g.len, (size_t)2 << 20, "the input must be over 2 MiB");
  return g;
}

typedef struct rej_log {
  size_t lines[MAX_LOG];
  size_t n;
} rej_log;

static bool collect(void *ctx, const harm_reject *r) {
  rej_log *log = ctx;
  if (log->n < MAX_LOG) {
    log->lines[log->n] = r->line;
  }
  log->n++;
  return true;
}

static void check(const gen *g, unsigned threads, bool from_file,
                  const char *what) {
  rej_log log = {{0}, 0};
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.threads = threads;
  /* At 4 threads, chunks of 64 KiB give every thread several cuts. */
  o.min_chunk_bytes = threads == 4 ? (size_t)1 << 16 : 0;
  o.as_of = HARM_DATE_NONE;
  o.on_reject = collect;
  o.reject_ctx = &log;
  harm_dataset *ds = NULL;
  harm_error err = HARM_ERROR_INIT;
  harm_status st;
  char path[] = "/tmp/harm-large-XXXXXX";
  if (from_file) {
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, g->p, g->len), (ssize_t)g->len);
    close(fd);
    st = harm_ingest_file(path, &o, &ds, &err);
    unlink(path);
  } else {
    st = harm_ingest_buffer("large.csv", g->p, g->len, &o, &ds, &err);
  }
  cr_assert_eq(st, HARM_OK, "%s, %u threads: %s", what, threads, err.message);
  harm_accounting a = harm_dataset_accounting(ds);
  cr_expect_eq(a.read, N_ROWS, "%s, %u threads, %s: read %llu", what, threads,
               from_file ? "file" : "buffer", (unsigned long long)a.read);
  cr_expect_eq(a.rejected, g->n_bad, "%s, %u threads: rejected %llu", what,
               threads, (unsigned long long)a.rejected);
  cr_expect_eq(a.kept, N_ROWS - g->n_bad, "%s, %u threads: kept %llu", what,
               threads, (unsigned long long)a.kept);
  cr_expect_eq(harm_dataset_n_subjects(ds), 731, "%s, %u threads", what,
               threads);
  cr_assert_eq(log.n, g->n_bad, "%s, %u threads", what, threads);
  for (size_t i = 0; i < g->n_bad; i++) {
    cr_expect_eq(log.lines[i], g->bad_lines[i],
                 "%s, %u threads, %s: reject %zu on line %zu, expected %zu",
                 what, threads, from_file ? "file" : "buffer", i, log.lines[i],
                 g->bad_lines[i]);
  }
  harm_dataset_free(ds);
}

static void check_all(const char *hdr_end, const char *body_end,
                      const char *what) {
  gen g = make(hdr_end, body_end);
  cr_assert_eq(g.n_bad, N_ROWS / BAD_EVERY);
  static const unsigned threads[] = {1, 2, 4};
  for (size_t t = 0; t < 3; t++) {
    check(&g, threads[t], true, what);
    check(&g, threads[t], false, what);
  }
  free(g.p);
}

Test(ingest_large, lone_cr_file_reads_every_row_at_any_thread_count,
     .timeout = 60) {
  check_all("\r", "\r", "lone CR");
}

Test(ingest_large, lone_cr_header_with_lf_body_keeps_row_1_and_line_numbers,
     .timeout = 60) {
  check_all("\r", "\n", "CR header, LF body");
}

Test(ingest_large, crlf_and_lf_files_agree_at_any_thread_count, .timeout = 60) {
  check_all("\r\n", "\r\n", "CRLF");
  check_all("\n", "\n", "LF");
}

/* A row whose offender_id is FIELD_MB megabytes, read from a pipe in a
 * child process: the row is rejected, the next one kept, and the child's
 * peak resident memory stays far below the field's size (the reader used
 * to hold the whole field, and more while growing its buffer). */
enum { FIELD_MB = 256, PEAK_LIMIT_MB = 96 };

static void write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t k = write(fd, p, n);
    if (k <= 0) {
      _exit(3);
    }
    p += k;
    n -= (size_t)k;
  }
}

Test(ingest_large, field_of_256_megabytes_is_rejected_in_bounded_memory,
     .timeout = 120) {
  pid_t child = fork();
  cr_assert_geq(child, 0);
  if (child == 0) {
    int fds[2];
    if (pipe(fds) != 0) {
      _exit(2);
    }
    pid_t writer = fork();
    if (writer == 0) {
      close(fds[0]);
      static char block[1 << 16];
      memset(block, 'N', sizeof block);
      const char *head = "offence_id,offender_id,offence_code,offence_date\n"
                         "CR1,";
      write_all(fds[1], head, strlen(head));
      for (size_t i = 0; i < (size_t)FIELD_MB * 16; i++) {
        write_all(fds[1], block, sizeof block);
      }
      const char *tail = ",008/06,2024-05-02\nCR2,N2,008/06,2024-05-03\n";
      write_all(fds[1], tail, strlen(tail));
      _exit(0);
    }
    close(fds[1]);
    if (dup2(fds[0], STDIN_FILENO) < 0) {
      _exit(2);
    }
    harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
    o.threads = 1;
    harm_dataset *ds = NULL;
    harm_error err = HARM_ERROR_INIT;
    harm_status st = harm_ingest_file("-", &o, &ds, &err);
    int wstatus = 0;
    waitpid(writer, &wstatus, 0);
    if (st != HARM_OK) {
      _exit(4);
    }
    harm_accounting a = harm_dataset_accounting(ds);
    if (a.read != 2 || a.rejected != 1 || a.kept != 1) {
      _exit(5);
    }
    harm_dataset_free(ds);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    /* ru_maxrss is in KiB on Linux. */
    _exit(ru.ru_maxrss > (long)PEAK_LIMIT_MB * 1024 ? 6 : 0);
  }
  int wstatus = 0;
  cr_assert_eq(waitpid(child, &wstatus, 0), child);
  cr_assert(WIFEXITED(wstatus), "the reader died (signal %d)",
            WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
  cr_assert_neq(WEXITSTATUS(wstatus), 4, "ingest failed");
  cr_assert_neq(WEXITSTATUS(wstatus), 5, "wrong row accounting");
  cr_assert_neq(WEXITSTATUS(wstatus), 6,
                "peak memory over %d MB for a %d MB field", PEAK_LIMIT_MB,
                FIELD_MB);
  cr_assert_eq(WEXITSTATUS(wstatus), 0);
}
