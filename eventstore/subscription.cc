#include "eventstore/event_store.h"

namespace parley::eventstore {

Result<std::vector<RecordedEvent>> Subscription::Next(std::size_t max_count,
                                                      std::chrono::milliseconds timeout) {
  if (store_.LastPosition() < next_ && !store_.WaitForPosition(next_, timeout)) {
    return std::vector<RecordedEvent>{};
  }
  auto page = store_.ReadAll(next_, max_count);
  if (!page.ok()) return page.error();
  next_ = page->next_position;
  return std::move(page->events);
}

}  // namespace parley::eventstore
