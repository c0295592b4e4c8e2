/*
 * test-ffclass.c -- the FFmpeg failure classifier on real FFmpeg 5.1.9
 * stderr (captured on Debian 12; "[ctx @ 0x...]" addresses as printed;
 * x264's long banner lines left out), real wait statuses (children that
 * exit or die on a real signal), the summary line, and the stderr ring's
 * exact 16 KiB bound and UTF-8 safety.
 *
 * How the texts were made (cwd with garbage.mp4 = 20 kB of /dev/urandom,
 * g.h264 = "garbage\n", ro/ = a mode 555 directory, secret.mp4 mode 600,
 * list.txt naming a missing file; F = ffmpeg -hide_banner -nostats -y):
 *   UNKNOWN_ENCODER       F -f lavfi -i testsrc=d=1 -c:v nosuchcodec out.mp4
 *   MISSING_INPUT         F -i /nonexistent/in.mp4 out.mp4
 *   GARBAGE_INPUT         F -i garbage.mp4 out.mp4
 *   NO_CODEC_PARAMS       F -f h264 -i g.h264 out.mp4
 *   NO_SUCH_FILTER        F -f lavfi -i testsrc=d=1 -vf nosuchfilter out.mp4
 *   FILTER_BAD_OPTION     F -f lavfi -i testsrc=d=1 -vf scale=foo=1 out.mp4
 *   UNRECOGNIZED_OPTION   F -nosuchopt -f lavfi -i testsrc=d=1 out.mp4
 *   FILTERGRAPH_SYNTAX    F -f lavfi -i testsrc=d=1 -filter_complex '[0:v]scale=2:2[x' ...
 *   LAVFI_NO_SUCH_FILTER  F -f lavfi -i nosuch=d=1 out.mp4
 *   BAD_OPTION_VALUE      F -f lavfi -i testsrc=d=1 -c:v libx264 -crf abc out.mp4
 *   MAP_NO_STREAMS        F -f lavfi -i testsrc=d=1 -map 0:a out.mp4
 *   PERM_OUTPUT           setpriv --reuid=nobody ... F -f lavfi -i testsrc=d=1 ro/out.mp4
 *   PERM_INPUT            setpriv --reuid=nobody ... F -i secret.mp4 /tmp/x.mp4
 *   ENOSPC_HEADER         F -f lavfi -i testsrc=d=1 -f mp4 /dev/full           (exit 1)
 *   ENOSPC_EXIT0          ffmpeg -hide_banner -y -f lavfi -i testsrc=d=1 -f mpegts /dev/full
 *                         (with stats: note the \r; FFmpeg exits 0!)
 *   SUBTITLES_MISSING     F -f lavfi -i testsrc=d=1 -vf subtitles=/nonexist.srt out.mp4
 *   CONCAT_MISSING        F -f concat -safe 0 -i list.txt -c copy out.mp4
 *   SIGTERM_CAUGHT        F -re -f lavfi -i testsrc=d=30 -f null -, then kill -TERM (exit 255)
 *   WARNINGS_OK           F -i corrupt264.ts -f null -  (damaged input, exit 0)
 */
#include "config.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/errors.h"
#include "ff/ffclass.h"
#include "base/util.h"

static const char UNKNOWN_ENCODER[] = "Input #0, lavfi, from 'testsrc=d=1':\n"
				      "  Duration: N/A, start: 0.000000, bitrate: N/A\n"
				      "  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), "
				      "rgb24, 320x240 [SAR 1:1 DAR 4:3], 25 tbr, 25 tbn\n"
				      "Unknown encoder 'nosuchcodec'\n";

static const char MISSING_INPUT[] = "/nonexistent/in.mp4: No such file or directory\n";

static const char GARBAGE_INPUT[] =
    "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55cf5636b880] Format mov,mp4,m4a,3gp,3g2,mj2 detected only with "
    "low score of 1, misdetection possible!\n"
    "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55cf5636b880] moov atom not found\n"
    "garbage.mp4: Invalid data found when processing input\n";

