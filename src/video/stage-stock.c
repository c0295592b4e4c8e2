/*
 * stage-stock.c -- the online half of the visuals stage: the [providers]
 * visuals chain walked scene by scene (stock clips or photos from pexels
 * and pixabay, pictures from sdwebui and openai), and what a stock clip
 * needs before its cut: its length (ffprobe), more clips when it is
 * shorter than its scene, the join, the seamless loop, and a photo in its
 * place when it is unusable.
 *
 * A scene's clips: the first hit of its query, then the next hits of the
 * same query (each its own search and download, cached by query and hit
 * number, credited) until their length joined with 0.5 s crossfades
 * covers the scene, at most VSTOCK_CLIPS_MAX. Only when the search has no
 * more hits (or the next one fails) is what there is looped with a
 * crossfade. A clip that fails (HTTP, a bad file) gives way to a photo
 * from the same site, then to the rest of the chain, with a warning.
 *
 * Must never: put a path into a filtergraph (clips are inputs, -i), or
 * fail the job for one bad clip.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "base/conf.h"
#include "video/stage-visuals.h"
#include "base/util.h"

#define LOOP_XFADE_US ((int64_t)XFADE_FRAMES * 1000000 / VIDEO_FPS)
/* Clips joined cover a scene with this to spare: a container's length
 * (what ffprobe reads) may exceed its picture's by a few frames. */
#define COVER_MARGIN_US 500000

void vstock_reset(struct vstock *s, int scene)
{
	for (int k = 0; k < s->n; k++)
		free(s->clip[k]);
	memset(s, 0, sizeof(*s));
	s->scene = scene;
}

/* --- the chain walk ---------------------------------------------------------------- */

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
	s->stock_link = v->link;
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

