/*
 * captions.c -- narration to timed, readable cues and SRT output (the
 * caption style and the ASS writer are in captions-ass.c).
 *
 * Must never: split a word that fits on a line, produce overlapping or
 * non-monotonic cues, or write a cue's text so that libass would read it
 * as markup. Pure: no I/O except the FILE* writers.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "video/captions.h"
#include "base/utf8.h"

void caption_list_init(struct caption_list *l)
{
	l->cues = NULL;
	l->n = 0;
	l->cap = 0;
}

void caption_list_free(struct caption_list *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->cues[i].text);
	free(l->cues);
	caption_list_init(l);
}

static void list_push(struct caption_list *l, char *text, int weight)
{
	XGROW(l->cues, (size_t)l->n + 1, l->cap, 16);
	struct caption_cue *c = &l->cues[l->n++];
	c->text = text;
	c->weight = weight;
	c->start_ms = 0;
	c->end_ms = 0;
}

/* ---- splitting ------------------------------------------------------------- */

struct tok {
	const char *s;
	size_t len;
	int w;	       /* display columns */
	int chars;     /* code points */
	bool glue;     /* no space before it: CJK, or the rest of a split word */
	bool hard;     /* the rest of a word wider than a line: a last resort */
	bool sent_end; /* ends a sentence */
};

struct toks {
	struct tok *v;
	int n;
	size_t cap;
};

static void toks_push(struct toks *t, struct tok k)
{
	XGROW(t->v, (size_t)t->n + 1, t->cap, 64);
	t->v[t->n++] = k;
}

/* ASCII whitespace only: a no-break space is meant to hold words together. */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_closer(uint32_t cp)
{
	return cp == '"' || cp == '\'' || cp == ')' || cp == ']' || cp == '}' || cp == 0xBB ||
	       cp == 0x2019 || cp == 0x201D || cp == 0x300D || cp == 0x300F;
}

static bool is_terminal(uint32_t cp)
{
	return cp == '.' || cp == '!' || cp == '?' || cp == 0x2026 || cp == 0x3002 ||
	       cp == 0xFF01 || cp == 0xFF0E || cp == 0xFF1F || cp == 0x061F /* Arabic ? */ ||
	       cp == 0x06D4 /* Urdu full stop */ || cp == 0x0964 || cp == 0x0965 /* danda */;
}

static bool ends_sentence(const char *s, size_t len)
{
	uint32_t last = 0, cp;
	size_t off = 0;
	while (off < len) {
		size_t n = utf8_next(s + off, &cp);
		if (n == 0)
			break;
		if (!is_closer(cp))
			last = cp;
		off += n;
	}
	return is_terminal(last);
}

/* CJK is written without spaces: a line may break between two of its
 * characters (UAX #14 class ID and its punctuation). Not Hangul, which
 * has spaces, nor emoji. */
static bool is_cjk(uint32_t cp)
{
	return (cp >= 0x2E80 && cp <= 0x303F) || (cp >= 0x3040 && cp <= 0x31FF) ||
	       (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
	       (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF00 && cp <= 0xFF60) ||
	       (cp >= 0x20000 && cp <= 0x3FFFF);
}

static bool in_set(uint32_t cp, const uint32_t *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == cp)
			return true;
	return false;
}

/* Kinsoku: closing marks, small kana and the prolonged sound mark never
 * begin a line; opening brackets never end one. */
static bool no_line_start(uint32_t cp)
{
	static const uint32_t set[] = {
		')',	']',	'}',	',',	'.',	'!',	'?',	':',	';',	0x2019,
		0x201D, 0x2025, 0x2026, 0x3001, 0x3002, 0x3005, 0x3009, 0x300B, 0x300D, 0x300F,
		0x3011, 0x3015, 0x3017, 0x3019, 0x301F, 0x303B, 0x3041, 0x3043, 0x3045, 0x3047,
		0x3049, 0x3063, 0x3083, 0x3085, 0x3087, 0x308E, 0x3095, 0x3096, 0x309D, 0x309E,
		0x30A1, 0x30A3, 0x30A5, 0x30A7, 0x30A9, 0x30C3, 0x30E3, 0x30E5, 0x30E7, 0x30EE,
		0x30F5, 0x30F6, 0x30FB, 0x30FC, 0x30FD, 0x30FE, 0xFF01, 0xFF09, 0xFF0C, 0xFF0E,
		0xFF1A, 0xFF1B, 0xFF1F, 0xFF3D, 0xFF5D, 0xFF60,
	};
	return (cp >= 0x31F0 && cp <= 0x31FF) || in_set(cp, set, sizeof(set) / sizeof(set[0]));
}

