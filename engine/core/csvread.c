/* SPDX-License-Identifier: GPL-3.0-or-later */
/* engine/core/csvread.c: feeds libcsv one physical line at a time, so the
 * reader knows where every record starts and ends without a second CSV
 * state machine. A record is complete when libcsv's row callback fires
 * during a line; a line that leaves libcsv idle without a row (blank or
 * all spaces) is skipped. */
#include "core/csvread.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"

/* Bytes handed to libcsv at a time; the field buffer is bounded between
 * slices, so it never holds more than max_field plus about this much. */
enum { CSV_SLICE = 1 << 16 };

#define UTF16_ERROR                                                            \
  "UTF-16: save as UTF-8 (the file starts with a UTF-16 byte-order mark or "   \
  "has a NUL byte beside every character)"

struct harm__csv_reader {
  struct csv_parser parser;
  size_t max_field;
  harm__csv_record_fn fn;
  void *ctx;
  harm__buf raw;    /* bytes of the record in progress */
  size_t raw_limit; /* raw is cut past this many bytes */
  bool raw_truncated;
  harm__buf field_bytes; /* fields of the record, each NUL-terminated */
  size_t *field_off;     /* start offsets into field_bytes */
  size_t *field_len;
  size_t n_fields;
  size_t cap_fields;
  harm__csv_field *fields;
  size_t cap_out;      /* capacity of fields */
  bool fast;           /* quote-free lines bypass libcsv (default on) */
  size_t line;         /* line of the next byte */
  size_t record_line;  /* line where the record in progress started */
  bool prev_cr;        /* last byte fed was '\r' */
  bool row_done;       /* libcsv's row callback fired */
  bool first;          /* no record delivered yet */
  bool bom_checked;    /* the start of input was checked for a BOM */
  char bom_pending[3]; /* first bytes held until a BOM is ruled out */
  size_t bom_n;
  bool skipping;           /* after a quoting error: skip to end of line */
  size_t skip_field;       /* field at fault for the pending reject */
  const char *field_error; /* set by the field callback */
  bool field_over_limit;   /* field_error is the max_field_bytes limit */
  size_t field_error_at;
  /* The field libcsv is building is already known to be over max_field:
   * its buffer is kept short (see bound_field) and the field comes
   * through as over-long whatever length libcsv reports. */
  bool field_over;
  /* A long run of blanks in the field in progress was cut to one (see
   * bound_field); the field is over-long if anything but blanks follows,
   * i.e. if its committed length goes past blanks_at. */
  bool blanks_cut;
  size_t blanks_at;
  bool text_check;   /* refuse UTF-16 and binary input (default off) */
  const char *fatal; /* why the input cannot be read at all, or NULL */
  bool nomem;
  bool stopped;
};

/* libcsv grows its field buffer by a fixed 128 bytes a time, which makes
 * a huge field cost a quadratic amount of copying wherever realloc cannot
 * grow in place (sanitizer builds, fragmented heaps). Its buffer is
 * allocated through these two instead, which keep the capacity in a
 * 16-byte header and grow it geometrically. */
static void *geo_realloc(void *p, size_t size) {
  size_t cap = p ? ((size_t *)p - 2)[0] : 0;
  if (p && cap >= size) {
    return p;
  }
  size_t ncap = cap * 2 > size ? cap * 2 : size;
  if (ncap < 256) {
    ncap = 256;
  }
  if (ncap > SIZE_MAX - 16) {
    return NULL;
  }
  size_t *h = harm__realloc(p ? (size_t *)p - 2 : NULL, ncap + 16);
  if (!h) {
    return NULL;
  }
  h[0] = ncap;
  return h + 2;
}

static void geo_free(void *p) {
  if (p) {
    harm__free((size_t *)p - 2);
  }
}

