/*
 * captions-ass.c -- how captions look: the caption style of each preset,
 * the force_style for burning an SRT, and the ASS script that is burned
 * in, drawn with a struct caption_look (font, size, colours, outline,
 * shadow or a box, position, the spoken word highlighted).
 *
 * Must never: write a cue's text so that libass would read it as markup,
 * or leave a gap or an overlap between the highlight events of a cue.
 * Pure: no I/O except the FILE* writer.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "video/captions.h"
#include "base/utf8.h"

void caption_look_default(struct caption_look *l)
{
	l->font = NULL;
	l->size_px = 0;
	l->color = 0xFFFFFF;
	l->outline_color = 0x000000;
	l->outline_px = -1;
	l->shadow_px = -1;
	l->box = false;
	l->position = CAPTION_BOTTOM;
	l->max_chars = 0;
	l->highlight = false;
	l->highlight_color = 0xFFD400;
}

/* ---- style ----------------------------------------------------------------- */

void captions_style(const struct preset *p, struct caption_style *o)
{
	bool portrait = p->h > p->w, square = p->h == p->w;
	/* Portrait video is watched in apps that lay buttons over the right
	 * edge and a caption block over the bottom fifth: keep clear of both. */
	o->margin_lr_px = p->w * (portrait ? 10 : 5) / 100;
	o->margin_v_px = p->h * (portrait ? 22 : square ? 8 : 6) / 100;
	/* 5.5 % of the height, unless a full line (caption_cols at about
	 * 0.55 em a character) would not fit between the side margins */
	int by_height = p->h * 55 / 1000;
	int cols = p->caption_cols > 0 ? p->caption_cols : CAPTIONS_MAX_COLS;
	int by_width = (p->w - 2 * o->margin_lr_px) * 100 / (cols * 55);
	o->font_px = by_height < by_width ? by_height : by_width;
	o->outline_px = o->font_px / 14 > 2 ? o->font_px / 14 : 2;
	o->shadow_px = o->font_px / 40 > 1 ? o->font_px / 40 : 1;
}

/* force_style and the Style line split at commas; keep the name one field */
static void put_font_name(struct buf *b, const char *font_name)
{
	for (const char *s = font_name; *s; s++)
		if (*s != ',' && (unsigned char)*s >= 0x20)
			buf_append(b, s, 1);
}

/* tenths without printf's locale-dependent decimal point (a comma would
 * split force_style) */
static void put_tenths(struct buf *b, int64_t num, int64_t den)
{
	int64_t t = (num * 10 + den / 2) / den;
	buf_printf(b, "%lld.%lld", (long long)(t / 10), (long long)(t % 10));
}

char *captions_force_style(const struct preset *p, const char *font_name)
{
	/* FFmpeg turns an SRT into an ASS script of 384 x 288: libass scales
	 * sizes and vertical margins by h / 288, horizontal ones by w / 384. */
	struct caption_style st;
	captions_style(p, &st);
	struct buf b;
	buf_init(&b);
	if (font_name && *font_name) {
		buf_puts(&b, "FontName=");
		put_font_name(&b, font_name);
		buf_puts(&b, ",");
	}
	buf_puts(&b, "FontSize=");
	put_tenths(&b, (int64_t)st.font_px * 288, p->h);
	buf_puts(&b, ",PrimaryColour=&H00FFFFFF,OutlineColour=&H00000000,BackColour=&H80000000"
		     ",BorderStyle=1,Outline=");
	put_tenths(&b, (int64_t)st.outline_px * 288, p->h);
	buf_puts(&b, ",Shadow=");
	put_tenths(&b, (int64_t)st.shadow_px * 288, p->h);
	buf_printf(&b, ",Alignment=2,MarginL=%d,MarginR=%d,MarginV=%d",
		   (int)(((int64_t)st.margin_lr_px * 384 + p->w / 2) / p->w),
		   (int)(((int64_t)st.margin_lr_px * 384 + p->w / 2) / p->w),
		   (int)(((int64_t)st.margin_v_px * 288 + p->h / 2) / p->h));
	return b.data;
}

