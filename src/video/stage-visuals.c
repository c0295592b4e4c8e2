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
 * scene: stock clips or photos ([video] stock; pexels, pixabay: searched
 * by the scene's keywords, kept in DATA/cache by query, credited in the
 * job's credits.txt; a clip goes the --images clip way, made a seamless
 * crossfade loop first when shorter than its scene) and
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
#include "video/stage.h"
#include "base/utf8.h"

enum { STEP_ONLINE, STEP_IMAGES, STEP_CARDS, STEP_FINISH, STEP_PROBE, STEP_LOOP };

#define W_ONLINE	  0.50 /* of the stage, when a provider is called */
#define W_IMAGES	  0.85
#define W_CARDS		  0.15
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
static int clip_frames(const struct vjob *v, int i)
{
	return v->scenes[i].frames + (i > 0 ? v->xfade_frames : 0);
}

static void set_card(struct vscene *s, int i)
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
		s->stock_clip = s->looped = false;
		s->clip_us = 0;
		set_card(s, i);
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
static char *cover_filter(const struct preset *p)
{
	return xasprintf("scale=%d:%d:force_original_aspect_ratio=increase,crop=%d:%d,setsar=1",
			 p->w, p->h, p->w, p->h);
}

static void image_cmd(struct vjob *v, int i, struct task_cmd *cmd, struct ffargs *a)
{
	const struct preset *p = v->spec.preset;
	struct vscene *s = &v->scenes[i];
	char *cover = cover_filter(p);
	ffargs_addv(a, "ffmpeg", "-y");
	if (s->kind == VIS_CLIP) {
		int frames = clip_frames(v, i);
		/* looped when shorter than the scene; the frame count ends it */
		char *loop = xasprintf("visuals/%03d.loop.mp4", vjob_num(i));
		ffargs_addv(a, "-stream_loop", "-1", "-i", s->looped ? loop : s->source, "-an",
			    "-sn", "-dn", "-vf");
		free(loop);
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

/* --- stock clips shorter than their scene ---------------------------------------- */

#define LOOP_XFADE_US ((int64_t)XFADE_FRAMES * 1000000 / VIDEO_FPS)

/* A stock clip shorter than its scene (and long enough to crossfade)
 * becomes a seamless loop first: its part after the first crossfade's
 * length, fading at its end into its own start. Looped, it never jumps or
 * freezes. */
static bool wants_loop(const struct vjob *v, int i)
{
	const struct vscene *s = &v->scenes[i];
	return s->kind == VIS_CLIP && s->stock_clip && !s->looped &&
	       s->clip_us > 2 * LOOP_XFADE_US &&
	       s->clip_us < (int64_t)clip_frames(v, i) * 1000000 / VIDEO_FPS;
}

static void probe_cmd(struct vjob *v, int i, struct task_cmd *cmd, struct ffargs *a)
{
	ffargs_addv(a, "ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json",
		    v->scenes[i].source);
	cmd->capture_stdout = true;
}

static void loop_cmd(struct vjob *v, int i, struct task_cmd *cmd, struct ffargs *a)
{
	struct vscene *s = &v->scenes[i];
	char *cover = cover_filter(v->spec.preset);
	double x = LOOP_XFADE_US / 1e6, d = s->clip_us / 1e6;
	ffargs_addv(a, "ffmpeg", "-y", "-i", s->source, "-an", "-sn", "-dn", "-filter_complex");
	ffargs_addf(
	    a,
	    "[0:v]%s,fps=%d,format=yuv420p,setpts=PTS-STARTPTS,split[a][b];"
	    "[a]trim=start=%.3f,setpts=PTS-STARTPTS[a2];[b]trim=end=%.3f,setpts=PTS-STARTPTS[b2];"
	    "[a2][b2]xfade=transition=fade:duration=%.3f:offset=%.3f[v]",
	    cover, VIDEO_FPS, x, x, x, d - 2 * x);
	ffargs_addv(a, "-map", "[v]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-f",
		    "mp4");
	ffargs_addf(a, "visuals/%03d.loop.mp4", vjob_num(i));
	cmd->duration_us = s->clip_us - LOOP_XFADE_US;
	cmd->ffmpeg = true;
	free(cover);
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

static int cards_cmd(struct vjob *v, struct task_cmd *cmd, struct ffargs *a, struct aura_error *err)
{
	ffargs_addv(a, "ffmpeg", "-y");
	int k = 0;
	for (int i = 0; i < v->n; i++) {
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
	for (int i = 0; i < v->n; i++) {
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

/* --- online pictures ------------------------------------------------------------- */

static bool is_stock(const char *name)
{
	return strcmp(name, "pexels") == 0 || strcmp(name, "pixabay") == 0;
}

static bool is_online_visual(const char *name)
{
	return is_stock(name) || strcmp(name, "sdwebui") == 0 || strcmp(name, "openai") == 0;
}

/* The stock query: the scene's keywords, else its heading. */
static char *scene_query(const struct vjob *v, int i)
{
	const struct scene *sc = &v->script.scenes[i];
	const char *src = sc->keywords && *sc->keywords ? sc->keywords : sc->heading;
	char *q = xstrdup(src ? src : "");
	for (char *p = q; *p; p++)
		if (*p == ',')
			*p = ' ';
	return q;
}

static const char *next_visual(const struct vjob *v, int k)
{
	for (int i = k + 1; i < v->chain.n; i++)
		if (!(v->failed & (1u << i)) && (strcmp(v->chain.names[i], "generated") == 0 ||
						 is_online_visual(v->chain.names[i])))
			return v->chain.names[i];
	return "generated";
}

static void use_source(struct vjob *v, int i, const char *path)
{
	struct vscene *s = &v->scenes[i];
	free(s->source);
	s->source = xstrdup(path);
	free(s->visual);
	if (vspec_is_video_file(path)) {
		s->kind = VIS_CLIP;
		s->stock_clip = true;
		s->visual = xasprintf("visuals/%03d.mp4", vjob_num(i));
	} else {
		s->kind = VIS_STILL;
		s->visual = xasprintf("visuals/%03d.png", vjob_num(i));
	}
}

/* A generated picture an earlier attempt kept, with the same prompt. */
static bool generated_reuse(struct vjob *v, int i, const char *name, const char *prompt)
{
	char *note_rel = xasprintf("visuals/%03d.%s.prompt", vjob_num(i), name);
	char *img_rel = xasprintf("visuals/%03d.%s.png", vjob_num(i), name);
	char *note = vjob_read(v, note_rel);
	bool ok = note && strcmp(note, prompt) == 0 && vjob_exists(v, img_rel);
	if (ok) {
		char *abs = vjob_path(v, "%s", img_rel);
		use_source(v, i, abs);
		free(abs);
		vjob_log(v, "visuals: scene %d: reusing the picture %s made in an earlier attempt",
			 vjob_num(i), name);
	}
	free(note);
	free(note_rel);
	free(img_rel);
	return ok;
}

/* [video] stock: clips (the default), photos, or both by turns (a clip
 * first). */
static bool stock_video(const struct aura_config *cfg, int i)
{
	const char *m = cfg && cfg->stock ? cfg->stock : "videos";
	return strcmp(m, "photos") == 0 ? false : strcmp(m, "mixed") == 0 ? i % 2 == 0 : true;
}

static char *scene_prompt(const struct vjob *v, int i)
{
	const struct scene *sc = &v->script.scenes[i];
	return xasprintf("%s: %s", sc->heading, sc->narration);
}

static int online_walk(struct vjob *v, struct task_cmd *cmd)
{
	const struct aura_config *cfg = v->env->cfg;
	const struct preset *p = v->spec.preset;
	while (v->sub < v->n) {
		const char *name = v->link < v->chain.n ? v->chain.names[v->link] : "generated";
		if (strcmp(name, "generated") == 0 || v->scenes[v->sub].source) {
			v->sub++; /* a card */
			v->link = 0;
			continue;
		}
		if ((v->failed & (1u << v->link)) || !is_online_visual(name) ||
		    !vjob_provider(v, name)) {
			v->link++;
			continue;
		}
		struct vcall *c = &v->call;
		vcall_reset(c);
		c->provider = xstrdup(name);
		c->width = p->w;
		c->height = p->h;
		if (is_stock(name)) {
			c->kind = VCALL_STOCK;
			c->video = stock_video(cfg, v->sub);
			c->text = scene_query(v, v->sub);
			c->cache_dir = xasprintf("%s/cache", v->env->paths->data_dir);
			c->credits = vjob_path(v, "credits.txt");
		} else {
			c->kind = VCALL_IMAGE;
			c->text = scene_prompt(v, v->sub);
			if (generated_reuse(v, v->sub, name, c->text)) {
				v->sub++;
				v->link = 0;
				continue;
			}
			const struct provider_config *pc =
			    strcmp(name, "sdwebui") == 0 ? &cfg->sdwebui : &cfg->openai;
			/* [openai] model is the chat model; images use the service's */
			if (strcmp(name, "sdwebui") == 0 && pc->model && *pc->model)
				c->model = xstrdup(pc->model);
			c->path = vjob_path(v, "visuals/%03d.%s.png", vjob_num(v->sub), name);
		}
		vcall_step(c, cmd);
		v->cmd_kind = STEP_ONLINE;
		cmd->weight_start = W_ONLINE * v->sub / v->n;
		cmd->weight_len = W_ONLINE / v->n;
		return TASK_RUN;
	}
	return VSTAGE_DONE;
}

static int online_done(struct vjob *v, struct aura_error *err)
{
	struct vcall *c = &v->call;
	int i = v->sub;
	if (c->out.code == 0) {
		const char *path = c->kind == VCALL_STOCK ? c->out.path : c->path;
		if (c->kind == VCALL_IMAGE) {
			char *note = xasprintf("visuals/%03d.%s.prompt", vjob_num(i), c->provider);
			int rc = vjob_write(v, note, c->text, err);
			free(note);
			if (rc < 0)
				return rc;
		}
		use_source(v, i, path);
		vjob_log(v, "visuals: scene %d from %s%s", vjob_num(i), c->provider,
			 c->out.cached ? " (cached)" : "");
		v->sub++;
		v->link = 0;
		return 0;
	}
	v->failed |= 1u << v->link;
	char *why = vcall_failure(c);
	vjob_warn(v, c->out.code, "visuals, scene %d: %s; using %s", vjob_num(i), why,
		  next_visual(v, v->link));
	free(why);
	v->link++;
	return 0;
}

/* --- the stage -------------------------------------------------------------------- */

static int visuals_next(struct vjob *v, struct task_cmd *cmd, struct aura_error *err)
{
	struct ffargs a;
	ffargs_init(&a);
	int rc;
	if (v->step == STEP_ONLINE && v->sub == 0 && v->link == 0 && !v->failed) {
		if ((rc = vjob_mkdir(v, "visuals", err)) < 0)
			return rc;
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
		if (online_walk(v, cmd) == TASK_RUN)
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
			if (s->kind == VIS_CLIP && s->stock_clip && s->clip_us == 0) {
				probe_cmd(v, v->sub, cmd, &a);
				v->cmd_kind = STEP_PROBE;
			} else if (wants_loop(v, v->sub)) {
				loop_cmd(v, v->sub, cmd, &a);
				v->cmd_kind = STEP_LOOP;
			} else {
				image_cmd(v, v->sub, cmd, &a);
				v->cmd_kind = STEP_IMAGES;
			}
			cmd->weight_start = w0 + (W_IMAGES - w0) * v->sub / v->n;
			cmd->weight_len = (W_IMAGES - w0) / v->n;
			cmd->argv = ffargs_steal(&a);
			return TASK_RUN;
		}
		v->step = STEP_CARDS;
	}
	if (v->step == STEP_CARDS) {
		v->step = STEP_FINISH;
		rc = cards_cmd(v, cmd, &a, err);
		if (rc < 0) {
			ffargs_free(&a);
			return rc;
		}
		if (rc > 0) {
			v->cmd_kind = STEP_CARDS;
			cmd->weight_start = W_IMAGES;
			cmd->weight_len = W_CARDS;
			cmd->argv = ffargs_steal(&a);
			return TASK_RUN;
		}
		ffargs_free(&a);
	}
	rc = write_index(v, err);
	return rc < 0 ? rc : VSTAGE_DONE;
}

static int visuals_done(struct vjob *v, int status, const char *out, size_t out_len,
			const char *tail, struct aura_error *err)
{
	if (v->cmd_kind == STEP_ONLINE)
		return online_done(v, err);
	if (v->cmd_kind == STEP_PROBE) {
		/* unknown: looped from its start without a crossfade */
		int64_t us = WIFEXITED(status) && WEXITSTATUS(status) == 0
				 ? probe_duration_us(out, out_len)
				 : 0;
		v->scenes[v->sub].clip_us = us > 0 ? us : -1;
		return 0;
	}
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
			vjob_warn(v, AURA_E_IMAGE_UNUSABLE, "scene %d: %s", vjob_num(v->sub),
				  e.detail);
			set_card(&v->scenes[v->sub], v->sub);
			free(v->scenes[v->sub].source);
			v->scenes[v->sub].source = NULL;
		}
		v->sub++;
		return 0;
	}
	return vjob_ffmpeg_result(status, tail, "drawing the cards", err);
}

const struct stage_ops stage_visuals_ops = {
	.name = "visuals",
	.ready = visuals_ready,
	.next = visuals_next,
	.done = visuals_done,
};
