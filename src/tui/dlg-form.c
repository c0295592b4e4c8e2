/*
 * dlg-form.c -- `n`: the new video form. Every option of `aura new` that a
 * person sets by hand: topic or a --from document, duration, preset,
 * style, voice, language, images folder, music, captions, pool, priority
 * and output, prefilled from the configuration. The request is built as
 * `aura new` builds it (video/vspec.h, video/new-input.h: the document is
 * read and summarised here, on the client's side) and checked by the
 * server's own rules before it is sent, with the UI's working directory
 * as cwd. A refusal -- the form's or the server's -- is shown under the
 * field it concerns (the error's code or detail says which; else at the
 * bottom) and the form stays open with everything typed.
 *
 * Must never: send a form that the server's own check refuses, or close
 * itself on an error (what was typed would be lost).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/paths.h"
#include "client/proto.h"
#include "tui/ui.h"
#include "video/new-input.h"
#include "video/script.h"
#include "video/vspec.h"

#define ESC 27

enum field {
	F_TOPIC,
	F_FROM,
	F_DURATION,
	F_PRESET,
	F_STYLE,
	F_VOICE,
	F_LANG,
	F_IMAGES,
	F_MUSIC,
	F_CAPTIONS,
	F_POOL,
	F_PRIORITY,
	F_OUTPUT,
	F__COUNT
};

static const struct {
	const char *label, *hint;
} fields[F__COUNT] = {
	[F_TOPIC] = { "Topic", "what it is about; empty with a document: its title" },
	[F_FROM] = { "Document", "--from: a .md, .html or text file to narrate" },
	[F_DURATION] = { "Duration", "seconds, 5 to 1800" },
	[F_PRESET] = { "Preset", "Left/Right choose the size" },
	[F_STYLE] = { "Style", "a style's name; empty: the default look" },
	[F_VOICE] = { "Voice", "PROVIDER[:VOICE], e.g. flite:slt" },
	[F_LANG] = { "Language", "a language code: en, de, pt-BR..." },
	[F_IMAGES] = { "Images", "a folder of .jpg/.png/.mp4; empty: generated" },
	[F_MUSIC] = { "Music", "a file, or a folder of tracks; empty: none" },
	[F_CAPTIONS] = { "Captions", "burn, srt (a file beside it), both or none" },
	[F_POOL] = { "Pool", "where it renders; (default): [server] pool" },
	[F_PRIORITY] = { "Priority", "a whole number; higher runs first" },
	[F_OUTPUT] = { "Output", "a file; empty: named after the topic" },
};

static const char *const captions[] = { "burn", "srt", "both", "none", NULL };

struct form {
	struct edit e[F__COUNT]; /* text fields (choices use the indexes below) */
	int preset, caption, pool;
	char **pools; /* pool names; [0] is NULL: the server's default */
	int n_pools;
	int cur;
	int top;      /* the first row of fields shown (the form scrolls) */
	char *voice0; /* the voice the form opened with: changing it forces it */
	char error[1100];
	int err_field; /* the field the error is about, -1: none (the bottom) */
};

static bool is_choice(int f)
{
	return f == F_PRESET || f == F_CAPTIONS || f == F_POOL;
}

static const char *choice_text(const struct form *f, int i)
{
	int n;
	if (i == F_PRESET)
		return preset_list(&n)[f->preset].name;
	if (i == F_CAPTIONS)
		return captions[f->caption];
	return f->pool ? f->pools[f->pool] : "(default)";
}

static int *choice_of(struct form *f, int i, int *n)
{
	if (i == F_PRESET) {
		preset_list(n);
		return &f->preset;
	}
	if (i == F_CAPTIONS) {
		*n = 4;
		return &f->caption;
	}
	*n = f->n_pools;
	return &f->pool;
}

/* --- drawing --------------------------------------------------------------------- */

/* The row (from the first field's) of each field; the error's own row
 * follows the field it concerns. Returns the count of rows. */
static int rows_of(const struct form *f, int *row)
{
	int r = 0;
	for (int i = 0; i < F__COUNT; i++) {
		row[i] = r++;
		if (i == f->err_field && f->error[0])
			r++;
	}
	return r;
}

