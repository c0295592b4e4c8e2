/*
 * script.h -- a video's script as plain data: scenes with a heading,
 * narration and visual keywords, and the sizes a script is written to.
 * What both the script writers (video/script.h) and the online writer's
 * answer (providers/services.h) hold; the writers, the parser and the
 * JSON form are video/script.h.
 *
 * Must never: depend on anything but libc.
 */
#ifndef AURA_BASE_SCRIPT_H
#define AURA_BASE_SCRIPT_H

#define SCRIPT_WORDS_PER_MINUTE 150
#define SCRIPT_SCENES_MIN	3 /* generated scripts */
#define SCRIPT_SCENES_MAX	20

struct scene {
	char *heading;	 /* one line, shown on the scene's card */
	char *narration; /* one paragraph, spoken; never empty */
	char *keywords;	 /* comma-separated, no spaces around commas; may be "" */
};

struct script {
	struct scene *scenes;
	int n;
	char *title;
};

void script_init(struct script *s); /* empty; script_free() of it is a no-op */
void script_free(struct script *s); /* frees everything, leaves s empty */

/* Words for a duration: duration_s * 150 / 60, rounded. */
int script_target_words(int duration_s);
/* Scenes for a generated script: one per ~10 s, within 3..20. */
int script_target_scenes(int duration_s);

#endif
