#include "evently/seat_map.hpp"

#include "evently/json.hpp"

namespace evently {

const Statement kSeatLayoutStatement{
    "seat_layout",
    "SELECT s.section_id, s.id, s.row, s.number, s.price_cents FROM seats s "
    "WHERE s.event_id = $1 ORDER BY s.section_id, s.row, s.number",
    true};
const Statement kSectionsStatement{
    "seat_sections",
    "SELECT id, name, json_build_object('name', name, 'rows', rows, 'seats_per_row', seats_per_row, "
    "'price_cents', price_cents)::text FROM sections WHERE event_id = $1 ORDER BY id",
    true};

SeatLayout load_seat_layout(Db& db, int64_t event_id) {
  SeatLayout layout;
  const auto sections = db.exec(kSectionsStatement.name, event_id);
  std::vector<int64_t> section_ids;
  std::vector<std::string> quoted_names;
  layout.sections_json = "[";
  for (const auto& row : sections) {
    if (!section_ids.empty()) layout.sections_json += ',';
    section_ids.push_back(row[0].as<int64_t>());
    layout.section_names.push_back(row[1].c_str());
    quoted_names.push_back(quote(row[1].c_str()));
    layout.sections_json += row[2].c_str();
  }
  layout.sections_json += ']';

  const auto seats = db.exec(kSeatLayoutStatement.name, event_id);
  layout.seats.reserve(seats.size());
  uint32_t section = 0;
  for (const auto& row : seats) {
    while (section < section_ids.size() && section_ids[section] != row[0].as<int64_t>()) ++section;
    if (section == section_ids.size()) break;  // the event changed under us; caller reloads
    layout.seats.push_back(
        {section, std::string("{\"id\":") + row[1].c_str() + ",\"section\":" + quoted_names[section] +
                      ",\"row\":" + row[2].c_str() + ",\"number\":" + row[3].c_str() +
                      ",\"price_cents\":" + row[4].c_str() + ",\"status\":\""});
  }
  return layout;
}

std::string render_seat_map(int64_t event_id, const SeatLayout& layout, std::string_view statuses,
                            const std::optional<std::string>& section,
                            const std::optional<std::string>& status) {
  std::optional<uint32_t> only_section;
  if (section) {
    only_section = static_cast<uint32_t>(layout.section_names.size());  // none: empty list
    for (uint32_t i = 0; i < layout.section_names.size(); ++i)
      if (layout.section_names[i] == *section) only_section = i;
  }
  // statuses[i]: '0' available, '1' booked, '2' held.
  const char only = !status ? 0 : *status == "booked" ? '1' : *status == "held" ? '2' : '0';

  std::string out = "{\"event_id\":" + std::to_string(event_id) + ",\"sections\":" +
                    layout.sections_json + ",\"seats\":[";
  out.reserve(out.size() + layout.seats.size() * (layout.seats.empty() ? 0 : layout.seats[0].prefix.size() + 12));
  bool first = true;
  for (size_t i = 0; i < layout.seats.size() && i < statuses.size(); ++i) {
    const auto& seat = layout.seats[i];
    const char state = statuses[i];
    if (only_section && seat.section != *only_section) continue;
    if (only != 0 && state != only) continue;
    if (!first) out += ',';
    first = false;
    out += seat.prefix;
    out += state == '1' ? "booked\"}" : state == '2' ? "held\"}" : "available\"}";
  }
  out += "]}";
  return out;
}

}  // namespace evently
