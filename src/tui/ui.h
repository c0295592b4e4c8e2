/*
 * ui.h -- what the files of src/tui share: the UI state (struct tui), the
 * panes and dialogs with their {draw, key, resize} ops tables, the key
 * actions (keys.c), drawing helpers (draw.c), the terminal (term.c), the
 * loop (run.c) and the server side of the UI (conn.c).
 *
 * The flow of one loop turn (run.c, on os/loop): signals, keys and server
 * events only change state and mark panes dirty (ui_dirty); then, in the
 * loop's before-sleep hook and at most 20 times a second, every dirty pane
 * is drawn and the screen updated once.
 *
 * Must never: be included outside src/tui/ (the only curses code), draw
 * from an event or key handler, or keep a pointer into the job view's rows
 * across a loop turn (a fetch replaces them).
 */
#ifndef AURA_TUI_UI_H
#define AURA_TUI_UI_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>
#include <stdbool.h>
#include <stdint.h>
#include <wchar.h>

#include "client/client.h"
#include "client/ctx.h"
#include "client/jobview.h"
#include "base/job.h"

struct loop;
struct proc;

/* The smallest screen the full layout is made for. */
#define UI_MIN_COLS 80
#define UI_MIN_ROWS 24
/* Down to this, the compact layout: the list and a progress line. */
#define UI_COMPACT_COLS 40
#define UI_COMPACT_ROWS 10
/* At most one frame per this many ms (20 per second). */
#define UI_FRAME_MS 50
/* Refetches caused by events are coalesced to at most one per this. */
#define UI_REFRESH_MS 50
/* The selection must rest this long before its log and stages load. */
#define UI_SETTLE_MS 80
/* Lines of the selected job's log kept. */
#define UI_LOG_LINES 5000

/* A key: a character, or a curses KEY_* code with UI_KEY_FN set. */
#define UI_KEY_FN  0x1000000
#define UI_FN(k)   (UI_KEY_FN | (k))
#define UI_CTRL(c) ((c)&0x1f)

/* ---- key actions (keys.c) ------------------------------------------------- */

#define UI_ACTIONS(X)                                                                              \
	X(DOWN, "j/Down", "move down (list) or scroll (log, detail)", 'j', UI_FN(KEY_DOWN), 0)     \
	X(UP, "k/Up", "move up, or scroll back", 'k', UI_FN(KEY_UP), 0)                            \
	X(PGDN, "PgDn", "one page down", UI_FN(KEY_NPAGE), UI_CTRL('f'), 0)                        \
	X(PGUP, "PgUp", "one page up", UI_FN(KEY_PPAGE), UI_CTRL('b'), 0)                          \
	X(HOME, "g", "first job, or the top of the log", 'g', UI_FN(KEY_HOME), 0)                  \
	X(END, "G", "last job, or the newest log line", 'G', UI_FN(KEY_END), 0)                    \
	X(NEXT_PANE, "Tab", "switch pane (list, detail, log)", '\t', 0, 0)                         \
	X(DETAIL, "Enter", "show or hide the detail pane", '\n', '\r', UI_FN(KEY_ENTER))           \
	X(NEW, "n", "new video: a form (topic, duration, preset...)", 'n', 0, 0)                   \
	X(SUBMIT, "s", "submit a raw FFmpeg command line", 's', 0, 0)                              \
	X(CANCEL, "c/F9", "cancel the selected job (asks y/N)", 'c', UI_FN(KEY_F(9)), 0)           \
	X(PAUSE, "p", "pause or resume the selected job", 'p', 0, 0)                               \
	X(RETRY, "r/F5", "retry the selected job", 'r', UI_FN(KEY_F(5)), 0)                        \
	X(DELETE, "d", "delete the selected job (asks y/N)", 'd', UI_FN(KEY_DC), 0)                \
	X(FILTER, "/ F3", "search: filter by text (name, output, #id)", '/', UI_FN(KEY_F(3)), 0)   \
	X(STATE, "f/F4", "filter by state", 'f', UI_FN(KEY_F(4)), 0)                               \
	X(BATCH, "b", "only the selected job's batch, or all jobs again", 'b', 0, 0)               \
	X(FOLLOW, "l", "log: follow the tail on or off", 'l', 0, 0)                                \
	X(WRAP, "w", "log: wrap long lines, or cut them (the default)", 'w', 0, 0)                 \
	X(SCROLL_LEFT, "Left", "log: scroll long lines back to the left", UI_FN(KEY_LEFT), 0, 0)   \
	X(SCROLL_RIGHT, "Right", "log: scroll long lines to the right", UI_FN(KEY_RIGHT), 0, 0)    \
	X(COMMAND, ":", "run an aura verb on the selected job (:retry, :priority 5)", ':', 0, 0)   \
	X(SORT, "F6", "sort by a column (a menu; the same column again inverts)", UI_FN(KEY_F(6)), \
	  0, 0)                                                                                    \
	X(SORT_LEFT, "<", "sort by the column left of the sorted one", '<', 0, 0)                  \
	X(SORT_RIGHT, ">", "sort by the column right of the sorted one", '>', 0, 0)                \
	X(SORT_INVERT, "I", "invert the sort order", 'I', 0, 0)                                    \
	X(MOUSE, "M", "mouse on or off (click a row or a header, wheel)", 'M', 0, 0)               \
	X(HELP, "?/F1", "this help", '?', UI_FN(KEY_F(1)), 0)                                      \
	X(REDRAW, "^L", "redraw the whole screen", UI_CTRL('l'), 0, 0)                             \
	X(QUIT, "q/F10", "quit the UI; jobs go on", 'q', UI_FN(KEY_F(10)), 0)                      \
	X(SHUTDOWN, "Q", "shut the server down (asks y/N), then quit", 'Q', 0, 0)

