// Tests of the dataset readers (IDX, CIFAR-10, PAMAP2, CSV), the seeded splits and the
// mini-batch iterator, on small files in the real formats written by the tests.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "support/test_support.h"
#include "train/data/dataset.h"

namespace powertrain::train {
namespace {

using powertrain::test::TempDir;
using powertrain::test::write_file;

// Runs `f` and returns the message of the DataError it throws ("" if none).
template <class F>
std::string data_error_of(F f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<int64_t> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kInt64).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

// ---- IDX ----------------------------------------------------------------------------------

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

std::string idx_images(uint32_t count, uint32_t rows, uint32_t cols, const std::vector<uint8_t>& pixels,
                       uint32_t magic = 0x00000803) {
  std::string out;
  put_u32(out, magic);
  put_u32(out, count);
  put_u32(out, rows);
  put_u32(out, cols);
  out.append(pixels.begin(), pixels.end());
  return out;
}

std::string idx_labels(const std::vector<uint8_t>& labels) {
  std::string out;
  put_u32(out, 0x00000801);
  put_u32(out, static_cast<uint32_t>(labels.size()));
  out.append(labels.begin(), labels.end());
  return out;
}

void write_gz(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

// 3 images of 2x3 with pixel (i, r, c) = 10*i + 3*r + c, labels 7, 0, 9.
const std::vector<uint8_t> kPixels = {0,  1,  2,  3,  4,  5,  10, 11, 12,
                                      13, 14, 15, 20, 21, 22, 23, 24, 255};
const std::vector<uint8_t> kLabels = {7, 0, 9};

void check_small_idx(const Dataset& d) {
  ASSERT_EQ(d.size(), 3);
  EXPECT_EQ(d.example_shape(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(d.x.dtype(), torch::kFloat32);
  EXPECT_EQ(d.y.dtype(), torch::kInt64);
  EXPECT_EQ(to_vector(d.y), (std::vector<int64_t>{7, 0, 9}));
  const torch::Tensor expected =
      torch::tensor(std::vector<float>(kPixels.begin(), kPixels.end())).reshape({3, 1, 2, 3}) / 255.0;
  EXPECT_TRUE(torch::allclose(d.x, expected));
  EXPECT_FLOAT_EQ(d.x[2][0][1][2].item<float>(), 1.0f);
  EXPECT_EQ(d.num_classes, 10);
}

TEST(IdxTest, GzipRoundTrip) {
  TempDir dir;
  write_gz(dir.file("mnist/train-images-idx3-ubyte.gz"), idx_images(3, 2, 3, kPixels));
  write_gz(dir.file("mnist/train-labels-idx1-ubyte.gz"), idx_labels(kLabels));
  const Dataset d = load_idx_dir(dir.file("mnist"), "train");
  check_small_idx(d);
  ASSERT_EQ(d.class_names.size(), 10u);
  EXPECT_EQ(d.class_names[3], "3");
  EXPECT_EQ(d.description, "mnist train: 3 x 1x2x3");
}

TEST(IdxTest, PlainRoundTripWithFashionNames) {
  TempDir dir;
  write_file(dir.file("my-fashion/t10k-images-idx3-ubyte"), idx_images(3, 2, 3, kPixels));
  write_file(dir.file("my-fashion/t10k-labels-idx1-ubyte"), idx_labels(kLabels));
  const Dataset d = load_idx_dir(dir.file("my-fashion"), "test");
  check_small_idx(d);
  ASSERT_EQ(d.class_names.size(), 10u);
  EXPECT_EQ(d.class_names[0], "T-shirt/top");
  EXPECT_EQ(d.class_names[9], "Ankle boot");
  // The format is decided by content: a gzip file without .gz and plain files both load.
  write_gz(dir.file("x/images"), idx_images(3, 2, 3, kPixels));
  check_small_idx(load_idx(dir.file("x/images"), dir.file("my-fashion/t10k-labels-idx1-ubyte")));
}

TEST(IdxTest, TruncatedPixelsNameTheFile) {
  TempDir dir;
  const std::vector<uint8_t> short_pixels(kPixels.begin(), kPixels.begin() + 10);
  write_file(dir.file("images"), idx_images(3, 2, 3, short_pixels));
  write_file(dir.file("labels"), idx_labels(kLabels));
  const std::string message = data_error_of([&] { load_idx(dir.file("images"), dir.file("labels")); });
  EXPECT_TRUE(contains(message, dir.file("images") + ": truncated: expected 18 bytes of pixel data, found 10"))
      << message;

  // Also compressed, and truncated labels.
  write_gz(dir.file("images.gz"), idx_images(3, 2, 3, short_pixels));
  EXPECT_TRUE(contains(data_error_of([&] { load_idx(dir.file("images.gz"), dir.file("labels")); }), "truncated"));
  write_file(dir.file("full-images"), idx_images(3, 2, 3, kPixels));
  write_file(dir.file("short-labels"), idx_labels(kLabels).substr(0, 10));
  const std::string labels_message =
      data_error_of([&] { load_idx(dir.file("full-images"), dir.file("short-labels")); });
  EXPECT_TRUE(contains(labels_message, dir.file("short-labels") + ": truncated")) << labels_message;
  // A header cut short.
  write_file(dir.file("tiny"), std::string("\0\0\x08", 3));
  EXPECT_TRUE(contains(data_error_of([&] { load_idx(dir.file("tiny"), dir.file("labels")); }), dir.file("tiny")));
}

TEST(IdxTest, BadMagicNamesTheFile) {
  TempDir dir;
  write_file(dir.file("images"), idx_images(3, 2, 3, kPixels, 0x00000801));
  write_file(dir.file("labels"), idx_labels(kLabels));
  const std::string message = data_error_of([&] { load_idx(dir.file("images"), dir.file("labels")); });
  EXPECT_TRUE(contains(message, dir.file("images"))) << message;
  EXPECT_TRUE(contains(message, "bad magic 0x00000801")) << message;
  // Labels and images swapped.
  write_file(dir.file("good-images"), idx_images(3, 2, 3, kPixels));
  const std::string swapped = data_error_of([&] { load_idx(dir.file("good-images"), dir.file("good-images")); });
  EXPECT_TRUE(contains(swapped, "bad magic 0x00000803")) << swapped;
}

TEST(IdxTest, CountMismatchAndBadLabels) {
  TempDir dir;
  write_file(dir.file("images"), idx_images(3, 2, 3, kPixels));
  write_file(dir.file("labels"), idx_labels({1, 2}));
  const std::string message = data_error_of([&] { load_idx(dir.file("images"), dir.file("labels")); });
  EXPECT_TRUE(contains(message, dir.file("images"))) << message;
  EXPECT_TRUE(contains(message, dir.file("labels"))) << message;
  EXPECT_TRUE(contains(message, "3 images")) << message;
  EXPECT_TRUE(contains(message, "2 labels")) << message;

  write_file(dir.file("labels10"), idx_labels({1, 10, 2}));
  const std::string label_message = data_error_of([&] { load_idx(dir.file("images"), dir.file("labels10")); });
  EXPECT_TRUE(contains(label_message, dir.file("labels10"))) << label_message;
  EXPECT_TRUE(contains(label_message, "label 10")) << label_message;
}

TEST(IdxTest, MissingFilesAndUnknownSplit) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("empty"));
  const std::string message = data_error_of([&] { load_idx_dir(dir.file("empty"), "train"); });
  EXPECT_TRUE(contains(message, "train-images-idx3-ubyte")) << message;
  EXPECT_FALSE(data_error_of([&] { load_idx_dir(dir.file("empty"), "validation"); }).empty());
  EXPECT_TRUE(contains(data_error_of([&] { load_idx(dir.file("nope"), dir.file("nope2")); }), dir.file("nope")));
}

// Dimensions whose product overflows 64 bits used to print a negative byte count; the
// message now gives the true size. A large claim on a short file is "truncated", read
// without allocating what the header claims.
TEST(IdxTest, HugeDimensionsGiveTheTrueByteCount) {
  TempDir dir;
  write_file(dir.file("images"), idx_images(0xffffffffu, 0xffffffffu, 0xffffffffu, kPixels));
  std::string labels;
  put_u32(labels, 0x00000801);
  put_u32(labels, 0xffffffffu);
  write_file(dir.file("labels"), labels);
  const std::string message = data_error_of([&] { load_idx(dir.file("images"), dir.file("labels")); });
  EXPECT_TRUE(contains(message, dir.file("images") + ": the header claims 4294967295 images of 4294967295x4294967295 bytes, "
                                                     "7.92e+28 bytes in all")) << message;
  EXPECT_FALSE(contains(message, " -")) << message;  // no negative count

  write_file(dir.file("big-images"), idx_images(0xffffffffu, 1000, 1000, kPixels));
  const std::string big = data_error_of([&] { load_idx(dir.file("big-images"), dir.file("labels")); });
  EXPECT_TRUE(contains(big, dir.file("big-images") + ": truncated: expected 4294967295000000 bytes of pixel data, found 18"))
      << big;
}

TEST(IdxTest, LoadsRealFashionMnist) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << dir << " is absent";
  const auto start = std::chrono::steady_clock::now();
  const Dataset train = load_idx_dir(dir, "train");
  const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const Dataset test = load_idx_dir(dir, "test");
  std::printf("[ info     ] Fashion-MNIST train (60000 images) loaded in %.3f s\n", train_s);

  EXPECT_EQ(train.size(), 60000);
  EXPECT_EQ(test.size(), 10000);
  EXPECT_EQ(train.example_shape(), (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(test.example_shape(), (std::vector<int64_t>{1, 28, 28}));
  EXPECT_GE(train.x.min().item<float>(), 0.0f);
  EXPECT_LE(train.x.max().item<float>(), 1.0f);
  EXPECT_GT(train.x.max().item<float>(), 0.99f);
  EXPECT_EQ(train.y.min().item<int64_t>(), 0);
  EXPECT_EQ(train.y.max().item<int64_t>(), 9);
  // Fashion-MNIST is balanced: 6000 training examples per class.
  EXPECT_EQ(torch::bincount(train.y).min().item<int64_t>(), 6000);
  ASSERT_EQ(train.class_names.size(), 10u);
  EXPECT_EQ(train.class_names[9], "Ankle boot");
  EXPECT_EQ(train.description, "fashion-mnist train: 60000 x 1x28x28");
}

// ---- CIFAR-10 -----------------------------------------------------------------------------

uint8_t cifar_pixel(int record, int c, int h, int w) { return static_cast<uint8_t>((record * 5 + c * 7 + h * 3 + w) % 256); }

std::string cifar_records(int first_record, int count) {
  std::string out;
  for (int i = first_record; i < first_record + count; ++i) {
    out += static_cast<char>(i % 10);
    for (int c = 0; c < 3; ++c) {
      for (int h = 0; h < 32; ++h) {
        for (int w = 0; w < 32; ++w) out += static_cast<char>(cifar_pixel(i, c, h, w));
      }
    }
  }
  return out;
}

const std::vector<std::string> kCifarNames = {"airplane", "automobile", "bird",  "cat",  "deer",
                                              "dog",      "frog",       "horse", "ship", "truck"};

void write_cifar(const TempDir& dir) {
  for (int b = 1; b <= 5; ++b) write_file(dir.file("data_batch_" + std::to_string(b) + ".bin"), cifar_records(2 * (b - 1), 2));
  write_file(dir.file("test_batch.bin"), cifar_records(100, 3));
  std::string meta;
  for (const auto& name : kCifarNames) meta += name + "\n";
  write_file(dir.file("batches.meta.txt"), meta + "\n");
}

TEST(CifarTest, ReadsTrainAndTestBatches) {
  TempDir dir;
  write_cifar(dir);
  const Dataset train = load_cifar10(dir.path(), "train");
  ASSERT_EQ(train.size(), 10);
  EXPECT_EQ(train.example_shape(), (std::vector<int64_t>{3, 32, 32}));
  EXPECT_EQ(to_vector(train.y), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(train.num_classes, 10);
  EXPECT_EQ(train.class_names, kCifarNames);
  // Channel-major layout: record 7 (in data_batch_4), blue channel, row 5, column 9.
  EXPECT_FLOAT_EQ(train.x[7][2][5][9].item<float>(), cifar_pixel(7, 2, 5, 9) / 255.0f);
  EXPECT_FLOAT_EQ(train.x[3][0][31][0].item<float>(), cifar_pixel(3, 0, 31, 0) / 255.0f);
  EXPECT_FLOAT_EQ(train.x[0][1][0][31].item<float>(), cifar_pixel(0, 1, 0, 31) / 255.0f);

  const Dataset test = load_cifar10(dir.path(), "test");
  ASSERT_EQ(test.size(), 3);
  EXPECT_EQ(to_vector(test.y), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_FLOAT_EQ(test.x[2][1][30][4].item<float>(), cifar_pixel(102, 1, 30, 4) / 255.0f);
  EXPECT_GE(test.x.min().item<float>(), 0.0f);
  EXPECT_LE(test.x.max().item<float>(), 1.0f);
}

TEST(CifarTest, SizeNotMultipleOfRecordIsAnError) {
  TempDir dir;
  write_cifar(dir);
  write_file(dir.file("data_batch_3.bin"), cifar_records(0, 2) + "12345");
  const std::string message = data_error_of([&] { load_cifar10(dir.path(), "train"); });
  EXPECT_TRUE(contains(message, dir.file("data_batch_3.bin"))) << message;
  EXPECT_TRUE(contains(message, std::to_string(2 * 3073 + 5))) << message;
  EXPECT_TRUE(contains(message, "3073")) << message;
}

TEST(CifarTest, BadLabelAndMissingFile) {
  TempDir dir;
  write_cifar(dir);
  std::string records = cifar_records(0, 3);
  records[3073] = 10;  // the label of record 1
  write_file(dir.file("test_batch.bin"), records);
  const std::string message = data_error_of([&] { load_cifar10(dir.path(), "test"); });
  EXPECT_TRUE(contains(message, dir.file("test_batch.bin"))) << message;
  EXPECT_TRUE(contains(message, "record 1")) << message;

  std::filesystem::remove(dir.file("data_batch_5.bin"));
  EXPECT_TRUE(contains(data_error_of([&] { load_cifar10(dir.path(), "train"); }), "data_batch_5.bin"));
}

// ---- PAMAP2 -------------------------------------------------------------------------------

// The value written for (file, row, 0-based column), distinct everywhere.
double pamap_value(int file, int row, int column) { return file * 10000 + row * 100 + column + 0.25; }

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One row in the 54-column Protocol format; `nan_columns` (0-based) are written as NaN.
std::string pamap_row(int file, int row, int activity, const std::set<int>& nan_columns = {}) {
  std::string line;
  char buffer[64];
  for (int column = 0; column < 54; ++column) {
    if (column > 0) line += ' ';
    if (column == 1) {
      line += std::to_string(activity);
    } else if (column == 2 && row % 11 != 0) {
      line += "NaN";  // heart rate: mostly missing, as in the real files
    } else if (nan_columns.count(column)) {
      line += "NaN";
    } else {
      std::snprintf(buffer, sizeof buffer, "%.6f", column == 0 ? row * 0.01 : pamap_value(file, row, column));
      line += buffer;
    }
  }
  return line + "\n";
}

// Channel index -> 0-based column: per IMU (first column 3, 20, 37) acc16 at +1..3,
// gyroscope at +7..9, magnetometer at +10..12.
int channel_column(int channel) {
  const int imu_first[] = {3, 20, 37};
  const int offsets[] = {1, 2, 3, 7, 8, 9, 10, 11, 12};
  return imu_first[channel / 9] + offsets[channel % 9];
}

struct PamapFiles {
  std::string a, b;
};

// File a: rows 0-1 activity 0, 2-9 lying (1), 10-14 walking (4), 15 activity 0, 16-21 walking.
// File b: rows 0-6 rope jumping (24). Some NaNs to be filled.
PamapFiles write_pamap(const TempDir& dir) {
  std::string a;
  for (int row = 0; row < 22; ++row) {
    const int activity = row < 2 ? 0 : row < 10 ? 1 : row < 15 ? 4 : row == 15 ? 0 : 4;
    std::set<int> nans;
    if (row == 5) nans.insert(channel_column(0));   // hand acc16 x
    if (row == 16) nans.insert(channel_column(0));  // after the transient row
    if (row == 7 || row == 8) nans.insert(channel_column(26));  // ankle mag z
    a += pamap_row(0, row, activity, nans);
  }
  std::string b;
  for (int row = 0; row < 7; ++row) {
    std::set<int> nans;
    if (row < 2) nans.insert(channel_column(17));  // chest mag z: leading NaNs
    b += pamap_row(1, row, 24, nans);
  }
  PamapFiles files{dir.file("subject101.dat"), dir.file("subject102.dat")};
  write_file(files.a, a);
  write_file(files.b, b);
  return files;
}

TEST(Pamap2Test, WindowsLabelsAndNames) {
  TempDir dir;
  const PamapFiles files = write_pamap(dir);
  const Dataset d = load_pamap2({files.a, files.b}, /*window=*/4, /*stride=*/2);
  // Windows start at a: 2, 4, 6 (lying); 10; 16, 18 (walking); b: 0, 2 (rope jumping).
  ASSERT_EQ(d.size(), 8);
  EXPECT_EQ(d.example_shape(), (std::vector<int64_t>{27, 4}));
  EXPECT_EQ(d.x.dtype(), torch::kFloat32);
  EXPECT_EQ(to_vector(d.y), (std::vector<int64_t>{0, 0, 0, 1, 1, 1, 2, 2}));
  EXPECT_EQ(d.num_classes, 3);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"lying", "walking", "rope jumping"}));
  EXPECT_EQ(d.description, "pamap2: 8 x 27x4");

  const int files_of[] = {0, 0, 0, 0, 0, 0, 1, 1};
  const int starts[] = {2, 4, 6, 10, 16, 18, 0, 2};
  // Every channel of every window, with the NaNs replaced by the previous valid value.
  for (int n = 0; n < 8; ++n) {
    for (int c = 0; c < 27; ++c) {
      for (int t = 0; t < 4; ++t) {
        int row = starts[n] + t;
        const int file = files_of[n];
        if (file == 0 && c == 0 && (row == 5 || row == 16)) row -= 1;
        if (file == 0 && c == 26 && (row == 7 || row == 8)) row = 6;
        if (file == 1 && c == 17 && row < 2) row = 2;  // leading NaNs: the first valid value
        EXPECT_FLOAT_EQ(d.x[n][c][t].item<float>(), static_cast<float>(pamap_value(file, row, channel_column(c))))
            << "window " << n << " channel " << c << " t " << t;
      }
    }
  }
}

TEST(Pamap2Test, WindowsStayInsideOneRun) {
  TempDir dir;
  const PamapFiles files = write_pamap(dir);
  // Window 6: lying rows 2-9 give starts 2 and 4 with stride 2; walking 10-14 is too short; 16-21 gives 16.
  const Dataset d = load_pamap2({files.a}, 6, 2);
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"lying", "walking"}));
  EXPECT_FLOAT_EQ(d.x[2][1][0].item<float>(), static_cast<float>(pamap_value(0, 16, channel_column(1))));
  // Stride 1 counts every start.
  EXPECT_EQ(load_pamap2({files.a, files.b}, 4, 1).size(), 5 + 2 + 3 + 4);
}

