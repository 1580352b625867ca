/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/cli/test_xlsx.c: runs `harmrank cohort` on a fixture case and reads
 * the cohort.xlsx it writes with a small zip reader (central directory plus
 * zlib raw inflate) to check the sheets, the chart, the member rows and the
 * neutralised formula-like id. Uses zlib (inflate, crc32): today it links
 * through xlsxwriter's pkg-config libs (-lz); tests/CMakeLists.txt should
 * link `z` for this target explicitly. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <harmrank.h>

#include "cli/cli.h"
#include "support.h"

/* Hand-worked in fixtures/cohort/README.md: N1 365 and N2 51.75 in the
 * core, "=HYPERLINK(1)" (4.77) in a referral slot. */
#define CASE_DIR                                                               \
  HARM_FIXTURES "/cohort/referrals_fewer_than_slots_leave_slots_empty"

enum { MAX_ENTRIES = 64 };

typedef struct zentry {
  char name[256];
  uint16_t method;
  uint32_t crc, csize, usize, local_off;
} zentry;

typedef struct zipfile {
  unsigned char *data;
  size_t len;
  zentry e[MAX_ENTRIES];
  size_t n;
  char dir[64];
} zipfile;

static uint16_t le16(const unsigned char *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
         ((uint32_t)p[3] << 24);
}

/* Lists the entries from the end-of-central-directory record. */
static void zip_parse(zipfile *z) {
  cr_assert_geq(z->len, 22u, "cohort.xlsx is too short to be a zip");
  cr_assert(memcmp(z->data, "PK\x03\x04", 4) == 0,
            "cohort.xlsx does not start with a zip local header");
  size_t eocd = SIZE_MAX;
  size_t lowest = z->len > 22 + 65535 ? z->len - 22 - 65535 : 0;
  for (size_t p = z->len - 22 + 1; p-- > lowest;) {
    if (le32(z->data + p) == 0x06054b50u) {
      eocd = p;
      break;
    }
  }
  cr_assert_neq(eocd, SIZE_MAX, "no end of central directory record");
  size_t count = le16(z->data + eocd + 10);
  size_t off = le32(z->data + eocd + 16);
  cr_assert_leq(count, (size_t)MAX_ENTRIES);
  for (size_t k = 0; k < count; k++) {
    cr_assert_leq(off + 46, z->len, "central directory runs past the end");
    const unsigned char *h = z->data + off;
    cr_assert_eq(le32(h), 0x02014b50u, "bad central directory entry %zu", k);
    zentry *e = &z->e[z->n++];
    e->method = le16(h + 10);
    e->crc = le32(h + 16);
    e->csize = le32(h + 20);
    e->usize = le32(h + 24);
    size_t nlen = le16(h + 28), xlen = le16(h + 30), clen = le16(h + 32);
    e->local_off = le32(h + 42);
    cr_assert_lt(nlen, sizeof e->name);
    cr_assert_leq(off + 46 + nlen, z->len);
    memcpy(e->name, h + 46, nlen);
    e->name[nlen] = '\0';
    off += 46 + nlen + xlen + clen;
  }
}

static const zentry *zip_find(const zipfile *z, const char *name) {
  for (size_t k = 0; k < z->n; k++) {
    if (strcmp(z->e[k].name, name) == 0) {
      return &z->e[k];
    }
  }
  return NULL;
}

/* The uncompressed bytes of one entry, NUL-terminated; the CRC is checked. */
static char *zip_read(const zipfile *z, const char *name) {
  const zentry *e = zip_find(z, name);
  cr_assert_not_null(e, "cohort.xlsx has no %s", name);
  cr_assert_leq((size_t)e->local_off + 30, z->len);
  const unsigned char *lh = z->data + e->local_off;
  cr_assert_eq(le32(lh), 0x04034b50u, "%s: bad local header", name);
  size_t start = e->local_off + 30 + le16(lh + 26) + le16(lh + 28);
  cr_assert_leq(start + e->csize, z->len, "%s runs past the end", name);
  char *out = malloc((size_t)e->usize + 1);
  cr_assert_not_null(out);
  if (e->method == 0) {
    cr_assert_eq(e->csize, e->usize);
    memcpy(out, z->data + start, e->usize);
  } else {
    cr_assert_eq(e->method, 8, "%s: compression method %u", name,
                 (unsigned)e->method);
    z_stream s;
    memset(&s, 0, sizeof s);
    cr_assert_eq(inflateInit2(&s, -MAX_WBITS), Z_OK);
    s.next_in = z->data + start;
    s.avail_in = e->csize;
    s.next_out = (unsigned char *)out;
    s.avail_out = e->usize;
    int rc = inflate(&s, Z_FINISH);
    inflateEnd(&s);
    cr_assert_eq(rc, Z_STREAM_END, "%s: inflate returned %d", name, rc);
    cr_assert_eq(s.total_out, (uLong)e->usize, "%s: size mismatch", name);
  }
  uLong crc = crc32(0L, (const Bytef *)out, e->usize);
  cr_assert_eq((uint32_t)crc, e->crc, "%s: CRC mismatch", name);
  out[e->usize] = '\0';
  return out;
}

/* Runs the cohort command on the case into a fresh folder and loads the
 * workbook. */
