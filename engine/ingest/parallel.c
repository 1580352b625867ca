/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/ingest/parallel.c: reads a splittable input (csv_bytes,
 * source.h) on threads: cuts it into chunks at line starts, reads each
 * into its own shard, and merges the shards and replays their rejects in
 * file order. */
#include <stdatomic.h>
#include <string.h>
#include <threads.h>

#include "ingest/loader.h"
#include "ingest/source.h"

/* ---- Parallel ingest ------------------------------------------------
 * The body after the header is cut into chunks at line starts, each
 * smaller than the one before (see chunk_size); the threads take them
 * from a queue (the last chunk first, see queue_main). Each chunk is read
 * by its own reader into its own shard (code, area, place and offence id pools,
 * one subject id per kept row, records, counts, buffered rejects). A chunk
 * start is only a real record boundary if the chunk before it ended idle (no
 * quoted field open across the cut): that is checked in order after the join,
 * and from the first chunk that did not end idle the rest of the file is
 * read again by one reader. Shards are merged in chunk order and rejects
 * replayed in file order, so the result never depends on the split. */

/* MIN_CHUNK: the smallest chunk worth a shard. TAIL_SHARE: the smallest
 * chunk of a large body is 1 / (TAIL_SHARE x threads) of it. */
enum { MIN_CHUNK = 1 << 20, TAIL_SHARE = 32 };

/* Guided sizes: each chunk is a (2 x threads)-th of the bytes left, but
 * at least a (TAIL_SHARE x threads)-th of the body (and min_chunk). Each
 * is taken by the next free thread, so the big first chunks keep the
 * shards few, and the small last ones leave a thread idle at the end for
 * one small chunk at most, not for a quarter of its share: with four
 * equal chunks a thread, the two threads finished 22-89 ms apart on ten
 * million rows (1-6 ms with these 13 chunks). At most TAIL_SHARE x
 * threads + 1 chunks. */
static size_t chunk_size(size_t left, size_t body, unsigned T,
                         size_t min_chunk) {
  size_t floor = body / ((size_t)TAIL_SHARE * T);
  floor = floor > min_chunk ? floor : min_chunk;
  size_t want = left / (2 * (size_t)T);
  return want > floor ? want : floor;
}

typedef struct shard {
  loader ld;
  const csv_bytes *src;
  size_t from, to;
  bool last;
  bool idle;    /* the chunk ended on a record boundary */
  size_t lines; /* line breaks read in the chunk */
  harm_status st;
} shard;

static harm_dataset *new_partial(const harm_dataset *like) {
  harm_dataset *ds = harm__calloc(1, sizeof *ds);
  if (ds) {
    ds->as_of = like->as_of;
    ds->lookback_days = like->lookback_days;
    ds->has_area = like->has_area;
    ds->has_place = like->has_place;
    ds->has_place_type = like->has_place_type;
    ds->previous_days = like->previous_days;
    ds->subjects_rows = true;
    ds->subjects_split = true;
  }
  return ds;
}

/* Reads the shard's chunk; buf: SRC_BLOCK bytes of scratch for a source
 * read with pread (NULL for one in memory, or when it could not be
 * allocated: then the shard fails with HARM_ERR_NOMEM). */
static void shard_read(shard *sh, char *buf) {
  harm__csv_reader *r = NULL;
  harm_status st = HARM_ERR_NOMEM;
  if (sh->src->mem || buf) {
    st = harm__csv_reader_new(sh->ld.opts->max_field_bytes,
                              harm__ingest_on_record, &sh->ld, &r);
  }
  if (st == HARM_OK) {
    harm__csv_mid_stream(r);
    st = harm__ingest_bytes_feed(sh->src, r, sh->from, sh->to, buf);
  }
  if (st == HARM_OK && sh->last) {
    st = harm__csv_finish(r);
  }
  /* Records already out of the chunk's own window (as_of = latest) go
   * here, in the chunk's thread. Its subjects stay one string per row:
   * harm__ingest_renumber sorts every chunk's rows together. */
  if (st == HARM_OK && sh->ld.deferred) {
    harm__ingest_compact(
        sh->ld.ds, harm__ingest_window_start(harm__ingest_latest_seen(&sh->ld),
                                             sh->ld.ds->lookback_days));
  }
  if (r) {
    sh->idle = harm__csv_idle(r);
    sh->lines = harm__csv_line(r) - 1;
  }
  sh->st = harm__ingest_reader_status(&sh->ld, st);
  harm__csv_reader_free(r);
}

