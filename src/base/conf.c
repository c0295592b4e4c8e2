/*
 * conf.c -- the typed configuration. One table of keys (section, name,
 * type, field, range, accepted words, default, help) drives the defaults,
 * the parsing of aura.ini through inih, validation, and showing values;
 * one key's value (its text checked and set, shown back) is conf-value.c.
 *
 * Must never: accept an unknown section, key or bad value silently; put an
 * api_key value (or anything that may be one) into an error detail; include
 * <ini.h> anywhere but here.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "base/conf.h"
#include "base/conf-int.h"
#include "base/log.h"
#include "base/paths.h"
#include "base/util.h"

static const char *const w_level[] = { "error", "warn", "info", "debug", NULL };
static const char *const w_preset[] = { "landscape-720p", "landscape-1080p", "portrait-1080p",
					"square-1080p",	  "draft-480p",	     NULL };
static const char *const w_captions[] = { "burn", "srt", "both", "none", NULL };
static const char *const w_segments[] = { "auto", "off", NULL };
static const char *const w_stock[] = { "videos", "photos", "mixed", NULL };
static const char *const w_script[] = { "openai", "rulebased", NULL };
static const char *const w_voice[] = { "openai", "elevenlabs", "espeak", "piper", "flite", NULL };
static const char *const w_visuals[] = {
	"pexels", "pixabay", "openai", "sdwebui", "generated", NULL
};

_Static_assert(sizeof(enum log_level) == sizeof(int), "log_level is stored as an int");
#define F(field) offsetof(struct aura_config, field)

/* clang-format off */
#define PROVIDER_KEYS(sec, p, url, url_help, env, model_def, model_help, voice_def, voice_help) \
	{sec, "base_url", KT_URL, F(p.base_url), 0, 0, NULL, url, url_help}, \
	{sec, "api_key", KT_SECRET, F(p.api_key), 0, 0, NULL, "", \
	 "inline API key; prefer api_key_env (with a key here the file must be chmod 600)"}, \
	{sec, "api_key_env", KT_ENVNAME, F(p.api_key_env), 0, 0, NULL, env, \
	 "environment variable that holds the API key (empty: none)"}, \
	{sec, "model", KT_STRING, F(p.model), 0, 0, NULL, model_def, model_help}, \
	{sec, "voice", KT_STRING, F(p.voice), 0, 0, NULL, voice_def, voice_help}, \
	{sec, "timeout", KT_INT, F(p.timeout), 1, 600, NULL, "60", \
	 "seconds one request may take in total (1 to 600)"}

