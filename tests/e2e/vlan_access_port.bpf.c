// The peers' end of the veth pair as a switch's access port on VLAN VLAN_ID, for the end-to-end
// tests with E2E_VLAN (netns.sh): what the peers send leaves tagged, and what arrives must carry
// that VLAN, whose tag is taken off before the peers' kernel sees the frame. So the link to the
// data plane is a trunk carrying VLAN VLAN_ID, as on a NIC server's switch port. (This kernel
// has no 802.1Q interfaces and no tc vlan action; a tc BPF classifier needs neither.)
//
// Built twice by netns.sh with clang -target bpf: -DTAG for the egress program, without for the
// ingress one; each has one program in section "tc" (direct action).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#ifndef VLAN_ID
#error "VLAN_ID (1-4094) must be defined"
#endif

// The kernel's helpers, by number (no libbpf headers needed).
static long (*skb_vlan_push)(struct __sk_buff* skb, __be16 proto,
                             __u16 tci) = (void*)BPF_FUNC_skb_vlan_push;
static long (*skb_vlan_pop)(struct __sk_buff* skb) = (void*)BPF_FUNC_skb_vlan_pop;

#ifdef TAG
__attribute__((section("tc"), used)) int tag(struct __sk_buff* skb) {
  return skb_vlan_push(skb, __builtin_bswap16(ETH_P_8021Q), VLAN_ID) == 0 ? TC_ACT_OK : TC_ACT_SHOT;
}
#else
// The receive path has already moved the tag into the packet's metadata (vlan_tci).
__attribute__((section("tc"), used)) int untag(struct __sk_buff* skb) {
  if (!skb->vlan_present || (skb->vlan_tci & 0x0fff) != VLAN_ID) return TC_ACT_SHOT;
  return skb_vlan_pop(skb) == 0 ? TC_ACT_OK : TC_ACT_SHOT;
}
#endif

char _license[] __attribute__((section("license"), used)) = "GPL";
