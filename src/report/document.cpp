// Tables as text, Markdown and CSV; documents as self-contained HTML or Markdown.
#include "powertrain/report/document.h"

#include <fmt/format.h>

#include <algorithm>

#include "powertrain/report/format.h"

namespace powertrain {
namespace report {

namespace {

// Returns the number of columns: the header's, or the longest row's if that is longer.
size_t column_count(const Table& t) {
  size_t n = t.columns.size();
  for (const auto& r : t.rows) n = std::max(n, r.size());
  return n;
}

std::string cell_at(const std::vector<std::string>& row, size_t c) { return c < row.size() ? row[c] : ""; }

bool is_numeric(const Table& t, size_t c) { return c < t.numeric.size() && t.numeric[c]; }

// Returns `s` on one line: line breaks become spaces (a cell must not break a table row).
std::string one_line(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '\r') continue;
    out += ch == '\n' ? ' ' : ch;
  }
  return out;
}

std::string rtrim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

std::string text_table(const Table& t) {
  const size_t n = column_count(t);
  std::vector<size_t> widths(n, 0);
  for (size_t c = 0; c < n; ++c) {
    widths[c] = display_width(one_line(cell_at(t.columns, c)));
    for (const auto& r : t.rows) widths[c] = std::max(widths[c], display_width(one_line(cell_at(r, c))));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < n; ++c) {
      std::string s = one_line(cell_at(cells, c));
      std::string pad(widths[c] - display_width(s), ' ');
      if (c > 0) out += "  ";
      out += is_numeric(t, c) ? pad + s : s + pad;
    }
    return rtrim(out) + "\n";
  };
  std::string out;
  if (!t.title.empty()) out += one_line(t.title) + "\n";
  if (n > 0) {
    out += line(t.columns);
    std::string rule;
    for (size_t c = 0; c < n; ++c) rule += (c > 0 ? "  " : "") + std::string(std::max<size_t>(widths[c], 1), '-');
    out += rule + "\n";
  }
  for (const auto& r : t.rows) out += line(r);
  if (t.rows.empty()) out += "(no rows)\n";
  if (!t.note.empty()) out += one_line(t.note) + "\n";
  return out;
}

// Returns `s` for Markdown on one line: &, < and > as HTML entities, since Markdown passes
// raw HTML through (a run named "<script>" must stay text), and | escaped (a table cell).
std::string md_text(const std::string& s) {
  std::string out;
  for (char ch : one_line(s)) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '|': out += "\\|"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string markdown_table(const Table& t) {
  const size_t n = column_count(t);
  auto md_cell = md_text;
  std::string out;
  if (!t.title.empty()) out += "**" + md_cell(t.title) + "**\n\n";
  if (n == 0) return out + "(no rows)\n";
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s = "|";
    for (size_t c = 0; c < n; ++c) s += " " + md_cell(cell_at(cells, c)) + " |";
    return s + "\n";
  };
  out += line(t.columns);
  out += "|";
  for (size_t c = 0; c < n; ++c) out += is_numeric(t, c) ? " ---: |" : " --- |";
  out += "\n";
  for (const auto& r : t.rows) out += line(r);
  if (!t.note.empty()) out += "\n" + one_line(t.note) + "\n";
  return out;
}

std::string csv(const Table& t) {
  const size_t n = column_count(t);
  auto field = [](const std::string& s) {
    bool quote = s.find_first_of(",\"\r\n") != std::string::npos ||
                 (!s.empty() && (s.front() == ' ' || s.back() == ' '));
    if (!quote) return s;
    std::string q = "\"";
    for (char ch : s) {
      if (ch == '"') q += '"';
      q += ch;
    }
    return q + "\"";
  };
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (size_t c = 0; c < n; ++c) s += (c > 0 ? "," : "") + field(cell_at(cells, c));
    return s + "\n";
  };
  std::string out;
  if (n == 0) return out;
  out += line(t.columns);
  for (const auto& r : t.rows) out += line(r);
  return out;
}

Document::Document(std::string title) : title_(std::move(title)) {}

// Returns a block of the given kind holding `text`.
Document::Block Document::make_block(Kind kind, std::string text) {
  Block b;
  b.kind = kind;
  b.text = std::move(text);
  return b;
}

void Document::heading(std::string text, int level) {
  Block b = make_block(Kind::heading, std::move(text));
  b.level = std::clamp(level, 2, 6);
  blocks_.push_back(std::move(b));
}

void Document::paragraph(std::string text) { blocks_.push_back(make_block(Kind::paragraph, std::move(text))); }

void Document::facts(std::vector<std::pair<std::string, std::string>> items) {
  Block b = make_block(Kind::facts, "");
  b.facts = std::move(items);
  blocks_.push_back(std::move(b));
}

void Document::table(const Table& table) {
  Block b = make_block(Kind::table, "");
  b.table = table;
  blocks_.push_back(std::move(b));
}

void Document::chart(std::string svg, std::string caption) {
  Block b = make_block(Kind::chart, std::move(caption));
  b.svg = std::move(svg);
  blocks_.push_back(std::move(b));
}

