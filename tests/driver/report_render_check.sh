#!/bin/sh
# Renders the HTML report of the ReportCli test in headless Chromium (offline) and checks that a
# non-trivial screenshot comes out. Usage: tests/driver/report_render_check.sh BUILD_DIR
# Needs `chromium` (Debian package). Registered in ctest by tests/driver/tests.cmake when found.
set -eu
build=${1:-build}
out=$(mktemp -d)
DMDE_REPORT_KEEP="$out/report.html" "$build/tests/dmde_driver_tests" --gtest_filter=ReportCli.SelfContainedHtmlWithPlots >/dev/null
test -s "$out/report.html"
# --no-sandbox: ctest runs as root in CI containers; no network is needed (everything is inline).
chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars \
  --window-size=1400,3000 --screenshot="$out/report.png" "file://$out/report.html" >/dev/null 2>&1
size=$(wc -c < "$out/report.png")
echo "screenshot: $out/report.png ($size bytes)"
# A blank page of this size compresses to a few kB; plots and tables give far more.
test "$size" -gt 50000
