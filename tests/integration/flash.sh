# Issue 17: `kiln flash` writes a raw image through its block map and reads it back. Judged
# with cmp, sgdisk and sfdisk: a file target equals the raw image; a larger target gets its
# backup GPT at the end with the partitions untouched; a flipped source byte is caught by the
# read-back and named by offset; a mounted target is refused. Block devices: a loop device
# when this machine allows one (O_DIRECT read-back, O_EXCL, a mounted loop device refused);
# otherwise the mount check is exercised on a bind-mounted file, which appears in
# /proc/self/mountinfo the same way.
source "$(dirname "$0")/lib.sh"
make_keys
build_flash_image fl
raw="$T/out/fl_1.raw"; bmap="$T/out/fl_1.bmap"
size=$(stat -c %s "$raw")

# To a new file: every mapped range written, the rest a hole: the whole image back.
"$KILN" flash "$raw" "$T/t1.img" --yes > "$T/flash.out" 2> "$T/flash.err" || { cat "$T/flash.err"; fail "kiln flash to a file"; }
cmp "$raw" "$T/t1.img" || fail "the flashed file differs from the raw image"
grep -q "read back and verified" "$T/flash.out" || fail "no verification reported: $(cat "$T/flash.out")"
grep -q "block map: $bmap" "$T/flash.out" || fail "the image's .bmap was not used"
grep -q '^\[flash\] writing' "$T/flash.err" || fail "no plain progress lines off a terminal"
pass "flash to a file reproduces the raw image (block map beside it, plain progress lines)"

# --json: progress events on stderr, the result on stdout.
"$KILN" flash "$raw" "$T/t2.img" --yes --json > "$T/flash.json" 2> "$T/flash.events" || fail "kiln flash --json"
jq -e '.ok and .verified and .written > 0' "$T/flash.json" >/dev/null || fail "flash --json result: $(cat "$T/flash.json")"
jq -se 'any(.[]; .event == "progress" and .stage == "verify")' "$T/flash.events" >/dev/null || fail "no JSON verify progress events"
pass "--json gives progress events and a result"

# No confirmation (stdin is not a terminal, no --yes): nothing written, exit 2.
expect_exit 2 "$KILN" flash "$raw" "$T/t3.img" < /dev/null
[ ! -e "$T/t3.img" ] || fail "an unconfirmed flash wrote its target"
grep -q -- "--yes" "$T/stderr" || fail "the refusal does not mention --yes"
pass "asks for confirmation unless --yes"

# A larger target: the backup GPT moves to its end; the partitions are the raw image's.
truncate -s $((size * 2)) "$T/big.img"
"$KILN" flash "$raw" "$T/big.img" --yes -q > "$T/flash.out" || fail "kiln flash to a larger file"
grep -q "backup GPT moved" "$T/flash.out" || fail "GPT not moved: $(cat "$T/flash.out")"
sgdisk -v "$T/big.img" > "$T/sg.out" 2>&1 && grep -q "No problems found" "$T/sg.out" || { cat "$T/sg.out"; fail "sgdisk -v on the larger target"; }
n=$(sfdisk --json "$raw" | jq '.partitiontable.partitions | length')
for i in $(seq 1 "$n"); do
  cut_partition "$raw" "$i" "$T/a"; cut_partition "$T/big.img" "$i" "$T/b"
  cmp -s "$T/a" "$T/b" || fail "partition $i differs after flashing a larger target"
done
pass "a larger target gets a valid GPT for its size (sgdisk -v) and identical partitions"

# A flipped byte in the source image: the read-back against the block map catches it.
cp "$raw" "$T/bad.raw"; cp "$bmap" "$T/bad.bmap"
off=$(( $(sfdisk --json "$raw" | jq '.partitiontable.partitions[0].start') * 512 + 17 ))
flip_byte "$T/bad.raw" "$off"
expect_exit 1 "$KILN" flash "$T/bad.raw" "$T/t4.img" --yes
grep -q "read-back of .* differs from the block map in blocks .* at offset [0-9]" "$T/stderr" || { cat "$T/stderr"; fail "mismatch not named by offset"; }
pass "a flipped source byte is caught by the read-back, which names the offset"

# A mounted target is refused: a bind-mounted file (always possible as root here).
if touch "$T/mnt.img" && mount --bind "$T/t1.img" "$T/mnt.img" 2>/dev/null; then
  expect_exit 2 "$KILN" flash "$raw" "$T/mnt.img" --yes
  umount "$T/mnt.img"
  grep -q "is in use: it is mounted" "$T/stderr" || { cat "$T/stderr"; fail "the bind-mounted target was not refused"; }
  pass "a mounted (bind-mounted) file is refused"
else
  echo "skip: cannot bind-mount here"
fi

# Block devices through loop devices, where this machine allows them.
loops=()
cleanup_loops() { for l in "${loops[@]}"; do umount "$l" 2>/dev/null || true; losetup -d "$l" 2>/dev/null || true; done; }
on_exit cleanup_loops
truncate -s $((size + 64 * 1048576)) "$T/dev.img"
if dev=$(losetup -f --show "$T/dev.img" 2>/dev/null); then
  loops+=("$dev")
  "$KILN" flash "$raw" "$dev" --yes -q > "$T/flash.out" || fail "kiln flash to $dev"
  sgdisk -v "$dev" > "$T/sg.out" 2>&1 && grep -q "No problems found" "$T/sg.out" || { cat "$T/sg.out"; fail "sgdisk -v $dev"; }
  for i in $(seq 1 "$n"); do
    cut_partition "$raw" "$i" "$T/a"; cut_partition "$dev" "$i" "$T/b"
    cmp -s "$T/a" "$T/b" || fail "partition $i of $dev differs"
  done
  # The loop device's backing file is in use; a mounted device is refused.
  expect_exit 2 "$KILN" flash "$raw" "$T/dev.img" --yes
  grep -q "it backs $dev" "$T/stderr" || { cat "$T/stderr"; fail "the backing file of $dev was not refused"; }
  truncate -s 64M "$T/fs.img" && mkfs.ext4 -q "$T/fs.img" && fsdev=$(losetup -f --show "$T/fs.img") && loops+=("$fsdev")
  mkdir "$T/m" && mount "$fsdev" "$T/m"
  expect_exit 2 "$KILN" flash "$raw" "$fsdev" --yes
  grep -q "is in use" "$T/stderr" || { cat "$T/stderr"; fail "mounted $fsdev was not refused"; }
  umount "$T/m"
  pass "loop device: flashed with O_DIRECT read-back and a valid GPT; mounted device and busy backing file refused"
else
  echo "skip: no loop device on this machine (the mount check ran on a bind-mounted file above)"
fi
