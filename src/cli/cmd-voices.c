/*
 * cmd-voices.c -- `aura voices [--json]`: the voices `--voice` can take
 * here, one a line: ENGINE VOICE LANG NOTES. flite's voices as this
 * FFmpeg's flite filter lists them (`-f lavfi -i flite=list_voices=1`,
 * printed on stderr), espeak-ng's (`espeak-ng --voices`) when it is
 * installed, piper's configured model, openai's fixed list when a key is
 * configured and elevenlabs' configured voice. Engines that are missing are
 * left out (a note on stderr, or "engines_missing" in --json).
 *
 * Must never: touch the network or start the server; children only
 * through proc_run (bounded, argv only, as the doctor runs ffmpeg -version).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <jansson.h>

#include "base/util.h"
#include "cli/cmd.h"
#include "client/ctx.h"
#include "ff/locate.h"
#include "os/proc.h"
#include "video/vspec.h"

#define LIST_TIMEOUT_MS 10000

extern const struct cmd_entry cmd_voices_entry;

struct vrow {
	const char *engine;
	char *voice, *lang, *notes;
};
struct vlist {
	struct vrow *rows;
	int n, cap;
	json_t *missing; /* engines not found: [{"engine","why"}] */
};

/* argv's stdout (and stderr when err) into the bufs; 0 when it ran and
 * exited 0. */
static int run(char *const argv[], struct buf *out, struct buf *err)
{
	struct proc_run_spec spec = { .argv = (const char *const *)argv,
				      .deadline_ms = LIST_TIMEOUT_MS,
				      .out_cap = 1 << 20,
				      .err_cap = err ? 1 << 20 : 0 };
	struct proc_run_result res;
	struct aura_error e = { 0 };
	int rc = proc_run(&spec, &res, &e);
	buf_append(out, res.out.data ? res.out.data : "", res.out.len);
	if (err)
		buf_append(err, res.err.data ? res.err.data : "", res.err.len);
	buf_free(&res.out);
	buf_free(&res.err);
	return rc == 0 && !res.timed_out && WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0
		   ? 0
		   : -1;
}

static void add(struct vlist *l, const char *engine, char *voice, const char *lang, char *notes)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->rows = xrealloc(l->rows, (size_t)l->cap * sizeof(*l->rows));
	}
	l->rows[l->n++] = (struct vrow){ engine, voice, xstrdup(lang), notes };
}

static void missing(struct vlist *l, const char *engine, char *why)
{
	json_array_append_new(l->missing, json_pack("{s:s, s:s}", "engine", engine, "why", why));
	free(why);
}

/* flite: FFmpeg prints one voice a line, "[Parsed_flite_0 @ 0x...] NAME". */
static void list_flite(const struct aura_config *cfg, struct vlist *l)
{
	static const struct {
		const char *name, *notes;
	} known[] = { { "slt", "female, US (the default)" },
		      { "kal", "male, US, 8 kHz" },
		      { "awb", "male, Scottish" },
		      { "rms", "male, US" },
		      { "kal16", "male, US, 16 kHz" } };
	char *why = NULL;
	char *ffmpeg = locate_ffmpeg(cfg, &why);
	if (!ffmpeg) {
		missing(l, "flite", why ? why : xstrdup("ffmpeg was not found"));
		return;
	}
	free(why);
	char *argv[] = { ffmpeg,
			 (char *)"-hide_banner",
			 (char *)"-nostdin",
			 (char *)"-f",
			 (char *)"lavfi",
			 (char *)"-i",
			 (char *)"flite=list_voices=1",
			 NULL };
	struct buf out, err;
	buf_init(&out);
	buf_init(&err);
	run(argv, &out, &err); /* flite exits 1 after listing */
	int found = 0;
	for (const char *line = err.data ? err.data : ""; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *tag = "[Parsed_flite_";
		const char *close = memchr(line, ']', len);
		if (len > strlen(tag) && strncmp(line, tag, strlen(tag)) == 0 && close) {
			const char *name = close + 1;
			while (*name == ' ')
				name++;
			size_t nl = len - (size_t)(name - line);
			for (size_t i = 0; i < ARRAY_LEN(known); i++)
				if (strlen(known[i].name) == nl &&
				    strncmp(name, known[i].name, nl) == 0) {
					add(l, "flite", xasprintf("flite:%s", known[i].name), "en",
					    xstrdup(known[i].notes));
					found++;
				}
		}
		line = end ? end + 1 : line + len;
	}
	if (!found)
		missing(l, "flite",
			xasprintf("%s has no flite filter (it listed no voice)", ffmpeg));
	buf_free(&out);
	buf_free(&err);
	free(ffmpeg);
}

