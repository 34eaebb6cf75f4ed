# Issue 3 acceptance, judged by independent tools: the GPT (sfdisk), the image as a whole
# (systemd-dissect), the verity pair (veritysetup verify), the root-hash signature (openssl
# smime), the data partition (e2fsck, dumpe2fs) and the root (unsquashfs).
source "$(dirname "$0")/lib.sh"
make_keys
mkdir -p "$T/src/overlay/etc" "$T/src/seed/app"
printf 'hello\n' > "$T/src/overlay/etc/greeting"
printf 'state\n' > "$T/src/seed/app/state"
write_scratch_recipe "$T/src/recipe.toml" disk 1.0 "raw qcow2" '[[file]]
path = "/usr/bin/tool"
content = "#!/bin/sh\n"
mode = "0755"
[data]
size = "32M"
label = "appdata"
mountpoint = "/var/lib/app"
seed = "seed"'
build_as_nobody "$T/src/recipe.toml" "$T/out" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" -q
img="$T/out/disk_1.0.raw"
for f in disk_1.0.raw disk_1.0.qcow2 disk_1.0.root.squashfs disk_1.0.root.verity disk_1.0.root.roothash \
         disk_1.0.root.roothash.p7s disk_1.0.manifest.json disk_1.0.manifest.json.p7s SHA256SUMS; do
  [ -f "$T/out/$f" ] || fail "missing artifact $f"
