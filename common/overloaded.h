// std::visit over a variant with one lambda per alternative.
#pragma once

namespace parley {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};

}  // namespace parley
