// This build has no libpqxx: postgresql:// storage explains how to get it.
#include "store/study_log_postgres.h"

namespace powertrain {

bool postgres_log_available() { return false; }

std::unique_ptr<StudyLog> open_postgres_log(const std::string& url, bool) {
  throw StoreError("cannot open " + redact_url(url) +
                   ": this powertrain was built without PostgreSQL support: install libpqxx-dev "
                   "(scripts/install-deps.sh does) and rebuild, or use sqlite:FILE storage");
}

}  // namespace powertrain