static const char NO_CODEC_PARAMS[] =
    "[h264 @ 0x55eafa91ce80] missing picture in access unit with size 8\n"
    "[extract_extradata @ 0x55eafa91d600] No start code is found.\n"
    "g.h264: could not find codec parameters\n"
    "Input #0, h264, from 'g.h264':\n"
    "  Duration: N/A, bitrate: N/A\n"
    "  Stream #0:0: Video: h264, none, 1200k tbn\n"
    "Stream mapping:\n"
    "  Stream #0:0 -> #0:0 (h264 (native) -> h264 (libx264))\n"
    "Press [q] to stop, [?] for help\n"
    "[h264 @ 0x55eafa91f500] No start code is found.\n"
    "[h264 @ 0x55eafa91f500] Error splitting the input into NAL units.\n"
    "Error while decoding stream #0:0: Invalid data found when processing input\n"
    "Cannot determine format of input stream 0:0 after EOF\n"
    "Error marking filters as finished\n"
    "Conversion failed!\n";

static const char NO_SUCH_FILTER[] =
    "Input #0, lavfi, from 'testsrc=d=1':\n"
    "  Duration: N/A, start: 0.000000, bitrate: N/A\n"
    "  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24, 320x240 [SAR 1:1 DAR 4:3], 25 "
    "tbr, 25 tbn\n"
    "Stream mapping:\n"
    "  Stream #0:0 -> #0:0 (rawvideo (native) -> h264 (libx264))\n"
    "Press [q] to stop, [?] for help\n"
    "[AVFilterGraph @ 0x5563cdb2d980] No such filter: 'nosuchfilter'\n"
    "Error reinitializing filters!\n"
    "Failed to inject frame into filter network: Invalid argument\n"
    "Error while processing the decoded data for stream #0:0\n"
    "Conversion failed!\n";

static const char FILTER_BAD_OPTION[] =
    "Input #0, lavfi, from 'testsrc=d=1':\n"
    "  Duration: N/A, start: 0.000000, bitrate: N/A\n"
    "  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24, 320x240 [SAR 1:1 DAR 4:3], 25 "
    "tbr, 25 tbn\n"
    "Stream mapping:\n"
    "  Stream #0:0 -> #0:0 (rawvideo (native) -> h264 (libx264))\n"
    "Press [q] to stop, [?] for help\n"
    "[Parsed_scale_0 @ 0x55d838d6b500] Option 'foo' not found\n"
    "[AVFilterGraph @ 0x55d838d6d980] Error initializing filter 'scale' with args 'foo=1'\n"
    "Error reinitializing filters!\n"
    "Failed to inject frame into filter network: Option not found\n"
    "Error while processing the decoded data for stream #0:0\n"
    "Conversion failed!\n";

static const char UNRECOGNIZED_OPTION[] = "Unrecognized option 'nosuchopt'.\n"
					  "Error splitting the argument list: Option not found\n";

static const char FILTERGRAPH_SYNTAX[] =
    "Input #0, lavfi, from 'testsrc=d=1':\n"
    "  Duration: N/A, start: 0.000000, bitrate: N/A\n"
    "  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24, 320x240 [SAR 1:1 DAR 4:3], 25 "
    "tbr, 25 tbn\n"
    "[AVFilterGraph @ 0x558fb3e2e780] Mismatched '[' found in the following: \"[x\".\n"
    "Error initializing complex filters.\n"
    "Invalid argument\n";

static const char LAVFI_NO_SUCH_FILTER[] = "[lavfi @ 0x5627063b9880] No such filter: 'nosuch'\n"
					   "nosuch=d=1: Invalid argument\n";

static const char BAD_OPTION_VALUE[] =
    "Input #0, lavfi, from 'testsrc=d=1':\n"
    "  Duration: N/A, start: 0.000000, bitrate: N/A\n"
    "  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24, 320x240 [SAR 1:1 DAR 4:3], 25 "
    "tbr, 25 tbn\n"
    "Stream mapping:\n"
    "  Stream #0:0 -> #0:0 (rawvideo (native) -> h264 (libx264))\n"
    "Press [q] to stop, [?] for help\n"
    "[libx264 @ 0x56290faf7b80] [Eval @ 0x7fff5fb8ba90] Undefined constant or missing '(' in "
    "'abc'\n"
    "[libx264 @ 0x56290faf7b80] Unable to parse option value \"abc\"\n"
    "[libx264 @ 0x56290faf7b80] Error setting option crf to value abc.\n"
    "Error initializing output stream 0:0 -- Error while opening encoder for output stream #0:0 - "
    "maybe incorrect parameters such as bit_rate, rate, width or height\n"
    "Conversion failed!\n";

