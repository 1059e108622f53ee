// What every `recoup` command shares: global options, exit codes, error
// printing, and the registry through which each command file (one per noun:
// ingest_cmd.cc, report_cmd.cc, billing_cmd.cc, ...) adds its subcommands.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "recoup/core/status.h"
#include "recoup/sla/catalog.h"
#include "recoup/storage/store.h"

namespace recoup::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;

// Prints "recoup: message" to stderr; INVALID_ARGUMENT is a usage error (2),
// anything else a runtime failure (1).
int Fail(const Status& st);

struct Globals {
  std::string store_path;    // resolved before any command runs
  std::string catalog_path;  // empty: the built-in catalog ($RECOUP_CATALOG)
  bool store_given = false;  // --store or $RECOUP_STORE was set
};

std::string DefaultStorePath();
// "claims list": the words that name `app` below the root.
std::string CommandPath(const CLI::App* app);
std::string WithCommas(int64_t v);
Result<std::shared_ptr<const sla::Catalog>> LoadCatalog(const Globals& g);

// The store for commands that only read it (report, claims list, ...): an
// error if there is none (nothing is created), read-only when this user may
// not write it.
Result<std::unique_ptr<storage::Store>> OpenStoreForReading(const Globals& g);

// --region and --service values checked against what exists: a Region in
// the wrong case or an unknown service is named as such (INVALID_ARGUMENT).
Status CheckRegionFlag(const std::string& region);
Status CheckServiceFlag(const sla::Catalog& catalog, const std::string& service);

// Each command group registers its subcommands (on `app`, or under an
// existing one found with app.get_subcommand) and a runner for each; after
// parsing, the runner of the subcommand the user chose is called. Runners
// read `g` when they run (it is filled after parsing).
class CommandRegistry {
 public:
  void Add(CLI::App* command, std::function<int()> run) {
    entries_.emplace_back(command, std::move(run));
  }
  // The runner of the deepest parsed command, or nullptr.
  const std::function<int()>* Chosen() const;
  const std::vector<std::pair<CLI::App*, std::function<int()>>>& entries() const {
    return entries_;
  }

 private:
  std::vector<std::pair<CLI::App*, std::function<int()>>> entries_;
};

// One command file per noun: `recoup NOUN ...` is registered by
// RegisterNounCommands in noun_cmd.cc.
void RegisterIngestCommands(CLI::App& app, const Globals& g, CommandRegistry& reg);
void RegisterReportCommands(CLI::App& app, const Globals& g, CommandRegistry& reg);
void RegisterBillingCommands(CLI::App& app, const Globals& g, CommandRegistry& reg);
void RegisterDemoCommands(CLI::App& app, const Globals& g, CommandRegistry& reg);
void RegisterHealthCommands(CLI::App& app, const Globals& g, CommandRegistry& reg);
void RegisterClaimsCommands(CLI::App& app, const Globals& g, CommandRegistry& reg);
void RegisterDoctorCommands(CLI::App& app, const Globals& g, CommandRegistry& reg);
void RegisterServeCommands(CLI::App& app, const Globals& g, CommandRegistry& reg);
void RegisterSlaCommands(CLI::App& app, const Globals& g, CommandRegistry& reg);
// help_cmd.cc: `recoup help`, `recoup completion`, `recoup man`.
void RegisterHelpCommands(CLI::App& app, const std::string& version, CommandRegistry& reg);

// The command `words` name below `root` ({"claims", "list"}), or nullptr with
// `*unknown` set to the words up to the first unknown one and `*suggestion`
// to the nearest existing command ("" if none is near).
const CLI::App* FindCommand(const CLI::App& root, const std::vector<std::string>& words,
                            std::string* unknown, std::string* suggestion);
// Prints "unknown command 'X'; did you mean 'recoup Y'?" and returns 2.
int UnknownCommand(const std::string& unknown, const std::string& suggestion);

}  // namespace recoup::cli
