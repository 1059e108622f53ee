// `recoup help [COMMAND]`, `recoup completion bash|zsh|fish` and `recoup
// man`: all three are generated from the same CLI11 definitions the parser
// uses, so help, completion and the man page cannot drift from the commands.
// Also the unknown-command diagnosis with its nearest-name suggestion.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "recoup/cli/common.h"

namespace recoup::cli {

namespace {

// Levenshtein distance, for "did you mean".
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The subcommands `--help` lists (hidden ones have no group).
std::vector<const CLI::App*> Visible(const CLI::App* app) {
  return app->get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); });
}

// The values an option takes, from its IsMember check ("TEXT:{a,b}" -> a, b).
std::vector<std::string> FixedValues(const CLI::Option* o) {
  std::vector<std::string> out;
  const std::string t = o->get_type_name();
  const size_t open = t.find('{');
  const size_t close = t.find('}', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return out;
  std::stringstream ss(t.substr(open + 1, close - open - 1));
  std::string v;
  while (std::getline(ss, v, ',')) {
    if (!v.empty()) out.push_back(v);
  }
  return out;
}

std::vector<const CLI::Option*> NamedOptions(const CLI::App* app) {
  std::vector<const CLI::Option*> out;
  for (const CLI::Option* o : app->get_options({})) {
    if (o->nonpositional() && !o->get_group().empty()) out.push_back(o);
  }
  return out;
}

// Every command, depth first, root excluded.
void Walk(const CLI::App* app, std::vector<const CLI::App*>* out) {
  for (const CLI::App* s : Visible(app)) {
    out->push_back(s);
    Walk(s, out);
  }
}

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::vector<std::string> WordsAt(const CLI::App* app, bool with_globals, const CLI::App* root) {
  std::vector<std::string> w;
  for (const CLI::App* s : Visible(app)) w.push_back(s->get_name());
  // Positional arguments with fixed values (completion SHELL, claims set STATE).
  for (const CLI::Option* o : app->get_options({})) {
    if (o->get_positional()) {
      for (const auto& v : FixedValues(o)) w.push_back(v);
    }
  }
  auto add_opts = [&](const CLI::App* a) {
    for (const CLI::Option* o : NamedOptions(a)) {
      for (const auto& l : o->get_lnames()) w.push_back("--" + l);
      for (const auto& s : o->get_snames()) w.push_back("-" + s);
    }
  };
  add_opts(app);
  if (with_globals && app != root) add_opts(root);
  return w;
}

std::string Bash(const CLI::App& root) {
  std::vector<const CLI::App*> all{&root};
  Walk(&root, &all);
  std::string out =
      "# bash completion for recoup: source it, or put it in "
      "/usr/share/bash-completion/completions/recoup\n"
      "_recoup() {\n"
      "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      "  local path=\"\" w i words\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    w=\"${COMP_WORDS[i]}\"\n"
      "    case \"$path/$w\" in\n";
  for (const CLI::App* a : all) {
    if (a == &root) continue;
    out += "      \"" + CommandPath(a->get_parent()) + "/" + a->get_name() + "\") path=\"" +
           CommandPath(a) + "\" ;;\n";
  }
  out += "    esac\n  done\n  case \"$path/$prev\" in\n";
  for (const CLI::App* a : all) {
    for (const CLI::Option* o : NamedOptions(a)) {
      const auto values = FixedValues(o);
      if (values.empty()) continue;
      for (const auto& l : o->get_lnames()) {
        out += "    \"" + CommandPath(a) + "/--" + l + "\") COMPREPLY=($(compgen -W \"" +
               Join(values, " ") + "\" -- \"$cur\")); return ;;\n";
      }
    }
  }
  out += "  esac\n  case \"$path\" in\n";
  for (const CLI::App* a : all) {
    out +=
        "    \"" + CommandPath(a) + "\") words=\"" + Join(WordsAt(a, true, &root), " ") + "\" ;;\n";
  }
  out +=
      "  esac\n"
      "  # Options only once a dash is typed; files where no word fits.\n"
      "  if [[ \"$cur\" != -* ]]; then\n"
      "    local kept=\"\"\n"
      "    for w in $words; do [[ $w != -* ]] && kept=\"$kept $w\"; done\n"
      "    words=\"$kept\"\n"
      "  fi\n"
      "  if [[ -z \"${words// /}\" ]]; then\n"
      "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
      "  else\n"
      "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
      "  fi\n"
      "}\n"
      "complete -o default -F _recoup recoup\n";
  return out;
}

std::string Zsh(const CLI::App& root) {
  std::vector<const CLI::App*> all{&root};
  Walk(&root, &all);
  std::string out =
      "#compdef recoup\n"
      "# zsh completion for recoup: put it in a directory of $fpath as _recoup\n"
      "_recoup() {\n"
      "  local path_=\"\" w i\n"
      "  local -a words_ values_\n"
      "  for ((i = 2; i < CURRENT; i++)); do\n"
      "    w=\"${words[i]}\"\n"
      "    case \"$path_/$w\" in\n";
  for (const CLI::App* a : all) {
    if (a == &root) continue;
    out += "      \"" + CommandPath(a->get_parent()) + "/" + a->get_name() + "\") path_=\"" +
           CommandPath(a) + "\" ;;\n";
  }
  out += "    esac\n  done\n  case \"$path_/${words[CURRENT-1]}\" in\n";
  for (const CLI::App* a : all) {
    for (const CLI::Option* o : NamedOptions(a)) {
      const auto values = FixedValues(o);
      if (values.empty()) continue;
      for (const auto& l : o->get_lnames()) {
        out += "    \"" + CommandPath(a) + "/--" + l + "\") values_=(" + Join(values, " ") +
               "); compadd -a values_; return ;;\n";
      }
    }
  }
  out += "  esac\n  case \"$path_\" in\n";
  for (const CLI::App* a : all) {
    out +=
        "    \"" + CommandPath(a) + "\") words_=(" + Join(WordsAt(a, true, &root), " ") + ") ;;\n";
  }
  out +=
      "  esac\n"
      "  compadd -a words_\n"
      "  _files\n"
      "}\n"
      "compdef _recoup recoup\n";
  return out;
}

std::string FishQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

std::string Fish(const CLI::App& root) {
  std::vector<const CLI::App*> all{&root};
  Walk(&root, &all);
  std::string out =
      "# fish completion for recoup: put it in ~/.config/fish/completions/recoup.fish\n";
  out += "complete -c recoup -f\n";
  for (const CLI::App* a : all) {
    // The condition under which `a`'s words apply: its path was typed, and
    // none of its subcommands yet.
    std::vector<std::string> conds;
    std::vector<std::string> chain;
    for (const CLI::App* p = a; p != nullptr && p->get_parent() != nullptr; p = p->get_parent()) {
      chain.insert(chain.begin(), p->get_name());
    }
    conds.reserve(conds.size() + chain.size());
    for (const auto& c : chain) conds.push_back("__fish_seen_subcommand_from " + c);
    std::vector<std::string> subs;
    for (const CLI::App* s : Visible(a)) subs.push_back(s->get_name());
    if (!subs.empty()) conds.push_back("not __fish_seen_subcommand_from " + Join(subs, " "));
    if (a == &root) conds = {"__fish_use_subcommand"};
    const std::string cond = FishQuote(Join(conds, "; and "));
    for (const CLI::App* s : Visible(a)) {
      out += "complete -c recoup -n " + cond + " -a " + s->get_name() + " -d " +
             FishQuote(s->get_description()) + "\n";
    }
    for (const CLI::Option* o : a->get_options({})) {
      const auto values = FixedValues(o);
      if (o->get_positional() && !values.empty()) {
        out += "complete -c recoup -n " + cond + " -a " + FishQuote(Join(values, " ")) + "\n";
      }
    }
    for (const CLI::Option* o : NamedOptions(a)) {
      const auto values = FixedValues(o);
      for (const auto& l : o->get_lnames()) {
        out += "complete -c recoup -n " + cond + " -l " + l;
        if (o->get_expected_min() > 0 || o->get_type_size() > 0) out += " -r";
        if (!values.empty()) out += " -x -a " + FishQuote(Join(values, " "));
        out += " -d " + FishQuote(o->get_description()) + "\n";
      }
    }
  }
  return out;
}

std::string Roff(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else if ((c == '.' || c == '\'') && (i == 0 || s[i - 1] == '\n')) {
      out += "\\&";
      out.push_back(c);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string OptionLabel(const CLI::Option* o) {
  std::string label;
  for (const auto& s : o->get_snames()) label += (label.empty() ? "" : ", ") + ("-" + s);
  for (const auto& l : o->get_lnames()) label += (label.empty() ? "" : ", ") + ("--" + l);
  if (o->get_type_size() != 0) {
    const auto values = FixedValues(o);
    label += " " + (values.empty() ? o->get_type_name() : Join(values, "|"));
  }
  return label;
}

void RoffOptions(const CLI::App* a, std::string* out) {
  for (const CLI::Option* o : a->get_options({})) {
    if (o->get_group().empty()) continue;
    if (o->nonpositional()) {
      // A long list of values may break after each '|' (\: is a break point).
      std::string label = Roff(OptionLabel(o));
      for (size_t i = label.find('|'); i != std::string::npos; i = label.find('|', i + 3)) {
        label.insert(i + 1, "\\:");
      }
      *out += ".TP\n\\fB" + label + "\\fR\n" + Roff(o->get_description()) + "\n";
    } else {
      *out += ".TP\n\\fI" + Roff(o->get_name()) + "\\fR\n" + Roff(o->get_description()) + "\n";
    }
  }
}

std::string Man(const CLI::App& root, const std::string& version) {
  std::string out = ".TH RECOUP 1 \"\" \"recoup " + Roff(version) +
                    "\" \"User Commands\"\n"
                    ".SH NAME\nrecoup \\- " +
                    Roff(root.get_description().substr(root.get_description().find(": ") + 2)) +
                    "\n"
                    ".SH SYNOPSIS\n\\fBrecoup\\fR [\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR "
                    "[\\fIOPTIONS\\fR]\n"
                    ".br\n\\fBrecoup help\\fR [\\fICOMMAND\\fR]\n"
                    ".SH DESCRIPTION\n"
                    "recoup ingests request-level evidence of AWS API calls, computes SLA "
                    "uptime exactly, detects breaches, prices the credits from the bill and "
                    "files the claims. Every command is described below; \\fBrecoup help "
                    "\\fR\\fICOMMAND\\fR prints the same text for one command.\n"
                    ".SH GLOBAL OPTIONS\n";
  RoffOptions(&root, &out);
  out += ".SH COMMANDS\n";
  std::vector<const CLI::App*> all;
  Walk(&root, &all);
  for (const CLI::App* a : all) {
    out += ".SS \"recoup " + Roff(CommandPath(a)) + "\"\n" + Roff(a->get_description()) + "\n";
    RoffOptions(a, &out);
  }
  out +=
      ".SH EXIT STATUS\n"
      ".TP\n0\nsuccess\n"
      ".TP\n1\na runtime failure (unreadable input, nothing usable ingested, AWS refused, "
      "store unavailable)\n"
      ".TP\n2\na usage error (unknown command or option, bad value)\n"
      ".SH ENVIRONMENT\n"
      ".TP\nRECOUP_STORE\nthe evidence store (default "
      "$XDG_DATA_HOME/recoup/recoup.db, else ~/.local/share/recoup/recoup.db)\n"
      ".TP\nRECOUP_CATALOG\nan SLA catalog JSON file overriding the built-in one\n"
      ".TP\nRECOUP_DEBUG\nprint one line per AWS HTTP attempt to stderr\n"
      ".TP\nAWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL\nAWS access, as the AWS CLI reads it\n"
      ".SH SEE ALSO\n"
      "The README and docs/ of the recoup source tree.\n";
  return out;
}

}  // namespace

const CLI::App* FindCommand(const CLI::App& root, const std::vector<std::string>& words,
                            std::string* unknown, std::string* suggestion) {
  const CLI::App* at = &root;
  for (const std::string& w : words) {
    const CLI::App* next = nullptr;
    for (const CLI::App* s : Visible(at)) {
      if (s->get_name() == w) next = s;
    }
    if (next == nullptr) {
      *unknown = CommandPath(at).empty() ? w : CommandPath(at) + " " + w;
      size_t best = std::string::npos;
      suggestion->clear();
      for (const CLI::App* s : Visible(at)) {
        const size_t d = EditDistance(w, s->get_name());
        // Close enough to be a slip of the keyboard, or a prefix.
        const bool near = d <= std::max<size_t>(2, s->get_name().size() / 3) ||
                          (w.size() >= 2 && s->get_name().rfind(w, 0) == 0);
        if (near && d < best) {
          best = d;
          *suggestion = CommandPath(s);
        }
      }
      return nullptr;
    }
    at = next;
  }
  return at;
}

int UnknownCommand(const std::string& unknown, const std::string& suggestion) {
  std::string parent =
      unknown.substr(0, unknown.rfind(' ') == std::string::npos ? 0 : unknown.rfind(' '));
  std::string msg = "recoup: unknown command '" + unknown + "'";
  if (!suggestion.empty()) msg += "; did you mean 'recoup " + suggestion + "'?";
  msg += " (see recoup help" + (parent.empty() ? std::string() : " " + parent) + ")";
  std::fprintf(stderr, "%s\n", msg.c_str());
  return kExitUsage;
}

void RegisterHelpCommands(CLI::App& app, const std::string& version, CommandRegistry& reg) {
  auto words = std::make_shared<std::vector<std::string>>();
  auto* help = app.add_subcommand("help", "Show the help of recoup or of one COMMAND");
  help->add_option("command", *words, "A command, e.g. report or claims list");
  reg.Add(help, [&app, words] {
    std::string unknown, suggestion;
    const CLI::App* c = FindCommand(app, *words, &unknown, &suggestion);
    if (c == nullptr) return UnknownCommand(unknown, suggestion);
    // What `recoup WORDS --help` prints, word for word.
    const std::string path = c == &app ? "recoup" : "recoup " + CommandPath(c);
    std::cout << c->get_formatter()->make_help(c, path, CLI::AppFormatMode::Normal);
    return kExitOk;
  });

  auto shell = std::make_shared<std::string>();
  auto* comp = app.add_subcommand(
      "completion", "Print a shell completion script: recoup completion bash|zsh|fish");
  comp->add_option("shell", *shell, "bash|zsh|fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  reg.Add(comp, [&app, shell] {
    if (*shell == "bash") {
      std::cout << Bash(app);
    } else if (*shell == "zsh") {
      std::cout << Zsh(app);
    } else {
      std::cout << Fish(app);
    }
    return kExitOk;
  });

  auto* man = app.add_subcommand("man", "Print the recoup(1) manual page (roff)");
  reg.Add(man, [&app, version] {
    std::cout << Man(app, version);
    return kExitOk;
  });
}

}  // namespace recoup::cli
