# Changed C++ lines follow .clang-format: `git clang-format --diff` over every line that differs
# from the merge base with main (origin/main when there is one, or KILN_FORMAT_BASE), committed
# or not. Only changed lines are judged, so parallel branches never reformat each other's code.
# Passes with a message where there is nothing to compare: not a git checkout, no main branch,
# or no clang-format installed.
set -u
src=${KILN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src" || exit 1
command -v git-clang-format >/dev/null && command -v clang-format >/dev/null ||
  { echo "skipped: clang-format (git-clang-format) not installed"; exit 0; }
git rev-parse --git-dir >/dev/null 2>&1 || { echo "skipped: $src is not a git checkout"; exit 0; }
base_ref=${KILN_FORMAT_BASE:-}
if [ -z "$base_ref" ]; then
  for r in origin/main main; do
    if git rev-parse -q --verify "$r^{commit}" >/dev/null; then base_ref=$r; break; fi
  done
fi
[ -n "$base_ref" ] || { echo "skipped: no main branch to compare with"; exit 0; }
base=$(git merge-base HEAD "$base_ref" 2>/dev/null) || { echo "skipped: no merge base with $base_ref"; exit 0; }

out=$(git clang-format --diff --extensions cc,h "$base" 2>&1)
if grep -q '^@@' <<<"$out"; then
  echo "FAIL: changed lines since $base_ref ($(git rev-parse --short "$base")) do not follow .clang-format:"
  echo "$out"
  echo "fix with: git clang-format $(git rev-parse --short "$base")"
  exit 1
fi
echo "ok: changed lines since $base_ref ($(git rev-parse --short "$base")) follow .clang-format ($out)"
