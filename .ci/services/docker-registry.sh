# The CNCF Distribution registry (Debian `docker-registry`, 2.8) for tests/oci_registry.rs, and
# `htpasswd` (apache2-utils) for its bcrypt password file. The tests start their own registries
# (anonymous, Basic, token) on free loopback ports with throwaway storage; this script only makes
# sure the binaries are there and says where.
# shellcheck shell=bash
if ! command -v docker-registry >/dev/null 2>&1 || ! command -v htpasswd >/dev/null 2>&1; then
  apt_install docker-registry apache2-utils
fi
REGINV_TEST_DOCKER_REGISTRY="$(command -v docker-registry)"
REGINV_TEST_HTPASSWD="$(command -v htpasswd)"
export REGINV_TEST_DOCKER_REGISTRY REGINV_TEST_HTPASSWD
