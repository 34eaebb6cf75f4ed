# Issue 13 (verify): `kiln verify` checks everything it claims and says what it did not cover.
# SHA256SUMS may only name files a signed manifest covers, inside the output directory (an
# extra file, an absolute path, /dev/zero or a symlink fail, and never hang); the DSSE
# provenance envelope is listed in the signed manifest and checked (signature and subjects);
# `verify IMAGE.raw` compares the ESP's files (UKI, boot loader) with the signed manifest,
# read with mtools; the report marks the data partition writable and unsigned parts not covered.
source "$(dirname "$0")/lib.sh"
require_systemd_boot
make_keys
cert="$T/keys/kiln.crt"
make_boot_overlay "$T/src/overlay"
write_boot_recipe "$T/src/recipe.toml" vc 1 "$DATA_ON_VAR"
"$KILN" build "$T/src/recipe.toml" -o "$T/out" --key "$T/keys/kiln.key" --cert "$cert" -q >/dev/null
img="$T/out/vc_1.raw"

# --- the signed manifest pins the ESP's files and lists the provenance envelope
m="$T/out/vc_1.manifest.json"
jq -e '.artifacts | map(.name) | index("vc_1.intoto.json") != null' "$m" >/dev/null || fail "manifest lacks the envelope"
uki_sum=$(sha256sum < "$T/out/vc_1.efi" | cut -d' ' -f1)
[ "$(jq -r '.disk.espFiles[] | select(.path == "/EFI/Linux/vc_1.efi") | .sha256' "$m")" = "$uki_sum" ] ||
  fail "manifest does not pin the UKI"
[ "$(jq -r '.disk.espFiles[] | select(.path == "/EFI/BOOT/BOOTX64.EFI") | .sha256' "$m")" = \
  "$(sha256sum < "$SYSTEMD_BOOT_EFI/systemd-bootx64.efi" | cut -d' ' -f1)" ] || fail "manifest does not pin the boot loader"
check_dsse "$T/out/vc_1.intoto.json" "$cert" "$T/subjects"
jq -r '.artifacts[] | select(.name != "vc_1.intoto.json") | "\(.sha256)  \(.name)"' "$m" | sort > "$T/artifacts"
cmp "$T/subjects" "$T/artifacts" || fail "provenance subjects are not the manifest's other artifacts"
pass "manifest lists the provenance envelope (subjects = its other artifacts) and pins $(jq '.disk.espFiles | length' "$m") ESP files"

# --- the pristine output verifies, and the report says what each part is
expect_exit 0 "$KILN" verify "$T/out" --cert "$cert"
expect_exit 0 "$KILN" --json verify "$img" --cert "$cert"
jq -e '.ok and ([.checks[] | select(.name == "esp" and .status == "verified")] | length == 1)' "$T/stdout" >/dev/null ||
  { cat "$T/stdout"; fail "ESP not verified"; }
jq -e '[.checks[] | select(.name == "partition table" and .status == "verified")] | length == 1' "$T/stdout" >/dev/null ||
  fail "partition table not compared with the manifest"
jq -e '[.checks[] | select(.status == "writable")] | length == 1' "$T/stdout" >/dev/null || fail "data partition not writable"
expect_exit 0 "$KILN" verify "$img" --cert "$cert"
grep -q "^writable .*data partition" "$T/stdout" || { cat "$T/stdout"; fail "text report lacks the writable data partition"; }
mkdir "$T/alone" && cp --sparse=always "$img" "$T/alone/"
expect_exit 0 "$KILN" --json verify "$T/alone/vc_1.raw" --cert "$cert"
jq -e '[.checks[] | select(.name == "esp" and .status == "not-covered")] | length == 1' "$T/stdout" >/dev/null ||
  { cat "$T/stdout"; fail "an image without its manifest must say the ESP is not covered"; }
expect_exit 0 "$KILN" --json verify "$T/alone/vc_1.raw" --cert "$cert" --manifest "$m"
jq -e '[.checks[] | select(.name == "esp" and .status == "verified")] | length == 1' "$T/stdout" >/dev/null ||
  fail "--manifest did not check the ESP"
pass "pristine output verifies; the report marks the ESP verified, the data partition writable, and the ESP not covered without a manifest"

