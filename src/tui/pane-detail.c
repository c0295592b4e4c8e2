/*
 * pane-detail.c -- the selected job in full: state and attempts, stage
 * list with each stage's state, progress with fps, speed, out_time /
 * duration and ETA while it runs (a finished job: its media's duration
 * and size, no rate), output path, and on failure the error code, message
 * and the catalogue's hint, then the tail of FFmpeg's stderr. Scrolls
 * when it has the focus.
 *
 * Must never: fetch (conn.c loads the detail once the selection rests),
 * or show another job's stages under this job's title.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client/format.h"
#include "tui/ui.h"

#define LABEL_W 9

/* A line writer that skips the lines scrolled away and stops at the
 * bottom, so the content can be written top to bottom without sizes. */
struct out {
	struct tui *t;
	struct pane *p;
	int line; /* content line number */
	int y;	  /* next screen row */
};

static bool room(struct out *o)
{
	return o->y < o->p->h;
}

/* Take the next content line: true if it is on screen (o->y is its row). */
static bool next_line(struct out *o)
{
	bool on = o->line >= o->p->scroll && room(o);
	o->line++;
	return on;
}

static void advance(struct out *o, bool on)
{
	if (on)
		o->y++;
}

/* "Label    text", the text wrapped under itself when it is long. */
static void field(struct out *o, const char *label, const char *text, attr_t a)
{
	int tw = o->p->w - 2 - LABEL_W;
	if (tw < 8)
		tw = 8;
	const char *s = text ? text : "-";
	bool first = true;
	do {
		/* the longest prefix that fits in tw columns */
		size_t cut = 0, n = strlen(s);
		int cols = 0;
		while (cut < n) {
			size_t step = 1;
			while (cut + step < n && ((unsigned char)s[cut + step] & 0xC0) == 0x80)
				step++;
			char one[8] = { 0 };
			memcpy(one, s + cut, step < 7 ? step : 7);
			int cw = ui_width(o->t, one);
			if (cols + cw > tw || s[cut] == '\n')
				break;
			cols += cw;
			cut += step;
		}
		/* break at the last blank that fits, when there is one */
		if (cut < n && s[cut] != ' ' && s[cut] != '\n') {
			size_t b = cut;
			while (b > 0 && s[b - 1] != ' ')
				b--;
			if (b > 0)
				cut = b;
		}
		bool on = next_line(o);
		if (on) {
			if (first)
				ui_text(o->t, o->p->win, o->y, 1, label, LABEL_W,
					ui_attr(o->t, ST_DIM), false);
			char *chunk = xstrndup(s, cut);
			ui_text(o->t, o->p->win, o->y, 1 + LABEL_W, chunk, tw, a, false);
			free(chunk);
		}
		advance(o, on);
		first = false;
		s += cut;
		if (*s == '\n')
			s++;
		while (*s == ' ')
			s++; /* a continuation starts at a word */
		if (cut == 0 && *s)
			s++; /* a character wider than the field: skip it */
	} while (*s && room(o));
}

static void fieldf(struct out *o, const char *label, attr_t a, const char *fmt, ...)
    AURA_PRINTF(4, 5);
static void fieldf(struct out *o, const char *label, attr_t a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	field(o, label, s, a);
	free(s);
}

/* The job's warnings (a JSON array of {code, message}, or plain strings):
 * a provider that failed and what was used instead, a file skipped. The
 * newest WARN_SHOWN are shown; the log pane has them all. */
#define WARN_SHOWN 4
static void draw_warnings(struct out *o, const char *text)
{
	if (!text || !*text)
		return;
	json_t *a = json_loads(text, JSON_DECODE_ANY, NULL);
	size_t n = json_is_array(a) ? json_array_size(a) : 0;
	attr_t w = ui_attr(o->t, ST_WARN);
	if (!json_is_array(a))
		field(o, "Warning", text, w);
	for (size_t i = n > WARN_SHOWN ? n - WARN_SHOWN : 0; i < n; i++) {
		json_t *e = json_array_get(a, i);
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *msg = json_is_string(e)
				      ? json_string_value(e)
				      : json_string_value(json_object_get(e, "message"));
		if (code)
			fieldf(o, "Warning", w, "%s: %s", code, msg ? msg : "");
		else
			field(o, "Warning", msg ? msg : "?", w);
	}
	if (n > WARN_SHOWN)
		fieldf(o, "", A_DIM, "(%zu more in the log)", n - WARN_SHOWN);
	json_decref(a);
}

static const char *stage_mark(const struct tui *t, enum stage_state s)
{
	switch (s) {
	case STAGE_DONE:
		return t->utf8 ? "✓" : "+";
	case STAGE_RUNNING:
		return t->utf8 ? "▶" : ">";
	case STAGE_FAILED:
		return t->utf8 ? "✗" : "x";
	case STAGE_SKIPPED:
		return "-";
	default:
		return t->utf8 ? "·" : ".";
	}
}

