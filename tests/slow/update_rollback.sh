# Issue 16 proof (slow: the shared builds of the example appliance, tests/slow/lib.sh, then one
# QEMU run under TCG that follows the guest across five boots):
#   v1 boots -> kiln-update installs v2 from a channel served on loopback -> reboot -> v2 runs
#   from slot B with the data partition's state kept; an index signed by another key and a
#   payload with one flipped byte are refused and the slots stay as they were; an update to v3
#   is cut off by a power cut (QMP system_reset) in the middle -> the next boot still runs v2 ->
#   the update is done again -> reboot -> v3's health check fails -> after its one try the
#   machine is back on v2 by itself, state kept.
# Afterwards the disk itself is checked with sfdisk and veritysetup: slot A holds v3 (which
# failed), slot B v2, the ESP's v3 entry has no tries left.
# The same boots carry issue 6's checks of a clean image (the self-test unit of lib.sh): the disk
# is one `kiln flash` wrote to a file 256 MiB larger than built (issue 17); on the first boot the
# root is dm-verity, read-only, writing to it fails, /var is the data partition, read-write and
# grown to fill the disk, the canary file reads back; the next boot finds what the first wrote.
source "$(dirname "$0")/../integration/lib.sh"
[ "${KILN_SLOW_TESTS:-0}" = 1 ] || { echo "skipped: set KILN_SLOW_TESTS=1"; exit 0; }
source "$(dirname "$0")/lib.sh"
appliance_fixture

# Channels: c2 (1.1.0), c3 (1.1.0 and 1.2.0), one signed by another key, one with a flipped
# byte in its root payload.
ch="$T/channels"
mkdir -p "$ch"
publish() { "$KILN" -q publish "$1" "$2" --key "${3:-$F/keys/kiln.key}" --cert "${4:-$F/keys/kiln.crt}" >/dev/null; }
publish "$F/v2" "$ch/c2"
publish "$F/v2" "$ch/c3"
publish "$F/v3" "$ch/c3"
# The same index re-signed with another key by openssl: well-formed, but not the image's signer.
cp -r "$ch/c2" "$ch/other-signer"
openssl cms -verify -noverify -inform DER -in "$ch/c2/index.p7s" -binary -out "$T/index.json" 2>/dev/null
openssl cms -sign -nodetach -binary -outform DER -in "$T/index.json" -signer "$F/otherkeys/kiln.crt" \
  -inkey "$F/otherkeys/kiln.key" -out "$ch/other-signer/index.p7s"
