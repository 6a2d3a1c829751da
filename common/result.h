// Result<T>: the value of an operation that can fail in an expected way.
//
// Expected failures (a wrong version, bad input, a missing stream) are
// returned, never thrown; exceptions are kept for programming errors and
// for what cannot be handled where it happens.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace parley {

// What the caller should do next decides the code, not where it failed.
enum class ErrorCode {
  kInvalidArgument,     // fix the request; retrying it as is fails again
  kNotFound,            // it does not exist (or the caller may not see it)
  kUnauthenticated,     // no valid credentials: sign in again
  kForbidden,           // the caller sees it but may not do this
  kConversationClosed,  // the conversation is closed: reopen it first
  kConflict,            // the state moved on: re-read, then decide again
  kTooLarge,
  kUnsupportedMediaType,  // send the body in a format the server reads            // the request is over a
                          // size limit
  kCorruption,            // stored bytes failed verification
  kUnavailable,           // try again later: the store is closed or overloaded
  kInternal,              // a bug or an I/O failure; logged, not the caller's fault
};

const char* ToString(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;
  // For kConflict on an append: the stream's actual version.
  // For kCorruption: the global position of the bad event.
  std::uint64_t detail = 0;

  static Error InvalidArgument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
  static Error NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Error Unauthenticated(std::string m) { return {ErrorCode::kUnauthenticated, std::move(m)}; }
  static Error Forbidden(std::string m) { return {ErrorCode::kForbidden, std::move(m)}; }
  static Error ConversationClosed() {
    return {ErrorCode::kConversationClosed, "The conversation is closed; reopen it first."};
  }
  static Error Conflict(std::string m, std::uint64_t actual) {
    return {ErrorCode::kConflict, std::move(m), actual};
  }
  static Error TooLarge(std::string m) { return {ErrorCode::kTooLarge, std::move(m)}; }
  static Error Corruption(std::string m, std::uint64_t position) {
    return {ErrorCode::kCorruption, std::move(m), position};
  }
  static Error Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
  static Error Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

// Result<void>: success carries nothing.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{ErrorCode::kInternal, {}};
  bool ok_ = true;
};

}  // namespace parley