TEST(Pamap2Test, Errors) {
  TempDir dir;
  const PamapFiles files = write_pamap(dir);
  // A row with 53 columns on line 3.
  std::string rows = pamap_row(0, 0, 1) + pamap_row(0, 1, 1);
  std::string short_row = pamap_row(0, 2, 1);
  short_row = short_row.substr(0, short_row.rfind(' ')) + "\n";
  write_file(dir.file("bad.dat"), rows + short_row + pamap_row(0, 3, 1));
  const std::string message = data_error_of([&] { load_pamap2({dir.file("bad.dat")}, 2, 1); });
  EXPECT_TRUE(contains(message, dir.file("bad.dat") + ":3: expected 54 columns, found 53")) << message;

  // Window longer than every run.
  const std::string too_long = data_error_of([&] { load_pamap2({files.a, files.b}, 9, 1); });
  EXPECT_TRUE(contains(too_long, "window")) << too_long;

  // Only transient rows.
  write_file(dir.file("transient.dat"), pamap_row(0, 0, 0) + pamap_row(0, 1, 0));
  const std::string unlabelled = data_error_of([&] { load_pamap2({dir.file("transient.dat")}, 1, 1); });
  EXPECT_TRUE(contains(unlabelled, "labelled")) << unlabelled;

  // A used column that is NaN in every row.
  const int column = channel_column(13);
  write_file(dir.file("nan.dat"), pamap_row(0, 0, 1, {column}) + pamap_row(0, 1, 1, {column}));
  const std::string all_nan = data_error_of([&] { load_pamap2({dir.file("nan.dat")}, 1, 1); });
  EXPECT_TRUE(contains(all_nan, dir.file("nan.dat"))) << all_nan;
  EXPECT_TRUE(contains(all_nan, "column " + std::to_string(column + 1))) << all_nan;

  // Not a number.
  std::string garbled = pamap_row(0, 1, 1);
  const size_t hand_acc_x = garbled.find(std::to_string(pamap_value(0, 1, channel_column(0))).substr(0, 6));
  ASSERT_NE(hand_acc_x, std::string::npos);
  garbled.insert(hand_acc_x, "1.2.3x");
  write_file(dir.file("garbled.dat"), pamap_row(0, 0, 1) + garbled);
  const std::string not_a_number = data_error_of([&] { load_pamap2({dir.file("garbled.dat")}, 1, 1); });
  EXPECT_TRUE(contains(not_a_number, dir.file("garbled.dat") + ":2: column 5")) << not_a_number;

  EXPECT_TRUE(contains(data_error_of([&] { load_pamap2({dir.file("missing.dat")}, 1, 1); }), "missing.dat"));
  EXPECT_FALSE(data_error_of([&] { load_pamap2({files.a}, 0, 1); }).empty());
  EXPECT_FALSE(data_error_of([&] { load_pamap2({files.a}, 4, 0); }).empty());
  EXPECT_FALSE(data_error_of([&] { load_pamap2({}, 4, 1); }).empty());
}

