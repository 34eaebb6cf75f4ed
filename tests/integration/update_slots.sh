# Issue 16 (slots): an [update] image's A/B layout and build identity, judged by independent
# tools: the GPT (sfdisk: labels, UUIDs, types, attributes), slot A's verity pair (veritysetup
# verify on the partitions cut out of the image), the whole image (systemd-dissect picks slot
# A with a signed verity root), the root's files (unsquashfs) and the UKI's .osrel (objcopy);
# kiln inspect shows the slots, kiln verify passes, and what cannot be updated is refused.
source "$(dirname "$0")/lib.sh"
require_systemd_boot
make_keys
key="$T/keys/kiln.key" cert="$T/keys/kiln.crt"
o="$T/src/overlay"
make_boot_overlay "$o" usr/lib/os-release
add_update_runtime "$o"
printf '[Service]\nExecStart=/bin/true\n' > "$o/usr/lib/systemd/system/app.service"
head -c 1536K /dev/urandom > "$o/usr/lib/payload.bin"  # incompressible: the root outgrows a 1 MiB slot
printf '#!/bin/sh\necho kiln-update stand-in\n' > "$T/agent" && chmod 0755 "$T/agent"
export KILN_UPDATE_AGENT="$T/agent"
write_recipe() {  # write_recipe SLOT_SIZE
  write_boot_recipe "$T/src/recipe.toml" app 1.0 "$DATA_ON_VAR" \
    "$(printf '[update]\nchannel = "http://10.0.2.100/"\nslot_size = "%s"\ntries = 1\nhealth = ["app.service"]' "$1")"
}
write_recipe 8M
"$KILN" build "$T/src/recipe.toml" -o "$T/out" --key "$key" --cert "$cert" -q >/dev/null
img="$T/out/app_1.0.raw"
rh=$(cat "$T/out/app_1.0.root.roothash")
v4() { python3 -c 'import hashlib,sys
d=bytearray(hashlib.sha256(sys.argv[1].encode("latin1").replace(b"|", b"\0") + bytes.fromhex(sys.argv[2])).digest()[:16])
d[6]=(d[6]&15)|64; d[8]=(d[8]&63)|128; h=d.hex(); print(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")' "$1" "${2:-}"; }

# --- sfdisk: order, types, labels, UUIDs, attributes
sfdisk --json "$img" > "$T/pt.json"
sfdisk --verify "$img" >/dev/null || fail "sfdisk --verify"
row() { jq -r ".partitiontable.partitions[$1] | \"\(.type) \(.name) \(.uuid) \(.attrs // \"-\")\"" "$T/pt.json" | tr A-Z a-z; }
want() { [ "$(row "$1")" = "$2" ] || fail "partition $(($1 + 1)): '$(row "$1")', expected '$2'"; }
root=4f68bce3-e8cd-4db1-96e7-fbcaf984b709 verity=2c7357ed-ebd2-46d9-aec1-23d437ec2bf5 sig=41092b05-9fc8-4523-994f-2def0408b176
u() { echo "${1:0:8}-${1:8:4}-${1:12:4}-${1:16:4}-${1:20:12}"; }
want 0 "c12a7328-f81f-11d2-ba4b-00a0c93ec93b esp $(v4 'kiln esp partition|app|x86-64') -"
want 1 "$root app_1.0 $(u "${rh:0:32}") guid:60"
want 2 "$verity app_1.0_verity $(u "${rh:32:32}") guid:60"
want 3 "$sig app_1.0_verity_sig $(v4 'kiln verity-sig partition|' "$rh") guid:60"
for i in 4 5 6; do
  [ "$(jq -r ".partitiontable.partitions[$i].name" "$T/pt.json")" = "_empty" ] || fail "slot B partition $((i + 1)) is not _empty"
  # read-only, and no-auto so that systemd-dissect does not read "_empty" as version "empty"
  [ "$(jq -r ".partitiontable.partitions[$i].attrs" "$T/pt.json")" = "GUID:60,63" ] || fail "slot B partition $((i + 1)) attributes"
done
[ "$(jq -r '[.partitiontable.partitions[4,5,6].type] | join(" ")' "$T/pt.json" | tr A-F a-f)" = "$root $verity $sig" ] ||
  fail "slot B types"
want 7 "0fc63daf-8483-4772-8e79-3d69d8477de4 data $(v4 'kiln data partition|app|x86-64') guid:59"
size() { jq ".partitiontable.partitions[$1].size" "$T/pt.json"; }
[ "$(size 1)" = 16384 ] && [ "$(size 4)" = 16384 ] || fail "root slots are not slot_size (8 MiB)"
truncate -s 8M "$T/vd" && veritysetup format "$T/vd" "$T/vh" >/dev/null
[ "$(size 2)" = $(($(stat -c %s "$T/vh") / 512)) ] && [ "$(size 5)" = "$(size 2)" ] ||
  fail "verity slots are not veritysetup's hash device size for 8 MiB"
pass "sfdisk: esp, slot A (app_1.0*), slot B (_empty), data; root-hash, signature, data and ESP UUIDs per the rules"

# --- slot A's pair verifies; slot B is all zeros
cut_partition "$img" 2 "$T/rootA"
cut_partition "$img" 3 "$T/verityA"
veritysetup verify "$T/rootA" "$T/verityA" "$rh" || fail "veritysetup verify slot A"
for n in 5 6 7; do cut_partition "$img" $n "$T/b"; cmp -s "$T/b" <(head -c "$(stat -c %s "$T/b")" /dev/zero) || fail "slot B partition $n not zero"; done
pass "veritysetup verify accepts slot A (root padded to slot_size); slot B is zeros"

# --- systemd-dissect sees slot A as the signed verity root and the image's identity. The name
# "app" sorts before "empty": without no-auto on slot B, dissect would take "_empty" as newer.
if systemd-dissect --json=short "$img" > "$T/dissect.json" 2>"$T/dissect.err"; then
  jq -e '.mounts[] | select(.designator == "root") | .verity == "signed" and .partition_label == "app_1.0"' \
    "$T/dissect.json" >/dev/null || { cat "$T/dissect.json"; fail "systemd-dissect does not pick slot A"; }
  jq -e '.osRelease | index("IMAGE_ID=app") and index("IMAGE_VERSION=1.0")' "$T/dissect.json" >/dev/null ||
    fail "systemd-dissect: no IMAGE_ID/IMAGE_VERSION"
  pass "systemd-dissect: root = slot A with signed verity, IMAGE_ID=app IMAGE_VERSION=1.0"
else
  echo "skip: systemd-dissect cannot open images here: $(head -c 200 "$T/dissect.err")"
fi

# --- the root: identity, agent, units
unsquashfs -q -d "$T/sq" "$T/rootA" >/dev/null
jq -e --arg fp "$(jq -r .certificateFingerprint "$T/out/app_1.0.manifest.json")" \
  '.schema == "kiln.release.v1" and .image == "app" and .version == "1.0" and .channel == "http://10.0.2.100/"
   and .tries == 1 and .health == ["app.service"] and .signer_sha256 == $fp and (.inputs_sha256 | length) == 64' \
  "$T/sq/usr/lib/kiln/release.json" >/dev/null || fail "release.json: $(cat "$T/sq/usr/lib/kiln/release.json")"
cmp -s "$T/sq/usr/lib/kiln/channel.crt" "$cert" || fail "channel.crt is not the build certificate"
cmp -s "$T/sq/usr/bin/kiln-update" "$T/agent" && [ "$(stat -c %a "$T/sq/usr/bin/kiln-update")" = 755 ] || fail "agent"
grep -qx 'IMAGE_ID=app' "$T/sq/usr/lib/os-release" && grep -qx 'IMAGE_VERSION=1.0' "$T/sq/usr/lib/os-release" || fail "os-release"
units="$T/sq/usr/lib/systemd/system"
for f in kiln-update.service kiln-update.timer kiln-build-info.service kiln-machine-id.service efi.mount efi.automount \
         app.service.d/50-kiln-health.conf; do [ -f "$units/$f" ] || fail "missing unit $f"; done
grep -qx 'FailureAction=reboot' "$units/app.service.d/50-kiln-health.conf" || fail "health drop-in"
[ "$(readlink "$units/boot-complete.target.requires/app.service")" = ../app.service ] || fail "health not required by boot-complete.target"
[ -L "$units/basic.target.wants/systemd-bless-boot.service" ] || fail "systemd-bless-boot not enabled"
[ ! -e "$units/timers.target.wants/kiln-update.timer" ] || fail "the timer must not be enabled by default"
grep -q "PARTUUID=$(v4 'kiln data partition|app|x86-64') /var " "$T/sq/etc/fstab" || fail "fstab does not use the stable data PARTUUID"
sh -n "$T/sq/usr/lib/kiln/machine-id" || fail "machine-id script"
objcopy -O binary --only-section=.osrel "$T/out/app_1.0.efi" "$T/osrel"
grep -qx 'IMAGE_VERSION=1.0' "$T/osrel" || fail "UKI .osrel lacks IMAGE_VERSION"
pass "root: release.json, channel.crt, agent 0755, os-release and UKI .osrel identity, units, health drop-in, stable fstab"

# --- manifest, inspect, verify
m="$T/out/app_1.0.manifest.json"
jq -e --arg s "$(sha256sum < "$T/agent" | cut -d' ' -f1)" \
  '[.inputs[] | select(.kind == "update-agent" and .uri == "kiln-update" and .sha256 == $s)] | length == 1' "$m" >/dev/null ||
  fail "manifest lacks the update-agent input"
jq -e '.update == {"channel": "http://10.0.2.100/", "slotSize": 8388608, "tries": 1}
       and ([.disk.partitions[] | .slot // "-"] | join("")) == "-AAABBB-"' "$m" >/dev/null || fail "manifest slots/update"
"$KILN" --json inspect "$img" > "$T/inspect.json"
jq -e --arg rh "$rh" '.slots == [{"slot":"A","state":"version","image":"app","version":"1.0","rootHash":$rh,"partitions":[2,3,4]},
                                 {"slot":"B","state":"empty","image":"","version":"","rootHash":"","partitions":[5,6,7]}]' \
  "$T/inspect.json" >/dev/null || { cat "$T/inspect.json"; fail "inspect slots"; }
"$KILN" inspect "$img" | grep -q '^slot B       empty' || fail "inspect text lacks slot B"
expect_exit 0 "$KILN" verify "$T/out" --cert "$cert"
expect_exit 0 "$KILN" verify "$img" --cert "$cert"
grep -q 'root slot padding' "$T/stdout" || fail "verify does not check the slot padding"
cp "$img" "$T/bad.raw"
flip_byte "$T/bad.raw" $(( $(jq '.partitiontable.partitions[1].start' "$T/pt.json") * 512 + 6 * 1024 * 1024 ))
expect_exit 1 "$KILN" verify "$T/bad.raw" --cert "$cert"
grep -q 'slot padding' "$T/stderr" || fail "a byte in the slot padding is not caught"
pass "manifest: update-agent input, slots, [update]; inspect shows slot A app 1.0 and slot B empty; verify checks the padding"

# --- refusals
expect_exit 2 "$KILN" build "$T/src/recipe.toml" -o "$T/o2" --unsigned -q
grep -q '\[update\] needs a signed build' "$T/stderr" || fail "unsigned: $(cat "$T/stderr")"
write_recipe 1M
expect_exit 2 "$KILN" build "$T/src/recipe.toml" -o "$T/o3" --key "$key" --cert "$cert" -q
grep -q 'slot_size 1.0 MiB (1048576 bytes) is too small for the root file system of' "$T/stderr" || fail "small slot: $(cat "$T/stderr")"
write_recipe 8M
echo not-a-program > "$T/not-exec"
expect_exit 1 env KILN_UPDATE_AGENT="$T/not-exec" "$KILN" build "$T/src/recipe.toml" -o "$T/o4" --key "$key" --cert "$cert" -q
grep -q "KILN_UPDATE_AGENT=$T/not-exec is not an executable file" "$T/stderr" || fail "no agent: $(cat "$T/stderr")"
rm "$o/usr/lib/x86_64-linux-gnu/libcurl.so.4"
expect_exit 2 "$KILN" build "$T/src/recipe.toml" -o "$T/o5" --key "$key" --cert "$cert" -q
grep -q 'missing: libcurl.so.4 (libcurl4)' "$T/stderr" || fail "missing runtime: $(cat "$T/stderr")"
pass "refused: unsigned (2), root larger than slot_size (2), agent not executable (1), base without the agent's runtime (2)"
