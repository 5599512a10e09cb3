#include "evently/accounts.hpp"

#include <gtest/gtest.h>

#include <string>

#include "evently/auth.hpp"
#include "evently/json.hpp"

namespace evently {
namespace {

Json email_body(const std::string& email) {
  Json body = json_object();
  cJSON_AddStringToObject(body.get(), "email", email.c_str());
  return body;
}

// The first message about "email", or "" when there is none.
std::string email_error(const Validator& v) {
  try {
    v.check();
  } catch (const ApiError& e) {
    for (const auto& fe : e.errors)
      if (fe.field == "email") return fe.message;
  }
  return "";
}

TEST(Lowercase, LowersAsciiLettersOnly) {
  EXPECT_EQ(lowercase("Ann.Lee@Example.COM"), "ann.lee@example.com");
  EXPECT_EQ(lowercase("already lower 123 +_-"), "already lower 123 +_-");
  EXPECT_EQ(lowercase("ÄÖÜ"), "ÄÖÜ");  // UTF-8 bytes are left alone
  EXPECT_EQ(lowercase(""), "");
}

TEST(NormalizeEmail, AcceptsAndLowercasesAddresses) {
  const std::string local64(64, 'a');
  for (const auto& [in, out] : std::initializer_list<std::pair<std::string, std::string>>{
           {"Ann@Example.com", "ann@example.com"},
           {"a.b+tag@sub.example.co.uk", "a.b+tag@sub.example.co.uk"},
           {"x@y.z", "x@y.z"},
           {"O'Brien@EXAMPLE.IE", "o'brien@example.ie"},
           {local64 + "@example.com", local64 + "@example.com"}}) {
    SCOPED_TRACE(in);
    const Json body = email_body(in);
    Validator v;
    EXPECT_EQ(normalize_email(v, body.get()), out);
    EXPECT_TRUE(v.ok());
  }
}

TEST(NormalizeEmail, RejectsWhatIsNotAnAddress) {
  for (const std::string& email :
       {std::string("plainaddress"), std::string("@example.com"), std::string("ann@"),
        std::string("ann@example"), std::string("ann@@example.com"),
        std::string("a@b@example.com"), std::string("ann lee@example.com"),
        std::string("ann@exa mple.com"), std::string("ann\t@example.com"),
        std::string("ann@example.com\x7f"), std::string("ann@.example.com"),
        std::string("ann@example.com."), std::string("ann@example..com"),
        std::string(65, 'a') + "@example.com", std::string("\xc3\x89lise@example.com"),
        std::string("ann@b\xc3\xbc" "cher.de")}) {
    SCOPED_TRACE(email);
    const Json body = email_body(email);
    Validator v;
    EXPECT_EQ(normalize_email(v, body.get()), "");
    EXPECT_EQ(email_error(v), "must be an email address");
  }
}

TEST(NormalizeEmail, ChecksPresenceTypeAndLength) {
  Validator missing;
  EXPECT_EQ(normalize_email(missing, json_object().get()), "");
  EXPECT_EQ(email_error(missing), "is required");

  const Json number = parse_json(R"({"email":5})");
  Validator wrong_type;
  EXPECT_EQ(normalize_email(wrong_type, number.get()), "");
  EXPECT_EQ(email_error(wrong_type), "must be a string");

  Validator too_short;
  EXPECT_EQ(normalize_email(too_short, email_body("a@").get()), "");
  EXPECT_EQ(email_error(too_short), "must be 3..254 characters");

  Validator too_long;
  EXPECT_EQ(normalize_email(too_long, email_body("a@" + std::string(249, 'b') + ".com").get()), "");
  EXPECT_EQ(email_error(too_long), "must be 3..254 characters");
}

TEST(NormalizeEmail, ReportsOneErrorPerProblem) {
  const Json body = email_body("ab");
  Validator v;
  normalize_email(v, body.get());
  try {
    v.check();
    FAIL() << "no exception";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.errors.size(), 1u);
  }
}

TEST(DummyPasswordHash, IsAnArgon2idHashOfNoGivenPassword) {
  const std::string& hash = dummy_password_hash();
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(&dummy_password_hash(), &hash);
  EXPECT_FALSE(verify_password(hash, ""));
}

}  // namespace
}  // namespace evently
