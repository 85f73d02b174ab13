// space_test.cpp: search-space sampling, grids, validation and config keys.
#include "powertrain/tune/space.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <stdexcept>
#include <string>

using namespace powertrain::tune;

namespace {

SearchSpace mixed() {
  SearchSpace s;
  s.add_float("dropout", 0.0, 0.5);
  s.add_log_float("lr", 1e-4, 1e-1);
  s.add_int("layers", 1, 4);
  s.add_categorical("opt", {std::string("sgd"), std::string("adam")});
  s.add_categorical("batch", {32.0, 64.0, 128.0});
  return s;
}

}  // namespace

TEST(Space, SamplesStayInRangeAndAreSeeded) {
  const SearchSpace s = mixed();
  std::mt19937_64 a(7), b(7);
  for (int i = 0; i < 500; ++i) {
    const Config c = s.sample(a);
    EXPECT_EQ(config_key(c), config_key(s.sample(b)));
    EXPECT_NO_THROW(s.validate(c));
    const double layers = std::get<double>(c.at("layers"));
    EXPECT_EQ(layers, std::floor(layers));
  }
}

TEST(Space, LogFloatIsLogUniform) {
  SearchSpace s;
  s.add_log_float("lr", 1e-4, 1.0);
  std::mt19937_64 rng(1);
  int below = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) below += std::get<double>(s.sample(rng).at("lr")) < 1e-2 ? 1 : 0;
  EXPECT_NEAR(below / double(n), 0.5, 0.05);  // half the decades lie below 1e-2
}

TEST(Space, GridEnumeratesEveryCombination) {
  const SearchSpace s = mixed();
  EXPECT_EQ(s.grid_size(3), 3u * 3u * 4u * 2u * 3u);
  const auto g = s.grid(3);
  ASSERT_EQ(g.size(), 216u);
  std::set<std::string> keys;
  for (const auto& c : g) keys.insert(config_key(c));
  EXPECT_EQ(keys.size(), g.size());
  EXPECT_EQ(std::get<double>(g.front().at("dropout")), 0.0);  // first parameter varies slowest
  EXPECT_EQ(std::get<double>(g.back().at("dropout")), 0.5);
}

TEST(Space, GridPointsAreEvenAndLogEven) {
  SearchSpace s;
  s.add_log_float("lr", 1e-4, 1e-1);
  const auto g = s.grid(4);
  ASSERT_EQ(g.size(), 4u);
  const double expect[] = {1e-4, 1e-3, 1e-2, 1e-1};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(std::get<double>(g[i].at("lr")), expect[i], expect[i] * 1e-12);
  SearchSpace f;
  f.add_float("x", 0.0, 1.0);
  const auto gf = f.grid(5);
  for (int i = 0; i < 5; ++i) EXPECT_DOUBLE_EQ(std::get<double>(gf[i].at("x")), i * 0.25);
  EXPECT_EQ(f.grid(1).size(), 1u);
  EXPECT_THROW(f.grid(0), std::invalid_argument);
}

TEST(Space, GridRefusesHugeGrids) {
  SearchSpace s;
  for (int i = 0; i < 12; ++i) s.add_float("x" + std::to_string(i), 0, 1);
  EXPECT_THROW(s.grid(10), std::invalid_argument);  // 10^12 configurations
}

TEST(Space, ConfigKeyIsStableAndSorted) {
  Config c;
  c["lr"] = 0.1;
  c["batch"] = 256.0;
  c["opt"] = std::string("adam");
  EXPECT_EQ(config_key(c), "batch=256;lr=0.1;opt=adam");
  EXPECT_EQ(value_text(Value(0.1)), "0.1");
  EXPECT_EQ(value_text(Value(std::string("x y"))), "x y");
  EXPECT_EQ(std::stod(value_text(Value(1.0 / 3.0))), 1.0 / 3.0);
}

TEST(Space, RejectsBadParameters) {
  SearchSpace s;
  EXPECT_THROW(s.add_float("x", 1, 0), std::invalid_argument);
  EXPECT_THROW(s.add_log_float("x", 0, 1), std::invalid_argument);
  EXPECT_THROW(s.add_int("x", 3, 2), std::invalid_argument);
  EXPECT_THROW(s.add_categorical("x", {}), std::invalid_argument);
  EXPECT_THROW(s.add_categorical("x", {1.0, 1.0}), std::invalid_argument);
  EXPECT_THROW(s.add_float("a=b", 0, 1), std::invalid_argument);
  s.add_float("x", 0, 1);
  try {
    s.add_int("x", 0, 1);
    FAIL() << "duplicate name accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'x' is added twice"), std::string::npos) << e.what();
  }
}

TEST(Space, ValidateNamesTheProblem) {
  const SearchSpace s = mixed();
  std::mt19937_64 rng(3);
  Config c = s.sample(rng);
  c["layers"] = 2.5;
  EXPECT_THROW(s.validate(c), std::invalid_argument);
  c = s.sample(rng);
  c["opt"] = std::string("rmsprop");
  EXPECT_THROW(s.validate(c), std::invalid_argument);
  c = s.sample(rng);
  c["extra"] = 1.0;
  EXPECT_THROW(s.validate(c), std::invalid_argument);
  c = s.sample(rng);
  c.erase("lr");
  EXPECT_THROW(s.validate(c), std::invalid_argument);
  EXPECT_THROW(value_number(Value(std::string("adam"))), std::invalid_argument);
}
