/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/config/config.c: run configuration. One table lists every key
 * with its section, default and parser, so the INI reader, the CLI's flag
 * overlay and the manifest's "config as applied" all agree. */
#define _POSIX_C_SOURCE 200809L
#include "harmrank/config.h"

#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "core/internal.h"

enum { MAX_FILTERS = 32, MAX_VALUES = 256 };

typedef struct filter_slot {
  char *column;
  char *values_text; /* as written, for manifests */
  char **values;
  size_t n_values;
} filter_slot;

struct harm_config {
  /* Text of every table key, indexed like `keys`. */
  char **text;
  /* Analysis and output settings (README "Configuration"). */
  double perturb;
  size_t draws;
  uint64_t seed;
  size_t top_k; /* 0 = [cohort] size */
  bool by_area;
  size_t output_top;
  size_t top_per_area; /* [output] top_per_area; 0 = off */
  unsigned file_mode;
  bool quiet;
  bool top_places;
  /* Parsed values. */
  harm_columns columns;
  harm_date_format date_format;
  char *group_by;
  bool pseudonymise_places; /* [output] pseudonymise_places; false */
  bool strict;
  size_t max_field_bytes;
  double max_reject_share;
  harm_date as_of;
  uint32_t lookback_days;
  unsigned threads;
  bool exclude_proactive;
  bool strict_codes;
  double half_life_days;
  double cap;
  harm_transform transform;
  harm_attribution attribution;
  char **categories;
  size_t n_categories;
  harm_weights_format weights_format;
  harm_dup_rule dup_rule;
  harm_cchi_key key;
  filter_slot filters[MAX_FILTERS];
  harm_filter filter_view[MAX_FILTERS];
  size_t n_filters;
  harm_cohort_rules rules;
  /* People in either role ([scoring] roles, rank_by; [people]). */
  harm_roles roles;
  harm_rank_by rank_by;
  double balance_ratio;
  /* Folder of the INI being read, for relative paths ("" = as given). */
  const char *base_dir;
  /* Each file loaded, with the SHA-256 of the bytes read from it. */
  char *file_path[16];
  harm_input_hash file_hash[16];
  size_t n_files;
};

typedef harm_status (*apply_fn)(harm_config *cfg, const char *value,
                                harm_error *err, const char *key);

typedef struct key_def {
  const char *section;
  const char *key;
  const char *def; /* default as text; NULL = unset */
  apply_fn apply;
  int is_path; /* PATH_ONE or PATH_LIST: resolved against the INI file's
                  folder; 0 = not a path */
} key_def;

enum { PATH_ONE = 1, PATH_LIST = 2 };

static harm_status bad(harm_error *err, const char *key, const char *value,
                       const char *want) {
  return harm__fail(err, HARM_ERR_CONFIG, "config", NULL, 0, key,
                    "\"%s\" is not %s", value, want);
}

static harm_status ap_bool(bool *dst, const char *v, harm_error *err,
                           const char *key) {
  if (!harm__parse_bool(v, strlen(v), dst)) {
    return bad(err, key, v, "true or false");
  }
  return HARM_OK;
}

/* Every number in a configuration is a plain decimal: digits with an
 * optional point and more digits ("17.25", "365"). strtod would also take
 * a sign, an exponent, hex floats ("0x1p4"), "-0", inf and nan, which no
 * one writing a run configuration means; integers go through
 * harm__parse_u64, which takes digits only. At most 10 digits before the
 * point and 15 after, so no value overflows or loses its meaning. */
static bool parse_decimal(const char *v, size_t len, double *out) {
  harm__trim(&v, &len);
  size_t i = 0;
  while (i < len && v[i] >= '0' && v[i] <= '9') {
    i++;
  }
  if (i == 0 || i > 10) {
    return false;
  }
  if (i < len && v[i] == '.') {
    size_t frac = ++i;
    while (i < len && v[i] >= '0' && v[i] <= '9') {
      i++;
    }
    if (i == frac || i - frac > 15) {
      return false;
    }
  }
  return i == len && harm__parse_double(v, len, out);
}

static harm_status ap_days(double *dst, const char *v, harm_error *err,
                           const char *key) {
  double d;
  if (!parse_decimal(v, strlen(v), &d)) {
    return bad(err, key, v, "a decimal number >= 0 such as 17.25");
  }
  *dst = d;
  return HARM_OK;
}

/* A [columns] key names a header column: an empty name names none (it
 * would match an empty header cell), so it is refused for every column. */
static harm_status column_name(const char **dst, const char *v, harm_error *e,
                               const char *k) {
  if (!*v) {
    return harm__fail(e, HARM_ERR_CONFIG, "config", NULL, 0, k,
                      "[columns] %s is empty: name a column of the offences "
                      "header",
                      k);
  }
  *dst = v;
  return HARM_OK;
}

#define COLUMN_KEY(field)                                                      \
  static harm_status ap_col_##field(harm_config *c, const char *v,             \
                                    harm_error *e, const char *k) {            \
    return column_name(&c->columns.field, v, e, k);                            \
  }
COLUMN_KEY(offence_id)
COLUMN_KEY(offender_id)
COLUMN_KEY(offence_code)
COLUMN_KEY(offence_date)
COLUMN_KEY(victim_id)
COLUMN_KEY(domestic)
COLUMN_KEY(area)
COLUMN_KEY(place)
COLUMN_KEY(place_type)

static harm_status ap_date_format(harm_config *c, const char *v, harm_error *e,
                                  const char *k) {
  if (harm__ieq(v, strlen(v), "ymd")) {
    c->date_format = HARM_DATE_YMD;
  } else if (harm__ieq(v, strlen(v), "dmy")) {
    c->date_format = HARM_DATE_DMY;
  } else {
    return bad(e, k, v, "ymd or dmy");
  }
  return HARM_OK;
}

static harm_status ap_group_by(harm_config *c, const char *v, harm_error *e,
                               const char *k) {
  (void)e;
  (void)k;
  c->group_by = *v ? (char *)v : NULL;
  return HARM_OK;
}

static harm_status ap_strict(harm_config *c, const char *v, harm_error *e,
                             const char *k) {
  return ap_bool(&c->strict, v, e, k);
}

static harm_status ap_max_field(harm_config *c, const char *v, harm_error *e,
                                const char *k) {
  uint64_t n;
  if (!harm__parse_u64(v, strlen(v), &n) || n < 64 || n > ((uint64_t)1 << 30)) {
    return bad(e, k, v, "a byte count from 64 to 1073741824");
  }
  c->max_field_bytes = (size_t)n;
  return HARM_OK;
}

/* Share of data rows one fault may reject before ingest stops the run
 * (ingest.h max_reject_share); 1 turns the check off. */
static harm_status ap_reject_share(harm_config *c, const char *v, harm_error *e,
                                   const char *k) {
  double d;
  if (!harm__parse_double(v, strlen(v), &d) || !(d >= 0) || d > 1) {
    return bad(e, k, v, "a share from 0 to 1");
  }
  c->max_reject_share = d;
  return HARM_OK;
}

static harm_status ap_as_of(harm_config *c, const char *v, harm_error *e,
                            const char *k) {
  if (!*v || harm__ieq(v, strlen(v), "latest")) {
    c->as_of = HARM_DATE_NONE;
    return HARM_OK;
  }
  if (!harm_date_parse(v, strlen(v), HARM_DATE_YMD, &c->as_of)) {
    return bad(e, k, v, "a date YYYY-MM-DD or \"latest\"");
  }
  return HARM_OK;
}

static harm_status ap_lookback(harm_config *c, const char *v, harm_error *e,
                               const char *k) {
  uint64_t n;
  if (!harm__parse_u64(v, strlen(v), &n) || n > 3660000) {
    return bad(e, k, v, "a number of days from 0 (unlimited) to 3660000");
  }
  c->lookback_days = (uint32_t)n;
  return HARM_OK;
}

