/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/test_date.c: unit tests of offence-date parsing (YYYY-MM-DD
 * and DD/MM/YYYY) and ISO formatting against independently known day
 * numbers and a slow, obviously correct calendar walk. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <string.h>

#include <harmrank.h>

/* Day numbers below were checked with GNU date:
 *   $(( $(date -u -d 2026-11-23 +%s) / 86400 )) = 20780, and likewise
 *   1970-01-01 = 0, 1969-12-31 = -1, 2000-02-29 = 11016,
 *   2000-03-01 = 11017, 2024-01-01 = 19723, 2024-02-29 = 19782,
 *   2024-03-01 = 19783, 2019-03-31 = 17986, 0001-01-01 = -719162,
 *   9999-12-31 = 2932896.
 * By hand for 2026-11-23: 2026-01-01 is 56 * 365 + 14 leap days
 * (1972..2024) = 20454; Jan..Oct hold 304 days, + 22 = 326; 20454 + 326 =
 * 20780. (20415 is 2025-11-23: 20454 - 365 + 326.) */

/* Text by value: Criterion runs each case in a fresh process. */
typedef struct date_case {
  char in[32];
  harm_date_format fmt;
  bool ok;
  harm_date want;
} date_case;

#define YMD HARM_DATE_YMD
#define DMY HARM_DATE_DMY

