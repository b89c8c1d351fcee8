// The pages of management and operations: the joint evaluation (/auswertung and its CSV), the
// operators' view of the services (/betrieb, live through /betrieb.json), the company file
// (/unternehmen) and the accessibility statement with its form for reporting barriers
// (/barrierefreiheit). Each handler checks the caller's role first; what is not theirs is not
// found. The HTML is built in management_*.cc and charts.cc.
#include <memory>
#include <optional>

#include "absl/time/clock.h"
#include "common/client/requests.h"
#include "common/format.h"
#include "services/web/management_accessibility.h"
#include "services/web/management_company.h"
#include "services/web/management_csv.h"
#include "services/web/management_evaluation.h"
#include "services/web/management_operations.h"
#include "services/web/names.h"
#include "services/web/site.h"
#include "spdlog/spdlog.h"

namespace lotse::web {
namespace {

using lotse::v1::ACTOR_KIND_ADMIN;
using lotse::v1::ACTOR_KIND_DEPARTMENT;
using lotse::v1::ACTOR_KIND_OFFICE;
using lotse::v1::ACTOR_KIND_OPS;

// What the management pages keep between requests. Shared by the HTTP server's threads; each
// member is thread-safe.
struct Management {
  explicit Management(Site& s)
      : site(s),
        config(s.config()),
        ops(HttpOpsFetch(s.config())),
        reports(s.config().WebDataDir() + "/barrier-reports") {}

