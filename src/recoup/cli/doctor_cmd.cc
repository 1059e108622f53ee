#include "recoup/cli/common.h"

namespace recoup::cli {

void RegisterDoctorCommands(CLI::App& app, const Globals& g, CommandRegistry& reg) {
  (void)app;
  (void)g;
  (void)reg;
}

}  // namespace recoup::cli
