// Text that is safe to hand to a spreadsheet or a terminal. recoup writes
// values that came from untrusted input (operation names, resource ARNs,
// error codes, Regions from a datagram) into CSV files, case text and tables;
// these functions make sure such a value is shown, never executed or
// interpreted (docs/SECURITY.md, "Safe outputs"). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace recoup {

// Control characters made visible: every C0 byte (0x00-0x1F), DEL (0x7F) and
// the C1 controls encoded in UTF-8 (U+0080-U+009F, e.g. U+009B, a one-byte
// CSI) become "\xHH" (C0, DEL) or "\u00HH" (C1), so an ESC or BEL byte cannot
// move a terminal's cursor, change its title or ring. With
// `keep_line_breaks`, LF and TAB stay as they are (text files whose format
// allows them); CR is always escaped. Other bytes are unchanged.
std::string EscapeControls(std::string_view text, bool keep_line_breaks = false);

// True when a spreadsheet would evaluate a cell starting like `text`: a
// leading '=', '+', '-', '@', TAB or CR.
bool IsFormulaLead(std::string_view text);

// One CSV cell for a string that came from input: a leading ' when the value
// would be evaluated as a formula (IsFormulaLead), control characters escaped
// (EscapeControls, line breaks included), and RFC 4180 quoting when the cell
// holds a comma, a quote or starts or ends with a space. The value stays
// readable and recoverable: remove the leading ' and undo the \x escapes.
// Numbers, times and money that recoup itself computes are not passed
// through this function (a negative number is a number, not a formula).
std::string CsvText(std::string_view text);

// RFC 4180 quoting only, for text recoup writes itself (fixed notes).
std::string CsvQuote(std::string_view text);

}  // namespace recoup
