// reviewbot-test: path=arch/arm64/kvm/hyp/nvhe/sys_regs.c
// Cases for c.sysreg.raz-wi-read-only, written for reviewbot.
static const struct sys_reg_desc pvm_sys_reg_descs[] = {
	// ruleid: c.sysreg.raz-wi-read-only
	RAZ_WI(SYS_ERRIDR_EL1),
	// ok: c.sysreg.raz-wi-read-only
	RAZ_WI(SYS_ERRSELR_EL1),
	// ok: c.sysreg.raz-wi-read-only
	RAZ_WI(SYS_ERXCTLR_EL1),
	// ruleid: c.sysreg.raz-wi-read-only
	RAZ_WI(SYS_ERXFR_EL1),
	// ok: c.sysreg.raz-wi-read-only
	AARCH64(SYS_ID_AA64PFR0_EL1),
};
