#!/usr/bin/env python3
# tests/cli/pc.py -- the shell tests' raw protocol client (doc/protocol.md),
# one subcommand per kind of check; SOCK is the server's socket:
#   call SOCK LINE...        send each raw LINE, print the answer line to each
#   req SOCK METHOD [PARAMS] one request (PARAMS: JSON), print its answer
#                            line; fails when the answer is not JSON
#   req-py SOCK METHOD EXPR  the same with params from a Python expression
#                            (oversized values: "n" * 1000000)
#   submit SOCK ARGV [OUT]   a raw FFmpeg job (ARGV: a JSON array, cwd /);
#                            prints its id or "ERR ANSWER"
#   new SOCK CWD             a short video job (bees, 5 s, draft-480p); id
#   sub SOCK                 subscribe; print "subscribed"'s value, then
#                            each event's name ("answer" for an answer)
#                            until EOF, then "EOF"
#   events SOCK              subscribe; every line as received until EOF
#   cycles SOCK N            N connect/disconnect cycles, every 3rd with a ping
#   slow SOCK SECS LOGS      subscribe (logs: true/false), never read, for SECS
#   pings SOCK N             N pings, one every 50 ms; print the slowest (ms)
#   big SOCK                 a line past 1 MiB: print the error code and
#                            whether the server then hung up (EOF/OPEN)
#   peer SOCK                send nothing: the error code and EOF/OPEN
# Must never: retry, or hide an answer it did not expect.
import json, os, socket, sys, time


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.buf = b""

    def send(self, line):
        self.s.sendall(line + b"\n")

    def send_request(self, method, params):
        self.send(json.dumps({"id": 1, "method": method, "params": params}).encode())

    def readline(self, timeout=10):
        """One line (a partial one at EOF, "" at EOF), newline kept."""
        self.s.settimeout(timeout)
        while b"\n" not in self.buf:
            c = self.s.recv(65536)
            if not c:
                line, self.buf = self.buf, b""
                return line.decode()
            self.buf += c
        i = self.buf.index(b"\n") + 1
        line, self.buf = self.buf[:i], self.buf[i:]
        return line.decode()

    def hung_up(self):
        """After an answer: "EOF" if the server closed with nothing more."""
        if self.buf:
            return "OPEN"
        try:
            rest = self.s.recv(100)
        except ConnectionResetError:  # closed with our bytes unread: a reset
            rest = b""
        return "EOF" if rest == b"" else "OPEN"


def job_id(r):
    return r["result"]["job"]["id"] if r.get("ok") else "ERR " + json.dumps(r)


def request(path, method, params):
    c = Conn(path)
    c.send_request(method, params)
    line = c.readline(30)
    print(line.strip(), flush=True)
    return json.loads(line)


cmd, path = sys.argv[1], sys.argv[2]
args = sys.argv[3:]

if cmd == "call":
    c = Conn(path)
    for a in args:
        c.send(a.encode())
        sys.stdout.write(c.readline())
elif cmd == "req":
    request(path, args[0], json.loads(args[1]) if len(args) > 1 else {})
elif cmd == "req-py":
    request(path, args[0], eval(args[1]))
elif cmd == "submit":
    p = {"argv": json.loads(args[0]), "cwd": "/"}
    if len(args) > 1:
        p["output"] = args[1]
    c = Conn(path)
    c.send_request("submit", p)
    print(job_id(json.loads(c.readline())))
elif cmd == "new":
    c = Conn(path)
    c.send_request("new", {"topic": "bees", "cwd": args[0],
                           "options": {"duration": 5, "preset": "draft-480p"}})
    print(job_id(json.loads(c.readline())))
elif cmd == "sub":
    c = Conn(path)
    c.send(b'{"id":1,"method":"subscribe"}')
    print(json.loads(c.readline())["result"]["subscribed"], flush=True)
    while True:
        line = c.readline(60)
        if not line:
            print("EOF", flush=True)
            break
        print(json.loads(line).get("event", "answer"), flush=True)
elif cmd == "events":
    c = Conn(path)
    c.send(b'{"id":1,"method":"subscribe"}')
    while True:
        line = c.readline(600)
        if not line:
            break
        sys.stdout.write(line)
        sys.stdout.flush()
elif cmd == "cycles":
    for i in range(int(args[0])):
        c = Conn(path)
        if i % 3 == 0:
            c.send(b'{"id":1,"method":"ping"}')
            assert json.loads(c.readline())["ok"]
        c.s.close()
    print("done")
elif cmd == "slow":
    c = Conn(path)
    c.send(b'{"id":1,"method":"subscribe","params":{"logs":%s}}' % args[1].encode())
    print("subscribed", os.getpid(), flush=True)
    time.sleep(float(args[0]))
elif cmd == "pings":
    c = Conn(path)
    worst = 0.0
    for i in range(int(args[0])):
        t = time.monotonic()
        c.send(json.dumps({"id": i, "method": "ping"}).encode())
        r = json.loads(c.readline(5))
        assert r["id"] == i and r["ok"]
        worst = max(worst, (time.monotonic() - t) * 1000)
        time.sleep(0.05)
    print("%d" % worst)
elif cmd == "big":
    c = Conn(path)
    try:
        c.send(b"x" * (1024 * 1024 + 100))
    except OSError:
        pass
    line = c.readline()
    print(json.loads(line)["error"]["code"], c.hung_up())
elif cmd == "peer":
    c = Conn(path)
    line = c.readline()
    print(json.loads(line)["error"]["code"], c.hung_up())
else:
    sys.exit("pc.py: unknown subcommand " + cmd)
