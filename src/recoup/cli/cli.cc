// `recoup`: the global options, the shared helpers of the command files
// (common.h) and the dispatch to the command the user chose. Each noun's
// commands live in their own file: ingest_cmd.cc, report_cmd.cc,
// billing_cmd.cc, health_cmd.cc, claims_cmd.cc, serve_cmd.cc, doctor_cmd.cc,
// sla_cmd.cc, demo_cmd.cc.
#include "recoup/cli/cli.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "recoup/cli/common.h"
#include "recoup/core/safe_text.h"
#include "recoup/sla/catalog.h"

#ifndef RECOUP_VERSION
#define RECOUP_VERSION "0.1.0"
#endif

namespace recoup::cli {

int Fail(const Status& st) {
  // Messages quote input (file names, field values): no control character
  // reaches the terminal.
  std::fprintf(stderr, "recoup: %s\n", EscapeControls(st.message(), true).c_str());
  return st.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitRuntime;
}

std::string DefaultStorePath() {
  if (const char* s = std::getenv("RECOUP_STORE"); s != nullptr && *s != 0) return s;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x != nullptr && *x != 0) {
    return std::string(x) + "/recoup/recoup.db";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.local/share/recoup/recoup.db";
}

std::string WithCommas(int64_t v) {
  std::string s = std::to_string(v < 0 ? -v : v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return v < 0 ? "-" + s : s;
}

// The catalog file is read here, at the edge: `sla` only parses bytes.
Result<std::shared_ptr<const sla::Catalog>> LoadCatalog(const Globals& g) {
  std::string path = g.catalog_path;
  if (path.empty()) {
    const char* env = std::getenv("RECOUP_CATALOG");
    if (env == nullptr || *env == 0) return sla::Catalog::Default();
    path = env;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot open SLA catalog");
  std::stringstream ss;
  ss << in.rdbuf();
  return sla::Catalog::Parse(ss.str(), path);
}

const std::function<int()>* CommandRegistry::Chosen() const {
  const std::function<int()>* best = nullptr;
  size_t best_depth = 0;
  for (const auto& [command, run] : entries_) {
    if (!command->parsed()) continue;
    size_t depth = 0;
    for (const CLI::App* a = command; a != nullptr; a = a->get_parent()) ++depth;
    if (best == nullptr || depth > best_depth) {
      best = &run;
      best_depth = depth;
    }
  }
  return best;
}

int Run(int argc, char** argv) {
  CLI::App app{"recoup: recover the SLA credits AWS owes you, starting with AWS KMS", "recoup"};
  app.set_version_flag("--version", RECOUP_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand
  Globals g;
  app.add_option("--store", g.store_path,
                 "Evidence store (SQLite). Default: $RECOUP_STORE, else "
                 "$XDG_DATA_HOME/recoup/recoup.db, else ~/.local/share/recoup/recoup.db");
  app.add_option("--catalog", g.catalog_path,
                 "SLA catalog JSON overriding the built-in one (also $RECOUP_CATALOG)");
  CommandRegistry reg;
  // Registration order is the order of `recoup --help`.
  RegisterIngestCommands(app, g, reg);
  RegisterReportCommands(app, g, reg);
  RegisterBillingCommands(app, g, reg);
  RegisterDemoCommands(app, g, reg);
  RegisterHealthCommands(app, g, reg);
  RegisterClaimsCommands(app, g, reg);
  RegisterDoctorCommands(app, g, reg);
  RegisterServeCommands(app, g, reg);
  RegisterSlaCommands(app, g, reg);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "recoup: %s (see recoup --help)\n", e.what());
    return kExitUsage;
  }
  g.store_given = !g.store_path.empty() || std::getenv("RECOUP_STORE") != nullptr;
  if (g.store_path.empty()) g.store_path = DefaultStorePath();
  const std::function<int()>* run = reg.Chosen();
  if (run == nullptr) return kExitUsage;
  return (*run)();
}

}  // namespace recoup::cli
