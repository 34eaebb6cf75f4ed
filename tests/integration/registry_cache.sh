# Issue 5: the registry as a shared build cache. Runner A builds a locked Debian base with
# --cache-to; runner B, with a clean cache directory, builds with --cache-from and reuses the
# registry's base tree instead of resolving it again. No network, no real mmdebstrap: a fake
# mmdebstrap on PATH stands in for the expensive resolution (it obeys kiln's argv contract:
# writes the tarball and the .deb digest list, and takes a few seconds), so the test exercises
# kiln's real Debian path, cache keys, registry artifacts and local cache.
source "$(dirname "$0")/lib.sh"
start_registry
make_keys
export KILN_MMDEBSTRAP_MODE=root

# --- the fake mmdebstrap: leaves a mark in $T/runs for every run
mkdir -p "$T/bin"
cat > "$T/bin/mmdebstrap" <<'SH'
#!/bin/bash
set -euo pipefail
list="" args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    "--customize-hook=download /tmp/kiln-debs.txt "*) list=${args[i]#--customize-hook=download /tmp/kiln-debs.txt } ;;
    --) target=${args[i + 2]} ;;
  esac
done
echo run >> "$FAKE_RUNS"
root=$(mktemp -d)
mkdir -p "$root/etc" "$root/var/lib/dpkg" "$root/usr/bin"
printf 'Package: fakepkg\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n\n' > "$root/var/lib/dpkg/status"
printf 'PRETTY_NAME="fake debian"\n' > "$root/etc/os-release"
head -c 3000000 /dev/urandom > "$root/usr/bin/big"   # new bytes each run: only a cache makes builds equal
chmod -R u=rwX,go=rX "$root"
tar --sort=name --mtime=@"$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner -cf "$target" -C "$root" .
rm -rf "$root"
printf 'fakepkg\t1.0\tamd64\t%064d\n' 0 > "$list"
sleep 3  # what makes a real resolution expensive
SH
chmod 0755 "$T/bin/mmdebstrap"
export PATH="$T/bin:$PATH" FAKE_RUNS="$T/runs"

mkdir -p "$T/src/overlay/etc"
printf 'app\n' > "$T/src/overlay/etc/app.conf"
cat > "$T/src/recipe.toml" <<'TOML'
[image]
name = "cached"
version = "1.0"
[base]
type = "debian"
mirror = "http://127.0.0.1:9/debian"
packages = ["fakepkg"]
[[overlay]]
source = "overlay"
[output]
formats = ["squashfs", "oci"]
TOML
cat > "$T/src/recipe.toml.lock" <<LOCK
version = 1
suite = "bookworm"
variant = "minbase"
mirror = "http://127.0.0.1:9/debian"
architecture = "amd64"
components = ["main"]
requested = ["fakepkg"]

[[package]]
name = "fakepkg"
version = "1.0"
architecture = "amd64"
sha256 = "$(printf '%064d' 0)"
LOCK

build() {  # build NAME ARGS...: out in $T/NAME, log in $T/NAME.log, seconds in $T/NAME.time
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  "$KILN" build "$T/src/recipe.toml" -o "$T/$name" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" \
    --cache-insecure "$@" > "$T/$name.log" 2>&1 ||
    { cat "$T/$name.log" >&2; fail "build $name"; }
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f\n", b - a }' > "$T/$name.time"
}

# --- runner A: resolves the base (fake mmdebstrap) and publishes it
build a --cache "$T/cache-a" --cache-to "$R/kiln-cache"
[ "$(wc -l < "$T/runs")" = 1 ] || fail "runner A did not resolve the base"
grep -q "pushed base tree" "$T/a.log" || { cat "$T/a.log"; fail "runner A did not push the base tree"; }
key=$(ls "$T/cache-a/base-trees")
skopeo inspect --tls-verify=false --raw "docker://$R/kiln-cache:base-$key" > "$T/entry.json" || fail "no tag base-$key"
[ "$(jq -r .artifactType "$T/entry.json")" = application/vnd.kiln.base-tree.v1 ] || fail "entry artifactType"
[ "$(jq -r '.annotations["dev.kiln.cache.key"]' "$T/entry.json")" = "$key" ] || fail "entry key annotation"
[ "$(jq -r '.layers[0].digest' "$T/entry.json")" = "sha256:$(sed -n 's/^sha256 //p' "$T/cache-a/base-trees/$key")" ] ||
  fail "entry layer is not the local cache blob"
