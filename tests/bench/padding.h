// PadTo: fills the `padding` field of an Empty service message (bench.proto)
// so that the message serializes to a given size. Shared by ledger_bench,
// which pads the requests, and bench_empty_server, which pads the replies, so
// both sides agree on what "N bytes" means.
#ifndef ALLIANCE_TESTS_BENCH_PADDING_H_
#define ALLIANCE_TESTS_BENCH_PADDING_H_

#include <cstddef>
#include <string>

namespace alliance::bench {

// The filler byte. No compression is negotiated, so its value does not
// change what is sent; a printable one reads better in a packet dump.
inline constexpr char kPaddingByte = 'x';

// Sets `message.padding` to the length that makes `message` serialize to
// exactly `bytes` bytes (the field's tag and length prefix included) and
// returns that size. A few sizes cannot be hit exactly (1 and 2 bytes, and
// those skipped where the length prefix grows a byte: 130, 16,387, ...):
// then the next larger size, which the return value says. A size at or below
// the message's without padding leaves the padding empty.
template <typename Message>
size_t PadTo(Message& message, size_t bytes) {
  message.clear_padding();
  if (message.ByteSizeLong() >= bytes) return message.ByteSizeLong();
  // The field's tag takes 1 byte and its length prefix 1 to 10 (a varint):
  // the filler is at most 11 bytes short of `bytes`. The first filler length
  // that reaches `bytes` is the answer.
  constexpr size_t kFieldOverheadBytesMax = 11;
  for (size_t filler = bytes > kFieldOverheadBytesMax ? bytes - kFieldOverheadBytesMax : 0;;
       ++filler) {
    message.set_padding(std::string(filler, kPaddingByte));
    if (message.ByteSizeLong() >= bytes) return message.ByteSizeLong();
  }
}

}  // namespace alliance::bench

#endif  // ALLIANCE_TESTS_BENCH_PADDING_H_
