// powertrain/report/document.h: tables (terminal, Markdown, CSV) and report documents
// (one self-contained HTML file, or Markdown).
//
// A Table holds text cells, already formatted with their units (see format.h); numeric
// columns are right-aligned. A Document is a list of blocks (headings, paragraphs, key:
// value facts, tables, charts) rendered as HTML with inline CSS and inline SVG: no
// scripts, no external files, so it opens anywhere and can be mailed or archived as is.
//
// Example:
//   using namespace powertrain::report;
//   Table t;
//   t.title = "Energy per setup";
//   t.columns = {"batch size", "learning rate", "energy", "provenance"};
//   t.numeric = {true, true, true, false};
//   t.rows.push_back({"64", "0.01", format_energy_j(3960.0), origin_name(Origin::measured)});
//   std::cout << text_table(t);
//
//   Document doc("Batch size x learning rate");
//   doc.facts({{"machine", "RTX 6000 Ada"}, {"date", "2024-05-01"}});
//   doc.heading("Energy per epoch");
//   doc.chart(svg(heatmap), "Energy per epoch; lowest framed.");
//   doc.table(t);
//   std::ofstream("report.html") << doc.html();
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace powertrain {
namespace report {

struct Table {
  std::string title;                           // shown above the table; may be empty
  std::vector<std::string> columns;            // header texts
  std::vector<std::vector<std::string>> rows;  // cells; short rows are padded with ""
  std::vector<bool> numeric;                   // per column: right-aligned; missing = false
  std::string note;                            // shown below (e.g. what "(est.)" means)
};

// Returns the table as aligned plain text for a terminal: title, header, a rule of "-",
// one line per row, columns two spaces apart, numeric columns right-aligned, no trailing
// spaces. Widths count UTF-8 characters, so "µs" is two wide.
std::string text_table(const Table& table);

// Returns the table as a GitHub-flavoured Markdown table (title in bold above it, "|" in
// cells escaped, line breaks turned into spaces, numeric columns right-aligned).
std::string markdown_table(const Table& table);

// Returns the header and rows as CSV: fields with a comma, quote, CR or LF, or leading or
// trailing spaces are quoted and their quotes doubled (RFC 4180); lines end in "\n"; the
// title and note are not included.
std::string csv(const Table& table);

class Document {
 public:
  explicit Document(std::string title);

  // Adds a section heading; level 2..6 (the document title is the only level 1).
  void heading(std::string text, int level = 2);
  // Adds a paragraph of plain text (escaped; blank lines do not split it).
  void paragraph(std::string text);
  // Adds a key: value list, e.g. {"machine", "..."}, {"date", "..."}.
  void facts(std::vector<std::pair<std::string, std::string>> items);
  // Adds a table.
  void table(const Table& table);
  // Adds a chart: `svg` is a complete <svg> element from report::svg(...), inserted as is;
  // the caption is plain text. Charts are numbered "Figure 1", "Figure 2", ...
  void chart(std::string svg, std::string caption);

  // Returns the document as one self-contained HTML5 file (inline CSS, inline SVG, no
  // scripts or external resources). The markup is also well-formed XML after the doctype.
  std::string html() const;
  // Returns the HTML of the content alone (the title as <h1> unless it is empty, then
  // every block), for pages that bring their own <head> and layout (`powertrain serve`).
  std::string body_html() const;
  // Returns the stylesheet html() inlines, for pages that embed body_html().
  static const char* css();
  // Returns the document as Markdown; a chart becomes its numbered caption with a note
  // that the chart is in the HTML report.
  std::string markdown() const;

  const std::string& title() const { return title_; }

 private:
  enum class Kind { heading, paragraph, facts, table, chart };
  struct Block {
    Kind kind = Kind::paragraph;
    std::string text;  // heading/paragraph text, chart caption
    int level = 2;     // heading level
    std::vector<std::pair<std::string, std::string>> facts;
    Table table;
    std::string svg;
  };
  static Block make_block(Kind kind, std::string text);

  std::string title_;
  std::vector<Block> blocks_;
};

}  // namespace report
}  // namespace powertrain