ParameterizedTestParameters(date, parse_accepts_real_dates) {
  static date_case cases[] = {
      {"1970-01-01", YMD, true, 0},
      {"1969-12-31", YMD, true, -1},
      {"2000-03-01", YMD, true, 11017},
      {"2026-11-23", YMD, true, 20780},
      {"2024-01-01", YMD, true, 19723},
      {"2019-03-31", YMD, true, 17986},
      /* Leap years: divisible by 4, centuries only by 400. */
      {"2024-02-29", YMD, true, 19782},
      {"2000-02-29", YMD, true, 11016},
      /* Extremes of years 1..9999. */
      {"0001-01-01", YMD, true, -719162},
      {"9999-12-31", YMD, true, 2932896},
      /* A time part is ignored. */
      {"2024-03-01T10:00", YMD, true, 19783},
      {"2024-03-01 10:00:00", YMD, true, 19783},
      {"2024-03-01T23:59:59Z", YMD, true, 19783},
      /* Surrounding blanks are trimmed. */
      {"  2019-03-31  ", YMD, true, 17986},
      {"\t2019-03-31\t", YMD, true, 17986},
      /* DMY. */
      {"01/03/2024", DMY, true, 19783},
      {"01/03/2024 10:00", DMY, true, 19783},
      {"29/02/2024", DMY, true, 19782},
      {"23/11/2026", DMY, true, 20780},
      {"31/03/2019", DMY, true, 17986},
      {" 01/01/1970 ", DMY, true, 0},
  };
  return cr_make_param_array(date_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(date_case *c, date, parse_accepts_real_dates) {
  harm_date out = 12345;
  bool ok = harm_date_parse(c->in, strlen(c->in), c->fmt, &out);
  cr_assert(ok, "\"%s\" should parse", c->in);
  cr_assert_eq(out, c->want, "\"%s\": got %d, want %d", c->in, (int)out,
               (int)c->want);
}

ParameterizedTestParameters(date, parse_rejects_what_is_not_a_date) {
  static date_case cases[] = {
      {"2023-02-29", YMD, false, 0}, /* 2023 is not a leap year */
      {"1900-02-29", YMD, false, 0}, /* century not divisible by 400 */
      {"2019-02-30", YMD, false, 0},
      {"2019-04-31", YMD, false, 0},
      {"2019-13-01", YMD, false, 0},
      {"2019-00-10", YMD, false, 0},
      {"2019-01-00", YMD, false, 0},
      {"2019-01-32", YMD, false, 0},
      {"0000-01-01", YMD, false, 0},  /* year 0 is outside 1..9999 */
      {"2024-03-01x", YMD, false, 0}, /* trailing junk */
      {"2024-03-011", YMD, false, 0},
      {"2024-03-01,", YMD, false, 0},
      {"2024-3-01", YMD, false, 0},
      {"24-03-01", YMD, false, 0},
      {"2024/03/01", YMD, false, 0},
      {"20240301", YMD, false, 0},
      {"01/03/2024", YMD, false, 0}, /* DMY text under YMD */
      {"", YMD, false, 0},
      {"   ", YMD, false, 0},
      {"not a date", YMD, false, 0},
      {"31/13/2019", DMY, false, 0},
      {"31/02/2019", DMY, false, 0},
      {"29/02/2023", DMY, false, 0},
      {"29/02/1900", DMY, false, 0},
      {"31/04/2019", DMY, false, 0},
      {"00/01/2019", DMY, false, 0},
      {"01/00/2019", DMY, false, 0},
      {"01/01/0000", DMY, false, 0},
      {"01/03/2024x", DMY, false, 0},
      {"01/03/24", DMY, false, 0},
      {"01-03-2024", DMY, false, 0},
      {"2024-03-01", DMY, false, 0}, /* YMD text under DMY */
      {"", DMY, false, 0},
  };
  return cr_make_param_array(date_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(date_case *c, date, parse_rejects_what_is_not_a_date) {
  harm_date out = 12345;
  bool ok = harm_date_parse(c->in, strlen(c->in), c->fmt, &out);
  cr_assert_not(ok, "\"%s\" should not parse (got %d)", c->in, (int)out);
}

Test(date, parse_reads_only_the_counted_bytes) {
  harm_date out = 0;
  const char *line = "2024-02-29,2019-02-30";
  cr_assert(harm_date_parse(line, 10, YMD, &out));
  cr_assert_eq(out, 19782);
  cr_assert(harm_date_parse(line + 11, 10, YMD, &out) == false);
  /* DMY from a longer line too. */
  cr_assert(harm_date_parse("23/11/2026;junk", 10, DMY, &out));
  cr_assert_eq(out, 20780);
}

typedef struct iso_case {
  harm_date day;
  char want[12];
} iso_case;

ParameterizedTestParameters(date, format_iso_writes_yyyy_mm_dd) {
  static iso_case cases[] = {
      {0, "1970-01-01"},       {-1, "1969-12-31"},    {11016, "2000-02-29"},
      {11017, "2000-03-01"},   {19782, "2024-02-29"}, {19783, "2024-03-01"},
      {20780, "2026-11-23"},   {17986, "2019-03-31"}, {-719162, "0001-01-01"},
      {2932896, "9999-12-31"},
  };
  return cr_make_param_array(iso_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(iso_case *c, date, format_iso_writes_yyyy_mm_dd) {
  char buf[16];
  memset(buf, '#', sizeof buf);
  harm_date_format_iso(c->day, buf);
  cr_assert_str_eq(buf, c->want);
  cr_assert_eq(buf[11], '#', "no more than 11 bytes written");
}

/* A slow, obviously correct calendar: walk every day from 0001-01-01
 * (day -719162, checked with GNU date) to 9999-12-31, counting, and check
 * that parsing and formatting agree with the walk in both layouts. */
static bool is_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in(int y, int m) {
  static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

Test(date, parse_and_format_agree_with_a_calendar_walk) {
  long day = -719162;
  char ymd[32], dmy[32], iso[11];
  for (int y = 1; y <= 9999; y++) {
    for (int m = 1; m <= 12; m++) {
      for (int d = 1; d <= days_in(y, m); d++, day++) {
        snprintf(ymd, sizeof ymd, "%04d-%02d-%02d", y, m, d);
        harm_date got = 0;
        if (!harm_date_parse(ymd, 10, YMD, &got) || got != day) {
          cr_assert_fail("%s: got %d, want %ld", ymd, (int)got, day);
        }
        harm_date_format_iso((harm_date)day, iso);
        if (strcmp(iso, ymd) != 0) {
          cr_assert_fail("format(%ld) = %s, want %s", day, iso, ymd);
        }
        /* DMY is checked on every 7th day to keep the test quick. */
        if (day % 7 == 0) {
          snprintf(dmy, sizeof dmy, "%02d/%02d/%04d", d, m, y);
          if (!harm_date_parse(dmy, 10, DMY, &got) || got != day) {
            cr_assert_fail("%s: got %d, want %ld", dmy, (int)got, day);
          }
        }
      }
      /* The day after the month's last day is not a date. */
      snprintf(ymd, sizeof ymd, "%04d-%02d-%02d", y, m, days_in(y, m) + 1);
      harm_date bad;
      if (harm_date_parse(ymd, 10, YMD, &bad)) {
        cr_assert_fail("%s parsed as %d", ymd, (int)bad);
      }
    }
  }
  cr_assert_eq(day - 1, 2932896L, "9999-12-31 is day 2932896");
}