// ---- CSV ----------------------------------------------------------------------------------

TEST(CsvTest, NumericLabels) {
  TempDir dir;
  write_file(dir.file("numbers.csv"), "a, b ,label\n1,2,0\r\n3.5,-4e-1,2\n\n+7,0.125,1\n");
  const Dataset d = load_csv(dir.file("numbers.csv"), "label");
  ASSERT_EQ(d.size(), 3);
  EXPECT_EQ(d.example_shape(), (std::vector<int64_t>{2}));
  EXPECT_TRUE(torch::allclose(d.x, torch::tensor({1.0f, 2.0f, 3.5f, -0.4f, 7.0f, 0.125f}).reshape({3, 2})));
  EXPECT_EQ(to_vector(d.y), (std::vector<int64_t>{0, 2, 1}));
  EXPECT_EQ(d.num_classes, 3);
  EXPECT_EQ(d.description, "numbers.csv: 3 x 2");
}

TEST(CsvTest, StringLabelsInAnyColumn) {
  TempDir dir;
  write_file(dir.file("iris.csv"), "f1,species,f2\n1,virginica,2\n3,setosa,4\n5,\"virginica\",6\n");
  const Dataset d = load_csv(dir.file("iris.csv"), "species");
  ASSERT_EQ(d.size(), 3);
  EXPECT_TRUE(torch::equal(d.x, torch::tensor({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}).reshape({3, 2})));
  EXPECT_EQ(to_vector(d.y), (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(d.num_classes, 2);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"setosa", "virginica"}));
}

