#!/usr/bin/env bash
# Refreshes what docs/ generates: the endpoint list of docs/api.md (from the OpenAPI schema) and
# the screenshots of the user guides (docs/screenshots/, taken by the browser journey of every
# role at 1280 and 390 px). Chinese needs a CJK font in the browser, else it renders as boxes.
# Usage: bash ops/docs.sh [more pytest arguments]
PORTAL_EXTRAS=test
source "$(dirname "$0")/bootstrap.sh"

if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  echo "docs: installing fonts-noto-cjk for the screenshots" >&2
  apt_install fonts-noto-cjk
fi
python -m app.api_reference docs/api.md
PORTAL_DOCS_SCREENSHOTS=1 exec bash ops/test.sh tests/browser/test_journeys.py -q -p no:cacheprovider "$@"
