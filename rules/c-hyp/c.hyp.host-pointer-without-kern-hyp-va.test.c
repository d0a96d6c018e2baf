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

/* Real mail, issue 15 (pkvm, 2022): converted ten lines below, before any use. */
static void handle_map_guest(struct kvm_cpu_context *host_ctxt)
{
	DECLARE_REG(u64, pfn, host_ctxt, 1);
	DECLARE_REG(u64, gfn, host_ctxt, 2);
	// ok: c.hyp.host-pointer-without-kern-hyp-va
	DECLARE_REG(struct kvm_vcpu *, host_vcpu, host_ctxt, 3);
	struct kvm_shadow_vcpu_state *shadow_state;
	struct kvm *host_kvm;
	unsigned int handle;
	int ret = -EINVAL;

	if (!is_protected_kvm_enabled())
		goto out;

	host_vcpu = kern_hyp_va(host_vcpu);
	host_kvm = kern_hyp_va(host_vcpu->kvm);
	handle = host_kvm->arch.pkvm.shadow_handle;
	shadow_state = pkvm_load_shadow_vcpu_state(handle, host_vcpu->vcpu_idx);
out:
	cpu_reg(host_ctxt, 1) = ret;
}

/* Used as a pointer first, converted later: still a bug. */
static void handle_map_guest_bad(struct kvm_cpu_context *host_ctxt)
{
	// ruleid: c.hyp.host-pointer-without-kern-hyp-va
	DECLARE_REG(struct kvm_vcpu *, host_vcpu, host_ctxt, 3);
	struct kvm *host_kvm;

	if (!is_protected_kvm_enabled())
		return;

	host_kvm = host_vcpu->kvm;
	host_vcpu = kern_hyp_va(host_vcpu);
	cpu_reg(host_ctxt, 1) = host_kvm->arch.pkvm.shadow_handle;
}

/*
 * Real mail, issue 15: handed to __pkvm_init_shadow(), which converts it
 * (kvm = kern_hyp_va(kvm)) in another file.  Still a finding, but one
 * severity lower (info, not mailed), saying why it may be fine.
 */
static void handle_init_shadow(struct kvm_cpu_context *host_ctxt)
{
	// ruleid: c.hyp.host-pointer-without-kern-hyp-va
	DECLARE_REG(struct kvm *, host_kvm, host_ctxt, 1);
	DECLARE_REG(unsigned long, host_shadow_va, host_ctxt, 2);

	cpu_reg(host_ctxt, 1) = __pkvm_init_shadow(host_kvm, host_shadow_va,
						   shadow_size, pgd);
}

/* Never used: nothing reaches EL2. */
static void handle_unused(struct kvm_cpu_context *host_ctxt)
{
	// ok: c.hyp.host-pointer-without-kern-hyp-va
	DECLARE_REG(struct kvm *, host_kvm, host_ctxt, 1);

	cpu_reg(host_ctxt, 1) = 0;
}

/* Converted as an argument, through a cast. */
static void handle_cast(struct kvm_cpu_context *host_ctxt)
{
	// ok: c.hyp.host-pointer-without-kern-hyp-va
	DECLARE_REG(struct kvm_vcpu *, vcpu, host_ctxt, 1);

	__pkvm_vcpu_init_traps(kern_hyp_va((struct kvm_vcpu *)vcpu));
}

/* Dereferenced with a star before any conversion. */
static void handle_star(struct kvm_cpu_context *host_ctxt)
{
	// ruleid: c.hyp.host-pointer-without-kern-hyp-va
	DECLARE_REG(u64 *, slot, host_ctxt, 1);

	cpu_reg(host_ctxt, 1) = *slot;
}

/* The callee is in sight (this file) and converts what it is handed first. */
static int init_shadow(void *scratch, struct kvm *kvm)
{
	memset(scratch, 0, 8);
	kvm = kern_hyp_va(kvm);
	return kvm->arch.pkvm.shadow_handle;
}

static void handle_init_shadow(struct kvm_cpu_context *host_ctxt)
{
	// ok: c.hyp.host-pointer-without-kern-hyp-va
	DECLARE_REG(struct kvm *, host_kvm, host_ctxt, 1);

	cpu_reg(host_ctxt, 1) = init_shadow(NULL, host_kvm);
}

/* Handed at the position the callee does not convert. */
static void handle_init_shadow_swapped(struct kvm_cpu_context *host_ctxt)
{
	// ruleid: c.hyp.host-pointer-without-kern-hyp-va
	DECLARE_REG(struct kvm *, host_kvm, host_ctxt, 1);

	cpu_reg(host_ctxt, 1) = init_shadow(host_kvm, NULL);
}
