/*
 * edit.c -- a one-line UTF-8 text field with a cursor, for the prompts
 * and the form: insert, delete, move by character, readline's ^A ^E ^U
 * ^K ^W, and drawing scrolled so the cursor is always visible.
 *
 * Must never: leave the cursor inside a UTF-8 sequence, or store a
 * control character (they are not typed into a field, they are keys).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "tui/ui.h"

void edit_init(struct edit *e, const char *text)
{
	memset(e, 0, sizeof(*e));
	edit_set(e, text);
}

void edit_free(struct edit *e)
{
	free(e->buf);
	memset(e, 0, sizeof(*e));
}

static void reserve(struct edit *e, size_t n)
{
	XGROW(e->buf, n + 1, e->cap, 32);
}

void edit_set(struct edit *e, const char *text)
{
	size_t n = text ? strlen(text) : 0;
	reserve(e, n);
	if (n)
		memcpy(e->buf, text, n);
	e->buf[n] = '\0';
	e->len = n;
	e->cur = n;
}

static size_t prev_cp(const struct edit *e, size_t at)
{
	if (at == 0)
		return 0;
	at--;
	while (at > 0 && ((unsigned char)e->buf[at] & 0xC0) == 0x80)
		at--;
	return at;
}

static size_t next_cp(const struct edit *e, size_t at)
{
	if (at >= e->len)
		return e->len;
	uint32_t cp;
	return at + utf8_next(e->buf + at, &cp);
}

static void delete_range(struct edit *e, size_t from, size_t to)
{
	memmove(e->buf + from, e->buf + to, e->len - to + 1);
	e->len -= to - from;
	e->cur = from;
}

static void insert_cp(struct edit *e, uint32_t cp)
{
	char enc[4];
	size_t n;
	if (cp < 0x80) {
		enc[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		enc[0] = (char)(0xC0 | (cp >> 6));
		enc[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		enc[0] = (char)(0xE0 | (cp >> 12));
		enc[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		enc[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		enc[0] = (char)(0xF0 | (cp >> 18));
		enc[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		enc[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		enc[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	reserve(e, e->len + n);
	memmove(e->buf + e->cur + n, e->buf + e->cur, e->len - e->cur + 1);
	memcpy(e->buf + e->cur, enc, n);
	e->len += n;
	e->cur += n;
}

bool edit_key(struct edit *e, int key)
{
	switch (key) {
	case UI_FN(KEY_BACKSPACE):
	case 0x7f:
	case UI_CTRL('h'):
		if (e->cur > 0)
			delete_range(e, prev_cp(e, e->cur), e->cur);
		return true;
	case UI_FN(KEY_DC):
	case UI_CTRL('d'):
		if (e->cur < e->len)
			delete_range(e, e->cur, next_cp(e, e->cur));
		return true;
	case UI_FN(KEY_LEFT):
	case UI_CTRL('b'):
		e->cur = prev_cp(e, e->cur);
		return true;
	case UI_FN(KEY_RIGHT):
	case UI_CTRL('f'):
		e->cur = next_cp(e, e->cur);
		return true;
	case UI_FN(KEY_HOME):
	case UI_CTRL('a'):
		e->cur = 0;
		return true;
	case UI_FN(KEY_END):
	case UI_CTRL('e'):
		e->cur = e->len;
		return true;
	case UI_CTRL('u'):
		delete_range(e, 0, e->cur);
		return true;
	case UI_CTRL('k'):
		e->buf[e->cur] = '\0';
		e->len = e->cur;
		return true;
	case UI_CTRL('w'): {
		size_t at = e->cur;
		while (at > 0 && e->buf[at - 1] == ' ')
			at--;
		while (at > 0 && e->buf[at - 1] != ' ')
			at--;
		delete_range(e, at, e->cur);
		return true;
	}
	default:
		break;
	}
	if (key & UI_KEY_FN)
		return false;
	if (key < 0x20 || key == 0x7f || (key >= 0x80 && key < 0xa0) || key > 0x10FFFF ||
	    (key >= 0xD800 && key <= 0xDFFF))
		return false;
	insert_cp(e, (uint32_t)key);
	return true;
}

int edit_draw(const struct tui *t, const struct edit *e, WINDOW *w, int y, int x, int width,
	      attr_t a)
{
	if (width <= 1)
		return 0;
	/* Scroll so that the cursor sits inside the field: start at the
	 * code point from which the text up to the cursor fits. */
	size_t start = 0;
	char *upto = xstrndup(e->buf, e->cur);
	while (ui_width(t, upto + start) > width - 1) {
		uint32_t cp;
		start += utf8_next(upto + start, &cp);
	}
	int ccol = ui_width(t, upto + start);
	free(upto);
	ui_fill(w, y, x, width, a);
	/* draw without the ellipsis cut: clip by hand at width */
	const char *s = e->buf + start;
	int used = 0;
	uint32_t cp;
	size_t n;
	char one[5];
	while ((n = utf8_next(s, &cp)) > 0) {
		memcpy(one, s, n);
		one[n] = '\0';
		int cw = ui_width(t, one);
		if (used + cw > width)
			break;
		ui_text(t, w, y, x + used, one, cw, a, false);
		used += cw;
		s += n;
	}
	return ccol;
}
