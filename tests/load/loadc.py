#!/usr/bin/env python3
# tests/load/loadc.py -- the load scenarios' raw protocol client (doc/protocol.md):
#   sub SOCK OUT [logs]     subscribe to everything (with "logs": every job's
#                           log lines too); write "T_MS EVENT ID STATE"
#                           lines (STATE: a job's state, a progress's stage)
#                           to OUT until the server says shutdown or hangs up
#   submit SOCK N K ARGV... N raw FFmpeg jobs over K connections at once, each
#                           argv with {i} replaced by the job's number; prints
#                           one line per job: "ID" or "ERR CODE"
#   pings SOCK N            N pings, one every 20 ms; prints the slowest (ms)
#   subs SOCK K M SECS OUT  K subscribers on K connections in one process;
#                           each stops once it has seen M distinct jobs end
#                           (succeeded, failed, cancelled), at EOF or
#                           shutdown, or after SECS; writes one line per
#                           connection to OUT: "K EVENTS PROGRESS END_IDS..."
#                           (END_IDS comma-separated, sorted)
#   lat SOCK OUT            subscribe; for each progress event write
#                           "RECV_MS OUT_TIME_US" (ms with a fraction)
# Must never: retry silently (a refused submit is reported, not hidden).
import json, os, selectors, socket, sys, threading, time

def conn(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s, s.makefile("rb")

cmd, path = sys.argv[1], sys.argv[2]
if cmd == "sub":
    s, f = conn(path)
    logs = len(sys.argv) > 4 and sys.argv[4] == "logs"
    s.sendall(json.dumps({"id": 1, "method": "subscribe", "params": {"logs": logs}}).encode() + b"\n")
    with open(sys.argv[3], "w", buffering=1) as out:
        for line in f:
            m = json.loads(line)
            ev = m.get("event")
            if ev is None:
                continue
            jid = m.get("id", m.get("job", {}).get("id", 0))
            st = m.get("job", {}).get("state", "") or m.get("stage") or ""
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
elif cmd == "subs":
    k, m, secs, outp = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
    sel = selectors.DefaultSelector()
    st = []
    for i in range(k):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        s.sendall(b'{"id":1,"method":"subscribe","params":{}}\n')
        c = {"s": s, "buf": b"", "ev": 0, "prog": 0, "ends": set(), "open": True}
        st.append(c)
    # Subscribed on every connection before the caller goes on (OUT.ready),
    # so no job it submits next can end unseen.
    for c in st:
        while b'"subscribed"' not in c["buf"]:
            d = c["s"].recv(65536)
            if not d:
                break
            c["buf"] += d
        c["s"].setblocking(False)
        sel.register(c["s"], selectors.EVENT_READ, c)
    open(outp + ".ready", "w").close()
    left = k
    end = time.time() + secs
    while left and time.time() < end:
        for key, _ in sel.select(timeout=0.5):
            c = key.data
            try:
                d = c["s"].recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                d = b""
            if d:
                c["buf"] += d
                *lines, c["buf"] = c["buf"].split(b"\n")
            else:
                lines = []
            stop = not d
            for line in lines:
                msg = json.loads(line)
                ev = msg.get("event")
                if ev is None:
                    continue
                c["ev"] += 1
                if ev == "progress":
                    c["prog"] += 1
                elif ev == "job" and msg["job"]["state"] in ("succeeded", "failed", "cancelled"):
                    c["ends"].add(msg["job"]["id"])
                elif ev == "shutdown":
                    stop = True
            if stop or len(c["ends"]) >= m:
                sel.unregister(c["s"])
                c["s"].close()
                c["open"] = False
                left -= 1
    with open(outp, "w") as out:
        for i, c in enumerate(st):
            out.write("%d %d %d %s\n" % (i, c["ev"], c["prog"], ",".join(str(j) for j in sorted(c["ends"])) or "-"))
            if c["open"]:
                c["s"].close()
elif cmd == "lat":
    s, f = conn(path)
    s.sendall(b'{"id":1,"method":"subscribe","params":{}}\n')
    with open(sys.argv[3], "w", buffering=1) as out:
        for line in f:
            m = json.loads(line)
            ev = m.get("event")
            if ev == "progress":
                out.write("%.3f %d\n" % (time.time() * 1000, m.get("out_time_us") or 0))
            elif ev == "shutdown":
                break
