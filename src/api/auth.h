#pragma once
// Bearer-token authentication (DESIGN.md §4): tokens are configured by the SHA-256 of the token,
// never the token itself, each with scopes. With no tokens configured every route is open.
// Private to the api module.

#include <string_view>

#include "budgetd/config/config.h"

namespace budgetd::api {

enum class AuthResult { kAllowed, kMissing, kUnknownToken, kWrongScope };

// `authorization`: the Authorization header ("Bearer <token>", the scheme in any case);
// `scope`: what the route needs (0: open). A token with the admin scope may do everything.
AuthResult check_auth(const config::AuthConfig& auth, std::string_view authorization, uint8_t scope);

const char* scope_name(uint8_t scope);

}  // namespace budgetd::api
