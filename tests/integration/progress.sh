# Issue 19: long steps show progress on a terminal. kiln runs under a pseudo-terminal while a
# slow local HTTP server holds back a tarball base for 4 seconds (a fake long, silent step):
# the step's line is redrawn at least every 10 s (the ticker: every second) with its elapsed
# time, and the build ends with a newline. Not on a terminal the same build prints plain lines
# only, and -q prints nothing at all. The root file system's compression reports its bytes (a bar on the
# terminal, increasing JSON events ending at the total) without changing the image.
source "$(dirname "$0")/lib.sh"

mkdir -p "$T/root/etc" "$T/src"
printf 'NAME=tiny\n' > "$T/root/etc/os-release"
tar --numeric-owner -C "$T/root" -cf "$T/rootfs.tar" .
sha=$(sha256sum "$T/rootfs.tar" | cut -d' ' -f1)

cat > "$T/server.py" <<'PY'
import http.server, sys, time
data = open(sys.argv[2], "rb").read()
class Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(4)  # silent: no headers, no bytes
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), Slow)
print(s.server_port, flush=True)
s.serve_forever()
PY
python3 "$T/server.py" 0 "$T/rootfs.tar" > "$T/port" &
server=$!
on_exit "kill $server"
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
port=$(cat "$T/port")
printf '[image]\nname = "slow"\nversion = "1"\n[base]\ntype = "tarball"\nsource = "http://127.0.0.1:%s/rootfs.tar"\nsha256 = "%s"\n[output]\nformats = ["squashfs"]\n' \
  "$port" "$sha" > "$T/src/recipe.toml"

python3 "$KILN_SOURCE_DIR/tests/integration/run_pty.py" "$KILN" --cache "$T/cache1" build "$T/src/recipe.toml" -o "$T/out1" > "$T/pty.json"
[ "$(jq .status "$T/pty.json")" = 0 ] || { jq -r '.chunks[][1]' "$T/pty.json"; fail "kiln build under a pty"; }
jq -r '.chunks[][1]' "$T/pty.json" > "$T/tty.txt"
# Redraws of the download line: "\r\e[K[sources] downloading URL ... Ns".
redraws=$(grep -o $'\r\e\[K\[sources\] downloading [^\r]*' "$T/tty.txt" | grep -c ' [0-9]s$' || true)
[ "$redraws" -ge 3 ] || { cat -v "$T/tty.txt"; fail "the silent download was redrawn $redraws times in 4 s"; }
grep -q $'\[sources\] downloading [^\r]* [2-9]s' "$T/tty.txt" || { cat -v "$T/tty.txt"; fail "no elapsed time on the step's line"; }
gap=$(jq '[.chunks[][0]] as $t | [range(1; $t|length) | $t[.] - $t[.-1]] | max' "$T/pty.json")
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= 10 else 1)" "$gap" || fail "a terminal went $gap s without an update"
pass "on a terminal: the silent step was redrawn $redraws times, longest gap ${gap}s"

"$KILN" --cache "$T/cache2" build "$T/src/recipe.toml" -o "$T/out2" > /dev/null 2> "$T/plain.txt"
! grep -q $'\r\|\e' "$T/plain.txt" || { cat -v "$T/plain.txt"; fail "control characters when not on a terminal"; }
grep -q '^\[sources\] downloading ' "$T/plain.txt" || { cat "$T/plain.txt"; fail "no plain progress line"; }
"$KILN" --cache "$T/cache3" -q build "$T/src/recipe.toml" -o "$T/out3" > "$T/quiet.txt" 2>&1
[ ! -s "$T/quiet.txt" ] || { cat "$T/quiet.txt"; fail "-q printed more than errors"; }
pass "not on a terminal: plain lines; -q: nothing"

# --json: the root file system's bytes as progress events, increasing, the last one at the total.
"$KILN" --cache "$T/cache4" --json build "$T/src/recipe.toml" -o "$T/out4" > /dev/null 2> "$T/events.jsonl"
jq -s -e '[.[] | select(.event == "progress" and .stage == "squashfs")] as $p
  | ($p | length) >= 2 and ($p[-1].done == $p[-1].total) and ($p[-1].total > 0)
  and ([range(1; $p | length) | $p[.].done > $p[.-1].done] | all)' "$T/events.jsonl" >/dev/null \
  || { cat "$T/events.jsonl"; fail "no increasing squashfs byte progress ending at the total"; }
cmp "$T/out1/slow_1.root.squashfs" "$T/out4/slow_1.root.squashfs" || fail "progress output changed the image"
grep -q $'\[squashfs\] writing the root [^\r]*\[####################\] ' "$T/tty.txt" \
  || { cat -v "$T/tty.txt"; fail "no squashfs bar on the terminal"; }
pass "--json: squashfs bytes $(jq -s -c '[.[] | select(.event == "progress" and .stage == "squashfs") | .done]' "$T/events.jsonl"); a bar on the terminal; same image"
