// Internal to api/: typed fields of JSON request bodies, with the
// invalid_argument errors that name the field.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <vector>

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

// A list of ids, such as "staff_participants" or "dossiers"; absent: empty.
inline Result<std::vector<std::string>> StringList(const boost::json::object& body, std::string_view name) {
  auto list = ArrayField(body, name);
  if (!list.ok()) return list.error();
  std::vector<std::string> out;
  for (const auto& v : **list) {
    if (!v.is_string()) return Error::InvalidArgument("\"" + std::string(name) + "\" is a list of ids.");
    out.emplace_back(v.as_string());
  }
  return out;
}

}  // namespace parley::api
