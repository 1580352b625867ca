/* SPDX-License-Identifier: GPL-3.0-or-later */
/* include/harmrank/config.h: run configuration read from INI files
 * (the files in config/) and overlaid by command-line flags, so every front end
 * applies the same keys the same way. */
#ifndef HARMRANK_CONFIG_H
#define HARMRANK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "analysis.h"
#include "cohort.h"
#include "ingest.h"
#include "people.h"
#include "score.h"
#include "status.h"
#include "weights.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A run configuration. Opaque: it owns every string it hands out. */
typedef struct harm_config harm_config;

/* Creates a configuration holding every documented default.
 * Returns HARM_OK or HARM_ERR_NOMEM. Ownership: *out is new
 * (harm_config_free). */
harm_status harm_config_new(harm_config **out, harm_error *err);

/* Frees a configuration; NULL is a no-op. */
void harm_config_free(harm_config *cfg);

/* Reads an INI file over cfg: its keys replace those already in cfg (from
 * defaults, earlier files or flags). Lines may be of any length and end in
 * LF, CRLF or a lone CR; indented lines are lines of their own. Relative
 * file paths in the file (weights, aliases) are resolved against the INI
 * file's folder.
 * Returns HARM_OK; HARM_ERR_IO (cannot read); HARM_ERR_CONFIG (syntax
 * error, unknown or repeated section, key set twice in the file, bad
 * value, a NUL byte, a file over 1 MiB: err names file, line and key);
 * HARM_ERR_NOMEM. */
harm_status harm_config_load(harm_config *cfg, const char *path,
                             harm_error *err);

/* Sets one key as if read from an INI file (`section`, `key`, `value`);
 * the CLI uses this for flags. Paths are taken as given.
 * Returns HARM_OK, HARM_ERR_CONFIG or HARM_ERR_NOMEM. */
harm_status harm_config_set(harm_config *cfg, const char *section,
                            const char *key, const char *value,
                            harm_error *err);

/* Checks that the keys agree with each other (e.g. a cap below 0 or
 * transform with RFGV). Returns HARM_OK or HARM_ERR_CONFIG. */
harm_status harm_config_validate(const harm_config *cfg, harm_error *err);

/* The options the configuration implies. Ownership: the returned structs
 * point into cfg, which must outlive them and stay unchanged. */
harm_ingest_opts harm_config_ingest_opts(const harm_config *cfg);
harm_matrix_opts harm_config_matrix_opts(const harm_config *cfg,
                                         const harm_weights *weights);
harm_score_opts harm_config_score_opts(const harm_config *cfg);
harm_weights_opts harm_config_weights_opts(const harm_config *cfg);
harm_cohort_rules harm_config_cohort_rules(const harm_config *cfg);

/* [scoring] roles and rank_by, and [people] balance_ratio. */
harm_roles harm_config_roles(const harm_config *cfg);
harm_rank_by harm_config_rank_by(const harm_config *cfg);
double harm_config_balance_ratio(const harm_config *cfg);

/* True when a run scores people in either role: roles is victim or both,
 * or a people file ([people] file) is set. */
bool harm_config_people_mode(const harm_config *cfg);

/* The weights file path ([weights] file), or NULL when unset. */
const char *harm_config_weights_path(const harm_config *cfg);

/* [sweep] perturb, draws, seed and the [cohort] rules as sweep options. */
harm_sweep_opts harm_config_sweep_opts(const harm_config *cfg);

/* [compare] top_k, or [cohort] size when it is not set. */
size_t harm_config_top_k(const harm_config *cfg);

/* [concentration] by = area. */
bool harm_config_by_area(const harm_config *cfg);

/* [output] top (0 = every row), file_mode (0600 or 0640) and quiet. */
size_t harm_config_output_top(const harm_config *cfg);

/* [output] top_per_area: places' per-area list (places_by_area.csv), the
 * first N places of each area; 0 (the default) = no list. */
size_t harm_config_top_per_area(const harm_config *cfg);
unsigned harm_config_file_mode(const harm_config *cfg);
bool harm_config_quiet(const harm_config *cfg);

/* [output] top_places: auto (default) adds each offender's top places to
 * scores.csv, cohort.csv and explain when the offences have a place
 * column; off never does (the place column is then not read, and the
 * records need not be kept for it). */
bool harm_config_top_places(const harm_config *cfg);
/* [output] pseudonymise_places: place ids (addresses) pseudonymised in
 * places outputs too (needs a pseudonymisation key); default false. */
bool harm_config_pseudonymise_places(const harm_config *cfg);

/* A file-name key ([input] offences, [output] file/rejects/dir, [cohort]
 * referrals/exclusions/previous, [privacy] pseudonymise, [people] file,
 * [compare]
 * weights as "a.csv, b.csv"), resolved against the folder of the INI file
 * that set it; NULL when unset. Borrowed. */
const char *harm_config_path(const harm_config *cfg, const char *section,
                             const char *key);
/* The protective marking for the header of every printed workbook page
 * ([output] marking; default "OFFICIAL-SENSITIVE"), "" when set to none.
 * cfg may be NULL (the default). Borrowed. */
const char *harm_config_marking(const harm_config *cfg);

/* Value of a key as text, NULL when unknown. Borrowed. */
const char *harm_config_get(const harm_config *cfg, const char *section,
                            const char *key);

/* Number of keys in force (every documented key plus [filter] keys), and
 * key i as (section, key, value). Borrowed strings. Returns false when i
 * is out of range. */
size_t harm_config_n_keys(const harm_config *cfg);
bool harm_config_key(const harm_config *cfg, size_t i, const char **section,
                     const char **key, const char **value);

/* Writes every key with the value in force as INI text (for manifests and
 * `--print-config`). Returns HARM_OK or HARM_ERR_IO. */
harm_status harm_config_write(const harm_config *cfg, FILE *fp,
                              harm_error *err);

/* SHA-256 and size of the bytes harm_config_load read from `path` (as
 * passed to it), or NULL when no file of that name was loaded. Borrowed:
 * lives as long as cfg. */
const harm_input_hash *harm_config_input_hash(const harm_config *cfg,
                                              const char *path);

/* True when (section, key) names a file (a path resolved against the INI
 * file's folder), e.g. [input] offences, [evaluate] runs. */
bool harm_config_is_path_key(const char *section, const char *key);

/* True for the keys that only say where outputs go and what the terminal
 * shows ([output] dir, file, rejects, quiet; [run] threads): no result
 * depends on them, so a re-run may set them differently. */
bool harm_config_is_output_key(const char *section, const char *key);

#ifdef __cplusplus
}
#endif

#endif /* HARMRANK_CONFIG_H */
