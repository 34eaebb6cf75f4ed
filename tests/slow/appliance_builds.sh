# The shared builds of the example appliance (tests/slow/lib.sh; CTest's fixture for the tests
# that boot them: boot_appliance, update_rollback), and what the host can check of them:
#   - two builds of 1.0.0 give a byte-identical disk image, qcow2 and UKI (boot files included);
#   - the ESP holds systemd-boot as the default loader and the UKI, whose .cmdline names the root
#     hash kiln recorded (mtools, objcopy);
#   - the A/B layout: slot A carries 1.0.0's labels, slot B is free (sfdisk).
source "$(dirname "$0")/../integration/lib.sh"
[ "${KILN_SLOW_TESTS:-0}" = 1 ] || { echo "skipped: set KILN_SLOW_TESTS=1"; exit 0; }
source "$(dirname "$0")/lib.sh"

appliance_fixture
pass "appliance builds in $F ($(tr '\n' ' ' < "$F/build-seconds"))"

raw="$F/v1/appliance_1.0.0.raw"
for f in appliance_1.0.0.raw appliance_1.0.0.qcow2 appliance_1.0.0.efi SHA256SUMS; do
  cmp "$F/v1/$f" "$F/v1-again/$f" || fail "two builds of the appliance differ in $f"
done
pass "second build is byte-identical (disk image, qcow2, UKI, SHA256SUMS)"

esp_start=$(sfdisk --json "$raw" | jq '.partitiontable.partitions[0].start')
roothash=$(cat "$F/v1/appliance_1.0.0.root.roothash")
mdir -i "$raw@@$((esp_start * 512))" ::/EFI/BOOT ::/EFI/Linux >"$T/esp.list" || fail "ESP unreadable by mtools"
grep -q BOOTX64 "$T/esp.list" && grep -q "appliance_1.0.0" "$T/esp.list" || { cat "$T/esp.list"; fail "ESP lacks loader or UKI"; }
objcopy -O binary --only-section=.cmdline "$F/v1/appliance_1.0.0.efi" "$T/cmdline"
grep -q "roothash=$roothash" "$T/cmdline" || fail "UKI command line lacks roothash=$roothash: $(cat "$T/cmdline")"
pass "ESP has systemd-boot and the UKI; UKI command line carries roothash=${roothash:0:16}..."

names=$(sfdisk -d "$raw" | sed -n 's/.*name="\([^"]*\)".*/\1/p' | tr '\n' ' ')
[ "$names" = "esp appliance_1.0.0 appliance_1.0.0_verity appliance_1.0.0_verity_sig _empty _empty _empty data " ] \
  || fail "partition labels of the A/B image: $names"
pass "A/B layout: $names"
