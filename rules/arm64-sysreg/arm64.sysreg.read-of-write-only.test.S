// reviewbot-test: path=arch/arm64/kvm/hyp/vgic-v3-sr.S
// Cases for arm64.sysreg.read-of-write-only, written for reviewbot.
eoi:
	// ruleid: arm64.sysreg.read-of-write-only
	mrs	x0, icc_eoir1_el1
	// ok: arm64.sysreg.read-of-write-only
	msr	icc_eoir1_el1, x0
	// ruleid: arm64.sysreg.read-of-write-only
	mrs_s	x1, SYS_ICC_DIR_EL1
	// ok: arm64.sysreg.read-of-write-only
	mrs	x1, icc_iar1_el1
	// ruleid: arm64.sysreg.read-of-write-only
	MRS	X2, OSLAR_EL1
	// ruleid: arm64.sysreg.read-of-write-only
	mrs	x3, s3_0_c12_c11_5
	// ruleid: arm64.sysreg.read-of-write-only
	mrs	x3, pmswinc_el0
	// ruleid: arm64.sysreg.read-of-write-only
	mrs_s	x4, SYS_TRCOSLAR
	// ruleid: arm64.sysreg.read-of-write-only
	mrs	\tmp, icc_sgi1r_el1
	// ok: arm64.sysreg.read-of-write-only
	mrs	x5, tpidr_el2
	// ok: arm64.sysreg.read-of-write-only
	mrs	x5, midr_el1
	// ok: arm64.sysreg.read-of-write-only
	mrs_s	x5, SYS_VBAR_EL12
	// one encoding, two registers: mrs reads DBGDTRRX_EL0 there
	// ok: arm64.sysreg.read-of-write-only
	mrs	x6, s2_3_c0_c5_0
	// ruleid: arm64.sysreg.read-of-write-only
	mrs	x6, dbgdtrtx_el0
	// ok: arm64.sysreg.read-of-write-only
	mrs_s	x7, SYS_ICH_VSEIR_EL2
	// ok: arm64.sysreg.read-of-write-only
	mrs	x7, s3_0_c15_c0_0
	// ok: arm64.sysreg.read-of-write-only
	mrs	x7, \sreg
	ret
