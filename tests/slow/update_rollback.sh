# Issue 16 proof (slow: three builds of the example appliance from one shared Debian base, then
# one QEMU run under TCG that follows the guest across five boots):
#   v1 boots -> kiln-update installs v2 from a channel served on loopback -> reboot -> v2 runs
#   from slot B with the data partition's state kept; an index signed by another key and a
#   payload with one flipped byte are refused and the slots stay as they were; an update to v3
#   is cut off by a power cut (QMP system_reset) in the middle -> the next boot still runs v2 ->
#   the update is done again -> reboot -> v3's health check fails -> after its one try the
#   machine is back on v2 by itself, state kept.
# Afterwards the disk itself is checked with sfdisk and veritysetup: slot A holds v3 (which
# failed), slot B v2, the ESP's v3 entry has no tries left.
source "$(dirname "$0")/../integration/lib.sh"
[ "${KILN_SLOW_TESTS:-0}" = 1 ] || { echo "skipped: set KILN_SLOW_TESTS=1"; exit 0; }

cache=${KILN_TEST_CACHE:-/var/tmp/kiln-test-cache}
mkdir -p "$cache"
make_keys
"$KILN" keygen --out "$T/otherkeys" --subject "someone else" >/dev/null

# The guest side of the proof: a driver unit that acts on the version it runs and a step
# counter kept on the data partition, and prints what it sees on the console.
ov="$T/overlay"
mkdir -p "$ov/usr/lib/kiln-test" "$ov/usr/lib/systemd/system" "$ov/etc/systemd/network"
cat > "$ov/etc/systemd/network/20-wired.network" <<'NET'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
NET
cat > "$ov/usr/lib/kiln-test/driver" <<'SH'
#!/bin/sh
set -u
say() { echo "kiln-test: $*" > /dev/console; }
. /etc/os-release
state=/var/lib/kiln-test
mkdir -p "$state"
step=$(cat "$state/step" 2>/dev/null || echo 0)
ch=http://10.0.2.100
status_line() { kiln-update status --json | tr -d '\n' | sed 's/  */ /g'; }
say "boot: version=$IMAGE_VERSION step=$step status=$(status_line)"
say "data: $(cat "$state/data" 2>/dev/null || echo none)"
case "$IMAGE_VERSION:$step" in
  1.0.0:0)
    echo "written by 1.0.0" > "$state/data"
    echo 1 > "$state/step"; sync
    if kiln-update update --channel "$ch/c2/" > /run/update.log 2>&1; then say "updated to 1.1.0"; else say "update failed: $(tail -3 /run/update.log | tr '\n' ' ')"; fi
    systemctl reboot ;;
  1.1.0:1)
    say "running 1.1.0"
    if kiln-update update --channel "$ch/other-signer/" > /run/u1.log 2>&1; then say "other signer: ACCEPTED"; else say "other signer: refused: $(tail -1 /run/u1.log)"; fi
    if kiln-update update --channel "$ch/flipped/" > /run/u2.log 2>&1; then say "flipped byte: ACCEPTED"; else say "flipped byte: refused: $(tail -1 /run/u2.log)"; fi
    say "after refusals: $(status_line)"
    echo 2 > "$state/step"; sync
    kiln-update update --channel "$ch/c3/" > /run/u3.log 2>&1 &
    # Cut the power once the agent is writing the root into the inactive slot.
    for i in $(seq 1 600); do grep -q "downloading" /run/u3.log 2>/dev/null && break; sleep 0.5; done
    sleep 20
    say "cutting the power now"
    sleep 600 ;;
  1.1.0:2)
    say "still 1.1.0 after the power cut: $(status_line)"
    echo 3 > "$state/step"; sync
    if kiln-update update --channel "$ch/c3/" > /run/update.log 2>&1; then say "updated to 1.2.0"; else say "update failed: $(tail -3 /run/update.log | tr '\n' ' ')"; fi
    systemctl reboot ;;
  1.1.0:3)
    say "back on 1.1.0 by itself: $(status_line)"
    say "TEST DONE"
    systemctl poweroff ;;
  *)
    say "unexpected: version $IMAGE_VERSION at step $step" ;;
