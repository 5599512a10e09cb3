// GET /events/{id}/queue: the caller's ticket, polled by every waiting
// client. A ticket is fixed when it is made, so a worker keeps each ticket it
// read, by session and event, and answers it again with no round trip while
// the change board has seen none of what could change the answer: the
// session ending, the user joining again, the event changing. Otherwise one
// indexed read; the token is made here from its signature key either way.
#include "evently/admission.hpp"
#include "evently/auth.hpp"
#include "evently/board.hpp"
#include "evently/cache.hpp"
#include "evently/server.hpp"

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

struct Ticket {
  int64_t user;
  int64_t position;
  int64_t admitted_at;  ///< microseconds since the epoch
};

// What the answer for this session and event depends on, on the board.
static uint64_t ticket_mark(const Board& board, const std::string& session, int64_t user, int64_t event) {
  return board.mark(Board::Kind::session, session) + board.mark(Board::Kind::ticket, user, event) +
         board.mark(Board::Kind::event, event);
}

static Response ticket_answer(int64_t event, const Ticket& t) {
  return Response::json(200, queue_ticket_json(t.user, event, t.position, t.admitted_at,
                                               t.admitted_at <= now_micros()));
}

int main() {
  static LruCache tickets(8 << 20);  // session/event -> Ticket
  static LruCache users(4 << 20);    // session -> its user
  return serve({.name = "queue_get", .statements = {kTicket}}, [](const Request& req, Db& db) {
    const std::string session = token_digest(require_bearer(req));
    int64_t event = 0;
    try {
      event = path_id(req, "event_not_found", "Event not found");
    } catch (const ApiError&) {
      authenticate(req, db);  // a bad token is 401 before the path's 404
      throw;
    }
    const std::string key = session + '/' + std::to_string(event);
    const Board* board = Board::get();
    const LruCache::Ptr known = users.peek(session);
    const int64_t known_user = known ? std::stoll(known->body) : 0;
    const uint64_t mark = board != nullptr && known_user != 0 ? ticket_mark(*board, session, known_user, event) : 0;
    if (const LruCache::Ptr kept = tickets.peek(key); kept && known_user != 0 && on_board(*kept, mark))
      return ticket_answer(event, *std::static_pointer_cast<const Ticket>(kept->object));

    const auto rows = db.exec(kTicket.name, session, event);
    if (rows.empty()) throw unauthorized("The token is invalid, expired or revoked");
    const auto& row = rows[0];
    if (!row[0].as<bool>()) throw ApiError(404, "event_not_found", "Event not found");
    const int64_t user = row[2].as<int64_t>();
    if (known_user != user) users.put(session, LruCache::Entry{.version = {}, .body = std::to_string(user), .gzipped = {}});
    if (!row[1].as<bool>() || row[3].is_null())
      throw ApiError(404, "not_in_queue", "You are not in this event's queue");

    auto ticket = std::make_shared<const Ticket>(Ticket{user, row[3].as<int64_t>(), row[4].as<int64_t>()});
    const LruCache::Ptr kept = tickets.put(key, LruCache::Entry{.version = {}, .body = {}, .gzipped = {},
                                                                .object = ticket, .object_bytes = sizeof(Ticket)});
    // On the board only when the mark read first was this user's.
    if (known_user == user) put_on_board(*kept, mark, row[5].as<int64_t>());
    return ticket_answer(event, *ticket);
  });
}
