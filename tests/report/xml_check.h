// A small, strict XML well-formedness checker for the report tests: balanced tags, one
// root element, quoted and unique attributes, valid entities, no stray '<' or '&'.
#pragma once

#include <string>
#include <string_view>

namespace powertrain {
namespace report {
namespace testing {

// Returns "" when `text` is well-formed XML with exactly one root element, else what is
// wrong and at which byte offset. With allow_doctype, a leading <!DOCTYPE ...> is skipped.
std::string xml_error(std::string_view text, bool allow_doctype = false);

// Returns true when `text` contains the word "nan", "inf" or "infinity" in any letter case
// (as printf or fmt print them: "-nan", "NaN", "inf W"), but not inside other words such as
// "provenance" or "info".
bool has_nan_or_inf(std::string_view text);

}  // namespace testing
}  // namespace report
}  // namespace powertrain
