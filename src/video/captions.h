/*
 * captions.h -- subtitles from narration: splitting a scene's narration
 * into readable cues, timing them inside the scene's measured audio, and
 * writing them as SRT (beside the video) or ASS (burned in with libass),
 * plus the caption style for each preset.
 *
 * Must never: split a word that fits on a line, let cues overlap or leave
 * their scene, or let a caption's text turn into subtitle markup when
 * burned in. Rules: doc/pipeline.md, "Caption rules".
 */
#ifndef AURA_CAPTIONS_H
#define AURA_CAPTIONS_H

#include <stdint.h>
#include <stdio.h>

#include "ff/ffargs.h"
#include "base/util.h"

#define CAPTIONS_MAX_COLS   42 /* columns per line, the broadcast norm */
#define CAPTIONS_MAX_LINES  2
#define CAPTIONS_MIN_CUE_MS 800

struct caption_cue {
	char *text;	  /* one to max_lines lines joined by '\n'; owned */
	int weight;	  /* code points, spaces excluded: its share of the time */
	int64_t start_ms; /* from the start of the video */
	int64_t end_ms;
	int64_t speech_end_ms; /* where its speech ends before end_ms (a pause
				  to the end), 0: at end_ms (captions_speech_ends) */
};

/* A growable list of cues; zero-initialised is empty. */
struct caption_list {
	struct caption_cue *cues;
	int n;
	size_t cap;
};

void caption_list_init(struct caption_list *l);
void caption_list_free(struct caption_list *l);

/*
 * Append the cues of one scene's narration to out and return how many
 * were added (0 for blank narration). Lines hold at most max_cols display
 * columns (utf8_cp_width: CJK and emoji count 2) and a cue at most
 * max_lines lines. Words are never split, except a word wider than a line,
 * which is cut between characters (a base and its marks, a ZWJ emoji
 * sequence and a flag's pair stay whole). CJK, written without spaces,
 * breaks between any two characters but for kinsoku (no line starts with
 * a closing mark or small kana, none ends with an opening bracket). RTL
 * text stays in logical order (libass orders it). A cue ends at a sentence end once it holds a
 * third of a line, and its lines are balanced (the narrowest width that needs no more lines).
 * max_cols < 1 is taken as 1, max_lines < 1 as 1. New cues are untimed.
 */
int captions_split(const char *narration, int max_cols, int max_lines, struct caption_list *out);

/*
 * Time n cues that belong to one scene whose audio starts at
 * scene_start_ms and lasts scene_audio_ms: each gets a share proportional
 * to its weight, but at least CAPTIONS_MIN_CUE_MS when n of those fit
 * (else the audio is split evenly). Cues are contiguous, monotonic, the
 * first starts at scene_start_ms and the last ends exactly at the audio's
 * end. If scene_audio_ms < n some cues are empty (start == end).
 */
void captions_time(struct caption_cue *cues, int n, int64_t scene_start_ms, int64_t scene_audio_ms);

/*
 * Speech onsets (ms) from FFmpeg silencedetect output: every
 * "silence_end: SECONDS" (its log) or "lavfi.silence_end=SECONDS" (its
 * frame metadata printed by ametadata) in text, increasing; at most max.
 * Returns how many.
 */
int captions_parse_onsets(const char *text, int64_t *out, int max);
/* The starts of the pauses (ms): every "silence_start" the same way. */
int captions_parse_pauses(const char *text, int64_t *out, int max);

/* A word's least time in a cue: a pause closer than this to the cue's
 * start does not end its speech. */
#define CAPTIONS_MIN_WORD_MS 200
/*
 * Set each cue's speech_end_ms: the start of the last pause inside it
 * (after CAPTIONS_MIN_WORD_MS) when no onset follows that pause before
 * the cue ends -- the cue stays up over the silence, but its speech (and
 * the highlighted word) ends there. 0 when its speech runs to its end.
 */
void captions_speech_ends(struct caption_cue *cues, int n, const int64_t *onsets, int n_onsets,
			  const int64_t *pauses, int n_pauses);

/*
 * Move the starts of n timed cues of one scene onto speech onsets (sorted
 * ms): the first cue starts at the first onset inside it, and each later
 * boundary moves to the onset nearest to it that leaves both neighbours at
 * least CAPTIONS_MIN_CUE_MS (none: it stays). Cues stay contiguous after
 * the first start, inside the scene, and no cue under the minimum is made.
 */
void captions_align(struct caption_cue *cues, int n, const int64_t *onsets, int n_onsets);