enum ui_action {
	A_NONE,
#define UI_ACTION_ENUM(name, keys, help, k1, k2, k3) A_##name,
	UI_ACTIONS(UI_ACTION_ENUM)
#undef UI_ACTION_ENUM
	    A__COUNT
};

int keys_action(int key);		  /* A_NONE if unbound */
const char *keys_label(enum ui_action a); /* "j/Down" */
const char *keys_help(enum ui_action a);  /* one line */

/* ---- handler results (htop's HandlerResult) ------------------------------- */

enum {
	UI_IGNORED = 0,
	UI_HANDLED = 1 << 0,
	UI_QUIT = 1 << 1,  /* leave the UI */
	UI_CLOSE = 1 << 2, /* close the dialog */
	UI_MOVED = 1 << 3, /* the list's selection or page moved */
};

/* ---- styles and drawing (draw.c) ------------------------------------------ */

enum ui_style {
	ST_NORMAL,
	ST_TITLE,	/* a pane's title line */
	ST_TITLE_FOCUS, /* the focused pane's title line */
	ST_HEADER,	/* column headers */
	ST_SEL,		/* the selected row */
	ST_DIM,
	ST_BAR, /* status and hint bars */
	ST_KEY, /* key names in the hint bar */
	ST_OK,
	ST_WARN,
	ST_ERROR,
	ST_FILL, /* a progress bar's done part */
	ST_EMPTY,
	ST_Q,
	ST_RUN,
	ST_PAUSE,
	ST_DONE,
	ST_FAIL,
	ST_CANCEL, /* job states */
	ST__COUNT
};

struct tui;

void ui_styles_init(struct tui *t);
attr_t ui_attr(const struct tui *t, enum ui_style s);
enum ui_style ui_state_style(int job_state);

/*
 * Draw UTF-8 text at (y, x) in at most width columns with attribute a:
 * wide characters measured with wcwidth(), control characters shown as
 * '?' (tabs as a space), invalid bytes as U+FFFD, cut with an ellipsis
 * when it does not fit. pad fills the rest of width with spaces.
 * Returns the columns used.
 */
int ui_text(const struct tui *t, WINDOW *w, int y, int x, const char *s, int width, attr_t a,
	    bool pad);
