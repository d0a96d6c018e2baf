// reviewbot-test: path=arch/arm64/kvm/hyp/nvhe/hyp-main.c
// Cases for c.hyp.host-pointer-without-kern-hyp-va, written for reviewbot.
static void handle_run(struct kvm_cpu_context *host_ctxt)
{
	// ruleid: c.hyp.host-pointer-without-kern-hyp-va
	DECLARE_REG(struct kvm_vcpu *, vcpu, host_ctxt, 1);

	cpu_reg(host_ctxt, 1) = __kvm_vcpu_run(vcpu);
}

static void handle_run_good(struct kvm_cpu_context *host_ctxt)
{
	// ok: c.hyp.host-pointer-without-kern-hyp-va
	DECLARE_REG(struct kvm_vcpu *, vcpu, host_ctxt, 1);

	cpu_reg(host_ctxt, 1) = __kvm_vcpu_run(kern_hyp_va(vcpu));
}

static void handle_flush(struct kvm_cpu_context *host_ctxt)
{
	// ok: c.hyp.host-pointer-without-kern-hyp-va
	DECLARE_REG(phys_addr_t, ipa, host_ctxt, 2);
	// ruleid: c.hyp.host-pointer-without-kern-hyp-va
	struct kvm_s2_mmu *mmu = (struct kvm_s2_mmu *)cpu_reg(host_ctxt, 1);
	// ok: c.hyp.host-pointer-without-kern-hyp-va
	struct kvm *kvm = kern_hyp_va((struct kvm *)cpu_reg(host_ctxt, 3));
}
