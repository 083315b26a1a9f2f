# The official Huawei SWR Python SDK (PyPI huaweicloudsdkswr) in a throwaway venv, for
# crates/emulator/tests/huawei_sdk.rs (the SDK lists the emulator completely). Sourced by .ci/run.
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
  apt_install python3 python3-venv
fi
HUAWEI_SDK_VENV="$(mktemp -d -t reginv-huawei-sdk.XXXXXX)"
on_exit "rm -rf '${HUAWEI_SDK_VENV}'"
if ! REGINV_TEST_HUAWEI_SDK_PYTHON="$(crates/emulator/tests/sdk/huawei_sdk_venv.sh "${HUAWEI_SDK_VENV}")"; then
  echo "huawei-sdk: cannot install huaweicloudsdkswr in a venv" >&2
  exit 1
fi
export REGINV_TEST_HUAWEI_SDK_PYTHON
echo "huawei-sdk: ${REGINV_TEST_HUAWEI_SDK_PYTHON}"
