# Issue 16 (channel): `kiln publish` adds signed builds to a release channel directory, judged
# with independent tools: openssl cms prints the signed index, zstd -d restores the build's
# squashfs byte for byte, sha256sum matches every file the index names. Pruning with --keep,
# refusing an older version, a tampered index and an index another key signed.
source "$(dirname "$0")/lib.sh"
require_systemd_boot
command -v zstd >/dev/null || { echo "skip: zstd not installed"; exit 0; }
make_keys
"$KILN" keygen --out "$T/keys" --name other --subject "kiln test" >/dev/null
key="$T/keys/kiln.key" cert="$T/keys/kiln.crt"
make_boot_overlay "$T/src/overlay"
build() {  # build VERSION: a small bootable scratch disk into $T/out-VERSION
  write_boot_recipe "$T/src/recipe-$1.toml" app "$1" "$DATA_ON_VAR" \
    "$(printf '[[file]]\npath = "/etc/app-version"\ncontent = "%s\\n"' "$1")"
  "$KILN" build "$T/src/recipe-$1.toml" -o "$T/out-$1" --key "$key" --cert "$cert" -q >/dev/null
}
build 1.9
build 1.10
ch="$T/channel"

# index JSON of a channel, checked by openssl against the certificate
index_json() { openssl cms -verify -inform DER -in "$1/index.p7s" -CAfile "$cert" -binary 2>"$T/cms.err"; }

expect_exit 0 "$KILN" publish "$T/out-1.9" "$ch" --key "$key" --cert "$cert"
expect_exit 0 "$KILN" --json publish "$T/out-1.10" "$ch" --key "$key" --cert "$cert"
jq -e '.ok and .versions == ["1.9", "1.10"]' "$T/stdout" >/dev/null || { cat "$T/stdout"; fail "publish JSON"; }
index_json "$ch" > "$T/index.json" || { cat "$T/cms.err"; fail "openssl cms -verify refuses index.p7s"; }
jq -e '.schema == "kiln.channel.v1" and .image == "app" and ([.versions[].version] == ["1.9", "1.10"])' \
  "$T/index.json" >/dev/null || { cat "$T/index.json"; fail "index content"; }
[ "$(jq -r '.versions[1].root_hash' "$T/index.json")" = "$(cat "$T/out-1.10/app_1.10.root.roothash")" ] || fail "root hash"
[ "$(jq -r '.versions[1].manifest_sha256' "$T/index.json")" = \
  "$(sha256sum < "$T/out-1.10/app_1.10.manifest.json" | cut -d' ' -f1)" ] || fail "manifest digest"
pass "two versions published; openssl cms verifies index.p7s with the certificate and prints the index (1.9 < 1.10)"

# every file the index names has the size and sha256 it says; the root decompresses to the build's squashfs
jq -r '.versions[].files[] | "\(.sha256)  \(.path)"' "$T/index.json" > "$T/sums"
[ "$(wc -l < "$T/sums")" = 8 ] || fail "expected 8 payload files"
(cd "$ch" && sha256sum --quiet -c "$T/sums") || fail "sha256sum of the channel files"
jq -r '.versions[].files[] | "\(.size) \(.path)"' "$T/index.json" | while read -r size path; do
  [ "$(stat -c %s "$ch/$path")" = "$size" ] || fail "size of $path"
done
zstd -q -d -c "$ch/app_1.10.root.squashfs.zst" | cmp - "$T/out-1.10/app_1.10.root.squashfs" || fail "zstd -d root differs"
[ "$(jq -r '.versions[1].files.root.content_sha256' "$T/index.json")" = \
  "$(sha256sum < "$T/out-1.10/app_1.10.root.squashfs" | cut -d' ' -f1)" ] || fail "content_sha256"
[ "$(jq -r '.versions[1].slot_size' "$T/index.json")" = \
  "$(jq '.disk.partitions[] | select(.filesystem == "squashfs") | .size' "$T/out-1.10/app_1.10.manifest.json")" ] || fail "slot_size"
cmp "$ch/app_1.10.root.verity" "$T/out-1.10/app_1.10.root.verity" || fail "verity payload"
cmp "$ch/app_1.10.efi" "$T/out-1.10/app_1.10.efi" || fail "UKI payload"
jq -r .signature "$ch/app_1.10.roothash.p7s.json" | base64 -d | cmp - "$T/out-1.10/app_1.10.root.roothash.p7s" ||
  fail "signature JSON does not carry the build's PKCS#7"
