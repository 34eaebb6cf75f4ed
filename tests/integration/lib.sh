# Shared helpers for the integration tests (sourced). Each test gets a scratch directory that
# the unprivileged user 65534 can use too, removed on exit.
set -euo pipefail
: "${KILN:?KILN must point at the kiln binary}"
: "${KILN_SOURCE_DIR:?}"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
T=$(mktemp -d /tmp/kiln-test.XXXXXX)
chmod 0755 "$T"

# on_exit CMD: runs CMD (a shell string) when the test exits, however it exits, the latest first,
# then removes $T. One trap for all: a helper's clean-up never replaces another's.
exit_cmds=()
on_exit() { exit_cmds=("$1" "${exit_cmds[@]}"); }
run_exit_cmds() {
  local c
  for c in "${exit_cmds[@]}"; do eval "$c" 2>/dev/null || true; done
  rm -rf "$T"
}
trap run_exit_cmds EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# Runs a command as the unprivileged user nobody (65534).
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }

# expect_exit CODE CMD...: runs CMD, checks its exit status, leaves its output in $T/stdout and
# $T/stderr.
expect_exit() {
  local want=$1; shift
  set +e; "$@" >"$T/stdout" 2>"$T/stderr"; local got=$?; set -e
  [ "$got" = "$want" ] || { cat "$T/stderr" >&2; fail "'$*' exited $got, expected $want"; }
}

# A signing key and certificate in $T/keys.
make_keys() {
  mkdir -p "$T/keys"
  "$KILN" keygen --out "$T/keys" --subject "kiln test" >/dev/null
  # The tests run kiln as nobody too; a key others can read is refused (like ssh), so nobody
  # owns it (root reads it anyway).
  chown 65534:65534 "$T/keys/kiln.key"
}

# --- recipes and builds: each test's sources in $T/src, the overlay in $T/src/overlay -----------

