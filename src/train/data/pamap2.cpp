// Reader for PAMAP2 Protocol .dat files (physical activity monitoring, 3 IMUs at 100 Hz):
// parses the 54-column rows, fills missing values, drops transient rows and cuts
// fixed-length windows inside one file and one activity. No LibTorch here (parse.h);
// tensors.cpp makes the tensors.
#include "train/data/parse.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>

#include "util/text.h"

namespace powertrain::train {
namespace {

constexpr int kColumns = 54;
constexpr int kActivityColumn = 1;  // 0-based; column 0 is the timestamp, 2 the heart rate
constexpr int kImus = 3;
constexpr int kChannelsPerImu = 9;
constexpr int kChannels = kImus * kChannelsPerImu;  // 27
constexpr std::array<int, kImus> kImuFirstColumn = {3, 20, 37};  // 0-based: temperature column
constexpr std::array<const char*, kImus> kImuNames = {"hand", "chest", "ankle"};

// Offsets inside an IMU's 17 columns (temperature at 0) of the channels used, in order:
// acc16 x/y/z, gyroscope x/y/z, magnetometer x/y/z. acc6 (4-6) and orientation (13-16) are skipped.
constexpr std::array<int, kChannelsPerImu> kChannelOffsets = {1, 2, 3, 7, 8, 9, 10, 11, 12};
constexpr std::array<const char*, kChannelsPerImu> kChannelNames = {
    "acc16 x", "acc16 y", "acc16 z", "gyro x", "gyro y", "gyro z", "mag x", "mag y", "mag z"};

const std::map<int, std::string>& activity_names() {
  static const std::map<int, std::string> names = {
      {1, "lying"},          {2, "sitting"},           {3, "standing"},          {4, "walking"},
      {5, "running"},        {6, "cycling"},           {7, "Nordic walking"},    {9, "watching TV"},
      {10, "computer work"}, {11, "car driving"},      {12, "ascending stairs"}, {13, "descending stairs"},
      {16, "vacuum cleaning"}, {17, "ironing"},        {18, "folding laundry"},  {19, "house cleaning"},
      {20, "playing soccer"}, {24, "rope jumping"}};
  return names;
}

// For each of the 54 columns, the channel it feeds, or -1.
std::array<int, kColumns> column_to_channel() {
  std::array<int, kColumns> map{};
  map.fill(-1);
  for (int imu = 0; imu < kImus; ++imu) {
    for (int k = 0; k < kChannelsPerImu; ++k) map[kImuFirstColumn[imu] + kChannelOffsets[k]] = imu * kChannelsPerImu + k;
  }
  return map;
}

std::string channel_description(int channel) {
  const int imu = channel / kChannelsPerImu;
  const int k = channel % kChannelsPerImu;
  return "column " + std::to_string(kImuFirstColumn[imu] + kChannelOffsets[k] + 1) + " (" + kImuNames[imu] + " " +
         kChannelNames[k] + ")";
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// Parses one number token; "NaN" (any case) gives NaN. Returns false if it is not a number.
bool parse_number(const char* begin, const char* end, double& value) {
  if (end - begin == 3 && (begin[0] | 0x20) == 'n' && (begin[1] | 0x20) == 'a' && (begin[2] | 0x20) == 'n') {
    value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (begin != end && *begin == '+') ++begin;
  const auto result = std::from_chars(begin, end, value);
  return result.ec == std::errc() && result.ptr == end;
}

struct Window {
  size_t file;
  int64_t first_row;
  int activity;
};

}  // namespace

Pamap2Rows parse_pamap2_rows(const std::string& text, const std::string& path) {
  static const std::array<int, kColumns> channel_of = column_to_channel();
  Pamap2Rows rows;
  rows.values.reserve(text.size() / 8);  // rough: a row is ~400 bytes and keeps 27 floats
  const char* p = text.data();
  const char* const end = p + text.size();
  int64_t line_number = 0;
  std::array<float, kChannels> row{};
  while (p < end) {
    const char* line_end = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (!line_end) line_end = end;
    ++line_number;
    int column = 0;
    int activity = 0;
    const char* q = p;
    while (true) {
      while (q < line_end && is_space(*q)) ++q;
      if (q == line_end) break;
      const char* token = q;
      while (q < line_end && !is_space(*q)) ++q;
      if (column < kColumns && (column == kActivityColumn || channel_of[column] >= 0)) {
        double value = 0;
        if (!parse_number(token, q, value)) {
          throw DataError(path + ":" + std::to_string(line_number) + ": column " + std::to_string(column + 1) +
                          ": not a number: '" + util::printable(std::string(token, q), 60) + "'");
        }
        if (column == kActivityColumn) {
          if (!(value >= 0 && value <= 1000 && value == std::floor(value))) {
            throw DataError(path + ":" + std::to_string(line_number) + ": activityID '" +
                            util::printable(std::string(token, q), 60) + "' is not an integer in [0, 1000]");
          }
          activity = static_cast<int>(value);
        } else {
          // NaN is a missing value (filled below); infinity, or a number beyond a float, is not.
          const auto x = static_cast<float>(value);
          if (std::isinf(x)) {
            throw DataError(path + ":" + std::to_string(line_number) + ": column " + std::to_string(column + 1) + ": '" +
                            util::printable(std::string(token, q), 60) +
                            "' is not a finite 32-bit number (write NaN for a missing value)");
          }
          row[channel_of[column]] = x;
        }
      }
      ++column;
    }
    p = line_end + 1;
    if (column == 0) continue;  // blank line
    if (column != kColumns) {
      throw DataError(path + ":" + std::to_string(line_number) + ": expected " + std::to_string(kColumns) +
                      " columns, found " + std::to_string(column));
    }
    rows.values.insert(rows.values.end(), row.begin(), row.end());
    rows.activity.push_back(activity);
  }
  if (rows.rows() == 0) throw DataError(path + ": no data rows");

  // Forward-fill each channel; leading NaNs take the first valid value.
  const int64_t n = rows.rows();
  for (int c = 0; c < kChannels; ++c) {
    float* v = rows.values.data() + c;
    int64_t first_valid = 0;
    while (first_valid < n && std::isnan(v[first_valid * kChannels])) ++first_valid;
    if (first_valid == n) throw DataError(path + ": " + channel_description(c) + " is NaN in every row");
    float last = v[first_valid * kChannels];
    for (int64_t r = 0; r < n; ++r) {
      float& x = v[r * kChannels];
      if (std::isnan(x)) {
        x = last;
      } else {
        last = x;
      }
    }
  }
  return rows;
}

RawDataset pamap2_windows(const std::vector<Pamap2Rows>& files, int64_t window, int64_t stride) {
  if (files.empty()) throw DataError("pamap2: no .dat files given");
  if (window < 1) throw DataError("pamap2: window must be at least 1 sample, got " + std::to_string(window));
  if (stride < 1) throw DataError("pamap2: stride must be at least 1 sample, got " + std::to_string(stride));

  std::vector<Window> windows;
  int64_t labelled_rows = 0;
  for (size_t f = 0; f < files.size(); ++f) {
    const Pamap2Rows& rows = files[f];
    // Segments: maximal runs of consecutive rows with the same non-zero activity.
    int64_t start = 0;
    while (start < rows.rows()) {
      const int activity = rows.activity[start];
      int64_t stop = start + 1;
      while (stop < rows.rows() && rows.activity[stop] == activity) ++stop;
      if (activity != 0) {
        labelled_rows += stop - start;
        // Written so that a huge window or stride cannot overflow: stop - first >= 0 always.
        for (int64_t first = start; stop - first >= window;) {
          windows.push_back({f, first, activity});
          if (stop - first <= stride) break;
          first += stride;
        }
      }
      start = stop;
    }
  }
  if (windows.empty()) {
    throw DataError("pamap2: no windows: " +
                    (labelled_rows == 0
                         ? std::string("the files have no labelled rows (activityID other than 0)")
                         : "the window of " + std::to_string(window) +
                               " samples is longer than every run of one activity; use a shorter window"));
  }

  const auto count = static_cast<int64_t>(windows.size());
  if (count > kMaxPamap2WindowBytes / (kChannels * window * static_cast<int64_t>(sizeof(float)))) {
    throw DataError("pamap2: " + std::to_string(count) + " windows of " + std::to_string(window) + " samples would take " +
                    std::to_string(count * kChannels * window * static_cast<int64_t>(sizeof(float)) >> 30) +
                    " GiB, more than the limit of " + std::to_string(kMaxPamap2WindowBytes >> 30) +
                    " GiB: use a larger data.stride or a shorter data.window");
  }

  // Labels: activity ids present, in id order, become 0..K-1.
  std::map<int, int64_t> label_of;
  for (const auto& w : windows) label_of[w.activity] = 0;
  RawDataset data;
  for (auto& [activity, label] : label_of) {
    label = data.num_classes++;
    const auto it = activity_names().find(activity);
    data.class_names.push_back(it != activity_names().end() ? it->second : "activity " + std::to_string(activity));
  }

  data.shape = {count, kChannels, window};
  data.values.resize(static_cast<size_t>(count * kChannels * window));
  data.labels.resize(static_cast<size_t>(count));
  float* x = data.values.data();
  int64_t* y = data.labels.data();
  for (int64_t i = 0; i < count; ++i) {
    const Window& w = windows[i];
    const float* source = files[w.file].values.data() + w.first_row * kChannels;
    float* target = x + i * kChannels * window;
    for (int64_t t = 0; t < window; ++t) {
      for (int c = 0; c < kChannels; ++c) target[c * window + t] = source[t * kChannels + c];
    }
    y[i] = label_of[w.activity];
  }
  data.description = "pamap2: " + std::to_string(count) + " x " + std::to_string(kChannels) + "x" + std::to_string(window);
  return data;
}

RawDataset read_pamap2(const std::vector<std::string>& dat_files, int64_t window, int64_t stride) {
  if (dat_files.empty()) throw DataError("pamap2: no .dat files given");
  if (window < 1) throw DataError("pamap2: window must be at least 1 sample, got " + std::to_string(window));
  if (stride < 1) throw DataError("pamap2: stride must be at least 1 sample, got " + std::to_string(stride));
  std::vector<Pamap2Rows> files;
  for (const std::string& path : dat_files) files.push_back(parse_pamap2_rows(read_whole_file(path), path));
  return pamap2_windows(files, window, stride);
}

}  // namespace powertrain::train
