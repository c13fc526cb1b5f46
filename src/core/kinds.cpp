#include "kinds.hpp"

namespace autotime {

KindShape kind_shape(Kind kind) noexcept {
  switch (kind) {
    case Kind::Call: return {"user_id", "", "started_at", "", true, true, false, "track_calls", "call_minutes"};
    case Kind::Sms: return {"user_id", "", "sent_at", "", true, false, true, "track_sms", "sms_minutes"};
    case Kind::Document:
      return {"user_id", "", "created_at", "name", false, false, false, "track_documents", "document_minutes"};
    case Kind::IrReport:
      return {"user_id", "", "created_at", "title", false, false, false, "track_ir_reports", "ir_report_minutes"};
    case Kind::Event:
      return {"completed_by", "user_id", "completed_at", "title", false, false, false, "track_events", "event_minutes"};
  }
  return kind_shape(Kind::Call);  // not reached: every kind is listed
}

std::string_view default_activity_code(Kind kind) noexcept {
  switch (kind) {
    case Kind::Document: return "A103";
    case Kind::Event: return "A109";
    case Kind::Call:
    case Kind::Sms:
    case Kind::IrReport: return "A106";
  }
  return "A106";  // not reached
}

}  // namespace autotime
