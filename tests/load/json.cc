#include "tests/load/json.h"

#include <cmath>

#include "fmt/format.h"

namespace lotse::load {

Json& Json::operator[](const std::string& key) {
  if (!std::holds_alternative<Object>(value_)) {
    value_ = Object{};
  }
  Object& object = std::get<Object>(value_);
  for (auto& [k, v] : object) {
    if (k == key) {
      return v;
    }
  }
  object.emplace_back(key, Json());
  return object.back().second;
}

void Json::Push(Json v) {
  if (!std::holds_alternative<Array>(value_)) {
    value_ = Array{};
  }
  std::get<Array>(value_).push_back(std::move(v));
}

std::string JsonQuote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string Json::Dump(int indent) const {
  const std::string pad(static_cast<size_t>(indent + 2), ' ');
  const std::string end_pad(static_cast<size_t>(indent), ' ');
  if (std::holds_alternative<std::nullptr_t>(value_)) {
    return "null";
  }
  if (const bool* b = std::get_if<bool>(&value_)) {
    return *b ? "true" : "false";
  }
  if (const int64_t* i = std::get_if<int64_t>(&value_)) {
    return std::to_string(*i);
  }
  if (const double* d = std::get_if<double>(&value_)) {
    if (!std::isfinite(*d)) {
      return "null";
    }
    return fmt::format("{:.6g}", *d);
  }
  if (const std::string* s = std::get_if<std::string>(&value_)) {
    return JsonQuote(*s);
  }
  if (const Array* a = std::get_if<Array>(&value_)) {
    if (a->empty()) {
      return "[]";
    }
    bool scalars = true;
    for (const Json& v : *a) {
      scalars = scalars && !std::holds_alternative<Array>(v.value_) &&
                !std::holds_alternative<Object>(v.value_);
    }
    std::string out = "[";
    for (size_t i = 0; i < a->size(); ++i) {
      out += i == 0 ? "" : ",";
      out += scalars ? (i == 0 ? "" : " ") : "\n" + pad;
      out += (*a)[i].Dump(indent + 2);
    }
    return out + (scalars ? "]" : "\n" + end_pad + "]");
  }
  const Object& o = std::get<Object>(value_);
  if (o.empty()) {
    return "{}";
  }
  std::string out = "{";
  for (size_t i = 0; i < o.size(); ++i) {
    out += i == 0 ? "\n" : ",\n";
    out += pad + JsonQuote(o[i].first) + ": " + o[i].second.Dump(indent + 2);
  }
  return out + "\n" + end_pad + "}";
}

}  // namespace lotse::load
