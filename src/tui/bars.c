/*
 * bars.c -- the two one-line panes: the status bar (server connection,
 * job counts by state, the online providers' health when any is
 * configured, FFmpeg's health) at the top, and at the bottom the
 * message line (the outcome of the last action, until the next key) or,
 * when there is no message, the key hints: htop's F-key bar, then the
 * letters of the actions without an F-key. In the compact layout the
 * bottom pane has two lines: the selected job's progress (or the
 * message), then the F-key bar.
 *
 * Must never: show a clock or anything else that changes by itself (the
 * status bar is redrawn only when what it shows changed).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/format.h"
#include "client/proto.h"
#include "tui/ui.h"

/* ---- the providers' part: "providers: openai ok 120ms · pexels AUTH" ---------- */

/* The compact forms, tried in order until one fits. */
enum prov_form { PF_FULL, PF_SHORT, PF_SUMMARY };

static void prov_verdict(const struct ui_provider *pv, enum prov_form f, char *out, size_t n)
{
	if (pv->state == 1 && f == PF_FULL && pv->latency_ms >= 1000)
		snprintf(out, n, "ok %.1fs", (double)pv->latency_ms / 1000.0);
	else if (pv->state == 1 && f == PF_FULL && pv->latency_ms >= 0)
		snprintf(out, n, "ok %lldms", (long long)pv->latency_ms);
	else if (pv->state == 1)
		snprintf(out, n, "ok");
	else if (pv->state == 2)
		/* PROVIDER_AUTH -> AUTH: the bar is narrow, the prefix is implied */
		snprintf(out, n, "%s",
			 str_starts_with(pv->code, "PROVIDER_") ? pv->code + 9
			 : pv->code[0]				? pv->code
								: "failing");
	else
		snprintf(out, n, "?");
}

/* One piece of the providers' part: drawn at x (w set) or only measured. */
static int prov_put(struct tui *t, WINDOW *w, int x, const char *s, attr_t a)
{
	return w ? ui_text(t, w, 0, x, s, 1000, a, false) : ui_width(t, s);
}

/*
 * Draw (or, with w NULL, only measure) the providers' part in form f at
 * (0, x); returns its width. Names in the bar's colours, verdicts green
 * (ok) or red (failing); without colours the words alone tell.
 */
static int prov_draw(struct tui *t, WINDOW *w, int x, enum prov_form f)
{
	attr_t bar = ui_attr(t, ST_BAR);
	attr_t ok = t->color ? ui_attr(t, ST_OK) | A_REVERSE : bar;
	attr_t bad = ui_attr(t, ST_ERROR) | A_REVERSE;
	const char *sep = t->utf8 ? " · " : ", ";
	int x0 = x;
	char v[64];

	if (f == PF_SUMMARY) {
		int nok = 0, nbad = 0;
		for (int i = 0; i < t->n_prov; i++) {
			nok += t->prov[i].state == 1;
			nbad += t->prov[i].state == 2;
		}
		x += prov_put(t, w, x, "providers ", bar);
		snprintf(v, sizeof(v), "%d ok", nok);
		x += prov_put(t, w, x, v, nok ? ok : bar);
		if (nbad) {
			x += prov_put(t, w, x, sep, bar);
			snprintf(v, sizeof(v), "%d failing", nbad);
			x += prov_put(t, w, x, v, bad);
		}
		return x - x0;
	}
	if (f == PF_FULL)
		x += prov_put(t, w, x, "providers: ", bar);
	for (int i = 0; i < t->n_prov; i++) {
		const struct ui_provider *pv = &t->prov[i];
		if (i)
			x += prov_put(t, w, x, sep, bar);
		x += prov_put(t, w, x, pv->name, bar);
		x += prov_put(t, w, x, " ", bar);
		prov_verdict(pv, f, v, sizeof(v));
		x += prov_put(t, w, x, v, pv->state == 1 ? ok : pv->state == 2 ? bad : bar);
	}
	return x - x0;
}

