// credential_process: runs a command (no shell) and reads credentials from
// its standard output, as botocore does.
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "recoup/aws/credentials.h"
#include "recoup/aws/credentials_internal.h"
#include "recoup/core/strings.h"

extern char** environ;

namespace recoup::aws {
namespace {

using json = nlohmann::json;

struct ProcessOutput {
  int exit_status = 0;
  std::string out;
  std::string err;
};

// Reads both descriptors until both are closed (at most 1 MiB kept of
// each), then closes them.
void ReadBoth(int out_fd, int err_fd, std::string& out, std::string& err) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&out, &err};
  int open_fds = 2;
  char buffer[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        if (sinks[i]->size() < (1 << 20)) sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (const pollfd& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
}

Result<ProcessOutput> RunProcess(const std::vector<std::string>& argv) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe(out_pipe) != 0) return Internal("pipe failed");
  if (pipe(err_pipe) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return Internal("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, out_pipe[1]);
  posix_spawn_file_actions_addclose(&actions, err_pipe[1]);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return FailedPrecondition("cannot run '" + argv[0] + "': " + std::strerror(rc));
  }
  ProcessOutput result;
  ReadBoth(out_pipe[0], err_pipe[0], result.out, result.err);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

class ProcessProvider final : public RefreshingCredentialsProvider {
 public:
  ProcessProvider(std::string command, std::string profile, const Clock* clock)
      : RefreshingCredentialsProvider(clock),
        command_(std::move(command)),
        profile_(std::move(profile)) {}
  std::string Name() const override { return "profile '" + profile_ + "' credential_process"; }

 protected:
  Result<ExpiringCredentials> Fetch() override {
    const std::string what = Name();
    Result<std::vector<std::string>> argv = ShlexSplit(command_);
    if (!argv.ok()) return argv.status().WithPrefix(what);
    if (argv->empty()) return InvalidArgument(what + ": empty command");
    Result<ProcessOutput> run = RunProcess(*argv);
    if (!run.ok()) return run.status().WithPrefix(what);
    if (run->exit_status != 0) {
      std::string err(Trim(run->err));
      if (err.size() > 300) err = err.substr(0, 300) + "...";
      return Unavailable(what + ": '" + (*argv)[0] + "' exited with status " +
                         std::to_string(run->exit_status) + (err.empty() ? "" : ": " + err));
    }
    json doc = json::parse(run->out, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      return DataLoss(what + ": output is not a JSON object");
    }
    auto version = doc.find("Version");
    if (version == doc.end() || !version->is_number_integer() || version->get<int64_t>() != 1) {
      return DataLoss(what + ": output must have \"Version\": 1");
    }
    return internal::CredentialsFromJson(run->out, "SessionToken", what);
  }

 private:
  std::string command_;
  std::string profile_;
};

}  // namespace

Result<std::vector<std::string>> ShlexSplit(std::string_view command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < command.size(); ++i) {
    char c = command[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\\') {
      if (i + 1 >= command.size())
        return InvalidArgument("credential_process: no escaped character");
      word += command[++i];
      in_word = true;
    } else if (c == '\'') {
      size_t close = command.find('\'', i + 1);
      if (close == std::string_view::npos) {
        return InvalidArgument("credential_process: no closing quotation");
      }
      word += command.substr(i + 1, close - i - 1);
      i = close;
      in_word = true;
    } else if (c == '"') {
      size_t j = i + 1;
      for (;; ++j) {
        if (j >= command.size()) return InvalidArgument("credential_process: no closing quotation");
        if (command[j] == '"') break;
        if (command[j] == '\\' && j + 1 < command.size() &&
            (command[j + 1] == '"' || command[j + 1] == '\\')) {
          word += command[++j];
        } else {
          word += command[j];
        }
      }
      i = j;
      in_word = true;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::unique_ptr<CredentialsProvider> MakeProcessCredentialsProvider(std::string command,
                                                                    std::string profile_name,
                                                                    const Clock* clock) {
  return std::make_unique<ProcessProvider>(std::move(command), std::move(profile_name), clock);
}

}  // namespace recoup::aws
