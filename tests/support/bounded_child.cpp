#include "bounded_child.h"

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

namespace budgetd::test {

bool address_space_limit_works() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
  return false;
#else
  return true;
#endif
#else
  return true;
#endif
}

std::string ChildOutcome::describe() const {
  switch (how) {
    case How::kExited:
      return "exited " + std::to_string(code);
    case How::kSignalled:
      return std::string("killed by signal ") + strsignal(code) + " (over its memory limit, or aborted)";
    case How::kTimedOut:
      return "still running at its deadline (killed)";
  }
  return "?";
}

ChildOutcome run_bounded(const std::function<std::string()>& body, uint64_t max_address_space,
                         std::chrono::milliseconds timeout) {
  int fds[2];
  if (pipe(fds) != 0) return {ChildOutcome::How::kSignalled, 0, "pipe failed"};
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return {ChildOutcome::How::kSignalled, 0, "fork failed"};
  }
  if (pid == 0) {
    close(fds[0]);
    if (address_space_limit_works()) {
      const rlimit limit{max_address_space, max_address_space};
      setrlimit(RLIMIT_AS, &limit);
    }
    const std::string out = body();
    for (size_t done = 0; done < out.size();) {
      const ssize_t n = write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) _exit(3);
      done += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  ChildOutcome outcome;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  for (char buf[4096]; !timed_out;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fds[0], POLLIN, 0};
    const int ready = left.count() > 0 ? poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (ready == 0) {
      timed_out = true;
      break;
    }
    if (ready < 0) continue;  // EINTR
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;  // EOF: the child is done writing
    outcome.output.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (timed_out) {
    outcome.how = ChildOutcome::How::kTimedOut;
  } else if (WIFSIGNALED(status)) {
    outcome.how = ChildOutcome::How::kSignalled;
    outcome.code = WTERMSIG(status);
  } else {
    outcome.code = WEXITSTATUS(status);
  }
  return outcome;
}

}  // namespace budgetd::test
