#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/store/store.h"
#include "lotse/v1/common.pb.h"

// Earlier answers (Wissensbasis): a full-text index of the answered referrals of each
// department, kept in routing's own RocksDB so that it is written in the same batch as the
// answer it indexes (crash-safe and exactly-once like every other state change; a separate
// Xapian database could not commit atomically with RocksDB). Text is tokenized and stemmed by
// Xapian (German stemmer, our own short list of stop words); ranking is Xapian's BM25 with its
// default parameters, computed here from our own postings (similar_test.cc checks that both
// rank alike, score for score).
namespace lotse::routing::similar {

// The index terms of a text and how often each occurs (its wdf): lower-cased, split into words
// by Xapian's tokenizer, German stop words dropped, the rest stemmed ("Lagerhallen" and
// "Lagerhalle" are both "lagerhall").
struct Terms {
  std::map<std::string, uint32_t> wdf;
  uint32_t length = 0;  // the number of words indexed (the sum of the wdfs)
};
Terms Tokenize(std::string_view text);

// The stop words dropped before stemming: articles, pronouns, prepositions and auxiliary verbs
// that say nothing about what a company asks.
const std::vector<std::string>& StopWords();

// The text of a referral that is indexed and searched with: its subject and question.
std::string TextOf(const lotse::v1::ReferralState& state);

// BM25 as Xapian's BM25Weight computes it with its defaults (k1 = 1, k2 = 0, k3 = 1, b = 0.5,
// min_normlen = 0.5): the part one query term contributes to a document's score.
// `docs` documents in the collection, `df` of them hold the term, `wqf` times in the query,
// `wdf` times in this document of `length` words, `average_length` over the collection.
double Bm25Part(uint64_t docs, uint64_t df, uint32_t wqf, uint32_t wdf, uint64_t length,
                double average_length);

// A search: earlier answers of `department` like `text`; documents of `topic` rank first.
struct Query {
  std::string department;
  std::string topic;
  std::string text;
  std::string exclude_id;  // the referral asked about, never its own match
  size_t limit = 5;
};

struct Hit {
  std::string referral_id;
  std::string topic;
  bool same_topic = false;
  double score = 0;  // BM25 over subject and question
};

// The index in two of routing's column families. Keys:
//   postings: department \0 term \0 referral id -> wdf (8 bytes big-endian)
//   docs:     department \0 referral id         -> length (8 bytes big-endian) + topic
// The collection statistics (documents, average length) are counted from `docs` at search
// time, so that adding a document is pure writes: adding it again (an answer given twice, after
// a reopening) writes the same keys and changes nothing. Borrows nothing; immutable.
class Index {
 public:
  Index(store::Cf postings, store::Cf docs) : postings_(postings), docs_(docs) {}

  // Puts the answered referral `state` (subject and question, topic) under the department that
  // answered it (state.answer().department()).
  void Add(store::Batch& batch, const lotse::v1::ReferralState& state) const;
  // Deletes what Add put for `state` under `department` (erasure of the referral).
  void Remove(store::Batch& batch, std::string_view department,
              const lotse::v1::ReferralState& state) const;
  // The best matches of `query` in the committed index, best first: documents sharing at least
  // one term with the query, those of the query's topic before the others, then by BM25 score,
  // then by referral id. At most query.limit.
  absl::StatusOr<std::vector<Hit>> Search(const store::Store& store, const Query& query) const;

 private:
  store::Cf postings_;
  store::Cf docs_;
};

}  // namespace lotse::routing::similar
