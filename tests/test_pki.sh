# A test PKI made at run time with the openssl CLI, sourced by the end-to-end test scripts.
# make_test_pki DIR: writes into DIR a CA (ca.pem, ca.key) and server certificates it signs for
# one key (server.key): good.pem (localhost, 127.0.0.1, ::1), wrong.pem (wrong.example only)
# and expired.pem (good names, expired yesterday). EC P-256 keys: fast to make. Returns
# non-zero, with openssl's output on stderr, when openssl fails.
make_test_pki() {
  local d=$1
  mkdir -p "$d" || return 1
  (
    cd "$d" || exit 1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key \
      -out ca.pem -subj /CN=chat-test-ca -days 2 &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key \
      -out server.csr -subj /CN=localhost &&
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n' >good.ext &&
    printf 'subjectAltName=DNS:wrong.example\n' >wrong.ext &&
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 1 -days 2 \
      -extfile good.ext -out good.pem &&
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 2 \
      -extfile wrong.ext -out wrong.pem &&
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 3 -days -1 \
      -extfile good.ext -out expired.pem
  ) >"$d/openssl.log" 2>&1 || { cat "$d/openssl.log" >&2; return 1; }
}
