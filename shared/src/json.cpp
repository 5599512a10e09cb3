#include "evently/json.hpp"

#include <cctype>
#include <cstring>

#include "evently/errors.hpp"
#include "evently/validate.hpp"

namespace evently {
namespace {

// RFC 8259's grammar, checked before cJSON builds the tree: cJSON also takes
// 01, 1., 1.e5 and control characters inside strings. Nesting deeper than
// cJSON's own limit (1000) is refused here too.
class JsonGrammar {
 public:
  explicit JsonGrammar(std::string_view s) : s_(s) {}
  bool valid() {
    space();
    if (!value(0)) return false;
    space();
    return i_ == s_.size();
  }

 private:
  static constexpr int kMaxDepth = 1000;
  [[nodiscard]] char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool eat(char c) {
    if (i_ >= s_.size() || s_[i_] != c) return false;
    ++i_;
    return true;
  }
  void space() {
    while (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r') ++i_;
  }
  bool digits() {
    const size_t start = i_;
    while (peek() >= '0' && peek() <= '9') ++i_;
    return i_ > start;
  }
  bool word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  bool number() {
    eat('-');
    if (!eat('0') && !digits()) return false;
    if (eat('.') && !digits()) return false;
    if (eat('e') || eat('E')) {
      if (!eat('+')) eat('-');
      if (!digits()) return false;
    }
    return true;
  }
  bool string() {
    for (++i_; i_ < s_.size(); ++i_) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c != '\\') continue;
      const char e = ++i_ < s_.size() ? s_[i_] : '\0';
      if (e == 'u') {
        for (int k = 0; k < 4; ++k)
          if (++i_ >= s_.size() || std::isxdigit(static_cast<unsigned char>(s_[i_])) == 0) return false;
        // U+0000 cannot be kept: cJSON and PostgreSQL text both end a string there.
        if (s_.substr(i_ - 3, 4) == "0000") return false;
      } else if (e == '\0' || std::strchr("\"\\/bfnrt", e) == nullptr) {
        return false;
      }
    }
    return false;
  }
  bool value(int depth) {
    if (depth > kMaxDepth) return false;
    const char c = peek();
    if (c == '"') return string();
    if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++i_;
      space();
      if (eat(close)) return true;
      do {
        space();
        if (c == '{') {
          if (peek() != '"' || !string()) return false;
          space();
          if (!eat(':')) return false;
          space();
        }
        if (!value(depth + 1)) return false;
        space();
      } while (eat(','));
      return eat(close);
    }
    if (c == 't') return word("true");
    if (c == 'f') return word("false");
    if (c == 'n') return word("null");
    return number();
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

Json parse_json(std::string_view text) {
  // Text that is not UTF-8 is not JSON (RFC 8259, 8.1); PostgreSQL would refuse it later.
  if (!valid_utf8(text) || !JsonGrammar(text).valid())
    throw ApiError(400, "invalid_json", "The request body is not valid JSON");
  const char* end = nullptr;
  cJSON* root = cJSON_ParseWithLengthOpts(text.data(), text.size(), &end, false);
  Json doc(root, &cJSON_Delete);
  if (root == nullptr) throw ApiError(400, "invalid_json", "The request body is not valid JSON");
  // Anything but white space after the value makes the body invalid.
  for (const char* p = end; p < text.data() + text.size(); ++p) {
    if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
      throw ApiError(400, "invalid_json", "The request body is not valid JSON");
  }
  return doc;
}

Json json_object() { return Json(cJSON_CreateObject(), &cJSON_Delete); }
Json json_array() { return Json(cJSON_CreateArray(), &cJSON_Delete); }

std::string to_string(const cJSON* node) {
  std::unique_ptr<char, decltype(&cJSON_free)> text(cJSON_PrintUnformatted(node), &cJSON_free);
  if (!text) throw std::bad_alloc();
  return text.get();
}

std::string quote(std::string_view text) {
  Json s(cJSON_CreateString(std::string(text).c_str()), &cJSON_Delete);
  return to_string(s.get());
}

}  // namespace evently
