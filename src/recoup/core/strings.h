// Small string tools shared by every module (ASCII only: AWS identifiers,
// header names, CSV and config keys are ASCII). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace recoup {

// ASCII lower case; other bytes unchanged.
std::string AsciiLower(std::string_view s);
// Without leading and trailing spaces, tabs, CR and LF.
std::string_view Trim(std::string_view s);
// Without leading and trailing spaces and tabs only (a line break is data,
// e.g. inside a quoted CSV field).
std::string_view TrimBlanks(std::string_view s);
// Case-insensitive ASCII equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Splits on `sep`, keeping empty pieces ("a,,b" -> {"a", "", "b"}).
std::vector<std::string_view> Split(std::string_view s, char sep);

}  // namespace recoup
