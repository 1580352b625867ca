/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cmd_places.c: `harmrank places`: places ranked by the harm
 * recorded there, their offenders, harm spots and their persistence, and
 * the quality checks (rows with no place, default-looking places); writes
 * places.csv, place_offenders.csv, quality.csv, places.xlsx, with
 * --top-per-area places_by_area.csv, rejects.csv and manifest.json (last)
 * into --out. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli_internal.h"

enum { TOP_OFFENDERS = 3, N_OUT = 5 };

/* Written only with [output] top_per_area. */
static const char by_area_name[] = "places_by_area.csv";

static const char *const out_names[N_OUT] = {
    "places.csv", "place_offenders.csv", "quality.csv", "places.xlsx",
    "manifest.json"};

static void print_summary(const harm_places *pl, const harm_accounting *a) {
  const harm_places_summary *s = harm_places_summary_get(pl);
  char e[256];
  fprintf(stderr,
          "places: %zu ranked; %zu harm spot%s (harm >= %.4f days = mean "
          "%.4f + 2 x SD %.4f over %zu places with harm)",
          s->n_places, s->n_spots, s->n_spots == 1 ? "" : "s", s->threshold,
          s->mean, s->sd, s->n_with_harm);
  if (s->has_previous) {
    fprintf(stderr, "; %zu persistent from the previous period",
            s->n_persistent);
  }
  fputc('\n', stderr);
  fprintf(stderr,
          "places: top 1%% / 5%% / 10%% of places hold %.1f%% / %.1f%% / "
          "%.1f%% of their harm\n",
          s->top_share[0] * 100, s->top_share[1] * 100, s->top_share[2] * 100);
  fprintf(stderr,
          "places: of %" PRIu64 " scored rows, %" PRIu64
          " have a place and %" PRIu64 " have none (%.1f%%; in offenders' "
          "scores, never ranked as a place)\n",
          a->scored, a->scored - s->rows_no_place, s->rows_no_place,
          a->scored ? 100.0 * (double)s->rows_no_place / (double)a->scored
                    : 0.0);
  if (s->n_small) {
    fprintf(stderr,
            "places: %zu place%s with fewer than %d crimes (small numbers: "
            "marked in places.xlsx)\n",
            s->n_small, s->n_small == 1 ? "" : "s", HARM_PLACES_SMALL_CRIMES);
  }
  for (size_t i = 0; i < harm_places_count(pl); i++) {
    const harm_place *p = harm_places_at(pl, i);
    if (p->looks_default) {
      fprintf(stderr,
              "harmrank: warning: place \"%s\" (rank %zu, %" PRIu64
              " rows) looks like a default location; see quality.csv\n",
              cli_esc(p->place, e, sizeof e), p->rank, p->rows);
    }
  }
}

