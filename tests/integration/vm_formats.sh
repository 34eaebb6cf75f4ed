# Issue 17: VM template formats and the block map, judged by independent tools: qemu-img
# (info/check/compare) for qcow2, vmdk, vhd (-f vpc) and vhdx; tar, sgdisk and cmp for the GCE
# archive; tar, xmllint, sha256sum and qemu-img for the OVA; bmaptool for the .bmap. Two builds
# must give identical bytes for every format, and kiln verify checks each against the raw image.
source "$(dirname "$0")/lib.sh"
for tool in sgdisk xmllint bmaptool; do
  command -v $tool >/dev/null || fail "$tool is not installed (ci/setup installs gdisk, libxml2-utils, bmap-tools)"
done
make_keys
mkdir -p "$T/src/overlay/etc" "$T/src/seed"
printf 'hello\n' > "$T/src/overlay/etc/greeting"
head -c 300000 /dev/urandom > "$T/src/seed/blob"  # data partition content spread over many blocks
write_scratch_recipe "$T/src/recipe.toml" vm 1.0 "raw qcow2 vmdk vhd vhdx gce ova" '[data]
size = "32M"
mountpoint = "/var/lib/app"
seed = "seed"
[vm]
cpus = 3
memory = "1536M"'
build_as_nobody "$T/src/recipe.toml" "$T/out" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" -q -j 2
mkdir -p "$T/out2"
"$KILN" build "$T/src/recipe.toml" -o "$T/out2" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" -q -j 1
o="$T/out"; raw="$o/vm_1.0.raw"
names="vm_1.0.raw vm_1.0.bmap vm_1.0.qcow2 vm_1.0.vmdk vm_1.0.vhd vm_1.0.vhdx vm_1.0.gce.tar.gz vm_1.0.ova"
for f in $names; do
  [ -f "$o/$f" ] || fail "missing artifact $f"
  cmp -s "$o/$f" "$T/out2/$f" || fail "$f differs between two builds (other user, other -j)"
  grep -q "  $f\$" "$o/SHA256SUMS" || fail "$f is not in SHA256SUMS"
  jq -e --arg n "$f" '.artifacts[] | select(.name == $n)' "$o/vm_1.0.manifest.json" >/dev/null || fail "$f is not in the manifest"
done
check_dsse "$o/vm_1.0.intoto.json" "$T/keys/kiln.crt" "$T/subjects"
for f in $names; do grep -q "  $f\$" "$T/subjects" || fail "$f is not a provenance subject"; done
pass "every format is reproducible and listed in SHA256SUMS, the signed manifest and the provenance"

info() { qemu-img info -f "$1" --output=json "$2"; }
# qcow2 and vmdk (monolithicSparse by default)
qemu-img check -q -f qcow2 "$o/vm_1.0.qcow2" || fail "qemu-img check qcow2"
qemu-img compare -q -f qcow2 -F raw "$o/vm_1.0.qcow2" "$raw" || fail "qcow2 content differs"
[ "$(info vmdk "$o/vm_1.0.vmdk" | jq -r '.["format-specific"].data["create-type"]')" = monolithicSparse ] || fail "vmdk is not monolithicSparse"
qemu-img compare -q -f vmdk -F raw "$o/vm_1.0.vmdk" "$raw" || fail "vmdk content differs"
# vhd: fixed, footer after the data, virtual size whole MiB
vhd="$o/vm_1.0.vhd"
vsize=$(info vpc "$vhd" | jq '.["virtual-size"]')
[ $((vsize % 1048576)) = 0 ] || fail "vhd virtual size $vsize is not a whole number of MiB"
[ "$(stat -c %s "$vhd")" = $((vsize + 512)) ] || fail "vhd is not its virtual size plus one 512-byte footer"
[ "$(tail -c 512 "$vhd" | head -c 8)" = conectix ] || fail "no conectix footer in the last 512 bytes"
[ "$(tail -c 512 "$vhd" | od -An -tx1 -j60 -N4 | tr -d ' ')" = 00000002 ] || fail "vhd disk type is not fixed"
qemu-img compare -q -f vpc -F raw "$vhd" "$raw" || fail "vhd content differs"
# vhdx
[ "$(info vhdx "$o/vm_1.0.vhdx" | jq -r .format)" = vhdx ] || fail "vhdx format"
qemu-img check -q -f vhdx "$o/vm_1.0.vhdx" || fail "qemu-img check vhdx"
qemu-img compare -q -f vhdx -F raw "$o/vm_1.0.vhdx" "$raw" || fail "vhdx content differs"
pass "qemu-img: qcow2, vmdk (monolithicSparse), vhd (fixed, MiB, footer at the end), vhdx hold the raw image"

