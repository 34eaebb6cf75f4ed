# Issue 7 acceptance (slow: mmdebstrap from the Debian mirror). One recipe (Debian base with a
# lock file, an overlay, raw and OCI outputs, signed) built twice from cold, separate caches:
#   A: root, cwd A, TZ=UTC, LANG=C.UTF-8, umask 022, hostname build-a, real clock;
#   B: uid 65534, cwd B, TZ=Pacific/Kiritimati, LANG=de_DE.UTF-8, umask 077, hostname build-b,
#      clock one year ahead (faketime);
# must give identical SHA256SUMS, and `kiln rebuild --check` must pass on the manifest. Then one
# overlay file changes: `kiln diff --json` of the raw images reports exactly that file, and only
# the partitions that follow from the root (root, its verity and signature); so does the diff of
# the OCI layouts, and a build's disk root equals its OCI layers. The SPDX lists every
# package dpkg-query lists in the root; the provenance subjects are the artifacts of SHA256SUMS
# and its DSSE signature verifies with openssl and the certificate.
source "$(dirname "$0")/../integration/lib.sh"
[ "${KILN_SLOW_TESTS:-0}" = 1 ] || { echo "skipped: set KILN_SLOW_TESTS=1"; exit 0; }
command -v faketime >/dev/null || fail "faketime missing (ci/setup installs it)"

make_keys
mkdir -p "$T/src/overlay/etc/app" "$T/cwd-a" "$T/cwd-b"
printf 'port = 8080\n' > "$T/src/overlay/etc/app/app.conf"
printf 'managed by kiln\n' > "$T/src/overlay/etc/issue.kiln"
cat > "$T/src/recipe.toml" <<'TOML'
[image]
name = "repro"
version = "1"
architecture = "x86-64"
[base]
type = "debian"
suite = "bookworm"
variant = "minbase"
packages = ["busybox", "netbase"]
[[overlay]]
source = "overlay"
[root]
compression = "zstd"
compression_level = 3
[output]
formats = ["raw", "oci"]
TOML
chmod -R a+rX "$T/src"
chown -R 65534:65534 "$T/cwd-b"
keys=(--key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt")

"$KILN" --cache "$T/cache-lock" lock "$T/src/recipe.toml" -q
grep -q 'name = "busybox"' "$T/src/recipe.toml.lock" || fail "busybox not locked"
chmod a+r "$T/src/recipe.toml.lock"
pass "kiln lock pinned $(grep -c '^\[\[package\]\]' "$T/src/recipe.toml.lock") packages"

# Build A (root). `unshare --uts` gives each build its own host name.
unshare --uts bash -c 'hostname build-a && cd "$1" && umask 022 && shift &&
  TZ=UTC LANG=C.UTF-8 LC_ALL= "$@"' _ "$T/cwd-a" \
  "$KILN" --cache "$T/cache-a" build "$T/src/recipe.toml" -o "$T/out-a" "${keys[@]}" -q >/dev/null \
  || fail "build A"
# Build B (uid 65534, clock one year ahead). NO_FAKE_STAT: by default libfaketime also shifts
# the file times stat() reports, a file system that lies rather than a shifted clock (tar's
# --clamp-mtime in mmdebstrap then clamps every packaged file to SOURCE_DATE_EPOCH).
mkdir -p "$T/out-b" "$T/cache-b" && chown 65534:65534 "$T/out-b" "$T/cache-b"
unshare --uts bash -c 'hostname build-b && cd "$1" && umask 077 && shift &&
  TZ=Pacific/Kiritimati LANG=de_DE.UTF-8 LC_ALL= "$@"' _ "$T/cwd-b" \
  setpriv --reuid=65534 --regid=65534 --clear-groups -- env NO_FAKE_STAT=1 faketime -f +365d \
  "$KILN" --cache "$T/cache-b" build "$T/src/recipe.toml" -o "$T/out-b" "${keys[@]}" -q >/dev/null \
  || fail "build B"
[ -s "$T/out-a/SHA256SUMS" ] || fail "no SHA256SUMS"
diff "$T/out-a/SHA256SUMS" "$T/out-b/SHA256SUMS" || fail "SHA256SUMS differ between builds A and B"
(cd "$T/out-b" && sha256sum --quiet -c SHA256SUMS) || fail "B's artifacts do not match its SHA256SUMS"
pass "two cold builds (root/uid 65534, cwd, TZ, LANG, umask, hostname, clock +1y) give identical SHA256SUMS ($(wc -l < "$T/out-a/SHA256SUMS") artifacts)"

(cd "$T/src" && "$KILN" --cache "$T/cache-a" rebuild "$T/out-a/repro_1.manifest.json" --check "${keys[@]}" -q) \
  > "$T/rebuild.txt" || fail "kiln rebuild --check"
grep -q "digests identical" "$T/rebuild.txt" || fail "rebuild summary: $(cat "$T/rebuild.txt")"
pass "kiln rebuild --check: $(cat "$T/rebuild.txt")"

# SPDX: every package dpkg-query knows in the root, with its version.
unsquashfs -q -d "$T/root" "$T/out-a/repro_1.root.squashfs" var/lib/dpkg >/dev/null
dpkg-query --admindir="$T/root/var/lib/dpkg" -W -f '${Package} ${Version}\n' | sort > "$T/dpkg.list"
spdx="$T/out-a/repro_1.spdx.json"
jq -e '.spdxVersion == "SPDX-2.3"' "$spdx" >/dev/null || fail "SPDX does not parse"
jq -r '.packages[] | select(any(.externalRefs[]?; .referenceLocator | startswith("pkg:deb/"))) | "\(.name) \(.versionInfo)"' \
  "$spdx" | sort > "$T/spdx.list"
grep -q '^busybox ' "$T/dpkg.list" || fail "busybox not installed"
diff "$T/dpkg.list" "$T/spdx.list" || fail "SPDX packages differ from dpkg-query -W"
pass "SPDX lists the $(wc -l < "$T/dpkg.list") packages dpkg-query lists, with their versions"

# Provenance: subjects are exactly the artifacts of SHA256SUMS; the DSSE signature verifies.
check_dsse "$T/out-a/repro_1.intoto.json" "$T/keys/kiln.crt" "$T/subjects"
[ -s "$T/subjects" ] || fail "no provenance subjects"
missing=$(sort "$T/out-a/SHA256SUMS" | comm -23 "$T/subjects" -)
[ -z "$missing" ] || fail "provenance subjects not in SHA256SUMS: $missing"
grep -q ' repro_1.raw$' "$T/subjects" && grep -q ' repro_1.root.squashfs$' "$T/subjects" \
  || fail "provenance lacks the raw image or the root"
pass "all $(wc -l < "$T/subjects") provenance digests match SHA256SUMS; DSSE verifies with openssl and the certificate"

# One overlay file changes (warm cache): exactly that file differs.
printf 'port = 9090\n' > "$T/src/overlay/etc/app/app.conf"
"$KILN" --cache "$T/cache-a" build "$T/src/recipe.toml" -o "$T/out-c" "${keys[@]}" -q >/dev/null || fail "build C"
"$KILN" diff "$T/out-a/repro_1.raw" "$T/out-c/repro_1.raw" --json > "$T/diff.json" || fail "kiln diff"
files=$(jq -c '[.files[] | {path, change, fields: [.fields[].field]}]' "$T/diff.json")
[ "$files" = '[{"path":"/etc/app/app.conf","change":"changed","fields":["content"]}]' ] \
  || fail "files reported: $files"
jq -e '.packages.added + .packages.removed + .packages.upgraded | length == 0' "$T/diff.json" >/dev/null \
  || fail "packages reported: $(jq -c .packages "$T/diff.json")"
parts=$(jq -r '[.partitions[] | "\(.name):\(.change)"] | sort | join(" ")' "$T/diff.json")
for p in $parts; do
  case $p in root-x86-64:changed|root-x86-64-verity:changed|root-x86-64-verity-sig:changed) ;;
    *) fail "unexpected partition change $p: $(jq -c .partitions "$T/diff.json")" ;; esac
