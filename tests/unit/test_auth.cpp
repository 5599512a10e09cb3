#include "evently/auth.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <set>
#include <string>

namespace evently {
namespace {

// libsodium must be initialised before its random numbers and hashes are used;
// a global environment does it once and still works with gtest_main.
class SodiumEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { ASSERT_GE(sodium_init(), 0) << "sodium_init failed"; }
};

[[maybe_unused]] ::testing::Environment* const kSodium =
    ::testing::AddGlobalTestEnvironment(new SodiumEnvironment);

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

TEST(Password, HashesWithArgon2idAndVerifies) {
  const std::string hash = hash_password("correct horse battery staple");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_TRUE(verify_password(hash, "correct horse battery staple"));
}

TEST(Password, SaltsEveryHash) {
  const std::string first = hash_password("Grüße 😀");
  const std::string second = hash_password("Grüße 😀");
  EXPECT_NE(first, second);
  EXPECT_TRUE(verify_password(first, "Grüße 😀"));
  EXPECT_TRUE(verify_password(second, "Grüße 😀"));
}

TEST(Password, RejectsTheWrongPassword) {
  const std::string hash = hash_password("s3cret-Password");
  for (const char* wrong : {"", "s3cret-password", "s3cret-Passwor", "s3cret-Password ", "x"}) {
    SCOPED_TRACE(wrong);
    EXPECT_FALSE(verify_password(hash, wrong));
  }
}

TEST(Password, RejectsAMalformedHash) {
  EXPECT_FALSE(verify_password("", ""));
  EXPECT_FALSE(verify_password("not a hash", "not a hash"));
  EXPECT_FALSE(verify_password("$argon2id$", ""));
}

TEST(NewToken, Is43Base64UrlCharacters) {
  for (int i = 0; i < 50; ++i) {
    const std::string token = new_token();
    ASSERT_EQ(token.size(), 43u) << token;
    EXPECT_EQ(token.find_first_not_of(kBase64Url), std::string::npos) << token;
  }
}

TEST(NewToken, IsRandom) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) seen.insert(new_token());
  EXPECT_EQ(seen.size(), 200u);
}

TEST(NewToken, IsAcceptedAsABearerToken) {
  const std::string token = new_token();
  EXPECT_EQ(bearer_token("Bearer " + token), token);
}

TEST(TokenDigest, IsBackslashXAndSha256InHex) {
  // SHA-256("abc"), FIPS 180-2 test vector.
  EXPECT_EQ(token_digest("abc"),
            "\\xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string digest = token_digest(new_token());
  ASSERT_EQ(digest.size(), 66u);
  EXPECT_EQ(digest.substr(0, 2), "\\x");
  EXPECT_EQ(digest.find_first_not_of("0123456789abcdef", 2), std::string::npos) << digest;
}

TEST(TokenDigest, IsDeterministic) {
  const std::string token = new_token();
  EXPECT_EQ(token_digest(token), token_digest(token));
  EXPECT_NE(token_digest(token), token_digest(new_token()));
}

TEST(BearerToken, ReadsTheToken) {
  const std::string token(43, 'a');
  EXPECT_EQ(bearer_token("Bearer " + token), token);
  const std::string mixed = "AZaz09-_" + std::string(35, 'Q');
  EXPECT_EQ(bearer_token("Bearer " + mixed), mixed);
}

TEST(BearerToken, MatchesTheSchemeCaseInsensitively) {
  const std::string token = new_token();
  for (const char* scheme : {"bearer ", "BEARER ", "BeArEr "}) {
    SCOPED_TRACE(scheme);
    EXPECT_EQ(bearer_token(scheme + token), token);
  }
}

TEST(BearerToken, RejectsWrongLengths) {
  const std::string token = new_token();
  for (const std::string& header :
       {std::string(), std::string("Bearer"), std::string("Bearer "), "Bearer " + token.substr(1),
        "Bearer " + token + "A", "Bearer  " + token, "Bearer " + token + " "}) {
    SCOPED_TRACE(header);
    EXPECT_EQ(bearer_token(header), "");
  }
}

TEST(BearerToken, RejectsOtherSchemesAndSeparators) {
  const std::string token = new_token();
  for (const std::string& header :
       {"Basic  " + token, "Token: " + token, "Bearer\t" + token, "Bearer:" + token,
        "Bearer_" + token, " Bearer" + token}) {
    SCOPED_TRACE(header);
    EXPECT_EQ(bearer_token(header), "");
  }
}

TEST(BearerToken, RejectsCharactersOutsideBase64Url) {
  const std::string token = new_token();
  for (const char c : {'+', '/', '=', ' ', '.', '~', '\0', '\xc3'}) {
    std::string bad = token;
    bad[20] = c;
    SCOPED_TRACE(static_cast<int>(c));
    EXPECT_EQ(bearer_token("Bearer " + bad), "");
  }
}

TEST(RequireBearer, Is401WhenMissingOrMalformed) {
  Request req;
  for (const char* header : {"", "Bearer nope", "Basic dXNlcjpwYXNz"}) {
    SCOPED_TRACE(header);
    req.authorization = header;
    try {
      require_bearer(req);
      ADD_FAILURE() << "no exception";
    } catch (const ApiError& e) {
      EXPECT_EQ(e.status, 401);
      EXPECT_EQ(e.code, "unauthorized");
      ASSERT_EQ(e.headers.size(), 1u);
      EXPECT_EQ(e.headers[0].first, "WWW-Authenticate");
      EXPECT_EQ(e.headers[0].second, "Bearer");
    }
  }
  const std::string token = new_token();
  req.authorization = "Bearer " + token;
  EXPECT_EQ(require_bearer(req), token);
}

}  // namespace
}  // namespace evently
