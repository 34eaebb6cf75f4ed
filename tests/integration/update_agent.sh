# Issue 16, the agent: kiln-update installs a signed channel's newer version into the inactive
# slot of an A/B disk image file (test hooks --disk/--esp/--cmdline/--release/--cert, no root,
# no QEMU), and the result is judged with sfdisk, veritysetup and cmp. Refusals (a flipped
# payload byte, an index signed by another key) leave slot B "_empty", no new boot entry and
# slot A byte for byte unchanged; a dropped connection resumes; a killed update starts over;
# check's exit codes, status --json and --prometheus, rollback; and a channel made by
# `kiln publish` from a kiln build installs, into a disk made with sfdisk and into an A/B
# image made by `kiln build` with [update].
source "$(dirname "$0")/lib.sh"
AGENT=${KILN_UPDATE:-$(dirname "$KILN")/kiln-update}
[ -x "$AGENT" ] || fail "kiln-update not built ($AGENT)"
TESTDATA=$KILN_SOURCE_DIR/signing/testdata
IMAGE=appliance

# The agent links only what an image has: no libguestfs.
ldd "$AGENT" | grep -q guestfs && fail "kiln-update links libguestfs"
pass "kiln-update does not link libguestfs"

# --- two versions of a root: squashfs + dm-verity (veritysetup, fixed salt and UUID) -------
make_version() {  # VERSION DIR
  local v=$1 d=$2
  mkdir -p "$d/tree"
  echo "$v" >"$d/tree/version"
  head -c 3000000 /dev/urandom >"$d/tree/payload"   # incompressible: a multi-chunk download
  mksquashfs "$d/tree" "$d/root.squashfs" -noappend -all-root -quiet >/dev/null
  veritysetup format "$d/root.squashfs" "$d/root.verity" --salt="$(printf '%064d' 0)" \
    --uuid=00000000-0000-4000-8000-000000000001 >"$d/format.txt"
  awk '/^Root hash:/ {print $3}' "$d/format.txt" >"$d/roothash"
  printf '{"rootHash":"%s","signature":"c2lnbmF0dXJl"}' "$(cat "$d/roothash")" >"$d/roothash.p7s.json"
  head -c 200000 /dev/urandom >"$d/uki.efi"
}
make_version 1.0 "$T/v1"
make_version 2.0 "$T/v2"
H1=$(cat "$T/v1/roothash"); H2=$(cat "$T/v2/roothash")

# UUID rules, computed independently of kiln: halves of the root hash; v4 of a SHA-256.
half_uuid() { python3 -c 'import sys,uuid; print(uuid.UUID(sys.argv[1][int(sys.argv[2])*32:][:32]))' "$1" "$2"; }
sig_uuid() {
  python3 -c 'import sys,hashlib,uuid
d=bytearray(hashlib.sha256(b"kiln verity-sig partition\0"+bytes.fromhex(sys.argv[1])).digest()[:16])
d[6]=(d[6]&0x0f)|0x40; d[8]=(d[8]&0x3f)|0x80; print(uuid.UUID(bytes=bytes(d)))' "$1"
}

