#!/usr/bin/env python3
# bench/latency-ffmpeg.py -- a stand-in ffmpeg for bench/run.sh's event
# latency: given "-progress pipe:N" it writes LAT_BLOCKS progress blocks
# (default 200), one every LAT_PERIOD_MS (default 50), each with a unique
# out_time_us, and appends "WRITE_MS OUT_TIME_US" to $LAT_LOG just before
# each write, so a subscriber's receive time can be matched to the moment
# the block left "FFmpeg". Without -progress (version and capability
# probes) it runs the real ffmpeg ($LAT_REAL_FFMPEG, else ffmpeg on PATH).
# At the end it writes a few bytes to its output (the last argument, the
# temporary name aura gave it), as aura fails a job that wrote nothing.
# Must never: be used outside the benchmark.
import os, sys, time

args = sys.argv[1:]
fd = None
for i, a in enumerate(args):
    if a == "-progress" and i + 1 < len(args) and args[i + 1].startswith("pipe:"):
        fd = int(args[i + 1][5:] or 1)
if fd is None:
    real = os.environ.get("LAT_REAL_FFMPEG", "ffmpeg")
    os.execvp(real, [real] + args)

n = int(os.environ.get("LAT_BLOCKS", "200"))
period = int(os.environ.get("LAT_PERIOD_MS", "50")) / 1000.0
log = open(os.environ["LAT_LOG"], "a", buffering=1)
for k in range(1, n + 1):
    us = k * 40000
    end = "end" if k == n else "continue"
    block = ("frame=%d\nfps=25.0\nstream_0_0_q=2.0\nbitrate=100.0kbits/s\ntotal_size=%d\n"
             "out_time_us=%d\nout_time_ms=%d\nout_time=00:00:%09.6f\ndup_frames=0\n"
             "drop_frames=0\nspeed=1.0x\nprogress=%s\n") % (k, k * 1000, us, us, us / 1e6, end)
    log.write("%.3f %d\n" % (time.time() * 1000, us))
    os.write(fd, block.encode())
    time.sleep(period)
with open(args[-1], "wb") as out:
    out.write(b"latency bench\n")
sys.exit(0)
