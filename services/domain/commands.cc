#include "services/domain/commands.h"

#include <cassert>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "google/protobuf/descriptor.h"
#include "services/domain/funding.h"
#include "services/domain/oversight.h"
#include "services/domain/program.h"
#include "services/domain/researchers.h"
#include "services/domain/selection.h"

namespace alliance::domain {
namespace {

// Every concept's rows, concatenated once.
const std::vector<CommandSpec>& Table() {
  static const std::vector<CommandSpec>* const table = [] {
    auto* table = new std::vector<CommandSpec>();
    for (const std::vector<CommandSpec>* rows :
         {&ProgramCommands(), &SelectionCommands(), &FundingCommands(), &ResearcherCommands(),
          &OversightCommands()}) {
      table->insert(table->end(), rows->begin(), rows->end());
    }
    return table;
  }();
  return *table;
}

}  // namespace

absl::string_view EventTypeName(const v1::Event& event) {
  // Every member of the oneof `kind` is a message named for its event; the
  // names are looked up once, by field number.
  static const absl::flat_hash_map<int, std::string>* const names = [] {
    auto* names = new absl::flat_hash_map<int, std::string>();
    const google::protobuf::OneofDescriptor* kind =
        v1::Event::descriptor()->FindOneofByName("kind");
    assert(kind != nullptr);
    for (int i = 0; i < kind->field_count(); ++i) {
      assert(kind->field(i)->message_type() != nullptr);
      (*names)[kind->field(i)->number()] = kind->field(i)->message_type()->name();
    }
    return names;
  }();
  auto it = names->find(static_cast<int>(event.kind_case()));
  return it == names->end() ? absl::string_view() : absl::string_view(it->second);
}

absl::Span<const CommandSpec> Commands() { return Table(); }

const CommandSpec* FindCommand(absl::string_view name) {
  for (const CommandSpec& spec : Table()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace alliance::domain
