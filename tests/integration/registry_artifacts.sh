# Issue 5 (disk images as OCI artifacts) and issue 7 (SBOM as an OCI 1.1 referrer), against
# Debian's docker-registry 2.8 on 127.0.0.1 (no referrers API: the tag schema fallback),
# judged by skopeo, curl, sha256sum and kiln verify.
source "$(dirname "$0")/lib.sh"
start_registry
make_keys
mkdir -p "$T/src/overlay/etc"
printf 'hello\n' > "$T/src/overlay/etc/greeting"
write_scratch_recipe "$T/src/recipe.toml" vm 2.0 "raw qcow2" $'[data]\nsize = "8M"\nmountpoint = "/var/lib/app"'
"$KILN" build "$T/src/recipe.toml" -o "$T/out" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" -q >/dev/null

# --- push the build output directory as a disk image artifact
"$KILN" --json push "$T/out" "$R/vm" --insecure > "$T/push.json" || fail "kiln push OUT_DIR"
digest=$(jq -r .digest "$T/push.json")
[ "$(jq -r .reference "$T/push.json")" = "$R/vm:2.0" ] || fail "default tag is not the version"
skopeo inspect --tls-verify=false --raw "docker://$R/vm:2.0" > "$T/m.json" || fail "skopeo inspect --raw"
[ "sha256:$(sha256sum < "$T/m.json" | cut -d' ' -f1)" = "$digest" ] || fail "manifest digest differs"
[ "$(jq -r .artifactType "$T/m.json")" = application/vnd.kiln.disk-image.v1+json ] || fail "artifactType"
[ "$(jq -r .config.mediaType "$T/m.json")" = application/vnd.kiln.disk-image.v1+json ] || fail "config media type"
titles=$(jq -r '.layers[].annotations["org.opencontainers.image.title"]' "$T/m.json" | paste -sd' ')
for f in vm_2.0.raw vm_2.0.qcow2 vm_2.0.root.squashfs vm_2.0.root.verity vm_2.0.root.roothash \
         vm_2.0.root.roothash.p7s vm_2.0.manifest.json vm_2.0.manifest.json.p7s vm_2.0.spdx.json \
         vm_2.0.intoto.json SHA256SUMS; do
  case " $titles " in *" $f "*) ;; *) fail "no layer titled $f (have: $titles)";; esac
done
[ "$(jq -r '.layers[] | select(.annotations["org.opencontainers.image.title"]=="vm_2.0.root.squashfs") | .mediaType' "$T/m.json")" = \
  application/vnd.kiln.rootfs.squashfs ] || fail "squashfs media type"
[ "$(jq -r '.layers[] | select(.annotations["org.opencontainers.image.title"]=="vm_2.0.spdx.json") | .mediaType' "$T/m.json")" = \
  application/spdx+json ] || fail "spdx media type"
pass "disk image pushed as an OCI artifact: skopeo --raw shows the artifactType and one titled layer per file"

