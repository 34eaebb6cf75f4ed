# Issue 18, snapshot-pinned bases: a loopback Debian mirror (apt-ftparchive, signed with a
# throwaway key) holds kiln-probe 1.0 at snapshot T1 and 2.0 at snapshot T2, under the URL
# scheme of snapshot.debian.org, plus a "current" suite that moves from 1.0 to 2.0.
# A lock taken at T1 keeps building 1.0 after the current suite moved on (where an unpinned
# lock rots), `kiln lock --snapshot T2` pins 2.0, the snapshot Release files' expired
# Valid-Until is accepted, and every .deb is still checked against the lock's digests.
# Real mmdebstrap runs (variant extract: no essential set needed), about 1 s each.
source "$(dirname "$0")/lib.sh"
command -v apt-ftparchive >/dev/null || { echo "skip: apt-ftparchive (apt-utils) not installed"; exit 0; }
command -v mmdebstrap >/dev/null || { echo "skip: mmdebstrap not installed"; exit 0; }
command -v gpg >/dev/null || { echo "skip: gpg not installed"; exit 0; }

T1=20240101T000000Z
T2=20240201T000000Z

# --- two versions of one package; v1 also as a same-version impostor with other bytes
make_deb() {  # make_deb VERSION CONTENT OUT
  local d="$T/pkg-$1-$RANDOM"
  mkdir -p "$d/DEBIAN" "$d/usr/share/kiln-probe"
  printf 'Package: kiln-probe\nVersion: %s\nArchitecture: all\nMaintainer: kiln <kiln@example.invalid>\nDescription: snapshot probe\n' "$1" > "$d/DEBIAN/control"
  printf '%s\n' "$2" > "$d/usr/share/kiln-probe/version"
  dpkg-deb --root-owner-group -Zgzip --build "$d" "$3" >/dev/null
}
make_deb 1.0 "probe 1.0" "$T/kiln-probe_1.0_all.deb"
make_deb 2.0 "probe 2.0" "$T/kiln-probe_2.0_all.deb"
make_deb 1.0 "impostor" "$T/impostor_1.0_all.deb"

# --- a throwaway archive key (kiln keeps apt's signature checks; the recipe names the keyring)
export GNUPGHOME="$T/gnupg"
mkdir -m 0700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key "kiln test archive" ed25519 sign never 2>/dev/null
mkdir -p "$T/src"
gpg --batch --export > "$T/src/archive-key.gpg"

# publish DIR DEB [VALID_SECONDS]: a one-package suite "bookworm" at DIR, InRelease signed.
# Snapshot Release files get a Valid-Until already in the past, like old snapshots of
# -updates/-security on snapshot.debian.org.
publish() {
  local dir=$1 deb=$2 valid=${3:-}
  rm -rf "$dir"
  mkdir -p "$dir/pool/main/k/kiln-probe" "$dir/dists/bookworm/main/binary-amd64"
  cp "$deb" "$dir/pool/main/k/kiln-probe/kiln-probe_$(dpkg-deb -f "$deb" Version)_all.deb"
  (cd "$dir" && apt-ftparchive packages pool > dists/bookworm/main/binary-amd64/Packages 2>/dev/null)
  apt-ftparchive ${valid:+-o APT::FTPArchive::Release::ValidTime=$valid} \
    -o APT::FTPArchive::Release::Suite=bookworm -o APT::FTPArchive::Release::Codename=bookworm \
    -o APT::FTPArchive::Release::Architectures="amd64 all" -o APT::FTPArchive::Release::Components=main \
    release "$dir/dists/bookworm" > "$T/Release"
  mv "$T/Release" "$dir/dists/bookworm/Release"
  gpg --batch --yes --quiet --clearsign -o "$dir/dists/bookworm/InRelease" "$dir/dists/bookworm/Release"
}
W="$T/www"
publish "$W/archive/debian/$T1" "$T/kiln-probe_1.0_all.deb" 1
publish "$W/archive/debian/$T2" "$T/kiln-probe_2.0_all.deb" 1
publish "$W/debian" "$T/kiln-probe_1.0_all.deb"
sleep 1  # the snapshots' Valid-Until is now in the past

serve_dir "$W" debian/dists/bookworm/Release
export KILN_SNAPSHOT_MIRROR="http://127.0.0.1:$HTTP_PORT"

recipe() {  # recipe FILE [EXTRA-BASE-LINES]
  printf '[image]\nname = "probe"\nversion = "1"\n[base]\ntype = "debian"\nsuite = "bookworm"\nvariant = "extract"\npackages = ["kiln-probe"]\nmirror = "http://127.0.0.1:%s/debian"\n%s[base.apt]\nkeyrings = ["archive-key.gpg"]\n' \
    "$HTTP_PORT" "${2:-}" > "$1"
}
recipe "$T/src/pinned.toml"
recipe "$T/src/unpinned.toml"
deb_version() { sed -n '/^name = "kiln-probe"$/{n;s/^version = "\(.*\)"$/\1/p}' "$1"; }
installed() { unsquashfs -cat "$1/probe_1.root.squashfs" usr/share/kiln-probe/version; }

# --- lock at T1 (against the snapshot), and an unpinned lock against the current suite
"$KILN" -q lock "$T/src/pinned.toml" --snapshot "$T1" >/dev/null
grep -qx "snapshot = \"$T1\"" "$T/src/pinned.toml.lock" || { cat "$T/src/pinned.toml.lock"; fail "no snapshot in the lock"; }
[ "$(deb_version "$T/src/pinned.toml.lock")" = 1.0 ] || fail "the T1 lock does not pin 1.0"
"$KILN" -q lock "$T/src/unpinned.toml" >/dev/null
grep -q snapshot "$T/src/unpinned.toml.lock" && fail "a lock without --snapshot names a snapshot"
[ "$(deb_version "$T/src/unpinned.toml.lock")" = 1.0 ] || fail "the unpinned lock does not pin 1.0"
pass "kiln lock --snapshot $T1 resolves 1.0 from the snapshot (expired Valid-Until accepted) and records it"