static void on_field(void *s, size_t len, void *data) {
  harm__csv_reader *r = data;
  if (r->nomem) {
    return;
  }
  bool over = len > r->max_field || r->field_over ||
              (r->blanks_cut && len > r->blanks_at + 1);
  r->field_over = false;
  r->blanks_cut = false;
  if (over && !r->field_error) {
    r->field_error = "field longer than the limit (max_field_bytes)";
    r->field_over_limit = true;
    r->field_error_at = r->n_fields;
  }
  if (r->n_fields == r->cap_fields) {
    size_t cap = r->cap_fields ? r->cap_fields * 2 : 16;
    size_t *o = harm__reallocarray(r->field_off, cap, sizeof *o);
    if (!o) {
      r->nomem = true;
      return;
    }
    r->field_off = o;
    size_t *l = harm__reallocarray(r->field_len, cap, sizeof *l);
    if (!l) {
      r->nomem = true;
      return;
    }
    r->field_len = l;
    r->cap_fields = cap;
  }
  size_t keep = over ? 0 : len;
  r->field_off[r->n_fields] = r->field_bytes.len;
  r->field_len[r->n_fields] = keep;
  /* Always append (with NUL) so the offsets stay valid. */
  if (!harm__buf_append(&r->field_bytes, s ? s : "", keep) ||
      !harm__buf_append(&r->field_bytes, "", 1)) {
    r->nomem = true;
    return;
  }
  r->n_fields++;
}

static void on_row(int c, void *data) {
  (void)c;
  harm__csv_reader *r = data;
  r->row_done = true;
}

harm_status harm__csv_reader_new(size_t max_field, harm__csv_record_fn fn,
                                 void *ctx, harm__csv_reader **out) {
  *out = NULL;
  harm__csv_reader *r = harm__calloc(1, sizeof *r);
  if (!r) {
    return HARM_ERR_NOMEM;
  }
  if (csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
    harm__free(r);
    return HARM_ERR_NOMEM;
  }
  csv_set_realloc_func(&r->parser, geo_realloc);
  csv_set_free_func(&r->parser, geo_free);
  r->max_field = max_field ? max_field : SIZE_MAX;
  /* Keep rejected rows readable: a record longer than two field limits
   * (or 64 KiB when unlimited) is cut in the rejects copy. */
  r->raw_limit = max_field && max_field < SIZE_MAX / 4 ? max_field * 2 + 4096
                                                       : (size_t)1 << 16;
  r->fn = fn;
  r->ctx = ctx;
  r->line = 1;
  r->record_line = 1;
  r->first = true;
  r->fast = true;
  *out = r;
  return HARM_OK;
}

void harm__csv_reader_free(harm__csv_reader *r) {
  if (!r) {
    return;
  }
  csv_free(&r->parser);
  harm__buf_free(&r->raw);
  harm__buf_free(&r->field_bytes);
  harm__free(r->field_off);
  harm__free(r->field_len);
  harm__free(r->fields);
  harm__free(r);
}

size_t harm__csv_line(const harm__csv_reader *r) { return r->line; }

const char *harm__csv_fatal(const harm__csv_reader *r) { return r->fatal; }

static void reset_record(harm__csv_reader *r) {
  r->raw.len = 0;
  r->raw_truncated = false;
  r->field_bytes.len = 0;
  r->n_fields = 0;
  r->field_error = NULL;
  r->field_over_limit = false;
  r->field_error_at = 0;
  r->row_done = false;
  r->field_over = false;
  r->blanks_cut = false;
  r->record_line = r->line;
}

static bool ensure_out(harm__csv_reader *r, size_t n) {
  if (n <= r->cap_out) {
    return true;
  }
  size_t cap = r->cap_out ? r->cap_out : 16;
  while (cap < n) {
    cap *= 2;
  }
  harm__csv_field *f = harm__reallocarray(r->fields, cap, sizeof *f);
  if (!f) {
    return false;
  }
  r->fields = f;
  r->cap_out = cap;
  return true;
}

/* Hands the record in progress to the callback. */
static harm_status deliver(harm__csv_reader *r, const char *error,
                           size_t error_field) {
  if (r->nomem) {
    return HARM_ERR_NOMEM;
  }
  if (r->n_fields > 0) {
    if (!ensure_out(r, r->n_fields)) {
      return HARM_ERR_NOMEM;
    }
    harm__csv_field *f = r->fields;
    for (size_t i = 0; i < r->n_fields; i++) {
      f[i].p = r->field_bytes.data + r->field_off[i];
      f[i].len = r->field_len[i];
    }
  }
  /* Strip the raw terminator(s). */
  size_t raw_len = r->raw.len;
  while (raw_len && (r->raw.data[raw_len - 1] == '\n' ||
                     r->raw.data[raw_len - 1] == '\r')) {
    raw_len--;
  }
  const char *raw = r->raw.data ? r->raw.data : "";
  r->first = false;
  harm__csv_record rec = {.line = r->record_line,
                          .raw = raw,
                          .raw_len = raw_len,
                          .fields = r->fields,
                          .n_fields = r->n_fields,
                          .error = error,
                          .error_field = error_field,
                          .raw_truncated = r->raw_truncated,
                          .no_nul = false};
  if (!error && r->field_error) {
    rec.error = r->field_error;
    rec.error_field = r->field_error_at;
  }
  rec.over_limit = rec.error && !error && r->field_over_limit;
  bool go = r->fn(r->ctx, &rec);
  if (!go) {
    r->stopped = true;
    return HARM_ERR_USAGE;
  }
  return HARM_OK;
}

