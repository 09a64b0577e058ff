#include "auth.h"

#include <cctype>
#include <optional>

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace budgetd::api {

namespace {

// The credentials of "Bearer <token>". RFC 9110 §11.1: the scheme is case-insensitive
// ("bearer", "BEARER"), and one or more spaces separate it from the token.
std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view kBearer = "bearer";
  if (authorization.size() <= kBearer.size() || authorization[kBearer.size()] != ' ') return std::nullopt;
  for (size_t i = 0; i < kBearer.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kBearer[i]) return std::nullopt;
  }
  std::string_view token = authorization.substr(kBearer.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

}  // namespace

AuthResult check_auth(const config::AuthConfig& auth, std::string_view authorization, uint8_t scope) {
  if (auth.tokens.empty() || scope == 0) return AuthResult::kAllowed;
  const std::optional<std::string_view> token = bearer_token(authorization);
  if (!token) return AuthResult::kMissing;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token->data()), token->size(), digest);
  for (const config::AuthToken& t : auth.tokens) {
    // Constant-time: the time taken does not tell how much of a guessed digest matched.
    if (CRYPTO_memcmp(digest, t.sha256.data(), SHA256_DIGEST_LENGTH) != 0) continue;
    const uint8_t admin = static_cast<uint8_t>(config::Scope::kAdmin);
    return (t.scopes & (scope | admin)) != 0 ? AuthResult::kAllowed : AuthResult::kWrongScope;
  }
  return AuthResult::kUnknownToken;
}

const char* scope_name(uint8_t scope) {
  switch (static_cast<config::Scope>(scope)) {
    case config::Scope::kIngest:
      return "ingest";
    case config::Scope::kRead:
      return "read";
    case config::Scope::kGate:
      return "gate";
    case config::Scope::kAdmin:
      return "admin";
  }
  return "none";
}

}  // namespace budgetd::api
