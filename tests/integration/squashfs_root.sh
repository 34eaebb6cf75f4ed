# Issue 2 acceptance: a scratch recipe with an overlay and [[file]] entries, built as user
# 65534, gives a squashfs whose owners, modes and contents unsquashfs confirms; builds from
# different directories, time zones, umasks and clocks are byte-identical.
source "$(dirname "$0")/lib.sh"

mkdir -p "$T/src/overlay/etc/app" "$T/src/overlay/usr/bin" "$T/src/files"
printf 'key = 1\n' > "$T/src/overlay/etc/app/app.conf"
printf '#!/bin/sh\necho app\n' > "$T/src/overlay/usr/bin/app"
chmod 0755 "$T/src/overlay/usr/bin/app"
ln -s app "$T/src/overlay/usr/bin/app-link"
head -c 3000000 /dev/urandom > "$T/src/files/blob.bin"
cat > "$T/src/recipe.toml" <<'TOML'
[image]
name = "demo"
version = "2.1"

[base]
type = "scratch"

[[overlay]]
source = "overlay"

[[file]]
path = "/usr/bin/su-tool"
source = "files/blob.bin"
mode = "4755"
owner = "0:0"

[[file]]
path = "/home/user/notes.txt"
content = "owned by 1000\n"
mode = "0600"
owner = "1000:1000"

[[directory]]
path = "/home/user"
mode = "0700"
owner = "1000:1000"

[[symlink]]
path = "/etc/localtime"
target = "/usr/share/zoneinfo/UTC"

[root]
compression = "zstd"
compression_level = 3
TOML
chmod -R a+rX "$T/src"
mkdir -p "$T/out1" && chown 65534:65534 "$T/out1"

# Built as nobody from the recipe's directory.
(cd "$T/src" && as_nobody "$KILN" build recipe.toml -o "$T/out1" -q)
img="$T/out1/demo_2.1.root.squashfs"
[ -f "$img" ] || fail "no squashfs artifact"
unsquashfs -lln "$img" > "$T/listing"
grep -qE '^-rwsr-xr-x 0/0 +3000000 .* squashfs-root/usr/bin/su-tool$' "$T/listing" || { cat "$T/listing"; fail "setuid file mode/owner"; }
grep -qE '^drwx------ 1000/1000 .* squashfs-root/home/user$' "$T/listing" || fail "directory owner 1000:1000 mode 0700"
grep -qE '^-rw------- 1000/1000 .* squashfs-root/home/user/notes.txt$' "$T/listing" || fail "file owner 1000:1000"
grep -qE '^-rwxr-xr-x 0/0 .* squashfs-root/usr/bin/app$' "$T/listing" || fail "overlay file owned by 0:0 with its mode"
grep -qE '^lrwxrwxrwx 0/0 .* squashfs-root/usr/bin/app-link -> app$' "$T/listing" || fail "overlay symlink"
grep -qE 'squashfs-root/etc/localtime -> /usr/share/zoneinfo/UTC$' "$T/listing" || fail "recipe symlink"
pass "unsquashfs -lln shows the recipe's owners and modes (built as uid 65534)"

unsquashfs -q -d "$T/x" "$img" >/dev/null
cmp "$T/x/usr/bin/su-tool" "$T/src/files/blob.bin" || fail "blob content"
cmp "$T/x/usr/bin/app" "$T/src/overlay/usr/bin/app" || fail "overlay content"
[ "$(cat "$T/x/home/user/notes.txt")" = "owned by 1000" ] || fail "inline content"
pass "unsquashfs extracts every file with identical content"

# Same recipe from another directory, with another TZ, umask and wall clock.
mkdir -p "$T/elsewhere" "$T/out2"
(cd "$T/elsewhere" && umask 077 && TZ=Pacific/Kiritimati LANG=C.UTF-8 \
   faketime -f '+400d' "$KILN" build "$T/src/recipe.toml" -o "$T/out2" -q)
cmp "$img" "$T/out2/demo_2.1.root.squashfs" || fail "second build differs"
cmp "$T/out1/SHA256SUMS" "$T/out2/SHA256SUMS" || fail "SHA256SUMS differ"
pass "two builds (different cwd, TZ, umask, clock) are byte-identical"

# Another SOURCE_DATE_EPOCH changes the image.
SOURCE_DATE_EPOCH=1600000000 "$KILN" build "$T/src/recipe.toml" -o "$T/out3" -q
! cmp -s "$img" "$T/out3/demo_2.1.root.squashfs" || fail "SOURCE_DATE_EPOCH ignored"
pass "SOURCE_DATE_EPOCH is honoured"
