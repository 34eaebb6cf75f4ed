# Issue 13: nothing but the recipe's pinned inputs can change what kiln signs. Someone who can
# write the local cache forges a block cache entry, a tree-cache index (pointing a member at a
# blob of its own) and the download-cache blob under the pinned sha256, recomputing every
# self-hash as an attacker would; a hostile registry serves block packs signed by someone
# else, unsigned, and signed by a trusted key but with swapped blocks. Each time the build
# ignores what it cannot trust (with a warning) and its SHA256SUMS is byte-identical to a
# clean build's. An unsigned build with --cache-from and nothing to trust is refused (exit 2).
source "$(dirname "$0")/lib.sh"
make_keys
"$KILN" keygen --out "$T/evil" --name evil --subject "not the builder" >/dev/null

mkdir -p "$T/src/overlay/etc" "$T/evilbase"
make_base_tree "$T/base" 20
tar_gz "$T/base" "$T/base.tar.gz"
cp -a "$T/base/." "$T/evilbase/"
echo 'backdoor' > "$T/evilbase/usr/lib/big1"
tar_gz "$T/evilbase" "$T/evil.tar.gz"
printf 'app\n' > "$T/src/overlay/etc/app.conf"
sha=$(sha256sum "$T/base.tar.gz" | cut -d' ' -f1)
write_tarball_recipe "$T/src/recipe.toml" hc "file://$T/base.tar.gz" "$T/base.tar.gz"
build() {  # build NAME CACHE [args]: out in $T/NAME, log in $T/NAME.log
  local name=$1 cache=$2; shift 2
  "$KILN" --cache "$cache" build "$T/src/recipe.toml" -o "$T/$name" "$@" >"$T/$name.stdout" 2>"$T/$name.log" ||
    { cat "$T/$name.log" >&2; fail "build $name"; }
}
signed=(--key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt")
same_as_clean() {  # same_as_clean NAME
  cmp -s "$T/clean/SHA256SUMS" "$T/$1/SHA256SUMS" || { diff "$T/clean/SHA256SUMS" "$T/$1/SHA256SUMS" >&2; fail "$1: SHA256SUMS differs from a clean build"; }
  cmp -s "$T/clean/hc_1.raw" "$T/$1/hc_1.raw" || fail "$1: disk image differs from a clean build"
}

build clean "$T/cache-clean" "${signed[@]}"
build first "$T/cache" "${signed[@]}"
same_as_clean first
[ "$(stat -c %a "$T/cache")" = 700 ] || fail "cache directory mode $(stat -c %a "$T/cache")"
[ "$(stat -c %a "$T/cache/secret.key")" = 600 ] || fail "cache key mode $(stat -c %a "$T/cache/secret.key")"
pass "the cache directory is private (0700) and its key 0600"

# --- the attacker writes the cache
python3 - "$T/cache/blocks" <<'PY'
import hashlib, os, struct, sys
entries = []
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        p = os.path.join(root, f)
        data = open(p, 'rb').read()
        if len(f) == 64 and data[:8] == b'KILNBLK1' and struct.unpack('<I', data[8:12])[0] == 1:
            entries.append((len(data), p, data))
entries.sort()
_, target, _ = entries[-1]
_, _, donor = entries[-2]
payload = donor[48:]
key = bytes.fromhex(os.path.basename(target))
fields = struct.pack('<II', 1, len(payload))
digest = hashlib.sha256(key + fields + payload).digest()  # the entry's self-hash, recomputed
open(target, 'wb').write(b'KILNBLK1' + fields + digest + payload)
PY
python3 - "$T/cache/trees" "$T/base/usr/lib/big2" <<'PY'
import hashlib, os, sys
trees, victim = sys.argv[1], sys.argv[2]
good = open(victim, 'rb').read()
evil = b'backdoor!' * (len(good) // 9) + b'x' * (len(good) % 9)
evil_hex = hashlib.sha256(evil).hexdigest()
open(os.path.join(trees, 'blobs', evil_hex), 'wb').write(evil)  # a blob that hashes to its name
index_dir = os.path.join(trees, 'index')
(name,) = os.listdir(index_dir)
lines = open(os.path.join(index_dir, name)).read().splitlines(True)
body = ''.join(lines[:-1]).replace(hashlib.sha256(good).hexdigest(), evil_hex)
assert evil_hex in body
tag = lines[-1].split(' ')[0]
open(os.path.join(index_dir, name), 'w').write(body + tag + ' ' + hashlib.sha256(body.encode()).hexdigest() + '\n')
PY
[ -f "$T/cache/blobs/sha256/$sha" ] || fail "the file:// base is not in the download cache"
cp "$T/evil.tar.gz" "$T/cache/blobs/sha256/$sha"

build forged "$T/cache" "${signed[@]}"
same_as_clean forged
grep -q 'warning: ignoring corrupt download cache entry' "$T/forged.log" || { cat "$T/forged.log"; fail "forged download blob not reported"; }
grep -q 'warning: ignoring corrupt tree cache entry.*not sealed' "$T/forged.log" || { cat "$T/forged.log"; fail "forged tree index not reported"; }
grep -q 'warning: ignored [0-9]* corrupt cache entr' "$T/forged.log" || { cat "$T/forged.log"; fail "forged block entry not reported"; }
pass "forged block entry, tree index + blob and download blob: ignored with warnings, SHA256SUMS identical"

# --- a hostile registry
start_registry
evil_signed=(--key "$T/evil/evil.key" --cert "$T/evil/evil.crt")
build attacker "$T/cache-attacker" "${evil_signed[@]}" --cache-insecure --cache-to "$R/cache"
grep -q 'pushed [0-9]* compressed blocks' "$T/attacker.log" || { cat "$T/attacker.log"; fail "attacker pushed no block pack"; }
tag=$(skopeo list-tags --tls-verify=false "docker://$R/cache" | jq -r '.Tags[] | select(startswith("blocks-"))')
skopeo inspect --tls-verify=false --raw "docker://$R/cache:$tag" > "$T/pack.json"
jq -e '.annotations["dev.kiln.cache.signature"] | length > 100' "$T/pack.json" >/dev/null || fail "pushed block pack is not signed"

build wrong-signer "$T/cache-v1" "${signed[@]}" --cache-insecure --cache-from "$R/cache"
same_as_clean wrong-signer
[ "$(grep -c 'warning: registry cache' "$T/wrong-signer.log")" = 1 ] || { cat "$T/wrong-signer.log"; fail "expected one warning line"; }
grep -q 'not signed by a trusted certificate' "$T/wrong-signer.log" || { cat "$T/wrong-signer.log"; fail "wrong signer not reported"; }
grep -q 'block cache: 0 of' "$T/wrong-signer.log" || { grep 'block cache' "$T/wrong-signer.log"; fail "an untrusted block pack was used"; }
pass "a block pack signed by an untrusted key: one warning, nothing used, identical output"

# The attacker's pack with two blocks swapped (self-digests recomputed), pushed unsigned, then
# signed with a key the victim does trust: the signature admits the pack, the decompression
# check still refuses the blocks.
layer=$(jq -r '.layers[0].digest' "$T/pack.json")
curl -fsS "http://$R/v2/cache/blobs/$layer" -o "$T/pack.tar" || fail "cannot fetch the pack"
python3 - "$T/pack.tar" "$T/forged-pack.tar" <<'PY'
import hashlib, io, struct, sys, tarfile
src = tarfile.open(sys.argv[1])
members = [(m, src.extractfile(m).read()) for m in src.getmembers()]
compressed = sorted([i for i, (m, d) in enumerate(members) if struct.unpack('<I', d[8:12])[0] == 1],
                    key=lambda i: len(members[i][1]))
a, b = compressed[-1], compressed[-2]
def forge(name, payload):
    key = bytes.fromhex(name.split('/')[1])
    fields = struct.pack('<II', 1, len(payload))
    return b'KILNBLK1' + fields + hashlib.sha256(key + fields + payload).digest() + payload
pa, pb = members[a][1][48:], members[b][1][48:]
members[a] = (members[a][0], forge(members[a][0].name, pb))
members[b] = (members[b][0], forge(members[b][0].name, pa))
with tarfile.open(sys.argv[2], 'w', format=tarfile.USTAR_FORMAT) as out:
    for m, d in members:
        m.size = len(d)
        out.addfile(m, io.BytesIO(d))
PY
push_pack() {  # push_pack SIGNATURE_FILE_OR_EMPTY: the forged pack under the same tag
  python3 - "$R" "$tag" "$T/forged-pack.tar" "$(jq -r '.annotations["dev.kiln.cache.key"]' "$T/pack.json")" "${1:-}" <<'PY'
import base64, hashlib, json, sys, urllib.request
reg, tag, pack, key, sigfile = sys.argv[1:6]
base = 'http://' + reg
def call(method, url, data=None, ctype='application/octet-stream'):
    r = urllib.request.Request(url, data=data, method=method, headers={'Content-Type': ctype})
    return urllib.request.urlopen(r)
def blob(data):
    d = 'sha256:' + hashlib.sha256(data).hexdigest()
    loc = call('POST', base + '/v2/cache/blobs/uploads/').headers['Location']
    loc = loc if loc.startswith('http') else base + loc
    call('PUT', loc + ('&' if '?' in loc else '?') + 'digest=' + d, data)
    return d
data = open(pack, 'rb').read()
layer = blob(data)
empty = blob(b'{}')
ann = {'dev.kiln.cache.key': key}
if sigfile:
    ann['dev.kiln.cache.signature'] = base64.b64encode(open(sigfile, 'rb').read()).decode()
m = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
     'artifactType': 'application/vnd.kiln.block-pack.v1',
     'config': {'mediaType': 'application/vnd.oci.empty.v1+json', 'digest': empty, 'size': 2},
     'layers': [{'mediaType': 'application/vnd.kiln.block-pack.v1.tar', 'digest': layer, 'size': len(data),
                 'annotations': {'org.opencontainers.image.title': 'blocks.tar'}}],
     'annotations': ann}
call('PUT', base + '/v2/cache/manifests/' + tag, json.dumps(m).encode(), 'application/vnd.oci.image.manifest.v1+json')
print(layer)
PY
}
forged_layer=$(push_pack "") || fail "cannot push the forged pack"
build unsigned-pack "$T/cache-v2" "${signed[@]}" --cache-trust "$T/evil/evil.crt" --cache-insecure --cache-from "$R/cache"
same_as_clean unsigned-pack
[ "$(grep -c 'warning: registry cache' "$T/unsigned-pack.log")" = 1 ] || { cat "$T/unsigned-pack.log"; fail "expected one warning line"; }
grep -q 'the entry is not signed' "$T/unsigned-pack.log" || { cat "$T/unsigned-pack.log"; fail "unsigned pack not reported"; }
pass "an unsigned block pack: one warning, nothing used, identical output"

printf 'kiln-cache-entry 1\napplication/vnd.kiln.block-pack.v1\n%s\n%s\n' \
  "$(jq -r '.annotations["dev.kiln.cache.key"]' "$T/pack.json")" "$forged_layer" > "$T/statement"
openssl smime -sign -binary -noattr -in "$T/statement" -signer "$T/evil/evil.crt" -inkey "$T/evil/evil.key" \
  -outform DER -out "$T/forged.sig" || fail "openssl smime -sign"
push_pack "$T/forged.sig" >/dev/null || fail "cannot push the signed forged pack"
build trusted-forgery "$T/cache-v3" "${signed[@]}" --cache-trust "$T/evil/evil.crt" --cache-insecure --cache-from "$R/cache"
same_as_clean trusted-forgery
grep -q '[1-9][0-9]* compressed blocks from registry cache' "$T/trusted-forgery.log" || { cat "$T/trusted-forgery.log"; fail "the trusted pack was not used"; }
grep -q 'ignored 2 corrupt cache entries (2 not decompressing to their block' "$T/trusted-forgery.log" ||
  { grep 'block cache' "$T/trusted-forgery.log"; fail "swapped blocks not rejected"; }
pass "a trusted pack with swapped blocks: both rejected by the decompression check, identical output"

expect_exit 2 "$KILN" --cache "$T/cache-v4" build "$T/src/recipe.toml" -o "$T/refused" --unsigned --cache-insecure --cache-from "$R/cache"
grep -q -- '--cache-trust' "$T/stderr" || { cat "$T/stderr"; fail "refusal does not say what to do"; }
[ ! -e "$T/refused/hc_1.raw" ] || fail "a refused build left an image"
pass "--cache-from on an unsigned build without --cache-trust: exit 2 ($(grep -o 'an unsigned build[^;]*' "$T/stderr"))"

# --- no shared fallback cache directory
expect_exit 2 env -u HOME -u XDG_CACHE_HOME "$KILN" build "$T/src/recipe.toml" -o "$T/nohome" "${signed[@]}"
grep -q 'pass --cache DIR' "$T/stderr" || { cat "$T/stderr"; fail "no clear message without HOME"; }
[ ! -e /tmp/kiln-cache/secret.key ] || fail "a shared /tmp cache was used"
pass "no cache without HOME or XDG_CACHE_HOME: exit 2, 'pass --cache DIR'"
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$T/theirs" && chown 65534:65534 "$T/theirs"
  expect_exit 2 "$KILN" --cache "$T/theirs" build "$T/src/recipe.toml" -o "$T/theirs-out" "${signed[@]}"
  grep -q 'belongs to uid 65534' "$T/stderr" || { cat "$T/stderr"; fail "another user's cache directory not refused"; }
  pass "another user's --cache directory is refused"
fi
