// reviewbot-test: path=arch/arm64/kernel/cpu_setup.S
// Cases for arm64.sysreg.write-to-read-only, written for reviewbot.

probe:
	// ruleid: arm64.sysreg.write-to-read-only
	msr	midr_el1, x0
	// ok: arm64.sysreg.write-to-read-only
	mrs	x0, midr_el1
	// ruleid: arm64.sysreg.write-to-read-only
	msr	id_aa64mmfr1_el1, x1
	// ruleid: arm64.sysreg.write-to-read-only
	msr_s	SYS_ID_AA64PFR0_EL1, x2
	// ruleid: arm64.sysreg.write-to-read-only
	msr	s3_0_c0_c4_0, x3
	// ruleid: arm64.sysreg.write-to-read-only
	msr	S3_0_C0_C4_0, x3
	// ruleid: arm64.sysreg.write-to-read-only
	msr	CNTVCT_EL0, x4
	// ruleid: arm64.sysreg.write-to-read-only
	msr	ich_vtr_el2, x5
	// RAS error-record feature register: no name list knew it
	// ruleid: arm64.sysreg.write-to-read-only
	msr	erxpfgf_el1, x6
	// ruleid: arm64.sysreg.write-to-read-only
	msr_s	SYS_ERXPFGF_EL1, x6
	// a function-like kernel macro
	// ruleid: arm64.sysreg.write-to-read-only
	msr_s	SYS_AMEVTYPER0_EL0(2), x7
	// ruleid: arm64.sysreg.write-to-read-only
	msr	rndr, x8
	// ruleid: arm64.sysreg.write-to-read-only
	msr	currentel, x8
	// ruleid: arm64.sysreg.write-to-read-only
	msr	dbgdtrrx_el0, x9
	// ok: arm64.sysreg.write-to-read-only
	msr	vttbr_el2, x0
	// ok: arm64.sysreg.write-to-read-only
	msr	cntvoff_el2, x0
	// write-only is writable
	// ok: arm64.sysreg.write-to-read-only
	msr	icc_eoir1_el1, x0
	// ok: arm64.sysreg.write-to-read-only
	msr_s	SYS_ICC_SGI1R_EL1, x0
	// ok: arm64.sysreg.write-to-read-only
	msr	s3_4_c13_c0_2, x3
	// VHE accessors and their kernel macros
	// ok: arm64.sysreg.write-to-read-only
	msr	sctlr_el12, x0
	// ok: arm64.sysreg.write-to-read-only
	msr_s	SYS_VBAR_EL12, x0
	// EL3 register, read/write
	// ok: arm64.sysreg.write-to-read-only
	msr	scr_el3, x0
	// one encoding, two registers: msr writes DBGDTRTX_EL0 there
	// ok: arm64.sysreg.write-to-read-only
	msr	s2_3_c0_c5_0, x9
	// ok: arm64.sysreg.write-to-read-only
	msr	dbgdtrtx_el0, x9
	// the sources disagree (or none says): say nothing
	// ok: arm64.sysreg.write-to-read-only
	msr_s	SYS_ID_AA64FPFR0_EL1, x0
	// IMPLEMENTATION DEFINED encoding: unknown access
	// ok: arm64.sysreg.write-to-read-only
	msr	s3_1_c15_c2_1, x0
	// ok: arm64.sysreg.write-to-read-only
	msr	\sreg, x0
	// ok: arm64.sysreg.write-to-read-only
	msr	daifclr, #2
	// ok: arm64.sysreg.write-to-read-only
	msr	spsel, #1
	ret
