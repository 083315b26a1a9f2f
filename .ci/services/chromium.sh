# Headless Chromium for the report page's browser test (crates/cli/tests/report.rs).
# Sourced by .ci/run: installs Debian's chromium when missing and tells the test where it is.
if ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium
fi
REGINV_TEST_CHROMIUM="$(command -v chromium)"
export REGINV_TEST_CHROMIUM
