#pragma once
/// Admission to gated on-sales: signed tokens that the booking path checks
/// without the database, and the QueueTicket document.

#include <cstdint>
#include <string>
#include <string_view>

#include "evently/request.hpp"
#include "evently/time.hpp"

namespace evently {

/// How long a token works from its admission time (the contract's 900 s).
inline constexpr int64_t kAdmissionTokenMicros = int64_t{900} * 1000000;

/// A token for `user` at `event`, working until `expires_micros`: the three
/// values and a MAC under a key derived from the deployment's secret,
/// base64url.
std::string admission_token(int64_t user, int64_t event, int64_t expires_micros);

/// Whether `token` was made by admission_token for this user and event and
/// still works at `now_micros`. Constant-time in the MAC.
bool admission_token_valid(std::string_view token, int64_t user, int64_t event,
                           int64_t now_micros);

/// The user whose working Admission-Token for this event the request
/// carries, now; 0 when it carries none (user ids start at 1). For the
/// booking path, which learns the caller from the database in the same
/// round trip that checks this user is them.
int64_t admitted_user(const Request& req, int64_t event);

/// The QueueTicket document: {"event_id","position","admitted","admitted_at",
/// "admission_token","token_expires_at"}, the token only once admitted.
std::string queue_ticket_json(int64_t user, int64_t event, int64_t position,
                              int64_t admitted_at_micros, bool is_admitted);

}  // namespace evently
