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

no_suffix:
	// ruleid: arm64.sysreg.msr-mrs-operand-order
	msr	x0, daif
	// ruleid: arm64.sysreg.msr-mrs-operand-order
	mrs	daif, x0
	// ruleid: arm64.sysreg.msr-mrs-operand-order
	msr	x1, currentel
	// ruleid: arm64.sysreg.msr-mrs-operand-order
	mrs	NZCV, x2
	// ruleid: arm64.sysreg.msr-mrs-operand-order
	msr	x3, fpcr
	// ruleid: arm64.sysreg.msr-mrs-operand-order
	mrs	sp_el0, x4
	// ruleid: arm64.sysreg.msr-mrs-operand-order
	msr	\tmp, spsel
	// ok: arm64.sysreg.msr-mrs-operand-order
	mrs	x0, daif
	// ok: arm64.sysreg.msr-mrs-operand-order
	msr	daif, x0
	// ok: arm64.sysreg.msr-mrs-operand-order
	mrs	x0, nzcv
	// ok: arm64.sysreg.msr-mrs-operand-order
	msr	fpsr, x1
	// ok: arm64.sysreg.msr-mrs-operand-order
	msr	daifclr, #0xf
	// ok: arm64.sysreg.msr-mrs-operand-order
	msr	pan, #1
	// ok: arm64.sysreg.msr-mrs-operand-order
	msr	uao, #0
	// ok: arm64.sysreg.msr-mrs-operand-order
	msr	dit, #1
	// ok: arm64.sysreg.msr-mrs-operand-order
	msr	ssbs, #0
	// ok: arm64.sysreg.msr-mrs-operand-order
	msr	tco, #1
	// not a system register the table knows: a symbol, left alone
	// ok: arm64.sysreg.msr-mrs-operand-order
	msr	x0, some_symbol
	ret

zero:
	// ruleid: arm64.sysreg.msr-mrs-operand-order
	msr	xzr, tpidr_el2
	// ruleid: arm64.sysreg.msr-mrs-operand-order
	mrs	tpidr_el2, xzr
	// ruleid: arm64.sysreg.msr-mrs-operand-order
	msr	wzr, cntv_ctl_el0
	// ok: arm64.sysreg.msr-mrs-operand-order
	msr	tpidr_el2, xzr
	// ok: arm64.sysreg.msr-mrs-operand-order
	mrs	xzr, cntvct_el0
	ret
