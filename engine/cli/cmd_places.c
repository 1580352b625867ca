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

/* What the steps of `harmrank places` share. */
typedef struct places_cmd {
  const char *cmd;
  cli_opts o;
  bool pseudo_places;    /* [output] pseudonymise_places */
  const char *place_col; /* [columns] place */
  size_t per_area;       /* [output] top_per_area, 0 = none */
  char rejects[4096], paths[N_OUT][4096], by_area_path[4096];
  cli_pipeline p;
  harm_places *pl;
  harm_accounting a;
} places_cmd;

/* Refuses a run without --out, a place column, or a key for
 * pseudonymised places. */
static int check_options(places_cmd *c) {
  const char *cmd = c->cmd;
  if (!c->o.out_dir) {
    fprintf(stderr, "harmrank: %s: pass --out DIR for the outputs\n", cmd);
    return HARM_EXIT_USAGE;
  }
  c->pseudo_places = harm_config_pseudonymise_places(c->o.cfg);
  if (c->pseudo_places && !c->o.key_len) {
    fprintf(stderr,
            "harmrank: %s: [output] pseudonymise_places needs a key: pass "
            "--pseudonymise KEYFILE\n",
            cmd);
    return HARM_EXIT_USAGE;
  }
  c->place_col = harm_config_get(c->o.cfg, "columns", "place");
  return HARM_EXIT_OK;
}

/* Makes the output folder, names every output and checks that none is
 * an input. */
static int set_paths(places_cmd *c) {
  cli_opts *o = &c->o;
  int rc = cli_make_dirs(c->cmd, o->out_dir);
  c->per_area = harm_config_top_per_area(o->cfg);
  const char *outs[N_OUT + 2];
  if (o->rejects) {
    snprintf(c->rejects, sizeof c->rejects, "%s", o->rejects);
  } else {
    cli_join(c->rejects, sizeof c->rejects, o->out_dir, "rejects.csv");
  }
  outs[0] = c->rejects;
  for (size_t k = 0; k < N_OUT; k++) {
    cli_join(c->paths[k], sizeof c->paths[k], o->out_dir, out_names[k]);
    outs[k + 1] = c->paths[k];
  }
  cli_join(c->by_area_path, sizeof c->by_area_path, o->out_dir, by_area_name);
  outs[N_OUT + 1] = c->by_area_path;
  if (!rc) {
    rc = cli_check_paths(c->cmd, o, outs, N_OUT + 1 + (c->per_area > 0), true);
  }
  return rc;
}

/* Runs the pipeline and ranks the places, then prints the summary. */
static int rank_places(places_cmd *c) {
  cli_opts *o = &c->o;
  int rc = cli_pipeline_run_places(o, c->rejects, &c->p);
  harm_error err = HARM_ERROR_INIT;
  if (!rc) {
    harm_places_opts po = HARM_PLACES_OPTS_INIT;
    po.place_column = c->place_col;
    po.place_key = c->pseudo_places ? o->key : NULL;
    po.place_key_len = c->pseudo_places ? o->key_len : 0;
    if (harm_places_new(c->p.run, o->cfg, &po, &c->pl, &err) != HARM_OK) {
      rc = cli_fail(&err);
    }
  }
  if (!rc) {
    c->a = harm_run_accounting(c->p.run);
    if (harm_places_count(c->pl) == 0) {
      fprintf(stderr,
              "harmrank: %s: no place has a scored offence in the window\n",
              c->cmd);
      rc = HARM_EXIT_DATA;
    }
  }
  if (!rc && !o->quiet) {
    print_summary(c->pl, &c->a);
    size_t n = harm_places_count(c->pl), n_area = harm_places_n_by_area(c->pl);
    if (c->per_area && n_area && n_area < n) {
      fprintf(stderr,
              "harmrank: warning: %zu of %zu places have no area (their rows "
              "carry none) and are in no area's list in %s\n",
              n - n_area, n, by_area_name);
    }
  }
  return rc;
}

/* Adds places.csv, place_offenders.csv and quality.csv (and with
 * top_per_area places_by_area.csv) to the set and writes them; out[3]
 * is places.xlsx, added here and written by the caller. */
