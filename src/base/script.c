/*
 * script.c -- a script's scenes as data: making one empty, freeing it,
 * and the sizes a script of a duration is written to. The writers are
 * src/video/script.c and script-gen.c.
 *
 * Must never: depend on anything but libc.
 */
#include "config.h"

#include <stdlib.h>

#include "base/script.h"

void script_init(struct script *s)
{
	s->scenes = NULL;
	s->n = 0;
	s->title = NULL;
}

void script_free(struct script *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n; i++) {
		free(s->scenes[i].heading);
		free(s->scenes[i].narration);
		free(s->scenes[i].keywords);
	}
	free(s->scenes);
	free(s->title);
	script_init(s);
}

int script_target_words(int duration_s)
{
	return (duration_s * SCRIPT_WORDS_PER_MINUTE + 30) / 60;
}

int script_target_scenes(int duration_s)
{
	int n = (duration_s + 5) / 10;
	if (n < SCRIPT_SCENES_MIN)
		n = SCRIPT_SCENES_MIN;
	if (n > SCRIPT_SCENES_MAX)
		n = SCRIPT_SCENES_MAX;
	return n;
}
