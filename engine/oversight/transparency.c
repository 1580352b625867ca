/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/oversight/transparency.c: `harmrank transparency`: a record in
 * the shape of the UK Algorithmic Transparency Recording Standard (Tier 1
 * summary and Tier 2 sections: owner, description, decision process,
 * data, impact assessments, risks), filled from the configuration and
 * the weights table; what only the force can say is left empty and
 * marked. One field table feeds both the Markdown and the JSON, so they
 * agree. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "oversight/internal.h"

typedef struct field {
  const char *section; /* JSON key of the section */
  const char *title;   /* its Markdown heading */
  const char *key;     /* JSON key of the field */
  const char *label;   /* its Markdown label */
  char *value;         /* NULL = for the force to complete */
} field;

enum { MAX_FIELDS = 48, TEXT = 2048 };

typedef struct record {
  field f[MAX_FIELDS];
  size_t n;
  bool nomem;
} record;

static void add(record *r, const char *section, const char *title,
                const char *key, const char *label, const char *value) {
  if (r->n == MAX_FIELDS) {
    return;
  }
  field *f = &r->f[r->n++];
  *f = (field){section, title, key, label, NULL};
  if (value) {
    f->value = harm__strdup(value);
    r->nomem |= f->value == NULL;
  }
}

static const char *get(const harm_config *cfg, const char *s, const char *k) {
  const char *v = harm_config_get(cfg, s, k);
  return v ? v : "";
}

/* Tier 1: the name and what the tool does, in a paragraph. */
static void fill_summary(record *r, const harm_config *cfg) {
  char t[TEXT];
  const char *name = get(cfg, "cohort", "name");
  const char *S1 = "tier_1", *T1 = "Tier 1: summary";
  add(r, S1, T1, "name", "Name", name);
  snprintf(t, sizeof t,
           "harmrank ranks people by the harm of the crimes recorded against "
           "them in the last %s days, using the Cambridge Crime Harm Index "
           "(days of imprisonment a first offender would get for each "
           "offence), and proposes a list: the top %s of the pool plus %s "
           "places for people referred by partner agencies. The list is a "
           "starting point for a meeting of people, who decide.",
           get(cfg, "scoring", "lookback_days"), get(cfg, "cohort", "size"),
           get(cfg, "cohort", "referral_slots"));
  add(r, S1, T1, "description", "Description", t);
  add(r, S1, T1, "website", "Website", NULL);
  add(r, S1, T1, "contact_email", "Contact email", NULL);
}

/* Tier 2: who owns the tool and supplies it. */
static void fill_owner(record *r) {
  char t[TEXT];
  const char *S2 = "owner_and_responsibility",
             *T2 = "Tier 2: owner and responsibility";
  add(r, S2, T2, "organisation", "Organisation", NULL);
  add(r, S2, T2, "team", "Team", NULL);
  add(r, S2, T2, "senior_responsible_owner", "Senior responsible owner", NULL);
  snprintf(t, sizeof t,
           "harmrank %s, open source (GPL-3.0-or-later), run by the force on "
           "its own systems; no data leaves them",
           harm_version());
  add(r, S2, T2, "supplier", "Supplier and tool", t);
  add(r, S2, T2, "oversight", "Oversight body and review cycle", NULL);
}

/* Tier 2: how a list is made, and why. */
static void fill_rationale(record *r, const harm_config *cfg) {
  char t[TEXT];
  bool rfgv = strcmp(get(cfg, "cohort", "model"), "rfgv") == 0;
  const char *S3 = "description_and_rationale",
             *T3 = "Tier 2: description and rationale";
  snprintf(t, sizeof t,
           "Each run reads an export of recorded offences, weighs every "
           "offence in the window by its CCHI value (%s), sums per person "
           "and ranks: %s. Ties are broken by the latest offence, then the "
           "number of offences, then the id, so the same data always give "
           "the same list.",
           get(cfg, "scoring", "exclude_proactive")[0] == 't'
               ? "police-generated (proactive) offence codes left out, so "
                 "only crime reported by victims or witnesses counts"
               : "proactive offence codes included",
           rfgv ? "by Recency, Frequency, Gravity and Victims points (RFGV)"
                : "by total harm in days");
  add(r, S3, T3, "detailed_description", "Detailed description", t);
  add(r, S3, T3, "benefit", "Benefit", NULL);
  add(r, S3, T3, "previous_process", "Previous process", NULL);
  add(r, S3, T3, "alternatives_considered", "Alternatives considered", NULL);
}

/* The [filter] keys as "domestic = yes; area = North", or "none", in
 * the record under selection rules. */