/* Columns s takes (as ui_text measures them). */
int ui_width(const struct tui *t, const char *s);
/* Bytes of the longest prefix of s that takes at most cols columns (as
 * ui_text measures them); *used (may be NULL) gets its columns. */
size_t ui_fit(const struct tui *t, const char *s, int cols, int *used);
/* A progress bar of width columns, frac in 0..1 (< 0: unknown, empty). */
void ui_bar(const struct tui *t, WINDOW *w, int y, int x, int width, double frac);
/* Spaces with attribute a. */
void ui_fill(WINDOW *w, int y, int x, int width, attr_t a);
/* Title line of a pane: name and an optional right part, focused or not. */
void ui_title(const struct tui *t, WINDOW *w, int width, const char *left, const char *right,
	      bool focus);

/* ---- panes --------------------------------------------------------------------- */

enum pane_id { PANE_STATUS, PANE_LIST, PANE_DETAIL, PANE_LOG, PANE_HINT, PANE__COUNT };

struct pane;

struct pane_ops {
	const char *name;
	void (*draw)(struct tui *t, struct pane *p);
	/* a key action while the pane has the focus; returns UI_* bits */
	int (*key)(struct tui *t, struct pane *p, enum ui_action a);
	/* the pane got a new size (p->win already resized); may be NULL */
	void (*resize)(struct tui *t, struct pane *p);
};

struct pane {
	const struct pane_ops *ops;
	WINDOW *win;
	int y, x, h, w;
	bool shown;
	bool dirty;
	int scroll;  /* panes that scroll (detail) */
	int hscroll; /* columns scrolled to the right (log) */
	bool wrap;   /* long lines wrapped, not cut (log) */
};

extern const struct pane_ops pane_status_ops, pane_list_ops, pane_detail_ops, pane_log_ops,
    pane_hint_ops;

/* The list's visible rows for a pane height (title and header lines off). */
int pane_list_rows(int pane_height);
/* Ms until a visible age in the list would change (-1: none shown). */
int64_t pane_list_next_age_change(const struct tui *t);

/* The sort column under column x of the list pane, -1 none. */
int pane_list_column_at(const struct tui *t, int x);

/* ---- sorting the list (sort.c) ------------------------------------------------ */

/* The list's columns that sort, left to right. */
enum ui_sort {
	SORT_ID,
	SORT_NAME,
	SORT_KIND,
	SORT_STATE,
	SORT_STAGE,
	SORT_PROGRESS,
	SORT_ETA,
	SORT_AGE,
	SORT__COUNT
};
/* Jobs loaded past the page while a batch's list is sorted here (the
 * server sorts the others). */
#define UI_SORT_SPAN 1000

const char *sort_name(int col); /* "NAME" */
/* Is the sort other than the server's order (ID, newest first)? */
bool sort_active(const struct tui *t);
/* Does the server sort (an active sort, no batch filter)? */
bool sort_by_server(const struct tui *t);
/* `list`'s "sort" when the server sorts ("name"), else NULL. */
const char *sort_param(const struct tui *t);
/* A `list` request's order: its "sort" and "desc", and "locate" (no
 * "offset") when the view wants the selected job found in the order
 * (jobview_locate_id: a new order, or a refetch of a sorted list). */
void sort_list_params(const struct tui *t, json_t *params);
/* Its answer at generation gen: when it located the job, *off becomes the
 * window the server chose and the view is placed on the job. */
void sort_list_answer(struct tui *t, uint64_t gen, json_t *res, int64_t *off);
/* Sort by col: a new column in its natural direction, the same one inverted. */
void sort_by(struct tui *t, int col);
/* Set column and direction: the list is fetched again in the new order,
 * the selected job kept selected on its screen row (a batch's list: the held rows are sorted now,
 * and the view loads UI_SORT_SPAN jobs past the page). */
void sort_set(struct tui *t, int col, bool desc);
/* `<` / `>`: the column left or right of the sorted one. */
void sort_step(struct tui *t, int delta);
/* Sort the held rows again (the view changed them); the selection stays
 * on its job. Cheap: precomputed keys, one qsort. */
