# Issue 4 acceptance: a tarball base served over HTTP on 127.0.0.1 builds; a wrong sha256 fails
# naming the URL and both digests and leaves no cache entry and no artifact; with the server
# stopped the build still succeeds from the cache (even --offline).
source "$(dirname "$0")/lib.sh"

mkdir -p "$T/root/etc" "$T/root/usr/bin" "$T/www" "$T/src"
printf 'NAME=tiny\n' > "$T/root/etc/os-release"
printf '#!/bin/sh\n' > "$T/root/usr/bin/tool" && chmod 0755 "$T/root/usr/bin/tool"
tar --numeric-owner --owner=1000 --group=1000 -C "$T/root" -cJf "$T/www/rootfs.tar.xz" .
sha=$(sha256sum "$T/www/rootfs.tar.xz" | cut -d' ' -f1)

serve_dir "$T/www"
url="http://127.0.0.1:$HTTP_PORT/rootfs.tar.xz"

recipe() {  # recipe SHA
  printf '[image]\nname = "remote"\nversion = "1"\n[base]\ntype = "tarball"\nsource = "%s"\nsha256 = "%s"\n' "$url" "$1" > "$T/src/recipe.toml"
}

bad=$(printf '%064d' 0)
recipe "$bad"
expect_exit 1 "$KILN" --cache "$T/cache" build "$T/src/recipe.toml" -o "$T/out"
grep -q "$url" "$T/stderr" && grep -q "$bad" "$T/stderr" && grep -q "$sha" "$T/stderr" \
  || { cat "$T/stderr"; fail "mismatch message lacks URL, expected or actual digest"; }
[ -z "$(find "$T/cache" -type f 2>/dev/null)" ] || { find "$T/cache" -type f; fail "cache poisoned"; }
[ -z "$(ls -A "$T/out" 2>/dev/null)" ] || fail "artifact left after a failed build"
pass "wrong sha256: $(grep '^kiln: error' "$T/stderr")"

recipe "$sha"
"$KILN" --cache "$T/cache" build "$T/src/recipe.toml" -o "$T/out" -q >/dev/null
unsquashfs -lln "$T/out/remote_1.root.squashfs" | grep -qE '^-rwxr-xr-x 1000/1000 .*usr/bin/tool$' || fail "tarball owners"
[ -f "$T/cache/blobs/sha256/$sha" ] || fail "no verified cache entry"
pass "remote tarball builds and enters the cache under its digest"

stop_serving
"$KILN" --cache "$T/cache" --offline build "$T/src/recipe.toml" -o "$T/out2" -q >/dev/null || fail "cached rebuild"
cmp "$T/out/remote_1.root.squashfs" "$T/out2/remote_1.root.squashfs" || fail "cached rebuild differs"
expect_exit 1 "$KILN" --cache "$T/empty-cache" --offline build "$T/src/recipe.toml" -o "$T/out3"
grep -q "offline" "$T/stderr" || fail "offline miss message"
pass "server stopped: the build succeeds from the cache (--offline), identical output; an offline miss is a clear error"
