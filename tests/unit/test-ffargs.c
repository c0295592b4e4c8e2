/*
 * test-ffargs.c -- the argv builder, display quoting, presets, and the
 * escaping of text for filtergraphs, proved against the real FFmpeg
 * (AURA_FFMPEG or ffmpeg in PATH): hostile text reaches drawtext and the
 * subtitles filter byte for byte, renders exactly as the verbatim
 * textfile route does, and never adds a filter to the graph.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "video/captions.h"
#include "ff/ffargs.h"

/* ---- running FFmpeg -------------------------------------------------------- */

static char tmpdir[256];

static const char *ffmpeg_bin(void)
{
	const char *e = getenv("AURA_FFMPEG");
	return e && *e ? e : "ffmpeg";
}

static const char *ffprobe_bin(void)
{
	const char *e = getenv("AURA_FFPROBE");
	return e && *e ? e : "ffprobe";
}

static char *slurp_fd(int fd)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "");
	lseek(fd, 0, SEEK_SET);
	char chunk[8192];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(&b, chunk, (size_t)n);
	close(fd);
	return b.data;
}

static int temp_fd(void)
{
	char *path = xasprintf("%s/io.XXXXXX", tmpdir);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	free(path);
	return fd;
}

/* Run argv (no shell) in cwd; its exit status, stdout and stderr. */
static int run(char **argv, const char *cwd, char **out, char **err)
{
	int fo = temp_fd(), fe = temp_fd();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int dn = open("/dev/null", O_RDONLY);
		dup2(dn, 0);
		dup2(fo, 1);
		dup2(fe, 2);
		if (cwd && chdir(cwd) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		assert_int_equal(errno, EINTR);
	char *o = slurp_fd(fo), *e = slurp_fd(fe);
	if (out)
		*out = o;
	else
		free(o);
	if (err)
		*err = e;
	else
		free(e);
	int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (rc == 127)
		fail_msg("%s could not be run: install FFmpeg or set AURA_FFMPEG", argv[0]);
	return rc;
}

/* ffmpeg over a short black clip with -vf vf; output discarded or hashed */
static int run_vf(const char *vf, const char *level, const char *size, const char *cwd, char **out,
		  char **err)
{
	struct ffargs a = { 0 };
	char *src = xasprintf("color=c=black:s=%s:d=0.1", size);
	ffargs_addv(&a, ffmpeg_bin(), "-nostdin", "-hide_banner", "-v", level, "-f", "lavfi", "-i",
		    src, "-vf", vf, "-f", out ? "md5" : "null", "-");
	free(src);
	int rc = run(a.argv, cwd, out, err);
	ffargs_free(&a);
	return rc;
}

/* The MD5 of the frames ffmpeg renders with vf; fails on any error. */
static char *render_md5(const char *vf, const char *size, const char *cwd)
{
	char *out, *err;
	int rc = run_vf(vf, "error", size, cwd, &out, &err);
	if (rc != 0 || *err)
		fail_msg("ffmpeg -vf '%s' failed (%d): %s", vf, rc, err);
	free(err);
	assert_true(str_starts_with(out, "MD5="));
	return out;
}

/* stderr of a -v debug run, which must succeed with no error line */
static char *run_debug(const char *vf, const char *size, const char *cwd)
{
	char *err;
	int rc = run_vf(vf, "debug", size, cwd, NULL, &err);
	if (rc != 0)
		fail_msg("ffmpeg -vf '%s' failed (%d): %s", vf, rc, err);
	return err;
}

/* At -v debug every filter logs "Setting 'KEY' to value 'VALUE'": the
 * value the filter really received. */
static void assert_value_reached(const char *log, const char *key, const char *value)
{
	char *needle = xasprintf("Setting '%s' to value '%s'\n", key, value);
	if (!strstr(log, needle))
		fail_msg("the filter did not receive %s='%s'", key, value);
	free(needle);
}

/* Filter instances of the -vf graph and the lavfi input ("Parsed_x_N"):
 * only those expected, so nothing was injected. */
static void assert_filters_only(const char *log, const char *const *allowed)
{
	for (const char *p = log; (p = strstr(p, "[Parsed_")); p++) {
		const char *e = strstr(p, " @ ");
		assert_non_null(e);
		char *name = xstrndup(p + 1, (size_t)(e - p - 1));
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			ok = ok || strcmp(name, *a) == 0;
		if (!ok)
			fail_msg("unexpected filter %s in the graph", name);
		free(name);
	}
}

static int group_setup(void **state)
{
	(void)state;
	const char *t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/aura-ffargs-XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	rm_tree(tmpdir);
	return 0;
}

/* ---- argv ------------------------------------------------------------------ */

static void test_argv_builder(void **state)
{
	(void)state;
	struct ffargs a;
	ffargs_init(&a);
	ffargs_add(&a, "ffmpeg");
	ffargs_addf(&a, "-%s", "y");
	ffargs_addv(&a, "-i", "in put.mp4");
	for (int i = 0; i < 40; i++) /* grows */
		ffargs_addf(&a, "%d", i);
	assert_int_equal(a.n, 44);
	assert_string_equal(a.argv[0], "ffmpeg");
	assert_string_equal(a.argv[1], "-y");
	assert_string_equal(a.argv[3], "in put.mp4");
	assert_string_equal(a.argv[43], "39");
	assert_null(a.argv[44]);
	char **v = ffargs_steal(&a);
	assert_int_equal(a.n, 0);
	assert_null(a.argv);
	assert_string_equal(v[2], "-i");
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
	/* an empty argv is still NULL-terminated */
	v = ffargs_steal(&a);
	assert_non_null(v);
	assert_null(v[0]);
	free(v);
	ffargs_free(&a); /* of an empty one: fine */
}

static void test_display_quoting(void **state)
{
	(void)state;
	struct ffargs a = { 0 };
	ffargs_addv(&a, "ffmpeg", "-vf", "drawtext=text=it's:x=1", "a b", "", "plain/path-1.mp4",
		    "two\nlines\t\x01");
	char *d = ffargs_to_display(&a);
	assert_string_equal(d, "ffmpeg -vf 'drawtext=text=it'\\''s:x=1' 'a b' '' plain/path-1.mp4 "
			       "$'two\\nlines\\t\\x01'");
	free(d);
	ffargs_free(&a);
	char *q = ffargs_quote_display("$HOME;rm -rf `x`");
	assert_string_equal(q, "'$HOME;rm -rf `x`'");
	free(q);
}

/* ---- escaping tables ------------------------------------------------------- */

static void test_escape_table(void **state)
{
	(void)state;
	struct {
		const char *in, *out;
	} value[] = {
		{ "abc", "abc" },
		{ "", "" },
		{ "a b", "a b" },
		{ "a:b", "a\\\\:b" },
		{ "a'b", "a\\\\\\'b" },
		{ "a,b", "a\\,b" },
		{ "a\\b", "a\\\\\\\\b" },
		{ "[x];", "\\[x\\]\\;" },
		{ " lead", "\\\\ lead" },
		{ "trail ", "trail\\\\\\ " },
		{ "%{pts}", "%{pts}" },
		{ "\xE4\xBD\xA0\xE5\xA5\xBD", "\xE4\xBD\xA0\xE5\xA5\xBD" },
	};
	for (size_t i = 0; i < ARRAY_LEN(value); i++) {
		char *e = ffargs_escape_filter_value(value[i].in);
		assert_string_equal(e, value[i].out);
		free(e);
	}
	char *e = ffargs_escape_filter_value(NULL);
	assert_string_equal(e, "");
	free(e);

	/* drawtext's own level comes first: \ and % */
	e = ffargs_escape_drawtext("100% %{pts}");
	assert_string_equal(e, "100\\\\\\\\% \\\\\\\\%{pts}");
	free(e);
	e = ffargs_escape_drawtext("a\\b");
	assert_string_equal(e, "a\\\\\\\\\\\\\\\\b");
	free(e);

	/* a relative path whose first component holds ':' is not a URL */
	struct {
		const char *in, *out;
	} subs[] = {
		{ "a:b.srt", "./a\\\\:b.srt" },
		{ "/abs/a:b.srt", "/abs/a\\\\:b.srt" },
		{ "dir/a:b.srt", "dir/a\\\\:b.srt" },
		{ "plain.srt", "plain.srt" },
	};
	for (size_t i = 0; i < ARRAY_LEN(subs); i++) {
		e = ffargs_escape_subtitles_path(subs[i].in);
		assert_string_equal(e, subs[i].out);
		free(e);
	}
}

/* ---- presets --------------------------------------------------------------- */

static void test_presets(void **state)
{
	(void)state;
	struct {
		const char *name;
		int w, h;
	} want[] = {
		{ "landscape-720p", 1280, 720 },  { "landscape-1080p", 1920, 1080 },
		{ "portrait-1080p", 1080, 1920 }, { "square-1080p", 1080, 1080 },
		{ "draft-480p", 854, 480 },
	};
	int n;
	const struct preset *list = preset_list(&n);
	assert_int_equal(n, (int)ARRAY_LEN(want));
	assert_string_equal(list[0].name, PRESET_DEFAULT);
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		const struct preset *p = preset_find(want[i].name);
		assert_non_null(p);
		assert_int_equal(p->w, want[i].w);
		assert_int_equal(p->h, want[i].h);
		assert_true(p->w % 2 == 0 && p->h % 2 == 0); /* yuv420p */
		assert_true(p->caption_cols > 0 && p->caption_cols <= 42);
		assert_true(strlen(p->summary) > 0);
		assert_int_equal(preset_is_portrait(p), p->h > p->w);
	}
	assert_null(preset_find("LANDSCAPE-720P"));
	assert_null(preset_find("4k"));
	assert_null(preset_find(NULL));
	char *f = preset_fit_filter(preset_find("portrait-1080p"));
	assert_string_equal(f, "scale=1080:1920:force_original_aspect_ratio=decrease,"
			       "pad=1080:1920:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30");
	free(f);
}

