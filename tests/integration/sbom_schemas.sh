# Issue 14: both SBOMs of a build validate against the official schemas: CycloneDX 1.5 with
# its JSON schema (committed under schemas/, see schemas/README.md), SPDX 2.3 with the values
# its JSON schema enumerates (the schema spells OPERATING_SYSTEM with an underscore).
source "$(dirname "$0")/lib.sh"
schemas="$KILN_SOURCE_DIR/tests/integration/schemas"
python3 -c 'import jsonschema' 2>/dev/null || fail "python3-jsonschema is not installed (ci/setup)"

mkdir -p "$T/src/overlay/etc"
printf 'hi\n' > "$T/src/overlay/etc/greeting"
# A tarball base with a dpkg database, so the SBOMs list packages too.
python3 - "$T/src/base.tar" <<'PY'
import io, sys, tarfile
status = (b"Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\n\n"
          b"Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n\n")
with tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT) as t:
    for d in ("var", "var/lib", "var/lib/dpkg"):
        i = tarfile.TarInfo(d); i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)
    i = tarfile.TarInfo("var/lib/dpkg/status"); i.size = len(status); i.mode = 0o644
    t.addfile(i, io.BytesIO(status))
PY
cat > "$T/src/recipe.toml" <<'TOML'
[image]
name = "sbom"
version = "1.0"
[base]
type = "tarball"
source = "base.tar"
[[overlay]]
source = "overlay"
[output]
formats = ["squashfs"]
TOML
"$KILN" build "$T/src/recipe.toml" -o "$T/out" --unsigned --sbom cyclonedx -q >/dev/null || fail "build"
spdx="$T/out/sbom_1.0.spdx.json" cdx="$T/out/sbom_1.0.cdx.json"
[ "$(jq '.components | length' "$cdx")" -ge 3 ] || fail "CycloneDX lists no packages"
[ "$(jq '.packages | length' "$spdx")" -ge 3 ] || fail "SPDX lists no packages"

python3 - "$schemas/cyclonedx" "$cdx" <<'PY' || fail "CycloneDX 1.5 schema validation"
import json, os, sys, warnings
import jsonschema
warnings.simplefilter("ignore", DeprecationWarning)
d = sys.argv[1]
load = lambda n: json.load(open(os.path.join(d, n)))
bom = load("bom-1.5.SNAPSHOT.schema.json")
store = {}
for n in ("bom-1.5.SNAPSHOT.schema.json", "spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json"):
    s = load(n)
    store["http://cyclonedx.org/schema/" + n] = s
    if "$id" in s: store[s["$id"]] = s
resolver = jsonschema.RefResolver(base_uri=bom["$id"], referrer=bom, store=store)
checker = getattr(jsonschema, "draft7_format_checker", None) or jsonschema.Draft7Validator.FORMAT_CHECKER
v = jsonschema.Draft7Validator(bom, resolver=resolver, format_checker=checker)
errors = sorted(v.iter_errors(json.load(open(sys.argv[2]))), key=lambda e: list(e.path))
for e in errors[:10]:
    print("CycloneDX:", "/".join(map(str, e.path)), e.message, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
pass "CycloneDX SBOM validates against the CycloneDX 1.5 JSON schema"

# The enums of the SPDX 2.3 JSON schema (spdx-spec schemas/spdx-schema.json, v2.3) that the
# document uses, and its required keys.
python3 - "$spdx" <<'PY' || fail "SPDX 2.3 schema values"
import json, sys
doc = json.load(open(sys.argv[1]))
purposes = {"OTHER", "INSTALL", "ARCHIVE", "FIRMWARE", "APPLICATION", "FRAMEWORK", "LIBRARY",
            "CONTAINER", "SOURCE", "DEVICE", "OPERATING_SYSTEM", "FILE"}
categories = {"OTHER", "PERSISTENT-ID", "PERSISTENT_ID", "SECURITY", "PACKAGE-MANAGER", "PACKAGE_MANAGER"}
algorithms = {"SHA1", "BLAKE3", "SHA3-384", "SHA256", "SHA384", "BLAKE2b-512", "BLAKE2b-256", "SHA3-512",
              "MD2", "ADLER32", "MD4", "SHA3-256", "BLAKE2b-384", "SHA512", "MD6", "MD5", "SHA224"}
relationships = {"DESCRIBES", "CONTAINS", "GENERATED_FROM", "DEPENDS_ON", "DESCRIBED_BY", "CONTAINED_BY"}
bad = []
def need(obj, keys, where):
    bad.extend(f"{where}: missing {k}" for k in keys if k not in obj)
need(doc, ["SPDXID", "creationInfo", "dataLicense", "name", "spdxVersion", "documentNamespace"], "document")
need(doc["creationInfo"], ["created", "creators"], "creationInfo")
for p in doc.get("packages", []):
    need(p, ["SPDXID", "name", "downloadLocation"], p.get("SPDXID", "package"))
    if "primaryPackagePurpose" in p and p["primaryPackagePurpose"] not in purposes:
        bad.append(f"{p['SPDXID']}: primaryPackagePurpose {p['primaryPackagePurpose']}")
    for r in p.get("externalRefs", []):
        if r["referenceCategory"] not in categories: bad.append(f"{p['SPDXID']}: referenceCategory {r['referenceCategory']}")
    for c in p.get("checksums", []):
        if c["algorithm"] not in algorithms: bad.append(f"{p['SPDXID']}: algorithm {c['algorithm']}")
for f in doc.get("files", []):
    need(f, ["SPDXID", "fileName", "checksums"], f.get("SPDXID", "file"))
    for c in f.get("checksums", []):
        if c["algorithm"] not in algorithms: bad.append(f"{f['SPDXID']}: algorithm {c['algorithm']}")
for r in doc.get("relationships", []):
    if r["relationshipType"] not in relationships: bad.append(f"relationshipType {r['relationshipType']}")
if doc["spdxVersion"] != "SPDX-2.3": bad.append("spdxVersion " + doc["spdxVersion"])
for b in bad: print("SPDX:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
pass "SPDX SBOM uses only SPDX 2.3 schema values (primaryPackagePurpose OPERATING_SYSTEM)"
