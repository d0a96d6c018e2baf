// reviewbot-test: path=arch/arm64/kvm/hyp/entry.S
// Cases for arm64.hyp.redundant-kern-hyp-va, written for reviewbot.
pc_relative:
	adr_l	x0, kvm_host_cpu_state
	// ruleid: arm64.hyp.redundant-kern-hyp-va
	kern_hyp_va	x0

literal:
	ldr	x1, =kvm_host_cpu_state
	// ok: arm64.hyp.redundant-kern-hyp-va
	kern_hyp_va	x1

offset_added:
	adr_l	x2, kvm_host_cpu_state
	add	x2, x2, x3
	// ok: arm64.hyp.redundant-kern-hyp-va
	kern_hyp_va	x2

per_cpu:
	adr_this_cpu	x4, kvm_host_data, x5
	// ruleid: arm64.hyp.redundant-kern-hyp-va
	kern_hyp_va	x4
	ret