/* ---- real FFmpeg ----------------------------------------------------------- */

static const char *const hostile[] = {
	"plain",
	"it's a 'quote'",
	"double \"quotes\"",
	"colon: a:b::c",
	"comma, semi; colon:",
	"[brackets] [in][out]",
	"back\\slash \\\\ double \\' \\: \\,",
	"percent % %% %{pts} %{localtime} %{eif:1:d}",
	"{braces} {}",
	"line one\nline two\n",
	"'[out];[in]",
	"x,drawbox",
	"x:fontcolor=red",
	"text=evil:x=0",
	"  leading and trailing  ",
	"   ",
	"\t tab lead",
	"ends with backslash\\",
	"ends with quote'",
	"\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 \xD8\xB9\xD8\xA7\xD9\x84\xD9\x85", /* Arabic */
	"\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96\xE7\x95\x8C",
	"emoji \xF0\x9F\x9A\x80\xF0\x9F\x8E\xAC\xE2\x9D\xA4\xEF\xB8\x8F",
	"all: ' \" : , ; [ ] \\ % { } \n %{pts} '[out];[in] x,drawbox",
};

static const char *const drawtext_only[] = { "Parsed_color_0", "Parsed_drawtext_0", NULL };

#define DT "drawtext=fontcolor=white:fontsize=10:x=1:y=1:"

