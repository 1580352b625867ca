/* SPDX-License-Identifier: GPL-3.0-or-later */
/* include/harmrank/report.h: output files (scores.csv, rejects.csv), all
 * written to a temporary file and renamed into place, with spreadsheet
 * formula neutralisation. */
#ifndef HARMRANK_REPORT_H
#define HARMRANK_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ingest.h"
#include "rank.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An output file being written: bytes go to a temporary file beside the
 * target and appear under the target name only on commit. Opaque. */
typedef struct harm_outfile harm_outfile;

/* Opens `path` for atomic writing ("-" writes stdout directly).
 * `mode` is the permission of the final file (e.g. 0600; the process
 * umask still applies). Returns HARM_OK or HARM_ERR_IO / HARM_ERR_NOMEM.
 * Ownership: *out is new; finish it with harm_outfile_commit or
 * harm_outfile_abort. */
harm_status harm_outfile_open(const char *path, unsigned mode,
                              harm_outfile **out, harm_error *err);

/* The stream to write to. Borrowed: valid until commit or abort. */
FILE *harm_outfile_stream(harm_outfile *f);

/* Flushes, syncs and renames the temporary file over the target, then
 * frees f. Returns HARM_OK or HARM_ERR_IO (the target is then untouched).
 * NULL is a no-op returning HARM_OK. */
harm_status harm_outfile_commit(harm_outfile *f, harm_error *err);

/* Removes the temporary file and frees f; the target is untouched. NULL
 * is a no-op. */
void harm_outfile_abort(harm_outfile *f);

/* Writes one CSV field, quoted when needed (RFC 4180). When `neutralise`
 * is true a value starting with = + - @ (or tab / CR) is prefixed with a
 * single quote so spreadsheets show it as text. */
void harm_report_csv_field(FILE *fp, const char *s, size_t len,
                           bool neutralise);

/* Writes the scores.csv header and the top `top_n` rows of the ranking
 * (0 = all): rank,offender_id,harm,offences,victims,first_offence,
 * last_offence,max_offence_harm,top_code (harm with 4 decimals).
 * Returns HARM_OK or HARM_ERR_IO. */
harm_status harm_report_scores(FILE *fp, const harm_ranking *r, size_t top_n,
                               harm_error *err);

/* Writes the rejects.csv header (line,column,reason,raw). */
void harm_report_rejects_header(FILE *fp);

/* Writes one rejects.csv row (the raw record verbatim, CSV-quoted). */
void harm_report_reject(FILE *fp, const harm_reject *r);

#ifdef __cplusplus
}
#endif

#endif /* HARMRANK_REPORT_H */
