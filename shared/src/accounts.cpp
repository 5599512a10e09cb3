#include "evently/accounts.hpp"

#include <algorithm>

#include "evently/auth.hpp"

namespace evently {

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

namespace {

// local@domain.tld: printable ASCII only (no white space or control
// characters; internationalized addresses are refused rather than stored
// under a lower-casing the database would not agree with), one @, a dot in
// the domain, neither part empty, labels not empty.
bool looks_like_email(const std::string& s) {
  const size_t at = s.find('@');
  if (at == std::string::npos || at == 0 || s.find('@', at + 1) != std::string::npos) return false;
  if (at > 64) return false;
  for (const unsigned char c : s)
    if (c <= ' ' || c >= 0x7f) return false;
  const std::string domain = s.substr(at + 1);
  if (domain.empty() || domain.front() == '.' || domain.back() == '.' ||
      domain.find('.') == std::string::npos || domain.find("..") != std::string::npos)
    return false;
  return true;
}

}  // namespace

std::string normalize_email(Validator& v, const cJSON* body) {
  std::string email = v.string(body, "", "email", 3, 254);
  if (v.has("email")) return {};
  if (!looks_like_email(email)) {
    v.add("email", "must be an email address");
    return {};
  }
  return lowercase(std::move(email));
}

const std::string& dummy_password_hash() {
  static const std::string hash = hash_password("not a real password");
  return hash;
}

}  // namespace evently