done
jq -e '[.partitions[] | select(.name == "root-x86-64") | .fields[].field] == ["content"]' "$T/diff.json" >/dev/null \
  || fail "root partition: $(jq -c .partitions "$T/diff.json")"
jq -e '.identical == false' "$T/diff.json" >/dev/null || fail "diff says identical"
pass "one overlay file changed: kiln diff reports /etc/app/app.conf only (partitions: $parts)"

# The OCI layouts say the same (their layers hold the same root and dpkg database), and a
# build's disk root and OCI layers are the same tree.
"$KILN" diff "$T/out-a/repro_1.oci" "$T/out-c/repro_1.oci" --json > "$T/oci.json" || fail "kiln diff of the OCI layouts"
files=$(jq -c '[.files[] | {path, change, fields: [.fields[].field]}]' "$T/oci.json")
[ "$files" = '[{"path":"/etc/app/app.conf","change":"changed","fields":["content"]}]' ] || fail "OCI files reported: $files"
jq -e '(.config | length == 0) and (.packages.added + .packages.removed + .packages.upgraded | length == 0)' \
  "$T/oci.json" >/dev/null || fail "OCI config or packages reported: $(jq -c '[.config, .packages]' "$T/oci.json")"
"$KILN" diff "$T/out-a/repro_1.raw" "$T/out-a/repro_1.oci" --json | jq -e '.identical' >/dev/null \
  || fail "the disk root and the OCI layers of one build differ"
pass "OCI layouts: only /etc/app/app.conf changed; disk root and OCI layers are the same tree"