static const char MAP_NO_STREAMS[] = "Input #0, lavfi, from 'testsrc=d=1':\n"
				     "  Duration: N/A, start: 0.000000, bitrate: N/A\n"
				     "  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), "
				     "rgb24, 320x240 [SAR 1:1 DAR 4:3], 25 tbr, 25 tbn\n"
				     "Stream map '0:a' matches no streams.\n"
				     "To ignore this, add a trailing '?' to the map.\n";

static const char PERM_OUTPUT[] = "Input #0, lavfi, from 'testsrc=d=1':\n"
				  "  Duration: N/A, start: 0.000000, bitrate: N/A\n"
				  "  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24, "
				  "320x240 [SAR 1:1 DAR 4:3], 25 tbr, 25 tbn\n"
				  "ro/out.mp4: Permission denied\n";

static const char PERM_INPUT[] = "secret.mp4: Permission denied\n";

static const char ENOSPC_HEADER[] =
    "Input #0, lavfi, from 'testsrc=d=1':\n"
    "  Duration: N/A, start: 0.000000, bitrate: N/A\n"
    "  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24, 320x240 [SAR 1:1 DAR 4:3], 25 "
    "tbr, 25 tbn\n"
    "Stream mapping:\n"
    "  Stream #0:0 -> #0:0 (rawvideo (native) -> h264 (libx264))\n"
    "Press [q] to stop, [?] for help\n"
    "[libx264 @ 0x55f754968880] using SAR=1/1\n"
    "[libx264 @ 0x55f754968880] profile High 4:4:4 Predictive, level 1.3, 4:4:4, 8-bit\n"
    "Could not write header for output file #0 (incorrect codec parameters ?): No space left on "
    "device\n"
    "Error initializing output stream 0:0 -- \n"
    "Conversion failed!\n";

static const char ENOSPC_EXIT0[] =
    "Input #0, lavfi, from 'testsrc=d=1':\n"
    "  Duration: N/A, start: 0.000000, bitrate: N/A\n"
    "  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24, 320x240 [SAR 1:1 DAR 4:3], 25 "
    "tbr, 25 tbn\n"
    "Stream mapping:\n"
    "  Stream #0:0 -> #0:0 (rawvideo (native) -> mpeg2video (native))\n"
    "Press [q] to stop, [?] for help\n"
    "Output #0, mpegts, to '/dev/full':\n"
    "  Metadata:\n"
    "    encoder         : Lavf59.27.100\n"
    "  Stream #0:0: Video: mpeg2video (Main), yuv420p(tv, progressive), 320x240 [SAR 1:1 DAR 4:3], "
    "q=2-31, 200 kb/s, 25 fps, 90k tbn\n"
    "    Metadata:\n"
    "      encoder         : Lavc59.37.100 mpeg2video\n"
    "    Side data:\n"
    "      cpb: bitrate max/min/avg: 0/0/200000 buffer size: 0 vbv_delay: N/A\n"
    "frame=    1 fps=0.0 q=0.0 size=       0kB time=00:00:00.00 bitrate=N/A speed=N/A    \r"
    "Error writing trailer of /dev/full: No space left on device\n"
    "frame=   25 fps=0.0 q=1.6 Lsize=      60kB time=00:00:00.92 bitrate= 532.9kbits/s speed=  35x "
    "   \n"
    "video:52kB audio:0kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: "
    "14.036916%\n"
    "Error closing file /dev/full: No space left on device\n";

static const char SUBTITLES_MISSING[] =
    "Input #0, lavfi, from 'testsrc=d=1':\n"
    "  Duration: N/A, start: 0.000000, bitrate: N/A\n"
    "  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24, 320x240 [SAR 1:1 DAR 4:3], 25 "
    "tbr, 25 tbn\n"
    "Stream mapping:\n"
    "  Stream #0:0 -> #0:0 (rawvideo (native) -> h264 (libx264))\n"
    "Press [q] to stop, [?] for help\n"
    "[Parsed_subtitles_0 @ 0x55aab80b2500] libass API version: 0x1701000\n"
    "[Parsed_subtitles_0 @ 0x55aab80b2500] libass source: tarball: 0.17.1\n"
    "[Parsed_subtitles_0 @ 0x55aab80b2500] Shaper: FriBidi 1.0.8 (SIMPLE) HarfBuzz-ng 6.0.0 "
    "(COMPLEX)\n"
    "[Parsed_subtitles_0 @ 0x55aab80b2500] Unable to open /nonexist.srt\n"
    "[AVFilterGraph @ 0x55aab80b4980] Error initializing filter 'subtitles' with args "
    "'/nonexist.srt'\n"
    "Error reinitializing filters!\n"
    "Failed to inject frame into filter network: No such file or directory\n"
    "Error while processing the decoded data for stream #0:0\n"
    "Conversion failed!\n";

