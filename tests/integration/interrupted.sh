# Issue 14: a build stopped by a signal leaves nothing behind, and what a SIGKILLed build
# left (it cannot clean up) is removed by the next run, while a live run's is kept.
source "$(dirname "$0")/lib.sh"
mkdir -p "$T/src/overlay/opt" "$T/tmp"
# Enough incompressible data that the build is still running when the signal comes.
head -c 300M /dev/urandom > "$T/src/overlay/opt/payload"
cat > "$T/src/big.toml" <<'TOML'
[image]
name = "big"
version = "1"
[base]
type = "scratch"
[[overlay]]
source = "overlay"
[root]
compression = "xz"
[output]
formats = ["raw"]
TOML
out="$T/out"
leftovers() { find "$out" "$T/tmp" -mindepth 1 -maxdepth 1 \( -name '.kiln-staging-*' -o -name 'kiln-*' \) 2>/dev/null; }

# start_build: runs the build in the background and waits until its staging directory exists.
start_build() {
  TMPDIR="$T/tmp" "$KILN" build "$T/src/big.toml" -o "$out" --unsigned -q >/dev/null 2>"$T/build.err" &
  pid=$!
  for _ in $(seq 1 200); do
    [ -n "$(find "$out" -maxdepth 1 -name '.kiln-staging-*' 2>/dev/null)" ] && break
    sleep 0.05
  done
  sleep 1
}

# (INT is ignored by background jobs of a non-interactive shell, so HUP stands in for it.)
for sig in TERM HUP; do
  start_build
  kill -s "$sig" "$pid"
  rc=0; wait "$pid" || rc=$?
  [ "$rc" -ge 128 ] || fail "SIG$sig: the build was not stopped by the signal (exit $rc); make the payload larger"
  [ -z "$(leftovers)" ] || { leftovers; fail "SIG$sig left directories behind"; }
  [ ! -e "$out/big_1.raw" ] || fail "SIG$sig: an artifact was published"
  pass "SIG$sig stops the build (exit $rc) and removes its staging and temporary directories"
done

start_build
kill -s KILL "$pid"
wait "$pid" 2>/dev/null || true
[ -n "$(leftovers)" ] || fail "SIGKILL left nothing: the test did not interrupt a build"
# A directory younger than a minute may be a concurrent run's not yet locked: age them.
leftovers | xargs touch -h -d '2 minutes ago'
# A live run's directory (locked by its owner) of the same age stays.
TMPDIR="$T/tmp" python3 - "$T/tmp" <<'PY' &
import fcntl, os, sys, time
d = os.path.join(sys.argv[1], "kiln-live-ABC123")  # the name mkdtemp gives kiln
os.mkdir(d)
fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
fcntl.flock(fd, fcntl.LOCK_EX)
os.utime(d, (time.time() - 300, time.time() - 300))
time.sleep(60)
PY
holder=$!
sleep 1
live=$(find "$T/tmp" -maxdepth 1 -name 'kiln-live-*')
[ -n "$live" ] || fail "the live directory was not made"
TMPDIR="$T/tmp" "$KILN" build "$KILN_SOURCE_DIR/recipes/examples/hello.toml" -o "$out" --unsigned -q >/dev/null \
  || fail "build after a SIGKILL"
[ -z "$(find "$out" -maxdepth 1 -name '.kiln-staging-*')" ] || fail "a killed build's staging directory was not swept"
[ -z "$(find "$T/tmp" -maxdepth 1 -name 'kiln-*' ! -name 'kiln-live-*')" ] || fail "a killed build's temporary directory was not swept"
[ -d "$live" ] || fail "a live run's locked directory was removed"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || true
pass "the next run sweeps what a SIGKILLed build left and keeps a live run's directory"