static bool no_line_end(uint32_t cp)
{
	static const uint32_t set[] = {
		'(',	'[',	'{',	0x2018, 0x201C, 0x3008, 0x300A, 0x300C, 0x300E,
		0x3010, 0x3014, 0x3016, 0x3018, 0x301D, 0xFF08, 0xFF3B, 0xFF5B, 0xFF5F,
	};
	return in_set(cp, set, sizeof(set) / sizeof(set[0]));
}

/* One user-perceived character, near enough (UAX #29 for what captions
 * meet): a base and its marks, a ZWJ emoji sequence, a flag's pair. */
struct cluster {
	size_t off, len;
	int w, chars;
	uint32_t base;
};

static int clusters_of(const char *s, size_t len, struct cluster *out)
{
	int n = 0, ri = 0;
	uint32_t prev = 0;
	for (size_t off = 0; off < len;) {
		uint32_t cp;
		size_t k = utf8_next(s + off, &cp);
		if (k == 0)
			break;
		int cw = utf8_cp_width(cp);
		bool is_ri = cp >= 0x1F1E6 && cp <= 0x1F1FF;
		bool joins = n > 0 && (cw == 0 || prev == 0x200D || (is_ri && ri % 2 == 1));
		if (!joins) {
			out[n++] = (struct cluster){ off, 0, 0, 0, cp };
			ri = 0;
		}
		out[n - 1].len += k;
		out[n - 1].w += cw;
		out[n - 1].chars++;
		ri = is_ri ? ri + 1 : 0;
		prev = cp;
		off += k;
	}
	return n;
}

/* Append clusters [a, b) of a word as one token, or as several when they
 * are wider than a line (cut between clusters: never inside one). */
static void add_piece(struct toks *t, const char *s, const struct cluster *cl, int a, int b,
		      bool glue, int max_cols)
{
	struct tok k = { s + cl[a].off, 0, 0, 0, glue, false, false };
	for (int c = a; c < b; c++) {
		if (k.w > 0 && k.w + cl[c].w > max_cols) {
			toks_push(t, k);
			k = (struct tok){ s + cl[c].off, 0, 0, 0, true, true, false };
		}
		k.len += cl[c].len;
		k.w += cl[c].w;
		k.chars += cl[c].chars;
	}
	size_t off = cl[a].off;
	k.sent_end = ends_sentence(s + off, cl[b - 1].off + cl[b - 1].len - off);
	toks_push(t, k);
}

/* Append one word: pieces cut between CJK characters (kinsoku kept), each
 * one token unless it is wider than a line. */
static void add_word(struct toks *t, const char *s, size_t len, int max_cols)
{
	struct cluster *cl = xcalloc(len, sizeof(*cl));
	int n = clusters_of(s, len, cl), a = 0;
	for (int c = 1; c <= n; c++) {
		if (c < n && !((is_cjk(cl[c - 1].base) || is_cjk(cl[c].base)) &&
			       !no_line_start(cl[c].base) && !no_line_end(cl[c - 1].base)))
			continue;
		add_piece(t, s, cl, a, c, a > 0, max_cols);
		a = c;
	}
	free(cl);
}

/* Lines a greedy fill of toks[i..j) at width needs. */
static int lines_needed(const struct tok *v, int i, int j, int width)
{
	int lines = 1, cur = -1;
	for (int k = i; k < j; k++) {
		int gap = v[k].glue ? 0 : 1;
		if (cur < 0)
			cur = v[k].w;
		else if (cur + gap + v[k].w <= width)
			cur += gap + v[k].w;
		else
			lines++, cur = v[k].w;
	}
	return lines;
}

static int span_width(const struct tok *v, int i, int j)
{
	int w = 0;
	for (int k = i; k < j; k++)
		w += v[k].w + (k > i && !v[k].glue ? 1 : 0);
	return w;
}

/* Lay toks[i..j) out in the narrowest width that needs no more lines than
 * max_cols does, so a two-line cue is two similar lines, not 40 + 3. */