void sort_apply(struct tui *t);
/* After the list's height or batch filter changed: the view's margin
 * and order for the sort. */
void sort_margin(struct tui *t);

/* ---- the mouse (mouse.c) ------------------------------------------------------ */

/* Turn mouse reporting on or off (the terminal then selects text). */
void mouse_set(struct tui *t, bool on);
/* KEY_MOUSE: a click selects a row or sorts by a header, the wheel scrolls. */
void mouse_key(struct tui *t);

/* ---- dialogs (one at a time, modal) ----------------------------------------- */

struct dialog;

struct dialog_ops {
	void (*draw)(struct tui *t, struct dialog *d);
	/* any key (dialogs read keys raw); returns UI_* bits, UI_CLOSE to close */
	int (*key)(struct tui *t, struct dialog *d, int key);
	void (*free)(struct dialog *d); /* its own state; may be NULL */
};

struct dialog {
	const struct dialog_ops *ops;
	WINDOW *win;
	int h, w; /* wanted size; centred, clipped to the screen */
	void *state;
	bool cursor; /* show the terminal cursor at (cy, cx) of win */
	int cy, cx;
};

/* Open d (the UI owns it from now; a dialog already open is closed). */
void ui_dialog_open(struct tui *t, const struct dialog_ops *ops, int h, int w, void *state);
void ui_dialog_close(struct tui *t);
/* Clear the dialog's window, draw its box and title. */
void ui_dialog_frame(const struct tui *t, struct dialog *d, const char *title);

/* dlg-confirm.c: "question [y/N]"; on y, act(t, id) runs. No is the default. */
void dlg_confirm_open(struct tui *t, const char *question, int64_t id,
		      void (*act)(struct tui *t, int64_t id));
/* dlg-prompt.c: the one-line inputs: `/` text filter, `s` FFmpeg command. */
void dlg_filter_open(struct tui *t);
void dlg_submit_open(struct tui *t);
/* dlg-menu.c: `f`, the state filter. */
void dlg_state_open(struct tui *t);
/* dlg-menu.c: F6, the sort column. */
void dlg_sort_open(struct tui *t);
/* dlg-form.c: `n`, the new video form. */
void dlg_new_open(struct tui *t);
/* dlg-help.c: `?`. */
void dlg_help_open(struct tui *t);

/* ---- the `:` command line (cmdline.c): an aura verb on the selected job ---- */

#define UI_CMD_HISTORY 50

struct ui_cmd {
	struct proc *proc;	    /* the verb running, NULL none */
	struct buf out;		    /* its stdout */
	struct buf err;		    /* its stderr */
	char *line;		    /* what runs ("priority 12 5"), for the message */
	char *hist[UI_CMD_HISTORY]; /* lines run this session, the oldest first */
	int n_hist;
};

/* `:`: the prompt; Enter runs the verb as a child of the loop. */
void dlg_cmdline_open(struct tui *t);
/* Kill a verb still running (the UI is leaving) and free the history. */
void cmdline_stop(struct tui *t);

/* ---- line editing (edit.c): a UTF-8 buffer with a cursor ------------------- */

struct edit {
	char *buf; /* NUL-terminated UTF-8 */
	size_t len, cap;
	size_t cur; /* byte offset, always at a code point boundary */
};

void edit_init(struct edit *e, const char *text);
void edit_free(struct edit *e);
void edit_set(struct edit *e, const char *text);
/* Apply an editing key (characters, Backspace, Delete, Left/Right,
 * Home/End, ^A ^E ^U ^K ^W). true if the key was an editing key. */
bool edit_key(struct edit *e, int key);
/* Draw the field in width columns at (y, x), scrolled so the cursor shows;
 * returns the cursor's column (relative to x). */
int edit_draw(const struct tui *t, const struct edit *e, WINDOW *w, int y, int x, int width,
	      attr_t a);

/* ---- the connection (conn.c) ------------------------------------------------------ */

enum conn_state { CONN_UP, CONN_DOWN };

