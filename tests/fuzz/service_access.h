#pragma once

// The store of a real service, for fuzz targets that call the service's handler directly.
//
// Why this exists: Handler::HandleCommand and Handler::ApplyEvent take a store::Batch, and a
// Batch must be opened on the service's own store (reads fall through to it; several handlers
// also read the store directly). The services keep their store private and offer no accessor,
// and a second Store on the same RocksDB directory cannot be opened. Until the services grow a
// `store::Store& StoreForTest()`, this header names the private member through an explicit
// template instantiation, which the language exempts from access checking ([temp.spec]/6).
// It reads the member only; nothing here changes how a service behaves. Fuzz targets only.

#include <memory>

#include "common/store/store.h"
#include "services/audit/audit_service.h"
#include "services/intake/intake_service.h"
#include "services/notification/notification_service.h"
#include "services/routing/routing_service.h"

namespace lotse::fuzz {
namespace internal {

// One tag per service: its friend StorePointer() returns the pointer to the private member,
// defined by the explicit instantiation of Expose<> below.
struct IntakeStore {
  using Pointer = std::unique_ptr<store::Store> intake::IntakeService::*;
  friend Pointer StorePointer(IntakeStore);
};
struct RoutingStore {
  using Pointer = std::unique_ptr<store::Store> routing::RoutingService::*;
  friend Pointer StorePointer(RoutingStore);
};
struct NotificationStore {
  using Pointer = std::unique_ptr<store::Store> notification::NotificationService::*;
  friend Pointer StorePointer(NotificationStore);
};
struct AuditStore {
  using Pointer = std::unique_ptr<store::Store> audit::AuditService::*;
  friend Pointer StorePointer(AuditStore);
};

template <typename Tag, typename Tag::Pointer kMember>
struct Expose {
  friend typename Tag::Pointer StorePointer(Tag) { return kMember; }
};

template struct Expose<IntakeStore, &intake::IntakeService::store_>;
template struct Expose<RoutingStore, &routing::RoutingService::store_>;
template struct Expose<NotificationStore, &notification::NotificationService::store_>;
template struct Expose<AuditStore, &audit::AuditService::store_>;

}  // namespace internal

// The store each service opened in Create(). The service owns it.
inline store::Store& StoreOf(intake::IntakeService& s) {
  return *(s.*StorePointer(internal::IntakeStore{}));
}
inline store::Store& StoreOf(routing::RoutingService& s) {
  return *(s.*StorePointer(internal::RoutingStore{}));
}
inline store::Store& StoreOf(notification::NotificationService& s) {
  return *(s.*StorePointer(internal::NotificationStore{}));
}
inline store::Store& StoreOf(audit::AuditService& s) {
  return *(s.*StorePointer(internal::AuditStore{}));
}

}  // namespace lotse::fuzz
