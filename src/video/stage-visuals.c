/*
 * stage-visuals.c -- the `visuals` stage: one picture per scene in
 * visuals/, at the preset's size.
 *
 * Generated cards: a gradient from the job's palette (picked by topic and
 * seed, its direction turning from scene to scene) with the scene's
 * heading centred on it, drawn with drawtext from text files
 * (textfile=, expansion=none), all cards in one FFmpeg run as PNGs. The
 * render loops each still, so a card costs one frame of work.
 *
 * --images DIR: its jpg/png/mp4 files in name order, cycled over the
 * scenes. A still is scaled and cropped to fill the frame (PNG; the
 * render moves over it, Ken Burns); a clip is looped or cut to the
 * scene's length, scaled, cropped, 30 fps, without sound (an H.264
 * intermediate). A file that cannot be used becomes a card plus an
 * IMAGE_UNUSABLE warning.
 *
 * Without --images, the [providers] visuals chain is walked for each
 * scene (stage-stock.c): stock clips or photos ([video] stock; pexels,
 * pixabay: searched by the scene's keywords, kept in DATA/cache by query,
 * credited in the job's credits.txt; a clip is joined with the next hits
 * of its query while shorter than its scene, made a seamless crossfade
 * loop when the search has no more, and read by the render as it is --
 * here only its first frame is decoded, to catch an unusable one) and
 * generated pictures (sdwebui, openai: visuals/NNN.PROVIDER.png, reused by
 * a retry) are asynchronous steps; the picture found goes through the
 * same cover scaling as an --images still (the render moves over it). A
 * provider that fails is a warning and is not asked again in this stage;
 * "generated" (a card) is always the last resort.
 *
 * Must never: put a heading or a path of the user's into a filtergraph
 * unescaped (headings go through files; paths through
 * ffargs_escape_filter_value), or fail the job for one bad image.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <jansson.h>

#include "base/conf.h"
#include "video/captions.h"
#include "video/stage-visuals.h"
#include "base/utf8.h"

#define HEADING_LINES_MAX 4

struct palette {
	const char *c[3];
	const char *accent;
};

/* Dark enough that white text with a shadow reads on every stop. */
static const struct palette palettes[] = {
	{ { "0x0f2027", "0x203a43", "0x2c5364" }, "0x4fc3f7" }, /* ocean */
	{ { "0x23074d", "0x5b247a", "0xa8443a" }, "0xffb74d" }, /* dusk */
	{ { "0x0b3d2e", "0x134e3a", "0x2e7d5b" }, "0xa5d6a7" }, /* forest */
	{ { "0x3e0b0b", "0x6e1c1c", "0xa83224" }, "0xffcc80" }, /* ember */
	{ { "0x1c1d1f", "0x37393b", "0x55595e" }, "0x90caf9" }, /* slate */
	{ { "0x141e30", "0x243b55", "0x3f5e8c" }, "0xffd54f" }, /* royal */
	{ { "0x2b1055", "0x4b1d6b", "0x5a64b0" }, "0xf8bbd0" }, /* plum */
	{ { "0x003b46", "0x07575b", "0x3f8a91" }, "0xfff59d" }, /* teal */
};

