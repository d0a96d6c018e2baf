// reviewbot-test: path=arch/arm64/kvm/hyp/hyp-entry.S
// Cases for arm64.hyp.el1-percpu-offset, written for reviewbot.
bad:
	adr_l	x0, kvm_host_cpu_state
	// ruleid: arm64.hyp.el1-percpu-offset
	mrs	x1, tpidr_el1
	add	x0, x0, x1

good:
	adr_l	x0, kvm_host_cpu_state
	// ok: arm64.hyp.el1-percpu-offset
	mrs	x1, tpidr_el2
	add	x0, x0, x1

saving_guest_state:
	// ok: arm64.hyp.el1-percpu-offset
	mrs	x2, tpidr_el1
	str	x2, [x0, #CPU_TPIDR_EL1]

indexed_load:
	// ruleid: arm64.hyp.el1-percpu-offset
	mrs	x3, tpidr_el1
	ldr	x4, [x5, x3]
	ret