/* text= through both filtergraph levels: the filter gets exactly the text */
static void test_ffmpeg_filter_value_verbatim(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(hostile); i++) {
		char *v = ffargs_escape_filter_value(hostile[i]);
		char *vf = xasprintf(DT "expansion=none:text=%s", v);
		char *log = run_debug(vf, "64x64", NULL);
		assert_value_reached(log, "text", hostile[i]);
		assert_value_reached(log, "expansion", "none");
		assert_filters_only(log, drawtext_only);
		free(log);
		free(vf);
		free(v);
	}
}

/* No injected filter: and the detector itself does see one. */
static void test_ffmpeg_no_injection(void **state)
{
	(void)state;
	char *log = run_debug("drawtext=text=x,drawbox", "64x64", NULL);
	assert_non_null(strstr(log, "[Parsed_drawbox_1 @ "));
	free(log);

	const char *attacks[] = { "x,drawbox", "'[out];[in] drawbox", "x;[in]drawbox",
				  "x:text=y,drawbox=c=red", "\\,drawbox" };
	for (size_t i = 0; i < ARRAY_LEN(attacks); i++) {
		char *v = ffargs_escape_drawtext(attacks[i]);
		char *vf = xasprintf(DT "text=%s", v);
		log = run_debug(vf, "64x64", NULL);
		assert_filters_only(log, drawtext_only);
		assert_null(strstr(log, "drawbox @"));
		free(log);
		free(vf);
		free(v);
	}
}

