/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/ingest/date.c: calendar dates as day numbers. Conversion uses
 * the days-from-civil algorithm (H. Hinnant, "chrono-Compatible Low-Level
 * Date Algorithms"), exact for the proleptic Gregorian calendar. */
#include "core/internal.h"
#include "harmrank/ingest.h"

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = (unsigned)(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = (int64_t)yoe + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int)(yy + (*m <= 2));
}

static bool leap(unsigned y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(unsigned y, unsigned m) {
  static const unsigned char days[12] = {31, 28, 31, 30, 31, 30,
                                         31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Reads exactly n digits at s; returns false on a non-digit. */
static bool digits(const char *s, size_t n, unsigned *out) {
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  *out = v;
  return true;
}

bool harm_date_parse(const char *s, size_t len, harm_date_format fmt,
                     harm_date *out) {
  harm__trim(&s, &len);
  unsigned y, m, d;
  size_t used;
  if (fmt == HARM_DATE_DMY) {
    /* DD/MM/YYYY; single-digit day and month are accepted too. */
    size_t i = 0;
    unsigned parts[2];
    for (int k = 0; k < 2; k++) {
      size_t start = i;
      while (i < len && i - start < 3 && s[i] >= '0' && s[i] <= '9') {
        i++;
      }
      if (i == start || i - start > 2 || i >= len || s[i] != '/') {
        return false;
      }
      digits(s + start, i - start, &parts[k]);
      i++;
    }
    if (len - i < 4 || !digits(s + i, 4, &y)) {
      return false;
    }
    d = parts[0];
    m = parts[1];
    used = i + 4;
  } else {
    if (len < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) ||
        s[7] != '-' || !digits(s + 8, 2, &d)) {
      return false;
    }
    used = 10;
  }
  /* A time part may follow after 'T' or a space; anything else is not a
   * date ("2024-01-011"). */
  if (used < len && s[used] != 'T' && s[used] != ' ') {
    return false;
  }
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > month_days(y, m)) {
    return false;
  }
  *out = (harm_date)days_from_civil((int64_t)y, m, d);
  return true;
}

void harm_date_format_iso(harm_date day, char buf[11]) {
  if (day == HARM_DATE_NONE) {
    buf[0] = '\0';
    return;
  }
  int y;
  unsigned m, d;
  civil_from_days(day, &y, &m, &d);
  /* Years are 1..9999 for any parsed date; format by hand so the width is
   * provably 10 characters. */
  unsigned yy = (unsigned)(y < 0 ? 0 : y) % 10000;
  buf[0] = (char)('0' + yy / 1000);
  buf[1] = (char)('0' + yy / 100 % 10);
  buf[2] = (char)('0' + yy / 10 % 10);
  buf[3] = (char)('0' + yy % 10);
  buf[4] = '-';
  buf[5] = (char)('0' + m / 10);
  buf[6] = (char)('0' + m % 10);
  buf[7] = '-';
  buf[8] = (char)('0' + d / 10);
  buf[9] = (char)('0' + d % 10);
  buf[10] = '\0';
}
