# Issue 19 acceptance (slow: one mmdebstrap from the Debian mirror, shared by both checks):
#  1. packaging/build-deb twice gives byte-identical .debs;
#  2. `apt install ./kiln_*.deb` in a clean Debian 12 root (packaging/kiln-rootfs) resolves its
#     Depends, and the installed kiln builds the installed hello example, unsigned (chroot);
#  3. kiln builds its own container image (recipes/kiln-image.toml) from that root; `umoci
#     unpack` of it, and `kiln build` of hello and of a tarball base run inside it (chroot).
# Downloaded packages are kept in $KILN_TEST_CACHE/kiln-rootfs-debs for the next run.
source "$(dirname "$0")/../integration/lib.sh"
[ "${KILN_SLOW_TESTS:-0}" = 1 ] || { echo "skipped: set KILN_SLOW_TESTS=1"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "skipped: needs root (chroot)"; exit 0; }
build_dir=$(dirname "$KILN")
cache=${KILN_TEST_CACHE:-/var/tmp/kiln-test-cache}
start=$SECONDS

"$KILN_SOURCE_DIR/packaging/build-deb" "$build_dir" "$T/deb1" > "$T/deb1.path"
"$KILN_SOURCE_DIR/packaging/build-deb" "$build_dir" "$T/deb2" > "$T/deb2.path"
deb=$(cat "$T/deb1.path")
cmp "$deb" "$(cat "$T/deb2.path")" || fail "two package builds differ"
version=$("$KILN" --version | sed -n '1s/^kiln \([^ ]*\) .*/\1/p')
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "package version $(dpkg-deb -f "$deb" Version) is not kiln's $version"
dpkg-deb -f "$deb" Depends | grep -q 'libguestfs0' && dpkg-deb -f "$deb" Depends | grep -q mmdebstrap \
  || fail "Depends lacks a library or a tool: $(dpkg-deb -f "$deb" Depends)"
pass "two package builds are byte-identical: $(basename "$deb") $(sha256sum "$deb" | cut -c1-16)"

"$KILN_SOURCE_DIR/packaging/kiln-rootfs" "$deb" "$T/build/kiln-rootfs.tar" "$cache/kiln-rootfs-debs" > "$T/rootfs.log" 2>&1 \
  || { tail -40 "$T/rootfs.log" >&2; fail "apt install ./$(basename "$deb") in a clean Debian 12 root"; }
mkdir "$T/root"
tar -C "$T/root" -xf "$T/build/kiln-rootfs.tar"
chroot "$T/root" kiln --version | head -1 | grep -q "^kiln $version" || fail "installed kiln --version"
chroot "$T/root" sh -c 'cd /tmp && kiln -q build /usr/share/kiln/recipes/examples/hello.toml --unsigned -o /tmp/out' \
  || fail "the installed kiln cannot build hello"
[ -f "$T/root/tmp/out/hello_1.0.0.raw" ] || fail "no hello image in the clean root"
pass "apt install ./$(basename "$deb") in a clean Debian 12 root; hello builds there ($((SECONDS - start)) s so far)"

# The container image, from that root.
mkdir -p "$T/recipes"
cp "$KILN_SOURCE_DIR/recipes/kiln-image.toml" "$T/recipes/"
"$KILN" --cache "$T/cache" -q build "$T/recipes/kiln-image.toml" -o "$T/out" || fail "kiln build recipes/kiln-image.toml"
oci=$T/out/kiln_$version.oci
[ -d "$oci" ] || fail "no $oci"
tag=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$oci/index.json")
umoci unpack --image "$oci:$tag" "$T/bundle" >/dev/null || fail "umoci unpack"
jq -e '.process.args == ["kiln","help"]' "$T/bundle/config.json" >/dev/null || fail "image command"
rootfs=$T/bundle/rootfs
mkdir -p "$rootfs/work/tar/root/etc"
printf 'NAME=tiny\n' > "$rootfs/work/tar/root/etc/os-release"
tar -C "$rootfs/work/tar/root" -cf "$rootfs/work/tar/base.tar" .
printf '[image]\nname = "tar"\nversion = "1"\n[base]\ntype = "tarball"\nsource = "base.tar"\n[output]\nformats = ["squashfs", "oci"]\n' \
  > "$rootfs/work/tar/recipe.toml"
chroot "$rootfs" sh -c 'cd /work && kiln -q build /usr/share/kiln/recipes/examples/hello.toml --unsigned -o /work/out' \
  || fail "kiln build of hello inside the kiln image"
chroot "$rootfs" sh -c 'cd /work && kiln -q build /work/tar/recipe.toml -o /work/out' || fail "kiln build of a tarball base inside the kiln image"
[ -f "$rootfs/work/out/hello_1.0.0.raw" ] && [ -f "$rootfs/work/out/tar_1.root.squashfs" ] || fail "no artifacts inside the image"
cmp "$rootfs/work/out/hello_1.0.0.raw" "$T/root/tmp/out/hello_1.0.0.raw" || fail "hello from the image differs from hello from the package"
pass "kiln image: umoci unpack, hello and a tarball base build inside it ($((SECONDS - start)) s in all)"
