// reviewbot-test: path=arch/arm64/include/asm/kvm_asm.h
// Cases for arm64.comment.stale, written for reviewbot.
.macro get_host_ctxt reg, tmp
	// ruleid: arm64.comment.stale
	/*
	 * The address of '=kvm_host_cpu_state' comes from the constant pool;
	 * hyp_panic() passes it through kern_hyp_va() before use.
	 */
	adr_l	\reg, kvm_host_cpu_state
	mrs	\tmp, tpidr_el2
	add	\reg, \reg, \tmp
.endm

.macro get_host_ctxt_literal reg, tmp
	// ok: arm64.comment.stale
	/*
	 * '=kvm_host_cpu_state' comes from the literal pool: a kernel VA,
	 * which kern_hyp_va() turns into a hyp VA.
	 */
	ldr	\reg, =kvm_host_cpu_state
	kern_hyp_va	\reg
.endm

exit:
	// ok: arm64.comment.stale
	// Restore the host context, see __guest_enter()
	get_host_ctxt	x2, x3
	ret

.macro test_overflow shift, label
	add	sp, sp, x0			// sp' = sp + x0
	// ok: arm64.comment.stale
	sub	x0, sp, x0			// x0' = sp' - x0 = (sp + x0) - x0 = sp
	tbnz	x0, #\shift, \label
.endm

cross_reference:
	// ok: arm64.comment.stale
	/*
	 * check_serror() unmasks SError for a moment; see do_trap_serror()
	 * and inject_abort() for what happens next.
	 */
	bl	check_serror
	ret

// ok: arm64.comment.stale
/*
 * x0: the init parameters, a physical address; see __kvm_hyp_init()
 */
SYM_CODE_START(___example_init)
	mov_q	x1, HCR_HOST_NVHE_FLAGS
	msr	hcr_el2, x1
	isb

	ldr	x1, [x0, #NVHE_INIT_TPIDR_EL2]
	msr	tpidr_el2, x1
SYM_CODE_END(___example_init)

// A claim the instruction cannot meet: an mrs destination is always an X register.
// ruleid: arm64.comment.stale
	/*
	 * @dst: destination register (32 or 64 bit wide)
	 */
	.macro	this_cpu_offset, dst
	mrs	\dst, tpidr_el2
	.endm

// ok: arm64.comment.stale
	/*
	 * @dst: destination register (32 or 64 bit wide)
	 */
	.macro	ldr_this_cpu_w, dst, sym
	adr_l	\dst, \sym
	ldr	\dst, [\dst]
	.endm

