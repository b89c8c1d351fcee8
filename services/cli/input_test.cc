#include "services/cli/input.h"

#include "gtest/gtest.h"

namespace lotse::cli {
namespace {

TEST(TextOrStdinTest, KeepsTextThatIsNotADash) {
  EXPECT_EQ(TextOrStdin("Darf ich hier bauen?\n"), "Darf ich hier bauen?\n");
}

}  // namespace
}  // namespace lotse::cli
