#include "services/web/site.h"

namespace lotse::web {

void AddManagementPages(httplib::Server& server, Site& site) {
  (void)server;
  (void)site;
}

}  // namespace lotse::web