/* The order here is the order of aura.ini.example and of the docs. */
static const struct key keys[] = {
	{"general", "data_dir", KT_PATH, F(data_dir), 0, 0, NULL, "",
	 "data directory: aura.db, jobs/, logs/ (empty: $XDG_DATA_HOME/aura)"},
	{"general", "log_level", KT_ENUM, F(log_level), 0, 0, w_level, "info",
	 "least severe level written to logs/aura.log: error, warn, info or debug"},
	{"general", "log_max_size", KT_SIZE, F(log_max_size), 64 * KIB, GIB, NULL, "10M",
	 "size at which logs/aura.log is rotated (64K to 1G)"},
	{"general", "log_keep", KT_INT, F(log_keep), 1, 50, NULL, "5",
	 "rotated logs kept, aura.log.1 to aura.log.N (1 to 50)"},

	{"ffmpeg", "ffmpeg", KT_PATH, F(ffmpeg), 0, 0, NULL, "",
	 "ffmpeg program (empty: $AURA_FFMPEG, then PATH)"},
	{"ffmpeg", "ffprobe", KT_PATH, F(ffprobe), 0, 0, NULL, "",
	 "ffprobe program (empty: $AURA_FFPROBE, then beside ffmpeg, then PATH)"},

	{"server", "max_jobs", KT_INT, F(max_jobs), 1, 64, NULL, "2",
	 "jobs running at once (1 to 64)"},
	{"server", "lanes", KT_INT, F(lanes), 0, 256, NULL, "0",
	 "commands of one job run at once here, e.g. a render's segments; 0: the online CPUs "
	 "(0 to 256)"},
	{"server", "max_attempts", KT_INT, F(max_attempts), 1, 20, NULL, "3",
	 "attempts per job before it fails for good; 1 means no retry (1 to 20)"},
	{"server", "retry_backoff", KT_INT, F(retry_backoff), 1, 3600, NULL, "5",
	 "seconds before the first retry, doubled for each further one (1 to 3600)"},
	{"server", "stall_timeout", KT_INT, F(stall_timeout), 5, 86400, NULL, "60",
	 "seconds without progress before a job is stopped as stalled (5 to 86400)"},
	{"server", "quit_grace", KT_INT, F(quit_grace), 1, 600, NULL, "5",
	 "seconds FFmpeg gets to finish its file after 'q' before SIGTERM (1 to 600)"},
	{"server", "term_grace", KT_INT, F(term_grace), 1, 600, NULL, "5",
	 "seconds after SIGTERM before SIGKILL (1 to 600)"},
	{"server", "shutdown_grace", KT_INT, F(shutdown_grace), 1, 3600, NULL, "15",
	 "seconds a server shutdown may take to stop every job (1 to 3600)"},
	{"server", "job_timeout", KT_INT, F(job_timeout), 0, 604800, NULL, "0",
	 "seconds a job may run before it is stopped; 0 means no limit (0 to 604800)"},
	{"server", "client_buffer", KT_SIZE, F(client_buffer), 64 * KIB, 256 * MIB, NULL, "4M",
	 "output queued for one client before it is dropped as too slow (64K to 256M)"},
	{"server", "health_interval", KT_INT, F(health_interval), 1, 86400, NULL, "300",
	 "seconds between provider health checks while video jobs are queued or running (1 to 86400)"},
	{"server", "pool", KT_STRING, F(pool), 0, 0, NULL, "local",
	 "pool of new jobs without --pool: local, or the NAME of a [pool NAME] section"},
	{"server", "on_done", KT_STRING, F(on_done), 0, 0, NULL, "",
	 "command run when a job ends, split as a shell would but never run by one (empty: none; --on-done overrides)"},
	{"server", "on_done_timeout", KT_INT, F(on_done_timeout), 1, 3600, NULL, "60",
	 "seconds an on_done command may run before it is stopped (1 to 3600)"},
	{"server", "server_id", KT_STRING, F(server_id), 0, 0, NULL, "",
	 "names this server's cluster jobs aura-ID-JOB-ATTEMPT (letters and digits; empty: derived from the host and data directory)"},

	{"metrics", "textfile", KT_PATH, F(metrics_textfile), 0, 0, NULL, "",
	 "file the server keeps its metrics in, in Prometheus' text format, for node_exporter's textfile collector (empty: none)"},
	{"metrics", "interval", KT_INT, F(metrics_interval), 1, 86400, NULL, "15",
	 "seconds between two writes of the metrics file at most; it is written only when something changed (1 to 86400)"},
	{"retention", "keep_days", KT_INT, F(keep_days), 0, 36500, NULL, "14",
	 "days a finished job's work directory is kept; 0 means no age limit (0 to 36500)"},
	{"retention", "keep_jobs", KT_INT, F(keep_jobs), 0, 100000000, NULL, "1000",
	 "finished jobs whose work directories are kept, the newest; 0 means no count limit"},
	{"retention", "keep_records", KT_INT, F(keep_records), 0, 100000000, NULL, "0",
	 "finished jobs whose records are kept, the newest; 0 keeps every record"},
	{"retention", "max_job_log", KT_SIZE, F(job_log_max), 0, 64 * GIB, NULL, "8M",
	 "bytes of one job's job.log: past it the first and last halves are kept; 0 means no limit (0 to 64G)"},

	{"video", "preset", KT_WORD, F(preset), 0, 0, w_preset, "landscape-720p",
	 "landscape-720p, landscape-1080p, portrait-1080p, square-1080p or draft-480p"},
	{"video", "duration", KT_INT, F(duration), 5, 1800, NULL, "30",
	 "target length of a video in seconds (5 to 1800)"},
	{"video", "voice", KT_VOICE, F(voice), 0, 0, w_voice, "flite:slt",
	 "narration voice, PROVIDER[:VOICE] (flite voices: slt, kal, awb, rms)"},
	{"video", "lang", KT_STRING, F(lang), 0, 0, NULL, "en",
	 "narration language: en, de, fr, pt-BR... (not English: espeak-ng's voice for it)"},
	{"video", "captions", KT_WORD, F(captions), 0, 0, w_captions, "both",
	 "burn (into the picture), srt (a file beside the video), both or none"},
	{"video", "font", KT_PATH, F(font), 0, 0, NULL, "",
	 "font file for headings and captions (empty: search the system fonts)"},
	{"video", "scene_gap_ms", KT_INT, F(scene_gap_ms), 0, 5000, NULL, "400",
	 "silence between scenes in milliseconds (0 to 5000)"},
	{"video", "output_dir", KT_PATH, F(output_dir), 0, 0, NULL, "",
	 "where finished videos go (empty: the directory aura is run from)"},
	{"video", "style", KT_STRING, F(style), 0, 0, NULL, "clean", "the look of new videos: clean, shorts, lecture or a [style NAME] (aura styles)"},
	{"video", "stock", KT_WORD, F(stock), 0, 0, w_stock, "videos",
	 "what the stock sites (pexels, pixabay) supply: videos (clips), photos or mixed"},
	{"video", "segments", KT_WORD, F(segments), 0, 0, w_segments, "auto",
	 "render in segments encoded at once (auto: when the video and the job's pool are big enough) or off: one run"},

	{"voice", "espeak", KT_PATH, F(espeak), 0, 0, NULL, "",
	 "espeak-ng program (empty: search PATH)"},
	{"voice", "piper", KT_PATH, F(piper), 0, 0, NULL, "",
	 "piper program (empty: search PATH)"},
	{"voice", "piper_model", KT_PATH, F(piper_model), 0, 0, NULL, "",
	 "piper voice model (.onnx file); piper needs one"},

	{"providers", "script", KT_LIST, F(chain_script), 0, 0, w_script, "rulebased",
	 "script writers to try in order: openai, rulebased"},
	{"providers", "voice", KT_LIST, F(chain_voice), 0, 0, w_voice, "flite",
	 "voices to try in order: openai, elevenlabs, espeak, piper, flite"},
	{"providers", "visuals", KT_LIST, F(chain_visuals), 0, 0, w_visuals, "generated",
	 "visual sources to try in order: pexels, pixabay, openai, sdwebui, generated"},

	{"client", "host", KT_STRING, F(client_host), 0, 0, NULL, "",
	 "server to drive over SSH: ssh://[USER@]HOST[:PORT][/DATA_DIR] (empty: this machine; AURA_HOST and --host override)"},
	{"client", "remote_command", KT_STRING, F(remote_command), 0, 0, NULL, "aura",
	 "the aura program run on the remote host, split as a shell would (AURA_REMOTE_COMMAND overrides)"},
	{"client", "ssh_command", KT_STRING, F(ssh_command), 0, 0, NULL, "ssh",
	 "the ssh program and its options, split as a shell would but never run by one (AURA_SSH_COMMAND overrides)"},
	PROVIDER_KEYS("openai", openai, "https://api.openai.com/v1",
		"API endpoint; any OpenAI-compatible server (Ollama's /v1, LM Studio, vLLM...)",
		"OPENAI_API_KEY",
		"gpt-4o-mini", "chat model that writes scripts",
		"alloy", "text-to-speech voice"),
	PROVIDER_KEYS("elevenlabs", elevenlabs, "https://api.elevenlabs.io",
		"API endpoint",
		"ELEVENLABS_API_KEY",
		"", "text-to-speech model id (empty: the service's default)",
		"", "voice id (empty: the service's default)"),
	PROVIDER_KEYS("pexels", pexels, "https://api.pexels.com",
		"API endpoint",
		"PEXELS_API_KEY",
		"", "not used by Pexels",
		"", "not used by Pexels"),
	PROVIDER_KEYS("pixabay", pixabay, "https://pixabay.com/api",
		"API endpoint",
		"PIXABAY_API_KEY",
		"", "not used by Pixabay",
		"", "not used by Pixabay"),
	PROVIDER_KEYS("sdwebui", sdwebui, "http://127.0.0.1:7860",
		"address of a Stable Diffusion WebUI started with --api",
		"",
		"", "checkpoint to render with (empty: the one loaded)",
		"", "not used by Stable Diffusion"),
};
/* clang-format on */

