// reviewbot-test: path=arch/arm64/kvm/hyp/hyp-entry.S
// Cases for arm64.hyp.kern-hyp-va-twice, written for reviewbot.
twice:
	kern_hyp_va	x0
	// ruleid: arm64.hyp.kern-hyp-va-twice
	kern_hyp_va	x0

reloaded:
	kern_hyp_va	x1
	ldr	x1, [x1, #VCPU_CONTEXT]
	// ok: arm64.hyp.kern-hyp-va-twice
	kern_hyp_va	x1

other_register:
	kern_hyp_va	x2
	// ok: arm64.hyp.kern-hyp-va-twice
	kern_hyp_va	x3

through_a_read:
	kern_hyp_va	\reg
	ldr	x4, [\reg]
	// ruleid: arm64.hyp.kern-hyp-va-twice
	kern_hyp_va	\reg
	ret
