// reviewbot-test: path=arch/arm64/kvm/hyp/hyp-entry.S kernel=5.6
// Cases for arm64.hyp.literal-then-kern-hyp-va, written for reviewbot.
get_ctxt_literal:
	// ruleid: arm64.hyp.literal-then-kern-hyp-va
	ldr	x0, =kvm_host_cpu_state
	mrs	x1, tpidr_el2
	kern_hyp_va	x0
	ret

hcall_table:
	// ruleid: arm64.hyp.literal-then-kern-hyp-va
	ldr	x10, =kvm_hcall_table
	ksym_hyp_va	x10, x9
	ret

used_before_conversion:
	// ok: arm64.hyp.literal-then-kern-hyp-va
	ldr	x2, =kvm_host_data
	str	x2, [sp, #16]
	kern_hyp_va	x2
	ret

never_converted:
	// ok: arm64.hyp.literal-then-kern-hyp-va
	ldr	x3, =__hyp_panic_string
	msr	elr_el2, x3
	eret

a_constant:
	// ok: arm64.hyp.literal-then-kern-hyp-va
	ldr	x4, =VCPU_CONTEXT
	kern_hyp_va	x4
	ret

pc_relative:
	// ok: arm64.hyp.literal-then-kern-hyp-va
	adr_l	x5, kvm_hcall_table
	ret

panic_string_for_the_host:
	// ok: arm64.hyp.literal-then-kern-hyp-va
	ldr	lr, =__hyp_panic_string
	hyp_kimg_va	lr, x6
	ret