#define NKEYS ARRAY_LEN(keys)

/* Echoing a secret, or what may be a key pasted into the wrong field, would
 * leak it into a terminal, a log or a bug report. */
static bool key_no_echo(const struct key *k)
{
	return k->type == KT_SECRET || k->type == KT_ENVNAME;
}

/* Whether s holds a token that looks like an API key (log_looks_like_key). */
static bool text_has_key(const char *s)
{
	for (const char *p = s; *p;) {
		size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				     "0123456789_-");
		if (n && log_looks_like_key(p, n))
			return true;
		p += n ? n : 1;
	}
	return false;
}

/* Whether the name side of a line may be shown in an error: it reads like
 * a key name (letters, _ and -, no digits, short) and not like a key. A
 * key pasted on its own line, or after api_key with the = forgotten, is
 * what inih hands us as the name. */
static bool name_echo_safe(const char *name)
{
	size_t n = strlen(name);
	return n > 0 && n <= 32 &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-") == n &&
	       !text_has_key(name);
}

/* "api_key sk-...": a key typed after api_key with the = forgotten. */
static bool name_is_secret_position(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++) {
		size_t kl = strlen(keys[i].name);
		if (keys[i].type == KT_SECRET && strncasecmp(name, keys[i].name, kl) == 0 &&
		    isspace((unsigned char)name[kl]))
			return true;
	}
	return false;
}

