// store/study_rows.h (internal): the study-table writes that Store and the SQLite study log
// share. Each runs inside a transaction the caller holds.
#pragma once

#include "store/sqlite.h"

namespace powertrain {
namespace sqlite {

inline void insert_study_trial(sqlite3* db, const std::string& path, int64_t study_id, int64_t seq,
                               const std::string& trial_json, double energy_j, double metric) {
  Stmt s(db, path, "INSERT INTO study_trials(study_id, seq, trial_json, energy_j, metric) VALUES(?1, ?2, ?3, ?4, ?5)");
  s.integer(1, study_id);
  s.integer(2, seq);
  s.text(3, trial_json);
  s.real(4, energy_j);
  s.real(5, metric);
  s.run();
}

inline void update_study_status(sqlite3* db, const std::string& path, int64_t study_id, StudyStatus status) {
  Stmt s(db, path, "UPDATE studies SET status = ?1 WHERE id = ?2");
  s.text(1, study_status_name(status));
  s.integer(2, study_id);
  s.run();
}

}  // namespace sqlite
}  // namespace powertrain
