# Issue 17: `kiln flash REGISTRY/REPO:TAG DEVICE` flashes the raw image of a disk artifact that
# `kiln push` put into Debian's docker-registry on 127.0.0.1, through the block map pushed
# beside it. Judged with cmp (whole file, and every range the .bmap maps, read by Python's XML
# parser), sgdisk -v; a tampered raw blob or block map in the registry is refused before the
# target is written; an existing local file of the same name wins over the reference.
source "$(dirname "$0")/lib.sh"
start_registry
make_keys
build_flash_image fr
raw="$T/out/fr_1.raw"; bmap="$T/out/fr_1.bmap"; size=$(stat -c %s "$raw")
"$KILN" push "$T/out" "$R/fr" --insecure -q >/dev/null || fail "kiln push OUT_DIR"

# From the reference to a new file: the whole raw image, with the pushed block map.
"$KILN" --json flash "$R/fr:1" "$T/t1.img" --yes --insecure > "$T/f.json" 2>"$T/f.err" || { cat "$T/f.err"; fail "kiln flash REF FILE"; }
cmp "$raw" "$T/t1.img" || fail "the file flashed from the registry differs from the raw image"
jq -e '.ok and .verified and .bmap == "fr_1.bmap" and (.digest | startswith("sha256:"))' "$T/f.json" >/dev/null ||
  fail "flash --json from a reference: $(cat "$T/f.json")"
pass "flash REF FILE reproduces the raw image (cmp), using the pushed fr_1.bmap"

# Into a larger target full of 0xff: inside every partition each mapped range equals the raw
# image's (the GPT itself is rewritten for the target's size, so blocks 0 and the last differ);
# the GPT is valid for the target (sgdisk -v) despite the 0xff in its unmapped entry blocks.
python3 -c "import sys; sys.stdout.buffer.write(b'\xff' * ($size * 2))" > "$T/big.img"
"$KILN" flash "$R/fr:1" "$T/big.img" --yes --insecure -q > "$T/f.out" || fail "kiln flash REF to a larger file"
grep -q "backup GPT moved" "$T/f.out" || fail "GPT not moved: $(cat "$T/f.out")"
sgdisk -v "$T/big.img" > "$T/sg.out" 2>&1 && grep -q "No problems found" "$T/sg.out" || { cat "$T/sg.out"; fail "sgdisk -v"; }
sfdisk --json "$raw" > "$T/parts.json"
python3 - "$bmap" "$raw" "$T/big.img" "$T/parts.json" <<'PY' || fail "a mapped range differs"
import json, sys, xml.etree.ElementTree as ET
m = ET.parse(sys.argv[1]).getroot()
bs = int(m.findtext("BlockSize")); size = int(m.findtext("ImageSize"))
parts = [(p["start"] * 512, (p["start"] + p["size"]) * 512)
         for p in json.load(open(sys.argv[4]))["partitiontable"]["partitions"]]
a, b = open(sys.argv[2], "rb"), open(sys.argv[3], "rb")
n = 0
for r in m.iter("Range"):
    first, _, last = r.text.strip().partition("-")
    start, end = int(first) * bs, min((int(last or first) + 1) * bs, size)
    for ps, pe in parts:
        s, e = max(start, ps), min(end, pe)
        if s < e:
            a.seek(s); b.seek(s)
            assert a.read(e - s) == b.read(e - s), f"range {r.text.strip()} in partition at {ps}"
            n += e - s
assert n > 0
print(f"{n} mapped partition bytes equal")
PY
pass "flash REF into a used larger target: mapped partition bytes equal the raw image; sgdisk -v finds no problem"

# A tampered raw blob in the registry: refused by its digest, nothing written, nothing staged.
m=$(curl -fsS -H "Accept: application/vnd.oci.image.manifest.v1+json" "http://$R/v2/fr/manifests/1")
layer_blob() { find "$T/reg" -path "*blobs/sha256/*/$(echo "$m" | jq -r --arg t "$1" \
  '.layers[] | select(.annotations["org.opencontainers.image.title"]==$t) | .digest' | cut -d: -f2)/data"; }
blob=$(layer_blob fr_1.raw)
[ -f "$blob" ] || fail "raw blob not found in the registry storage"
cp "$blob" "$T/raw.orig"
off=$(( $(sfdisk --json "$raw" | jq '.partitiontable.partitions[0].start') * 512 + 17 ))
flip_byte "$blob" "$off"
mkdir -p "$T/tmp"
TMPDIR="$T/tmp" expect_exit 1 "$KILN" flash "$R/fr:1" "$T/t2.img" --yes --insecure
grep -qi "sha256\|digest" "$T/stderr" || { cat "$T/stderr"; fail "the refusal does not name the digest"; }
[ ! -e "$T/t2.img" ] || fail "a tampered blob was written to the target"
[ -z "$(ls -A "$T/tmp")" ] || fail "staging left behind: $(ls -A "$T/tmp")"
cp "$T/raw.orig" "$blob"
# A tampered block map likewise.
blob=$(layer_blob fr_1.bmap)
printf ' ' >> "$blob"
expect_exit 1 "$KILN" flash "$R/fr:1" "$T/t3.img" --yes --insecure
[ ! -e "$T/t3.img" ] || fail "flashed with a tampered block map"
pass "a tampered raw blob or block map in the registry is refused; the target is untouched, no staging left"

# An existing file wins over a reference of the same spelling; neither file nor reference: usage.
mkdir -p "$T/cwd/$R"
cp "$raw" "$T/cwd/$R/fr:1"
(cd "$T/cwd" && "$KILN" flash "$R/fr:1" "$T/t4.img" --yes -q) > "$T/f.out" || fail "flash of a local file named like a reference"
grep -q "block map: computed" "$T/f.out" || fail "the local file was not the source: $(cat "$T/f.out")"
expect_exit 2 "$KILN" flash "$T/no-such.raw" "$T/t5.img" --yes
grep -q "no such file, and not a registry reference" "$T/stderr" || { cat "$T/stderr"; fail "missing image message"; }
pass "an existing local file wins over a reference; a missing file that is no reference is a usage error"