static void count_lines(harm__csv_reader *r, const char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '\n') {
      if (!r->prev_cr) {
        r->line++;
      }
      r->prev_cr = false;
    } else if (p[i] == '\r') {
      r->line++;
      r->prev_cr = true;
    } else {
      r->prev_cr = false;
    }
  }
}

static bool append_raw(harm__csv_reader *r, const char *p, size_t n) {
  if (r->raw.len + n > r->raw_limit) {
    size_t room = r->raw_limit > r->raw.len ? r->raw_limit - r->raw.len : 0;
    r->raw_truncated = true;
    n = room;
  }
  return n == 0 || harm__buf_append(&r->raw, p, n);
}

/* Parses one segment ending at (and including) a line terminator, or the
 * tail of the input. */
#define QUOTE_ERROR                                                            \
  "malformed quoting (a quote inside an unquoted field, or text after a "      \
  "closing quote)"

/* libcsv keeps the whole field in progress in its buffer and only hands
 * it over at the field's end, so an over-long field would cost its whole
 * length in memory before on_field could turn it down. Between slices of
 * input this looks at libcsv's public parser state: once the committed
 * part of the field (everything but trailing blanks and a closing quote,
 * which libcsv strips at the end) is past max_field, the field is marked
 * over-long and libcsv's write position is wound back, so it keeps
 * parsing (record boundaries unchanged) into a buffer that stays short.
 * A long run of trailing blanks, which libcsv may still strip, is cut to
 * one blank the same way, remembering that the field is over-long if any
 * other byte follows it. */
static void bound_field(harm__csv_reader *r) {
  struct csv_parser *p = &r->parser;
  if (p->pstate != 2 && p->pstate != 3) {
    return; /* no field in progress */
  }
  size_t slack = p->spaces + 1;
  size_t committed = p->entry_pos > slack ? p->entry_pos - slack : 0;
  if (!r->field_over && (committed > r->max_field ||
                         (r->blanks_cut && committed > r->blanks_at))) {
    r->field_over = true;
  }
  if (r->field_over) {
    if (p->entry_pos > slack) {
      p->entry_pos = slack;
    }
  } else if (p->spaces > CSV_SLICE && (p->pstate == 3 || !p->quoted)) {
    p->entry_pos -= p->spaces - 1;
    p->spaces = 1;
    r->blanks_cut = true;
    r->blanks_at = committed;
  }
  if (r->field_over && p->spaces > CSV_SLICE) {
    p->entry_pos -= p->spaces - 1;
    p->spaces = 1;
  }
}

/* csv_parse over a segment in slices, bounding the field buffer between
 * slices. Returns the bytes libcsv took, as csv_parse does. */
static size_t parse_bounded(harm__csv_reader *r, const char *seg, size_t n) {
  size_t done = 0;
  while (done < n) {
    size_t k = n - done < CSV_SLICE ? n - done : CSV_SLICE;
    size_t got = csv_parse(&r->parser, seg + done, k, on_field, on_row, r);
    done += got;
    if (got < k || r->nomem) {
      break;
    }
    bound_field(r);
  }
  return done;
}

