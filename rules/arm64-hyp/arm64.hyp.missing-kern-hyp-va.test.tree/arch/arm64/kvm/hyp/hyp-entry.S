	.text
	.pushsection	.hyp.text, "ax"

el1_sync:
	restore_x0_to_x3
	cbnz	x0, 1f
	b	__guest_exit
1:
	kern_hyp_va	x0
	mov	lr, x0
	blr	lr
	eret

el2_error:
	ldr	x1, =kvm_host_cpu_state
	kern_hyp_va	x1
	ldr	x2, [x1, #HOST_CONTEXT_VCPU]
	eret
	.popsection
