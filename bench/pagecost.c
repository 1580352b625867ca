/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/pagecost.c: what a fresh page costs on this machine, next to
 * writing memory that is already mapped, so bench/RESULTS.md can say
 * how much of a run is the kernel handing out pages. For MiB (default
 * 200) it maps an anonymous region, writes one byte per 4 KiB page
 * (every write a page fault), writes the whole region again (no fault),
 * unmaps it, and does the same with the region advised for transparent
 * huge pages; REPS times (default 3), printing ns per 4 KiB page.
 *
 * usage: harmrank-pagecost [MiB [REPS]] */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Seconds to fault in every page of a fresh region of len bytes (2 MiB
 * aligned, advised for huge pages when thp), and to rewrite it. */
static int one(size_t len, int thp, double *fault_s, double *write_s) {
  size_t huge = (size_t)2 << 20;
  char *map = mmap(NULL, len + huge, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) {
    return -1;
  }
  char *p = (char *)(((size_t)map + huge - 1) & ~(huge - 1));
  if (thp) {
    (void)madvise(p, len, MADV_HUGEPAGE);
  }
  double t0 = now();
  for (size_t i = 0; i < len; i += 4096) {
    p[i] = 1;
  }
  double t1 = now();
  memset(p, 2, len);
  double t2 = now();
  munmap(map, len + huge);
  *fault_s = t1 - t0;
  *write_s = t2 - t1;
  return 0;
}

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 200;
  int reps = argc > 2 ? atoi(argv[2]) : 3;
  if (mib == 0 || reps <= 0) {
    fprintf(stderr, "usage: harmrank-pagecost [MiB [REPS]]\n");
    return 2;
  }
  size_t len = mib << 20;
  double pages = (double)(len / 4096);
  printf("%-4s %-10s %16s %16s\n", "rep", "pages", "fault ns/page",
         "rewrite ns/page");
  for (int r = 1; r <= reps; r++) {
    for (int thp = 0; thp < 2; thp++) {
      double f, w;
      if (one(len, thp, &f, &w) != 0) {
        perror("mmap");
        return 1;
      }
      printf("%-4d %-10s %16.0f %16.0f\n", r, thp ? "huge" : "4KiB",
             f * 1e9 / pages, w * 1e9 / pages);
    }
  }
  return 0;
}