# GCE: exactly disk.raw in a GNU tar, gzip header without name or time, a whole GiB, valid GPT
gce="$o/vm_1.0.gce.tar.gz"
[ "$(tar -tzf "$gce")" = disk.raw ] || fail "the gce archive does not hold exactly disk.raw: $(tar -tzf "$gce")"
[ "$(od -An -tx1 -N8 "$gce" | tr -d ' ')" = 1f8b080000000000 ] || fail "gzip header carries a name, flags or a time"
[ "$(zcat "$gce" | head -c 265 | tail -c 8 | od -An -c | tr -s ' ')" = " u s t a r \0" ] || fail "not GNU tar format"
tar -tvzf "$gce" | grep -q '^-rw-r--r-- 0/0 ' || fail "disk.raw owner/mode: $(tar -tvzf "$gce")"
tar -xOzf "$gce" disk.raw | dd of="$T/disk.raw" bs=1M conv=sparse status=none
gsize=$(stat -c %s "$T/disk.raw")
[ $((gsize % 1073741824)) = 0 ] && [ "$gsize" -gt 0 ] || fail "disk.raw is $gsize bytes, not a whole GiB"
sgdisk -v "$T/disk.raw" > "$T/sgdisk.out" 2>&1 || { cat "$T/sgdisk.out"; fail "sgdisk -v"; }
grep -q "No problems found" "$T/sgdisk.out" || { cat "$T/sgdisk.out"; fail "sgdisk -v found problems"; }
n=$(sfdisk --json "$raw" | jq '.partitiontable.partitions | length')
for i in $(seq 1 "$n"); do
  cut_partition "$raw" "$i" "$T/p.raw"; cut_partition "$T/disk.raw" "$i" "$T/p.gce"
  cmp -s "$T/p.raw" "$T/p.gce" || fail "partition $i of disk.raw differs from the raw image's"
done
[ "$(sfdisk --json "$raw" | jq -c '[.partitiontable.partitions[] | del(.node)]')" = \
  "$(sfdisk --json "$T/disk.raw" | jq -c '[.partitiontable.partitions[] | del(.node)]')" ] || fail "partition tables differ"
rm -f "$T/disk.raw" "$T/p.raw" "$T/p.gce"
pass "gce: one disk.raw (GNU tar, fixed gzip header), $gsize bytes, sgdisk -v clean, $n partitions identical"

