#pragma once
/// Account field rules shared by registration and login.

#include <cjson/cJSON.h>

#include <string>

#include "evently/validate.hpp"

namespace evently {

/// ASCII lower-casing: emails are stored and compared lower-cased.
std::string lowercase(std::string text);

/// The body's `email`, checked to look like an address, lower-cased.
std::string normalize_email(Validator& v, const cJSON* body);

/// A valid hash of no real password, verified against when the email is
/// unknown so that both failures take the same time.
const std::string& dummy_password_hash();

}  // namespace evently
