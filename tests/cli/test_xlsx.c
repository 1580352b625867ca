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

/* Runs the cohort command on a case into a fresh folder (with
 * exclusions and last month's list when `movers`) and loads the
 * workbook. */
static void make_pack_of(zipfile *z, const char *case_dir, bool movers) {
  memset(z, 0, sizeof *z);
  snprintf(z->dir, sizeof z->dir, "/tmp/harmrank-xlsx-XXXXXX");
  test_mkdtemp(z->dir);
  cr_assert_eq(chdir(case_dir), 0, "chdir %s: %s", case_dir, strerror(errno));
  char *argv[] = {"harmrank",    "cohort",        "-c",
                  "panel.ini",   "--offences",    "offences.csv",
                  "--referrals", "referrals.csv", "--out",
                  z->dir,        "--threads",     "1",
                  "-q",          "--exclusions",  "exclusions.csv",
                  "--previous",  "previous.csv",  NULL};
  int argc = (int)(sizeof argv / sizeof argv[0]) - 1 - (movers ? 0 : 4);
  if (!movers) {
    argv[argc] = NULL;
  }
  cr_assert_eq(harm_cli_main(argc, argv), 0, "cohort run failed");
  char path[128];
  snprintf(path, sizeof path, "%s/cohort.xlsx", z->dir);
  z->data = (unsigned char *)test_slurp(path, &z->len);
  cr_assert_not_null(z->data, "cohort.xlsx was not written");
  zip_parse(z);
}