static harm_status write_tables(places_cmd *c, harm_outset *set,
                                harm_outfile **out, harm_error *err) {
  size_t top = harm_config_output_top(c->o.cfg);
  harm_outfile *by_area = NULL;
  harm_status st = HARM_OK;
  for (size_t k = 0; st == HARM_OK && k < N_OUT - 1; k++) {
    st = harm_outset_add(set, out_names[k], &out[k], err);
  }
  if (st == HARM_OK) {
    st = harm_places_write_csv(harm_outfile_stream(out[0]), c->pl, top,
                               TOP_OFFENDERS, err);
  }
  if (st == HARM_OK) {
    st = harm_places_write_links(harm_outfile_stream(out[1]), c->pl, top, err);
  }
  if (st == HARM_OK) {
    st = harm_places_write_quality(harm_outfile_stream(out[2]), c->pl, &c->a,
                                   err);
  }
  if (st == HARM_OK && c->per_area) {
    st = harm_outset_add(set, by_area_name, &by_area, err);
    if (st == HARM_OK) {
      st = harm_places_write_by_area(harm_outfile_stream(by_area), c->pl,
                                     c->per_area, TOP_OFFENDERS, err);
    }
  }
  return st;
}

/* places.csv, place_offenders.csv, quality.csv, places.xlsx and the
 * rejects, then the manifest, as one output set. */
static int write_outputs(places_cmd *c) {
  cli_opts *o = &c->o;
  size_t top = harm_config_output_top(o->cfg);
  harm_error err = HARM_ERROR_INIT;
  harm_outset *set = NULL;
  harm_outfile *out[N_OUT - 1] = {NULL};
  harm_status st = harm_outset_new(o->out_dir, o->file_mode, &set, &err);
  if (st == HARM_OK) {
    st = write_tables(c, set, out, &err);
  }
  harm_manifest_input inputs[CLI_MAX_WEIGHTS + 16];
  size_t n_in = cli_manifest_inputs(o, &c->p, NULL, NULL, NULL, inputs,
                                    sizeof inputs / sizeof *inputs);
  harm_manifest man = {.command = c->cmd,
                       .inputs = inputs,
                       .n_inputs = n_in,
                       .config = o->cfg,
                       .weights = c->p.weights,
                       .run = c->p.run,
                       .scores = c->p.scores,
                       .pseudonymised = o->key_len > 0};
  if (st == HARM_OK) {
    st = harm_places_write_xlsx(harm_outfile_temp_path(out[3]), c->pl, &c->a,
                                top, TOP_OFFENDERS, c->per_area, &man, &err);
  }
  if (st == HARM_OK) {
    st = harm_outset_adopt(set, "rejects.csv", c->p.rejects, &err);
    c->p.rejects = NULL;
  }
  if (st == HARM_OK) {
    st = harm_outset_commit(set, &man, &err);
  }
  harm_outset_free(set);
  return st != HARM_OK ? cli_fail(&err) : HARM_EXIT_OK;
}

int cli_cmd_places(int argc, char **argv) {
  places_cmd c;
  memset(&c, 0, sizeof c);
  c.cmd = "places";
  int rc = cli_start(c.cmd, argc, argv, &c.o, false);
  if (rc >= 0) {
    cli_opts_free(&c.o);
    return rc;
  }
  rc = check_options(&c);
  if (rc) {
    cli_opts_free(&c.o);
    return rc;
  }
  rc = set_paths(&c);
  if (!rc) {
    rc = rank_places(&c);
  }
  if (!rc) {
    rc = write_outputs(&c);
  }
  if (!rc && !c.o.quiet) {
    fprintf(stderr, "outputs in %s:", c.o.out_dir);
    for (size_t k = 0; k < N_OUT; k++) {
      fprintf(stderr, " %s", out_names[k]);
    }
    if (c.per_area) {
      fprintf(stderr, " %s", by_area_name);
    }
    fputs(" rejects.csv\n", stderr);
  }
  harm_places_free(c.pl);
  cli_pipeline_free(&c.p);
  cli_opts_free(&c.o);
  return rc;
}
