# Issue 19's check (slow: mmdebstrap from the Debian mirror): during a Debian base build a
# terminal sees an update at least every 10 seconds. kiln runs under a pseudo-terminal with a
# fresh cache (so mmdebstrap really runs; the smallest recipe: variant "essential", no extra
# packages) and every chunk it prints is timestamped; the longest gap between updates, from
# kiln's start to its exit, must be at most 10 s. The output must also show mmdebstrap's
# package progress and the squashfs byte bar.
source "$(dirname "$0")/../integration/lib.sh"
[ "${KILN_SLOW_TESTS:-0}" = 1 ] || { echo "skipped: set KILN_SLOW_TESTS=1"; exit 0; }

mkdir -p "$T/src"
cat > "$T/src/recipe.toml" <<'TOML'
[image]
name = "tiny"
version = "1"
[base]
type = "debian"
suite = "bookworm"
variant = "essential"
[output]
formats = ["squashfs"]
[root]
compression = "zstd"
compression_level = 3
TOML

chown -R 65534:65534 "$T"

start=$(date +%s)
as_nobody /usr/bin/python3 "$KILN_SOURCE_DIR/tests/integration/run_pty.py" "$KILN" --cache "$T/cache" build "$T/src/recipe.toml" -o "$T/out" --unsigned > "$T/pty.json"
minutes=$(( ($(date +%s) - start + 59) / 60 ))
jq -r '.chunks[][1]' "$T/pty.json" > "$T/tty.txt"
[ "$(jq .status "$T/pty.json")" = 0 ] || { cat -v "$T/tty.txt" | tail -40; fail "kiln build under a pty"; }
[ -s "$T/out/tiny_1.root.squashfs" ] || fail "no root squashfs"
grep -q 'running mmdebstrap' "$T/tty.txt" || { cat -v "$T/tty.txt"; fail "mmdebstrap did not run (a cache hit?)"; }
grep -q $'\[packages\] [^\r]*[0-9]\+ / [0-9]\+' "$T/tty.txt" || { cat -v "$T/tty.txt"; fail "no package counts from mmdebstrap"; }
grep -q $'\[squashfs\] [^\r]*\[[# ]*\] [^\r]* / ' "$T/tty.txt" || { cat -v "$T/tty.txt"; fail "no byte bar while the root is compressed"; }

# Gaps between updates, counting kiln's start (0) and its exit.
gap=$(jq '[0] + [.chunks[][0]] + [.end] | . as $t | [range(1; length) | {gap: ($t[.] - $t[.-1]), at: $t[.-1]}] | max_by(.gap)' "$T/pty.json")
secs=$(jq .gap <<< "$gap")
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= 10 else 1)" "$secs" \
  || { cat -v "$T/tty.txt" | tr '\r' '\n' | tail -60; fail "the terminal went $secs s without an update (after $(jq .at <<< "$gap") s)"; }
pass "$(jq '.chunks | length' "$T/pty.json") updates in $(jq '.end | floor' "$T/pty.json") s (about $minutes min), longest gap ${secs} s"