static harm_status parse_segment(harm__csv_reader *r, const char *seg,
                                 size_t n) {
  bool idle_before = r->parser.pstate == 0 && r->raw.len == 0;
  if (idle_before) {
    r->record_line = r->line;
  }
  if (!append_raw(r, seg, n)) {
    return HARM_ERR_NOMEM;
  }
  size_t done = parse_bounded(r, seg, n);
  count_lines(r, seg, n);
  if (r->nomem) {
    return HARM_ERR_NOMEM;
  }
  if (done < n) {
    int e = csv_error(&r->parser);
    if (e == CSV_ENOMEM || e == CSV_ETOOBIG) {
      return HARM_ERR_NOMEM;
    }
    /* Malformed quoting: the record is rejected up to the end of this
     * physical line, and reading resumes with a fresh parser on the next.
     * When the line goes on past this block, the rest of it is skipped
     * first (harm__csv_feed), so it cannot pose as a new record. */
    size_t at = r->n_fields;
    r->field_over = false;
    r->blanks_cut = false;
    csv_free(&r->parser);
    if (csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
      return HARM_ERR_NOMEM;
    }
    csv_set_realloc_func(&r->parser, geo_realloc);
    csv_set_free_func(&r->parser, geo_free);
    bool line_ends = n > 0 && (seg[n - 1] == '\n' || seg[n - 1] == '\r');
    if (!line_ends) {
      r->skipping = true;
      r->skip_field = at;
      return HARM_OK;
    }
    harm_status st = deliver(r, QUOTE_ERROR, at);
    reset_record(r);
    return st;
  }
  if (r->row_done) {
    harm_status st = deliver(r, NULL, 0);
    reset_record(r);
    return st;
  }
  bool line_ends = n > 0 && (seg[n - 1] == '\n' || seg[n - 1] == '\r');
  if (r->parser.pstate == 0 && line_ends) {
    /* Blank or all-space line: not a record. (Blanks at the end of a
     * block stay in raw: the line may go on in the next block.) */
    reset_record(r);
  }
  return HARM_OK;
}

/* Byte classes for the line scanner: line terminators and the quote. */
static bool is_blank(char c) { return c == ' ' || c == '\t'; }

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

enum { MAX_COMMAS = 64 };

/* One pass over a physical line: finds its end (the first '\n' or '\r'),
 * whether it holds a quote (*quote), a NUL byte (*nul) or a blank (' ' or
 * '\t', *blank), and its fields split on every comma, untrimmed, into
 * f[0..*n_fields) (at most MAX_COMMAS + 1; *n_fields = SIZE_MAX when
 * there are more). SSE2 does 16 bytes a step where available; the scalar
 * loop gives the same answers. */
static size_t scan_line(const char *p, size_t avail, bool *quote, bool *nul,
                        bool *blank, harm__csv_field *f, size_t *n_fields) {
  size_t i = 0, nc = 0, start = 0;
  bool q = false, z = false, w = false;
#if defined(__SSE2__)
  /* quote, NUL and blank bits seen, OR-ed */
  unsigned qacc = 0, zacc = 0, wacc = 0;
  const __m128i nl = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
  const __m128i dq = _mm_set1_epi8('"'), cm = _mm_set1_epi8(',');
  const __m128i zero = _mm_setzero_si128();
  const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
  while (i + 16 <= avail) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
    unsigned end = (unsigned)_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(v, nl), _mm_cmpeq_epi8(v, cr)));
    unsigned qm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, dq));
    unsigned cmask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, cm));
    unsigned zm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero));
    unsigned wm = (unsigned)_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, tab)));
    unsigned stop = end ? (unsigned)__builtin_ctz(end) : 16;
    if (end) {
      unsigned keep = (1u << stop) - 1u;
      qm &= keep;
      cmask &= keep;
      zm &= keep;
      wm &= keep;
    }
    qacc |= qm;
    zacc |= zm;
    wacc |= wm;
    while (cmask) {
      size_t at = i + (unsigned)__builtin_ctz(cmask);
      if (nc < MAX_COMMAS) {
        f[nc].p = p + start;
        f[nc].len = at - start;
      }
      start = at + 1;
      nc++;
      cmask &= cmask - 1;
    }
    if (end) {
      *quote = qacc != 0;
      *nul = zacc != 0;
      *blank = wacc != 0;
      if (nc <= MAX_COMMAS) {
        f[nc].p = p + start;
        f[nc].len = i + stop - start;
      }
      *n_fields = nc <= MAX_COMMAS ? nc + 1 : SIZE_MAX;
      return i + stop;
    }
    i += 16;
  }
  q = qacc != 0;
  z = zacc != 0;
  w = wacc != 0;