void config_defaults(struct aura_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NKEYS; i++) {
		char why[256];
		if (conf_key_set(cfg, &keys[i], keys[i].def, why, sizeof(why)) < 0) {
			/* The table contradicts itself: a bug no user can fix. */
			fprintf(stderr, "aura: bad built-in default [%s] %s: %s\n", keys[i].section,
				keys[i].name, why);
			abort();
		}
	}
}

void config_free(struct aura_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < NKEYS; i++)
		if (conf_key_is_string(&keys[i]))
			free(*(char **)conf_key_field(cfg, &keys[i]));
	conf_pools_free(cfg);
	free(cfg->source);
	memset(cfg, 0, sizeof(*cfg));
}

static void config_copy(struct aura_config *dst, const struct aura_config *src)
{
	*dst = *src;
	dst->source = xstrdup(src->source);
	for (size_t i = 0; i < NKEYS; i++)
		if (conf_key_is_string(&keys[i]))
			*(char **)conf_key_field(dst, &keys[i]) =
			    xstrdup(*(char *const *)conf_key_cfield(src, &keys[i]));
	conf_pools_copy(dst, src);
}

/* --- suggestions for misspelt names --------------------------------------- */

static bool section_known(const char *s)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcasecmp(keys[i].section, s) == 0)
			return true;
	return false;
}

static const char *section_suggest(const char *s)
{
	const char *hit = NULL;
	size_t best = (size_t)-1;
	for (size_t i = 0; i < NKEYS; i++)
		if ((i == 0 || strcmp(keys[i].section, keys[i - 1].section) != 0) &&
		    conf_close_enough(s, keys[i].section, &best))
			hit = keys[i].section;
	return hit;
}

/* Names a key had before: still read, as the key they became
 * (doc/configuration.md, "Deprecated keys"). */
static const struct {
	const char *section, *name, *now_section, *now_name;
} key_aliases[] = {
	{ "server", "job_log_max", "retention", "max_job_log" },
};

