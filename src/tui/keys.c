/*
 * keys.c -- the key actions of the UI from one X-macro (ui.h UI_ACTIONS):
 * their default bindings, their labels and help text. The help dialog and
 * the hint bar read them from here, so a binding is written once.
 *
 * Must never: act on a key (panes and tui.c do), or bind one key twice.
 */
#include "config.h"

#include "tui/ui.h"

static const struct binding {
	const char *label;
	const char *help;
	int keys[3];
} bindings[A__COUNT] = {
	/* clang-format off */
	[A_NONE] = {"", "", {0, 0, 0}},
#define UI_ACTION_BINDING(name, label, help, k1, k2, k3) [A_##name] = {label, help, {k1, k2, k3}},
	UI_ACTIONS(UI_ACTION_BINDING)
#undef UI_ACTION_BINDING
	/* clang-format on */
};

int keys_action(int key)
{
	if (key == 0)
		return A_NONE;
	for (int a = 1; a < A__COUNT; a++)
		for (int i = 0; i < 3; i++)
			if (bindings[a].keys[i] == key)
				return a;
	return A_NONE;
}

const char *keys_label(enum ui_action a)
{
	return (unsigned)a < A__COUNT ? bindings[a].label : "";
}

const char *keys_help(enum ui_action a)
{
	return (unsigned)a < A__COUNT ? bindings[a].help : "";
}
