#include "sipwire/txn/transaction_table.h"

#include <random>

#include "sipwire/siphash.h"

namespace sipwire {

namespace {

constexpr std::string_view kInvite = "INVITE";

std::size_t round_up_to_power_of_two(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

// A seed nobody outside can know; never 0, so a drawn seed is never taken for "draw one".
uint64_t drawn_seed() {
  std::random_device rd;
  const uint64_t seed = detail::random_key_word(rd);
  return seed == 0 ? 1 : seed;
}

}  // namespace

TransactionTable::TransactionTable(const TxnTableConfig& config, TxnActions& actions,
                                   uint64_t now_ms)
    : capacity_(config.capacity),
      seed_(config.hash_seed != 0 ? config.hash_seed : drawn_seed()),
      timers_(config.timers),
      wheel_(config.wheel, now_ms),
      releaser_(*this, actions),
      env_{wheel_, timers_, releaser_},
      pool_(new Transaction[capacity_ == 0 ? 1 : capacity_]),
      bucket_mask_(round_up_to_power_of_two(kBucketsPerTransaction * (capacity_ | 1)) - 1) {
  buckets_.reset(new uint32_t[bucket_mask_ + 1]);
  for (std::size_t i = 0; i <= bucket_mask_; ++i) buckets_[i] = kNil;
  // The free list runs in index order, so a fresh table hands out slots 0, 1, 2, ...
  for (std::size_t i = capacity_; i-- > 0;) {
    Transaction& t = pool_[i];
    t.index_ = static_cast<uint32_t>(i);
    t.retransmit_.set_owner(t.index_);
    t.timeout_.set_owner(t.index_);
    t.timer_c_.set_owner(t.index_);
    t.next_ = free_head_;
    free_head_ = t.index_;
  }
}

// Armed entries point into the pool and the wheel's slots; both go together, so nothing is
// left dangling. Members are destroyed in reverse order: the pool before the wheel.
TransactionTable::~TransactionTable() = default;

void TransactionTable::Releaser::terminated(Transaction& t) {
  owner_.terminated(t);
  table_.release(t);
}

Transaction* TransactionTable::allocate() {
  if (free_head_ == kNil) {
    ++counters_.exhausted;
    return nullptr;
  }
  Transaction& t = pool_[free_head_];
  free_head_ = t.next_;
  t.next_ = kNil;
  t.state_ = TxnState::kIdle;
  t.provisional_received_ = false;
  t.retransmit_letter_ = t.timeout_letter_ = TxnTimer::kNone;
  t.last_status_ = 0;
  t.retransmit_interval_ms_ = 0;
  t.user_data_ = 0;
  t.request_ = t.last_response_ = MessageRef{};
  t.request_to_tag_hash_ = t.response_to_tag_hash_ = 0;
  ++live_;
  ++counters_.created;
  return &t;
}

void TransactionTable::release(Transaction& t) {
  if (t.state_ == TxnState::kIdle) return;
  unindex(t);
  wheel_.stop(t.retransmit_);
  wheel_.stop(t.timeout_);
  wheel_.stop(t.timer_c_);
  t.state_ = TxnState::kIdle;
  ++t.generation_;  // stale handles and in-flight machine code see it gone
  t.next_ = free_head_;
  free_head_ = t.index_;
  --live_;
  ++counters_.released;
}

void TransactionTable::index(Transaction& t) {
  uint32_t& head = buckets_[t.key_.hash & bucket_mask_];
  t.next_ = head;
  head = t.index_;
}

void TransactionTable::unindex(Transaction& t) {
  uint32_t* link = &buckets_[t.key_.hash & bucket_mask_];
  while (*link != kNil) {
    if (*link == t.index_) {
      *link = t.next_;
      t.next_ = kNil;
      return;
    }
    link = &pool_[*link].next_;
  }
}

Transaction* TransactionTable::lookup(const MatchKey& key, KeyClass key_class,
                                      const Message* request, bool ack_rule) {
  // The RFC 2543 rule adds the To tag: the request's, or for an ACK the response's.
  uint64_t to_tag = 0;
  if (key_class == KeyClass::kServerRfc2543) to_tag = tag_hash(request->to().tag(), seed_);
  for (uint32_t i = buckets_[key.hash & bucket_mask_]; i != kNil; i = pool_[i].next_) {
    Transaction& t = pool_[i];
    if (t.key_class_ != key_class || !(t.key_ == key)) continue;
    if (key_class == KeyClass::kServerRfc2543) {
      if (ack_rule ? t.kind_ != TxnKind::kInviteServer || t.response_to_tag_hash_ != to_tag
                   : t.request_to_tag_hash_ != to_tag) {
        continue;
      }
    }
    return &t;
  }
  return nullptr;
}

KeyClass TransactionTable::server_key(const Message& request, bool as_invite, MatchKey& key) const {
  const Via& via = request.top_via();
  // An ACK belongs to the INVITE's transaction; a CANCEL looks for it the same way.
  const std::string_view method =
      as_invite || request.method() == Method::kAck ? kInvite : request.method_name();
  const uint32_t port = via.has_port ? via.port : 0;
  if (via.has_rfc3261_branch()) {
    KeyBuilder b(key, seed_, KeyClass::kServerRfc3261);
    b.add(via.branch);
    b.add_lower(via.host);
    b.add_number(port);
    b.add(method);
    b.finish();
    return KeyClass::kServerRfc3261;
  }
  KeyBuilder b(key, seed_, KeyClass::kServerRfc2543);
  b.add(request.request_uri_text());
  b.add(request.from().tag());
  b.add(request.call_id());
  b.add_number(request.cseq().number);
  b.add(method);
  b.add_lower(via.transport);
  b.add_lower(via.host);
  b.add_number(port);
  b.add(via.params);
  b.finish();
  return KeyClass::kServerRfc2543;
}

void TransactionTable::client_key(std::string_view branch, std::string_view method,
                                  MatchKey& key) const {
  KeyBuilder b(key, seed_, KeyClass::kClient);
  b.add(branch);
  b.add(method);
  b.finish();
}

Transaction* TransactionTable::find_server_as(const Message& request, bool as_invite) {
  if (!request.is_request()) return nullptr;
  MatchKey key;
  const KeyClass key_class = server_key(request, as_invite, key);
  return lookup(key, key_class, &request, request.method() == Method::kAck);
}

Transaction* TransactionTable::find_server(const Message& request) {
  return find_server_as(request, false);
}

Transaction* TransactionTable::find_server(const Message& request, ServerKey& key) {
  if (!request.is_request()) return nullptr;
  key.key_class = server_key(request, false, key.key);
  return lookup(key.key, key.key_class, &request, request.method() == Method::kAck);
}

Transaction* TransactionTable::find_invite_for_cancel(const Message& cancel) {
  if (cancel.method() != Method::kCancel) return nullptr;
  return find_server_as(cancel, true);  // the key's method INVITE finds INVITE servers only
}

Transaction* TransactionTable::create_server(const Message& request, bool reliable,
                                             MessageRef bytes, uint64_t now_ms) {
  return create_server(request, nullptr, reliable, bytes, now_ms);
}

Transaction* TransactionTable::create_server(const Message& request, const ServerKey* key,
                                             bool reliable, MessageRef bytes, uint64_t now_ms) {
  if (!request.is_request() || request.method() == Method::kAck) return nullptr;
  Transaction* t = allocate();
  if (t == nullptr) return nullptr;
  if (key != nullptr) {
    t->key_ = key->key;
    t->key_class_ = key->key_class;
  } else {
    t->key_class_ = server_key(request, false, t->key_);
  }
  t->request_to_tag_hash_ = tag_hash(request.to().tag(), seed_);
  t->request_ = bytes;
  index(*t);
  t->start_server(env_, request.method() == Method::kInvite, reliable, now_ms);
  return t;
}

void TransactionTable::set_response_to_tag(Transaction& t, std::string_view to_tag) {
  t.response_to_tag_hash_ = tag_hash(to_tag, seed_);
}

Transaction* TransactionTable::find_client(const Message& response) {
  if (response.is_request() || response.top_via().branch.empty()) return nullptr;
  MatchKey key;
  client_key(response.top_via().branch, response.cseq().method_name, key);
  return lookup(key, KeyClass::kClient, nullptr, false);
}

Transaction* TransactionTable::create_client(std::string_view branch, std::string_view method,
                                             bool reliable, MessageRef request, uint64_t now_ms) {
  const Method m = classify_method(method);
  if (m == Method::kAck) return nullptr;
  Transaction* t = allocate();
  if (t == nullptr) return nullptr;
  t->key_class_ = KeyClass::kClient;
  client_key(branch, method, t->key_);
  t->request_ = request;
  index(*t);
  t->start_client(env_, m == Method::kInvite, reliable, now_ms);
  return t;
}

Transaction* TransactionTable::get(TxnHandle handle) {
  if (handle.index >= capacity_) return nullptr;
  Transaction& t = pool_[handle.index];
  if (t.generation_ != handle.generation || t.state_ == TxnState::kIdle) return nullptr;
  return &t;
}

std::size_t TransactionTable::advance(uint64_t now_ms) {
  return wheel_.advance(now_ms, [this](TimerEntry& fired) {
    pool_[fired.owner()].on_timer(env_, fired, wheel_.now_ms());
  });
}

}  // namespace sipwire
