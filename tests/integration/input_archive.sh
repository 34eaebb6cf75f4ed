# Issue 18: `kiln build --archive DIR` stores every input of a build (recipe and include,
# overlay, [[file]] source, data seed, a base tarball fetched over HTTP) content-addressed, the
# archive is itself reproducible, a build with --archive publishes the same bytes as one
# without, and `kiln rebuild --from DIR --offline --check` rebuilds from the archive alone (no
# network namespace, no cache, the source tree gone) with identical digests. A tampered or
# incomplete archive fails naming the blob or the input; push/pull carry it through a registry.
source "$(dirname "$0")/lib.sh"

mkdir -p "$T/src/recipes" "$T/src/overlays/app/etc" "$T/src/overlays/app/usr/bin" "$T/src/seed/db" "$T/www" "$T/root/etc"
printf 'app=1\n' > "$T/src/overlays/app/etc/app.conf"
printf '#!/bin/sh\necho app\n' > "$T/src/overlays/app/usr/bin/app" && chmod 0755 "$T/src/overlays/app/usr/bin/app"
ln -s app "$T/src/overlays/app/usr/bin/app-link"
chmod 0750 "$T/src/overlays/app/etc"
printf 'seed\n' > "$T/src/seed/db/initial"
printf 'extra\n' > "$T/src/recipes/extra.txt"
printf 'NAME=tiny\n' > "$T/root/etc/os-release"
tar --numeric-owner --owner=0 --group=0 --mtime=@1700000000 -C "$T/root" -cJf "$T/www/rootfs.tar.xz" .
sha=$(sha256sum "$T/www/rootfs.tar.xz" | cut -d' ' -f1)

serve_dir "$T/www"

cat > "$T/src/recipes/common.toml" <<'TOML'
[root]
compression = "zstd"
compression_level = 3
TOML
cat > "$T/src/recipes/app.toml" <<TOML
include = ["common.toml"]
[image]
name = "app"
version = "1.0"
[base]
type = "tarball"
source = "http://127.0.0.1:$HTTP_PORT/rootfs.tar.xz"
sha256 = "$sha"
[[overlay]]
source = "../overlays/app"
target = "/"
[[file]]
path = "/usr/bin/app-copy"
source = "../overlays/app/usr/bin/app"
mode = "0755"
[[file]]
path = "/etc/extra"
source = "extra.txt"
[data]
size = "16M"
mountpoint = "/var/lib/app"
seed = "../seed"
[output]
formats = ["raw", "oci"]
TOML

K=("$KILN" --cache "$T/cache")
"${K[@]}" build "$T/src/recipes/app.toml" -o "$T/out0" --unsigned -q >/dev/null
"${K[@]}" build "$T/src/recipes/app.toml" -o "$T/out1" --unsigned --archive "$T/a1" -q >/dev/null
"${K[@]}" build "$T/src/recipes/app.toml" -o "$T/out2" --unsigned --archive "$T/a2" -q >/dev/null
cmp "$T/out0/SHA256SUMS" "$T/out1/SHA256SUMS" || fail "a build with --archive publishes other bytes than one without"
pass "SHA256SUMS identical with and without --archive"
diff -r "$T/a1" "$T/a2" >/dev/null || fail "the same build gave two different archives"
cmp "$T/out1/app_1.0.archive.json" "$T/out2/app_1.0.archive.json" || fail "archive records differ"
[ "$(jq -r .index "$T/out1/app_1.0.archive.json")" = "sha256:$(sha256sum "$T/a1/index.json" | cut -d' ' -f1)" ] \
  || fail "the archive record does not hold the index digest"
grep -q archive "$T/out1/SHA256SUMS" && fail "the archive record is listed among the artifacts"
"${K[@]}" --json build "$T/src/recipes/app.toml" -o "$T/out3" --unsigned --archive "$T/a3" 2>/dev/null > "$T/build.json"
[ "$(jq -r .inputArchive.index "$T/build.json")" = "$(jq -r .index "$T/out1/app_1.0.archive.json")" ] || fail "--json result lacks the index digest"
pass "the archive is reproducible; its index digest $(jq -r .index "$T/out1/app_1.0.archive.json") is beside the manifest"

