#!/usr/bin/env python3
"""fake-provider.py -- a loopback stand-in for the online providers aura
talks to (OpenAI-compatible chat/speech/images/models, ElevenLabs, Pexels,
Pixabay, Stable Diffusion WebUI), with switchable faults.

Must never: listen on anything but 127.0.0.1, or need the network.

Start: python3 fake-provider.py  -> prints the port (chosen by the OS) on
stdout, then serves until killed.

Environment:
  FAKE_KEY      the key every API path requires (Bearer, xi-api-key, plain
                Authorization or ?key=); empty: no check
  FAKE_FAULTS   "PATH=FAULT[:COUNT],..." faults armed at start
  FAKE_HANG     seconds a "hang" lasts (default 30)
  FAKE_CLIP     the video clips' length and size, "SECONDS:WxH" (default
                2:320x180; bench/pipeline.sh --stock serves 15:1280x720,
                a clip as long and as large as a Pexels 720p one)

Control (no key needed):
  POST /_fault  {"path": "/v1/chat/completions", "fault": "500",
                 "count": 2, "retry_after": 1}   count -1 (default): forever
  POST /_reset  clear faults and counters
  GET  /_stats  {"PATH": requests served, ...}
  GET  /_last?path=PATH  the JSON body of the last request to PATH, {} if none

Video searches (/videos/search, /api/videos/) answer with VIDEO_HITS hits
(3; Pexels ids 303, 304..., Pixabay 404, 405...), each in several
renditions of one real 2 s 320x180 clip (made by ffmpeg's testsrc on first
use), a different clip per query and hit; GET /_stats counts each
rendition's path. POST /_config {"video_hits": N} changes the number of
hits (/_reset restores 3).

Faults: 500, 429 (+ Retry-After), 401, echo400 (the key echoed JSON-escaped
and URL-encoded), hang, trickle, truncated, nonjson, schema, oversized, ctype,
badmp4 (an MP4 header and no video: a download no decoder can use). PATH matches as a prefix; "*" matches every path.
"""
import base64
import io
import json
import math
import os
import socketserver
import struct
import subprocess
import sys
import threading
import time
import wave
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
FAULTS = {}   # path -> [fault, count, retry_after]
STATS = {}
LAST = {}     # path -> the last request's body
CONFIG = {"video_hits": 3}
KEY = os.environ.get("FAKE_KEY", "")
HANG = float(os.environ.get("FAKE_HANG", "30"))
CLIP_S, CLIP_SIZE = (os.environ.get("FAKE_CLIP") or "2:320x180").split(":")


def png(w=64, h=36, rgb=(40, 90, 160)):
    row = b"\x00" + bytes(rgb) * w
    raw = row * h

    def chunk(t, d):
        c = struct.pack(">I", len(d)) + t + d
        return c + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def wav(seconds=1.0, rate=24000):
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        n = int(seconds * rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i * 2 * math.pi * 440 / rate)))
                               for i in range(n)))
    return out.getvalue()


PNG = png()
WAV = wav()
CLIPS = {}    # clip number -> MP4 bytes, made on first use


def clip(n):
    """A real 2 s 320x180 MP4 whose picture changes over time (testsrc's
    counter), its hue set by n so that clips differ; the old header-only
    bytes when FFmpeg is missing."""
    with LOCK:
        if n in CLIPS:
            return CLIPS[n]
    data = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 1000
    try:
        data = subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
             "testsrc=size=%s:rate=25:duration=%s,hue=h=%d" % (CLIP_SIZE, CLIP_S, n * 53 % 360),
             "-c:v", "mpeg4", "-q:v", "5", "-pix_fmt", "yuv420p", "-f", "mp4",
             "-movflags", "frag_keyframe+empty_moov", "pipe:1"],
            check=True, capture_output=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        pass
    with LOCK:
        CLIPS[n] = data
    return data


def clip_no(query):
    """Which clip a video search answers with: one per query (0 to 63)."""
    return zlib.crc32(" ".join(query.split()).encode()) % 64


# Video renditions (name, width, height): the files all hold the same small
# clip; the names let tests see which one was chosen.
PEXELS_FILES = [("sd", 640, 360), ("720", 1280, 720), ("hd", 1920, 1080), ("4k", 3840, 2160),
                ("p720", 720, 1280), ("p1080", 1080, 1920)]
PIXABAY_FILES = [("large", "", 1920, 1080), ("medium", "-m", 1280, 720),
                 ("small", "-s", 960, 540), ("tiny", "-t", 640, 360)]


def arm(path, fault, count=-1, retry_after=1):
    with LOCK:
        FAULTS[path] = [fault, int(count), retry_after]