/* drawtext's %{...} and \ under expansion=normal: text= with
 * ffargs_escape_drawtext renders the very frames that textfile= with
 * expansion=none (verbatim by construction) renders. */
static void test_ffmpeg_drawtext_matches_textfile(void **state)
{
	(void)state;
	char *path = xasprintf("%s/text.txt", tmpdir);
	char *vpath = ffargs_escape_filter_value(path);
	char *by_file_vf = xasprintf(DT "expansion=none:textfile=%s", vpath);
	for (size_t i = 0; i < ARRAY_LEN(hostile); i++) {
		assert_int_equal(ffargs_write_textfile(path, hostile[i], NULL), 0);
		char *v = ffargs_escape_drawtext(hostile[i]);
		char *vf = xasprintf(DT "text=%s", v);
		char *a = render_md5(vf, "96x48", NULL);
		char *b = render_md5(by_file_vf, "96x48", NULL);
		if (strcmp(a, b) != 0)
			fail_msg("drawtext text= and textfile= differ for \"%s\"", hostile[i]);
		free(a);
		free(b);
		free(vf);
		free(v);
	}
	/* the comparison can tell: %{pts} left to drawtext expands */
	assert_int_equal(ffargs_write_textfile(path, "%{pts}", NULL), 0);
	char *raw = ffargs_escape_filter_value("%{pts}");
	char *vf = xasprintf(DT "text=%s", raw);
	char *a = render_md5(vf, "96x48", NULL);
	char *b = render_md5(by_file_vf, "96x48", NULL);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	free(vf);
	free(raw);
	free(by_file_vf);
	free(vpath);
	free(path);
}

static char *make_dir(const char *name)
{
	char *d = xasprintf("%s/%s", tmpdir, name);
	assert_true(mkdir(d, 0700) == 0 || errno == EEXIST);
	return d;
}

/* textfile= in a directory whose name is hostile: only the path is in the
 * graph, and it arrives intact. */
static void test_ffmpeg_textfile_hostile_path(void **state)
{
	(void)state;
	char *dir = make_dir("dir 'q', c:o;l [b] \\ %");
	char *path = xasprintf("%s/t:x'.txt", dir);
	const char *text = "Heading: it's 100% {x} [y], z; \\";
	assert_int_equal(ffargs_write_textfile(path, text, NULL), 0);
	char *vp = ffargs_escape_filter_value(path);
	char *vf = xasprintf(DT "expansion=none:textfile=%s", vp);
	char *log = run_debug(vf, "96x48", NULL);
	assert_value_reached(log, "textfile", path);
	assert_filters_only(log, drawtext_only);
	free(log);
	char *dv = ffargs_escape_drawtext(text);
	char *vf2 = xasprintf(DT "text=%s", dv);
	char *a = render_md5(vf, "96x48", NULL);
	char *b = render_md5(vf2, "96x48", NULL);
	assert_string_equal(a, b);
	free(a);
	free(b);
	free(vf2);
	free(dv);
	free(vf);
	free(vp);
	free(path);
	free(dir);
}

static void write_file(const char *path, const char *data)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(data, f);
	assert_int_equal(fclose(f), 0);
}

static char *srt_of(const char *text)
{
	struct caption_list l = { 0 };
	captions_split(text, 42, 2, &l);
	captions_time(l.cues, l.n, 0, 1000);
	struct buf b;
	buf_init(&b);
	captions_format_srt(&b, l.cues, l.n, 1);
	caption_list_free(&l);
	return b.data;
}

