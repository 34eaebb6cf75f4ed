# Issue 7 acceptance for `kiln diff`: build one recipe twice, changing one overlay file in
# between; the diff of the disk images and of the split roots reports exactly that file (its
# content), and among the partitions only the root and its verity partner change. The OCI
# layouts and archives of the same builds report that file and the one container setting
# changed between them; a disk image against an OCI layout compares the root trees.
source "$(dirname "$0")/lib.sh"
mkdir -p "$T/src/overlay/etc" "$T/src/overlay/usr/share/app"
printf 'hello\n' > "$T/src/overlay/etc/greeting"
printf 'unchanged\n' > "$T/src/overlay/usr/share/app/data"
ln -s greeting "$T/src/overlay/etc/greeting.link"
write_scratch_recipe "$T/src/recipe.toml" x 1.0 "raw oci oci-archive" '[[file]]
path = "/usr/bin/tool"
content = "#!/bin/sh\n"
mode = "0755"
[container]
entrypoint = ["/usr/bin/tool"]
env = ["MODE=test"]'
build_as_nobody "$T/src/recipe.toml" "$T/out1" --unsigned -q
printf 'hello, world\n' > "$T/src/overlay/etc/greeting"
sed -i 's/MODE=test/MODE=prod/' "$T/src/recipe.toml"
build_as_nobody "$T/src/recipe.toml" "$T/out2" --unsigned -q

# Identical images: nothing to report.
"$KILN" diff "$T/out1/x_1.0.raw" "$T/out1/x_1.0.raw" --json > "$T/same.json"
jq -e '.identical and (.files | length == 0) and (.partitions | length == 0)' "$T/same.json" >/dev/null \
  || { cat "$T/same.json"; fail "an image differs from itself"; }
pass "an image compared with itself is identical"

# Disk images, run as the unprivileged user (unsquashfs cannot set owners: they come from the listing).
as_nobody "$KILN" diff "$T/out1/x_1.0.raw" "$T/out2/x_1.0.raw" --json > "$T/raw.json" \
  || fail "kiln diff of the disk images"
jq -e '.kindA == "disk" and .kindB == "disk"' "$T/raw.json" >/dev/null || fail "kinds: $(cat "$T/raw.json")"
files=$(jq -c '[.files[] | {path, change, fields: [.fields[].field]}]' "$T/raw.json")
[ "$files" = '[{"path":"/etc/greeting","change":"changed","fields":["content"]}]' ] \
  || fail "files reported: $files"
want_old=$(printf 'hello\n' | sha256sum | cut -d' ' -f1)
want_new=$(printf 'hello, world\n' | sha256sum | cut -d' ' -f1)
jq -e --arg o "$want_old" --arg n "$want_new" \
  '.files[0].fields[0].old == $o and .files[0].fields[0].new == $n and .files[0].old.size == 6 and .files[0].new.size == 13' \
  "$T/raw.json" >/dev/null || fail "content digests or sizes of /etc/greeting: $(jq -c '.files[0]' "$T/raw.json")"
pass "disk images: exactly /etc/greeting changed (content, 6 -> 13 bytes)"

parts=$(jq -r '[.partitions[].name] | sort | join(" ")' "$T/raw.json")
[ "$parts" = "root-x86-64 root-x86-64-verity" ] || fail "partitions reported: $parts"
jq -e '.partitions[] | select(.name == "root-x86-64") | [.fields[].field] | index("content") != null' "$T/raw.json" >/dev/null \
  || fail "root partition content change not reported"
jq -e '.packages.added + .packages.removed + .packages.upgraded | length == 0' "$T/raw.json" >/dev/null \
  || fail "packages reported for a scratch image"
jq -e '[.identity[] | select(test("root-x86-64"))] | length >= 1' "$T/raw.json" >/dev/null \
  || fail "root partition UUID change (derived from the root hash) not noted: $(jq -c .identity "$T/raw.json")"
pass "partitions: only root and its verity partner changed; UUID changes noted as identity"

