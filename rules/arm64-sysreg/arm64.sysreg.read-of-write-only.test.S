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
	ret
