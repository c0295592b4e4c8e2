/*
 * cmd-setup.c -- `aura setup`: the first-run wizard. On a terminal it finds
 * FFmpeg (or says how to install it), asks for the data and output
 * directories, offers each online provider, reads keys without echo, tests
 * them live, and writes aura.ini atomically with mode 0600. With
 * --non-interactive the same answers come from flags, for scripts.
 *
 * Must never: print a key back (not even masked to its length), put a key
 * in an argv (keys come from a terminal without echo, from stdin, or stay
 * in the environment), write a config that aura itself would refuse, or
 * leave the terminal without echo.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/setup.h"
#include "doctor/doctor.h"
#include "ff/locate.h"
#include "providers/http.h"
#include "os/loop.h"
#include "os/sig.h"
#include "providers/provider.h"
#include "providers/services.h"
#include "base/util.h"

static const char *const prov_title[SETUP_NPROV] = {
	"OpenAI-compatible server (scripts, voice, images; OpenAI, Ollama, LM Studio, vLLM...)",
	"ElevenLabs (voice)",
	"Pexels (stock photos and videos)",
	"Pixabay (stock photos and videos)",
	"Stable Diffusion WebUI (generated pictures, local)",
};

int setup_prov_index(const char *name)
{
	for (int i = 0; provider_names[i]; i++)
		if (strcmp(provider_names[i], name) == 0)
			return i;
	return -1;
}

static const char *default_env(int i)
{
	static const char *const env[SETUP_NPROV] = { "OPENAI_API_KEY", "ELEVENLABS_API_KEY",
						      "PEXELS_API_KEY", "PIXABAY_API_KEY", NULL };
	return env[i];
}

static void wipe(char **s)
{
	if (*s) {
		memset(*s, 0, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

/* ---- live test ----------------------------------------------------------------- */

/* One cheap authenticated request, 5 s at most. Prints the outcome (never
 * the key) and returns 0 or the positive code. */
static int test_provider(int i, const struct choice *c)
{
	const char *name = provider_names[i];
	struct loop *l = loop_new();
	struct http *h = http_new(l);
	struct provider_policy pol;
	struct provider *p;
	struct provider_probe_wait w = { 0 };
	struct aura_config defaults;
	const char *key = c->key ? c->key : c->key_env ? getenv(c->key_env) : NULL;
	const char *base;
	int64_t end;
	int code;

	memset(&defaults, 0, sizeof(defaults));
	config_defaults(&defaults);
	base = c->base_url ? c->base_url : provider_base_url(&defaults, name);
	if (!h) {
		printf("  test: libcurl failed to start\n");
		config_free(&defaults);
		loop_free(l);
		return AURA_E_INTERNAL;
	}
	provider_policy_default(&pol, 5);
	pol.max_attempts = 1;
	pol.connect_timeout_ms = 3000;
	pol.quiet = true; /* the outcome is printed, not logged */
	p = provider_new(l, h, name, base, key && *key ? key : NULL, &pol);
	printf("  testing %s ... ", base);
	fflush(stdout);
	provider_probe_start(p, provider_probe_wait_done, &w);
	end = time_mono_ms() + 6000;
	while (!w.done && time_mono_ms() < end)
		loop_run_once(l, 100);
	if (!w.done) {
		code = AURA_E_PROVIDER_TIMEOUT;
		printf("%s: no answer within 5 s\n", aura_error_name(code));
	} else if (w.o.code) {
		code = w.o.code;
		printf("%s: %s\n    %s\n    hint: %s\n", aura_error_name(code),
		       aura_error_message(code), w.o.detail, aura_error_hint(code));
	} else {
		code = 0;
		printf("ok (%lld ms)\n", (long long)w.o.elapsed_ms);
	}
	provider_free(p);
	http_free(h);
	loop_free(l);
	config_free(&defaults);
	return code;
}

/* ---- the wizard ------------------------------------------------------------------ */

