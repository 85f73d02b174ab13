// Carbon: the built-in grid table, CO2e arithmetic, equivalents, and table errors.
#include "powertrain/energy/carbon.h"

#include <gtest/gtest.h>

#include <cmath>

namespace powertrain {
namespace {

TEST(Carbon, BuiltinTableHasSourcesAndYears) {
  auto t = CarbonTable::builtin();
  ASSERT_NE(t.find("de"), nullptr);
  ASSERT_NE(t.find("WORLD"), nullptr);
  EXPECT_EQ(t.find("XX"), nullptr);
  EXPECT_GT(t.entries().size(), 30u);
  for (const auto& g : t.entries()) {
    EXPECT_FALSE(g.source.empty()) << g.code;
    EXPECT_GE(g.year, 2020) << g.code;
    EXPECT_GT(g.g_per_kwh, 0) << g.code;
    EXPECT_LT(g.g_per_kwh, 1200) << g.code;
  }
}

TEST(Carbon, OneKilowattHourWithPue) {
  GridIntensity g{"DE", "Germany", 381, "test", 2023};
  auto c = carbon_from_energy(3.6e6, g, 1.58);
  EXPECT_DOUBLE_EQ(c.facility_energy_kwh, 1.58);
  EXPECT_DOUBLE_EQ(c.co2e_g, 381 * 1.58);
  EXPECT_DOUBLE_EQ(c.car_km, 381 * 1.58 / 249.0);
  EXPECT_DOUBLE_EQ(c.smartphone_charges, 1.58 / 0.019);
}

TEST(Carbon, UnknownEnergyStaysUnknown) {
  GridIntensity g{"FR", "France", 56, "test", 2023};
  auto c = carbon_from_energy(NAN, g, 1.0);
  EXPECT_TRUE(std::isnan(c.co2e_g));
  EXPECT_TRUE(std::isnan(c.car_km));
}

TEST(Carbon, MalformedTableNamesTheLine) {
  try {
    CarbonTable::parse("code,name,g_per_kwh,source,year\nDE,Germany,abc,x,2023\n", "mine.csv");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("mine.csv:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(CarbonTable::parse("code,name\n", "x"), std::runtime_error);
  EXPECT_THROW(CarbonTable::parse("code,name,g_per_kwh,source,year\n", "x"), std::runtime_error);
  EXPECT_THROW(CarbonTable::load("/nonexistent/table.csv"), std::runtime_error);
  auto t = CarbonTable::parse("# comment\ncode,name,g_per_kwh,source,year\nxx,Test,100,me,2024\n", "x");
  ASSERT_NE(t.find("XX"), nullptr);
  EXPECT_DOUBLE_EQ(t.find("xx")->g_per_kwh, 100.0);
}

// Strict fields (atoi of a 20-digit year was undefined; "400abc" passed as 400) and raw
// bytes shown escaped, never echoed.
TEST(Carbon, FieldsAreStrictAndBadLinesEscaped) {
  const std::string header = "code,name,g_per_kwh,source,year\n";
  for (const std::string row : {"DE,Germany,400abc,x,2023", "DE,Germany,400,x,99999999999999999999", "DE,Germany,400,x,20x3",
                                "DE,Germany,inf,x,2023", "DE,Germany,1e999,x,2023", "DE,Germany,400,x,1989"}) {
    try {
      CarbonTable::parse(header + row + "\n", "t.csv");
      ADD_FAILURE() << row;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("t.csv:2: expected"), std::string::npos) << e.what();
    }
  }
  try {
    CarbonTable::parse("\x1b[2Jcode\xff\n", "t.csv");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("found '\\x1b[2Jcode\\xff'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(CarbonTable::parse(header + "de,Germany,400.5,x,2023\n", "t.csv").find("DE")->year, 2023);
}

}  // namespace
}  // namespace powertrain
