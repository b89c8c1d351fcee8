#include "tests/support/temp_dir.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace lotse::test {
namespace {

namespace fs = std::filesystem;

// "Suite.Name" of the running test, or "" outside a test.
std::string CurrentTestName() {
  const testing::TestInfo* info = testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) {
    return "";
  }
  return absl::StrCat(info->test_suite_name(), ".", info->name());
}

// Gives the owner full access to `root` and every directory below it, so that a test that made
// a directory read-only (to inject a fault) does not leave it behind.
void MakeRemovable(const fs::path& root) {
  std::error_code ec;
  fs::permissions(root, fs::perms::owner_all, fs::perm_options::add, ec);
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code ignored;
    if (it->is_directory(ignored) && !it->is_symlink(ignored)) {
      // Before increment() descends into it, so the directory can then be listed.
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ignored);
    }
  }
}

}  // namespace

TempDir::TempDir() {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string base = (tmpdir != nullptr && *tmpdir != '\0') ? tmpdir : "/tmp";
  while (base.size() > 1 && base.back() == '/') {
    base.pop_back();
  }
  const std::string pattern = absl::StrCat(base == "/" ? "" : base, "/lotse-XXXXXX");
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    std::fprintf(stderr, "lotse::test::TempDir: mkdtemp(%s) failed: %s\n", pattern.c_str(),
                 std::strerror(errno));
    std::abort();
  }
  path_ = buffer.data();
  std::error_code ec;
  fs::path absolute = fs::absolute(path_, ec);
  if (!ec) {
    path_ = absolute.lexically_normal().string();
  }
}

TempDir::~TempDir() {
  const char* keep = std::getenv("LOTSE_KEEP_TEST_DIRS");
  if (keep != nullptr && *keep != '\0') {
    const std::string test = CurrentTestName();
    std::fprintf(stderr, "lotse::test::TempDir: keeping %s%s%s\n", path_.c_str(),
                 test.empty() ? "" : " of test ", test.c_str());
    return;
  }
  std::error_code ec;
  fs::remove_all(path_, ec);
  if (ec) {
    MakeRemovable(path_);
    ec.clear();
    fs::remove_all(path_, ec);
  }
  if (ec) {
    std::fprintf(stderr, "lotse::test::TempDir: cannot remove %s: %s\n", path_.c_str(),
                 ec.message().c_str());
  }
}

std::string TempDir::Join(std::string_view name) const {
  std::string result = path_;
  result += '/';
  result += name;
  return result;
}

}  // namespace lotse::test