# --- an A/B disk image: ESP, slot A (v1), slot B (_empty), data -------------------------------
ROOT_T=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709; VERITY_T=2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5
SIG_T=41092B05-9FC8-4523-994F-2DEF0408B176; ESP_T=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
truncate -s 40M "$T/base.img"
sfdisk -q "$T/base.img" <<SFDISK
label: gpt
label-id: 11111111-2222-4333-8444-555555555555
size=8192, type=$ESP_T, name=esp
size=16384, type=$ROOT_T, uuid=$(half_uuid "$H1" 0), name=${IMAGE}_1.0, attrs="GUID:60"
size=2048, type=$VERITY_T, uuid=$(half_uuid "$H1" 1), name=${IMAGE}_1.0_verity, attrs="GUID:60"
size=32, type=$SIG_T, uuid=$(sig_uuid "$H1"), name=${IMAGE}_1.0_verity_sig, attrs="GUID:60"
size=16384, type=$ROOT_T, uuid=aaaaaaaa-0000-4000-8000-000000000001, name=_empty, attrs="GUID:60"
size=2048, type=$VERITY_T, uuid=aaaaaaaa-0000-4000-8000-000000000002, name=_empty, attrs="GUID:60"
size=32, type=$SIG_T, uuid=aaaaaaaa-0000-4000-8000-000000000003, name=_empty, attrs="GUID:60"
size=4096, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=data
SFDISK
part_start() { sfdisk --json "$1" | jq ".partitiontable.partitions[$(($2 - 1))].start"; }
part_size() { sfdisk --json "$1" | jq ".partitiontable.partitions[$(($2 - 1))].size"; }
put() { dd if="$2" of="$1" bs=512 seek="$(part_start "$1" "$3")" conv=notrunc status=none; }
put "$T/base.img" "$T/v1/root.squashfs" 2
put "$T/base.img" "$T/v1/root.verity" 3
put "$T/base.img" "$T/v1/roothash.p7s.json" 4
slot_sha() {  # DISK FIRST_PARTITION: digest of a slot's three partitions
  for n in $2 $(($2 + 1)) $(($2 + 2)); do cut_partition "$1" $n "$T/part"; sha256sum <"$T/part"; done | sha256sum
}
slot_a_sha() { slot_sha "$1" 2; }
SLOT_A=$(slot_a_sha "$T/base.img")

