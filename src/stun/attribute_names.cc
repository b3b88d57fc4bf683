// The attribute types this codec knows, with their IANA names (RFC 8489 §18.3 registry).
// is_known_attribute() decides which comprehension-required types earn a 420 (RFC 8489 §6.3.1).
#include <algorithm>
#include <array>

#include "ferry/stun/attributes.h"

namespace ferry::stun {

namespace {

struct NamedType {
  std::uint16_t type;
  std::string_view name;
};

// Sorted by type (binary search).
constexpr std::array<NamedType, 46> kNames{{
    {attr::MappedAddress::kType, "MAPPED-ADDRESS"},
    {attr::ResponseAddress::kType, "RESPONSE-ADDRESS"},
    {attr::ChangeRequest::kType, "CHANGE-REQUEST"},
    {attr::SourceAddress::kType, "SOURCE-ADDRESS"},
    {attr::ChangedAddress::kType, "CHANGED-ADDRESS"},
    {attr::Username::kType, "USERNAME"},
    {attr::kMessageIntegrity, "MESSAGE-INTEGRITY"},
    {attr::ErrorCode::kType, "ERROR-CODE"},
    {attr::UnknownAttributes::kType, "UNKNOWN-ATTRIBUTES"},
    {attr::ReflectedFrom::kType, "REFLECTED-FROM"},
    {attr::ChannelNumber::kType, "CHANNEL-NUMBER"},
    {attr::Lifetime::kType, "LIFETIME"},
    {attr::XorPeerAddress::kType, "XOR-PEER-ADDRESS"},
    {attr::Data::kType, "DATA"},
    {attr::Realm::kType, "REALM"},
    {attr::Nonce::kType, "NONCE"},
    {attr::XorRelayedAddress::kType, "XOR-RELAYED-ADDRESS"},
    {attr::RequestedAddressFamily::kType, "REQUESTED-ADDRESS-FAMILY"},
    {attr::EvenPort::kType, "EVEN-PORT"},
    {attr::RequestedTransport::kType, "REQUESTED-TRANSPORT"},
    {attr::DontFragment::kType, "DONT-FRAGMENT"},
    {attr::kMessageIntegritySha256, "MESSAGE-INTEGRITY-SHA256"},
    {attr::PasswordAlgorithm::kType, "PASSWORD-ALGORITHM"},
    {attr::Userhash::kType, "USERHASH"},
    {attr::XorMappedAddress::kType, "XOR-MAPPED-ADDRESS"},
    {attr::ReservationToken::kType, "RESERVATION-TOKEN"},
    {attr::Priority::kType, "PRIORITY"},
    {attr::UseCandidate::kType, "USE-CANDIDATE"},
    {attr::Padding::kType, "PADDING"},
    {attr::ResponsePort::kType, "RESPONSE-PORT"},
    {attr::ConnectionId::kType, "CONNECTION-ID"},
    {attr::AdditionalAddressFamily::kType, "ADDITIONAL-ADDRESS-FAMILY"},
    {attr::AddressErrorCode::kType, "ADDRESS-ERROR-CODE"},
    {attr::PasswordAlgorithms::kType, "PASSWORD-ALGORITHMS"},
    {attr::AlternateDomain::kType, "ALTERNATE-DOMAIN"},
    {attr::Icmp::kType, "ICMP"},
    {attr::Software::kType, "SOFTWARE"},
    {attr::AlternateServer::kType, "ALTERNATE-SERVER"},
    {attr::CacheTimeout::kType, "CACHE-TIMEOUT"},
    {attr::kFingerprint, "FINGERPRINT"},
    {attr::IceControlled::kType, "ICE-CONTROLLED"},
    {attr::IceControlling::kType, "ICE-CONTROLLING"},
    {attr::ResponseOrigin::kType, "RESPONSE-ORIGIN"},
    {attr::OtherAddress::kType, "OTHER-ADDRESS"},
    {attr::Origin::kType, "ORIGIN"},  // draft-ietf-tram-stun-origin
    {attr::MobilityTicket::kType, "MOBILITY-TICKET"},
}};

constexpr bool sorted_and_unique() {
  for (std::size_t i = 1; i < kNames.size(); ++i) {
    if (kNames[i - 1].type >= kNames[i].type) return false;
  }
  return true;
}
static_assert(sorted_and_unique(), "kNames must be sorted by type for the binary search");

const NamedType* lookup(std::uint16_t type) {
  const auto* it = std::lower_bound(kNames.begin(), kNames.end(), type,
                                    [](const NamedType& n, std::uint16_t t) { return n.type < t; });
  return it != kNames.end() && it->type == type ? it : nullptr;
}

}  // namespace

bool is_known_attribute(std::uint16_t type) {
  return lookup(type) != nullptr;
}

std::string_view attribute_name(std::uint16_t type) {
  const NamedType* n = lookup(type);
  return n != nullptr ? n->name : "UNKNOWN";
}

}  // namespace ferry::stun