/* shard_read with a read buffer of its own. */
static void shard_read_alone(shard *sh) {
  char *buf = sh->src->mem ? NULL : harm__malloc(SRC_BLOCK);
  shard_read(sh, buf);
  harm__free(buf);
}

/* The threads' common work list: next counts the chunks handed out. */
typedef struct chunk_queue {
  shard *sh;
  unsigned n;
  atomic_uint next;
} chunk_queue;

static int queue_main(void *arg) {
  chunk_queue *q = arg;
  /* One read buffer per thread, for all the chunks it takes: its pages
   * are faulted in once, not once per chunk. */
  char *buf = q->n && !q->sh[0].src->mem ? harm__malloc(SRC_BLOCK) : NULL;
  for (;;) {
    unsigned take = atomic_fetch_add(&q->next, 1);
    if (take >= q->n) {
      harm__free(buf);
      return 0;
    }
    /* The last chunk first, then the others in file order: in a file
     * sorted by date (oldest first, as many exports are) the last chunk
     * holds the latest date, and once a shard has published it
     * (shared_max) every other chunk drops its rows that are already
     * outside the window as it reads them, so memory follows the window's
     * rows, not the file's. Newest-first files have it in chunk 0, taken
     * at the same time. Which thread reads which chunk never changes the
     * result (shards are merged in file order). */
    unsigned k = take == 0 ? q->n - 1 : take - 1;
    if (q->sh[k].ld.ds) {
      shard_read(&q->sh[k], buf);
    } else {
      q->sh[k].st = HARM_ERR_NOMEM;
    }
  }
}

static void shard_init(shard *sh, const loader *master) {
  memset(sh, 0, sizeof *sh);
  sh->ld = *master;
  sh->ld.borrowed_header = true;
  sh->ld.header_only = false;
  sh->ld.buffer_rejects = true;
  sh->ld.hist = NULL;
  sh->ld.hist_len = 0;
  /* each shard has its own caches */
  sh->ld.date_cache = NULL;
  sh->ld.code_cache = NULL;
  sh->ld.area_cache = NULL;
  memset(&sh->ld.chk, 0, sizeof sh->ld.chk);
  memset(&sh->ld.rej_buf, 0, sizeof sh->ld.rej_buf);
  sh->ld.err = &sh->ld.local_err;
  harm_error_clear(&sh->ld.local_err);
  sh->ld.status = HARM_OK;
  sh->ld.runmax = HARM_DATE_NONE;
  sh->ld.ds = new_partial(master->ds);
}

static void shard_free(shard *sh) {
  harm_dataset_free(sh->ld.ds);
  sh->ld.ds = NULL;
  harm__ingest_loader_free(&sh->ld);
}

/* Folds a shard's counts, latest date and filtered-date histogram into
 * the master, and hands its dataset to the master's parts (dictionaries
 * and records are combined once, in harm__ingest_renumber()). */
static bool merge_shard(loader *master, shard *sh) {
  harm_dataset *dst = master->ds, *src = sh->ld.ds;
  harm_dataset **parts =
      harm__reallocarray(master->parts, master->n_parts + 1, sizeof *parts);
  if (!parts) {
    return false;
  }
  master->parts = parts;
  dst->acct.read += src->acct.read;
  dst->acct.outside_window += src->acct.outside_window;
  dst->acct.future_dated += src->acct.future_dated;
  dst->acct.filtered += src->acct.filtered;
  dst->acct.rejected += src->acct.rejected;
  if (sh->ld.runmax != HARM_DATE_NONE &&
      (master->runmax == HARM_DATE_NONE || sh->ld.runmax > master->runmax)) {
    master->runmax = sh->ld.runmax;
  }
  for (size_t i = 0; i < sh->ld.hist_len; i++) {
    for (uint64_t c = sh->ld.hist[i]; c; c--) {
      if (!harm__ingest_hist_add(master, sh->ld.hist_base + (harm_date)i)) {
        return false;
      }
    }
  }
  /* The part's own counts now live in the master's. */
  memset(&src->acct, 0, sizeof src->acct);
  master->parts[master->n_parts++] = src;
  sh->ld.ds = NULL;
  return true;
}

/* Replays a shard's buffered rejects with absolute line numbers. In
 * strict mode the first one is the run's error. */