static harm_status ap_threads(harm_config *c, const char *v, harm_error *e,
                              const char *k) {
  uint64_t n;
  if (!harm__parse_u64(v, strlen(v), &n) || n > 256) {
    return bad(e, k, v, "a thread count from 0 (all cores) to 256");
  }
  c->threads = (unsigned)n;
  return HARM_OK;
}

static harm_status ap_exclude_proactive(harm_config *c, const char *v,
                                        harm_error *e, const char *k) {
  return ap_bool(&c->exclude_proactive, v, e, k);
}

static harm_status ap_strict_codes(harm_config *c, const char *v, harm_error *e,
                                   const char *k) {
  return ap_bool(&c->strict_codes, v, e, k);
}

static harm_status ap_half_life(harm_config *c, const char *v, harm_error *e,
                                const char *k) {
  return ap_days(&c->half_life_days, v, e, k);
}

static harm_status ap_cap(harm_config *c, const char *v, harm_error *e,
                          const char *k) {
  return ap_days(&c->cap, v, e, k);
}

static harm_status ap_transform(harm_config *c, const char *v, harm_error *e,
                                const char *k) {
  static const char *const names[] = {"none", "sqrt", "log1p"};
  for (int i = 0; i < 3; i++) {
    if (harm__ieq(v, strlen(v), names[i])) {
      c->transform = (harm_transform)i;
      return HARM_OK;
    }
  }
  return bad(e, k, v, "none, sqrt or log1p");
}

static harm_status ap_attribution(harm_config *c, const char *v, harm_error *e,
                                  const char *k) {
  if (harm__ieq(v, strlen(v), "full")) {
    c->attribution = HARM_ATTR_FULL;
  } else if (harm__ieq(v, strlen(v), "split")) {
    c->attribution = HARM_ATTR_SPLIT;
  } else {
    return bad(e, k, v, "full or split");
  }
  return HARM_OK;
}

static void free_list(char **list, size_t n) {
  if (list) {
    for (size_t i = 0; i < n; i++) {
      harm__free(list[i]);
    }
  }
  harm__free(list);
}

/* Splits "a, b ,c" into trimmed, non-empty parts. */
static harm_status split_list(const char *v, char ***out, size_t *n_out) {
  size_t n = 0, cap = 8;
  char **list = harm__calloc(cap, sizeof *list);
  if (!list) {
    return HARM_ERR_NOMEM;
  }
  const char *p = v;
  while (*p) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const char *s = p;
    harm__trim(&s, &len);
    if (len) {
      if (n == cap || n >= MAX_VALUES) {
        if (n >= MAX_VALUES) {
          free_list(list, n);
          return HARM_ERR_LIMIT;
        }
        cap *= 2;
        char **l = harm__reallocarray(list, cap, sizeof *l);
        if (!l) {
          free_list(list, n);
          return HARM_ERR_NOMEM;
        }
        list = l;
      }
      if (!(list[n] = harm__strndup(s, len))) {
        free_list(list, n);
        return HARM_ERR_NOMEM;
      }
      n++;
    }
    p = end ? end + 1 : p + strlen(p);
  }
  *out = list;
  *n_out = n;
  return HARM_OK;
}

static harm_status ap_categories(harm_config *c, const char *v, harm_error *e,
                                 const char *k) {
  char **list;
  size_t n;
  harm_status st = split_list(v, &list, &n);
  if (st != HARM_OK) {
    return harm__fail(e, st, "config", NULL, 0, k, "cannot store the list");
  }
  free_list(c->categories, c->n_categories);
  c->categories = list;
  c->n_categories = n;
  return HARM_OK;
}

static harm_status ap_weights_file(harm_config *c, const char *v, harm_error *e,
                                   const char *k) {
  (void)c;
  (void)e;
  (void)k;
  (void)v;
  return HARM_OK; /* kept as text */
}

static harm_status ap_weights_format(harm_config *c, const char *v,
                                     harm_error *e, const char *k) {
  static const char *const names[] = {"auto", "native", "cchi"};
  for (int i = 0; i < 3; i++) {
    if (harm__ieq(v, strlen(v), names[i])) {
      c->weights_format = (harm_weights_format)i;
      return HARM_OK;
    }
  }
  return bad(e, k, v, "auto, native or cchi");
}

static harm_status ap_dup_rule(harm_config *c, const char *v, harm_error *e,
                               const char *k) {
  static const char *const names[] = {"max", "min", "first"};
  for (int i = 0; i < 3; i++) {
    if (harm__ieq(v, strlen(v), names[i])) {
      c->dup_rule = (harm_dup_rule)i;
      return HARM_OK;
    }
  }
  return bad(e, k, v, "max, min or first");
}

static harm_status ap_key(harm_config *c, const char *v, harm_error *e,
                          const char *k) {
  if (harm__ieq(v, strlen(v), "ho_class")) {
    c->key = HARM_KEY_HO_CLASS;
  } else if (harm__ieq(v, strlen(v), "athena")) {
    c->key = HARM_KEY_ATHENA;
  } else if (harm__ieq(v, strlen(v), "ho_code")) {
    c->key = HARM_KEY_HO_CODE;
  } else {
    return bad(e, k, v, "ho_class, ho_code or athena");
  }
  return HARM_OK;
}

static harm_status ap_top_per_area(harm_config *c, const char *v, harm_error *e,
                                   const char *k) {
  uint64_t n;
  if (!harm__parse_u64(v, strlen(v), &n) || n > SIZE_MAX) {
    return bad(e, k, v, "a count per area (0 = no per-area list)");
  }
  c->top_per_area = (size_t)n;
  return HARM_OK;
}

static harm_status ap_top(harm_config *c, const char *v, harm_error *e,
                          const char *k) {
  uint64_t n;
  if (!harm__parse_u64(v, strlen(v), &n) || n > SIZE_MAX) {
    return bad(e, k, v, "a count (0 = all)");
  }
  c->output_top = (size_t)n;
  return HARM_OK;
}

/* A file name, kept as text (resolved against the INI file's folder). */
static harm_status ap_path(harm_config *c, const char *v, harm_error *e,
                           const char *k) {
  (void)c;
  (void)e;
  (void)k;
  (void)v;
  return HARM_OK;
}

static harm_status ap_top_places(harm_config *c, const char *v, harm_error *e,
                                 const char *k) {
  if (harm__ieq(v, strlen(v), "auto")) {
    c->top_places = true;
  } else if (harm__ieq(v, strlen(v), "off")) {
    c->top_places = false;
  } else {
    return bad(e, k, v, "auto or off");
  }
  return HARM_OK;
}

static harm_status ap_quiet(harm_config *c, const char *v, harm_error *e,
                            const char *k) {
  return ap_bool(&c->quiet, v, e, k);
}

static harm_status ap_places_pseudonymise(harm_config *c, const char *v,
                                          harm_error *e, const char *k) {
  return ap_bool(&c->pseudonymise_places, v, e, k);
}

static harm_status ap_top_k(harm_config *c, const char *v, harm_error *e,
                            const char *k) {
  uint64_t n;
  if (!*v) {
    c->top_k = 0;
  } else if (harm__parse_u64(v, strlen(v), &n) && n >= 1 && n <= 1000000) {
    c->top_k = (size_t)n;
  } else {
    return bad(e, k, v, "a count from 1 to 1000000 (empty = [cohort] size)");
  }
  return HARM_OK;
}

static harm_status ap_perturb(harm_config *c, const char *v, harm_error *e,
                              const char *k) {
  double d;
  if (!parse_decimal(v, strlen(v), &d) || d >= 1.0) {
    return bad(e, k, v, "a decimal from 0 up to (not including) 1");
  }
  c->perturb = d;
  return HARM_OK;
}

static harm_status ap_draws(harm_config *c, const char *v, harm_error *e,
                            const char *k) {
  uint64_t n;
  if (!harm__parse_u64(v, strlen(v), &n) || n < 1 || n > HARM_SWEEP_MAX_DRAWS) {
    return bad(e, k, v, "a count from 1 to 1000000");
  }
  c->draws = (size_t)n;
  return HARM_OK;
}