static void fill_filters(record *r, const harm_config *cfg, const char *S4,
                         const char *T4) {
  harm__buf fb = {0};
  for (size_t i = 0; i < harm_config_n_keys(cfg); i++) {
    const char *s, *k, *v;
    harm_config_key(cfg, i, &s, &k, &v);
    if (strcmp(s, "filter") == 0) {
      char one[512];
      snprintf(one, sizeof one, "%s%s = %s", fb.len ? "; " : "", k, v);
      r->nomem |= !harm__buf_append(&fb, one, strlen(one));
    }
  }
  r->nomem |= !harm__buf_append(&fb, "", 1);
  add(r, S4, T4, "filters", "Filters on offences",
      fb.data && fb.data[0] ? fb.data : "none");
  harm__buf_free(&fb);
}

/* Tier 2: the window, places, pool, tenure, filters and scoring
 * options the configuration sets. */
static void fill_selection(record *r, const harm_config *cfg) {
  char t[TEXT];
  const char *S4 = "selection_rules", *T4 = "Tier 2: selection rules";
  snprintf(t, sizeof t,
           "offences dated in the %s days up to the run's as_of date (%s)",
           get(cfg, "scoring", "lookback_days"), get(cfg, "scoring", "as_of"));
  add(r, S4, T4, "window", "Window", t);
  snprintf(t, sizeof t, "%s core places%s, %s referral places (backfill %s)",
           get(cfg, "cohort", "size"),
           strcmp(get(cfg, "cohort", "partition_by"), "area") == 0 ? " per area"
                                                                   : "",
           get(cfg, "cohort", "referral_slots"),
           get(cfg, "cohort", "backfill"));
  add(r, S4, T4, "places", "Places", t);
  snprintf(t, sizeof t,
           "at least %s days of harm and %s offences in the window; people "
           "on the exclusions list (in custody, deceased, managed elsewhere) "
           "are left out and named in notes.csv",
           get(cfg, "cohort", "min_harm"), get(cfg, "cohort", "min_offences"));
  add(r, S4, T4, "pool", "Who can be selected", t);
  snprintf(t, sizeof t,
           "minimum tenure %s months (0 = none), at most %s places kept by "
           "tenure",
           get(cfg, "cohort", "min_tenure_months"),
           get(cfg, "cohort", "max_tenure_places"));
  add(r, S4, T4, "tenure", "Tenure", t);
  fill_filters(r, cfg, S4, T4);
  snprintf(t, sizeof t,
           "cap %s days (0 = none), half-life %s days (0 = none), transform "
           "%s, attribution %s",
           get(cfg, "scoring", "cap"), get(cfg, "scoring", "half_life_days"),
           get(cfg, "scoring", "transform"),
           get(cfg, "scoring", "attribution"));
  add(r, S4, T4, "scoring_options", "Scoring options", t);
}

/* Tier 2: the data read and the weights applied. */
static void fill_data(record *r, const harm_config *cfg,
                      const harm_weights *w) {
  char t[TEXT];
  const char *S5 = "data", *T5 = "Tier 2: data";
  add(r, S5, T5, "source_data_name", "Source data",
      "recorded offences exported from the force's records system");
  snprintf(
      t, sizeof t,
      "offence id (%s), person id (%s), offence code (%s), offence date "
      "(%s), victim id (%s, for counts of distinct victims), domestic "
      "flag (%s), area (%s)",
      get(cfg, "columns", "offence_id"), get(cfg, "columns", "offender_id"),
      get(cfg, "columns", "offence_code"), get(cfg, "columns", "offence_date"),
      get(cfg, "columns", "victim_id"), get(cfg, "columns", "domestic"),
      get(cfg, "columns", "area"));
  add(r, S5, T5, "data_variables", "Variables used", t);
  add(r, S5, T5, "sensitive_attributes", "Protected characteristics",
      "none is an input to scoring or selection; selection rates by group "
      "are monitored outside the scorer (harmrank monitor)");
  if (w) {
    size_t est = harm_weights_n_estimates(w);
    snprintf(t, sizeof t,
             "%s: %zu offence codes, of which %zu are estimates and %zu are "
             "anchor or official CCHI values%s",
             harm_weights_source(w), harm_weights_count(w), est,
             harm_weights_count(w) - est,
             est ? "; the estimates are NOT official CCHI values" : "");
  } else {
    snprintf(t, sizeof t, "no weights table named in the configuration");
  }
  add(r, S5, T5, "weights", "Harm weights", t);
  add(r, S5, T5, "data_completeness", "Completeness and known gaps", NULL);
  add(r, S5, T5, "data_access_and_storage", "Access, storage and retention",
      NULL);
}

/* Tier 2: the decision process, impact assessments and risks: fixed
 * text, and fields for the force. */
