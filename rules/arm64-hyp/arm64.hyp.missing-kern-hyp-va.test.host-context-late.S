// reviewbot-test: path=arch/arm64/kvm/hyp/entry.S kernel=5.10
// Cases for arm64.hyp.missing-kern-hyp-va, written for reviewbot: the host
// context field of the vcpu is no source once it no longer exists (v5.8).
	.pushsection	.hyp.text, "ax"

no_such_field_any_more:
	ldr	x2, [x1, #VCPU_HOST_CONTEXT]
	// ok: arm64.hyp.missing-kern-hyp-va
	ldr	x3, [x2]

still_a_literal:
	ldr	x1, =kvm_host_data
	// ruleid: arm64.hyp.missing-kern-hyp-va
	ldr	x2, [x1, #HOST_DATA_CONTEXT]

	.popsection