static const char CONCAT_MISSING[] =
    "[concat @ 0x5629b6652940] Impossible to open '/nonexist1.mp4'\n"
    "list.txt: No such file or directory\n";

static const char SIGTERM_CAUGHT[] =
    "Input #0, lavfi, from 'testsrc=d=30':\n"
    "  Duration: N/A, start: 0.000000, bitrate: N/A\n"
    "  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24, 320x240 [SAR 1:1 DAR 4:3], 25 "
    "tbr, 25 tbn\n"
    "Stream mapping:\n"
    "  Stream #0:0 -> #0:0 (rawvideo (native) -> wrapped_avframe (native))\n"
    "Press [q] to stop, [?] for help\n"
    "Output #0, null, to 'pipe:':\n"
    "  Metadata:\n"
    "    encoder         : Lavf59.27.100\n"
    "  Stream #0:0: Video: wrapped_avframe, rgb24(progressive), 320x240 [SAR 1:1 DAR 4:3], q=2-31, "
    "200 kb/s, 25 fps, 25 tbn\n"
    "    Metadata:\n"
    "      encoder         : Lavc59.37.100 wrapped_avframe\n"
    "frame=   37 fps= 26 q=-0.0 Lsize=N/A time=00:00:01.48 bitrate=N/A speed=1.02x    \n"
    "video:17kB audio:0kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: "
    "unknown\n"
    "Exiting normally, received signal 15.\n";

static const char WARNINGS_OK[] =
    "[mpegts @ 0x55bcec5718c0] Packet corrupt (stream = 0, dts = 216000).\n"
    "[mpegts @ 0x55bcec5718c0] Packet corrupt (stream = 0, dts = 216000).\n"
    "Input #0, mpegts, from 'corrupt264.ts':\n"
    "  Duration: 00:00:04.00, start: 1.480000, bitrate: 94 kb/s\n"
    "  Program 1 \n"
    "    Metadata:\n"
    "      service_name    : Service01\n"
    "      service_provider: FFmpeg\n"
    "  Stream #0:0[0x100]: Video: h264 (High 4:4:4 Predictive) ([27][0][0][0] / 0x001B), "
    "yuv444p(progressive), 320x240 [SAR 1:1 DAR 4:3], 25 fps, 25 tbr, 90k tbn\n"
    "Stream mapping:\n"
    "  Stream #0:0 -> #0:0 (h264 (native) -> wrapped_avframe (native))\n"
    "Press [q] to stop, [?] for help\n"
    "Output #0, null, to 'pipe:':\n"
    "  Metadata:\n"
    "    encoder         : Lavf59.27.100\n"
    "  Stream #0:0: Video: wrapped_avframe, yuv444p(progressive), 320x240 [SAR 1:1 DAR 4:3], "
    "q=2-31, 200 kb/s, 25 fps, 25 tbn\n"
    "    Metadata:\n"
    "      encoder         : Lavc59.37.100 wrapped_avframe\n"
    "[mpegts @ 0x55bcec5718c0] Packet corrupt (stream = 0, dts = 216000).\n"
    "corrupt264.ts: corrupt input packet in stream 0\n"
    "[h264 @ 0x55bcec5a6180] co located POCs unavailable\n"
    "[h264 @ 0x55bcec62a8c0] co located POCs unavailable\n"
    "[h264 @ 0x55bcec62a8c0] mmco: unref short failure\n"
    "frame=   93 fps=0.0 q=-0.0 Lsize=N/A time=00:00:04.00 bitrate=N/A speed= 198x    \n"
    "video:43kB audio:0kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: "
    "unknown\n";

/* FFmpeg >= 6 reports open failures per side; written from FFmpeg 6.1's
 * messages (fftools/ffmpeg_mux_init.c, ffmpeg_demux.c), not captured. */
