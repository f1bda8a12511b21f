// The port's 802.1Q VLAN ([dpdk] vlan): our frames carry its tag on the wire, and nothing
// inside the data plane sees one. The tag comes off as a frame is received, before it is
// classified, and goes on as a frame is queued for the port, after everything else is written.
// So classification, reassembly, the exception tap (an untagged interface for the kernel) and
// every frame builder work on untagged Ethernet, whether the port has a VLAN or not.
//
// Both ends use the port's VLAN offloads where it has them (RTE_ETH_RX_OFFLOAD_VLAN_STRIP: the
// tag arrives in mbuf->vlan_tci; RTE_ETH_TX_OFFLOAD_VLAN_INSERT: the port writes it from
// there), and otherwise move 12 bytes of MAC addresses by 4 in the mbuf's own headroom.
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <cstdint>

namespace sipwire::dataplane {

constexpr uint16_t kVlanIdMask = 0x0fff;

// Whether received frame `m` is on VLAN `vlan` (1-4094); if so, its tag is gone from the data
// when this returns. An untagged frame (or a priority tag, VLAN 0) is on the port's native
// VLAN, not ours; a frame of another VLAN is not ours either: both are refused, untouched.
inline bool take_vlan_tag(rte_mbuf* m, uint16_t vlan) {
  if ((m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) != 0) return (m->vlan_tci & kVlanIdMask) == vlan;
  // rte_vlan_strip checks the ether type, reads the tag into vlan_tci and moves the MAC
  // addresses over it; it needs them and the tag in the first segment.
  if (m->data_len < sizeof(rte_ether_hdr) + sizeof(rte_vlan_hdr)) return false;
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN)) return false;
  const auto* tag = reinterpret_cast<const rte_vlan_hdr*>(eth + 1);
  if ((rte_be_to_cpu_16(tag->vlan_tci) & kVlanIdMask) != vlan) return false;
  return rte_vlan_strip(m) == 0;
}

// Tags frame `*m`, about to be queued for the port, with VLAN `vlan` (priority 0): by the port
// when `port_inserts`, else in the frame's headroom. False when it cannot (a shared or indirect
// first segment, no headroom): the caller drops the frame rather than send it untagged onto the
// native VLAN. The frames the data plane builds, and the kernel's from the tap, are direct
// with headroom to spare.
inline bool put_vlan_tag(rte_mbuf** m, uint16_t vlan, bool port_inserts) {
  (*m)->vlan_tci = vlan;
  if (port_inserts) {
    (*m)->ol_flags |= RTE_MBUF_F_TX_VLAN;
    return true;
  }
  // rte_vlan_insert also adds the tag's 4 bytes to l2_len, which TX checksum offload reads.
  return rte_vlan_insert(m) == 0;
}

}  // namespace sipwire::dataplane
