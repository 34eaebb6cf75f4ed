# Shared by the slow tests that boot the example appliance (sourced after ../integration/lib.sh).
# One lock, one Debian base and one set of appliance builds serve them all (the brief: share one
# Debian base and one appliance build among slow tests). The builds live in $F, rebuilt only
# when kiln, kiln-update, the appliance recipe or overlay, or this file change; CTest runs
# slow.appliance_builds first as the fixture of the tests that boot them, and each of those
# calls appliance_fixture too, so that it also runs alone.
#
# $F after appliance_fixture:
#   keys/, otherkeys/    the build's signing key and certificate; another signer's
#   src/                 the test recipes: the example appliance plus the self-test and
#                        update-proof overlays, [update] with tries = 1
#   v1/ v1-again/        1.0.0 built twice (raw and qcow2), for the byte-for-byte comparison
#   v2/ v3/              1.1.0 and 1.2.0 (whose health check fails), raw
#   canary.sha256        the self-test's canary file, whose data block the tamper test flips
#   build-seconds        how long the builds took
cache=${KILN_TEST_CACHE:-/var/tmp/kiln-test-cache}
F=${KILN_APPLIANCE_FIXTURE:-$cache/appliance-fixture}

# The key of the builds: every input that can change them.
appliance_fixture_key() {
  {
    sha256sum < "$KILN"
    sha256sum < "$KILN_UPDATE"
    sha256sum < "${BASH_SOURCE[0]}"
    sha256sum < "$KILN_SOURCE_DIR/recipes/examples/appliance.toml"
    (cd "$KILN_SOURCE_DIR/overlays/appliance" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -c1-32
}

# Writes the overlay of the self-test: on every boot it reports on the console what the root and
# the data partition are, whether state survived, and whether a canary file reads back.
write_selftest_overlay() {
  local o=$1
  mkdir -p "$o/usr/lib/kiln-selftest" "$o/usr/lib/systemd/system" "$o/etc/kiln-selftest"
  # 6 MiB of incompressible, reproducible bytes: squashfs stores them as they are, so the test
  # can find the file's data blocks in the image. kiln writes the recipe's files after the base's,
  # so they end up near the end of the root, where the initrd's probes of the device read (blkid
  # looks for signatures at the end): the tamper test flips a byte 64 KiB into this file, which
  # its size keeps megabytes away from that end; a flipped byte there would stop the boot
  # instead of failing only the file's read.
  head -c $((6 << 20)) /dev/zero | openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f -iv 0 -nosalt 2>/dev/null \
    > "$o/etc/kiln-selftest/canary"
  cat > "$o/usr/lib/kiln-selftest/run" <<'SH'
#!/bin/sh
say() { echo "kiln-selftest: $*"; }
src=$(findmnt -no SOURCE /)
dm=$(basename "$(readlink -f "$src")")
say "root source=$src fstype=$(findmnt -no FSTYPE /) options=$(findmnt -no OPTIONS /) dm-uuid=$(cat /sys/block/$dm/dm/uuid 2>/dev/null)"
if touch /kiln-write-test 2>/dev/null; then say "root write: succeeded"; else say "root write: refused"; fi
say "var source=$(findmnt -no SOURCE /var) fstype=$(findmnt -no FSTYPE /var) options=$(findmnt -no OPTIONS /var)"
say "data partition bytes=$(blockdev --getsize64 "$(findmnt -no SOURCE /var)") fs bytes=$(df -B1 --output=size /var | tail -1 | tr -d ' ')"
marker=/var/lib/kiln-selftest/marker
if [ -f "$marker" ]; then say "persist: found $(cat "$marker")"; else say "persist: none"; fi
mkdir -p /var/lib/kiln-selftest && echo "written-by-first-boot" > "$marker" && sync
if sum=$(sha256sum < /etc/kiln-selftest/canary 2>/tmp/canary.err); then
  say "canary: ok ${sum%% *}"
else
  say "canary: read error: $(cat /tmp/canary.err)"
fi
SH
  chmod 0755 "$o/usr/lib/kiln-selftest/run"
  cat > "$o/usr/lib/systemd/system/kiln-selftest.service" <<'UNIT'
[Unit]
Description=kiln boot test checks
After=local-fs.target appliance.service
Before=multi-user.target

[Service]
Type=oneshot
ExecStart=/usr/lib/kiln-selftest/run
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
UNIT
  # systemd's own "Reached target ... Multi-User System" status line is sometimes missing from
  # the serial console once serial-getty takes it over (seen in CI); this unit, ordered after
  # the target, prints the line kiln boot --check also accepts.
  cat > "$o/usr/lib/systemd/system/kiln-reached.service" <<'UNIT'
[Unit]
Description=kiln boot test: default target reached
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/bin/echo "kiln-boot: default target reached"
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
UNIT
}

# Writes the overlay of the update proof (tests/slow/update_rollback.sh): a driver unit that acts
# on the version it runs and a step counter kept on the data partition, and prints what it sees
# on the console; a health check that fails on 1.2.0 only. The driver stays idle unless the
# channel at http://10.0.2.100/ answers (kiln boot --serve), so other boots of the same image are
# plain boots.
write_update_overlay() {
  local o=$1
  mkdir -p "$o/usr/lib/kiln-test" "$o/usr/lib/systemd/system" "$o/etc/systemd/network"
  cat > "$o/etc/systemd/network/20-wired.network" <<'NET'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
NET
  cat > "$o/usr/lib/kiln-test/driver" <<'SH'
#!/bin/sh
set -u
# The guest's uptime at the end of each line shows where the proof's minutes go.
say() { echo "kiln-test: $* (up $(cut -d' ' -f1 /proc/uptime) s)" > /dev/console; }
. /etc/os-release
state=/var/lib/kiln-test
mkdir -p "$state"
step=$(cat "$state/step" 2>/dev/null || echo 0)
ch=http://10.0.2.100
status_line() { kiln-update status --json | tr -d '\n' | sed 's/  */ /g'; }
# agent LOG ARGS...: runs kiln-update ARGS with each line it prints stamped with the uptime, into
# LOG; succeeds when it did. agent_said LOG: its steps in one line; agent_error LOG: its last word.
agent() {
  log=$1; shift
  { kiln-update "$@" 2>&1; echo "exit status $?"; } | while IFS= read -r l; do echo "[$(cut -d' ' -f1 /proc/uptime)] $l"; done > "$log"
  grep -q "] exit status 0$" "$log"
}
agent_said() { tr '\n' ' ' < "$1"; }
agent_error() { grep -v "] exit status" "$1" | tail -1; }
say "boot: version=$IMAGE_VERSION step=$step status=$(status_line)"
say "data: $(cat "$state/data" 2>/dev/null || echo none)"
case "$IMAGE_VERSION:$step" in
  1.0.0:0)
    if ! kiln-update check --channel "$ch/c2/" > /run/check.log 2>&1; then
      say "driver idle: no channel with a newer version is served"; exit 0
    fi
    echo "written by 1.0.0" > "$state/data"
    echo 1 > "$state/step"; sync
    if agent /run/update.log update --channel "$ch/c2/"; then say "updated to 1.1.0: $(agent_said /run/update.log)"; else say "update failed: $(agent_said /run/update.log)"; fi
    systemctl reboot ;;
  1.1.0:1)
    say "running 1.1.0"
    if agent /run/u1.log update --channel "$ch/other-signer/"; then say "other signer: ACCEPTED"; else say "other signer: refused: $(agent_error /run/u1.log)"; fi
    if agent /run/u2.log update --channel "$ch/flipped/"; then say "flipped byte: ACCEPTED"; else say "flipped byte: refused: $(agent_error /run/u2.log) (steps: $(agent_said /run/u2.log))"; fi
    say "after refusals: $(status_line)"
    echo 2 > "$state/step"; sync
    agent /run/u3.log update --channel "$ch/c3/" &
    # Cut the power once the agent is writing the root into the inactive slot.
    for i in $(seq 1 600); do grep -q "downloading" /run/u3.log 2>/dev/null && break; sleep 0.5; done
    sleep 20
    say "cutting the power now"
    sleep 600 ;;
  1.1.0:2)
    say "still 1.1.0 after the power cut: $(status_line)"
    echo 3 > "$state/step"; sync
    if agent /run/update.log update --channel "$ch/c3/"; then say "updated to 1.2.0: $(agent_said /run/update.log)"; else say "update failed: $(agent_said /run/update.log)"; fi
    systemctl reboot ;;
  1.1.0:3)
    say "back on 1.1.0 by itself: $(status_line)"
    say "TEST DONE"
    systemctl poweroff ;;
  *)
    say "unexpected: version $IMAGE_VERSION at step $step" ;;