# The split roots.
"$KILN" diff "$T/out1/x_1.0.root.squashfs" "$T/out2/x_1.0.root.squashfs" --json > "$T/split.json"
files=$(jq -c '[.files[] | {path, change, fields: [.fields[].field]}]' "$T/split.json")
[ "$files" = '[{"path":"/etc/greeting","change":"changed","fields":["content"]}]' ] \
  || fail "split roots, files reported: $files"
jq -e '.partitions | length == 0' "$T/split.json" >/dev/null || fail "partitions for split roots"
pass "split roots: exactly /etc/greeting changed"

# Text output for a reviewer.
"$KILN" diff "$T/out1/x_1.0.raw" "$T/out2/x_1.0.raw" > "$T/diff.txt"
grep -q '^  ~ /etc/greeting: content .* (6 -> 13 bytes)$' "$T/diff.txt" || { cat "$T/diff.txt"; fail "text output"; }
pass "text output names the file, the field and the sizes"

# Wrong inputs are errors naming the file.
expect_exit 1 "$KILN" diff "$T/src/recipe.toml" "$T/out2/x_1.0.raw"
grep -q "recipe.toml" "$T/stderr" || fail "error does not name the input: $(cat "$T/stderr")"
pass "a non-image input is an error naming it"

# OCI layouts (and the same as archives): the file, and the one container setting.
as_nobody "$KILN" diff "$T/out1/x_1.0.oci" "$T/out2/x_1.0.oci" --json > "$T/oci.json" || fail "kiln diff of the OCI layouts"
jq -e '.kindA == "oci" and .kindB == "oci"' "$T/oci.json" >/dev/null || fail "kinds: $(jq -c '[.kindA, .kindB]' "$T/oci.json")"
files=$(jq -c '[.files[] | {path, change, fields: [.fields[].field]}]' "$T/oci.json")
[ "$files" = '[{"path":"/etc/greeting","change":"changed","fields":["content"]}]' ] || fail "OCI files reported: $files"
jq -e --arg n "$want_new" '.files[0].fields[0].new == $n and .files[0].new.size == 13' "$T/oci.json" >/dev/null \
  || fail "OCI content digest of /etc/greeting: $(jq -c '.files[0]' "$T/oci.json")"
config=$(jq -c '.config' "$T/oci.json")
[ "$config" = '[{"field":"env.MODE","old":"\"test\"","new":"\"prod\""}]' ] || fail "OCI config changes: $config"
jq -e '(.partitions | length == 0) and (.identity | length == 1) and (.identity[0] | startswith("manifest sha256:"))' \
  "$T/oci.json" >/dev/null || fail "OCI partitions/identity: $(jq -c '[.partitions, .identity]' "$T/oci.json")"
"$KILN" diff "$T/out1/x_1.0.oci" "$T/out2/x_1.0.oci" | grep -q '^  ~ env.MODE: "test" -> "prod"$' || fail "OCI text output"
pass "OCI layouts: exactly /etc/greeting and env MODE changed"

"$KILN" diff "$T/out1/x_1.0.oci.tar" "$T/out2/x_1.0.oci.tar" --json > "$T/ocitar.json" || fail "kiln diff of the oci-archives"
jq -e '.kindA == "oci-archive"' "$T/ocitar.json" >/dev/null || fail "archive kind"
[ "$(jq -c '[.files, .config]' "$T/ocitar.json")" = "$(jq -c '[.files, .config]' "$T/oci.json")" ] \
  || fail "oci-archive diff differs from the layout diff"
"$KILN" diff "$T/out1/x_1.0.oci" "$T/out1/x_1.0.oci.tar" --json | jq -e '.identical' >/dev/null \
  || fail "a layout and its own archive differ"
pass "oci-archives: the same report; a layout equals its archive"

# Mixed kinds: the disk image's root against the OCI image's layers.
"$KILN" diff "$T/out1/x_1.0.raw" "$T/out2/x_1.0.oci" --json > "$T/mixed.json" || fail "kiln diff disk vs OCI"
files=$(jq -c '[.files[] | {path, change, fields: [.fields[].field]}]' "$T/mixed.json")
[ "$files" = '[{"path":"/etc/greeting","change":"changed","fields":["content"]}]' ] || fail "disk vs OCI files: $files"
pass "disk image against OCI layout: the root trees differ only in /etc/greeting"
