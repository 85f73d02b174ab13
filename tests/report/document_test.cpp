// Tests for report/document.h: tables as text, Markdown and CSV; documents as HTML and
// Markdown. Also checks the XML checker the chart tests rely on.
#include "powertrain/report/document.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "powertrain/report/chart.h"
#include "powertrain/report/format.h"
#include "xml_check.h"

namespace powertrain {
namespace report {
namespace {

using testing::has_nan_or_inf;
using testing::xml_error;

TEST(XmlChecker, AcceptsGoodAndRejectsBad) {
  EXPECT_EQ(xml_error("<a x=\"1\" y='2'><b/>t &amp; &#60; &#x3c;</a>"), "");
  EXPECT_NE(xml_error("<a><b></a></b>"), "");         // crossed tags
  EXPECT_NE(xml_error("<a>"), "");                    // unclosed
  EXPECT_NE(xml_error("<a x=1/>"), "");               // unquoted attribute
  EXPECT_NE(xml_error("<a x=\"1\" x=\"2\"/>"), "");   // duplicate attribute
  EXPECT_NE(xml_error("<a>&nbsp;</a>"), "");          // not an XML entity
  EXPECT_NE(xml_error("<a>a & b</a>"), "");           // bare ampersand
  EXPECT_NE(xml_error("<a x=\"<\"/>"), "");           // '<' in an attribute
  EXPECT_NE(xml_error("<a/><b/>"), "");               // two roots
  EXPECT_NE(xml_error("text"), "");
  EXPECT_EQ(xml_error("<!DOCTYPE html>\n<html></html>", true), "");
  EXPECT_TRUE(has_nan_or_inf("x=NaN"));
  EXPECT_TRUE(has_nan_or_inf("-Inf"));
  EXPECT_TRUE(has_nan_or_inf("12.3 inf W"));
  EXPECT_TRUE(has_nan_or_inf("y=\"-nan\""));
  EXPECT_TRUE(has_nan_or_inf("Infinity"));
  EXPECT_FALSE(has_nan_or_inf("n/a"));
  EXPECT_FALSE(has_nan_or_inf("provenance, info, infinite, banana"));
}

Table energy_table() {
  Table t;
  t.title = "Energy per setup";
  t.columns = {"setup", "energy", "provenance"};
  t.numeric = {false, true, false};
  t.rows = {{"bs 64", "12.3 kJ", "measured"}, {"bs 4096", "850 J", "estimated"}, {"short row"}};
  return t;
}

TEST(TextTable, AlignsColumnsAndRightAlignsNumbers) {
  EXPECT_EQ(text_table(energy_table()),
            "Energy per setup\n"
            "setup       energy  provenance\n"
            "---------  -------  ----------\n"
            "bs 64      12.3 kJ  measured\n"
            "bs 4096      850 J  estimated\n"
            "short row\n");
}

TEST(TextTable, CountsUtf8CharactersAndHandlesEmpty) {
  Table t;
  t.columns = {"time", "x"};
  t.numeric = {true, false};
  t.rows = {{"850 \xC2\xB5s", "a"}, {"1 s", "b"}};
  EXPECT_EQ(text_table(t),
            "  time  x\n"
            "------  -\n"
            "850 \xC2\xB5s  a\n"
            "   1 s  b\n");
  Table empty;
  empty.title = "nothing";
  EXPECT_EQ(text_table(empty), "nothing\n(no rows)\n");
}

TEST(MarkdownTable, EscapesPipesAndAligns) {
  Table t = energy_table();
  t.rows[0][0] = "a|b\nc";
  t.note = "(est.) = estimated";
  EXPECT_EQ(markdown_table(t),
            "**Energy per setup**\n\n"
            "| setup | energy | provenance |\n"
            "| --- | ---: | --- |\n"
            "| a\\|b c | 12.3 kJ | measured |\n"
            "| bs 4096 | 850 J | estimated |\n"
            "| short row |  |  |\n"
            "\n(est.) = estimated\n");
}

TEST(Csv, QuotesPerRfc4180) {
  Table t;
  t.title = "not in the csv";
  t.columns = {"name", "value", "comment"};
  t.rows = {{"plain", "1.5", "a,b"}, {"say \"hi\"", "two\nlines", " padded"}, {"short"}};
  EXPECT_EQ(csv(t),
            "name,value,comment\n"
            "plain,1.5,\"a,b\"\n"
            "\"say \"\"hi\"\"\",\"two\nlines\",\" padded\"\n"
            "short,,\n");
  EXPECT_EQ(csv(Table{}), "");
}

// A document exercising every block, with hostile text and missing values in it.
Document sample_document() {
  const std::string evil = "<script>alert('x')</script> & \"q\"";
  Document doc("Report " + evil);
  doc.facts({{"machine", "RTX 6000 Ada"}, {"note", evil}});
  doc.heading("Energy " + evil);
  doc.paragraph("Best setup used 20% of the worst setup's energy. " + evil);
  Table t = energy_table();
  t.rows.push_back({evil, format_energy_j(NAN), origin_name(Origin::missing)});
  doc.table(t);
  LineChart l;
  l.title = evil;
  l.series.push_back({"s", {0, 1, NAN}, {1, NAN, 3}});
  doc.chart(svg(l), "Power " + evil);
  BarChart b;
  b.labels = {"a", "b"};
  b.values = {1, NAN};
  doc.chart(svg(b), "Bars");
  Heatmap h;
  h.rows = {"r"};
  h.cols = {"c1", "c2"};
  h.values = {NAN, 2};
  doc.chart(svg(h), "Heat");
  ScatterChart sc;
  sc.points = {{1, 1, "p", true}};
  doc.chart(svg(sc), "Scatter");
  doc.heading("Deep", 9);
  doc.heading("Top", 1);
  return doc;
}

TEST(Document, HtmlIsSelfContainedAndWellFormed) {
  std::string html = sample_document().html();
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(xml_error(html, true), "") << html;
  size_t body = html.find("<body>");
  size_t body_end = html.find("</body>");
  ASSERT_NE(body, std::string::npos);
  ASSERT_NE(body_end, std::string::npos);
  std::string body_xml = html.substr(body, body_end + 7 - body);
  EXPECT_EQ(xml_error(body_xml), "") << body_xml;
  EXPECT_FALSE(has_nan_or_inf(html));
  // No scripts and nothing fetched from elsewhere (the SVG namespace is a name, not a fetch).
  EXPECT_EQ(html.find("<script"), std::string::npos);
  for (const char* fetch : {"src=", "href=", "<link", "@import", "url("}) {
    EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;
  }
  EXPECT_NE(html.find("<style>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"), std::string::npos);
}

TEST(Document, HtmlStructure) {
  std::string html = sample_document().html();
  EXPECT_NE(html.find("<h1>Report &lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("<dt>machine</dt><dd>RTX 6000 Ada</dd>"), std::string::npos);
  EXPECT_NE(html.find("<th class=\"num\">energy</th>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">12.3 kJ</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">n/a</td>"), std::string::npos);
  EXPECT_NE(html.find("<strong>Figure 1.</strong> Power &lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("<strong>Figure 4.</strong> Scatter"), std::string::npos);
  EXPECT_NE(html.find("<h6>Deep</h6>"), std::string::npos);  // levels are clamped to 2..6
  EXPECT_NE(html.find("<h2>Top</h2>"), std::string::npos);
  EXPECT_EQ(std::count(html.begin(), html.end(), '\0'), 0);
}

TEST(Document, Markdown) {
  std::string md = sample_document().markdown();
  EXPECT_EQ(md.rfind("# Report ", 0), 0u);
  EXPECT_NE(md.find("\n- **machine:** RTX 6000 Ada\n"), std::string::npos);
  EXPECT_NE(md.find("\n## Energy "), std::string::npos);
  EXPECT_NE(md.find("| setup | energy | provenance |"), std::string::npos);
  EXPECT_NE(md.find("*Figure 2. Bars* (chart in the HTML report)"), std::string::npos);
  EXPECT_EQ(md.find("<svg"), std::string::npos);
  EXPECT_FALSE(has_nan_or_inf(md));
  // Names from the data stay text: Markdown renderers pass raw HTML through.
  EXPECT_EQ(md.find("<script>"), std::string::npos);
  EXPECT_EQ(md.find('<'), std::string::npos);
  EXPECT_NE(md.find("&lt;script&gt;alert('x')&lt;/script&gt; &amp; \"q\""), std::string::npos);
}

TEST(Document, EmptyDocument) {
  Document doc("");
  EXPECT_EQ(xml_error(doc.html(), true), "");
  EXPECT_EQ(doc.markdown(), "# \n");
}

}  // namespace
}  // namespace report
}  // namespace powertrain
