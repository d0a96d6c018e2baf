// reviewbot-test: path=arch/arm64/kvm/hyp/nvhe/hyp-init.S
// Cases for arm64.sysreg.mrs-overwrites-computed-value, written for reviewbot.
bad:
	mov_q	x0, HCR_HOST_NVHE_FLAGS
	// ruleid: arm64.sysreg.mrs-overwrites-computed-value
	mrs	x0, hcr_el2

good:
	mov_q	x0, HCR_HOST_NVHE_FLAGS
	// ok: arm64.sysreg.mrs-overwrites-computed-value
	msr	hcr_el2, x0

read_between:
	orr	x1, x1, #SCTLR_ELx_M
	str	x1, [sp]
	// ok: arm64.sysreg.mrs-overwrites-computed-value
	mrs	x1, sctlr_el2

across_a_label:
	mov	x2, #1
1:
	// ok: arm64.sysreg.mrs-overwrites-computed-value
	mrs	x2, cntvct_el0

alternatives:
alternative_if ARM64_HAS_VIRT_HOST_EXTN
	mov	x3, #0
alternative_else
	// ok: arm64.sysreg.mrs-overwrites-computed-value
	mrs	x3, tpidr_el2
alternative_endif

bic_then_read:
	bic	x4, x4, #(1 << 3)
	isb
	// ruleid: arm64.sysreg.mrs-overwrites-computed-value
	mrs	x4, mdcr_el2
	ret
