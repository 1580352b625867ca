/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/main.c: the harmrank executable. */
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "cli.h"

int main(int argc, char **argv) {
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD)
  /* Arrays of 1 MiB and more get pages of their own, as glibc gives them
   * at first: freed, they go back to the system at once, and grown, they
   * move by remapping, not copying. glibc's default raises this threshold
   * each time such an array is freed, after which the big per-chunk
   * arrays of a large input come from the heap, where freed memory stays
   * resident (about 15 MiB more peak memory on 10M rows). */
  (void)mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
  return harm_cli_main(argc, argv);
}
