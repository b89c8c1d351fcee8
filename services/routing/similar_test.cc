#include "services/routing/similar.h"

#include <unistd.h>
#include <xapian.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common/format.h"
#include "gtest/gtest.h"

namespace lotse::routing::similar {
namespace {

using lotse::v1::ReferralState;

// One answered referral of the corpus.
struct Answered {
  std::string id;
  std::string department;
  std::string topic;
  std::string subject;
  std::string text;
};

// A small German corpus: what companies asked the Bauordnungsamt (and, apart, the Umweltamt).
// The first entry is the answer a question about a Bauvoranfrage for a Lagerhalle should find;
// the others are the realistic distractors: the same words in another matter ("Lagerhalle",
// "Halle", "Bauvoranfrage"), or another matter of the same office.
const std::vector<Answered>& Corpus() {
  static const std::vector<Answered>* const corpus = new std::vector<Answered>{
      {"b-halle", "bauordnung", "baugenehmigung", "Bauvoranfrage Halle",
       "Wir möchten auf unserem Grundstück im Gewerbegebiet Nord eine Halle errichten. Reicht "
       "zunächst eine Bauvoranfrage, um die Zulässigkeit zu klären?"},
      {"b-brandschutz", "bauordnung", "baugenehmigung", "Bauantrag Lagerhalle Brandschutz",
       "Für den Bauantrag unserer neuen Lagerhalle fordert der Prüfingenieur ein "
       "Brandschutzkonzept. Wer erstellt das, und was muss es enthalten?"},
      {"b-gastro", "bauordnung", "nutzungsaenderung", "Gaststätte Außengastronomie",
       "Wir betreiben eine Gaststätte und möchten im Sommer Tische auf der Terrasse aufstellen. "
       "Brauchen wir eine Genehmigung für die Außengastronomie?"},
      {"b-werbung", "bauordnung", "baugenehmigung", "Werbeanlage an der Halle",
       "Wir möchten an der Fassade unserer Halle eine beleuchtete Werbeanlage mit unserem Logo "
       "anbringen. Ist das genehmigungspflichtig?"},
      {"b-nutzung", "bauordnung", "nutzungsaenderung", "Nutzungsänderung Lager zu Büro",
       "Ein Teil unseres Lagers soll zu Büroräumen umgebaut werden. Brauchen wir dafür eine "
       "Nutzungsänderung?"},
      {"b-carport", "bauordnung", "baugenehmigung", "Carport auf dem Firmengelände",
       "Dürfen wir ohne Baugenehmigung einen Carport für unsere Firmenfahrzeuge bauen?"},
      {"b-photovoltaik", "bauordnung", "baugenehmigung", "Photovoltaik auf dem Hallendach",
       "Wir wollen eine Photovoltaikanlage auf das Dach unserer Produktionshalle setzen. Braucht "
       "das eine Baugenehmigung?"},
      {"b-abstand", "bauordnung", "baugenehmigung", "Abstandsflächen bei Erweiterung",
       "Unsere Werkstatt soll um einen Anbau erweitert werden. Welche Abstandsflächen zum "
       "Nachbargrundstück gelten?"},
      {"b-wohnhaus", "bauordnung", "baugenehmigung", "Bauvoranfrage Wohnhaus",
       "Vor dem Kauf eines Grundstücks möchten wir per Bauvoranfrage klären, ob ein Wohnhaus mit "
       "Büro im Erdgeschoss zulässig ist."},
      {"b-dauer", "bauordnung", "baugenehmigung", "Bearbeitungsdauer Bauantrag",
       "Wie lange dauert die Prüfung eines Bauantrags für eine Lagerhalle mit Büroanbau?"},
      {"b-verkauf", "bauordnung", "nutzungsaenderung", "Verkaufsraum im Gewerbegebiet",
       "Wir wollen in unserem Gebäude im Gewerbegebiet einen kleinen Verkaufsraum für "
       "Endkunden einrichten."},
  };
  return *corpus;
}

// The Umweltamt's answers: the same words, another department.
const std::vector<Answered>& Umwelt() {
  static const std::vector<Answered>* const umwelt = new std::vector<Answered>{
      {"u-laerm", "umwelt", "emissionsschutz", "Lärmschutz an der Lagerhalle",
       "Unsere Lagerhalle im Gewerbegebiet wird nachts beliefert. Welche Lärmwerte gelten?"},
      {"u-voranfrage", "umwelt", "emissionsschutz", "Bauvoranfrage Lagerhalle Immissionen",
       "Für die Bauvoranfrage unserer Lagerhalle auf dem Grundstück fragt das Bauamt nach "
       "Immissionen. Was brauchen Sie von uns zur Zulässigkeit?"},
  };
  return *umwelt;
}

ReferralState StateOf(const Answered& a) {
  ReferralState s;
  s.set_referral_id(a.id);
  s.set_status(lotse::v1::REFERRAL_STATUS_ANSWERED);
  s.set_assignee(a.department);
  s.mutable_referral()->set_topic(a.topic);
  s.mutable_referral()->set_subject(a.subject);
  s.mutable_referral()->set_text(a.text);
  s.mutable_answer()->set_department(a.department);
  s.mutable_answer()->set_text(StrCat("Antwort zu ", a.subject));
  return s;
}

constexpr char kLagerhalleSubject[] = "Bauvoranfrage für eine Lagerhalle";
constexpr char kLagerhalleText[] =
    "Wir planen auf einem Grundstück im Gewerbegebiet eine Lagerhalle für Baustoffe. Sollen wir "
    "vorab eine Bauvoranfrage stellen, um die Zulässigkeit zu klären?";

class SimilarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/similar_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
           std::to_string(getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::Options options;
    options.path = dir_;
    options.state_families = {"state_similar_postings", "state_similar_docs"};
    auto store = store::Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void AddAll(const std::vector<Answered>& answers) {
    store::Batch batch(store_.get());
    for (const Answered& a : answers) {
      index_.Add(batch, StateOf(a));
    }
    ASSERT_TRUE(store_->Commit(batch).ok());
  }

  std::vector<Hit> Find(const std::string& department, const std::string& topic,
                        const std::string& text, size_t limit = 5,
                        const std::string& exclude = "") {
    Query query{department, topic, text, exclude, limit};
    absl::StatusOr<std::vector<Hit>> hits = index_.Search(*store_, query);
    EXPECT_TRUE(hits.ok()) << hits.status();
    return hits.ok() ? *hits : std::vector<Hit>{};
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  const Index index_{store::kFirstStateFamily, store::kFirstStateFamily + 1};
};

std::vector<std::string> Ids(const std::vector<Hit>& hits) {
  std::vector<std::string> ids;
  for (const Hit& h : hits) {
    ids.push_back(h.referral_id);
  }
  return ids;
}

TEST(TokenizeTest, InflectedFormsShareTheirStem) {
  const Terms one = Tokenize("Lagerhalle");
  const Terms many = Tokenize("Lagerhallen");
  ASSERT_EQ(one.wdf.size(), 1u);
  EXPECT_EQ(one.wdf, many.wdf);
  EXPECT_EQ(one.wdf.begin()->first, "lagerhall");
  // Upper case and umlauts are folded the same way however they are written.
  EXPECT_EQ(Tokenize("ZULÄSSIGKEIT").wdf, Tokenize("Zulässigkeit").wdf);
  EXPECT_EQ(Tokenize("Außengastronomie").wdf, Tokenize("AUßENGASTRONOMIE").wdf);
}

TEST(TokenizeTest, DropsStopWordsAndSplitsOnPunctuation) {
  const Terms terms = Tokenize("Wir möchten für die Halle eine Bauvoranfrage stellen, bitte!");
  EXPECT_EQ(terms.wdf.count("wir"), 0u);
  EXPECT_EQ(terms.wdf.count("die"), 0u);
  EXPECT_EQ(terms.wdf.count("fur"), 0u);
  EXPECT_EQ(terms.wdf.count("hall"), 1u);
  EXPECT_EQ(terms.wdf.count("bauvoranfrag"), 1u);
  EXPECT_EQ(terms.length, 4u);  // möchten, Halle, Bauvoranfrage, stellen
  EXPECT_EQ(Tokenize("Halle, Halle; HALLE").wdf.at("hall"), 3u);
  EXPECT_TRUE(Tokenize("").wdf.empty());
  EXPECT_TRUE(Tokenize("und oder aber").wdf.empty());
}

TEST(Bm25Test, RareTermsAndShortDocumentsWeighMore) {
  // 10 documents of average length 10.
  EXPECT_GT(Bm25Part(10, 1, 1, 1, 10, 10), Bm25Part(10, 3, 1, 1, 10, 10));
  EXPECT_GT(Bm25Part(10, 1, 1, 1, 5, 10), Bm25Part(10, 1, 1, 1, 20, 10));
  EXPECT_GT(Bm25Part(10, 1, 1, 2, 10, 10), Bm25Part(10, 1, 1, 1, 10, 10));
  // A term in every document still weighs a little, never nothing or less.
  EXPECT_GT(Bm25Part(10, 10, 1, 1, 10, 10), 0);
}

TEST_F(SimilarTest, BauvoranfrageForALagerhalleFindsTheBauvoranfrageHalleFirst) {
  AddAll(Corpus());
  const std::vector<Hit> hits =
      Find("bauordnung", "baugenehmigung", StrCat(kLagerhalleSubject, "\n", kLagerhalleText));
  ASSERT_FALSE(hits.empty());
  for (const Hit& h : hits) {
    std::cout << "  " << h.referral_id << " " << h.topic << " " << h.score << "\n";
  }
  EXPECT_EQ(hits[0].referral_id, "b-halle");
  EXPECT_TRUE(hits[0].same_topic);
  EXPECT_EQ(hits.size(), 5u);
  for (size_t i = 1; i < hits.size(); ++i) {
    EXPECT_GE(hits[i - 1].score, hits[i].score);
  }
  // The matter without a shared word never shows up.
  for (const Hit& h : hits) {
    EXPECT_NE(h.referral_id, "b-gastro");
  }
}

TEST_F(SimilarTest, TheReferralAskedAboutIsNeverItsOwnMatch) {
  AddAll(Corpus());
  const std::vector<Hit> hits =
      Find("bauordnung", "baugenehmigung", "Bauvoranfrage Halle", 5, "b-halle");
  ASSERT_FALSE(hits.empty());
  for (const Hit& h : hits) {
    EXPECT_NE(h.referral_id, "b-halle");
  }
}

TEST_F(SimilarTest, TheSameTopicComesFirstEvenWithALowerScore) {
  AddAll(Corpus());
  const std::string text = "Verkaufsraum in der Lagerhalle: brauchen wir einen Bauantrag?";
  const std::vector<Hit> by_topic = Find("bauordnung", "nutzungsaenderung", text, 20);
  const std::vector<Hit> by_score = Find("bauordnung", "", text, 20);
  for (const Hit& h : by_score) {
    std::cout << "  by score: " << h.referral_id << " " << h.topic << " " << h.score << "\n";
  }
  ASSERT_GE(by_topic.size(), 2u);
  // By score alone a Baugenehmigung matter leads; by topic the Nutzungsänderung comes first.
  ASSERT_FALSE(by_score[0].same_topic);
  ASSERT_NE(by_score[0].topic, "nutzungsaenderung");
  EXPECT_EQ(by_topic[0].topic, "nutzungsaenderung");
  EXPECT_LT(by_topic[0].score, by_score[0].score);
  bool other = false;
  for (const Hit& h : by_topic) {
    other = other || !h.same_topic;
    EXPECT_TRUE(!other || !h.same_topic) << "a same-topic match after another topic's";
  }
  EXPECT_EQ(by_topic.size(), by_score.size());
}

TEST_F(SimilarTest, ADepartmentOnlyEverSeesItsOwnAnswersAndStatistics) {
  AddAll(Corpus());
  const std::string text = StrCat(kLagerhalleSubject, "\n", kLagerhalleText);
  const std::vector<Hit> before = Find("bauordnung", "baugenehmigung", text, 20);
  AddAll(Umwelt());
  const std::vector<Hit> after = Find("bauordnung", "baugenehmigung", text, 20);
  ASSERT_EQ(Ids(before), Ids(after));
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_DOUBLE_EQ(before[i].score, after[i].score);  // umwelt's documents count nowhere
    EXPECT_EQ(after[i].referral_id.substr(0, 2), "b-");
  }
  const std::vector<Hit> umwelt = Find("umwelt", "emissionsschutz", text, 20);
  ASSERT_EQ(umwelt.size(), 2u);
  EXPECT_EQ(umwelt[0].referral_id, "u-voranfrage");
  EXPECT_TRUE(Find("stadtplanung", "", text).empty());
  // A department whose id is another's prefix shares nothing with it.
  EXPECT_TRUE(Find("bau", "", text).empty());
}

TEST_F(SimilarTest, AddingTwiceChangesNothingAndRemoveTakesItOut) {
  AddAll(Corpus());
  const std::string text = StrCat(kLagerhalleSubject, "\n", kLagerhalleText);
  const std::vector<Hit> once = Find("bauordnung", "baugenehmigung", text, 20);
  AddAll({Corpus()[0], Corpus()[1]});
  const std::vector<Hit> twice = Find("bauordnung", "baugenehmigung", text, 20);
  ASSERT_EQ(Ids(once), Ids(twice));
  for (size_t i = 0; i < once.size(); ++i) {
    EXPECT_DOUBLE_EQ(once[i].score, twice[i].score);
  }
  store::Batch batch(store_.get());
  index_.Remove(batch, "bauordnung", StateOf(Corpus()[0]));
  ASSERT_TRUE(store_->Commit(batch).ok());
  const std::vector<Hit> removed = Find("bauordnung", "baugenehmigung", text, 20);
  ASSERT_FALSE(removed.empty());
  EXPECT_NE(removed[0].referral_id, "b-halle");
  EXPECT_EQ(removed.size(), once.size() - 1);
}

// "As good as a real full-text engine": the same corpus in a Xapian in-memory database, indexed
// by Xapian's TermGenerator (German stemmer, the same stop words) and ranked by Xapian's BM25,
// gives the same top 3 with the same scores for each query.
TEST_F(SimilarTest, RanksLikeXapianBm25) {
  AddAll(Corpus());
  AddAll(Umwelt());  // in our index beside bauordnung's; Xapian gets bauordnung's only

  Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
  const std::vector<std::string>& stop = StopWords();
  Xapian::SimpleStopper stopper(stop.begin(), stop.end());
  Xapian::TermGenerator generator;
  generator.set_stemmer(Xapian::Stem("german"));
  generator.set_stemming_strategy(Xapian::TermGenerator::STEM_ALL_Z);
  generator.set_stopper(&stopper);
  generator.set_stopper_strategy(Xapian::TermGenerator::STOP_ALL);
  for (const Answered& a : Corpus()) {
    Xapian::Document doc;
    generator.set_document(doc);
    generator.index_text(StrCat(a.subject, "\n", a.text));
    doc.set_data(a.id);
    db.add_document(doc);
  }

  const std::vector<std::string> queries = {
      StrCat(kLagerhalleSubject, "\n", kLagerhalleText),
      "Werbung an der Fassade der Produktionshalle",
      "Brauchen wir für den Umbau zu Büroräumen eine Nutzungsänderung?",
      "Wie lange dauert ein Bauantrag für eine Lagerhalle mit Brandschutzkonzept?",
      "Grundstück im Gewerbegebiet: Bauvoranfrage oder gleich Bauantrag?",
  };
  for (const std::string& text : queries) {
    // The query: the text's terms, each once with its count as the within-query frequency.
    Xapian::Document query_doc;
    generator.set_document(query_doc);
    generator.index_text(text);
    std::vector<Xapian::Query> parts;
    for (auto it = query_doc.termlist_begin(); it != query_doc.termlist_end(); ++it) {
      parts.emplace_back(*it, it.get_wdf());
    }
    Xapian::Enquire enquire(db);
    enquire.set_query(Xapian::Query(Xapian::Query::OP_OR, parts.begin(), parts.end()));
    enquire.set_weighting_scheme(Xapian::BM25Weight());
    const Xapian::MSet mset = enquire.get_mset(0, 3);

    const std::vector<Hit> ours = Find("bauordnung", "", text, 3);
    std::cout << "query: " << text << "\n";
    ASSERT_EQ(ours.size(), mset.size());
    size_t i = 0;
    for (auto m = mset.begin(); m != mset.end(); ++m, ++i) {
      const std::string xapian_id = m.get_document().get_data();
      std::cout << "  " << i + 1 << ". xapian " << xapian_id << " " << m.get_weight()
                << " | lotse " << ours[i].referral_id << " " << ours[i].score << "\n";
      EXPECT_EQ(ours[i].referral_id, xapian_id) << text;
      EXPECT_NEAR(ours[i].score, m.get_weight(), 1e-9) << text;
    }
  }
}

}  // namespace
}  // namespace lotse::routing::similar
