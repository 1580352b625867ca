/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/ingest/dictionary.c: turns the pools read per chunk into the
 * dataset's dictionaries (subjects, codes, areas, each sorted bytewise),
 * renumbers the records to them, and replaces subject ids by keyed
 * pseudonyms when the run asks for it. */
#include <string.h>

#include "ingest/loader.h"

/* Every record's subject s becomes map[s]. */
static void remap_subjects(harm_dataset *ds, const uint32_t *map) {
  for (size_t sg = 0; sg < harm__ds_nseg(ds); sg++) {
    size_t n;
    harm__rec *recs = harm__ds_seg(ds, sg, &n);
    for (size_t i = 0; i < n; i++) {
      recs[i].subject = map[recs[i].subject];
    }
  }
}

/* Turns a pool of one subject string per record into the dataset's
 * dictionary: each distinct id once, in bytewise order (one radix sort
 * of 8-byte prefixes, exact: equal strings, not equal hashes, are
 * merged), and renumbers the records. Strings of records already dropped
 * are left out. */
bool harm__ingest_sort_subjects(harm_dataset *ds) {
  if (!harm__ingest_unsplit(ds)) {
    return false;
  }
  harm__strpool *sp = &ds->subjects;
  bool *used = harm__calloc((size_t)sp->n + 1, sizeof *used);
  uint32_t *map = harm__malloc(((size_t)sp->n + 1) * sizeof *map);
  harm__strpool out;
  memset(&out, 0, sizeof out);
  bool ok = used && map;
  for (size_t sg = 0; ok && sg < harm__ds_nseg(ds); sg++) {
    size_t n;
    const harm__rec *recs = harm__ds_seg(ds, sg, &n);
    for (size_t i = 0; i < n; i++) {
      used[recs[i].subject] = true;
    }
  }
  /* The pool of rows is consumed: when that fails after its strings
   * went (no bytes and no keys or offsets left; a dictionary of ids of
   * one length has no offsets but its bytes), the records (which the
   * read then drops, out of memory) are emptied so none names a missing
   * string. */
  ok = ok && harm__strpool_unify_rows(&out, sp, used, map);
  if (!ok && sp->n && !sp->offset && !sp->bytes) {
    harm__strpool_free(sp);
    ds->n_recs = 0;
    for (size_t sg = 0; sg < ds->n_seg; sg++) {
      ds->seg[sg].n = 0;
    }
  }
  if (ok) {
    remap_subjects(ds, map);
    harm__strpool_free(sp);
    *sp = out;
    ds->subjects_rows = false;
  }
  harm__free(used);
  harm__free(map);
  return ok;
}

/* The dictionaries a part's records index, by kind. */
enum { K_SUBJECT, K_CODE, K_AREA, K_PLACE, K_TYPE, N_KINDS };

static harm__strpool *kind_pool(harm_dataset *d, int kind) {
  return kind == K_SUBJECT ? &d->subjects
         : kind == K_CODE  ? &d->codes
         : kind == K_AREA  ? &d->areas
         : kind == K_PLACE ? &d->places
                           : &d->place_types;
}

/* One worker of the renumbering: parts k = first, first + step, ... */
typedef struct renum_job {
  harm_dataset *const *all;
  size_t np, first, step;
  bool *const *used[N_KINDS];    /* [kind][part] */
  uint32_t *const *map[N_KINDS]; /* [kind][part] */
  uint32_t *const *omap;         /* [part], or NULL */
  const size_t *base;            /* [part]: first final record */
  harm_dataset *ds;              /* the final records */
  bool subjects_done; /* the unify wrote the records' subjects itself */
} renum_job;

/* Marks the strings each of the worker's parts uses, every kind in one
 * pass over its records. */
static int mark_used(void *arg) {
  const renum_job *j = arg;
  for (size_t k = j->first; k < j->np; k += j->step) {
    const harm_dataset *d = j->all[k];
    bool *us = j->used[K_SUBJECT][k], *uc = j->used[K_CODE][k];
    bool *ua = j->used[K_AREA][k];
    for (size_t i = 0; i < d->n_recs; i++) {
      const harm__rec *r = &d->recs[i];
      if (us) { /* (NULL: every subject string is used) */
        us[r->subject] = true;
      }
      uc[r->code] = true;
      if (r->area != HARM__REC_NO_AREA) {
        ua[r->area] = true;
      }
    }
    for (size_t i = 0; d->pref && i < d->n_recs; i++) {
      const harm__place_ref *pr = &d->pref[i];
      if (pr->place != HARM__NO_PLACE) {
        j->used[K_PLACE][k][pr->place] = true;
      }
      if (pr->type != HARM__NO_PLACE) {
        j->used[K_TYPE][k][pr->type] = true;
      }
    }
  }
  return 0;
}

