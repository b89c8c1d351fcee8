#pragma once

// A person at the web terminal, for integration tests: logs in with a password from the set's
// initial-passwords file, keeps the session cookie, and reads and posts pages over real HTTP.

#include <map>
#include <string>

#include "httplib.h"
#include "tests/integration/lotse_set.h"

namespace lotse::test {

// Every login's password from `<data>/web/initial-passwords` (the last line of a login counts).
std::map<std::string, std::string> InitialPasswords(const LotseSet& set);

// How many <script> elements of `page` are not lotse-web's own script files: inline script, or
// script that came in with a person's text.
int ForeignScripts(const std::string& page);

class WebClient {
 public:
  explicit WebClient(const LotseSet& set) : port_(set.WebPort()) {}

  httplib::Client Http() const;
  // POST /anmelden; keeps the session cookie when the login succeeds.
  httplib::Result Login(const std::string& login, const std::string& password);
  httplib::Result Get(const std::string& path) const;
  // Posts `form` with the session's CSRF token (read from the last page got, unless `form`
  // has its own "csrf").
  httplib::Result Post(const std::string& path, httplib::Params form);
  // Posts `form` and `files` as multipart/form-data, as a browser sends a form with a file field
  // (each file: its field, its bytes and its file name), with the token as Post does.
  httplib::Result PostWithFiles(const std::string& path, const httplib::Params& form,
                                const httplib::MultipartFormDataItems& files);
  const std::string& cookie() const { return cookie_; }
  const std::string& csrf() const { return csrf_; }

  // The value of the page's first field `name` (value="..."), "" if it has none.
  static std::string FieldOf(const std::string& page, const std::string& name);

 private:
  int port_;
  std::string cookie_;  // "lotse_session=..."
  mutable std::string csrf_;
};

}  // namespace lotse::test
