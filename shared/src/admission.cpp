#include "evently/admission.hpp"

#include <sodium.h>

#include <cstring>

#include "evently/config.hpp"
#include "evently/json.hpp"
#include "evently/time.hpp"

namespace evently {
namespace {

constexpr unsigned char kVersion = 1;
constexpr size_t kPayload = 1 + 3 * 8;
constexpr size_t kToken = kPayload + crypto_auth_BYTES;

// The token key: derived from the secret for this use only, so that a MAC
// of one kind (a paging cursor) is never a valid MAC of another.
const unsigned char* key() {
  static unsigned char k[crypto_auth_KEYBYTES];
  static const bool made = [] {
    const std::string& secret = config().secret;
    crypto_generichash(k, sizeof k, reinterpret_cast<const unsigned char*>("evently admission v1"), 20,
                       reinterpret_cast<const unsigned char*>(secret.data()),
                       std::min(secret.size(), size_t{crypto_generichash_KEYBYTES_MAX}));
    return true;
  }();
  (void)made;
  return k;
}

void put(unsigned char* at, int64_t value) {
  auto v = static_cast<uint64_t>(value);
  for (int b = 7; b >= 0; --b, v >>= 8) at[b] = v & 0xff;
}

int64_t get(const unsigned char* at) {
  uint64_t v = 0;
  for (int b = 0; b < 8; ++b) v = (v << 8) | at[b];
  return static_cast<int64_t>(v);
}

}  // namespace

std::string admission_token(int64_t user, int64_t event, int64_t expires_micros) {
  unsigned char raw[kToken];
  raw[0] = kVersion;
  put(raw + 1, user);
  put(raw + 9, event);
  put(raw + 17, expires_micros);
  crypto_auth(raw + kPayload, raw, kPayload, key());
  char out[sodium_base64_ENCODED_LEN(kToken, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, raw, kToken, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

namespace {

// The user a token made by admission_token admits to `event` at
// `now_micros`, or 0. Constant-time in the MAC.
int64_t token_user(std::string_view token, int64_t event, int64_t now_micros) {
  unsigned char raw[kToken + 1];
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(raw, sizeof raw, token.data(), token.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != token.data() + token.size() || len != kToken)
    return 0;
  if (crypto_auth_verify(raw + kPayload, raw, kPayload, key()) != 0) return 0;
  if (raw[0] != kVersion || get(raw + 9) != event || now_micros >= get(raw + 17)) return 0;
  const int64_t user = get(raw + 1);
  return user > 0 ? user : 0;
}

}  // namespace

bool admission_token_valid(std::string_view token, int64_t user, int64_t event,
                           int64_t now_micros) {
  return user > 0 && token_user(token, event, now_micros) == user;
}

int64_t admitted_user(const Request& req, int64_t event) {
  return req.admission_token.empty() ? 0 : token_user(req.admission_token, event, now_micros());
}

std::string queue_ticket_json(int64_t user, int64_t event, int64_t position,
                              int64_t admitted_at_micros, bool is_admitted) {
  const int64_t expires = admitted_at_micros + kAdmissionTokenMicros;
  std::string out = "{\"event_id\":" + std::to_string(event) +
                    ",\"position\":" + std::to_string(position) +
                    ",\"admitted\":" + (is_admitted ? "true" : "false") +
                    ",\"admitted_at\":" + quote(format_utc(admitted_at_micros));
  if (is_admitted) {
    out += ",\"admission_token\":" + quote(admission_token(user, event, expires)) +
           ",\"token_expires_at\":" + quote(format_utc(expires));
  } else {
    out += ",\"admission_token\":null,\"token_expires_at\":null";
  }
  return out + '}';
}

}  // namespace evently