#endif
  for (; i < avail; i++) {
    char c = p[i];
    if (c == '\n' || c == '\r') {
      break;
    }
    if (c == '"') {
      q = true;
    } else if (c == '\0') {
      z = true;
    } else if (c == ' ' || c == '\t') {
      w = true;
    } else if (c == ',') {
      if (nc < MAX_COMMAS) {
        f[nc].p = p + start;
        f[nc].len = i - start;
      }
      start = i + 1;
      nc++;
    }
  }
  *quote = q;
  *nul = z;
  *blank = w;
  if (nc <= MAX_COMMAS) {
    f[nc].p = p + start;
    f[nc].len = i - start;
  }
  *n_fields = nc <= MAX_COMMAS ? nc + 1 : SIZE_MAX;
  return i;
}

/* Field nf of a fast-path line: the bytes [a, b) trimmed of blanks as
 * libcsv trims an unquoted field. Blanks are ' ' and '\t', both <= ' ':
 * one compare tells most fields, which have none at either end. A field
 * over the limit comes through empty, as on the libcsv path, and the
 * first one is named in *error. */
static inline void put_field(harm__csv_field *out, size_t max_field, size_t nf,
                             const char *a, const char *b, const char **error,
                             size_t *error_field) {
  if (a < b && (unsigned char)*a <= ' ') {
    while (a < b && is_blank(*a)) {
      a++;
    }
  }
  if (b > a && (unsigned char)b[-1] <= ' ') {
    while (b > a && is_blank(b[-1])) {
      b--;
    }
  }
  size_t fl = (size_t)(b - a);
  if (fl > max_field) {
    if (!*error) {
      *error = "field longer than the limit (max_field_bytes)";
      *error_field = nf;
    }
    fl = 0;
  }
  out[nf].p = a;
  out[nf].len = fl;
}

/* The fast path: a whole line with no quote character, starting while
 * libcsv is idle, split on commas and trimmed of spaces and tabs exactly
 * as libcsv does for unquoted fields. A line of only blanks is no record,
 * as in libcsv. The differential test and the csv fuzz target check that
 * both paths give the same records. */
static harm_status fast_line(harm__csv_reader *r, const char *p, size_t n,
                             const char *term, harm__csv_field *fields,
                             size_t n_fields, bool nul, bool blank) {
  r->record_line = r->line;
  r->prev_cr = false; /* the line's content came after any earlier CR */
  count_lines(r, term, 1);
  size_t k = 0;
  while (blank && k < n && is_blank(p[k])) {
    k++;
  }
  if (k == n) {
    r->record_line = r->line;
    return HARM_OK; /* blank line */
  }
  const char *error = NULL;
  size_t error_field = 0;
  size_t nf = 0;
  const char *end = p + n;
  if (n_fields != SIZE_MAX) {
    /* The scan's fields. Without a blank there is nothing to trim, and a
     * line no longer than the limit holds no field over it: most lines
     * need neither, and skip this pass. */
    nf = n_fields;
    if (blank || n > r->max_field) {
      for (size_t f = 0; f < nf; f++) {
        const char *a = fields[f].p;
        put_field(fields, r->max_field, f, a, a + fields[f].len, &error,
                  &error_field);
      }
    }
  } else {
    /* More commas than the scan keeps: memchr finds the fields. */
    const char *fp = p;
    for (;;) {
      const char *comma = memchr(fp, ',', (size_t)(end - fp));
      if (nf == r->cap_out && !ensure_out(r, nf + 1)) {
        return HARM_ERR_NOMEM;
      }
      put_field(r->fields, r->max_field, nf++, fp, comma ? comma : end, &error,
                &error_field);
      if (!comma) {
        break;
      }
      fp = comma + 1;
    }
    fields = r->fields;
  }
  size_t raw_len = n < r->raw_limit ? n : r->raw_limit;
  r->first = false;
  harm__csv_record rec = {.line = r->record_line,
                          .raw = p,
                          .raw_len = raw_len,
                          .fields = fields,
                          .n_fields = nf,
                          .error = error,
                          .error_field = error_field,
                          .raw_truncated = n > raw_len,
                          /* the fast path's only record error */
                          .over_limit = error != NULL,
                          .no_nul = !nul,
                          .trimmed = true};
  r->record_line = r->line;
  if (!r->fn(r->ctx, &rec)) {
    r->stopped = true;
    return HARM_ERR_USAGE;
  }
  return HARM_OK;
}

/* Why a first line holding a NUL byte is not CSV text: UTF-16 (every
 * other byte NUL in its first 64 bytes) or some other binary file. */
