# Issue 4 acceptance (slow: mmdebstrap from the Debian mirror): a type = "debian" recipe builds
# as an unprivileged user, `kiln lock` writes the lock file, and two cold builds from the lock
# file (separate caches) give byte-identical root squashfs files; the manifest lists exactly
# the packages dpkg knows in the root.
source "$(dirname "$0")/../integration/lib.sh"
[ "${KILN_SLOW_TESTS:-0}" = 1 ] || { echo "skipped: set KILN_SLOW_TESTS=1"; exit 0; }

mkdir -p "$T/src" "$T/overlay/etc"
printf 'managed by kiln\n' > "$T/overlay/etc/issue.kiln"
cat > "$T/src/recipe.toml" <<'TOML'
[image]
name = "deb"
version = "1"
[base]
type = "debian"
suite = "bookworm"
variant = "minbase"
packages = ["busybox", "ca-certificates"]
[[overlay]]
source = "../overlay"
[root]
compression = "zstd"
compression_level = 3
TOML
chown -R 65534:65534 "$T"

as_nobody "$KILN" --cache "$T/cache1" lock "$T/src/recipe.toml" -q
lock="$T/src/recipe.toml.lock"
[ -f "$lock" ] || fail "no lock file"
grep -q 'name = "busybox"' "$lock" || fail "busybox not locked"
grep -qE 'sha256 = "[0-9a-f]{64}"' "$lock" || fail "no .deb digests in the lock"
pass "kiln lock wrote $(grep -c '^\[\[package\]\]' "$lock") packages (as uid 65534)"

as_nobody "$KILN" --cache "$T/cache1" build "$T/src/recipe.toml" -o "$T/out1" -q >/dev/null
as_nobody "$KILN" --cache "$T/cache2" build "$T/src/recipe.toml" -o "$T/out2" -q >/dev/null
cmp "$T/out1/deb_1.root.squashfs" "$T/out2/deb_1.root.squashfs" || fail "two cold builds from the lock file differ"
pass "two cold builds from the lock file are byte-identical"

as_nobody "$KILN" --cache "$T/cache1" build "$T/src/recipe.toml" -o "$T/out3" 2>"$T/log" >/dev/null
cmp "$T/out1/deb_1.root.squashfs" "$T/out3/deb_1.root.squashfs" || fail "cached rebuild differs"
grep -qi "cache" "$T/log" || { cat "$T/log"; fail "the rebuild does not say it used the cached base"; }
pass "rebuild takes the resolved base from the cache: $(grep -i cache "$T/log" | head -1)"

unsquashfs -q -d "$T/x" "$T/out1/deb_1.root.squashfs" var/lib/dpkg >/dev/null
dpkg-query --admindir="$T/x/var/lib/dpkg" -W -f '${Package}\n' | sort > "$T/dpkg.list"
jq -r '.packages[].name' "$T/out1/deb_1.manifest.json" | sort > "$T/manifest.list"
diff "$T/dpkg.list" "$T/manifest.list" || fail "manifest packages differ from dpkg-query"
pass "manifest lists the $(wc -l < "$T/dpkg.list") packages dpkg-query lists"
