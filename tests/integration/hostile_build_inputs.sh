# Issue 14 (build side): recipe strings that would split records of /etc/passwd, sizes that
# would wrap the layout arithmetic, and a private key others can read are clear errors
# (exit 2, file:line:column for recipe values) that leave nothing in the output directory.
source "$(dirname "$0")/lib.sh"
mkdir -p "$T/r" "$T/out"
head='[image]
name = "demo"
version = "1"
[base]
type = "scratch"
'
check() {  # check NAME PATTERN (exit 2)
  local name=$1 pattern=$2
  expect_exit 2 "$KILN" build "$T/r/$name.toml" -o "$T/out" --unsigned
  grep -qF -- "$pattern" "$T/stderr" || { cat "$T/stderr"; fail "$name: message does not contain '$pattern'"; }
  [ -z "$(ls -A "$T/out")" ] || { ls -A "$T/out"; fail "$name: left something in the output directory"; }
  pass "$name: $(grep '^kiln: error' "$T/stderr")"
}

# A home with a newline and colons once appended a second uid 0 account to /etc/passwd.
printf '%s[[user]]\nname = "svc"\nhome = "/x\\nroot::0:0::/:/bin/sh"\n' "$head" > "$T/r/passwd.toml"
check passwd "passwd.toml:8:8: [[user]][0].home: contains a newline (not allowed in an /etc/passwd home directory)"
printf '%s[[user]]\nname = "svc"\nshell = "/bin/sh:x"\n' "$head" > "$T/r/shell.toml"
check shell "shell.toml:8:9: [[user]][0].shell: contains ':'"
printf '%s[data]\nsize = "16M"\nmountpoint = "/srv/a b"\n' "$head" > "$T/r/fstab.toml"
check fstab "fstab.toml:8:14: [data].mountpoint: contains a space (not allowed in an /etc/fstab mount point)"
printf '%s[boot]\nkernel_cmdline = ["quiet\\ninit=/bin/sh"]\n' "$head" > "$T/r/cmdline.toml"
check cmdline "cmdline.toml:7:19: [boot].kernel_cmdline[0]: contains a newline"
printf '%s[services]\nenable = ["a.service\\n[Unit]"]\n' "$head" > "$T/r/unit.toml"
check unit "unit.toml:7:11: [services].enable[0]: invalid unit name: contains a newline"

# 2^64 - 8191 bytes once wrapped the partition arithmetic into a tiny layout.
printf '%s[data]\nsize = "18446744073709543425"\n' "$head" > "$T/r/huge.toml"
check huge "huge.toml:7:8: [data].size: size 18446744073709543425 bytes is larger than 1024T (1 PiB), the largest kiln supports"
printf '%s[disk]\nesp_size = 18446744073709543\n' "$head" > "$T/r/esp.toml"
check esp "esp.toml:7:12: [disk].esp_size: size 18446744073709543 bytes is larger than 1024T"

# A private key group or others can read is refused like ssh does, with the fix.
make_keys
chown 0:0 "$T/keys/kiln.key"
printf '%s[output]\nformats = ["raw"]\n' "$head" > "$T/r/ok.toml"
chmod 0644 "$T/keys/kiln.key"
expect_exit 2 "$KILN" build "$T/r/ok.toml" -o "$T/out" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt"
grep -qF "permissions 0644 for '$T/keys/kiln.key' are too open; run chmod 600 $T/keys/kiln.key" "$T/stderr" ||
  { cat "$T/stderr"; fail "key permissions message"; }
[ -z "$(ls -A "$T/out")" ] || fail "a refused key left something in the output directory"
chmod 0600 "$T/keys/kiln.key"
"$KILN" build "$T/r/ok.toml" -o "$T/out" --key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt" -q >/dev/null ||
  fail "a 0600 key is refused"
pass "a 0644 private key is refused (exit 2, with the chmod), a 0600 one is used"
