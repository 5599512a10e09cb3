// evently-passwd: reads a password on standard input, prints its argon2id
// hash. deploy/evently uses it to create or reset the admin account.
#include <sodium.h>

#include <iostream>
#include <string>

#include "evently/auth.hpp"

int main() {
  if (sodium_init() < 0) return 1;
  std::string password;
  std::getline(std::cin, password);
  if (password.size() < 8 || password.size() > 128) {
    std::cerr << "evently-passwd: the password must be 8..128 characters\n";
    return 2;
  }
  std::cout << evently::hash_password(password) << '\n';
  return 0;
}