static const struct key *key_find(const char *section, const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(key_aliases); i++)
		if (strcasecmp(key_aliases[i].section, section) == 0 &&
		    strcasecmp(key_aliases[i].name, name) == 0) {
			section = key_aliases[i].now_section;
			name = key_aliases[i].now_name;
		}
	for (size_t i = 0; i < NKEYS; i++)
		if (strcasecmp(keys[i].section, section) == 0 &&
		    strcasecmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* " (did you mean X?)", " (it belongs in [S])" or "". */
static void key_suggest(char *out, size_t n, const char *section, const char *name)
{
	const char *hit = NULL;
	size_t best = (size_t)-1;
	out[0] = '\0';
	for (size_t i = 0; i < NKEYS; i++)
		if (strcasecmp(keys[i].section, section) == 0 &&
		    conf_close_enough(name, keys[i].name, &best))
			hit = keys[i].name;
	if (hit) {
		snprintf(out, n, " (did you mean %s?)", hit);
		return;
	}
	for (size_t i = 0; i < NKEYS; i++)
		if (strcasecmp(keys[i].name, name) == 0) {
			snprintf(out, n, " (it belongs in [%s])", keys[i].section);
			return;
		}
}

/* --- parsing ---------------------------------------------------------------- */

struct parse {
	FILE *fp;
	const char *path;
	struct aura_config *cfg;
	char *line; /* getline's buffer */
	size_t cap;
	int lineno;
	bool prev_key; /* as inih's prev_name: an indented line continues it */
	int read_errno;
	int secret_line[NKEYS]; /* line that set an inline key still set, else 0 */
	int code;		/* the first error, positive; parsing stops there */
	int err_line;
	char detail[sizeof(((struct aura_error *)0)->detail)];
};

static void parse_fail(struct parse *ps, int code, const char *fmt, ...) AURA_PRINTF(3, 4);

static void parse_fail(struct parse *ps, int code, const char *fmt, ...)
{
	if (ps->code)
		return;
	ps->code = code;
	ps->err_line = ps->lineno;
	int n = snprintf(ps->detail, sizeof(ps->detail), "%s:%d: ", ps->path, ps->lineno);
	if (n < 0 || (size_t)n >= sizeof(ps->detail))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->detail + n, sizeof(ps->detail) - (size_t)n, fmt, ap);
	va_end(ap);
}

/*
 * What inih cannot tell us, checked on the raw line before inih sees it:
 * section headers (inih only reports keys, so an empty misspelt section
 * would pass) and continuation lines (inih folds an indented line into the
 * previous key's value, which in aura would only hide a mistake).
 */
static void parse_scan_line(struct parse *ps, const char *s)
{
	const char *p = s;
	if (ps->lineno == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	bool indented = isspace((unsigned char)*p);
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == ';' || *p == '#')
		return;
	if (indented && ps->prev_key) {
		parse_fail(ps, AURA_E_CONFIG_SYNTAX,
			   "an indented line would continue the previous value; remove the "
			   "leading spaces");
		return;
	}
	if (*p == '[') {
		ps->prev_key = false;
		const char *end = strchr(p, ']');
		if (!end)
			return; /* inih reports the syntax error */
		p++;
		while (p < end && isspace((unsigned char)*p))
			p++;
		while (end > p && isspace((unsigned char)end[-1]))
			end--;
		char name[128];
		size_t len =
		    (size_t)(end - p) < sizeof(name) ? (size_t)(end - p) : sizeof(name) - 1;
		memcpy(name, p, len);
		name[len] = '\0';
		char why[256];
		int pc = conf_pool_header(ps->cfg, name, why, sizeof(why));
		if (pc) {
			if (pc < 0)
				parse_fail(ps, -pc, "%s", why);
			return;
		}
		if (!section_known(name) && !name_echo_safe(name)) {
			parse_fail(ps, AURA_E_CONFIG_UNKNOWN_KEY,
				   "unknown section (its name is not shown: it looks like an API "
				   "key)");
		} else if (!section_known(name)) {
			const char *hint = section_suggest(name);
			parse_fail(ps, AURA_E_CONFIG_UNKNOWN_KEY, "unknown section [%s]%s%s%s",
				   name, hint ? " (did you mean [" : "", hint ? hint : "",
				   hint ? "]?)" : "");
		}
		return;
	}
	if (strpbrk(p, "=:"))
		ps->prev_key = true;
}