static void make_pack(zipfile *z) {
  memset(z, 0, sizeof *z);
  snprintf(z->dir, sizeof z->dir, "/tmp/harmrank-xlsx-XXXXXX");
  cr_assert_not_null(mkdtemp(z->dir), "mkdtemp: %s", strerror(errno));
  cr_assert_eq(chdir(CASE_DIR), 0, "chdir %s: %s", CASE_DIR, strerror(errno));
  char *argv[] = {"harmrank",    "cohort",
                  "-c",          "panel.ini",
                  "--offences",  "offences.csv",
                  "--referrals", "referrals.csv",
                  "--out",       z->dir,
                  "--threads",   "1",
                  "-q",          NULL};
  int argc = (int)(sizeof argv / sizeof argv[0]) - 1;
  cr_assert_eq(harm_cli_main(argc, argv), 0, "cohort run failed");
  char path[128];
  snprintf(path, sizeof path, "%s/cohort.xlsx", z->dir);
  z->data = (unsigned char *)test_slurp(path, &z->len);
  cr_assert_not_null(z->data, "cohort.xlsx was not written");
  zip_parse(z);
}

static void free_pack(zipfile *z) {
  static const char *const names[] = {"cohort.csv",  "movers.csv",
                                      "notes.csv",   "manifest.json",
                                      "cohort.xlsx", "rejects.csv"};
  char path[128];
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", z->dir, names[i]);
    remove(path);
  }
  rmdir(z->dir);
  free(z->data);
}

Test(xlsx, workbook_is_a_zip_with_the_expected_parts) {
  zipfile z;
  make_pack(&z);
  static const char *const parts[] = {
      "[Content_Types].xml",      "xl/workbook.xml",
      "xl/sharedStrings.xml",     "xl/worksheets/sheet1.xml",
      "xl/worksheets/sheet5.xml", "xl/charts/chart1.xml"};
  for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
    cr_expect_not_null(zip_find(&z, parts[k]), "no %s in cohort.xlsx",
                       parts[k]);
  }
  /* Every entry inflates and matches its CRC. */
  for (size_t k = 0; k < z.n; k++) {
    free(zip_read(&z, z.e[k].name));
  }
  free_pack(&z);
}

Test(xlsx, sheets_are_named_in_order) {
  zipfile z;
  make_pack(&z);
  char *wb = zip_read(&z, "xl/workbook.xml");
  static const char *const sheets[] = {"Cohort", "Movers", "Breakdown",
                                       "Not selected", "Run details"};
  const char *prev = wb;
  for (size_t k = 0; k < sizeof sheets / sizeof sheets[0]; k++) {
    char want[64];
    snprintf(want, sizeof want, "<sheet name=\"%s\"", sheets[k]);
    const char *at = strstr(wb, want);
    cr_expect_not_null(at, "workbook.xml has no sheet %s", sheets[k]);
    cr_expect(at == NULL || at >= prev, "sheet %s out of order", sheets[k]);
    if (at) {
      prev = at;
    }
  }
  free(wb);
  free_pack(&z);
}

Test(xlsx, cohort_sheet_has_a_chart_of_harm_by_member) {
  zipfile z;
  make_pack(&z);
  char *chart = zip_read(&z, "xl/charts/chart1.xml");
  cr_expect_not_null(strstr(chart, "<c:barChart>"), "chart1 is not a bar");
  /* The series takes its values from the Cohort sheet. */
  cr_expect_not_null(strstr(chart, "Cohort!"),
                     "chart1 does not refer to the Cohort sheet");
  free(chart);
  free_pack(&z);
}

Test(xlsx, members_and_harm_are_in_the_cohort_sheet) {
  zipfile z;
  make_pack(&z);
  char *sst = zip_read(&z, "xl/sharedStrings.xml");
  char *sheet = zip_read(&z, "xl/worksheets/sheet1.xml");
  cr_expect_not_null(strstr(sst, "<t>N1</t>"), "N1 not in shared strings");
  cr_expect_not_null(strstr(sst, "<t>N2</t>"), "N2 not in shared strings");
  cr_expect_not_null(strstr(sst, "<t>core rank 1</t>"));
  cr_expect_not_null(strstr(sst, "<t>referral: Probation</t>"));
  /* Harm is a number cell: 365, 17.25 + 34.5 = 51.75, 2 x 2.385 = 4.77. */
  cr_expect_not_null(strstr(sheet, "<v>365</v>"), "harm 365 not in Cohort");
  cr_expect_not_null(strstr(sheet, "<v>51.75</v>"), "harm 51.75 not in Cohort");
  cr_expect_not_null(strstr(sheet, "<v>4.77</v>"), "harm 4.77 not in Cohort");
  free(sst);
  free(sheet);
  free_pack(&z);
}

Test(xlsx, formula_like_id_gets_a_leading_quote) {
  zipfile z;
  make_pack(&z);
  char *sst = zip_read(&z, "xl/sharedStrings.xml");
  cr_expect_not_null(strstr(sst, "<t>'=HYPERLINK(1)</t>"),
                     "the id =HYPERLINK(1) is not written as '=HYPERLINK(1)");
  cr_expect_null(strstr(sst, "<t>=HYPERLINK(1)</t>"),
                 "the id =HYPERLINK(1) is written unquoted");
  /* No cell anywhere is a formula. */
  for (size_t k = 0; k < z.n; k++) {
    if (strncmp(z.e[k].name, "xl/worksheets/sheet", 19) == 0) {
      char *ws = zip_read(&z, z.e[k].name);
      cr_expect_null(strstr(ws, "<f>"), "%s holds a formula", z.e[k].name);
      free(ws);
    }
  }
  free(sst);
  free_pack(&z);
}