# --- pull restores the files byte for byte; kiln verify works on them
"$KILN" pull "$R/vm:2.0" "$T/pulled" --insecure -q || fail "kiln pull of a disk image"
for f in $titles; do cmp "$T/out/$f" "$T/pulled/$f" || fail "$f differs after the round trip"; done
[ -z "$(ls -A "$T/pulled" | grep '^\.' || true)" ] || fail "staging left behind in the pull directory"
(cd "$T/pulled" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS of the pulled files"
"$KILN" verify "$T/pulled/vm_2.0.manifest.json" --cert "$T/keys/kiln.crt" >/dev/null || fail "kiln verify manifest"
"$KILN" verify "$T/pulled/vm_2.0.raw" --cert "$T/keys/kiln.crt" >/dev/null || fail "kiln verify disk"
pass "kiln pull restores every file byte-identical and kiln verify accepts them"

# --- a tampered blob in the registry is refused
layer=$(jq -r '.layers[] | select(.annotations["org.opencontainers.image.title"]=="vm_2.0.root.roothash") | .digest' "$T/m.json")
blob=$(find "$T/reg" -path "*blobs/sha256/*/${layer#sha256:}/data")
cp "$blob" "$T/roothash.orig" && printf 'x' >> "$blob"
expect_exit 1 "$KILN" pull "$R/vm:2.0" "$T/tampered" --insecure -q
grep -q "vm_2.0.root.roothash\|${layer}" "$T/stderr" || { cat "$T/stderr"; fail "error does not name the blob"; }
[ ! -e "$T/tampered/vm_2.0.raw" ] || fail "a partial pull left files in place"
cp "$T/roothash.orig" "$blob"
pass "a blob that does not match its digest fails the pull and leaves nothing behind"

# --- the SBOM as an OCI 1.1 referrer (referrers tag schema: docker-registry 2.8 has no API)
[ "$(jq -r .referrers_tag "$T/push.json")" = "sha256-${digest#sha256:}" ] || fail "push reports no referrers tag"
sbom_ref=$(jq -r .sbom_referrer "$T/push.json")
skopeo inspect --tls-verify=false --raw "docker://$R/vm:sha256-${digest#sha256:}" > "$T/refs.json" ||
  fail "no referrers tag"
[ "$(jq -r .mediaType "$T/refs.json")" = application/vnd.oci.image.index.v1+json ] || fail "referrers index type"
[ "$(jq -r '[.manifests[] | select(.artifactType=="application/spdx+json")] | length' "$T/refs.json")" = 1 ] ||
  fail "the index does not list one SPDX referrer"
[ "$(jq -r '.manifests[0].digest' "$T/refs.json")" = "$sbom_ref" ] || fail "index lists another digest"
skopeo inspect --tls-verify=false --raw "docker://$R/vm@$sbom_ref" > "$T/sbom-m.json"
[ "$(jq -r .subject.digest "$T/sbom-m.json")" = "$digest" ] || fail "SBOM subject"
[ "$(jq -r .artifactType "$T/sbom-m.json")" = application/spdx+json ] || fail "SBOM artifactType"
curl -fsS "http://$R/v2/vm/blobs/$(jq -r '.layers[0].digest' "$T/sbom-m.json")" -o "$T/sbom.json"
cmp "$T/sbom.json" "$T/out/vm_2.0.spdx.json" || fail "SBOM blob differs from the build's"
pass "SPDX SBOM attached as a referrer, listed by the sha256-<hex> index, blob round-trips"

# --- the same for an OCI layout, signed: the .sig tag and the referrers tag live side by side
sed -i 's/formats = \["raw", "qcow2"\]/formats = ["oci"]/' "$T/src/recipe.toml"
"$KILN" build "$T/src/recipe.toml" -o "$T/oci-out" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" -q >/dev/null
"$KILN" keygen --algorithm ec --name ec --out "$T/keys" >/dev/null
openssl pkey -in "$T/keys/ec.key" -pubout -out "$T/pub.pem"
"$KILN" --json push "$T/oci-out/vm_2.0.oci" "$R/oci/vm" --insecure --sign --key "$T/keys/ec.key" > "$T/push2.json" ||
  fail "push --sign of a layout"
d2=$(jq -r .digest "$T/push2.json")
"$KILN" --json push "$T/oci-out/vm_2.0.oci" "$R/oci/vm" --insecure --sign --key "$T/keys/ec.key" > /dev/null  # again
skopeo inspect --tls-verify=false --raw "docker://$R/oci/vm:sha256-${d2#sha256:}" > "$T/refs2.json" || fail "layout referrers"
[ "$(jq -r '.manifests | length' "$T/refs2.json")" = 1 ] || fail "a second push duplicated the referrer"
skopeo inspect --tls-verify=false --raw "docker://$R/oci/vm:sha256-${d2#sha256:}.sig" >/dev/null || fail "no .sig tag"
expect_exit 0 "$KILN" verify --registry "$R/oci/vm:2.0" --key "$T/pub.pem" --insecure
"$KILN" pull "$R/oci/vm:2.0" "$T/app.oci" --insecure -q
diff -r "$T/oci-out/vm_2.0.oci" "$T/app.oci" || fail "layout round trip"
pass "layout push: SBOM referrer (deduplicated) and cosign signature coexist; pull still byte-identical"