/* Writes each of the worker's parts' records, renumbered, at the part's
 * place in the final array (part 0 is the final array's own start). */
static int renumber_parts(void *arg) {
  const renum_job *j = arg;
  harm_dataset *ds = j->ds;
  for (size_t k = j->first; k < j->np; k += j->step) {
    const harm_dataset *d = j->all[k];
    const uint32_t *sm = j->map[K_SUBJECT][k], *cm = j->map[K_CODE][k];
    const uint32_t *am = j->map[K_AREA][k];
    for (size_t i = 0; i < d->n_recs; i++) {
      harm__rec r = d->recs[i];
      size_t at = j->base[k] + i;
      if (!j->subjects_done) {
        r.subject = sm[r.subject];
      }
      /* (The final dictionaries were checked to fit 16 bits.) */
      r.code = (uint16_t)cm[r.code];
      if (r.area != HARM__REC_NO_AREA) {
        r.area = (uint16_t)am[r.area];
      }
      if (ds->oid && k > 0) {
        ds->oid[at] = d->oid ? j->omap[k][d->oid[i]] : 0;
      }
      if (ds->pref) {
        harm__place_ref pr = d->pref[i];
        pr.place = pr.place == HARM__NO_PLACE ? pr.place
                                              : j->map[K_PLACE][k][pr.place];
        pr.type =
            pr.type == HARM__NO_PLACE ? pr.type : j->map[K_TYPE][k][pr.type];
        ds->pref[at] = pr;
      }
      ds->recs[at] = r;
    }
    /* A later part's records are in the final array now: their memory
     * goes at once, so the final array's new pages and the parts' old
     * ones are not all resident together. (Part 0 is the final array.) */
    if (k > 0) {
      harm_dataset *dk = j->all[k];
      harm__free(dk->recs);
      harm__free(dk->pref);
      dk->recs = NULL;
      dk->pref = NULL;
    }
  }
  return 0;
}

/* records_in_parts: renumbers each of the worker's parts' records where
 * they are (no offence ids or places: those runs copy). */
static int renumber_in_place(void *arg) {
  const renum_job *j = arg;
  for (size_t k = j->first; k < j->np; k += j->step) {
    harm_dataset *d = j->all[k];
    const uint32_t *sm = j->map[K_SUBJECT][k], *cm = j->map[K_CODE][k];
    const uint32_t *am = j->map[K_AREA][k];
    for (size_t i = 0; i < d->n_recs; i++) {
      harm__rec *r = &d->recs[i];
      if (!j->subjects_done) {
        r->subject = sm[r->subject];
      }
      r->code = (uint16_t)cm[r->code];
      if (r->area != HARM__REC_NO_AREA) {
        r->area = (uint16_t)am[r->area];
      }
    }
  }
  return 0;
}

/* The parts' record arrays become ds's segments, in part order. */
static bool move_to_segments(harm_dataset *ds, harm_dataset *const *all,
                             size_t np, size_t total) {
  harm__rec_seg *seg = harm__calloc(np, sizeof *seg);
  if (!seg) {
    return false;
  }
  for (size_t k = 0; k < np; k++) {
    seg[k] = (harm__rec_seg){all[k]->recs, all[k]->n_recs};
    all[k]->recs = NULL;
    all[k]->n_recs = all[k]->cap_recs = 0;
  }
  ds->seg = seg;
  ds->n_seg = np;
  ds->n_recs = total;
  return true;
}

/* Grows the final arrays (records, offence ids, places) to total; with
 * `oids`, the offence id array exists even when ds (chunk 0) kept no
 * record and so never made one. */
static bool grow_final(harm_dataset *ds, size_t total, bool oids) {
  if (oids && !ds->oid) {
    ds->oid = harm__calloc(ds->cap_recs + 1, sizeof *ds->oid);
    if (!ds->oid) {
      return false;
    }
  }
  if (total <= ds->cap_recs) {
    return true;
  }
  harm__rec *recs = harm__reallocarray(ds->recs, total, sizeof *recs);
  if (!recs) {
    return false;
  }
  ds->recs = recs;
  ds->cap_recs = total;
  if (ds->oid) {
    uint32_t *o = harm__reallocarray(ds->oid, total, sizeof *o);
    if (!o) {
      return false;
    }
    ds->oid = o;
  }
  if (ds->has_place || ds->has_place_type) {
    harm__place_ref *pp = harm__reallocarray(ds->pref, total, sizeof *pp);
    if (!pp) {
      return false;
    }
    ds->pref = pp;
  }
  return true;
}