static harm_status ap_seed(harm_config *c, const char *v, harm_error *e,
                           const char *k) {
  uint64_t n;
  if (!harm__parse_u64(v, strlen(v), &n)) {
    return bad(e, k, v, "a whole number from 0");
  }
  c->seed = n;
  return HARM_OK;
}

static harm_status ap_by(harm_config *c, const char *v, harm_error *e,
                         const char *k) {
  if (!*v || harm__ieq(v, strlen(v), "none")) {
    c->by_area = false;
  } else if (harm__ieq(v, strlen(v), "area")) {
    c->by_area = true;
  } else {
    return bad(e, k, v, "none or area");
  }
  return HARM_OK;
}

/* Outputs hold personal data about offenders and victims, so the mode
 * must let the owner read and write them and must not let anyone else
 * write, or anyone outside the group read: 0600 (the default) or 0640,
 * written as three octal digits with an optional leading 0. Execute,
 * setuid, setgid and sticky bits mean nothing on a data file. */
static harm_status ap_file_mode(harm_config *c, const char *v, harm_error *e,
                                const char *k) {
  const char *d = v[0] == '0' && strlen(v) == 4 ? v + 1 : v;
  if (strcmp(d, "600") != 0 && strcmp(d, "640") != 0) {
    return bad(e, k, v,
               "0600 (owner only) or 0640 (owner, and group may read)");
  }
  c->file_mode = d[1] == '4' ? 0640u : 0600u;
  return HARM_OK;
}

/* The protective marking printed at the top of every page of the
 * workbooks (UK Government Security Classifications: police personal
 * data is usually OFFICIAL-SENSITIVE). Any printable text up to 64
 * bytes; "" or "none" prints no marking. Control characters could break
 * the page header, so they are refused. */
static harm_status ap_marking(harm_config *c, const char *v, harm_error *e,
                              const char *k) {
  (void)c;
  size_t len = strlen(v);
  bool ok = len <= 64;
  for (size_t i = 0; ok && i < len; i++) {
    unsigned char ch = (unsigned char)v[i];
    ok = ch >= 0x20 && ch != 0x7f;
  }
  if (!ok) {
    return bad(e, k, v,
               "printable text of at most 64 bytes (none = no marking)");
  }
  return HARM_OK;
}

static harm_status ap_size(harm_config *c, const char *v, harm_error *e,
                           const char *k) {
  uint64_t n;
  if (!harm__parse_u64(v, strlen(v), &n) || n > 100000) {
    return bad(e, k, v, "a count from 0 to 100000");
  }
  if (strcmp(k, "size") == 0) {
    c->rules.size = (size_t)n;
  } else if (strcmp(k, "referral_slots") == 0) {
    c->rules.referral_slots = (size_t)n;
  } else if (strcmp(k, "min_offences") == 0) {
    c->rules.min_offences = (uint32_t)n;
  } else {
    c->rules.min_tenure_months = (uint32_t)n;
  }
  return HARM_OK;
}

static harm_status ap_tenure_places(harm_config *c, const char *v,
                                    harm_error *e, const char *k) {
  uint64_t n;
  if (harm__ieq(v, strlen(v), "none")) {
    c->rules.max_tenure_places = SIZE_MAX;
  } else if (harm__parse_u64(v, strlen(v), &n) && n <= 100000) {
    c->rules.max_tenure_places = (size_t)n;
  } else {
    return bad(e, k, v, "none (no limit) or a count from 0 to 100000");
  }
  return HARM_OK;
}

static harm_status ap_backfill(harm_config *c, const char *v, harm_error *e,
                               const char *k) {
  return ap_bool(&c->rules.backfill, v, e, k);
}

static harm_status ap_min_harm(harm_config *c, const char *v, harm_error *e,
                               const char *k) {
  return ap_days(&c->rules.min_harm, v, e, k);
}

static harm_status ap_roles(harm_config *c, const char *v, harm_error *e,
                            const char *k) {
  if (harm__ieq(v, strlen(v), "offender")) {
    c->roles = HARM_ROLES_OFFENDER;
  } else if (harm__ieq(v, strlen(v), "victim")) {
    c->roles = HARM_ROLES_VICTIM;
  } else if (harm__ieq(v, strlen(v), "both")) {
    c->roles = HARM_ROLES_BOTH;
  } else {
    return bad(e, k, v, "offender, victim or both");
  }
  return HARM_OK;
}

static harm_status ap_rank_by(harm_config *c, const char *v, harm_error *e,
                              const char *k) {
  if (!*v) {
    c->rank_by = HARM_RANK_BY_ROLES;
  } else if (harm__ieq(v, strlen(v), "caused")) {
    c->rank_by = HARM_RANK_BY_CAUSED;
  } else if (harm__ieq(v, strlen(v), "suffered")) {
    c->rank_by = HARM_RANK_BY_SUFFERED;
  } else if (harm__ieq(v, strlen(v), "combined")) {
    c->rank_by = HARM_RANK_BY_COMBINED;
  } else {
    return bad(e, k, v, "caused, suffered or combined (empty = by roles)");
  }
  return HARM_OK;
}

static harm_status ap_balance_ratio(harm_config *c, const char *v,
                                    harm_error *e, const char *k) {
  double r;
  if (!parse_decimal(v, strlen(v), &r) || !(r > 1) || r > 1000) {
    return bad(e, k, v, "a ratio above 1 and at most 1000");
  }
  c->balance_ratio = r;
  return HARM_OK;
}

/* An age limit in whole years; "none" (or empty) = no limit. */
static harm_status ap_age(harm_config *c, const char *v, harm_error *e,
                          const char *k) {
  uint64_t n;
  int32_t age = -1;
  if (*v && !harm__ieq(v, strlen(v), "none")) {
    if (!harm__parse_u64(v, strlen(v), &n) || n > 150) {
      return bad(e, k, v, "none or whole years from 0 to 150");
    }
    age = (int32_t)n;
  }
  if (strcmp(k, "min_age") == 0) {
    c->rules.min_age = age;
  } else {
    c->rules.max_age = age;
  }
  return HARM_OK;
}

static harm_status ap_partition(harm_config *c, const char *v, harm_error *e,
                                const char *k) {
  if (!*v || harm__ieq(v, strlen(v), "none")) {
    c->rules.partition_by_area = false;
  } else if (harm__ieq(v, strlen(v), "area")) {
    c->rules.partition_by_area = true;
  } else {
    return bad(e, k, v, "none or area");
  }
  return HARM_OK;
}

static harm_status ap_model(harm_config *c, const char *v, harm_error *e,
                            const char *k) {
  if (harm__ieq(v, strlen(v), "cchi")) {
    c->rules.rfgv = false;
  } else if (harm__ieq(v, strlen(v), "rfgv")) {
    c->rules.rfgv = true;
  } else {
    return bad(e, k, v, "cchi or rfgv");
  }
  return HARM_OK;
}

static harm_status ap_name(harm_config *c, const char *v, harm_error *e,
                           const char *k) {
  (void)c;
  (void)v;
  (void)e;
  (void)k;
  return HARM_OK; /* kept as text */
}

/* Parses exactly n comma-separated decimals (whole numbers up to
 * UINT32_MAX when `whole`, since they are stored as uint32_t), ascending
 * if asked. */
static harm_status number_list(const char *v, double *out, size_t n,
                               bool ascending, bool whole, harm_error *e,
                               const char *k) {
  const char *p = v;
  for (size_t i = 0; i < n; i++) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    uint64_t u = 0;
    bool ok = whole ? harm__parse_u64(p, len, &u) && u <= UINT32_MAX
                    : parse_decimal(p, len, &out[i]);
    if (whole) {
      out[i] = (double)u;
    }
    if (!ok || (ascending && i && out[i] <= out[i - 1]) ||
        (i + 1 < n && !end) || (i + 1 == n && end)) {
      char want[96];
      snprintf(want, sizeof want, "%zu comma-separated %s >= 0%s", n,
               whole ? "whole numbers" : "decimal numbers",
               ascending ? ", ascending" : "");
      return bad(e, k, v, want);
    }
    p = end ? end + 1 : p + len;
  }
  return HARM_OK;
}

