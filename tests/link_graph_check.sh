#!/usr/bin/env bash
# The architecture check (ctest link_graph): every library declares what it uses.
#   tests/link_graph_check.sh BUILD/link_graph.txt SOURCE_DIR
#
# link_graph.txt (written by the top CMakeLists) lists each Ferry library's archive and the
# libraries it links, and the files of the external libraries. Two rules:
#   1. Symbols: a symbol a library leaves undefined and another Ferry library (or an external
#      library) defines must come from a library it declares, directly or through what those
#      declare. So "ferry_config links only common while calling into turn" fails here, even
#      though the final link of turnserver happens to succeed.
#   2. Includes: a library's sources and its public headers (include/ferry/<module>/) include
#      ferry/<module>/ headers only of libraries it declares the same way.
# Symbols of the C and C++ runtimes are not checked: no library declares those.
set -euo pipefail
GRAPH=${1:?usage: $0 link_graph.txt source_dir}
SRC=${2:?usage: $0 link_graph.txt source_dir}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
: >"$TMP/defs"; : >"$TMP/weak"; : >"$TMP/undefs"; : >"$TMP/deps"; : >"$TMP/includes"

while read -r kind name rest; do
  case "$kind" in
    lib)
      read -r archive srcdir <<<"$rest"
      # Strong definitions only: a weak one (an inline function, a template instance) is
      # compiled into every library that uses it, so it says nothing about dependencies.
      nm -P -g --defined-only "$archive" |
        awk -v o="$name" 'NF >= 2 && $2 ~ /^[TDBR]$/ { print $1, o }' >>"$TMP/defs"
      nm -P -g --defined-only "$archive" |
        awk -v o="$name" 'NF >= 2 && $2 ~ /^[VWvwu]$/ { print $1, o }' >>"$TMP/weak"
      nm -P -u "$archive" | awk -v o="$name" 'NF >= 2 && $2 == "U" { print o, $1 }' >>"$TMP/undefs"
      module=${name#ferry_}
      for dir in "$srcdir" "$SRC/include/ferry/$module"; do
        [ -d "$dir" ] || continue
        grep -rHoE '#include "ferry/[a-z_]+/' --include='*.h' --include='*.cc' "$dir" |
          sed -E 's|^([^:]+):#include "ferry/([a-z_]+)/|\1 \2|' |
          awk -v o="$name" '{ print o, "ferry_" $2, $1 }' >>"$TMP/includes" || true
      done
      ;;
    deps)
      echo "$name $rest" >>"$TMP/deps"
      ;;
    ext)
      for f in $rest; do
        nm -D -P --defined-only "$f" |
          awk -v o="$name" 'NF >= 2 && $2 ~ /^[TDBRViW]$/ { sub(/@.*/, "", $1); print $1, o }' \
            >>"$TMP/defs"
      done
      ;;
  esac
done <"$GRAPH"

awk -v tmp="$TMP" '
  function reach(lib, from,    n, i, parts) {
    if ((from SUBSEP lib) in closure) return
    closure[from, lib] = 1
    n = split(deps[lib], parts, " ")
    for (i = 1; i <= n; ++i) reach(parts[i], from)
  }
  FILENAME == tmp "/deps" {
    d = ""
    for (i = 2; i <= NF; ++i) d = d " " $i
    deps[$1] = d
    libs[$1] = 1
    next
  }
  FILENAME == tmp "/defs" { providers[$1] = providers[$1] " " $2; next }
  FILENAME == tmp "/weak" { weak[$1, $2] = 1; next }
  FILENAME == tmp "/undefs" {
    if (!closed) {
      # OpenSSL::SSL brings libcrypto (its imported target says so).
      deps["OpenSSL::SSL"] = deps["OpenSSL::SSL"] " OpenSSL::Crypto"
      for (l in libs) reach(l, l)
      closed = 1
    }
    lib = $1; sym = $2
    n = split(providers[sym], who, " ")
    if (n == 0) next                         # the C/C++ runtime, or nobody: the linker says
    ok = 0
    for (i = 1; i <= n; ++i) {
      if (who[i] == lib || (lib SUBSEP who[i]) in closure) ok = 1
    }
    if ((sym SUBSEP lib) in weak) ok = 1   # its own inline copy
    if (!ok && !((lib SUBSEP sym) in seen)) {
      seen[lib, sym] = 1
      print "symbol " lib " " who[1] " " sym
    }
    next
  }
  FILENAME == tmp "/includes" {
    if ($1 != $2 && !(($1 SUBSEP $2) in closure)) print "include " $1 " " $2 " " $3
  }
' "$TMP/deps" "$TMP/defs" "$TMP/weak" "$TMP/undefs" "$TMP/includes" >"$TMP/violations"

if [ -s "$TMP/violations" ]; then
  echo "link graph: libraries use what they do not declare (fix target_link_libraries):" >&2
  sort -u "$TMP/violations" | while read -r what lib other detail; do
    if [ "$what" = symbol ]; then
      echo "  $lib uses $(echo "$detail" | c++filt) from $other" >&2
    else
      echo "  $lib: ${detail#"$SRC"/} includes a header of $other" >&2
    fi
  done
  exit 1
fi
echo "link graph: $(awk '{print $1}' "$TMP/deps" | grep -c '^ferry_') libraries, every symbol and" \
  "include from a declared dependency"