/* First connect, with auto-start; -code and err on failure (before the
 * screen is taken, so the error prints normally). */
int conn_start(struct tui *t, struct aura_error *err);
/* Reconnect when due (no auto-start: a server that was stopped stays
 * stopped until someone starts it). */
void conn_retry(struct tui *t);
/* The server went away or misbehaved: show it, keep the last state. */
void conn_lost(struct tui *t, const struct aura_error *err);
/* Read and apply every event already received (non-blocking). */
void conn_drain(struct tui *t);
/* Fetch what is due: the list window, the counts, the selected job's
 * detail and log. now is time_mono_ms(). */
void conn_sync(struct tui *t, int64_t now);
/* Ms until conn_sync or conn_retry has something to do (-1: nothing). */
int64_t conn_next_due(const struct tui *t, int64_t now);

/* Requests; each reports its outcome in the message line. */
void conn_job_action(struct tui *t, const char *method, int64_t id);
void conn_submit(struct tui *t, char **argv, int argc);
/* `new` (params taken): true when queued (the message line says so),
 * else false with err (the form shows it; nothing else is said). */
bool conn_new(struct tui *t, json_t *params, struct aura_error *err);
/* The header's pools text (t->pools) from list's "pools" (bars.c). */
void bars_pools_text(struct tui *t, json_t *pools);
void conn_shutdown(struct tui *t);

/* ---- ffhealth (ffhealth.c): FFmpeg's state from doctor, in the background ---- */

/* Start `aura doctor --json` on t->loop (os/proc); its verdict lands in
 * t->ffhealth when it exits. */
void ffhealth_start(struct tui *t);
/* Kill a check still running (the UI is leaving). */
void ffhealth_stop(struct tui *t);

/* ---- providers' health, as the server reports it (conn.c keeps it) ---------- */

#define UI_PROVIDERS_MAX 8

struct ui_provider {
	char name[16];
	int state;	    /* 0 unknown, 1 ok, 2 failing */
	int64_t latency_ms; /* ok: the probe's latency, else -1 */
	char code[48];	    /* failing: the catalogue code, else "" */
};

/* ---- the UI state ------------------------------------------------------------------- */

enum msg_level { MSG_INFO, MSG_OK, MSG_ERROR };

struct tui {
	struct cli_ctx *ctx;
	char *cwd; /* the UI's working directory: raw commands run there */

	/* the server */
	struct client *c;
	enum conn_state conn;
	char conn_why[256]; /* why we are disconnected */
	int64_t retry_at;   /* mono ms of the next reconnect */
	int backoff_ms;
	int retries;
	bool subscribed;
	int64_t last_fetch_ms;	/* the last list fetch (refreshes are coalesced) */
	int64_t fetch_error_ms; /* a list request was refused: pause fetching */
	int64_t last_detail_ms;
	int64_t select_id;	/* a job we queued: select it once listed */
	int64_t sel_changed_ms; /* when the selection last moved */
	int64_t loaded_id;	/* the job whose detail and log are loaded */
	bool detail_stale;	/* refetch the selected job's detail */
	bool counts_stale;
	bool counts_known;
	int64_t counts[JOB_STATE__COUNT];
	char pools[160];   /* "local 1/2 · farm 12/40" when there is more than one pool */
	json_t *pool_list; /* the last "pools" array (the form's choices), NULL: none yet */
	/* the batch of the batch filter (`b`), as the last list answer said */
	bool batch_known;
	char batch_name[64];
	int64_t batch_total;
	int64_t batch_counts[JOB_STATE__COUNT];

	/* data */
	struct jobview v;
	struct logtail log;
	struct job detail; /* the selected job with stderr tail (get) */
	bool detail_valid;
	struct stage *stages;
	int n_stages;

	/* the server's online providers (empty: none configured) */
	struct ui_provider prov[UI_PROVIDERS_MAX];
	int n_prov;
	/* the server's store, when it cannot be written: "STORE_BUSY, 3
	 * changes wait" (empty while it can) */
	char store_msg[96];