# --- the channels, served on 127.0.0.1 ----------------------------------------------------------
W=$T/www
publish() {  # CHANNEL KEY CERT
  local c=$W/$1
  mkdir -p "$c"
  zstd -q "$T/v2/root.squashfs" -o "$c/${IMAGE}_2.0.root.squashfs.zst"
  cp "$T/v2/root.verity" "$c/${IMAGE}_2.0.root.verity"
  cp "$T/v2/roothash.p7s.json" "$c/${IMAGE}_2.0.roothash.p7s.json"
  cp "$T/v2/uki.efi" "$c/${IMAGE}_2.0.efi"
  python3 - "$c" "$T/v2" "$IMAGE" <<'PY' >"$c/index.json"
import hashlib, json, os, sys
c, v, image = sys.argv[1:4]
def f(name, extra=None):
    data = open(os.path.join(c, name), "rb").read()
    d = {"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    d.update(extra or {})
    return d
root = open(os.path.join(v, "root.squashfs"), "rb").read()
version = {"version": "2.0", "root_hash": open(os.path.join(v, "roothash")).read().strip(),
           "manifest_sha256": "e" * 64, "slot_size": 8388608,
           "files": {"root": f(image + "_2.0.root.squashfs.zst", {"compression": "zstd", "content_size": len(root),
                                                               "content_sha256": hashlib.sha256(root).hexdigest()}),
                     "verity": f(image + "_2.0.root.verity"), "signature": f(image + "_2.0.roothash.p7s.json"),
                     "uki": f(image + "_2.0.efi")}}
print(json.dumps({"schema": "kiln.channel.v1", "image": image, "architecture": "x86-64", "versions": [version]},
                 sort_keys=True, separators=(",", ":")))
PY
  openssl cms -sign -nodetach -binary -outform DER -md sha256 -in "$c/index.json" \
    -signer "$3" -inkey "$2" -out "$c/index.p7s"
  rm "$c/index.json"
}
publish good "$TESTDATA/rsa.key" "$TESTDATA/rsa.crt"
publish otherkey "$TESTDATA/other_rsa.key" "$TESTDATA/other_rsa.crt"
publish tampered "$TESTDATA/rsa.key" "$TESTDATA/rsa.crt"
flip_byte "$W/tampered/${IMAGE}_2.0.root.squashfs.zst" 100000
publish tampered-tree "$TESTDATA/rsa.key" "$TESTDATA/rsa.crt"
flip_byte "$W/tampered-tree/${IMAGE}_2.0.root.verity" 8192

python3 "$(dirname "$0")/update_agent/channel_server.py" "$W" "$T/port" &
server=$!
on_exit "kill $server"
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
URL=http://127.0.0.1:$(cat "$T/port")

# --- the running system as files: v1 on slot A -------------------------------------------------
running() {  # VERSION ROOTHASH: writes cmdline and release.json
  echo "BOOT_IMAGE=x console=ttyS0 roothash=$2 systemd.verity=1" >"$T/cmdline"
  printf '{"architecture":"x86-64","channel":"%s/good/","health":[],"image":"%s","inputs_sha256":"%s","schema":"kiln.release.v1","signer_sha256":"%s","tries":3,"version":"%s"}' \
    "$URL" "$IMAGE" "$(printf '%064d' 1)" "$(printf '%064d' 2)" "$1" >"$T/release.json"
}
fresh() {  # a copy of the v1 disk and ESP
  cp "$T/base.img" "$T/disk.img"
  rm -rf "$T/esp"; mkdir -p "$T/esp/EFI/Linux"
  cp "$T/v1/uki.efi" "$T/esp/EFI/Linux/${IMAGE}_1.0.efi"
  running 1.0 "$H1"
}
CERT=$TESTDATA/rsa.crt
agent() { "$AGENT" --disk "$T/disk.img" --esp "$T/esp" --cmdline "$T/cmdline" --release "$T/release.json" --cert "$CERT" "$@"; }
labels() { sfdisk -d "$T/disk.img" | sed -n 's/.*name="\([^"]*\)".*/\1/p' | sed -n '5,7p' | tr '\n' ' '; }
entries() { ls "$T/esp/EFI/Linux" | tr '\n' ' '; }
assert_untouched() {  # after a refused update
  [ "$(labels)" = "_empty _empty _empty " ] || fail "$1: slot B labels are '$(labels)'"
  [ "$(entries)" = "${IMAGE}_1.0.efi " ] || fail "$1: ESP entries are '$(entries)'"
  [ "$(slot_a_sha "$T/disk.img")" = "$SLOT_A" ] || fail "$1: slot A changed"
}

fresh
expect_exit 0 agent status --json
python3 - "$T/stdout" "$H1" <<'PY' || fail "status --json before the update: $(cat "$T/stdout")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["version"] == "1.0" and s["root_hash"] == sys.argv[2] and s["running_slot"] == "A", s
assert s["slots"][1]["empty"] and s["pending"] is None and s["running_entry"]["file"] == "appliance_1.0.efi", s
PY
expect_exit 0 agent check
expect_exit 3 agent check --channel "$URL/nothing-here/"
grep -q "HTTP 404" "$T/stderr" || fail "check against a missing channel: $(cat "$T/stderr")"
expect_exit 1 agent rollback
grep -q "slot B is empty" "$T/stderr" || fail "rollback to an empty slot: $(cat "$T/stderr")"
pass "status --json, check (0: newer), rollback refused while slot B is empty"

# --- refusals: a flipped payload byte, an index signed by another key ---------------------------
expect_exit 1 agent update --channel "$URL/tampered/"
# Each block of the root is checked against the signed verity tree as it arrives: the refusal
# names the block, long before the end of the payload (or zstd notices first).
grep -q "does not match the signed verity tree\|zstd" "$T/stderr" || fail "tampered payload: $(cat "$T/stderr")"
assert_untouched "tampered payload"
# A flipped byte in the verity tree: refused before any byte of the root is downloaded.
expect_exit 1 agent update --channel "$URL/tampered-tree/"
grep -q "root.verity does not verify against root hash\|root.verity sha256" "$T/stderr" || fail "tampered tree: $(cat "$T/stderr")"
grep -q "downloading ${IMAGE}_2.0.root.squashfs" "$T/stderr" && fail "the root was downloaded after a bad tree: $(cat "$T/stderr")"
assert_untouched "tampered verity tree"
expect_exit 1 agent update --channel "$URL/otherkey/"
grep -qi "sign\|certificate" "$T/stderr" || fail "other key: $(cat "$T/stderr")"
assert_untouched "index signed by another key"
pass "a flipped root byte (at its block), a flipped verity byte (before the root) and an index signed by another key are refused; slot B stays _empty, no entry, slot A unchanged"

# --- a killed update leaves slot B _empty and no entry; the next one starts over -----------------
echo "good/${IMAGE}_2.0.root.squashfs.zst" >"$W/.stall"
"$AGENT" --disk "$T/disk.img" --esp "$T/esp" --cmdline "$T/cmdline" --release "$T/release.json" --cert "$CERT" \
  update >"$T/killed.out" 2>&1 &
pid=$!  # kiln-update itself, not a subshell
for _ in $(seq 200); do [ ! -s "$W/.stall" ] && break; sleep 0.1; done
sleep 1
kill -9 $pid; wait $pid 2>/dev/null || true
kill -0 $pid 2>/dev/null && fail "kiln-update survived kill -9"
assert_untouched "killed update"
pass "an update killed half way through the root leaves slot B _empty and no entry"

# --- the update, with the connection dropped half way through the root: it resumes --------------
: >"$W/.log"
echo "good/${IMAGE}_2.0.root.squashfs.zst" >"$W/.drop"
expect_exit 0 agent update
grep -q "installed 2.0 into slot B as ${IMAGE}_2.0+3.efi" "$T/stdout" || fail "update: $(cat "$T/stdout" "$T/stderr")"
grep -q "squashfs.zst HTTP/1.1 bytes=[1-9]" "$W/.log" || fail "no resumed (Range) request: $(cat "$W/.log")"
pass "update installs 2.0 into slot B; a dropped connection resumed with a Range request"

# Judged with independent tools.
sfdisk -d "$T/disk.img" >"$T/table"
check_part() {  # N LABEL UUID
  grep -E "^$T/disk.img$1 .*uuid=$3, name=\"$2\"" "$T/table" >/dev/null || fail "partition $1 is not $2 $3: $(sed -n "/disk.img$1 /p" "$T/table")"
}
check_part 5 "${IMAGE}_2.0" "$(half_uuid "$H2" 0 | tr a-z A-Z)"
check_part 6 "${IMAGE}_2.0_verity" "$(half_uuid "$H2" 1 | tr a-z A-Z)"
check_part 7 "${IMAGE}_2.0_verity_sig" "$(sig_uuid "$H2" | tr a-z A-Z)"
sgdisk -v "$T/disk.img" | grep -q "No problems found" || fail "sgdisk finds problems in the rewritten GPT"
cut_partition "$T/disk.img" 5 "$T/b.root"
cut_partition "$T/disk.img" 6 "$T/b.verity"
cut_partition "$T/disk.img" 7 "$T/b.sig"
cmp -n "$(stat -c %s "$T/v2/root.squashfs")" "$T/b.root" "$T/v2/root.squashfs" || fail "slot B root differs from the published squashfs"
truncate -s "$(stat -c %s "$T/v2/root.squashfs")" "$T/b.root"
veritysetup verify "$T/b.root" "$T/b.verity" "$H2" || fail "veritysetup verify of slot B with $H2"
[ "$(tr -d '\0' <"$T/b.sig")" = "$(cat "$T/v2/roothash.p7s.json")" ] || fail "slot B signature partition"
cmp "$T/esp/EFI/Linux/${IMAGE}_2.0+3.efi" "$T/v2/uki.efi" || fail "installed UKI differs"
[ "$(entries)" = "${IMAGE}_1.0.efi ${IMAGE}_2.0+3.efi " ] || fail "ESP entries: $(entries)"
[ "$(slot_a_sha "$T/disk.img")" = "$SLOT_A" ] || fail "slot A changed during the update"
pass "slot B: labels, UUIDs (root hash halves, signature UUID), veritysetup verify, cmp with the published squashfs; entry ${IMAGE}_2.0+3.efi; slot A unchanged"

expect_exit 0 agent update
grep -q "already installed" "$T/stdout" || fail "second update: $(cat "$T/stdout")"
expect_exit 0 agent status --json
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["pending"]["file"]=="appliance_2.0+3.efi" and s["pending"]["tries_left"]==3, s' "$T/stdout" \
  || fail "status does not show 2.0 pending: $(cat "$T/stdout")"
pass "a second update finds 2.0 already installed; status shows it pending with 3 tries"

# --- booted into 2.0 (slot B): status, check (1: nothing newer), prometheus, rollback ----------
running 2.0 "$H2"
mv "$T/esp/EFI/Linux/${IMAGE}_2.0+3.efi" "$T/esp/EFI/Linux/${IMAGE}_2.0+2-1.efi"   # what the loader does
expect_exit 0 agent status --json --prometheus "$T/metrics.prom"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["running_slot"]=="B" and s["version"]=="2.0" and s["running_entry"]["tries_left"]==2 and s["running_entry"]["tries_done"]==1, s' "$T/stdout" \
  || fail "status on 2.0: $(cat "$T/stdout")"
[ "$(grep -v '^#' "$T/metrics.prom")" = "kiln_build_info{image=\"$IMAGE\",version=\"2.0\",roothash=\"$H2\"} 1" ] || fail "prometheus: $(cat "$T/metrics.prom")"
expect_exit 1 agent check
expect_exit 0 agent update
grep -q "up to date" "$T/stdout" || fail "update on the newest: $(cat "$T/stdout")"
expect_exit 0 agent rollback
[ "$(entries)" = "${IMAGE}_1.0.efi ${IMAGE}_2.0+0.efi " ] || fail "after rollback: $(entries)"
pass "on 2.0: status (slot B, boot counter 2 left 1 done), prometheus textfile, check exits 1, rollback makes 1.0 boot next (${IMAGE}_2.0+0.efi)"

# --- back on 1.0 after the rollback: 2.0 (no tries left) is not reinstalled; downgrades -------
running 1.0 "$H1"
expect_exit 0 agent update
grep -q "already installed" "$T/stdout" || fail "update after a rollback: $(cat "$T/stdout")"
[ "$(entries)" = "${IMAGE}_1.0.efi ${IMAGE}_2.0+0.efi " ] || fail "update after a rollback changed entries: $(entries)"
running 3.0 "$H1"
expect_exit 1 agent update
grep -q "older than the running 3.0; --allow-downgrade" "$T/stderr" || fail "downgrade: $(cat "$T/stderr")"
running 1.0 "$H1"
rm "$T/esp/EFI/Linux/${IMAGE}_2.0+0.efi"
expect_exit 1 agent rollback
grep -q "has no boot entry" "$T/stderr" || fail "rollback without the other UKI: $(cat "$T/stderr")"
running 1.0 "$(printf '%064d' 7)"
expect_exit 1 agent update
grep -q "no slot of .* holds the running root" "$T/stderr" || fail "unknown running root: $(cat "$T/stderr")"
[ "$(slot_a_sha "$T/disk.img")" = "$SLOT_A" ] || fail "slot A changed"
pass "a rolled-back version is not reinstalled; a downgrade is refused; rollback without the other UKI and an unknown running root are refused"

# --- a slot whose labels disagree: the version its root label names loses its entry too ----------
fresh
sfdisk -q --part-label "$T/disk.img" 5 "${IMAGE}_9.0"
cp "$T/v1/uki.efi" "$T/esp/EFI/Linux/${IMAGE}_9.0+3.efi"
expect_exit 0 agent update
[ "$(entries)" = "${IMAGE}_1.0.efi ${IMAGE}_2.0+3.efi " ] || fail "entries after updating a mislabelled slot: $(entries)"
pass "updating a slot with disagreeing labels removes the entry of the version its root label names"

# --- one writer at a time: a disk locked by another process is refused --------------------------
fresh
flock -o "$T/disk.img" sleep 30 &  # -o: the lock stays with flock, which the kill ends
locker=$!
for _ in $(seq 50); do flock -n "$T/disk.img" true 2>/dev/null || break; sleep 0.1; done
expect_exit 1 agent update
grep -q "is locked" "$T/stderr" || fail "locked disk: $(cat "$T/stderr")"
kill $locker; wait $locker 2>/dev/null || true
assert_untouched "locked disk"
pass "a disk locked by another process (flock) is refused"

# --- a table edited by another tool with a hole in its entries is not rewritten ------------------
fresh
sfdisk -q --delete "$T/disk.img" 1
before=$(sha256sum <"$T/disk.img")
expect_exit 1 agent update
grep -q "would renumber" "$T/stderr" || fail "gapped GPT: $(cat "$T/stderr")"
[ "$(sha256sum <"$T/disk.img")" = "$before" ] || fail "a gapped GPT disk was written"
pass "a GPT with an unused entry between used ones is refused (a rewrite would renumber partitions)"

# --- a channel made by `kiln publish` from a kiln build: the formats agree end to end ------------
if have_systemd_boot; then
  make_keys
  o=$T/src/overlay
  make_boot_overlay "$o"
  write_boot_recipe "$T/src/recipe.toml" "$IMAGE" 3.0
  "$KILN" build "$T/src/recipe.toml" -o "$T/out3" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" -q >/dev/null
  "$KILN" publish "$T/out3" "$W/kiln" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" >/dev/null 2>"$T/publish.err" ||
    { cat "$T/publish.err" >&2; fail "kiln publish"; }
  H3=$(cat "$T/out3/${IMAGE}_3.0.root.roothash")
  # From 2.0 running in slot B, 3.0 goes into slot A: the other direction.
  fresh
  expect_exit 0 agent update
  running 2.0 "$H2"
  SLOT_B=$(slot_sha "$T/disk.img" 5)
  CERT=$T/keys/kiln.crt
  expect_exit 0 agent update --channel "$URL/kiln/"
  grep -q "installed 3.0 into slot A as ${IMAGE}_3.0+3.efi" "$T/stdout" || fail "update from kiln publish: $(cat "$T/stdout" "$T/stderr")"
  sfdisk -d "$T/disk.img" >"$T/table"
  check_part 2 "${IMAGE}_3.0" "$(half_uuid "$H3" 0 | tr a-z A-Z)"
  check_part 3 "${IMAGE}_3.0_verity" "$(half_uuid "$H3" 1 | tr a-z A-Z)"
  check_part 4 "${IMAGE}_3.0_verity_sig" "$(sig_uuid "$H3" | tr a-z A-Z)"
  check_part 5 "${IMAGE}_2.0" "$(half_uuid "$H2" 0 | tr a-z A-Z)"
  cut_partition "$T/disk.img" 2 "$T/a.root"
  cut_partition "$T/disk.img" 3 "$T/a.verity"
  sq=$T/out3/${IMAGE}_3.0.root.squashfs
  truncate -s "$(stat -c %s "$sq")" "$T/a.root"
  cmp "$T/a.root" "$sq" || fail "slot A root differs from the kiln build's squashfs"
  veritysetup verify "$T/a.root" "$T/a.verity" "$H3" || fail "veritysetup verify of slot A with $H3"
  cmp "$T/esp/EFI/Linux/${IMAGE}_3.0+3.efi" "$T/out3/${IMAGE}_3.0.efi" || fail "installed UKI differs from the build's"
  [ "$(entries)" = "${IMAGE}_2.0+3.efi ${IMAGE}_3.0+3.efi " ] || fail "ESP entries: $(entries) (1.0's entry must go with its slot)"
  [ "$(slot_sha "$T/disk.img" 5)" = "$SLOT_B" ] || fail "the running slot B changed"
  pass "from slot B, a channel made by kiln publish installs 3.0 into slot A (the build's squashfs, verity verifies, the build's UKI, 1.0's entry removed); running slot B unchanged"

  # --- an A/B image made by `kiln build` with [update], updated from a channel it publishes to:
  # the agent reads the image's own release.json and channel.crt.
  add_update_runtime "$o"
  ab_build() {  # VERSION
    write_boot_recipe "$T/src/ab-$1.toml" ab "$1" "$DATA_ON_VAR" "$(printf '[update]\nchannel = "%s/ab/"\nslot_size = "8M"' "$URL")"
    KILN_UPDATE_AGENT=$AGENT "$KILN" build "$T/src/ab-$1.toml" -o "$T/ab-$1" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" -q >/dev/null
  }
  ab_build 1.0
  ab_build 2.0
  "$KILN" publish "$T/ab-2.0" "$W/ab" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" >/dev/null 2>"$T/publish.err" ||
    { cat "$T/publish.err" >&2; fail "kiln publish of the A/B build"; }
  cp "$T/ab-1.0/ab_1.0.raw" "$T/disk.img"
  rm -rf "$T/esp"; mkdir -p "$T/esp/EFI/Linux"
  cp "$T/ab-1.0/ab_1.0.efi" "$T/esp/EFI/Linux/"
  unsquashfs -cat "$T/ab-1.0/ab_1.0.root.squashfs" usr/lib/kiln/release.json >"$T/release.json"
  unsquashfs -cat "$T/ab-1.0/ab_1.0.root.squashfs" usr/lib/kiln/channel.crt >"$T/image.crt"
  echo "roothash=$(cat "$T/ab-1.0/ab_1.0.root.roothash")" >"$T/cmdline"
  CERT=$T/image.crt
  SLOT_A=$(slot_a_sha "$T/disk.img")
  expect_exit 0 agent update
  grep -q "installed 2.0 into slot B as ab_2.0+3.efi" "$T/stdout" || fail "update of a kiln-built A/B image: $(cat "$T/stdout" "$T/stderr")"
  HAB=$(cat "$T/ab-2.0/ab_2.0.root.roothash")
  sfdisk -d "$T/disk.img" >"$T/table"
  check_part 5 "ab_2.0" "$(half_uuid "$HAB" 0 | tr a-z A-Z)"
  check_part 6 "ab_2.0_verity" "$(half_uuid "$HAB" 1 | tr a-z A-Z)"
  check_part 7 "ab_2.0_verity_sig" "$(sig_uuid "$HAB" | tr a-z A-Z)"
  cut_partition "$T/disk.img" 5 "$T/b.root"
  cut_partition "$T/disk.img" 6 "$T/b.verity"
  sq=$T/ab-2.0/ab_2.0.root.squashfs
  truncate -s "$(stat -c %s "$sq")" "$T/b.root"
  cmp "$T/b.root" "$sq" || fail "slot B root differs from the 2.0 build's squashfs"
  veritysetup verify "$T/b.root" "$T/b.verity" "$HAB" || fail "veritysetup verify of slot B with $HAB"
  cmp "$T/esp/EFI/Linux/ab_2.0+3.efi" "$T/ab-2.0/ab_2.0.efi" || fail "installed UKI differs from the 2.0 build's"
  [ "$(slot_a_sha "$T/disk.img")" = "$SLOT_A" ] || fail "slot A of the kiln-built image changed"
  pass "an A/B image from kiln build [update] takes 2.0 from a kiln-published channel, with its own release.json and channel.crt"
else
  echo "skip: systemd-boot-efi not installed (the kiln publish part)"
fi
