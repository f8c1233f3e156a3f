#include "clients/alliance_client.h"

#include <grpcpp/client_context.h>

#include <array>
#include <cassert>
#include <cstdint>
#include <random>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/status.pb.h"

namespace alliance::client {
namespace {

// gRPC refuses a call whose ASCII metadata value holds anything else (it
// fails the call with a code that says nothing about why): check first, and
// say which header is wrong.
absl::Status CheckHeaderValue(absl::string_view key, absl::string_view value) {
  for (unsigned char c : value) {
    if (c < 0x20 || c > 0x7e) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata header ", key, " must be printable ASCII"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

AllianceClient::AllianceClient(std::shared_ptr<grpc::Channel> channel,
                               AllianceClientOptions options)
    : options_(std::move(options)),
      commands_(v1::CommandService::NewStub(channel)),
      queries_(v1::QueryService::NewStub(channel)) {
  assert(channel != nullptr);
  assert(options_.deadline > absl::ZeroDuration());
}

template <typename Response, typename Invoke>
absl::StatusOr<Response> AllianceClient::Call(Invoke invoke) {
  if (absl::Status s = CheckHeaderValue(kAgencyHeader, options_.agency); !s.ok()) return s;
  if (absl::Status s = CheckHeaderValue(kPrincipalHeader, options_.principal); !s.ok()) return s;
  grpc::ClientContext context;
  context.AddMetadata(std::string(kAgencyHeader), options_.agency);
  context.AddMetadata(std::string(kPrincipalHeader), options_.principal);
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
  Response response;
  grpc::Status status = invoke(&context, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::AppendResult> AllianceClient::EstablishProgram(
    const v1::EstablishProgramRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->EstablishProgram(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::SelectConsortium(
    const v1::SelectConsortiumRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->SelectConsortium(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::DesignateLab(
    const v1::DesignateLabRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->DesignateLab(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::DisburseFunds(
    const v1::DisburseFundsRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->DisburseFunds(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::ReverseDisbursement(
    const v1::ReverseDisbursementRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->ReverseDisbursement(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::RecordHire(const v1::RecordHireRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->RecordHire(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::OpenSelectionRound(
    const v1::OpenSelectionRoundRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->OpenSelectionRound(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::SignAgreement(
    const v1::SignAgreementRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->SignAgreement(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::AmendAgreement(
    const v1::AmendAgreementRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->AmendAgreement(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::JoinConsortium(
    const v1::JoinConsortiumRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->JoinConsortium(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::WithdrawParticipant(
    const v1::WithdrawParticipantRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->WithdrawParticipant(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::EnrolResearcher(
    const v1::EnrolResearcherRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->EnrolResearcher(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::RecordGraduation(
    const v1::RecordGraduationRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->RecordGraduation(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::RecordDeparture(
    const v1::RecordDepartureRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->RecordDeparture(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::RetractResearcherStep(
    const v1::RetractResearcherStepRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->RetractResearcherStep(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::RecordEvaluation(
    const v1::RecordEvaluationRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->RecordEvaluation(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::CorrectEvaluation(
    const v1::CorrectEvaluationRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->CorrectEvaluation(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::SuspendConsortium(
    const v1::ChangeConsortiumStateRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->SuspendConsortium(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::ResumeConsortium(
    const v1::ChangeConsortiumStateRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->ResumeConsortium(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::TerminateConsortium(
    const v1::ChangeConsortiumStateRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->TerminateConsortium(context, request, response);
  });
}

absl::StatusOr<v1::AppendResult> AllianceClient::CompleteConsortium(
    const v1::ChangeConsortiumStateRequest& request) {
  return Call<v1::AppendResult>([&](grpc::ClientContext* context, v1::AppendResult* response) {
    return commands_->CompleteConsortium(context, request, response);
  });
}

absl::StatusOr<v1::ConsortiumStatus> AllianceClient::GetConsortium(
    const v1::GetConsortiumRequest& request) {
  return Call<v1::ConsortiumStatus>(
      [&](grpc::ClientContext* context, v1::ConsortiumStatus* response) {
        return queries_->GetConsortium(context, request, response);
      });
}

absl::StatusOr<v1::ListConsortiaResponse> AllianceClient::ListConsortia(
    const v1::ListConsortiaRequest& request) {
  return Call<v1::ListConsortiaResponse>(
      [&](grpc::ClientContext* context, v1::ListConsortiaResponse* response) {
        return queries_->ListConsortia(context, request, response);
      });
}

absl::StatusOr<v1::ProgramSummary> AllianceClient::GetProgramSummary(
    const v1::GetProgramSummaryRequest& request) {
  return Call<v1::ProgramSummary>([&](grpc::ClientContext* context, v1::ProgramSummary* response) {
    return queries_->GetProgramSummary(context, request, response);
  });
}

absl::StatusOr<v1::ParticipantStatus> AllianceClient::GetParticipant(
    const v1::GetParticipantRequest& request) {
  return Call<v1::ParticipantStatus>(
      [&](grpc::ClientContext* context, v1::ParticipantStatus* response) {
        return queries_->GetParticipant(context, request, response);
      });
}

absl::StatusOr<v1::ReadEventsResponse> AllianceClient::ReadEvents(
    const v1::ReadEventsRequest& request) {
  return Call<v1::ReadEventsResponse>(
      [&](grpc::ClientContext* context, v1::ReadEventsResponse* response) {
        return queries_->ReadEvents(context, request, response);
      });
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  // grpc::StatusCode and absl::StatusCode share the canonical numbering
  // (google.rpc.Code), so the cast keeps the code.
  absl::Status converted(static_cast<absl::StatusCode>(status.error_code()),
                         status.error_message());
  if (status.error_details().empty()) return converted;
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return converted;
  for (const google::protobuf::Any& detail : details.details()) {
    // The payload is the Any's value under its type URL: the form
    // storage/refusal.cc writes, so GetRefusalDetails reads it back.
    converted.SetPayload(detail.type_url(), absl::Cord(detail.value()));
  }
  return converted;
}

std::string NewEventId() {
  // Seeded once per thread from the OS's entropy through random_device;
  // a 64-bit Mersenne Twister then gives the 122 random bits of each id.
  thread_local std::mt19937_64 engine = [] {
    std::random_device device;
    std::array<std::uint32_t, std::mt19937_64::state_size> seed_words;
    for (auto& word : seed_words) word = device();
    std::seed_seq seed(seed_words.begin(), seed_words.end());
    return std::mt19937_64(seed);
  }();
  std::array<std::uint8_t, 16> bytes;
  for (size_t i = 0; i < bytes.size(); i += 8) {
    std::uint64_t word = engine();
    for (size_t j = 0; j < 8; ++j) bytes[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
  }
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(36);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id.push_back('-');
    id.push_back(kHex[bytes[i] >> 4]);
    id.push_back(kHex[bytes[i] & 0x0f]);
  }
  return id;
}

}  // namespace alliance::client
