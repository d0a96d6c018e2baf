// reviewbot-test: path=arch/arm64/kvm/hyp/hyp-entry.S kernel=4.15
// Cases for arm64.hyp.kernel-va-literal, written for reviewbot.
	.text
	.pushsection	.hyp.text, "ax"

report:
	// arm64.hyp.missing-kern-hyp-va reports the use below; this rule no longer
	// matches ldr =sym (issue 15: 6 of 6 such findings on real mail were wrong)
	// ok: arm64.hyp.kernel-va-literal
	ldr	x1, =kvm_host_cpu_state
	ldr	x2, [x1, #HOST_CONTEXT_VCPU]

converted:
	// ok: arm64.hyp.kernel-va-literal
	ldr	x1, =kvm_host_cpu_state
	kern_hyp_va	x1
	ldr	x2, [x1]

constant:
	// ok: arm64.hyp.kernel-va-literal
	ldr	x0, =HCR_HOST_NVHE_FLAGS
	msr	hcr_el2, x0

number:
	// ok: arm64.hyp.kernel-va-literal
	ldr	x0, =0x30c50830

panic_to_el1:
	// ok: arm64.hyp.kernel-va-literal
	ldr	lr, =panic
	msr	elr_el2, lr
	eret

pc_relative:
	// ok: arm64.hyp.kernel-va-literal
	adr_l	x1, kvm_host_cpu_state

overwritten:
	// ok: arm64.hyp.kernel-va-literal
	ldr	x3, =__kvm_hyp_vector
	mov	x3, #0
	kern_hyp_va	x3

table:
	// ruleid: arm64.hyp.kernel-va-literal
	.quad	__kvm_hyp_panic_string
	// ok: arm64.hyp.kernel-va-literal
	.quad	0
	.popsection
	.pushsection	.hyp.text, "ax"
macro_conversion:
	// ok: arm64.hyp.kernel-va-literal
	ldr	x0, =__kvm_hyp_host_vector
	kimg_hyp_va x0, x1
	msr	vbar_el2, x0
	.popsection
	.pushsection	.hyp.text, "ax"
	// Real mail, issue 15 (ascull, "Pass the hyp stub HVC handler by
	// physical address"): the kernel VA is made physical on purpose.
to_idmap:
	// ok: arm64.hyp.kernel-va-literal
	ldr	x5, =__kvm_handle_stub_hvc
	ldr_l	x6, kimage_voffset
	sub	x5, x5, x6
	br	x5

	// Real mail, issue 15: the string goes to the host's panic() in x0,
	// so it must stay a kernel VA.
panic_string:
	// ok: arm64.hyp.kernel-va-literal
	ldr	x0, =__hyp_panic_string
	mov	x7, xzr
	msr	elr_el2, lr
	eret
	.popsection