esac
SH
  chmod 0755 "$o/usr/lib/kiln-test/driver"
  cat > "$o/usr/lib/systemd/system/kiln-test-driver.service" <<'UNIT'
[Unit]
Description=kiln update proof driver
After=multi-user.target network-online.target boot-complete.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/lib/kiln-test/driver
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
UNIT
  cat > "$o/usr/lib/systemd/system/kiln-test-health.service" <<'UNIT'
[Unit]
Description=kiln update proof health check

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c '. /etc/os-release; if [ "$IMAGE_VERSION" = 1.2.0 ]; then echo "kiln-test: the health check of 1.2.0 fails" > /dev/console; exit 1; fi'
UNIT
}

# Builds (or finds, by key) the shared appliance builds in $F. Concurrent callers wait for one
# another; a build is published by one rename, so $F is either complete or absent.
appliance_fixture() {
  mkdir -p "$cache"
  local key
  key=$(appliance_fixture_key)
  exec 9>"$cache/appliance-fixture.flock"
  flock 9
  if [ -f "$F/key" ] && [ "$(cat "$F/key")" = "$key" ]; then
    exec 9>&-
    return 0
  fi
  rm -rf "$F" "$F.new"
  local N=$F.new
  mkdir -p "$N/src"
  "$KILN" keygen --out "$N/keys" --subject "kiln test" >/dev/null
  "$KILN" keygen --out "$N/otherkeys" --subject "someone else" >/dev/null
  write_selftest_overlay "$N/selftest"
  write_update_overlay "$N/update-proof"
  sha256sum < "$N/selftest/etc/kiln-selftest/canary" | cut -d' ' -f1 > "$N/canary.sha256"
  cat > "$N/src/appliance-test.toml" <<TOML
include = ["$KILN_SOURCE_DIR/recipes/examples/appliance.toml"]

[[overlay]]
source = "../selftest"
target = "/"

[[overlay]]
source = "../update-proof"
target = "/"

[services]
enable = ["appliance.service", "kiln-selftest.service", "kiln-reached.service", "kiln-test-driver.service",
          "systemd-networkd.service", "systemd-networkd-wait-online.service"]

[update]
channel = "http://10.0.2.100/"
slot_size = "320M"
tries = 1
health = ["appliance.service", "kiln-test-health.service"]

[output]
formats = ["raw", "qcow2"]
TOML
  local v
  for v in 1.1.0 1.2.0; do
    printf 'include = ["appliance-test.toml"]\n\n[image]\nversion = "%s"\n' "$v" > "$N/src/appliance-test-$v.toml"
  done

  # The lock is kept between runs, keyed by the recipes it was made for (the package set).
  local lock_key cached_lock
  lock_key=$(cat "$KILN_SOURCE_DIR/recipes/examples/appliance.toml" "$N/src/appliance-test.toml" | sed "s|$N||g" | sha256sum | cut -c1-16)
  cached_lock="$cache/appliance-fixture-$lock_key.lock"
  if [ -f "$cached_lock" ]; then
    cp "$cached_lock" "$N/src/appliance-test.toml.lock"
  else
    "$KILN" --cache "$cache" lock "$N/src/appliance-test.toml" -q
    cp "$N/src/appliance-test.toml.lock" "$cached_lock"
  fi
  for v in 1.1.0 1.2.0; do cp "$N/src/appliance-test.toml.lock" "$N/src/appliance-test-$v.toml.lock"; done

  local start=$SECONDS
  fixture_build() {  # fixture_build RECIPE OUT
    "$KILN" --cache "$cache" build "$N/src/$1" -o "$N/$2" --key "$N/keys/kiln.key" --cert "$N/keys/kiln.crt" -q >/dev/null
  }
  fixture_build appliance-test.toml v1
  echo "1.0.0: $((SECONDS - start)) s" > "$N/build-seconds"
  fixture_build appliance-test.toml v1-again
  fixture_build appliance-test-1.1.0.toml v2
  fixture_build appliance-test-1.2.0.toml v3
  echo "all four: $((SECONDS - start)) s" >> "$N/build-seconds"
  echo "$key" > "$N/key"
  mv "$N" "$F"
  exec 9>&-
}