static harm_status ap_rfgv(harm_config *c, const char *v, harm_error *e,
                           const char *k) {
  harm_rfgv_bands *b = &c->rules.bands;
  double tmp[6];
  harm_status st;
  if (strcmp(k, "recency_months") == 0) {
    if ((st = number_list(v, tmp, 5, true, false, e, k)) == HARM_OK) {
      memcpy(b->recency_months, tmp, sizeof b->recency_months);
    }
  } else if (strcmp(k, "recency_points") == 0) {
    if ((st = number_list(v, tmp, 6, false, false, e, k)) == HARM_OK) {
      memcpy(b->recency_points, tmp, sizeof b->recency_points);
    }
  } else if (strcmp(k, "frequency_min") == 0) {
    if ((st = number_list(v, tmp, 5, true, true, e, k)) == HARM_OK) {
      for (int i = 0; i < 5; i++) {
        b->frequency_min[i] = (uint32_t)tmp[i];
      }
    }
  } else if (strcmp(k, "frequency_points") == 0) {
    if ((st = number_list(v, tmp, 5, false, false, e, k)) == HARM_OK) {
      memcpy(b->frequency_points, tmp, sizeof b->frequency_points);
    }
  } else if (strcmp(k, "victims_min") == 0) {
    if ((st = number_list(v, tmp, 3, true, true, e, k)) == HARM_OK) {
      for (int i = 0; i < 3; i++) {
        b->victims_min[i] = (uint32_t)tmp[i];
      }
    }
  } else if (strcmp(k, "victims_points") == 0) {
    if ((st = number_list(v, tmp, 3, false, false, e, k)) == HARM_OK) {
      memcpy(b->victims_points, tmp, sizeof b->victims_points);
    }
  } else if (strcmp(k, "gravity_points") == 0) {
    if ((st = number_list(v, tmp, 5, false, false, e, k)) == HARM_OK) {
      memcpy(b->gravity_points, tmp, sizeof b->gravity_points);
    }
  } else {
    double w = 0;
    if ((st = ap_days(&w, v, e, k)) == HARM_OK) {
      double *dst = k[7] == 'r'   ? &b->weight_r
                    : k[7] == 'f' ? &b->weight_f
                    : k[7] == 'g' ? &b->weight_g
                                  : &b->weight_v;
      *dst = w;
    }
  }
  return st;
}

/* ---- Oversight keys ([evaluate], [monitor]): kept as text and read by
 * engine/oversight; the appliers only check the value. */

static harm_status ap_eval_as_of(harm_config *c, const char *v, harm_error *e,
                                 const char *k) {
  (void)c;
  harm_date d;
  if (*v && !harm_date_parse(v, strlen(v), HARM_DATE_YMD, &d)) {
    return bad(e, k, v, "a date YYYY-MM-DD (empty = as_of + window length)");
  }
  return HARM_OK;
}

static harm_status ap_eval_ranks(harm_config *c, const char *v, harm_error *e,
                                 const char *k) {
  (void)c;
  const char *dash = strchr(v, '-');
  uint64_t a = 0, b = 0;
  if (*v && (!dash || !harm__parse_u64(v, (size_t)(dash - v), &a) ||
             !harm__parse_u64(dash + 1, strlen(dash + 1), &b) || a < 1 ||
             b < a || b > 1000000)) {
    return bad(e, k, v, "ranks A-B with 1 <= A <= B (empty = size+1-2*size)");
  }
  return HARM_OK;
}

static harm_status ap_eval_seed(harm_config *c, const char *v, harm_error *e,
                                const char *k) {
  (void)c;
  uint64_t n;
  if (!harm__parse_u64(v, strlen(v), &n)) {
    return bad(e, k, v, "a whole number from 0");
  }
  return HARM_OK;
}

static harm_status ap_eval_draws(harm_config *c, const char *v, harm_error *e,
                                 const char *k) {
  (void)c;
  uint64_t n;
  if (!harm__parse_u64(v, strlen(v), &n) || n < 100 || n > 1000000) {
    return bad(e, k, v, "a count from 100 to 1000000");
  }
  return HARM_OK;
}

static harm_status ap_monitor_by(harm_config *c, const char *v, harm_error *e,
                                 const char *k) {
  (void)c;
  if (strlen(v) > 128 || strchr(v, ',')) {
    return bad(e, k, v, "one column name (no comma, at most 128 bytes)");
  }
  return HARM_OK;
}

static const key_def keys[] = {
    {"input", "offences", "", ap_path, PATH_ONE},
    {"input", "date_format", "ymd", ap_date_format, false},
    {"input", "group_by", "", ap_group_by, false},
    {"input", "strict", "false", ap_strict, false},
    {"input", "max_field_bytes", "1048576", ap_max_field, false},
    {"input", "max_reject_share", "0.5", ap_reject_share, false},
    {"columns", "offence_id", "offence_id", ap_col_offence_id, false},
    {"columns", "offender_id", "offender_id", ap_col_offender_id, false},
    {"columns", "offence_code", "offence_code", ap_col_offence_code, false},
    {"columns", "offence_date", "offence_date", ap_col_offence_date, false},
    {"columns", "victim_id", "victim_id", ap_col_victim_id, false},
    {"columns", "domestic", "domestic", ap_col_domestic, false},
    {"columns", "area", "area", ap_col_area, false},
    {"columns", "place", "place", ap_col_place, false},
    {"columns", "place_type", "place_type", ap_col_place_type, false},
    {"scoring", "as_of", "latest", ap_as_of, false},
    {"scoring", "lookback_days", "365", ap_lookback, false},
    {"scoring", "exclude_proactive", "true", ap_exclude_proactive, false},
    {"scoring", "strict_codes", "false", ap_strict_codes, false},
    {"scoring", "half_life_days", "0", ap_half_life, false},
    {"scoring", "cap", "0", ap_cap, false},
    {"scoring", "transform", "none", ap_transform, false},
    {"scoring", "attribution", "full", ap_attribution, false},
    {"scoring", "categories", "", ap_categories, false},
    {"scoring", "roles", "offender", ap_roles, false},
    {"scoring", "rank_by", "", ap_rank_by, false},
    {"people", "file", "", ap_path, PATH_ONE},
    {"people", "balance_ratio", "3.5", ap_balance_ratio, false},
    {"weights", "file", "", ap_weights_file, true},
    {"weights", "format", "auto", ap_weights_format, false},
    {"weights", "duplicate_rule", "max", ap_dup_rule, false},
    {"weights", "key", "ho_class", ap_key, false},
    {"weights", "aliases", "", ap_weights_file, true},
    {"output", "top", "0", ap_top, false},
    {"output", "top_per_area", "0", ap_top_per_area, false},
    {"output", "file_mode", "0600", ap_file_mode, false},
    {"output", "file", "", ap_path, PATH_ONE},
    {"output", "rejects", "", ap_path, PATH_ONE},
    {"output", "dir", "", ap_path, PATH_ONE},
    {"output", "quiet", "false", ap_quiet, false},
    {"output", "top_places", "auto", ap_top_places, false},
    {"output", "pseudonymise_places", "false", ap_places_pseudonymise, false},
    {"privacy", "pseudonymise", "", ap_path, PATH_ONE},
    {"output", "marking", "OFFICIAL-SENSITIVE", ap_marking, false},
    {"run", "threads", "0", ap_threads, false},
    {"cohort", "name", "cohort", ap_name, false},
    {"cohort", "model", "cchi", ap_model, false},
    {"cohort", "size", "15", ap_size, false},
    {"cohort", "referral_slots", "5", ap_size, false},
    {"cohort", "backfill", "false", ap_backfill, false},
    {"cohort", "partition_by", "none", ap_partition, false},
    {"cohort", "min_harm", "0", ap_min_harm, false},
    {"cohort", "min_offences", "1", ap_size, false},
    {"cohort", "min_tenure_months", "0", ap_size, false},
    {"cohort", "max_tenure_places", "none", ap_tenure_places, false},
    {"cohort", "min_age", "none", ap_age, false},
    {"cohort", "max_age", "none", ap_age, false},
    {"cohort", "referrals", "", ap_path, PATH_ONE},
    {"cohort", "exclusions", "", ap_path, PATH_ONE},
    {"cohort", "previous", "", ap_path, PATH_ONE},
    {"compare", "weights", "", ap_path, PATH_LIST},
    {"compare", "top_k", "", ap_top_k, false},
    {"sweep", "perturb", "0.2", ap_perturb, false},
    {"sweep", "draws", "1000", ap_draws, false},
    {"sweep", "seed", "1", ap_seed, false},
    {"concentration", "by", "none", ap_by, false},
    {"rfgv", "recency_months", "1,3,6,12,24", ap_rfgv, false},
    {"rfgv", "recency_points", "5,4,3,2,1,0", ap_rfgv, false},
    {"rfgv", "frequency_min", "1,2,3,5,8", ap_rfgv, false},
    {"rfgv", "frequency_points", "1,2,3,4,5", ap_rfgv, false},
    {"rfgv", "victims_min", "1,2,3", ap_rfgv, false},
    {"rfgv", "victims_points", "1,3,5", ap_rfgv, false},
    {"rfgv", "gravity_points", "1,2,3,4,5", ap_rfgv, false},
    {"rfgv", "weight_r", "1", ap_rfgv, false},
    {"rfgv", "weight_f", "1", ap_rfgv, false},
    {"rfgv", "weight_g", "1", ap_rfgv, false},
    {"rfgv", "weight_v", "1", ap_rfgv, false},
    /* Oversight: `evaluate` and `monitor` (engine/oversight). */
    {"evaluate", "runs", "", ap_path, PATH_LIST},
    {"evaluate", "as_of", "", ap_eval_as_of, false},
    {"evaluate", "comparison_ranks", "", ap_eval_ranks, false},
    {"evaluate", "seed", "1", ap_eval_seed, false},
    {"evaluate", "draws", "2000", ap_eval_draws, false},
    {"monitor", "run", "", ap_path, PATH_ONE},
    {"monitor", "groups", "", ap_path, PATH_ONE},
    {"monitor", "by", "", ap_monitor_by, false},
    {"monitor", "reference", "", ap_path, PATH_ONE},
};

