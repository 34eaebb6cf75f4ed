# Issue 14: the output directory is published all or nothing, and several builds share it:
# a second build keeps the first build's SHA256SUMS lines, `kiln verify OUT` verifies every
# build manifest in it, and a publication that fails half way leaves the directory as it was.
source "$(dirname "$0")/lib.sh"
make_keys
keys=(--key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt")
out="$T/out"

# As the README tour: hello, then another image, into one directory.
"$KILN" build "$KILN_SOURCE_DIR/recipes/examples/hello.toml" -o "$out" "${keys[@]}" -q >/dev/null || fail "build hello"
mkdir -p "$T/src/overlay/etc"
printf 'one\n' > "$T/src/overlay/etc/second"
cat > "$T/src/second.toml" <<'TOML'
[image]
name = "second"
version = "2.0"
[base]
type = "scratch"
[[overlay]]
source = "overlay"
[output]
formats = ["raw", "oci"]
TOML
"$KILN" build "$T/src/second.toml" -o "$out" "${keys[@]}" -q >/dev/null || fail "build second"

(cd "$out" && sha256sum --quiet -c SHA256SUMS) || fail "sha256sum -c SHA256SUMS after two builds"
grep -q '  hello_1.0.0.raw$' "$out/SHA256SUMS" || fail "the first build's lines were lost"
grep -q '  second_2.0.raw$' "$out/SHA256SUMS" || fail "the second build's lines are missing"
sort -k2 -c "$out/SHA256SUMS" || fail "SHA256SUMS is not sorted by name"
[ -z "$(cut -c67- "$out/SHA256SUMS" | sort | uniq -d)" ] || fail "SHA256SUMS names a file twice"
pass "SHA256SUMS lists both builds and sha256sum -c passes"

"$KILN" verify "$out" --cert "$T/keys/kiln.crt" > "$T/verify.txt" 2>&1 || { cat "$T/verify.txt"; fail "kiln verify OUT with two builds"; }
grep -q '^ok  *hello_1.0.0.manifest.json: artifacts' "$T/verify.txt" || { cat "$T/verify.txt"; fail "verify does not report hello"; }
grep -q '^ok  *second_2.0.manifest.json: artifacts' "$T/verify.txt" || { cat "$T/verify.txt"; fail "verify does not report second"; }
pass "kiln verify OUT verifies both manifests"

# Rebuilding one image replaces its own lines only.
lines=$(wc -l < "$out/SHA256SUMS")
printf 'two\n' > "$T/src/overlay/etc/second"
"$KILN" build "$T/src/second.toml" -o "$out" "${keys[@]}" -q >/dev/null || fail "rebuild second"
(cd "$out" && sha256sum --quiet -c SHA256SUMS) || fail "sha256sum -c SHA256SUMS after a rebuild"
[ "$(wc -l < "$out/SHA256SUMS")" = "$lines" ] || fail "a rebuild changed the number of SHA256SUMS lines"
"$KILN" verify "$out" --cert "$T/keys/kiln.crt" >/dev/null 2>&1 || fail "kiln verify OUT after a rebuild"
pass "a rebuild of one image keeps the other's lines"

# A publication that cannot complete (a directory where a file goes) changes nothing.
rm "$out/second_2.0.root.roothash"
mkdir -p "$out/second_2.0.root.roothash/in-the-way"
snapshot() { (cd "$out" && find . -path ./second_2.0.root.roothash -prune -o -type f -print0 | sort -z | xargs -0 sha256sum); }
snapshot > "$T/before"
printf 'three\n' > "$T/src/overlay/etc/second"
expect_exit 1 "$KILN" build "$T/src/second.toml" -o "$out" "${keys[@]}"
grep -q 'second_2.0.root.roothash is a directory' "$T/stderr" || { cat "$T/stderr"; fail "failed publication: message"; }
snapshot > "$T/after"
diff "$T/before" "$T/after" || fail "a failed publication changed the output directory"
[ -z "$(find "$out" -maxdepth 1 -name '.kiln-staging-*')" ] || fail "a failed publication left a staging directory"
pass "a failed publication leaves no partial set and no .kiln-staging-*"

# Two builds publishing into one directory at the same time (serialised by a flock on it).
"$KILN" build "$KILN_SOURCE_DIR/recipes/examples/hello.toml" -o "$T/out2" "${keys[@]}" -q >/dev/null & a=$!
"$KILN" build "$T/src/second.toml" -o "$T/out2" "${keys[@]}" -q >/dev/null & b=$!
wait "$a" || fail "concurrent build hello"
wait "$b" || fail "concurrent build second"
(cd "$T/out2" && sha256sum --quiet -c SHA256SUMS) || fail "sha256sum -c after concurrent builds"
grep -q '  hello_1.0.0.raw$' "$T/out2/SHA256SUMS" && grep -q '  second_2.0.raw$' "$T/out2/SHA256SUMS" ||
  fail "concurrent builds lost a build's lines"
"$KILN" verify "$T/out2" --cert "$T/keys/kiln.crt" >/dev/null 2>&1 || fail "kiln verify after concurrent builds"
pass "two concurrent builds into one directory keep both builds' lines"
