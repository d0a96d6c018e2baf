// reviewbot-test: path=arch/arm64/kernel/head.S
// Cases for arm64.sysreg.unknown-register, written for reviewbot.
#define my_impdef_el1	s3_0_c15_c2_0
typos:
	// ruleid: arm64.sysreg.unknown-register
	msr	tpidr_el4, x0
	// ruleid: arm64.sysreg.unknown-register
	mrs	x0, sctlr_el12x
	// ruleid: arm64.sysreg.unknown-register
	mrs	x1, ttbr2_el1
	// ruleid: arm64.sysreg.unknown-register
	msr	vbar_el0, x1
	// real registers: EL3 and VHE accessors, any case
	// ok: arm64.sysreg.unknown-register
	msr	vbar_el12, x0
	// ok: arm64.sysreg.unknown-register
	mrs	x0, tpidr_el3
	// ok: arm64.sysreg.unknown-register
	mrs	x0, TPIDR_EL2
	// ok: arm64.sysreg.unknown-register
	mrs	x0, cntvct_el0
	// ok: arm64.sysreg.unknown-register
	msr	spsr_svc, x0
	// encodings, IMPLEMENTATION DEFINED or not
	// ok: arm64.sysreg.unknown-register
	mrs	x0, s3_1_c15_c2_1
	// ok: arm64.sysreg.unknown-register
	mrs	x0, s3_0_c0_c7_7
	// kernel macros, known to the table or not
	// ok: arm64.sysreg.unknown-register
	mrs_s	x0, SYS_ID_AA64MMFR3_EL1
	// ok: arm64.sysreg.unknown-register
	mrs_s	x0, SYS_IMP_DEF_THING_EL1
	// ok: arm64.sysreg.unknown-register
	msr_s	my_impdef_el1, x0
	// ok: arm64.sysreg.unknown-register
	mrs	x0, my_impdef_el1
	// GIC names, upper-case cpp names, macro arguments, PSTATE fields
	// ok: arm64.sysreg.unknown-register
	mrs	x0, icc_foo_el1
	// ok: arm64.sysreg.unknown-register
	mrs	x0, CORTEX_A57_CPUACTLR_EL1
	// ok: arm64.sysreg.unknown-register
	msr	\sreg, x0
	// ok: arm64.sysreg.unknown-register
	mrs	x0, \sreg\()_el1
	// ok: arm64.sysreg.unknown-register
	msr	daifset, #2
	// ok: arm64.sysreg.unknown-register
	msr	pan, #1
	ret
