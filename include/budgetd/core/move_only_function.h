#pragma once
// A callback that may own move-only state, which std::function cannot hold (it must be
// copyable): the write-ahead log's completion callback carries the batch's WriteGate::Ticket,
// so the gate is left exactly when the callback is done with, whatever path it takes.
// C++23's std::move_only_function, for as long as budgetd builds as C++20.
//
//   MoveOnlyFunction<void(Status)> done = [ticket = gate.enter()](Status s) { ... };
//   done(Status::Ok());
//
// Thread safety: none; like std::function, one owner at a time.

#include <cassert>
#include <memory>
#include <type_traits>
#include <utility>

namespace budgetd {

template <typename Signature>
class MoveOnlyFunction;

template <typename R, typename... Args>
class MoveOnlyFunction<R(Args...)> {
 public:
  MoveOnlyFunction() = default;
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, MoveOnlyFunction> &&
                                                    std::is_invocable_r_v<R, std::decay_t<F>&, Args...>>>
  MoveOnlyFunction(F&& f)  // NOLINT: implicit, like std::function
      : impl_(std::make_unique<Holder<std::decay_t<F>>>(std::forward<F>(f))) {}

  MoveOnlyFunction(MoveOnlyFunction&&) noexcept = default;
  MoveOnlyFunction& operator=(MoveOnlyFunction&&) noexcept = default;

  explicit operator bool() const { return impl_ != nullptr; }

  // REQUIRES: holds a callable.
  R operator()(Args... args) {
    assert(impl_ != nullptr);
    return impl_->call(std::forward<Args>(args)...);
  }

 private:
  struct Callable {
    virtual ~Callable() = default;
    virtual R call(Args&&... args) = 0;
  };
  template <typename F>
  struct Holder final : Callable {
    template <typename G>
    explicit Holder(G&& g) : f(std::forward<G>(g)) {}
    R call(Args&&... args) override { return f(std::forward<Args>(args)...); }
    F f;
  };
  std::unique_ptr<Callable> impl_;
};

}  // namespace budgetd
