// A chat client: one WebSocket connection, a member of one room.
#pragma once

#include "connection_socket.hpp"

#include <boost/asio/ip/tcp.hpp>
#ifndef CHAT_NO_TLS
#include <boost/asio/ssl/stream.hpp>
#endif
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory> // shared_ptr
#include <string> // string

namespace chat_server {

struct server_state;
class room;

// Completes the upgrade `request` on `socket` and makes the connection a client of `r`.
// `early` holds the bytes the client sent behind the request head (read with it into the HTTP
// buffer): they are the start of its WebSocket stream (RFC 6455 section 4.1: the client may
// send frames as soon as it has sent the handshake), parsed before anything read afterwards.
void run_websocket_session(connection_socket socket,
                           boost::beast::http::request<boost::beast::http::string_body> request,
                           std::string early, std::shared_ptr<room> r, std::string user,
                           std::shared_ptr<server_state> state);
#ifndef CHAT_NO_TLS
// The same over TLS (wss://); `early` is plaintext already decrypted.
void run_websocket_session(boost::asio::ssl::stream<connection_socket> stream,
                           boost::beast::http::request<boost::beast::http::string_body> request,
                           std::string early, std::shared_ptr<room> r, std::string user,
                           std::shared_ptr<server_state> state);
#endif

} // namespace chat_server