enum { N_KEYS = sizeof keys / sizeof keys[0] };

static int find_key(const char *section, const char *key) {
  for (int i = 0; i < N_KEYS; i++) {
    if (strcmp(keys[i].section, section) == 0 &&
        strcmp(keys[i].key, key) == 0) {
      return i;
    }
  }
  return -1;
}

/* The [filter] slot that column uses, or n_filters for a new one. */
static size_t filter_slot_of(const harm_config *cfg, const char *column) {
  for (size_t i = 0; i < cfg->n_filters; i++) {
    if (harm__ieq(cfg->filters[i].column, strlen(cfg->filters[i].column),
                  column)) {
      return i;
    }
  }
  return cfg->n_filters;
}

static harm_status set_filter(harm_config *cfg, const char *column,
                              const char *value, harm_error *err) {
  size_t slot = filter_slot_of(cfg, column);
  if (slot == MAX_FILTERS) {
    return harm__fail(err, HARM_ERR_LIMIT, "config", NULL, 0, column,
                      "more than %d filters", MAX_FILTERS);
  }
  char **list;
  size_t n;
  harm_status st = split_list(value, &list, &n);
  if (st != HARM_OK) {
    return harm__fail(err, st, "config", NULL, 0, column,
                      st == HARM_ERR_LIMIT ? "more than 256 values"
                                           : "out of memory");
  }
  if (n == 0) {
    free_list(list, n);
    return harm__fail(err, HARM_ERR_CONFIG, "config", NULL, 0, column,
                      "a filter needs at least one value");
  }
  filter_slot *f = &cfg->filters[slot];
  char *col = slot == cfg->n_filters ? harm__strdup(column) : f->column;
  char *text = harm__strdup(value);
  if (!col || !text) {
    if (slot == cfg->n_filters) {
      harm__free(col);
    }
    harm__free(text);
    free_list(list, n);
    return harm__fail(err, HARM_ERR_NOMEM, "config", NULL, 0, column,
                      "out of memory");
  }
  if (slot < cfg->n_filters) {
    free_list(f->values, f->n_values);
    harm__free(f->values_text);
  } else {
    cfg->n_filters++;
  }
  f->column = col;
  f->values_text = text;
  f->values = list;
  f->n_values = n;
  for (size_t i = 0; i < cfg->n_filters; i++) {
    cfg->filter_view[i].column = cfg->filters[i].column;
    cfg->filter_view[i].values = (const char *const *)cfg->filters[i].values;
    cfg->filter_view[i].n_values = cfg->filters[i].n_values;
  }
  return HARM_OK;
}

/* A file name from an INI file is relative to that file's folder: dir/name,
 * unless it is absolute or "-" (standard input or output). With `list`,
 * each comma-separated name is resolved and the list rejoined with ", ".
 * NULL when out of memory. */
static char *resolve_paths(const char *dir, const char *value, bool list) {
  harm__buf b = {0};
  bool ok = harm__buf_append(&b, "", 0);
  const char *p = value;
  while (ok) {
    const char *end = list ? strchr(p, ',') : NULL;
    size_t len = end ? (size_t)(end - p) : strlen(p);
    harm__trim(&p, &len);
    if (b.len) {
      ok = harm__buf_append(&b, ", ", 2);
    }
    if (ok && len && p[0] != '/' && !(len == 1 && p[0] == '-')) {
      ok = harm__buf_append(&b, dir, strlen(dir)) &&
           harm__buf_append(&b, "/", 1);
    }
    ok = ok && harm__buf_append(&b, p, len);
    if (!end) {
      break;
    }
    p = end + 1;
  }
  if (!ok) {
    harm__buf_free(&b);
    return NULL;
  }
  return b.data;
}

static harm_status set_key(harm_config *cfg, const char *section,
                           const char *key, const char *value, bool resolve,
                           harm_error *err) {
  if (strcmp(section, "filter") == 0) {
    return set_filter(cfg, key, value, err);
  }
  int i = find_key(section, key);
  if (i < 0) {
    return harm__fail(err, HARM_ERR_CONFIG, "config", NULL, 0, key,
                      "unknown key [%s] %s", section, key);
  }
  char *text;
  if (keys[i].is_path && resolve && cfg->base_dir && *cfg->base_dir) {
    text = resolve_paths(cfg->base_dir, value, keys[i].is_path == PATH_LIST);
  } else {
    text = harm__strdup(value);
  }
  if (!text) {
    return harm__fail(err, HARM_ERR_NOMEM, "config", NULL, 0, key,
                      "out of memory");
  }
  harm_status st = keys[i].apply(cfg, text, err, key);
  if (st != HARM_OK) {
    harm__free(text);
    return st;
  }
  harm__free(cfg->text[i]);
  cfg->text[i] = text;
  return HARM_OK;
}

harm_status harm_config_new(harm_config **out, harm_error *err) {
  *out = NULL;
  harm_config *cfg = harm__calloc(1, sizeof *cfg);
  if (!cfg || !(cfg->text = harm__calloc(N_KEYS, sizeof *cfg->text))) {
    harm__free(cfg);
    return harm__fail(err, HARM_ERR_NOMEM, "config", NULL, 0, NULL,
                      "out of memory");
  }
  harm_cohort_rules rules = HARM_COHORT_RULES_INIT;
  cfg->rules = rules;
  for (int i = 0; i < N_KEYS; i++) {
    harm_status st =
        set_key(cfg, keys[i].section, keys[i].key, keys[i].def, false, err);
    if (st != HARM_OK) {
      harm_config_free(cfg);
      return st;
    }
  }
  *out = cfg;
  return HARM_OK;
}

