# Issue 2 acceptance: bad recipes and bad inputs give one clear message (with file:line where
# it applies), exit 2 (1 for a tarball escaping the root) and leave no artifact behind.
source "$(dirname "$0")/lib.sh"

mkdir -p "$T/r/overlay" "$T/out"
touch "$T/out/keep-me"
good='[image]
name = "demo"
version = "1"
[base]
type = "scratch"
[[overlay]]
source = "overlay"
'
check() {  # check NAME EXIT PATTERN
  local name=$1 code=$2 pattern=$3
  expect_exit "$code" "$KILN" build "$T/r/$name.toml" -o "$T/out"
  grep -qE -- "$pattern" "$T/stderr" || { cat "$T/stderr"; fail "$name: message does not match '$pattern'"; }
  [ "$(grep -c '^kiln: error' "$T/stderr")" = 1 ] || { cat "$T/stderr"; fail "$name: not exactly one error message"; }
  [ "$(ls -A "$T/out")" = "keep-me" ] || { ls -A "$T/out"; fail "$name: left something in the output directory"; }
  pass "$name: exit $code, $(grep '^kiln: error' "$T/stderr")"
}

printf '%s\n[root\ncompression = "zstd"\n' "$good" > "$T/r/malformed.toml"
check malformed 2 'malformed.toml:9:'
printf '%s\n[root]\ncompresion = "zstd"\n' "$good" > "$T/r/unknown.toml"
check unknown 2 "unknown.toml:10:1: unknown key 'compresion' in \[root\] \(did you mean 'compression'\?\)"
printf '%s\n[root]\ncompression = 15\n' "$good" > "$T/r/wrongtype.toml"
check wrongtype 2 'wrongtype.toml:10:.*compression'
printf '%s\n[root]\ncompression = "brotli"\n' "$good" > "$T/r/badvalue.toml"
check badvalue 2 'badvalue.toml:10:.*allowed: zstd, xz, gzip, lz4'
printf '%s\n[[overlay]]\nsource = "missing-dir"\n' "$good" > "$T/r/nooverlay.toml"
check nooverlay 2 'nooverlay.toml:10:.*missing-dir'

# A tarball member escaping the root.
python3 - "$T/r/evil.tar.gz" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz") as t:
    data = b"root::0:0::/:/bin/sh\n"
    info = tarfile.TarInfo("../../etc/passwd"); info.size = len(data)
    t.addfile(info, io.BytesIO(data))
PY
printf '[image]\nname = "demo"\nversion = "1"\n[base]\ntype = "tarball"\nsource = "evil.tar.gz"\n' > "$T/r/escape.toml"
check escape 1 '\.\./\.\./etc/passwd'

expect_exit 2 "$KILN" build
expect_exit 2 "$KILN" frobnicate
pass "usage errors exit 2"