static void draw_job(struct out *o, const struct job *j)
{
	struct tui *t = o->t;
	char a[64], b[64], c[64];

	if (j->state == JOB_RUNNING || j->state == JOB_QUEUED || j->state == JOB_PAUSED)
		fieldf(o, "State", ui_attr(t, ui_state_style((int)j->state)),
		       "%s  (attempt %d of %d)", job_state_name(j->state),
		       j->attempts > 0 ? j->attempts : 1,
		       j->max_attempts > 0 ? j->max_attempts : 1);
	else
		fieldf(o, "State", ui_attr(t, ui_state_style((int)j->state)), "%s  (%d attempt%s)",
		       job_state_name(j->state), j->attempts, j->attempts == 1 ? "" : "s");
	/* the pool once there is more than one (the header lists them), or
	 * when the job is outside local */
	bool pool = t->pools[0] || (j->pool && strcmp(j->pool, "local") != 0);
	fieldf(o, "Kind", A_NORMAL, "%s, priority %d%s%s", job_kind_name(j->kind), j->priority,
	       pool ? ", pool " : "", pool ? (j->pool ? j->pool : "local") : "");
	if (j->batch_id > 0 && t->batch_known && j->batch_id == t->v.filter.batch_id)
		fieldf(o, "Batch", A_NORMAL, "%lld \"%s\"", (long long)j->batch_id, t->batch_name);
	else if (j->batch_id > 0)
		fieldf(o, "Batch", A_NORMAL, "%lld", (long long)j->batch_id);
	if (j->substate)
		fieldf(o, "Waiting", ui_attr(t, ST_DIM), "%s%s%s", j->substate,
		       j->cluster_id ? ", Slurm job " : "", j->cluster_id ? j->cluster_id : "");
	else if (j->cluster_id)
		fieldf(o, "Cluster", A_NORMAL, "Slurm job %s", j->cluster_id);
	if (j->stage)
		field(o, "Stage", j->stage, A_NORMAL);
	draw_warnings(o, j->warnings); /* high up: the pane may be short */

	/* progress bar line */
	bool on = next_line(o);
	if (on) {
		ui_text(t, o->p->win, o->y, 1, "Progress", LABEL_W, ui_attr(t, ST_DIM), false);
		int bw = o->p->w - 2 - LABEL_W - 6;
		if (bw > 30)
			bw = 30;
		double frac = j->state == JOB_SUCCEEDED ? 1.0
			      : j->state == JOB_QUEUED	? 0
							: j->progress;
		ui_bar(t, o->p->win, o->y, 1 + LABEL_W, bw, frac);
		fmt_percent(a, sizeof(a), j);
		ui_text(t, o->p->win, o->y, 2 + LABEL_W + bw, a, 5, A_NORMAL, false);
	}
	advance(o, on);
	if (j->state == JOB_SUCCEEDED) {
		/* the media made, not the last command's clock, and no rate:
		 * a video's last step may be a short pass (as `show` says) */
		int64_t us = j->duration_us > 0 ? j->duration_us : j->out_time_us;
		if (us > 0)
			field(o, "Time", fmt_duration(a, sizeof(a), (double)us / 1e6), A_NORMAL);
	} else if (j->duration_us > 0 || j->out_time_us > 0) {
		fieldf(o, "Time", A_NORMAL, "%s / %s   ETA %s",
		       fmt_duration(a, sizeof(a), (double)j->out_time_us / 1e6),
		       j->duration_us > 0 ? fmt_duration(b, sizeof(b), (double)j->duration_us / 1e6)
					  : "?",
		       j->state == JOB_RUNNING ? fmt_duration(c, sizeof(c), j->eta_s) : "-");
	}
	if (j->state == JOB_RUNNING)
		fieldf(o, "Speed", A_NORMAL, "%.2fx   %.1f fps   %s", j->speed, j->fps,
		       fmt_size(a, sizeof(a), j->size));
	else if (j->size > 0)
		field(o, "Size", fmt_size(a, sizeof(a), j->size), A_NORMAL);
	field(o, "Output", j->output ? j->output : "(not known)", A_NORMAL);
	fieldf(o, "Created", A_NORMAL, "%s ago", fmt_age(a, sizeof(a), j->created_ms));
	if (j->finished_ms > 0 && j->started_ms > 0)
		fieldf(
		    o, "Took", A_NORMAL, "%s",
		    fmt_duration(a, sizeof(a), (double)(j->finished_ms - j->started_ms) / 1000.0));
	if (j->pid > 0)
		fieldf(o, "Pid", A_NORMAL, "%d", j->pid);
	if (j->pruned_ms > 0) /* doc/retention.md: the record stays, the folder went */
		fieldf(o, "Work dir", ui_attr(t, ST_DIM), "removed by retention %s ago",
		       fmt_age(a, sizeof(a), j->pruned_ms));

	if (j->error_code) {
		int code = aura_error_lookup(j->error_code);
		attr_t e = ui_attr(t, ST_ERROR);
		fieldf(o, "Error", e, "%s: %s", j->error_code,
		       code ? aura_error_message(code) : "(unknown code)");
		if (j->error_message && *j->error_message)
			field(o, "Detail", j->error_message, A_NORMAL);
		if (code)
			field(o, "Hint", aura_error_hint(code), ui_attr(t, ST_WARN));
	}
}