void harm_config_free(harm_config *cfg) {
  if (!cfg) {
    return;
  }
  for (int i = 0; cfg->text && i < N_KEYS; i++) {
    harm__free(cfg->text[i]);
  }
  harm__free(cfg->text);
  free_list(cfg->categories, cfg->n_categories);
  for (size_t i = 0; i < cfg->n_filters; i++) {
    harm__free(cfg->filters[i].column);
    harm__free(cfg->filters[i].values_text);
    free_list(cfg->filters[i].values, cfg->filters[i].n_values);
  }
  for (size_t i = 0; i < cfg->n_files; i++) {
    harm__free(cfg->file_path[i]);
  }
  harm__free(cfg);
}

/* ---- reading an INI file -------------------------------------------------
 *
 * Debian's inih is built with a 200-byte line buffer (a longer line is cut
 * and its tail read as a line of its own), with indented lines joined to
 * the previous key, without line numbers in the handler, and it splits
 * lines on LF only. So this reader does the line work itself and hands
 * inih one normalised line at a time: "" for a blank or comment line,
 * "[name]" for a known section and "name=" for a key line, whose value it
 * keeps here for the handler. inih then only tracks the section and calls
 * the handler, one reader call per line, so its line count is ours. */

enum { MAX_INI_BYTES = 1 << 20 }; /* no real run configuration comes near */

/* Every section of the key table, and [filter]. The test
 * every_key_loads_from_a_file_under_its_section fails if a key's section
 * is missing here. */
static const char *const sections[] = {
    "input",  "columns",  "scoring", "weights", "output", "run",
    "cohort", "rfgv",     "privacy", "compare", "sweep",  "concentration",
    "people", "evaluate", "monitor", "filter"};
enum { N_SECTIONS = sizeof sections / sizeof sections[0] };

typedef struct ini_ctx {
  harm_config *cfg;
  harm_error *err;
  const char *path;
  harm_status status; /* first error; the parse stops there */
  char *buf;          /* the whole file, NUL-terminated */
  size_t len, pos;
  size_t line;                     /* lines handed to inih so far */
  const char *value;               /* value of the key line just handed */
  size_t section_line[N_SECTIONS]; /* where each section appeared, 0 = not */
  size_t key_line[N_KEYS];         /* where each key was set, 0 = not */
  size_t filter_line[MAX_FILTERS]; /* [filter] slots set in this file */
} ini_ctx;

/* Records the first error at this file's current line and stops the parse.
 * HARM__PRINTF would not check a forwarded va_list, so callers pass one
 * finished message. */
static int ini_fail(ini_ctx *ic, const char *column, const char *msg) {
  ic->status = harm__fail(ic->err, HARM_ERR_CONFIG, "config", ic->path,
                          ic->line, column, "%s", msg);
  return 0;
}

/* The C locale's isspace, which is what inih trims. */
static bool ini_space(char c) {
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' ||
         c == '\n';
}

/* Where a value or name stops: at a character in `stop`, at an inline
 * comment (';' after white space, as inih reads it; also ';' first in a
 * value, so "key =;x" and "key = ;x" agree) or at the end. */
static char *ini_scan(char *s, const char *stop, bool was_space) {
  while (*s && !(stop && strchr(stop, *s)) && !(was_space && *s == ';')) {
    was_space = ini_space(*s);
    s++;
  }
  return s;
}

/* "[name]" with nothing after it but a comment; a known section, once. */
static int ini_section(ini_ctx *ic, char *s, char *str) {
  char *end = strchr(s, ']');
  if (!end) {
    return ini_fail(ic, NULL, "syntax error (a [section] without ']')");
  }
  char *rest = end + 1;
  while (ini_space(*rest)) {
    rest++;
  }
  if (*rest && *rest != ';' && *rest != '#') {
    return ini_fail(ic, NULL, "text after a [section] header");
  }
  size_t n = (size_t)(end - s - 1);
  for (size_t i = 0; i < N_SECTIONS; i++) {
    if (strlen(sections[i]) == n && strncmp(s + 1, sections[i], n) == 0) {
      if (ic->section_line[i]) {
        char msg[96];
        snprintf(msg, sizeof msg,
                 "section [%s] appears twice (first on line %zu)", sections[i],
                 ic->section_line[i]);
        return ini_fail(ic, NULL, msg);
      }
      ic->section_line[i] = ic->line;
      snprintf(str, 16, "[%s]", sections[i]);
      return 1;
    }
  }
  char msg[96];
  snprintf(msg, sizeof msg, "unknown section [%.*s]", (int)(n < 60 ? n : 60),
           s + 1);
  return ini_fail(ic, NULL, msg);
}

/* "name = value ; comment" (or "name: value", as inih allows): hands inih
 * "name=" and keeps the value, trimmed, for on_ini. */
static int ini_key(ini_ctx *ic, char *s, char *str, size_t cap) {
  char *sep = ini_scan(s, "=:", false);
  if (*sep != '=' && *sep != ':') {
    return ini_fail(ic, NULL,
                    "syntax error (expected [section] or key = value)");
  }
  char *name_end = sep;
  while (name_end > s && ini_space(name_end[-1])) {
    name_end--;
  }
  size_t name_len = (size_t)(name_end - s);
  if (name_len + 2 > cap) {
    return ini_fail(ic, NULL, "a key name longer than any key");
  }
  char *v = sep + 1;
  char *v_end = ini_scan(v, NULL, true);
  while (ini_space(*v) && v < v_end) {
    v++;
  }
  while (v_end > v && ini_space(v_end[-1])) {
    v_end--;
  }
  *v_end = '\0'; /* the rest of the line is a comment or blanks */
  ic->value = v;
  memcpy(str, s, name_len);
  str[name_len] = '=';
  str[name_len + 1] = '\0';
  return 1;
}

/* inih's reader: the next line, split at LF, CRLF or a lone CR. */
static char *read_line(char *str, int num, void *stream) {
  ini_ctx *ic = stream;
  if (ic->status != HARM_OK || ic->pos >= ic->len || num < 32) {
    return NULL;
  }
  char *s = ic->buf + ic->pos;
  size_t n = 0;
  while (ic->pos + n < ic->len && s[n] != '\n' && s[n] != '\r') {
    n++;
  }
  ic->pos += n;
  if (ic->pos < ic->len) {
    if (ic->buf[ic->pos] == '\r' && ic->pos + 1 < ic->len &&
        ic->buf[ic->pos + 1] == '\n') {
      ic->pos++;
    }
    ic->pos++;
  }
  ic->line++;
  ic->value = NULL;
  if (memchr(s, '\0', n)) {
    ini_fail(ic, NULL, "a NUL byte (is this a text file?)");
    return NULL;
  }
  s[n] = '\0'; /* over the line break, already passed */
  if (ic->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0) {
    s += 3;
  }
  while (ini_space(*s)) {
    s++; /* indentation is harmless, never a continuation */
  }
  str[0] = '\0';
  int ok = 1;
  if (*s == '[') {
    ok = ini_section(ic, s, str);
  } else if (*s && *s != ';' && *s != '#') {
    ok = ini_key(ic, s, str, (size_t)num);
  }
  return ok ? str : NULL;
}

/* A key set twice in one file is a mistake (which one did they mean?);
 * across files and flags the later one wins, as documented. */
static int check_duplicate(ini_ctx *ic, const char *section, const char *name,
                           size_t **seen) {
  *seen = NULL;
  if (strcmp(section, "filter") == 0) {
    size_t slot = filter_slot_of(ic->cfg, name);
    *seen = slot < MAX_FILTERS ? &ic->filter_line[slot] : NULL;
  } else {
    int i = find_key(section, name);
    *seen = i >= 0 ? &ic->key_line[i] : NULL;
  }
  if (*seen && **seen) {
    char msg[160];
    snprintf(msg, sizeof msg,
             "key \"%.60s\" appears twice in [%s] (first on line %zu)", name,
             section, **seen);
    return ini_fail(ic, name, msg);
  }
  return 1;
}

