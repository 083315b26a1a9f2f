#!/usr/bin/env bash
# Makes (or reuses) a venv in DIR with the official Huawei SWR Python SDK and prints its python.
#
#   crates/emulator/tests/sdk/huawei_sdk_venv.sh DIR
#
# Then run the SDK test against the emulator with:
#   REGINV_TEST_HUAWEI_SDK_PYTHON=DIR/bin/python cargo test -p reginv-emulator --test huawei_sdk
# (.ci/services/huawei-sdk.sh does exactly this with a throwaway DIR.)
set -euo pipefail
dir="${1:?usage: huawei_sdk_venv.sh DIR}"
# The SDK version the test was written against; its models declare the fields the test checks.
sdk="huaweicloudsdkswr==3.1.219"
if [ ! -x "${dir}/bin/python" ]; then
  python3 -m venv "${dir}" >&2
fi
"${dir}/bin/python" -m pip install --quiet --disable-pip-version-check "${sdk}" >&2
"${dir}/bin/python" -c "import huaweicloudsdkswr.v2" >&2
echo "${dir}/bin/python"
