/*
 * dlg-form.c -- `n`: the new video form (topic, duration, preset, voice,
 * captions, output), prefilled from the configuration, sent as the `new`
 * request that `aura new` sends (doc/protocol.md), with the UI's working
 * directory as cwd. A refusal from the server lands in the message line.
 *
 * Must never: send a form whose topic is empty or whose duration is not a
 * positive number (it says so in the form instead).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/paths.h"
#include "client/proto.h"
#include "tui/ui.h"

#define ESC 27

enum field { F_TOPIC, F_DURATION, F_PRESET, F_VOICE, F_CAPTIONS, F_OUTPUT, F__COUNT };

static const char *const labels[F__COUNT] = { "Topic", "Duration", "Preset",
					      "Voice", "Captions", "Output" };
static const char *const presets[] = { "landscape-720p", "landscape-1080p", "portrait-1080p",
				       "square-1080p",	 "draft-480p",	    NULL };
static const char *const captions[] = { "burn", "srt", "both", "none", NULL };

struct form {
	struct edit e[F__COUNT]; /* text fields (choices use `choice`) */
	int preset, caption;	 /* index into presets / captions */
	int cur;
	char *voice0; /* the voice the form opened with: changing it forces it */
	char error[256];
};

static bool is_choice(int f)
{
	return f == F_PRESET || f == F_CAPTIONS;
}

static int find(const char *const *list, const char *s)
{
	for (int i = 0; s && list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return 0;
}

static int count(const char *const *list)
{
	int n = 0;
	while (list[n])
		n++;
	return n;
}

static void form_draw(struct tui *t, struct dialog *d)
{
	struct form *f = d->state;
	ui_dialog_frame(t, d, "New video");
	int vx = 13, vw = d->w - vx - 2;
	d->cursor = false;
	for (int i = 0; i < F__COUNT; i++) {
		int y = 2 + i;
		attr_t la = i == f->cur ? A_BOLD : ui_attr(t, ST_DIM);
		ui_text(t, d->win, y, 2, labels[i], 10, la, false);
		if (is_choice(i)) {
			const char *v = i == F_PRESET ? presets[f->preset] : captions[f->caption];
			char s[64];
			snprintf(s, sizeof(s), "< %s >", v);
			ui_text(t, d->win, y, vx, s, vw,
				i == f->cur ? ui_attr(t, ST_SEL) : A_NORMAL, false);
		} else {
			int cx = edit_draw(t, &f->e[i], d->win, y, vx, vw,
					   i == f->cur ? A_UNDERLINE | A_BOLD : A_UNDERLINE);
			if (i == f->cur) {
				d->cursor = true;
				d->cy = y;
				d->cx = vx + cx;
			}
		}
	}
	const char *hint = f->cur == F_DURATION ? "seconds"
			   : f->cur == F_OUTPUT ? "a file; empty: named after the topic"
			   : f->cur == F_VOICE	? "PROVIDER[:VOICE], e.g. flite:slt"
						: "";
	ui_text(t, d->win, 2 + F__COUNT + 1, 2,
		f->error[0] ? f->error
			    : "Tab/arrows move, Left/Right choose, Enter queues, Esc cancels",
		d->w - 4, f->error[0] ? ui_attr(t, ST_ERROR) : ui_attr(t, ST_DIM), false);
	if (*hint && !f->error[0])
		ui_text(t, d->win, 1, vx, hint, vw, ui_attr(t, ST_DIM), false);
}

static int send_form(struct tui *t, struct form *f)
{
	const char *topic = f->e[F_TOPIC].buf;
	while (*topic == ' ')
		topic++;
	if (!*topic) {
		f->cur = F_TOPIC;
		snprintf(f->error, sizeof(f->error), "a topic is needed");
		return UI_HANDLED;
	}
	int64_t dur;
	if (parse_int64(f->e[F_DURATION].buf, &dur) < 0 || dur < 5 || dur > 1800) {
		f->cur = F_DURATION;
		snprintf(f->error, sizeof(f->error),
			 "the duration is a number of seconds, 5 to 1800");
		return UI_HANDLED;
	}
	json_t *opts = json_object();
	json_object_set_new(opts, "duration", json_integer(dur));
	json_object_set_new(opts, "preset", json_string(presets[f->preset]));
	json_object_set_new(opts, "captions", json_string(captions[f->caption]));
	if (f->e[F_VOICE].len) {
		json_object_set_new(opts, "voice", proto_string(f->e[F_VOICE].buf));
		/* as `aura new --voice`: a voice typed in is the one used, the
		 * voice chain is not walked (doc/pipeline.md) */
		if (strcmp(f->e[F_VOICE].buf, f->voice0) != 0)
			json_object_set_new(opts, "voice_forced", json_true());
	}
	if (f->e[F_OUTPUT].len) {
		char *out = paths_expand_home(f->e[F_OUTPUT].buf);
		char *abs = out[0] == '/' ? xstrdup(out) : xasprintf("%s/%s", t->cwd, out);
		json_object_set_new(opts, "output", proto_string(abs));
		free(abs);
		free(out);
	}
	json_t *params = json_object();
	json_object_set_new(params, "topic", proto_string(topic));
	json_object_set_new(params, "options", opts);
	json_object_set_new(params, "cwd", proto_string(t->cwd));
	conn_new(t, params);
	return UI_HANDLED | UI_CLOSE;
}

static int form_key(struct tui *t, struct dialog *d, int key)
{
	struct form *f = d->state;
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
	if (is_choice(f->cur)) {
		int *v = f->cur == F_PRESET ? &f->preset : &f->caption;
		int n = count(f->cur == F_PRESET ? presets : captions);
		if (key == UI_FN(KEY_RIGHT) || key == ' ' || key == 'l')
			*v = (*v + 1) % n;
		else if (key == UI_FN(KEY_LEFT) || key == 'h')
			*v = (*v + n - 1) % n;
		return UI_HANDLED;
	}
	if (edit_key(&f->e[f->cur], key))
		f->error[0] = '\0';
	(void)d;
	return UI_HANDLED;
}

static void form_free(struct dialog *d)
{
	struct form *f = d->state;
	for (int i = 0; i < F__COUNT; i++)
		edit_free(&f->e[i]);
	free(f->voice0);
	free(f);
}

static const struct dialog_ops form_ops = {
	.draw = form_draw,
	.key = form_key,
	.free = form_free,
};

void dlg_new_open(struct tui *t)
{
	const struct aura_config *cfg = &t->ctx->cfg;
	struct form *f = xcalloc(1, sizeof(*f));
	char dur[32];
	snprintf(dur, sizeof(dur), "%d", cfg->duration > 0 ? cfg->duration : 30);
	for (int i = 0; i < F__COUNT; i++)
		edit_init(&f->e[i], NULL);
	edit_set(&f->e[F_DURATION], dur);
	f->voice0 = xstrdup(cfg->voice ? cfg->voice : "flite:slt");
	edit_set(&f->e[F_VOICE], f->voice0);
	f->preset = find(presets, cfg->preset);
	f->caption = find(captions, cfg->captions);
	int w = COLS - 8 > 76 ? 76 : COLS - 8;
	ui_dialog_open(t, &form_ops, F__COUNT + 5, w, f);
}