# Signed with the build key: a detached PKCS#7 over the statement, checked with openssl.
printf 'kiln-cache-entry 1\napplication/vnd.kiln.base-tree.v1\n%s\n%s\n' "$key" "$(jq -r '.layers[0].digest' "$T/entry.json")" > "$T/statement"
jq -r '.annotations["dev.kiln.cache.signature"]' "$T/entry.json" | base64 -d > "$T/entry.sig"
openssl smime -verify -binary -inform DER -in "$T/entry.sig" -content "$T/statement" -certfile "$T/keys/kiln.crt" \
  -CAfile "$T/keys/kiln.crt" -purpose any >/dev/null 2>&1 || fail "the entry's signature does not verify with openssl"
pass "--cache-to publishes the base tree as $R/kiln-cache:base-${key:0:12}..."

# --- runner B: clean cache, --cache-from: no resolution, same bytes
build b --cache "$T/cache-b" --cache-from "$R/kiln-cache"
[ "$(wc -l < "$T/runs")" = 1 ] || fail "runner B resolved the base again"
grep -q "base tree from registry cache $R/kiln-cache" "$T/b.log" || { cat "$T/b.log"; fail "log does not say so"; }
[ -f "$T/cache-b/base-trees/$key" ] || fail "the entry is not in runner B's local cache"
diff "$T/a/SHA256SUMS" "$T/b/SHA256SUMS" || fail "--cache-from build differs from the --cache-to build"
cmp "$T/a/cached_1.0.root.squashfs" "$T/b/cached_1.0.root.squashfs" || fail "root differs"
awk -v a="$(cat "$T/a.time")" -v b="$(cat "$T/b.time")" 'BEGIN { exit !(b < a) }' || fail "--cache-from build took $(cat "$T/b.time")s, not faster than $(cat "$T/a.time")s"
pass "--cache-from on a clean cache reuses the registry's base tree: byte-identical, $(cat "$T/b.time")s vs $(cat "$T/a.time")s"

# The compressed squashfs blocks travel too: runner B compresses nothing.
pushed=$(sed -n 's/.*pushed \([0-9]*\) compressed blocks.*/\1/p' "$T/a.log")
[ "${pushed:-0}" -gt 0 ] || { cat "$T/a.log"; fail "runner A pushed no block pack"; }
tag=$(skopeo list-tags --tls-verify=false "docker://$R/kiln-cache" | jq -r '.Tags[] | select(startswith("blocks-"))')
[ "$(echo "$tag" | wc -l)" = 1 ] || fail "expected one blocks- tag: $tag"
skopeo inspect --tls-verify=false --raw "docker://$R/kiln-cache:$tag" | jq -e '.artifactType == "application/vnd.kiln.block-pack.v1"' >/dev/null ||
  fail "block pack artifactType"
got=$(sed -n 's/.*\] \([0-9]*\) compressed blocks from registry cache.*/\1/p' "$T/b.log")
[ "${got:-0}" = "$pushed" ] || { cat "$T/b.log"; fail "runner B took ${got:-0} of $pushed blocks from the registry"; }
grep -Eq 'block cache: ([0-9]+) of \1 blocks from the cache, 0 compressed' "$T/b.log" ||
  { grep 'block cache' "$T/b.log"; fail "runner B still compressed blocks"; }
pass "the block pack ($pushed entries, $tag) spares runner B all compression"

