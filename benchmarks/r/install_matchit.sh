#!/usr/bin/env bash
# Build MatchIt 4.7.2 (the current CRAN release) and the two dependencies Debian
# ships too old (rlang >= 1.1 and chk >= 0.10) from their public git sources into a
# private R library, for the MatchIt peer in benchmarks/matching.py and for
# regenerating tests/reference/ fixtures.  Debian's r-cran-matchit is 4.5.1, which
# is quadratic and has a caliper bug (MatchIt issue #163), so it is not a fair peer.
#
# Usage: benchmarks/r/install_matchit.sh SRC_DIR [LIB_DIR]
#   SRC_DIR holds git clones named MatchIt, chk and rlang, e.g.
#     git clone https://github.com/kosukeimai/MatchIt SRC_DIR/MatchIt
#     git clone https://github.com/poissonconsulting/chk SRC_DIR/chk
#     git clone https://github.com/r-lib/rlang SRC_DIR/rlang
#   LIB_DIR defaults to $R_LIBS or ./rlib.
# Needs Debian's r-base-dev r-cran-rcpp r-cran-rcppprogress r-cran-backports
# r-cran-lifecycle.  The sources are not part of this repository.
set -euo pipefail
src=${1:?usage: install_matchit.sh SRC_DIR [LIB_DIR]}
lib=${2:-${R_LIBS:-./rlib}}
mkdir -p "$lib"
# MatchIt has no release tags: 14a3cab is the 4.7.2 CRAN submission (2025-05-29);
# later commits only touch README.
declare -A ref=([rlang]=v1.1.6 [chk]=v0.10.0 [MatchIt]=14a3cab)
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
for pkg in rlang chk MatchIt; do            # dependency order
  git -C "$src/$pkg" archive --format=tar --prefix="$pkg/" "${ref[$pkg]}" | tar -x -C "$build"
  R_LIBS="$lib" R CMD INSTALL --no-docs --no-multiarch --no-test-load -l "$lib" "$build/$pkg"
done
R_LIBS="$lib" Rscript -e 'library(MatchIt); stopifnot(packageVersion("MatchIt") == "4.7.2",
  packageVersion("rlang") >= "1.1.0"); cat("MatchIt", format(packageVersion("MatchIt")), "\n")'