namespace {

// The whole style sheet: readable type, quiet tables with zebra rows, charts that shrink
// to the page. No '<' or '&' in it, so the file stays well-formed XML.
const char* const kCss = R"(
:root { color-scheme: light; }
body { margin: 0; background: #ffffff; color: #1a1a1a; line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 1.75em; margin: 0.2em 0 0.6em; padding-bottom: 0.2em; border-bottom: 3px solid #1f3f6e; }
h2 { font-size: 1.3em; margin-top: 1.8em; padding-bottom: 0.1em; border-bottom: 1px solid #d8d8d8; }
h3, h4, h5, h6 { margin-top: 1.4em; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.15em 1.2em; margin: 0.8em 0 1.2em;
  padding: 0.7em 1em; background: #f4f6fa; border-left: 4px solid #1f3f6e; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.table-wrap { overflow-x: auto; margin: 0.8em 0 1.2em; }
table { border-collapse: collapse; font-size: 0.95em; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.35em; }
th, td { padding: 0.3em 0.9em; text-align: left; vertical-align: top; border-bottom: 1px solid #e2e2e2; }
thead th { border-bottom: 2px solid #444444; }
tbody tr:nth-child(even) { background: #f7f9fc; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.note { color: #555555; font-size: 0.9em; margin-top: 0.3em; }
figure { margin: 1.4em 0; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: #444444; font-size: 0.92em; margin-top: 0.4em; }
footer { max-width: 980px; margin: 0 auto; padding: 0 28px 24px; color: #777777; font-size: 0.85em; }
@media print { main { max-width: none; } figure, table, dl.facts { break-inside: avoid; } }
)";

std::string html_table(const Table& t) {
  const size_t n = column_count(t);
  auto cls = [&](size_t c) { return is_numeric(t, c) ? std::string(" class=\"num\"") : std::string(); };
  std::string out = "<div class=\"table-wrap\"><table>";
  if (!t.title.empty()) out += "<caption>" + escape_html(t.title) + "</caption>";
  out += "<thead><tr>";
  for (size_t c = 0; c < n; ++c) out += "<th" + cls(c) + ">" + escape_html(cell_at(t.columns, c)) + "</th>";
  out += "</tr></thead><tbody>";
  for (const auto& r : t.rows) {
    out += "<tr>";
    for (size_t c = 0; c < n; ++c) out += "<td" + cls(c) + ">" + escape_html(cell_at(r, c)) + "</td>";
    out += "</tr>";
  }
  if (t.rows.empty() && n > 0) out += fmt::format("<tr><td colspan=\"{}\">(no rows)</td></tr>", n);
  out += "</tbody></table></div>\n";
  if (!t.note.empty()) out += "<p class=\"note\">" + escape_html(t.note) + "</p>\n";
  return out;
}

}  // namespace

const char* Document::css() { return kCss; }

std::string Document::html() const {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n";
  out += "<title>" + escape_html(title_) + "</title>\n";
  out += "<style>" + std::string(kCss) + "</style>\n</head>\n<body>\n<main>\n";
  out += body_html();
  out += "</main>\n<footer>Generated by powertrain.</footer>\n</body>\n</html>\n";
  return out;
}

std::string Document::body_html() const {
  std::string out;
  if (!title_.empty()) out += "<h1>" + escape_html(title_) + "</h1>\n";
  int figure = 0;
  for (const Block& b : blocks_) {
    switch (b.kind) {
      case Kind::heading:
        out += fmt::format("<h{0}>{1}</h{0}>\n", b.level, escape_html(b.text));
        break;
      case Kind::paragraph:
        out += "<p>" + escape_html(b.text) + "</p>\n";
        break;
      case Kind::facts:
        out += "<dl class=\"facts\">";
        for (const auto& kv : b.facts) out += "<dt>" + escape_html(kv.first) + "</dt><dd>" + escape_html(kv.second) + "</dd>";
        out += "</dl>\n";
        break;
      case Kind::table:
        out += html_table(b.table);
        break;
      case Kind::chart:
        ++figure;
        out += "<figure>\n" + b.svg + "\n<figcaption><strong>" + fmt::format("Figure {}.", figure) + "</strong> " +
               escape_html(b.text) + "</figcaption>\n</figure>\n";
        break;
    }
  }
  return out;
}

std::string Document::markdown() const {
  std::string out = "# " + md_text(title_) + "\n";
  int figure = 0;
  for (const Block& b : blocks_) {
    out += "\n";
    switch (b.kind) {
      case Kind::heading:
        out += std::string(b.level, '#') + " " + md_text(b.text) + "\n";
        break;
      case Kind::paragraph:
        out += md_text(b.text) + "\n";
        break;
      case Kind::facts:
        for (const auto& kv : b.facts) out += "- **" + md_text(kv.first) + ":** " + md_text(kv.second) + "\n";
        break;
      case Kind::table:
        out += markdown_table(b.table);
        break;
      case Kind::chart:
        ++figure;
        out += fmt::format("*Figure {}. {}* (chart in the HTML report)\n", figure, md_text(b.text));
        break;
    }
  }
  return out;
}

}  // namespace report
}  // namespace powertrain
