"""The seed design's read endpoints, for bench/compare to measure beside Evently.

A plain Flask app of the kind the project started from: each request runs
straightforward SQL through psycopg2 (one connection per worker, kept open),
and the JSON is built in Python. It serves the public reads of the contract
(/work/shared/API.md) from the same PostgreSQL database as Evently:

  GET /events?q=&venue=&from=&to=&limit=&cursor=
  GET /events/<id>
  GET /events/<id>/seats?section=&status=

Booked seats are the sum of the event's counter shards (event_seat_counts),
held seats the seats of its unexpired active holds, as the contract defines
them. No cache, no ETag: every request asks the database.
"""
import base64
import datetime
import os
import re

import psycopg2
from flask import Flask, jsonify, request

app = Flask(__name__)
DSN = os.environ["PEER_DSN"]
_conn = None


def db():
    global _conn
    if _conn is None or _conn.closed:
        _conn = psycopg2.connect(DSN, application_name="bench-peer")
        _conn.autocommit = True
        _conn.cursor().execute("SET default_transaction_read_only = on")
    return _conn


def rows(sql, params=()):
    """The rows of a query, as tuples, and the names of its columns."""
    global _conn
    try:
        with db().cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall(), [d[0] for d in cur.description]
    except psycopg2.OperationalError:
        _conn = None
        raise


def query(sql, params=()):
    """The rows of a query, as dicts."""
    found, names = rows(sql, params)
    return [dict(zip(names, r)) for r in found]


def problem(status, code, detail, field=None):
    titles = {400: "Bad Request", 404: "Not Found"}
    body = {"type": "about:blank", "title": titles.get(status, "Error"), "status": status,
            "code": code, "detail": detail}
    if field:
        body["errors"] = [{"field": field, "message": detail}]
    res = jsonify(body)
    res.status_code = status
    res.content_type = "application/problem+json"
    return res


def rfc3339(t, exact=False):
    if t is None:
        return None
    t = t.astimezone(datetime.timezone.utc)
    if exact:
        return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_time(text, end_of_day):
    if DATE.match(text):
        d = datetime.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=datetime.timezone.utc)
        return d + datetime.timedelta(days=1, microseconds=-1) if end_of_day else d
    t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError("an offset is required")
    return t


def like(text):
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


EVENT_COLUMNS = """
  e.id, e.name, e.venue, e.description, e.starts_at, e.capacity, e.min_price_cents,
  e.max_price_cents, e.hold_seconds, e.admission_opens_at, e.admission_rate,
  e.created_at, e.updated_at,
  (SELECT coalesce(sum(c.booked), 0) FROM event_seat_counts c WHERE c.event_id = e.id) AS booked,
  (SELECT coalesce(sum(h.seat_count), 0) FROM holds h
    WHERE h.event_id = e.id AND h.status = 'active' AND h.expires_at > now()) AS held
"""


def sections_of(ids):
    out = {i: [] for i in ids}
    if ids:
        for s in query("SELECT event_id, name, rows, seats_per_row, price_cents FROM sections "
                       "WHERE event_id = ANY(%s) ORDER BY event_id, position", (list(ids),)):
            out[s["event_id"]].append({"name": s["name"], "rows": s["rows"],
                                       "seats_per_row": s["seats_per_row"],
                                       "price_cents": s["price_cents"]})
    return out


def event_json(e, sections):
    booked, held = int(e["booked"]), int(e["held"])
    admission = None
    if e["admission_rate"] is not None:
        admission = {"opens_at": rfc3339(e["admission_opens_at"]), "rate_per_minute": e["admission_rate"]}
    return {
        "id": e["id"], "name": e["name"], "venue": e["venue"], "description": e["description"],
        "starts_at": rfc3339(e["starts_at"]), "capacity": e["capacity"],
        "available_seats": e["capacity"] - booked - held, "held_seats": held, "booked_seats": booked,
        "min_price_cents": e["min_price_cents"], "max_price_cents": e["max_price_cents"],
        "hold_seconds": e["hold_seconds"], "admission": admission, "sections": sections,
        "created_at": rfc3339(e["created_at"], True), "updated_at": rfc3339(e["updated_at"], True),
    }


