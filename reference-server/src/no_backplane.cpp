// chat-server --cluster in a build without the NATS C client (libnats): refused, saying why.
#include "backplane.hpp"

namespace chat_server {

std::unique_ptr<room_backplane> make_cluster_backplane(const std::string&, const server_config&,
                                                       room_registry&, logger&,
                                                       std::string& error) {
    error = "--cluster needs the NATS C client (libnats), and this chat-server was built without "
            "it (Debian: apt-get install libnats-dev, then rebuild)";
    return nullptr;
}

} // namespace chat_server