  Site& site;
  const config::Config& config;
  OpsWatch ops;
  BarrierReports reports;
  ReportThrottle report_throttle;
};

bool IsAdmin(const Caller& caller) { return caller.Is(ACTOR_KIND_ADMIN); }

bool IsKeyAccount(const config::Config& config, const Caller& caller) {
  return caller.IsDesk() && config.FindKeyAccount(caller.role.id()) != nullptr;
}

EvaluationQuery QueryOf(const Management& m, const Caller& caller,
                        const httplib::Request& request) {
  return ReadEvaluationQuery(
      request.get_param_value("von"), request.get_param_value("bis"),
      request.get_param_value("fachamt"), request.get_param_value("buergerbuero"),
      absl::ToCivilDay(absl::Now(), m.config.city.zone), m.config, IsAdmin(caller));
}

// The evaluation of [from, to] for `caller`: an office or department its own, admin as the
// query filters.
lotse::v1::AuditRequest EvaluationFor(const Caller& caller, const EvaluationQuery& query,
                                      absl::CivilDay from, absl::CivilDay to) {
  client::EvaluationArgs args;
  args.from = IsoDay(from);
  args.to = IsoDay(to + 1);
  if (caller.IsOffice()) {
    args.office = caller.role.id();
  } else if (caller.IsDesk()) {
    args.department = caller.role.id();
  } else {
    args.department = query.department;
    args.office = query.office;
  }
  lotse::v1::AuditRequest request = client::EvaluationRequest(args);
  *request.mutable_actor() = caller.Actor();
  return request;
}

void Evaluation(Management& m, const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = m.site.PageCaller(
      request, response, {ACTOR_KIND_OFFICE, ACTOR_KIND_DEPARTMENT, ACTOR_KIND_ADMIN});
  if (!caller.has_value()) {
    return;
  }
  EvaluationView view;
  view.query = QueryOf(m, *caller, request);
  view.may_filter = IsAdmin(*caller);
  absl::StatusOr<lotse::v1::AuditReply> reply =
      m.site.Call(*caller, EvaluationFor(*caller, view.query, view.query.from, view.query.to));
  if (!GotResult(response, *caller, "Die Auswertung", reply)) {
    return;
  }
  view.reply = reply->evaluation();
  // One evaluation per week: the reply has no weekly figures.
  for (const Week& week : WeeksOf(view.query.from, view.query.to, kMaxWeeks, &view.weeks_capped)) {
    absl::StatusOr<lotse::v1::AuditReply> figures =
        m.site.Call(*caller, EvaluationFor(*caller, view.query, week.from, week.to));
    WeekFigures w{week, {}, figures.ok() && figures->has_evaluation()};
    if (w.asked) {
      w.figures = figures->evaluation().total();
    }
    view.weeks.push_back(std::move(w));
  }
  if (IsAdmin(*caller)) {
    view.scope = view.query.department.empty() && view.query.office.empty()
                     ? "Alle Einheiten"
                     : UnitName(m.config, view.query.department.empty() ? view.query.office
                                                                        : view.query.department);
    if (const size_t waiting = m.reports.Count(); waiting > 0) {
      view.notice =
          StrCat(R"(<p class="notice"><a href="/barrierefreiheit/meldungen">)", waiting,
                 waiting == 1 ? " Meldung einer Barriere liegt" : " Meldungen von Barrieren liegen",
                 " vor.</a></p>");
    }
  } else {
    view.scope = caller->viewer.acts_for;
  }
  Html(response, 200, Page("Auswertung", &caller->viewer, EvaluationMain(view, m.config)));
}

void EvaluationCsv(Management& m, const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = m.site.PageCaller(
      request, response, {ACTOR_KIND_OFFICE, ACTOR_KIND_DEPARTMENT, ACTOR_KIND_ADMIN});
  if (!caller.has_value()) {
    return;
  }
  const EvaluationQuery query = QueryOf(m, *caller, request);
  if (!query.form.ok()) {  // a file of another period than asked for would mislead
    std::string errors;
    for (const auto& [field, error] : query.form.errors) {
      errors += StrCat(errors.empty() ? "" : " ", error);
    }
    Html(response, 400, ProblemPage(&caller->viewer, "Auswertung nicht möglich", errors));
    return;
  }
  absl::StatusOr<lotse::v1::AuditReply> reply =
      m.site.Call(*caller, EvaluationFor(*caller, query, query.from, query.to));
  if (!GotResult(response, *caller, "Die Auswertung", reply)) {
    return;
  }
  response.set_header("Content-Disposition", AttachmentHeader(EvaluationCsvName(query)));
  response.set_content(Csv(EvaluationCsvRows(reply->evaluation(), query)),
                       "text/csv; charset=utf-8");
}

void Operations(Management& m, const httplib::Request& request, httplib::Response& response,
                bool json) {
  std::optional<Caller> caller = m.site.PageCaller(request, response, {ACTOR_KIND_OPS});
  if (!caller.has_value()) {
    return;
  }
  const OpsSnapshot snapshot = m.ops.Look(absl::Now());
  const UnitNamer name_of = [&m](std::string_view id) { return UnitName(m.config, id); };
  if (json) {
    response.set_content(OpsJson(snapshot, m.config.city.zone, name_of),
                         "application/json; charset=utf-8");
    return;
  }
  Html(response, 200,
       Page("Betrieb", &caller->viewer, OpsMain(snapshot, m.config.city.zone, name_of)));
}

// The company pages are the KAM's and admin's; a department or office does not find them.
std::optional<Caller> CompanyCaller(Management& m, const httplib::Request& request,
                                    httplib::Response& response) {
  std::optional<Caller> caller =
      m.site.PageCaller(request, response, {ACTOR_KIND_DEPARTMENT, ACTOR_KIND_ADMIN});
  if (caller.has_value() && !IsAdmin(*caller) && !IsKeyAccount(m.config, *caller)) {
    NotFound(response, &caller->viewer);
    return std::nullopt;
  }
  return caller;
}

void CompanySearchPage(Management& m, const httplib::Request& request,
                       httplib::Response& response) {
  std::optional<Caller> caller = CompanyCaller(m, request, response);
  if (!caller.has_value()) {
    return;
  }
  const std::string id = request.get_param_value("id");
  if (!id.empty() && id.size() <= 128) {
    SeeOther(response, CompanyPath(id));
    return;
  }
  Html(response, 200,
       Page("Unternehmen", &caller->viewer,
            CompanySearch(id, m.config,
                          IsAdmin(*caller) ? nullptr : m.config.FindKeyAccount(caller->role.id()),
                          IsAdmin(*caller))));
}

void CompanyFile(Management& m, const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = CompanyCaller(m, request, response);
  if (!caller.has_value()) {
    return;
  }
  const std::string id = request.matches[1].str();
  lotse::v1::RoutingRequest ask;
  *ask.mutable_actor() = caller->Actor();
  ask.mutable_company()->set_company_id(id);
  ask.mutable_company()->set_limit(50);
  ask.mutable_company()->set_after(request.get_param_value("nach"));
  absl::StatusOr<lotse::v1::RoutingReply> reply = m.site.Call(*caller, ask);
  if (!GotResult(response, *caller, "Die Unternehmensakte", reply)) {
    return;
  }
  const lotse::v1::CompanyReply& file = reply->company();
  std::string next;
  if (!file.next().empty()) {
    httplib::Params params = {{"nach", file.next()}};
    next = StrCat(CompanyPath(id), "?", httplib::detail::params_to_query_str(params));
  }
  Html(response, 200,
       Page(StrCat("Unternehmen ", file.company_name().empty() ? id : file.company_name()),
            &caller->viewer, CompanyFileMain(file, m.config, m.config.city.zone, next)));
}

void Statement(Management& m, const httplib::Request& request, httplib::Response& response,
               const ReportForm& form, int status) {
  std::optional<Caller> caller = m.site.CallerOf(request);  // no login needed
  const bool admin = caller.has_value() && IsAdmin(*caller);
  Html(response, status,
       Page("Erklärung zur Barrierefreiheit", caller.has_value() ? &caller->viewer : nullptr,
            AccessibilityStatementMain(m.config, form, admin, admin ? m.reports.Count() : 0)));
}

void ReportBarrier(Management& m, const httplib::Request& request, httplib::Response& response) {
  ReportForm form;
  for (const char* field : {"text", "seite", "name", "kontakt"}) {
    form.form.values[field] = Param(request, field);
  }
  BarrierReport report = ReportOf(form.form);
  form.form.errors = CheckBarrierReport(report);
  if (!form.form.ok()) {
    Statement(m, request, response, form, 400);
    return;
  }
  const absl::Time now = absl::Now();
  if (!m.report_throttle.Allow(request.remote_addr, now)) {
    form.refused =
        "Von hier kamen in der letzten Stunde schon viele Meldungen. Bitte versuchen Sie es "
        "später noch einmal oder schreiben Sie uns auf einem der anderen Wege unten.";
    response.set_header("Retry-After", "3600");
    Statement(m, request, response, form, 429);
    return;
  }
  if (absl::Status stored = m.reports.Add(report, now); !stored.ok()) {
    spdlog::error("an accessibility report could not be stored: {}", stored.message());
    form.refused =
        "Ihre Meldung konnte gerade nicht gespeichert werden. Bitte versuchen Sie es später "
        "noch einmal oder schreiben Sie uns auf einem der anderen Wege unten.";
    Statement(m, request, response, form, 503);
    return;
  }
  spdlog::info("accessibility report {} stored", report.id);
  const config::Config& config = m.config;
  if (!config.web.accessibility_contact.empty() && !config.notification.smtp_url.empty()) {
    const absl::Status sent = SendMail(config.notification, config.web.accessibility_contact,
                                       BarrierReportMail(config, report, now));
    if (!sent.ok()) {
      spdlog::error("accessibility report {} not mailed to {} (it is stored): {}", report.id,
                    config.web.accessibility_contact, sent.message());
    }
  }
  SeeOther(response, "/barrierefreiheit?gesendet=1#feedback");
}

void Reports(Management& m, const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = m.site.PageCaller(request, response, {ACTOR_KIND_ADMIN});
  if (!caller.has_value()) {
    return;
  }
  absl::StatusOr<std::vector<BarrierReport>> reports = m.reports.List();
  if (!reports.ok()) {
    ShowStatusProblem(response, *caller, "Die Meldungen", reports.status());
    return;
  }
  Html(response, 200,
       Page("Meldungen zur Barrierefreiheit", &caller->viewer,
            BarrierReportsMain(*reports, caller->session.csrf_token(), m.config.city.zone)));
}

void ReportDone(Management& m, const httplib::Request& request, httplib::Response& response) {
  std::optional<Caller> caller = m.site.FormCaller(request, response, {ACTOR_KIND_ADMIN});
  if (!caller.has_value()) {
    return;
  }
  const absl::Status removed = m.reports.Remove(request.get_param_value("id"));
  if (!removed.ok() && !absl::IsNotFound(removed)) {
    ShowStatusProblem(response, *caller, "Die Meldung", removed);
    return;
  }
  SeeOther(response, "/barrierefreiheit/meldungen");
}

}  // namespace

void AddManagementPages(httplib::Server& server, Site& site) {
  auto m = std::make_shared<Management>(site);
  server.Get("/auswertung", [m](const httplib::Request& request, httplib::Response& response) {
    Evaluation(*m, request, response);
  });
  server.Get("/auswertung.csv", [m](const httplib::Request& request, httplib::Response& response) {
    EvaluationCsv(*m, request, response);
  });
  server.Get("/betrieb", [m](const httplib::Request& request, httplib::Response& response) {
    Operations(*m, request, response, false);
  });
  server.Get("/betrieb.json", [m](const httplib::Request& request, httplib::Response& response) {
    Operations(*m, request, response, true);
  });
  server.Get("/unternehmen", [m](const httplib::Request& request, httplib::Response& response) {
    CompanySearchPage(*m, request, response);
  });
  server.Get(R"(/unternehmen/(.+))",
             [m](const httplib::Request& request, httplib::Response& response) {
               CompanyFile(*m, request, response);
             });
  server.Get("/barrierefreiheit",
             [m](const httplib::Request& request, httplib::Response& response) {
               ReportForm form;
               form.sent = request.get_param_value("gesendet") == "1";
               Statement(*m, request, response, form, 200);
             });
  server.Post("/barrierefreiheit",
              [m](const httplib::Request& request, httplib::Response& response) {
                ReportBarrier(*m, request, response);
              });
  server.Get("/barrierefreiheit/meldungen",
             [m](const httplib::Request& request, httplib::Response& response) {
               Reports(*m, request, response);
             });
  server.Post("/barrierefreiheit/meldungen/erledigt",
              [m](const httplib::Request& request, httplib::Response& response) {
                ReportDone(*m, request, response);
              });
}

}  // namespace lotse::web