@app.get("/events")
def list_events():
    args = request.args
    try:
        limit = int(args.get("limit", "20"))
        if not 1 <= limit <= 100:
            raise ValueError
    except ValueError:
        return problem(400, "validation_failed", "limit must be 1..100", "limit")
    bounds = {}
    for name in ("from", "to"):
        if args.get(name):
            try:
                bounds[name] = parse_time(args[name], name == "to")
            except ValueError:
                return problem(400, "validation_failed", name + " must be an RFC 3339 time or a date", name)
    after = None
    if args.get("cursor"):
        try:
            t, i = base64.urlsafe_b64decode(args["cursor"].encode()).decode().split("|")
            after = (datetime.datetime.fromisoformat(t), int(i))
        except Exception:
            return problem(400, "validation_failed", "cursor is malformed", "cursor")
    where, params = [], []
    if args.get("q"):
        where.append("(e.name ILIKE %s OR e.venue ILIKE %s)")
        params += [like(args["q"])] * 2
    if args.get("venue"):
        where.append("e.venue ILIKE %s")
        params.append(like(args["venue"]))
    if "from" in bounds:
        where.append("e.starts_at >= %s")
        params.append(bounds["from"])
    if "to" in bounds:
        where.append("e.starts_at <= %s")
        params.append(bounds["to"])
    if after:
        where.append("(e.starts_at, e.id) > (%s, %s)")
        params += list(after)
    rows = query("SELECT " + EVENT_COLUMNS + " FROM events e" +
                 (" WHERE " + " AND ".join(where) if where else "") +
                 " ORDER BY e.starts_at, e.id LIMIT %s", params + [limit + 1])
    page = rows[:limit]
    sections = sections_of([e["id"] for e in page])
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = base64.urlsafe_b64encode(
            ("%s|%d" % (last["starts_at"].isoformat(), last["id"])).encode()).decode()
    return jsonify({"events": [event_json(e, sections[e["id"]]) for e in page], "next_cursor": next_cursor})


def event_id(text):
    return int(text) if text.isdigit() and 0 < int(text) < 2 ** 63 else None


@app.get("/events/<id_text>")
def get_event(id_text):
    i = event_id(id_text)
    rows = query("SELECT " + EVENT_COLUMNS + " FROM events e WHERE e.id = %s", (i,)) if i else []
    if not rows:
        return problem(404, "event_not_found", "Event not found")
    return jsonify(event_json(rows[0], sections_of([i])[i]))


@app.get("/events/<id_text>/seats")
def get_seats(id_text):
    status = request.args.get("status")
    if status is not None and status not in ("available", "held", "booked"):
        return problem(400, "validation_failed", "status must be available, held or booked", "status")
    i = event_id(id_text)
    if not i or not query("SELECT 1 FROM events WHERE id = %s", (i,)):
        return problem(404, "event_not_found", "Event not found")
    section = request.args.get("section")
    found, names = rows(
        "SELECT s.id, sec.name AS section, s.row, s.number, s.price_cents, "
        "       CASE WHEN s.booking_id IS NOT NULL THEN 'booked' "
        "            WHEN s.held_until > now() THEN 'held' ELSE 'available' END AS status "
        "  FROM seats s JOIN sections sec ON sec.id = s.section_id "
        " WHERE s.event_id = %s ORDER BY sec.position, s.row, s.number", (i,))
    seats = [dict(zip(names, s)) for s in found
             if (section is None or s[1] == section) and (status is None or s[5] == status)]
    return jsonify({"event_id": i, "sections": sections_of([i])[i], "seats": seats})
