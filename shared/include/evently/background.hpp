#pragma once
/// What every background process (the offer maker, the sweeper) starts with.

namespace evently {

/// Readies libsodium and makes SIGTERM and SIGINT ask the process to stop
/// (after the round in flight). False when libsodium cannot start.
bool start_background_process();

/// Whether SIGTERM or SIGINT has come.
bool stop_requested();

}  // namespace evently
