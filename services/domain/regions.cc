// The 17 divisions as a constant table (ISO 3166-2:KR, and the Ministry of
// the Interior and Safety's names in force in 2024).
#include "services/domain/regions.h"

namespace alliance::domain {
namespace {

constexpr Region kRegions[] = {
    {"KR-11", "서울특별시", "Seoul", ""},
    {"KR-26", "부산광역시", "Busan", ""},
    {"KR-27", "대구광역시", "Daegu", ""},
    {"KR-28", "인천광역시", "Incheon", ""},
    {"KR-29", "광주광역시", "Gwangju", ""},
    {"KR-30", "대전광역시", "Daejeon", ""},
    {"KR-31", "울산광역시", "Ulsan", ""},
    {"KR-50", "세종특별자치시", "Sejong", ""},
    {"KR-41", "경기도", "Gyeonggi Province", ""},
    {"KR-42", "강원특별자치도", "Gangwon State", "강원도"},
    {"KR-43", "충청북도", "North Chungcheong Province", ""},
    {"KR-44", "충청남도", "South Chungcheong Province", ""},
    {"KR-45", "전북특별자치도", "Jeonbuk State", "전라북도"},
    {"KR-46", "전라남도", "South Jeolla Province", ""},
    {"KR-47", "경상북도", "North Gyeongsang Province", ""},
    {"KR-48", "경상남도", "South Gyeongsang Province", ""},
    {"KR-49", "제주특별자치도", "Jeju Special Self-Governing Province", ""},
};
static_assert(sizeof(kRegions) / sizeof(kRegions[0]) == kRegionCount);

}  // namespace

absl::Span<const Region> Regions() { return kRegions; }

const Region* FindRegion(absl::string_view code) {
  for (const Region& region : kRegions) {
    if (region.code == code) return &region;
  }
  return nullptr;
}

}  // namespace alliance::domain