# --- SHA256SUMS: only files a signed manifest covers, inside the directory, never hanging
bad_sums() {  # bad_sums NAME LINE...: a copy of the output whose SHA256SUMS gets the lines
  rm -rf "$T/$1" && cp -a "$T/out" "$T/$1"
  local d="$T/$1"; shift
  for l in "$@"; do printf '%s\n' "$l" >> "$d/SHA256SUMS"; done
}
bad_sums extra
printf 'echo pwned\n' > "$T/extra/evil.sh"
(cd "$T/extra" && sha256sum evil.sh >> SHA256SUMS)
expect_exit 1 "$KILN" verify "$T/extra" --cert "$cert"
grep -q "SHA256SUMS.*evil.sh.*no signed manifest" "$T/stderr" || { cat "$T/stderr"; fail "extra line not named"; }
echo hi > "$T/abs.txt"
bad_sums abs "$(sha256sum "$T/abs.txt")"
expect_exit 1 "$KILN" verify "$T/abs" --cert "$cert"
grep -q "SHA256SUMS.*outside the directory" "$T/stderr" || { cat "$T/stderr"; fail "absolute line not refused"; }
bad_sums zero "$(printf '%064d' 0)  /dev/zero"
start=$(date +%s)
set +e; timeout 60 "$KILN" verify "$T/zero" --cert "$cert" >/dev/null 2>"$T/stderr"; rc=$?; set -e
[ "$rc" = 1 ] || fail "/dev/zero in SHA256SUMS: exit $rc (124 = hung)"
grep -q "SHA256SUMS" "$T/stderr" || { cat "$T/stderr"; fail "/dev/zero line not named"; }
bad_sums link "$(printf '%064d' 0)  zero"
ln -s /dev/zero "$T/link/zero"
set +e; timeout 60 "$KILN" verify "$T/link" --cert "$cert" >/dev/null 2>"$T/stderr"; rc=$?; set -e
[ "$rc" = 1 ] && grep -q "SHA256SUMS" "$T/stderr" || { cat "$T/stderr"; fail "symlink to /dev/zero: exit $rc"; }
pass "SHA256SUMS lines for an extra file, an absolute path, /dev/zero and a symlink fail naming SHA256SUMS ($(( $(date +%s) - start )) s)"

# --- an altered provenance payload, SHA256SUMS updated to match, still fails
rm -rf "$T/prov" && cp -a "$T/out" "$T/prov"
env="$T/prov/vc_1.intoto.json"
jq -r .payload "$env" | base64 -d | jq -c '.subject[0].digest.sha256 = "'"$(printf '%064d' 1)"'"' > "$T/statement"
jq -c --arg p "$(base64 -w0 < "$T/statement")" '.payload = $p' "$env" > "$T/env" && mv "$T/env" "$env"
(cd "$T/prov" && grep -v ' vc_1.intoto.json$' SHA256SUMS > S && sha256sum vc_1.intoto.json >> S && sort -k2 S > SHA256SUMS && rm S)
expect_exit 1 "$KILN" verify "$T/prov" --cert "$cert"
grep -q "vc_1.intoto.json" "$T/stderr" || { cat "$T/stderr"; fail "altered provenance not named"; }
pass "an altered provenance payload fails: $(grep 'verification failed' "$T/stderr")"

# --- a flipped byte inside the UKI on the ESP
pt=$(sfdisk --json "$img")
esp_start=$(( $(jq '.partitiontable.partitions[] | select(.type == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B") | .start' <<<"$pt") * 512 ))
esp_end=$(( esp_start + $(jq '.partitiontable.partitions[] | select(.type == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B") | .size' <<<"$pt") * 512 ))
off=""
for o in $(grep -obUa "KILN-TEST-KERNEL" "$img" | cut -d: -f1); do
  if [ "$o" -ge "$esp_start" ] && [ "$o" -lt "$esp_end" ]; then off=$o; break; fi
done
[ -n "$off" ] || fail "the UKI's kernel bytes are not on the ESP"
cp --sparse=always "$img" "$T/flip.raw"
cp "$m" "$m.p7s" "$T/"
mv "$T/vc_1.manifest.json" "$T/flip.manifest.json" && mv "$T/vc_1.manifest.json.p7s" "$T/flip.manifest.json.p7s"
flip_byte "$T/flip.raw" $(( off + 5 ))
expect_exit 1 "$KILN" verify "$T/flip.raw" --cert "$cert"
grep -q "esp.*/EFI/Linux/vc_1.efi.*differs from the signed manifest" "$T/stderr" || { cat "$T/stderr"; fail "UKI flip not named"; }
grep -q "^ok .*root" "$T/stdout" || fail "the root should still verify"
pass "a flipped byte in the UKI on the ESP fails naming it: $(grep 'verification failed' "$T/stderr" | cut -c1-120)"
