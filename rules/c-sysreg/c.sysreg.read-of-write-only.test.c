// reviewbot-test: path=drivers/irqchip/irq-gic-v3.c
// Cases for c.sysreg.read-of-write-only, written for reviewbot.
static void example(u64 irqnr)
{
	// ruleid: c.sysreg.read-of-write-only
	irqnr = read_sysreg_s(SYS_ICC_EOIR1_EL1);
	// ok: c.sysreg.read-of-write-only
	write_sysreg_s(irqnr, SYS_ICC_EOIR1_EL1);
	// ruleid: c.sysreg.read-of-write-only
	irqnr = read_sysreg(icc_dir_el1);
	// ok: c.sysreg.read-of-write-only
	irqnr = read_sysreg_s(SYS_ICC_IAR1_EL1);
	// ruleid: c.sysreg.read-of-write-only
	irqnr = read_sysreg(OSLAR_EL1);
	// ruleid: c.sysreg.read-of-write-only
	irqnr = read_sysreg(s3_0_c12_c11_5);
	// ruleid: c.sysreg.read-of-write-only
	sysreg_clear_set_s(SYS_ICC_SGI1R_EL1, 0, irqnr);
	// ok: c.sysreg.read-of-write-only
	irqnr = read_sysreg_s(SYS_DBGDTRRX_EL0);
	// ok: c.sysreg.read-of-write-only
	irqnr = read_sysreg(s2_3_c0_c5_0);
	// ok: c.sysreg.read-of-write-only
	irqnr = read_sysreg(pmswinc);
	// ok: c.sysreg.read-of-write-only
	irqnr = read_sysreg_s(SYS_ICH_VSEIR_EL2);
	// ok: c.sysreg.read-of-write-only
	irqnr = read_sysreg_el1(SYS_ESR);
	// ok: c.sysreg.read-of-write-only
	irqnr = read_sysreg(tpidr_el2);
}
