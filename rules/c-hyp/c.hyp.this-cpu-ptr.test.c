// reviewbot-test: path=arch/arm64/kvm/hyp/switch.c kernel=4.15
// Cases for c.hyp.this-cpu-ptr, written for reviewbot.
static void __hyp_text example(struct kvm_vcpu *vcpu)
{
	struct kvm_cpu_context *host_ctxt;

	// ruleid: c.hyp.this-cpu-ptr
	host_ctxt = this_cpu_ptr(&kvm_host_cpu_state);
	// ok: c.hyp.this-cpu-ptr
	host_ctxt = __hyp_this_cpu_ptr(kvm_host_cpu_state);
	// ruleid: c.hyp.this-cpu-ptr
	vcpu->arch.flags |= __this_cpu_read(hyp_flags);
	// ok: c.hyp.this-cpu-ptr
	host_ctxt = kern_hyp_va(host_ctxt);
}
