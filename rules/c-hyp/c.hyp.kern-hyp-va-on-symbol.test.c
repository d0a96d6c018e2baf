// reviewbot-test: path=arch/arm64/kvm/hyp/nvhe/percpu.c
// Cases for c.hyp.kern-hyp-va-on-symbol, written for reviewbot.
unsigned long __hyp_per_cpu_offset(unsigned int cpu)
{
	unsigned long *cpu_base_array;
	unsigned long this_cpu_base;

	// ruleid: c.hyp.kern-hyp-va-on-symbol
	cpu_base_array = kern_hyp_va(&kvm_arm_hyp_percpu_base[0]);
	// ok: c.hyp.kern-hyp-va-on-symbol
	this_cpu_base = kern_hyp_va(cpu_base_array[cpu]);
	return this_cpu_base - (unsigned long)&__per_cpu_start;
}

static void host_ctxt(struct kvm_vcpu *vcpu)
{
	// ruleid: c.hyp.kern-hyp-va-on-symbol
	struct kvm_cpu_context *c = kern_hyp_va((void *)&kvm_host_cpu_state);
	// ok: c.hyp.kern-hyp-va-on-symbol
	struct kvm *kvm = kern_hyp_va(vcpu->kvm);
	// ok: c.hyp.kern-hyp-va-on-symbol
	struct vgic_dist *vgic = kern_hyp_va(&kvm->arch.vgic);
	// ok: c.hyp.kern-hyp-va-on-symbol
	unsigned long *base = hyp_symbol_addr(kvm_arm_hyp_percpu_base);
	/* ok: c.hyp.kern-hyp-va-on-symbol */
	/* kern_hyp_va(&sym) would be wrong here */
}
