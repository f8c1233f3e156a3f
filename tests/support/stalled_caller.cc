#include "tests/support/stalled_caller.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace alliance::testing {
namespace {

// RFC 9113: the client's connection preface, frame types and flags, and the
// setting this file reads.
constexpr char kConnectionPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr size_t kFrameHeaderBytes = 9;
constexpr uint8_t kFrameData = 0x0;
constexpr uint8_t kFrameHeaders = 0x1;
constexpr uint8_t kFrameSettings = 0x4;
constexpr uint8_t kFlagEndStream = 0x1;
constexpr uint8_t kFlagAck = 0x1;
constexpr uint8_t kFlagEndHeaders = 0x4;
constexpr uint16_t kSettingMaxConcurrentStreams = 0x3;
constexpr size_t kSettingBytes = 6;
// Frames a server sends before its SETTINGS are few (none, in gRPC); a
// server sending more is not one this helper can talk to.
constexpr int kFramesBeforeSettingsMax = 16;
// How long the handshake's reads may wait; afterwards nothing is read.
constexpr int kHandshakeReadSeconds = 10;
// The largest frame a peer must accept without asking (RFC 9113 4.2).
constexpr size_t kFramePayloadMax = 16384;
// HPACK's 7-bit prefix of a string's length (RFC 7541 5.1).
constexpr uint8_t kHpackPrefix7Max = 127;

// OpenSSL's queued errors as one line, emptying the queue.
std::string OpenSslErrors() {
  std::string text;
  while (unsigned long error = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(error, line, sizeof(line));
    absl::StrAppend(&text, text.empty() ? "" : "; ", line);
  }
  return text.empty() ? "no OpenSSL error queued" : text;
}

std::string FrameHeader(size_t length, uint8_t type, uint8_t flags, uint32_t stream_id) {
  std::string header(kFrameHeaderBytes, '\0');
  header[0] = static_cast<char>((length >> 16) & 0xff);
  header[1] = static_cast<char>((length >> 8) & 0xff);
  header[2] = static_cast<char>(length & 0xff);
  header[3] = static_cast<char>(type);
  header[4] = static_cast<char>(flags);
  for (int i = 0; i < 4; ++i) header[5 + i] = static_cast<char>((stream_id >> (24 - 8 * i)) & 0xff);
  return header;
}

// An HPACK string: not Huffman coded, its length as a 7-bit-prefix integer.
void AppendHpackString(absl::string_view text, std::string* block) {
  size_t length = text.size();
  if (length < kHpackPrefix7Max) {
    block->push_back(static_cast<char>(length));
  } else {
    block->push_back(static_cast<char>(kHpackPrefix7Max));
    length -= kHpackPrefix7Max;
    while (length >= 0x80) {
      block->push_back(static_cast<char>((length & 0x7f) | 0x80));
      length >>= 7;
    }
    block->push_back(static_cast<char>(length));
  }
  block->append(text.data(), text.size());
}

// A header field as a literal without indexing and with a literal name
// (RFC 7541 6.2.2): no dynamic table to keep in step with the server.
void AppendHeader(absl::string_view name, absl::string_view value, std::string* block) {
  block->push_back('\0');
  AppendHpackString(name, block);
  AppendHpackString(value, block);
}

}  // namespace

absl::StatusOr<std::unique_ptr<StalledConnection>> StalledConnection::Open(
    int port, const ClientCertificateFiles& files) {
  std::unique_ptr<StalledConnection> connection(new StalledConnection());
  if (absl::Status s = connection->Handshake(port, files); !s.ok()) return s;
  if (absl::Status s = connection->ExchangeSettings(); !s.ok()) return s;
  return connection;
}

StalledConnection::~StalledConnection() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (context_ != nullptr) SSL_CTX_free(context_);
  if (fd_ >= 0) close(fd_);
}

absl::Status StalledConnection::Handshake(int port, const ClientCertificateFiles& files) {
  context_ = SSL_CTX_new(TLS_client_method());
  if (context_ == nullptr) return absl::UnavailableError("SSL_CTX_new: " + OpenSslErrors());
  static constexpr unsigned char kAlpnH2[] = {2, 'h', '2'};
  if (SSL_CTX_load_verify_locations(context_, files.ca_path.c_str(), nullptr) != 1 ||
      SSL_CTX_use_certificate_chain_file(context_, files.certificate_path.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(context_, files.key_path.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_set_min_proto_version(context_, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_alpn_protos(context_, kAlpnH2, sizeof(kAlpnH2)) != 0) {
    return absl::UnavailableError("TLS client setup: " + OpenSslErrors());
  }
  SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);

  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  const timeval read_timeout = {.tv_sec = kHandshakeReadSeconds, .tv_usec = 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &read_timeout, sizeof(read_timeout));
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return absl::UnavailableError(
        absl::StrCat("connect to 127.0.0.1:", port, ": ", std::strerror(errno)));
  }
  ssl_ = SSL_new(context_);
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1 ||
      SSL_set_tlsext_host_name(ssl_, "localhost") != 1 || SSL_set1_host(ssl_, "localhost") != 1) {
    return absl::UnavailableError("TLS connection setup: " + OpenSslErrors());
  }
  if (SSL_connect(ssl_) != 1) {
    return absl::UnavailableError("TLS handshake with 127.0.0.1:" + std::to_string(port) + ": " +
                                  OpenSslErrors());
  }
  const unsigned char* protocol = nullptr;
  unsigned int protocol_length = 0;
  SSL_get0_alpn_selected(ssl_, &protocol, &protocol_length);
  if (absl::string_view(reinterpret_cast<const char*>(protocol), protocol_length) != "h2") {
    return absl::UnavailableError("the server did not select HTTP/2 (ALPN h2)");
  }
  return absl::OkStatus();
}