static void fill_process(record *r) {
  const char *S6 = "decision_making_process",
             *T6 = "Tier 2: decision-making process";
  add(r, S6, T6, "provided_information", "What the tool gives people",
      "the list with each member's reason and score breakdown (cohort.csv, "
      "cohort.xlsx), who joined and left (movers.csv), who was not "
      "selected and why (notes.csv), and an audit record of every input "
      "(manifest.json)");
  add(r, S6, T6, "human_decisions_and_review", "Human decisions and review",
      NULL);
  add(r, S6, T6, "appeals_and_review", "Challenge and appeal", NULL);
  add(r, S6, T6, "audit", "Audit",
      "harmrank verify re-runs any past list from its manifest and proves it "
      "identical; harmrank evaluate compares each cohort with the people "
      "ranked just below the cut");

  const char *S7 = "impact_assessments", *T7 = "Tier 2: impact assessments";
  add(r, S7, T7, "data_protection_impact_assessment", "DPIA", NULL);
  add(r, S7, T7, "equality_impact_assessment", "Equality impact assessment",
      NULL);

  const char *S8 = "risks_and_mitigations",
             *T8 = "Tier 2: risks and mitigations";
  add(r, S8, T8, "regression_to_the_mean",
      "People look better after selection anyway",
      "people are selected at their worst, so their harm falls whatever the "
      "panel does; judge effect with harmrank evaluate (near-miss "
      "comparison), not the cohort's own fall");
  add(r, S8, T8, "disproportionality", "Disproportionate selection",
      "selection rates by group with harmrank monitor, read against a fair "
      "reference population");
  add(r, S8, T8, "recording_practice", "Recording practice",
      "the list reflects what is recorded: areas or groups policed more "
      "heavily have more recorded offences; proactive codes are left out");
  add(r, S8, T8, "force_risks", "Further risks and mitigations", NULL);
}

/* Fills the record from the configuration and weights, section by
 * section. */
static void fill(record *r, const harm_config *cfg, const harm_weights *w) {
  fill_summary(r, cfg);
  fill_owner(r);
  fill_rationale(r, cfg);
  fill_selection(r, cfg);
  fill_data(r, cfg, w);
  fill_process(r);
}

static void free_record(record *r) {
  for (size_t i = 0; i < r->n; i++) {
    harm__free(r->f[i].value);
  }
}

static void write_md(FILE *fp, const record *r, const char *name) {
  fprintf(fp, "# Algorithmic transparency record: %s\n\n", name);
  fputs("In the shape of the UK Algorithmic Transparency Recording Standard "
        "(Tier 1 and Tier 2). Written by `harmrank transparency` from the "
        "configuration and weights; fields marked *To be completed by the "
        "force* are for the force to fill in before publication.\n",
        fp);
  const char *section = NULL;
  for (size_t i = 0; i < r->n; i++) {
    const field *f = &r->f[i];
    if (section != f->section) {
      section = f->section;
      fprintf(fp, "\n## %s\n\n", f->title);
    }
    fprintf(fp, "- **%s:** %s\n", f->label,
            f->value ? f->value : "*To be completed by the force.*");
  }
}

static harm_status write_json(FILE *fp, const record *r, harm_error *err) {
  json_t *root = json_object();
  json_object_set_new(root, "standard",
                      json_string("UK Algorithmic Transparency Recording "
                                  "Standard (Tier 1 and Tier 2 shape)"));
  json_object_set_new(root, "generated_by", json_string(harm_version()));
  json_t *todo = json_array();
  for (size_t i = 0; i < r->n; i++) {
    const field *f = &r->f[i];
    json_t *sec = json_object_get(root, f->section);
    if (!sec) {
      sec = json_object();
      json_object_set_new(root, f->section, sec);
    }
    json_t *v = f->value ? json_string(f->value) : json_string("");
    if (!v) {
      v = json_string("(not valid UTF-8)");
    }
    json_object_set_new(sec, f->key, v);
    if (!f->value) {
      char path[128];
      snprintf(path, sizeof path, "%s.%s", f->section, f->key);
      json_array_append_new(todo, json_string(path));
    }
  }
  json_object_set_new(root, "to_be_completed_by_the_force", todo);
  int bad = json_dumpf(root, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  json_decref(root);
  if (bad || fputc('\n', fp) == EOF) {
    return harm__fail(err, HARM_ERR_IO, "transparency", NULL, 0, NULL,
                      "cannot write the record");
  }
  return HARM_OK;
}

harm_status harm_transparency_write(const harm_config *cfg,
                                    const harm_weights *w, FILE *md, FILE *json,
                                    harm_error *err) {
  record r;
  memset(&r, 0, sizeof r);
  fill(&r, cfg, w);
  harm_status st = HARM_OK;
  if (r.nomem) {
    st = harm__fail(err, HARM_ERR_NOMEM, "transparency", NULL, 0, NULL,
                    "out of memory");
  }
  if (st == HARM_OK && md) {
    write_md(md, &r, get(cfg, "cohort", "name"));
    if (ferror(md)) {
      st = harm__fail(err, HARM_ERR_IO, "transparency", NULL, 0, NULL,
                      "cannot write the record");
    }
  }
  if (st == HARM_OK && json) {
    st = write_json(json, &r, err);
  }
  free_record(&r);
  return st;
}