	/* FFmpeg health */
	struct proc *ffhealth_proc; /* the doctor running, NULL when done */
	char ffhealth[128];
	enum msg_level ffhealth_level;
	struct buf ffhealth_buf;

	/* screen */
	struct pane panes[PANE__COUNT];
	enum pane_id focus;
	bool show_detail;
	int sort_col;	/* enum ui_sort: the list's sort column (sort.c) */
	bool sort_desc; /* ...downwards (the default: ID, newest first) */
	bool mouse;	/* mouse reporting on (mouse.c, M) */
	bool compact;	/* below UI_MIN_*: the list, and the progress line as the hint pane */
	bool too_small; /* below UI_COMPACT_*: a message only */
	bool color;
	bool utf8;
	attr_t attrs[ST__COUNT];
	struct dialog *dlg;
	bool dlg_dirty;
	bool redraw_all; /* clear and redraw everything (resize, ^L) */
	char msg[512];	 /* the message line, until the next key */
	enum msg_level msg_level;
	int64_t msg_job; /* the message waits for this job's end ("cancelling"), 0 none */
	struct ui_cmd cmd;
	int64_t last_draw_ms;
	bool key_seen;	    /* a key came since the last frame: draw without waiting */
	int64_t age_due_ms; /* mono ms when a shown age changes, 0 none */
	bool quit;
	int exit_status;

	/* the loop (run.c) */
	struct loop *loop;
	int watched_cfd; /* the server connection's fd on the loop, -1 none */
	int empty_reads; /* readable terminal turns without a key, in a row */
	struct ui_timer {
		uint64_t id; /* 0: not armed */
		int64_t at;  /* mono ms it fires */
	} frame_timer, sync_timer, age_timer;

	/* figures for bench/tui.sh (AURA_TUI_STATS) */
	int64_t start_ms;
	int64_t first_frame_ms; /* ms from start to the first frame with rows */
	uint64_t frames, fetches;
};

/* Mark a pane (or, with PANE__COUNT, every pane) to be drawn. */
void ui_dirty(struct tui *t, enum pane_id p);
/* Set the message line (printf); it stays until the next key. */
void ui_msg(struct tui *t, enum msg_level lvl, const char *fmt, ...) AURA_PRINTF(3, 4);
/* The message for an error: "CODE: message: detail". */
void ui_msg_error(struct tui *t, const char *what, const struct aura_error *err);
/* The selected job changed (moved, or its data did): detail/log follow. */
void ui_selection_moved(struct tui *t);
/* Recompute the layout for the current terminal size. */
void ui_layout(struct tui *t);
/* Is something to be drawn? */
bool ui_any_dirty(const struct tui *t);
/* Draw every dirty pane (and the dialog) in one frame; now is mono ms. */
void ui_draw(struct tui *t, int64_t now);
/* A key (a character, or UI_FN(KEY_*)). */
void ui_key(struct tui *t, int key);

/* ---- the terminal (term.c) ------------------------------------------------------ */

/* Can the UI draw on this terminal type ($TERM: set, known to terminfo,
 * able to move the cursor)? 0, or -TERMINAL_UNSUPPORTED and err. Called
 * before anything else, the screen untouched. */
int term_check(struct aura_error *err);
/* Take the screen (curses, raw keys, stderr to tui.log, crash handlers). */
void term_init(struct tui *t);
/* Give it back; safe when not taken. */
void term_fini(struct tui *t);
/* Follow the terminal's size (SIGWINCH, after a ^Z). */
void term_resize(struct tui *t);
/* ^Z: leave curses, stop the job, come back. */
void term_suspend(struct tui *t);
/* The next key already typed, without waiting: false when there is none. */
bool term_key(int *key);
/* The terminal was readable but gave no key: is it gone (EOF, hung up)? */
bool term_gone(void);

/* ---- the loop (run.c) ------------------------------------------------------------- */

/* Signals, then the screen, then the loop until the UI quits; the screen
 * is given back before it returns. -code and err when the loop or the
 * signals cannot be set up (the screen was not taken). */
int run_main(struct tui *t, struct aura_error *err);

#endif