static const char *not_text(const char *p, size_t n) {
  size_t nul[2] = {0, 0}, k = n < 64 ? n : 64;
  for (size_t i = 0; i < k; i++) {
    nul[i % 2] += p[i] == '\0';
  }
  size_t half[2] = {(k + 1) / 2, k / 2};
  bool utf16 = k >= 4 && ((nul[0] == half[0] && nul[1] == 0) ||
                          (nul[1] == half[1] && nul[0] == 0));
  return utf16 ? UTF16_ERROR
               : "NUL bytes in the first line: not a CSV text file";
}

harm_status harm__csv_feed(harm__csv_reader *r, const char *data, size_t len) {
  if (r->fatal) {
    return HARM_ERR_DATA;
  }
  if (r->stopped) {
    return HARM_ERR_USAGE;
  }
  size_t pos = 0;
  /* A UTF-8 byte-order mark at the very start is not data: drop it before
   * libcsv sees it (it would make a quoted first field malformed). The
   * first bytes are held back until three have arrived. */
  if (!r->bom_checked) {
    while (r->bom_n < 3 && pos < len) {
      r->bom_pending[r->bom_n++] = data[pos++];
    }
    if (r->bom_n < 3 && memcmp(r->bom_pending, "\xEF\xBB\xBF", r->bom_n) == 0) {
      return HARM_OK; /* maybe a BOM: wait for more */
    }
    r->bom_checked = true;
    if (r->text_check && r->bom_n >= 2 &&
        (memcmp(r->bom_pending, "\xFF\xFE", 2) == 0 ||
         memcmp(r->bom_pending, "\xFE\xFF", 2) == 0)) {
      r->fatal = UTF16_ERROR;
      r->stopped = true;
      return HARM_ERR_DATA;
    }
    if (r->text_check && memchr(r->bom_pending, '\0', r->bom_n)) {
      /* Judge the first line from its start, not from these few bytes. */
      char head[64];
      size_t k = r->bom_n;
      memcpy(head, r->bom_pending, k);
      while (k < sizeof head && pos + k - r->bom_n < len) {
        head[k] = data[pos + k - r->bom_n];
        k++;
      }
      for (size_t i = 0; i < k; i++) {
        if (head[i] == '\n' || head[i] == '\r') {
          k = i;
          break;
        }
      }
      r->fatal = not_text(head, k);
      r->stopped = true;
      return HARM_ERR_DATA;
    }
    if (!(r->bom_n == 3 && memcmp(r->bom_pending, "\xEF\xBB\xBF", 3) == 0)) {
      harm_status st = harm__csv_feed(r, r->bom_pending, r->bom_n);
      if (st != HARM_OK) {
        return st;
      }
    }
  }
  /* The fast path's fields of one line (libcsv's are r->fields, which
   * may hold a record still being read). */
  harm__csv_field line_fields[MAX_COMMAS + 1];
  while (pos < len) {
    if (r->skipping) {
      /* The rest of a line rejected for its quoting. */
      const char *p = data + pos;
      const char *nl = memchr(p, '\n', len - pos);
      size_t content = nl ? (size_t)(nl - p) : len - pos;
      const char *cr = memchr(p, '\r', content);
      if (cr) {
        content = (size_t)(cr - p);
      }
      size_t term = (cr || nl) ? 1 : 0;
      if (!append_raw(r, p, content + term)) {
        return HARM_ERR_NOMEM;
      }
      r->prev_cr = false;
      count_lines(r, p + content, term);
      pos += content + term;
      if (term) {
        r->skipping = false;
        harm_status st = deliver(r, QUOTE_ERROR, r->skip_field);
        reset_record(r);
        if (st != HARM_OK) {
          return st;
        }
      }
      continue;
    }
    /* One physical line: up to the first '\n' or '\r'. */
    const char *p = data + pos;
    bool quote, nul, blank;
    size_t n_fields;
    size_t content =
        scan_line(p, len - pos, &quote, &nul, &blank, line_fields, &n_fields);
    size_t term = content < len - pos ? 1 : 0;
    if (r->first && r->text_check && nul) {
      r->fatal = not_text(p, content);
      r->stopped = true;
      return HARM_ERR_DATA;
    }
    /* A line is only taken whole when its terminator is here: a line cut
     * by the end of this block goes through libcsv, which keeps state. */
    if (r->fast && term && !quote && r->parser.pstate == 0 && r->raw.len == 0) {
      if (content == 0) {
        count_lines(r, p, 1);
        r->record_line = r->line;
      } else {
        harm_status st = fast_line(r, p, content, p + content, line_fields,
                                   n_fields, nul, blank);
        if (st != HARM_OK) {
          return st;
        }
      }
    } else {
      harm_status st = parse_segment(r, p, content + term);
      if (st != HARM_OK) {
        return st;
      }
    }
    pos += content + term;
  }
  return HARM_OK;
}

