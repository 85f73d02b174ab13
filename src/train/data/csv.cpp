// Reader for tabular data in CSV: a header line, numeric feature columns and one label
// column holding integer class indices or class names. No LibTorch here (parse.h);
// tensors.cpp makes the tensors.
#include "train/data/parse.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sys/stat.h>

#include "util/text.h"

namespace powertrain::train {

std::string read_whole_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) throw DataError(path + ": is a directory, not a data file");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw DataError(path + ": cannot open: " + std::strerror(errno));
  const std::streamoff size = in.tellg();
  in.seekg(0);
  std::string bytes(static_cast<size_t>(std::max<std::streamoff>(size, 0)), '\0');
  if (size > 0 && !in.read(bytes.data(), size)) throw DataError(path + ": read error");
  return bytes;
}

namespace {

using util::printable;
using util::trim;

// Splits one line into fields at commas; a field may be double-quoted ("" is a quote).
std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(trim(field));
      field.clear();
    } else {
      field += c;
    }
  }
  fields.push_back(trim(field));
  return fields;
}

// Parses the whole of `text` (an optional leading '+' allowed) as a number of type T.
template <class T>
bool parse_number(const std::string& text, T& value) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+') ++begin;
  if (begin == end) return false;
  const auto result = std::from_chars(begin, end, value);
  return result.ec == std::errc() && result.ptr == end;
}

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

RawDataset parse_csv(const std::string& text, const std::string& path, const std::string& label_column) {
  std::vector<std::string> header;
  int64_t label_index = -1;
  std::vector<float> features;         // row-major [rows, feature count]
  std::vector<std::string> label_text;  // one per row
  int64_t line_number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t line_end = text.find('\n', pos);
    if (line_end == std::string::npos) line_end = text.size();
    const std::string line = text.substr(pos, line_end - pos);
    pos = line_end + 1;
    ++line_number;
    if (trim(line).empty()) continue;
    std::vector<std::string> fields = split_fields(line);

    if (header.empty()) {
      header = std::move(fields);
      const auto it = std::find(header.begin(), header.end(), label_column);
      if (it == header.end()) {
        std::string columns;
        for (const auto& name : header) columns += (columns.empty() ? "" : ", ") + name;
        throw DataError(path + ": no label column '" + printable(label_column, 60) + "' in the header line (columns: " +
                        printable(columns, 300) + ")");
      }
      label_index = it - header.begin();
      if (header.size() < 2) throw DataError(path + ": no feature columns besides the label column");
      continue;
    }

    if (fields.size() != header.size()) {
      throw DataError(path + ":" + std::to_string(line_number) + ": expected " + std::to_string(header.size()) +
                      " fields as in the header, found " + std::to_string(fields.size()));
    }
    for (size_t c = 0; c < fields.size(); ++c) {
      if (static_cast<int64_t>(c) == label_index) {
        if (fields[c].empty()) throw DataError(path + ":" + std::to_string(line_number) + ": empty label");
        label_text.push_back(fields[c]);
        continue;
      }
      const auto where = [&] {
        return path + ":" + std::to_string(line_number) + ":" + std::to_string(c + 1) + ": column '" +
               printable(header[c], 60) + "': ";
      };
      double value = 0;
      if (!parse_number(fields[c], value)) throw DataError(where() + "not a number: '" + printable(fields[c], 60) + "'");
      // NaN and infinity would train (to NaN weights); a double beyond a float's range becomes infinity.
      const auto x = static_cast<float>(value);
      if (!std::isfinite(x)) {
        throw DataError(where() + "'" + printable(fields[c], 60) +
                        "' is not a finite 32-bit number: remove the row or fill the value in");
      }
      features.push_back(x);
    }
  }
  if (header.empty()) throw DataError(path + ": empty file (a header line is required)");
  if (label_text.empty()) throw DataError(path + ": no data rows after the header");

  const auto rows = static_cast<int64_t>(label_text.size());
  const auto feature_count = static_cast<int64_t>(header.size()) - 1;
  RawDataset data;
  std::vector<int64_t>& labels = data.labels;
  labels.resize(label_text.size());

  // Integer labels are class indices as they are; anything else is a class name.
  bool all_integers = true;
  for (size_t i = 0; i < label_text.size() && all_integers; ++i) all_integers = parse_number(label_text[i], labels[i]);
  if (all_integers) {
    for (size_t i = 0; i < labels.size(); ++i) {
      if (labels[i] < 0) {
        throw DataError(path + ": negative class index " + printable(label_text[i], 30) + " in the label column");
      }
      if (labels[i] >= kMaxClasses) {
        throw DataError(path + ": class index " + printable(label_text[i], 30) + " in the label column is not below " +
                        std::to_string(kMaxClasses) + " (integer labels are class indices 0..K-1; use names for anything else)");
      }
      data.num_classes = std::max(data.num_classes, labels[i] + 1);
    }
  } else {
    std::map<std::string, int64_t> index_of;  // sorted names
    for (const auto& name : label_text) index_of[name] = 0;
    for (auto& [name, index] : index_of) {
      index = data.num_classes++;
      data.class_names.push_back(name);
    }
    for (size_t i = 0; i < labels.size(); ++i) labels[i] = index_of[label_text[i]];
  }

  data.shape = {rows, feature_count};
  data.values = std::move(features);
  data.description = base_name(path) + ": " + std::to_string(rows) + " x " + std::to_string(feature_count);
  return data;
}

RawDataset read_csv(const std::string& path, const std::string& label_column) {
  return parse_csv(read_whole_file(path), path, label_column);
}

}  // namespace powertrain::train