TEST(CsvTest, BadNumberNamesFileLineAndColumn) {
  TempDir dir;
  write_file(dir.file("bad.csv"), "a,b,label\n1,2,0\n3,xyz,1\n");
  const std::string message = data_error_of([&] { load_csv(dir.file("bad.csv"), "label"); });
  EXPECT_TRUE(contains(message, dir.file("bad.csv") + ":3:2")) << message;
  EXPECT_TRUE(contains(message, "'b'")) << message;
  EXPECT_TRUE(contains(message, "xyz")) << message;

  write_file(dir.file("empty-cell.csv"), "a,b,label\n1,,0\n");
  EXPECT_TRUE(contains(data_error_of([&] { load_csv(dir.file("empty-cell.csv"), "label"); }), ":2:2"));
  write_file(dir.file("ragged.csv"), "a,b,label\n1,2,0\n1,0\n");
  EXPECT_TRUE(contains(data_error_of([&] { load_csv(dir.file("ragged.csv"), "label"); }), ":3:"));
}

TEST(CsvTest, MissingLabelColumnListsColumns) {
  TempDir dir;
  write_file(dir.file("x.csv"), "alpha,beta,gamma\n1,2,3\n");
  const std::string message = data_error_of([&] { load_csv(dir.file("x.csv"), "label"); });
  EXPECT_TRUE(contains(message, dir.file("x.csv"))) << message;
  EXPECT_TRUE(contains(message, "'label'")) << message;
  EXPECT_TRUE(contains(message, "alpha, beta, gamma")) << message;

  write_file(dir.file("header-only.csv"), "a,label\n");
  EXPECT_FALSE(data_error_of([&] { load_csv(dir.file("header-only.csv"), "label"); }).empty());
  write_file(dir.file("empty.csv"), "");
  EXPECT_FALSE(data_error_of([&] { load_csv(dir.file("empty.csv"), "label"); }).empty());
}