/* Offence ids (explain only) of the later parts, merged into the first
 * part's pool by interning: omap[k][i] is id i of part k in it. */
static bool merge_oids(harm_dataset *const *all, size_t np, uint32_t **omap) {
  harm_dataset *ds = all[0];
  for (size_t k = 1; k < np; k++) {
    const harm__strpool *src = &all[k]->oids;
    omap[k] = harm__malloc(((size_t)src->n + 1) * sizeof **omap);
    if (!omap[k]) {
      return false;
    }
    for (uint32_t i = 0; i < src->n; i++) {
      size_t len;
      const char *p = harm__strpool_get(src, i, &len);
      omap[k][i] = harm__strpool_intern(&ds->oids, p, len, NULL);
      if (omap[k][i] == HARM__STRPOOL_FAIL) {
        return false;
      }
    }
  }
  return true;
}

/* Builds the final dictionaries from the pools of every part (the first
 * is ds itself), each distinct string once in bytewise order, and the
 * final record array with every record renumbered (with in_parts, and
 * no offence ids or places, the parts' own arrays renumbered in place
 * and kept as ds's segments instead). No hashing: one radix sort of
 * 8-byte prefixes per dictionary. The parts are marked and
 * renumbered in parallel on up to `threads` workers, each part at its own
 * offset, so the result is the same whatever the thread count.
 * Subjects read as one string per row (every part, as the readers leave
 * them) are sorted once, all parts together, on up to `threads` threads:
 * no dictionary per chunk and no merge of them. False on allocation
 * failure, or with *over naming what there are more than
 * HARM__REC_MAX_INDEX of (codes or areas, across the chunks). */
