// reviewbot-test: path=arch/arm64/include/asm/el2_setup.h
// Cases for arm64.sysreg.feature-register-unguarded, written for reviewbot.
.macro __init_el2_hcrx_unchecked
	mov_q	x0, HCRX_HOST_FLAGS
	// ruleid: arm64.sysreg.feature-register-unguarded
	msr_s	SYS_HCRX_EL2, x0
	// ruleid: arm64.sysreg.feature-register-unguarded
	msr	hfgrtr_el2, xzr
	// ruleid: arm64.sysreg.feature-register-unguarded
	mrs	x1, zcr_el2
.endm

.macro __init_el2_hcrx
	mrs	x1, id_aa64mmfr1_el1
	ubfx	x1, x1, #ID_AA64MMFR1_EL1_HCX_SHIFT, #4
	cbz	x1, .Lskip_hcrx_\@
	mov_q	x0, HCRX_HOST_FLAGS
	// ok: arm64.sysreg.feature-register-unguarded
	msr_s	SYS_HCRX_EL2, x0
.Lskip_hcrx_\@:
.endm

.macro __init_el2_sme
	mrs_s	x1, SYS_ID_AA64PFR1_EL1
	ubfx	x1, x1, #ID_AA64PFR1_EL1_SME_SHIFT, #4
	cbz	x1, .Lskip_sme_\@
	// ok: arm64.sysreg.feature-register-unguarded
	msr_s	SYS_SMPRIMAP_EL2, xzr
.Lskip_sme_\@:
.endm

.macro __init_el2_ras
alternative_if ARM64_HAS_RAS_EXTN
	// ok: arm64.sysreg.feature-register-unguarded
	msr_s	SYS_DISR_EL1, xzr
alternative_else_nop_endif
	// after a closed alternative the rule cannot tell (it may have branched): silent
	// ok: arm64.sysreg.feature-register-unguarded
	msr_s	SYS_DISR_EL1, xzr
.endm

.macro __init_el2_sme_unchecked
	mov	x0, #0
	// ruleid: arm64.sysreg.feature-register-unguarded
	msr_s	SYS_SMCR_EL1, x0
.endm

.macro __init_el2_vhe
	// VHE accessors: a question of the exception level
	// ok: arm64.sysreg.feature-register-unguarded
	msr_s	SYS_SCTLR_EL12, x0
	// ok: arm64.sysreg.feature-register-unguarded
	msr	tcr_el12, x0
.endm

.macro __init_el2_branch_guard
	// the probe sits before the hunk: a conditional branch may be the check
	cbz	x2, 3f
	// ok: arm64.sysreg.feature-register-unguarded
	msr_s	SYS_APIAKEYLO_EL1, xzr
3:
.endm

.macro __init_el2_alternative_skip
alternative_if_not ARM64_HAS_ADDRESS_AUTH
	b	3f
alternative_else_nop_endif
	// ok: arm64.sysreg.feature-register-unguarded
	msr_s	SYS_APIAKEYHI_EL1, x4
3:
.endm

.macro __init_el2_plain
	// no feature gates these
	// ok: arm64.sysreg.feature-register-unguarded
	msr	hcr_el2, x0
	// ok: arm64.sysreg.feature-register-unguarded
	msr	sctlr_el1, x0
	// ID registers are how a feature is probed
	// ok: arm64.sysreg.feature-register-unguarded
	mrs_s	x1, SYS_ID_AA64SMFR0_EL1
	// the sources disagree about BRBE's gating: say nothing
	// ok: arm64.sysreg.feature-register-unguarded
	msr_s	SYS_BRBCR_EL2, xzr
.endm
