// The checks of each area of SPEC.md, one file per area (conn.cpp judges CONN-*, ...).
#pragma once

#include "../check.hpp"

#include <vector> // vector

namespace chat::conformance {

std::vector<check> conn_checks();
std::vector<check> msg_checks();
std::vector<check> ord_checks();
std::vector<check> hist_checks();
std::vector<check> room_checks();
std::vector<check> slow_checks();
std::vector<check> http_checks();
std::vector<check> ws_checks();
std::vector<check> limit_checks();
std::vector<check> shut_checks();

} // namespace chat::conformance