static uint32_t palette_hash(const char *s, uint32_t seed)
{
	uint32_t h = 2166136261u ^ seed;
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static const char *kind_name(enum vvisual k)
{
	return k == VIS_STILL ? "still" : k == VIS_CLIP ? "clip" : "card";
}

static bool visuals_ready(struct vjob *v)
{
	json_t *root;
	json_t *arr = vjob_read_scenes(v, "visuals.json", &root);
	bool ok = arr != NULL;
	for (int i = 0; ok && i < v->n; i++) {
		json_t *s = json_array_get(arr, (size_t)i);
		const char *file = json_string_value(json_object_get(s, "file"));
		const char *kind = json_string_value(json_object_get(s, "kind"));
		const char *src = json_string_value(json_object_get(s, "source"));
		ok = file && kind && strncmp(file, "visuals/", 8) == 0 && !strstr(file, "..") &&
		     vjob_exists(v, file);
		if (!ok)
			break;
		free(v->scenes[i].visual);
		free(v->scenes[i].source);
		v->scenes[i].visual = xstrdup(file);
		v->scenes[i].source = xstrdup(src);
		v->scenes[i].kind = strcmp(kind, "clip") == 0	 ? VIS_CLIP
				    : strcmp(kind, "still") == 0 ? VIS_STILL
								 : VIS_CARD;
	}
	json_decref(root);
	return ok;
}

static int write_index(struct vjob *v, struct aura_error *err)
{
	json_t *arr = json_array();
	for (int i = 0; i < v->n; i++) {
		json_t *s = json_pack("{s:s, s:s}", "file", v->scenes[i].visual, "kind",
				      kind_name(v->scenes[i].kind));
		json_object_set_new(s, "source",
				    v->scenes[i].source ? json_string(v->scenes[i].source)
							: json_null());
		json_array_append_new(arr, s);
	}
	json_t *root = json_pack("{s:i, s:o}", "version", 1, "scenes", arr);
	char *text = json_dumps(root, JSON_INDENT(1));
	json_decref(root);
	if (!text)
		return aura_error_set(err, AURA_E_INTERNAL, "visuals.json could not be encoded");
	int rc = vjob_write(v, "visuals.json", text, err);
	free(text);
	return rc;
}

/* Frames the render takes from scene i: its own, plus the crossfade into
 * it that starts before it. */
int visuals_clip_frames(const struct vjob *v, int i)
{
	return v->scenes[i].frames + (i > 0 ? v->xfade_frames : 0);
}

void visuals_set_card(struct vscene *s, int i)
{
	s->kind = VIS_CARD;
	free(s->visual);
	s->visual = xasprintf("visuals/%03d.png", vjob_num(i));
}

/* Assign --images files to scenes (cycled), or cards. */
static void assign(struct vjob *v)
{
	for (int i = 0; i < v->n; i++) {
		struct vscene *s = &v->scenes[i];
		free(s->source);
		s->source = NULL;
		s->stock_clip = s->looped = s->joined = false;
		s->clip_us = 0;
		visuals_set_card(s, i);
		if (v->nimages > 0 && v->spec.look.headings != STYLE_HEADINGS_SLIDES) {
			s->source = xstrdup(v->images[i % v->nimages]);
			if (vspec_is_video_file(s->source)) {
				s->kind = VIS_CLIP;
				free(s->visual);
				s->visual = xasprintf("visuals/%03d.mp4", vjob_num(i));
			} else {
				s->kind = VIS_STILL;
			}
		}
	}
}

/* The filter that makes any picture fill the frame: scaled to cover it,
 * the overflow cropped evenly. */
char *visuals_cover_filter(const struct preset *p)
{
	return visuals_cover_to(p->w, p->h);
}

char *visuals_cover_to(int w, int h)
{
	return xasprintf("scale=%d:%d:force_original_aspect_ratio=increase,crop=%d:%d,setsar=1", w,
			 h, w, h);
}

static void image_cmd(struct vjob *v, int i, struct task_cmd *cmd, struct ffargs *a)
{
	const struct preset *p = v->spec.preset;
	struct vscene *s = &v->scenes[i];
	char *cover = visuals_cover_filter(p);
	ffargs_addv(a, "ffmpeg", "-y");
	if (s->kind == VIS_CLIP && s->stock_clip) {
		/* the render reads a stock clip (or its loop) itself, scaling
		 * and looping it there: no second encoding of the scene. Only
		 * its first frame is decoded here, so a clip no decoder can
		 * read falls back now. */
		char *in = s->looped ? vjob_path(v, "visuals/%03d.loop.mp4", vjob_num(i))
				     : visuals_clip_input(v, i);
		ffargs_addv(a, "-i", in, "-an", "-sn", "-dn", "-frames:v", "1", "-f", "null", "-");
		free(s->visual);
		s->visual = in;
		cmd->duration_us = 1000000 / VIDEO_FPS;
	} else if (s->kind == VIS_CLIP) {
		int frames = visuals_clip_frames(v, i);
		/* looped when shorter than the scene; the frame count ends it */
		char *in = s->looped ? xasprintf("visuals/%03d.loop.mp4", vjob_num(i))
				     : visuals_clip_input(v, i);
		ffargs_addv(a, "-stream_loop", "-1", "-i", in, "-an", "-sn", "-dn", "-vf");
		free(in);
		ffargs_addf(a, "%s,fps=%d,format=yuv420p", cover, VIDEO_FPS);
		ffargs_add(a, "-frames:v");
		ffargs_addf(a, "%d", frames);
		ffargs_addv(a, "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-f", "mp4",
			    s->visual);
		cmd->duration_us = (int64_t)frames * 1000000 / VIDEO_FPS;
	} else {
		ffargs_addv(a, "-i", s->source, "-vf", cover, "-frames:v", "1", "-update", "1",
			    s->visual);
	}
	free(cover);
	cmd->ffmpeg = true;
}

/* --- cards ----------------------------------------------------------------------- */

/* The heading as at most HEADING_LINES_MAX lines of at most cols columns. */
static int heading_lines(const char *heading, int cols, char ***out)
{
	struct caption_list l;
	caption_list_init(&l);
	captions_split(heading, cols, HEADING_LINES_MAX, &l);
	char **lines = NULL;
	int n = 0;
	for (int c = 0; c < l.n; c++) {
		const char *p = l.cues[c].text;
		while (p && *p) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) : strlen(p);
			if (n == HEADING_LINES_MAX) {
				/* too long for a card: the last line says so */
				char *last = lines[n - 1];
				lines[n - 1] = xasprintf("%s…", last);
				free(last);
				goto done;
			}
			lines = xrealloc(lines, (size_t)(n + 1) * sizeof(*lines));
			lines[n++] = xstrndup(p, len);
			p = nl ? nl + 1 : NULL;
		}
	}
