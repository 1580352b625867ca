/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/ingest/dictionary.c: turns the pools read per chunk into the
 * dataset's dictionaries (subjects, codes, areas, each sorted bytewise),
 * renumbers the records to them, and replaces subject ids by keyed
 * pseudonyms when the run asks for it. */
#include <string.h>

#include "ingest/loader.h"

/* Turns a pool of one subject string per record into the dataset's
 * dictionary: each distinct id once, in bytewise order (one radix sort
 * of 8-byte prefixes, exact: equal strings, not equal hashes, are
 * merged), and renumbers the records. Strings of records already dropped
 * are left out. */
bool harm__ingest_sort_subjects(harm_dataset *ds) {
  harm__strpool *sp = &ds->subjects;
  bool *used = harm__calloc((size_t)sp->n + 1, sizeof *used);
  uint32_t *map = harm__malloc(((size_t)sp->n + 1) * sizeof *map);
  harm__strpool out;
  memset(&out, 0, sizeof out);
  bool ok = used && map;
  for (size_t i = 0; ok && i < ds->n_recs; i++) {
    used[ds->recs[i].subject] = true;
  }
  const harm__strpool *pools[1] = {sp};
  const bool *usedv[1] = {used};
  uint32_t *maps[1] = {map};
  ok = ok && harm__strpool_unify(&out, pools, usedv, maps, 1);
  if (ok) {
    for (size_t i = 0; i < ds->n_recs; i++) {
      ds->recs[i].subject = map[ds->recs[i].subject];
    }
    harm__strpool_free(sp);
    *sp = out;
    ds->subjects_rows = false;
  }
  harm__free(used);
  harm__free(map);
  return ok;
}

bool harm__ingest_dedupe_subjects(harm_dataset *ds) {
  return !ds->subjects_rows || harm__ingest_sort_subjects(ds);
}

/* Builds the final dictionaries from the pools of every part (the first
 * is ds itself), each distinct string once in bytewise order, and the
 * final record array with every record renumbered. No hashing: one radix
 * sort of 8-byte prefixes per dictionary. */