def take_fault(path):
    with LOCK:
        for p in sorted(FAULTS, key=len, reverse=True):
            if p == "*" or path.startswith(p):
                f = FAULTS[p]
                if f[1] == 0:
                    continue
                if f[1] > 0:
                    f[1] -= 1
                return f[0], f[2]
    return None, None


for item in filter(None, os.environ.get("FAKE_FAULTS", "").split(",")):
    p, _, spec = item.partition("=")
    f, _, c = spec.partition(":")
    arm(p.strip(), f.strip(), int(c) if c else -1)


SCENES = [
    {"heading": "The hive", "narration": "Bees live together in a busy hive.",
     "keywords": ["bee", "hive"]},
    {"heading": "Nectar", "narration": "Workers carry nectar home from the flowers.",
     "keywords": ["flower", "nectar"]},
    {"heading": "Honey", "narration": "They fan it with their wings until it turns to honey.",
     "keywords": ["honey", "honeycomb"]},
]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if os.environ.get("FAKE_VERBOSE"):
            sys.stderr.write("fake: " + (fmt % args) + "\n")

    def base(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def send(self, status, body, ctype="application/json", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def authorized(self, q):
        if not KEY:
            return True
        a = self.headers.get("Authorization", "")
        return (a == "Bearer " + KEY or a == KEY or self.headers.get("xi-api-key") == KEY
                or q.get("key", [""])[0] == KEY)

    def do_GET(self):
        self.handle_any(b"")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.handle_any(self.rfile.read(n) if n else b"")

    def handle_any(self, body):
        u = urlsplit(self.path)
        path, q = u.path, parse_qs(u.query)
        if path.startswith("/_"):
            return self.control(path, body)
        with LOCK:
            STATS[path] = STATS.get(path, 0) + 1
            LAST[path] = body
        fault, retry_after = take_fault(path)
        if fault and self.fault(fault, retry_after, path):
            return
        # Files (CDN downloads) and a local SD WebUI take no key.
        if not path.startswith(("/files/", "/sdapi/")) and not self.authorized(q):
            given = self.headers.get("Authorization", "") or self.headers.get("xi-api-key", "")
            # Real services echo (part of) the key they refused: aura must
            # redact it before logging the answer.
            return self.send(401, {"error": {"message": "Incorrect API key provided: %s" % given}})
        self.answer(path, q, body)

    def control(self, path, body):
        if path == "/_fault":
            d = json.loads(body or b"{}")
            arm(d["path"], d["fault"], d.get("count", -1), d.get("retry_after", 1))
            return self.send(200, {"ok": True})
        if path == "/_reset":
            with LOCK:
                FAULTS.clear()
                STATS.clear()
                LAST.clear()
                CONFIG["video_hits"] = 3
            return self.send(200, {"ok": True})
        if path == "/_config":
            d = json.loads(body or b"{}")
            with LOCK:
                CONFIG.update({k: int(v) for k, v in d.items() if k in CONFIG})
            return self.send(200, {"ok": True})
        if path == "/_stats":
            with LOCK:
                return self.send(200, dict(STATS))
        if path == "/_last":
            p = parse_qs(urlsplit(self.path).query).get("path", [""])[0]
            with LOCK:
                return self.send(200, LAST.get(p) or b"{}")
        self.send(404, {"error": "no such control"})

    def fault(self, fault, retry_after, path):
        if fault == "500":
            self.send(500, {"error": {"message": "internal failure"}})
        elif fault == "429":
            self.send(429, {"error": {"message": "slow down"}},
                      headers={"Retry-After": str(retry_after)})
        elif fault == "401":
            self.send(401, {"error": {"message": "Incorrect API key provided"}})
        elif fault == "echo400":
            # The refused key echoed back as real services may spell it:
            # JSON-escaped with "\/" (valid JSON that json.dumps never
            # writes) and URL-encoded in lower-case hex.
            given = self.headers.get("Authorization", "").removeprefix("Bearer ")
            esc = "".join({"/": "\\/", '"': '\\"', "\\": "\\\\"}.get(ch, ch) for ch in given)
            url = "".join(ch if ch.isalnum() else "%%%02x" % ord(ch) for ch in given)
            self.send(400, '{"error": {"message": "Incorrect API key provided: %s", '
                      '"doc": "https:\\/\\/example.invalid\\/?key=%s"}}' % (esc, url))
        elif fault == "hang":
            time.sleep(HANG)
            self.close_connection = True
        elif fault == "trickle":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "4096")
            self.end_headers()
            try:
                for _ in range(4096):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            self.close_connection = True
        elif fault == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"choices": [{"message": ')
            self.wfile.flush()
            self.close_connection = True
        elif fault == "nonjson":
            self.send(200, "<html><body>Bad gateway, try later</body></html>")
        elif fault == "schema":
            if path.endswith("/chat/completions"):
                content = json.dumps({"scenes": [{"heading": "only one", "narration": 7}]})
                self.send(200, {"choices": [{"message": {"role": "assistant", "content": content}}]})
            else:
                self.send(200, {"unexpected": True})
        elif fault == "oversized":
            # No Content-Length: the size cap must stop the stream itself.
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                chunk = b" " * 65536
                for _ in range(16 * 64):
                    self.wfile.write(chunk)
            except OSError:
                pass
            self.close_connection = True
        elif fault == "badmp4":
            self.send(200, b"\x00\x00\x00\x18ftypisom" + b"\x00" * 1000, ctype="video/mp4")
        elif fault == "ctype":
            self.send(200, "<html>not an image</html>", ctype="text/html")
        else:
            return False
        return True

    def answer(self, path, q, body):
        try:
            req = json.loads(body) if body else {}
        except ValueError:
            return self.send(400, {"error": {"message": "body is not JSON"}})
        b = self.base()
        if path.endswith("/models") or path == "/v1/user" or path == "/sdapi/v1/sd-models":
            return self.send(200, {"data": [{"id": "fake-model"}]})
        if path.endswith("/chat/completions"):
            rf = req.get("response_format") or {}
            if rf.get("type") != "json_schema" or "schema" not in (rf.get("json_schema") or {}):
                return self.send(400, {"error": {"message": "response_format json_schema expected"}})
            content = json.dumps({"scenes": SCENES})
            return self.send(200, {"id": "fake", "model": req.get("model", ""),
                                   "choices": [{"index": 0, "finish_reason": "stop",
                                                "message": {"role": "assistant",
                                                            "content": content}}]})
        if path.endswith("/audio/speech") and not (req.get("input") and req.get("voice")):
            return self.send(400, {"error": {"message": "input and voice expected"}})
        if path.endswith("/audio/speech") or path.startswith("/v1/text-to-speech/"):
            return self.send(200, WAV, ctype="audio/wav")
        if path.endswith("/images/generations"):
            return self.send(200, {"data": [{"b64_json": base64.b64encode(PNG).decode()}]})
        if path == "/sdapi/v1/txt2img":
            return self.send(200, {"images": [base64.b64encode(PNG).decode()]})
        if path == "/v1/search":
            return self.send(200, {"photos": [{
                "id": 101, "url": "https://www.pexels.com/photo/101/",
                "photographer": "Fake Photographer",
                "photographer_url": "https://www.pexels.com/@fake",
                "src": {k: b + "/files/pexels-101-%s.png" % k
                        for k in ("original", "large2x", "large", "landscape", "portrait")}}]})
        if path == "/videos/search":
            n = clip_no(q.get("query", [""])[0])
            hits = CONFIG["video_hits"]
            return self.send(200, {"page": 1, "per_page": hits, "total_results": hits, "videos": [{
                "id": 303 + k, "url": "https://www.pexels.com/video/%d/" % (303 + k),
                "duration": int(float(CLIP_S)),
                "user": {"name": "Fake Videographer"},
                "video_files": [
                    {"file_type": "video/mp4", "quality": "hd" if w * h >= 1280 * 720 else "sd",
                     "width": w, "height": h,
                     "link": b + "/files/pexels-%d-%s.mp4?clip=%d" % (303 + k, name, n + k)}
                    for name, w, h in PEXELS_FILES]} for k in range(hits)]})
        if path == "/api/videos/":
            n = clip_no(q.get("q", [""])[0])
            hits = CONFIG["video_hits"]
            return self.send(200, {"total": hits, "totalHits": hits, "hits": [{
                "id": 404 + k, "pageURL": "https://pixabay.com/videos/%d/" % (404 + k),
                "user": "fakevideo", "duration": int(float(CLIP_S)),
                "videos": {s: {"url": b + "/files/pixabay-%d%s.mp4?clip=%d" % (404 + k, sfx, n + k),
                               "width": w, "height": h}
                           for s, sfx, w, h in PIXABAY_FILES}} for k in range(hits)]})
        if path.startswith("/files/") and path.endswith(".mp4"):
            return self.send(200, clip(int(q.get("clip", ["0"])[0]) % 64), ctype="video/mp4")
        if path in ("/api/", "/api"):
            return self.send(200, {"total": 1, "totalHits": 1, "hits": [{
                "id": 202, "pageURL": "https://pixabay.com/photos/202/", "user": "fakeuser",
                "largeImageURL": b + "/files/pixabay-202.png",
                "webformatURL": b + "/files/pixabay-202-web.png"}]})
        if path.startswith("/files/") and path.endswith(".png"):
            return self.send(200, PNG, ctype="image/png")
        self.send(404, {"error": {"message": "no such path %s" % path}})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    sys.stdout.write("%d\n" % srv.server_address[1])
    sys.stdout.flush()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