static const char FF6_OUTPUT_DIR[] = "[out#0/mp4 @ 0x5581c2a3e440] Error opening output "
				     "/nonexistent/dir/out.mp4: No such file or directory\n"
				     "Error opening output file /nonexistent/dir/out.mp4.\n"
				     "Error opening output files: No such file or directory\n";
static const char FF6_MISSING_INPUT[] =
    "[in#0 @ 0x55d0c8f3e440] Error opening input: No such file or directory\n"
    "Error opening input file /nonexistent/in.mp4.\n"
    "Error opening input files: No such file or directory\n";

/* ---- real wait statuses ------------------------------------------------------ */

static int status_exit(int code)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(code);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return st;
}

static int status_signal(int sig)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the default action, whatever a sanitizer installed; no core */
		struct rlimit nocore = { 0, 0 };
		setrlimit(RLIMIT_CORE, &nocore);
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(sig, &sa, NULL);
		kill(getpid(), sig);
		_exit(99);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), sig);
	return st;
}

static int classify(int st, const char *text, bool by_us)
{
	return ffclass_classify(st, text, text ? strlen(text) : 0, by_us);
}

#define assert_code(got, want) assert_string_equal(aura_error_name(got), aura_error_name(want))

/* ---- classification of real failures ---------------------------------------- */

struct fixture {
	const char *name;
	const char *text;
	int code;
	const char *summary; /* the summary must contain this */
};

static const struct fixture failures[] = {
	{ "unknown encoder", UNKNOWN_ENCODER, AURA_E_FFMPEG_UNKNOWN_ENCODER,
	  "Unknown encoder 'nosuchcodec'" },
	{ "missing input", MISSING_INPUT, AURA_E_FFMPEG_INPUT_NOT_FOUND,
	  "/nonexistent/in.mp4: No such file or directory" },
	{ "garbage input", GARBAGE_INPUT, AURA_E_FFMPEG_INVALID_DATA,
	  "garbage.mp4: Invalid data found when processing input" },
	{ "no codec parameters", NO_CODEC_PARAMS, AURA_E_FFMPEG_INVALID_DATA,
	  "Cannot determine format of input stream 0:0" },
	{ "no such filter", NO_SUCH_FILTER, AURA_E_FFMPEG_BAD_ARGS,
	  "[AVFilterGraph] No such filter: 'nosuchfilter'" },
	{ "filter option", FILTER_BAD_OPTION, AURA_E_FFMPEG_BAD_ARGS,
	  "Error initializing filter 'scale' with args 'foo=1'" },
	{ "unrecognized option", UNRECOGNIZED_OPTION, AURA_E_FFMPEG_BAD_ARGS,
	  "Unrecognized option 'nosuchopt'." },
	{ "filtergraph syntax", FILTERGRAPH_SYNTAX, AURA_E_FFMPEG_BAD_ARGS, "Mismatched '['" },
	{ "lavfi filter", LAVFI_NO_SUCH_FILTER, AURA_E_FFMPEG_BAD_ARGS,
	  "[lavfi] No such filter: 'nosuch'" },
	{ "option value", BAD_OPTION_VALUE, AURA_E_FFMPEG_BAD_ARGS,
	  "[libx264] Error setting option crf to value abc." },
	{ "map", MAP_NO_STREAMS, AURA_E_FFMPEG_BAD_ARGS, "Stream map '0:a' matches no streams." },
	{ "output permission", PERM_OUTPUT, AURA_E_FFMPEG_PERMISSION,
	  "ro/out.mp4: Permission denied" },
	{ "input permission", PERM_INPUT, AURA_E_FFMPEG_PERMISSION,
	  "secret.mp4: Permission denied" },
	{ "disk full", ENOSPC_HEADER, AURA_E_DISK_FULL,
	  "Could not write header for output file #0 (incorrect codec parameters ?): No space "
	  "left on device" },
	{ "subtitles file", SUBTITLES_MISSING, AURA_E_FFMPEG_INPUT_NOT_FOUND,
	  "[Parsed_subtitles_0] Unable to open /nonexist.srt" },
	{ "concat entry", CONCAT_MISSING, AURA_E_FFMPEG_INPUT_NOT_FOUND,
	  "[concat] Impossible to open '/nonexist1.mp4'" },
	{ "ffmpeg 6 output dir", FF6_OUTPUT_DIR, AURA_E_FFMPEG_BAD_ARGS,
	  "Error opening output file /nonexistent/dir/out.mp4." },
	{ "ffmpeg 6 input", FF6_MISSING_INPUT, AURA_E_FFMPEG_INPUT_NOT_FOUND,
	  "Error opening input file /nonexistent/in.mp4." },
};