static void draw_field(struct tui *t, struct dialog *d, struct form *f, int i, int y, int vx,
		       int vw)
{
	bool err = i == f->err_field && f->error[0];
	attr_t la = err ? ui_attr(t, ST_ERROR) | A_BOLD : i == f->cur ? A_BOLD : ui_attr(t, ST_DIM);
	ui_text(t, d->win, y, 2, fields[i].label, vx - 3, la, false);
	if (is_choice(i)) {
		char s[96];
		snprintf(s, sizeof(s), "< %s >", choice_text(f, i));
		ui_text(t, d->win, y, vx, s, vw, i == f->cur ? ui_attr(t, ST_SEL) : A_NORMAL,
			false);
		return;
	}
	int cx = edit_draw(t, &f->e[i], d->win, y, vx, vw,
			   i == f->cur ? A_UNDERLINE | A_BOLD : A_UNDERLINE);
	if (i == f->cur) {
		d->cursor = true;
		d->cy = y;
		d->cx = vx + cx;
	}
}

static void form_draw(struct tui *t, struct dialog *d)
{
	struct form *f = d->state;
	int h, w;
	getmaxyx(d->win, h, w);
	ui_dialog_frame(t, d, "New video");
	d->cursor = false;
	int vx = w >= 48 ? 13 : 11, vw = w - vx - 2;
	int shown = h - 4; /* rows 2..h-3: the fields */
	if (shown < 1 || vw < 6) {
		ui_text(t, d->win, h > 2 ? 1 : 0, 1, "the terminal is too small for the form",
			w - 2, ui_attr(t, ST_ERROR), false);
		return;
	}
	int row[F__COUNT];
	int total = rows_of(f, row);
	/* scroll so the current field (and its error) is in view */
	int last = row[f->cur] + (f->cur == f->err_field && f->error[0] ? 1 : 0);
	if (f->top > row[f->cur])
		f->top = row[f->cur];
	if (last >= f->top + shown)
		f->top = last - shown + 1;
	if (f->top > total - shown)
		f->top = total - shown > 0 ? total - shown : 0;
	for (int i = 0; i < F__COUNT; i++) {
		int y = 2 + row[i] - f->top;
		if (y >= 2 && y < 2 + shown)
			draw_field(t, d, f, i, y, vx, vw);
		/* under the value; on a narrow form from the label's column,
		 * which leaves the error more room */
		int ex = w >= 60 ? vx : 2;
		if (i == f->err_field && f->error[0] && y + 1 >= 2 && y + 1 < 2 + shown)
			ui_text(t, d->win, y + 1, ex, f->error, w - ex - 2, ui_attr(t, ST_ERROR),
				false);
	}
	if (f->top > 0)
		ui_text(t, d->win, 0, w - 9, t->utf8 ? " ↑ more " : " ^ more ", 8, A_BOLD, false);
	if (f->top + shown < total)
		ui_text(t, d->win, h - 1, w - 9, t->utf8 ? " ↓ more " : " v more ", 8, A_BOLD,
			false);
	bool bottom_err = f->error[0] && f->err_field < 0;
	ui_text(t, d->win, h - 2, 2,
		bottom_err ? f->error
			   : "Tab/arrows move, Left/Right choose, Enter queues, Esc cancels",
		w - 4, bottom_err ? ui_attr(t, ST_ERROR) : ui_attr(t, ST_DIM), false);
	int hx = w >= 60 ? vx : 2;
	ui_text(t, d->win, 1, hx, fields[f->cur].hint, w - hx - 2, ui_attr(t, ST_DIM), false);
}

/* --- the request ---------------------------------------------------------------- */

/* Which field an error concerns: its code says, or (a bad option's
 * USAGE, an unreadable input) the option its detail names; -1: none. */