static void detail_draw(struct tui *t, struct pane *p)
{
	const struct job *sel = jobview_selected(&t->v);
	/* the held row has the live fields; the detail adds what `get` has */
	const struct job *d = t->detail_valid && sel && t->detail.id == sel->id ? &t->detail : NULL;
	const struct job *j = sel ? sel : (t->detail_valid ? &t->detail : NULL);
	char title[200];
	if (j)
		snprintf(title, sizeof(title), "Job #%lld  %s", (long long)j->id,
			 j->name ? j->name : "");
	else
		snprintf(title, sizeof(title), "Job");
	ui_title(t, p->win, p->w, title, NULL, t->focus == PANE_DETAIL);
	if (!j) {
		ui_text(t, p->win, 1, 1, "no job selected", p->w - 2, ui_attr(t, ST_DIM), false);
		return;
	}
	struct out o = { t, p, 0, 1 };
	draw_job(&o, j);
	if (d && t->n_stages > 0) {
		bool on = next_line(&o);
		if (on)
			ui_text(t, p->win, o.y, 1, "Stages", LABEL_W, ui_attr(t, ST_DIM), false);
		advance(&o, on);
		for (int i = 0; i < t->n_stages && room(&o); i++) {
			const struct stage *s = &t->stages[i];
			char line[160];
			snprintf(line, sizeof(line), "%s %-10s %-8s %3.0f%%",
				 stage_mark(t, s->state), s->name, stage_state_name(s->state),
				 s->state == STAGE_DONE ? 100.0 : s->progress * 100);
			attr_t a = s->state == STAGE_FAILED    ? ui_attr(t, ST_ERROR)
				   : s->state == STAGE_RUNNING ? ui_attr(t, ST_RUN)
				   : s->state == STAGE_DONE    ? ui_attr(t, ST_DONE)
							       : A_NORMAL;
			on = next_line(&o);
			if (on)
				ui_text(t, p->win, o.y, 3, line, p->w - 4, a, false);
			advance(&o, on);
		}
	}
	if (d && d->stderr_tail && *d->stderr_tail && j->state == JOB_FAILED) {
		bool on = next_line(&o);
		if (on)
			ui_text(t, p->win, o.y, 1, "FFmpeg said (last lines):", p->w - 2,
				ui_attr(t, ST_DIM), false);
		advance(&o, on);
		/* the last lines that fit */
		const char *s = d->stderr_tail;
		int lines = 0;
		for (const char *q = s; *q; q++)
			lines += *q == '\n';
		int skip = lines - (p->h - o.y) - 1;
		for (const char *q = s; *q && room(&o);) {
			const char *e = strchr(q, '\n');
			size_t n = e ? (size_t)(e - q) : strlen(q);
			if (skip-- <= 0) {
				char *ln = xstrndup(q, n);
				on = next_line(&o);
				if (on)
					ui_text(t, p->win, o.y, 2, ln, p->w - 3, A_NORMAL, false);
				advance(&o, on);
				free(ln);
			}
			q += n;
			if (*q == '\n')
				q++;
		}
	}
}

static int detail_key(struct tui *t, struct pane *p, enum ui_action a)
{
	int step = p->h > 2 ? p->h - 2 : 1;
	switch (a) {
	case A_DOWN:
		p->scroll++;
		break;
	case A_UP:
		p->scroll--;
		break;
	case A_PGDN:
		p->scroll += step;
		break;
	case A_PGUP:
		p->scroll -= step;
		break;
	case A_HOME:
		p->scroll = 0;
		break;
	case A_END:
		p->scroll += 1000;
		break;
	default:
		return UI_IGNORED;
	}
	if (p->scroll < 0)
		p->scroll = 0;
	if (p->scroll > 200)
		p->scroll = 200;
	ui_dirty(t, PANE_DETAIL);
	return UI_HANDLED;
}

const struct pane_ops pane_detail_ops = {
	.name = "detail",
	.draw = detail_draw,
	.key = detail_key,
	.resize = NULL,
};