// NaN and infinity used to load and train (to NaN weights); they are refused naming the
// file, the line and the column, as is a number beyond a float (it would become infinity).
TEST(CsvTest, NanAndInfinityAreRefusedNamingLineAndColumn) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"nan", ":3:2"}, {"NaN", ":3:2"}, {"inf", ":3:2"}, {"-Infinity", ":3:2"}, {"1e39", ":3:2"}, {"-1e300", ":3:2"}};
  for (const auto& [value, where] : cases) {
    write_file(dir.file("bad.csv"), "a,b,label\n1,2,0\n3," + value + ",1\n");
    const std::string message = data_error_of([&] { load_csv(dir.file("bad.csv"), "label"); });
    EXPECT_TRUE(contains(message, dir.file("bad.csv") + where + ": column 'b': '" + value + "' is not a finite 32-bit number"))
        << value << ": " << message;
  }
  // The largest float still loads.
  write_file(dir.file("big.csv"), "a,label\n3.4e38,0\n");
  EXPECT_FLOAT_EQ(load_csv(dir.file("big.csv"), "label").x[0][0].item<float>(), 3.4e38f);
}

TEST(CsvTest, HugeClassIndexIsRefused) {
  // Integer labels are class indices: 9223372036854775807 used to overflow num_classes.
  for (const std::string label : {"9223372036854775807", "1048576"}) {
    const std::string message = data_error_of([&] { parse_csv("f,label\n1,0\n2," + label + "\n", "t.csv", "label"); });
    EXPECT_TRUE(contains(message, "t.csv: class index " + label + " in the label column is not below 1048576")) << message;
  }
  EXPECT_EQ(parse_csv("f,label\n1,1048575\n", "t.csv", "label").num_classes, 1048576);
}