static char *layout(const struct tok *v, int i, int j, int max_cols, int *weight)
{
	int lines = lines_needed(v, i, j, max_cols);
	int lo = 1, hi = max_cols;
	for (int k = i; k < j; k++)
		if (v[k].w > lo)
			lo = v[k].w;
	if (lo > hi)
		hi = lo;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (lines_needed(v, i, j, mid) <= lines)
			hi = mid;
		else
			lo = mid + 1;
	}
	struct buf b;
	buf_init(&b);
	int cur = -1;
	*weight = 0;
	for (int k = i; k < j; k++) {
		int gap = v[k].glue ? 0 : 1;
		if (cur < 0) {
			cur = v[k].w;
		} else if (cur + gap + v[k].w <= lo) {
			cur += gap + v[k].w;
			if (gap)
				buf_append(&b, " ", 1);
		} else {
			buf_append(&b, "\n", 1);
			cur = v[k].w;
		}
		buf_append(&b, v[k].s, v[k].len);
		*weight += v[k].chars;
	}
	if (*weight < 1)
		*weight = 1;
	return b.data;
}

/*
 * The best place to cut toks[a..c) in two cues that both fit max_lines
 * lines: between words if it can (a hard-split word only when nothing
 * else fits), the most even widths, a sentence end preferred when both
 * sides hold at least `enough`. -1 when no cut fits.
 */
static int balanced_cut(const struct tok *v, int a, int c, int max_cols, int max_lines, int enough)
{
	int best = -1, best_score = -1;
	for (int pass = 0; pass < 2 && best < 0; pass++)
		for (int s = a + 1; s < c; s++) {
			if (pass == 0 && v[s].hard)
				continue;
			if (lines_needed(v, a, s, max_cols) > max_lines ||
			    lines_needed(v, s, c, max_cols) > max_lines)
				continue;
			int wl = span_width(v, a, s), wr = span_width(v, s, c);
			int score = wl < wr ? wl : wr;
			if (v[s - 1].sent_end && score >= enough)
				score += 4 * max_cols; /* a sentence end beats evenness */
			if (score > best_score)
				best = s, best_score = score;
		}
	return best;
}

/*
 * No orphan: a cue narrower than `enough` (a sentence's last word spilled
 * from a full cue, "honesty.") is merged into its neighbour when the two
 * fit max_lines, else the two are cut again at a balanced point. Returns
 * the new number of cues in b.
 */
static int fix_short(const struct tok *v, int *b, int m, int max_cols, int max_lines, int enough)
{
	for (int k = 0; k < m && m > 1;) {
		if (span_width(v, b[k], b[k + 1]) >= enough) {
			k++;
			continue;
		}
		int p = k > 0 ? k - 1 : 0; /* the pair is cues p and p + 1 */
		int a = b[p], c = b[p + 2];
		if (lines_needed(v, a, c, max_cols) <= max_lines) {
			memmove(&b[p + 1], &b[p + 2], (size_t)(m - p - 1) * sizeof(*b));
			m--;
			k = p;
			continue;
		}
		int s = balanced_cut(v, a, c, max_cols, max_lines, enough);
		if (s > 0)
			b[p + 1] = s;
		k++;
	}
	return m;
}

int captions_split(const char *narration, int max_cols, int max_lines, struct caption_list *out)
{
	if (max_cols < 1)
		max_cols = 1;
	if (max_lines < 1)
		max_lines = 1;
	struct toks t = { NULL, 0, 0 };
	const char *p = narration ? narration : "";
	while (*p) {
		while (*p && is_space(*p))
			p++;
		const char *s = p;
		while (*p && !is_space(*p))
			p++;
		if (p > s)
			add_word(&t, s, (size_t)(p - s), max_cols);
	}
	/* a sentence end closes a cue once the cue holds a third of a line */
	int enough = max_cols / 3 > 0 ? max_cols / 3 : 1;
	int *b = xcalloc((size_t)t.n + 1, sizeof(*b)); /* cue k is toks[b[k]..b[k+1]) */
	int m = 0;
	for (int i = 0; i < t.n;) {
		int j = i + 1;
		while (j < t.n) {
			if (t.v[j - 1].sent_end && span_width(t.v, i, j) >= enough)
				break;
			if (lines_needed(t.v, i, j + 1, max_cols) > max_lines)
				break;
			j++;
		}
		b[m++] = i;
		i = j;
	}
	b[m] = t.n;
	m = fix_short(t.v, b, m, max_cols, max_lines, enough);
	int added = 0;
	for (int k = 0; k < m; k++) {
		int weight;
		char *text = layout(t.v, b[k], b[k + 1], max_cols, &weight);
		list_push(out, text, weight);
		added++;
	}
	free(b);
	free(t.v);
	return added;
}

