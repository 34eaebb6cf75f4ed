# Issue 6: [[group]], [[user]] and [services] enable on a tarball base (a tiny merged-/usr
# Debian-like root). unsquashfs -lln and the extracted /etc files judge the accounts, homes
# and enable links; systemctl --root judges the units; a missing unit is a recipe error.
source "$(dirname "$0")/lib.sh"

r="$T/root"
mkdir -p "$r/etc/skel" "$r/usr/lib/systemd/system" "$r/usr/lib/tmpfiles.d" "$r/usr/bin" "$r/usr/sbin"
ln -s usr/lib "$r/lib"
ln -s usr/bin "$r/bin"
printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > "$r/etc/passwd"
printf 'root:x:0:\nshadow:x:42:\nusers:x:100:\nnogroup:x:65534:\n' > "$r/etc/group"
printf 'root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n' > "$r/etc/shadow"
printf 'root:*::\nshadow:*::\nusers:*::\nnogroup:*::\n' > "$r/etc/gshadow"
chmod 0640 "$r/etc/shadow" "$r/etc/gshadow"
printf 'PASS_MAX_DAYS\t99999\nPASS_MIN_DAYS\t0\nPASS_WARN_AGE\t7\nUMASK\t\t022\n' > "$r/etc/login.defs"
printf '# ~/.profile\n' > "$r/etc/skel/.profile"
cat > "$r/usr/lib/systemd/system/app.service" <<'UNIT'
[Unit]
Description=demo app
[Service]
User=app
ExecStart=/usr/bin/app
[Install]
WantedBy=multi-user.target
Also=app.socket
UNIT
printf '[Socket]\nListenStream=8080\n[Install]\nWantedBy=sockets.target\n' > "$r/usr/lib/systemd/system/app.socket"
printf '[Service]\nExecStart=/bin/true %%i\n[Install]\nWantedBy=multi-user.target\nDefaultInstance=main\n' \
  > "$r/usr/lib/systemd/system/worker@.service"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1600000000 -C "$r" -cf "$T/base.tar" .

mkdir -p "$T/src"
cat > "$T/src/recipe.toml" <<'TOML'
[image]
name = "accounts"
version = "1"

[base]
type = "tarball"
source = "../base.tar"

[[group]]
name = "ops"

[[user]]
name = "app"
home = "/srv/app"
groups = ["ops"]

[[user]]
name = "carol"
uid = 1001
shell = "/bin/bash"
groups = ["ops", "users"]

[[file]]
path = "/srv/app/config"
content = "port = 8080\n"
mode = "0640"
owner = "app"

[services]
enable = ["app.service", "worker@.service"]
TOML
"$KILN" build "$T/src/recipe.toml" -o "$T/out" -q
img="$T/out/accounts_1.root.squashfs"
[ -f "$img" ] || fail "no squashfs artifact"
unsquashfs -lln "$img" > "$T/listing"
want() { grep -qE "$1" "$T/listing" || { cat "$T/listing"; fail "$2"; }; }
want '^drwxr-xr-x 100/102 .* squashfs-root/srv/app$' "home of app (uid 100; gid 100 is users, 101 ops: own group 102)"
want '^-rw-r----- 100/102 .* squashfs-root/srv/app/config$' "[[file]] owned by the recipe's user name"
want '^-rw-r--r-- 100/102 .* squashfs-root/srv/app/.profile$' "/etc/skel copied into the home"
want '^drwxr-xr-x 1001/1001 .* squashfs-root/home/carol$' "home of carol"
want '^-rw-r----- 0/0 .* squashfs-root/etc/shadow$' "shadow keeps its mode"
want ' squashfs-root/etc/systemd/system/multi-user.target.wants/app.service -> /lib/systemd/system/app.service$' "app enabled"
want ' squashfs-root/etc/systemd/system/sockets.target.wants/app.socket -> /lib/systemd/system/app.socket$' "Also= socket enabled"
want ' squashfs-root/etc/systemd/system/multi-user.target.wants/worker@main.service -> /lib/systemd/system/worker@.service$' "template with DefaultInstance"
pass "unsquashfs -lln shows homes, owners by name and the enable links"

unsquashfs -q -d "$T/x" "$img" >/dev/null
[ "$(tail -n 2 "$T/x/etc/passwd")" = $'app:x:100:102::/srv/app:/usr/sbin/nologin\ncarol:x:1001:1001::/home/carol:/bin/bash' ] \
  || { cat "$T/x/etc/passwd"; fail "passwd records"; }
[ "$(cat "$T/x/etc/group")" = $'root:x:0:\nshadow:x:42:\nusers:x:100:carol\nnogroup:x:65534:\nops:x:101:app,carol\napp:x:102:\ncarol:x:1001:' ] \
  || { cat "$T/x/etc/group"; fail "group records"; }
day=$((SOURCE_DATE_EPOCH / 86400))
[ "$(tail -n 2 "$T/x/etc/shadow")" = "app:!:$day::::::"$'\n'"carol:!:$day:0:99999:7:::" ] \
  || { cat "$T/x/etc/shadow"; fail "shadow records"; }
grep -qx 'ops:!::app,carol' "$T/x/etc/gshadow" || fail "gshadow members"
pass "extracted /etc/passwd, group, shadow and gshadow hold the records useradd would write"

if command -v systemctl >/dev/null; then
  for u in app.service app.socket; do
    [ "$(systemctl --root="$T/x" is-enabled "$u" 2>/dev/null)" = enabled ] || fail "systemctl: $u is not enabled"
  done
  [ "$(systemctl --root="$T/x" is-enabled worker@main.service 2>/dev/null)" = enabled ] || fail "systemctl: worker@main"
  pass "systemctl --root agrees the units are enabled"
fi

# A unit the image does not have: exit 2, naming the recipe position and the unit.
sed -i 's/"worker@.service"]/"worker@.service", "nope.service"]/' "$T/src/recipe.toml"
expect_exit 2 "$KILN" build "$T/src/recipe.toml" -o "$T/out2" -q
grep -q 'recipe.toml:[0-9]*:[0-9]*: \[services\].enable: unit .nope.service. is not in the image' "$T/stderr" \
  || { cat "$T/stderr"; fail "missing unit message"; }
pass "a missing unit is a recipe error at its position"
