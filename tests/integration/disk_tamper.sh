# Issue 3 acceptance: a flipped byte anywhere in the root partition, the hash partition or the
# signature makes `kiln verify` exit 1 naming what failed; another certificate fails too; bad
# keys and a too-small disk are clear errors that leave no artifact.
source "$(dirname "$0")/lib.sh"
make_keys
mkdir -p "$T/src/overlay/usr/share/doc"
head -c 200000 /dev/urandom > "$T/src/overlay/usr/share/doc/blob"
write_scratch_recipe "$T/src/recipe.toml" t 1 raw
"$KILN" build "$T/src/recipe.toml" -o "$T/out" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" -q
img="$T/out/t_1.raw"
"$KILN" verify "$img" --cert "$T/keys/kiln.crt" >/dev/null || fail "pristine image does not verify"
pt=$(sfdisk --json "$img")
start() { echo $(( $(jq ".partitiontable.partitions[$1].start" <<<"$pt") * 512 )); }
size() { echo $(( $(jq ".partitiontable.partitions[$1].size" <<<"$pt") * 512 )); }

try_flip() {  # try_flip PARTITION_INDEX OFFSET_IN_PARTITION EXPECTED_MESSAGE
  cp "$img" "$T/bad.raw"
  flip_byte "$T/bad.raw" $(( $(start "$1") + $2 ))
  expect_exit 1 "$KILN" verify "$T/bad.raw" --cert "$T/keys/kiln.crt"
  grep -q -- "$3" "$T/stderr" || { cat "$T/stderr"; fail "flip in partition $1 at $2: message lacks '$3'"; }
  pass "flip in partition $(( $1 + 1 )) at +$2: $(grep 'verification failed' "$T/stderr")"
}
rs=$(size 0); vs=$(size 1)
for off in 0 100 5000 $((rs / 2)) $((rs - 1)); do try_flip 0 "$off" "root partition"; done
for off in 0 80 600 4096 $((vs - 1)); do try_flip 1 "$off" "root-verity partition"; done
for off in 2 20 200 $(( $(size 2) - 1 )); do try_flip 2 "$off" "root-verity-sig"; done

# Another certificate.
mkdir -p "$T/other" && "$KILN" keygen --out "$T/other" >/dev/null
expect_exit 1 "$KILN" verify "$img" --cert "$T/other/kiln.crt"
grep -q "root-verity-sig" "$T/stderr" || fail "other certificate: message"
pass "verifying with another certificate fails"

# Bad inputs leave nothing behind.
mkdir -p "$T/empty"
expect_exit 2 "$KILN" build "$T/src/recipe.toml" -o "$T/empty"
grep -q "kiln keygen" "$T/stderr" || fail "no key: message should point at kiln keygen"
expect_exit 1 "$KILN" build "$T/src/recipe.toml" -o "$T/empty" --key "$T/nope.key" --cert "$T/keys/kiln.crt"
grep -q "nope.key" "$T/stderr" || fail "missing key file: message"
expect_exit 1 "$KILN" build "$T/src/recipe.toml" -o "$T/empty" --key "$T/other/kiln.key" --cert "$T/keys/kiln.crt"
grep -q "does not match" "$T/stderr" || fail "mismatched key: message"
printf '[disk]\nsize = "2M"\n' >> "$T/src/recipe.toml"
expect_exit 1 "$KILN" build "$T/src/recipe.toml" -o "$T/empty" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt"
grep -qi "too small\|does not fit\|needs" "$T/stderr" || { cat "$T/stderr"; fail "small disk: message"; }
[ -z "$(ls -A "$T/empty")" ] || { ls -A "$T/empty"; fail "artifacts left behind"; }
pass "missing key, mismatched key, too-small disk: clear errors, nothing left behind"