/*
 * Estimated syllables of one word (len bytes of UTF-8), at least 1:
 * English heuristic, vowel groups (a e i o u y and the accented Latin
 * vowels) less a final silent e ("time" 1, "table" 2); each wide (CJK)
 * character is one unit. Punctuation counts nothing.
 */
int captions_syllables(const char *word, size_t len);

/* One word of a cue and its estimated time; s points into the cue text. */
struct caption_word {
	const char *s;
	size_t len;
	int units; /* captions_syllables() */
	int64_t start_ms;
	int64_t end_ms;
};

/*
 * Split text at whitespace into at most max words and share
 * [start_ms, end_ms) among them by syllables (for the `shorts` style when
 * the voice gives no word timing): contiguous, the first starts at
 * start_ms and the last ends at end_ms. Returns the number of words.
 */
int captions_word_times(const char *text, int64_t start_ms, int64_t end_ms,
			struct caption_word *out, int max);

/* "HH:MM:SS,mmm" (SRT) into out; hours grow past 99 if they must. */
void captions_format_srt_time(int64_t ms, char out[32]);

/*
 * SRT text of n cues numbered from first_index: "N\nHH:MM:SS,mmm -->
 * HH:MM:SS,mmm\nTEXT\n\n". The text is written as it is: SRT has no
 * escaping, and players differ in the markup they honour. For burning in,
 * use the ASS writer below.
 */
void captions_format_srt(struct buf *out, const struct caption_cue *cues, int n, int first_index);
/* Write the same to f; 0 or -1 with errno set. */
int captions_write_srt(FILE *f, const struct caption_cue *cues, int n, int first_index);

/* The caption look for a preset, in output pixels. */
struct caption_style {
	int font_px; /* font size (ASS Fontsize, pixels at PlayResY = h) */
	int outline_px;
	int shadow_px;
	int margin_v_px;  /* from the bottom edge to the last line */
	int margin_lr_px; /* left and right */
};
void captions_style(const struct preset *p, struct caption_style *out);

/*
 * force_style for the subtitles filter burning an SRT: the style above in
 * the units FFmpeg gives an SRT (a 384x288 script), e.g.
 * "FontName=DejaVu Sans,FontSize=15.9,...". font_name may be NULL (libass
 * default); commas in it are dropped (force_style splits at commas). The
 * result still needs ffargs_escape_filter_value(). Caller frees.
 */
char *captions_force_style(const struct preset *p, const char *font_name);

/* Where the captions stand (ASS Alignment 2, 5, 8). */
enum { CAPTION_BOTTOM, CAPTION_CENTER, CAPTION_TOP };

/*
 * How burned-in captions look (a style's caption part). Sizes are pixels
 * at a 1080-line frame, scaled to the preset's height.
 */
struct caption_look {
	const char *font;	       /* NULL: "DejaVu Sans"; not owned */
	int size_px;		       /* 0: automatic (captions_style) */
	uint32_t color, outline_color; /* 0xRRGGBB */
	int outline_px, shadow_px;     /* -1: automatic */
	bool box;		       /* translucent box behind the text (BorderStyle 3) */
	int position;		       /* CAPTION_BOTTOM, CAPTION_CENTER, CAPTION_TOP */
	int max_chars;		       /* line width in columns; 0: the preset's */
	bool highlight;		       /* the spoken word in highlight_color */
	uint32_t highlight_color;
};

/* Today's look: white DejaVu Sans with a black outline at the bottom, the
 * preset's size and line width, no box, no highlight. */
void caption_look_default(struct caption_look *l);

/*
 * A complete ASS script of n cues for burning in with
 * subtitles=filename=FILE.ass: PlayResX/Y are the preset's size, the
 * style is captions_style() changed by look (NULL: caption_look_default),
 * and the text is escaped for libass so it shows as written ({ } become
 * \{ \}; a backslash before N, n or h or before markup gets an invisible
 * U+2060 WORD JOINER so it is not a line break or a hard space); commas
 * in the font name are dropped. With look->highlight each cue becomes one
 * event per word (captions_word_times), contiguous over the cue, the
 * word in highlight_color. When a cue holds right-to-left text the style
 * asks libass to find each line's direction (Encoding -1).
 */
void captions_format_ass(struct buf *out, const struct preset *p, const struct caption_look *look,
			 const struct caption_cue *cues, int n);
int captions_write_ass(FILE *f, const struct preset *p, const struct caption_look *look,
		       const struct caption_cue *cues, int n);

/* Write all of b to f and flush; 0 or -1 with errno set (the writers). */
int captions_write_buf(FILE *f, const struct buf *b);

#endif
