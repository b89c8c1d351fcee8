#include "tests/compat/event_stream.h"

#include <fstream>
#include <iterator>
#include <memory>

#include "common/format.h"
#include "common/store/store.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "rocksdb/db.h"

namespace lotse::compat {

absl::StatusOr<std::vector<std::string>> ReadEventStream(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(StrCat("cannot read ", path));
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  google::protobuf::io::ArrayInputStream array(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream coded(&array);
  coded.SetTotalBytesLimit(static_cast<int>(bytes.size()) + 1);
  std::vector<std::string> events;
  while (coded.CurrentPosition() < static_cast<int>(bytes.size())) {
    uint32_t size = 0;
    std::string event;
    if (!coded.ReadVarint32(&size) || !coded.ReadString(&event, static_cast<int>(size))) {
      return absl::DataLossError(StrCat(path, ": record ", events.size() + 1, " at byte ",
                                        coded.CurrentPosition(), " is truncated"));
    }
    events.push_back(std::move(event));
  }
  return events;
}

absl::Status WriteEventStream(const std::string& path, const std::vector<std::string>& events) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream string_stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&string_stream);
    for (const std::string& event : events) {
      coded.WriteVarint32(static_cast<uint32_t>(event.size()));
      coded.WriteString(event);
    }
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    return absl::UnavailableError(StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ReadOutbox(const std::string& db_path) {
  rocksdb::DBOptions db_options;
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db_options, db_path, &names);
  if (!s.ok()) {
    return absl::NotFoundError(StrCat("no store at ", db_path, ": ", s.ToString()));
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  size_t outbox = names.size();
  for (size_t i = 0; i < names.size(); ++i) {
    descriptors.emplace_back(names[i], rocksdb::ColumnFamilyOptions());
    if (names[i] == "outbox") {
      outbox = i;
    }
  }
  if (outbox == names.size()) {
    return absl::NotFoundError(StrCat("the store at ", db_path, " has no outbox family"));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::OpenForReadOnly(db_options, db_path, descriptors, &handles, &raw);
  std::unique_ptr<rocksdb::DB> db(raw);
  if (!s.ok()) {
    return absl::UnavailableError(StrCat("cannot open ", db_path, ": ", s.ToString()));
  }
  std::vector<std::string> events;
  absl::Status status;
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[outbox]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const rocksdb::Slice key = it->key();
      if (key.size() != 8 || store::DecodeU64({key.data(), key.size()}) != events.size() + 1) {
        status = absl::DataLossError(StrCat(db_path, ": the outbox is not the seqs 1..N (at event ",
                                            events.size() + 1, ")"));
        break;
      }
      events.push_back(it->value().ToString());
    }
    if (status.ok() && !it->status().ok()) {
      status = absl::DataLossError(StrCat(db_path, ": ", it->status().ToString()));
    }
  }
  for (rocksdb::ColumnFamilyHandle* handle : handles) {
    db->DestroyColumnFamilyHandle(handle);
  }
  if (!status.ok()) {
    return status;
  }
  return events;
}

}  // namespace lotse::compat