static int on_ini(void *user, const char *section, const char *name,
                  const char *value) {
  ini_ctx *ic = user;
  (void)value; /* always "": the reader keeps the real one */
  if (ic->status != HARM_OK || !ic->value) {
    return 0;
  }
  size_t *seen;
  if (!check_duplicate(ic, section, name, &seen)) {
    return 0;
  }
  harm_status st = set_key(ic->cfg, section, name, ic->value, true, ic->err);
  if (st != HARM_OK) {
    ic->status = st;
    if (ic->err) {
      size_t n = strlen(ic->path);
      if (n >= sizeof ic->err->file) {
        n = sizeof ic->err->file - 1;
      }
      memcpy(ic->err->file, ic->path, n);
      ic->err->file[n] = '\0';
      ic->err->record = ic->line;
    }
    return 0;
  }
  if (seen) {
    *seen = ic->line;
  }
  return 1;
}

/* Records the SHA-256 of the bytes the configuration was parsed from, for
 * the manifest (a file replaced or a pipe drained after this point cannot
 * change what is recorded). False when out of memory or the digest
 * failed. */
static bool record_hash(harm_config *cfg, const char *path, const char *bytes,
                        size_t n) {
  harm__digest dg;
  memset(&dg, 0, sizeof dg);
  harm_input_hash h;
  bool ok = harm__digest_begin(&dg);
  harm__digest_update(&dg, bytes, n);
  ok = harm__digest_end(&dg, &h) && ok;
  if (!ok) {
    return false;
  }
  size_t k = 0;
  while (k < cfg->n_files && strcmp(cfg->file_path[k], path) != 0) {
    k++;
  }
  if (k == cfg->n_files && k < sizeof cfg->file_path / sizeof *cfg->file_path) {
    if (!(cfg->file_path[k] = harm__strdup(path))) {
      return false;
    }
    cfg->n_files++;
  }
  if (k < cfg->n_files) {
    cfg->file_hash[k] = h;
  }
  return true;
}

const harm_input_hash *harm_config_input_hash(const harm_config *cfg,
                                              const char *path) {
  for (size_t k = 0; k < cfg->n_files; k++) {
    if (strcmp(cfg->file_path[k], path) == 0) {
      return &cfg->file_hash[k];
    }
  }
  return NULL;
}

/* Reads the whole file (config files are small) so line ends of any kind
 * and NUL bytes can be seen. Returns HARM_OK, HARM_ERR_IO, HARM_ERR_CONFIG
 * (too large) or HARM_ERR_NOMEM. */
static harm_status slurp_ini(const char *path, char **out, size_t *len,
                             harm_error *err) {
  *out = NULL;
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    return harm__fail(err, HARM_ERR_IO, "config", path, 0, NULL,
                      "cannot open the configuration file");
  }
  size_t cap = 4096, n = 0;
  char *buf = harm__malloc(cap + 1);
  while (buf) {
    n += fread(buf + n, 1, cap - n, fp);
    if (n < cap || cap > MAX_INI_BYTES) {
      break;
    }
    char *b = harm__realloc(buf, cap * 2 + 1);
    if (!b) {
      harm__free(buf);
      buf = NULL;
      break;
    }
    buf = b;
    cap *= 2;
  }
  bool failed = ferror(fp) != 0;
  fclose(fp);
  if (!buf) {
    return harm__fail(err, HARM_ERR_NOMEM, "config", path, 0, NULL,
                      "out of memory");
  }
  if (failed) {
    harm__free(buf);
    return harm__fail(err, HARM_ERR_IO, "config", path, 0, NULL,
                      "cannot read the configuration file");
  }
  if (n > MAX_INI_BYTES) {
    harm__free(buf);
    return harm__fail(err, HARM_ERR_CONFIG, "config", path, 0, NULL,
                      "larger than %d bytes: not a configuration file",
                      MAX_INI_BYTES);
  }
  buf[n] = '\0';
  *out = buf;
  *len = n;
  return HARM_OK;
}

harm_status harm_config_load(harm_config *cfg, const char *path,
                             harm_error *err) {
  char dir[HARM_ERROR_FILE_MAX * 4];
  const char *slash = strrchr(path, '/');
  size_t dl = slash ? (size_t)(slash - path) : 0;
  if (dl >= sizeof dir) {
    return harm__fail(err, HARM_ERR_LIMIT, "config", path, 0, NULL,
                      "path too long");
  }
  memcpy(dir, path, dl);
  dir[dl] = '\0';
  if (!slash) {
    strcpy(dir, ".");
  }
  ini_ctx ic;
  memset(&ic, 0, sizeof ic);
  harm_status st = slurp_ini(path, &ic.buf, &ic.len, err);
  if (st != HARM_OK) {
    return st;
  }
  if (!record_hash(cfg, path, ic.buf, ic.len)) {
    harm__free(ic.buf);
    return harm__fail(err, HARM_ERR_NOMEM, "config", path, 0, NULL,
                      "out of memory");
  }
  ic.cfg = cfg;
  ic.err = err;
  ic.path = path;
  ic.status = HARM_OK;
  cfg->base_dir = dir;
  int rc = ini_parse_stream(read_line, &ic, on_ini, &ic);
  cfg->base_dir = NULL;
  harm__free(ic.buf);
  if (ic.status != HARM_OK) {
    return ic.status;
  }
  if (rc != 0) {
    /* Every line inih sees is well formed, so this is inih failing. */
    return harm__fail(err, HARM_ERR_INTERNAL, "config", path,
                      rc > 0 ? (size_t)rc : 0, NULL,
                      "the INI reader failed (%d)", rc);
  }
  return HARM_OK;
}

harm_status harm_config_set(harm_config *cfg, const char *section,
                            const char *key, const char *value,
                            harm_error *err) {
  return set_key(cfg, section, key, value, false, err);
}

harm_status harm_config_validate(const harm_config *cfg, harm_error *err) {
  if (cfg->rules.size == 0 && cfg->rules.referral_slots == 0) {
    return harm__fail(err, HARM_ERR_CONFIG, "config", NULL, 0, "size",
                      "size and referral_slots are both 0: the cohort would "
                      "be empty");
  }
  if (cfg->rules.rfgv && cfg->transform != HARM_TRANSFORM_NONE) {
    return harm__fail(err, HARM_ERR_CONFIG, "config", NULL, 0, "model",
                      "model = rfgv bands total CCHI harm; a transform would "
                      "change the gravity band cut points (use none)");
  }
  if (cfg->as_of != HARM_DATE_NONE && cfg->lookback_days &&
      (int64_t)cfg->as_of - cfg->lookback_days < -719162) {
    return harm__fail(err, HARM_ERR_CONFIG, "config", NULL, 0, "lookback_days",
                      "the window starts before year 1");
  }
  const char *people = harm_config_get(cfg, "people", "file");
  bool ages = cfg->rules.min_age >= 0 || cfg->rules.max_age >= 0;
  if (ages && (!people || !*people)) {
    return harm__fail(err, HARM_ERR_CONFIG, "config", NULL, 0,
                      cfg->rules.min_age >= 0 ? "min_age" : "max_age",
                      "an age limit needs dates of birth: set [people] file "
                      "(--people FILE)");
  }
  if (cfg->rules.min_age >= 0 && cfg->rules.max_age >= 0 &&
      cfg->rules.min_age > cfg->rules.max_age) {
    return harm__fail(err, HARM_ERR_CONFIG, "config", NULL, 0, "min_age",
                      "min_age is above max_age: no one could be selected");
  }
  if ((cfg->rank_by == HARM_RANK_BY_CAUSED &&
       cfg->roles == HARM_ROLES_VICTIM) ||
      (cfg->rank_by == HARM_RANK_BY_SUFFERED &&
       cfg->roles == HARM_ROLES_OFFENDER)) {
    return harm__fail(err, HARM_ERR_CONFIG, "config", NULL, 0, "rank_by",
                      "rank_by = %s needs roles = %s or both",
                      harm_people_rank_by_name(cfg->rank_by),
                      cfg->rank_by == HARM_RANK_BY_CAUSED ? "offender"
                                                          : "victim");
  }
  if (harm_config_people_mode(cfg) && cfg->group_by) {
    return harm__fail(err, HARM_ERR_CONFIG, "config", NULL, 0, "group_by",
                      "people in either role are scored by person id: "
                      "group_by cannot be used with roles or a people file");
  }
  if (cfg->cap > 0 && cfg->transform != HARM_TRANSFORM_NONE && cfg->cap < 1) {
    return harm__fail(err, HARM_ERR_CONFIG, "config", NULL, 0, "cap",
                      "a cap below 1 day with a transform leaves almost no "
                      "harm; check cap");
  }
  return HARM_OK;
}

