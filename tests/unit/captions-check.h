/*
 * captions-check.h -- what the caption unit tests ask of every split: each
 * line fits its columns and is trimmed, a cue has 1 to max_lines lines,
 * all UTF-8. Include after <cmocka.h>.
 */
#ifndef AURA_TEST_CAPTIONS_CHECK_H
#define AURA_TEST_CAPTIONS_CHECK_H

#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "base/util.h"
#include "video/captions.h"

/* Every line of every cue fits; no cue has more than max_lines lines. */
static inline void assert_cue_shape(const struct caption_list *l, int max_cols, int max_lines)
{
	for (int i = 0; i < l->n; i++) {
		char *copy = xstrdup(l->cues[i].text);
		int lines = 0;
		char *save = NULL;
		for (char *line = strtok_r(copy, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			lines++;
			assert_true(utf8_width(line) <= max_cols);
			assert_true(strlen(line) > 0);
			assert_true(line[0] != ' ' && line[strlen(line) - 1] != ' ');
		}
		assert_true(lines >= 1 && lines <= max_lines);
		assert_true(utf8_valid(l->cues[i].text, NULL));
		free(copy);
	}
}

#endif
