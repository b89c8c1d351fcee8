#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace lotse::load {

// A JSON value for the report: null, bool, integer, number, string, array or object (keys in
// insertion order). Built once, printed once; not thread-safe.
class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() : value_(nullptr) {}
  Json(bool b) : value_(b) {}                            // NOLINT(google-explicit-constructor)
  Json(int i) : value_(static_cast<int64_t>(i)) {}       // NOLINT(google-explicit-constructor)
  Json(int64_t i) : value_(i) {}                         // NOLINT(google-explicit-constructor)
  Json(uint64_t i) : value_(static_cast<int64_t>(i)) {}  // NOLINT(google-explicit-constructor)
  Json(double d) : value_(d) {}                          // NOLINT(google-explicit-constructor)
  Json(const char* s) : value_(std::string(s)) {}        // NOLINT(google-explicit-constructor)
  Json(std::string s) : value_(std::move(s)) {}          // NOLINT(google-explicit-constructor)
  Json(Array a) : value_(std::move(a)) {}                // NOLINT(google-explicit-constructor)

  static Json MakeObject() {
    Json j;
    j.value_ = Object{};
    return j;
  }
  static Json MakeArray() {
    Json j;
    j.value_ = Array{};
    return j;
  }

  // For an object: the member `key`, appended (as null) if missing.
  Json& operator[](const std::string& key);
  // For an array: appends `v`.
  void Push(Json v);
  // Pretty-printed with two-space indentation.
  std::string Dump(int indent = 0) const;

 private:
  std::variant<std::nullptr_t, bool, int64_t, double, std::string, Array, Object> value_;
};

// A JSON string literal of `s` (quoted and escaped).
std::string JsonQuote(const std::string& s);

}  // namespace lotse::load
