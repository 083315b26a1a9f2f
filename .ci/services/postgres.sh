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
# Without a port given, the next ones are tried when it is taken (a cluster of an earlier run
# still shutting down once held it): up to ten.
PG_TRIES=1
[ -n "${REGINV_TEST_POSTGRES_PORT:-}" ] || PG_TRIES=10
chown postgres:postgres "${PG_DIR}"
# initdb and the server refuse to run as root: run them as `postgres`.
runuser -u postgres -- "${PG_BIN}/initdb" -D "${PG_DIR}/data" -U postgres -A trust \
  --no-sync >"${PG_DIR}/initdb.log" 2>&1
# TLS for the sslmode=require / verify-full tests: a throwaway CA, and a server certificate it
# signs for 127.0.0.1 and localhost; the tests trust the CA through sslrootcert.
if ! command -v openssl >/dev/null 2>&1; then
  apt_install openssl
fi
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=reginv test CA" \
  -keyout "${PG_DIR}/root.key" -out "${PG_DIR}/root.crt" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
  -keyout "${PG_DIR}/data/server.key" -out "${PG_DIR}/server.csr" >/dev/null 2>&1
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"${PG_DIR}/server.ext"
openssl x509 -req -in "${PG_DIR}/server.csr" -CA "${PG_DIR}/root.crt" -CAkey "${PG_DIR}/root.key" \
  -CAcreateserial -days 2 -extfile "${PG_DIR}/server.ext" -out "${PG_DIR}/data/server.crt" >/dev/null 2>&1
chown postgres:postgres "${PG_DIR}/data/server.key" "${PG_DIR}/data/server.crt"
chmod 600 "${PG_DIR}/data/server.key"
for try in $(seq 1 "${PG_TRIES}"); do
  if runuser -u postgres -- "${PG_BIN}/pg_ctl" -D "${PG_DIR}/data" -l "${PG_DIR}/server.log" -w \
    -o "-p ${PG_PORT} -k ${PG_DIR} -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on" start >/dev/null; then
    break
  fi
  if [ "${try}" -eq "${PG_TRIES}" ] || ! grep -q "Address already in use" "${PG_DIR}/server.log"; then
    echo "PostgreSQL did not start; its log ends:" >&2
    tail -5 "${PG_DIR}/server.log" >&2
    exit 1
  fi
  echo "port ${PG_PORT} is taken; trying $((PG_PORT + 1))"
  PG_PORT=$((PG_PORT + 1))
done
on_exit "runuser -u postgres -- '${PG_BIN}/pg_ctl' -D '${PG_DIR}/data' -m immediate stop >/dev/null 2>&1; rm -rf '${PG_DIR}'"
runuser -u postgres -- "${PG_BIN}/createdb" -h 127.0.0.1 -p "${PG_PORT}" -U postgres reginv_test
export REGINV_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:${PG_PORT}/reginv_test?sslmode=disable"
# The same server over TLS: the tests add sslmode=require, or verify-full with this root.
export REGINV_TEST_POSTGRES_ROOT_CERT="${PG_DIR}/root.crt"
echo "$("${PG_BIN}/postgres" --version) listening on 127.0.0.1:${PG_PORT} (${REGINV_TEST_POSTGRES_URL})"