static void test_real_failures(void **state)
{
	(void)state;
	int st = status_exit(1);
	for (size_t i = 0; i < ARRAY_LEN(failures); i++) {
		const struct fixture *f = &failures[i];
		print_message("# %s\n", f->name);
		assert_code(classify(st, f->text, false), f->code);
		assert_code(ffclass_classify_text(f->text, strlen(f->text)), f->code);
		char *sum = ffclass_summary(f->text);
		assert_non_null(sum);
		if (!strstr(sum, f->summary))
			fail_msg("%s: summary \"%s\" lacks \"%s\"", f->name, sum, f->summary);
		assert_null(strstr(sum, " @ 0x")); /* addresses mean nothing to users */
		assert_null(strchr(sum, '\n'));
		free(sum);
	}
}

static void test_success_is_success(void **state)
{
	(void)state;
	int ok = status_exit(0);
	/* a damaged input FFmpeg got through: its warnings are not errors */
	assert_int_equal(classify(ok, WARNINGS_OK, false), 0);
	/* nor does any error text turn exit 0 into a failure... */
	assert_int_equal(classify(ok, UNKNOWN_ENCODER, false), 0);
	assert_int_equal(classify(ok, NULL, false), 0);
	assert_int_equal(classify(ok, "", true), 0);
	/* ...except a failed write: mpegts to a full disk exits 0 with a
	 * truncated file */
	assert_code(classify(ok, ENOSPC_EXIT0, false), AURA_E_DISK_FULL);
	char *sum = ffclass_summary(ENOSPC_EXIT0);
	assert_string_equal(sum, "Error closing file /dev/full: No space left on device");
	free(sum);
	/* and the same text with a non-zero exit is not a success either */
	assert_code(classify(status_exit(1), WARNINGS_OK, false), AURA_E_FFMPEG_FAILED);
}

static void test_signals(void **state)
{
	(void)state;
	int killed = status_signal(SIGKILL), segv = status_signal(SIGSEGV);
	/* a death we did not cause (OOM killer, crash) beats any text */
	assert_code(classify(killed, WARNINGS_OK, false), AURA_E_FFMPEG_KILLED);
	assert_code(classify(killed, UNKNOWN_ENCODER, false), AURA_E_FFMPEG_KILLED);
	assert_code(classify(segv, NULL, false), AURA_E_FFMPEG_KILLED);
	/* FFmpeg catches SIGTERM itself and exits 255 */
	int st255 = status_exit(255);
	assert_code(classify(st255, SIGTERM_CAUGHT, false), AURA_E_FFMPEG_KILLED);
	/* ...even after decode errors it survived */
	char *mixed = xasprintf("%s%s",
				"Error while decoding stream #0:0: Invalid data found when "
				"processing input\n",
				SIGTERM_CAUGHT);
	assert_code(classify(st255, mixed, false), AURA_E_FFMPEG_KILLED);
	free(mixed);
	/* our own stop is not FFMPEG_KILLED: the caller knows its reason */
	assert_code(classify(killed, WARNINGS_OK, true), AURA_E_FFMPEG_FAILED);
	assert_code(classify(st255, SIGTERM_CAUGHT, true), AURA_E_FFMPEG_FAILED);
	assert_int_equal(classify(status_exit(0), SIGTERM_CAUGHT, true), 0); /* 'q' */
	/* but a real cause found in the text still says more */
	assert_code(classify(killed, ENOSPC_HEADER, true), AURA_E_DISK_FULL);
}