done:
	caption_list_free(&l);
	*out = lines;
	return n;
}

/* One card's source: gradient, accent bar and heading lines. */
static int card_source(struct vjob *v, int i, struct buf *g, struct aura_error *err)
{
	const struct preset *p = v->spec.preset;
	const struct palette *pal =
	    &palettes[palette_hash(v->spec.topic, v->spec.seed) % ARRAY_LEN(palettes)];
	int w = p->w, h = p->h;
	/* the gradient line runs corner to corner, turning a quarter per scene */
	static const int dir[4][4] = {
		{ 0, 0, 1, 1 }, { 1, 0, 0, 1 }, { 1, 1, 0, 0 }, { 0, 1, 1, 0 }
	};
	const int *d = dir[i % 4];
	buf_printf(g,
		   "gradients=s=%dx%d:c0=%s:c1=%s:c2=%s:nb_colors=3:x0=%d:y0=%d:x1=%d:y1=%d:"
		   "speed=0.00001:rate=%d,format=rgb24",
		   w, h, pal->c[i % 3], pal->c[(i + 1) % 3], pal->c[(i + 2) % 3], d[0] * (w - 1),
		   d[1] * (h - 1), d[2] * (w - 1), d[3] * (h - 1), VIDEO_FPS);

	bool portrait = preset_is_portrait(p);
	int cols = portrait ? 16 : (w == h ? 20 : 26);
	char **lines;
	bool off = v->spec.look.headings == STYLE_HEADINGS_OFF; /* the style's headings */
	int n = heading_lines(off ? "" : v->script.scenes[i].heading, cols, &lines);
	int widest = 8;
	for (int k = 0; k < n; k++) {
		int cw = utf8_width(lines[k]);
		if (cw > widest)
			widest = cw;
	}
	/* ~0.6 em a column in a bold sans; the opening card is the title */
	double fs = 0.095 * (portrait ? w * 1.5 : h);
	if (i == 0)
		fs *= 1.15;
	double fit = 0.84 * w / (widest * 0.6);
	if (fs > fit)
		fs = fit;
	int size = (int)fs;
	int lh = (int)(fs * 1.3);
	int block = n * lh;
	int top = (int)(h * 0.45) - block / 2;
	int shadow = size / 24 > 1 ? size / 24 : 1;

	char *font = NULL;
	if (v->font) {
		char *esc = ffargs_escape_filter_value(v->font);
		font = xasprintf("fontfile=%s", esc);
		free(esc);
	} else {
		font = xstrdup("font=Sans");
	}
	int rc = 0;
	for (int k = 0; k < n && rc == 0; k++) {
		char *rel = xasprintf("visuals/%03d-%d.txt", vjob_num(i), k + 1);
		rc = vjob_write(v, rel, lines[k], err);
		char *file = ffargs_escape_filter_value(rel);
		buf_printf(g,
			   ",drawtext=%s:textfile=%s:expansion=none:fontsize=%d:fontcolor=white:"
			   "shadowcolor=black@0.5:shadowx=%d:shadowy=%d:x=(w-text_w)/2:y=%d",
			   font, file, size, shadow, shadow, top + k * lh);
		free(file);
		free(rel);
	}
	int bar_w = w / 6, bar_h = h / 180 > 3 ? h / 180 : 3;
	buf_printf(g, ",drawbox=x=%d:y=%d:w=%d:h=%d:color=%s@0.9:t=fill", (w - bar_w) / 2,
		   top + block + size / 3, bar_w, bar_h, pal->accent);
	for (int k = 0; k < n; k++)
		free(lines[k]);
	free(lines);
	free(font);
	return rc;
}