esac
SH
chmod 0755 "$ov/usr/lib/kiln-test/driver"
cat > "$ov/usr/lib/systemd/system/kiln-test-driver.service" <<'UNIT'
[Unit]
Description=kiln update proof driver
After=multi-user.target network-online.target boot-complete.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/lib/kiln-test/driver
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
UNIT
# The health check: fails on 1.2.0 only.
cat > "$ov/usr/lib/systemd/system/kiln-test-health.service" <<'UNIT'
[Unit]
Description=kiln update proof health check

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c '. /etc/os-release; if [ "$IMAGE_VERSION" = 1.2.0 ]; then echo "kiln-test: the health check of 1.2.0 fails" > /dev/console; exit 1; fi'
UNIT

mkdir -p "$T/src"
cat > "$T/src/update-test.toml" <<TOML
include = ["$KILN_SOURCE_DIR/recipes/examples/appliance.toml"]

[[overlay]]
source = "../overlay"
target = "/"

[services]
enable = ["appliance.service", "kiln-test-driver.service", "systemd-networkd.service",
          "systemd-networkd-wait-online.service"]

[update]
channel = "http://10.0.2.100/"
slot_size = "320M"
tries = 1
health = ["appliance.service", "kiln-test-health.service"]

[output]
formats = ["raw"]
TOML
for v in 1.1.0 1.2.0; do
  printf 'include = ["update-test.toml"]\n\n[image]\nversion = "%s"\n' "$v" > "$T/src/update-test-$v.toml"
done

lock_key=$(cat "$KILN_SOURCE_DIR/recipes/examples/appliance.toml" "$T/src/update-test.toml" | sed "s|$T||g" | sha256sum | cut -c1-16)
cached_lock="$cache/update-test-$lock_key.lock"
if [ -f "$cached_lock" ]; then
  cp "$cached_lock" "$T/src/update-test.toml.lock"
else
  "$KILN" --cache "$cache" lock "$T/src/update-test.toml" -q
  cp "$T/src/update-test.toml.lock" "$cached_lock"
fi
for v in 1.1.0 1.2.0; do cp "$T/src/update-test.toml.lock" "$T/src/update-test-$v.toml.lock"; done

start=$(date +%s)
build() {  # build RECIPE OUT
  "$KILN" --cache "$cache" build "$1" -o "$2" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" -q >/dev/null
}
build "$T/src/update-test.toml" "$T/v1"
build "$T/src/update-test-1.1.0.toml" "$T/v2"
build "$T/src/update-test-1.2.0.toml" "$T/v3"
pass "built 1.0.0, 1.1.0 and 1.2.0 in $(( $(date +%s) - start )) s"

# Channels: c2 (1.1.0), c3 (1.1.0 and 1.2.0), one signed by another key, one with a flipped
# byte in its root payload.
ch="$T/channels"
mkdir -p "$ch"
publish() { "$KILN" -q publish "$1" "$2" --key "${3:-$T/keys/kiln.key}" --cert "${4:-$T/keys/kiln.crt}" >/dev/null; }
publish "$T/v2" "$ch/c2"
publish "$T/v2" "$ch/c3"
publish "$T/v3" "$ch/c3"
# The same index re-signed with another key by openssl: well-formed, but not the image's signer.
cp -r "$ch/c2" "$ch/other-signer"
openssl cms -verify -noverify -inform DER -in "$ch/c2/index.p7s" -binary -out "$T/index.json" 2>/dev/null
openssl cms -sign -nodetach -binary -outform DER -in "$T/index.json" -signer "$T/otherkeys/kiln.crt" \
  -inkey "$T/otherkeys/kiln.key" -out "$ch/other-signer/index.p7s"
publish "$T/v3" "$ch/flipped"
root_payload=$(ls "$ch/flipped"/*.root.squashfs*)
flip_byte "$root_payload" $(( $(stat -c %s "$root_payload") / 2 ))
pass "published: $(ls "$ch/c3" | tr '\n' ' ')"

disk="$T/disk.raw"
cp --sparse=always "$T/v1/appliance_1.0.0.raw" "$disk"
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
veritysetup verify "$T/rootB" "$T/verityB" "$(cat "$T/v2/appliance_1.1.0.root.roothash")" >/dev/null \
  || fail "slot B does not verify against 1.1.0's root hash"
pass "disk after the proof: labels $names; ESP $(tr '\n' ' ' < "$T/entries"); slot B verifies as 1.1.0 (veritysetup)"
pass "the guest rolled forward to 1.1.0, refused a foreign index and a flipped byte, survived a power cut mid-update, and came back to 1.1.0 after 1.2.0 failed its health check"
