// `recoup`: the global options, the shared helpers of the command files
// (common.h) and the dispatch to the command the user chose. Each noun's
// commands live in their own file: ingest_cmd.cc, report_cmd.cc,
// billing_cmd.cc, health_cmd.cc, claims_cmd.cc, serve_cmd.cc, doctor_cmd.cc,
// sla_cmd.cc, demo_cmd.cc.
#include "recoup/cli/cli.h"

#include <CLI/CLI.hpp>
#include <cctype>
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
#ifndef RECOUP_COMMIT
#define RECOUP_COMMIT "unknown"
#endif
#ifndef RECOUP_BUILD_TYPE
#define RECOUP_BUILD_TYPE "unknown"
#endif

namespace recoup::cli {

namespace {
std::string current_command;  // "claims list": the command running, for usage errors
}  // namespace

std::string CommandPath(const CLI::App* app) {
  std::string out;
  for (const CLI::App* a = app; a != nullptr && a->get_parent() != nullptr; a = a->get_parent()) {
    out = out.empty() ? a->get_name() : a->get_name() + " " + out;
  }
  return out;
}

int Fail(const Status& st) {
  // Messages quote input (file names, field values): no control character
  // reaches the terminal.
  const std::string message = EscapeControls(st.message(), true);
  if (st.code() == StatusCode::kInvalidArgument) {
    std::fprintf(stderr, "recoup: %s (see recoup %s--help)\n", message.c_str(),
                 current_command.empty() ? "" : (current_command + " ").c_str());
    return kExitUsage;
  }
  std::fprintf(stderr, "recoup: %s\n", message.c_str());
  return kExitRuntime;
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

Result<std::unique_ptr<storage::Store>> OpenStoreForReading(const Globals& g) {
  return storage::OpenSqliteStoreForReading(g.store_path);
}

Status CheckRegionFlag(const std::string& region) {
  std::string lower = region;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower != region) {
    return InvalidArgument("--region: '" + region + "': Region names are lower case: " + lower);
  }
  // "us-east-1", "ap-southeast-4", "us-gov-west-1", "global": letters and
  // digits in dash-separated words.
  bool ok = !region.empty() && region.front() != '-' && region.back() != '-';
  for (char c : region)
    ok = ok && (std::islower(static_cast<unsigned char>(c)) ||
                std::isdigit(static_cast<unsigned char>(c)) || c == '-');
  if (!ok)
    return InvalidArgument("--region: '" + region + "' is not a Region name (e.g. us-east-1)");
  return Status::Ok();
}

Status CheckServiceFlag(const sla::Catalog& catalog, const std::string& service) {
  if (catalog.Find(service) != nullptr) return Status::Ok();
  std::string known;
  for (const auto& s : catalog.services()) known += (known.empty() ? "" : ", ") + s.key;
  std::string lower = service;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower != service && catalog.Find(lower) != nullptr) {
    return InvalidArgument("--service: '" + service + "': service keys are lower case: " + lower);
  }
  return InvalidArgument("--service: unknown service '" + service +
                         "' (the SLA catalog knows: " + known + ")");
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

namespace {

// The words of the command line that name a command ("claims", "list"),
// found without CLI11 (used when parsing failed): option values are
// skipped, and the walk stops at a command that takes positional arguments.
// `*unknown`/`*suggestion` are set when a word where a command belongs is
// not one.
const CLI::App* CommandOf(const CLI::App& root, int argc, char** argv, std::string* unknown,
                          std::string* suggestion) {
  const CLI::App* at = &root;
  std::vector<std::string> words;
  for (int i = 1; i < argc; ++i) {
    const std::string w = argv[i];
    if (w == "--") break;
    if (w.size() > 1 && w[0] == '-') {
      if (w.find('=') != std::string::npos) continue;
      const CLI::Option* o = at->get_option_no_throw(w);
      if (o == nullptr) o = root.get_option_no_throw(w);
      if (o != nullptr && o->get_type_size() != 0) ++i;  // its value
      continue;
    }
    bool positional = false;
    for (const CLI::Option* o : at->get_options({})) positional = positional || o->get_positional();
    if (positional || at->get_subcommands([](const CLI::App*) { return true; }).empty()) break;
    words.push_back(w);
    const CLI::App* next = FindCommand(root, words, unknown, suggestion);
    if (next == nullptr) return nullptr;
    at = next;
  }
  return at;
}

std::string VersionText() {
  std::string out = std::string("recoup ") + RECOUP_VERSION + "\n";
  out += std::string("commit: ") + RECOUP_COMMIT + "\n";
  const auto catalog = sla::Catalog::Default();
  out += "catalog: " + catalog->version() + " (built in, sha256 " + catalog->sha256() + ")\n";
  out += std::string("build: ") + RECOUP_BUILD_TYPE;
  return out;
}

}  // namespace

int Run(int argc, char** argv) {
  CLI::App app{"recoup: recover the SLA credits AWS owes you, starting with AWS KMS", "recoup"};
  app.set_version_flag("--version", VersionText, "Print the version, commit, catalog and build");
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand
  app.footer("Run 'recoup help COMMAND' (or recoup COMMAND --help) for a command's options.\n");
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
  RegisterHelpCommands(app, RECOUP_VERSION, reg);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string unknown, suggestion;
    const CLI::App* at = CommandOf(app, argc, argv, &unknown, &suggestion);
    if (at == nullptr) return UnknownCommand(unknown, suggestion);
    const std::string path = at == &app ? "recoup" : "recoup " + CommandPath(at);
    std::fprintf(stderr, "recoup: %s (see %s --help)\n", e.what(), path.c_str());
    return kExitUsage;
  }
  g.store_given = !g.store_path.empty() || std::getenv("RECOUP_STORE") != nullptr;
  if (g.store_path.empty()) g.store_path = DefaultStorePath();
  const std::function<int()>* run = reg.Chosen();
  if (run == nullptr) return kExitUsage;
  for (const auto& [command, r] : reg.entries()) {
    if (&r == run) current_command = CommandPath(command);
  }
  return (*run)();
}

}  // namespace recoup::cli
