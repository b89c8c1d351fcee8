#include "services/cli/table.h"

#include "gtest/gtest.h"

namespace lotse::cli {
namespace {

TEST(ClipTest, CountsCodePointsAndNeverSplitsThem) {
  EXPECT_EQ(DisplayWidth("Straßen – Süd"), 13u);
  EXPECT_EQ(Clip("Bürgerbüro Mitte", 40), "Bürgerbüro Mitte");
  EXPECT_EQ(Clip("Bürgerbüro Mitte", 6), "Bürge…");
  EXPECT_EQ(DisplayWidth(Clip("ääääääää", 5)), 5u);
  EXPECT_EQ(Clip("two\nlines", 20), "two lines");
}

TEST(TableTest, AlignsColumnsByDisplayWidth) {
  Table table({{"id", 10}, {"name", 20}});
  table.AddRow({"bb-sued", "Bürgerbüro Süd"});
  table.AddRow({"bb-mitte", "Mitte"});
  EXPECT_EQ(table.Render(),
            "id        name\n"
            "--------  --------------\n"
            "bb-sued   Bürgerbüro Süd\n"
            "bb-mitte  Mitte\n");
}

TEST(PadTest, FillsToTheDisplayWidth) {
  EXPECT_EQ(Pad("Süd", 5), "Süd  ");
  EXPECT_EQ(Pad("Mitte", 3), "Mitte");
}

}  // namespace
}  // namespace lotse::cli
