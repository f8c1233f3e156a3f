// Korea's 17 first-level administrative divisions (시·도), the regions a
// consortium is based in: ConsortiumSelected.region_code and region_name_ko,
// and ProgramRules.excluded_region_codes (events.proto). Data, not rules: a
// division renamed by law gets its new name here and keeps the old one as
// former_name_ko, so events recorded before the renaming still read true.
//
//   const Region* region = FindRegion("KR-44");
//   // region->name_ko == "충청남도", region->name_en == "South Chungcheong Province"
//   FindRegion("KR-99");  // nullptr
#ifndef ALLIANCE_SERVICES_DOMAIN_REGIONS_H_
#define ALLIANCE_SERVICES_DOMAIN_REGIONS_H_

#include <cstddef>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace alliance::domain {

// One first-level division.
struct Region {
  // ISO 3166-2:KR code, e.g. "KR-44".
  absl::string_view code;
  // The official Korean name in force, e.g. "충청남도".
  absl::string_view name_ko;
  // The official English name, e.g. "South Chungcheong Province".
  absl::string_view name_en;
  // The Korean name before its latest renaming ("강원도" for KR-42, renamed
  // 2023-06-11; "전라북도" for KR-45, renamed 2024-01-18); empty if none.
  absl::string_view former_name_ko;
};

// 8 metropolitan-level cities (특별시·광역시·특별자치시) and 9 provinces (도).
inline constexpr size_t kRegionCount = 17;

// All kRegionCount divisions in the official order: Seoul, the metropolitan
// cities, Sejong, then the provinces. Valid for the life of the program.
absl::Span<const Region> Regions();

// The division with ISO 3166-2:KR code `code` (exact, uppercase "KR-"), or
// nullptr when there is none.
const Region* FindRegion(absl::string_view code);

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_REGIONS_H_
