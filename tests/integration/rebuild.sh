# Issue 7: `kiln rebuild MANIFEST --check` rebuilds what a manifest records and compares every
# digest; after an input changed it names the input, the artifact and the file that differ.
source "$(dirname "$0")/lib.sh"
make_keys
mkdir -p "$T/src/overlay/etc"
printf 'one\n' > "$T/src/overlay/etc/app.conf"
printf '[image]\nname = "rb"\nversion = "1"\n[base]\ntype = "scratch"\n[[overlay]]\nsource = "overlay"\n[output]\nformats = ["raw", "oci"]\n' > "$T/src/recipe.toml"
keys=(--key "$T/keys/kiln.key" --cert "$T/keys/kiln.crt")
"$KILN" build "$T/src/recipe.toml" -o "$T/out" "${keys[@]}" -q >/dev/null
(cd "$T/src" && "$KILN" rebuild "$T/out/rb_1.manifest.json" --check "${keys[@]}" -q) > "$T/ok.txt" || fail "rebuild --check of an unchanged tree"
grep -q "digests identical" "$T/ok.txt" || fail "rebuild summary"
pass "$(cat "$T/ok.txt")"

printf 'two\n' > "$T/src/overlay/etc/app.conf"
(cd "$T/src" && expect_exit 1 "$KILN" rebuild "$T/out/rb_1.manifest.json" --check "${keys[@]}" -q)
grep -q "rb_1.root.squashfs" "$T/stderr" || { cat "$T/stderr"; fail "does not name the root artifact"; }
grep -q "input overlay overlay changed" "$T/stderr" || { cat "$T/stderr"; fail "does not name the changed input"; }
grep -q "/etc/app.conf: content" "$T/stderr" || { cat "$T/stderr"; fail "does not name the changed file"; }
pass "a changed overlay file is explained: input, artifact and file"

printf '# edited\n' >> "$T/src/recipe.toml"
(cd "$T/src" && expect_exit 1 "$KILN" rebuild "$T/out/rb_1.manifest.json" --check -q)
grep -q "is not the one the manifest records" "$T/stderr" || { cat "$T/stderr"; fail "edited recipe not detected"; }
pass "an edited recipe is refused"