/* inih's reader, fgets-like: one physical line per call, so our count is
 * inih's line number; and a line that would not fit inih's buffer is an
 * error here rather than being split into two lines by inih. */
static char *parse_reader(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	if (ps->code)
		return NULL; /* stop at the first error */
	errno = 0;
	ssize_t n = getline(&ps->line, &ps->cap, ps->fp);
	if (n < 0) {
		if (ferror(ps->fp))
			ps->read_errno = errno ? errno : EIO;
		return NULL;
	}
	ps->lineno++;
	size_t len = (size_t)n;
	while (len && (ps->line[len - 1] == '\n' || ps->line[len - 1] == '\r'))
		len--;
	if (num < 4 || len > (size_t)num - 3) {
		parse_fail(ps, AURA_E_CONFIG_SYNTAX,
			   "the line is longer than %d bytes (for a long key use api_key_env)",
			   num < 4 ? 0 : num - 3);
		return NULL;
	}
	memcpy(str, ps->line, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	parse_scan_line(ps, str);
	return ps->code ? NULL : str;
}

static int parse_handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	if (ps->code)
		return 0;
	if (!*section) {
		char hint[96];
		key_suggest(hint, sizeof(hint), "", name);
		if (!name_echo_safe(name))
			parse_fail(ps, AURA_E_CONFIG_UNKNOWN_KEY,
				   "a line comes before any [section] (its text is not shown: it "
				   "may hold an API key)");
		else
			parse_fail(ps, AURA_E_CONFIG_UNKNOWN_KEY,
				   "key %.64s comes before any [section]%s", name, hint);
		return 0;
	}
	char pwhy[512];
	int pc =
	    conf_pool_line(ps->cfg, section, name, value, name_echo_safe(name), pwhy, sizeof(pwhy));
	if (pc) {
		if (pc < 0)
			parse_fail(ps, -pc, "%s", pwhy);
		return pc > 0;
	}
	const struct key *k = key_find(section, name);
	if (!k && name_is_secret_position(name)) {
		parse_fail(ps, AURA_E_CONFIG_UNKNOWN_KEY,
			   "[%s] api_key: the = between api_key and the key is missing (the "
			   "line is not shown: it holds a key)",
			   section);
		return 0;
	}
	if (!k && !name_echo_safe(name)) {
		parse_fail(ps, AURA_E_CONFIG_UNKNOWN_KEY,
			   "unknown key in [%s] (the line is not shown: it looks like an API key; "
			   "write api_key = KEY, or better name an environment variable with "
			   "api_key_env)",
			   section);
		return 0;
	}
	if (!k) {
		char hint[96];
		key_suggest(hint, sizeof(hint), section, name);
		parse_fail(ps, AURA_E_CONFIG_UNKNOWN_KEY, "unknown key [%s] %.64s%s", section, name,
			   hint);
		return 0;
	}
	char why[384];
	if (conf_key_set(ps->cfg, k, value, why, sizeof(why)) < 0) {
		/* A key in the wrong field: neither the value nor the reason
		 * (which may quote part of it) shows it. */
		bool hide = key_no_echo(k) || text_has_key(value);
		char *shown = hide ? log_redact(why) : NULL;
		parse_fail(ps, AURA_E_CONFIG_BAD_VALUE, "[%s] %s = %.160s: %s", k->section, k->name,
			   hide ? "***" : value, hide ? shown : why);
		free(shown);
		return 0;
	}
	if (k->type == KT_SECRET)
		ps->secret_line[k - keys] = *value ? ps->lineno : 0;
	return 1;
}