absl::Status StalledConnection::ExchangeSettings() {
  // The preface and our SETTINGS, empty: the defaults, among them a
  // 65,535-byte window for the connection and for each stream.
  if (absl::Status s = Write(absl::StrCat(absl::string_view(kConnectionPreface),
                                          FrameHeader(0, kFrameSettings, 0, 0)));
      !s.ok()) {
    return s;
  }
  for (int frame = 0; frame < kFramesBeforeSettingsMax; ++frame) {
    std::string header;
    if (absl::Status s = ReadExactly(kFrameHeaderBytes, &header); !s.ok()) return s;
    const auto byte = [&header](int i) { return static_cast<uint8_t>(header[i]); };
    const size_t length = (size_t{byte(0)} << 16) | (size_t{byte(1)} << 8) | byte(2);
    if (length > kFramePayloadMax) {
      return absl::UnavailableError(absl::StrCat("a frame of ", length, " bytes in the handshake"));
    }
    std::string payload;
    if (absl::Status s = ReadExactly(length, &payload); !s.ok()) return s;
    if (byte(3) != kFrameSettings || (byte(4) & kFlagAck) != 0) continue;
    for (size_t at = 0; at + kSettingBytes <= payload.size(); at += kSettingBytes) {
      const auto p = [&payload, at](size_t i) { return static_cast<uint8_t>(payload[at + i]); };
      const uint16_t id = static_cast<uint16_t>((p(0) << 8) | p(1));
      const uint32_t value =
          (uint32_t{p(2)} << 24) | (uint32_t{p(3)} << 16) | (uint32_t{p(4)} << 8) | uint32_t{p(5)};
      if (id == kSettingMaxConcurrentStreams) max_concurrent_streams_ = value;
    }
    return Write(FrameHeader(0, kFrameSettings, kFlagAck, 0));
  }
  return absl::UnavailableError("the server sent no SETTINGS");
}

absl::Status StalledConnection::StartCall(absl::string_view method, absl::string_view request,
                                          absl::Duration timeout) {
  const uint32_t stream_id = next_stream_id_;
  next_stream_id_ += 2;
  std::string block;
  AppendHeader(":method", "POST", &block);
  AppendHeader(":scheme", "https", &block);
  AppendHeader(":path", method, &block);
  AppendHeader(":authority", "localhost", &block);
  AppendHeader("content-type", "application/grpc", &block);
  AppendHeader("te", "trailers", &block);
  AppendHeader("grpc-timeout", absl::StrCat(absl::ToInt64Seconds(timeout), "S"), &block);
  if (block.size() > kFramePayloadMax) return absl::InvalidArgumentError("headers too long");

  // gRPC's length-prefixed message: not compressed, then 4 bytes of length.
  std::string message(5, '\0');
  for (int i = 0; i < 4; ++i) {
    message[1 + i] = static_cast<char>((request.size() >> (24 - 8 * i)) & 0xff);
  }
  message.append(request.data(), request.size());
  if (message.size() > kFramePayloadMax) return absl::InvalidArgumentError("request too long");

  return Write(
      absl::StrCat(FrameHeader(block.size(), kFrameHeaders, kFlagEndHeaders, stream_id), block,
                   FrameHeader(message.size(), kFrameData, kFlagEndStream, stream_id), message));
}

absl::Status StalledConnection::Write(absl::string_view bytes) {
  while (!bytes.empty()) {
    const int written = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
    if (written <= 0) return absl::UnavailableError("TLS write: " + OpenSslErrors());
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return absl::OkStatus();
}

absl::Status StalledConnection::ReadExactly(size_t size, std::string* bytes) {
  bytes->assign(size, '\0');
  size_t have = 0;
  while (have < size) {
    const int read = SSL_read(ssl_, bytes->data() + have, static_cast<int>(size - have));
    if (read <= 0) {
      return absl::UnavailableError("TLS read in the HTTP/2 handshake: " + OpenSslErrors());
    }
    have += static_cast<size_t>(read);
  }
  return absl::OkStatus();
}

}  // namespace alliance::testing
