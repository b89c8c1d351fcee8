#include "common/config/schema.h"

namespace lotse::config::internal {
namespace {

// One function a table or block kind, in the order of the README; each lists the keys of its
// table in file order, each key with the field it fills and, if it is required, an example.

Keys CityKeys(City* city) {
  return {
      String("name", &city->name),
      String("state", &city->state),
      String("timezone", &city->timezone),
      DateList("closing_days", &city->closing_days),
  };
}

Keys NetworkKeys(Network* network) {
  return {
      String("host", &network->host),
      // Each kind of door's own listen address; empty: host.
      String("command_host", &network->command_host),
      String("log_host", &network->log_host),
      String("ops_host", &network->ops_host),
      // Several hosts: where each service is reached, and what it binds.
      StringMap("hosts", &network->hosts),
      String("listen", &network->listen),
      Int("port_base", &network->port_base),
  };
}

Keys LogKeys(Log* log) {
  return {
      LowerCaseString("level", &log->level),
      LowerCaseString("format", &log->format),
  };
}

Keys LimitKeys(Limits* limits) {
  Keys keys;
  for (const LimitField& field : kLimitFields) {
    keys.push_back(Int(field.key, &(limits->*field.field)));
  }
  return keys;
}

Keys RetentionKeys(Retention* retention) {
  Keys keys;
  for (const RetentionField& field : kRetentionFields) {
    keys.push_back(Int(field.key, &(retention->*field.field)));
  }
  return keys;
}

Keys ClockKeys(Clock* clock) {
  return {
      Number("speedup", &clock->speedup),
      Rfc3339Time("start", &clock->start),
  };
}

Keys SchedulingKeys(Scheduling* scheduling) {
  Keys keys;
  for (int i = 0; i < kServiceCount; ++i) {
    keys.push_back(Int(kSchedulingKeys[i], &scheduling->nice[i]));
  }
  return keys;
}

Keys OverrideKeys(Override* rule) {
  return {
      String("office", &rule->office, "office = \"bb-mitte\""),
      String("topic", &rule->topic, "topic = \"gewerbeflaechen\""),
      String("department", &rule->department, "department = \"wirtschaftsfoerderung\""),
  };
}

Keys RoutingKeys(Routing* routing) {
  return {
      String("default_department", &routing->default_department),
      Int("forward_limit", &routing->forward_limit),
      Number("warning_share", &routing->warning_share),
      Int("escalation_scan_ms", &routing->escalation_scan_ms),
      Number("second_breach_hours", &routing->second_breach_hours),
      String("head_name", &routing->head_name),
      String("head_email", &routing->head_email),
      Blocks("overrides", &routing->overrides, OverrideKeys),
  };
}

Keys NotificationKeys(Notification* notification) {
  return {
      String("smtp_url", &notification->smtp_url),
      String("smtp_tls", &notification->smtp_tls),
      String("mail_from", &notification->mail_from),
      Int("retry_initial_ms", &notification->retry_initial_ms),
      Int("retry_max_ms", &notification->retry_max_ms),
      Int("max_attempts", &notification->max_attempts),
  };
}

Keys WebKeys(Web* web) {
  return {
      Int("port", &web->port),
      Int("session_idle_minutes", &web->session_idle_minutes),
      String("tls_cert", &web->tls_cert),
      String("tls_key", &web->tls_key),
      String("accessibility_contact", &web->accessibility_contact),
  };
}

Keys KeysKeys(config::Keys* keys) {
  return {
      String("dir", &keys->dir),
      StringMap("public", &keys->public_keys),
  };
}

Keys GatewayKeys(Gateway* gateway) {
  return {
      String("id", &gateway->id, "id = \"web\""),
      StringList("acts_for", &gateway->acts_for, "acts_for = [\"*\"]"),
  };
}

Keys StaffKeys(StaffMember* staff) {
  return {
      String("id", &staff->id, "id = \"bo-mueller\""),
      String("name", &staff->name, "name = \"Jana Müller\""),
      String("email", &staff->email),
      String("phone", &staff->phone),
      StringList("topics", &staff->topics, "topics = [\"baugenehmigung\"]"),
      StringList("keywords", &staff->keywords),
  };
}

Keys DepartmentKeys(Department* department) {
  return {
      String("id", &department->id, "id = \"bauordnung\""),
      String("name", &department->name, "name = \"Bauordnungsamt\""),
      Number("sla_hours", &department->sla_hours, "sla_hours = 24"),
      String("office_hours", &department->office_hours,
             "office_hours = \"Mon-Thu 08:00-16:00; Fri 08:00-12:30\""),
      String("email", &department->email),
      Number("first_reaction_hours", &department->first_reaction_hours),
      String("lead", &department->lead),
      Blocks("staff", &department->staff, StaffKeys),
  };
}

Keys TopicKeys(Topic* topic) {
  return {
      String("id", &topic->id, "id = \"baugenehmigung\""),
      String("name", &topic->name, "name = \"Baugenehmigung\""),
      String("department", &topic->department, "department = \"bauordnung\""),
      Int("personal_data_days", &topic->personal_data_days),
  };
}

Keys OfficeKeys(Office* office) {
  return {
      String("id", &office->id, "id = \"bb-mitte\""),
      String("name", &office->name, "name = \"Bürgerbüro Mitte\""),
      String("email", &office->email),
  };
}

Keys KeyAccountKeys(KeyAccount* account) {
  return {
      String("id", &account->id, "id = \"kam-schneider\""),
      String("name", &account->name, "name = \"Anna Schneider\""),
      String("department", &account->department, "department = \"wirtschaftsfoerderung\""),
      String("email", &account->email),
      StringList("companies", &account->companies, "companies = [\"HRB-20417\"]"),
  };
}

}  // namespace

Keys ConfigKeys(Config* config) {
  return {
      Table("city", CityKeys(&config->city)),
      Table("network", NetworkKeys(&config->network)),
      String("data_dir", &config->data_dir),
      Table("log", LogKeys(&config->log)),
      Table("limits", LimitKeys(&config->limits)),
      Table("clock", ClockKeys(&config->clock)),
      Table("scheduling", SchedulingKeys(&config->scheduling)),
      Table("routing", RoutingKeys(&config->routing)),
      Table("notification", NotificationKeys(&config->notification)),
      Table("web", WebKeys(&config->web)),
      Table("keys", KeysKeys(&config->keys)),
      Table("retention", RetentionKeys(&config->retention)),
      Blocks("gateways", &config->gateways, GatewayKeys),
      Blocks("departments", &config->departments, DepartmentKeys),
      Blocks("topics", &config->topics, TopicKeys),
      Blocks("offices", &config->offices, OfficeKeys),
      Blocks("key_accounts", &config->key_accounts, KeyAccountKeys),
  };
}

}  // namespace lotse::config::internal
