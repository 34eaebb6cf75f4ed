# kiln boot end to end on a tiny disk (about 40 s under TCG): a GPT disk whose ESP holds only a
# startup.nsh for OVMF's built-in UEFI shell. The script prints kiln's "default target reached"
# line and powers the VM off (reset -s), standing in for a booted OS. Checks: --check succeeds
# and sees the guest power off; attached mode exits 0 when the guest powers off; --snapshot
# leaves the image untouched; --fail-on and a missing firmware boot loader fail with exit 1 and
# the console line; --json gives a parseable result; no QEMU or temporary directory is left.
source "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 >/dev/null && [ -f /usr/share/OVMF/OVMF_VARS_4M.fd -o -f /usr/share/OVMF/OVMF_VARS.fd ] ||
  { echo "skipped: qemu-system-x86 or ovmf not installed"; exit 0; }
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"

disk="$T/shell.raw"
truncate -s 40M "$disk"
printf 'label: gpt\nstart=2048, size=73728, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="ESP"\n' | sfdisk -q "$disk"
mkfs.vfat -F 16 --offset 2048 "$disk" 36864 >/dev/null 2>&1
# Two echo arguments: the shell echoes the command line itself, which must not count as ready.
printf 'echo "kiln-boot: default" "target reached"\r\necho "selftest: fine"\r\nstall 500000\r\nreset -s\r\n' > "$T/startup.nsh"
mcopy -i "$disk@@1M" "$T/startup.nsh" ::/
sum_before=$(sha256sum < "$disk")

# 1. --check: the guest reaches "its target" and powers itself off within the grace period.
# The UEFI shell is OVMF's fallback when nothing boots, so this test allows it.
start=$(date +%s)
expect_exit 0 "$KILN" boot "$disk" --check --snapshot --allow firmware --timeout 120 --expect "selftest: fine" \
  --serial-log "$T/serial.log"
grep -q "^kiln-boot: default target reached" "$T/stdout" || fail "console line not printed on stdout"
grep -q "accelerator: \(tcg\|kvm\)" "$T/stderr" || fail "accelerator not logged"
grep -q "^kiln boot: firmware: the firmware is running (after [0-9]* s)$" "$T/stderr" || { cat "$T/stderr"; fail "no boot phase line"; }
grep -q "reached its default target in .* powered off" "$T/stderr" || { cat "$T/stderr"; fail "no clean power-off"; }
grep -q "selftest: fine" "$T/serial.log" || fail "serial log lacks the console"
[ "$(sha256sum < "$disk")" = "$sum_before" ] || fail "--snapshot modified the image"
pass "--check reached the target and the guest powered off in $(( $(date +%s) - start )) s ($(grep -o 'accelerator: [a-z]*' "$T/stderr"))"

# 2. Attached (no --check): runs until the guest powers off; QEMU's clean exit is exit 0.
expect_exit 0 "$KILN" boot "$disk" --snapshot
grep -q "selftest: fine" "$T/stdout" || fail "attached mode did not print the console"
pass "attached mode ended with the guest's power-off"

# 3. --fail-on, with --json: exit 1, the failing line in the result.
expect_exit 1 "$KILN" boot "$disk" --check --snapshot --allow firmware --fail-on "target reached$" --json
jq -e '.ok == false and .failure == "custom" and .line == "kiln-boot: default target reached"' "$T/stdout" >/dev/null ||
  { cat "$T/stdout"; fail "--fail-on result wrong"; }
grep -q '"event":"console"' "$T/stderr" || fail "--json gave no console events"
grep -q '^{"event":"phase","phase":"firmware","seconds":[0-9.]*}$' "$T/stderr" || { cat "$T/stderr"; fail "--json gave no phase event"; }
pass "--fail-on fails with the console line in the JSON result"

# 4. Without --allow firmware, falling back to the UEFI shell means nothing bootable: exit 1.
expect_exit 1 "$KILN" boot "$disk" --check --snapshot
grep -q "FAILED.*firmware found nothing to boot" "$T/stderr" || { cat "$T/stderr"; fail "no firmware failure message"; }
grep -q "| UEFI Interactive Shell" "$T/stderr" || fail "last console lines not shown"
pass "an image without a boot loader fails: $(grep FAILED "$T/stderr")"

# 5. Usage errors and leftovers.
expect_exit 2 "$KILN" boot "$disk" --allow nonsense
expect_exit 2 "$KILN" boot "$disk" --check --expect "("
expect_exit 1 "$KILN" boot "$T/missing.raw" --check
pgrep -f "qemu-system-x86_64.*$T" >/dev/null && fail "a QEMU process outlived kiln boot"
[ -z "$(ls -A "$TMPDIR")" ] || fail "temporary files left: $(ls "$TMPDIR")"
pass "bad options exit 2, a missing image 1; no QEMU or temporary file left"