# --- the current suite moves on: 2.0 replaces 1.0, as on deb.debian.org
publish "$W/debian" "$T/kiln-probe_2.0_all.deb"
"$KILN" --cache "$T/cache" build "$T/src/pinned.toml" -o "$T/out1" -q >/dev/null || fail "build from the T1 lock"
[ "$(installed "$T/out1")" = "probe 1.0" ] || fail "the T1 lock installed $(installed "$T/out1")"
grep -q "snapshot $T1" "$T/out1/probe_1.manifest.json" || fail "the manifest does not record the snapshot"
grep -q "127.0.0.1:$HTTP_PORT/archive" "$T/out1/probe_1.manifest.json" && fail "the snapshot mirror's URL leaked into the manifest"
expect_exit 1 "$KILN" --cache "$T/cache-unpinned" build "$T/src/unpinned.toml" -o "$T/out-unpinned"
grep -q "locked package kiln-probe version 1.0 is no longer available" "$T/stderr" || { cat "$T/stderr"; fail "unpinned lock message"; }
pass "after the mirror moved to 2.0 the T1 lock still builds 1.0; the unpinned lock has rotted ($(grep -o 'no longer available[^(]*' "$T/stderr"))"

# --- a new lock at T2 pins 2.0
"$KILN" -q --json lock "$T/src/pinned.toml" --snapshot "$T2" > "$T/lock.json" 2> "$T/lock.events"
[ "$(jq -r .snapshot "$T/lock.json")" = "$T2" ] || { cat "$T/lock.json"; fail "kiln lock --json does not name the snapshot"; }
[ "$(deb_version "$T/src/pinned.toml.lock")" = 2.0 ] || fail "the T2 lock does not pin 2.0"
"$KILN" --cache "$T/cache" build "$T/src/pinned.toml" -o "$T/out2" -q >/dev/null || fail "build from the T2 lock"
[ "$(installed "$T/out2")" = "probe 2.0" ] || fail "the T2 lock installed $(installed "$T/out2")"
pass "kiln lock --snapshot $T2 pins 2.0, and the build installs it"

# --- [base] snapshot in the recipe: used by kiln lock, and a lock of another snapshot is stale
recipe "$T/src/recipe-snap.toml" "snapshot = \"$T1\"
"
"$KILN" -q lock "$T/src/recipe-snap.toml" >/dev/null
grep -qx "snapshot = \"$T1\"" "$T/src/recipe-snap.toml.lock" && [ "$(deb_version "$T/src/recipe-snap.toml.lock")" = 1.0 ] \
  || fail "[base] snapshot was not used by kiln lock"
expect_exit 2 "$KILN" -q lock "$T/src/recipe-snap.toml" --snapshot "$T2"
grep -q "disagrees with the recipe" "$T/stderr" || fail "conflicting --snapshot message"
# --snapshot without a value before the recipe: the recipe is still the recipe, the time is now
h1=$(date -u +%Y%m%dT%H)
expect_exit 2 "$KILN" -q lock --snapshot "$T/src/recipe-snap.toml"
h2=$(date -u +%Y%m%dT%H)  # the hour may turn while kiln runs
grep -qE -- "--snapshot ($h1|$h2)0000Z disagrees with the recipe" "$T/stderr" || { cat "$T/stderr"; fail "--snapshot without a timestamp"; }
cp "$T/src/pinned.toml.lock" "$T/src/recipe-snap.toml.lock"  # made at T2
expect_exit 2 "$KILN" --cache "$T/cache" build "$T/src/recipe-snap.toml" -o "$T/out-stale"
grep -q "stale: it was made for snapshot $T2" "$T/stderr" || { cat "$T/stderr"; fail "stale snapshot message"; }
rm "$T/src/recipe-snap.toml.lock"
"$KILN" --cache "$T/cache" build "$T/src/recipe-snap.toml" -o "$T/out-unlocked" -q >/dev/null || fail "unlocked build at [base] snapshot"
[ "$(installed "$T/out-unlocked")" = "probe 1.0" ] || fail "the unlocked [base] snapshot build installed $(installed "$T/out-unlocked")"
jq -e --arg s "snapshot $T1" '[.. | strings | select(endswith($s))] | length > 0' "$T/out-unlocked/probe_1.manifest.json" >/dev/null \
  || fail "the unlocked manifest does not record the snapshot"
pass "[base] snapshot drives kiln lock; a conflicting --snapshot (exit 2) and a lock of another snapshot (stale, exit 2) are refused; an unlocked build at [base] snapshot installs 1.0"

# --- digests are still checked: T1 now serves other bytes under version 1.0
"$KILN" -q lock "$T/src/pinned.toml" --snapshot "$T1" >/dev/null
publish "$W/archive/debian/$T1" "$T/impostor_1.0_all.deb" 1
expect_exit 1 "$KILN" --cache "$T/cache-fresh" build "$T/src/pinned.toml" -o "$T/out-bad"
grep -q "package kiln-probe 1.0: sha256 of the .deb is" "$T/stderr" || { cat "$T/stderr"; fail "digest mismatch message"; }
[ -z "$(ls -A "$T/out-bad" 2>/dev/null)" ] || fail "artifact left after a digest mismatch"
pass "a .deb from the snapshot that differs from the lock's digest fails the build (exit 1)"