/* The cards' scenes, weighed one each, for vjob_parts: each lavfi input
 * is drawn as the run opens it, one after the other. */
static size_t *card_weights(const struct vjob *v)
{
	size_t *w = xcalloc((size_t)v->n, sizeof(*w));
	for (int i = 0; i < v->n; i++)
		w[i] = v->scenes[i].kind == VIS_CARD;
	return w;
}

/* The cards of the scenes [from, to): 1 if there is a command, 0 if none
 * is a card, or a negative code. */
static int cards_cmd(struct vjob *v, int from, int to, struct task_cmd *cmd, struct ffargs *a,
		     struct aura_error *err)
{
	ffargs_addv(a, "ffmpeg", "-y");
	int k = 0;
	for (int i = from; i < to; i++) {
		if (v->scenes[i].kind != VIS_CARD)
			continue;
		struct buf g;
		buf_init(&g);
		int rc = card_source(v, i, &g, err);
		if (rc == 0)
			ffargs_addv(a, "-f", "lavfi", "-i", g.data);
		buf_free(&g);
		if (rc < 0)
			return rc;
		k++;
	}
	if (k == 0)
		return 0;
	k = 0;
	for (int i = from; i < to; i++) {
		if (v->scenes[i].kind != VIS_CARD)
			continue;
		ffargs_add(a, "-map");
		ffargs_addf(a, "%d:v", k++);
		/* zlib level 1: a card is read once, by the render; level 9
		 * (the encoder's default) costs a quarter of this stage */
		ffargs_addv(a, "-frames:v", "1", "-update", "1", "-compression_level", "1",
			    v->scenes[i].visual);
	}
	cmd->ffmpeg = true;
	return 1;
}

/* --- the stage -------------------------------------------------------------------- */