TEST(CsvTest, RawBytesInErrorsAreEscaped) {
  const std::string message = data_error_of([&] { parse_csv("a,label\n\x1b[2J\xff,0\n", "t.csv", "label"); });
  EXPECT_TRUE(contains(message, "not a number: '\\x1b[2J\\xff'")) << message;
  EXPECT_FALSE(contains(message, "\x1b")) << message;
}

// The parse step alone, without tensors: the arrays the fuzz targets see.
TEST(ParseTest, CsvPamapCifarAndIdxGivePlainArrays) {
  RawDataset csv = parse_csv("a,b,label\n1,2,cat\n3,4,dog\n", "t.csv", "label");
  EXPECT_EQ(csv.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(csv.values, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(csv.labels, (std::vector<int64_t>{0, 1}));

  RawDataset cifar;
  parse_cifar10_batch(cifar_records(0, 2), "b.bin", cifar);
  EXPECT_EQ(cifar.shape, (std::vector<int64_t>{2, 3, 32, 32}));
  EXPECT_EQ(cifar.pixels.size(), 2u * 3072u);
  EXPECT_EQ(cifar.labels, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(parse_cifar10_names("a\nb\n\nc\nd\ne\nf\ng\nh\ni\n j \n", "m.txt").back(), "j");

  MemorySource images(idx_images(3, 2, 3, kPixels)), labels(idx_labels(kLabels));
  RawDataset idx = parse_idx(images, "images", labels, "labels");
  EXPECT_EQ(idx.shape, (std::vector<int64_t>{3, 1, 2, 3}));
  EXPECT_EQ(idx.pixels, kPixels);
  EXPECT_EQ(idx.labels, (std::vector<int64_t>{7, 0, 9}));

  std::string rows;
  for (int row = 0; row < 6; ++row) rows += pamap_row(0, row, 3);
  RawDataset pamap = pamap2_windows({parse_pamap2_rows(rows, "s.dat")}, 4, 2);
  EXPECT_EQ(pamap.shape, (std::vector<int64_t>{2, 27, 4}));
  EXPECT_EQ(pamap.labels, (std::vector<int64_t>{0, 0}));
  // A window or stride near the largest integer cannot overflow the window arithmetic.
  EXPECT_TRUE(contains(data_error_of([&] { pamap2_windows({parse_pamap2_rows(rows, "s.dat")}, INT64_MAX, 1); }), "window"));
  EXPECT_EQ(pamap2_windows({parse_pamap2_rows(rows, "s.dat")}, 1, INT64_MAX).shape[0], 1);
}

// ---- Splits -------------------------------------------------------------------------------

// n examples whose first feature is the example's id; y = id % 3.
Dataset numbered_pool(int64_t n) {
  Dataset d;
  const torch::Tensor ids = torch::arange(n, torch::kFloat32);
  d.x = torch::stack({ids, ids * 2 + 1, torch::ones({n}) * 5}, 1);
  d.y = torch::arange(n, torch::kInt64).remainder(3);
  d.num_classes = 3;
  d.class_names = {"a", "b", "c"};
  d.description = "toy train: " + std::to_string(n) + " x 3";
  return d;
}

std::vector<int64_t> ids_of(const Dataset& d) { return to_vector(d.x.select(1, 0)); }

TEST(SplitTest, SizesDisjointnessAndLabels) {
  SplitSpec spec;
  spec.val_fraction = 0.1;
  spec.test_fraction = 0.2;
  spec.seed = 7;
  const Splits s = make_splits(numbered_pool(100), Dataset{}, spec);
  EXPECT_EQ(s.train.size(), 70);
  EXPECT_EQ(s.val.size(), 10);
  EXPECT_EQ(s.test.size(), 20);
  std::set<int64_t> seen;
  for (const Dataset* part : {&s.train, &s.val, &s.test}) {
    for (int64_t id : ids_of(*part)) EXPECT_TRUE(seen.insert(id).second) << "example " << id << " in two splits";
    // Labels travel with their examples.
    EXPECT_EQ(to_vector(part->y), to_vector(part->x.select(1, 0).to(torch::kInt64).remainder(3)));
    EXPECT_EQ(part->num_classes, 3);
    EXPECT_EQ(part->class_names, (std::vector<std::string>{"a", "b", "c"}));
  }
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(s.train.description, "toy train: 70 x 3");
  EXPECT_EQ(s.val.description, "toy val: 10 x 3");
  EXPECT_EQ(s.test.description, "toy test: 20 x 3");
  // The split is shuffled, not the first rows.
  EXPECT_NE(ids_of(s.val), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(SplitTest, DeterministicBySeed) {
  SplitSpec spec;
  spec.test_fraction = 0.2;
  spec.seed = 3;
  const Splits a = make_splits(numbered_pool(200), Dataset{}, spec);
  const Splits b = make_splits(numbered_pool(200), Dataset{}, spec);
  EXPECT_EQ(ids_of(a.train), ids_of(b.train));
  EXPECT_EQ(ids_of(a.val), ids_of(b.val));
  EXPECT_EQ(ids_of(a.test), ids_of(b.test));
  spec.seed = 4;
  const Splits c = make_splits(numbered_pool(200), Dataset{}, spec);
  EXPECT_NE(ids_of(a.val), ids_of(c.val));
}

TEST(SplitTest, SeparateTestSetIsKept) {
  SplitSpec spec;
  spec.val_fraction = 0.25;
  spec.test_fraction = 0.5;  // ignored: a test set is given
  Dataset test = numbered_pool(7);
  test.x += 1000;
  const Splits s = make_splits(numbered_pool(40), test, spec);
  EXPECT_EQ(s.train.size(), 30);
  EXPECT_EQ(s.val.size(), 10);
  ASSERT_EQ(s.test.size(), 7);
  EXPECT_TRUE(torch::equal(s.test.x, test.x));
  EXPECT_EQ(s.test.description, "toy test: 7 x 3");
}

TEST(SplitTest, SeparateCsvTestSetUsesTrainingClasses) {
  TempDir dir;
  write_file(dir.file("train.csv"), "f,label\n1,emu\n2,cat\n3,dog\n4,cat\n5,emu\n6,dog\n7,cat\n8,dog\n9,emu\n10,cat\n");
  write_file(dir.file("test.csv"), "f,label\n1,emu\n2,dog\n3,emu\n");
  SplitSpec spec;
  spec.val_fraction = 0.2;
  const Splits s = make_splits(load_csv(dir.file("train.csv"), "label"), load_csv(dir.file("test.csv"), "label"), spec);
  EXPECT_EQ(s.test.class_names, (std::vector<std::string>{"cat", "dog", "emu"}));
  EXPECT_EQ(s.test.num_classes, 3);
  EXPECT_EQ(to_vector(s.test.y), (std::vector<int64_t>{2, 1, 2}));

  write_file(dir.file("other.csv"), "f,label\n1,fox\n");
  const std::string message = data_error_of([&] {
    make_splits(load_csv(dir.file("train.csv"), "label"), load_csv(dir.file("other.csv"), "label"), spec);
  });
  EXPECT_TRUE(contains(message, "'fox'")) << message;

  // Integer labels: all splits share the larger class count.
  write_file(dir.file("int-train.csv"), "f,label\n1,0\n2,1\n3,0\n4,1\n5,0\n");
  write_file(dir.file("int-test.csv"), "f,label\n1,3\n");
  const Splits ints =
      make_splits(load_csv(dir.file("int-train.csv"), "label"), load_csv(dir.file("int-test.csv"), "label"), spec);
  EXPECT_EQ(ints.train.num_classes, 4);
  EXPECT_EQ(ints.val.num_classes, 4);
  EXPECT_EQ(ints.test.num_classes, 4);
}

TEST(SplitTest, SubsetKeepsValidationFixed) {
  SplitSpec spec;
  spec.val_fraction = 0.2;
  spec.test_fraction = 0.1;
  spec.seed = 11;
  const Splits full = make_splits(numbered_pool(100), Dataset{}, spec);
  spec.subset = 15;
  const Splits part = make_splits(numbered_pool(100), Dataset{}, spec);
  EXPECT_EQ(part.train.size(), 15);
  EXPECT_EQ(ids_of(part.val), ids_of(full.val));
  EXPECT_EQ(ids_of(part.test), ids_of(full.test));
  const std::vector<int64_t> full_train = ids_of(full.train);
  EXPECT_EQ(ids_of(part.train), std::vector<int64_t>(full_train.begin(), full_train.begin() + 15));
  spec.subset = 1000;  // more than there is: all of train
  EXPECT_EQ(make_splits(numbered_pool(100), Dataset{}, spec).train.size(), 70);
}

TEST(SplitTest, StandardizeUsesTrainStatistics) {
  SplitSpec spec;
  spec.val_fraction = 0.2;
  spec.test_fraction = 0.2;
  spec.seed = 5;
  const Splits raw = make_splits(numbered_pool(50), Dataset{}, spec);
  spec.standardize = true;
  const Splits s = make_splits(numbered_pool(50), Dataset{}, spec);

  const torch::Tensor mean = raw.train.x.mean(0);
  torch::Tensor std_dev = (raw.train.x - mean).pow(2).mean(0).sqrt();
  std_dev[2] = 1;  // the constant feature: std 0 -> 1
  EXPECT_TRUE(torch::allclose(s.train.x.mean(0), torch::zeros({3}), 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(s.train.x.select(1, 0).std(std::vector<int64_t>{0}, /*unbiased=*/false), torch::ones({}), 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(s.val.x, (raw.val.x - mean) / std_dev, 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(s.test.x, (raw.test.x - mean) / std_dev, 1e-4, 1e-4));
  EXPECT_FALSE(torch::allclose(s.val.x.mean(0), torch::zeros({3}), 1e-3, 1e-3));
}

TEST(SplitTest, StandardizePerChannel) {
  Dataset pool;
  pool.x = torch::rand({40, 2, 5}) * torch::tensor({1.0f, 10.0f}).reshape({1, 2, 1}) +
           torch::tensor({0.0f, 100.0f}).reshape({1, 2, 1});
  pool.y = torch::zeros({40}, torch::kInt64);
  pool.num_classes = 1;
  SplitSpec spec;
  spec.test_fraction = 0.1;
  spec.standardize = true;
  const Splits s = make_splits(pool, Dataset{}, spec);
  EXPECT_EQ(s.train.example_shape(), (std::vector<int64_t>{2, 5}));
  const torch::Tensor channel_mean = s.train.x.mean(std::vector<int64_t>{0, 2});
  const torch::Tensor channel_std = s.train.x.std(std::vector<int64_t>{0, 2}, /*unbiased=*/false);
  EXPECT_TRUE(torch::allclose(channel_mean, torch::zeros({2}), 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(channel_std, torch::ones({2}), 1e-4, 1e-4));
  EXPECT_EQ(s.train.description, "train: 32 x 2x5");
}

TEST(SplitTest, EmptySplitNamesTheFraction) {
  SplitSpec spec;
  spec.val_fraction = 0.001;
  const std::string val = data_error_of([&] { make_splits(numbered_pool(100), Dataset{}, spec); });
  EXPECT_TRUE(contains(val, "val_fraction")) << val;
  spec.val_fraction = 0.1;
  spec.test_fraction = 0.0;
  const std::string test = data_error_of([&] { make_splits(numbered_pool(100), Dataset{}, spec); });
  EXPECT_TRUE(contains(test, "test_fraction")) << test;
  spec.val_fraction = 0.5;
  spec.test_fraction = 0.5;
  const std::string train = data_error_of([&] { make_splits(numbered_pool(100), Dataset{}, spec); });
  EXPECT_TRUE(contains(train, "training split")) << train;
  EXPECT_FALSE(data_error_of([&] { make_splits(Dataset{}, Dataset{}, spec); }).empty());
}

// ---- BatchIterator ------------------------------------------------------------------------

// Drains one epoch; returns the ids in order and the batch sizes.
std::vector<int64_t> epoch_ids(BatchIterator& it, std::vector<int64_t>* sizes = nullptr) {
  std::vector<int64_t> ids;
  Batch batch;
  while (it.next(batch)) {
    EXPECT_EQ(batch.x.size(0), batch.y.size(0));
    EXPECT_EQ(to_vector(batch.y), to_vector(batch.x.select(1, 0).to(torch::kInt64).remainder(3)));
    if (sizes) sizes->push_back(batch.x.size(0));
    for (int64_t id : to_vector(batch.x.select(1, 0))) ids.push_back(id);
  }
  return ids;
}

TEST(BatchIteratorTest, CoversEveryExampleOncePerEpoch) {
  const Dataset data = numbered_pool(10);
  BatchIterator it(data, 3, /*shuffle=*/true, /*seed=*/1);
  EXPECT_EQ(it.batches_per_epoch(), 4);
  std::vector<int64_t> sizes;
  std::vector<int64_t> first = epoch_ids(it, &sizes);
  EXPECT_EQ(sizes, (std::vector<int64_t>{3, 3, 3, 1}));
  Batch batch;
  EXPECT_FALSE(it.next(batch));  // stays at the end until reset
  it.reset();
  std::vector<int64_t> second = epoch_ids(it);
  EXPECT_NE(first, second);  // reshuffled
  std::sort(first.begin(), first.end());
  std::sort(second.begin(), second.end());
  const std::vector<int64_t> all = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_EQ(first, all);
  EXPECT_EQ(second, all);
}

TEST(BatchIteratorTest, SameSeedSameOrder) {
  const Dataset data = numbered_pool(50);
  BatchIterator a(data, 8, true, 42);
  BatchIterator b(data, 8, true, 42);
  BatchIterator c(data, 8, true, 43);
  const std::vector<int64_t> a1 = epoch_ids(a), b1 = epoch_ids(b), c1 = epoch_ids(c);
  EXPECT_EQ(a1, b1);
  EXPECT_NE(a1, c1);
  a.reset();
  b.reset();
  EXPECT_EQ(epoch_ids(a), epoch_ids(b));
}

TEST(BatchIteratorTest, DropLastAndNoShuffle) {
  const Dataset data = numbered_pool(10);
  BatchIterator dropping(data, 4, true, 0, torch::kCPU, /*drop_last=*/true);
  EXPECT_EQ(dropping.batches_per_epoch(), 2);
  std::vector<int64_t> sizes;
  const std::vector<int64_t> ids = epoch_ids(dropping, &sizes);
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), 8u);

  BatchIterator ordered(data, 4, /*shuffle=*/false, 0);
  EXPECT_EQ(ordered.batches_per_epoch(), 3);
  EXPECT_EQ(epoch_ids(ordered), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  ordered.reset();
  EXPECT_EQ(epoch_ids(ordered), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));

  BatchIterator exact(data, 5, false, 0, torch::kCPU, true);
  EXPECT_EQ(exact.batches_per_epoch(), 2);
  BatchIterator big(data, 64, true, 0);
  EXPECT_EQ(big.batches_per_epoch(), 1);
  BatchIterator big_dropped(data, 64, true, 0, torch::kCPU, true);
  EXPECT_EQ(big_dropped.batches_per_epoch(), 0);
  Batch batch;
  EXPECT_FALSE(big_dropped.next(batch));
}

TEST(BatchIteratorTest, BatchesAreCopies) {
  const Dataset data = numbered_pool(6);
  BatchIterator it(data, 6, false, 0);
  Batch batch;
  ASSERT_TRUE(it.next(batch));
  batch.x.zero_();
  EXPECT_EQ(data.x[5][0].item<float>(), 5.0f);
}

}  // namespace
}  // namespace powertrain::train
