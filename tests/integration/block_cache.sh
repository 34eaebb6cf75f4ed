# Issue 8: incremental builds. A rebuild after one overlay file changes takes its compressed
# blocks and its base tree from the cache and is byte-identical to a cold build with an empty
# cache; a corrupt cache entry is ignored (and said so); `kiln cache prune --max 0` empties
# the caches and --cache-max bounds them after a build.
source "$(dirname "$0")/lib.sh"
make_keys
mkdir -p "$T/src/overlay/etc"
make_base_tree "$T/base" 40
# Compressed, so its files are staged through the tree cache (an uncompressed tarball is read
# in place instead; checked at the end).
tar_gz "$T/base" "$T/src/base.tar.gz"
printf 'one\n' > "$T/src/overlay/etc/app.conf"
write_tarball_recipe "$T/src/recipe.toml" bc base.tar.gz "$T/src/base.tar.gz"
build() {  # build CACHE OUT [extra global flags]
  local cache=$1 out=$2; shift 2
  "$KILN" --cache "$cache" "$@" build "$T/src/recipe.toml" -o "$out" --key "$T/keys/kiln.key" \
    --cert "$T/keys/kiln.crt" >"$out.stdout" 2>"$out.log" || { cat "$out.log" >&2; fail "build into $out"; }
}
same() {  # same OUT_A OUT_B: every artifact byte-identical
  for f in bc_1.raw bc_1.root.squashfs bc_1.root.verity bc_1.manifest.json SHA256SUMS; do
    cmp -s "$1/$f" "$2/$f" || fail "$f differs between $1 and $2"
  done
}

build "$T/cache" "$T/a"
grep -q 'block cache: 0 of [0-9]* blocks from the cache' "$T/a.log" || { cat "$T/a.log"; fail "cold build log"; }
pass "cold build fills the cache"

printf 'two, longer\n' > "$T/src/overlay/etc/app.conf"
build "$T/cache" "$T/b"
line=$(grep 'block cache:' "$T/b.log") || fail "no block cache line"
read -r hits total < <(echo "$line" | sed -E 's/.*block cache: ([0-9]+) of ([0-9]+) blocks.*/\1 \2/')
[ "$hits" -gt 0 ] && [ $((total - hits)) -le 2 ] || fail "rebuild reused too little: $line"
grep -q 'base tree from the cache' "$T/b.log" || { cat "$T/b.log"; fail "base tree not from the cache"; }
build "$T/cache-empty" "$T/c"
same "$T/b" "$T/c"
unsquashfs -cat "$T/b/bc_1.root.squashfs" etc/app.conf | grep -qx 'two, longer' || fail "changed file not in the image"
pass "rebuild: $line; byte-identical to a cold build with an empty cache"

# The largest entry holds a block of the base, which every build needs.
entry=$(find "$T/cache/blocks" -type f -printf '%s %p\n' | sort -n | tail -n 1 | cut -d' ' -f2)
flip_byte "$entry" 100
build "$T/cache" "$T/d"
same "$T/c" "$T/d"
grep -q 'ignored 1 corrupt cache entry' "$T/d.log" || { cat "$T/d.log"; fail "corrupt entry not reported"; }
pass "a corrupt block cache entry is ignored and reported, output unchanged"

idx=$(find "$T/cache/trees/index" -type f | head -n 1)
blob=$(find "$T/cache/trees/blobs" -type f -size +100k | head -n 1)
flip_byte "$blob" 5
build "$T/cache" "$T/e"
same "$T/c" "$T/e"
grep -q 'ignoring corrupt tree cache entry' "$T/e.log" || { cat "$T/e.log"; fail "corrupt tree blob not reported"; }
[ -f "$idx" ] || fail "tree cache entry not written again"
pass "a corrupt tree cache blob is ignored and reported, output unchanged"

"$KILN" --cache "$T/cache" cache info > "$T/info" || fail "cache info"
grep -q 'entries' "$T/info" || fail "cache info: $(cat "$T/info")"
"$KILN" --cache "$T/cache" cache prune --max 0 > "$T/prune" || fail "cache prune"
[ -z "$(find "$T/cache/blocks" "$T/cache/trees" -type f)" ] || fail "prune --max 0 left entries"
"$KILN" --json --cache "$T/cache" cache info | jq -e '.usage.entries == 0' >/dev/null || fail "info after prune"
pass "kiln cache prune --max 0 empties the caches ($(cat "$T/prune"))"

build "$T/cache" "$T/f" --cache-max 64K
grep -q 'pruned [0-9]* least recently used entries' "$T/f.log" || { cat "$T/f.log"; fail "--cache-max did not prune"; }
used=$("$KILN" --json --cache "$T/cache" cache info | jq '.usage.bytes')
[ "$used" -le 65536 ] || fail "cache holds $used bytes after --cache-max 64K"
same "$T/c" "$T/f"
expect_exit 2 "$KILN" --cache-max lots cache info
pass "--cache-max bounds the caches after a build ($used bytes left)"

# The same base uncompressed: read in place (nothing staged, no tree cache entry), and the
# root file system is byte-identical to the one built from the compressed tarball (the disk
# image is not: the input digest differs, and with it the seed of its UUIDs and salt).
gunzip -c "$T/src/base.tar.gz" > "$T/src/base.tar"
write_tarball_recipe "$T/src/recipe.toml" bc base.tar "$T/src/base.tar"
build "$T/cache-plain" "$T/f"
grep -q 'base.tar in place' "$T/f.log" || { cat "$T/f.log"; fail "uncompressed base not read in place"; }
[ -z "$(find "$T/cache-plain/trees" -type f 2>/dev/null)" ] || fail "an uncompressed base was staged in the tree cache"
cmp -s "$T/c/bc_1.root.squashfs" "$T/f/bc_1.root.squashfs" || fail "root squashfs differs between compressed and in-place bases"
pass "an uncompressed base tarball is read in place; same root file system as from the compressed one"
