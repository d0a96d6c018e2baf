// reviewbot-test: path=arch/arm64/kvm/hyp/hyp-entry.S kernel=5.10
// Cases for arm64.hyp.missing-kern-hyp-va, written for reviewbot.
	.pushsection	.hyp.text, "ax"

el1_sync:
	restore_x0_to_x3
	kern_hyp_va	x0
	mov	lr, x0
	// ok: arm64.hyp.missing-kern-hyp-va
	blr	lr

el1_sync_forgot:
	restore_x0_to_x3
	mov	lr, x0
	// ruleid: arm64.hyp.missing-kern-hyp-va
	blr	lr

host_data_bad:
	ldr	x1, =kvm_host_data
	add	x1, x1, #HOST_DATA_CONTEXT
	// ruleid: arm64.hyp.missing-kern-hyp-va
	ldr	x2, [x1, #8]

host_data_good:
	ldr	x1, =kvm_host_data
	kern_hyp_va	x1
	// ok: arm64.hyp.missing-kern-hyp-va
	ldp	x2, x3, [x1], #16

panic_path:
	ldr	lr, =panic
	// ok: arm64.hyp.missing-kern-hyp-va
	msr	elr_el2, lr
	eret

clobbered_by_call:
	ldr	x1, =kvm_host_data
	bl	some_helper
	// ok: arm64.hyp.missing-kern-hyp-va
	ldr	x2, [x1]

callee_saved_survives:
	ldr	x19, =kvm_host_data
	bl	some_helper
	// ruleid: arm64.hyp.missing-kern-hyp-va
	str	xzr, [x19]

overwritten:
	ldr	x4, =kvm_host_data
	ldr	x4, [sp, #16]
	// ok: arm64.hyp.missing-kern-hyp-va
	ldr	x5, [x4]

branches:
	ldr	x6, =kvm_host_data
	cbz	x0, 1f
	kern_hyp_va	x6
1:
	// ruleid: arm64.hyp.missing-kern-hyp-va
	ldr	x7, [x6]

constant:
	ldr	x8, =PAGE_OFFSET
	// ok: arm64.hyp.missing-kern-hyp-va
	ldr	x9, [x8]
	ret

.macro get_host_ctxt_bad reg, tmp
	ldr	\reg, =kvm_host_cpu_state
	mrs	\tmp, tpidr_el2
	add	\reg, \reg, \tmp
	// ruleid: arm64.hyp.missing-kern-hyp-va
.endm

.macro get_host_ctxt_good reg, tmp
	ldr	\reg, =kvm_host_cpu_state
	mrs	\tmp, tpidr_el2
	add	\reg, \reg, \tmp
	kern_hyp_va	\reg
	// ok: arm64.hyp.missing-kern-hyp-va
.endm
	.popsection
	.pushsection	.hyp.text, "ax"
to_physical:
	ldr	x5, =__kvm_handle_stub_hvc
	ldr_l	x6, kimage_voffset
	sub	x5, x5, x6
	// ok: arm64.hyp.missing-kern-hyp-va
	br	x5
	.popsection

	// Real mail, issue 15: a literal-pool kernel VA made physical by
	// subtracting kimage_voffset before the branch is not a kernel VA at EL2.
to_idmap:
	ldr	x5, =__kvm_handle_stub_hvc
	ldr_l	x6, kimage_voffset
	sub	x5, x5, x6
	// ok: arm64.hyp.missing-kern-hyp-va
	br	x5

	// Real mail, issue 15: a kernel VA handed back to the host's panic() in
	// x0 is never used as an address at EL2.
panic_string:
	ldr	x0, =__hyp_panic_string
	mov	x7, xzr
	// ok: arm64.hyp.missing-kern-hyp-va
	msr	elr_el2, lr
	eret

	// The same load used as an address is still reported.
literal_used:
	ldr	x1, =kvm_host_cpu_state
	// ruleid: arm64.hyp.missing-kern-hyp-va
	ldr	x2, [x1, #HOST_CONTEXT_VCPU]