harm_ingest_opts harm_config_ingest_opts(const harm_config *cfg) {
  harm_ingest_opts o = HARM_INGEST_OPTS_INIT;
  o.columns = cfg->columns;
  o.date_format = cfg->date_format;
  o.group_by = cfg->group_by;
  o.filters = cfg->filter_view;
  o.n_filters = cfg->n_filters;
  o.as_of = cfg->as_of;
  o.lookback_days = cfg->lookback_days;
  o.strict = cfg->strict;
  o.max_field_bytes = cfg->max_field_bytes;
  o.max_reject_share = cfg->max_reject_share;
  o.threads = cfg->threads;
  return o;
}

harm_matrix_opts harm_config_matrix_opts(const harm_config *cfg,
                                         const harm_weights *weights) {
  harm_matrix_opts o = HARM_MATRIX_OPTS_INIT;
  o.weights = weights;
  o.exclude_proactive = cfg->exclude_proactive;
  o.categories = (const char *const *)cfg->categories;
  o.n_categories = cfg->n_categories;
  o.half_life_days = cfg->half_life_days;
  o.attribution = cfg->attribution;
  o.threads = cfg->threads;
  return o;
}

harm_roles harm_config_roles(const harm_config *cfg) { return cfg->roles; }

harm_rank_by harm_config_rank_by(const harm_config *cfg) {
  return cfg->rank_by;
}

double harm_config_balance_ratio(const harm_config *cfg) {
  return cfg->balance_ratio;
}

bool harm_config_people_mode(const harm_config *cfg) {
  const char *people = harm_config_path(cfg, "people", "file");
  return cfg->roles != HARM_ROLES_OFFENDER || (people && *people);
}

harm_cohort_rules harm_config_cohort_rules(const harm_config *cfg) {
  return cfg->rules;
}

harm_score_opts harm_config_score_opts(const harm_config *cfg) {
  harm_score_opts o = HARM_SCORE_OPTS_INIT;
  o.cap = cfg->cap;
  o.transform = cfg->transform;
  o.strict_codes = cfg->strict_codes;
  return o;
}

harm_weights_opts harm_config_weights_opts(const harm_config *cfg) {
  harm_weights_opts o = HARM_WEIGHTS_OPTS_INIT;
  o.format = cfg->weights_format;
  o.dup_rule = cfg->dup_rule;
  o.key = cfg->key;
  const char *aliases = harm_config_get(cfg, "weights", "aliases");
  o.aliases = aliases && *aliases ? aliases : NULL;
  return o;
}

harm_sweep_opts harm_config_sweep_opts(const harm_config *cfg) {
  harm_sweep_opts o = HARM_SWEEP_OPTS_INIT;
  o.perturb = cfg->perturb;
  o.draws = cfg->draws;
  o.seed = cfg->seed;
  o.rules = cfg->rules;
  return o;
}

size_t harm_config_top_k(const harm_config *cfg) {
  return cfg->top_k ? cfg->top_k : cfg->rules.size;
}

bool harm_config_by_area(const harm_config *cfg) { return cfg->by_area; }

size_t harm_config_top_per_area(const harm_config *cfg) {
  return cfg->top_per_area;
}
size_t harm_config_output_top(const harm_config *cfg) {
  return cfg->output_top;
}

unsigned harm_config_file_mode(const harm_config *cfg) {
  return cfg->file_mode;
}

bool harm_config_quiet(const harm_config *cfg) { return cfg->quiet; }

bool harm_config_top_places(const harm_config *cfg) { return cfg->top_places; }
bool harm_config_pseudonymise_places(const harm_config *cfg) {
  return cfg->pseudonymise_places;
}

const char *harm_config_path(const harm_config *cfg, const char *section,
                             const char *key) {
  const char *p = harm_config_get(cfg, section, key);
  return p && *p ? p : NULL;
}

const char *harm_config_marking(const harm_config *cfg) {
  const char *v = cfg ? harm_config_get(cfg, "output", "marking") : NULL;
  if (!v) {
    return "OFFICIAL-SENSITIVE";
  }
  return harm__ieq(v, strlen(v), "none") ? "" : v;
}

const char *harm_config_weights_path(const harm_config *cfg) {
  const char *p = harm_config_get(cfg, "weights", "file");
  return p && *p ? p : NULL;
}

const char *harm_config_get(const harm_config *cfg, const char *section,
                            const char *key) {
  if (strcmp(section, "filter") == 0) {
    for (size_t i = 0; i < cfg->n_filters; i++) {
      if (strcmp(cfg->filters[i].column, key) == 0) {
        return cfg->filters[i].values_text;
      }
    }
    return NULL;
  }
  int i = find_key(section, key);
  return i < 0 ? NULL : cfg->text[i];
}

size_t harm_config_n_keys(const harm_config *cfg) {
  return N_KEYS + cfg->n_filters;
}

bool harm_config_key(const harm_config *cfg, size_t i, const char **section,
                     const char **key, const char **value) {
  if (i < N_KEYS) {
    *section = keys[i].section;
    *key = keys[i].key;
    *value = cfg->text[i];
    return true;
  }
  i -= N_KEYS;
  if (i < cfg->n_filters) {
    *section = "filter";
    *key = cfg->filters[i].column;
    *value = cfg->filters[i].values_text;
    return true;
  }
  return false;
}

harm_status harm_config_write(const harm_config *cfg, FILE *fp,
                              harm_error *err) {
  /* One header per section, whatever the order of the key table: a
   * section twice is an error when the text is read back. */
  for (size_t s = 0; s < N_SECTIONS; s++) {
    bool header = false;
    for (int i = 0; i < N_KEYS; i++) {
      if (strcmp(keys[i].section, sections[s]) != 0) {
        continue;
      }
      if (!header) {
        fprintf(fp, "%s[%s]\n", s ? "\n" : "", sections[s]);
        header = true;
      }
      fprintf(fp, "%s = %s\n", keys[i].key, cfg->text[i]);
    }
  }
  if (cfg->n_filters) {
    fputs("\n[filter]\n", fp);
    for (size_t i = 0; i < cfg->n_filters; i++) {
      fprintf(fp, "%s = %s\n", cfg->filters[i].column,
              cfg->filters[i].values_text);
    }
  }
  if (ferror(fp)) {
    return harm__fail(err, HARM_ERR_IO, "config", NULL, 0, NULL, "write error");
  }
  return HARM_OK;
}

bool harm_config_is_path_key(const char *section, const char *key) {
  int i = find_key(section, key);
  return i >= 0 && keys[i].is_path != 0;
}

bool harm_config_is_output_key(const char *section, const char *key) {
  /* Where outputs go and what the terminal shows: none of these changes
   * a result, and a re-run (`harmrank verify`) writes elsewhere. */
  static const char *const place[][2] = {{"output", "dir"},
                                         {"output", "file"},
                                         {"output", "rejects"},
                                         {"output", "quiet"},
                                         {"run", "threads"}};
  for (size_t i = 0; i < sizeof place / sizeof *place; i++) {
    if (strcmp(section, place[i][0]) == 0 && strcmp(key, place[i][1]) == 0) {
      return true;
    }
  }
  return false;
}
