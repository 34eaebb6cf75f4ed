# Issue 19: `cmake --install` to a temporary prefix gives a working kiln (its --version names
# the git revision and library versions), a man page `man -l` renders, and bash and zsh
# completions that name every subcommand the CLI lists in `kiln help`.
source "$(dirname "$0")/lib.sh"
build_dir=$(dirname "$KILN")
[ -f "$build_dir/cmake_install.cmake" ] || fail "no cmake_install.cmake beside $KILN"

cmake --install "$build_dir" --prefix "$T/p" >"$T/install.log" || { cat "$T/install.log" >&2; fail "cmake --install"; }
for f in bin/kiln share/man/man1/kiln.1 share/bash-completion/completions/kiln share/zsh/vendor-completions/_kiln \
         share/kiln/recipes/examples/hello.toml share/kiln/overlays/hello/usr/bin/hello share/doc/kiln/recipe.md \
         share/doc/kiln/README.md; do
  [ -f "$T/p/$f" ] || fail "not installed: $f"
done
[ -x "$T/p/share/kiln/overlays/hello/usr/bin/hello" ] || fail "the example overlay's program lost its mode"
pass "installed binary, man page, completions, examples and docs"

"$T/p/bin/kiln" --version > "$T/version"
grep -qE '^kiln [0-9]+\.[0-9]+\.[0-9]+ \(git [0-9a-zA-Z.+_-]+\)$' "$T/version" || { cat "$T/version" >&2; fail "--version has no git revision"; }
if git -C "$KILN_SOURCE_DIR" rev-parse --short HEAD >/dev/null 2>&1; then
  grep -q "$(git -C "$KILN_SOURCE_DIR" rev-parse --short=7 HEAD)" "$T/version" || fail "--version does not name the checkout's revision"
fi
grep -qx "libsquashfs $(pkg-config --modversion libsquashfs1)" "$T/version" || fail "libsquashfs version"
grep -qx "zstd $(pkg-config --modversion libzstd)" "$T/version" || fail "zstd version"
grep -q "^OpenSSL $(pkg-config --modversion openssl)" "$T/version" || fail "OpenSSL version"
grep -qx "libcurl $(pkg-config --modversion libcurl)" "$T/version" || fail "libcurl version"
pass "installed kiln --version: $(head -1 "$T/version")"

# The installed example builds from the installed tree (its overlays are found relatively).
"$T/p/bin/kiln" --cache "$T/cache" -q build "$T/p/share/kiln/recipes/examples/hello.toml" --unsigned -o "$T/out" > "$T/build.out"
[ -f "$T/out/hello_1.0.0.raw" ] || fail "installed hello example did not build"
[ ! -s "$T/build.out" ] || { cat "$T/build.out" >&2; fail "-q printed more than errors"; }
pass "the installed hello example builds unsigned; -q prints nothing"

MANWIDTH=80 man --warnings -l "$T/p/share/man/man1/kiln.1" > "$T/man.txt" 2> "$T/man.err"
[ ! -s "$T/man.err" ] || { cat "$T/man.err" >&2; fail "man reported warnings"; }
grep -q '^NAME' "$T/man.txt" && grep -q 'kiln - reproducible' "$T/man.txt" || fail "man page does not render"

# Subcommands, from the CLI itself: the indented names under "Subcommands:" in `kiln help`.
"$KILN" help | awk 'toupper($0) ~ /^SUBCOMMANDS:/ {s=1; next} s && /^[^ ]/ {s=0} s && NF {print $1}' | sort -u > "$T/commands"
[ "$(wc -l < "$T/commands")" -ge 10 ] || { "$KILN" help >&2; fail "could not read the subcommands from kiln help"; }
bash_list=$(sed -n 's/^ *local commands="\(.*\)"$/\1/p' "$T/p/share/bash-completion/completions/kiln")
zsh_list=$(sed -n "s/^    '\([a-z-]*\):.*/\1/p" "$T/p/share/zsh/vendor-completions/_kiln" | tr '\n' ' ')
while read -r c; do
  [[ " $bash_list " == *" $c "* ]] || fail "bash completion misses subcommand '$c'"
  [[ " $zsh_list " == *" $c "* ]] || fail "zsh completion misses subcommand '$c'"
  grep -qE "^\.BR? $c( |$)|^\.BI $c " "$T/p/share/man/man1/kiln.1" || fail "man page does not describe '$c'"
done < "$T/commands"
pass "man page renders; bash, zsh completions and the man page name all $(wc -l < "$T/commands") subcommands"

bash -n "$T/p/share/bash-completion/completions/kiln" || fail "bash completion syntax"
if command -v zsh >/dev/null; then zsh -n "$T/p/share/zsh/vendor-completions/_kiln" || fail "zsh completion syntax"; fi

# The bash completion completes them in bash itself.
if [ -f /usr/share/bash-completion/bash_completion ]; then
  got=$(bash -c 'source /usr/share/bash-completion/bash_completion; source "$1"
    COMP_WORDS=(kiln b); COMP_CWORD=1; COMP_LINE="kiln b"; COMP_POINT=${#COMP_LINE}; _kiln; echo "${COMPREPLY[*]}"' _ \
    "$T/p/share/bash-completion/completions/kiln")
  [[ " $got " == *" build "* && " $got " == *" boot "* ]] || fail "bash completion of 'kiln b' gave '$got'"
  pass "bash completes 'kiln b' to: $got"
fi