void harm__csv_set_fast(harm__csv_reader *r, bool on) { r->fast = on; }

void harm__csv_require_text(harm__csv_reader *r) { r->text_check = true; }

bool harm__csv_idle(const harm__csv_reader *r) {
  return r->parser.pstate == 0 && r->raw.len == 0 && !r->skipping;
}

void harm__csv_mid_stream(harm__csv_reader *r) {
  r->bom_checked = true;
  r->first = false;
}

harm_status harm__csv_finish(harm__csv_reader *r) {
  if (r->fatal) {
    return HARM_ERR_DATA;
  }
  if (r->stopped) {
    return HARM_ERR_USAGE;
  }
  if (!r->bom_checked) {
    /* Fewer than three bytes in all, a prefix of a BOM: they are data. */
    r->bom_checked = true;
    harm_status st = harm__csv_feed(r, r->bom_pending, r->bom_n);
    if (st != HARM_OK) {
      return st;
    }
  }
  if (r->skipping) {
    r->skipping = false;
    harm_status st = deliver(r, QUOTE_ERROR, r->skip_field);
    reset_record(r);
    return st;
  }
  r->row_done = false;
  int e = csv_fini(&r->parser, on_field, on_row, r);
  if (r->nomem) {
    return HARM_ERR_NOMEM;
  }
  harm_status st = HARM_OK;
  if (e != 0) {
    st = deliver(r, "unterminated quoted field at end of file", r->n_fields);
  } else if (r->row_done) {
    st = deliver(r, NULL, 0);
  }
  reset_record(r);
  return st;
}

harm_status harm__csv_read_file(const char *path, size_t max_field,
                                harm__csv_record_fn fn, void *ctx,
                                const char *stage, harm_error *err) {
  return harm__csv_read_file_hashed(path, max_field, fn, ctx, stage, NULL, err);
}

harm_status harm__csv_read_file_hashed(const char *path, size_t max_field,
                                       harm__csv_record_fn fn, void *ctx,
                                       const char *stage, harm__digest *dg,
                                       harm_error *err) {
  bool is_stdin = strcmp(path, "-") == 0;
  FILE *fp = is_stdin ? stdin : fopen(path, "rb");
  if (!fp) {
    return harm__fail(err, HARM_ERR_IO, stage, path, 0, NULL, "cannot open: %s",
                      strerror(errno));
  }
  harm__csv_reader *r = NULL;
  harm_status st = harm__csv_reader_new(max_field, fn, ctx, &r);
  if (st == HARM_OK) {
    harm__csv_require_text(r);
  }
  enum { BLOCK = 1 << 16 };
  char *block = st == HARM_OK ? harm__malloc(BLOCK) : NULL;
  if (st == HARM_OK && !block) {
    st = HARM_ERR_NOMEM;
  }
  while (st == HARM_OK) {
    size_t n = fread(block, 1, BLOCK, fp);
    harm__digest_update(dg, block, n);
    if (n > 0) {
      st = harm__csv_feed(r, block, n);
    }
    if (n < BLOCK) {
      if (ferror(fp)) {
        st = harm__fail(err, HARM_ERR_IO, stage, path, 0, NULL,
                        "read error: %s", strerror(errno));
      }
      break;
    }
  }
  if (st == HARM_OK) {
    st = harm__csv_finish(r);
  }
  if (st == HARM_ERR_NOMEM) {
    harm__fail(err, st, stage, path, 0, NULL, "out of memory reading");
  } else if (st == HARM_ERR_DATA && r && r->fatal) {
    harm__fail(err, st, stage, path, harm__csv_line(r), NULL, "%s", r->fatal);
  }
  harm__free(block);
  harm__csv_reader_free(r);
  if (!is_stdin) {
    fclose(fp);
  }
  return st;
}
