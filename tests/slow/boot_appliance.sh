# Issue 6 acceptance (slow: two QEMU boots under TCG of the shared appliance builds,
# tests/slow/lib.sh). The example appliance plus a self-test unit boots with OVMF; inside, the
# self-test reports what it sees on the serial console. What a clean image shows (the root is
# dm-verity, read-only, writing to it fails; the data partition is mounted read-write at /var,
# grown to fill a larger disk `kiln flash` wrote, and keeps its state across a reboot) is checked
# in the update proof's boots (update_rollback.sh), which boot the same image; here, tampering:
#   1. a flipped byte in the root's first 4 KiB stops the boot before the root is used;
#   2. the qcow2, booted through a snapshot (nothing is written into the artifact), with a flipped
#      byte inside a file's data block: the system boots on dm-verity, and reading that file
#      fails with an I/O error.
source "$(dirname "$0")/../integration/lib.sh"
[ "${KILN_SLOW_TESTS:-0}" = 1 ] || { echo "skipped: set KILN_SLOW_TESTS=1"; exit 0; }
source "$(dirname "$0")/lib.sh"
appliance_fixture

raw="$F/v1/appliance_1.0.0.raw"
boot() {  # boot DISK LOG [--check]: kiln boot, console saved in LOG, exit status in $boot_rc
  local disk=$1 log=$2; shift 2
  set +e
  timeout 1200 "$KILN" boot "$disk" --timeout 900 "$@" >"$log" 2>&1
  boot_rc=$?
  set -e
}
line() { grep -a "kiln-selftest: $1" "$2" | tail -1 | tr -d '\r'; }

# 1. A flipped byte in the first 4 KiB of the root partition: the kernel refuses the block and
# the boot stops before the root is used.
# The root partition by its type (the A/B layout labels it NAME_VERSION): slot A, the first one.
root_start=$(sfdisk --json "$raw" | jq '[.partitiontable.partitions[] | select(.type == "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709")][0].start')
cp --sparse=always "$raw" "$T/tamper.raw"
flip_byte "$T/tamper.raw" $((root_start * 512 + 1000))
boot "$T/tamper.raw" "$T/boot1.log" --check
[ "$boot_rc" != 0 ] || fail "a boot with a tampered root superblock block reached the default target"
grep -aqi "verity.*corrupt\|Failed to mount.*sysroot\|emergency" "$T/boot1.log" || { tail -30 "$T/boot1.log"; fail "no verity or mount failure on the console"; }
grep -aq "kiln-selftest:" "$T/boot1.log" && fail "the tampered root was used"
pass "boot 1 (root block 0 flipped) stopped: $(grep -ai 'verity.*corrupt' "$T/boot1.log" | head -1 | tr -d '\r')"

# 2. The qcow2 (its data clusters hold the partition bytes as they are) with a flipped byte inside
# the canary's data block, booted through a snapshot.
qcow2="$T/tamper.qcow2"
cp "$F/v1/appliance_1.0.0.qcow2" "$qcow2"
find_canary() {  # find_canary FILE: the byte offset of the canary's 64 KiB mark in FILE
  python3 - "$1" "$F/selftest/etc/kiln-selftest/canary" <<'PY'
import mmap, sys
needle = open(sys.argv[2], 'rb').read()[65536:65536 + 32]
with open(sys.argv[1], 'rb') as f:
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    first = m.find(needle)
    assert first >= 0 and m.find(needle, first + 1) < 0, "canary block not found exactly once"
    print(first)
PY
}
# The block must lie away from both ends of the root, where the initrd probes the device.
root_file="$F/v1/appliance_1.0.0.root.squashfs"
in_root=$(find_canary "$root_file")
[ "$in_root" -gt $((4 << 20)) ] && [ $(( $(stat -c %s "$root_file") - in_root )) -gt $((4 << 20)) ] \
  || fail "the canary's block is at byte $in_root of a $(stat -c %s "$root_file")-byte root: too near an end"
off=$(find_canary "$qcow2")
flip_byte "$qcow2" "$off"
qemu-img check "$qcow2" >/dev/null || fail "the tampered qcow2 is no longer a valid qcow2"
qcow2_sum=$(sha256sum < "$qcow2")
# The kernel logs the corrupt block; that is expected here, so --allow verity.
boot "$qcow2" "$T/boot2.log" --check --snapshot --allow verity
[ "$boot_rc" = 0 ] || { tail -40 "$T/boot2.log"; fail "the qcow2 with a tampered file block did not reach the default target"; }
line "root source" "$T/boot2.log" | grep -q "dm-uuid=CRYPT-VERITY-" || fail "qcow2 boot: root is not dm-verity: $(line "root source" "$T/boot2.log")"
line "canary" "$T/boot2.log" | grep -qi "Input/output error" || fail "tampered file read did not fail with EIO: $(line canary "$T/boot2.log")"
[ "$(sha256sum < "$qcow2")" = "$qcow2_sum" ] || fail "booting the qcow2 with --snapshot changed it"
pass "boot 2 (qcow2 through a snapshot, file block flipped at byte $off): root on dm-verity; $(line canary "$T/boot2.log"); the qcow2 is unchanged"
