#include "api/router.h"

#include <boost/json.hpp>

namespace parley::api {
Response Route(Services& services, const Request& request) {
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/healthz") {
    if (request.method() != http::verb::get) {
      return ErrorResponse(request, http::status::method_not_allowed, "invalid_argument",
                           "Only GET is allowed on /healthz.");
    }
    return JsonResponse(request, http::status::ok,
                        {{"status", "ok"}, {"log_position", services.store.LastPosition()}});
  }
  return ErrorResponse(request, http::status::not_found, "not_found", "There is nothing at this path.");
}

}  // namespace parley::api