# write_scratch_recipe FILE NAME VERSION FORMATS [TOML]...: a recipe for the x86-64 image NAME
# VERSION on an empty base, with the directory "overlay" beside FILE as its overlay, then each
# TOML argument (whole tables: [[file]], [data], ...) in order, then [output] with FORMATS (a
# space-separated list such as "raw qcow2").
write_scratch_recipe() {
  local file=$1 name=$2 version=$3 formats=$4 f list=""; shift 4
  for f in $formats; do list+="${list:+, }\"$f\""; done
  {
    printf '[image]\nname = "%s"\nversion = "%s"\narchitecture = "x86-64"\n' "$name" "$version"
    printf '[base]\ntype = "scratch"\n[[overlay]]\nsource = "overlay"\n'
    [ $# = 0 ] || printf '%s\n' "$@"
    printf '[output]\nformats = [%s]\n' "$list"
  } > "$file"
}

# The host's systemd-boot files (Debian's systemd-boot-efi) that bootable test images carry.
SYSTEMD_BOOT_EFI=/usr/lib/systemd/boot/efi
have_systemd_boot() { [ -f "$SYSTEMD_BOOT_EFI/linuxx64.efi.stub" ] && [ -f "$SYSTEMD_BOOT_EFI/systemd-bootx64.efi" ]; }
# require_systemd_boot: skips the test (exit 0) when systemd-boot-efi is not installed.
require_systemd_boot() { have_systemd_boot || { echo "skip: systemd-boot-efi not installed"; exit 0; }; }

# make_boot_overlay DIR [OS_RELEASE]: what a bootable scratch image needs, in the overlay DIR: a
# stand-in kernel and initrd (first lines KILN-TEST-KERNEL and KILN-TEST-INITRD, to find them in
# images), systemd-boot's stub and loader, and os-release at /etc/os-release or, given OS_RELEASE
# (such as usr/lib/os-release), there with /etc/os-release a link to it.
make_boot_overlay() {
  local o=$1 rel=${2:-etc/os-release}
  mkdir -p "$o/boot" "$o/usr/lib/systemd/boot/efi" "$o/etc" "$(dirname "$o/$rel")"
  { echo "KILN-TEST-KERNEL"; seq 1 20000; } > "$o/boot/vmlinuz-6.1.0-test"
  { echo "KILN-TEST-INITRD"; seq 1 2000; } > "$o/boot/initrd.img-6.1.0-test"
  cp "$SYSTEMD_BOOT_EFI/linuxx64.efi.stub" "$SYSTEMD_BOOT_EFI/systemd-bootx64.efi" "$o/usr/lib/systemd/boot/efi/"
  printf 'ID=kilntest\nNAME="kiln test"\n' > "$o/$rel"
  [ "$rel" = etc/os-release ] || ln -s "../$rel" "$o/etc/os-release"
}

# add_update_runtime DIR: stand-ins (files only) in the overlay DIR for what an [update] image's
# agent and boot counting need at run time: kiln refuses a scratch base without them.
add_update_runtime() {
  local o=$1 lib
  mkdir -p "$o/usr/lib/x86_64-linux-gnu" "$o/usr/lib/systemd/system"
  for lib in libcurl.so.4 libssl.so.3 libcrypto.so.3 libzstd.so.1 libz.so.1; do echo elf > "$o/usr/lib/x86_64-linux-gnu/$lib"; done
  echo elf > "$o/usr/lib/systemd/systemd-bless-boot"
  printf '[Unit]\nRequires=boot-complete.target\n' > "$o/usr/lib/systemd/system/systemd-bless-boot.service"
}

# write_boot_recipe FILE NAME VERSION [TOML]...: write_scratch_recipe for a small bootable raw
# disk (systemd-boot, a 64M ESP) from the overlay make_boot_overlay made beside FILE; TOML
# arguments as there (such as $DATA_ON_VAR or an [update] table).
write_boot_recipe() {
  local file=$1 name=$2 version=$3; shift 3
  write_scratch_recipe "$file" "$name" "$version" raw $'[boot]\nloader = "systemd-boot"\n[disk]\nesp_size = "64M"' "$@"
}
# A 16M data partition on /var, a TOML argument for write_boot_recipe.
DATA_ON_VAR=$'[data]\nsize = "16M"\nmountpoint = "/var"'

# make_base_tree DIR DOCS: a base file tree in DIR of DOCS small text files and three of some
# 100 kB to 600 kB (numbers: compressible), so that its root spans many compression blocks.
make_base_tree() {
  local dir=$1 docs=$2 i
  mkdir -p "$dir/usr/share/doc" "$dir/usr/lib"
  for i in $(seq "$docs"); do seq "$i" 3 $((i * 900)) > "$dir/usr/share/doc/f$i"; done
  for i in 1 2 3; do seq "$i" 7 $((i * 200000)) > "$dir/usr/lib/big$i"; done
}

# tar_gz DIR OUT: DIR's content as a reproducible gzip tarball (sorted, owned by root, one mtime).
tar_gz() { tar -C "$1" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1600000000 -cf - . | gzip -n > "$2"; }

# write_tarball_recipe FILE NAME SOURCE TARBALL: a recipe for the image NAME 1 on the base
# tarball TARBALL, named SOURCE in the recipe (a path beside FILE or a URL) and pinned by its
# sha256, with the overlay "overlay"; a zstd root in 64K blocks (many, for the block cache) and
# an 8M data partition, raw.
write_tarball_recipe() {
  local file=$1 name=$2 source=$3 tarball=$4
  cat > "$file" <<TOML
[image]
name = "$name"
version = "1"
[base]
type = "tarball"
source = "$source"
sha256 = "$(sha256sum "$tarball" | cut -d' ' -f1)"
[[overlay]]
source = "overlay"
[root]
compression = "zstd"
compression_level = 3
block_size = "64K"
[data]
size = "8M"
[output]
formats = ["raw"]
TOML
}

# build_flash_image NAME: a signed raw disk NAME_1.raw and its block map NAME_1.bmap in $T/out,
# with 200 kB of random bytes in the data partition (mapped ranges past the GPT and the root).
build_flash_image() {
  local name=$1
  mkdir -p "$T/src/seed"
  head -c 200000 /dev/urandom > "$T/src/seed/blob"
  cat > "$T/src/recipe.toml" <<TOML
[image]
name = "$name"
version = "1"
[base]
type = "scratch"
[[file]]
path = "/etc/motd"
content = "flash me\n"
[data]
size = "16M"
mountpoint = "/var"
seed = "seed"
[output]
formats = ["raw"]
TOML
  "$KILN" build "$T/src/recipe.toml" -o "$T/out" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" -q >/dev/null
}

# build_as_nobody RECIPE OUT [ARGS]...: `kiln build RECIPE -o OUT ARGS` as the unprivileged user
# 65534, with the recipe's directory readable by all and OUT owned by that user.
build_as_nobody() {
  local recipe=$1 out=$2; shift 2
  chmod -R a+rX "$(dirname "$recipe")"
  mkdir -p "$out" && chown 65534:65534 "$out"
  as_nobody "$KILN" build "$recipe" -o "$out" "$@"
}

# --- judging artifacts --------------------------------------------------------------------------

# Cuts partition N (1-based, sfdisk order) out of a disk image into a file.
cut_partition() {
  local image=$1 n=$2 out=$3
  local start size
  start=$(sfdisk --json "$image" | jq ".partitiontable.partitions[$((n - 1))].start")
  size=$(sfdisk --json "$image" | jq ".partitiontable.partitions[$((n - 1))].size")
  dd if="$image" of="$out" bs=512 skip="$start" count="$size" status=none
}

# Flips one byte at OFFSET of FILE (xor 0xff).
flip_byte() {
  local file=$1 off=$2
  local b
  b=$(dd if="$file" bs=1 skip="$off" count=1 status=none | od -An -tu1 | tr -d ' ')
  printf "$(printf '\\%03o' $((b ^ 255)))" | dd of="$file" bs=1 seek="$off" count=1 conv=notrunc status=none
}

# check_dsse ENVELOPE CERT SUBJECTS: verifies a DSSE envelope's signature with openssl over its
# pre-authentication encoding (PAE), then writes its in-toto subjects, sorted, to SUBJECTS as
# "SHA256  NAME" lines (the format of SHA256SUMS).
check_dsse() {
  local env=$1 cert=$2 subjects=$3 type
  jq -r .payload "$env" | base64 -d > "$T/dsse.statement"
  type=$(jq -r .payloadType "$env")
  { printf 'DSSEv1 %d %s %d ' "${#type}" "$type" "$(stat -c %s "$T/dsse.statement")"; cat "$T/dsse.statement"; } > "$T/dsse.pae"
  jq -r '.signatures[0].sig' "$env" | base64 -d > "$T/dsse.sig"
  openssl x509 -in "$cert" -pubkey -noout > "$T/dsse.pub"
  openssl dgst -sha256 -verify "$T/dsse.pub" -signature "$T/dsse.sig" "$T/dsse.pae" >/dev/null || fail "DSSE signature of $env"
  jq -r '.subject[] | "\(.digest.sha256)  \(.name)"' "$T/dsse.statement" | sort > "$subjects"
}

# --- servers on 127.0.0.1, stopped on exit -------------------------------------------------------

# free_port: prints a TCP port on 127.0.0.1 that is free now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# serve_dir DIR [READY_PATH]: Python's HTTP server for DIR on a free 127.0.0.1 port, stopped on
# exit or by stop_serving; sets HTTP_PORT and HTTP_PID. Returns once READY_PATH (default: the
# top directory's listing) answers.
serve_dir() {
  local dir=$1 ready=${2:-}
  HTTP_PORT=$(free_port)
  python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 --directory "$dir" >/dev/null 2>&1 &
  HTTP_PID=$!
  on_exit "kill $HTTP_PID; wait $HTTP_PID"
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$HTTP_PORT/$ready" >/dev/null && break
    sleep 0.1
  done
  curl -fs "http://127.0.0.1:$HTTP_PORT/$ready" >/dev/null || fail "the HTTP server for $dir did not start"
}
# stop_serving: stops serve_dir's server now (to test what happens without it).
stop_serving() { kill "$HTTP_PID" 2>/dev/null || true; wait "$HTTP_PID" 2>/dev/null || true; }

# start_registry: Debian's docker-registry on a free 127.0.0.1 port with storage in $T/reg,
# stopped on exit; sets R=127.0.0.1:PORT. Skips the test (exit 0) when it is not installed.
start_registry() {
  command -v docker-registry >/dev/null || { echo "skip: docker-registry not installed"; exit 0; }
  local port pid
  port=$(free_port)
  mkdir -p "$T/reg"
  printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$T/reg" "$port" > "$T/reg.yml"
  docker-registry serve "$T/reg.yml" >"$T/reg.log" 2>&1 &
  pid=$!
  on_exit "kill $pid; wait $pid"
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null || { cat "$T/reg.log" >&2; fail "docker-registry did not start"; }
  R=127.0.0.1:$port
}
