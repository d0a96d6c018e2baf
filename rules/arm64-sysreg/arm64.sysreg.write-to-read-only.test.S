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
	msr	CNTVCT_EL0, x4
	// ruleid: arm64.sysreg.write-to-read-only
	msr	ich_vtr_el2, x5
	// ok: arm64.sysreg.write-to-read-only
	msr	vttbr_el2, x0
	// ok: arm64.sysreg.write-to-read-only
	msr	cntvoff_el2, x0
	// ok: arm64.sysreg.write-to-read-only
	msr	icc_eoir1_el1, x0
	// ok: arm64.sysreg.write-to-read-only
	msr	s3_4_c13_c0_2, x3
	// ok: arm64.sysreg.write-to-read-only
	msr	daifclr, #2
	ret
