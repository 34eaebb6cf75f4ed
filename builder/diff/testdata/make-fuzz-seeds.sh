#!/bin/bash
# Regenerates the squashfs seed images in fuzz/squashfs_listing/ (squashfs-tools-ng, python3).
# normal-*: every inode type, owners, a multi-block file, a dpkg status, three compressors.
# symlink-newline: a link target holding a newline and a fake `unsquashfs -lln` line with `..`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/fuzz/squashfs_listing
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
cd "$w"
printf 'hello\n' > hello
printf 'Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2\n\n' > status
head -c 300000 /dev/zero | tr '\0' 'a' > big
cat > desc <<'EOF'
dir /etc 0755 0 0
file /etc/hello 0644 12 34 hello
file /etc/big 04750 0 0 big
slink /etc/link 0777 0 0 ../etc/hello
dir /dev 0755 0 0
nod /dev/null 0666 0 0 c 1 3
nod /dev/high 0660 0 6 b 259 300
pipe /dev/fifo 0600 0 0
dir /var 0755 0 0
dir /var/lib 0755 0 0
dir /var/lib/dpkg 0755 0 0
file /var/lib/dpkg/status 0644 0 0 status
dir /empty 0700 0 0
EOF
export SOURCE_DATE_EPOCH=0
mkdir -p "$out" && rm -f "$out"/*.sqfs
gensquashfs -q -F desc -c xz "$out/normal-xz.sqfs"
gensquashfs -q -F desc -c gzip -b 4096 "$out/normal-gzip.sqfs"
gensquashfs -q -F desc -c zstd "$out/normal-zstd.sqfs"
python3 - <<'EOF'
import io, tarfile
t = tarfile.open('evil.tar', 'w', format=tarfile.PAX_FORMAT)
def add(name, kind, data=b'', target='', mode=0o644):
    ti = tarfile.TarInfo(name); ti.type = kind; ti.mode = mode; ti.mtime = 0
    if kind == tarfile.REGTYPE:
        ti.size = len(data); t.addfile(ti, io.BytesIO(data))
    else:
        ti.linkname = target; t.addfile(ti)
add('etc', tarfile.DIRTYPE, mode=0o755)
add('etc/hello', tarfile.REGTYPE, b'hello\n')
add('etc/evil', tarfile.SYMTYPE, mode=0o777,
    target='x\n-rwxr-xr-x 0/0 5 2026-01-01 00:00 squashfs-root/../../../../../../../../tmp/wtc/sentinel')
t.close()
EOF
tar2sqfs -q -f "$out/symlink-newline.sqfs" < evil.tar
