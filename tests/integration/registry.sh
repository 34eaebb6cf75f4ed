# Issue 5 (registry part): kiln push / pull / cosign signatures against Debian's real
# docker-registry on 127.0.0.1, judged by skopeo, curl and openssl.
source "$(dirname "$0")/lib.sh"

# --- a registry on a free loopback port, with its own storage, stopped on exit
start_registry

# --- a small OCI layout built by kiln
mkdir -p "$T/src/overlay/usr/bin"
printf '#!/bin/sh\necho app\n' > "$T/src/overlay/usr/bin/app" && chmod 0755 "$T/src/overlay/usr/bin/app"
cat > "$T/src/recipe.toml" <<'TOML'
[image]
name = "regtest"
version = "1.0"
[base]
type = "scratch"
[[overlay]]
source = "overlay"
[container]
entrypoint = ["/usr/bin/app"]
[output]
formats = ["oci"]
TOML
"$KILN" build "$T/src/recipe.toml" -o "$T/out" -q >/dev/null
oci="$T/out/regtest_1.0.oci"
digest=$(jq -r '.manifests[0].digest' "$oci/index.json")

# --- push, judged by skopeo
"$KILN" --json push "$oci" "$R/regtest" --insecure > "$T/push1.json" || fail "kiln push"
[ "$(jq -r .digest "$T/push1.json")" = "$digest" ] || fail "push reports another digest"
[ "$(jq -r .blobs_uploaded "$T/push1.json")" -gt 0 ] || fail "first push uploaded nothing"
skopeo inspect --tls-verify=false "docker://$R/regtest:1.0" > "$T/inspect.json" || fail "skopeo inspect"
[ "$(jq -r .Digest "$T/inspect.json")" = "$digest" ] || fail "skopeo digest $(jq -r .Digest "$T/inspect.json") != $digest"
pass "kiln push: skopeo sees $R/regtest:1.0 with the layout's manifest digest"

"$KILN" --json push "$oci" "$R/regtest:1.0" --insecure > "$T/push2.json" || fail "second kiln push"
[ "$(jq -r .blobs_uploaded "$T/push2.json")" = 0 ] || fail "second push uploaded $(jq -r .blobs_uploaded "$T/push2.json") blobs"
[ "$(jq -r .blobs_skipped "$T/push2.json")" -gt 0 ] || fail "second push skipped nothing"
pass "second push uploads no blob"

# --- pull restores a byte-identical layout
"$KILN" pull "$R/regtest:1.0" "$T/pulled.oci" --insecure -q || fail "kiln pull"
diff -r "$oci" "$T/pulled.oci" || fail "pulled layout differs from the one kiln wrote"
skopeo inspect "oci:$T/pulled.oci:1.0" >/dev/null || fail "skopeo cannot read the pulled layout"
pass "kiln pull restores a byte-identical layout"

# --- pull never destroys user data: a directory with other files is refused, even with --force
mkdir -p "$T/vm" && echo "years of work" > "$T/vm/thesis.tex"
expect_exit 2 "$KILN" pull "$R/regtest:1.0" "$T/vm" --insecure -q
grep -q "not empty.*--force" "$T/stderr" || { cat "$T/stderr"; fail "refusal does not mention --force"; }
expect_exit 2 "$KILN" pull "$R/regtest:1.0" "$T/vm" --insecure -q --force
[ "$(cat "$T/vm/thesis.tex")" = "years of work" ] && [ "$(ls -A "$T/vm")" = thesis.tex ] || fail "user files touched"
[ -z "$(ls -A "$T" | grep 'kiln-pull' || true)" ] || fail "a refused pull left a staging directory"
expect_exit 2 "$KILN" pull "$R/regtest:1.0" "$T/pulled.oci" --insecure -q
"$KILN" pull "$R/regtest:1.0" "$T/pulled.oci" --insecure -q --force || fail "--force over an earlier pull"
diff -r "$oci" "$T/pulled.oci" || fail "forced pull differs"
pass "pull refuses a directory holding user files (files intact), --force replaces only an earlier pull"

# --- cosign signature
"$KILN" keygen --algorithm ec --name ec --out "$T/keys" >/dev/null
"$KILN" keygen --algorithm ec --name other --out "$T/keys" >/dev/null
openssl pkey -in "$T/keys/ec.key" -pubout -out "$T/pub.pem"
openssl pkey -in "$T/keys/other.key" -pubout -out "$T/other.pem"
"$KILN" push "$oci" "$R/regtest" --insecure --sign --key "$T/keys/ec.key" -q >/dev/null || fail "kiln push --sign"
sig_tag="sha256-${digest#sha256:}.sig"
skopeo inspect --tls-verify=false --raw "docker://$R/regtest:$sig_tag" > "$T/sig.json" || fail "no tag $sig_tag"
[ "$(jq -r '.layers[0].mediaType' "$T/sig.json")" = application/vnd.dev.cosign.simplesigning.v1+json ] ||
  fail "signature layer media type"
payload_digest=$(jq -r '.layers[0].digest' "$T/sig.json")
jq -r '.layers[0].annotations["dev.cosignproject.cosign/signature"]' "$T/sig.json" | base64 -d > "$T/sig.der"
curl -fsS "http://$R/v2/regtest/blobs/$payload_digest" -o "$T/payload"
[ "$(jq -r '.critical.image["docker-manifest-digest"]' "$T/payload")" = "$digest" ] || fail "payload digest"
[ "$(jq -r '.critical.identity["docker-reference"]' "$T/payload")" = "$R/regtest" ] || fail "payload reference"
openssl dgst -sha256 -verify "$T/pub.pem" -signature "$T/sig.der" "$T/payload" >/dev/null ||
  fail "openssl does not verify the signature"
pass "signature tag $sig_tag exists and openssl verifies it over the payload"

expect_exit 0 "$KILN" verify --registry "$R/regtest:1.0" --key "$T/pub.pem" --insecure
expect_exit 1 "$KILN" verify --registry "$R/regtest:1.0" --key "$T/other.pem" --insecure
pass "kiln verify --registry accepts the signing key and rejects another"
