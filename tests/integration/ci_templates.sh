# Issue 19: every CI template users copy from ci/templates/ loads. All parse as YAML; GitHub
# workflows validate against GitHub's workflow schema (@action-validator/cli, pinned, from npm,
# installed once into the test cache); GitLab files use only documented keywords.
source "$(dirname "$0")/lib.sh"
templates=$KILN_SOURCE_DIR/ci/templates
validator_version=0.6.0
py=/usr/bin/python3  # Debian's, with python3-yaml (ci/setup)

for f in "$templates"/*.yml; do
  "$py" -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$f" 2>"$T/err" || { cat "$T/err" >&2; fail "$(basename "$f") is not valid YAML"; }
done
pass "$(ls "$templates"/*.yml | wc -l) templates parse as YAML"

# GitLab: top-level keys are global keywords or jobs (hidden jobs start with '.'); job keys are
# job keywords (https://docs.gitlab.com/ee/ci/yaml/).
cat > "$T/gitlab_keys.py" <<'PY'
import sys, yaml
GLOBAL = {"default", "include", "stages", "variables", "workflow", "image", "services", "cache",
          "before_script", "after_script", "spec"}
JOB = {"after_script", "allow_failure", "artifacts", "before_script", "cache", "coverage",
       "dast_configuration", "dependencies", "environment", "extends", "hooks", "identity",
       "id_tokens", "image", "inherit", "interruptible", "manual_confirmation", "needs", "pages",
       "parallel", "release", "resource_group", "retry", "rules", "run", "script", "secrets",
       "services", "stage", "tags", "timeout", "trigger", "variables", "when", "only", "except"}
doc = yaml.safe_load(open(sys.argv[1]))
bad = []
stages = doc.get("stages", ["build", "test", "deploy"])
for key, value in doc.items():
    if key in GLOBAL:
        continue
    if not isinstance(value, dict):
        bad.append(f"top-level '{key}' is neither a keyword nor a job")
        continue
    for k in value:
        if k not in JOB:
            bad.append(f"job '{key}': undocumented keyword '{k}'")
    if not key.startswith(".") and "script" not in value and "extends" not in value and "trigger" not in value:
        bad.append(f"job '{key}' has no script")
    if "stage" in value and value["stage"] not in stages:
        bad.append(f"job '{key}': stage '{value['stage']}' is not in stages")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
gitlab=0
for f in "$templates"/gitlab*.yml; do
  [ -e "$f" ] || continue
  "$py" "$T/gitlab_keys.py" "$f" > "$T/err" || { cat "$T/err" >&2; fail "$(basename "$f")"; }
  gitlab=$((gitlab + 1))
done
# The keyword check itself must catch a misspelt keyword.
printf 'stages: [build]\nb:\n  stage: build\n  scrpit: [true]\n' > "$T/bad-gitlab.yml"
! "$py" "$T/gitlab_keys.py" "$T/bad-gitlab.yml" >/dev/null || fail "the GitLab keyword check accepts 'scrpit'"
pass "$gitlab GitLab templates use only documented keywords"

command -v npm >/dev/null || fail "npm is not installed (run ci/setup)"
dir=${KILN_TEST_CACHE:-/var/tmp/kiln-test-cache}/npm/action-validator-$validator_version
validator=$dir/node_modules/.bin/action-validator
if [ ! -x "$validator" ]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --no-save --silent \
    "@action-validator/cli@$validator_version" "@action-validator/core@$validator_version" >"$T/npm.log" 2>&1 \
    || { cat "$T/npm.log" >&2; fail "npm install @action-validator/cli@$validator_version"; }
fi
github=0
for f in "$templates"/github*.yml; do
  [ -e "$f" ] || continue
  "$validator" "$f" > "$T/err" 2>&1 || { cat "$T/err" >&2; fail "$(basename "$f") does not validate against GitHub's workflow schema"; }
  github=$((github + 1))
done
printf 'on: push\njobs:\n  a:\n    runs-on: x\n    stepz: []\n' > "$T/bad-github.yml"
! "$validator" "$T/bad-github.yml" >/dev/null 2>&1 || fail "action-validator accepts an unknown job key"
pass "$github GitHub workflows validate with action-validator $validator_version"

# The templates use kiln's image or package: no job compiles kiln.
! grep -lE 'cmake --build|git clone .*kiln' "$templates"/*.yml || fail "a template still compiles kiln"
pass "no template compiles kiln"
