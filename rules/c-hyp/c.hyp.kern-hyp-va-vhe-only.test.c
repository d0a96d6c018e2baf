// reviewbot-test: path=arch/arm64/include/asm/kvm_emulate.h
// Cases for c.hyp.kern-hyp-va-vhe-only, written for reviewbot.
static __always_inline bool vcpu_el1_is_32bit(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm;

	// ruleid: c.hyp.kern-hyp-va-vhe-only
	kvm = is_kernel_in_hyp_mode() ? kern_hyp_va(vcpu->kvm) : vcpu->kvm;
	// ruleid: c.hyp.kern-hyp-va-vhe-only
	kvm = !has_vhe() ? vcpu->kvm : kern_hyp_va(vcpu->kvm);
	// ok: c.hyp.kern-hyp-va-vhe-only
	kvm = is_kernel_in_hyp_mode() ? vcpu->kvm : kern_hyp_va(vcpu->kvm);
	// ok: c.hyp.kern-hyp-va-vhe-only
	kvm = !has_vhe() ? kern_hyp_va(vcpu->kvm) : vcpu->kvm;
	// ok: c.hyp.kern-hyp-va-vhe-only
	kvm = kern_hyp_va(vcpu->kvm);
	return test_bit(KVM_ARCH_FLAG_EL1_32BIT, &kvm->arch.flags);
}
