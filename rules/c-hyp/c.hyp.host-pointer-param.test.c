// reviewbot-test: path=arch/arm64/kvm/hyp/tlb.c kernel=5.8
// Cases for c.hyp.host-pointer-param, written for reviewbot.
void __hyp_text __kvm_tlb_flush_vmid_ipa(struct kvm_s2_mmu *mmu, phys_addr_t ipa)
{
	struct tlb_inv_context cxt;

	mmu = kern_hyp_va(mmu);
	// ok: c.hyp.host-pointer-param
	__tlb_switch_to_guest(mmu, &cxt);
	__tlb_switch_to_host(&cxt);
}

void __hyp_text __kvm_tlb_flush_local_vmid(struct kvm_s2_mmu *mmu)
{
	struct tlb_inv_context cxt;

	/* Switch to requested VMID */
	// ruleid: c.hyp.host-pointer-param
	__tlb_switch_to_guest(mmu, &cxt);
	__tlb_switch_to_host(&cxt);
}

void __hyp_text __kvm_flush_vm_context_of(struct kvm *kvm)
{
	struct kvm *host = kvm;

	// ruleid: c.hyp.host-pointer-param
	__load_guest_stage2(host->arch.mmu);
}

void __hyp_text __kvm_inline_conversion(struct kvm_vcpu *vcpu)
{
	// ok: c.hyp.host-pointer-param
	struct kvm *kvm = kern_hyp_va(kern_hyp_va(vcpu)->kvm);

	__tlb_switch_to_guest(kvm, NULL);
}

static void __hyp_text __tlb_switch_to_guest(struct kvm_s2_mmu *mmu, struct tlb_inv_context *cxt)
{
	// ok: c.hyp.host-pointer-param
	__load_guest_stage2(mmu);
}

void __hyp_text __kvm_timer_set_cntvoff(u32 cntvoff_low, u32 cntvoff_high)
{
	// ok: c.hyp.host-pointer-param
	write_sysreg(cntvoff_low, cntvoff_el2);
}

/* A shared helper that converts what its wrappers hand it (the nVHE/VHE split). */
static inline void __hyp_text
__tlb_flush_vmid_ipa_common(struct kvm *kvm, phys_addr_t ipa)
{
	dsb(ishst);
	kvm = kern_hyp_va(kvm);
	__load_guest_stage2(kvm);
	__tlbi(ipas2e1is, ipa);
}

static inline void __hyp_text __tlb_flush_vmid_common(struct kvm *kvm)
{
	__tlb_flush_vmid_ipa_common(kvm, 0);
}

static inline void __hyp_text __tlb_flush_late(struct kvm *kvm)
{
	__load_guest_stage2(kvm->arch.mmu);
	kvm = kern_hyp_va(kvm);
}

void __hyp_text __kvm_tlb_flush_vmid_ipa_wrapper(struct kvm *kvm, phys_addr_t ipa)
{
	// ok: c.hyp.host-pointer-param
	__tlb_flush_vmid_ipa_common(kvm, ipa);
}

void __hyp_text __kvm_tlb_flush_vmid_wrapper(struct kvm *kvm)
{
	// ok: c.hyp.host-pointer-param
	__tlb_flush_vmid_common(kvm);
}

void __hyp_text __kvm_tlb_flush_late_wrapper(struct kvm *kvm)
{
	// ruleid: c.hyp.host-pointer-param
	__tlb_flush_late(kvm);
}

void __hyp_text __kvm_tlb_flush_second_argument(phys_addr_t ipa, struct kvm *kvm)
{
	// ruleid: c.hyp.host-pointer-param
	__tlb_flush_vmid_ipa_common(NULL, kvm);
}