# OVA: USTAR, descriptor first then manifest, valid XML, digests, streamOptimized VMDK
ova="$o/vm_1.0.ova"
[ "$(tar -tf "$ova" | tr '\n' ' ')" = "vm_1.0.ovf vm_1.0.mf vm_1.0-disk1.vmdk " ] || fail "OVA order: $(tar -tf "$ova")"
[ "$(dd if="$ova" bs=1 skip=257 count=8 status=none | od -An -c | tr -s ' ')" = " u s t a r \0 0 0" ] || fail "OVA is not USTAR"
mkdir "$T/ova" && tar -xf "$ova" -C "$T/ova"
xmllint --noout "$T/ova/vm_1.0.ovf" || fail "xmllint rejects the descriptor"
grep -q 'ovf:capacity="'"$(stat -c %s "$raw")"'"' "$T/ova/vm_1.0.ovf" || fail "descriptor capacity"
grep -q '<rasd:VirtualQuantity>3</rasd:VirtualQuantity>' "$T/ova/vm_1.0.ovf" || fail "[vm] cpus not in the descriptor"
grep -q '<rasd:VirtualQuantity>1536</rasd:VirtualQuantity>' "$T/ova/vm_1.0.ovf" || fail "[vm] memory not in the descriptor"
(cd "$T/ova" && for f in vm_1.0.ovf vm_1.0-disk1.vmdk; do echo "SHA256($f)= $(sha256sum "$f" | cut -d' ' -f1)"; done) > "$T/mf"
cmp -s "$T/mf" "$T/ova/vm_1.0.mf" || fail ".mf digests do not match"
[ "$(info vmdk "$T/ova/vm_1.0-disk1.vmdk" | jq -r '.["format-specific"].data["create-type"]')" = streamOptimized ] || fail "OVA disk is not streamOptimized"
qemu-img compare -q -f vmdk -F raw "$T/ova/vm_1.0-disk1.vmdk" "$raw" || fail "OVA disk content differs"
pass "ova: USTAR, .ovf then .mf then .vmdk, xmllint ok, digests match, streamOptimized VMDK equals the raw image"

# bmap: bmaptool accepts it and reproduces the image; a corrupted range is caught
bmaptool copy --bmap "$o/vm_1.0.bmap" "$raw" "$T/copy.raw" 2>"$T/bmap.err" || { cat "$T/bmap.err"; fail "bmaptool copy"; }
cmp -s "$raw" "$T/copy.raw" || fail "bmaptool's copy differs from the raw image"
[ "$(grep -o '<MappedBlocksCount> [0-9]* ' "$o/vm_1.0.bmap" | tr -dc 0-9)" -lt "$(grep -o '<BlocksCount> [0-9]* ' "$o/vm_1.0.bmap" | tr -dc 0-9)" ] \
  || fail "the bmap maps every block"
cp "$raw" "$T/bad.raw"
flip_byte "$T/bad.raw" $(( $(sfdisk --json "$raw" | jq '.partitiontable.partitions[0].start') * 512 + 100 ))
if bmaptool copy --bmap "$o/vm_1.0.bmap" "$T/bad.raw" "$T/copy2.raw" 2>"$T/bmap2.err"; then fail "bmaptool accepted a corrupted range"; fi
grep -qi "checksum mismatch" "$T/bmap2.err" || { cat "$T/bmap2.err"; fail "bmaptool did not report the checksum"; }
pass "bmap: bmaptool copy reproduces the raw image and catches a corrupted range"

# kiln verify checks every format's content against the raw image
"$KILN" verify "$o" --cert "$T/keys/kiln.crt" > "$T/verify.out" || fail "kiln verify"
for f in vm_1.0.bmap vm_1.0.qcow2 vm_1.0.vmdk vm_1.0.vhd vm_1.0.vhdx vm_1.0.gce.tar.gz vm_1.0.ova; do
  grep -q "^ok  *content $f:" "$T/verify.out" || { cat "$T/verify.out"; fail "verify did not check $f"; }
done
pass "kiln verify compares every format with the raw image"

# streamOptimized on request; the recipe rejects an unknown subformat and bad [vm] values
sed -i 's/^formats = .*/formats = ["raw", "vmdk"]\nvmdk_subformat = "streamOptimized"/' "$T/src/recipe.toml"
"$KILN" build "$T/src/recipe.toml" -o "$T/out3" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" -q
[ "$(info vmdk "$T/out3/vm_1.0.vmdk" | jq -r '.["format-specific"].data["create-type"]')" = streamOptimized ] || fail "vmdk_subformat"
qemu-img compare -q -f vmdk -F raw "$T/out3/vm_1.0.vmdk" "$T/out3/vm_1.0.raw" || fail "streamOptimized vmdk content"
sed -i 's/^cpus = 3/cpus = 0/' "$T/src/recipe.toml"
expect_exit 2 "$KILN" validate "$T/src/recipe.toml"
grep -q '\[vm\].cpus' "$T/stderr" || fail "bad [vm] cpus not reported"
pass "vmdk_subformat = streamOptimized; [vm] validated"
