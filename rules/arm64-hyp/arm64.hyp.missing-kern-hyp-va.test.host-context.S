// reviewbot-test: path=arch/arm64/kvm/hyp/entry.S kernel=4.15
// Cases for arm64.hyp.missing-kern-hyp-va, written for reviewbot: before
// v5.8 the vcpu's host_cpu_context field held a kernel VA (the host's
// this_cpu_ptr), so hyp code that loads it must convert it.
	.pushsection	.hyp.text, "ax"

fpsimd_restore_good:
	mrs	x3, tpidr_el2
	ldr	x0, [x3, #VCPU_HOST_CONTEXT]
	kern_hyp_va	x0
	add	x0, x0, #CPU_GP_REG_OFFSET(CPU_FP_REGS)
	// ok: arm64.hyp.missing-kern-hyp-va
	ldp	q0, q1, [x0]
	ret

fpsimd_restore_forgot:
	mrs	x3, tpidr_el2
	ldr	x0, [x3, #VCPU_HOST_CONTEXT]
	add	x0, x0, #CPU_GP_REG_OFFSET(CPU_FP_REGS)
	// ruleid: arm64.hyp.missing-kern-hyp-va
	ldp	q0, q1, [x0]
	ret

guest_exit_forgot:
	ldr	x2, [x1, #VCPU_HOST_CONTEXT]
	// ruleid: arm64.hyp.missing-kern-hyp-va
	str	x1, [x2, #HOST_CONTEXT_VCPU]
	ret

handed_to_c_converted_later:
	ldr	x1, [x0, #VCPU_HOST_CONTEXT]
	mov	x19, x1
	kern_hyp_va	x19
	// ok: arm64.hyp.missing-kern-hyp-va
	ldr	x2, [x19]
	ret

other_field:
	mrs	x4, tpidr_el2
	ldr	x2, [x4, #VCPU_CONTEXT]
	// ok: arm64.hyp.missing-kern-hyp-va
	ldr	x3, [x2]
	ret

	.popsection
