#ifdef __ASSEMBLY__

/*
 * get_host_ctxt_va gives the host context as a kernel VA; the callers
 * below convert it.
 */
.macro get_host_ctxt_va reg, tmp
	ldr	\reg, =kvm_host_cpu_state
	mrs	\tmp, tpidr_el2
	add	\reg, \reg, \tmp
.endm

.macro get_vcpu_ptr vcpu, ctxt
	get_host_ctxt_va \ctxt, \vcpu
	kern_hyp_va	\ctxt
	ldr	\vcpu, [\ctxt, #HOST_CONTEXT_VCPU]
.endm

#endif
