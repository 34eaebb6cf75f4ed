# Issue 14: hard links in an overlay, in [[file]] sources and in a data seed stay hard links: one inode with link
# count 2 in the squashfs root (judged by unsquashfs), a hard link entry in the OCI layer tar
# (judged by tar), one inode in the ext4 data partition (judged by debugfs).
source "$(dirname "$0")/lib.sh"
mkdir -p "$T/src/overlay/usr/bin" "$T/src/overlay/etc" "$T/src/seed/lib"
printf '#!/bin/sh\necho tool\n' > "$T/src/overlay/usr/bin/tool"
chmod 0755 "$T/src/overlay/usr/bin/tool"
ln "$T/src/overlay/usr/bin/tool" "$T/src/overlay/usr/bin/tool-alias"
printf 'single\n' > "$T/src/overlay/etc/single"
printf 'state\n' > "$T/src/seed/lib/a"
ln "$T/src/seed/lib/a" "$T/src/seed/lib/b"
mkdir -p "$T/src/files"
printf 'shared\n' > "$T/src/files/x"
ln "$T/src/files/x" "$T/src/files/y"
cat > "$T/src/recipe.toml" <<'TOML'
[image]
name = "links"
version = "1"
[base]
type = "scratch"
[[overlay]]
source = "overlay"
[[file]]
path = "/opt/x"
source = "files/x"
[[file]]
path = "/opt/y"
source = "files/y"
[data]
size = "16M"
mountpoint = "/var/lib/app"
seed = "seed"
[output]
formats = ["squashfs", "raw", "oci"]
TOML
"$KILN" build "$T/src/recipe.toml" -o "$T/out" --unsigned -q >/dev/null || fail "build"

# squashfs: extract and stat (unsquashfs recreates the link from the shared inode).
unsquashfs -q -n -d "$T/root" "$T/out/links_1.root.squashfs" >/dev/null || fail "unsquashfs"
read -r n1 i1 < <(stat -c '%h %i' "$T/root/usr/bin/tool")
read -r n2 i2 < <(stat -c '%h %i' "$T/root/usr/bin/tool-alias")
[ "$n1" = 2 ] && [ "$n2" = 2 ] && [ "$i1" = "$i2" ] || fail "squashfs: link counts $n1/$n2, inodes $i1/$i2"
[ "$(stat -c %h "$T/root/etc/single")" = 1 ] || fail "squashfs: a single file has a link count above 1"
[ "$(stat -c '%h %i' "$T/root/opt/x")" = "$(stat -c '%h %i' "$T/root/opt/y")" ] &&
  [ "$(stat -c %h "$T/root/opt/x")" = 2 ] || fail "squashfs: [[file]] sources x and y are not one inode"
pass "squashfs: tool and tool-alias are one inode with link count 2"

# OCI: the layer tar holds a hard link entry.
layer=$(jq -r '.layers[0].digest' "$T/out/links_1.oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$T/out/links_1.oci/index.json" | cut -d: -f2)" | cut -d: -f2)
tar tvzf "$T/out/links_1.oci/blobs/sha256/$layer" > "$T/layer.txt" || fail "tar of the layer"
grep -Eq 'usr/bin/tool(-alias)? link to usr/bin/tool(-alias)?$' "$T/layer.txt" || { cat "$T/layer.txt"; fail "OCI layer: no hard link entry"; }
pass "OCI layer: $(grep -c ' link to ' "$T/layer.txt") hard link entries"

# ext4 data partition: the seed's pair is one inode (the last partition).
n=$(sfdisk --json "$T/out/links_1.raw" | jq '.partitiontable.partitions | length')
cut_partition "$T/out/links_1.raw" "$n" "$T/data.ext4"
ia=$(debugfs -R 'stat /lib/a' "$T/data.ext4" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
ib=$(debugfs -R 'stat /lib/b' "$T/data.ext4" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
links=$(debugfs -R 'stat /lib/a' "$T/data.ext4" 2>/dev/null | sed -n 's/.*Links: \([0-9]*\).*/\1/p')
[ -n "$ia" ] && [ "$ia" = "$ib" ] && [ "$links" = 2 ] || fail "ext4: inodes $ia/$ib, links $links"
pass "ext4 data: the seed's hard-linked pair is one inode with 2 links"