/* subtitles= with a hostile path and a force_style full of commas */
static void test_ffmpeg_subtitles_hostile_path(void **state)
{
	(void)state;
	const struct preset *p = preset_find("landscape-720p");
	char *dir = make_dir("subs: it's, [odd]; dir");
	char *path = xasprintf("%s/a:b'c,d[e].srt", dir);
	char *srt = srt_of("Hello, subtitles!");
	write_file(path, srt);
	char *style = captions_force_style(p, "DejaVu Sans");
	char *vp = ffargs_escape_subtitles_path(path);
	char *vs = ffargs_escape_filter_value(style);
	char *vf = xasprintf("subtitles=filename=%s:force_style=%s", vp, vs);
	char *log = run_debug(vf, "320x180", NULL);
	assert_value_reached(log, "filename", path);
	assert_value_reached(log, "force_style", style);
	const char *only[] = { "Parsed_color_0", "Parsed_subtitles_0", NULL };
	assert_filters_only(log, only);
	free(log);
	/* and the cue was drawn */
	char *with = render_md5(vf, "320x180", NULL);
	char *without = render_md5("null", "320x180", NULL);
	assert_string_not_equal(with, without);
	free(with);
	free(without);
	free(vf);
	free(vs);
	free(vp);
	free(style);
	free(srt);
	free(path);
	free(dir);
}

/* A relative "a:b.srt" would be a URL with protocol "a" without the "./". */
static void test_ffmpeg_subtitles_relative_colon(void **state)
{
	(void)state;
	char *dir = make_dir("rel");
	char *path = xasprintf("%s/a:b.srt", dir);
	char *srt = srt_of("Relative path.");
	write_file(path, srt);
	char *vp = ffargs_escape_subtitles_path("a:b.srt");
	char *vf = xasprintf("subtitles=filename=%s", vp);
	char *out = render_md5(vf, "320x180", dir);
	free(out);
	free(vf);
	free(vp);
	/* the same name given raw fails: the "./" is what makes it work */
	vp = ffargs_escape_filter_value("a:b.srt");
	vf = xasprintf("subtitles=filename=%s", vp);
	assert_int_not_equal(run_vf(vf, "error", "320x180", dir, NULL, NULL), 0);
	free(vf);
	free(vp);
	free(srt);
	free(path);
	free(dir);
}

static char *replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	assert_non_null(p);
	return xasprintf("%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
}

/* An ASS written by captions_format_ass shows braces and "\N" as text:
 * the same script with the text unescaped renders differently (libass
 * hides "{...}" and breaks the line at "\N"). */
static void test_ffmpeg_ass_text_is_literal(void **state)
{
	(void)state;
	const struct preset p = { "tiny", 320, 180, 23, "medium", 96, 42, "test" };
	const char *texts[][3] = {
		{ "{hidden} text", "\\{hidden\\} text", "{hidden} text" },
		{ "a\\Nb c", "a\\\xE2\x81\xA0Nb c", "a\\Nb c" },
	};
	char *path = xasprintf("%s/c.ass", tmpdir);
	char *vp = ffargs_escape_subtitles_path(path);
	char *vf = xasprintf("subtitles=filename=%s", vp);
	for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
		char *t = xstrdup(texts[i][0]);
		struct caption_cue c = { t, 10, 0, 1000, 0 };
		struct buf b;
		buf_init(&b);
		captions_format_ass(&b, &p, NULL, &c, 1);
		assert_non_null(strstr(b.data, texts[i][1]));
		write_file(path, b.data);
		char *escaped = render_md5(vf, "320x180", NULL);
		char *raw_ass = replace(b.data, texts[i][1], texts[i][2]);
		write_file(path, raw_ass);
		char *raw = render_md5(vf, "320x180", NULL);
		assert_string_not_equal(escaped, raw);
		free(raw);
		free(raw_ass);
		free(escaped);
		buf_free(&b);
		free(t);
	}
	free(vf);
	free(vp);
	free(path);
}

static long find_box(const char *data, size_t len, const char *type)
{
	for (size_t i = 0; i + 4 <= len; i++)
		if (memcmp(data + i, type, 4) == 0)
			return (long)i;
	return -1;
}

