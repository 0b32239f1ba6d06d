#!/usr/bin/env python3
"""Load on `wuxia serve`: C concurrent clients x R requests each (8 x 50 by
default), each client on its own keep-alive connection, requests cycling
through POST /api/name, /api/sample and /api/explain with varied bodies.
Prints p50/p99/max latency per endpoint and overall, the errors (any answer
but 200 with names, or a connection failure: must be 0), the throughput, the
server's CPU time and peak memory, and the load average. With --slow-clients
S, S more connections trickle a request a byte a second all along (they never
finish), and GET /api/health is timed every half second beside them (its slowest
answer is printed; over 3 s, or none, counts as an error). A benchmark for
docs/PERF.md, not a test.

usage: scripts/bench_serve.py [--wuxia build/wuxia] [--checkpoint CKPT]... [--clients 8] [--requests 50]
                              [--workers N] [--endpoints name,sample,explain] [--slow-clients 8]
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

SURNAMES = ["林", "王", "李", "张", "陈", "刘", "杨", "黄", "赵", "周", "吴", "徐", "孙", "欧阳", "单", "曾"]
GENDERS = ["girl", "boy", "any"]
EXPLAIN = ["林黛玉", "单雄信", "令狐冲", "王语嫣", "欧阳锋", "曾国藩", "李白", "杜甫"]


def body_for(endpoint, i):
    if endpoint == "name":
        return {"surname": SURNAMES[i % len(SURNAMES)], "gender": GENDERS[i % 3], "n": 20}
    if endpoint == "sample":
        return {"n": 20, "temperature": 0.8, "seed": i}
    return {"names": [EXPLAIN[i % len(EXPLAIN)], EXPLAIN[(i + 3) % len(EXPLAIN)]]}


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick  # utime, stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wuxia", default="build/wuxia")
    ap.add_argument("--checkpoint", action="append", default=[])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--workers", type=int, default=None, help="wuxia serve --workers (its default when absent)")
    ap.add_argument("--endpoints", default="name,sample,explain")
    ap.add_argument("--slow-clients", type=int, default=0)
    args = ap.parse_args()
    endpoints = args.endpoints.split(",")
    for e in endpoints:
        if e not in ("name", "sample", "explain"):
            sys.exit("bench_serve: --endpoints: %s is not name, sample or explain" % e)

    cmd = [args.wuxia, "serve", "--port", "0"]
    for c in args.checkpoint:
        cmd += ["--checkpoint", c]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    port = None
    seen = ""
    for line in server.stdout:
        seen += line
        if "open http://" in line:
            port = int(line.split("open http://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
            break
    if not port:
        server.kill()
        sys.exit("bench_serve: wuxia serve printed no URL:\n" + seen)
    # Drain the server's output so that it never blocks on a full pipe.
    threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()

    results = []  # (endpoint, seconds, ok)
    lock = threading.Lock()

    def client(c):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine = []
        for k in range(args.requests):
            i = c * args.requests + k
            endpoint = endpoints[i % len(endpoints)]
            payload = json.dumps(body_for(endpoint, i)).encode()
            t0 = time.perf_counter()
            ok = False
            try:
                conn.request("POST", "/api/" + endpoint, payload, {"Content-Type": "application/json"})
                res = conn.getresponse()
                data = res.read()
                ok = res.status == 200 and bool(json.loads(data).get("names"))
                if not ok:
                    print("error: %s %s -> %d %s" % (endpoint, payload.decode(), res.status, data[:200]),
                          file=sys.stderr)
            except Exception as e:  # a failed connection counts as an error, then reconnect
                print("error: %s: %r" % (endpoint, e), file=sys.stderr)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            mine.append((endpoint, time.perf_counter() - t0, ok))
        conn.close()
        with lock:
            results.extend(mine)

    stop = threading.Event()

    def trickle():
        # A request line and headers, a byte a second, never the blank line that ends them.
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError as e:
            print("error: a slow client could not connect: %r" % e, file=sys.stderr)
            return
        text = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
        k = 0
        try:
            while not stop.wait(1.0 if k else 0):
                sock.sendall(text[k:k + 1] if k < len(text) else b"x")
                k += 1
        except OSError:
            pass  # the server cut it off: fine
        sock.close()

    health = []  # seconds per GET /api/health, None when no answer within 3 s

    def probe():
        while True:  # once at the start, then every half second, then once more at the end
            done = stop.is_set()
            t = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
                conn.request("GET", "/api/health")
                ok = conn.getresponse().status == 200
                conn.close()
                health.append(time.perf_counter() - t if ok else None)
            except Exception:
                health.append(None)
            if done:
                return
            stop.wait(0.5)

    slow = [threading.Thread(target=trickle, daemon=True) for _ in range(args.slow_clients)]
    for t in slow:
        t.start()
    prober = threading.Thread(target=probe, daemon=True)
    if args.slow_clients:
        time.sleep(2)  # each has its connection and a byte or two sent
        prober.start()

    load_before = os.getloadavg()
    cpu0 = cpu_seconds(server.pid)
    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    stop.set()
    if args.slow_clients:
        prober.join()
    for t in slow:
        t.join()
    cpu = cpu_seconds(server.pid) - cpu0
    load_after = os.getloadavg()
    with open("/proc/%d/status" % server.pid) as f:
        peak_kb = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    server.terminate()
    server.wait(30)

    print("wuxia serve: %d clients x %d requests (%s), %s" %
          (args.clients, args.requests, ",".join(endpoints),
           " ".join(args.checkpoint) if args.checkpoint else "the default checkpoints"))
    print("%-8s %6s %9s %9s %9s %6s" % ("endpoint", "count", "p50 ms", "p99 ms", "max ms", "errors"))
    for e in endpoints + ["all"]:
        rows = [r for r in results if e == "all" or r[0] == e]
        lat = [r[1] * 1000 for r in rows]
        print("%-8s %6d %9.1f %9.1f %9.1f %6d" %
              (e, len(rows), statistics.median(lat), pct(lat, 0.99), max(lat), sum(1 for r in rows if not r[2])))
    print("throughput %.1f requests/s over %.1f s; server CPU %.1f s (user+sys), peak memory %d MB; "
          "load average %.2f before, %.2f after"
          % (len(results) / wall, wall, cpu, peak_kb // 1024, load_before[0], load_after[0]))
    errors = sum(1 for r in results if not r[2])
    if args.slow_clients:
        answered = [h for h in health if h is not None]
        late = sum(1 for h in health if h is None or h > 3)
        print("beside %d slow clients (a byte a second): GET /api/health %d times, slowest %s, %d over 3 s or "
              "unanswered" % (args.slow_clients, len(health),
                              "%.0f ms" % (max(answered) * 1000) if answered else "none answered", late))
        errors += late
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
