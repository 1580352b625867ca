/* SPDX-License-Identifier: GPL-3.0-or-later */
/* include/harmrank/weights.h: harm weight tables (harmrank's own CSV or
 * the official CCHI workbook's values sheet exported to CSV) and the alias
 * table that maps expired or renamed codes to current ones. */
#ifndef HARMRANK_WEIGHTS_H
#define HARMRANK_WEIGHTS_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Layout of a weights file. AUTO looks at the header: a `CCHI Score`
 * column means the CCHI export, `offence_code` + `harm` means native. */
typedef enum harm_weights_format {
  HARM_WEIGHTS_AUTO = 0,
  HARM_WEIGHTS_NATIVE = 1, /* offence_code,description,harm,category,
                              proactive,source */
  HARM_WEIGHTS_CCHI = 2    /* CCHI values sheet exported to CSV */
} harm_weights_format;

/* How several CCHI rows sharing one key are combined. */
typedef enum harm_dup_rule {
  HARM_DUP_MAX = 0,  /* highest score (default: never understates harm) */
  HARM_DUP_MIN = 1,  /* lowest score */
  HARM_DUP_FIRST = 2 /* first row in file order */
} harm_dup_rule;

/* Which CCHI column is the join key. */
typedef enum harm_cchi_key {
  HARM_KEY_HO_CLASS = 0, /* HOME_OFFICE_CLASSIFICATION, e.g. 008/06 */
  HARM_KEY_ATHENA = 1,   /* ATHENA URN (one row per offence, finer) */
  HARM_KEY_HO_CODE = 2   /* HO_CODE, the export's offence code column */
} harm_cchi_key;

/* Weight loading options; use HARM_WEIGHTS_OPTS_INIT. */
typedef struct harm_weights_opts {
  harm_weights_format format; /* default HARM_WEIGHTS_AUTO */
  harm_dup_rule dup_rule;     /* CCHI only; default HARM_DUP_MAX */
  harm_cchi_key key;          /* CCHI only; default HARM_KEY_HO_CLASS */
  const char *aliases;        /* alias CSV path (old_code,new_code);
                                 default NULL = none */
} harm_weights_opts;

#define HARM_WEIGHTS_OPTS_INIT                                                 \
  {                                                                            \
    .format = HARM_WEIGHTS_AUTO, .dup_rule = HARM_DUP_MAX,                     \
    .key = HARM_KEY_HO_CLASS, .aliases = NULL                                  \
  }

/* Largest harm a weight may carry, in days (about 274 years). The CCHI's
 * largest value is a few thousand days (murder, 5475), so anything above
 * this is a typing or export mistake; the bound also keeps every total
 * finite: at most 1e5 days x 2^64 offences, about 1.8e24, far below the
 * largest double. Loading a larger (or negative, NaN, infinite) harm
 * fails with HARM_ERR_DATA naming file:line and the harm column. */
#define HARM_WEIGHT_MAX_DAYS 100000.0

/* One offence code's weight. */
typedef struct harm_weight {
  const char *code;        /* trimmed code, NUL-terminated */
  const char *description; /* free text, may be "" */
  double harm;             /* days, 0 to HARM_WEIGHT_MAX_DAYS */
  const char *category;    /* group name used by category filters */
  bool proactive;          /* police-generated: left out by default */
  bool estimate;           /* source is an estimate, not a CCHI value */
  const char *source;      /* provenance text ("anchor: ...",
                              "estimate: ...", "official CCHI ...") */
} harm_weight;

/* A loaded weight table with its aliases. Opaque. */
typedef struct harm_weights harm_weights;

/* Loads a weights table. Native files: every row needs a code, a finite
 * harm >= 0, proactive 0/1 and a source starting "anchor", "estimate" or
 * "official"; a repeated code is an error. CCHI files: rows sharing a key
 * are combined by opts->dup_rule and every row counts as official.
 * Returns HARM_OK; HARM_ERR_IO; HARM_ERR_DATA (err names file, line and
 * column); HARM_ERR_CONFIG (unknown layout); HARM_ERR_NOMEM.
 * Ownership: *out is new, freed with harm_weights_free; NULL on failure. */
harm_status harm_weights_load(const char *path, const harm_weights_opts *opts,
                              harm_weights **out, harm_error *err);

/* As harm_weights_load over bytes in memory (`name` used in messages).
 * The alias file, if any, is still read from opts->aliases. */
harm_status harm_weights_load_buffer(const char *name, const void *data,
                                     size_t len, const harm_weights_opts *opts,
                                     harm_weights **out, harm_error *err);

/* Frees a table; NULL is a no-op. */
void harm_weights_free(harm_weights *w);

/* Maps a code through the alias table (one step; chains are resolved at
 * load time). Returns code itself when it has no alias. Borrowed. */
const char *harm_weights_canonical(const harm_weights *w, const char *code);

/* Weight of a (canonical) code, or NULL when the table lacks it.
 * Borrowed: valid until harm_weights_free. */
const harm_weight *harm_weights_find(const harm_weights *w, const char *code);

/* Number of codes in the table; entries are in ascending code order. */
size_t harm_weights_count(const harm_weights *w);

/* Entry i (0 <= i < count). Borrowed. */
const harm_weight *harm_weights_at(const harm_weights *w, size_t i);

/* Number of entries whose source is an estimate. */
size_t harm_weights_n_estimates(const harm_weights *w);

/* Number of aliases loaded. */
size_t harm_weights_n_aliases(const harm_weights *w);

/* The path or name the table was loaded from. Borrowed. */
const char *harm_weights_source(const harm_weights *w);

/* The layout actually read (NATIVE or CCHI). */
harm_weights_format harm_weights_layout(const harm_weights *w);

/* Number of CCHI rows merged into an existing key by the dup rule (0 for
 * native tables). */
size_t harm_weights_n_merged(const harm_weights *w);

/* SHA-256 and size of the bytes read from the weights file (sha256 ""
 * when loaded from a buffer). Borrowed: lives as long as w. */
const harm_input_hash *harm_weights_input_hash(const harm_weights *w);

/* As harm_weights_input_hash for the alias table (sha256 "" when none). */
const harm_input_hash *harm_weights_aliases_hash(const harm_weights *w);

#ifdef __cplusplus
}
#endif

#endif /* HARMRANK_WEIGHTS_H */