/* The shared encoding options with the fit and loudness filters make the
 * promised file: H.264 yuv420p at the preset's size, 30 fps, AAC 48 kHz
 * stereo, moov before mdat (+faststart). */
static void test_ffmpeg_encode_preset(void **state)
{
	(void)state;
	const struct preset *p = preset_find("draft-480p");
	char *out = xasprintf("%s/enc.mp4", tmpdir);
	char *fit = preset_fit_filter(p);
	struct ffargs a = { 0 };
	ffargs_addv(&a, ffmpeg_bin(), "-nostdin", "-hide_banner", "-v", "error", "-y", "-f",
		    "lavfi", "-i", "testsrc=s=320x240:r=25:d=0.5", "-f", "lavfi", "-i",
		    "sine=f=440:r=44100:d=0.5", "-vf", fit, "-af", FFARGS_LOUDNORM_FILTER);
	ffargs_add_encode(&a, p);
	ffargs_addv(&a, "-t", "0.5", out);
	char *err;
	if (run(a.argv, NULL, NULL, &err) != 0)
		fail_msg("encode failed: %s", err);
	free(err);
	ffargs_free(&a);

	ffargs_addv(&a, ffprobe_bin(), "-v", "error", "-show_entries",
		    "stream=codec_type,codec_name,width,height,pix_fmt,r_frame_rate,sample_rate,"
		    "channels",
		    "-of", "default=noprint_wrappers=1", out);
	char *probe;
	assert_int_equal(run(a.argv, NULL, &probe, NULL), 0);
	ffargs_free(&a);
	const char *want[] = { "codec_name=h264\n",   "width=854\n",	     "height=480\n",
			       "pix_fmt=yuv420p\n",   "r_frame_rate=30/1\n", "codec_name=aac\n",
			       "sample_rate=48000\n", "channels=2\n" };
	for (size_t i = 0; i < ARRAY_LEN(want); i++)
		if (!strstr(probe, want[i]))
			fail_msg("ffprobe lacks %s in:\n%s", want[i], probe);
	free(probe);

	int fd = open(out, O_RDONLY);
	assert_true(fd >= 0);
	char *data = slurp_fd(fd);
	struct stat st;
	assert_int_equal(stat(out, &st), 0);
	long moov = find_box(data, (size_t)st.st_size, "moov");
	long mdat = find_box(data, (size_t)st.st_size, "mdat");
	assert_true(moov > 0 && mdat > 0 && moov < mdat);
	free(data);
	free(fit);
	free(out);
}

static void test_write_textfile_errors(void **state)
{
	(void)state;
	struct aura_error err;
	char *path = xasprintf("%s/no/such/dir/t.txt", tmpdir);
	assert_int_equal(ffargs_write_textfile(path, "x", &err), -AURA_E_DATA_DIR);
	assert_non_null(strstr(err.detail, path));
	free(path);
	/* replaces an existing file, byte for byte, no newline added */
	path = xasprintf("%s/replace.txt", tmpdir);
	assert_int_equal(ffargs_write_textfile(path, "first version, longer", NULL), 0);
	assert_int_equal(ffargs_write_textfile(path, "second", NULL), 0);
	int fd = open(path, O_RDONLY);
	char *got = slurp_fd(fd);
	assert_string_equal(got, "second");
	free(got);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv_builder),
		cmocka_unit_test(test_display_quoting),
		cmocka_unit_test(test_escape_table),
		cmocka_unit_test(test_presets),
		cmocka_unit_test(test_write_textfile_errors),
		cmocka_unit_test(test_ffmpeg_filter_value_verbatim),
		cmocka_unit_test(test_ffmpeg_no_injection),
		cmocka_unit_test(test_ffmpeg_drawtext_matches_textfile),
		cmocka_unit_test(test_ffmpeg_textfile_hostile_path),
		cmocka_unit_test(test_ffmpeg_subtitles_hostile_path),
		cmocka_unit_test(test_ffmpeg_subtitles_relative_colon),
		cmocka_unit_test(test_ffmpeg_ass_text_is_literal),
		cmocka_unit_test(test_ffmpeg_encode_preset),
	};
	return cmocka_run_group_tests_name("ffargs", tests, group_setup, group_teardown);
}