/* ---- ASS ------------------------------------------------------------------- */

static void ass_time(struct buf *b, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	int64_t cs = (ms + 5) / 10;
	buf_printf(b, "%lld:%02lld:%02lld.%02lld", (long long)(cs / 360000),
		   (long long)(cs / 6000 % 60), (long long)(cs / 100 % 60), (long long)(cs % 100));
}

/* libass reads {...} as override tags and \N \n \h as breaks and hard
 * spaces; \{ and \} are its escapes for literal braces. Any other
 * backslash is shown as it is. len bytes of s; guard_end: markup follows,
 * so a backslash at the very end must not pair with its brace either. */
static void ass_text(struct buf *b, const char *s, size_t len, bool guard_end)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '{':
			buf_puts(b, "\\{");
			break;
		case '}':
			buf_puts(b, "\\}");
			break;
		case '\n':
			buf_puts(b, "\\N");
			break;
		case '\r':
			break;
		case '\\': {
			char next = i + 1 < len ? s[i + 1] : '\0';
			buf_puts(b, "\\");
			if (next == 'N' || next == 'n' || next == 'h' ||
			    (i + 1 == len && guard_end))
				buf_puts(b, "\xE2\x81\xA0"); /* U+2060 WORD JOINER */
			break;
		}
		default:
			buf_append(b, &s[i], 1);
		}
	}
}

/* 0xRRGGBB and an alpha (0 opaque) as ASS's &HAABBGGRR number */
static uint32_t ass_colour(uint32_t rgb, uint32_t alpha)
{
	return (alpha & 0xFF) << 24 | (rgb & 0xFF) << 16 | (rgb & 0xFF00) | (rgb >> 16 & 0xFF);
}

/* pixels at a 1080-line frame to the preset's lines; at least min */
static int scale_px(int px, const struct preset *p, int min)
{
	int v = (int)(((int64_t)px * p->h + 540) / 1080);
	return v > min ? v : min;
}

/* Hebrew, Arabic, Syriac, Thaana, N'Ko and their presentation forms */
static bool is_rtl(uint32_t cp)
{
	return (cp >= 0x0590 && cp <= 0x08FF) || (cp >= 0xFB1D && cp <= 0xFDFF) ||
	       (cp >= 0xFE70 && cp <= 0xFEFF) || (cp >= 0x10800 && cp <= 0x10FFF) ||
	       (cp >= 0x1E800 && cp <= 0x1EFFF);
}

static bool any_rtl(const struct caption_cue *cues, int n)
{
	for (int i = 0; i < n; i++) {
		uint32_t cp;
		for (const char *s = cues[i].text; *s;) {
			size_t k = utf8_next(s, &cp);
			if (k == 0)
				break;
			if (is_rtl(cp))
				return true;
			s += k;
		}
	}
	return false;
}