/* espeak-ng --voices: "Pty Language Age/Gender VoiceName File Other". */
static void list_espeak(const struct aura_config *cfg, struct vlist *l)
{
	struct voice_choice vc = { VOICE_ESPEAK, NULL };
	char *prog = NULL;
	struct aura_error e = { 0 };
	if (voice_check(&vc, cfg, &prog, &e) < 0) {
		missing(l, "espeak", xasprintf("%s (apt-get install espeak-ng)", e.detail));
		return;
	}
	char *argv[] = { prog, (char *)"--voices", NULL };
	struct buf out;
	buf_init(&out);
	int rc = run(argv, &out, NULL);
	int found = 0;
	char *save = NULL;
	for (char *line = rc == 0 && out.data ? strtok_r(out.data, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char pty[16], lang[64], ag[16], name[128];
		if (sscanf(line, "%15s %63s %15s %127s", pty, lang, ag, name) != 4 ||
		    strcmp(pty, "Pty") == 0)
			continue;
		const char *g = strchr(ag, '/');
		const char *gender = g && g[1] == 'M' ? "male" : g && g[1] == 'F' ? "female" : "";
		add(l, "espeak", xasprintf("espeak:%s", lang), lang,
		    xasprintf("%s%s%s", gender, *gender ? ", " : "", name));
		found++;
	}
	if (!found)
		missing(l, "espeak", xasprintf("%s --voices listed no voice", prog));
	buf_free(&out);
	free(prog);
}

static void list_configured(const struct aura_config *cfg, struct vlist *l)
{
	if (cfg->piper_model && *cfg->piper_model) {
		struct voice_choice vc = { VOICE_PIPER, NULL };
		char *prog = NULL;
		struct aura_error e = { 0 };
		if (voice_parse("piper", cfg, &vc, NULL) == 0 &&
		    voice_check(&vc, cfg, &prog, &e) == 0)
			add(l, "piper", voice_choice_text(&vc), "",
			    xstrdup("[voice] piper_model (its language is the model's)"));
		else
			missing(l, "piper", xstrdup(e.detail));
		voice_choice_free(&vc);
		free(prog);
	}
	/* openai's voices are a fixed list; asked for only with a key */
	static const char *const openai[] = { "alloy", "ash",  "coral", "echo",	  "fable",
					      "onyx",  "nova", "sage",	"shimmer" };
	if (config_api_key(&cfg->openai)) {
		for (size_t i = 0; i < ARRAY_LEN(openai); i++) {
			const char *dflt =
			    cfg->openai.voice && *cfg->openai.voice ? cfg->openai.voice : "alloy";
			add(l, "openai", xasprintf("openai:%s", openai[i]), "",
			    xasprintf("online, speaks the text's language%s",
				      strcmp(openai[i], dflt) == 0 ? " ([openai] voice)" : ""));
		}
	}
	if (config_api_key(&cfg->elevenlabs) && cfg->elevenlabs.voice && *cfg->elevenlabs.voice)
		add(l, "elevenlabs", xasprintf("elevenlabs:%s", cfg->elevenlabs.voice), "",
		    xstrdup("online, [elevenlabs] voice"));
}

static const struct option voices_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_voices_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct args a;
	int rc = args_parse(&cmd_voices_entry, argc, argv, &a, NULL);
	if (rc)
		return rc;
	if ((rc = cli_ctx_local_only(ctx, "aura voices")) != 0)
		return rc;
	struct vlist l = { .missing = json_array() };
	list_flite(&ctx->cfg, &l);
	list_espeak(&ctx->cfg, &l);
	list_configured(&ctx->cfg, &l);
	if (args_has(&a, 'j')) {
		json_t *arr = json_array();
		for (int i = 0; i < l.n; i++)
			json_array_append_new(
			    arr, json_pack("{s:s, s:s, s:s, s:s}", "engine", l.rows[i].engine,
					   "voice", l.rows[i].voice, "lang", l.rows[i].lang,
					   "notes", l.rows[i].notes));
		json_t *root = json_pack("{s:o, s:O}", "voices", arr, "engines_missing", l.missing);
		char *text = json_dumps(root, JSON_COMPACT);
		puts(text ? text : "{}");
		free(text);
		json_decref(root);
	} else {
		printf("%-10s  %-22s  %-7s  %s\n", "ENGINE", "VOICE", "LANG", "NOTES");
		for (int i = 0; i < l.n; i++)
			printf("%-10s  %-22s  %-7s  %s\n", l.rows[i].engine, l.rows[i].voice,
			       *l.rows[i].lang ? l.rows[i].lang : "-", l.rows[i].notes);
		size_t k;
		json_t *m;
		json_array_foreach(l.missing, k, m)
		{
			struct aura_error w;
			aura_error_set(&w, AURA_E_VOICE_UNAVAILABLE, "no %s voices: %s",
				       json_string_value(json_object_get(m, "engine")),
				       json_string_value(json_object_get(m, "why")));
			aura_error_print_about("warning", &w);
		}
	}
	for (int i = 0; i < l.n; i++) {
		free(l.rows[i].voice);
		free(l.rows[i].lang);
		free(l.rows[i].notes);
	}
	free(l.rows);
	json_decref(l.missing);
	return 0;
}

const struct cmd_entry cmd_voices_entry = {
	.name = "voices",
	.usage = "[--json]",
	.args = { .shorts = "j", .longs = voices_opts, .min = 0, .max = 0 },
	.summary = "list the voices of the installed engines and configured providers",
	.help = "  -j, --json   {\"voices\": [{engine, voice, lang, notes}], \"engines_missing\":\n"
		"               [{engine, why}]}\n"
		"\n"
		"VOICE is what --voice takes. Lists flite's voices (FFmpeg's flite filter),\n"
		"espeak-ng's when it is installed, piper's configured model, openai's voices\n"
		"when a key is configured and elevenlabs' configured voice; never touches the\n"
		"network. An engine that is missing is named on stderr. Exit 0.\n",
	.flags = CMD_NEEDS_CONFIG,
	.run = cmd_voices_run,
};
