# Issue 4 acceptance (slow: libguestfs under TCG): a type = "image" recipe takes a qcow2 made
# here with standard tools (sfdisk, mke2fs -d, debugfs, qemu-img) and builds a root whose files,
# owners and modes match the original tree.
source "$(dirname "$0")/../integration/lib.sh"
[ "${KILN_SLOW_TESTS:-0}" = 1 ] || { echo "skipped: set KILN_SLOW_TESTS=1"; exit 0; }

src="$T/tree"
mkdir -p "$src/etc" "$src/bin" "$src/usr/bin" "$src/home/user" "$src/srv"
printf 'NAME="Kiln Image Test"\nID=debian\nVERSION_ID="12"\n' > "$src/etc/os-release"
printf '127.0.0.1 localhost\n' > "$src/etc/hosts"
printf 'UUID=11111111-2222-4333-8444-555555555555 / ext4 defaults 0 1\n' > "$src/etc/fstab"
printf '#!/bin/sh\n' > "$src/bin/sh" && chmod 0755 "$src/bin/sh"
printf 'tool\n' > "$src/usr/bin/tool" && chmod 4755 "$src/usr/bin/tool"
printf 'secret\n' > "$src/home/user/secret" && chmod 0600 "$src/home/user/secret"
ln -s ../usr/bin/tool "$src/bin/tool-link"
chmod 0750 "$src/home/user"

truncate -s 64M "$T/disk.raw"
printf 'label: gpt\nstart=2048, type=0fc63daf-8483-4772-8e79-3d69d8477de4\n' | sfdisk -q "$T/disk.raw"
size=$(( $(sfdisk --json "$T/disk.raw" | jq '.partitiontable.partitions[0].size') * 512 ))
mke2fs -q -t ext4 -U 11111111-2222-4333-8444-555555555555 -E offset=1048576,root_owner=0:0 -d "$src" "$T/disk.raw" $((size / 4096))
img="$T/disk.raw?offset=1048576"
debugfs -w -R "sif /home/user uid 1000" "$img" 2>/dev/null
debugfs -w -R "sif /home/user gid 1000" "$img" 2>/dev/null
debugfs -w -R "sif /home/user/secret uid 1000" "$img" 2>/dev/null
debugfs -w -R "sif /home/user/secret gid 1000" "$img" 2>/dev/null
qemu-img convert -f raw -O qcow2 "$T/disk.raw" "$T/disk.qcow2"

mkdir -p "$T/src"
sha=$(sha256sum "$T/disk.qcow2" | cut -d' ' -f1)
printf '[image]\nname = "fromimage"\nversion = "1"\n[base]\ntype = "image"\nsource = "../disk.qcow2"\nsha256 = "%s"\n' "$sha" > "$T/src/recipe.toml"
"$KILN" build "$T/src/recipe.toml" -o "$T/out" -q >/dev/null 2>"$T/log" || { cat "$T/log"; fail "kiln build from a qcow2"; }
unsquashfs -lln "$T/out/fromimage_1.root.squashfs" > "$T/listing"
check() { grep -qE "$1" "$T/listing" || { cat "$T/listing"; fail "missing: $1"; }; }
check '^-rwsr-xr-x 0/0 .* squashfs-root/usr/bin/tool$'
check '^drwxr-x--- 1000/1000 .* squashfs-root/home/user$'
check '^-rw------- 1000/1000 .* squashfs-root/home/user/secret$'
check '^lrwxrwxrwx 0/0 .* squashfs-root/bin/tool-link -> \.\./usr/bin/tool$'
unsquashfs -q -d "$T/x" "$T/out/fromimage_1.root.squashfs" >/dev/null
for f in etc/os-release etc/hosts usr/bin/tool home/user/secret bin/sh; do
  cmp "$src/$f" "$T/x/$f" || fail "content of $f"
done
pass "type = image: the root built from a qcow2 has the original files, owners and modes"
