// GET /events/{id}/queue: the caller's ticket, polled by every waiting
// client. A ticket is fixed when it is made, so the machine's workers share
// each ticket they read, by session and event (tickets.hpp), and answer it
// again with no round trip while the change board has seen none of what
// could change the answer: the session ending, the user joining (again),
// the event changing. "Not in this queue" is kept the same way. Otherwise one indexed read; the token is made here from
// its signature key either way.
#include "evently/admission.hpp"
#include "evently/auth.hpp"
#include "evently/board.hpp"
#include "evently/server.hpp"
#include "evently/tickets.hpp"

using namespace evently;

// The session, the event (gated or not) and the caller's latest ticket: one
// probe each, in one round trip.
static const Statement kTicket{
    "queue_ticket",
    "SELECT e.id IS NOT NULL, e.admission_rate IS NOT NULL, s.user_id, q.position, "
    "(extract(epoch FROM q.admitted_at) * 1000000)::bigint, "
    "(extract(epoch FROM s.expires_at) * 1000000)::bigint "
    "FROM sessions s LEFT JOIN events e ON e.id = $2 "
    "LEFT JOIN LATERAL (SELECT t.position, t.admitted_at FROM queue_tickets t "
    "WHERE t.event_id = e.id AND t.user_id = s.user_id ORDER BY t.position DESC LIMIT 1) q ON true "
    "WHERE s.token_hash = $1::bytea AND s.expires_at > now()",
    true};

// What the answer for this session and event depends on, on the board.
static uint64_t ticket_mark(const Board& board, const std::string& session, int64_t user, int64_t event) {
  return board.mark(Board::Kind::session, session) + board.mark(Board::Kind::ticket, user, event) +
         board.mark(Board::Kind::event, event);
}

static ApiError not_in_queue() { return ApiError(404, "not_in_queue", "You are not in this event's queue"); }

static Response ticket_answer(int64_t event, int64_t user, int64_t position, int64_t admitted_at) {
  return Response::json(200, queue_ticket_json(user, event, position, admitted_at, admitted_at <= now_micros()));
}

int main() {
  return serve({.name = "queue_get", .statements = {kTicket}}, [](const Request& req, Db& db) {
    const std::string session = token_digest(require_bearer(req));
    int64_t event = 0;
    try {
      event = path_id(req, "event_not_found", "Event not found");
    } catch (const ApiError&) {
      authenticate(req, db);  // a bad token is 401 before the path's 404
      throw;
    }
    // The record kept for this session and event (user 0: none) names its
    // user, whose ticket's mark is then read before PostgreSQL is.
    const Board* board = Board::get();
    SharedTickets* tickets = SharedTickets::get();
    const TicketRecord kept =
        tickets != nullptr ? tickets->find(session, event).value_or(TicketRecord{}) : TicketRecord{};
    const uint64_t mark = kept.user != 0 && board != nullptr ? ticket_mark(*board, session, kept.user, event) : 0;
    if (kept.user != 0 && kept.trusted_until > now_micros() && kept.board_mark == mark) {
      if (kept.position == 0) throw not_in_queue();
      return ticket_answer(event, kept.user, kept.position, kept.admitted_at);
    }

    const auto rows = db.exec(kTicket.name, session, event);
    if (rows.empty()) throw unauthorized("The token is invalid, expired or revoked");
    const auto& row = rows[0];
    if (!row[0].as<bool>()) throw ApiError(404, "event_not_found", "Event not found");
    const int64_t user = row[2].as<int64_t>();
    const bool queued = row[1].as<bool>() && !row[3].is_null();
    const int64_t position = queued ? row[3].as<int64_t>() : 0;  // 0: not in the queue
    const int64_t admitted_at = queued ? row[4].as<int64_t>() : 0;
    if (tickets != nullptr) {
      // Trusted only when the mark read first was this user's (else the next
      // poll reads it again, knowing the user).
      const int64_t until = kept.user == user
                                ? std::min(now_micros() + tickets->trust_micros(), row[5].as<int64_t>())
                                : 0;
      tickets->keep(ticket_record(session, event, user, position, admitted_at, mark, until));
    }
    if (!queued) throw not_in_queue();
    return ticket_answer(event, user, position, admitted_at);
  });
}