static int field_of_error(const struct aura_error *err)
{
	switch (err->code) {
	case AURA_E_TOPIC_INVALID:
		return F_TOPIC;
	case AURA_E_DURATION_INVALID:
		return F_DURATION;
	case AURA_E_PRESET_UNKNOWN:
		return F_PRESET;
	case AURA_E_VOICE_UNKNOWN:
	case AURA_E_VOICE_UNAVAILABLE:
		return F_VOICE;
	case AURA_E_LANG_INVALID:
		return F_LANG;
	case AURA_E_POOL_UNKNOWN:
		return F_POOL;
	case AURA_E_OUTPUT_EXISTS:
	case AURA_E_OUTPUT_UNWRITABLE:
		return F_OUTPUT;
	default:
		break;
	}
	/* the styles' own code, when the catalogue has one */
	int style = aura_error_lookup("STYLE_UNKNOWN");
	if (style > 0 && err->code == style)
		return F_STYLE;
	static const struct {
		const char *word;
		int field;
	} words[] = {
		{ "style", F_STYLE },	    { "priority", F_PRIORITY }, { "images", F_IMAGES },
		{ "music", F_MUSIC },	    { "captions", F_CAPTIONS }, { "pool", F_POOL },
		{ "output", F_OUTPUT },	    { "lang", F_LANG },		{ "voice", F_VOICE },
		{ "duration", F_DURATION }, { "preset", F_PRESET },
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(err->detail, words[i].word))
			return words[i].field;
	return -1;
}

static void form_error(struct form *f, int field, const struct aura_error *err)
{
	int code = err->code ? err->code : AURA_E_INTERNAL;
	snprintf(f->error, sizeof(f->error), "%s: %s", aura_error_name(code),
		 err->detail[0] ? err->detail : aura_error_message(code));
	f->err_field = field;
	if (field >= 0)
		f->cur = field;
}

/* A field's text without the blanks around it (a new string). */
static char *trimmed(const struct edit *e)
{
	const char *s = e->buf;
	while (*s == ' ')
		s++;
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	return xstrndup(s, n);
}

/* A path as `aura new` sends it: ~ expanded, absolute from the UI's
 * directory, resolved when it exists. */
static char *absolute(const struct tui *t, const char *path)
{
	char *p = paths_expand_home(path);
	char *abs = p[0] == '/' ? xstrdup(p) : xasprintf("%s/%s", t->cwd, p);
	free(p);
	char real[PATH_MAX];
	if (realpath(abs, real)) {
		free(abs);
		return xstrdup(real);
	}
	return abs;
}

/* The folders and files the form names, as `aura new` checks them. */
static int check_files(const struct tui *t, struct form *f, struct vspec *s, int *field,
		       struct aura_error *err)
{
	char *images = trimmed(&f->e[F_IMAGES]), *music = trimmed(&f->e[F_MUSIC]);
	int rc = 0;
	if (*images) {
		s->images = absolute(t, images);
		char **files;
		int n;
		*field = F_IMAGES;
		rc = vspec_list_images(s->images, &files, &n, err);
		if (rc == 0)
			vspec_files_free(files);
	}
	if (rc == 0 && *music) {
		/* a file, or a folder of tracks (one is picked) */
		s->music = absolute(t, music);
		struct stat st;
		*field = F_MUSIC;
		if (stat(s->music, &st) != 0 || access(s->music, R_OK) != 0)
			rc = aura_error_set(err, AURA_E_INPUT_UNREADABLE, "music %s: %s", music,
					    strerror(errno));
		else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			rc = aura_error_set(err, AURA_E_INPUT_UNREADABLE,
					    "music %s is not a file or a folder", music);
	}
	free(images);
	free(music);
	return rc;
}

