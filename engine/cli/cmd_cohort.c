/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/cli/cmd_cohort.c: `harmrank cohort`: select a cohort and write
 * cohort.csv, movers.csv, notes.csv, manifest.json and cohort.xlsx into
 * --out. Every output is written to a temporary file first; the files are
 * renamed into place only when all of them were written. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "cli_internal.h"

/* The manifest comes last: it is written and renamed after every other
 * output, and it records their SHA-256, so a reader can tell a complete
 * set from one cut short between two renames. */
enum { OUT_COHORT, OUT_MOVERS, OUT_NOTES, OUT_XLSX, OUT_MANIFEST, N_OUT };

static const char *const out_names[N_OUT] = {
    "cohort.csv", "movers.csv", "notes.csv", "cohort.xlsx", "manifest.json"};

static int load_list(harm_list_kind kind, const char *path, const cli_opts *o,
                     harm_list **out) {
  harm_error err = HARM_ERROR_INIT;
  harm_status st =
      kind == HARM_LIST_REFERRALS    ? harm_referrals_load(path, out, &err)
      : kind == HARM_LIST_EXCLUSIONS ? harm_exclusions_load(path, out, &err)
                                     : harm_previous_load(path, out, &err);
  if (st == HARM_OK && o->key_len) {
    st = harm_list_pseudonymise(*out, o->key, o->key_len, &err);
  }
  if (st == HARM_OK) {
    st = harm_list_check_ids(*out, NULL, o->key_len > 0, &err);
  }
  return st == HARM_OK ? HARM_EXIT_OK : cli_fail(&err);
}

static void print_cohort(const harm_cohort *c) {
  /* Columns as wide as their widest entry, so long ids (pseudonyms) and
   * reasons keep the harm column aligned. */
  int w_id = (int)strlen("offender"), w_why = (int)strlen("why on the list");
  for (size_t i = 0; i < harm_cohort_count(c); i++) {
    const harm_member *m = harm_cohort_member(c, i);
    char reason[256], id[256], why[256];
    harm_report_member_reason(m, reason, sizeof reason);
    int li = (int)strlen(cli_esc(m->offender_id, id, sizeof id));
    int lw = (int)strlen(cli_esc(reason, why, sizeof why));
    w_id = li > w_id ? (li > 64 ? 64 : li) : w_id;
    w_why = lw > w_why ? (lw > 64 ? 64 : lw) : w_why;
  }
  printf("%-5s %-*s %-*s %12s\n", "slot", w_id, "offender", w_why,
         "why on the list", "harm (days)");
  for (size_t i = 0; i < harm_cohort_count(c); i++) {
    const harm_member *m = harm_cohort_member(c, i);
    char reason[256], id[256], why[256];
    harm_report_member_reason(m, reason, sizeof reason);
    printf("%-5zu %-*.*s %-*.*s %12.4f\n", m->slot, w_id, w_id,
           cli_esc(m->offender_id, id, sizeof id), w_why, w_why,
           cli_esc(reason, why, sizeof why), m->score ? m->score->harm : 0.0);
  }
  size_t moved[3] = {0, 0, 0};
  for (size_t i = 0; i < harm_cohort_n_moves(c); i++) {
    moved[harm_cohort_move(c, i)->kind]++;
  }
  /* Every kind of note by name and count, in the order of notes.csv's
   * kinds, so none (tenure, over capacity) goes unmentioned. */
  enum { N_NOTE_KINDS = HARM_NOTE_OVER_CAPACITY + 1 };
  size_t by_kind[N_NOTE_KINDS] = {0};
  for (size_t i = 0; i < harm_cohort_n_notes(c); i++) {
    size_t k = (size_t)harm_cohort_note(c, i)->kind;
    by_kind[k < N_NOTE_KINDS ? k : 0]++;
  }
  printf("movers: %zu new, %zu retained, %zu exited; %zu note%s",
         moved[HARM_MOVE_NEW], moved[HARM_MOVE_RETAINED],
         moved[HARM_MOVE_EXITED], harm_cohort_n_notes(c),
         harm_cohort_n_notes(c) == 1 ? "" : "s");
  const char *sep = " (";
  for (size_t k = 0; k < N_NOTE_KINDS; k++) {
    if (by_kind[k]) {
      printf("%s%zu %s", sep, by_kind[k],
             harm_report_note_name((harm_note_kind)k));
      sep = ", ";
    }
  }
  printf("%s; %zu empty referral slot%s\n", harm_cohort_n_notes(c) ? ")" : "",
         harm_cohort_empty_slots(c),
         harm_cohort_empty_slots(c) == 1 ? "" : "s");
  size_t kinds[HARM_MEMBER_KIND_COUNT] = {0}, capped = 0;
  for (size_t i = 0; i < harm_cohort_count(c); i++) {
    kinds[harm_cohort_member(c, i)->kind]++;
  }
  for (size_t i = 0; i < harm_cohort_n_notes(c); i++) {
    capped += harm_cohort_note(c, i)->kind == HARM_NOTE_TENURE_CAP;
  }
  size_t tenure =
      kinds[HARM_MEMBER_TENURE] + kinds[HARM_MEMBER_REFERRAL_TENURE];
  if (tenure || capped) {
    printf("tenure: %zu kept below the cut, %zu referral place%s kept; %zu "
           "left by the tenure cap\n",
           kinds[HARM_MEMBER_TENURE], kinds[HARM_MEMBER_REFERRAL_TENURE],
           kinds[HARM_MEMBER_REFERRAL_TENURE] == 1 ? "" : "s", capped);
  }
  if (harm_cohort_over_capacity(c)) {
    printf("over capacity: the list holds %zu member%s more than its "
           "places, all kept by tenure (see notes.csv; "
           "[cohort] max_tenure_places caps this)\n",
           harm_cohort_over_capacity(c),
           harm_cohort_over_capacity(c) == 1 ? "" : "s");
  }
}

