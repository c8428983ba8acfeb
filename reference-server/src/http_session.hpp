// An HTTP connection: keep-alive requests to /health and /api/..., and the upgrade to /ws, over
// plain TCP or, with --tls-cert/--tls-key, TLS (detected per connection).
#pragma once

#include "connection_socket.hpp"

#include <memory> // shared_ptr

namespace chat_server {

struct server_state;

// Serves a freshly accepted connection (its executor a strand of the server's pool) until it closes
// or upgrades. With a TLS context in `state`, a connection that opens with a TLS ClientHello is
// served over TLS after the handshake, any other as plain HTTP.
void run_connection(connection_socket socket, std::shared_ptr<server_state> state);

} // namespace chat_server