int config_load(struct aura_config *cfg, const char *path, bool required, struct aura_error *err)
{
	if (!path)
		return 0;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; anything
	 * but a regular file (/dev/zero would be read forever) is refused
	 * before a byte is read. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT && !required)
			return 0;
		return aura_error_set(err, AURA_E_CONFIG_UNREADABLE, "%s: %s", path, strerror(e));
	}
	struct stat st;
	int e = fstat(fd, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
	if (e) {
		close(fd);
		return aura_error_set(err, AURA_E_CONFIG_UNREADABLE, "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return aura_error_set(err, AURA_E_CONFIG_UNREADABLE,
				      "%s is not a regular file (a device, FIFO or socket)", path);
	}
	FILE *fp = fcntl(fd, F_SETFL, 0) == 0 ? fdopen(fd, "r") : NULL;
	if (!fp) {
		e = errno;
		close(fd);
		return aura_error_set(err, AURA_E_CONFIG_UNREADABLE, "%s: %s", path, strerror(e));
	}

	/* Parse into a copy: on any error the caller's config stays whole. */
	struct aura_config next;
	config_copy(&next, cfg);
	struct parse *ps = xcalloc(1, sizeof(*ps));
	ps->fp = fp;
	ps->path = path;
	ps->cfg = &next;

	int rc = 0;
	int r = ini_parse_stream(parse_reader, ps, parse_handler, ps);
	if (r > 0 && (!ps->code || r < ps->err_line)) {
		/* No text of the line: it may be a key pasted on its own. */
		rc = aura_error_set(err, AURA_E_CONFIG_SYNTAX,
				    "%s:%d: expected [section], key = value, or a comment (; or #)",
				    path, r);
	} else if (ps->code) {
		rc = aura_error_set(err, ps->code, "%s", ps->detail);
	} else if (ps->read_errno) {
		rc = aura_error_set(err, AURA_E_CONFIG_UNREADABLE, "%s: %s", path,
				    strerror(ps->read_errno));
	} else if (r < 0) {
		rc =
		    aura_error_set(err, AURA_E_INTERNAL, "%s: the INI parser failed (%d)", path, r);
	} else if (conf_pools_check(&next, ps->detail, sizeof(ps->detail)) < 0) {
		rc = aura_error_set(err, AURA_E_CONFIG_BAD_VALUE, "%s: %s", path, ps->detail);
	} else if (st.st_mode & 077) {
		for (size_t i = 0; i < NKEYS; i++) {
			if (!ps->secret_line[i])
				continue;
			rc = aura_error_set(
			    err, AURA_E_CONFIG_INSECURE,
			    "%s:%d: [%s] api_key = *** is in a file with mode %04o, "
			    "readable by others: run `chmod 600 %s`, or move the key "
			    "to an environment variable named by api_key_env",
			    path, ps->secret_line[i], keys[i].section,
			    (unsigned)(st.st_mode & 07777), path);
			break;
		}
	}
	fclose(fp);
	free(ps->line);
	free(ps);

	if (rc < 0) {
		config_free(&next);
		return rc;
	}
	free(next.source);
	next.source = xstrdup(path);
	config_free(cfg);
	*cfg = next;
	return 0;
}

const char *config_log_level_name(enum log_level l)
{
	if ((int)l < 0 || (size_t)l >= ARRAY_LEN(w_level) - 1)
		return "info";
	return w_level[l];
}

/* --- the table, read-only ----------------------------------------------------- */

size_t config_key_count(void)
{
	return NKEYS;
}

bool config_key_get(size_t i, struct config_key_info *out)
{
	if (i >= NKEYS)
		return false;
	out->section = keys[i].section;
	out->name = keys[i].name;
	out->def = keys[i].def;
	out->help = keys[i].help;
	out->secret = keys[i].type == KT_SECRET;
	return true;
}

char *config_value_text(const struct aura_config *cfg, size_t i)
{
	if (i >= NKEYS)
		return NULL;
	const struct key *k = &keys[i];
	const void *f = conf_key_cfield(cfg, k);
	char tmp[32];
	switch (k->type) {
	case KT_INT:
		return xasprintf("%d", *(const int *)f);
	case KT_SIZE:
		conf_size_text(tmp, sizeof(tmp), *(const uint64_t *)f);
		return xstrdup(tmp);
	case KT_ENUM:
		return xstrdup(k->words[*(const int *)f]);
	case KT_BOOL:
		return xstrdup(*(const bool *)f ? "yes" : "no");
	default: {
		const char *s = *(char *const *)f;
		if (k->type == KT_SECRET && s)
			return xstrdup("***");
		return xstrdup(s ? s : "");
	}
	}
}
