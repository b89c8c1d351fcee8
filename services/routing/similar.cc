#include "services/routing/similar.h"

#include <xapian.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "common/format.h"

namespace lotse::routing::similar {
namespace {

constexpr char kSep = '\0';

std::string DepartmentPrefix(std::string_view department) {
  return StrCat(department, std::string(1, kSep));
}

std::string PostingPrefix(std::string_view department, std::string_view term) {
  return StrCat(DepartmentPrefix(department), term, std::string(1, kSep));
}

// What the index knows of one document of a department: its length and topic.
struct Doc {
  uint64_t length = 0;
  std::string topic;
};

}  // namespace

const std::vector<std::string>& StopWords() {
  // Lower-case, unstemmed: Xapian's stopper sees the word before it is stemmed.
  static const std::vector<std::string>* const words = new std::vector<std::string>{
      "aber",   "als",    "am",     "an",      "auch",   "auf",    "aus",    "bei",    "bis",
      "bitte",  "da",     "dann",   "das",     "dass",   "daß",    "dem",    "den",    "denn",
      "der",    "des",    "die",    "dies",    "diese",  "diesem", "diesen", "dieser", "dieses",
      "du",     "durch",  "ein",    "eine",    "einem",  "einen",  "einer",  "eines",  "er",
      "es",     "für",    "gibt",   "habe",    "haben",  "hat",    "hier",   "ich",    "ihr",
      "ihre",   "im",     "in",     "ist",     "kann",   "kein",   "keine",  "können", "könnte",
      "man",    "mit",    "muss",   "müssen",  "nach",   "nicht",  "noch",   "nur",    "ob",
      "oder",   "sich",   "sie",    "sind",    "so",     "soll",   "sollen", "über",   "um",
      "und",    "uns",    "unser",  "unsere",  "unserem", "unseren", "unserer", "vom",  "von",
      "vor",    "war",    "was",    "welche",  "welcher", "welches", "wenn",   "werden", "wie",
      "wir",    "wird",   "wo",     "zu",      "zum",    "zur"};
  return *words;
}

Terms Tokenize(std::string_view text) {
  Terms terms;
  // Xapian reports errors by exceptions; with an in-memory document and a built-in stemmer
  // none is expected, but none may leave routing's loop either: no terms is the answer then.
  try {
    const std::vector<std::string>& stop = StopWords();
    Xapian::SimpleStopper stopper(stop.begin(), stop.end());
    Xapian::TermGenerator generator;
    generator.set_stemmer(Xapian::Stem("german"));
    generator.set_stemming_strategy(Xapian::TermGenerator::STEM_ALL_Z);
    generator.set_stopper(&stopper);
    generator.set_stopper_strategy(Xapian::TermGenerator::STOP_ALL);
    Xapian::Document document;
    generator.set_document(document);
    generator.index_text_without_positions(std::string(text));
    for (auto it = document.termlist_begin(); it != document.termlist_end(); ++it) {
      const std::string term = *it;
      if (term.size() < 2 || term[0] != 'Z') {
        continue;  // STEM_ALL_Z makes only "Z"-prefixed stems
      }
      terms.wdf[term.substr(1)] = it.get_wdf();
      terms.length += it.get_wdf();
    }
  } catch (const Xapian::Error&) {
    return Terms{};
  }
  return terms;
}

std::string TextOf(const lotse::v1::ReferralState& state) {
  return StrCat(state.referral().subject(), "\n", state.referral().text());
}

double Bm25Part(uint64_t docs, uint64_t df, uint32_t wqf, uint32_t wdf, uint64_t length,
                double average_length) {
  constexpr double kK1 = 1;
  constexpr double kK3 = 1;
  constexpr double kB = 0.5;
  constexpr double kMinNormLength = 0.5;
  double tw = (static_cast<double>(docs) - static_cast<double>(df) + 0.5) /
              (static_cast<double>(df) + 0.5);
  // A term in more than about a third of the documents would weigh little or less than
  // nothing; Xapian lifts such weights to small positive ones, and so do we.
  if (tw < 2) {
    tw = tw * 0.5 + 1;
  }
  const double wqf_d = wqf;
  const double term_weight = std::log(tw) * (kK3 + 1) * wqf_d / (kK3 + wqf_d) * (kK1 + 1);
  const double length_factor = average_length > 0 ? 1 / average_length : 0;
  const double norm_length = std::max(static_cast<double>(length) * length_factor, kMinNormLength);
  const double wdf_d = wdf;
  return term_weight * wdf_d / (kK1 * (norm_length * kB + (1 - kB)) + wdf_d);
}

void Index::Add(store::Batch& batch, const lotse::v1::ReferralState& state) const {
  const std::string& department = state.answer().department();
  const Terms terms = Tokenize(TextOf(state));
  for (const auto& [term, wdf] : terms.wdf) {
    batch.Put(postings_, StrCat(PostingPrefix(department, term), state.referral_id()),
              store::EncodeU64(wdf));
  }
  batch.Put(docs_, StrCat(DepartmentPrefix(department), state.referral_id()),
            StrCat(store::EncodeU64(terms.length), state.referral().topic()));
}

void Index::Remove(store::Batch& batch, std::string_view department,
                   const lotse::v1::ReferralState& state) const {
  const Terms terms = Tokenize(TextOf(state));
  for (const auto& [term, wdf] : terms.wdf) {
    batch.Delete(postings_, StrCat(PostingPrefix(department, term), state.referral_id()));
  }
  batch.Delete(docs_, StrCat(DepartmentPrefix(department), state.referral_id()));
}

absl::StatusOr<std::vector<Hit>> Index::Search(const store::Store& store,
                                               const Query& query) const {
  // The department's documents: their count, average length and topics. One pass over a
  // department's answered referrals (a few thousand short keys a year) per search.
  const std::string prefix = DepartmentPrefix(query.department);
  std::unordered_map<std::string, Doc> docs;
  uint64_t total_length = 0;
  absl::Status damaged;
  absl::Status scanned =
      store.Scan(docs_, prefix, "", [&](std::string_view key, std::string_view value) {
        if (value.size() < 8) {
          damaged = absl::DataLossError("an entry of the earlier answers' index is damaged");
          return false;
        }
        Doc doc{store::DecodeU64(value), std::string(value.substr(8))};
        total_length += doc.length;
        docs.emplace(std::string(key.substr(prefix.size())), std::move(doc));
        return true;
      });
  if (!scanned.ok()) {
    return scanned;
  }
  if (!damaged.ok()) {
    return damaged;
  }
  std::vector<Hit> hits;
  if (docs.empty()) {
    return hits;
  }
  const double average_length =
      static_cast<double>(total_length) / static_cast<double>(docs.size());

  std::unordered_map<std::string, double> scores;
  const Terms terms = Tokenize(query.text);
  for (const auto& [term, wqf] : terms.wdf) {
    const std::string term_prefix = PostingPrefix(query.department, term);
    std::vector<std::pair<std::string, uint32_t>> postings;
    scanned = store.Scan(postings_, term_prefix, "",
                         [&](std::string_view key, std::string_view value) {
                           if (value.size() < 8) {
                             damaged = absl::DataLossError(
                                 "an entry of the earlier answers' index is damaged");
                             return false;
                           }
                           postings.emplace_back(std::string(key.substr(term_prefix.size())),
                                                 static_cast<uint32_t>(store::DecodeU64(value)));
                           return true;
                         });
    if (!scanned.ok()) {
      return scanned;
    }
    if (!damaged.ok()) {
      return damaged;
    }
    for (const auto& [id, wdf] : postings) {
      auto doc = docs.find(id);
      if (doc == docs.end()) {
        continue;  // a posting without its document (cannot happen: both are one batch)
      }
      scores[id] += Bm25Part(docs.size(), postings.size(), wqf, wdf, doc->second.length,
                             average_length);
    }
  }
  for (const auto& [id, score] : scores) {
    if (id == query.exclude_id) {
      continue;
    }
    const Doc& doc = docs.at(id);
    hits.push_back(Hit{id, doc.topic, !query.topic.empty() && doc.topic == query.topic, score});
  }
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    if (a.same_topic != b.same_topic) {
      return a.same_topic;
    }
    if (a.score != b.score) {
      return a.score > b.score;
    }
    return a.referral_id < b.referral_id;
  });
  if (hits.size() > query.limit) {
    hits.resize(query.limit);
  }
  return hits;
}

}  // namespace lotse::routing::similar
