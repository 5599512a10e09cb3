#include "evently/time.hpp"

#include <chrono>
#include <cstdio>

namespace evently {

int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool digits(size_t n, int64_t& out) {
    if (pos_ + n > s_.size()) return false;
    out = 0;
    for (size_t i = 0; i < n; ++i) {
      const char c = s_[pos_ + i];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    pos_ += n;
    return true;
  }
  bool lit(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) { ++pos_; return true; }
    return false;
  }
  bool lit_any(char a, char b) { return lit(a) || lit(b); }
  [[nodiscard]] bool done() const { return pos_ == s_.size(); }
  [[nodiscard]] char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

bool parse_date(Scanner& sc, int64_t& days) {
  int64_t y = 0, m = 0, d = 0;
  if (!sc.digits(4, y) || !sc.lit('-') || !sc.digits(2, m) || !sc.lit('-') || !sc.digits(2, d))
    return false;
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, static_cast<unsigned>(m)))
    return false;
  days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

constexpr int64_t kMicrosPerDay = 86'400'000'000;

}  // namespace

std::optional<int64_t> parse_rfc3339(std::string_view text) {
  Scanner sc(text);
  int64_t days = 0, hh = 0, mi = 0, ss = 0;
  if (!parse_date(sc, days) || !sc.lit_any('T', 't') || !sc.digits(2, hh) || !sc.lit(':') ||
      !sc.digits(2, mi) || !sc.lit(':') || !sc.digits(2, ss))
    return std::nullopt;
  if (hh > 23 || mi > 59 || ss > 59) return std::nullopt;
  int64_t micros = 0;
  if (sc.lit('.')) {
    // Fractional digits beyond microseconds are dropped, never rounded up.
    int scale = 100000, n = 0;
    for (int64_t digit = 0; sc.digits(1, digit); ++n) {
      micros += digit * scale;
      scale /= 10;
    }
    if (n == 0) return std::nullopt;
  }
  int64_t offset_minutes = 0;
  if (!sc.lit_any('Z', 'z')) {
    const char sign = sc.peek();
    int64_t oh = 0, om = 0;
    if (!sc.lit_any('+', '-') || !sc.digits(2, oh) || !sc.lit(':') || !sc.digits(2, om) ||
        oh > 23 || om > 59)
      return std::nullopt;
    offset_minutes = (oh * 60 + om) * (sign == '-' ? -1 : 1);
  }
  if (!sc.done()) return std::nullopt;
  const int64_t local = days * kMicrosPerDay + ((hh * 60 + mi) * 60 + ss) * 1'000'000 + micros;
  const int64_t utc = local - offset_minutes * 60'000'000;
  // Keep to years 0001..9999 in UTC as well.
  if (utc < days_from_civil(1, 1, 1) * kMicrosPerDay ||
      utc >= days_from_civil(10000, 1, 1) * kMicrosPerDay)
    return std::nullopt;
  return utc;
}

std::optional<int64_t> parse_time_bound(std::string_view text, bool end_of_day) {
  if (text.size() == 10) {
    Scanner sc(text);
    int64_t days = 0;
    if (!parse_date(sc, days) || !sc.done()) return std::nullopt;
    return end_of_day ? (days + 1) * kMicrosPerDay - 1 : days * kMicrosPerDay;
  }
  return parse_rfc3339(text);
}

std::string format_utc(int64_t micros) {
  int64_t days = micros / kMicrosPerDay;
  int64_t rest = micros % kMicrosPerDay;
  if (rest < 0) {
    rest += kMicrosPerDay;
    --days;
  }
  int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  const int64_t secs = rest / 1'000'000;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60),
                static_cast<long long>(rest % 1'000'000));
  return buf;
}

std::optional<std::string> format_utc(const std::optional<int64_t>& micros) {
  if (!micros) return std::nullopt;
  return format_utc(*micros);
}

}  // namespace evently
