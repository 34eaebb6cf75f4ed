// Untrusted text on its way to a terminal or a JSON document: labels, names and link targets
// read from images and layouts may hold any bytes, including terminal escape sequences and
// invalid UTF-8. Used by the CLI and by every reader of hostile input that prints.
#pragma once

#include <string>
#include <string_view>

namespace kiln {

// Length of the valid UTF-8 sequence at s[i] (1-4), or 0 when the bytes there are not one
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i);

bool IsValidUtf8(std::string_view s);

// Printable text for a terminal: valid UTF-8 that is not a control character passes
// unchanged; C0/C1 controls, DEL, invalid bytes and the backslash become \n, \t, \\ or \xNN,
// so an ESC can never reach the terminal and distinct inputs stay distinct.
std::string EscapeForTerminal(std::string_view s);

// The same for whole messages, which may span lines (a recipe error and its caret line):
// newlines and tabs pass, a backslash stays as it is, every other control is escaped.
std::string EscapeMessageForTerminal(std::string_view s);

// Valid UTF-8 for a JSON string: each invalid byte becomes U+FFFD, as nlohmann's
// error_handler_t::replace does when dumping.
std::string ToValidUtf8(std::string_view s);

}  // namespace kiln
