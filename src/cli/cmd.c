/*
 * cmd.c -- the list of CLI verbs. Adding a verb: one new cmd-NAME.c and one
 * line here.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "cli/cmd.h"

extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_explain_entry;
extern const struct cmd_entry cmd_doctor_entry;
extern const struct cmd_entry cmd_voices_entry;
extern const struct cmd_entry cmd_styles_entry;
extern const struct cmd_entry cmd_submit_entry;
extern const struct cmd_entry cmd_batch_entry;
extern const struct cmd_entry cmd_new_entry;
extern const struct cmd_entry cmd_ls_entry;
extern const struct cmd_entry cmd_show_entry;
extern const struct cmd_entry cmd_logs_entry;
extern const struct cmd_entry cmd_wait_entry;
extern const struct cmd_entry cmd_cancel_entry;
extern const struct cmd_entry cmd_retry_entry;
extern const struct cmd_entry cmd_pause_entry;
extern const struct cmd_entry cmd_resume_entry;
extern const struct cmd_entry cmd_rm_entry;
extern const struct cmd_entry cmd_clean_entry;
extern const struct cmd_entry cmd_priority_entry;
extern const struct cmd_entry cmd_shutdown_entry;
extern const struct cmd_entry cmd_pool_entry;
extern const struct cmd_entry cmd_stats_entry;
extern const struct cmd_entry cmd_serve_entry;
extern const struct cmd_entry cmd_setup_entry;
extern const struct cmd_entry cmd_complete_entry;
extern const struct cmd_entry cmd_dial_stdio_entry;

/* one verb a line (clang-format would pack them), so that adding one is a
 * one-line change */
/* clang-format off */
const struct cmd_entry *const cmd_table[] = {
	&cmd_help_entry,
	&cmd_new_entry,
	&cmd_submit_entry,
	&cmd_batch_entry,
	&cmd_ls_entry,
	&cmd_show_entry,
	&cmd_logs_entry,
	&cmd_wait_entry,
	&cmd_cancel_entry,
	&cmd_retry_entry,
	&cmd_pause_entry,
	&cmd_resume_entry,
	&cmd_rm_entry,
	&cmd_clean_entry,
	&cmd_priority_entry,
	&cmd_pool_entry,
	&cmd_stats_entry,
	&cmd_doctor_entry,
	&cmd_voices_entry,
	&cmd_styles_entry,
	&cmd_setup_entry,
	&cmd_serve_entry,
	&cmd_shutdown_entry,
	&cmd_explain_entry,
	&cmd_complete_entry,
	&cmd_dial_stdio_entry,
	NULL,
};
/* clang-format on */

const struct cmd_entry *cmd_find(const char *name)
{
	for (size_t i = 0; cmd_table[i]; i++)
		if (strcmp(cmd_table[i]->name, name) == 0)
			return cmd_table[i];
	return NULL;
}
