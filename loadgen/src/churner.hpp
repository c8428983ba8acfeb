// The churn pool (--churn-pool): clients outside the measured rooms, each cycling over and
// over: TCP connect, upgrade into a random churn room (PREFIX-c<k>), optionally one message,
// the close handshake, closed. They stress joins and leaves while the measured clients
// exchange traffic, and count `churn_cycles` / `churn_cycle_failures`.
#pragma once

namespace chat::load {

class event_loop;

// Starts churner `index` on `loop` (on the loop's thread). It stops when its loop's share of
// --churn-cycles is spent, sending ends or the run is ending, and then calls
// loop.churner_done(). Every step of a cycle is bounded by --connect-timeout + 2 s.
void spawn_churner(event_loop& loop, long index);

} // namespace chat::load