bool harm__ingest_renumber(harm_dataset *ds, harm_dataset **parts,
                           size_t n_parts) {
  size_t np = n_parts + 1;
  harm_dataset **all = harm__malloc(np * sizeof *all);
  if (!all) {
    return false;
  }
  all[0] = ds;
  for (size_t k = 0; k < n_parts; k++) {
    all[k + 1] = parts[k];
  }
  const harm__strpool **pools = harm__calloc(np, sizeof *pools);
  bool **used = harm__calloc(np, sizeof *used);
  uint32_t **maps = harm__calloc(np, sizeof *maps);
  uint32_t **smap = harm__calloc(np, sizeof *smap);
  uint32_t **cmap = harm__calloc(np, sizeof *cmap);
  uint32_t **amap = harm__calloc(np, sizeof *amap);
  /* places: kinds 3 and 4 are places and place types. */
  uint32_t **pmap = harm__calloc(np, sizeof *pmap);
  uint32_t **tmap = harm__calloc(np, sizeof *tmap);
  bool ok = pools && used && maps && smap && cmap && amap && pmap && tmap;
  harm__strpool out[5];
  memset(out, 0, sizeof out);
  for (int kind = 0; ok && kind < 5; kind++) {
    uint32_t **dst = kind == 0   ? smap
                     : kind == 1 ? cmap
                     : kind == 2 ? amap
                     : kind == 3 ? pmap
                                 : tmap;
    for (size_t k = 0; ok && k < np; k++) {
      harm_dataset *d = all[k];
      const harm__strpool *sp = kind == 0   ? &d->subjects
                                : kind == 1 ? &d->codes
                                : kind == 2 ? &d->areas
                                : kind == 3 ? &d->places
                                            : &d->place_types;
      pools[k] = sp;
      used[k] = harm__calloc((size_t)sp->n + 1, sizeof **used);
      dst[k] = harm__malloc(((size_t)sp->n + 1) * sizeof **dst);
      ok = used[k] && dst[k];
      for (size_t i = 0; ok && i < d->n_recs; i++) {
        const harm__rec *r = &d->recs[i];
        if (kind == 0) {
          used[k][r->subject] = true;
        } else if (kind == 1) {
          used[k][r->code] = true;
        } else if (kind == 2) {
          if (r->area >= 0) {
            used[k][r->area] = true;
          }
        } else if (d->pref) {
          uint32_t v = kind == 3 ? d->pref[i].place : d->pref[i].type;
          if (v != HARM__NO_PLACE) {
            used[k][v] = true;
          }
        }
      }
      maps[k] = dst[k];
    }
    /* Subject dictionaries are already sorted per part
     * (harm__ingest_sort_subjects): merging them is linear. Codes and areas are
     * small hash pools. */
    ok = ok && (kind == 0 ? harm__strpool_merge : harm__strpool_unify)(
                   &out[kind], (const harm__strpool *const *)pools,
                   (const bool *const *)used, maps, np);
    for (size_t k = 0; k < np; k++) {
      harm__free(used[k]);
      used[k] = NULL;
    }
  }
  /* Offence ids (explain only) are merged by interning. */
  uint32_t **omap = NULL;
  if (ok && ds->oid) {
    omap = harm__calloc(np, sizeof *omap);
    ok = omap != NULL;
    for (size_t k = 1; ok && k < np; k++) {
      const harm__strpool *src = &all[k]->oids;
      omap[k] = harm__malloc(((size_t)src->n + 1) * sizeof **omap);
      ok = omap[k] != NULL;
      for (uint32_t i = 0; ok && i < src->n; i++) {
        size_t len;
        const char *p = harm__strpool_get(src, i, &len);
        omap[k][i] = harm__strpool_intern(&ds->oids, p, len, NULL);
        ok = omap[k][i] != HARM__STRPOOL_FAIL;
      }
    }
  }
  /* The per-chunk dictionaries (and their hash tables, the bulk of them)
   * are done with: free them before the final record array grows. */
  for (size_t k = 0; ok && k < np; k++) {
    harm__strpool_free(&all[k]->subjects);
    harm__strpool_free(&all[k]->codes);
    harm__strpool_free(&all[k]->areas);
    harm__strpool_free(&all[k]->places);
    harm__strpool_free(&all[k]->place_types);
  }
  size_t total = 0;
  for (size_t k = 0; k < np; k++) {
    total += all[k]->n_recs;
  }
  if (ok && total > ds->cap_recs) {
    harm__rec *recs = harm__reallocarray(ds->recs, total, sizeof *recs);
    ok = recs != NULL;
    if (ok) {
      ds->recs = recs;
      ds->cap_recs = total;
    }
    if (ok && ds->oid) {
      uint32_t *o = harm__reallocarray(ds->oid, total, sizeof *o);
      ok = o != NULL;
      if (ok) {
        ds->oid = o;
      }
    }
    if (ok && (ds->has_place || ds->has_place_type)) {
      harm__place_ref *pp = harm__reallocarray(ds->pref, total, sizeof *pp);
      ok = pp != NULL;
      if (ok) {
        ds->pref = pp;
      }
    }
  }
  if (ok) {
    for (size_t i = 0; i < ds->n_recs; i++) {
      harm__rec *r = &ds->recs[i];
      r->subject = smap[0][r->subject];
      r->code = cmap[0][r->code];
      if (r->area >= 0) {
        r->area = (int32_t)amap[0][r->area];
      }
      if (ds->pref) {
        harm__place_ref *pr = &ds->pref[i];
        pr->place =
            pr->place == HARM__NO_PLACE ? pr->place : pmap[0][pr->place];
        pr->type = pr->type == HARM__NO_PLACE ? pr->type : tmap[0][pr->type];
      }
    }
    for (size_t k = 1; k < np; k++) {
      harm_dataset *d = all[k];
      for (size_t i = 0; i < d->n_recs; i++) {
        harm__rec r = d->recs[i];
        r.subject = smap[k][r.subject];
        r.code = cmap[k][r.code];
        if (r.area >= 0) {
          r.area = (int32_t)amap[k][r.area];
        }
        if (ds->oid) {
          ds->oid[ds->n_recs] = d->oid ? omap[k][d->oid[i]] : 0;
        }
        if (ds->pref) {
          harm__place_ref pr = d->pref[i];
          pr.place = pr.place == HARM__NO_PLACE ? pr.place : pmap[k][pr.place];
          pr.type = pr.type == HARM__NO_PLACE ? pr.type : tmap[k][pr.type];
          ds->pref[ds->n_recs] = pr;
        }
        ds->recs[ds->n_recs++] = r;
      }
      harm__free(d->recs);
      harm__free(d->pref);
      d->pref = NULL;
      d->recs = NULL;
      d->n_recs = d->cap_recs = 0;
    }
    ds->subjects = out[0];
    ds->codes = out[1];
    ds->areas = out[2];
    ds->places = out[3];
    ds->place_types = out[4];
  } else {
    for (int kind = 0; kind < 5; kind++) {
      harm__strpool_free(&out[kind]);
    }
  }
  for (size_t k = 0; k < np; k++) {
    if (smap) {
      harm__free(smap[k]);
    }
    if (cmap) {
      harm__free(cmap[k]);
    }
    if (amap) {
      harm__free(amap[k]);
    }
    if (pmap) {
      harm__free(pmap[k]);
    }
    if (tmap) {
      harm__free(tmap[k]);
    }
    if (omap) {
      harm__free(omap[k]);
    }
  }
  harm__free(omap);
  harm__free(smap);
  harm__free(cmap);
  harm__free(amap);
  harm__free(pmap);
  harm__free(tmap);
  harm__free(maps);
  harm__free(used);
  harm__free(pools);
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
  for (size_t i = 0; i < ds->n_recs; i++) {
    ds->recs[i].subject = map[ds->recs[i].subject];
  }
  harm__free(map);
  harm__strpool_free(&ds->subjects);
  ds->subjects = np;
  return HARM_OK;
}