# --- a second --cache-to of the same entry uploads nothing; a cache miss falls back to resolving
build c --cache "$T/cache-b" --cache-to "$R/kiln-cache"
grep -q "registry cache already has base tree" "$T/c.log" || { cat "$T/c.log"; fail "entry pushed twice"; }
grep -q "registry cache already has $pushed compressed blocks" "$T/c.log" || { cat "$T/c.log"; fail "block pack pushed twice"; }
build d --cache "$T/cache-d" --cache-from "$R/other-cache"
[ "$(wc -l < "$T/runs")" = 2 ] || fail "a registry miss did not resolve the base"
grep -q "has no base tree" "$T/d.log" || { cat "$T/d.log"; fail "miss not reported"; }
pass "an entry is pushed once; a miss in the registry resolves the base as usual"

# --- a tampered entry is refused and the build still succeeds (by resolving)
blob=$(find "$T/reg" -path "*blobs/sha256/*/$(sed -n 's/^sha256 //p' "$T/cache-a/base-trees/$key")/data")
printf 'x' >> "$blob"
build e --cache "$T/cache-e" --cache-from "$R/kiln-cache"
[ "$(wc -l < "$T/runs")" = 3 ] || fail "a corrupt registry entry was used"
grep -q "registry cache $R/kiln-cache not used" "$T/e.log" || { cat "$T/e.log"; fail "corruption not reported"; }
pass "a registry entry that does not match its digest is ignored"

# --- issue 13: the registry is not trusted. Entries signed by a certificate the build does
# not trust are ignored (one warning line each), the base is resolved again, and the output is
# what the same build makes without any cache.
"$KILN" keygen --out "$T/other" --name other --subject "someone else" >/dev/null
"$KILN" build "$T/src/recipe.toml" -o "$T/f" --key "$T/other/other.key" --cert "$T/other/other.crt" \
  --cache-insecure --cache "$T/cache-f" --cache-from "$R/kiln-cache" > "$T/f.log" 2>&1 || { cat "$T/f.log"; fail "build f"; }
[ "$(wc -l < "$T/runs")" = 4 ] || fail "an entry signed by an untrusted key was used"
[ "$(grep -c 'warning: registry cache.*not signed by a trusted certificate' "$T/f.log")" = 2 ] ||
  { cat "$T/f.log"; fail "expected one warning for the base tree and one for the block pack"; }
grep -q 'block cache: 0 of' "$T/f.log" || { grep 'block cache' "$T/f.log"; fail "untrusted blocks were used"; }
pass "entries signed by an untrusted certificate are ignored with one warning each"
"$KILN" build "$T/src/recipe.toml" -o "$T/g" --key "$T/other/other.key" --cert "$T/other/other.crt" \
  --cache-trust "$T/keys/kiln.crt" --cache-insecure --cache "$T/cache-g" --cache-from "$R/kiln-cache" > "$T/g.log" 2>&1 ||
  { cat "$T/g.log"; fail "build g"; }
grep -q '[1-9][0-9]* compressed blocks from registry cache' "$T/g.log" || { cat "$T/g.log"; fail "--cache-trust did not admit the block pack"; }
pass "--cache-trust CERT admits entries signed by that certificate"

set +e
"$KILN" build "$T/src/recipe.toml" -o "$T/h" --unsigned --cache-insecure --cache "$T/cache-h" --cache-from "$R/kiln-cache" > "$T/h.log" 2>&1
rc=$?
"$KILN" build "$T/src/recipe.toml" -o "$T/i" --unsigned --cache-insecure --cache "$T/cache-h" --cache-to "$R/kiln-cache" > "$T/i.log" 2>&1
rc_to=$?
set -e
[ "$rc" = 2 ] && grep -q -- '--cache-trust CERT' "$T/h.log" || { cat "$T/h.log"; fail "unsigned --cache-from exited $rc"; }
[ "$rc_to" = 2 ] && grep -q 'signed with the build key' "$T/i.log" || { cat "$T/i.log"; fail "unsigned --cache-to exited $rc_to"; }
pass "an unsigned build is refused --cache-from without --cache-trust, and --cache-to (exit 2)"