static void make_pack(zipfile *z) { make_pack_of(z, CASE_DIR, false); }

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
      "xl/worksheets/sheet6.xml", "xl/charts/chart1.xml"};
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
  static const char *const sheets[] = {"Summary",      "Cohort",
                                       "Movers",       "Breakdown",
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
  char *sheet = zip_read(&z, "xl/worksheets/sheet2.xml");
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

/* ---- reading cells ---------------------------------------------------- */

/* The shared strings, unescaped, in order. */
typedef struct strings {
  char **s;
  size_t n;
} strings;

static char *unescape(const char *a, const char *b) {
  char *out = malloc((size_t)(b - a) + 1);
  cr_assert_not_null(out);
  size_t k = 0;
  static const struct {
    const char *ent, *ch;
  } ents[] = {{"&amp;", "&"},
              {"&lt;", "<"},
              {"&gt;", ">"},
              {"&quot;", "\""},
              {"&apos;", "'"}};
  while (a < b) {
    size_t e = 0;
    for (; e < 5; e++) {
      size_t l = strlen(ents[e].ent);
      if ((size_t)(b - a) >= l && strncmp(a, ents[e].ent, l) == 0) {
        out[k++] = ents[e].ch[0];
        a += l;
        break;
      }
    }
    if (e == 5) {
      out[k++] = *a++;
    }
  }
  out[k] = '\0';
  return out;
}

static strings load_strings(const zipfile *z) {
  strings t = {NULL, 0};
  char *xml = zip_read(z, "xl/sharedStrings.xml");
  size_t cap = 0;
  for (const char *p = xml; (p = strstr(p, "<si>")) != NULL;) {
    const char *open = strstr(p, "<t");
    open = strchr(open, '>') + 1;
    const char *close = strstr(open, "</t>");
    if (t.n == cap) {
      cap = cap ? cap * 2 : 64;
      t.s = realloc(t.s, cap * sizeof *t.s);
      cr_assert_not_null(t.s);
    }
    t.s[t.n++] = unescape(open, close);
    p = close;
  }
  free(xml);
  return t;
}

static void free_strings(strings *t) {
  for (size_t i = 0; i < t->n; i++) {
    free(t->s[i]);
  }
  free(t->s);
}

/* A cell by reference ("H5"): its style index, whether it is a shared
 * string, and its <v> text (copied into v). False when absent. */
static bool cell(const char *sheet, const char *ref, int *style, bool *str,
                 char *v, size_t cap) {
  char want[32];
  snprintf(want, sizeof want, "<c r=\"%s\"", ref);
  const char *c = strstr(sheet, want);
  if (!c) {
    return false;
  }
  const char *end = strstr(c, "</c>");
  const char *selfend = strstr(c, "/>");
  if (!end || (selfend && selfend < end && selfend < strchr(c, '>') + 1)) {
    return false; /* an empty, styled cell */
  }
  const char *sa = strstr(c, " s=\"");
  *style = sa && sa < end ? atoi(sa + 4) : 0;
  const char *ta = strstr(c, " t=\"s\"");
  *str = ta && ta < strchr(c, '>');
  const char *va = strstr(c, "<v>");
  cr_assert(va && va < end, "cell %s has no value", ref);
  va += 3;
  size_t l = (size_t)(strstr(va, "</v>") - va);
  cr_assert_lt(l, cap);
  memcpy(v, va, l);
  v[l] = '\0';
  return true;
}

/* The text of a cell, shared string or not; NULL when absent. */
static const char *cell_text(const char *sheet, const strings *t,
                             const char *ref) {
  int style;
  bool str;
  char v[64];
  if (!cell(sheet, ref, &style, &str, v, sizeof v) || !str) {
    return NULL;
  }
  size_t i = (size_t)atol(v);
  cr_assert_lt(i, t->n);
  return t->s[i];
}

/* Column letters of a 0-based column (A..ZZ). */
static void col_name(size_t c, char out[3]) {
  if (c < 26) {
    out[0] = (char)('A' + c);
    out[1] = '\0';
  } else {
    out[0] = (char)('A' + c / 26 - 1);
    out[1] = (char)('A' + c % 26);
    out[2] = '\0';
  }
}

/* The row (1-based) of sheet `xml` whose column A holds `label`, 0 when
 * none does. */
static size_t row_labelled(const char *xml, const strings *t,
                           const char *label) {
  for (size_t r = 1; r < 200; r++) {
    char ref[16];
    snprintf(ref, sizeof ref, "A%zu", r);
    const char *s = cell_text(xml, t, ref);
    if (s && strcmp(s, label) == 0) {
      return r;
    }
  }
  return 0;
}

static double cell_number(const char *xml, const char *ref) {
  int style;
  bool str;
  char v[64];
  cr_assert(cell(xml, ref, &style, &str, v, sizeof v), "no cell %s", ref);
  cr_assert(!str, "cell %s is text, not a number", ref);
  return strtod(v, NULL);
}

/* Counts the rows of movers.csv by status. */
static void count_movers(const char *dir, size_t counts[3]) {
  char path[160];
  snprintf(path, sizeof path, "%s/movers.csv", dir);
  FILE *fp = fopen(path, "r");
  cr_assert_not_null(fp, "no movers.csv");
  char line[512];
  counts[0] = counts[1] = counts[2] = 0;
  cr_assert_not_null(fgets(line, sizeof line, fp)); /* header */
  while (fgets(line, sizeof line, fp)) {
    counts[0] += strncmp(line, "new,", 4) == 0;
    counts[1] += strncmp(line, "retained,", 9) == 0;
    counts[2] += strncmp(line, "exited,", 7) == 0;
  }
  fclose(fp);
}

#define MOVERS_DIR                                                             \
  HARM_FIXTURES "/cohort/movers_new_retained_and_every_exit_reason"

Test(xlsx, summary_comes_first_and_its_counts_match_movers_csv) {
  zipfile z;
  make_pack_of(&z, MOVERS_DIR, true);
  size_t counts[3];
  count_movers(z.dir, counts);
  /* The fixture's expected movers.csv: H4 and H8 new; H1, H2, H3
   * retained; H5, H6, H7 exited. */
  cr_expect_eq(counts[0], 2u);
  cr_expect_eq(counts[1], 3u);
  cr_expect_eq(counts[2], 3u);
  char *wb = zip_read(&z, "xl/workbook.xml");
  cr_expect_not_null(strstr(wb, "<sheet name=\"Summary\" sheetId=\"1\""),
                     "Summary is not the first sheet");
  free(wb);
  strings t = load_strings(&z);
  char *sum = zip_read(&z, "xl/worksheets/sheet1.xml");
  static const char *const labels[] = {"New this month", "Retained", "Exited"};
  for (size_t k = 0; k < 3; k++) {
    size_t r = row_labelled(sum, &t, labels[k]);
    cr_assert_neq(r, 0u, "Summary has no row \"%s\"", labels[k]);
    char ref[16];
    snprintf(ref, sizeof ref, "B%zu", r);
    cr_expect_eq(cell_number(sum, ref), (double)counts[k],
                 "Summary %s is not %zu", labels[k], counts[k]);
  }
  /* Places: 4 by rank (H1..H4) and 1 by referral (H8), of 4 + 1. */
  size_t r = row_labelled(sum, &t, "By rank (core places)");
  char ref[16];
  snprintf(ref, sizeof ref, "B%zu", r);
  cr_expect_eq(cell_number(sum, ref), 4.0);
  r = row_labelled(sum, &t, "By partner referral");
  snprintf(ref, sizeof ref, "B%zu", r);
  cr_expect_eq(cell_number(sum, ref), 1.0);
  free(sum);
  free_strings(&t);
  free_pack(&z);
}

Test(xlsx, summary_gives_the_share_of_harm_held_by_the_list) {
  zipfile z;
  make_pack(&z);
  strings t = load_strings(&z);
  char *sum = zip_read(&z, "xl/worksheets/sheet1.xml");
  size_t r = row_labelled(sum, &t, "Share of all harm held by the list");
  cr_assert_neq(r, 0u);
  char ref[16];
  snprintf(ref, sizeof ref, "B%zu", r);
  /* In the window (2025-10-31, 2026-10-31]: N1 365, N2 17.25 + 34.5,
   * N3 17.25 (its robbery on 2025-10-31 is outside), =HYPERLINK(1)
   * 2 x 2.385. The list holds N1, N2 and =HYPERLINK(1). */
  double held = 365 + 51.75 + 4.77, all = held + 17.25;
  cr_expect_float_eq(cell_number(sum, ref), held / all, 1e-9);
  free(sum);
  free_strings(&t);
  free_pack(&z);
}

/* The number format code of cell style `style`, from styles.xml. */
static void style_format(const zipfile *z, int style, char *code, size_t cap) {
  char *xml = zip_read(z, "xl/styles.xml");
  const char *xfs = strstr(xml, "<cellXfs");
  cr_assert_not_null(xfs);
  const char *xf = xfs;
  for (int k = 0; k <= style; k++) {
    xf = strstr(xf + 1, "<xf ");
    cr_assert_not_null(xf);
  }
  int id = atoi(strstr(xf, "numFmtId=\"") + 10);
  code[0] = '\0';
  char want[48];
  snprintf(want, sizeof want, "<numFmt numFmtId=\"%d\" formatCode=\"", id);
  const char *f = strstr(xml, want);
  if (f) {
    f += strlen(want);
    size_t l = (size_t)(strchr(f, '"') - f);
    cr_assert_lt(l, cap);
    memcpy(code, f, l);
    code[l] = '\0';
  } else if (id >= 14 && id <= 22) {
    snprintf(code, cap, "built-in date %d", id); /* yy in all of them */
  }
  free(xml);
}

Test(xlsx, dates_are_date_cells_and_descriptions_are_beside_codes) {
  zipfile z;
  make_pack(&z);
  strings t = load_strings(&z);
  char *sheet = zip_read(&z, "xl/worksheets/sheet2.xml");
  /* Header in row 4, N1 (core rank 1) in row 5. */
  cr_expect_str_eq(cell_text(sheet, &t, "B5"), "N1");
  cr_expect_str_eq(cell_text(sheet, &t, "H4"), "Last\noffence");
  /* N1's last offence 2026-05-10: 20,454 days from 1970-01-01 to
   * 2026-01-01 (56 years, 14 of them leap), + 31 + 28 + 31 + 30 + 9 =
   * 20,583; Excel's serial of 1970-01-01 is 25,569: 46,152. */
  int style;
  bool str;
  char v[64];
  cr_assert(cell(sheet, "H5", &style, &str, v, sizeof v), "no date in H5");
  cr_expect(!str, "the date is text");
  cr_expect_eq(strtod(v, NULL), 46152.0);
  char code[64];
  style_format(&z, style, code, sizeof code);
  cr_expect(strstr(code, "yy") || strstr(code, "date"),
            "H5 has the number format \"%s\", not a date", code);
  /* Top code and its description from the fixture's weights.csv. */
  cr_expect_str_eq(cell_text(sheet, &t, "I5"), "034/01");
  cr_expect_str_eq(cell_text(sheet, &t, "J5"), "robbery of personal property");
  /* N2: stalking (34.5) outweighs assault with injury (17.25). */
  cr_expect_str_eq(cell_text(sheet, &t, "J6"), "stalking");
  /* The referral reason is on the list. */
  cr_expect_not_null(strstr(sheet, "<c r=\"L"), "no referral reason column");
  free(sheet);
  free_strings(&t);
  free_pack(&z);
}

/* The width of column `col` (0-based) from a sheet's <cols>. */
static double col_width(const char *sheet, size_t col) {
  for (const char *p = sheet; (p = strstr(p, "<col ")) != NULL; p++) {
    size_t lo = (size_t)atol(strstr(p, "min=\"") + 5);
    size_t hi = (size_t)atol(strstr(p, "max=\"") + 5);
    if (col + 1 >= lo && col + 1 <= hi) {
      return strtod(strstr(p, "width=\"") + 7, NULL);
    }
  }
  return 8.43; /* Excel's default */
}

Test(xlsx, no_header_is_wider_than_its_column) {
  zipfile z;
  make_pack_of(&z, MOVERS_DIR, true);
  strings t = load_strings(&z);
  char *wb = zip_read(&z, "xl/workbook.xml");
  size_t checked = 0;
  /* Each sheet's repeated header row, from its print titles. */
  for (const char *d = wb; (d = strstr(d, "_xlnm.Print_Titles")) != NULL; d++) {
    int sheet_no = atoi(strstr(d, "localSheetId=\"") + 14) + 1;
    const char *row = strstr(strchr(d, '>'), "!$") + 2;
    size_t r = (size_t)atol(row);
    char name[64];
    snprintf(name, sizeof name, "xl/worksheets/sheet%d.xml", sheet_no);
    char *sheet = zip_read(&z, name);
    for (size_t c = 0; c < 30; c++) {
      char ref[16], cn[3];
      col_name(c, cn);
      snprintf(ref, sizeof ref, "%s%zu", cn, r);
      const char *h = cell_text(sheet, &t, ref);
      if (!h) {
        continue;
      }
      double w = col_width(sheet, c);
      /* Each line of the header, with a character to spare. */
      for (const char *a = h; *a;) {
        size_t l = strcspn(a, "\n");
        cr_expect_leq((double)l + 1.0, w,
                      "%s %s: header line \"%.*s\" is wider than its "
                      "column (%.2f)",
                      name, ref, (int)l, a, w);
        a += l + (a[l] == '\n');
      }
      checked++;
    }
    free(sheet);
  }
  /* Cohort 12 columns (no RFGV), Movers 5, Breakdown 6, Not selected 4. */
  cr_expect_geq(checked, 25u, "only %zu headers checked", checked);
  free(wb);
  free_strings(&t);
  free_pack(&z);
}

/* The 1-based sheet number of the sheet called `name`, from the order of
 * workbook.xml. */
static int sheet_number(const zipfile *z, const char *name) {
  char *wb = zip_read(z, "xl/workbook.xml");
  char want[64];
  snprintf(want, sizeof want, "<sheet name=\"%s\"", name);
  const char *at = strstr(wb, want);
  cr_assert_not_null(at, "workbook.xml has no sheet %s", name);
  int n = 1;
  for (const char *p = wb; (p = strstr(p, "<sheet name=")) != NULL && p < at;
       p++) {
    n++;
  }
  free(wb);
  return n;
}

Test(xlsx, not_selected_says_nobody_when_there_are_no_notes) {
  zipfile z;
  make_pack(&z); /* the case's expected notes.csv is its header alone */
  strings t = load_strings(&z);
  char name[64];
  snprintf(name, sizeof name, "xl/worksheets/sheet%d.xml",
           sheet_number(&z, "Not selected"));
  char *sheet = zip_read(&z, name);
  cr_expect_null(cell_text(sheet, &t, "A2"), "a note row in an empty sheet");
  const char *d2 = cell_text(sheet, &t, "D2");
  cr_expect(d2 && strncmp(d2, "nobody", 6) == 0,
            "Not selected does not say nobody: %s", d2 ? d2 : "(empty)");
  free(sheet);
  free_strings(&t);
  free_pack(&z);
}

/* The youth cohort on the sample: hundreds of people cannot be aged.
 * The sheet holds every other note, the first 20 with no date of birth
 * and one row counting the rest; notes.csv still lists them all. */
Test(xlsx, not_selected_shows_twenty_without_a_date_of_birth_and_counts_rest) {
  zipfile z;
  memset(&z, 0, sizeof z);
  snprintf(z.dir, sizeof z.dir, "/tmp/harmrank-xlsx-XXXXXX");
  test_mkdtemp(z.dir);
  char *argv[] = {"harmrank",
                  "cohort",
                  "-c",
                  HARM_FIXTURES "/../config/cohorts/young-people-violence.ini",
                  "--offences",
                  HARM_FIXTURES "/sample/offences.csv",
                  "--people",
                  HARM_FIXTURES "/sample/people.csv",
                  "--out",
                  z.dir,
                  "--threads",
                  "1",
                  "-q",
                  NULL};
  cr_assert_eq(harm_cli_main((int)(sizeof argv / sizeof argv[0]) - 1, argv), 0,
               "youth cohort run failed");
  /* Count the notes by kind from notes.csv. */
  char path[160];
  snprintf(path, sizeof path, "%s/notes.csv", z.dir);
  FILE *fp = fopen(path, "r");
  cr_assert_not_null(fp, "no notes.csv");
  char line[1024];
  size_t no_dob = 0, other = 0;
  cr_assert_not_null(fgets(line, sizeof line, fp)); /* header */
  while (fgets(line, sizeof line, fp)) {
    if (strncmp(line, "no_date_of_birth,", 17) == 0) {
      no_dob++;
    } else {
      other++;
    }
  }
  fclose(fp);
  cr_assert_gt(no_dob, 20u, "the sample has only %zu undated people", no_dob);
  snprintf(path, sizeof path, "%s/cohort.xlsx", z.dir);
  z.data = (unsigned char *)test_slurp(path, &z.len);
  cr_assert_not_null(z.data, "cohort.xlsx was not written");
  zip_parse(&z);
  strings t = load_strings(&z);
  char name[64];
  snprintf(name, sizeof name, "xl/worksheets/sheet%d.xml",
           sheet_number(&z, "Not selected"));
  char *sheet = zip_read(&z, name);
  size_t rows = 0, undated = 0;
  for (size_t r = 2; r < 2000; r++) {
    char ref[16];
    snprintf(ref, sizeof ref, "A%zu", r);
    const char *a = cell_text(sheet, &t, ref);
    if (!a) {
      break;
    }
    rows++;
    undated += strcmp(a, "no_date_of_birth") == 0;
  }
  cr_expect_eq(rows, other + 20 + 1, "%zu rows for %zu other notes", rows,
               other);
  cr_expect_eq(undated, 21u);
  char ref[16], want[64];
  snprintf(ref, sizeof ref, "D%zu", rows + 1);
  snprintf(want, sizeof want, "and %zu more people", no_dob - 20);
  const char *last = cell_text(sheet, &t, ref);
  cr_expect(last && strncmp(last, want, strlen(want)) == 0,
            "last row is \"%s\", not \"%s...\"", last ? last : "(empty)", want);
  free(sheet);
  free_strings(&t);
  free_pack(&z);
}
