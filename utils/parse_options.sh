# shellcheck shell=bash
# parse_options.sh: Kaldi/ESPnet-style command-line options for recipe scripts. Source it after
# declaring every option as a shell variable with its default:
#
#   stage=0
#   stop_stage=6
#   use_gpu=false
#   help_message="Usage: $0 [options] <data-dir>"
#   . utils/parse_options.sh     # parses "$@"; what is left are the positional arguments
#
# Accepted forms:
#   --stop-stage 6, --stop_stage 6, --stop-stage=6   set stop_stage (dashes become underscores); in the
#                               spaced form a value that is itself a defined option (`--stage --name x`)
#                               is an error: a forgotten value (use --stage=--name for such a value)
#   --use-gpu true|false        an option whose default is true/false only takes true or false
#   --config FILE               source FILE (lines like `stage=3`) before the other options, so
#                               options on the command line win, wherever --config appears
#   --help, -h                  print $help_message on stdout and exit 0
#   --                          ends the options; later words stay positional
# Only options whose variable is already defined are accepted; any other exits 1 naming it.
# Parsing stops at the first word that is not an option; it and all later words are left in "$@".

_po_prog=${0##*/}

# Pass 1: --help anywhere among the options wins; --config files are sourced in order.
_po_i=1
while [ "$_po_i" -le $# ]; do
  _po_arg=${!_po_i}
  case $_po_arg in
    --help|-h)
      if [ -n "${help_message+set}" ]; then
        printf '%s\n' "$help_message"
      else
        echo "$_po_prog: this script defines no help_message" >&2
      fi
      exit 0 ;;
    --config|--config=*)
      if [ "$_po_arg" = --config ]; then
        _po_i=$((_po_i + 1))
        if [ "$_po_i" -gt $# ]; then
          echo "$_po_prog: option --config needs a file" >&2
          exit 1
        fi
        _po_file=${!_po_i}
      else
        _po_file=${_po_arg#--config=}
      fi
      if [ ! -f "$_po_file" ]; then
        echo "$_po_prog: config file '$_po_file' (from --config) not found" >&2
        exit 1
      fi
      # shellcheck disable=SC1090
      . "$_po_file" || { echo "$_po_prog: error while sourcing config file '$_po_file'" >&2; exit 1; }
      ;;
    --) break ;;
    --*=*) ;;
    --*) _po_i=$((_po_i + 1)) ;;   # skip the option's value (it may itself look like -h)
    *) break ;;
  esac
  _po_i=$((_po_i + 1))
done

# Pass 2: set the variables, shifting the options off "$@".
while [ $# -gt 0 ]; do
  case $1 in
    --) shift; break ;;
    --config) shift 2; continue ;;
    --config=*) shift; continue ;;
    --*=*)
      _po_name=${1%%=*}; _po_name=${_po_name#--}
      _po_value=${1#*=}
      shift ;;
    --?*)
      _po_name=${1#--}
      if [ $# -lt 2 ]; then
        echo "$_po_prog: option --$_po_name needs a value" >&2
        exit 1
      fi
      _po_value=$2
      # `--stage --name x` would set stage=--name: a value that is itself a defined option is a
      # forgotten value. (A value that really is such a word: --stage=--name.)
      _po_next=${_po_value#--}; _po_next=${_po_next//-/_}
      if [[ $_po_value == --?* && $_po_next =~ ^[A-Za-z][A-Za-z0-9_]*$ ]] && [ -n "${!_po_next+set}" ]; then
        echo "$_po_prog: option --$_po_name needs a value, but the next word is the option $_po_value" \
             "(write --$_po_name=$_po_value if that is the value)" >&2
        exit 1
      fi
      shift 2 ;;
    *) break ;;
  esac
  _po_var=${_po_name//-/_}
  if [[ ! $_po_var =~ ^[A-Za-z][A-Za-z0-9_]*$ ]] || [ -z "${!_po_var+set}" ]; then
    echo "$_po_prog: unknown option --$_po_name (no variable '$_po_var' is defined; see --help)" >&2
    exit 1
  fi
  case ${!_po_var} in
    true|false)
      case $_po_value in
        true|false) ;;
        *) echo "$_po_prog: option --$_po_name takes true or false, got '$_po_value'" >&2
           exit 1 ;;
      esac ;;
  esac
  printf -v "$_po_var" '%s' "$_po_value"
done

unset _po_prog _po_i _po_arg _po_file _po_name _po_value _po_var _po_next
true
