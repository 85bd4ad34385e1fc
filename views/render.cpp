#include <gradflow/views/render.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <gradflow/ops/errors.hpp>

extern char** environ;

namespace gradflow {
namespace {

constexpr std::string_view kInstall =
    "install the graphviz package (apt install graphviz, dnf install graphviz, brew install "
    "graphviz)";

// Graphviz's layout programs: the only names render_svg() will run.
constexpr std::array<std::string_view, 8> kEngines = {"dot",   "neato", "fdp",   "sfdp",
                                                      "circo", "twopi", "osage", "patchwork"};

// A file descriptor closed when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// A spawned child: if the parent leaves early (an exception), the child is killed and reaped.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  // Waits for the child to end and returns its wait status.
  int wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_;
};

[[noreturn]] void fail(std::string_view what) {
  throw Error(fmt::format("gradflow: render: {} failed: {}", what, std::strerror(errno)));
}

// Runs `program -T<format>` with `input` on its stdin; returns its stdout. Its stdin is one end of
// a socket pair rather than a pipe, so that writing after the program has quit early (on a syntax
// error) returns EPIPE through send(MSG_NOSIGNAL) instead of raising SIGPIPE in the caller. The
// three streams are served together with poll(): a program that writes output before it has read
// all its input (or a large error report) cannot deadlock against us.
std::string run_graphviz(std::string_view program, std::string_view format,
                         std::string_view input) {
  int in_pair[2], out_pipe[2], err_pipe[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0) fail("socketpair");
  Fd in_parent(in_pair[0]), in_child(in_pair[1]);
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) fail("pipe");
  Fd out_parent(out_pipe[0]), out_child(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) fail("pipe");
  Fd err_parent(err_pipe[0]), err_child(err_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_child.get(), 0);  // dup2 clears close-on-exec
  posix_spawn_file_actions_adddup2(&actions, out_child.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_child.get(), 2);
  std::string name(program), flag = fmt::format("-T{}", format);
  char* argv[] = {name.data(), flag.data(), nullptr};
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, name.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned == ENOENT)
    throw Error(
        fmt::format("gradflow: Graphviz's `{}` is not installed (not found on the PATH): {}",
                    program, kInstall));
  if (spawned != 0)
    throw Error(
        fmt::format("gradflow: render: cannot run {}: {}", program, std::strerror(spawned)));
  Child child(pid);
  in_child.reset(), out_child.reset(), err_child.reset();
  if (::fcntl(in_parent.get(), F_SETFL, O_NONBLOCK) != 0) fail("fcntl");
  if (input.empty()) in_parent.reset();

  std::string out, errors;
  std::array<char, 65536> buffer{};
  std::size_t written = 0;
  while (out_parent.get() >= 0 || err_parent.get() >= 0) {
    std::array<pollfd, 3> fds{{{in_parent.get(), POLLOUT, 0},
                               {out_parent.get(), POLLIN, 0},
                               {err_parent.get(), POLLIN, 0}}};  // poll skips negative fds
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      fail("poll");
    }
    if (fds[0].revents != 0) {
      const ssize_t n =
          ::send(in_parent.get(), input.data() + written, input.size() - written, MSG_NOSIGNAL);
      if (n >= 0) {
        written += static_cast<std::size_t>(n);
        if (written == input.size()) in_parent.reset();  // end of input
      } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        in_parent.reset();  // the program quit early; its exit status and stderr say why
      }
    }
    const auto drain = [&](pollfd& p, Fd& fd, std::string& into) {
      if (p.revents == 0) return;
      const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
      if (n > 0)
        into.append(buffer.data(), static_cast<std::size_t>(n));
      else if (n == 0 || errno != EINTR)
        fd.reset();
    };
    drain(fds[1], out_parent, out);
    drain(fds[2], err_parent, errors);
  }
  in_parent.reset();
  const int status = child.wait();
  while (!errors.empty() && std::isspace(static_cast<unsigned char>(errors.back())))
    errors.pop_back();
  if (WIFSIGNALED(status))
    throw Error(fmt::format("gradflow: {} -T{} was killed by signal {}{}{}", program, format,
                            WTERMSIG(status), errors.empty() ? "" : ": ", errors));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && errors.empty())
      throw Error(fmt::format("gradflow: could not run Graphviz's `{}`: {}", program, kInstall));
    throw Error(fmt::format("gradflow: {} -T{} failed (exit status {}): {}", program, format,
                            WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                            errors.empty() ? "no error output" : errors));
  }
  return out;
}

}  // namespace

bool dot_available() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string_view rest(path);
  while (true) {
    const auto colon = rest.find(':');
    const std::string_view dir = rest.substr(0, colon);
    const std::string file = fmt::format("{}/dot", dir.empty() ? std::string_view(".") : dir);
    if (::access(file.c_str(), X_OK) == 0) return true;
    if (colon == std::string_view::npos) return false;
    rest.remove_prefix(colon + 1);
  }
}

std::string render_svg(std::string_view dot_text, std::string_view engine) {
  if (std::find(kEngines.begin(), kEngines.end(), engine) == kEngines.end())
    throw UsageError(fmt::format(
        "gradflow: render_svg: '{}' is not a Graphviz layout engine (dot, neato, fdp, sfdp, "
        "circo, twopi, osage, patchwork)",
        engine));
  return run_graphviz(engine, "svg", dot_text);
}

bool render(const std::string& dot_path, const std::string& out_path) {
  const auto dot = out_path.rfind('.');
  std::string ext = dot == std::string::npos ? "" : out_path.substr(dot + 1);
  for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (ext != "svg" && ext != "png" && ext != "pdf")
    throw UsageError(fmt::format(
        "gradflow: render('{}'): the output's extension selects the format: .svg, .png or .pdf",
        out_path));
  if (!dot_available()) return false;

  std::ifstream in(dot_path, std::ios::binary);
  if (!in)
    throw Error(
        fmt::format("gradflow: render: cannot open '{}': {}", dot_path, std::strerror(errno)));
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::string image;
  try {
    image = run_graphviz("dot", ext, text);
  } catch (const Error& e) {
    throw Error(fmt::format("{} (rendering '{}' to '{}')", e.what(), dot_path, out_path));
  }
  std::ofstream file(out_path, std::ios::binary);
  if (!file)
    throw Error(fmt::format("gradflow: render: cannot open '{}' to write: {}", out_path,
                            std::strerror(errno)));
  file.write(image.data(), static_cast<std::streamsize>(image.size()));
  file.close();
  if (!file) throw Error(fmt::format("gradflow: render: writing '{}' failed", out_path));
  return true;
}

}  // namespace gradflow
