// Tests for report/format.h: quantities with units, provenance suffixes, escaping.
#include "powertrain/report/format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace powertrain {
namespace report {
namespace {

const double kInf = std::numeric_limits<double>::infinity();

TEST(Format, EnergyUsesSiPrefixesAndNoWh) {
  EXPECT_EQ(format_energy_j(0.85), "850 mJ");
  EXPECT_EQ(format_energy_j(12.34), "12.3 J");
  EXPECT_EQ(format_energy_j(4560), "4.56 kJ");
  EXPECT_EQ(format_energy_j(7.89e6), "7.89 MJ");
  EXPECT_EQ(format_energy_j(-1500), "-1.50 kJ");
  EXPECT_EQ(format_energy_j(0), "0 J");
  // Rounding up to the next prefix: 999.96 J is 1.00 kJ, never "1000 J".
  EXPECT_EQ(format_energy_j(999.96), "1.00 kJ");
}

TEST(Format, MissingValuesReadNotAvailable) {
  EXPECT_EQ(format_energy_j(NAN), "n/a");
  EXPECT_EQ(format_energy_j(kInf), "n/a");
  EXPECT_EQ(format_power_w(-kInf), "n/a");
  EXPECT_EQ(format_duration_s(NAN), "n/a");
  EXPECT_EQ(format_percent(NAN), "n/a");
  EXPECT_EQ(format_number(NAN), "n/a");
  EXPECT_EQ(format_si(kInf, "B"), "n/a");
}

TEST(Format, Power) {
  EXPECT_EQ(format_power_w(123.4), "123 W");
  EXPECT_EQ(format_power_w(1200), "1.20 kW");
  EXPECT_EQ(format_power_w(0.0123), "12.3 mW");
}

TEST(Format, Duration) {
  EXPECT_EQ(format_duration_s(0.85), "850 ms");
  EXPECT_EQ(format_duration_s(5.5), "5.50 s");
  EXPECT_EQ(format_duration_s(12.34), "12.3 s");
  EXPECT_EQ(format_duration_s(245), "4 min 05 s");
  EXPECT_EQ(format_duration_s(3599.7), "1 h 00 min");
  EXPECT_EQ(format_duration_s(7380), "2 h 03 min");
  EXPECT_EQ(format_duration_s(3 * 86400 + 4 * 3600), "3 d 04 h");
  EXPECT_EQ(format_duration_s(-90), "-1 min 30 s");
}

TEST(Format, PercentAndNumber) {
  EXPECT_EQ(format_percent(20.345), "20.3%");
  EXPECT_EQ(format_percent(100, 0), "100%");
  EXPECT_EQ(format_number(109.63, 4), "109.6");
  EXPECT_EQ(format_number(12345), "12345");  // integer digits are never rounded away
  EXPECT_EQ(format_number(0.004567), "0.00457");
  EXPECT_EQ(format_number(0), "0");
  EXPECT_EQ(format_number(2.5e20), "2.50e+20");
}

TEST(Format, OriginSuffixes) {
  EXPECT_STREQ(origin_name(Origin::simulated), "simulated");
  EXPECT_EQ(with_origin("1.20 kJ", Origin::measured), "1.20 kJ");
  EXPECT_EQ(with_origin("1.20 kJ", Origin::estimated), "1.20 kJ (est.)");
  EXPECT_EQ(with_origin("1.20 kJ", Origin::simulated), "1.20 kJ (sim.)");
  EXPECT_EQ(with_origin("0 J", Origin::missing), "n/a");
}

TEST(Format, EscapeHtml) {
  EXPECT_EQ(escape_html("<script>alert(\"x\")</script> & 'y'"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;");
  // Control characters XML forbids are dropped; tab and newline stay.
  EXPECT_EQ(escape_html(std::string("a\x01" "b\tc\n", 6)), "ab\tc\n");
  EXPECT_EQ(escape_html("\xC2\xB5s"), "\xC2\xB5s");  // UTF-8 passes through
}

TEST(Format, DisplayWidthCountsCharacters) {
  EXPECT_EQ(display_width("abc"), 3u);
  EXPECT_EQ(display_width("\xC2\xB5s"), 2u);       // µs
  EXPECT_EQ(display_width("\xE2\x80\xA6"), 1u);     // …
}

}  // namespace
}  // namespace report
}  // namespace powertrain