publish "$F/v3" "$ch/flipped"
root_payload=$(ls "$ch/flipped"/*.root.squashfs*)
# 4 MiB in: the agent checks each block of the root against the signed verity tree as it arrives,
# so the refusal comes there, not after the whole payload.
flip_byte "$root_payload" $(( 4 * 1048576 ))
pass "published: $(ls "$ch/c3" | tr '\n' ' ')"

# The disk: 1.0.0 written by `kiln flash` through its block map to a file 256 MiB larger than
# built (flash moves the backup GPT to the end); the data partition must grow into it.
raw="$F/v1/appliance_1.0.0.raw"
disk="$T/disk.raw"
truncate -s $(( $(stat -c %s "$raw") + 256 * 1048576 )) "$disk"
"$KILN" -q flash "$raw" "$disk" --yes >/dev/null || fail "kiln flash to a larger file failed"
sgdisk -v "$disk" 2>&1 | grep -q "No problems found" || fail "flashed disk's GPT is not valid: $(sgdisk -v "$disk" 2>&1)"
data_bytes=$(( $(sfdisk --json "$raw" | jq '.partitiontable.partitions[-1].size') * 512 ))
set +e
timeout 3600 "$KILN" boot "$disk" --check --follow-reboots --timeout 3300 --serve "$ch" \
  --reset-on "kiln-test: cutting the power now" \
  --expect "kiln-test: boot: version=1.0.0 step=0" \
  --expect "kiln-test: updated to 1.1.0" \
  --expect "kiln-test: running 1.1.0" \
  --expect "kiln-test: other signer: refused" \
  --expect "kiln-test: flipped byte: refused" \
  --expect "kiln-test: cutting the power now" \
  --expect "kiln-test: still 1.1.0 after the power cut" \
  --expect "kiln-test: updated to 1.2.0" \
  --expect "kiln-test: the health check of 1.2.0 fails" \
  --expect "kiln-test: back on 1.1.0 by itself" \
  --expect "kiln-test: TEST DONE" >"$T/boot.log" 2>&1
rc=$?
set -e
grep -a "kiln-test:\|kiln boot: served\|kiln boot: reset" "$T/boot.log" | tr -d '\r' | sed 's/^/  | /'
[ "$rc" = 0 ] || { tail -60 "$T/boot.log"; fail "the update proof did not complete (kiln boot exit $rc)"; }
# Issue 6's checks of a clean image, from the self-test's lines of the first two boots.
nth() { grep -a "kiln-selftest: $1" "$T/boot.log" | sed -n "${2}p" | tr -d '\r'; }
root=$(nth "root source" 1)
echo "$root" | grep -q "fstype=squashfs" || fail "root is not the squashfs: $root"
echo "$root" | grep -qE "options=ro(,|$)" || fail "root is not read-only: $root"
echo "$root" | grep -q "dm-uuid=CRYPT-VERITY-" || fail "root is not a dm-verity device: $root"
nth "root write" 1 | grep -q refused || fail "writing to / did not fail"
var=$(nth "var source" 1)
echo "$var" | grep -q "fstype=ext4" && echo "$var" | grep -qE "options=rw(,|$)" || fail "data partition not mounted rw at /var: $var"
sizes=$(nth "data partition" 1)
grown=$(echo "$sizes" | sed -n 's/.*bytes=\([0-9]*\) fs.*/\1/p')
fs_bytes=$(echo "$sizes" | sed -n 's/.*fs bytes=\([0-9]*\).*/\1/p')
[ "${grown:-0}" -gt $((data_bytes + 200 * 1048576)) ] || fail "data partition not grown: $sizes (built $data_bytes)"
[ "${fs_bytes:-0}" -gt $((data_bytes + 150 * 1048576)) ] || fail "data file system not grown: $sizes"
nth "canary" 1 | grep -q "ok $(cat "$F/canary.sha256")" || fail "canary unreadable on a clean image: $(nth canary 1)"
nth "persist" 1 | grep -q "none" || fail "fresh data partition already had the marker: $(nth persist 1)"
nth "persist" 2 | grep -q "found written-by-first-boot" || fail "state did not survive the reboot: $(nth persist 2)"
grep -aq "appliance: boot number 1" "$T/boot.log" && grep -aq "appliance: boot number 2" "$T/boot.log" \
  || fail "the appliance service did not count boots 1 and 2"
pass "boot 1 (flashed disk): $root; $var; $sizes (built $data_bytes); boot 2 found boot 1's file and counted boot 2"
grep -aq "kiln-test: data: written by 1.0.0" "$T/boot.log" || fail "state from 1.0.0 not seen"
# The driver runs on every boot but 1.2.0's (its failed health check reboots first): 1.1.0 saw the
# state three times (after the update, after the power cut, after the rollback).
[ "$(grep -ac "kiln-test: data: written by 1.0.0" "$T/boot.log")" -ge 3 ] || fail "the data partition's state was not kept on every boot"
# The disk itself, read by independent tools: slot A holds 1.2.0 (written by the second update),
# slot B 1.1.0; the ESP's 1.2.0 entry has used its one try; 1.0.0's entry is gone.
sfdisk -d "$disk" > "$T/table"
names=$(sed -n 's/.*name="\([^"]*\)".*/\1/p' "$T/table" | tr '\n' ' ')
echo "$names" | grep -q "appliance_1.2.0 appliance_1.2.0_verity appliance_1.2.0_verity_sig appliance_1.1.0 appliance_1.1.0_verity appliance_1.1.0_verity_sig" \
  || fail "slot labels after the proof: $names"
esp_start=$(sfdisk --json "$disk" | jq '.partitiontable.partitions[0].start')
mdir -b -i "$disk@@$((esp_start * 512))" ::/EFI/Linux > "$T/entries" || fail "ESP unreadable by mtools"
grep -q "appliance_1.1.0.efi" "$T/entries" && grep -q "appliance_1.2.0+0-1.efi" "$T/entries" && ! grep -q "appliance_1.0.0" "$T/entries" \
  || fail "ESP entries after the proof: $(cat "$T/entries" | tr '\n' ' ')"
cut_partition "$disk" 5 "$T/rootB"
cut_partition "$disk" 6 "$T/verityB"
veritysetup verify "$T/rootB" "$T/verityB" "$(cat "$F/v2/appliance_1.1.0.root.roothash")" >/dev/null \
  || fail "slot B does not verify against 1.1.0's root hash"
pass "disk after the proof: labels $names; ESP $(tr '\n' ' ' < "$T/entries"); slot B verifies as 1.1.0 (veritysetup)"
pass "the guest rolled forward to 1.1.0, refused a foreign index and a flipped byte, survived a power cut mid-update, and came back to 1.1.0 after 1.2.0 failed its health check"