int visuals_online_walk(struct vjob *v, struct task_cmd *cmd)
{
	const struct aura_config *cfg = v->env->cfg;
	const struct preset *p = v->spec.preset;
	while (v->sub < v->n) {
		const char *name = v->link < v->chain.n ? v->chain.names[v->link] : "generated";
		if (strcmp(name, "generated") == 0 || v->scenes[v->sub].source) {
			v->sub++; /* a card, or the document's picture */
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
			c->video = stock_video(cfg, v->sub) && !v->stock.photo;
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

int visuals_online_done(struct vjob *v, struct aura_error *err)
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
		v->stock.photo = false;
		return 0;
	}
	char *why = vcall_failure(c);
	if (c->kind == VCALL_STOCK && c->video) {
		/* the clip failed: a photo from the same site before the chain */
		vjob_warn(v, c->out.code, "visuals, scene %d: %s (a clip); using a %s photo",
			  vjob_num(i), why, c->provider);
		free(why);
		v->stock.photo = true;
		return 0;
	}
	v->stock.photo = false;
	v->failed |= 1u << v->link;
	vjob_warn(v, c->out.code, "visuals, scene %d: %s; using %s", vjob_num(i), why,
		  next_visual(v, v->link));
	free(why);
	v->link++;
	return 0;
}

/* --- a scene's clips ------------------------------------------------------------- */

static int64_t need_us(const struct vjob *v, int i)
{
	return (int64_t)visuals_clip_frames(v, i) * 1000000 / VIDEO_FPS;
}

/* The length of the clips joined: each crossfade takes LOOP_XFADE_US. */
static int64_t joined_us(const struct vstock *st)
{
	int64_t t = 0;
	for (int k = 0; k < st->n; k++)
		t += st->us[k] > 0 ? st->us[k] : 0;
	return t - (st->n > 1 ? (st->n - 1) * LOOP_XFADE_US : 0);
}

char *visuals_clip_input(const struct vjob *v, int i)
{
	if (v->scenes[i].joined)
		return vjob_path(v, "visuals/%03d.join.mp4", vjob_num(i));
	return xstrdup(v->scenes[i].source);
}

/* A clip's width and height from ffprobe's JSON (its first video stream). */
static void probe_size(const char *json, size_t len, int *w, int *h)
{
	json_error_t jerr;
	json_t *root = json ? json_loadb(json, len, 0, &jerr) : NULL;
	json_t *st = json_array_get(json_object_get(root, "streams"), 0);
	json_int_t x = json_integer_value(json_object_get(st, "width"));
	json_int_t y = json_integer_value(json_object_get(st, "height"));
	if (x > 0 && y > 0 && x < 100000 && y < 100000) {
		*w = (int)x;
		*h = (int)y;
	}
	json_decref(root);
}

/*
 * The size the clips of scene i are joined and looped at: the preset's
 * frame scaled down as far as the most detailed clip allows (the render
 * scales it up again, so no detail of any clip is lost): 320x180 clips
 * make 320x180 intermediates for a 1280x720 video, a 720p clip keeps
 * 1280x720. Unknown sizes: the preset's.
 */
static void inter_size(const struct vjob *v, int i, int *w, int *h)
{
	const struct preset *p = v->spec.preset;
	const struct vstock *st = &v->stock;
	double f = 0;
	for (int k = 0; k < st->n && st->scene == i; k++) {
		if (st->w[k] <= 0 || st->h[k] <= 0) {
			f = 1;
			break;
		}
		/* the cover scale of clip k, inverted: how much of the frame's
		 * resolution it fills */
		double sx = (double)p->w / st->w[k], sy = (double)p->h / st->h[k];
		double k_f = 1 / (sx > sy ? sx : sy);
		if (k_f > f)
			f = k_f;
	}
	if (f <= 0 || f > 1)
		f = 1;
	*w = ((int)(p->w * f + 0.5) + 1) & ~1;
	*h = ((int)(p->h * f + 0.5) + 1) & ~1;
	if (*w > p->w)
		*w = p->w;
	if (*h > p->h)
		*h = p->h;
	if (*w < 16 || *h < 16) {
		*w = p->w;
		*h = p->h;
	}
}

/* A stock clip (or the clips joined) shorter than its scene, long enough to
 * crossfade, becomes a seamless loop first: its part after the first
 * crossfade's length, fading at its end into its own start. Looped, it
 * never jumps or freezes. */
bool visuals_wants_loop(const struct vjob *v, int i)
{
	const struct vscene *s = &v->scenes[i];
	return s->kind == VIS_CLIP && s->stock_clip && !s->looped &&
	       s->clip_us > 2 * LOOP_XFADE_US && s->clip_us < need_us(v, i);
}

void visuals_loop_cmd(struct vjob *v, int i, struct task_cmd *cmd, struct ffargs *a)
{
	struct vscene *s = &v->scenes[i];
	int w, h;
	inter_size(v, i, &w, &h);
	char *cover = visuals_cover_to(w, h);
	char *in = visuals_clip_input(v, i);
	double x = LOOP_XFADE_US / 1e6, d = s->clip_us / 1e6;
	ffargs_addv(a, "ffmpeg", "-y", "-i", in, "-an", "-sn", "-dn", "-filter_complex");
	ffargs_addf(
	    a,
	    "[0:v]%s,fps=%d,format=yuv420p,setpts=PTS-STARTPTS,split[a][b];"
	    "[a]trim=start=%.3f,setpts=PTS-STARTPTS[a2];[b]trim=end=%.3f,setpts=PTS-STARTPTS[b2];"
	    "[a2][b2]xfade=transition=fade:duration=%.3f:offset=%.3f[v]",
	    cover, VIDEO_FPS, x, x, x, d - 2 * x);
	ffargs_addv(a, "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-f",
		    "mp4");
	ffargs_addf(a, "visuals/%03d.loop.mp4", vjob_num(i));
	cmd->duration_us = s->clip_us - LOOP_XFADE_US;
	cmd->ffmpeg = true;
	free(in);
	free(cover);
}

static void probe_cmd(const char *path, struct task_cmd *cmd, struct ffargs *a)
{
	ffargs_addv(a, "ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
		    "stream=width,height:format=duration", "-of", "json", path);
	cmd->capture_stdout = true;
}

static bool covered(const struct vjob *v, int i)
{
	return joined_us(&v->stock) >= need_us(v, i) + COVER_MARGIN_US;
}

/* The clips one after the other, each crossfading into the next, at the
 * preset's size: when they cover the scene, cut to it as its visual
 * (visuals/NNN.mp4, no second encoding); else visuals/NNN.join.mp4, to be
 * looped. */
static void join_cmd(struct vjob *v, int i, struct task_cmd *cmd, struct ffargs *a)
{
	const struct vstock *st = &v->stock;
	int w, h;
	inter_size(v, i, &w, &h);
	char *cover = visuals_cover_to(w, h);
	double x = LOOP_XFADE_US / 1e6, off = 0;
	int64_t len = covered(v, i) ? need_us(v, i) : joined_us(st);
	int frames = covered(v, i) ? visuals_clip_frames(v, i) : (int)(len * VIDEO_FPS / 1000000);
	struct buf g;
	buf_init(&g);
	ffargs_addv(a, "ffmpeg", "-y");
	for (int k = 0; k < st->n; k++) {
		ffargs_addv(a, "-i", st->clip[k]);
		buf_printf(&g, "%s[%d:v]%s,fps=%d,format=yuv420p,setpts=PTS-STARTPTS[c%d]",
			   k ? ";" : "", k, cover, VIDEO_FPS, k);
	}
	for (int k = 1; k < st->n; k++) {
		off += st->us[k - 1] / 1e6 - x;
		buf_printf(&g, ";[%s%d][c%d]xfade=transition=fade:duration=%.3f:offset=%.3f[j%d]",
			   k == 1 ? "c" : "j", k - 1, k, x, off, k);
	}
	ffargs_addv(a, "-an", "-sn", "-dn", "-filter_complex", g.data);
	ffargs_add(a, "-map");
	ffargs_addf(a, "[j%d]", st->n - 1);
	ffargs_add(a, "-frames:v");
	ffargs_addf(a, "%d", frames);
	ffargs_addv(a, "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-f", "mp4");
	if (covered(v, i))
		ffargs_add(a, v->scenes[i].visual);
	else
		ffargs_addf(a, "visuals/%03d.join.mp4", vjob_num(i));
	cmd->duration_us = len;
	cmd->ffmpeg = true;
	buf_free(&g);
	free(cover);
}

/* A stock request for scene i from the site its clip came from: the next
 * clip of its query, or a photo. */
static void stock_call(struct vjob *v, int i, bool video, int index, struct task_cmd *cmd)
{
	struct vcall *c = &v->call;
	const struct preset *p = v->spec.preset;
	vcall_reset(c);
	c->provider = xstrdup(v->chain.names[v->scenes[i].stock_link]);
	c->kind = VCALL_STOCK;
	c->video = video;
	c->index = index;
	c->width = p->w;
	c->height = p->h;
	c->text = scene_query(v, i);
	c->cache_dir = xasprintf("%s/cache", v->env->paths->data_dir);
	c->credits = vjob_path(v, "credits.txt");
	vcall_step(c, cmd);
}

/* visuals/NNN.clips.txt: the stock clips scene i shows, one a line. */
static int write_list(struct vjob *v, int i, struct aura_error *err)
{
	struct buf b;
	buf_init(&b);
	for (int k = 0; k < v->stock.n; k++)
		buf_printf(&b, "%s\n", v->stock.clip[k]);
	char *rel = xasprintf("visuals/%03d.clips.txt", vjob_num(i));
	int rc = vjob_write(v, rel, b.data ? b.data : "", err);
	free(rel);
	buf_free(&b);
	v->stock.listed = true;
	return rc;
}

bool visuals_stock_next(struct vjob *v, struct task_cmd *cmd, struct ffargs *a,
			struct aura_error *err)
{
	int i = v->sub;
	struct vscene *s = &v->scenes[i];
	struct vstock *st = &v->stock;
	if (st->scene != i) {
		vstock_reset(st, i);
		st->clip[st->n++] = xstrdup(s->source);
		s->clip_us = 0;
		s->joined = s->looped = false;
	}
	if (st->photo) {
		stock_call(v, i, false, 0, cmd);
		v->cmd_kind = STEP_PHOTO;
		return true;
	}
	if (s->kind != VIS_CLIP || !s->stock_clip || s->clip_us != 0 || s->joined) {
		if (!st->listed && s->kind == VIS_CLIP && s->stock_clip)
			(void)write_list(v, i, err); /* a note for people and tests */
		return false;
	}
	if (st->probed < st->n) {
		probe_cmd(st->clip[st->probed], cmd, a);
		v->cmd_kind = STEP_PROBE;
		return true;
	}
	if (!st->no_more && st->n < VSTOCK_CLIPS_MAX && !covered(v, i)) {
		stock_call(v, i, true, st->n, cmd);
		v->cmd_kind = STEP_MORE;
		return true;
	}
	if (st->n > 1) {
		join_cmd(v, i, cmd, a);
		v->cmd_kind = STEP_JOIN;
		return true;
	}
	s->clip_us = st->us[0];
	(void)write_list(v, i, err);
	return false;
}

bool visuals_stock_unusable(struct vjob *v, const char *detail)
{
	int i = v->sub;
	struct vscene *s = &v->scenes[i];
	if (!s->stock_clip || v->stock.scene != i || s->stock_link >= v->chain.n)
		return false;
	vjob_warn(v, AURA_E_IMAGE_UNUSABLE, "scene %d: %s; using a %s photo", vjob_num(i), detail,
		  v->chain.names[s->stock_link]);
	s->stock_clip = false;
	v->stock.photo = true;
	return true;
}

static int probe_done(struct vjob *v, int status, const char *out, size_t out_len)
{
	struct vstock *st = &v->stock;
	int i = v->sub, k = st->probed++;
	/* unknown: looped from its start without a crossfade */
	int64_t us =
	    WIFEXITED(status) && WEXITSTATUS(status) == 0 ? probe_duration_us(out, out_len) : 0;
	st->us[k] = us > 0 ? us : -1;
	st->w[k] = st->h[k] = 0;
	if (us > 0)
		probe_size(out, out_len, &st->w[k], &st->h[k]);
	if (k == 0 && us <= 2 * LOOP_XFADE_US) {
		st->no_more = true; /* too short (or unknown) to crossfade: looped */
	} else if (k > 0 && us <= 2 * LOOP_XFADE_US) {
		vjob_log(v, "visuals: scene %d: clip %d is too short or unreadable; not joined",
			 vjob_num(i), k + 1);
		free(st->clip[k]);
		st->n = k;
		st->probed = k;
		st->no_more = true;
	}
	return 0;
}

static int more_done(struct vjob *v)
{
	struct vcall *c = &v->call;
	struct vstock *st = &v->stock;
	int i = v->sub;
	if (c->out.code == 0) {
		st->clip[st->n++] = xstrdup(c->out.path);
		vjob_log(v, "visuals: scene %d: clip %d from %s%s", vjob_num(i), st->n, c->provider,
			 c->out.cached ? " (cached)" : "");
		return 0;
	}
	st->no_more = true;
	if (c->out.no_more) {
		vjob_log(v, "visuals: scene %d: %s has no more clips for it; %s", vjob_num(i),
			 c->provider, st->n > 1 ? "joined and looped" : "looped");
	} else {
		char *why = vcall_failure(c);
		vjob_warn(v, c->out.code, "visuals, scene %d: clip %d: %s; the clips so far are %s",
			  vjob_num(i), st->n + 1, why, st->n > 1 ? "joined and looped" : "looped");
		free(why);
	}
	return 0;
}

static int join_done(struct vjob *v, int status, const char *tail, struct aura_error *err)
{
	struct vscene *s = &v->scenes[v->sub];
	struct vstock *st = &v->stock;
	struct aura_error e = { 0 };
	int rc = vjob_ffmpeg_result(status, tail, "joining the clips", &e);
	if (rc < 0 && e.code == AURA_E_DISK_FULL) {
		if (err)
			*err = e;
		return rc;
	}
	if (rc < 0) {
		vjob_log(
		    v, "visuals: scene %d: the clips could not be joined (%s); the first is looped",
		    vjob_num(v->sub), e.detail);
		for (int k = 1; k < st->n; k++)
			free(st->clip[k]);
		st->n = st->probed = 1;
		s->clip_us = st->us[0];
		return 0;
	}
	s->joined = true;
	s->clip_us = joined_us(st);
	vjob_log(v, "visuals: scene %d: %d clips joined", vjob_num(v->sub), st->n);
	if (covered(v, v->sub)) { /* the scene's visual is made */
		rc = write_list(v, v->sub, err);
		v->sub++;
		return rc < 0 ? rc : 0;
	}
	return 0;
}

static int photo_done(struct vjob *v)
{
	struct vcall *c = &v->call;
	int i = v->sub;
	v->stock.photo = false;
	if (c->out.code == 0) {
		int link = v->scenes[i].stock_link;
		int saved = v->link;
		v->link = link;
		use_source(v, i, c->out.path);
		v->link = saved;
		vjob_log(v, "visuals: scene %d: a photo from %s%s", vjob_num(i), c->provider,
			 c->out.cached ? " (cached)" : "");
		return 0;
	}
	char *why = vcall_failure(c);
	vjob_warn(v, c->out.code, "visuals, scene %d: %s; using a card", vjob_num(i), why);
	free(why);
	free(v->scenes[i].source);
	v->scenes[i].source = NULL;
	visuals_set_card(&v->scenes[i], i);
	return 0;
}

int visuals_stock_done(struct vjob *v, int status, const char *out, size_t out_len,
		       const char *tail, struct aura_error *err)
{
	switch (v->cmd_kind) {
	case STEP_PROBE:
		return probe_done(v, status, out, out_len);
	case STEP_MORE:
		return more_done(v);
	case STEP_JOIN:
		return join_done(v, status, tail, err);
	case STEP_PHOTO:
		return photo_done(v);
	default:
		return 0;
	}
}
