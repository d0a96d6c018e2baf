// reviewbot-test: path=arch/arm64/kernel/ras.c
// Cases for c.sysreg.error-record-field-mismatch, written for reviewbot.
static void read_record(struct ras_regs *regs)
{
	// ok: c.sysreg.error-record-field-mismatch
	regs->err_status = read_sysreg_s(SYS_ERXSTATUS_EL1);
	// ruleid: c.sysreg.error-record-field-mismatch
	regs->err_addr = read_sysreg_s(SYS_ERXSTATUS_EL1);
	// ok: c.sysreg.error-record-field-mismatch
	regs->err_addr = read_sysreg_s(SYS_ERXADDR_EL1);
	// ok: c.sysreg.error-record-field-mismatch
	regs->err_misc0 = read_sysreg_s(SYS_ERXMISC0_EL1);
	// ruleid: c.sysreg.error-record-field-mismatch
	regs->err_misc1 = read_sysreg_s(SYS_ERXMISC0_EL1);
	// ok: c.sysreg.error-record-field-mismatch
	regs->err_fr = read_sysreg_s(SYS_ERXFR_EL1);
	// ruleid: c.sysreg.error-record-field-mismatch
	ctlr = read_sysreg_s(SYS_ERXFR_EL1);
	// a name of no field says nothing
	// ok: c.sysreg.error-record-field-mismatch
	val = read_sysreg_s(SYS_ERXSTATUS_EL1);
	// ok: c.sysreg.error-record-field-mismatch
	esr = read_sysreg_s(SYS_ERXADDR_EL1);
}