# Every manifest input is in the index with its digest, and every blob is named by its digest.
jq -r '.inputs[] | "\(.kind) \(.uri) \(.sha256)"' "$T/out1/app_1.0.manifest.json" | sort > "$T/want"
jq -r '.inputs[] | select(.kind != "apt-list") | "\(.kind) \(.name) \(.sha256)"' "$T/a1/index.json" | sort > "$T/have"
diff "$T/want" "$T/have" || fail "index and manifest inputs differ"
for kind in recipe overlay file data-seed tarball; do grep -q "^$kind " "$T/have" || fail "no $kind input archived"; done
(cd "$T/a1/blobs/sha256" && for f in *; do [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$f" ] || fail "blob $f"; done)
pass "index maps all $(wc -l < "$T/want") manifest inputs to $(ls "$T/a1/blobs/sha256" | wc -l) verified blobs"

# Offline for real: no network namespace (when unshare works), the server stopped, no cache,
# the sources moved away.
stop_serving
mv "$T/src" "$T/src.gone"
rm -rf "$T/cache"
offline=()
unshare -rn true 2>/dev/null && offline=(unshare -rn)
"${offline[@]}" "$KILN" --cache "$T/cache" --offline rebuild "$T/out1/app_1.0.manifest.json" --from "$T/a1" --check \
  > "$T/ok.txt" 2>"$T/log" || { cat "$T/log"; fail "rebuild --from the archive"; }
grep -q "digests identical" "$T/ok.txt" || fail "rebuild summary"
[ -z "$(find "$T/cache" -type f 2>/dev/null)" ] || fail "the rebuild used or filled the user's cache"
pass "offline rebuild from the archive alone (${offline[*]:-no unshare}): $(cat "$T/ok.txt")"

# A flipped byte in a blob is found before the blob is used.
cp -r "$T/a1" "$T/bad"
blob=$(jq -r '.inputs[] | select(.kind == "tarball") | .blob' "$T/a1/index.json")
chmod u+w "$T/bad/blobs/sha256/$blob"
flip_byte "$T/bad/blobs/sha256/$blob" 10
expect_exit 1 "$KILN" --cache "$T/c2" rebuild "$T/out1/app_1.0.manifest.json" --from "$T/bad" --check -q
grep -q "does not match its digest" "$T/stderr" || { cat "$T/stderr"; fail "tampered blob not named"; }
pass "tampered blob: $(grep -o 'blob sha256:[0-9a-f]\{12\}' "$T/stderr" | head -1)... refused"

# An input missing from the archive is named; --offline never fetches it instead.
rm -rf "$T/bad" && cp -r "$T/a1" "$T/bad"
jq '.inputs |= map(select(.kind != "tarball"))' "$T/a1/index.json" > "$T/bad/index.json"
expect_exit 1 "$KILN" --cache "$T/c3" --offline rebuild "$T/out1/app_1.0.manifest.json" --from "$T/bad" --check -q
grep -q "input tarball http://127.0.0.1:$HTTP_PORT/rootfs.tar.xz (sha256 $sha) is missing from the input archive" "$T/stderr" \
  || { cat "$T/stderr"; fail "missing input not named"; }
pass "missing input: $(grep '^kiln: error' "$T/stderr")"

# A hostile index may not reach outside the rebuild's directory.
rm -rf "$T/bad" && cp -r "$T/a1" "$T/bad"
jq '(.inputs[] | select(.kind == "overlay") | .tree[0].path) = "../../../../../../tmp/escape"' "$T/a1/index.json" > "$T/bad/index.json"
expect_exit 1 "$KILN" --cache "$T/c4" rebuild "$T/out1/app_1.0.manifest.json" --from "$T/bad" --check -q
grep -q "not a plain relative path" "$T/stderr" || { cat "$T/stderr"; fail "escaping node path accepted"; }
[ ! -e /tmp/escape ] || fail "wrote outside the rebuild directory"
pass "hostile index refused: $(grep '^kiln: error' "$T/stderr")"

# An entry the manifest does not record is not laid out: "../overlays/app/etc/evil" would land
# inside the recorded overlay and add a file to the rebuilt image (the audit's regression).
rm -rf "$T/bad" && cp -r "$T/a1" "$T/bad"
jq '.inputs += [.inputs[] | select(.kind == "file" and .name == "extra.txt") | .name = "../overlays/app/etc/evil"]' \
  "$T/a1/index.json" > "$T/bad/index.json"
grep -q 'overlays/app/etc/evil' "$T/bad/index.json" || fail "the hostile entry was not added"
"$KILN" --cache "$T/c5" rebuild "$T/out1/app_1.0.manifest.json" --from "$T/bad" --check -q > "$T/extra.txt" 2>"$T/log" \
  || { cat "$T/log"; fail "an unrecorded archive entry changed the rebuild"; }
pass "an unrecorded archive entry is ignored: $(cat "$T/extra.txt")"

expect_exit 2 "$KILN" build "$T/src.gone/recipes/app.toml" -o "$T/out4" --unsigned --archive "$T/a1"
grep -q "not an empty directory" "$T/stderr" || fail "--archive into an existing archive"
pass "--archive refuses a non-empty directory"

# Through a registry as an artifact of its own type.
start_registry
"$KILN" push --archive "$T/a1" "$R/inputs/app:1.0" --insecure -q >/dev/null
[ "$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$R/v2/inputs/app/manifests/1.0" | jq -r .artifactType)" \
  = "application/vnd.kiln.input-archive.v1+json" ] || fail "artifactType"
"$KILN" pull "$R/inputs/app:1.0" "$T/pulled" --insecure -q
diff -r "$T/a1" "$T/pulled" >/dev/null || fail "the pulled archive differs"
pass "push --archive / pull round trip through the registry is byte-identical"
