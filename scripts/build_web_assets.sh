#!/usr/bin/env bash
# Rebuild the web application's compiled assets (src/desist/entrypoints/web/static/) from the npm registry.
#
# The output is committed: it is package data, so `pip install desist` needs no Node. Run this only to move
# to new versions of the design system (change the versions below, run, review the diff, update README.md
# in static/). Needs node and npm; works in a temporary directory and removes it.
#
# What is built, and why not the packages' own dist CSS:
#   desist.min.css        govuk-frontend + @ministryofjustice/frontend compiled from their Sass with
#                         Arial instead of "GDS Transport": that typeface (and the GOV.UK crown) may only be
#                         used by services on the GOV.UK domain, so neither is shipped.
#   govuk-frontend.min.js govuk-frontend's compiled ES module (dist), as published.
#   desist-init.js        sets the body classes the design system keys on (an external file: the CSP
#                         allows no inline script).
#   desist.js             initialises the GOV.UK components (module script).
set -euo pipefail

GOVUK_FRONTEND_VERSION="6.6.0"
MOJ_FRONTEND_VERSION="11.1.0"
SASS_VERSION="1.108.2"

here="$(cd "$(dirname "$0")/.." && pwd)"
out="$here/src/desist/entrypoints/web/static"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts --silent \
  "govuk-frontend@$GOVUK_FRONTEND_VERSION" \
  "@ministryofjustice/frontend@$MOJ_FRONTEND_VERSION" \
  "sass@$SASS_VERSION"

cat > entry.scss <<'SCSS'
// MoJ Frontend's settings configure GOV.UK Frontend; then GOV.UK's styles, then MoJ's.
@use "node_modules/@ministryofjustice/frontend/moj/settings/all" as moj-settings with (
  $moj-font-family: (arial, sans-serif),
  $moj-assets-path: "/static/"
);
@use "node_modules/@ministryofjustice/frontend/moj/vendor/govuk-frontend" as configured;
@use "node_modules/govuk-frontend/dist/govuk" as govuk;
@use "node_modules/@ministryofjustice/frontend/moj/all" as moj;
SCSS
npx sass --load-path=. --no-source-map --style=compressed --quiet-deps --quiet entry.scss desist.min.css

mkdir -p "$out"
cp desist.min.css "$out/desist.min.css"
# the published module without its source-map comment (the map is not shipped)
sed -e 's#//\# sourceMappingURL=.*$##' node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js \
  > "$out/govuk-frontend.min.js"
echo "built $(du -h "$out/desist.min.css" | cut -f1) CSS and $(du -h "$out/govuk-frontend.min.js" | cut -f1) JS in $out"