[ "$(jq -r .rootHash "$ch/app_1.10.roothash.p7s.json")" = "$(cat "$T/out-1.10/app_1.10.root.roothash")" ] || fail "sig rootHash"
[ -z "$(find "$ch" -name '.*' -type f)" ] || fail "temporary files left in the channel"
pass "sha256sum and sizes match the index; zstd -d gives the build's squashfs byte for byte; verity, UKI, signature JSON"

# refusals: the same version again, an older one (exit 1, the channel untouched)
cp "$ch/index.p7s" "$T/index.before"
expect_exit 1 "$KILN" publish "$T/out-1.10" "$ch" --key "$key" --cert "$cert"
grep -q "already in the channel" "$T/stderr" || { cat "$T/stderr"; fail "same version message"; }
build 1.2
expect_exit 1 "$KILN" publish "$T/out-1.2" "$ch" --key "$key" --cert "$cert"
grep -q "not newer than 1.10" "$T/stderr" || { cat "$T/stderr"; fail "older version message"; }
grep -q -- "--allow-older" "$T/stderr" || fail "message does not name --allow-older"
cmp "$ch/index.p7s" "$T/index.before" || fail "a refused publish changed the index"
[ ! -e "$ch/app_1.2.efi" ] || fail "a refused publish wrote payload files"
pass "republishing 1.10 and publishing the older 1.2 are refused (exit 1); the channel is unchanged"

# a tampered index, and an index signed by another key, are refused
cp -a "$ch" "$T/tampered"
flip_byte "$T/tampered/index.p7s" 300
build 1.11
expect_exit 1 "$KILN" publish "$T/out-1.11" "$T/tampered" --key "$key" --cert "$cert"
grep -q "index" "$T/stderr" || { cat "$T/stderr"; fail "tampered index message"; }
cp -a "$ch" "$T/foreign"
openssl cms -sign -binary -nodetach -noattr -outform DER -in "$T/index.json" -signer "$T/keys/other.crt" \
  -inkey "$T/keys/other.key" -out "$T/foreign/index.p7s"
expect_exit 1 "$KILN" publish "$T/out-1.11" "$T/foreign" --key "$key" --cert "$cert"
grep -q -- "--allow-other-signer" "$T/stderr" || { cat "$T/stderr"; fail "foreign signer message"; }
expect_exit 0 "$KILN" publish "$T/out-1.11" "$T/foreign" --key "$key" --cert "$cert" --allow-other-signer
index_json "$T/foreign" | jq -e '[.versions[].version] == ["1.9", "1.10", "1.11"]' >/dev/null ||
  fail "--allow-other-signer did not re-sign the channel with the build key"
pass "a flipped byte in index.p7s and an index signed by another key are refused; --allow-other-signer re-signs"

# --keep 1 prunes the older versions' files once the new index is live
expect_exit 0 "$KILN" publish "$T/out-1.11" "$ch" --key "$key" --cert "$cert" --keep 1
index_json "$ch" | jq -e '[.versions[].version] == ["1.11"]' >/dev/null || fail "--keep 1 index"
ls "$ch" | sort > "$T/left"
printf '%s\n' app_1.11.efi app_1.11.root.squashfs.zst app_1.11.root.verity app_1.11.roothash.p7s.json index.p7s | sort |
  cmp - "$T/left" || { cat "$T/left"; fail "pruning left other files"; }
expect_exit 1 "$KILN" publish "$T/out-1.10" "$ch" --key "$key" --cert "$cert"
grep -q "not newer than 1.11" "$T/stderr" || { cat "$T/stderr"; fail "older version after pruning"; }
pass "--keep 1 prunes 1.9 and 1.10 and their files; the pruned 1.10 cannot come back without --allow-older"

# --no-compress publishes the squashfs as it is; a build named by its manifest in a shared directory
cp -a "$T/out-1.9/." "$T/out-1.10/"
expect_exit 2 "$KILN" publish "$T/out-1.10" "$T/plain" --key "$key" --cert "$cert"
grep -q "holds 2 builds" "$T/stderr" || { cat "$T/stderr"; fail "several builds message"; }
expect_exit 0 "$KILN" publish "$T/out-1.10/app_1.9.manifest.json" "$T/plain" --key "$key" --cert "$cert" --no-compress
cmp "$T/plain/app_1.9.root.squashfs" "$T/out-1.9/app_1.9.root.squashfs" || fail "--no-compress root"
index_json "$T/plain" | jq -e '.versions[0].files.root | .compression == "none" and .sha256 == .content_sha256' >/dev/null ||
  fail "--no-compress index entry"
pass "--no-compress: the root payload is the build's squashfs; OUT/NAME_VERSION.manifest.json picks one of several builds"