static int visuals_next(struct vjob *v, struct task_cmd *cmd, struct aura_error *err)
{
	struct ffargs a;
	ffargs_init(&a);
	int rc;
	if (v->step == STEP_ONLINE && v->sub == 0 && v->link == 0 && !v->failed &&
	    !v->stock.photo) {
		if ((rc = vjob_mkdir(v, "visuals", err)) < 0)
			return rc;
		vstock_reset(&v->stock, -1);
		vspec_files_free(v->images);
		v->images = NULL;
		v->nimages = 0;
		if (v->spec.images &&
		    (rc = vspec_list_images(v->spec.images, &v->images, &v->nimages, err)) < 0)
			return rc;
		assign(v);
		/* the user's pictures are the user's choice: no chain; slides: cards */
		if (!v->spec.images && v->spec.look.headings != STYLE_HEADINGS_SLIDES) {
			vdoc_assign_images(v);
			vchain_parse(v->env->cfg ? v->env->cfg->chain_visuals : NULL, &v->chain);
		}
	}
	if (v->step == STEP_ONLINE) {
		if (visuals_online_walk(v, cmd) == TASK_RUN)
			return TASK_RUN;
		v->step = STEP_IMAGES;
		v->sub = 0;
	}
	if (v->step == STEP_IMAGES) {
		while (v->sub < v->n && v->scenes[v->sub].kind == VIS_CARD)
			v->sub++;
		if (v->sub < v->n) {
			double w0 = v->spec.images ? 0 : W_ONLINE;
			struct vscene *s = &v->scenes[v->sub];
			bool stock = (s->kind == VIS_CLIP && s->stock_clip) ||
				     (v->stock.photo && v->stock.scene == v->sub);
			if (stock && visuals_stock_next(v, cmd, &a, err)) {
				/* set by visuals_stock_next */
			} else if (visuals_wants_loop(v, v->sub)) {
				visuals_loop_cmd(v, v->sub, cmd, &a);
				v->cmd_kind = STEP_LOOP;
			} else {
				image_cmd(v, v->sub, cmd, &a);
				v->cmd_kind = STEP_IMAGES;
			}
			cmd->weight_start = w0 + (W_IMAGES - w0) * v->sub / v->n;
			cmd->weight_len = (W_IMAGES - w0) / v->n;
			if (v->cmd_kind == STEP_MORE || v->cmd_kind == STEP_PHOTO)
				ffargs_free(&a); /* a request: the step is set */
			else
				cmd->argv = ffargs_steal(&a);
			return TASK_RUN;
		}
		v->step = STEP_CARDS;
		size_t *w = card_weights(v);
		vjob_parts_begin(v, w);
		free(w);
	}
	if (v->step == STEP_CARDS) {
		/* in parts at once, one a lane */
		size_t *w = card_weights(v);
		int from, to;
		while (vjob_part_next(v, w, &from, &to, cmd)) {
			rc = cards_cmd(v, from, to, cmd, &a, err);
			if (rc != 0)
				free(w);
			if (rc < 0) {
				ffargs_free(&a);
				return rc;
			}
			if (rc > 0) {
				v->cmd_kind = STEP_CARDS;
				v->parts_running++;
				cmd->weight_start = W_IMAGES;
				cmd->weight_len = W_CARDS * (to - from) / v->n;
				cmd->argv = ffargs_steal(&a);
				return TASK_RUN;
			}
			ffargs_free(&a);
			ffargs_init(&a);
		}
		free(w);
		if (v->parts_running > 0) {
			ffargs_free(&a);
			return TASK_WAIT;
		}
		v->step = STEP_FINISH;
		ffargs_free(&a);
	}
	rc = write_index(v, err);
	return rc < 0 ? rc : VSTAGE_DONE;
}

static int visuals_done(struct vjob *v, int status, const char *out, size_t out_len,
			const char *tail, struct aura_error *err)
{
	if (v->cmd_kind == STEP_ONLINE)
		return visuals_online_done(v, err);
	if (v->cmd_kind == STEP_PROBE || v->cmd_kind == STEP_MORE || v->cmd_kind == STEP_JOIN ||
	    v->cmd_kind == STEP_PHOTO)
		return visuals_stock_done(v, status, out, out_len, tail, err);
	if (v->cmd_kind == STEP_LOOP) {
		struct aura_error e = { 0 };
		int rc = vjob_ffmpeg_result(status, tail, v->scenes[v->sub].source, &e);
		if (rc < 0) {
			if (e.code == AURA_E_DISK_FULL) {
				if (err)
					*err = e;
				return rc;
			}
			vjob_log(v, "visuals: scene %d: no crossfade loop (%s)", vjob_num(v->sub),
				 e.detail);
			v->scenes[v->sub].clip_us = -1;
		} else {
			v->scenes[v->sub].looped = true;
		}
		return 0;
	}
	if (v->cmd_kind == STEP_IMAGES) {
		struct aura_error e = { 0 };
		int rc = vjob_ffmpeg_result(status, tail, v->scenes[v->sub].source, &e);
		if (rc < 0) {
			/* a full disk fails the job; a bad picture only its scene */
			if (e.code == AURA_E_DISK_FULL) {
				if (err)
					*err = e;
				return rc;
			}
			/* a bad stock clip: a photo of its site is asked for */
			if (v->scenes[v->sub].kind == VIS_CLIP &&
			    visuals_stock_unusable(v, e.detail))
				return 0;
			vjob_warn(v, AURA_E_IMAGE_UNUSABLE, "scene %d: %s", vjob_num(v->sub),
				  e.detail);
			visuals_set_card(&v->scenes[v->sub], v->sub);
			free(v->scenes[v->sub].source);
			v->scenes[v->sub].source = NULL;
		}
		v->sub++;
		return 0;
	}
	if (v->cmd_kind == STEP_CARDS)
		v->parts_running--;
	return vjob_ffmpeg_result(status, tail, "drawing the cards", err);
}

const struct stage_ops stage_visuals_ops = {
	.name = "visuals",
	.ready = visuals_ready,
	.next = visuals_next,
	.done = visuals_done,
};