static harm_status replay(loader *master, const shard *sh, size_t base) {
  if (!sh->ld.rej_buf.data) {
    return HARM_OK; /* no rejects (and no buffer to walk) */
  }
  const char *p = sh->ld.rej_buf.data;
  const char *end = p + sh->ld.rej_buf.len;
  while (p < end) {
    rej_entry e;
    memcpy(&e, p, sizeof e);
    p += sizeof e;
    char reason[HARM_ERROR_MESSAGE_MAX];
    memcpy(reason, p, e.reason_len);
    reason[e.reason_len] = '\0';
    const char *raw = p + e.reason_len;
    p += e.reason_len + e.raw_len;
    const char *column = e.col < master->n_cols ? master->names[e.col] : "";
    size_t line = e.line + base;
    if (master->opts->on_reject) {
      harm_reject r = {line, raw, e.raw_len, column, reason};
      if (!master->opts->on_reject(master->opts->reject_ctx, &r)) {
        return harm__fail(master->err, HARM_ERR_IO, "ingest", master->name,
                          line, column, "writing rejects failed");
      }
    }
    if (master->opts->strict) {
      return harm__fail(master->err, (harm_status)e.status, "ingest",
                        master->name, line, column, "%s", reason);
    }
  }
  return HARM_OK;
}

static unsigned thread_count(const harm_ingest_opts *o) {
  if (o->threads) {
    return o->threads;
  }
  return harm__cpu_count();
}

/* Reads the input in parallel when it is large enough and the header ends
 * at a '\n'. Returns HARM_OK with *done = false to ask for the sequential
 * reader instead. */