static void test_last_error_wins(void **state)
{
	(void)state;
	int st = status_exit(1);
	/* earlier errors were survived; the one at the end ended the run */
	char *a = xasprintf("%s%s", GARBAGE_INPUT, UNKNOWN_ENCODER);
	char *b = xasprintf("%s%s", UNKNOWN_ENCODER, GARBAGE_INPUT);
	assert_code(classify(st, a, false), AURA_E_FFMPEG_UNKNOWN_ENCODER);
	assert_code(classify(st, b, false), AURA_E_FFMPEG_INVALID_DATA);
	char *sa = ffclass_summary(a), *sb = ffclass_summary(b);
	assert_string_equal(sa, "Unknown encoder 'nosuchcodec'");
	assert_string_equal(sb, "garbage.mp4: Invalid data found when processing input");
	free(sa);
	free(sb);
	free(a);
	free(b);
	/* within the tail's n bytes only: nothing past n is read */
	static const char two[] = "Unknown encoder 'x'\nfoo: Permission denied\n";
	assert_code(ffclass_classify(st, two, strlen("Unknown encoder 'x'\n"), false),
		    AURA_E_FFMPEG_UNKNOWN_ENCODER);
	assert_code(ffclass_classify(st, two, strlen(two), false), AURA_E_FFMPEG_PERMISSION);
	/* FFmpeg's capitals vary between versions (4.x: "Could not find
	 * codec parameters for stream 0 ...", 5.x: "...: could not find") */
	assert_code(classify(st,
			     "Could not find codec parameters for stream 0 (Video: h264, none): "
			     "unspecified size\n",
			     false),
		    AURA_E_FFMPEG_INVALID_DATA);
	/* the errno text of a wrapper line outranks the filter noise above:
	 * a subtitles file that is missing is a missing input */
	assert_code(classify(st, SUBTITLES_MISSING, false), AURA_E_FFMPEG_INPUT_NOT_FOUND);
}

/* A bracketed prefix with an '@' whose name is longer than the summary
 * (found by the ffclass fuzzer): the summary still keeps its bound. */
static void test_summary_long_bracket_name(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "[");
	for (int i = 0; i < 2 * FFCLASS_SUMMARY_MAX; i++)
		buf_puts(&b, "I");
	buf_puts(&b, " @ 0x1] the decoded data for stream 0 is wrong\n");
	char *sum = ffclass_summary(b.data);
	assert_non_null(sum);
	assert_in_range(strlen(sum), 1, FFCLASS_SUMMARY_MAX + 3);
	free(sum);
	/* a short context name is still shortened */
	sum = ffclass_summary("[libx264 @ 0x55d0c] broken\n");
	assert_string_equal(sum, "[libx264] broken");
	free(sum);
	buf_free(&b);
}

static void test_unknown_and_invalid_argument(void **state)
{
	(void)state;
	int st = status_exit(1);
	assert_code(classify(st, "something odd happened\nConversion failed!\n", false),
		    AURA_E_FFMPEG_FAILED);
	char *sum = ffclass_summary("something odd happened\nConversion failed!\n");
	assert_string_equal(sum, "something odd happened");
	free(sum);
	sum = ffclass_summary("Conversion failed!\n");
	assert_string_equal(sum, "Conversion failed!"); /* better than nothing */
	free(sum);
	assert_code(classify(st, NULL, false), AURA_E_FFMPEG_FAILED);
	assert_code(classify(st, "", false), AURA_E_FFMPEG_FAILED);
	assert_null(ffclass_summary(""));
	assert_null(ffclass_summary("\n\r\n  \n"));
	assert_null(ffclass_summary(NULL));
	/* "Invalid argument" alone is no proof of bad arguments... */
	assert_code(classify(st, "out.xyz: Invalid argument\n", false), AURA_E_FFMPEG_FAILED);
	/* ...but in the context of filters it is */
	assert_code(classify(st,
			     "[Parsed_drawtext_0 @ 0x55] text expansion failed\n"
			     "x: Invalid argument\n",
			     false),
		    AURA_E_FFMPEG_BAD_ARGS);
	assert_code(
	    classify(st, "Failed to inject frame into filter network: Invalid argument\n", false),
	    AURA_E_FFMPEG_BAD_ARGS);
}

