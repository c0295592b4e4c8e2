/*
 * tui.h -- the terminal UI's entry point, for main.c (no curses here: the
 * rest of the program never sees a curses type).
 *
 * Must never: be called when stdin or stdout is not a terminal (main.c
 * prints the help instead).
 */
#ifndef AURA_TUI_H
#define AURA_TUI_H

#include "client/ctx.h"

/* Open the UI on the data directory of ctx (loaded), starting a server if
 * none runs. Returns the process exit status: 0 after q/Q, 4 when no
 * server could be reached at start, 130/143/129 after SIGINT/TERM/HUP. */
int tui_main(struct cli_ctx *ctx);

#endif
