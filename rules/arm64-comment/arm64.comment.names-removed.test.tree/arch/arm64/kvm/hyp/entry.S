#include <asm/kvm_asm.h>

	.text
	.pushsection	.hyp.text, "ax"

/*
 * Saves the host registers.  The context comes from get_host_ctxt_va,
 * converted with kern_hyp_va.
 */
SYM_FUNC_START(__guest_enter)
	get_host_ctxt_va x1, x2
	kern_hyp_va	x1
	stp	x29, x30, [x1, #16]
	ret
SYM_FUNC_END(__guest_enter)

	// __save_host_fp is called by __guest_exit below
SYM_FUNC_START(__save_host_fp)
	stp	q0, q1, [x1]
	ret
SYM_FUNC_END(__save_host_fp)

SYM_FUNC_START(__guest_exit)
	bl	__save_host_fp
	ret
SYM_FUNC_END(__guest_exit)
	.popsection