/* The output set: cohort.csv, movers.csv, notes.csv, cohort.xlsx and the
 * rejects file, then manifest.json recording them all. */
static int write_set(const cli_opts *o, cli_pipeline *p,
                     const harm_cohort *cohort, const harm_list *refs,
                     const harm_list *excl, const harm_list *prev) {
  harm_manifest_input inputs[CLI_MAX_WEIGHTS + 16];
  size_t n_in = cli_manifest_inputs(o, p, refs, excl, prev, inputs,
                                    sizeof inputs / sizeof *inputs);
  harm_manifest man = {.command = "cohort",
                       .inputs = inputs,
                       .n_inputs = n_in,
                       .config = o->cfg,
                       .weights = p->weights,
                       .run = p->run,
                       .scores = p->scores,
                       .cohort = cohort,
                       .pseudonymised = o->key_len > 0,
                       .people = p->people};
  harm_error err = HARM_ERROR_INIT;
  harm_outset *set = NULL;
  harm_outfile *f[OUT_MANIFEST] = {NULL};
  harm_status st = harm_outset_new(o->out_dir, o->file_mode, &set, &err);
  for (int k = 0; st == HARM_OK && k < OUT_MANIFEST; k++) {
    st = harm_outset_add(set, out_names[k], &f[k], &err);
  }
  if (st == HARM_OK) {
    st = harm_report_cohort(harm_outfile_stream(f[OUT_COHORT]), cohort,
                            cli_top_places(p), &err);
  }
  if (st == HARM_OK) {
    st = harm_report_movers(harm_outfile_stream(f[OUT_MOVERS]), cohort, &err);
  }
  if (st == HARM_OK) {
    st = harm_report_notes(harm_outfile_stream(f[OUT_NOTES]), cohort, &err);
  }
  if (st == HARM_OK) {
    st = harm_report_xlsx(harm_outfile_temp_path(f[OUT_XLSX]), &man, &err);
  }
  if (st == HARM_OK) {
    st = harm_outset_adopt(set, "rejects.csv", p->rejects, &err);
    p->rejects = NULL;
  }
  if (st == HARM_OK) {
    st = harm_outset_commit(set, &man, &err);
  }
  harm_outset_free(set);
  return st == HARM_OK ? HARM_EXIT_OK : cli_fail(&err);
}