done
(cd "$T/out" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match the artifacts"
pass "all artifacts present (built as uid 65534), SHA256SUMS checks"

# sfdisk: types, attributes, alignment.
sfdisk --json "$img" > "$T/pt.json"
types=$(jq -r '.partitiontable.partitions[].type' "$T/pt.json" | tr 'A-Z' 'a-z' | paste -sd' ')
[ "$types" = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709 2c7357ed-ebd2-46d9-aec1-23d437ec2bf5 41092b05-9fc8-4523-994f-2def0408b176 0fc63daf-8483-4772-8e79-3d69d8477de4" ] \
  || fail "partition types: $types"
jq -e '.partitiontable.partitions[0].attrs | test("GUID:60")' "$T/pt.json" >/dev/null || fail "root not read-only"
jq -e '.partitiontable.partitions[3].attrs | test("GUID:59")' "$T/pt.json" >/dev/null || fail "data lacks grow-file-system"
jq -e '[.partitiontable.partitions[].start % 2048] | all(. == 0)' "$T/pt.json" >/dev/null || fail "not 1 MiB aligned"
[ "$(jq -r '.partitiontable.partitions[3].name' "$T/pt.json")" = appdata ] || fail "data label"
sfdisk --verify "$img" >/dev/null || fail "sfdisk --verify"
pass "sfdisk: root, root-verity, root-verity-sig, data; attributes and 1 MiB alignment"

# The verity pair is named by the root hash halves.
roothash=$(cat "$T/out/disk_1.0.root.roothash")
uuid0=$(jq -r '.partitiontable.partitions[0].uuid' "$T/pt.json" | tr -d '-' | tr 'A-Z' 'a-z')
uuid1=$(jq -r '.partitiontable.partitions[1].uuid' "$T/pt.json" | tr -d '-' | tr 'A-Z' 'a-z')
[ "$uuid0$uuid1" = "$roothash" ] || fail "verity pair UUIDs are not the root hash halves"
pass "root/verity partition UUIDs are the root hash halves"

# systemd-dissect recognises root + verity + signature.
systemd-dissect --json=short "$img" > "$T/dissect.json" 2>"$T/dissect.err" || { cat "$T/dissect.err"; fail "systemd-dissect"; }
jq -e '.mounts[] | select(.designator == "root") | .verity == "signed"' "$T/dissect.json" >/dev/null \
  || jq -e '.[] | select(.designator == "root") | .verity == "signed"' "$T/dissect.json" >/dev/null \
  || { cat "$T/dissect.json"; fail "systemd-dissect does not see a signed verity root"; }
pass "systemd-dissect: root with signed verity"

# veritysetup on the partitions cut out of the image.
cut_partition "$img" 1 "$T/root.part"
cut_partition "$img" 2 "$T/verity.part"
veritysetup verify "$T/root.part" "$T/verity.part" "$roothash" || fail "veritysetup verify"
pass "veritysetup verify accepts the root partition"

# openssl: the signature over the hex root hash.
printf '%s' "$roothash" > "$T/roothash.txt"
openssl smime -verify -binary -inform DER -in "$T/out/disk_1.0.root.roothash.p7s" -content "$T/roothash.txt" \
  -CAfile "$T/keys/kiln.crt" -purpose any -out /dev/null 2>"$T/smime.err" || { cat "$T/smime.err"; fail "openssl smime"; }
cut_partition "$img" 3 "$T/sig.part"
tr -d '\0' < "$T/sig.part" | jq -r .signature | base64 -d > "$T/sig.der"
cmp "$T/sig.der" "$T/out/disk_1.0.root.roothash.p7s" || fail "signature partition differs from the .p7s"
fp=$(openssl x509 -in "$T/keys/kiln.crt" -outform DER | sha256sum | cut -d' ' -f1)
[ "$(tr -d '\0' < "$T/sig.part" | jq -r .certificateFingerprint)" = "$fp" ] || fail "certificate fingerprint"
pass "openssl smime verifies the root hash signature; fingerprint matches"

# Data partition.
cut_partition "$img" 4 "$T/data.part"
e2fsck -fn "$T/data.part" >/dev/null 2>&1 || fail "e2fsck on the data partition"
[ "$(e2label "$T/data.part")" = appdata ] || fail "data label in ext4"
debugfs -R 'cat /app/state' "$T/data.part" 2>/dev/null | grep -q state || fail "seed content missing"
pass "e2fsck clean, label appdata, seeded"

# Root.
cmp "$T/root.part" "$T/out/disk_1.0.root.squashfs" || fail "split squashfs differs from the root partition"
unsquashfs -q -d "$T/root" "$T/root.part" >/dev/null
[ "$(cat "$T/root/etc/greeting")" = hello ] || fail "root content"
pass "unsquashfs extracts the recipe's tree from the root partition"

# kiln verify and inspect.
"$KILN" verify "$img" --cert "$T/keys/kiln.crt" >/dev/null || fail "kiln verify raw"
"$KILN" verify "$T/out/disk_1.0.qcow2" --cert "$T/keys/kiln.crt" >/dev/null || fail "kiln verify qcow2"
"$KILN" verify "$T/out/disk_1.0.manifest.json" --cert "$T/keys/kiln.crt" >/dev/null || fail "kiln verify manifest"
"$KILN" verify "$T/out/disk_1.0.root.squashfs" --cert "$T/keys/kiln.crt" >/dev/null || fail "kiln verify split"
"$KILN" verify "$T/out" --cert "$T/keys/kiln.crt" >/dev/null || fail "kiln verify of the output directory"
cp -r "$T/out" "$T/out-tampered"
flip_byte "$T/out-tampered/disk_1.0.root.verity" 10
"$KILN" verify "$T/out-tampered" --cert "$T/keys/kiln.crt" >/dev/null 2>&1 && fail "kiln verify of a tampered output directory passed"
"$KILN" --json inspect "$img" > "$T/inspect.json"
[ "$(jq -r .rootHash "$T/inspect.json")" = "$roothash" ] || fail "inspect root hash"
[ "$(jq -r .dataMountpoint "$T/inspect.json")" = /var/lib/app ] || fail "inspect data mountpoint"
[ "$(jq -r .signer.fingerprint "$T/inspect.json")" = "$fp" ] || fail "inspect signer"
jq -r .signer.subject "$T/inspect.json" | grep -q "kiln test" || fail "inspect signer subject"
pass "kiln verify (raw, qcow2, manifest, split, output directory; a tampered one fails) and inspect"

# SBOM and provenance: the SPDX document parses and lists the overlay files; every subject of the
# signed in-toto statement is an artifact of SHA256SUMS; the DSSE signature verifies with openssl.
jq -e '.spdxVersion == "SPDX-2.3"' "$T/out/disk_1.0.spdx.json" >/dev/null || fail "SPDX document"
jq -e '[.files[].fileName] | index("./etc/greeting") or index("/etc/greeting") or index("etc/greeting")' "$T/out/disk_1.0.spdx.json" >/dev/null   || { jq '[.files[].fileName]' "$T/out/disk_1.0.spdx.json"; fail "SPDX lacks the overlay file"; }
check_dsse "$T/out/disk_1.0.intoto.json" "$T/keys/kiln.crt" "$T/subjects"
sort "$T/out/SHA256SUMS" | grep -Ff "$T/subjects" | wc -l | grep -qx "$(wc -l < "$T/subjects")" || fail "provenance subjects not in SHA256SUMS"
[ "$(wc -l < "$T/subjects")" -ge 7 ] || fail "too few provenance subjects"
pass "SPDX parses; provenance subjects match SHA256SUMS; DSSE signature verifies with openssl"

# A second build elsewhere, as root, is byte-identical.
mkdir -p "$T/elsewhere"
(cd "$T/elsewhere" && umask 027 && TZ=Asia/Tokyo faketime -f '+200d' \
   "$KILN" build "$T/src/recipe.toml" -o "$T/out2" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" -q)
cmp "$img" "$T/out2/disk_1.0.raw" || fail "raw images differ"
cmp "$T/out/SHA256SUMS" "$T/out2/SHA256SUMS" || fail "SHA256SUMS differ"
pass "second build (root, other cwd/umask/TZ/clock) is byte-identical"
