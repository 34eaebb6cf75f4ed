# Issue 14: images, layouts and inputs made by others never crash kiln or touch host files.
# Each case below crashed, aborted or changed a host file before the fix.
source "$(dirname "$0")/lib.sh"
make_keys

# A sentinel host file that no image may change.
printf 'sentinel\n' > "$T/sentinel" && chmod 0755 "$T/sentinel"
sentinel_ok() {
  [ "$(stat -c %a "$T/sentinel")" = 755 ] && [ "$(cat "$T/sentinel")" = sentinel ] \
    || fail "$1: the sentinel host file changed ($(stat -c %a "$T/sentinel"))"
}
no_abort() {  # the last command's status in $1: 0, 1 or 2, never a signal or an abort
  [ "$1" -le 2 ] || { cat "$T/stderr" >&2; fail "$2: exit status $1 (crash or abort)"; }
}

# --- diff: a symlink target holding a newline and a fake `unsquashfs -lln` line with `..`.
mkdir -p "$T/evil/etc" "$T/plain/etc"
printf 'hello\n' > "$T/evil/etc/hello"
printf 'hello\n' > "$T/plain/etc/hello"
ups=$(printf '../%.0s' $(seq 16))
ln -s "x
-rwxr-xr-x 0/0 9 2026-01-01 00:00 squashfs-root/$ups${T#/}/sentinel" "$T/evil/etc/evil"
mksquashfs "$T/evil" "$T/evil.sqfs" -quiet -no-progress -all-root -noappend >/dev/null
mksquashfs "$T/plain" "$T/plain.sqfs" -quiet -no-progress -all-root -noappend >/dev/null
set +e; "$KILN" diff "$T/plain.sqfs" "$T/evil.sqfs" --json >"$T/diff.json" 2>"$T/stderr"; rc=$?; set -e
[ "$rc" = 0 ] || { cat "$T/stderr"; fail "kiln diff of the hostile squashfs exited $rc"; }
sentinel_ok "kiln diff"
jq -e '[.files[].path] == ["/etc/evil"] and (.files[0].new.target | contains("\n-rwxr-xr-x"))' "$T/diff.json" >/dev/null \
  || fail "diff of the hostile squashfs: $(jq -c .files "$T/diff.json")"
"$KILN" diff "$T/plain.sqfs" "$T/evil.sqfs" >"$T/diff.txt"
grep -qF '+ /etc/evil' "$T/diff.txt" || fail "text diff: $(cat "$T/diff.txt")"
pass "diff reads a link target with a newline as data; the host file keeps mode 0755 and its content"

# --- verify: a validly signed split root whose verity superblock has a 64- or 256-byte salt.
mkdir -p "$T/src/overlay/etc"
head -c 100000 /dev/urandom > "$T/src/overlay/etc/blob"
write_scratch_recipe "$T/src/recipe.toml" h 1 raw $'[data]\nsize = "8M"\nmountpoint = "/var"'
"$KILN" build "$T/src/recipe.toml" -o "$T/out" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" -q
root="$T/out/h_1.root"
[ -f "$root.squashfs" ] || fail "no split root in $(ls "$T/out")"
for salt_bytes in 64 256; do
  d="$T/salt$salt_bytes" && mkdir -p "$d"
  cp "$root.squashfs" "$d/h.root.squashfs"
  salt=$(head -c "$salt_bytes" /dev/urandom | od -An -tx1 -v | tr -d ' \n')
  rh=$(veritysetup format --data-block-size=4096 --hash-block-size=4096 --salt="$salt" \
         "$d/h.root.squashfs" "$d/h.root.verity" | awk '/^Root hash:/ {print $3}')
  printf '%s' "$rh" > "$d/h.root.roothash"
  openssl smime -sign -binary -noattr -outform DER -in "$d/h.root.roothash" \
    -signer "$T/keys/kiln.crt" -inkey "$T/keys/kiln.key" -out "$d/h.root.roothash.p7s"
  set +e; "$KILN" verify "$d/h.root.squashfs" --cert "$T/keys/kiln.crt" >"$T/stdout" 2>"$T/stderr"; rc=$?; set -e
  no_abort "$rc" "verify with a $salt_bytes-byte salt"
  [ "$rc" = 0 ] || { cat "$T/stderr"; fail "verify with a $salt_bytes-byte salt exited $rc"; }
  grep -q "matches root hash $rh" "$T/stdout" || fail "verify with a $salt_bytes-byte salt: $(cat "$T/stdout")"
  flip_byte "$d/h.root.squashfs" 5000
  expect_exit 1 "$KILN" verify "$d/h.root.squashfs" --cert "$T/keys/kiln.crt"
  pass "split root with a $salt_bytes-byte verity salt verifies, and fails cleanly once changed"
done

# --- inspect/verify of a 64 GiB sparse image whose GPT gives the signature partition 60 GiB.
big="$T/big.raw"
truncate -s 64G "$big"
sfdisk -q "$big" <<'EOF'
label: gpt
size=2048, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709
size=2048, type=2c7357ed-ebd2-46d9-aec1-23d437ec2bf5
type=41092b05-9fc8-4523-994f-2def0408b176
EOF
sig_start=$(sfdisk --json "$big" | jq '.partitiontable.partitions[2].start')
printf '{"rootHash":"00"}' | dd of="$big" bs=512 seek="$sig_start" conv=notrunc status=none
set +e; "$KILN" inspect "$big" --json >"$T/big.json" 2>"$T/stderr"; rc=$?; set -e
no_abort "$rc" "inspect of a 64 GiB image"
[ "$rc" = 0 ] && jq -e '.partitions | length == 3' "$T/big.json" >/dev/null || fail "inspect of a 64 GiB image: $(cat "$T/stderr")"
set +e; "$KILN" verify "$big" --cert "$T/keys/kiln.crt" >"$T/stdout" 2>"$T/stderr"; rc=$?; set -e
no_abort "$rc" "verify of a 64 GiB image"
[ "$rc" = 1 ] && grep -q "signature partition of" "$T/stderr" || { cat "$T/stderr"; fail "verify of a 64 GiB image exited $rc"; }
rm -f "$big"
pass "inspect and verify of a 64 GiB sparse image: no allocation from the GPT's sizes"

# --- labels with terminal escape sequences and invalid UTF-8 (GPT name, ext4 label byte 0xFF).
disk="$T/labels.raw"
truncate -s 8M "$disk"
printf 'label: gpt\nstart=2048, size=8192, type=0fc63daf-8483-4772-8e79-3d69d8477de4\n' | sfdisk -q "$disk"
sfdisk -q --part-label "$disk" 1 "$(printf 'x\033[2J\033]0;pwned\007y')"
truncate -s 4M "$T/fs.ext4" && mkfs.ext4 -q "$T/fs.ext4"
printf '\377\033[31mred' | dd of="$T/fs.ext4" bs=1 seek=$((1024 + 0x78)) conv=notrunc status=none
dd if="$T/fs.ext4" of="$disk" bs=512 seek=2048 conv=notrunc status=none
set +e; "$KILN" inspect "$disk" >"$T/stdout" 2>"$T/stderr"; rc=$?; set -e
no_abort "$rc" "inspect of escape-sequence labels"
[ "$rc" = 0 ] || { cat "$T/stderr"; fail "inspect of escape-sequence labels exited $rc"; }
if grep -q $'\033' "$T/stdout"; then fail "inspect printed a raw ESC: $(od -c "$T/stdout" | head)"; fi
grep -qF 'x\x1b[2J\x1b]0;pwned\x07y' "$T/stdout" || fail "escaped GPT label missing: $(cat "$T/stdout")"
set +e; "$KILN" inspect "$disk" --json >"$T/labels.json" 2>"$T/stderr"; rc=$?; set -e
no_abort "$rc" "inspect --json of an ext4 label byte 0xFF"
jq -e --arg l "$(printf 'x\033[2J\033]0;pwned\007y')" --arg f "$(printf '\357\277\275\033[31mred')" \
  '.partitions[0].label == $l and .partitions[0].fsLabel == $f' "$T/labels.json" >/dev/null \
  || fail "inspect --json of hostile labels: $(cat "$T/labels.json" "$T/stderr")"
pass "labels: escaped in text (no ESC reaches the terminal), exact or U+FFFD in valid JSON"

# --- diff of an OCI layout whose index lists a number as a manifest.
mkdir -p "$T/oci7"
printf '{"imageLayoutVersion":"1.0.0"}' > "$T/oci7/oci-layout"
printf '{"schemaVersion":2,"manifests":[7]}' > "$T/oci7/index.json"
set +e; "$KILN" diff "$T/oci7" "$T/oci7" >"$T/stdout" 2>"$T/stderr"; rc=$?; set -e
no_abort "$rc" "diff of manifests:[7]"
[ "$rc" = 1 ] && grep -q "not a JSON object" "$T/stderr" || { cat "$T/stderr"; fail "diff of manifests:[7] exited $rc"; }
pass "diff of an OCI layout with \"manifests\":[7] is a clear error"

# --- qcow2 whose backing file is a host file: refused by inspect and verify.
qemu-img create -q -f qcow2 -b "$T/sentinel" -F raw "$T/backed.qcow2" 1M
for cmd in "inspect $T/backed.qcow2" "verify $T/backed.qcow2 --cert $T/keys/kiln.crt"; do
  # shellcheck disable=SC2086
  expect_exit 1 "$KILN" $cmd
  grep -q "refers to a backing file" "$T/stderr" || { cat "$T/stderr"; fail "kiln $cmd: no refusal"; }
done
sentinel_ok "qcow2 backing file"
pass "a qcow2 naming a host file as its backing file is refused by inspect and verify"

# --- an overlay file with a non-UTF-8 name: a clear error, valid JSON, no staging left.
mkdir -p "$T/bad/overlay" "$T/badout"
printf 'x' > "$T/bad/overlay/$(printf 'name-\377\033[2J')"
cp "$T/src/recipe.toml" "$T/bad/recipe.toml"
set +e; "$KILN" build "$T/bad/recipe.toml" -o "$T/badout" --unsigned -q >"$T/stdout" 2>"$T/stderr"; rc=$?; set -e
no_abort "$rc" "overlay with a non-UTF-8 name"
[ "$rc" = 1 ] && grep -q 'not valid UTF-8' "$T/stderr" || { cat "$T/stderr"; fail "non-UTF-8 overlay name: exit $rc"; }
grep -qF 'name-\xff\x1b[2J' "$T/stderr" || fail "the error does not name the file escaped: $(cat "$T/stderr")"
set +e; "$KILN" build "$T/bad/recipe.toml" -o "$T/badout" --unsigned --json >"$T/stdout" 2>"$T/stderr"; rc=$?; set -e
no_abort "$rc" "overlay with a non-UTF-8 name (--json)"
jq -e '.ok == false and (.error.message | contains("not valid UTF-8"))' "$T/stdout" >/dev/null \
  || fail "--json error is not valid JSON: $(cat "$T/stdout")"
left=$(find "$T/badout" "$T/out" -maxdepth 1 -name '.kiln-staging*' | wc -l)
[ "$left" = 0 ] || fail "$left staging directories left behind"
pass "a non-UTF-8 overlay name is refused naming the file; no .kiln-staging-* left after any failure"
