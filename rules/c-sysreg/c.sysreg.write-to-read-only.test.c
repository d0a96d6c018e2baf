// reviewbot-test: path=arch/arm64/kernel/cpufeature.c
// Cases for c.sysreg.write-to-read-only, written for reviewbot.
static void example(u64 val)
{
	// ruleid: c.sysreg.write-to-read-only
	write_sysreg(val, midr_el1);
	// ok: c.sysreg.write-to-read-only
	val = read_sysreg(midr_el1);
	// ruleid: c.sysreg.write-to-read-only
	write_sysreg_s(val, SYS_ID_AA64PFR0_EL1);
	// ok: c.sysreg.write-to-read-only
	val = read_sysreg_s(SYS_ID_AA64PFR0_EL1);
	// ruleid: c.sysreg.write-to-read-only
	write_sysreg(0, s3_0_c0_c4_0);
	// ruleid: c.sysreg.write-to-read-only
	write_sysreg_s(val, SYS_ERXPFGF_EL1);
	// ruleid: c.sysreg.write-to-read-only
	write_sysreg_s(val, SYS_AMEVTYPER0_EL0(2));
	// ruleid: c.sysreg.write-to-read-only
	sysreg_clear_set(cntvct_el0, 0, 1);
	// ruleid: c.sysreg.write-to-read-only
	write_sysreg(read_sysreg(vbar_el1), ctr_el0);
	// ok: c.sysreg.write-to-read-only
	write_sysreg(read_sysreg(midr_el1), vbar_el1);
	// ok: c.sysreg.write-to-read-only
	write_sysreg(f(a, midr_el1), tcr_el1);
	// ok: c.sysreg.write-to-read-only
	write_sysreg(val, sctlr_el12);
	// ok: c.sysreg.write-to-read-only
	write_sysreg_s(val, SYS_ICC_EOIR1_EL1);
	// ok: c.sysreg.write-to-read-only
	write_sysreg_s(val, SYS_DBGDTRTX_EL0);
	// ok: c.sysreg.write-to-read-only
	write_sysreg_s(val, SYS_ID_AA64FPFR0_EL1);
	// ok: c.sysreg.write-to-read-only
	write_sysreg_s(val, s3_0_c15_c2_0);
	// ok: c.sysreg.write-to-read-only
	write_sysreg_el1(val, SYS_SCTLR);
	// ok: c.sysreg.write-to-read-only
	write_sysreg(val, reg);
}
