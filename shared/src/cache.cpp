#include "evently/cache.hpp"

#include "evently/board.hpp"
#include "evently/compress.hpp"
#include "evently/metrics.hpp"
#include "evently/time.hpp"

namespace evently {

size_t LruCache::cost(const std::string& key, const Entry& e) {
  // The strings' contents and a fixed allowance for the bookkeeping.
  return key.size() + e.version.size() + e.body.size() + e.gzipped.size() + e.object_bytes + 128;
}

void LruCache::erase(std::list<Slot>::iterator it) {
  bytes_ -= it->bytes;
  index_.erase(it->key);
  order_.erase(it);
}

void LruCache::fit() {
  while (bytes_ > max_bytes_ && !order_.empty()) {
    erase(std::prev(order_.end()));
    ++evictions_;
  }
}

LruCache::Ptr LruCache::get(const std::string& key, std::string_view version) {
  const auto found = index_.find(key);
  if (found == index_.end()) return nullptr;
  const auto it = found->second;
  if (it->entry->version != version) {
    erase(it);
    return nullptr;
  }
  order_.splice(order_.begin(), order_, it);
  return it->entry;
}

LruCache::Ptr LruCache::peek(const std::string& key) {
  const auto found = index_.find(key);
  if (found == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, found->second);
  return found->second->entry;
}

LruCache::Ptr LruCache::put(const std::string& key, Entry entry) {
  if (const auto found = index_.find(key); found != index_.end()) erase(found->second);
  auto ptr = std::make_shared<Entry>(std::move(entry));
  const size_t bytes = cost(key, *ptr);
  if (bytes > max_bytes_) return ptr;
  order_.push_front(Slot{key, ptr, bytes});
  index_.emplace(key, order_.begin());
  bytes_ += bytes;
  fit();
  return ptr;
}

const std::string& LruCache::gzipped(const std::string& key, const Ptr& entry) {
  if (!entry->gzipped.empty()) return entry->gzipped;
  entry->gzipped = gzip(entry->body);
  // Still cached as this entry: count its growth (it may push others out, or itself).
  if (const auto found = index_.find(key); found != index_.end() && found->second->entry == entry) {
    const auto it = found->second;
    const size_t bytes = cost(key, *entry);
    bytes_ += bytes - it->bytes;
    it->bytes = bytes;
    order_.splice(order_.begin(), order_, it);
    if (bytes > max_bytes_) {
      erase(it);
    } else {
      fit();
    }
  }
  return entry->gzipped;
}

Response not_modified(const std::string& etag) {
  return Response{.status = 304, .content_type = "", .body = "", .shared_body = nullptr,
                  .headers = {{"ETag", etag}, {"Cache-Control", "no-cache"}}};
}

Response cached_response(const Request& req, LruCache& cache, const std::string& key,
                         const LruCache::Ptr& entry, const std::string& etag) {
  if (etag_matches(req.if_none_match, etag)) return not_modified(etag);
  const bool gzip = accepts_gzip(req.accept_encoding);
  Response res = Response::json(200, {});
  // The entry's own text, kept alive with it: a seat map is not copied per answer.
  res.shared_body = std::shared_ptr<const std::string>(entry, gzip ? &cache.gzipped(key, entry) : &entry->body);
  if (gzip) res.header("Content-Encoding", "gzip");
  return res.header("ETag", etag).header("Cache-Control", "no-cache").header("Vary", "Accept-Encoding");
}

bool on_board(const LruCache::Entry& entry, uint64_t mark_now) {
  const bool on = entry.board_until != 0 && entry.board_mark == mark_now && now_micros() < entry.board_until;
  if (auto* metrics = WorkerMetrics::current()) {
    if (on) metrics->cache_hit(CacheName::board); else metrics->cache_miss(CacheName::board);
  }
  return on;
}

void put_on_board(LruCache::Entry& entry, uint64_t mark, int64_t expires_micros) {
  const Board* board = Board::get();
  entry.board_mark = mark;
  entry.board_until = board != nullptr ? board->trusted_until(now_micros(), expires_micros) : 0;
}

}  // namespace evently
