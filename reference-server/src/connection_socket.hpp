// The socket type of a client connection: TCP, with a connection strand as its executor.
#pragma once

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

namespace chat_server {

// What every handler of one connection runs on: a strand of the server's pool
// (server_state::connection_strand).
using connection_executor = boost::asio::strand<boost::asio::io_context::executor_type>;

// A client connection's TCP socket. Its executor is the concrete strand type rather than
// any_io_executor: the socket is 56 bytes instead of 88, a pending operation carries a 24-byte
// executor instead of a 56-byte type-erased one, and a completion is dispatched to the strand
// without an indirect call.
using connection_socket =
    boost::asio::basic_stream_socket<boost::asio::ip::tcp, connection_executor>;

} // namespace chat_server
