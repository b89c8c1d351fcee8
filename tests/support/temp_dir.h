#pragma once

#include <string>
#include <string_view>

namespace lotse::test {

// A fresh directory for one test, e.g. for RocksDB data, config files, logs and ipc:// endpoints.
// The constructor creates it with mkdtemp under $TMPDIR (or /tmp if unset); the destructor
// removes it recursively, unless the environment variable LOTSE_KEEP_TEST_DIRS is set to a
// non-empty value, in which case the path is printed to stderr and the directory is kept.
// The name is kept short ("<tmp>/lotse-XXXXXX") because ipc:// paths must fit in sun_path
// (107 bytes). Aborts with a message if the directory cannot be created.
//
// The TempDir owns the directory. Not copyable. Its methods are const and thread-safe.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  // The absolute path of the directory, without a trailing slash.
  const std::string& path() const { return path_; }

  // Returns path() + "/" + `name`. Creates nothing.
  std::string Join(std::string_view name) const;

 private:
  std::string path_;
};

}  // namespace lotse::test