/* ---- timing ---------------------------------------------------------------- */

void captions_time(struct caption_cue *cues, int n, int64_t scene_start_ms, int64_t scene_audio_ms)
{
	if (n <= 0)
		return;
	int64_t audio = scene_audio_ms > 0 ? scene_audio_ms : 0;
	int64_t *d = xcalloc((size_t)n, sizeof(*d));
	const int64_t m = CAPTIONS_MIN_CUE_MS;

	if ((int64_t)n * m > audio) {
		/* the minimum cannot be kept: the fairest split is an even one */
		for (int i = 0; i < n; i++)
			d[i] = audio / n + (i < audio % n ? 1 : 0);
	} else {
		/* Water-filling: cues whose proportional share is under the
		 * minimum get exactly the minimum; the rest is shared again by
		 * weight among the others, until no share is under it. At least
		 * one cue stays free, since n * m <= audio. */
		bool *pinned = xcalloc((size_t)n, sizeof(*pinned));
		int64_t rest, wsum;
		for (;;) {
			rest = audio;
			wsum = 0;
			for (int i = 0; i < n; i++) {
				if (pinned[i])
					rest -= m;
				else
					wsum += cues[i].weight > 0 ? cues[i].weight : 1;
			}
			bool changed = false;
			for (int i = 0; i < n; i++) {
				int64_t w = cues[i].weight > 0 ? cues[i].weight : 1;
				if (!pinned[i] && rest * w < m * wsum)
					pinned[i] = changed = true;
			}
			if (!changed)
				break;
		}
		/* largest remainder, so the shares add up to the audio exactly */
		int64_t *rem = xcalloc((size_t)n, sizeof(*rem));
		int64_t given = 0;
		for (int i = 0; i < n; i++) {
			int64_t w = cues[i].weight > 0 ? cues[i].weight : 1;
			if (pinned[i]) {
				d[i] = m;
				rem[i] = -1;
			} else {
				d[i] = rest * w / wsum;
				rem[i] = rest * w % wsum;
			}
			given += d[i];
		}
		for (int64_t left = audio - given; left > 0; left--) {
			int best = -1;
			for (int i = 0; i < n; i++)
				if (rem[i] >= 0 && (best < 0 || rem[i] > rem[best]))
					best = i;
			d[best]++;
			rem[best] = -1;
		}
		free(rem);
		free(pinned);
	}
	int64_t t = scene_start_ms;
	for (int i = 0; i < n; i++) {
		cues[i].start_ms = t;
		t += d[i];
		cues[i].end_ms = t;
	}
	free(d);
}

/* ---- SRT ------------------------------------------------------------------- */

void captions_format_srt_time(int64_t ms, char out[32])
{
	if (ms < 0)
		ms = 0;
	snprintf(out, 32, "%02lld:%02lld:%02lld,%03lld", (long long)(ms / 3600000),
		 (long long)(ms / 60000 % 60), (long long)(ms / 1000 % 60), (long long)(ms % 1000));
}

void captions_format_srt(struct buf *out, const struct caption_cue *cues, int n, int first_index)
{
	buf_puts(out, "");
	for (int i = 0; i < n; i++) {
		char a[32], b[32];
		captions_format_srt_time(cues[i].start_ms, a);
		captions_format_srt_time(cues[i].end_ms, b);
		buf_printf(out, "%d\n%s --> %s\n%s\n\n", first_index + i, a, b, cues[i].text);
	}
}

int captions_write_buf(FILE *f, const struct buf *b)
{
	if (b->len && fwrite(b->data, 1, b->len, f) != b->len)
		return -1;
	if (fflush(f) != 0)
		return -1;
	if (ferror(f)) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int captions_write_srt(FILE *f, const struct caption_cue *cues, int n, int first_index)
{
	struct buf b;
	buf_init(&b);
	captions_format_srt(&b, cues, n, first_index);
	int rc = captions_write_buf(f, &b);
	buf_free(&b);
	return rc;
}
