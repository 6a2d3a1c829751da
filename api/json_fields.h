// Internal to api/: typed fields of JSON request bodies, with the
// invalid_argument errors that name the field.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <string_view>

#include "common/result.h"

namespace parley::api {

// A string field of a JSON body: missing is "" unless required.
inline Result<std::string> StringField(const boost::json::object& body, std::string_view name,
                                       bool required) {
  const boost::json::value* v = body.if_contains(name);
  if (v == nullptr || v->is_null()) {
    if (required) return Error::InvalidArgument("The field \"" + std::string(name) + "\" is required.");
    return std::string();
  }
  if (!v->is_string())
    return Error::InvalidArgument("The field \"" + std::string(name) + "\" must be a string.");
  return std::string(v->as_string());
}

inline Result<const boost::json::array*> ArrayField(const boost::json::object& body, std::string_view name) {
  static const boost::json::array kEmpty;
  const boost::json::value* v = body.if_contains(name);
  if (v == nullptr || v->is_null()) return &kEmpty;
  if (!v->is_array())
    return Error::InvalidArgument("The field \"" + std::string(name) + "\" must be a list.");
  return &v->as_array();
}

}  // namespace parley::api
