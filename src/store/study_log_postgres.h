// store/study_log_postgres.h (internal): the study log in PostgreSQL, built when libpqxx is
// found (study_log_postgres.cpp), otherwise a stub that explains how to get it.
#pragma once

#include <memory>
#include <string>

#include "powertrain/store/study_log.h"

namespace powertrain {

bool postgres_log_available();
std::unique_ptr<StudyLog> open_postgres_log(const std::string& url, bool read_only = false);

}  // namespace powertrain
