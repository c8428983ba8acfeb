// An HTTP connection: keep-alive requests to /health and /api/..., and the upgrade to /ws.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <memory> // shared_ptr

namespace chat_server {

struct server_state;

// Serves HTTP on `socket` (whose executor is a strand) until it closes or upgrades.
void run_http_session(boost::asio::ip::tcp::socket socket, std::shared_ptr<server_state> state);

} // namespace chat_server