int cli_cmd_places(int argc, char **argv) {
  const char *cmd = "places";
  cli_opts o;
  int rc = cli_start(cmd, argc, argv, &o, false);
  if (rc >= 0) {
    cli_opts_free(&o);
    return rc;
  }
  rc = HARM_EXIT_OK;
  if (!o.out_dir) {
    fprintf(stderr, "harmrank: %s: pass --out DIR for the outputs\n", cmd);
    cli_opts_free(&o);
    return HARM_EXIT_USAGE;
  }
  bool pseudo_places = harm_config_pseudonymise_places(o.cfg);
  if (pseudo_places && !o.key_len) {
    fprintf(stderr,
            "harmrank: %s: [output] pseudonymise_places needs a key: pass "
            "--pseudonymise KEYFILE\n",
            cmd);
    cli_opts_free(&o);
    return HARM_EXIT_USAGE;
  }
  const char *place_col = harm_config_get(o.cfg, "columns", "place");
  if (!place_col || !*place_col) {
    fprintf(stderr, "harmrank: %s: [columns] place is empty\n", cmd);
    cli_opts_free(&o);
    return HARM_EXIT_USAGE;
  }
  rc = cli_make_dirs(cmd, o.out_dir);
  size_t per_area = harm_config_top_per_area(o.cfg);
  char rejects[4096], paths[N_OUT][4096], by_area_path[4096];
  const char *outs[N_OUT + 2];
  if (o.rejects) {
    snprintf(rejects, sizeof rejects, "%s", o.rejects);
  } else {
    cli_join(rejects, sizeof rejects, o.out_dir, "rejects.csv");
  }
  outs[0] = rejects;
  for (size_t k = 0; k < N_OUT; k++) {
    cli_join(paths[k], sizeof paths[k], o.out_dir, out_names[k]);
    outs[k + 1] = paths[k];
  }
  cli_join(by_area_path, sizeof by_area_path, o.out_dir, by_area_name);
  outs[N_OUT + 1] = by_area_path;
  if (!rc) {
    rc = cli_check_paths(cmd, &o, outs, N_OUT + 1 + (per_area > 0), true);
  }
  cli_pipeline p;
  memset(&p, 0, sizeof p);
  if (!rc) {
    rc = cli_pipeline_run_places(&o, rejects, &p);
  }
  harm_places *pl = NULL;
  harm_error err = HARM_ERROR_INIT;
  if (!rc) {
    harm_places_opts po = HARM_PLACES_OPTS_INIT;
    po.place_column = place_col;
    po.place_key = pseudo_places ? o.key : NULL;
    po.place_key_len = pseudo_places ? o.key_len : 0;
    if (harm_places_new(p.run, o.cfg, &po, &pl, &err) != HARM_OK) {
      rc = cli_fail(&err);
    }
  }
  harm_accounting a = {0};
  if (!rc) {
    a = harm_run_accounting(p.run);
    if (harm_places_count(pl) == 0) {
      fprintf(stderr,
              "harmrank: %s: no place has a scored offence in the window\n",
              cmd);
      rc = HARM_EXIT_DATA;
    }
  }
  if (!rc && !o.quiet) {
    print_summary(pl, &a);
  }
  size_t top = harm_config_output_top(o.cfg);
  /* places.csv, place_offenders.csv, quality.csv, places.xlsx and the
   * rejects, then the manifest, as one output set. */
  harm_outset *set = NULL;
  harm_outfile *out[N_OUT - 1] = {NULL};
  harm_outfile *by_area = NULL;
  harm_status st = HARM_OK;
  if (!rc) {
    st = harm_outset_new(o.out_dir, o.file_mode, &set, &err);
  }
  for (size_t k = 0; !rc && st == HARM_OK && k < N_OUT - 1; k++) {
    st = harm_outset_add(set, out_names[k], &out[k], &err);
  }
  if (!rc && st == HARM_OK) {
    st = harm_places_write_csv(harm_outfile_stream(out[0]), pl, top,
                               TOP_OFFENDERS, &err);
  }
  if (!rc && st == HARM_OK) {
    st = harm_places_write_links(harm_outfile_stream(out[1]), pl, top, &err);
  }
  if (!rc && st == HARM_OK) {
    st = harm_places_write_quality(harm_outfile_stream(out[2]), pl, &a, &err);
  }
  if (!rc && st == HARM_OK && per_area) {
    st = harm_outset_add(set, by_area_name, &by_area, &err);
    if (st == HARM_OK) {
      st = harm_places_write_by_area(harm_outfile_stream(by_area), pl, per_area,
                                     TOP_OFFENDERS, &err);
    }
  }
  harm_manifest_input inputs[CLI_MAX_WEIGHTS + 16];
  size_t n_in = 0;
  if (!rc) {
    n_in = cli_manifest_inputs(&o, &p, NULL, NULL, NULL, inputs,
                               sizeof inputs / sizeof *inputs);
  }
  harm_manifest man = {.command = cmd,
                       .inputs = inputs,
                       .n_inputs = n_in,
                       .config = o.cfg,
                       .weights = p.weights,
                       .run = p.run,
                       .scores = p.scores,
                       .pseudonymised = o.key_len > 0};
  if (!rc && st == HARM_OK) {
    st = harm_places_write_xlsx(harm_outfile_temp_path(out[3]), pl, &a, top,
                                TOP_OFFENDERS, per_area, &man, &err);
  }
  if (!rc && st == HARM_OK) {
    st = harm_outset_adopt(set, "rejects.csv", p.rejects, &err);
    p.rejects = NULL;
  }
  if (!rc && st == HARM_OK) {
    st = harm_outset_commit(set, &man, &err);
  }
  harm_outset_free(set);
  if (!rc && st != HARM_OK) {
    rc = cli_fail(&err);
  }
  if (!rc && !o.quiet) {
    fprintf(stderr, "outputs in %s:", o.out_dir);
    for (size_t k = 0; k < N_OUT; k++) {
      fprintf(stderr, " %s", out_names[k]);
    }
    if (per_area) {
      fprintf(stderr, " %s", by_area_name);
    }
    fputs(" rejects.csv\n", stderr);
  }
  harm_places_free(pl);
  cli_pipeline_free(&p);
  cli_opts_free(&o);
  return rc;
}
