#!/usr/bin/env python3
# tests/load/loadc.py -- the load scenarios' raw protocol client (doc/protocol.md):
#   sub SOCK OUT            subscribe to everything; write "T_MS EVENT ID" lines
#                           to OUT until the server says shutdown or hangs up
#   submit SOCK N K ARGV... N raw FFmpeg jobs over K connections at once, each
#                           argv with {i} replaced by the job's number; prints
#                           one line per job: "ID" or "ERR CODE"
#   pings SOCK N            N pings, one every 20 ms; prints the slowest (ms)
# Must never: retry silently (a refused submit is reported, not hidden).
import json, os, socket, sys, threading, time

def conn(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s, s.makefile("rb")

cmd, path = sys.argv[1], sys.argv[2]
if cmd == "sub":
    s, f = conn(path)
    s.sendall(b'{"id":1,"method":"subscribe","params":{}}\n')
    with open(sys.argv[3], "w", buffering=1) as out:
        for line in f:
            m = json.loads(line)
            ev = m.get("event")
            if ev is None:
                continue
            jid = m.get("id", m.get("job", {}).get("id", 0))
            st = m.get("job", {}).get("state", "")
            out.write("%d %s %s %s\n" % (time.time() * 1000, ev, jid, st))
            if ev == "shutdown":
                break
elif cmd == "submit":
    n, k, argv = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
    res = [None] * n
    def worker(w):
        s, f = conn(path)
        for i in range(w, n, k):
            p = {"argv": [a.replace("{i}", str(i)) for a in argv], "cwd": os.getcwd()}
            s.sendall(json.dumps({"id": i, "method": "submit", "params": p}).encode() + b"\n")
            r = json.loads(f.readline())
            res[i] = str(r["result"]["job"]["id"]) if r.get("ok") else "ERR " + r.get("error", {}).get("code", "?")
    ts = [threading.Thread(target=worker, args=(w,)) for w in range(k)]
    for t in ts: t.start()
    for t in ts: t.join()
    print("\n".join(r or "ERR NONE" for r in res))
elif cmd == "pings":
    s, f = conn(path)
    worst = 0.0
    for i in range(int(sys.argv[3])):
        t = time.time()
        s.sendall(b'{"id":1,"method":"ping"}\n')
        f.readline()
        worst = max(worst, (time.time() - t) * 1000)
        time.sleep(0.02)
    print("%.1f" % worst)