/* The options typed in, over the configuration's defaults, into s. */
static int fill_spec(const struct tui *t, struct form *f, struct vspec *s, int *field,
		     struct aura_error *err)
{
	const struct aura_config *cfg = &t->ctx->cfg;
	char *topic = trimmed(&f->e[F_TOPIC]), *from = trimmed(&f->e[F_FROM]);
	int rc = 0;
	int64_t x;
	int n;
	*field = F_TOPIC;
	if (!*topic && !*from)
		rc = aura_error_set(err, AURA_E_TOPIC_INVALID, "a topic or a document is needed");
	else if (*topic && (rc = vspec_check_topic(topic, err)) == 0)
		s->topic = xstrdup(topic);
	if (rc == 0 &&
	    (*field = F_DURATION, parse_int64(f->e[F_DURATION].buf, &x) < 0 ||
				      x < SCRIPT_DURATION_MIN || x > SCRIPT_DURATION_MAX))
		rc = aura_error_set(err, AURA_E_DURATION_INVALID,
				    "%s: a whole number of seconds from 5 to 1800",
				    f->e[F_DURATION].buf);
	if (rc == 0)
		s->duration = (int)x;
	s->preset = &preset_list(&n)[f->preset];
	s->captions = vspec_captions_parse(captions[f->caption]);
	if (rc == 0 && f->e[F_VOICE].len) {
		*field = F_VOICE;
		voice_choice_free(&s->voice);
		rc = voice_parse(f->e[F_VOICE].buf, cfg, &s->voice, err);
		/* as `aura new --voice`: a voice typed in is the one used, the
		 * voice chain is not walked (doc/pipeline.md) */
		s->voice_forced = strcmp(f->e[F_VOICE].buf, f->voice0) != 0;
	}
	if (rc == 0 && f->e[F_LANG].len && (*field = F_LANG, true) &&
	    (rc = vspec_lang_check(f->e[F_LANG].buf, err)) == 0) {
		free(s->lang);
		s->lang = xstrdup(f->e[F_LANG].buf);
	}
	if (rc == 0 && f->e[F_PRIORITY].len) {
		*field = F_PRIORITY;
		if (parse_int64(f->e[F_PRIORITY].buf, &x) < 0 || x < -VSPEC_PRIORITY_MAX ||
		    x > VSPEC_PRIORITY_MAX)
			rc = aura_error_set(
			    err, AURA_E_USAGE, "priority %s: a whole number from %d to %d",
			    f->e[F_PRIORITY].buf, -VSPEC_PRIORITY_MAX, VSPEC_PRIORITY_MAX);
		else
			s->priority = (int)x;
	}
	/* after the duration and the voice: the summary is sized by both */
	if (rc == 0 && *from) {
		char *path = absolute(t, from);
		*field = F_FROM;
		rc = new_from_doc(path, s, !*topic, err);
		free(path);
	}
	if (rc == 0)
		rc = check_files(t, f, s, field, err);
	if (rc == 0 && f->e[F_OUTPUT].len) {
		struct stat st;
		*field = F_OUTPUT;
		s->output = vspec_output_path(f->e[F_OUTPUT].buf, t->cwd, s->topic,
					      (s->captions & VSPEC_CAPTIONS_SRT) != 0);
		if (lstat(s->output, &st) == 0)
			rc = aura_error_set(err, AURA_E_OUTPUT_EXISTS, "%s", s->output);
	}
	free(topic);
	free(from);
	return rc;
}

/* The `new` params for the form (as `aura new` sends them), or NULL with
 * err and *field. */
static json_t *form_params(const struct tui *t, struct form *f, int *field, struct aura_error *err)
{
	struct vspec s;
	vspec_init(&s, &t->ctx->cfg);
	s.cwd = xstrdup(t->cwd);
	json_t *params = NULL;
	char *style = trimmed(&f->e[F_STYLE]);
	int rc = fill_spec(t, f, &s, field, err);
	/* the style first: its keys go with it (empty: the default look) */
	if (rc == 0 && *style && (rc = vspec_style_set(&s, style, err)) < 0)
		*field = F_STYLE;
	free(style);
	if (rc == 0) {
		params = vspec_to_json(&s);
		/* the server's own check, here first: the same rules at both ends */
		struct vspec again;
		vspec_init(&again, &t->ctx->cfg);
		if (vspec_from_json(&again, params, err) < 0) {
			json_decref(params);
			params = NULL;
			*field = field_of_error(err);
		}
		vspec_free(&again);
	}
	vspec_free(&s);
	if (!params)
		return NULL;
	if (f->pool)
		json_object_set_new(params, "pool", proto_string(f->pools[f->pool]));
	return params;
}

