# Issue 5 (layout part): the OCI image of a recipe is valid for skopeo and umoci, carries the
# recipe's container settings and the data volume, equals the disk image's root, and is
# reproducible.
source "$(dirname "$0")/lib.sh"
make_keys
mkdir -p "$T/src/overlay/usr/bin" "$T/src/overlay/etc"
printf '#!/bin/sh\necho app\n' > "$T/src/overlay/usr/bin/app" && chmod 0755 "$T/src/overlay/usr/bin/app"
printf 'x\n' > "$T/src/overlay/etc/app.conf"
cat > "$T/src/recipe.toml" <<'TOML'
[image]
name = "ctr"
version = "3.0"
[base]
type = "scratch"
[[overlay]]
source = "overlay"
[[file]]
path = "/srv/secret"
content = "s\n"
mode = "0600"
owner = "1000:1000"
[container]
entrypoint = ["/usr/bin/app"]
env = ["PATH=/usr/bin:/bin"]
user = "1000:1000"
ports = ["8080/tcp"]
[data]
size = "16M"
mountpoint = "/var/lib/app"
[output]
formats = ["raw", "oci", "oci-archive"]
TOML
"$KILN" build "$T/src/recipe.toml" -o "$T/out" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" -q >/dev/null
oci="$T/out/ctr_3.0.oci"
skopeo inspect "oci:$oci:3.0" > "$T/inspect.json" || fail "skopeo inspect"
skopeo inspect --config "oci:$oci:3.0" > "$T/config.json"
jq -e '.config.Volumes["/var/lib/app"]' "$T/config.json" >/dev/null || fail "data volume"
[ "$(jq -r '.config.Entrypoint[0]' "$T/config.json")" = /usr/bin/app ] || fail "entrypoint"
[ "$(jq -r '.config.User' "$T/config.json")" = 1000:1000 ] || fail "user"
jq -e '.config.Env | index("PATH=/usr/bin:/bin")' "$T/config.json" >/dev/null || fail "env"
skopeo inspect "oci-archive:$T/out/ctr_3.0.oci.tar" >/dev/null || fail "oci-archive"
pass "skopeo: layout and archive valid; volume, entrypoint, env and user set"

# podman load (docker load's format) accepts the archive; the loaded image keeps the config.
if command -v podman >/dev/null; then
  pm=(podman --root "$T/podman" --runroot "$T/podman-run" --storage-driver vfs)
  "${pm[@]}" load -i "$T/out/ctr_3.0.oci.tar" > "$T/podman.load" 2>&1 || { cat "$T/podman.load"; fail "podman load"; }
  loaded=$(sed -n 's/^Loaded image: //p' "$T/podman.load" | tail -1)
  [ -n "$loaded" ] || { cat "$T/podman.load"; fail "podman load named no image"; }
  "${pm[@]}" image inspect "$loaded" > "$T/podman.json"
  [ "$(jq -r '.[0].Config.Entrypoint[0]' "$T/podman.json")" = /usr/bin/app ] || fail "podman: entrypoint"
  [ "$(jq -r '.[0].Config.User' "$T/podman.json")" = 1000:1000 ] || fail "podman: user"
  [ "$(jq -r '.[0].Digest' "$T/podman.json")" = "$(jq -r '.manifests[0].digest' "$oci/index.json")" ] || fail "podman: manifest digest differs from the layout's"
  pass "podman load accepts the .oci.tar as $loaded with the same manifest digest and config"
fi

(cd "$T" && umoci unpack --rootless --image "$oci:3.0" bundle >/dev/null) || fail "umoci unpack"
unsquashfs -q -d "$T/sq" "$T/out/ctr_3.0.root.squashfs" >/dev/null
diff -r "$T/bundle/rootfs" "$T/sq" || fail "OCI rootfs differs from the disk root"
(cd "$T/sq" && find . -printf '%P %m %y\n' | sort) > "$T/modes.sq"
(cd "$T/bundle/rootfs" && find . -printf '%P %m %y\n' | sort) > "$T/modes.oci"
diff "$T/modes.sq" "$T/modes.oci" || fail "modes differ"
pass "umoci unpack --rootless gives the same files and modes as the disk root"

# Owners: the layer's tar headers against the squashfs inodes.
manifest=$(jq -r '.manifests[0].digest' "$oci/index.json" | cut -d: -f2)
layer=$(jq -r '.layers[0].digest' "$oci/blobs/sha256/$manifest" | cut -d: -f2)
tar -tvzf "$oci/blobs/sha256/$layer" --numeric-owner | awk '{p=$6; sub(/^\.\//,"",p); sub(/\/$/,"",p); if (p != "." && p != "") print p, $1, $2}' | sort > "$T/own.oci"
unsquashfs -lln "$T/out/ctr_3.0.root.squashfs" | awk '{p=$6; sub(/^squashfs-root\/?/,"",p); if (p != "") print p, $1, $2}' | sort > "$T/own.sq"
diff "$T/own.sq" "$T/own.oci" || fail "owners or modes in the layer differ from the squashfs"
grep -q '^srv/secret -rw------- 1000/1000$' "$T/own.oci" || fail "owner 1000:1000 in the layer"
pass "layer tar headers carry the same owners and modes as the squashfs"

"$KILN" verify "$oci" --cert "$T/keys/kiln.crt" >/dev/null || fail "kiln verify oci"
"$KILN" build "$T/src/recipe.toml" -o "$T/out2" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" -q >/dev/null
[ "$(jq -r '.manifests[0].digest' "$oci/index.json")" = "$(jq -r '.manifests[0].digest' "$T/out2/ctr_3.0.oci/index.json")" ] || fail "manifest digest differs"
pass "kiln verify accepts the layout; a second build gives the same manifest digest"