static void status_draw(struct tui *t, struct pane *p)
{
	WINDOW *w = p->win;
	attr_t bar = ui_attr(t, ST_BAR);
	ui_fill(w, 0, 0, p->w, bar);
	int x = 1;
	x += ui_text(t, w, 0, x, "aura", 4, bar | A_BOLD, false) + 2;

	char *s;
	attr_t ca;
	if (t->conn == CONN_UP && t->store_msg[0]) {
		s = xasprintf("%s connected, %s", t->utf8 ? "●" : "*", t->store_msg);
		ca = ui_attr(t, ST_ERROR) | A_REVERSE | A_BOLD;
	} else if (t->conn == CONN_UP) {
		s = xasprintf("%s connected", t->utf8 ? "●" : "*");
		ca = bar;
	} else {
		s = xasprintf("%s disconnected: %s; reconnecting every %ds (try %d)",
			      t->utf8 ? "✕" : "x",
			      t->conn_why[0] ? t->conn_why : "server went away",
			      (t->backoff_ms + 999) / 1000, t->retries + 1);
		ca = bar | A_BOLD;
	}
	int hw = ui_width(t, t->ffhealth);
	int room = p->w - x - hw - 3;
	x += ui_text(t, w, 0, x, s, room, ca, false) + 2;
	free(s);

	/* Providers go left of FFmpeg's verdict, in the widest form that
	 * leaves the counts room for their first two entries. */
	if (t->n_prov > 0) {
		int keep = t->counts_known ? 22 : 0;
		enum prov_form pf = PF_FULL;
		while (pf < PF_SUMMARY && x + keep + prov_draw(t, NULL, 0, pf) + 2 + hw + 1 > p->w)
			pf++;
		int pw = prov_draw(t, NULL, 0, pf);
		/* not even the summary fits: the connection and counts matter more */
		if (x + pw + 2 + hw + 1 <= p->w) {
			prov_draw(t, w, p->w - 1 - hw - 2 - pw, pf);
			hw += pw + 2;
		}
	}

	if (t->counts_known && x < p->w - hw - 10) {
		static const enum job_state order[] = { JOB_RUNNING, JOB_QUEUED,    JOB_PAUSED,
							JOB_FAILED,  JOB_SUCCEEDED, JOB_CANCELLED };
		struct buf b;
		buf_init(&b);
		for (size_t i = 0; i < ARRAY_LEN(order); i++) {
			int64_t n = t->counts[order[i]];
			/* running and queued always; the rest when there are any */
			if (n == 0 && i > 1)
				continue;
			buf_printf(&b, "%s%lld %s", b.len ? (t->utf8 ? " · " : ", ") : "",
				   (long long)n, job_state_name(order[i]));
		}
		/* running/limit per pool, once there is more than one */
		if (t->pools[0])
			buf_printf(&b, "  [%s]", t->pools);
		ui_text(t, w, 0, x, b.data, p->w - x - hw - 3,
			t->conn == CONN_UP ? bar : bar | A_DIM, false);
		buf_free(&b);
	}
	attr_t ha = t->ffhealth_level == MSG_ERROR ? ui_attr(t, ST_ERROR) | A_REVERSE : bar;
	int fw = ui_width(t, t->ffhealth);
	ui_text(t, w, 0, p->w - 1 - fw, t->ffhealth, fw, ha, false);
}

/* The F-key bar, as htop's: the key, then its word (a short one below
 * 80 columns); keys of lower rank (a larger number) are left out first
 * when the bar does not fit. */
static const struct fkey {
	const char *key, *word, *brief;
	int rank;
} fkeys[] = {
	{ "F1", "Help", "Help", 0 },  { "F3", "Search", "Find", 4 }, { "F4", "Filter", "Filt", 3 },
	{ "F5", "Retry", "Rtry", 5 }, { "F6", "SortBy", "Sort", 2 }, { "F9", "Cancel", "Canc", 6 },
	{ "F10", "Quit", "Quit", 1 },
};

/* The letter hints after it, in order of use: the actions without an F-key. */
static const enum ui_action hints[] = {
	A_NEW, A_SUBMIT, A_PAUSE, A_DELETE, A_NEXT_PANE, A_DETAIL, A_FOLLOW, A_SHUTDOWN,
};

/* Draw the F-key bar on row y from x; returns the next free column. */
static int fkeys_draw(struct tui *t, WINDOW *w, int y, int x, int width)
{
	bool brief = width < UI_MIN_COLS;
	int rank_max = (int)ARRAY_LEN(fkeys);
	for (;; rank_max--) {
		int need = 0;
		for (size_t i = 0; i < ARRAY_LEN(fkeys); i++)
			if (fkeys[i].rank < rank_max)
				need += ui_width(t, fkeys[i].key) +
					ui_width(t, brief ? fkeys[i].brief : fkeys[i].word) + 1;
		if (x + need <= width || rank_max <= 1)
			break;
	}
	for (size_t i = 0; i < ARRAY_LEN(fkeys); i++) {
		if (fkeys[i].rank >= rank_max)
			continue;
		x += ui_text(t, w, y, x, fkeys[i].key, 4, ui_attr(t, ST_KEY), false);
		x += ui_text(t, w, y, x, brief ? fkeys[i].brief : fkeys[i].word, 8,
			     ui_attr(t, ST_BAR), false);
		x += 1;
	}
	return x;
}

static const char *hint_word(enum ui_action a)
{
	switch (a) {
	case A_HELP:
		return "help";
	case A_QUIT:
		return "quit";
	case A_NEW:
		return "new";
	case A_SUBMIT:
		return "ffmpeg";
	case A_CANCEL:
		return "cancel";
	case A_PAUSE:
		return "pause";
	case A_RETRY:
		return "retry";
	case A_DELETE:
		return "delete";
	case A_FILTER:
		return "filter";
	case A_STATE:
		return "state";
	case A_NEXT_PANE:
		return "pane";
	case A_DETAIL:
		return "detail";
	case A_FOLLOW:
		return "follow";
	case A_SHUTDOWN:
		return "stop server";
	default:
		return "";
	}
}

