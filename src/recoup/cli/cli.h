// The `recoup` command line: parses arguments and runs a subcommand.
// Exit codes: 0 ok, 1 runtime failure, 2 usage error. Errors go to stderr as
// one line naming the file, line or field.
#pragma once

namespace recoup::cli {

int Run(int argc, char** argv);

}  // namespace recoup::cli
