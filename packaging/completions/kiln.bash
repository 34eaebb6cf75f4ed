# bash completion for kiln (installed to share/bash-completion/completions/kiln).
# Written by hand: CLI11 cannot generate completions. tests/integration/install.sh checks that
# the command list below names every subcommand `kiln help` lists.
_kiln() {
  local cur prev words cword
  _init_completion || return
  local commands="build validate keygen verify push pull rebuild lock inspect diff boot publish flash cache help"
  local globals="--json -q --quiet -j --jobs --cache --offline --cache-max --version --help"
  local cmd="" w
  for w in "${words[@]:1:cword-1}"; do
    case " $commands " in *" $w "*) cmd=$w; break ;; esac
  done
  case $prev in
    --cache|-o|--output|--out|--serve|--archive|--from) _filedir -d; return ;;
    --key|--cert|--cache-trust|--manifest|--bmap|--serial-log|--recipe) _filedir; return ;;
    --sbom) COMPREPLY=($(compgen -W "spdx cyclonedx" -- "$cur")); return ;;
    --algorithm) COMPREPLY=($(compgen -W "rsa ec" -- "$cur")); return ;;
    --accel) COMPREPLY=($(compgen -W "auto kvm tcg" -- "$cur")); return ;;
  esac
  local opts=""
  case $cmd in
    "") COMPREPLY=($(compgen -W "$commands $globals" -- "$cur")); return ;;
    build) opts="-o --output --key --cert --unsigned --sbom --archive --cache-from --cache-to --cache-trust --cache-insecure" ;;
    keygen) opts="--out --subject --name --algorithm --days" ;;
    verify) opts="--cert --manifest --allow-backing-file --registry --key --insecure" ;;
    inspect) opts="--allow-backing-file" ;;
    flash) opts="--bmap --yes --insecure" ;;
    push) opts="--sign --key --insecure --archive" ;;
    pull) opts="--insecure --force" ;;
    rebuild) opts="--recipe -o --output --key --cert --check --from" ;;
    boot) opts="--check --timeout --grace --snapshot --memory --cpus --accel --qemu-arg --serial-log --expect --fail-on --allow --follow-reboots --reset-on --serve" ;;
    publish) opts="--key --cert --keep --no-compress --allow-older --allow-other-signer" ;;
    cache) COMPREPLY=($(compgen -W "info prune --max" -- "$cur")); return ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts $globals" -- "$cur"))
  else
    _filedir
  fi
}
complete -F _kiln kiln
