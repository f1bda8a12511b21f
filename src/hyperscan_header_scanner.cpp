#include "sipwire/hyperscan_header_scanner.h"

#include <hs/hs.h>

#include <vector>

namespace sipwire {

namespace {
constexpr unsigned kEndOfHeaders = 1000;  // pattern id of CRLF CRLF
constexpr unsigned kAnyName = 1001;       // pattern id of an unknown field name

struct ScanState {
  HeaderHit* hits;
  std::size_t capacity;
  HyperscanHeaderScanner::Result result;
};

// Matches arrive in order of their end offset. A known name and the catch-all pattern end at
// the same ':' for the same line; the known one wins.
int on_match(unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) {
  auto& st = *static_cast<ScanState*>(ctx);
  if (id == kEndOfHeaders) {
    st.result.header_end = to;
    return 1;  // stop: the body is not scanned
  }
  const HeaderId hid = id == kAnyName ? HeaderId::kOther : static_cast<HeaderId>(id);
  const auto offset = static_cast<uint32_t>(to);
  if (st.result.hits > 0 && st.hits[st.result.hits - 1].value_offset == offset) {
    if (hid != HeaderId::kOther) st.hits[st.result.hits - 1].id = hid;
    return 0;
  }
  if (st.result.hits == st.capacity) {
    st.result.overflow = true;
    return 1;
  }
  st.hits[st.result.hits++] = HeaderHit{hid, offset};
  return 0;
}
}  // namespace

struct HyperscanHeaderScanner::Impl {
  hs_database_t* db = nullptr;
  hs_scratch_t* scratch = nullptr;
};

std::unique_ptr<HyperscanHeaderScanner> HyperscanHeaderScanner::create(std::string& error) {
  std::vector<std::string> patterns;
  std::vector<unsigned> ids;
  std::vector<unsigned> flags;
  for (std::size_t i = 1; i < kHeaderIdCount; ++i) {
    const HeaderInfo& h = kHeaderInfo[i];
    std::string p = "^(?:";
    for (char c : h.name) {
      if (c == '-') p += "\\";
      p += c;
    }
    if (h.compact != '\0') (p += '|') += h.compact;
    p += ")[ \\t]*:";
    patterns.push_back(std::move(p));
    ids.push_back(static_cast<unsigned>(i));
    flags.push_back(HS_FLAG_CASELESS | HS_FLAG_MULTILINE);
  }
  patterns.emplace_back("^[A-Za-z0-9.!%*_+`'~-]+[ \\t]*:");
  ids.push_back(kAnyName);
  flags.push_back(HS_FLAG_MULTILINE);
  patterns.emplace_back("\\r\\n\\r\\n");
  ids.push_back(kEndOfHeaders);
  flags.push_back(HS_FLAG_SINGLEMATCH);

  std::vector<const char*> exprs;
  for (const auto& p : patterns) exprs.push_back(p.c_str());

  std::unique_ptr<HyperscanHeaderScanner> s(new HyperscanHeaderScanner());
  s->impl_ = new Impl();
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()),
                       HS_MODE_BLOCK, nullptr, &s->impl_->db, &err) != HS_SUCCESS) {
    error = err && err->message ? err->message : "hs_compile_multi failed";
    hs_free_compile_error(err);
    return nullptr;
  }
  if (hs_alloc_scratch(s->impl_->db, &s->impl_->scratch) != HS_SUCCESS) {
    error = "hs_alloc_scratch failed";
    return nullptr;
  }
  return s;
}

HyperscanHeaderScanner::~HyperscanHeaderScanner() {
  if (impl_ == nullptr) return;
  hs_free_scratch(impl_->scratch);
  hs_free_database(impl_->db);
  delete impl_;
}

HyperscanHeaderScanner::Result HyperscanHeaderScanner::scan(std::string_view message,
                                                            HeaderHit* hits, std::size_t capacity) {
  ScanState st{hits, capacity, {}};
  hs_scan(impl_->db, message.data(), static_cast<unsigned>(message.size()), 0, impl_->scratch,
          on_match, &st);
  return st.result;
}

}  // namespace sipwire