/* Compact layout: "#7 running ████···· 42% ETA 1m30s" for the selected job,
 * or why there is none; the list above shows the rest. */
static void progress_draw(struct tui *t, struct pane *p)
{
	WINDOW *w = p->win;
	attr_t bar = ui_attr(t, ST_BAR);
	ui_fill(w, 0, 0, p->w, bar);
	const struct job *j = jobview_selected(&t->v);
	if (t->conn != CONN_UP) {
		char *s = xasprintf("disconnected: %s",
				    t->conn_why[0] ? t->conn_why : "server went away");
		ui_text(t, w, 0, 1, s, p->w - 2, bar | A_BOLD, false);
		free(s);
		return;
	}
	if (!j) {
		ui_text(t, w, 0, 1, "no job selected  ? help  q quit", p->w - 2, bar, false);
		return;
	}
	char left[64], right[64], pct[16], eta[32] = "";
	snprintf(left, sizeof(left), "#%lld %s", (long long)j->id, job_state_name(j->state));
	fmt_percent(pct, sizeof(pct), j);
	if (j->state == JOB_RUNNING) {
		fmt_duration(eta, sizeof(eta), j->eta_s);
		snprintf(right, sizeof(right), "%s ETA %s", pct, eta);
	} else {
		snprintf(right, sizeof(right), "%s", pct);
	}
	int x = 1;
	x += ui_text(t, w, 0, x, left, p->w - 2, bar | A_BOLD, false) + 1;
	int rw = ui_width(t, right);
	int bw = p->w - 1 - x - rw - 1;
	if (bw >= 4) {
		double frac = j->state == JOB_SUCCEEDED ? 1.0 : j->progress;
		if (j->state == JOB_QUEUED)
			frac = 0;
		ui_bar(t, w, 0, x, bw, frac);
		x += bw + 1;
	}
	ui_text(t, w, 0, x, right, p->w - 1 - x, bar, false);
}

static void hint_draw(struct tui *t, struct pane *p)
{
	WINDOW *w = p->win;
	if (t->compact) {
		/* the progress line (or the message) above the F-key bar */
		if (!t->msg[0])
			progress_draw(t, p);
		ui_fill(w, 1, 0, p->w, A_NORMAL);
		fkeys_draw(t, w, 1, 1, p->w);
		if (!t->msg[0])
			return;
	}
	if (t->msg[0]) {
		attr_t a = t->msg_level == MSG_ERROR ? ui_attr(t, ST_ERROR)
			   : t->msg_level == MSG_OK  ? ui_attr(t, ST_OK)
						     : A_NORMAL;
		ui_fill(w, 0, 0, p->w, A_NORMAL);
		ui_text(t, w, 0, 1, t->msg, p->w - 2, a, false);
		return;
	}
	ui_fill(w, 0, 0, p->w, A_NORMAL);
	int x = fkeys_draw(t, w, 0, 1, p->w) + 1;
	for (size_t i = 0; i < ARRAY_LEN(hints); i++) {
		const char *k = keys_label(hints[i]);
		/* the first key of a label such as "j/Down" */
		char key[16];
		size_t n = k[0] ? strcspn(k + 1, "/ ") + 1 : 0;
		if (n >= sizeof(key))
			n = sizeof(key) - 1;
		memcpy(key, k, n);
		key[n] = '\0';
		const char *word = hint_word(hints[i]);
		int need = ui_width(t, key) + 1 + ui_width(t, word) + 2;
		if (x + need > p->w)
			break;
		x += ui_text(t, w, 0, x, key, 16, ui_attr(t, ST_KEY), false);
		x += 1;
		x += ui_text(t, w, 0, x, word, 20, A_NORMAL, false);
		x += 2;
	}
}

const struct pane_ops pane_status_ops = {
	.name = "status",
	.draw = status_draw,
	.key = NULL,
	.resize = NULL,
};

const struct pane_ops pane_hint_ops = {
	.name = "hints",
	.draw = hint_draw,
	.key = NULL,
	.resize = NULL,
};

/* Running/limit per pool for the header, when there is more than the
 * local pool or one is paused (`aura pool NAME --pause`). */
void bars_pools_text(struct tui *t, json_t *pools)
{
	struct buf b;
	buf_init(&b);
	size_t i;
	json_t *p;
	bool show = json_array_size(pools) > 1;
	json_array_foreach(pools, i, p) show |= json_is_true(json_object_get(p, "paused"));
	if (show)
		json_array_foreach(pools, i, p)
		{
			const char *name = json_string_value(json_object_get(p, "name"));
			buf_printf(&b, "%s%s %lld/%lld%s", i ? (t->utf8 ? " · " : ", ") : "",
				   name ? name : "?", (long long)proto_get_int(p, "running", 0),
				   (long long)proto_get_int(p, "max_jobs", 0),
				   json_is_true(json_object_get(p, "paused")) ? " paused" : "");
		}
	str_copy(t->pools, b.data ? b.data : "", sizeof(t->pools));
	buf_free(&b);
	if (json_is_array(pools)) {
		json_decref(t->pool_list);
		t->pool_list = json_incref(pools);
	}
}