bool harm__ingest_renumber(harm_dataset *ds, harm_dataset **parts,
                           size_t n_parts, unsigned threads, bool in_parts,
                           const char **over) {
  *over = NULL;
  size_t np = n_parts + 1;
  harm_dataset **all = harm__malloc(np * sizeof *all);
  bool **used[N_KINDS] = {NULL};
  uint32_t **map[N_KINDS] = {NULL};
  uint32_t **omap = NULL;
  size_t *base = harm__malloc(np * sizeof *base);
  /* Workers: the run's threads (never more than the parts), each taking
   * parts first, first + step, ... */
  size_t rows = ds->n_recs;
  for (size_t k = 0; k < n_parts; k++) {
    rows += parts[k]->n_recs;
  }
  unsigned nj = harm__par_threads(threads, rows);
  nj = np < nj ? (unsigned)np : nj;
  renum_job *jobs = harm__calloc(nj, sizeof *jobs);
  harm__strpool out[N_KINDS];
  memset(out, 0, sizeof out);
  bool ok = all && base && jobs;
  for (int kind = 0; ok && kind < N_KINDS; kind++) {
    used[kind] = harm__calloc(np, sizeof **used);
    map[kind] = harm__calloc(np, sizeof **map);
    ok = used[kind] && map[kind];
  }
  /* The subjects' maps are one block, part after part (when the unify
   * writes the new numbers into the records instead, below, its pages
   * are never touched). */
  size_t subject_rows = 0;
  /* Ids kept as keys in the records (every part split, see
   * harm_dataset.subjects_split): the records themselves are sorted, when
   * no offence ids, places or previous period are kept in step with them.
   * Otherwise the keys go into the pools of rows first. */
  bool oids = false, keyed = ok;
  for (size_t k = 0; ok && k < np; k++) {
    all[k] = k ? parts[k - 1] : ds;
    oids = oids || all[k]->oid != NULL;
    keyed = keyed && all[k]->subjects_split;
  }
  keyed = keyed && !oids && !ds->has_place && !ds->has_place_type &&
          !ds->previous_days;
  for (size_t k = 0; ok && !keyed && k < np; k++) {
    ok = harm__ingest_unsplit(all[k]);
  }
  /* Row pools still in step with their records (string i is record i's
   * id, as the readers and the window's compaction keep them), or ids in
   * the records: every string is used, so there is nothing to mark (used
   * arrays NULL). */
  bool in_step = ok;
  for (size_t k = 0; ok && k < np; k++) {
    subject_rows += all[k]->subjects.n;
    in_step = in_step && all[k]->subjects_rows &&
              (keyed || all[k]->subjects.n == all[k]->n_recs);
  }
  uint32_t *subject_map =
      ok ? harm__malloc((subject_rows + 1) * sizeof *subject_map) : NULL;
  ok = ok && subject_map;
  if (ok) {
    harm__hint_huge_pages(subject_map,
                          (subject_rows + 1) * sizeof *subject_map);
  }
  for (size_t k = 0, at = 0; ok && k < np; k++) {
    for (int kind = 0; ok && kind < N_KINDS; kind++) {
      size_t n = (size_t)kind_pool(all[k], kind)->n;
      bool all_used = kind == K_SUBJECT && in_step;
      used[kind][k] =
          all_used ? NULL : harm__calloc(n + 1, sizeof **used[kind]);
      map[kind][k] = kind == K_SUBJECT
                         ? subject_map + at
                         : harm__malloc((n + 1) * sizeof **map[kind]);
      ok = (all_used || used[kind][k]) && map[kind][k];
      at += kind == K_SUBJECT ? n : 0;
    }
  }
  /* Offence ids are kept when any part kept one (above): chunk 0 may
   * have kept no row at all. */
  if (ok && oids) {
    omap = harm__calloc(np, sizeof *omap);
    ok = omap && merge_oids(all, np, omap);
  }
  size_t total = 0;
  for (size_t k = 0; ok && k < np; k++) {
    base[k] = total;
    total += all[k]->n_recs;
  }
  for (unsigned t = 0; ok && t < nj; t++) {
    jobs[t] = (renum_job){.all = all,
                          .np = np,
                          .first = t,
                          .step = nj,
                          .omap = omap,
                          .base = base,
                          .ds = ds};
    for (int kind = 0; kind < N_KINDS; kind++) {
      jobs[t].used[kind] = used[kind];
      jobs[t].map[kind] = map[kind];
    }
  }
  if (ok) {
    harm__par_run(mark_used, jobs, sizeof *jobs, nj);
  }
  /* Records left in their parts (see below) when nothing needs them in
   * one array; then the subjects sort's arrays are kept for the release
   * build. */
  in_parts = in_parts && n_parts && !oids && !ds->has_place &&
             !ds->has_place_type && !ds->previous_days;
  /* Subjects: one sort of every part's rows, consumed as they are keyed
   * (the readers leave one id per row). Codes, areas, places and types
   * are hash pools. */
  for (int kind = 0; ok && kind < N_KINDS; kind++) {
    harm__strpool **pools = harm__malloc(np * sizeof *pools);
    ok = pools != NULL;
    for (size_t k = 0; ok && k < np; k++) {
      pools[k] = kind_pool(all[k], kind);
    }
    const harm__strpool *const *cp = (const harm__strpool *const *)pools;
    const bool *const *u = (const bool *const *)used[kind];
    if (ok && kind == K_SUBJECT && keyed) {
      ok = harm__ingest_sort_keyed(all, np, threads, &out[kind]);
      for (unsigned t = 0; t < nj; t++) {
        jobs[t].subjects_done = true;
      }
    } else if (ok && kind == K_SUBJECT) {
      /* Records whose row pools are still in step with them (string i
       * is record i's id) take their new subject numbers from the unify
       * itself, written into the records (then renumbered or copied
       * without them): no map of 4 bytes a row on top of the records and
       * the sorted ids. Up to harm__ingest_direct_max rows: beyond, the
       * writes at random into the records cost more than the map. */
      bool into_recs = in_step && total <= harm__ingest_direct_max;
      uint32_t **rmap = into_recs ? harm__calloc(np, sizeof *rmap) : NULL;
      ok = !into_recs || rmap;
      for (size_t k = 0; ok && into_recs && k < np; k++) {
        /* (From the array, not the member: the unify steps across
         * records.) */
        rmap[k] = all[k]->recs
                      ? (uint32_t *)(void *)((char *)all[k]->recs +
                                             offsetof(harm__rec, subject))
                      : NULL;
      }
      if (ok) {
        ok = harm__strpool_unify_pools(
            &out[kind], pools, u, into_recs ? rmap : map[kind], np,
            into_recs ? sizeof(harm__rec) : sizeof(uint32_t), threads,
            in_parts ? &ds->spares : NULL);
      }
      harm__free(rmap);
      for (unsigned t = 0; t < nj; t++) {
        jobs[t].subjects_done = into_recs;
      }
    } else if (ok) {
      ok = harm__strpool_unify(&out[kind], cp, u, map[kind], np);
      /* Each chunk's codes and areas fit a record's 16 bits; all chunks'
       * together must too. */
      if (ok && (kind == K_CODE || kind == K_AREA) &&
          out[kind].n > HARM__REC_MAX_INDEX) {
        *over = kind == K_CODE ? "offence codes" : "areas";
        ok = false;
      }
    }
    harm__free(pools);
  }
  /* The per-chunk dictionaries (and their hash tables, the bulk of them)
   * are done with: free them before the final record array grows. */
  for (size_t k = 0; ok && k < np; k++) {
    for (int kind = 0; kind < N_KINDS; kind++) {
      harm__strpool_free(kind_pool(all[k], kind));
    }
  }
  /* Records left in their parts: renumbered where they are, and no
   * final array, whose pages (88 MB on ten million rows with a third in
   * the window) are then never faulted in. Offence ids and places need
   * the one array (the parts share ds's place columns and period). */
  if (ok && in_parts) {
    harm__par_run(renumber_in_place, jobs, sizeof *jobs, nj);
    ok = move_to_segments(ds, all, np, total);
  } else if (ok) {
    ok = grow_final(ds, total, oids);
    if (ok) {
      harm__par_run(renumber_parts, jobs, sizeof *jobs, nj);
      ds->n_recs = total;
      for (size_t k = 1; k < np; k++) {
        harm_dataset *d = all[k];
        harm__free(d->recs);
        harm__free(d->pref);
        d->pref = NULL;
        d->recs = NULL;
        d->n_recs = d->cap_recs = 0;
      }
    }
  }
  if (ok) {
    ds->subjects = out[K_SUBJECT];
    ds->subjects_rows = false;
    ds->codes = out[K_CODE];
    ds->areas = out[K_AREA];
    ds->places = out[K_PLACE];
    ds->place_types = out[K_TYPE];
  } else {
    for (int kind = 0; kind < N_KINDS; kind++) {
      harm__strpool_free(&out[kind]);
    }
  }
  for (size_t k = 0; k < np; k++) {
    for (int kind = 0; kind < N_KINDS; kind++) {
      if (used[kind]) {
        harm__free(used[kind][k]);
      }
      if (map[kind] && kind != K_SUBJECT) {
        harm__free(map[kind][k]);
      }
    }
    if (omap) {
      harm__free(omap[k]);
    }
  }
  for (int kind = 0; kind < N_KINDS; kind++) {
    harm__free(used[kind]);
    harm__free(map[kind]);
  }
  harm__free(subject_map);
  harm__free(omap);
  harm__free(jobs);
  harm__free(base);
  harm__free(all);
  return ok;
}

