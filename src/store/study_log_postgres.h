// store/study_log_postgres.h (internal): the study log in PostgreSQL. Its code and libpqxx
// (with libpq's chain: SSL, Kerberos, LDAP, ~20 shared libraries and ~10 ms of every start)
// live in a module, libpowertrain_postgres.so (study_log_postgres.cpp), loaded the first
// time a postgresql:// URL is opened (study_log_postgres_module.cpp), so that commands which
// never touch PostgreSQL never load it.
#pragma once

#include <memory>
#include <string>

#include "powertrain/store/study_log.h"

namespace powertrain {

// True when the module is found and loads.
bool postgres_log_available();
// Opens the log at `url` through the module. Throws StoreError when this build has no
// PostgreSQL support, the module is missing or does not load, or the server refuses.
std::unique_ptr<StudyLog> open_postgres_log(const std::string& url, bool read_only = false);

}  // namespace powertrain