static void ass_header(struct buf *out, const struct preset *p, const struct caption_look *l,
		       bool rtl)
{
	struct preset q = *p;
	if (l->max_chars > 0)
		q.caption_cols = l->max_chars;
	struct caption_style st;
	captions_style(&q, &st);
	if (l->size_px > 0)
		st.font_px = scale_px(l->size_px, p, 1);
	if (l->outline_px >= 0)
		st.outline_px = scale_px(l->outline_px, p, 0);
	else if (l->box)
		st.outline_px = st.font_px / 4; /* the box's padding */
	if (l->shadow_px >= 0)
		st.shadow_px = scale_px(l->shadow_px, p, 0);
	else if (l->box)
		st.shadow_px = 0;
	int align = 2, margin_v = st.margin_v_px;
	if (l->position == CAPTION_CENTER)
		align = 5, margin_v = 0;
	else if (l->position == CAPTION_TOP)
		align = 8;
	buf_printf(
	    out,
	    "[Script Info]\n"
	    "; written by aura\n"
	    "ScriptType: v4.00+\n"
	    "PlayResX: %d\n"
	    "PlayResY: %d\n"
	    "WrapStyle: 0\n"
	    "ScaledBorderAndShadow: yes\n"
	    "\n"
	    "[V4+ Styles]\n"
	    "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
	    "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
	    "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
	    "Style: Default,",
	    p->w, p->h);
	put_font_name(out, l->font && *l->font ? l->font : "DejaVu Sans");
	/* BorderStyle 3 fills a box in OutlineColour: translucent. Encoding
	 * -1 lets libass take each line's direction from its text (else it is
	 * left to right, as VSFilter), so an Arabic line ends on the left. */
	buf_printf(out,
		   ",%d,&H%08X,&H%08X,&H%08X,&H80000000,0,0,0,0,100,100,0,0,%d,%d,%d,%d,"
		   "%d,%d,%d,%d\n"
		   "\n"
		   "[Events]\n"
		   "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, "
		   "Text\n",
		   st.font_px, ass_colour(l->color, 0), ass_colour(l->color, 0),
		   ass_colour(l->outline_color, l->box ? 0x60 : 0), l->box ? 3 : 1, st.outline_px,
		   st.shadow_px, align, st.margin_lr_px, st.margin_lr_px, margin_v, rtl ? -1 : 1);
}

static void ass_dialogue(struct buf *out, int64_t start_ms, int64_t end_ms)
{
	buf_puts(out, "Dialogue: 0,");
	ass_time(out, start_ms);
	buf_puts(out, ",");
	ass_time(out, end_ms);
	buf_puts(out, ",Default,,0,0,0,,");
}

/* One event per word: the whole cue, the word being spoken in colour. */
static void ass_highlight(struct buf *out, const struct caption_look *l,
			  const struct caption_cue *c)
{
	size_t len = strlen(c->text);
	struct caption_word *w = xcalloc(len + 1, sizeof(*w));
	/* the words share the speech; the silence after it shows the cue
	 * without a highlight */
	int64_t speech_end = c->speech_end_ms > c->start_ms && c->speech_end_ms < c->end_ms
				 ? c->speech_end_ms
				 : c->end_ms;
	int n = captions_word_times(c->text, c->start_ms, speech_end, w, (int)len + 1);
	for (int k = 0; k < n; k++) {
		if (w[k].end_ms <= w[k].start_ms)
			continue; /* no time: the next word covers it */
		ass_dialogue(out, w[k].start_ms, w[k].end_ms);
		size_t at = (size_t)(w[k].s - c->text);
		ass_text(out, c->text, at, true);
		buf_printf(out, "{\\1c&H%06X&}", ass_colour(l->highlight_color, 0));
		ass_text(out, w[k].s, w[k].len, true);
		buf_puts(out, "{\\r}");
		ass_text(out, w[k].s + w[k].len, len - at - w[k].len, false);
		buf_puts(out, "\n");
	}
	if (speech_end < c->end_ms) {
		ass_dialogue(out, speech_end, c->end_ms);
		ass_text(out, c->text, len, false);
		buf_puts(out, "\n");
	}
	free(w);
}

void captions_format_ass(struct buf *out, const struct preset *p, const struct caption_look *look,
			 const struct caption_cue *cues, int n)
{
	struct caption_look def;
	if (!look) {
		caption_look_default(&def);
		look = &def;
	}
	ass_header(out, p, look, any_rtl(cues, n));
	for (int i = 0; i < n; i++) {
		if (look->highlight) {
			ass_highlight(out, look, &cues[i]);
			continue;
		}
		ass_dialogue(out, cues[i].start_ms, cues[i].end_ms);
		ass_text(out, cues[i].text, strlen(cues[i].text), false);
		buf_puts(out, "\n");
	}
}

int captions_write_ass(FILE *f, const struct preset *p, const struct caption_look *look,
		       const struct caption_cue *cues, int n)
{
	struct buf b;
	buf_init(&b);
	captions_format_ass(&b, p, look, cues, n);
	int rc = captions_write_buf(f, &b);
	buf_free(&b);
	return rc;
}