static bool valid_env_name(const char *s)
{
	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* The output directory, asked until it is empty (the directory aura is
 * run from), writable, or missing and created on request; NULL at EOF. */
static char *ask_output_dir(void)
{
	for (;;) {
		struct aura_error err;
		char *q;
		char *d = setup_ask(
		    "Where finished videos go (empty: the directory aura is run from)", "");
		int rc;

		if (!d || !*d)
			return d;
		aura_error_clear(&err);
		rc = setup_check_dir(d, false, &err);
		if (rc == 1) {
			q = xasprintf("  %s does not exist. Create it?", d);
			rc = setup_ask_yes(q, true) ? setup_check_dir(d, true, &err) : 1;
			free(q);
		}
		if (rc == 0)
			return d;
		if (rc < 0)
			printf("  %s: %s: %s\n  hint: %s\n", aura_error_name(err.code),
			       aura_error_message(err.code), err.detail, aura_error_hint(err.code));
		free(d);
	}
}

static int wizard(struct setup *s)
{
	char *ff = locate_ffmpeg(NULL, NULL);
	char *home = paths_home();
	char *def_data = xasprintf("%s/.local/share/aura", home ? home : "~");
	const char *xdg = getenv("XDG_DATA_HOME");

	printf("aura setup: a few questions, then aura.ini is written (Enter keeps the "
	       "default; Ctrl-C quits without writing).\n\n");
	if (ff) {
		printf("FFmpeg: found %s\n", ff);
	} else {
		printf("FFmpeg: not found. Install it (Debian/Ubuntu: sudo apt-get install ffmpeg; "
		       "Fedora: sudo dnf install ffmpeg; macOS: brew install ffmpeg),\n"
		       "        or give its path now.\n");
		s->ffmpeg = setup_ask("Path to ffmpeg (empty: look in PATH at run time)", "");
		if (s->ffmpeg && !*s->ffmpeg) {
			free(s->ffmpeg);
			s->ffmpeg = NULL;
		}
	}
	free(ff);
	if (xdg && *xdg) {
		free(def_data);
		def_data = xasprintf("%s/aura", xdg);
	}
	s->data_dir = setup_ask("Data directory (database, job files, logs)", def_data);
	s->output_dir = ask_output_dir();
	/* The default stays implicit, so the config follows XDG_DATA_HOME. */
	if (s->data_dir && strcmp(s->data_dir, def_data) == 0) {
		free(s->data_dir);
		s->data_dir = xstrdup("");
	}
	free(def_data);
	free(home);
	if (!s->data_dir || !s->output_dir)
		return -1;

	printf("\nOnline providers are optional: aura works offline. Keys are read without "
	       "echo and never shown.\n");
	for (int i = 0; i < SETUP_NPROV; i++) {
		struct choice *c = &s->prov[i];
		char *q = xasprintf("\nUse %s?", prov_title[i]);
		c->use = setup_ask_yes(q, false);
		free(q);
		if (!c->use)
			continue;
		{
			struct aura_config d;
			memset(&d, 0, sizeof(d));
			config_defaults(&d);
			c->base_url =
			    setup_ask("  Base URL", provider_base_url(&d, provider_names[i]));
			config_free(&d);
		}
		if (default_env(i) || strcmp(provider_names[i], "openai") == 0) {
			const char *env = default_env(i);
			bool from_env =
			    setup_ask_yes("  Read the key from an environment variable "
					  "(recommended; no: store it in aura.ini, mode 0600)?",
					  true);
			if (from_env) {
				for (;;) {
					c->key_env = setup_ask("  Variable name", env);
					if (!c->key_env)
						return -1;
					if (valid_env_name(c->key_env))
						break;
					printf("  letters, digits and _ only\n");
					free(c->key_env);
				}
				if (!getenv(c->key_env))
					printf("  note: %s is not set in this shell; export it "
					       "where aura "
					       "runs\n",
					       c->key_env);
			} else {
				c->key =
				    setup_read_secret("  Key (typing is not shown; empty: none): ");
				if (c->key && !*c->key)
					wipe(&c->key);
			}
		}
		if (s->test && test_provider(i, c) != 0 &&
		    !setup_ask_yes("  Keep this provider anyway?", false)) {
			c->use = false;
		}
	}
	return 0;
}

static void setup_free(struct setup *s)
{
	free(s->ffmpeg);
	free(s->data_dir);
	free(s->output_dir);
	for (int i = 0; i < SETUP_NPROV; i++) {
		free(s->prov[i].base_url);
		free(s->prov[i].key_env);
		wipe(&s->prov[i].key);
	}
}

/* NAME=VALUE for a provider flag; fills *idx and returns VALUE, or NULL. */
static const char *split_named(const char *arg, int *idx)
{
	const char *eq = strchr(arg, '=');
	char name[32];

	if (!eq || (size_t)(eq - arg) >= sizeof(name))
		return NULL;
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	*idx = setup_prov_index(name);
	return *idx >= 0 ? eq + 1 : NULL;
}

static const struct option setup_opts[] = {
	{ "non-interactive", no_argument, NULL, 'n' },
	{ "ffmpeg", required_argument, NULL, 'f' },
	{ "data-dir", required_argument, NULL, 'd' },
	{ "output-dir", required_argument, NULL, 'o' },
	{ "provider", required_argument, NULL, 'p' },
	{ "base-url", required_argument, NULL, 'b' },
	{ "key-env", required_argument, NULL, 'e' },
	{ "key-stdin", required_argument, NULL, 'k' },
	{ "no-test", no_argument, NULL, 'T' },
	{ "force", no_argument, NULL, 'F' },
	{ "restart", no_argument, NULL, 'R' },
	{ NULL, 0, NULL, 0 },
};

struct setup_opts {
	struct setup *s;
	bool stdin_used;
};

/* The options applied to the answers as they come (args_parse's hook):
 * --key-stdin reads stdin where it stands, and an error names the first
 * bad option. */
static int setup_option(int c, const char *val, void *ud)
{
	struct setup_opts *so = ud;
	struct setup *s = so->s;
	const char *v;
	int idx;

	switch (c) {
	case 'n':
		s->interactive = false;
		break;
	case 'f':
		free(s->ffmpeg);
		s->ffmpeg = xstrdup(val);
		break;
	case 'd':
		free(s->data_dir);
		s->data_dir = xstrdup(val);
		break;
	case 'o':
		free(s->output_dir);
		s->output_dir = xstrdup(val);
		break;
	case 'p':
		if ((idx = setup_prov_index(val)) < 0)
			return cli_usage_error("unknown provider '%s' (openai, elevenlabs, "
					       "pexels, pixabay, sdwebui)",
					       val);
		s->prov[idx].use = true;
		break;
	case 'b':
	case 'e':
	case 'k':
		if (c == 'k') {
			idx = setup_prov_index(val);
			v = idx >= 0 ? "" : NULL;
		} else {
			v = split_named(val, &idx);
		}
		if (!v)
			return cli_usage_error("--%s wants %s",
					       c == 'b'	  ? "base-url"
					       : c == 'e' ? "key-env"
							  : "key-stdin",
					       c == 'k' ? "a provider name" : "PROVIDER=VALUE");
		s->prov[idx].use = true;
		if (c == 'b') {
			free(s->prov[idx].base_url);
			s->prov[idx].base_url = xstrdup(v);
		} else if (c == 'e') {
			if (!valid_env_name(v))
				return cli_usage_error("'%s' is not a variable name", v);
			free(s->prov[idx].key_env);
			s->prov[idx].key_env = xstrdup(v);
		} else {
			/* The key is read from stdin, never taken from argv,
			 * where `ps` would show it. */
			if (so->stdin_used)
				return cli_usage_error("--key-stdin can be given once");
			so->stdin_used = true;
			wipe(&s->prov[idx].key);
			s->prov[idx].key = setup_read_line();
			if (!s->prov[idx].key || !*s->prov[idx].key)
				return cli_usage_error("no key on stdin");
		}
		break;
	case 'T':
		s->test = false;
		break;
	case 'F':
		s->force = true;
		break;
	case 'R':
		s->restart = true;
		break;
	}
	return 0;
}

static int cmd_setup_run(struct cli_ctx *ctx, int argc, char **argv)
{
	extern const struct cmd_entry cmd_setup_entry;
	struct setup s = { .interactive = true, .test = true };
	struct aura_paths paths = { 0 };
	struct aura_error err;
	struct args a;
	char *text = NULL;
	int rc = 0;
	struct stat st;

	aura_error_clear(&err);
	struct setup_opts so = { .s = &s };
	rc = args_parse(&cmd_setup_entry, argc, argv, &a, &so);
	if (rc)
		goto out;
	if ((rc = cli_ctx_local_only(ctx, "aura setup")) != 0)
		goto out;
	if (s.interactive && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		rc = cli_usage_error("not a terminal; use --non-interactive with flags "
				     "(see `aura help setup`)");
		goto out;
	}
	if (paths_resolve_config(&paths, ctx->cli_config, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (stat(paths.config_file, &st) == 0 && !s.force) {
		if (!s.interactive) {
			aura_error_set(&err, AURA_E_CONFIG_EXISTS, "%s", paths.config_file);
			rc = cli_fail(&err);
			goto out;
		}
		printf("%s exists.\n", paths.config_file);
		if (!setup_ask_yes("Replace it?", false)) {
			printf("Nothing written.\n");
			goto out;
		}
	}
	if (s.interactive) {
		if (wizard(&s) < 0) {
			printf("\nNothing written.\n");
			rc = 2;
			goto out;
		}
	} else {
		char *ff = s.ffmpeg ? xstrdup(s.ffmpeg) : locate_ffmpeg(NULL, NULL);
		if (!ff) {
			aura_error_set(
			    &err, AURA_E_FFMPEG_NOT_FOUND,
			    "the configuration is written without it; pass --ffmpeg PATH "
			    "to name one");
			aura_error_print_about("warning", &err);
		}
		free(ff);
		if (s.output_dir && *s.output_dir &&
		    setup_check_dir(s.output_dir, true, &err) < 0) {
			rc = cli_fail(&err);
			goto out;
		}
		for (int i = 0; i < SETUP_NPROV; i++) {
			const char *v = s.prov[i].key_env;
			/* the name only: a key's value is never printed */
			if (s.prov[i].use && v && !*(getenv(v) ? getenv(v) : "")) {
				aura_error_set(&err, AURA_E_KEY_ENV_UNSET,
					       "%s is not set here; %s's key will be read from it "
					       "when the server starts",
					       v, provider_names[i]);
				aura_error_print_about("warning", &err);
			}
		}
		for (int i = 0; i < SETUP_NPROV && s.test; i++)
			if (s.prov[i].use && test_provider(i, &s.prov[i]) != 0)
				rc = 1; /* written anyway: the flags are what the script asked */
	}
	text = setup_render_ini(&s);
	if (setup_write_config(paths.config_file, text, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	printf("\nWrote %s (mode 0600).\n", paths.config_file);
	for (int i = 0; i < SETUP_NPROV; i++) {
		if (!s.prov[i].use)
			continue;
		if (s.prov[i].key)
			printf("  %s: key stored in the file\n", provider_names[i]);
		else if (s.prov[i].key_env)
			printf("  %s: key read from $%s\n", provider_names[i], s.prov[i].key_env);
		else
			printf("  %s: no key\n", provider_names[i]);
	}
	printf("Check everything with `aura doctor`.\n");
	{
		int r = setup_server_after_write(ctx, &s);
		if (r)
			rc = r;
	}
out:
	if (text) {
		memset(text, 0, strlen(text));
		free(text);
	}
	paths_free(&paths);
	setup_free(&s);
	return rc;
}

const struct cmd_entry cmd_setup_entry = {
	.name = "setup",
	.usage = "[--non-interactive] [OPTIONS]",
	.args = { .shorts = "", .longs = setup_opts, .min = 0, .max = 0, .option = setup_option },
	.summary =
	    "first-run wizard: find FFmpeg, choose directories and providers, write aura.ini",
	.help = "  --non-interactive      take the answers from the options below (for scripts)\n"
		"  --ffmpeg PATH          ffmpeg to use (default: found at run time)\n"
		"  --data-dir DIR         data directory to write into the config\n"
		"  --output-dir DIR       where finished videos go\n"
		"  --provider NAME        use NAME (openai, elevenlabs, pexels, pixabay, sdwebui)\n"
		"  --base-url NAME=URL    the provider's endpoint\n"
		"  --key-env NAME=VAR     read NAME's key from environment variable VAR\n"
		"  --key-stdin NAME       read NAME's key from the first line of stdin\n"
		"                         (stored inline; the file is mode 0600)\n"
		"  --no-test              do not test the providers live\n"
		"  --force                replace an existing config file\n"
		"  --restart              restart a running server so it reads the new file\n"
		"                         (its running jobs stop and are queued again)\n"
		"Keys are never accepted as arguments: `ps` would show them.\n",
	.flags = 0,
	.run = cmd_setup_run,
};
