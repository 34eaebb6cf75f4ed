# Issue 18 acceptance (slow: mmdebstrap from the Debian mirror, twice): lock and build a
# Debian recipe with --archive; then, with every cache empty, no network (a network namespace
# without interfaces, when unshare works, and a proxy that refuses) and the sources gone,
# `kiln rebuild --from ARCHIVE --offline --check` rebuilds it from the archive alone with
# identical SHA256SUMS. Prints the minutes each step took and the archive's size.
source "$(dirname "$0")/../integration/lib.sh"
[ "${KILN_SLOW_TESTS:-0}" = 1 ] || { echo "skipped: set KILN_SLOW_TESTS=1"; exit 0; }
cache=${KILN_TEST_CACHE:-/var/tmp/kiln-test-cache}
mkdir -p "$cache"

mkdir -p "$T/src/overlay/etc"
printf 'archived by kiln\n' > "$T/src/overlay/etc/issue.kiln"
cat > "$T/src/recipe.toml" <<'TOML'
[image]
name = "arch"
version = "1"
source_date_epoch = 1700000000
[base]
type = "debian"
suite = "bookworm"
variant = "minbase"
packages = ["busybox"]
[[overlay]]
source = "overlay"
[root]
compression = "zstd"
compression_level = 3
[output]
formats = ["squashfs"]
TOML

minutes() { awk -v s="$1" 'BEGIN { printf "%.1f", s / 60 }'; }
start=$SECONDS
"$KILN" --cache "$cache" lock "$T/src/recipe.toml" -q
t_lock=$((SECONDS - start)); start=$SECONDS
"$KILN" --cache "$cache" build "$T/src/recipe.toml" -o "$T/out" --archive "$T/archive" -q >/dev/null
t_build=$((SECONDS - start))
debs=$(jq '[.inputs[] | select(.kind == "deb")] | length' "$T/archive/index.json")
[ "$debs" = "$(grep -c '^\[\[package\]\]' "$T/src/recipe.toml.lock")" ] || fail "not every locked .deb is archived"
[ "$(jq '[.inputs[] | select(.kind == "apt-list")] | length' "$T/archive/index.json")" -gt 0 ] || fail "no apt indices archived"
pass "locked and built with --archive: $debs .debs, $(du -sh "$T/archive" | cut -f1) ($(du -sb "$T/archive" | cut -f1) bytes)"

mv "$T/src" "$T/src.gone"
offline=(env http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9)
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then offline=(unshare -n "${offline[@]}"); fi
start=$SECONDS
"${offline[@]}" "$KILN" --cache "$T/empty-cache" --offline rebuild "$T/out/arch_1.manifest.json" --from "$T/archive" \
  --check -o "$T/re" > "$T/ok.txt" 2>"$T/log" || { tail -40 "$T/log"; fail "offline rebuild from the archive"; }
t_rebuild=$((SECONDS - start))
grep -q "digests identical" "$T/ok.txt" || fail "rebuild summary"
cmp "$T/out/SHA256SUMS" "$T/re/SHA256SUMS" || fail "SHA256SUMS differ"
grep -q "from the input archive" "$T/log" || { cat "$T/log"; fail "the packages did not come from the archive"; }
[ -z "$(find "$T/empty-cache" -type f 2>/dev/null)" ] || fail "the rebuild filled the cache it was given"
pass "offline rebuild (${offline[0]}) from the archive: identical SHA256SUMS; $(cat "$T/ok.txt")"
echo "minutes: lock $(minutes $t_lock), build --archive $(minutes $t_build), offline rebuild $(minutes $t_rebuild)"
