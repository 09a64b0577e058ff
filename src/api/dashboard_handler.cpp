// The web dashboard: GET / (the page) and GET /ui/{asset} (its scripts, styles and Chart.js),
// served from the binary (ui_assets.h). Both are open routes: they hold only code, the same for
// every budgetd of this build; every number the page shows comes from the read-scope JSON API,
// which asks the page for a token when auth is on (api.js).
//
// Caching: each asset has an ETag (a hash of its bytes) and Cache-Control: no-cache, so a browser
// revalidates and gets a bodiless 304 while the binary is unchanged, and never runs a stale
// script after an upgrade. The Content-Security-Policy keeps the page on budgetd: no script,
// style, font or connection goes anywhere else.

#include <algorithm>
#include <memory>
#include <vector>

#include "api.h"
#include "handler_util.h"
#include "ui_assets.h"

namespace budgetd::api {
namespace {

constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const UiAsset* find_asset(std::string_view name) {
  for (const UiAsset& a : ui_assets()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

// The asset's bytes as a shared tail (http.h): made once, then sent from where they lie, so
// Chart.js's 200 kB are not copied per answer.
SharedText asset_text(const UiAsset& asset) {
  static const std::vector<SharedText> texts = [] {
    std::vector<SharedText> out;
    for (const UiAsset& a : ui_assets()) {
      out.push_back(std::make_shared<const std::vector<std::string>>(1, std::string(a.body)));
    }
    return out;
  }();
  return texts[static_cast<size_t>(&asset - ui_assets().data())];
}

// If-None-Match holds `etag` (one of a list, or *).
bool matches_etag(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match.empty()) return false;
  if (if_none_match == "*") return true;
  size_t pos = 0;
  while ((pos = if_none_match.find(etag, pos)) != std::string_view::npos) {
    const bool starts = pos == 0 || if_none_match[pos - 1] == ' ' || if_none_match[pos - 1] == ',' ||
                        if_none_match[pos - 1] == '/';  // W/"..." is the same bytes here
    const size_t end = pos + etag.size();
    const bool ends = end == if_none_match.size() || if_none_match[end] == ',' || if_none_match[end] == ' ';
    if (starts && ends) return true;
    pos = end;
  }
  return false;
}

void serve_asset(const Request& req, const Respond& respond, const UiAsset& asset) {
  const bool fresh = matches_etag(req.raw[http::field::if_none_match], asset.etag);
  HttpResponse res = text_response(fresh ? http::status::not_modified : http::status::ok, "", asset.content_type,
                                   req.raw.version(), req.raw.keep_alive());
  res.set(http::field::etag, asset.etag);
  res.set(http::field::cache_control, "no-cache");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  if (asset.content_type.starts_with("text/html")) res.set("Content-Security-Policy", kContentSecurityPolicy);
  if (fresh) {
    res.erase(http::field::content_length);  // a 304 has no body, and no length of one
    return respond(std::move(res));
  }
  respond(std::move(res), asset_text(asset));
}

}  // namespace

void Api::get_dashboard(Request& req, Respond respond) {
  const UiAsset* page = find_asset("index.html");
  assert(page != nullptr && "src/CMakeLists.txt embeds index.html");
  serve_asset(req, respond, *page);
}

void Api::get_ui_asset(Request& req, Respond respond) {
  const std::string_view name = req.params.at(0);
  const UiAsset* asset = name == "index.html" ? nullptr : find_asset(name);
  if (asset == nullptr) {
    std::string known;
    for (const UiAsset& a : ui_assets()) {
      if (a.name == "index.html") continue;
      known += known.empty() ? "" : ", ";
      known += a.name;
    }
    return respond(reply_error(req, http::status::not_found,
                               "no dashboard asset '" + std::string(name) + "' (there are: " + known + ")"));
  }
  serve_asset(req, respond, *asset);
}

}  // namespace budgetd::api
