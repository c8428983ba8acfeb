#!/bin/sh
# Renders an HTML report in headless Chromium and fails unless a screenshot results: proof the
# page opens in a real browser with the network cut off. Each TEXT given after OUT.png must then
# be in the DOM the browser built (its --dump-dom), e.g. a chart's title or class="marker".
# Exits 77 (skip) when chromium is absent.
# usage: check-html-render.sh REPORT.html [OUT.png [TEXT...]]
set -eu

if [ $# -lt 1 ]; then
    echo "usage: $0 REPORT.html [OUT.png [TEXT...]]" >&2
    exit 2
fi
html=$1
if [ ! -f "$html" ]; then
    echo "check-html-render: no such file: $html" >&2
    exit 2
fi

browser=""
for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then
        browser=$candidate
        break
    fi
done
if [ -z "$browser" ]; then
    echo "check-html-render: chromium not installed (apt-get install -y chromium); skipping" >&2
    exit 77
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
out=${2:-$profile/render.png}
rm -f "$out"
abs=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")

# No network at all: a page that tried to fetch something would show gaps, not pass silently.
headless() {
    timeout 90 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --proxy-server=127.0.0.1:9 --user-data-dir="$profile" "$@" "file://$abs"
}
headless --screenshot="$out" --window-size=1200,2000 >"$profile/log" 2>&1 || true

if [ ! -s "$out" ]; then
    echo "check-html-render: $browser produced no screenshot of $html" >&2
    tail -n 20 "$profile/log" >&2
    exit 1
fi
# A PNG starts with \211PNG.
if [ "$(head -c 4 "$out" | tail -c 3)" != "PNG" ]; then
    echo "check-html-render: $out is not a PNG" >&2
    exit 1
fi
# What the browser parsed, not only what the file holds.
if [ $# -gt 2 ]; then
    shift 2
    headless --dump-dom >"$profile/dom.html" 2>"$profile/dom.log" || true
    for text in "$@"; do
        if ! grep -qF -- "$text" "$profile/dom.html"; then
            echo "check-html-render: the DOM of $html has no '$text'" >&2
            exit 1
        fi
    done
    echo "check-html-render: the DOM has all $# required texts"
fi
echo "check-html-render: $html rendered to $out ($(wc -c <"$out") bytes)"