harm_status harm__ingest_parallel(loader *master, const csv_bytes *src,
                                  bool *done, int (*side)(void *),
                                  void *side_arg) {
  *done = false;
  unsigned T = thread_count(master->opts);
  size_t min_chunk =
      master->opts->min_chunk_bytes ? master->opts->min_chunk_bytes : MIN_CHUNK;
  if (T > HARM__PAR_MAX) {
    T = HARM__PAR_MAX;
  }
  if (T < 2 || src->len < 2 * min_chunk) {
    return HARM_OK;
  }
  char *buf = src->mem ? NULL : harm__malloc(SRC_BLOCK);
  if (!src->mem && !buf) {
    return HARM_OK;
  }
  /* The header: fed line by line until it is complete. */
  harm__csv_reader *r = NULL;
  harm_status st = harm__csv_reader_new(master->opts->max_field_bytes,
                                        harm__ingest_on_record, master, &r);
  if (st == HARM_OK) {
    harm__csv_require_text(r);
  }
  size_t hdr_end = 0;
  master->header_only = true;
  while (st == HARM_OK && !master->have_header && hdr_end < src->len &&
         hdr_end < (size_t)SRC_BLOCK) {
    size_t nl = harm__ingest_next_line(src, hdr_end, buf);
    st = harm__ingest_bytes_feed(src, r, hdr_end, nl, buf);
    if (st == HARM_ERR_USAGE && master->status == HARM_OK &&
        master->have_header) {
      st = HARM_OK; /* stopped on purpose after the header */
    }
    hdr_end = nl;
  }
  master->header_only = false;
  size_t hdr_lines = r ? harm__csv_line(r) - 1 : 0;
  bool header_ok = st == HARM_OK && master->have_header &&
                   master->status == HARM_OK && r && harm__csv_idle(r) &&
                   hdr_lines >= 1;
  harm__csv_reader_free(r);
  if (!header_ok) {
    /* Let the sequential reader report header problems (or handle
     * lone-CR files) from a clean start. */
    harm__ingest_loader_free(master);
    master->names = NULL;
    master->filters =
        harm__calloc(master->opts->n_filters + 1, sizeof *master->filters);
    master->have_header = false;
    master->n_cols = 0;
    master->n_extra = 0;
    master->status = HARM_OK;
    harm__free(buf);
    return master->filters ? HARM_OK : HARM_ERR_NOMEM;
  }
  size_t body = src->len - hdr_end;
  if (body / min_chunk < T) {
    T = (unsigned)(body / min_chunk) ? (unsigned)(body / min_chunk) : 1;
  }
  /* At most C chunks (see chunk_size). */
  size_t C = (size_t)TAIL_SHARE * T + 2;
  shard *sh = harm__calloc(C, sizeof *sh);
  thrd_t *tid = harm__calloc(T, sizeof *tid);
  if (!sh || !tid) {
    harm__free(sh);
    harm__free(tid);
    harm__free(buf);
    return HARM_ERR_NOMEM;
  }
  size_t from = hdr_end;
  unsigned n = 0;
  _Atomic harm_date shared_max = HARM_DATE_NONE;
  for (size_t k = 0; k < C && from < src->len; k++) {
    size_t left = src->len - from;
    size_t size = chunk_size(left, body, T, min_chunk);
    /* The last chunk takes the rest when less than another would be left
     * after it. */
    size_t to = k + 1 == C || size >= left || left - size < size
                    ? src->len
                    : harm__ingest_next_line(src, from + size, buf);
    if (to <= from) {
      continue;
    }
    shard_init(&sh[n], master);
    sh[n].src = src;
    sh[n].from = from;
    sh[n].to = to;
    /* About one kept record per 128 bytes of input: a first capacity that
     * rarely needs growing (pages not written cost no memory). */
    sh[n].ld.rec_hint = (to - from) / 128 + 4096;
    if (master->deferred) {
      sh[n].ld.shared_max = &shared_max;
    }
    n++;
    from = to;
  }
  harm__free(buf);
  if (n) {
    sh[n - 1].last = true;
    sh[n - 1].to = src->len;
  }
  /* T - 1 threads and this one take the chunks from the queue (the last
   * first, see queue_main); a thread that cannot start leaves its share
   * to the others. */
  chunk_queue q = {.sh = sh, .n = n};
  atomic_init(&q.next, 0);
  bool started[HARM__PAR_MAX] = {false};
  unsigned workers = T < n ? T : n;
  /* The side job (the input's hash) beside the readers. */
  thrd_t side_tid;
  bool side_started =
      side && thrd_create(&side_tid, side, side_arg) == thrd_success;
  for (unsigned t = 1; t < workers; t++) {
    started[t] = thrd_create(&tid[t], queue_main, &q) == thrd_success;
  }
  queue_main(&q);
  for (unsigned t = 1; t < workers; t++) {
    if (started[t]) {
      thrd_join(tid[t], NULL);
    }
  }
  if (side_started) {
    thrd_join(side_tid, NULL);
  } else if (side) {
    side(side_arg);
  }
  /* A chunk that did not end idle means the next chunk started inside a
   * quoted field: read from that chunk to the end again, in one go. With
   * as_of = latest, the earlier chunks may have dropped rows against a
   * latest date that the misread chunk made up, so everything is read
   * again from the first chunk. */
  for (unsigned kk = 0; kk + 1 < n; kk++) {
    if (sh[kk].st == HARM_OK && !sh[kk].idle) {
      unsigned k = master->deferred ? 0 : kk;
      for (unsigned j = k; j < n; j++) {
        shard_free(&sh[j]);
      }
      size_t start = sh[k].from;
      shard_init(&sh[k], master);
      sh[k].src = src;
      sh[k].from = start;
      sh[k].to = src->len;
      sh[k].last = true;
      n = k + 1;
      if (sh[k].ld.ds) {
        shard_read_alone(&sh[k]);
      } else {
        sh[k].st = HARM_ERR_NOMEM;
      }
      break;
    }
  }
  st = HARM_OK;
  size_t base = hdr_lines;
  for (unsigned k = 0; k < n && st == HARM_OK; k++) {
    if (sh[k].st != HARM_OK && sh[k].st != HARM_ERR_DATA &&
        sh[k].st != HARM_ERR_LIMIT) {
      st = sh[k].st;
      if (master->err && sh[k].ld.local_err.status != HARM_OK) {
        *master->err = sh[k].ld.local_err;
        if (master->err->record) {
          master->err->record += base;
        }
      }
      break;
    }
    st = replay(master, &sh[k], base);
    if (st == HARM_OK && !harm__ingest_check_fold(master, &sh[k].ld, base)) {
      st = HARM_ERR_NOMEM;
    }
    base += sh[k].lines;
  }
  for (unsigned k = 0; k < n && st == HARM_OK; k++) {
    if (k == 0) {
      /* The first shard's dataset becomes the result. */
      harm_dataset *ds = master->ds;
      harm_dataset *d0 = sh[0].ld.ds;
      d0->source = ds->source;
      ds->source = NULL;
      harm_dataset_free(ds);
      master->ds = d0;
      sh[0].ld.ds = NULL;
      master->runmax = sh[0].ld.runmax;
      for (size_t i = 0; i < sh[0].ld.hist_len && st == HARM_OK; i++) {
        for (uint64_t c = sh[0].ld.hist[i]; c; c--) {
          if (!harm__ingest_hist_add(master,
                                     sh[0].ld.hist_base + (harm_date)i)) {
            st = HARM_ERR_NOMEM;
            break;
          }
        }
      }
      continue;
    }
    if (!merge_shard(master, &sh[k])) {
      st = HARM_ERR_NOMEM;
    }
    shard_free(&sh[k]);
  }
  for (unsigned k = 0; k < n; k++) {
    shard_free(&sh[k]);
  }
  harm__free(sh);
  harm__free(tid);
  *done = true;
  return st;
}