/* Makes --out and checks the paths of every output there, rejects.csv
 * too (its path into rejects). Returns an exit code. */
static int prepare_out(const cli_opts *o, char *rejects, size_t cap) {
  int rc = cli_make_dirs("cohort", o->out_dir);
  if (rc) {
    return rc;
  }
  char paths[N_OUT][4096];
  for (int k = 0; k < N_OUT; k++) {
    cli_join(paths[k], sizeof paths[k], o->out_dir, out_names[k]);
  }
  cli_join(rejects, cap, o->out_dir, "rejects.csv");
  const char *all_out[N_OUT + 1];
  for (int k = 0; k < N_OUT; k++) {
    all_out[k] = paths[k];
  }
  all_out[N_OUT] = rejects;
  return cli_check_paths("cohort", o, all_out, N_OUT + 1, true);
}

/* The referrals, exclusions and previous cohort named by the options
 * (each left NULL when not named). Returns an exit code. */
static int load_lists(const cli_opts *o, harm_list **refs, harm_list **excl,
                      harm_list **prev) {
  int rc = HARM_EXIT_OK;
  if (o->referrals) {
    rc = load_list(HARM_LIST_REFERRALS, o->referrals, o, refs);
  }
  if (!rc && o->exclusions) {
    rc = load_list(HARM_LIST_EXCLUSIONS, o->exclusions, o, excl);
  }
  if (!rc && o->previous) {
    rc = load_list(HARM_LIST_PREVIOUS, o->previous, o, prev);
  }
  return rc;
}

int cli_cmd_cohort(int argc, char **argv) {
  cli_opts o;
  int rc = cli_start("cohort", argc, argv, &o, false);
  if (rc >= 0) {
    cli_opts_free(&o);
    return rc;
  }
  rc = HARM_EXIT_OK;
  if (!o.out_dir) {
    fprintf(stderr, "harmrank: cohort: no output folder: pass --out DIR\n");
    cli_opts_free(&o);
    return HARM_EXIT_USAGE;
  }
  char rejects[4096];
  rc = prepare_out(&o, rejects, sizeof rejects);
  if (rc) {
    cli_opts_free(&o);
    return rc;
  }

  harm_list *refs = NULL, *excl = NULL, *prev = NULL;
  const harm_cohort *cohort = NULL; /* owned by the run */
  cli_pipeline p;
  memset(&p, 0, sizeof p);
  harm_error err = HARM_ERROR_INIT;
  rc = load_lists(&o, &refs, &excl, &prev);
  if (!rc) {
    rc = cli_pipeline_run(&o, rejects, &p);
  }
  /* With a key, pseudonyms made with another key match no one. */
  harm_list *lists[3] = {refs, excl, prev};
  for (int k = 0; !rc && o.key_len && k < 3; k++) {
    if (harm_list_check_ids(lists[k], p.ds, true, &err) != HARM_OK) {
      rc = cli_fail(&err);
    }
  }
  if (!rc) {
    harm_cohort_rules rules = harm_config_cohort_rules(o.cfg);
    rules.withhold_text = o.key_len > 0;
    if (harm_run_select(p.run, &rules, refs, excl, prev, &cohort, &err) !=
        HARM_OK) {
      rc = cli_fail(&err);
    }
  }
  if (!rc) {
    rc = write_set(&o, &p, cohort, refs, excl, prev);
  }

  if (!rc && !o.quiet) {
    print_cohort(cohort);
    printf("outputs in %s: cohort.csv movers.csv notes.csv manifest.json "
           "cohort.xlsx rejects.csv\n",
           o.out_dir);
  }
  cli_pipeline_free(&p);
  harm_list_free(refs);
  harm_list_free(excl);
  harm_list_free(prev);
  cli_opts_free(&o);
  return rc;
}
