# PostgreSQL for the store tests (reginv-store, reginv-cli): a throwaway cluster on a loopback
# port, owned by the `postgres` user, deleted on exit. Exports REGINV_TEST_POSTGRES_URL.
# Sourced by .ci/run (which defines apt_install and on_exit).

pg_bindir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "${dir}/initdb" ]; then echo "${dir}"; return 0; fi
  done
  return 1
}

if ! pg_bindir >/dev/null; then
  apt_install postgresql
fi
PG_BIN="$(pg_bindir)"
PG_DIR="$(mktemp -d /tmp/reginv-pg.XXXXXX)"
PG_PORT="${REGINV_TEST_POSTGRES_PORT:-55432}"
chown postgres:postgres "${PG_DIR}"
# initdb and the server refuse to run as root: run them as `postgres`.
runuser -u postgres -- "${PG_BIN}/initdb" -D "${PG_DIR}/data" -U postgres -A trust \
  --no-sync >"${PG_DIR}/initdb.log" 2>&1
runuser -u postgres -- "${PG_BIN}/pg_ctl" -D "${PG_DIR}/data" -l "${PG_DIR}/server.log" -w \
  -o "-p ${PG_PORT} -k ${PG_DIR} -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
on_exit "runuser -u postgres -- '${PG_BIN}/pg_ctl' -D '${PG_DIR}/data' -m immediate stop >/dev/null 2>&1; rm -rf '${PG_DIR}'"
runuser -u postgres -- "${PG_BIN}/createdb" -h 127.0.0.1 -p "${PG_PORT}" -U postgres reginv_test
export REGINV_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:${PG_PORT}/reginv_test?sslmode=disable"
echo "$("${PG_BIN}/postgres" --version) listening on 127.0.0.1:${PG_PORT} (${REGINV_TEST_POSTGRES_URL})"
