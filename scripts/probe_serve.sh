#!/usr/bin/env bash
# The hostile-client reproductions of issue 28, against a build and the
# default models (runs/default, runs/base: `wuxia train` makes both):
#   scripts/probe_serve.sh [BUILD/wuxia] [PORT]
# Prints one line per case; the expected answer is in each line's words.
W=$(realpath "${1:-build/wuxia}")
PORT=${2:-18231}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$W serve --port $PORT > "$tmp/serve.log" 2>&1 &
PID=$!
for i in $(seq 1 60); do curl -s -o /dev/null localhost:$PORT/api/health && break; sleep 1; done
echo "foreign Host: $(curl -s -o /dev/null -w '%{http_code}' -H 'Host: 127.evil.example' http://127.0.0.1:$PORT/api/health)"
head -c 3145728 /dev/zero | tr '\0' 'a' > "$tmp/3mb.txt"
echo "chunked 3 MiB: $(curl -s -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' --data-binary @"$tmp/3mb.txt" http://127.0.0.1:$PORT/api/name)"
S=$(python3 -c "print('张'*5000)")
echo "5000-char surname: $(curl -s -o "$tmp/p.json" -w '%{http_code} %{time_total}s' -d "{\"surname\":\"$S\"}" http://127.0.0.1:$PORT/api/name) $(head -c 150 "$tmp/p.json")"
curl -s -o /dev/null -m 60 -d '{"n":1000,"temperature":1e308}' http://127.0.0.1:$PORT/api/sample &
curl -s -o /dev/null -m 60 -d '{"n":1000,"temperature":1e308}' http://127.0.0.1:$PORT/api/sample &
sleep 0.5
echo "ordinary sample beside two absurd: $(curl -s -o /dev/null -w '%{http_code} %{time_total}s' -m 30 -d '{"n":10}' http://127.0.0.1:$PORT/api/sample)"
python3 - "$PORT" <<'PY'
import socket, sys, time, threading
socks=[]
for i in range(8):
    s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); socks.append(s)
def trickle(s):
    for ch in b"POST /api/name HTTP/1.1\r\nHost: localhost\r\n":
        try: s.send(bytes([ch])); time.sleep(1)
        except OSError: return
for s in socks: threading.Thread(target=trickle,args=(s,),daemon=True).start()
time.sleep(2)
import urllib.request
t=time.time(); r=urllib.request.urlopen("http://127.0.0.1:%d/api/health" % int(sys.argv[1]),timeout=10).read(); print("health beside 8 trickling clients: %.3f s" % (time.time()-t))
PY
T0=$(date +%s.%N); kill -TERM $PID; wait $PID; echo "exit after SIGTERM: $(echo "$(date +%s.%N) - $T0" | bc) s"
echo "explain --file /dev/zero: $(timeout 30 $W explain --file /dev/zero 2>&1 | head -c 200)"
cp runs/default/best.safetensors "$tmp/ck.safetensors"; sha_before=$(sha256sum "$tmp/ck.safetensors" | cut -c1-16)
$W train --from-scratch --steps 1 --out "$tmp/run" --overwrite --metrics "$tmp/ck.safetensors" -q 2>&1 | head -c 250; echo
echo "checkpoint untouched by --metrics: $([ "$(sha256sum "$tmp/ck.safetensors" | cut -c1-16)" = "$sha_before" ] && echo yes || echo NO)"
