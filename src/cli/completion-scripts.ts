/**
 * The scripts `cachex completion <shell>` prints. Each asks `cachex __complete
 * <words…>` for candidates at every TAB (so task names and flags follow the
 * config of the folder you are in) and passes the words as separate arguments:
 * nothing typed is evaluated by the shell. The last line of the answer says
 * whether to complete paths instead (`:files`, `:dirs`) or not (`:none`).
 */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const bash = `# cachex completion for bash. Load it in ~/.bashrc with:
#   source <(cachex completion bash)
_cachex_complete() {
  local cur=\${COMP_WORDS[COMP_CWORD]} out mode line
  COMPREPLY=()
  out=$(command cachex __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return 0
  mode=\${out##*$'\\n'}
  case $mode in
    :files) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return 0 ;;
    :dirs) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return 0 ;;
  esac
  while IFS= read -r line; do
    [[ -z $line || $line == :* ]] && continue
    COMPREPLY+=("\${line%%$'\\t'*}")
  done <<< "$out"
  return 0
}
complete -F _cachex_complete cachex
`;

const zsh = `#compdef cachex
# cachex completion for zsh. Load it in ~/.zshrc (after compinit) with:
#   source <(cachex completion zsh)
_cachex() {
  local out mode line
  local -a lines items
  out=$(command cachex __complete "\${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
  lines=("\${(@f)out}")
  mode=\${lines[-1]}
  case $mode in
    :files) _files; return ;;
    :dirs) _files -/; return ;;
  esac
  for line in "\${(@)lines[1,-2]}"; do
    items+=("\${\${line%%$'\\t'*}//:/\\\\:}:\${line#*$'\\t'}")
  done
  (( \${#items} )) && _describe -t values 'cachex' items
}
if (( $+functions[compdef] )); then
  compdef _cachex cachex
else
  print -u2 'cachex completion: run compinit first (autoload -U compinit && compinit).'
fi
`;

const fish = `# cachex completion for fish. Load it with:
#   cachex completion fish > ~/.config/fish/completions/cachex.fish
function __cachex_complete
    set -l words (commandline -opc) (commandline -ct)
    set -e words[1]
    set -l out (command cachex __complete $words 2>/dev/null)
    or return
    switch $out[-1]
        case :files
            __fish_complete_path (commandline -ct)
        case :dirs
            __fish_complete_directories (commandline -ct)
        case '*'
            set -e out[-1]
            printf '%s\\n' $out
    end
end
complete -c cachex -f -a '(__cachex_complete)'
`;

export function completionScript(shell: Shell): string {
  return { bash, zsh, fish }[shell];
}
