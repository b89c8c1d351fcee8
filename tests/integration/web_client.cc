#include "tests/integration/web_client.h"

#include "absl/strings/str_split.h"
#include "common/format.h"
#include "tests/support/wait.h"

namespace lotse::test {

std::map<std::string, std::string> InitialPasswords(const LotseSet& set) {
  std::map<std::string, std::string> out;
  const std::string file = set.dir() + "/data/web/initial-passwords";
  for (absl::string_view line : absl::StrSplit(ReadFile(file), '\n', absl::SkipEmpty())) {
    const std::vector<std::string> cells = absl::StrSplit(line, '\t');
    if (cells.size() == 3) {
      out[cells[0]] = cells[1];
    }
  }
  return out;
}

int ForeignScripts(const std::string& page) {
  int n = 0;
  for (size_t at = page.find("<script"); at != std::string::npos;
       at = page.find("<script", at + 1)) {
    const bool own = page.compare(at, 37, R"(<script src="/static/lotse.js" defer>)") == 0 ||
                     page.compare(at, 42, R"(<script src="/static/management.js" defer>)") == 0;
    n += own ? 0 : 1;
  }
  return n;
}

httplib::Client WebClient::Http() const {
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(15, 0);
  return client;
}

httplib::Result WebClient::Login(const std::string& login, const std::string& password) {
  const httplib::Params form = {{"login", login}, {"password", password}};
  httplib::Result result = Http().Post("/anmelden", form);
  if (result && result->status == 303) {
    const std::string set_cookie = result->get_header_value("Set-Cookie");
    cookie_ = set_cookie.substr(0, set_cookie.find(';'));
  }
  return result;
}

httplib::Result WebClient::Get(const std::string& path) const {
  httplib::Result result = Http().Get(path.c_str(), {{"Cookie", cookie_}});
  if (result) {  // a 404 page has the logout form and its token too
    if (std::string token = FieldOf(result->body, "csrf"); !token.empty()) {
      csrf_ = token;
    }
  }
  return result;
}

httplib::Result WebClient::Post(const std::string& path, httplib::Params form) {
  if (form.find("csrf") == form.end()) {
    form.emplace("csrf", csrf_);
  }
  return Http().Post(path.c_str(), {{"Cookie", cookie_}}, form);
}

httplib::Result WebClient::PostWithFiles(const std::string& path, const httplib::Params& form,
                                         const httplib::MultipartFormDataItems& files) {
  httplib::MultipartFormDataItems items;
  if (form.find("csrf") == form.end()) {
    items.push_back({"csrf", csrf_, "", ""});
  }
  for (const auto& [name, value] : form) {
    items.push_back({name, value, "", ""});
  }
  items.insert(items.end(), files.begin(), files.end());
  httplib::Client client = Http();
  client.set_write_timeout(30, 0);
  client.set_read_timeout(60, 0);
  return client.Post(path.c_str(), {{"Cookie", cookie_}}, items);
}

std::string WebClient::FieldOf(const std::string& page, const std::string& name) {
  const std::string marker = StrCat(R"(name=")", name, R"(" value=")");
  const size_t at = page.find(marker);
  if (at == std::string::npos) {
    return "";
  }
  const size_t start = at + marker.size();
  return page.substr(start, page.find('"', start) - start);
}

}  // namespace lotse::test
