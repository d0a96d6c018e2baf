// reviewbot-test: path=arch/arm64/kvm/hyp/hyp-entry.S
// Cases for arm64.sysreg.msr-mrs-operand-order, written for reviewbot.

.macro get_host_ctxt reg, tmp
	adr_l	\reg, kvm_host_cpu_state
	// ruleid: arm64.sysreg.msr-mrs-operand-order
	msr	\tmp, tpidr_el2
	add	\reg, \reg, \tmp
.endm

.macro get_host_ctxt_good reg, tmp
	adr_l	\reg, kvm_host_cpu_state
	// ok: arm64.sysreg.msr-mrs-operand-order
	mrs	\tmp, tpidr_el2
	add	\reg, \reg, \tmp
.endm

write_it:
	// ruleid: arm64.sysreg.msr-mrs-operand-order
	mrs	tpidr_el2, x0
	// ok: arm64.sysreg.msr-mrs-operand-order
	msr	tpidr_el2, x0
	// ok: arm64.sysreg.msr-mrs-operand-order
	mrs	x0, tpidr_el2
	// ruleid: arm64.sysreg.msr-mrs-operand-order
	msr	x1, vttbr_el2
	// ruleid: arm64.sysreg.msr-mrs-operand-order
	MSR	X2, SCTLR_EL2
	// ruleid: arm64.sysreg.msr-mrs-operand-order
	msr_s	x0, SYS_ICC_SRE_EL2
	// ok: arm64.sysreg.msr-mrs-operand-order
	msr_s	SYS_ICC_SRE_EL2, x0
	// ok: arm64.sysreg.msr-mrs-operand-order
	mrs_s	x0, SYS_ICH_VTR_EL2
	// ruleid: arm64.sysreg.msr-mrs-operand-order
	mrs	s3_4_c13_c0_2, x3
	// ok: arm64.sysreg.msr-mrs-operand-order
	mrs	x3, s3_4_c13_c0_2
	// ok: arm64.sysreg.msr-mrs-operand-order
	msr	daifset, #2
	// ok: arm64.sysreg.msr-mrs-operand-order
	msr	\sreg, \reg
	// ok: arm64.sysreg.msr-mrs-operand-order
	msr	spsel, #1
	ret