static int send_form(struct tui *t, struct form *f)
{
	struct aura_error err;
	int field = -1;
	aura_error_clear(&err);
	json_t *params = form_params(t, f, &field, &err);
	if (!params) {
		form_error(f, field, &err);
		return UI_HANDLED;
	}
	if (!conn_new(t, params, &err)) {
		form_error(f, field_of_error(&err), &err);
		return UI_HANDLED;
	}
	return UI_HANDLED | UI_CLOSE;
}

/* --- keys --------------------------------------------------------------------------- */

static int form_key(struct tui *t, struct dialog *d, int key)
{
	struct form *f = d->state;
	(void)d;
	switch (key) {
	case ESC:
		return UI_HANDLED | UI_CLOSE;
	case '\r':
	case '\n':
	case UI_FN(KEY_ENTER):
		return send_form(t, f);
	case '\t':
	case UI_FN(KEY_DOWN):
		f->cur = (f->cur + 1) % F__COUNT;
		return UI_HANDLED;
	case UI_FN(KEY_BTAB):
	case UI_FN(KEY_UP):
		f->cur = (f->cur + F__COUNT - 1) % F__COUNT;
		return UI_HANDLED;
	default:
		break;
	}
	bool changed = false;
	if (is_choice(f->cur)) {
		int n;
		int *v = choice_of(f, f->cur, &n);
		if (key == UI_FN(KEY_RIGHT) || key == ' ' || key == 'l')
			*v = (*v + 1) % n;
		else if (key == UI_FN(KEY_LEFT) || key == 'h')
			*v = (*v + n - 1) % n;
		else
			return UI_HANDLED;
		changed = true;
	} else {
		changed = edit_key(&f->e[f->cur], key);
	}
	/* changing what the error is about (or anything, when it is about
	 * no field) takes it away */
	if (changed && (f->err_field < 0 || f->err_field == f->cur)) {
		f->error[0] = '\0';
		f->err_field = -1;
	}
	return UI_HANDLED;
}

static void form_free(struct dialog *d)
{
	struct form *f = d->state;
	for (int i = 0; i < F__COUNT; i++)
		edit_free(&f->e[i]);
	for (int i = 0; i < f->n_pools; i++)
		free(f->pools[i]);
	free(f->pools);
	free(f->voice0);
	free(f);
}

static const struct dialog_ops form_ops = {
	.draw = form_draw,
	.key = form_key,
	.free = form_free,
};

static int find(const char *const *list, const char *s)
{
	for (int i = 0; s && list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return 0;
}

/* The pools the server last listed (`list`'s "pools"), after the default. */
static void load_pools(const struct tui *t, struct form *f)
{
	size_t n = json_array_size(t->pool_list), i;
	json_t *p;
	f->pools = xcalloc(n + 1, sizeof(*f->pools));
	f->n_pools = 1;
	json_array_foreach(t->pool_list, i, p)
	{
		const char *name = json_string_value(json_object_get(p, "name"));
		if (name)
			f->pools[f->n_pools++] = xstrdup(name);
	}
}

void dlg_new_open(struct tui *t)
{
	const struct aura_config *cfg = &t->ctx->cfg;
	struct form *f = xcalloc(1, sizeof(*f));
	char num[32];
	for (int i = 0; i < F__COUNT; i++)
		edit_init(&f->e[i], NULL);
	snprintf(num, sizeof(num), "%d", cfg->duration > 0 ? cfg->duration : 30);
	edit_set(&f->e[F_DURATION], num);
	f->voice0 = xstrdup(cfg->voice ? cfg->voice : "flite:slt");
	edit_set(&f->e[F_VOICE], f->voice0);
	edit_set(&f->e[F_LANG], cfg->lang && *cfg->lang ? cfg->lang : "en");
	edit_set(&f->e[F_PRIORITY], "0");
	int n;
	const struct preset *ps = preset_list(&n);
	for (int i = 0; i < n; i++)
		if (cfg->preset && strcmp(ps[i].name, cfg->preset) == 0)
			f->preset = i;
	f->caption = find(captions, cfg->captions);
	f->err_field = -1;
	load_pools(t, f);
	int w = COLS - 8 > 76 ? 76 : COLS - 8;
	if (w < 36)
		w = COLS - 2;
	ui_dialog_open(t, &form_ops, F__COUNT + 6, w, f);
}
