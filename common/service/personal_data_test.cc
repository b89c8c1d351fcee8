#include "common/service/personal_data.h"

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "lotse/v1/events.pb.h"
#include "lotse/v1/options.pb.h"
#include "lotse/v1/routing.pb.h"

namespace lotse::service {
namespace {

// Every field of the package marked personal, as "Message.field".
std::set<std::string> MarkedFields() {
  std::set<std::string> marked;
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const char* file :
       {"lotse/v1/common.proto", "lotse/v1/events.proto", "lotse/v1/routing.proto",
        "lotse/v1/intake.proto", "lotse/v1/notification.proto", "lotse/v1/audit.proto"}) {
    const google::protobuf::FileDescriptor* descriptor = pool->FindFileByName(file);
    if (descriptor == nullptr) {
      ADD_FAILURE() << file << " is not linked in";
      continue;
    }
    for (int m = 0; m < descriptor->message_type_count(); ++m) {
      const google::protobuf::Descriptor* message = descriptor->message_type(m);
      for (int f = 0; f < message->field_count(); ++f) {
        if (message->field(f)->options().GetExtension(lotse::v1::personal)) {
          marked.insert(message->name() + "." + message->field(f)->name());
        }
      }
    }
  }
  return marked;
}

TEST(PersonalDataTest, MarksWhatDesignCallsPersonal) {
  // DESIGN.md "Personal data". A mark removed here would let ops read it.
  const std::set<std::string> expected = {
      "Referral.contact",
      "Referral.subject",
      "Referral.text",
      "Consultation.question",
      "Consultation.contribution",
      "Answer.text",
      "Feedback.comment",
      "FeedbackSubmitted.comment",
      "ReferralRouted.subject",
      "Forwarded.reason",
      "ConsultationOpened.question",
      "ContributionAdded.text",
      "Delivered.address",
      "DeliveryFailed.address",
      "WorkItem.subject",
      // Notification's copies (issue 17): messages and mails quote subjects and texts.
      "InboxMessage.title",
      "InboxMessage.body",
      "ReferralNote.subject",
      "ReferralNote.company_email",
      "MailJob.address",
  };
  const std::set<std::string> marked = MarkedFields();
  for (const std::string& field : expected) {
    EXPECT_TRUE(marked.count(field) == 1) << field << " is not marked (lotse.v1.personal)";
  }
}

TEST(PersonalDataTest, ClearsStateDownToConsultationsAndKeepsTheFlow) {
  lotse::v1::ReferralState state;
  state.set_referral_id("r-1");
  state.set_case_number("2026-000001");
  state.set_assignee("bauamt");
  lotse::v1::Referral& referral = *state.mutable_referral();
  referral.set_office("bb-mitte");
  referral.set_topic("bauantrag");
  referral.set_company_id("HRB-1");
  referral.mutable_contact()->set_email("anna@example.org");
  referral.set_subject("Halle");
  referral.set_text("Frau Meier fragt ...");
  lotse::v1::Consultation& consultation = *state.add_consultations();
  consultation.set_department("umwelt");
  consultation.set_question("Lärm?");
  consultation.set_contribution("Kein Problem, sagt Herr Schulz");
  state.mutable_answer()->set_text("Genehmigt");
  state.mutable_answer()->set_department("bauamt");
  state.mutable_feedback()->set_comment("Danke, Frau Meier");
  state.mutable_feedback()->set_rating(5);

  KeepFlowMetadataOnly(state);

  EXPECT_EQ(state.referral_id(), "r-1");
  EXPECT_EQ(state.case_number(), "2026-000001");
  EXPECT_EQ(state.assignee(), "bauamt");
  EXPECT_EQ(state.referral().office(), "bb-mitte");
  EXPECT_EQ(state.referral().topic(), "bauantrag");
  EXPECT_EQ(state.referral().company_id(), "HRB-1");
  EXPECT_FALSE(state.referral().has_contact());
  EXPECT_EQ(state.referral().subject(), "");
  EXPECT_EQ(state.referral().text(), "");
  EXPECT_EQ(state.consultations(0).department(), "umwelt");
  EXPECT_EQ(state.consultations(0).question(), "");
  EXPECT_EQ(state.consultations(0).contribution(), "");
  EXPECT_EQ(state.answer().text(), "");
  EXPECT_EQ(state.answer().department(), "bauamt");
  EXPECT_EQ(state.feedback().comment(), "");
  EXPECT_EQ(state.feedback().rating(), 5);
}

TEST(PersonalDataTest, ClearsEventsInsideTheirPayload) {
  lotse::v1::Envelope event;
  event.set_referral_id("r-1");
  event.mutable_answered()->mutable_answer()->set_text("Frau Meier bekommt ...");
  event.mutable_answered()->mutable_answer()->set_user("m.schulz");
  KeepFlowMetadataOnly(event);
  EXPECT_EQ(event.referral_id(), "r-1");
  EXPECT_EQ(event.answered().answer().text(), "");
  EXPECT_EQ(event.answered().answer().user(), "m.schulz");

  lotse::v1::Envelope delivered;
  delivered.mutable_delivered()->set_address("anna@example.org");
  KeepFlowMetadataOnly(delivered);
  EXPECT_EQ(delivered.delivered().address(), "");
}

// Case work's events go through the same clearing (the ops tap, ops' history): texts from and to
// the company and file names go, flow metadata and city staff (not personal data of a company)
// stay.
TEST(PersonalDataTest, ClearsTheCaseworkEventsPersonalFields) {
  lotse::v1::Envelope asked;
  asked.mutable_company_asked()->set_question("Wie hoch wird die Halle von Herrn Yilmaz?");
  asked.mutable_company_asked()->set_office("bb-mitte");
  KeepFlowMetadataOnly(asked);
  EXPECT_EQ(asked.company_asked().question(), "");
  EXPECT_EQ(asked.company_asked().office(), "bb-mitte");

  lotse::v1::Envelope replied;
  replied.mutable_company_replied()->set_text("12 m, sagt Frau Koch");
  replied.mutable_company_replied()->set_paused_business_us(42);
  KeepFlowMetadataOnly(replied);
  EXPECT_EQ(replied.company_replied().text(), "");
  EXPECT_EQ(replied.company_replied().paused_business_us(), 42);

  lotse::v1::Envelope follow_up;
  follow_up.mutable_follow_up_asked()->set_text("Und der Stellplatz?");
  KeepFlowMetadataOnly(follow_up);
  EXPECT_EQ(follow_up.follow_up_asked().text(), "");

  lotse::v1::Envelope rated;
  rated.mutable_company_feedback_submitted()->set_comment("Herr Yilmaz ist zufrieden");
  rated.mutable_company_feedback_submitted()->set_rating(5);
  KeepFlowMetadataOnly(rated);
  EXPECT_EQ(rated.company_feedback_submitted().comment(), "");
  EXPECT_EQ(rated.company_feedback_submitted().rating(), 5);

  lotse::v1::Envelope attached;
  attached.mutable_attachment_added()->mutable_attachment()->set_name("Yilmaz_Bauplan.pdf");
  attached.mutable_attachment_added()->mutable_attachment()->set_size(1024);
  KeepFlowMetadataOnly(attached);
  EXPECT_EQ(attached.attachment_added().attachment().name(), "");
  EXPECT_EQ(attached.attachment_added().attachment().size(), 1024u);

  lotse::v1::Envelope routed;
  routed.mutable_referral_routed()->set_subject("Halle für Yilmaz GmbH");
  routed.mutable_referral_routed()->mutable_contact_person()->set_id("bo-mueller");
  KeepFlowMetadataOnly(routed);
  EXPECT_EQ(routed.referral_routed().subject(), "");
  EXPECT_EQ(routed.referral_routed().contact_person().id(), "bo-mueller");

  lotse::v1::Envelope submitted;
  auto* contact = submitted.mutable_referral_submitted()->mutable_referral()->mutable_contact();
  contact->set_email("yilmaz@firma.example");
  contact->set_consent_email(true);
  KeepFlowMetadataOnly(submitted);
  EXPECT_FALSE(submitted.referral_submitted().referral().has_contact());
}

}  // namespace
}  // namespace lotse::service
