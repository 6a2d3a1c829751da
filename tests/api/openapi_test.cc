// api/openapi.json and the router must list the same routes: a route added
// to one and not the other fails here.
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "api/router.h"

namespace parley::api {
namespace {

namespace json = boost::json;

std::set<std::string> DocumentedRoutes() {
  std::set<std::string> out;
  const json::object doc = json::parse(OpenApiDocument()).as_object();
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, operation] : item.as_object()) {
      std::string upper(method);
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      out.insert(upper + " " + std::string(path));
    }
  }
  return out;
}

TEST(OpenApiTest, DocumentAndRouterListTheSamePathsAndMethods) {
  std::set<std::string> served;
  for (const RouteInfo& route : Routes()) served.insert(route.method + " " + route.path);
  const std::set<std::string> documented = DocumentedRoutes();
  for (const auto& route : served)
    EXPECT_TRUE(documented.count(route)) << route << " is not in api/openapi.json";
  for (const auto& route : documented)
    EXPECT_TRUE(served.count(route)) << route << " is documented but not served";
  EXPECT_GE(served.size(), 20u);
}

TEST(OpenApiTest, EveryOperationNamesItsResponsesAndEveryRefResolves) {
  const json::object doc = json::parse(OpenApiDocument()).as_object();
  EXPECT_EQ(doc.at("openapi").as_string().subview().substr(0, 2), "3.");
  const json::object& schemas = doc.at("components").as_object().at("schemas").as_object();
  const json::object& responses = doc.at("components").as_object().at("responses").as_object();
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, operation] : item.as_object()) {
      EXPECT_FALSE(operation.at("responses").as_object().empty()) << method << " " << path;
    }
  }
  // Every "$ref" anywhere points at something defined.
  std::vector<const json::value*> pending{&doc.at("paths")};
  pending.push_back(&doc.at("components"));
  int refs = 0;
  while (!pending.empty()) {
    const json::value* v = pending.back();
    pending.pop_back();
    if (v->is_array()) {
      for (const auto& x : v->as_array()) pending.push_back(&x);
    } else if (v->is_object()) {
      for (const auto& [key, x] : v->as_object()) {
        if (key == "$ref") {
          ++refs;
          const std::string ref(x.as_string());
          const auto name = ref.substr(ref.rfind('/') + 1);
          if (ref.starts_with("#/components/schemas/")) {
            EXPECT_TRUE(schemas.contains(name)) << ref;
          } else if (ref.starts_with("#/components/responses/")) {
            EXPECT_TRUE(responses.contains(name)) << ref;
          } else {
            EXPECT_TRUE(ref.starts_with("#/components/parameters/")) << ref;
          }
        } else {
          pending.push_back(&x);
        }
      }
    }
  }
  EXPECT_GT(refs, 50);
}

}  // namespace
}  // namespace parley::api
