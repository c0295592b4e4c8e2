#!/usr/bin/env python3
"""bench/content-floor.py -- the floor that carries the video's own content.

Reads a finished `aura new` job's job.log and prints, NUL-separated, the
argv of ONE bare ffmpeg command that encodes the same video from lavfi
sources: the render stage's own command (same cards, crossfades, burned
captions, encoder settings), with each card PNG replaced by the lavfi
chain the visuals stage drew it with (one frame of it) and the narration
replaced by a tone of the same length. What is left out is everything
aura does besides encoding: the script, the voice, drawing the cards to
files, measuring, the audio mix, verifying, the server.

    bench/content-floor.py JOB_DIR OUTPUT.mp4 > argv0
    (cd JOB_DIR && xargs -0 -a argv0 ffmpeg ...)   # as bench/pipeline.sh does
    bench/content-floor.py --lossless JOB_DIR OUTPUT.mkv > argv0

--lossless prints instead the render command itself, every card file and
caption as the job rendered them, with x264 lossless (-qp 0 in place of
-crf N) into Matroska: the reference bench/pipeline.sh measures aura's
SSIM against (the narration is a tone there too; only the picture is
compared).

Stills and stock clips stay the files the render read (decoding them is the
video's content). Prints nothing and exits 1 when the log has no render
command.
"""
import json
import os
import shlex
import sys


def commands(log_path):
    """The argv of every command the job ran, in order."""
    out = []
    with open(log_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("[aura] running: "):
                out.append(shlex.split(line[len("[aura] running: "):]))
    return out


def main():
    args = sys.argv[1:]
    lossless = bool(args) and args[0] == "--lossless"
    if lossless:
        args = args[1:]
    if len(args) != 2:
        sys.stderr.write("usage: content-floor.py [--lossless] JOB_DIR OUTPUT\n")
        return 2
    job, output = args
    cmds = commands(os.path.join(job, "job.log"))
    cards = {}  # visuals/NNN.png -> the lavfi chain that drew it
    render = None
    for a in cmds:
        if any(x.startswith("visuals/") and x.endswith(".png") for x in a) and "-map" in a:
            chains = [a[i + 1] for i in range(len(a) - 1)
                      if a[i] == "-i" and i >= 2 and a[i - 2:i] == ["-f", "lavfi"]]
            for i in range(len(a) - 1):
                if a[i] == "-map" and a[i + 1].endswith(":v"):
                    k = int(a[i + 1].split(":")[0])
                    # the output file ends this output's options
                    j = i + 2
                    while j < len(a) and not a[j].startswith("visuals/"):
                        j += 1
                    if j < len(a) and k < len(chains):
                        cards[a[j]] = chains[k]
        if "-filter_complex" in a and any(x.endswith(".part.mp4") for x in a):
            render = a
    if render is None:
        return 1
    out = ["-hide_banner", "-v", "error", "-y"]
    i = 1
    while i < len(render):
        x = render[i]
        if x in ("-hide_banner", "-nostats", "-n", "-y"):
            i += 1
            continue
        if x == "-progress":
            i += 2
            continue
        if lossless and x == "-crf":
            out += ["-qp", "0"]
            i += 2
            continue
        if lossless and x == "-movflags":
            i += 2
            continue
        if lossless and x == "-f" and render[i + 1] == "mp4":
            out += ["-f", "matroska"]
            i += 2
            continue
        if not lossless and x == "-framerate" and i + 3 < len(render) and render[i + 2] == "-i" \
                and render[i + 3] in cards:
            out += ["-f", "lavfi", "-i", cards[render[i + 3]] + ",trim=end_frame=1"]
            i += 4
            continue
        if x == "-i" and render[i + 1].endswith("mix.wav"):
            out += ["-f", "lavfi", "-i", "sine=frequency=220:sample_rate=48000:duration=%s"
                    % duration_of(job)]
            i += 2
            continue
        if x.endswith(".part.mp4"):
            out.append(output)
            i += 1
            continue
        out.append(x)
        i += 1
    sys.stdout.write("\0".join(out) + "\0")
    return 0


def duration_of(job):
    """The plan's length in seconds, from voice.json's frames at 30 fps."""
    with open(os.path.join(job, "voice.json"), encoding="utf-8") as f:
        v = json.load(f)
    return "%.6f" % (v["total_frames"] / 30.0)


if __name__ == "__main__":
    sys.exit(main())