static void test_summary_is_clean(void **state)
{
	(void)state;
	char *sum = ffclass_summary("[mp4 @ 0x55d0c8f3e440] \t muxer said\001 no \t \r\n");
	assert_string_equal(sum, "[mp4] muxer said  no");
	free(sum);
	/* a huge line is cut, with a marker, without splitting a character */
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "x: Permission denied ");
	while (b.len < 4 * FFCLASS_SUMMARY_MAX)
		buf_puts(&b, "\xc3\xa9"); /* é */
	buf_puts(&b, "\n");
	for (int shift = 0; shift < 2; shift++) {
		sum = ffclass_summary(b.data + shift);
		assert_non_null(sum);
		size_t len = strlen(sum);
		assert_true(len <= FFCLASS_SUMMARY_MAX + 3);
		assert_string_equal(sum + len - 3, "...");
		/* the byte before "..." ends a whole character */
		unsigned char c = (unsigned char)sum[len - 4];
		assert_true(c < 0x80 || c == 0xa9);
		assert_null(strchr(sum, '?')); /* no half character was kept */
		free(sum);
	}
	buf_free(&b);
	/* an error right after a stats line (which ends in \r) stands alone */
	sum = ffclass_summary("frame=    1 fps=0.0 q=0.0 size=       0kB time=00:00:00.00 "
			      "bitrate=N/A speed=N/A    \rError writing trailer of out.mp4: "
			      "No space left on device\n");
	assert_string_equal(sum, "Error writing trailer of out.mp4: No space left on device");
	free(sum);
	/* invalid UTF-8 is not passed on */
	sum = ffclass_summary("bad\xff\xfe byte: No such file or directory\n");
	assert_string_equal(sum, "bad?? byte: No such file or directory");
	free(sum);
}

/* ---- the stderr ring ------------------------------------------------------------ */

static void test_tail_keeps_exactly_the_last_16k(void **state)
{
	(void)state;
	static struct ffclass_tail t;
	ffclass_tail_init(&t);
	char *s = ffclass_tail_text(&t);
	assert_string_equal(s, "");
	free(s);

	size_t total = 200000;
	char *ref = xmalloc(total);
	for (size_t i = 0; i < total; i++)
		ref[i] = (char)('a' + (i * 7 + i / 13) % 26);
	/* chunk sizes: 0, 1, odd ones, exactly the bound, above it */
	static const size_t sizes[] = { 0,     1,     2,     7, 4095, 4096, 16383,
					16384, 16385, 40000, 3, 100,  1 };
	size_t done = 0, k = 0;
	while (done < total) {
		size_t n = sizes[k++ % ARRAY_LEN(sizes)];
		if (n > total - done)
			n = total - done;
		ffclass_tail_append(&t, ref + done, n);
		done += n;
		size_t want = done < FFCLASS_TAIL_MAX ? done : FFCLASS_TAIL_MAX;
		assert_int_equal(t.len, want);
		assert_int_equal(t.total, done);
		s = ffclass_tail_text(&t);
		assert_int_equal(strlen(s), want);
		assert_memory_equal(s, ref + done - want, want);
		free(s);
	}
	free(ref);
}

static void test_tail_text_is_valid_utf8(void **state)
{
	(void)state;
	static struct ffclass_tail t;
	ffclass_tail_init(&t);
	/* '€' is 3 bytes and the bound is not a multiple of 3: the ring
	 * cuts a character, whose remaining byte becomes '?' */
	for (int i = 0; i < 6000; i++)
		ffclass_tail_append(&t, "\xe2\x82\xac", 3);
	char *s = ffclass_tail_text(&t);
	assert_int_equal(strlen(s), FFCLASS_TAIL_MAX);
	assert_int_equal(s[0], '?');
	assert_memory_equal(s + 1, "\xe2\x82\xac\xe2\x82\xac", 6);
	assert_memory_equal(s + FFCLASS_TAIL_MAX - 3, "\xe2\x82\xac", 3);
	free(s);

	ffclass_tail_init(&t);
	static const char bad[] =
	    "\xa9"
	    "ok\0nul \xff\xfe \xe2\x82\xac \xed\xa0\x80 \xc0\xaf \xe0\x80\xaf end";
	ffclass_tail_append(&t, bad, sizeof(bad) - 1);
	s = ffclass_tail_text(&t);
	/* a stray continuation, NUL, invalid bytes, a surrogate, overlong
	 * '/'s: each byte becomes '?'; the euro sign stays */
	assert_string_equal(s, "?ok?nul ?? \xe2\x82\xac ??? ?? ??? end");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_failures),
		cmocka_unit_test(test_success_is_success),
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_last_error_wins),
		cmocka_unit_test(test_unknown_and_invalid_argument),
		cmocka_unit_test(test_summary_is_clean),
		cmocka_unit_test(test_summary_long_bracket_name),
		cmocka_unit_test(test_tail_keeps_exactly_the_last_16k),
		cmocka_unit_test(test_tail_text_is_valid_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