/* Replaces every subject id by its keyed pseudonym (once per distinct
 * id, not per row). */
harm_status harm__ingest_pseudonymise(loader *ld, harm_dataset *ds) {
  harm__strpool np = HARM__STRPOOL_INIT;
  uint32_t *map = harm__malloc(((size_t)ds->subjects.n + 1) * sizeof *map);
  if (!map) {
    return HARM_ERR_NOMEM;
  }
  for (uint32_t i = 0; i < ds->subjects.n; i++) {
    size_t len;
    const char *id = harm__strpool_get(&ds->subjects, i, &len);
    char ps[HARM_PSEUDONYM_LEN + 1];
    harm_status st = harm_pseudonym(ld->opts->pseudonym_key,
                                    ld->opts->pseudonym_key_len, id, len, ps);
    if (st != HARM_OK) {
      harm__free(map);
      harm__strpool_free(&np);
      return harm__fail(ld->err, st, "ingest", ld->name, 0, NULL,
                        "cannot pseudonymise (key of at least 16 bytes?)");
    }
    map[i] = harm__strpool_intern(&np, ps, HARM_PSEUDONYM_LEN, NULL);
    if (map[i] == HARM__STRPOOL_FAIL) {
      harm__free(map);
      harm__strpool_free(&np);
      return HARM_ERR_NOMEM;
    }
  }
  remap_subjects(ds, map);
  harm__free(map);
  harm__strpool_free(&ds->subjects);
  ds->subjects = np;
  return HARM_OK;
}
