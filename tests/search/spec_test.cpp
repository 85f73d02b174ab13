// spec_test.cpp: a search study is read and checked whole before any trial; its stored form
// reads back to the same study.
#include "powertrain/search/spec.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/test_support.h"

using namespace powertrain;
using namespace powertrain::search;

namespace {

// A small study over the learning rate, with every other setting given.
std::string study_text(const std::string& space = R"({"optimizer.lr": {"type": "categorical", "values": [0.1, 0.01]}})",
                       const std::string& extra = "") {
  return R"({"name": "s", "train": {"data": {"subset": 100}, "model": {"type": "mlp", "hidden": [8]}}, "space": )" + space +
         R"(, "strategy": "sh", "max_epochs": 9, "target": 0.8)" + extra + "}";
}

// Returns the message of the ConfigError `fn` throws ("" when it throws none).
template <typename F>
std::string error_of(F fn) {
  try {
    fn();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(StudySpec, ReadsAStudyFileWhole) {
  StudySpec s = parse_study_text(study_text(), "s.json");
  EXPECT_EQ(s.backend, Backend::training);
  EXPECT_EQ(s.name, "s");
  EXPECT_EQ(s.strategy, "sh");
  EXPECT_EQ(s.max_epochs, 9);
  EXPECT_EQ(s.base.training.epochs, 9);  // max_epochs applies to the base config
  EXPECT_DOUBLE_EQ(s.target, 0.8);
  ASSERT_EQ(s.space.params().size(), 1u);
  tune::TunerOptions o = tuner_options(s);
  EXPECT_EQ(o.loss, tune::LossKind::energy_to_target);
  EXPECT_EQ(o.max_epochs, 9);
  tune::StrategyBudget b = strategy_budget(s);
  EXPECT_EQ(b.min_budget, 1);
  EXPECT_EQ(b.max_budget, 9);
}

TEST(StudySpec, ABadSpaceKeyOrValueIsFoundBeforeAnyTrial) {
  // An unknown key of the training config: found now, not in the first trial.
  std::string unknown = error_of([] {
    parse_study_text(study_text(R"({"model.widht": {"type": "categorical", "values": [8, 16]}})"), "s.json");
  });
  EXPECT_NE(unknown.find("model.widht"), std::string::npos) << unknown;
  // A value the config refuses (a negative width), in the second category only.
  std::string impossible = error_of([] {
    parse_study_text(study_text(R"({"model.width": {"type": "categorical", "values": [8, -3]}})"), "s.json");
  });
  EXPECT_NE(impossible.find("model.width=-3"), std::string::npos) << impossible;
  // A range whose upper bound is impossible.
  std::string range = error_of([] {
    parse_study_text(study_text(R"({"data.subset": {"type": "int", "low": 10, "high": 20}})"), "s.json");
  });
  EXPECT_NE(range.find("data settings cannot vary"), std::string::npos) << range;
}

TEST(StudySpec, NonFiniteAndOutOfRangeNumbersNameTheKey) {
  struct Case {
    const char* extra;
    const char* expect;
  };
  for (const Case& c : {Case{R"(, "beta": 1e400)", "1e400"}, Case{R"(, "beta": -1)", "beta"},
                        Case{R"(, "max_energy_j": 0)", "max_energy_j"}, Case{R"(, "seed": -4)", "seed"},
                        Case{R"(, "seed": 1.5)", "seed"}, Case{R"(, "budget": {"eta": 1})", "budget.eta"},
                        Case{R"(, "budget": {"min": 5, "max": 2})", "budget"},
                        Case{R"(, "budget": {"unit": "joules"})", "rungs in joules need"},
                        Case{R"(, "budget": {"max": 50})", "more than max_epochs"}}) {
    std::string text = study_text();
    text.pop_back();  // the closing brace
    std::string e = error_of([&] { parse_study_text(text + c.extra + "}", "s.json"); });
    EXPECT_NE(e.find(c.expect), std::string::npos) << c.extra << " -> " << e;
  }
  std::string target = error_of([] {
    std::string text = study_text();
    text.replace(text.find("\"target\": 0.8"), 13, "\"target\": 1e999");
    parse_study_text(text, "s.json");
  });
  EXPECT_NE(target.find("1e999"), std::string::npos) << target;
  std::string strategy = error_of([] {
    std::string text = study_text();
    text.replace(text.find("\"sh\""), 4, "\"annealing\"");
    parse_study_text(text, "s.json");
  });
  EXPECT_NE(strategy.find("unknown strategy 'annealing'"), std::string::npos) << strategy;
  EXPECT_NE(error_of([] { parse_study_text("{\"spaces\": {}}", "s.json"); }).find("unknown key"), std::string::npos);
  EXPECT_NE(error_of([] { parse_study_text("[1, 2]", "s.json"); }).find("must be a JSON object"), std::string::npos);
  EXPECT_NE(error_of([] { parse_study_text("{", "s.json"); }).find("not valid JSON"), std::string::npos);
}

TEST(StudySpec, ADirectoryOrAMissingFileIsNamed) {
  test::TempDir dir;
  EXPECT_NE(error_of([&] { read_study_file(dir.path()); }).find("is a directory"), std::string::npos);
  EXPECT_NE(error_of([&] { read_study_file(dir.file("none.json")); }).find("cannot read study"), std::string::npos);
}

TEST(StudySpec, StoredTrainingStudyReadsBackTheSame) {
  StudySpec s = parse_study_text(study_text(), "s.json");
  StudySpec back = spec_from_json(nlohmann::json::parse(spec_to_json(s).dump()));
  EXPECT_EQ(back.study_text, s.study_text);
  EXPECT_EQ(back.study_path, "s.json");
  EXPECT_EQ(back.space.grid_size(), s.space.grid_size());
  EXPECT_EQ(back.max_epochs, s.max_epochs);
  // SM2 probes energy per sample first unless the file says "batch_size_probe": false;
  // a study stored before probes replays without them.
  EXPECT_TRUE(back.probe_batch_sizes);
  EXPECT_TRUE(strategy_budget(back).probe);
  nlohmann::json old = spec_to_json(s);
  old.erase("batch_size_probe");
  EXPECT_FALSE(spec_from_json(old).probe_batch_sizes);
  std::string text = study_text();
  text.pop_back();
  EXPECT_FALSE(parse_study_text(text + R"(, "batch_size_probe": false})", "s.json").probe_batch_sizes);
  EXPECT_NE(error_of([&] { parse_study_text(text + R"(, "batch_size_probe": 1})", "s.json"); }).find("batch_size_probe: must be true or false"),
            std::string::npos);
  // The probes sweep learning rates unless "lr_screening": false; a study stored before
  // the sweeps replays without them.
  EXPECT_TRUE(back.screen_learning_rates);
  EXPECT_TRUE(strategy_budget(back).lr_screen);
  nlohmann::json before_sweeps = spec_to_json(s);
  before_sweeps.erase("lr_screening");
  EXPECT_FALSE(spec_from_json(before_sweeps).screen_learning_rates);
  EXPECT_TRUE(spec_from_json(before_sweeps).probe_batch_sizes);
  EXPECT_FALSE(strategy_budget(parse_study_text(text + R"(, "lr_screening": false})", "s.json")).lr_screen);
  EXPECT_NE(error_of([&] { parse_study_text(text + R"(, "lr_screening": "yes"})", "s.json"); }).find("lr_screening: must be true or false"),
            std::string::npos);
}

TEST(StudySpec, SimulationIsCheckedAndReadsBackTheSame) {
  SKIP_WITHOUT_TRACES();
  StudySpec options;
  options.strategy = "sm2";
  options.seed = 7;
  options.beta = 2;
  ZeusStudy zeus{"zeus:" + test::zeus_traces_dir(), "a40", "squad"};
  StudySpec s = zeus_study(zeus, options);
  EXPECT_EQ(s.backend, Backend::zeus_trace);
  StudySpec back = spec_from_json(nlohmann::json::parse(spec_to_json(s).dump()));
  EXPECT_EQ(back.zeus.gpu, "a40");
  EXPECT_EQ(back.zeus.workload, "squad");
  EXPECT_EQ(back.seed, 7u);
  EXPECT_EQ(back.strategy, "sm2");
  EXPECT_EQ(back.beta, 2);
  EXPECT_EQ(spec_to_json(back), spec_to_json(s));
  // Power limits are profiled by default: the space is the batch size alone.
  EXPECT_FALSE(back.zeus.search_power_limits);
  EXPECT_EQ(spec_to_json(s)["power_limits"], "profiled");
  EXPECT_EQ(search_space(s).params().size(), 1u);
  // A study stored before profiling existed searched them, and replays as it ran.
  nlohmann::json old = spec_to_json(s);
  old.erase("power_limits");
  StudySpec before = spec_from_json(old);
  EXPECT_TRUE(before.zeus.search_power_limits);
  EXPECT_EQ(search_space(before).params().size(), 2u);
  // SM2 probes energy per sample before exploring, by default; studies stored before did not.
  EXPECT_TRUE(back.zeus.probe_batch_sizes);
  EXPECT_TRUE(strategy_budget(back).probe);
  old.erase("batch_size_probe");
  EXPECT_FALSE(spec_from_json(old).zeus.probe_batch_sizes);
  EXPECT_FALSE(strategy_budget(spec_from_json(old)).probe);

  EXPECT_NE(error_of([&] { zeus_study({"zeus:" + test::zeus_traces_dir(), "h100", "squad"}, options); }).find("h100"),
            std::string::npos);
  EXPECT_NE(error_of([&] { zeus_study({"zeus:" + test::zeus_traces_dir(), "a40", "mnist"}, options); }).find("mnist"),
            std::string::npos);
  EXPECT_NE(error_of([&] { zeus_study({"traces", "a40", "squad"}, options); }).find("zeus:DIR"), std::string::npos);
  StudySpec nan_beta = options;
  nan_beta.beta = NAN;
  EXPECT_NE(error_of([&] { zeus_study(zeus, nan_beta); }).find("beta"), std::string::npos);
  StudySpec nan_budget = options;
  nan_budget.budget.max = NAN;
  nan_budget.budget.unit = tune::BudgetUnit::joules;
  EXPECT_NE(error_of([&] { zeus_study(zeus, nan_budget); }).find("joules"), std::string::npos);
  StudySpec nan_energy = options;
  nan_energy.max_energy_j = NAN;
  EXPECT_NE(error_of([&] { zeus_study(zeus, nan_energy); }).find("max_energy_j"), std::string::npos);
}
